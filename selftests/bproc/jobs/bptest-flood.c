// SPDX-License-Identifier: GPL-2.0
/*
 * bptest-flood COUNTFILE [BYTES]: write zeros to stdout, 64 KiB at a
 * time, until BYTES (default: no end) or an error; after each write the
 * total so far goes into COUNTFILE (a decimal number), so another process
 * can see how far a writer got while its reader stalls. Exit 0 at BYTES,
 * 3 on a write error (SIGPIPE kills it first unless ignored).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	static char buf[65536];
	unsigned long long total = 0, limit = ~0ULL;
	struct stat st;
	char num[32];
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: bptest-flood COUNTFILE [BYTES]\n");
		return 2;
	}
	if (argc > 2)
		limit = strtoull(argv[2], NULL, 10);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 2;
	}
	if (!S_ISREG(st.st_mode)) {	/* /dev/null: no count kept */
		close(fd);
		fd = -1;
	}
	while (total < limit) {
		size_t n = limit - total < sizeof(buf) ? limit - total : sizeof(buf);
		ssize_t w = write(1, buf, n);
		int len;

		if (w <= 0)
			return 3;
		total += (unsigned long long)w;
		if (fd < 0)
			continue;
		len = snprintf(num, sizeof(num), "%llu\n", total);
		if (pwrite(fd, num, (size_t)len, 0) != len || ftruncate(fd, len))
			return 2;
	}
	return 0;
}
