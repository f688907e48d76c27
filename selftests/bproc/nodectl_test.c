// SPDX-License-Identifier: GPL-2.0
/*
 * Node management on a live cluster (docs/nodes.md, bpctl(1)): node
 * permissions as a file's execute bits with bpsh as root, as the owner
 * and as another user; bpctl's errors leaving the table unchanged; the
 * states an administrator sets (unavailable, error, up, down) and what
 * they do to bpsh; the change notifier and bpstat -U seeing a change
 * within 1 s; the live figures of processes and cache; a cache purge; and the power requests done for real: a
 * reboot that PXE-boots the node VM again, a power-off that stops it, a
 * halt that leaves it halted.
 *
 * Runs on the master of the QEMU harness with every node up, as root.
 * The node changed is the last node VM; every test leaves it up, owned
 * by root:root with mode 0111, but the last: it halts it.
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <bproc.h>

#include "kselftest_harness.h"
#include "cluster.h"

#define USER_A	"setpriv --reuid=65534 --regid=65534 --clear-groups "
#define USER_B	"setpriv --reuid=4242 --regid=4242 --clear-groups "

FIXTURE(nodes) {
	int nodes;		/* node VMs */
	int victim;		/* the node changed */
	int up_limit;		/* seconds a node may take to (re)boot */
	int leave_down;		/* the test left the node halted on purpose */
};

static int node_state(int node)
{
	struct bproc_node_info ni;

	return bproc_nodeinfo(node, &ni) ? -1 : (int)ni.state;
}

static bool wait_state(int node, int want, double limit)
{
	double t0 = now();

	while (node_state(node) != want) {
		if (now() - t0 > limit)
			return false;
		usleep(200000);
	}
	return true;
}

/* Back to root:root 0111 and up, whatever a test left. */
static void restore(struct __test_metadata *_metadata, int node, int limit)
{
	struct res r;

	if (node_state(node) != BPROC_NODE_UP &&
	    node_state(node) != BPROC_NODE_DOWN &&
	    node_state(node) != BPROC_NODE_BOOT)
		run(&r, "bpctl -S %d -s up", node), res_free(&r);
	EXPECT_TRUE(wait_state(node, BPROC_NODE_UP, limit))
		TH_LOG("node %d in state %d, not up", node, node_state(node));
	EXPECT_EQ(0, run(&r, "bpctl -S %d -u root -g root -m 0111", node))
		TH_LOG("%s", r.err);
	res_free(&r);
}

FIXTURE_SETUP(nodes)
{
	char buf[512], *p;

	ASSERT_EQ(0, cluster_sh(buf, sizeof(buf), "bproc-vmctl nodes"));
	self->nodes = 0;
	for (p = strtok(buf, " "); p; p = strtok(NULL, " "))
		self->nodes++;
	ASSERT_LE(1, self->nodes);
	self->victim = self->nodes - 1;
	/*
	 * A PXE boot takes ~25 s on a quiet host: 5x slack and then some;
	 * the debug kernel (KASAN, kmemleak) boots ~10x slower.
	 */
	self->up_limit = access("/sys/kernel/debug/kmemleak", F_OK) &&
			 cluster_sh(NULL, 0, "grep -q kmemleak /proc/kallsyms") ?
			 300 : 1800;
	ASSERT_TRUE(wait_state(self->victim, BPROC_NODE_UP, self->up_limit));
}

FIXTURE_TEARDOWN(nodes)
{
	if (!self->leave_down)
		restore(_metadata, self->victim, self->up_limit);
}

static void expect_entry(struct __test_metadata *_metadata, int node,
			 unsigned int uid, unsigned int gid, unsigned int mode)
{
	struct bproc_node_info ni;

	ASSERT_EQ(0, bproc_nodeinfo(node, &ni));
	EXPECT_EQ(uid, ni.uid);
	EXPECT_EQ(gid, ni.gid);
	EXPECT_EQ(mode, ni.mode) TH_LOG("mode %03o, want %03o", ni.mode, mode);
}

