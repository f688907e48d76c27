// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the stream relays (iotree.c) and the seed's hand-over of
 * their links (seed.c), all in one loop: three relays of one job (fanout
 * 2, 7 ranks: rank 0 under bpsh, rank 2 under rank 0, rank 6 under rank
 * 2), the lower two linking up through a real seed listener, and a fake
 * bpsh that takes each rank's output in order by offset, as bpsh does.
 * Output reaches bpsh with its offsets and its end; a process's unacked
 * output stays within the window (its end is not read further) until an
 * ack releases it; stdin for every rank reaches every process; a gap is
 * reported once; a relay whose link to its parent is replaced links to
 * bpsh directly, sends its unacked output again and IO_RESEND down, as
 * one whose parent's node refuses it does; a hello without the secret,
 * or a child's message out of place, is refused; stdin's end, a process
 * that closes its stdin and bpsh's CLOSED reach the other side; a relay
 * whose work is done ends and closes its link. The process table is a
 * stand-in. TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "bpslave.h"
#include "bproc-test/tap.h"

#define NR		8		/* ranks the fake bpsh keeps */
#define OUT_MAX		(6u << 20)	/* bytes of one stream it keeps */
#define CONNS		4
#define BIG		(6u << 20)	/* room for a window and a half */

/* ptable.c's, for seed.c: no process of any launch is starting here. */
struct bps_proc *bps_proc_find(struct bps *s, int32_t pid)
{
	return NULL;
}

static const uint8_t secret[BPROC_JOB_SECRET_LEN] = { 4, 2 };

/* What bpsh would have of each rank, over all its links. */
struct fake {
	int lfd;
	uint16_t port;
	int fd[CONNS];
	struct bp_rx rx[CONNS];
	uint32_t hello_rank[CONNS];
	int nconns, bad_hellos, closed;
	uint64_t total[NR][2];		/* stdout, stderr bytes in order */
	uint64_t again[NR][2];		/* bytes it had already */
	bool eof[NR][2];
	uint64_t in_ack[NR];
	uint32_t in_flags[NR];
	int gaps[NR], in_hellos[NR];
};

static uint8_t out_bytes[NR][2][OUT_MAX];

struct ctx {
	struct bps s;
	struct fake f;
	/* a process end the test writes without blocking */
	int wfd;
	const uint8_t *wbuf;
	size_t wlen, woff;
};

static bool hello_ok(const struct bp_msg_io_hello *h)
{
	uint8_t mac[32];

	return h->stream == BP_IO_TREE &&
	       !bp_io_mac(secret, h->job, h->rank, BP_IO_TREE, h->nonce, mac) &&
	       !memcmp(mac, h->mac, 32);
}

static void fake_data(struct fake *f, const struct bp_msg_io_data *d)
{
	uint32_t r = d->rank, i = d->stream - 1;
	uint64_t end = d->offset + d->len;

	if (r >= NR || d->stream == BP_IO_STDIN || d->offset > f->total[r][i] ||
	    end > OUT_MAX)
		return;		/* after a gap: dropped, as bpsh does */
	f->again[r][i] += (end < f->total[r][i] ? end : f->total[r][i]) - d->offset;
	if (end > f->total[r][i]) {
		memcpy(out_bytes[r][i] + f->total[r][i],
		       d->data + (f->total[r][i] - d->offset), end - f->total[r][i]);
		f->total[r][i] = end;
	}
	if ((d->flags & BP_IO_F_EOF) && end == f->total[r][i])
		f->eof[r][i] = true;
}

static void fake_msg(struct fake *f, int c, const struct bp_msg *m)
{
	uint32_t r = m->io.rank;

	if (f->hello_rank[c] == BP_IO_RANK_ALL) {
		if (m->type == BP_MSG_IO_HELLO && hello_ok(&m->io_hello))
			f->hello_rank[c] = m->io_hello.rank;
		else
			f->bad_hellos++;
		return;
	}
	if (m->type == BP_MSG_IO_DATA)
		fake_data(f, &m->io);
	if (m->type != BP_MSG_IO_ACK || r >= NR || m->io.stream != BP_IO_STDIN)
		return;
	f->in_ack[r] = m->io.offset;
	f->in_flags[r] |= m->io.flags;
	f->gaps[r] += !!(m->io.flags & BP_IO_F_GAP);
	f->in_hellos[r] += !!(m->io.flags & BP_IO_F_HELLO);
}

