// SPDX-License-Identifier: GPL-2.0
/*
 * The set of files of a closure (files.h): each path once (an index of
 * c->files by path, for one walk), with what lstat(2) says of it. A path
 * is added with its chain of symbolic links (bpsh_add_chain()), or as a
 * directory with everything below it (bpsh_add_dir()). Symlinks to files
 * become LINK entries; symlinked directories never do: a file reached
 * through one is added at the path as referenced and at its real path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_priv.h"

static size_t str_hash(const char *s)
{
	size_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* The slot of @path in the index: its entry or the empty slot for it. */
static size_t *idx_slot(const struct walk *w, const char *path)
{
	size_t mask = w->idxcap - 1, i = str_hash(path) & mask;

	for (;; i = (i + 1) & mask) {
		size_t *s = &w->idx[i];

		if (!*s || !strcmp(w->c->files[*s - 1].path, path))
			return s;
	}
}

/* Room in the index for @need paths (rehashing what c->files has). */
int bpsh_index_grow(struct walk *w, size_t need)
{
	size_t cap = w->idxcap ? w->idxcap : 64, i;
	size_t *old = w->idx;

	if (need * 2 < w->idxcap)
		return 0;
	while (need * 2 >= cap)
		cap *= 2;
	w->idx = calloc(cap, sizeof(*w->idx));
	if (!w->idx) {
		w->idx = old;
		return -ENOMEM;
	}
	w->idxcap = cap;
	free(old);
	for (i = 0; i < w->c->nfiles; i++)
		*idx_slot(w, w->c->files[i].path) = i + 1;
	return 0;
}

