// SPDX-License-Identifier: GPL-2.0
/* Wait statuses in words, for log lines. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "wstatus.h"

const char *ni_wstatus_str(int wstatus, char *buf, size_t size)
{
	if (WIFEXITED(wstatus))
		snprintf(buf, size, "status %d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(buf, size, "signal %d (%s)%s", WTERMSIG(wstatus),
			 strsignal(WTERMSIG(wstatus)),
			 WCOREDUMP(wstatus) ? ", core dumped" : "");
	else
		snprintf(buf, size, "wait status 0x%x", (unsigned int)wstatus);
	return buf;
}
