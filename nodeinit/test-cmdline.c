// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the kernel command line parser (TAP). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "cmdline.h"
#include "bproc-test/tap.h"

/* @text for a TAP description: white space other than ' ' escaped. */
static const char *shown(const char *text)
{
	static char buf[256];
	size_t n = 0;

	for (; *text && n + 3 < sizeof(buf); text++) {
		if (*text == '\n' || *text == '\t') {
			buf[n++] = '\\';
			buf[n++] = *text == '\n' ? 'n' : 't';
		} else {
			buf[n++] = *text;
		}
	}
	buf[n] = '\0';
	return buf;
}

/* A command line that must parse cleanly to master @want (NULL: none). */
static void good_master(struct tap *t, const char *text, const char *want,
			int family, unsigned int port)
{
	struct ni_cmdline cl;
	int ret = ni_cmdline_parse(text, &cl);

	if (!want) {
		tap_ok(t, ret == 0 && !cl.has_master, "'%s': no master", shown(text));
		return;
	}
	if (!tap_ok(t, ret == 0 && cl.has_master && !strcmp(cl.master, want) &&
		    cl.master_family == family && cl.master_port == port,
		    "'%s' -> %s", shown(text), want))
		printf("# ret %d has_master %d master '%s' family %d port %u\n",
		       ret, cl.has_master, cl.master, cl.master_family,
		       cl.master_port);
}

/* A command line with exactly one problem, on @token, saying @why_part. */
static void bad(struct tap *t, const char *text, const char *token,
		const char *why_part)
{
	struct ni_cmdline cl;
	int ret = ni_cmdline_parse(text, &cl);

	if (!tap_ok(t, ret == -EINVAL && cl.nproblems == 1 &&
		    !strcmp(cl.problems[0].token, token) &&
		    strstr(cl.problems[0].why, why_part),
		    "'%s' rejected: %s", text, why_part))
		printf("# ret %d nproblems %u token '%s' why '%s'\n", ret,
		       cl.nproblems, cl.nproblems ? cl.problems[0].token : "",
		       cl.nproblems ? cl.problems[0].why : "");
}

