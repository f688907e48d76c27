// SPDX-License-Identifier: GPL-2.0
/*
 * bpstat: show the nodes of a bproc cluster (status, address, mode,
 * owner, group) from the module's node table.
 */

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bproc.h>

#include "print.h"
#include "procs.h"
#include "view.h"

static const char *prog = "bpstat";

/* Views of processes rather than nodes (procs.h). */
enum {
	VIEW_PIDS = 100,	/* -p */
	VIEW_PS,		/* -P */
};

/* Node orders: -N (the default), -S, -O; -R reverses. */
enum sort_key { SORT_NUMBER, SORT_STATUS, SORT_OWNER };

struct options {
	int view;		/* enum bpstat_view, or VIEW_* */
	int view_opt;		/* the option letter that chose it, or 0 */
	enum sort_key sort;
	bool reverse;
	bool json;
	char **specs;		/* NODESPEC arguments */
	int nspecs;
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: %s [OPTION] [NODESPEC...]\n"
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
static int parse_options(int argc, char **argv, struct options *o)
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
		{ "help",	no_argument, NULL, 'h' },
		{ "version",	no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const char optstr[] = "lasntpPNSORjhV";
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
			view = VIEW_PIDS;
			break;
		case 'P':
			view = VIEW_PS;
			break;
		case 'N':
			o->sort = SORT_NUMBER;
			continue;
		case 'S':
			o->sort = SORT_STATUS;
			continue;
		case 'O':
			o->sort = SORT_OWNER;
			continue;
		case 'R':
			o->reverse = true;
			continue;
		case 'j':
			o->json = true;
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
	if (o->view == VIEW_PS && o->nspecs) {
		fprintf(stderr, "%s: -P takes no NODESPEC (it reads ps output on stdin)\n",
			prog);
		return 2;
	}
	return 0;
}

static enum sort_key sort_by;
static bool sort_reverse;

static int cmp_nodes(const void *a, const void *b)
{
	const struct bproc_node_info *x = a, *y = b;
	long long d = 0;

	if (sort_by == SORT_STATUS)
		d = (long long)x->state - y->state;
	else if (sort_by == SORT_OWNER)
		d = (long long)x->uid - y->uid;
	if (!d)
		d = (long long)x->node - y->node;
	if (sort_reverse)
		d = -d;
	return (d > 0) - (d < 0);
}

/* The nodes a NODESPEC selected (select_nodes()), for -p. */
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
 * -p (on the nodes in @list, which select_nodes() made when NODESPECs
 * were given) and -P: 0, or 1 after printing why not.
 */
static int show_procs(const struct options *o, struct printer *p,
		      const struct bproc_node_info *list, int count)
{
	struct selected sel = { list, count };
	int ret;

	if (o->view == VIEW_PS) {
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

static void user_name(void *arg, unsigned int uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "%s", res->pw_name);
	else
		snprintf(buf, len, "%u", uid);
}

static void group_name(void *arg, unsigned int gid, char *buf, size_t len)
{
	struct group gr, *res = NULL;
	char tmp[1024];

	if (getgrgid_r(gid, &gr, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "%s", res->gr_name);
	else
		snprintf(buf, len, "%u", gid);
}

/*
 * Keep the nodes that any NODESPEC names (all of them without one).
 * Returns the new count, or -1 after printing why.
 */
static int select_nodes(const struct options *o, struct bproc_node_info *list,
			int count)
{
	struct bproc_nodeset set = { 0 };
	struct bproc_nodeset_error err;
	int i, n = 0;

	if (o->nspecs == 0)
		return count;
	for (i = 0; i < o->nspecs; i++) {
		if (bproc_nodeset_parse_list(o->specs[i], list, count, &set,
					     &err) < 0) {
			if (errno == EINVAL && err.msg[0])
				fprintf(stderr, "%s: bad node spec '%s': %s\n",
					prog, o->specs[i], err.msg);
			else
				fprintf(stderr, "%s: node spec '%s': %s\n",
					prog, o->specs[i], strerror(errno));
			bproc_nodeset_free(&set);
			return -1;
		}
	}
	for (i = 0; i < count; i++)
		if (bproc_nodeset_contains(&set, list[i].node))
			list[n++] = list[i];
	bproc_nodeset_free(&set);
	return n;
}

int main(int argc, char **argv)
{
	static const struct bpstat_names names = {
		.user = user_name, .group = group_name,
	};
	struct options o = { .view = BPSTAT_COMPACT };
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
	count = bproc_nodelist(&list);
	if (count < 0) {
		fprintf(stderr, "%s: reading the node table: %s\n", prog,
			strerror(errno));
		return 1;
	}
	if (o.view == VIEW_PIDS || o.view == VIEW_PS) {
		count = select_nodes(&o, list, count);
		if (count < 0) {
			free(list);
			return 1;
		}
		p = pr_new(stdout, o.json);
		if (!p) {
			fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
			free(list);
			return 1;
		}
		r = show_procs(&o, p, list, count);
		err = pr_finish(p);
		free(list);
		if (err) {
			fprintf(stderr, "%s: writing the output: %s\n", prog,
				strerror(-err));
			return 1;
		}
		return r;
	}
	count = select_nodes(&o, list, count);
	if (count < 0) {
		free(list);
		return 1;
	}
	sort_by = o.sort;
	sort_reverse = o.reverse;
	qsort(list, (size_t)count, sizeof(*list), cmp_nodes);

	p = pr_new(stdout, o.json);
	if (!p) {
		fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
		free(list);
		return 1;
	}
	err = bpstat_show(p, (enum bpstat_view)o.view, list, count, &names);
	r = pr_finish(p);
	free(list);
	if (err || r) {
		fprintf(stderr, "%s: writing the output: %s\n", prog,
			strerror(-(err ? err : r)));
		return 1;
	}
	return 0;
}
