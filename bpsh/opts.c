// SPDX-License-Identifier: GPL-2.0
/*
 * bpsh's command line (bpsh(1)): options in POSIX order, ending at the
 * node specification (or at the command with -a/-A); everything after
 * the command belongs to it. Pure: host-tested (tests/test_opts.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpsh.h"

enum {
	OPT_JSON = 256,
	OPT_FANOUT,
	OPT_GATHER,
	OPT_SHIP,
	OPT_ABORT,
};

static const struct option longopts[] = {
	{ "all",		no_argument,		NULL, 'a' },
	{ "all-not-down",	no_argument,		NULL, 'A' },
	{ "no-stdin",		no_argument,		NULL, 'n' },
	{ "no-io",		no_argument,		NULL, 'N' },
	{ "line",		no_argument,		NULL, 'L' },
	{ "prefix",		no_argument,		NULL, 'p' },
	{ "sequential",		no_argument,		NULL, 's' },
	{ "divider",		no_argument,		NULL, 'd' },
	{ "gather",		no_argument,		NULL, 'G' },
	{ "stdin-rank",		required_argument,	NULL, 'i' },
	{ "buffer",		required_argument,	NULL, 'b' },
	{ "stdin-file",		required_argument,	NULL, 'I' },
	{ "stdout-file",	required_argument,	NULL, 'O' },
	{ "stderr-file",	required_argument,	NULL, 'E' },
	{ "time",		no_argument,		NULL, 't' },
	{ "json",		no_argument,		NULL, OPT_JSON },
	{ "ship",		required_argument,	NULL, OPT_SHIP },
	{ "fanout",		required_argument,	NULL, OPT_FANOUT },
	{ "abort-on-error",	no_argument,		NULL, 'e' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

void bpsh_usage(FILE *f)
{
	fputs(
"usage: bpsh [options] NODESPEC command [args...]\n"
"       bpsh [options] -a|-A command [args...]\n"
"Run a program of the master on nodes; its files are shipped, its standard\n"
"streams forwarded; the remote processes are bpsh's children.\n"
"\n"
"  NODESPEC             3  0,2,5  4-9  5-  n[0-7,10]  all  allup  all<state>\n"
"                       allnot<state>  (see bpsh(1))\n"
"  -a, --all            every node that is up\n"
"  -A, --all-not-down   every node that is not down\n"
"  -n, --no-stdin       standard input from /dev/null\n"
"  -N, --no-io          no I/O forwarding at all (/dev/null on the node)\n"
"  -L, --line           line-buffer the output\n"
"  -p, --prefix         prefix every output line with the node number (-L)\n"
"  -s, --sequential     each node's output in turn, in node order\n"
"  -d, --divider        a divider between nodes (-s)\n"
"  -G, --gather         gather identical outputs under their node set\n"
"  -i, --stdin-rank N   standard input to rank N only\n"
"  -b, --buffer BYTES   I/O buffer size (K, M suffixes; default 64K)\n"
"  -I, --stdin-file F   standard input from file F on the node\n"
"  -O, --stdout-file F  standard output to file F on the node\n"
"  -E, --stderr-file F  standard error to file F on the node\n"
"  -t, --time           print the elapsed time\n"
"      --json           one machine-readable result per node, on stdout\n"
"      --ship PATH      also ship PATH (a file or a directory tree)\n"
"      --fanout K       files reach the nodes along a tree of width K: bpsh\n"
"                       sends them to K nodes, each node to K more (default\n"
"                       8; 0: every node from bpsh)\n"
"  -e, --abort-on-error any node that fails to start kills the others\n"
"  -v, --verbose        say what is shipped and where\n"
"  -h, --help           this help\n"
"  -V, --version        version\n"
"\n"
"Exit status: the highest of the remote exit statuses, 128+N for a process\n"
"killed by signal N, 1 for a node where the program could not start; 127\n"
"when the program or a library it needs is not found on the master, 126\n"
"when it cannot run.\n", f);
}

static enum bpsh_parse __attribute__((format(printf, 3, 4)))
usage_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return BPSH_USAGE;
}

/* "4096", "64K", "1M": bytes, within the buffer limits. */
static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == 'K' || *end == 'k') {
		v <<= 10;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		v <<= 20;
		end++;
	}
	if (*end || v < BPSH_BUF_MIN || v > BPSH_BUF_MAX)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

