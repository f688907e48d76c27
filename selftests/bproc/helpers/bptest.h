/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared bits of the node test helpers (bptest-*): number and signal
 * parsing, and diagnostics. On a node the helpers' stdio is /dev/null for
 * now and results come back through the exit status; the details then go
 * to /dev/kmsg, i.e. the node's console, which the harness keeps.
 */
#ifndef _BPTEST_H
#define _BPTEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Exit statuses every helper uses. */
#define BPT_EXIT_ERROR	1	/* a system call failed */
#define BPT_EXIT_USAGE	2	/* bad arguments */

/* Parse a whole decimal number in [min, max]; -EINVAL otherwise. */
static inline int bpt_parse_long(const char *s, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (!*s || *end || errno || *v < min || *v > max)
		return -EINVAL;
	return 0;
}

/* A signal number, "USR1", "SIGUSR1", "RTMIN", "RTMIN+2"; -EINVAL. */
static inline int bpt_parse_signal(const char *s)
{
	const char *name;
	long v;
	int i;

	if (!bpt_parse_long(s, 1, SIGRTMAX, &v))
		return v;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	if (!strncasecmp(s, "RTMIN", 5)) {
		if (!s[5])
			return SIGRTMIN;
		if (s[5] == '+' &&
		    !bpt_parse_long(s + 6, 0, SIGRTMAX - SIGRTMIN, &v))
			return SIGRTMIN + v;
		return -EINVAL;
	}
	for (i = 1; i < SIGRTMIN; i++) {
		name = sigabbrev_np(i);
		if (name && !strcasecmp(s, name))
			return i;
	}
	return -EINVAL;
}

/* Whether stderr goes nowhere: closed, or /dev/null (char device 1:3). */
static inline bool bpt_stderr_lost(void)
{
	struct stat st;

	if (fstat(STDERR_FILENO, &st))
		return true;
	return S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

/*
 * "prog[pid]: message" to stderr; also to /dev/kmsg (as far as we may)
 * when stderr goes nowhere, as on a node for now.
 */
static inline void __attribute__((format(printf, 2, 3)))
bpt_log(const char *prog, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n, fd;

	n = snprintf(line, sizeof(line), "%s[%d]: ", prog, (int)getpid());
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
	if (!bpt_stderr_lost())
		return;
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* best effort: it is only a diagnostic */
		ssize_t r = write(fd, line, strlen(line));

		(void)r;
		close(fd);
	}
}

#endif /* _BPTEST_H */
