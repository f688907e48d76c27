// SPDX-License-Identifier: GPL-2.0
/*
 * The node table and the other ioctls of /dev/bproc, as documented in
 * include/uapi/linux/bproc.h: versions and struct sizes, the master role,
 * NODE_SET validation, NODE_GET, the table outliving the master's file,
 * unprivileged callers, node-side instances, and rmmod while a file is
 * open.
 *
 * Run as root with bproc.ko loaded and no bpmaster running: the tests
 * that change the table take the master role, and while another file
 * holds it (bpmaster) they check the -EBUSY/-EPERM behaviour instead and
 * leave the table alone.
 */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <linux/bproc.h>

#include "kselftest_harness.h"

#include "dev.h"

static int node_get(int fd, int node, struct bproc_node_info *ni)
{
	memset(ni, 0, sizeof(*ni));
	ni->size = sizeof(*ni);
	ni->node = node;
	return ioc(fd, BPROC_IOC_NODE_GET, ni);
}

static int node_set(int fd, const struct bproc_node_info *ni)
{
	return ioc(fd, BPROC_IOC_NODE_SET, (void *)ni);
}

static __u32 node_count(int fd)
{
	__u32 n = UINT32_MAX;

	if (ioctl(fd, BPROC_IOC_NODE_COUNT, &n) < 0)
		return UINT32_MAX;
	return n;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A complete, valid entry for @node in state @state. */
static struct bproc_node_info node_example(int node, __u32 state)
{
	struct bproc_node_info ni = {
		.size = sizeof(ni),
		.node = node,
		.state = state,
		.mode = 0111,
		.uid = 1000,
		.gid = 100,
		.addr_family = AF_INET,
		.hwaddr_len = 6,
		.cpus = 2,
		.hwaddr = { 0x52, 0x54, 0x00, 0x42, 0x00, 0x64 + node },
		.mem_total = 512ull << 20,
		.mem_free = 300ull << 20,
		.node_boottime = 1700000000ull * 1000000000ull,
		.load = { 12, 34, 56 },
		.nprocs = 3,
		.cache_used = 24ull << 20,
		.cache_size = 256ull << 20,
	};
	char ip[32];

	snprintf(ip, sizeof(ip), "10.42.0.%d", 100 + node);
	inet_pton(AF_INET, ip, ni.addr);
	strcpy(ni.kernel, "6.12.117-bproc");
	strcpy(ni.modver, "0.1.0");
	return ni;
}

/* Entries equal apart from state_since (which the module owns). */
static int same_entry(struct bproc_node_info a, struct bproc_node_info b)
{
	a.state_since = 0;
	b.state_since = 0;
	return !memcmp(&a, &b, sizeof(a));
}

static void drop_to_nobody(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setresgid(NOBODY, NOBODY, NOBODY));
	ASSERT_EQ(0, setresuid(NOBODY, NOBODY, NOBODY));
}

/*
 * Another file holds the master role (bpmaster): this file cannot take
 * it or write the table, and can still read it.
 */
static void check_busy(struct __test_metadata *_metadata, int fd)
{
	struct bproc_node_info ni = node_example(0, BPROC_NODE_UP);
	__u32 n = node_count(fd);

	TH_LOG("another file holds the master role: checking -EBUSY/-EPERM only");
	ASSERT_EQ(-EBUSY, set_master(fd, 4));
	ASSERT_EQ(-EPERM, node_set(fd, &ni));
	ASSERT_NE(UINT32_MAX, n);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, node_get(fd, 0, &ni));
	ASSERT_EQ(0, ni.node);
}

TEST(version)
{
	struct bproc_version v = { .size = sizeof(v) };
	int fd = dev_open();

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", DEV, strerror(errno));
	ASSERT_EQ(0, ioc(fd, BPROC_IOC_VERSION, &v));
	EXPECT_EQ(BPROC_ABI_VERSION, v.abi);
	EXPECT_EQ(BPROC_VERSION_SIZE_VER0, v.size);
	ASSERT_GT(sizeof(v.module), strnlen(v.module, sizeof(v.module)));
	EXPECT_LT(0, strlen(v.module));
	close(fd);
}

