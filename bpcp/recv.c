// SPDX-License-Identifier: GPL-2.0
/*
 * bpcp's receiver (docs/bpcp.md): a stream into a destination, each file
 * under a temporary name until all of it is in; from a pipe or, node to
 * node, from the one connection that brings the token.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bproc.h>

#include "bpcp.h"
#include "stream.h"

/* ---- receiving ---------------------------------------------------------- */

struct dirfix {
	char *path;
	struct bpcp_rec r;
};

struct recv {
	int in;
	struct tee *tee;	/* children every byte read goes on to, or NULL */
	int root;		/* where the top-level entries go */
	char *rename_top;	/* DEST's name when DEST is not a directory */
	char *first_top;	/* the stream's first top-level name */
	const char *dest;
	mode_t umask;
	struct dirfix *fix;	/* directories' modes and times, at the end */
	size_t nfix;
	uint8_t *buf;
};

/* read_full() from the stream, each byte also on to the children. */
static int rd(struct recv *rv, void *buf, size_t len)
{
	int r = read_full(rv->in, buf, len);

	if (r == 1 && rv->tee)
		tee_write(rv->tee, buf, len);
	return r;
}

/* The path in the destination: the top-level name replaced if need be. */
static char *dest_path(struct recv *rv, const char *path)
{
	size_t top = strcspn(path, "/");
	char *out;

	if (!rv->first_top)
		rv->first_top = strndup(path, top);
	else if (rv->rename_top && (strlen(rv->first_top) != top ||
				    strncmp(rv->first_top, path, top)))
		return NULL;	/* a second top-level entry */
	if (!rv->rename_top)
		return strdup(path);
	if (asprintf(&out, "%s%s", rv->rename_top, path + top) < 0)
		return NULL;
	return out;
}

/* The directory holding @path (opened under root), and its last name. */
static int parent_of(struct recv *rv, const char *path, const char **name)
{
	char *copy = strdup(path), *p, *slash;
	int fd = dup(rv->root);

	if (!copy || fd < 0) {
		free(copy);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	p = copy;
	while ((slash = strchr(p, '/'))) {
		int next;

		*slash = '\0';
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0) {
			free(copy);
			return -1;
		}
		fd = next;
		p = slash + 1;
	}
	*name = path + (p - copy);
	free(copy);
	return fd;
}

static void apply_meta(int fd, const struct bpcp_rec *r, mode_t um)
{
	if (opt_p) {
		struct timespec ts[2] = {
			{ .tv_nsec = UTIME_OMIT },
			{ .tv_sec = r->mtime_sec, .tv_nsec = r->mtime_nsec },
		};

		/* a node may lack the user: then it stays root's */
		if (geteuid() == 0 && fchown(fd, r->uid, r->gid) && errno != EINVAL)
			fprintf(stderr, "%s: owner %u:%u: %s\n", prog, r->uid,
				r->gid, strerror(errno));
		fchmod(fd, r->mode);
		futimens(fd, ts);
	} else {
		fchmod(fd, r->mode & 0777 & ~um);
	}
}

static int recv_file(struct recv *rv, const struct bpcp_rec *r, const char *path)
{
	const char *name;
	char tmp[NAME_MAX + 1];
	int dir = parent_of(rv, path, &name), fd;
	int ret = -1;

	if (dir < 0)
		return fail("%s/%s: %s", rv->dest, path, strerror(errno));
	if (snprintf(tmp, sizeof(tmp), ".%.200s.bpcp.%d", name, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		close(dir);
		return fail("%s: name too long", path);
	}
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fail("%s/%s: %s", rv->dest, path, strerror(errno));
		close(dir);
		return -1;
	}
	for (;;) {
		struct bpcp_ext e;
		uint64_t left;

		if (rd(rv, &e, sizeof(e)) != 1)
			goto cut;
		bpcp_ext_swap(&e);
		if (!e.len)
			break;
		if (e.off > r->size || e.len > r->size - e.off) {
			fail("%s: an extent past the file's size", path);
			goto out;
		}
		left = e.len;
		while (left) {
			size_t n = left > CHUNK ? CHUNK : (size_t)left;

			if (rd(rv, rv->buf, n) != 1)
				goto cut;
			if (pwrite(fd, rv->buf, n, (off_t)(e.off + e.len - left)) !=
			    (ssize_t)n) {
				fail("%s/%s: %s", rv->dest, path, strerror(errno));
				goto out;
			}
			left -= n;
		}
	}
	if (ftruncate(fd, (off_t)r->size)) {
		fail("%s/%s: %s", rv->dest, path, strerror(errno));
		goto out;
	}
	apply_meta(fd, r, rv->umask);
	if (renameat(dir, tmp, dir, name)) {
		fail("%s/%s: %s", rv->dest, path, strerror(errno));
		goto out;
	}
	ret = 0;
	goto done;
cut:
	fail("%s: the copy was cut short (the sender ended or was cut off)", path);
out:
	unlinkat(dir, tmp, 0);
done:
	close(fd);
	close(dir);
	return ret;
}

