// SPDX-License-Identifier: GPL-2.0
/*
 * bproc wire codec: the message header and the table of message types.
 * Pure encode/decode over byte buffers; see bp_wire.h for the
 * conventions and docs/protocol.md for the message layouts. Each message
 * family lives in a file of its own and adds its rows (wire_priv.h):
 * wire_session.c (HELLO ... BYE), wire_proc.c (PROC), wire_job.c (a
 * job's connections to bpsh: IO_HELLO, FILE_*), wire_auth.c (CHALLENGE,
 * AUTH, ENROLLED, REKEY).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bp_wire.h"
#include "wire_priv.h"

static const struct bp_wire_desc *const bp_wire_families[] = {
	bp_wire_session_descs,
	bp_wire_proc_descs,
	bp_wire_job_descs,
	bp_wire_auth_descs,
};

/* The row of wire type @type, or NULL. */
static const struct bp_wire_desc *wire_desc(uint16_t type)
{
	for (size_t i = 0; i < sizeof(bp_wire_families) / sizeof(bp_wire_families[0]); i++)
		for (const struct bp_wire_desc *d = bp_wire_families[i]; d->type; d++)
			if (d->type == type)
				return d;
	return NULL;
}

const char *bp_wire_type_name(uint16_t type)
{
	const struct bp_wire_desc *d = wire_desc(type);

	return d ? d->name : NULL;
}

unsigned int bp_wire_type_dir(uint16_t type)
{
	const struct bp_wire_desc *d = wire_desc(type);

	return d ? d->dir : 0;
}

