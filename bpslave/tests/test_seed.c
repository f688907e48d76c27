// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the seed server (seed.c) against a real cache in a
 * temporary directory: the server's loop runs in a child process, this
 * one connects as a node below would. A node that proves the launch's
 * secret gets the launch's objects, by content; a wrong MAC, an object
 * outside the manifest or a message other than FILE_WANT closes the
 * connection; an object this node lacks, while no start of the launch
 * runs here, is answered with EAGAIN at once. The process table is a
 * stand-in (no process of the launch is starting here). Then the cache
 * purge (a master's CACHE_PURGE, cache.c): it waits while a starter holds
 * the cache's lock, then removes every object, leaves a fetch in progress
 * (tmp/) alone, and an object bound into a running job keeps its content
 * there. TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "bpslave.h"
#include "bproc-test/tap.h"

/* ptable.c's, for seed.c: no process of any launch is starting here. */
struct bps_proc *bps_proc_find(struct bps *s, int32_t pid)
{
	return NULL;
}

static uint8_t secret[BPROC_JOB_SECRET_LEN] = { 7, 7, 7 };
static const uint64_t job_id = 0x5eed;

/* Put @len bytes at @data into the cache as @e's object. */
static int put(struct bps_cache *c, struct bp_job_entry *e, const void *data,
	       size_t len)
{
	uint8_t d[32];
	int fd;

	bp_sha256(data, len, d);
	memcpy(e->hash, d, 32);
	e->size = len;
	fd = bps_cache_begin(c, e);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		return -1;
	return bps_cache_commit(c, e, fd, d);
}

static int dial(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int hello(int fd, bool good)
{
	struct bp_msg m = { .type = BP_MSG_IO_HELLO };

	m.io_hello.stream = BP_IO_FILES;
	m.io_hello.rank = 9;
	m.io_hello.job = job_id;
	bp_io_mac(secret, job_id, 9, BP_IO_FILES, m.io_hello.nonce, m.io_hello.mac);
	if (!good)
		m.io_hello.mac[0] ^= 1;
	return bps_io_send(fd, &m);
}

static int want(int fd, const struct bp_job_entry *e)
{
	struct bp_msg m = { .type = BP_MSG_FILE_WANT };

	memcpy(m.file.hash, e->hash, 32);
	m.file.offset = e->size;
	return bps_io_send(fd, &m);
}

/*
 * Read @e's object back: its bytes into @buf (up to @cap). Returns the
 * length, -EAGAIN etc. for a FILE_END with an error, -ECONNRESET when the
 * server closed the connection, -ETIMEDOUT.
 */
static long fetch_one(int fd, struct bp_rx *rx, const struct bp_job_entry *e,
		      uint8_t *buf, size_t cap)
{
	size_t got = 0;

	for (;;) {
		struct bp_msg m;
		int ret = bp_rx_next(rx, &m, NULL);
		ssize_t n;

		if (ret == 0) {
			n = bp_rx_read(rx, fd);
			if (n == 0)
				return -ECONNRESET;
			if (n < 0)
				return n == -EAGAIN ? -ETIMEDOUT : (long)n;
			continue;
		}
		if (ret < 0)
			return ret;
		if (memcmp(m.file.hash, e->hash, 32))
			return -EPROTO;
		if (m.type == BP_MSG_FILE_DATA) {
			if (m.file.offset != got || got + m.file.len > cap)
				return -EPROTO;
			memcpy(buf + got, m.file.data, m.file.len);
			got += m.file.len;
			continue;
		}
		if (m.type != BP_MSG_FILE_END)
			return -EPROTO;
		return m.file.error ? -(long)m.file.error : (long)got;
	}
}

/*
 * A running job's view of @e: in a mount namespace of its own, @e's object
 * bound over @target as jobns.c binds it. Tells "bound" (or "skip": no
 * privilege for that here) on @ready, waits for a byte on @go, then exits
 * 0 when @target still holds @data, 1 when not.
 */
static void __attribute__((noreturn))
job_view(struct bps_cache *c, const struct bp_job_entry *e, const char *target,
	 const uint8_t *data, size_t len, int ready, int go)
{
	static uint8_t back[700000];
	int obj, tfd, tree, fd;
	char ok;
	ssize_t n;

	ok = 's';
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    bps_cache_reopen(c))
		_exit(write(ready, &ok, 1) == 1 ? 77 : 1);
	obj = bps_cache_object_fd(c, e);
	tfd = open(target, O_PATH | O_CLOEXEC);
	tree = obj < 0 ? -1 : open_tree(obj, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					AT_EMPTY_PATH);
	if (tfd < 0 || tree < 0 ||
	    move_mount(tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH))
		_exit(write(ready, &ok, 1) == 1 ? 77 : 1);
	ok = 'b';
	if (write(ready, &ok, 1) != 1 || read(go, &ok, 1) != 1)
		_exit(1);
	fd = open(target, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, back, sizeof(back));
	_exit(n == (ssize_t)len && !memcmp(back, data, len) ? 0 : 1);
}

static void test_purge(struct tap *t, struct bps_cache *c, const char *dir,
		       const struct bp_job_entry *fe, const struct bp_job_entry *me,
		       const uint8_t *prog, size_t len)
{
	struct bp_job_entry fetching = { .kind = BP_JOB_FILE, .mode = 0644 };
	char target[64], name[128], hex[65], ok = 0;
	int ready[2], go[2], st = -1, tmpfd, ret;
	struct bps_cache starter;
	uint64_t bytes = 0;
	size_t n = 0;
	struct stat sb;
	pid_t job;

	/* A fetch in progress: its temporary file. */
	bp_sha256("fetching", 8, fetching.hash);
	fetching.size = 8;
	tmpfd = bps_cache_begin(c, &fetching);

	/* A job that runs with the program bound into its view. */
	snprintf(target, sizeof(target), "%s/target", dir);
	close(open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	if (pipe(ready) || pipe(go))
		return;
	job = fork();
	if (job == 0)
		job_view(c, fe, target, prog, len, ready[1], go[0]);
	if (job < 0 || read(ready[0], &ok, 1) != 1)
		ok = 0;

	/* A starter binding its objects holds the lock shared. */
	ret = bps_cache_open(&starter, dir, 3, 1 << 30);
	if (!ret)
		ret = bps_cache_lock(&starter, false);
	tap_ok(t, !ret && bps_cache_try_purge(c, &n, &bytes) == -EAGAIN &&
	       bps_cache_has(c, fe) && bps_cache_has(c, me),
	       "a purge while a starter holds the lock: -EAGAIN, nothing removed");
	bps_cache_unlock(&starter);
	bps_cache_close(&starter);

	ret = bps_cache_try_purge(c, &n, &bytes);
	tap_ok(t, !ret && n == 2 && bytes == fe->size + me->size &&
	       !bps_cache_has(c, fe) && !bps_cache_has(c, me),
	       "then every object goes (%zu objects, %llu bytes)", n,
	       (unsigned long long)bytes);
	bp_hex(fetching.hash, sizeof(fetching.hash), hex);
	snprintf(name, sizeof(name), "%s.%d", hex, (int)getpid());
	tap_ok(t, tmpfd >= 0 && !fstatat(c->tmpfd, name, &sb, 0),
	       "a fetch in progress keeps its temporary file");
	if (tmpfd >= 0)
		bps_cache_abort(c, &fetching, tmpfd);
	bp_hex(fe->hash, sizeof(fe->hash), hex);
	tap_ok(t, fstatat(c->objfd, hex, &sb, AT_SYMLINK_NOFOLLOW) && errno == ENOENT,
	       "and the objects' directories go with them");

	if (job > 0) {
		if (write(go[1], "g", 1) != 1)
			kill(job, SIGKILL);
		waitpid(job, &st, 0);
	}
	if (ok == 'b')
		tap_ok(t, WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "a running job's bound program still reads as it was");
	else
		tap_skip(t, "a running job's bound program reads as it was: %s",
			 "no mount namespace here");
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	unlink(target);
}

int main(void)
{
	char dir[] = "/tmp/bpslave-seed-XXXXXX";
	struct tap t = { 0 };
	struct bps s = { 0 };
	struct bps_sess sess = { 0 };
	struct bps_cache c;
	struct bp_manifest man;
	struct bp_job_entry fe = { .kind = BP_JOB_FILE, .mode = 0755,
				   .path = "/usr/bin/prog" };
	struct bp_job_entry ge = { .kind = BP_JOB_FILE, .mode = 0644,
				   .path = "/usr/lib/absent.so" };
	struct bp_job_entry other = { .kind = BP_JOB_FILE, .mode = 0644 };
	struct bp_job_entry me;
	struct bproc_job job = { .size = sizeof(job), .id = job_id,
				 .flags = BPROC_JOB_FILES, .io_port = 1 };
	static uint8_t prog[600000], back[700000], absent[1000], out[4096];
	uint8_t *mbytes;
	size_t mlen;
	struct bp_rx rx;
	uint16_t port;
	pid_t srv;
	long n;
	int fd;

	printf("TAP version 13\n");
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir) || bps_cache_open(&c, dir, 3, 1 << 30)) {
		printf("Bail out! cache in %s\n", dir);
		return 1;
	}
	for (size_t i = 0; i < sizeof(prog); i++)
		prog[i] = (uint8_t)(i * 7 + i / 251);
	memset(absent, 'a', sizeof(absent));
	put(&c, &fe, prog, sizeof(prog));
	bp_sha256(absent, sizeof(absent), ge.hash);	/* listed, not in the cache */
	ge.size = sizeof(absent);
	bp_sha256("other", 5, other.hash);
	other.size = 5;
	bp_manifest_init(&man);
	bp_manifest_add(&man, &fe);
	bp_manifest_add(&man, &ge);
	bp_manifest_build(&man, &mbytes, &mlen);
	bp_sha256(mbytes, mlen, job.manifest);
	job.manifest_len = mlen;
	memcpy(job.secret, secret, sizeof(secret));
	bps_manifest_entry(&job, &me);
	put(&c, &me, mbytes, mlen);

	s.cache_dir = dir;
	s.cache_size = 1 << 30;
	sess.node = 3;
	s.sess = &sess;
	bp_log_init(&s.log, "test_seed", 2, BP_LOG_STAMP_NONE);
	if (bp_loop_init(&s.loop) || bps_seed_start(&s, 0)) {
		printf("Bail out! seed start\n");
		return 1;
	}
	bps_seed_add(&s, &job, 1234);
	port = bps_seed_port(&s);
	tap_ok(&t, port != 0, "the seed listens (port %u)", port);
	srv = fork();
	if (srv == 0)
		_exit(bp_loop_run(&s.loop) ? 1 : 0);

	/* the launch's objects, by content */
	fd = dial(port);
	bp_rx_init(&rx);
	tap_ok(&t, fd >= 0 && !hello(fd, true) && !want(fd, &me) && !want(fd, &fe),
	       "a node of the launch connects and asks");
	n = fetch_one(fd, &rx, &me, back, sizeof(back));
	tap_ok(&t, n == (long)mlen && !memcmp(back, mbytes, mlen),
	       "the manifest comes back as it is (%ld bytes)", n);
	n = fetch_one(fd, &rx, &fe, back, sizeof(back));
	tap_ok(&t, n == (long)sizeof(prog) && !memcmp(back, prog, sizeof(prog)),
	       "the program comes back as it is, in parts (%ld bytes)", n);
	/* listed but not here, and nothing of the launch starting here */
	tap_ok(&t, !want(fd, &ge) && fetch_one(fd, &rx, &ge, back, sizeof(back)) == -EAGAIN,
	       "an object the node lacks: EAGAIN at once (the node below asks bpsh)");
	/* anything outside the manifest closes the connection */
	tap_ok(&t, !want(fd, &other) &&
	       fetch_one(fd, &rx, &other, back, sizeof(back)) == -ECONNRESET,
	       "an object outside the manifest: the connection is closed");
	bp_rx_free(&rx);
	close(fd);

	/* a wrong MAC: nothing served */
	fd = dial(port);
	bp_rx_init(&rx);
	tap_ok(&t, fd >= 0 && !hello(fd, false) && !want(fd, &fe) &&
	       fetch_one(fd, &rx, &fe, out, sizeof(out)) == -ECONNRESET,
	       "a hello without the launch's secret: closed, nothing sent");
	bp_rx_free(&rx);
	close(fd);

	/* something else than FILE_WANT after the hello */
	fd = dial(port);
	bp_rx_init(&rx);
	{
		struct bp_msg m = { .type = BP_MSG_IO_HELLO };

		tap_ok(&t, fd >= 0 && !hello(fd, true) && !bps_io_send(fd, &m) &&
		       fetch_one(fd, &rx, &fe, out, sizeof(out)) == -ECONNRESET,
		       "a second hello instead of a FILE_WANT: closed");
	}
	bp_rx_free(&rx);
	close(fd);

	/* the server survived all of it */
	fd = dial(port);
	bp_rx_init(&rx);
	tap_ok(&t, fd >= 0 && !hello(fd, true) && !want(fd, &me) &&
	       fetch_one(fd, &rx, &me, back, sizeof(back)) == (long)mlen,
	       "and still serves the next node");
	bp_rx_free(&rx);
	close(fd);

	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	test_purge(&t, &c, dir, &fe, &me, prog, sizeof(prog));
	bps_cache_purge(&c, NULL, NULL);
	bps_cache_close(&c);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			printf("# could not remove %s\n", dir);
	}
	free(mbytes);
	bp_manifest_free(&man);
	return tap_done(&t);
}
