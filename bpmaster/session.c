// SPDX-License-Identifier: GPL-2.0
/*
 * The node session on a connection (conn.c): HELLO makes it the node's,
 * WELCOME tells the node its number and timing, then STATUS updates the
 * node table, PINGs every interval keep it alive (conn.c's silence
 * timeout ends it), and BYE or any close takes the node down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpmaster.h"

static uint64_t ping_interval_ns(const struct bpm *m)
{
	return m->cfg.ping_interval * BP_NS_PER_S;
}

int bpm_send_welcome(struct bpm *m, struct bpm_conn *c)
{
	struct bp_msg w = { .type = BP_MSG_WELCOME };

	w.welcome.node = c->node;
	w.welcome.ping_interval = m->cfg.ping_interval * 1000;
	w.welcome.ping_timeout = m->cfg.ping_timeout * 1000;
	w.welcome.master_time = bp_now_real_ns();
	return bpm_conn_send(m, c, &w);
}

/* An ACTIVE connection is closed (m->node_lost): the node is down. */
void bpm_session_lost(struct bpm *m, struct bpm_conn *c, const char *why)
{
	struct bproc_node_info *ni;

	bpm_nodeup_abort(m, c);
	if (m->node_conn[c->node] != c) {
		bpm_log(m, LOG_INFO, "connection from %s closed: %s",
			c->peer_str, why);
		return;
	}
	ni = &m->info[c->node];
	m->node_conn[c->node] = NULL;
	ni->load[0] = ni->load[1] = ni->load[2] = 0;
	ni->mem_free = 0;
	ni->nprocs = 0;
	ni->cache_used = ni->cache_size = 0;
	bpm_node_set_state(m, c->node, BPROC_NODE_DOWN);
	bpm_log(m, LOG_NOTICE, "node %d down (%s)", c->node, why);
}

/*
 * The end of the node_up step (nodeup.c), which runs while the node is in
 * state boot: up, or error with the reason.
 */
void bpm_node_up_done(struct bpm *m, struct bpm_conn *c, int err,
		      const char *why)
{
	struct bproc_node_info *ni = &m->info[c->node];
	char addr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &c->peer.sin_addr, addr, sizeof(addr));
	if (err) {
		bpm_copy_text(ni->error, sizeof(ni->error), why);
		bpm_node_set_state(m, c->node, BPROC_NODE_ERROR);
		bpm_log(m, LOG_ERR, "node %d error (%s)", c->node, why);
		return;
	}
	bpm_node_set_state(m, c->node, BPROC_NODE_UP);
	bpm_log(m, LOG_NOTICE, "node %d up (%s)", c->node, addr);
}

static void node_up_start(struct bpm *m, struct bpm_conn *c)
{
	int ret = bpm_nodeup_start(m, c);

	if (ret < 0)
		bpm_node_up_done(m, c, ret, "node_up: out of memory");
	else if (ret == 0)
		bpm_node_up_done(m, c, 0, NULL);
}

static void ping_due(struct bp_loop *l, struct bp_timer *t)
{
	struct bpm_conn *c = bp_container_of(t, struct bpm_conn, ping);
	struct bp_msg ping = { .type = BP_MSG_PING };

	ping.id = ++c->ping_id;
	ping.ping.time = bp_now_real_ns();
	if (bpm_conn_send(c->m, c, &ping))
		bpm_conn_close(c->m, c, BP_REASON_NONE,
			       "cannot send to the node");
}

static int ping_start(struct bpm *m, struct bpm_conn *c)
{
	return bp_timer_start(&m->loop, &c->ping, ping_interval_ns(m),
			      ping_interval_ns(m));
}

/* The ping settings changed (reload): restart pings and deadlines. */
void bpm_session_timing_changed(struct bpm *m)
{
	struct bpm_conn *c, *next;

	for (c = m->conns; c; c = next) {
		next = c->next;
		bpm_conn_silence_restart(m, c);
		if (c->state != BPM_CONN_ACTIVE)
			continue;
		if (ping_start(m, c) || bpm_send_welcome(m, c))
			bpm_conn_close(m, c, BP_REASON_NONE,
				       "cannot send to the node");
	}
}

/*
 * A node proved who it is (auth.c), or the master takes nodes by address
 * (auth none): the connection becomes the node's, replacing an older one.
 */
