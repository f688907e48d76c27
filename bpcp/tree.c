// SPDX-License-Identifier: GPL-2.0
/*
 * bpcp to many nodes along a tree (docs/bpcp.md, "To many nodes"): the
 * command sends the stream to a few nodes, each receiver copies every
 * byte it reads on to its own children while it writes the files, so
 * the master sends the data K times (the tree's width), not once per
 * node.
 *
 * A hop carries, after the token, the receiver's descendants in
 * pre-order, each with the size of its subtree (itself included): its
 * children are the first entry and each entry after a whole subtree.
 * The command plans the tree (tree_plan); every receiver only follows
 * it. A child that cannot be reached is replaced by its own children
 * (the parent adopts them), so one dead node costs only itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpcp.h"

#define CONNECT_MS	10000	/* a child that does not accept in this: adopted */
#define STUCK_S		60	/* a child that reads nothing in this: dropped */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* @n hops of @in (in any order) as a tree of width @k, pre-order, into @out. */
static void plan(const struct bpcp_hop *in, uint32_t n, unsigned int k,
		 struct bpcp_hop *out)
{
	uint32_t done = 0;

	for (unsigned int c = 0; c < k && done < n; c++) {
		/* child c takes an equal share of what is left */
		uint32_t size = (n - done + (k - c) - 1) / (k - c);

		out[0] = in[done];
		out[0].subtree = size;
		plan(in + done + 1, size - 1, k, out + 1);
		out += size;
		done += size;
	}
}

void tree_plan(const struct bpcp_hop *in, uint32_t n, unsigned int k,
	       struct bpcp_hop *out)
{
	plan(in, n, k ? k : 1, out);
}

/* 0 when @h[0..n) is a well-formed list of subtrees, or -1. */
static int check_desc(const struct bpcp_hop *h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i += h[i].subtree) {
		if (!h[i].subtree || h[i].subtree > n - i ||
		    check_desc(h + i + 1, h[i].subtree - 1))
			return -1;
	}
	return 0;
}

int tree_read_desc(int fd, struct bpcp_hop **out, uint32_t *n)
{
	uint8_t b[4], *raw;
	struct bpcp_hop *h;

	*out = NULL;
	*n = 0;
	if (read_full(fd, b, 4) != 1)
		return fail("the sender sent no list of nodes to copy on to");
	*n = get32(b);
	if (*n > BPCP_TREE_MAX)
		return fail("the sender sent %u nodes to copy on to (at most %d)",
			    *n, BPCP_TREE_MAX);
	if (!*n)
		return 0;
	raw = malloc((size_t)*n * BPCP_HOP_LEN);
	h = calloc(*n, sizeof(*h));
	if (!raw || !h || read_full(fd, raw, (size_t)*n * BPCP_HOP_LEN) != 1) {
		free(raw);
		free(h);
		return fail("the list of nodes to copy on to was cut short");
	}
	for (uint32_t i = 0; i < *n; i++) {
		const uint8_t *p = raw + (size_t)i * BPCP_HOP_LEN;

		h[i].node = (int32_t)get32(p);
		memcpy(&h[i].addr, p + 4, 4);
		h[i].port = (uint16_t)(p[8] | p[9] << 8);
		h[i].subtree = get32(p + 12);
		if (!h[i].port || p[10] || p[11]) {
			free(raw);
			free(h);
			return fail("a malformed list of nodes to copy on to");
		}
	}
	free(raw);
	if (check_desc(h, *n)) {
		free(h);
		return fail("a malformed list of nodes to copy on to (subtree sizes)");
	}
	*out = h;
	return 0;
}

/* A non-blocking connect to @h within CONNECT_MS: the socket, or -1 (errno). */
static int connect_hop(const struct bpcp_hop *h)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(h->port) };
	/* a child that takes nothing for this long is cut off, not waited for */
	struct timeval stuck = { .tv_sec = STUCK_S };
	struct pollfd p;
	int fd, err = 0, one = 1, fl;
	socklen_t len = sizeof(err);

	sin.sin_addr.s_addr = h->addr;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) && errno != EINPROGRESS)
		goto bad;
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, CONNECT_MS) != 1) {
		errno = ETIMEDOUT;
		goto bad;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		errno = err ? err : errno;
		goto bad;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stuck, sizeof(stuck)))
		goto bad;
	return fd;
