// SPDX-License-Identifier: GPL-2.0
/*
 * One session with the master, driven by the event loop: connect (with a
 * timeout), HELLO, WELCOME, register with the module, then status
 * reports, pings and requests until the connection ends. Process
 * messages go to s->relay (relay.c). When the session ends, s->ended
 * (main.c) decides when to try again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/bproc.h>

#include "bpslave.h"

static void sess_event(struct bp_loop *l, struct bp_io *io, uint32_t events);
static void deadline_due(struct bp_loop *l, struct bp_timer *t);
static void status_due(struct bp_loop *l, struct bp_timer *t);

static int sess_watch(struct bps_sess *x)
{
	uint32_t ev;

	switch (x->state) {
	case BPS_SESS_CONNECTING:
		ev = EPOLLOUT;
		break;
	case BPS_SESS_CLOSING:
		ev = bp_tx_pending(&x->tx) ? EPOLLOUT : 0;
		break;
	default:
		ev = EPOLLIN | (bp_tx_pending(&x->tx) ? EPOLLOUT : 0);
		break;
	}
	return bp_io_mod(&x->s->loop, &x->io, ev);
}

static void deadline_in(struct bps_sess *x, uint64_t ms)
{
	if (bp_timer_start(&x->s->loop, &x->deadline, ms * BP_NS_PER_MS, 0))
		bps_log(x->s, "cannot arm a timer: %s", strerror(ENOMEM));
}

/*
 * Free the session; s->ended() learns how it ended. A power request of
 * the master's is carried out now, after its BYE left: PID 1 is
 * signalled here, or a virtual node's bpslave exits (main.c).
 */
static void sess_free(struct bps_sess *x)
{
	struct bps *s = x->s;
	enum bps_end end = x->end;

	if (x->request_sig && kill(1, x->request_sig)) {
		bps_log(s, "kill(1, %s): %s", sigabbrev_np(x->request_sig),
			strerror(errno));
		end = BPS_END_LOST;
	}

	bp_io_del(&s->loop, &x->io);
	bp_timer_stop(&s->loop, &x->deadline);
	bp_timer_stop(&s->loop, &x->status);
	bp_timer_stop(&s->loop, &x->status_soon);
	if (x->io.fd >= 0)
		close(x->io.fd);
	bp_rx_free(&x->rx);
	bp_tx_free(&x->tx);
	s->sess = NULL;
	memset(x, 0, sizeof(*x));
	free(x);
	s->ended(s, end);
}

/*
 * End the session with @end; with @bye_code, a BYE goes first and the
 * session waits up to BPS_BYE_DRAIN_MS for it to leave.
 */
void bps_sess_end(struct bps_sess *x, enum bps_end end, uint32_t bye_code,
		  const char *bye_text)
{
	struct bp_msg bye = { .type = BP_MSG_BYE };

	if (x->state == BPS_SESS_CLOSING) {
		if (end == BPS_END_QUIT)
			x->end = end;	/* asked to quit meanwhile: so it ends */
		return;
	}
	x->end = end;
	if (bye_code != BP_REASON_NONE && x->state != BPS_SESS_CONNECTING) {
		bye.reason.code = bye_code;
		snprintf(bye.reason.text, sizeof(bye.reason.text), "%s", bye_text);
		if (!bp_tx_queue(&x->tx, &bye) && bp_tx_flush(&x->tx, x->io.fd) > 0) {
			x->state = BPS_SESS_CLOSING;
			bp_timer_stop(&x->s->loop, &x->status);
			bp_timer_stop(&x->s->loop, &x->status_soon);
			deadline_in(x, BPS_BYE_DRAIN_MS);
			sess_watch(x);
			return;
		}
	}
	sess_free(x);
}

int bps_sess_send(struct bps_sess *x, const struct bp_msg *m)
{
	ssize_t left;
	int ret;

	if (x->state == BPS_SESS_CLOSING)
		return -ENOTCONN;
	ret = bp_tx_queue(&x->tx, m);
	if (ret)
		return ret;
	left = bp_tx_flush(&x->tx, x->io.fd);
	if (left < 0)
		return (int)left;
	sess_watch(x);
	return 0;
}