/* New links, and what came on each. */
static void fake_poll(struct fake *f)
{
	int fd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd >= 0 && f->nconns < CONNS) {
		f->fd[f->nconns] = fd;
		f->hello_rank[f->nconns] = BP_IO_RANK_ALL;
		bp_rx_init(&f->rx[f->nconns++]);
	} else if (fd >= 0) {
		close(fd);
	}
	for (int c = 0; c < f->nconns; c++) {
		struct bp_msg m;
		ssize_t n;

		if (f->fd[c] < 0)
			continue;
		n = bp_rx_read(&f->rx[c], f->fd[c]);
		while (bp_rx_next(&f->rx[c], &m, NULL) == 1)
			fake_msg(f, c, &m);
		if (n == 0 || (n < 0 && n != -EAGAIN)) {
			close(f->fd[c]);
			f->fd[c] = -1;
			f->closed++;
		}
	}
}

static void step(struct ctx *x)
{
	if (x->wfd >= 0 && x->woff < x->wlen) {
		ssize_t n = write(x->wfd, x->wbuf + x->woff, x->wlen - x->woff);

		if (n > 0)
			x->woff += (size_t)n;
	}
	bp_loop_once(&x->s.loop, 2);
	fake_poll(&x->f);
}

/* Run the loop until @cond holds, or @ms passed: whether it holds. */
#define UNTIL(x, cond, ms) ({						\
	uint64_t _due = bp_now_mono_ms() + (ms);			\
	bool _ok;							\
	while (!(_ok = (cond)) && bp_now_mono_ms() < _due)		\
		step(x);						\
	_ok;								\
})

static void settle(struct ctx *x, int ms)
{
	UNTIL(x, false, ms);
}

static int send_io(int fd, uint16_t type, uint32_t rank, uint32_t stream,
		   uint64_t off, uint32_t flags, const char *data)
{
	struct bp_msg m = { .type = type };

	m.io.rank = rank;
	m.io.stream = stream;
	m.io.offset = off;
	m.io.flags = flags;
	if (data) {
		m.io.len = (uint32_t)strlen(data);
		m.io.data = (const uint8_t *)data;
	}
	return bps_io_send(fd, &m);
}

static void job_of(struct bps_jobctx *jc, uint64_t id, uint32_t rank,
		   uint32_t n, uint32_t flags, uint16_t io_port, uint16_t seed)
{
	memset(jc, 0, sizeof(*jc));
	jc->job.size = sizeof(jc->job);
	jc->job.id = id;
	jc->job.rank = rank;
	jc->job.flags = flags;
	jc->job.io_port = io_port;
	jc->job.io_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", jc->job.io_addr);
	memcpy(jc->job.secret, secret, sizeof(secret));
	jc->tree.flags = BP_JOB_TREE_IO;
	jc->tree.nranks = n;
	jc->tree.fanout = 2;
	jc->tree.src_port = seed;
	if (seed)
		inet_pton(AF_INET, "127.0.0.1", jc->tree.src_addr);
	jc->node = (int32_t)rank + 10;
}

static int listen_local(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, 16) || getsockname(fd, (struct sockaddr *)&sin, &len))
		return -1;
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A connection to the seed with a tree hello of @rank, its MAC good or not. */
static int seed_dial(uint16_t port, uint64_t job, uint32_t rank, bool good)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct bp_msg m = { .type = BP_MSG_IO_HELLO };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return -1;
	m.io_hello.stream = BP_IO_TREE;
	m.io_hello.rank = rank;
	m.io_hello.job = job;
	bp_io_mac(secret, job, rank, BP_IO_TREE, m.io_hello.nonce, m.io_hello.mac);
	if (!good)
		m.io_hello.mac[5] ^= 1;
	if (bps_io_send(fd, &m)) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Read what came on a process's stdin end (non-blocking) into @buf. */
static size_t drain(int fd, char *buf, size_t cap, size_t have)
{
	ssize_t n = read(fd, buf + have, cap - have);

	return n > 0 ? have + (size_t)n : have;
}

static bool closed_by_peer(int fd)
{
	char c;

	return read(fd, &c, 1) == 0;
}