TEST(version_sizes)
{
	struct {
		struct bproc_version v;
		unsigned char tail[16];
	} big;
	struct bproc_version v;
	int fd = dev_open();
	size_t i;

	ASSERT_LE(0, fd);
	memset(&v, 0, sizeof(v));
	ASSERT_EQ(-EINVAL, ioc(fd, BPROC_IOC_VERSION, &v));	/* size 0 */
	v.size = BPROC_VERSION_SIZE_VER0 - 1;
	ASSERT_EQ(-EINVAL, ioc(fd, BPROC_IOC_VERSION, &v));
	v.size = 1u << 20;
	ASSERT_EQ(-E2BIG, ioc(fd, BPROC_IOC_VERSION, &v));

	/* A newer, larger caller: its extra bytes are cleared. */
	memset(&big, 0xa5, sizeof(big));
	big.v.size = sizeof(big);
	ASSERT_EQ(0, ioc(fd, _IOR(BPROC_IOC_MAGIC, 0x00, big), &big));
	EXPECT_EQ(BPROC_VERSION_SIZE_VER0, big.v.size);
	EXPECT_EQ(BPROC_ABI_VERSION, big.v.abi);
	for (i = 0; i < sizeof(big.tail); i++)
		ASSERT_EQ(0, big.tail[i]);
	close(fd);
}

TEST(unknown_ioctls)
{
	struct bproc_version v = { .size = sizeof(v) };
	int fd = dev_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(-ENOTTY, ioc(fd, _IO(BPROC_IOC_MAGIC, 0x7f), NULL));
	ASSERT_EQ(-ENOTTY, ioc(fd, _IOR('x', 0x00, struct bproc_version), &v));
	/* Right number, wrong direction. */
	ASSERT_EQ(-ENOTTY, ioc(fd, _IOW(BPROC_IOC_MAGIC, 0x00,
					struct bproc_version), &v));
	/* NODE_COUNT has no size field: only the exact command works. */
	ASSERT_EQ(-ENOTTY, ioc(fd, _IOR(BPROC_IOC_MAGIC, 0x04, __u64), &v));
	close(fd);
}

TEST(bad_pointers)
{
	int fd = dev_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(-EFAULT, ioc(fd, BPROC_IOC_VERSION, NULL));
	ASSERT_EQ(-EFAULT, ioc(fd, BPROC_IOC_NODE_GET, NULL));
	ASSERT_EQ(-EFAULT, ioc(fd, BPROC_IOC_NODE_COUNT, NULL));
	ASSERT_EQ(-EFAULT, ioc(fd, BPROC_IOC_SLAVE_GET, (void *)8));
	close(fd);
}

TEST(unprivileged)
{
	struct bproc_master_cfg mcfg = { .size = sizeof(mcfg), .nodes = 4 };
	struct bproc_slave_cfg scfg = {
		.size = sizeof(scfg), .node = 1, .master_family = AF_INET,
		.master_port = BPROC_DEFAULT_PORT,
	};
	struct bproc_version v = { .size = sizeof(v) };
	struct bproc_node_info ni = node_example(0, BPROC_NODE_UP);
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to uid %d", NOBODY);
	drop_to_nobody(_metadata);

	fd = dev_open();
	ASSERT_LE(0, fd) TH_LOG("nobody cannot open %s: %s", DEV,
				strerror(errno));
	ASSERT_EQ(0, ioc(fd, BPROC_IOC_VERSION, &v));
	ASSERT_NE(UINT32_MAX, node_count(fd));
	ASSERT_EQ(-EPERM, ioc(fd, BPROC_IOC_MASTER, &mcfg));
	ASSERT_EQ(-EPERM, ioc(fd, BPROC_IOC_SLAVE, &scfg));
	ASSERT_EQ(-EPERM, node_set(fd, &ni));
	if (node_count(fd) > 0)
		ASSERT_EQ(0, node_get(fd, 0, &ni));
	close(fd);
}

