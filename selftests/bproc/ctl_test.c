// SPDX-License-Identifier: GPL-2.0
/*
 * Node changes through /dev/bproc and the change notifier, as documented
 * in include/uapi/linux/bproc.h and docs/nodes.md: BPROC_IOC_NODE_CTL's
 * checks (arguments, rights by owner, group and CAP_SYS_ADMIN), its round
 * trip through the master daemon's file (this test plays bpmaster:
 * BPROC_MSG_NODE_CTL read, BPROC_IOC_NODE_CTL_DONE answered), the ways a
 * waiting request ends (answer, master gone, node session dropped), and
 * the notifier's poll/read.
 *
 * Run as root with bproc.ko loaded and no bpmaster running; with another
 * master (bpmaster) the tests that need the role check -EBUSY only.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <linux/bproc.h>

#include "kselftest_harness.h"

#include "dev.h"

#define OWNER 1000
#define GROUP 100
#define OTHER_GROUP 200

/* Node @node up, owned by OWNER:GROUP with @mode. */
static int node_up(int fd, int node, __u32 state, __u32 mode)
{
	struct bproc_node_info ni = {
		.size = sizeof(ni), .node = node, .state = state,
		.mode = mode, .uid = OWNER, .gid = GROUP,
		.addr_family = AF_INET, .cpus = 1,
	};

	inet_pton(AF_INET, "10.42.0.101", ni.addr);
	return ioc(fd, BPROC_IOC_NODE_SET, &ni);
}

static struct bproc_node_ctl ctl(int node, __u32 what)
{
	struct bproc_node_ctl c = {
		.size = sizeof(c), .node = node, .what = what,
		.state = BPROC_NODE_UP, .mode = 0111, .uid = 0, .gid = 0,
	};

	return c;
}

/* BPROC_IOC_NODE_CTL on a fresh file: 0 or -errno. */
static int node_ctl(const struct bproc_node_ctl *c)
{
	int fd = dev_open(), err;

	if (fd < 0)
		return -errno;
	err = ioc(fd, BPROC_IOC_NODE_CTL, (void *)c);
	close(fd);
	return err;
}

/* The master file, which children close: its release is what tests watch. */
static int master_fd = -1;

/*
 * A child that becomes @uid (groups @gids) and calls NODE_CTL with @c;
 * its exit status is the -errno (0..255). @uid 0 keeps root.
 */
static pid_t ctl_child(const struct bproc_node_ctl *c, uid_t uid,
		       const gid_t *gids, int ngids)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (master_fd >= 0)
			close(master_fd);
		if (uid && (setgroups(ngids, gids) ||
			    setresgid(gids[0], gids[0], gids[0]) ||
			    setresuid(uid, uid, uid)))
			_exit(254);
		_exit(-node_ctl(c) & 0xff);
	}
	return pid;
}

static int child_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 300 + WTERMSIG(st);
}

struct ctl_msg {
	struct bproc_msg_hdr hdr;
	struct bproc_node_ctl c;
};

