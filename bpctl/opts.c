// SPDX-License-Identifier: GPL-2.0
/*
 * bpctl's command line (bpctl(1)): -S NODESPEC and the actions, checked
 * in full before anything is sent; then the nodes the spec selects in
 * the current table. Pure: users and groups are looked up through
 * callbacks, the table is passed in (tests/opts_test.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

/* Long options without a letter. */
enum { OPT_CACHE_PURGE = 256 };

static const char shortopts[] = "+:S:Ms:RHPm:u:g:vhV";

static const struct option longopts[] = {
	{ "node",		required_argument,	NULL, 'S' },
	{ "slave",		required_argument,	NULL, 'S' },	/* BProc */
	{ "master",		no_argument,		NULL, 'M' },
	{ "state",		required_argument,	NULL, 's' },
	{ "reboot",		no_argument,		NULL, 'R' },
	{ "halt",		no_argument,		NULL, 'H' },
	{ "pwroff",		no_argument,		NULL, 'P' },
	{ "mode",		required_argument,	NULL, 'm' },
	{ "user",		required_argument,	NULL, 'u' },
	{ "group",		required_argument,	NULL, 'g' },
	{ "cache-purge",	no_argument,		NULL, OPT_CACHE_PURGE },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Why bpctl does not act on the master (-M, or "master" in a spec). */
#define MASTER_WHY "the master's state and permissions are not set by bpctl"

static enum bpctl_parse __attribute__((format(printf, 4, 5)))
fail(enum bpctl_parse ret, char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return ret;
}

/* "down, up, error, ...": the states an administrator may set. */
static void settable_states(char *buf, size_t len)
{
	size_t n = 0;
	int s;

	buf[0] = '\0';
	for (s = 0; s < BPROC_NODE_NSTATES && n < len; s++) {
		if (s == BPROC_NODE_BOOT)
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
			      bproc_nodestate_name(s));
	}
}

int bpctl_parse_mode(const char *s, unsigned int *mode)
{
	unsigned int v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return -EINVAL;
		v = v * 8 + (unsigned int)(*s - '0');
		if (v > 0777)
			return -EINVAL;
	}
	*mode = v;
	return 0;
}

/* A decimal uid or gid: 0 .. 2^32-2 ((uid_t)-1 means "no change"). */
int bpctl_parse_id(const char *s, unsigned int *id)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(*s - '0');
		if (v >= 0xffffffffULL)
			return -EINVAL;
	}
	*id = (unsigned int)v;
	return 0;
}

/*
 * A user or group (@what) by name, else by number, like chown(1): the
 * name wins when both could apply.
 */
static enum bpctl_parse
parse_owner(const char *what, const char *s,
	    int (*lookup)(void *arg, const char *name, unsigned int *id),
	    void *arg, unsigned int *id, char *err, size_t len)
{
	int ret;

	if (!*s)
		return fail(BPCTL_INVALID, err, len, "empty %s name", what);
	ret = lookup ? lookup(arg, s, id) : -ENOENT;
	if (ret == 0)
		return BPCTL_RUN;
	if (ret != -ENOENT)
		return fail(BPCTL_INVALID, err, len, "%s '%s': %s", what, s,
			    strerror(-ret));
	if (bpctl_parse_id(s, id) == 0)
		return BPCTL_RUN;
	if (s[strspn(s, "0123456789")] == '\0')
		return fail(BPCTL_INVALID, err, len,
			    "%s '%s': a number from 0 to %u is needed", what,
			    s, 0xfffffffeU);
	return fail(BPCTL_INVALID, err, len, "unknown %s '%s'", what, s);
}

/* -s NAME, -R, -H, -P: at most one of them. */
static enum bpctl_parse set_state(struct bpctl_opts *o, int c,
				  const char *name, char *err, size_t len)
{
	char states[128];
	int state;

	if (o->state_opt)
		return fail(BPCTL_USAGE, err, len,
			    "-%c and -%c cannot be combined (one state change at a time)",
			    o->state_opt, c);
	state = bproc_nodestate_parse(name);
	if (state == BPROC_NODE_BOOT)
		return fail(BPCTL_INVALID, err, len,
			    "-s boot: boot is set by the master while node_up runs");
	if (state < 0) {
		settable_states(states, sizeof(states));
		return fail(BPCTL_INVALID, err, len,
			    "unknown state '%s' (states: %s)", name, states);
	}
	o->state_opt = (char)c;
	o->ctl.what |= BPROC_CTL_STATE;
	o->ctl.state = (__u32)state;
	return BPCTL_RUN;
}

/* An action given twice is a mistake, whatever the two values. */
static enum bpctl_parse once(struct bpctl_opts *o, __u32 bit, int c,
			     char *err, size_t len)
{
	if (o->ctl.what & bit) {
		if (c == OPT_CACHE_PURGE)
			return fail(BPCTL_USAGE, err, len,
				    "--cache-purge given twice");
		return fail(BPCTL_USAGE, err, len, "-%c given twice", c);
	}
	o->ctl.what |= bit;
	return BPCTL_RUN;
}