TEST(unload_while_open)
{
	int fd = dev_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, syscall(SYS_delete_module, "bproc", O_NONBLOCK));
	ASSERT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(0, access(DEV, F_OK));
	close(fd);
}

FIXTURE(master) {
	int fd;
	int busy;	/* another file holds the master role */
};

FIXTURE_SETUP(master)
{
	int err;

	self->fd = dev_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", DEV, strerror(errno));
	err = set_master(self->fd, 4);
	if (err == -EBUSY) {
		self->busy = 1;
		return;
	}
	ASSERT_EQ(0, err);
}

FIXTURE_TEARDOWN(master)
{
	close(self->fd);
}

TEST_F(master, fresh_table)
{
	struct bproc_node_info ni;
	__u64 t1 = now_ns();
	int i;

	if (self->busy) {
		check_busy(_metadata, self->fd);
		return;
	}
	ASSERT_EQ(4, node_count(self->fd));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, node_get(self->fd, i, &ni));
		EXPECT_EQ(BPROC_NODE_INFO_SIZE_VER1, ni.size);
		EXPECT_EQ(i, ni.node);
		EXPECT_EQ(BPROC_NODE_DOWN, ni.state);
		EXPECT_EQ(0, ni.addr_family);
		EXPECT_EQ(0, ni.mode);
		ASSERT_GE(t1, ni.state_since);
		ASSERT_LT(t1 - 60ull * 1000000000ull, ni.state_since);
	}
	ASSERT_EQ(-ENODEV, node_get(self->fd, 4, &ni));
	ASSERT_EQ(-ENODEV, node_get(self->fd, -1, &ni));
	ASSERT_EQ(-ENODEV, node_get(self->fd, INT32_MIN, &ni));
}

TEST_F(master, set_and_get)
{
	struct bproc_node_info in = node_example(1, BPROC_NODE_UP), out, v6;
	__u64 t0, t1, since;

	if (self->busy) {
		check_busy(_metadata, self->fd);
		return;
	}
	in.state_since = 42;	/* ignored: the module owns it */
	t0 = now_ns();
	ASSERT_EQ(0, node_set(self->fd, &in));
	t1 = now_ns();
	ASSERT_EQ(0, node_get(self->fd, 1, &out));
	ASSERT_TRUE(same_entry(in, out));
	ASSERT_LE(t0, out.state_since);
	ASSERT_GE(t1, out.state_since);
	since = out.state_since;

	/* Same state again: state_since stays; other fields change. */
	in.load[0] = 99;
	in.mem_free = 1 << 20;
	ASSERT_EQ(0, node_set(self->fd, &in));
	ASSERT_EQ(0, node_get(self->fd, 1, &out));
	ASSERT_EQ(since, out.state_since);
	ASSERT_EQ(99, out.load[0]);
	ASSERT_EQ(1 << 20, out.mem_free);

	/* A new state: state_since moves. */
	usleep(10000);
	in.state = BPROC_NODE_ERROR;
	strcpy(in.error, "node_up: step 3 failed");
	ASSERT_EQ(0, node_set(self->fd, &in));
	ASSERT_EQ(0, node_get(self->fd, 1, &out));
	ASSERT_LT(since, out.state_since);
	ASSERT_EQ(BPROC_NODE_ERROR, out.state);
	ASSERT_STREQ("node_up: step 3 failed", out.error);

	/* The other entries are untouched. */
	ASSERT_EQ(0, node_get(self->fd, 0, &out));
	ASSERT_EQ(BPROC_NODE_DOWN, out.state);
	ASSERT_EQ(0, out.addr_family);

	/* IPv6, no hardware address, the last node. */
	v6 = node_example(3, BPROC_NODE_UNAVAILABLE);
	v6.addr_family = AF_INET6;
	inet_pton(AF_INET6, "fd00:42::103", v6.addr);
	v6.hwaddr_len = 0;
	memset(v6.hwaddr, 0, sizeof(v6.hwaddr));
	ASSERT_EQ(0, node_set(self->fd, &v6));
	ASSERT_EQ(0, node_get(self->fd, 3, &out));
	ASSERT_TRUE(same_entry(v6, out));

	/* Strings: garbage after the NUL is not stored. */
	in = node_example(2, BPROC_NODE_BOOT);
	memset(in.kernel, 'x', sizeof(in.kernel));
	strcpy(in.kernel, "6.12");
	ASSERT_EQ(0, node_set(self->fd, &in));
	ASSERT_EQ(0, node_get(self->fd, 2, &out));
	ASSERT_STREQ("6.12", out.kernel);
	ASSERT_EQ(0, out.kernel[sizeof(out.kernel) - 1]);
	ASSERT_EQ(0, out.kernel[5]);
}

