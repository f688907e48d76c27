// SPDX-License-Identifier: GPL-2.0
/*
 * bpcp: copy files between the master and nodes (bpcp(1), docs/bpcp.md).
 *
 *   bpcp [-p] [-r] SRC... DEST      SRC and DEST: PATH (the master's),
 *                                   NODE:PATH, DEST also NODESPEC:PATH
 *
 * The copy is a stream (stream.h) from a sender to a receiver, both this
 * program: run on a node through bpsh (which ships it, like any program),
 * or here. master -> nodes: the sender here, bpsh copies its output to
 * the receiver on every node of NODESPEC. node -> master: the sender on
 * the node, its output through bpsh to the receiver here. node -> node:
 * the receiver on the target listens, the sender on the source connects
 * to it with a one-time token: the data goes straight between the two.
 *
 * A receiver writes each file under a temporary name in its directory
 * and renames it only when all of it arrived, so an interrupted copy
 * leaves no partial file under the final name.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bproc.h>

#include "stream.h"

#define BPCP_VERSION	"0.1.0"
#define TOKEN_LEN	64	/* hex characters of BPCP_TOKEN */
#define CHUNK		(1 << 20)

static const char *prog = "bpcp";
static bool opt_p, opt_r;

static int __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 1: all of it, 0: end of the stream before any byte, -1: error or a cut. */
static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return got ? -1 : 0;
		got += (size_t)n;
	}
	return 1;
}

/* ---- sending ------------------------------------------------------------ */

static int send_rec(int out, struct bpcp_rec r, const char *path)
{
	r.path_len = (uint32_t)strlen(path);
	bpcp_rec_swap(&r);
	if (write_all(out, &r, sizeof(r)) || write_all(out, path, strlen(path)))
		return fail("writing the stream: %s", strerror(errno));
	return 0;
}

static void rec_of(const struct stat *st, struct bpcp_rec *r, uint8_t type)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->mode = st->st_mode & 07777;
	r->uid = st->st_uid;
	r->gid = st->st_gid;
	r->mtime_sec = st->st_mtim.tv_sec;
	r->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	r->size = type == BPCP_FILE ? (uint64_t)st->st_size : 0;
}

/* One extent of @fd's data: sendfile() into @out. */
static int send_extent(int out, int fd, off_t off, uint64_t len, const char *src)
{
	struct bpcp_ext e = { .off = (uint64_t)off, .len = len };

	bpcp_ext_swap(&e);
	if (write_all(out, &e, sizeof(e)))
		return fail("writing the stream: %s", strerror(errno));
	while (len) {
		ssize_t n = sendfile(out, fd, &off, len > CHUNK ? CHUNK : len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail("%s: %s", src, n ? strerror(errno) :
				    "shrank while it was copied");
		len -= (uint64_t)n;
	}
	return 0;
}

/* A regular file: its data extents (holes skipped), then the last one. */
static int send_file(int out, int fd, const struct stat *st, const char *path,
		     const char *src)
{
	struct bpcp_rec r;
	struct bpcp_ext end = { 0 };
	off_t off = 0, size = st->st_size;

	rec_of(st, &r, BPCP_FILE);
	if (send_rec(out, r, path))
		return -1;
	while (off < size) {
		off_t data = lseek(fd, off, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;		/* a hole to the end */
		if (data < 0) {
			data = off;	/* no SEEK_DATA here: all of it */
			hole = size;
		} else {
			hole = lseek(fd, data, SEEK_HOLE);
			if (hole < 0 || hole > size)
				hole = size;
		}
		if (send_extent(out, fd, data, (uint64_t)(hole - data), src))
			return -1;
		off = hole;
	}
	if (write_all(out, &end, sizeof(end)))
		return fail("writing the stream: %s", strerror(errno));
	return 0;
}

static int send_path(int out, int dirfd, const char *name, const char *path,
		     const char *src);

static int send_dir(int out, int fd, const struct stat *st, const char *path,
		    const char *src)
{
	struct bpcp_rec r;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	rec_of(st, &r, BPCP_DIR);
	if (send_rec(out, r, path))
		return -1;
	d = fdopendir(fd);
	if (!d)
		return fail("%s: %s", src, strerror(errno));
	while (!ret && (de = readdir(d))) {
		char *sub, *subsrc;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) < 0 ||
		    asprintf(&subsrc, "%s/%s", src, de->d_name) < 0) {
			closedir(d);
			return fail("out of memory");
		}
		ret = send_path(out, dirfd(d), de->d_name, sub, subsrc);
		free(sub);
		free(subsrc);
	}
	closedir(d);
	return ret;
}