/* getopt's error (@c '?' or ':') as text. */
static enum bpctl_parse bad_option(int c, char *const argv[], char *err,
				   size_t len)
{
	const char *arg = argv[optind - 1];
	bool is_long = !strncmp(arg, "--", 2);

	if (c == ':') {
		if (is_long)
			return fail(BPCTL_USAGE, err, len,
				    "option '%s' needs an argument", arg);
		return fail(BPCTL_USAGE, err, len,
			    "option -%c needs an argument", optopt);
	}
	/*
	 * An unknown short option has optopt set to a letter not in
	 * shortopts. A long option's error leaves its own value there when
	 * it was given an argument it does not take, else 0.
	 */
	if (optopt > 0 && optopt < 256 &&
	    (optopt == ':' || !strchr(shortopts + 2, optopt)))
		return fail(BPCTL_USAGE, err, len, "unknown option -%c",
			    optopt);
	if (optopt && strchr(arg, '='))
		return fail(BPCTL_USAGE, err, len,
			    "option '%.*s' takes no argument",
			    (int)(strchr(arg, '=') - arg), arg);
	return fail(BPCTL_USAGE, err, len, "unknown or ambiguous option '%s'",
		    arg);
}

enum bpctl_parse bpctl_parse_opts(int argc, char *const argv[],
				  const struct bpctl_ids *ids,
				  struct bpctl_opts *o, char *err,
				  size_t errlen)
{
	enum bpctl_parse r;
	int c;

	memset(o, 0, sizeof(*o));
	o->ctl.size = sizeof(o->ctl);
	err[0] = '\0';
	optind = 0;		/* glibc: start over, forget a half-read -xyz */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts,
				NULL)) != -1) {
		r = BPCTL_RUN;
		switch (c) {
		case 'S':
			if (o->spec)
				return fail(BPCTL_USAGE, err, errlen,
					    "-S given twice (join the nodes: -S %s,%s)",
					    o->spec, optarg);
			o->spec = optarg;
			break;
		case 'M':
			o->master = true;
			break;
		case 's':
			r = set_state(o, c, optarg, err, errlen);
			break;
		case 'R':
			r = set_state(o, c, "reboot", err, errlen);
			break;
		case 'H':
			r = set_state(o, c, "halt", err, errlen);
			break;
		case 'P':
			r = set_state(o, c, "pwroff", err, errlen);
			break;
		case 'm':
			r = once(o, BPROC_CTL_MODE, c, err, errlen);
			if (r == BPCTL_RUN &&
			    bpctl_parse_mode(optarg, &o->ctl.mode))
				r = fail(BPCTL_INVALID, err, errlen,
					 "bad mode '%s': an octal number from 0 to 0777 is needed",
					 optarg);
			break;
		case 'u':
			r = once(o, BPROC_CTL_UID, c, err, errlen);
			if (r == BPCTL_RUN)
				r = parse_owner("user", optarg,
						ids ? ids->user : NULL,
						ids ? ids->arg : NULL,
						&o->ctl.uid, err, errlen);
			o->user = optarg;
			break;
		case 'g':
			r = once(o, BPROC_CTL_GID, c, err, errlen);
			if (r == BPCTL_RUN)
				r = parse_owner("group", optarg,
						ids ? ids->group : NULL,
						ids ? ids->arg : NULL,
						&o->ctl.gid, err, errlen);
			o->group = optarg;
			break;
		case OPT_CACHE_PURGE:
			r = once(o, BPROC_CTL_CACHE_PURGE, c, err, errlen);
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			return BPCTL_HELP;
		case 'V':
			return BPCTL_VERSION;
		default:
			return bad_option(c, argv, err, errlen);
		}
		if (r != BPCTL_RUN)
			return r;
	}
	if (optind < argc)
		return fail(BPCTL_USAGE, err, errlen,
			    "unexpected argument '%s' (the nodes go with -S)",
			    argv[optind]);
	if (o->master)
		return fail(BPCTL_INVALID, err, errlen, "-M: " MASTER_WHY);
	if (!o->spec)
		return fail(BPCTL_USAGE, err, errlen,
			    "no node given (-S NODESPEC)");
	if (!o->ctl.what)
		return fail(BPCTL_USAGE, err, errlen,
			    "no action given for -S %s (-s, -R, -H, -P, -m, -u, -g "
			    "or --cache-purge)", o->spec);
	return BPCTL_RUN;
}

int bpctl_select(const char *spec, const struct bproc_node_info *list,
		 int count, struct bproc_nodeset *set, char *err,
		 size_t errlen)
{
	struct bproc_nodeset_error e = { 0 };
	int ret;

	err[0] = '\0';
	if (bproc_nodeset_parse_list(spec, list, count, set, &e) < 0) {
		ret = -errno;
		if (ret == -EINVAL && e.msg[0])
			snprintf(err, errlen, "bad node spec '%s': %s%s", spec,
				 e.msg, count ? "" :
				 " (is the master daemon, bpmaster, running?)");
		else
			snprintf(err, errlen, "node spec '%s': %s", spec,
				 strerror(-ret));
		bproc_nodeset_free(set);
		return ret;
	}
	if (bproc_nodeset_contains(set, BPROC_NODE_MASTER)) {
		snprintf(err, errlen, "-S %s: 'master': " MASTER_WHY, spec);
		bproc_nodeset_free(set);
		return -EINVAL;
	}
	return 0;
}
