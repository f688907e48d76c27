// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of bpctl's command line and node selection (opts.c),
 * TAP: every option, their combinations, and every check that must stop
 * bpctl before it sends anything.
 */
#include <errno.h>
#include <string.h>

#include "opts.h"
#include "bproc-test/tap.h"

#define ARGV(...)	((char *[]){ "bpctl", __VA_ARGS__, NULL })

/* Made-up users and groups; "1234" is a user whose name is a number. */
static int fake_user(void *arg, const char *name, unsigned int *uid)
{
	if (!strcmp(name, "root"))
		*uid = 0;
	else if (!strcmp(name, "alice"))
		*uid = 1000;
	else if (!strcmp(name, "1234"))
		*uid = 5555;
	else if (!strcmp(name, "broken"))
		return -EIO;
	else
		return -ENOENT;
	return 0;
}

static int fake_group(void *arg, const char *name, unsigned int *gid)
{
	if (!strcmp(name, "root"))
		*gid = 0;
	else if (!strcmp(name, "users"))
		*gid = 100;
	else if (!strcmp(name, "wheel"))
		*gid = 10;
	else if (!strcmp(name, "broken"))
		return -EIO;
	else
		return -ENOENT;
	return 0;
}

static const struct bpctl_ids ids = {
	.user = fake_user, .group = fake_group,
};

struct run {
	struct bpctl_opts o;
	char err[256];
};

static enum bpctl_parse parse(char **argv, struct run *r)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return bpctl_parse_opts(argc, argv, &ids, &r->o, r->err,
				sizeof(r->err));
}

/* Only @what was asked for, and nothing else is set. */
static bool only(const struct bpctl_opts *o, __u32 what)
{
	return o->ctl.what == what && o->ctl.size == sizeof(o->ctl) &&
	       o->ctl.node == 0 && o->ctl.__pad == 0 &&
	       ((what & BPROC_CTL_STATE) || o->ctl.state == 0) &&
	       ((what & BPROC_CTL_MODE) || o->ctl.mode == 0) &&
	       ((what & BPROC_CTL_UID) || o->ctl.uid == 0) &&
	       ((what & BPROC_CTL_GID) || o->ctl.gid == 0);
}

static void test_states(struct tap *t)
{
	static const struct { const char *name; int state; } states[] = {
		{ "down", BPROC_NODE_DOWN },
		{ "up", BPROC_NODE_UP },
		{ "error", BPROC_NODE_ERROR },
		{ "unavailable", BPROC_NODE_UNAVAILABLE },
		{ "reboot", BPROC_NODE_REBOOT },
		{ "halt", BPROC_NODE_HALT },
		{ "pwroff", BPROC_NODE_PWROFF },
	};
	static const struct { const char *opt; int state; char c; } flags[] = {
		{ "-R", BPROC_NODE_REBOOT, 'R' },
		{ "--reboot", BPROC_NODE_REBOOT, 'R' },
		{ "-H", BPROC_NODE_HALT, 'H' },
		{ "--halt", BPROC_NODE_HALT, 'H' },
		{ "-P", BPROC_NODE_PWROFF, 'P' },
		{ "--pwroff", BPROC_NODE_PWROFF, 'P' },
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		char *name = (char *)states[i].name;

		tap_ok(t, parse(ARGV("-S", "3", "-s", name), &r) == BPCTL_RUN &&
		       only(&r.o, BPROC_CTL_STATE) &&
		       r.o.ctl.state == (__u32)states[i].state &&
		       r.o.state_opt == 's' && !strcmp(r.o.spec, "3"),
		       "-s %s", name);
		tap_ok(t, parse(ARGV("--node", "3", "--state", name), &r) == BPCTL_RUN &&
		       only(&r.o, BPROC_CTL_STATE) &&
		       r.o.ctl.state == (__u32)states[i].state,
		       "--state %s", name);
	}
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		tap_ok(t, parse(ARGV("-S", "0", (char *)flags[i].opt), &r) == BPCTL_RUN &&
		       only(&r.o, BPROC_CTL_STATE) &&
		       r.o.ctl.state == (__u32)flags[i].state &&
		       r.o.state_opt == flags[i].c, "%s", flags[i].opt);

	tap_ok(t, parse(ARGV("-S", "0", "-s", "boot"), &r) == BPCTL_INVALID &&
	       strstr(r.err, "boot is set by the master while node_up runs"),
	       "-s boot refused: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-s", "bogus"), &r) == BPCTL_INVALID &&
	       !strcmp(r.err, "unknown state 'bogus' (states: down, up, error, "
			      "unavailable, reboot, halt, pwroff)"),
	       "unknown state: the valid ones listed, boot not among them: %s",
	       r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-s", "UP"), &r) == BPCTL_INVALID &&
	       strstr(r.err, "'UP'"), "states are lower case: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-s", "2"), &r) == BPCTL_INVALID,
	       "a state number is not a state name");
	tap_ok(t, parse(ARGV("-S", "0", "-s", ""), &r) == BPCTL_INVALID &&
	       strstr(r.err, "unknown state ''"), "-s '': %s", r.err);

	/* At most one state change per run, whatever the spelling. */
	tap_ok(t, parse(ARGV("-S", "0", "-R", "-H"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "-R and -H cannot be combined"), "-R -H: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-s", "up", "-P"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "-s and -P"), "-s up -P: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-s", "up", "-s", "down"), &r) == BPCTL_USAGE,
	       "-s up -s down");
	tap_ok(t, parse(ARGV("-S", "0", "-R", "--state", "reboot"), &r) == BPCTL_USAGE,
	       "-R --state reboot: the same change twice is still two");
	tap_ok(t, parse(ARGV("-S", "0", "--halt", "--halt"), &r) == BPCTL_USAGE,
	       "--halt --halt");
	tap_ok(t, parse(ARGV("-S", "0", "-RP"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "-R and -P"), "-RP bundled: %s", r.err);
}

