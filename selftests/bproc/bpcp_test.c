// SPDX-License-Identifier: GPL-2.0
/*
 * bpcp on a real cluster (bpcp(1)), run on the master VM of the QEMU
 * harness with nodes 0 and 1 up: master -> node with a 256 MB file,
 * node -> master, node -> node (the data straight between the two), to
 * several nodes at once, to 8 nodes along bpcp's tree (the master's bytes
 * counted), -p and -r, an interrupted copy, and the errors.
 * Every copy is checked by SHA-256 on the side it arrived on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bproc.h>

#include "kselftest_harness.h"
#include "cluster.h"

#define W	"/tmp/bpcp-test"

/* The SHA-256 of @path on @node (-1: the master), in @out (65 bytes). */
static int sum_of(int node, const char *path, char *out)
{
	struct res r;
	int ret;

	if (node < 0)
		ret = run(&r, "sha256sum %s", path);
	else
		ret = run(&r, "bpsh -n %d sha256sum %s", node, path);
	out[0] = '\0';
	if (!ret && r.out && strlen(r.out) >= 64)
		snprintf(out, 65, "%s", r.out);
	res_free(&r);
	return ret || !out[0] ? -1 : 0;
}

FIXTURE(bpcp) {
	int dummy;
};

FIXTURE_SETUP(bpcp)
{
	struct res r;

	ASSERT_EQ(BPROC_NODE_UP, bproc_nodestatus(0));
	ASSERT_EQ(BPROC_NODE_UP, bproc_nodestatus(1));
	ASSERT_EQ(0, run(&r, "rm -rf %s && mkdir -p %s && bpsh -n 0-1 rm -rf %s", W, W, W));
	res_free(&r);
}

/*
 * Nothing here: the harness may run a teardown beside the next test's
 * set-up, which would remove its directory. Each set-up starts clean,
 * and the last test cleans up after itself.
 */
FIXTURE_TEARDOWN(bpcp)
{
}

/* 256 MB master -> node 0, checked there; then node 0 -> node 1. */
TEST_F_TIMEOUT(bpcp, large_file_master_to_node_and_node_to_node, 900)
{
	char want[65], got[65];
	struct res r;
	double t;

	ASSERT_EQ(0, run(&r, "head -c 268435456 /dev/urandom > %s/big", W));
	res_free(&r);
	ASSERT_EQ(0, sum_of(-1, W "/big", want));
	ASSERT_EQ(0, run(&r, "bpsh -n 0-1 mkdir -p %s", W));
	res_free(&r);
	t = now();
	ASSERT_EQ(0, run(&r, "bpcp %s/big 0:%s/big", W, W)) TH_LOG("%s", r.err);
	res_free(&r);
	printf("# 256 MB master -> node 0: %.2f s\n", now() - t);
	EXPECT_EQ(0, sum_of(0, W "/big", got));
	EXPECT_STREQ(want, got);
	/* the master's copy is not needed any more: keep its RAM */
	unlink(W "/big");
	t = now();
	ASSERT_EQ(0, run(&r, "bpcp 0:%s/big 1:%s/big", W, W)) TH_LOG("%s", r.err);
	res_free(&r);
	printf("# 256 MB node 0 -> node 1 (straight): %.2f s\n", now() - t);
	EXPECT_EQ(0, sum_of(1, W "/big", got));
	EXPECT_STREQ(want, got);
	run(&r, "bpsh -n 0-1 rm -f %s/big", W);
	res_free(&r);
}

/* node -> master, and master -> several nodes at once. */
TEST_F_TIMEOUT(bpcp, node_to_master_and_to_several_nodes, 600)
{
	char want[65], got[65];
	struct res r;

	ASSERT_EQ(0, run(&r, "bpsh -n 1 sh -c 'mkdir -p %s && head -c 33554432 /dev/urandom > %s/n1'",
			 W, W));
	res_free(&r);
	ASSERT_EQ(0, sum_of(1, W "/n1", want));
	ASSERT_EQ(0, run(&r, "bpcp 1:%s/n1 %s/back", W, W)) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(0, sum_of(-1, W "/back", got));
	EXPECT_STREQ(want, got);
	ASSERT_EQ(0, run(&r, "bpsh -n 0-1 mkdir -p %s/many", W));
	res_free(&r);
	ASSERT_EQ(0, run(&r, "bpcp %s/back 0-1:%s/many", W, W)) TH_LOG("%s", r.err);
	res_free(&r);
	for (int node = 0; node < 2; node++) {
		EXPECT_EQ(0, sum_of(node, W "/many/back", got));
		EXPECT_STREQ(want, got) TH_LOG("node %d", node);
	}
}

