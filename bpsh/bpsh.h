/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpsh: run a program of the master on nodes (bpsh(1), docs/bpsh.md).
 *
 * One process on the daemons' event loop (core/): for each node it forks
 * a child that becomes, through bproc_rexec_job(), the ghost of the
 * process started there, so the remote processes are bpsh's children.
 * The nodes connect back to bpsh's listening socket: through the tree,
 * one link per rank at its top carrying the standard streams of the ranks
 * below (link.c); with --fanout 0 three connections per process; and one
 * to fetch what its node lacks of the program and its libraries.
 *
 * Files, each one concept; a file only calls the ones listed after it:
 *
 *   main.c     the run: options to exit status
 *   opts.c     the command line (pure, host-tested)
 *   launch.c   one child per node: rexec, errors, exits, signals
 *   serve.c    the listening socket: IO_HELLO checks, files to nodes
 *   link.c     the streams through the tree: links, IO_DATA and IO_ACK
 *   output.c   stdout/stderr of the nodes: raw, by lines, in node order,
 *              gathered, spilled to temporary files past the buffer
 *   input.c    bpsh's stdin to the nodes, with backpressure
 *   report.c   exit status, per-node errors and summaries, --json (pure)
 *   ship.c     the job's manifest from the file closure and hashes
 *   closure.c, ldcache.c, hash.c, files.h   the files a job needs
 */
#ifndef BPSH_H
#define BPSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <bproc.h>

#include "bp_job.h"
#include "bp_log.h"
#include "bp_loop.h"
#include "bp_stream.h"
#include "bp_time.h"
#include "files.h"

#define BPSH_VERSION		LIBBPROC_VERSION
#define BPSH_BUF_DEFAULT	(64 * 1024)
#define BPSH_FANOUT_DEFAULT	8	/* --fanout */
#define BPSH_FANOUT_MAX		1024
#define BPSH_BUF_MIN		512
#define BPSH_BUF_MAX		(64u << 20)
#define BPSH_HELLO_TIMEOUT_MS	30000	/* a connection says who it is */
#define BPSH_DRAIN_TIMEOUT_MS	30000	/* output silent after its exit */
#define BPSH_SHIP_MAX		64	/* --ship paths */
#define BPSH_CONFIG		"/etc/bproc/config"

/* The command line (opts.c). */
struct bpsh_opts {
	const char *spec;	/* NODESPEC, or NULL with -a / -A */
	bool all_up;		/* -a */
	bool all_notdown;	/* -A */
	bool no_stdin;		/* -n */
	bool no_io;		/* -N */
	bool line;		/* -L (and -p) */
	bool prefix;		/* -p */
	bool sequential;	/* -s (and -d) */
	bool divider;		/* -d */
	bool gather;		/* -G */
	bool time;		/* -t */
	bool json;		/* --json */
	bool abort_on_error;	/* -e */
	bool verbose;		/* -v */
	size_t bufsize;		/* -b */
	const char *in_file;	/* -I: on the node */
	const char *out_file;	/* -O */
	const char *err_file;	/* -E */
	int stdin_rank;		/* -i N; -1: every rank */
	int fanout;		/* --fanout: tree width, 0: no tree */
	const char *ship[BPSH_SHIP_MAX];	/* --ship */
	int nship;
	char *const *argv;	/* the command and its arguments */
	int argc;
};

enum bpsh_parse {
	BPSH_RUN,		/* go on */
	BPSH_HELP,		/* -h: usage printed, exit 0 */
	BPSH_VERSION_SHOWN,	/* -V */
	BPSH_USAGE,		/* bad usage: message in err, exit 1 */
};

enum bpsh_parse bpsh_parse_opts(int argc, char *const argv[],
				struct bpsh_opts *o, char *err, size_t errlen);
void bpsh_usage(FILE *f);

/* One stream of output of one rank (output.c). */
struct bpsh_out {
	struct bpsh *b;
	struct bpsh_rank *r;
	int fd;			/* 1 or 2: where it goes */
	int sock;		/* the connection, -1 before and after */
	struct bp_io io;
	bool paused;		/* on bpsh's paused list (output.c) */
	struct bpsh_out *paused_next;
	bool expected;		/* the node will connect it */
	bool eof;		/* all of it arrived */
	uint8_t *buf;		/* held back: a partial line, or all of it */
	size_t len, cap;
	int spill;		/* a temporary file past the buffer, or -1 */
	uint64_t spilled;	/* bytes in it */
	uint64_t total;		/* bytes received */
	struct bp_timer drain;	/* silent after the process's exit */
	bool end_seen;		/* tree: its EOF came (not closed by bpsh) */
};

