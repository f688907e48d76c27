// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the /etc/bproc/config parser: a full file, node
 * numbering, defaults and one case per error with its exact message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bproc.h>

#include "bp_config.h"
#include "bproc-test/tap.h"

static uint32_t ip(const char *s)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		abort();
	return ntohl(in.s_addr);
}

static int parse(struct bp_cfg *cfg, const char *text, char *err, size_t len)
{
	return bp_cfg_parse(cfg, text, strlen(text), "cfg", err, len);
}

static void test_full(struct tap *t)
{
	static const char text[] =
		"# bproc cluster\n"
		"interface eth0 10.42.0.1/24   # boot network\n"
		"port 3000\n"
		"\n"
		"iprange 10.42.0.100 10.42.0.103\n"
		"iprange 10 10.42.0.200 10.42.0.201\n"
		"iprange 10.42.0.150 10.42.0.150\t\r\n"
		"node 0 52:54:00:00:00:10\n"
		"node 1 52:54:00:AB:cd:11 tftp\n"
		"node 11 52:54:00:00:00:12 http\n"
		"pinginterval 2\n"
		"pingtimeout 9\n"
		"bootimage /usr/lib/bproc/boot\n"
		"bootargs bproc.shell  quiet loglevel=4\n"
		"libraries /usr/lib/x86_64-linux-gnu/gconv /etc/nsswitch.conf\n"
		"libraries /usr/lib/locale\n"
		"nodeperm 0-11 0110 root 0\n"
		"nodeperm 1 0100 4242\n"
		"nodeup /etc/bproc/node_up.d\n"
		"nodeuptimeout 300\n"
		"bootdir /srv/boot";
	struct bp_cfg cfg;
	char err[256];
	uint32_t a = 0;
	int ret = parse(&cfg, text, err, sizeof(err));

	if (!tap_ok(t, ret == 0, "full example parses (%s)", err))
		return;
	tap_ok(t, cfg.has_interface && !strcmp(cfg.ifname, "eth0") &&
	       cfg.if_addr == ip("10.42.0.1") && cfg.if_prefix == 24 &&
	       bp_cfg_netmask(&cfg) == ip("255.255.255.0"),
	       "interface eth0 10.42.0.1/24");
	tap_ok(t, cfg.port == 3000, "port 3000");
	tap_ok(t, cfg.ping_interval == 2 && cfg.ping_timeout == 9,
	       "pinginterval 2, pingtimeout 9");
	tap_ok(t, !strcmp(cfg.bootimage, "/usr/lib/bproc/boot") &&
	       !strcmp(cfg.bootdir, "/srv/boot"), "bootimage and bootdir");
	{
		uint32_t m0, u0, g0, m1, u1, g1, m12, u12, g12;

		bp_cfg_node_perm(&cfg, 0, &m0, &u0, &g0);
		bp_cfg_node_perm(&cfg, 1, &m1, &u1, &g1);
		bp_cfg_node_perm(&cfg, 12, &m12, &u12, &g12);
		tap_ok(t, cfg.nperms == 2 && m0 == 0110 && u0 == 0 && g0 == 0 &&
		       m1 == 0100 && u1 == 4242 && g1 == 0 &&
		       m12 == 0111 && u12 == 0 && g12 == 0,
		       "nodeperm: ranges, names and numbers, the last line wins, root:root 0111 elsewhere");
	}
	tap_ok(t, !strcmp(cfg.nodeup, "/etc/bproc/node_up.d") &&
	       cfg.nodeup_timeout == 300, "nodeup and nodeuptimeout");
	tap_ok(t, !strcmp(cfg.bootargs, "bproc.shell quiet loglevel=4"),
	       "bootargs joined by single spaces");
	tap_ok(t, cfg.nlibraries == 3 &&
	       !strcmp(cfg.libraries[0], "/usr/lib/x86_64-linux-gnu/gconv") &&
	       !strcmp(cfg.libraries[2], "/usr/lib/locale"),
	       "libraries, from two lines, in order");
	tap_ok(t, cfg.nranges == 3 && cfg.ranges[0].first_node == 0 &&
	       cfg.ranges[1].first_node == 10 &&
	       cfg.ranges[2].first_node == 12 && cfg.ranges[2].line == 7,
	       "iprange numbering: 0-3, 10-11, then the next unused 12");
	tap_ok(t, cfg.node_count == 13, "node count is highest node + 1 (%u)",
	       cfg.node_count);
	tap_ok(t, bp_cfg_node_of_addr(&cfg, ip("10.42.0.100")) == 0 &&
	       bp_cfg_node_of_addr(&cfg, ip("10.42.0.103")) == 3 &&
	       bp_cfg_node_of_addr(&cfg, ip("10.42.0.201")) == 11 &&
	       bp_cfg_node_of_addr(&cfg, ip("10.42.0.150")) == 12,
	       "node numbers from addresses");
	tap_ok(t, bp_cfg_node_of_addr(&cfg, ip("10.42.0.104")) == -ENOENT &&
	       bp_cfg_node_of_addr(&cfg, ip("10.42.0.1")) == -ENOENT &&
	       bp_cfg_node_of_addr(&cfg, ip("10.42.0.99")) == -ENOENT,
	       "addresses outside every range have no node");
	tap_ok(t, bp_cfg_addr_of_node(&cfg, 11, &a) == 0 &&
	       a == ip("10.42.0.201") &&
	       bp_cfg_addr_of_node(&cfg, 4, &a) == -ENOENT &&
	       bp_cfg_addr_of_node(&cfg, 13, &a) == -ENOENT,
	       "addresses from node numbers; nodes 4-9 have none");
	tap_ok(t, cfg.nnodes == 3 && bp_cfg_node_find(&cfg, 1) &&
	       bp_cfg_node_find(&cfg, 1)->boot == BP_BOOT_TFTP &&
	       !memcmp(bp_cfg_node_find(&cfg, 1)->hwaddr,
		       "\x52\x54\x00\xab\xcd\x11", 6) &&
	       bp_cfg_node_find(&cfg, 0)->boot == BP_BOOT_HTTP &&
	       bp_cfg_node_find(&cfg, 11)->boot == BP_BOOT_HTTP &&
	       !bp_cfg_node_find(&cfg, 2),
	       "node lines: hardware addresses and boot methods");
	bp_cfg_free(&cfg);
}

