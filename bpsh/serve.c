// SPDX-License-Identifier: GPL-2.0
/*
 * bpsh's listening socket (docs/bpsh.md): the nodes of the launch connect
 * back here. Each connection first says who it is with an IO_HELLO; one
 * whose MAC does not prove it knows the launch's secret, or that names a
 * stream already connected or not asked for, is closed, so no other host
 * or user can read or inject a job's I/O. A standard stream connection is
 * then handed to output.c or input.c; a files connection stays here: its
 * FILE_WANTs are served from the master's files (the ones the manifest
 * lists, nothing else), a chunk at a time as the socket takes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bp_crypto.h"
#include "bpsh.h"

/*
 * Bounds, whatever connects: connections that have not said who they are
 * (anyone may connect: a flood evicts the oldest of them, so the nodes'
 * own, whose hello comes right after their connect, still get in), files
 * connections (only a node of the launch can open one), and FILE_WANTs
 * outstanding on one (a node never needs more than the manifest lists).
 */
#define BPSH_PENDING_MAX(b)	(4 * (b)->nranks + 64)
#define BPSH_FILES_MAX(b)	(2 * (b)->nranks + 16)
#define BPSH_WANTS_MAX(b)	((b)->nobjects + 1)

static void conn_free(struct bpsh_conn *c, bool keep_fd);

/*
 * How many connections of a kind are open (counted as they come and go),
 * and the oldest of them: the list is newest first, its tail the oldest,
 * and files connections are few, so the walk from the tail is short.
 */
static int conns_of(const struct bpsh *b, bool files, struct bpsh_conn **oldest)
{
	*oldest = NULL;
	for (struct bpsh_conn *c = b->conns_tail; c; c = c->prev)
		if (c->files == files) {
			*oldest = c;
			break;
		}
	return files ? b->nfiles_conns : b->npending_conns;
}

/* Drop @c; @keep_fd: its socket went to output.c or input.c. */
static void conn_free(struct bpsh_conn *c, bool keep_fd)
{
	struct bpsh *b = c->b;

	bp_io_del(&b->loop, &c->io);
	bp_timer_stop(&b->loop, &c->hello);
	if (!keep_fd)
		close(c->io.fd);
	if (c->file_fd >= 0)
		close(c->file_fd);
	while (c->wants) {
		struct bpsh_want *w = c->wants;

		c->wants = w->next;
		free(w);
	}
	bp_rx_free(&c->rx);
	bp_tx_free(&c->tx);
	if (c->prev)
		c->prev->next = c->next;
	else
		b->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		b->conns_tail = c->prev;
	if (c->files)
		b->nfiles_conns--;
	else
		b->npending_conns--;
	free(c);
}

static void hello_timeout(struct bp_loop *l, struct bp_timer *t)
{
	conn_free(bp_container_of(t, struct bpsh_conn, hello), false);
}

/* Is @h one of this launch's, with a MAC made with its secret? */
static bool hello_ok(const struct bpsh *b, const struct bp_msg_io_hello *h)
{
	uint8_t mac[32];

	if (h->job != b->job_id || h->rank >= (uint32_t)b->nranks)
		return false;
	if (bp_io_mac(b->secret, h->job, h->rank, h->stream, h->nonce, mac))
		return false;
	return !bp_mem_neq(mac, h->mac, sizeof(mac));
}

/*
 * A valid IO_HELLO on @c: give the connection to its stream. Returns
 * true when @c is gone (handed over or closed).
 */