bool bp_text_ok(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

void bp_rd_str(struct bp_rd *r, char *out, size_t cap)
{
	uint16_t n = bp_rd_u16(r);
	const uint8_t *p;

	if (r->bad)
		return;
	if (n >= cap) {
		r->bad = true;
		return;
	}
	p = bp_rd_take(r, n);
	if (!p || !bp_text_ok(p, n)) {
		r->bad = true;
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

int bp_wr_str(struct bp_wr *w, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n >= cap || !bp_text_ok((const uint8_t *)s, n))
		return -EINVAL;
	bp_wr_u16(w, (uint16_t)n);
	bp_wr_bytes(w, s, n);
	return 0;
}

size_t bp_wire_enc_bound(const struct bp_msg *msg)
{
	const struct bp_wire_desc *d = wire_desc(msg->type);
	size_t var;

	if (!d)
		return BP_WIRE_HDR_LEN;
	var = d->var_bound ? d->var_bound(msg) : d->var_max;
	return BP_WIRE_HDR_LEN + d->fixed + var;
}

ssize_t bp_wire_peek(const void *buf, size_t len, struct bp_wire_hdr *hdr)
{
	const uint8_t *p = buf;

	if (len >= 4 && bp_get_le32(p) != BP_WIRE_MAGIC)
		return -EPROTO;
	if (len < BP_WIRE_HDR_LEN)
		return 0;
	hdr->version = p[4];
	hdr->flags = p[5];
	hdr->type = bp_get_le16(p + 6);
	hdr->length = bp_get_le32(p + 8);
	hdr->id = bp_get_le32(p + 12);
	if (hdr->version != BP_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	if (hdr->flags)
		return -EBADMSG;
	if (hdr->length > BP_WIRE_MAX_PAYLOAD)
		return -EMSGSIZE;
	return BP_WIRE_HDR_LEN + (ssize_t)hdr->length;
}

int bp_wire_decode(const void *buf, size_t len, struct bp_msg *msg)
{
	const struct bp_wire_desc *d;
	struct bp_wire_hdr hdr;
	struct bp_rd r;
	ssize_t total;

	total = bp_wire_peek(buf, len, &hdr);
	if (total < 0)
		return (int)total;
	if (total == 0 || (size_t)total != len)
		return -EBADMSG;
	memset(msg, 0, sizeof(*msg));
	msg->type = hdr.type;
	msg->id = hdr.id;
	d = wire_desc(hdr.type);
	if (!d)
		return bp_wire_type_optional(hdr.type) ? -ENOMSG : -EOPNOTSUPP;
	r.p = (const uint8_t *)buf + BP_WIRE_HDR_LEN;
	r.left = hdr.length;
	r.bad = false;
	/*
	 * Bytes after the fields this version knows are ignored: later
	 * versions may only append fields (docs/protocol.md).
	 */
	return d->decode(&r, msg);
}

ssize_t bp_wire_encode(const struct bp_msg *msg, void *buf, size_t cap)
{
	const struct bp_wire_desc *d = wire_desc(msg->type);
	struct bp_wr w;
	uint8_t *p = buf;
	size_t len;
	int ret;

	if (!d)
		return -EINVAL;
	if (cap < BP_WIRE_HDR_LEN)
		return -ENOSPC;
	w.p = p + BP_WIRE_HDR_LEN;
	w.left = cap - BP_WIRE_HDR_LEN;
	w.full = false;
	ret = d->encode(&w, msg);
	if (ret)
		return ret;
	if (w.full)
		return -ENOSPC;
	len = (size_t)(w.p - p);
	bp_put_le32(p, BP_WIRE_MAGIC);
	p[4] = BP_WIRE_VERSION;
	p[5] = 0;
	bp_put_le16(p + 6, msg->type);
	bp_put_le32(p + 8, (uint32_t)(len - BP_WIRE_HDR_LEN));
	bp_put_le32(p + 12, msg->id);
	return (ssize_t)len;
}

/*
 * The next field of *@layout: its width in bytes (1, 2, 4, 8) and how
 * many; false at the end, or at a letter that is no width (width 0).
 */
static bool layout_next(const char **layout, size_t *width, size_t *count)
{
	const char *l = *layout;

	if (!*l)
		return false;
	*width = *l == 'b' ? 1 : *l == 'h' ? 2 : *l == 'w' ? 4 : *l == 'q' ? 8 : 0;
	*count = 0;
	for (l++; *l >= '0' && *l <= '9'; l++)
		*count = *count * 10 + (size_t)(*l - '0');
	if (!*count)
		*count = 1;
	*layout = l;
	return *width != 0;
}

size_t bp_layout_size(const char *layout)
{
	size_t n = 0, width, count;

	while (layout_next(&layout, &width, &count))
		n += width * count;
	return *layout ? 0 : n;
}

/* --- little-endian fields by layout ------------------------------------ */

/* Read the fields of @layout into the native struct at @out. */
void bp_rd_layout(struct bp_rd *r, const char *layout, void *out)
{
	size_t width, count;
	uint8_t *o = out;

	while (!r->bad && layout_next(&layout, &width, &count)) {
		const uint8_t *q;

		if (width == 1) {
			q = bp_rd_take(r, count);
			if (q)
				memcpy(o, q, count);
			o += count;
			continue;
		}
		for (size_t i = 0; i < count; i++, o += width) {
			uint16_t v16;
			uint32_t v32;
			uint64_t v64;

			if (width == 2) {
				v16 = bp_rd_u16(r);
				memcpy(o, &v16, 2);
			} else if (width == 4) {
				v32 = bp_rd_u32(r);
				memcpy(o, &v32, 4);
			} else {
				v64 = bp_rd_u64(r);
				memcpy(o, &v64, 8);
			}
		}
	}
}

/* Write the fields of @layout from the native struct at @in. */
void bp_wr_layout(struct bp_wr *w, const char *layout, const void *in)
{
	const uint8_t *s = in;
	size_t width, count;

	while (layout_next(&layout, &width, &count)) {
		if (width == 1) {
			bp_wr_bytes(w, s, count);
			s += count;
			continue;
		}
		for (size_t i = 0; i < count; i++, s += width) {
			uint16_t v16;
			uint32_t v32;
			uint64_t v64;

			if (width == 2) {
				memcpy(&v16, s, 2);
				bp_wr_u16(w, v16);
			} else if (width == 4) {
				memcpy(&v32, s, 4);
				bp_wr_u32(w, v32);
			} else {
				memcpy(&v64, s, 8);
				bp_wr_u64(w, v64);
			}
		}
	}
}
