// SPDX-License-Identifier: GPL-2.0
/*
 * Process messages between the master and this node (docs/ghosts.md):
 * REXEC, SIGNAL and PIDS from the master; the module's node events (FORK
 * and EXIT of child processes, the pid lease), the exits, stops and
 * continues of the processes bpslave started, and their status, to it.
 * session.c calls in through bps_relay_ops; the node events and SIGCHLD
 * arrive through the loop (main.c calls bps_relay_children()).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpslave.h"

/* Send @m on the session, or end it as lost: 0 or -1 (ended). */
static int relay_send(struct bps_sess *x, const struct bp_msg *m)
{
	if (!bps_sess_send(x, m))
		return 0;
	bps_sess_end(x, BPS_END_LOST, BP_REASON_NONE, NULL);
	return -1;
}

/*
 * PSTATUS of the @i-th process, and EXEC first when it runs another
 * program than the master shows. 0, or -1 when the session ended.
 */
static int send_proc_state(struct bps_sess *x, size_t i)
{
	struct bp_msg m = { .type = BP_MSG_PROC };

	if (x->s->procs[i].starting)
		return 0;	/* the master has no ghost of it yet */
	if (bps_exec(x->s, i, x->node, &m.proc) && relay_send(x, &m))
		return -1;
	if (bps_pstatus(x->s, i, x->node, &m.proc))
		return 0;	/* exiting: its EXIT follows */
	return relay_send(x, &m);
}

static int send_pstatus(struct bps_sess *x, int32_t pid)
{
	struct bps *s = x->s;

	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return send_proc_state(x, i);
	return 0;
}

static int relay_status(struct bps_sess *x)
{
	for (size_t i = 0; i < x->s->nprocs; i++)
		if (send_proc_state(x, i))
			return -1;
	return 0;
}

/* The welcomed session, or NULL: messages for the master go there. */
static struct bps_sess *live(struct bps *s)
{
	return s->sess && s->sess->state == BPS_SESS_WELCOMED ? s->sess : NULL;
}

/*
 * Forward the module's events: forks and exits of child processes and
 * the pid lease. They go first, before our own children's exits: a
 * child's FORK must reach the master before its parent's EXIT. Without a
 * session they are read and dropped (a past session's: void now).
 */
static int report_events(struct bps *s)
{
	struct bp_msg m = { .type = BP_MSG_PROC };
	struct bps_sess *x;
	int ret;

	while ((ret = bps_event(s, &m.proc)) != 0) {
		if (ret == -EOVERFLOW) {
			/*
			 * The module lost an event for the master: the ghost
			 * set can no longer be trusted. End the session: the
			 * master drops this node's ghosts, the namespace goes
			 * with its processes, and the next session starts
			 * from nothing (docs/security.md, point 6).
			 */
			bps_log(s, "/dev/bproc: node events were lost: ending the session so that the master and this node start again from no processes");
			x = live(s);
			if (x)
				bps_sess_end(x, BPS_END_LOST, BP_REASON_PROTOCOL,
					     "node events lost");
			return -1;
		}
		if (ret < 0) {
			bps_log(s, "/dev/bproc: reading node events: %s",
				strerror(-ret));
			if (ret == -EBADMSG)
				continue;
			x = live(s);
			if (x)
				bps_sess_end(x, BPS_END_LOST, BP_REASON_NONE, NULL);
			return -1;
		}
		if (m.proc.hdr.pid)
			bps_debug(s, "pid %d: %s", m.proc.hdr.pid,
				  bp_proc_type_name(m.proc.hdr.type));
		x = live(s);
		if (x && relay_send(x, &m))
			return -1;
	}
	return 0;
}

/* Report node events, then exits, stops and continues of our processes. */
void bps_relay_children(struct bps *s)
{
	struct bp_msg m = { .type = BP_MSG_PROC };
	struct bps_sess *x;

	if (report_events(s))
		return;
	while (bps_reap(s, live(s) ? live(s)->node : -1, &m.proc) == 1) {
		bps_debug(s, "pid %d: %s 0x%x", m.proc.hdr.pid,
			  bp_proc_type_name(m.proc.hdr.type),
			  m.proc.hdr.type == BPROC_MSG_EXIT ?
			  (unsigned int)m.proc.exit.status :
			  (unsigned int)m.proc.signo);
		x = live(s);
		if (!x)
			continue;
		if (relay_send(x, &m))
			return;
		if (m.proc.hdr.type != BPROC_MSG_EXIT &&
		    send_pstatus(x, m.proc.hdr.pid))
			return;
	}
}

static void events_ready(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	bps_relay_children(bp_container_of(io, struct bps, bproc_io));
}

static void start_clean(struct bps *s, int32_t pid);

