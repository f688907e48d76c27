// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the wire codec and the stream framing: round trips,
 * exact byte layout, and malformed, truncated, oversized, unknown and
 * wrong-version input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bp_stream.h"
#include "bp_wire.h"
#include "bproc-test/tap.h"

static struct bp_msg sample(uint16_t type)
{
	struct bp_msg m = { .type = type, .id = 0x01020304 };

	switch (type) {
	case BP_MSG_HELLO:
		m.hello.cpus = 4;
		m.hello.mem_total = 0x123456789ull;
		m.hello.boot_time = 1732250000123456789ull;
		m.hello.hwaddr_len = 6;
		memcpy(m.hello.hwaddr, "\x52\x54\x00\x12\x34\x56", 6);
		strcpy(m.hello.kernel, "6.12.117-bproc");
		strcpy(m.hello.modver, "0.1");
		break;
	case BP_MSG_WELCOME:
		m.welcome.node = 17;
		m.welcome.ping_interval = 5000;
		m.welcome.ping_timeout = 30000;
		m.welcome.master_time = 1732250000000000000ull;
		break;
	case BP_MSG_REJECT:
		m.reason.code = BP_REASON_RANGE;
		strcpy(m.reason.text, "10.0.0.9 is not in any iprange");
		break;
	case BP_MSG_BYE:
		m.reason.code = BP_REASON_REBOOT;
		strcpy(m.reason.text, "reboot requested");
		break;
	case BP_MSG_STATUS:
		m.status.load[0] = 12;
		m.status.load[1] = 345;
		m.status.load[2] = 6789;
		m.status.procs = 42;
		m.status.mem_free = 0xfedcba9876ull;
		m.status.uptime = 123456789012ull;
		m.status.bprocs = 7;
		m.status.cache_used = 0x123456789ull;
		m.status.cache_size = 0x987654321ull;
		break;
	case BP_MSG_PING:
	case BP_MSG_PONG:
		m.ping.time = 0x1122334455667788ull;
		break;
	case BP_MSG_REQUEST:
		m.request.action = BP_ACTION_POWEROFF;
		break;
	}
	return m;
}

static const uint16_t all_types[] = {
	BP_MSG_HELLO, BP_MSG_WELCOME, BP_MSG_REJECT, BP_MSG_STATUS,
	BP_MSG_PING, BP_MSG_PONG, BP_MSG_REQUEST, BP_MSG_BYE,
};

#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

static bool msg_equal(const struct bp_msg *a, const struct bp_msg *b)
{
	if (a->type != b->type || a->id != b->id)
		return false;
	switch (a->type) {
	case BP_MSG_HELLO:
		return a->hello.cpus == b->hello.cpus &&
		       a->hello.auth_method == b->hello.auth_method &&
		       a->hello.mem_total == b->hello.mem_total &&
		       a->hello.boot_time == b->hello.boot_time &&
		       a->hello.hwaddr_len == b->hello.hwaddr_len &&
		       !memcmp(a->hello.hwaddr, b->hello.hwaddr,
			       sizeof(a->hello.hwaddr)) &&
		       !strcmp(a->hello.kernel, b->hello.kernel) &&
		       !strcmp(a->hello.modver, b->hello.modver) &&
		       a->hello.auth_len == b->hello.auth_len &&
		       !memcmp(a->hello.auth, b->hello.auth, a->hello.auth_len);
	case BP_MSG_WELCOME:
		return !memcmp(&a->welcome, &b->welcome, sizeof(a->welcome));
	case BP_MSG_REJECT:
	case BP_MSG_BYE:
		return a->reason.code == b->reason.code &&
		       !strcmp(a->reason.text, b->reason.text);
	case BP_MSG_STATUS:
		return !memcmp(&a->status, &b->status, sizeof(a->status));
	case BP_MSG_PING:
	case BP_MSG_PONG:
		return a->ping.time == b->ping.time;
	case BP_MSG_REQUEST:
		return a->request.action == b->request.action;
	}
	return false;
}

