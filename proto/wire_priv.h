/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the codec: little-endian readers and writers over byte
 * buffers, and the descriptor rows each message family file provides
 * (wire_session.c, wire_proc.c, wire_job.c; later attr, migrate). Readers
 * remember the first overrun in rd.bad, writers in wr.full, so a decoder
 * or encoder reads or writes its fields in order and checks once.
 */
#ifndef BP_WIRE_PRIV_H
#define BP_WIRE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bp_wire.h"

struct bp_rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

struct bp_wr {
	uint8_t *p;
	size_t left;
	bool full;
};

static inline uint16_t bp_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t bp_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t bp_get_le64(const uint8_t *p)
{
	return (uint64_t)bp_get_le32(p) | (uint64_t)bp_get_le32(p + 4) << 32;
}

static inline void bp_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void bp_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void bp_put_le64(uint8_t *p, uint64_t v)
{
	bp_put_le32(p, (uint32_t)v);
	bp_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline const uint8_t *bp_rd_take(struct bp_rd *r, size_t n)
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

static inline uint8_t bp_rd_u8(struct bp_rd *r)
{
	const uint8_t *p = bp_rd_take(r, 1);

	return p ? p[0] : 0;
}

static inline uint16_t bp_rd_u16(struct bp_rd *r)
{
	const uint8_t *p = bp_rd_take(r, 2);

	return p ? bp_get_le16(p) : 0;
}

static inline uint32_t bp_rd_u32(struct bp_rd *r)
{
	const uint8_t *p = bp_rd_take(r, 4);

	return p ? bp_get_le32(p) : 0;
}

static inline uint64_t bp_rd_u64(struct bp_rd *r)
{
	const uint8_t *p = bp_rd_take(r, 8);

	return p ? bp_get_le64(p) : 0;
}

static inline uint8_t *bp_wr_take(struct bp_wr *w, size_t n)
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

static inline void bp_wr_u8(struct bp_wr *w, uint8_t v)
{
	uint8_t *p = bp_wr_take(w, 1);

	if (p)
		p[0] = v;
}

static inline void bp_wr_u16(struct bp_wr *w, uint16_t v)
{
	uint8_t *p = bp_wr_take(w, 2);

	if (p)
		bp_put_le16(p, v);
}

static inline void bp_wr_u32(struct bp_wr *w, uint32_t v)
{
	uint8_t *p = bp_wr_take(w, 4);

	if (p)
		bp_put_le32(p, v);
}

static inline void bp_wr_u64(struct bp_wr *w, uint64_t v)
{
	uint8_t *p = bp_wr_take(w, 8);

	if (p)
		bp_put_le64(p, v);
}

static inline void bp_wr_bytes(struct bp_wr *w, const void *s, size_t n)
{
	uint8_t *p = bp_wr_take(w, n);

	if (p && n)
		memcpy(p, s, n);
}

/* Text: printable, no NUL and no control characters (log safety). */
bool bp_text_ok(const uint8_t *s, size_t n);
/* A u16-length-prefixed string of at most @cap - 1 bytes into @out. */
void bp_rd_str(struct bp_rd *r, char *out, size_t cap);
/* -EINVAL when the C string in @s (of buffer size @cap) is not text. */
int bp_wr_str(struct bp_wr *w, const char *s, size_t cap);

/*
 * One wire message type: a row of a family's table. @fixed is the size
 * of the fixed part of the payload, @var_max the most bytes its variable
 * part (strings, groups, a process message's own payload) may add, or
 * @var_bound computes it for one message. @decode reads the fields from
 * the payload into @m (and checks them), @encode writes them (checking
 * first). Decoders may leave bytes after the fields they know: later
 * protocol versions may only append fields.
 */
struct bp_wire_desc {
	uint16_t type;
	const char *name;
	uint8_t dir;			/* BP_DIR_TO_NODE | BP_DIR_TO_MASTER */
	uint32_t fixed;
	uint32_t var_max;
	size_t (*var_bound)(const struct bp_msg *m);
	int (*decode)(struct bp_rd *r, struct bp_msg *m);
	int (*encode)(struct bp_wr *w, const struct bp_msg *m);
};

/*
 * Fixed fields by layout (wire.c): a string of fields, each a width
 * letter and a count: b (u8, a byte string), h (u16), w (u32), q (u64);
 * "w2b32" is two u32 then 32 bytes. Read into, or written from, a native
 * struct laid out the same, each integer little-endian on the wire.
 * bp_layout_size() is the bytes it covers (0 for a bad layout).
 */
size_t bp_layout_size(const char *layout);
void bp_rd_layout(struct bp_rd *r, const char *layout, void *out);
void bp_wr_layout(struct bp_wr *w, const char *layout, const void *in);

/* The families' rows, each ended by a row with type 0. */
extern const struct bp_wire_desc bp_wire_session_descs[];
extern const struct bp_wire_desc bp_wire_proc_descs[];
extern const struct bp_wire_desc bp_wire_job_descs[];
extern const struct bp_wire_desc bp_wire_auth_descs[];

#endif /* BP_WIRE_PRIV_H */
