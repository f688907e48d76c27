// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of bp_fs.h, TAP. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "bp_fs.h"
#include "bproc-test/tap.h"

int main(void)
{
	char dir[] = "/tmp/bproc-test-fs-XXXXXX", p[256], q[256], buf[64];
	struct tap t = { 0 };
	struct stat st;
	int fd, n;

	if (!mkdtemp(dir))
		return 1;
	snprintf(p, sizeof(p), "%s/a/b/c", dir);
	tap_ok(&t, !bp_mkdir_p(p, 0755, 0700) && !stat(p, &st) &&
	       S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	       "bp_mkdir_p makes a/b/c, the last 0700");
	snprintf(q, sizeof(q), "%s/a/b", dir);
	tap_ok(&t, !stat(q, &st) && (st.st_mode & 0777) == 0755,
	       "and the ones above with their mode");
	tap_ok(&t, !bp_mkdir_p(p, 0755, 0700), "again: they exist, fine");
	snprintf(p, sizeof(p), "%s/x/y/file", dir);
	snprintf(q, sizeof(q), "%s/x/y", dir);
	tap_ok(&t, !bp_mkdir_parents(p, 0755) && !stat(q, &st) &&
	       S_ISDIR(st.st_mode) && stat(p, &st) && errno == ENOENT,
	       "bp_mkdir_parents makes x/y, not the file");
	tap_ok(&t, bp_mkdir_p("", 0755, 0755) == -EINVAL, "an empty path: EINVAL");

	tap_ok(&t, !bp_file_replace(p, 0400, "one\n", 4, -1) && !stat(p, &st) &&
	       (st.st_mode & 0777) == 0400 && st.st_size == 4,
	       "bp_file_replace writes a file with its mode");
	tap_ok(&t, !bp_file_replace(p, 0644, "second\n", 7, -1), "replaces it");
	fd = open(p, O_RDONLY);
	n = fd < 0 ? -1 : (int)read(fd, buf, sizeof(buf));
	tap_ok(&t, n == 7 && !memcmp(buf, "second\n", 7), "with the new bytes");
	if (fd >= 0) {
		snprintf(q, sizeof(q), "%s/copy", dir);
		lseek(fd, 0, SEEK_SET);
		tap_ok(&t, !bp_file_replace(q, 0644, NULL, 0, fd) &&
		       !stat(q, &st) && st.st_size == 7,
		       "from an fd: its whole contents");
		close(fd);
	}
	/* over a directory: the rename fails, the temporary file goes */
	snprintf(q, sizeof(q), "%s/x/y", dir);
	n = bp_file_replace(q, 0644, "x", 1, -1);
	snprintf(p, sizeof(p), "ls -A %s/x | grep -c '^\\.y\\.' > /dev/null", dir);
	tap_ok(&t, n == -EISDIR && system(p) != 0,
	       "over a directory: EISDIR (%d), no temporary file left", n);
	snprintf(q, sizeof(q), "%s/nodir/f", dir);
	tap_ok(&t, bp_file_replace(q, 0644, "x", 1, -1) == -ENOENT,
	       "into a missing directory: ENOENT, nothing left");
	snprintf(q, sizeof(q), "rm -rf %s", dir);
	if (system(q))
		return 1;
	return tap_done(&t);
}
