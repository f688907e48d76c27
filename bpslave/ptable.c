// SPDX-License-Identifier: GPL-2.0
/*
 * The processes started for the master (docs/ghosts.md): bpslave's own
 * children (spawn.c) and the child processes they fork (FORK events of
 * the module's instance). This file keeps the table, collects their
 * exits, stops and continues (wait4), reads the /proc figures reported
 * to the master, and passes the master's signals and pid leases on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bpslave.h"

#define NS_PER_US	1000ull

void bps_proc_remove(struct bps *s, struct bps_proc *p)
{
	*p = s->procs[--s->nprocs];
	bps_status_changed(s);
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

int bps_proc_add(struct bps *s, pid_t outer, int32_t pid, bool child,
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
	bps_status_changed(s);
	return 0;
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
		    bps_proc_add(s, out->fork.node_pid, out->hdr.pid, true, 0))
			return -ENOMEM;
		break;
	case BPROC_MSG_EXIT:
		p = bps_proc_find(s, out->hdr.pid);
		if (p && p->child)
			bps_proc_remove(s, p);
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

/*
 * SIGTSTP, SIGTTIN and SIGTTOU stop a process by default, but not one in
 * an orphaned process group, and a process started here is one: its
 * session is its own, its parent is in another. On the master, where
 * the ghost's group is the terminal's job, the process would stop; so
 * it does here: a stop signal it neither catches, ignores nor blocks
 * becomes SIGSTOP. Reading /proc/PID/status can race with the process
 * changing its handlers; it then gets one or the other, as it might have.
 */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t len);

static bool stops_by_default(pid_t pid, int sig)
{
	unsigned long long ign = 0, cgt = 0, blk = 0, bit;
	char buf[2048], *l;
	ssize_t n;

	if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
		return false;
	n = read_proc(pid, "status", buf, sizeof(buf));
	if (n <= 0)
		return false;
	for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, "SigBlk:", 7))
			blk = strtoull(l + 7, NULL, 16);
		else if (!strncmp(l, "SigIgn:", 7))
			ign = strtoull(l + 7, NULL, 16);
		else if (!strncmp(l, "SigCgt:", 7))
			cgt = strtoull(l + 7, NULL, 16);
	}
	bit = 1ULL << (sig - 1);
	return !((ign | cgt | blk) & bit);
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
	if (stops_by_default(p->outer, sig.signo)) {
		int32_t stop = SIGSTOP;

		/* Reported to the master as the signal it sent (ptable.c). */
		if (!p->child)
			p->stop_as = sig.signo;
		sig.signo = stop;
		memcpy(sig.siginfo, &stop, sizeof(stop));	/* si_signo */
	}
	if (ioctl(s->bproc_fd, BPROC_IOC_SIGNAL, &sig))
		bps_log(s, "/dev/bproc: BPROC_IOC_SIGNAL %d to pid %d (%d here): %s",
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
 * namespace's reaper died, the namespace is started again. A process
 * still starting is only marked ended: relay.c reports it after its
 * REXEC_RESULT.
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
			bps_log(s, "the masquerade namespace's init (pid %d) died (status 0x%x): its processes are killed; starting a new namespace",
				pid, st);
			s->reaper = 0;
			close(s->reaper_fd);
			s->reaper_fd = -1;
			ret = bps_ns_start(s);
			if (ret)
				bps_log(s, "masquerade pid namespace: %s",
					strerror(-ret));
			continue;
		}
		p = proc_by_outer(s, pid);
		if (!p || p->child)
			continue;	/* not ours (a start that failed) */
		if (p->starting) {
			/*
			 * Its REXEC_RESULT is not out: it tells when it is,
			 * its exit or the stop it is in (a program that
			 * stops itself at once can stop before bpslave saw
			 * its execve).
			 */
			if (WIFSTOPPED(st))
				p->held_stop = WSTOPSIG(st);
			else if (WIFCONTINUED(st))
				p->held_stop = 0;
			if (WIFEXITED(st) || WIFSIGNALED(st)) {
				p->ended = true;
				p->status = st;
				p->utime_ns = tv_ns(&ru.ru_utime);
				p->stime_ns = tv_ns(&ru.ru_stime);
			}
			continue;
		}
		if (WIFSTOPPED(st)) {
			proc_hdr(out, BPROC_MSG_STOP, node, p->pid);
			out->signo = WSTOPSIG(st);
			if (out->signo == SIGSTOP && p->stop_as)
				out->signo = p->stop_as;	/* bps_signal() */
			p->stop_as = 0;
		} else if (WIFCONTINUED(st)) {
			p->stop_as = 0;
			proc_hdr(out, BPROC_MSG_CONT, node, p->pid);
		} else {
			proc_hdr(out, BPROC_MSG_EXIT, node, p->pid);
			out->exit.status = st;
			out->exit.utime_ns = tv_ns(&ru.ru_utime);
			out->exit.stime_ns = tv_ns(&ru.ru_stime);
			bps_proc_remove(s, p);
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
