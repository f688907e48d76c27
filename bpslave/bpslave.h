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
 *              starts in progress; node events, exits, stops and status
 *              reports to it
 *   session.c  one session: connect, HELLO/WELCOME, pings, timeouts, BYE
 *   seed.c     serving a job's files to the nodes below in bpsh's tree,
 *              handing their stream links to the relays (iotree.c)
 *   spawn.c    starting a process for the master (clone3 with its pid);
 *              for a job whose streams go through bpsh's tree:
 *   iotree.c     its streams' relay in bpslave's loop: socketpairs, the
 *                links of the ranks below, lossless, bounded; its own
 *     iotree_own.c  process's output and stdin, and
 *     iotree_up.c   its link up (iotree.h, private to the three);
 *              what the new process does before it execs:
 *   fetch.c      a job's files into the cache, from the node above or bpsh
 *   cache.c      the node's content-addressed program cache
 *   jobns.c      the job's mount namespace: its /proc, its files
 *   iolink.c     connections back to bpsh (I/O, files)
 *   ident.c      the caller's identity (ids, capabilities, limits)
 *   ptable.c   the table of processes started for the master, /proc reports
 *   ns.c       the masquerade pid namespace and its reaper
 *   facts.c    node facts and status (pure parsers, host-tested)
 */
#ifndef BPSLAVE_H
#define BPSLAVE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/types.h>

#include <linux/bproc.h>

#include "bp_auth.h"
#include "bp_crypto.h"
#include "bp_job.h"
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
#define BPS_PURGE_RETRY_MS	1000	/* a cache purge waits for starts */
#define BPS_STATUS_SOON_MS	250	/* STATUS after a process count change,
					 * at most this often */
#define BPS_SPAWN_TIMEOUT_MS	600000	/* a start (fetch, mounts, exec) at most */
#define BPS_IO_TIMEOUT_MS	60000	/* bpsh silent while it sends files */
#define BPS_CACHE_DIR		"/run/bproc/cache"
#define BPS_SEED_FETCH_MS	30000	/* the node above silent: go to bpsh */
#define BPS_SEED_WAIT_MS	300000	/* an object not here this long: EAGAIN */
#define BPS_SEED_ALIVE_MS	2000	/* keepalives while it waits */
#define BPS_SEED_HELLO_MS	60000	/* hello, or its job, due within */
#define BPS_SEED_KEEP_MS	300000	/* a job's files are served this long */
#define BPS_SEED_JOBS		64	/* jobs remembered at most */
#define BPS_SEED_CONNS		256	/* connections served at most */
#define BPS_SEED_WANTS_EARLY	4096	/* FILE_WANTs before the manifest is here */
#define BPS_TREE_ATTACH_MS	30000	/* a child's link to its relay, due within */
#define BPS_TREE_ALIVE_MS	5000	/* IO_ALIVE between relays this often */
#define BPS_TREE_SILENT_MS	20000	/* a relay peer silent this long is dead */

/*
 * Exit statuses of a --virtual bpslave that the master asked to go down
 * (bpslave(8)); nodeinit's supervisor acts on them (NI_BPSLAVE_EXIT_* in
 * nodeinit/nodeinit.h: the same numbers). 0 is SIGTERM/SIGINT, 1 a failure.
 */
#define BPS_EXIT_REBOOT		3	/* reboot: a fresh bpslave at once */
#define BPS_EXIT_HALT		4	/* halt: stay down */
#define BPS_EXIT_POWEROFF	5	/* power-off: stay down */

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
	bool starting;			/* not exec'd yet: no REXEC_RESULT sent */
	bool ended;			/* starting, and reaped already: */
	int status;			/* its wait status, and times */
	uint64_t utime_ns, stime_ns;
	uint64_t image;			/* hash of comm and cmdline the master has */
	int stop_as;			/* a SIGTSTP.. sent as SIGSTOP (ptable.c) */
	int held_stop;			/* starting, and stopped by this signal */
};

/* A start in progress (relay.c): its pipe tells how it went. */
struct bps_start {
	struct bp_io io;		/* first: the read end of the pipe */
	struct bp_timer deadline;
	struct bps *s;
	int32_t pid;			/* the master's */
	uint64_t id;			/* the REXEC's request id */
	bool job;			/* with files in the cache */
	struct bps_start *next;
};

/* What a start that failed tells bpslave over its pipe (one write). */
struct bps_start_err {
	int32_t err;			/* positive errno */
	char what[200];			/* what failed, for the log */
};

