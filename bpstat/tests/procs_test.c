// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests: bpstat -p and -P (procs.h) on made-up /proc status
 * texts and real `ps` output shapes, text and JSON.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "procs.h"
#include "bproc-test/tap.h"

/* Pids 4242 and 4300 run on nodes 0 and 3; every other one is local. */
static int fake_node(pid_t pid)
{
	return pid == 4242 ? 0 : pid == 4300 ? 3 : -1;
}

/* -P over @in, as text or JSON; NULL on failure, *@ret its result. */
static char *annotate(const char *in, bool json, int *ret)
{
	FILE *fin = fmemopen((void *)in, strlen(in), "r"), *fout;
	struct printer *p;
	char *out = NULL;
	size_t len = 0;

	fout = open_memstream(&out, &len);
	p = pr_new(fout, json);
	*ret = bpstat_annotate_ps(p, fout, fin, fake_node);
	if (pr_finish(p))
		*ret = -EIO;
	fclose(fout);
	fclose(fin);
	return out;
}

static void test_status(struct tap *t)
{
	tap_ok(t, bpstat_status_node("Name:\tsleep\nState:\tS (sleeping)\nBProcNode:\t3\nPid:\t9\n") == 3,
	       "status: BProcNode 3");
	tap_ok(t, bpstat_status_node("Name:\tbash\nPid:\t9\n") == -1,
	       "status: no BProcNode line: local");
	tap_ok(t, bpstat_status_node("BProcNode:\tx\n") == -1 &&
	       bpstat_status_node("BProcNode:\t-1\n") == -1 &&
	       bpstat_status_node("BProcNode:\t70000\n") == -1 &&
	       bpstat_status_node("BProcNode:\t3x\n") == -1,
	       "status: a malformed or out-of-range node is not taken");
	tap_ok(t, bpstat_status_node("") == -1, "status: empty");
}

static void test_fields(struct tap *t)
{
	tap_ok(t, bpstat_ps_pid_field("    PID TTY          TIME CMD\n") == 0,
	       "ps: PID first (ps)");
	tap_ok(t, bpstat_ps_pid_field("UID          PID    PPID  C STIME TTY          TIME CMD\n") == 1,
	       "ps -ef: PID second");
	tap_ok(t, bpstat_ps_pid_field("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n") == 1,
	       "ps aux: PID second");
	tap_ok(t, bpstat_ps_pid_field("  PPID   PGID COMMAND\n") == -1,
	       "no PID column (PPID is not PID)");
	tap_ok(t, bpstat_ps_pid("root        4242       1  0 10:00 ?  00:00:00 sleep 100\n", 1) == 4242,
	       "ps -ef line: its pid");
	tap_ok(t, bpstat_ps_pid("   4300 pts/0    00:00:00 sleep\n", 0) == 4300,
	       "ps line: its pid");
	tap_ok(t, bpstat_ps_pid("root  abc\n", 1) == -1 && bpstat_ps_pid("root\n", 1) == -1 &&
	       bpstat_ps_pid("root 12345678901\n", 1) == -1,
	       "not a pid, no such field, too long: -1");
}

static void test_annotate(struct tap *t)
{
	static const char ps_ef[] =
		"UID          PID    PPID  C STIME TTY          TIME CMD\n"
		"root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
		"alice       4242    4200  0 10:01 pts/0    00:00:00 sleep 100\n"
		"alice       4300    4200  0 10:01 pts/0    00:00:00 sleep 200\n"
		"alice       4301    4200  0 10:01 pts/0    00:00:00 ps -ef";
	int ret;
	char *out = annotate(ps_ef, false, &ret);

	tap_ok(t, !ret && out && !strcmp(out,
		"NODE UID          PID    PPID  C STIME TTY          TIME CMD\n"
		"     root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
		"   0 alice       4242    4200  0 10:01 pts/0    00:00:00 sleep 100\n"
		"   3 alice       4300    4200  0 10:01 pts/0    00:00:00 sleep 200\n"
		"     alice       4301    4200  0 10:01 pts/0    00:00:00 ps -ef\n"),
	       "ps -ef | bpstat -P: a NODE column, the rest unchanged");
	free(out);
	out = annotate(ps_ef, true, &ret);
	tap_ok(t, !ret && out && strstr(out, "\"pid\":4242,\"node\":0,") &&
	       strstr(out, "\"pid\":1,\"node\":null,") &&
	       strstr(out, "\"line\":\"alice       4301    4200  0 10:01 pts/0    00:00:00 ps -ef\""),
	       "ps -ef | bpstat -P --json: pid, node (or null), line");
	free(out);
	out = annotate("total 0\n-rw-r--r-- 1 root root 0 x\n", false, &ret);
	tap_ok(t, ret == -EINVAL, "input without a PID column is refused");
	free(out);
	out = annotate("", false, &ret);
	tap_ok(t, ret == -EINVAL, "empty input is refused");
	free(out);
}

int main(void)
{
	struct tap t = {};

	test_status(&t);
	test_fields(&t);
	test_annotate(&t);
	return tap_done(&t);
}
