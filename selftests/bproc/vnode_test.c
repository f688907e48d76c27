// SPDX-License-Identifier: GPL-2.0
/*
 * Many nodes: run on the master VM of the QEMU harness started with
 * virtual nodes (harness/cluster.py --vnodes, nodeinit bproc.vnodes), at
 * least VNODE_MIN nodes up. Each virtual node is a bpslave in its own
 * network namespace with its own address, node number, masquerade pid
 * namespace and cache; here they must all behave as nodes do.
 *
 * bptest-gen (jobs/) is the shipped dynamic program: every node writes
 * lines that depend on the node the module says it runs on, and the
 * checks below recompute every line, so a byte lost, reordered or given
 * to the wrong node fails.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bproc.h>

#include "kselftest_harness.h"
#include "cluster.h"
#include "jobs/bptest-gen.h"

#define VNODE_MIN	64

static char gen[PATH_MAX];	/* build/selftests/jobs/bptest-gen */

/*
 * Check @out, lines "[PREFIX]NODE SEQ WORD", against bptest-gen @lines on
 * each of @nodes nodes. @prefixed: each line starts with "NODE: " (-p).
 * @ordered: nodes come one after another in node order (-s). Returns
 * NULL, or what was wrong (static buffer).
 */
static const char *check_gen(const char *out, int nodes, unsigned long lines,
			     int prefixed, int ordered)
{
	static char why[256];
	unsigned long *next = calloc((size_t)nodes, sizeof(*next));
	const char *p = out;
	int last = -1, n;

	if (!next)
		return "out of memory";
	why[0] = '\0';
	while (*p && !why[0]) {
		const char *eol = strchr(p, '\n');
		char word[GEN_WORD_LEN + 1], got[GEN_WORD_LEN + 2], line[160];
		unsigned long seq;
		int node, pnode = -1, used = 0;

		if (!eol) {
			snprintf(why, sizeof(why), "a last line without newline: %.60s", p);
			break;
		}
		/* sscanf() takes strlen() of its input: one line at a time */
		if ((size_t)(eol - p) >= sizeof(line)) {
			snprintf(why, sizeof(why), "a line too long: %.60s", p);
			break;
		}
		memcpy(line, p, (size_t)(eol - p));
		line[eol - p] = '\0';
		if (prefixed && sscanf(line, "%d: %n", &pnode, &used) < 1) {
			snprintf(why, sizeof(why), "no node prefix: %.60s", line);
			break;
		}
		if (sscanf(line + used, "%d %lu %49s%n", &node, &seq, got, &n) < 3 ||
		    line + used + n != line + (eol - p)) {
			snprintf(why, sizeof(why), "not a bptest-gen line: %.60s", p);
			break;
		}
		if (node < 0 || node >= nodes || (prefixed && pnode != node)) {
			snprintf(why, sizeof(why), "node %d's line (prefix %d): %.60s",
				 node, pnode, p);
			break;
		}
		if (ordered && node != last && (node < last || (last >= 0 &&
						next[last] != lines))) {
			snprintf(why, sizeof(why), "node %d's output after node %d's "
				 "(%lu of %lu lines)", node, last,
				 last >= 0 ? next[last] : 0, lines);
			break;
		}
		last = node;
		gen_word((unsigned int)node, seq, word);
		if (seq != next[node] || strcmp(word, got))
			snprintf(why, sizeof(why), "node %d: line %lu where %lu was "
				 "due, or its word is wrong: %.80s", node, seq,
				 next[node], p);
		next[node]++;
		p = eol + 1;
	}
	for (n = 0; n < nodes && !why[0]; n++) {
		if (next[n] != lines)
			snprintf(why, sizeof(why), "node %d: %lu of %lu lines", n,
				 next[n], lines);
	}
	free(next);
	return why[0] ? why : NULL;
}

FIXTURE(vnodes) {
	int nodes;
};

FIXTURE_SETUP(vnodes)
{
	char exe[PATH_MAX];
	int i, up = 0;
	ssize_t n;

	self->nodes = bproc_numnodes();
	for (i = 0; i < self->nodes; i++)
		up += bproc_nodestatus(i) == BPROC_NODE_UP;
	ASSERT_LE(VNODE_MIN, up) TH_LOG("%d of %d nodes up", up, self->nodes);
	ASSERT_EQ(self->nodes, up) TH_LOG("every node of the run is up");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	snprintf(gen, sizeof(gen), "%s/jobs/bptest-gen", dirname(exe));
	ASSERT_EQ(0, access(gen, X_OK)) TH_LOG("%s: %s", gen, strerror(errno));
}

