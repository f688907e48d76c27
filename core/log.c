// SPDX-License-Identifier: GPL-2.0
/* The logger (bp_log.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bp_log.h"

#define BP_LOG_LINE	1024

void bp_log_init(struct bp_log *lg, const char *prog, int fd,
		 enum bp_log_stamp stamp)
{
	memset(lg, 0, sizeof(*lg));
	lg->prog = prog;
	lg->fd = fd;
	lg->stamp = stamp;
}

void bp_log_to_syslog(struct bp_log *lg)
{
	openlog(lg->prog, LOG_PID, LOG_DAEMON);
	lg->syslog = true;
}

static size_t stamp(const struct bp_log *lg, char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	int n = 0;

	switch (lg->stamp) {
	case BP_LOG_STAMP_NONE:
		break;
	case BP_LOG_STAMP_MONO:
		clock_gettime(CLOCK_MONOTONIC, &ts);
		n = snprintf(buf, size, "[%5lld.%06ld] ", (long long)ts.tv_sec,
			     ts.tv_nsec / 1000);
		break;
	case BP_LOG_STAMP_UTC:
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec,
			     ts.tv_nsec / 1000000);
		break;
	}
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

size_t bp_log_format(const struct bp_log *lg, char *buf, size_t size,
		     const char *fmt, va_list ap)
{
	size_t len = stamp(lg, buf, size);
	int n;

	n = snprintf(buf + len, size - len, "%s: ", lg->prog);
	if (n > 0)
		len += (size_t)n < size - len ? (size_t)n : size - len - 1;
	/* Keep room for the newline: a long message is cut, not the line. */
	n = vsnprintf(buf + len, size - len - 1, fmt, ap);
	if (n > 0)
		len += (size_t)n < size - len - 1 ? (size_t)n : size - len - 2;
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}

void bp_vlog(const struct bp_log *lg, int prio, const char *fmt, va_list ap)
{
	char buf[BP_LOG_LINE];
	size_t len, off = 0;
	int saved = errno;

	if (lg->syslog) {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		syslog(prio, "%s", buf);
		errno = saved;
		return;
	}
	len = bp_log_format(lg, buf, sizeof(buf), fmt, ap);
	while (off < len) {
		ssize_t w = write(lg->fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;		/* nowhere to complain */
		off += (size_t)w;
	}
	errno = saved;
}

void bp_log(const struct bp_log *lg, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bp_vlog(lg, prio, fmt, ap);
	va_end(ap);
}
