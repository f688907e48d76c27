// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests: how bproc_rexec() packs its request, its errors before
 * and without the module, and bproc_vrexec()'s per-node error reports
 * (every child fails here: the host has no bproc module, and the tests
 * point the calls at /dev/null or a FIFO instead of /dev/bproc).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bproc.h>
#include "internal.h"
#include "bproc-test/tap.h"

static const char *req_buf(const struct bproc_rexec *req)
{
	return (const char *)(uintptr_t)req->buf;
}

static void test_pack_layout(struct tap *t)
{
	char *argv[] = { "prog", "", "a b", NULL };
	char *envp[] = { "A=1", "EMPTY=", NULL };
	static const char want[] = "/bin/prog\0prog\0\0a b\0A=1\0EMPTY=";
	struct bproc_rexec req;

	memset(&req, 0xa5, sizeof(req));
	tap_ok(t, bproc_rexec_pack(&req, 7, "/bin/prog", argv, envp) == 0,
	   "pack path, 3 args, 2 env strings");
	tap_ok(t, req.size == sizeof(req) && req.size >= BPROC_REXEC_SIZE_VER0,
	   "size is the struct's (%u)", req.size);
	tap_ok(t, req.node == 7 && req.flags == 0, "node 7, flags 0");
	tap_ok(t, req.argc == 3 && req.envc == 2, "argc 3, envc 2");
	tap_ok(t, req.buf_len == sizeof(want), "buf_len %u counts every NUL",
	   req.buf_len);
	tap_ok(t, req.buf && !memcmp(req_buf(&req), want, sizeof(want)),
	   "buffer is path\\0 argv...\\0 envp...\\0");
	bproc_rexec_unpack(&req);
	tap_ok(t, req.buf == 0 && req.buf_len == 0, "unpack frees and clears");

	tap_ok(t, bproc_rexec_pack(&req, BPROC_NODE_MASTER, "x", NULL, NULL) == 0,
	   "NULL argv and envp");
	tap_ok(t, req.argc == 0 && req.envc == 0 && req.buf_len == 2 &&
	   !memcmp(req_buf(&req), "x", 2), "are empty lists");
	tap_ok(t, req.node == BPROC_NODE_MASTER, "negative node kept");
	bproc_rexec_unpack(&req);
}

static void test_pack_errors(struct tap *t)
{
	struct bproc_rexec req;

	tap_ok(t, bproc_rexec_pack(&req, 0, NULL, NULL, NULL) == -EFAULT,
	   "NULL path: -EFAULT");
	tap_ok(t, bproc_rexec_pack(&req, 0, "", NULL, NULL) == -ENOENT,
	   "empty path: -ENOENT");
	tap_ok(t, bproc_rexec_pack(NULL, 0, "/bin/sh", NULL, NULL) == -EFAULT,
	   "NULL request: -EFAULT");
}

/*
 * A string of @len bytes plus its NUL fills the rest of the buffer after
 * path "p" (2 bytes) and argv[0] "a" (2 bytes) exactly when
 * len + 1 == BPROC_REXEC_MAX - 4.
 */
static void test_pack_limit(struct tap *t)
{
	size_t fill = BPROC_REXEC_MAX - 4 - 1;
	char *big = malloc(fill + 2);
	char *argv[] = { "a", big, NULL };
	char *envp[] = { big, NULL };
	char *argv1[] = { "a", NULL };
	struct bproc_rexec req;

	if (!tap_ok(t, big != NULL, "allocate %zu bytes", fill + 2))
		return;
	memset(big, 'x', fill + 1);
	big[fill] = 0;
	tap_ok(t, bproc_rexec_pack(&req, 0, "p", argv, NULL) == 0 &&
	   req.buf_len == BPROC_REXEC_MAX,
	   "exactly BPROC_REXEC_MAX bytes in argv fit");
	if (req.buf_len == BPROC_REXEC_MAX)
		tap_ok(t, req_buf(&req)[BPROC_REXEC_MAX - 1] == 0 &&
		   req_buf(&req)[BPROC_REXEC_MAX - 2] == 'x',
		   "last string ends at the end");
	bproc_rexec_unpack(&req);
	tap_ok(t, bproc_rexec_pack(&req, 0, "p", argv1, envp) == 0 &&
	   req.buf_len == BPROC_REXEC_MAX,
	   "exactly BPROC_REXEC_MAX bytes with envp fit");
	bproc_rexec_unpack(&req);

	big[fill] = 'x';
	big[fill + 1] = 0;
	tap_ok(t, bproc_rexec_pack(&req, 0, "p", argv, NULL) == -E2BIG,
	   "one byte more in argv: -E2BIG");
	tap_ok(t, bproc_rexec_pack(&req, 0, "p", argv1, envp) == -E2BIG,
	   "one byte more in envp: -E2BIG");
	free(big);

	/* the path alone: BPROC_REXEC_MAX - 1 characters and its NUL */
	big = malloc(BPROC_REXEC_MAX + 1);
	if (!tap_ok(t, big != NULL, "allocate %d bytes", BPROC_REXEC_MAX + 1))
		return;
	memset(big, 'y', BPROC_REXEC_MAX);
	big[BPROC_REXEC_MAX - 1] = 0;
	tap_ok(t, bproc_rexec_pack(&req, 0, big, NULL, NULL) == 0,
	   "a path of BPROC_REXEC_MAX - 1 characters fits");
	bproc_rexec_unpack(&req);
	big[BPROC_REXEC_MAX - 1] = 'y';
	big[BPROC_REXEC_MAX] = 0;
	tap_ok(t, bproc_rexec_pack(&req, 0, big, NULL, NULL) == -E2BIG,
	   "a path of BPROC_REXEC_MAX characters: -E2BIG");
	tap_ok(t, bproc_rexec_pack(&req, 0, big, argv1, NULL) == -E2BIG,
	   "and with argv too: -E2BIG");

	errno = 0;
	tap_ok(t, bproc_rexec(0, big, NULL, NULL) == -1 && errno == E2BIG,
	   "bproc_rexec: -1, errno E2BIG");
	free(big);
}

