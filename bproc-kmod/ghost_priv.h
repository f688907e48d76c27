/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the ghost files (docs/ghosts.md): the record of a ghost and
 * what the files share. Which file holds what:
 *
 *   ghost.c        the record: the pid hash, states, signals the module
 *                  sends a ghost or its process, the signal hook
 *   ghost_rexec.c  BPROC_IOC_REXEC: the task turns into a ghost and runs
 *                  the ghost loop until its process ends
 *   ghost_msg.c    messages from the node about a process (REXEC_RESULT,
 *                  PSTATUS, STOP, CONT, EXIT) and node loss
 *   ghost_fork.c   forks on the node: FORK messages, forking child ghosts
 *   ghost_show.c   what a ghost shows as its program (REXEC image, EXEC)
 *   ghost_proc.c   the /proc and pid hooks of a ghost
 *
 * Locking:
 * - bproc_ghosts_lock (spinlock) protects the pid hash. A record is in
 *   the hash from the REXEC until the process is over (EXIT, node down,
 *   the ghost killed) or the REXEC fails; holding the lock keeps every
 *   hashed record and its task alive, since the task cannot exit before
 *   its record leaves the hash. Signals the module sends to a ghost
 *   itself (stop, continue, wake a stopped ghost at the end) are sent
 *   under it, which also makes local_from one sender at a time.
 * - bproc_ghost.lock (spinlock, interrupts off: the signal hook takes it
 *   under the target's siglock, possibly from interrupt context)
 *   protects state, error, status, the cached process status, forks and
 *   exec.
 * - Order: bproc_ghosts_lock, then a ghost's siglock, then its lock,
 *   then the message queue lock (msg.c).
 */
#ifndef _BPROC_GHOST_PRIV_H
#define _BPROC_GHOST_PRIV_H

#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/bproc.h>

#include "ghost.h"
#include "task.h"

enum bproc_ghost_state {
	BPROC_GHOST_WAIT,	/* REXEC queued; waiting for the node's result */
	BPROC_GHOST_FAILED,	/* the REXEC failed; the caller goes on */
	BPROC_GHOST_RUNNING,	/* the caller is the ghost of a running process */
	BPROC_GHOST_EXITED,	/* the process ended, or its node went down */
	BPROC_GHOST_DEAD,	/* the ghost left its loop and is exiting */
};

struct bproc_ghost {
	struct bproc_task bt;		/* first: what task_struct.bproc points at */
	struct hlist_node hash;		/* in bproc_ghosts */
	struct task_struct *task;	/* the ghost; valid while hashed */
	s32 node;
	s32 pid;			/* tgid, as the master sees it */
	u64 id;				/* the REXEC request id */
	wait_queue_head_t wait;		/* the task waits here */
	spinlock_t lock;		/* protects the fields below */
	enum bproc_ghost_state state;
	int error;			/* FAILED: positive errno */
	int status;			/* EXITED: raw wait status */
	bool turned;			/* the task is the ghost (bproc set) */
	bool stopped;			/* the node reported a stop... */
	int stop_sig;			/* ...by this signal */
	struct task_struct *local_from;	/* sending a signal to act locally */
	/* standard signals queued for bpmaster, not read yet; the last one */
	DECLARE_BITMAP(sigq, SIGRTMIN);
	int sigq_last;
	char *strings;			/* path, argv, envp until it turns */
	u32 strings_len;
	u32 argc;
	bool have_ps;			/* ps is set */
	struct bproc_msg_pstatus ps;	/* last PSTATUS from the node */
	struct list_head forks;		/* children's ghosts to fork */
	struct list_head fork_entry;	/* in the parent's forks */
	s32 claim;			/* pid for the ghost being forked */
	struct bproc_ghost_exec *exec;	/* a program to show, from EXEC */
	struct bproc_qmsg *kill;	/* SIGKILL for the process, sent once */
	unsigned long args_map;		/* the ghost's mapping of the last */
	unsigned long args_map_len;
};

/* What an EXEC says the process runs now (comm and cmdline). */
struct bproc_ghost_exec {
	char comm[TASK_COMM_LEN];
	u32 len;
	char args[];
};

extern spinlock_t bproc_ghosts_lock;

/* ghost.c */
struct bproc_ghost *bproc_ghost_new(s32 node, s32 pid,
				    enum bproc_ghost_state state);
void bproc_ghost_discard(struct bproc_ghost *g);
struct bproc_ghost *bproc_ghost_find(s32 pid);
int bproc_ghost_hash(struct bproc_ghost *g);
void bproc_ghost_hash_locked(struct bproc_ghost *g);
void bproc_ghost_unhash(struct bproc_ghost *g);
enum bproc_ghost_state bproc_ghost_state(struct bproc_ghost *g);
void bproc_ghost_kill_pid(s32 node, s32 pid);
void bproc_ghost_kill_remote(struct bproc_ghost *g);
void bproc_ghost_local(struct bproc_ghost *g, int sig);
int bproc_ghost_end(struct bproc_ghost *g, int status);
void bproc_ghost_set_exit(struct bproc_ghost *g, int status);
void bproc_ghost_catch_up(struct bproc_ghost *g);
void bproc_ghost_orphan(struct bproc_ghost *c);

/* ghost_show.c */
unsigned long bproc_ghost_show(const char *comm, const char *strs,
			       size_t args_len, size_t len, bool whole);
void bproc_ghost_image(struct bproc_ghost *g);
void bproc_ghost_do_exec(struct bproc_ghost *g);

/* ghost_fork.c: @entry runs in each forked child ghost */
void bproc_ghost_do_forks(struct bproc_ghost *g, int (*entry)(void *arg));

#endif /* _BPROC_GHOST_PRIV_H */
