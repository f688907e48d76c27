/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_GHOST_H
#define _BPROC_GHOST_H

#include <linux/types.h>
#include <linux/bproc.h>

struct bproc_ghost;
struct bproc_proc_stat;
struct kernel_siginfo;
struct pid_namespace;
struct seq_file;

long bproc_ghost_rexec(const struct bproc_rexec *req);
int bproc_ghost_msg(const struct bproc_msg_hdr *hdr, const void *payload);
void bproc_ghost_node_down(s32 node, int error);

bool bproc_ghost_signal(struct bproc_ghost *g, int sig,
			struct kernel_siginfo *info);
void bproc_ghost_free(struct bproc_ghost *g);
void bproc_ghost_proc_status(struct bproc_ghost *g, struct seq_file *m);
void bproc_ghost_proc_stat(struct bproc_ghost *g, struct bproc_proc_stat *st);
bool bproc_ghost_proc_status_mem(struct bproc_ghost *g, struct seq_file *m);
int bproc_ghost_alloc_pid_nr(struct bproc_ghost *g, struct pid_namespace *ns);

/* All nodes, for bproc_ghost_node_down(). */
#define BPROC_GHOST_ALL_NODES	(-1)

#endif /* _BPROC_GHOST_H */
