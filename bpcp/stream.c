// SPDX-License-Identifier: GPL-2.0
/* bpcp's stream records (stream.h): byte order and checks, pure. */
#include <endian.h>
#include <string.h>

#include "stream.h"

void bpcp_rec_swap(struct bpcp_rec *r)
{
	r->mode = htole32(r->mode);
	r->uid = htole32(r->uid);
	r->gid = htole32(r->gid);
	r->mtime_sec = (int64_t)htole64((uint64_t)r->mtime_sec);
	r->mtime_nsec = htole32(r->mtime_nsec);
	r->path_len = htole32(r->path_len);
	r->size = htole64(r->size);
}

void bpcp_ext_swap(struct bpcp_ext *e)
{
	e->off = htole64(e->off);
	e->len = htole64(e->len);
}

const char *bpcp_rec_check(const struct bpcp_rec *r, const char *path)
{
	size_t len = strlen(path);
	const char *c = path;

	if (r->type != BPCP_FILE && r->type != BPCP_DIR &&
	    r->type != BPCP_SYMLINK)
		return "an unknown record type";
	if (r->pad[0] || r->pad[1] || r->pad[2])
		return "a record with bits set where none may be";
	if (r->mode & ~07777u)
		return "a mode with bits other than 07777";
	if (r->mtime_nsec >= 1000000000u)
		return "a time with 10^9 or more nanoseconds";
	if (len != r->path_len || !len || len > BPCP_PATH_MAX)
		return "a path that is empty, too long or holds a NUL";
	if (r->type == BPCP_SYMLINK && (!r->size || r->size > BPCP_PATH_MAX))
		return "a symlink target that is empty or too long";
	if (r->type == BPCP_DIR && r->size)
		return "a directory with a size";
	for (;;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);

		if (!n || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return "a path that is not relative and normal";
		if (!end)
			break;
		c = end + 1;
	}
	return NULL;
}
