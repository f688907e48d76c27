// SPDX-License-Identifier: GPL-2.0
/*
 * What a process started for the master sees of the node (docs/bpsh.md):
 * a mount namespace other than the node's, so nothing it is shown changes
 * what the node's own processes see.
 *
 * Every such process sees a /proc of the masquerade pid namespace, so
 * /proc/self, /proc/$$, ps and pgrep show the job's processes under the
 * master's pids. One without files joins the mount namespace the
 * namespace's init made for that (ns.c), shared by all of them. A job of
 * bpsh with files gets a mount namespace and a root of its own:
 * an overlay of the node's root (its lower layer) and a private, empty
 * upper layer, in which the job's files appear at their master paths,
 * each a read-only bind mount of its object in the node's cache; /dev,
 * /sys and /tmp are the node's, and /proc the namespace's. Writes to /tmp
 * and /dev/shm reach the node; writes anywhere else stay the job's and go
 * with it (the node's root is a RAM disk anyway). A job that ships files
 * under /tmp (a program built there) gets an overlay of the node's /tmp
 * instead, its writes there its own too. The caller's working directory
 * is made (empty) when the node lacks it. For a caller other
 * than root the new root is nosuid and nodev, so the files a job ships
 * cannot lend a node program privileges.
 *
 * Paths come from the manifest, i.e. from the caller: every one is looked
 * up with openat2(RESOLVE_IN_ROOT) under the new root, so no symlink (the
 * node's or the job's) leads outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "bpslave.h"

#define JOB_TOP		"/run/bproc/job"

static int openat2_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* The directory @dir (absolute) under the new root, made if missing. */
static int dir_in_root(int rootfd, const char *dir)
{
	char part[BP_JOB_PATH_MAX + 1];
	const char *c = dir;
	int fd;

	fd = openat2_in_root(rootfd, dir[1] ? dir + 1 : ".", O_PATH | O_DIRECTORY);
	if (fd != -ENOENT)
		return fd;
	/* Make each missing component, as mkdir -p would. */
	while (*c == '/')
		c++;
	while (*c) {
		const char *end = strchrnul(c, '/');
		size_t len = (size_t)(end - dir);

		memcpy(part, dir, len);
		part[len] = '\0';
		fd = openat2_in_root(rootfd, part + 1, O_PATH | O_DIRECTORY);
		if (fd == -ENOENT) {
			char *slash = strrchr(part, '/');
			int pfd;

			*slash = '\0';
			pfd = openat2_in_root(rootfd, slash == part ? "." : part + 1,
					      O_PATH | O_DIRECTORY);
			if (pfd < 0)
				return pfd;
			if (mkdirat(pfd, slash + 1, 0755) && errno != EEXIST) {
				fd = -errno;
				close(pfd);
				return fd;
			}
			close(pfd);
			*slash = '/';
			fd = openat2_in_root(rootfd, part + 1, O_PATH | O_DIRECTORY);
		}
		if (fd < 0)
			return fd;
		if (!*end)
			return fd;
		close(fd);
		c = end + 1;
	}
	return openat2_in_root(rootfd, ".", O_PATH | O_DIRECTORY);
}

/* @path's parent under the new root, and its last component. */
static int parent_of(int rootfd, const char *path, const char **base)
{
	char dir[BP_JOB_PATH_MAX + 1];
	const char *slash = strrchr(path, '/');
	size_t len = (size_t)(slash - path);

	*base = slash + 1;
	memcpy(dir, path, len);
	dir[len] = '\0';
	return dir_in_root(rootfd, len ? dir : "/");
}

/* Bind @obj (an O_PATH fd) read-only over the placeholder @target. */
static int bind_object(int obj, int target, unsigned int attrs)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | attrs };
	int tree, ret = 0;

	tree = open_tree(obj, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
			 AT_EMPTY_PATH);
	if (tree < 0)
		return -errno;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) ||
	    move_mount(tree, "", target, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH))
		ret = -errno;
	close(tree);
	return ret;
}

/* One entry of the manifest into the new root. */
static int place(int rootfd, struct bps_cache *c, const struct bp_job_entry *e,
		 unsigned int attrs)
{
	const char *base;
	int parent, fd, obj, ret = 0;
	struct stat st;

	parent = parent_of(rootfd, e->path, &base);
	if (parent < 0)
		return parent;
	switch (e->kind) {
	case BP_JOB_DIR:
		if (mkdirat(parent, base, e->mode) && errno != EEXIST)
			ret = -errno;
		else if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) ||
			 !S_ISDIR(st.st_mode))
			ret = -ENOTDIR;
		break;
	case BP_JOB_LINK:
		if (unlinkat(parent, base, 0) && errno != ENOENT)
			ret = -errno;	/* a directory of the node's: EISDIR */
		else if (symlinkat(e->target, parent, base))
			ret = -errno;
		break;
	case BP_JOB_FILE:
		/* Whatever the node has there goes (a whiteout in the upper). */
		if (unlinkat(parent, base, 0) && errno != ENOENT) {
			ret = -errno;
			break;
		}
		fd = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL |
			    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			ret = -errno;
			break;
		}
		close(fd);
		fd = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		obj = fd < 0 ? -errno : bps_cache_object_fd(c, e);
		if (fd < 0 || obj < 0) {
			ret = fd < 0 ? -errno : obj;
			if (fd >= 0)
				close(fd);
			break;
		}
		ret = bind_object(obj, fd, attrs);
		close(obj);
		close(fd);
		break;
	}
	close(parent);
	return ret;
}

/* Does the manifest have entries under @dir? */
static bool ships_under(const struct bp_job_entry *e, size_t n, const char *dir)
{
	size_t len = strlen(dir);

	for (size_t i = 0; i < n; i++)
		if (!strncmp(e[i].path, dir, len) && e[i].path[len] == '/')
			return true;
	return false;
}

