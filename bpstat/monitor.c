// SPDX-License-Identifier: GPL-2.0
/*
 * bpstat -U: the view again whenever the node table changes.
 *
 * One loop (core's bp_loop) over three sources: the change notifier of
 * libbproc (readable when the table's generation moved; acknowledging it
 * records the change, it does not read the table), a timer for the next
 * redraw the rules of watch.h allow, and the signals that end the watch
 * or resize the window. A redraw that shows a change reads the table
 * then, so the changes of a quiet period are drawn together.
 *
 * On a terminal (text): the screen is cleared, a header line names the
 * command and the generation, and the view is fitted to the window. On a
 * pipe, or with --json: the view exactly as bpstat prints it, a blank
 * line after each text view, flushed; a change that leaves the view as it
 * was writes nothing there, and the watch ends when the pipe's reader
 * does.
 */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "bp_loop.h"
#include "bp_time.h"
#include "bpstat.h"
#include "view.h"
#include "watch.h"

#define CLEAR_SCREEN "\033[H\033[2J"

struct monitor {
	const struct bpstat_opts *o;
	struct bp_loop loop;
	struct bp_io notifier;
	struct bp_io output;		/* stdout, when a pipe: its reader leaving */
	struct bp_timer timer;		/* the next redraw that is due */
	struct bp_sig sig;
	struct bpstat_watch w;
	bool screen;			/* a terminal and text */
	unsigned int rows, cols;	/* its size; 0: unknown */
	bool done;

	struct bproc_node_info *list;	/* the table at the last change */
	int count;
	unsigned long long gen;		/* its generation */
	time_t seen;			/* when that generation was seen */

	char *last;			/* the view last written */
	size_t last_len;
	int shown;			/* views written for a change */
};

static void finish(struct monitor *m, int status)
{
	m->done = true;
	bp_loop_stop(&m->loop, status);
}

static void window_size(struct monitor *m)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		m->rows = ws.ws_row;
		m->cols = ws.ws_col;
	} else {
		m->rows = 0;
		m->cols = 0;
	}
}

/* Clear the screen, write the header and @body fitted to the window. */
static void draw_screen(struct monitor *m, const char *body, size_t len)
{
	char *text;
	int n;

	n = bpstat_watch_header(NULL, 0, m->o->argc, m->o->argv, m->gen,
				m->seen);
	text = malloc((size_t)n + 2 + len + 1);
	if (!text) {
		fputs(CLEAR_SCREEN, stdout);
		bpstat_watch_fit(stdout, body, len, m->rows, m->cols);
		return;
	}
	bpstat_watch_header(text, (size_t)n + 1, m->o->argc, m->o->argv,
			    m->gen, m->seen);
	memcpy(text + n, "\n\n", 2);
	memcpy(text + n + 2, body, len);
	fputs(CLEAR_SCREEN, stdout);
	bpstat_watch_fit(stdout, text, (size_t)n + 2 + len, m->rows, m->cols);
	free(text);
}

/* One redraw; 0, or -1 once the watch is over. */
static int draw(struct monitor *m, enum bpstat_redraw what)
{
	bool fresh;
	char *body = NULL;
	size_t len = 0;
	FILE *fp;
	int err;

	if (what == BPSTAT_DRAW_CHANGE) {
		free(m->list);
		m->count = bpstat_read(m->o, &m->list);
		if (m->count < 0) {
			m->count = 0;
			finish(m, 1);
			return -1;
		}
	}
	fp = open_memstream(&body, &len);
	if (!fp) {
		err = -errno;
	} else {
		err = bpstat_print(m->o, fp, m->list, m->count,
				   bp_now_real_ns());
		if (fclose(fp) && !err)
			err = -errno;
	}
	if (err) {
		fprintf(stderr, "%s: %s\n", bpstat_prog, strerror(-err));
		free(body);
		finish(m, 1);
		return -1;
	}
	fresh = !m->last || len != m->last_len || memcmp(body, m->last, len);
	if (m->screen) {
		draw_screen(m, body, len);
	} else if (fresh) {
		fwrite(body, 1, len, stdout);
		if (!m->o->json)
			fputc('\n', stdout);
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "%s: writing the output: %s\n", bpstat_prog,
			strerror(errno ? errno : EIO));
		free(body);
		finish(m, 1);
		return -1;
	}
	free(m->last);
	m->last = body;
	m->last_len = len;
	if (what == BPSTAT_DRAW_CHANGE && fresh &&
	    ++m->shown == m->o->exit_after) {
		finish(m, 0);
		return -1;
	}
	return 0;
}