FIXTURE_TEARDOWN(vnodes)
{
}

/* The node table and bpstat: every node, each with its own address. */
TEST_F_TIMEOUT(vnodes, table_and_bpstat, 120)
{
	char want[64];
	struct res r;
	double t;

	t = now();
	ASSERT_EQ(0, run(&r, "bpstat --json | python3 -c '"
			     "import json, sys\n"
			     "t = json.load(sys.stdin)\n"
			     "nodes = t\n"
			     "up = [n for n in nodes if n[\"status\"] == \"up\"]\n"
			     "addrs = set(n[\"address\"] for n in up)\n"
			     "print(len(nodes), len(up), len(addrs))'"))
		TH_LOG("%s%s", r.out, r.err);
	snprintf(want, sizeof(want), "%d %d %d\n", self->nodes, self->nodes,
		 self->nodes);
	EXPECT_STREQ(want, r.out) TH_LOG("nodes, up, distinct addresses");
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpstat"));
	snprintf(want, sizeof(want), "0-%d", self->nodes - 1);
	EXPECT_NE(NULL, strstr(r.out, want)) TH_LOG("one merged range: %s", r.out);
	res_free(&r);
	printf("# bpstat --json and bpstat of %d nodes: %.2f s\n", self->nodes,
	       now() - t);
}

/*
 * A shipped dynamic program on every node, live output (-p, lines as
 * they come): every line of every node, in order, by content.
 */
TEST_F_TIMEOUT(vnodes, live_output_of_every_node_by_content, 600)
{
	const unsigned long lines = 1000;
	const char *why;
	struct res r;
	double t = now();

	ASSERT_EQ(0, run(&r, "bpsh -a -p %s %lu", gen, lines)) TH_LOG("%s", r.err);
	printf("# bpsh -a -p bptest-gen %lu: %zu bytes from %d nodes in %.2f s\n",
	       lines, r.outlen, self->nodes, now() - t);
	why = check_gen(r.out, self->nodes, lines, 1, 0);
	EXPECT_EQ(NULL, why) TH_LOG("%s", why);
	EXPECT_STREQ("", r.err);
	res_free(&r);
}

/*
 * The standard streams through the tree (docs/bpsh.md): stdin to every
 * node by checksum, and bpsh's sockets while the job runs, the most seen
 * over its life: with the tree a link per rank at the top (8) and a few
 * files connections; with --fanout 0, three connections per rank.
 */
static int peak_sockets(const char *bpsh_args, struct res *r)
{
	return run(r, "f=/tmp/vnode-stdin; head -c 3000000 /dev/urandom > $f; "
		      "want=$(sha256sum < $f | cut -d' ' -f1); "
		      "bpsh %s -a sh -c 'sha256sum; sleep 6' < $f > $f.out 2> $f.err & p=$!; "
		      "max=0; while kill -0 $p 2>/dev/null; do "
		      "n=$(ls -l /proc/$p/fd 2>/dev/null | grep -c socket); "
		      "[ $n -gt $max ] && max=$n; sleep 0.3; done; wait $p; rc=$?; "
		      "echo $rc $max $(grep -c \"^$want \" $f.out); cat $f.err >&2",
		      bpsh_args);
}

TEST_F_TIMEOUT(vnodes, streams_through_the_tree, 600)
{
	int rc = -1, tree = -1, direct = -1, sums = -1;
	struct res r;

	ASSERT_EQ(0, peak_sockets("--fanout 8", &r)) TH_LOG("%s", r.err);
	sscanf(r.out, "%d %d %d", &rc, &tree, &sums);
	EXPECT_EQ(0, rc) TH_LOG("%s", r.err);
	EXPECT_EQ(self->nodes, sums) TH_LOG("stdin through the tree: %s%s", r.out, r.err);
	res_free(&r);
	ASSERT_EQ(0, peak_sockets("--fanout 0", &r)) TH_LOG("%s", r.err);
	sscanf(r.out, "%d %d %d", &rc, &direct, &sums);
	EXPECT_EQ(0, rc) TH_LOG("%s", r.err);
	EXPECT_EQ(self->nodes, sums) TH_LOG("stdin straight: %s%s", r.out, r.err);
	res_free(&r);
	printf("# bpsh's sockets at most, %d nodes: %d with the tree, %d without\n",
	       self->nodes, tree, direct);
	EXPECT_LE(3 * self->nodes, direct);
	EXPECT_GE(self->nodes / 2, tree);
	/* the listening socket and a link of each of the 8 top ranks */
	EXPECT_LE(9, tree);
}

