// SPDX-License-Identifier: GPL-2.0
/*
 * A job's manifest and its struct bproc_job (bp_job.h): building them on
 * the master, checking them on the node, where both are the caller's
 * bytes and so untrusted.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_crypto.h"
#include "bp_job.h"
#include "wire_priv.h"

bool bp_job_path_ok(const char *path)
{
	static const char *const mounted[] = { "/proc", "/sys", "/dev" };
	size_t len = strlen(path);
	const char *c;

	if (path[0] != '/' || len < 2 || len > BP_JOB_PATH_MAX ||
	    path[len - 1] == '/')
		return false;
	/* Each component: not empty, not "." or "..". */
	for (c = path + 1; *c; ) {
		const char *end = strchrnul(c, '/');
		size_t n = (size_t)(end - c);

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c = *end ? end + 1 : end;
	}
	for (size_t i = 0; i < sizeof(mounted) / sizeof(mounted[0]); i++) {
		size_t m = strlen(mounted[i]);

		if (!strncmp(path, mounted[i], m) &&
		    (path[m] == '\0' || path[m] == '/'))
			return false;
	}
	return true;
}

static bool entry_ok(const struct bp_job_entry *e)
{
	if (!e->path || !bp_job_path_ok(e->path) || e->mode & ~0777u)
		return false;
	switch (e->kind) {
	case BP_JOB_FILE:
		return !e->target && e->uid != UINT32_MAX && e->gid != UINT32_MAX;
	case BP_JOB_LINK:
		return e->target && e->target[0] &&
		       strlen(e->target) <= BP_JOB_PATH_MAX && !e->size;
	case BP_JOB_DIR:
		return !e->target && !e->size;
	default:
		return false;
	}
}

void bp_manifest_init(struct bp_manifest *m)
{
	memset(m, 0, sizeof(*m));
}

void bp_manifest_free(struct bp_manifest *m)
{
	for (size_t i = 0; i < m->nowned; i++)
		free(m->owned[i]);
	free(m->owned);
	free(m->e);
	bp_manifest_init(m);
}

static char *own(struct bp_manifest *m, const char *s)
{
	char **o, *copy;

	if (!s)
		return NULL;
	o = realloc(m->owned, (m->nowned + 1) * sizeof(*o));
	if (!o)
		return NULL;
	m->owned = o;
	copy = strdup(s);
	if (copy)
		m->owned[m->nowned++] = copy;
	return copy;
}

int bp_manifest_add(struct bp_manifest *m, const struct bp_job_entry *e)
{
	struct bp_job_entry *slot;

	if (!entry_ok(e))
		return -EINVAL;
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->e[i].path, e->path))
			return -EEXIST;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct bp_job_entry *ne = realloc(m->e, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		m->e = ne;
		m->cap = cap;
	}
	if (m->n >= BP_MANIFEST_FILES_MAX)
		return -E2BIG;
	slot = &m->e[m->n];
	*slot = *e;
	slot->path = own(m, e->path);
	slot->target = e->target ? own(m, e->target) : NULL;
	if (!slot->path || (e->target && !slot->target))
		return -ENOMEM;
	m->n++;
	return 0;
}

