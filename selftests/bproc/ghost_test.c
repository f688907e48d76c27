// SPDX-License-Identifier: GPL-2.0
/*
 * Ghosts, kernel side (docs/ghosts.md): BPROC_IOC_REXEC and the master
 * file's message protocol. The test plays bpmaster: it takes the master
 * role, marks node 0 up, lets a child call BPROC_IOC_REXEC, reads the
 * REXEC message the module queues and answers it as a node would
 * (REXEC_RESULT, PSTATUS, EXIT). It checks what the module sends (the
 * caller's identity, forwarded signals with their siginfo), what the
 * ghost shows (/proc) and how it ends (the exact wait status, SIGKILL
 * when its node goes down or the master file is closed).
 *
 * Run as root with bproc.ko loaded and no bpmaster running (every test
 * needs the master role; with another master they are skipped).
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/bproc.h>
#include <linux/sched.h>

#include "kselftest_harness.h"

#define DEV "/dev/bproc"
#define NOBODY 65534
#define MSG_BUF BPROC_MSG_MAX
#define HDR sizeof(struct bproc_msg_hdr)
/* Exit code of a child whose REXEC failed as it should: it went on. */
#define CHILD_WENT_ON 3

static int ioc(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static int node_up(int fd, int node, __u32 state, __u32 mode)
{
	struct bproc_node_info ni = {
		.size = sizeof(ni), .node = node, .state = state, .mode = mode,
	};

	return ioc(fd, BPROC_IOC_NODE_SET, &ni);
}

/*
 * In a child: REXEC @path with @argv/@envp on @node. On success the
 * child is a ghost and this never returns; on failure the errno goes to
 * @wfd and the child exits with CHILD_WENT_ON.
 */
static void __attribute__((noreturn))
child_rexec(int node, const char *path, char *const argv[],
	    char *const envp[], int wfd)
{
	struct bproc_rexec req = { .size = sizeof(req), .node = node };
	char buf[4096];
	size_t len = 0;
	int fd, i, err;

	len += sprintf(buf + len, "%s", path) + 1;
	for (i = 0; argv[i]; i++)
		len += sprintf(buf + len, "%s", argv[i]) + 1;
	req.argc = i;
	for (i = 0; envp[i]; i++)
		len += sprintf(buf + len, "%s", envp[i]) + 1;
	req.envc = i;
	req.buf_len = len;
	req.buf = (__u64)(uintptr_t)buf;

	fd = open(DEV, O_RDWR | O_CLOEXEC);
	err = fd < 0 ? errno : 0;
	if (!err && ioctl(fd, BPROC_IOC_REXEC, &req) < 0)
		err = errno;
	if (write(wfd, &err, sizeof(err)) != sizeof(err))
		_exit(1);
	_exit(CHILD_WENT_ON);
}

/* Read one message within 5 s; its size, or -errno. */
static ssize_t msg_read(int fd, void *buf)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	n = poll(&p, 1, 5000);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	n = read(fd, buf, MSG_BUF);
	return n < 0 ? -errno : n;
}

/* Write one node-side message; 0 or -errno. */
static int msg_write(int fd, __u16 type, int node, int pid, __u64 id,
		     const void *payload, size_t plen)
{
	char buf[8192];
	struct bproc_msg_hdr *h = (void *)buf;

	memset(buf, 0, sizeof(buf));
	h->size = HDR + plen;
	h->type = type;
	h->node = node;
	h->pid = pid;
	h->id = id;
	memcpy(buf + HDR, payload, plen);
	if (write(fd, buf, h->size) < 0)
		return -errno;
	return 0;
}

static int send_result(int fd, int node, int pid, __u64 id, __s32 error)
{
	return msg_write(fd, BPROC_MSG_REXEC_RESULT, node, pid, id, &error,
			 sizeof(error));
}

static int send_exit(int fd, int node, int pid, __s32 status)
{
	struct bproc_msg_exit ex = { .status = status };

	return msg_write(fd, BPROC_MSG_EXIT, node, pid, 0, &ex, sizeof(ex));
}

static int send_stop(int fd, int node, int pid, __s32 sig)
{
	return msg_write(fd, BPROC_MSG_STOP, node, pid, 0, &sig, sizeof(sig));
}

static int send_cont(int fd, int node, int pid)
{
	return msg_write(fd, BPROC_MSG_CONT, node, pid, 0, "", 0);
}

/* Wait up to 5 s for what waitpid(@options) reports of @pid; -1 if none. */
static int wait_change(pid_t pid, int options)
{
	int i, status;

	for (i = 0; i < 500; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG | options);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		usleep(10000);
	}
	return -1;
}

/* Wait for @pid to end, for up to 5 s; its status, or -1. */
static int wait_status(pid_t pid)
{
	return wait_change(pid, 0);
}

/* /proc/@pid/@file into @buf; its length, or -1. */
static ssize_t proc_read(pid_t pid, const char *file, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len);
	close(fd);
	return n;
}

/* Does /proc/@pid/status contain @line? */
static int status_has(pid_t pid, const char *line)
{
	char buf[4096];
	ssize_t n = proc_read(pid, "status", buf, sizeof(buf) - 1);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, line) != NULL;
}

/* A read() that does not wait: size or -errno. */
static ssize_t read_nonblock(int fd, void *buf)
{
	int fl = fcntl(fd, F_GETFL);
	ssize_t n;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	n = read(fd, buf, MSG_BUF);
	if (n < 0)
		n = -errno;
	fcntl(fd, F_SETFL, fl);
	return n;
}

FIXTURE(ghost) {
	int fd;			/* the master role */
	char *buf;		/* one message */
	int pipe[2];		/* REXEC errors from the child */
	pid_t child;
	__u64 id;		/* id of the child's REXEC */
};

FIXTURE_SETUP(ghost)
{
	struct bproc_master_cfg cfg = { .size = sizeof(cfg), .nodes = 4 };

	self->child = 0;
	self->buf = malloc(MSG_BUF);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, pipe2(self->pipe, O_CLOEXEC));
	self->fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	if (ioc(self->fd, BPROC_IOC_MASTER, &cfg) == -EBUSY)
		SKIP(return, "another file holds the master role (bpmaster?)");
	ASSERT_EQ(0, node_up(self->fd, 0, BPROC_NODE_UP, 0111));
}

FIXTURE_TEARDOWN(ghost)
{
	/* Closing the master file ends every ghost left (status SIGKILL). */
	if (self->fd >= 0)
		close(self->fd);
	if (self->child > 0)
		waitpid(self->child, NULL, 0);
	free(self->buf);
}

