// SPDX-License-Identifier: GPL-2.0
/*
 * The standard streams through bpsh's tree (docs/bpsh.md, "Standard
 * streams through the tree"): for each process of a job with
 * BP_JOB_TREE_IO, bpslave itself is the relay of its streams. The
 * process gets socketpairs (bps_iotree_spawn()); the relay of rank r
 * links up, to the seed port of its parent's node or to bpsh, and
 * carries its own process's streams and those of the ranks below it,
 * whose links its seed hands to it (bps_iotree_take()).
 *
 * Lossless: the relay keeps its process's output until bpsh acknowledges
 * it, at most a window per stream, and sends it again on a new link up
 * (the link to the parent failed: it goes to bpsh directly) or when the
 * link above asks (IO_RESEND). Every queue has a bound: the process is
 * read only while its window and the link up have room, the children's
 * links only while the link up has room, a child whose link is full is
 * closed (it links again and asks for stdin from where it stands), the
 * process's stdin queue is bounded. An attacker may hold the secret of its own job only:
 * it gets at most fanout links of that job's relays, each bounded so.
 *
 * Re-entrancy: every callback ends with tree_after(), the only place
 * that frees the relay (iotree_up.c: a failed link's buffers stay until
 * the next one is made). The process's own streams are iotree_own.c's,
 * the link up iotree_up.c's (iotree.h).
 */
#include "iotree.h"

static void tree_after(struct bps_iotree *t);

/* --- the process's streams' events ------------------------------------- */

static void out_event(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct tree_out *o = bp_container_of(io, struct tree_out, io);

	iot_out_pump(o);
	tree_after(o->t);
}

static void in_event(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct tree_in *in = bp_container_of(io, struct tree_in, io);

	/* epoll says so even unwatched: the process closed its stdin */
	if (events & (EPOLLHUP | EPOLLERR))
		iot_in_finish(in, BP_IO_F_CLOSED);
	else
		iot_in_pump(in);
	tree_after(in->t);
}

/* --- the children's links ------------------------------------------------ */

static void kid_close(struct tree_kid *k)
{
	struct bps_iotree *t = k->t;

	bp_io_del(&t->s->loop, &k->io);
	iot_sock_close(k->io.fd);
	bp_rx_free(&k->rx);
	bp_tx_free(&k->tx);
	t->kids[k->slot] = NULL;
	t->nopen--;
	free(k);
}

/* Read it while the link up has room; write it while it has a queue. */
static void kid_watch(struct tree_kid *k)
{
	struct bps_iotree *t = k->t;
	uint32_t ev = (t->reading ? EPOLLIN : 0) |
		      (bp_tx_pending(&k->tx) ? EPOLLOUT : 0);

	if (!ev)
		bp_io_del(&t->s->loop, &k->io);	/* HUP too would wake us */
	else if (k->io.added)
		bp_io_mod(&t->s->loop, &k->io, ev);
	else
		bp_io_add(&t->s->loop, &k->io, k->io.fd, ev);
}

/* 0, or -errno when the link was closed. */
static int kid_send(struct tree_kid *k, const struct bp_msg *m)
{
	int ret = bp_tx_queue(&k->tx, m);

	if (!ret && bp_tx_flush(&k->tx, k->io.fd) < 0)
		ret = -EPIPE;
	if (ret) {
		kid_close(k);
		return ret;
	}
	kid_watch(k);
	return 0;
}

/* Up from a child: its subtree's output and stdin acks, nothing else. */
static int kid_msg(struct tree_kid *k, const struct bp_msg *m)
{
	struct bps_iotree *t = k->t;
	bool ok = (m->type == BP_MSG_IO_DATA && m->io.stream != BP_IO_STDIN) ||
		  (m->type == BP_MSG_IO_ACK && m->io.stream == BP_IO_STDIN);

	if (m->type == BP_MSG_IO_ALIVE)
		return 0;	/* the link's own: not passed on */
	if (!ok || m->io.rank >= t->nranks ||
	    !bp_tree_below(k->rank, m->io.rank, t->fanout))
		return -EPROTO;
	iot_up_queue(t, m);
	return 0;
}

