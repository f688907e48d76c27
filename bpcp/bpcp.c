// SPDX-License-Identifier: GPL-2.0
/*
 * bpcp: copy files between the master and nodes (bpcp(1), docs/bpcp.md).
 *
 *   bpcp [-p] [-r] SRC... DEST      SRC and DEST: PATH (the master's),
 *                                   NODE:PATH, DEST also NODESPEC:PATH
 *
 * The copy is a stream (stream.h) from a sender to a receiver, both this
 * program: run on a node through bpsh (which ships it, like any program),
 * or here. master -> nodes: the sender here, bpsh copies its output to
 * the receiver on every node of NODESPEC. node -> master: the sender on
 * the node, its output through bpsh to the receiver here. node -> node:
 * the receiver on the target listens, the sender on the source connects
 * to it with a one-time token: the data goes straight between the two.
 *
 * A receiver writes each file under a temporary name in its directory
 * and renames it only when all of it arrived, so an interrupted copy
 * leaves no partial file under the final name.
 *
 * This file is the command and what the parts share; send.c and recv.c
 * are the two halves.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <time.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bproc.h>


#include "bpcp.h"

const char *prog = "bpcp";
bool opt_p, opt_r;

/* ---- the user's command -------------------------------------------------- */

/* "NODESPEC:PATH" -> *@spec (malloc'd) and *@path; a plain PATH -> NULL. */
static void split_loc(const char *arg, char **spec, const char **path)
{
	const char *colon = strchr(arg, ':');

	*spec = NULL;
	*path = arg;
	if (colon && colon > arg && !memchr(arg, '/', (size_t)(colon - arg))) {
		*spec = strndup(arg, (size_t)(colon - arg));
		*path = colon + 1;
	}
}

/*
 * The children of the command (bpsh runs, a sender): a signal that ends
 * bpcp ends them too, so an interrupted copy stops everywhere (bpsh
 * passes it on to the remote halves, whose receivers keep no partial
 * file under its final name).
 */
static pid_t kids[4];
static int nkids;

