// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the ld.so.cache reader (ldcache.c, TAP): this
 * machine's /etc/ld.so.cache against `ldconfig -p`, and cache files
 * written here in each layout, truncated, corrupted and fuzzed.
 */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "files_priv.h"
#include "bproc-test/tap.h"
#include "ldcache_gen.h"

static bool has(const char *const *v, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], path))
			return true;
	return false;
}

/* Every library `ldconfig -p` lists, for its ABI. */
static void test_real(struct tap *t)
{
	struct bpsh_ldcache *lc;
	char line[1024], bad[1024] = "";
	size_t n64 = 0, n32 = 0, miss = 0, n;
	const char *const *v;
	FILE *p;
	int r;

	if (access("/etc/ld.so.cache", R_OK)) {
		tap_skip(t, "no /etc/ld.so.cache here");
		return;
	}
	r = bpsh_ldcache_load("/etc/ld.so.cache", &lc);
	if (!tap_ok(t, r == 0, "this machine's ld.so.cache loads (%d)", r))
		return;
	p = popen("ldconfig -p 2>/dev/null", "r");
	if (!p) {
		tap_skip(t, "no ldconfig -p");
		bpsh_ldcache_free(lc);
		return;
	}
	while (fgets(line, sizeof(line), p)) {
		char key[512], *arrow = strstr(line, " => "), *val, *nl;
		bool is64;

		if (line[0] != '\t' || !arrow ||
		    sscanf(line, " %511s", key) != 1)
			continue;
		val = arrow + 4;
		nl = strchr(val, '\n');
		if (nl)
			*nl = '\0';
		is64 = strstr(line, "x86-64") != NULL;
		if (!is64 && !strstr(line, "(libc6)") &&
		    !strstr(line, "(libc6,"))
			continue;
		v = bpsh_ldcache_lookup_class(lc, key,
					      is64 ? ELFCLASS64 : ELFCLASS32,
					      &n);
		if (is64)
			n64++;
		else
			n32++;
		if (!has(v, n, val) && !miss++)
			snprintf(bad, sizeof(bad), "%s => %s", key, val);
		/* ... and not for the other ABI. */
		v = bpsh_ldcache_lookup_class(lc, key,
					      is64 ? ELFCLASS32 : ELFCLASS64,
					      &n);
		if (has(v, n, val) && !miss++)
			snprintf(bad, sizeof(bad), "%s => %s for the other ABI",
				 key, val);
	}
	pclose(p);
	tap_ok(t, n64 > 0 && miss == 0,
	       "each of %zu x86-64 and %zu i386 ldconfig -p entries found for its ABI only (%zu missing, first: %s)",
	       n64, n32, miss, bad);
	v = bpsh_ldcache_lookup(lc, "libc.so.6", &n);
	tap_ok(t, n >= 1 && v && v[0][0] == '/' && strstr(v[0], "libc.so.6"),
	       "libc.so.6 maps to %s (%zu entries)", n ? v[0] : "nothing", n);
	v = bpsh_ldcache_lookup(lc, "libdoes-not-exist.so.42", &n);
	tap_ok(t, !v && n == 0, "an unknown name has no entries");
	bpsh_ldcache_free(lc);
}

static const struct lcg_ent ents[] = {
	{ 0x0303, "libb.so", "/lib/b" },
	{ 0x0303, "liba.so.1", "/lib/glibc-hwcaps/x86-64-v3/a1" },
	{ 0x0003, "liba.so.1", "/lib32/a1" },
	{ 0x0303, "liba.so.1", "/lib/a1" },
	{ 0x0001, "libc5.so", "/libc5/c" },
	{ 0x0803, "liba.so.1", "/other-abi/a1" },
	{ 0x0303, "libz.so", "/lib/z" },
};
#define NENTS (sizeof(ents) / sizeof(ents[0]))

static int load_buf(const char *dir, const char *buf, size_t len,
		    struct bpsh_ldcache **lc)
{
	char file[PATH_MAX];

