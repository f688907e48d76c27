// SPDX-License-Identifier: GPL-2.0
/*
 * Paths (files_priv.h), as the job sees them and as they are on the
 * master: lexical normalisation (no //, /./, /../), the root prefix
 * (opts.root) put in front, and the real path under the root, every
 * symbolic link resolved by hand inside it (bpsh_root_realpath()).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_priv.h"

/* Append the components of @s to the normalised path @out (*@len). */
static int norm_append(char *out, size_t *len, const char *s)
{
	while (*s) {
		const char *e;
		size_t n;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchrnul(s, '/');
		n = e - s;
		if (n == 1 && s[0] == '.') {
			/* nothing */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (*len > 0 && out[*len - 1] != '/')
				(*len)--;
			if (*len > 0)
				(*len)--;
		} else {
			if (*len + 1 + n >= PATH_MAX)
				return -ENAMETOOLONG;
			out[(*len)++] = '/';
			memcpy(out + *len, s, n);
			*len += n;
		}
		s = e;
	}
	out[*len] = '\0';
	return 0;
}

/*
 * @in made absolute (relative to @base) and normalised lexically into
 * @out (PATH_MAX bytes).
 */
int bpsh_path_norm(const char *base, const char *in, char *out)
{
	size_t len = 0;
	int r;

	out[0] = '\0';
	if (in[0] != '/') {
		r = norm_append(out, &len, base);
		if (r)
			return r;
	}
	r = norm_append(out, &len, in);
	if (r)
		return r;
	if (!len)
		strcpy(out, "/");
	return 0;
}

/* The first @n bytes of @in, normalised (relative to @base). */
int bpsh_path_norm_n(const char *base, const char *in, size_t n,
		     char *out)
{
	char tmp[PATH_MAX];

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, in, n);
	tmp[n] = '\0';
	return bpsh_path_norm(base, tmp, out);
}

/* @root + @path into @out (FSPATH_MAX bytes). */
int bpsh_fspath(const char *root, const char *path, char *out)
{
	size_t rl = strlen(root), pl = strlen(path);

	if (rl + pl + 1 > FSPATH_MAX)
		return -ENAMETOOLONG;
	memcpy(out, root, rl);
	memcpy(out + rl, path, pl + 1);
	return 0;
}

/* Split normalised @path into its directory @dir and last component. */
const char *bpsh_path_split(const char *path, char *dir)
{
	const char *b = strrchr(path, '/');
	size_t n = b - path;

	memcpy(dir, path, n);
	dir[n] = '\0';
	if (!n)
		strcpy(dir, "/");
	return b + 1;
}

int bpsh_root_realpath(const char *root, const char *path, char *out,
		       size_t len)
{
	char rest[FSPATH_MAX], tmp[FSPATH_MAX], fs[FSPATH_MAX];
	char res[PATH_MAX], tgt[PATH_MAX];
	size_t rlen = 0, rootlen;
	int nlinks = 0;
	const char *p;

	if (!root)
		root = "";
	rootlen = strlen(root);
	if (path[0] != '/')
		return -EINVAL;
	if (strlen(path) >= sizeof(rest) || rootlen >= PATH_MAX)
		return -ENAMETOOLONG;
	strcpy(rest, path);
	res[0] = '\0';
	p = rest;
	for (;;) {
		struct stat st;
		const char *e;
		size_t n, save;
		ssize_t tl;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		n = e - p;
		if (n == 1 && p[0] == '.') {
			p = e;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (rlen > 0 && res[rlen - 1] != '/')
				rlen--;
			if (rlen > 0)
				rlen--;
			res[rlen] = '\0';
			p = e;
			continue;
		}
		if (rlen + 1 + n >= sizeof(res))
			return -ENAMETOOLONG;
		save = rlen;
		res[rlen++] = '/';
		memcpy(res + rlen, p, n);
		rlen += n;
		res[rlen] = '\0';
		memcpy(fs, root, rootlen);
		memcpy(fs + rootlen, res, rlen + 1);
		if (lstat(fs, &st))
			return -errno;
		if (S_ISLNK(st.st_mode)) {
			size_t el = strlen(e);

			if (++nlinks > BPSH_MAX_LINKS)
				return -ELOOP;
			tl = readlink(fs, tgt, sizeof(tgt));
			if (tl < 0)
				return -errno;
			if ((size_t)tl >= sizeof(tgt))
				return -ENAMETOOLONG;
			if (!tl)
				return -ENOENT;
			if ((size_t)tl + el + 1 > sizeof(tmp))
				return -ENAMETOOLONG;
			memcpy(tmp, tgt, tl);
			memcpy(tmp + tl, e, el + 1);
			memcpy(rest, tmp, tl + el + 1);
			p = rest;
			rlen = tgt[0] == '/' ? 0 : save;
			res[rlen] = '\0';
			continue;
		}
		if (!S_ISDIR(st.st_mode) && *e)
			return -ENOTDIR;
		p = e;
	}
	if (!rlen) {
		res[0] = '/';
		res[1] = '\0';
		rlen = 1;
	}
	if (rlen + 1 > len)
		return -ENAMETOOLONG;
	memcpy(out, res, rlen + 1);
	return 0;
}

/* stat(2) (@follow) or lstat(2) of @path under @root. */
int bpsh_root_stat(const char *root, const char *path, struct stat *st,
		   bool follow)
{
	char fs[FSPATH_MAX];
	int r = bpsh_fspath(root, path, fs);

	if (r)
		return r;
	if (follow ? stat(fs, st) : lstat(fs, st))
		return -errno;
	return 0;
}

/* open(2) of @path under @root (close-on-exec): the fd or -errno. */
int bpsh_root_open(const char *root, const char *path, int flags)
{
	char fs[FSPATH_MAX];
	int r = bpsh_fspath(root, path, fs), fd;

	if (r)
		return r;
	fd = open(fs, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
