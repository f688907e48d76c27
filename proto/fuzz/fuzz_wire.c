// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the wire decoder: feeds the input through the
 * stream framer in uneven pieces and checks that every message that
 * decodes re-encodes to bytes that decode to the same message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bp_stream.h"
#include "bp_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[BP_WIRE_MAX_MSG], buf2[BP_WIRE_MAX_MSG];
static uint8_t native[BPROC_MSG_MAX];

/* A decoded PROC also goes through the module's native form and back. */
static void check_native(const struct bp_msg_proc *p)
{
	struct bp_msg_proc back;
	ssize_t n = bp_proc_build(p, native, sizeof(native));

	if (n < 0 || (size_t)n != p->hdr.size ||
	    bp_proc_parse(native, (size_t)n, &back) ||
	    bp_proc_build(&back, buf2, sizeof(buf2)) != n ||
	    memcmp(native, buf2, (size_t)n))
		abort();
}

static void check_reencode(const struct bp_msg *m)
{
	static struct bp_msg again;
	ssize_t n, n2;

	if (m->type == BP_MSG_PROC)
		check_native(&m->proc);
	if (bp_wire_enc_bound(m) > sizeof(buf))
		abort();
	n = bp_wire_encode(m, buf, sizeof(buf));
	if (n < 0)
		abort();	/* decoded messages are always encodable */
	if (bp_wire_decode(buf, (size_t)n, &again))
		abort();
	n2 = bp_wire_encode(&again, buf2, sizeof(buf2));
	if (n2 != n || memcmp(buf, buf2, (size_t)n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bp_wire_hdr hdr;
	struct bp_msg msg;
	struct bp_rx rx;
	size_t pos = 0, step = 1;
	ssize_t total;

	/* The whole input as one message. */
	total = bp_wire_peek(data, size, &hdr);
	if (bp_wire_decode(data, size, &msg) == 0) {
		if (total != (ssize_t)size)
			abort();
		check_reencode(&msg);
	}

	/* The input as a stream, fed in growing pieces. */
	bp_rx_init(&rx);
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step;
		int ret;

		if (bp_rx_feed(&rx, data + pos, n))
			break;
		pos += n;
		step = step * 2 + 1;
		while ((ret = bp_rx_next(&rx, &msg, &hdr)) == 1 ||
		       ret == -ENOMSG)
			if (ret == 1)
				check_reencode(&msg);
		if (ret < 0)
			break;
	}
	bp_rx_free(&rx);
	return 0;
}