/* Send @m or end the session as lost; 0 or -1 (ended). */
static int send_or_end(struct bps_sess *x, const struct bp_msg *m)
{
	if (!bps_sess_send(x, m))
		return 0;
	bps_sess_end(x, x->state == BPS_SESS_WELCOMED ? BPS_END_LOST :
		     BPS_END_RETRY, BP_REASON_NONE, NULL);
	return -1;
}

static int send_hello(struct bps_sess *x)
{
	struct bps_facts *f = &x->s->facts;
	struct bp_msg h = { .type = BP_MSG_HELLO };
	int ret;

	h.hello.cpus = f->cpus;
	ret = bps_auth_hello(x, &h.hello);
	if (ret)
		return ret;
	h.hello.mem_total = f->mem_total;
	h.hello.boot_time = f->boot_time;
	memcpy(h.hello.kernel, f->kernel, sizeof(h.hello.kernel));
	memcpy(h.hello.modver, f->modver, sizeof(h.hello.modver));
	ret = bps_local_hwaddr(x->io.fd, h.hello.hwaddr, &h.hello.hwaddr_len);
	if (ret)
		bps_debug(x->s, "no hardware address for the local address: %s",
			  strerror(-ret));
	return bps_sess_send(x, &h);
}

static int send_status(struct bps_sess *x)
{
	struct bp_msg st = { .type = BP_MSG_STATUS };
	int ret = bps_read_status(&st.status);
	struct bps_cache c;

	if (ret) {
		bps_log(x->s, "node status: %s", strerror(-ret));
		return 0;	/* not the connection's fault; try next time */
	}
	st.status.bprocs = (uint32_t)x->s->nprocs;
	st.status.cache_size = x->s->cache_size;
	if (!bps_cache_open(&c, x->s->cache_dir, x->node, x->s->cache_size)) {
		if (bps_cache_usage(&c, &st.status.cache_used))
			st.status.cache_used = 0;
		bps_cache_close(&c);
	}
	x->status_sent = bp_now_mono_ms();
	bp_timer_stop(&x->s->loop, &x->status_soon);
	return send_or_end(x, &st);
}

static void status_soon_due(struct bp_loop *l, struct bp_timer *t)
{
	struct bps_sess *x = bp_container_of(t, struct bps_sess, status_soon);

	(void)l;
	send_status(x);
}

/*
 * The number of processes started for the master changed (ptable.c), or
 * the cache was purged: the master hears of it in a STATUS at most
 * BPS_STATUS_SOON_MS after the last one, not only at the next interval.
 */
void bps_status_changed(struct bps *s)
{
	struct bps_sess *x = s->sess;
	uint64_t now, due;

	if (!x || x->state != BPS_SESS_WELCOMED ||
	    bp_timer_armed(&x->status_soon))
		return;
	now = bp_now_mono_ms();
	due = x->status_sent + BPS_STATUS_SOON_MS;
	if (bp_timer_start(&s->loop, &x->status_soon,
			   (due > now ? due - now : 0) * BP_NS_PER_MS, 0))
		bps_debug(s, "no timer for a STATUS: the next interval's says it");
}

static int register_instance(struct bps_sess *x)
{
	struct bproc_slave_cfg cfg = {
		.size = sizeof(cfg),
		.node = x->node,
		.master_family = AF_INET,
		.master_port = ntohs(x->s->master.sin_port),
	};

	memcpy(cfg.master_addr, &x->s->master.sin_addr, 4);
	if (ioctl(x->s->bproc_fd, BPROC_IOC_SLAVE, &cfg) < 0)
		return -errno;
	return 0;
}