static int parse_rank(const char *s, int *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 1000000)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static bool node_path_ok(const char *p)
{
	return p[0] == '/' && strlen(p) < BPROC_JOB_PATH_LEN;
}

enum bpsh_parse bpsh_parse_opts(int argc, char *const argv[],
				struct bpsh_opts *o, char *err, size_t errlen)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->bufsize = BPSH_BUF_DEFAULT;
	o->stdin_rank = -1;
	o->fanout = BPSH_FANOUT_DEFAULT;
	err[0] = '\0';
	optind = 1;
	opterr = 0;
	/* "+": stop at the first non-option (the spec, or the command). */
	while ((c = getopt_long(argc, argv, "+aAnNLpsdGi:b:I:O:E:tevhV",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o->all_up = true;
			break;
		case 'A':
			o->all_notdown = true;
			break;
		case 'n':
			o->no_stdin = true;
			break;
		case 'N':
			o->no_io = true;
			break;
		case 'L':
			o->line = true;
			break;
		case 'p':
			o->prefix = o->line = true;
			break;
		case 's':
			o->sequential = true;
			break;
		case 'd':
			o->divider = o->sequential = true;
			break;
		case 'G':
			o->gather = true;
			break;
		case 'i':
			if (parse_rank(optarg, &o->stdin_rank))
				return usage_err(err, errlen,
						 "-i '%s': not a rank (0, 1, ...)", optarg);
			break;
		case 'b':
			if (parse_size(optarg, &o->bufsize))
				return usage_err(err, errlen,
						 "-b '%s': not a size from %d to %u bytes (K, M allowed)",
						 optarg, BPSH_BUF_MIN, BPSH_BUF_MAX);
			break;
		case 'I':
		case 'O':
		case 'E':
			if (!node_path_ok(optarg))
				return usage_err(err, errlen,
						 "-%c '%s': not an absolute path on the node (under %d bytes)",
						 c, optarg, BPROC_JOB_PATH_LEN);
			if (c == 'I')
				o->in_file = optarg;
			else if (c == 'O')
				o->out_file = optarg;
			else
				o->err_file = optarg;
			break;
		case 't':
			o->time = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_SHIP:
			if (o->nship == BPSH_SHIP_MAX)
				return usage_err(err, errlen, "more than %d --ship paths",
						 BPSH_SHIP_MAX);
			o->ship[o->nship++] = optarg;
			break;
		case OPT_FANOUT:
			if (parse_rank(optarg, &o->fanout) || o->fanout > BPSH_FANOUT_MAX)
				return usage_err(err, errlen,
						 "--fanout '%s': not a width from 0 to %d",
						 optarg, BPSH_FANOUT_MAX);
			break;
		case 'e':
			o->abort_on_error = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			return BPSH_HELP;
		case 'V':
			return BPSH_VERSION_SHOWN;
		case '?':
		default:
			if (optopt && strchr("ibIOE", optopt))
				return usage_err(err, errlen, "option -%c needs an argument",
						 optopt);
			if (optopt)
				return usage_err(err, errlen, "unknown option -%c", optopt);
			return usage_err(err, errlen, "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (o->all_up && o->all_notdown)
		return usage_err(err, errlen, "-a and -A exclude each other");
	if (!o->all_up && !o->all_notdown) {
		if (optind >= argc)
			return usage_err(err, errlen, "no node specification");
		o->spec = argv[optind++];
	}
	if (optind >= argc)
		return usage_err(err, errlen, "no command");
	if (o->no_io && (o->no_stdin || o->in_file || o->out_file ||
			 o->err_file || o->stdin_rank >= 0))
		return usage_err(err, errlen, "-N forwards no I/O: it excludes -n, -i, -I, -O and -E");
	if (o->in_file && (o->no_stdin || o->stdin_rank >= 0))
		return usage_err(err, errlen, "-I takes stdin from a file: it excludes -n and -i");
	if (o->gather + o->sequential + o->json > 1)
		return usage_err(err, errlen, "-G, -s/-d and --json exclude each other");
	o->argv = argv + optind;
	o->argc = argc - optind;
	return BPSH_RUN;
}