static int by_path(const void *a, const void *b)
{
	const struct bp_job_entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

int bp_manifest_build(struct bp_manifest *m, uint8_t **out, size_t *len)
{
	size_t strs = 0, total, off;
	uint8_t *buf, *e;
	struct bp_wr w;

	qsort(m->e, m->n, sizeof(*m->e), by_path);
	for (size_t i = 0; i < m->n; i++) {
		strs += strlen(m->e[i].path) + 1;
		if (m->e[i].target)
			strs += strlen(m->e[i].target) + 1;
	}
	total = BP_MANIFEST_HDR_LEN + m->n * BP_MANIFEST_ENTRY_LEN + strs;
	if (total > BP_MANIFEST_MAX)
		return -E2BIG;
	buf = calloc(1, total);
	if (!buf)
		return -ENOMEM;
	w = (struct bp_wr){ .p = buf, .left = total };
	bp_wr_u32(&w, BP_MANIFEST_MAGIC);
	bp_wr_u16(&w, BP_MANIFEST_VERSION);
	bp_wr_u16(&w, 0);
	bp_wr_u32(&w, (uint32_t)m->n);
	bp_wr_u32(&w, (uint32_t)strs);
	e = w.p;
	w.p += m->n * BP_MANIFEST_ENTRY_LEN;
	w.left -= m->n * BP_MANIFEST_ENTRY_LEN;
	off = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct bp_job_entry *x = &m->e[i];
		struct bp_wr we = { .p = e + i * BP_MANIFEST_ENTRY_LEN,
				    .left = BP_MANIFEST_ENTRY_LEN };
		size_t pl = strlen(x->path) + 1;

		bp_wr_u8(&we, x->kind);
		bp_wr_bytes(&we, "\0\0\0", 3);
		bp_wr_u32(&we, x->mode);
		bp_wr_u64(&we, x->size);
		bp_wr_bytes(&we, x->hash, sizeof(x->hash));
		bp_wr_u32(&we, (uint32_t)off);
		bp_wr_bytes(&w, x->path, pl);
		off += pl;
		if (x->target) {
			size_t tl = strlen(x->target) + 1;

			bp_wr_u32(&we, (uint32_t)off);
			bp_wr_bytes(&w, x->target, tl);
			off += tl;
		} else {
			bp_wr_u32(&we, BP_JOB_NONE);
		}
		bp_wr_u32(&we, x->uid);
		bp_wr_u32(&we, x->gid);
	}
	*out = buf;
	*len = total;
	return 0;
}

static int __attribute__((format(printf, 3, 4)))
bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* The string at @off of the @n string bytes at @s: NUL-terminated, or NULL. */
static const char *str_at(const char *s, size_t n, uint32_t off)
{
	if (off >= n || !memchr(s + off, '\0', n - off))
		return NULL;
	return s + off;
}

