// SPDX-License-Identifier: GPL-2.0
/*
 * Seeding (docs/bpsh.md, "Many nodes"): the nodes below this one in
 * bpsh's fan-out tree fetch a job's files from here instead of from bpsh,
 * so the master sends each file only to the nodes at the top of the tree.
 *
 * bpslave listens on its seed port (--seed-port, default 2224). A
 * connection speaks what a files connection to bpsh speaks: an IO_HELLO
 * whose MAC proves it knows the launch's secret, then FILE_WANTs answered
 * by FILE_DATA parts and a FILE_END each. bpslave knows a launch's secret
 * from the REXEC that brought the launch's process here (bps_seed_add(),
 * kept BPS_SEED_KEEP_MS), and serves only the objects of that launch's
 * manifest, from this node's cache, once they are in it: an object this
 * node's own start of the launch is still fetching is served when it
 * arrives (meanwhile a zero-length FILE_DATA every BPS_SEED_ALIVE_MS says
 * this node is alive), and one that is not here while no start of the
 * launch is in progress, or not within BPS_SEED_WAIT_MS, is answered with
 * EAGAIN (the node below then fetches it from bpsh). A hello that comes before
 * its launch's REXEC waits for it up to BPS_SEED_HELLO_MS.
 *
 * A hello of stream BP_IO_TREE is a rank's stream link up: it goes to the
 * relay of its parent rank here (iotree.c), which checks it and takes the
 * socket; it waits for that relay up to BPS_TREE_ATTACH_MS.
 *
 * Bounds: BPS_SEED_CONNS connections, BPS_SEED_JOBS launches, as many
 * FILE_WANTs outstanding per connection as the manifest has objects
 * (BPS_SEED_WANTS_EARLY while the manifest is not here yet).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bpslave.h"

#define SEED_RETRY_MS	50	/* how often a wait looks again */

struct seed_job {
	uint64_t id;
	uint8_t secret[BPROC_JOB_SECRET_LEN];
	struct bp_job_entry me;		/* the manifest, as a cache entry */
	uint8_t *mbuf;			/* its bytes, once in the cache */
	struct bp_job_entry *e;		/* its entries (into mbuf) */
	size_t n;
	uint64_t added_ms;
	int32_t pid;			/* its process here (the master's pid) */
	int users;			/* connections serving it */
	bool used;
};

struct seed_want {
	uint8_t hash[32];
	uint64_t size;
};

struct seed_conn {
	struct bp_io io;		/* first: the socket */
	struct bps_seed *sd;
	struct seed_conn *prev, *next;
	struct bp_rx rx;
	struct bp_tx tx;
	struct bp_timer timer;		/* the hello's deadline, then retries */
	uint64_t since_ms;		/* accepted, or waiting for an object */
	uint64_t alive_ms;		/* the last keepalive while waiting */
	struct bp_msg_io_hello hello;
	bool have_hello;
	struct seed_job *job;		/* once the hello checked out */
	struct seed_want *wants;	/* a ring of outstanding FILE_WANTs */
	size_t head, nwants, cap;
	int file_fd;			/* the object being sent, or -1 */
	uint64_t file_off;
	bool waiting;			/* for an object or the manifest */
};

struct bps_seed {
	struct bps *s;
	struct bp_io listen;		/* first */
	struct seed_job jobs[BPS_SEED_JOBS];
	struct seed_conn *conns;
	int nconns;
	struct bps_cache cache;
	int cache_node;			/* the node the cache is open for, or -1 */
	uint8_t chunk[BP_FILE_CHUNK];
	uint64_t bytes_sent;
};

static void conn_free(struct seed_conn *c)
{
	struct bps_seed *sd = c->sd;

	bp_io_del(&sd->s->loop, &c->io);
	bp_timer_stop(&sd->s->loop, &c->timer);
	if (c->io.fd >= 0)	/* -1: handed to a relay (iotree.c) */
		close(c->io.fd);
	if (c->file_fd >= 0)
		close(c->file_fd);
	if (c->job)
		c->job->users--;
	bp_rx_free(&c->rx);
	bp_tx_free(&c->tx);
	free(c->wants);
	if (c->prev)
		c->prev->next = c->next;
	else
		sd->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	sd->nconns--;
	free(c);
}

