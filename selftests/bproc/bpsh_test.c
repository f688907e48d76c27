// SPDX-License-Identifier: GPL-2.0
/*
 * bpsh on a real cluster (docs/bpsh.md, bpsh(1)), run on the master VM of
 * the QEMU harness with at least 2 nodes up, as a user would run it: from
 * a shell, through pipes and a pty, as root and as nobody.
 *
 * What the node image lacks is shipped: a dynamic program with libraries
 * found through $ORIGIN (jobs/), #! scripts whose interpreter is bash, a
 * program changed between two runs. The streams are checked by checksum
 * through 100 MB each way, a stalled reader must stall the remote writer,
 * signals and job control must reach the remote processes, exit statuses
 * follow the rule of the man page, a job's /proc shows its own processes,
 * and each error names its node and cause and leaves nothing behind.
 *
 * What the node itself sees is checked with a bare bproc_rexec() of the
 * node's busybox sh, whose exit status is the answer.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bproc.h>

#include "kselftest_harness.h"
#include "cluster.h"

#define WORK		"/tmp/bpsh-test"
#define NODE_CACHE	"/run/bproc/cache"

static char jobs[PATH_MAX];	/* build/selftests/jobs */

/*
 * A bare bproc_rexec() of the node's own /bin/sh -c @script: what the
 * node's processes see (no job view). Its exit status, or -1.
 */
static int on_node(int node, const char *script)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	char *envp[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin", NULL };
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		bproc_rexec(node, "/bin/sh", argv, envp);
		_exit(120);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

FIXTURE(bpsh) {
	int nodes;
};

FIXTURE_SETUP(bpsh)
{
	char exe[PATH_MAX];
	ssize_t n;

	self->nodes = bproc_numnodes();
	ASSERT_LE(2, self->nodes);
	ASSERT_EQ(BPROC_NODE_UP, bproc_nodestatus(0));
	ASSERT_EQ(BPROC_NODE_UP, bproc_nodestatus(1));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	snprintf(jobs, sizeof(jobs), "%s/jobs", dirname(exe));
	ASSERT_EQ(0, access(jobs, X_OK)) TH_LOG("%s: %s", jobs, strerror(errno));
	mkdir(WORK, 0755);
	chmod(WORK, 0755);
}

FIXTURE_TEARDOWN(bpsh)
{
}

TEST_F_TIMEOUT(bpsh, usage_and_node_specs, 120)
{
	struct res r;

	EXPECT_EQ(0, run(&r, "bpsh -h"));
	EXPECT_NE(NULL, strstr(r.out, "usage: bpsh")) TH_LOG("%s", r.out);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh --version"));
	EXPECT_EQ(0, strncmp(r.out, "bpsh ", 5));
	res_free(&r);
	EXPECT_EQ(1, run(&r, "bpsh"));
	EXPECT_NE(NULL, strstr(r.err, "no node specification"));
	res_free(&r);
	EXPECT_EQ(1, run(&r, "bpsh -q 0 true"));
	EXPECT_NE(NULL, strstr(r.err, "unknown option -q")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(1, run(&r, "bpsh 0,x7 true"));
	EXPECT_NE(NULL, strstr(r.err, "'x7'")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(1, run(&r, "bpsh 0,%d true", self->nodes + 5));
	EXPECT_NE(NULL, strstr(r.err, "no such node")) TH_LOG("%s", r.err);
	res_free(&r);
	/* Every form of the reference; options end at the command. */
	EXPECT_EQ(0, run(&r, "for s in 0,1 0-1 n0,n1 'n[0-1]' .0,.1 'n[0,1]'; do "
			     "bpsh $s sh -c 'echo $BPROC_NODE' | sort | tr '\\n' ' '; echo; done"));
	EXPECT_EQ(6, count(r.out, "0 1 \n")) TH_LOG("%s%s", r.out, r.err);
	res_free(&r);
	/* every node (all up here), and an open range */
	EXPECT_EQ(0, run(&r, "for s in allup 0- all; do bpsh $s sh -c 'echo $BPROC_NODE' | wc -l; done")) TH_LOG("%s", r.err);
	{
		char want[64];

		snprintf(want, sizeof(want), "%d\n%d\n%d\n", self->nodes, self->nodes,
			 self->nodes);
		EXPECT_STREQ(want, r.out) TH_LOG("%s", r.err);
	}
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh -a echo -x -p y"));
	EXPECT_LE(2, count(r.out, "-x -p y\n")) TH_LOG("%s", r.out);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh -L -A -s sh -c 'echo $BPROC_RANK'"));
	EXPECT_EQ(0, strncmp(r.out, "0\n1\n", 4)) TH_LOG("%s", r.out);
	res_free(&r);
}

/* A program with three libraries no node has, found through $ORIGIN. */
TEST_F_TIMEOUT(bpsh, dynamic_program_and_libraries_shipped, 300)
{
	struct res r;
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "test ! -e %s/lib/libbpa.so.1", jobs);
	ASSERT_EQ(0, on_node(0, cmd)) TH_LOG("the node has the test's libraries");
	EXPECT_EQ(0, run(&r, "bpsh -s 0-1 %s/bptest-libs", jobs));
	EXPECT_STREQ("libs: b a c\nrank 0 node 0\nlibs: b a c\nrank 1 node 1\n",
		     r.out) TH_LOG("%s", r.err);
	res_free(&r);
	/* ... and the node's own processes still see none of it. */
	EXPECT_EQ(0, on_node(0, cmd));
	EXPECT_EQ(0, on_node(1, cmd));
	/* A system program with libraries of its own (libtinfo). */
	EXPECT_EQ(0, on_node(0, "test ! -e /usr/lib/x86_64-linux-gnu/libtinfo.so.6"));
	EXPECT_EQ(0, run(&r, "bpsh 0 bash -c 'echo $BASH_VERSION'"));
	EXPECT_LT(3, (int)strlen(r.out)) TH_LOG("%s%s", r.out, r.err);
	res_free(&r);
	/*
	 * --ship: what the closure cannot see. iconv dlopen()s its
	 * converters: without them the node cannot convert, with the
	 * configuration and the one module shipped it can.
	 */
	EXPECT_NE(0, run(&r, "set -o pipefail; printf '\\xe2\\x82\\xac' | bpsh 1 iconv -f UTF-8 -t ISO-8859-15 | od -An -tx1"));
	res_free(&r);
	EXPECT_EQ(0, run(&r, "set -o pipefail; g=/usr/lib/x86_64-linux-gnu/gconv; "
			     "printf '\\xe2\\x82\\xac' | bpsh --ship $g/gconv-modules --ship $g/gconv-modules.d "
			     "--ship $g/ISO8859-15.so 1 iconv -f UTF-8 -t ISO-8859-15 | od -An -tx1"));
	EXPECT_STREQ(" a4\n", r.out) TH_LOG("%s", r.err);
	res_free(&r);
}

TEST_F_TIMEOUT(bpsh, scripts_bring_their_interpreter, 200)
{
	struct res r;

	ASSERT_EQ(0, on_node(0, "test ! -e /bin/bash && test ! -e /usr/bin/bash"));
	ASSERT_EQ(0, run(&r, "printf '#!/bin/bash\\necho \"bash $# ${BASH_VERSINFO[0]}\"\\n' > " WORK "/s1 && "
			     "printf '#!/usr/bin/env bash\\necho env-bash ${BASH_VERSINFO[0]}\\n' > " WORK "/s2 && "
			     "printf '#!" WORK "/s1\\n' > " WORK "/s3 && "
			     "chmod 755 " WORK "/s1 " WORK "/s2 " WORK "/s3"));
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh 0 " WORK "/s1 a b"));
	EXPECT_EQ(0, strncmp(r.out, "bash 2 ", 7)) TH_LOG("%s%s", r.out, r.err);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "cd " WORK " && bpsh 1 ./s2"));
	EXPECT_EQ(0, strncmp(r.out, "env-bash ", 9)) TH_LOG("%s%s", r.out, r.err);
	res_free(&r);
	/* A script interpreted by a script: both, and bash. */
	EXPECT_EQ(0, run(&r, "bpsh 0 " WORK "/s3"));
	EXPECT_EQ(0, strncmp(r.out, "bash 1 ", 7)) TH_LOG("%s%s", r.out, r.err);
	res_free(&r);
}

