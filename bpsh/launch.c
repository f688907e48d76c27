// SPDX-License-Identifier: GPL-2.0
/*
 * The processes of a launch (docs/bpsh.md, "Process semantics"): for
 * each node a child of bpsh that becomes, with bproc_rexec_job(), the
 * ghost of the process started there. So the remote processes are
 * bpsh's children: it waits for them like for any child, their exit
 * status is exact, `kill` of a ghost's pid reaches the real process, and
 * the terminal's signals (Ctrl-C, Ctrl-Z) reach them through the process
 * group they share with bpsh.
 *
 * A child that could not start writes its errno into a close-on-exec
 * pipe and exits; one that became a ghost closed the pipe (as execve
 * does). A process is done when bpsh knows how it ended and has every
 * byte of its output: a child's SIGCHLD can come before the last of its
 * output, so exits wait for the streams (output.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bpsh.h"

extern char **environ;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC	(1U << 2)
#endif

/* The job of rank @r, as bproc_rexec_job() takes it. */
static void job_of(const struct bpsh *b, const struct bpsh_rank *r,
		   struct bproc_job *j)
{
	const struct bpsh_opts *o = &b->o;

	memset(j, 0, sizeof(*j));
	j->size = sizeof(*j);
	j->id = b->job_id;
	j->rank = (uint32_t)r->rank;
	j->io_port = b->port;
	memcpy(j->secret, b->secret, sizeof(j->secret));
	memcpy(j->manifest, b->manifest_hash, sizeof(j->manifest));
	j->manifest_len = b->manifest_len;
	j->flags = BPROC_JOB_FILES;
	if (r->in_expected)
		j->flags |= BPROC_JOB_STDIN;
	if (r->out.expected)
		j->flags |= BPROC_JOB_STDOUT;
	if (r->err.expected)
		j->flags |= BPROC_JOB_STDERR;
	if (o->in_file)
		snprintf(j->stdin_path, sizeof(j->stdin_path), "%s", o->in_file);
	if (o->out_file)
		snprintf(j->stdout_path, sizeof(j->stdout_path), "%s", o->out_file);
	if (o->err_file)
		snprintf(j->stderr_path, sizeof(j->stderr_path), "%s", o->err_file);
}

/*
 * The fan-out tree (docs/bpsh.md, "Many nodes"): ranks in a K-ary heap
 * under bpsh. Ranks 0..K-1 fetch their files from bpsh; rank q's
 * children, ranks (q+1)K .. (q+1)K+K-1, fetch them from q's node first
 * (its bpslave serves them from its cache as they arrive there), and
 * from bpsh what q's node does not deliver. So bpsh sends each file to K
 * nodes, not to every node, and the depth is log_K of the ranks.
 */
static void tree_of(const struct bpsh *b, const struct bpsh_rank *r,
		    struct bp_job_tree *t)
{
	int k = b->o.fanout, up = k > 0 ? r->rank / k - 1 : -1;
	struct bp_job_tree h = { .src_node = -1 };

	/* the streams go the same way (docs/bpsh.md): the relays need its shape */
	if (b->tree_io) {
		h.flags = BP_JOB_TREE_IO;
		h.nranks = (uint32_t)b->nranks;
		h.fanout = (uint32_t)k;
	}
	if (up >= 0 && up < b->nranks &&
	    (b->ranks[up].addr[0] | b->ranks[up].addr[1] |
	     b->ranks[up].addr[2] | b->ranks[up].addr[3])) {
		memcpy(h.src_addr, b->ranks[up].addr, 4);
		h.src_port = BP_SEED_PORT;
		h.src_node = b->ranks[up].node;
	}
	bp_job_tree_encode(&h, t);
}

/* bpsh's environment with BPROC_RANK and BPROC_NODE of @r. */
static char **env_of(const struct bpsh_rank *r)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 3, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "BPROC_RANK=", 11) &&
		    strncmp(environ[i], "BPROC_NODE=", 11))
			env[k++] = environ[i];
	if (asprintf(&env[k++], "BPROC_RANK=%d", r->rank) < 0 ||
	    asprintf(&env[k++], "BPROC_NODE=%d", r->node) < 0)
		return NULL;
	return env;
}

/* The child of @r: never returns. */
static void __attribute__((noreturn)) child(struct bpsh *b, struct bpsh_rank *r,
					    int wfd)
{
	union {
		struct bproc_job job;
		uint8_t bytes[BP_JOB_SIZE_TREE_IO];
	} u;
	char **env = env_of(r);
	int fd, err = ENOMEM;

	/* The ghost keeps no descriptor of bpsh's (its stdio included). */
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		for (int i = 0; i < 3; i++)
			if (fd != i)
				dup2(fd, i);
		if (fd > 2)
			close(fd);
	}
	if (wfd <= 2) {
		fd = fcntl(wfd, F_DUPFD_CLOEXEC, 3);
		wfd = fd;
	}
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	fcntl(wfd, F_SETFD, FD_CLOEXEC);
	/* the job gets the caller's limit, not the one bpsh raised (main.c) */
	if (b->nofile.rlim_cur)
		setrlimit(RLIMIT_NOFILE, &b->nofile);
	if (env && wfd >= 0) {
		job_of(b, r, &u.job);
		u.job.size = b->tree_io ? BP_JOB_SIZE_TREE_IO : BP_JOB_SIZE_TREE;
		tree_of(b, r, (struct bp_job_tree *)(u.bytes + sizeof(u.job)));
		bproc_rexec_job(r->node, b->path, b->o.argv, env, &u.job);
		err = errno;
	}
	if (wfd >= 0 && write(wfd, &err, sizeof(err)) != sizeof(err))
		_exit(126);
	_exit(127);
}