static void on_signal(int sig)
{
	for (int i = 0; i < nkids; i++)
		kill(kids[i], sig == SIGINT || sig == SIGHUP ? SIGTERM : sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void track(pid_t pid)
{
	if (pid > 0 && nkids < (int)(sizeof(kids) / sizeof(kids[0])))
		kids[nkids++] = pid;
}

static pid_t spawn(char **argv, int in, int out)
{
	pid_t pid = fork();

	if (pid > 0)
		track(pid);
	if (pid == 0) {
		if (in >= 0 && in != 0)
			dup2(in, 0);
		if (out >= 0 && out != 1)
			dup2(out, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s: %s\n", prog, argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The sender as a child writing into @fd (then closing it). */
static pid_t fork_sender(char **srcs, int n, int fd, int other)
{
	pid_t pid = fork();

	if (pid > 0)
		track(pid);
	if (pid == 0) {
		if (other >= 0)
			close(other);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		_exit(send_all(fd, srcs, n) ? 1 : 0);
	}
	close(fd);
	return pid;
}

/*
 * @spec against the node table: *@set and, when @list is not NULL, the
 * table in *@list (the caller frees both). -1 with the reason said.
 */
static int parse_spec(const char *spec, struct bproc_nodeset *set,
		      struct bproc_node_info **list, int *nlist)
{
	struct bproc_nodeset_error e = { 0 };
	struct bproc_node_info *l = NULL;
	int n = bproc_nodelist(&l), ret = 0;

	if (n < 0)
		ret = fail("node table: %s", strerror(errno));
	else if (bproc_nodeset_parse_list(spec, l, n, set, &e))
		ret = fail("'%s': %s", spec, errno == EINVAL ? e.msg : strerror(errno));
	if (list && !ret) {
		*list = l;
		*nlist = n;
	} else {
		free(l);
	}
	return ret;
}

/* The one node of @spec, or -1 with the reason said. */
static int one_node(const char *spec)
{
	struct bproc_nodeset set = { 0 };
	int node = -1;

	if (parse_spec(spec, &set, NULL, NULL))
		;
	else if (set.count != 1)
		fail("'%s': a source is on one node, not %d", spec, set.count);
	else
		node = set.nodes[0];
	bproc_nodeset_free(&set);
	return node;
}

/* How a receiver takes the stream: bpsh's stdin, a port, a port of the tree. */
enum recv_how { RECV_STDIN, RECV_LISTEN, RECV_RELAY };

/*
 * "bpsh [-n] SPEC bpcp [-p] [--several] --recv [--listen [--relay]] DEST"
 * into @argv (room for 11).
 */
static void receiver_argv(char **argv, const char *spec, const char *self,
			  bool several, enum recv_how how, const char *dest)
{
	int k = 0;

	argv[k++] = "bpsh";
	if (how != RECV_STDIN)
		argv[k++] = "-n";	/* the stream comes over TCP */
	argv[k++] = (char *)spec;
	argv[k++] = (char *)self;
	if (opt_p)
		argv[k++] = "-p";
	if (several)
		argv[k++] = "--several";
	argv[k++] = "--recv";
	if (how != RECV_STDIN)
		argv[k++] = "--listen";
	if (how == RECV_RELAY)
		argv[k++] = "--relay";
	argv[k++] = (char *)dest;
	argv[k] = NULL;
}

/*
 * "bpsh -n NODE bpcp [-p] [-r] --send [--to DEST] SRC..." into @argv (room
 * for @nsrc + 10), @nodestr holding NODE's number.
 */
static void sender_argv(char **argv, char *nodestr, size_t len, int node,
			const char *self, const char *to, char **srcs, int nsrc)
{
	int k = 0;

	snprintf(nodestr, len, "%d", node);
	argv[k++] = "bpsh";
	argv[k++] = "-n";
	argv[k++] = nodestr;
	argv[k++] = (char *)self;
	if (opt_p)
		argv[k++] = "-p";
	if (opt_r)
		argv[k++] = "-r";
	argv[k++] = "--send";
	if (to) {
		argv[k++] = "--to";
		argv[k++] = (char *)to;
	}
	for (int i = 0; i < nsrc; i++)
		argv[k++] = srcs[i];
	argv[k] = NULL;
}

/* A fresh BPCP_TOKEN in the environment (the jobs get bpsh's). */
static int set_token(void)
{
	char tok[TOKEN_LEN + 1];
	uint8_t rnd[TOKEN_LEN / 2];
	FILE *f = fopen("/dev/urandom", "re");

	if (!f || fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd)) {
		if (f)
			fclose(f);
		return fail("/dev/urandom: %s", strerror(errno));
	}
	fclose(f);
	for (size_t i = 0; i < sizeof(rnd); i++)
		sprintf(tok + 2 * i, "%02x", rnd[i]);
	setenv("BPCP_TOKEN", tok, 1);
	return 0;
}

/*
 * The nodes of @spec: *@set, and in *@hops those a receiver will start
 * on (up or, for root, unavailable; the caller may run there; an IPv4
 * address), with their addresses. -1 with the reason said.
 */
static int tree_nodes(const char *spec, struct bproc_nodeset *set,
		      struct bpcp_hop **hops, uint32_t *nhops)
{
	struct bproc_node_info *list = NULL;
	int n = 0;

	*hops = NULL;
	*nhops = 0;
	if (parse_spec(spec, set, &list, &n))
		return -1;
	*hops = calloc((size_t)set->count + 1, sizeof(**hops));
	if (!*hops) {
		free(list);
		return fail("out of memory");
	}
	for (int i = 0; i < set->count; i++) {
		const struct bproc_node_info *ni = NULL;

		for (int j = 0; j < n && !ni; j++)
			if (list[j].node == set->nodes[i])
				ni = &list[j];
		if (!ni || ni->addr_family != AF_INET ||
		    bproc_access(set->nodes[i], X_OK))
			continue;	/* bpsh says why it does not run there */
		(*hops)[*nhops].node = set->nodes[i];
		memcpy(&(*hops)[*nhops].addr, ni->addr, 4);
		(*nhops)++;
	}
	free(list);
	return 0;
}

/*
 * The port each of @hops[0..n) listens on, from the "bpcp-port NODE
 * PORT" lines of @f (the receivers' output through bpsh), until all are
 * known or PORTS_MS passed. Those that did not say are dropped from the
 * list (their receivers fail by themselves, bpsh reports them).
 */
#define PORTS_MS	30000	/* half of what a receiver waits for its sender */
static uint32_t tree_ports(int fd, struct bpcp_hop *hops, uint32_t n)
{
	char buf[4096];
	size_t have = 0;
	uint32_t known = 0, k = 0;
	long long deadline = now_ms() + PORTS_MS;

	while (known < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		char *nl;
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		r = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			int node;
			unsigned int port;

			*nl = '\0';
			if (sscanf(buf, "bpcp-port %d %u", &node, &port) == 2 &&
			    port && port < 65536)
				for (uint32_t i = 0; i < n; i++)
					if (hops[i].node == node && !hops[i].port) {
						hops[i].port = (uint16_t)port;
						known++;
					}
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have + 1);
		}
		if (have == sizeof(buf) - 1)
			have = 0;	/* a line that long is none of ours */
	}
	for (uint32_t i = 0; i < n; i++)
		if (hops[i].port)
			hops[k++] = hops[i];
	return k;
}

/*
 * master -> several nodes along a tree of width @fanout: receivers that
 * listen and copy on (bpsh -n SPEC bpcp --recv --listen --relay), their
 * ports from their output, then the stream from a sender here to the
 * first @fanout of them, each forwarding to its subtree (tree.c).
 */
static int to_many(const char *self, const char *spec, const char *dpath,
		   char **srcs, int nsrc, unsigned int fanout)
{
	struct bproc_nodeset set = { 0 };
	struct bpcp_hop *hops, *tree;
	char *rargv[12];
	uint32_t n;
	int p[2], q[2], st, c;
	pid_t r, snd;

	if (tree_nodes(spec, &set, &hops, &n) || set_token())
		return 1;
	receiver_argv(rargv, spec, self, nsrc > 1, RECV_RELAY, dpath);
	if (pipe2(p, O_CLOEXEC))
		return fail("pipe: %s", strerror(errno)) ? 1 : 1;
	r = spawn(rargv, -1, p[1]);
	close(p[1]);
	n = tree_ports(p[0], hops, n);
	tree = calloc(n + 1, sizeof(*tree));
	if (!tree || pipe2(q, O_CLOEXEC)) {
		kill(r, SIGTERM);
		wait_status(r);
		return fail("out of memory") ? 1 : 1;
	}
	tree_plan(hops, n, fanout, tree);
	if (n) {
		snd = fork_sender(srcs, nsrc, q[1], q[0]);
		tree_pump(tree, n, q[0]);
		close(q[0]);
		c = wait_status(snd);
	} else {			/* bpsh says why */
		close(q[0]);
		close(q[1]);
		c = fail("'%s': no receiver started", spec) ? 1 : 1;
	}
	{
		char buf[256];

		while (read(p[0], buf, sizeof(buf)) > 0)
			;		/* late receivers' lines */
	}
	close(p[0]);
	st = wait_status(r);
	free(tree);
	free(hops);
	bproc_nodeset_free(&set);
	return st ? st : c;
}

/* How many nodes @spec names, or -1 when it is wrong (said). */
static int spec_count(const char *spec)
{
	struct bproc_nodeset set = { 0 };
	int count = parse_spec(spec, &set, NULL, NULL) ? -1 : set.count;

	bproc_nodeset_free(&set);
	return count;
}

/*
 * --send --tree NODE=ADDR:PORT,... [--fanout K]: the root of a tree to
 * receivers started with --listen --relay (what the command does for
 * NODESPEC:PATH, without bpsh; tests/local.sh).
 */
static int send_tree_arg(const char *arg, unsigned int fanout, char **srcs,
			 int nsrc)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	struct bpcp_hop *hops = calloc(BPCP_TREE_MAX, sizeof(*hops)), *tree;
	uint32_t n = 0;
	int q[2], c;
	pid_t snd;

	if (!copy || !hops)
		return fail("out of memory") ? 1 : 1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char addr[INET_ADDRSTRLEN];
		int node;
		unsigned int port;
		struct in_addr a;

		if (n == BPCP_TREE_MAX || sscanf(tok, "%d=%15[0-9.]:%u", &node, addr, &port) != 3 ||
		    !port || port > 65535 || inet_pton(AF_INET, addr, &a) != 1)
			return fail("--tree '%s': not NODE=ADDR:PORT", tok) ? 1 : 1;
		hops[n].node = node;
		hops[n].addr = a.s_addr;
		hops[n++].port = (uint16_t)port;
	}
	tree = calloc(n + 1, sizeof(*tree));
	if (!tree || pipe2(q, O_CLOEXEC))
		return fail("out of memory") ? 1 : 1;
	tree_plan(hops, n, fanout, tree);
	snd = fork_sender(srcs, nsrc, q[1], q[0]);
	c = tree_pump(tree, n, q[0]) ? 1 : 0;
	close(q[0]);
	c |= wait_status(snd);
	free(tree);
	free(hops);
	free(copy);
	return c;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-p] [-r] SRC... DEST\n"
		"Copy files between the master and nodes. SRC and DEST are PATH (on the\n"
		"master) or NODE:PATH; DEST may be NODESPEC:PATH (every node of it).\n"
		"Sources are on one machine; node to node the data goes straight.\n"
		"\n"
		"  -p   keep modes, times (and owners, as root)\n"
		"  -r   copy directories and everything under them\n"
		"  --fanout K  to several nodes along a tree of width K: the master\n"
		"       sends to K nodes, each node on to K more (default %d; 0:\n"
		"       the master sends to every node)\n"
		"  -h, --help, -V, --version\n", prog, BPCP_FANOUT_DEFAULT);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "send", no_argument, NULL, 'S' },
		{ "recv", no_argument, NULL, 'R' },
		{ "listen", no_argument, NULL, 'L' },
		{ "to", required_argument, NULL, 'T' },
		{ "several", no_argument, NULL, 'M' },
		{ "relay", no_argument, NULL, 'Y' },
		{ "fanout", required_argument, NULL, 'F' },
		{ "tree", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	bool do_send = false, do_recv = false, listen_ = false, several = false;
	bool relay = false;
	const char *treearg = NULL;
	unsigned int fanout = BPCP_FANOUT_DEFAULT;
	const char *to = NULL, *dpath, *spath = NULL;
	char *dspec, *sspec = NULL, self[PATH_MAX];
	int c, nsrc, st = 0;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "+prhV", opts, NULL)) != -1) {
		switch (c) {
		case 'p': opt_p = true; break;
		case 'r': opt_r = true; break;
		case 'S': do_send = true; break;
		case 'R': do_recv = true; break;
		case 'L': listen_ = true; break;
		case 'T': to = optarg; break;
		case 'M': several = true; break;
		case 'Y': relay = true; break;
		case 'E': treearg = optarg; break;
		case 'F': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v > BPCP_FANOUT_MAX ||
			    optarg[0] == '-')
				return fail("--fanout '%s': not a width from 0 to %d",
					    optarg, BPCP_FANOUT_MAX) ? 1 : 1;
			fanout = (unsigned int)v;
			break;
		}
		case 'h': usage(stdout); return 0;
		case 'V': printf("%s %s\n", prog, BPCP_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	argv += optind;
	argc -= optind;
	/* The halves that run on a node (or here), from the command below. */
	if (do_send && treearg)
		return send_tree_arg(treearg, fanout, argv, argc);
	if (do_send)
		return (to ? send_to(to, argv, argc) : send_all(1, argv, argc)) ? 1 : 0;
	if (do_recv) {
		if (argc != 1)
			return fail("--recv takes one DEST") ? 1 : 1;
		if (relay && !listen_)
			return fail("--relay goes with --listen") ? 1 : 1;
		return (listen_ ? recv_listen(argv[0], several, relay) :
			recv_all(0, argv[0], several, NULL)) ? 1 : 0;
	}
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	nsrc = argc - 1;
	split_loc(argv[argc - 1], &dspec, &dpath);
	for (int i = 0; i < nsrc; i++) {
		char *s;
		const char *p;

		split_loc(argv[i], &s, &p);
		if (i && (!s != !sspec || (s && strcmp(s, sspec))))
			return fail("the sources are on more than one machine") ? 1 : 1;
		if (!i) {
			sspec = s;
			spath = p;
		} else {
			free(s);
		}
		argv[i] = (char *)p;
	}
	(void)spath;
	if (!*dpath)
		return fail("'%s': no path to copy to", argv[argc - 1]) ? 1 : 1;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return fail("/proc/self/exe: %s", strerror(errno)) ? 1 : 1;
	self[n] = '\0';

	/* Sources here: what is wrong with them, before anything starts. */
	for (int i = 0; !sspec && i < nsrc; i++) {
		struct stat sst;

		if (lstat(argv[i], &sst))
			return fail("%s: %s", argv[i], strerror(errno)) ? 1 : 1;
		if (S_ISDIR(sst.st_mode) && !opt_r)
			return fail("%s: a directory (-r copies trees)", argv[i]) ? 1 : 1;
	}
	if (!sspec && !dspec) {			/* here to here */
		int p[2];
		pid_t snd;

		if (pipe2(p, O_CLOEXEC))
			return fail("pipe: %s", strerror(errno)) ? 1 : 1;
		snd = fork_sender(argv, nsrc, p[1], p[0]);
		st = recv_all(p[0], dpath, nsrc > 1, NULL) ? 1 : 0;
		close(p[0]);
		c = wait_status(snd);
		return st ? st : c;
	}
	if (!sspec && (c = spec_count(dspec)) < 0)
		return 1;			/* nothing started */
	if (!sspec && fanout && c > 1)		/* master -> nodes, a tree */
		return to_many(self, dspec, dpath, argv, nsrc, fanout);
	if (!sspec) {		/* master -> one node, or every node through bpsh's stdin */
		char *bargv[12];
		int p[2];
		pid_t snd, b;

		receiver_argv(bargv, dspec, self, nsrc > 1, RECV_STDIN, dpath);
		if (pipe2(p, O_CLOEXEC))
			return fail("pipe: %s", strerror(errno)) ? 1 : 1;
		b = spawn(bargv, p[0], -1);
		close(p[0]);
		snd = fork_sender(argv, nsrc, p[1], -1);
		c = wait_status(snd);
		st = wait_status(b);
		return st ? st : c;
	}
	if (!dspec) {				/* node -> master */
		int node = one_node(sspec), p[2];
		char nodestr[16], **bargv = calloc((size_t)nsrc + 10, sizeof(char *));
		pid_t b;

		if (node < 0 || !bargv)
			return 1;
		sender_argv(bargv, nodestr, sizeof(nodestr), node, self, NULL,
			    argv, nsrc);
		if (pipe2(p, O_CLOEXEC))
			return fail("pipe: %s", strerror(errno)) ? 1 : 1;
		b = spawn(bargv, -1, p[1]);
		close(p[1]);
		st = recv_all(p[0], dpath, nsrc > 1, NULL) ? 1 : 0;
		close(p[0]);
		c = wait_status(b);
		return c ? c : st;
	}
	{						/* node -> node */
		int from = one_node(sspec), to_node = one_node(dspec), p[2];
		char line[64], dest[64], nodestr[16], tostr[16];
		char **bargv = calloc((size_t)nsrc + 10, sizeof(char *));
		char *rargv[12];
		struct bproc_node_info info;
		unsigned int port = 0;
		FILE *f;
		pid_t r, s;

		if (from < 0 || to_node < 0 || !bargv)
			return 1;
		receiver_argv(rargv, tostr, self, nsrc > 1, RECV_LISTEN, dpath);
		if (bproc_nodeinfo(to_node, &info) || info.addr_family != AF_INET)
			return fail("node %d: no address: %s", to_node, strerror(errno)) ? 1 : 1;
		if (set_token())
			return 1;
		snprintf(tostr, sizeof(tostr), "%d", to_node);
		if (pipe2(p, O_CLOEXEC))
			return fail("pipe: %s", strerror(errno)) ? 1 : 1;
		r = spawn(rargv, -1, p[1]);
		close(p[1]);
		f = fdopen(p[0], "r");
		if (!f || !fgets(line, sizeof(line), f) ||
		    sscanf(line, "bpcp-port %u", &port) != 1 || !port || port > 65535) {
			kill(r, SIGTERM);
			wait_status(r);
			return fail("node %d: the receiver did not start", to_node) ? 1 : 1;
		}
		inet_ntop(AF_INET, info.addr, dest, sizeof(dest) - 8);
		snprintf(dest + strlen(dest), 8, ":%u", port);
		sender_argv(bargv, nodestr, sizeof(nodestr), from, self, dest,
			    argv, nsrc);
		s = spawn(bargv, -1, -1);
		c = wait_status(s);
		if (c)
			kill(r, SIGTERM);
		while (fgets(line, sizeof(line), f))
			;
		fclose(f);
		st = wait_status(r);
		return c ? c : st;
	}
}