/* The state letter in /proc/@pid/stat, or 0. */
static char proc_state(pid_t pid)
{
	char buf[512], *p;
	ssize_t n = proc_read(pid, "stat", buf, sizeof(buf) - 1);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Wait up to 5 s for @pid to be in @state. */
static int wait_state(pid_t pid, char state)
{
	int i;

	for (i = 0; i < 500 && proc_state(pid) != state; i++)
		usleep(10000);
	return proc_state(pid) == state;
}

/* Wait up to 5 s for /proc/@pid/status to have @line. */
static bool wait_status_has(pid_t pid, const char *line)
{
	for (int i = 0; i < 500 && !status_has(pid, line); i++)
		usleep(10000);
	return status_has(pid, line);
}

/* Wait up to 5 s for /proc/@pid/cmdline to be the @len bytes at @want. */
static bool cmdline_is(pid_t pid, const char *want, ssize_t len)
{
	char buf[512];

	for (int i = 0; i < 500; i++) {
		if (proc_read(pid, "cmdline", buf, sizeof(buf)) == len &&
		    !memcmp(buf, want, len))
			return true;
		usleep(10000);
	}
	return false;
}

/* Wait up to 5 s for @pid to be gone (its ghost exited and was reaped). */
static bool gone(pid_t pid)
{
	for (int i = 0; i < 500 && kill(pid, 0) == 0; i++)
		usleep(10000);
	return kill(pid, 0) < 0 && errno == ESRCH;
}

enum start_how {
	START_PLAIN,
	START_BLOCK_USR1,	/* the caller blocks SIGUSR1 first */
	START_LOCAL_CHILD,	/* it leaves a child that stops, then dies */
};

/*
 * Fork a child that REXECs /bin/prog on @node in /tmp. START_LOCAL_CHILD:
 * it first forks a process that sends its pid over the pipe, waits
 * 300 ms (its parent is then a ghost) and stops itself.
 */
static pid_t start_how(FIXTURE_DATA(ghost) *self, int node,
		       enum start_how how)
{
	char *argv[] = { "prog", "arg one", NULL };
	char *envp[] = { "GHOST=1", "PATH=/bin", NULL };
	sigset_t usr1;
	pid_t pid = fork();

	if (pid == 0) {
		/* Only the test holds the master file, so closing it counts. */
		close(self->fd);
		if (chdir("/tmp"))
			_exit(1);
		if (how == START_BLOCK_USR1) {
			sigemptyset(&usr1);
			sigaddset(&usr1, SIGUSR1);
			sigprocmask(SIG_BLOCK, &usr1, NULL);
		}
		if (how == START_LOCAL_CHILD && fork() == 0) {
			pid = getpid();
			if (write(self->pipe[1], &pid, sizeof(pid)) < 0)
				_exit(1);
			usleep(300000);
			raise(SIGSTOP);
			_exit(0);
		}
		child_rexec(node, "/bin/prog", argv, envp, self->pipe[1]);
	}
	self->child = pid;
	return pid;
}

static pid_t start(FIXTURE_DATA(ghost) *self, int node)
{
	return start_how(self, node, START_PLAIN);
}

/* Read the child's REXEC message and check all of it. */
static int check_rexec(struct __test_metadata *_metadata,
		       FIXTURE_DATA(ghost) *self, int node)
{
	static const char strings[] =
		"/bin/prog\0prog\0arg one\0GHOST=1\0PATH=/bin";
	struct bproc_msg_hdr *h = (void *)self->buf;
	struct bproc_msg_rexec *r = (void *)(self->buf + HDR);
	gid_t groups[BPROC_NGROUPS_MAX];
	const char *p;
	__u32 *gids;
	ssize_t n;
	int i, ng;

	n = msg_read(self->fd, self->buf);
	ASSERT_LT(0, n) TH_LOG("no REXEC message: %zd", n);
	EXPECT_EQ(n, h->size);
	EXPECT_EQ(BPROC_MSG_REXEC, h->type);
	EXPECT_EQ(0, h->flags);
	EXPECT_EQ(node, h->node);
	EXPECT_EQ(self->child, h->pid);
	EXPECT_NE(0, h->id);
	self->id = h->id;

	EXPECT_EQ(getpid(), r->ppid);
	EXPECT_EQ(getpgrp(), r->pgid);
	EXPECT_EQ(getsid(0), r->sid);
	EXPECT_EQ(getuid(), r->uid);
	EXPECT_EQ(geteuid(), r->euid);
	EXPECT_EQ(getgid(), r->gid);
	EXPECT_EQ(getegid(), r->egid);
	ng = getgroups(BPROC_NGROUPS_MAX, groups);
	EXPECT_EQ(ng, r->ngroups);
	EXPECT_EQ(2, r->argc);
	EXPECT_EQ(2, r->envc);
	EXPECT_EQ(sizeof("/tmp"), r->cwd_len);
	EXPECT_EQ(sizeof(strings), r->buf_len);
	EXPECT_EQ(n, HDR + sizeof(*r) + r->ngroups * 4 + r->cwd_len +
		  r->buf_len);
	gids = (__u32 *)(r + 1);
	for (i = 0; i < ng && i < (int)r->ngroups; i++)
		EXPECT_EQ(groups[i], gids[i]);
	p = (const char *)(gids + r->ngroups);
	EXPECT_STREQ("/tmp", p);
	p += r->cwd_len;
	EXPECT_EQ(0, memcmp(strings, p, sizeof(strings)));
	return 0;
}

/* REXEC answered 0: the child is a ghost until the node says it ended. */
static void make_ghost(struct __test_metadata *_metadata,
		       FIXTURE_DATA(ghost) *self)
{
	ASSERT_LT(0, start(self, 0));
	check_rexec(_metadata, self, 0);
	ASSERT_EQ(0, send_result(self->fd, 0, self->child, self->id, 0));
	/* The ghost's /proc shows its node once it has turned. */
	wait_status_has(self->child, "BProcNode:\t0\n");
}

TEST_F(ghost, exit_status_exact)
{
	make_ghost(_metadata, self);
	EXPECT_TRUE(status_has(self->child, "BProcNode:\t0\n"));
	EXPECT_EQ(0, waitpid(self->child, NULL, WNOHANG));
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 42 << 8));
	EXPECT_EQ(42 << 8, wait_status(self->child));
	self->child = 0;
}


/*
 * Like execve(): the ghost's name is the program's, and /proc shows the
 * program's argv and envp (cmdline, environ), not its caller's.
 */
