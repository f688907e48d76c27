/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kselftests that run on the master VM of the QEMU
 * harness with nodes booted (cluster_test.c, ghost_cluster_test.c,
 * bpsh_test.c): shell commands such as bproc-vmctl, the cluster config,
 * a clock, this machine's /proc, and shell commands with their output.
 */
#ifndef BPROC_SELFTEST_CLUSTER_H
#define BPROC_SELFTEST_CLUSTER_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
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

/* /proc/@pid/@name here into @buf, NUL-terminated: its length, or -1. */
static inline ssize_t proc_text(pid_t pid, const char *name, char *buf,
				size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The children of @ppid here, from /proc/N/stat; how many (at most @max). */
static inline int proc_children(pid_t ppid, pid_t *kids, int max)
{
	char buf[512], *p;
	struct dirent *d;
	int n = 0, pp;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9' ||
		    proc_text(atoi(d->d_name), "stat", buf, sizeof(buf)) < 0)
			continue;
		p = strrchr(buf, ')');
		if (p && sscanf(p + 2, "%*c %d", &pp) == 1 && pp == ppid &&
		    n < max)
			kids[n++] = atoi(d->d_name);
	}
	closedir(dir);
	return n;
}

/*
 * The pid a process wrote as the first line of @path (a remote shell's
 * "echo $$"), waiting up to @secs for it; 0 if none came.
 */
static inline pid_t pid_in_file(const char *path, double secs)
{
	double t0 = now();
	char line[32];
	pid_t pid = 0;
	FILE *f;

	do {
		f = fopen(path, "r");
		if (f) {
			if (fgets(line, sizeof(line), f))
				pid = (pid_t)atoi(line);
			fclose(f);
		}
		if (pid <= 0)
			usleep(100000);
	} while (pid <= 0 && now() - t0 < secs);
	return pid > 0 ? pid : 0;
}

/* A shell command's exit status and output (run() below). */
struct res {
	int status;		/* exit code, 128+N for signal N */
	char *out, *err;	/* NUL-terminated, malloc'd */
	size_t outlen;
};

static inline char *slurp(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	ssize_t k;

	lseek(fd, 0, SEEK_SET);
	while (b && (k = read(fd, b + n, cap - n)) > 0) {
		n += (size_t)k;
		if (n == cap) {
			char *nb = realloc(b, 2 * cap + 1);

			if (!nb) {
				free(b);
				return NULL;
			}
			b = nb;
			cap *= 2;
		}
	}
	if (b)
		b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

static inline void res_free(struct res *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* Run @fmt with bash -c, stdin from /dev/null unless the command says. */
static inline int __attribute__((format(printf, 2, 3)))
run(struct res *r, const char *fmt, ...)
{
	char cmd[8192];
	int out, err, st;
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	memset(r, 0, sizeof(*r));
	out = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	err = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	if (out < 0 || err < 0)
		return r->status = -1;
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		dup2(nul, 0);
		dup2(out, 1);
		dup2(err, 2);
		execl("/bin/bash", "bash", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp(out, &r->outlen);
	r->err = slurp(err, NULL);
	close(out);
	close(err);
	return r->status;
}

/* How often @what occurs in @s. */
static inline int count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* "bpsh: 1234 file bytes sent to nodes" of bpsh -v, or -1. */
static inline long long bytes_sent(const char *err)
{
	const char *p = strstr(err, " file bytes sent to nodes");

	if (!p)
		return -1;
	while (p > err && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return atoll(p);
}

#endif /* BPROC_SELFTEST_CLUSTER_H */
