// SPDX-License-Identifier: GPL-2.0
/*
 * The masquerade pid namespace (docs/ghosts.md). bpslave runs the
 * processes it starts for the master in a pid namespace of their own:
 * unshare(CLONE_NEWPID) makes bpslave's next child the namespace's pid 1,
 * a small reaper that does nothing but reap orphans, and every process
 * then gets the master's pid with clone3(set_tid) (spawn.c). Killing the
 * reaper kills everything in the namespace, which is how bpslave ends its
 * processes when the master goes away; the reaper also dies with bpslave
 * (a pipe whose only writer is bpslave, and PR_SET_PDEATHSIG), so a
 * killed bpslave takes its processes with it.
 *
 * The reaper also makes the namespace's mount namespace: the node's
 * mounts (as a slave: later node mounts reach it, its own do not leak
 * out) with /proc of the masquerade namespace on /proc. Every process
 * bpslave starts without files of its own joins it (jobns.c), so the
 * processes of one namespace share one mount namespace instead of each
 * making its own (a node has a bounded number: max_mnt_namespaces).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bpslave.h"

static void noop_handler(int sig)
{
}

/*
 * The namespace's mount namespace, made by its init (a proc mount shows
 * the pid namespace of the task that mounts it). Returns 0 or an errno.
 */
static int proc_mounts(void)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL))
		return errno;
	return 0;
}

/*
 * pid 1 of the masquerade namespace. @life is the read end of a pipe only
 * bpslave writes to: when bpslave is gone it reports POLLHUP and the
 * reaper exits, which kills every process in the namespace. On @ready it
 * reports whether its mount namespace is made (an errno, 0 when it is).
 */
static void __attribute__((noreturn)) reaper_main(int life, int ready)
{
	struct sigaction sa = { .sa_handler = noop_handler };
	struct pollfd pfd = { .fd = 3, .events = POLLIN };
	sigset_t none, chld;
	int err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "bpslave-init");
	if ((life != 3 && dup2(life, 3) != 3) ||
	    (ready != 4 && dup2(ready, 4) != 4))
		_exit(1);
	syscall(SYS_close_range, 5, ~0U, 0);
	err = proc_mounts();
	if (write(4, &err, sizeof(err)) != sizeof(err) || err)
		_exit(1);
	close(4);
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
	int life[2], ready[2], err = 0, ret;
	char path[64];
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
	if (pipe2(ready, O_CLOEXEC)) {
		ret = -errno;
		close(life[0]);
		close(life[1]);
		return ret;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(life[0]);
		close(life[1]);
		close(ready[0]);
		close(ready[1]);
		return ret;
	}
	if (pid == 0) {
		close(life[1]);
		close(ready[0]);
		reaper_main(life[0], ready[1]);
	}
	close(life[0]);
	close(ready[1]);
	if (read(ready[0], &err, sizeof(err)) != sizeof(err) && !err)
		err = EIO;	/* it died before it said */
	close(ready[0]);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if (s->proc_mnt_fd >= 0)
		close(s->proc_mnt_fd);
	s->proc_mnt_fd = err ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	if (!err && s->proc_mnt_fd < 0)
		err = errno;
	if (err) {
		/* not a namespace to run in: no init left to restart either */
		close(life[1]);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -err;
	}
	s->reaper = pid;
	s->reaper_fd = life[1];
	return 0;
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
	if (s->proc_mnt_fd >= 0)
		close(s->proc_mnt_fd);
	s->proc_mnt_fd = -1;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}