int bp_manifest_parse(const uint8_t *buf, size_t len,
		      struct bp_job_entry **out, size_t *n,
		      char *why, size_t whylen)
{
	struct bp_rd r = { .p = buf, .left = len };
	uint32_t magic, nfiles, strs_len;
	struct bp_job_entry *e;
	uint16_t version, flags;
	const char *strs;

	magic = bp_rd_u32(&r);
	version = bp_rd_u16(&r);
	flags = bp_rd_u16(&r);
	nfiles = bp_rd_u32(&r);
	strs_len = bp_rd_u32(&r);
	if (r.bad || magic != BP_MANIFEST_MAGIC)
		return bad(why, whylen, "not a manifest");
	if (version != BP_MANIFEST_VERSION || flags)
		return bad(why, whylen, "manifest version %u flags 0x%x", version,
			   flags);
	if (nfiles > BP_MANIFEST_FILES_MAX ||
	    len != BP_MANIFEST_HDR_LEN + (uint64_t)nfiles * BP_MANIFEST_ENTRY_LEN +
		   strs_len)
		return bad(why, whylen, "manifest of %zu bytes does not hold %u entries and %u string bytes",
			   len, nfiles, strs_len);
	strs = (const char *)buf + BP_MANIFEST_HDR_LEN +
	       (size_t)nfiles * BP_MANIFEST_ENTRY_LEN;
	if (strs_len && strs[strs_len - 1])
		return bad(why, whylen, "manifest strings do not end with a NUL");
	e = calloc(nfiles ? nfiles : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (uint32_t i = 0; i < nfiles; i++) {
		uint32_t path, target;
		const uint8_t *h;

		e[i].kind = bp_rd_u8(&r);
		if (bp_rd_u8(&r) || bp_rd_u8(&r) || bp_rd_u8(&r)) {
			free(e);
			return bad(why, whylen, "entry %u: padding", i);
		}
		e[i].mode = bp_rd_u32(&r);
		e[i].size = bp_rd_u64(&r);
		h = bp_rd_take(&r, sizeof(e[i].hash));
		if (h)
			memcpy(e[i].hash, h, sizeof(e[i].hash));
		path = bp_rd_u32(&r);
		target = bp_rd_u32(&r);
		e[i].uid = bp_rd_u32(&r);
		e[i].gid = bp_rd_u32(&r);
		e[i].path = str_at(strs, strs_len, path);
		e[i].target = target == BP_JOB_NONE ? NULL :
			      str_at(strs, strs_len, target);
		if (r.bad || !e[i].path || (target != BP_JOB_NONE && !e[i].target) ||
		    !entry_ok(&e[i])) {
			free(e);
			return bad(why, whylen, "entry %u (%s): not a valid %s", i,
				   e[i].path && strlen(e[i].path) < 200 ?
				   e[i].path : "?",
				   e[i].kind == BP_JOB_FILE ? "file" :
				   e[i].kind == BP_JOB_LINK ? "symlink" :
				   e[i].kind == BP_JOB_DIR ? "directory" :
				   "entry");
		}
		if (i && strcmp(e[i - 1].path, e[i].path) >= 0) {
			free(e);
			return bad(why, whylen, "entry %u: paths not sorted or repeated", i);
		}
	}
	*out = e;
	*n = nfiles;
	return 0;
}

static bool str_field_ok(const char *s, size_t cap)
{
	const char *nul = memchr(s, '\0', cap);

	/* Empty, or an absolute path; nothing after the NUL. */
	if (!nul || (s[0] && s[0] != '/'))
		return false;
	for (const char *p = nul; p < s + cap; p++)
		if (*p)
			return false;
	return true;
}

int bp_job_decode(const void *buf, size_t len, struct bproc_job *out)
{
	struct bproc_job j;

	if (len < sizeof(j) || len > BPROC_JOB_MAX)
		return -EBADMSG;
	memcpy(&j, buf, sizeof(j));
	j.size = le32toh(j.size);
	j.flags = le32toh(j.flags);
	j.id = le64toh(j.id);
	j.rank = le32toh(j.rank);
	j.io_port = le16toh(j.io_port);
	j.io_family = le16toh(j.io_family);
	j.manifest_len = le64toh(j.manifest_len);
	if (j.size != len || j.flags & ~BPROC_JOB_FLAGS || !j.io_port ||
	    (j.io_family != 0 && j.io_family != 2 /* AF_INET */))
		return -EBADMSG;
	if (j.io_family == 2) {
		for (size_t i = 4; i < sizeof(j.io_addr); i++)
			if (j.io_addr[i])
				return -EBADMSG;
	} else {
		for (size_t i = 0; i < sizeof(j.io_addr); i++)
			if (j.io_addr[i])
				return -EBADMSG;
	}
	if ((j.flags & BPROC_JOB_FILES) ?
	    j.manifest_len < BP_MANIFEST_HDR_LEN || j.manifest_len > BP_MANIFEST_MAX :
	    j.manifest_len != 0)
		return -EBADMSG;
	if (!str_field_ok(j.stdin_path, sizeof(j.stdin_path)) ||
	    !str_field_ok(j.stdout_path, sizeof(j.stdout_path)) ||
	    !str_field_ok(j.stderr_path, sizeof(j.stderr_path)))
		return -EBADMSG;
	/* A file instead of a connection, not both. */
	if ((j.stdin_path[0] && (j.flags & BPROC_JOB_STDIN)) ||
	    (j.stdout_path[0] && (j.flags & BPROC_JOB_STDOUT)) ||
	    (j.stderr_path[0] && (j.flags & BPROC_JOB_STDERR)))
		return -EBADMSG;
	*out = j;
	return 0;
}

void bp_job_encode(const struct bproc_job *in, struct bproc_job *out)
{
	*out = *in;
	out->size = htole32(in->size);
	out->flags = htole32(in->flags);
	out->id = htole64(in->id);
	out->rank = htole32(in->rank);
	out->io_port = htole16(in->io_port);
	out->io_family = htole16(in->io_family);
	out->manifest_len = htole64(in->manifest_len);
}

int bp_job_tree_decode(const void *buf, size_t len, struct bp_job_tree *out)
{
	struct bp_job_tree t;

	memset(out, 0, sizeof(*out));
	memset(&t, 0, sizeof(t));
	if (len < BP_JOB_SIZE_TREE)
		return 0;
	memcpy(&t, (const uint8_t *)buf + BPROC_JOB_SIZE_VER0,
	       len >= BP_JOB_SIZE_TREE_IO ? sizeof(t) : BP_JOB_TREE_V1_LEN);
	t.src_port = le16toh(t.src_port);
	t.flags = le16toh(t.flags);
	t.src_node = (int32_t)le32toh((uint32_t)t.src_node);
	t.nranks = le32toh(t.nranks);
	t.fanout = le32toh(t.fanout);
	if ((t.flags & ~BP_JOB_TREE_IO) || t.src_node < -1 ||
	    t.src_node >= BPROC_NODES_MAX)
		return -EBADMSG;
	/* the streams' tree needs its shape, and only it has one */
	if (t.flags & BP_JOB_TREE_IO) {
		if (len < BP_JOB_SIZE_TREE_IO || !t.nranks ||
		    t.nranks > BP_IO_RANKS_MAX || !t.fanout ||
		    t.fanout > BP_IO_FANOUT_MAX)
			return -EBADMSG;
	} else if (t.nranks || t.fanout) {
		return -EBADMSG;
	}
	/* all of it, or none of it */
	if (!!t.src_port != !!(t.src_addr[0] | t.src_addr[1] | t.src_addr[2] |
			      t.src_addr[3]))
		return -EBADMSG;
	*out = t;
	return 0;
}

void bp_job_tree_encode(const struct bp_job_tree *in, struct bp_job_tree *out)
{
	*out = *in;
	out->src_port = htole16(in->src_port);
	out->flags = htole16(in->flags);
	out->src_node = (int32_t)htole32((uint32_t)in->src_node);
	out->nranks = htole32(in->nranks);
	out->fanout = htole32(in->fanout);
}

int bp_tree_parent(uint32_t r, uint32_t k)
{
	return k && r >= k ? (int)(r / k - 1) : -1;
}

/* Walk up from @r: at most log_k(r) steps. */
bool bp_tree_below(uint32_t top, uint32_t r, uint32_t k)
{
	int64_t x = r;

	while (x > (int64_t)top)
		x = bp_tree_parent((uint32_t)x, k);
	return x == (int64_t)top;
}

int64_t bp_tree_child_toward(uint32_t top, uint32_t r, uint32_t k)
{
	int64_t x = r, up;

	if (r <= top)
		return -1;
	while ((up = bp_tree_parent((uint32_t)x, k)) > (int64_t)top)
		x = up;
	return up == (int64_t)top ? x : -1;
}

size_t bp_io_window(uint32_t nranks)
{
	size_t w = nranks ? (16u << 20) / nranks : (4u << 20);

	if (w < (16u << 10))
		w = 16u << 10;
	if (w > (4u << 20))
		w = 4u << 20;
	return w;
}

int bp_io_mac(const uint8_t secret[BPROC_JOB_SECRET_LEN], uint64_t job,
	      uint32_t rank, uint32_t stream,
	      const uint8_t nonce[BP_IO_NONCE_LEN], uint8_t mac[32])
{
	uint8_t msg[10 + 8 + 4 + 4 + BP_IO_NONCE_LEN];

	memcpy(msg, "bproc-io-1", 10);
	bp_put_le64(msg + 10, job);
	bp_put_le32(msg + 18, rank);
	bp_put_le32(msg + 22, stream);
	memcpy(msg + 26, nonce, BP_IO_NONCE_LEN);
	return bp_hmac_sha256(secret, BPROC_JOB_SECRET_LEN, msg, sizeof(msg),
			      mac);
}
