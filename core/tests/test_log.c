// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the logger (TAP). */
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bp_log.h"
#include "bproc-test/tap.h"

static size_t fmt(const struct bp_log *lg, char *buf, size_t size,
		  const char *f, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, f);
	n = bp_log_format(lg, buf, size, f, ap);
	va_end(ap);
	return n;
}

static bool matches(const char *re, const char *s)
{
	regex_t r;
	bool m;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB))
		return false;
	m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

int main(void)
{
	struct tap t = { 0 };
	struct bp_log lg;
	char buf[1024], small[32], got[256];
	int p[2];
	ssize_t n;
	size_t len;

	bp_log_init(&lg, "bptest", 2, BP_LOG_STAMP_NONE);
	fmt(&lg, buf, sizeof(buf), "node %d up (%s)", 3, "10.0.0.3");
	tap_ok(&t, !strcmp(buf, "bptest: node 3 up (10.0.0.3)\n"), "plain: %.*s",
	       (int)strcspn(buf, "\n"), buf);

	lg.stamp = BP_LOG_STAMP_MONO;
	fmt(&lg, buf, sizeof(buf), "x");
	tap_ok(&t, matches("^\\[ *[0-9]+\\.[0-9]{6}\\] bptest: x\n$", buf),
	       "monotonic stamp like the kernel's: %.*s", (int)strcspn(buf, "\n"), buf);

	lg.stamp = BP_LOG_STAMP_UTC;
	fmt(&lg, buf, sizeof(buf), "y");
	tap_ok(&t, matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z bptest: y\n$", buf),
	       "UTC stamp: %.*s", (int)strcspn(buf, "\n"), buf);

	lg.stamp = BP_LOG_STAMP_NONE;
	len = fmt(&lg, small, sizeof(small), "%s", "a message far longer than the line buffer");
	tap_ok(&t, len == strlen(small) && small[len - 1] == '\n' && len < sizeof(small),
	       "a long message is cut, the line still ends with a newline");

	if (pipe(p) == 0) {
		bp_log_init(&lg, "bptest", p[1], BP_LOG_STAMP_NONE);
		bp_log(&lg, LOG_INFO, "one %s", "line");
		bp_debug(&lg, "not shown %d", 1);
		lg.verbose = true;
		bp_debug(&lg, "shown %d", 2);
		close(p[1]);
		n = read(p[0], got, sizeof(got) - 1);
		got[n > 0 ? n : 0] = '\0';
		tap_ok(&t, !strcmp(got, "bptest: one line\nbptest: shown 2\n"),
		       "lines reach the fd; debug lines only when verbose");
		close(p[0]);
	}
	return tap_done(&t);
}
