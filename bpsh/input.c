// SPDX-License-Identifier: GPL-2.0
/*
 * bpsh's standard input to the nodes (docs/bpsh.md, "stdio"): every
 * process that takes it (all of them; one with -i; none with -n, -N or
 * -I) gets all of it, from the first byte to the end. One chunk (the
 * buffer size) is read at a time and the next only once every process
 * that takes stdin has all of this one: a slow reader on a node slows
 * bpsh's reading of its stdin instead of making it buffer without bound,
 * and a process that connects late still gets the start. A process that
 * ended (or closed its stdin) no longer counts. At the end of bpsh's
 * stdin each connection is shut down for writing: the process reads end
 * of file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bpsh.h"

static void stdin_read(struct bpsh *b);

/* Through the tree a chunk goes whole into each link's queue: at most this. */
#define TREE_CHUNK_MAX	(1u << 20)

static size_t chunk_size(const struct bpsh *b)
{
	return b->tree_io && b->o.bufsize > TREE_CHUNK_MAX ? TREE_CHUNK_MAX :
	       b->o.bufsize;
}

/* Does @r still wait for stdin (connected or not yet)? */
static bool takes_stdin(const struct bpsh_rank *r)
{
	return r->in_expected && !r->in_done && r->start_err == 0 && !r->exited;
}

/* Stop reading stdin while a chunk is out, start again once it is taken. */
static void stdin_pause(struct bpsh *b, bool pause)
{
	if (b->stdin_watch)
		bp_io_mod(&b->loop, &b->stdin_io, pause ? 0 : EPOLLIN);
	else if (!pause)
		bp_timer_start(&b->loop, &b->stdin_poll, 0, 0);
}

static void input_close(struct bpsh_rank *r)
{
	struct bpsh *b = r->b;

	if (r->in_sock >= 0) {
		bp_io_del(&b->loop, &r->in_io);
		close(r->in_sock);
		r->in_sock = -1;
	}
	r->in_done = true;
}

/*
 * Has @r all of the chunk? Straight, @in_off counts what went into its
 * socket; through the tree, @in_pos is what it acknowledged, an offset
 * in stdin.
 */
static bool has_chunk(const struct bpsh *b, const struct bpsh_rank *r)
{
	return b->tree_io ? r->in_pos >= b->in_start + b->in_len :
	       r->in_off >= b->in_len;
}

/*
 * Has every process that takes stdin all of the chunk? Then read on.
 * A rank that has the chunk (or takes no more stdin) keeps it until the
 * next chunk, so the scan resumes where it stopped: all the calls for
 * one chunk cost O(ranks) together, not O(ranks) each.
 */
static void chunk_check(struct bpsh *b)
{
	if (!b->in_len && !b->stdin_eof)
		return;
	for (; b->in_scan < b->nranks; b->in_scan++) {
		struct bpsh_rank *r = &b->ranks[b->in_scan];

		if (takes_stdin(r) && !has_chunk(b, r))
			return;
	}
	if (b->stdin_eof) {
		if (b->in_eof_sent)
			return;
		/* Every one has it all: end of file for each. */
		b->in_eof_sent = true;
		if (b->tree_io) {
			bpsh_links_stdin(b);
			return;
		}
		for (int i = 0; i < b->nranks; i++) {
			struct bpsh_rank *r = &b->ranks[i];

			if (r->in_sock >= 0 && !r->in_done) {
				shutdown(r->in_sock, SHUT_WR);
				input_close(r);
			}
		}
		return;
	}
	b->in_start += b->in_len;
	b->in_len = 0;
	b->in_scan = 0;
	for (int i = 0; i < b->nranks; i++)
		b->ranks[i].in_off = 0;
	stdin_pause(b, false);
}

/* Write what @r lacks of the chunk; wait for its socket when it is full. */
static void rank_write(struct bpsh_rank *r)
{
	struct bpsh *b = r->b;

	while (r->in_sock >= 0 && r->in_off < b->in_len) {
		ssize_t n = send(r->in_sock, b->in_buf + r->in_off,
				 b->in_len - r->in_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			bp_io_mod(&b->loop, &r->in_io, EPOLLOUT);
			return;
		}
		if (n <= 0) {
			/* The process closed its stdin or ended. */
			input_close(r);
			break;
		}
		r->in_off += (size_t)n;
	}
	if (r->in_sock >= 0)
		bp_io_mod(&b->loop, &r->in_io, 0);
	chunk_check(b);
}

static void rank_writable(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bpsh_rank *r = bp_container_of(io, struct bpsh_rank, in_io);

	if (events & (EPOLLERR | EPOLLHUP)) {
		input_close(r);
		chunk_check(r->b);
		return;
	}
	rank_write(r);
}