TEST_F(ghost, proc_shows_the_program)
{
	static const char args[] = "prog\0arg one";
	static const char env[] = "GHOST=1\0PATH=/bin";
	char buf[4096];
	ssize_t n;

	make_ghost(_metadata, self);
	n = proc_read(self->child, "comm", buf, sizeof(buf));
	EXPECT_EQ(5, n);
	EXPECT_EQ(0, memcmp(buf, "prog\n", 5));
	n = proc_read(self->child, "cmdline", buf, sizeof(buf));
	EXPECT_EQ(sizeof(args), n);
	EXPECT_EQ(0, memcmp(buf, args, sizeof(args)));
	n = proc_read(self->child, "environ", buf, sizeof(buf));
	EXPECT_EQ(sizeof(env), n);
	EXPECT_EQ(0, memcmp(buf, env, sizeof(env)));
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 0));
	EXPECT_EQ(0, wait_status(self->child));
	self->child = 0;
}

/* Whether @fd (a pipe's read end) is at end of file within @ms. */
static bool pipe_eof(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, ms) == 1 && read(fd, &c, 1) == 0;
}

/*
 * Like execve(): the ghost closes its close-on-exec descriptors and keeps
 * the others until it ends (bproc_vrexec() relies on the former). The
 * ghost holds the last reference to the write ends, so the close is
 * complete only once the pipe is released, which the kernel defers to
 * task work on the way to user space, where a ghost never goes.
 */
TEST_F(ghost, files_like_execve)
{
	int keep[2], cloexec[2];

	ASSERT_EQ(0, pipe(keep));
	ASSERT_EQ(0, pipe2(cloexec, O_CLOEXEC));
	ASSERT_LT(0, start(self, 0));
	close(keep[1]);
	close(cloexec[1]);
	check_rexec(_metadata, self, 0);
	ASSERT_EQ(0, send_result(self->fd, 0, self->child, self->id, 0));
	EXPECT_TRUE(pipe_eof(cloexec[0], 5000))
		TH_LOG("the ghost kept a close-on-exec descriptor");
	EXPECT_FALSE(pipe_eof(keep[0], 200))
		TH_LOG("the ghost closed a descriptor without close-on-exec");
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 0));
	EXPECT_EQ(0, wait_status(self->child));
	self->child = 0;
	EXPECT_TRUE(pipe_eof(keep[0], 5000));
	close(keep[0]);
	close(cloexec[0]);
}

/* Each ghost holds the module until its task is freed (reaped). */
TEST_F(ghost, zombie_holds_module)
{
	make_ghost(_metadata, self);
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 42 << 8));
	ASSERT_TRUE(wait_state(self->child, 'Z'));
	EXPECT_TRUE(status_has(self->child, "BProcNode:\t0\n"));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "bproc", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_EQ(42 << 8, wait_status(self->child));
	self->child = 0;
}

TEST_F(ghost, exit_killed_with_core)
{
	int status;

	make_ghost(_metadata, self);
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, SIGSEGV | 0x80));
	status = wait_status(self->child);
	self->child = 0;
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGSEGV, WTERMSIG(status));
	EXPECT_TRUE(WCOREDUMP(status));
}

static void check_signal(struct __test_metadata *_metadata,
			 FIXTURE_DATA(ghost) *self, int sig, int code,
			 int value)
{
	struct bproc_msg_hdr *h = (void *)self->buf;
	struct bproc_signal *s = (void *)(self->buf + HDR);
	siginfo_t si;
	ssize_t n;

	n = msg_read(self->fd, self->buf);
	ASSERT_EQ(HDR + sizeof(*s), n);
	EXPECT_EQ(BPROC_MSG_SIGNAL, h->type);
	EXPECT_EQ(0, h->node);
	EXPECT_EQ(self->child, h->pid);
	EXPECT_EQ(sizeof(*s), s->size);
	EXPECT_EQ(self->child, s->pid);
	EXPECT_EQ(sig, s->signo);
	memcpy(&si, s->siginfo, sizeof(si));
	EXPECT_EQ(sig, si.si_signo);
	EXPECT_EQ(code, si.si_code);
	EXPECT_EQ(getpid(), si.si_pid);
	EXPECT_EQ(getuid(), si.si_uid);
	if (code == SI_QUEUE)
		EXPECT_EQ(value, si.si_value.sival_int);
}

TEST_F(ghost, signals_forwarded_not_delivered)
{
	union sigval v = { .sival_int = 1234 };

	make_ghost(_metadata, self);

	ASSERT_EQ(0, kill(self->child, SIGUSR1));
	check_signal(_metadata, self, SIGUSR1, SI_USER, 0);
	ASSERT_EQ(0, sigqueue(self->child, SIGRTMIN + 1, v));
	check_signal(_metadata, self, SIGRTMIN + 1, SI_QUEUE, 1234);
	ASSERT_EQ(0, kill(self->child, SIGKILL));
	check_signal(_metadata, self, SIGKILL, SI_USER, 0);
	ASSERT_EQ(0, syscall(SYS_tgkill, self->child, self->child, SIGTERM));
	check_signal(_metadata, self, SIGTERM, SI_TKILL, 0);

	/* None of them acted on the ghost itself. */
	usleep(100000);
	EXPECT_EQ(0, waitpid(self->child, NULL, WNOHANG));
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, SIGTERM));
	EXPECT_EQ(SIGTERM, wait_status(self->child));
	self->child = 0;
}

/* A signal queued while the REXEC waited is the process's: forwarded. */
TEST_F(ghost, signal_while_waiting_forwarded)
{
	ASSERT_LT(0, start_how(self, 0, START_BLOCK_USR1));
	check_rexec(_metadata, self, 0);
	ASSERT_EQ(0, kill(self->child, SIGUSR1));
	usleep(50000);
	ASSERT_EQ(0, send_result(self->fd, 0, self->child, self->id, 0));
	check_signal(_metadata, self, SIGUSR1, SI_USER, 0);
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 0));
	EXPECT_EQ(0, wait_status(self->child));
	self->child = 0;
}

