// SPDX-License-Identifier: GPL-2.0
/*
 * bptest-exit: node test helper. Ends with a chosen exit code or by a
 * chosen signal, with or without a core dump, so a test can compare the
 * wait status its parent sees with the one the program produced.
 *
 * Takes its arguments by hand rather than with getopt: "-15" is a signal
 * here, not an option.
 */
#include <stdbool.h>
#include <sys/resource.h>

#include "bptest.h"

static const char *prog = "bptest-exit";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s CODE\n"
"       %s -SIG [core]\n"
"Exit with CODE (0..255), or kill this process with signal SIG (a number\n"
"or a name: -15, -TERM, -SIGSEGV). With 'core', allow a core dump first\n"
"(RLIMIT_CORE raised as far as allowed, cwd a new directory under $TMPDIR\n"
"or /tmp, so a core_pattern relative to the cwd has somewhere to write).\n"
"A stop signal stops the process; once continued it exits 0.\n"
"Signals whose default action is to ignore are refused. Exit status 2:\n"
"usage; 1: a system call failed.\n", prog, prog);
}

static int allow_core(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	const char *tmp = getenv("TMPDIR");
	char dir[256];

	if (setrlimit(RLIMIT_CORE, &rl)) {
		/* not privileged: as far as the hard limit goes */
		if (getrlimit(RLIMIT_CORE, &rl))
			return -errno;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_CORE, &rl))
			return -errno;
	}
	if (rl.rlim_cur == 0)
		return -EPERM;
	if (snprintf(dir, sizeof(dir), "%s/bptest-core.XXXXXX",
		     tmp && *tmp ? tmp : "/tmp") >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (!mkdtemp(dir) || chdir(dir))
		return -errno;
	return 0;
}

static bool ignored_by_default(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH ||
	       sig == SIGCONT;
}

int main(int argc, char *argv[])
{
	sigset_t set;
	long code;
	int sig, err;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || argc > 3) {
		usage(stderr);
		return BPT_EXIT_USAGE;
	}
	if (argv[1][0] != '-') {
		if (argc != 2 || bpt_parse_long(argv[1], 0, 255, &code)) {
			fprintf(stderr, "%s: '%s': not an exit code 0..255 (or -SIG)\n",
				prog, argv[1]);
			return BPT_EXIT_USAGE;
		}
		exit(code);
	}
	sig = bpt_parse_signal(argv[1] + 1);
	if (sig < 0 || ignored_by_default(sig)) {
		fprintf(stderr, "%s: '%s': not a signal that ends a process\n",
			prog, argv[1] + 1);
		return BPT_EXIT_USAGE;
	}
	if (argc == 3) {
		if (strcmp(argv[2], "core")) {
			fprintf(stderr, "%s: '%s': expected 'core'\n", prog,
				argv[2]);
			return BPT_EXIT_USAGE;
		}
		err = allow_core();
		if (err) {
			bpt_log(prog, "allowing a core dump: %s",
				strerror(-err));
			return BPT_EXIT_ERROR;
		}
	}
	/* Default action, unblocked: SIGKILL and SIGSTOP refuse, harmlessly. */
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	return 0;	/* a stop signal, and we were continued */
}
