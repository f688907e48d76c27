// SPDX-License-Identifier: GPL-2.0
/*
 * nodeinit: PID 1 of a bproc node. Mounts, reads the kernel command
 * line, brings the network up with DHCP, loads bproc.ko, then starts and
 * supervises bpslave, reaps orphans and carries out reboot/halt/poweroff
 * requests. See nodeinit(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <linux/bproc.h>

#include "nodeinit.h"

#define CMDLINE_SIZE	4096

static const char usage_text[] =
	"Usage: nodeinit\n"
	"       nodeinit --dry-run [--cmdline TEXT]\n"
	"\n"
	"PID 1 of a bproc node (installed as /init in the node image). It\n"
	"takes its settings from bproc.* options on the kernel command line;\n"
	"see nodeinit(8).\n"
	"\n"
	"  -n, --dry-run        parse the kernel command line (/proc/cmdline,\n"
	"                       or TEXT), print the settings and exit\n"
	"  -c, --cmdline TEXT   the command line for --dry-run\n"
	"  -h, --help           show this help and exit\n"
	"  -V, --version        show the version and exit\n";

/* ---- the boot sequence ------------------------------------------------ */

/* Make sure fds 0-2 are open, so nothing we open later lands on them. */
static void ensure_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/console", O_RDWR | O_NOCTTY)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