/* What the new process knows of its job (spawn.c and its helpers). */
struct bps_jobctx {
	struct bproc_job job;		/* checked, host order */
	struct bp_job_tree tree;	/* where to fetch first (seed.c) */
	struct sockaddr_in master;	/* the master, as bpslave reaches it */
	int32_t node;
};

/* The node's program cache (cache.c). */
struct bps_cache {
	int dirfd, objfd, tmpfd, lockfd;
	uint64_t limit;			/* bytes */
	char path[PATH_MAX];		/* DIR/nodeN */
};

/* Outcome of one session with the master. */
enum bps_end {
	BPS_END_RETRY,		/* never welcomed: back off further */
	BPS_END_LOST,		/* was welcomed, then lost: retry from 1 s */
	BPS_END_REQUEST,	/* PID 1 asked to reboot/halt/power off (or exit) */
	BPS_END_QUIT,		/* SIGTERM/SIGINT */
	BPS_END_FATAL,		/* local failure; exit 1 */
	BPS_END_ENROLLED,	/* got its key: connect again at once */
};

enum bps_sess_state {
	BPS_SESS_CONNECTING,	/* TCP connect in progress */
	BPS_SESS_HELLO,		/* HELLO sent, waiting for WELCOME */
	BPS_SESS_WELCOMED,	/* the node's session */
	BPS_SESS_CLOSING,	/* pushing out a BYE, then over */
};

struct bps;
struct bps_seed;
struct bps_iotree;

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
	struct bp_timer status_soon;	/* a STATUS for a changed process count */
	uint64_t status_sent;		/* ms, CLOCK_MONOTONIC, of the last STATUS */
	/* Authentication (auth.c) of this session. */
	uint32_t auth_method;		/* what HELLO offered */
	uint8_t nonce_n[BP_AUTH_NONCE_LEN];
	uint8_t enroll_priv[BP_X25519_LEN], enroll_pub[BP_X25519_LEN];
	bool authed;			/* the master proved itself; sealed */
};

/* The node's key (auth.c): its number, generation and K_N. */
struct bps_key {
	bool have;
	int32_t node;
	uint32_t gen;
	uint8_t key[BP_AUTH_KEY_LEN];
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
	bool virt;			/* --virtual: requests end bpslave, not PID 1 */
	int request_exit;		/* --virtual: BPS_EXIT_* once requested, or 0 */
	struct bp_timer purge;		/* a cache purge waits (session.c) */
	bool purge_waiting;		/* one is pending: the timer runs */
	int32_t purge_node;		/* the node whose cache it empties */
	bool auth_none;			/* --auth none: no key, no proof */
	struct bps_key key;		/* in memory only (auth.c) */
	/* The masquerade pid namespace and the processes in it. */
	int own_ns_fd;			/* bpslave's pid namespace */
	int reaper_fd;			/* write end of the reaper's life pipe */
	pid_t reaper;			/* the namespace's pid 1 (outer pid), 0: none */
	int proc_mnt_fd;		/* its mount namespace, /proc the namespace's */
	struct bps_proc *procs;
	size_t nprocs, cap;
	struct bps_start *starts;	/* starts in progress */
	const char *cache_dir;		/* the program cache, one dir per node */
	uint64_t cache_size;		/* its limit, bytes */
	struct bps_seed *seed;		/* serving nodes below (seed.c), or NULL */
	struct bps_iotree *iotrees;	/* the processes' stream relays (iotree.c) */
};

/* facts.c: parsers are pure, for host tests */
int bps_parse_master(const char *arg, uint16_t default_port,
		     struct sockaddr_in *sin);
int bps_parse_meminfo(const char *text, uint64_t *total, uint64_t *avail);
int bps_parse_btime(const char *text, uint64_t *btime);
int bps_gather_facts(int bproc_fd, struct bps_facts *f);
int bps_read_status(struct bp_msg_status *st);
int bps_local_hwaddr(int sock, uint8_t *hwaddr, uint8_t *len);
int bps_parse_size(const char *s, uint64_t *out);

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
void bps_proc_remove(struct bps *s, struct bps_proc *p);
uint64_t bps_image_hash(const char *comm, const char *args, size_t len);
int bps_reap(struct bps *s, int32_t node, struct bp_msg_proc *out);
int bps_pstatus(struct bps *s, size_t i, int32_t node, struct bp_msg_proc *out);
int bps_event(struct bps *s, struct bp_msg_proc *out);
int bps_exec(struct bps *s, size_t i, int32_t node, struct bp_msg_proc *out);
int bps_lease(struct bps *s, const struct bp_msg_proc *pids);
void bps_signal(struct bps *s, const struct bp_msg_proc *req);

