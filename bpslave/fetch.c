// SPDX-License-Identifier: GPL-2.0
/*
 * Getting a job's files into the node's cache (docs/bpsh.md): the
 * manifest first, when the cache lacks it, then every file it lists that
 * the cache lacks (a copy of the same content under another mode or
 * owner is made locally instead). Everything the node lacks comes over
 * one connection, to the node above this one in bpsh's tree first and to
 * bpsh for what that one does not deliver: FILE_WANT for each, in order,
 * answered by FILE_DATA parts and a FILE_END each. Each object is checked against
 * its SHA-256 before it joins the cache, so bpsh (or anyone between)
 * cannot put other content under a name. Runs in the process that
 * starts the job, as root, before it execs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "bp_crypto.h"
#include "bpslave.h"

/* The manifest as a cache entry: root's, read-only, by its SHA-256. */
void bps_manifest_entry(const struct bproc_job *job, struct bp_job_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->kind = BP_JOB_FILE;
	e->mode = 0400;
	e->size = job->manifest_len;
	memcpy(e->hash, job->manifest, sizeof(e->hash));
	e->path = "/.manifest";
}

/* Read FILE_DATA/FILE_END for @e from @rx into the cache. */
static int receive_one(int fd, struct bp_rx *rx, struct bps_cache *c,
		       const struct bp_job_entry *e)
{
	uint8_t digest[BP_SHA256_LEN];
	struct bp_sha256 h;
	uint64_t got = 0;
	int out, ret;

	out = bps_cache_begin(c, e);
	if (out < 0)
		return out;
	ret = bp_sha256_init(&h);
	if (ret) {
		bps_cache_abort(c, e, out);
		return ret;
	}
	for (;;) {
		struct bp_msg m;
		ssize_t n;

		ret = bp_rx_next(rx, &m, NULL);
		if (ret == 0) {
			n = bp_rx_read(rx, fd);
			if (n == 0)
				ret = -ECONNRESET;
			else if (n < 0)
				ret = n == -EAGAIN ? -ETIMEDOUT : (int)n;
			else
				continue;
			break;
		}
		if (ret < 0)
			break;
		/* a seed's keepalive (seed.c): nothing to take */
		if (m.type == BP_MSG_FILE_DATA && !m.file.len)
			continue;
		ret = -EPROTO;
		if (memcmp(m.file.hash, e->hash, sizeof(e->hash)))
			break;
		if (m.type == BP_MSG_FILE_DATA) {
			if (m.file.offset != got || got + m.file.len > e->size)
				break;
			if (write(out, m.file.data, m.file.len) != (ssize_t)m.file.len) {
				ret = -EIO;
				break;
			}
			ret = bp_sha256_update(&h, m.file.data, m.file.len);
			if (ret)
				break;
			got += m.file.len;
			continue;
		}
		if (m.type != BP_MSG_FILE_END)
			break;
		if (m.file.error) {
			ret = -(int)m.file.error;
			break;
		}
		if (m.file.offset != e->size || got != e->size)
			break;
		ret = bp_sha256_final(&h, digest);
		if (ret) {
			bps_cache_abort(c, e, out);
			return ret;
		}
		return bps_cache_commit(c, e, out, digest);
	}
	bp_sha256_abort(&h);
	bps_cache_abort(c, e, out);
	return ret;
}

/*
 * Fetch the @n objects of @want over the files connection @fd into the
 * cache; *@done of them (the first ones) are in when this returns.
 */
static int fetch_over(int fd, struct bps_cache *c,
		      const struct bp_job_entry *want, size_t n, size_t *done)
{
	struct bp_rx rx;
	int ret = 0;

	*done = 0;
	bp_rx_init(&rx);
	/* Ask for all of them, then take them in order. */
	for (size_t i = 0; i < n && !ret; i++) {
		struct bp_msg m = { .type = BP_MSG_FILE_WANT };

		memcpy(m.file.hash, want[i].hash, sizeof(m.file.hash));
		m.file.offset = want[i].size;
		ret = bps_io_send(fd, &m);
	}
	for (size_t i = 0; i < n && !ret; i++) {
		ret = receive_one(fd, &rx, c, &want[i]);
		if (!ret)
			(*done)++;
	}
	bp_rx_free(&rx);
	return ret;
}

/*
 * Say why @left of @n objects come from bpsh, not from the node above
 * @up (on bpslave's stderr, the node's console: this process has not
 * taken the job's streams yet).
 */
static void tree_fallback(const struct bps_jobctx *jc,
			  const struct sockaddr_in *up, size_t left, size_t n,
			  int err)
{
	char addr[INET_ADDRSTRLEN] = "?";
	struct bp_log lg;

	inet_ntop(AF_INET, &up->sin_addr, addr, sizeof(addr));
	bp_log_init(&lg, "bpslave", STDERR_FILENO, BP_LOG_STAMP_MONO);
	bp_log(&lg, LOG_INFO,
	       "node %d: %zu of %zu files from bpsh, not from the node above (%s:%u): %s",
	       jc->node, left, n, addr, ntohs(up->sin_port),
	       err ? strerror(-err) : "it did not send them");
}

/*
 * Fetch the @n objects of @want into the cache: from the node above this
 * one in bpsh's tree when the job names one (its bpslave serves them
 * from its cache as they arrive there, seed.c), and what it does not
 * deliver (it is down, cut, slow, or lacks them) from bpsh. Every object
 * is checked against its SHA-256 whichever way it came.
 */