TEST_F_TIMEOUT(nodes, permissions_like_execute_bits, 1800)
{
	int v = self->victim;
	char status[4096];
	pid_t pid, ghost = 0;
	struct res r;

	/* nobody owns the node; only the owner may run there. */
	ASSERT_EQ(0, run(&r, "bpctl -S %d -u nobody -g 65534 -m 0100", v))
		TH_LOG("%s", r.err);
	res_free(&r);
	expect_entry(_metadata, v, 65534, 65534, 0100);
	EXPECT_NE(0, run(&r, USER_B "bpsh %d true", v));
	EXPECT_NE(NULL, strcasestr(r.err, "permission denied")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(0, run(&r, USER_A "bpsh %d true", v)) TH_LOG("%s", r.err);
	res_free(&r);
	/* Root always may. */
	EXPECT_EQ(0, run(&r, "bpsh %d true", v)) TH_LOG("%s", r.err);
	res_free(&r);

	/* Someone else may not change the mode; the owner may not give the
	 * node away, nor to a group it is not in, nor change its state. */
	EXPECT_EQ(1, run(&r, USER_B "bpctl -S %d -m 0111", v));
	EXPECT_NE(NULL, strstr(r.err, "Operation not permitted")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(1, run(&r, USER_A "bpctl -S %d -u 4242", v));
	res_free(&r);
	EXPECT_EQ(1, run(&r, USER_A "bpctl -S %d -g 4242", v));
	res_free(&r);
	EXPECT_EQ(1, run(&r, USER_A "bpctl -S %d -s unavailable", v));
	res_free(&r);
	EXPECT_EQ(1, run(&r, USER_A "bpctl -S %d --cache-purge", v));
	res_free(&r);
	expect_entry(_metadata, v, 65534, 65534, 0100);
	EXPECT_EQ(BPROC_NODE_UP, node_state(v));

	/* The owner opens it to others: now they may. */
	EXPECT_EQ(0, run(&r, USER_A "bpctl -S %d -m 0101", v)) TH_LOG("%s", r.err);
	res_free(&r);
	expect_entry(_metadata, v, 65534, 65534, 0101);
	EXPECT_EQ(0, run(&r, USER_B "bpsh %d true", v)) TH_LOG("%s", r.err);
	res_free(&r);

	/* A process already running is not affected by a later change. */
	ASSERT_EQ(0, cluster_sh(NULL, 0,
				"(" USER_B "bpsh %d sleep 30 </dev/null >/dev/null 2>&1 &"
				" echo $! > /tmp/nodectl-sleep.pid)", v));
	pid = pid_in_file("/tmp/nodectl-sleep.pid", 10);
	ASSERT_LT(0, pid);
	usleep(1500000);	/* it is a ghost by now */
	ASSERT_EQ(0, run(&r, "bpctl -S %d -m 0100", v));
	res_free(&r);
	EXPECT_NE(0, run(&r, USER_B "bpsh %d true", v));
	res_free(&r);
	/* bpsh's child is the ghost of the sleep on the node */
	EXPECT_EQ(0, kill(pid, 0)) TH_LOG("the running job died after chmod");
	EXPECT_EQ(1, proc_children(pid, &ghost, 1));
	EXPECT_LT(0, proc_text(ghost, "status", status, sizeof(status)));
	EXPECT_NE(NULL, strstr(status, "BProcNode:")) TH_LOG("%s", status);
	kill(ghost, SIGKILL);
	kill(pid, SIGKILL);
	unlink("/tmp/nodectl-sleep.pid");
}

/* A snapshot of who may do what and the states, to compare. */
static void table_rights(char *buf, size_t len)
{
	struct bproc_node_info *l = NULL;
	size_t o = 0;
	int n, i;

	n = bproc_nodelist(&l);
	for (i = 0; i < n && o < len; i++)
		o += snprintf(buf + o, len - o, "%d:%u:%u:%u:%o ", l[i].node,
			      l[i].state, l[i].uid, l[i].gid, l[i].mode);
	free(l);
}

TEST_F_TIMEOUT(nodes, bpctl_errors_change_nothing, 1800)
{
	static const char *const bad[] = {
		"-S %d -s bogus", "-S %d -s boot", "-S %d -u nosuchuser",
		"-S %d -g nosuchgroup", "-S %d -m 0800", "-S %d -m 01000",
		"-S %d -m ''", "-S %d", "-S %d -R -H", "-S %d -s up -P",
		"-S %d,99 -m 0111", "-S n99%d -m 0111", "-M -s up",
		"-S %d -m 0111 -x", "-S %d -u root -m 0111 extra",
	};
	char before[4096], after[4096], cmd[128];
	struct res r;
	size_t i;

	table_rights(before, sizeof(before));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cmd, sizeof(cmd), bad[i], self->victim);
		EXPECT_EQ(1, run(&r, "bpctl %s", cmd)) TH_LOG("bpctl %s", cmd);
		EXPECT_NE(0, strlen(r.err)) TH_LOG("bpctl %s: no message", cmd);
		EXPECT_NE(NULL, strstr(r.err, "bpctl")) TH_LOG("%s", r.err);
		res_free(&r);
		table_rights(after, sizeof(after));
		EXPECT_STREQ(before, after) TH_LOG("after bpctl %s", cmd);
	}
	/* Named problems: the word that was wrong is in the message. */
	run(&r, "bpctl -S %d -s bogus", self->victim);
	EXPECT_NE(NULL, strstr(r.err, "bogus")) TH_LOG("%s", r.err);
	res_free(&r);
	run(&r, "bpctl -S %d -u nosuchuser", self->victim);
	EXPECT_NE(NULL, strstr(r.err, "nosuchuser")) TH_LOG("%s", r.err);
	res_free(&r);
}