	snprintf(file, sizeof(file), "%s/cache", dir);
	if (lcg_write(file, buf, len))
		return -EIO;
	return bpsh_ldcache_load(file, lc);
}

static void test_layout(struct tap *t, const char *dir,
			enum lcg_layout layout, const char *what)
{
	struct bpsh_ldcache *lc = NULL;
	const char *const *v;
	size_t len, n;
	char *buf = lcg_build(ents, NENTS, layout, &len);
	int r = load_buf(dir, buf, len, &lc);

	free(buf);
	if (!tap_ok(t, r == 0, "%s: loads (%d)", what, r))
		return;
	v = bpsh_ldcache_lookup(lc, "liba.so.1", &n);
	tap_ok(t, n == 2 && !strcmp(v[0], "/lib/glibc-hwcaps/x86-64-v3/a1") &&
	       !strcmp(v[1], "/lib/a1"),
	       "%s: both x86-64 entries of a name, in the file's order (%zu: %s, %s)",
	       what, n, n ? v[0] : "-", n > 1 ? v[1] : "-");
	v = bpsh_ldcache_lookup_class(lc, "liba.so.1", ELFCLASS32, &n);
	tap_ok(t, n == 1 && !strcmp(v[0], "/lib32/a1"),
	       "%s: the i386 entry for class 32 (%zu: %s)", what, n,
	       n ? v[0] : "-");
	v = bpsh_ldcache_lookup(lc, "libb.so", &n);
	tap_ok(t, n == 1 && !strcmp(v[0], "/lib/b"), "%s: libb.so (%zu)",
	       what, n);
	v = bpsh_ldcache_lookup(lc, "libz.so", &n);
	tap_ok(t, n == 1 && !strcmp(v[0], "/lib/z"), "%s: libz.so, last (%zu)",
	       what, n);
	bpsh_ldcache_lookup(lc, "libc5.so", &n);
	tap_ok(t, n == 0, "%s: an entry of another ABI (libc5) is skipped (%zu)",
	       what, n);
	bpsh_ldcache_lookup_class(lc, "libc5.so", ELFCLASS32, &n);
	tap_ok(t, n == 0, "%s: ... for i386 too (%zu)", what, n);
	bpsh_ldcache_lookup(lc, "liba.so", &n);
	tap_ok(t, n == 0, "%s: a prefix of a name is not the name", what);
	bpsh_ldcache_free(lc);
}

