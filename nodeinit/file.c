// SPDX-License-Identifier: GPL-2.0
/* Reading and writing small files (procfs, sysfs, /run). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "nodeinit.h"

/*
 * Read all of @path into @buf (NUL-terminated, so at most @size - 1
 * bytes). Returns 0 and the length in *len, -EFBIG if it did not fit,
 * or another -errno.
 */
int ni_read_file(const char *path, char *buf, size_t size, size_t *len)
{
	size_t off = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (off + 1 >= size) {
			ret = -EFBIG;
			break;
		}
		r = read(fd, buf + off, size - 1 - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	buf[off] = '\0';
	*len = off;
	return ret;
}

/* Write @text to an existing file such as /proc/sys/... in one write. */
int ni_write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t w;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, text, len);
	if (w < 0)
		ret = -errno;
	else if ((size_t)w != len)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}
