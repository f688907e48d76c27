// SPDX-License-Identifier: GPL-2.0
/*
 * bptest-threads: node test helper for multi-threaded programs. Starts N
 * threads that each note their tid and what getpid()/getppid() say, waits
 * for them, and checks: every tid distinct and not the pid, the same pid
 * and ppid in every thread, and each thread's work (a sum) right.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>

#include "bptest.h"

#define MAX_THREADS	256
#define EXIT_MISMATCH	3

static const char *prog = "bptest-threads";

struct worker {
	pthread_t thread;
	pid_t tid, pid, ppid;
	unsigned long n, sum;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned long i;

	w->tid = gettid();
	w->pid = getpid();
	w->ppid = getppid();
	for (i = 1, w->sum = 0; i <= w->n; i++)
		w->sum += i;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [-o FILE] [N]\n"
"Run N threads (1..%d, default 4); write 'pid P ppid Q' and one\n"
"'thread TID' line per thread to FILE ('-': standard output) with -o.\n"
"Exit status: 0 every check passed; %d a check failed (details on stderr\n"
"and /dev/kmsg); 1 error; 2 usage.\n", prog, MAX_THREADS, EXIT_MISMATCH);
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct worker w[MAX_THREADS];
	const char *outfile = NULL;
	pid_t pid = getpid(), ppid = getppid();
	long n = 4;
	int c, i, j, err;
	bool ok = true;
	FILE *out;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			outfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return BPT_EXIT_USAGE;
		}
	}
	if (optind < argc &&
	    (optind + 1 != argc ||
	     bpt_parse_long(argv[optind], 1, MAX_THREADS, &n))) {
		fprintf(stderr, "%s: '%s': not a thread count 1..%d\n", prog,
			argv[optind], MAX_THREADS);
		return BPT_EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		w[i].n = 1000 * (i + 1);
		err = pthread_create(&w[i].thread, NULL, work, &w[i]);
		if (err) {
			bpt_log(prog, "pthread_create: %s", strerror(err));
			return BPT_EXIT_ERROR;
		}
	}
	for (i = 0; i < n; i++)
		pthread_join(w[i].thread, NULL);

	for (i = 0; i < n; i++) {
		if (w[i].pid != pid || w[i].ppid != ppid || w[i].tid == pid ||
		    w[i].sum != w[i].n * (w[i].n + 1) / 2) {
			bpt_log(prog, "thread %d: tid %d pid %d ppid %d sum %lu (main: pid %d ppid %d)",
				i, (int)w[i].tid, (int)w[i].pid,
				(int)w[i].ppid, w[i].sum, (int)pid, (int)ppid);
			ok = false;
		}
		for (j = 0; j < i; j++) {
			if (w[j].tid == w[i].tid) {
				bpt_log(prog, "threads %d and %d share tid %d",
					j, i, (int)w[i].tid);
				ok = false;
			}
		}
	}
	if (outfile) {
		out = strcmp(outfile, "-") ? fopen(outfile, "w") : stdout;
		if (!out) {
			bpt_log(prog, "%s: %s", outfile, strerror(errno));
			return BPT_EXIT_ERROR;
		}
		fprintf(out, "pid %d ppid %d\n", (int)pid, (int)ppid);
		for (i = 0; i < n; i++)
			fprintf(out, "thread %d\n", (int)w[i].tid);
		if (out == stdout ? fflush(out) : fclose(out)) {
			bpt_log(prog, "%s: %s", outfile, strerror(errno));
			return BPT_EXIT_ERROR;
		}
	}
	return ok ? 0 : EXIT_MISMATCH;
}
