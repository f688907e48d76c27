/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ld.so.cache files for the host tests (test_ldcache.c, test_closure.c):
 * glibc's new format alone, after the old format's header and entries, or
 * the old format alone, with the entries in the order given.
 */
#ifndef BPSH_TEST_LDCACHE_GEN_H
#define BPSH_TEST_LDCACHE_GEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lcg_ent {
	int32_t flags;		/* 0x0303 x86_64, 0x0003 i386 */
	const char *key, *val;
};

enum lcg_layout { LCG_NEW, LCG_OLD_NEW, LCG_OLD };

static inline void lcg_put32(char *p, uint32_t v)
{
	memcpy(p, &v, 4);	/* the hosts are little-endian */
}

/* The cache's bytes (malloc()ed, *@len of them), NULL on ENOMEM. */
static inline char *lcg_build(const struct lcg_ent *e, size_t n,
			      enum lcg_layout layout, size_t *len)
{
	size_t strl = 0, i, pos, oldsz = 0, newoff = 0, newsz, total;
	char *b, *nw, *st;

	for (i = 0; i < n; i++)
		strl += strlen(e[i].key) + 1 + strlen(e[i].val) + 1;
	if (layout != LCG_NEW) {
		oldsz = 16 + n * 12;
		newoff = (oldsz + 7) & ~(size_t)7;
	}
	newsz = layout == LCG_OLD ? 0 : 48 + n * 24;
	total = (layout == LCG_OLD ? oldsz : newoff + newsz) + strl;
	b = calloc(1, total ? total : 1);
	if (!b)
		return NULL;
	if (layout != LCG_NEW) {
		memcpy(b, "ld.so-1.7.0", 11);
		lcg_put32(b + 12, n);
	}
	nw = b + newoff;
	if (layout != LCG_OLD) {
		memcpy(nw, "glibc-ld.so.cache1.1", 20);
		lcg_put32(nw + 20, n);
		lcg_put32(nw + 24, strl);
		nw[28] = 2;	/* little-endian */
	}
	st = layout == LCG_OLD ? b + oldsz : nw + newsz;
	for (i = 0, pos = 0; i < n; i++) {
		size_t kl = strlen(e[i].key) + 1, vl = strlen(e[i].val) + 1;
		size_t ko = st - b + pos, vo = ko + kl;

		memcpy(st + pos, e[i].key, kl);
		memcpy(st + pos + kl, e[i].val, vl);
		if (layout != LCG_OLD) {
			char *ne = nw + 48 + i * 24;

			lcg_put32(ne, e[i].flags);
			lcg_put32(ne + 4, ko - newoff);
			lcg_put32(ne + 8, vo - newoff);
		}
		if (layout != LCG_NEW) {
			char *oe = b + 16 + i * 12;

			lcg_put32(oe, e[i].flags);
			lcg_put32(oe + 4, ko - oldsz);
			lcg_put32(oe + 8, vo - oldsz);
		}
		pos += kl + vl;
	}
	*len = total;
	return b;
}

static inline int lcg_write(const char *file, const char *buf, size_t len)
{
	FILE *f = fopen(file, "wb");
	int r;

	if (!f)
		return -1;
	r = fwrite(buf, 1, len, f) == len ? 0 : -1;
	if (fclose(f))
		r = -1;
	return r;
}

#endif /* BPSH_TEST_LDCACHE_GEN_H */