/* SIGCHLD about the ghost's local children mirrors them: not forwarded. */
TEST_F(ghost, local_sigchld_not_forwarded)
{
	pid_t local;

	ASSERT_LT(0, start_how(self, 0, START_LOCAL_CHILD));
	ASSERT_EQ(sizeof(local), read(self->pipe[0], &local, sizeof(local)));
	check_rexec(_metadata, self, 0);
	ASSERT_EQ(0, send_result(self->fd, 0, self->child, self->id, 0));
	ASSERT_TRUE(wait_state(local, 'T'));	/* CLD_STOPPED to the ghost */
	ASSERT_EQ(0, kill(local, SIGKILL));
	ASSERT_TRUE(wait_state(local, 'Z'));	/* CLD_KILLED to the ghost */
	usleep(50000);
	EXPECT_EQ(-EAGAIN, read_nonblock(self->fd, self->buf));
	EXPECT_EQ(0, waitpid(self->child, NULL, WNOHANG));
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 0));
	EXPECT_EQ(0, wait_status(self->child));
	self->child = 0;
}

TEST_F(ghost, proc_stat_from_pstatus)
{
	struct bproc_msg_pstatus ps = {
		.state = 'R', .threads = 3,
		.utime_ns = 5000000000ull, .stime_ns = 2000000000ull,
		.vsize = 123 * 4096, .rss = 45 * 4096,
	};
	char path[64], buf[1024], state;
	unsigned long ut, st, vsize, rss;
	long threads;
	FILE *f;

	make_ghost(_metadata, self);
	ASSERT_EQ(0, msg_write(self->fd, BPROC_MSG_PSTATUS, 0, self->child,
			       0, &ps, sizeof(ps)));
	snprintf(path, sizeof(path), "/proc/%d/stat", self->child);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	/* pid (comm) state ppid pgrp sid tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime prio nice threads
	 * itrealvalue starttime vsize rss
	 */
	ASSERT_EQ(6, sscanf(strrchr(buf, ')') + 2,
			    "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %ld %*d %*u %lu %lu",
			    &state, &ut, &st, &threads, &vsize, &rss));
	EXPECT_EQ('R', state);
	EXPECT_EQ(5 * sysconf(_SC_CLK_TCK), ut);
	EXPECT_EQ(2 * sysconf(_SC_CLK_TCK), st);
	EXPECT_EQ(3, threads);
	EXPECT_EQ(123 * 4096, vsize);
	EXPECT_EQ(45 * 4096 / getpagesize(), rss);
	/* ps reads RSS from status: its memory lines are the node's too. */
	EXPECT_TRUE(status_has(self->child, "VmSize:\t     492 kB\n"));
	EXPECT_TRUE(status_has(self->child, "VmRSS:\t     180 kB\n"));

	ps.state = '?';
	EXPECT_EQ(-EINVAL, msg_write(self->fd, BPROC_MSG_PSTATUS, 0,
				     self->child, 0, &ps, sizeof(ps)));
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 0));
	EXPECT_EQ(0, wait_status(self->child));
	self->child = 0;
}

TEST_F(ghost, exec_error_returns_to_caller)
{
	int err = 0;

	ASSERT_LT(0, start(self, 0));
	check_rexec(_metadata, self, 0);
	ASSERT_EQ(0, send_result(self->fd, 0, self->child, self->id, ENOENT));
	ASSERT_EQ(sizeof(err), read(self->pipe[0], &err, sizeof(err)));
	EXPECT_EQ(ENOENT, err);
	EXPECT_EQ(CHILD_WENT_ON << 8, wait_status(self->child));
	self->child = 0;
}

/*
 * STOP and CONT from the node stop and continue the ghost itself, so its
 * parent's waitpid(WUNTRACED/WCONTINUED) reports them with the signal.
 * Signals sent to a stopped ghost still go to the node, SIGCONT too: only
 * the node's CONT continues the ghost.
 */
TEST_F(ghost, stop_and_continue_reported)
{
	int status;

	make_ghost(_metadata, self);
	ASSERT_EQ(0, send_stop(self->fd, 0, self->child, SIGTSTP));
	status = wait_change(self->child, WUNTRACED);
	ASSERT_TRUE(status != -1 && WIFSTOPPED(status))
		TH_LOG("no stop reported (%#x)", status);
	EXPECT_EQ(SIGTSTP, WSTOPSIG(status));
	EXPECT_EQ('T', proc_state(self->child));

	ASSERT_EQ(0, kill(self->child, SIGCONT));
	check_signal(_metadata, self, SIGCONT, SI_USER, 0);
	usleep(100000);
	EXPECT_EQ(0, waitpid(self->child, &status, WNOHANG | WCONTINUED));
	EXPECT_EQ('T', proc_state(self->child));

	ASSERT_EQ(0, send_cont(self->fd, 0, self->child));
	status = wait_change(self->child, WCONTINUED);
	EXPECT_TRUE(status != -1 && WIFCONTINUED(status))
		TH_LOG("no continue reported (%#x)", status);
	EXPECT_TRUE(wait_state(self->child, 'S'));

	/* Again, with SIGSTOP. */
	ASSERT_EQ(0, send_stop(self->fd, 0, self->child, SIGSTOP));
	status = wait_change(self->child, WUNTRACED);
	EXPECT_TRUE(status != -1 && WIFSTOPPED(status) &&
		    WSTOPSIG(status) == SIGSTOP)
		TH_LOG("no SIGSTOP stop reported (%#x)", status);
	ASSERT_EQ(0, send_cont(self->fd, 0, self->child));
	status = wait_change(self->child, WCONTINUED);
	EXPECT_TRUE(status != -1 && WIFCONTINUED(status));

	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 3 << 8));
	EXPECT_EQ(3 << 8, wait_status(self->child));
	self->child = 0;
}

/*
 * A STOP right after the result, most likely before the child has turned
 * into the ghost: the ghost still stops (it catches up as it turns), and
 * the stop is not mistaken for a signal to forward to the node.
 */
TEST_F(ghost, stop_before_turning)
{
	int status;

	ASSERT_LT(0, start(self, 0));
	check_rexec(_metadata, self, 0);
	ASSERT_EQ(0, send_result(self->fd, 0, self->child, self->id, 0));
	ASSERT_EQ(0, send_stop(self->fd, 0, self->child, SIGTSTP));
	status = wait_change(self->child, WUNTRACED);
	ASSERT_TRUE(status != -1 && WIFSTOPPED(status))
		TH_LOG("no stop reported (%#x)", status);
	EXPECT_EQ(SIGTSTP, WSTOPSIG(status));
	EXPECT_EQ(-EAGAIN, read_nonblock(self->fd, self->buf));
	ASSERT_EQ(0, send_cont(self->fd, 0, self->child));
	status = wait_change(self->child, WCONTINUED);
	EXPECT_TRUE(status != -1 && WIFCONTINUED(status));
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 0));
	EXPECT_EQ(0, wait_status(self->child));
	self->child = 0;
}

