// SPDX-License-Identifier: GPL-2.0
/*
 * bpstat: show the nodes of a bproc cluster (status, address, mode,
 * owner, group, the figures they report) from the module's node table,
 * once or, with -U, on every change (monitor.c). This file is the
 * command line and the process views; nodes.c reads and prints the
 * table.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bproc.h>

#include "bp_time.h"
#include "bpstat.h"
#include "print.h"
#include "procs.h"
#include "view.h"
#include "watch.h"

const char bpstat_prog[] = "bpstat";
static const char *prog = bpstat_prog;

/* Long options without a letter. */
enum { OPT_EXIT_AFTER = 256 };

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: %s [OPTION]... [NODESPEC...]\n"
		"Show the nodes of the bproc cluster.\n"
		"\n"
		"  (default)        nodes with the same status, mode, user and group\n"
		"                   on one line: Node(s) Status Mode User Group\n"
		"  -l, --long       one line per node, with its address\n"
		"  -a, --address    node number and address\n"
		"  -s, --status     node number and status\n"
		"  -n, --number     node numbers only\n"
		"  -t, --total      number of nodes in each state\n"
		"  -p, --pids       PID and node of every remote process (on NODESPEC)\n"
		"  -P, --ps         read ps output on stdin, print it with a NODE column\n"
		"  -N, -S, -O       sort nodes by number (default), status, owner\n"
		"  -R, --reverse    reverse the order\n"
		"  -j, --json       JSON: every field of every node (with -t: the totals)\n"
		"  -U, --update     watch: redraw the view whenever the table changes\n"
		"                   (on a pipe: one block, or JSON line, per change)\n"
		"      --exit-after N  with -U: exit after N views (the first included)\n"
		"  -h, --help       show this help and exit\n"
		"  -V, --version    show the version and exit\n"
		"\n"
		"NODESPEC selects nodes: 3  0,2,5  4-9  5-  n5  n[0-7,10]  all  allup\n"
		"  all<state>  allnot<state>  all!<state>\n"
		"States: down boot up error unavailable reboot halt pwroff\n",
		prog);
}

static void version(void)
{
	struct bproc_version v;

	printf("%s (bproc) %s\n", prog, LIBBPROC_VERSION);
	if (bproc_version(&v) == 0)
		printf("bproc module %s (ABI %u)\n", v.module, v.abi);
}

