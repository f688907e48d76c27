// SPDX-License-Identifier: GPL-2.0
/*
 * bpslave: the bproc node daemon (bpslave(8)).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <linux/bproc.h>

#include "bp_backoff.h"
#include "bpslave.h"

static const char *prog = "bpslave";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-p PORT] [-v] [--auth key|none]\n"
		"       [--cache-dir DIR] [--cache-size BYTES] [--seed-port PORT]\n"
		"       [--virtual] MASTER_ADDR[:PORT]\n"
		"The bproc node daemon: connects this node to bpmaster.\n"
		"\n"
		"  MASTER_ADDR          the master's IPv4 address (numeric)\n"
		"  -p, --port PORT      the master's port (default %d)\n"
		"  --auth key|none      enroll and authenticate with a node key held\n"
		"                       in memory (default), or not at all\n"
		"  --cache-dir DIR      the program cache of jobs (default " BPS_CACHE_DIR ")\n"
		"  --cache-size BYTES   its limit, with a K, M or G suffix\n"
		"                       (default: a quarter of the node's memory)\n"
		"  --seed-port PORT     serve jobs' files to the nodes below this one\n"
		"                       in bpsh's tree on PORT (default %d; 0: do not)\n"
		"  --virtual            a virtual node (nodeinit bproc.vnodes): the\n"
		"                       master's reboot, halt and power-off end this\n"
		"                       bpslave (exit status %d, %d, %d), not the machine\n"
		"  -v, --verbose        log more\n"
		"  -h, --help           this help\n"
		"  -V, --version        version\n",
		prog, BPROC_DEFAULT_PORT, BP_SEED_PORT, BPS_EXIT_REBOOT,
		BPS_EXIT_HALT, BPS_EXIT_POWEROFF);
}

/* Reconnects: 1 s doubling to 10 s; a welcomed session resets it. */
static const struct bp_backoff bps_backoff = {
	.min_ms = 1000, .max_ms = 10000, .reset_ms = UINT64_MAX,
};

static void retry_due(struct bp_loop *l, struct bp_timer *t)
{
	struct bps *s = bp_container_of(t, struct bps, retry);
	int ret;

	if (s->request_pending)
		bps_log(s, "still running %d s after the request; reconnecting",
			BPS_REQUEST_GRACE_MS / 1000);
	s->request_pending = false;
	ret = bps_session_start(s);

	if (ret) {
		bps_log(s, "connect to %s: %s", s->master_str, strerror(-ret));
		s->ended(s, BPS_END_RETRY);
	}
}

static void retry_in(struct bps *s, uint64_t ms)
{
	if (bp_timer_start(&s->loop, &s->retry, ms * BP_NS_PER_MS, 0)) {
		bps_log(s, "cannot arm a timer: %s", strerror(ENOMEM));
		bp_loop_stop(&s->loop, 1);
	}
}

/*
 * A session is over: clean up after it and decide when to try again. A
 * virtual node's bpslave that the master asked to go down leaves instead,
 * with s->request_exit, which nodeinit's supervisor acts on.
 */
static void session_ended(struct bps *s, enum bps_end end)
{
	bool leaving = end == BPS_END_QUIT ||
		       (end == BPS_END_REQUEST && s->request_exit);
	int ret;

	/* The master declares them dead: make it so (docs/ghosts.md). */
	if (s->nprocs || leaving) {
		bps_relay_stop(s);
		if (!leaving && (ret = bps_ns_start(s))) {
			bps_log(s, "masquerade pid namespace: %s", strerror(-ret));
			end = BPS_END_FATAL;
		}
	}
	switch (end) {
	case BPS_END_QUIT:
		bp_loop_stop(&s->loop, 0);
		return;
	case BPS_END_FATAL:
		bp_loop_stop(&s->loop, 1);
		return;
	case BPS_END_REQUEST:
		if (s->request_exit) {
			bps_log(s, "exiting with status %d for nodeinit", s->request_exit);
			bp_loop_stop(&s->loop, s->request_exit);
			return;
		}
		/* PID 1 is taking the node down; it will stop us. */
		s->backoff_ms = 0;
		s->request_pending = true;
		retry_in(s, BPS_REQUEST_GRACE_MS);
		return;
	case BPS_END_LOST:
		s->backoff_ms = 0;
		break;
	case BPS_END_RETRY:
		break;
	case BPS_END_ENROLLED:
		s->backoff_ms = 0;
		retry_in(s, 0);
		return;
	}
	s->backoff_ms = bp_backoff_next(&bps_backoff, s->backoff_ms, 0);
	bps_log(s, "reconnecting in %u s", s->backoff_ms / 1000);
	retry_in(s, s->backoff_ms);
}

