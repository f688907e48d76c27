// SPDX-License-Identifier: GPL-2.0
/*
 * Ghosts (docs/ghosts.md): a master task that calls BPROC_IOC_REXEC
 * asks the master daemon to start a program on a node and, once the node
 * says the program runs, becomes that process's ghost. Like execve(), it
 * keeps its pid and parent, resets its signal handlers and closes its
 * close-on-exec descriptors; it stays in this ioctl until the process ends:
 * signals sent to it are forwarded to the node (hooks.c), /proc shows
 * what the node last reported, and when the node reports the exit, the
 * ghost exits with exactly that wait status. When the node reports that
 * the process stopped or continued, the ghost does the same through
 * get_signal(), so its parent's wait sees it. It never returns to user
 * space after a successful REXEC.
 *
 * Records live from the REXEC until free_task() of the ghost (the
 * task_free hook); each ghost holds a reference on the module, so the
 * module cannot be unloaded while a ghost or its zombie exists.
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
 *   protects state, error, status and the cached process status.
 * - Order: bproc_ghosts_lock, then a ghost's siglock, then its lock,
 *   then the message queue lock (msg.c).
 */

#include <linux/bproc_hooks.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/fs_struct.h>
#include <linux/gfp.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/path.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>

#include "ghost.h"
#include "lease.h"
#include "msg.h"
#include "nodes.h"
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
	char *strings;			/* path, argv, envp until it turns */
	u32 strings_len;
	u32 argc;
	bool have_ps;			/* ps is set */
	struct bproc_msg_pstatus ps;	/* last PSTATUS from the node */
	struct list_head forks;		/* children's ghosts to fork */
	struct list_head fork_entry;	/* in the parent's forks */
	s32 claim;			/* pid for the ghost being forked */
	struct bproc_ghost_exec *exec;	/* a program to show, from EXEC */
	unsigned long args_map;		/* the ghost's mapping of the last */
	unsigned long args_map_len;
};

/* What an EXEC says the process runs now (comm and cmdline). */
struct bproc_ghost_exec {
	char comm[TASK_COMM_LEN];
	u32 len;
	char args[];
};

static DEFINE_SPINLOCK(bproc_ghosts_lock);
static DEFINE_HASHTABLE(bproc_ghosts, 8);

/* A fresh record for @pid on @node, in @state. */
static struct bproc_ghost *bproc_ghost_new(s32 node, s32 pid,
					   enum bproc_ghost_state state)
{
	struct bproc_ghost *g = kzalloc(sizeof(*g), GFP_KERNEL);

	if (!g)
		return NULL;
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

/* A record that never turned into a ghost. */
static void bproc_ghost_discard(struct bproc_ghost *g)
{
	kfree(g->strings);
	kfree(g->exec);
	kfree(g);
}

/* The hashed record of @pid; the caller holds bproc_ghosts_lock. */
static struct bproc_ghost *bproc_ghost_find(s32 pid)
{
	struct bproc_ghost *g;