/* A stopped process dies by SIGKILL: the stopped ghost exits likewise. */
TEST_F(ghost, stopped_ghost_killed)
{
	int status;

	make_ghost(_metadata, self);
	ASSERT_EQ(0, send_stop(self->fd, 0, self->child, SIGSTOP));
	status = wait_change(self->child, WUNTRACED);
	ASSERT_TRUE(status != -1 && WIFSTOPPED(status));
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, SIGKILL));
	/* The end is the next event: no continue first. */
	EXPECT_EQ(SIGKILL, wait_change(self->child, WUNTRACED | WCONTINUED));
	self->child = 0;
}

/*
 * Any other end of a stopped ghost comes with a continue first (which
 * waitpid() may not show if the exit is already there, as for a local
 * process continued and ended at once).
 */
TEST_F(ghost, stopped_ghost_exits)
{
	int status;

	make_ghost(_metadata, self);
	ASSERT_EQ(0, send_stop(self->fd, 0, self->child, SIGTTIN));
	status = wait_change(self->child, WUNTRACED);
	ASSERT_TRUE(status != -1 && WIFSTOPPED(status));
	EXPECT_EQ(SIGTTIN, WSTOPSIG(status));
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 5 << 8));
	status = wait_change(self->child, WCONTINUED);
	if (status != -1 && WIFCONTINUED(status))
		status = wait_status(self->child);
	EXPECT_EQ(5 << 8, status);
	self->child = 0;
}

TEST_F(ghost, node_down_kills_stopped_ghost)
{
	int status;

	make_ghost(_metadata, self);
	ASSERT_EQ(0, send_stop(self->fd, 0, self->child, SIGSTOP));
	status = wait_change(self->child, WUNTRACED);
	ASSERT_TRUE(status != -1 && WIFSTOPPED(status));
	ASSERT_EQ(0, node_up(self->fd, 0, BPROC_NODE_DOWN, 0111));
	EXPECT_EQ(SIGKILL, wait_status(self->child));
	self->child = 0;
}

TEST_F(ghost, node_down_kills_ghost)
{
	make_ghost(_metadata, self);
	ASSERT_EQ(0, node_up(self->fd, 0, BPROC_NODE_DOWN, 0111));
	EXPECT_EQ(SIGKILL, wait_status(self->child));
	self->child = 0;
	/* Messages about it are now refused. */
	EXPECT_EQ(-ESRCH, send_exit(self->fd, 0, 1, 0));
}

/*
 * Issue 10, point 6: what is queued for a node when it goes down is
 * dropped, never delivered to the node's next session: signals to a
 * ghost queued while the master does not read, the node down (the ghost
 * killed) and up again, and the queue holds nothing. (Before, the old
 * session's SIGNALs were read after the node came back.)
 */
TEST_F(ghost, queue_dropped_at_node_down)
{
	union sigval v = { .sival_int = 7 };

	make_ghost(_metadata, self);
	ASSERT_EQ(0, kill(self->child, SIGUSR1));
	ASSERT_EQ(0, sigqueue(self->child, SIGRTMIN + 2, v));
	usleep(50000);
	ASSERT_EQ(0, node_up(self->fd, 0, BPROC_NODE_DOWN, 0111));
	EXPECT_EQ(SIGKILL, wait_status(self->child));
	self->child = 0;
	ASSERT_EQ(0, node_up(self->fd, 0, BPROC_NODE_UP, 0111));
	EXPECT_EQ(-EAGAIN, read_nonblock(self->fd, self->buf))
		TH_LOG("a message of the node's old session was delivered");
}

TEST_F(ghost, master_close_kills_ghost)
{
	make_ghost(_metadata, self);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(SIGKILL, wait_status(self->child));
	self->child = 0;
}

TEST_F(ghost, node_down_while_waiting)
{
	int err = 0;

	ASSERT_LT(0, start(self, 0));
	check_rexec(_metadata, self, 0);
	/* Nothing but the result before the result. */
	EXPECT_EQ(-EINVAL, send_stop(self->fd, 0, self->child, SIGSTOP));
	EXPECT_EQ(-EINVAL, send_cont(self->fd, 0, self->child));
	EXPECT_EQ(-EINVAL, send_exit(self->fd, 0, self->child, 0));
	ASSERT_EQ(0, node_up(self->fd, 0, BPROC_NODE_DOWN, 0111));
	ASSERT_EQ(sizeof(err), read(self->pipe[0], &err, sizeof(err)));
	EXPECT_EQ(EHOSTDOWN, err);
	EXPECT_EQ(CHILD_WENT_ON << 8, wait_status(self->child));
	self->child = 0;
}

/* REXEC on @node as @uid (-1: as root): the child's errno. */
static int rexec_err(FIXTURE_DATA(ghost) *self, int node, uid_t uid)
{
	char *argv[] = { "prog", NULL };
	char *envp[] = { NULL };
	int err = -1, status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		close(self->fd);
		if (uid != (uid_t)-1 && (setgroups(0, NULL) ||
					 setgid(uid) || setuid(uid)))
			_exit(1);
		child_rexec(node, "/bin/prog", argv, envp, self->pipe[1]);
	}
	if (pid < 0 || read(self->pipe[0], &err, sizeof(err)) != sizeof(err))
		return -1;
	if (waitpid(pid, &status, 0) != pid || status != CHILD_WENT_ON << 8)
		return -1;
	return err;
}

TEST_F(ghost, node_checks)
{
	/* Node 1: up, owner root, execute for the owner only. */
	ASSERT_EQ(0, node_up(self->fd, 1, BPROC_NODE_UP, 0100));
	EXPECT_EQ(EACCES, rexec_err(self, 1, NOBODY));
	/* Node 2: up, everyone. */
	ASSERT_EQ(0, node_up(self->fd, 2, BPROC_NODE_UNAVAILABLE, 0111));
	EXPECT_EQ(EHOSTDOWN, rexec_err(self, 2, NOBODY));
	EXPECT_EQ(EHOSTDOWN, rexec_err(self, 3, -1));
	EXPECT_EQ(ENODEV, rexec_err(self, 4, -1));
	EXPECT_EQ(ENODEV, rexec_err(self, -5, -1));
	/* Nothing was queued for any of them. */
	EXPECT_EQ(-EAGAIN, read_nonblock(self->fd, self->buf));
}