static int fetch(const struct bps_jobctx *jc, struct bps_cache *c,
		 const struct bp_job_entry *want, size_t n)
{
	size_t done = 0, more;
	int fd, ret;

	if (!n)
		return 0;
	if (jc->tree.src_port) {
		struct sockaddr_in up = {
			.sin_family = AF_INET,
			.sin_port = htons(jc->tree.src_port),
		};

		memcpy(&up.sin_addr, jc->tree.src_addr, 4);
		fd = bps_io_connect_to(jc, BP_IO_FILES, &up, BPS_SEED_FETCH_MS);
		if (fd >= 0) {
			ret = fetch_over(fd, c, want, n, &done);
			close(fd);
		} else {
			ret = fd;
		}
		if (done == n)
			return 0;
		tree_fallback(jc, &up, n - done, n, ret);
	}
	fd = bps_io_connect(jc, BP_IO_FILES);
	if (fd < 0)
		return fd;
	ret = fetch_over(fd, c, want + done, n - done, &more);
	close(fd);
	return ret;
}

static int by_hash(const void *a, const void *b)
{
	const struct bp_job_entry *x = a, *y = b;

	return memcmp(x->hash, y->hash, sizeof(x->hash));
}

/*
 * Each content once: the same file under other paths or modes is made
 * from the first copy in the next round (bps_cache_copy_variant).
 */
static size_t unique(struct bp_job_entry *want, size_t n, uint64_t *need)
{
	size_t k = 0;

	qsort(want, n, sizeof(*want), by_hash);
	*need = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && !by_hash(&want[k - 1], &want[i]))
			continue;
		want[k++] = want[i];
		*need += want[i].size;
	}
	return k;
}

/* The manifest's bytes, from the cache: *@buf (malloc'd), its length. */
static int read_manifest(struct bps_cache *c, const struct bp_job_entry *me,
			 uint8_t **buf)
{
	int pfd = bps_cache_object_fd(c, me), fd;
	char path[64];
	uint8_t *b;
	size_t off = 0;

	if (pfd < 0)
		return pfd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", pfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	close(pfd);
	if (fd < 0)
		return -errno;
	b = malloc(me->size ? me->size : 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	while (off < me->size) {
		ssize_t k = read(fd, b + off, me->size - off);

		if (k <= 0) {
			free(b);
			close(fd);
			return k < 0 ? -errno : -EIO;
		}
		off += (size_t)k;
	}
	close(fd);
	*buf = b;
	return 0;
}

/*
 * Everything the job needs is in the cache when this returns 0: the
 * manifest (its entries in *@files, pointing into *@mbuf, which the
 * caller frees) and every file it lists. The caller then holds the
 * cache's lock shared, so no eviction takes an object before it is
 * mounted; bps_cache_unlock() when done. Errors: -ENOSPC (the cache's
 * limit is below what the job needs), -EBADMSG (a manifest or an object
 * that is not what its SHA-256 says), -ENOENT (bpsh does not have it),
 * -ECONNREFUSED, -ETIMEDOUT...
 */
int bps_fetch_job(const struct bps_jobctx *jc, struct bps_cache *c,
		  uint8_t **mbuf, struct bp_job_entry **files, size_t *nfiles)
{
	struct bp_job_entry me, *e = NULL, *want = NULL;
	uint64_t need;
	size_t n = 0, nwant;
	uint8_t *buf = NULL;
	char why[256];
	int ret, tries;

	bps_manifest_entry(&jc->job, &me);
	for (tries = 0; tries < 5; tries++) {
		/* What is missing, under the exclusive lock: make room for it. */
		ret = bps_cache_lock(c, true);
		if (ret)
			return ret;
		if (!bps_cache_has(c, &me)) {
			ret = bps_cache_make_room(c, me.size, &me, 1);
			bps_cache_unlock(c);
			if (!ret)
				ret = fetch(jc, c, &me, 1);
			if (ret)
				return ret;
			continue;	/* again, with the manifest */
		}
		free(buf);
		free(e);
		buf = NULL;
		e = NULL;
		ret = read_manifest(c, &me, &buf);
		if (!ret)
			ret = bp_manifest_parse(buf, me.size, &e, &n, why, sizeof(why));
		if (ret) {
			bps_cache_unlock(c);
			break;
		}
		free(want);
		want = calloc(n ? n : 1, sizeof(*want));
		if (!want) {
			bps_cache_unlock(c);
			ret = -ENOMEM;
			break;
		}
		need = 0;
		nwant = 0;
		for (size_t i = 0; i < n; i++) {
			if (e[i].kind != BP_JOB_FILE || bps_cache_has(c, &e[i]))
				continue;
			if (!bps_cache_copy_variant(c, &e[i]))
				continue;
			want[nwant++] = e[i];
		}
		nwant = unique(want, nwant, &need);
		if (!nwant) {
			/* All there: keep them there while they are mounted. */
			bps_cache_unlock(c);
			ret = bps_cache_lock(c, false);
			if (ret)
				break;
			for (size_t i = 0; i < n; i++)
				if (e[i].kind == BP_JOB_FILE &&
				    !bps_cache_has(c, &e[i]))
					ret = -EAGAIN;	/* evicted meanwhile */
			if (ret == -EAGAIN) {
				bps_cache_unlock(c);
				continue;
			}
			for (size_t i = 0; i < n; i++)
				if (e[i].kind == BP_JOB_FILE)
					bps_cache_touch(c, &e[i]);
			bps_cache_touch(c, &me);
			*mbuf = buf;
			*files = e;
			*nfiles = n;
			free(want);
			return 0;
		}
		ret = bps_cache_make_room(c, need, e, n);
		bps_cache_unlock(c);
		if (!ret)
			ret = fetch(jc, c, want, nwant);
		if (ret)
			break;
	}
	if (!ret)
		ret = -EAGAIN;	/* evicted under us again and again */
	free(want);
	free(e);
	free(buf);
	return ret;
}