/* Timing from WELCOME: silence limit and status interval. */
static void set_timing(struct bps_sess *x, const struct bp_msg_welcome *w)
{
	x->interval_ms = w->ping_interval;
	x->timeout_ms = w->ping_timeout;
	bp_timer_start_at(&x->s->loop, &x->deadline,
			  (x->last_rx + x->timeout_ms) * BP_NS_PER_MS, 0);
}

/* Starts in progress that fetch or bind files of the program cache. */
static unsigned int starts_with_files(const struct bps *s)
{
	unsigned int n = 0;

	for (const struct bps_start *st = s->starts; st; st = st->next)
		n += st->job;
	return n;
}

/*
 * Empty the program cache of node s->purge_node (docs/bpsh.md, "Cache on
 * the node"). Only what no start uses: while a start with files is in
 * progress (it may have checked objects it has not bound yet, or fetch
 * the rest meanwhile) or a starter holds the cache's lock, the purge
 * waits, looking again every BPS_PURGE_RETRY_MS. Objects bound into jobs
 * that run leave the cache but not the jobs: their bind mounts keep the
 * files (and the memory) until the jobs end. Nothing here blocks.
 */
static void purge_try(struct bps *s)
{
	unsigned int busy = starts_with_files(s);
	struct bps_cache c;
	uint64_t bytes = 0;
	size_t n = 0;
	int ret = -EAGAIN;

	if (!busy) {
		ret = bps_cache_open(&c, s->cache_dir, s->purge_node, s->cache_size);
		if (!ret) {
			ret = bps_cache_try_purge(&c, &n, &bytes);
			bps_cache_close(&c);
		}
	}
	if (ret == -EAGAIN) {
		if (!s->purge_waiting)
			bps_log(s, "cache purge waits for %s", busy ?
				"the starts in progress" : "a start using the cache");
		s->purge_waiting = true;
		if (!bp_timer_start(&s->loop, &s->purge,
				    (uint64_t)BPS_PURGE_RETRY_MS * BP_NS_PER_MS, 0))
			return;
		ret = -ENOMEM;
	}
	s->purge_waiting = false;
	if (ret)
		bps_log(s, "cache purge of node %d: %s", s->purge_node,
			strerror(-ret));
	else
		bps_log(s, "cache of node %d purged: %zu objects, %llu KiB (jobs that run keep theirs)",
			s->purge_node, n, (unsigned long long)(bytes + 1023) / 1024);
	bps_status_changed(s);		/* the node table shows the cache empty */
}

void bps_purge_due(struct bp_loop *l, struct bp_timer *t)
{
	purge_try(bp_container_of(t, struct bps, purge));
}

/* CACHE_PURGE: the session goes on. */
static void purge_request(struct bps_sess *x)
{
	struct bps *s = x->s;

	if (s->purge_waiting && s->purge_node == x->node) {
		bps_log(s, "master requests a cache purge: one is waiting already");
		return;
	}
	bps_log(s, "master requests a cache purge");
	s->purge_node = x->node;
	bp_timer_stop(&s->loop, &s->purge);
	s->purge_waiting = false;
	purge_try(s);
}

/*
 * A REQUEST of the master's. Returns 0 when the session goes on (a cache
 * purge), -1 when it ended: a power request says BYE, then signals PID 1
 * (sess_free()) or, on a virtual node (--virtual), has bpslave exit with
 * the request's status for nodeinit to act on (session_ended(), main.c).
 */
