// SPDX-License-Identifier: GPL-2.0
/*
 * Masquerading on a node (docs/ghosts.md, step 3): bpslave starts each
 * process for the master with the ghost's pid and registers it with
 * BPROC_IOC_MASQ on its instance file. From then on getppid() in that
 * process returns the ghost's parent as the master sees it, and the
 * instance may deliver forwarded signals to it with BPROC_IOC_SIGNAL,
 * siginfo included.
 *
 * The record hangs off task_struct.bproc until free_task() (task_free
 * hook) and holds a reference on the module. It is set once, with
 * cmpxchg(), and never changed, so readers need no lock while they hold
 * a reference on the task. Threads the process creates share it (the
 * task_fork hook), so getppid() is the same in every thread; the last
 * task to go frees it.
 */

#include <linux/atomic.h>
#include <linux/bproc_hooks.h>
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/refcount.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "masq.h"
#include "slave.h"
#include "task.h"

struct bproc_masq_rec {
	struct bproc_task bt;	/* first: what task_struct.bproc points at */
	refcount_t ref;		/* one per task that points at it */
	pid_t ppid;		/* the master's parent pid */
	u64 instance;		/* bproc_slave.id of the registering instance */
};

/* The task of @pid in the caller's pid namespace, with a reference. */
static struct task_struct *bproc_masq_task(pid_t pid)
{
	struct task_struct *t;
	struct pid *p;

	if (pid <= 0)
		return NULL;
	p = find_get_pid(pid);
	if (!p)
		return NULL;
	t = get_pid_task(p, PIDTYPE_PID);
	put_pid(p);
	return t;
}

/**
 * bproc_masq_register - BPROC_IOC_MASQ on a node-side instance
 * @slave: the caller's instance
 * @req: pid of one of the caller's children, and the master's ppid
 *
 * Return: 0; -EINVAL (pid, ppid or padding); -ESRCH (no such process);
 * -EPERM (not the caller's child); -EBUSY (already registered); -ENOMEM.
 */
int bproc_masq_register(struct bproc_slave *slave,
			const struct bproc_masq *req)
{
	struct bproc_masq_rec *mq;
	struct task_struct *t;
	bool child;
	int err = 0;

	if (req->pid <= 0 || req->ppid < 0 || req->__pad)
		return -EINVAL;
	t = bproc_masq_task(req->pid);
	if (!t)
		return -ESRCH;
	rcu_read_lock();
	child = same_thread_group(rcu_dereference(t->real_parent), current);
	rcu_read_unlock();
	if (!child || !thread_group_leader(t)) {
		err = -EPERM;
		goto out;
	}
	mq = kzalloc(sizeof(*mq), GFP_KERNEL);
	if (!mq) {
		err = -ENOMEM;
		goto out;
	}
	mq->bt.kind = BPROC_TASK_MASQ;
	refcount_set(&mq->ref, 1);
	mq->ppid = req->ppid;
	mq->instance = slave->id;
	__module_get(THIS_MODULE);	/* dropped by bproc_masq_free() */
	if (cmpxchg(&t->bproc, NULL, &mq->bt)) {
		kfree(mq);
		module_put(THIS_MODULE);
		err = -EBUSY;
	}
out:
	put_task_struct(t);
	return err;
}

/**
 * bproc_masq_signal - BPROC_IOC_SIGNAL on a node-side instance
 * @slave: the caller's instance
 * @req: pid of a process it registered (or of a process in its
 * masquerade namespace), signal and the sender's siginfo
 *
 * Return: 0; -EINVAL (signal number, padding, si_signo other than
 * signo); -ESRCH (no process of this instance, or it is exiting).
 * The siginfo is queued exactly as the master's sender made it, si_pid
 * included (patch 0009): bpslave's namespace is an ancestor of the
 * process's, where send_sig_info() would clear si_pid.
 */
int bproc_masq_signal(struct bproc_slave *slave,
		      const struct bproc_signal *req)
{
	struct kernel_siginfo ksi;
	struct bproc_masq_rec *mq;
	struct bproc_task *bt;
	struct task_struct *t;
	int err;

	if (req->signo <= 0 || req->signo > _NSIG || req->__pad)
		return -EINVAL;
	memcpy(&ksi, req->siginfo, sizeof(ksi));
	if (ksi.si_signo != req->signo)
		return -EINVAL;
	t = bproc_masq_task(req->pid);
	if (!t)
		return -ESRCH;
	bt = smp_load_acquire(&t->bproc); /* pairs with bproc_task_publish() */
	mq = (struct bproc_masq_rec *)bt;
	if (bt && bt->kind == BPROC_TASK_MASQ && mq->instance == slave->id)
		err = bproc_send_sig_info(req->signo, &ksi, t);
	else if (!bt && bproc_slave_in_ns(slave, t))
		/* A child process a masqueraded one forked there. */
		err = bproc_send_sig_info(req->signo, &ksi, t);
	else
		err = -ESRCH;
	put_task_struct(t);
	return err;
}

/* The getppid hook: the parent is on the master. */
bool bproc_masq_getppid(struct bproc_masq_rec *mq, pid_t *ppid)
{
	*ppid = mq->ppid;
	return true;
}

/*
 * The task_fork hook for a new thread @p of a masqueraded process (its
 * leader's record @mq): the thread shares the record. @p does not run
 * yet.
 */
void bproc_masq_thread(struct bproc_masq_rec *mq, struct task_struct *p)
{
	refcount_inc(&mq->ref);
	bproc_task_publish(p, &mq->bt);
}

/* The task_free hook; any context. */
void bproc_masq_free(struct bproc_masq_rec *mq)
{
	if (!refcount_dec_and_test(&mq->ref))
		return;
	kfree(mq);
	module_put(THIS_MODULE);
}

/* The instance (bproc_slave.id) that masqueraded @t, or 0. */
u64 bproc_masq_instance_of(struct task_struct *t)
{
	struct bproc_task *bt = smp_load_acquire(&t->bproc); /* pairs with bproc_task_publish() */

	if (!bt || bt->kind != BPROC_TASK_MASQ)
		return 0;
	return ((struct bproc_masq_rec *)bt)->instance;
}
