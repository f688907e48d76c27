// SPDX-License-Identifier: GPL-2.0
/*
 * bptest-ps: node test helper for what ps shows of a ghost on the master.
 *
 *   bptest-ps hold [--burn MS] [--touch KB] [ARG...]
 *	use MS ms of CPU and touch KB of fresh memory, stop (the parent's
 *	WUNTRACED says it is ready), then sleep until a signal ends it;
 *   bptest-ps check PID STAT TIME RSS [ARG...]
 *	compare what /proc on this node shows of the process that is PID
 *	in the caller's pid namespace with what ps on the master showed:
 *	the state letter (STAT's first), cumulative CPU time TIME
 *	([[DD-]HH:]MM:SS, to the second), resident set RSS (kB, to 8 kB)
 *	and the arguments (exactly the ARGs).
 *
 *   bptest-ps children PID [CHILD...]
 *	compare the children of the process that is PID in the caller's pid
 *	namespace, as /proc on this node shows them, with the CHILDs (pids
 *	in that namespace, in any order): what ps --forest on the master
 *	showed of its ghost.
 *
 * The process is found by the last field of NSpid in /proc/N/status,
 * among the processes of the caller's pid namespace (as deep as its own
 * NSpid): /proc on a node is the node's, where processes run for the
 * master have other pids, and a node's own process may have the same
 * number in the outer namespace. check exits 0 when all match, 3 when there is no such
 * process, 4 state, 5 time, 6 rss, 7 args differ (details to stderr or
 * /dev/kmsg); children exits 0, 3 or 8 (the children differ); 1 and 2 as
 * every helper.
 */
#include <dirent.h>
#include <time.h>

#include "bptest.h"

#define EXIT_NOPROC	3
#define EXIT_STATE	4
#define EXIT_TIME	5
#define EXIT_RSS	6
#define EXIT_ARGS	7
#define EXIT_CHILDREN	8
#define MAX_PROCS	4096
#define RSS_SLACK_KB	8

static const char *prog = "bptest-ps";
static char *volatile touched;	/* kept: the memory must stay resident */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s hold [--burn MS] [--touch KB] [ARG...]\n"
"       %s check PID STAT TIME RSS [ARG...]\n"
"       %s children PID [CHILD...]\n"
"hold: use MS ms of CPU, touch KB of memory, stop, then sleep until a\n"
"signal ends it. check: compare /proc of the process that is PID in this\n"
"pid namespace with STAT (first letter), TIME ([[DD-]HH:]MM:SS, to the\n"
"second), RSS (kB, to %d kB) and its ARGs. Exit 0: all match; 3: no such\n"
"process; 4 state, 5 time, 6 rss, 7 args differ; 1: a system call\n"
"failed; 2: usage. children: compare the children of PID here with the\n"
"CHILDs (any order); exit 0, 3, or 8 when they differ.\n",
		prog, prog, prog, RSS_SLACK_KB);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int hold(int argc, char *argv[])
{
	volatile unsigned long spin = 0;
	long burn = 0, touch = 0;
	int i;

	for (i = 0; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--burn") &&
		    !bpt_parse_long(argv[i + 1], 0, 600000, &burn))
			continue;
		if (!strcmp(argv[i], "--touch") &&
		    !bpt_parse_long(argv[i + 1], 0, 1 << 20, &touch))
			continue;
		usage(stderr);
		return BPT_EXIT_USAGE;
	}
	while (cpu_seconds() < burn / 1000.0)
		spin++;
	if (touch) {
		touched = malloc(touch * 1024);
		if (!touched)
			return BPT_EXIT_ERROR;
		memset(touched, 1, touch * 1024);
	}
	raise(SIGSTOP);
	for (;;)
		pause();
}

static ssize_t read_file(const char *dir, const char *name, char *buf,
			 size_t len)
{
	char path[320];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return n;
}

/* One process as /proc/N/status shows it. */
struct proc_ent {
	long outer, ppid;	/* in /proc's namespace */
	long inner;		/* NSpid's last field */
	int depth;		/* NSpid's fields */
};

/* NSpid of /proc/@name/status: depth and last field; ppid; -1 on error. */
static int read_ent(const char *name, struct proc_ent *e)
{
	char dir[300], buf[4096], *p, *tok;

	snprintf(dir, sizeof(dir), "/proc/%s", name);
	if (read_file(dir, "status", buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "\nPPid:");
	if (!p || sscanf(p + 6, "%ld", &e->ppid) != 1)
		return -1;
	p = strstr(buf, "\nNSpid:");
	if (!p)
		return -1;
	p[strcspn(p + 1, "\n") + 1] = 0;
	e->depth = 0;
	for (tok = strtok(p + 7, " \t"); tok; tok = strtok(NULL, " \t")) {
		e->inner = strtol(tok, NULL, 10);
		e->depth++;
	}
	e->outer = strtol(name, NULL, 10);
	return e->depth ? 0 : -1;
}

/*
 * The processes of our pid namespace (the same NSpid depth as ours: inner
 * pids of other namespaces may be the same numbers), at most @max; -1 when
 * /proc cannot be read. @self gets this process.
 */
static int scan_procs(struct proc_ent *ents, int max, struct proc_ent *self)
{
	struct dirent *d;
	int n = 0;
	DIR *p;

	/* Of "self" only depth and inner are used (its name is no pid). */
	if (read_ent("self", self))
		return -1;
	p = opendir("/proc");
	if (!p)
		return -1;
	while ((d = readdir(p)) && n < max) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		if (!read_ent(d->d_name, &ents[n]) &&
		    ents[n].depth == self->depth)
			n++;
	}
	closedir(p);
	return n;
}