TEST_F_TIMEOUT(bpsh, second_run_sends_no_file_bytes, 300)
{
	struct res r;
	long long first, second, third;

	/* A copy of its own, so no earlier test ran it from the node cache. */
	ASSERT_EQ(0, run(&r, "rm -rf " WORK "/prog && mkdir -p " WORK "/prog && "
			     "cp -a %s/bptest-libs %s/lib " WORK "/prog/ && "
			     "head -c 300000 /dev/urandom >> " WORK "/prog/bptest-libs",
			     jobs, jobs));
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh -v 0 " WORK "/prog/bptest-libs"));
	first = bytes_sent(r.err);
	EXPECT_LT(300000, first) TH_LOG("%s", r.err);
	EXPECT_EQ(0, strncmp(r.out, "libs: b a c", 11));
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh -v 0 " WORK "/prog/bptest-libs"));
	second = bytes_sent(r.err);
	EXPECT_EQ(0, second) TH_LOG("%s", r.err);
	EXPECT_EQ(0, strncmp(r.out, "libs: b a c", 11));
	res_free(&r);
	/* Changed on the master: sent again, and only the program (+ manifest). */
	ASSERT_EQ(0, run(&r, "sleep 1.1; echo >> " WORK "/prog/bptest-libs"));
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh -v 0 " WORK "/prog/bptest-libs"));
	third = bytes_sent(r.err);
	/* the program once more (one byte longer) and its manifest, no library */
	EXPECT_EQ(first + 1, third) TH_LOG("%lld then %lld: %s", first, third, r.err);
	EXPECT_EQ(0, strncmp(r.out, "libs: b a c", 11));
	res_free(&r);
}

/* How many times bpmaster logged node @node up. */
static int times_up(int node)
{
	struct res r;
	int n;

	run(&r, "grep -c -F ' node %d up (' /var/log/bpmaster.log", node);
	n = atoi(r.out ? r.out : "0");
	res_free(&r);
	return n;
}

/*
 * The node cache outlives bpslave (issue 9, point 2; not reboots: nodes
 * are diskless): bpslave killed on the last node, nodeinit starts it
 * again and the node comes back up; a program run there before sends no
 * file bytes.
 */
TEST_F_TIMEOUT(bpsh, node_cache_survives_bpslave_restart, 900)
{
	int node = self->nodes - 1, ups = times_up(node);
	double t0, limit = 5.0 * (cluster_config_int("pingtimeout", 30) +
				  cluster_config_int("pinginterval", 5));
	struct res r;

	ASSERT_EQ(0, run(&r, "rm -rf " WORK "/prog2 && mkdir -p " WORK "/prog2 && "
			     "cp -a %s/bptest-libs %s/lib " WORK "/prog2/ && "
			     "head -c 200000 /dev/urandom >> " WORK "/prog2/bptest-libs",
			     jobs, jobs));
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh -v %d " WORK "/prog2/bptest-libs", node));
	EXPECT_LT(200000, bytes_sent(r.err)) TH_LOG("%s", r.err);
	res_free(&r);
	/* the oldest bpslave is the daemon; its reaper children come later */
	ASSERT_EQ(0, run(&r, "bproc-vmctl node-sh node%d 'kill -9 $(pidof bpslave | tr \" \" \"\\n\" | sort -n | head -1)' 2>&1",
			 node)) TH_LOG("%s", r.out);
	res_free(&r);
	t0 = now();
	while (times_up(node) <= ups && now() - t0 < limit)
		usleep(200000);
	ASSERT_LT(ups, times_up(node)) TH_LOG("node %d not back up within %.0f s", node, limit);
	while (bproc_nodestatus(node) != BPROC_NODE_UP && now() - t0 < limit)
		usleep(200000);
	ASSERT_EQ(BPROC_NODE_UP, bproc_nodestatus(node));
	TH_LOG("node %d back up %.1f s after bpslave was killed", node, now() - t0);
	EXPECT_EQ(0, run(&r, "bpsh -v %d " WORK "/prog2/bptest-libs", node));
	EXPECT_EQ(0, bytes_sent(r.err)) TH_LOG("%s", r.err);
	EXPECT_EQ(0, strncmp(r.out, "libs: b a c", 11));
	res_free(&r);
}

