/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpcp's parts (docs/bpcp.md): send.c writes the stream (stream.h) of
 * sources, recv.c reads one into a destination, bpcp.c is the command
 * that runs them here and, through bpsh, on nodes.
 */
#ifndef BPCP_H
#define BPCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPCP_VERSION	"0.1.0"
#define TOKEN_LEN	64	/* hex characters of BPCP_TOKEN */
#define CHUNK		(1 << 20)
#define BPCP_FANOUT_DEFAULT	2	/* --fanout (docs/bpcp.md: measured) */
#define BPCP_FANOUT_MAX		64

extern const char *prog;
extern bool opt_p, opt_r;	/* -p, -r */

int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int write_all(int fd, const void *buf, size_t len);
int read_full(int fd, void *buf, size_t len);
const char *bpcp_token(void);
long long now_ms(void);

/* tree.c: to many nodes along a tree */
#define BPCP_HOP_LEN	16	/* on the wire: node, addr, port, pad, subtree */
#define BPCP_TREE_MAX	4096	/* nodes in one copy (BPROC_NODES_MAX) */

struct bpcp_hop {
	int32_t node;
	uint32_t addr;		/* IPv4, network order */
	uint16_t port;
	uint32_t subtree;	/* itself and its descendants */
};

/* The children a receiver copies the stream on to. */
struct tee {
	int *fd;		/* -1 once cut off */
	struct bpcp_hop *hop;
	int n;
};

void tree_plan(const struct bpcp_hop *in, uint32_t n, unsigned int k,
	       struct bpcp_hop *out);
int tree_read_desc(int fd, struct bpcp_hop **out, uint32_t *n);
int tee_open(struct tee *t, const struct bpcp_hop *desc, uint32_t n,
	     const char *tok);
void tee_write(struct tee *t, const void *buf, size_t len);
int tee_live(const struct tee *t);
void tee_drain(struct tee *t, int in);
void tee_close(struct tee *t);
int tree_pump(const struct bpcp_hop *desc, uint32_t n, int in);

/* send.c */
int send_all(int out, char **srcs, int n);
int send_to(const char *to, char **srcs, int n);

/* recv.c */
int recv_all(int in, const char *dest, bool several, struct tee *tee);
int recv_listen(const char *dest, bool several, bool relay);

#endif /* BPCP_H */