static bool have(const struct walk *w, const char *path)
{
	return *idx_slot(w, path) != 0;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* Add @path (once); *@added says whether it was new. */
static int add_entry(struct walk *w, const char *path,
		     enum bpsh_file_kind kind, const char *target,
		     const struct stat *st, bool *added)
{
	struct bpsh_closure *c = w->c;
	struct bpsh_file *f;
	size_t *slot;
	int r;

	if (added)
		*added = false;
	if (have(w, path))
		return 0;
	r = bpsh_index_grow(w, c->nfiles + 1);
	if (r)
		return r;
	if (c->nfiles == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct bpsh_file *n = reallocarray(c->files, cap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->files = n;
		c->cap = cap;
	}
	f = &c->files[c->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	f->target = target ? strdup(target) : NULL;
	if (!f->path || (target && !f->target)) {
		free(f->path);
		free(f->target);
		return -ENOMEM;
	}
	f->kind = kind;
	f->mode = st->st_mode & 07777;
	f->size = kind == BPSH_FILE_DIR ? 0 : (uint64_t)st->st_size;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->mtime_ns = ts_ns(&st->st_mtim);
	f->ctime_ns = ts_ns(&st->st_ctim);
	slot = idx_slot(w, path);
	*slot = ++c->nfiles;
	if (added)
		*added = true;
	return 0;
}

/* Buffers of one level of add_chain() (on the heap: it recurses). */
struct chain_buf {
	char p[PATH_MAX], d[PATH_MAX], rd[PATH_MAX], real[PATH_MAX];
	char tgt[PATH_MAX], next[PATH_MAX];
};

/*
 * The file at @s (a path as referenced): a regular file is added at @s
 * and at its real path; a symlink in the last component gives a LINK entry
 * (at both) and the chain goes on with what it points to.
 */
static int add_chain(struct walk *w, const char *s, int depth)
{
	struct chain_buf *b;
	struct stat st;
	const char *base;
	ssize_t tl;
	int r;

	if (depth > BPSH_MAX_LINKS)
		return -ELOOP;
	b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	r = bpsh_path_norm(w->cwd, s, b->p);
	if (r || have(w, b->p))
		goto out;
	if (!strcmp(b->p, "/")) {
		r = -EISDIR;
		goto out;
	}
	base = bpsh_path_split(b->p, b->d);
	r = wrealpath(w, b->d, b->rd);
	if (!r)
		r = bpsh_path_norm(b->rd, base, b->real);
	if (!r)
		r = wstat(w, b->real, &st, false);
	if (r)
		goto out;
	if (S_ISREG(st.st_mode)) {
		r = add_entry(w, b->p, BPSH_FILE_REG, NULL, &st, NULL);
		if (!r)
			r = add_entry(w, b->real, BPSH_FILE_REG, NULL, &st,
				      NULL);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto out;
	}
	if (!S_ISLNK(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	r = bpsh_fspath(w->root, b->real, b->next);
	if (r)
		goto out;
	tl = readlink(b->next, b->tgt, sizeof(b->tgt));
	if (tl < 0 || (size_t)tl >= sizeof(b->tgt) || !tl) {
		r = tl < 0 ? -errno : tl ? -ENAMETOOLONG : -ENOENT;
		goto out;
	}
	b->tgt[tl] = '\0';
	r = add_entry(w, b->p, BPSH_FILE_LINK, b->tgt, &st, NULL);
	if (!r)
		r = add_entry(w, b->real, BPSH_FILE_LINK, b->tgt, &st, NULL);
	if (r)
		goto out;
	if (b->tgt[0] == '/') {
		r = add_chain(w, b->tgt, depth + 1);
		goto out;
	}
	/* Where it points here (physically)... */
	r = bpsh_path_norm(b->rd, b->tgt, b->next);
	if (!r)
		r = add_chain(w, b->next, depth + 1);
	/* ... and, best effort, from the directory as referenced. */
	if (!r && strcmp(b->d, b->rd) && !bpsh_path_norm(b->d, b->tgt, b->next))
		add_chain(w, b->next, depth + 1);
out:
	free(b);
	return r;
}

int bpsh_add_chain(struct walk *w, const char *path)
{
	return add_chain(w, path, 0);
}

/* -------------------------------------------------------------------- */
/* Directories                                                           */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The directory @real (a real path), everything below it, at the path
 * @as (the same or through a symlinked directory).
 */
int bpsh_add_dir(struct walk *w, const char *as, const char *real,
		 const struct stat *dst)
{
	char fs[FSPATH_MAX], tgt[PATH_MAX];
	char **names = NULL, *cp = NULL, *cr = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int r, fd;

	r = add_entry(w, as, BPSH_FILE_DIR, NULL, dst, NULL);
	if (r)
		return r;
	r = bpsh_fspath(w->root, real, fs);
	if (r)
		return bpsh_fail(w->err, r, "%s: %s", as, strerror(-r));
	fd = open(fs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bpsh_fail(w->err, -errno, "%s: %s", as, strerror(errno));
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return bpsh_fail(w->err, r, "%s: %s", as, strerror(-r));
	}
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **nn;

			cap = cap ? 2 * cap : 32;
			nn = reallocarray(names, cap, sizeof(*nn));
			if (!nn) {
				r = -ENOMEM;
				goto out;
			}
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			goto out;
		}
		n++;
		if (w->dirents + n > BPSH_MAX_DIR_ENTRIES) {
			r = bpsh_fail(w->err, -E2BIG,
				      "%s: more than %d entries", as,
				      BPSH_MAX_DIR_ENTRIES);
			goto out;
		}
	}
	if (errno) {
		r = bpsh_fail(w->err, -errno, "%s: %s", as, strerror(errno));
		goto out;
	}
	/* One directory open at a time, however deep the tree. */
	closedir(d);
	d = NULL;
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	cp = malloc(PATH_MAX);
	cr = malloc(PATH_MAX);
	if (!cp || !cr) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct stat st;
		ssize_t tl;

		if (++w->dirents > BPSH_MAX_DIR_ENTRIES) {
			r = bpsh_fail(w->err, -E2BIG,
				      "%s: more than %d entries", as,
				      BPSH_MAX_DIR_ENTRIES);
			goto out;
		}
		r = bpsh_path_norm(as, names[i], cp);
		if (!r)
			r = bpsh_path_norm(real, names[i], cr);
		if (!r)
			r = bpsh_fspath(w->root, cr, fs);
		if (r) {
			r = bpsh_fail(w->err, r, "%s/%s: %s", as, names[i],
				      strerror(-r));
			goto out;
		}
		if (lstat(fs, &st)) {
			if (errno == ENOENT)	/* gone meanwhile */
				continue;
			r = bpsh_fail(w->err, -errno, "%s: %s", cp,
				      strerror(errno));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			r = bpsh_add_dir(w, cp, cr, &st);
		} else if (S_ISREG(st.st_mode)) {
			r = add_entry(w, cp, BPSH_FILE_REG, NULL, &st, NULL);
		} else if (S_ISLNK(st.st_mode)) {
			tl = readlink(fs, tgt, sizeof(tgt));
			if (tl < 0 || (size_t)tl >= sizeof(tgt)) {
				r = tl < 0 ? -errno : -ENAMETOOLONG;
				r = bpsh_fail(w->err, r,
					      "%s: cannot read the link", cp);
				goto out;
			}
			tgt[tl] = '\0';
			r = add_entry(w, cp, BPSH_FILE_LINK, tgt, &st, NULL);
		}
		/* Devices, fifos and sockets cannot be shipped: skipped. */
		if (r)
			goto out;
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(cp);
	free(cr);
	if (d)
		closedir(d);
	return r;
}

