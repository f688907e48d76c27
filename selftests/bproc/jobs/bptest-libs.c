// SPDX-License-Identifier: GPL-2.0
/*
 * bptest-libs: print "libs: " and what the libraries it needs say
 * ("b a c": libbpa calls libbpb), then its BPROC_RANK and BPROC_NODE.
 */
#include <stdio.h>
#include <stdlib.h>

#ifdef ONLY
const char *bp_gone(void);
#else
const char *bp_a(void);
const char *bp_c(void);
#endif

int main(void)
{
	const char *rank = getenv("BPROC_RANK"), *node = getenv("BPROC_NODE");

#ifdef ONLY
	printf("libs: %s\n", bp_gone());
#else
	printf("libs: %s %s\n", bp_a(), bp_c());
#endif
	printf("rank %s node %s\n", rank ? rank : "-", node ? node : "-");
	return 0;
}
