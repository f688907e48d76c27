// SPDX-License-Identifier: GPL-2.0
/*
 * SHA-256 of the regular files of a closure (files.h), with a cache file
 * so that a file that did not change is not read again: the key is
 * (device, inode, size, mtime, ctime) of the file, the cache a text file
 *
 *	bproc-hashes 1
 *	DEV INO SIZE MTIME_NS CTIME_NS HEXSHA256
 *	...
 *
 * loaded into an open-addressing table. A cache file that does not parse
 * is ignored (the cache starts empty); saving writes a temporary file and
 * renames it over the old one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "files_priv.h"

#define HASH_MAGIC	"bproc-hashes 1\n"
#define CHUNK		(64 * 1024)
#define HASH_RETRIES	3
#define KEEP_UNUSED	10000	/* beyond: unused entries are dropped */
#define MAX_CACHE_FILE	(512u << 20)
#define RACY_NS		(2 * 1000000000LL)

struct hentry {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	uint8_t hash[BPSH_HASH_LEN];
	bool set, used;
};

struct bpsh_hashcache {
	char *file;		/* NULL: in memory only */
	struct hentry *tab;
	size_t cap, n;		/* cap: a power of two */
	bool dirty;
	int64_t racy_ns;	/* changed this recently: not remembered */
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

static bool same_key(const struct hentry *e, const struct hentry *k)
{
	return e->dev == k->dev && e->ino == k->ino && e->size == k->size &&
	       e->mtime_ns == k->mtime_ns && e->ctime_ns == k->ctime_ns;
}

static struct hentry *slot(const struct bpsh_hashcache *hc,
			   const struct hentry *k)
{
	uint64_t h = mix(mix(mix(mix(mix(0, k->dev), k->ino), k->size),
			     k->mtime_ns), k->ctime_ns);
	size_t mask = hc->cap - 1, i = h & mask;

	for (;; i = (i + 1) & mask)
		if (!hc->tab[i].set || same_key(&hc->tab[i], k))
			return &hc->tab[i];
}

static int grow(struct bpsh_hashcache *hc)
{
	struct hentry *old = hc->tab;
	size_t oldcap = hc->cap, i;

	if (hc->tab && (hc->n + 1) * 2 < hc->cap)
		return 0;
	hc->cap = oldcap ? 2 * oldcap : 256;
	hc->tab = calloc(hc->cap, sizeof(*hc->tab));
	if (!hc->tab) {
		hc->tab = old;
		hc->cap = oldcap;
		return -ENOMEM;
	}
	for (i = 0; i < oldcap; i++)
		if (old[i].set)
			*slot(hc, &old[i]) = old[i];
	free(old);
	return 0;
}

/* Add or replace @e. */
static int insert(struct bpsh_hashcache *hc, const struct hentry *e)
{
	struct hentry *s;
	int r = grow(hc);

	if (r)
		return r;
	s = slot(hc, e);
	if (!s->set)
		hc->n++;
	*s = *e;
	s->set = true;
	return 0;
}

static void clear(struct bpsh_hashcache *hc)
{
	free(hc->tab);
	hc->tab = NULL;
	hc->cap = hc->n = 0;
}

/* A decimal number ending at @sep; *@p moves past the separator. */
static bool parse_u64(const char **p, char sep, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - (*s - '0')) / 10)
			return false;
		x = x * 10 + (*s - '0');
	}
	if (*s != sep)
		return false;
	*p = s + 1;
	*v = x;
	return true;
}

static bool parse_i64(const char **p, char sep, int64_t *v)
{
	bool neg = **p == '-';
	uint64_t x;

	if (neg)
		(*p)++;
	if (!parse_u64(p, sep, &x) || x > (uint64_t)INT64_MAX + neg)
		return false;
	*v = neg ? (int64_t)(0 - x) : (int64_t)x;
	return true;
}

/* One line (NUL-terminated, without its newline). */
static bool parse_line(const char *s, struct hentry *e)
{
	memset(e, 0, sizeof(*e));
	return parse_u64(&s, ' ', &e->dev) && parse_u64(&s, ' ', &e->ino) &&
	       parse_u64(&s, ' ', &e->size) &&
	       parse_i64(&s, ' ', &e->mtime_ns) &&
	       parse_i64(&s, ' ', &e->ctime_ns) &&
	       strlen(s) == 2 * BPSH_HASH_LEN &&
	       !bp_unhex(s, e->hash, BPSH_HASH_LEN);
}