static void test_mode(struct tap *t)
{
	static const struct { const char *s; unsigned int mode; } good[] = {
		{ "0111", 0111 }, { "755", 0755 }, { "0", 0 }, { "777", 0777 },
		{ "0777", 0777 }, { "00777", 0777 }, { "1", 01 },
		{ "0000000000000000000000100", 0100 },
	};
	static const char *const bad[] = {
		"0800", "8", "9", "-1", "0x1ff", "", "01000", "1000", "7777",
		"0o7", " 7", "7 ", "+7", "u+x", "0111x", "77777777777777777777777",
	};
	unsigned int m;
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		tap_ok(t, parse(ARGV("-S", "0", "-m", (char *)good[i].s), &r) == BPCTL_RUN &&
		       only(&r.o, BPROC_CTL_MODE) && r.o.ctl.mode == good[i].mode,
		       "-m %s is %04o", good[i].s, good[i].mode);
	tap_ok(t, parse(ARGV("-S", "0", "--mode", "0110"), &r) == BPCTL_RUN &&
	       r.o.ctl.mode == 0110, "--mode 0110");
	tap_ok(t, parse(ARGV("-S", "0", "--mode=0101"), &r) == BPCTL_RUN &&
	       r.o.ctl.mode == 0101, "--mode=0101");
	tap_ok(t, parse(ARGV("-S0", "-m0100"), &r) == BPCTL_RUN &&
	       r.o.ctl.mode == 0100 && !strcmp(r.o.spec, "0"), "-S0 -m0100");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "bad mode '%s'", bad[i]);
		tap_ok(t, parse(ARGV("-S", "0", "-m", (char *)bad[i]), &r) == BPCTL_INVALID &&
		       strstr(r.err, want) && strstr(r.err, "0777"),
		       "-m '%s' refused: %s", bad[i], r.err);
	}
	tap_ok(t, parse(ARGV("-S", "0", "-m", "0111", "-m", "0111"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "-m given twice"), "-m twice: %s", r.err);
	m = 12345;
	tap_ok(t, bpctl_parse_mode("0800", &m) == -EINVAL && m == 12345,
	       "bpctl_parse_mode leaves the result alone on failure");
}