/* Held back, node after node (-s): the spill path, in node order. */
TEST_F_TIMEOUT(vnodes, held_output_in_node_order, 600)
{
	const unsigned long lines = 1500;
	const char *why;
	struct res r;

	ASSERT_EQ(0, run(&r, "bpsh -a -s -b 4096 %s %lu", gen, lines))
		TH_LOG("%s", r.err);
	why = check_gen(r.out, self->nodes, lines, 0, 1);
	EXPECT_EQ(NULL, why) TH_LOG("%s", why);
	res_free(&r);
}

/*
 * --json, -G and the failure summary at scale: one result per node, the
 * exit status of each, classes under merged node sets.
 */
TEST_F_TIMEOUT(vnodes, json_gather_and_summary, 600)
{
	char want[128];
	struct res r;

	EXPECT_EQ(2, run(&r, "bpsh -a --json sh -c 'exit $((BPROC_NODE %% 3))' "
			     "> /tmp/vnode.json; st=$?; python3 -c '"
			     "import json\n"
			     "res = json.load(open(\"/tmp/vnode.json\"))\n"
			     "bad = [x for x in res if x[\"status\"] != \"exited\" or "
			     "x[\"exit\"] != x[\"node\"] %% 3]\n"
			     "print(len(res), len(set(x[\"node\"] for x in res)), len(bad))'"
			     "; exit $st")) TH_LOG("%s%s", r.out, r.err);
	snprintf(want, sizeof(want), "%d %d 0\n", self->nodes, self->nodes);
	EXPECT_STREQ(want, r.out) TH_LOG("results, distinct nodes, wrong ones");
	res_free(&r);

	/* every failure named by class and node set */
	EXPECT_EQ(2, run(&r, "bpsh -a sh -c 'exit $((BPROC_NODE %% 3))'"));
	EXPECT_NE(NULL, strstr(r.err, "1,4,7,10")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, ": exit 1\n")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "2,5,8,11")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, ": exit 2\n")) TH_LOG("%s", r.err);
	EXPECT_EQ(2, count(r.err, "bpsh: ")) TH_LOG("two classes: %s", r.err);
	res_free(&r);

	EXPECT_EQ(0, run(&r, "bpsh -a -G echo same"));
	EXPECT_EQ(1, count(r.out, "same\n")) TH_LOG("%s", r.out);
	snprintf(want, sizeof(want), "\n0-%d\n", self->nodes - 1);
	EXPECT_NE(NULL, strstr(r.out, want)) TH_LOG("%s", r.out);
	res_free(&r);

}

/* A program no node has: bptest-gen with @extra random bytes after it. */
static long long fresh_program(const char *path, int extra)
{
	struct res r;
	long long size;

	if (run(&r, "mkdir -p %s && cp %s %s.tmp && head -c %d /dev/urandom >> %s.tmp "
		    "&& mv %s.tmp %s && stat -c %%s %s", dirname(strdupa(path)), gen,
		    path, extra, path, path, path, path)) {
		res_free(&r);
		return -1;
	}
	size = atoll(r.out);
	res_free(&r);
	return size;
}

/*
 * bpsh's fan-out tree: bpsh sends a new program to the nodes at the top
 * of the tree only (--fanout 8: 8 of them), the others fetch it from the
 * node above them; with --fanout 0 every node gets it from bpsh. Every
 * node runs it either way.
 */
