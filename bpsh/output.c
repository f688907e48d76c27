// SPDX-License-Identifier: GPL-2.0
/*
 * The nodes' standard output and error (docs/bpsh.md, "stdio"): each
 * process's two streams arrive on connections of their own and go to
 * bpsh's stdout and stderr, kept apart, no byte lost or reordered within
 * a stream.
 *
 * A stream is live (written as it comes: raw, or by whole lines with -L,
 * prefixed with its node with -p) or held (kept until it may be shown:
 * -s for every node but the one shown now, -G and --json for all). What
 * is held stays in memory up to the buffer size (-b), then in an
 * unlinked temporary file, so bpsh's memory stays bounded however much a
 * job writes. When bpsh's stdout cannot take more (a slow reader), it
 * stops reading every live stream until it can: the TCP window fills and
 * the remote writers wait, as they would on a local pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bp_crypto.h"
#include "bpsh.h"

static void out_event(struct bp_loop *l, struct bp_io *io, uint32_t events);
static void divider(struct bpsh *b, const char *label);
static void stream_readable(struct bp_loop *l, struct bp_io *io,
			    uint32_t events);

static bool held(const struct bpsh_out *o)
{
	const struct bpsh *b = o->b;

	return b->o.gather || b->o.json ||
	       (b->o.sequential && o->r->rank != b->seq_next);
}

/* Write all of @len bytes to @fd, waiting while it is full. */
static int write_wait(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Every live stream reads again (@on) or not (bpsh's output is full).
 * Not by going over all of them each time (2 per rank, and stdout may
 * block every 64 KiB): while bpsh's output is blocked, a live stream that
 * has something to read stops being watched then (stream_readable()) and
 * joins the paused list; @on watches again only the ones on it.
 */
static void live_reading(struct bpsh *b, bool on)
{
	if (!on)
		return;
	bpsh_links_reading(b);
	while (b->paused) {
		struct bpsh_out *o = b->paused;

		b->paused = o->paused_next;
		o->paused_next = NULL;
		o->paused = false;
		if (o->sock >= 0)
			bp_io_mod(&b->loop, &o->io, EPOLLIN);
	}
}

/* @o is live and bpsh's output blocked: leave @o unread until it is not. */
static void pause_stream(struct bpsh_out *o)
{
	struct bpsh *b = o->b;

	bp_io_mod(&b->loop, &o->io, 0);
	if (!o->paused) {
		o->paused = true;
		o->paused_next = b->paused;
		b->paused = o;
	}
}

/* The reader of bpsh's stdout (or stderr) is gone: so are the streams. */
static void output_broken(struct bpsh *b, int fd)
{
	b->out_broken = true;
	for (int i = 0; i < b->nranks; i++) {
		struct bpsh_out *o = fd == 1 ? &b->ranks[i].out : &b->ranks[i].err;

		/* The remote writer gets EPIPE (SIGPIPE), as a local one would. */
		bpsh_out_close(o);
	}
}

/*
 * Write live output to bpsh's @fd. What does not fit now waits in
 * pend[@fd] and every live stream stops reading until it is written.
 */
static void live_write(struct bpsh *b, int fd, const uint8_t *p, size_t len)
{
	ssize_t n = 0;

	if (b->out_broken || !len)
		return;
	if (!b->out_nonblock[fd] || b->dumping) {
		if (write_wait(b->out_fd[fd], p, len) == -EPIPE)
			output_broken(b, fd);
		return;
	}
	if (!b->pend[fd].len) {
		n = write(b->out_fd[fd], p, len);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			if (errno == EPIPE)
				output_broken(b, fd);
			return;
		}
		if (n < 0)
			n = 0;
		if ((size_t)n == len)
			return;
	}
	{
		uint8_t *np = realloc(b->pend[fd].p, b->pend[fd].len + len - (size_t)n);

		if (!np) {
			/* No memory to wait in: write it the slow way. */
			write_wait(b->out_fd[fd], p + n, len - (size_t)n);
			return;
		}
		memcpy(np + b->pend[fd].len, p + n, len - (size_t)n);
		b->pend[fd].p = np;
		b->pend[fd].len += len - (size_t)n;
	}
	if (!b->out_blocked) {
		b->out_blocked = true;
		live_reading(b, false);
	}
	bp_io_mod(&b->loop, &b->out_io[fd], EPOLLOUT);
}

static void out_event(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bpsh *b = bp_container_of(l, struct bpsh, loop);
	int fd = io == &b->out_io[1] ? 1 : 2;
	ssize_t n;

	n = write(b->out_fd[fd], b->pend[fd].p, b->pend[fd].len);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		b->pend[fd].len = 0;
		if (errno == EPIPE)
			output_broken(b, fd);
	} else if (n > 0) {
		memmove(b->pend[fd].p, b->pend[fd].p + n, b->pend[fd].len - (size_t)n);
		b->pend[fd].len -= (size_t)n;
	}
	if (b->pend[fd].len)
		return;
	bp_io_mod(l, io, 0);
	if (!b->pend[1].len && !b->pend[2].len) {
		b->out_blocked = false;
		live_reading(b, true);
	}
}

