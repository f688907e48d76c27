// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Node administration (docs/nodes.md): changes go through /dev/bproc to
 * the master daemon (BPROC_IOC_NODE_CTL, the module checks the caller's
 * rights), and the change notifier is a /dev/bproc file without a role.
 */

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

int bproc_nodectl(const struct bproc_node_ctl *ctl)
{
	struct bproc_node_ctl c;
	int fd, err = 0;

	if (!ctl)
		return bproc_fail(-EINVAL);
	c = *ctl;
	c.size = sizeof(c);
	c.__pad = 0;
	fd = open(BPROC_DEVICE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bproc_fail(-errno);
	if (ioctl(fd, BPROC_IOC_NODE_CTL, &c) < 0)
		err = errno == ENOTTY ? -ENOSYS : -errno;
	close(fd);
	return err ? bproc_fail(err) : 0;
}

static int nodectl1(int node, __u32 what, __u32 state, __u32 mode,
		    __u32 uid, __u32 gid)
{
	struct bproc_node_ctl c = {
		.size = sizeof(c), .node = node, .what = what, .state = state,
		.mode = mode, .uid = uid, .gid = gid,
	};

	return bproc_nodectl(&c);
}

int bproc_nodesetstatus(int node, int state)
{
	if (state < 0)
		return bproc_fail(-EINVAL);
	return nodectl1(node, BPROC_CTL_STATE, (__u32)state, 0, 0, 0);
}

int bproc_nodereboot(int node)
{
	return bproc_nodesetstatus(node, BPROC_NODE_REBOOT);
}

int bproc_nodehalt(int node)
{
	return bproc_nodesetstatus(node, BPROC_NODE_HALT);
}

int bproc_nodepwroff(int node)
{
	return bproc_nodesetstatus(node, BPROC_NODE_PWROFF);
}

int bproc_nodecachepurge(int node)
{
	return nodectl1(node, BPROC_CTL_CACHE_PURGE, 0, 0, 0, 0);
}

int bproc_chmod(int node, int mode)
{
	if (mode < 0 || mode > 0777)
		return bproc_fail(-EINVAL);
	return nodectl1(node, BPROC_CTL_MODE, 0, (__u32)mode, 0, 0);
}

int bproc_chown(int node, uid_t uid, gid_t gid)
{
	__u32 what = 0;

	if (uid != (uid_t)-1)
		what |= BPROC_CTL_UID;
	if (gid != (gid_t)-1)
		what |= BPROC_CTL_GID;
	if (!what)
		return bproc_fail(-EINVAL);
	return nodectl1(node, what, 0, 0, uid, gid);
}

int bproc_chgrp(int node, gid_t gid)
{
	if (gid == (gid_t)-1)
		return bproc_fail(-EINVAL);
	return nodectl1(node, BPROC_CTL_GID, 0, 0, 0, gid);
}

/* Whether the caller is in group @gid (effective or supplementary). */
static int in_group(gid_t gid)
{
	gid_t *groups;
	int n, i, found = 0;

	if (getegid() == gid)
		return 1;
	n = getgroups(0, NULL);
	if (n <= 0)
		return 0;
	groups = calloc((size_t)n, sizeof(*groups));
	if (!groups)
		return 0;
	n = getgroups(n, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			found = 1;
	free(groups);
	return found;
}

int bproc_access(int node, int mode)
{
	struct bproc_node_info info;
	int root = geteuid() == 0;
	unsigned int bits;

	if (mode != X_OK && mode != F_OK)
		return bproc_fail(-EINVAL);
	if (node == BPROC_NODE_SELF)
		node = bproc_currnode();
	if (node == BPROC_NODE_MASTER)
		return 0;
	if (bproc_nodeinfo(node, &info))
		return -1;
	if (info.state != BPROC_NODE_UP &&
	    !(info.state == BPROC_NODE_UNAVAILABLE && root))
		return bproc_fail(-EHOSTDOWN);
	if (mode == F_OK || root)
		return 0;
	if (geteuid() == info.uid)
		bits = info.mode >> 6;
	else if (in_group(info.gid))
		bits = info.mode >> 3;
	else
		bits = info.mode;
	return bits & 1 ? 0 : bproc_fail(-EACCES);
}

int bproc_notifier(int nonblock)
{
	int fd = open(BPROC_DEVICE, O_RDONLY | O_CLOEXEC |
		      (nonblock ? O_NONBLOCK : 0));

	return fd < 0 ? bproc_fail(-errno) : fd;
}

int bproc_notifier_ack(int fd, unsigned long long *gen)
{
	uint64_t g;
	ssize_t n;

	n = read(fd, &g, sizeof(g));
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n != sizeof(g))
		return bproc_fail(-EIO);
	if (gen)
		*gen = g;
	return 1;
}