static void test_round_trip(struct tap *t)
{
	for (size_t i = 0; i < NTYPES; i++) {
		struct bp_msg in = sample(all_types[i]), out;
		uint8_t buf[BP_WIRE_ENC_MAX];
		ssize_t n = bp_wire_encode(&in, buf, sizeof(buf));
		int ret = n > 0 ? bp_wire_decode(buf, (size_t)n, &out) : -1;

		tap_ok(t, n > 0 && ret == 0 && msg_equal(&in, &out),
		       "%s round trip (%zd bytes)",
		       bp_wire_type_name(in.type), n);
	}
}

/* Every action of REQUEST, CACHE_PURGE included, round-trips. */
static void test_actions(struct tap *t)
{
	static const char *const names[] = {
		[BP_ACTION_REBOOT] = "REBOOT", [BP_ACTION_HALT] = "HALT",
		[BP_ACTION_POWEROFF] = "POWEROFF",
		[BP_ACTION_CACHE_PURGE] = "CACHE_PURGE",
	};

	tap_ok(t, BP_ACTION_CACHE_PURGE == 4 && BP_ACTION_MAX == 4,
	       "CACHE_PURGE is action 4, the last one");
	for (uint32_t a = BP_ACTION_REBOOT; a <= BP_ACTION_MAX; a++) {
		struct bp_msg in = sample(BP_MSG_REQUEST), out;
		uint8_t buf[BP_WIRE_ENC_MAX];
		ssize_t n;

		in.request.action = a;
		n = bp_wire_encode(&in, buf, sizeof(buf));
		tap_ok(t, n > 0 && bp_wire_decode(buf, (size_t)n, &out) == 0 &&
		       msg_equal(&in, &out),
		       "REQUEST %s round trip", names[a]);
	}
}

static void test_max_fields(struct tap *t)
{
	struct bp_msg in = sample(BP_MSG_HELLO), out;
	uint8_t buf[BP_WIRE_ENC_MAX];
	ssize_t n;

	memset(in.hello.kernel, 'k', BP_WIRE_KERNEL_LEN - 1);
	in.hello.kernel[BP_WIRE_KERNEL_LEN - 1] = '\0';
	memset(in.hello.modver, 'm', BP_WIRE_MODVER_LEN - 1);
	in.hello.modver[BP_WIRE_MODVER_LEN - 1] = '\0';
	in.hello.hwaddr_len = BP_WIRE_HWADDR_LEN;
	memset(in.hello.hwaddr, 0xab, BP_WIRE_HWADDR_LEN);
	in.hello.cpus = BP_WIRE_CPUS_MAX;
	in.hello.auth_method = 7;	/* a method to come */
	in.hello.auth_len = BP_WIRE_AUTH_LEN;
	for (int i = 0; i < BP_WIRE_AUTH_LEN; i++)
		in.hello.auth[i] = (uint8_t)i;
	n = bp_wire_encode(&in, buf, sizeof(buf));
	tap_ok(t, n > 0 && bp_wire_decode(buf, (size_t)n, &out) == 0 &&
	       msg_equal(&in, &out),
	       "HELLO with every field at its maximum round-trips");

	in = sample(BP_MSG_BYE);
	memset(in.reason.text, 'x', BP_WIRE_TEXT_LEN - 1);
	in.reason.text[BP_WIRE_TEXT_LEN - 1] = '\0';
	strncpy(in.reason.text, "UTF-8 \xc3\xa9 ok", 12);
	n = bp_wire_encode(&in, buf, sizeof(buf));
	tap_ok(t, n > 0 && bp_wire_decode(buf, (size_t)n, &out) == 0 &&
	       msg_equal(&in, &out), "BYE with 255-byte UTF-8 text round-trips");
}

