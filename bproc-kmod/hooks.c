// SPDX-License-Identifier: GPL-2.0
/*
 * The module's side of the kernel hooks (include/linux/bproc_hooks.h):
 * each hook is called only for a task whose task_struct.bproc is set,
 * i.e. one of our records (task.h), and dispatches on its kind.
 *
 * Hooks run under rcu_read_lock() and must not sleep. The signal hook
 * runs with the target's siglock held and interrupts off.
 */

#include <linux/bproc_hooks.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "ghost.h"
#include "hooks.h"
#include "lease.h"
#include "masq.h"
#include "slave.h"
#include "task.h"

/*
 * t->bproc is published with smp_store_release() once the record is
 * complete (bproc_task_publish()); hooks on other CPUs read it with
 * acquire, so they never see a record before its fields.
 */
static struct bproc_ghost *bproc_hooks_ghost(struct task_struct *t)
{
	struct bproc_task *bt = smp_load_acquire(&t->bproc); /* pairs with bproc_task_publish() */

	if (bt->kind != BPROC_TASK_GHOST)
		return NULL;
	return (struct bproc_ghost *)bt;
}

static struct bproc_masq_rec *bproc_hooks_masq(struct task_struct *t)
{
	struct bproc_task *bt = smp_load_acquire(&t->bproc); /* pairs with bproc_task_publish() */

	if (bt->kind != BPROC_TASK_MASQ)
		return NULL;
	return (struct bproc_masq_rec *)bt;
}

static void bproc_hook_task_free(struct task_struct *t)
{
	struct bproc_ghost *g = bproc_hooks_ghost(t);
	struct bproc_masq_rec *mq = bproc_hooks_masq(t);

	t->bproc = NULL;
	if (g)
		bproc_ghost_free(g);
	else if (mq)
		bproc_masq_free(mq);
}

static int bproc_hook_signal(struct task_struct *t, int sig,
			     struct kernel_siginfo *info, enum pid_type type)
{
	struct bproc_ghost *g = bproc_hooks_ghost(t);

	return g ? bproc_ghost_signal(g, sig, info) : 0;
}

static bool bproc_hook_getppid(struct task_struct *t, pid_t *ppid)
{
	struct bproc_masq_rec *mq = bproc_hooks_masq(t);

	return mq && bproc_masq_getppid(mq, ppid);
}

static void bproc_hook_proc_status(struct seq_file *m, struct task_struct *t)
{
	struct bproc_ghost *g = bproc_hooks_ghost(t);

	if (g)
		bproc_ghost_proc_status(g, m);
}

static void bproc_hook_proc_stat(struct task_struct *t,
				 struct bproc_proc_stat *st)
{
	struct bproc_ghost *g = bproc_hooks_ghost(t);

	if (g)
		bproc_ghost_proc_stat(g, st);
}

static bool bproc_hook_proc_status_mem(struct seq_file *m,
				       struct task_struct *t)
{
	struct bproc_ghost *g = bproc_hooks_ghost(t);

	return g && bproc_ghost_proc_status_mem(g, m);
}

/*
 * The pid hooks run for every task. current is a ghost forking the
 * ghost of a child on the master (ghost.c); any task in a masquerade
 * namespace on a node (slave.c).
 */
static int bproc_hook_alloc_pid_nr(struct pid_namespace *ns)
{
	struct bproc_task *bt = current->bproc;

	if (bt && bt->kind == BPROC_TASK_GHOST)
		return bproc_ghost_alloc_pid_nr((struct bproc_ghost *)bt, ns);
	return bproc_slave_alloc_pid_nr(ns);
}

static bool bproc_hook_pid_free_nr(struct pid_namespace *ns, int nr,
				   bool used)
{
	return bproc_lease_keep(ns, nr) || bproc_slave_pid_free(ns, nr, used);
}

static void bproc_hook_task_fork(struct task_struct *p)
{
	struct bproc_masq_rec *mq;

	if (thread_group_leader(p)) {
		bproc_slave_task_fork(p);
		return;
	}
	/* A thread of a masqueraded process is masqueraded too. */
	if (p->group_leader->bproc) {
		mq = bproc_hooks_masq(p->group_leader);
		if (mq)
			bproc_masq_thread(mq, p);
	}
}

/*
 * Every task's exit: a ghost's record dies with it, whatever the way out
 * (ghost.c); on a node, child processes are reported (slave.c).
 */
static void bproc_hook_task_exit(struct task_struct *t, bool group_dead)
{
	struct bproc_ghost *g = t->bproc ? bproc_hooks_ghost(t) : NULL;

	if (g)
		bproc_ghost_task_exit(g);
	else
		bproc_slave_task_exit(t, group_dead);
}

/* Debuggers: a ghost is not the process it stands for (ghost.c). */
static int bproc_hook_ptrace_access(struct task_struct *t, unsigned int mode)
{
	struct bproc_ghost *g = bproc_hooks_ghost(t);

	return g ? bproc_ghost_ptrace_access(g, mode) : 0;
}

static const struct bproc_hooks bproc_hooks_ops = {
	.task_free	= bproc_hook_task_free,
	.signal		= bproc_hook_signal,
	.getppid	= bproc_hook_getppid,
	.proc_status	= bproc_hook_proc_status,
	.proc_stat	= bproc_hook_proc_stat,
	.proc_status_mem = bproc_hook_proc_status_mem,
	.alloc_pid_nr	= bproc_hook_alloc_pid_nr,
	.pid_free_nr	= bproc_hook_pid_free_nr,
	.task_fork	= bproc_hook_task_fork,
	.task_exit	= bproc_hook_task_exit,
	.ptrace_access	= bproc_hook_ptrace_access,
};

/* Return: 0, or -EBUSY when another module holds the hooks. */
int bproc_hooks_init(void)
{
	return bproc_hooks_register(&bproc_hooks_ops);
}

/* Waits until no hook runs; every record is gone (each holds the module). */
void bproc_hooks_uninit(void)
{
	bproc_hooks_unregister(&bproc_hooks_ops);
}
