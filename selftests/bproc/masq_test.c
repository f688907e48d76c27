// SPDX-License-Identifier: GPL-2.0
/*
 * The node side of ghosts (docs/ghosts.md, step 3 and 6): a node-side
 * instance (BPROC_IOC_SLAVE) registers a child with BPROC_IOC_MASQ, after
 * which getppid() in the child returns the master's ppid, and delivers
 * forwarded signals with BPROC_IOC_SIGNAL, siginfo included. The test
 * plays bpslave; run as root with bproc.ko loaded. Each test runs twice:
 * with the child in the test's pid namespace, and in a pid namespace of
 * its own as bpslave runs processes, where the siginfo (si_pid above
 * all) must still arrive exactly as the master's sender made it.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/bproc.h>

#include "kselftest_harness.h"

#define DEV "/dev/bproc"
#define MASTER_PPID 4242

static int ioc(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static int masq(int fd, pid_t pid, pid_t ppid)
{
	struct bproc_masq m = { .size = sizeof(m), .pid = pid, .ppid = ppid };

	return ioc(fd, BPROC_IOC_MASQ, &m);
}

static int sig(int fd, pid_t pid, int signo, const siginfo_t *si)
{
	struct bproc_signal s = { .size = sizeof(s), .pid = pid,
				  .signo = signo };

	memcpy(s.siginfo, si, sizeof(*si));
	return ioc(fd, BPROC_IOC_SIGNAL, &s);
}

/* What the child's handler saw, sent back over a pipe. */
struct seen {
	int signo, code, pid, uid, value;
};

static int report_fd = -1;

static void handler(int signo, siginfo_t *si, void *uc)
{
	struct seen s = {
		.signo = si->si_signo, .code = si->si_code, .pid = si->si_pid,
		.uid = si->si_uid, .value = si->si_value.sival_int,
	};

	if (write(report_fd, &s, sizeof(s)) != sizeof(s))
		_exit(2);
}

FIXTURE(masq) {
	int fd;			/* the node-side instance */
	int go[2];		/* test -> child: registered */
	int rep[2];		/* child -> test: getppid(), then signals */
	pid_t child;
};

FIXTURE_VARIANT(masq) {
	bool own_pidns;
};

FIXTURE_VARIANT_ADD(masq, same_pidns) {
	.own_pidns = false,
};

FIXTURE_VARIANT_ADD(masq, own_pidns) {
	.own_pidns = true,
};

static void *thread_ppid(void *arg)
{
	pid_t ppid = getppid();

	if (write(report_fd, &ppid, sizeof(ppid)) != sizeof(ppid))
		_exit(1);
	return NULL;
}

FIXTURE_SETUP(masq)
{
	struct bproc_slave_cfg cfg = {
		.size = sizeof(cfg), .node = 3, .master_family = AF_INET,
		.master_port = BPROC_DEFAULT_PORT,
	};
	struct sigaction sa = { .sa_sigaction = handler,
				.sa_flags = SA_SIGINFO };
	pthread_t t;
	pid_t ppid;
	char c;

	inet_pton(AF_INET, "10.0.0.1", cfg.master_addr);
	self->fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioc(self->fd, BPROC_IOC_SLAVE, &cfg));
	ASSERT_EQ(0, pipe(self->go));
	ASSERT_EQ(0, pipe(self->rep));
	/* The next child is the namespace's pid 1; 2 for its own child. */
	if (variant->own_pidns)
		ASSERT_EQ(0, unshare(CLONE_NEWPID));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(self->fd);
		report_fd = self->rep[1];
		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGRTMIN + 2, &sa, NULL);
		if (read(self->go[0], &c, 1) != 1)
			_exit(1);
		ppid = getppid();
		if (write(report_fd, &ppid, sizeof(ppid)) != sizeof(ppid))
			_exit(1);
		/* A child of a masqueraded process sees its real parent. */
		if (fork() == 0) {
			ppid = getppid();
			if (write(report_fd, &ppid, sizeof(ppid)) != sizeof(ppid))
				_exit(1);
			_exit(0);
		}
		wait(NULL);
		/* ...and each of its threads the master's ppid. */
		pthread_create(&t, NULL, thread_ppid, NULL);
		pthread_join(t, NULL);
		for (;;)
			pause();
	}
}