static void test_layout(struct tap *t)
{
	static const uint8_t want[] = {
		'B', 'P', 'R', 'C', 1, 0, 0x05, 0x00,	/* magic, v1, PING */
		8, 0, 0, 0, 0x04, 0x03, 0x02, 0x01,	/* length 8, id */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
	};
	static const uint8_t welcome[] = {
		'B', 'P', 'R', 'C', 1, 0, 0x02, 0x00,
		24, 0, 0, 0, 0x04, 0x03, 0x02, 0x01,
		17, 0, 0, 0, 0x88, 0x13, 0, 0,		/* node 17, 5000 ms */
		0x30, 0x75, 0, 0, 0, 0, 0, 0,		/* 30000 ms, reserved */
		0x00, 0xa0, 0x2b, 0x78, 0x32, 0x30, 0x0a, 0x18,
	};
	struct bp_msg m = sample(BP_MSG_PING);
	uint8_t buf[64];
	ssize_t n = bp_wire_encode(&m, buf, sizeof(buf));

	tap_ok(t, n == sizeof(want) && !memcmp(buf, want, sizeof(want)),
	       "PING encodes to the documented little-endian bytes");
	m = sample(BP_MSG_WELCOME);
	n = bp_wire_encode(&m, buf, sizeof(buf));
	tap_ok(t, n == sizeof(welcome) && !memcmp(buf, welcome, sizeof(welcome)),
	       "WELCOME encodes to the documented little-endian bytes");
}

/* STATUS as the first version sent it: the fields after uptime */
#define STATUS_LEN_V1	32

/* A node that does not send STATUS's appended fields reports them as 0. */
static void test_status_appended(struct tap *t)
{
	struct bp_msg in = sample(BP_MSG_STATUS), out;
	uint8_t buf[BP_WIRE_ENC_MAX];
	ssize_t n = bp_wire_encode(&in, buf, sizeof(buf));

	tap_ok(t, n == BP_WIRE_HDR_LEN + STATUS_LEN_V1 + 20,
	       "STATUS: 20 bytes appended after uptime (%zd)", n);
	buf[8] = STATUS_LEN_V1;
	buf[9] = 0;
	tap_ok(t, bp_wire_decode(buf, BP_WIRE_HDR_LEN + STATUS_LEN_V1, &out) == 0 &&
	       out.status.uptime == in.status.uptime && !out.status.bprocs &&
	       !out.status.cache_used && !out.status.cache_size,
	       "STATUS without the appended fields: decoded, those are 0");
}

/* Every strict prefix of every message must be refused. */
static void test_truncated(struct tap *t)
{
	for (size_t i = 0; i < NTYPES; i++) {
		struct bp_msg in = sample(all_types[i]), out;
		uint8_t buf[BP_WIRE_ENC_MAX];
		struct bp_wire_hdr hdr;
		ssize_t n = bp_wire_encode(&in, buf, sizeof(buf));
		bool stream_ok = true, payload_ok = true;

		for (ssize_t k = 0; k < n; k++) {
			ssize_t p = bp_wire_peek(buf, (size_t)k, &hdr);

			if (!(p == 0 || p == n) ||
			    bp_wire_decode(buf, (size_t)k, &out) != -EBADMSG)
				stream_ok = false;
		}
		/* Header claims a shorter payload: fields are missing. */
		for (ssize_t k = 0; k < n - BP_WIRE_HDR_LEN; k++) {
			uint8_t cut[BP_WIRE_ENC_MAX];

			if (in.type == BP_MSG_STATUS && k == STATUS_LEN_V1)
				continue;	/* a node before the appended fields */
			memcpy(cut, buf, (size_t)n);
			cut[8] = (uint8_t)k;
			cut[9] = (uint8_t)(k >> 8);
			if (bp_wire_decode(cut, BP_WIRE_HDR_LEN + (size_t)k,
					   &out) != -EBADMSG)
				payload_ok = false;
		}
		tap_ok(t, stream_ok, "%s: every truncated buffer is refused",
		       bp_wire_type_name(in.type));
		tap_ok(t, payload_ok, "%s: every shortened payload is refused",
		       bp_wire_type_name(in.type));
	}
}