/* The messages in its buffer, while the link up has room: 0, or -1 closed. */
static int kid_process(struct tree_kid *k)
{
	struct bp_msg m;
	int ret;

	while (iot_up_room(k->t)) {
		ret = bp_rx_next(&k->rx, &m, NULL);
		if (ret == 0)
			return 0;
		if (ret == -ENOMSG)
			continue;
		if (ret < 0 || kid_msg(k, &m)) {
			kid_close(k);
			return -1;
		}
	}
	if (bp_rx_pending(&k->rx))
		k->t->stalled = true;
	return 0;
}

static void kid_event(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct tree_kid *k = (struct tree_kid *)io;
	struct bps_iotree *t = k->t;
	ssize_t n;

	if ((events & EPOLLOUT) && bp_tx_flush(&k->tx, k->io.fd) < 0)
		goto close;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (!iot_up_room(t)) {
			if (events & (EPOLLHUP | EPOLLERR))
				goto close;
			goto out;
		}
		n = bp_rx_read(&k->rx, k->io.fd);
		if (n == 0 || (n < 0 && n != -EAGAIN))
			goto close;
		if (n > 0)
			k->rx_ms = bp_now_mono_ms();
		if (n > 0 && kid_process(k))
			goto after;
	}
out:
	kid_watch(k);
	goto after;
close:
	kid_close(k);
after:
	tree_after(t);
}

static void kids_resend(struct bps_iotree *t)
{
	struct bp_msg m = { .type = BP_MSG_IO_RESEND };

	for (uint32_t i = 0; i < t->nkids; i++)
		if (t->kids[i])
			kid_send(t->kids[i], &m);
}

/* The child link toward rank @rank, NULL when not linked; -1: not below. */
static int kid_toward(struct bps_iotree *t, uint32_t rank,
		      struct tree_kid **k)
{
	int64_t c = rank < t->nranks ?
		    bp_tree_child_toward(t->rank, rank, t->fanout) : -1;

	if (c < 0)
		return -EPROTO;
	*k = t->kids[(uint64_t)c - ((uint64_t)t->rank + 1) * t->fanout];
	return 0;
}

static void kick_due(struct bp_loop *l, struct bp_timer *tm)
{
	struct bps_iotree *t = bp_container_of(tm, struct bps_iotree, kick);

	for (uint32_t i = 0; i < t->nkids && iot_up_room(t); i++)
		if (t->kids[i])
			kid_process(t->kids[i]);
	if (!iot_up_room(t))
		t->stalled = true;	/* the rest, once there is room */
	tree_after(t);
}

/* --- from above ---------------------------------------------------------- */

/*
 * stdin down to a child. One whose link has TREE_KID_FULL queued does not
 * take what it is sent: it is closed (dropping a part instead could leave
 * it waiting for a part it never learns it lacks); it links again, to
 * bpsh, and asks from where it stands.
 */
static void kid_stdin(struct tree_kid *k, const struct bp_msg *m)
{
	if (bp_tx_pending(&k->tx) > TREE_KID_FULL)
		kid_close(k);
	else
		kid_send(k, m);
}

static int down_data(struct bps_iotree *t, const struct bp_msg *m)
{
	const struct bp_msg_io_data *d = &m->io;
	struct tree_kid *k = NULL;
	int ret;

	if (d->stream != BP_IO_STDIN)
		return -EPROTO;
	if (d->rank == t->rank || d->rank == BP_IO_RANK_ALL) {
		ret = t->in.takes ? iot_in_data(&t->in, d) : 0;
		if (ret || d->rank == t->rank)
			return ret;
		for (uint32_t i = 0; i < t->nkids; i++)
			if (t->kids[i])
				kid_stdin(t->kids[i], m);
		return 0;
	}
	ret = kid_toward(t, d->rank, &k);
	if (!ret && k)
		kid_stdin(k, m);
	return ret;
}