static void handle_signal(struct bp_loop *l, struct bp_sig *sig,
			  const struct signalfd_siginfo *si)
{
	struct bps *s = bp_container_of(l, struct bps, loop);

	switch (si->ssi_signo) {
	case SIGTERM:
	case SIGINT:
		bps_log(s, "%s: exiting", si->ssi_signo == SIGTERM ?
			"SIGTERM" : "SIGINT");
		bp_timer_stop(l, &s->retry);
		if (s->sess)
			bps_sess_end(s->sess, BPS_END_QUIT, BP_REASON_SHUTDOWN,
				     "bpslave exiting");
		else
			s->ended(s, BPS_END_QUIT);
		break;
	case SIGCHLD:
		bps_relay_children(s);
		break;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port",	required_argument,	NULL, 'p' },
		{ "cache-dir",	required_argument,	NULL, 'C' },
		{ "auth",	required_argument,	NULL, 'A' },
		{ "cache-size",	required_argument,	NULL, 'S' },
		{ "seed-port",	required_argument,	NULL, 'P' },
		{ "virtual",	no_argument,		NULL, 'X' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct bps s = {
		.bproc_fd = -1, .own_ns_fd = -1, .reaper_fd = -1, .proc_mnt_fd = -1,
		.relay = &bps_relay_ops, .ended = session_ended,
	};
	unsigned long port = BPROC_DEFAULT_PORT, seed_port = BP_SEED_PORT;
	char addr[INET_ADDRSTRLEN], *end;
	sigset_t set;
	int c, ret;

	bp_log_init(&s.log, prog, 2, BP_LOG_STAMP_MONO);

	while ((c = getopt_long(argc, argv, "p:vhVC:S:A:P:", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			errno = 0;
			port = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-' ||
			    port < 1 || port > 65535) {
				fprintf(stderr, "%s: port '%s' is not a number from 1 to 65535\n",
					prog, optarg);
				return 1;
			}
			break;
		case 'v':
			s.log.verbose = true;
			break;
		case 'A':
			if (!strcmp(optarg, "none")) {
				s.auth_none = true;
			} else if (strcmp(optarg, "key")) {
				fprintf(stderr, "%s: --auth '%s' is neither key nor none\n",
					prog, optarg);
				return 1;
			}
			break;

		case 'C':
			if (optarg[0] != '/') {
				fprintf(stderr, "%s: --cache-dir '%s' is not an absolute path\n",
					prog, optarg);
				return 1;
			}
			s.cache_dir = optarg;
			break;
		case 'S':
			if (bps_parse_size(optarg, &s.cache_size) || !s.cache_size) {
				fprintf(stderr, "%s: --cache-size '%s' is not a size in bytes (K, M, G allowed)\n",
					prog, optarg);
				return 1;
			}
			break;
		case 'P':
			errno = 0;
			seed_port = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-' ||
			    seed_port > 65535) {
				fprintf(stderr, "%s: --seed-port '%s' is not a number from 0 to 65535\n",
					prog, optarg);
				return 1;
			}
			break;
		case 'X':
			s.virt = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("%s %s (protocol %d)\n", prog, BPS_VERSION,
			       BP_WIRE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s: %s\n", prog, optind == argc ?
			"missing MASTER_ADDR" : "too many arguments");
		usage(stderr);
		return 1;
	}
	if (bps_parse_master(argv[optind], (uint16_t)port, &s.master)) {
		fprintf(stderr, "%s: '%s' is not an IPv4 address with an optional :PORT\n",
			prog, argv[optind]);
		return 1;
	}
	inet_ntop(AF_INET, &s.master.sin_addr, addr, sizeof(addr));
	snprintf(s.master_str, sizeof(s.master_str), "%s:%u", addr,
		 ntohs(s.master.sin_port));

	/* Non-blocking for read() of node events; ioctls do not care. */
	s.bproc_fd = open("/dev/bproc", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (s.bproc_fd < 0) {
		fprintf(stderr, "%s: /dev/bproc: %s%s\n", prog, strerror(errno),
			errno == ENOENT ? " (is the bproc module loaded?)" : "");
		return 1;
	}
	ret = bps_gather_facts(s.bproc_fd, &s.facts);
	if (ret) {
		fprintf(stderr, "%s: node facts: %s\n", prog, strerror(-ret));
		return 1;
	}
	if (!s.cache_dir)
		s.cache_dir = BPS_CACHE_DIR;
	/* Its memory holds the node key: no core dumps, no ptrace by peers. */
	prctl(PR_SET_DUMPABLE, 0);

	if (!s.cache_size)
		s.cache_size = s.facts.mem_total / 4;
	ret = bp_loop_init(&s.loop);
	if (ret) {
		fprintf(stderr, "%s: epoll: %s\n", prog, strerror(-ret));
		return 1;
	}
	bp_timer_init(&s.retry, retry_due);
	bp_timer_init(&s.purge, bps_purge_due);
	bps_relay_init(&s);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	ret = bp_sig_add(&s.loop, &s.sig, &set, handle_signal);
	if (ret) {
		fprintf(stderr, "%s: signals: %s\n", prog, strerror(-ret));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	ret = bps_ns_start(&s);
	if (ret) {
		fprintf(stderr, "%s: masquerade pid namespace: %s\n", prog,
			strerror(-ret));
		return 1;
	}
	if (seed_port) {
		ret = bps_seed_start(&s, (uint16_t)seed_port);
		if (ret)	/* the nodes below fetch from bpsh instead */
			bps_log(&s, "seed port %lu: %s: not serving files to other nodes",
				seed_port, strerror(-ret));
	}
	bps_debug(&s, "kernel %s, bproc %s, %u cpus, %llu MiB; master %s",
		  s.facts.kernel, s.facts.modver, s.facts.cpus,
		  (unsigned long long)(s.facts.mem_total >> 20), s.master_str);
	retry_in(&s, 0);
	ret = bp_loop_run(&s.loop);
	return ret < 0 ? 1 : ret;	/* 0, 1 or a BPS_EXIT_* */
}
