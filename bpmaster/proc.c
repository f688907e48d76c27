// SPDX-License-Identifier: GPL-2.0
/*
 * Process messages (docs/ghosts.md): the module queues REXEC, SIGNAL and
 * PIDS on the master file for bpmaster to send to the node (hdr.node);
 * the nodes' REXEC_RESULT, PSTATUS, STOP, CONT, EXIT, FORK, PIDS_WANT and
 * PIDS_FREE go back to the module with write(). bpmaster only routes and validates; it keeps no process
 * state. A node that sends a process message for another node, or one the
 * module refuses, is closed like any node that sends a malformed message;
 * ESRCH/ENOENT (a ghost that is gone) and EOPNOTSUPP (a type the module
 * does not act on) only drop the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpmaster.h"

static void kmod_readable(struct bp_loop *l, struct bp_io *io, uint32_t events);
static void to_node(struct bpm *m, struct bpm_conn *c, const struct bp_msg *msg);
static void conn_drained(struct bpm *m, struct bpm_conn *c);

/* A node took nothing from its full send buffer for the ping timeout. */
static void held_due(struct bp_loop *l, struct bp_timer *t)
{
	struct bpm *m = bp_container_of(t, struct bpm, held_timer);

	if (m->held_conn)
		bpm_conn_close(m, m->held_conn, BP_REASON_NONE,
			       "not reading: send buffer full for %u s",
			       m->cfg.ping_timeout);
}

/*
 * Watch the master file for process messages. A module without them (no
 * poll on /dev/bproc: epoll_ctl says EPERM) still serves the node table.
 */