static int recv_dir(struct recv *rv, const struct bpcp_rec *r, const char *path)
{
	const char *name;
	int dir = parent_of(rv, path, &name);
	struct stat st;
	struct dirfix *nf;

	if (dir < 0)
		return fail("%s/%s: %s", rv->dest, path, strerror(errno));
	if (mkdirat(dir, name, 0700) && (errno != EEXIST ||
	    fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))) {
		fail("%s/%s: %s", rv->dest, path, errno == EEXIST ?
		     "exists and is not a directory" : strerror(errno));
		close(dir);
		return -1;
	}
	close(dir);
	nf = realloc(rv->fix, (rv->nfix + 1) * sizeof(*nf));
	if (!nf)
		return fail("out of memory");
	rv->fix = nf;
	rv->fix[rv->nfix].path = strdup(path);
	rv->fix[rv->nfix++].r = *r;
	return 0;
}

static int recv_symlink(struct recv *rv, const struct bpcp_rec *r, const char *path)
{
	char target[BPCP_PATH_MAX + 1], tmp[NAME_MAX + 1];
	const char *name;
	int dir;

	if (rd(rv, target, r->size) != 1)
		return fail("%s: the copy was cut short", path);
	target[r->size] = '\0';
	if (strlen(target) != r->size)
		return fail("%s: a symlink target with a NUL", path);
	dir = parent_of(rv, path, &name);
	if (dir < 0)
		return fail("%s/%s: %s", rv->dest, path, strerror(errno));
	snprintf(tmp, sizeof(tmp), ".%.200s.bpcp.%d", name, (int)getpid());
	if (symlinkat(target, dir, tmp) || renameat(dir, tmp, dir, name)) {
		fail("%s/%s: %s", rv->dest, path, strerror(errno));
		unlinkat(dir, tmp, 0);
		close(dir);
		return -1;
	}
	close(dir);
	return 0;
}

/*
 * Receive a stream from @in into @dest (a directory, or with one source
 * its new name; @several: more than one source, so @dest must be a
 * directory already). 0, or -1 (said why).
 */