TEST_F(master, set_invalid)
{
	struct bproc_node_info good = node_example(0, BPROC_NODE_UP), ni, out;
	struct {
		struct bproc_node_info ni;
		unsigned char tail[16];
	} big;

	if (self->busy) {
		check_busy(_metadata, self->fd);
		return;
	}

#define REJECT(err, field_change) do {					\
		ni = good;						\
		field_change;						\
		EXPECT_EQ(err, node_set(self->fd, &ni))			\
			TH_LOG("accepted: %s", #field_change);		\
	} while (0)

	REJECT(-ENODEV, ni.node = 4);
	REJECT(-ENODEV, ni.node = -1);
	REJECT(-ENODEV, ni.node = INT32_MAX);
	REJECT(-EINVAL, ni.state = BPROC_NODE_NSTATES);
	REJECT(-EINVAL, ni.state = UINT32_MAX);
	REJECT(-EINVAL, ni.mode = 01000);
	REJECT(-EINVAL, ni.mode = 04111);
	REJECT(-EINVAL, ni.uid = UINT32_MAX);
	REJECT(-EINVAL, ni.gid = UINT32_MAX);
	REJECT(-EINVAL, ni.__pad0 = 1);
	REJECT(-EINVAL, ni.__pad1 = 1);
	REJECT(-EINVAL, ni.__pad2 = 1);
	REJECT(-EINVAL, ni.addr_family = AF_UNIX);
	REJECT(-EINVAL, ni.addr_family = 0xffff);
	REJECT(-EINVAL, ni.addr[4] = 1);		/* past an IPv4 address */
	REJECT(-EINVAL, ni.addr[15] = 1);
	REJECT(-EINVAL, ni.addr_family = 0);		/* no family, bytes set */
	REJECT(-EINVAL, ni.hwaddr_len = 9);
	REJECT(-EINVAL, ni.hwaddr_len = 255);
	REJECT(-EINVAL, ni.hwaddr_len = 5);		/* byte 5 is set */
	REJECT(-EINVAL, ni.mem_free = ni.mem_total + 1);
	REJECT(-EINVAL, memset(ni.kernel, 'k', sizeof(ni.kernel)));
	REJECT(-EINVAL, memset(ni.modver, 'm', sizeof(ni.modver)));
	REJECT(-EINVAL, memset(ni.error, 'e', sizeof(ni.error)));
	REJECT(-EINVAL, ni.size = 0);
	REJECT(-EINVAL, ni.size = BPROC_NODE_INFO_SIZE_VER0 - 1);
	REJECT(-E2BIG, ni.size = 1u << 20);
#undef REJECT

	/* Nothing of that reached the table. */
	ASSERT_EQ(0, node_get(self->fd, 0, &out));
	ASSERT_EQ(BPROC_NODE_DOWN, out.state);
	ASSERT_EQ(0, out.addr_family);

	/* A larger struct: accepted with a zero tail, -E2BIG otherwise. */
	memset(&big, 0, sizeof(big));
	big.ni = good;
	big.ni.size = sizeof(big);
	big.tail[7] = 1;
	ASSERT_EQ(-E2BIG, ioc(self->fd, _IOW(BPROC_IOC_MAGIC, 0x02, big),
			      &big));
	big.tail[7] = 0;
	ASSERT_EQ(0, ioc(self->fd, _IOW(BPROC_IOC_MAGIC, 0x02, big), &big));
	ASSERT_EQ(0, node_get(self->fd, 0, &out));
	ASSERT_TRUE(same_entry(good, out));

	/* And NODE_GET with a larger struct fills ours, clears the rest. */
	memset(&big, 0, sizeof(big));
	big.ni.size = sizeof(big);
	big.ni.node = 0;
	ASSERT_EQ(0, ioc(self->fd, _IOWR(BPROC_IOC_MAGIC, 0x03, big), &big));
	ASSERT_EQ(BPROC_NODE_INFO_SIZE_VER1, big.ni.size);
	ASSERT_TRUE(same_entry(good, big.ni));
	big.ni.size = sizeof(big);
	big.tail[0] = 1;
	ASSERT_EQ(-E2BIG, ioc(self->fd, _IOWR(BPROC_IOC_MAGIC, 0x03, big),
			      &big));
}