static void job_drop(struct seed_job *j)
{
	free(j->mbuf);
	free(j->e);
	memset(j, 0, sizeof(*j));
}

/* The cache of the node this bpslave is now, or NULL (not welcomed). */
static struct bps_cache *seed_cache(struct bps_seed *sd)
{
	struct bps *s = sd->s;
	int node = s->sess ? s->sess->node : -1;

	if (node < 0)
		return NULL;
	if (sd->cache_node != node) {
		if (sd->cache_node >= 0)
			bps_cache_close(&sd->cache);
		sd->cache_node = -1;
		if (bps_cache_open(&sd->cache, s->cache_dir, node, s->cache_size))
			return NULL;
		sd->cache_node = node;
	}
	return &sd->cache;
}

/* Remember launch @job (its secret and manifest) for the nodes below. */
void bps_seed_add(struct bps *s, const struct bproc_job *job, int32_t pid)
{
	struct bps_seed *sd = s->seed;
	struct seed_job *j = NULL, *oldest = NULL;
	uint64_t now = bp_now_mono_ms();

	if (!sd)
		return;
	for (int i = 0; i < BPS_SEED_JOBS; i++) {
		struct seed_job *x = &sd->jobs[i];

		if (x->used && x->id == job->id)
			return;		/* another rank of it, here too */
		if (x->used && !x->users && now - x->added_ms > BPS_SEED_KEEP_MS)
			job_drop(x);
		if (!x->used && !j)
			j = x;
		if (x->used && !x->users &&
		    (!oldest || x->added_ms < oldest->added_ms))
			oldest = x;
	}
	if (!j && oldest) {
		job_drop(oldest);
		j = oldest;
	}
	if (!j)
		return;		/* every one in use: the nodes below use bpsh */
	j->used = true;
	j->id = job->id;
	memcpy(j->secret, job->secret, sizeof(j->secret));
	bps_manifest_entry(job, &j->me);
	j->added_ms = now;
	j->pid = pid;
}

/* Is the launch's process here still starting (fetching its files)? */
static bool job_starting(struct bps_seed *sd, const struct seed_job *j)
{
	struct bps_proc *p = bps_proc_find(sd->s, j->pid);

	return p && p->starting;
}

static struct seed_job *job_find(struct bps_seed *sd, uint64_t id)
{
	uint64_t now = bp_now_mono_ms();

	for (int i = 0; i < BPS_SEED_JOBS; i++) {
		struct seed_job *j = &sd->jobs[i];

		if (j->used && j->id == id &&
		    (j->users || now - j->added_ms <= BPS_SEED_KEEP_MS))
			return j;
	}
	return NULL;
}

/* Does the hello prove its launch's secret? */
static bool hello_ok(const struct seed_job *j, const struct bp_msg_io_hello *h)
{
	uint8_t mac[32];

	if (h->stream != BP_IO_FILES ||
	    bp_io_mac(j->secret, h->job, h->rank, h->stream, h->nonce, mac))
		return false;
	return !bp_mem_neq(mac, h->mac, sizeof(mac));
}

/* The manifest's entries, once it is in the cache. 0, -EAGAIN, -errno. */
static int job_manifest(struct bps_seed *sd, struct seed_job *j)
{
	struct bps_cache *c = seed_cache(sd);
	size_t off = 0;
	char why[128];
	int fd, ret;

	if (j->e)
		return 0;
	if (!c)
		return -EAGAIN;
	fd = bps_cache_object_open(c, &j->me);
	if (fd < 0)
		return fd == -ENOENT ? -EAGAIN : fd;
	j->mbuf = malloc(j->me.size ? j->me.size : 1);
	ret = j->mbuf ? 0 : -ENOMEM;
	while (!ret && off < j->me.size) {
		ssize_t k = pread(fd, j->mbuf + off, j->me.size - off, (off_t)off);

		if (k <= 0)
			ret = k < 0 ? -errno : -EIO;
		else
			off += (size_t)k;
	}
	close(fd);
	if (!ret)
		ret = bp_manifest_parse(j->mbuf, j->me.size, &j->e, &j->n, why,
					sizeof(why));
	if (ret) {
		free(j->mbuf);
		j->mbuf = NULL;
		j->e = NULL;
	}
	return ret;
}

