// SPDX-License-Identifier: GPL-2.0
/*
 * The dynamic linker's cache, /etc/ld.so.cache as glibc 2.36's ldconfig
 * writes it: the "new" format ("glibc-ld.so.cache1.1": a 48-byte header,
 * 24-byte entries, then the string table; string offsets are relative to
 * the header), alone or after the old "ld.so-1.7.0" header and entries
 * (the new header aligned to 8 bytes after them). A cache with only the
 * old format is read too. The file is hostile: every count and offset is
 * checked against its size, a bad one makes the whole cache -EINVAL.
 *
 * Entries are kept per ABI (the entry's flags), sorted by name (stably,
 * so that several entries for one name keep the file's order).
 */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "files_priv.h"

#define MAGIC_OLD	"ld.so-1.7.0"
#define MAGIC_OLD_LEN	11
#define MAGIC_NEW	"glibc-ld.so.cache1.1"
#define MAGIC_NEW_LEN	20

#define OLD_HDR_SIZE	16	/* magic[11], pad, uint32 nlibs */
#define OLD_ENT_SIZE	12	/* int32 flags, uint32 key, value */
#define NEW_HDR_SIZE	48	/* magic+version[20], nlibs, len_strings,
				 * uint8 flags, pad[3], extension_offset,
				 * unused[3] */
#define NEW_ENT_SIZE	24	/* int32 flags, uint32 key, value,
				 * osversion, uint64 hwcap */
#define NEW_ALIGN	8	/* __alignof__(struct cache_file_new) */

/* The new header's flags byte (glibc 2.33+). */
#define ENDIAN_UNSET	0
#define ENDIAN_LITTLE	2

#define FLAG_ELF_LIBC6		0x0003
#define FLAG_X8664_LIB64	0x0300

#define MAX_CACHE_SIZE	(256u << 20)

enum { CLS_64, CLS_32, NCLS };

struct lc_class {
	const char **keys;
	const char **vals;
	size_t n;
};

struct bpsh_ldcache {
	char *buf;
	size_t size;
	struct lc_class cls[NCLS];
};

struct lc_item {
	const char *key, *val;
	size_t order;
};

static uint32_t rd32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

/*
 * The string at @off of the table [@tab, @tab + @len), NUL inside it, not
 * before @min.
 */
static const char *str_at(const char *tab, size_t min, size_t len,
			  uint32_t off)
{
	if (off < min || off >= len || !memchr(tab + off, '\0', len - off))
		return NULL;
	return tab + off;
}

static int flags_class(int32_t flags)
{
	if (flags == (FLAG_ELF_LIBC6 | FLAG_X8664_LIB64))
		return CLS_64;
	if (flags == FLAG_ELF_LIBC6)
		return CLS_32;
	return -1;
}

