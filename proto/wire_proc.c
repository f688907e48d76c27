// SPDX-License-Identifier: GPL-2.0
/*
 * The process family (docs/protocol.md, "PROC"): one wire type, PROC,
 * carrying one message of the module's process message queue. The size
 * and direction of each kind of process message come from the uapi
 * header's BPROC_MSG_KINDS (the table the module routes by); this file
 * adds, per kind, its name, the layout of its payload's fields (for the
 * little-endian wire form) and the rules its fields must follow. REXEC
 * alone has a variable part: its groups and strings.
 *
 * A layout (wire_priv.h) covers every byte of the payload struct,
 * padding included, in order (the uapi structs have no implicit padding).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bp_wire.h"
#include "wire_priv.h"

#define PROC_HDR_LEN	24
#define PROC_HDR_LAYOUT	"w1h2w2q1"
#define PROC_PID_MAX	4194304		/* PID_MAX_LIMIT */
#define PROC_SIG_MAX	64		/* _NSIG - 1 */
#define PROC_ERRNO_MAX	4095

_Static_assert(sizeof(struct bproc_msg_hdr) == PROC_HDR_LEN, "hdr");

/* What the uapi table says of each kind. */
static const struct bproc_msg_kind proc_kinds[BPROC_MSG_NTYPES] =
	BPROC_MSG_KINDS;

/* What the codec adds: name, field layout and rules. */
struct proc_rules {
	const char *name;
	const char *layout;
	bool no_pid;			/* about numbers, not a process: pid 0 */
	bool (*ok)(const struct bp_msg_proc *p);
};

/* --- field rules ------------------------------------------------------ */

#define PROC_CAP_MASK	((1ull << 41) - 1)	/* CAP_LAST_CAP 40 */
#define PROC_SECBITS	0xffu			/* SECBIT_* and their locks */

/* The caller's identity beyond its ids (docs/security.md, point 3). */
static bool rexec_identity_ok(const struct bproc_msg_rexec *r)
{
	if (r->suid == UINT32_MAX || r->sgid == UINT32_MAX ||
	    r->fsuid == UINT32_MAX || r->fsgid == UINT32_MAX ||
	    r->flags & ~BPROC_REXEC_NO_NEW_PRIVS ||
	    r->securebits & ~PROC_SECBITS || r->umask & ~0777u)
		return false;
	if ((r->cap_inheritable | r->cap_permitted | r->cap_effective |
	     r->cap_bset | r->cap_ambient) & ~PROC_CAP_MASK)
		return false;
	for (int i = 0; i < BPROC_RLIMITS; i++)
		if (r->rlim[i].cur > r->rlim[i].max)
			return false;
	return true;
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
	       r->argc < BPROC_REXEC_MAX && r->envc < BPROC_REXEC_MAX &&
	       (r->job_len == 0 || (r->job_len >= BPROC_JOB_SIZE_VER0 &&
				    r->job_len <= BPROC_JOB_MAX)) &&
	       rexec_identity_ok(r);
}

/* The variable part of a REXEC after its fixed payload. */
static size_t rexec_var_len(const struct bproc_msg_rexec *r)
{
	return (size_t)r->ngroups * 4 + r->cwd_len + r->buf_len + r->job_len;
}