TEST_F_TIMEOUT(nodes, states_an_admin_sets, 1800)
{
	int v = self->victim;
	struct bproc_node_info ni;
	struct res r;

	/* unavailable: root only */
	ASSERT_EQ(0, run(&r, "bpctl -S %d -s unavailable", v)) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(BPROC_NODE_UNAVAILABLE, node_state(v));
	EXPECT_EQ(0, run(&r, "bpstat -l | awk '$1 == %d { print $3 }' | grep -qx unavailable", v));
	res_free(&r);
	EXPECT_NE(0, run(&r, USER_A "bpsh %d true", v));
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh %d true", v)) TH_LOG("%s", r.err);
	res_free(&r);

	/* error: nobody runs there; the reason is kept and shown */
	ASSERT_EQ(0, run(&r, "bpctl -S %d -s error", v)) TH_LOG("%s", r.err);
	res_free(&r);
	ASSERT_EQ(0, bproc_nodeinfo(v, &ni));
	EXPECT_EQ(BPROC_NODE_ERROR, ni.state);
	EXPECT_STREQ("set by an administrator", ni.error);
	EXPECT_NE(0, run(&r, "bpsh %d true", v));
	res_free(&r);

	/* up again: everyone may */
	ASSERT_EQ(0, run(&r, "bpctl -S %d -s up", v)) TH_LOG("%s", r.err);
	res_free(&r);
	ASSERT_EQ(0, bproc_nodeinfo(v, &ni));
	EXPECT_EQ(BPROC_NODE_UP, ni.state);
	EXPECT_STREQ("", ni.error);
	EXPECT_EQ(0, run(&r, USER_A "bpsh %d true", v)) TH_LOG("%s", r.err);
	res_free(&r);

	/* The same through libbproc. */
	EXPECT_EQ(0, bproc_nodesetstatus(v, BPROC_NODE_UNAVAILABLE));
	EXPECT_EQ(BPROC_NODE_UNAVAILABLE, node_state(v));
	EXPECT_EQ(-1, bproc_nodesetstatus(v, BPROC_NODE_BOOT));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, bproc_nodesetstatus(v, BPROC_NODE_UP));
	EXPECT_EQ(0, bproc_access(v, X_OK));
}

TEST_F_TIMEOUT(nodes, down_disconnects_and_it_comes_back, 1800)
{
	int v = self->victim;
	struct bproc_node_info a, b;
	struct res r;

	ASSERT_EQ(0, bproc_nodeinfo(v, &a));
	ASSERT_EQ(0, run(&r, "bpctl -S %d -s down", v)) TH_LOG("%s", r.err);
	res_free(&r);
	/* Down at once; bpslave then connects again by itself. */
	EXPECT_NE(BPROC_NODE_UP, node_state(v));
	ASSERT_TRUE(wait_state(v, BPROC_NODE_UP, self->up_limit));
	ASSERT_EQ(0, bproc_nodeinfo(v, &b));
	EXPECT_EQ(a.node_boottime, b.node_boottime) TH_LOG("the node rebooted");
	EXPECT_LT(a.state_since, b.state_since);
}

