// SPDX-License-Identifier: GPL-2.0
/*
 * A node is lost: its state left the ones processes run in (nodes.c
 * says so), a new master's table has every node down, or the master
 * daemon is gone. Everything the master holds for the node ends, in
 * this order: what is queued for the node is dropped and its session
 * generation moves on (a message made for the old session is never
 * delivered), the ghosts of its processes exit as killed by SIGKILL
 * (REXECs still waiting fail with @error), then the pid numbers leased
 * to it are taken back. The table (nodes.c) knows nothing of what runs
 * on a node; dev.c, which changes the table, calls this after it.
 */

#include "down.h"
#include "ghost.h"
#include "lease.h"
#include "msg.h"

/**
 * bproc_down - end what runs on @node
 * @node: node number, or BPROC_NODES_ALL
 * @error: positive errno for REXECs still waiting for that node
 */
void bproc_down(s32 node, int error)
{
	bproc_msg_drop_node(node);
	bproc_ghost_node_down(node, error);
	bproc_lease_node_down(node);
}