int main(void)
{
	struct tap t = { 0 };
	struct ni_cmdline cl;
	char longtext[400];
	int ret, i;

	/* Masters. */
	good_master(&t, "", NULL, 0, 0);
	good_master(&t, "console=ttyS0 panic=-1 quiet", NULL, 0, 0);
	good_master(&t, "console=ttyS0 panic=-1 bproc.master=10.42.0.1:2223",
		    "10.42.0.1:2223", AF_INET, 2223);
	good_master(&t, "bproc.master=10.42.0.1", "10.42.0.1:2223", AF_INET, 2223);
	good_master(&t, "bproc.master=192.168.1.2:1", "192.168.1.2:1", AF_INET, 1);
	good_master(&t, "bproc.master=10.0.0.1:65535", "10.0.0.1:65535", AF_INET, 65535);
	good_master(&t, "bproc.master=[fe80::1]:9000", "[fe80::1]:9000", AF_INET6, 9000);
	good_master(&t, "bproc.master=[2001:DB8:0:0::1]", "[2001:db8::1]:2223",
		    AF_INET6, 2223);
	good_master(&t, "bproc.master=\"10.0.0.7:77\"", "10.0.0.7:77", AF_INET, 77);
	good_master(&t, "\tbproc.master=10.0.0.8\n", "10.0.0.8:2223", AF_INET, 2223);
	good_master(&t, "bproc.master=1.2.3.4 bproc.master=5.6.7.8:1",
		    "5.6.7.8:1", AF_INET, 1);
	good_master(&t, "xbproc.master=1.2.3.4 bproc_master=1.2.3.4", NULL, 0, 0);

	bad(&t, "bproc.master=master.local", "bproc.master=master.local", "IPv4");
	bad(&t, "bproc.master=10.0.0.256", "bproc.master=10.0.0.256", "IPv4");
	bad(&t, "bproc.master=10.0.0.1:0", "bproc.master=10.0.0.1:0", "port");
	bad(&t, "bproc.master=10.0.0.1:65536", "bproc.master=10.0.0.1:65536", "port");
	bad(&t, "bproc.master=10.0.0.1:22a", "bproc.master=10.0.0.1:22a", "port");
	bad(&t, "bproc.master=10.0.0.1:", "bproc.master=10.0.0.1:", "port");
	bad(&t, "bproc.master=10.0.0.1:-5", "bproc.master=10.0.0.1:-5", "port");
	bad(&t, "bproc.master=fe80::1", "bproc.master=fe80::1", "brackets");
	bad(&t, "bproc.master=[fe80::1", "bproc.master=[fe80::1", "']'");
	bad(&t, "bproc.master=[fe80::1]x", "bproc.master=[fe80::1]x", "':PORT'");
	bad(&t, "bproc.master=[10.0.0.1]", "bproc.master=[10.0.0.1]", "IPv6");
	bad(&t, "bproc.master=[]:5", "bproc.master=[]:5", "IPv4");
	bad(&t, "bproc.master", "bproc.master", "needs a value");
	bad(&t, "bproc.master=", "bproc.master=", "needs a value");
	bad(&t, "bproc.master=:2223", "bproc.master=:2223", "IPv4");

	/* A bad later master reports and keeps the earlier good one. */
	ret = ni_cmdline_parse("bproc.master=1.2.3.4 bproc.master=nope", &cl);
	tap_ok(&t, ret == -EINVAL && cl.has_master && !strcmp(cl.master, "1.2.3.4:2223"),
	       "bad later bproc.master keeps the earlier one");

	/* Flags. */
	ret = ni_cmdline_parse("bproc.probe bproc.nomodule bproc.debug bproc.shell", &cl);
	tap_ok(&t, ret == 0 && cl.probe && cl.nomodule && cl.debug && cl.shell &&
	       !cl.has_master && cl.pid_max == 0, "all flags set");
	ret = ni_cmdline_parse("console=ttyS0", &cl);
	tap_ok(&t, ret == 0 && !cl.probe && !cl.nomodule && !cl.debug && !cl.shell,
	       "no flags by default");
	ret = ni_cmdline_parse("bproc.debug=1 bproc.shell=yes bproc.probe=on bproc.nomodule=y", &cl);
	tap_ok(&t, ret == 0 && cl.probe && cl.nomodule && cl.debug && cl.shell,
	       "flags with true values");
	ret = ni_cmdline_parse("bproc.debug bproc.debug=0 bproc.shell=off", &cl);
	tap_ok(&t, ret == 0 && !cl.debug && !cl.shell, "later =0/off clears a flag");
	ret = ni_cmdline_parse("\"bproc.debug\"", &cl);
	tap_ok(&t, ret == 0 && cl.debug, "quoted flag");
	ret = ni_cmdline_parse("foo=\"a b bproc.debug\" c", &cl);
	tap_ok(&t, ret == 0 && !cl.debug, "flag inside another parameter's quotes is not a flag");
	ret = ni_cmdline_parse("bproc.probe\n", &cl);
	tap_ok(&t, ret == 0 && cl.probe, "trailing newline of /proc/cmdline");
	bad(&t, "bproc.debug=maybe", "bproc.debug=maybe", "bad value");
	bad(&t, "bproc.shell=", "bproc.shell=", "bad value");
	bad(&t, "bproc.debugx", "bproc.debugx", "unknown option");
	bad(&t, "bproc.", "bproc.", "unknown option");
	bad(&t, "bproc.Master=1.2.3.4", "bproc.Master=1.2.3.4", "unknown option");

	/* pid_max. */
	ret = ni_cmdline_parse("bproc.pid_max=4194304", &cl);
	tap_ok(&t, ret == 0 && cl.pid_max == 4194304, "pid_max upper bound");
	ret = ni_cmdline_parse("bproc.pid_max=301", &cl);
	tap_ok(&t, ret == 0 && cl.pid_max == 301, "pid_max lower bound");
	bad(&t, "bproc.pid_max=300", "bproc.pid_max=300", "301 to 4194304");
	bad(&t, "bproc.pid_max=4194305", "bproc.pid_max=4194305", "301 to 4194304");
	bad(&t, "bproc.pid_max=99999999999999999999999", "bproc.pid_max=99999999999999999999999",
	    "301 to 4194304");
	bad(&t, "bproc.pid_max=12ab", "bproc.pid_max=12ab", "301 to 4194304");
	bad(&t, "bproc.pid_max", "bproc.pid_max", "301 to 4194304");

	/* vnodes. */
	ret = ni_cmdline_parse("bproc.vnodes=128", &cl);
	tap_ok(&t, ret == 0 && cl.vnodes == 128, "vnodes upper bound");
	ret = ni_cmdline_parse("bproc.vnodes=32 bproc.vnodes=0", &cl);
	tap_ok(&t, ret == 0 && cl.vnodes == 0, "vnodes=0: the last one wins");
	bad(&t, "bproc.vnodes=129", "bproc.vnodes=129", "0 to 128");
	bad(&t, "bproc.vnodes=-1", "bproc.vnodes=-1", "0 to 128");
	bad(&t, "bproc.vnodes", "bproc.vnodes", "0 to 128");

	/* Many problems: all counted, the first ones kept. */
	ret = ni_cmdline_parse("bproc.a bproc.b bproc.c bproc.d bproc.e bproc.f "
			       "bproc.g bproc.h bproc.i bproc.j bproc.debug", &cl);
	tap_ok(&t, ret == -EINVAL && cl.nproblems == 10 && cl.debug &&
	       !strcmp(cl.problems[0].token, "bproc.a") &&
	       !strcmp(cl.problems[NI_MAX_PROBLEMS - 1].token, "bproc.h"),
	       "10 problems counted, first %d kept, good options still applied",
	       NI_MAX_PROBLEMS);

	/* A bproc.* word too long for the parser. */
	strcpy(longtext, "bproc.master=");
	for (i = 0; i < 300; i++)
		strcat(longtext, "1");
	ret = ni_cmdline_parse(longtext, &cl);
	tap_ok(&t, ret == -EINVAL && cl.nproblems == 1 && !cl.has_master &&
	       !strcmp(cl.problems[0].why, "option too long") &&
	       strlen(cl.problems[0].token) == NI_PROBLEM_TOKEN_LEN - 1,
	       "overlong option rejected, token truncated");

	/* ni_parse_master on its own. */
	{
		const char *why = NULL;

		memset(&cl, 0, sizeof(cl));
		ret = ni_parse_master("[::1]:80", &cl, &why);
		tap_ok(&t, ret == 0 && !strcmp(cl.master, "[::1]:80"), "ni_parse_master [::1]:80");
		ret = ni_parse_master(NULL, &cl, &why);
		tap_ok(&t, ret == -EINVAL && why && strstr(why, "needs a value"),
		       "ni_parse_master(NULL)");
	}
	return tap_done(&t);
}
