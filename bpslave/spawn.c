// SPDX-License-Identifier: GPL-2.0
/*
 * Starting a process for the master (docs/ghosts.md, docs/bpsh.md).
 * bpslave only creates it: clone3() with the master's pid in the
 * masquerade namespace (ns.c) and BPROC_IOC_MASQ, so that getppid() there
 * is the master's parent; both are quick. Everything that may take long
 * (fetching a job's files, the mounts of its view, connecting its I/O to
 * bpsh, the caller's cwd on a slow file system, execve itself) happens in
 * the new process, and bpslave learns how it went from a close-on-exec
 * pipe: the errno of what failed, or end of file once execve worked. Its
 * loop never waits on a start (relay.c watches the pipe, with a timeout).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bpslave.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC	(1U << 2)
#endif

/* What the child needs, prepared before clone3. */
struct spawn {
	struct bps *s;
	const struct bp_msg_proc *req;
	const char *cwd;
	const char *path;
	char **argv;
	char **envp;
	bool has_job;
	bool tree_io;		/* its streams through bpslave's relay */
	int tree_fds[3];	/* the process's ends of them, or -1 */
	struct bps_jobctx jc;
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

/* Tell bpslave what failed (struct bps_start_err), and die. */
static void __attribute__((noreturn, format(printf, 3, 4)))
child_fail(int fd, int err, const char *fmt, ...)
{
	struct bps_start_err e = { .err = err };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.what, sizeof(e.what), fmt, ap);
	va_end(ap);
	if (write(fd, &e, sizeof(e)) < 0) {
		/* The parent then sees EOF and a dead child: reported as EIO. */
	}
	_exit(127);
}

