// SPDX-License-Identifier: GPL-2.0
/* bpstat's process views: see procs.h. */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procs.h"

#define NODE_TAG	"BProcNode:"

int bpstat_status_node(const char *status)
{
	const char *p = status;
	char *end;
	long node;

	while (p && *p) {
		if (!strncmp(p, NODE_TAG, sizeof(NODE_TAG) - 1)) {
			p += sizeof(NODE_TAG) - 1;
			while (*p == ' ' || *p == '\t')
				p++;
			node = strtol(p, &end, 10);
			if (end == p || (*end && *end != '\n') || node < 0 ||
			    node > 65535)
				return -1;
			return (int)node;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

int bpstat_pid_node(pid_t pid)
{
	char path[32], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return bpstat_status_node(buf);
}

/* The start of field @idx of @s (whitespace-separated), and its length. */
static const char *field(const char *s, int idx, size_t *len)
{
	for (int i = 0;; i++) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '\n')
			return NULL;
		*len = strcspn(s, " \t\n");
		if (i == idx)
			return s;
		s += *len;
	}
}

int bpstat_ps_pid_field(const char *header)
{
	const char *f;
	size_t len;

	for (int i = 0; (f = field(header, i, &len)); i++)
		if (len == 3 && !strncmp(f, "PID", 3))
			return i;
	return -1;
}

pid_t bpstat_ps_pid(const char *line, int idx)
{
	const char *f = NULL;
	size_t len = 0;
	long v = 0;

	if (idx >= 0)
		f = field(line, idx, &len);
	if (!f || len > 9)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)f[i]))
			return -1;
		v = v * 10 + (f[i] - '0');
	}
	return v > 0 ? (pid_t)v : -1;
}

int bpstat_annotate_ps(struct printer *p, FILE *out, FILE *in,
		       bpstat_node_fn node_of)
{
	bool json = pr_is_json(p);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int idx = -1, ret = 0;

	n = getline(&line, &cap, in);
	if (n > 0)
		idx = bpstat_ps_pid_field(line);
	if (idx < 0) {
		ret = n < 0 && ferror(in) ? -EIO : -EINVAL;
		goto out;
	}
	if (json)
		pr_array_open(p, PR_JSON, NULL);
	else
		fprintf(out, "%4s %s", "NODE", line);
	while ((n = getline(&line, &cap, in)) > 0) {
		pid_t pid = bpstat_ps_pid(line, idx);
		int node = pid > 0 ? node_of(pid) : -1;

		if (json) {
			line[strcspn(line, "\n")] = '\0';
			pr_object_open(p, PR_JSON, NULL);
			if (pid > 0)
				pr_int(p, PR_JSON, "pid", pid);
			else
				pr_string(p, PR_JSON, "pid", NULL);
			if (node >= 0)
				pr_int(p, PR_JSON, "node", node);
			else
				pr_string(p, PR_JSON, "node", NULL);
			pr_string(p, PR_JSON, "line", line);
			pr_object_close(p, PR_JSON);
		} else if (node >= 0) {
			fprintf(out, "%4d %s", node, line);
		} else {
			fprintf(out, "%4s %s", "", line);
		}
		if (!json && line[n - 1] != '\n')
			fputc('\n', out);
	}
	if (ferror(in))
		ret = -EIO;
	if (json)
		pr_array_close(p, PR_JSON);
out:
	free(line);
	return ret;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int bpstat_show_pids(struct printer *p, bpstat_node_fn node_of,
		     int (*want)(void *arg, int node), void *arg)
{
	pid_t *pids = NULL, *np;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		char *end;
		long v = strtol(d->d_name, &end, 10);

		if (*end || v <= 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			np = realloc(pids, cap * sizeof(*pids));
			if (!np) {
				closedir(dir);
				free(pids);
				return -ENOMEM;
			}
			pids = np;
		}
		pids[n++] = (pid_t)v;
	}
	closedir(dir);
	qsort(pids, n, sizeof(*pids), cmp_pid);

	pr_string(p, PR_TEXT, NULL, "PID");
	pr_string(p, PR_TEXT, NULL, "Node");
	pr_end_row(p);
	pr_array_open(p, PR_JSON, NULL);
	for (size_t i = 0; i < n; i++) {
		int node = node_of(pids[i]);

		if (node < 0 || (want && !want(arg, node)))
			continue;
		pr_object_open(p, PR_JSON, NULL);
		pr_int(p, PR_ANY, "pid", pids[i]);
		pr_int(p, PR_ANY, "node", node);
		pr_object_close(p, PR_JSON);
		pr_end_row(p);
	}
	pr_array_close(p, PR_JSON);
	free(pids);
	return 0;
}
