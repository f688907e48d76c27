// SPDX-License-Identifier: GPL-2.0
/*
 * bpmaster: the bproc master daemon (bpmaster(8)).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include "bpmaster.h"

static const char *prog = "bpmaster";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-f] [-v] [-c CONFIG]\n"
		"       %s -B [-c CONFIG]\n"
		"       %s -K [-c CONFIG]\n"
		"The bproc master daemon: admits nodes, keeps the node table.\n"
		"\n"
		"  -c, --config FILE    configuration (default " BP_CFG_PATH ")\n"
		"  -f, --foreground     stay in the foreground, log to stderr\n"
		"  -v, --verbose        log connections, messages and pings\n"
		"  -B, --boot-config    write the boot service files into bootdir\n"
		"                       and exit\n"
		"  -K, --keygen         add a new generation to the cluster key\n"
		"                       file (keyfile; created if missing) and exit;\n"
		"                       SIGHUP then moves every node to it\n"
		"  -h, --help           this help\n"
		"  -V, --version        version\n",
		prog, prog, prog);
}

static void handle_signal(struct bp_loop *l, struct bp_sig *sig,
			  const struct signalfd_siginfo *si)
{
	struct bpm *m = bp_container_of(l, struct bpm, loop);

	switch (si->ssi_signo) {
	case SIGHUP:
		bpm_log(m, LOG_NOTICE, "SIGHUP: rereading %s", m->cfg_path);
		bpm_reload(m);
		break;
	case SIGTERM:
	case SIGINT:
		bpm_log(m, LOG_NOTICE, "%s: exiting",
			si->ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
		bp_loop_stop(l, 0);
		break;
	}
}

static int setup_signals(struct bpm *m)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	return bp_sig_add(&m->loop, &m->sig, &set, handle_signal);
}

/* Received messages by wire type, from each part's rows. */
static void setup_dispatch(struct bpm *m)
{
	static const struct bpm_handler *const parts[] = {
		bpm_session_handlers, bpm_auth_handlers, bpm_proc_handlers,
	};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (const struct bpm_handler *h = parts[i]; h->fn; h++)
			m->handlers[h->type] = h;
	m->node_lost = bpm_session_lost;
}

static int run(struct bpm *m)
{
	int ret = bp_loop_run(&m->loop);

	while (m->conns)
		bpm_conn_close(m, m->conns, BP_REASON_SHUTDOWN,
			       "master shutting down");
	bpm_reap(m);
	return ret;
}