static void set_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void test_header(struct tap *t)
{
	struct bp_msg m = sample(BP_MSG_PING), out;
	uint8_t buf[64], bad[64];
	struct bp_wire_hdr hdr;
	ssize_t n = bp_wire_encode(&m, buf, sizeof(buf));

	memcpy(bad, buf, (size_t)n);
	bad[0] = 'G';
	tap_ok(t, bp_wire_peek(bad, 4, &hdr) == -EPROTO &&
	       bp_wire_decode(bad, (size_t)n, &out) == -EPROTO,
	       "bad magic is -EPROTO as soon as 4 bytes are there");
	tap_ok(t, bp_wire_peek("GET / HTTP/1.0\r\n", 16, &hdr) == -EPROTO,
	       "an HTTP request is -EPROTO");

	memcpy(bad, buf, (size_t)n);
	bad[4] = 2;
	tap_ok(t, bp_wire_peek(bad, (size_t)n, &hdr) == -EPROTONOSUPPORT &&
	       hdr.version == 2 && hdr.type == BP_MSG_PING &&
	       bp_wire_decode(bad, (size_t)n, &out) == -EPROTONOSUPPORT,
	       "version 2 is -EPROTONOSUPPORT with the header filled in");
	bad[4] = 0;
	tap_ok(t, bp_wire_peek(bad, (size_t)n, &hdr) == -EPROTONOSUPPORT,
	       "version 0 is -EPROTONOSUPPORT");

	memcpy(bad, buf, (size_t)n);
	bad[5] = 0x80;
	tap_ok(t, bp_wire_peek(bad, (size_t)n, &hdr) == -EBADMSG,
	       "reserved header flags set are -EBADMSG");

	memcpy(bad, buf, (size_t)n);
	set_le32(bad + 8, BP_WIRE_MAX_PAYLOAD + 1);
	tap_ok(t, bp_wire_peek(bad, (size_t)n, &hdr) == -EMSGSIZE,
	       "payload length one past the limit is -EMSGSIZE");
	set_le32(bad + 8, 0xffffffffu);
	tap_ok(t, bp_wire_peek(bad, (size_t)n, &hdr) == -EMSGSIZE,
	       "payload length 0xffffffff is -EMSGSIZE");
	set_le32(bad + 8, BP_WIRE_MAX_PAYLOAD);
	tap_ok(t, bp_wire_peek(bad, (size_t)n, &hdr) == BP_WIRE_MAX_MSG,
	       "payload length at the limit is accepted by peek");

	memcpy(bad, buf, (size_t)n);
	tap_ok(t, bp_wire_decode(bad, (size_t)n - 1, &out) == -EBADMSG &&
	       bp_wire_decode(bad, (size_t)n + 1, &out) == -EBADMSG,
	       "decode wants exactly one whole message");
}

static void test_unknown_types(struct tap *t)
{
	uint8_t buf[32] = { 'B', 'P', 'R', 'C', 1, 0 };
	struct bp_msg out;

	buf[6] = 0x42;
	buf[7] = 0x00;
	tap_ok(t, bp_wire_decode(buf, 16, &out) == -EOPNOTSUPP,
	       "unknown mandatory type 0x0042 is -EOPNOTSUPP");
	buf[6] = 0x00;
	tap_ok(t, bp_wire_decode(buf, 16, &out) == -EOPNOTSUPP,
	       "type 0 is -EOPNOTSUPP");
	buf[6] = 0x42;
	buf[7] = 0x80;
	buf[8] = 4;
	tap_ok(t, bp_wire_decode(buf, 20, &out) == -ENOMSG &&
	       out.type == 0x8042,
	       "unknown optional type 0x8042 is -ENOMSG");
	tap_ok(t, bp_wire_type_name(0x8042) == NULL &&
	       !strcmp(bp_wire_type_name(BP_MSG_BYE), "BYE"),
	       "type names");
}