static void test_owner(struct tap *t)
{
	unsigned int id;
	struct run r;

	tap_ok(t, parse(ARGV("-S", "0", "-u", "alice"), &r) == BPCTL_RUN &&
	       only(&r.o, BPROC_CTL_UID) && r.o.ctl.uid == 1000 &&
	       !strcmp(r.o.user, "alice"), "-u alice: by name");
	tap_ok(t, parse(ARGV("-S", "0", "--user", "root"), &r) == BPCTL_RUN &&
	       only(&r.o, BPROC_CTL_UID) && r.o.ctl.uid == 0, "--user root is 0");
	tap_ok(t, parse(ARGV("-S", "0", "-u", "4242"), &r) == BPCTL_RUN &&
	       r.o.ctl.uid == 4242, "-u 4242: a uid without a name");
	tap_ok(t, parse(ARGV("-S", "0", "-u", "0"), &r) == BPCTL_RUN &&
	       only(&r.o, BPROC_CTL_UID) && r.o.ctl.uid == 0, "-u 0");
	tap_ok(t, parse(ARGV("-S", "0", "-u", "1234"), &r) == BPCTL_RUN &&
	       r.o.ctl.uid == 5555, "a name that looks like a number wins, as in chown");
	tap_ok(t, parse(ARGV("-S", "0", "-u", "4294967294"), &r) == BPCTL_RUN &&
	       r.o.ctl.uid == 4294967294U, "-u 4294967294: the largest uid");
	tap_ok(t, parse(ARGV("-S", "0", "-u", "4294967295"), &r) == BPCTL_INVALID &&
	       strstr(r.err, "'4294967295'"), "-u 4294967295 ((uid_t)-1) refused: %s",
	       r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-u", "99999999999999999999"), &r) == BPCTL_INVALID,
	       "-u with a uid past 32 bits refused");
	tap_ok(t, parse(ARGV("-S", "0", "-u", "nosuch"), &r) == BPCTL_INVALID &&
	       !strcmp(r.err, "unknown user 'nosuch'"), "unknown user: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-u", "-1"), &r) == BPCTL_INVALID &&
	       !strcmp(r.err, "unknown user '-1'"), "-u -1: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-u", ""), &r) == BPCTL_INVALID &&
	       strstr(r.err, "empty user name"), "-u '': %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-u", "broken"), &r) == BPCTL_INVALID &&
	       !strcmp(r.err, "user 'broken': Input/output error"),
	       "a failed lookup says so: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-u", "root", "-u", "alice"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "-u given twice"), "-u twice: %s", r.err);

	tap_ok(t, parse(ARGV("-S", "0", "-g", "users"), &r) == BPCTL_RUN &&
	       only(&r.o, BPROC_CTL_GID) && r.o.ctl.gid == 100 &&
	       !strcmp(r.o.group, "users"), "-g users: by name");
	tap_ok(t, parse(ARGV("-S", "0", "--group", "wheel"), &r) == BPCTL_RUN &&
	       r.o.ctl.gid == 10, "--group wheel");
	tap_ok(t, parse(ARGV("-S", "0", "-g", "65534"), &r) == BPCTL_RUN &&
	       only(&r.o, BPROC_CTL_GID) && r.o.ctl.gid == 65534, "-g 65534: by number");
	tap_ok(t, parse(ARGV("-S", "0", "-g", "nosuchgroup"), &r) == BPCTL_INVALID &&
	       !strcmp(r.err, "unknown group 'nosuchgroup'"), "unknown group: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-g", "4294967295"), &r) == BPCTL_INVALID,
	       "-g 4294967295 refused");
	tap_ok(t, parse(ARGV("-S", "0", "-g", ""), &r) == BPCTL_INVALID &&
	       strstr(r.err, "empty group name"), "-g '': %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-g", "broken"), &r) == BPCTL_INVALID &&
	       strstr(r.err, "group 'broken': "), "a failed group lookup: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-g", "root", "--group", "users"), &r) == BPCTL_USAGE,
	       "-g twice");

	/* Without lookups (NULL ids) only numbers are known. */
	tap_ok(t, bpctl_parse_opts(5, ARGV("-S", "0", "-u", "7"), NULL, &r.o, r.err,
				   sizeof(r.err)) == BPCTL_RUN && r.o.ctl.uid == 7,
	       "no lookup: a number still works");
	tap_ok(t, bpctl_parse_opts(5, ARGV("-S", "0", "-g", "root"), NULL, &r.o, r.err,
				   sizeof(r.err)) == BPCTL_INVALID,
	       "no lookup: a name is unknown");

	id = 77;
	tap_ok(t, bpctl_parse_id("12a", &id) == -EINVAL && id == 77 &&
	       bpctl_parse_id("", &id) == -EINVAL &&
	       bpctl_parse_id("0012", &id) == 0 && id == 12,
	       "bpctl_parse_id: digits only, leading zeros allowed");
}