bad:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* The token, then @h's descendants (h[1..h->subtree)). */
static int send_desc(int fd, const char *tok, const struct bpcp_hop *h)
{
	uint32_t n = h->subtree - 1;
	size_t len = TOKEN_LEN + 4 + (size_t)n * BPCP_HOP_LEN;
	uint8_t *b = malloc(len), *p;
	int ret;

	if (!b)
		return -1;
	memcpy(b, tok, TOKEN_LEN);
	put32(b + TOKEN_LEN, n);
	p = b + TOKEN_LEN + 4;
	for (uint32_t i = 1; i <= n; i++, p += BPCP_HOP_LEN) {
		put32(p, (uint32_t)h[i].node);
		memcpy(p + 4, &h[i].addr, 4);
		p[8] = (uint8_t)h[i].port;
		p[9] = (uint8_t)(h[i].port >> 8);
		p[10] = p[11] = 0;
		put32(p + 12, h[i].subtree);
	}
	ret = write_all(fd, b, len);
	free(b);
	return ret;
}

static void hop_str(const struct bpcp_hop *h, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &h->addr, a, sizeof(a));
	snprintf(buf, len, "node %d (%s:%u)", h->node, a, h->port);
}

/*
 * Connect to the children of the subtrees @h[0..n): each gets the token
 * and its own descendants. One that cannot be reached is said and its
 * children are taken instead.
 */
static void open_children(struct tee *t, const struct bpcp_hop *h, uint32_t n,
			  const char *tok)
{
	for (uint32_t i = 0; i < n; i += h[i].subtree) {
		char what[64];
		int fd = connect_hop(&h[i]);

		hop_str(&h[i], what, sizeof(what));
		if (fd >= 0 && send_desc(fd, tok, &h[i])) {
			close(fd);
			fd = -1;
		}
		if (fd < 0) {
			fprintf(stderr, "%s: %s: cannot copy on to it: %s%s\n",
				prog, what, strerror(errno), h[i].subtree > 1 ?
				"; sending to its children instead" : "");
			open_children(t, h + i + 1, h[i].subtree - 1, tok);
			continue;
		}
		t->fd[t->n] = fd;
		t->hop[t->n++] = h[i];
	}
}

int tee_open(struct tee *t, const struct bpcp_hop *desc, uint32_t n,
	     const char *tok)
{
	memset(t, 0, sizeof(*t));
	if (!n)
		return 0;
	/* at most every node of the list becomes a direct child */
	t->fd = calloc(n, sizeof(*t->fd));
	t->hop = calloc(n, sizeof(*t->hop));
	if (!t->fd || !t->hop) {
		free(t->fd);
		free(t->hop);
		t->fd = NULL;
		t->hop = NULL;
		return fail("out of memory");
	}
	open_children(t, desc, n, tok);
	return 0;
}

void tee_write(struct tee *t, const void *buf, size_t len)
{
	for (int i = 0; i < t->n; i++) {
		char what[64];

		if (t->fd[i] < 0 || !write_all(t->fd[i], buf, len))
			continue;
		hop_str(&t->hop[i], what, sizeof(what));
		fprintf(stderr, "%s: %s: cut off while copying on to it: %s\n",
			prog, what, strerror(errno));
		close(t->fd[i]);
		t->fd[i] = -1;
	}
}

int tee_live(const struct tee *t)
{
	int live = 0;

	for (int i = 0; i < t->n; i++)
		live += t->fd[i] >= 0;
	return live;
}

void tee_close(struct tee *t)
{
	for (int i = 0; i < t->n; i++)
		if (t->fd[i] >= 0)
			close(t->fd[i]);
	free(t->fd);
	free(t->hop);
	memset(t, 0, sizeof(*t));
}

/*
 * What is left of @in on to the children, while any is left (a relay
 * whose own copy failed; the root).
 */
void tee_drain(struct tee *t, int in)
{
	uint8_t *buf = malloc(CHUNK);
	ssize_t r;

	if (!buf)
		return;
	while (tee_live(t) && ((r = read(in, buf, CHUNK)) > 0 ||
			       (r < 0 && errno == EINTR)))
		if (r > 0)
			tee_write(t, buf, (size_t)r);
	free(buf);
}

/*
 * The root of the tree, here: the stream read from @in (a sender's pipe)
 * on to the subtrees @desc[0..n), until its end or until no child is
 * left (the sender then gets EPIPE). The nodes' results come from each
 * receiver; -1 only when nothing could start.
 */
int tree_pump(const struct bpcp_hop *desc, uint32_t n, int in)
{
	const char *tok = bpcp_token();
	struct tee t;

	if (!tok)
		return fail("no BPCP_TOKEN of %d characters", TOKEN_LEN);
	if (tee_open(&t, desc, n, tok))
		return -1;
	tee_drain(&t, in);
	tee_close(&t);
	return 0;
}
