// SPDX-License-Identifier: GPL-2.0
/*
 * The session family of wire messages (docs/protocol.md): HELLO,
 * WELCOME, REJECT, STATUS, PING, PONG, REQUEST and BYE. Each has its
 * row in bp_wire_session_descs and the encoder and decoder of its own
 * fields.
 */
#include <errno.h>

#include "bp_wire.h"
#include "wire_priv.h"

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

static bool reason_ok(uint32_t code)
{
	return code != BP_REASON_NONE && code <= BP_REASON_MAX;
}

static bool action_ok(uint32_t action)
{
	return action >= BP_ACTION_REBOOT && action <= BP_ACTION_MAX;
}

/* --- HELLO ------------------------------------------------------------- */

static bool hello_ok(const struct bp_msg_hello *h)
{
	if (h->cpus < 1 || h->cpus > BP_WIRE_CPUS_MAX)
		return false;
	if (h->hwaddr_len > BP_WIRE_HWADDR_LEN)
		return false;
	for (size_t i = h->hwaddr_len; i < BP_WIRE_HWADDR_LEN; i++)
		if (h->hwaddr[i])
			return false;
	switch (h->auth_method) {
	case BP_AUTH_NONE:
		return h->auth_len == 0;
	case BP_AUTH_KEY:
		return h->auth_len == BP_AUTH_KEY_AUTH_LEN;
	case BP_AUTH_ENROLL:
		return h->auth_len == BP_AUTH_PUB_LEN;
	default:
		/* a later method: the master refuses it by name */
		return h->auth_len <= BP_WIRE_AUTH_LEN;
	}
}

static int decode_hello(struct bp_rd *r, struct bp_msg *m)
{
	struct bp_msg_hello *h = &m->hello;
	const uint8_t *p;

	h->cpus = bp_rd_u32(r);
	h->auth_method = bp_rd_u32(r);
	h->mem_total = bp_rd_u64(r);
	h->boot_time = bp_rd_u64(r);
	h->hwaddr_len = bp_rd_u8(r);
	for (int i = 0; i < 3; i++)
		if (bp_rd_u8(r))
			return -EBADMSG;	/* reserved */
	p = bp_rd_take(r, BP_WIRE_HWADDR_LEN);
	if (p)
		memcpy(h->hwaddr, p, BP_WIRE_HWADDR_LEN);
	bp_rd_str(r, h->kernel, sizeof(h->kernel));
	bp_rd_str(r, h->modver, sizeof(h->modver));
	h->auth_len = bp_rd_u16(r);
	if (r->bad || h->auth_len > BP_WIRE_AUTH_LEN)
		return -EBADMSG;
	p = bp_rd_take(r, h->auth_len);
	if (p && h->auth_len)
		memcpy(h->auth, p, h->auth_len);
	if (r->bad || !hello_ok(h))
		return -EBADMSG;
	return 0;
}

static int encode_hello(struct bp_wr *w, const struct bp_msg *m)
{
	const struct bp_msg_hello *h = &m->hello;

	if (!hello_ok(h))
		return -EINVAL;
	bp_wr_u32(w, h->cpus);
	bp_wr_u32(w, h->auth_method);
	bp_wr_u64(w, h->mem_total);
	bp_wr_u64(w, h->boot_time);
	bp_wr_u8(w, h->hwaddr_len);
	bp_wr_bytes(w, "\0\0\0", 3);
	bp_wr_bytes(w, h->hwaddr, BP_WIRE_HWADDR_LEN);
	if (bp_wr_str(w, h->kernel, sizeof(h->kernel)) ||
	    bp_wr_str(w, h->modver, sizeof(h->modver)))
		return -EINVAL;
	bp_wr_u16(w, h->auth_len);
	bp_wr_bytes(w, h->auth, h->auth_len);
	return 0;
}

/* --- WELCOME ----------------------------------------------------------- */

static bool welcome_ok(const struct bp_msg_welcome *w)
{
	return w->node >= 0 && w->node <= BP_WIRE_NODE_MAX &&
	       w->ping_interval >= 1 &&
	       w->ping_interval <= BP_WIRE_INTERVAL_MAX &&
	       w->ping_timeout > w->ping_interval &&
	       w->ping_timeout <= BP_WIRE_TIMEOUT_MAX;
}

static int decode_welcome(struct bp_rd *r, struct bp_msg *m)
{
	m->welcome.node = (int32_t)bp_rd_u32(r);
	m->welcome.ping_interval = bp_rd_u32(r);
	m->welcome.ping_timeout = bp_rd_u32(r);
	if (bp_rd_u32(r))
		return -EBADMSG;	/* reserved */
	m->welcome.master_time = bp_rd_u64(r);
	if (r->bad || !welcome_ok(&m->welcome))
		return -EBADMSG;
	return 0;
}

