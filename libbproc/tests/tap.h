/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP producer for host unit tests: one "ok N - what" or
 * "not ok N - what" line per check, the plan at the end, exit status 1
 * when any check failed. State lives in a struct passed down, not in
 * globals.
 */
#ifndef _BPROC_TAP_H
#define _BPROC_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct tap {
	int n;
	int failed;
};

static inline bool __attribute__((format(printf, 5, 6)))
tap_ok(struct tap *t, bool cond, const char *file, int line,
       const char *fmt, ...)
{
	va_list ap;

	t->n++;
	printf("%sok %d - ", cond ? "" : "not ", t->n);
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

#define ok(t, cond, ...) tap_ok(t, (cond), __FILE__, __LINE__, __VA_ARGS__)

/* Print the plan; the exit status for main(). */
static inline int tap_done(struct tap *t)
{
	printf("1..%d\n", t->n);
	return t->failed ? 1 : 0;
}

#endif /* _BPROC_TAP_H */
