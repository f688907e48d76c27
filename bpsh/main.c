// SPDX-License-Identifier: GPL-2.0
/*
 * bpsh: run a program of the master on nodes (bpsh(1), docs/bpsh.md).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bp_crypto.h"
#include "bp_time.h"
#include "bpsh.h"

static const char *prog = "bpsh";

static void handle_signal(struct bp_loop *l, struct bp_sig *sig,
			  const struct signalfd_siginfo *si)
{
	struct bpsh *b = bp_container_of(l, struct bpsh, loop);

	if (si->ssi_signo == SIGCHLD) {
		bpsh_reap(b);
		return;
	}
	/*
	 * From the terminal (SI_KERNEL) the signal went to the whole process
	 * group, the ghosts included: they forwarded it already. Sent to
	 * bpsh alone (kill, sigqueue): bpsh forwards it.
	 */
	if (si->ssi_code != SI_KERNEL)
		bpsh_forward_signal(b, (int)si->ssi_signo);
}

static int watch_signals(struct bpsh *b)
{
	static const int sigs[] = {
		SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
	};
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	signal(SIGPIPE, SIG_IGN);
	return bp_sig_add(&b->loop, &b->sig, &set, handle_signal);
}

/* The nodes of the launch, in node order; exit status 1 and why if none. */
static int nodes_of(struct bpsh *b, struct bproc_nodeset *set)
{
	struct bproc_nodeset_error e = { 0 };
	struct bproc_node_info *list = NULL;
	const char *spec = b->o.all_up ? "allup" : b->o.all_notdown ?
			   "allnotdown" : b->o.spec;
	int n = bproc_nodelist(&list);

	if (n < 0) {
		fprintf(stderr, "%s: node table: %s%s\n", prog, strerror(errno),
			errno == ENOENT ? " (is the bproc module loaded?)" : "");
		return -1;
	}
	if (bproc_nodeset_parse_list(spec, list, n, set, &e)) {
		if (errno == EINVAL)
			fprintf(stderr, "%s: node specification '%s': %s\n", prog,
				spec, e.msg);
		else
			fprintf(stderr, "%s: node specification '%s': %s\n", prog,
				spec, strerror(errno));
		free(list);
		return -1;
	}
	b->nodelist = list;	/* the ranks' addresses (ranks_of) */
	b->nnodelist = n;
	if (set->count && set->nodes[0] == BPROC_NODE_MASTER) {
		fprintf(stderr, "%s: node specification '%s': the master is not a node (run the command directly)\n",
			prog, spec);
		return -1;
	}
	if (!set->count) {
		fprintf(stderr, "%s: node specification '%s': no node (%s)\n", prog,
			spec, b->o.all_up ? "no node is up" :
			b->o.all_notdown ? "every node is down" : "empty");
		return -1;
	}
	return 0;
}

static int ranks_of(struct bpsh *b, const struct bproc_nodeset *set)
{
	const struct bpsh_opts *o = &b->o;

	b->nranks = set->count;
	b->ranks = calloc((size_t)b->nranks, sizeof(*b->ranks));
	if (!b->ranks)
		return -ENOMEM;
	for (int i = 0; i < b->nranks; i++) {
		struct bpsh_rank *r = &b->ranks[i];

		r->b = b;
		r->rank = i;
		r->node = set->nodes[i];
		/* bproc_nodelist() gives node N at index N */
		if (r->node >= 0 && r->node < b->nnodelist &&
		    b->nodelist[r->node].node == r->node &&
		    b->nodelist[r->node].addr_family == AF_INET)
			memcpy(r->addr, b->nodelist[r->node].addr, 4);
		r->errfd = -1;
		r->in_sock = -1;
		bpsh_out_init(b, r, &r->out, 1);
		bpsh_out_init(b, r, &r->err, 2);
		r->out.expected = !o->no_io && !o->out_file;
		r->err.expected = !o->no_io && !o->err_file;
		r->out.eof = !r->out.expected;
		r->err.eof = !r->err.expected;
		r->in_expected = !o->no_io && !o->no_stdin && !o->in_file &&
				 (o->stdin_rank < 0 || o->stdin_rank == i);
	}
	b->running = b->nranks;
	/*
	 * The streams through the tree when there is a stream and a tree
	 * with an inside: with every rank at the top a link saves little
	 * (K descriptors instead of 3K) and costs a copy in the relay and in
	 * bpsh (1 GB through stdout: 113 MB/s against 216 MB/s spliced).
	 */
	for (int i = 0; o->fanout > 0 && b->nranks > o->fanout && i < b->nranks; i++)
		b->tree_io |= b->ranks[i].out.expected || b->ranks[i].err.expected ||
			      b->ranks[i].in_expected;
	return 0;
}

/*
 * Room for the descriptors of the run: per rank its stream sockets (or
 * its link when it falls back to bpsh, docs/bpsh.md), a
 * files connection, its start pipe and two spill files when output is
 * held back. A default soft limit of 1024 would stop a run of a few
 * hundred nodes halfway; raise it up to the hard limit, or refuse before
 * anything starts. The jobs get the caller's own limit (launch.c).
 */
