/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpstat -U, the pure parts: when to redraw, the terminal's header line
 * and fitting a view to the window. The loop that feeds them (the change
 * notifier, a timer, signals) is monitor.c; nothing here reads a clock,
 * the table or the terminal.
 *
 * The redraw rules: a change of the table is drawn at once unless the
 * last redraw was less than gap_ms ago; then it is drawn when the gap
 * ends, together with every change that came meanwhile (never dropped).
 * A view whose ages move with the clock is redrawn tick_ms after the last
 * redraw even without a change; other views are not redrawn without a
 * change. A new window size is drawn under the same gap.
 */
#ifndef _BPSTAT_WATCH_H
#define _BPSTAT_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define BPSTAT_WATCH_GAP_MS	100	/* at most ten redraws a second */
#define BPSTAT_WATCH_TICK_MS	1000	/* ages: once a second */

/* Times are milliseconds of a monotonic clock. */
struct bpstat_watch {
	unsigned int gap_ms;	/* at least this long between two redraws */
	unsigned int tick_ms;	/* redraw this long after the last; 0: never */
	bool changed;		/* the table changed since the last redraw */
	bool stale;		/* the screen needs a redraw (its size changed) */
	bool drawn;		/* a redraw happened: last_ms is set */
	uint64_t last_ms;	/* when the last redraw was */
};

enum bpstat_redraw {
	BPSTAT_WAIT,		/* nothing to draw yet */
	BPSTAT_DRAW_CHANGE,	/* read the table again and draw it */
	BPSTAT_DRAW_SCREEN,	/* draw what was read again (ages, size) */
};

void bpstat_watch_init(struct bpstat_watch *w, unsigned int gap_ms,
		       unsigned int tick_ms);

/*
 * What to do at @now_ms. With BPSTAT_WAIT, *@wait_ms is how long until
 * the next redraw is due (-1: none before the next event; never 0).
 */
enum bpstat_redraw bpstat_watch_next(const struct bpstat_watch *w,
				     uint64_t now_ms, int *wait_ms);

/* A redraw happened at @now_ms: everything so far is drawn. */
void bpstat_watch_drawn(struct bpstat_watch *w, uint64_t now_ms);

/*
 * --exit-after's argument: a count from 1 to INT_MAX, all digits. The
 * count, or -1.
 */
int bpstat_watch_parse_count(const char *s);

/*
 * The terminal's header line, without a newline: the command line
 * (@argc words of @argv), then the table's generation @gen and when it
 * was seen (@seen, local time). Like snprintf: the length the whole line
 * needs.
 */
int bpstat_watch_header(char *buf, size_t len, int argc, char *const *argv,
			unsigned long long gen, time_t seen);

/*
 * Write @text (@len bytes of lines) to @out fitted to a window of @rows
 * by @cols (0: no limit): lines cut to @cols bytes (not inside a UTF-8
 * character), and no more than @rows - 1 lines, so the last newline does
 * not scroll the first line away; when lines are left out, the last one
 * shown says how many.
 */
void bpstat_watch_fit(FILE *out, const char *text, size_t len,
		      unsigned int rows, unsigned int cols);

#endif /* _BPSTAT_WATCH_H */
