// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the node test helpers (TAP): run each bptest-* program
 * locally, exactly as the cluster tests run them on nodes, and check the
 * verdicts they encode in their exit status, both when the checks hold
 * and when they must not.
 *
 *   test-helpers DIR     DIR holds the built helpers
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bproc-test/tap.h"

#define SI_CODE_USER	0	/* SI_USER */

struct ctx {
	struct tap t;
	const char *dir;
	char tmp[64];
};

struct run {
	uid_t uid;		/* 0: as we are */
	const char *cwd;	/* NULL: ours */
	char **envp;		/* NULL: empty */
};

/* fork + execve DIR/prog; argv[0] is prog. The child's pid. */
static pid_t spawn(struct ctx *c, const struct run *r, char *argv[])
{
	static char *empty[] = { NULL };
	char path[PATH_MAX];
	gid_t groups[] = { 4242, 65534 };
	pid_t pid;
	int i;

	snprintf(path, sizeof(path), "%s/%s", c->dir, argv[0]);
	pid = fork();
	if (pid)
		return pid;
	/* "pid=@" becomes this process's pid, which exec keeps */
	for (i = 0; argv[i]; i++)
		if (!strcmp(argv[i], "pid=@") &&
		    asprintf(&argv[i], "pid=%d", (int)getpid()) < 0)
			_exit(119);
	if (r && r->cwd && chdir(r->cwd))
		_exit(120);
	if (r && r->uid && (setgroups(2, groups) || setresgid(65534, 65534, 65534) ||
			    setresuid(r->uid, r->uid, r->uid)))
		_exit(121);
	execve(path, argv, r && r->envp ? r->envp : empty);
	_exit(122);
}

static int wait_raw(pid_t pid, int flags)
{
	int st;

	if (waitpid(pid, &st, flags) != pid)
		return -1;
	return st;
}

static int run_status(struct ctx *c, const struct run *r, char *argv[])
{
	pid_t pid = spawn(c, r, argv);

	return pid < 0 ? -1 : wait_raw(pid, 0);
}

static void test_exit(struct ctx *c)
{
	struct tap *t = &c->t;
	char *env[] = { NULL, NULL };
	char tmpenv[96], core_pattern[64] = "";
	struct run r = { .envp = env };
	FILE *f;
	pid_t pid;
	int st;

	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-exit", "0", NULL }) == 0,
	   "bptest-exit 0: raw status 0");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-exit", "42", NULL }) ==
	   42 << 8, "bptest-exit 42: raw status 0x2a00");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-exit", "255", NULL }) ==
	   0xff00, "bptest-exit 255: raw status 0xff00");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-exit", "-15", NULL }) ==
	   SIGTERM, "bptest-exit -15: killed by SIGTERM, no core");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-exit", "-KILL", NULL }) ==
	   SIGKILL, "bptest-exit -KILL: killed by SIGKILL");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-exit", "-CHLD", NULL }) ==
	   2 << 8, "bptest-exit -CHLD: usage error (ignored by default)");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-exit", "256", NULL }) ==
	   2 << 8, "bptest-exit 256: usage error");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-exit", "7", "core", NULL }) ==
	   2 << 8, "bptest-exit 7 core: usage error");

	f = fopen("/proc/sys/kernel/core_pattern", "r");
	if (f) {
		if (!fgets(core_pattern, sizeof(core_pattern), f))
			core_pattern[0] = 0;
		fclose(f);
	}
	snprintf(tmpenv, sizeof(tmpenv), "TMPDIR=%s", c->tmp);
	env[0] = tmpenv;
	st = run_status(c, &r, (char *[]){ "bptest-exit", "-SEGV", "core", NULL });
	if (core_pattern[0] == '|' || core_pattern[0] == '/')
		tap_skip(t, "core_pattern '%.*s' does not write into the cwd",
			 (int)strcspn(core_pattern, "\n"), core_pattern);
	else
		tap_ok(t, st == (SIGSEGV | 0x80),
		   "bptest-exit -SEGV core: SIGSEGV with core (raw 0x%x)", st);

	pid = spawn(c, NULL, (char *[]){ "bptest-exit", "-STOP", NULL });
	tap_ok(t, wait_raw(pid, WUNTRACED) == 0x137f,
	   "bptest-exit -STOP: stopped by SIGSTOP (raw 0x137f)");
	kill(pid, SIGCONT);
	tap_ok(t, wait_raw(pid, WCONTINUED) == 0xffff, "continued (raw 0xffff)");
	tap_ok(t, wait_raw(pid, 0) == 0, "then exits 0");
}

