// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of how a launch ends (report.c): exit codes, the
 * summary by kind of failure, JSON strings and results, TAP.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bpsh.h"
#include "bproc-test/tap.h"

static char *capture(void (*fn)(struct bpsh *, FILE *), struct bpsh *b)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	fn(b, f);
	fclose(f);
	return text;
}

static void json_of(struct bpsh *b, FILE *f)
{
	bpsh_json_results(b, f);
}

static void setup(struct bpsh *b, int n)
{
	memset(b, 0, sizeof(*b));
	b->o.bufsize = 4096;
	b->nranks = n;
	b->ranks = calloc((size_t)n, sizeof(*b->ranks));
	for (int i = 0; i < n; i++) {
		b->ranks[i].b = b;
		b->ranks[i].rank = i;
		b->ranks[i].node = i * 2;
		bpsh_out_init(b, &b->ranks[i], &b->ranks[i].out, 1);
		bpsh_out_init(b, &b->ranks[i], &b->ranks[i].err, 2);
		b->ranks[i].exited = true;
		b->ranks[i].status = W_EXITCODE(0, 0);
		b->ranks[i].ghost_pid = 1000 + i;
	}
}

int main(void)
{
	struct tap t = { 0 };
	struct bpsh b;
	char *s;
	FILE *f;
	size_t len;
	char *text;

	setup(&b, 6);
	b.ranks[1].status = W_EXITCODE(3, 0);
	b.ranks[2].status = W_EXITCODE(1, 0);
	b.ranks[3].status = W_EXITCODE(1, 0);
	b.ranks[4].status = SIGKILL;
	b.ranks[5].exited = false;
	b.ranks[5].start_err = EHOSTDOWN;
	tap_ok(&t, bpsh_rank_exit_code(&b.ranks[0]) == 0 &&
	       bpsh_rank_exit_code(&b.ranks[1]) == 3 &&
	       bpsh_rank_exit_code(&b.ranks[4]) == 128 + SIGKILL &&
	       bpsh_rank_exit_code(&b.ranks[5]) == 1,
	       "exit codes: the code, 128+N, 1 for a start failure");
	s = capture(bpsh_report, &b);
	tap_ok(&t, strstr(s, "bpsh: 2: exit 3\n") && strstr(s, "bpsh: 4,6: exit 1\n") &&
	       strstr(s, "bpsh: 8: killed by signal 9 (Killed)\n") &&
	       strstr(s, "bpsh: 10: node is not up\n") && !strstr(s, "bpsh: 0:"),
	       "summary: one line per kind of failure with its nodes:\n%s", s);
	free(s);

	f = open_memstream(&text, &len);
	bpsh_json_string(f, (const uint8_t *)"a\"b\\c\n\t\x01\xc3\xa9\xff", 11);
	fclose(f);
	tap_ok(&t, !strcmp(text, "\"a\\\"b\\\\c\\n\\t\\u0001\xc3\xa9\\u00ff\""),
	       "JSON strings: escapes, UTF-8 kept, other bytes \\u00XX: %s", text);
	free(text);

	b.ranks[0].out.len = 0;
	s = capture(json_of, &b);
	tap_ok(&t, s[0] == '[' && strstr(s, "{\"node\": 0, \"rank\": 0, \"pid\": 1000, \"status\": \"exited\", \"exit\": 0") &&
	       strstr(s, "\"status\": \"killed\", \"signal\": 9, \"core\": false") &&
	       strstr(s, "\"status\": \"error\", \"error\": \"EHOSTDOWN\", \"message\": \"node is not up\""),
	       "JSON results:\n%s", s);
	free(s);
	free(b.ranks);

	/*
	 * 4,096 ranks on every other node, each odd one failing: a node set
	 * of 2,048 scattered nodes is 9 KiB of text, past the 4 KiB buffers
	 * the summary used to format it in (it was cut off).
	 */
	setup(&b, 4096);
	for (int i = 1; i < 4096; i += 2)
		b.ranks[i].status = W_EXITCODE(2, 0);
	s = capture(bpsh_report, &b);
	tap_ok(&t, s && strncmp(s, "bpsh: 2,6,10,", 13) == 0 &&
	       strstr(s, ",8190: exit 2\n") && strlen(s) > 9000,
	       "a summary of 2,048 scattered nodes is whole (%zu bytes)", s ? strlen(s) : 0);
	free(s);
	{
		int nodes[3] = { 0, 1, 5 };
		char *set = bpsh_nodeset_str(nodes, 3);

		tap_ok(&t, set && !strcmp(set, "0-1,5"), "node sets in ranges: %s", set);
		free(set);
	}
	free(b.ranks);
	return tap_done(&t);
}
