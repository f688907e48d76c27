// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of PROC messages: wire round trips of every process
 * message type, the documented byte layout, a REXEC of the largest size,
 * truncated and malformed input, and the module's native form
 * (bp_proc_parse()/bp_proc_build()).
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bp_stream.h"
#include "bp_wire.h"
#include "bproc-test/tap.h"

#define BIG	(BP_WIRE_MAX_MSG)

static uint8_t wbuf[BIG], wbuf2[BIG];

/* "/home/u\0" + "/bin/sh\0sh\0-c\0echo hi\0PATH=/bin\0" */
static const char strs[] = "/home/u\0/bin/sh\0sh\0-c\0echo hi\0PATH=/bin";
#define CWD_LEN	8
#define BUF_LEN	(sizeof(strs) - CWD_LEN)

/* A job's bytes as bpsh hands them: a little-endian size, then anything. */
static uint8_t job[BPROC_JOB_SIZE_VER0 + 8];

static struct bp_msg sample(uint16_t ptype)
{
	struct bp_msg m = { .type = BP_MSG_PROC };
	struct bp_msg_proc *p = &m.proc;

	p->hdr.type = ptype;
	p->hdr.node = 3;
	p->hdr.pid = 4242;
	p->hdr.id = 0x1122334455667788ull;
	switch (ptype) {
	case BPROC_MSG_REXEC:
		p->rexec.ppid = 4000;
		p->rexec.pgid = 4000;
		p->rexec.sid = 3999;
		p->rexec.uid = 1000;
		p->rexec.euid = 1000;
		p->rexec.gid = 100;
		p->rexec.egid = 101;
		p->rexec.ngroups = 2;
		p->gids[0] = 100;
		p->gids[1] = 27;
		p->rexec.argc = 3;
		p->rexec.envc = 1;
		p->rexec.cwd_len = CWD_LEN;
		p->rexec.buf_len = BUF_LEN;
		p->strs = strs;
		/* The rest of the caller's identity, and a job. */
		p->rexec.suid = p->rexec.fsuid = 1000;
		p->rexec.sgid = p->rexec.fsgid = 101;
		p->rexec.flags = BPROC_REXEC_NO_NEW_PRIVS;
		p->rexec.securebits = 0x2f;
		p->rexec.umask = 022;
		p->rexec.cap_bset = (1ull << 41) - 1;
		p->rexec.cap_ambient = 1ull << 12;
		for (int i = 0; i < BPROC_RLIMITS; i++) {
			p->rexec.rlim[i].cur = 1000 + (uint64_t)i;
			p->rexec.rlim[i].max = i ? ~0ull : 2000;
		}
		memset(job, 0x5a, sizeof(job));
		job[0] = (uint8_t)sizeof(job);
		job[1] = (uint8_t)(sizeof(job) >> 8);
		job[2] = job[3] = 0;
		p->rexec.job_len = sizeof(job);
		p->job = job;
		break;
	case BPROC_MSG_REXEC_RESULT:
		p->error = ENOENT;
		break;
	case BPROC_MSG_SIGNAL:
		p->signal.size = sizeof(p->signal);
		p->signal.pid = 4242;
		p->signal.signo = 10;
		for (int i = 0; i < BPROC_SIGINFO_LEN; i++)
			p->signal.siginfo[i] = (uint8_t)(i * 7);
		break;
	case BPROC_MSG_PSTATUS:
		p->pstatus.state = 'S';
		p->pstatus.threads = 3;
		p->pstatus.utime_ns = 120000000;
		p->pstatus.stime_ns = 30000000;
		p->pstatus.start_ns = 987654321000ull;
		p->pstatus.vsize = 4ull << 20;
		p->pstatus.rss = 1ull << 20;
		p->pstatus.minflt = 77;
		p->pstatus.majflt = 2;
		break;
	case BPROC_MSG_STOP:
		p->signo = 19;
		break;
	case BPROC_MSG_CONT:
		break;
	case BPROC_MSG_EXIT:
		p->exit.status = 0x0100;
		p->exit.utime_ns = 5;
		p->exit.stime_ns = 6;
		break;
	case BPROC_MSG_PIDS:
	case BPROC_MSG_PIDS_FREE:
		p->hdr.pid = 0;
		p->pids.count = 2;
		p->pids.pids[0] = 300;
		p->pids.pids[1] = 4194304;
		break;
	case BPROC_MSG_PIDS_WANT:
		p->hdr.pid = 0;
		p->want = BPROC_PIDS_MAX;
		break;
	case BPROC_MSG_FORK:
		p->fork.ppid = 4000;
		p->fork.node_pid = 77;
		break;
	case BPROC_MSG_EXEC:
		strcpy(p->exec.comm, "sleep");
		p->exec.argc = 2;
		p->exec.len = sizeof("sleep\0" "60");
		memcpy(p->exec.args, "sleep\0" "60", p->exec.len);
		break;
	}
	p->hdr.size = (uint32_t)bp_proc_size(p);
	return m;
}