static void test_ids(struct ctx *c)
{
	struct tap *t = &c->t;
	char *env[] = { "BPTEST_A=hello world", "BPTEST_B=", NULL };
	char ppid_s[32], uid_s[32], gid_s[32], groups_s[512];
	char cwd_s[PATH_MAX + 8];
	gid_t groups[64];
	struct run r = { .cwd = "/", .envp = env };
	int i, n, len;

	n = getgroups(64, groups);
	len = snprintf(groups_s, sizeof(groups_s), "groups=");
	for (i = 0; i < n; i++)
		len += snprintf(groups_s + len, sizeof(groups_s) - len, "%s%u",
				i ? "," : "", groups[n - 1 - i]);
	snprintf(ppid_s, sizeof(ppid_s), "ppid=%d", (int)getpid());
	snprintf(uid_s, sizeof(uid_s), "uid=%u", getuid());
	snprintf(gid_s, sizeof(gid_s), "gid=%u", getgid());
	snprintf(cwd_s, sizeof(cwd_s), "cwd=/");

	tap_ok(t, run_status(c, &r, (char *[]){ "bptest-ids", "-e", "pid=@",
		"-e", ppid_s, "-e", uid_s, "-e", gid_s, "-e", groups_s,
		"-e", cwd_s, "-e", "env:BPTEST_A=hello world",
		"-e", "env:BPTEST_B=", "-e", "unset=PATH", "/dev/null",
		NULL }) == 0,
	   "bptest-ids: pid, ppid, uid, gid, groups, cwd, env hold");
	tap_ok(t, run_status(c, &r, (char *[]){ "bptest-ids", "-e", "pid=1",
		"/dev/null", NULL }) == (3 + 0) << 8,
	   "bptest-ids: wrong pid as --expect 0: exit 3");
	tap_ok(t, run_status(c, &r, (char *[]){ "bptest-ids", "-e", ppid_s, "-e",
		"cwd=/tmp", "/dev/null", NULL }) == 4 << 8,
	   "wrong cwd as --expect 1: exit 4");
	tap_ok(t, run_status(c, &r, (char *[]){ "bptest-ids", "-e", "unset=BPTEST_A",
		"/dev/null", NULL }) == 3 << 8, "set variable for unset=: exit 3");
	tap_ok(t, run_status(c, &r, (char *[]){ "bptest-ids", "-e", "env:BPTEST_A=hello",
		"/dev/null", NULL }) == 3 << 8, "wrong value: exit 3");
	tap_ok(t, run_status(c, &r, (char *[]){ "bptest-ids", "-e", "nope=1",
		"/dev/null", NULL }) == 2 << 8, "unknown key: usage error");

	if (getuid() != 0) {
		tap_skip(t, "not root: no run as nobody");
		return;
	}
	r.uid = 65534;
	r.cwd = "/tmp";
	tap_ok(t, run_status(c, &r, (char *[]){ "bptest-ids", "-e", "uid=65534",
		"-e", "euid=65534", "-e", "gid=65534", "-e", "egid=65534",
		"-e", "groups=65534,4242", "-e", "cwd=/tmp", "-", NULL }) == 0,
	   "as nobody with groups 4242,65534: uid, gid, groups, cwd hold");
	tap_ok(t, run_status(c, &r, (char *[]){ "bptest-ids", "-e", "groups=4242",
		"/dev/null", NULL }) == 3 << 8, "a group missing from groups=: exit 3");
	tap_ok(t, run_status(c, &r, (char *[]){ "bptest-ids", "-e",
		"groups=4242,65534,1", "/dev/null", NULL }) == 3 << 8,
	   "an extra group in groups=: exit 3");
}

