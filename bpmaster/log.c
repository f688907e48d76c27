// SPDX-License-Identifier: GPL-2.0
/*
 * Logging: to stderr with a timestamp in the foreground (-f), to syslog
 * (facility daemon) when daemonized. Every line reads "bpmaster: ...".
 */
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "bpmaster.h"

uint64_t bpm_now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bpm_now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bpm_vlog(const struct bpm *m, int prio, const char *fmt, va_list ap)
{
	char msg[1024];
	struct timespec ts;
	struct tm tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (m->use_syslog) {
		syslog(prio, "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ bpmaster: %s\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, msg);
}

void bpm_log(const struct bpm *m, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bpm_vlog(m, prio, fmt, ap);
	va_end(ap);
}
