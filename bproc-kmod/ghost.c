// SPDX-License-Identifier: GPL-2.0
/*
 * Ghosts (docs/ghosts.md): a master task that calls BPROC_IOC_REXEC
 * asks the master daemon to start a program on a node and, once the node
 * says the program runs, becomes that process's ghost (ghost_rexec.c).
 * Like execve(), it keeps its pid and parent; signals sent to it are
 * forwarded to the node (the signal hook, here), /proc shows what the
 * node last reported (ghost_proc.c), and when the node reports the exit
 * (ghost_msg.c), the ghost exits with exactly that wait status.
 *
 * This file keeps the records: the pid hash, their states, and the
 * signals the module sends, to a ghost itself (stop, continue, its end)
 * or through the master daemon to its process. Records live from the
 * REXEC until free_task() of the ghost (the task_free hook); each ghost
 * holds a reference on the module, so the module cannot be unloaded
 * while a ghost or its zombie exists. Locking: ghost_priv.h.
 */

#include <linux/bproc_hooks.h>
#include <linux/cred.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

#include "ghost_priv.h"
#include "lease.h"
#include "msg.h"
#include "nodes.h"

DEFINE_SPINLOCK(bproc_ghosts_lock);
static DEFINE_HASHTABLE(bproc_ghosts, 8);

/* A SIGNAL message for @pid on @node with @ksi; NULL when out of memory. */
static struct bproc_qmsg *bproc_ghost_signal_msg(s32 node, s32 pid, int sig,
						 const struct kernel_siginfo *ksi,
						 gfp_t gfp)
{
	struct bproc_signal *s;
	struct bproc_qmsg *m;

	BUILD_BUG_ON(sizeof(siginfo_t) != BPROC_SIGINFO_LEN);

	m = bproc_msg_alloc(BPROC_MSG_SIGNAL, node, pid, 0, sizeof(*s), gfp);
	if (!m)
		return NULL;
	s = (struct bproc_signal *)m->payload;
	s->size = sizeof(*s);
	s->pid = pid;
	s->signo = sig;
	memcpy(s->siginfo, ksi, sizeof(*ksi));	/* the rest stays zero */
	return m;
}

/*
 * A SIGKILL message for the process of @pid on @node, made while we may
 * sleep, so that a ghost can have its process killed from any context
 * (the task_exit hook, a failed fork) without an allocation that can fail.
 */
static struct bproc_qmsg *bproc_ghost_kill_msg(s32 node, s32 pid)
{
	struct kernel_siginfo ksi;

	clear_siginfo(&ksi);
	ksi.si_signo = SIGKILL;
	ksi.si_code = SI_KERNEL;
	return bproc_ghost_signal_msg(node, pid, SIGKILL, &ksi,
				      GFP_KERNEL_ACCOUNT);
}

/* A fresh record for @pid on @node, in @state; process context. */
struct bproc_ghost *bproc_ghost_new(s32 node, s32 pid,
				    enum bproc_ghost_state state)
{
	struct bproc_ghost *g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);

	if (!g)
		return NULL;
	g->kill = bproc_ghost_kill_msg(node, pid);
	if (!g->kill) {
		kfree(g);
		return NULL;
	}
	g->bt.kind = BPROC_TASK_GHOST;
	g->node = node;
	g->pid = pid;
	init_waitqueue_head(&g->wait);
	spin_lock_init(&g->lock);
	g->state = state;
	INIT_LIST_HEAD(&g->forks);
	INIT_LIST_HEAD(&g->fork_entry);
	return g;
}

/* A record that never turned into a ghost; any context. */
void bproc_ghost_discard(struct bproc_ghost *g)
{
	if (g->kill)
		bproc_msg_free(g->kill);
	kfree(g->strings);
	kfree(g->exec);
	kfree(g);
}

/* The hashed record of @pid; the caller holds bproc_ghosts_lock. */
struct bproc_ghost *bproc_ghost_find(s32 pid)
{
	struct bproc_ghost *g;

	hash_for_each_possible(bproc_ghosts, g, hash, pid)
		if (g->pid == pid)
			return g;
	return NULL;
}

/* Hash @g under its pid; the caller holds bproc_ghosts_lock. */
void bproc_ghost_hash_locked(struct bproc_ghost *g)
{
	lockdep_assert_held(&bproc_ghosts_lock);
	hash_add(bproc_ghosts, &g->hash, g->pid);
}