static int console_open(void)
{
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void do_mounts(struct ni_ctx *ctx)
{
	struct ni_mount_error errs[8];
	unsigned int n, i;
	int fd;

	ni_mount_all(errs, 8, &n);
	for (i = 0; i < n && i < 8; i++)
		ni_log(ctx, "cannot %s %s: %s", errs[i].step, errs[i].target,
		       strerror(-errs[i].err));
	if (n > 8)
		ni_log(ctx, "%u more mount errors", n - 8);
	if (!n)
		ni_log(ctx, "mounted /proc /sys /dev /dev/pts /dev/shm /run /tmp");

	/* The devtmpfs console, in case the image had none. */
	fd = console_open();
	if (fd >= 0) {
		close(ctx->console);
		ctx->console = fd;
		ctx->log.fd = fd;
	}
}

static void read_cmdline(struct ni_ctx *ctx)
{
	char buf[CMDLINE_SIZE];
	size_t len = 0;
	unsigned int i;
	int ret;

	ret = ni_read_file("/proc/cmdline", buf, sizeof(buf), &len);
	if (ret) {
		ni_log(ctx, "cannot read /proc/cmdline: %s", strerror(-ret));
		buf[0] = '\0';
		len = 0;
	}
	ni_cmdline_parse(buf, &ctx->cl);
	ctx->debug = ctx->cl.debug;
	ctx->log.verbose = ctx->debug;
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	ni_debug(ctx, "kernel command line: %s", buf);
	for (i = 0; i < ctx->cl.nproblems && i < NI_MAX_PROBLEMS; i++)
		ni_log(ctx, "kernel command line: %s: %s (ignored)",
		       ctx->cl.problems[i].token, ctx->cl.problems[i].why);
	if (ctx->cl.nproblems > NI_MAX_PROBLEMS)
		ni_log(ctx, "kernel command line: %u more bad bproc.* options",
		       ctx->cl.nproblems - NI_MAX_PROBLEMS);
}

/* A clean environment for every child: nothing the kernel passed. */
static void set_environment(void)
{
	clearenv();
	setenv("PATH", NI_PATH, 1);
	setenv("HOME", "/", 1);
	setenv("TERM", "linux", 1);
}

static void load_module(struct ni_ctx *ctx)
{
	const char *step;
	int ret;

	if (ctx->cl.nomodule) {
		ni_log(ctx, "bproc.nomodule: not loading %s", NI_MODULE);
		ctx->module_ok = true;
		return;
	}
	ret = ni_module_load(NI_MODULE, "", &step);
	if (ret == 0) {
		ni_log(ctx, "loaded %s", NI_MODULE);
	} else if (ret == -EEXIST) {
		ni_log(ctx, "%s: bproc module already loaded", NI_MODULE);
		ret = 0;
	} else {
		ni_log(ctx, "cannot load %s: %s: %s%s", NI_MODULE, step,
		       strerror(-ret),
		       ret == -ENOEXEC ? " (built for another kernel? see dmesg)" :
		       !strcmp(step, "finit_module") ? " (see dmesg)" : "");
	}
	ctx->module_ok = ret == 0;
}

static void setup_network(struct ni_ctx *ctx)
{
	struct ni_service *dhcp = &ctx->svc[NI_SVC_UDHCPC];
	/*
	 * Foreground udhcpc under supervision: it retries until it gets a
	 * lease and then renews it; the script applies each lease and writes
	 * /run/bproc/dhcp.env, which we watch.
	 */
	const char *argv[] = {
		NI_UDHCPC, "-f", "-i", ctx->iface, "-s", NI_UDHCPC_SCRIPT,
		"-t", "5", "-T", "2", "-A", "5", NULL
	};
	int ret;

	_Static_assert(sizeof(argv) <= sizeof(dhcp->argv), "udhcpc argv too long");

	ret = ni_link_up("lo");
	if (ret)
		ni_log(ctx, "cannot bring lo up: %s", strerror(-ret));
	ret = ni_wait_iface(ctx->iface, sizeof(ctx->iface), NI_IFACE_WAIT_MS);
	if (ret) {
		ctx->iface[0] = '\0';
		ni_log(ctx, "no Ethernet interface after %u s (%s): no DHCP, no bpslave",
		       NI_IFACE_WAIT_MS / 1000, strerror(-ret));
		return;
	}
	ret = ni_link_up(ctx->iface);
	if (ret)
		ni_log(ctx, "cannot bring %s up: %s", ctx->iface, strerror(-ret));
	memcpy(dhcp->argv, argv, sizeof(argv));
	ni_svc_enable(ctx, dhcp);
}

/*
 * With virtual nodes every bpslave of this kernel has its own cache in the
 * same RAM: half of it shared out among them (alone, bpslave takes a
 * quarter by itself).
 */
static void vnode_cache_size(const struct ni_ctx *ctx, char *buf, size_t size)
{
	struct sysinfo si;
	unsigned long long bytes = 0;

	if (!sysinfo(&si))
		bytes = (unsigned long long)si.totalram * si.mem_unit;
	bytes /= 2ULL * (ctx->cl.vnodes + 1);
	snprintf(buf, size, "%lluK", bytes / 1024 ? bytes / 1024 : 1);
}

/* With @vnode, a virtual node's: --virtual (ni_vnode_exit()). */
static void bpslave_argv(const struct ni_ctx *ctx, struct ni_service *s,
			 const char *cache_size, bool vnode)
{
	int i = 0;

	s->argv[i++] = NI_BPSLAVE;
	if (ctx->debug)
		s->argv[i++] = "--verbose";
	if (vnode)
		s->argv[i++] = "--virtual";
	s->vnode = vnode;
	if (cache_size) {
		s->argv[i++] = "--cache-size";
		s->argv[i++] = cache_size;
	}
	s->argv[i++] = ctx->cl.master;
	s->argv[i] = NULL;
}

/*
 * Virtual nodes, once this node has its own lease: the boot interface is
 * up and the master's DHCP answers. One that cannot be made is logged and
 * left out; the others still start.
 */
static void start_vnodes(struct ni_ctx *ctx)
{
	static const char *const dhcp_argv[] = {
		NI_UDHCPC, "-f", "-i", "eth0", "-s", NI_UDHCPC_SCRIPT,
		"-t", "5", "-T", "2", "-A", "5", NULL
	};
	static char cache_size[24];
	unsigned int i;

	if (!ctx->cl.vnodes || ctx->vnodes)
		return;
	ctx->vnodes = calloc(ctx->cl.vnodes, sizeof(*ctx->vnodes));
	if (!ctx->vnodes) {
		ni_log(ctx, "no memory for %u virtual nodes", ctx->cl.vnodes);
		return;
	}
	vnode_cache_size(ctx, cache_size, sizeof(cache_size));
	i = (unsigned int)ni_vnode_host(ctx->iface, &ctx->vnhost);
	if (i) {
		ctx->vnhost = 0;
		ni_log(ctx, "%s: %s: this node and its virtual nodes cannot reach "
		       "each other", NI_VNODE_HOST, strerror(-(int)i));
	}
	for (i = 1; i <= ctx->cl.vnodes; i++) {
		struct ni_vnode *v = &ctx->vnodes[ctx->nvnodes];
		const char *why;
		int ret;

		ret = ni_vnode_make(ctx->iface, i, &v->netns, &why);
		if (ret) {
			ni_log(ctx, "virtual node %u: %s: %s", i, why, strerror(-ret));
			continue;
		}
		v->index = i;
		snprintf(v->name, sizeof(v->name), "vnode%u", i);
		snprintf(v->env, sizeof(v->env), "BPROC_DHCP_ENV=%s/vnode%u.env",
			 NI_RUN_DIR, i);
		ni_svc_init(ctx, &v->dhcp, v->name, false);
		ni_svc_init(ctx, &v->bpslave, v->name, false);
		memcpy(v->dhcp.argv, dhcp_argv, sizeof(dhcp_argv));
		v->dhcp.env = v->env;
		v->dhcp.netns = v->netns;
		bpslave_argv(ctx, &v->bpslave, cache_size, true);
		v->bpslave.netns = v->netns;
		ctx->nvnodes++;
		ni_svc_enable(ctx, &v->dhcp);
		ni_svc_enable(ctx, &v->bpslave);
	}
	ni_log(ctx, "%u of %u virtual nodes started (cache %s each)",
	       ctx->nvnodes, ctx->cl.vnodes, cache_size);
}

static void start_bpslave(struct ni_ctx *ctx)
{
	struct ni_service *s = &ctx->svc[NI_SVC_BPSLAVE];
	static char cache_size[24];

	if (!ctx->cl.has_master) {
		ni_log(ctx, "no usable bproc.master=ADDR[:PORT] on the kernel command line: not starting bpslave");
		return;
	}
	if (!ctx->module_ok) {
		ni_log(ctx, "bproc.ko is not loaded: not starting bpslave");
		return;
	}
	if (ctx->cl.vnodes)
		vnode_cache_size(ctx, cache_size, sizeof(cache_size));
	bpslave_argv(ctx, s, ctx->cl.vnodes ? cache_size : NULL, false);
	ni_svc_enable(ctx, s);
	start_vnodes(ctx);
}

/* ---- events ----------------------------------------------------------- */

static void lease_changed(struct ni_ctx *ctx)
{
	char buf[2048], server[INET_ADDRSTRLEN] = "unknown", ip[INET_ADDRSTRLEN];
	struct ni_parse_error perr;
	struct ni_lease l;
	size_t len;
	int ret;

	ret = ni_read_file(NI_DHCP_ENV, buf, sizeof(buf), &len);
	if (ret == -ENOENT) {
		if (ctx->have_lease)
			ni_log(ctx, "%s: lease lost, address removed",
			       ctx->lease.iface);
		ctx->have_lease = false;
		return;
	}
	if (ret) {
		ni_log(ctx, "cannot read %s: %s", NI_DHCP_ENV, strerror(-ret));
		return;
	}
	if (ni_dhcpenv_parse(buf, len, &l, &perr)) {
		if (perr.line)
			ni_log(ctx, "%s:%u: %s", NI_DHCP_ENV, perr.line, perr.why);
		else
			ni_log(ctx, "%s: %s", NI_DHCP_ENV, perr.why);
		return;
	}
	inet_ntop(AF_INET, &l.ip, ip, sizeof(ip));
	if (l.has_serverid)
		inet_ntop(AF_INET, &l.serverid, server, sizeof(server));
	if (!ctx->have_lease || !ni_lease_same_address(&ctx->lease, &l) ||
	    ctx->lease.serverid.s_addr != l.serverid.s_addr)
		ni_log(ctx, "%s %s/%u (DHCP server %s)", l.iface, ip, l.mask, server);
	else
		ni_debug(ctx, "%s: lease of %s renewed", l.iface, ip);
	if (l.has_lease)
		ni_debug(ctx, "%s: lease time %u s", l.iface, l.lease);

	if (l.hostname[0] && strcmp(l.hostname, ctx->hostname)) {
		if (sethostname(l.hostname, strlen(l.hostname)))
			ni_log(ctx, "cannot set hostname %s: %s", l.hostname,
			       strerror(errno));
		else
			ni_log(ctx, "hostname %s (from DHCP)", l.hostname);
		strcpy(ctx->hostname, l.hostname);
	}
	ctx->lease = l;
	ctx->have_lease = true;
	if (!ctx->ever_leased) {
		ctx->ever_leased = true;
		start_bpslave(ctx);
	}
}

/*
 * A virtual node's lease (its udhcpc wrote /run/bproc/vnodeJ.env): route
 * its address through vnhost, so this node reaches it (vnode.c).
 */
static void vnode_lease(struct ni_ctx *ctx, const char *name)
{
	char buf[2048], path[64];
	struct ni_parse_error perr;
	struct ni_lease l;
	unsigned int j;
	size_t len;
	int ret, n = 0;

	if (sscanf(name, "vnode%u.env%n", &j, &n) != 1 || name[n] ||
	    !ctx->vnhost || !ctx->have_lease)
		return;
	for (unsigned int i = 0; i < ctx->nvnodes; i++) {
		struct ni_vnode *v = &ctx->vnodes[i];

		if (v->index != j)
			continue;
		snprintf(path, sizeof(path), "%s/%s", NI_RUN_DIR, name);
		if (ni_read_file(path, buf, sizeof(buf), &len) ||
		    ni_dhcpenv_parse(buf, len, &l, &perr) ||
		    l.ip.s_addr == v->routed.s_addr)
			return;
		ret = ni_vnode_route(ctx->vnhost, l.ip, ctx->lease.ip);
		if (ret)
			ni_log(ctx, "%s: cannot route %s via %s: %s", v->name,
			       inet_ntoa(l.ip), NI_VNODE_HOST, strerror(-ret));
		else
			v->routed = l.ip;
		return;
	}
}

static void handle_inotify(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct ni_ctx *ctx = bp_container_of(l, struct ni_ctx, loop);
	int fd = io->fd;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (p < buf + n) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->len && !strcmp(ev->name, NI_DHCP_ENV_NAME))
				changed = true;
			else if (ev->len && (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)))
				vnode_lease(ctx, ev->name);
			if (ev->mask & IN_Q_OVERFLOW)
				changed = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (changed)
		lease_changed(ctx);
}

