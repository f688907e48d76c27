// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the seed server (seed.c) against a real cache in a
 * temporary directory: the server's loop runs in a child process, this
 * one connects as a node below would. A node that proves the launch's
 * secret gets the launch's objects, by content; a wrong MAC, an object
 * outside the manifest or a message other than FILE_WANT closes the
 * connection; an object this node lacks, while no start of the launch
 * runs here, is answered with EAGAIN at once. The process table is a
 * stand-in (no process of the launch is starting here). TAP.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
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
	bps_cache_purge(&c);
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
