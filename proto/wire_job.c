// SPDX-License-Identifier: GPL-2.0
/*
 * The job family of wire messages (docs/bpsh.md): what a node sends on
 * the connections it opens to bpsh for one process of a launch, and what
 * bpsh answers. IO_HELLO opens each one; a files connection then carries
 * FILE_WANT from the node and FILE_DATA/FILE_END from bpsh; a standard
 * I/O connection carries raw bytes after its IO_HELLO.
 */
#include <errno.h>
#include <stdbool.h>

#include "bp_job.h"
#include "bp_wire.h"
#include "wire_priv.h"

static int decode_io_hello(struct bp_rd *r, struct bp_msg *m)
{
	struct bp_msg_io_hello *h = &m->io_hello;
	const uint8_t *p;

	h->stream = bp_rd_u32(r);
	h->rank = bp_rd_u32(r);
	h->job = bp_rd_u64(r);
	p = bp_rd_take(r, sizeof(h->nonce));
	if (p)
		memcpy(h->nonce, p, sizeof(h->nonce));
	p = bp_rd_take(r, sizeof(h->mac));
	if (p)
		memcpy(h->mac, p, sizeof(h->mac));
	if (r->bad || h->stream >= BP_IO_NSTREAMS)
		return -EBADMSG;
	return 0;
}

static int encode_io_hello(struct bp_wr *w, const struct bp_msg *m)
{
	const struct bp_msg_io_hello *h = &m->io_hello;

	if (h->stream >= BP_IO_NSTREAMS)
		return -EINVAL;
	bp_wr_u32(w, h->stream);
	bp_wr_u32(w, h->rank);
	bp_wr_u64(w, h->job);
	bp_wr_bytes(w, h->nonce, sizeof(h->nonce));
	bp_wr_bytes(w, h->mac, sizeof(h->mac));
	return 0;
}

/* WANT and END: hash, size (WANT: up to the manifest's limit). */
static int decode_file(struct bp_rd *r, struct bp_msg *m)
{
	struct bp_msg_file *f = &m->file;
	const uint8_t *p = bp_rd_take(r, sizeof(f->hash));

	if (p)
		memcpy(f->hash, p, sizeof(f->hash));
	f->offset = bp_rd_u64(r);
	f->error = bp_rd_u32(r);
	if (bp_rd_u32(r))
		return -EBADMSG;	/* reserved */
	if (r->bad || f->error > 4095 ||
	    (m->type == BP_MSG_FILE_WANT && f->error))
		return -EBADMSG;
	return 0;
}

static int encode_file(struct bp_wr *w, const struct bp_msg *m)
{
	const struct bp_msg_file *f = &m->file;

	if (f->error > 4095 || (m->type == BP_MSG_FILE_WANT && f->error))
		return -EINVAL;
	bp_wr_bytes(w, f->hash, sizeof(f->hash));
	bp_wr_u64(w, f->offset);
	bp_wr_u32(w, f->error);
	bp_wr_u32(w, 0);
	return 0;
}

static int decode_file_data(struct bp_rd *r, struct bp_msg *m)
{
	struct bp_msg_file *f = &m->file;
	const uint8_t *p = bp_rd_take(r, sizeof(f->hash));

	if (p)
		memcpy(f->hash, p, sizeof(f->hash));
	f->offset = bp_rd_u64(r);
	f->len = bp_rd_u32(r);
	if (bp_rd_u32(r))
		return -EBADMSG;	/* reserved */
	if (r->bad || f->len > BP_FILE_CHUNK)
		return -EBADMSG;
	f->data = bp_rd_take(r, f->len);
	return r->bad ? -EBADMSG : 0;
}

static int encode_file_data(struct bp_wr *w, const struct bp_msg *m)
{
	const struct bp_msg_file *f = &m->file;

	if (f->len > BP_FILE_CHUNK || (f->len && !f->data))
		return -EINVAL;
	bp_wr_bytes(w, f->hash, sizeof(f->hash));
	bp_wr_u64(w, f->offset);
	bp_wr_u32(w, f->len);
	bp_wr_u32(w, 0);
	bp_wr_bytes(w, f->data, f->len);
	return 0;
}