TEST_F(ghost, bad_messages)
{
	__s32 e = 0;
	char small[8];

	make_ghost(_metadata, self);
	/* Wrong id, wrong node, bad errno, wrong size, unknown type. */
	EXPECT_EQ(-EINVAL, send_result(self->fd, 0, self->child, self->id, 0));
	EXPECT_EQ(-ESRCH, send_exit(self->fd, 1, self->child, 0));
	EXPECT_EQ(-EINVAL, send_exit(self->fd, 0, self->child, 0x137f));
	EXPECT_EQ(-EINVAL, msg_write(self->fd, BPROC_MSG_EXIT, 0, self->child,
				     0, &e, sizeof(e)));
	EXPECT_EQ(-EINVAL, msg_write(self->fd, 99, 0, self->child, 0, &e,
				     sizeof(e)));
	EXPECT_EQ(-EINVAL, msg_write(self->fd, BPROC_MSG_SIGNAL, 0,
				     self->child, 0, &e, sizeof(e)));
	EXPECT_EQ(-EINVAL, write(self->fd, small, sizeof(small)) < 0 ?
		  -errno : 0);
	/* A stop by a signal that does not stop; sizes; another node. */
	EXPECT_EQ(-EINVAL, send_stop(self->fd, 0, self->child, SIGUSR1));
	EXPECT_EQ(-EINVAL, send_stop(self->fd, 0, self->child, 0));
	EXPECT_EQ(-EINVAL, msg_write(self->fd, BPROC_MSG_STOP, 0, self->child,
				     0, "", 0));
	EXPECT_EQ(-EINVAL, msg_write(self->fd, BPROC_MSG_CONT, 0, self->child,
				     0, &e, sizeof(e)));
	EXPECT_EQ(-ESRCH, send_stop(self->fd, 1, self->child, SIGSTOP));
	usleep(10000);
	EXPECT_EQ(0, waitpid(self->child, NULL, WNOHANG | WUNTRACED));
	/* A read buffer too small for the next message. */
	ASSERT_EQ(0, kill(self->child, SIGUSR2));
	usleep(10000);
	EXPECT_EQ(-EINVAL, read(self->fd, small, sizeof(small)) < 0 ?
		  -errno : 0);
	check_signal(_metadata, self, SIGUSR2, SI_USER, 0);
	/* The ghost is unharmed and ends normally. */
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 7 << 8));
	EXPECT_EQ(7 << 8, wait_status(self->child));
	self->child = 0;
}

/* --- pid leases and forks on a node (docs/ghosts.md) ------------------- */

/*
 * Is @nr free in our pid namespace? clone3(set_tid) tells: 0 when a child
 * could take it (it is reaped at once), -EEXIST when some task has it or
 * it is reserved.
 */
static int pid_probe(pid_t nr)
{
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&nr,
		.set_tid_size = 1,
	};
	pid_t pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid == nr ? 0 : -EINVAL;
}

static int send_want(int fd, int node, __u32 count)
{
	return msg_write(fd, BPROC_MSG_PIDS_WANT, node, 0, 0, &count,
			 sizeof(count));
}

static int send_pids(int fd, __u16 type, int node, const int *nrs, int n)
{
	struct bproc_msg_pids p = { .count = n };

	memcpy(p.pids, nrs, n * sizeof(int));
	return msg_write(fd, type, node, 0, 0, &p, sizeof(p));
}

static int send_fork(int fd, int node, int pid, int ppid)
{
	struct bproc_msg_fork f = { .ppid = ppid };

	return msg_write(fd, BPROC_MSG_FORK, node, pid, 0, &f, sizeof(f));
}

/* PIDS_WANT for @n numbers; the PIDS the module answers, copied to @nrs. */
static int lease(struct __test_metadata *_metadata, FIXTURE_DATA(ghost) *self,
		 int node, int *nrs, int n)
{
	struct bproc_msg_hdr *h = (void *)self->buf;
	struct bproc_msg_pids *p = (void *)(self->buf + HDR);
	ssize_t len;

	EXPECT_EQ(0, send_want(self->fd, node, n));
	len = msg_read(self->fd, self->buf);
	EXPECT_EQ(HDR + sizeof(*p), len);
	EXPECT_EQ(BPROC_MSG_PIDS, h->type);
	EXPECT_EQ(node, h->node);
	EXPECT_EQ(0, h->pid);
	EXPECT_EQ(n, p->count);
	if (len != HDR + sizeof(*p) || p->count != n)
		return -1;
	memcpy(nrs, p->pids, n * sizeof(int));
	return 0;
}

/*
 * Numbers leased to a node are the master's no more: no fork here takes
 * them until the node hands them back, or is lost.
 */
TEST_F(ghost, lease_reserves_pids)
{
	int nrs[8], i;

	ASSERT_EQ(0, lease(_metadata, self, 0, nrs, 8));
	for (i = 0; i < 8; i++) {
		EXPECT_LT(1, nrs[i]);
		EXPECT_EQ(-1, kill(nrs[i], 0));
		EXPECT_EQ(-EEXIST, pid_probe(nrs[i])) TH_LOG("pid %d", nrs[i]);
	}
	/* Handed back: free again. Foreign numbers are ignored. */
	ASSERT_EQ(0, send_pids(self->fd, BPROC_MSG_PIDS_FREE, 0, nrs, 4));
	EXPECT_EQ(0, send_pids(self->fd, BPROC_MSG_PIDS_FREE, 1, nrs + 4, 4));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(i < 4 ? 0 : -EEXIST, pid_probe(nrs[i]))
			TH_LOG("pid %d", nrs[i]);
	/* The node lost: everything it held is free. */
	ASSERT_EQ(0, node_up(self->fd, 0, BPROC_NODE_DOWN, 0111));
	for (i = 4; i < 8; i++)
		EXPECT_EQ(0, pid_probe(nrs[i])) TH_LOG("pid %d", nrs[i]);
	/* A lease still queued when its node is lost never reaches it. */
	ASSERT_EQ(0, node_up(self->fd, 0, BPROC_NODE_UP, 0111));
	ASSERT_EQ(0, send_want(self->fd, 0, 4));
	ASSERT_EQ(0, node_up(self->fd, 0, BPROC_NODE_DOWN, 0111));
	EXPECT_EQ(-EAGAIN, read_nonblock(self->fd, self->buf));
	/* Bad lease messages. */
	EXPECT_EQ(-EINVAL, send_want(self->fd, 0, 0));
	EXPECT_EQ(-EINVAL, send_want(self->fd, 0, BPROC_PIDS_MAX + 1));
	EXPECT_EQ(-EINVAL, send_pids(self->fd, BPROC_MSG_PIDS_FREE, 0, nrs, 0));
	EXPECT_EQ(-EINVAL, msg_write(self->fd, BPROC_MSG_PIDS_WANT, 0, 5, 0,
				     &i, sizeof(i)));
}

