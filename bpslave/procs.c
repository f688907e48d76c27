// SPDX-License-Identifier: GPL-2.0
/*
 * Processes started for the master (docs/ghosts.md).
 *
 * bpslave runs them in a pid namespace of their own, the masquerade
 * namespace: unshare(CLONE_NEWPID) makes bpslave's next child the
 * namespace's pid 1, a small reaper that does nothing but reap orphans,
 * and every process then gets the master's pid with clone3(set_tid).
 * Killing the reaper kills everything in the namespace, which is how
 * bpslave ends its processes when the master goes away; the reaper also
 * dies with bpslave (a pipe whose only writer is bpslave, and
 * PR_SET_PDEATHSIG), so a killed bpslave takes its processes with it.
 *
 * The processes are bpslave's own children: it reports their exit, stop
 * and continue (wait4) and their /proc/PID/stat figures to the master.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bpslave.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC	(1U << 2)
#endif

#define NS_PER_US	1000ull

static void noop_handler(int sig)
{
}

/*
 * pid 1 of the masquerade namespace. @life is the read end of a pipe only
 * bpslave writes to: when bpslave is gone it reports POLLHUP and the
 * reaper exits, which kills every process in the namespace.
 */
static void __attribute__((noreturn)) reaper_main(int life)
{
	struct sigaction sa = { .sa_handler = noop_handler };
	struct pollfd pfd = { .fd = 3, .events = POLLIN };
	sigset_t none, chld;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "bpslave-init");
	if (life != 3 && dup2(life, 3) != 3)
		_exit(1);
	syscall(SYS_close_range, 4, ~0U, 0);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (ppoll(&pfd, 1, NULL, &none) > 0 && pfd.revents)
			_exit(0);
	}
}

int bps_ns_start(struct bps *s)
{
	int life[2], ret;
	pid_t pid;

	if (s->own_ns_fd < 0) {
		s->own_ns_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (s->own_ns_fd < 0)
			return -errno;
	} else if (setns(s->own_ns_fd, CLONE_NEWPID)) {
		/* Back to our own namespace for children, to make a new one. */
		return -errno;
	}
	if (unshare(CLONE_NEWPID))
		return -errno;
	if (pipe2(life, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(life[0]);
		close(life[1]);
		return ret;
	}
	if (pid == 0) {
		close(life[1]);
		reaper_main(life[0]);
	}
	close(life[0]);
	s->reaper = pid;
	s->reaper_fd = life[1];
	return 0;
}

static void proc_remove(struct bps *s, struct bps_proc *p)
{
	*p = s->procs[--s->nprocs];
}

/*
 * Kill every process of the namespace and the namespace itself, and reap
 * them all. The reaper's exit waits until bpslave has reaped its own
 * children in the namespace, so those are reaped first.
 */
void bps_ns_stop(struct bps *s)
{
	for (size_t i = 0; i < s->nprocs; i++)
		kill(s->procs[i].outer, SIGKILL);
	if (s->reaper > 0)
		kill(s->reaper, SIGKILL);
	for (size_t i = 0; i < s->nprocs; i++)
		while (waitpid(s->procs[i].outer, NULL, 0) < 0 && errno == EINTR)
			;
	s->nprocs = 0;
	if (s->reaper > 0)
		while (waitpid(s->reaper, NULL, 0) < 0 && errno == EINTR)
			;
	s->reaper = 0;
	if (s->reaper_fd >= 0)
		close(s->reaper_fd);
	s->reaper_fd = -1;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

struct bps_proc *bps_proc_find(struct bps *s, int32_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

static struct bps_proc *proc_by_outer(struct bps *s, pid_t outer)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].outer == outer)
			return &s->procs[i];
	return NULL;
}

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