static void handle_signal(struct bp_loop *l, struct bp_sig *sig,
			  const struct signalfd_siginfo *si)
{
	struct ni_ctx *ctx = bp_container_of(l, struct ni_ctx, loop);
	enum ni_power_cmd cmd = NI_POWER_NONE;
	char why[64];

	switch (si->ssi_signo) {
	case SIGTERM:
		cmd = NI_POWER_REBOOT;
		break;
	case SIGINT:
		cmd = NI_POWER_REBOOT;	/* Ctrl-Alt-Del */
		break;
	case SIGUSR1:
		cmd = NI_POWER_HALT;
		break;
	case SIGUSR2:
		cmd = NI_POWER_OFF;
		break;
	case SIGCHLD:
		ni_reap(ctx);
		break;
	default:
		ni_debug(ctx, "ignoring %s from pid %u",
			 strsignal((int)si->ssi_signo), si->ssi_pid);
		break;
	}
	if (cmd != NI_POWER_NONE) {
		snprintf(why, sizeof(why), "SIG%s from pid %u",
			 sigabbrev_np((int)si->ssi_signo), si->ssi_pid);
		ni_power(ctx, cmd, why);
	}
}

/* The signals we handle, blocked: they arrive through the loop. */
static int watch_signals(struct ni_ctx *ctx, struct bp_sig *sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	return bp_sig_add(&ctx->loop, sig, &set, handle_signal);
}