/* The next message on the master file within @ms: its size, or -errno. */
static int read_msg(int mfd, struct ctl_msg *m, int ms)
{
	struct pollfd p = { .fd = mfd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	n = read(mfd, m, sizeof(*m));
	return n < 0 ? -errno : (int)n;
}

static int answer(int mfd, __u64 id, __s32 error)
{
	struct bproc_node_ctl_done d = {
		.size = sizeof(d), .error = error, .id = id,
	};

	return ioc(mfd, BPROC_IOC_NODE_CTL_DONE, &d);
}

TEST(no_master)
{
	struct bproc_node_ctl c = ctl(0, BPROC_CTL_MODE);
	int fd = dev_open(), err;
	__u32 n = 0;

	ASSERT_LE(0, fd);
	err = set_master(fd, 2);
	if (err == -EBUSY)
		SKIP(return, "another file holds the master role");
	ASSERT_EQ(0, err);
	close(fd);	/* the table stays, the master is gone */
	fd = dev_open();
	ASSERT_EQ(0, ioc(fd, BPROC_IOC_NODE_COUNT, &n));
	ASSERT_EQ(2, n);
	EXPECT_EQ(-ENOTCONN, node_ctl(&c));
	close(fd);
}

FIXTURE(master) {
	int fd;
	int busy;
};

FIXTURE_SETUP(master)
{
	int err;

	self->fd = dev_open();
	ASSERT_LE(0, self->fd);
	err = set_master(self->fd, 4);
	if (err == -EBUSY) {
		self->busy = 1;
		return;
	}
	ASSERT_EQ(0, err);
	master_fd = self->fd;
	ASSERT_EQ(0, node_up(self->fd, 1, BPROC_NODE_UP, 0111));
}

FIXTURE_TEARDOWN(master)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(master, invalid_requests)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct bproc_node_ctl c;

	if (self->busy)
		SKIP(return, "another file holds the master role");
	c = ctl(1, 0);
	EXPECT_EQ(-EINVAL, node_ctl(&c));
	c = ctl(1, BPROC_CTL_ALL + 1);
	EXPECT_EQ(-EINVAL, node_ctl(&c));
	c = ctl(1, BPROC_CTL_STATE);
	c.state = BPROC_NODE_BOOT;
	EXPECT_EQ(-EINVAL, node_ctl(&c));
	c.state = BPROC_NODE_NSTATES;
	EXPECT_EQ(-EINVAL, node_ctl(&c));
	c = ctl(1, BPROC_CTL_MODE);
	c.mode = 01000;
	EXPECT_EQ(-EINVAL, node_ctl(&c));
	c = ctl(1, BPROC_CTL_UID);
	c.uid = (__u32)-1;
	EXPECT_EQ(-EINVAL, node_ctl(&c));
	c = ctl(1, BPROC_CTL_GID);
	c.gid = (__u32)-1;
	EXPECT_EQ(-EINVAL, node_ctl(&c));
	c = ctl(1, BPROC_CTL_MODE);
	c.__pad = 1;
	EXPECT_EQ(-EINVAL, node_ctl(&c));
	c = ctl(1, BPROC_CTL_MODE);
	c.size = BPROC_NODE_CTL_SIZE_VER0 - 4;
	EXPECT_EQ(-EINVAL, node_ctl(&c));
	c = ctl(4, BPROC_CTL_MODE);
	EXPECT_EQ(-ENODEV, node_ctl(&c));
	c = ctl(-1, BPROC_CTL_MODE);
	EXPECT_EQ(-ENODEV, node_ctl(&c));
	/* Nothing of it reached the master file. */
	EXPECT_EQ(0, poll(&p, 1, 0));
}

TEST_F(master, round_trip)
{
	struct bproc_node_ctl c = ctl(1, BPROC_CTL_MODE | BPROC_CTL_STATE);
	struct ctl_msg m;
	pid_t pid;
	int nfd;

	if (self->busy)
		SKIP(return, "another file holds the master role");
	c.mode = 0700;
	c.state = BPROC_NODE_UNAVAILABLE;
	pid = ctl_child(&c, 0, NULL, 0);
	ASSERT_LT(0, pid);
	ASSERT_EQ(sizeof(m), read_msg(self->fd, &m, 10000));
	EXPECT_EQ(BPROC_MSG_NODE_CTL, m.hdr.type);
	EXPECT_EQ(sizeof(m), m.hdr.size);
	EXPECT_EQ(1, m.hdr.node);
	EXPECT_EQ(pid, m.hdr.pid);
	EXPECT_NE(0, m.hdr.id);
	EXPECT_EQ(0, memcmp(&m.c, &c, sizeof(c)));
	/* Only the master answers; an unknown id has nobody waiting. */
	nfd = dev_open();
	EXPECT_EQ(-EPERM, answer(nfd, m.hdr.id, 0));
	close(nfd);
	EXPECT_EQ(-ENOENT, answer(self->fd, m.hdr.id + 1000, 0));
	ASSERT_EQ(0, answer(self->fd, m.hdr.id, -EBUSY));
	EXPECT_EQ(EBUSY, child_status(pid));
	EXPECT_EQ(-ENOENT, answer(self->fd, m.hdr.id, 0));	/* answered */

	/* Success, and an answer that is no errno reads as -EIO. */
	pid = ctl_child(&c, 0, NULL, 0);
	ASSERT_EQ(sizeof(m), read_msg(self->fd, &m, 10000));
	ASSERT_EQ(0, answer(self->fd, m.hdr.id, 0));
	EXPECT_EQ(0, child_status(pid));
	pid = ctl_child(&c, 0, NULL, 0);
	ASSERT_EQ(sizeof(m), read_msg(self->fd, &m, 10000));
	ASSERT_EQ(0, answer(self->fd, m.hdr.id, 5));
	EXPECT_EQ(EIO, child_status(pid));
}

