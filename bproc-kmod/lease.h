/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_LEASE_H
#define _BPROC_LEASE_H

#include <linux/types.h>
#include <linux/bproc.h>

#include "nodes.h"

struct pid_namespace;

/* Most numbers the master holds for one node (leased and in use). */
#define BPROC_LEASE_NODE_MAX	2048

int bproc_lease_grant(s32 node, u32 want);
void bproc_lease_free(s32 node, const s32 *pids, u32 count);
int bproc_lease_claim(s32 node, s32 nr);
void bproc_lease_unclaim(s32 nr);
void bproc_lease_node_down(s32 node);
bool bproc_lease_keep(struct pid_namespace *ns, int nr);

#endif /* _BPROC_LEASE_H */