static int down_ack(struct bps_iotree *t, const struct bp_msg *m)
{
	struct tree_kid *k = NULL;
	int ret;

	if (m->io.stream == BP_IO_STDIN)
		return -EPROTO;
	if (m->io.rank == t->rank) {
		iot_out_acked(&t->out[m->io.stream - 1], m->io.offset, m->io.flags);
		return 0;
	}
	ret = kid_toward(t, m->io.rank, &k);
	if (!ret && k)
		kid_send(k, m);
	return ret;
}

static void resend_all(struct bps_iotree *t)
{
	iot_out_resend(&t->out[0]);
	iot_out_resend(&t->out[1]);
	iot_in_hello(&t->in);
	kids_resend(t);
}

static int up_msg(struct bps_iotree *t, const struct bp_msg *m)
{
	switch (m->type) {
	case BP_MSG_IO_DATA:
		return down_data(t, m);
	case BP_MSG_IO_ACK:
		return down_ack(t, m);
	case BP_MSG_IO_RESEND:
		resend_all(t);
		return 0;
	case BP_MSG_IO_ALIVE:
		return 0;
	}
	return -EPROTO;
}

static void up_process(struct bps_iotree *t)
{
	struct bp_msg m;
	int ret;

	while (t->up.up) {
		ret = bp_rx_next(&t->up.rx, &m, NULL);
		if (ret == 0)
			return;
		if (ret == -ENOMSG)
			continue;
		if (ret < 0 || up_msg(t, &m)) {
			iot_up_fail(t, ret < 0 ? strerror(-ret) : "a message out of place");
			return;
		}
	}
}

/* Connected: the hello, where stdin stands, and the unacked output again. */
static void up_linked(struct bps_iotree *t)
{
	bp_timer_stop(&t->s->loop, &t->link);
	t->up.connecting = false;
	t->up.up = true;
	t->up.links++;
	t->up.rx_ms = bp_now_mono_ms();
	if (iot_up_hello(t)) {
		if (t->up.up)
			iot_up_fail(t, "no hello");
		return;
	}
	iot_out_resend(&t->out[0]);
	iot_out_resend(&t->out[1]);
	iot_in_hello(&t->in);
	if (t->up.links > 1)
		kids_resend(t);
}

static void up_event(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bps_iotree *t = bp_container_of(io, struct bps_iotree, up.io);
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	if (t->up.connecting) {
		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (err)
			iot_up_fail(t, strerror(err));
		else
			up_linked(t);
	} else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		n = bp_rx_read(&t->up.rx, io->fd);
		if (n > 0)
			t->up.rx_ms = bp_now_mono_ms();
		if (n == 0)
			iot_up_fail(t, "end of file");
		else if (n < 0 && n != -EAGAIN)
			iot_up_fail(t, strerror((int)-n));
		else if (n > 0)
			up_process(t);
	}
	tree_after(t);
}

static void link_due(struct bp_loop *l, struct bp_timer *tm)
{
	struct bps_iotree *t = bp_container_of(tm, struct bps_iotree, link);

	if (t->up.connecting)
		iot_up_fail(t, "connect timed out");
	else if (t->up.io.fd < 0)
		iot_up_connect(t);
	tree_after(t);
}

/* --- the relay's life ---------------------------------------------------- */

static void up_flush(struct bps_iotree *t)
{
	ssize_t left;

	if (!t->up.up)
		return;
	left = bp_tx_flush(&t->up.tx, t->up.io.fd);
	if (left < 0)
		iot_up_fail(t, strerror((int)-left));
	else
		bp_io_mod(&t->s->loop, &t->up.io, EPOLLIN | (left ? EPOLLOUT : 0));
}