static void test_corrupt(struct tap *t, const char *dir)
{
	struct bpsh_ldcache *lc = NULL;
	size_t len, cut, bad = 0, badcut = 0, i, ok = 0;
	char *buf = lcg_build(ents, NENTS, LCG_NEW, &len), *m;
	char file[PATH_MAX];
	int r;

	/* Every truncation cuts the last string's NUL at least. */
	for (cut = 0; cut < len; cut++) {
		r = load_buf(dir, buf, cut, &lc);
		if (r != -EINVAL && !bad++)
			badcut = cut;
		bpsh_ldcache_free(lc);
		lc = NULL;
	}
	tap_ok(t, bad == 0,
	       "each of %zu truncations is -EINVAL (%zu not, first at %zu)",
	       len, bad, badcut);

	m = malloc(len);
	memcpy(m, buf, len);
	lcg_put32(m + 20, 0x7fffffff);
	r = load_buf(dir, m, len, &lc);
	tap_ok(t, r == -EINVAL, "a huge entry count is -EINVAL (%d)", r);

	memcpy(m, buf, len);
	lcg_put32(m + 48 + 4, len + 100);
	r = load_buf(dir, m, len, &lc);
	tap_ok(t, r == -EINVAL, "a key offset past the end is -EINVAL (%d)", r);

	memcpy(m, buf, len);
	lcg_put32(m + 48 + 8, 0xffffffff);
	r = load_buf(dir, m, len, &lc);
	tap_ok(t, r == -EINVAL, "a value offset of 2^32-1 is -EINVAL (%d)", r);

	memcpy(m, buf, len);
	lcg_put32(m + 48 + 4, 3);	/* inside the header */
	r = load_buf(dir, m, len, &lc);
	tap_ok(t, r == -EINVAL,
	       "a string offset into the header is -EINVAL (%d)", r);

	memcpy(m, buf, len);
	lcg_put32(m + 24, len);
	r = load_buf(dir, m, len, &lc);
	tap_ok(t, r == -EINVAL,
	       "a string table longer than the file is -EINVAL (%d)", r);

	memcpy(m, buf, len);
	m[len - 1] = 'x';
	r = load_buf(dir, m, len, &lc);
	tap_ok(t, r == -EINVAL, "an unterminated last string is -EINVAL (%d)",
	       r);

	memcpy(m, buf, len);
	m[28] = 3;
	r = load_buf(dir, m, len, &lc);
	tap_ok(t, r == -EINVAL, "a big-endian cache is -EINVAL (%d)", r);

	memcpy(m, buf, len);
	m[0] = 'G';
	r = load_buf(dir, m, len, &lc);
	tap_ok(t, r == -EINVAL, "a bad magic is -EINVAL (%d)", r);

	r = load_buf(dir, m, 0, &lc);
	tap_ok(t, r == -EINVAL, "an empty file is -EINVAL (%d)", r);

	free(m);
	free(buf);
	buf = lcg_build(ents, NENTS, LCG_OLD_NEW, &len);
	m = malloc(len);
	memcpy(m, buf, len);
	lcg_put32(m + 12, 0x10000000);
	r = load_buf(dir, m, len, &lc);
	tap_ok(t, r == -EINVAL, "a huge old-format count is -EINVAL (%d)", r);

	/* Fuzz: random bytes changed, never a crash; lookups still work. */
	srand(42);
	for (i = 0; i < 3000; i++) {
		size_t k, nflip = 1 + rand() % 4, n;

		memcpy(m, buf, len);
		for (k = 0; k < nflip; k++)
			m[rand() % len] = rand();
		r = load_buf(dir, m, i % 7 ? len : (size_t)rand() % len, &lc);
		if (!r) {
			ok++;
			for (k = 0; k < NENTS; k++) {
				bpsh_ldcache_lookup(lc, ents[k].key, &n);
				bpsh_ldcache_lookup_class(lc, ents[k].key,
							  ELFCLASS32, &n);
			}
			bpsh_ldcache_free(lc);
			lc = NULL;
		} else if (r != -EINVAL && !bad++) {
			badcut = r;
		}
	}
	tap_ok(t, bad == 0,
	       "3000 mutated caches: loaded or -EINVAL (%zu loaded, %zu other errors)",
	       ok, bad);
	free(m);
	free(buf);

	snprintf(file, sizeof(file), "%s/no-such-cache", dir);
	r = bpsh_ldcache_load(file, &lc);
	tap_ok(t, r == -ENOENT && !lc, "a missing cache is -ENOENT (%d)", r);
	r = bpsh_ldcache_load(dir, &lc);
	tap_ok(t, r == -EINVAL || r == -EISDIR,
	       "a directory is not a cache (%d)", r);
	tap_ok(t, !bpsh_ldcache_lookup(NULL, "libc.so.6", &len) && len == 0,
	       "lookup in no cache finds nothing");
}

int main(void)
{
	struct tap t = { 0 };
	char dir[] = "/tmp/bpsh-ldcache.XXXXXX", cmd[PATH_MAX + 16];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_real(&t);
	test_layout(&t, dir, LCG_NEW, "new format");
	test_layout(&t, dir, LCG_OLD_NEW, "old + new format");
	test_layout(&t, dir, LCG_OLD, "old format alone");
	test_corrupt(&t, dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	return tap_done(&t);
}
