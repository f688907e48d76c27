// SPDX-License-Identifier: GPL-2.0
/*
 * Starting a process for the master (docs/ghosts.md): clone3() with the
 * master's pid in the masquerade namespace (ns.c), BPROC_IOC_MASQ so that
 * getppid() there is the master's parent, then the child takes the
 * caller's identity and cwd and execs. The process is bpslave's child:
 * it joins the process table (ptable.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bpslave.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC	(1U << 2)
#endif

/* What the child needs, prepared before clone3 (no allocation after). */
struct spawn {
	const struct bp_msg_proc *req;
	const char *cwd;
	const char *path;
	char **argv;
	char **envp;
	int sync_rd;		/* parent's go-ahead after BPROC_IOC_MASQ */
	int sync_wr;		/* the parent's end, closed in the child */
	int err_rd;		/* the parent's end, closed in the child */
	int err_wr;		/* CLOEXEC: exec's errno, or EOF on success */
};

static int split_strings(const char *p, uint32_t n, char ***out,
			 const char **next)
{
	char **v = calloc((size_t)n + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		v[i] = (char *)p;
		p += strlen(p) + 1;
	}
	*out = v;
	*next = p;
	return 0;
}

static void child_fail(int fd, int err)
{
	if (write(fd, &err, sizeof(err)) < 0) {
		/* The parent then sees EOF and a dead child: reported as EIO. */
	}
	_exit(127);
}

/* The new process, in the masquerade namespace, between clone3 and exec. */
static void __attribute__((noreturn)) child_main(const struct spawn *sp)
{
	const struct bproc_msg_rexec *r = &sp->req->rexec;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	char go;
	int fd;

	close(sp->sync_wr);
	close(sp->err_rd);
	if (read(sp->sync_rd, &go, 1) != 1)
		_exit(127);	/* bpslave gave up on us */
	close(sp->sync_rd);
	setsid();
	if (setgroups(r->ngroups, (const gid_t *)sp->req->gids) ||
	    setresgid(r->gid, r->egid, r->egid) ||
	    setresuid(r->uid, r->euid, r->euid))
		child_fail(sp->err_wr, errno);
	if (chdir(sp->cwd) && chdir("/"))
		child_fail(sp->err_wr, errno);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		child_fail(sp->err_wr, errno);
	for (int i = 0; i < 3; i++)
		if (fd != i && dup2(fd, i) != i)
			child_fail(sp->err_wr, errno);
	if (fd > 2)
		close(fd);
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);	/* EINVAL for KILL/STOP: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(sp->path, sp->argv, sp->envp);
	child_fail(sp->err_wr, errno);
	_exit(127);
}

static pid_t clone_with_pid(int32_t pid)
{
	pid_t tid = pid;
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uint64_t)(uintptr_t)&tid,
		.set_tid_size = 1,
	};

	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/*
 * The module takes pids as the instance's owner (bpslave) sees them: the
 * outer pid of the process, which is its master pid one namespace down.
 */
static int masq(struct bps *s, pid_t outer, int32_t ppid)
{
	struct bproc_masq m = { .size = sizeof(m), .pid = outer, .ppid = ppid };

	return ioctl(s->bproc_fd, BPROC_IOC_MASQ, &m) ? -errno : 0;
}

static void reap_one(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * Start the process a REXEC asks for. Returns 0 when it runs (it is then
 * in the table) or a positive errno for REXEC_RESULT.
 */
int32_t bps_rexec(struct bps *s, const struct bp_msg_proc *req)
{
	const struct bproc_msg_rexec *r = &req->rexec;
	struct spawn sp = { .req = req };
	int sync[2] = { -1, -1 }, err[2] = { -1, -1 };
	int32_t ret = 0;
	const char *p, *args;
	uint64_t image;
	ssize_t n;
	pid_t pid;
	int e;

	if (bps_proc_find(s, req->hdr.pid))
		return EEXIST;
	if (s->reaper <= 0)
		return EAGAIN;	/* no namespace: bps_ns_start() failed */
	sp.cwd = req->strs;
	sp.path = req->strs + r->cwd_len;
	args = p = sp.path + strlen(sp.path) + 1;
	if (split_strings(p, r->argc, &sp.argv, &p)) {
		ret = ENOMEM;
		goto out;
	}
	/* The ghost shows the path's name and argv: what the node shows. */
	image = bps_image_hash(basename(sp.path), args, (size_t)(p - args));
	if (split_strings(p, r->envc, &sp.envp, &p)) {
		ret = ENOMEM;
		goto out;
	}
	if (pipe2(sync, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		ret = errno;
		goto out;
	}
	sp.sync_rd = sync[0];
	sp.sync_wr = sync[1];
	sp.err_rd = err[0];
	sp.err_wr = err[1];
	pid = clone_with_pid(req->hdr.pid);
	if (pid < 0) {
		ret = errno;	/* EEXIST: pid taken, EINVAL: over pid_max */
		goto out;
	}
	if (pid == 0)
		child_main(&sp);
	close(sync[0]);
	close(err[1]);
	sync[0] = err[1] = -1;

	e = masq(s, pid, r->ppid);
	if (e) {
		bps_log(s, "/dev/bproc: BPROC_IOC_MASQ for pid %d (%d here): %s",
			req->hdr.pid, (int)pid, strerror(-e));
		close(sync[1]);		/* the child sees EOF and exits */
		sync[1] = -1;
		reap_one(pid);
		ret = -e;
		goto out;
	}
	if (write(sync[1], "", 1) != 1) {
		ret = errno;
		kill(pid, SIGKILL);
		reap_one(pid);
		goto out;
	}
	do
		n = read(err[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		/* exec failed (or the child died before telling us why) */
		ret = n == sizeof(e) && e > 0 ? e : EIO;
		reap_one(pid);
		goto out;
	}
	if (bps_proc_add(s, pid, req->hdr.pid, false, image)) {
		kill(pid, SIGKILL);
		reap_one(pid);
		ret = ENOMEM;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (sync[i] >= 0)
			close(sync[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	free(sp.argv);
	free(sp.envp);
	return ret;
}
