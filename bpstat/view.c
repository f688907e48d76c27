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
	COL_MODE	= 1 << 3,
	COL_USER	= 1 << 4,
	COL_GROUP	= 1 << 5,
	COL_FIGS	= 1 << 6,	/* cpus, load, memory, kernel */
};

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

/*
 * The live figures of the long view: "-" for what the node did not say,
 * and for every figure of a node that is down.
 */
static void show_figures(struct printer *p, const struct bproc_node_info *ni)
{
	char cpus[16], load[16], mem[48], used[16], total[16];

	if (!ni->cpus || ni->state == BPROC_NODE_DOWN) {
		/* nothing reported, or figures of a node no longer there */
		for (int i = 0; i < 4; i++)
			pr_string(p, PR_TEXT, NULL, NULL);
		return;
	}
	snprintf(cpus, sizeof(cpus), "%u", ni->cpus);
	snprintf(load, sizeof(load), "%.2f", ni->load[0] / 100.0);
	pr_string(p, PR_TEXT, NULL, cpus);
	pr_string(p, PR_TEXT, NULL, load);
	if (ni->mem_total) {
		size_string(ni->mem_total - (ni->mem_free < ni->mem_total ?
					     ni->mem_free : ni->mem_total),
			    used, sizeof(used));
		size_string(ni->mem_total, total, sizeof(total));
		snprintf(mem, sizeof(mem), "%s/%s", used, total);
		pr_string(p, PR_TEXT, NULL, mem);
	} else {
		pr_string(p, PR_TEXT, NULL, NULL);
	}
	pr_string(p, PR_TEXT, NULL, ni->kernel[0] ? ni->kernel : NULL);
}

/* One node: the text columns in @cols, every field in JSON. */
static void show_node(struct printer *p, unsigned int cols,
		      const struct bproc_node_info *ni,
		      const struct bpstat_names *names)
{
#define T(col) ((cols & (col)) ? PR_ANY : PR_JSON)
	char addr[INET6_ADDRSTRLEN], hw[3 * BPROC_HWADDR_LEN];
	char mode[11], octal[8], user[NAME_LEN], group[NAME_LEN];
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
	pr_string(p, (cols & COL_MODE) ? PR_TEXT : 0, NULL, mode);
	pr_string(p, PR_JSON, "mode", octal);
	pr_string(p, T(COL_USER), "user", user);
	pr_string(p, T(COL_GROUP), "group", group);
	if (cols & COL_FIGS)
		show_figures(p, ni);
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

int bpstat_show(struct printer *p, enum bpstat_view view,
		const struct bproc_node_info *nodes, int count,
		const struct bpstat_names *names)
{
	static const char *const long_titles[] = {
		"Node", "Address", "Status", "Mode", "User", "Group", "CPUs",
		"Load", "Memory", "Kernel", NULL,
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
		cols = COL_NODE | COL_ADDR | COL_STATUS | COL_MODE | COL_USER |
		       COL_GROUP | COL_FIGS;
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
		show_node(p, cols, &nodes[i], names);
	pr_array_close(p, PR_JSON);
	return 0;
}