static void test_defaults(struct tap *t)
{
	struct bp_cfg cfg;
	char err[256];
	int ret = parse(&cfg, "iprange 127.0.0.1 127.0.0.1\n", err, sizeof(err));

	if (!tap_ok(t, ret == 0, "minimal config parses (%s)", err))
		return;
	tap_ok(t, cfg.port == BPROC_DEFAULT_PORT && cfg.ping_interval == 5 &&
	       cfg.ping_timeout == 30 && !strcmp(cfg.bootdir, "/run/bproc/boot") &&
	       !cfg.bootimage[0] && !cfg.has_interface && cfg.node_count == 1 &&
	       !cfg.bootargs[0] && !cfg.nodeup[0] && cfg.nodeup_timeout == 60,
	       "defaults: port 2223, ping 5/30 s, bootdir /run/bproc/boot, no node_up step (60 s each)");
	bp_cfg_free(&cfg);

	{
		char text[1024] = "iprange 10.0.0.1 10.0.0.2\nbootargs";
		size_t len = strlen(text);

		for (int i = 0; i < 8; i++) {
			memset(text + len, ' ', 1);
			memset(text + len + 1, 'a' + i, 70);
			len += 71;
		}
		strcpy(text + len, "\n");
		ret = parse(&cfg, text, err, sizeof(err));
		tap_ok(t, ret == -EINVAL &&
		       !strcmp(err, "cfg:2: bootargs are longer than 511 bytes"),
		       "bootargs longer than 511 bytes refused (%s)", err);
	}

	ret = parse(&cfg, "iprange 4095 10.0.0.1 10.0.0.1\n", err, sizeof(err));
	tap_ok(t, ret == 0 && cfg.node_count == BPROC_NODES_MAX,
	       "a range ending at node 4095 is allowed");
	bp_cfg_free(&cfg);
	ret = parse(&cfg, "iprange 10.0.0.1 10.0.16.0\n", err, sizeof(err));
	tap_ok(t, ret == 0 && cfg.node_count == 4096,
	       "a 4096-address range is allowed");
	bp_cfg_free(&cfg);
}