/*
 * A caller built before the figures of VER1 (nprocs, cache): its
 * NODE_SET leaves them 0, its NODE_GET gets its 264 bytes and not one
 * more; a VER1 caller gets them.
 */
TEST_F(master, ver0_caller)
{
	struct bproc_node_info ni = node_example(1, BPROC_NODE_UP), out;
	/* 264 bytes of an old struct, and what lies after them */
	__u64 buf[(BPROC_NODE_INFO_SIZE_VER0 + 64) / 8];
	struct bproc_node_info *o = (struct bproc_node_info *)buf;
	__u8 *canary = (__u8 *)buf + BPROC_NODE_INFO_SIZE_VER0;
	unsigned long get0 = _IOC(_IOC_READ | _IOC_WRITE, BPROC_IOC_MAGIC, 0x03,
				  BPROC_NODE_INFO_SIZE_VER0);
	unsigned long set0 = _IOC(_IOC_WRITE, BPROC_IOC_MAGIC, 0x02,
				  BPROC_NODE_INFO_SIZE_VER0);

	if (self->busy) {
		check_busy(_metadata, self->fd);
		return;
	}
	ASSERT_EQ(BPROC_NODE_INFO_SIZE_VER1, sizeof(struct bproc_node_info));
	ASSERT_EQ(0, node_set(self->fd, &ni));
	ASSERT_EQ(0, node_get(self->fd, 1, &out));
	EXPECT_EQ(3, out.nprocs);
	EXPECT_EQ(24ull << 20, out.cache_used);
	EXPECT_EQ(256ull << 20, out.cache_size);

	memset(buf, 0xa5, sizeof(buf));
	memset(buf, 0, BPROC_NODE_INFO_SIZE_VER0);
	o->size = BPROC_NODE_INFO_SIZE_VER0;
	o->node = 1;
	ASSERT_EQ(0, ioc(self->fd, get0, buf));
	EXPECT_EQ(BPROC_NODE_INFO_SIZE_VER0, o->size);
	EXPECT_EQ(ni.mem_free, o->mem_free);
	EXPECT_EQ(0, strcmp(o->kernel, ni.kernel));
	for (size_t i = 0; i < 64; i++)
		ASSERT_EQ(0xa5, canary[i]);

	/* An old bpmaster's NODE_SET: the figures it does not know are 0. */
	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf, &ni, BPROC_NODE_INFO_SIZE_VER0);
	o->size = BPROC_NODE_INFO_SIZE_VER0;
	ASSERT_EQ(0, ioc(self->fd, set0, buf));
	ASSERT_EQ(0, node_get(self->fd, 1, &out));
	EXPECT_EQ(0, out.nprocs);
	EXPECT_EQ(0, out.cache_used);
	EXPECT_EQ(0, out.cache_size);
	EXPECT_EQ(ni.cpus, out.cpus);
}