static int add_proc(struct bps *s, pid_t outer, int32_t pid, bool child,
		    uint64_t image)
{
	if (s->nprocs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct bps_proc *p = realloc(s->procs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->procs = p;
		s->cap = cap;
	}
	s->procs[s->nprocs++] = (struct bps_proc){
		.outer = outer, .pid = pid, .child = child, .image = image,
	};
	return 0;
}

static void reap_one(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * What a process shows on the master as its program: comm and cmdline
 * (FNV-1a). Only compared with itself, to tell when to send an EXEC.
 */
uint64_t bps_image_hash(const char *comm, const char *args, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t n = strnlen(comm, 15);

	for (size_t i = 0; i < n + 1 + len; i++) {
		uint8_t c = i < n ? (uint8_t)comm[i] : i == n ? 0 :
			    (uint8_t)args[i - n - 1];

		h = (h ^ c) * 0x100000001b3ull;
	}
	return h;
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
		bps_log("/dev/bproc: BPROC_IOC_MASQ for pid %d (%d here): %s",
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
	if (add_proc(s, pid, req->hdr.pid, false, image)) {
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

/*
 * Read one event of the module's instance (docs/ghosts.md, "Fork and
 * threads on a node"): FORK and EXIT of child processes, which also keep
 * the table of processes up to date, PIDS_WANT and PIDS_FREE. Returns 1
 * with @out filled in, 0 when none is queued, or -errno.
 */
int bps_event(struct bps *s, struct bp_msg_proc *out)
{
	uint8_t buf[512];
	struct bps_proc *p;
	ssize_t n;
	int ret;

	n = read(s->bproc_fd, buf, sizeof(buf));
	/* EPERM: not registered yet (no session), so no events. */
	if (n < 0)
		return errno == EAGAIN || errno == EINTR || errno == EPERM ?
		       0 : -errno;
	ret = bp_proc_parse(buf, (size_t)n, out);
	if (ret)
		return ret;
	switch (out->hdr.type) {
	case BPROC_MSG_FORK:
		if (!bps_proc_find(s, out->hdr.pid) &&
		    add_proc(s, out->fork.node_pid, out->hdr.pid, true, 0))
			return -ENOMEM;
		break;
	case BPROC_MSG_EXIT:
		p = bps_proc_find(s, out->hdr.pid);
		if (p && p->child)
			proc_remove(s, p);
		break;
	case BPROC_MSG_PIDS_WANT:
	case BPROC_MSG_PIDS_FREE:
		break;
	default:
		return -EBADMSG;
	}
	return 1;
}

/* Hand the module the pid numbers the master leased us. */
int bps_lease(struct bps *s, const struct bp_msg_proc *pids)
{
	uint8_t buf[512];
	ssize_t n = bp_proc_build(pids, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (write(s->bproc_fd, buf, (size_t)n) != n)
		return -errno;
	return 0;
}

/* Deliver a signal the master's ghost received. */
void bps_signal(struct bps *s, const struct bp_msg_proc *req)
{
	struct bps_proc *p = bps_proc_find(s, req->hdr.pid);
	struct bproc_signal sig;

	if (!p)
		return;		/* it exited meanwhile; its EXIT is on the way */
	sig = req->signal;
	sig.size = sizeof(sig);
	sig.pid = p->outer;
	if (ioctl(s->bproc_fd, BPROC_IOC_SIGNAL, &sig))
		bps_log("/dev/bproc: BPROC_IOC_SIGNAL %d to pid %d (%d here): %s",
			sig.signo, req->hdr.pid, (int)p->outer,
			strerror(errno));
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ull +
	       (uint64_t)tv->tv_usec * NS_PER_US;
}

static void proc_hdr(struct bp_msg_proc *out, uint16_t type, int32_t node,
		     int32_t pid)
{
	memset(out, 0, sizeof(*out));
	out->hdr.type = type;
	out->hdr.node = node;
	out->hdr.pid = pid;
}

/*
 * Collect one child event. Returns 1 with @out filled in (EXIT, STOP or
 * CONT of a process), 0 when there is nothing more to collect. When the
 * namespace's reaper died, the namespace is started again.
 */
int bps_reap(struct bps *s, int32_t node, struct bp_msg_proc *out)
{
	for (;;) {
		struct bps_proc *p;
		struct rusage ru;
		int st, ret;
		pid_t pid;

		pid = wait4(-1, &st, WNOHANG | WUNTRACED | WCONTINUED, &ru);
		if (pid <= 0)
			return 0;
		if (pid == s->reaper) {
			if (!WIFEXITED(st) && !WIFSIGNALED(st))
				continue;
			bps_log("the masquerade namespace's init (pid %d) died (status 0x%x): its processes are killed; starting a new namespace",
				pid, st);
			s->reaper = 0;
			close(s->reaper_fd);
			s->reaper_fd = -1;
			ret = bps_ns_start(s);
			if (ret)
				bps_log("masquerade pid namespace: %s",
					strerror(-ret));
			continue;
		}
		p = proc_by_outer(s, pid);
		if (!p || p->child)
			continue;	/* not ours (cannot happen) */
		if (WIFSTOPPED(st)) {
			proc_hdr(out, BPROC_MSG_STOP, node, p->pid);
			out->signo = WSTOPSIG(st);
		} else if (WIFCONTINUED(st)) {
			proc_hdr(out, BPROC_MSG_CONT, node, p->pid);
		} else {
			proc_hdr(out, BPROC_MSG_EXIT, node, p->pid);
			out->exit.status = st;
			out->exit.utime_ns = tv_ns(&ru.ru_utime);
			out->exit.stime_ns = tv_ns(&ru.ru_stime);
			proc_remove(s, p);
		}
		out->hdr.size = (uint32_t)bp_proc_size(out);
		return 1;
	}
}

/* /proc/@pid/@name into @buf (NUL-terminated); its length or -errno. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/*
 * EXEC for the @i-th process when its comm or cmdline changed since the
 * master last heard (it ran another program): 1 with @out filled in, 0
 * when unchanged or unreadable (gone, or a zombie, whose cmdline is empty).
 */
int bps_exec(struct bps *s, size_t i, int32_t node, struct bp_msg_proc *out)
{
	struct bps_proc *p = &s->procs[i];
	struct bproc_msg_exec *x = &out->exec;
	char comm[32], *last;
	uint64_t h;
	ssize_t n;

	n = read_proc(p->outer, "comm", comm, sizeof(comm));
	if (n <= 0)
		return 0;
	comm[strcspn(comm, "\n")] = '\0';
	proc_hdr(out, BPROC_MSG_EXEC, node, p->pid);
	snprintf(x->comm, sizeof(x->comm), "%.15s", comm);
	n = read_proc(p->outer, "cmdline", x->args, sizeof(x->args));
	if (n <= 0)
		return 0;
	/* Whole strings only; a cmdline rewritten without its NUL gets one. */
	if (x->args[n - 1] != '\0') {
		if ((size_t)n < sizeof(x->args) - 1) {
			x->args[n++] = '\0';
		} else {
			last = memrchr(x->args, '\0', (size_t)n);
			if (!last)
				return 0;
			n = last - x->args + 1;
		}
	}
	memset(x->args + n, 0, sizeof(x->args) - (size_t)n);
	h = bps_image_hash(x->comm, x->args, (size_t)n);
	if (h == p->image)
		return 0;
	x->len = (uint32_t)n;
	for (ssize_t k = 0; k < n; k++)
		x->argc += !x->args[k];
	out->hdr.size = (uint32_t)bp_proc_size(out);
	p->image = h;
	return 1;
}

/*
 * PSTATUS of the @i-th process from /proc: stat, and the resident set
 * from status, as ps shows it. -errno when it is gone.
 */
int bps_pstatus(struct bps *s, size_t i, int32_t node, struct bp_msg_proc *out)
{
	struct bps_proc *p = &s->procs[i];
	char buf[4096];
	uint64_t rss;
	ssize_t n;
	int ret;

	n = read_proc(p->outer, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	proc_hdr(out, BPROC_MSG_PSTATUS, node, p->pid);
	ret = bps_parse_pid_stat(buf, sysconf(_SC_CLK_TCK),
				 sysconf(_SC_PAGESIZE), &out->pstatus);
	if (ret)
		return ret;
	if (read_proc(p->outer, "status", buf, sizeof(buf)) > 0 &&
	    !bps_parse_vmrss(buf, &rss))
		out->pstatus.rss = rss;
	out->hdr.size = (uint32_t)bp_proc_size(out);
	p->state = (char)out->pstatus.state;
	return 0;
}
