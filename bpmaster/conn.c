// SPDX-License-Identifier: GPL-2.0
/*
 * Transport of node connections: admission by address range, framing,
 * send queues, the silence timeout, and dispatch of every received
 * message through m->handlers (filled in by main.c from session.c and
 * proc.c). A connection that misbehaves is closed with a log line naming
 * it; nothing a node sends can stop the daemon.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bpmaster.h"

#define BPM_HELLO_MAX	4096	/* largest first message we buffer */

int bpm_listen(uint16_t port, int *fd_out)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int one = 1, fd, ret;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, SOMAXCONN)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*fd_out = fd;
	return 0;
}

/* Copy a C string, truncating it to fit. */
void bpm_copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

const char *bpm_conn_tag(const struct bpm_conn *c, char *buf, size_t len)
{
	if (c->state == BPM_CONN_ACTIVE)
		snprintf(buf, len, "node %d (%s)", c->node, c->peer_str);
	else
		snprintf(buf, len, "connection from %s", c->peer_str);
	return buf;
}

static void conn_update_events(struct bpm *m, struct bpm_conn *c)
{
	uint32_t ev = EPOLLIN | (bp_tx_pending(&c->tx) ? EPOLLOUT : 0);

	bp_io_mod(&m->loop, &c->io, ev);
}

/* Queue and try to send at once. Returns -errno when the peer is gone. */
int bpm_conn_send(struct bpm *m, struct bpm_conn *c, const struct bp_msg *msg)
{
	ssize_t left;
	int ret;

	if (c->state == BPM_CONN_DEAD)
		return -ENOTCONN;
	ret = bp_tx_queue(&c->tx, msg);
	if (ret)
		return ret;
	left = bp_tx_flush(&c->tx, c->io.fd);
	if (left < 0)
		return (int)left;
	conn_update_events(m, c);
	return 0;
}

static void reap_due(struct bp_loop *l, struct bp_timer *t)
{
	bpm_reap(bp_container_of(t, struct bpm, reap));
}

/*
 * Close @c. For an active node this is the node going down: the reason
 * (printf-style) ends up in "bpmaster: node N down (REASON)". A BYE with
 * @bye_code is sent first when the code is not BP_REASON_NONE. The struct
 * is freed once the current batch of events is dispatched.
 */
void bpm_conn_close(struct bpm *m, struct bpm_conn *c, uint32_t bye_code,
		    const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	if (c->state == BPM_CONN_DEAD)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (bye_code != BP_REASON_NONE) {
		struct bp_msg bye = { .type = BP_MSG_BYE };

		bye.reason.code = bye_code;
		bpm_copy_text(bye.reason.text, sizeof(bye.reason.text), reason);
		if (!bp_tx_queue(&c->tx, &bye))
			bp_tx_flush(&c->tx, c->io.fd);
	}
	if (c->state == BPM_CONN_ACTIVE && m->node_lost)
		m->node_lost(m, c, reason);
	else
		bpm_log(m, LOG_INFO, "connection from %s closed: %s",
			c->peer_str, reason);
	c->state = BPM_CONN_DEAD;
	if (m->conn_drained)
		m->conn_drained(m, c);
	bp_io_del(&m->loop, &c->io);
	bp_timer_stop(&m->loop, &c->silence);
	bp_timer_stop(&m->loop, &c->ping);
	close(c->io.fd);
	c->io.fd = -1;
	c->state = BPM_CONN_DEAD;
	if (c->prev)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = NULL;
	c->next = m->dead;
	m->dead = c;
	if (!bp_timer_armed(&m->reap))
		bp_timer_start(&m->loop, &m->reap, 0, 0);
}

/* Free connections closed during the last event batch. */
void bpm_reap(struct bpm *m)
{
	while (m->dead) {
		struct bpm_conn *c = m->dead;

		m->dead = c->next;
		bp_rx_free(&c->rx);
		bp_tx_free(&c->tx);
		free(c);
	}
}