TEST_F(master, second_file)
{
	struct bproc_node_info ni = node_example(2, BPROC_NODE_UP), out;
	int fd2;

	if (self->busy) {
		check_busy(_metadata, self->fd);
		return;
	}
	fd2 = dev_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(-EBUSY, set_master(fd2, 4));
	ASSERT_EQ(-EPERM, node_set(fd2, &ni));
	ASSERT_EQ(0, node_set(self->fd, &ni));
	ASSERT_EQ(0, node_get(fd2, 2, &out));
	ASSERT_TRUE(same_entry(ni, out));
	ASSERT_EQ(4, node_count(fd2));
	close(fd2);
	/* Closing a file that is not the master's changes nothing. */
	ASSERT_EQ(0, node_get(self->fd, 2, &out));
	ASSERT_EQ(BPROC_NODE_UP, out.state);
	ASSERT_EQ(0, node_set(self->fd, &ni));
}

TEST_F(master, close_marks_down)
{
	struct bproc_node_info ni, out;
	__u64 before, t0;
	int i, fd2;

	if (self->busy) {
		check_busy(_metadata, self->fd);
		return;
	}
	for (i = 0; i < 3; i++) {
		ni = node_example(i, i == 2 ? BPROC_NODE_ERROR : BPROC_NODE_UP);
		ASSERT_EQ(0, node_set(self->fd, &ni));
	}
	ASSERT_EQ(0, node_get(self->fd, 3, &out));
	before = out.state_since;	/* node 3 stays down */

	usleep(10000);
	t0 = now_ns();
	close(self->fd);
	self->fd = dev_open();
	ASSERT_LE(0, self->fd);

	/* The table survives, every node down, the rest kept. */
	ASSERT_EQ(4, node_count(self->fd));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, node_get(self->fd, i, &out));
		ASSERT_EQ(BPROC_NODE_DOWN, out.state);
		ASSERT_LE(t0, out.state_since);
		ni = node_example(i, BPROC_NODE_DOWN);
		ASSERT_TRUE(same_entry(ni, out));
	}
	ASSERT_EQ(0, node_get(self->fd, 3, &out));
	ASSERT_EQ(before, out.state_since);

	/* Nobody is master now: writes fail, anyone may register. */
	ASSERT_EQ(-EPERM, node_set(self->fd, &ni));
	fd2 = dev_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, set_master(fd2, 2));
	ASSERT_EQ(2, node_count(self->fd));
	ASSERT_EQ(0, node_get(self->fd, 1, &out));
	ASSERT_EQ(BPROC_NODE_DOWN, out.state);
	ASSERT_EQ(0, out.addr_family);		/* a fresh table */
	ASSERT_EQ(-ENODEV, node_get(self->fd, 2, &out));
	ASSERT_EQ(-EBUSY, set_master(self->fd, 4));
	close(fd2);
}

