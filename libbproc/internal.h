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

/*
 * rexec.c. Pack path, argv and envp (NULL vectors are empty) into a new
 * buffer described by @req; free it with bproc_rexec_unpack(). -EFAULT
 * (NULL path), -ENOENT (empty path), -E2BIG (more than BPROC_REXEC_MAX
 * bytes), -ENOMEM.
 */
int bproc_rexec_pack(struct bproc_rexec *req, int node, const char *path,
		     char *const argv[], char *const envp[]);
void bproc_rexec_unpack(struct bproc_rexec *req);

/* BPROC_IOC_REXEC on device @dev; returns only on failure, -errno. */
int bproc_rexec_ioctl(const char *dev, const struct bproc_rexec *req);

/* bproc_rexec() and bproc_vrexec() on device @dev (unit tests); -errno. */
int bproc_rexec_dev(const char *dev, int node, const char *path,
		    char *const argv[], char *const envp[]);
int bproc_rexec_job_dev(const char *dev, int node, const char *path,
			char *const argv[], char *const envp[],
			const struct bproc_job *job);
int bproc_vrexec_dev(const char *dev, const int *nodes, int n, int *pids,
		     const char *path, char *const argv[],
		     char *const envp[]);

#endif /* _LIBBPROC_INTERNAL_H */
