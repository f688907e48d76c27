// SPDX-License-Identifier: GPL-2.0
/*
 * bptest-sig: node test helper. Catches signals with SA_SIGINFO handlers,
 * records each one's siginfo, and when told to exit (a chosen signal)
 * compares what it got with the expectations on its command line. The
 * exit status carries the verdict back to the test on the master.
 *
 * With --stop it stops itself once the handlers are in place: the parent
 * sees the stop in waitpid(WUNTRACED), so the sender knows when signals
 * will find the handlers (there is no other channel back from a node).
 */
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <time.h>

#include "bptest.h"

#define MAX_RECORDS	64
#define MAX_EXPECT	49
#define EXIT_MISSING	100	/* + index of an --expect never received */
#define EXIT_UNEXPECTED	150	/* + index of a received signal not expected */

static const char *prog = "bptest-sig";

struct sigrec {
	int signo, code, pid, uid, value;
	bool has_value;		/* for expectations: VALUE given */
	bool used;		/* for records: matched an expectation */
};

/*
 * Written only by the handler, which runs with every handled signal
 * blocked, and read by main only while they are blocked: a handler's
 * state has to be global.
 */
static struct sigrec records[MAX_RECORDS];
static volatile sig_atomic_t nrecords;
static volatile sig_atomic_t overflow;

static void handler(int sig, siginfo_t *si, void *uc)
{
	struct sigrec *r;

	if (nrecords == MAX_RECORDS) {
		overflow = 1;
		return;
	}
	r = &records[nrecords];
	r->signo = sig;
	r->code = si->si_code;
	r->pid = si->si_pid;
	r->uid = si->si_uid;
	r->value = si->si_value.sival_int;
	nrecords = nrecords + 1;
}

struct opts {
	const char *out;
	bool stop;
	int exit_sig;
	int code;
	long grace;
	long timeout;
	struct sigrec expect[MAX_EXPECT];
	int nexpect;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [OPTION]...\n"
"Catch SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCONT and\n"
"SIGRTMIN..SIGRTMIN+2 with SA_SIGINFO handlers; record each signal.\n"
"  -o, --out FILE        write 'SIGNO CODE PID UID VALUE' per signal\n"
"  -s, --stop            raise SIGSTOP once the handlers are installed\n"
"  -x, --exit-on SIG     exit once SIG has come (default USR2)\n"
"  -c, --code N          exit status then, 0..99 (default 0)\n"
"  -e, --expect SIG:CODE:PID:UID[:VALUE]\n"
"                        a signal that must come, with its si_code, si_pid,\n"
"                        si_uid and si_value.sival_int; repeatable\n"
"  -g, --grace SEC       after SIG, wait up to SEC for expected signals\n"
"                        still missing (default 10)\n"
"  -t, --timeout SEC     give up after SEC (exit 1; default 600, 0 never)\n"
"  -h, --help            this text\n"
"With --expect, every signal received must match exactly one expectation\n"
"and every expectation one signal (the exit signal included). Exit status:\n"
"N (--code) when so, %d+i when --expect i (from 0) never came, %d+j when\n"
"the j-th signal received (from 0) was not expected (details on stderr\n"
"and /dev/kmsg), 1 error or timeout, 2 usage.\n",
		prog, EXIT_MISSING, EXIT_UNEXPECTED);
}

static int parse_expect(const char *s, struct sigrec *e)
{
	char buf[128], *f[6], *save = NULL;
	long v[5];
	int n = 0, sig;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (f[n] = strtok_r(buf, ":", &save); f[n] && n < 5;
	     f[n] = strtok_r(NULL, ":", &save))
		n++;
	if (n < 4 || (n == 5 && f[5]))
		return -EINVAL;
	sig = bpt_parse_signal(f[0]);
	if (sig < 0 || bpt_parse_long(f[1], INT_MIN, INT_MAX, &v[1]) ||
	    bpt_parse_long(f[2], 0, INT_MAX, &v[2]) ||
	    bpt_parse_long(f[3], 0, UINT_MAX, &v[3]) ||
	    (n == 5 && bpt_parse_long(f[4], INT_MIN, INT_MAX, &v[4])))
		return -EINVAL;
	*e = (struct sigrec){
		.signo = sig, .code = v[1], .pid = v[2], .uid = (int)v[3],
		.value = n == 5 ? v[4] : 0, .has_value = n == 5,
	};
	return 0;
}