/* bptest-sig with --stop: started, stopped, continued; its pid. */
static pid_t start_sig(struct ctx *c, char *argv[])
{
	pid_t pid = spawn(c, NULL, argv);

	if (wait_raw(pid, WUNTRACED) != 0x137f)
		return -1;
	if (kill(pid, SIGCONT) || wait_raw(pid, WCONTINUED) != 0xffff)
		return -1;
	return pid;
}

static int sigqueue_int(pid_t pid, int sig, int v)
{
	return sigqueue(pid, sig, (union sigval){ .sival_int = v });
}

static void test_sig(struct ctx *c)
{
	struct tap *t = &c->t;
	int me = getpid(), uid = getuid(), rt = SIGRTMIN, pidfd, r, st;
	char e[9][64];
	siginfo_t si;
	pid_t pid;

	snprintf(e[0], 64, "%d:%d:%d:%d", SIGCONT, SI_CODE_USER, me, uid);
	snprintf(e[1], 64, "%d:%d:%d:%d", SIGTERM, SI_CODE_USER, me, uid);
	snprintf(e[2], 64, "%d:%d:%d:%d", SIGUSR1, SI_TKILL, me, uid);
	snprintf(e[3], 64, "%d:%d:%d:%d:1234", rt, SI_QUEUE, me, uid);
	snprintf(e[4], 64, "%d:%d:%d:%d:4321", rt, SI_QUEUE, me, uid);
	snprintf(e[5], 64, "%d:%d:%d:%d", rt + 1, SI_CODE_USER, me, uid);
	snprintf(e[6], 64, "%d:%d:%d:%d:5678", rt + 2, SI_QUEUE, me, uid);
	snprintf(e[7], 64, "%d:%d:%d:%d:77", SIGUSR2, SI_QUEUE, me, uid);
	snprintf(e[8], 64, "%d:%d:%d:%d", SIGHUP, SI_CODE_USER, me, uid);

	pid = start_sig(c, (char *[]){ "bptest-sig", "--stop", "--code", "42",
		"-e", e[0], "-e", e[1], "-e", e[2], "-e", e[3], "-e", e[4],
		"-e", e[5], "-e", e[6], "-e", e[7], NULL });
	if (!tap_ok(t, pid > 0, "bptest-sig --stop stops; SIGCONT continues it"))
		return;
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	memset(&si, 0, sizeof(si));
	si.si_signo = rt + 2;
	si.si_code = SI_QUEUE;
	si.si_pid = me;
	si.si_uid = uid;
	si.si_value.sival_int = 5678;
	r = kill(pid, SIGTERM);
	r |= syscall(SYS_tgkill, pid, pid, SIGUSR1);
	r |= sigqueue_int(pid, rt, 1234);
	r |= sigqueue_int(pid, rt, 4321);
	r |= syscall(SYS_pidfd_send_signal, pidfd, rt + 1, NULL, 0);
	r |= syscall(SYS_pidfd_send_signal, pidfd, rt + 2, &si, 0);
	r |= sigqueue_int(pid, SIGUSR2, 77);
	close(pidfd);
	tap_ok(t, r == 0, "kill, tgkill, sigqueue, pidfd_send_signal sent");
	tap_ok(t, wait_raw(pid, 0) == 42 << 8,
	   "every siginfo as expected: exit --code 42");

	/* an expectation that never comes: found after the grace time */
	pid = start_sig(c, (char *[]){ "bptest-sig", "--stop", "-g", "1",
		"-e", e[0], "-e", e[8], "-e", e[7], NULL });
	sigqueue_int(pid, SIGUSR2, 77);
	tap_ok(t, wait_raw(pid, 0) == (100 + 1) << 8,
	   "--expect 1 never received: exit 101");

	/* a wrong value is a missing expectation and an unexpected signal */
	pid = start_sig(c, (char *[]){ "bptest-sig", "--stop", "-g", "1",
		"-e", e[0], "-e", e[3], "-e", e[7], NULL });
	sigqueue_int(pid, rt, 1235);
	sigqueue_int(pid, SIGUSR2, 77);
	tap_ok(t, wait_raw(pid, 0) == (100 + 1) << 8,
	   "wrong si_value: --expect 1 missing, exit 101");

	/* a signal nobody expected */
	pid = start_sig(c, (char *[]){ "bptest-sig", "--stop", "-e", e[0],
		"-e", e[7], NULL });
	kill(pid, SIGHUP);
	sigqueue_int(pid, SIGUSR2, 77);
	/* pending together, they are handled in signal number order */
	st = wait_raw(pid, 0);
	tap_ok(t, WIFEXITED(st) && WEXITSTATUS(st) >= 150 && WEXITSTATUS(st) < 153,
	   "unexpected SIGHUP: exit 150+j (%d)", WEXITSTATUS(st));

	/* no expectations: the exit signal and code alone */
	pid = start_sig(c, (char *[]){ "bptest-sig", "--stop", "-x", "RTMIN+1",
		"-c", "9", NULL });
	kill(pid, SIGUSR1);
	tap_ok(t, kill(pid, rt + 1) == 0 && wait_raw(pid, 0) == 9 << 8,
	   "--exit-on RTMIN+1 --code 9: exit 9");

	pid = spawn(c, NULL, (char *[]){ "bptest-sig", "-t", "1", NULL });
	tap_ok(t, wait_raw(pid, 0) == 1 << 8, "--timeout 1 without a signal: exit 1");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-sig", "-e", "10:0", NULL }) ==
	   2 << 8, "--expect 10:0: usage error");
}