static bool proc_equal(const struct bp_msg_proc *a, const struct bp_msg_proc *b)
{
	size_t fixed;

	if (memcmp(&a->hdr, &b->hdr, sizeof(a->hdr)))
		return false;
	fixed = a->hdr.size - sizeof(a->hdr);
	if (a->hdr.type == BPROC_MSG_REXEC) {
		const struct bproc_msg_rexec *x = &a->rexec;

		return !memcmp(&a->rexec, &b->rexec, sizeof(a->rexec)) &&
		       !memcmp(a->gids, b->gids, x->ngroups * 4) &&
		       !memcmp(a->strs, b->strs, x->cwd_len + x->buf_len) &&
		       !memcmp(a->job, b->job, x->job_len);
	}
	return !memcmp(&a->rexec, &b->rexec, fixed);
}

static void test_round_trip(struct tap *t)
{
	for (uint16_t ty = 1; ty < BPROC_MSG_NTYPES; ty++) {
		struct bp_msg in = sample(ty), out;
		static uint8_t native[BPROC_MSG_MAX];
		struct bp_msg_proc back;
		ssize_t n = bp_wire_encode(&in, wbuf, sizeof(wbuf)), k;
		int ret = n > 0 ? bp_wire_decode(wbuf, (size_t)n, &out) : -1;

		tap_ok(t, n == BP_WIRE_HDR_LEN + (ssize_t)in.proc.hdr.size &&
		       ret == 0 && out.type == BP_MSG_PROC &&
		       proc_equal(&in.proc, &out.proc),
		       "PROC %s round trip (%zd bytes)", bp_proc_type_name(ty), n);
		k = bp_proc_build(&in.proc, native, sizeof(native));
		tap_ok(t, k == (ssize_t)in.proc.hdr.size &&
		       bp_proc_parse(native, (size_t)k, &back) == 0 &&
		       proc_equal(&in.proc, &back),
		       "PROC %s native build/parse round trip",
		       bp_proc_type_name(ty));
		/* On a little-endian host the wire payload is the native form. */
		if (htole32(1) == 1)
			tap_ok(t, k > 0 && !memcmp(native, wbuf + BP_WIRE_HDR_LEN,
						   (size_t)k),
			       "PROC %s payload equals the module's bytes",
			       bp_proc_type_name(ty));
		tap_ok(t, k > 0 && bp_proc_parse(native, (size_t)k - 1, &back) ==
		       -EBADMSG, "PROC %s native form one byte short is refused",
		       bp_proc_type_name(ty));
	}
	tap_ok(t, !bp_proc_type_name(0) && !bp_proc_type_name(BPROC_MSG_NTYPES) &&
	       !strcmp(bp_wire_type_name(BP_MSG_PROC), "PROC"), "type names");
}

static void test_layout(struct tap *t)
{
	static const uint8_t want[] = {
		'B', 'P', 'R', 'C', 1, 0, 0x10, 0x00,	/* magic, v1, PROC */
		28, 0, 0, 0, 0, 0, 0, 0,		/* length 28, id 0 */
		28, 0, 0, 0, 2, 0, 0, 0,		/* size, REXEC_RESULT, flags */
		3, 0, 0, 0, 0x92, 0x10, 0, 0,		/* node 3, pid 4242 */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/* id */
		2, 0, 0, 0,				/* ENOENT */
	};
	struct bp_msg m = sample(BPROC_MSG_REXEC_RESULT);
	ssize_t n = bp_wire_encode(&m, wbuf, sizeof(wbuf));

	tap_ok(t, n == sizeof(want) && !memcmp(wbuf, want, sizeof(want)),
	       "REXEC_RESULT encodes to the documented little-endian bytes");
}

static void test_truncated(struct tap *t)
{
	for (uint16_t ty = 1; ty < BPROC_MSG_NTYPES; ty++) {
		struct bp_msg in = sample(ty), out;
		ssize_t n = bp_wire_encode(&in, wbuf, sizeof(wbuf));
		bool ok = n > 0;

		for (ssize_t k = 0; ok && k < n - BP_WIRE_HDR_LEN; k++) {
			memcpy(wbuf2, wbuf, (size_t)n);
			wbuf2[8] = (uint8_t)k;
			wbuf2[9] = (uint8_t)(k >> 8);
			if (bp_wire_decode(wbuf2, BP_WIRE_HDR_LEN + (size_t)k,
					   &out) != -EBADMSG)
				ok = false;
		}
		tap_ok(t, ok, "PROC %s: every shortened payload is refused",
		       bp_proc_type_name(ty));
	}
}

