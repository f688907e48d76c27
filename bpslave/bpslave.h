/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpslave: the node daemon. Connects to bpmaster, says HELLO with the
 * node's facts, registers the node-side instance with the module, reports
 * status every ping interval, carries out the master's requests, and
 * reconnects with backoff whenever the connection is lost.
 */
#ifndef BPSLAVE_H
#define BPSLAVE_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/types.h>

#include <linux/bproc.h>

#include "bp_stream.h"
#include "bp_wire.h"

#define BPS_VERSION		"0.1.0"
#define BPS_BACKOFF_MIN_MS	1000
#define BPS_BACKOFF_MAX_MS	10000
#define BPS_CONNECT_TIMEOUT_MS	10000
#define BPS_WELCOME_TIMEOUT_MS	30000
#define BPS_REQUEST_GRACE_MS	60000	/* wait for PID 1 to act on a request */

struct bps_facts {
	char kernel[BP_WIRE_KERNEL_LEN];
	char modver[BP_WIRE_MODVER_LEN];
	uint32_t cpus;
	uint64_t mem_total;		/* bytes */
	uint64_t boot_time;		/* CLOCK_REALTIME ns */
};

/* A process started for the master (docs/ghosts.md). */
struct bps_proc {
	pid_t outer;			/* pid in bpslave's own namespace */
	int32_t pid;			/* the master's pid = pid in the masq ns */
	char state;			/* state letter last reported */
	bool child;			/* forked by one of ours (a FORK event) */
	uint64_t image;			/* hash of comm and cmdline the master has */
};

struct bps {
	struct sockaddr_in master;
	char master_str[INET_ADDRSTRLEN + 8];	/* "ADDR:PORT" */
	bool verbose;
	int bproc_fd;
	int signal_fd;
	struct bps_facts facts;
	bool quit;
	/* The masquerade pid namespace and the processes in it (procs.c). */
	int own_ns_fd;			/* bpslave's pid namespace */
	int reaper_fd;			/* write end of the reaper's life pipe */
	pid_t reaper;			/* the namespace's pid 1 (outer pid), 0: none */
	struct bps_proc *procs;
	size_t nprocs, cap;
};

/* Outcome of one session with the master. */
enum bps_end {
	BPS_END_RETRY,		/* never welcomed: back off further */
	BPS_END_LOST,		/* was welcomed, then lost: retry from 1 s */
	BPS_END_REQUEST,	/* PID 1 was asked to reboot/halt/power off */
	BPS_END_QUIT,		/* SIGTERM/SIGINT */
	BPS_END_FATAL,		/* local failure; exit 1 */
};

/* facts.c: parsers are pure, for host tests */
int bps_parse_master(const char *arg, uint16_t default_port,
		     struct sockaddr_in *sin);
int bps_parse_meminfo(const char *text, uint64_t *total, uint64_t *avail);
int bps_parse_btime(const char *text, uint64_t *btime);
int bps_gather_facts(int bproc_fd, struct bps_facts *f);
int bps_read_status(struct bp_msg_status *st);
int bps_local_hwaddr(int sock, uint8_t *hwaddr, uint8_t *len);

int bps_parse_pid_stat(const char *text, long hz, long page_size,
		       struct bproc_msg_pstatus *ps);
int bps_parse_vmrss(const char *text, uint64_t *rss);

/* procs.c */
int bps_ns_start(struct bps *s);
void bps_ns_stop(struct bps *s);
int32_t bps_rexec(struct bps *s, const struct bp_msg_proc *req);
void bps_signal(struct bps *s, const struct bp_msg_proc *req);
int bps_reap(struct bps *s, int32_t node, struct bp_msg_proc *out);
int bps_pstatus(struct bps *s, size_t i, int32_t node, struct bp_msg_proc *out);
struct bps_proc *bps_proc_find(struct bps *s, int32_t pid);
int bps_event(struct bps *s, struct bp_msg_proc *out);
int bps_exec(struct bps *s, size_t i, int32_t node, struct bp_msg_proc *out);
uint64_t bps_image_hash(const char *comm, const char *args, size_t len);
int bps_lease(struct bps *s, const struct bp_msg_proc *pids);

/* session.c */
enum bps_end bps_session(struct bps *s);
void bps_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t bps_now_mono_ms(void);

#endif /* BPSLAVE_H */
