// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the event loop (TAP). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "bp_loop.h"
#include "bp_time.h"
#include "bproc-test/tap.h"

#define MS	BP_NS_PER_MS

struct tt {
	struct bp_timer t;
	int id;
	int fired;
	int *order, *norder;	/* where to record firing order */
	struct tt *stop_other;	/* stop this one when firing */
	int stop_after;		/* periodic: stop itself after this many */
};

static void tt_fire(struct bp_loop *l, struct bp_timer *t)
{
	struct tt *x = (struct tt *)t;

	x->fired++;
	if (x->order)
		x->order[(*x->norder)++] = x->id;
	if (x->stop_other)
		bp_timer_stop(l, &x->stop_other->t);
	if (x->stop_after && x->fired >= x->stop_after)
		bp_timer_stop(l, t);
}

static void stop_fire(struct bp_loop *l, struct bp_timer *t)
{
	bp_loop_stop(l, 42);
}

/* Run the loop until @deadline_ms from now (a stop timer). */
static int run_for(struct bp_loop *l, uint64_t ms)
{
	struct bp_timer stop;

	bp_timer_init(&stop, stop_fire);
	bp_timer_start(l, &stop, ms * MS, 0);
	return bp_loop_run(l);
}

static void test_timers(struct tap *t)
{
	struct bp_loop l;
	struct tt a[5];
	int order[16], n = 0;
	bool ok = true;

	bp_loop_init(&l);
	memset(a, 0, sizeof(a));
	/* Started out of order: fire in due order. */
	static const int delay[5] = { 40, 10, 30, 20, 50 };
	for (int i = 0; i < 5; i++) {
		bp_timer_init(&a[i].t, tt_fire);
		a[i].id = i;
		a[i].order = order;
		a[i].norder = &n;
		bp_timer_start(&l, &a[i].t, (uint64_t)delay[i] * MS, 0);
	}
	/* a[4] (50 ms) is stopped by a[0] (40 ms): it never fires. */
	a[0].stop_other = &a[4];
	tap_ok(t, run_for(&l, 100) == 42, "bp_loop_run returns the status of bp_loop_stop");
	static const int want[4] = { 1, 3, 2, 0 };
	ok = n == 4;
	for (int i = 0; ok && i < 4; i++)
		ok = order[i] == want[i];
	tap_ok(t, ok, "one-shot timers fire once each, in due order (n=%d)", n);
	tap_ok(t, a[4].fired == 0 && !bp_timer_armed(&a[4].t),
	       "a timer stopped by another's callback does not fire");
	bp_loop_fini(&l);
}

static void test_periodic(struct tap *t)
{
	struct bp_loop l;
	struct tt p = { 0 }, q = { 0 };

	bp_loop_init(&l);
	bp_timer_init(&p.t, tt_fire);
	p.stop_after = 5;
	bp_timer_start(&l, &p.t, 5 * MS, 5 * MS);
	bp_timer_init(&q.t, tt_fire);
	bp_timer_start(&l, &q.t, 1000 * MS, 0);
	/* Re-arming moves it: it fires once, at the new time. */
	bp_timer_start(&l, &q.t, 20 * MS, 0);
	run_for(&l, 150);
	tap_ok(t, p.fired == 5 && !bp_timer_armed(&p.t),
	       "a periodic timer fires until its callback stops it (%d)", p.fired);
	tap_ok(t, q.fired == 1, "a re-armed timer fires once (%d)", q.fired);
	bp_loop_fini(&l);
}

/* Heap order under random starts and stops, checked through bp_loop_once. */
static void test_heap(struct tap *t)
{
	enum { N = 5000 };
	struct bp_loop l;
	struct tt *x = calloc(N, sizeof(*x));
	int *order = calloc(N, sizeof(int)), n = 0;
	uint64_t base = bp_now_mono_ns() + 50 * MS;
	bool ok = true;
	int armed = 0, fired = 0;

	bp_loop_init(&l);
	srand(1);
	for (int i = 0; i < N; i++) {
		bp_timer_init(&x[i].t, tt_fire);
		x[i].id = i;
		x[i].order = order;
		x[i].norder = &n;
		bp_timer_start_at(&l, &x[i].t, base + (uint64_t)(rand() % 1000) * 1000, 0);
	}
	for (int i = 0; i < N; i += 3)
		bp_timer_stop(&l, &x[i].t);
	for (int i = 0; i < N; i += 7)
		bp_timer_start_at(&l, &x[i].t, base + (uint64_t)(rand() % 1000) * 1000, 0);
	for (int i = 0; i < N; i++)
		armed += bp_timer_armed(&x[i].t);
	tap_ok(t, l.ntimers == (size_t)armed, "heap holds exactly the armed timers (%d)", armed);
	while (l.ntimers)
		bp_loop_once(&l, 100);
	for (int i = 1; i < n; i++)
		if (x[order[i - 1]].t.due > x[order[i]].t.due)
			ok = false;
	for (int i = 0; i < N; i++)
		fired += x[i].fired;
	tap_ok(t, ok && fired == armed && n == armed,
	       "%d timers fire once each in due order", armed);
	free(x);
	free(order);
	bp_loop_fini(&l);
}

struct conn {
	struct bp_io io;
	int peer;
	int hits;
	struct conn *victim;	/* deleted from this one's callback */
	struct conn **seen;
	int *nseen;
};

static void conn_ready(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct conn *c = (struct conn *)io;
	char buf[64];

	c->hits++;
	if (read(io->fd, buf, sizeof(buf)) < 0)
		return;
	if (c->seen)
		c->seen[(*c->nseen)++] = c;
	if (c->victim)
		bp_io_del(l, &c->victim->io);
}