/* The instance reads node events once registered (welcomed). */
static int relay_welcomed(struct bps_sess *x)
{
	struct bps *s = x->s;
	int ret = 0;

	if (!s->bproc_io.added)
		ret = bp_io_add(&s->loop, &s->bproc_io, s->bproc_fd, EPOLLIN);
	if (ret) {
		bps_log(s, "/dev/bproc: watching node events: %s", strerror(-ret));
		bps_sess_end(x, BPS_END_FATAL, BP_REASON_NONE, NULL);
		return -1;
	}
	/* No start runs now: what fetches left behind goes. */
	start_clean(s, 0);
	return 0;
}

/* REXEC_RESULT for @pid's request @id on the live session, if any. */
static int send_result(struct bps *s, int32_t pid, uint64_t id, int32_t error)
{
	struct bp_msg res = { .type = BP_MSG_PROC };
	struct bps_sess *x = live(s);

	if (!x)
		return -1;
	res.proc.error = error;
	res.proc.hdr.type = BPROC_MSG_REXEC_RESULT;
	res.proc.hdr.node = x->node;
	res.proc.hdr.pid = pid;
	res.proc.hdr.id = id;
	res.proc.hdr.size = (uint32_t)bp_proc_size(&res.proc);
	return relay_send(x, &res);
}

