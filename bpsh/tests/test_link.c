// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of bpsh's side of the streams through the tree
 * (link.c, with output.c and input.c): a socketpair plays the relay of
 * rank 0, whose link carries the streams of ranks 0-2. Output is taken
 * in order by offset, each byte once, every IO_DATA acknowledged (a gap
 * not); bpsh closing a stream tells the relay; a blocked stdout stops
 * the reading; stdin goes down once to every rank, to one rank on its
 * hello, and ends with EOF once every rank has it all.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bpsh.h"
#include "bproc-test/tap.h"

struct peer {
	int fd;			/* the relay's end */
	struct bp_rx rx;
};

static void spin(struct bpsh *b)
{
	for (int i = 0; i < 8; i++)
		bp_loop_once(&b->loop, 20);
}

static void send_msg(struct peer *p, uint16_t type, uint32_t rank,
		     uint32_t stream, uint64_t off, uint32_t flags,
		     const char *data)
{
	uint8_t buf[256];
	struct bp_msg m = { .type = type };
	ssize_t n;

	m.io.rank = rank;
	m.io.stream = stream;
	m.io.offset = off;
	m.io.flags = flags;
	m.io.len = data ? (uint32_t)strlen(data) : 0;
	m.io.data = (const uint8_t *)data;
	n = bp_wire_encode(&m, buf, sizeof(buf));
	if (n < 0 || write(p->fd, buf, (size_t)n) != n)
		abort();
}

/* The next message bpsh sent, within 1 s: 1, or 0 when none came. */
static int recv_msg(struct bpsh *b, struct peer *p, struct bp_msg *m)
{
	for (int tries = 0; tries < 50; tries++) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
		int ret = bp_rx_next(&p->rx, m, NULL);

		if (ret)
			return ret;
		bp_loop_once(&b->loop, 0);
		if (poll(&pfd, 1, 20) > 0 && bp_rx_read(&p->rx, p->fd) <= 0)
			return 0;
	}
	return 0;
}

static bool is_ack(const struct bp_msg *m, uint32_t rank, uint32_t stream,
		   uint64_t off, uint32_t flags)
{
	return m->type == BP_MSG_IO_ACK && m->io.rank == rank &&
	       m->io.stream == stream && m->io.offset == off &&
	       m->io.flags == flags;
}

static bool is_data(const struct bp_msg *m, uint32_t rank, uint64_t off,
		    uint32_t flags, const char *data)
{
	size_t len = strlen(data);

	return m->type == BP_MSG_IO_DATA && m->io.rank == rank &&
	       m->io.stream == BP_IO_STDIN && m->io.offset == off &&
	       m->io.flags == flags && m->io.len == len &&
	       !memcmp(m->io.data, data, len);
}

