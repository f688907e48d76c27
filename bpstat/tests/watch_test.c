// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests: bpstat -U's redraw rules (rate limit, the change of a
 * quiet period, the once-a-second tick), --exit-after's count, the
 * terminal's header line and fitting a view to the window.
 */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bproc-test/tap.h"
#include "watch.h"

#define GAP BPSTAT_WATCH_GAP_MS
#define TICK BPSTAT_WATCH_TICK_MS

static void test_first(struct tap *t)
{
	struct bpstat_watch w;
	int wait = 0;

	bpstat_watch_init(&w, GAP, 0);
	tap_ok(t, bpstat_watch_next(&w, 5000, &wait) == BPSTAT_WAIT &&
	       wait == -1, "nothing changed: wait for an event, no timeout");
	w.changed = true;
	tap_ok(t, bpstat_watch_next(&w, 5000, &wait) == BPSTAT_DRAW_CHANGE,
	       "the first change is drawn at once");
	bpstat_watch_drawn(&w, 5000);
	tap_ok(t, !w.changed && w.drawn && w.last_ms == 5000,
	       "drawn: nothing pending, the time kept");
	tap_ok(t, bpstat_watch_next(&w, 9000, &wait) == BPSTAT_WAIT &&
	       wait == -1, "no ages: no redraw without a change (%d)", wait);
}

static void test_gap(struct tap *t)
{
	struct bpstat_watch w;
	int wait = 0;

	bpstat_watch_init(&w, GAP, 0);
	bpstat_watch_drawn(&w, 1000);
	w.changed = true;
	tap_ok(t, bpstat_watch_next(&w, 1030, &wait) == BPSTAT_WAIT &&
	       wait == 70, "a change 30 ms after a redraw waits 70 ms (%d)",
	       wait);
	tap_ok(t, bpstat_watch_next(&w, 1099, &wait) == BPSTAT_WAIT &&
	       wait == 1, "1 ms before the gap ends: wait 1 ms, never 0");
	tap_ok(t, bpstat_watch_next(&w, 1100, &wait) == BPSTAT_DRAW_CHANGE,
	       "drawn when the gap ends");
	tap_ok(t, bpstat_watch_next(&w, 1500, &wait) == BPSTAT_DRAW_CHANGE,
	       "a change after the gap is drawn at once");
	tap_ok(t, bpstat_watch_next(&w, 900, &wait) == BPSTAT_WAIT &&
	       wait == 200, "a clock before the last redraw waits, no underflow");

	bpstat_watch_init(&w, GAP, 0);
	bpstat_watch_drawn(&w, 1000);
	w.stale = true;
	tap_ok(t, bpstat_watch_next(&w, 1050, &wait) == BPSTAT_WAIT &&
	       wait == 50, "a new window size waits for the gap too");
	tap_ok(t, bpstat_watch_next(&w, 1100, &wait) == BPSTAT_DRAW_SCREEN,
	       "a new window size redraws without reading the table");
	w.changed = true;
	tap_ok(t, bpstat_watch_next(&w, 1100, &wait) == BPSTAT_DRAW_CHANGE,
	       "a change and a new size: the change (reads the table)");
}

static void test_tick(struct tap *t)
{
	struct bpstat_watch w;
	int wait = 0;

	bpstat_watch_init(&w, GAP, TICK);
	tap_ok(t, bpstat_watch_next(&w, 0, &wait) == BPSTAT_WAIT && wait == -1,
	       "ages: no tick before the first redraw");
	bpstat_watch_drawn(&w, 1000);
	tap_ok(t, bpstat_watch_next(&w, 1400, &wait) == BPSTAT_WAIT &&
	       wait == 600, "ages: the next tick a second after the redraw (%d)",
	       wait);
	tap_ok(t, bpstat_watch_next(&w, 2000, &wait) == BPSTAT_DRAW_SCREEN,
	       "ages: the tick redraws what was read");
	w.changed = true;
	tap_ok(t, bpstat_watch_next(&w, 1050, &wait) == BPSTAT_WAIT &&
	       wait == 50, "a change before the tick: due at the gap, not the tick");
	tap_ok(t, bpstat_watch_next(&w, 2000, &wait) == BPSTAT_DRAW_CHANGE,
	       "a change and a tick due: one redraw that reads the table");

	bpstat_watch_init(&w, 500, 200);
	bpstat_watch_drawn(&w, 0);
	tap_ok(t, bpstat_watch_next(&w, 300, &wait) == BPSTAT_WAIT &&
	       wait == 200, "a tick shorter than the gap keeps the gap");
}

/*
 * Run the rules as the loop does over changes at @changes (ms, ascending,
 * @n of them): at each change and each time a wait ends, draw what is
 * due. The redraw times go to @draws (at most @max); their number.
 */
static int simulate(unsigned int tick, const uint64_t *changes, int n,
		    uint64_t end, uint64_t *draws, int max)
{
	struct bpstat_watch w;
	uint64_t now = 0, timer = UINT64_MAX;
	int i = 0, ndraws = 0, wait;

	bpstat_watch_init(&w, GAP, tick);
	while (i < n || timer != UINT64_MAX) {
		if (i < n && changes[i] <= timer) {
			now = changes[i++];
			w.changed = true;
		} else {
			now = timer;
		}
		if (now > end)
			break;
		while (bpstat_watch_next(&w, now, &wait) != BPSTAT_WAIT) {
			bpstat_watch_drawn(&w, now);
			if (ndraws < max)
				draws[ndraws] = now;
			ndraws++;
		}
		timer = wait < 0 ? UINT64_MAX : now + (uint64_t)wait;
	}
	return ndraws;
}

