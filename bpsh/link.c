// SPDX-License-Identifier: GPL-2.0
/*
 * The standard streams through the tree (docs/bpsh.md, "Standard streams
 * through the tree"): instead of three connections per rank, bpsh holds
 * one link per rank at the top of the tree (and one per rank that fell
 * back to it), each carrying the streams of every rank below it, framed
 * as IO_DATA and IO_ACK.
 *
 * Output: each stream's bytes are taken in order by offset; what bpsh
 * has already is dropped and acknowledged again (a path that changed
 * sends it twice), what comes after a gap is dropped unacknowledged (its
 * sender sends it again). Every IO_DATA is acknowledged once bpsh wrote
 * or kept what it carried, so a relay holds at most its window; while
 * bpsh's stdout is blocked the links are not read, and the windows fill.
 * stdin: input.c says what goes down, and to whom.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bpsh.h"

#define LINK_TX_ROOM	(3u << 20)	/* a resend to one rank waits past it */
#define LINK_TX_LOW	(1u << 20)	/* ... until the queue is below this */

static void link_event(struct bp_loop *l, struct bp_io *io, uint32_t events);

static bool link_live(const struct bpsh_link *k)
{
	return k && !k->dead;
}

/*
 * A link that closed or failed: its ranks speak again on their new path.
 * Its socket goes now; the struct stays on the list, dead, until
 * links_gc() runs from the loop, so that no walk over the links and no
 * message being handled (its bytes are in the link's buffer) loses its
 * footing when a link it did not expect goes.
 */
static void link_drop(struct bpsh_link *k, const char *why)
{
	struct bpsh *b = k->b;

	if (k->dead)
		return;
	bp_debug(&b->log, "node %d: link of rank %d closed: %s",
		 b->ranks[k->rank].node, k->rank, why);
	k->dead = true;
	bp_io_del(&b->loop, &k->io);
	close(k->io.fd);
	k->io.fd = -1;
	b->nlinks--;
	if (b->ranks[k->rank].own_link == k)
		b->ranks[k->rank].own_link = NULL;
	bp_timer_start(&b->loop, &b->links_gc, 0, 0);
}

/* The dead links go: the ranks that spoke on them last forget them. */
static void links_gc(struct bp_loop *l, struct bp_timer *t)
{
	struct bpsh *b = bp_container_of(t, struct bpsh, links_gc);

	for (int i = 0; i < b->nranks; i++)
		if (b->ranks[i].link && b->ranks[i].link->dead)
			b->ranks[i].link = NULL;
	for (struct bpsh_link *k = b->links, *next; k; k = next) {
		next = k->next;
		if (!k->dead)
			continue;
		if (k->prev)
			k->prev->next = k->next;
		else
			b->links = k->next;
		if (k->next)
			k->next->prev = k->prev;
		bp_rx_free(&k->rx);
		bp_tx_free(&k->tx);
		free(k);
	}
}

/* What the link waits for: its messages (unless paused), room to send. */
static void link_watch(struct bpsh_link *k)
{
	uint32_t ev = (k->paused ? 0 : EPOLLIN) |
		      (bp_tx_pending(&k->tx) ? EPOLLOUT : 0);

	if (k->unwatched) {
		if (k->paused)
			return;
		k->unwatched = false;
		if (bp_io_add(&k->b->loop, &k->io, k->io.fd, ev))
			link_drop(k, "epoll");
		return;
	}
	if (bp_io_mod(&k->b->loop, &k->io, ev))
		link_drop(k, "epoll");
}

static void link_flush(struct bpsh_link *k)
{
	struct bpsh *b = k->b;
	ssize_t left;

	if (k->dead)
		return;
	left = bp_tx_flush(&k->tx, k->io.fd);
	if (left < 0) {
		link_drop(k, strerror((int)-left));
		return;
	}
	link_watch(k);
	/* resends that wait for room: from the loop, not from here */
	if (b->in_wants && (size_t)left < LINK_TX_LOW)
		bp_timer_start(&b->loop, &b->wants_due, 0, 0);
}

static int link_queue(struct bpsh_link *k, const struct bp_msg *m)
{
	int ret;

	if (k->dead)
		return -EPIPE;
	ret = bp_tx_queue(&k->tx, m);
	if (ret)
		link_drop(k, "its send queue is full");
	return ret;
}

static int link_ack(struct bpsh_link *k, uint32_t rank, uint32_t stream,
		    uint64_t off, uint32_t flags)
{
	struct bp_msg m = bp_io_msg(BP_MSG_IO_ACK, rank, stream, off, flags);

	return link_queue(k, &m);
}