static void __attribute__((noreturn)) run_init(void)
{
	struct ni_ctx ctx = { 0 };
	struct bp_io inotify;
	struct bp_sig sig;
	struct utsname uts;
	int ifd, ret;

	ensure_std_fds();
	ctx.console = fcntl(2, F_DUPFD_CLOEXEC, 3);
	bp_log_init(&ctx.log, NI_NAME, ctx.console, BP_LOG_STAMP_MONO);
	umask(022);
	if (chdir("/"))
		ni_log(&ctx, "chdir /: %s", strerror(errno));
	uname(&uts);
	ni_log(&ctx, "starting (bproc ABI %d, Linux %s)", BPROC_ABI_VERSION,
	       uts.release);

	ret = bp_loop_init(&ctx.loop);
	if (!ret)
		ret = watch_signals(&ctx, &sig);
	if (ret) {
		/* Nothing works without it; a fresh boot is the best bet. */
		ni_log(&ctx, "event loop: %s: rebooting in 10 s", strerror(-ret));
		sleep(10);
		ni_power_now(&ctx, NI_POWER_REBOOT);
	}
	if (reboot(RB_DISABLE_CAD))
		ni_log(&ctx, "cannot route Ctrl-Alt-Del to SIGINT: %s", strerror(errno));

	do_mounts(&ctx);
	read_cmdline(&ctx);
	if (ctx.cl.probe) {
		dprintf(ctx.console, "bproc-probe: ok\n");
		ni_power_now(&ctx, NI_POWER_OFF);
	}
	set_environment();
	ni_svc_init(&ctx, &ctx.svc[NI_SVC_UDHCPC], "udhcpc", false);
	ni_svc_init(&ctx, &ctx.svc[NI_SVC_BPSLAVE], "bpslave", false);
	ni_svc_init(&ctx, &ctx.svc[NI_SVC_SHELL], "shell", true);

	if (ctx.cl.shell) {
		ctx.svc[NI_SVC_SHELL].argv[0] = NI_SHELL;
		ni_svc_enable(&ctx, &ctx.svc[NI_SVC_SHELL]);
	}
	if (ctx.cl.pid_max) {
		ret = ni_set_pid_max(ctx.cl.pid_max);
		if (ret)
			ni_log(&ctx, "cannot set kernel.pid_max to %u: %s",
			       ctx.cl.pid_max, strerror(-ret));
		else
			ni_log(&ctx, "kernel.pid_max = %u", ctx.cl.pid_max);
	}

	/* Watch for leases before the DHCP client can write one. */
	bp_io_init(&inotify, handle_inotify);
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	ret = ifd < 0 ? -errno : 0;
	if (!ret && inotify_add_watch(ifd, NI_RUN_DIR, IN_CLOSE_WRITE |
				      IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0)
		ret = -errno;
	if (!ret)
		ret = bp_io_add(&ctx.loop, &inotify, ifd, EPOLLIN);
	if (ret) {
		if (ifd >= 0)
			close(ifd);
		ni_log(&ctx, "cannot watch %s: %s: leases will go unnoticed",
		       NI_RUN_DIR, strerror(-ret));
	}
	setup_network(&ctx);
	load_module(&ctx);
	lease_changed(&ctx);
	for (;;) {
		ret = bp_loop_run(&ctx.loop);
		ni_log(&ctx, "event loop: %s", strerror(-ret));
		sleep(1);
	}
}

/* ---- not PID 1 -------------------------------------------------------- */

static int dry_run(const char *text)
{
	char buf[CMDLINE_SIZE];
	struct ni_cmdline cl;
	unsigned int i;
	size_t len;
	int ret;

	if (!text) {
		ret = ni_read_file("/proc/cmdline", buf, sizeof(buf), &len);
		if (ret) {
			fprintf(stderr, "nodeinit: /proc/cmdline: %s\n", strerror(-ret));
			return 1;
		}
		text = buf;
	}
	ret = ni_cmdline_parse(text, &cl);
	printf("master    %s\n", cl.has_master ? cl.master : "(none: bpslave will not start)");
	printf("probe     %s\n", cl.probe ? "yes" : "no");
	printf("nomodule  %s\n", cl.nomodule ? "yes" : "no");
	printf("debug     %s\n", cl.debug ? "yes" : "no");
	printf("shell     %s\n", cl.shell ? "yes" : "no");
	printf("vnodes    %u\n", cl.vnodes);
	if (cl.pid_max)
		printf("pid_max   %u\n", cl.pid_max);
	else
		printf("pid_max   (kernel default)\n");
	for (i = 0; i < cl.nproblems && i < NI_MAX_PROBLEMS; i++)
		fprintf(stderr, "nodeinit: %s: %s\n", cl.problems[i].token,
			cl.problems[i].why);
	if (cl.nproblems > NI_MAX_PROBLEMS)
		fprintf(stderr, "nodeinit: %u more bad bproc.* options\n",
			cl.nproblems - NI_MAX_PROBLEMS);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *text = NULL;
	bool dry = false;
	int c;

	/*
	 * As PID 1 the arguments are whatever the kernel did not recognise
	 * on its command line: never treat them as options.
	 */
	if (getpid() == 1)
		run_init();

	while ((c = getopt_long(argc, argv, "nc:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry = true;
			break;
		case 'c':
			text = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("nodeinit (bproc ABI %d)\n", BPROC_ABI_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nodeinit: unexpected argument '%s'\n", argv[optind]);
		return 1;
	}
	if (text && !dry) {
		fprintf(stderr, "nodeinit: --cmdline needs --dry-run\n");
		return 1;
	}
	if (!dry) {
		fprintf(stderr, "nodeinit: not PID 1: this is the init of a bproc node (try --dry-run)\n");
		return 1;
	}
	return dry_run(text);
}
