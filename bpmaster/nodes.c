// SPDX-License-Identifier: GPL-2.0
/*
 * The module's node table as bpmaster keeps it: m->info holds what was
 * last written for every node, and every change goes to the module whole
 * with BPROC_IOC_NODE_SET (bpmaster is the only writer).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bpmaster.h"

/* A down entry for @node: its configured address and hardware address. */
void bpm_nodes_fill_down(const struct bpm *m, struct bproc_node_info *ni,
			 uint32_t node)
{
	const struct bp_cfg_node *cn = bp_cfg_node_find(&m->cfg, node);
	uint32_t addr;

	memset(ni, 0, sizeof(*ni));
	ni->size = sizeof(*ni);
	ni->node = (int32_t)node;
	ni->state = BPROC_NODE_DOWN;
	bp_cfg_node_perm(&m->cfg, node, &ni->mode, &ni->uid, &ni->gid);
	if (!bp_cfg_addr_of_node(&m->cfg, node, &addr)) {
		uint32_t be = htonl(addr);

		ni->addr_family = AF_INET;
		memcpy(ni->addr, &be, 4);
	}
	if (cn) {
		ni->hwaddr_len = 6;
		memcpy(ni->hwaddr, cn->hwaddr, 6);
	}
}

int bpm_node_push(struct bpm *m, int node)
{
	struct bproc_node_info *ni = &m->info[node];

	ni->size = sizeof(*ni);
	if (ni->mem_free > ni->mem_total)
		ni->mem_free = ni->mem_total;
	if (m->defer_push)
		return 0;
	if (ioctl(m->bproc_fd, BPROC_IOC_NODE_SET, ni) < 0) {
		int err = errno;

		bpm_log(m, LOG_ERR, "node %d: /dev/bproc: BPROC_IOC_NODE_SET: %s",
			node, strerror(err));
		return -err;
	}
	return 0;
}

int bpm_node_set_state(struct bpm *m, int node, enum bproc_node_state state)
{
	m->info[node].state = state;
	m->info[node].state_since = bp_now_real_ns();
	return bpm_node_push(m, node);
}

/* Allocate the tables for cfg.node_count nodes and mark every node down. */
int bpm_nodes_init(struct bpm *m)
{
	uint32_t n = m->cfg.node_count;
	int ret = 0;

	m->info = calloc(n, sizeof(*m->info));
	m->node_conn = calloc(n, sizeof(*m->node_conn));
	if (!m->info || !m->node_conn)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		bpm_nodes_fill_down(m, &m->info[i], i);
		m->info[i].state_since = bp_now_real_ns();
		if (!ret)
			ret = bpm_node_push(m, (int)i);
	}
	return ret;
}