FIXTURE_TEARDOWN(masq)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	close(self->fd);
}

TEST_F(masq, getppid_and_signals)
{
	struct seen s;
	siginfo_t si;
	pid_t ppid;

	ASSERT_EQ(0, masq(self->fd, self->child, MASTER_PPID));
	EXPECT_EQ(-EBUSY, masq(self->fd, self->child, MASTER_PPID));
	ASSERT_EQ(1, write(self->go[1], "g", 1));
	ASSERT_EQ(sizeof(ppid), read(self->rep[0], &ppid, sizeof(ppid)));
	EXPECT_EQ(MASTER_PPID, ppid);
	ASSERT_EQ(sizeof(ppid), read(self->rep[0], &ppid, sizeof(ppid)));
	EXPECT_EQ(variant->own_pidns ? 1 : self->child, ppid);
	ASSERT_EQ(sizeof(ppid), read(self->rep[0], &ppid, sizeof(ppid)));
	EXPECT_EQ(MASTER_PPID, ppid) TH_LOG("getppid() in a thread");

	/* A signal as sent on the master by pid 777, uid 1000, sigqueue. */
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGRTMIN + 2;
	si.si_code = SI_QUEUE;
	si.si_pid = 777;
	si.si_uid = 1000;
	si.si_value.sival_int = 99;
	ASSERT_EQ(0, sig(self->fd, self->child, SIGRTMIN + 2, &si));
	ASSERT_EQ(sizeof(s), read(self->rep[0], &s, sizeof(s)));
	EXPECT_EQ(SIGRTMIN + 2, s.signo);
	EXPECT_EQ(SI_QUEUE, s.code);
	EXPECT_EQ(777, s.pid);
	EXPECT_EQ(1000, s.uid);
	EXPECT_EQ(99, s.value);

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_USER;
	si.si_pid = 778;
	ASSERT_EQ(0, sig(self->fd, self->child, SIGUSR1, &si));
	ASSERT_EQ(sizeof(s), read(self->rep[0], &s, sizeof(s)));
	EXPECT_EQ(SIGUSR1, s.signo);
	EXPECT_EQ(SI_USER, s.code);
	EXPECT_EQ(778, s.pid);

	/* si_signo must match; signal numbers are checked. */
	EXPECT_EQ(-EINVAL, sig(self->fd, self->child, SIGUSR2, &si));
	si.si_signo = 0;
	EXPECT_EQ(-EINVAL, sig(self->fd, self->child, 0, &si));
	si.si_signo = 65;
	EXPECT_EQ(-EINVAL, sig(self->fd, self->child, 65, &si));
}

TEST_F(masq, refused)
{
	struct bproc_slave_cfg cfg;
	siginfo_t si = { .si_signo = SIGUSR1 };
	int other = open(DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, other);
	/* Not a node-side file. */
	EXPECT_EQ(-EPERM, masq(other, self->child, 1));
	EXPECT_EQ(-EPERM, sig(other, self->child, SIGUSR1, &si));
	/* Not registered, not a child, no such process, bad values. */
	EXPECT_EQ(-ESRCH, sig(self->fd, self->child, SIGUSR1, &si));
	EXPECT_EQ(-EPERM, masq(self->fd, getppid(), 1));
	EXPECT_EQ(-ESRCH, masq(self->fd, 0x3ffffff, 1));
	EXPECT_EQ(-EINVAL, masq(self->fd, 0, 1));
	EXPECT_EQ(-EINVAL, masq(self->fd, self->child, -1));
	/* Another instance's process is not ours to signal. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.size = sizeof(cfg);
	ASSERT_EQ(0, ioc(self->fd, BPROC_IOC_SLAVE_GET, &cfg));
	ASSERT_EQ(0, ioc(other, BPROC_IOC_SLAVE, &cfg));
	ASSERT_EQ(0, masq(self->fd, self->child, 1));
	EXPECT_EQ(-ESRCH, sig(other, self->child, SIGUSR1, &si));
	close(other);
}

TEST_HARNESS_MAIN
