// SPDX-License-Identifier: GPL-2.0
/*
 * bpstat against the live module: this test takes the master role, fills
 * a small node table through BPROC_IOC_NODE_SET and checks what bpstat
 * prints in each view, for root and for an unprivileged user, and after
 * the master's file is closed.
 *
 * Run as root with bproc.ko loaded, before bpmaster starts: while another
 * file holds the master role the tests only check that bpstat agrees
 * with the table that file keeps.
 *
 * bpstat is taken from $BPROC_TOP/build/bin, else from PATH.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/bproc.h>

#include "kselftest_harness.h"

#define DEV "/dev/bproc"
#define NOBODY 65534
#define OUT_MAX 16384

struct result {
	int status;		/* exit status, or 128 + signal */
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static void read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += r;
	buf[n] = '\0';
}

/* Run bpstat with @args (NULL-terminated), optionally as nobody. */
static int bpstat(struct result *res, int as_nobody, const char *const *args)
{
	const char *top = getenv("BPROC_TOP");
	char path[4096], *argv[16];
	int out[2], err[2], i, st;
	pid_t pid;

	if (top)
		snprintf(path, sizeof(path), "%s/build/bin/bpstat", top);
	else
		snprintf(path, sizeof(path), "bpstat");
	argv[0] = path;
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;

	if (pipe(out) || pipe(err))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		if (as_nobody && (setgroups(0, NULL) ||
				  setresgid(NOBODY, NOBODY, NOBODY) ||
				  setresuid(NOBODY, NOBODY, NOBODY)))
			_exit(126);
		execvp(path, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	read_all(out[0], res->out, sizeof(res->out));
	read_all(err[0], res->err, sizeof(res->err));
	close(out[0]);
	close(err[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

#define BPSTAT(res, ...) \
	ASSERT_EQ(0, bpstat(res, 0, (const char *const[]){ __VA_ARGS__, NULL }))
#define BPSTAT_NOBODY(res, ...) \
	ASSERT_EQ(0, bpstat(res, 1, (const char *const[]){ __VA_ARGS__, NULL }))

static void user_name(unsigned int uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%u", uid);
}

static void group_name(unsigned int gid, char *buf, size_t len)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(buf, len, "%s", gr->gr_name);
	else
		snprintf(buf, len, "%u", gid);
}

static int node_set(int fd, int node, __u32 state, __u32 mode, __u32 id,
		    const char *ip)
{
	struct bproc_node_info ni = {
		.size = sizeof(ni), .node = node, .state = state,
		.mode = mode, .uid = id, .gid = id, .cpus = 1,
		.mem_total = 256 << 20, .mem_free = 100 << 20,
		.load = { 5, 10, 150 },
		.nprocs = 2, .cache_used = 3 << 20, .cache_size = 64 << 20,
	};

	if (ip) {
		ni.addr_family = AF_INET;
		inet_pton(AF_INET, ip, ni.addr);
		ni.hwaddr_len = 6;
		memcpy(ni.hwaddr, "\x52\x54\x00\x42\x00\x00", 6);
		ni.hwaddr[5] = node;
	}
	strcpy(ni.kernel, "6.12-test");
	return ioctl(fd, BPROC_IOC_NODE_SET, &ni) < 0 ? -errno : 0;
}

FIXTURE(table) {
	int fd;
	int busy;
	char nobody[64], nogroup[64];
};

/*
 * Four nodes: 0-1 up (root, 0111, addresses .100 and .101), 2 down
 * (never set), 3 error (nobody:nogroup, 0111, address .103).
 */
FIXTURE_SETUP(table)
{
	struct bproc_master_cfg cfg = { .size = sizeof(cfg), .nodes = 4 };

	user_name(NOBODY, self->nobody, sizeof(self->nobody));
	group_name(NOBODY, self->nogroup, sizeof(self->nogroup));
	self->fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", DEV, strerror(errno));
	if (ioctl(self->fd, BPROC_IOC_MASTER, &cfg) < 0) {
		ASSERT_EQ(EBUSY, errno);
		self->busy = 1;
		TH_LOG("another file holds the master role: checking bpstat against its table");
		return;
	}
	ASSERT_EQ(0, node_set(self->fd, 0, BPROC_NODE_UP, 0111, 0,
			      "10.42.0.100"));
	ASSERT_EQ(0, node_set(self->fd, 1, BPROC_NODE_UP, 0111, 0,
			      "10.42.0.101"));
	ASSERT_EQ(0, node_set(self->fd, 3, BPROC_NODE_ERROR, 0111, NOBODY,
			      "10.42.0.103"));
}

FIXTURE_TEARDOWN(table)
{
	close(self->fd);
}

/* With bpmaster running: bpstat -n lists exactly the table's nodes. */
static void check_live(struct __test_metadata *_metadata, int fd)
{
	struct result r;
	char want[OUT_MAX] = "", line[32];
	__u32 n, i;

	ASSERT_EQ(0, ioctl(fd, BPROC_IOC_NODE_COUNT, &n));
	for (i = 0; i < n && strlen(want) + 16 < sizeof(want); i++) {
		snprintf(line, sizeof(line), "%u\n", i);
		strcat(want, line);
	}
	BPSTAT(&r, "-n");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	ASSERT_STREQ(want, r.out);
}

TEST_F(table, compact)
{
	struct result r;
	char want[1024];

	if (self->busy) {
		check_live(_metadata, self->fd);
		return;
	}
	BPSTAT(&r, "");
	/* "" is not a node spec: an error that names the problem. */
	ASSERT_EQ(1, r.status);
	ASSERT_STREQ("bpstat: bad node spec '': empty node list\n", r.err);

	ASSERT_EQ(0, bpstat(&r, 0, (const char *const[]){ NULL }));
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	snprintf(want, sizeof(want),
		 "Node(s)  Status  Mode        User%*s  Group\n"
		 "0-1      up      ---x--x--x  root%*s  root\n"
		 "2        down    ----------  root%*s  root\n"
		 "3        error   ---x--x--x  %s  %s\n",
		 (int)strlen(self->nobody) - 4, "",
		 (int)strlen(self->nobody) - 4, "",
		 (int)strlen(self->nobody) - 4, "",
		 self->nobody, self->nogroup);
	ASSERT_STREQ(want, r.out);
	ASSERT_STREQ("", r.err);
}

/* The long view's Since column of entries set a moment ago: "Ns". */
static void mask_since(char *s)
{
	for (char *p = s; (p = strstr(p, "s  ")); p++)
		if (p - s >= 2 && p[-2] == ' ' && p[-1] >= '0' && p[-1] <= '5')
			p[-1] = 'N';
}

TEST_F(table, long_and_lists)
{
	struct result r;

	if (self->busy) {
		check_live(_metadata, self->fd);
		return;
	}
	BPSTAT(&r, "-l", "0-2");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	mask_since(r.out);
	ASSERT_STREQ("Node  Address      Status  Since  Mode        User  Group  CPUs  Load            Memory     Procs  Cache   Up  Kernel     Error\n"
		     "0     10.42.0.100  up      Ns     ---x--x--x  root  root   1     0.05,0.10,1.50  156M/256M  2      3M/64M  -   6.12-test  -\n"
		     "1     10.42.0.101  up      Ns     ---x--x--x  root  root   1     0.05,0.10,1.50  156M/256M  2      3M/64M  -   6.12-test  -\n"
		     "2     -            down    Ns     ----------  root  root   -     -               -          -      -       -   -          -\n",
		     r.out);

	BPSTAT(&r, "-a", "allup", "n3");
	ASSERT_EQ(0, r.status);
	ASSERT_STREQ("0  10.42.0.100\n1  10.42.0.101\n3  10.42.0.103\n", r.out);

	BPSTAT(&r, "--status", "allnotup");
	ASSERT_EQ(0, r.status);
	ASSERT_STREQ("2  down\n3  error\n", r.out);

	BPSTAT(&r, "-n", "n[1-3]");
	ASSERT_EQ(0, r.status);
	ASSERT_STREQ("1\n2\n3\n", r.out);

	BPSTAT(&r, "-t");
	ASSERT_EQ(0, r.status);
	ASSERT_STREQ("Status  Nodes\ndown    1\nup      2\nerror   1\ntotal   4\n",
		     r.out);
}

TEST_F(table, json)
{
	struct result r;

	if (self->busy) {
		check_live(_metadata, self->fd);
		return;
	}
	BPSTAT(&r, "--json", "3");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	ASSERT_EQ(0, strncmp(r.out, "[{\"node\":3,\"address\":\"10.42.0.103\","
			     "\"status\":\"error\",\"mode\":\"0111\",", 63))
		TH_LOG("got %s", r.out);
	ASSERT_NE(NULL, strstr(r.out, "\"uid\":65534,\"gid\":65534,"
			       "\"hwaddr\":\"52:54:00:42:00:03\",\"cpus\":1,"
			       "\"mem_total\":268435456,\"mem_free\":104857600,"
			       "\"load\":[0.05,0.10,1.50],\"procs\":2,"
			       "\"cache_used\":3145728,\"cache_size\":67108864,"
			       "\"kernel\":\"6.12-test\"")) TH_LOG("got %s", r.out);
	ASSERT_NE(NULL, strstr(r.out, "\"state_since\":1"));

	BPSTAT(&r, "-j", "-t");
	ASSERT_EQ(0, r.status);
	ASSERT_STREQ("{\"down\":1,\"boot\":0,\"up\":2,\"error\":1,"
		     "\"unavailable\":0,\"reboot\":0,\"halt\":0,\"pwroff\":0,"
		     "\"total\":4}\n", r.out);

	/* The whole table is valid JSON with four objects. */
	BPSTAT(&r, "--json");
	ASSERT_EQ(0, r.status);
	if (access("/usr/bin/python3", X_OK) == 0) {
		char cmd[OUT_MAX + 256];
		FILE *p;
		int n = -1;

		snprintf(cmd, sizeof(cmd),
			 "python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<'EOF'\n%sEOF\n",
			 r.out);
		p = popen(cmd, "r");
		ASSERT_NE(NULL, p);
		ASSERT_EQ(1, fscanf(p, "%d", &n));
		pclose(p);
		ASSERT_EQ(4, n);
	}
}

TEST_F(table, errors)
{
	struct result r;

	BPSTAT(&r, "0,4096");
	ASSERT_EQ(1, r.status);
	ASSERT_STREQ("", r.out);
	if (!self->busy)
		ASSERT_STREQ("bpstat: bad node spec '0,4096': '4096': no such node (nodes 0-3)\n",
			     r.err);

	BPSTAT(&r, "0,allfoo");
	ASSERT_EQ(1, r.status);
	ASSERT_NE(NULL, strstr(r.err, "bpstat: bad node spec '0,allfoo': 'allfoo': unknown state 'foo'"));

	BPSTAT(&r, "-l", "-a");
	ASSERT_EQ(1, r.status);
	ASSERT_STREQ("bpstat: -l and -a cannot be combined\n", r.err);

	BPSTAT(&r, "--bogus");
	ASSERT_EQ(1, r.status);
	ASSERT_NE(NULL, strstr(r.err, "--bogus"));

	BPSTAT(&r, "--help");
	ASSERT_EQ(0, r.status);
	ASSERT_EQ(0, strncmp(r.out, "Usage: bpstat", 13));
	ASSERT_STREQ("", r.err);

	BPSTAT(&r, "--version");
	ASSERT_EQ(0, r.status);
	ASSERT_NE(NULL, strstr(r.out, "bproc module "));
}

TEST_F(table, unprivileged_reader)
{
	struct result r;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to uid %d", NOBODY);
	if (self->busy) {
		BPSTAT_NOBODY(&r, "-n", "0");
		ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
		ASSERT_STREQ("0\n", r.out);
		return;
	}
	BPSTAT_NOBODY(&r, "-s");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	ASSERT_STREQ("0  up\n1  up\n2  down\n3  error\n", r.out);
}

TEST_F(table, master_closed)
{
	struct result r;

	if (self->busy) {
		check_live(_metadata, self->fd);
		return;
	}
	close(self->fd);
	self->fd = open(DEV, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	BPSTAT(&r, "-a");
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	ASSERT_STREQ("0  10.42.0.100\n1  10.42.0.101\n2  -\n3  10.42.0.103\n",
		     r.out);
	BPSTAT(&r, "-t");
	ASSERT_EQ(0, r.status);
	ASSERT_STREQ("Status  Nodes\ndown    4\ntotal   4\n", r.out);
	BPSTAT(&r, "allup");
	ASSERT_EQ(0, r.status);
	ASSERT_STREQ("Node(s)  Status  Mode  User  Group\n", r.out);
}

TEST_HARNESS_MAIN