/* Pump the output, watch what may be read now; the room it saw. */
static bool tree_flow(struct bps_iotree *t)
{
	bool room;

	iot_out_pump(&t->out[0]);
	iot_out_pump(&t->out[1]);
	room = iot_up_room(t);
	if (room != t->reading) {
		t->reading = room;
		for (uint32_t i = 0; i < t->nkids; i++)
			if (t->kids[i])
				kid_watch(t->kids[i]);
	}
	if (room && t->stalled) {
		t->stalled = false;
		bp_timer_start(&t->s->loop, &t->kick, 0, 0);
	}
	return room;
}

static bool tree_ended(const struct bps_iotree *t)
{
	if (!t->out[0].done || !t->out[1].done || !t->in.done || t->nopen)
		return false;
	return t->nlinked == t->nkids ||
	       bp_now_mono_ms() - t->made_ms >= BPS_TREE_ATTACH_MS;
}

static void tree_free(struct bps_iotree *t)
{
	struct bps_iotree **pp = &t->s->iotrees;

	while (*pp != t)
		pp = &(*pp)->next;
	*pp = t->next;
	iot_up_close(t);
	bp_rx_free(&t->up.rx);
	bp_tx_free(&t->up.tx);
	for (uint32_t i = 0; i < t->nkids; i++)
		if (t->kids[i])
			kid_close(t->kids[i]);
	for (int i = 0; i < 2; i++) {
		iot_out_close(&t->out[i]);
		free(t->out[i].ring);
	}
	bp_io_del(&t->s->loop, &t->in.io);
	iot_sock_close(t->in.io.fd);
	free(t->in.q);
	bp_timer_stop(&t->s->loop, &t->kick);
	bp_timer_stop(&t->s->loop, &t->end);
	bp_timer_stop(&t->s->loop, &t->alive);
	free(t->kids);
	free(t->linked);
	free(t);
}

/*
 * After every event: flush the link up and watch what may be read, until
 * what is watched matches the room the link up has; then end the relay
 * when its work is done (the last acks pushed out first, for a while).
 */
static void tree_after(struct bps_iotree *t)
{
	for (int i = 0; i < 8 && !t->gone; i++) {
		bool room = tree_flow(t);

		up_flush(t);
		if (iot_up_room(t) == room)
			break;
	}
	if (!t->gone && !tree_ended(t))
		return;
	if (!t->gone && t->up.up && bp_tx_pending(&t->up.tx)) {
		if (!t->closing)
			bp_timer_start(&t->s->loop, &t->end,
				       TREE_LINGER_MS * BP_NS_PER_MS, 0);
		t->closing = true;
		return;
	}
	tree_free(t);
}

static void end_due(struct bp_loop *l, struct bp_timer *tm)
{
	struct bps_iotree *t = bp_container_of(tm, struct bps_iotree, end);

	if (t->closing)
		t->gone = true;
	tree_after(t);
}

/* Is a relay peer silent: nothing for BPS_TREE_SILENT_MS, nothing unread? */
static bool silent(uint64_t rx_ms, const struct bp_rx *rx, int fd)
{
	return bp_now_mono_ms() - rx_ms >= BPS_TREE_SILENT_MS &&
	       !bp_rx_unread(rx, fd);
}

/*
 * Every BPS_TREE_ALIVE_MS: IO_ALIVE to the relays this one links with,
 * and those silent for BPS_TREE_SILENT_MS are dead (their node died or
 * was cut, with no FIN or RST to say so): a parent's failure sends this
 * rank to bpsh, a child's closes its link. bpsh is not asked to speak.
 */
