// SPDX-License-Identifier: GPL-2.0
/*
 * bptest-ids: node test helper. Writes who and where the process is
 * (pid, ppid, uids, gids, groups, cwd, the node bproc says it is on, chosen
 * environment variables) to a
 * file and checks them against expectations given on the command line;
 * the exit status says which one failed, so a test on the master can
 * check a process it started on a node without reading the node's files.
 */
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <linux/bproc.h>
#include <limits.h>
#include <stdbool.h>

#include "bptest.h"

#define MAX_EXPECT	100
#define EXIT_MISMATCH	3	/* + index of the first failed --expect */

static const char *prog = "bptest-ids";

struct ids {
	pid_t pid, ppid;
	uid_t uid, euid, suid;
	gid_t gid, egid, sgid;
	gid_t groups[NGROUPS_MAX];
	int ngroups;
	char cwd[PATH_MAX];
	int node;		/* BPROC_IOC_CURRNODE; -4: cannot tell */
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [--expect KEY=VALUE]... FILE [NAME]...\n"
"Write this process's identity to FILE ('-': standard output):\n"
"  pid N, ppid N, uid REAL EFFECTIVE SAVED, gid REAL EFFECTIVE SAVED,\n"
"  groups G..., cwd PATH, node N (bproc's current node: -1 the master),\n"
"  and 'env NAME=VALUE' or 'unset NAME' for each NAME; then check each\n"
"  --expect:\n"
"  pid=N ppid=N uid=N euid=N gid=N egid=N node=N\n"
"  groups=G,G,...   the supplementary groups, as a set ('' for none)\n"
"  cwd=PATH         env:NAME=VALUE   unset=NAME\n"
"Exit status: 0 every expectation holds; %d+i the i-th --expect (from 0)\n"
"failed (details on stderr and /dev/kmsg); 1 error; 2 usage.\n",
		prog, EXIT_MISMATCH);
}

/* What the module says (BPROC_IOC_CURRNODE), or -4 when it cannot. */
static int current_node(void)
{
	int fd = open("/dev/bproc", O_RDONLY | O_CLOEXEC);
	__s32 node = -4;

	if (fd >= 0) {
		if (ioctl(fd, BPROC_IOC_CURRNODE, &node) < 0)
			node = -4;
		close(fd);
	}
	return node;
}

static int get_ids(struct ids *ids)
{
	ids->pid = getpid();
	ids->ppid = getppid();
	if (getresuid(&ids->uid, &ids->euid, &ids->suid) ||
	    getresgid(&ids->gid, &ids->egid, &ids->sgid))
		return -errno;
	ids->ngroups = getgroups(NGROUPS_MAX, ids->groups);
	if (ids->ngroups < 0)
		return -errno;
	if (!getcwd(ids->cwd, sizeof(ids->cwd)))
		return -errno;
	ids->node = current_node();
	return 0;
}

static int write_ids(const char *file, const struct ids *ids,
		     char *const names[], int nnames)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "w") : stdout;
	const char *v;
	int i;

	if (!f)
		return -errno;
	fprintf(f, "pid %d\nppid %d\n", (int)ids->pid, (int)ids->ppid);
	fprintf(f, "uid %u %u %u\n", ids->uid, ids->euid, ids->suid);
	fprintf(f, "gid %u %u %u\ngroups", ids->gid, ids->egid, ids->sgid);
	for (i = 0; i < ids->ngroups; i++)
		fprintf(f, " %u", ids->groups[i]);
	fprintf(f, "\ncwd %s\nnode %d\n", ids->cwd, ids->node);
	for (i = 0; i < nnames; i++) {
		v = getenv(names[i]);
		if (v)
			fprintf(f, "env %s=%s\n", names[i], v);
		else
			fprintf(f, "unset %s\n", names[i]);
	}
	if (f == stdout ? fflush(f) : fclose(f))
		return -errno;
	return 0;
}

