// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of bpmaster's process message routing (proc.c) with the
 * real connection code: a SOCK_SEQPACKET socket pair stands in for the
 * module's master file (one message per read and write, as the module
 * does) and a stream socket pair for a node's connection.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bpmaster.h"
#include "bproc-test/tap.h"

static uint8_t kbuf[BPROC_MSG_MAX];

struct env {
	struct bpm m;
	int kmod;		/* the module's side of the master file */
	int node[2];		/* the nodes' side of their connections */
	struct bpm_conn *c[2];
};

static struct bpm_conn *add_conn(struct bpm *m, int node, int *peer)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct bpm_conn *c;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		abort();
	c = bpm_conn_new(m, sv[0], &sin, node);
	if (!c)
		abort();
	c->state = BPM_CONN_ACTIVE;
	m->node_conn[node] = c;
	*peer = sv[1];
	return c;
}

static void setup(struct env *e, struct tap *t)
{
	int sv[2];

	memset(e, 0, sizeof(*e));
	e->m.cfg.node_count = 3;
	e->m.cfg.ping_timeout = 30;
	bp_log_init(&e->m.log, "bpmaster", 2, BP_LOG_STAMP_NONE);
	e->m.info = calloc(3, sizeof(*e->m.info));
	e->m.node_conn = calloc(3, sizeof(*e->m.node_conn));
	e->m.node_lost = bpm_session_lost;
	for (const struct bpm_handler *h = bpm_proc_handlers; h->fn; h++)
		e->m.handlers[h->type] = h;
	if (bp_loop_init(&e->m.loop) || bpm_conn_init(&e->m) ||
	    !e->m.info || !e->m.node_conn ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		abort();
	e->m.bproc_fd = sv[0];
	e->kmod = sv[1];
	e->c[0] = add_conn(&e->m, 0, &e->node[0]);
	e->c[1] = add_conn(&e->m, 1, &e->node[1]);
	tap_ok(t, bpm_procs_init(&e->m) == 0 && e->m.procs,
	       "the master file is watched for process messages");
}

static struct bp_msg_proc sample(uint16_t type, int32_t node, int32_t pid)
{
	static const char strs[] = "/\0/bin/true\0true";
	struct bp_msg_proc p;

	memset(&p, 0, sizeof(p));
	p.hdr.type = type;
	p.hdr.node = node;
	p.hdr.pid = pid;
	p.hdr.id = 1000 + (uint64_t)pid;
	switch (type) {
	case BPROC_MSG_REXEC:
		p.rexec.ppid = 1;
		p.rexec.argc = 1;
		p.rexec.cwd_len = 2;
		p.rexec.buf_len = sizeof(strs) - 2;
		p.strs = strs;
		break;
	case BPROC_MSG_SIGNAL:
		p.signal.signo = SIGTERM;
		break;
	case BPROC_MSG_PSTATUS:
		p.pstatus.state = 'S';
		break;
	case BPROC_MSG_EXIT:
		p.exit.status = 0x0100;
		break;
	case BPROC_MSG_PIDS:
		p.hdr.pid = 0;
		p.pids.count = 1;
		p.pids.pids[0] = pid;
		break;
	case BPROC_MSG_FORK:
		p.fork.ppid = pid - 1;
		break;
	}
	p.hdr.size = (uint32_t)bp_proc_size(&p);
	return p;
}

static void kmod_send(struct env *e, const struct bp_msg_proc *p, int delta)
{
	ssize_t n = bp_proc_build(p, kbuf, sizeof(kbuf));

	if (n < 0 || write(e->kmod, kbuf, (size_t)n + (size_t)delta) < 0)
		abort();
	/* The master file is readable: the loop runs its callback. */
	bp_loop_once(&e->m.loop, 1000);
}

/* The next PROC a node received, or false. */
static bool node_recv(int fd, struct bp_msg *out)
{
	static uint8_t buf[BP_WIRE_MAX_MSG];
	struct bp_rx rx;
	ssize_t n = read(fd, buf, sizeof(buf));
	bool ok;

	if (n <= 0)
		return false;
	bp_rx_init(&rx);
	ok = !bp_rx_feed(&rx, buf, (size_t)n) && bp_rx_next(&rx, out, NULL) == 1;
	/* strs points into the rx buffer: compare before freeing it. */
	if (ok && out->proc.hdr.type == BPROC_MSG_REXEC) {
		static char keep[64];

		memcpy(keep, out->proc.strs, out->proc.rexec.cwd_len +
		       out->proc.rexec.buf_len);
		out->proc.strs = keep;
	}
	bp_rx_free(&rx);
	return ok;
}

static bool kmod_recv(struct env *e, struct bp_msg_proc *out)
{
	ssize_t n = read(e->kmod, kbuf, sizeof(kbuf));

	return n > 0 && bp_proc_parse(kbuf, (size_t)n, out) == 0;
}

static void test_to_nodes(struct env *e, struct tap *t)
{
	struct bp_msg_proc p = sample(BPROC_MSG_REXEC, 1, 500), r;
	struct bp_msg got;

	kmod_send(e, &p, 0);
	tap_ok(t, node_recv(e->node[1], &got) && got.type == BP_MSG_PROC &&
	       got.proc.hdr.type == BPROC_MSG_REXEC && got.proc.hdr.pid == 500 &&
	       got.proc.hdr.id == 1500 &&
	       !memcmp(got.proc.strs, p.strs, p.rexec.cwd_len + p.rexec.buf_len),
	       "REXEC for node 1 goes to node 1's connection");
	tap_ok(t, read(e->node[0], kbuf, 1) < 0 && errno == EAGAIN,
	       "and not to node 0");

	p = sample(BPROC_MSG_SIGNAL, 0, 501);
	kmod_send(e, &p, 0);
	tap_ok(t, node_recv(e->node[0], &got) &&
	       got.proc.hdr.type == BPROC_MSG_SIGNAL &&
	       got.proc.signal.signo == SIGTERM, "SIGNAL for node 0 goes to node 0");

	p = sample(BPROC_MSG_REXEC, 2, 502);
	kmod_send(e, &p, 0);
	tap_ok(t, kmod_recv(e, &r) && r.hdr.type == BPROC_MSG_REXEC_RESULT &&
	       r.hdr.pid == 502 && r.hdr.node == 2 && r.hdr.id == 1502 &&
	       r.error == EHOSTDOWN,
	       "REXEC for a node that is not connected: REXEC_RESULT EHOSTDOWN");
	p = sample(BPROC_MSG_SIGNAL, 2, 503);
	kmod_send(e, &p, 0);
	tap_ok(t, read(e->kmod, kbuf, sizeof(kbuf)) < 0 && errno == EAGAIN,
	       "SIGNAL for a node that is not connected is dropped");

	p = sample(BPROC_MSG_REXEC, 1, 504);
	kmod_send(e, &p, 1);
	tap_ok(t, kmod_recv(e, &r) && r.hdr.type == BPROC_MSG_REXEC_RESULT &&
	       r.hdr.pid == 504 && r.error == EINVAL &&
	       read(e->node[1], kbuf, 1) < 0,
	       "malformed REXEC from the module: answered EINVAL, not sent");
	p = sample(BPROC_MSG_PIDS, 1, 506);
	kmod_send(e, &p, 0);
	tap_ok(t, node_recv(e->node[1], &got) &&
	       got.proc.hdr.type == BPROC_MSG_PIDS && got.proc.hdr.pid == 0 &&
	       got.proc.pids.count == 1 && got.proc.pids.pids[0] == 506,
	       "PIDS for node 1 goes to node 1");
	p = sample(BPROC_MSG_PSTATUS, 1, 505);
	kmod_send(e, &p, 0);
	tap_ok(t, read(e->node[1], kbuf, 1) < 0 &&
	       read(e->kmod, kbuf, sizeof(kbuf)) < 0,
	       "a node-side message type from the module is dropped");
}

/* @p arrives on @c as a PROC message: through the dispatch table. */
static void from_node(struct env *e, struct bpm_conn *c,
		      const struct bp_msg_proc *p)
{
	struct bp_msg msg = { .type = BP_MSG_PROC };

	msg.proc = *p;
	e->m.handlers[BP_MSG_PROC]->fn(&e->m, c, &msg);
}

static void test_from_nodes(struct env *e, struct tap *t)
{
	struct bp_msg_proc p = sample(BPROC_MSG_EXIT, 0, 600), r;
	ssize_t n;

	from_node(e, e->c[0], &p);
	n = read(e->kmod, kbuf, sizeof(kbuf));
	tap_ok(t, n == (ssize_t)p.hdr.size &&
	       bp_proc_parse(kbuf, (size_t)n, &r) == 0 &&
	       r.hdr.type == BPROC_MSG_EXIT && r.exit.status == 0x0100 &&
	       e->c[0]->state == BPM_CONN_ACTIVE,
	       "EXIT from node 0 is written to the module as one message");

	p = sample(BPROC_MSG_FORK, 0, 604);
	from_node(e, e->c[0], &p);
	n = read(e->kmod, kbuf, sizeof(kbuf));
	tap_ok(t, n == (ssize_t)p.hdr.size &&
	       bp_proc_parse(kbuf, (size_t)n, &r) == 0 &&
	       r.hdr.type == BPROC_MSG_FORK && r.fork.ppid == 603,
	       "FORK from node 0 is written to the module");

	p = sample(BPROC_MSG_EXIT, 1, 601);
	from_node(e, e->c[0], &p);
	tap_ok(t, e->c[0]->state == BPM_CONN_DEAD && !e->m.node_conn[0] &&
	       read(e->kmod, kbuf, sizeof(kbuf)) < 0,
	       "EXIT from node 0 naming node 1: not written, node 0 closed");

	p = sample(BPROC_MSG_PIDS, 1, 605);
	from_node(e, e->c[1], &p);
	tap_ok(t, e->c[1]->state == BPM_CONN_DEAD,
	       "PIDS sent by a node closes it");
	e->c[1] = add_conn(&e->m, 1, &e->node[1]);

	p = sample(BPROC_MSG_REXEC, 1, 602);
	from_node(e, e->c[1], &p);
	tap_ok(t, e->c[1]->state == BPM_CONN_DEAD,
	       "REXEC sent by a node closes it");

	/* A module that refuses the message (here: its file is gone). */
	e->c[1] = add_conn(&e->m, 1, &e->node[1]);
	close(e->kmod);
	p = sample(BPROC_MSG_EXIT, 1, 603);
	from_node(e, e->c[1], &p);
	tap_ok(t, e->c[1]->state == BPM_CONN_DEAD,
	       "a message the module refuses closes the node");
	bpm_reap(&e->m);
}

int main(void)
{
	struct tap t = { 0 };
	struct env e;

	signal(SIGPIPE, SIG_IGN);
	setup(&e, &t);
	test_to_nodes(&e, &t);
	test_from_nodes(&e, &t);
	return tap_done(&t);
}