static size_t drain(int fd, char *buf, size_t cap)
{
	ssize_t n = read(fd, buf, cap - 1);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

int main(void)
{
	static struct bpsh b;
	struct tap t = { 0 };
	int sp[2], out[2], err[2], in[2];
	struct peer p = { 0 };
	struct bp_msg m;
	char got[256];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) || pipe(out) || pipe(err) ||
	    pipe(in))
		return 1;
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	if (write(in[1], "abc", 3) != 3 || dup2(in[0], 0) != 0)
		return 1;
	close(in[0]);
	p.fd = sp[1];
	bp_rx_init(&p.rx);

	b.o.bufsize = 4096;
	b.o.stdin_rank = -1;
	b.o.fanout = 1;
	b.tree_io = true;
	b.nranks = 3;
	b.running = 3;
	b.ranks = calloc(3, sizeof(*b.ranks));
	if (!b.ranks || bp_loop_init(&b.loop))
		return 1;
	bp_log_init(&b.log, "bpsh", 2, BP_LOG_STAMP_NONE);
	bpsh_links_init(&b);
	for (int i = 0; i < 3; i++) {
		struct bpsh_rank *r = &b.ranks[i];

		r->b = &b;
		r->rank = i;
		r->node = 10 + i;
		r->errfd = -1;
		r->in_sock = -1;
		bpsh_out_init(&b, r, &r->out, 1);
		bpsh_out_init(&b, r, &r->err, 2);
		r->out.expected = r->err.expected = true;
		r->in_expected = i == 2;	/* only rank 2 takes stdin */
	}
	b.out_fd[1] = out[1];
	b.out_fd[2] = err[1];
	bpsh_input_init(&b);
	bpsh_link_attach(&b, sp[0], 0, NULL, 0);
	tap_ok(&t, b.nlinks == 1 && b.ranks[0].own_link, "a link for rank 0");

	/* stdin's first chunk: once, to every rank below the link */
	spin(&b);
	tap_ok(&t, recv_msg(&b, &p, &m) == 1 && is_data(&m, BP_IO_RANK_ALL, 0, 0, "abc"),
	       "stdin's chunk goes down once, to every rank");

	/* output of rank 1: in order, a repeat dropped, a gap not taken */
	send_msg(&p, BP_MSG_IO_DATA, 1, BP_IO_STDOUT, 0, 0, "hello ");
	send_msg(&p, BP_MSG_IO_DATA, 1, BP_IO_STDOUT, 0, 0, "hello ");
	send_msg(&p, BP_MSG_IO_DATA, 1, BP_IO_STDOUT, 10, 0, "after a gap");
	send_msg(&p, BP_MSG_IO_DATA, 1, BP_IO_STDOUT, 3, 0, "lo world");
	send_msg(&p, BP_MSG_IO_DATA, 1, BP_IO_STDOUT, 11, BP_IO_F_EOF, "\n");
	spin(&b);
	drain(out[0], got, sizeof(got));
	tap_ok(&t, !strcmp(got, "hello world\n"), "each byte once, in order (%zu bytes)", strlen(got));
	tap_ok(&t, recv_msg(&b, &p, &m) == 1 && is_ack(&m, 1, BP_IO_STDOUT, 6, 0),
	       "the first part acknowledged");
	tap_ok(&t, recv_msg(&b, &p, &m) == 1 && is_ack(&m, 1, BP_IO_STDOUT, 6, 0),
	       "the repeat acknowledged again");
	tap_ok(&t, recv_msg(&b, &p, &m) == 1 && is_ack(&m, 1, BP_IO_STDOUT, 11, 0),
	       "no ack after the gap; the overlap's new part acknowledged");
	tap_ok(&t, recv_msg(&b, &p, &m) == 1 &&
	       is_ack(&m, 1, BP_IO_STDOUT, 12, BP_IO_F_EOF) &&
	       b.ranks[1].out.eof && b.ranks[1].out.end_seen,
	       "the end acknowledged; the stream is done");
	send_msg(&p, BP_MSG_IO_DATA, 1, BP_IO_STDOUT, 0, 0, "late");
	spin(&b);
	tap_ok(&t, recv_msg(&b, &p, &m) == 1 &&
	       is_ack(&m, 1, BP_IO_STDOUT, 12, BP_IO_F_EOF) &&
	       drain(out[0], got, sizeof(got)) == 0,
	       "bytes of an ended stream: dropped, its end acknowledged again");

	/* bpsh's stdout blocked: the link is not read until it is not */
	b.out_blocked = true;
	send_msg(&p, BP_MSG_IO_DATA, 0, BP_IO_STDERR, 0, 0, "e0");
	spin(&b);
	tap_ok(&t, b.ranks[0].err.total == 0 && b.links->paused,
	       "while bpsh's output is blocked the link waits");
	b.out_blocked = false;
	bpsh_links_reading(&b);
	spin(&b);
	drain(err[0], got, sizeof(got));
	tap_ok(&t, !strcmp(got, "e0") && recv_msg(&b, &p, &m) == 1 &&
	       is_ack(&m, 0, BP_IO_STDERR, 2, 0), "then it is read: '%s'", got);

	/* bpsh closes rank 0's stderr (its reader went): the relay hears */
	bpsh_out_close(&b.ranks[0].err);
	tap_ok(&t, recv_msg(&b, &p, &m) == 1 &&
	       is_ack(&m, 0, BP_IO_STDERR, 2, BP_IO_F_CLOSED),
	       "a stream bpsh closed: CLOSED to its relay");

	/* stdin: rank 2 linked late: the chunk to it alone, then the next */
	send_msg(&p, BP_MSG_IO_ACK, 2, BP_IO_STDIN, 1, BP_IO_F_HELLO, NULL);
	spin(&b);
	tap_ok(&t, recv_msg(&b, &p, &m) == 1 && is_data(&m, 2, 1, 0, "bc"),
	       "a rank's hello: what it lacks, to it alone");
	if (write(in[1], "defg", 4) != 4)
		return 1;
	spin(&b);
	tap_ok(&t, recv_msg(&b, &p, &m) == 0, "no next chunk before rank 2 has this one");
	send_msg(&p, BP_MSG_IO_ACK, 2, BP_IO_STDIN, 3, 0, NULL);
	spin(&b);
	tap_ok(&t, recv_msg(&b, &p, &m) == 1 && is_data(&m, BP_IO_RANK_ALL, 3, 0, "defg"),
	       "the next chunk once rank 2 has all of this one");
	close(in[1]);
	send_msg(&p, BP_MSG_IO_ACK, 2, BP_IO_STDIN, 5, BP_IO_F_GAP, NULL);
	spin(&b);
	tap_ok(&t, recv_msg(&b, &p, &m) == 1 && is_data(&m, 2, 5, 0, "fg"),
	       "a gap: the rest of the chunk to that rank");
	send_msg(&p, BP_MSG_IO_ACK, 2, BP_IO_STDIN, 7, 0, NULL);
	spin(&b);
	tap_ok(&t, recv_msg(&b, &p, &m) == 1 &&
	       is_data(&m, BP_IO_RANK_ALL, 7, BP_IO_F_EOF, ""),
	       "the end of stdin once every rank has all of it");
	send_msg(&p, BP_MSG_IO_ACK, 2, BP_IO_STDIN, 99, 0, NULL);
	spin(&b);
	tap_ok(&t, b.ranks[2].in_pos == 7, "an ack past what bpsh sent is ignored");

	/* a message that has no place on the link ends it */
	send_msg(&p, BP_MSG_IO_DATA, 1, BP_IO_STDIN, 0, 0, "x");
	spin(&b);
	tap_ok(&t, recv_msg(&b, &p, &m) == 0 && b.nlinks == 0 &&
	       !b.ranks[0].own_link, "stdin coming up closes the link");
	bpsh_links_close(&b);
	tap_ok(&t, b.links == NULL, "the links freed");
	return tap_done(&t);
}
