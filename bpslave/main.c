// SPDX-License-Identifier: GPL-2.0
/*
 * bpslave: the bproc node daemon (bpslave(8)).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include <linux/bproc.h>

#include "bpslave.h"

static const char *prog = "bpslave";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-p PORT] [-v] MASTER_ADDR[:PORT]\n"
		"The bproc node daemon: connects this node to bpmaster.\n"
		"\n"
		"  MASTER_ADDR          the master's IPv4 address (numeric)\n"
		"  -p, --port PORT      the master's port (default %d)\n"
		"  -v, --verbose        log more\n"
		"  -h, --help           this help\n"
		"  -V, --version        version\n",
		prog, BPROC_DEFAULT_PORT);
}

/* Sleep @ms unless SIGTERM/SIGINT arrives; false when asked to quit. */
static bool wait_ms(struct bps *s, uint64_t ms)
{
	uint64_t end = bps_now_mono_ms() + ms;

	for (;;) {
		struct pollfd pfd = { .fd = s->signal_fd, .events = POLLIN };
		struct signalfd_siginfo si;
		uint64_t now = bps_now_mono_ms();

		if (now >= end)
			return true;
		if (poll(&pfd, 1, (int)(end - now)) <= 0)
			continue;
		while (read(s->signal_fd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
				bps_log("%s: exiting", si.ssi_signo == SIGTERM ?
					"SIGTERM" : "SIGINT");
				return false;
			}
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port",	required_argument,	NULL, 'p' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct bps s = {
		.bproc_fd = -1, .signal_fd = -1, .own_ns_fd = -1, .reaper_fd = -1,
	};
	unsigned long port = BPROC_DEFAULT_PORT;
	uint64_t backoff = BPS_BACKOFF_MIN_MS;
	char addr[INET_ADDRSTRLEN], *end;
	sigset_t set;
	int c, ret;

	while ((c = getopt_long(argc, argv, "p:vhV", longopts, NULL)) != -1) {
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
			s.verbose = true;
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
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) ||
	    (s.signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: signals: %s\n", prog, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	ret = bps_ns_start(&s);
	if (ret) {
		fprintf(stderr, "%s: masquerade pid namespace: %s\n", prog,
			strerror(-ret));
		return 1;
	}
	if (s.verbose)
		bps_log("kernel %s, bproc %s, %u cpus, %llu MiB; master %s",
			s.facts.kernel, s.facts.modver, s.facts.cpus,
			(unsigned long long)(s.facts.mem_total >> 20),
			s.master_str);

	for (;;) {
		enum bps_end e = bps_session(&s);
		uint64_t delay;

		switch (e) {
		case BPS_END_QUIT:
			return 0;
		case BPS_END_FATAL:
			return 1;
		case BPS_END_REQUEST:
			/* PID 1 is taking the node down; it will stop us. */
			if (!wait_ms(&s, BPS_REQUEST_GRACE_MS))
				return 0;
			bps_log("still running %d s after the request; reconnecting",
				BPS_REQUEST_GRACE_MS / 1000);
			backoff = BPS_BACKOFF_MIN_MS;
			continue;
		case BPS_END_LOST:
			backoff = BPS_BACKOFF_MIN_MS;
			break;
		case BPS_END_RETRY:
			break;
		}
		delay = backoff;
		backoff = backoff * 2 > BPS_BACKOFF_MAX_MS ? BPS_BACKOFF_MAX_MS :
							      backoff * 2;
		bps_log("reconnecting in %llu s", (unsigned long long)(delay / 1000));
		if (!wait_ms(&s, delay))
			return 0;
	}
}