/* Mount @type at @dir under the new root (made if missing). */
static int submount(int rootfd, const char *dir, const char *src,
		    const char *type, unsigned long flags, const char *data)
{
	char path[64];
	int fd = dir_in_root(rootfd, dir), ret = 0;

	if (fd < 0)
		return fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (mount(src, path, type, flags, data))
		ret = -errno;
	close(fd);
	return ret;
}

static int __attribute__((format(printf, 4, 5)))
fail(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	n = strlen(why);
	snprintf(why + n, len - n, ": %s", strerror(-err));
	return err;
}

/*
 * Make @rootfd the root. pivot_root() where it can; the node's own root
 * is the initramfs (rootfs), which pivot_root() refuses (EINVAL): there
 * the new root is moved over "/" and chroot()ed into, as switch_root
 * does. The node's root stays reachable only by a job that may chroot
 * (CAP_SYS_CHROOT: root's job, which may see the node anyway).
 */
static int enter_root(int rootfd)
{
	if (fchdir(rootfd))
		return -errno;
	if (!syscall(SYS_pivot_root, ".", ".")) {
		if (umount2(".", MNT_DETACH) || chdir("/"))
			return -errno;
		return 0;
	}
	if (errno != EINVAL)
		return -errno;
	if (mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/"))
		return -errno;
	return 0;
}

/*
 * Enter the job's view: its own mount namespace with the masquerade
 * namespace's /proc, and with the @n entries of its manifest (when there
 * are any) under a root of its own. @user: the caller is not root.
 */
int bps_jobns_enter(struct bps_cache *c, const struct bp_job_entry *e,
		    size_t n, bool user, const char *cwd, int proc_mnt_fd,
		    char *why, size_t whylen)
{
	unsigned long noexec = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	unsigned long lock = user ? MS_NOSUID | MS_NODEV : 0;
	unsigned int attrs = user ? MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV : 0;
	static const char *const binds[] = { "/dev", "/sys" };
	char opts[256];
	int rootfd, ret = 0;

	/* No files: the namespace's own mount namespace, shared (ns.c). */
	if (!n) {
		if (setns(proc_mnt_fd, CLONE_NEWNS))
			return fail(why, whylen, -errno,
				    "the masquerade namespace's mounts");
		return 0;
	}
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return fail(why, whylen, -errno, "unshare");

	ret = bps_cache_reopen(c);
	if (ret)
		return fail(why, whylen, ret, "the cache in the new namespace");
	mkdir("/run/bproc", 0755);
	mkdir(JOB_TOP, 0700);
	if (mount("tmpfs", JOB_TOP, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") ||
	    mkdir(JOB_TOP "/upper", 0755) || mkdir(JOB_TOP "/work", 0700) ||
	    mkdir(JOB_TOP "/root", 0755))
		return fail(why, whylen, -errno, "tmpfs on " JOB_TOP);
	snprintf(opts, sizeof(opts), "lowerdir=/,upperdir=%s/upper,workdir=%s/work",
		 JOB_TOP, JOB_TOP);
	if (mount("overlay", JOB_TOP "/root", "overlay", lock, opts))
		return fail(why, whylen, -errno, "overlay of the node's root");
	rootfd = open(JOB_TOP "/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return fail(why, whylen, -errno, "open " JOB_TOP "/root");
	/*
	 * The node's own first, so the job's files can go inside: /proc
	 * of the namespace, the node's /dev and /sys, and its /tmp, shared
	 * with the node and its other jobs, unless the job ships files in
	 * /tmp (a program built there): then its /tmp is an overlay of the
	 * node's, its files in it, and what it writes there stays its own.
	 */
	ret = submount(rootfd, "/proc", "proc", "proc", noexec, NULL);
	if (ret) {
		close(rootfd);
		return fail(why, whylen, ret, "mount /proc");
	}
	for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
		ret = submount(rootfd, binds[i], binds[i], NULL, MS_BIND | MS_REC,
			       NULL);
		if (ret) {
			close(rootfd);
			return fail(why, whylen, ret, "bind %s", binds[i]);
		}
	}
	if (ships_under(e, n, "/tmp")) {
		if (mkdir(JOB_TOP "/tmpupper", 01777) ||
		    mkdir(JOB_TOP "/tmpwork", 0700) ||
		    chmod(JOB_TOP "/tmpupper", 01777))
			ret = -errno;
		snprintf(opts, sizeof(opts),
			 "lowerdir=/tmp,upperdir=%s/tmpupper,workdir=%s/tmpwork",
			 JOB_TOP, JOB_TOP);
		if (!ret)
			ret = submount(rootfd, "/tmp", "overlay", "overlay",
				       MS_NOSUID | MS_NODEV, opts);
	} else {
		ret = submount(rootfd, "/tmp", "/tmp", NULL, MS_BIND | MS_REC,
			       NULL);
	}
	if (ret) {
		close(rootfd);
		return fail(why, whylen, ret, "/tmp");
	}
	for (size_t i = 0; i < n; i++) {
		ret = place(rootfd, c, &e[i], attrs);
		if (ret) {
			close(rootfd);
			return fail(why, whylen, ret, "%s", e[i].path);
		}
	}
	/* The caller's directory, when the node lacks it: an empty one. */
	if (cwd[0] == '/' && bp_job_path_ok(cwd)) {
		int fd = dir_in_root(rootfd, cwd);

		if (fd >= 0)
			close(fd);
	}
	ret = enter_root(rootfd);
	close(rootfd);
	if (ret)
		return fail(why, whylen, ret, "entering the job's root");
	return 0;
}
