/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event loop of every bproc daemon and tool that multiplexes
 * (bpmaster, bpslave, nodeinit, bpsh): one epoll instance, a callback per
 * file descriptor, one-shot and periodic timers, and signals through a
 * signalfd. Single-threaded; callbacks run from bp_loop_run() (or
 * bp_loop_once()) and may add, change and remove any source, themselves
 * included.
 *
 * Costs: an event costs O(1) to dispatch (epoll's data.ptr is the
 * source); removing a source while a batch of events is being dispatched
 * costs O(batch) (at most BP_LOOP_BATCH) to cancel its pending event; a
 * timer costs O(log n) to start, stop or fire (a binary heap). Sources
 * are embedded in the caller's structs: the loop allocates only its heap.
 *
 * Functions return 0 or -errno; they neither print nor exit.
 */
#ifndef BP_LOOP_H
#define BP_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

/* The struct that embeds @ptr as its @member (a source, say). */
#define bp_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Events taken from epoll_wait() at a time. */
#define BP_LOOP_BATCH	64

struct bp_loop;
struct bp_io;
struct bp_timer;
struct bp_sig;

/* @events: the epoll events that happened (EPOLLIN, EPOLLOUT, EPOLLHUP...). */
typedef void (*bp_io_fn)(struct bp_loop *l, struct bp_io *io, uint32_t events);
typedef void (*bp_timer_fn)(struct bp_loop *l, struct bp_timer *t);
typedef void (*bp_sig_fn)(struct bp_loop *l, struct bp_sig *s,
			  const struct signalfd_siginfo *si);

/* A file descriptor watched by the loop. */
struct bp_io {
	int fd;
	uint32_t events;	/* registered: EPOLLIN, EPOLLOUT, ... */
	bp_io_fn fn;
	bool added;
};

/* A timer: one-shot, or periodic when started with a period. */
struct bp_timer {
	uint64_t due;		/* CLOCK_MONOTONIC ns */
	uint64_t period;	/* ns; 0: one-shot */
	size_t slot;		/* index in the heap + 1; 0: not armed */
	bp_timer_fn fn;
};

/* A set of signals delivered through a signalfd (blocked otherwise). */
struct bp_sig {
	struct bp_io io;
	sigset_t set;
	bp_sig_fn fn;
};

struct bp_loop {
	int epfd;
	bool stop;
	int status;			/* what bp_loop_run() returns */
	struct bp_timer **heap;		/* min-heap on due */
	size_t ntimers, cap;
	/* The batch being dispatched: bp_io_del() cancels its entries. */
	struct epoll_event batch[BP_LOOP_BATCH];
	int batch_len, batch_pos;
};

int bp_loop_init(struct bp_loop *l);
void bp_loop_fini(struct bp_loop *l);

/*
 * Run until bp_loop_stop(). Returns the status given to bp_loop_stop(),
 * or -errno when epoll_wait() fails (EINTR is not a failure).
 */
int bp_loop_run(struct bp_loop *l);

/*
 * One round: wait at most @max_ms (-1: as long as nothing is due; 0:
 * not at all) for events, then dispatch them and every timer that is
 * due. Returns the number of callbacks run, or -errno.
 */
int bp_loop_once(struct bp_loop *l, int max_ms);

/* Make bp_loop_run() return @status once the running callback returns. */
void bp_loop_stop(struct bp_loop *l, int status);

/* --- file descriptors ---------------------------------------------------- */

void bp_io_init(struct bp_io *io, bp_io_fn fn);
int bp_io_add(struct bp_loop *l, struct bp_io *io, int fd, uint32_t events);
/* Change the events watched; a no-op when they are the same. */
int bp_io_mod(struct bp_loop *l, struct bp_io *io, uint32_t events);
/* Stop watching (the fd stays open; close it after). NULL-safe, idempotent. */
void bp_io_del(struct bp_loop *l, struct bp_io *io);

/* --- timers -------------------------------------------------------------- */

void bp_timer_init(struct bp_timer *t, bp_timer_fn fn);
/*
 * Fire @t in @delay_ns from now, then every @period_ns (0: once). A
 * timer that is armed is re-armed. -ENOMEM when the heap cannot grow.
 */
int bp_timer_start(struct bp_loop *l, struct bp_timer *t, uint64_t delay_ns,
		   uint64_t period_ns);
/* The same at an absolute CLOCK_MONOTONIC time. */
int bp_timer_start_at(struct bp_loop *l, struct bp_timer *t, uint64_t due_ns,
		      uint64_t period_ns);
void bp_timer_stop(struct bp_loop *l, struct bp_timer *t);

static inline bool bp_timer_armed(const struct bp_timer *t)
{
	return t->slot != 0;
}

/* --- signals ------------------------------------------------------------- */

/*
 * Deliver the signals of @set (blocked from now on) to @fn. A process
 * has at most one bp_sig per signal: two signalfds of one signal would
 * race for it.
 */
int bp_sig_add(struct bp_loop *l, struct bp_sig *s, const sigset_t *set,
	       bp_sig_fn fn);
/* Stop and close the signalfd; the signals stay blocked. */
void bp_sig_del(struct bp_loop *l, struct bp_sig *s);

#endif /* BP_LOOP_H */
