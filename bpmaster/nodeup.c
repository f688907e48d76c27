// SPDX-License-Identifier: GPL-2.0
/*
 * The node_up step (docs/config.md, "nodeup"): a node that connected is
 * in state boot until the executables of the nodeup directory have run
 * on the master for it, one after another in name order, each with the
 * node number as its argument and BPROC_NODE, BPROC_NODE_ADDR in its
 * environment (to copy files to the node, set its mode, check it). All
 * exit 0: the node is up. One that fails, is killed or outlives
 * nodeuptimeout: the node is in state error with that reason, and the
 * rest do not run. Each runs in its own process group, killed whole at
 * the timeout or when the node goes away meanwhile. The loop watches
 * each child through a pidfd: bpmaster never blocks on one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bpmaster.h"

/* Most executables a nodeup directory may hold. */
#define NODEUP_MAX	256

struct bpm_nodeup {
	struct bp_io io;		/* first: the child's pidfd */
	struct bpm *m;
	struct bpm_conn *c;
	char **names;			/* sorted */
	size_t n, next;			/* names[next - 1] runs */
	pid_t pid;
	struct bp_timer timeout;
	bool timed_out;
	/* the configuration when the step started (a reload may change it) */
	char dir[BP_CFG_PATH_LEN];
	unsigned int limit_s;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * The executables of @dir in name order (dotfiles, directories and files
 * without an execute bit skipped). 0, -errno, or -E2BIG past NODEUP_MAX.
 */
static int scan(const char *dir, char ***out, size_t *count)
{
	char **names = NULL, **nn, path[BP_CFG_PATH_LEN + 256];
	struct dirent *d;
	struct stat st;
	size_t n = 0;
	DIR *dp = opendir(dir);

	*out = NULL;
	*count = 0;
	if (!dp)
		return -errno;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & 0111))
			continue;
		if (n == NODEUP_MAX) {
			closedir(dp);
			free_names(names, n);
			return -E2BIG;
		}
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn || !(nn[n] = strdup(d->d_name))) {
			closedir(dp);
			free_names(nn ? nn : names, n);
			return -ENOMEM;
		}
		names = nn;
		n++;
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), name_cmp);
	*out = names;
	*count = n;
	return 0;
}

/* Kill the running script's process group, and it if it left the group. */
static void kill_script(const struct bpm_nodeup *u)
{
	kill(-u->pid, SIGKILL);
	kill(u->pid, SIGKILL);
}

static void finish(struct bpm_nodeup *u, int err, const char *why)
{
	struct bpm_conn *c = u->c;
	struct bpm *m = u->m;

	c->nodeup = NULL;
	bp_timer_stop(&m->loop, &u->timeout);
	free_names(u->names, u->n);
	free(u);
	bpm_node_up_done(m, c, err, why);
}

/* In the child: the script @path for node @node, never returns. */
static void __attribute__((noreturn)) child(const char *path, int node,
					    const char *addr)
{
	char num[16];
	int nul;

	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);	/* bpmaster's signalfd set */
	setsid();
	snprintf(num, sizeof(num), "%d", node);
	nul = open("/dev/null", O_RDONLY);
	if (nul > 0) {
		dup2(nul, 0);
		close(nul);
	}
	dup2(2, 1);		/* its output goes where bpmaster logs */
	closefrom(3);
	signal(SIGPIPE, SIG_DFL);
	setenv("BPROC_NODE", num, 1);
	setenv("BPROC_NODE_ADDR", addr, 1);
	execl(path, path, num, (char *)NULL);
	fprintf(stderr, "bpmaster: node_up: %s: %s\n", path, strerror(errno));
	_exit(127);
}

static void child_exited(struct bp_loop *l, struct bp_io *io, uint32_t events);