/*
 * One view of bpstat -U -l from @w (lines up to an empty one): the
 * Status column of node @node's row into @state. 0, or -1 at the end.
 */
static int read_view_state(FILE *w, int node, char *state, size_t len)
{
	char line[1024];
	int n, got = 0;

	state[0] = '\0';
	while (fgets(line, sizeof(line), w)) {
		if (line[0] == '\n')
			return got ? 0 : -1;
		if (sscanf(line, "%d %*s %31s", &n, state) == 2 && n == node)
			got = 1;
	}
	return -1;
}

TEST_F_TIMEOUT(nodes, notifier_and_watch_see_a_change_within_1s, 1800)
{
	int v = self->victim;
	struct pollfd p;
	unsigned long long g1 = 0, g2 = 0;
	char line[1024], state[32];
	double t0, t1;
	struct res r;
	FILE *w;
	int fd;

	fd = bproc_notifier(1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, bproc_notifier_ack(fd, &g1));
	ASSERT_EQ(0, run(&r, "bpctl -S %d -s unavailable", v)) TH_LOG("%s", r.err);
	res_free(&r);
	t0 = now();
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, 1000));
	ASSERT_EQ(1, bproc_notifier_ack(fd, &g2));
	EXPECT_LT(g1, g2);
	EXPECT_GT(1.0, now() - t0);
	close(fd);

	/*
	 * bpstat -U -l through a pipe, for the victim only: each view is a
	 * header line, its row and an empty line. The first view shows it
	 * unavailable; the view after the change shows it up.
	 */
	snprintf(line, sizeof(line), "exec bpstat -U -l --exit-after 20 %d 2>&1", v);
	w = popen(line, "r");
	ASSERT_NE(NULL, w);
	ASSERT_EQ(0, read_view_state(w, v, state, sizeof(state)));
	EXPECT_STREQ("unavailable", state);
	ASSERT_EQ(0, run(&r, "bpctl -S %d -s up", v)) TH_LOG("%s", r.err);
	res_free(&r);
	t0 = now();
	t1 = 0;
	while (!read_view_state(w, v, state, sizeof(state)))
		if (!strcmp(state, "up")) {
			t1 = now();
			break;
		}
	pclose(w);
	ASSERT_LT(0, t1) TH_LOG("bpstat -U never showed node %d up", v);
	EXPECT_GT(1.0, t1 - t0) TH_LOG("redraw %.2fs after the change", t1 - t0);
}

/* Wait until node @node's entry satisfies @cond (over @ni); false at @limit s. */
#define WAIT_ENTRY(node, ni, cond, limit) ({				\
	double __t0 = now();						\
	bool __ok;							\
	for (;;) {							\
		__ok = !bproc_nodeinfo(node, &(ni)) && (cond);		\
		if (__ok || now() - __t0 > (limit))			\
			break;						\
		usleep(100000);						\
	}								\
	__ok; })

/*
 * The node's count of bproc processes follows a job: a shell and its two
 * children are 3 (forks count), and when they end it is 0 again; the
 * node says so within its 250 ms of a change, not at its next interval.
 */
TEST_F_TIMEOUT(nodes, process_count_follows_a_job, 1800)
{
	int v = self->victim;
	struct bproc_node_info ni;
	char node[16];
	double t0;
	pid_t pid;
	int st;

	ASSERT_TRUE(WAIT_ENTRY(v, ni, ni.nprocs == 0, 30))
		TH_LOG("node %d reports %u processes before the job", v, ni.nprocs);
	snprintf(node, sizeof(node), "%d", v);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execlp("bpsh", "bpsh", "-n", node, "/bin/sh", "-c",
		       "trap 'kill $a $b; exit 0' TERM; sleep 300 & a=$!; "
		       "sleep 300 & b=$!; wait", (char *)NULL);
		_exit(127);
	}
	t0 = now();
	EXPECT_TRUE(WAIT_ENTRY(v, ni, ni.nprocs == 3, 60))
		TH_LOG("node %d reports %u processes, not 3", v, ni.nprocs);
	TH_LOG("3 processes reported %.2f s after bpsh started", now() - t0);
	kill(pid, SIGTERM);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	t0 = now();
	EXPECT_TRUE(WAIT_ENTRY(v, ni, ni.nprocs == 0, 30))
		TH_LOG("node %d still reports %u processes", v, ni.nprocs);
	EXPECT_GT(10.0, now() - t0) TH_LOG("the count took %.1f s to fall",
					   now() - t0);
}