/* The groups in @want (comma-separated) are exactly the process's. */
static bool groups_match(const struct ids *ids, const char *want)
{
	bool seen[NGROUPS_MAX] = { false };
	char *copy = strdup(want), *tok, *save = NULL;
	bool match = copy != NULL, found;
	long g;
	int i;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && match;
	     tok = strtok_r(NULL, ",", &save)) {
		if (bpt_parse_long(tok, 0, UINT_MAX - 1, &g)) {
			match = false;
			break;
		}
		found = false;
		for (i = 0; i < ids->ngroups; i++)
			if (ids->groups[i] == (gid_t)g)
				seen[i] = found = true;
		if (!found)
			match = false;	/* wanted, not there */
	}
	for (i = 0; match && i < ids->ngroups; i++)
		if (!seen[i])
			match = false;	/* there, not wanted */
	free(copy);
	return match;
}

static bool num_is(const char *val, long have)
{
	long v;

	return !bpt_parse_long(val, LONG_MIN, LONG_MAX, &v) && v == have;
}

/* 1: holds, 0: does not, -EINVAL: not an expectation we know. */
static int check(const struct ids *ids, const char *exp)
{
	const char *eq = strchr(exp, '='), *val, *env;
	size_t klen;

	if (!eq)
		return -EINVAL;
	klen = eq - exp;
	val = eq + 1;
#define KEY(k) (klen == strlen(k) && !strncmp(exp, k, klen))
	if (KEY("pid"))
		return num_is(val, ids->pid);
	if (KEY("ppid"))
		return num_is(val, ids->ppid);
	if (KEY("uid"))
		return num_is(val, ids->uid);
	if (KEY("euid"))
		return num_is(val, ids->euid);
	if (KEY("gid"))
		return num_is(val, ids->gid);
	if (KEY("egid"))
		return num_is(val, ids->egid);
	if (KEY("groups"))
		return groups_match(ids, val);
	if (KEY("node"))
		return num_is(val, ids->node);
	if (KEY("cwd"))
		return !strcmp(val, ids->cwd);
	if (KEY("unset"))
		return *val && !getenv(val);
#undef KEY
	if (!strncmp(exp, "env:", 4) && klen > 4) {
		char name[256];

		if (klen - 4 >= sizeof(name))
			return -EINVAL;
		memcpy(name, exp + 4, klen - 4);
		name[klen - 4] = 0;
		env = getenv(name);
		return env && !strcmp(env, val);
	}
	return -EINVAL;
}

static void log_ids(const struct ids *ids)
{
	char groups[256] = "";
	size_t n = 0;
	int i;

	for (i = 0; i < ids->ngroups && n < sizeof(groups) - 12; i++)
		n += snprintf(groups + n, sizeof(groups) - n, "%s%u",
			      i ? "," : "", ids->groups[i]);
	bpt_log(prog, "have pid=%d ppid=%d uid=%u euid=%u gid=%u egid=%u groups=%s cwd=%s node=%d",
		(int)ids->pid, (int)ids->ppid, ids->uid, ids->euid, ids->gid,
		ids->egid, groups, ids->cwd, ids->node);
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "expect", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *expect[MAX_EXPECT];
	struct ids ids;
	int c, n = 0, i, r;

	while ((c = getopt_long(argc, argv, "+e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (n == MAX_EXPECT) {
				fprintf(stderr, "%s: more than %d --expect\n",
					prog, MAX_EXPECT);
				return BPT_EXIT_USAGE;
			}
			expect[n++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return BPT_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no output FILE\n", prog);
		usage(stderr);
		return BPT_EXIT_USAGE;
	}
	r = get_ids(&ids);
	if (r) {
		bpt_log(prog, "reading ids: %s", strerror(-r));
		return BPT_EXIT_ERROR;
	}
	/* Bad expectations are usage errors, found before anything else. */
	for (i = 0; i < n; i++) {
		if (check(&ids, expect[i]) < 0) {
			fprintf(stderr, "%s: '%s': not KEY=VALUE with a known KEY\n",
				prog, expect[i]);
			return BPT_EXIT_USAGE;
		}
	}
	r = write_ids(argv[optind], &ids, argv + optind + 1,
		      argc - optind - 1);
	if (r) {
		bpt_log(prog, "%s: %s", argv[optind], strerror(-r));
		return BPT_EXIT_ERROR;
	}
	for (i = 0; i < n; i++) {
		if (!check(&ids, expect[i])) {
			bpt_log(prog, "expected %s: does not hold", expect[i]);
			log_ids(&ids);
			return EXIT_MISMATCH + i;
		}
	}
	return 0;
}
