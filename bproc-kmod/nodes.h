/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_NODES_H
#define _BPROC_NODES_H

#include <linux/types.h>
#include <linux/bproc.h>

struct file;
struct wait_queue_head;

/* Every node, where a node number is asked for (a master is gone, ...). */
#define BPROC_NODES_ALL		(-1)

int bproc_nodes_master_attach(const struct file *owner, u32 nodes);
void bproc_nodes_master_detach(const struct file *owner);
int bproc_nodes_set(const struct file *owner,
		    const struct bproc_node_info *info, bool *down);
int bproc_nodes_get(s32 node, struct bproc_node_info *info);
u32 bproc_nodes_count(void);
int bproc_nodes_may_rexec(s32 node);
int bproc_nodes_may_ctl(const struct bproc_node_ctl *c);
u64 bproc_nodes_generation(void);
struct wait_queue_head *bproc_nodes_waitq(void);
int bproc_nodes_init(void);
void bproc_nodes_uninit(void);

#endif /* _BPROC_NODES_H */