/* Encode @m, let @mutate change the bytes, expect decode to fail. */
static int decode_mutated(const struct bp_msg *m,
			  void (*mutate)(uint8_t *buf, size_t *len))
{
	uint8_t buf[2 * BP_WIRE_ENC_MAX];
	struct bp_msg out;
	ssize_t n = bp_wire_encode(m, buf, BP_WIRE_ENC_MAX);
	size_t len;

	if (n < 0)
		return (int)n;
	len = (size_t)n;
	mutate(buf, &len);
	set_le32(buf + 8, (uint32_t)(len - BP_WIRE_HDR_LEN));
	return bp_wire_decode(buf, len, &out);
}

static void mut_cpus0(uint8_t *b, size_t *len) { set_le32(b + 16, 0); }
static void mut_hwlen9(uint8_t *b, size_t *len) { b[16 + 24] = 9; }
static void mut_hwtail(uint8_t *b, size_t *len) { b[16 + 28 + 7] = 1; }
static void mut_hello_rsvd(uint8_t *b, size_t *len) { b[16 + 26] = 1; }
static void mut_kernel_nl(uint8_t *b, size_t *len) { b[16 + 38] = '\n'; }
static void mut_kernel_nul(uint8_t *b, size_t *len) { b[16 + 38] = '\0'; }

/* kernel length 64 > 63: payload grows by 50 bytes of 'k'. */
static void mut_kernel_long(uint8_t *b, size_t *len)
{
	size_t off = 16 + 36;
	uint16_t old = (uint16_t)(b[off] | b[off + 1] << 8);

	memmove(b + off + 2 + 64, b + off + 2 + old, *len - (off + 2 + old));
	memset(b + off + 2, 'k', 64);
	b[off] = 64;
	b[off + 1] = 0;
	*len += 64 - old;
}

/* auth data with method NONE. */
static void mut_auth_none(uint8_t *b, size_t *len)
{
	b[*len - 2] = 1;
	b[*len] = 0xaa;
	*len += 1;
}

/* auth_len larger than the bytes present. */
static void mut_auth_over(uint8_t *b, size_t *len)
{
	set_le32(b + 16 + 4, 7);
	b[*len - 2] = 0x01;
	b[*len - 1] = 0x02;	/* 513 > BP_WIRE_AUTH_LEN */
	memset(b + *len, 0, 513);
	*len += 513;
}

static void mut_node_neg(uint8_t *b, size_t *len) { set_le32(b + 16, 0xffffffffu); }
static void mut_node_big(uint8_t *b, size_t *len) { set_le32(b + 16, 65536); }
static void mut_interval0(uint8_t *b, size_t *len) { set_le32(b + 20, 0); }
static void mut_timeout_le(uint8_t *b, size_t *len) { set_le32(b + 24, 5000); }
static void mut_welcome_rsvd(uint8_t *b, size_t *len) { b[16 + 12] = 1; }
static void mut_code0(uint8_t *b, size_t *len) { set_le32(b + 16, 0); }
static void mut_code_big(uint8_t *b, size_t *len) { set_le32(b + 16, BP_REASON_MAX + 1); }
static void mut_text_ctl(uint8_t *b, size_t *len) { b[16 + 6] = 0x1b; }
static void mut_text_len(uint8_t *b, size_t *len) { b[16 + 4] = 0xff; b[16 + 5] = 0xff; }
static void mut_action0(uint8_t *b, size_t *len) { set_le32(b + 16, 0); }
static void mut_action5(uint8_t *b, size_t *len) { set_le32(b + 16, 5); }
static void mut_request_rsvd(uint8_t *b, size_t *len) { b[16 + 7] = 1; }

static void mut_trailing(uint8_t *b, size_t *len)
{
	memset(b + *len, 0x5a, 16);
	*len += 16;
}