static bool rexec_ok(const struct bp_msg_proc *p)
{
	if (!rexec_counts_ok(&p->rexec))
		return false;
	for (uint32_t i = 0; i < p->rexec.ngroups; i++)
		if (p->gids[i] == UINT32_MAX)
			return false;
	return true;
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

static bool result_ok(const struct bp_msg_proc *p)
{
	return p->error >= 0 && p->error <= PROC_ERRNO_MAX;
}

static bool signal_ok(const struct bp_msg_proc *p)
{
	return p->signal.signo >= 1 && p->signal.signo <= PROC_SIG_MAX &&
	       !p->signal.__pad;
}

static bool pstatus_ok(const struct bp_msg_proc *p)
{
	return p->pstatus.state > 0x20 && p->pstatus.state < 0x7f &&
	       !p->pstatus.__pad[0] && !p->pstatus.__pad[1] &&
	       !p->pstatus.__pad[2];
}

static bool stop_ok(const struct bp_msg_proc *p)
{
	return p->signo >= 1 && p->signo <= PROC_SIG_MAX;
}

static bool exit_ok(const struct bp_msg_proc *p)
{
	return !(p->exit.status & ~0xffff) && !p->exit.__pad;
}

/* Lease messages: @min..BPROC_PIDS_MAX numbers, the rest 0. */
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

static bool pids_grant_ok(const struct bp_msg_proc *p)
{
	return pids_ok(&p->pids, 0);
}

static bool pids_free_ok(const struct bp_msg_proc *p)
{
	return pids_ok(&p->pids, 1);
}

static bool want_ok(const struct bp_msg_proc *p)
{
	return p->want >= 1 && p->want <= BPROC_PIDS_MAX;
}

static bool fork_ok(const struct bp_msg_proc *p)
{
	return p->fork.ppid >= 1 && p->fork.ppid <= PROC_PID_MAX &&
	       p->fork.ppid != p->hdr.pid && p->fork.node_pid >= 0 &&
	       p->fork.node_pid <= PROC_PID_MAX;
}

/*
 * EXEC: comm NUL-terminated and padded with NULs; @len bytes of args
 * holding exactly @argc NUL-terminated strings (none when both are 0);
 * the rest zero.
 */
static bool exec_ok(const struct bp_msg_proc *p)
{
	const struct bproc_msg_exec *x = &p->exec;
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

static const struct proc_rules proc_rules[BPROC_MSG_NTYPES] = {
	[BPROC_MSG_REXEC]	 = { "REXEC",	     "w20q37",	   false, rexec_ok },
	[BPROC_MSG_REXEC_RESULT] = { "REXEC_RESULT", "w1",	   false, result_ok },
	[BPROC_MSG_SIGNAL]	 = { "SIGNAL",	     "w4b128",	   false, signal_ok },
	[BPROC_MSG_PSTATUS]	 = { "PSTATUS",	     "b4w1q7",	   false, pstatus_ok },
	[BPROC_MSG_STOP]	 = { "STOP",	     "w1",	   false, stop_ok },
	[BPROC_MSG_CONT]	 = { "CONT",	     "",	   false, NULL },
	[BPROC_MSG_EXIT]	 = { "EXIT",	     "w2q2",	   false, exit_ok },
	[BPROC_MSG_PIDS]	 = { "PIDS",	     "w66",	   true,  pids_grant_ok },
	[BPROC_MSG_PIDS_WANT]	 = { "PIDS_WANT",    "w1",	   true,  want_ok },
	[BPROC_MSG_PIDS_FREE]	 = { "PIDS_FREE",    "w66",	   true,  pids_free_ok },
	[BPROC_MSG_FORK]	 = { "FORK",	     "w2",	   false, fork_ok },
	[BPROC_MSG_EXEC]	 = { "EXEC",	     "b16w2b4096", false, exec_ok },
};

/* --- the table ---------------------------------------------------------- */

static bool proc_known(uint16_t type)
{
	return type > 0 && type < BPROC_MSG_NTYPES && proc_kinds[type].dir &&
	       proc_rules[type].name;
}

const char *bp_proc_type_name(uint16_t type)
{
	return proc_known(type) ? proc_rules[type].name : NULL;
}

unsigned int bp_proc_type_dir(uint16_t type)
{
	return proc_known(type) ? proc_kinds[type].dir : 0;
}

uint32_t bp_proc_payload_size(uint16_t type)
{
	return proc_known(type) ? proc_kinds[type].size : 0;
}

const char *bp_proc_layout(uint16_t type)
{
	return proc_known(type) ? proc_rules[type].layout : NULL;
}

size_t bp_proc_layout_size(const char *layout)
{
	return bp_layout_size(layout);
}

size_t bp_proc_size(const struct bp_msg_proc *p)
{
	size_t n = PROC_HDR_LEN + bp_proc_payload_size(p->hdr.type);

	if (p->hdr.type == BPROC_MSG_REXEC)
		n += rexec_var_len(&p->rexec);
	return n;
}

/* The payload union: its members all start at the same address. */
static void *proc_payload(struct bp_msg_proc *p)
{
	return (uint8_t *)p + offsetof(struct bp_msg_proc, rexec);
}

static bool proc_fields_ok(const struct bp_msg_proc *p)
{
	const struct bproc_msg_hdr *h = &p->hdr;
	const struct proc_rules *pr;

	if (h->flags || !proc_known(h->type) ||
	    h->node < 0 || h->node > BP_WIRE_NODE_MAX)
		return false;
	pr = &proc_rules[h->type];
	if (pr->no_pid ? h->pid != 0 : h->pid < 1 || h->pid > PROC_PID_MAX)
		return false;
	if (pr->ok && !pr->ok(p))
		return false;
	return h->size == bp_proc_size(p);
}

static bool proc_ok(const struct bp_msg_proc *p)
{
	if (!proc_fields_ok(p))
		return false;
	if (p->hdr.type == BPROC_MSG_REXEC)
		return p->strs && rexec_strs_ok(&p->rexec, p->strs) &&
		       (!p->rexec.job_len || p->job);
	return true;
}

/* --- PROC on the wire --------------------------------------------------- */

static int decode_proc(struct bp_rd *r, struct bp_msg *m)
{
	struct bp_msg_proc *p = &m->proc;
	struct bproc_msg_hdr *h = &p->hdr;

	bp_rd_layout(r, PROC_HDR_LAYOUT, h);
	if (r->bad || h->size > PROC_HDR_LEN + r->left || !proc_known(h->type))
		return -EBADMSG;
	bp_rd_layout(r, proc_rules[h->type].layout, proc_payload(p));
	if (h->type == BPROC_MSG_REXEC) {
		if (r->bad || !rexec_counts_ok(&p->rexec))
			return -EBADMSG;
		for (uint32_t i = 0; i < p->rexec.ngroups; i++)
			p->gids[i] = bp_rd_u32(r);
		p->strs = (const char *)bp_rd_take(r, (size_t)p->rexec.cwd_len +
						   p->rexec.buf_len);
		/* A job is little-endian bytes already: carried as they are. */
		if (p->rexec.job_len)
			p->job = bp_rd_take(r, p->rexec.job_len);
	}
	if (r->bad || !proc_ok(p))
		return -EBADMSG;
	return 0;
}

static int encode_proc(struct bp_wr *w, const struct bp_msg *m)
{
	const struct bp_msg_proc *p = &m->proc;

	if (!proc_ok(p))
		return -EINVAL;
	bp_wr_layout(w, PROC_HDR_LAYOUT, &p->hdr);
	bp_wr_layout(w, proc_rules[p->hdr.type].layout,
		  proc_payload((struct bp_msg_proc *)p));
	if (p->hdr.type == BPROC_MSG_REXEC) {
		for (uint32_t i = 0; i < p->rexec.ngroups; i++)
			bp_wr_u32(w, p->gids[i]);
		bp_wr_bytes(w, p->strs, (size_t)p->rexec.cwd_len +
			    p->rexec.buf_len);
		bp_wr_bytes(w, p->job, p->rexec.job_len);
	}
	return 0;
}

/* A PROC's payload: the process message itself, header and all. */
static size_t proc_var_bound(const struct bp_msg *m)
{
	return bp_proc_size(&m->proc);
}

const struct bp_wire_desc bp_wire_proc_descs[] = {
	{ BP_MSG_PROC, "PROC", BP_DIR_TO_NODE | BP_DIR_TO_MASTER, 0, 0,
	  proc_var_bound, decode_proc, encode_proc },
	{ 0 }
};

/* --- the module's native form ------------------------------------------- */

int bp_proc_parse(const void *buf, size_t len, struct bp_msg_proc *p)
{
	const uint8_t *b = buf;
	size_t fixed, off;

	memset(p, 0, sizeof(*p));
	if (len < PROC_HDR_LEN)
		return -EBADMSG;
	memcpy(&p->hdr, b, PROC_HDR_LEN);
	if (p->hdr.size != len || !proc_known(p->hdr.type))
		return -EBADMSG;
	fixed = bp_proc_payload_size(p->hdr.type);
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
		off += (size_t)p->rexec.cwd_len + p->rexec.buf_len;
		if (p->rexec.job_len)
			p->job = b + off;
	}
	return proc_ok(p) ? 0 : -EBADMSG;
}

ssize_t bp_proc_build(const struct bp_msg_proc *p, void *buf, size_t cap)
{
	size_t len, fixed;
	uint8_t *b = buf;

	if (!proc_ok(p))
		return -EINVAL;
	len = bp_proc_size(p);
	fixed = bp_proc_payload_size(p->hdr.type);
	if (cap < len)
		return -ENOSPC;
	memcpy(b, &p->hdr, PROC_HDR_LEN);
	memcpy(b + PROC_HDR_LEN, proc_payload((struct bp_msg_proc *)p), fixed);
	if (p->hdr.type == BPROC_MSG_REXEC) {
		size_t g = (size_t)p->rexec.ngroups * 4;

		size_t sl = (size_t)p->rexec.cwd_len + p->rexec.buf_len;

		memcpy(b + PROC_HDR_LEN + fixed, p->gids, g);
		memcpy(b + PROC_HDR_LEN + fixed + g, p->strs, sl);
		if (p->rexec.job_len)
			memcpy(b + PROC_HDR_LEN + fixed + g + sl, p->job,
			       p->rexec.job_len);
	}
	return (ssize_t)len;
}