/*
 * Where output goes: fd 1 and 2 themselves, or, for a pipe or terminal,
 * a non-blocking file description of the same (so one full reader does
 * not stop bpsh's loop); regular files and sockets are written as they
 * are (a new description of a file would have its own offset).
 */
void bpsh_output_init(struct bpsh *b)
{
	for (int fd = 1; fd <= 2; fd++) {
		struct stat st;
		char path[32];
		int nfd = -1;

		b->out_fd[fd] = fd;
		b->out_nonblock[fd] = false;
		bp_io_init(&b->out_io[fd], out_event);
		if (fstat(fd, &st) || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (nfd < 0)
			continue;
		if (bp_io_add(&b->loop, &b->out_io[fd], nfd, 0)) {
			close(nfd);
			continue;
		}
		b->out_fd[fd] = nfd;
		b->out_nonblock[fd] = true;
		b->out_splice[fd] = S_ISFIFO(st.st_mode);
	}
	if (b->o.divider && b->nranks) {
		char label[32];

		snprintf(label, sizeof(label), "node %d", b->ranks[0].node);
		divider(b, label);
	}
}

/* --- held output: memory, then a temporary file ---------------------- */

static int spill_open(void)
{
	const char *dir = getenv("TMPDIR");
	char tmpl[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	snprintf(tmpl, sizeof(tmpl), "%s/bpsh.XXXXXX", dir);
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd >= 0)
		unlink(tmpl);
	return fd < 0 ? -errno : fd;
}

static int hold(struct bpsh_out *o, const uint8_t *p, size_t len)
{
	size_t cap = o->b->o.bufsize;

	if (o->spill < 0 && o->len + len <= cap) {
		if (o->cap < o->len + len) {
			uint8_t *nb = realloc(o->buf, cap);

			if (!nb)
				return -ENOMEM;
			o->buf = nb;
			o->cap = cap;
		}
		memcpy(o->buf + o->len, p, len);
		o->len += len;
		return 0;
	}
	if (o->spill < 0) {
		o->spill = spill_open();
		if (o->spill < 0)
			return o->spill;
		if (write_wait(o->spill, o->buf, o->len))
			return -EIO;
		o->spilled = o->len;
		o->len = 0;
	}
	if (write_wait(o->spill, p, len))
		return -EIO;
	o->spilled += len;
	return 0;
}

/* Call @fn with the held bytes of @o, in order; 0 or its error. */
int bpsh_out_held(struct bpsh_out *o, int (*fn)(void *arg, const uint8_t *p,
						 size_t len), void *arg)
{
	size_t size = 65536;
	uint64_t off = 0;
	uint8_t *chunk;
	int ret = 0;

	if (o->spill < 0)
		return o->len ? fn(arg, o->buf, o->len) : 0;
	chunk = malloc(size);
	if (!chunk)
		return -ENOMEM;
	while (off < o->spilled && !ret) {
		size_t want = o->spilled - off < size ? (size_t)(o->spilled - off) : size;
		ssize_t n = pread(o->spill, chunk, want, (off_t)off);

		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		ret = fn(arg, chunk, (size_t)n);
		off += (size_t)n;
	}
	free(chunk);
	return ret;
}

uint64_t bpsh_out_held_len(const struct bpsh_out *o)
{
	return o->spill < 0 ? o->len : o->spilled;
}

/* --- lines, prefixes ------------------------------------------------- */

/*
 * Live output of @o, @len bytes: as it is, or by whole lines (the rest
 * of a line waits in o->buf; a line longer than the buffer goes out in
 * pieces), each with "NODE: " before it with -p.
 */
static void live_out(struct bpsh_out *o, const uint8_t *p, size_t len)
{
	struct bpsh *b = o->b;
	char prefix[24];
	size_t plen = 0;
	uint8_t *outb;
	size_t olen = 0, lines = 0;

	if (!b->o.line) {
		live_write(b, o->fd, p, len);
		return;
	}
	if (b->o.prefix)
		plen = (size_t)snprintf(prefix, sizeof(prefix), "%d: ", o->r->node);
	for (size_t i = 0; i < len; i++)
		lines += p[i] == '\n';
	outb = malloc(o->len + len + (lines + 2) * plen);
	if (!outb)
		return;
	for (size_t i = 0; i < len; ) {
		const uint8_t *nl = memchr(p + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (p + i)) + 1 : len - i;

		if (!nl && o->len + n <= b->o.bufsize) {
			/* The start of a line: wait for its end. */
			if (o->cap < b->o.bufsize) {
				uint8_t *nb = realloc(o->buf, b->o.bufsize);

				if (!nb)
					break;
				o->buf = nb;
				o->cap = b->o.bufsize;
			}
			memcpy(o->buf + o->len, p + i, n);
			o->len += n;
			break;
		}
		memcpy(outb + olen, prefix, plen);
		olen += plen;
		memcpy(outb + olen, o->buf, o->len);
		olen += o->len;
		o->len = 0;
		memcpy(outb + olen, p + i, n);
		olen += n;
		i += n;
	}
	live_write(b, o->fd, outb, olen);
	free(outb);
}

/* The end of @o: a last line without its newline goes out as it is. */
static void live_end(struct bpsh_out *o)
{
	struct bpsh *b = o->b;
	char prefix[24];
	int plen;

	if (!b->o.line || !o->len || held(o))
		return;
	if (b->o.prefix) {
		plen = snprintf(prefix, sizeof(prefix), "%d: ", o->r->node);
		live_write(b, o->fd, (const uint8_t *)prefix, (size_t)plen);
	}
	live_write(b, o->fd, o->buf, o->len);
	o->len = 0;
}

/* --- streams --------------------------------------------------------- */

/*
 * How long output may be silent after its process's exit. Through the
 * tree, twice as long: a path that changed under it (20 s of silence
 * from a dead relay, then its sender's resend) must not look like a
 * daemon holding the stream.
 */
static uint64_t drain_ns(const struct bpsh *b)
{
	return (b->tree_io ? 2 : 1) * (uint64_t)BPSH_DRAIN_TIMEOUT_MS * BP_NS_PER_MS;
}

static void drain_timeout(struct bp_loop *l, struct bp_timer *t)
{
	struct bpsh_out *o = bp_container_of(t, struct bpsh_out, drain);

	bpsh_out_close(o);
}

void bpsh_out_init(struct bpsh *b, struct bpsh_rank *r, struct bpsh_out *o,
		   int fd)
{
	memset(o, 0, sizeof(*o));
	o->b = b;
	o->r = r;
	o->fd = fd;
	o->sock = -1;
	o->spill = -1;
	bp_io_init(&o->io, stream_readable);
	bp_timer_init(&o->drain, drain_timeout);
}

/* Bytes that arrived on @o (its socket, or its rank's link). */
void bpsh_out_data(struct bpsh_out *o, const uint8_t *p, size_t len)
{
	o->total += len;
	if (o->r->exited)
		bp_timer_start(&o->b->loop, &o->drain,
			       drain_ns(o->b), 0);
	if (held(o)) {
		if (hold(o, p, len))
			bp_log(&o->b->log, LOG_ERR, "node %d: cannot keep its %s: %s",
			       o->r->node, o->fd == 1 ? "stdout" : "stderr",
			       strerror(errno));
		return;
	}
	live_out(o, p, len);
}

/* All of @o arrived (or is lost): it is done. */
void bpsh_out_close(struct bpsh_out *o)
{
	struct bpsh *b = o->b;

	if (o->sock >= 0) {
		bp_io_del(&b->loop, &o->io);
		close(o->sock);
		o->sock = -1;
	}
	bp_timer_stop(&b->loop, &o->drain);
	if (o->eof)
		return;
	o->eof = true;
	bpsh_link_out_closed(o);	/* the tree: no more is wanted */
	live_end(o);
	bpsh_rank_check_done(o->r);
}

/*
 * Output that goes out as it comes (not held, no line prefixes) to a
 * pipe moves from the node's socket to it by splice(2), without a copy
 * through bpsh: 1 when it did (or found the end), 0 when this stream
 * cannot (read it then), -1 when bpsh's pipe is full (wait for it).
 */
static int stream_splice(struct bpsh_out *o)
{
	struct bpsh *b = o->b;
	ssize_t n;

	if (!b->out_splice[o->fd] || held(o) || b->o.line || b->out_broken ||
	    b->dumping || b->pend[o->fd].len)
		return 0;
	n = splice(o->sock, NULL, b->out_fd[o->fd], NULL, b->o.bufsize,
		   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		o->total += (size_t)n;
		if (o->r->exited)
			bp_timer_start(&b->loop, &o->drain,
				       drain_ns(o->b), 0);
		return 1;
	}
	if (n == 0) {
		bpsh_out_close(o);
		return 1;
	}
	if (errno == EPIPE) {
		output_broken(b, o->fd);
		return 1;
	}
	if (errno == EAGAIN || errno == EINTR) {
		struct pollfd pfd = { .fd = b->out_fd[o->fd], .events = POLLOUT };

		if (errno == EINTR || poll(&pfd, 1, 0) > 0)
			return 1;	/* the socket had nothing after all */
		/* bpsh's pipe is full: every live stream waits for it. */
		if (!b->out_blocked) {
			b->out_blocked = true;
			live_reading(b, false);
		}
		bp_io_mod(&b->loop, &b->out_io[o->fd], EPOLLOUT);
		return -1;
	}
	/* Not a pair splice(2) moves between: read and write from now on. */
	b->out_splice[o->fd] = false;
	return 0;
}

static void stream_readable(struct bp_loop *l, struct bp_io *io,
			    uint32_t events)
{
	struct bpsh_out *o = bp_container_of(io, struct bpsh_out, io);
	uint8_t *chunk;
	size_t cap = o->b->o.bufsize;
	ssize_t n;

	/* (a hung-up socket is read on: epoll reports it even unwatched) */
	if (o->b->out_blocked && !held(o) && !(events & (EPOLLHUP | EPOLLERR))) {
		pause_stream(o);
		return;
	}
	if (stream_splice(o))
		return;
	chunk = malloc(cap);
	if (!chunk)
		return;
	n = read(o->sock, chunk, cap);
	if (n > 0)
		bpsh_out_data(o, chunk, (size_t)n);
	free(chunk);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		bpsh_out_close(o);
}

/* The node connected @o: @sock, with @len bytes that came with its hello. */
void bpsh_out_attach(struct bpsh_out *o, int sock, const uint8_t *data,
		     size_t len)
{
	struct bpsh *b = o->b;

	o->sock = sock;
	if (bp_io_add(&b->loop, &o->io, sock,
		      b->out_blocked && !held(o) ? 0 : EPOLLIN)) {
		close(sock);
		o->sock = -1;
		bpsh_out_close(o);
		return;
	}
	if (len)
		bpsh_out_data(o, data, len);
	if (o->r->exited)
		bpsh_out_exited(o);
}

/*
 * The process exited: its output may still be on the way, but not for
 * ever. A stream silent for BPSH_DRAIN_TIMEOUT_MS (or never connected)
 * is done.
 */
void bpsh_out_exited(struct bpsh_out *o)
{
	if (o->eof)
		return;
	if (!o->expected) {
		o->eof = true;
		return;
	}
	if (!bp_timer_armed(&o->drain))
		bp_timer_start(&o->b->loop, &o->drain,
			       drain_ns(o->b), 0);
}

/* --- node order (-s, -d) ---------------------------------------------- */

static int write_out1(void *arg, const uint8_t *p, size_t len)
{
	struct bpsh_out *o = arg;

	return write_wait(o->b->out_fd[o->fd], p, len);
}

static int show_part(void *arg, const uint8_t *p, size_t len)
{
	live_out(arg, p, len);
	return 0;
}

static void divider(struct bpsh *b, const char *label)
{
	char line[256];
	int n = snprintf(line, sizeof(line),
			 "----------------\n%s\n----------------\n", label);

	write_wait(b->out_fd[1], (const uint8_t *)line, (size_t)n);
}

/*
 * Show what @r held (by lines and with prefixes when asked, as if it had
 * been live; written waiting for bpsh's output), and from now on what it
 * writes.
 */
static void seq_show(struct bpsh *b, struct bpsh_rank *r)
{
	char label[32];

	if (b->o.divider) {
		snprintf(label, sizeof(label), "node %d", r->node);
		divider(b, label);
	}
	b->dumping = true;
	for (int k = 0; k < 2; k++) {
		struct bpsh_out *o = k ? &r->err : &r->out;

		if (o->spill < 0) {
			uint8_t *h = o->buf;
			size_t hl = o->len;

			o->buf = NULL;
			o->len = o->cap = 0;
			live_out(o, h, hl);
			free(h);
		} else {
			/* Read back as held; what it passes on is live now. */
			bpsh_out_held(o, show_part, o);
			close(o->spill);
			o->spill = -1;
			o->spilled = 0;
		}
		if (o->sock >= 0)
			bp_io_mod(&b->loop, &o->io, b->out_blocked ? 0 : EPOLLIN);
		if (o->eof)
			live_end(o);
	}
	b->dumping = false;
}

/* -s: @r is done; the next node in order shows its output. */
void bpsh_output_rank_done(struct bpsh *b, struct bpsh_rank *r)
{
	if (!b->o.sequential || r->rank != b->seq_next)
		return;
	while (++b->seq_next < b->nranks) {
		struct bpsh_rank *n = &b->ranks[b->seq_next];

		seq_show(b, n);
		if (!n->done)
			break;
	}
}

/* --- gathered (-G) ---------------------------------------------------- */

struct digest_ctx {
	struct bp_sha256 h;
};

static int digest_part(void *arg, const uint8_t *p, size_t len)
{
	return bp_sha256_update(&((struct digest_ctx *)arg)->h, p, len);
}

/* What -G groups ranks by: the length and digest of one stream. */
struct gkey {
	uint64_t len;
	uint8_t dig[32];
	int rank;
};

static int gkey_cmp(const void *a, const void *b)
{
	const struct gkey *x = a, *y = b;
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = memcmp(x->dig, y->dig, sizeof(x->dig));
	return c ? c : x->rank - y->rank;
}

/* Groups of equal output: [start, end) of the sorted keys, by first rank. */
struct group {
	int start, end;
};

static int group_cmp_first(const void *a, const void *b, void *keys)
{
	const struct gkey *k = keys;
	const struct group *x = a, *y = b;

	return k[x->start].rank - k[y->start].rank;
}

/*
 * Each distinct output of stream @fd once, under the set of the nodes
 * that printed it, in the order of their first node. Sorting by length
 * and digest makes it O(n log n) in the ranks, whatever the outputs.
 */
static void gather(struct bpsh *b, int fd)
{
	struct gkey *key = calloc((size_t)b->nranks, sizeof(*key));
	struct group *grp = calloc((size_t)b->nranks, sizeof(*grp));
	int *nodes = calloc((size_t)b->nranks, sizeof(int));
	int nkeys = 0, ngrp = 0;

	if (!key || !grp || !nodes)
		goto out;
	for (int i = 0; i < b->nranks; i++) {
		struct bpsh_out *o = fd == 1 ? &b->ranks[i].out : &b->ranks[i].err;
		struct digest_ctx d;

		if (!bpsh_out_held_len(o))
			continue;
		if (bp_sha256_init(&d.h))
			goto out;
		bpsh_out_held(o, digest_part, &d);
		bp_sha256_final(&d.h, key[nkeys].dig);
		key[nkeys].len = bpsh_out_held_len(o);
		key[nkeys++].rank = i;
	}
	qsort(key, (size_t)nkeys, sizeof(*key), gkey_cmp);
	for (int i = 0; i < nkeys; i++) {
		if (i && key[i].len == key[i - 1].len &&
		    !memcmp(key[i].dig, key[i - 1].dig, sizeof(key[i].dig))) {
			grp[ngrp - 1].end = i + 1;
			continue;
		}
		grp[ngrp].start = i;
		grp[ngrp++].end = i + 1;
	}
	qsort_r(grp, (size_t)ngrp, sizeof(*grp), group_cmp_first, key);
	for (int g = 0; g < ngrp; g++) {
		struct bpsh_rank *first = &b->ranks[key[grp[g].start].rank];
		struct bpsh_out *o = fd == 1 ? &first->out : &first->err;
		char *label, *line;
		int n = 0, len;

		/* in rank order within the group, and ranks are in node order */
		for (int i = grp[g].start; i < grp[g].end; i++)
			nodes[n++] = b->ranks[key[i].rank].node;
		label = bpsh_nodeset_str(nodes, n);
		if (!label)
			goto out;
		len = asprintf(&line, "----------------\n%s\n----------------\n", label);
		free(label);
		if (len < 0)
			goto out;
		write_wait(b->out_fd[fd], (const uint8_t *)line, (size_t)len);
		free(line);
		bpsh_out_held(o, write_out1, o);
	}
out:
	free(key);
	free(grp);
	free(nodes);
}

/* Is @r done: ended (or never started), all of its output in? */
void bpsh_rank_check_done(struct bpsh_rank *r)
{
	struct bpsh *b = r->b;

	if (r->done || r->pid)	/* its child is not reaped yet */
		return;
	if (!r->start_err && !(r->exited && r->out.eof && r->err.eof))
		return;
	r->done = true;
	bpsh_output_rank_done(b, r);
	if (--b->running == 0)
		bp_loop_stop(&b->loop, 0);
}

/* Every node is done: what was gathered is shown (-G). */
void bpsh_output_finish(struct bpsh *b)
{
	if (b->o.gather) {
		gather(b, 1);
		gather(b, 2);
	}
	for (int fd = 1; fd <= 2; fd++) {
		if (b->pend[fd].len)
			write_wait(b->out_fd[fd], b->pend[fd].p, b->pend[fd].len);
		free(b->pend[fd].p);
		b->pend[fd].p = NULL;
		b->pend[fd].len = 0;
	}
}