void bpm_session_activate(struct bpm *m, struct bpm_conn *c)
{
	const struct bp_msg_hello *h = &c->hello;
	const struct bp_cfg_node *cn = bp_cfg_node_find(&m->cfg, (uint32_t)c->node);
	struct bpm_conn *old = m->node_conn[c->node];
	struct bproc_node_info *ni = &m->info[c->node];

	if (old)
		bpm_conn_close(m, old, BP_REASON_REPLACED,
			       "replaced by a new %sconnection from %s",
			       c->authed ? "authenticated " : "", c->peer_str);
	if (cn && h->hwaddr_len == 6 && memcmp(cn->hwaddr, h->hwaddr, 6))
		bpm_log(m, LOG_WARNING,
			"node %d: hardware address %02x:%02x:%02x:%02x:%02x:%02x differs from the config's (line %u)",
			c->node, h->hwaddr[0], h->hwaddr[1], h->hwaddr[2],
			h->hwaddr[3], h->hwaddr[4], h->hwaddr[5], cn->line);

	c->state = BPM_CONN_ACTIVE;
	m->node_conn[c->node] = c;
	bp_timer_init(&c->ping, ping_due);
	if (ping_start(m, c)) {
		bpm_conn_close(m, c, BP_REASON_NONE, "%s", strerror(ENOMEM));
		return;
	}

	bpm_nodes_fill_down(m, ni, (uint32_t)c->node);
	ni->cpus = h->cpus;
	ni->mem_total = h->mem_total;
	ni->mem_free = h->mem_total;
	ni->node_boottime = h->boot_time;
	bp_cfg_node_perm(&m->cfg, (uint32_t)c->node, &ni->mode, &ni->uid,
			 &ni->gid);
	if (h->hwaddr_len) {
		ni->hwaddr_len = h->hwaddr_len;
		memset(ni->hwaddr, 0, sizeof(ni->hwaddr));
		memcpy(ni->hwaddr, h->hwaddr, h->hwaddr_len);
	}
	bpm_copy_text(ni->kernel, sizeof(ni->kernel), h->kernel);
	bpm_copy_text(ni->modver, sizeof(ni->modver), h->modver);
	bpm_node_set_state(m, c->node, BPROC_NODE_BOOT);
	bpm_debug(m, "node %d boot (%s): kernel %s, bproc %s, %u cpus, %llu MiB%s",
		  c->node, c->peer_str, h->kernel, h->modver, h->cpus,
		  (unsigned long long)(h->mem_total >> 20),
		  c->authed ? ", authenticated" : "");

	if (bpm_send_welcome(m, c)) {
		bpm_conn_close(m, c, BP_REASON_NONE, "cannot send WELCOME");
		return;
	}
	node_up_start(m, c);
}

static void handle_hello(struct bpm *m, struct bpm_conn *c,
			 const struct bp_msg *msg)
{
	c->hello = msg->hello;
	if (bpm_auth_hello(m, c))
		bpm_session_activate(m, c);
}

static void handle_status(struct bpm *m, struct bpm_conn *c,
			  const struct bp_msg *msg)
{
	struct bproc_node_info *ni = &m->info[c->node];

	memcpy(ni->load, msg->status.load, sizeof(ni->load));
	ni->mem_free = msg->status.mem_free;
	ni->nprocs = msg->status.bprocs;
	ni->cache_used = msg->status.cache_used;
	ni->cache_size = msg->status.cache_size;
	bpm_node_push(m, c->node);
}

static void handle_ping(struct bpm *m, struct bpm_conn *c,
			const struct bp_msg *msg)
{
	struct bp_msg pong = { .type = BP_MSG_PONG, .id = msg->id };

	pong.ping.time = msg->ping.time;
	if (bpm_conn_send(m, c, &pong))
		bpm_conn_close(m, c, BP_REASON_NONE, "cannot send to the node");
}

static void handle_pong(struct bpm *m, struct bpm_conn *c,
			const struct bp_msg *msg)
{
	if (msg->id == c->ping_id)
		bpm_debug(m, "node %d: ping round trip %llu us", c->node,
			  (unsigned long long)(bp_now_real_ns() - msg->ping.time) / 1000);
}

static void handle_bye(struct bpm *m, struct bpm_conn *c,
		       const struct bp_msg *msg)
{
	if (c->state != BPM_CONN_ACTIVE) {
		bpm_conn_close(m, c, BP_REASON_NONE, "BYE before it was admitted");
		return;
	}
	bpm_conn_close(m, c, BP_REASON_NONE, "bye from the node: %s",
		       msg->reason.text[0] ? msg->reason.text :
		       bp_reason_name(msg->reason.code));
}

const struct bpm_handler bpm_session_handlers[] = {
	{ BP_MSG_HELLO,  BPM_IN(BPM_CONN_HELLO),  handle_hello },
	{ BP_MSG_STATUS, BPM_IN(BPM_CONN_ACTIVE), handle_status },
	{ BP_MSG_PING,   BPM_IN(BPM_CONN_ACTIVE), handle_ping },
	{ BP_MSG_PONG,   BPM_IN(BPM_CONN_ACTIVE), handle_pong },
	{ BP_MSG_BYE,    BPM_IN(BPM_CONN_HELLO) | BPM_IN(BPM_CONN_AUTH) |
			 BPM_IN(BPM_CONN_ACTIVE), handle_bye },
	{ 0 }
};
