/* SPDX-License-Identifier: GPL-2.0 */
/* The words of bptest-gen (jobs/bptest-gen.c) and of its checker. */
#ifndef BPTEST_GEN_H
#define BPTEST_GEN_H

#include <stdint.h>

#define GEN_WORD_LEN	48

/* splitmix64 of (node, seq): 3 x 64 bits as 48 hex digits and a NUL. */
static inline void gen_word(unsigned int node, unsigned long seq, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t x = ((uint64_t)node << 40) ^ seq;
	int i, j;

	for (i = 0; i < 3; i++) {
		uint64_t z = (x += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		for (j = 0; j < 16; j++)
			out[i * 16 + j] = hex[(z >> (60 - 4 * j)) & 15];
	}
	out[GEN_WORD_LEN] = '\0';
}

#endif /* BPTEST_GEN_H */