static void test_threads(struct ctx *c)
{
	struct tap *t = &c->t;

	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-threads", "16", NULL }) == 0,
	   "bptest-threads 16: distinct tids, same pid");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-threads", "0", NULL }) ==
	   2 << 8, "bptest-threads 0: usage error");
}

/* /proc/@pid/@name into @buf, NUL-terminated ("" when unreadable). */
static void proc_file(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = 0;
}

/* bptest-ps check PID STAT TIME RSS ARG... with the given values. */
static int ps_check(struct ctx *c, pid_t pid, const char *stat, long secs,
		    long rss, char *const args[])
{
	char p[16], tm[32], r[32];
	char *argv[16] = { "bptest-ps", "check", p, (char *)stat, tm, r };
	int i;

	snprintf(p, sizeof(p), "%d", (int)pid);
	snprintf(tm, sizeof(tm), "%02ld:%02ld:%02ld", secs / 3600,
		 secs / 60 % 60, secs % 60);
	snprintf(r, sizeof(r), "%ld", rss);
	for (i = 0; args[i] && i < 9; i++)
		argv[6 + i] = args[i];
	argv[6 + i] = NULL;
	return run_status(c, NULL, argv);
}

static void test_ps(struct ctx *c)
{
	struct tap *t = &c->t;
	char *hold[] = { "bptest-ps", "hold", "--burn", "300", "--touch",
			 "1024", "an arg", NULL };
	char *other[] = { "bptest-ps", "hold", "--burn", "300", "--touch",
			  "1024", "another", NULL };
	unsigned long ut = 0, st = 0;
	char buf[4096], *p;
	long rss = -1, secs;
	pid_t pid;

	pid = spawn(c, NULL, hold);
	tap_ok(t, wait_raw(pid, WUNTRACED) == 0x137f,
	   "bptest-ps hold: stops once it has used CPU and memory");
	kill(pid, SIGCONT);
	wait_raw(pid, WCONTINUED);
	usleep(200000);
	proc_file(pid, "status", buf, sizeof(buf));
	p = strstr(buf, "\nVmRSS:");
	if (p)
		rss = strtol(p + 7, NULL, 10);
	proc_file(pid, "stat", buf, sizeof(buf));
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		ut = st = 0;
	secs = (ut + st) / sysconf(_SC_CLK_TCK);
	tap_ok(t, rss >= 1024, "bptest-ps hold --touch 1024: RSS %ld kB", rss);
	tap_ok(t, ps_check(c, pid, "S", secs, rss, hold) == 0,
	   "bptest-ps check: state, time, RSS and args match");
	tap_ok(t, ps_check(c, pid, "Ss+", secs, rss + 4, hold) == 0,
	   "bptest-ps check: only STAT's letter counts; RSS to 8 kB");
	tap_ok(t, ps_check(c, pid, "R", secs, rss, hold) == 4 << 8,
	   "bptest-ps check: another state is 4");
	tap_ok(t, ps_check(c, pid, "S", secs + 5, rss, hold) == 5 << 8,
	   "bptest-ps check: another time is 5");
	tap_ok(t, ps_check(c, pid, "S", secs, rss + 100, hold) == 6 << 8,
	   "bptest-ps check: another RSS is 6");
	tap_ok(t, ps_check(c, pid, "S", secs, rss, other) == 7 << 8,
	   "bptest-ps check: other args are 7");
	tap_ok(t, ps_check(c, pid, "S", secs, rss, hold + 1) == 7 << 8,
	   "bptest-ps check: fewer args are 7");
	tap_ok(t, ps_check(c, 4194303, "S", 0, 0, hold) == 3 << 8,
	   "bptest-ps check: no such process is 3");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-ps", "check", "1", "S",
		"1:2:3:4", "0", NULL }) == 2 << 8,
	   "bptest-ps check: a malformed TIME is a usage error");
	kill(pid, SIGTERM);
	tap_ok(t, wait_raw(pid, 0) == SIGTERM, "bptest-ps hold: ends by signal");
}

