// SPDX-License-Identifier: GPL-2.0
/* Host tests of bpcp's stream checks (stream.c). TAP. */
#include <stdio.h>
#include <string.h>

#include "stream.h"

static int n, failed;

static void ok(int cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, what);
	failed += !cond;
}

static struct bpcp_rec rec(uint8_t type, const char *path)
{
	struct bpcp_rec r = { .type = type, .mode = 0644 };

	r.path_len = (uint32_t)strlen(path);
	if (type == BPCP_SYMLINK)
		r.size = 3;
	return r;
}

int main(void)
{
	struct bpcp_rec r = rec(BPCP_FILE, "a/b");
	struct bpcp_ext e = { .off = 1, .len = 0x0102030405060708ull };

	printf("TAP version 13\n");
	ok(!bpcp_rec_check(&r, "a/b"), "a relative path is taken");
	r = rec(BPCP_FILE, "/etc/passwd");
	ok(bpcp_rec_check(&r, "/etc/passwd") != NULL, "an absolute path is refused");
	r = rec(BPCP_FILE, "a/../../x");
	ok(bpcp_rec_check(&r, "a/../../x") != NULL, "a path with .. is refused");
	r = rec(BPCP_FILE, "a//b");
	ok(bpcp_rec_check(&r, "a//b") != NULL, "an empty component is refused");
	r = rec(BPCP_FILE, "./a");
	ok(bpcp_rec_check(&r, "./a") != NULL, "a . component is refused");
	r = rec(BPCP_FILE, "a/");
	ok(bpcp_rec_check(&r, "a/") != NULL, "a trailing slash is refused");
	r = rec(BPCP_FILE, "ab");
	r.path_len = 3;
	ok(bpcp_rec_check(&r, "ab") != NULL, "a path with a NUL (length mismatch) is refused");
	r = rec(BPCP_FILE, "a");
	r.mode = 010644;
	ok(bpcp_rec_check(&r, "a") != NULL, "file type bits in the mode are refused");
	r = rec(BPCP_FILE, "a");
	r.mtime_nsec = 1000000000u;
	ok(bpcp_rec_check(&r, "a") != NULL, "10^9 nanoseconds are refused");
	r = rec(7, "a");
	ok(bpcp_rec_check(&r, "a") != NULL, "an unknown type is refused");
	r = rec(BPCP_DIR, "d");
	r.size = 5;
	ok(bpcp_rec_check(&r, "d") != NULL, "a directory with a size is refused");
	r = rec(BPCP_SYMLINK, "l");
	r.size = 0;
	ok(bpcp_rec_check(&r, "l") != NULL, "an empty symlink target is refused");
	r = rec(BPCP_FILE, "a");
	r.pad[1] = 1;
	ok(bpcp_rec_check(&r, "a") != NULL, "padding bits are refused");
	bpcp_ext_swap(&e);
	ok(((uint8_t *)&e)[8] == 0x08 && ((uint8_t *)&e)[0] == 1,
	   "extents are little-endian in the stream");
	printf("1..%d\n# %d passed, %d failed\n", n, n - failed, failed);
	return failed != 0;
}