TEST_F_TIMEOUT(nodes, cache_purge, 1800)
{
	int v = self->victim;
	struct bproc_node_info ni;
	struct res r;

	/* Run a shipped program twice: the second run finds it cached. */
	ASSERT_EQ(0, run(&r, "bpsh -v %d /usr/bin/id -u", v)) TH_LOG("%s", r.err);
	res_free(&r);
	ASSERT_EQ(0, run(&r, "bpsh -v %d /usr/bin/id -u", v)) TH_LOG("%s", r.err);
	EXPECT_EQ(0, bytes_sent(r.err)) TH_LOG("%s", r.err);
	res_free(&r);
	/* The node table shows the cache in use, and its limit. */
	EXPECT_TRUE(WAIT_ENTRY(v, ni, ni.cache_used > 0 && ni.cache_size > 0 &&
			       ni.cache_used <= ni.cache_size, 30))
		TH_LOG("node %d: cache %llu of %llu bytes", v,
		       (unsigned long long)ni.cache_used,
		       (unsigned long long)ni.cache_size);
	ASSERT_EQ(0, run(&r, "bpctl -S %d --cache-purge", v)) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(BPROC_NODE_UP, node_state(v));
	EXPECT_TRUE(WAIT_ENTRY(v, ni, ni.cache_used == 0, 30))
		TH_LOG("node %d: %llu bytes still cached after the purge", v,
		       (unsigned long long)ni.cache_used);
	ASSERT_EQ(0, run(&r, "bpsh -v %d /usr/bin/id -u", v)) TH_LOG("%s", r.err);
	EXPECT_LT(0, bytes_sent(r.err)) TH_LOG("nothing sent after the purge: %s",
					       r.err);
	res_free(&r);
}

/*
 * The node_up step (docs/config.md "nodeup") on a live node: a script
 * that fails for it leaves it in error with the reason, shown by bpstat;
 * once the script passes, the node comes up on its next connect.
 */
#define NODEUP_DIR "/run/bproc/nodeup-test"

TEST_F_TIMEOUT(nodes, node_up_failure_leaves_error, 1800)
{
	int v = self->victim;
	struct bproc_node_info ni;
	struct res r;
	bool err_seen, up_again;

	ASSERT_EQ(0, run(&r, "mkdir -p " NODEUP_DIR " && "
			 "printf '#!/bin/sh\\nif [ -e " NODEUP_DIR "/fail-$1 ]; then echo no disk >&2; exit 3; fi\\n' > " NODEUP_DIR "/10-check && "
			 "chmod 755 " NODEUP_DIR "/10-check && touch " NODEUP_DIR "/fail-%d && "
			 "printf 'nodeup " NODEUP_DIR "\\nnodeuptimeout 30\\n' >> /etc/bproc/config && "
			 "pkill -HUP -x bpmaster", v)) TH_LOG("%s", r.err);
	res_free(&r);
	sleep(2);	/* the reload */
	EXPECT_EQ(0, run(&r, "bpctl -S %d -s down", v)) TH_LOG("%s", r.err);
	res_free(&r);
	err_seen = wait_state(v, BPROC_NODE_ERROR, self->up_limit);
	EXPECT_TRUE(err_seen) TH_LOG("node %d in state %d", v, node_state(v));
	EXPECT_EQ(0, bproc_nodeinfo(v, &ni));
	EXPECT_NE(NULL, strstr(ni.error, "exited with status 3")) TH_LOG("%s", ni.error);
	EXPECT_EQ(0, run(&r, "bpstat -l %d | grep -q 'exited with status 3'", v))
		TH_LOG("bpstat -l does not show the reason");
	res_free(&r);
	EXPECT_NE(0, run(&r, "bpsh %d true", v));
	res_free(&r);

	/* Fixed: the next connect runs the step again and the node is up. */
	EXPECT_EQ(0, run(&r, "rm -f " NODEUP_DIR "/fail-* && bpctl -S %d -s down", v))
		TH_LOG("%s", r.err);
	res_free(&r);
	up_again = wait_state(v, BPROC_NODE_UP, self->up_limit);

	/* The cluster's own configuration again. */
	EXPECT_EQ(0, run(&r, "sed -i '/^nodeup/d' /etc/bproc/config && pkill -HUP -x bpmaster"));
	res_free(&r);
	sleep(2);
	ASSERT_TRUE(up_again) TH_LOG("node %d in state %d", v, node_state(v));
	EXPECT_EQ(0, bproc_nodeinfo(v, &ni));
	EXPECT_STREQ("", ni.error);
}

