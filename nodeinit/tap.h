/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP output for the host unit tests: one "ok N - what" or
 * "not ok N - what" line per check, the plan and a summary at the end.
 */
#ifndef NODEINIT_TAP_H
#define NODEINIT_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct tap {
	unsigned int run;
	unsigned int failed;
};

static inline __attribute__((format(printf, 3, 4)))
bool tap_ok(struct tap *t, bool ok, const char *fmt, ...)
{
	va_list ap;

	t->run++;
	if (!ok)
		t->failed++;
	printf("%sok %u - ", ok ? "" : "not ", t->run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return ok;
}

/* Print the plan and summary; returns the process exit status. */
static inline int tap_done(const struct tap *t)
{
	printf("1..%u\n# %u passed, %u failed\n", t->run, t->run - t->failed,
	       t->failed);
	return t->failed ? 1 : 0;
}

#endif /* NODEINIT_TAP_H */