static bool hello(struct bpsh_conn *c, const struct bp_msg_io_hello *h)
{
	struct bpsh *b = c->b;
	struct bpsh_rank *r = &b->ranks[h->rank];
	struct bpsh_out *o;
	size_t left;

	bp_timer_stop(&b->loop, &c->hello);
	switch (h->stream) {
	case BP_IO_STDOUT:
	case BP_IO_STDERR:
		o = h->stream == BP_IO_STDOUT ? &r->out : &r->err;
		if (!o->expected || o->sock >= 0 || o->eof)
			break;
		/* What came after the hello is the stream's already. */
		left = bp_rx_pending(&c->rx);
		bp_io_del(&b->loop, &c->io);	/* the socket changes hands */
		bpsh_out_attach(o, c->io.fd, c->rx.buf + c->rx.off, left);
		conn_free(c, true);
		return true;
	case BP_IO_STDIN:
		if (!r->in_expected || r->in_sock >= 0 || r->in_done ||
		    bp_rx_pending(&c->rx))
			break;
		bp_io_del(&b->loop, &c->io);
		bpsh_input_attach(r, c->io.fd);
		conn_free(c, true);
		return true;
	case BP_IO_TREE:
		if (!b->tree_io)
			break;
		left = bp_rx_pending(&c->rx);
		bp_io_del(&b->loop, &c->io);
		bpsh_link_attach(b, c->io.fd, (int)h->rank, c->rx.buf + c->rx.off,
				 left);
		conn_free(c, true);
		return true;
	case BP_IO_FILES: {
		struct bpsh_conn *old;

		if (conns_of(b, true, &old) >= BPSH_FILES_MAX(b))
			break;
		c->files = true;
		b->npending_conns--;
		b->nfiles_conns++;
		c->rank = (int)h->rank;
		c->nwants = 0;
		return false;
	}
	}
	bp_debug(&b->log, "node %d: %s connection refused: %s", r->node,
		 h->stream == BP_IO_STDIN ? "stdin" : h->stream == BP_IO_STDOUT ?
		 "stdout" : h->stream == BP_IO_STDERR ? "stderr" :
		 h->stream == BP_IO_TREE ? "tree link" : "files",
		 h->stream >= BP_IO_NSTREAMS ? "no such stream" :
		 "not asked for, or connected already");
	conn_free(c, false);
	return true;
}

/* Queue FILE_DATA/FILE_END while the socket's queue is short. */
static int serve_files(struct bpsh_conn *c)
{
	struct bpsh *b = c->b;
	uint8_t *chunk = b->chunk;

	while (c->wants && bp_tx_pending(&c->tx) < 2 * BP_FILE_CHUNK) {
		struct bpsh_want *w = c->wants;
		const struct bpsh_object *obj = bpsh_object_find(b, w->hash);
		struct bp_msg m = { .type = BP_MSG_FILE_DATA };
		uint64_t left;
		ssize_t n;
		int ret;

		memcpy(m.file.hash, w->hash, sizeof(m.file.hash));
		if (!obj || obj->size != w->size) {
			m.type = BP_MSG_FILE_END;
			m.file.error = ENOENT;	/* not this launch's */
			goto end;
		}
		if (obj->path && c->file_fd < 0) {
			c->file_fd = open(obj->path, O_RDONLY | O_CLOEXEC);
			if (c->file_fd < 0) {
				m.type = BP_MSG_FILE_END;
				m.file.error = (uint32_t)errno;
				goto end;
			}
		}
		left = obj->size - c->file_off;
		if (left) {
			m.file.offset = c->file_off;
			m.file.len = left < BP_FILE_CHUNK ? (uint32_t)left : BP_FILE_CHUNK;
			if (obj->path) {
				n = pread(c->file_fd, chunk, m.file.len, (off_t)c->file_off);
				if (n <= 0) {
					m.type = BP_MSG_FILE_END;
					m.file.error = n < 0 ? (uint32_t)errno : EIO;
					goto end;
				}
				m.file.len = (uint32_t)n;
				m.file.data = chunk;
			} else {
				m.file.data = b->manifest + c->file_off;
			}
			ret = bp_tx_queue(&c->tx, &m);
			if (ret)
				return ret;
			c->file_off += m.file.len;
			b->bytes_sent += m.file.len;
			b->ranks[c->rank].fetched = true;
			continue;
		}
		m.type = BP_MSG_FILE_END;
		m.file.offset = obj->size;
end:
		ret = bp_tx_queue(&c->tx, &m);
		if (ret)
			return ret;
		if (c->file_fd >= 0)
			close(c->file_fd);
		c->file_fd = -1;
		c->file_off = 0;
		c->wants = w->next;
		if (!c->wants)
			c->wants_tail = NULL;
		c->nwants--;
		free(w);
	}
	return 0;
}

/*
 * Send what @c's socket takes: queue file parts, write them, again, until
 * the socket is full (then EPOLLOUT says when to go on) or every FILE_WANT
 * is answered (then only a new one, EPOLLIN, brings more to do).
 */
