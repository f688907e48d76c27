// SPDX-License-Identifier: GPL-2.0
/*
 * The relay's own process's streams (iotree.h): its output kept in a
 * window until bpsh acknowledges it, read only while the window and the
 * link up have room, sent again on a new link; its stdin taken in order
 * by offset, a gap reported once, written as the process takes it and
 * acknowledged.
 */
#include "iotree.h"

/* --- the process's output ------------------------------------------------ */

void iot_out_close(struct tree_out *o)
{
	bp_io_del(&o->t->s->loop, &o->io);
	iot_sock_close(o->io.fd);	/* the process gets EPIPE */
	o->io.fd = -1;
}

/* Watch the process's end while its window and the link up have room. */
static void iot_out_watch(struct tree_out *o)
{
	struct bps_iotree *t = o->t;
	bool want = o->io.fd >= 0 && !o->eof && iot_up_room(t) &&
		    o->next == o->got && o->got - o->acked < t->window;

	if (want && !o->io.added)
		bp_io_add(&t->s->loop, &o->io, o->io.fd, EPOLLIN);
	else if (!want)
		bp_io_del(&t->s->loop, &o->io);
}

/* One read from the process into the window: 0, or -EAGAIN. */
static int iot_out_read(struct tree_out *o)
{
	size_t w = o->t->window, pos = (size_t)(o->got % w);
	size_t n = w - (size_t)(o->got - o->acked);
	ssize_t k;

	if (n > BP_IO_CHUNK)
		n = BP_IO_CHUNK;
	if (n > w - pos)
		n = w - pos;
	k = read(o->io.fd, o->ring + pos, n);
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return -EAGAIN;
	if (k > 0) {
		o->got += (uint64_t)k;
		return 0;
	}
	o->eof = true;		/* end of file, or an error: the end */
	iot_out_close(o);
	return 0;
}

/* Send the next part of [next, got) up. */
static int iot_out_send(struct tree_out *o)
{
	size_t w = o->t->window, pos = (size_t)(o->next % w);
	uint64_t n = o->got - o->next;
	struct bp_msg m = { .type = BP_MSG_IO_DATA };
	int ret;

	if (n > BP_IO_CHUNK)
		n = BP_IO_CHUNK;
	if (n > w - pos)
		n = w - pos;
	m.io.rank = o->t->rank;
	m.io.stream = o->stream;
	m.io.offset = o->next;
	m.io.len = (uint32_t)n;
	m.io.data = o->ring + pos;
	ret = iot_up_queue(o->t, &m);
	if (!ret)
		o->next += n;
	return ret;
}

/* What is not sent yet, then the end, then more from the process. */
void iot_out_pump(struct tree_out *o)
{
	struct bps_iotree *t = o->t;
	int reads = 0;

	while (!o->done && iot_up_room(t)) {
		if (o->next < o->got) {
			if (iot_out_send(o))
				break;
		} else if (o->eof) {
			if (!o->eof_sent &&
			    !iot_up_io(t, BP_MSG_IO_DATA, t->rank, o->stream, o->got,
				   BP_IO_F_EOF))
				o->eof_sent = true;
			break;
		} else if (o->io.fd >= 0 && o->got - o->acked < t->window &&
			   reads++ < TREE_READS) {
			if (iot_out_read(o))
				break;
		} else {
			break;
		}
	}
	iot_out_watch(o);
}

/* bpsh has the bytes before @a (and the end, or wants no more). */
void iot_out_acked(struct tree_out *o, uint64_t a, uint32_t flags)
{
	if (o->done)
		return;
	if (a > o->acked && a <= o->got) {
		o->acked = a;
		if (o->next < a)
			o->next = a;
	}
	if (flags & BP_IO_F_CLOSED) {
		iot_out_close(o);
		o->done = true;
	} else if ((flags & BP_IO_F_EOF) && o->eof && a == o->got) {
		o->done = true;
	}
	if (o->done) {
		free(o->ring);
		o->ring = NULL;
	}
}

