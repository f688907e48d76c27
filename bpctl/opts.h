/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpctl's command line and node selection (bpctl(1)), pure: names are
 * looked up through callbacks and the node table is passed in, so host
 * tests cover every check without /dev/bproc (tests/opts_test.c).
 */
#ifndef BPCTL_OPTS_H
#define BPCTL_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include <bproc.h>

enum bpctl_parse {
	BPCTL_RUN,		/* o is filled in: do it */
	BPCTL_HELP,		/* -h: print the usage, exit 0 */
	BPCTL_VERSION,		/* -V: print the version, exit 0 */
	BPCTL_USAGE,		/* a usage error (err says which) */
	BPCTL_INVALID,		/* a bad value: state, mode, user, group */
};

/*
 * User and group lookup: 0 and the id for a name, -ENOENT when there is
 * no such name, another -errno when the lookup itself failed.
 */
struct bpctl_ids {
	int (*user)(void *arg, const char *name, unsigned int *uid);
	int (*group)(void *arg, const char *name, unsigned int *gid);
	void *arg;
};

struct bpctl_opts {
	const char *spec;		/* -S NODESPEC */
	bool master;			/* -M */
	bool verbose;			/* -v */
	/* The change, as one request per node (ctl.node left 0). */
	struct bproc_node_ctl ctl;
	char state_opt;			/* 's', 'R', 'H' or 'P': who set it */
	const char *user;		/* -u and -g as given, for -v */
	const char *group;
};

/*
 * Parse bpctl's arguments into @o. Checks everything that needs no node
 * table: options, state, mode, user, group, that there is one -S and an
 * action. On BPCTL_USAGE and BPCTL_INVALID @err holds the message
 * (without the program name).
 */
enum bpctl_parse bpctl_parse_opts(int argc, char *const argv[],
				  const struct bpctl_ids *ids,
				  struct bpctl_opts *o, char *err,
				  size_t errlen);

/*
 * The nodes @spec selects in the table @list (bproc_nodelist()), into
 * @set (empty on entry; freed on failure). 0, or -EINVAL (a bad spec, or
 * one naming the master) / -ENOMEM with the message in @err.
 */
int bpctl_select(const char *spec, const struct bproc_node_info *list,
		 int count, struct bproc_nodeset *set, char *err,
		 size_t errlen);

/* The parse helpers, exported for the tests: 0 or -EINVAL. */
int bpctl_parse_mode(const char *s, unsigned int *mode);
int bpctl_parse_id(const char *s, unsigned int *id);

#endif /* BPCTL_OPTS_H */