/* How far bpsh has @o: its bytes, and whether it ended or bpsh closed it. */
static int ack_out(struct bpsh_link *k, const struct bpsh_out *o,
		   uint32_t stream)
{
	uint32_t flags = !o->eof ? 0 : o->end_seen ? BP_IO_F_EOF : BP_IO_F_CLOSED;

	return link_ack(k, (uint32_t)o->r->rank, stream, o->total, flags);
}

/* IO_DATA of rank @r's output: in order by offset, each byte once. */
static int out_data(struct bpsh_link *k, struct bpsh_rank *r,
		    const struct bp_msg_io_data *d)
{
	struct bpsh_out *o = d->stream == BP_IO_STDOUT ? &r->out : &r->err;
	uint64_t end = d->offset + d->len;

	if (!o->expected)
		return 0;	/* not asked for: dropped */
	if (!o->eof) {
		if (d->offset > o->total) {
			bp_debug(&k->b->log, "node %d: %s from %llu, %llu expected: "
				 "after a gap, dropped", r->node,
				 d->stream == BP_IO_STDOUT ? "stdout" : "stderr",
				 (unsigned long long)d->offset,
				 (unsigned long long)o->total);
			return 0;
		}
		if (end > o->total)
			bpsh_out_data(o, d->data + (o->total - d->offset),
				      (size_t)(end - o->total));
		if ((d->flags & BP_IO_F_EOF) && end == o->total && !o->eof) {
			o->end_seen = true;
			bpsh_out_close(o);
		}
	}
	return ack_out(k, o, d->stream);
}

static int link_msg(struct bpsh_link *k, const struct bp_msg *m)
{
	struct bpsh *b = k->b;
	struct bpsh_rank *r;

	if (m->type == BP_MSG_IO_ALIVE)
		return 0;	/* a relay's, for relays: nothing to do here */
	if ((m->type != BP_MSG_IO_DATA && m->type != BP_MSG_IO_ACK) ||
	    m->io.rank >= (uint32_t)b->nranks)
		return -EPROTO;
	r = &b->ranks[m->io.rank];
	r->link = k;
	if (m->type == BP_MSG_IO_DATA) {
		if (m->io.stream == BP_IO_STDIN)
			return -EPROTO;
		return out_data(k, r, &m->io);
	}
	if (m->io.stream != BP_IO_STDIN)
		return -EPROTO;
	bpsh_input_tree_ack(r, k, m->io.offset, m->io.flags);
	return 0;
}

/* The messages that came, unless bpsh's output is blocked (then later). */
static void link_process(struct bpsh_link *k)
{
	struct bpsh *b = k->b;
	struct bp_msg m;
	int ret;

	while (!k->dead) {
		if (b->out_blocked) {
			k->paused = true;
			break;
		}
		ret = bp_rx_next(&k->rx, &m, NULL);
		if (ret == 0)
			break;
		if (ret == -ENOMSG)
			continue;
		if (ret < 0 || link_msg(k, &m)) {
			link_drop(k, ret < 0 ? strerror(-ret) : "a message out of place");
			return;
		}
	}
	link_flush(k);
}

