/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpslave: the node daemon. Connects to bpmaster, says HELLO with the
 * node's facts, registers the node-side instance with the module, reports
 * status every ping interval, carries out the master's requests, and
 * reconnects with backoff whenever the connection is lost. One thread on
 * the daemons' event loop (core/bp_loop.h).
 *
 * Files, each one concept; a file only calls the ones listed after it:
 *
 *   main.c     options, start-up, signals, reconnect backoff
 *   relay.c    process messages: REXEC, SIGNAL and PIDS from the master;
 *              node events, exits, stops and status reports to it
 *   session.c  one session: connect, HELLO/WELCOME, pings, timeouts, BYE
 *   spawn.c    starting a process for the master (clone3 with its pid)
 *   ptable.c   the table of processes started for the master, /proc reports
 *   ns.c       the masquerade pid namespace and its reaper
 *   facts.c    node facts and status (pure parsers, host-tested)
 */
#ifndef BPSLAVE_H
#define BPSLAVE_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/types.h>

#include <linux/bproc.h>

#include "bp_log.h"
#include "bp_loop.h"
#include "bp_stream.h"
#include "bp_time.h"
#include "bp_wire.h"

#define BPS_VERSION		"0.1.0"
#define BPS_CONNECT_TIMEOUT_MS	10000
#define BPS_WELCOME_TIMEOUT_MS	30000
#define BPS_BYE_DRAIN_MS	1000	/* to push out a BYE before closing */
#define BPS_REQUEST_GRACE_MS	60000	/* wait for PID 1 to act on a request */

#define bps_log(s, ...)		bp_log(&(s)->log, LOG_INFO, __VA_ARGS__)
#define bps_debug(s, ...)	bp_debug(&(s)->log, __VA_ARGS__)

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

/* Outcome of one session with the master. */
enum bps_end {
	BPS_END_RETRY,		/* never welcomed: back off further */
	BPS_END_LOST,		/* was welcomed, then lost: retry from 1 s */
	BPS_END_REQUEST,	/* PID 1 was asked to reboot/halt/power off */
	BPS_END_QUIT,		/* SIGTERM/SIGINT */
	BPS_END_FATAL,		/* local failure; exit 1 */
};

enum bps_sess_state {
	BPS_SESS_CONNECTING,	/* TCP connect in progress */
	BPS_SESS_HELLO,		/* HELLO sent, waiting for WELCOME */
	BPS_SESS_WELCOMED,	/* the node's session */
	BPS_SESS_CLOSING,	/* pushing out a BYE, then over */
};

struct bps;

/* One session with the master (session.c). */
struct bps_sess {
	struct bp_io io;		/* first: the socket */
	struct bps *s;
	enum bps_sess_state state;
	enum bps_end end;		/* CLOSING: how it ends */
	int request_sig;		/* for PID 1 once the BYE left, or 0 */
	struct bp_rx rx;
	struct bp_tx tx;
	int32_t node;
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint64_t last_rx;		/* ms, CLOCK_MONOTONIC */
	struct bp_timer deadline;	/* connect, WELCOME, silence, BYE drain */
	struct bp_timer status;		/* WELCOMED: STATUS every interval */
};

struct bps {
	struct sockaddr_in master;
	char master_str[INET_ADDRSTRLEN + 8];	/* "ADDR:PORT" */
	struct bp_log log;
	struct bp_loop loop;
	struct bp_sig sig;		/* SIGTERM, SIGINT, SIGCHLD */
	int bproc_fd;
	struct bp_io bproc_io;		/* node events, while welcomed */
	struct bps_facts facts;
	const struct bps_relay *relay;	/* process messages (relay.c) */
	/* A session is over; @x is freed after this returns (main.c). */
	void (*ended)(struct bps *s, enum bps_end end);
	struct bps_sess *sess;		/* the current session, or NULL */
	struct bp_timer retry;		/* the next session is due */
	unsigned int backoff_ms;	/* delay before the last retry */
	bool request_pending;		/* the master asked PID 1 to act */
	/* The masquerade pid namespace and the processes in it. */
	int own_ns_fd;			/* bpslave's pid namespace */
	int reaper_fd;			/* write end of the reaper's life pipe */
	pid_t reaper;			/* the namespace's pid 1 (outer pid), 0: none */
	struct bps_proc *procs;
	size_t nprocs, cap;
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

/* ns.c */
int bps_ns_start(struct bps *s);
void bps_ns_stop(struct bps *s);

/* ptable.c */
struct bps_proc *bps_proc_find(struct bps *s, int32_t pid);
int bps_proc_add(struct bps *s, pid_t outer, int32_t pid, bool child,
		 uint64_t image);
uint64_t bps_image_hash(const char *comm, const char *args, size_t len);
int bps_reap(struct bps *s, int32_t node, struct bp_msg_proc *out);
int bps_pstatus(struct bps *s, size_t i, int32_t node, struct bp_msg_proc *out);
int bps_event(struct bps *s, struct bp_msg_proc *out);
int bps_exec(struct bps *s, size_t i, int32_t node, struct bp_msg_proc *out);
int bps_lease(struct bps *s, const struct bp_msg_proc *pids);
void bps_signal(struct bps *s, const struct bp_msg_proc *req);

/* spawn.c */
int32_t bps_rexec(struct bps *s, const struct bp_msg_proc *req);

/* session.c */
int bps_session_start(struct bps *s);
int bps_sess_send(struct bps_sess *x, const struct bp_msg *m);
void bps_sess_end(struct bps_sess *x, enum bps_end end, uint32_t bye_code,
		  const char *bye_text);

/*
 * relay.c, called by session.c through s->relay (main.c sets it). Each
 * returns 0, or -1 when it ended the session.
 */
struct bps_relay {
	/* The session is welcomed: node events are relayed from now on. */
	int (*welcomed)(struct bps_sess *x);
	/* A PROC message from the master. */
	int (*proc)(struct bps_sess *x, const struct bp_msg_proc *p);
	/* Every status interval: PSTATUS (and EXEC) of every process. */
	int (*status)(struct bps_sess *x);
};

extern const struct bps_relay bps_relay_ops;
int bps_relay_init(struct bps *s);
void bps_relay_children(struct bps *s);
void bps_relay_stop(struct bps *s);

#endif /* BPSLAVE_H */