/* -r and -p through a node and back: the same tree, modes and times. */
TEST_F_TIMEOUT(bpcp, trees_modes_and_times, 300)
{
	struct res r;

	ASSERT_EQ(0, run(&r, "mkdir -p %s/t/a/b && echo one > %s/t/a/b/x && "
			     "ln -s b/x %s/t/a/l && chmod 0750 %s/t/a && chmod 0604 %s/t/a/b/x && "
			     "touch -d '2001-02-03 04:05:06' %s/t/a/b/x && "
			     "truncate -s 64M %s/t/sparse && echo end >> %s/t/sparse && "
			     "bpsh -n 0 mkdir -p %s", W, W, W, W, W, W, W, W, W));
	res_free(&r);
	EXPECT_EQ(1, run(&r, "bpcp %s/t 0:%s/t", W, W));
	EXPECT_NE(NULL, strstr(r.err, "-r")) TH_LOG("%s", r.err);
	res_free(&r);
	ASSERT_EQ(0, run(&r, "bpcp -r -p %s/t 0:%s/t && bpcp -r -p 0:%s/t %s/t2",
			 W, W, W, W)) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "diff -r %s/t %s/t2 && [ \"$(readlink %s/t2/a/l)\" = b/x ] && "
			     "[ \"$(stat -c '%%a %%Y' %s/t2/a %s/t2/a/b/x)\" = \"$(stat -c '%%a %%Y' %s/t/a %s/t/a/b/x)\" ]",
			     W, W, W, W, W, W, W)) TH_LOG("%s%s", r.out, r.err);
	res_free(&r);
	/* the sparse file stayed sparse on the node and back */
	EXPECT_EQ(0, run(&r, "[ $(bpsh -n 0 du -k %s/t/sparse | cut -f1) -lt 4096 ] && "
			     "[ $(du -k %s/t2/sparse | cut -f1) -lt 4096 ]", W, W))
		TH_LOG("%s", r.err);
	res_free(&r);
}

/* Cut short: no file under its final name on the node. */
TEST_F_TIMEOUT(bpcp, interrupted_copy_leaves_no_file, 300)
{
	struct res r;

	ASSERT_EQ(0, run(&r, "head -c 134217728 /dev/urandom > %s/cut && bpsh -n 0 mkdir -p %s",
			 W, W));
	res_free(&r);
	EXPECT_NE(0, run(&r, "bpcp %s/cut 0:%s/cut & p=$!; sleep 0.3; kill -INT $p; wait $p", W, W));
	res_free(&r);
	sleep(1);
	EXPECT_EQ(0, run(&r, "bpsh -n 0 sh -c '[ ! -e %s/cut ]'", W)) TH_LOG("a partial file kept its name");
	res_free(&r);
	unlink(W "/cut");
}

/* Bytes this machine sent on every interface but lo. */
static unsigned long long tx_bytes(void)
{
	struct res r;
	unsigned long long n = 0;

	if (!run(&r, "cat $(ls -d /sys/class/net/*/statistics | grep -v /lo/ | "
		     "sed 's|$|/tx_bytes|')") && r.out) {
		char *p = r.out, *end;

		for (;;) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			n += v;
			p = end;
		}
	}
	res_free(&r);
	return n;
}

/*
 * To 8 nodes along bpcp's tree (width 2): every receiver ends well (bpcp
 * exits 0 only when each of the 8 got the whole stream and renamed its
 * file) and the file reads back by SHA-256 on every node; the master
 * sends the data to its 2 children only, not to all 8 (bytes counted on
 * its interfaces; --fanout 0, one copy per node, for scale). The virtual
 * nodes of a VM share its /tmp: directories are made once per VM (nodes
 * 0 and 1), and a node's copy is proven by its receiver's success.
 */