/* @name in @dirfd, as @path in the stream (@src: how to name it). */
static int send_path(int out, int dirfd, const char *name, const char *path,
		     const char *src)
{
	struct stat st;
	int fd, ret;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return fail("%s: %s", src, strerror(errno));
	if (strlen(path) > BPCP_PATH_MAX)
		return fail("%s: path too long", src);
	if (S_ISLNK(st.st_mode)) {
		char target[BPCP_PATH_MAX + 1];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		struct bpcp_rec r;

		if (n <= 0)
			return fail("%s: %s", src, n ? strerror(errno) : "empty link");
		rec_of(&st, &r, BPCP_SYMLINK);
		r.size = (uint64_t)n;
		if (send_rec(out, r, path) || write_all(out, target, (size_t)n))
			return fail("writing the stream: %s", strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode) && !opt_r)
		return fail("%s: a directory (-r copies trees)", src);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return fail("%s: not a regular file, directory or symlink", src);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return fail("%s: %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return send_dir(out, fd, &st, path, src);	/* closes fd */
	ret = send_file(out, fd, &st, path, src);
	close(fd);
	return ret;
}

/* The stream of @n sources (their base names at the top) to @out. */
static int send_all(int out, char **srcs, int n)
{
	struct bpcp_rec end = { .type = BPCP_END };

	if (write_all(out, BPCP_MAGIC, BPCP_MAGIC_LEN))
		return fail("writing the stream: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		char *copy = strdup(srcs[i]), *dir, *base;
		size_t len = strlen(copy);
		int ret;

		while (len > 1 && copy[len - 1] == '/')
			copy[--len] = '\0';
		base = strdup(basename(copy));
		dir = dirname(copy);
		if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, "..")) {
			free(base);
			free(copy);
			return fail("%s: name a file or a directory by its name", srcs[i]);
		}
		{
			int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			ret = dfd < 0 ? fail("%s: %s", srcs[i], strerror(errno)) :
			      send_path(out, dfd, base, base, srcs[i]);
			if (dfd >= 0)
				close(dfd);
		}
		free(base);
		free(copy);
		if (ret)
			return -1;
	}
	if (write_all(out, &end, sizeof(end)))
		return fail("writing the stream: %s", strerror(errno));
	return 0;
}

/* ---- receiving ---------------------------------------------------------- */

struct dirfix {
	char *path;
	struct bpcp_rec r;
};

