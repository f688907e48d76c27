// SPDX-License-Identifier: GPL-2.0
/*
 * Node connections: admission by address, the HELLO/WELCOME exchange,
 * node status, pings and timeouts. A connection that misbehaves is closed
 * with a log line naming it; nothing a node sends can stop the daemon.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "bpmaster.h"

#define NS_PER_MS	1000000ull
#define BPM_HELLO_MAX	4096	/* largest first message we buffer */
#define NS_PER_S	1000000000ull

static uint64_t ping_interval_ns(const struct bpm *m)
{
	return m->cfg.ping_interval * NS_PER_S;
}

static uint64_t ping_timeout_ns(const struct bpm *m)
{
	return m->cfg.ping_timeout * NS_PER_S;
}

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
	    listen(fd, 128)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*fd_out = fd;
	return 0;
}

/* Copy a C string, truncating it to fit. */
static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *node_tag(const struct bpm_conn *c, char *buf, size_t len)
{
	if (c->state == BPM_CONN_ACTIVE)
		snprintf(buf, len, "node %d (%s)", c->node, c->peer_str);
	else
		snprintf(buf, len, "connection from %s", c->peer_str);
	return buf;
}

static void conn_update_events(struct bpm *m, struct bpm_conn *c)
{
	bool want = bp_tx_pending(&c->tx) != 0;
	struct epoll_event ev = {
		.events = EPOLLIN | (want ? EPOLLOUT : 0),
		.data.ptr = c,
	};

	if (want == c->want_out)
		return;
	if (epoll_ctl(m->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = want;
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
	left = bp_tx_flush(&c->tx, c->fd);
	if (left < 0)
		return (int)left;
	conn_update_events(m, c);
	return 0;
}

/*
 * Close @c. For an active node this is the node going down: the reason
 * (printf-style) ends up in "bpmaster: node N down (REASON)". A BYE with
 * @bye_code is sent first when the code is not BP_REASON_NONE.
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
		copy_text(bye.reason.text, sizeof(bye.reason.text), reason);
		if (!bp_tx_queue(&c->tx, &bye))
			bp_tx_flush(&c->tx, c->fd);
	}
	if (c->state == BPM_CONN_ACTIVE && m->node_conn[c->node] == c) {
		struct bproc_node_info *ni = &m->info[c->node];

		m->node_conn[c->node] = NULL;
		ni->load[0] = ni->load[1] = ni->load[2] = 0;
		ni->mem_free = 0;
		bpm_node_set_state(m, c->node, BPROC_NODE_DOWN);
		bpm_log(m, LOG_NOTICE, "node %d down (%s)", c->node, reason);
	} else {
		bpm_log(m, LOG_INFO, "connection from %s closed: %s",
			c->peer_str, reason);
	}
	epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->state = BPM_CONN_DEAD;
	for (struct bpm_conn **pp = &m->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->next = m->dead;
	m->dead = c;
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
static void send_reject(int fd, uint32_t code, const char *text)
{
	struct bp_msg msg = { .type = BP_MSG_REJECT };
	uint8_t buf[BP_WIRE_ENC_MAX];
	ssize_t n;

	msg.reason.code = code;
	copy_text(msg.reason.text, sizeof(msg.reason.text), text);
	n = bp_wire_encode(&msg, buf, sizeof(buf));
	if (n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* The peer learns from the close instead. */
	}
}

static void accept_one(struct bpm *m, int fd, const struct sockaddr_in *peer)
{
	char addr[INET_ADDRSTRLEN];
	struct epoll_event ev = { .events = EPOLLIN };
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
		send_reject(fd, BP_REASON_RANGE, text);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		bpm_log(m, LOG_ERR, "connection from %s: %s", addr,
			strerror(ENOMEM));
		close(fd);
		return;
	}
	c->src.kind = BPM_SRC_CONN;
	c->fd = fd;
	c->state = BPM_CONN_HELLO;
	c->node = node;
	c->peer = *peer;
	snprintf(c->peer_str, sizeof(c->peer_str), "%s:%u", addr,
		 ntohs(peer->sin_port));
	bp_rx_init(&c->rx);
	bp_tx_init(&c->tx);
	c->last_rx = bpm_now_mono();
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ev.data.ptr = c;
	if (epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		bpm_log(m, LOG_ERR, "connection from %s: epoll: %s", c->peer_str,
			strerror(errno));
		close(fd);
		free(c);
		return;
	}
	c->next = m->conns;
	m->conns = c;
	bpm_debug(m, "connection from %s (node %d), waiting for HELLO",
		  c->peer_str, node);
}

