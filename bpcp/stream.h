/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpcp's stream (bpcp(1), docs/bpcp.md): what a sender writes and a
 * receiver reads, over a pipe through bpsh or a TCP connection between
 * two nodes. "BPCP1\n", then records, then an END record; a receiver
 * that sees no END (the sender died, the copy was interrupted) keeps
 * nothing it had not finished, and nothing under a final name it had not
 * finished.
 *
 * A record: struct bpcp_rec (little-endian), its path (relative, normal,
 * no NUL), then for a symlink its target, for a file its data extents:
 * struct bpcp_ext and that many bytes, again, ending with an extent of
 * length 0. Holes between extents stay holes (sparse files stay sparse).
 */
#ifndef BPCP_STREAM_H
#define BPCP_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define BPCP_MAGIC	"BPCP1\n"
#define BPCP_MAGIC_LEN	6
#define BPCP_PATH_MAX	4095

enum bpcp_type {
	BPCP_END = 0,
	BPCP_FILE = 1,
	BPCP_DIR = 2,
	BPCP_SYMLINK = 3,
};

struct bpcp_rec {
	uint8_t  type;			/* enum bpcp_type */
	uint8_t  pad[3];
	uint32_t mode;			/* permission bits, 07777 */
	uint32_t uid, gid;
	int64_t  mtime_sec;
	uint32_t mtime_nsec;
	uint32_t path_len;		/* bytes of the path that follows */
	uint64_t size;			/* a file's size; a symlink's target length */
} __attribute__((packed));

struct bpcp_ext {
	uint64_t off;
	uint64_t len;			/* 0: the last */
} __attribute__((packed));

/* Host order <-> the stream's little-endian, in place. */
void bpcp_rec_swap(struct bpcp_rec *r);
void bpcp_ext_swap(struct bpcp_ext *e);

/*
 * Is @r (host order) a record a receiver may take? Its path must be
 * relative and normal: no "", ".", ".." component, no leading or double
 * slash, at most BPCP_PATH_MAX bytes. Returns NULL or why not.
 */
const char *bpcp_rec_check(const struct bpcp_rec *r, const char *path);

#endif /* BPCP_STREAM_H */