/* The node VM's power state as the harness sees it: "running"/"stopped". */
static void vm_state(int node, char *buf, size_t len)
{
	/* bproc-vmctl prints "running link up" */
	cluster_sh(buf, len, "bproc-vmctl state node%d 2>&1 | awk '{print $1}'",
		   node);
}

TEST_F_TIMEOUT(nodes, reboot_boots_the_node_again, 3600)
{
	int v = self->victim;
	struct bproc_node_info a, b;
	struct res r;

	ASSERT_EQ(0, bproc_nodeinfo(v, &a));
	ASSERT_EQ(0, run(&r, "bpctl -S %d -R", v)) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_NE(BPROC_NODE_UP, node_state(v));
	/* reboot until the node disconnects, then down, then boot, up */
	ASSERT_TRUE(wait_state(v, BPROC_NODE_DOWN, 60));
	ASSERT_TRUE(wait_state(v, BPROC_NODE_UP, self->up_limit));
	ASSERT_EQ(0, bproc_nodeinfo(v, &b));
	EXPECT_LT(a.node_boottime, b.node_boottime)
		TH_LOG("the node did not boot again");
	EXPECT_EQ(0, run(&r, "bpsh %d true", v)) TH_LOG("%s", r.err);
	res_free(&r);
}

TEST_F_TIMEOUT(nodes, pwroff_stops_the_vm, 3600)
{
	int v = self->victim;
	char st[64];
	double t0;
	struct res r;

	ASSERT_EQ(0, run(&r, "bpctl -S %d -P", v)) TH_LOG("%s", r.err);
	res_free(&r);
	ASSERT_TRUE(wait_state(v, BPROC_NODE_DOWN, 60));
	t0 = now();
	do {
		usleep(500000);
		vm_state(v, st, sizeof(st));
	} while (strcmp(st, "stopped") && now() - t0 < 120);
	EXPECT_STREQ("stopped", st);
	/* powered on again, it PXE-boots and comes back */
	ASSERT_EQ(0, cluster_sh(NULL, 0, "bproc-vmctl start node%d", v));
	ASSERT_TRUE(wait_state(v, BPROC_NODE_UP, self->up_limit));
}

/* Last: the node stays halted (its VM running) to the end of the run. */
TEST_F_TIMEOUT(nodes, halt_leaves_the_vm_halted, 3600)
{
	int v = self->victim;
	char st[64];
	struct res r;

	ASSERT_EQ(0, run(&r, "bpctl -S %d -H", v)) TH_LOG("%s", r.err);
	res_free(&r);
	self->leave_down = 1;
	ASSERT_TRUE(wait_state(v, BPROC_NODE_DOWN, 60));
	sleep(10);
	EXPECT_EQ(BPROC_NODE_DOWN, node_state(v)) TH_LOG("a halted node came back");
	vm_state(v, st, sizeof(st));
	EXPECT_STREQ("running", st) TH_LOG("halt is not power-off");
	/* A node that is not connected takes no state but down. */
	EXPECT_EQ(1, run(&r, "bpctl -S %d -s up", v));
	EXPECT_NE(NULL, strstr(r.err, "down")) TH_LOG("%s", r.err);
	res_free(&r);
}

TEST_HARNESS_MAIN