static void set_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* Offsets in the encoded message: wire header 16, proc header 24. */
#define H	BP_WIRE_HDR_LEN
#define P	(BP_WIRE_HDR_LEN + 24)
/* A REXEC's groups (2 of them in the sample) and strings start here. */
#define RX	sizeof(struct bproc_msg_rexec)
#define RS	(RX + 8)

struct mutation {
	uint16_t ptype;
	const char *what;
	size_t off;		/* byte to change */
	uint32_t val;		/* new little-endian u32 (or byte when width 1) */
	int width;
};

static const struct mutation mutations[] = {
	{ BPROC_MSG_REXEC_RESULT, "proc size one too large", H + 0, 29, 4 },
	{ BPROC_MSG_REXEC_RESULT, "proc size one too small", H + 0, 27, 4 },
	{ BPROC_MSG_REXEC_RESULT, "proc type 0", H + 4, 0, 1 },
	{ BPROC_MSG_REXEC_RESULT, "proc type 12", H + 4, 12, 1 },
	{ BPROC_MSG_REXEC_RESULT, "proc type PIDS_WANT (size, pid)", H + 4,
	  BPROC_MSG_PIDS_WANT, 1 },
	{ BPROC_MSG_REXEC_RESULT, "proc flags", H + 6, 1, 1 },
	{ BPROC_MSG_REXEC_RESULT, "node -1", H + 8, 0xffffffffu, 4 },
	{ BPROC_MSG_REXEC_RESULT, "node 65536", H + 8, 65536, 4 },
	{ BPROC_MSG_REXEC_RESULT, "pid 0", H + 12, 0, 4 },
	{ BPROC_MSG_REXEC_RESULT, "pid -5", H + 12, 0xfffffffbu, 4 },
	{ BPROC_MSG_REXEC_RESULT, "pid over PID_MAX_LIMIT", H + 12, 4194305, 4 },
	{ BPROC_MSG_REXEC_RESULT, "error -1", P, 0xffffffffu, 4 },
	{ BPROC_MSG_REXEC_RESULT, "error 4096", P, 4096, 4 },
	{ BPROC_MSG_SIGNAL, "signo 0", P + 8, 0, 4 },
	{ BPROC_MSG_SIGNAL, "signo 65", P + 8, 65, 4 },
	{ BPROC_MSG_SIGNAL, "signal padding", P + 12, 1, 4 },
	{ BPROC_MSG_PSTATUS, "state is a control byte", P, '\n', 1 },
	{ BPROC_MSG_PSTATUS, "state is NUL", P, 0, 1 },
	{ BPROC_MSG_PSTATUS, "pstatus padding", P + 2, 1, 1 },
	{ BPROC_MSG_STOP, "stop signo 0", P, 0, 4 },
	{ BPROC_MSG_STOP, "stop signo 100", P, 100, 4 },
	{ BPROC_MSG_EXIT, "exit status over 16 bits", P, 0x10000, 4 },
	{ BPROC_MSG_EXIT, "exit padding", P + 4, 1, 4 },
	{ BPROC_MSG_CONT, "cont with size 28", H + 0, 28, 4 },
	{ BPROC_MSG_PIDS, "pids with a pid", H + 12, 5, 4 },
	{ BPROC_MSG_PIDS, "pids count 65", P, 65, 4 },
	{ BPROC_MSG_PIDS, "pids padding", P + 4, 1, 4 },
	{ BPROC_MSG_PIDS, "pids number 0 within count", P + 8, 0, 4 },
	{ BPROC_MSG_PIDS, "pids number over PID_MAX_LIMIT", P + 8, 4194305, 4 },
	{ BPROC_MSG_PIDS, "pids number past count", P + 16, 7, 4 },
	{ BPROC_MSG_PIDS_FREE, "pids_free count 0", P, 0, 4 },
	{ BPROC_MSG_PIDS_WANT, "pids_want 0", P, 0, 4 },
	{ BPROC_MSG_PIDS_WANT, "pids_want 65", P, 65, 4 },
	{ BPROC_MSG_PIDS_WANT, "pids_want with a pid", H + 12, 1, 4 },
	{ BPROC_MSG_EXEC, "exec comm without a NUL", P + 15, 'x', 1 },
	{ BPROC_MSG_EXEC, "exec argc one too many", P + 16, 3, 4 },
	{ BPROC_MSG_EXEC, "exec argc one too few", P + 16, 1, 4 },
	{ BPROC_MSG_EXEC, "exec len over 4096", P + 20, 4097, 4 },
	{ BPROC_MSG_EXEC, "exec args not NUL-terminated", P + 20, 8, 4 },
	{ BPROC_MSG_EXEC, "exec a byte past len", P + 24 + 9, 'x', 1 },
	{ BPROC_MSG_FORK, "fork pid 0", H + 12, 0, 4 },
	{ BPROC_MSG_FORK, "fork ppid 0", P, 0, 4 },
	{ BPROC_MSG_FORK, "fork ppid is the child", P, 4242, 4 },
	{ BPROC_MSG_FORK, "fork node_pid -1", P + 4, 0xffffffffu, 4 },
	{ BPROC_MSG_REXEC, "rexec ppid -1", P + 0, 0xffffffffu, 4 },
	{ BPROC_MSG_REXEC, "rexec uid -1", P + 12, 0xffffffffu, 4 },
	{ BPROC_MSG_REXEC, "rexec egid -1", P + 24, 0xffffffffu, 4 },
	{ BPROC_MSG_REXEC, "rexec ngroups 257", P + 28, 257, 4 },
	{ BPROC_MSG_REXEC, "rexec ngroups 3 (size mismatch)", P + 28, 3, 4 },
	{ BPROC_MSG_REXEC, "rexec argc one too many", P + 32, 4, 4 },
	{ BPROC_MSG_REXEC, "rexec envc one too few", P + 36, 0, 4 },
	{ BPROC_MSG_REXEC, "rexec argc huge", P + 32, 0xfffffffeu, 4 },
	{ BPROC_MSG_REXEC, "rexec cwd_len 0", P + 40, 0, 4 },
	{ BPROC_MSG_REXEC, "rexec cwd_len over 4096", P + 40, 4097, 4 },
	{ BPROC_MSG_REXEC, "rexec buf_len over the limit", P + 44,
	  BPROC_REXEC_MAX + 1, 4 },
	{ BPROC_MSG_REXEC, "rexec group -1", P + RX + 4, 0xffffffffu, 4 },
	{ BPROC_MSG_REXEC, "rexec suid -1", P + 48, 0xffffffffu, 4 },
	{ BPROC_MSG_REXEC, "rexec unknown flag", P + 64, 3, 4 },
	{ BPROC_MSG_REXEC, "rexec securebits 0x100", P + 68, 0x100, 4 },
	{ BPROC_MSG_REXEC, "rexec umask 01000", P + 72, 01000, 4 },
	{ BPROC_MSG_REXEC, "rexec job of 100 bytes", P + 76, 100, 4 },
	{ BPROC_MSG_REXEC, "rexec job over the limit", P + 76,
	  BPROC_JOB_MAX + 1, 4 },
	{ BPROC_MSG_REXEC, "rexec capability 41", P + 80 + 5, 2, 1 },
	{ BPROC_MSG_REXEC, "rexec rlimit above its maximum", P + 120, 3000, 4 },
	{ BPROC_MSG_REXEC, "rexec cwd not NUL-terminated", P + RS + 7, 'x', 1 },
	{ BPROC_MSG_REXEC, "rexec cwd with a NUL inside", P + RS + 2, 0, 1 },
	{ BPROC_MSG_REXEC, "rexec empty path", P + RS + CWD_LEN, 0, 1 },
	{ BPROC_MSG_REXEC, "rexec strings not NUL-terminated",
	  P + RS + sizeof(strs) - 1, 'x', 1 },
	{ BPROC_MSG_REXEC, "rexec an extra NUL in argv", P + RS + CWD_LEN + 18,
	  0, 1 },
};

