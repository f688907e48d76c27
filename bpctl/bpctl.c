// SPDX-License-Identifier: GPL-2.0
/*
 * bpctl: change nodes of a bproc cluster (state, owner, group, mode,
 * program cache) through the master daemon (docs/nodes.md). Everything
 * is checked before the first request; then each node gets its change
 * as one request, all of it or nothing.
 */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bproc.h>

#include "opts.h"
#include "report.h"

static const char prog[] = "bpctl";

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: %s -S NODESPEC ACTION...\n"
		"Change nodes of the bproc cluster: every ACTION given, applied to each\n"
		"node as one change (all of it or nothing).\n"
		"\n"
		"  -S, --node NODESPEC  the nodes to change: 3  0,2,5  4-9  5-  n[0-7,10]\n"
		"                       all  allup  all<state>  allnot<state>\n"
		"  -M, --master         the master: refused, it has no state or\n"
		"                       permissions to set\n"
		"Actions:\n"
		"  -s, --state STATE    down, up, error, unavailable, reboot, halt, pwroff\n"
		"  -R, --reboot         the same as -s reboot\n"
		"  -H, --halt           the same as -s halt\n"
		"  -P, --pwroff         the same as -s pwroff (power off)\n"
		"  -m, --mode MODE      permission bits, octal 0 to 0777 (execute bits:\n"
		"                       who may run processes there)\n"
		"  -u, --user USER      owner, by name or uid\n"
		"  -g, --group GROUP    group, by name or gid\n"
		"      --cache-purge    empty the node's program cache\n"
		"Other:\n"
		"  -v, --verbose        one line per node changed\n"
		"  -h, --help           show this help and exit\n"
		"  -V, --version        show the version and exit\n"
		"\n"
		"Only root may set states, owners and purge caches; root or the node's\n"
		"owner may set the mode, and the group (the owner: a group it is in).\n"
		"Exit status: 0 every node changed; 1 a bad command line (nothing\n"
		"changed), a node refused, or /dev/bproc unreadable.\n",
		prog);
}

static void version(void)
{
	struct bproc_version v;

	printf("%s (bproc) %s\n", prog, LIBBPROC_VERSION);
	if (bproc_version(&v) == 0)
		printf("bproc module %s (ABI %u)\n", v.module, v.abi);
}

/* getpwnam() and getgrnam(), whose "not found" may come with an errno. */
static int not_found(int err)
{
	return !err || err == ENOENT || err == ESRCH || err == EBADF ||
	       err == EPERM;
}

static int lookup_user(void *arg, const char *name, unsigned int *uid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw) {
		*uid = pw->pw_uid;
		return 0;
	}
	return not_found(errno) ? -ENOENT : -errno;
}

static int lookup_group(void *arg, const char *name, unsigned int *gid)
{
	struct group *gr;

	errno = 0;
	gr = getgrnam(name);
	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	return not_found(errno) ? -ENOENT : -errno;
}

/* One node: 0, or 1 after saying why not. */
static int change(const struct bpctl_opts *o, int node)
{
	struct bproc_node_ctl ctl = o->ctl;
	const char *hint;
	char what[512];
	int err;

	ctl.node = node;
	if (bproc_nodectl(&ctl) < 0) {
		err = errno;
		hint = bpctl_hint(err, &ctl);
		fprintf(stderr, "%s: node %d: %s%s%s%s\n", prog, node,
			strerror(err), hint ? " (" : "", hint ? hint : "",
			hint ? ")" : "");
		return 1;
	}
	if (o->verbose) {
		bpctl_describe(o, what, sizeof(what));
		printf("node %d: %s\n", node, what);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct bpctl_ids ids = {
		.user = lookup_user, .group = lookup_group,
	};
	struct bproc_node_info *list = NULL;
	struct bproc_nodeset set = { 0 };
	struct bpctl_opts o;
	char err[512];
	int count, i, failed = 0;

	switch (bpctl_parse_opts(argc, argv, &ids, &o, err, sizeof(err))) {
	case BPCTL_RUN:
		break;
	case BPCTL_HELP:
		usage(stdout);
		return 0;
	case BPCTL_VERSION:
		version();
		return 0;
	case BPCTL_USAGE:
		fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n",
			prog, err, prog);
		return 1;
	case BPCTL_INVALID:
	default:
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}

	count = bproc_nodelist(&list);
	if (count < 0) {
		fprintf(stderr, "%s: %s: %s%s\n", prog, BPROC_DEVICE,
			strerror(errno),
			errno == ENOENT ? " (is the bproc module loaded?)" : "");
		return 1;
	}
	if (bpctl_select(o.spec, list, count, &set, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		free(list);
		return 1;
	}
	free(list);
	if (!set.count && o.verbose)
		fprintf(stderr, "%s: -S %s: no node selected, nothing to do\n",
			prog, o.spec);
	for (i = 0; i < set.count; i++)
		failed |= change(&o, set.nodes[i]);
	bproc_nodeset_free(&set);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "%s: writing the output: %s\n", prog,
			strerror(errno));
		return 1;
	}
	return failed;
}
