// SPDX-License-Identifier: GPL-2.0
/*
 * bptest-gen LINES: write LINES lines "NODE SEQ WORD" to stdout, where
 * NODE is the node the module says this process runs on
 * (BPROC_IOC_CURRNODE), SEQ counts from 0 and WORD is 48 hex digits that
 * depend only on NODE and SEQ (gen_word() below; the kselftest computes
 * the same). Then exit 0, or 2 when BPROC_NODE disagrees with the module.
 * Its output checks, by content, that every byte of every node arrives,
 * in order, attributed to the right node.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/bproc.h>

#include "bptest-gen.h"

int main(int argc, char **argv)
{
	const char *env = getenv("BPROC_NODE");
	unsigned long lines, i;
	__s32 node = -99;
	char word[GEN_WORD_LEN + 1];
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: bptest-gen LINES\n");
		return 2;
	}
	lines = strtoul(argv[1], NULL, 10);
	fd = open("/dev/bproc", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, BPROC_IOC_CURRNODE, &node) < 0) {
		perror("bptest-gen: /dev/bproc");
		return 2;
	}
	close(fd);
	if (!env || atoi(env) != node) {
		fprintf(stderr, "bptest-gen: BPROC_NODE=%s but the module says node %d\n",
			env ? env : "(unset)", node);
		return 2;
	}
	for (i = 0; i < lines; i++) {
		gen_word((unsigned int)node, i, word);
		if (printf("%d %lu %s\n", node, i, word) < 0)
			return 3;
	}
	return fflush(stdout) ? 3 : 0;
}