static void alive_due(struct bp_loop *l, struct bp_timer *tm)
{
	struct bps_iotree *t = bp_container_of(tm, struct bps_iotree, alive);
	struct bp_msg m = { .type = BP_MSG_IO_ALIVE };

	if (t->up.up && !t->up.to_bpsh) {
		if (silent(t->up.rx_ms, &t->up.rx, t->up.io.fd))
			iot_up_fail(t, "silent for 20 s");
		else
			iot_up_queue(t, &m);
	}
	for (uint32_t i = 0; i < t->nkids; i++) {
		struct tree_kid *k = t->kids[i];

		if (k && silent(k->rx_ms, &k->rx, k->io.fd))
			kid_close(k);
		else if (k)
			kid_send(k, &m);
	}
	tree_after(t);
}

/* The relay's end of one stream, the process's in @fd; -errno. */
static int tree_pair(struct bp_io *io, bp_io_fn fn, int *fd)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK)) {
		int err = -errno;

		close(sv[0]);
		close(sv[1]);
		return err;
	}
	bp_io_init(io, fn);
	io->fd = sv[0];
	*fd = sv[1];
	return 0;
}

static int tree_streams(struct bps_iotree *t, uint32_t flags, int fds[3])
{
	static const uint32_t flag[3] = {
		BPROC_JOB_STDIN, BPROC_JOB_STDOUT, BPROC_JOB_STDERR,
	};
	int ret;

	t->in.done = !(flags & flag[0]);
	t->in.takes = !t->in.done;
	if (t->in.takes) {
		ret = tree_pair(&t->in.io, in_event, &fds[0]);
		if (!ret)	/* unwatched but for HUP: nothing to write yet */
			ret = bp_io_add(&t->s->loop, &t->in.io, t->in.io.fd, 0);
		if (ret)
			return ret;
	}
	for (int i = 0; i < 2; i++) {
		struct tree_out *o = &t->out[i];

		o->done = !(flags & flag[i + 1]);
		if (o->done)
			continue;
		o->ring = malloc(t->window);
		if (!o->ring)
			return -ENOMEM;
		ret = tree_pair(&o->io, out_event, &fds[i + 1]);
		if (ret)
			return ret;
	}
	return 0;
}

static int tree_init(struct bps_iotree *t, struct bps *s,
		     const struct bps_jobctx *jc)
{
	uint64_t first = ((uint64_t)jc->job.rank + 1) * jc->tree.fanout;

	t->s = s;
	t->job = jc->job.id;
	t->rank = jc->job.rank;
	t->nranks = jc->tree.nranks;
	t->fanout = jc->tree.fanout;
	memcpy(t->secret, jc->job.secret, sizeof(t->secret));
	t->node = jc->node;
	t->window = bp_io_window(t->nranks);
	t->made_ms = bp_now_mono_ms();
	t->in.t = t;
	t->in.io.fd = -1;
	for (int i = 0; i < 2; i++) {
		t->out[i].t = t;
		t->out[i].stream = (uint32_t)i + 1;
		t->out[i].io.fd = -1;
	}
	bp_io_init(&t->up.io, up_event);
	t->up.io.fd = -1;
	bp_rx_init(&t->up.rx);
	bp_tx_init(&t->up.tx);
	bp_timer_init(&t->link, link_due);
	bp_timer_init(&t->kick, kick_due);
	bp_timer_init(&t->end, end_due);
	bp_timer_init(&t->alive, alive_due);
	if (first < t->nranks)
		t->nkids = (uint32_t)(t->nranks - first < t->fanout ?
				      t->nranks - first : t->fanout);
	t->kids = calloc(t->nkids + 1, sizeof(*t->kids));
	t->linked = calloc(t->nkids + 1, sizeof(*t->linked));
	if (!t->kids || !t->linked)
		return -ENOMEM;
	bps_io_bpsh_addr(jc, &t->bpsh);
	t->up.to_bpsh = t->rank < t->fanout || !jc->tree.src_port;
	t->parent.sin_family = AF_INET;
	t->parent.sin_port = htons(jc->tree.src_port);
	memcpy(&t->parent.sin_addr, jc->tree.src_addr, 4);
	return 0;
}

