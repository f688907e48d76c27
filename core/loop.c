// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop (bp_loop.h): epoll for file descriptors, a binary
 * min-heap for timers, a signalfd for signals.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bp_loop.h"
#include "bp_time.h"

int bp_loop_init(struct bp_loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void bp_loop_fini(struct bp_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
	free(l->heap);
	l->heap = NULL;
	l->ntimers = l->cap = 0;
}

void bp_loop_stop(struct bp_loop *l, int status)
{
	l->stop = true;
	l->status = status;
}

/* --- file descriptors ---------------------------------------------------- */

void bp_io_init(struct bp_io *io, bp_io_fn fn)
{
	memset(io, 0, sizeof(*io));
	io->fd = -1;
	io->fn = fn;
}

int bp_io_add(struct bp_loop *l, struct bp_io *io, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (io->added)
		return -EEXIST;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	io->fd = fd;
	io->events = events;
	io->added = true;
	return 0;
}

int bp_io_mod(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (!io->added)
		return -ENOENT;
	if (events == io->events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev))
		return -errno;
	io->events = events;
	return 0;
}

void bp_io_del(struct bp_loop *l, struct bp_io *io)
{
	if (!io || !io->added)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->added = false;
	/* An event of it still waiting in this batch must not run. */
	for (int i = l->batch_pos; i < l->batch_len; i++)
		if (l->batch[i].data.ptr == io)
			l->batch[i].data.ptr = NULL;
}

/* --- timers: a min-heap on t->due, t->slot = index + 1 ------------------- */

static void heap_set(struct bp_loop *l, size_t i, struct bp_timer *t)
{
	l->heap[i] = t;
	t->slot = i + 1;
}

static void heap_up(struct bp_loop *l, size_t i)
{
	struct bp_timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (l->heap[parent]->due <= t->due)
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void heap_down(struct bp_loop *l, size_t i)
{
	struct bp_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->ntimers)
			break;
		if (c + 1 < l->ntimers && l->heap[c + 1]->due < l->heap[c]->due)
			c++;
		if (t->due <= l->heap[c]->due)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void bp_timer_init(struct bp_timer *t, bp_timer_fn fn)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
}

void bp_timer_stop(struct bp_loop *l, struct bp_timer *t)
{
	struct bp_timer *moved;
	size_t i;

	if (!t->slot)
		return;
	i = t->slot - 1;
	t->slot = 0;
	if (--l->ntimers == i)
		return;
	/* The last timer takes the freed slot, then finds its place. */
	moved = l->heap[l->ntimers];
	heap_set(l, i, moved);
	heap_up(l, i);
	heap_down(l, moved->slot - 1);
}

int bp_timer_start_at(struct bp_loop *l, struct bp_timer *t, uint64_t due_ns,
		      uint64_t period_ns)
{
	bp_timer_stop(l, t);
	if (l->ntimers == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct bp_timer **h = realloc(l->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->cap = cap;
	}
	t->due = due_ns;
	t->period = period_ns;
	heap_set(l, l->ntimers++, t);
	heap_up(l, t->slot - 1);
	return 0;
}

int bp_timer_start(struct bp_loop *l, struct bp_timer *t, uint64_t delay_ns,
		   uint64_t period_ns)
{
	return bp_timer_start_at(l, t, bp_now_mono_ns() + delay_ns, period_ns);
}

/* Fire every timer due by now; returns how many fired. */
static int run_timers(struct bp_loop *l)
{
	uint64_t now = bp_now_mono_ns();
	int n = 0;

	while (l->ntimers && l->heap[0]->due <= now && !l->stop) {
		struct bp_timer *t = l->heap[0];

		if (t->period) {
			/* Skip periods missed while we were busy. */
			uint64_t next = t->due + t->period;

			if (next <= now)
				next = now + t->period;
			t->due = next;
			heap_down(l, 0);
		} else {
			bp_timer_stop(l, t);
		}
		t->fn(l, t);
		n++;
	}
	return n;
}

/* Milliseconds until the first timer is due (rounded up), or -1. */
static int timer_wait_ms(const struct bp_loop *l)
{
	uint64_t now, due;

	if (!l->ntimers)
		return -1;
	now = bp_now_mono_ns();
	due = l->heap[0]->due;
	if (due <= now)
		return 0;
	if (due - now > (uint64_t)INT32_MAX * 1000000ull)
		return INT32_MAX;
	return (int)((due - now + 999999) / 1000000);
}

/* --- signals ------------------------------------------------------------- */

static void sig_readable(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bp_sig *s = (struct bp_sig *)io;
	struct signalfd_siginfo si;

	while (io->added && read(io->fd, &si, sizeof(si)) == sizeof(si))
		s->fn(l, s, &si);
}

int bp_sig_add(struct bp_loop *l, struct bp_sig *s, const sigset_t *set,
	       bp_sig_fn fn)
{
	int fd, ret;

	if (sigprocmask(SIG_BLOCK, set, NULL))
		return -errno;
	fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	bp_io_init(&s->io, sig_readable);
	s->set = *set;
	s->fn = fn;
	ret = bp_io_add(l, &s->io, fd, EPOLLIN);
	if (ret)
		close(fd);
	return ret;
}

void bp_sig_del(struct bp_loop *l, struct bp_sig *s)
{
	int fd = s->io.fd;

	if (!s->io.added)
		return;
	bp_io_del(l, &s->io);
	close(fd);
	s->io.fd = -1;
}

/* --- running ------------------------------------------------------------- */

int bp_loop_once(struct bp_loop *l, int max_ms)
{
	int wait = timer_wait_ms(l), n, ran;

	if (max_ms >= 0 && (wait < 0 || wait > max_ms))
		wait = max_ms;
	n = epoll_wait(l->epfd, l->batch, BP_LOOP_BATCH, wait);
	if (n < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	l->batch_len = n;
	ran = 0;
	for (l->batch_pos = 0; l->batch_pos < n && !l->stop;) {
		struct epoll_event *ev = &l->batch[l->batch_pos++];
		struct bp_io *io = ev->data.ptr;

		if (!io)
			continue;	/* removed by an earlier callback */
		io->fn(l, io, ev->events);
		ran++;
	}
	l->batch_len = l->batch_pos = 0;
	if (!l->stop)
		ran += run_timers(l);
	return ran;
}

int bp_loop_run(struct bp_loop *l)
{
	l->stop = false;
	l->status = 0;
	while (!l->stop) {
		int ret = bp_loop_once(l, -1);

		if (ret < 0)
			return ret;
	}
	return l->status;
}