TEST_F(master, resize)
{
	struct bproc_master_cfg cfg;
	struct {
		struct bproc_master_cfg cfg;
		__u32 tail[2];
	} big;
	struct bproc_node_info ni = node_example(3, BPROC_NODE_UP), out;

	if (self->busy) {
		check_busy(_metadata, self->fd);
		return;
	}
	ASSERT_EQ(0, node_set(self->fd, &ni));
	ASSERT_EQ(0, set_master(self->fd, 8));
	ASSERT_EQ(8, node_count(self->fd));
	ASSERT_EQ(0, node_get(self->fd, 3, &out));
	ASSERT_EQ(BPROC_NODE_DOWN, out.state);	/* a fresh table */
	ASSERT_EQ(0, node_get(self->fd, 7, &out));

	ASSERT_EQ(-EINVAL, set_master(self->fd, 0));
	ASSERT_EQ(-EINVAL, set_master(self->fd, BPROC_NODES_MAX + 1));
	ASSERT_EQ(-EINVAL, set_master(self->fd, UINT32_MAX));
	ASSERT_EQ(8, node_count(self->fd));	/* unchanged */

	cfg.size = BPROC_MASTER_CFG_SIZE_VER0 - 1;
	cfg.nodes = 4;
	ASSERT_EQ(-EINVAL, ioc(self->fd, BPROC_IOC_MASTER, &cfg));
	big.cfg.size = sizeof(big);
	big.cfg.nodes = 5;
	big.tail[0] = 0;
	big.tail[1] = 7;
	ASSERT_EQ(-E2BIG, ioc(self->fd, _IOW(BPROC_IOC_MAGIC, 0x01, big),
			      &big));
	big.tail[1] = 0;
	ASSERT_EQ(0, ioc(self->fd, _IOW(BPROC_IOC_MAGIC, 0x01, big), &big));
	ASSERT_EQ(5, node_count(self->fd));

	ASSERT_EQ(0, set_master(self->fd, BPROC_NODES_MAX));
	ASSERT_EQ(BPROC_NODES_MAX, node_count(self->fd));
	ASSERT_EQ(0, node_get(self->fd, BPROC_NODES_MAX - 1, &out));
	ASSERT_EQ(BPROC_NODES_MAX - 1, out.node);
	ni = node_example(BPROC_NODES_MAX - 1, BPROC_NODE_UP);
	ASSERT_EQ(0, node_set(self->fd, &ni));
}

/*
 * Readers never see a half-written entry: the writer keeps cpus, load[0]
 * and mem_free equal in every entry it writes.
 */
TEST_F(master, readers_see_whole_entries)
{
	struct bproc_node_info ni = node_example(0, BPROC_NODE_UP), out;
	int i, status, torn = 0;
	pid_t pid;

	if (self->busy) {
		check_busy(_metadata, self->fd);
		return;
	}
	ni.cpus = ni.load[0] = ni.mem_free = 0;
	ASSERT_EQ(0, node_set(self->fd, &ni));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = dev_open();

		for (i = 0; i < 20000 && fd >= 0; i++) {
			if (node_get(fd, 0, &out) ||
			    out.cpus != out.load[0] || out.cpus != out.mem_free)
				_exit(1);
		}
		_exit(fd < 0 ? 2 : 0);
	}
	for (i = 1; i <= 20000; i++) {
		ni.cpus = ni.load[0] = ni.mem_free = i;
		ni.state = i % 2 ? BPROC_NODE_UP : BPROC_NODE_BOOT;
		if (node_set(self->fd, &ni))
			torn = 1;
	}
	ASSERT_EQ(0, torn);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

static struct bproc_slave_cfg slave_example(int node)
{
	struct bproc_slave_cfg cfg = {
		.size = sizeof(cfg),
		.node = node,
		.master_family = AF_INET,
		.master_port = BPROC_DEFAULT_PORT,
	};

	inet_pton(AF_INET, "10.42.0.1", cfg.master_addr);
	return cfg;
}

static int slave_get(int fd, struct bproc_slave_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	return ioc(fd, BPROC_IOC_SLAVE_GET, cfg);
}

