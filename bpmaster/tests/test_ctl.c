// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of node changes in bpmaster (ctl.c): which changes a node's
 * state allows (bpm_ctl_check), and what a BPROC_MSG_NODE_CTL read from
 * the master file does: permissions in the table, a REQUEST to the node
 * for a reboot, halt, power-off or cache purge, a disconnect for down.
 * A SOCK_SEQPACKET pair stands in for the master file, as in test_proc.c;
 * pushes to the module are deferred (no real /dev/bproc here).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bpmaster.h"
#include "bproc-test/tap.h"

struct env {
	struct bpm m;
	int kmod;
	int node;			/* node 0's side of its connection */
};

static void setup(struct env *e)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct bpm_conn *c;
	int sv[2], nv[2];

	memset(e, 0, sizeof(*e));
	e->m.cfg.node_count = 2;
	e->m.cfg.ping_timeout = 30;
	bp_log_init(&e->m.log, "bpmaster", 0, BP_LOG_STAMP_NONE);
	e->m.info = calloc(2, sizeof(*e->m.info));
	e->m.node_conn = calloc(2, sizeof(*e->m.node_conn));
	e->m.node_lost = bpm_session_lost;
	e->m.defer_push = true;
	if (bp_loop_init(&e->m.loop) || bpm_conn_init(&e->m) ||
	    !e->m.info || !e->m.node_conn ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, nv))
		abort();
	e->m.bproc_fd = sv[0];
	e->kmod = sv[1];
	if (bpm_procs_init(&e->m))
		abort();
	c = bpm_conn_new(&e->m, nv[0], &sin, 0);
	if (!c)
		abort();
	c->state = BPM_CONN_ACTIVE;
	e->m.node_conn[0] = c;
	e->node = nv[1];
	e->m.info[0].state = BPROC_NODE_UP;
	e->m.info[0].mode = 0111;
	e->m.info[1].state = BPROC_NODE_DOWN;
}

static struct bproc_node_ctl ctl(int node, uint32_t what, uint32_t state)
{
	struct bproc_node_ctl c = {
		.size = sizeof(c), .node = node, .what = what, .state = state,
	};

	return c;
}

static void send_ctl(struct env *e, const struct bproc_node_ctl *c)
{
	struct {
		struct bproc_msg_hdr hdr;
		struct bproc_node_ctl c;
	} m = {
		.hdr = { .size = sizeof(m), .type = BPROC_MSG_NODE_CTL,
			 .node = c->node, .pid = 42, .id = 7 },
		.c = *c,
	};

	if (write(e->kmod, &m, sizeof(m)) != sizeof(m))
		abort();
	bp_loop_once(&e->m.loop, 1000);
}

/* The next message node 0 received: its type, 0 for none, -1 closed. */
static int node_recv(struct env *e, struct bp_msg *out)
{
	static uint8_t buf[BP_WIRE_MAX_MSG];
	struct bp_rx rx;
	ssize_t n = read(e->node, buf, sizeof(buf));
	int type = 0;

	if (n == 0)
		return -1;
	if (n < 0)
		return 0;
	bp_rx_init(&rx);
	if (!bp_rx_feed(&rx, buf, (size_t)n) && bp_rx_next(&rx, out, NULL) == 1)
		type = out->type;
	bp_rx_free(&rx);
	return type;
}

static void test_check(struct tap *t)
{
	struct env e;
	struct bproc_node_ctl c;
	static const struct {
		uint32_t cur, want;
		int connected, err;
	} cases[] = {
		{ BPROC_NODE_UP, BPROC_NODE_UNAVAILABLE, 1, 0 },
		{ BPROC_NODE_UNAVAILABLE, BPROC_NODE_UP, 1, 0 },
		{ BPROC_NODE_ERROR, BPROC_NODE_UP, 1, 0 },
		{ BPROC_NODE_UP, BPROC_NODE_ERROR, 1, 0 },
		{ BPROC_NODE_BOOT, BPROC_NODE_UP, 1, -EBUSY },
		{ BPROC_NODE_BOOT, BPROC_NODE_REBOOT, 1, 0 },
		{ BPROC_NODE_REBOOT, BPROC_NODE_UP, 1, -EBUSY },
		{ BPROC_NODE_HALT, BPROC_NODE_REBOOT, 1, -EBUSY },
		{ BPROC_NODE_UP, BPROC_NODE_PWROFF, 1, 0 },
		{ BPROC_NODE_DOWN, BPROC_NODE_UP, 0, -EHOSTDOWN },
		{ BPROC_NODE_DOWN, BPROC_NODE_REBOOT, 0, -EHOSTDOWN },
		{ BPROC_NODE_DOWN, BPROC_NODE_DOWN, 0, 0 },
		{ BPROC_NODE_UP, BPROC_NODE_DOWN, 1, 0 },
		{ BPROC_NODE_UP, BPROC_NODE_BOOT, 1, -EINVAL },
		{ BPROC_NODE_UP, 99, 1, -EINVAL },
	};

	setup(&e);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int node = cases[i].connected ? 0 : 1;
		int err;

		e.m.info[node].state = cases[i].cur;
		c = ctl(node, BPROC_CTL_STATE, cases[i].want);
		err = bpm_ctl_check(&e.m, node, &c);
		tap_ok(t, err == cases[i].err, "state %u -> %u (%s): %d, want %d",
		       cases[i].cur, cases[i].want,
		       cases[i].connected ? "connected" : "not connected",
		       err, cases[i].err);
	}
	e.m.info[0].state = BPROC_NODE_UP;
	c = ctl(1, BPROC_CTL_MODE, 0);
	c.mode = 0100;
	tap_ok(t, bpm_ctl_check(&e.m, 1, &c) == 0,
	       "a node that is down takes a mode");
	c = ctl(1, BPROC_CTL_CACHE_PURGE, 0);
	tap_ok(t, bpm_ctl_check(&e.m, 1, &c) == -EHOSTDOWN,
	       "a cache purge needs a connected node");
	c = ctl(0, 0, 0);
	tap_ok(t, bpm_ctl_check(&e.m, 0, &c) == -EINVAL, "nothing asked: EINVAL");
	c = ctl(0, BPROC_CTL_MODE, 0);
	c.mode = 01000;
	tap_ok(t, bpm_ctl_check(&e.m, 0, &c) == -EINVAL, "mode 01000: EINVAL");
}

