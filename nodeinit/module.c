// SPDX-License-Identifier: GPL-2.0
/* Load a kernel module from a file with finit_module(2). */
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nodeinit.h"

/*
 * Load the module at @path with parameters @params ("" for none).
 * Returns 0, or -errno with *step naming the call that failed ("open"
 * or "finit_module"). -EEXIST means the module is already loaded.
 */
int ni_module_load(const char *path, const char *params, const char **step)
{
	int fd, ret = 0;

	*step = "open";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*step = "finit_module";
	if (syscall(SYS_finit_module, fd, params, 0) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