static void link_event(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bpsh_link *k = (struct bpsh_link *)io;
	ssize_t n;

	if (k->paused && (events & (EPOLLHUP | EPOLLERR))) {
		/* epoll says so even unwatched: wait unwatched, read later */
		bp_io_del(l, io);
		k->unwatched = true;
		return;
	}
	if (events & EPOLLOUT)
		link_flush(k);
	if (k->dead || k->paused || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = bp_rx_read(&k->rx, k->io.fd);
	if (n == -EAGAIN)
		return;
	if (n > 0) {
		link_process(k);
		return;
	}
	link_drop(k, n == 0 ? "end of file" : strerror((int)-n));
}

/* bpsh's output can take more: every paused link is read again. */
void bpsh_links_reading(struct bpsh *b)
{
	for (struct bpsh_link *k = b->links; k && !b->out_blocked; k = k->next) {
		if (!k->paused || k->dead)
			continue;
		k->paused = false;
		link_process(k);	/* what is buffered first */
	}
}

/* Rank @rank linked up with an IO_HELLO: @fd, and @len bytes after it. */
void bpsh_link_attach(struct bpsh *b, int fd, int rank, const uint8_t *data,
		      size_t len)
{
	struct bpsh_rank *r = &b->ranks[rank];
	struct bpsh_link *k;

	if (b->nlinks >= b->nranks + 16 || !(k = calloc(1, sizeof(*k)))) {
		close(fd);
		return;
	}
	k->b = b;
	k->rank = rank;
	bp_rx_init(&k->rx);
	bp_tx_init(&k->tx);
	bp_io_init(&k->io, link_event);
	if (bp_io_add(&b->loop, &k->io, fd, EPOLLIN) ||
	    (len && bp_rx_feed(&k->rx, data, len))) {
		bp_io_del(&b->loop, &k->io);
		close(fd);
		bp_rx_free(&k->rx);
		free(k);
		return;
	}
	k->next = b->links;
	if (k->next)
		k->next->prev = k;
	b->links = k;
	b->nlinks++;
	/* the rank's link before this one is stale: it linked again */
	if (r->own_link)
		link_drop(r->own_link, "the rank linked again");
	r->own_link = k;
	link_process(k);
}

/* bpsh closed @o (its reader is gone, or it was silent too long). */
void bpsh_link_out_closed(struct bpsh_out *o)
{
	struct bpsh_link *k = o->r->link;

	if (!o->b->tree_io || o->end_seen || !link_live(k))
		return;
	if (!ack_out(k, o, o->fd == 1 ? BP_IO_STDOUT : BP_IO_STDERR))
		link_flush(k);
}

/*
 * stdin from offset @from to the end of the chunk bpsh has, to @rank
 * (BP_IO_RANK_ALL: every rank below the link), and its end once every
 * rank had all of it. A resend to one rank that does not fit in the
 * link's queue now is -EAGAIN (input.c tries again when it drains).
 */
int bpsh_link_stdin(struct bpsh_link *k, uint32_t rank, uint64_t from)
{
	struct bpsh *b = k->b;
	uint64_t end = b->in_start + b->in_len;
	struct bp_msg m = { .type = BP_MSG_IO_DATA };
	int ret;

	if (!link_live(k) || from < b->in_start || from > end)
		return -EINVAL;
	if (rank != BP_IO_RANK_ALL &&
	    bp_tx_pending(&k->tx) + (size_t)(end - from) > LINK_TX_ROOM)
		return -EAGAIN;
	m.io.rank = rank;
	m.io.stream = BP_IO_STDIN;
	while (from < end) {
		uint64_t n = end - from < BP_IO_CHUNK ? end - from : BP_IO_CHUNK;

		m.io.offset = from;
		m.io.len = (uint32_t)n;
		m.io.data = b->in_buf + (from - b->in_start);
		ret = link_queue(k, &m);
		if (ret)
			return ret;
		from += n;
	}
	if (b->in_eof_sent) {
		m.io.offset = end;
		m.io.len = 0;
		m.io.data = NULL;
		m.io.flags = BP_IO_F_EOF;
		ret = link_queue(k, &m);
		if (ret)
			return ret;
	}
	link_flush(k);
	return 0;
}

/*
 * A new chunk of stdin, or its end: once down each link to every rank,
 * or (-i N) to rank N alone, on the link it spoke on last.
 */
void bpsh_links_stdin(struct bpsh *b)
{
	if (b->o.stdin_rank >= 0) {
		struct bpsh_rank *r = &b->ranks[b->o.stdin_rank];
		uint64_t from = r->in_pos > b->in_start ? r->in_pos : b->in_start;

		if (link_live(r->link) &&
		    bpsh_link_stdin(r->link, (uint32_t)r->rank, from) == -EAGAIN &&
		    !r->in_want) {
			r->in_want = true;
			b->in_wants++;
		}
		return;
	}
	for (struct bpsh_link *k = b->links; k; k = k->next)
		if (!k->dead)
			bpsh_link_stdin(k, BP_IO_RANK_ALL, b->in_start);
}

static void wants_due(struct bp_loop *l, struct bp_timer *t)
{
	bpsh_input_wants(bp_container_of(t, struct bpsh, wants_due));
}

void bpsh_links_init(struct bpsh *b)
{
	bp_timer_init(&b->links_gc, links_gc);
	bp_timer_init(&b->wants_due, wants_due);
}

void bpsh_links_close(struct bpsh *b)
{
	for (struct bpsh_link *k = b->links; k; k = k->next)
		link_drop(k, "bpsh is done");
	bp_timer_stop(&b->loop, &b->links_gc);
	bp_timer_stop(&b->loop, &b->wants_due);
	links_gc(&b->loop, &b->links_gc);
}