static void test_apply(struct tap *t)
{
	struct bproc_node_ctl c;
	struct bp_msg msg;
	struct env e;

	setup(&e);
	c = ctl(0, BPROC_CTL_MODE | BPROC_CTL_UID | BPROC_CTL_GID, 0);
	c.mode = 0100;
	c.uid = 1000;
	c.gid = 100;
	send_ctl(&e, &c);
	tap_ok(t, e.m.info[0].mode == 0100 && e.m.info[0].uid == 1000 &&
	       e.m.info[0].gid == 100, "owner, group and mode in the table");
	tap_ok(t, node_recv(&e, &msg) == 0, "the node is told nothing of it");

	/* All or nothing: a refused state leaves the mode alone too. */
	c = ctl(1, BPROC_CTL_MODE | BPROC_CTL_STATE, BPROC_NODE_UP);
	c.mode = 0700;
	send_ctl(&e, &c);
	tap_ok(t, e.m.info[1].mode == 0, "a refused request changes nothing");

	c = ctl(0, BPROC_CTL_CACHE_PURGE, 0);
	send_ctl(&e, &c);
	tap_ok(t, node_recv(&e, &msg) == BP_MSG_REQUEST &&
	       msg.request.action == BP_ACTION_CACHE_PURGE &&
	       e.m.info[0].state == BPROC_NODE_UP,
	       "cache purge: REQUEST CACHE_PURGE, the node stays up");

	c = ctl(0, BPROC_CTL_STATE, BPROC_NODE_UNAVAILABLE);
	send_ctl(&e, &c);
	tap_ok(t, e.m.info[0].state == BPROC_NODE_UNAVAILABLE,
	       "unavailable in the table");
	c = ctl(0, BPROC_CTL_STATE, BPROC_NODE_ERROR);
	send_ctl(&e, &c);
	tap_ok(t, e.m.info[0].state == BPROC_NODE_ERROR &&
	       !strcmp(e.m.info[0].error, "set by an administrator"),
	       "error with its reason");
	c = ctl(0, BPROC_CTL_STATE, BPROC_NODE_UP);
	send_ctl(&e, &c);
	tap_ok(t, e.m.info[0].state == BPROC_NODE_UP && !e.m.info[0].error[0],
	       "up again, the reason cleared");

	c = ctl(0, BPROC_CTL_STATE, BPROC_NODE_REBOOT);
	send_ctl(&e, &c);
	tap_ok(t, e.m.info[0].state == BPROC_NODE_REBOOT &&
	       node_recv(&e, &msg) == BP_MSG_REQUEST &&
	       msg.request.action == BP_ACTION_REBOOT,
	       "reboot: state reboot, REQUEST REBOOT sent");
	c = ctl(0, BPROC_CTL_STATE, BPROC_NODE_UP);
	send_ctl(&e, &c);
	tap_ok(t, e.m.info[0].state == BPROC_NODE_REBOOT,
	       "a node carrying out a reboot takes no other state");

	e.m.info[0].state = BPROC_NODE_UP;
	c = ctl(0, BPROC_CTL_STATE, BPROC_NODE_DOWN);
	send_ctl(&e, &c);
	tap_ok(t, e.m.info[0].state == BPROC_NODE_DOWN && !e.m.node_conn[0],
	       "down: the node is disconnected");
	bp_loop_once(&e.m.loop, 0);
	tap_ok(t, node_recv(&e, &msg) == -1, "its connection is closed");
}

int main(void)
{
	struct tap t = { 0 };

	signal(SIGPIPE, SIG_IGN);
	test_check(&t);
	test_apply(&t);
	return tap_done(&t);
}