/*
 * Kill the processes of the run (bpsh -e: one node failed), the ones
 * still starting too: SIGKILL ends a rexec that waits for its node, and
 * the module has the node kill what it started.
 */
void bpsh_kill_all(struct bpsh *b, int sig)
{
	for (int i = 0; i < b->nranks; i++)
		if (b->ranks[i].pid > 0)
			kill(b->ranks[i].pid, sig);
}

/* A signal someone sent bpsh (not its terminal): to every process. */
void bpsh_forward_signal(struct bpsh *b, int sig)
{
	for (int i = 0; i < b->nranks; i++)
		if (b->ranks[i].pid > 0)
			kill(b->ranks[i].pid, sig);
}

static void start_failed(struct bpsh_rank *r, int err)
{
	struct bpsh *b = r->b;

	r->start_err = err > 0 ? err : EIO;
	r->out.eof = r->err.eof = true;
	bpsh_input_rank_gone(r);
	bp_log(&b->log, LOG_ERR, "node %d: %s", r->node,
	       bpsh_errno_text(r->start_err));
	if (b->o.abort_on_error && !b->aborting) {
		b->aborting = true;
		bpsh_kill_all(b, SIGKILL);
	}
}

/* The child's report: EOF once it is a ghost, or the errno of its rexec. */
static void start_report(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bpsh_rank *r = bp_container_of(io, struct bpsh_rank, err_io);
	int e = 0;
	ssize_t n;

	do
		n = read(r->errfd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	bp_io_del(l, io);
	close(r->errfd);
	r->errfd = -1;
	if (n == sizeof(e) && e > 0)
		start_failed(r, e);
	else
		r->started = true;
	bpsh_rank_check_done(r);
}

/* Collect every child that ended. */
static int by_pid(const void *a, const void *b)
{
	const struct bpsh_pidx *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The rank whose child is @pid (a binary search: reaping N is N log N). */
static struct bpsh_rank *rank_of_pid(struct bpsh *b, pid_t pid)
{
	struct bpsh_pidx key = { .pid = pid }, *x;

	if (!b->pidx) {
		for (int i = 0; i < b->nranks; i++)
			if (b->ranks[i].pid == pid)
				return &b->ranks[i];
		return NULL;
	}
	x = bsearch(&key, b->pidx, (size_t)b->npidx, sizeof(*x), by_pid);
	return x && b->ranks[x->rank].pid == pid ? &b->ranks[x->rank] : NULL;
}

void bpsh_reap(struct bpsh *b)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct bpsh_rank *r = rank_of_pid(b, pid);

		if (!r)
			continue;
		r->pid = 0;
		/* Its report first: it says whether this is a start failure. */
		if (r->errfd >= 0)
			start_report(&b->loop, &r->err_io, EPOLLIN);
		if (!r->start_err) {
			r->exited = true;
			r->status = st;
			bpsh_input_rank_gone(r);
			bpsh_out_exited(&r->out);
			bpsh_out_exited(&r->err);
		}
		bpsh_rank_check_done(r);
	}
}

/* Fork the child of every rank; 0, or -errno when none could be made. */
int bpsh_launch(struct bpsh *b)
{
	int made = 0, ret = 0;

	for (int i = 0; i < b->nranks; i++) {
		struct bpsh_rank *r = &b->ranks[i];
		int p[2];
		pid_t pid;

		if (b->aborting) {
			start_failed(r, ECANCELED);
			continue;
		}
		if (pipe2(p, O_CLOEXEC)) {
			ret = -errno;
			start_failed(r, errno);
			continue;
		}
		pid = fork();
		if (pid == 0)
			child(b, r, p[1]);
		close(p[1]);
		if (pid < 0) {
			ret = -errno;
			close(p[0]);
			start_failed(r, -ret);
			continue;
		}
		r->pid = r->ghost_pid = pid;
		r->errfd = p[0];
		fcntl(r->errfd, F_SETFL, O_NONBLOCK);
		bp_io_init(&r->err_io, start_report);
		if (bp_io_add(&b->loop, &r->err_io, r->errfd, EPOLLIN))
			ret = -errno;
		made++;
		/*
		 * The first nodes connect back while the last are forked:
		 * take their connections now and then, before the listening
		 * socket's backlog fills (4 connections a rank).
		 */
		if ((i & 31) == 31)
			bp_loop_once(&b->loop, 0);
	}
	b->pidx = calloc((size_t)b->nranks + 1, sizeof(*b->pidx));
	for (int i = 0; b->pidx && i < b->nranks; i++)
		if (b->ranks[i].pid > 0) {
			b->pidx[b->npidx].pid = b->ranks[i].pid;
			b->pidx[b->npidx++].rank = i;
		}
	if (b->pidx)	/* else rank_of_pid() searches the ranks */
		qsort(b->pidx, (size_t)b->npidx, sizeof(*b->pidx), by_pid);
	for (int i = 0; i < b->nranks; i++)
		bpsh_rank_check_done(&b->ranks[i]);
	return made ? 0 : ret;
}