/* One process of the launch: a rank on a node (launch.c). */
struct bpsh_rank {
	struct bpsh *b;
	int rank;
	int node;
	uint8_t addr[4];	/* the node's IPv4 address (0: not known) */
	bool fetched;		/* file bytes came to it from bpsh */
	pid_t pid;		/* the child that becomes the ghost; 0: none */
	pid_t ghost_pid;	/* the same, kept after it is reaped */
	int errfd;		/* its report: an errno, or EOF once a ghost */
	struct bp_io err_io;
	bool started;		/* a ghost: runs on its node */
	int start_err;		/* positive errno: never started */
	bool exited;
	int status;		/* wait status, once exited */
	struct bpsh_out out, err;
	int in_sock;		/* stdin connection, -1: none (yet) */
	struct bp_io in_io;
	bool in_expected;
	size_t in_off;		/* of the stdin chunk written to it */
	bool in_done;		/* shut down or gone */
	bool done;		/* reported */
	/* streams through the tree (link.c) */
	struct bpsh_link *link;	/* where its messages came from last */
	struct bpsh_link *own_link;	/* the link it made itself */
	uint64_t in_pos;	/* stdin it acknowledged */
	bool in_want;		/* a resend from in_pos waits for room */
};

/* A rank's link up, at the top of the tree or fallen back (link.c). */
struct bpsh_link {
	struct bp_io io;	/* first: the socket */
	struct bpsh *b;
	struct bp_rx rx;
	struct bp_tx tx;
	int rank;		/* who linked */
	bool paused;		/* bpsh's output is blocked: not read */
	bool unwatched;		/* paused and hung up: out of epoll */
	bool dead;		/* closed; kept while ranks point at it */
	struct bpsh_link *prev, *next;
};

/* A connection that has not said who it is, or serves files (serve.c). */
struct bpsh_conn {
	struct bp_io io;
	struct bpsh *b;
	struct bp_rx rx;
	struct bp_tx tx;
	struct bp_timer hello;	/* no IO_HELLO within the limit: closed */
	bool files;		/* a files connection of @rank */
	int rank;
	/* FILE_WANTs not served yet, and the one being sent */
	struct bpsh_want *wants, *wants_tail;
	size_t nwants;
	int file_fd;		/* being sent, or -1 */
	uint64_t file_off;
	struct bpsh_conn *prev, *next;
};

struct bpsh_want {
	uint8_t hash[32];
	uint64_t size;
	struct bpsh_want *next;
};

/* What a job ships, by hash (ship.c). */
struct bpsh_object {
	uint8_t hash[32];
	uint64_t size;
	const char *path;	/* NULL: the manifest itself */
};