static void test_fields(struct tap *t)
{
	struct bp_msg hello = sample(BP_MSG_HELLO);
	struct bp_msg welcome = sample(BP_MSG_WELCOME);
	struct bp_msg reject = sample(BP_MSG_REJECT);
	struct bp_msg request = sample(BP_MSG_REQUEST);
	static const struct {
		const char *what;
		uint16_t type;
		void (*mutate)(uint8_t *buf, size_t *len);
	} cases[] = {
		{ "HELLO with 0 cpus", BP_MSG_HELLO, mut_cpus0 },
		{ "HELLO with hwaddr_len 9", BP_MSG_HELLO, mut_hwlen9 },
		{ "HELLO with bytes past hwaddr_len", BP_MSG_HELLO, mut_hwtail },
		{ "HELLO with reserved bytes set", BP_MSG_HELLO, mut_hello_rsvd },
		{ "HELLO with a newline in the kernel release", BP_MSG_HELLO, mut_kernel_nl },
		{ "HELLO with a NUL in the kernel release", BP_MSG_HELLO, mut_kernel_nul },
		{ "HELLO with a 64-byte kernel release", BP_MSG_HELLO, mut_kernel_long },
		{ "HELLO with auth data but no method", BP_MSG_HELLO, mut_auth_none },
		{ "HELLO with auth_len 513", BP_MSG_HELLO, mut_auth_over },
		{ "WELCOME with node -1", BP_MSG_WELCOME, mut_node_neg },
		{ "WELCOME with node 65536", BP_MSG_WELCOME, mut_node_big },
		{ "WELCOME with ping interval 0", BP_MSG_WELCOME, mut_interval0 },
		{ "WELCOME with timeout not above interval", BP_MSG_WELCOME, mut_timeout_le },
		{ "WELCOME with reserved field set", BP_MSG_WELCOME, mut_welcome_rsvd },
		{ "REJECT with code 0", BP_MSG_REJECT, mut_code0 },
		{ "REJECT with an unknown code", BP_MSG_REJECT, mut_code_big },
		{ "REJECT with an escape character in its text", BP_MSG_REJECT, mut_text_ctl },
		{ "REJECT with text length 65535", BP_MSG_REJECT, mut_text_len },
		{ "REQUEST with action 0", BP_MSG_REQUEST, mut_action0 },
		{ "REQUEST with action 5", BP_MSG_REQUEST, mut_action5 },
		{ "REQUEST with reserved field set", BP_MSG_REQUEST, mut_request_rsvd },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bp_msg *m = cases[i].type == BP_MSG_HELLO ? &hello :
				 cases[i].type == BP_MSG_WELCOME ? &welcome :
				 cases[i].type == BP_MSG_REJECT ? &reject : &request;

		tap_ok(t, decode_mutated(m, cases[i].mutate) == -EBADMSG,
		       "%s is -EBADMSG", cases[i].what);
	}
	for (size_t i = 0; i < NTYPES; i++) {
		struct bp_msg m = sample(all_types[i]);

		tap_ok(t, decode_mutated(&m, mut_trailing) == 0,
		       "%s with 16 trailing bytes decodes (append-only rule)",
		       bp_wire_type_name(m.type));
	}
}

static void test_encode_checks(struct tap *t)
{
	struct bp_msg m;
	uint8_t buf[BP_WIRE_ENC_MAX];
	bool small_ok = true;
	ssize_t n;

	m = sample(BP_MSG_HELLO);
	m.hello.cpus = 0;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "encode refuses HELLO with 0 cpus");
	m = sample(BP_MSG_HELLO);
	memset(m.hello.kernel, 'a', sizeof(m.hello.kernel));
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "encode refuses an unterminated kernel release");
	m = sample(BP_MSG_BYE);
	strcpy(m.reason.text, "two\nlines");
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "encode refuses text with a newline");
	m = sample(BP_MSG_WELCOME);
	m.welcome.ping_timeout = m.welcome.ping_interval;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "encode refuses WELCOME with timeout == interval");
	m.type = 0x0042;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "encode refuses an unknown type");
	m = sample(BP_MSG_REQUEST);
	m.request.action = BP_ACTION_MAX + 1;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "encode refuses REQUEST with an unknown action");

	m = sample(BP_MSG_HELLO);
	n = bp_wire_encode(&m, buf, sizeof(buf));
	for (ssize_t cap = 0; cap < n; cap++)
		if (bp_wire_encode(&m, buf, (size_t)cap) != -ENOSPC)
			small_ok = false;
	tap_ok(t, small_ok, "encode into every too-small buffer is -ENOSPC");
}