/* fd @target from @fd (closed), or -errno. */
static int move_fd(int fd, int target)
{
	if (fd < 0)
		return fd;
	/* a socket made CLOEXEC that is already there: dup2() would clear it */
	if (fd == target)
		return fcntl(fd, F_SETFD, 0) ? -errno : 0;
	if (dup2(fd, target) != target) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

/*
 * The standard streams of the job: connections to bpsh for the ones it
 * forwards (or, through the tree, socketpairs to bpslave's relay),
 * files of the node for -I/-O/-E (opened with the caller's identity, so
 * with its rights), /dev/null for the rest.
 */
static int stdio_connect(const struct spawn *sp, int fds[3])
{
	static const uint32_t flag[3] = {
		BPROC_JOB_STDIN, BPROC_JOB_STDOUT, BPROC_JOB_STDERR,
	};

	for (int i = 0; i < 3; i++) {
		fds[i] = -1;
		if (sp->tree_io) {
			fds[i] = sp->tree_fds[i];
		} else if (sp->has_job && (sp->jc.job.flags & flag[i])) {
			fds[i] = bps_io_connect(&sp->jc, (uint32_t)i);
			if (fds[i] < 0)
				return fds[i];
		}
	}
	return 0;
}

static int stdio_files(const struct spawn *sp, int fds[3])
{
	const struct bproc_job *j = &sp->jc.job;
	const char *path[3] = {
		sp->has_job ? j->stdin_path : "", sp->has_job ? j->stdout_path : "",
		sp->has_job ? j->stderr_path : "",
	};
	int ret;

	for (int i = 0; i < 3; i++) {
		int fd = fds[i];

		if (fd < 0 && path[i][0])
			fd = open(path[i], i ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY,
				  0666);
		else if (fd < 0)
			fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			return -errno;
		ret = move_fd(fd, i);
		if (ret)
			return ret;
	}
	return 0;
}

/* The new process, in the masquerade namespace, between clone3 and exec. */
static void __attribute__((noreturn)) child_main(struct spawn *sp)
{
	const struct bproc_msg_rexec *r = &sp->req->rexec;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct bp_job_entry *files = NULL;
	struct bps_cache cache = { .dirfd = -1 };
	uint8_t *mbuf = NULL;
	size_t nfiles = 0;
	char why[160];
	int fds[3], ret;
	sigset_t none;
	char go;

	close(sp->sync_wr);
	close(sp->err_rd);
	/* Keep the err pipe away from fds 0-2, which the job's streams take. */
	if (sp->err_wr <= 2) {
		int fd = fcntl(sp->err_wr, F_DUPFD_CLOEXEC, 3);

		if (fd < 0)
			_exit(127);
		close(sp->err_wr);
		sp->err_wr = fd;
	}
	if (read(sp->sync_rd, &go, 1) != 1)
		_exit(127);	/* bpslave gave up on us */
	close(sp->sync_rd);
	setsid();
	/* Until it execs, this is root's work, not the caller's to inspect. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	if (sp->has_job && (sp->jc.job.flags & BPROC_JOB_FILES)) {
		ret = bps_cache_open(&cache, sp->s->cache_dir, sp->jc.node,
				     sp->s->cache_size);
		if (ret)
			child_fail(sp->err_wr, -ret, "cache %s: %s",
				   sp->s->cache_dir, strerror(-ret));
		ret = bps_fetch_job(&sp->jc, &cache, &mbuf, &files, &nfiles);
		if (ret)
			child_fail(sp->err_wr, -ret, "fetching its files: %s",
				   strerror(-ret));
	}
	/* Mounts hold the objects now: the cache's lock may go. */
	ret = bps_jobns_enter(&cache, files, nfiles, r->euid != 0, sp->cwd,
			      sp->s->proc_mnt_fd, why, sizeof(why));
	if (cache.dirfd >= 0) {
		bps_cache_unlock(&cache);
		bps_cache_close(&cache);
	}
	if (ret)
		child_fail(sp->err_wr, -ret, "its mount namespace: %s", why);
	ret = stdio_connect(sp, fds);
	if (ret)
		child_fail(sp->err_wr, -ret, "connecting its I/O to bpsh: %s",
			   strerror(-ret));
	ret = bps_ident_apply(r, sp->req->gids);
	if (ret)
		child_fail(sp->err_wr, -ret, "the caller's identity: %s",
			   strerror(-ret));
	ret = stdio_files(sp, fds);
	if (ret)
		child_fail(sp->err_wr, -ret, "its -I/-O/-E files: %s",
			   strerror(-ret));
	if (chdir(sp->cwd) && chdir("/"))
		child_fail(sp->err_wr, errno, "chdir /: %s", strerror(errno));
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);	/* EINVAL for KILL/STOP: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(sp->path, sp->argv, sp->envp);
	child_fail(sp->err_wr, errno, "execve %s: %s", sp->path,
		   strerror(errno));
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
 * Start the process a REXEC asks for. On success it is in the table,
 * starting, and *@err_fd is the read end of its pipe (non-blocking): end
 * of file once it runs the program, else the positive errno of what
 * failed. Returns 0, or a positive errno for REXEC_RESULT at once.
 */
int32_t bps_spawn(struct bps *s, int32_t node, const struct bp_msg_proc *req,
		  int *err_fd)
{
	const struct bproc_msg_rexec *r = &req->rexec;
	struct spawn sp = { .s = s, .req = req, .tree_fds = { -1, -1, -1 } };
	int sync[2] = { -1, -1 }, err[2] = { -1, -1 };
	int32_t ret = 0;
	const char *p, *args;
	uint64_t image;
	pid_t pid;
	int e;

	if (bps_proc_find(s, req->hdr.pid))
		return EEXIST;
	if (s->reaper <= 0)
		return EAGAIN;	/* no namespace: bps_ns_start() failed */
	if (r->job_len) {
		if (bp_job_decode(req->job, r->job_len, &sp.jc.job) ||
		    bp_job_tree_decode(req->job, r->job_len, &sp.jc.tree))
			return EINVAL;	/* the caller's bytes: refused here */
		/* the nodes below this one in bpsh's tree fetch from here */
		if (sp.jc.job.flags & BPROC_JOB_FILES)
			bps_seed_add(s, &sp.jc.job, req->hdr.pid);
		sp.has_job = true;
		sp.jc.master = s->master;
		sp.jc.node = node;
	}
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
	/*
	 * Made here, in bpslave's loop: the relay serves the ranks below
	 * this one even when this start fails (it then sees its ends hang
	 * up, and ends once they are served).
	 */
	if (sp.has_job && (sp.jc.tree.flags & BP_JOB_TREE_IO) &&
	    (sp.jc.job.flags & (BPROC_JOB_STDIN | BPROC_JOB_STDOUT |
				BPROC_JOB_STDERR))) {
		e = bps_iotree_spawn(s, &sp.jc, sp.tree_fds);
		if (e) {
			ret = -e;
			goto out;
		}
		sp.tree_io = true;
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
	if (bps_proc_add(s, pid, req->hdr.pid, false, image)) {
		kill(pid, SIGKILL);
		reap_one(pid);
		ret = ENOMEM;
		goto out;
	}
	bps_proc_find(s, req->hdr.pid)->starting = true;
	if (write(sync[1], "", 1) != 1) {
		ret = errno;
		kill(pid, SIGKILL);	/* reaped by the loop, as it is ours */
		bps_proc_remove(s, bps_proc_find(s, req->hdr.pid));
		goto out;
	}
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	*err_fd = err[0];
	err[0] = -1;
out:
	for (int i = 0; i < 2; i++) {
		if (sync[i] >= 0)
			close(sync[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	for (int i = 0; i < 3; i++)	/* the process has its own */
		if (sp.tree_fds[i] >= 0)
			close(sp.tree_fds[i]);
	free(sp.argv);
	free(sp.envp);
	return ret;
}