static void test_combined(struct tap *t)
{
	struct run r;

	tap_ok(t, parse(ARGV("-S", "0-3", "-s", "up", "-m", "0111", "-u", "alice",
			     "-g", "users", "--cache-purge", "-v"), &r) == BPCTL_RUN &&
	       r.o.ctl.what == BPROC_CTL_ALL && r.o.ctl.state == BPROC_NODE_UP &&
	       r.o.ctl.mode == 0111 && r.o.ctl.uid == 1000 && r.o.ctl.gid == 100 &&
	       r.o.verbose && !strcmp(r.o.spec, "0-3"),
	       "every action at once: one request with every bit");
	tap_ok(t, parse(ARGV("-S", "all", "--cache-purge"), &r) == BPCTL_RUN &&
	       only(&r.o, BPROC_CTL_CACHE_PURGE), "--cache-purge alone");
	tap_ok(t, parse(ARGV("-S", "0", "--cache-purge", "--cache-purge"), &r) ==
	       BPCTL_USAGE &&
	       strstr(r.err, "--cache-purge given twice"), "--cache-purge twice: %s", r.err);
	tap_ok(t, parse(ARGV("-u", "root", "-g", "root", "-m", "0111", "-S", "2"), &r) ==
	       BPCTL_RUN &&
	       r.o.ctl.what == (BPROC_CTL_UID | BPROC_CTL_GID | BPROC_CTL_MODE) &&
	       !strcmp(r.o.spec, "2"), "actions before -S");
	tap_ok(t, parse(ARGV("--slave", "n[0-7,10]", "-R", "--verbose"), &r) == BPCTL_RUN &&
	       !strcmp(r.o.spec, "n[0-7,10]") && r.o.verbose,
	       "--slave (BProc's name for -S), --verbose");
	tap_ok(t, parse(ARGV("--node=allup", "-vH"), &r) == BPCTL_RUN &&
	       !strcmp(r.o.spec, "allup") && r.o.verbose &&
	       r.o.ctl.state == BPROC_NODE_HALT, "--node=allup -vH");
	tap_ok(t, parse(ARGV("-S", "0", "-m", "0111"), &r) == BPCTL_RUN && !r.o.verbose &&
	       !r.o.master && !r.o.user && !r.o.group, "defaults: quiet, no names");
}

static void test_usage(struct tap *t)
{
	struct run r;

	tap_ok(t, parse(ARGV("-h"), &r) == BPCTL_HELP, "-h");
	tap_ok(t, parse(ARGV("--help"), &r) == BPCTL_HELP, "--help");
	tap_ok(t, parse(ARGV("-S", "0", "-h", "-x"), &r) == BPCTL_HELP,
	       "-h wins over what follows it");
	tap_ok(t, parse(ARGV("-V"), &r) == BPCTL_VERSION, "-V");
	tap_ok(t, parse(ARGV("--version"), &r) == BPCTL_VERSION, "--version");

	tap_ok(t, parse(ARGV("-m", "0111"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "no node given (-S NODESPEC)"), "missing -S: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "no action"), "no action: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-v"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "no action"), "-v is not an action");
	tap_ok(t, parse((char *[]){ "bpctl", NULL }, &r) == BPCTL_USAGE,
	       "no arguments at all");
	tap_ok(t, parse(ARGV("-S", "0", "-S", "1", "-R"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "-S 0,1"), "-S twice, joining suggested: %s", r.err);

	tap_ok(t, parse(ARGV("-M", "-s", "up"), &r) == BPCTL_INVALID &&
	       !strcmp(r.err, "-M: the master's state and permissions are not set by bpctl"),
	       "-M -s up: %s", r.err);
	tap_ok(t, parse(ARGV("--master", "-m", "0111"), &r) == BPCTL_INVALID &&
	       strstr(r.err, "-M: "), "--master -m 0111");
	tap_ok(t, parse(ARGV("-M", "--cache-purge"), &r) == BPCTL_INVALID,
	       "-M --cache-purge");
	tap_ok(t, parse(ARGV("-M"), &r) == BPCTL_INVALID && strstr(r.err, "-M: "),
	       "-M alone");
	tap_ok(t, parse(ARGV("-S", "0", "-M", "-u", "root"), &r) == BPCTL_INVALID &&
	       strstr(r.err, "-M: "), "-S with -M");

	tap_ok(t, parse(ARGV("-S", "0", "-m", "0111", "-x"), &r) == BPCTL_USAGE &&
	       !strcmp(r.err, "unknown option -x"), "-x: %s", r.err);
	tap_ok(t, parse(ARGV("--verbose", "-Rx", "-S", "0"), &r) == BPCTL_USAGE &&
	       !strcmp(r.err, "unknown option -x"), "-x inside a bundle after a long option: %s",
	       r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-:"), &r) == BPCTL_USAGE &&
	       !strcmp(r.err, "unknown option -:"), "-: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "--bogus"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "'--bogus'"), "--bogus: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "--cache-purge=1"), &r) == BPCTL_USAGE &&
	       !strcmp(r.err, "option '--cache-purge' takes no argument"),
	       "--cache-purge=1: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-m"), &r) == BPCTL_USAGE &&
	       !strcmp(r.err, "option -m needs an argument"), "-m at the end: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "--mode"), &r) == BPCTL_USAGE &&
	       !strcmp(r.err, "option '--mode' needs an argument"), "--mode at the end: %s",
	       r.err);
	tap_ok(t, parse(ARGV("-R", "-S"), &r) == BPCTL_USAGE &&
	       !strcmp(r.err, "option -S needs an argument"), "-S at the end: %s", r.err);
	tap_ok(t, parse(ARGV("-S", "0", "-u", "root", "-m", "0111", "extra"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "unexpected argument 'extra'"), "an extra argument: %s", r.err);
	tap_ok(t, parse(ARGV("3", "-S", "3", "-R"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "'3'"), "a bare NODESPEC is not taken");
	tap_ok(t, parse(ARGV("-S", "0", "--", "-R"), &r) == BPCTL_USAGE &&
	       strstr(r.err, "'-R'"), "nothing after --");

	/* A parse after a failed one starts afresh. */
	tap_ok(t, parse(ARGV("-S", "0", "-xR"), &r) == BPCTL_USAGE &&
	       parse(ARGV("-S", "1", "-H"), &r) == BPCTL_RUN &&
	       !strcmp(r.o.spec, "1") && r.o.ctl.state == BPROC_NODE_HALT,
	       "a parse after one stopped inside a bundle starts afresh");
}

static struct bproc_node_info node(int n, unsigned int state)
{
	struct bproc_node_info ni = {
		.size = sizeof(ni), .node = n, .state = state, .mode = 0111,
	};

	return ni;
}

/* The set as "0,2,..." for comparing. */
static const char *nodes_of(const struct bproc_nodeset *set, char *buf,
			    size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < set->count && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%d", i ? "," : "",
			      set->nodes[i]);
	return buf;
}

