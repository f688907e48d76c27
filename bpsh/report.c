// SPDX-License-Identifier: GPL-2.0
/*
 * How a launch ended (bpsh(1), "EXIT STATUS"): each process's exit code,
 * 128+N for one killed by signal N, 1 for a node where the program could
 * not start; bpsh exits with the highest. A run on several nodes ends
 * with one line per kind of failure on stderr ("bpsh: 3,7-9: exit 1"),
 * and --json prints one result per node.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpsh.h"

int bpsh_rank_exit_code(const struct bpsh_rank *r)
{
	if (r->start_err)
		return 1;
	if (!r->exited)
		return 1;
	if (WIFEXITED(r->status))
		return WEXITSTATUS(r->status);
	if (WIFSIGNALED(r->status))
		return 128 + WTERMSIG(r->status);
	return 1;
}

/* What keeps a program from starting on a node, in words. */
const char *bpsh_errno_text(int err)
{
	switch (err) {
	case ENODEV:
		return "no such node";
	case EHOSTDOWN:
		return "node is not up";
	case EACCES:
		return "permission denied (node permissions or the program's)";
	case ENOTCONN:
		return "no master daemon (bpmaster is not running)";
	case ENOSPC:
		return "the node's program cache is too small for this program";
	case ECONNREFUSED:
	case ETIMEDOUT:
	case ENETUNREACH:
	case EHOSTUNREACH:
		return "the node could not connect back to bpsh";
	case EBADMSG:
		return "a file arrived with other content than it was sent with (changed while it was sent?)";
	case ENOENT:
		return "program or a file it needs not found on the node";
	case ENOEXEC:
		return "the node cannot execute this program (exec format error)";
	case EPERM:
		return "operation not permitted (a seccomp filter, or a capability the node cannot give)";
	case ECANCELED:
		return "not started: another node failed (-e)";
	case ENOSYS:
		return "bproc is not available here (no /dev/bproc)";
	default:
		return strerror(err);
	}
}

/* The failure of @r, in words for the summary ("" when it succeeded). */
static void failure_of(const struct bpsh_rank *r, char *buf, size_t len)
{
	buf[0] = '\0';
	if (r->start_err)
		snprintf(buf, len, "%s", bpsh_errno_text(r->start_err));
	else if (r->exited && WIFSIGNALED(r->status))
		snprintf(buf, len, "killed by signal %d (%s)%s",
			 WTERMSIG(r->status), strsignal(WTERMSIG(r->status)),
			 WCOREDUMP(r->status) ? ", core dumped" : "");
	else if (r->exited && WEXITSTATUS(r->status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(r->status));
}

/*
 * One line per kind of failure, naming its nodes: "bpsh: 3,7-9: exit 1".
 * Quadratic in the number of kinds only, which is small.
 */
void bpsh_report(struct bpsh *b, FILE *err)
{
	char (*why)[192] = calloc((size_t)b->nranks, sizeof(*why));
	bool *seen = calloc((size_t)b->nranks, sizeof(bool));
	int *nodes = calloc((size_t)b->nranks, sizeof(int));

	if (!why || !seen || !nodes)
		goto out;
	for (int i = 0; i < b->nranks; i++)
		failure_of(&b->ranks[i], why[i], sizeof(why[i]));
	for (int i = 0; i < b->nranks; i++) {
		char *set;
		int n = 0;

		if (seen[i] || !why[i][0])
			continue;
		for (int k = i; k < b->nranks; k++)
			if (!seen[k] && !strcmp(why[k], why[i])) {
				seen[k] = true;
				nodes[n++] = b->ranks[k].node;
			}
		set = bpsh_nodeset_str(nodes, n);
		fprintf(err, "bpsh: %s: %s\n", set ? set : "(out of memory)", why[i]);
		free(set);
	}
out:
	free(why);
	free(seen);
	free(nodes);
}

/* @len bytes as a JSON string; bytes that are not UTF-8 as \u00XX. */
void bpsh_json_string(FILE *f, const uint8_t *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
			   (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		bool valid = n > 0 && i + n <= len;

		for (size_t k = 1; valid && k < n; k++)
			valid = (s[i + k] & 0xc0) == 0x80;
		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\t') {
			fputs("\\t", f);
		} else if (c < 0x20 || c == 0x7f || !valid) {
			fprintf(f, "\\u%04x", c);
		} else {
			fwrite(s + i, 1, n, f);
			i += n - 1;
		}
	}
	fputc('"', f);
}

struct json_acc {
	uint8_t *p;
	size_t n;
};

static int json_collect(void *arg, const uint8_t *p, size_t len)
{
	struct json_acc *a = arg;

	memcpy(a->p + a->n, p, len);
	a->n += len;
	return 0;
}

/*
 * A held stream as one JSON string: read back whole, so a UTF-8
 * sequence across two parts of the temporary file stays one character.
 */
static void json_stream(FILE *f, struct bpsh_out *o)
{
	uint64_t len = bpsh_out_held_len(o);
	struct json_acc a = { malloc(len ? len : 1), 0 };

	if (!a.p || bpsh_out_held(o, json_collect, &a)) {
		fputs("null", f);
		free(a.p);
		return;
	}
	bpsh_json_string(f, a.p, a.n);
	free(a.p);
}

/*
 * @n nodes (ascending) as a node set in ranges, "0-7,9": malloc'd, as
 * long as it takes (4,096 scattered nodes need more than 4 KiB), or NULL.
 */
char *bpsh_nodeset_str(const int *nodes, int n)
{
	int len = bproc_nodeset_format(nodes, n, NULL, 0);
	char *s;

	if (len < 0)
		return NULL;
	s = malloc((size_t)len + 1);
	if (s && bproc_nodeset_format(nodes, n, s, (size_t)len + 1) < 0) {
		free(s);
		s = NULL;
	}
	return s;
}

/* --json: an array, one object per node, in node order. */
int bpsh_json_results(const struct bpsh *b, FILE *f)
{
	fputs("[\n", f);
	for (int i = 0; i < b->nranks; i++) {
		struct bpsh_rank *r = &b->ranks[i];

		fprintf(f, "  {\"node\": %d, \"rank\": %d", r->node, r->rank);
		if (r->start_err) {
			fputs(", \"status\": \"error\", \"error\": ", f);
			bpsh_json_string(f, (const uint8_t *)strerrorname_np(r->start_err),
					 strlen(strerrorname_np(r->start_err)));
			fputs(", \"message\": ", f);
			bpsh_json_string(f, (const uint8_t *)bpsh_errno_text(r->start_err),
					 strlen(bpsh_errno_text(r->start_err)));
		} else if (WIFSIGNALED(r->status)) {
			fprintf(f, ", \"pid\": %d, \"status\": \"killed\", \"signal\": %d, \"core\": %s",
				r->ghost_pid, WTERMSIG(r->status),
				WCOREDUMP(r->status) ? "true" : "false");
		} else {
			fprintf(f, ", \"pid\": %d, \"status\": \"exited\", \"exit\": %d",
				r->ghost_pid, WEXITSTATUS(r->status));
		}
		fputs(", \"stdout\": ", f);
		json_stream(f, (struct bpsh_out *)&r->out);
		fputs(", \"stderr\": ", f);
		json_stream(f, (struct bpsh_out *)&r->err);
		fprintf(f, "}%s\n", i + 1 < b->nranks ? "," : "");
	}
	fputs("]\n", f);
	return fflush(f) ? -errno : 0;
}
