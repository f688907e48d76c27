// SPDX-License-Identifier: GPL-2.0
/* bpstat's views: see view.h. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

/* Columns of a per-node row in the text views. */
enum {
	COL_NODE	= 1 << 0,
	COL_ADDR	= 1 << 1,
	COL_STATUS	= 1 << 2,
	COL_SINCE	= 1 << 3,	/* time in the current state */
	COL_MODE	= 1 << 4,
	COL_USER	= 1 << 5,
	COL_GROUP	= 1 << 6,
	COL_FIGS	= 1 << 7,	/* cpus, load, memory, procs, cache, up, kernel */
	COL_ERROR	= 1 << 8,	/* why the node is in the error state */
};

#define NS_PER_S 1000000000ull

#define NAME_LEN 64

void bpstat_mode_string(unsigned int mode, char buf[11])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	buf[0] = '-';
	for (i = 0; i < 9; i++)
		buf[i + 1] = mode & (0400 >> i) ? rwx[i] : '-';
	buf[10] = '\0';
}

const char *bpstat_addr_string(const struct bproc_node_info *ni, char *buf,
			       size_t len)
{
	if (ni->addr_family != AF_INET && ni->addr_family != AF_INET6)
		return NULL;
	return inet_ntop(ni->addr_family, ni->addr, buf, len);
}

const char *bpstat_hwaddr_string(const struct bproc_node_info *ni, char *buf,
				 size_t len)
{
	size_t i, n = ni->hwaddr_len;

	if (n == 0 || n > sizeof(ni->hwaddr) || len < 3 * n)
		return NULL;
	/* "xx" then ":xx" per byte: 3 * n - 1 characters and the NUL. */
	for (i = 0; i < n; i++)
		snprintf(buf + (i ? 3 * i - 1 : 0), len - (i ? 3 * i - 1 : 0),
			 "%s%02x", i ? ":" : "", ni->hwaddr[i]);
	return buf;
}

static const char *state_name(unsigned int state)
{
	const char *name = bproc_nodestate_name(state);

	return name ? name : "invalid";
}

/* @bytes as "512M" or "1.9G" (binary units), into @buf. */
static void size_string(unsigned long long bytes, char *buf, size_t len)
{
	if (bytes >= 1ull << 30)
		snprintf(buf, len, "%.1fG", bytes / (double)(1ull << 30));
	else
		snprintf(buf, len, "%lluM", bytes >> 20);
}

void bpstat_duration_string(unsigned long long secs, char *buf, size_t len)
{
	if (secs < 60)
		snprintf(buf, len, "%llus", secs);
	else if (secs < 3600)
		snprintf(buf, len, "%llum%02llus", secs / 60, secs % 60);
	else if (secs < 86400)
		snprintf(buf, len, "%lluh%02llum", secs / 3600, secs / 60 % 60);
	else
		snprintf(buf, len, "%llud%02lluh", secs / 86400,
			 secs / 3600 % 24);
}

/*
 * A text cell of a string the node sent: control characters (which a
 * terminal would act on) become '?'. NULL for an empty one.
 */