static void test_streams(struct tap *t, struct ctx *x, int fa[3], int fb[3],
			 int fc[3])
{
	struct fake *f = &x->f;
	bool ok;

	ok = UNTIL(x, f->in_hellos[0] && f->in_hellos[2] && f->in_hellos[6], 3000);
	tap_ok(t, ok && f->nconns == 1 && f->hello_rank[0] == 0 && !f->bad_hellos,
	       "rank 0 links up to bpsh with the launch's MAC; ranks 2 and 6 "
	       "through the seed, their stdin hellos up its link (%d links)",
	       f->nconns);

	ok = write(fa[1], "from 0", 6) == 6 && write(fb[2], "err of 2", 8) == 8 &&
	     write(fc[1], "from 6", 6) == 6;
	ok = ok && UNTIL(x, f->total[0][0] == 6 && f->total[2][1] == 8 &&
			 f->total[6][0] == 6, 3000);
	tap_ok(t, ok && !memcmp(out_bytes[0][0], "from 0", 6) &&
	       !memcmp(out_bytes[2][1], "err of 2", 8) &&
	       !memcmp(out_bytes[6][0], "from 6", 6) && !f->again[6][0],
	       "each rank's output reaches bpsh at its offsets, once");

	close(fa[2]);
	fa[2] = -1;
	ok = write(fc[2], "e6", 2) == 2;
	close(fc[2]);
	fc[2] = -1;
	ok = ok && UNTIL(x, f->eof[0][1] && f->eof[6][1], 3000);
	tap_ok(t, ok && f->total[0][1] == 0 && f->total[6][1] == 2,
	       "a closed stream ends with an EOF at its length (rank 0, rank 6)");
}

static void test_window(struct tap *t, struct ctx *x, int fb[3])
{
	static uint8_t big[BIG];
	struct fake *f = &x->f;
	size_t w = bp_io_window(7), len = w + w / 2;
	bool ok;

	for (size_t i = 0; i < len; i++)
		big[i] = (uint8_t)(i * 13 + i / 4093);
	fcntl(fb[1], F_SETFL, O_NONBLOCK);
	x->wfd = fb[1];
	x->wbuf = big;
	x->wlen = len;
	x->woff = 0;
	ok = UNTIL(x, f->total[2][0] >= w, 5000);
	settle(x, 200);
	tap_ok(t, ok && f->total[2][0] == w && x->woff > w,
	       "unacked output stops at the window (%zu bytes up, %zu written)",
	       (size_t)f->total[2][0], x->woff);
	ok = !send_io(f->fd[0], BP_MSG_IO_ACK, 2, BP_IO_STDOUT, w / 2, 0, NULL);
	ok = ok && UNTIL(x, f->total[2][0] == len, 5000);
	tap_ok(t, ok && !memcmp(out_bytes[2][0], big, len),
	       "an ack of half of it releases the rest, in order (%zu bytes)",
	       (size_t)f->total[2][0]);
	x->wfd = -1;
}

static void test_stdin(struct tap *t, struct ctx *x, int fa[3], int fb[3],
		       int fc[3])
{
	struct fake *f = &x->f;
	char a[16] = "", b[16] = "", c[16] = "";
	size_t na = 0, nb = 0, nc = 0;
	bool ok;

	for (int i = 0; i < 3; i++)
		fcntl((int[]){ fa[0], fb[0], fc[0] }[i], F_SETFL, O_NONBLOCK);
	ok = !send_io(f->fd[0], BP_MSG_IO_DATA, BP_IO_RANK_ALL, BP_IO_STDIN, 0, 0,
		      "abc");
	ok = ok && UNTIL(x, (na = drain(fa[0], a, sizeof(a), na)) == 3 &&
			 (nb = drain(fb[0], b, sizeof(b), nb)) == 3 &&
			 (nc = drain(fc[0], c, sizeof(c), nc)) == 3, 3000);
	tap_ok(t, ok && !memcmp(a, "abc", 3) && !memcmp(b, "abc", 3) &&
	       !memcmp(c, "abc", 3),
	       "stdin for every rank reaches every process (down two levels)");
	ok = UNTIL(x, f->in_ack[0] == 3 && f->in_ack[2] == 3 && f->in_ack[6] == 3,
		   3000);
	tap_ok(t, ok, "and each rank acknowledges what its process took");

	ok = !send_io(f->fd[0], BP_MSG_IO_DATA, 6, BP_IO_STDIN, 10, 0, "zz") &&
	     !send_io(f->fd[0], BP_MSG_IO_DATA, 6, BP_IO_STDIN, 12, 0, "zz");
	ok = ok && UNTIL(x, f->gaps[6] > 0, 3000);
	settle(x, 100);
	tap_ok(t, ok && f->gaps[6] == 1 && f->in_ack[6] == 3 &&
	       drain(fc[0], c, sizeof(c), 0) == 0,
	       "bytes past a gap: written nowhere, the gap reported once from 3");
}