static int pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
}

static void test_io_delete_in_batch(struct tap *t)
{
	struct bp_loop l;
	struct conn a = { 0 }, b = { 0 };
	int sa[2], sb[2];

	bp_loop_init(&l);
	pair(sa);
	pair(sb);
	bp_io_init(&a.io, conn_ready);
	bp_io_init(&b.io, conn_ready);
	bp_io_add(&l, &a.io, sa[0], EPOLLIN);
	bp_io_add(&l, &b.io, sb[0], EPOLLIN);
	/* Whichever runs first deletes the other: the other never runs. */
	a.victim = &b;
	b.victim = &a;
	write(sa[1], "x", 1);
	write(sb[1], "y", 1);
	bp_loop_once(&l, 100);
	tap_ok(t, a.hits + b.hits == 1,
	       "a source removed by a callback does not run from the same batch (%d+%d)",
	       a.hits, b.hits);
	tap_ok(t, !a.io.added || !b.io.added, "the removed source is not watched");
	tap_ok(t, bp_io_add(&l, a.io.added ? &a.io : &b.io, sa[0], EPOLLIN) == -EEXIST,
	       "adding a source twice is -EEXIST");
	bp_io_del(&l, &a.io);
	bp_io_del(&l, &a.io);	/* idempotent */
	bp_io_del(&l, NULL);
	tap_ok(t, bp_loop_once(&l, 0) == 0, "nothing left to run after both are removed");
	close(sa[0]); close(sa[1]); close(sb[0]); close(sb[1]);
	bp_loop_fini(&l);
}

/* Thousands of sources; each ready one dispatched exactly once. */
static void test_many(struct tap *t)
{
	struct rlimit rl;
	struct bp_loop l;
	struct conn *c;
	struct conn **seen;
	int n = 3000, nseen = 0, ready = 0, rounds = 0;
	bool ok = true;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)(2 * n + 64))
			n = ((int)rl.rlim_cur - 64) / 2;
	}
	c = calloc((size_t)n, sizeof(*c));
	seen = calloc((size_t)n, sizeof(*seen));
	bp_loop_init(&l);
	for (int i = 0; i < n && ok; i++) {
		int sv[2];

		if (pair(sv)) {
			ok = false;
			break;
		}
		bp_io_init(&c[i].io, conn_ready);
		c[i].peer = sv[1];
		c[i].seen = seen;
		c[i].nseen = &nseen;
		ok = !bp_io_add(&l, &c[i].io, sv[0], EPOLLIN);
	}
	tap_ok(t, ok, "%d sources watched at once", n);
	/* Every third one gets a byte. */
	for (int i = 0; i < n; i += 3, ready++)
		write(c[i].peer, "z", 1);
	while (nseen < ready && rounds++ < 1000)
		bp_loop_once(&l, 100);
	for (int i = 0; i < n; i++)
		if (c[i].hits != (i % 3 == 0))
			ok = false;
	tap_ok(t, ok && nseen == ready,
	       "%d ready sources of %d each dispatched once, the others never (%d batches)",
	       ready, n, rounds);
	for (int i = 0; i < n; i++) {
		bp_io_del(&l, &c[i].io);
		close(c[i].io.fd);
		close(c[i].peer);
	}
	free(c);
	free(seen);
	bp_loop_fini(&l);
}

struct sigrec {
	struct bp_sig s;
	int got[4];
	int n;
};

static void sig_got(struct bp_loop *l, struct bp_sig *s,
		    const struct signalfd_siginfo *si)
{
	struct sigrec *r = (struct sigrec *)s;

	if (r->n < 4)
		r->got[r->n++] = (int)si->ssi_signo;
	if (si->ssi_signo == SIGUSR2)
		bp_loop_stop(l, 7);
}

static void test_signals(struct tap *t)
{
	struct bp_loop l;
	struct sigrec r = { 0 };
	sigset_t set, cur;
	int ret;

	bp_loop_init(&l);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	tap_ok(t, bp_sig_add(&l, &r.s, &set, sig_got) == 0, "signalfd source added");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	tap_ok(t, sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGUSR2),
	       "its signals are blocked");
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR2);
	ret = run_for(&l, 2000);
	tap_ok(t, ret == 7 && r.n == 2 && r.got[0] == SIGUSR1 &&
	       r.got[1] == SIGUSR2, "signals reach the callback in order (%d)", r.n);
	bp_sig_del(&l, &r.s);
	tap_ok(t, r.s.io.fd == -1, "bp_sig_del closes the signalfd");
	bp_loop_fini(&l);
}

static void test_once(struct tap *t)
{
	struct bp_loop l;
	uint64_t t0;

	bp_loop_init(&l);
	t0 = bp_now_mono_ns();
	tap_ok(t, bp_loop_once(&l, 0) == 0 && bp_now_mono_ns() - t0 < 500 * MS,
	       "bp_loop_once(0) with nothing to do returns at once");
	t0 = bp_now_mono_ns();
	bp_loop_once(&l, 30);
	tap_ok(t, bp_now_mono_ns() - t0 >= 29 * MS,
	       "bp_loop_once(30) waits about 30 ms");
	bp_loop_fini(&l);
}

int main(void)
{
	struct tap t = { 0 };

	test_timers(&t);
	test_periodic(&t);
	test_heap(&t);
	test_io_delete_in_batch(&t);
	test_many(&t);
	test_signals(&t);
	test_once(&t);
	return tap_done(&t);
}