/* 0 to go on, 1 or 2 to exit with status 0 or 1. */
static int parse_options(int argc, char **argv, struct bpstat_opts *o)
{
	static const struct option longopts[] = {
		{ "long",	no_argument, NULL, 'l' },
		{ "address",	no_argument, NULL, 'a' },
		{ "status",	no_argument, NULL, 's' },
		{ "number",	no_argument, NULL, 'n' },
		{ "total",	no_argument, NULL, 't' },
		{ "pids",	no_argument, NULL, 'p' },
		{ "ps",		no_argument, NULL, 'P' },
		{ "reverse",	no_argument, NULL, 'R' },
		{ "json",	no_argument, NULL, 'j' },
		{ "update",	no_argument, NULL, 'U' },
		{ "exit-after",	required_argument, NULL, OPT_EXIT_AFTER },
		{ "help",	no_argument, NULL, 'h' },
		{ "version",	no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const char optstr[] = "lasntpPNSORjUhV";
	int view;
	int c;

	while ((c = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			view = BPSTAT_LONG;
			break;
		case 'a':
			view = BPSTAT_ADDRESS;
			break;
		case 's':
			view = BPSTAT_STATUS;
			break;
		case 'n':
			view = BPSTAT_NUMBER;
			break;
		case 't':
			view = BPSTAT_TOTAL;
			break;
		case 'p':
			view = BPSTAT_VIEW_PIDS;
			break;
		case 'P':
			view = BPSTAT_VIEW_PS;
			break;
		case 'N':
			o->sort = BPSTAT_SORT_NUMBER;
			continue;
		case 'S':
			o->sort = BPSTAT_SORT_STATUS;
			continue;
		case 'O':
			o->sort = BPSTAT_SORT_OWNER;
			continue;
		case 'R':
			o->reverse = true;
			continue;
		case 'j':
			o->json = true;
			continue;
		case 'U':
			o->watch = true;
			continue;
		case OPT_EXIT_AFTER:
			o->exit_after = bpstat_watch_parse_count(optarg);
			if (o->exit_after < 0) {
				fprintf(stderr, "%s: --exit-after '%s': not a count from 1 to %d\n",
					prog, optarg, INT_MAX);
				return 2;
			}
			continue;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			version();
			return 1;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n",
				prog);
			return 2;
		}
		if (o->view_opt && o->view != view) {
			fprintf(stderr, "%s: -%c and -%c cannot be combined\n",
				prog, o->view_opt, c);
			return 2;
		}
		o->view = view;
		o->view_opt = c;
	}
	o->specs = argv + optind;
	o->nspecs = argc - optind;
	o->argc = argc;
	o->argv = argv;
	if (o->view == BPSTAT_VIEW_PS && o->nspecs) {
		fprintf(stderr, "%s: -P takes no NODESPEC (it reads ps output on stdin)\n",
			prog);
		return 2;
	}
	if (o->watch && (o->view == BPSTAT_VIEW_PIDS ||
			 o->view == BPSTAT_VIEW_PS)) {
		fprintf(stderr, "%s: -U and -%c cannot be combined (-U watches the node table, not processes)\n",
			prog, o->view_opt);
		return 2;
	}
	if (o->exit_after && !o->watch) {
		fprintf(stderr, "%s: --exit-after needs -U\n", prog);
		return 2;
	}
	return 0;
}

/* The nodes a NODESPEC selected (bpstat_read()), for -p. */
struct selected {
	const struct bproc_node_info *list;
	int count;
};

static int node_wanted(void *arg, int node)
{
	const struct selected *sel = arg;

	for (int i = 0; i < sel->count; i++)
		if (sel->list[i].node == node)
			return 1;
	return 0;
}

/*
 * -p (on the nodes in @list, which bpstat_read() made when NODESPECs
 * were given) and -P: 0, or 1 after printing why not.
 */
static int show_procs(const struct bpstat_opts *o, struct printer *p,
		      const struct bproc_node_info *list, int count)
{
	struct selected sel = { list, count };
	int ret;

	if (o->view == BPSTAT_VIEW_PS) {
		ret = bpstat_annotate_ps(p, stdout, stdin, bpstat_pid_node);
		if (ret == -EINVAL)
			fprintf(stderr, "%s: -P: standard input is not ps output (no PID column in its first line)\n",
				prog);
		else if (ret)
			fprintf(stderr, "%s: -P: reading standard input: %s\n", prog,
				strerror(-ret));
		return ret ? 1 : 0;
	}
	ret = bpstat_show_pids(p, bpstat_pid_node,
			       o->nspecs ? node_wanted : NULL, &sel);
	if (ret) {
		fprintf(stderr, "%s: -p: /proc: %s\n", prog, strerror(-ret));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bpstat_opts o = { .view = BPSTAT_COMPACT };
	struct bproc_node_info *list = NULL;
	struct bproc_version v;
	struct printer *p;
	int r, count, err;

	r = parse_options(argc, argv, &o);
	if (r)
		return r - 1;

	if (bproc_version(&v) < 0) {
		fprintf(stderr, "%s: %s: %s%s\n", prog, BPROC_DEVICE,
			strerror(errno),
			errno == ENOENT ? " (is the bproc module loaded?)" : "");
		return 1;
	}
	if (o.watch)
		return bpstat_monitor(&o);
	count = bpstat_read(&o, &list);
	if (count < 0)
		return 1;
	if (o.view == BPSTAT_VIEW_PIDS || o.view == BPSTAT_VIEW_PS) {
		p = pr_new(stdout, o.json);
		if (!p) {
			fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
			free(list);
			return 1;
		}
		r = show_procs(&o, p, list, count);
		err = pr_finish(p);
	} else {
		r = 0;
		err = bpstat_print(&o, stdout, list, count, bp_now_real_ns());
	}
	free(list);
	if (err) {
		fprintf(stderr, "%s: writing the output: %s\n", prog,
			strerror(-err));
		return 1;
	}
	return r;
}
