/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpstat's views of a node list. Pure: the nodes and the user/group
 * names come from the caller, output goes to a printer (print.h).
 */
#ifndef _BPSTAT_VIEW_H
#define _BPSTAT_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <bproc.h>

#include "print.h"

enum bpstat_view {
	BPSTAT_COMPACT,		/* default: identical nodes merged */
	BPSTAT_LONG,		/* -l: one line per node, with address */
	BPSTAT_ADDRESS,		/* -a: node and address */
	BPSTAT_STATUS,		/* -s: node and status */
	BPSTAT_NUMBER,		/* -n: node numbers */
	BPSTAT_TOTAL,		/* -t: nodes per state */
};

/* User and group names: write one into @buf (falling back to the number). */
struct bpstat_names {
	void (*user)(void *arg, unsigned int uid, char *buf, size_t len);
	void (*group)(void *arg, unsigned int gid, char *buf, size_t len);
	void *arg;
};

/*
 * Print @count nodes in @view. In JSON every view but BPSTAT_TOTAL is an
 * array with one object per node carrying every field. Ages (how long a
 * node has been up, or in its state) are measured to @now (CLOCK_REALTIME
 * ns). 0 or -errno.
 */
int bpstat_show(struct printer *p, enum bpstat_view view,
		const struct bproc_node_info *nodes, int count,
		const struct bpstat_names *names, unsigned long long now);

/*
 * Whether @view's text shows ages, which change with the clock alone
 * (watch mode redraws those once a second). JSON has only absolute times.
 */
bool bpstat_view_ages(enum bpstat_view view);

/* @secs as "45s", "5m07s", "3h05m" or "2d04h" (two units at most). */
void bpstat_duration_string(unsigned long long secs, char *buf, size_t len);

/* "---x--x--x": the low nine bits of @mode as ls -l shows them. */
void bpstat_mode_string(unsigned int mode, char buf[11]);

/* The node's address as text, or NULL when it has none. */
const char *bpstat_addr_string(const struct bproc_node_info *ni, char *buf,
			       size_t len);

/* "52:54:00:12:34:56", or NULL when the node has no hardware address. */
const char *bpstat_hwaddr_string(const struct bproc_node_info *ni, char *buf,
				 size_t len);

#endif /* _BPSTAT_VIEW_H */