/* spawn.c */
int32_t bps_spawn(struct bps *s, int32_t node, const struct bp_msg_proc *req,
		  int *err_fd);

/* seed.c */
int bps_seed_start(struct bps *s, uint16_t port);
void bps_seed_add(struct bps *s, const struct bproc_job *job, int32_t pid);
uint16_t bps_seed_port(const struct bps *s);

/* iotree.c */
int bps_iotree_spawn(struct bps *s, const struct bps_jobctx *jc, int fds[3]);
int bps_iotree_take(struct bps *s, int fd, const struct bp_msg_io_hello *h,
		    const uint8_t *rest, size_t len);

/* fetch.c */
void bps_manifest_entry(const struct bproc_job *job, struct bp_job_entry *e);
int bps_fetch_job(const struct bps_jobctx *jc, struct bps_cache *c,
		  uint8_t **mbuf, struct bp_job_entry **files, size_t *nfiles);

/* cache.c */
int bps_cache_open(struct bps_cache *c, const char *dir, int node,
		   uint64_t limit);
void bps_cache_close(struct bps_cache *c);
int bps_cache_lock(struct bps_cache *c, bool exclusive);
void bps_cache_unlock(struct bps_cache *c);
bool bps_cache_has(struct bps_cache *c, const struct bp_job_entry *e);
int bps_cache_object_fd(struct bps_cache *c, const struct bp_job_entry *e);
int bps_cache_object_open(struct bps_cache *c, const struct bp_job_entry *e);
void bps_cache_touch(struct bps_cache *c, const struct bp_job_entry *e);
int bps_cache_make_room(struct bps_cache *c, uint64_t need,
			const struct bp_job_entry *keep, size_t nkeep);
int bps_cache_usage(struct bps_cache *c, uint64_t *bytes);
int bps_cache_copy_variant(struct bps_cache *c, const struct bp_job_entry *e);
int bps_cache_begin(struct bps_cache *c, const struct bp_job_entry *e);
void bps_cache_abort(struct bps_cache *c, const struct bp_job_entry *e, int fd);
int bps_cache_commit(struct bps_cache *c, const struct bp_job_entry *e,
		     int fd, const uint8_t *digest);
void bps_cache_clean(struct bps_cache *c, int pid);
/* Every object: the caller holds the lock exclusively (counts: may be NULL). */
int bps_cache_purge(struct bps_cache *c, size_t *nobjs, uint64_t *bytes);
/* The same without blocking: -EAGAIN while a starter holds the lock. */
int bps_cache_try_purge(struct bps_cache *c, size_t *nobjs, uint64_t *bytes);
/*
 * After unshare(CLONE_NEWNS): the directories again, by path, so that
 * the objects bound into a job are mounts of the new namespace (a mount
 * of another one cannot be cloned: EINVAL). The lock stays as it is.
 */
int bps_cache_reopen(struct bps_cache *c);

/* jobns.c */
/* 0, or -errno with what failed in @why */
int bps_jobns_enter(struct bps_cache *c, const struct bp_job_entry *e,
		    size_t n, bool user, const char *cwd, int proc_mnt_fd,
		    char *why, size_t whylen);

/* iolink.c */
void bps_io_bpsh_addr(const struct bps_jobctx *jc, struct sockaddr_in *sin);
int bps_io_connect(const struct bps_jobctx *jc, uint32_t stream);
int bps_io_connect_to(const struct bps_jobctx *jc, uint32_t stream,
		      const struct sockaddr_in *to, unsigned int timeout_ms);
int bps_io_send(int fd, const struct bp_msg *m);

/* ident.c */
int bps_ident_apply(const struct bproc_msg_rexec *r, const uint32_t *gids);

/* session.c */
int bps_session_start(struct bps *s);
void bps_status_changed(struct bps *s);
void bps_purge_due(struct bp_loop *l, struct bp_timer *t);

/*
 * auth.c: the node's side of authentication (docs/security.md). Each
 * handler returns 0 to go on, -1 when it ended the session.
 */
int bps_auth_bind(struct bps *s, int fd);
int bps_auth_hello(struct bps_sess *x, struct bp_msg_hello *h);
int bps_auth_challenge(struct bps_sess *x, const struct bp_msg_challenge *c);
int bps_auth_enrolled(struct bps_sess *x, const struct bp_msg_enrolled *e);
int bps_auth_rekey(struct bps_sess *x, const struct bp_msg_rekey *r);
bool bps_auth_welcome_ok(struct bps_sess *x, int32_t node);
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
