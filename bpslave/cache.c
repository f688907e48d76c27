// SPDX-License-Identifier: GPL-2.0
/*
 * The node's program cache (docs/bpsh.md, "Shipping"): files jobs need,
 * named by content, kept in the node's memory file system across jobs
 * and bpslave restarts, up to a size limit, the least recently used
 * evicted first.
 *
 *   DIR/nodeN/            mode 0700 root: no job looks in here
 *     lock                flock(): exclusive to evict, shared to use
 *     objects/HEX/M-U-G   content SHA-256 HEX, with mode M (octal), owner
 *                         U and group G as the master has the file; its
 *                         mtime is when a job last used it
 *     tmp/HEX.PID         being fetched by process PID; renamed when whole
 *
 * A job sees each object bind-mounted read-only at its master path
 * (jobns.c), so neither a job nor an eviction while a job runs can change
 * what another job sees. Used by the process that starts a job (as root,
 * before it execs); bpslave's loop, which must not block, uses only what
 * does not wait: opening it, bps_cache_clean(), reading objects (seed.c)
 * and bps_cache_try_purge().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "bp_crypto.h"
#include "bp_fs.h"
#include "bpslave.h"

/* "HEX/M-U-G" for @e into @buf. */
static void object_name(const struct bp_job_entry *e, char *buf, size_t len)
{
	char hex[2 * 32 + 1];

	bp_hex(e->hash, sizeof(e->hash), hex);
	snprintf(buf, len, "%s/%o-%u-%u", hex, e->mode, e->uid, e->gid);
}