/* Draw what is due now, then arm the timer for what is due next. */
static void schedule(struct monitor *m)
{
	enum bpstat_redraw what;
	uint64_t now;
	int wait, err;

	for (;;) {
		now = bp_now_mono_ms();
		what = bpstat_watch_next(&m->w, now, &wait);
		if (what == BPSTAT_WAIT)
			break;
		bpstat_watch_drawn(&m->w, now);
		if (draw(m, what))
			return;
	}
	if (wait < 0) {
		bp_timer_stop(&m->loop, &m->timer);
		return;
	}
	err = bp_timer_start(&m->loop, &m->timer,
			     (uint64_t)wait * BP_NS_PER_MS, 0);
	if (err) {
		fprintf(stderr, "%s: %s\n", bpstat_prog, strerror(-err));
		finish(m, 1);
	}
}

static void on_timer(struct bp_loop *l, struct bp_timer *t)
{
	schedule(bp_container_of(t, struct monitor, timer));
}

static void on_change(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct monitor *m = bp_container_of(io, struct monitor, notifier);
	unsigned long long gen;
	int r;

	r = bproc_notifier_ack(io->fd, &gen);
	if (r == 0 && (events & (EPOLLERR | EPOLLHUP))) {
		errno = EIO;
		r = -1;
	}
	if (r < 0) {
		fprintf(stderr, "%s: -U: the change notifier: %s\n",
			bpstat_prog, strerror(errno));
		finish(m, 1);
		return;
	}
	if (r == 0)
		return;
	m->gen = gen;
	m->seen = time(NULL);
	m->w.changed = true;
	schedule(m);
}

/* The reader of the pipe went away: nobody will see another view. */
static void on_output(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP))
		finish(bp_container_of(io, struct monitor, output), 0);
}

static void on_signal(struct bp_loop *l, struct bp_sig *s,
		      const struct signalfd_siginfo *si)
{
	struct monitor *m = bp_container_of(s, struct monitor, sig);

	if (si->ssi_signo != SIGWINCH) {
		finish(m, 0);
		return;
	}
	window_size(m);
	m->w.stale = true;
	schedule(m);
}

/* Set the loop up and draw the table as it is; 0 or -errno. */
static int start(struct monitor *m, int fd)
{
	sigset_t set;
	int err;

	err = bp_loop_init(&m->loop);
	if (err)
		return err;
	bp_io_init(&m->notifier, on_change);
	err = bp_io_add(&m->loop, &m->notifier, fd, EPOLLIN);
	if (err)
		return err;
	/*
	 * A pipe or socket reports its reader leaving (EPOLLERR, EPOLLHUP,
	 * never asked for), so bpstat ends then rather than at the next
	 * change that alters the view; files and terminals cannot be polled
	 * or do not need it.
	 */
	bp_io_init(&m->output, on_output);
	if (!m->screen)
		bp_io_add(&m->loop, &m->output, STDOUT_FILENO, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (m->screen)
		sigaddset(&set, SIGWINCH);
	err = bp_sig_add(&m->loop, &m->sig, &set, on_signal);
	if (err)
		return err;
	bp_timer_init(&m->timer, on_timer);
	m->w.changed = true;
	schedule(m);
	return 0;
}

int bpstat_monitor(const struct bpstat_opts *o)
{
	struct monitor m = { .o = o };
	int fd, r, status = 1;

	m.screen = !o->json && isatty(STDOUT_FILENO);
	bpstat_watch_init(&m.w, BPSTAT_WATCH_GAP_MS,
			  m.screen && bpstat_view_ages(o->view) ?
			  BPSTAT_WATCH_TICK_MS : 0);
	if (m.screen)
		window_size(&m);
	/* One write per redraw, whatever stdout is. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);

	fd = bproc_notifier(1);
	r = fd < 0 ? -1 : bproc_notifier_ack(fd, &m.gen);
	if (r < 0) {
		fprintf(stderr, "%s: -U: the change notifier: %s\n",
			bpstat_prog, strerror(errno));
		goto out;
	}
	m.seen = time(NULL);
	r = start(&m, fd);
	if (r) {
		fprintf(stderr, "%s: -U: %s\n", bpstat_prog, strerror(-r));
		goto out_loop;
	}
	status = m.done ? m.loop.status : bp_loop_run(&m.loop);
	if (status < 0) {
		fprintf(stderr, "%s: -U: %s\n", bpstat_prog, strerror(-status));
		status = 1;
	}
out_loop:
	bp_sig_del(&m.loop, &m.sig);
	bp_io_del(&m.loop, &m.output);
	bp_io_del(&m.loop, &m.notifier);
	bp_loop_fini(&m.loop);
out:
	if (fd >= 0)
		close(fd);
	free(m.list);
	free(m.last);
	return status;
}