TEST_F_TIMEOUT(vnodes, files_go_down_the_tree, 600)
{
	const int extra = 1 << 20, k = 8;
	long long size, sent;
	const char *why;
	struct res r;
	double t;

	size = fresh_program("/tmp/vnode-tree/a", extra);
	ASSERT_LT(extra, size);
	t = now();
	EXPECT_EQ(0, run(&r, "bpsh -v --fanout %d -a /tmp/vnode-tree/a 3", k))
		TH_LOG("%s", r.err);
	sent = bytes_sent(r.err);
	printf("# a new %lld-byte program on %d nodes, fanout %d: %lld file bytes "
	       "sent by bpsh (%.1f copies) in %.2f s\n", size, self->nodes, k,
	       sent, (double)sent / size, now() - t);
	why = check_gen(r.out, self->nodes, 3, 0, 0);
	EXPECT_EQ(NULL, why) TH_LOG("%s", why);
	/* the manifest and k copies of the program, give or take */
	EXPECT_LE(sent, (long long)k * (size + 65536)) TH_LOG("%s", r.err);
	EXPECT_LE((long long)k * size, sent);
	res_free(&r);

	size = fresh_program("/tmp/vnode-tree/b", extra);
	ASSERT_LT(extra, size);
	t = now();
	EXPECT_EQ(0, run(&r, "bpsh -v --fanout 0 -a /tmp/vnode-tree/b 3"))
		TH_LOG("%s", r.err);
	sent = bytes_sent(r.err);
	printf("# the same without the tree (--fanout 0): %lld file bytes sent by "
	       "bpsh (%.1f copies) in %.2f s\n", sent, (double)sent / size,
	       now() - t);
	EXPECT_LE((long long)self->nodes * size, sent) TH_LOG("%s", r.err);
	why = check_gen(r.out, self->nodes, 3, 0, 0);
	EXPECT_EQ(NULL, why) TH_LOG("%s", why);
	res_free(&r);
}

/* How long a launch takes at this size (a figure, not an assertion). */
TEST_F_TIMEOUT(vnodes, launch_figures, 300)
{
	double t1, tn;
	struct res r;

	ASSERT_EQ(0, run(&r, "bpsh 0 true"));
	res_free(&r);
	t1 = now();
	ASSERT_EQ(0, run(&r, "bpsh 0 true"));
	t1 = now() - t1;
	res_free(&r);
	tn = now();
	ASSERT_EQ(0, run(&r, "bpsh -a true")) TH_LOG("%s", r.err);
	tn = now() - tn;
	res_free(&r);
	printf("# bpsh 0 true %.3f s, bpsh -a true (%d nodes) %.3f s: ratio %.1f\n",
	       t1, self->nodes, tn, tn / t1);
}

/*
 * A virtual node asked to reboot (bpctl -R) restarts its own bpslave
 * (bpslave --virtual exits 3, nodeinit starts it again): it goes down and
 * comes back up, while its VM and the VM's other nodes stay up.
 */
TEST_F_TIMEOUT(vnodes, virtual_node_reboot_restarts_only_it, 600)
{
	struct bproc_node_info *before = NULL, *after = NULL, ni;
	int n, v, host = -1, moved = 0;
	struct res r;
	double t0;

	n = bproc_nodelist(&before);
	ASSERT_EQ(self->nodes, n);
	v = n - 1;			/* a virtual node of node VM 1 */
	for (int i = 0; i < n; i++)
		if (before[i].hwaddr[5] == before[v].hwaddr[5] &&
		    before[i].hwaddr[2] == 0)
			host = i;	/* the VM's own node */
	ASSERT_LE(0, host);
	ASSERT_NE(0, before[v].hwaddr[2]) TH_LOG("node %d is not virtual", v);
	ASSERT_EQ(0, run(&r, "bpctl -S %d -R", v)) TH_LOG("%s", r.err);
	res_free(&r);
	t0 = now();
	while (bproc_nodeinfo(v, &ni) == 0 && ni.state != BPROC_NODE_DOWN &&
	       now() - t0 < 60)
		usleep(100000);
	EXPECT_EQ(BPROC_NODE_DOWN, ni.state) TH_LOG("node %d never went down", v);
	while (bproc_nodeinfo(v, &ni) == 0 && ni.state != BPROC_NODE_UP &&
	       now() - t0 < 300)
		usleep(200000);
	ASSERT_EQ(BPROC_NODE_UP, ni.state) TH_LOG("node %d did not come back", v);
	printf("# virtual node %d rebooted (its bpslave restarted) and up in %.1f s\n",
	       v, now() - t0);
	EXPECT_EQ(0, run(&r, "bpsh %d true", v)) TH_LOG("%s", r.err);
	res_free(&r);
	/* Nobody else left up meanwhile; the VM itself did not reboot. */
	ASSERT_EQ(n, bproc_nodelist(&after));
	for (int i = 0; i < n; i++)
		if (i != v && (after[i].state != BPROC_NODE_UP ||
			       after[i].state_since != before[i].state_since))
			moved++;
	EXPECT_EQ(0, moved) TH_LOG("%d other nodes changed state", moved);
	EXPECT_EQ(before[host].node_boottime, after[host].node_boottime);
	EXPECT_EQ(before[v].node_boottime, after[v].node_boottime);
	free(before);
	free(after);
}

