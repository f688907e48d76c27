/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files for the daemons and tools: directories made with their parents,
 * and a file replaced whole, atomically. Return 0 or a negative errno.
 */
#ifndef BP_FS_H
#define BP_FS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * @dir and the directories above it that are missing: those above with
 * @parent_mode, @dir itself with @mode.
 */
int bp_mkdir_p(const char *dir, mode_t parent_mode, mode_t mode);

/* The directories above @path that are missing (@mode). */
int bp_mkdir_parents(const char *path, mode_t mode);

/*
 * Replace @path with @len bytes of @data, or, when @data is NULL, what
 * fd @src reads to its end: written to a temporary file beside it,
 * synced, given @mode, renamed over @path. A reader sees the old file or
 * the new one, never a part.
 */
int bp_file_replace(const char *path, mode_t mode, const void *data,
		    size_t len, int src);

#endif /* BP_FS_H */