/* Best-effort REJECT on a socket we are about to close. */
void bpm_send_reject(int fd, uint32_t code, const char *text)
{
	struct bp_msg msg = { .type = BP_MSG_REJECT };
	uint8_t buf[BP_WIRE_ENC_MAX];
	ssize_t n;

	msg.reason.code = code;
	bpm_copy_text(msg.reason.text, sizeof(msg.reason.text), text);
	n = bp_wire_encode(&msg, buf, sizeof(buf));
	if (n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* The peer learns from the close instead. */
	}
}

/* A receive error: log it naming the peer, close the connection. */
static void rx_error(struct bpm *m, struct bpm_conn *c, int err,
		     const struct bp_wire_hdr *hdr)
{
	char tag[96], what[160];
	const char *name;

	bpm_conn_tag(c, tag, sizeof(tag));
	switch (err) {
	case -EPROTO:
		snprintf(what, sizeof(what), "not a bproc protocol stream");
		break;
	case -EPROTONOSUPPORT:
		snprintf(what, sizeof(what),
			 "protocol version %u not supported (this master speaks %d)",
			 hdr->version, BP_WIRE_VERSION);
		if (c->state == BPM_CONN_HELLO)
			bpm_send_reject(c->io.fd, BP_REASON_VERSION, what);
		break;
	case -EMSGSIZE:
		snprintf(what, sizeof(what),
			 "message of %u bytes exceeds the limit of %u",
			 hdr->length, BP_WIRE_MAX_PAYLOAD);
		break;
	case -EOPNOTSUPP:
		snprintf(what, sizeof(what), "unknown message type 0x%04x",
			 hdr->type);
		break;
	case -EKEYREJECTED:
		snprintf(what, sizeof(what),
			 "a sealed message that does not open (forged, replayed, reordered, reflected or not sealed)");
		break;
	case -EBADMSG:
		name = bp_wire_type_name(hdr->type);
		if (name)
			snprintf(what, sizeof(what), "malformed %s message (%u bytes)",
				 name, hdr->length);
		else
			snprintf(what, sizeof(what), "malformed message header");
		break;
	default:
		snprintf(what, sizeof(what), "%s", strerror(-err));
		break;
	}
	bpm_log(m, LOG_WARNING, "%s: %s", tag, what);
	bpm_conn_close(m, c, BP_REASON_NONE, "protocol error: %s", what);
}

/* A message with no handler in the connection's state. */
static void unexpected(struct bpm *m, struct bpm_conn *c, const char *name)
{
	char tag[96];

	bpm_conn_tag(c, tag, sizeof(tag));
	if (c->state == BPM_CONN_HELLO) {
		bpm_log(m, LOG_WARNING, "%s: protocol error: %s before HELLO",
			tag, name);
		bpm_send_reject(c->io.fd, BP_REASON_PROTOCOL, "expected HELLO");
		bpm_conn_close(m, c, BP_REASON_NONE, "protocol error");
		return;
	}
	bpm_log(m, LOG_WARNING, "%s: protocol error: unexpected %s", tag, name);
	bpm_conn_close(m, c, BP_REASON_PROTOCOL, "protocol error: unexpected %s",
		       name);
}

static void dispatch(struct bpm *m, struct bpm_conn *c, const struct bp_msg *msg)
{
	const struct bpm_handler *h = msg->type < BP_WIRE_TYPES ?
				      m->handlers[msg->type] : NULL;

	if (!h || !(h->states & BPM_IN(c->state))) {
		unexpected(m, c, bp_wire_type_name(msg->type));
		return;
	}
	h->fn(m, c, msg);
}