void bpsh_input_attach(struct bpsh_rank *r, int sock)
{
	struct bpsh *b = r->b;

	bp_io_init(&r->in_io, rank_writable);
	if (bp_io_add(&b->loop, &r->in_io, sock, 0)) {
		close(sock);
		r->in_done = true;
		chunk_check(b);
		return;
	}
	r->in_sock = sock;
	if (b->in_len) {
		rank_write(r);
	} else if (b->in_eof_sent) {
		/* the others had their end of file already */
		shutdown(sock, SHUT_WR);
		input_close(r);
	} else if (b->stdin_eof) {
		chunk_check(b);
	}
}

/* @r's process ended, or never started: it takes no more stdin. */
void bpsh_input_rank_gone(struct bpsh_rank *r)
{
	input_close(r);
	chunk_check(r->b);
}

static void stdin_read(struct bpsh *b)
{
	ssize_t n;

	if (b->in_len || b->stdin_eof)
		return;
	n = read(0, b->in_buf, chunk_size(b));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		b->stdin_eof = true;
		stdin_pause(b, true);
		if (b->stdin_watch)
			bp_io_del(&b->loop, &b->stdin_io);
		chunk_check(b);
		return;
	}
	b->in_len = (size_t)n;
	stdin_pause(b, true);
	if (b->tree_io)
		bpsh_links_stdin(b);
	for (int i = 0; !b->tree_io && i < b->nranks; i++)
		if (b->ranks[i].in_sock >= 0)
			rank_write(&b->ranks[i]);
	chunk_check(b);
}

/*
 * Through the tree: rank @r has stdin up to @off (on link @l); it asks
 * for what it lacks (it linked up, or saw a gap), or takes no more.
 */
void bpsh_input_tree_ack(struct bpsh_rank *r, struct bpsh_link *l,
			 uint64_t off, uint32_t flags)
{
	struct bpsh *b = r->b;

	if (!r->in_expected || r->in_done || off > b->in_start + b->in_len)
		return;
	if (off > r->in_pos)
		r->in_pos = off;
	if (flags & (BP_IO_F_CLOSED | BP_IO_F_EOF)) {
		r->in_done = true;
	} else if (flags & (BP_IO_F_HELLO | BP_IO_F_GAP)) {
		if (off < b->in_start) {
			/* what it lacks is gone: it cannot have all of stdin */
			bp_log(&b->log, LOG_ERR, "node %d: stdin from %llu lost "
			       "(the nodes have %llu)", r->node,
			       (unsigned long long)off,
			       (unsigned long long)b->in_start);
			r->in_done = true;
		} else if (bpsh_link_stdin(l, (uint32_t)r->rank, off) == -EAGAIN &&
			   !r->in_want) {
			r->in_want = true;
			b->in_wants++;
		}
	}
	chunk_check(b);
}

/* Links have room again: the resends that waited for it. */
void bpsh_input_wants(struct bpsh *b)
{
	for (int i = 0; b->in_wants && i < b->nranks; i++) {
		struct bpsh_rank *r = &b->ranks[i];
		uint64_t from = r->in_pos > b->in_start ? r->in_pos : b->in_start;

		if (!r->in_want)
			continue;
		if (r->in_done || !r->link || r->link->dead ||
		    bpsh_link_stdin(r->link, (uint32_t)r->rank, from) != -EAGAIN) {
			r->in_want = false;
			b->in_wants--;
		}
	}
}

static void stdin_ready(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	stdin_read(bp_container_of(io, struct bpsh, stdin_io));
}

static void stdin_due(struct bp_loop *l, struct bp_timer *t)
{
	stdin_read(bp_container_of(t, struct bpsh, stdin_poll));
}

/*
 * Read stdin when some process takes it: through the loop, or (a regular
 * file, which epoll does not take) on a timer that fires at once.
 */
void bpsh_input_init(struct bpsh *b)
{
	bool any = false;
	struct stat st;

	bp_io_init(&b->stdin_io, stdin_ready);
	bp_timer_init(&b->stdin_poll, stdin_due);
	for (int i = 0; i < b->nranks; i++)
		any |= b->ranks[i].in_expected;
	if (!any)
		return;
	b->in_buf = malloc(chunk_size(b));
	if (!b->in_buf || fstat(0, &st)) {
		b->stdin_eof = true;
		return;
	}
	if (!S_ISREG(st.st_mode) && !bp_io_add(&b->loop, &b->stdin_io, 0, EPOLLIN)) {
		b->stdin_watch = true;
		return;
	}
	bp_timer_start(&b->loop, &b->stdin_poll, 0, 0);
}