static int do_request(struct bps_sess *x, uint32_t action)
{
	static const struct {
		const char *name;
		int sig;
		const char *signame;
		uint32_t reason;
		int exit;
	} acts[] = {
		[BP_ACTION_REBOOT] = { "reboot", SIGTERM, "SIGTERM",
				       BP_REASON_REBOOT, BPS_EXIT_REBOOT },
		[BP_ACTION_HALT] = { "halt", SIGUSR1, "SIGUSR1",
				     BP_REASON_HALT, BPS_EXIT_HALT },
		[BP_ACTION_POWEROFF] = { "power-off", SIGUSR2, "SIGUSR2",
					 BP_REASON_POWEROFF, BPS_EXIT_POWEROFF },
	};
	struct bps *s = x->s;
	char text[64];

	if (action == BP_ACTION_CACHE_PURGE) {
		purge_request(x);
		return 0;
	}
	if (action >= sizeof(acts) / sizeof(acts[0]) || !acts[action].name) {
		bps_log(s, "%s: protocol error: REQUEST with action %u",
			s->master_str, action);
		bps_sess_end(x, BPS_END_LOST, BP_REASON_PROTOCOL,
			     "unknown request");
		return -1;
	}
	if (s->virt) {
		bps_log(s, "master requests %s: this virtual node's bpslave exits (status %d)",
			acts[action].name, acts[action].exit);
		s->request_exit = acts[action].exit;
	} else {
		bps_log(s, "master requests %s: signalling PID 1 (%s)",
			acts[action].name, acts[action].signame);
		x->request_sig = acts[action].sig;
	}
	snprintf(text, sizeof(text), "node going down for %s", acts[action].name);
	bps_sess_end(x, BPS_END_REQUEST, acts[action].reason, text);
	return -1;
}

/* The sender's text, or the code's name when it sent none. */
static const char *reason_text(const struct bp_msg_reason *r)
{
	return r->text[0] ? r->text : bp_reason_name(r->code);
}

static int welcomed(struct bps_sess *x, const struct bp_msg_welcome *w)
{
	struct bps *s = x->s;
	int ret;

	x->node = w->node;
	ret = register_instance(x);
	if (ret) {
		bps_log(s, "/dev/bproc: BPROC_IOC_SLAVE for node %d: %s", x->node,
			strerror(-ret));
		bps_sess_end(x, BPS_END_FATAL, BP_REASON_NONE, NULL);
		return -1;
	}
	x->state = BPS_SESS_WELCOMED;
	set_timing(x, w);
	bps_log(s, "connected to %s as node %d", s->master_str, x->node);
	if (s->relay->welcomed(x))
		return -1;
	/* The first STATUS at once, then every interval. */
	if (bp_timer_start(&s->loop, &x->status, 0, 0)) {
		bps_sess_end(x, BPS_END_LOST, BP_REASON_NONE, NULL);
		return -1;
	}
	return 0;
}

/* Before WELCOME. Returns 0 to go on, -1 when the session ended. */
static int handle_first(struct bps_sess *x, const struct bp_msg *m)
{
	struct bps *s = x->s;

	switch (m->type) {
	case BP_MSG_WELCOME:
		if (!bps_auth_welcome_ok(x, m->welcome.node))
			return -1;
		return welcomed(x, &m->welcome);
	case BP_MSG_CHALLENGE:
		return bps_auth_challenge(x, &m->challenge);
	case BP_MSG_ENROLLED:
		return bps_auth_enrolled(x, &m->enrolled);
	case BP_MSG_REJECT:
		bps_log(s, "rejected by %s: %s", s->master_str,
			reason_text(&m->reason));
		break;
	case BP_MSG_BYE:
		bps_log(s, "%s closed the connection: %s", s->master_str,
			reason_text(&m->reason));
		break;
	default:
		bps_log(s, "%s: protocol error: %s before WELCOME",
			s->master_str, bp_wire_type_name(m->type));
		break;
	}
	bps_sess_end(x, BPS_END_RETRY, BP_REASON_NONE, NULL);
	return -1;
}