static void conn_readable(struct bpm *m, struct bpm_conn *c)
{
	for (;;) {
		struct bp_wire_hdr hdr;
		struct bp_msg msg;
		ssize_t n;
		int ret;

		n = bp_rx_read(&c->rx, c->io.fd);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n < 0) {
			bpm_conn_close(m, c, BP_REASON_NONE, "receive error: %s",
				       strerror((int)-n));
			return;
		}
		if (n == 0) {
			bpm_conn_close(m, c, BP_REASON_NONE,
				       bp_rx_pending(&c->rx) ?
				       "connection closed in the middle of a message" :
				       "connection closed by the node");
			return;
		}
		c->last_rx = bp_now_mono_ns();
		/* Before HELLO, nobody gets to make us buffer a large message. */
		if (c->state == BPM_CONN_HELLO &&
		    bp_wire_peek(c->rx.buf + c->rx.off, bp_rx_pending(&c->rx),
				 &hdr) > BPM_HELLO_MAX) {
			bpm_log(m, LOG_WARNING,
				"connection from %s: first message of %u bytes is too large for a HELLO",
				c->peer_str, hdr.length);
			bpm_conn_close(m, c, BP_REASON_NONE, "protocol error");
			return;
		}
		while ((ret = bp_rx_next(&c->rx, &msg, &hdr)) != 0) {
			if (ret == -ENOMSG) {
				bpm_debug(m, "node %d: ignoring optional message type 0x%04x",
					  c->node, hdr.type);
				continue;
			}
			if (ret < 0) {
				rx_error(m, c, ret, &hdr);
				return;
			}
			dispatch(m, c, &msg);
			if (c->state == BPM_CONN_DEAD)
				return;
		}
	}
}

