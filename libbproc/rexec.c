// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Starting processes on nodes: bproc_rexec() and bproc_vrexec().
 *
 * bproc_rexec() packs path, argv and envp into one buffer and hands it to
 * the module with BPROC_IOC_REXEC; on success the ioctl never returns (the
 * caller has become the ghost of the remote process).
 *
 * bproc_vrexec() forks one child per node. Each child reports a failed
 * rexec by writing its errno into a close-on-exec pipe and exiting with
 * 127. A child that became a ghost closed its close-on-exec descriptors,
 * as execve() does (the module does it once the node has confirmed the
 * start), so the parent sees end of file: started, or died before its
 * node answered (its wait status then tells the caller).
 */

#include <endian.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* Add the sizes of @v's strings to *len (kept <= BPROC_REXEC_MAX). */
static int rexec_count(char *const v[], size_t *len, __u32 *count)
{
	size_t n, l;

	for (n = 0; v && v[n]; n++) {
		l = strlen(v[n]) + 1;
		if (l > BPROC_REXEC_MAX - *len)
			return -E2BIG;
		*len += l;
	}
	*count = n;
	return 0;
}

static char *rexec_copy(char *p, char *const v[], __u32 count)
{
	size_t l;
	__u32 i;

	for (i = 0; i < count; i++) {
		l = strlen(v[i]) + 1;
		memcpy(p, v[i], l);
		p += l;
	}
	return p;
}

int bproc_rexec_pack(struct bproc_rexec *req, int node, const char *path,
		     char *const argv[], char *const envp[])
{
	size_t len;
	__u32 argc, envc;
	char *buf, *p;
	int err;

	if (!req || !path)
		return -EFAULT;
	if (!*path)
		return -ENOENT;
	len = strlen(path) + 1;
	if (len > BPROC_REXEC_MAX)
		return -E2BIG;
	err = rexec_count(argv, &len, &argc);
	if (!err)
		err = rexec_count(envp, &len, &envc);
	if (err)
		return err;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	p = buf;
	memcpy(p, path, strlen(path) + 1);
	p += strlen(path) + 1;
	p = rexec_copy(p, argv, argc);
	rexec_copy(p, envp, envc);

	memset(req, 0, sizeof(*req));
	req->size = sizeof(*req);
	req->node = node;
	req->argc = argc;
	req->envc = envc;
	req->buf_len = len;
	req->buf = (__u64)(uintptr_t)buf;
	return 0;
}

void bproc_rexec_unpack(struct bproc_rexec *req)
{
	free((void *)(uintptr_t)req->buf);
	req->buf = 0;
	req->buf_len = 0;
}

/*
 * Ask the module; returns only on failure, with -errno. Async-signal-safe
 * (bproc_vrexec's children call it after fork()). No module, or one
 * without the ioctl, is -ENOSYS: ENOENT would read as "program missing".
 */
int bproc_rexec_ioctl(const char *dev, const struct bproc_rexec *req)
{
	int fd, err;

	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOSYS : -errno;
	if (ioctl(fd, BPROC_IOC_REXEC, req) < 0)
		err = errno == ENOTTY ? -ENOSYS : -errno;
	else
		err = -EPROTO;	/* a successful rexec must not return */
	close(fd);
	return err;
}

int bproc_rexec_dev(const char *dev, int node, const char *path,
		    char *const argv[], char *const envp[])
{
	struct bproc_rexec req;
	int err;

	err = bproc_rexec_pack(&req, node, path, argv, envp);
	if (err)
		return err;
	err = bproc_rexec_ioctl(dev, &req);
	bproc_rexec_unpack(&req);
	return err;
}

int bproc_rexec(int node, const char *path, char *const argv[],
		char *const envp[])
{
	return bproc_fail(bproc_rexec_dev(BPROC_DEVICE, node, path, argv,
					  envp));
}

/* The job's fields, little-endian as the module carries them to the node. */
static void job_to_le(const struct bproc_job *in, struct bproc_job *out)
{
	*out = *in;
	out->size = htole32(in->size);
	out->flags = htole32(in->flags);
	out->id = htole64(in->id);
	out->rank = htole32(in->rank);
	out->io_port = htole16(in->io_port);
	out->io_family = htole16(in->io_family);
	out->manifest_len = htole64(in->manifest_len);
}