	hash_for_each_possible(bproc_ghosts, g, hash, pid)
		if (g->pid == pid)
			return g;
	return NULL;
}

static void bproc_ghost_unhash(struct bproc_ghost *g)
{
	spin_lock(&bproc_ghosts_lock);
	hash_del(&g->hash);
	spin_unlock(&bproc_ghosts_lock);
}

static enum bproc_ghost_state bproc_ghost_state(struct bproc_ghost *g)
{
	enum bproc_ghost_state state;
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	state = g->state;
	spin_unlock_irqrestore(&g->lock, flags);
	return state;
}

/* Queue a signal for @g's process; any context with the right @gfp. */
static int bproc_ghost_queue_signal(s32 node, s32 pid, int sig,
				    const struct kernel_siginfo *ksi, gfp_t gfp)
{
	struct bproc_signal *s;
	struct bproc_qmsg *m;

	BUILD_BUG_ON(sizeof(siginfo_t) != BPROC_SIGINFO_LEN);

	m = bproc_msg_alloc(BPROC_MSG_SIGNAL, node, pid, 0, sizeof(*s), gfp);
	if (!m)
		return -ENOMEM;
	s = (struct bproc_signal *)m->payload;
	s->size = sizeof(*s);
	s->pid = pid;
	s->signo = sig;
	memcpy(s->siginfo, ksi, sizeof(*ksi));	/* the rest stays zero */
	return bproc_msg_send(m);
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
 * Return: true when the signal was taken (forwarded to the node, or
 * dropped because the process already ended); false for a SIGCHLD the
 * kernel generated about a local child, which is not the node's, and
 * for the signals the module sends the ghost to act on locally.
 */
bool bproc_ghost_signal(struct bproc_ghost *g, int sig,
			struct kernel_siginfo *info)
{
	struct kernel_siginfo ksi;

	/* The module's own stop, continue or wakeup (bproc_ghost_local()). */
	if (in_task() && READ_ONCE(g->local_from) == current)
		return false;
	if (info != SEND_SIG_NOINFO && info != SEND_SIG_PRIV &&
	    sig == SIGCHLD && info->si_code > 0 && info->si_code < SI_KERNEL)
		return false;
	if (bproc_ghost_state(g) != BPROC_GHOST_RUNNING)
		return true;

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
	if (bproc_ghost_queue_signal(g->node, g->pid, sig, &ksi, GFP_ATOMIC))
		pr_warn_ratelimited("pid %d: signal %d for node %d lost\n",
				    g->pid, sig, g->node);
	return true;
}

/* The ghost's cwd as a path, "/" when it has none reachable. */
static const char *bproc_ghost_cwd(char *page)
{
	struct path pwd;
	char *p;

	get_fs_pwd(current->fs, &pwd);
	p = d_path(&pwd, page, PAGE_SIZE);
	path_put(&pwd);
	if (IS_ERR(p) || *p != '/')
		return "/";
	return p;
}

/* Check the path/argv/envp block: exactly 1 + argc + envc strings. */
static int bproc_ghost_check_strings(const char *buf, u32 len,
				     const struct bproc_rexec *req)
{
	u64 want = 1 + (u64)req->argc + req->envc;
	u64 n = 0;
	u32 i;

	if (buf[0] == '\0' || buf[len - 1] != '\0')
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			n++;
	return n == want ? 0 : -EINVAL;
}

/* Build the REXEC message for @g from the caller's request and identity. */
static struct bproc_qmsg *bproc_ghost_rexec_msg(const struct bproc_rexec *req,
						struct bproc_ghost *g)
{
	const struct cred *cred = current_cred();
	const struct group_info *gi = cred->group_info;
	struct bproc_msg_rexec *r;
	struct bproc_qmsg *m;
	const char *cwd;
	size_t cwd_len;
	char *page;
	u32 *gids;
	u8 *p;
	int i, err;

	if (gi->ngroups > BPROC_NGROUPS_MAX)
		return ERR_PTR(-E2BIG);
	page = (char *)__get_free_page(GFP_KERNEL);
	if (!page)
		return ERR_PTR(-ENOMEM);
	cwd = bproc_ghost_cwd(page);
	cwd_len = strlen(cwd) + 1;

	m = bproc_msg_alloc(BPROC_MSG_REXEC, g->node, g->pid, g->id,
			    sizeof(*r) + gi->ngroups * sizeof(u32) + cwd_len +
			    req->buf_len, GFP_KERNEL);
	if (!m) {
		err = -ENOMEM;
		goto out;
	}
	r = (struct bproc_msg_rexec *)m->payload;
	r->ppid = task_ppid_nr(current);
	r->pgid = task_pgrp_nr_ns(current, &init_pid_ns);
	r->sid = task_session_nr_ns(current, &init_pid_ns);
	r->uid = from_kuid_munged(&init_user_ns, cred->uid);
	r->euid = from_kuid_munged(&init_user_ns, cred->euid);
	r->gid = from_kgid_munged(&init_user_ns, cred->gid);
	r->egid = from_kgid_munged(&init_user_ns, cred->egid);
	r->ngroups = gi->ngroups;
	r->argc = req->argc;
	r->envc = req->envc;
	r->cwd_len = cwd_len;
	r->buf_len = req->buf_len;
	gids = (u32 *)(r + 1);
	for (i = 0; i < gi->ngroups; i++)
		gids[i] = from_kgid_munged(&init_user_ns, gi->gid[i]);
	p = (u8 *)(gids + gi->ngroups);
	memcpy(p, cwd, cwd_len);
	p += cwd_len;
	err = -EFAULT;
	if (copy_from_user(p, u64_to_user_ptr(req->buf), req->buf_len))
		goto out;
	err = bproc_ghost_check_strings(p, req->buf_len, req);
	if (!err) {
		g->strings = kmemdup(p, req->buf_len, GFP_KERNEL);
		g->strings_len = req->buf_len;
		g->argc = req->argc;
		if (!g->strings)
			err = -ENOMEM;
	}
out:
	free_page((unsigned long)page);
	if (err) {
		if (m)
			bproc_msg_free(m);
		return ERR_PTR(err);
	}
	return m;
}

static bool bproc_ghost_over(struct bproc_ghost *g)
{
	return bproc_ghost_state(g) == BPROC_GHOST_EXITED;
}

/* The process ended (or was lost): record @status unless one is set. */
static void bproc_ghost_set_exit(struct bproc_ghost *g, int status)
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
static void bproc_ghost_local(struct bproc_ghost *g, int sig)
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
static int bproc_ghost_end(struct bproc_ghost *g, int status)
{
	g->state = BPROC_GHOST_EXITED;
	g->status = status;
	hash_del(&g->hash);
	if (!g->stopped || !g->turned)
		return 0;
	return status == SIGKILL ? SIGKILL : SIGCONT;
}

/* Ask @node to kill process @pid, from process context. */
static void bproc_ghost_kill_pid(s32 node, s32 pid)
{
	struct kernel_siginfo ksi;

	clear_siginfo(&ksi);
	ksi.si_signo = SIGKILL;
	ksi.si_code = SI_KERNEL;
	bproc_ghost_queue_signal(node, pid, SIGKILL, &ksi, GFP_KERNEL);
}

/* Ask the node to kill @g's process, from process context. */
static void bproc_ghost_kill_remote(struct bproc_ghost *g)
{
	bproc_ghost_kill_pid(g->node, g->pid);
}

/* Children's ghosts to fork or a program to show: work for the loop. */
static bool bproc_ghost_work_pending(struct bproc_ghost *g)
{
	bool pending;

	spin_lock_irq(&g->lock);
	pending = !list_empty(&g->forks) || g->exec;
	spin_unlock_irq(&g->lock);
	return pending;
}

/*
 * Like execve(), the ghost takes a program's name (@comm), and its
 * /proc/PID/cmdline shows the first @args_len of the @len bytes at @strs,
 * copied into a fresh anonymous mapping. @whole: the strings are the
 * whole image (arguments, then the environment): the old address space,
 * which a ghost never uses again, goes first. Else only the arguments
 * change. A task whose mm is shared with another process (a vfork()
 * child, CLONE_VM) keeps its mm as it is.
 *
 * Return: the mapping's address, or 0 when there is none.
 */
static unsigned long bproc_ghost_show(const char *comm, const char *strs,
				      size_t args_len, size_t len, bool whole)
{
	struct mm_struct *mm = current->mm;
	unsigned long addr;

	task_lock(current);
	strscpy_pad(current->comm, comm, sizeof(current->comm));
	task_unlock(current);
	if (!mm || current->vfork_done ||
	    test_bit(MMF_MULTIPROCESS, &mm->flags))
		return 0;
	if (whole)
		vm_munmap(0, TASK_SIZE);
	if (!len)
		return 0;
	addr = vm_mmap(NULL, 0, PAGE_ALIGN(len), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return 0;
	if (copy_to_user((void __user *)addr, strs, len)) {
		vm_munmap(addr, PAGE_ALIGN(len));
		return 0;
	}
	spin_lock(&mm->arg_lock);
	mm->arg_start = addr;
	mm->arg_end = addr + args_len;
	if (whole) {
		mm->env_start = mm->arg_end;
		mm->env_end = addr + len;
	}
	spin_unlock(&mm->arg_lock);
	return addr;
}

/*
 * The process runs another program (EXEC): the ghost shows its name and
 * arguments; the environment stays. The mapping of an earlier EXEC goes.
 */
static void bproc_ghost_do_exec(struct bproc_ghost *g)
{
	struct bproc_ghost_exec *e;
	unsigned long addr;

	spin_lock_irq(&g->lock);
	e = g->exec;
	g->exec = NULL;
	spin_unlock_irq(&g->lock);
	if (!e)
		return;
	addr = bproc_ghost_show(e->comm, e->args, e->len, e->len, false);
	if (addr) {
		if (g->args_map)
			vm_munmap(g->args_map, g->args_map_len);
		g->args_map = addr;
		g->args_map_len = PAGE_ALIGN(e->len);
	}
	kfree(e);
}

static void __noreturn bproc_ghost_run(struct bproc_ghost *g);
static void bproc_ghost_catch_up(struct bproc_ghost *g);

/*
 * A child's ghost starts here, forked by its parent's ghost with the
 * child's pid (bproc_clone()): it is a copy of the parent's ghost (same
 * credentials, name, command line, files) that turns into @c's ghost
 * and runs the ghost loop. It never returns.
 */
static int bproc_ghost_child_main(void *arg)
{
	struct bproc_ghost *c = arg;

	/* Dropped by bproc_ghost_free() when the task is freed. */
	__module_get(THIS_MODULE);
	spin_lock(&bproc_ghosts_lock);
	spin_lock_irq(&current->sighand->siglock);
	current->bproc = &c->bt;
	spin_lock(&c->lock);
	c->task = current;
	c->turned = true;
	spin_unlock(&c->lock);
	spin_unlock_irq(&current->sighand->siglock);
	spin_unlock(&bproc_ghosts_lock);
	if (task_tgid_nr(current) != c->pid)
		pr_warn_ratelimited("ghost of pid %d on node %d got pid %d here\n",
				    c->pid, c->node, task_tgid_nr(current));
	bproc_ghost_catch_up(c);
	bproc_ghost_run(c);
}

/*
 * Fork the ghost of child @c with its pid, which the node leased from
 * us: the alloc_pid_nr hook hands @g->claim to this fork. A ghost's
 * children are reaped by the kernel (SA_NOCLDWAIT: nobody on the master
 * waits for them; the node's parent does). When the fork fails, the
 * child on the node, which has no ghost then, is killed.
 */
static void bproc_ghost_fork_one(struct bproc_ghost *g, struct bproc_ghost *c)
{
	bool running = false;
	struct ksignal ksig;
	pid_t pid;

	spin_lock_irq(&current->sighand->siglock);
	current->sighand->action[SIGCHLD - 1].sa.sa_flags |= SA_NOCLDWAIT;
	spin_unlock_irq(&current->sighand->siglock);

	g->claim = c->pid;
	/* A stop or task work makes fork() restart: take it, then retry. */
	while ((pid = bproc_clone(bproc_ghost_child_main, c)) == -ERESTARTNOINTR &&
	       !fatal_signal_pending(current))
		bproc_get_signal(&ksig);
	g->claim = 0;
	if (pid >= 0)
		return;

	pr_warn_ratelimited("pid %d on node %d: cannot fork the ghost of its child %d (%d): killing it\n",
			    g->pid, g->node, c->pid, pid);
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

/* Fork the ghosts of every child the node reported for @g's process. */
static void bproc_ghost_do_forks(struct bproc_ghost *g)
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
		bproc_ghost_fork_one(g, c);
	}
}

/*
 * The ghost loop: wait until the node reports the end of the process
 * (or the node is lost), then exit with its status. Signals for the
 * ghost are taken by the signal hook and all but the stop signals are
 * blocked, so the sleep is interruptible (the ghost counts as sleeping,
 * not as load). Whatever else wakes it (a stop or continue the module
 * sent, task work, the freezer) is handled by get_signal(), as on the
 * way back to user space; its handlers are all default, so it never
 * returns one. A stopped ghost woken by SIGKILL at its end exits there.
 */
static void __noreturn bproc_ghost_run(struct bproc_ghost *g)
{
	struct ksignal ksig;
	int status;

	for (;;) {
		if (!wait_event_interruptible(g->wait, bproc_ghost_over(g) ||
					      bproc_ghost_work_pending(g))) {
			/* Children first: their FORKs came before the EXIT. */
			bproc_ghost_do_forks(g);
			bproc_ghost_do_exec(g);
			if (bproc_ghost_over(g))
				break;
			continue;
		}
		if (fatal_signal_pending(current)) {
			/* Killed without the hook (group exit): so is the process. */
			bproc_ghost_kill_remote(g);
			bproc_ghost_set_exit(g, SIGKILL);
			break;
		}
		bproc_get_signal(&ksig);
	}
	/* Forks it can no longer do: their processes are killed. */
	bproc_ghost_do_forks(g);

	spin_lock_irq(&g->lock);
	status = g->status;
	g->state = BPROC_GHOST_DEAD;
	spin_unlock_irq(&g->lock);
	bproc_ghost_unhash(g);
	bproc_do_exit(status);
}

/*
 * The ghost takes the program of its REXEC: its name (the path's last
 * component), argv and envp, as bproc_ghost_show() does.
 */
static void bproc_ghost_image(struct bproc_ghost *g)
{
	const char *path = g->strings, *args, *env;
	u32 i;

	args = path + strlen(path) + 1;
	env = args;
	for (i = 0; i < g->argc; i++)
		env += strlen(env) + 1;
	bproc_ghost_show(kbasename(path), args, env - args,
			 g->strings_len - (args - path), true);
	kfree(g->strings);
	g->strings = NULL;
}

/*
 * A stop the node reported before the task turned (bproc_ghost_msg() left
 * it for now): the ghost stops itself as the module would have made it.
 */
static void bproc_ghost_catch_up(struct bproc_ghost *g)
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

/*
 * Turn the calling task into @g's ghost; never returns. Signals that
 * arrived while it waited for the node (and did not kill it) belong to
 * the process now: they are forwarded, as execve() keeps them pending.
 */
static void __noreturn bproc_ghost_become(struct bproc_ghost *g)
{
	struct kernel_siginfo info;
	struct ksignal ksig;
	sigset_t blocked, none;
	enum pid_type type;
	int sig;

	/* Dropped by bproc_ghost_free() when the task is freed. */
	__module_get(THIS_MODULE);
	/* Before /proc shows it as a ghost (BProcNode), it looks the part. */
	bproc_ghost_image(g);

	sigemptyset(&none);
	spin_lock_irq(&current->sighand->siglock);
	bproc_flush_signal_handlers(current, 1);
	current->bproc = &g->bt;
	spin_lock(&g->lock);
	g->turned = true;
	spin_unlock(&g->lock);
	while ((sig = dequeue_signal(&none, &info, &type)) > 0)
		bproc_ghost_signal(g, sig, &info);
	spin_unlock_irq(&current->sighand->siglock);
	/* Only the module's stops and SIGKILL reach it (bproc_ghost_local()). */
	sigfillset(&blocked);
	sigdelsetmask(&blocked, sigmask(SIGKILL) | sigmask(SIGSTOP) |
		      sigmask(SIGTSTP) | sigmask(SIGTTIN) | sigmask(SIGTTOU));
	sigprocmask(SIG_SETMASK, &blocked, NULL);
	bproc_close_on_exec();
	bproc_ghost_catch_up(g);
	/*
	 * The last fput() of a file it closed is left as task work for the
	 * way back to user space, where a ghost never goes: get_signal()
	 * runs task work first thing. (bproc_vrexec() waits for that close.)
	 */
	bproc_get_signal(&ksig);

	bproc_ghost_run(g);
}

/**
 * bproc_ghost_rexec - BPROC_IOC_REXEC
 * @req: the caller's request (size already checked)
 *
 * Return: does not return on success. Otherwise -EINVAL (flags, empty
 * or badly terminated strings, counts that do not match), -E2BIG
 * (buf_len, too many groups), -EFAULT, -EBUSY (the caller is already
 * the module's, is multi-threaded, or its pid has a pending REXEC),
 * -ENOTCONN (no master daemon), -ENODEV, -EHOSTDOWN, -EACCES (node
 * table), -EINTR (killed while waiting), or the node's errno.
 */
long bproc_ghost_rexec(const struct bproc_rexec *req)
{
	struct bproc_qmsg *m;
	struct bproc_ghost *g;
	int err;

	if (req->flags || !req->buf_len)
		return -EINVAL;
	if (req->buf_len > BPROC_REXEC_MAX)
		return -E2BIG;
	if (current->bproc || !thread_group_empty(current))
		return -EBUSY;
	/* As execve() does first: what the ghost closes is its own. */
	err = bproc_unshare_files();
	if (err)
		return err;

	g = bproc_ghost_new(req->node, task_tgid_nr(current),
			    BPROC_GHOST_WAIT);
	if (!g)
		return -ENOMEM;
	g->task = current;
	g->id = bproc_msg_new_id();

	m = bproc_ghost_rexec_msg(req, g);
	if (IS_ERR(m)) {
		bproc_ghost_discard(g);
		return PTR_ERR(m);
	}

	/*
	 * Hash first, then check the node: a node that goes down after the
	 * check finds the record in the hash (bproc_ghost_node_down()).
	 */
	err = 0;
	spin_lock(&bproc_ghosts_lock);
	if (bproc_ghost_find(g->pid))
		err = -EBUSY;
	else
		hash_add(bproc_ghosts, &g->hash, g->pid);
	spin_unlock(&bproc_ghosts_lock);
	if (err) {
		bproc_msg_free(m);
		bproc_ghost_discard(g);
		return err;
	}

	err = bproc_nodes_may_rexec(req->node);
	if (err)
		bproc_msg_free(m);
	else
		err = bproc_msg_send(m);
	if (!err && wait_event_killable(g->wait, bproc_ghost_state(g) !=
					BPROC_GHOST_WAIT)) {
		/* The node may have started it already. */
		bproc_ghost_kill_remote(g);
		err = -EINTR;
	}
	if (!err) {
		spin_lock_irq(&g->lock);
		if (g->state == BPROC_GHOST_FAILED)
			err = -g->error;
		spin_unlock_irq(&g->lock);
	}
	if (err) {
		bproc_ghost_unhash(g);
		bproc_ghost_discard(g);
		return err;
	}
	bproc_ghost_become(g);
}

/* A wait status a process can end with: exited, or killed by a signal. */
static bool bproc_ghost_status_ok(s32 status)
{
	int sig = status & 0x7f;

	if (sig == 0)
		return !(status & ~0xff00);
	return sig <= _NSIG && !(status & ~0xff);
}

static bool bproc_ghost_pstatus_ok(const struct bproc_msg_pstatus *ps)
{
	if (!ps->state || !strchr("RSDTtWXZPIK", ps->state))
		return false;
	return !memchr_inv(ps->__pad, 0, sizeof(ps->__pad));
}

/* A signal that stops a process by default: what STOP may carry. */
static bool bproc_ghost_stop_sig_ok(s32 sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

/*
 * FORK: process @fk->ppid on @hdr->node forked child @hdr->pid with a
 * number leased to that node. The child's record is hashed at once, so
 * the child's own messages find it; the parent's ghost forks the ghost.
 */
static int bproc_ghost_fork_msg(const struct bproc_msg_hdr *hdr,
				const struct bproc_msg_fork *fk)
{
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
			hash_add(bproc_ghosts, &c->hash, c->pid);
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
	kfree(c);
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
static int bproc_ghost_exec_msg(const struct bproc_msg_hdr *hdr,
				const struct bproc_msg_exec *x)
{
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

/**
 * bproc_ghost_msg - a message from a node, written by the master daemon
 * @hdr: its header, with size, flags, node and pid checked
 * @payload: the payload, of the right size for @hdr->type
 *
 * STOP and CONT make the ghost stop and continue locally, so that its
 * parent's wait reports them; EXIT ends the ghost; FORK makes it fork
 * the ghost of a child; EXEC makes it show another program.
 *
 * Return: 0; -EINVAL for a bad payload or one that does not fit the
 * ghost's state (a result that is not awaited or has another id; status,
 * stop, continue or exit before the result); -ESRCH when @hdr->pid is no
 * running ghost of @hdr->node.
 */
int bproc_ghost_msg(const struct bproc_msg_hdr *hdr, const void *payload)
{
	const struct bproc_msg_pstatus *ps = payload;
	const struct bproc_msg_exit *ex = payload;
	const s32 *error = payload;
	const s32 *signo = payload;
	struct bproc_ghost *g;
	bool wake = false;
	int local = 0;
	int err = 0;

	switch (hdr->type) {
	case BPROC_MSG_REXEC_RESULT:
		if (*error < 0 || *error >= MAX_ERRNO)
			return -EINVAL;
		break;
	case BPROC_MSG_PSTATUS:
		if (!bproc_ghost_pstatus_ok(ps))
			return -EINVAL;
		break;
	case BPROC_MSG_STOP:
		if (!bproc_ghost_stop_sig_ok(*signo))
			return -EINVAL;
		break;
	case BPROC_MSG_CONT:
		break;
	case BPROC_MSG_EXIT:
		if (!bproc_ghost_status_ok(ex->status) || ex->__pad)
			return -EINVAL;
		break;
	case BPROC_MSG_FORK:
		return bproc_ghost_fork_msg(hdr, payload);
	case BPROC_MSG_EXEC:
		return bproc_ghost_exec_msg(hdr, payload);
	default:
		return -EINVAL;
	}

	spin_lock(&bproc_ghosts_lock);
	g = bproc_ghost_find(hdr->pid);
	if (!g || g->node != hdr->node) {
		spin_unlock(&bproc_ghosts_lock);
		return -ESRCH;
	}
	spin_lock_irq(&g->lock);
	switch (hdr->type) {
	case BPROC_MSG_REXEC_RESULT:
		if (g->state != BPROC_GHOST_WAIT || hdr->id != g->id) {
			err = -EINVAL;
			break;
		}
		g->state = *error ? BPROC_GHOST_FAILED : BPROC_GHOST_RUNNING;
		g->error = *error;
		wake = true;
		break;
	case BPROC_MSG_PSTATUS:
		if (g->state != BPROC_GHOST_RUNNING) {
			err = -EINVAL;
			break;
		}
		g->ps = *ps;
		g->have_ps = true;
		break;
	case BPROC_MSG_STOP:
	case BPROC_MSG_CONT:
		if (g->state != BPROC_GHOST_RUNNING) {
			err = -EINVAL;
			break;
		}
		/*
		 * A task that has not turned yet would take the signal as an
		 * ordinary one (no hook): it catches up when it turns.
		 */
		g->stopped = hdr->type == BPROC_MSG_STOP;
		if (g->stopped)
			g->stop_sig = *signo;
		if (g->turned)
			local = g->stopped ? *signo : SIGCONT;
		break;
	case BPROC_MSG_EXIT:
		if (g->state != BPROC_GHOST_RUNNING) {
			err = -EINVAL;
			break;
		}
		local = bproc_ghost_end(g, ex->status);
		wake = true;
		break;
	}
	spin_unlock_irq(&g->lock);
	if (local)
		bproc_ghost_local(g, local);
	if (wake)
		wake_up(&g->wait);
	spin_unlock(&bproc_ghosts_lock);
	return err;
}

/**
 * bproc_ghost_node_down - a node is lost, or the master daemon is gone
 * @node: node number, or BPROC_GHOST_ALL_NODES
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
		if (node != BPROC_GHOST_ALL_NODES && g->node != node)
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
	bproc_lease_node_down(node);
}

/* The task_free hook: the ghost's task is gone; any context. */
void bproc_ghost_free(struct bproc_ghost *g)
{
	kfree(g->exec);
	kfree(g);
	module_put(THIS_MODULE);
}

/* The proc_status hook: which node the process runs on. */
void bproc_ghost_proc_status(struct bproc_ghost *g, struct seq_file *m)
{
	seq_printf(m, "BProcNode:\t%d\n", g->node);
}

/* The proc_stat hook: the process as the node last reported it. */
void bproc_ghost_proc_stat(struct bproc_ghost *g, struct bproc_proc_stat *st)
{
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	if (g->state == BPROC_GHOST_RUNNING && g->have_ps) {
		st->state = g->ps.state;
		st->num_threads = g->ps.threads;
		st->utime = g->ps.utime_ns;
		st->stime = g->ps.stime_ns;
		st->min_flt = g->ps.minflt;
		st->maj_flt = g->ps.majflt;
		st->vsize = g->ps.vsize;
		st->rss = g->ps.rss >> PAGE_SHIFT;
	}
	spin_unlock_irqrestore(&g->lock, flags);
}

/*
 * The proc_status_mem hook: the memory lines of /proc/PID/status, from
 * the node's last report (what ps shows as RSS); the local ones until
 * the first report.
 */
bool bproc_ghost_proc_status_mem(struct bproc_ghost *g, struct seq_file *m)
{
	unsigned long flags;
	u64 vsize_kb, rss_kb;
	bool have;

	spin_lock_irqsave(&g->lock, flags);
	have = g->state == BPROC_GHOST_RUNNING && g->have_ps;
	vsize_kb = g->ps.vsize >> 10;
	rss_kb = g->ps.rss >> 10;
	spin_unlock_irqrestore(&g->lock, flags);
	if (!have)
		return false;
	seq_printf(m, "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\n", vsize_kb, vsize_kb);
	seq_printf(m, "VmHWM:\t%8llu kB\nVmRSS:\t%8llu kB\n", rss_kb, rss_kb);
	return true;
}

/*
 * The alloc_pid_nr hook for a ghost: while it forks a child's ghost, the
 * master's level gets the child's pid, reserved since its lease.
 */
int bproc_ghost_alloc_pid_nr(struct bproc_ghost *g, struct pid_namespace *ns)
{
	if (ns != &init_pid_ns || !g->claim)
		return 0;
	return g->claim;
}