struct recv {
	int in;
	int root;		/* where the top-level entries go */
	char *rename_top;	/* DEST's name when DEST is not a directory */
	char *first_top;	/* the stream's first top-level name */
	const char *dest;
	mode_t umask;
	struct dirfix *fix;	/* directories' modes and times, at the end */
	size_t nfix;
	uint8_t *buf;
};

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

		if (read_full(rv->in, &e, sizeof(e)) != 1)
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

			if (read_full(rv->in, rv->buf, n) != 1)
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

	if (read_full(rv->in, target, r->size) != 1)
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
static int recv_all(int in, const char *dest, bool several)
{
	struct recv rv = { .in = in, .dest = dest, .root = -1 };
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
	if (read_full(in, magic, sizeof(magic)) != 1 ||
	    memcmp(magic, BPCP_MAGIC, sizeof(magic))) {
		fail("no bpcp stream came (the sender failed)");
		goto out;
	}
	for (;;) {
		struct bpcp_rec r;
		char path[BPCP_PATH_MAX + 1], *dp;
		const char *why;
		int k;

		if (read_full(in, &r, sizeof(r)) != 1) {
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
		if (read_full(in, path, r.path_len) != 1) {
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

/* ---- node to node ------------------------------------------------------- */

static const char *token(void)
{
	const char *t = getenv("BPCP_TOKEN");

	return t && strlen(t) == TOKEN_LEN ? t : NULL;
}

/*
 * --listen: an ephemeral port (printed as "bpcp-port N" on stdout), one
 * connection that starts with BPCP_TOKEN within 60 s (others are closed),
 * received into @dest.
 */
static int recv_listen(const char *dest, bool several)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	const char *tok = token();
	int fd, c = -1, one = 1;

	if (!tok)
		return fail("--listen: no BPCP_TOKEN of %d characters", TOKEN_LEN);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len))
		return fail("listening: %s", strerror(errno));
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
		if (read_full(c, got, sizeof(got)) != 1 || memcmp(got, tok, sizeof(got))) {
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
	fd = recv_all(c, dest, several);
	close(c);
	return fd;
}

/* --to ADDR:PORT: the stream of @srcs over a connection there. */
static int send_to(const char *to, char **srcs, int n)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const char *tok = token(), *colon = strrchr(to, ':');
	char addr[INET_ADDRSTRLEN];
	int fd, ret;

	if (!tok)
		return fail("--to: no BPCP_TOKEN of %d characters", TOKEN_LEN);
	if (!colon || (size_t)(colon - to) >= sizeof(addr))
		return fail("--to '%s': not ADDR:PORT", to);
	memcpy(addr, to, (size_t)(colon - to));
	addr[colon - to] = '\0';
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1 || !sin.sin_port)
		return fail("--to '%s': not ADDR:PORT", to);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return fail("connecting to %s: %s", to, strerror(errno));
	ret = write_all(fd, tok, TOKEN_LEN) ? fail("%s: %s", to, strerror(errno)) :
	      send_all(fd, srcs, n);
	close(fd);
	return ret;
}

/* ---- the user's command -------------------------------------------------- */

/* "NODESPEC:PATH" -> *@spec (malloc'd) and *@path; a plain PATH -> NULL. */
static void split_loc(const char *arg, char **spec, const char **path)
{
	const char *colon = strchr(arg, ':');

	*spec = NULL;
	*path = arg;
	if (colon && colon > arg && !memchr(arg, '/', (size_t)(colon - arg))) {
		*spec = strndup(arg, (size_t)(colon - arg));
		*path = colon + 1;
	}
}

/*
 * The children of the command (bpsh runs, a sender): a signal that ends
 * bpcp ends them too, so an interrupted copy stops everywhere (bpsh
 * passes it on to the remote halves, whose receivers keep no partial
 * file under its final name).
 */
static pid_t kids[4];
static int nkids;

