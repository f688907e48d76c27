// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the restart backoff and wait-status words (TAP). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backoff.h"
#include "bproc-test/tap.h"
#include "wstatus.h"

/* Status of a real child that exits with @code, or raises @sig. */
static int child_status(int code, int sig)
{
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		if (sig) {
			signal(sig, SIG_DFL);
			raise(sig);
		}
		_exit(code);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	return st;
}

int main(void)
{
	static const unsigned int want[] = { 1000, 2000, 4000, 8000, 10000, 10000, 10000 };
	struct tap t = { 0 };
	unsigned int d = 0, i;
	char buf[96];
	bool ok = true;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		d = ni_backoff_next(d, 100);
		ok = ok && d == want[i];
	}
	tap_ok(&t, ok, "quick exits back off 1, 2, 4, 8, 10, 10, 10 s");
	tap_ok(&t, ni_backoff_next(10000, 30000) == 1000,
	       "a run of 30 s resets the delay to 1 s");
	tap_ok(&t, ni_backoff_next(8000, 29999) == 10000,
	       "a run just under 30 s keeps backing off");
	tap_ok(&t, ni_backoff_next(0, 1000000) == 1000, "first exit after a long run: 1 s");
	tap_ok(&t, ni_backoff_next(3000, 0) == 6000, "doubling from an odd delay");
	tap_ok(&t, ni_backoff_next(6000, 0) == 10000, "capped at 10 s");

	ni_wstatus_str(child_status(3, 0), buf, sizeof(buf));
	tap_ok(&t, !strcmp(buf, "status 3"), "exit 3: '%s'", buf);
	ni_wstatus_str(child_status(0, 0), buf, sizeof(buf));
	tap_ok(&t, !strcmp(buf, "status 0"), "exit 0: '%s'", buf);
	ni_wstatus_str(child_status(0, SIGKILL), buf, sizeof(buf));
	tap_ok(&t, !strcmp(buf, "signal 9 (Killed)"), "SIGKILL: '%s'", buf);
	ni_wstatus_str(W_EXITCODE(0, SIGSEGV) | WCOREFLAG, buf, sizeof(buf));
	tap_ok(&t, !strcmp(buf, "signal 11 (Segmentation fault), core dumped"),
	       "SIGSEGV with core: '%s'", buf);
	ni_wstatus_str(W_STOPCODE(SIGSTOP), buf, sizeof(buf));
	tap_ok(&t, !strncmp(buf, "wait status 0x", 14), "stopped: '%s'", buf);
	ni_wstatus_str(child_status(0, 0), buf, 4);
	tap_ok(&t, !strcmp(buf, "sta"), "truncated to the buffer");
	return tap_done(&t);
}
