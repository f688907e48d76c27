/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpmaster: the master daemon. One thread on the daemons' event loop
 * (core/bp_loop.h): a listening TCP socket, a signalfd, the module's
 * master file and one connection per node. The node table in the module
 * (/dev/bproc) is written only from here.
 *
 * Files, each one concept; a file only calls the ones listed after it:
 *
 *   main.c     options, start-up, signals; wires the dispatch table
 *   reload.c   SIGHUP: reread the configuration
 *   session.c  the node session: HELLO/WELCOME, STATUS, pings, BYE, node_up
 *   auth.c     node authentication: the key file, CHALLENGE/AUTH,
 *              enrollment, REKEY (docs/security.md)
 *   proc.c     process messages between the module and the nodes
 *   conn.c     transport: accept, framing, send queues, silence timeout,
 *              dispatch of received messages through m->handlers
 *   nodes.c    the module's node table
 *   boot.c     bpmaster -B: the boot service's files
 */
#ifndef BPMASTER_H
#define BPMASTER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include <linux/bproc.h>

#include "bp_auth.h"
#include "bp_config.h"
#include "bp_log.h"
#include "bp_loop.h"
#include "bp_stream.h"
#include "bp_time.h"
#include "bp_wire.h"

#define BPM_VERSION	"0.1.0"
#define BPM_LEASEDIR	"/var/lib/bproc"

#define bpm_log(m, prio, ...)	bp_log(&(m)->log, (prio), __VA_ARGS__)
#define bpm_debug(m, ...)	bp_debug(&(m)->log, __VA_ARGS__)

enum bpm_conn_state {
	BPM_CONN_HELLO,		/* accepted, waiting for HELLO */
	BPM_CONN_AUTH,		/* CHALLENGE sent, waiting for the node's AUTH */
	BPM_CONN_ACTIVE,	/* welcomed; the node's connection */
	BPM_CONN_DEAD,		/* closed, freed after the event batch */
};

struct bpm;

struct bpm_conn {
	struct bp_io io;		/* first: the loop's source */
	struct bpm *m;
	enum bpm_conn_state state;
	int node;			/* from the peer address */
	struct sockaddr_in peer;
	char peer_str[INET_ADDRSTRLEN + 8];	/* "ADDR:PORT" */
	struct bp_rx rx;
	struct bp_tx tx;
	uint64_t last_rx;		/* CLOCK_MONOTONIC ns of the last byte */
	struct bp_timer silence;	/* last_rx + ping timeout: closed */
	struct bp_timer ping;		/* ACTIVE: PING every interval */
	uint32_t ping_id;
	struct bpm_conn *prev, *next;	/* m->conns, or m->dead (next only) */
	/* Authentication (auth.c): what the handshake needs, then the session. */
	struct bp_msg_hello hello;	/* the node's HELLO, until ACTIVE */
	uint32_t key_gen;		/* generation the node proved */
	uint8_t node_key[BP_AUTH_KEY_LEN];
	uint8_t nonce_n[BP_AUTH_NONCE_LEN], nonce_m[BP_AUTH_NONCE_LEN];
	bool authed;			/* proved its key; the link is sealed */
	struct bpm_nodeup *nodeup;	/* the node_up step running (nodeup.c) */
};

/*
 * What to do with a received message of one wire type. @states is a
 * mask of (1 << enum bpm_conn_state) in which the message is expected;
 * elsewhere the connection is closed as a protocol error.
 */
struct bpm_handler {
	uint16_t type;
	uint8_t states;
	void (*fn)(struct bpm *m, struct bpm_conn *c, const struct bp_msg *msg);
};

#define BPM_IN(state)	(1u << (state))

struct bpm {
	const char *cfg_path;
	struct bp_cfg cfg;
	struct bp_log log;
	struct bp_loop loop;
	struct bp_sig sig;
	int bproc_fd;
	struct bp_io listen_io;
	struct bp_io bproc_io;		/* process messages on the master file */
	uint8_t *kbuf;			/* BPROC_MSG_MAX: one process message */
	bool procs;			/* the module queues process messages */
	/*
	 * A process message for a node whose send buffer is full: held,
	 * with the master file unwatched (kbuf keeps its strings) until that
	 * node drains, so the module's bounded queue pushes back on users.
	 */
	struct bpm_conn *held_conn;
	struct bp_msg held;
	struct bp_timer held_timer;	/* a node that never drains is lost */
	uint32_t unsupported;		/* 1 << type: module said EOPNOTSUPP */
	/* Received messages, by wire type (main.c fills it in). */
	const struct bpm_handler *handlers[BP_WIRE_TYPES];
	/* An ACTIVE connection is closed: the node is lost (session.c). */
	void (*node_lost)(struct bpm *m, struct bpm_conn *c, const char *why);
	/* @c sent out what it had queued, or is closing (proc.c). */
	void (*conn_drained)(struct bpm *m, struct bpm_conn *c);
	struct bpm_conn *conns;		/* every open connection */
	struct bpm_conn *dead;		/* closed, to free */
	struct bp_timer reap;		/* frees m->dead after the batch */
	struct bpm_conn **node_conn;	/* [cfg.node_count]: ACTIVE conn or NULL */
	struct bproc_node_info *info;	/* [cfg.node_count]: what we told the module */
	bool defer_push;		/* reload: push the whole table at the end */
	struct bp_keyring keys;		/* the cluster key file (auth.c) */
};

