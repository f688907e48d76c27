// SPDX-License-Identifier: GPL-2.0
/*
 * Files for the daemons and tools (bp_fs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "bp_fs.h"

/* mkdir @path up to each '/' after its first byte; and @path when @whole. */
static int mkdirs(const char *path, mode_t parent_mode, mode_t mode, bool whole)
{
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (!n || n >= sizeof(p))
		return n ? -ENAMETOOLONG : -EINVAL;
	memcpy(p, path, n + 1);
	for (char *q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, parent_mode) && errno != EEXIST)
			return -errno;
		*q = '/';
	}
	if (whole && mkdir(p, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int bp_mkdir_p(const char *dir, mode_t parent_mode, mode_t mode)
{
	return mkdirs(dir, parent_mode, mode, true);
}

int bp_mkdir_parents(const char *path, mode_t mode)
{
	return mkdirs(path, mode, mode, false);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int copy_all(int fd, int src)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(src, buf, sizeof(buf));
		int ret;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		ret = write_all(fd, buf, (size_t)n);
		if (ret)
			return ret;
	}
}

int bp_file_replace(const char *path, mode_t mode, const void *data,
		    size_t len, int src)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX",
		     slash ? (int)(slash - path + 1) : 0, path,
		     slash ? slash + 1 : path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);	/* mode 0600 until it is whole */
	if (fd < 0)
		return -errno;
	ret = data ? write_all(fd, data, len) : copy_all(fd, src);
	if (!ret && fchmod(fd, mode))
		ret = -errno;
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}