static int boot_config(const char *cfg_path)
{
	struct bp_cfg cfg;
	char err[768];
	int ret;

	ret = bp_cfg_load(&cfg, cfg_path, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	ret = bpm_boot_config(&cfg, cfg_path, BPM_LEASEDIR, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: boot config: %s\n", prog, err);
		bp_cfg_free(&cfg);
		return 1;
	}
	/* For bproc-bootd: what it needs to start the servers. */
	printf("bootdir=%s\n", cfg.bootdir);
	printf("interface=%s\n", cfg.ifname);
	printf("address=%u.%u.%u.%u\n", cfg.if_addr >> 24,
	       (cfg.if_addr >> 16) & 0xff, (cfg.if_addr >> 8) & 0xff,
	       cfg.if_addr & 0xff);
	printf("dnsmasq_conf=%s/dnsmasq.conf\n", cfg.bootdir);
	bp_cfg_free(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config",		required_argument,	NULL, 'c' },
		{ "foreground",		no_argument,		NULL, 'f' },
		{ "verbose",		no_argument,		NULL, 'v' },
		{ "boot-config",	no_argument,		NULL, 'B' },
		{ "keygen",		no_argument,		NULL, 'K' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "version",		no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct bpm m = {
		.cfg_path = BP_CFG_PATH,
		.bproc_fd = -1,
	};
	bool foreground = false, boot = false, keygen = false;
	struct bproc_master_cfg mc;
	struct rlimit rl;
	char err[768];
	int c, ret, listen_fd;

	bp_log_init(&m.log, prog, 2, BP_LOG_STAMP_UTC);
	while ((c = getopt_long(argc, argv, "c:fvBKhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			m.cfg_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			m.log.verbose = true;
			break;
		case 'B':
			boot = true;
			break;
		case 'K':
			keygen = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("%s %s (protocol %d)\n", prog, BPM_VERSION,
			       BP_WIRE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		usage(stderr);
		return 1;
	}
	if (boot)
		return boot_config(m.cfg_path);
	if (keygen && optind != argc)
		return 1;

	ret = bp_cfg_load(&m.cfg, m.cfg_path, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	if (keygen)
		return bpm_keygen(m.cfg.keyfile);
	/* The cluster key: made at the first start (the cluster's set-up). */
	if (m.cfg.auth_none)
		bpm_log(&m, LOG_WARNING,
			"auth none: nodes are admitted by their address alone (docs/security.md)");
	else if (bpm_auth_load(&m, m.cfg.keyfile, &m.keys, true))
		return 1;
	m.bproc_fd = open("/dev/bproc", O_RDWR | O_CLOEXEC);
	if (m.bproc_fd < 0) {
		fprintf(stderr, "%s: /dev/bproc: %s%s\n", prog, strerror(errno),
			errno == ENOENT ? " (is the bproc module loaded?)" : "");
		return 1;
	}
	mc.size = sizeof(mc);
	mc.nodes = m.cfg.node_count;
	if (ioctl(m.bproc_fd, BPROC_IOC_MASTER, &mc) < 0) {
		fprintf(stderr, "%s: /dev/bproc: BPROC_IOC_MASTER: %s%s\n", prog,
			strerror(errno),
			errno == EBUSY ? " (another bpmaster is running)" : "");
		return 1;
	}
	ret = bpm_nodes_init(&m);
	if (ret) {
		fprintf(stderr, "%s: node table: %s\n", prog, strerror(-ret));
		return 1;
	}
	/* One socket per node: up to 4096 nodes need more than 1024 fds. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ret = bpm_listen(m.cfg.port, &listen_fd);
	if (ret) {
		fprintf(stderr, "%s: TCP port %u: %s\n", prog, m.cfg.port,
			strerror(-ret));
		return 1;
	}
	/*
	 * Daemonize before the signalfd and epoll exist: a signalfd watched
	 * by epoll reports the signals of the process that added it.
	 */
	if (!foreground) {
		if (daemon(0, 0)) {
			fprintf(stderr, "%s: daemon: %s\n", prog, strerror(errno));
			return 1;
		}
		bp_log_to_syslog(&m.log);
	}
	ret = bp_loop_init(&m.loop);
	if (ret) {
		bpm_log(&m, LOG_ERR, "epoll: %s", strerror(-ret));
		return 1;
	}
	ret = setup_signals(&m);
	if (ret) {
		bpm_log(&m, LOG_ERR, "signals: %s", strerror(-ret));
		return 1;
	}
	setup_dispatch(&m);
	bpm_conn_init(&m);
	ret = bpm_listen_watch(&m, listen_fd, &c);
	if (ret) {
		bpm_log(&m, LOG_ERR, "epoll: %s", strerror(-ret));
		return 1;
	}
	ret = bpm_procs_init(&m);
	if (ret) {
		bpm_log(&m, LOG_ERR, "/dev/bproc: process messages: %s",
			strerror(-ret));
		return 1;
	}
	bpm_log(&m, LOG_NOTICE, "listening on port %u for %u nodes (%s)",
		m.cfg.port, m.cfg.node_count, m.cfg_path);

	ret = run(&m);
	if (ret)
		bpm_log(&m, LOG_ERR, "epoll_wait: %s", strerror(-ret));
	close(m.listen_io.fd);
	bp_sig_del(&m.loop, &m.sig);
	bp_loop_fini(&m.loop);
	close(m.bproc_fd);	/* the module marks every node down */
	free(m.kbuf);
	free(m.info);
	free(m.node_conn);
	bp_cfg_free(&m.cfg);
	memset(&m.keys, 0, sizeof(m.keys));
	return ret ? 1 : 0;
}
