/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one logger of bpmaster, bpslave and nodeinit: a line per message,
 * "PROG: text", written with one write(2) so lines of several processes
 * sharing a console do not cut into each other, or sent to syslog.
 * Stamps: none, CLOCK_MONOTONIC seconds the way the kernel stamps its
 * messages ("[    4.181022] nodeinit: ..."), or UTC
 * ("2026-12-01T09:00:00.123Z bpmaster: ...").
 *
 * The settings live in a struct bp_log the caller keeps in its context.
 */
#ifndef BP_LOG_H
#define BP_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

enum bp_log_stamp {
	BP_LOG_STAMP_NONE,
	BP_LOG_STAMP_MONO,
	BP_LOG_STAMP_UTC,
};

struct bp_log {
	const char *prog;
	int fd;				/* where lines go, unless syslog */
	enum bp_log_stamp stamp;
	bool syslog;
	bool verbose;			/* LOG_DEBUG lines too */
};

void bp_log_init(struct bp_log *lg, const char *prog, int fd,
		 enum bp_log_stamp stamp);
/* From now on to syslog (facility daemon, with the pid). */
void bp_log_to_syslog(struct bp_log *lg);

void bp_vlog(const struct bp_log *lg, int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void bp_log(const struct bp_log *lg, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* LOG_DEBUG, only when verbose: the arguments are not evaluated otherwise. */
#define bp_debug(lg, ...) do {					\
		if ((lg)->verbose)				\
			bp_log((lg), LOG_DEBUG, __VA_ARGS__);	\
	} while (0)

/* The line bp_vlog() writes, into @buf (for tests); its length. */
size_t bp_log_format(const struct bp_log *lg, char *buf, size_t size,
		     const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

#endif /* BP_LOG_H */
