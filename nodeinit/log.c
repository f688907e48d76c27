// SPDX-License-Identifier: GPL-2.0
/*
 * Log lines on the console, stamped with CLOCK_MONOTONIC the way the
 * kernel stamps its own messages:  "[    4.181022] nodeinit: ..."
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "nodeinit.h"

uint64_t ni_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void vlog(const struct ni_ctx *ctx, const char *fmt, va_list ap)
{
	char buf[768];
	struct timespec ts;
	size_t len, off = 0;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(buf, sizeof(buf), "[%5lld.%06ld] " NI_NAME ": ",
		     (long long)ts.tv_sec, ts.tv_nsec / 1000);
	len = n > 0 ? (size_t)n : 0;
	n = vsnprintf(buf + len, sizeof(buf) - len - 1, fmt, ap);
	if (n > 0)
		len += (size_t)n < sizeof(buf) - len - 1 ? (size_t)n : sizeof(buf) - len - 2;
	buf[len++] = '\n';

	/* One write per line, so lines from children do not cut into it. */
	while (off < len) {
		ssize_t w = write(ctx->console, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;		/* no console: nowhere to complain */
		off += (size_t)w;
	}
}

void ni_log(const struct ni_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(ctx, fmt, ap);
	va_end(ap);
}

void ni_debug(const struct ni_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->debug)
		return;
	va_start(ap, fmt);
	vlog(ctx, fmt, ap);
	va_end(ap);
}

int ni_console_open(void)
{
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}