static void test_stream(struct tap *t)
{
	uint8_t all[8 * BP_WIRE_ENC_MAX];
	size_t len = 0;
	struct bp_rx rx;
	struct bp_msg out;
	size_t got = 0;
	bool order = true;
	int ret;

	for (size_t i = 0; i < NTYPES; i++) {
		struct bp_msg m = sample(all_types[i]);
		ssize_t n = bp_wire_encode(&m, all + len, sizeof(all) - len);

		len += (size_t)n;
		if (i == 3) {
			/* An unknown optional message in the middle. */
			static const uint8_t opt[] = {
				'B', 'P', 'R', 'C', 1, 0, 0x01, 0x80,
				3, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c',
			};

			memcpy(all + len, opt, sizeof(opt));
			len += sizeof(opt);
		}
	}
	bp_rx_init(&rx);
	for (size_t i = 0; i < len; i++) {
		bp_rx_feed(&rx, all + i, 1);
		while ((ret = bp_rx_next(&rx, &out, NULL)) != 0) {
			if (ret == -ENOMSG)
				continue;
			if (ret != 1 || got >= NTYPES ||
			    out.type != all_types[got])
				order = false;
			got++;
		}
	}
	tap_ok(t, order && got == NTYPES && bp_rx_pending(&rx) == 0,
	       "byte-at-a-time stream yields every message in order, skipping the optional one");
	bp_rx_free(&rx);

	bp_rx_init(&rx);
	bp_rx_feed(&rx, "BPRC\x01\x00\x01\x00\xff\xff\xff\xff", 12);
	tap_ok(t, bp_rx_next(&rx, &out, NULL) == 0,
	       "12 header bytes: need more");
	bp_rx_feed(&rx, "\0\0\0\0", 4);
	tap_ok(t, bp_rx_next(&rx, &out, NULL) == -EMSGSIZE,
	       "oversized length in the stream is -EMSGSIZE");
	bp_rx_free(&rx);
}

static void test_socket(struct tap *t)
{
	struct bp_rx rx;
	struct bp_tx tx;
	struct bp_msg m = sample(BP_MSG_STATUS), out;
	int sv[2], n = 0, ret;
	bool ok = true;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		tap_ok(t, false, "socketpair: %s", strerror(errno));
		return;
	}
	bp_tx_init(&tx);
	bp_rx_init(&rx);
	for (int i = 0; i < 100; i++) {
		m.id = (uint32_t)i;
		if (bp_tx_queue(&tx, &m))
			ok = false;
	}
	if (bp_tx_flush(&tx, sv[0]) != 0)
		ok = false;
	close(sv[0]);
	for (;;) {
		ssize_t r = bp_rx_read(&rx, sv[1]);

		if (r <= 0)
			break;
		while ((ret = bp_rx_next(&rx, &out, NULL)) == 1) {
			if (out.id != (uint32_t)n || !msg_equal(&out, &(struct bp_msg){
					.type = m.type, .id = out.id, .status = m.status }))
				ok = false;
			n++;
		}
		if (ret < 0)
			ok = false;
	}
	tap_ok(t, ok && n == 100, "100 messages through a socket pair (%d)", n);
	bp_rx_free(&rx);
	bp_tx_free(&tx);
	close(sv[1]);
}

int main(void)
{
	struct tap t = { 0 };

	test_round_trip(&t);
	test_actions(&t);
	test_max_fields(&t);
	test_layout(&t);
	test_truncated(&t);
	test_status_appended(&t);
	test_header(&t);
	test_unknown_types(&t);
	test_fields(&t);
	test_encode_checks(&t);
	test_stream(&t);
	test_socket(&t);
	return tap_done(&t);
}
