// SPDX-License-Identifier: GPL-2.0
/* bpcp's sender (docs/bpcp.md): the stream of the sources, to a pipe or a node. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpcp.h"
#include "stream.h"

/* ---- sending ------------------------------------------------------------ */

static int send_rec(int out, struct bpcp_rec r, const char *path)
{
	r.path_len = (uint32_t)strlen(path);
	bpcp_rec_swap(&r);
	if (write_all(out, &r, sizeof(r)) || write_all(out, path, strlen(path)))
		return fail("writing the stream: %s", strerror(errno));
	return 0;
}

static void rec_of(const struct stat *st, struct bpcp_rec *r, uint8_t type)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->mode = st->st_mode & 07777;
	r->uid = st->st_uid;
	r->gid = st->st_gid;
	r->mtime_sec = st->st_mtim.tv_sec;
	r->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	r->size = type == BPCP_FILE ? (uint64_t)st->st_size : 0;
}

/* One extent of @fd's data: sendfile() into @out. */
static int send_extent(int out, int fd, off_t off, uint64_t len, const char *src)
{
	struct bpcp_ext e = { .off = (uint64_t)off, .len = len };

	bpcp_ext_swap(&e);
	if (write_all(out, &e, sizeof(e)))
		return fail("writing the stream: %s", strerror(errno));
	while (len) {
		ssize_t n = sendfile(out, fd, &off, len > CHUNK ? CHUNK : len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail("%s: %s", src, n ? strerror(errno) :
				    "shrank while it was copied");
		len -= (uint64_t)n;
	}
	return 0;
}

/* A regular file: its data extents (holes skipped), then the last one. */
static int send_file(int out, int fd, const struct stat *st, const char *path,
		     const char *src)
{
	struct bpcp_rec r;
	struct bpcp_ext end = { 0 };
	off_t off = 0, size = st->st_size;

	rec_of(st, &r, BPCP_FILE);
	if (send_rec(out, r, path))
		return -1;
	while (off < size) {
		off_t data = lseek(fd, off, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;		/* a hole to the end */
		if (data < 0) {
			data = off;	/* no SEEK_DATA here: all of it */
			hole = size;
		} else {
			hole = lseek(fd, data, SEEK_HOLE);
			if (hole < 0 || hole > size)
				hole = size;
		}
		if (send_extent(out, fd, data, (uint64_t)(hole - data), src))
			return -1;
		off = hole;
	}
	if (write_all(out, &end, sizeof(end)))
		return fail("writing the stream: %s", strerror(errno));
	return 0;
}

static int send_path(int out, int dirfd, const char *name, const char *path,
		     const char *src);

static int send_dir(int out, int fd, const struct stat *st, const char *path,
		    const char *src)
{
	struct bpcp_rec r;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	rec_of(st, &r, BPCP_DIR);
	if (send_rec(out, r, path))
		return -1;
	d = fdopendir(fd);
	if (!d)
		return fail("%s: %s", src, strerror(errno));
	while (!ret && (de = readdir(d))) {
		char *sub, *subsrc;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) < 0 ||
		    asprintf(&subsrc, "%s/%s", src, de->d_name) < 0) {
			closedir(d);
			return fail("out of memory");
		}
		ret = send_path(out, dirfd(d), de->d_name, sub, subsrc);
		free(sub);
		free(subsrc);
	}
	closedir(d);
	return ret;
}

/* @name in @dirfd, as @path in the stream (@src: how to name it). */
static int send_path(int out, int dirfd, const char *name, const char *path,
		     const char *src)
{
	struct stat st;
	int fd, ret;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return fail("%s: %s", src, strerror(errno));
	if (strlen(path) > BPCP_PATH_MAX)
		return fail("%s: path too long", src);
	if (S_ISLNK(st.st_mode)) {
		char target[BPCP_PATH_MAX + 1];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		struct bpcp_rec r;

		if (n <= 0)
			return fail("%s: %s", src, n ? strerror(errno) : "empty link");
		rec_of(&st, &r, BPCP_SYMLINK);
		r.size = (uint64_t)n;
		if (send_rec(out, r, path) || write_all(out, target, (size_t)n))
			return fail("writing the stream: %s", strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode) && !opt_r)
		return fail("%s: a directory (-r copies trees)", src);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return fail("%s: not a regular file, directory or symlink", src);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return fail("%s: %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return send_dir(out, fd, &st, path, src);	/* closes fd */
	ret = send_file(out, fd, &st, path, src);
	close(fd);
	return ret;
}

/* The stream of @n sources (their base names at the top) to @out. */
int send_all(int out, char **srcs, int n)
{
	struct bpcp_rec end = { .type = BPCP_END };

	if (write_all(out, BPCP_MAGIC, BPCP_MAGIC_LEN))
		return fail("writing the stream: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		char *copy = strdup(srcs[i]), *dir, *base;
		size_t len = strlen(copy);
		int ret;

		while (len > 1 && copy[len - 1] == '/')
			copy[--len] = '\0';
		base = strdup(basename(copy));
		dir = dirname(copy);
		if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, "..")) {
			free(base);
			free(copy);
			return fail("%s: name a file or a directory by its name", srcs[i]);
		}
		{
			int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			ret = dfd < 0 ? fail("%s: %s", srcs[i], strerror(errno)) :
			      send_path(out, dfd, base, base, srcs[i]);
			if (dfd >= 0)
				close(dfd);
		}
		free(base);
		free(copy);
		if (ret)
			return -1;
	}
	if (write_all(out, &end, sizeof(end)))
		return fail("writing the stream: %s", strerror(errno));
	return 0;
}

/* --to ADDR:PORT: the stream of @srcs over a connection there. */
int send_to(const char *to, char **srcs, int n)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const char *tok = bpcp_token(), *colon = strrchr(to, ':');
	char addr[INET_ADDRSTRLEN];
	int fd, ret;

	if (!tok)
		return fail("--to: no BPCP_TOKEN of %d characters", TOKEN_LEN);
	if (!colon || (size_t)(colon - to) >= sizeof(addr))
		return fail("--to '%s': not ADDR:PORT", to);
	memcpy(addr, to, (size_t)(colon - to));
	addr[colon - to] = '\0';
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1 || !sin.sin_port)
		return fail("--to '%s': not ADDR:PORT", to);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return fail("connecting to %s: %s", to, strerror(errno));
	ret = write_all(fd, tok, TOKEN_LEN) ? fail("%s: %s", to, strerror(errno)) :
	      send_all(fd, srcs, n);
	close(fd);
	return ret;
}