void iot_out_resend(struct tree_out *o)
{
	if (o->done)
		return;
	o->next = o->acked;
	o->eof_sent = false;
}

/* --- the process's stdin ------------------------------------------------- */

void iot_in_finish(struct tree_in *in, uint32_t flags)
{
	struct bps_iotree *t = in->t;

	bp_io_del(&t->s->loop, &in->io);
	iot_sock_close(in->io.fd);	/* the process reads end of file */
	in->io.fd = -1;
	free(in->q);
	in->q = NULL;
	in->done = true;
	in->end_flags = flags;
	iot_up_io(t, BP_MSG_IO_ACK, t->rank, BP_IO_STDIN, in->wpos, flags);
}

/* Write what waits to the process as it takes it; ack what it took. */
void iot_in_pump(struct tree_in *in)
{
	struct bps_iotree *t = in->t;
	uint64_t before = in->wpos;

	while (in->wpos < in->rpos) {
		ssize_t n = send(in->io.fd, in->q + in->qoff,
				 (size_t)(in->rpos - in->wpos),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			iot_in_finish(in, BP_IO_F_CLOSED);
			return;
		}
		in->qoff += (size_t)n;
		in->wpos += (uint64_t)n;
	}
	if (in->wpos == in->rpos) {
		in->qoff = 0;
		if (in->eof) {
			iot_in_finish(in, BP_IO_F_EOF);
			return;
		}
	}
	if (in->wpos != before)
		iot_up_io(t, BP_MSG_IO_ACK, t->rank, BP_IO_STDIN, in->wpos, 0);
	bp_io_mod(&t->s->loop, &in->io, in->wpos < in->rpos ? EPOLLOUT : 0);
}

static int iot_in_append(struct tree_in *in, const uint8_t *p, size_t n)
{
	size_t used = (size_t)(in->rpos - in->wpos);

	if (used + n > TREE_STDIN_MAX)
		return -EMSGSIZE;
	if (in->qoff + used + n > in->qcap) {
		memmove(in->q, in->q + in->qoff, used);
		in->qoff = 0;
	}
	if (used + n > in->qcap) {
		size_t cap = in->qcap ? 2 * in->qcap : BP_IO_CHUNK;
		uint8_t *q;

		while (cap < used + n)
			cap *= 2;
		if (cap > TREE_STDIN_MAX)
			cap = TREE_STDIN_MAX;
		q = realloc(in->q, cap);
		if (!q)
			return -ENOMEM;
		in->q = q;
		in->qcap = cap;
	}
	memcpy(in->q + in->qoff + used, p, n);
	return 0;
}

/* stdin bytes from above: each once, in order; a gap is reported once. */
int iot_in_data(struct tree_in *in, const struct bp_msg_io_data *d)
{
	struct bps_iotree *t = in->t;
	uint64_t end = d->offset + d->len;
	int ret;

	if (in->done)
		return 0;
	if (d->offset > in->rpos) {
		if (!in->gap_sent)
			iot_up_io(t, BP_MSG_IO_ACK, t->rank, BP_IO_STDIN, in->rpos,
			      BP_IO_F_GAP);
		in->gap_sent = true;
		return 0;
	}
	if (end > in->rpos) {
		ret = iot_in_append(in, d->data + (in->rpos - d->offset),
				(size_t)(end - in->rpos));
		if (ret)
			return ret;
		in->rpos = end;
		in->gap_sent = false;
	}
	if ((d->flags & BP_IO_F_EOF) && end == in->rpos)
		in->eof = true;
	iot_in_pump(in);
	return 0;
}

/* On a new link, or when asked: where stdin stands. */
void iot_in_hello(struct tree_in *in)
{
	struct bps_iotree *t = in->t;

	if (!in->takes)
		return;
	if (in->done)
		iot_up_io(t, BP_MSG_IO_ACK, t->rank, BP_IO_STDIN, in->wpos,
		      in->end_flags);
	else
		iot_up_io(t, BP_MSG_IO_ACK, t->rank, BP_IO_STDIN, in->rpos,
		      BP_IO_F_HELLO);
}