/* The cache file's entries; false when it does not parse. */
static bool load(struct bpsh_hashcache *hc, char *buf, size_t len)
{
	size_t ml = strlen(HASH_MAGIC);
	char *p, *end = buf + len;

	if (len < ml || memcmp(buf, HASH_MAGIC, ml))
		return false;
	for (p = buf + ml; p < end;) {
		char *nl = memchr(p, '\n', end - p);
		struct hentry e;

		if (!nl)
			return false;
		*nl = '\0';
		if (memchr(p, '\0', nl - p) || !parse_line(p, &e))
			return false;
		if (insert(hc, &e))
			return false;
		p = nl + 1;
	}
	return true;
}

int bpsh_hashcache_open(const char *file, struct bpsh_hashcache **out)
{
	struct bpsh_hashcache *hc;
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd;

	*out = NULL;
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return -ENOMEM;
	hc->racy_ns = RACY_NS;
	if (file) {
		hc->file = strdup(file);
		if (!hc->file) {
			free(hc);
			return -ENOMEM;
		}
	}
	if (grow(hc)) {
		bpsh_hashcache_free(hc);
		return -ENOMEM;
	}
	*out = hc;
	if (!file)
		return 0;
	/* Unreadable, odd or malformed: start empty, never an error. */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_CACHE_FILE)
		goto out;
	buf = malloc(st.st_size + 1);
	if (!buf)
		goto out;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	if (!load(hc, buf, got)) {
		clear(hc);
		grow(hc);
	}
out:
	free(buf);
	close(fd);
	return 0;
}

void bpsh_hashcache_free(struct bpsh_hashcache *hc)
{
	if (!hc)
		return;
	free(hc->tab);
	free(hc->file);
	free(hc);
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void key_of(const struct stat *st, struct hentry *k)
{
	memset(k, 0, sizeof(*k));
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->size = st->st_size;
	k->mtime_ns = ts_ns(&st->st_mtim);
	k->ctime_ns = ts_ns(&st->st_ctim);
}

/*
 * Read @fd through SHA-256: 1 when the file changed meanwhile (another
 * size, mtime or ctime after than before), 0 done (*@st: the file).
 */
static int hash_fd(int fd, char *buf, struct stat *st,
		   uint8_t out[BPSH_HASH_LEN])
{
	struct bp_sha256 h;
	struct stat after;
	uint64_t total = 0;
	int r;

	if (fstat(fd, st))
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	r = bp_sha256_init(&h);
	if (r)
		return r;
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			bp_sha256_abort(&h);
			return r;
		}
		if (!n)
			break;
		r = bp_sha256_update(&h, buf, n);
		if (r) {
			bp_sha256_abort(&h);
			return r;
		}
		total += n;
	}
	r = bp_sha256_final(&h, out);
	if (r)
		return r;
	if (fstat(fd, &after))
		return -errno;
	if (total != (uint64_t)st->st_size || after.st_size != st->st_size ||
	    ts_ns(&after.st_mtim) != ts_ns(&st->st_mtim) ||
	    ts_ns(&after.st_ctim) != ts_ns(&st->st_ctim))
		return 1;
	return 0;
}

static int __attribute__((format(printf, 3, 4)))
fail(struct bpsh_err *err, int e, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->err = e;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return e;
}

/*
 * A file changed within the last seconds could change again without its
 * times moving (they tick at the kernel's coarse clock): its hash is not
 * remembered, it is computed again next time (git's "racy" rule).
 */
static bool racy(const struct bpsh_hashcache *hc, const struct stat *st)
{
	struct timespec now;
	int64_t n;

	if (clock_gettime(CLOCK_REALTIME, &now))
		return true;
	n = ts_ns(&now);
	return n - ts_ns(&st->st_mtim) < hc->racy_ns ||
	       n - ts_ns(&st->st_ctim) < hc->racy_ns;
}

int bpsh_hash_file(struct bpsh_hashcache *hc, const char *root,
		   struct bpsh_file *f, struct bpsh_err *err)
{
	char real[PATH_MAX], fs[2 * PATH_MAX];
	struct hentry k, *e;
	struct stat st;
	char *buf;
	int r, i, fd;