static void test_rexec_no_module(struct tap *t)
{
	char *argv[] = { "true", NULL };

	tap_ok(t, bproc_rexec_dev("/dev/null", 0, "/bin/true", argv, NULL) ==
	   -ENOSYS, "a device without the ioctl (ENOTTY): -ENOSYS");
	tap_ok(t, bproc_rexec_dev("/nonexistent/bproc", 0, "/bin/true", argv,
			      NULL) == -ENOSYS, "no device: -ENOSYS");
	errno = 0;
	tap_ok(t, bproc_rexec(0, NULL, argv, NULL) == -1 && errno == EFAULT,
	   "bproc_rexec(NULL path): -1, errno EFAULT");
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* No child of ours is left, dead or alive. */
static int no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static void test_vrexec_args(struct tap *t)
{
	int nodes[3] = { 0, 1, 2 }, pids[3] = { 1, 1, 1 };
	char *argv[] = { "true", NULL };

	tap_ok(t, bproc_vrexec(nodes, 0, pids, "/bin/true", argv, NULL) == 0 &&
	   pids[0] == 1, "no nodes: 0, pids untouched");
	errno = 0;
	tap_ok(t, bproc_vrexec(nodes, -1, pids, "/bin/true", argv, NULL) == -1 &&
	   errno == EINVAL, "n < 0: EINVAL");
	errno = 0;
	tap_ok(t, bproc_vrexec(nodes, 3, NULL, "/bin/true", argv, NULL) == -1 &&
	   errno == EINVAL, "NULL pids: EINVAL");
	errno = 0;
	tap_ok(t, bproc_vrexec(NULL, 3, pids, "/bin/true", argv, NULL) == -1 &&
	   errno == EINVAL, "NULL nodes: EINVAL");
	errno = 0;
	tap_ok(t, bproc_vrexec(nodes, 3, pids, "", argv, NULL) == -1 &&
	   errno == ENOENT, "empty path: ENOENT");
	tap_ok(t, pids[0] == -ENOENT && pids[1] == -ENOENT && pids[2] == -ENOENT,
	   "every pids[i] is -ENOENT");
	tap_ok(t, no_children(), "and no child was forked");
}

static void test_vrexec_errors(struct tap *t)
{
	int nodes[4] = { 3, 0, 9, 1 }, pids[4];
	char *argv[] = { "true", NULL };
	int fds = count_fds(), i, all;

	errno = 0;
	tap_ok(t, bproc_vrexec_dev("/dev/null", nodes, 4, pids, "/bin/true",
			       argv, NULL) == -ENOSYS,
	   "every child fails: -ENOSYS (the first node's error)");
	for (all = 1, i = 0; i < 4; i++)
		all &= pids[i] == -ENOSYS;
	tap_ok(t, all, "every pids[i] is -ENOSYS, as its child reported");
	tap_ok(t, no_children(), "failed children are reaped");
	tap_ok(t, count_fds() == fds, "no descriptor leaked (%d open)", fds);

	errno = 0;
	tap_ok(t, bproc_vrexec(nodes, 4, pids, "/bin/true", argv, NULL) == -1 &&
	   (errno == ENOSYS || access(BPROC_DEVICE, F_OK) == 0),
	   "public call without a module: -1, ENOSYS");
}

/*
 * Children that fail late: each blocks opening a FIFO (as a child blocks
 * in the module while its node answers) until a writer appears after
 * 300 ms; the ioctl on the FIFO then fails with ENOTTY. vrexec must keep
 * waiting across its poll intervals and still collect every error.
 */
static void test_vrexec_slow(struct tap *t)
{
	char dir[] = "/tmp/rexec_test.XXXXXX", fifo[64];
	int nodes[3] = { 0, 1, 2 }, pids[3], i, all, r;
	struct timespec a, b;
	char *argv[] = { "true", NULL };
	pid_t writer;
	double dt;

	if (!tap_ok(t, mkdtemp(dir) != NULL, "temporary directory"))
		return;
	snprintf(fifo, sizeof(fifo), "%s/dev", dir);
	if (!tap_ok(t, mkfifo(fifo, 0600) == 0, "FIFO"))
		goto out;
	writer = fork();
	if (writer == 0) {
		struct timespec d = { 0, 300 * 1000 * 1000 };

		nanosleep(&d, NULL);
		/* stays open for readers that come later */
		if (open(fifo, O_WRONLY) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	if (!tap_ok(t, writer > 0, "writer forked"))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &a);
	r = bproc_vrexec_dev(fifo, nodes, 3, pids, "/bin/true", argv, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	dt = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	kill(writer, SIGKILL);
	waitpid(writer, NULL, 0);
	tap_ok(t, r == -ENOSYS, "late failures: -ENOSYS");
	for (all = 1, i = 0; i < 3; i++)
		all &= pids[i] == -ENOSYS;
	tap_ok(t, all, "every pids[i] is -ENOSYS");
	tap_ok(t, dt >= 0.29, "waited for the children (%.2f s)", dt);
	tap_ok(t, no_children(), "failed children are reaped");
out:
	unlink(fifo);
	rmdir(dir);
}

int main(void)
{
	struct tap t = {};

	test_pack_layout(&t);
	test_pack_errors(&t);
	test_pack_limit(&t);
	test_rexec_no_module(&t);
	test_vrexec_args(&t);
	test_vrexec_errors(&t);
	test_vrexec_slow(&t);
	return tap_done(&t);
}