static void test_sequence(struct tap *t)
{
	static const uint64_t want[] = { 0, 100, 200, 300, 400, 500 };
	uint64_t changes[46], draws[64];
	uint64_t one[] = { 3000 };
	int i, n;

	for (i = 0; i < 46; i++)
		changes[i] = 10 * (uint64_t)i;	/* every 10 ms, 0 to 450 */
	n = simulate(0, changes, 46, 10000, draws, 64);
	tap_ok(t, n == 6 && !memcmp(draws, want, sizeof(want)),
	       "46 changes in 450 ms: 6 redraws, 100 ms apart (%d)", n);
	tap_ok(t, n >= 1 && draws[n - 1] == 500,
	       "the changes of 410-450 ms are drawn when the gap ends, not dropped");

	n = simulate(0, one, 1, 10000, draws, 64);
	tap_ok(t, n == 1 && draws[0] == 3000,
	       "one change: one redraw, at once, and then none");

	n = simulate(TICK, one, 1, 6500, draws, 64);
	tap_ok(t, n == 4 && draws[0] == 3000 && draws[1] == 4000 &&
	       draws[3] == 6000, "ages: redrawn once a second after the change (%d)",
	       n);
}

static void test_count(struct tap *t)
{
	tap_ok(t, bpstat_watch_parse_count("1") == 1 &&
	       bpstat_watch_parse_count("42") == 42 &&
	       bpstat_watch_parse_count("007") == 7,
	       "counts: 1, 42, 007");
	tap_ok(t, bpstat_watch_parse_count("2147483647") == INT_MAX,
	       "count: INT_MAX");
	tap_ok(t, bpstat_watch_parse_count("2147483648") == -1 &&
	       bpstat_watch_parse_count("99999999999999999999999") == -1,
	       "count: past INT_MAX refused");
	tap_ok(t, bpstat_watch_parse_count("0") == -1 &&
	       bpstat_watch_parse_count("") == -1 &&
	       bpstat_watch_parse_count("-1") == -1 &&
	       bpstat_watch_parse_count("+1") == -1 &&
	       bpstat_watch_parse_count(" 1") == -1 &&
	       bpstat_watch_parse_count("1x") == -1 &&
	       bpstat_watch_parse_count("1.5") == -1,
	       "count: 0, empty, signs, spaces, junk refused");
}

static void test_header(struct tap *t)
{
	char *argv[] = { "bpstat", "-U", "-l", "allup" };
	const char *want = "bpstat -U -l allup    generation 42 at 2023-11-14 22:13:20";
	char buf[128], small[10];
	int n;

	setenv("TZ", "UTC", 1);
	tzset();
	n = bpstat_watch_header(buf, sizeof(buf), 4, argv, 42, 1700000000);
	tap_ok(t, !strcmp(buf, want) && n == (int)strlen(want),
	       "header: the command, the generation, when it was seen: %s", buf);
	n = bpstat_watch_header(small, sizeof(small), 4, argv, 42, 1700000000);
	tap_ok(t, n == (int)strlen(want) && !strcmp(small, "bpstat -U"),
	       "header: cut to the buffer, the full length returned");
	tap_ok(t, bpstat_watch_header(NULL, 0, 4, argv, 42, 1700000000) == n,
	       "header: NULL buffer measures");
}

/* bpstat_watch_fit() into a string. */
static char *fit(const char *text, unsigned int rows, unsigned int cols)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	if (!fp)
		return NULL;
	bpstat_watch_fit(fp, text, strlen(text), rows, cols);
	fclose(fp);
	return out;
}

static void expect_fit(struct tap *t, const char *what, const char *text,
		       unsigned int rows, unsigned int cols, const char *want)
{
	char *got = fit(text, rows, cols);

	if (!tap_ok(t, got && !strcmp(got, want), "%s", what))
		printf("# want:\n%s# got:\n%s", want, got ? got : "(error)\n");
	free(got);
}

static void test_fit(struct tap *t)
{
	const char *text = "head\n\nNode  Status\n0     up\n1     down\n";

	expect_fit(t, "fit: no size, as it is", text, 0, 0, text);
	expect_fit(t, "fit: a window big enough, as it is", text, 6, 80, text);
	expect_fit(t, "fit: lines cut to the width", text, 0, 4,
		   "head\n\nNode\n0   \n1   \n");
	expect_fit(t, "fit: too many lines: rows - 1 lines, the last counts the rest",
		   text, 4, 80, "head\n\n... 3 more lines\n");
	expect_fit(t, "fit: the count line is cut to the width too",
		   text, 4, 6, "head\n\n... 3 \n");
	expect_fit(t, "fit: a two-row window shows the first line",
		   text, 2, 80, "head\n");
	expect_fit(t, "fit: a one-row window still shows it", text, 1, 80,
		   "head\n");
	expect_fit(t, "fit: a last line without a newline gets one",
		   "a\nb", 0, 0, "a\nb\n");
	expect_fit(t, "fit: not cut inside a UTF-8 character",
		   "h\xc3\xa9llo\n", 0, 2, "h\n");
	expect_fit(t, "fit: a whole UTF-8 character kept",
		   "h\xc3\xa9llo\n", 0, 3, "h\xc3\xa9\n");
	expect_fit(t, "fit: empty text, nothing", "", 5, 5, "");
}

int main(void)
{
	struct tap t = {};

	test_first(&t);
	test_gap(&t);
	test_tick(&t);
	test_sequence(&t);
	test_count(&t);
	test_header(&t);
	test_fit(&t);
	return tap_done(&t);
}