static int encode_welcome(struct bp_wr *w, const struct bp_msg *m)
{
	if (!welcome_ok(&m->welcome))
		return -EINVAL;
	bp_wr_u32(w, (uint32_t)m->welcome.node);
	bp_wr_u32(w, m->welcome.ping_interval);
	bp_wr_u32(w, m->welcome.ping_timeout);
	bp_wr_u32(w, 0);
	bp_wr_u64(w, m->welcome.master_time);
	return 0;
}

/* --- REJECT and BYE ---------------------------------------------------- */

static int decode_reason(struct bp_rd *r, struct bp_msg *m)
{
	m->reason.code = bp_rd_u32(r);
	bp_rd_str(r, m->reason.text, sizeof(m->reason.text));
	if (r->bad || !reason_ok(m->reason.code))
		return -EBADMSG;
	return 0;
}

static int encode_reason(struct bp_wr *w, const struct bp_msg *m)
{
	if (!reason_ok(m->reason.code))
		return -EINVAL;
	bp_wr_u32(w, m->reason.code);
	return bp_wr_str(w, m->reason.text, sizeof(m->reason.text));
}

/* --- STATUS ------------------------------------------------------------ */

static int decode_status(struct bp_rd *r, struct bp_msg *m)
{
	for (int i = 0; i < 3; i++)
		m->status.load[i] = bp_rd_u32(r);
	m->status.procs = bp_rd_u32(r);
	m->status.mem_free = bp_rd_u64(r);
	m->status.uptime = bp_rd_u64(r);
	if (r->left) {		/* the fields appended after uptime */
		m->status.bprocs = bp_rd_u32(r);
		m->status.cache_used = bp_rd_u64(r);
		m->status.cache_size = bp_rd_u64(r);
	}
	return r->bad ? -EBADMSG : 0;
}

static int encode_status(struct bp_wr *w, const struct bp_msg *m)
{
	for (int i = 0; i < 3; i++)
		bp_wr_u32(w, m->status.load[i]);
	bp_wr_u32(w, m->status.procs);
	bp_wr_u64(w, m->status.mem_free);
	bp_wr_u64(w, m->status.uptime);
	bp_wr_u32(w, m->status.bprocs);
	bp_wr_u64(w, m->status.cache_used);
	bp_wr_u64(w, m->status.cache_size);
	return 0;
}

/* --- PING and PONG ----------------------------------------------------- */

static int decode_ping(struct bp_rd *r, struct bp_msg *m)
{
	m->ping.time = bp_rd_u64(r);
	return r->bad ? -EBADMSG : 0;
}

static int encode_ping(struct bp_wr *w, const struct bp_msg *m)
{
	bp_wr_u64(w, m->ping.time);
	return 0;
}

/* --- REQUEST ----------------------------------------------------------- */

static int decode_request(struct bp_rd *r, struct bp_msg *m)
{
	m->request.action = bp_rd_u32(r);
	if (bp_rd_u32(r))
		return -EBADMSG;	/* reserved */
	if (r->bad || !action_ok(m->request.action))
		return -EBADMSG;
	return 0;
}

static int encode_request(struct bp_wr *w, const struct bp_msg *m)
{
	if (!action_ok(m->request.action))
		return -EINVAL;
	bp_wr_u32(w, m->request.action);
	bp_wr_u32(w, 0);
	return 0;
}

#define STR(len)	(2 + (len) - 1)		/* a string field at its longest */

const struct bp_wire_desc bp_wire_session_descs[] = {
	{ BP_MSG_HELLO, "HELLO", BP_DIR_TO_MASTER, 36,
	  STR(BP_WIRE_KERNEL_LEN) + STR(BP_WIRE_MODVER_LEN) + 2 + BP_WIRE_AUTH_LEN,
	  NULL, decode_hello, encode_hello },
	{ BP_MSG_WELCOME, "WELCOME", BP_DIR_TO_NODE, 24, 0,
	  NULL, decode_welcome, encode_welcome },
	{ BP_MSG_REJECT, "REJECT", BP_DIR_TO_NODE, 4, STR(BP_WIRE_TEXT_LEN),
	  NULL, decode_reason, encode_reason },
	{ BP_MSG_STATUS, "STATUS", BP_DIR_TO_MASTER, 32, 0,
	  NULL, decode_status, encode_status },
	{ BP_MSG_PING, "PING", BP_DIR_TO_NODE | BP_DIR_TO_MASTER, 8, 0,
	  NULL, decode_ping, encode_ping },
	{ BP_MSG_PONG, "PONG", BP_DIR_TO_NODE | BP_DIR_TO_MASTER, 8, 0,
	  NULL, decode_ping, encode_ping },
	{ BP_MSG_REQUEST, "REQUEST", BP_DIR_TO_NODE, 8, 0,
	  NULL, decode_request, encode_request },
	{ BP_MSG_BYE, "BYE", BP_DIR_TO_NODE | BP_DIR_TO_MASTER, 4,
	  STR(BP_WIRE_TEXT_LEN), NULL, decode_reason, encode_reason },
	{ 0 }
};