static int pump(struct bpsh_conn *c)
{
	for (;;) {
		ssize_t left;
		int ret = serve_files(c);

		if (ret)
			return ret;
		left = bp_tx_flush(&c->tx, c->io.fd);
		if (left < 0)
			return (int)left;
		if (bp_tx_pending(&c->tx) || !c->wants)
			return bp_io_mod(&c->b->loop, &c->io, EPOLLIN |
					 (bp_tx_pending(&c->tx) ? EPOLLOUT : 0));
	}
}

static void conn_readable(struct bpsh_conn *c)
{
	struct bp_msg m;
	ssize_t n;
	int ret;

	n = bp_rx_read(&c->rx, c->io.fd);
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		conn_free(c, false);
		return;
	}
	while ((ret = bp_rx_next(&c->rx, &m, NULL)) == 1) {
		if (!c->files) {
			if (m.type != BP_MSG_IO_HELLO || !hello_ok(c->b, &m.io_hello)) {
				bp_debug(&c->b->log, "a connection refused: %s",
					 m.type != BP_MSG_IO_HELLO ? "no IO_HELLO" :
					 "not this launch's (job, rank or MAC)");
				conn_free(c, false);
				return;
			}
			if (hello(c, &m.io_hello))
				return;
			continue;
		}
		if (m.type != BP_MSG_FILE_WANT) {
			conn_free(c, false);
			return;
		}
		{
			struct bpsh_want *w = NULL;

			if (c->nwants < BPSH_WANTS_MAX(c->b))
				w = calloc(1, sizeof(*w));
			if (!w) {
				conn_free(c, false);
				return;
			}
			memcpy(w->hash, m.file.hash, sizeof(w->hash));
			w->size = m.file.offset;
			if (c->wants_tail)
				c->wants_tail->next = w;
			else
				c->wants = w;
			c->wants_tail = w;
			c->nwants++;
		}
	}
	if (ret < 0 || pump(c))
		conn_free(c, false);
}

static void conn_event(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bpsh_conn *c = (struct bpsh_conn *)io;

	if (events & EPOLLOUT) {
		if (pump(c)) {
			conn_free(c, false);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_readable(c);
}

static void listen_ready(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bpsh *b = bp_container_of(io, struct bpsh, listen_io);

	for (;;) {
		struct bpsh_conn *c;
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;	/* EAGAIN, or try again on the next event */
		{
			struct bpsh_conn *old;

			if (conns_of(b, false, &old) >= BPSH_PENDING_MAX(b))
				conn_free(old, false);
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->b = b;
		c->file_fd = -1;
		bp_io_init(&c->io, conn_event);
		bp_timer_init(&c->hello, hello_timeout);
		bp_rx_init(&c->rx);
		bp_tx_init(&c->tx);
		if (bp_io_add(&b->loop, &c->io, fd, EPOLLIN) ||
		    bp_timer_start(&b->loop, &c->hello,
				   BPSH_HELLO_TIMEOUT_MS * BP_NS_PER_MS, 0)) {
			bp_io_del(&b->loop, &c->io);
			close(fd);
			free(c);
			continue;
		}
		c->next = b->conns;
		if (b->conns)
			b->conns->prev = c;
		else
			b->conns_tail = c;
		b->conns = c;
		b->npending_conns++;
	}
}

/* Listen on every address, a port the kernel picks; 0 or -errno. */
int bpsh_serve_init(struct bpsh *b)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd, ret;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	b->port = ntohs(sin.sin_port);
	b->chunk = malloc(BP_FILE_CHUNK);
	if (!b->chunk) {
		close(fd);
		return -ENOMEM;
	}
	bp_io_init(&b->listen_io, listen_ready);
	ret = bp_io_add(&b->loop, &b->listen_io, fd, EPOLLIN);
	if (ret)
		close(fd);
	return ret;
}

void bpsh_serve_close(struct bpsh *b)
{
	bpsh_links_close(b);
	while (b->conns)
		conn_free(b->conns, false);
	if (b->listen_io.added) {
		int fd = b->listen_io.fd;

		bp_io_del(&b->loop, &b->listen_io);
		close(fd);
	}
}