/* The manifest entry (or the manifest itself) @w asks for, or NULL. */
static const struct bp_job_entry *want_entry(const struct seed_job *j,
					     const struct seed_want *w)
{
	if (!memcmp(w->hash, j->me.hash, sizeof(w->hash)))
		return w->size == j->me.size ? &j->me : NULL;
	for (size_t i = 0; i < j->n; i++)
		if (j->e[i].kind == BP_JOB_FILE &&
		    !memcmp(w->hash, j->e[i].hash, sizeof(w->hash)))
			return j->e[i].size == w->size ? &j->e[i] : NULL;
	return NULL;
}

static void want_done(struct seed_conn *c)
{
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
	c->file_off = 0;
	c->head = (c->head + 1) % c->cap;
	c->nwants--;
	c->waiting = false;
}

static int end_with(struct seed_conn *c, const struct seed_want *w, int err,
		    uint64_t offset)
{
	struct bp_msg m = { .type = BP_MSG_FILE_END };
	int ret;

	memcpy(m.file.hash, w->hash, sizeof(m.file.hash));
	m.file.error = (uint32_t)err;
	m.file.offset = offset;
	ret = bp_tx_queue(&c->tx, &m);
	want_done(c);
	return ret;
}

/*
 * Queue FILE_DATA/FILE_END while the socket's queue is short. Sets
 * c->waiting when the next object is not in the cache yet.
 */
static int serve(struct seed_conn *c)
{
	struct bps_seed *sd = c->sd;
	uint64_t now = bp_now_mono_ms();

	while (c->nwants && bp_tx_pending(&c->tx) < 2 * BP_FILE_CHUNK) {
		struct seed_want *w = &c->wants[c->head];
		const struct bp_job_entry *e;
		struct bp_msg m = { .type = BP_MSG_FILE_DATA };
		uint64_t left;
		ssize_t n;
		int ret;

		if (c->file_fd < 0) {
			struct bps_cache *cache = seed_cache(sd);
			int fd = -EAGAIN;

			e = NULL;
			if (!memcmp(w->hash, c->job->me.hash, sizeof(w->hash))) {
				if (w->size != c->job->me.size)
					return -EPERM;	/* not this launch's */
				e = &c->job->me;
			} else {
				ret = job_manifest(sd, c->job);
				if (ret && ret != -EAGAIN)
					return end_with(c, w, -ret, 0);
				if (!ret) {
					e = want_entry(c->job, w);
					if (!e)
						return -EPERM;
				}
			}
			if (e && cache)
				fd = bps_cache_object_open(cache, e);
			if (fd < 0) {
				if (!c->waiting) {
					c->waiting = true;
					c->since_ms = c->alive_ms = now;
				}
				/*
				 * Not here yet: wait while this node's own
				 * start of the launch fetches it (a zero-length
				 * FILE_DATA now and then tells the node below
				 * that this one is alive), else EAGAIN at once.
				 */
				if (now - c->since_ms < BPS_SEED_WAIT_MS &&
				    job_starting(sd, c->job)) {
					if (now - c->alive_ms < BPS_SEED_ALIVE_MS)
						return 0;
					c->alive_ms = now;
					memcpy(m.file.hash, w->hash, sizeof(m.file.hash));
					m.file.offset = c->file_off;
					return bp_tx_queue(&c->tx, &m);
				}
				ret = end_with(c, w, EAGAIN, 0);
				if (ret)
					return ret;
				continue;
			}
			c->file_fd = fd;
			c->waiting = false;
		}
		memcpy(m.file.hash, w->hash, sizeof(m.file.hash));
		left = w->size - c->file_off;
		if (!left) {
			ret = end_with(c, w, 0, w->size);
			if (ret)
				return ret;
			continue;
		}
		m.file.offset = c->file_off;
		m.file.len = left < BP_FILE_CHUNK ? (uint32_t)left : BP_FILE_CHUNK;
		n = pread(c->file_fd, sd->chunk, m.file.len, (off_t)c->file_off);
		if (n <= 0) {
			ret = end_with(c, w, n < 0 ? errno : EIO, 0);
			if (ret)
				return ret;
			continue;
		}
		m.file.len = (uint32_t)n;
		m.file.data = sd->chunk;
		ret = bp_tx_queue(&c->tx, &m);
		if (ret)
			return ret;
		c->file_off += (uint64_t)n;
		sd->bytes_sent += (uint64_t)n;
	}
	return 0;
}

