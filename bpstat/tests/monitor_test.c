// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of bpstat -U's loop (monitor.c) on a fake libbproc: the node
 * table lives in memory shared with this test, the change notifier is a
 * pipe the test writes a byte to after each change. bpstat_monitor() runs
 * in a child whose stdout is a pipe, as a script would read it: one block
 * per change with a blank line after it (a JSON line with --json),
 * nothing without a change, changes of a quiet period drawn together,
 * --exit-after, SIGTERM, a notifier that goes away.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpstat.h"
#include "bproc-test/tap.h"
#include "view.h"

const char bpstat_prog[] = "bpstat";

/* --- the fake libbproc ---------------------------------------------------- */

struct fake {
	int count;
	unsigned long long gen;
	struct bproc_node_info nodes[4];
};

static struct fake *fake;	/* shared with the child (MAP_SHARED) */
static int notify_rd = -1;	/* the child's end of the notifier pipe */

int bproc_nodelist(struct bproc_node_info **list)
{
	*list = calloc(fake->count, sizeof(**list));
	if (!*list)
		return -1;
	memcpy(*list, fake->nodes, fake->count * sizeof(**list));
	return fake->count;
}

int bproc_notifier(int nonblock)
{
	if (nonblock)
		fcntl(notify_rd, F_SETFL, O_NONBLOCK);
	return notify_rd;
}

int bproc_notifier_ack(int fd, unsigned long long *gen)
{
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		errno = EPIPE;	/* the fake's way of going away */
		return -1;
	}
	if (gen)
		*gen = fake->gen;
	return 1;
}

/* --- running bpstat -U -------------------------------------------------- */

struct child {
	pid_t pid;
	int out, err;		/* its stdout and stderr */
	int notify;		/* the notifier's write end */
	char buf[16384];	/* what it wrote so far */
	size_t len;
	char errbuf[1024];	/* its stderr, once it exited */
	int status;		/* its wait status, once it exited */
};

static void table(int state1)
{
	int i;

	memset(fake, 0, sizeof(*fake));
	fake->count = 2;
	fake->gen = 1;
	for (i = 0; i < 2; i++) {
		fake->nodes[i].size = sizeof(fake->nodes[i]);
		fake->nodes[i].node = i;
		fake->nodes[i].state = i ? (unsigned int)state1 : BPROC_NODE_UP;
		fake->nodes[i].mode = 0111;
	}
}

static void change(struct child *c)
{
	fake->gen++;
	if (write(c->notify, "!", 1) != 1)
		perror("notifier pipe");
}

/*
 * bpstat -U with the view @view in a child; its stdout a pipe, or the
 * terminal @tty (then c->out is @master, the other side).
 */
static int start_view(struct child *c, int view, bool json, int exit_after,
		      int tty, int master)
{
	static char *argv[] = { "bpstat", "-U", "-l", NULL };
	struct bpstat_opts o = {
		.view = view, .json = json, .watch = true,
		.exit_after = exit_after, .argc = view == BPSTAT_LONG ? 3 : 2,
		.argv = argv,
	};
	int out[2] = { master, tty }, err[2], note[2];

	memset(c, 0, sizeof(*c));
	if ((tty < 0 && pipe(out)) || pipe(err) || pipe(note))
		return -1;
	/* Like the module's: a fresh notifier is readable at once. */
	if (write(note[1], "!", 1) != 1)
		return -1;
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		close(note[1]);
		notify_rd = note[0];
		_exit(bpstat_monitor(&o));
	}
	close(out[1]);
	close(err[1]);
	close(note[0]);
	c->out = out[0];
	c->err = err[0];
	c->notify = note[1];
	return 0;
}