static void test_relink(struct tap *t, struct ctx *x, uint16_t seed)
{
	struct fake *f = &x->f;
	uint64_t again2 = f->again[2][0], again6 = f->again[6][0];
	int imp = seed_dial(seed, 1, 2, true);
	struct bp_msg m = { 0 };
	struct bp_rx rx;
	bool ok;

	/* the test's own link for rank 2's slot: rank 2's old one is cut */
	ok = imp >= 0 && UNTIL(x, f->nconns == 2 && f->hello_rank[1] == 2 &&
			       f->in_hellos[2] == 2, 3000);
	tap_ok(t, ok, "a newer link for rank 2's slot replaces it: rank 2 links "
	       "to bpsh directly, its stdin hello again (%d links)", f->nconns);
	ok = UNTIL(x, f->again[2][0] - again2 >= bp_io_window(7), 3000);
	tap_ok(t, ok, "and sends its unacked output again (%llu bytes again)",
	       (unsigned long long)(f->again[2][0] - again2));
	ok = UNTIL(x, f->again[6][0] > again6 && f->in_hellos[6] == 2, 3000);
	tap_ok(t, ok, "and IO_RESEND down: rank 6 sends its own again too");
	bp_rx_init(&rx);
	ok = imp >= 0 &&
	     !send_io(f->fd[0], BP_MSG_IO_DATA, 2, BP_IO_STDIN, 3, 0, "d") &&
	     UNTIL(x, (bp_rx_read(&rx, imp), bp_rx_next(&rx, &m, NULL) == 1), 3000);
	tap_ok(t, ok && m.type == BP_MSG_IO_DATA && m.io.rank == 2 &&
	       m.io.offset == 3 && m.io.len == 1 && m.io.data[0] == 'd',
	       "stdin for rank 2 now goes down the newer link");
	ok = imp >= 0 &&
	     !send_io(imp, BP_MSG_IO_DATA, 0, BP_IO_STDOUT, 0, 0, "not mine") &&
	     UNTIL(x, closed_by_peer(imp), 3000);
	tap_ok(t, ok, "output of a rank outside a child's subtree: that link is closed");
	bp_rx_free(&rx);
	if (imp >= 0)
		close(imp);
}

/* After test_relink: rank 0 under bpsh's link 0, rank 2 (and 6) under link 1. */
static void test_stdin_end(struct tap *t, struct ctx *x, int fa[3], int fb[3],
			   int fc[3])
{
	struct fake *f = &x->f;
	bool ok;

	ok = !send_io(f->fd[0], BP_MSG_IO_DATA, BP_IO_RANK_ALL, BP_IO_STDIN, 3,
		      BP_IO_F_EOF, NULL) &&
	     !send_io(f->fd[1], BP_MSG_IO_DATA, BP_IO_RANK_ALL, BP_IO_STDIN, 3,
		      BP_IO_F_EOF, NULL);
	ok = ok && UNTIL(x, closed_by_peer(fa[0]) && closed_by_peer(fb[0]) &&
			 closed_by_peer(fc[0]), 3000);
	ok = ok && UNTIL(x, (f->in_flags[0] & f->in_flags[2] & f->in_flags[6] &
			     BP_IO_F_EOF), 3000);
	tap_ok(t, ok && f->in_ack[0] == 3 && f->in_ack[6] == 3,
	       "stdin's EOF: every process reads end of file, every rank acks it");

	ok = !send_io(f->fd[1], BP_MSG_IO_ACK, 6, BP_IO_STDOUT, 6, BP_IO_F_CLOSED,
		      NULL);
	ok = ok && UNTIL(x, write(fc[1], "x", 1) < 0 && errno == EPIPE, 3000);
	tap_ok(t, ok, "bpsh wants no more of rank 6's stdout: its process gets EPIPE");
}

