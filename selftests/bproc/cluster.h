/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kselftests that run on the master VM of the QEMU
 * harness with nodes booted (cluster_test.c, ghost_cluster_test.c,
 * bpsh_test.c): shell commands such as bproc-vmctl, the cluster config,
 * and a clock.
 */
#ifndef BPROC_SELFTEST_CLUSTER_H
#define BPROC_SELFTEST_CLUSTER_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#define CLUSTER_CONFIG	"/etc/bproc/config"

/* Seconds since some fixed point (CLOCK_MONOTONIC). */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Run a shell command; its first output line goes to @buf (may be NULL),
 * the rest is read and dropped. Returns its exit status, 128+N when killed
 * by signal N, -1 when it could not be started.
 */
static inline int __attribute__((format(printf, 3, 4)))
cluster_sh(char *buf, size_t len, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (buf) {
		buf[0] = 0;
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = 0;
	}
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* An integer setting of the cluster config ("pingtimeout 30"), or @def. */
static inline int cluster_config_int(const char *key, int def)
{
	char line[256], k[64];
	FILE *f = fopen(CLUSTER_CONFIG, "r");
	int v, ret = def;

	if (!f)
		return def;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %d", k, &v) == 2 && !strcmp(k, key))
			ret = v;
	fclose(f);
	return ret;
}

/*
 * How long a test waits for a node to be declared down: the ping timeout
 * plus one interval, with 5x slack for a loaded TCG host.
 */
static inline int cluster_down_limit(void)
{
	return 5 * (cluster_config_int("pingtimeout", 30) +
		    cluster_config_int("pinginterval", 5));
}

#endif /* BPROC_SELFTEST_CLUSTER_H */