static int fd_room(struct bpsh *b)
{
	const struct bpsh_opts *o = &b->o;
	/* through the tree a rank costs at most one link (it fell back) */
	rlim_t per = (b->tree_io ? 1 : 3) + 1 + 1 +
		     (o->gather || o->json || o->sequential ? 2 : 0);
	rlim_t need = (rlim_t)b->nranks * per + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	b->nofile = rl;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
			fprintf(stderr, "%s: %d nodes need up to %llu file descriptors; "
				"the hard limit is %llu (ulimit -Hn)\n", prog,
				b->nranks, (unsigned long long)need,
				(unsigned long long)rl.rlim_max);
			return -1;
		}
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			fprintf(stderr, "%s: cannot raise the file descriptor limit "
				"to %llu: %s\n", prog, (unsigned long long)need,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* -v: the file bytes bpsh sent, and to which nodes (the others' came
 * from the nodes above them in the tree, or they had them). */
static void verbose_sent(const struct bpsh *b)
{
	int *nodes = calloc((size_t)b->nranks + 1, sizeof(int)), n = 0;
	char *set = NULL;

	for (int i = 0; nodes && i < b->nranks; i++)
		if (b->ranks[i].fetched)
			nodes[n++] = b->ranks[i].node;
	if (n)
		set = bpsh_nodeset_str(nodes, n);
	bp_log(&b->log, LOG_INFO, "%llu file bytes sent to nodes%s%s",
	       (unsigned long long)b->bytes_sent, set ? " " : "", set ? set : "");
	free(set);
	free(nodes);
}

int main(int argc, char **argv)
{
	static struct bpsh b;
	struct bproc_nodeset set = { 0 };
	char err[1024];
	int ret, code = 0;

	switch (bpsh_parse_opts(argc, argv, &b.o, err, sizeof(err))) {
	case BPSH_HELP:
		bpsh_usage(stdout);
		return 0;
	case BPSH_VERSION_SHOWN:
		printf("%s %s\n", prog, BPSH_VERSION);
		return 0;
	case BPSH_USAGE:
		fprintf(stderr, "%s: %s\n", prog, err);
		bpsh_usage(stderr);
		return 1;
	case BPSH_RUN:
		break;
	}
	bp_log_init(&b.log, prog, 2, BP_LOG_STAMP_NONE);
	b.log.verbose = b.o.verbose;
	b.start_ns = bp_now_mono_ns();

	/* Everything that can fail before a node is touched, first. */
	if (nodes_of(&b, &set))
		return 1;
	if (b.o.stdin_rank >= set.count) {
		fprintf(stderr, "%s: -i %d: there are %d ranks (0-%d)\n", prog,
			b.o.stdin_rank, set.count, set.count - 1);
		return 1;
	}
	ret = bpsh_ship(&b, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: %s\n", prog, err);
		if (!b.ship_program)
			return 1;
		/* as a shell and ld.so say: not found 127, cannot run 126 */
		return ret == -ENOENT ? 127 : 126;
	}
	if (bp_random(b.secret, sizeof(b.secret)) ||
	    bp_random(&b.job_id, sizeof(b.job_id))) {
		fprintf(stderr, "%s: random bytes: %s\n", prog, strerror(errno));
		return 1;
	}
	ret = bp_loop_init(&b.loop);
	if (!ret)
		ret = watch_signals(&b);
	if (!ret) {
		bpsh_links_init(&b);
		ret = bpsh_serve_init(&b);
	}
	if (!ret)
		ret = ranks_of(&b, &set);
	if (ret) {
		fprintf(stderr, "%s: %s\n", prog, strerror(-ret));
		return 1;
	}
	if (fd_room(&b))
		return 1;
	bpsh_output_init(&b);
	bpsh_input_init(&b);

	ret = bpsh_launch(&b);
	if (ret && !b.running) {
		fprintf(stderr, "%s: cannot start: %s\n", prog, strerror(-ret));
		return 1;
	}
	if (b.running) {
		ret = bp_loop_run(&b.loop);
		if (ret < 0)
			fprintf(stderr, "%s: event loop: %s\n", prog, strerror(-ret));
	}
	bpsh_output_finish(&b);
	bpsh_serve_close(&b);
	if (b.o.json)
		bpsh_json_results(&b, stdout);
	for (int i = 0; i < b.nranks; i++) {
		int c = bpsh_rank_exit_code(&b.ranks[i]);

		if (c > code)
			code = c;
	}
	fflush(stdout);
	if (b.nranks > 1)
		bpsh_report(&b, stderr);
	if (b.o.time)
		fprintf(stderr, "%s: %.3f s\n", prog,
			(double)(bp_now_mono_ns() - b.start_ns) / 1e9);
	if (b.o.verbose)
		verbose_sent(&b);
	bproc_nodeset_free(&set);
	return code;
}
