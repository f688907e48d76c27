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

int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 1: all of it, 0: end of the stream before any byte, -1: error or a cut. */
int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return got ? -1 : 0;
		got += (size_t)n;
	}
	return 1;
}

const char *bpcp_token(void)
{
	const char *t = getenv("BPCP_TOKEN");

	return t && strlen(t) == TOKEN_LEN ? t : NULL;
}

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

/* The one node of @spec, or -1 with the reason said. */
static int one_node(const char *spec)
{
	struct bproc_nodeset set = { 0 };
	struct bproc_nodeset_error e = { 0 };
	struct bproc_node_info *list = NULL;
	int node = -1, n = bproc_nodelist(&list);

	if (n < 0)
		fail("node table: %s", strerror(errno));
	else if (bproc_nodeset_parse_list(spec, list, n, &set, &e))
		fail("'%s': %s", spec, errno == EINVAL ? e.msg : strerror(errno));
	else if (set.count != 1)
		fail("'%s': a source is on one node, not %d", spec, set.count);
	else
		node = set.nodes[0];
	bproc_nodeset_free(&set);
	free(list);
	return node;
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
		"  -h, --help, -V, --version\n", prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "send", no_argument, NULL, 'S' },
		{ "recv", no_argument, NULL, 'R' },
		{ "listen", no_argument, NULL, 'L' },
		{ "to", required_argument, NULL, 'T' },
		{ "several", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	bool do_send = false, do_recv = false, listen_ = false, several = false;
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
		case 'h': usage(stdout); return 0;
		case 'V': printf("%s %s\n", prog, BPCP_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	argv += optind;
	argc -= optind;
	/* The halves that run on a node (or here), from the command below. */
	if (do_send)
		return (to ? send_to(to, argv, argc) : send_all(1, argv, argc)) ? 1 : 0;
	if (do_recv) {
		if (argc != 1)
			return fail("--recv takes one DEST") ? 1 : 1;
		return (listen_ ? recv_listen(argv[0], several) :
			recv_all(0, argv[0], several)) ? 1 : 0;
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
		st = recv_all(p[0], dpath, nsrc > 1) ? 1 : 0;
		close(p[0]);
		c = wait_status(snd);
		return st ? st : c;
	}
	if (!sspec) {				/* master -> nodes */
		char *bargv[10];
		int p[2], k = 0;
		pid_t snd, b;

		bargv[k++] = "bpsh";
		bargv[k++] = dspec;
		bargv[k++] = self;
		if (opt_p)
			bargv[k++] = "-p";
		if (nsrc > 1)
			bargv[k++] = "--several";
		bargv[k++] = "--recv";
		bargv[k++] = (char *)dpath;
		bargv[k] = NULL;
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
		st = recv_all(p[0], dpath, nsrc > 1) ? 1 : 0;
		close(p[0]);
		c = wait_status(b);
		return c ? c : st;
	}
	{						/* node -> node */
		int from = one_node(sspec), to_node = one_node(dspec), p[2];
		char tok[TOKEN_LEN + 1], line[64], dest[64], nodestr[16], tostr[16];
		char **bargv = calloc((size_t)nsrc + 10, sizeof(char *));
		char *rargv[10] = { "bpsh", "-n", tostr, self };
		struct bproc_node_info info;
		unsigned int port = 0;
		uint8_t rnd[TOKEN_LEN / 2];
		FILE *f;
		pid_t r, s;

		if (from < 0 || to_node < 0 || !bargv)
			return 1;
		{
			int j = 4;

			if (opt_p)
				rargv[j++] = "-p";
			if (nsrc > 1)
				rargv[j++] = "--several";
			rargv[j++] = "--recv";
			rargv[j++] = "--listen";
			rargv[j++] = (char *)dpath;
			rargv[j] = NULL;
		}
		if (bproc_nodeinfo(to_node, &info) || info.addr_family != AF_INET)
			return fail("node %d: no address: %s", to_node, strerror(errno)) ? 1 : 1;
		f = fopen("/dev/urandom", "re");
		if (!f || fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd))
			return fail("/dev/urandom: %s", strerror(errno)) ? 1 : 1;
		fclose(f);
		for (size_t i = 0; i < sizeof(rnd); i++)
			sprintf(tok + 2 * i, "%02x", rnd[i]);
		setenv("BPCP_TOKEN", tok, 1);	/* the jobs get bpsh's environment */
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