static void test_malformed(struct tap *t)
{
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		const struct mutation *mu = &mutations[i];
		struct bp_msg in = sample(mu->ptype), out;
		ssize_t n = bp_wire_encode(&in, wbuf, sizeof(wbuf));
		struct bp_msg_proc np;
		int wret, nret;

		if (mu->width == 4)
			set_le32(wbuf + mu->off, mu->val);
		else
			wbuf[mu->off] = (uint8_t)mu->val;
		wret = bp_wire_decode(wbuf, (size_t)n, &out);
		/* Same bytes as the module would hand them (little-endian). */
		nret = htole32(1) == 1 ?
		       bp_proc_parse(wbuf + H, (size_t)n - H, &np) : -EBADMSG;
		tap_ok(t, n > 0 && wret == -EBADMSG && nret == -EBADMSG,
		       "PROC %s refused (wire %d, native %d)", mu->what, wret,
		       nret);
	}
}

static void test_encode_checks(struct tap *t)
{
	struct bp_msg m = sample(BPROC_MSG_EXIT);

	m.proc.exit.status = -1;
	tap_ok(t, bp_wire_encode(&m, wbuf, sizeof(wbuf)) == -EINVAL &&
	       bp_proc_build(&m.proc, wbuf, sizeof(wbuf)) == -EINVAL,
	       "encoder refuses an out-of-range EXIT status");
	m = sample(BPROC_MSG_REXEC);
	m.proc.hdr.size++;
	tap_ok(t, bp_wire_encode(&m, wbuf, sizeof(wbuf)) == -EINVAL,
	       "encoder refuses an inconsistent size");
	m = sample(BPROC_MSG_REXEC);
	tap_ok(t, bp_wire_encode(&m, wbuf, 100) == -ENOSPC &&
	       bp_proc_build(&m.proc, wbuf, 100) == -ENOSPC,
	       "encoder reports -ENOSPC for a short buffer");
}