/*
 * A FORK from the node: the parent's ghost forks the child's ghost with
 * the leased pid; it shows what the parent showed, forwards its signals,
 * ends with the child's EXIT (reaped here: the node's parent waits for
 * it), and its number stays reserved until the node frees it.
 */
TEST_F(ghost, fork_makes_child_ghost)
{
	char buf[512];
	int nrs[2];
	pid_t c;

	make_ghost(_metadata, self);
	ASSERT_EQ(0, lease(_metadata, self, 0, nrs, 2));
	c = nrs[0];
	/* Not leased, not a ghost's child, unknown parent. */
	EXPECT_EQ(-EINVAL, send_fork(self->fd, 0, getpid(), self->child));
	EXPECT_EQ(-EINVAL, send_fork(self->fd, 0, c, c));
	EXPECT_EQ(-EINVAL, send_fork(self->fd, 1, c, self->child));
	EXPECT_EQ(-ESRCH, send_fork(self->fd, 0, nrs[1], getpid()));
	/* ...whose process the node is told to kill. */
	ASSERT_LT(0, msg_read(self->fd, self->buf));
	EXPECT_EQ(BPROC_MSG_SIGNAL, ((struct bproc_msg_hdr *)self->buf)->type);
	EXPECT_EQ(nrs[1], ((struct bproc_msg_hdr *)self->buf)->pid);

	ASSERT_EQ(0, send_fork(self->fd, 0, c, self->child));
	EXPECT_EQ(-EINVAL, send_fork(self->fd, 0, c, self->child));
	ASSERT_TRUE(wait_status_has(c, "BProcNode:\t0\n"));
	snprintf(buf, sizeof(buf), "PPid:\t%d\n", self->child);
	EXPECT_TRUE(status_has(c, buf));
	EXPECT_TRUE(cmdline_is(c, "prog\0arg one", sizeof("prog\0arg one")));

	ASSERT_EQ(0, kill(c, SIGUSR1));
	ASSERT_LT(0, msg_read(self->fd, self->buf));
	EXPECT_EQ(BPROC_MSG_SIGNAL, ((struct bproc_msg_hdr *)self->buf)->type);
	EXPECT_EQ(c, ((struct bproc_msg_hdr *)self->buf)->pid);

	ASSERT_EQ(0, send_exit(self->fd, 0, c, 3 << 8));
	EXPECT_TRUE(gone(c)) TH_LOG("the child's ghost was not reaped");
	/* Its parent lives on; nothing went to the node about it. */
	EXPECT_EQ('S', proc_state(self->child));
	EXPECT_EQ(-EAGAIN, read_nonblock(self->fd, self->buf));
	/* The node has not freed the number yet: still reserved. */
	EXPECT_EQ(-EEXIST, pid_probe(c));
	ASSERT_EQ(0, send_pids(self->fd, BPROC_MSG_PIDS_FREE, 0, &c, 1));
	EXPECT_EQ(0, pid_probe(c));

	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 0));
	EXPECT_EQ(0, wait_status(self->child));
	self->child = 0;
}

static int send_exec(int fd, int node, int pid, const char *comm,
		     const char *args, size_t len, int argc)
{
	static struct bproc_msg_exec x;

	memset(&x, 0, sizeof(x));
	strcpy(x.comm, comm);
	x.argc = argc;
	x.len = len;
	memcpy(x.args, args, len);
	return msg_write(fd, BPROC_MSG_EXEC, node, pid, 0, &x, sizeof(x));
}

/*
 * EXEC: the process runs another program; its ghost shows that name and
 * those arguments (ps), its environment stays.
 */
TEST_F(ghost, exec_shows_the_program)
{
	static const char args[] = "sleep\0" "60";
	char buf[512];
	ssize_t n;

	make_ghost(_metadata, self);
	EXPECT_EQ(-EINVAL, send_exec(self->fd, 0, self->child, "sleep", args,
				     sizeof(args), 1));
	EXPECT_EQ(-EINVAL, send_exec(self->fd, 0, self->child, "sleep", args,
				     sizeof(args) - 1, 2));
	EXPECT_EQ(-ESRCH, send_exec(self->fd, 1, self->child, "sleep", args,
				    sizeof(args), 2));
	ASSERT_EQ(0, send_exec(self->fd, 0, self->child, "sleep", args,
			       sizeof(args), 2));
	EXPECT_TRUE(cmdline_is(self->child, args, sizeof(args)));
	n = proc_read(self->child, "comm", buf, sizeof(buf));
	EXPECT_EQ(6, n);
	EXPECT_EQ(0, memcmp(buf, "sleep\n", 6));
	n = proc_read(self->child, "environ", buf, sizeof(buf));
	EXPECT_EQ(sizeof("GHOST=1\0PATH=/bin"), n);
	EXPECT_EQ('S', proc_state(self->child));
	/* Again (a mapping replaces the last one), then the end. */
	ASSERT_EQ(0, send_exec(self->fd, 0, self->child, "true", "true", 5, 1));
	EXPECT_TRUE(cmdline_is(self->child, "true", 5));
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 0));
	EXPECT_EQ(0, wait_status(self->child));
	self->child = 0;
}

/* A FORK whose child ends before its ghost could be forked, then the parent. */
TEST_F(ghost, fork_then_exits_in_order)
{
	int nrs[2];

	make_ghost(_metadata, self);
	ASSERT_EQ(0, lease(_metadata, self, 0, nrs, 2));
	ASSERT_EQ(0, send_fork(self->fd, 0, nrs[0], self->child));
	ASSERT_EQ(0, send_fork(self->fd, 0, nrs[1], nrs[0]));
	ASSERT_EQ(0, send_exit(self->fd, 0, nrs[1], 0));
	ASSERT_EQ(0, send_exit(self->fd, 0, self->child, 9 << 8));
	EXPECT_EQ(9 << 8, wait_status(self->child));
	self->child = 0;
	/*
	 * The grandchild ended before its ghost ran: that ghost is gone, its
	 * number still reserved (the node has not freed it). The child's
	 * ghost lives on under init.
	 */
	EXPECT_TRUE(gone(nrs[1]));
	EXPECT_EQ(-EEXIST, pid_probe(nrs[1]));
	EXPECT_TRUE(status_has(nrs[0], "PPid:\t1\n"));
	ASSERT_EQ(0, send_exit(self->fd, 0, nrs[0], 0));
	EXPECT_TRUE(gone(nrs[0]));
}

