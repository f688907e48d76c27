// SPDX-License-Identifier: GPL-2.0
/*
 * bproc wire codec: pure encode/decode over byte buffers. See bp_wire.h
 * for the conventions and docs/protocol.md for the message layouts.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bp_wire.h"

struct rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

struct wr {
	uint8_t *p;
	size_t left;
	bool full;
};

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static const uint8_t *rd_take(struct rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

static uint8_t rd_u8(struct rd *r)
{
	const uint8_t *p = rd_take(r, 1);

	return p ? p[0] : 0;
}

static uint16_t rd_u16(struct rd *r)
{
	const uint8_t *p = rd_take(r, 2);

	return p ? get_le16(p) : 0;
}

static uint32_t rd_u32(struct rd *r)
{
	const uint8_t *p = rd_take(r, 4);

	return p ? get_le32(p) : 0;
}

static uint64_t rd_u64(struct rd *r)
{
	const uint8_t *p = rd_take(r, 8);

	return p ? get_le64(p) : 0;
}

/* Text: printable, no NUL and no control characters (log safety). */
static bool text_ok(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* A u16-length-prefixed string of at most @cap - 1 bytes into @out. */
static void rd_str(struct rd *r, char *out, size_t cap)
{
	uint16_t n = rd_u16(r);
	const uint8_t *p;

	if (r->bad)
		return;
	if (n >= cap) {
		r->bad = true;
		return;
	}
	p = rd_take(r, n);
	if (!p || !text_ok(p, n)) {
		r->bad = true;
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

static uint8_t *wr_take(struct wr *w, size_t n)
{
	uint8_t *p = w->p;

	if (w->full || n > w->left) {
		w->full = true;
		return NULL;
	}
	w->p += n;
	w->left -= n;
	return p;
}

static void wr_u8(struct wr *w, uint8_t v)
{
	uint8_t *p = wr_take(w, 1);

	if (p)
		p[0] = v;
}

static void wr_u16(struct wr *w, uint16_t v)
{
	uint8_t *p = wr_take(w, 2);

	if (p)
		put_le16(p, v);
}

static void wr_u32(struct wr *w, uint32_t v)
{
	uint8_t *p = wr_take(w, 4);

	if (p)
		put_le32(p, v);
}

static void wr_u64(struct wr *w, uint64_t v)
{
	uint8_t *p = wr_take(w, 8);

	if (p)
		put_le64(p, v);
}

static void wr_bytes(struct wr *w, const void *s, size_t n)
{
	uint8_t *p = wr_take(w, n);

	if (p && n)
		memcpy(p, s, n);
}

/* Returns -EINVAL when the C string in @s (of buffer size @cap) is bad. */
static int wr_str(struct wr *w, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n >= cap || !text_ok((const uint8_t *)s, n))
		return -EINVAL;
	wr_u16(w, (uint16_t)n);
	wr_bytes(w, s, n);
	return 0;
}

static const char *const type_names[] = {
	[BP_MSG_HELLO]		= "HELLO",
	[BP_MSG_WELCOME]	= "WELCOME",
	[BP_MSG_REJECT]		= "REJECT",
	[BP_MSG_STATUS]		= "STATUS",
	[BP_MSG_PING]		= "PING",
	[BP_MSG_PONG]		= "PONG",
	[BP_MSG_REQUEST]	= "REQUEST",
	[BP_MSG_BYE]		= "BYE",
	[BP_MSG_PROC]		= "PROC",
};

const char *bp_wire_type_name(uint16_t type)
{
	if (type >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[type];
}

static const char *const reason_names[] = {
	[BP_REASON_NONE]	= "none",
	[BP_REASON_VERSION]	= "protocol version",
	[BP_REASON_RANGE]	= "address not in any iprange",
	[BP_REASON_AUTH]	= "authentication failed",
	[BP_REASON_PROTOCOL]	= "protocol error",
	[BP_REASON_SHUTDOWN]	= "shutting down",
	[BP_REASON_REPLACED]	= "replaced by a new connection",
	[BP_REASON_REBOOT]	= "reboot",
	[BP_REASON_HALT]	= "halt",
	[BP_REASON_POWEROFF]	= "power-off",
	[BP_REASON_CONFIG]	= "configuration changed",
};

const char *bp_reason_name(uint32_t code)
{
	if (code > BP_REASON_MAX)
		return NULL;
	return reason_names[code];
}

static const char *const proc_type_names[] = {
	[BPROC_MSG_REXEC]		= "REXEC",
	[BPROC_MSG_REXEC_RESULT]	= "REXEC_RESULT",
	[BPROC_MSG_SIGNAL]		= "SIGNAL",
	[BPROC_MSG_PSTATUS]		= "PSTATUS",
	[BPROC_MSG_STOP]		= "STOP",
	[BPROC_MSG_CONT]		= "CONT",
	[BPROC_MSG_EXIT]		= "EXIT",
	[BPROC_MSG_PIDS]		= "PIDS",
	[BPROC_MSG_PIDS_WANT]		= "PIDS_WANT",
	[BPROC_MSG_PIDS_FREE]		= "PIDS_FREE",
	[BPROC_MSG_FORK]		= "FORK",
	[BPROC_MSG_EXEC]		= "EXEC",
};

const char *bp_proc_type_name(uint16_t type)
{
	if (type == 0 || type >= BPROC_MSG_NTYPES)
		return NULL;
	return proc_type_names[type];
}

/* Process messages (docs/protocol.md, "PROC"). */
#define PROC_HDR_LEN	24
#define PROC_PID_MAX	4194304		/* PID_MAX_LIMIT */
#define PROC_SIG_MAX	64		/* _NSIG - 1 */
#define PROC_ERRNO_MAX	4095

_Static_assert(sizeof(struct bproc_msg_hdr) == PROC_HDR_LEN, "hdr");
_Static_assert(sizeof(struct bproc_msg_rexec) == BP_PROC_REXEC_LEN, "rexec");
_Static_assert(sizeof(struct bproc_signal) == BP_PROC_SIGNAL_LEN, "signal");
_Static_assert(sizeof(struct bproc_msg_pstatus) == BP_PROC_PSTATUS_LEN,
	       "pstatus");
_Static_assert(sizeof(struct bproc_msg_exit) == BP_PROC_EXIT_LEN, "exit");
_Static_assert(sizeof(struct bproc_msg_pids) == BP_PROC_PIDS_LEN, "pids");
_Static_assert(sizeof(struct bproc_msg_fork) == BP_PROC_FORK_LEN, "fork");
_Static_assert(sizeof(struct bproc_msg_exec) == BP_PROC_EXEC_LEN, "exec");

/* Payload bytes of each type before REXEC's groups and strings. */
static size_t proc_fixed_len(uint16_t type)
{
	switch (type) {
	case BPROC_MSG_REXEC:		return BP_PROC_REXEC_LEN;
	case BPROC_MSG_REXEC_RESULT:	return 4;
	case BPROC_MSG_SIGNAL:		return BP_PROC_SIGNAL_LEN;
	case BPROC_MSG_PSTATUS:		return BP_PROC_PSTATUS_LEN;
	case BPROC_MSG_STOP:		return 4;
	case BPROC_MSG_CONT:		return 0;
	case BPROC_MSG_EXIT:		return BP_PROC_EXIT_LEN;
	case BPROC_MSG_PIDS:		return BP_PROC_PIDS_LEN;
	case BPROC_MSG_PIDS_WANT:	return 4;
	case BPROC_MSG_PIDS_FREE:	return BP_PROC_PIDS_LEN;
	case BPROC_MSG_FORK:		return BP_PROC_FORK_LEN;
	case BPROC_MSG_EXEC:		return BP_PROC_EXEC_LEN;
	default:			return 0;
	}
}

size_t bp_proc_size(const struct bp_msg_proc *p)
{
	size_t n = PROC_HDR_LEN + proc_fixed_len(p->hdr.type);

	if (p->hdr.type == BPROC_MSG_REXEC)
		n += (size_t)p->rexec.ngroups * 4 + p->rexec.cwd_len +
		     p->rexec.buf_len;
	return n;
}

/* Counts and sizes of a REXEC, before its strings are looked at. */
static bool rexec_counts_ok(const struct bproc_msg_rexec *r)
{
	return r->ppid >= 0 && r->pgid >= 0 && r->sid >= 0 &&
	       r->uid != UINT32_MAX && r->euid != UINT32_MAX &&
	       r->gid != UINT32_MAX && r->egid != UINT32_MAX &&
	       r->ngroups <= BPROC_NGROUPS_MAX &&
	       r->cwd_len >= 1 && r->cwd_len <= BP_PROC_CWD_MAX &&
	       r->buf_len >= 2 && r->buf_len <= BPROC_REXEC_MAX &&
	       r->argc < BPROC_REXEC_MAX && r->envc < BPROC_REXEC_MAX;
}

/*
 * cwd: one NUL-terminated string filling cwd_len. buf: path (not empty),
 * then argc + envc strings, the last byte a NUL, nothing else.
 */
static bool rexec_strs_ok(const struct bproc_msg_rexec *r, const char *s)
{
	const char *buf = s + r->cwd_len;
	size_t nuls = 0;

	if (memchr(s, '\0', r->cwd_len) != s + r->cwd_len - 1)
		return false;
	if (!buf[0] || buf[r->buf_len - 1])
		return false;
	for (const char *q = buf; (q = memchr(q, '\0', (size_t)(buf + r->buf_len - q)));
	     q++)
		nuls++;
	return nuls == 1ull + r->argc + r->envc;
}

/* Lease messages (no process: pid 0): @min..BPROC_PIDS_MAX numbers. */
static bool pids_ok(const struct bproc_msg_pids *x, uint32_t min)
{
	if (x->count < min || x->count > BPROC_PIDS_MAX || x->__pad)
		return false;
	for (uint32_t i = 0; i < BPROC_PIDS_MAX; i++)
		if (i < x->count ? x->pids[i] < 1 || x->pids[i] > PROC_PID_MAX :
		    x->pids[i] != 0)
			return false;
	return true;
}

/*
 * EXEC: comm NUL-terminated and padded with NULs; @len bytes of args
 * holding exactly @argc NUL-terminated strings (none when both are 0);
 * the rest zero.
 */
static bool exec_ok(const struct bproc_msg_exec *x)
{
	const char *end = memchr(x->comm, '\0', sizeof(x->comm));
	size_t nuls = 0;

	if (!end)
		return false;
	for (; end < x->comm + sizeof(x->comm); end++)
		if (*end)
			return false;
	if (x->len > BPROC_EXEC_ARGS_MAX || x->argc > x->len ||
	    (x->len && x->args[x->len - 1]))
		return false;
	for (uint32_t i = 0; i < BPROC_EXEC_ARGS_MAX; i++) {
		if (i >= x->len && x->args[i])
			return false;
		if (i < x->len && !x->args[i])
			nuls++;
	}
	return nuls == x->argc;
}

static bool proc_is_lease(uint16_t type)
{
	return type == BPROC_MSG_PIDS || type == BPROC_MSG_PIDS_WANT ||
	       type == BPROC_MSG_PIDS_FREE;
}

static bool proc_fields_ok(const struct bp_msg_proc *p)
{
	const struct bproc_msg_hdr *h = &p->hdr;

	if (h->flags || h->type == 0 || h->type >= BPROC_MSG_NTYPES ||
	    h->node < 0 || h->node > BP_WIRE_NODE_MAX)
		return false;
	if (proc_is_lease(h->type) ? h->pid != 0 :
	    h->pid < 1 || h->pid > PROC_PID_MAX)
		return false;
	switch (h->type) {
	case BPROC_MSG_REXEC:
		if (!rexec_counts_ok(&p->rexec))
			return false;
		for (uint32_t i = 0; i < p->rexec.ngroups; i++)
			if (p->gids[i] == UINT32_MAX)
				return false;
		break;
	case BPROC_MSG_REXEC_RESULT:
		if (p->error < 0 || p->error > PROC_ERRNO_MAX)
			return false;
		break;
	case BPROC_MSG_SIGNAL:
		if (p->signal.signo < 1 || p->signal.signo > PROC_SIG_MAX ||
		    p->signal.__pad)
			return false;
		break;
	case BPROC_MSG_PSTATUS:
		if (p->pstatus.state <= 0x20 || p->pstatus.state >= 0x7f ||
		    p->pstatus.__pad[0] || p->pstatus.__pad[1] ||
		    p->pstatus.__pad[2])
			return false;
		break;
	case BPROC_MSG_STOP:
		if (p->signo < 1 || p->signo > PROC_SIG_MAX)
			return false;
		break;
	case BPROC_MSG_CONT:
		break;
	case BPROC_MSG_EXIT:
		if (p->exit.status & ~0xffff || p->exit.__pad)
			return false;
		break;
	case BPROC_MSG_PIDS:
		if (!pids_ok(&p->pids, 0))
			return false;
		break;
	case BPROC_MSG_PIDS_FREE:
		if (!pids_ok(&p->pids, 1))
			return false;
		break;
	case BPROC_MSG_PIDS_WANT:
		if (p->want < 1 || p->want > BPROC_PIDS_MAX)
			return false;
		break;
	case BPROC_MSG_EXEC:
		if (!exec_ok(&p->exec))
			return false;
		break;
	case BPROC_MSG_FORK:
		if (p->fork.ppid < 1 || p->fork.ppid > PROC_PID_MAX ||
		    p->fork.ppid == h->pid || p->fork.node_pid < 0 ||
		    p->fork.node_pid > PROC_PID_MAX)
			return false;
		break;
	}
	return h->size == bp_proc_size(p);
}

static bool proc_ok(const struct bp_msg_proc *p)
{
	if (!proc_fields_ok(p))
		return false;
	if (p->hdr.type == BPROC_MSG_REXEC)
		return p->strs && rexec_strs_ok(&p->rexec, p->strs);
	return true;
}

static int decode_proc(struct rd *r, struct bp_msg_proc *p)
{
	struct bproc_msg_hdr *h = &p->hdr;
	const uint8_t *q;

	h->size = rd_u32(r);
	h->type = rd_u16(r);
	h->flags = rd_u16(r);
	h->node = (int32_t)rd_u32(r);
	h->pid = (int32_t)rd_u32(r);
	h->id = rd_u64(r);
	if (r->bad || h->size > PROC_HDR_LEN + r->left)
		return -EBADMSG;
	switch (h->type) {
	case BPROC_MSG_REXEC: {
		struct bproc_msg_rexec *x = &p->rexec;

		x->ppid = (int32_t)rd_u32(r);
		x->pgid = (int32_t)rd_u32(r);
		x->sid = (int32_t)rd_u32(r);
		x->uid = rd_u32(r);
		x->euid = rd_u32(r);
		x->gid = rd_u32(r);
		x->egid = rd_u32(r);
		x->ngroups = rd_u32(r);
		x->argc = rd_u32(r);
		x->envc = rd_u32(r);
		x->cwd_len = rd_u32(r);
		x->buf_len = rd_u32(r);
		if (r->bad || !rexec_counts_ok(x))
			return -EBADMSG;
		for (uint32_t i = 0; i < x->ngroups; i++)
			p->gids[i] = rd_u32(r);
		q = rd_take(r, (size_t)x->cwd_len + x->buf_len);
		p->strs = (const char *)q;
		break;
	}
	case BPROC_MSG_REXEC_RESULT:
		p->error = (int32_t)rd_u32(r);
		break;
	case BPROC_MSG_SIGNAL:
		p->signal.size = rd_u32(r);
		p->signal.pid = (int32_t)rd_u32(r);
		p->signal.signo = (int32_t)rd_u32(r);
		p->signal.__pad = rd_u32(r);
		q = rd_take(r, BPROC_SIGINFO_LEN);
		if (q)
			memcpy(p->signal.siginfo, q, BPROC_SIGINFO_LEN);
		break;
	case BPROC_MSG_PSTATUS:
		p->pstatus.state = rd_u8(r);
		for (int i = 0; i < 3; i++)
			p->pstatus.__pad[i] = rd_u8(r);
		p->pstatus.threads = rd_u32(r);
		p->pstatus.utime_ns = rd_u64(r);
		p->pstatus.stime_ns = rd_u64(r);
		p->pstatus.start_ns = rd_u64(r);
		p->pstatus.vsize = rd_u64(r);
		p->pstatus.rss = rd_u64(r);
		p->pstatus.minflt = rd_u64(r);
		p->pstatus.majflt = rd_u64(r);
		break;
	case BPROC_MSG_STOP:
		p->signo = (int32_t)rd_u32(r);
		break;
	case BPROC_MSG_CONT:
		break;
	case BPROC_MSG_EXIT:
		p->exit.status = (int32_t)rd_u32(r);
		p->exit.__pad = rd_u32(r);
		p->exit.utime_ns = rd_u64(r);
		p->exit.stime_ns = rd_u64(r);
		break;
	case BPROC_MSG_PIDS:
	case BPROC_MSG_PIDS_FREE:
		p->pids.count = rd_u32(r);
		p->pids.__pad = rd_u32(r);
		for (int i = 0; i < BPROC_PIDS_MAX; i++)
			p->pids.pids[i] = (int32_t)rd_u32(r);
		break;
	case BPROC_MSG_PIDS_WANT:
		p->want = rd_u32(r);
		break;
	case BPROC_MSG_FORK:
		p->fork.ppid = (int32_t)rd_u32(r);
		p->fork.node_pid = (int32_t)rd_u32(r);
		break;
	case BPROC_MSG_EXEC:
		q = rd_take(r, sizeof(p->exec.comm));
		if (q)
			memcpy(p->exec.comm, q, sizeof(p->exec.comm));
		p->exec.argc = rd_u32(r);
		p->exec.len = rd_u32(r);
		q = rd_take(r, BPROC_EXEC_ARGS_MAX);
		if (q)
			memcpy(p->exec.args, q, BPROC_EXEC_ARGS_MAX);
		break;
	default:
		return -EBADMSG;
	}
	if (r->bad || !proc_ok(p))
		return -EBADMSG;
	return 0;
}

static int encode_proc(struct wr *w, const struct bp_msg_proc *p)
{
	const struct bproc_msg_hdr *h = &p->hdr;

	if (!proc_ok(p))
		return -EINVAL;
	wr_u32(w, h->size);
	wr_u16(w, h->type);
	wr_u16(w, h->flags);
	wr_u32(w, (uint32_t)h->node);
	wr_u32(w, (uint32_t)h->pid);
	wr_u64(w, h->id);
	switch (h->type) {
	case BPROC_MSG_REXEC: {
		const struct bproc_msg_rexec *x = &p->rexec;

		wr_u32(w, (uint32_t)x->ppid);
		wr_u32(w, (uint32_t)x->pgid);
		wr_u32(w, (uint32_t)x->sid);
		wr_u32(w, x->uid);
		wr_u32(w, x->euid);
		wr_u32(w, x->gid);
		wr_u32(w, x->egid);
		wr_u32(w, x->ngroups);
		wr_u32(w, x->argc);
		wr_u32(w, x->envc);
		wr_u32(w, x->cwd_len);
		wr_u32(w, x->buf_len);
		for (uint32_t i = 0; i < x->ngroups; i++)
			wr_u32(w, p->gids[i]);
		wr_bytes(w, p->strs, (size_t)x->cwd_len + x->buf_len);
		break;
	}
	case BPROC_MSG_REXEC_RESULT:
		wr_u32(w, (uint32_t)p->error);
		break;
	case BPROC_MSG_SIGNAL:
		wr_u32(w, p->signal.size);
		wr_u32(w, (uint32_t)p->signal.pid);
		wr_u32(w, (uint32_t)p->signal.signo);
		wr_u32(w, p->signal.__pad);
		wr_bytes(w, p->signal.siginfo, BPROC_SIGINFO_LEN);
		break;
	case BPROC_MSG_PSTATUS:
		wr_u8(w, p->pstatus.state);
		wr_bytes(w, p->pstatus.__pad, 3);
		wr_u32(w, p->pstatus.threads);
		wr_u64(w, p->pstatus.utime_ns);
		wr_u64(w, p->pstatus.stime_ns);
		wr_u64(w, p->pstatus.start_ns);
		wr_u64(w, p->pstatus.vsize);
		wr_u64(w, p->pstatus.rss);
		wr_u64(w, p->pstatus.minflt);
		wr_u64(w, p->pstatus.majflt);
		break;
	case BPROC_MSG_STOP:
		wr_u32(w, (uint32_t)p->signo);
		break;
	case BPROC_MSG_CONT:
		break;
	case BPROC_MSG_EXIT:
		wr_u32(w, (uint32_t)p->exit.status);
		wr_u32(w, p->exit.__pad);
		wr_u64(w, p->exit.utime_ns);
		wr_u64(w, p->exit.stime_ns);
		break;
	case BPROC_MSG_PIDS:
	case BPROC_MSG_PIDS_FREE:
		wr_u32(w, p->pids.count);
		wr_u32(w, p->pids.__pad);
		for (int i = 0; i < BPROC_PIDS_MAX; i++)
			wr_u32(w, (uint32_t)p->pids.pids[i]);
		break;
	case BPROC_MSG_PIDS_WANT:
		wr_u32(w, p->want);
		break;
	case BPROC_MSG_FORK:
		wr_u32(w, (uint32_t)p->fork.ppid);
		wr_u32(w, (uint32_t)p->fork.node_pid);
		break;
	case BPROC_MSG_EXEC:
		wr_bytes(w, p->exec.comm, sizeof(p->exec.comm));
		wr_u32(w, p->exec.argc);
		wr_u32(w, p->exec.len);
		wr_bytes(w, p->exec.args, BPROC_EXEC_ARGS_MAX);
		break;
	}
	return 0;
}

/* The payload union: its members all start at the same address. */
static void *proc_payload(struct bp_msg_proc *p)
{
	return (uint8_t *)p + offsetof(struct bp_msg_proc, rexec);
}

int bp_proc_parse(const void *buf, size_t len, struct bp_msg_proc *p)
{
	const uint8_t *b = buf;
	size_t fixed, off;

	memset(p, 0, sizeof(*p));
	if (len < PROC_HDR_LEN)
		return -EBADMSG;
	memcpy(&p->hdr, b, PROC_HDR_LEN);
	if (p->hdr.size != len || p->hdr.type == 0 ||
	    p->hdr.type >= BPROC_MSG_NTYPES)
		return -EBADMSG;
	fixed = proc_fixed_len(p->hdr.type);
	if (len < PROC_HDR_LEN + fixed)
		return -EBADMSG;
	memcpy(proc_payload(p), b + PROC_HDR_LEN, fixed);
	off = PROC_HDR_LEN + fixed;
	if (p->hdr.type == BPROC_MSG_REXEC) {
		if (!rexec_counts_ok(&p->rexec) || len != bp_proc_size(p))
			return -EBADMSG;
		memcpy(p->gids, b + off, (size_t)p->rexec.ngroups * 4);
		off += (size_t)p->rexec.ngroups * 4;
		p->strs = (const char *)b + off;
	}
	return proc_ok(p) ? 0 : -EBADMSG;
}

ssize_t bp_proc_build(const struct bp_msg_proc *p, void *buf, size_t cap)
{
	size_t len = bp_proc_size(p), fixed = proc_fixed_len(p->hdr.type);
	uint8_t *b = buf;

	if (!proc_ok(p))
		return -EINVAL;
	if (cap < len)
		return -ENOSPC;
	memcpy(b, &p->hdr, PROC_HDR_LEN);
	memcpy(b + PROC_HDR_LEN, proc_payload((struct bp_msg_proc *)p), fixed);
	if (p->hdr.type == BPROC_MSG_REXEC) {
		size_t g = (size_t)p->rexec.ngroups * 4;

		memcpy(b + PROC_HDR_LEN + fixed, p->gids, g);
		memcpy(b + PROC_HDR_LEN + fixed + g, p->strs,
		       (size_t)p->rexec.cwd_len + p->rexec.buf_len);
	}
	return (ssize_t)len;
}

size_t bp_wire_enc_bound(const struct bp_msg *msg)
{
	if (msg->type == BP_MSG_PROC && msg->proc.hdr.type == BPROC_MSG_REXEC)
		return BP_WIRE_ENC_MAX + (size_t)msg->proc.rexec.ngroups * 4 +
		       msg->proc.rexec.cwd_len + msg->proc.rexec.buf_len;
	if (msg->type == BP_MSG_PROC && msg->proc.hdr.type == BPROC_MSG_EXEC)
		return BP_WIRE_ENC_MAX + BP_PROC_EXEC_LEN;
	return BP_WIRE_ENC_MAX;
}

ssize_t bp_wire_peek(const void *buf, size_t len, struct bp_wire_hdr *hdr)
{
	const uint8_t *p = buf;

	if (len >= 4 && get_le32(p) != BP_WIRE_MAGIC)
		return -EPROTO;
	if (len < BP_WIRE_HDR_LEN)
		return 0;
	hdr->version = p[4];
	hdr->flags = p[5];
	hdr->type = get_le16(p + 6);
	hdr->length = get_le32(p + 8);
	hdr->id = get_le32(p + 12);
	if (hdr->version != BP_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	if (hdr->flags)
		return -EBADMSG;
	if (hdr->length > BP_WIRE_MAX_PAYLOAD)
		return -EMSGSIZE;
	return BP_WIRE_HDR_LEN + (ssize_t)hdr->length;
}

static bool reason_ok(uint32_t code)
{
	return code != BP_REASON_NONE && code <= BP_REASON_MAX;
}

static bool action_ok(uint32_t action)
{
	return action >= BP_ACTION_REBOOT && action <= BP_ACTION_POWEROFF;
}

static bool welcome_ok(const struct bp_msg_welcome *w)
{
	return w->node >= 0 && w->node <= BP_WIRE_NODE_MAX &&
	       w->ping_interval >= 1 &&
	       w->ping_interval <= BP_WIRE_INTERVAL_MAX &&
	       w->ping_timeout > w->ping_interval &&
	       w->ping_timeout <= BP_WIRE_TIMEOUT_MAX;
}

static bool hello_ok(const struct bp_msg_hello *h)
{
	if (h->cpus < 1 || h->cpus > BP_WIRE_CPUS_MAX)
		return false;
	if (h->hwaddr_len > BP_WIRE_HWADDR_LEN)
		return false;
	for (size_t i = h->hwaddr_len; i < BP_WIRE_HWADDR_LEN; i++)
		if (h->hwaddr[i])
			return false;
	if (h->auth_len > BP_WIRE_AUTH_LEN)
		return false;
	/* No method defined yet carries data. */
	if (h->auth_method == BP_AUTH_NONE && h->auth_len)
		return false;
	return true;
}

static int decode_hello(struct rd *r, struct bp_msg_hello *h)
{
	const uint8_t *p;

	h->cpus = rd_u32(r);
	h->auth_method = rd_u32(r);
	h->mem_total = rd_u64(r);
	h->boot_time = rd_u64(r);
	h->hwaddr_len = rd_u8(r);
	for (int i = 0; i < 3; i++)
		if (rd_u8(r))
			return -EBADMSG;	/* reserved */
	p = rd_take(r, BP_WIRE_HWADDR_LEN);
	if (p)
		memcpy(h->hwaddr, p, BP_WIRE_HWADDR_LEN);
	rd_str(r, h->kernel, sizeof(h->kernel));
	rd_str(r, h->modver, sizeof(h->modver));
	h->auth_len = rd_u16(r);
	if (r->bad || h->auth_len > BP_WIRE_AUTH_LEN)
		return -EBADMSG;
	p = rd_take(r, h->auth_len);
	if (p && h->auth_len)
		memcpy(h->auth, p, h->auth_len);
	if (r->bad || !hello_ok(h))
		return -EBADMSG;
	return 0;
}

static int decode_payload(struct rd *r, struct bp_msg *m)
{
	switch (m->type) {
	case BP_MSG_HELLO:
		return decode_hello(r, &m->hello);
	case BP_MSG_WELCOME:
		m->welcome.node = (int32_t)rd_u32(r);
		m->welcome.ping_interval = rd_u32(r);
		m->welcome.ping_timeout = rd_u32(r);
		if (rd_u32(r))
			return -EBADMSG;	/* reserved */
		m->welcome.master_time = rd_u64(r);
		if (r->bad || !welcome_ok(&m->welcome))
			return -EBADMSG;
		return 0;
	case BP_MSG_REJECT:
	case BP_MSG_BYE:
		m->reason.code = rd_u32(r);
		rd_str(r, m->reason.text, sizeof(m->reason.text));
		if (r->bad || !reason_ok(m->reason.code))
			return -EBADMSG;
		return 0;
	case BP_MSG_STATUS:
		for (int i = 0; i < 3; i++)
			m->status.load[i] = rd_u32(r);
		m->status.procs = rd_u32(r);
		m->status.mem_free = rd_u64(r);
		m->status.uptime = rd_u64(r);
		return r->bad ? -EBADMSG : 0;
	case BP_MSG_PING:
	case BP_MSG_PONG:
		m->ping.time = rd_u64(r);
		return r->bad ? -EBADMSG : 0;
	case BP_MSG_REQUEST:
		m->request.action = rd_u32(r);
		if (rd_u32(r))
			return -EBADMSG;	/* reserved */
		if (r->bad || !action_ok(m->request.action))
			return -EBADMSG;
		return 0;
	case BP_MSG_PROC:
		return decode_proc(r, &m->proc);
	default:
		return bp_wire_type_optional(m->type) ? -ENOMSG : -EOPNOTSUPP;
	}
}

int bp_wire_decode(const void *buf, size_t len, struct bp_msg *msg)
{
	struct bp_wire_hdr hdr;
	struct rd r;
	ssize_t total;

	total = bp_wire_peek(buf, len, &hdr);
	if (total < 0)
		return (int)total;
	if (total == 0 || (size_t)total != len)
		return -EBADMSG;
	memset(msg, 0, sizeof(*msg));
	msg->type = hdr.type;
	msg->id = hdr.id;
	r.p = (const uint8_t *)buf + BP_WIRE_HDR_LEN;
	r.left = hdr.length;
	r.bad = false;
	/*
	 * Bytes after the fields this version knows are ignored: later
	 * versions may only append fields (docs/protocol.md).
	 */
	return decode_payload(&r, msg);
}

static int encode_hello(struct wr *w, const struct bp_msg_hello *h)
{
	if (!hello_ok(h))
		return -EINVAL;
	wr_u32(w, h->cpus);
	wr_u32(w, h->auth_method);
	wr_u64(w, h->mem_total);
	wr_u64(w, h->boot_time);
	wr_u8(w, h->hwaddr_len);
	wr_bytes(w, "\0\0\0", 3);
	wr_bytes(w, h->hwaddr, BP_WIRE_HWADDR_LEN);
	if (wr_str(w, h->kernel, sizeof(h->kernel)) ||
	    wr_str(w, h->modver, sizeof(h->modver)))
		return -EINVAL;
	wr_u16(w, h->auth_len);
	wr_bytes(w, h->auth, h->auth_len);
	return 0;
}

static int encode_payload(struct wr *w, const struct bp_msg *m)
{
	switch (m->type) {
	case BP_MSG_HELLO:
		return encode_hello(w, &m->hello);
	case BP_MSG_WELCOME:
		if (!welcome_ok(&m->welcome))
			return -EINVAL;
		wr_u32(w, (uint32_t)m->welcome.node);
		wr_u32(w, m->welcome.ping_interval);
		wr_u32(w, m->welcome.ping_timeout);
		wr_u32(w, 0);
		wr_u64(w, m->welcome.master_time);
		return 0;
	case BP_MSG_REJECT:
	case BP_MSG_BYE:
		if (!reason_ok(m->reason.code))
			return -EINVAL;
		wr_u32(w, m->reason.code);
		return wr_str(w, m->reason.text, sizeof(m->reason.text));
	case BP_MSG_STATUS:
		for (int i = 0; i < 3; i++)
			wr_u32(w, m->status.load[i]);
		wr_u32(w, m->status.procs);
		wr_u64(w, m->status.mem_free);
		wr_u64(w, m->status.uptime);
		return 0;
	case BP_MSG_PING:
	case BP_MSG_PONG:
		wr_u64(w, m->ping.time);
		return 0;
	case BP_MSG_REQUEST:
		if (!action_ok(m->request.action))
			return -EINVAL;
		wr_u32(w, m->request.action);
		wr_u32(w, 0);
		return 0;
	case BP_MSG_PROC:
		return encode_proc(w, &m->proc);
	default:
		return -EINVAL;
	}
}

ssize_t bp_wire_encode(const struct bp_msg *msg, void *buf, size_t cap)
{
	struct wr w;
	uint8_t *p = buf;
	size_t len;
	int ret;

	if (cap < BP_WIRE_HDR_LEN)
		return -ENOSPC;
	w.p = p + BP_WIRE_HDR_LEN;
	w.left = cap - BP_WIRE_HDR_LEN;
	w.full = false;
	ret = encode_payload(&w, msg);
	if (ret)
		return ret;
	if (w.full)
		return -ENOSPC;
	len = (size_t)(w.p - p);
	put_le32(p, BP_WIRE_MAGIC);
	p[4] = BP_WIRE_VERSION;
	p[5] = 0;
	put_le16(p + 6, msg->type);
	put_le32(p + 8, (uint32_t)(len - BP_WIRE_HDR_LEN));
	put_le32(p + 12, msg->id);
	return (ssize_t)len;
}