static const char *node_text(const char *s, size_t max, char *buf)
{
	size_t i;

	for (i = 0; i < max - 1 && s[i]; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return i ? buf : NULL;
}

/* The age of @since (CLOCK_REALTIME ns; 0: unknown) at @now, as a cell. */
static void show_age(struct printer *p, unsigned long long since,
		     unsigned long long now)
{
	char buf[32];

	if (!since) {
		pr_string(p, PR_TEXT, NULL, NULL);
		return;
	}
	bpstat_duration_string(now > since ? (now - since) / NS_PER_S : 0,
			       buf, sizeof(buf));
	pr_string(p, PR_TEXT, NULL, buf);
}

/*
 * The live figures of the long view: "-" for what the node did not say,
 * and for every figure of a node that is down (they are from its last
 * connection).
 */
static void show_figures(struct printer *p, const struct bproc_node_info *ni,
			 unsigned long long now)
{
	char cpus[16], load[48], mem[48], used[16], total[16], procs[16];
	char kernel[BPROC_NAME_LEN];
	bool live = ni->state != BPROC_NODE_DOWN;

	if (live && ni->cpus) {
		snprintf(cpus, sizeof(cpus), "%u", ni->cpus);
		snprintf(load, sizeof(load), "%.2f,%.2f,%.2f",
			 ni->load[0] / 100.0, ni->load[1] / 100.0,
			 ni->load[2] / 100.0);
		pr_string(p, PR_TEXT, NULL, cpus);
		pr_string(p, PR_TEXT, NULL, load);
	} else {
		pr_string(p, PR_TEXT, NULL, NULL);
		pr_string(p, PR_TEXT, NULL, NULL);
	}
	if (live && ni->mem_total) {
		size_string(ni->mem_total - (ni->mem_free < ni->mem_total ?
					     ni->mem_free : ni->mem_total),
			    used, sizeof(used));
		size_string(ni->mem_total, total, sizeof(total));
		snprintf(mem, sizeof(mem), "%s/%s", used, total);
		pr_string(p, PR_TEXT, NULL, mem);
	} else {
		pr_string(p, PR_TEXT, NULL, NULL);
	}
	if (live && ni->mem_total) {	/* reported with the figures above */
		snprintf(procs, sizeof(procs), "%u", ni->nprocs);
		pr_string(p, PR_TEXT, NULL, procs);
	} else {
		pr_string(p, PR_TEXT, NULL, NULL);
	}
	if (live && ni->cache_size) {
		size_string(ni->cache_used, used, sizeof(used));
		size_string(ni->cache_size, total, sizeof(total));
		snprintf(mem, sizeof(mem), "%s/%s", used, total);
		pr_string(p, PR_TEXT, NULL, mem);
	} else {
		pr_string(p, PR_TEXT, NULL, NULL);
	}
	show_age(p, live ? ni->node_boottime : 0, now);
	pr_string(p, PR_TEXT, NULL,
		  live ? node_text(ni->kernel, sizeof(ni->kernel), kernel) :
			 NULL);
}

/* One node: the text columns in @cols, every field in JSON. */
static void show_node(struct printer *p, unsigned int cols,
		      const struct bproc_node_info *ni,
		      const struct bpstat_names *names, unsigned long long now)
{
#define T(col) ((cols & (col)) ? PR_ANY : PR_JSON)
	char addr[INET6_ADDRSTRLEN], hw[3 * BPROC_HWADDR_LEN];
	char mode[11], octal[8], user[NAME_LEN], group[NAME_LEN];
	char error[BPROC_NAME_LEN];
	int i;

	bpstat_mode_string(ni->mode, mode);
	snprintf(octal, sizeof(octal), "%04o", ni->mode & 07777);
	names->user(names->arg, ni->uid, user, sizeof(user));
	names->group(names->arg, ni->gid, group, sizeof(group));

	pr_object_open(p, PR_JSON, NULL);
	pr_int(p, T(COL_NODE), "node", ni->node);
	pr_string(p, T(COL_ADDR), "address",
		  bpstat_addr_string(ni, addr, sizeof(addr)));
	pr_string(p, T(COL_STATUS), "status", state_name(ni->state));
	if (cols & COL_SINCE)
		show_age(p, ni->state_since, now);
	pr_string(p, (cols & COL_MODE) ? PR_TEXT : 0, NULL, mode);
	pr_string(p, PR_JSON, "mode", octal);
	pr_string(p, T(COL_USER), "user", user);
	pr_string(p, T(COL_GROUP), "group", group);
	if (cols & COL_FIGS)
		show_figures(p, ni, now);
	if (cols & COL_ERROR)
		pr_string(p, PR_TEXT, NULL,
			  ni->state == BPROC_NODE_ERROR ?
			  node_text(ni->error, sizeof(ni->error), error) :
			  NULL);
	pr_uint(p, PR_JSON, "uid", ni->uid);
	pr_uint(p, PR_JSON, "gid", ni->gid);
	pr_string(p, PR_JSON, "hwaddr",
		  bpstat_hwaddr_string(ni, hw, sizeof(hw)));
	pr_uint(p, PR_JSON, "cpus", ni->cpus);
	pr_uint(p, PR_JSON, "mem_total", ni->mem_total);
	pr_uint(p, PR_JSON, "mem_free", ni->mem_free);
	pr_array_open(p, PR_JSON, "load");
	for (i = 0; i < 3; i++)
		pr_float(p, PR_JSON, NULL, ni->load[i] / 100.0);
	pr_array_close(p, PR_JSON);
	pr_uint(p, PR_JSON, "procs", ni->nprocs);
	pr_uint(p, PR_JSON, "cache_used", ni->cache_used);
	pr_uint(p, PR_JSON, "cache_size", ni->cache_size);
	pr_string(p, PR_JSON, "kernel", ni->kernel);
	pr_string(p, PR_JSON, "modver", ni->modver);
	pr_string(p, PR_JSON, "error", ni->error[0] ? ni->error : NULL);
	pr_uint(p, PR_JSON, "state_since", ni->state_since);
	pr_uint(p, PR_JSON, "boottime", ni->node_boottime);
	pr_object_close(p, PR_JSON);
	pr_end_row(p);
#undef T
}

static void show_header(struct printer *p, const char *const *titles)
{
	for (; *titles; titles++)
		pr_string(p, PR_TEXT, NULL, *titles);
	pr_end_row(p);
}

/* Nodes with the same status, mode, user and group, in node order. */
struct group {
	const struct bproc_node_info *first;
	int *nodes;
	int count;
};

static bool same_settings(const struct bproc_node_info *a,
			  const struct bproc_node_info *b)
{
	return a->state == b->state && a->mode == b->mode &&
	       a->uid == b->uid && a->gid == b->gid;
}

static int show_compact(struct printer *p, const struct bproc_node_info *nodes,
			int count, const struct bpstat_names *names)
{
	static const char *const titles[] = {
		"Node(s)", "Status", "Mode", "User", "Group", NULL,
	};
	struct group *groups;
	int ngroups = 0, i, j, len, err = 0;

	groups = calloc(count ? count : 1, sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		for (j = 0; j < ngroups; j++)
			if (same_settings(groups[j].first, &nodes[i]))
				break;
		if (j == ngroups) {
			groups[j].first = &nodes[i];
			groups[j].nodes = calloc(count - i, sizeof(int));
			if (!groups[j].nodes) {
				err = -ENOMEM;
				goto out;
			}
			ngroups++;
		}
		groups[j].nodes[groups[j].count++] = nodes[i].node;
	}

	show_header(p, titles);
	for (j = 0; j < ngroups; j++) {
		const struct bproc_node_info *ni = groups[j].first;
		char mode[11], user[NAME_LEN], group[NAME_LEN];
		char *list;

		len = bproc_nodeset_format(groups[j].nodes, groups[j].count,
					   NULL, 0);
		if (len < 0) {
			err = -errno;
			goto out;
		}
		list = malloc(len + 1);
		if (!list) {
			err = -ENOMEM;
			goto out;
		}
		bproc_nodeset_format(groups[j].nodes, groups[j].count, list,
				     len + 1);
		bpstat_mode_string(ni->mode, mode);
		names->user(names->arg, ni->uid, user, sizeof(user));
		names->group(names->arg, ni->gid, group, sizeof(group));
		pr_string(p, PR_TEXT, NULL, list);
		pr_string(p, PR_TEXT, NULL, state_name(ni->state));
		pr_string(p, PR_TEXT, NULL, mode);
		pr_string(p, PR_TEXT, NULL, user);
		pr_string(p, PR_TEXT, NULL, group);
		pr_end_row(p);
		free(list);
	}
out:
	for (j = 0; j < ngroups; j++)
		free(groups[j].nodes);
	free(groups);
	return err;
}

static void show_total(struct printer *p, const struct bproc_node_info *nodes,
		       int count)
{
	static const char *const titles[] = { "Status", "Nodes", NULL };
	int per_state[BPROC_NODE_NSTATES] = { 0 };
	int i, invalid = 0;

	for (i = 0; i < count; i++) {
		if (nodes[i].state < BPROC_NODE_NSTATES)
			per_state[nodes[i].state]++;
		else
			invalid++;
	}
	show_header(p, titles);
	pr_object_open(p, PR_JSON, NULL);
	for (i = 0; i < BPROC_NODE_NSTATES; i++) {
		enum pr_type t = per_state[i] ? PR_ANY : PR_JSON;

		pr_string(p, t & PR_TEXT, NULL, bproc_nodestate_name(i));
		pr_uint(p, t, bproc_nodestate_name(i), per_state[i]);
		pr_end_row(p);
	}
	if (invalid) {
		pr_string(p, PR_TEXT, NULL, "invalid");
		pr_uint(p, PR_ANY, "invalid", invalid);
		pr_end_row(p);
	}
	pr_string(p, PR_TEXT, NULL, "total");
	pr_uint(p, PR_ANY, "total", count);
	pr_end_row(p);
	pr_object_close(p, PR_JSON);
}

bool bpstat_view_ages(enum bpstat_view view)
{
	return view == BPSTAT_LONG;
}

int bpstat_show(struct printer *p, enum bpstat_view view,
		const struct bproc_node_info *nodes, int count,
		const struct bpstat_names *names, unsigned long long now)
{
	static const char *const long_titles[] = {
		"Node", "Address", "Status", "Since", "Mode", "User", "Group",
		"CPUs", "Load", "Memory", "Procs", "Cache", "Up", "Kernel",
		"Error", NULL,
	};
	unsigned int cols;
	int i;

	switch (view) {
	case BPSTAT_TOTAL:
		show_total(p, nodes, count);
		return 0;
	case BPSTAT_COMPACT:
		if (!pr_is_json(p))
			return show_compact(p, nodes, count, names);
		cols = 0;
		break;
	case BPSTAT_LONG:
		show_header(p, long_titles);
		cols = COL_NODE | COL_ADDR | COL_STATUS | COL_SINCE |
		       COL_MODE | COL_USER | COL_GROUP | COL_FIGS | COL_ERROR;
		break;
	case BPSTAT_ADDRESS:
		cols = COL_NODE | COL_ADDR;
		break;
	case BPSTAT_STATUS:
		cols = COL_NODE | COL_STATUS;
		break;
	case BPSTAT_NUMBER:
		cols = COL_NODE;
		break;
	default:
		return -EINVAL;
	}

	pr_array_open(p, PR_JSON, NULL);
	for (i = 0; i < count; i++)
		show_node(p, cols, &nodes[i], names, now);
	pr_array_close(p, PR_JSON);
	return 0;
}