/* Start the next script, or finish: 0, or the step is over. */
static void run_next(struct bpm_nodeup *u)
{
	struct bpm *m = u->m;
	struct bpm_conn *c = u->c;
	char path[BP_CFG_PATH_LEN + 256], addr[INET_ADDRSTRLEN], why[200];
	const char *name;
	int pidfd;

	if (u->next == u->n) {
		finish(u, 0, NULL);
		return;
	}
	name = u->names[u->next++];
	snprintf(path, sizeof(path), "%s/%s", u->dir, name);
	inet_ntop(AF_INET, &c->peer.sin_addr, addr, sizeof(addr));
	bpm_log(m, LOG_INFO, "node %d: node_up: running %s", c->node, name);
	u->timed_out = false;
	u->pid = fork();
	if (u->pid == 0)
		child(path, c->node, addr);
	pidfd = u->pid > 0 ? (int)syscall(SYS_pidfd_open, u->pid, 0) : -1;
	if (pidfd < 0 || bp_io_add(&m->loop, &u->io, pidfd, EPOLLIN) ||
	    bp_timer_start(&m->loop, &u->timeout,
			   (uint64_t)u->limit_s * BP_NS_PER_S, 0)) {
		snprintf(why, sizeof(why), "node_up: cannot run %s: %s", name,
			 strerror(errno ? errno : ENOMEM));
		if (u->pid > 0) {
			kill_script(u);
			waitpid(u->pid, NULL, 0);
		}
		if (pidfd >= 0) {
			bp_io_del(&m->loop, &u->io);
			close(pidfd);
		}
		finish(u, -EIO, why);
	}
}

static void timed_out(struct bp_loop *l, struct bp_timer *t)
{
	struct bpm_nodeup *u = bp_container_of(t, struct bpm_nodeup, timeout);

	u->timed_out = true;
	kill_script(u);
}

static void child_exited(struct bp_loop *l, struct bp_io *io, uint32_t events)
{
	struct bpm_nodeup *u = bp_container_of(io, struct bpm_nodeup, io);
	const char *name = u->names[u->next - 1];
	struct bpm *m = u->m;
	siginfo_t si = { 0 };
	char why[200];
	int fd = io->fd;

	if (waitid(P_PID, (id_t)u->pid, &si, WEXITED | WNOHANG) || !si.si_pid)
		return;		/* not yet */
	bp_io_del(&m->loop, io);
	close(fd);
	bp_timer_stop(&m->loop, &u->timeout);
	if (u->timed_out) {
		kill(-u->pid, SIGKILL);	/* what it left in its group */
		snprintf(why, sizeof(why), "node_up: %s timed out after %u s",
			 name, u->limit_s);
	} else if (si.si_code == CLD_EXITED && si.si_status == 0) {
		run_next(u);
		return;
	} else if (si.si_code == CLD_EXITED) {
		snprintf(why, sizeof(why), "node_up: %s exited with status %d",
			 name, si.si_status);
	} else {
		snprintf(why, sizeof(why), "node_up: %s killed by signal %d",
			 name, si.si_status);
	}
	finish(u, -EIO, why);
}

int bpm_nodeup_start(struct bpm *m, struct bpm_conn *c)
{
	struct bpm_nodeup *u;
	char why[BP_CFG_PATH_LEN + 64];
	int ret;

	if (!m->cfg.nodeup[0])
		return 0;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->m = m;
	u->c = c;
	bp_io_init(&u->io, child_exited);
	bp_timer_init(&u->timeout, timed_out);
	snprintf(u->dir, sizeof(u->dir), "%s", m->cfg.nodeup);
	u->limit_s = m->cfg.nodeup_timeout;
	ret = scan(u->dir, &u->names, &u->n);
	if (ret) {
		free(u);
		snprintf(why, sizeof(why), "node_up: %s: %s", m->cfg.nodeup,
			 ret == -E2BIG ? "more than 256 executables" : strerror(-ret));
		bpm_node_up_done(m, c, ret, why);
		return 1;
	}
	c->nodeup = u;
	run_next(u);
	return 1;
}

void bpm_nodeup_abort(struct bpm *m, struct bpm_conn *c)
{
	struct bpm_nodeup *u = c->nodeup;

	if (!u)
		return;
	bpm_log(m, LOG_INFO, "node %d: node_up: %s stopped, the node is gone",
		c->node, u->names[u->next - 1]);
	kill_script(u);
	while (waitpid(u->pid, NULL, 0) < 0 && errno == EINTR)
		;
	bp_io_del(&m->loop, &u->io);
	close(u->io.fd);
	bp_timer_stop(&m->loop, &u->timeout);
	c->nodeup = NULL;
	free_names(u->names, u->n);
	free(u);
}