/*
 * bpsh's JSON results of a launch of "c 3" (3 lines out, exit 0) in
 * @path: @ok[i] 1 when node i ran it, 0 when it did not, -1 when it has
 * no result; its line in @lines[i]. The count of nodes without a result.
 */
static int launch_results(const char *path, int n, int *ok, char lines[][64])
{
	struct res r;
	char want[16];
	int missing = 0;

	if (run(&r, "python3 -c '"
		    "import json\n"
		    "for x in json.load(open(\"%s\")):\n"
		    "  ok = x[\"status\"] == \"exited\" and x[\"exit\"] == 0 and "
		    "len(x[\"stdout\"].splitlines()) == 3\n"
		    "  print(x[\"node\"], int(ok), x[\"status\"], x.get(\"signal\", x.get(\"error\", \"\")))'",
		    path)) {
		res_free(&r);
		return n;
	}
	for (int i = 0; i < n; i++) {
		char *p;
		int node;

		ok[i] = -1;
		lines[i][0] = '\0';
		snprintf(want, sizeof(want), "%d ", i);
		p = strstr(r.out, want);
		while (p && p != r.out && p[-1] != '\n')
			p = strstr(p + 1, want);
		if (!p || sscanf(p, "%d %d", &node, &ok[i]) != 2) {
			ok[i] = -1;
			missing++;
			continue;
		}
		snprintf(lines[i], 64, "%.*s", (int)strcspn(p, "\n"), p);
	}
	res_free(&r);
	return missing;
}

/*
 * An interior node's bpslave is killed during a launch (typed on its
 * VM's console; only that node, the VM's own, not its virtual nodes):
 * node 1, the parent of ranks 16-23 (--fanout 8). Its own process fails
 * (killed with the node's processes), every one of the other 63 nodes
 * runs the program, those below node 1 included (their files from bpsh
 * once node 1's seed is gone); nodeinit starts bpslave again and node 1
 * comes back up.
 */