static void test_errors(struct tap *t)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "", "cfg: no iprange line: no node addresses are configured" },
		{ "# nothing\n\n", "cfg: no iprange line: no node addresses are configured" },
		{ "bogus 1\n", "cfg:1: unknown keyword 'bogus'" },
		{ "Port 1\n", "cfg:1: unknown keyword 'Port'" },
		{ "port\n", "cfg:1: missing arguments for port: expected 'port N'" },
		{ "port 1 2\n", "cfg:1: too many arguments for port: expected 'port N'" },
		{ "port 0\n", "cfg:1: port '0' is not a number from 1 to 65535" },
		{ "libraries lib/x\n",
		  "cfg:1: libraries: 'lib/x' is not an absolute path under 256 bytes" },
		{ "libraries\n",
		  "cfg:1: missing arguments for libraries: expected 'libraries PATH...'" },
		{ "port 65536\n", "cfg:1: port '65536' is not a number from 1 to 65535" },
		{ "port -1\n", "cfg:1: port '-1' is not a number from 1 to 65535" },
		{ "port 22x\n", "cfg:1: port '22x' is not a number from 1 to 65535" },
		{ "port 99999999999999999999\n",
		  "cfg:1: port '99999999999999999999' is not a number from 1 to 65535" },
		{ "port 1\nport 2\n", "cfg:2: port is already given at line 1" },
		{ "bootargs\n", "cfg:1: missing arguments for bootargs: expected 'bootargs WORD...'" },
		{ "bootargs a\nbootargs b\n", "cfg:2: bootargs is already given at line 1" },
		{ "bootargs a=\"b\n",
		  "cfg:1: bootargs word 'a=\"b' has a character a kernel command line cannot carry here" },
		{ "bootargs ${x}\n",
		  "cfg:1: bootargs word '${x}' has a character a kernel command line cannot carry here" },
		{ "bootargs quiet bproc.master=1.2.3.4:5\n",
		  "cfg:1: bootargs may not set bproc.master=: the boot script sets it" },
		{ "interface eth0\n",
		  "cfg:1: missing arguments for interface: expected 'interface IFNAME ADDR/PREFIX'" },
		{ "interface eth0 10.0.0.1\n",
		  "cfg:1: interface address '10.0.0.1' lacks a /PREFIX" },
		{ "interface eth0 10.0.0.1/33\n",
		  "cfg:1: prefix length '33' is not a number from 1 to 32" },
		{ "interface eth0 10.0.0.1/0\n",
		  "cfg:1: prefix length '0' is not a number from 1 to 32" },
		{ "interface eth0 10.0.0/24\n",
		  "cfg:1: interface address '10.0.0' is not an IPv4 address" },
		{ "interface eth0 0.0.0.0/8\n",
		  "cfg:1: interface address '0.0.0.0' is not a usable host address" },
		{ "interface averyveryverylongname 10.0.0.1/8\n",
		  "cfg:1: interface name 'averyveryverylongname' is longer than 15 bytes" },
		{ "interface a/b 10.0.0.1/8\n", "cfg:1: 'a/b' is not an interface name" },
		{ "iprange 10.0.0.1\n",
		  "cfg:1: missing arguments for iprange: expected 'iprange [FIRSTNODE] START END'" },
		{ "iprange 1 2 3 4\n",
		  "cfg:1: too many arguments for iprange: expected 'iprange [FIRSTNODE] START END'" },
		{ "iprange 10.0.0.9 10.0.0.1\n",
		  "cfg:1: iprange start 10.0.0.9 is after its end 10.0.0.1" },
		{ "iprange 10.0.0.1 10.0.0.300\n",
		  "cfg:1: iprange end '10.0.0.300' is not an IPv4 address" },
		{ "iprange fe80::1 10.0.0.3\n",
		  "cfg:1: iprange start 'fe80::1' is not an IPv4 address" },
		{ "iprange 224.0.0.1 224.0.0.2\n",
		  "cfg:1: iprange start '224.0.0.1' is not a usable host address" },
		{ "iprange 4096 10.0.0.1 10.0.0.2\n",
		  "cfg:1: first node '4096' is not a number from 0 to 4095" },
		{ "iprange 4095 10.0.0.1 10.0.0.2\n",
		  "cfg:1: iprange 10.0.0.1-10.0.0.2 numbers nodes 4095-4096, above the limit of 4095" },
		{ "iprange 10.0.0.1 10.1.0.0\n",
		  "cfg:1: iprange 10.0.0.1-10.1.0.0 numbers nodes 0-65535, above the limit of 4095" },
		{ "iprange 10.0.0.10 10.0.0.20\niprange 10.0.0.20 10.0.0.30\n",
		  "cfg:2: iprange 10.0.0.20-10.0.0.30 overlaps the addresses 10.0.0.10-10.0.0.20 of line 1" },
		{ "iprange 10.0.0.10 10.0.0.20\niprange 10.0.0.1 10.0.0.40\n",
		  "cfg:2: iprange 10.0.0.1-10.0.0.40 overlaps the addresses 10.0.0.10-10.0.0.20 of line 1" },
		{ "iprange 10.0.0.10 10.0.0.20\niprange 5 10.0.1.1 10.0.1.2\n",
		  "cfg:2: iprange nodes 5-6 overlap nodes 0-10 of line 1" },
		{ "iprange 1 10.0.0.1 10.0.0.2\nnode 0 52:54:00:00:00:01\n",
		  "cfg:2: node 0 has no address: no iprange covers it" },
		{ "iprange 10.0.0.1 10.0.0.2\nnode 2 52:54:00:00:00:01\n",
		  "cfg:2: node 2 has no address: no iprange covers it" },
		{ "node 0 52:54:00:00:00\n",
		  "cfg:1: '52:54:00:00:00' is not a hardware address like 52:54:00:12:34:56" },
		{ "node 0 52:54:00:00:00:0g\n",
		  "cfg:1: '52:54:00:00:00:0g' is not a hardware address like 52:54:00:12:34:56" },
		{ "node 0 52-54-00-00-00-01\n",
		  "cfg:1: '52-54-00-00-00-01' is not a hardware address like 52:54:00:12:34:56" },
		{ "node 0 52:54:00:00:00:01:02\n",
		  "cfg:1: '52:54:00:00:00:01:02' is not a hardware address like 52:54:00:12:34:56" },
		{ "node 0 01:00:5e:00:00:01\n",
		  "cfg:1: hardware address 01:00:5e:00:00:01 is a multicast address" },
		{ "node 0 52:54:00:00:00:01 pxe\n",
		  "cfg:1: boot method 'pxe' is neither http nor tftp" },
		{ "node x 52:54:00:00:00:01\n",
		  "cfg:1: node 'x' is not a number from 0 to 4095" },
		{ "node 1 52:54:00:00:00:01\nnode 1 52:54:00:00:00:02\n",
		  "cfg:2: node 1 is already given at line 1" },
		{ "node 1 52:54:00:00:00:01\nnode 2 52:54:00:00:00:01\n",
		  "cfg:2: hardware address 52:54:00:00:00:01 is already node 1's (line 1)" },
		{ "pinginterval 0\n",
		  "cfg:1: pinginterval '0' is not a number of seconds from 1 to 3600" },
		{ "pingtimeout 3601\n",
		  "cfg:1: pingtimeout '3601' is not a number of seconds from 1 to 3600" },
		{ "iprange 10.0.0.1 10.0.0.2\npingtimeout 5\n",
		  "cfg:2: pingtimeout (5 s) must be longer than pinginterval (5 s)" },
		{ "iprange 10.0.0.1 10.0.0.2\n\npinginterval 40\n",
		  "cfg:3: pingtimeout (30 s) must be longer than pinginterval (40 s)" },
		{ "bootdir run/boot\n", "cfg:1: bootdir 'run/boot' is not an absolute path" },
		{ "nodeup node_up.d\n", "cfg:1: nodeup 'node_up.d' is not an absolute path" },
		{ "nodeperm 3-1 0111\n", "cfg:1: nodeperm nodes 3-1: the last is before the first" },
		{ "nodeperm x 0111\n",
		  "cfg:1: nodeperm nodes 'x' are not N or N-M with numbers from 0 to 4095" },
		{ "nodeperm 1 0800\n", "cfg:1: nodeperm mode '0800' is not an octal mode from 0 to 0777" },
		{ "nodeperm 1 1777\n", "cfg:1: nodeperm mode '1777' is not an octal mode from 0 to 0777" },
		{ "nodeperm 1 0111 no-such-user-xyz\n",
		  "cfg:1: nodeperm owner 'no-such-user-xyz' is neither a number nor a known name" },
		{ "nodeperm 1 0111 0 no-such-group-xyz\n",
		  "cfg:1: nodeperm group 'no-such-group-xyz' is neither a number nor a known name" },
		{ "nodeuptimeout 0\n",
		  "cfg:1: nodeuptimeout '0' is not a number of seconds from 1 to 3600" },
		{ "nodeup /a\nnodeup /b\n", "cfg:2: nodeup is already given at line 1" },
		{ "bootimage\n",
		  "cfg:1: missing arguments for bootimage: expected 'bootimage DIR'" },
		{ "bootimage /a /b\n",
		  "cfg:1: too many arguments for bootimage: expected 'bootimage DIR'" },
		{ "a b c d e f g h i j\n", "cfg:1: too many words" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bp_cfg cfg;
		char err[256] = "";
		int ret = parse(&cfg, cases[i].text, err, sizeof(err));

		tap_ok(t, ret == -EINVAL && !strcmp(err, cases[i].err) &&
		       !cfg.ranges && !cfg.nodes,
		       "error: %s%s%s", cases[i].err,
		       strcmp(err, cases[i].err) ? " -- got: " : "",
		       strcmp(err, cases[i].err) ? err : "");
	}
}