/* What an unprivileged caller may ask, by the node's owner and group. */
TEST_F(master, rights)
{
	static const gid_t owner_groups[] = { GROUP, OTHER_GROUP };
	static const gid_t nobody_groups[] = { NOBODY };
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct bproc_node_ctl c;
	struct ctl_msg m;
	pid_t pid;

	if (self->busy)
		SKIP(return, "another file holds the master role");
	/* Root's alone: states, owners, cache purges. */
	c = ctl(1, BPROC_CTL_STATE);
	EXPECT_EQ(EPERM, child_status(ctl_child(&c, OWNER, owner_groups, 2)));
	c = ctl(1, BPROC_CTL_UID);
	c.uid = OWNER;
	EXPECT_EQ(EPERM, child_status(ctl_child(&c, OWNER, owner_groups, 2)));
	c = ctl(1, BPROC_CTL_CACHE_PURGE);
	EXPECT_EQ(EPERM, child_status(ctl_child(&c, OWNER, owner_groups, 2)));
	/* Not the owner: no mode, no group. */
	c = ctl(1, BPROC_CTL_MODE);
	EXPECT_EQ(EPERM, child_status(ctl_child(&c, NOBODY, nobody_groups, 1)));
	c = ctl(1, BPROC_CTL_GID);
	c.gid = NOBODY;
	EXPECT_EQ(EPERM, child_status(ctl_child(&c, NOBODY, nobody_groups, 1)));
	/* The owner, to a group it is not in. */
	c.gid = 300;
	EXPECT_EQ(EPERM, child_status(ctl_child(&c, OWNER, owner_groups, 2)));
	/* A mode and the whole request: one EPERM part refuses it all. */
	c = ctl(1, BPROC_CTL_MODE | BPROC_CTL_STATE);
	EXPECT_EQ(EPERM, child_status(ctl_child(&c, OWNER, owner_groups, 2)));
	EXPECT_EQ(0, poll(&p, 1, 0)) TH_LOG("a refused request was queued");

	/* The owner's mode and group (one of its own) reach the master. */
	c = ctl(1, BPROC_CTL_MODE | BPROC_CTL_GID);
	c.mode = 0100;
	c.gid = OTHER_GROUP;
	pid = ctl_child(&c, OWNER, owner_groups, 2);
	ASSERT_EQ(sizeof(m), read_msg(self->fd, &m, 10000));
	EXPECT_EQ(0100, m.c.mode);
	EXPECT_EQ(OTHER_GROUP, m.c.gid);
	ASSERT_EQ(0, answer(self->fd, m.hdr.id, 0));
	EXPECT_EQ(0, child_status(pid));
}

TEST_F(master, master_gone_while_waiting)
{
	struct bproc_node_ctl c = ctl(1, BPROC_CTL_MODE);
	struct ctl_msg m;
	struct pollfd p;
	pid_t pid;

	if (self->busy)
		SKIP(return, "another file holds the master role");
	pid = ctl_child(&c, 0, NULL, 0);
	p = (struct pollfd){ .fd = self->fd, .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, 10000));	/* queued, not read */
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(ENOTCONN, child_status(pid));

	/* And one that was read but never answered. */
	self->fd = dev_open();
	master_fd = self->fd;
	ASSERT_EQ(0, set_master(self->fd, 4));
	ASSERT_EQ(0, node_up(self->fd, 1, BPROC_NODE_UP, 0111));
	pid = ctl_child(&c, 0, NULL, 0);
	ASSERT_EQ(sizeof(m), read_msg(self->fd, &m, 10000));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(ENOTCONN, child_status(pid));
}