TEST(slave_instances)
{
	struct bproc_slave_cfg a = slave_example(3), b, out;
	int fd1, fd2, fd3;

	if (geteuid() != 0)
		SKIP(return, "BPROC_IOC_SLAVE needs CAP_SYS_ADMIN");
	fd1 = dev_open();
	fd2 = dev_open();
	fd3 = dev_open();
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_LE(0, fd3);

	ASSERT_EQ(-ENOENT, slave_get(fd1, &out));
	ASSERT_EQ(0, ioc(fd1, BPROC_IOC_SLAVE, &a));
	ASSERT_EQ(0, slave_get(fd1, &out));
	ASSERT_EQ(0, memcmp(&a, &out, sizeof(a)));

	/* A second instance on the same kernel, with its own state. */
	b = slave_example(7);
	b.master_family = AF_INET6;
	b.master_port = 4000;
	inet_pton(AF_INET6, "fd00:42::1", b.master_addr);
	ASSERT_EQ(0, ioc(fd2, BPROC_IOC_SLAVE, &b));
	ASSERT_EQ(0, slave_get(fd2, &out));
	ASSERT_EQ(0, memcmp(&b, &out, sizeof(b)));
	ASSERT_EQ(0, slave_get(fd1, &out));
	ASSERT_EQ(0, memcmp(&a, &out, sizeof(a)));
	ASSERT_EQ(-ENOENT, slave_get(fd3, &out));

	/* Reconfiguring an instance; an instance is never the master. */
	a.node = 4;
	ASSERT_EQ(0, ioc(fd1, BPROC_IOC_SLAVE, &a));
	ASSERT_EQ(0, slave_get(fd1, &out));
	ASSERT_EQ(4, out.node);
	ASSERT_EQ(-EBUSY, set_master(fd1, 4));

	close(fd2);
	ASSERT_EQ(0, slave_get(fd1, &out));
	ASSERT_EQ(4, out.node);
	close(fd1);
	close(fd3);
}

TEST(slave_invalid)
{
	struct bproc_slave_cfg good = slave_example(1), cfg, out;
	struct {
		struct bproc_slave_cfg cfg;
		unsigned char tail[12];
	} big;
	int fd;
	size_t i;

	if (geteuid() != 0)
		SKIP(return, "BPROC_IOC_SLAVE needs CAP_SYS_ADMIN");
	fd = dev_open();
	ASSERT_LE(0, fd);

#define REJECT(err, change) do {					\
		cfg = good;						\
		change;							\
		EXPECT_EQ(err, ioc(fd, BPROC_IOC_SLAVE, &cfg))		\
			TH_LOG("accepted: %s", #change);		\
	} while (0)

	REJECT(-EINVAL, cfg.node = -1);
	REJECT(-EINVAL, cfg.node = BPROC_NODE_MASTER);
	REJECT(-EINVAL, cfg.node = BPROC_NODES_MAX);
	REJECT(-EINVAL, cfg.master_family = 0);
	REJECT(-EINVAL, cfg.master_family = AF_UNIX);
	REJECT(-EINVAL, cfg.master_addr[4] = 1);
	REJECT(-EINVAL, cfg.master_port = 0);
	REJECT(-EINVAL, cfg.size = 0);
	REJECT(-EINVAL, cfg.size = BPROC_SLAVE_CFG_SIZE_VER0 - 1);
	REJECT(-E2BIG, cfg.size = 1u << 20);
#undef REJECT
	ASSERT_EQ(-ENOENT, slave_get(fd, &out));	/* none took effect */

	memset(&big, 0, sizeof(big));
	big.cfg = good;
	big.cfg.size = sizeof(big);
	big.tail[11] = 1;
	ASSERT_EQ(-E2BIG, ioc(fd, _IOW(BPROC_IOC_MAGIC, 0x05, big), &big));
	big.tail[11] = 0;
	ASSERT_EQ(0, ioc(fd, _IOW(BPROC_IOC_MAGIC, 0x05, big), &big));

	/* SLAVE_GET: a larger caller has its tail cleared. */
	memset(&big, 0xa5, sizeof(big));
	big.cfg.size = sizeof(big);
	ASSERT_EQ(0, ioc(fd, _IOR(BPROC_IOC_MAGIC, 0x06, big), &big));
	ASSERT_EQ(BPROC_SLAVE_CFG_SIZE_VER0, big.cfg.size);
	ASSERT_EQ(good.node, big.cfg.node);
	for (i = 0; i < sizeof(big.tail); i++)
		ASSERT_EQ(0, big.tail[i]);
	cfg.size = BPROC_SLAVE_CFG_SIZE_VER0 - 1;
	ASSERT_EQ(-EINVAL, ioc(fd, BPROC_IOC_SLAVE_GET, &cfg));
	close(fd);
}

TEST_HARNESS_MAIN
