// SPDX-License-Identifier: GPL-2.0
/* bpstat -U: the redraw rules and the terminal's layout; see watch.h. */

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "watch.h"

void bpstat_watch_init(struct bpstat_watch *w, unsigned int gap_ms,
		       unsigned int tick_ms)
{
	memset(w, 0, sizeof(*w));
	w->gap_ms = gap_ms;
	w->tick_ms = tick_ms;
}

enum bpstat_redraw bpstat_watch_next(const struct bpstat_watch *w,
				     uint64_t now_ms, int *wait_ms)
{
	enum bpstat_redraw what;
	uint64_t due;

	*wait_ms = -1;
	if (w->changed || w->stale) {
		what = w->changed ? BPSTAT_DRAW_CHANGE : BPSTAT_DRAW_SCREEN;
		due = w->drawn ? w->last_ms + w->gap_ms : now_ms;
	} else if (w->tick_ms && w->drawn) {
		what = BPSTAT_DRAW_SCREEN;
		due = w->last_ms +
		      (w->tick_ms > w->gap_ms ? w->tick_ms : w->gap_ms);
	} else {
		return BPSTAT_WAIT;
	}
	if (now_ms >= due)
		return what;
	*wait_ms = due - now_ms > INT_MAX ? INT_MAX : (int)(due - now_ms);
	return BPSTAT_WAIT;
}

void bpstat_watch_drawn(struct bpstat_watch *w, uint64_t now_ms)
{
	w->changed = false;
	w->stale = false;
	w->drawn = true;
	w->last_ms = now_ms;
}

int bpstat_watch_parse_count(const char *s)
{
	unsigned long long n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (unsigned int)(*s - '0');
		if (n > INT_MAX)
			return -1;
	}
	return n ? (int)n : -1;
}

/* snprintf at @*pos of @buf, keeping count of the length needed. */
static void __attribute__((format(printf, 4, 5)))
append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*pos < len ? buf + *pos : NULL,
		      *pos < len ? len - *pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

int bpstat_watch_header(char *buf, size_t len, int argc, char *const *argv,
			unsigned long long gen, time_t seen)
{
	char when[32] = "?";
	size_t pos = 0;
	struct tm tm;
	int i;

	if (len)
		buf[0] = '\0';
	if (localtime_r(&seen, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	for (i = 0; i < argc; i++)
		append(buf, len, &pos, "%s%s", i ? " " : "", argv[i]);
	append(buf, len, &pos, "    generation %llu at %s", gen, when);
	return pos > INT_MAX ? INT_MAX : (int)pos;
}

/* Up to @cols bytes of @line (@n bytes), not ending inside a character. */
static size_t fit_width(const char *line, size_t n, unsigned int cols)
{
	size_t cut;

	if (!cols || n <= cols)
		return n;
	cut = cols;
	while (cut > 0 && ((unsigned char)line[cut] & 0xc0) == 0x80)
		cut--;
	return cut;
}

void bpstat_watch_fit(FILE *out, const char *text, size_t len,
		      unsigned int rows, unsigned int cols)
{
	size_t lines = 0, budget, max, shown = 0, i, n;
	const char *s = text, *end = text + len, *nl;
	char more[64];

	for (i = 0; i < len; i++)
		if (text[i] == '\n' || i + 1 == len)
			lines++;
	budget = !rows ? lines : rows > 1 ? rows - 1 : 1;
	/* Too many: the last line of the budget counts the rest. */
	max = lines > budget && budget > 1 ? budget - 1 : budget;
	while (s < end && shown < max) {
		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		fwrite(s, 1, fit_width(s, n, cols), out);
		fputc('\n', out);
		shown++;
		s += n + (nl ? 1 : 0);
	}
	if (shown < lines && budget > 1) {
		n = (size_t)snprintf(more, sizeof(more), "... %zu more lines",
				     lines - shown);
		fwrite(more, 1, fit_width(more, n, cols), out);
		fputc('\n', out);
	}
}