int bproc_rexec_job_dev(const char *dev, int node, const char *path,
			char *const argv[], char *const envp[],
			const struct bproc_job *job)
{
	struct bproc_rexec req;
	struct bproc_job *le;
	int err;

	/*
	 * A longer job (its size says so) carries bytes of a later version
	 * after the struct: they go as they are, little-endian already.
	 */
	if (!job || job->size < sizeof(*job) || job->size > BPROC_JOB_MAX)
		return -EINVAL;
	le = malloc(job->size);
	if (!le)
		return -ENOMEM;
	err = bproc_rexec_pack(&req, node, path, argv, envp);
	if (err) {
		free(le);
		return err;
	}
	job_to_le(job, le);
	memcpy(le + 1, job + 1, job->size - sizeof(*job));
	req.job_len = job->size;
	req.job = (__u64)(uintptr_t)le;
	err = bproc_rexec_ioctl(dev, &req);
	bproc_rexec_unpack(&req);
	free(le);
	return err;
}

int bproc_rexec_job(int node, const char *path, char *const argv[],
		    char *const envp[], const struct bproc_job *job)
{
	return bproc_fail(bproc_rexec_job_dev(BPROC_DEVICE, node, path, argv,
					      envp, job));
}

static void vrexec_reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* The child: never returns. Only async-signal-safe calls after fork(). */
static void __attribute__((noreturn))
vrexec_child(const char *dev, const struct bproc_rexec *req, int p[2],
	     const int *fds, int nfds)
{
	int i, e;

	/* the read ends: its own and its elder siblings' */
	close(p[0]);
	for (i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	e = -bproc_rexec_ioctl(dev, req);
	if (write(p[1], &e, sizeof(e)) != sizeof(e))
		_exit(126);
	_exit(127);
}

/*
 * Wait until every started child has either become a ghost or reported
 * its error; pids[i] becomes -errno for the latter. Closes fds[]. @pfd and
 * @idx have room for @n entries.
 */
static void vrexec_collect(int *pids, int *fds, int n, struct pollfd *pfd,
			   int *idx)
{
	int i, k, m, e;
	ssize_t r;

	for (;;) {
		m = 0;
		for (i = 0; i < n; i++) {
			if (fds[i] < 0)
				continue;
			pfd[m].fd = fds[i];
			pfd[m].events = POLLIN;
			pfd[m].revents = 0;
			idx[m++] = i;
		}
		if (!m)
			break;
		if (poll(pfd, m, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;	/* cannot happen with valid fds */
		}
		for (k = 0; k < m; k++) {
			if (!pfd[k].revents)
				continue;
			i = idx[k];
			r = read(fds[i], &e, sizeof(e));
			if (r < 0 && errno == EINTR)
				continue;
			/* Anything but an errno: the child is the caller's. */
			if (r == sizeof(e) && e > 0) {
				vrexec_reap(pids[i]);
				pids[i] = -e;
			}
			close(fds[i]);
			fds[i] = -1;
		}
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int bproc_vrexec_dev(const char *dev, const int *nodes, int n, int *pids,
		     const char *path, char *const argv[],
		     char *const envp[])
{
	struct bproc_rexec req;
	struct pollfd *pfd = NULL;
	int i, err, started, p[2], *fds = NULL;
	pid_t pid;

	if (n < 0 || (n > 0 && (!nodes || !pids)))
		return -EINVAL;
	if (n == 0)
		return 0;
	err = bproc_rexec_pack(&req, 0, path, argv, envp);
	if (!err) {
		/* fds[n], then the poll set's index[n] */
		fds = malloc(2 * (size_t)n * sizeof(*fds));
		pfd = malloc((size_t)n * sizeof(*pfd));
		if (!fds || !pfd) {
			free(fds);
			free(pfd);
			bproc_rexec_unpack(&req);
			err = -ENOMEM;
		}
	}
	if (err) {
		for (i = 0; i < n; i++)
			pids[i] = err;
		return err;
	}

	for (i = 0; i < n; i++) {
		fds[i] = -1;
		if (pipe2(p, O_CLOEXEC) < 0) {
			pids[i] = -errno;
			continue;
		}
		req.node = nodes[i];
		pid = fork();
		if (pid == 0)
			vrexec_child(dev, &req, p, fds, i);
		err = -errno;
		close(p[1]);
		if (pid < 0) {
			close(p[0]);
			pids[i] = err;
			continue;
		}
		pids[i] = pid;
		fds[i] = p[0];
	}
	bproc_rexec_unpack(&req);
	vrexec_collect(pids, fds, n, pfd, fds + n);
	free(fds);
	free(pfd);

	started = 0;
	for (i = 0; i < n; i++)
		started += pids[i] > 0;
	return started ? started : pids[0];
}

int bproc_vrexec(const int *nodes, int n, int *pids, const char *path,
		 char *const argv[], char *const envp[])
{
	int r = bproc_vrexec_dev(BPROC_DEVICE, nodes, n, pids, path, argv,
				 envp);

	return r < 0 ? bproc_fail(r) : r;
}