/* nodes.c: the module's node table */
int bpm_nodes_init(struct bpm *m);
void bpm_nodes_fill_down(const struct bpm *m, struct bproc_node_info *ni,
			 uint32_t node);
int bpm_node_push(struct bpm *m, int node);
int bpm_node_set_state(struct bpm *m, int node, enum bproc_node_state state);

/* conn.c: transport */
int bpm_conn_init(struct bpm *m);
int bpm_listen(uint16_t port, int *fd);
int bpm_listen_watch(struct bpm *m, int fd, int *old);
struct bpm_conn *bpm_conn_new(struct bpm *m, int fd,
			      const struct sockaddr_in *peer, int node);
void bpm_conn_close(struct bpm *m, struct bpm_conn *c, uint32_t bye_code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int bpm_conn_send(struct bpm *m, struct bpm_conn *c, const struct bp_msg *msg);
void bpm_send_reject(int fd, uint32_t code, const char *text);
const char *bpm_conn_tag(const struct bpm_conn *c, char *buf, size_t len);
int bpm_conn_silence_restart(struct bpm *m, struct bpm_conn *c);
void bpm_reap(struct bpm *m);
void bpm_copy_text(char *dst, size_t cap, const char *src);

/* session.c: the node session */
extern const struct bpm_handler bpm_session_handlers[];
void bpm_session_lost(struct bpm *m, struct bpm_conn *c, const char *why);
int bpm_send_welcome(struct bpm *m, struct bpm_conn *c);
void bpm_session_timing_changed(struct bpm *m);

/*
 * session.c, for nodeup.c: the node_up step of @c ended; @err 0 (up) or
 * not (error, @why the reason shown).
 */
void bpm_node_up_done(struct bpm *m, struct bpm_conn *c, int err,
		      const char *why);

/*
 * nodeup.c: the node_up step. Start it: 0 when there is nothing to run
 * (the caller finishes it), 1 when it runs (or ended: bpm_node_up_done()
 * was called), -ENOMEM. Abort: the node went away; kill what runs.
 */
int bpm_nodeup_start(struct bpm *m, struct bpm_conn *c);
void bpm_nodeup_abort(struct bpm *m, struct bpm_conn *c);

/* session.c, for auth.c: a node proved who it is; make it the node's */
void bpm_session_activate(struct bpm *m, struct bpm_conn *c);

/* auth.c: node authentication */
extern const struct bpm_handler bpm_auth_handlers[];
int bpm_auth_load(struct bpm *m, const char *path, struct bp_keyring *kr,
		  bool create);
bool bpm_auth_hello(struct bpm *m, struct bpm_conn *c);
void bpm_auth_keys_changed(struct bpm *m);
int bpm_keygen(const char *path);

/* proc.c: process messages between the module and the nodes */
extern const struct bpm_handler bpm_proc_handlers[];
int bpm_procs_init(struct bpm *m);

/* ctl.c: node changes users ask for through the module */
void bpm_ctl_msg(struct bpm *m, const uint8_t *buf, size_t len);
int bpm_ctl_check(const struct bpm *m, int node, const struct bproc_node_ctl *c);

/* reload.c */
void bpm_reload(struct bpm *m);

/* boot.c: bpmaster -B */
int bpm_boot_config(const struct bp_cfg *cfg, const char *cfg_path,
		    const char *leasedir, char *err, size_t errlen);
int bpm_boot_dnsmasq_conf(const struct bp_cfg *cfg, const char *cfg_path,
			  const char *leasedir, bool have_undionly, char **out,
			  char *err, size_t errlen);
int bpm_boot_ipxe(const char *tmpl, size_t len, const char *proto,
		  const char *server, uint16_t port, const char *bootargs,
		  char **out);

#endif /* BPMASTER_H */
