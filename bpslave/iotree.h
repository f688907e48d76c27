/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The relay of a tree job's streams (docs/bpsh.md, "Standard streams
 * through the tree"), private to bpslave/iotree*.c:
 *
 *   iotree.c      the relay's life, its children's links, what comes
 *                 from above, bps_iotree_spawn() and bps_iotree_take()
 *   iotree_own.c  its own process's output and stdin
 *   iotree_up.c   its link up: connect, hello, queue, failure
 *
 * A file only calls the ones listed after it.
 */
#ifndef BPS_IOTREE_H
#define BPS_IOTREE_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bp_crypto.h"
#include "bpslave.h"

#define TREE_TX_HIGH	(1u << 20)	/* link up: stop reading below */
#define TREE_KID_FULL	(2u << 20)	/* child link this full: closed */
#define TREE_STDIN_MAX	((64u << 20) + BP_IO_CHUNK)
#define TREE_LINGER_MS	5000		/* the last acks on their way up */
#define TREE_READS	16		/* reads of a process per round */

struct bps_iotree;

/* The process's stdout or stderr: bytes [acked, got) kept in a ring. */
struct tree_out {
	struct bp_io io;		/* the relay's end, fd -1: none */
	struct bps_iotree *t;
	uint32_t stream;
	uint8_t *ring;			/* byte o at ring[o % window] */
	uint64_t acked;			/* bpsh has every byte before */
	uint64_t next;			/* the next byte to send up */
	uint64_t got;			/* read from the process */
	bool eof, eof_sent, done;
};

/* The process's stdin: bytes [wpos, rpos) wait at q + qoff. */
struct tree_in {
	struct bp_io io;		/* the relay's end, fd -1: none */
	struct bps_iotree *t;
	uint8_t *q;
	size_t qoff, qcap;
	uint64_t rpos, wpos;
	uint32_t end_flags;		/* done: BP_IO_F_EOF or BP_IO_F_CLOSED */
	bool takes, eof, gap_sent, done;
};

/* A link from a rank below, handed over by the seed. */
struct tree_kid {
	struct bp_io io;		/* first: the socket */
	struct bps_iotree *t;
	uint32_t rank, slot;
	struct bp_rx rx;
	struct bp_tx tx;
	uint64_t rx_ms;			/* when it last said something */
};

struct tree_up {
	struct bp_io io;		/* fd -1: none */
	struct bp_rx rx;
	struct bp_tx tx;
	bool connecting, up;
	bool to_bpsh;			/* else to the parent's seed port */
	unsigned int links;		/* links made so far */
	uint64_t rx_ms;			/* when the link above said something */
};

struct bps_iotree {
	struct bps *s;
	struct bps_iotree *next;	/* s->iotrees */
	uint64_t job;
	uint32_t rank, nranks, fanout;
	uint8_t secret[BPROC_JOB_SECRET_LEN];
	int32_t node;
	size_t window;			/* bp_io_window(nranks) */
	struct sockaddr_in parent, bpsh;
	struct tree_up up;
	struct tree_out out[2];
	struct tree_in in;
	struct tree_kid **kids;		/* slot: rank - (rank + 1) * fanout */
	bool *linked;			/* a slot that has had a link */
	uint32_t nkids, nopen, nlinked;
	bool reading;			/* children's links are watched */
	bool stalled;			/* a child's messages wait in its rx */
	bool gone, closing;
	uint64_t made_ms;
	struct bp_timer link;		/* connect now, or its timeout */
	struct bp_timer kick;		/* the children's waiting messages */
	struct bp_timer end;		/* the attach deadline, then linger */
	struct bp_timer alive;		/* IO_ALIVE out, silent peers found */
};

/* iotree_own.c */
void iot_out_close(struct tree_out *o);
void iot_out_pump(struct tree_out *o);
void iot_out_acked(struct tree_out *o, uint64_t a, uint32_t flags);
void iot_out_resend(struct tree_out *o);
void iot_in_finish(struct tree_in *in, uint32_t flags);
void iot_in_pump(struct tree_in *in);
int iot_in_data(struct tree_in *in, const struct bp_msg_io_data *d);
void iot_in_hello(struct tree_in *in);

/* iotree_up.c */
bool iot_up_room(const struct bps_iotree *t);
void iot_sock_close(int fd);
void iot_sock_keepalive(int fd);
void iot_up_close(struct bps_iotree *t);
void iot_up_fail(struct bps_iotree *t, const char *why);
int iot_up_queue(struct bps_iotree *t, const struct bp_msg *m);
int iot_up_io(struct bps_iotree *t, uint16_t type, uint32_t rank,
		 uint32_t stream, uint64_t off, uint32_t flags);
void iot_up_connect(struct bps_iotree *t);
int iot_up_hello(struct bps_iotree *t);

#endif /* BPS_IOTREE_H */
