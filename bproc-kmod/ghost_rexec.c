// SPDX-License-Identifier: GPL-2.0
/*
 * BPROC_IOC_REXEC (docs/ghosts.md): the calling task asks the master
 * daemon to start a program on a node and, once the node says the
 * program runs, turns into that process's ghost. Like execve(), it keeps
 * its pid and parent, resets its signal handlers and closes its
 * close-on-exec descriptors; it stays in this ioctl until the process
 * ends: the ghost loop waits for the node's report of the exit (or the
 * node's loss), forks the ghosts of the process's children, shows what
 * the process runs, and stops and continues with it through
 * get_signal(), so its parent's wait sees all of it. It never returns to
 * user space after a successful REXEC.
 */

#include <linux/bproc_hooks.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/fs_struct.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/path.h>
#include <linux/pid_namespace.h>
#include <linux/resource.h>
#include <linux/sched/task.h>
#include <linux/seccomp.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

#include "ghost_priv.h"
#include "msg.h"
#include "nodes.h"

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

/*
 * The caller's whole identity into @r (docs/security.md, point 3): saved
 * and file-system ids, capability sets, securebits, no_new_privs, umask
 * and resource limits, which the node reproduces before it execs.
 */
static void bproc_ghost_identity(const struct cred *cred,
				 struct bproc_msg_rexec *r)
{
	int i;

	r->suid = from_kuid_munged(&init_user_ns, cred->suid);
	r->sgid = from_kgid_munged(&init_user_ns, cred->sgid);
	r->fsuid = from_kuid_munged(&init_user_ns, cred->fsuid);
	r->fsgid = from_kgid_munged(&init_user_ns, cred->fsgid);
	r->securebits = cred->securebits;
	r->cap_inheritable = cred->cap_inheritable.val;
	r->cap_permitted = cred->cap_permitted.val;
	r->cap_effective = cred->cap_effective.val;
	r->cap_bset = cred->cap_bset.val;
	r->cap_ambient = cred->cap_ambient.val;
	if (task_no_new_privs(current))
		r->flags |= BPROC_REXEC_NO_NEW_PRIVS;
	r->umask = current->fs->umask;
	BUILD_BUG_ON(BPROC_RLIMITS != RLIM_NLIMITS);
	for (i = 0; i < BPROC_RLIMITS; i++) {
		r->rlim[i].cur = READ_ONCE(current->signal->rlim[i].rlim_cur);
		r->rlim[i].max = READ_ONCE(current->signal->rlim[i].rlim_max);
	}
}

/*
 * A job from the caller, carried to the node as it is: its bytes are the
 * caller's to choose, bpslave checks them (the struct's own size field
 * must say as much as the caller passed).
 */
static int bproc_ghost_job(const struct bproc_rexec *req, void *job)
{
	__le32 size;

	if (copy_from_user(job, u64_to_user_ptr(req->job), req->job_len))
		return -EFAULT;
	memcpy(&size, job, sizeof(size));
	return le32_to_cpu(size) == req->job_len ? 0 : -EINVAL;
}

/* Build the REXEC message for @g from the caller's request and identity. */
static struct bproc_qmsg *bproc_ghost_rexec_msg(const struct bproc_rexec *req,
						struct bproc_ghost *g)
{
	const struct cred *cred = current_cred();
	const struct group_info *gi = cred->group_info;
	size_t job_len = req->job_len;
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
			    req->buf_len + job_len, GFP_KERNEL_ACCOUNT);
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
	bproc_ghost_identity(cred, r);
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
	if (!err && job_len) {
		err = bproc_ghost_job(req, p + req->buf_len);
		r->job_len = job_len;
	}
	if (!err) {
		g->strings = kmemdup(p, req->buf_len, GFP_KERNEL_ACCOUNT);
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

/* Children's ghosts to fork or a program to show: work for the loop. */
static bool bproc_ghost_work_pending(struct bproc_ghost *g)
{
	bool pending;

	spin_lock_irq(&g->lock);
	pending = !list_empty(&g->forks) || g->exec;
	spin_unlock_irq(&g->lock);
	return pending;
}

static int bproc_ghost_child_main(void *arg);

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
			bproc_ghost_do_forks(g, bproc_ghost_child_main);
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
	bproc_ghost_do_forks(g, bproc_ghost_child_main);

	spin_lock_irq(&g->lock);
	status = g->status;
	g->state = BPROC_GHOST_DEAD;
	spin_unlock_irq(&g->lock);
	bproc_ghost_unhash(g);
	bproc_do_exit(status);
}

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
	bproc_task_publish(current, &c->bt);
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
	bproc_task_publish(current, &g->bt);
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
 * or badly terminated strings, counts that do not match, a job of
 * another size), -E2BIG (buf_len, too many groups), -EFAULT, -EBUSY (the
 * caller is already the module's, is multi-threaded, or its pid has a
 * pending REXEC), -EPERM (a seccomp filter, which no node can
 * reproduce), -ENOTCONN (no master daemon), -ENODEV, -EHOSTDOWN,
 * -EACCES (node table), -EINTR (killed while waiting), or the node's
 * errno.
 */
long bproc_ghost_rexec(const struct bproc_rexec *req)
{
	struct bproc_qmsg *m;
	struct bproc_ghost *g;
	int err;

	if (req->flags || !req->buf_len || req->__pad ||
	    (req->job_len && (req->job_len < BPROC_JOB_SIZE_VER0 ||
			      req->job_len > BPROC_JOB_MAX)))
		return -EINVAL;
	if (req->buf_len > BPROC_REXEC_MAX)
		return -E2BIG;
	if (current->bproc || !thread_group_empty(current))
		return -EBUSY;
#ifdef CONFIG_SECCOMP
	/* A seccomp filter is not reproduced on the node: refuse. */
	if (current->seccomp.mode != SECCOMP_MODE_DISABLED)
		return -EPERM;
#endif
	/* No node can have that number (the table is checked once hashed). */
	if (req->node < 0 || req->node >= BPROC_NODES_MAX)
		return -ENODEV;
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
	err = bproc_ghost_hash(g);
	if (err) {
		bproc_msg_free(m);
		bproc_ghost_discard(g);
		return err;
	}

	err = bproc_nodes_may_rexec(req->node);
	if (err)
		bproc_msg_free(m);
	else
		err = bproc_msg_send_user(m);	/* -EAGAIN: the queue is full */
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