static void conn_event(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bpm_conn *c = (struct bpm_conn *)io;
	struct bpm *m = c->m;

	if (events & EPOLLOUT) {
		ssize_t left = bp_tx_flush(&c->tx, c->io.fd);

		if (left < 0) {
			bpm_conn_close(m, c, BP_REASON_NONE, "send error: %s",
				       strerror((int)-left));
			return;
		}
		conn_update_events(m, c);
		if (m->conn_drained)
			m->conn_drained(m, c);
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_readable(m, c);
}

/*
 * Silence: nothing received for the ping timeout. The timer is armed for
 * the last byte seen when it was started; reading only moves last_rx,
 * and the timer moves itself forward when it finds a later one.
 */
static void silence_due(struct bp_loop *l, struct bp_timer *t)
{
	struct bpm_conn *c = bp_container_of(t, struct bpm_conn, silence);
	struct bpm *m = c->m;
	uint64_t limit = m->cfg.ping_timeout * BP_NS_PER_S;

	/* Bytes the node sent that the loop has not read yet are not silence. */
	if (bp_rx_unread(&c->rx, c->io.fd))
		c->last_rx = bp_now_mono_ns();
	if (bp_now_mono_ns() < c->last_rx + limit) {
		bp_timer_start_at(l, t, c->last_rx + limit, 0);
		return;
	}
	if (c->state == BPM_CONN_HELLO)
		bpm_conn_close(m, c, BP_REASON_NONE, "no HELLO within %u s",
			       m->cfg.ping_timeout);
	else if (c->state == BPM_CONN_AUTH)
		bpm_conn_close(m, c, BP_REASON_NONE, "no AUTH within %u s",
			       m->cfg.ping_timeout);
	else
		bpm_conn_close(m, c, BP_REASON_NONE,
			       "ping timeout: silent for %u s",
			       m->cfg.ping_timeout);
}

/* Arm the silence timeout (and again when the ping timeout changed). */
int bpm_conn_silence_restart(struct bpm *m, struct bpm_conn *c)
{
	return bp_timer_start_at(&m->loop, &c->silence,
				 c->last_rx + m->cfg.ping_timeout * BP_NS_PER_S,
				 0);
}

/*
 * A connection on @fd (non-blocking) from @peer as @node, in state HELLO,
 * watched for input. NULL when out of memory or epoll refuses; @fd is
 * closed then.
 */
struct bpm_conn *bpm_conn_new(struct bpm *m, int fd,
			      const struct sockaddr_in *peer, int node)
{
	char addr[INET_ADDRSTRLEN];
	struct bpm_conn *c;
	int ret;

	inet_ntop(AF_INET, &peer->sin_addr, addr, sizeof(addr));
	c = calloc(1, sizeof(*c));
	if (!c) {
		bpm_log(m, LOG_ERR, "connection from %s: %s", addr,
			strerror(ENOMEM));
		close(fd);
		return NULL;
	}
	bp_io_init(&c->io, conn_event);
	bp_timer_init(&c->silence, silence_due);
	c->m = m;
	c->state = BPM_CONN_HELLO;
	c->node = node;
	c->peer = *peer;
	snprintf(c->peer_str, sizeof(c->peer_str), "%s:%u", addr,
		 ntohs(peer->sin_port));
	bp_rx_init(&c->rx);
	bp_tx_init(&c->tx);
	c->last_rx = bp_now_mono_ns();
	ret = bp_io_add(&m->loop, &c->io, fd, EPOLLIN);
	if (!ret)
		ret = bpm_conn_silence_restart(m, c);
	if (ret) {
		bpm_log(m, LOG_ERR, "connection from %s: epoll: %s", c->peer_str,
			strerror(-ret));
		bp_io_del(&m->loop, &c->io);
		close(fd);
		free(c);
		return NULL;
	}
	c->next = m->conns;
	if (m->conns)
		m->conns->prev = c;
	m->conns = c;
	return c;
}

static void accept_one(struct bpm *m, int fd, const struct sockaddr_in *peer)
{
	char addr[INET_ADDRSTRLEN];
	struct bpm_conn *c;
	int node, one = 1;

	inet_ntop(AF_INET, &peer->sin_addr, addr, sizeof(addr));
	node = bp_cfg_node_of_addr(&m->cfg, ntohl(peer->sin_addr.s_addr));
	if (node < 0) {
		char text[128];

		bpm_log(m, LOG_WARNING,
			"refused connection from %s:%u: address not in any iprange",
			addr, ntohs(peer->sin_port));
		snprintf(text, sizeof(text), "%s is not in any iprange of the master",
			 addr);
		bpm_send_reject(fd, BP_REASON_RANGE, text);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = bpm_conn_new(m, fd, peer, node);
	if (c)
		bpm_debug(m, "connection from %s (node %d), waiting for HELLO",
			  c->peer_str, node);
}

static void listen_ready(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bpm *m = bp_container_of(io, struct bpm, listen_io);

	for (;;) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int fd;

		fd = accept4(io->fd, (struct sockaddr *)&peer, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* EMFILE and friends: try again on the next event. */
			bpm_log(m, LOG_ERR, "accept: %s", strerror(errno));
			return;
		}
		if (len != sizeof(peer) || peer.sin_family != AF_INET) {
			close(fd);
			continue;
		}
		accept_one(m, fd, &peer);
	}
}

/*
 * Accept nodes on @fd (from bpm_listen()) from now on, instead of on the
 * socket watched so far, which is handed back in *@old (-1: none) for the
 * caller to close. On failure nothing changes.
 */
int bpm_listen_watch(struct bpm *m, int fd, int *old)
{
	int prev = m->listen_io.added ? m->listen_io.fd : -1;
	int ret;

	bp_io_del(&m->loop, &m->listen_io);
	ret = bp_io_add(&m->loop, &m->listen_io, fd, EPOLLIN);
	if (ret) {
		if (prev >= 0)
			bp_io_add(&m->loop, &m->listen_io, prev, EPOLLIN);
		return ret;
	}
	*old = prev;
	return 0;
}

/* The transport's part of the context: before any connection. */
int bpm_conn_init(struct bpm *m)
{
	bp_io_init(&m->listen_io, listen_ready);
	bp_timer_init(&m->reap, reap_due);
	return 0;
}