/* Hash @g under its pid. Return: 0, or -EBUSY when the pid has one. */
int bproc_ghost_hash(struct bproc_ghost *g)
{
	int err = 0;

	spin_lock(&bproc_ghosts_lock);
	if (bproc_ghost_find(g->pid))
		err = -EBUSY;
	else
		bproc_ghost_hash_locked(g);
	spin_unlock(&bproc_ghosts_lock);
	return err;
}

void bproc_ghost_unhash(struct bproc_ghost *g)
{
	spin_lock(&bproc_ghosts_lock);
	hash_del(&g->hash);
	spin_unlock(&bproc_ghosts_lock);
}

enum bproc_ghost_state bproc_ghost_state(struct bproc_ghost *g)
{
	enum bproc_ghost_state state;
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	state = g->state;
	spin_unlock_irqrestore(&g->lock, flags);
	return state;
}

/* A stop or continue signal: their order matters (each cancels the other). */
static bool bproc_sig_stop_or_cont(int sig)
{
	return sig == SIGCONT || sig_kernel_stop(sig);
}

/*
 * A user's SIGNAL message for @g left the queue (bpmaster read it, or it
 * was dropped): the same standard signal may be queued again. Process
 * context. The pid may be a newer ghost's by now; clearing its bit only
 * lets one more message through, it loses none.
 */
static void bproc_ghost_signal_done(struct bproc_qmsg *m)
{
	const struct bproc_signal *s = (const struct bproc_signal *)m->payload;
	struct bproc_ghost *g;
	unsigned long flags;

	spin_lock(&bproc_ghosts_lock);
	g = bproc_ghost_find(m->hdr.pid);
	if (g && g->node == m->hdr.node) {
		spin_lock_irqsave(&g->lock, flags);
		__clear_bit(s->signo, g->sigq);
		spin_unlock_irqrestore(&g->lock, flags);
	}
	spin_unlock(&bproc_ghosts_lock);
}

/*
 * Queue a user's signal for @g's process: under @g's siglock, interrupts
 * off, possibly in interrupt context. A standard signal already queued
 * (and not yet read by bpmaster) is not queued twice, as a pending one
 * is not locally; stop and continue signals coalesce only with the last
 * one queued, so the node still sees them in order. Each message is
 * charged to the ghost owner's RLIMIT_SIGPENDING as a local queued
 * signal is; a real-time signal over that limit, or any signal while the
 * queue is full, is refused with -EAGAIN.
 */
static int bproc_ghost_queue_user_signal(struct bproc_ghost *g, int sig,
					 const struct kernel_siginfo *ksi)
{
	bool rt = sig >= SIGRTMIN, override = !rt;
	struct ucounts *ucounts;
	struct bproc_qmsg *m;
	long pending;
	int err;

	if (!rt) {
		spin_lock(&g->lock);
		if (test_bit(sig, g->sigq) &&
		    (!bproc_sig_stop_or_cont(sig) || g->sigq_last == sig)) {
			spin_unlock(&g->lock);
			return 0;
		}
		__set_bit(sig, g->sigq);
		g->sigq_last = sig;
		spin_unlock(&g->lock);
		/* stops and continues that do not coalesce count to the limit */
		override = !bproc_sig_stop_or_cont(sig);
	}

	err = -EAGAIN;
	ucounts = task_ucounts(g->task);
	pending = inc_rlimit_get_ucounts(ucounts, UCOUNT_RLIMIT_SIGPENDING,
					 override);
	if (!pending)
		goto fail;
	if (!override && pending > task_rlimit(g->task, RLIMIT_SIGPENDING)) {
		dec_rlimit_put_ucounts(ucounts, UCOUNT_RLIMIT_SIGPENDING);
		goto fail;
	}
	m = bproc_ghost_signal_msg(g->node, g->pid, sig, ksi,
				   GFP_ATOMIC | __GFP_ACCOUNT | __GFP_NOWARN);
	if (!m) {
		dec_rlimit_put_ucounts(ucounts, UCOUNT_RLIMIT_SIGPENDING);
		err = -ENOMEM;
		goto fail;
	}
	m->ucounts = ucounts;
	if (!rt)
		m->done = bproc_ghost_signal_done;
	err = bproc_msg_send_user(m);
	if (!err)
		return 0;
fail:
	if (!rt) {
		spin_lock(&g->lock);
		__clear_bit(sig, g->sigq);
		spin_unlock(&g->lock);
	}
	return err;
}