static void test_bytes(struct tap *t)
{
	struct bp_cfg cfg;
	char err[256];
	char big[2048];
	int ret;

	ret = bp_cfg_parse(&cfg, "port 1\n\0port 2\n", 15, "cfg", err, sizeof(err));
	tap_ok(t, ret == -EINVAL && !strcmp(err, "cfg:2: NUL byte in line"),
	       "a NUL byte is refused with its line (%s)", err);
	memset(big, 'x', sizeof(big));
	ret = bp_cfg_parse(&cfg, big, sizeof(big), "cfg", err, sizeof(err));
	tap_ok(t, ret == -EINVAL &&
	       !strcmp(err, "cfg:1: line is longer than 1023 bytes"),
	       "an overlong line is refused (%s)", err);
	ret = bp_cfg_parse(&cfg, "iprange 10.0.0.1 10.0.0.2", 25, "cfg", err, 8);
	tap_ok(t, ret == 0, "last line without a newline");
	bp_cfg_free(&cfg);
	ret = bp_cfg_parse(&cfg, "bogus", 5, "cfg", err, 8);
	tap_ok(t, ret == -EINVAL && !strcmp(err, "cfg:1: "),
	       "a short error buffer is truncated, not overrun");
}

static void test_load(struct tap *t)
{
	char path[] = "/tmp/bp-config-test.XXXXXX";
	static const char text[] = "iprange 10.0.0.1 10.0.0.5\nport x\n";
	struct bp_cfg cfg;
	char err[512], want[600];
	int fd = mkstemp(path);
	int ret;

	if (fd < 0 || write(fd, text, sizeof(text) - 1) != sizeof(text) - 1) {
		tap_ok(t, false, "temporary file: %s", strerror(errno));
		return;
	}
	close(fd);
	ret = bp_cfg_load(&cfg, path, err, sizeof(err));
	snprintf(want, sizeof(want),
		 "%s:2: port 'x' is not a number from 1 to 65535", path);
	tap_ok(t, ret == -EINVAL && !strcmp(err, want),
	       "load names the file and line (%s)", err);
	unlink(path);
	ret = bp_cfg_load(&cfg, path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	tap_ok(t, ret == -ENOENT && !strcmp(err, want),
	       "a missing file is -ENOENT (%s)", err);
}

int main(void)
{
	struct tap t = { 0 };

	test_full(&t);
	test_defaults(&t);
	test_errors(&t);
	test_bytes(&t);
	test_load(&t);
	return tap_done(&t);
}
