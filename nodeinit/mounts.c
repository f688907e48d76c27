// SPDX-License-Identifier: GPL-2.0
/*
 * The node's file systems: everything lives in RAM. The initramfs is the
 * root; the kernel's pseudo file systems and a few tmpfs go on top.
 */
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nodeinit.h"

static const struct {
	const char *source, *target, *fstype;
	unsigned long flags;
	const char *data;
	mode_t mode;			/* of the mount point, if created */
} mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555 },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555 },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 0755 },
	{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	  "mode=0620,ptmxmode=0666", 0755 },
	{ "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777 },
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0755 },
	{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777 },
};

static const struct {
	const char *target, *path;
} links[] = {
	{ "/proc/self/fd", "/dev/fd" },
	{ "/proc/self/fd/0", "/dev/stdin" },
	{ "/proc/self/fd/1", "/dev/stdout" },
	{ "/proc/self/fd/2", "/dev/stderr" },
};

/* Record a failure of @step on @target; returns the first error so far. */
static int note(struct ni_mount_error *errs, unsigned int max,
		unsigned int *nerrs, const char *target, const char *step, int err)
{
	int first = *nerrs && max ? errs[0].err : err;

	if (*nerrs < max) {
		errs[*nerrs].target = target;
		errs[*nerrs].step = step;
		errs[*nerrs].err = err;
	}
	(*nerrs)++;
	return first;
}

/*
 * Mount everything, going on past failures (a PID 1 has nowhere to
 * return to). Returns 0, or the first error; every failure is recorded
 * in @errs (at most @max of them, *nerrs counts all).
 */
int ni_mount_all(struct ni_mount_error *errs, unsigned int max,
		 unsigned int *nerrs)
{
	size_t i;
	int first = 0;

	*nerrs = 0;
	for (i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		if (mkdir(mounts[i].target, mounts[i].mode) && errno != EEXIST) {
			first = note(errs, max, nerrs, mounts[i].target, "mkdir", -errno);
			continue;
		}
		if (mount(mounts[i].source, mounts[i].target, mounts[i].fstype,
			  mounts[i].flags, mounts[i].data)) {
			/* EBUSY: already there (e.g. a devtmpfs automount). */
			if (errno == EBUSY)
				continue;
			first = note(errs, max, nerrs, mounts[i].target, "mount", -errno);
		}
	}
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (symlink(links[i].target, links[i].path) && errno != EEXIST)
			first = note(errs, max, nerrs, links[i].path, "symlink", -errno);
	}
	if (mkdir(NI_RUN_DIR, 0755) && errno != EEXIST)
		first = note(errs, max, nerrs, NI_RUN_DIR, "mkdir", -errno);
	return first;
}