/* Returns 0 to go on, -1 when the session ended. */
static int handle_msg(struct bps_sess *x, const struct bp_msg *m)
{
	struct bps *s = x->s;

	if (x->state == BPS_SESS_HELLO)
		return handle_first(x, m);

	switch (m->type) {
	case BP_MSG_PING: {
		struct bp_msg pong = { .type = BP_MSG_PONG, .id = m->id };

		pong.ping.time = m->ping.time;
		return send_or_end(x, &pong);
	}
	case BP_MSG_PONG:
		return 0;
	case BP_MSG_WELCOME:
		/* The master's ping settings changed (SIGHUP). */
		if (m->welcome.node != x->node) {
			bps_log(s, "%s: protocol error: WELCOME for node %d, this is node %d",
				s->master_str, m->welcome.node, x->node);
			bps_sess_end(x, BPS_END_LOST, BP_REASON_NONE, NULL);
			return -1;
		}
		set_timing(x, &m->welcome);
		return 0;
	case BP_MSG_REQUEST:
		return do_request(x, m->request.action);
	case BP_MSG_PROC:
		return s->relay->proc(x, &m->proc);
	case BP_MSG_REKEY:
		return bps_auth_rekey(x, &m->rekey);
	case BP_MSG_BYE:
		bps_log(s, "%s closed the connection: %s", s->master_str,
			reason_text(&m->reason));
		bps_sess_end(x, BPS_END_LOST, BP_REASON_NONE, NULL);
		return -1;
	default:
		bps_log(s, "%s: protocol error: unexpected %s", s->master_str,
			bp_wire_type_name(m->type));
		bps_sess_end(x, BPS_END_LOST, BP_REASON_PROTOCOL,
			     "unexpected message");
		return -1;
	}
}

static const char *rx_strerror(int err)
{
	switch (err) {
	case -EPROTO:
		return "not a bproc master";
	case -EPROTONOSUPPORT:
		return "protocol version not supported";
	case -EMSGSIZE:
		return "oversized message";
	case -EBADMSG:
		return "malformed message";
	case -EKEYREJECTED:
		return "a sealed message that does not open (forged, replayed, reordered or not sealed)";
	case -EOPNOTSUPP:
		return "unknown message type";
	default:
		return strerror(-err);
	}
}

static void lost(struct bps_sess *x)
{
	bps_sess_end(x, x->state == BPS_SESS_WELCOMED ? BPS_END_LOST :
		     BPS_END_RETRY, BP_REASON_NONE, NULL);
}

static void readable(struct bps_sess *x)
{
	struct bps *s = x->s;
	struct bp_msg m;
	ssize_t n;
	int ret;

	n = bp_rx_read(&x->rx, x->io.fd);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return;
	if (n <= 0) {
		bps_log(s, "%s: %s", s->master_str,
			n ? strerror((int)-n) : "connection closed by the master");
		lost(x);
		return;
	}
	x->last_rx = bp_now_mono_ms();
	while ((ret = bp_rx_next(&x->rx, &m, NULL)) != 0) {
		if (ret == -ENOMSG)
			continue;
		if (ret < 0) {
			bps_log(s, "%s: %s", s->master_str, rx_strerror(ret));
			lost(x);
			return;
		}
		if (handle_msg(x, &m))
			return;
	}
}