void bpm_accept(struct bpm *m)
{
	for (;;) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int fd;

		fd = accept4(m->listen_fd, (struct sockaddr *)&peer, &len,
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

int bpm_send_welcome(struct bpm *m, struct bpm_conn *c)
{
	struct bp_msg w = { .type = BP_MSG_WELCOME };

	w.welcome.node = c->node;
	w.welcome.ping_interval = m->cfg.ping_interval * 1000;
	w.welcome.ping_timeout = m->cfg.ping_timeout * 1000;
	w.welcome.master_time = bpm_now_real();
	return bpm_conn_send(m, c, &w);
}

/*
 * The node_up step. It runs while the node is in state boot; today there
 * is nothing to run, so it finishes at once. When node_up hooks arrive,
 * this starts them and node_up_done() is called when they finish.
 */
static void node_up_done(struct bpm *m, struct bpm_conn *c, int err,
			 const char *why)
{
	struct bproc_node_info *ni = &m->info[c->node];
	char addr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &c->peer.sin_addr, addr, sizeof(addr));
	if (err) {
		copy_text(ni->error, sizeof(ni->error), why);
		bpm_node_set_state(m, c->node, BPROC_NODE_ERROR);
		bpm_log(m, LOG_ERR, "node %d error (%s)", c->node, why);
		return;
	}
	bpm_node_set_state(m, c->node, BPROC_NODE_UP);
	bpm_log(m, LOG_NOTICE, "node %d up (%s)", c->node, addr);
}

static void node_up_start(struct bpm *m, struct bpm_conn *c)
{
	node_up_done(m, c, 0, NULL);
}

static void handle_hello(struct bpm *m, struct bpm_conn *c,
			 const struct bp_msg_hello *h)
{
	const struct bp_cfg_node *cn = bp_cfg_node_find(&m->cfg, (uint32_t)c->node);
	struct bpm_conn *old = m->node_conn[c->node];
	struct bproc_node_info *ni = &m->info[c->node];
	uint64_t now = bpm_now_mono();

	if (h->auth_method != BP_AUTH_NONE) {
		send_reject(c->fd, BP_REASON_AUTH,
			    "authentication method not supported");
		bpm_conn_close(m, c, BP_REASON_NONE,
			       "unsupported authentication method %u",
			       h->auth_method);
		return;
	}
	if (old)
		bpm_conn_close(m, old, BP_REASON_REPLACED,
			       "replaced by a new connection from %s",
			       c->peer_str);
	if (cn && h->hwaddr_len == 6 && memcmp(cn->hwaddr, h->hwaddr, 6))
		bpm_log(m, LOG_WARNING,
			"node %d: hardware address %02x:%02x:%02x:%02x:%02x:%02x differs from the config's (line %u)",
			c->node, h->hwaddr[0], h->hwaddr[1], h->hwaddr[2],
			h->hwaddr[3], h->hwaddr[4], h->hwaddr[5], cn->line);

	c->state = BPM_CONN_ACTIVE;
	m->node_conn[c->node] = c;
	c->next_ping = now + ping_interval_ns(m);

	bpm_nodes_fill_down(m, ni, (uint32_t)c->node);
	ni->cpus = h->cpus;
	ni->mem_total = h->mem_total;
	ni->mem_free = h->mem_total;
	ni->node_boottime = h->boot_time;
	ni->uid = 0;
	ni->gid = 0;
	ni->mode = 0111;
	if (h->hwaddr_len) {
		ni->hwaddr_len = h->hwaddr_len;
		memset(ni->hwaddr, 0, sizeof(ni->hwaddr));
		memcpy(ni->hwaddr, h->hwaddr, h->hwaddr_len);
	}
	copy_text(ni->kernel, sizeof(ni->kernel), h->kernel);
	copy_text(ni->modver, sizeof(ni->modver), h->modver);
	bpm_node_set_state(m, c->node, BPROC_NODE_BOOT);
	bpm_debug(m, "node %d boot (%s): kernel %s, bproc %s, %u cpus, %llu MiB",
		  c->node, c->peer_str, h->kernel, h->modver, h->cpus,
		  (unsigned long long)(h->mem_total >> 20));

	if (bpm_send_welcome(m, c)) {
		bpm_conn_close(m, c, BP_REASON_NONE, "cannot send WELCOME");
		return;
	}
	node_up_start(m, c);
}

static void handle_status(struct bpm *m, struct bpm_conn *c,
			  const struct bp_msg_status *s)
{
	struct bproc_node_info *ni = &m->info[c->node];

	memcpy(ni->load, s->load, sizeof(ni->load));
	ni->mem_free = s->mem_free;
	bpm_node_push(m, c->node);
}

static void handle_msg(struct bpm *m, struct bpm_conn *c, const struct bp_msg *msg)
{
	const char *name = bp_wire_type_name(msg->type);
	char tag[96];

	if (c->state == BPM_CONN_HELLO) {
		if (msg->type == BP_MSG_HELLO) {
			handle_hello(m, c, &msg->hello);
		} else if (msg->type == BP_MSG_BYE) {
			bpm_conn_close(m, c, BP_REASON_NONE, "BYE before HELLO");
		} else {
			bpm_log(m, LOG_WARNING, "%s: protocol error: %s before HELLO",
				node_tag(c, tag, sizeof(tag)), name);
			send_reject(c->fd, BP_REASON_PROTOCOL, "expected HELLO");
			bpm_conn_close(m, c, BP_REASON_NONE, "protocol error");
		}
		return;
	}

	switch (msg->type) {
	case BP_MSG_STATUS:
		handle_status(m, c, &msg->status);
		break;
	case BP_MSG_PING: {
		struct bp_msg pong = { .type = BP_MSG_PONG, .id = msg->id };

		pong.ping.time = msg->ping.time;
		if (bpm_conn_send(m, c, &pong))
			bpm_conn_close(m, c, BP_REASON_NONE,
				       "cannot send to the node");
		break;
	}
	case BP_MSG_PONG:
		if (msg->id == c->ping_id)
			bpm_debug(m, "node %d: ping round trip %llu us", c->node,
				  (unsigned long long)(bpm_now_real() - msg->ping.time) / 1000);
		break;
	case BP_MSG_PROC:
		bpm_proc_from_node(m, c, &msg->proc);
		break;
	case BP_MSG_BYE:
		bpm_conn_close(m, c, BP_REASON_NONE, "bye from the node: %s",
			       msg->reason.text[0] ? msg->reason.text :
			       bp_reason_name(msg->reason.code));
		break;
	default:
		bpm_log(m, LOG_WARNING, "%s: protocol error: unexpected %s",
			node_tag(c, tag, sizeof(tag)), name);
		bpm_conn_close(m, c, BP_REASON_PROTOCOL, "protocol error: unexpected %s",
			       name);
		break;
	}
}

/* A receive error: log it naming the peer, close the connection. */
static void rx_error(struct bpm *m, struct bpm_conn *c, int err,
		     const struct bp_wire_hdr *hdr)
{
	char tag[96], what[160];
	const char *name;

	node_tag(c, tag, sizeof(tag));
	switch (err) {
	case -EPROTO:
		snprintf(what, sizeof(what), "not a bproc protocol stream");
		break;
	case -EPROTONOSUPPORT:
		snprintf(what, sizeof(what),
			 "protocol version %u not supported (this master speaks %d)",
			 hdr->version, BP_WIRE_VERSION);
		if (c->state == BPM_CONN_HELLO)
			send_reject(c->fd, BP_REASON_VERSION, what);
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

static void conn_readable(struct bpm *m, struct bpm_conn *c)
{
	for (;;) {
		struct bp_wire_hdr hdr;
		struct bp_msg msg;
		ssize_t n;
		int ret;

		n = bp_rx_read(&c->rx, c->fd);
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
		c->last_rx = bpm_now_mono();
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
			handle_msg(m, c, &msg);
			if (c->state == BPM_CONN_DEAD)
				return;
		}
	}
}

void bpm_conn_event(struct bpm *m, struct bpm_conn *c, uint32_t events)
{
	if (c->state == BPM_CONN_DEAD)
		return;
	if (events & EPOLLOUT) {
		ssize_t left = bp_tx_flush(&c->tx, c->fd);

		if (left < 0) {
			bpm_conn_close(m, c, BP_REASON_NONE, "send error: %s",
				       strerror((int)-left));
			return;
		}
		conn_update_events(m, c);
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_readable(m, c);
}

/*
 * Pings and timeouts. Returns the epoll timeout in ms until the next
 * thing to do (-1: nothing pending).
 */
int bpm_timers(struct bpm *m)
{
	uint64_t now = bpm_now_mono(), next = UINT64_MAX;
	struct bpm_conn *c, *n;

	for (c = m->conns; c; c = n) {
		uint64_t deadline = c->last_rx + ping_timeout_ns(m);

		n = c->next;
		if (now >= deadline) {
			if (c->state == BPM_CONN_HELLO)
				bpm_conn_close(m, c, BP_REASON_NONE,
					       "no HELLO within %u s",
					       m->cfg.ping_timeout);
			else
				bpm_conn_close(m, c, BP_REASON_NONE,
					       "ping timeout: silent for %u s",
					       m->cfg.ping_timeout);
			continue;
		}
		if (deadline < next)
			next = deadline;
		if (c->state != BPM_CONN_ACTIVE)
			continue;
		if (now >= c->next_ping) {
			struct bp_msg ping = { .type = BP_MSG_PING };

			ping.id = ++c->ping_id;
			ping.ping.time = bpm_now_real();
			if (bpm_conn_send(m, c, &ping)) {
				bpm_conn_close(m, c, BP_REASON_NONE,
					       "cannot send to the node");
				continue;
			}
			c->next_ping = now + ping_interval_ns(m);
		}
		if (c->next_ping < next)
			next = c->next_ping;
	}
	if (next == UINT64_MAX)
		return -1;
	/* Round up so we wake after the deadline, not just before it. */
	return (int)((next - now + NS_PER_MS - 1) / NS_PER_MS);
}
