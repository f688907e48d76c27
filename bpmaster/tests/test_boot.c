// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of bpmaster -B: the dnsmasq configuration (checked by
 * dnsmasq --test itself when it is installed), iPXE template expansion
 * and the files written into bootdir.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bpmaster.h"
#include "bproc-test/tap.h"

#define DNSMASQ "/usr/sbin/dnsmasq"

static const char cluster_cfg[] =
	"interface eth0 10.42.0.1/24\n"
	"port 2224\n"
	"iprange 10.42.0.100 10.42.0.102\n"
	"iprange 10 10.42.0.200 10.42.0.200\n"
	"node 0 52:54:00:00:00:10\n"
	"node 1 52:54:00:00:00:11 tftp\n"
	"node 10 52:54:00:00:00:1a http\n";

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static int parse(struct bp_cfg *cfg, const char *text, char *err, size_t len)
{
	return bp_cfg_parse(cfg, text, strlen(text), "cfg", err, len);
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static char *read_text(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* Run dnsmasq --test on @path; its exit status, or -1. */
static int dnsmasq_test(const char *path)
{
	char arg[512];
	pid_t pid;
	int status;

	snprintf(arg, sizeof(arg), "--conf-file=%s", path);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(DNSMASQ, "dnsmasq", "--test", arg, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_dnsmasq(struct tap *t, const char *tmpdir)
{
	struct bp_cfg cfg;
	char err[512], path[512];
	char *text = NULL;
	int ret;

	if (!tap_ok(t, parse(&cfg, cluster_cfg, err, sizeof(err)) == 0,
		    "cluster config parses (%s)", err))
		return;
	ret = bpm_boot_dnsmasq_conf(&cfg, "/etc/bproc/config", BPM_LEASEDIR,
				    false, &text,
				    err, sizeof(err));
	if (!tap_ok(t, ret == 0, "dnsmasq.conf generated (%s)", ret ? err : ""))
		goto out;
	tap_ok(t, has_line(text, "port=0") && has_line(text, "interface=eth0") &&
	       has_line(text, "bind-interfaces") && has_line(text, "user=root") &&
	       has_line(text, "log-dhcp") &&
	       has_line(text, "dhcp-leasefile=/var/lib/bproc/dnsmasq.leases") &&
	       has_line(text, "enable-tftp") &&
	       has_line(text, "tftp-root=/run/bproc/boot"),
	       "global options");
	tap_ok(t, has_line(text, "dhcp-range=10.42.0.100,10.42.0.102,255.255.255.0,infinite") &&
	       has_line(text, "dhcp-range=10.42.0.200,10.42.0.200,255.255.255.0,infinite"),
	       "one dhcp-range per iprange");
	tap_ok(t, has_line(text, "dhcp-host=52:54:00:00:00:10,10.42.0.100,node0,infinite") &&
	       has_line(text, "dhcp-host=52:54:00:00:00:11,set:tftp,10.42.0.101,node1,infinite") &&
	       has_line(text, "dhcp-host=52:54:00:00:00:1a,10.42.0.200,node10,infinite"),
	       "dhcp-host lines with node addresses, set:tftp for tftp nodes");
	tap_ok(t, has_line(text, "dhcp-match=set:ipxe,175") &&
	       has_line(text, "dhcp-boot=tag:ipxe,tag:tftp,boot-tftp.ipxe,,10.42.0.1") &&
	       has_line(text, "dhcp-boot=tag:ipxe,tag:!tftp,http://10.42.0.1/boot-http.ipxe") &&
	       !strstr(text, "undionly"),
	       "iPXE boot file per method, no undionly without one");
	snprintf(path, sizeof(path), "%s/dnsmasq.conf", tmpdir);
	if (access(DNSMASQ, X_OK) == 0 && write_text(path, text) == 0)
		tap_ok(t, dnsmasq_test(path) == 0, "dnsmasq --test accepts it");
	else
		tap_ok(t, false, "dnsmasq --test: %s not found", DNSMASQ);
	free(text);
	text = NULL;
	ret = bpm_boot_dnsmasq_conf(&cfg, "/etc/bproc/config", BPM_LEASEDIR,
				    true, &text,
				    err, sizeof(err));
	tap_ok(t, ret == 0 &&
	       has_line(text, "dhcp-boot=tag:!ipxe,undionly.kpxe,,10.42.0.1"),
	       "undionly.kpxe for PXE ROMs without iPXE when present");
	if (ret == 0 && write_text(path, text) == 0)
		tap_ok(t, dnsmasq_test(path) == 0,
		       "dnsmasq --test accepts it with undionly");
	unlink(path);
out:
	free(text);
	bp_cfg_free(&cfg);
}

static void test_dnsmasq_errors(struct tap *t)
{
	static const struct {
		const char *cfg;
		const char *err;
	} cases[] = {
		{ "iprange 127.0.0.1 127.0.0.1\n",
		  "C: no interface line: the boot service needs one" },
		{ "interface eth0 10.42.0.1/24\niprange 10.42.1.1 10.42.1.2\n",
		  "C:2: iprange 10.42.1.1-10.42.1.2 is not inside the subnet of interface eth0" },
		{ "interface eth0 10.42.0.1/24\niprange 10.42.0.200 10.42.1.2\n",
		  "C:2: iprange 10.42.0.200-10.42.1.2 is not inside the subnet of interface eth0" },
		{ "interface eth0 10.42.0.1/24\niprange 10.42.0.1 10.42.0.9\n",
		  "C:2: iprange 10.42.0.1-10.42.0.9 contains the master's own address" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bp_cfg cfg;
		char err[512] = "";
		char *text = NULL;
		int ret;

		if (parse(&cfg, cases[i].cfg, err, sizeof(err))) {
			tap_ok(t, false, "case %zu parses: %s", i, err);
			continue;
		}
		ret = bpm_boot_dnsmasq_conf(&cfg, "C", BPM_LEASEDIR, false,
					    &text, err, sizeof(err));
		tap_ok(t, ret == -EINVAL && !strcmp(err, cases[i].err),
		       "error: %s%s%s", cases[i].err, ret ? "" : " -- no error",
		       ret && strcmp(err, cases[i].err) ? err : "");
		bp_cfg_free(&cfg);
		free(text);
	}
}

static void test_ipxe(struct tap *t)
{
	static const char tmpl[] =
		"#!ipxe\n"
		"kernel @PROTO@://@SERVER@/bzImage bproc.master=@SERVER@:@PORT@ @BOOTARGS@ @X@ @PORT\n"
		"initrd @PROTO@://@SERVER@/initramfs.cpio.gz\n"
		"boot\n";
	char *out = NULL;
	int ret;

	ret = bpm_boot_ipxe(tmpl, strlen(tmpl), "tftp", "10.42.0.1", 2223,
			    "bproc.shell quiet", &out);
	tap_ok(t, ret == 0 && !strcmp(out,
		"#!ipxe\n"
		"kernel tftp://10.42.0.1/bzImage bproc.master=10.42.0.1:2223 bproc.shell quiet @X@ @PORT\n"
		"initrd tftp://10.42.0.1/initramfs.cpio.gz\n"
		"boot\n"),
	       "template placeholders replaced, other text kept");
	free(out);
}

static void test_boot_files(struct tap *t, const char *tmpdir)
{
	char image[512], boot[512], lease[512], path[600], text[2048];
	char err[768];
	struct bp_cfg cfg;
	char *s;
	int ret;

	snprintf(image, sizeof(image), "%s/image", tmpdir);
	snprintf(boot, sizeof(boot), "%s/srv/boot", tmpdir);
	snprintf(lease, sizeof(lease), "%s/lib/bproc", tmpdir);
	mkdir(image, 0755);
	snprintf(path, sizeof(path), "%s/boot.ipxe.in", image);
	write_text(path, "#!ipxe\nchain @PROTO@://@SERVER@/x bproc.master=@SERVER@:@PORT@\n");
	snprintf(path, sizeof(path), "%s/bzImage", image);
	write_text(path, "kernel bytes");

	snprintf(text, sizeof(text), "%sbootimage %s\nbootdir %s\n",
		 cluster_cfg, image, boot);
	if (!tap_ok(t, parse(&cfg, text, err, sizeof(err)) == 0,
		    "config with bootimage parses (%s)", err))
		return;
	ret = bpm_boot_config(&cfg, "C", lease, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/image/initramfs.cpio.gz: %s", tmpdir,
		 strerror(ENOENT));
	tap_ok(t, ret == -ENOENT && !strcmp(err, path),
	       "a missing initramfs is named (%s)", err);

	snprintf(path, sizeof(path), "%s/initramfs.cpio.gz", image);
	write_text(path, "initramfs bytes");
	ret = bpm_boot_config(&cfg, "C", lease, err, sizeof(err));
	tap_ok(t, ret == 0, "boot files written (%s)", ret ? err : "");
	snprintf(path, sizeof(path), "%s/boot-http.ipxe", boot);
	s = read_text(path);
	tap_ok(t, s && !strcmp(s, "#!ipxe\nchain http://10.42.0.1/x bproc.master=10.42.0.1:2224\n"),
	       "boot-http.ipxe");
	snprintf(path, sizeof(path), "%s/boot-tftp.ipxe", boot);
	s = read_text(path);
	tap_ok(t, s && !strcmp(s, "#!ipxe\nchain tftp://10.42.0.1/x bproc.master=10.42.0.1:2224\n"),
	       "boot-tftp.ipxe");
	snprintf(path, sizeof(path), "%s/bzImage", boot);
	s = read_text(path);
	tap_ok(t, s && !strcmp(s, "kernel bytes"), "bzImage copied");
	snprintf(path, sizeof(path), "%s/initramfs.cpio.gz", boot);
	s = read_text(path);
	tap_ok(t, s && !strcmp(s, "initramfs bytes"), "initramfs copied");
	snprintf(path, sizeof(path), "%s/dnsmasq.conf", boot);
	s = read_text(path);
	tap_ok(t, s && has_line(s, "interface=eth0") && !strstr(s, "undionly"),
	       "dnsmasq.conf written");

	snprintf(path, sizeof(path), "%s/undionly.kpxe", image);
	write_text(path, "undi");
	ret = bpm_boot_config(&cfg, "C", lease, err, sizeof(err));
	snprintf(path, sizeof(path), "%s/dnsmasq.conf", boot);
	s = read_text(path);
	tap_ok(t, ret == 0 && s && strstr(s, "undionly.kpxe"),
	       "undionly.kpxe copied and served when bootimage has it");

	cfg.bootimage[0] = '\0';
	ret = bpm_boot_config(&cfg, "C", lease, err, sizeof(err));
	tap_ok(t, ret == -EINVAL &&
	       !strcmp(err, "C: no bootimage line: the boot service needs one"),
	       "no bootimage line is an error");
	bp_cfg_free(&cfg);
}

int main(void)
{
	char tmpdir[] = "/tmp/bpmaster-test.XXXXXX";
	struct tap t = { 0 };
	char cmd[600];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_dnsmasq(&t, tmpdir);
	test_dnsmasq_errors(&t);
	test_ipxe(&t);
	test_boot_files(&t, tmpdir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "test_boot: could not remove %s\n", tmpdir);
	return tap_done(&t);
}