/**
 * bproc_ghost_signal - the signal hook for a ghost
 * @g: the target's record
 * @sig: signal number
 * @info: its siginfo, or SEND_SIG_NOINFO / SEND_SIG_PRIV
 *
 * Called at the top of send_signal_locked() with the target's siglock
 * held and interrupts off, possibly from interrupt context: only queues.
 *
 * Return: 1 when the signal was taken (forwarded to the node, coalesced
 * with the same one queued, or dropped because the process already
 * ended); 0 for a SIGCHLD the kernel generated about a local child,
 * which is not the node's, and for the signals the module sends the
 * ghost to act on locally; -EAGAIN when it cannot be queued now (the
 * sender's kill() fails with EAGAIN, as for a real-time signal over
 * RLIMIT_SIGPENDING).
 */
int bproc_ghost_signal(struct bproc_ghost *g, int sig,
		       struct kernel_siginfo *info)
{
	struct kernel_siginfo ksi;
	int err;

	/* The module's own stop, continue or wakeup (bproc_ghost_local()). */
	if (in_task() && READ_ONCE(g->local_from) == current)
		return 0;
	if (info != SEND_SIG_NOINFO && info != SEND_SIG_PRIV &&
	    sig == SIGCHLD && info->si_code > 0 && info->si_code < SI_KERNEL)
		return 0;
	if (bproc_ghost_state(g) != BPROC_GHOST_RUNNING)
		return 1;

	if (info == SEND_SIG_NOINFO) {
		clear_siginfo(&ksi);
		ksi.si_signo = sig;
		ksi.si_code = SI_USER;
		ksi.si_pid = task_tgid_nr(current);
		ksi.si_uid = from_kuid_munged(&init_user_ns, current_uid());
	} else if (info == SEND_SIG_PRIV) {
		clear_siginfo(&ksi);
		ksi.si_signo = sig;
		ksi.si_code = SI_KERNEL;
	} else {
		ksi = *info;
	}
	err = bproc_ghost_queue_user_signal(g, sig, &ksi);
	if (err == -EAGAIN || err == -ENOMEM)
		return -EAGAIN;	/* as for a sigqueue that cannot be allocated */
	/*
	 * Else queued, or no master / the node's session just ended: the
	 * process is gone with it (its ghost is ending as killed).
	 */
	return 1;
}

/* The process ended (or was lost): record @status unless one is set. */
void bproc_ghost_set_exit(struct bproc_ghost *g, int status)
{
	spin_lock_irq(&g->lock);
	if (g->state == BPROC_GHOST_RUNNING) {
		g->state = BPROC_GHOST_EXITED;
		g->status = status;
	}
	spin_unlock_irq(&g->lock);
}

/*
 * Send @sig to the ghost itself, to act on locally: a stop or continue
 * the node reported, or the end of a stopped ghost. The signal hook lets
 * it through. The caller holds bproc_ghosts_lock with @g hashed, so the
 * task is alive; it must not hold @g->lock (siglock comes first).
 */
void bproc_ghost_local(struct bproc_ghost *g, int sig)
{
	lockdep_assert_held(&bproc_ghosts_lock);
	WRITE_ONCE(g->local_from, current);
	send_sig_info(sig, SEND_SIG_PRIV, g->task);
	WRITE_ONCE(g->local_from, NULL);
}

/*
 * @g's process is over with @status (EXIT, or its node lost): record it,
 * take @g out of the hash and wake the ghost. A stopped ghost is woken
 * by SIGKILL when that is the status (a stopped process dies only that
 * way), else by SIGCONT. The caller holds bproc_ghosts_lock and @g->lock.
 *
 * Return: the signal to send with bproc_ghost_local() once @g->lock is
 * dropped, or 0.
 */
int bproc_ghost_end(struct bproc_ghost *g, int status)
{
	g->state = BPROC_GHOST_EXITED;
	g->status = status;
	hash_del(&g->hash);
	if (!g->stopped || !g->turned)
		return 0;
	return status == SIGKILL ? SIGKILL : SIGCONT;
}

/* Ask @node to kill process @pid, from process context. */
void bproc_ghost_kill_pid(s32 node, s32 pid)
{
	struct bproc_qmsg *m = bproc_ghost_kill_msg(node, pid);

	if (m)
		bproc_msg_send(m);
}

/* Ask the node to kill @g's process (once; later calls do nothing); any context. */
void bproc_ghost_kill_remote(struct bproc_ghost *g)
{
	struct bproc_qmsg *m = xchg(&g->kill, NULL);

	if (m)
		bproc_msg_send(m);
}

/*
 * A stop the node reported before the task turned (bproc_ghost_msg() left
 * it for now): the ghost stops itself as the module would have made it.
 */