/*
 * The relay of the process a REXEC starts (before its clone): its ends
 * of the streams the job forwards, the process's in @fds (-1: not
 * forwarded; CLOEXEC, the caller closes them after the clone), and its
 * link up on its way. 0 or -errno (nothing made).
 */
int bps_iotree_spawn(struct bps *s, const struct bps_jobctx *jc, int fds[3])
{
	struct bps_iotree *t;
	int ret;

	fds[0] = fds[1] = fds[2] = -1;
	if (jc->job.rank >= jc->tree.nranks || !jc->tree.fanout)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	ret = tree_init(t, s, jc);
	if (!ret)
		ret = tree_streams(t, jc->job.flags, fds);
	if (!ret && t->nkids)
		ret = bp_timer_start(&s->loop, &t->end,
				     BPS_TREE_ATTACH_MS * BP_NS_PER_MS, 0);
	if (!ret)
		ret = bp_timer_start(&s->loop, &t->link, 0, 0);
	if (!ret)
		ret = bp_timer_start(&s->loop, &t->alive,
				     BPS_TREE_ALIVE_MS * BP_NS_PER_MS,
				     BPS_TREE_ALIVE_MS * BP_NS_PER_MS);
	t->next = s->iotrees;
	s->iotrees = t;
	if (ret) {
		tree_free(t);
		for (int i = 0; i < 3; i++) {
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = -1;
		}
	}
	return ret;
}

/* Is @h a hello of rank @h->rank of @t's job, a child of @t? */
static int take_check(const struct bps_iotree *t, const struct bp_msg_io_hello *h)
{
	uint8_t mac[32];

	if (h->stream != BP_IO_TREE || h->rank >= t->nranks ||
	    bp_io_mac(t->secret, h->job, h->rank, BP_IO_TREE, h->nonce, mac) ||
	    bp_mem_neq(mac, h->mac, sizeof(mac)) || t->closing || t->gone)
		return -EPERM;
	return 0;
}

static int take_kid(struct bps_iotree *t, int fd, uint32_t rank,
		    const uint8_t *rest, size_t len)
{
	uint32_t slot = (uint32_t)(rank - ((uint64_t)t->rank + 1) * t->fanout);
	struct tree_kid *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->t = t;
	k->rank = rank;
	k->slot = slot;
	bp_rx_init(&k->rx);
	bp_tx_init(&k->tx);
	bp_io_init(&k->io, kid_event);
	k->io.fd = fd;
	if (len && bp_rx_feed(&k->rx, rest, len)) {
		bp_rx_free(&k->rx);
		free(k);
		return -ENOMEM;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	iot_sock_keepalive(fd);
	k->rx_ms = bp_now_mono_ms();
	if (t->kids[slot])
		kid_close(t->kids[slot]);	/* the newer link replaces it */
	t->kids[slot] = k;
	t->nopen++;
	if (!t->linked[slot])
		t->nlinked++;
	t->linked[slot] = true;
	kid_watch(k);
	if (len)
		t->stalled = true;	/* what came with the hello */
	return 0;
}

/*
 * A link from rank @h->rank (its IO_HELLO checked here), for the relay of
 * its parent rank: 0 when the relay took @fd (with @rest, the bytes read
 * after the hello), -EAGAIN while no such relay is here, -EPERM when the
 * hello does not prove the job's secret or is no child's.
 */
int bps_iotree_take(struct bps *s, int fd, const struct bp_msg_io_hello *h,
		    const uint8_t *rest, size_t len)
{
	for (struct bps_iotree *t = s->iotrees; t; t = t->next) {
		int ret;

		if (t->job != h->job)
			continue;
		if (bp_tree_parent(h->rank, t->fanout) != (int64_t)t->rank)
			continue;
		ret = take_check(t, h);
		if (!ret)
			ret = take_kid(t, fd, h->rank, rest, len);
		if (!ret)
			tree_after(t);
		return ret;
	}
	return -EAGAIN;
}