/* bptest-ps children: this process's children, as the node check sees them. */
static void test_ps_children(struct ctx *c)
{
	struct tap *t = &c->t;
	char *hold[] = { "bptest-ps", "hold", NULL };
	char me[16], k[2][16], other[16];
	pid_t kid[2];
	int i;

	for (i = 0; i < 2; i++) {
		kid[i] = spawn(c, NULL, hold);
		wait_raw(kid[i], WUNTRACED);
		snprintf(k[i], sizeof(k[i]), "%d", (int)kid[i]);
	}
	snprintf(me, sizeof(me), "%d", (int)getpid());
	snprintf(other, sizeof(other), "%d", (int)getppid());
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-ps", "children", me,
		k[1], k[0], NULL }) == 0,
	   "bptest-ps children: both children, in any order (the checker not counted)");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-ps", "children", me,
		k[0], NULL }) == 8 << 8,
	   "bptest-ps children: one child missing from the list is 8");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-ps", "children", me,
		k[0], k[1], other, NULL }) == 8 << 8,
	   "bptest-ps children: a listed pid that is no child is 8");
	tap_ok(t, run_status(c, NULL, (char *[]){ "bptest-ps", "children",
		"4194303", NULL }) == 3 << 8,
	   "bptest-ps children: no such process is 3");
	for (i = 0; i < 2; i++) {
		kill(kid[i], SIGKILL);
		wait_raw(kid[i], 0);
	}
}

int main(int argc, char *argv[])
{
	struct ctx c = { .tmp = "/tmp/test-helpers.XXXXXX" };
	char cmd[128];
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	c.dir = argv[1];
	if (!mkdtemp(c.tmp)) {
		perror("test-helpers: mkdtemp");
		return 1;
	}
	test_exit(&c);
	test_ids(&c);
	test_sig(&c);
	test_threads(&c);
	test_ps(&c);
	test_ps_children(&c);
	ret = tap_done(&c.t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c.tmp);
	if (system(cmd))
		fprintf(stderr, "test-helpers: could not remove %s\n", c.tmp);
	return ret;
}
