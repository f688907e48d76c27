// SPDX-License-Identifier: GPL-2.0
/*
 * bench/flood.sh's flooder: N kill(PID, SIG) calls as fast as it can, then
 * "sent N failed F errno E seconds S" on stdout.
 *
 *   kill-flood PID SIG N
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long n, i, failed = 0;
	int pid, sig, err = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: kill-flood PID SIG N\n");
		return 1;
	}
	pid = atoi(argv[1]);
	sig = atoi(argv[2]);
	n = atol(argv[3]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		if (kill(pid, sig) && !failed++)
			err = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("sent %ld failed %ld errno %d seconds %.3f\n", n, failed, err,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
