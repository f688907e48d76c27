/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP producer for host unit tests: one `ok`/`not ok` line per
 * check, a plan at the end and a final "N passed, N failed" line; the
 * program's exit status is non-zero when anything failed.
 */
#ifndef BP_TAP_H
#define BP_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct tap {
	unsigned int run;
	unsigned int failed;
};

static inline bool __attribute__((format(printf, 3, 4)))
tap_ok(struct tap *t, bool cond, const char *fmt, ...)
{
	va_list ap;

	t->run++;
	if (!cond)
		t->failed++;
	printf("%sok %u - ", cond ? "" : "not ", t->run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return cond;
}

static inline int tap_done(struct tap *t)
{
	printf("1..%u\n", t->run);
	printf("# %u passed, %u failed\n", t->run - t->failed, t->failed);
	return t->failed ? 1 : 0;
}

#endif /* BP_TAP_H */
