// SPDX-License-Identifier: GPL-2.0
/*
 * Forks on a node (docs/ghosts.md, "Fork and threads on a node"): a
 * process started for the master forks there with a pid the master
 * leased to the node (lease.c). FORK hashes the child's record at once,
 * so the child's own messages find it, and queues it on its parent's
 * ghost, which forks the child's ghost with the same pid in its loop
 * (bproc_ghost_do_forks(), from ghost_rexec.c). EXEC records the program
 * the process runs now, for the ghost to show (ghost_show.c).
 */

#include <linux/bproc_hooks.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "ghost_priv.h"
#include "lease.h"

/*
 * Fork the ghost of child @c with its pid, which the node leased from
 * us: the alloc_pid_nr hook hands @g->claim to this fork. A ghost's
 * children are reaped by the kernel (SA_NOCLDWAIT: nobody on the master
 * waits for them; the node's parent does). When the fork fails, the
 * child on the node, which has no ghost then, is killed.
 */
static void bproc_ghost_fork_one(struct bproc_ghost *g, struct bproc_ghost *c,
				 int (*entry)(void *arg))
{
	struct ksignal ksig;
	pid_t pid;

	spin_lock_irq(&current->sighand->siglock);
	current->sighand->action[SIGCHLD - 1].sa.sa_flags |= SA_NOCLDWAIT;
	spin_unlock_irq(&current->sighand->siglock);

	g->claim = c->pid;
	/* A stop or task work makes fork() restart: take it, then retry. */
	while ((pid = bproc_clone(entry, c)) == -ERESTARTNOINTR &&
	       !fatal_signal_pending(current))
		bproc_get_signal(&ksig);
	g->claim = 0;
	if (pid >= 0)
		return;

	pr_warn_ratelimited("pid %d on node %d: cannot fork the ghost of its child %d (%d): killing it\n",
			    g->pid, g->node, c->pid, pid);
	bproc_ghost_orphan(c);
}

/*
 * Fork the ghosts of every child the node reported for @g's process;
 * each starts in @entry with its record.
 */
void bproc_ghost_do_forks(struct bproc_ghost *g, int (*entry)(void *arg))
{
	struct bproc_ghost *c;

	for (;;) {
		spin_lock_irq(&g->lock);
		c = list_first_entry_or_null(&g->forks, struct bproc_ghost,
					     fork_entry);
		if (c)
			list_del_init(&c->fork_entry);
		spin_unlock_irq(&g->lock);
		if (!c)
			return;
		bproc_ghost_fork_one(g, c, entry);
	}
}

/*
 * FORK: process @fk->ppid on @hdr->node forked child @hdr->pid with a
 * number leased to that node. The child's record is hashed at once, so
 * the child's own messages find it; the parent's ghost forks the ghost.
 */
int bproc_ghost_fork_msg(const struct bproc_msg_hdr *hdr,
			 const void *payload)
{
	const struct bproc_msg_fork *fk = payload;
	struct bproc_ghost *c, *p;
	int err = 0;

	if (fk->ppid <= 0 || fk->ppid == hdr->pid)
		return -EINVAL;
	c = bproc_ghost_new(hdr->node, hdr->pid, BPROC_GHOST_RUNNING);
	if (!c)
		return -ENOMEM;
	spin_lock(&bproc_ghosts_lock);
	if (bproc_ghost_find(hdr->pid) ||
	    bproc_lease_claim(hdr->node, hdr->pid)) {
		err = -EINVAL;
		goto out;
	}
	/* Its parent's ghost ended meanwhile: the node kills the child. */
	p = bproc_ghost_find(fk->ppid);
	err = -ESRCH;
	if (p && p->node == hdr->node) {
		spin_lock_irq(&p->lock);
		if (p->state == BPROC_GHOST_RUNNING) {
			bproc_ghost_hash_locked(c);
			list_add_tail(&c->fork_entry, &p->forks);
			c = NULL;
			err = 0;
		}
		spin_unlock_irq(&p->lock);
	}
	if (err)
		bproc_lease_unclaim(hdr->pid);
	else
		wake_up(&p->wait);
out:
	spin_unlock(&bproc_ghosts_lock);
	if (c)
		bproc_ghost_discard(c);	/* with its preallocated kill */
	if (err == -ESRCH)
		bproc_ghost_kill_pid(hdr->node, hdr->pid);
	return err;
}

/*
 * An EXEC payload: comm NUL-terminated and padded, @len bytes of args
 * holding exactly @argc NUL-terminated strings, the rest zero.
 */
static bool bproc_ghost_exec_ok(const struct bproc_msg_exec *x)
{
	const char *nul = memchr(x->comm, '\0', sizeof(x->comm));
	u32 i, nuls = 0;

	if (!nul || memchr_inv(nul, 0, x->comm + sizeof(x->comm) - nul) ||
	    x->len > BPROC_EXEC_ARGS_MAX || x->argc > x->len ||
	    (x->len && x->args[x->len - 1]) ||
	    memchr_inv(x->args + x->len, 0, BPROC_EXEC_ARGS_MAX - x->len))
		return false;
	for (i = 0; i < x->len; i++)
		nuls += !x->args[i];
	return nuls == x->argc;
}

/*
 * EXEC: the process runs another program. The ghost takes it in its loop
 * (its own mm); a newer EXEC replaces one it has not taken yet.
 */
int bproc_ghost_exec_msg(const struct bproc_msg_hdr *hdr,
			 const void *payload)
{
	const struct bproc_msg_exec *x = payload;
	struct bproc_ghost_exec *e, *old = NULL;
	struct bproc_ghost *g;
	int err = 0;

	BUILD_BUG_ON(sizeof(x->comm) != TASK_COMM_LEN);
	if (!bproc_ghost_exec_ok(x))
		return -EINVAL;
	e = kmalloc(struct_size(e, args, x->len), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	memcpy(e->comm, x->comm, sizeof(e->comm));
	e->len = x->len;
	memcpy(e->args, x->args, x->len);

	spin_lock(&bproc_ghosts_lock);
	g = bproc_ghost_find(hdr->pid);
	if (!g || g->node != hdr->node) {
		err = -ESRCH;
	} else {
		spin_lock_irq(&g->lock);
		if (g->state == BPROC_GHOST_RUNNING) {
			old = g->exec;
			g->exec = e;
			e = NULL;
		} else {
			err = -EINVAL;	/* before the process started */
		}
		spin_unlock_irq(&g->lock);
		if (!err)
			wake_up(&g->wait);
	}
	spin_unlock(&bproc_ghosts_lock);
	kfree(old);
	kfree(e);
	return err;
}
