// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the wait-status words (TAP). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
	struct tap t = { 0 };
	char buf[96];

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
