/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP for the host unit tests of every directory: one "ok N - what" or
 * "not ok N - what" line per check (a failure also names its file:line),
 * "ok N - # SKIP why" for a check that cannot run here, and at the end the
 * plan and a "# N passed, N failed" line. tap_done() gives the exit status
 * for main(): non-zero when anything failed. State lives in a struct the
 * test passes down, not in globals.
 */
#ifndef BPROC_TEST_TAP_H
#define BPROC_TEST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct tap {
	unsigned int run;
	unsigned int failed;
};

static inline bool __attribute__((format(printf, 5, 6)))
tap_ok_at(struct tap *t, bool cond, const char *file, int line,
	  const char *fmt, ...)
{
	va_list ap;

	t->run++;
	printf("%sok %u - ", cond ? "" : "not ", t->run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond) {
		t->failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define tap_ok(t, cond, ...) \
	tap_ok_at((t), (cond), __FILE__, __LINE__, __VA_ARGS__)

static inline void __attribute__((format(printf, 2, 3)))
tap_skip(struct tap *t, const char *fmt, ...)
{
	va_list ap;

	t->run++;
	printf("ok %u - # SKIP ", t->run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Print the plan and the summary; the exit status for main(). */
static inline int tap_done(const struct tap *t)
{
	printf("1..%u\n# %u passed, %u failed\n", t->run, t->run - t->failed,
	       t->failed);
	return t->failed ? 1 : 0;
}

#endif /* BPROC_TEST_TAP_H */