int recv_all(int in, const char *dest, bool several, struct tee *tee)
{
	struct recv rv = { .in = in, .tee = tee, .dest = dest, .root = -1 };
	char magic[BPCP_MAGIC_LEN];
	struct stat st;
	int ret = -1;

	rv.umask = umask(0);
	umask(rv.umask);
	rv.buf = malloc(CHUNK);
	if (!rv.buf)
		return fail("out of memory");
	if (!stat(dest, &st) && S_ISDIR(st.st_mode)) {
		rv.root = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else if (several) {
		fail("%s: not a directory, and there are several sources", dest);
		goto out;
	} else {
		char *a = strdup(dest), *b = strdup(dest);

		rv.root = open(dirname(a), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rv.rename_top = strdup(basename(b));
		free(a);
		free(b);
	}
	if (rv.root < 0) {
		fail("%s: %s", dest, strerror(errno));
		goto out;
	}
	if (rd(&rv, magic, sizeof(magic)) != 1 ||
	    memcmp(magic, BPCP_MAGIC, sizeof(magic))) {
		fail("no bpcp stream came (the sender failed)");
		goto out;
	}
	for (;;) {
		struct bpcp_rec r;
		char path[BPCP_PATH_MAX + 1], *dp;
		const char *why;
		int k;

		if (rd(&rv, &r, sizeof(r)) != 1) {
			fail("the copy was cut short (the sender ended or was cut off)");
			goto out;
		}
		bpcp_rec_swap(&r);
		if (r.type == BPCP_END)
			break;
		if (r.path_len > BPCP_PATH_MAX || !r.path_len) {
			fail("a malformed stream: a path of %u bytes", r.path_len);
			goto out;
		}
		if (rd(&rv, path, r.path_len) != 1) {
			fail("the copy was cut short");
			goto out;
		}
		path[r.path_len] = '\0';
		why = bpcp_rec_check(&r, path);
		if (why) {
			fail("a malformed stream: %s", why);
			goto out;
		}
		dp = dest_path(&rv, path);
		if (!dp) {
			fail("%s: not a directory, and there are several sources", dest);
			goto out;
		}
		k = r.type == BPCP_FILE ? recv_file(&rv, &r, dp) :
		    r.type == BPCP_DIR ? recv_dir(&rv, &r, dp) :
		    recv_symlink(&rv, &r, dp);
		free(dp);
		if (k)
			goto out;
	}
	/* Directories last to first: their times after their contents. */
	for (size_t i = rv.nfix; i-- > 0;) {
		const char *name;
		int dir = parent_of(&rv, rv.fix[i].path, &name), fd = -1;

		if (dir >= 0)
			fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			apply_meta(fd, &rv.fix[i].r, rv.umask);
			close(fd);
		}
		if (dir >= 0)
			close(dir);
	}
	ret = 0;
out:
	for (size_t i = 0; i < rv.nfix; i++)
		free(rv.fix[i].path);
	free(rv.fix);
	free(rv.rename_top);
	free(rv.first_top);
	free(rv.buf);
	if (rv.root >= 0)
		close(rv.root);
	return ret;
}

/* ---- node to node: the receiver's end ---------------------------------- */

/* The token, compared in constant time (no byte-by-byte guessing). */
static bool same_token(const char *a, const char *b)
{
	unsigned char d = 0;

	for (int i = 0; i < TOKEN_LEN; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/*
 * --listen: an ephemeral port (printed as "bpcp-port N" on stdout; with
 * @relay "bpcp-port NODE N", NODE this node's number), one connection
 * that starts with BPCP_TOKEN within 60 s (others are closed), received
 * into @dest. @relay: the token is followed by the nodes to copy the
 * stream on to (tree.c), and every byte read goes on to them, even when
 * this node's own copy fails.
 */
int recv_listen(const char *dest, bool several, bool relay)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	const char *tok = bpcp_token();
	struct bpcp_hop *desc = NULL;
	struct tee tee = { 0 };
	uint32_t ndesc = 0;
	int fd, c = -1, one = 1, ret;

	if (!tok)
		return fail("--listen: no BPCP_TOKEN of %d characters", TOKEN_LEN);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len))
		return fail("listening: %s", strerror(errno));
	if (relay)
		printf("bpcp-port %d %u\n", bproc_currnode(), ntohs(sin.sin_port));
	else
		printf("bpcp-port %u\n", ntohs(sin.sin_port));
	fflush(stdout);
	for (int tries = 0; tries < 16 && c < 0; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char got[TOKEN_LEN];
		struct timeval tv = { .tv_sec = 10 };

		if (poll(&p, 1, 60000) <= 0)
			break;
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (read_full(c, got, sizeof(got)) != 1 || !same_token(got, tok) ||
		    (relay && tree_read_desc(c, &desc, &ndesc))) {
			close(c);
			c = -1;
			continue;
		}
		tv.tv_sec = 60;		/* the sender silent this long: cut */
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	close(fd);
	if (c < 0)
		return fail("no sender with the token connected within 60 s");
	if (relay && tee_open(&tee, desc, ndesc, tok)) {
		free(desc);
		close(c);
		return -1;
	}
	free(desc);
	ret = recv_all(c, dest, several, relay ? &tee : NULL);
	if (relay) {
		if (ret)
			tee_drain(&tee, c);	/* this node failed, not its subtree */
		tee_close(&tee);
	}
	close(c);
	return ret;
}
