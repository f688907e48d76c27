// SPDX-License-Identifier: GPL-2.0
/*
 * A job's connections back to bpsh (docs/bpsh.md): one per standard
 * stream bpsh forwards and one to fetch files. Each starts with an
 * IO_HELLO that proves the connection knows the launch's secret (an HMAC
 * over the job, rank, stream and a fresh nonce), so nobody else can
 * write into or read from a job's I/O. Made by the process that starts a
 * job, blocking (with timeouts), never by bpslave's loop.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "bp_crypto.h"
#include "bpslave.h"

/* Where bpsh listens: its job's address, else the master's as we know it. */
void bps_io_bpsh_addr(const struct bps_jobctx *jc, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(jc->job.io_port);
	if (jc->job.io_family == AF_INET)
		memcpy(&sin->sin_addr, jc->job.io_addr, 4);
	else
		sin->sin_addr = jc->master.sin_addr;
}

/* Write all of @len bytes (a blocking socket). */
static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The node sends only small messages (IO_HELLO, FILE_WANT). */
int bps_io_send(int fd, const struct bp_msg *m)
{
	uint8_t buf[BP_WIRE_ENC_MAX];
	ssize_t n = bp_wire_encode(m, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return write_all(fd, buf, (size_t)n);
}

/*
 * A connection to bpsh for @stream of this job, its IO_HELLO sent: the
 * socket, blocking, or -errno. A bpsh that does not answer within
 * BPS_IO_TIMEOUT_MS fails it with -ETIMEDOUT.
 */
int bps_io_connect(const struct bps_jobctx *jc, uint32_t stream)
{
	struct sockaddr_in sin;

	bps_io_bpsh_addr(jc, &sin);
	return bps_io_connect_to(jc, stream, &sin, BPS_IO_TIMEOUT_MS);
}

/*
 * The same connection to @to (bpsh, or the bpslave of the node above this
 * one in bpsh's tree, which checks the hello as bpsh would), with
 * @timeout_ms for connect and every read and write.
 */
int bps_io_connect_to(const struct bps_jobctx *jc, uint32_t stream,
		      const struct sockaddr_in *to, unsigned int timeout_ms)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	struct bp_msg m = { .type = BP_MSG_IO_HELLO };
	struct sockaddr_in sin = *to;
	int fd, ret, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Timeouts for connect and the fetch; a job's own I/O has none. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (stream == BP_IO_STDIN || stream == BP_IO_FILES)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while ((ret = connect(fd, (struct sockaddr *)&sin, sizeof(sin))) &&
	       errno == EINTR)
		;
	if (ret) {
		ret = errno == EINPROGRESS || errno == EAGAIN ? -ETIMEDOUT : -errno;
		close(fd);
		return ret;
	}
	m.io_hello.stream = stream;
	m.io_hello.rank = jc->job.rank;
	m.io_hello.job = jc->job.id;
	ret = bp_random(m.io_hello.nonce, sizeof(m.io_hello.nonce));
	if (!ret)
		ret = bp_io_mac(jc->job.secret, jc->job.id, jc->job.rank, stream,
				m.io_hello.nonce, m.io_hello.mac);
	if (!ret)
		ret = bps_io_send(fd, &m);
	if (ret) {
		close(fd);
		return ret == -EAGAIN ? -ETIMEDOUT : ret;
	}
	if (stream != BP_IO_FILES) {
		/* The job's own: no timeouts, as for a local pipe. */
		tv = (struct timeval){ 0 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		/* Output only: nothing is read from bpsh on it. */
		if (stream != BP_IO_STDIN)
			shutdown(fd, SHUT_RD);
	}
	return fd;
}