/*
 * bpstat -p and -P (issue 12, point 4): a process started by bpsh on
 * each of nodes 0 and 1. -p lists each with its node, every line agreeing
 * with the /proc/PID/status BProcNode line, a NODESPEC narrows it, and
 * its JSON parses; real `ps -ef` output through -P gets their node in
 * the NODE column and nothing for a local process.
 */
TEST_F_TIMEOUT(bpsh, bpstat_shows_where_processes_run, 300)
{
	char want[64], path[64];
	pid_t pid[2];
	struct res r;

	for (int n = 0; n < 2; n++) {
		snprintf(path, sizeof(path), WORK "/where%d", n);
		unlink(path);
		ASSERT_EQ(0, run(&r, "bpsh %d sh -c 'echo $$; exec sleep 300' > %s 2>&1 < /dev/null &",
				 n, path));
		res_free(&r);
		pid[n] = pid_in_file(path, 60);
		ASSERT_LT(0, pid[n]) TH_LOG("no process started on node %d", n);
	}
	EXPECT_EQ(0, run(&r, "bpstat -p"));
	EXPECT_EQ(0, strncmp(r.out, "PID", 3)) TH_LOG("%s", r.out);
	for (int n = 0; n < 2; n++) {
		snprintf(want, sizeof(want), "\n%d", pid[n]);
		EXPECT_NE(NULL, strstr(r.out, want)) TH_LOG("pid %d missing: %s", pid[n], r.out);
	}
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpstat -p | awk 'NR > 1 { print $1, $2 }' | "
			     "while read p n; do grep -q \"^BProcNode:[[:space:]]*$n\\$\" /proc/$p/status || echo \"$p $n\"; done"));
	EXPECT_STREQ("", r.out) TH_LOG("-p disagrees with /proc/PID/status for: %s", r.out);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpstat -p 1 | awk -v p=%d -v q=%d '$1 == p && $2 == 1 { a = 1 } $1 == q { b = 1 } END { print a + 0, b + 0 }'",
			 pid[1], pid[0]));
	EXPECT_STREQ("1 0\n", r.out) TH_LOG("bpstat -p 1: node 1's process, not node 0's");
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpstat -p --json | python3 -c 'import json, sys; "
			     "d = {x[\"pid\"]: x[\"node\"] for x in json.load(sys.stdin)}; "
			     "print(d.get(%d), d.get(%d))'", pid[0], pid[1]));
	EXPECT_STREQ("0 1\n", r.out);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "ps -ef | bpstat -P | awk -v p=%d -v q=%d "
			     "'NR == 1 { h = $1 } $3 == p { a = $1 } $3 == q { b = $1 } "
			     "$1 == \"root\" && $2 == 1 { i = \"local\" } END { print h, a, b, i }'",
			     pid[0], pid[1]));
	/* init's line starts with its user: nothing in the NODE column */
	EXPECT_STREQ("NODE 0 1 local\n", r.out) TH_LOG("ps -ef | bpstat -P");
	res_free(&r);
	EXPECT_EQ(1, run(&r, "echo hello | bpstat -P"));
	res_free(&r);
	for (int n = 0; n < 2; n++)
		kill(pid[n], SIGKILL);
}

/*
 * One user cannot stall a node (issue 10, point 5): a start that hangs
 * (here the fetch of a 48 MB program from a bpsh stopped as soon as it
 * forked the process that sends the REXEC) runs beside bpslave's loop,
 * not in it. For more than a ping timeout the node stays up and runs
 * other processes; continued, the job completes. When bpslave started
 * processes in its loop, the node went down. (The stall stays under the
 * 60 s bpslave gives a silent bpsh.)
 */
