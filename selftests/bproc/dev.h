/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the selftests that play the master daemon on /dev/bproc share
 * (nodetable_test.c, ctl_test.c): the device, and its ioctls as 0 or
 * -errno.
 */
#ifndef BPROC_SELFTEST_DEV_H
#define BPROC_SELFTEST_DEV_H

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include <linux/bproc.h>

#define DEV	"/dev/bproc"
#define NOBODY	65534

static inline int dev_open(void)
{
	return open(DEV, O_RDWR | O_CLOEXEC);
}

/* ioctl returning 0 or -errno. */
static inline int ioc(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

/* This file becomes the master's, with a fresh table of @nodes. */
static inline int set_master(int fd, __u32 nodes)
{
	struct bproc_master_cfg cfg = { .size = sizeof(cfg), .nodes = nodes };

	return ioc(fd, BPROC_IOC_MASTER, &cfg);
}

#endif /* BPROC_SELFTEST_DEV_H */