static int item_cmp(const void *a, const void *b)
{
	const struct lc_item *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	if (r)
		return r;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * @nent entries of @entsize bytes at @ents (flags, key, value first);
 * strings in [@tab + @tabmin, @tab + @tablen) at the entries' offsets
 * (relative to @tab).
 */
static int build(struct bpsh_ldcache *lc, const char *ents, size_t nent,
		 size_t entsize, const char *tab, size_t tabmin, size_t tablen)
{
	struct lc_item *items[NCLS] = { NULL };
	size_t cnt[NCLS] = { 0 }, i;
	int k, r = 0;

	for (k = 0; k < NCLS; k++) {
		items[k] = calloc(nent ? nent : 1, sizeof(*items[k]));
		if (!items[k]) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < nent; i++) {
		const char *e = ents + i * entsize;
		const char *key = str_at(tab, tabmin, tablen, rd32(e + 4));
		const char *val = str_at(tab, tabmin, tablen, rd32(e + 8));

		if (!key || !val) {
			r = -EINVAL;
			goto out;
		}
		k = flags_class((int32_t)rd32(e));
		if (k < 0)
			continue;
		items[k][cnt[k]].key = key;
		items[k][cnt[k]].val = val;
		items[k][cnt[k]].order = i;
		cnt[k]++;
	}
	for (k = 0; k < NCLS; k++) {
		struct lc_class *c = &lc->cls[k];

		qsort(items[k], cnt[k], sizeof(*items[k]), item_cmp);
		c->keys = calloc(cnt[k] ? cnt[k] : 1, sizeof(*c->keys));
		c->vals = calloc(cnt[k] ? cnt[k] : 1, sizeof(*c->vals));
		if (!c->keys || !c->vals) {
			r = -ENOMEM;
			goto out;
		}
		for (i = 0; i < cnt[k]; i++) {
			c->keys[i] = items[k][i].key;
			c->vals[i] = items[k][i].val;
		}
		c->n = cnt[k];
	}
out:
	for (k = 0; k < NCLS; k++)
		free(items[k]);
	return r;
}

/* The new format at offset @hdr of the buffer. */
static int parse_new(struct bpsh_ldcache *lc, size_t hdr)
{
	const char *h = lc->buf + hdr;
	size_t ds = lc->size - hdr, strstart;
	uint32_t nlibs, lenstr;

	if (ds < NEW_HDR_SIZE)
		return -EINVAL;
	nlibs = rd32(h + 20);
	lenstr = rd32(h + 24);
	if (h[28] != ENDIAN_UNSET && h[28] != ENDIAN_LITTLE)
		return -EINVAL;
	if (nlibs > (ds - NEW_HDR_SIZE) / NEW_ENT_SIZE)
		return -EINVAL;
	strstart = NEW_HDR_SIZE + (size_t)nlibs * NEW_ENT_SIZE;
	if (lenstr > ds - strstart)
		return -EINVAL;
	/*
	 * Offsets are relative to the header; strings must lie in the
	 * string table, after the entries.
	 */
	return build(lc, h + NEW_HDR_SIZE, nlibs, NEW_ENT_SIZE, h, strstart,
		     strstart + lenstr);
}

static int parse(struct bpsh_ldcache *lc)
{
	size_t size = lc->size, base, off;
	uint32_t nold;

	if (size >= MAGIC_NEW_LEN && !memcmp(lc->buf, MAGIC_NEW, MAGIC_NEW_LEN))
		return parse_new(lc, 0);
	if (size < OLD_HDR_SIZE || memcmp(lc->buf, MAGIC_OLD, MAGIC_OLD_LEN))
		return -EINVAL;
	nold = rd32(lc->buf + 12);
	if (nold > (size - OLD_HDR_SIZE) / OLD_ENT_SIZE)
		return -EINVAL;
	base = OLD_HDR_SIZE + (size_t)nold * OLD_ENT_SIZE;
	off = (base + NEW_ALIGN - 1) & ~(size_t)(NEW_ALIGN - 1);
	if (off <= size && size - off >= MAGIC_NEW_LEN &&
	    !memcmp(lc->buf + off, MAGIC_NEW, MAGIC_NEW_LEN))
		return parse_new(lc, off);
	/* Old format alone: strings after the entries. */
	return build(lc, lc->buf + OLD_HDR_SIZE, nold, OLD_ENT_SIZE,
		     lc->buf + base, 0, size - base);
}

static int read_all(const char *file, char **bufp, size_t *sizep)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd, r;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		r = -errno;
		goto fail_fd;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_CACHE_SIZE) {
		r = -EINVAL;
		goto fail_fd;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		r = -ENOMEM;
		goto fail_fd;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			free(buf);
			goto fail_fd;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	*bufp = buf;
	*sizep = got;
	return 0;
fail_fd:
	close(fd);
	return r;
}

int bpsh_ldcache_load(const char *file, struct bpsh_ldcache **out)
{
	struct bpsh_ldcache *lc;
	int r;

	*out = NULL;
	lc = calloc(1, sizeof(*lc));
	if (!lc)
		return -ENOMEM;
	r = read_all(file, &lc->buf, &lc->size);
	if (!r)
		r = parse(lc);
	if (r) {
		bpsh_ldcache_free(lc);
		return r;
	}
	*out = lc;
	return 0;
}

const char *const *bpsh_ldcache_lookup_class(const struct bpsh_ldcache *lc,
					     const char *name, int elfclass,
					     size_t *n)
{
	const struct lc_class *c;
	size_t lo = 0, hi, i, dummy;

	if (!n)
		n = &dummy;
	*n = 0;
	if (!lc || !name)
		return NULL;
	if (elfclass == ELFCLASS64)
		c = &lc->cls[CLS_64];
	else if (elfclass == ELFCLASS32)
		c = &lc->cls[CLS_32];
	else
		return NULL;
	/* The first key >= name. */
	hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(c->keys[mid], name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < c->n && !strcmp(c->keys[i], name); i++)
		;
	if (i == lo)
		return NULL;
	*n = i - lo;
	return (const char *const *)&c->vals[lo];
}

const char *const *bpsh_ldcache_lookup(const struct bpsh_ldcache *lc,
				       const char *name, size_t *n)
{
	return bpsh_ldcache_lookup_class(lc, name, ELFCLASS64, n);
}

void bpsh_ldcache_free(struct bpsh_ldcache *lc)
{
	int k;

	if (!lc)
		return;
	for (k = 0; k < NCLS; k++) {
		free(lc->cls[k].keys);
		free(lc->cls[k].vals);
	}
	free(lc->buf);
	free(lc);
}