TEST_F_TIMEOUT(bpsh, a_hung_start_does_not_stall_the_node, 900)
{
	int node = self->nodes - 1, st, pipefd[2];
	double t0, stall = cluster_config_int("pingtimeout", 30) +
			   cluster_config_int("pinginterval", 5) + 3.0;
	char out[64] = "";
	struct res r;
	pid_t bpsh, kid = 0;
	ssize_t n;

	ASSERT_EQ(0, run(&r, "rm -rf " WORK "/stall && mkdir -p " WORK "/stall && "
			     "cp -a %s/bptest-libs %s/lib " WORK "/stall/ && "
			     "head -c 48000000 /dev/urandom >> " WORK "/stall/bptest-libs",
			     jobs, jobs));
	res_free(&r);
	ASSERT_EQ(0, pipe(pipefd));
	bpsh = fork();
	ASSERT_LE(0, bpsh);
	if (bpsh == 0) {
		char spec[16];
		int nul = open("/dev/null", O_RDONLY);

		snprintf(spec, sizeof(spec), "%d", node);
		dup2(nul, 0);
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execlp("bpsh", "bpsh", spec, WORK "/stall/bptest-libs", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	t0 = now();
	while (proc_children(bpsh, &kid, 1) < 1 && now() - t0 < 120)
		usleep(2000);
	ASSERT_LT(0, kid) TH_LOG("bpsh started nothing");
	ASSERT_EQ(0, kill(bpsh, SIGSTOP));
	if (stall > 55)
		stall = 55;
	TH_LOG("bpsh stopped as its REXEC to node %d leaves (pid %d): %.0f s", node, kid, stall);
	t0 = now();
	while (now() - t0 < stall) {
		int up = bproc_nodestatus(node);

		EXPECT_EQ(BPROC_NODE_UP, up)
			TH_LOG("node %d down %.1f s into the stall", node, now() - t0);
		if (up != BPROC_NODE_UP)
			break;
		EXPECT_EQ(0, on_node(node, "true"))
			TH_LOG("node %d did not run a process %.1f s into the stall", node, now() - t0);
		sleep(2);
	}
	/* bpsh goes on whatever happened: nothing stays stopped */
	ASSERT_EQ(0, kill(bpsh, SIGCONT));
	n = read(pipefd[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = 0;
	close(pipefd[0]);
	ASSERT_EQ(bpsh, waitpid(bpsh, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("bpsh status 0x%x", st);
	EXPECT_EQ(0, strncmp(out, "libs: b a c", 11)) TH_LOG("bpsh printed '%s'", out);
	run(&r, "rm -rf " WORK "/stall");
	res_free(&r);
}

/* Wait up to 60 s for node @node to have mode @mode in the table. */
static bool node_mode_is(int node, unsigned int mode)
{
	struct bproc_node_info ni;
	double t0 = now();

	do {
		if (!bproc_nodeinfo(node, &ni) && ni.mode == mode)
			return true;
		usleep(100000);
	} while (now() - t0 < 60);
	return false;
}

/*
 * Node permissions (issue 9, point 5; issue 12, point 3): a nodeperm
 * line gives node 1 mode 0100 (root's) and a reload applies it while the
 * node is up. A user who is not root gets EACCES named for node 1 while
 * node 0 runs the job; root still may; back to 0111 the user runs there
 * again.
 */
TEST_F_TIMEOUT(bpsh, permission_denied_per_node, 300)
{
	static const char nobody[] =
		"setpriv --reuid=65534 --regid=65534 --clear-groups ";
	struct res r;

	ASSERT_EQ(0, run(&r, "cp /etc/bproc/config " WORK "/config.saved && "
			     "echo 'nodeperm 1 0100 root root' >> /etc/bproc/config && "
			     "pkill -HUP -x bpmaster"));
	res_free(&r);
	EXPECT_TRUE(node_mode_is(1, 0100)) TH_LOG("the reload did not give node 1 mode 0100");
	EXPECT_NE(0, run(&r, "%s bpsh 0-1 sh -c 'echo ran on $BPROC_NODE'", nobody));
	EXPECT_STREQ("ran on 0\n", r.out);
	EXPECT_NE(NULL, strstr(r.err, "node 1: permission denied")) TH_LOG("%s", r.err);
	EXPECT_EQ(NULL, strstr(r.err, "node 0: ")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh 1 true")) TH_LOG("root may run anywhere: %s", r.err);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "cp " WORK "/config.saved /etc/bproc/config && pkill -HUP -x bpmaster"));
	res_free(&r);
	EXPECT_TRUE(node_mode_is(1, 0111)) TH_LOG("node 1 not back to 0111");
	EXPECT_EQ(0, run(&r, "%s bpsh 1 true", nobody)) TH_LOG("%s", r.err);
	res_free(&r);
}

TEST_F_TIMEOUT(bpsh, stdin_and_stdout_100mb_by_checksum, 900)
{
	struct res r;
	char *want;

	ASSERT_EQ(0, run(&r, "head -c 100000000 /dev/urandom > " WORK "/big && "
			     "sha256sum < " WORK "/big"));
	want = strdup(r.out);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh 0 cat < " WORK "/big | sha256sum"));
	EXPECT_STREQ(want, r.out) TH_LOG("through stdin and stdout: %s", r.err);
	res_free(&r);
	/* stdin to two nodes at once: the same bytes to each */
	EXPECT_EQ(0, run(&r, "head -c 20000000 " WORK "/big | sha256sum; "
			     "head -c 20000000 " WORK "/big | bpsh 0-1 sha256sum"));
	{
		char sum[65] = "";

		snprintf(sum, sizeof(sum), "%s", r.out);
		EXPECT_EQ(3, count(r.out, sum)) TH_LOG("%s%s", r.out, r.err);
	}
	res_free(&r);
	unlink(WORK "/big");
	free(want);
}

/*
 * A command that does not end within 120 s: what each bpsh waits in,
 * its descriptors and kernel stack, and what runs on the nodes go to
 * stderr, then its bpsh runs are ended (a hang says where it hangs).
 */
#define WATCHED(cmd)							\
	"( sleep 120 </dev/null >/dev/null 2>&1; for p in $(pgrep -x bpsh); do " \
	"echo \"== bpsh $p stuck: $(tr '\\0' ' ' < /proc/$p/cmdline) in "	\
	"$(cat /proc/$p/wchan)\"; ls -l /proc/$p/fd; cat /proc/$p/stack; "	\
	"done >&2; bpsh -n 0-1 ps -o pid,stat,args >&2; "		\
	"pkill -x bpsh ) & wd=$!; " cmd "; rc=$?; kill $wd 2>/dev/null; exit $rc"

TEST_F_TIMEOUT(bpsh, streams_stay_separate_and_late_output_arrives, 600)
{
	struct res r;

	EXPECT_EQ(0, run(&r, WATCHED("bpsh 0 sh -c 'echo o; echo e >&2; echo o2'")))
		TH_LOG("%s", r.err);
	EXPECT_STREQ("o\no2\n", r.out);
	EXPECT_STREQ("e\n", r.err);
	res_free(&r);
	/* stdout closed early, stderr written after a pause */
	EXPECT_EQ(0, run(&r, WATCHED("bpsh 0 sh -c 'echo a; exec >&-; sleep 1; echo b >&2'")))
		TH_LOG("%s", r.err);
	EXPECT_STREQ("a\n", r.out);
	EXPECT_STREQ("b\n", r.err);
	res_free(&r);
	/* written just before exit: all of it, every time */
	EXPECT_EQ(0, run(&r, WATCHED("for i in 1 2 3; do bpsh 0-1 %s/bptest-flood /dev/null 3000000 | wc -c; done"),
			 jobs)) TH_LOG("%s", r.err);
	EXPECT_STREQ("6000000\n6000000\n6000000\n", r.out) TH_LOG("%s", r.err);
	res_free(&r);
}

/*
 * The streams through the tree (--fanout 1: node 1's rank is below node
 * 0's, its streams go through node 0's bpslave): stdin to both by
 * checksum, 48 MB out of each by checksum, to a reader that stalls first;
 * and bpsh holds one link per rank at the top, not three connections.
 */
TEST_F_TIMEOUT(bpsh, streams_through_a_relay, 600)
{
	struct res r;
	char sum[65] = "";

	ASSERT_EQ(0, run(&r, "head -c 20000000 /dev/urandom > " WORK "/relay && "
			     "sha256sum < " WORK "/relay"));
	snprintf(sum, sizeof(sum), "%s", r.out);
	res_free(&r);
	EXPECT_EQ(0, run(&r, WATCHED("bpsh --fanout 1 -p 0-1 sha256sum < " WORK "/relay")))
		TH_LOG("%s", r.err);
	EXPECT_EQ(2, count(r.out, sum)) TH_LOG("%s%s", r.out, r.err);
	res_free(&r);
	EXPECT_EQ(0, run(&r, WATCHED("bpsh --fanout 1 -s 0-1 sh -c 'yes xxxxxxxxx | "
				     "head -c 48000000' | { sleep 3; sha256sum; }; "
				     "{ yes xxxxxxxxx | head -c 48000000; yes xxxxxxxxx | "
				     "head -c 48000000; } | sha256sum")))
		TH_LOG("%s", r.err);
	/* two lines of sha256sum: "HASH  -" */
	EXPECT_EQ(68 * 2, r.outlen) TH_LOG("%s", r.out);
	EXPECT_EQ(0, r.outlen == 136 ? strncmp(r.out, r.out + 68, 64) : -1)
		TH_LOG("through the relay: %s%s", r.out, r.err);
	res_free(&r);
	/* while both run: bpsh's sockets (listen, rank 0's link, files) */
	EXPECT_EQ(0, run(&r, "bpsh --fanout 1 0-1 sleep 4 & p=$!; sleep 2.5; "
			     "ls -l /proc/$p/fd | grep -c socket; wait $p"))
		TH_LOG("%s", r.err);
	EXPECT_GE(3, atoi(r.out)) TH_LOG("bpsh's sockets: %s", r.out);
	EXPECT_LE(2, atoi(r.out)) TH_LOG("at least its listening socket and a link: %s",
					 r.out);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh --fanout 0 0-1 sleep 4 & p=$!; sleep 2.5; "
			     "ls -l /proc/$p/fd | grep -c socket; wait $p"))
		TH_LOG("%s", r.err);
	/* listen, stdout and stderr of each (stdin, /dev/null, ended) */
	EXPECT_LE(5, atoi(r.out)) TH_LOG("direct: bpsh's sockets: %s", r.out);
	res_free(&r);
	unlink(WORK "/relay");
}

/* A reader that stalls stalls the writer: nothing grows without bound. */
TEST_F_TIMEOUT(bpsh, backpressure_bounds_memory, 300)
{
	long long written = -1;
	long hwm = -1, avail0 = -1, avail1 = -1;
	struct res r;

	/*
	 * The node's available memory before and during the stall: neither
	 * bpslave nor the node's kernel may hold what the writer could not
	 * send (its stdout is a socket to bpsh, with bounded buffers).
	 */
	run(&r,
		"bpsh 0 grep MemAvailable /proc/meminfo | tr -dc 0-9; echo; "
		"( bpsh 0 %s/bptest-flood /tmp/bpsh-flood; echo $? > " WORK "/flood-rc ) | "
		"{ head -c 1000000 >/dev/null; sleep 10; } & "
		"sleep 7; p=$(pgrep -f -x 'bpsh 0 %s/bptest-flood /tmp/bpsh-flood'); "
		"grep VmHWM /proc/$p/status | tr -dc 0-9; echo; "
		"bpsh 0 grep MemAvailable /proc/meminfo | tr -dc 0-9; echo; "
		"bpsh 0 cat /tmp/bpsh-flood; wait; exit $(cat " WORK "/flood-rc)",
		jobs, jobs);
	/* its reader gone, the writer gets EPIPE (SIGPIPE) or ECONNRESET */
	EXPECT_TRUE(r.status == 141 || r.status == 3) TH_LOG("exit %d", r.status);
	sscanf(r.out, "%ld %ld %ld %lld", &avail0, &hwm, &avail1, &written);
	TH_LOG("bpsh's peak RSS %ld kB; the writer got %lld bytes out while its reader slept; node 0 available %ld kB, then %ld kB",
	       hwm, written, avail0, avail1);
	EXPECT_LT(0, hwm);
	EXPECT_GT(64 * 1024, hwm);	/* kB */
	EXPECT_LT(1000000, written);
	EXPECT_GT(64LL << 20, written) TH_LOG("%s", r.err);
	EXPECT_LT(0, avail1);
	EXPECT_GT(96 * 1024, avail0 - avail1)	/* kB */
		TH_LOG("node 0 lost %ld kB during the stall", avail0 - avail1);
	res_free(&r);
}

TEST_F_TIMEOUT(bpsh, exit_status_rules, 300)
{
	struct res r;

	EXPECT_EQ(0, run(&r, "bpsh 0-1 true"));
	res_free(&r);
	EXPECT_EQ(3, run(&r, "bpsh 0-1 sh -c 'exit $((BPROC_NODE + 2))'"));
	EXPECT_NE(NULL, strstr(r.err, "bpsh: 0: exit 2")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "bpsh: 1: exit 3")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(1, run(&r, "bpsh 0-1 sh -c 'exit 1'"));
	EXPECT_NE(NULL, strstr(r.err, "bpsh: 0-1: exit 1")) TH_LOG("%s", r.err);
	res_free(&r);
	/* killed by SIGTERM (143) beats exit 5 */
	EXPECT_EQ(143, run(&r, "bpsh 0-1 sh -c '[ $BPROC_NODE = 1 ] && kill -TERM $$; exit 5'"));
	EXPECT_NE(NULL, strstr(r.err, "bpsh: 1: killed by signal 15")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(137, run(&r, "bpsh 0 sh -c 'kill -KILL $$'"));
	res_free(&r);
	/* --json: one result per node */
	EXPECT_EQ(143, run(&r, "bpsh --json 0-1 sh -c '[ $BPROC_NODE = 1 ] && kill -TERM $$; exit 5'"));
	EXPECT_NE(NULL, strstr(r.out, "\"node\": 0, \"rank\": 0, \"pid\": "));
	EXPECT_NE(NULL, strstr(r.out, "\"status\": \"exited\", \"exit\": 5"));
	EXPECT_NE(NULL, strstr(r.out, "\"status\": \"killed\", \"signal\": 15")) TH_LOG("%s", r.out);
	res_free(&r);
}

/* Each signal bpsh forwards reaches every remote process's handler. */
TEST_F_TIMEOUT(bpsh, signals_reach_every_process, 400)
{
	static const char *const sigs[] = { "INT", "TERM", "HUP", "QUIT", "USR1", "USR2" };
	struct res r;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		EXPECT_EQ(7, run(&r,
			"bpsh 0-1 bash -c 'trap \"echo got-%s-$BPROC_NODE; exit 7\" %s; echo ready; "
			"while :; do sleep 1 & wait $!; done' > " WORK "/sig.out & p=$!; "
			"for i in $(seq 600); do [ $(grep -c ready " WORK "/sig.out) = 2 ] && break; sleep 0.1; done; "
			"kill -%s $p; wait $p; r=$?; cat " WORK "/sig.out; exit $r",
			sigs[i], sigs[i], sigs[i])) TH_LOG("SIG%s: %s%s", sigs[i], r.out, r.err);
		EXPECT_EQ(1, count(r.out, "-0\n"));
		EXPECT_EQ(1, count(r.out, "-1\n")) TH_LOG("SIG%s: %s", sigs[i], r.out);
		res_free(&r);
	}
	/* kill of a ghost's pid on the master reaches the real process */
	EXPECT_EQ(9, run(&r,
		"bpsh 0 bash -c 'trap \"echo usr1 $$; exit 9\" USR1; echo $$; "
		"while :; do sleep 1 & wait $!; done' > " WORK "/sig.out & p=$!; "
		"for i in $(seq 600); do [ -s " WORK "/sig.out ] && break; sleep 0.1; done; "
		"g=$(head -1 " WORK "/sig.out); [ \"$(ps -o ppid= -p $g)\" -eq $p ] || exit 50; "
		"kill -USR1 $g; wait $p; r=$?; cat " WORK "/sig.out; exit $r"));
	{
		int g = 0, h = -1;

		EXPECT_EQ(2, sscanf(r.out, "%d\nusr1 %d", &g, &h)) TH_LOG("%s%s", r.out, r.err);
		EXPECT_EQ(g, h);
	}
	res_free(&r);
}

/* Read from the pty until @want shows (or @secs pass); true if it did. */
static bool pty_wait(int fd, char *buf, size_t cap, size_t *len,
		     const char *want, double secs)
{
	double end = now() + secs;

	while (now() < end) {
		fd_set rd;
		struct timeval tv = { 0, 200000 };
		ssize_t n;

		buf[*len] = '\0';
		if (strstr(buf, want))
			return true;
		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		if (select(fd + 1, &rd, NULL, NULL, &tv) <= 0)
			continue;
		n = read(fd, buf + *len, cap - 1 - *len);
		if (n <= 0)
			return false;
		*len += (size_t)n;
		if (*len >= cap - 1) {	/* keep the tail */
			memmove(buf, buf + cap / 2, *len - cap / 2);
			*len -= cap / 2;
		}
	}
	buf[*len] = '\0';
	return strstr(buf, want) != NULL;
}

static void pty_say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		perror("pty");
}

static long tick(void)
{
	struct res r;
	long v = -1;

	if (run(&r, "bpsh 0 cat /tmp/bpsh-tick") == 0)
		v = atol(r.out);
	res_free(&r);
	return v;
}

/* Ctrl-C, Ctrl-Z and fg at an interactive bash on a terminal. */
TEST_F_TIMEOUT(bpsh, job_control_through_a_pty, 400)
{
	static char buf[65536];
	size_t len = 0;
	long t1 = -1, t2, t3;
	struct res r;
	int master;
	pid_t pid;

	pid = forkpty(&master, NULL, NULL, NULL);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		setenv("PS1", "PROMPT> ", 1);
		setenv("TERM", "dumb", 1);
		execl("/bin/bash", "bash", "--norc", "--noprofile", "-i", (char *)NULL);
		_exit(127);
	}
	ASSERT_TRUE(pty_wait(master, buf, sizeof(buf), &len, "PROMPT> ", 30));
	/* a remote cat answers the terminal: stdin and stdout both work */
	pty_say(master, "bpsh 0 cat\n");
	sleep(2);
	pty_say(master, "hello-through-cat\n");
	len = 0;
	EXPECT_TRUE(pty_wait(master, buf, sizeof(buf), &len, "hello-through-cat\r\nhello-through-cat", 60))
		TH_LOG("%s", buf);
	pty_say(master, "\003");	/* Ctrl-C */
	EXPECT_TRUE(pty_wait(master, buf, sizeof(buf), &len, "PROMPT> ", 60)) TH_LOG("%s", buf);
	len = 0;
	pty_say(master, "echo rc=$?\n");
	EXPECT_TRUE(pty_wait(master, buf, sizeof(buf), &len, "rc=130", 30)) TH_LOG("%s", buf);

	/* Ctrl-Z stops the remote process and bpsh; fg continues both */
	unlink("/tmp/bpsh-tick");
	run(&r, "bpsh 0 rm -f /tmp/bpsh-tick");
	res_free(&r);
	pty_say(master, "bpsh 0 bash -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/bpsh-tick; sleep 1 & wait $!; done'\n");
	for (int i = 0; i < 60 && (t1 = tick()) < 2; i++)
		sleep(1);
	EXPECT_LT(0, t1);
	TH_LOG("ticking: %ld; Ctrl-Z", t1);
	pty_say(master, "\032");	/* Ctrl-Z */
	len = 0;
	EXPECT_TRUE(pty_wait(master, buf, sizeof(buf), &len, "Stopped", 30)) TH_LOG("%s", buf);
	sleep(1);
	t1 = tick();
	sleep(3);
	t2 = tick();
	EXPECT_EQ(t1, t2) TH_LOG("still ticking while stopped: %ld -> %ld", t1, t2);
	pty_say(master, "fg\n");
	sleep(3);
	t3 = tick();
	EXPECT_LT(t2, t3) TH_LOG("not ticking again after fg: %ld -> %ld", t2, t3);
	/* Ctrl-C ends it; what bash says next comes after its prompt */
	pty_wait(master, buf, sizeof(buf), &len, "never", 1);
	pty_say(master, "\003");
	sleep(2);
	pty_wait(master, buf, sizeof(buf), &len, "never", 1);
	len = 0;
	pty_say(master, "echo done-$?\n");
	EXPECT_TRUE(pty_wait(master, buf, sizeof(buf), &len, "done-130", 60)) TH_LOG("%s", buf);
	pty_say(master, "exit\n");
	for (int i = 0; i < 300 && waitpid(pid, NULL, WNOHANG) != pid; i++) {
		if (i == 299) {
			pty_wait(master, buf, sizeof(buf), &len, "never", 1);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			EXPECT_TRUE(false) TH_LOG("bash did not exit: %s", buf);
		}
		usleep(100000);
	}
	close(master);
}

/* Inside a job, /proc, ps and pgrep show the job under its master pids. */
TEST_F_TIMEOUT(bpsh, a_job_sees_its_own_proc, 200)
{
	struct res r;
	int pid = 0, status_pid = -1, self_pid = -2;

	EXPECT_EQ(0, run(&r, "bpsh 0 sh -c 'echo $$; grep ^Pid: /proc/$$/status; "
			     "readlink /proc/self; ls /proc | grep -c \"^[0-9]\"'"));
	EXPECT_EQ(3, sscanf(r.out, "%d\nPid:\t%d\n%d", &pid, &status_pid, &self_pid))
		TH_LOG("%s%s", r.out, r.err);
	EXPECT_EQ(pid, status_pid);
	EXPECT_NE(pid, self_pid);	/* readlink is a child of sh */
	res_free(&r);
	/* the ghost on the master has the pid the job sees */
	EXPECT_EQ(0, run(&r, "rm -f " WORK "/pid;  bpsh -v 1 sh -c 'echo $$; sleep 5' > " WORK "/pid & p=$!; "
			     "for i in $(seq 600); do [ -s " WORK "/pid ] && break; sleep 0.1; done; "
			     "echo $(pgrep -P $p); wait; cat " WORK "/pid"));
	EXPECT_EQ(2, sscanf(r.out, "%d\n%d", &pid, &status_pid)) TH_LOG("%s%s", r.out, r.err);
	EXPECT_EQ(pid, status_pid);
	res_free(&r);
	/* ps and pgrep in the job: its processes, not the node's daemons */
	EXPECT_EQ(0, run(&r, "bpsh --ship /usr/bin/pgrep --ship /usr/bin/ps 0 "
			     "sh -c 'sleep 5 & echo $!; pgrep -x sleep; ps -e; kill $!'"));
	EXPECT_EQ(2, sscanf(r.out, "%d\n%d", &pid, &status_pid)) TH_LOG("%s", r.out);
	EXPECT_EQ(pid, status_pid);
	/* two pids, ps header, init (pid 1), sh, sleep, ps: nothing else */
	EXPECT_EQ(NULL, strstr(r.out, "nodeinit")) TH_LOG("%s", r.out);
	EXPECT_EQ(NULL, strstr(r.out, "udhcpc")) TH_LOG("%s", r.out);
	EXPECT_GE(8, count(r.out, "\n")) TH_LOG("%s", r.out);
	res_free(&r);
}

TEST_F_TIMEOUT(bpsh, output_modes, 300)
{
	struct res r;

	EXPECT_EQ(0, run(&r, "bpsh -p 0-1 sh -c 'echo one; printf two'"));
	EXPECT_EQ(1, count(r.out, "0: one\n"));
	EXPECT_EQ(1, count(r.out, "0: two"));
	EXPECT_EQ(1, count(r.out, "1: one\n")) TH_LOG("%s", r.out);
	res_free(&r);
	/* -s: node order even when node 0 is the slower */
	EXPECT_EQ(0, run(&r, "bpsh -s 0-1 sh -c '[ $BPROC_NODE = 0 ] && sleep 2; echo n$BPROC_NODE'"));
	EXPECT_STREQ("n0\nn1\n", r.out);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "bpsh -d 0-1 sh -c 'echo n$BPROC_NODE'"));
	EXPECT_NE(NULL, strstr(r.out, "node 0\n----------------\nn0\n")) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "node 1\n----------------\nn1\n"));
	res_free(&r);
	/* -G: the same output once, under the merged node set */
	EXPECT_EQ(0, run(&r, "bpsh -G 0-1 echo same"));
	EXPECT_EQ(1, count(r.out, "same\n"));
	EXPECT_NE(NULL, strstr(r.out, "0-1")) TH_LOG("%s", r.out);
	res_free(&r);
	/* -i: stdin to one rank, /dev/null to the others */
	EXPECT_EQ(0, run(&r, "echo in | bpsh -s -i 1 0-1 sh -c 'echo n$BPROC_NODE $(cat)'"));
	EXPECT_STREQ("n0\nn1 in\n", r.out) TH_LOG("%s", r.err);
	res_free(&r);
	/* -n, -N */
	EXPECT_EQ(0, run(&r, "echo in | bpsh -n 0 cat"));
	EXPECT_STREQ("", r.out);
	res_free(&r);
	/* $(...): a child reads its parent's fds (a shell may redirect its own) */
	EXPECT_EQ(0, run(&r, "bpsh -N 0 bash -c 'echo lost; a=$(readlink /proc/$$/fd/0); "
			     "b=$(readlink /proc/$$/fd/1); c=$(readlink /proc/$$/fd/2); "
			     "printf \"%%s\\n\" $a $b $c > /tmp/bpsh-N'; bpsh 0 cat /tmp/bpsh-N"));
	EXPECT_STREQ("/dev/null\n/dev/null\n/dev/null\n", r.out);
	res_free(&r);
	/* -I, -O, -E: files on the node */
	EXPECT_EQ(0, run(&r, "bpsh 0 sh -c 'echo from-node > /tmp/bpsh-in'; "
			     "bpsh -I /tmp/bpsh-in -O /tmp/bpsh-out -E /tmp/bpsh-err 0 "
			     "sh -c 'cat; echo e >&2'; bpsh 0 cat /tmp/bpsh-out /tmp/bpsh-err"));
	EXPECT_STREQ("from-node\ne\n", r.out) TH_LOG("%s", r.err);
	res_free(&r);
	/* -t */
	EXPECT_EQ(0, run(&r, "bpsh -t 0 true"));
	EXPECT_NE(NULL, strstr(r.err, " s\n")) TH_LOG("%s", r.err);
	res_free(&r);
}