static void test_select(struct tap *t)
{
	struct bproc_node_info tbl[4] = {
		node(0, BPROC_NODE_UP), node(1, BPROC_NODE_DOWN),
		node(2, BPROC_NODE_UP), node(3, BPROC_NODE_ERROR),
	};
	static const struct { const char *spec, *nodes; } good[] = {
		{ "0-3", "0,1,2,3" }, { "all", "0,1,2,3" }, { "allup", "0,2" },
		{ "alldown", "1" }, { "allnotup", "1,3" }, { "all!down", "0,2,3" },
		{ "n[1,3]", "1,3" }, { "2-", "2,3" }, { ".3", "3" },
		{ "3,0,3", "0,3" }, { "allunavailable", "" },
	};
	static const struct { const char *spec, *msg; } bad[] = {
		{ "9", "bad node spec '9': '9': no such node (nodes 0-3)" },
		{ "0,allfoo", "'allfoo'" },
		{ "n99", "'n99'" },
		{ "3-1", "bad node spec '3-1'" },
		{ "", "empty node list" },
		{ "0,,1", "bad node spec '0,,1'" },
		{ "master", "the master's state and permissions are not set by bpctl" },
		{ "0,master", "'master'" },
	};
	struct bproc_nodeset set = { 0 };
	char err[256], got[64];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int ret = bpctl_select(good[i].spec, tbl, 4, &set, err, sizeof(err));

		tap_ok(t, ret == 0 && !strcmp(nodes_of(&set, got, sizeof(got)),
					      good[i].nodes),
		       "-S %s selects '%s' (got '%s' %s)", good[i].spec,
		       good[i].nodes, got, err);
		bproc_nodeset_free(&set);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = bpctl_select(bad[i].spec, tbl, 4, &set, err, sizeof(err));

		tap_ok(t, ret == -EINVAL && strstr(err, bad[i].msg) &&
		       set.count == 0 && !set.nodes,
		       "-S '%s' refused, set empty: %s", bad[i].spec, err);
	}
	tap_ok(t, bpctl_select("0", NULL, 0, &set, err, sizeof(err)) == -EINVAL &&
	       strstr(err, "no such node") && strstr(err, "bpmaster"),
	       "an empty table hints at the master daemon: %s", err);
	tap_ok(t, bpctl_select("all", NULL, 0, &set, err, sizeof(err)) == 0 &&
	       set.count == 0, "all of an empty table: nothing, no error");
	bproc_nodeset_free(&set);
}

int main(void)
{
	struct tap t = { 0 };

	test_states(&t);
	test_mode(&t);
	test_owner(&t);
	test_combined(&t);
	test_usage(&t);
	test_select(&t);
	return tap_done(&t);
}