/* Send what the socket takes; wait for EPOLLOUT, a FILE_WANT or a retry. */
static int pump(struct seed_conn *c)
{
	struct bps *s = c->sd->s;

	for (;;) {
		ssize_t left;
		int ret = serve(c);

		if (ret)
			return ret;
		left = bp_tx_flush(&c->tx, c->io.fd);
		if (left < 0)
			return (int)left;
		if (bp_tx_pending(&c->tx) || !c->nwants || c->waiting) {
			if (c->waiting && !bp_timer_armed(&c->timer))
				bp_timer_start(&s->loop, &c->timer,
					       SEED_RETRY_MS * BP_NS_PER_MS, 0);
			return bp_io_mod(&s->loop, &c->io, EPOLLIN |
					 (bp_tx_pending(&c->tx) ? EPOLLOUT : 0));
		}
	}
}

/*
 * The hello's launch known here: take the connection (0, c->job set), wait
 * for its REXEC (0, c->job NULL), or refuse it (-errno).
 */
static int hello_check(struct seed_conn *c)
{
	struct seed_job *j = job_find(c->sd, c->hello.job);

	if (!j)
		return bp_now_mono_ms() - c->since_ms >= BPS_SEED_HELLO_MS ?
		       -ENOENT : 0;
	if (!hello_ok(j, &c->hello))
		return -EPERM;
	c->job = j;
	j->users++;
	c->cap = 16;
	c->wants = calloc(c->cap, sizeof(*c->wants));
	return c->wants ? 0 : -ENOMEM;
}

static int take_want(struct seed_conn *c, const struct bp_msg *m)
{
	struct seed_want *w;

	/* as many as the manifest lists (and itself); before it is here, a few */
	if (c->nwants >= (c->job->e ? c->job->n + 1 : BPS_SEED_WANTS_EARLY))
		return -E2BIG;
	if (c->nwants == c->cap) {
		struct seed_want *nw = calloc(2 * c->cap, sizeof(*nw));

		if (!nw)
			return -ENOMEM;
		for (size_t i = 0; i < c->nwants; i++)
			nw[i] = c->wants[(c->head + i) % c->cap];
		free(c->wants);
		c->wants = nw;
		c->head = 0;
		c->cap *= 2;
	}
	w = &c->wants[(c->head + c->nwants) % c->cap];
	memcpy(w->hash, m->file.hash, sizeof(w->hash));
	w->size = m->file.offset;
	c->nwants++;
	return 0;
}

/*
 * A stream link from a rank below (BP_IO_TREE): to the relay of its
 * parent rank, which takes the socket and what came after the hello (1:
 * @c is gone), or refuses it (-errno). Its REXEC may not be here yet:
 * then wait, unwatched, and ask again, up to BPS_TREE_ATTACH_MS.
 */
static int tree_hand(struct seed_conn *c)
{
	struct bps *s = c->sd->s;
	int ret;

	bp_io_del(&s->loop, &c->io);	/* the relay's loop watches it next */
	ret = bps_iotree_take(s, c->io.fd, &c->hello, c->rx.buf + c->rx.off,
			      bp_rx_pending(&c->rx));
	if (ret == -EAGAIN) {
		if (bp_now_mono_ms() - c->since_ms >= BPS_TREE_ATTACH_MS)
			return -ETIMEDOUT;
		return bp_timer_start(&s->loop, &c->timer,
				      SEED_RETRY_MS * BP_NS_PER_MS, 0);
	}
	if (ret)
		return ret;
	c->io.fd = -1;
	conn_free(c);
	return 1;
}

/*
 * The messages received so far. After a hello whose launch is not known
 * yet the rest waits in the buffer, and the socket is not read, until
 * the timer finds the launch.
 */
