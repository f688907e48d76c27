// SPDX-License-Identifier: GPL-2.0
/*
 * One session with the master: connect, HELLO, WELCOME, register with
 * the module, then status reports, pings and requests until the
 * connection ends. The caller decides when to try again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <linux/bproc.h>

#include "bpslave.h"

struct sess {
	struct bps *s;
	int sock;
	struct bp_rx rx;
	struct bp_tx tx;
	bool welcomed;
	int32_t node;
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint64_t last_rx;	/* ms, CLOCK_MONOTONIC */
	uint64_t next_status;
	uint64_t deadline;	/* before WELCOME */
};

void bps_log(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bpslave: %s\n", msg);
}

uint64_t bps_now_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* SIGTERM or SIGINT pending on the signalfd? */
static bool got_quit(struct bps *s)
{
	struct signalfd_siginfo si;

	while (read(s->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			bps_log("%s: exiting",
				si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			s->quit = true;
		}
	}
	return s->quit;
}

/* Connected socket or -errno; -EINTR when asked to quit meanwhile. */
static int connect_master(struct bps *s)
{
	struct pollfd pfd[2];
	int fd, err, one = 1;
	socklen_t len = sizeof(err);
	uint64_t end = bps_now_mono_ms() + BPS_CONNECT_TIMEOUT_MS;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&s->master, sizeof(s->master)) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		err = -errno;
		close(fd);
		return err;
	}
	for (;;) {
		uint64_t now = bps_now_mono_ms();
		int n;

		if (now >= end) {
			close(fd);
			return -ETIMEDOUT;
		}
		pfd[0] = (struct pollfd){ .fd = fd, .events = POLLOUT };
		pfd[1] = (struct pollfd){ .fd = s->signal_fd, .events = POLLIN };
		n = poll(pfd, 2, (int)(end - now));
		if (n < 0 && errno != EINTR) {
			err = -errno;
			close(fd);
			return err;
		}
		if (pfd[1].revents && got_quit(s)) {
			close(fd);
			return -EINTR;
		}
		if (pfd[0].revents)
			break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		err = err ? -err : -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int send_msg(struct sess *x, const struct bp_msg *m)
{
	ssize_t left;
	int ret = bp_tx_queue(&x->tx, m);

	if (ret)
		return ret;
	left = bp_tx_flush(&x->tx, x->sock);
	return left < 0 ? (int)left : 0;
}

/* Push out what is queued, waiting up to @ms (for a BYE before closing). */
static void drain(struct sess *x, int ms)
{
	uint64_t end = bps_now_mono_ms() + (uint64_t)ms;

	while (bp_tx_pending(&x->tx)) {
		struct pollfd pfd = { .fd = x->sock, .events = POLLOUT };
		uint64_t now = bps_now_mono_ms();

		if (now >= end || poll(&pfd, 1, (int)(end - now)) <= 0 ||
		    bp_tx_flush(&x->tx, x->sock) < 0)
			return;
	}
}

static void send_bye(struct sess *x, uint32_t code, const char *text)
{
	struct bp_msg bye = { .type = BP_MSG_BYE };

	bye.reason.code = code;
	snprintf(bye.reason.text, sizeof(bye.reason.text), "%s", text);
	if (!send_msg(x, &bye))
		drain(x, 1000);
}

static int send_hello(struct sess *x)
{
	struct bps_facts *f = &x->s->facts;
	struct bp_msg h = { .type = BP_MSG_HELLO };
	int ret;

	h.hello.cpus = f->cpus;
	h.hello.auth_method = BP_AUTH_NONE;
	h.hello.mem_total = f->mem_total;
	h.hello.boot_time = f->boot_time;
	memcpy(h.hello.kernel, f->kernel, sizeof(h.hello.kernel));
	memcpy(h.hello.modver, f->modver, sizeof(h.hello.modver));
	ret = bps_local_hwaddr(x->sock, h.hello.hwaddr, &h.hello.hwaddr_len);
	if (ret && x->s->verbose)
		bps_log("no hardware address for the local address: %s",
			strerror(-ret));
	return send_msg(x, &h);
}

static int send_status(struct sess *x)
{
	struct bp_msg st = { .type = BP_MSG_STATUS };
	int ret = bps_read_status(&st.status);

	if (ret) {
		bps_log("node status: %s", strerror(-ret));
		return 0;	/* not the connection's fault; try next time */
	}
	return send_msg(x, &st);
}

static int register_instance(struct sess *x)
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

static void set_timing(struct sess *x, const struct bp_msg_welcome *w)
{
	x->interval_ms = w->ping_interval;
	x->timeout_ms = w->ping_timeout;
}

static enum bps_end do_request(struct sess *x, uint32_t action)
{
	static const struct {
		const char *name;
		int sig;
		const char *signame;
		uint32_t reason;
	} acts[] = {
		[BP_ACTION_REBOOT] = { "reboot", SIGTERM, "SIGTERM", BP_REASON_REBOOT },
		[BP_ACTION_HALT] = { "halt", SIGUSR1, "SIGUSR1", BP_REASON_HALT },
		[BP_ACTION_POWEROFF] = { "power-off", SIGUSR2, "SIGUSR2", BP_REASON_POWEROFF },
	};
	char text[64];

	bps_log("master requests %s: signalling PID 1 (%s)", acts[action].name,
		acts[action].signame);
	snprintf(text, sizeof(text), "node going down for %s", acts[action].name);
	send_bye(x, acts[action].reason, text);
	if (kill(1, acts[action].sig)) {
		bps_log("kill(1, %s): %s", acts[action].signame, strerror(errno));
		return BPS_END_LOST;
	}
	return BPS_END_REQUEST;
}

/* The sender's text, or the code's name when it sent none. */
static const char *reason_text(const struct bp_msg_reason *r)
{
	return r->text[0] ? r->text : bp_reason_name(r->code);
}

static int handle_proc(struct sess *x, const struct bp_msg_proc *p);

/*
 * Returns -1 to go on, or how the session ends.
 */
static int handle_msg(struct sess *x, const struct bp_msg *m)
{
	const char *name = bp_wire_type_name(m->type);
	int ret;

	if (!x->welcomed) {
		switch (m->type) {
		case BP_MSG_WELCOME:
			x->node = m->welcome.node;
			set_timing(x, &m->welcome);
			ret = register_instance(x);
			if (ret) {
				bps_log("/dev/bproc: BPROC_IOC_SLAVE for node %d: %s",
					x->node, strerror(-ret));
				return BPS_END_FATAL;
			}
			x->welcomed = true;
			x->next_status = bps_now_mono_ms();
			bps_log("connected to %s as node %d", x->s->master_str,
				x->node);
			return -1;
		case BP_MSG_REJECT:
			bps_log("rejected by %s: %s", x->s->master_str,
				reason_text(&m->reason));
			return BPS_END_RETRY;
		case BP_MSG_BYE:
			bps_log("%s closed the connection: %s", x->s->master_str,
				reason_text(&m->reason));
			return BPS_END_RETRY;
		default:
			bps_log("%s: protocol error: %s before WELCOME",
				x->s->master_str, name);
			return BPS_END_RETRY;
		}
	}

	switch (m->type) {
	case BP_MSG_PING: {
		struct bp_msg pong = { .type = BP_MSG_PONG, .id = m->id };

		pong.ping.time = m->ping.time;
		if (send_msg(x, &pong))
			return BPS_END_LOST;
		return -1;
	}
	case BP_MSG_PONG:
		return -1;
	case BP_MSG_WELCOME:
		/* The master's ping settings changed (SIGHUP). */
		if (m->welcome.node != x->node) {
			bps_log("%s: protocol error: WELCOME for node %d, this is node %d",
				x->s->master_str, m->welcome.node, x->node);
			return BPS_END_LOST;
		}
		set_timing(x, &m->welcome);
		return -1;
	case BP_MSG_REQUEST:
		return do_request(x, m->request.action);
	case BP_MSG_PROC:
		return handle_proc(x, &m->proc);
	case BP_MSG_BYE:
		bps_log("%s closed the connection: %s", x->s->master_str,
			reason_text(&m->reason));
		return BPS_END_LOST;
	default:
		bps_log("%s: protocol error: unexpected %s", x->s->master_str, name);
		send_bye(x, BP_REASON_PROTOCOL, "unexpected message");
		return BPS_END_LOST;
	}
}

/*
 * PSTATUS of the @i-th process, and EXEC first when it runs another
 * program than the master shows. 0, or -1 when the connection failed.
 */
static int send_proc_state(struct sess *x, size_t i)
{
	struct bp_msg m = { .type = BP_MSG_PROC };

	if (bps_exec(x->s, i, x->node, &m.proc) && send_msg(x, &m))
		return -1;
	if (bps_pstatus(x->s, i, x->node, &m.proc))
		return 0;	/* exiting: its EXIT follows */
	return send_msg(x, &m) ? -1 : 0;
}

static int send_pstatus(struct sess *x, int32_t pid)
{
	struct bps *s = x->s;

	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return send_proc_state(x, i);
	return 0;
}

static int send_all_pstatus(struct sess *x)
{
	for (size_t i = 0; i < x->s->nprocs; i++)
		if (send_proc_state(x, i))
			return -1;
	return 0;
}

/*
 * Forward the module's events: forks and exits of child processes and
 * the pid lease. They go first, before our own children's exits: a
 * child's FORK must reach the master before its parent's EXIT.
 */
static int report_events(struct sess *x)
{
	struct bp_msg m = { .type = BP_MSG_PROC };
	int ret;

	while ((ret = bps_event(x->s, &m.proc)) != 0) {
		if (ret < 0) {
			bps_log("/dev/bproc: reading node events: %s",
				strerror(-ret));
			if (ret == -EBADMSG)
				continue;
			return -1;
		}
		if (x->s->verbose && m.proc.hdr.pid)
			bps_log("pid %d: %s", m.proc.hdr.pid,
				bp_proc_type_name(m.proc.hdr.type));
		if (!x->welcomed)
			continue;	/* a past session's: void now */
		if (send_msg(x, &m))
			return BPS_END_LOST;
	}
	return -1;
}

/* Report exits, stops and continues of our processes. */
static int report_children(struct sess *x)
{
	struct bp_msg m = { .type = BP_MSG_PROC };
	int end = report_events(x);

	if (end >= 0)
		return end;

	while (bps_reap(x->s, x->node, &m.proc) == 1) {
		if (x->s->verbose)
			bps_log("pid %d: %s 0x%x", m.proc.hdr.pid,
				bp_proc_type_name(m.proc.hdr.type),
				m.proc.hdr.type == BPROC_MSG_EXIT ?
				(unsigned int)m.proc.exit.status :
				(unsigned int)m.proc.signo);
		if (!x->welcomed)
			continue;
		if (send_msg(x, &m))
			return BPS_END_LOST;
		if (m.proc.hdr.type != BPROC_MSG_EXIT &&
		    send_pstatus(x, m.proc.hdr.pid))
			return BPS_END_LOST;
	}
	return -1;
}

static int handle_rexec(struct sess *x, const struct bp_msg_proc *req)
{
	struct bp_msg res = { .type = BP_MSG_PROC };
	const char *path = req->strs + req->rexec.cwd_len;

	res.proc.error = bps_rexec(x->s, req);
	/*
	 * ENOMEM from clone3 is also what a dying namespace says (its init
	 * was killed and waits for us to reap its processes): collect that,
	 * which starts a new namespace, and try again for up to a second.
	 */
	for (int i = 0; i < 50 && res.proc.error == ENOMEM; i++) {
		int end = report_children(x);

		if (end >= 0)
			return end;
		poll(NULL, 0, 20);
		res.proc.error = bps_rexec(x->s, req);
	}
	if (res.proc.error)
		bps_log("pid %d: %s: %s", req->hdr.pid, path,
			strerror(res.proc.error));
	else if (x->s->verbose)
		bps_log("pid %d: started %s for uid %u", req->hdr.pid, path,
			req->rexec.euid);
	res.proc.hdr.type = BPROC_MSG_REXEC_RESULT;
	res.proc.hdr.node = x->node;
	res.proc.hdr.pid = req->hdr.pid;
	res.proc.hdr.id = req->hdr.id;
	res.proc.hdr.size = (uint32_t)bp_proc_size(&res.proc);
	if (send_msg(x, &res))
		return BPS_END_LOST;
	if (!res.proc.error && send_pstatus(x, req->hdr.pid))
		return BPS_END_LOST;
	return -1;
}

static int handle_proc(struct sess *x, const struct bp_msg_proc *p)
{
	const char *name = bp_proc_type_name(p->hdr.type);

	if (p->hdr.node != x->node) {
		bps_log("%s: protocol error: %s for node %d, this is node %d",
			x->s->master_str, name, p->hdr.node, x->node);
		send_bye(x, BP_REASON_PROTOCOL, "process message for another node");
		return BPS_END_LOST;
	}
	switch (p->hdr.type) {
	case BPROC_MSG_REXEC:
		return handle_rexec(x, p);
	case BPROC_MSG_SIGNAL:
		bps_signal(x->s, p);
		return -1;
	case BPROC_MSG_PIDS: {
		int ret = bps_lease(x->s, p);

		if (ret)
			bps_log("/dev/bproc: taking %u leased pids: %s",
				p->pids.count, strerror(-ret));
		return -1;
	}
	default:
		bps_log("%s: protocol error: unexpected process message %s",
			x->s->master_str, name);
		send_bye(x, BP_REASON_PROTOCOL, "unexpected process message");
		return BPS_END_LOST;
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
	case -EOPNOTSUPP:
		return "unknown message type";
	default:
		return strerror(-err);
	}
}

static int readable(struct sess *x)
{
	struct bp_msg m;
	ssize_t n;
	int ret;

	n = bp_rx_read(&x->rx, x->sock);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return -1;
	if (n <= 0) {
		bps_log("%s: %s", x->s->master_str,
			n ? strerror((int)-n) : "connection closed by the master");
		return x->welcomed ? BPS_END_LOST : BPS_END_RETRY;
	}
	x->last_rx = bps_now_mono_ms();
	while ((ret = bp_rx_next(&x->rx, &m, NULL)) != 0) {
		int end;

		if (ret == -ENOMSG)
			continue;
		if (ret < 0) {
			bps_log("%s: %s", x->s->master_str, rx_strerror(ret));
			return x->welcomed ? BPS_END_LOST : BPS_END_RETRY;
		}
		end = handle_msg(x, &m);
		if (end >= 0)
			return end;
	}
	return -1;
}

/* Pings and deadlines; returns -1 to go on or the end, and the timeout. */
static int timers(struct sess *x, int *timeout)
{
	uint64_t now = bps_now_mono_ms(), next;

	if (!x->welcomed) {
		if (now >= x->deadline) {
			bps_log("%s: no WELCOME within %d s", x->s->master_str,
				BPS_WELCOME_TIMEOUT_MS / 1000);
			return BPS_END_RETRY;
		}
		*timeout = (int)(x->deadline - now);
		return -1;
	}
	if (now - x->last_rx >= x->timeout_ms) {
		bps_log("%s: master silent for %u s", x->s->master_str,
			x->timeout_ms / 1000);
		return BPS_END_LOST;
	}
	if (now >= x->next_status) {
		if (send_status(x) || send_all_pstatus(x))
			return BPS_END_LOST;
		x->next_status = now + x->interval_ms;
	}
	next = x->last_rx + x->timeout_ms;
	if (x->next_status < next)
		next = x->next_status;
	*timeout = (int)(next - now);
	return -1;
}

static enum bps_end run(struct sess *x)
{
	int ret;

	ret = send_hello(x);
	if (ret) {
		bps_log("%s: sending HELLO: %s", x->s->master_str, strerror(-ret));
		return BPS_END_RETRY;
	}
	x->last_rx = bps_now_mono_ms();
	x->deadline = x->last_rx + BPS_WELCOME_TIMEOUT_MS;
	/* SIGCHLD read while disconnected: the namespace's init may be gone. */
	report_children(x);
	for (;;) {
		struct pollfd pfd[3];
		int timeout, end;

		end = timers(x, &timeout);
		if (end >= 0)
			return (enum bps_end)end;
		pfd[0] = (struct pollfd){
			.fd = x->sock,
			.events = POLLIN | (bp_tx_pending(&x->tx) ? POLLOUT : 0),
		};
		pfd[1] = (struct pollfd){ .fd = x->s->signal_fd, .events = POLLIN };
		/* The instance reads events once registered (welcomed). */
		pfd[2] = (struct pollfd){
			.fd = x->welcomed ? x->s->bproc_fd : -1, .events = POLLIN,
		};
		if (poll(pfd, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			bps_log("poll: %s", strerror(errno));
			return BPS_END_FATAL;
		}
		if (pfd[1].revents && got_quit(x->s)) {
			send_bye(x, BP_REASON_SHUTDOWN, "bpslave exiting");
			return BPS_END_QUIT;
		}
		/* SIGCHLD (read from the signalfd with the rest), node events. */
		if (pfd[1].revents || pfd[2].revents) {
			end = report_children(x);
			if (end >= 0)
				return (enum bps_end)end;
		}
		if (pfd[0].revents & POLLOUT) {
			ssize_t left = bp_tx_flush(&x->tx, x->sock);

			if (left < 0) {
				bps_log("%s: send: %s", x->s->master_str,
					strerror((int)-left));
				return x->welcomed ? BPS_END_LOST : BPS_END_RETRY;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			end = readable(x);
			if (end >= 0)
				return (enum bps_end)end;
		}
	}
}

enum bps_end bps_session(struct bps *s)
{
	struct sess x = { .s = s, .node = -1 };
	enum bps_end end;

	x.sock = connect_master(s);
	if (x.sock < 0) {
		if (x.sock == -EINTR)
			return BPS_END_QUIT;
		bps_log("connect to %s: %s", s->master_str, strerror(-x.sock));
		return BPS_END_RETRY;
	}
	if (s->verbose)
		bps_log("TCP connection to %s established, sending HELLO",
			s->master_str);
	bp_rx_init(&x.rx);
	bp_tx_init(&x.tx);
	end = run(&x);
	/* The master declares them dead: make it so (docs/ghosts.md). */
	if (s->nprocs)
		bps_log("killing the %zu processes started by the master",
			s->nprocs);
	if (s->nprocs || end == BPS_END_QUIT) {
		int ret;

		bps_ns_stop(s);
		if (end != BPS_END_QUIT && (ret = bps_ns_start(s))) {
			bps_log("masquerade pid namespace: %s", strerror(-ret));
			end = BPS_END_FATAL;
		}
	}
	close(x.sock);
	bp_rx_free(&x.rx);
	bp_tx_free(&x.tx);
	return end;
}
