/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpmaster: the master daemon. One thread, one epoll loop: a listening
 * TCP socket, a signalfd, and one connection per node. The node table in
 * the module (/dev/bproc) is written only from here.
 */
#ifndef BPMASTER_H
#define BPMASTER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <syslog.h>

#include <linux/bproc.h>

#include "bp_config.h"
#include "bp_stream.h"
#include "bp_wire.h"

#define BPM_VERSION	"0.1.0"
#define BPM_LEASEDIR	"/var/lib/bproc"

/* What an epoll event's data.ptr points at. */
enum bpm_src_kind {
	BPM_SRC_LISTEN,
	BPM_SRC_SIGNAL,
	BPM_SRC_CONN,
	BPM_SRC_BPROC,		/* process messages on the master file */
};

struct bpm_src {
	enum bpm_src_kind kind;
};

enum bpm_conn_state {
	BPM_CONN_HELLO,		/* accepted, waiting for HELLO */
	BPM_CONN_ACTIVE,	/* welcomed; the node's connection */
	BPM_CONN_DEAD,		/* closed, freed after the event batch */
};

struct bpm_conn {
	struct bpm_src src;		/* first: epoll data.ptr */
	int fd;
	enum bpm_conn_state state;
	int node;			/* from the peer address */
	struct sockaddr_in peer;
	char peer_str[INET_ADDRSTRLEN + 8];	/* "ADDR:PORT" */
	struct bp_rx rx;
	struct bp_tx tx;
	bool want_out;			/* EPOLLOUT registered */
	uint64_t last_rx;		/* CLOCK_MONOTONIC ns */
	uint64_t next_ping;		/* CLOCK_MONOTONIC ns */
	uint32_t ping_id;
	struct bpm_conn *next;		/* m->conns or m->dead */
};

struct bpm {
	const char *cfg_path;
	struct bp_cfg cfg;
	bool verbose;
	bool use_syslog;
	int bproc_fd;
	int epoll_fd;
	int listen_fd;
	int signal_fd;
	struct bpm_src listen_src;
	struct bpm_src signal_src;
	struct bpm_src bproc_src;
	uint8_t *kbuf;			/* BPROC_MSG_MAX: one process message */
	bool procs;			/* the module queues process messages */
	uint32_t unsupported;		/* 1 << type: module said EOPNOTSUPP */
	struct bpm_conn *conns;		/* every open connection */
	struct bpm_conn *dead;		/* closed, to free */
	struct bpm_conn **node_conn;	/* [cfg.node_count]: ACTIVE conn or NULL */
	struct bproc_node_info *info;	/* [cfg.node_count]: what we told the module */
	bool defer_push;		/* reload: push the whole table at the end */
	bool quit;
};

/* log.c */
void bpm_log(const struct bpm *m, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void bpm_vlog(const struct bpm *m, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
#define bpm_debug(m, ...) do {					\
		if ((m)->verbose)				\
			bpm_log(m, LOG_DEBUG, __VA_ARGS__);	\
	} while (0)

/* time */
uint64_t bpm_now_mono(void);
uint64_t bpm_now_real(void);

/* nodes.c: the module's node table */
int bpm_nodes_init(struct bpm *m);
void bpm_nodes_fill_down(const struct bpm *m, struct bproc_node_info *ni,
			 uint32_t node);
int bpm_node_push(struct bpm *m, int node);
int bpm_node_set_state(struct bpm *m, int node, enum bproc_node_state state);

/* conn.c */
int bpm_listen(uint16_t port, int *fd);
void bpm_accept(struct bpm *m);
void bpm_conn_event(struct bpm *m, struct bpm_conn *c, uint32_t events);
void bpm_conn_close(struct bpm *m, struct bpm_conn *c, uint32_t bye_code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int bpm_conn_send(struct bpm *m, struct bpm_conn *c, const struct bp_msg *msg);
int bpm_send_welcome(struct bpm *m, struct bpm_conn *c);
int bpm_timers(struct bpm *m);
void bpm_reap(struct bpm *m);

/* proc.c: process messages between the module and the nodes */
int bpm_procs_init(struct bpm *m);
void bpm_kmod_readable(struct bpm *m);
void bpm_proc_from_node(struct bpm *m, struct bpm_conn *c,
			const struct bp_msg_proc *p);

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