static int process(struct seed_conn *c)
{
	struct bps *s = c->sd->s;
	struct bp_msg m;
	int ret;

	if (c->have_hello && c->hello.stream == BP_IO_TREE)
		return tree_hand(c);
	if (c->have_hello && !c->job) {
		ret = hello_check(c);
		if (ret)
			return ret;
		if (!c->job) {
			uint64_t now = bp_now_mono_ms();

			/* its REXEC is late: tell the node below we are alive */
			if (now - c->alive_ms >= BPS_SEED_ALIVE_MS) {
				struct bp_msg k = { .type = BP_MSG_FILE_DATA };

				c->alive_ms = now;
				ret = bp_tx_queue(&c->tx, &k);
				if (!ret && bp_tx_flush(&c->tx, c->io.fd) < 0)
					ret = -EIO;
				if (ret)
					return ret;
			}
			bp_timer_start(&s->loop, &c->timer,
				       SEED_RETRY_MS * BP_NS_PER_MS, 0);
			return bp_io_mod(&s->loop, &c->io, 0);
		}
	}
	while ((ret = bp_rx_next(&c->rx, &m, NULL)) == 1) {
		if (!c->have_hello) {
			if (m.type != BP_MSG_IO_HELLO)
				return -EPROTO;
			c->hello = m.io_hello;
			c->have_hello = true;
			bp_timer_stop(&s->loop, &c->timer);
			return process(c);
		}
		if (m.type != BP_MSG_FILE_WANT)
			return -EPROTO;
		ret = take_want(c, &m);
		if (ret)
			return ret;
	}
	if (ret < 0)
		return ret;
	return c->have_hello ? pump(c) : 0;
}

static void conn_event(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct seed_conn *c = (struct seed_conn *)io;
	int ret = 0;

	if ((events & EPOLLOUT) && c->job)
		ret = pump(c);
	if (!ret && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		ssize_t n = bp_rx_read(&c->rx, c->io.fd);

		if (n == 0 || (n < 0 && n != -EAGAIN))
			ret = n ? (int)n : -ECONNRESET;
		else if (n > 0)
			ret = process(c);
	}
	if (ret < 0)
		conn_free(c);	/* > 0: handed over, gone */
}

static void conn_timer(struct bp_loop *l, struct bp_timer *t)
{
	struct seed_conn *c = bp_container_of(t, struct seed_conn, timer);
	int ret;

	if (!c->have_hello) {
		conn_free(c);	/* said nothing in time */
		return;
	}
	if (!c->job) {
		ret = process(c);
	} else {
		ret = pump(c);
	}
	if (ret < 0)
		conn_free(c);	/* > 0: handed over, gone */
}

static void listen_ready(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bps_seed *sd = bp_container_of(io, struct bps_seed, listen);
	struct bps *s = sd->s;

	for (;;) {
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct seed_conn *c;

		if (fd < 0)
			return;
		if (sd->nconns >= BPS_SEED_CONNS) {
			close(fd);	/* the node below goes to bpsh */
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->sd = sd;
		c->file_fd = -1;
		c->since_ms = bp_now_mono_ms();
		bp_io_init(&c->io, conn_event);
		bp_timer_init(&c->timer, conn_timer);
		bp_rx_init(&c->rx);
		bp_tx_init(&c->tx);
		if (bp_io_add(&s->loop, &c->io, fd, EPOLLIN) ||
		    bp_timer_start(&s->loop, &c->timer,
				   BPS_SEED_HELLO_MS * BP_NS_PER_MS, 0)) {
			bp_io_del(&s->loop, &c->io);
			close(fd);
			free(c);
			continue;
		}
		c->next = sd->conns;
		if (c->next)
			c->next->prev = c;
		sd->conns = c;
		sd->nconns++;
	}
}

/* Listen on @port (every address of this node's network namespace). */
int bps_seed_start(struct bps *s, uint16_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	struct bps_seed *sd;
	int fd, one = 1, ret;

	sd = calloc(1, sizeof(*sd));
	if (!sd)
		return -ENOMEM;
	sd->s = s;
	sd->cache_node = -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		free(sd);
		return -errno;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, SOMAXCONN)) {
		ret = -errno;
		close(fd);
		free(sd);
		return ret;
	}
	bp_io_init(&sd->listen, listen_ready);
	ret = bp_io_add(&s->loop, &sd->listen, fd, EPOLLIN);
	if (ret) {
		close(fd);
		free(sd);
		return ret;
	}
	s->seed = sd;
	return 0;
}

/* The port the seed listens on (tests bind port 0), or 0. */
uint16_t bps_seed_port(const struct bps *s)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (!s->seed || getsockname(s->seed->listen.fd, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}