static int mkdir_at(int dirfd, const char *name, mode_t mode)
{
	if (mkdirat(dirfd, name, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int bps_cache_open(struct bps_cache *c, const char *dir, int node,
		   uint64_t limit)
{
	char sub[32];
	int top, ret;

	memset(c, 0, sizeof(*c));
	c->dirfd = c->objfd = c->tmpfd = c->lockfd = -1;
	c->limit = limit;
	ret = bp_mkdir_p(dir, 0755, 0700);	/* the cache itself 0700 */
	if (ret)
		return ret;
	top = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (top < 0)
		return -errno;
	snprintf(sub, sizeof(sub), "node%d", node);
	if ((size_t)snprintf(c->path, sizeof(c->path), "%s/%s", dir, sub) >=
	    sizeof(c->path)) {
		close(top);
		return -ENAMETOOLONG;
	}
	ret = mkdir_at(top, sub, 0700);
	if (!ret) {
		c->dirfd = openat(top, sub, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (c->dirfd < 0)
			ret = -errno;
	}
	close(top);
	if (ret)
		return ret;
	/* Whatever the directory was, only root may look inside. */
	if (fchmod(c->dirfd, 0700) || fchown(c->dirfd, 0, 0))
		ret = -errno;
	if (!ret)
		ret = mkdir_at(c->dirfd, "objects", 0700);
	if (!ret)
		ret = mkdir_at(c->dirfd, "tmp", 0700);
	if (!ret) {
		c->objfd = openat(c->dirfd, "objects", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		c->tmpfd = openat(c->dirfd, "tmp", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		c->lockfd = openat(c->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (c->objfd < 0 || c->tmpfd < 0 || c->lockfd < 0)
			ret = -errno;
	}
	if (ret)
		bps_cache_close(c);
	return ret;
}

int bps_cache_reopen(struct bps_cache *c)
{
	int dir = open(c->path, O_DIRECTORY | O_RDONLY | O_CLOEXEC), obj;

	if (dir < 0)
		return -errno;
	obj = openat(dir, "objects", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (obj < 0) {
		obj = -errno;
		close(dir);
		return obj;
	}
	close(c->dirfd);
	close(c->objfd);
	c->dirfd = dir;
	c->objfd = obj;
	return 0;
}

void bps_cache_close(struct bps_cache *c)
{
	int *fds[] = { &c->dirfd, &c->objfd, &c->tmpfd, &c->lockfd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int bps_cache_lock(struct bps_cache *c, bool exclusive)
{
	while (flock(c->lockfd, exclusive ? LOCK_EX : LOCK_SH))
		if (errno != EINTR)
			return -errno;
	return 0;
}

void bps_cache_unlock(struct bps_cache *c)
{
	flock(c->lockfd, LOCK_UN);
}

/* Is @e's object there (and of the right size)? */
bool bps_cache_has(struct bps_cache *c, const struct bp_job_entry *e)
{
	char name[128];
	struct stat st;

	object_name(e, name, sizeof(name));
	return !fstatat(c->objfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	       S_ISREG(st.st_mode) && (uint64_t)st.st_size == e->size;
}

/* An O_PATH descriptor of @e's object (to bind-mount it), or -errno. */
int bps_cache_object_fd(struct bps_cache *c, const struct bp_job_entry *e)
{
	char name[128];
	int fd;

	object_name(e, name, sizeof(name));
	fd = openat(c->objfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* @e's object open for reading (to serve it, seed.c), or -errno. */
int bps_cache_object_open(struct bps_cache *c, const struct bp_job_entry *e)
{
	char name[128];
	int fd;

	object_name(e, name, sizeof(name));
	fd = openat(c->objfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Mark @e's object used now (the LRU order of eviction). */
void bps_cache_touch(struct bps_cache *c, const struct bp_job_entry *e)
{
	char name[128];

	object_name(e, name, sizeof(name));
	utimensat(c->objfd, name, NULL, AT_SYMLINK_NOFOLLOW);
}

/* One object on disk, for the eviction scan. */
struct obj {
	char name[128];
	uint64_t size;
	struct timespec used;
};

static int by_use(const void *a, const void *b)
{
	const struct obj *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
	return 0;
}

/* Every object: *@objs (malloc'd), *@n, and their total size. */
static int scan(struct bps_cache *c, struct obj **objs, size_t *n,
		uint64_t *total)
{
	struct obj *v = NULL;
	size_t cap = 0, k = 0;
	struct dirent *d, *d2;
	DIR *top;
	int ret = 0;

	*total = 0;
	top = fdopendir(dup(c->objfd));
	if (!top)
		return -errno;
	rewinddir(top);
	while ((d = readdir(top))) {
		DIR *sub;
		int fd;

		if (d->d_name[0] == '.')
			continue;
		fd = openat(c->objfd, d->d_name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		sub = fdopendir(fd);
		if (!sub) {
			close(fd);
			continue;
		}
		while ((d2 = readdir(sub))) {
			struct stat st;

			if (d2->d_name[0] == '.' ||
			    fstatat(dirfd(sub), d2->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
			    !S_ISREG(st.st_mode))
				continue;
			if (k == cap) {
				struct obj *nv;

				cap = cap ? 2 * cap : 256;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					ret = -ENOMEM;
					break;
				}
				v = nv;
			}
			snprintf(v[k].name, sizeof(v[k].name), "%.64s/%.60s",
				 d->d_name, d2->d_name);
			v[k].size = (uint64_t)st.st_size;
			v[k].used = st.st_mtim;
			*total += v[k].size;
			k++;
		}
		closedir(sub);
		if (ret)
			break;
	}
	closedir(top);
	if (ret) {
		free(v);
		return ret;
	}
	*objs = v;
	*n = k;
	return 0;
}

static bool wanted(const char *name, const struct bp_job_entry *keep,
		   size_t nkeep)
{
	char mine[128];

	for (size_t i = 0; i < nkeep; i++) {
		if (keep[i].kind != BP_JOB_FILE)
			continue;
		object_name(&keep[i], mine, sizeof(mine));
		if (!strcmp(mine, name))
			return true;
	}
	return false;
}

/*
 * Make room for @need more bytes, evicting the least recently used
 * objects that are not among @keep (the job's own). The caller holds the
 * lock exclusively. -ENOSPC when even then the limit is too small.
 */
int bps_cache_make_room(struct bps_cache *c, uint64_t need,
			const struct bp_job_entry *keep, size_t nkeep)
{
	struct obj *v = NULL;
	uint64_t total;
	size_t n = 0;
	int ret;

	if (need > c->limit)
		return -ENOSPC;
	ret = scan(c, &v, &n, &total);
	if (ret)
		return ret;
	if (total + need > c->limit) {
		qsort(v, n, sizeof(*v), by_use);
		for (size_t i = 0; i < n && total + need > c->limit; i++) {
			char *slash;

			if (wanted(v[i].name, keep, nkeep))
				continue;
			if (!unlinkat(c->objfd, v[i].name, 0)) {
				total -= v[i].size;
				slash = strchr(v[i].name, '/');
				if (slash) {
					*slash = '\0';
					unlinkat(c->objfd, v[i].name, AT_REMOVEDIR);
				}
			}
		}
	}
	free(v);
	return total + need > c->limit ? -ENOSPC : 0;
}

/* What the objects of this cache take now, in bytes. */
int bps_cache_usage(struct bps_cache *c, uint64_t *bytes)
{
	struct obj *v = NULL;
	size_t n = 0;
	int ret = scan(c, &v, &n, bytes);

	free(v);
	return ret;
}

/*
 * An object of the same content under another mode or owner: copy it
 * into @e's object locally (no bytes over the network). 0 when done,
 * -ENOENT when there is none.
 */
int bps_cache_copy_variant(struct bps_cache *c, const struct bp_job_entry *e)
{
	char hex[2 * 32 + 1], from[160];
	struct dirent *d;
	int ret = -ENOENT, hfd;
	DIR *dir;

	bp_hex(e->hash, sizeof(e->hash), hex);
	hfd = openat(c->objfd, hex, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (hfd < 0)
		return -ENOENT;
	dir = fdopendir(hfd);
	if (!dir) {
		close(hfd);
		return -ENOENT;
	}
	while ((d = readdir(dir))) {
		int in, out;

		if (d->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/%.60s", hex, d->d_name);
		in = openat(c->objfd, from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			continue;
		out = bps_cache_begin(c, e);
		if (out < 0) {
			close(in);
			ret = out;
			break;
		}
		ret = 0;
		for (;;) {
			char buf[65536];
			ssize_t k = read(in, buf, sizeof(buf));

			if (k < 0)
				ret = -errno;
			if (k <= 0)
				break;
			if (write(out, buf, (size_t)k) != k) {
				ret = -EIO;
				break;
			}
		}
		close(in);
		/* The content was checked when it came in: commit unhashed. */
		ret = ret ? (bps_cache_abort(c, e, out), ret) :
			    bps_cache_commit(c, e, out, NULL);
		break;
	}
	closedir(dir);
	return ret;
}

/* tmp/HEX.PID of the calling process for @e. */
static void tmp_name(const struct bp_job_entry *e, char *buf, size_t len)
{
	char hex[2 * 32 + 1];

	bp_hex(e->hash, sizeof(e->hash), hex);
	snprintf(buf, len, "%s.%d", hex, (int)getpid());
}

/* A fresh temporary file for @e's content: its fd, or -errno. */
int bps_cache_begin(struct bps_cache *c, const struct bp_job_entry *e)
{
	char name[128];
	int fd;

	tmp_name(e, name, sizeof(name));
	fd = openat(c->tmpfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
	return fd < 0 ? -errno : fd;
}

void bps_cache_abort(struct bps_cache *c, const struct bp_job_entry *e, int fd)
{
	char name[128];

	close(fd);
	tmp_name(e, name, sizeof(name));
	unlinkat(c->tmpfd, name, 0);
}

/*
 * @fd holds @e's content: check its SHA-256 (@digest, when the caller
 * hashed it on the way; NULL: trusted, a local copy), give it the mode and
 * owner @e says, and move it into objects. -EBADMSG when the content is
 * not what its name says.
 */
int bps_cache_commit(struct bps_cache *c, const struct bp_job_entry *e,
		     int fd, const uint8_t *digest)
{
	char tmp[128], name[128], hex[2 * 32 + 1];
	struct stat st;
	int ret = 0;

	if (digest && bp_mem_neq(digest, e->hash, sizeof(e->hash)))
		ret = -EBADMSG;
	if (!ret && (fstat(fd, &st) || (uint64_t)st.st_size != e->size))
		ret = -EBADMSG;
	if (!ret && (fchown(fd, e->uid, e->gid) || fchmod(fd, e->mode & 0777)))
		ret = -errno;
	if (ret) {
		bps_cache_abort(c, e, fd);
		return ret;
	}
	close(fd);
	tmp_name(e, tmp, sizeof(tmp));
	bp_hex(e->hash, sizeof(e->hash), hex);
	ret = mkdir_at(c->objfd, hex, 0700);
	object_name(e, name, sizeof(name));
	if (!ret && renameat(c->tmpfd, tmp, c->objfd, name))
		ret = -errno;
	if (ret)
		unlinkat(c->tmpfd, tmp, 0);
	return ret;
}

/*
 * Temporary files of fetches that did not finish: of the process that
 * had master pid @pid (its start failed or was killed), or every one
 * (@pid 0: bpslave starts, no fetch runs).
 */
void bps_cache_clean(struct bps_cache *c, int pid)
{
	struct dirent *d;
	DIR *dir = fdopendir(dup(c->tmpfd));

	if (!dir)
		return;
	rewinddir(dir);
	while ((d = readdir(dir))) {
		const char *dot = strrchr(d->d_name, '.');

		if (d->d_name[0] == '.' || !dot)
			continue;
		if (!pid || atoi(dot + 1) == pid)
			unlinkat(c->tmpfd, d->d_name, 0);
	}
	closedir(dir);
}

/*
 * Every object (bpctl --cache-purge), with the lock held exclusively: no
 * starter is between checking its objects and binding them. Jobs that
 * run keep theirs: a bind mount holds its file, unlinked or not. Objects
 * still being fetched (tmp/) are left alone. *@nobjs and *@bytes (each
 * may be NULL): what was removed.
 */
int bps_cache_purge(struct bps_cache *c, size_t *nobjs, uint64_t *bytes)
{
	struct obj *v = NULL;
	uint64_t total, gone = 0;
	size_t n = 0, k = 0;
	int ret = scan(c, &v, &n, &total);

	for (size_t i = 0; !ret && i < n; i++) {
		char *slash;

		if (!unlinkat(c->objfd, v[i].name, 0)) {
			k++;
			gone += v[i].size;
		}
		slash = strchr(v[i].name, '/');
		if (slash) {
			*slash = '\0';
			unlinkat(c->objfd, v[i].name, AT_REMOVEDIR);
		}
	}
	free(v);
	if (nobjs)
		*nobjs = k;
	if (bytes)
		*bytes = gone;
	return ret;
}

/*
 * bps_cache_purge() for bpslave's loop, which must not wait: -EAGAIN when
 * a starter holds the lock (it binds its objects: try again soon).
 */
int bps_cache_try_purge(struct bps_cache *c, size_t *nobjs, uint64_t *bytes)
{
	int ret;

	if (flock(c->lockfd, LOCK_EX | LOCK_NB))
		return errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
	ret = bps_cache_purge(c, nobjs, bytes);
	bps_cache_unlock(c);
	return ret;
}