/* The caller's identity travels: ids, groups, umask, limits, no_new_privs. */
TEST_F_TIMEOUT(bpsh, identity_travels, 300)
{
	struct res r;

	EXPECT_EQ(0, run(&r, "setpriv --reuid=65534 --regid=65534 --groups=4242,65534 "
			     "bpsh 0 sh -c 'id -u; id -g; id -G; grep ^CapEff /proc/self/status'"));
	EXPECT_STREQ("65534\n65534\n65534 4242\nCapEff:\t0000000000000000\n", r.out)
		TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(0, run(&r, "cd /usr/share && umask 027 && ulimit -n 77 && "
			     "setpriv --no-new-privs bpsh 1 sh -c "
			     "'pwd; umask; ulimit -n; grep ^NoNewPrivs /proc/self/status'"));
	EXPECT_STREQ("/usr/share\n0027\n77\nNoNewPrivs:\t1\n", r.out) TH_LOG("%s", r.err);
	res_free(&r);
	/* a user's job cannot read what only root may, on the node */
	EXPECT_EQ(1, run(&r, "setpriv --reuid=65534 --regid=65534 --clear-groups "
			     "bpsh 0 cat /proc/1/environ >/dev/null"));
	res_free(&r);
	/* set-id bits do not travel: a shipped setuid copy gives nothing */
	EXPECT_EQ(0, run(&r, "cp /usr/bin/id " WORK "/suid-id && chmod 4755 " WORK "/suid-id && "
			     "setpriv --reuid=65534 --regid=65534 --clear-groups bpsh 0 " WORK "/suid-id -u"));
	EXPECT_STREQ("65534\n", r.out) TH_LOG("%s", r.err);
	res_free(&r);
}

