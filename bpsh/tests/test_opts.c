// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of bpsh's command line (opts.c), TAP. */
#include <string.h>

#include "bpsh.h"
#include "bproc-test/tap.h"

#define ARGV(...)	((char *[]){ "bpsh", __VA_ARGS__, NULL })

static enum bpsh_parse parse(char **argv, struct bpsh_opts *o, char *err)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return bpsh_parse_opts(argc, argv, o, err, 256);
}

static void test_ok(struct tap *t)
{
	struct bpsh_opts o;
	char err[256];

	tap_ok(t, parse(ARGV("3", "hostname"), &o, err) == BPSH_RUN &&
	       !strcmp(o.spec, "3") && o.argc == 1 && !strcmp(o.argv[0], "hostname") &&
	       o.bufsize == BPSH_BUF_DEFAULT && o.stdin_rank == -1,
	       "NODESPEC command");
	tap_ok(t, parse(ARGV("-p", "n[0-7,10]", "ls", "-l", "-a"), &o, err) == BPSH_RUN &&
	       o.prefix && o.line && !strcmp(o.spec, "n[0-7,10]") && o.argc == 3 &&
	       !strcmp(o.argv[1], "-l") && !strcmp(o.argv[2], "-a"),
	       "options stop at the spec: the command's -l -a are its own");
	tap_ok(t, parse(ARGV("-a", "echo", "-n", "x"), &o, err) == BPSH_RUN &&
	       o.all_up && !o.spec && o.argc == 3 && !o.no_stdin,
	       "-a: no spec; the command's -n is not bpsh's");
	tap_ok(t, parse(ARGV("-A", "-d", "true"), &o, err) == BPSH_RUN &&
	       o.all_notdown && o.divider && o.sequential, "-A -d (implies -s)");
	tap_ok(t, parse(ARGV("-b", "4K", "-i", "2", "-t", "--json", "0-3", "cat"), &o, err) == BPSH_RUN &&
	       o.bufsize == 4096 && o.stdin_rank == 2 && o.time && o.json,
	       "-b 4K -i 2 -t --json");
	tap_ok(t, parse(ARGV("0", "true"), &o, err) == BPSH_RUN && o.fanout == 8,
	       "the fan-out tree is 8 wide by default");
	tap_ok(t, parse(ARGV("--fanout", "0", "0", "true"), &o, err) == BPSH_RUN &&
	       o.fanout == 0, "--fanout 0: every node from bpsh");
	tap_ok(t, parse(ARGV("--fanout", "1025", "0", "true"), &o, err) == BPSH_USAGE &&
	       strstr(err, "--fanout '1025'"), "--fanout 1025 refused: %s", err);
	tap_ok(t, parse(ARGV("--fanout", "2x", "0", "true"), &o, err) == BPSH_USAGE,
	       "--fanout 2x refused");
	tap_ok(t, parse(ARGV("-I", "/tmp/in", "-O", "/tmp/out", "-E", "/tmp/err", "0", "x"), &o, err) == BPSH_RUN &&
	       !strcmp(o.in_file, "/tmp/in") && !strcmp(o.out_file, "/tmp/out") &&
	       !strcmp(o.err_file, "/tmp/err"), "-I -O -E");
	tap_ok(t, parse(ARGV("--ship", "/etc/x", "--ship", "/opt/y", "-G", "all", "prog"), &o, err) == BPSH_RUN &&
	       o.nship == 2 && !strcmp(o.ship[1], "/opt/y") && o.gather,
	       "--ship twice, -G");
	tap_ok(t, parse(ARGV("-h"), &o, err) == BPSH_HELP, "-h");
	tap_ok(t, parse(ARGV("--version"), &o, err) == BPSH_VERSION_SHOWN, "--version");
	tap_ok(t, parse(ARGV("-N", "-e", "0", "true"), &o, err) == BPSH_RUN &&
	       o.no_io && o.abort_on_error, "-N -e");
}

static void test_bad(struct tap *t)
{
	const struct {
		char **argv;
		const char *want;
	} cases[] = {
		{ ARGV("-x", "0", "true"), "unknown option -x" },
		{ ARGV("--bogus", "0", "true"), "unknown option '--bogus'" },
		{ ARGV("-b"), "option -b needs an argument" },
		{ ARGV("-b", "12", "0", "true"), "-b '12': not a size" },
		{ ARGV("-b", "1G", "0", "true"), "-b '1G': not a size" },
		{ ARGV("-i", "x", "0", "true"), "-i 'x': not a rank" },
		{ ARGV("-O", "rel", "0", "true"), "-O 'rel': not an absolute path" },
		{ ARGV("0"), "no command" },
		{ (char *[]){ "bpsh", NULL }, "no node specification" },
		{ ARGV("-a"), "no command" },
		{ ARGV("-a", "-A", "true"), "-a and -A exclude each other" },
		{ ARGV("-N", "-n", "0", "true"), "-N forwards no I/O" },
		{ ARGV("-I", "/x", "-i", "0", "0", "true"), "-I takes stdin from a file" },
		{ ARGV("-G", "-s", "0", "true"), "exclude each other" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bpsh_opts o;
		char err[256];
		enum bpsh_parse r = parse(cases[i].argv, &o, err);

		tap_ok(t, r == BPSH_USAGE && strstr(err, cases[i].want),
		       "usage error: %s (%s)", cases[i].want, err);
	}
}

int main(void)
{
	struct tap t = { 0 };

	test_ok(&t);
	test_bad(&t);
	return tap_done(&t);
}
