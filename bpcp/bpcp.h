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

#define BPCP_VERSION	"0.1.0"
#define TOKEN_LEN	64	/* hex characters of BPCP_TOKEN */
#define CHUNK		(1 << 20)

extern const char *prog;
extern bool opt_p, opt_r;	/* -p, -r */

int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int write_all(int fd, const void *buf, size_t len);
int read_full(int fd, void *buf, size_t len);
const char *bpcp_token(void);

/* send.c */
int send_all(int out, char **srcs, int n);
int send_to(const char *to, char **srcs, int n);

/* recv.c */
int recv_all(int in, const char *dest, bool several);
int recv_listen(const char *dest, bool several);

#endif /* BPCP_H */