struct bpsh {
	struct bpsh_opts o;
	struct bp_log log;
	struct bp_loop loop;
	struct bp_sig sig;
	/* the launch */
	struct bpsh_rank *ranks;
	int nranks;
	struct bpsh_pidx {
		pid_t pid;
		int rank;
	} *pidx;		/* the ranks' children by pid (launch.c) */
	int npidx;
	struct bproc_node_info *nodelist;	/* the node table at the start */
	int nnodelist;
	int running;		/* ranks not done */
	uint64_t job_id;
	uint8_t secret[BPROC_JOB_SECRET_LEN];
	char path[4096];	/* what the nodes exec (the real path) */
	uint8_t *manifest;
	size_t manifest_len;
	uint8_t manifest_hash[32];
	struct bpsh_object *objects;
	size_t nobjects;
	bool ship_program;	/* shipping failed on the program itself */
	struct rlimit nofile;	/* the caller's RLIMIT_NOFILE, for the jobs */
	uint64_t bytes_sent;	/* file bytes sent to nodes */
	/* the listening socket */
	struct bp_io listen_io;
	uint16_t port;
	struct bpsh_conn *conns, *conns_tail;	/* newest first */
	int npending_conns, nfiles_conns;	/* serve.c */
	/* output */
	int out_fd[3];		/* [1], [2]: where output goes */
	bool out_nonblock[3];
	bool out_splice[3];	/* a pipe: live streams splice into it */
	bool out_blocked;	/* a write would block: reading paused */
	struct bpsh_out *paused;	/* live streams waiting for it */
	struct bp_io out_io[3];
	int seq_next;		/* -s: the rank whose output shows now */
	bool out_broken;	/* stdout closed by its reader (EPIPE) */
	bool dumping;		/* showing held output: writes wait */
	struct {
		uint8_t *p;	/* live output that did not fit yet */
		size_t len;
	} pend[3];
	uint8_t *chunk;		/* BP_FILE_CHUNK: a file part to a node */
	/* stdin */
	struct bp_io stdin_io;
	bool stdin_watch;	/* in the loop (not a regular file) */
	bool stdin_eof;
	uint8_t *in_buf;	/* the chunk being sent */
	size_t in_len;
	int in_scan;		/* ranks before it have the chunk (input.c) */
	bool in_eof_sent;	/* every connection was shut down at EOF */
	struct bp_timer stdin_poll;	/* a regular file: read on a timer */
	uint64_t in_start;	/* tree: the chunk's offset in stdin */
	int in_wants;		/* tree: ranks with in_want set */
	/* the streams through the tree (link.c) */
	bool tree_io;
	struct bpsh_link *links;	/* the dead too, until links_gc */
	int nlinks;		/* live ones */
	struct bp_timer links_gc, wants_due;
	/* time */
	uint64_t start_ns;
	int exit_status;
	bool aborting;
};

/* ship.c */
int bpsh_ship(struct bpsh *b, char *err, size_t errlen);
const struct bpsh_object *bpsh_object_find(const struct bpsh *b,
					   const uint8_t hash[32]);

/* serve.c */
int bpsh_serve_init(struct bpsh *b);
void bpsh_serve_close(struct bpsh *b);

/* launch.c */
int bpsh_launch(struct bpsh *b);
void bpsh_forward_signal(struct bpsh *b, int sig);
void bpsh_kill_all(struct bpsh *b, int sig);
void bpsh_reap(struct bpsh *b);

/* output.c */
void bpsh_output_init(struct bpsh *b);
void bpsh_out_init(struct bpsh *b, struct bpsh_rank *r, struct bpsh_out *o,
		   int fd);
void bpsh_out_attach(struct bpsh_out *o, int sock, const uint8_t *data,
		     size_t len);
void bpsh_out_exited(struct bpsh_out *o);
void bpsh_out_close(struct bpsh_out *o);
void bpsh_out_data(struct bpsh_out *o, const uint8_t *p, size_t len);
void bpsh_output_rank_done(struct bpsh *b, struct bpsh_rank *r);
void bpsh_output_finish(struct bpsh *b);
void bpsh_rank_check_done(struct bpsh_rank *r);
int bpsh_out_held(struct bpsh_out *o, int (*fn)(void *arg, const uint8_t *p,
						 size_t len), void *arg);
uint64_t bpsh_out_held_len(const struct bpsh_out *o);

/* link.c */
void bpsh_link_attach(struct bpsh *b, int fd, int rank, const uint8_t *data,
		      size_t len);
void bpsh_links_reading(struct bpsh *b);
void bpsh_links_init(struct bpsh *b);
void bpsh_links_close(struct bpsh *b);
void bpsh_link_out_closed(struct bpsh_out *o);
int bpsh_link_stdin(struct bpsh_link *l, uint32_t rank, uint64_t from);
void bpsh_links_stdin(struct bpsh *b);

/* input.c */
void bpsh_input_init(struct bpsh *b);
void bpsh_input_attach(struct bpsh_rank *r, int sock);
void bpsh_input_rank_gone(struct bpsh_rank *r);
void bpsh_input_wants(struct bpsh *b);
void bpsh_input_tree_ack(struct bpsh_rank *r, struct bpsh_link *l,
			 uint64_t off, uint32_t flags);

/* report.c */
int bpsh_rank_exit_code(const struct bpsh_rank *r);
const char *bpsh_errno_text(int err);
void bpsh_report(struct bpsh *b, FILE *err);
char *bpsh_nodeset_str(const int *nodes, int n);
int bpsh_json_results(const struct bpsh *b, FILE *f);
void bpsh_json_string(FILE *f, const uint8_t *s, size_t len);

#endif /* BPSH_H */