static int start(struct child *c, bool json, int exit_after)
{
	return start_view(c, BPSTAT_COMPACT, json, exit_after, -1, -1);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* How many times @needle occurs in what the child wrote. */
static int occurs(const struct child *c, const char *needle)
{
	const char *s = c->buf;
	int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/*
 * Read the child's stdout for @ms, or until @needle occurs @n times
 * (NULL: the whole time). Whether it did.
 */
static bool read_for(struct child *c, int ms, const char *needle, int n)
{
	long long end = now_ms() + ms;
	struct pollfd pfd = { .fd = c->out, .events = POLLIN };
	ssize_t r;

	for (;;) {
		if (needle && occurs(c, needle) >= n)
			return true;
		if (now_ms() >= end)
			return false;
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			continue;
		r = read(c->out, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		if (r <= 0)
			return needle && occurs(c, needle) >= n;
		c->len += (size_t)r;
		c->buf[c->len] = '\0';
	}
}

/* Whether it exited within @ms (its wait status in c->status). */
static bool exited(struct child *c, int ms)
{
	long long end = now_ms() + ms;

	while (waitpid(c->pid, &c->status, WNOHANG) == 0) {
		if (now_ms() >= end)
			return false;
		usleep(10000);
	}
	c->pid = 0;
	return true;
}

/* Its exit status (128 + signal), killing it after @ms. */
static int finish(struct child *c, int ms)
{
	ssize_t n;
	int st;

	close(c->notify);
	if (c->pid && !exited(c, ms)) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &c->status, 0);
	}
	st = c->status;
	read_for(c, 0, NULL, 0);
	n = read(c->err, c->errbuf, sizeof(c->errbuf) - 1);
	c->errbuf[n > 0 ? n : 0] = '\0';
	close(c->out);
	close(c->err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define HEAD "Node(s)  Status  Mode        User  Group\n"
#define BOTH_UP HEAD "0-1      up      ---x--x--x  root  root\n\n"
#define ONE_DOWN HEAD "0        up      ---x--x--x  root  root\n" \
		 "1        down    ---x--x--x  root  root\n\n"

static void test_pipe(struct tap *t)
{
	struct child c;
	long long t0;

	table(BPROC_NODE_UP);
	if (start(&c, false, 2)) {
		tap_ok(t, false, "start bpstat -U: %s", strerror(errno));
		return;
	}
	tap_ok(t, read_for(&c, 5000, "\n\n", 1) && !strcmp(c.buf, BOTH_UP),
	       "pipe: the table at once, a blank line after it");
	read_for(&c, 400, NULL, 0);
	tap_ok(t, occurs(&c, "\n\n") == 1,
	       "pipe: nothing more without a change (no periodic redraw)");
	fake->nodes[0].load[0] = 250;
	change(&c);
	read_for(&c, 400, NULL, 0);
	tap_ok(t, occurs(&c, "\n\n") == 1,
	       "pipe: a change the view does not show writes nothing");
	fake->nodes[1].state = BPROC_NODE_DOWN;
	t0 = now_ms();
	change(&c);
	tap_ok(t, read_for(&c, 5000, "\n\n", 2) &&
	       !strcmp(c.buf, BOTH_UP ONE_DOWN),
	       "pipe: a change shown in %lld ms, as its own block", now_ms() - t0);
	tap_ok(t, finish(&c, 5000) == 0, "--exit-after 2: exit 0 after two views");
	if (strcmp(c.buf, BOTH_UP ONE_DOWN))
		printf("# got:\n%s", c.buf);
}

static void test_quiet_period(struct tap *t)
{
	struct child c;
	long long t0, took;
	int i, blocks, st;

	table(BPROC_NODE_UP);
	if (start(&c, false, 0)) {
		tap_ok(t, false, "start bpstat -U: %s", strerror(errno));
		return;
	}
	read_for(&c, 5000, "\n\n", 1);
	t0 = now_ms();
	for (i = 0; i < 30; i++) {
		/* each state unlike the one before: no view is left out */
		fake->nodes[1].state = i % 2 ? BPROC_NODE_ERROR : BPROC_NODE_DOWN;
		change(&c);
		usleep(5000);
	}
	fake->nodes[1].state = BPROC_NODE_UNAVAILABLE;
	change(&c);
	took = now_ms() - t0;
	tap_ok(t, read_for(&c, 5000, "unavailable", 1),
	       "the last of 31 changes in %lld ms is drawn", took);
	read_for(&c, 300, NULL, 0);
	blocks = occurs(&c, "\n\n");
	tap_ok(t, blocks >= 2 && blocks <= 1 + took / 100 + 2,
	       "31 changes in %lld ms: %d views, at most one per 100 ms",
	       took, blocks);
	tap_ok(t, strstr(c.buf, "1        unavailable") &&
	       !strcmp(c.buf + c.len - 2, "\n\n") &&
	       occurs(&c, "unavailable") == 1,
	       "the final state is the last view");
	kill(c.pid, SIGTERM);
	exited(&c, 5000);	/* before the notifier goes */
	st = finish(&c, 5000);
	tap_ok(t, st == 0, "SIGTERM: exit 0 (%d)", st);
}

static void test_json(struct tap *t)
{
	struct child c;
	char *nl;

	table(BPROC_NODE_UP);
	if (start(&c, true, 2)) {
		tap_ok(t, false, "start bpstat -U --json: %s", strerror(errno));
		return;
	}
	read_for(&c, 5000, "\n", 1);
	fake->nodes[1].state = BPROC_NODE_ERROR;
	change(&c);
	read_for(&c, 5000, "\n", 2);
	tap_ok(t, finish(&c, 5000) == 0, "--json --exit-after 2: exit 0");
	nl = strchr(c.buf, '\n');
	tap_ok(t, nl && occurs(&c, "\n") == 2 &&
	       !strncmp(c.buf, "[{\"node\":0,", 11) &&
	       !strncmp(nl - 2, "}]\n[{\"node\":0,", 14) &&
	       !strcmp(c.buf + c.len - 3, "}]\n"),
	       "json: one document per line, no blank line");
	tap_ok(t, nl && strstr(c.buf, "\"node\":1,\"address\":null,\"status\":\"up\"") < nl &&
	       strstr(nl, "\"node\":1,\"address\":null,\"status\":\"error\""),
	       "json: the second document has the change");
	if (!nl || occurs(&c, "\n") != 2)
		printf("# got:\n%s", c.buf);
}

static void test_reader_gone(struct tap *t)
{
	struct child c;
	long long t0;
	int st;

	table(BPROC_NODE_UP);
	if (start(&c, false, 0)) {
		tap_ok(t, false, "start bpstat -U: %s", strerror(errno));
		return;
	}
	read_for(&c, 5000, "\n\n", 1);
	t0 = now_ms();
	close(c.out);
	c.out = open("/dev/null", O_RDONLY);
	exited(&c, 2000);	/* before the notifier goes too */
	st = finish(&c, 5000);
	tap_ok(t, st == 0 && now_ms() - t0 < 2000,
	       "the pipe's reader leaving: exit 0 at once, not at the next change (%d after %lld ms)",
	       st, now_ms() - t0);
}

static void test_gone(struct tap *t)
{
	struct child c;
	int st;

	table(BPROC_NODE_UP);
	if (start(&c, false, 0)) {
		tap_ok(t, false, "start bpstat -U: %s", strerror(errno));
		return;
	}
	read_for(&c, 5000, "\n\n", 1);
	close(c.notify);
	c.notify = open("/dev/null", O_WRONLY);
	st = finish(&c, 5000);
	tap_ok(t, st == 1, "the notifier going away: exit 1 (%d)", st);
	tap_ok(t, strstr(c.errbuf, "bpstat: -U: the change notifier: ") ==
	       c.errbuf,
	       "and a message saying so: %.*s",
	       (int)strcspn(c.errbuf, "\n"), c.errbuf);
}

#define CLEAR "\033[H\033[2J"

/* A terminal of @rows by @cols: the slave's fd, *@master the other side. */
static int terminal(int *master, unsigned short rows, unsigned short cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	struct termios tio;
	int m, s;

	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0)
		return -1;
	if (grantpt(m) || unlockpt(m) || ioctl(m, TIOCSWINSZ, &ws)) {
		close(m);
		return -1;
	}
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (s < 0) {
		close(m);
		return -1;
	}
	/* No "\r\n" for "\n": the test sees what bpstat wrote. */
	tcgetattr(s, &tio);
	cfmakeraw(&tio);
	tcsetattr(s, TCSANOW, &tio);
	*master = m;
	return s;
}

/* The longest line of @s (up to @end) and the number of lines. */
static size_t widest(const char *s, const char *end, int *lines)
{
	size_t w = 0, n;
	const char *nl;

	*lines = 0;
	while (s < end && (nl = memchr(s, '\n', (size_t)(end - s)))) {
		n = (size_t)(nl - s);
		if (n > w)
			w = n;
		++*lines;
		s = nl + 1;
	}
	return w;
}

static void test_screen(struct tap *t)
{
	struct child c;
	const char *last, *first;
	int master, tty, lines, clears, st;
	struct winsize ws = { .ws_row = 30, .ws_col = 200 };
	size_t w;

	tty = terminal(&master, 6, 40);
	if (tty < 0) {
		tap_skip(t, "no pseudo-terminal here (%s): the terminal output is not checked",
			 strerror(errno));
		return;
	}
	table(BPROC_NODE_UP);
	fake->count = 4;
	fake->nodes[2] = fake->nodes[1];
	fake->nodes[2].node = 2;
	fake->nodes[3] = fake->nodes[1];
	fake->nodes[3].node = 3;
	if (start_view(&c, BPSTAT_LONG, false, 0, tty, master)) {
		tap_ok(t, false, "start bpstat -U -l: %s", strerror(errno));
		return;
	}
	close(tty);
	read_for(&c, 5000, "Node ", 1);
	read_for(&c, 200, NULL, 0);
	first = c.buf + strlen(CLEAR);
	tap_ok(t, !strncmp(c.buf, CLEAR "bpstat -U -l    generation 1 at ",
			   strlen(CLEAR) + 32),
	       "terminal: cleared, then the header with the generation");
	w = widest(first, c.buf + c.len, &lines);
	tap_ok(t, occurs(&c, CLEAR) == 1 && w == 40 && lines == 5 &&
	       strstr(c.buf, "\n\nNode  Address  Status  Since  Mode   ") &&
	       strstr(c.buf, "\n... 3 more lines\n"),
	       "terminal: fitted to 6x40: 5 lines of 40 (%d of %zu), the rest counted",
	       lines, w);
	read_for(&c, 2500, CLEAR, 4);
	clears = occurs(&c, CLEAR);
	tap_ok(t, clears >= 2 && clears <= 4,
	       "terminal, long view: redrawn once a second for its ages (%d in 2.7 s)",
	       clears);

	ioctl(master, TIOCSWINSZ, &ws);
	kill(c.pid, SIGWINCH);
	fake->nodes[3].state = BPROC_NODE_DOWN;
	change(&c);
	read_for(&c, 5000, "generation 2 at ", 1);
	read_for(&c, 300, NULL, 0);
	last = strstr(c.buf, "generation 2 at ");
	while (last && strstr(last + 1, CLEAR))
		last = strstr(last + 1, CLEAR);
	w = last ? widest(last, c.buf + c.len, &lines) : 0;
	tap_ok(t, last && w > 40 && lines == 7 &&
	       strstr(last, "\n3     -        down  "),
	       "terminal: a change and a new size (SIGWINCH): every node, full width (%d lines of %zu)",
	       lines, w);
	kill(c.pid, SIGINT);
	exited(&c, 5000);	/* before the notifier goes */
	st = finish(&c, 5000);
	tap_ok(t, st == 0, "terminal: SIGINT, exit 0 (%d)", st);

	tty = terminal(&master, 24, 80);
	table(BPROC_NODE_UP);
	if (tty < 0 || start_view(&c, BPSTAT_COMPACT, false, 0, tty, master)) {
		tap_ok(t, false, "start bpstat -U: %s", strerror(errno));
		return;
	}
	close(tty);
	read_for(&c, 1600, CLEAR, 2);
	tap_ok(t, occurs(&c, CLEAR) == 1 && strstr(c.buf, "\n0-1  "),
	       "terminal, compact view: no ages, no redraw without a change");
	kill(c.pid, SIGTERM);
	exited(&c, 5000);	/* before the notifier goes */
	tap_ok(t, finish(&c, 5000) == 0, "terminal: SIGTERM, exit 0");
}

int main(void)
{
	struct tap t = {};

	fake = mmap(NULL, sizeof(*fake), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fake == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	test_pipe(&t);
	test_quiet_period(&t);
	test_json(&t);
	test_reader_gone(&t);
	test_gone(&t);
	test_screen(&t);
	return tap_done(&t);
}
