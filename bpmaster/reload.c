// SPDX-License-Identifier: GPL-2.0
/*
 * SIGHUP: reread the configuration. The new file is parsed and validated,
 * a new port bound and a resized node table obtained before anything
 * changes; any failure keeps the running configuration. Nodes whose
 * address maps to another node number (or to none) under the new file
 * are disconnected; the others stay up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "bpmaster.h"

static int resize_table(struct bpm *m, uint32_t nodes)
{
	struct bproc_master_cfg mc = {
		.size = sizeof(mc),
		.nodes = nodes,
	};

	if (ioctl(m->bproc_fd, BPROC_IOC_MASTER, &mc) < 0)
		return -errno;
	return 0;
}

void bpm_reload(struct bpm *m)
{
	struct bproc_node_info *info = NULL;
	struct bpm_conn **node_conn = NULL;
	bool timing_changed;
	struct bp_cfg nc, old;
	struct bpm_conn *c, *next;
	int listen_fd = -1, old_fd = -1, ret;
	struct bp_keyring keys = { 0 };
	char err[512];

	ret = bp_cfg_load(&nc, m->cfg_path, err, sizeof(err));
	if (ret) {
		bpm_log(m, LOG_ERR, "reload: %s; keeping the running configuration",
			err);
		return;
	}
	if (!nc.auth_none) {
		if (bpm_auth_load(m, nc.keyfile, &keys, false)) {
			bpm_log(m, LOG_ERR,
				"reload: cannot read the cluster key; keeping the running configuration");
			goto fail;
		}
	}
	if (nc.port != m->cfg.port) {
		ret = bpm_listen(nc.port, &listen_fd);
		if (ret) {
			bpm_log(m, LOG_ERR,
				"reload: port %u: %s; keeping the running configuration",
				nc.port, strerror(-ret));
			goto fail;
		}
	}
	info = calloc(nc.node_count, sizeof(*info));
	node_conn = calloc(nc.node_count, sizeof(*node_conn));
	if (!info || !node_conn) {
		bpm_log(m, LOG_ERR, "reload: %s; keeping the running configuration",
			strerror(ENOMEM));
		goto fail;
	}
	if (listen_fd >= 0) {
		ret = bpm_listen_watch(m, listen_fd, &old_fd);
		if (ret) {
			bpm_log(m, LOG_ERR,
				"reload: epoll: %s; keeping the running configuration",
				strerror(-ret));
			goto fail;
		}
	}
	if (nc.node_count != m->cfg.node_count) {
		ret = resize_table(m, nc.node_count);
		if (ret) {
			bpm_log(m, LOG_ERR,
				"reload: /dev/bproc: BPROC_IOC_MASTER with %u nodes: %s; keeping the running configuration",
				nc.node_count, strerror(-ret));
			if (old_fd >= 0 && !bpm_listen_watch(m, old_fd, &listen_fd))
				old_fd = -1;
			goto fail;
		}
	}
	if (old_fd >= 0)
		close(old_fd);
	listen_fd = -1;		/* watched now */

	/* Committed: from here on the new configuration applies. */
	m->defer_push = true;
	for (c = m->conns; c; c = next) {
		int node = bp_cfg_node_of_addr(&nc, ntohl(c->peer.sin_addr.s_addr));

		next = c->next;
		if (node == c->node)
			continue;
		if (node < 0)
			bpm_conn_close(m, c, BP_REASON_CONFIG,
				       "configuration changed: address no longer in any iprange");
		else if (c->state != BPM_CONN_HELLO)
			bpm_conn_close(m, c, BP_REASON_CONFIG,
				       "configuration changed: address is now node %d",
				       node);
		else
			c->node = node;
	}
	/* Now "auth key": a node admitted by address alone must prove itself. */
	for (c = m->conns; c; c = next) {
		next = c->next;
		if (!nc.auth_none && !c->authed && c->state == BPM_CONN_ACTIVE)
			bpm_conn_close(m, c, BP_REASON_CONFIG,
				       "configuration changed: nodes must authenticate");
	}
	timing_changed = nc.ping_interval != m->cfg.ping_interval ||
			 nc.ping_timeout != m->cfg.ping_timeout;
	old = m->cfg;
	m->cfg = nc;
	m->keys = keys;
	memset(&keys, 0, sizeof(keys));
	for (uint32_t i = 0; i < nc.node_count; i++) {
		bpm_nodes_fill_down(m, &info[i], i);
		info[i].state_since = bp_now_real_ns();
	}
	for (c = m->conns; c; c = c->next) {
		if (c->state != BPM_CONN_ACTIVE)
			continue;
		info[c->node] = m->info[c->node];
		/* the owner and mode the new file gives; processes run on */
		bp_cfg_node_perm(&nc, (uint32_t)c->node, &info[c->node].mode,
				 &info[c->node].uid, &info[c->node].gid);
		node_conn[c->node] = c;
	}
	free(m->info);
	free(m->node_conn);
	m->info = info;
	m->node_conn = node_conn;
	bp_cfg_free(&old);
	m->defer_push = false;
	for (uint32_t i = 0; i < nc.node_count; i++)
		bpm_node_push(m, (int)i);
	if (timing_changed)
		bpm_session_timing_changed(m);
	if (!m->cfg.auth_none)
		bpm_auth_keys_changed(m);
	bpm_log(m, LOG_NOTICE, "reloaded %s: %u nodes, port %u, ping %u/%u s",
		m->cfg_path, m->cfg.node_count, m->cfg.port,
		m->cfg.ping_interval, m->cfg.ping_timeout);
	return;

fail:
	memset(&keys, 0, sizeof(keys));
	if (listen_fd >= 0)
		close(listen_fd);
	free(info);
	free(node_conn);
	bp_cfg_free(&nc);
}