	if (f->kind != BPSH_FILE_REG)
		return fail(err, -EINVAL, "%s: not a regular file", f->path);
	memset(&k, 0, sizeof(k));
	k.dev = f->dev;
	k.ino = f->ino;
	k.size = f->size;
	k.mtime_ns = f->mtime_ns;
	k.ctime_ns = f->ctime_ns;
	if (hc) {
		e = slot(hc, &k);
		if (e->set) {
			memcpy(f->hash, e->hash, BPSH_HASH_LEN);
			f->hashed = true;
			e->used = true;
			return 0;
		}
	}
	if (!root)
		root = "";
	r = bpsh_root_realpath(root, f->path, real, sizeof(real));
	if (r)
		return fail(err, r, "%s: %s", f->path, strerror(-r));
	if ((size_t)snprintf(fs, sizeof(fs), "%s%s", root, real) >= sizeof(fs))
		return fail(err, -ENAMETOOLONG, "%s: %s", f->path,
			    strerror(ENAMETOOLONG));
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	for (i = 0, r = 1; r == 1 && i <= HASH_RETRIES; i++) {
		fd = open(fs, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			break;
		}
		r = hash_fd(fd, buf, &st, f->hash);
		close(fd);
	}
	free(buf);
	if (r == 1)
		return fail(err, -EAGAIN, "%s: file changed while hashing",
			    f->path);
	if (r)
		return fail(err, r, "%s: %s", f->path, strerror(-r));
	/* What was hashed is what will be shipped. */
	f->hashed = true;
	f->size = st.st_size;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->mtime_ns = ts_ns(&st.st_mtim);
	f->ctime_ns = ts_ns(&st.st_ctim);
	f->mode = st.st_mode & 07777;
	if (!hc || racy(hc, &st))
		return 0;
	key_of(&st, &k);
	memcpy(k.hash, f->hash, BPSH_HASH_LEN);
	k.used = true;
	r = insert(hc, &k);
	if (r)
		return fail(err, r, "%s: %s", f->path, strerror(-r));
	hc->dirty = true;
	return 0;
}

/* mkdir -p of the directory of @file, new directories mode 0700. */
static int mkdirs(const char *file)
{
	char d[PATH_MAX];
	size_t n;
	char *p;

	n = strlen(file);
	if (n >= sizeof(d))
		return -ENAMETOOLONG;
	memcpy(d, file, n + 1);
	p = strrchr(d, '/');
	if (!p || p == d)
		return 0;
	*p = '\0';
	for (p = d + 1;; p++) {
		if (*p && *p != '/')
			continue;
		if (p[-1] != '/') {
			char c = *p;

			*p = '\0';
			if (mkdir(d, 0700) && errno != EEXIST)
				return -errno;
			*p = c;
		}
		if (!*p)
			break;
	}
	return 0;
}

int bpsh_hashcache_save(struct bpsh_hashcache *hc)
{
	char tmp[PATH_MAX + 32], hex[2 * BPSH_HASH_LEN + 1];
	bool drop;
	FILE *fp;
	size_t i;
	int fd, r;

	if (!hc || !hc->file || !hc->dirty)
		return 0;
	r = mkdirs(hc->file);
	if (r)
		return r;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", hc->file,
			     (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 && errno == EEXIST && !unlink(tmp))
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			  O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	fp = fdopen(fd, "w");
	if (!fp) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	drop = hc->n > KEEP_UNUSED;
	fputs(HASH_MAGIC, fp);
	for (i = 0; i < hc->cap; i++) {
		const struct hentry *e = &hc->tab[i];

		if (!e->set || (drop && !e->used))
			continue;
		bp_hex(e->hash, BPSH_HASH_LEN, hex);
		fprintf(fp, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64
			" %" PRId64 " %s\n", e->dev, e->ino, e->size,
			e->mtime_ns, e->ctime_ns, hex);
	}
	r = ferror(fp) ? -EIO : 0;
	if (fclose(fp) && !r)
		r = errno ? -errno : -EIO;
	if (!r && rename(tmp, hc->file))
		r = -errno;
	if (r) {
		unlink(tmp);
		return r;
	}
	hc->dirty = false;
	return 0;
}

int bpsh_hashcache_default(char *buf, size_t len)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	int n;

	/* The XDG spec: a relative $XDG_CACHE_HOME is to be ignored. */
	if (x && x[0] == '/')
		n = snprintf(buf, len, "%s/bproc/hashes", x);
	else if (h && h[0])
		n = snprintf(buf, len, "%s/.cache/bproc/hashes", h);
	else
		return -ENOENT;
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

void bpsh_hashcache_set_racy(struct bpsh_hashcache *hc, int64_t ns)
{
	hc->racy_ns = ns;
}
