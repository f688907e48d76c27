/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libbproc internals: helpers return -errno; the public face does not. */
#ifndef _LIBBPROC_INTERNAL_H
#define _LIBBPROC_INTERNAL_H

#include <errno.h>
#include <bproc.h>

/* Turn a -errno into the public convention: errno set, -1 returned. */
static inline int bproc_fail(int err)
{
	errno = -err;
	return -1;
}

/* Fill @addr/@len from a table entry (see bproc_nodeaddr()); -errno. */
int bproc_info_sockaddr(const struct bproc_node_info *info,
			struct sockaddr *addr, socklen_t *len);

#endif /* _LIBBPROC_INTERNAL_H */