static void test_parent_gone(struct tap *t, struct ctx *x)
{
	struct fake *f = &x->f;
	struct bps_jobctx jc;
	uint16_t dead;
	int lfd = listen_local(&dead), fd[3];
	bool ok;

	close(lfd);	/* a port nobody listens on: the node above is gone */
	job_of(&jc, 3, 3, 4, BPROC_JOB_STDOUT | BPROC_JOB_STDIN, f->port, dead);
	ok = lfd >= 0 && !bps_iotree_spawn(&x->s, &jc, fd) &&
	     UNTIL(x, f->in_hellos[3] == 1, 3000);
	tap_ok(t, ok && f->hello_rank[f->nconns - 1] == 3,
	       "the node above refuses: rank 3 links to bpsh directly");
	for (int i = 0; ok && i < 3; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

static void test_refused(struct tap *t, struct ctx *x, uint16_t seed)
{
	struct bp_msg_io_hello h = { .stream = BP_IO_TREE, .rank = 3, .job = 1 };
	int fd = seed_dial(seed, 1, 3, false);
	bool ok;

	ok = fd >= 0 && UNTIL(x, closed_by_peer(fd), 3000);
	tap_ok(t, ok, "a tree hello without the launch's secret: the seed closes it");
	if (fd >= 0)
		close(fd);
	tap_ok(t, bps_iotree_take(&x->s, -1, &h, NULL, 0) == -EPERM,
	       "bps_iotree_take: a bad MAC for an existing relay: -EPERM");
	h.job = 99;
	tap_ok(t, bps_iotree_take(&x->s, -1, &h, NULL, 0) == -EAGAIN,
	       "bps_iotree_take: no relay of that job (yet): -EAGAIN");
}

static void test_end(struct tap *t, struct ctx *x)
{
	struct fake *f = &x->f;
	struct bps_jobctx jc;
	int fd[3], c, closed;
	bool ok;

	/* rank 5 of 6: nothing below it; no seed port: straight to bpsh */
	job_of(&jc, 2, 5, 6, BPROC_JOB_STDOUT | BPROC_JOB_STDIN, f->port, 0);
	ok = !bps_iotree_spawn(&x->s, &jc, fd) && fd[0] >= 0 && fd[1] >= 0 &&
	     fd[2] < 0;
	c = f->nconns;
	ok = ok && UNTIL(x, f->nconns == c + 1 && f->hello_rank[c] == 5, 3000);
	close(fd[0]);
	ok = ok && UNTIL(x, f->in_flags[5] & BP_IO_F_CLOSED, 3000);
	tap_ok(t, ok && f->in_ack[5] == 0,
	       "a process that closes its stdin: its rank acks CLOSED");
	ok = ok && write(fd[1], "bye", 3) == 3;
	close(fd[1]);
	ok = ok && UNTIL(x, f->eof[5][0], 3000);
	tap_ok(t, ok && f->total[5][0] == 3, "its output and EOF");
	closed = f->closed;
	settle(x, 100);
	ok = f->closed == closed && f->fd[c] >= 0 &&
	     !send_io(f->fd[c], BP_MSG_IO_ACK, 5, BP_IO_STDOUT, 3, BP_IO_F_EOF, NULL);
	ok = ok && UNTIL(x, f->fd[c] < 0, 3000);
	tap_ok(t, ok, "it ends once bpsh acks the EOF: its link closes");
}

int main(void)
{
	static struct ctx x;
	struct tap t = { 0 };
	struct bps_jobctx ja, jb, jcc;
	uint32_t all = BPROC_JOB_STDIN | BPROC_JOB_STDOUT | BPROC_JOB_STDERR;
	int fa[3], fb[3], fc[3];
	uint16_t seed;

	printf("TAP version 13\n");
	signal(SIGPIPE, SIG_IGN);
	x.wfd = -1;
	bp_log_init(&x.s.log, "test_iotree", 2, BP_LOG_STAMP_NONE);
	x.f.lfd = listen_local(&x.f.port);
	if (x.f.lfd < 0 || bp_loop_init(&x.s.loop) || bps_seed_start(&x.s, 0)) {
		printf("Bail out! listeners\n");
		return 1;
	}
	seed = bps_seed_port(&x.s);
	job_of(&ja, 1, 0, 7, all, x.f.port, seed);
	job_of(&jb, 1, 2, 7, all, x.f.port, seed);
	job_of(&jcc, 1, 6, 7, all, x.f.port, seed);
	tap_ok(&t, !bps_iotree_spawn(&x.s, &ja, fa) &&
	       !bps_iotree_spawn(&x.s, &jb, fb) && !bps_iotree_spawn(&x.s, &jcc, fc) &&
	       fa[0] >= 0 && fa[1] >= 0 && fa[2] >= 0 && fc[2] >= 0,
	       "three relays of one job: each process gets three ends");

	test_streams(&t, &x, fa, fb, fc);
	test_window(&t, &x, fb);
	test_stdin(&t, &x, fa, fb, fc);
	test_refused(&t, &x, seed);
	test_relink(&t, &x, seed);
	test_stdin_end(&t, &x, fa, fb, fc);
	test_end(&t, &x);
	test_parent_gone(&t, &x);
	return tap_done(&t);
}