static void on_signal(int sig)
{
	for (int i = 0; i < nkids; i++)
		kill(kids[i], sig == SIGINT || sig == SIGHUP ? SIGTERM : sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void track(pid_t pid)
{
	if (pid > 0 && nkids < (int)(sizeof(kids) / sizeof(kids[0])))
		kids[nkids++] = pid;
}

static pid_t spawn(char **argv, int in, int out)
{
	pid_t pid = fork();

	if (pid > 0)
		track(pid);
	if (pid == 0) {
		if (in >= 0 && in != 0)
			dup2(in, 0);
		if (out >= 0 && out != 1)
			dup2(out, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s: %s\n", prog, argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The sender as a child writing into @fd (then closing it). */
static pid_t fork_sender(char **srcs, int n, int fd, int other)
{
	pid_t pid = fork();

	if (pid > 0)
		track(pid);
	if (pid == 0) {
		if (other >= 0)
			close(other);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		_exit(send_all(fd, srcs, n) ? 1 : 0);
	}
	close(fd);
	return pid;
}

/* The one node of @spec, or -1 with the reason said. */
static int one_node(const char *spec)
{
	struct bproc_nodeset set = { 0 };
	struct bproc_nodeset_error e = { 0 };
	struct bproc_node_info *list = NULL;
	int node = -1, n = bproc_nodelist(&list);

	if (n < 0)
		fail("node table: %s", strerror(errno));
	else if (bproc_nodeset_parse_list(spec, list, n, &set, &e))
		fail("'%s': %s", spec, errno == EINVAL ? e.msg : strerror(errno));
	else if (set.count != 1)
		fail("'%s': a source is on one node, not %d", spec, set.count);
	else
		node = set.nodes[0];
	bproc_nodeset_free(&set);
	free(list);
	return node;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-p] [-r] SRC... DEST\n"
		"Copy files between the master and nodes. SRC and DEST are PATH (on the\n"
		"master) or NODE:PATH; DEST may be NODESPEC:PATH (every node of it).\n"
		"Sources are on one machine; node to node the data goes straight.\n"
		"\n"
		"  -p   keep modes, times (and owners, as root)\n"
		"  -r   copy directories and everything under them\n"
		"  -h, --help, -V, --version\n", prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "send", no_argument, NULL, 'S' },
		{ "recv", no_argument, NULL, 'R' },
		{ "listen", no_argument, NULL, 'L' },
		{ "to", required_argument, NULL, 'T' },
		{ "several", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	bool do_send = false, do_recv = false, listen_ = false, several = false;
	const char *to = NULL, *dpath, *spath = NULL;
	char *dspec, *sspec = NULL, self[PATH_MAX];
	int c, nsrc, st = 0;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "+prhV", opts, NULL)) != -1) {
		switch (c) {
		case 'p': opt_p = true; break;
		case 'r': opt_r = true; break;
		case 'S': do_send = true; break;
		case 'R': do_recv = true; break;
		case 'L': listen_ = true; break;
		case 'T': to = optarg; break;
		case 'M': several = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("%s %s\n", prog, BPCP_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	argv += optind;
	argc -= optind;
	/* The halves that run on a node (or here), from the command below. */
	if (do_send)
		return (to ? send_to(to, argv, argc) : send_all(1, argv, argc)) ? 1 : 0;
	if (do_recv) {
		if (argc != 1)
			return fail("--recv takes one DEST") ? 1 : 1;
		return (listen_ ? recv_listen(argv[0], several) :
			recv_all(0, argv[0], several)) ? 1 : 0;
	}
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	nsrc = argc - 1;
	split_loc(argv[argc - 1], &dspec, &dpath);
	for (int i = 0; i < nsrc; i++) {
		char *s;
		const char *p;

		split_loc(argv[i], &s, &p);
		if (i && (!s != !sspec || (s && strcmp(s, sspec))))
			return fail("the sources are on more than one machine") ? 1 : 1;
		if (!i) {
			sspec = s;
			spath = p;
		} else {
			free(s);
		}
		argv[i] = (char *)p;
	}
	(void)spath;
	if (!*dpath)
		return fail("'%s': no path to copy to", argv[argc - 1]) ? 1 : 1;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return fail("/proc/self/exe: %s", strerror(errno)) ? 1 : 1;
	self[n] = '\0';

	/* Sources here: what is wrong with them, before anything starts. */
	for (int i = 0; !sspec && i < nsrc; i++) {
		struct stat sst;

		if (lstat(argv[i], &sst))
			return fail("%s: %s", argv[i], strerror(errno)) ? 1 : 1;
		if (S_ISDIR(sst.st_mode) && !opt_r)
			return fail("%s: a directory (-r copies trees)", argv[i]) ? 1 : 1;
	}
	if (!sspec && !dspec) {			/* here to here */
		int p[2];
		pid_t snd;

		if (pipe2(p, O_CLOEXEC))
			return fail("pipe: %s", strerror(errno)) ? 1 : 1;
		snd = fork_sender(argv, nsrc, p[1], p[0]);
		st = recv_all(p[0], dpath, nsrc > 1) ? 1 : 0;
		close(p[0]);
		c = wait_status(snd);
		return st ? st : c;
	}
	if (!sspec) {				/* master -> nodes */
		char *bargv[10];
		int p[2], k = 0;
		pid_t snd, b;

		bargv[k++] = "bpsh";
		bargv[k++] = dspec;
		bargv[k++] = self;
		if (opt_p)
			bargv[k++] = "-p";
		if (nsrc > 1)
			bargv[k++] = "--several";
		bargv[k++] = "--recv";
		bargv[k++] = (char *)dpath;
		bargv[k] = NULL;
		if (pipe2(p, O_CLOEXEC))
			return fail("pipe: %s", strerror(errno)) ? 1 : 1;
		b = spawn(bargv, p[0], -1);
		close(p[0]);
		snd = fork_sender(argv, nsrc, p[1], -1);
		c = wait_status(snd);
		st = wait_status(b);
		return st ? st : c;
	}
	if (!dspec) {				/* node -> master */
		int node = one_node(sspec), p[2], k = 0;
		char nodestr[16], **bargv = calloc((size_t)nsrc + 8, sizeof(char *));
		pid_t b;

		if (node < 0 || !bargv)
			return 1;
		snprintf(nodestr, sizeof(nodestr), "%d", node);
		bargv[k++] = "bpsh";
		bargv[k++] = "-n";
		bargv[k++] = nodestr;
		bargv[k++] = self;
		if (opt_p)
			bargv[k++] = "-p";
		if (opt_r)
			bargv[k++] = "-r";
		bargv[k++] = "--send";
		for (int i = 0; i < nsrc; i++)
			bargv[k++] = argv[i];
		if (pipe2(p, O_CLOEXEC))
			return fail("pipe: %s", strerror(errno)) ? 1 : 1;
		b = spawn(bargv, -1, p[1]);
		close(p[1]);
		st = recv_all(p[0], dpath, nsrc > 1) ? 1 : 0;
		close(p[0]);
		c = wait_status(b);
		return c ? c : st;
	}
	{						/* node -> node */
		int from = one_node(sspec), to_node = one_node(dspec), p[2], k = 0;
		char tok[TOKEN_LEN + 1], line[64], dest[64], nodestr[16], tostr[16];
		char **bargv = calloc((size_t)nsrc + 10, sizeof(char *));
		char *rargv[10] = { "bpsh", "-n", tostr, self };
		struct bproc_node_info info;
		unsigned int port = 0;
		uint8_t rnd[TOKEN_LEN / 2];
		FILE *f;
		pid_t r, s;

		if (from < 0 || to_node < 0 || !bargv)
			return 1;
		{
			int j = 4;

			if (opt_p)
				rargv[j++] = "-p";
			if (nsrc > 1)
				rargv[j++] = "--several";
			rargv[j++] = "--recv";
			rargv[j++] = "--listen";
			rargv[j++] = (char *)dpath;
			rargv[j] = NULL;
		}
		if (bproc_nodeinfo(to_node, &info) || info.addr_family != AF_INET)
			return fail("node %d: no address: %s", to_node, strerror(errno)) ? 1 : 1;
		f = fopen("/dev/urandom", "re");
		if (!f || fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd))
			return fail("/dev/urandom: %s", strerror(errno)) ? 1 : 1;
		fclose(f);
		for (size_t i = 0; i < sizeof(rnd); i++)
			sprintf(tok + 2 * i, "%02x", rnd[i]);
		setenv("BPCP_TOKEN", tok, 1);	/* the jobs get bpsh's environment */
		snprintf(tostr, sizeof(tostr), "%d", to_node);
		if (pipe2(p, O_CLOEXEC))
			return fail("pipe: %s", strerror(errno)) ? 1 : 1;
		r = spawn(rargv, -1, p[1]);
		close(p[1]);
		f = fdopen(p[0], "r");
		if (!f || !fgets(line, sizeof(line), f) ||
		    sscanf(line, "bpcp-port %u", &port) != 1 || !port || port > 65535) {
			kill(r, SIGTERM);
			wait_status(r);
			return fail("node %d: the receiver did not start", to_node) ? 1 : 1;
		}
		inet_ntop(AF_INET, info.addr, dest, sizeof(dest) - 8);
		snprintf(dest + strlen(dest), 8, ":%u", port);
		snprintf(nodestr, sizeof(nodestr), "%d", from);
		bargv[k++] = "bpsh";
		bargv[k++] = "-n";
		bargv[k++] = nodestr;
		bargv[k++] = self;
		if (opt_p)
			bargv[k++] = "-p";
		if (opt_r)
			bargv[k++] = "-r";
		bargv[k++] = "--send";
		bargv[k++] = "--to";
		bargv[k++] = dest;
		for (int i = 0; i < nsrc; i++)
			bargv[k++] = argv[i];
		s = spawn(bargv, -1, -1);
		c = wait_status(s);
		if (c)
			kill(r, SIGTERM);
		while (fgets(line, sizeof(line), f))
			;
		fclose(f);
		st = wait_status(r);
		return c ? c : st;
	}
}
