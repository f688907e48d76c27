// SPDX-License-Identifier: GPL-2.0
/*
 * bpstat: read the node table, keep and order the nodes the command line
 * asks for, print them in its view (view.c) with names from the user
 * database. Used once by bpstat.c and on every change by monitor.c.
 */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "bpstat.h"
#include "print.h"
#include "view.h"

static int cmp_nodes(const void *a, const void *b, void *arg)
{
	const struct bproc_node_info *x = a, *y = b;
	const struct bpstat_opts *o = arg;
	long long d = 0;

	if (o->sort == BPSTAT_SORT_STATUS)
		d = (long long)x->state - y->state;
	else if (o->sort == BPSTAT_SORT_OWNER)
		d = (long long)x->uid - y->uid;
	if (!d)
		d = (long long)x->node - y->node;
	if (o->reverse)
		d = -d;
	return (d > 0) - (d < 0);
}

/*
 * Names by id, remembered: a long view of 4,096 nodes owned by a few
 * users looks each id up once, not twice per node (each lookup reads
 * /etc/passwd or asks NSS).
 */
#define NAME_CACHE	32

struct name_cache {
	unsigned int id[NAME_CACHE];
	char name[NAME_CACHE][64];
	int n, next;
};

static const char *cached(struct name_cache *c, unsigned int id)
{
	for (int i = 0; i < c->n; i++)
		if (c->id[i] == id)
			return c->name[i];
	return NULL;
}

static void remember(struct name_cache *c, unsigned int id, const char *name)
{
	int i = c->n < NAME_CACHE ? c->n++ : c->next++ % NAME_CACHE;

	c->id[i] = id;
	snprintf(c->name[i], sizeof(c->name[i]), "%s", name);
}

/* Emptied before each view: a watch shows a renamed user at its next redraw. */
static struct name_cache users, groups;

static void user_name(void *arg, unsigned int uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	const char *hit = cached(&users, uid);
	char tmp[1024];

	if (hit) {
		snprintf(buf, len, "%s", hit);
		return;
	}
	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "%s", res->pw_name);
	else
		snprintf(buf, len, "%u", uid);
	remember(&users, uid, buf);
}

static void group_name(void *arg, unsigned int gid, char *buf, size_t len)
{
	struct group gr, *res = NULL;
	const char *hit = cached(&groups, gid);
	char tmp[1024];

	if (hit) {
		snprintf(buf, len, "%s", hit);
		return;
	}
	if (getgrgid_r(gid, &gr, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "%s", res->gr_name);
	else
		snprintf(buf, len, "%u", gid);
	remember(&groups, gid, buf);
}

/*
 * Keep the nodes that any NODESPEC names (all of them without one).
 * Returns the new count, or -1 after printing why.
 */
static int select_nodes(const struct bpstat_opts *o,
			struct bproc_node_info *list, int count)
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
					bpstat_prog, o->specs[i], err.msg);
			else
				fprintf(stderr, "%s: node spec '%s': %s\n",
					bpstat_prog, o->specs[i],
					strerror(errno));
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

int bpstat_read(const struct bpstat_opts *o, struct bproc_node_info **list)
{
	int count;

	*list = NULL;
	count = bproc_nodelist(list);
	if (count < 0) {
		fprintf(stderr, "%s: reading the node table: %s\n",
			bpstat_prog, strerror(errno));
		return -1;
	}
	count = select_nodes(o, *list, count);
	if (count < 0) {
		free(*list);
		*list = NULL;
		return -1;
	}
	if (count > 1)
		qsort_r(*list, (size_t)count, sizeof(**list), cmp_nodes,
			(void *)o);
	return count;
}

int bpstat_print(const struct bpstat_opts *o, FILE *fp,
		 const struct bproc_node_info *list, int count,
		 unsigned long long now)
{
	static const struct bpstat_names names = {
		.user = user_name, .group = group_name,
	};
	struct printer *p;
	int err, err2;

	users.n = groups.n = 0;
	p = pr_new(fp, o->json);
	if (!p)
		return -ENOMEM;
	err = bpstat_show(p, (enum bpstat_view)o->view, list, count, &names,
			  now);
	err2 = pr_finish(p);
	return err ? err : err2;
}