/* --- the node side: a bpslave instance in its own pid namespace -------- */

static void *thread_tid(void *arg)
{
	*(pid_t *)arg = gettid();
	return NULL;
}

/* pid 1 of the namespace: fork twice, start a thread, fork once more. */
static int ns_init(int wfd)
{
	pid_t r[4], pid, tid = -1;
	pthread_t t;
	int i, st;

	for (i = 0; i < 2; i++) {
		pid = fork();
		if (pid == 0)
			_exit(5 + i);
		r[i] = pid;
		if (pid > 0)
			waitpid(pid, &st, 0);
	}
	if (!pthread_create(&t, NULL, thread_tid, &tid))
		pthread_join(t, NULL);
	r[2] = tid;
	pid = fork();
	if (pid == 0)
		_exit(0);
	r[3] = pid < 0 ? -errno : pid;
	if (write(wfd, r, sizeof(r)) != sizeof(r))
		return 1;
	return 0;
}

/* Read node events until one of @type; its size or -errno. */
static ssize_t read_event(int fd, char *buf, __u16 type)
{
	ssize_t n;

	for (int i = 0; i < 20; i++) {
		n = msg_read(fd, buf);
		if (n < 0 || ((struct bproc_msg_hdr *)buf)->type == type)
			return n;
	}
	return -ENOMSG;
}

/*
 * A node instance whose namespace has leased numbers: forks and threads
 * there take them (the last leased first), an empty lease fails a fork
 * with EAGAIN and asks for more, child processes are reported by FORK
 * and EXIT events with their exact status, freed numbers by PIDS_FREE.
 */
TEST(slave_forks_take_leased_pids)
{
	struct bproc_slave_cfg cfg = {
		.size = sizeof(cfg), .node = 2, .master_family = 2,
		.master_port = 2223, .master_addr = { 10, 0, 0, 1 },
	};
	char *buf = malloc(MSG_BUF);
	struct bproc_msg_hdr *h = (void *)buf;
	struct bproc_msg_fork *fk = (void *)(buf + HDR);
	struct bproc_msg_exit *ex = (void *)(buf + HDR);
	struct bproc_msg_pids *pp = (void *)(buf + HDR);
	int nrs[3] = { 4101, 4102, 4103 };
	int p[2], fd, st;
	pid_t init, r[4];

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pipe(p));
	init = fork();
	ASSERT_LE(0, init);
	if (init == 0) {
		/* The test's own process stays where it is: a child is bpslave. */
		if (unshare(CLONE_NEWPID))
			_exit(10);
		fd = open(DEV, O_RDWR | O_CLOEXEC);
		if (fd < 0 || ioc(fd, BPROC_IOC_SLAVE, &cfg))
			_exit(11);
		if (msg_read(fd, buf) != HDR + 4 || h->type != BPROC_MSG_PIDS_WANT ||
		    h->node != 2 || h->pid != 0)
			_exit(12);
		/* Not for this node, then three numbers. */
		if (send_pids(fd, BPROC_MSG_PIDS, 1, nrs, 3) != -EINVAL ||
		    send_pids(fd, BPROC_MSG_PIDS, 2, nrs, 3))
			_exit(13);
		init = fork();
		if (init == 0)
			_exit(ns_init(p[1]));
		if (init < 0 || waitpid(init, &st, 0) != init || st)
			_exit(14);
		/* Events: FORK, EXIT (5), FORK, EXIT (6), WANT, FREE. */
		if (read_event(fd, buf, BPROC_MSG_FORK) < 0 ||
		    h->pid != 4103 || fk->ppid != 1 || fk->node_pid <= 0)
			_exit(15);
		if (read_event(fd, buf, BPROC_MSG_EXIT) < 0 ||
		    h->pid != 4103 || ex->status != 5 << 8)
			_exit(16);
		if (read_event(fd, buf, BPROC_MSG_FORK) < 0 || h->pid != 4102 ||
		    read_event(fd, buf, BPROC_MSG_EXIT) < 0 ||
		    ex->status != 6 << 8)
			_exit(17);
		if (read_event(fd, buf, BPROC_MSG_PIDS_WANT) < 0)
			_exit(18);
		if (read_event(fd, buf, BPROC_MSG_PIDS_FREE) < 0 ||
		    pp->count < 3 || pp->pids[0] != 4103 ||
		    pp->pids[1] != 4102 || pp->pids[2] != 4101)
			_exit(19);
		_exit(0);
	}
	close(p[1]);
	EXPECT_EQ(sizeof(r), read(p[0], r, sizeof(r)));
	EXPECT_EQ(0, wait_status(init));
	EXPECT_EQ(4103, r[0]);
	EXPECT_EQ(4102, r[1]);
	EXPECT_EQ(4101, r[2]) TH_LOG("the thread's tid");
	EXPECT_EQ(-EAGAIN, r[3]) TH_LOG("a fork with the lease used up");
	close(p[0]);
	free(buf);
}

TEST(rexec_without_master)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);
	struct bproc_master_cfg cfg = { .size = sizeof(cfg), .nodes = 1 };
	char buf[] = "/bin/prog\0prog";
	struct bproc_rexec req = {
		.size = sizeof(req), .node = 0, .argc = 1,
		.buf_len = sizeof(buf), .buf = (__u64)(uintptr_t)buf,
	};
	int m;

	ASSERT_LE(0, fd);
	/* Make sure nobody holds the role: take it and let it go. */
	m = open(DEV, O_RDWR | O_CLOEXEC);
	if (ioc(m, BPROC_IOC_MASTER, &cfg) == -EBUSY)
		SKIP(return, "another file holds the master role");
	close(m);
	EXPECT_EQ(-ENOTCONN, ioc(fd, BPROC_IOC_REXEC, &req));
	req.flags = 1;
	EXPECT_EQ(-EINVAL, ioc(fd, BPROC_IOC_REXEC, &req));
	req.flags = 0;
	req.argc = 2;
	EXPECT_EQ(-EINVAL, ioc(fd, BPROC_IOC_REXEC, &req));
	req.argc = 1;
	req.buf_len = BPROC_REXEC_MAX + 1;
	EXPECT_EQ(-E2BIG, ioc(fd, BPROC_IOC_REXEC, &req));
	/* write is the master's; read of a file without a role is the
	 * change notifier (ctl_test.c). */
	EXPECT_EQ(-EPERM, write(fd, buf, sizeof(buf)) < 0 ? -errno : 0);
	close(fd);
}

TEST_HARNESS_MAIN