TEST_F_TIMEOUT(bpcp, to_eight_nodes_along_the_tree, 900)
{
	const double size = 32 << 20;
	unsigned long long t0, t1, t2;
	char want[65];
	struct res r;
	double t;

	for (int node = 0; node < 8; node++) {
		ASSERT_EQ(BPROC_NODE_UP, bproc_nodestatus(node)) {
			TH_LOG("node %d", node);
		}
	}
	ASSERT_EQ(0, run(&r, "head -c 33554432 /dev/urandom > %s/f8 && "
			     "bpsh -n 0-1 sh -c 'rm -rf %s/eight; mkdir -p %s/eight' && "
			     "bpcp /etc/hostname 0-7:%s/eight/warm", W, W, W, W))
		TH_LOG("%s", r.err);	/* bpcp itself is on the nodes now */
	res_free(&r);
	ASSERT_EQ(0, sum_of(-1, W "/f8", want));
	t0 = tx_bytes();
	t = now();
	ASSERT_EQ(0, run(&r, "bpcp --fanout 2 %s/f8 0-7:%s/eight", W, W)) TH_LOG("%s", r.err);
	res_free(&r);
	t = now() - t;
	t1 = tx_bytes();
	ASSERT_EQ(0, run(&r, "bpsh -n 0-7 sha256sum %s/eight/f8", W));
	EXPECT_EQ(8, count(r.out, want)) TH_LOG("%s", r.out);
	res_free(&r);
	printf("# 32 MiB to 8 nodes, tree of width 2: %.2f s, the master sent %.2f copies\n",
	       t, (t1 - t0) / size);
	EXPECT_GT(2.5, (t1 - t0) / size) TH_LOG("the master sent %.2f copies, not 2",
						(t1 - t0) / size);

	ASSERT_EQ(0, run(&r, "bpsh -n 0-1 rm -f %s/eight/f8 && bpcp --fanout 0 %s/f8 0-7:%s/eight",
			 W, W, W)) TH_LOG("%s", r.err);
	res_free(&r);
	t2 = tx_bytes();
	printf("# --fanout 0: the master sent %.2f copies\n", (t2 - t1) / size);
	EXPECT_LT(6.0, (t2 - t1) / size);
	ASSERT_EQ(0, run(&r, "bpsh -n 0-7 sha256sum %s/eight/f8", W));
	EXPECT_EQ(8, count(r.out, want)) TH_LOG("%s", r.out);
	res_free(&r);
	run(&r, "bpsh -n 0-1 rm -rf %s/eight; rm -f %s/f8", W, W);
	res_free(&r);

	/*
	 * A user's copy to 8 nodes, one of which it may not use (mode 0100,
	 * root's): the other 7 get it along the tree, bpcp fails and says
	 * which node and why.
	 */
	ASSERT_EQ(0, run(&r, "head -c 1048576 /dev/urandom > %s/u8 && chmod 0644 %s/u8 && "
			     "bpsh -n 0-1 sh -c 'rm -rf /tmp/bpcp-u8; mkdir -m 1777 /tmp/bpcp-u8' && "
			     "bpctl -S 7 -m 0100", W, W)) TH_LOG("%s", r.err);
	res_free(&r);
	ASSERT_EQ(0, sum_of(-1, W "/u8", want));
	EXPECT_NE(0, run(&r, "setpriv --reuid=65534 --regid=65534 --clear-groups "
			     "bpcp %s/u8 0-7:/tmp/bpcp-u8/", W));
	EXPECT_NE(NULL, strstr(r.err, "7")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "ermission denied")) TH_LOG("%s", r.err);
	res_free(&r);
	ASSERT_EQ(0, run(&r, "bpctl -S 7 -m 0111 && bpsh -n 0-6 sha256sum /tmp/bpcp-u8/u8"));
	EXPECT_EQ(7, count(r.out, want)) TH_LOG("%s", r.out);
	res_free(&r);
	run(&r, "bpsh -n 0-1 rm -rf /tmp/bpcp-u8; rm -f %s/u8", W);
	res_free(&r);
}

TEST_F_TIMEOUT(bpcp, errors_name_the_problem, 300)
{
	struct res r;

	EXPECT_EQ(1, run(&r, "bpcp 0:%s/none %s/x", W, W));
	EXPECT_NE(NULL, strstr(r.err, W "/none")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "No such file")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_NE(0, run(&r, "echo x > %s/f && bpcp %s/f 999:/tmp/x", W, W));
	EXPECT_NE(NULL, strstr(r.err, "999")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(1, run(&r, "bpcp 0:/etc/hostname %s/f %s/y", W, W));
	EXPECT_NE(NULL, strstr(r.err, "more than one machine")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(1, run(&r, "bpcp 0-1:/etc/hostname %s/y", W));
	EXPECT_NE(NULL, strstr(r.err, "one node")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(1, run(&r, "bpcp %s/f %s/f %s/nodir", W, W, W));
	EXPECT_NE(NULL, strstr(r.err, "not a directory")) TH_LOG("%s", r.err);
	res_free(&r);
	run(&r, "rm -rf %s; bpsh -n 0-1 rm -rf %s", W, W);
	res_free(&r);
}

TEST_HARNESS_MAIN