static void start_free(struct bps_start *st)
{
	struct bps *s = st->s;
	struct bps_start **pp;

	for (pp = &s->starts; *pp; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	bp_io_del(&s->loop, &st->io);
	bp_timer_stop(&s->loop, &st->deadline);
	close(st->io.fd);
	free(st);
}

/* A failed start may leave part of a fetch behind: its temporary files. */
static void start_clean(struct bps *s, int32_t pid)
{
	struct bps_sess *x = live(s);
	struct bps_cache c;

	if (x && !bps_cache_open(&c, s->cache_dir, x->node, s->cache_size)) {
		bps_cache_clean(&c, pid);
		bps_cache_close(&c);
	}
}

/*
 * A start is over: @error 0 when the program runs (or ran: it may have
 * ended already), else why it did not. The master learns it now, and of
 * a process that ended already, its exit right after.
 */
static void start_finish(struct bps_start *st, int32_t error,
			 const char *what)
{
	struct bps *s = st->s;
	struct bp_msg m = { .type = BP_MSG_PROC };
	struct bps_proc *p = bps_proc_find(s, st->pid);
	struct bps_sess *x;
	int32_t pid = st->pid;
	uint64_t id = st->id;
	bool job = st->job;

	start_free(st);
	if (error) {
		if (p)
			bps_proc_remove(s, p);	/* its exit is not reported */
		bps_log(s, "pid %d: not started: %s", pid,
			what ? what : strerror(error));
		if (job)
			start_clean(s, pid);
		send_result(s, pid, id, error);
		return;
	}
	bps_debug(s, "pid %d: started", pid);
	if (send_result(s, pid, id, 0) || !p)
		return;
	if (!p->ended) {
		p->starting = false;
		x = live(s);
		if (x)
			send_pstatus(x, pid);
		if (x && p->held_stop) {
			/* it stopped before we knew it ran: its stop follows */
			memset(&m.proc, 0, sizeof(m.proc));
			m.proc.hdr.type = BPROC_MSG_STOP;
			m.proc.hdr.pid = pid;
			m.proc.hdr.node = x->node;
			m.proc.signo = p->held_stop;
			if (m.proc.signo == SIGSTOP && p->stop_as)
				m.proc.signo = p->stop_as;
			p->stop_as = 0;
			p->held_stop = 0;
			m.proc.hdr.size = (uint32_t)bp_proc_size(&m.proc);
			relay_send(x, &m);
		}
		return;
	}
	/* It ran and ended before we knew it ran: its exit follows now. */
	memset(&m.proc, 0, sizeof(m.proc));
	m.proc.hdr.type = BPROC_MSG_EXIT;
	m.proc.hdr.pid = pid;
	m.proc.exit.status = p->status;
	m.proc.exit.utime_ns = p->utime_ns;
	m.proc.exit.stime_ns = p->stime_ns;
	bps_proc_remove(s, p);
	x = live(s);
	if (x) {
		m.proc.hdr.node = x->node;
		m.proc.hdr.size = (uint32_t)bp_proc_size(&m.proc);
		relay_send(x, &m);
	}
}

static void start_ready(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bps_start *st = (struct bps_start *)io;
	struct bps_start_err e = { 0 };
	ssize_t n;

	do
		n = read(io->fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n == 0) {
		start_finish(st, 0, NULL);	/* execve closed the pipe */
		return;
	}
	/* An errno and what failed, or the child died before telling us. */
	if (n != sizeof(e) || e.err <= 0 || e.err >= 4096) {
		start_finish(st, EIO, "died before it said why");
		return;
	}
	e.what[sizeof(e.what) - 1] = '\0';
	start_finish(st, e.err, e.what);
}

static void start_timeout(struct bp_loop *l, struct bp_timer *t)
{
	struct bps_start *st = bp_container_of(t, struct bps_start, deadline);
	struct bps_proc *p = bps_proc_find(st->s, st->pid);

	if (p)
		kill(p->outer, SIGKILL);
	bps_log(st->s, "pid %d: start took longer than %d s: killed", st->pid,
		BPS_SPAWN_TIMEOUT_MS / 1000);
	start_finish(st, ETIMEDOUT, NULL);
}

static int handle_rexec(struct bps_sess *x, const struct bp_msg_proc *req)
{
	static const struct timespec pause = { .tv_nsec = 20 * 1000 * 1000 };
	const char *path = req->strs + req->rexec.cwd_len;
	struct bps *s = x->s;
	struct bps_start *st;
	int32_t error;
	int fd = -1;

	error = bps_spawn(s, x->node, req, &fd);
	/*
	 * ENOMEM from clone3 is also what a dying namespace says (its init
	 * was killed and waits for us to reap its processes): collect that,
	 * which starts a new namespace, and try again for up to a second.
	 */
	for (int i = 0; i < 50 && error == ENOMEM; i++) {
		bps_relay_children(s);
		if (s->sess != x)
			return -1;
		nanosleep(&pause, NULL);
		error = bps_spawn(s, x->node, req, &fd);
	}
	if (!error) {
		st = calloc(1, sizeof(*st));
		if (!st) {
			struct bps_proc *p = bps_proc_find(s, req->hdr.pid);

			if (p) {
				kill(p->outer, SIGKILL);
				bps_proc_remove(s, p);
			}
			close(fd);
			error = ENOMEM;
		} else {
			bp_io_init(&st->io, start_ready);
			bp_timer_init(&st->deadline, start_timeout);
			st->s = s;
			st->pid = req->hdr.pid;
			st->id = req->hdr.id;
			st->job = req->rexec.job_len != 0;
			st->next = s->starts;
			s->starts = st;
			st->io.fd = fd;
			if (bp_io_add(&s->loop, &st->io, fd, EPOLLIN) ||
			    bp_timer_start(&s->loop, &st->deadline,
					   BPS_SPAWN_TIMEOUT_MS * BP_NS_PER_MS, 0)) {
				/* Without a watch there is no start: undo it. */
				struct bps_proc *p = bps_proc_find(s, st->pid);

				if (p)
					kill(p->outer, SIGKILL);
				start_finish(st, ENOMEM, NULL);
				return live(s) == x ? 0 : -1;
			}
			bps_debug(s, "pid %d: starting %s for uid %u", req->hdr.pid,
				  path, req->rexec.euid);
			return 0;
		}
	}
	bps_log(s, "pid %d: %s: %s", req->hdr.pid, path, strerror(error));
	return send_result(s, req->hdr.pid, req->hdr.id, error);
}

static int relay_proc(struct bps_sess *x, const struct bp_msg_proc *p)
{
	const char *name = bp_proc_type_name(p->hdr.type);
	struct bps *s = x->s;
	int ret;

	if (p->hdr.node != x->node) {
		bps_log(s, "%s: protocol error: %s for node %d, this is node %d",
			s->master_str, name, p->hdr.node, x->node);
		bps_sess_end(x, BPS_END_LOST, BP_REASON_PROTOCOL,
			     "process message for another node");
		return -1;
	}
	switch (p->hdr.type) {
	case BPROC_MSG_REXEC:
		return handle_rexec(x, p);
	case BPROC_MSG_SIGNAL:
		bps_signal(s, p);
		return 0;
	case BPROC_MSG_PIDS:
		ret = bps_lease(s, p);
		if (ret)
			bps_log(s, "/dev/bproc: taking %u leased pids: %s",
				p->pids.count, strerror(-ret));
		return 0;
	default:
		bps_log(s, "%s: protocol error: unexpected process message %s",
			s->master_str, name);
		bps_sess_end(x, BPS_END_LOST, BP_REASON_PROTOCOL,
			     "unexpected process message");
		return -1;
	}
}

const struct bps_relay bps_relay_ops = {
	.welcomed	= relay_welcomed,
	.proc		= relay_proc,
	.status		= relay_status,
};

int bps_relay_init(struct bps *s)
{
	bp_io_init(&s->bproc_io, events_ready);
	return 0;
}

/*
 * A session ended: the master declares every process it started here
 * dead, so they are killed (docs/ghosts.md), starts in progress too, and
 * a fresh namespace is made for the next session (not when quitting).
 */
void bps_relay_stop(struct bps *s)
{
	if (s->nprocs)
		bps_log(s, "killing the %zu processes started by the master",
			s->nprocs);
	while (s->starts)
		start_free(s->starts);
	bps_ns_stop(s);
}