static void connected(struct bps_sess *x)
{
	struct bps *s = x->s;
	socklen_t len = sizeof(int);
	int err = 0, ret;

	if (getsockopt(x->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		bps_log(s, "connect to %s: %s", s->master_str,
			strerror(err ? err : errno));
		bps_sess_end(x, BPS_END_RETRY, BP_REASON_NONE, NULL);
		return;
	}
	bps_debug(s, "TCP connection to %s established, sending HELLO",
		  s->master_str);
	x->state = BPS_SESS_HELLO;
	ret = send_hello(x);
	if (ret) {
		bps_log(s, "%s: sending HELLO: %s", s->master_str, strerror(-ret));
		bps_sess_end(x, BPS_END_RETRY, BP_REASON_NONE, NULL);
		return;
	}
	x->last_rx = bp_now_mono_ms();
	deadline_in(x, BPS_WELCOME_TIMEOUT_MS);
	sess_watch(x);
}

static void sess_event(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bps_sess *x = (struct bps_sess *)io;
	ssize_t left;

	if (x->state == BPS_SESS_CONNECTING) {
		connected(x);
		return;
	}
	if (events & (EPOLLOUT | EPOLLERR)) {
		left = bp_tx_flush(&x->tx, x->io.fd);
		if (left < 0) {
			bps_log(x->s, "%s: send: %s", x->s->master_str,
				strerror((int)-left));
			if (x->state == BPS_SESS_CLOSING)
				sess_free(x);
			else
				lost(x);
			return;
		}
		if (x->state == BPS_SESS_CLOSING && !left) {
			sess_free(x);
			return;
		}
		sess_watch(x);
	}
	if (x->state != BPS_SESS_CLOSING &&
	    (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		readable(x);
}

/* Connect timeout, WELCOME deadline, the master's silence, BYE drain. */
static void deadline_due(struct bp_loop *l, struct bp_timer *t)
{
	struct bps_sess *x = bp_container_of(t, struct bps_sess, deadline);
	struct bps *s = x->s;

	switch (x->state) {
	case BPS_SESS_CONNECTING:
		bps_log(s, "connect to %s: %s", s->master_str, strerror(ETIMEDOUT));
		bps_sess_end(x, BPS_END_RETRY, BP_REASON_NONE, NULL);
		break;
	case BPS_SESS_HELLO:
		bps_log(s, "%s: no WELCOME within %d s", s->master_str,
			BPS_WELCOME_TIMEOUT_MS / 1000);
		bps_sess_end(x, BPS_END_RETRY, BP_REASON_NONE, NULL);
		break;
	case BPS_SESS_WELCOMED:
		/*
		 * Bytes the master sent that this loop has not read yet (a
		 * burst of REXECs keeps it busy) are not silence.
		 */
		if (bp_rx_unread(&x->rx, x->io.fd))
			x->last_rx = bp_now_mono_ms();
		if (bp_now_mono_ms() < x->last_rx + x->timeout_ms) {
			/* Heard from since: the deadline moves. */
			bp_timer_start_at(l, t, (x->last_rx + x->timeout_ms) *
					  BP_NS_PER_MS, 0);
			break;
		}
		bps_log(s, "%s: master silent for %u s", s->master_str,
			x->timeout_ms / 1000);
		bps_sess_end(x, BPS_END_LOST, BP_REASON_NONE, NULL);
		break;
	case BPS_SESS_CLOSING:
		sess_free(x);
		break;
	}
}

static void status_due(struct bp_loop *l, struct bp_timer *t)
{
	struct bps_sess *x = bp_container_of(t, struct bps_sess, status);

	if (send_status(x) || x->s->relay->status(x))
		return;
	bp_timer_start(l, t, (uint64_t)x->interval_ms * BP_NS_PER_MS, 0);
}

/*
 * Start a session: a non-blocking connect to the master. 0, or -errno
 * for a local failure (no session then: the caller retries).
 */
int bps_session_start(struct bps *s)
{
	struct bps_sess *x = calloc(1, sizeof(*x));
	int fd, one = 1, ret;

	if (!x)
		return -ENOMEM;
	bp_io_init(&x->io, sess_event);
	bp_timer_init(&x->deadline, deadline_due);
	bp_timer_init(&x->status, status_due);
	bp_timer_init(&x->status_soon, status_soon_due);
	bp_rx_init(&x->rx);
	bp_tx_init(&x->tx);
	x->s = s;
	x->node = -1;
	x->state = BPS_SESS_CONNECTING;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		free(x);
		return ret;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ret = bps_auth_bind(s, fd);
	if (ret) {
		bps_log(s, "enrollment needs a privileged port: %s", strerror(-ret));
		close(fd);
		free(x);
		return ret;
	}
	ret = bp_io_add(&s->loop, &x->io, fd, EPOLLOUT);
	if (ret) {
		close(fd);
		free(x);
		return ret;
	}
	s->sess = x;
	if (connect(fd, (struct sockaddr *)&s->master, sizeof(s->master)) &&
	    errno != EINPROGRESS) {
		bps_log(s, "connect to %s: %s", s->master_str, strerror(errno));
		bps_sess_end(x, BPS_END_RETRY, BP_REASON_NONE, NULL);
		return 0;
	}
	deadline_in(x, BPS_CONNECT_TIMEOUT_MS);
	return 0;
}