/* The process that is @pid in our namespace, among @n of @ents; or NULL. */
static struct proc_ent *find_ent(struct proc_ent *ents, int n, long pid)
{
	for (int i = 0; i < n; i++)
		if (ents[i].inner == pid)
			return &ents[i];
	return NULL;
}

/* The /proc/N directory of the process that is @pid in our namespace. */
static int find_proc(long pid, char *dir, size_t len)
{
	static struct proc_ent ents[MAX_PROCS];
	struct proc_ent self, *e;
	int n = scan_procs(ents, MAX_PROCS, &self);

	if (n < 0)
		return -errno;
	e = find_ent(ents, n, pid);
	if (!e)
		return -ESRCH;
	snprintf(dir, len, "/proc/%ld", e->outer);
	return 0;
}

/* ps's TIME, "[[DD-]HH:]MM:SS", in seconds; -1 when malformed. */
static long parse_time(const char *s)
{
	long days = 0, part[3] = { 0, 0, 0 };
	const char *dash = strchr(s, '-');
	int n = 0;
	char *end;

	if (dash) {
		days = strtol(s, &end, 10);
		if (end != dash)
			return -1;
		s = dash + 1;
	}
	for (;;) {
		if (n == 3 || *s < '0' || *s > '9')
			return -1;
		part[n++] = strtol(s, &end, 10);
		if (!*end)
			break;
		if (*end != ':')
			return -1;
		s = end + 1;
	}
	if (n == 2)
		return days * 86400 + part[0] * 60 + part[1];
	if (n == 3)
		return days * 86400 + part[0] * 3600 + part[1] * 60 + part[2];
	return -1;
}

static int check(int argc, char *argv[])
{
	char dir[300], buf[8192], *p;
	long pid, rss, want_rss, want_time, secs, ticks = sysconf(_SC_CLK_TCK);
	unsigned long ut, st;
	ssize_t n;
	size_t off;
	char state;
	int i, err;

	if (argc < 4 || bpt_parse_long(argv[0], 1, 1 << 22, &pid) ||
	    !argv[1][0] || (want_time = parse_time(argv[2])) < 0 ||
	    bpt_parse_long(argv[3], 0, 1L << 40, &want_rss)) {
		usage(stderr);
		return BPT_EXIT_USAGE;
	}
	err = find_proc(pid, dir, sizeof(dir));
	if (err) {
		bpt_log(prog, "no process is %ld here: %s", pid, strerror(-err));
		return EXIT_NOPROC;
	}

	if (read_file(dir, "stat", buf, sizeof(buf)) <= 0 ||
	    !(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &state, &ut, &st) != 3)
		return BPT_EXIT_ERROR;
	if (state != argv[1][0]) {
		bpt_log(prog, "%ld: state %c here, %s on the master", pid,
			state, argv[1]);
		return EXIT_STATE;
	}
	secs = (ut + st) / ticks;
	if (secs - want_time > 1 || want_time - secs > 1) {
		bpt_log(prog, "%ld: %ld s of CPU here, %s on the master", pid,
			secs, argv[2]);
		return EXIT_TIME;
	}

	if (read_file(dir, "status", buf, sizeof(buf)) <= 0 ||
	    !(p = strstr(buf, "\nVmRSS:")) ||
	    sscanf(p + 7, "%ld", &rss) != 1)
		return BPT_EXIT_ERROR;
	if (rss - want_rss > RSS_SLACK_KB || want_rss - rss > RSS_SLACK_KB) {
		bpt_log(prog, "%ld: RSS %ld kB here, %ld kB on the master",
			pid, rss, want_rss);
		return EXIT_RSS;
	}

	n = read_file(dir, "cmdline", buf, sizeof(buf));
	if (n < 0)
		return BPT_EXIT_ERROR;
	off = 0;
	for (i = 4; i < argc; i++) {
		size_t len = strlen(argv[i]) + 1;

		if (off + len > (size_t)n || memcmp(buf + off, argv[i], len))
			break;
		off += len;
	}
	if (i < argc || off != (size_t)n) {
		bpt_log(prog, "%ld: arguments differ from argument %d on", pid,
			i - 4);
		return EXIT_ARGS;
	}
	return 0;
}

static int children(int argc, char *argv[])
{
	static struct proc_ent ents[MAX_PROCS];
	struct proc_ent self, *parent = NULL;
	long pid, want[64];
	int n, i, j, nwant = argc - 1, found = 0;

	if (argc < 1 || argc > 65 || bpt_parse_long(argv[0], 1, 1 << 22, &pid)) {
		usage(stderr);
		return BPT_EXIT_USAGE;
	}
	for (i = 0; i < nwant; i++)
		if (bpt_parse_long(argv[i + 1], 1, 1 << 22, &want[i])) {
			usage(stderr);
			return BPT_EXIT_USAGE;
		}
	n = scan_procs(ents, MAX_PROCS, &self);
	if (n < 0)
		return BPT_EXIT_ERROR;
	parent = find_ent(ents, n, pid);
	if (!parent) {
		bpt_log(prog, "no process is %ld here", pid);
		return EXIT_NOPROC;
	}
	for (i = 0; i < n; i++) {
		if (ents[i].ppid != parent->outer || ents[i].inner == self.inner)
			continue;
		for (j = 0; j < nwant && want[j] != ents[i].inner; j++)
			;
		if (j == nwant) {
			bpt_log(prog, "%ld: child %ld here is not on the master",
				pid, ents[i].inner);
			return EXIT_CHILDREN;
		}
		found++;
	}
	if (found != nwant) {
		bpt_log(prog, "%ld: %d children here, %d on the master", pid,
			found, nwant);
		return EXIT_CHILDREN;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "hold"))
		return hold(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return check(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "children"))
		return children(argc - 2, argv + 2);
	usage(stderr);
	return BPT_EXIT_USAGE;
}
