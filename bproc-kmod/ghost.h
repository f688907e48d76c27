/* SPDX-License-Identifier: GPL-2.0 */
/* Ghosts on the master (docs/ghosts.md): what the rest of the module uses. */
#ifndef _BPROC_GHOST_H
#define _BPROC_GHOST_H

#include <linux/types.h>
#include <linux/bproc.h>

struct bproc_ghost;
struct bproc_proc_stat;
struct kernel_siginfo;
struct pid_namespace;
struct seq_file;

/* ghost_rexec.c */
long bproc_ghost_rexec(const struct bproc_rexec *req);

/* ghost.c */
void bproc_ghost_node_down(s32 node, int error);
int bproc_ghost_signal(struct bproc_ghost *g, int sig,
		       struct kernel_siginfo *info);
void bproc_ghost_free(struct bproc_ghost *g);
void bproc_ghost_task_exit(struct bproc_ghost *g);
int bproc_ghost_ptrace_access(struct bproc_ghost *g, unsigned int mode);

/* ghost_msg.c, ghost_fork.c: messages from a node (msg_in.c) */
int bproc_ghost_result_msg(const struct bproc_msg_hdr *hdr, const void *payload);
int bproc_ghost_pstatus_msg(const struct bproc_msg_hdr *hdr, const void *payload);
int bproc_ghost_stop_msg(const struct bproc_msg_hdr *hdr, const void *payload);
int bproc_ghost_cont_msg(const struct bproc_msg_hdr *hdr, const void *payload);
int bproc_ghost_exit_msg(const struct bproc_msg_hdr *hdr, const void *payload);
int bproc_ghost_fork_msg(const struct bproc_msg_hdr *hdr, const void *payload);
int bproc_ghost_exec_msg(const struct bproc_msg_hdr *hdr, const void *payload);

/* ghost_proc.c: hooks */
void bproc_ghost_proc_status(struct bproc_ghost *g, struct seq_file *m);
void bproc_ghost_proc_stat(struct bproc_ghost *g, struct bproc_proc_stat *st);
bool bproc_ghost_proc_status_mem(struct bproc_ghost *g, struct seq_file *m);
int bproc_ghost_alloc_pid_nr(struct bproc_ghost *g, struct pid_namespace *ns);

#endif /* _BPROC_GHOST_H */