/* REXEC at every limit: 256 groups, a 4095-byte cwd, 256 KiB of strings. */
static void test_max_rexec(struct tap *t)
{
	static char big[BP_PROC_CWD_MAX + BPROC_REXEC_MAX];
	static struct bp_msg in, out;
	struct bp_rx rx;
	struct bp_tx tx;
	size_t nargs = 0;
	ssize_t n;
	int ret;

	memset(big, 'c', BP_PROC_CWD_MAX - 1);
	big[0] = '/';
	big[BP_PROC_CWD_MAX - 1] = '\0';
	/* path\0 then "aaa...\0" strings of 1023 bytes */
	for (size_t i = 0; i < BPROC_REXEC_MAX; i++)
		big[BP_PROC_CWD_MAX + i] = (i % 1024 == 1023) ? '\0' : 'a';
	nargs = BPROC_REXEC_MAX / 1024;
	in = sample(BPROC_MSG_REXEC);
	in.proc.rexec.ngroups = BPROC_NGROUPS_MAX;
	for (int i = 0; i < BPROC_NGROUPS_MAX; i++)
		in.proc.gids[i] = (uint32_t)i;
	in.proc.rexec.cwd_len = BP_PROC_CWD_MAX;
	in.proc.rexec.buf_len = BPROC_REXEC_MAX;
	in.proc.rexec.argc = (uint32_t)nargs - 11;
	in.proc.rexec.envc = 10;
	in.proc.strs = big;
	in.proc.hdr.size = (uint32_t)bp_proc_size(&in.proc);
	n = bp_wire_encode(&in, wbuf, sizeof(wbuf));
	ret = n > 0 ? bp_wire_decode(wbuf, (size_t)n, &out) : -1;
	tap_ok(t, n > 0 && (size_t)n <= BP_WIRE_MAX_MSG &&
	       in.proc.hdr.size <= BPROC_MSG_MAX && ret == 0 &&
	       proc_equal(&in.proc, &out.proc),
	       "largest REXEC (%zd bytes) round-trips within BP_WIRE_MAX_MSG",
	       n);
	tap_ok(t, n > 0 && bp_wire_enc_bound(&in) >= (size_t)n,
	       "bp_wire_enc_bound covers it");

	/* Through the send queue and the stream framer. */
	bp_tx_init(&tx);
	bp_rx_init(&rx);
	ret = bp_tx_queue(&tx, &in);
	if (!ret)
		ret = bp_rx_feed(&rx, tx.buf + tx.off, bp_tx_pending(&tx));
	if (!ret)
		ret = bp_rx_next(&rx, &out, NULL);
	tap_ok(t, ret == 1 && proc_equal(&in.proc, &out.proc),
	       "largest REXEC through bp_tx_queue and bp_rx_next");
	bp_tx_free(&tx);
	bp_rx_free(&rx);

	in.proc.rexec.buf_len++;
	in.proc.hdr.size++;
	tap_ok(t, bp_wire_encode(&in, wbuf, sizeof(wbuf)) == -EINVAL,
	       "a REXEC with 256 KiB + 1 of strings is refused");
}

int main(void)
{
	struct tap t = { 0 };

	test_round_trip(&t);
	test_layout(&t);
	test_truncated(&t);
	test_malformed(&t);
	test_encode_checks(&t);
	test_max_rexec(&t);
	return tap_done(&t);
}