static size_t file_data_bound(const struct bp_msg *m)
{
	return m->file.len;
}

/* IO_DATA, IO_ACK, IO_RESEND, IO_ALIVE: rank, stream, offset, flags, len. */
static int decode_io(struct bp_rd *r, struct bp_msg *m)
{
	struct bp_msg_io_data *d = &m->io;

	d->rank = bp_rd_u32(r);
	d->stream = bp_rd_u32(r);
	d->offset = bp_rd_u64(r);
	d->flags = bp_rd_u32(r);
	d->len = bp_rd_u32(r);
	d->data = NULL;
	if (r->bad || d->stream > BP_IO_STDERR || (d->flags & ~BP_IO_F_ALL))
		return -EBADMSG;
	switch (m->type) {
	case BP_MSG_IO_DATA:
		if (d->len > BP_IO_CHUNK || (d->flags & ~BP_IO_F_EOF) ||
		    d->offset > UINT64_MAX - d->len)
			return -EBADMSG;
		d->data = bp_rd_take(r, d->len);
		break;
	case BP_MSG_IO_ACK:
		if (d->len || d->rank == BP_IO_RANK_ALL)
			return -EBADMSG;
		break;
	default:	/* IO_RESEND, IO_ALIVE */
		if (d->rank || d->stream || d->offset || d->flags || d->len)
			return -EBADMSG;
	}
	return r->bad ? -EBADMSG : 0;
}

static int encode_io(struct bp_wr *w, const struct bp_msg *m)
{
	const struct bp_msg_io_data *d = &m->io;
	bool data = m->type == BP_MSG_IO_DATA;

	if (d->stream > BP_IO_STDERR || (d->flags & ~BP_IO_F_ALL) ||
	    (data ? d->len > BP_IO_CHUNK || (d->len && !d->data) ||
		    (d->flags & ~BP_IO_F_EOF) : d->len != 0) ||
	    (m->type == BP_MSG_IO_ACK && d->rank == BP_IO_RANK_ALL) ||
	    ((m->type == BP_MSG_IO_RESEND || m->type == BP_MSG_IO_ALIVE) &&
	     (d->rank || d->stream || d->offset || d->flags)))
		return -EINVAL;
	bp_wr_u32(w, d->rank);
	bp_wr_u32(w, d->stream);
	bp_wr_u64(w, d->offset);
	bp_wr_u32(w, d->flags);
	bp_wr_u32(w, d->len);
	if (data)
		bp_wr_bytes(w, d->data, d->len);
	return 0;
}

static size_t io_data_bound(const struct bp_msg *m)
{
	return m->io.len;
}

const struct bp_wire_desc bp_wire_job_descs[] = {
	{ BP_MSG_IO_HELLO, "IO_HELLO", BP_DIR_TO_MASTER, 64, 0,
	  NULL, decode_io_hello, encode_io_hello },
	{ BP_MSG_FILE_WANT, "FILE_WANT", BP_DIR_TO_MASTER, 48, 0,
	  NULL, decode_file, encode_file },
	{ BP_MSG_FILE_DATA, "FILE_DATA", BP_DIR_TO_NODE, 48, 0,
	  file_data_bound, decode_file_data, encode_file_data },
	{ BP_MSG_FILE_END, "FILE_END", BP_DIR_TO_NODE, 48, 0,
	  NULL, decode_file, encode_file },
	{ BP_MSG_IO_DATA, "IO_DATA", BP_DIR_TO_NODE | BP_DIR_TO_MASTER, 24, 0,
	  io_data_bound, decode_io, encode_io },
	{ BP_MSG_IO_ACK, "IO_ACK", BP_DIR_TO_NODE | BP_DIR_TO_MASTER, 24, 0,
	  NULL, decode_io, encode_io },
	{ BP_MSG_IO_RESEND, "IO_RESEND", BP_DIR_TO_NODE, 24, 0,
	  NULL, decode_io, encode_io },
	{ BP_MSG_IO_ALIVE, "IO_ALIVE", BP_DIR_TO_NODE | BP_DIR_TO_MASTER, 24, 0,
	  NULL, decode_io, encode_io },
	{ 0 }
};