/* Each error: named for its node, non-zero, nothing left behind. */
TEST_F_TIMEOUT(bpsh, errors_name_node_and_cause, 400)
{
	struct res r;
	char cmd[PATH_MAX + 128];

	EXPECT_EQ(127, run(&r, "bpsh 0 no-such-program-here"));
	EXPECT_NE(NULL, strstr(r.err, "no-such-program-here: not found")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(126, run(&r, "echo text > " WORK "/noexec && chmod 644 " WORK "/noexec && "
			       "bpsh 0 " WORK "/noexec"));
	EXPECT_NE(NULL, strstr(r.err, "not an executable file")) TH_LOG("%s", r.err);
	res_free(&r);
	EXPECT_EQ(126, run(&r, "chmod 755 " WORK "/noexec && bpsh 0 " WORK "/noexec"));
	EXPECT_NE(NULL, strstr(r.err, "neither an ELF file nor a #! script")) TH_LOG("%s", r.err);
	res_free(&r);
	/* a library that cannot be found: as ld.so, 127, named */
	EXPECT_EQ(127, run(&r, "bpsh 0-1 %s/bptest-missing", jobs));
	EXPECT_NE(NULL, strstr(r.err, "libbpgone.so.1")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "not found")) TH_LOG("%s", r.err);
	res_free(&r);
	/* More than the node's cache holds: ENOSPC at once, per node. */
	EXPECT_EQ(1, run(&r, "truncate -s 120M " WORK "/huge && bpsh --ship " WORK "/huge 0-1 true; "
			     "r=$?; rm -f " WORK "/huge; exit $r"));
	EXPECT_NE(NULL, strstr(r.err, "node 0: ")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "node 1: ")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "cache")) TH_LOG("%s", r.err);
	res_free(&r);
	/* bpsh killed while a node fetches: no partial file stays there */
	EXPECT_EQ(0, run(&r, "head -c 30000000 /dev/urandom > " WORK "/blob && "
			     "( bpsh --ship " WORK "/blob 0 true & p=$!; sleep 1.5; kill -KILL $p; wait ); "
			     "rm -f " WORK "/blob"));
	res_free(&r);
	snprintf(cmd, sizeof(cmd), "for i in $(seq 60); do [ -z \"$(ls -A %s/node0/tmp)\" ] && exit 0; sleep 1; done; exit 1",
		 NODE_CACHE);
	EXPECT_EQ(0, on_node(0, cmd)) TH_LOG("a partial fetch stayed in the node's cache");
	/* A node that cannot start: the others run, or with -e are killed. */
	EXPECT_EQ(1, run(&r, "bpsh 0 sh -c 'echo x > /tmp/bpsh-only0'; bpsh 1 rm -f /tmp/bpsh-only0; "
			     "bpsh -I /tmp/bpsh-only0 0-1 cat"));
	EXPECT_STREQ("x\n", r.out);
	EXPECT_NE(NULL, strstr(r.err, "node 1: ")) TH_LOG("%s", r.err);
	EXPECT_EQ(NULL, strstr(r.err, "node 0: ")) TH_LOG("%s", r.err);
	res_free(&r);
	{
		double t0 = now();

		EXPECT_NE(0, run(&r, "bpsh -e -I /tmp/bpsh-only0 0-1 sleep 100"));
		EXPECT_GT(60, now() - t0) TH_LOG("-e did not end the run: %s", r.err);
		EXPECT_NE(NULL, strstr(r.err, "node 1: ")) TH_LOG("%s", r.err);
		res_free(&r);
	}
	/* nothing of bpsh left on the master, nothing on the nodes */
	EXPECT_EQ(1, run(&r, "sleep 1; pgrep -x bpsh"));
	res_free(&r);
	EXPECT_EQ(2, on_node(0, "set -- /proc/[0-9]*; exit $#"));
	EXPECT_EQ(2, on_node(1, "set -- /proc/[0-9]*; exit $#"));
}

TEST_HARNESS_MAIN
