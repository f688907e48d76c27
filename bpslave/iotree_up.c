// SPDX-License-Identifier: GPL-2.0
/*
 * The link up of a stream relay (iotree.h): to the seed port of the
 * parent rank's node, or to bpsh; its hello, its queue, and what its
 * failure means (the parent's: to bpsh directly; bpsh's: the relay ends).
 * A failed link is closed at once; its buffers stay until the next link
 * is made (from a timer), so a message decoded from them stays valid
 * while it is handled.
 */
#include "iotree.h"

bool iot_up_room(const struct bps_iotree *t)
{
	return t->up.up && bp_tx_pending(&t->up.tx) < TREE_TX_HIGH;
}

/*
 * Shut down before the close: a process still being started holds copies
 * of bpslave's descriptors until it execs, and the peer must see the end
 * (EOF, EPIPE) now, not then.
 */
void iot_sock_close(int fd)
{
	if (fd < 0)
		return;
	shutdown(fd, SHUT_RDWR);
	close(fd);
}

/*
 * Between two relays IO_ALIVE says a peer is there (tree_alive()); the
 * keepalive finds a silent bpsh's host. No TCP_USER_TIMEOUT: it would also
 * end a link whose receiver only waits (bpsh's stdout blocked for long
 * leaves a zero window, which Linux counts against it).
 */
void iot_sock_keepalive(int fd)
{
	int one = 1, idle = 5, intvl = 5, cnt = 3;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* --- the link up --------------------------------------------------------- */

/* Close it; its buffers stay until the next one (see the top). */
void iot_up_close(struct bps_iotree *t)
{
	bp_io_del(&t->s->loop, &t->up.io);
	iot_sock_close(t->up.io.fd);
	t->up.io.fd = -1;
	t->up.up = t->up.connecting = false;
	bp_timer_stop(&t->s->loop, &t->link);
}

/* The link up failed: to bpsh directly, or, when that was it, give up. */
void iot_up_fail(struct bps_iotree *t, const char *why)
{
	char addr[INET_ADDRSTRLEN] = "?";

	iot_up_close(t);
	if (t->up.to_bpsh) {
		t->gone = true;
		return;
	}
	inet_ntop(AF_INET, &t->parent.sin_addr, addr, sizeof(addr));
	bps_log(t->s, "node %d: rank %u: streams to bpsh, not through the node "
		"above (%s:%u): %s", t->node, t->rank, addr,
		ntohs(t->parent.sin_port), why);
	t->up.to_bpsh = true;
	if (bp_timer_start(&t->s->loop, &t->link, 0, 0))
		t->gone = true;		/* no way to link again */
}

int iot_up_queue(struct bps_iotree *t, const struct bp_msg *m)
{
	int ret;

	if (!t->up.up)
		return -ENOTCONN;	/* sent again on the next link */
	ret = bp_tx_queue(&t->up.tx, m);
	if (ret)
		iot_up_fail(t, "its send queue is full");
	return ret;
}

int iot_up_io(struct bps_iotree *t, uint16_t type, uint32_t rank,
		 uint32_t stream, uint64_t off, uint32_t flags)
{
	struct bp_msg m = bp_io_msg(type, rank, stream, off, flags);

	return iot_up_queue(t, &m);
}

void iot_up_connect(struct bps_iotree *t)
{
	const struct sockaddr_in *to = t->up.to_bpsh ? &t->bpsh : &t->parent;
	int fd;

	bp_rx_free(&t->up.rx);
	bp_tx_free(&t->up.tx);
	bp_rx_init(&t->up.rx);
	bp_tx_init(&t->up.tx);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		iot_up_fail(t, strerror(errno));
		return;
	}
	iot_sock_keepalive(fd);
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) &&
	    errno != EINPROGRESS) {
		int err = errno;

		close(fd);
		iot_up_fail(t, strerror(err));
		return;
	}
	if (bp_io_add(&t->s->loop, &t->up.io, fd, EPOLLOUT)) {
		close(fd);
		iot_up_fail(t, "cannot watch it");
		return;
	}
	t->up.connecting = true;
	bp_timer_start(&t->s->loop, &t->link,
		       BPS_CONNECT_TIMEOUT_MS * BP_NS_PER_MS, 0);
}

int iot_up_hello(struct bps_iotree *t)
{
	struct bp_msg m = { .type = BP_MSG_IO_HELLO };
	struct bp_msg_io_hello *h = &m.io_hello;

	h->stream = BP_IO_TREE;
	h->rank = t->rank;
	h->job = t->job;
	if (bp_random(h->nonce, sizeof(h->nonce)) ||
	    bp_io_mac(t->secret, t->job, t->rank, BP_IO_TREE, h->nonce, h->mac))
		return -EIO;
	return iot_up_queue(t, &m);
}