TEST_F_TIMEOUT(vnodes, interior_bpslave_killed_mid_launch, 900)
{
	struct bproc_node_info *list = NULL, ni;
	int n, bad = 0, ran = 0, limit = cluster_down_limit(), *ok;
	char (*lines)[64];
	long long size;
	struct res r;
	double t0;

	n = bproc_nodelist(&list);
	ASSERT_EQ(self->nodes, n);
	ASSERT_EQ(0, list[1].hwaddr[2]) TH_LOG("node 1 is not its VM's own node");
	ASSERT_EQ(1, list[1].hwaddr[5]) TH_LOG("node 1 is not on node VM 1");
	ok = calloc(n, sizeof(*ok));
	lines = calloc(n, sizeof(*lines));
	ASSERT_TRUE(ok && lines);
	size = fresh_program("/tmp/vnode-tree/d", 8 << 20);
	ASSERT_LT(8 << 20, size);
	ASSERT_EQ(0, run(&r, "(bpsh --fanout 8 -a --json --ship /tmp/vnode-tree/d sh -c "
			     "'/tmp/vnode-tree/d 3 && sleep 10' > /tmp/vnode-skill.json "
			     "2> /tmp/vnode-skill.err; echo $? > /tmp/vnode-skill.rc) & "
			     "sleep 1.5; bproc-vmctl node-sh node1 'for p in $(pidof bpslave); do "
			     "[ \"$(readlink /proc/$p/ns/net)\" = \"$(readlink /proc/1/ns/net)\" ] "
			     "&& kill -9 $p; done' >/dev/null; wait; cat /tmp/vnode-skill.rc"))
		TH_LOG("%s", r.err);
	EXPECT_NE(0, atoi(r.out)) TH_LOG("bpsh's exit status");
	res_free(&r);
	EXPECT_EQ(0, launch_results("/tmp/vnode-skill.json", n, ok, lines));
	for (int i = 0; i < n; i++) {
		if (i == 1) {
			EXPECT_EQ(0, ok[i]) TH_LOG("node 1: %s", lines[i]);
			continue;
		}
		ran += ok[i] == 1;
		if (ok[i] != 1) {
			bad++;
			TH_LOG("node %d: %s", i, lines[i]);
		}
	}
	printf("# node 1's bpslave killed mid-launch: %d of the other %d nodes ran "
	       "the program; node 1: %s\n", ran, n - 1, lines[1]);
	EXPECT_EQ(0, bad);
	/* nodeinit starts it again: node 1 comes back */
	t0 = now();
	while ((bproc_nodeinfo(1, &ni) || ni.state != BPROC_NODE_UP) &&
	       now() - t0 < limit)
		usleep(200000);
	ASSERT_EQ(BPROC_NODE_UP, ni.state) TH_LOG("node 1 did not come back");
	EXPECT_EQ(0, run(&r, "bpsh 1 true")) TH_LOG("%s", r.err);
	res_free(&r);
	free(ok);
	free(lines);
	free(list);
}

/*
 * An interior node of the tree dies during a launch: node 1, whose VM
 * holds it and half the virtual nodes, is killed while a new 8 MB program
 * goes out (run by a shell that then sleeps 10 s, so no process of the
 * killed VM can be done before the kill). Node 1 is the parent of ranks 16-23 (--fanout 8), which live
 * on the other VM: they still get the program (from bpsh). Every node of
 * the other VM runs it; every node of the killed VM fails, and the
 * result of each says so. Last: it leaves that VM down.
 */
TEST_F_TIMEOUT(vnodes, interior_node_killed_mid_launch, 600)
{
	struct bproc_node_info *list = NULL;
	int n, lost = 0, kept = 0, bad, *ok;
	char (*lines)[64];
	long long size;
	struct res r;

	n = bproc_nodelist(&list);
	ASSERT_EQ(self->nodes, n);
	ok = calloc(n, sizeof(*ok));
	lines = calloc(n, sizeof(*lines));
	ASSERT_TRUE(ok && lines);
	size = fresh_program("/tmp/vnode-tree/c", 8 << 20);
	ASSERT_LT(8 << 20, size);
	ASSERT_EQ(0, run(&r, "(bpsh --fanout 8 -a --json --ship /tmp/vnode-tree/c sh -c "
			     "'/tmp/vnode-tree/c 3 && sleep 10' > /tmp/vnode-kill.json "
			     "2> /tmp/vnode-kill.err; echo $? > /tmp/vnode-kill.rc) & "
			     "sleep 1.5; bproc-vmctl kill 1 >/dev/null; wait; cat /tmp/vnode-kill.rc"))
		TH_LOG("%s", r.err);
	EXPECT_NE(0, atoi(r.out)) TH_LOG("bpsh's exit status");
	res_free(&r);
	/* every node has a result: ran it on the other VM, not on this one */
	bad = launch_results("/tmp/vnode-kill.json", n, ok, lines);
	for (int i = 0; i < n; i++) {
		if (ok[i] < 0)
			continue;	/* counted by launch_results */
		/* node VM NN: its own MAC and its virtual nodes' end in NN */
		if (list[i].hwaddr[5] == 1) {	/* on the VM that was killed */
			lost++;
			if (ok[i])
				bad++;
		} else {
			kept++;
			if (!ok[i]) {
				bad++;
				TH_LOG("node %d on the surviving VM: %s", i, lines[i]);
			}
		}
	}
	printf("# interior node 1 killed mid-launch: %d nodes of the other VM ran "
	       "the program, %d nodes of its own VM failed\n", kept, lost);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(self->nodes / 2, kept);
	free(ok);
	free(lines);
	free(list);
}

TEST_HARNESS_MAIN