void bproc_ghost_catch_up(struct bproc_ghost *g)
{
	int sig = 0;

	spin_lock(&bproc_ghosts_lock);
	spin_lock_irq(&g->lock);
	if (g->state == BPROC_GHOST_RUNNING && g->stopped)
		sig = g->stop_sig;
	spin_unlock_irq(&g->lock);
	if (sig)
		bproc_ghost_local(g, sig);
	spin_unlock(&bproc_ghosts_lock);
}

/**
 * bproc_ghost_node_down - a node is lost, or the master daemon is gone
 * @node: node number, or BPROC_NODES_ALL
 * @error: positive errno for REXECs still waiting for that node
 *
 * Every ghost of a running process there exits as killed by SIGKILL.
 */
void bproc_ghost_node_down(s32 node, int error)
{
	struct hlist_node *tmp;
	struct bproc_ghost *g;
	int bkt, local;

	spin_lock(&bproc_ghosts_lock);
	hash_for_each_safe(bproc_ghosts, bkt, tmp, g, hash) {
		if (node != BPROC_NODES_ALL && g->node != node)
			continue;
		local = 0;
		spin_lock_irq(&g->lock);
		if (g->state == BPROC_GHOST_WAIT) {
			g->state = BPROC_GHOST_FAILED;
			g->error = error;
		} else if (g->state == BPROC_GHOST_RUNNING) {
			local = bproc_ghost_end(g, SIGKILL);
		}
		spin_unlock_irq(&g->lock);
		if (local)
			bproc_ghost_local(g, local);
		wake_up(&g->wait);
	}
	spin_unlock(&bproc_ghosts_lock);
}

/*
 * Child @c of an ending ghost will have no ghost of its own (it was never
 * forked): its process is killed, its number is the master's again until
 * the node hands it back, and its record goes. Any context; no lock held.
 */
void bproc_ghost_orphan(struct bproc_ghost *c)
{
	bool running = false;

	spin_lock(&bproc_ghosts_lock);
	spin_lock_irq(&c->lock);
	if (c->state == BPROC_GHOST_RUNNING) {
		bproc_ghost_end(c, SIGKILL);
		running = true;
	}
	spin_unlock_irq(&c->lock);
	spin_unlock(&bproc_ghosts_lock);
	if (running)
		bproc_ghost_kill_remote(c);
	bproc_lease_unclaim(c->pid);
	bproc_ghost_discard(c);
}

/**
 * bproc_ghost_task_exit - the task_exit hook for a ghost
 * @g: the exiting task's record
 *
 * Every exit of a ghost comes here, its loop's and any other: a fatal
 * signal taken in get_signal() (one a debugger injected, one that came
 * between the node's REXEC_RESULT and the turn), whatever ends a task.
 * The record leaves the hash now, so no later message from the node can
 * reach it once the task is gone; a process that still runs on the node
 * is killed, and children whose ghosts were never forked go with it. On
 * the loop's way out the record is unhashed and its state DEAD already:
 * nothing is left to do. Called under rcu_read_lock(): no sleeping.
 */
void bproc_ghost_task_exit(struct bproc_ghost *g)
{
	struct bproc_ghost *c, *tmp;
	bool running;
	LIST_HEAD(orphans);

	spin_lock(&bproc_ghosts_lock);
	spin_lock_irq(&g->lock);
	running = g->state == BPROC_GHOST_RUNNING;
	g->state = BPROC_GHOST_DEAD;
	list_splice_init(&g->forks, &orphans);
	spin_unlock_irq(&g->lock);
	hash_del(&g->hash);
	spin_unlock(&bproc_ghosts_lock);
	if (running) {
		pr_notice_ratelimited("pid %d on node %d: its ghost exited outside its loop: killing the process\n",
				      g->pid, g->node);
		bproc_ghost_kill_remote(g);
	}
	list_for_each_entry_safe(c, tmp, &orphans, fork_entry) {
		list_del_init(&c->fork_entry);
		bproc_ghost_orphan(c);
	}
}

/* The task_free hook: the ghost's task is gone; any context. */
void bproc_ghost_free(struct bproc_ghost *g)
{
	if (g->kill)
		bproc_msg_free(g->kill);
	kfree(g->exec);
	kfree(g);
	module_put(THIS_MODULE);
}

/* The ptrace_access hook: refuse to attach to a ghost (docs/ghosts.md). */
int bproc_ghost_ptrace_access(struct bproc_ghost *g, unsigned int mode)
{
	return mode & PTRACE_MODE_ATTACH ? -EPERM : 0;
}
