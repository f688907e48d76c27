/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of the bpstat program share: its options (bpstat.c),
 * reading and printing the node table as they ask (nodes.c) and watch
 * mode (monitor.c). Unlike view.c and watch.c these talk to the module,
 * the user database and the terminal, and print their own errors.
 */
#ifndef _BPSTAT_H
#define _BPSTAT_H

#include <stdbool.h>
#include <stdio.h>

#include <bproc.h>

/* The program name of every message. */
extern const char bpstat_prog[];

/* Views of processes rather than nodes (procs.h), beside enum bpstat_view. */
enum {
	BPSTAT_VIEW_PIDS = 100,	/* -p */
	BPSTAT_VIEW_PS,		/* -P */
};

/* Node orders: -N (the default), -S, -O; -R reverses. */
enum bpstat_sort { BPSTAT_SORT_NUMBER, BPSTAT_SORT_STATUS, BPSTAT_SORT_OWNER };

struct bpstat_opts {
	int view;		/* enum bpstat_view, or BPSTAT_VIEW_* */
	int view_opt;		/* the option letter that chose it, or 0 */
	enum bpstat_sort sort;
	bool reverse;
	bool json;
	bool watch;		/* -U */
	int exit_after;		/* --exit-after N; 0: never */
	char **specs;		/* NODESPEC arguments */
	int nspecs;
	int argc;		/* the command line, for -U's header */
	char **argv;
};

/*
 * The node table: the nodes any NODESPEC selects (every one without),
 * sorted as @o says. The count, *@list malloc'd (NULL for none); -1 after
 * printing why.
 */
int bpstat_read(const struct bpstat_opts *o, struct bproc_node_info **list);

/*
 * @count nodes of bpstat_read() in @o's node view (or JSON) to @fp, ages
 * measured to @now (CLOCK_REALTIME ns). 0 or -errno, not printed.
 */
int bpstat_print(const struct bpstat_opts *o, FILE *fp,
		 const struct bproc_node_info *list, int count,
		 unsigned long long now);

/* -U: watch the table until a signal or --exit-after. The exit status. */
int bpstat_monitor(const struct bpstat_opts *o);

#endif /* _BPSTAT_H */