static int parse_opts(int argc, char *argv[], struct opts *o)
{
	static const struct option lopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "stop", no_argument, NULL, 's' },
		{ "exit-on", required_argument, NULL, 'x' },
		{ "code", required_argument, NULL, 'c' },
		{ "expect", required_argument, NULL, 'e' },
		{ "grace", required_argument, NULL, 'g' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	long v;
	int c;

	*o = (struct opts){ .exit_sig = SIGUSR2, .grace = 10, .timeout = 600 };
	while ((c = getopt_long(argc, argv, "o:sx:c:e:g:t:h", lopts,
				NULL)) != -1) {
		switch (c) {
		case 'o':
			o->out = optarg;
			break;
		case 's':
			o->stop = true;
			break;
		case 'x':
			o->exit_sig = bpt_parse_signal(optarg);
			if (o->exit_sig < 0) {
				fprintf(stderr, "%s: '%s': not a signal\n",
					prog, optarg);
				return -EINVAL;
			}
			break;
		case 'c':
			if (bpt_parse_long(optarg, 0, 99, &v)) {
				fprintf(stderr, "%s: --code '%s': not 0..99\n",
					prog, optarg);
				return -EINVAL;
			}
			o->code = v;
			break;
		case 'e':
			if (o->nexpect == MAX_EXPECT) {
				fprintf(stderr, "%s: more than %d --expect\n",
					prog, MAX_EXPECT);
				return -EINVAL;
			}
			if (parse_expect(optarg, &o->expect[o->nexpect])) {
				fprintf(stderr, "%s: --expect '%s': not SIG:CODE:PID:UID[:VALUE]\n",
					prog, optarg);
				return -EINVAL;
			}
			o->nexpect++;
			break;
		case 'g':
		case 't':
			if (bpt_parse_long(optarg, 0, 86400, &v)) {
				fprintf(stderr, "%s: '%s': not 0..86400 seconds\n",
					prog, optarg);
				return -EINVAL;
			}
			if (c == 'g')
				o->grace = v;
			else
				o->timeout = v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: '%s': unexpected argument\n", prog,
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static bool rec_matches(const struct sigrec *e, const struct sigrec *r)
{
	return e->signo == r->signo && e->code == r->code &&
	       e->pid == r->pid && e->uid == r->uid &&
	       (!e->has_value || e->value == r->value);
}

/*
 * Match expectations to records, first fit in order; returns the exit
 * status (@code when every one matched), and the number of expectations
 * matched in *matched.
 */
static int verdict(struct sigrec *exp, int nexp, int nrec, int code,
		   int *matched)
{
	int i, j, missing = -1, extra = -1;

	for (j = 0; j < nrec; j++)
		records[j].used = false;
	*matched = 0;
	for (i = 0; i < nexp; i++) {
		for (j = 0; j < nrec; j++) {
			if (!records[j].used && rec_matches(&exp[i], &records[j])) {
				records[j].used = true;
				break;
			}
		}
		if (j < nrec)
			(*matched)++;
		else if (missing < 0)
			missing = i;
	}
	if (missing >= 0)
		return EXIT_MISSING + missing;
	for (j = 0; nexp && j < nrec; j++)
		if (!records[j].used && extra < 0)
			extra = j;
	if (extra >= 0)
		return EXIT_UNEXPECTED + (extra < 99 ? extra : 99);
	return code;
}

static void log_all(const struct opts *o, int nrec)
{
	const struct sigrec *r;
	int i;

	for (i = 0; i < o->nexpect; i++) {
		r = &o->expect[i];
		if (r->has_value)
			bpt_log(prog, "expect %d: %d:%d:%d:%d:%d", i, r->signo,
				r->code, r->pid, r->uid, r->value);
		else
			bpt_log(prog, "expect %d: %d:%d:%d:%d", i, r->signo,
				r->code, r->pid, r->uid);
	}
	for (i = 0; i < nrec; i++) {
		r = &records[i];
		bpt_log(prog, "got %d: %d:%d:%d:%d:%d", i, r->signo, r->code,
			r->pid, r->uid, r->value);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool got_signal(int sig, int nrec)
{
	int j;

	for (j = 0; j < nrec; j++)
		if (records[j].signo == sig)
			return true;
	return false;
}

int main(int argc, char *argv[])
{
	static const int fixed[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCONT,
	};
	struct sigaction sa = { .sa_sigaction = handler,
				.sa_flags = SA_SIGINFO | SA_RESTART };
	double start, deadline = 0;
	sigset_t set, old;
	struct timespec ts;
	struct opts o;
	int i, n = 0, written = 0, matched, status = 0;
	FILE *out = NULL;

	if (parse_opts(argc, argv, &o))
		return BPT_EXIT_USAGE;
	if (o.out) {
		out = strcmp(o.out, "-") ? fopen(o.out, "w") : stdout;
		if (!out) {
			bpt_log(prog, "%s: %s", o.out, strerror(errno));
			return BPT_EXIT_ERROR;
		}
	}

	sigemptyset(&set);
	for (i = 0; i < (int)(sizeof(fixed) / sizeof(fixed[0])); i++)
		sigaddset(&set, fixed[i]);
	for (i = SIGRTMIN; i <= SIGRTMIN + 2; i++)
		sigaddset(&set, i);
	sigaddset(&set, o.exit_sig);
	/* Handlers run one at a time; main reads records with them blocked. */
	sa.sa_mask = set;
	sigprocmask(SIG_BLOCK, &set, &old);
	for (i = 1; i <= SIGRTMAX; i++) {
		if (sigismember(&set, i) == 1 && sigaction(i, &sa, NULL)) {
			bpt_log(prog, "sigaction %d: %s", i, strerror(errno));
			return BPT_EXIT_ERROR;
		}
	}
	for (i = 1; i <= SIGRTMAX; i++)
		if (sigismember(&set, i) == 1)
			sigdelset(&old, i);
	if (o.stop)
		raise(SIGSTOP);

	start = now();
	for (;;) {
		double limit = o.timeout ? start + o.timeout : 0, t;

		n = nrecords;
		for (; out && written < n; written++)
			fprintf(out, "%d %d %d %d %d\n", records[written].signo,
				records[written].code, records[written].pid,
				records[written].uid, records[written].value);
		if (out)
			fflush(out);
		if (overflow) {
			bpt_log(prog, "more than %d signals", MAX_RECORDS);
			return BPT_EXIT_ERROR;
		}
		if (!deadline && got_signal(o.exit_sig, n))
			deadline = now() + o.grace;
		if (deadline) {
			status = verdict(o.expect, o.nexpect, n, o.code,
					 &matched);
			if (matched == o.nexpect || now() >= deadline)
				break;
			if (!limit || deadline < limit)
				limit = deadline;
		}
		if (limit && now() >= limit) {
			bpt_log(prog, "timed out after %ld s", o.timeout);
			log_all(&o, n);
			return BPT_EXIT_ERROR;
		}
		t = limit ? limit - now() : 0;
		ts.tv_sec = t;
		ts.tv_nsec = (t - ts.tv_sec) * 1e9;
		/* Unblocks the signals while it waits: handlers run here. */
		ppoll(NULL, 0, limit ? &ts : NULL, &old);
	}
	if (status != o.code)
		log_all(&o, n);
	if (out && out != stdout)
		fclose(out);
	return status;
}