int bpm_procs_init(struct bpm *m)
{
	int fl, ret;

	m->kbuf = malloc(BPROC_MSG_MAX);
	if (!m->kbuf)
		return -ENOMEM;
	/* read() must never block the loop (ioctls do not care). */
	fl = fcntl(m->bproc_fd, F_GETFL);
	if (fl < 0 || fcntl(m->bproc_fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	m->conn_drained = conn_drained;
	bp_timer_init(&m->held_timer, held_due);
	bp_io_init(&m->bproc_io, kmod_readable);
	ret = bp_io_add(&m->loop, &m->bproc_io, m->bproc_fd, EPOLLIN);
	if (ret) {
		if (ret != -EPERM)
			return ret;
		bpm_log(m, LOG_WARNING,
			"/dev/bproc: this bproc module does not queue process messages (no poll): remote processes are disabled");
		return 0;
	}
	m->procs = true;
	return 0;
}

/* Messages that go from the master to a node (the uapi table says). */
static bool bpm_proc_to_node(uint16_t type)
{
	return bp_proc_type_dir(type) == BP_DIR_TO_NODE;
}

/* Tell the module a REXEC failed before reaching a node. */
static void kmod_rexec_fail(struct bpm *m, const struct bproc_msg_hdr *req,
			    int err)
{
	struct bp_msg_proc res;
	uint8_t buf[64];
	ssize_t n;

	memset(&res, 0, sizeof(res));
	res.hdr.type = BPROC_MSG_REXEC_RESULT;
	res.hdr.node = req->node;
	res.hdr.pid = req->pid;
	res.hdr.id = req->id;
	res.error = err;
	res.hdr.size = (uint32_t)bp_proc_size(&res);
	n = bp_proc_build(&res, buf, sizeof(buf));
	if (n < 0) {
		bpm_log(m, LOG_ERR, "REXEC for pid %d on node %d: cannot answer: %s",
			req->pid, req->node, strerror((int)-n));
		return;
	}
	if (write(m->bproc_fd, buf, (size_t)n) != n)
		bpm_log(m, LOG_ERR,
			"/dev/bproc: REXEC_RESULT for pid %d: %s", req->pid,
			strerror(errno));
}

static void kmod_readable(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bpm *m = bp_container_of(io, struct bpm, bproc_io);
	struct bp_msg msg = { .type = BP_MSG_PROC };
	struct bp_msg_proc *p = &msg.proc;
	struct bproc_msg_hdr hdr;
	struct bpm_conn *c;
	const char *name;
	ssize_t n;
	int ret;

	/* One message per read(); epoll comes back while more are queued. */
	n = read(m->bproc_fd, m->kbuf, BPROC_MSG_MAX);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		bpm_log(m, LOG_ERR,
			"/dev/bproc: reading process messages: %s; remote processes are disabled",
			strerror(errno));
		bp_io_del(&m->loop, &m->bproc_io);
		m->procs = false;
		return;
	}
	if ((size_t)n < sizeof(hdr)) {
		bpm_log(m, LOG_ERR, "/dev/bproc: short process message (%zd bytes) dropped",
			n);
		return;
	}
	memcpy(&hdr, m->kbuf, sizeof(hdr));
	if (hdr.type == BPROC_MSG_NODE_CTL) {
		bpm_ctl_msg(m, m->kbuf, (size_t)n);
		return;
	}
	ret = bp_proc_parse(m->kbuf, (size_t)n, p);
	if (ret || !bpm_proc_to_node(hdr.type)) {
		name = bp_proc_type_name(hdr.type);
		bpm_log(m, LOG_ERR,
			"/dev/bproc: %s process message %s (%zd bytes) for pid %d on node %d dropped",
			ret ? "malformed" : "unexpected", name ? name : "?", n,
			hdr.pid, hdr.node);
		if (hdr.type == BPROC_MSG_REXEC)
			kmod_rexec_fail(m, &hdr, EINVAL);
		return;
	}
	name = bp_proc_type_name(p->hdr.type);
	c = p->hdr.node < (int32_t)m->cfg.node_count ?
	    m->node_conn[p->hdr.node] : NULL;
	if (!c || c->state != BPM_CONN_ACTIVE) {
		bpm_debug(m, "%s for pid %d: node %d is not connected", name,
			  p->hdr.pid, p->hdr.node);
		if (p->hdr.type == BPROC_MSG_REXEC)
			kmod_rexec_fail(m, &p->hdr, EHOSTDOWN);
		return;
	}
	bpm_debug(m, "node %d: %s for pid %d", c->node, name, p->hdr.pid);
	if (bp_tx_pending(&c->tx) + bp_wire_enc_bound(&msg) > BP_TX_MAX) {
		/*
		 * The node does not keep up: hold this message and stop
		 * reading the module's queue until it drains. The queue is
		 * bounded, so users then get EAGAIN (signals, REXECs) instead
		 * of the node being dropped with everyone's processes.
		 */
		bpm_log(m, LOG_INFO,
			"node %d: send buffer full; process messages wait for it",
			c->node);
		m->held = msg;
		m->held_conn = c;
		bp_io_mod(&m->loop, &m->bproc_io, 0);
		bp_timer_start(&m->loop, &m->held_timer,
			       (uint64_t)m->cfg.ping_timeout * BP_NS_PER_S, 0);
		return;
	}
	to_node(m, c, &msg);
}

/* Send @msg to @c; a node that cannot take it is lost. */
static void to_node(struct bpm *m, struct bpm_conn *c, const struct bp_msg *msg)
{
	int ret = bpm_conn_send(m, c, msg);

	if (ret) {
		bpm_conn_close(m, c, BP_REASON_NONE, "cannot send to the node: %s",
			       strerror(-ret));
		if (msg->proc.hdr.type == BPROC_MSG_REXEC)
			kmod_rexec_fail(m, &msg->proc.hdr, EHOSTDOWN);
	}
}

/*
 * m->conn_drained: @c sent what it had queued, or is closing. A message
 * held for it goes out now (or fails: the node is gone), and the
 * module's queue is read again.
 */
static void conn_drained(struct bpm *m, struct bpm_conn *c)
{
	struct bp_msg msg;

	if (m->held_conn != c)
		return;
	if (c->state == BPM_CONN_ACTIVE &&
	    bp_tx_pending(&c->tx) + bp_wire_enc_bound(&m->held) > BP_TX_MAX)
		return;		/* not enough room yet */
	msg = m->held;
	m->held_conn = NULL;
	bp_timer_stop(&m->loop, &m->held_timer);
	if (c->state == BPM_CONN_ACTIVE) {
		bpm_log(m, LOG_INFO, "node %d: send buffer drained", c->node);
		to_node(m, c, &msg);
	} else if (msg.proc.hdr.type == BPROC_MSG_REXEC) {
		kmod_rexec_fail(m, &msg.proc.hdr, EHOSTDOWN);
	}
	if (m->procs)
		bp_io_mod(&m->loop, &m->bproc_io, EPOLLIN);
}

static void proc_from_node(struct bpm *m, struct bpm_conn *c,
			   const struct bp_msg *msg)
{
	const struct bp_msg_proc *p = &msg->proc;
	const char *name = bp_proc_type_name(p->hdr.type);
	ssize_t n;

	if (bpm_proc_to_node(p->hdr.type)) {
		bpm_log(m, LOG_WARNING, "node %d (%s): protocol error: %s from a node",
			c->node, c->peer_str, name);
		bpm_conn_close(m, c, BP_REASON_PROTOCOL,
			       "protocol error: %s from a node", name);
		return;
	}
	if (p->hdr.node != c->node) {
		bpm_log(m, LOG_WARNING,
			"node %d (%s): protocol error: %s for pid %d claims node %d",
			c->node, c->peer_str, name, p->hdr.pid, p->hdr.node);
		bpm_conn_close(m, c, BP_REASON_PROTOCOL,
			       "protocol error: process message for node %d",
			       p->hdr.node);
		return;
	}
	bpm_debug(m, "node %d: %s for pid %d", c->node, name, p->hdr.pid);
	n = bp_proc_build(p, m->kbuf, BPROC_MSG_MAX);
	if (n >= 0 && write(m->bproc_fd, m->kbuf, (size_t)n) == n)
		return;
	if (n >= 0 && (errno == ESRCH || errno == ENOENT)) {
		/* The ghost is gone already (e.g. the node was down). */
		bpm_debug(m, "node %d: %s for pid %d: no such ghost", c->node,
			  name, p->hdr.pid);
		return;
	}
	if (n >= 0 && errno == EOPNOTSUPP) {
		/* A message type this module does not act on (yet). */
		if (!(m->unsupported & 1u << p->hdr.type))
			bpm_log(m, LOG_WARNING,
				"/dev/bproc: this bproc module does not take %s messages: dropping them",
				name);
		m->unsupported |= 1u << p->hdr.type;
		return;
	}
	bpm_log(m, LOG_WARNING,
		"node %d (%s): the bproc module refused %s for pid %d: %s",
		c->node, c->peer_str, name, p->hdr.pid,
		strerror(n < 0 ? (int)-n : errno));
	bpm_conn_close(m, c, BP_REASON_PROTOCOL,
		       "protocol error: %s for pid %d refused by the module",
		       name, p->hdr.pid);
}

const struct bpm_handler bpm_proc_handlers[] = {
	{ BP_MSG_PROC, BPM_IN(BPM_CONN_ACTIVE), proc_from_node },
	{ 0 }
};
