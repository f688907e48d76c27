// SPDX-License-Identifier: LGPL-2.1-or-later
/* Node information: reads of the module's node table via /dev/bproc. */

#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

static int bproc_dev_open(void)
{
	int fd = open(BPROC_DEVICE, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int bproc_dev_count(int fd)
{
	__u32 n;

	if (ioctl(fd, BPROC_IOC_NODE_COUNT, &n) < 0)
		return -errno;
	return n;
}

/* No table at all reads as "no such node" to callers. */
static int bproc_dev_node_get(int fd, int node, struct bproc_node_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->node = node;
	if (ioctl(fd, BPROC_IOC_NODE_GET, info) < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	return 0;
}

static int bproc_node_get(int node, struct bproc_node_info *info)
{
	int fd, err;

	fd = bproc_dev_open();
	if (fd < 0)
		return fd;
	err = bproc_dev_node_get(fd, node, info);
	close(fd);
	return err;
}

int bproc_numnodes(void)
{
	int fd, n;

	fd = bproc_dev_open();
	if (fd < 0)
		return bproc_fail(fd);
	n = bproc_dev_count(fd);
	close(fd);
	return n < 0 ? bproc_fail(n) : n;
}

/*
 * The module says which node the caller is on (BPROC_IOC_CURRNODE). A
 * machine without bproc, or with a module that predates the ioctl, is
 * the master as far as its processes can tell.
 */
int bproc_currnode(void)
{
	__s32 node;
	int fd;

	fd = bproc_dev_open();
	if (fd < 0)
		return BPROC_NODE_MASTER;
	if (ioctl(fd, BPROC_IOC_CURRNODE, &node) < 0)
		node = BPROC_NODE_MASTER;
	close(fd);
	return node;
}

int bproc_nodestatus(int node)
{
	struct bproc_node_info info;
	int err;

	if (node == BPROC_NODE_SELF)
		node = bproc_currnode();
	if (node == BPROC_NODE_MASTER)
		return BPROC_NODE_UP;
	err = bproc_node_get(node, &info);
	if (err)
		return bproc_fail(err);
	return info.state;
}

int bproc_info_sockaddr(const struct bproc_node_info *info,
			struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	const void *sa;
	socklen_t salen;

	if (!addr || !len)
		return -EINVAL;
	switch (info->addr_family) {
	case AF_INET:
		memcpy(&sin.sin_addr, info->addr, sizeof(sin.sin_addr));
		sa = &sin;
		salen = sizeof(sin);
		break;
	case AF_INET6:
		memcpy(&sin6.sin6_addr, info->addr, sizeof(sin6.sin6_addr));
		sa = &sin6;
		salen = sizeof(sin6);
		break;
	default:
		return -EADDRNOTAVAIL;
	}
	memcpy(addr, sa, *len < salen ? *len : salen);
	*len = salen;
	return 0;
}

int bproc_nodeaddr(int node, struct sockaddr *addr, socklen_t *len)
{
	struct bproc_node_info info;
	int err;

	if (!addr || !len)
		return bproc_fail(-EINVAL);
	err = bproc_node_get(node, &info);
	if (!err)
		err = bproc_info_sockaddr(&info, addr, len);
	return err ? bproc_fail(err) : 0;
}

int bproc_nodeinfo(int node, struct bproc_node_info *info)
{
	int err;

	if (!info)
		return bproc_fail(-EINVAL);
	err = bproc_node_get(node, info);
	return err ? bproc_fail(err) : 0;
}

int bproc_nodelist(struct bproc_node_info **list)
{
	struct bproc_node_info *l = NULL;
	int fd, n, i, err = 0;

	if (!list)
		return bproc_fail(-EINVAL);
	fd = bproc_dev_open();
	if (fd < 0)
		return bproc_fail(fd);
	n = bproc_dev_count(fd);
	if (n < 0) {
		err = n;
		goto out;
	}
	if (n > 0) {
		l = calloc(n, sizeof(*l));
		if (!l) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		err = bproc_dev_node_get(fd, i, &l[i]);
		if (err == -ENODEV) {
			/* A new master shrank the table under us. */
			err = 0;
			n = i;
			break;
		}
		if (err)
			break;
	}
out:
	close(fd);
	if (err) {
		free(l);
		return bproc_fail(err);
	}
	if (n == 0) {
		free(l);
		l = NULL;
	}
	*list = l;
	return n;
}

int bproc_version(struct bproc_version *version)
{
	int fd, err = 0;

	if (!version)
		return bproc_fail(-EINVAL);
	fd = bproc_dev_open();
	if (fd < 0)
		return bproc_fail(fd);
	memset(version, 0, sizeof(*version));
	version->size = sizeof(*version);
	if (ioctl(fd, BPROC_IOC_VERSION, version) < 0)
		err = -errno;
	close(fd);
	return err ? bproc_fail(err) : 0;
}