TEST_F(master, node_session_ends_while_queued)
{
	struct bproc_node_ctl c = ctl(1, BPROC_CTL_MODE);
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	pid_t pid;

	if (self->busy)
		SKIP(return, "another file holds the master role");
	pid = ctl_child(&c, 0, NULL, 0);
	ASSERT_EQ(1, poll(&p, 1, 10000));
	/* The node goes down: what was queued for it is dropped. */
	ASSERT_EQ(0, node_up(self->fd, 1, BPROC_NODE_DOWN, 0111));
	EXPECT_EQ(EHOSTDOWN, child_status(pid));
	EXPECT_EQ(0, poll(&p, 1, 0));
}

/* A request whose caller is killed leaves nothing behind. */
TEST_F(master, killed_while_waiting)
{
	struct bproc_node_ctl c = ctl(1, BPROC_CTL_MODE);
	struct ctl_msg m;
	pid_t pid;

	if (self->busy)
		SKIP(return, "another file holds the master role");
	pid = ctl_child(&c, 0, NULL, 0);
	ASSERT_EQ(sizeof(m), read_msg(self->fd, &m, 10000));
	/* A catchable signal does not end the wait ... */
	kill(pid, SIGSTOP);
	kill(pid, SIGCONT);
	usleep(100000);
	/* ... a fatal one does. */
	kill(pid, SIGKILL);
	EXPECT_EQ(300 + SIGKILL, child_status(pid));
	EXPECT_EQ(-ENOENT, answer(self->fd, m.hdr.id, 0));
}

TEST(notifier)
{
	struct pollfd p;
	__u64 g1, g2;
	int nfd, mfd, bfd, err;
	char small[4];
	pid_t pid;

	nfd = open(DEV, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, nfd);
	p = (struct pollfd){ .fd = nfd, .events = POLLIN };
	EXPECT_EQ(1, poll(&p, 1, 0)) TH_LOG("a fresh notifier is readable");
	EXPECT_EQ(-1, read(nfd, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(sizeof(g1), read(nfd, &g1, sizeof(g1)));
	EXPECT_LT(0, g1);
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(-1, read(nfd, &g2, sizeof(g2)));
	EXPECT_EQ(EAGAIN, errno);

	mfd = dev_open();
	err = set_master(mfd, 3);
	if (err == -EBUSY) {
		close(mfd);
		close(nfd);
		SKIP(return, "another file holds the master role");
	}
	ASSERT_EQ(0, err);
	EXPECT_EQ(1, poll(&p, 1, 1000)) TH_LOG("a new table is a change");
	ASSERT_EQ(sizeof(g2), read(nfd, &g2, sizeof(g2)));
	EXPECT_LT(g1, g2);

	/* The same entry again is no change; another one is. */
	ASSERT_EQ(0, node_up(mfd, 0, BPROC_NODE_UP, 0111));
	ASSERT_EQ(sizeof(g1), read(nfd, &g1, sizeof(g1)));
	ASSERT_EQ(0, node_up(mfd, 0, BPROC_NODE_UP, 0111));
	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, node_up(mfd, 0, BPROC_NODE_UP, 0100));
	EXPECT_EQ(1, poll(&p, 1, 1000));

	/* A blocking reader wakes up on the next change. */
	bfd = open(DEV, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(sizeof(g1), read(bfd, &g1, sizeof(g1)));
	pid = fork();
	if (pid == 0)
		_exit(read(bfd, &g2, sizeof(g2)) == sizeof(g2) &&
		      g2 > g1 ? 0 : 1);
	usleep(200000);
	ASSERT_EQ(0, node_up(mfd, 0, BPROC_NODE_UP, 0111));
	EXPECT_EQ(0, child_status(pid));
	close(bfd);
	/* The master leaving is a change too. */
	ASSERT_EQ(sizeof(g1), read(nfd, &g1, sizeof(g1)));
	close(mfd);
	EXPECT_EQ(1, poll(&p, 1, 1000));
	close(nfd);
}

TEST_HARNESS_MAIN
