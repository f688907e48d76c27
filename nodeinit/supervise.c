// SPDX-License-Identifier: GPL-2.0
/*
 * Supervised programs: start, notice the exit, restart after a backoff
 * delay. Being PID 1, also reap every orphan that is handed to us.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bp_backoff.h"
#include "nodeinit.h"
#include "wstatus.h"

/*
 * Restart policy: the first restart waits 1 s, each further one twice as
 * long, at most 10 s; a program that ran for 30 s or longer before it
 * exited counts as healthy, so its next restart waits 1 s again.
 */
static const struct bp_backoff ni_backoff = {
	.min_ms = 1000, .max_ms = 10000, .reset_ms = 30000,
};

static void svc_start(struct ni_ctx *ctx, struct ni_service *s);

static void svc_due(struct bp_loop *l, struct bp_timer *t)
{
	struct ni_service *s = (struct ni_service *)t;

	if (s->wanted && !s->pid)
		svc_start(s->ctx, s);
}

void ni_svc_init(struct ni_ctx *ctx, struct ni_service *s, const char *name,
		 bool on_tty)
{
	memset(s, 0, sizeof(*s));
	bp_timer_init(&s->restart, svc_due);
	s->ctx = ctx;
	s->name = name;
	s->on_tty = on_tty;
	s->netns = -1;
}

/* Start @s again in @delay_ms; without a timer, a start is lost: say so. */
static void svc_restart_in(struct ni_ctx *ctx, struct ni_service *s,
			   unsigned int delay_ms)
{
	int ret = bp_timer_start(&ctx->loop, &s->restart,
				 (uint64_t)delay_ms * BP_NS_PER_MS, 0);

	if (ret)
		ni_log(ctx, "cannot schedule a restart of %s: %s", s->name,
		       strerror(-ret));
}

/*
 * The device behind /dev/console (the last name in
 * /sys/class/tty/console/active), so an interactive shell can have it as
 * its controlling terminal: /dev/console itself never becomes one.
 */
static void console_tty(char *path, size_t size)
{
	char buf[128], *name;
	size_t len;

	snprintf(path, size, "/dev/console");
	if (ni_read_file("/sys/class/tty/console/active", buf, sizeof(buf), &len))
		return;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	name = strrchr(buf, ' ');
	name = name ? name + 1 : buf;
	if (*name && !strchr(name, '/') && strlen(name) + 6 < size) {
		memcpy(path, "/dev/", 5);
		strcpy(path + 5, name);
	}
}

static void __attribute__((noreturn))
child_exec(const struct ni_ctx *ctx, const struct ni_service *s)
{
	sigset_t none;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (s->netns >= 0 && setns(s->netns, CLONE_NEWNET)) {
		ni_log(ctx, "%s: cannot enter its network namespace: %s",
		       s->name, strerror(errno));
		_exit(127);
	}
	if (s->env)
		putenv((char *)s->env);
	if (s->on_tty) {
		char tty[64];

		console_tty(tty, sizeof(tty));
		fd = open(tty, O_RDWR);
		if (fd < 0)
			fd = open("/dev/console", O_RDWR);
		if (fd >= 0)
			ioctl(fd, TIOCSCTTY, 1);
		setenv("PS1", "\\h:\\w\\$ ", 1);
	} else {
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0)
			dup2(fd, 0);
		fd = open("/dev/console", O_WRONLY | O_NOCTTY);
	}
	if (fd >= 0) {
		if (s->on_tty)
			dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	/* Our own descriptors are close-on-exec; drop anything else too. */
	close_range(3, ~0U, 0);
	execvp(s->argv[0], (char *const *)s->argv);
	ni_log(ctx, "%s: cannot run %s: %s", s->name, s->argv[0], strerror(errno));
	_exit(127);
}

static void log_start(const struct ni_ctx *ctx, const struct ni_service *s)
{
	char line[256];
	size_t off = 0, i;

	line[0] = '\0';
	for (i = 0; s->argv[i] && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s",
					i ? " " : "", s->argv[i]);
	ni_log(ctx, "started %s (pid %d): %s", s->name, (int)s->pid, line);
}

static void svc_start(struct ni_ctx *ctx, struct ni_service *s)
{
	pid_t pid = fork();

	if (pid == 0)
		child_exec(ctx, s);
	if (pid < 0) {
		s->delay_ms = bp_backoff_next(&ni_backoff, s->delay_ms, 0);
		ni_log(ctx, "cannot start %s: fork: %s, retrying in %us",
		       s->name, strerror(errno), s->delay_ms / 1000);
		svc_restart_in(ctx, s, s->delay_ms);
		return;
	}
	s->pid = pid;
	s->started_ms = bp_now_mono_ms();
	bp_timer_stop(&ctx->loop, &s->restart);
	log_start(ctx, s);
}

/* Start @s now (if it is not running) and keep it running from now on. */
void ni_svc_enable(struct ni_ctx *ctx, struct ni_service *s)
{
	s->wanted = true;
	if (!s->pid && !bp_timer_armed(&s->restart))
		svc_start(ctx, s);
}

/*
 * A virtual node's bpslave that ended on the master's request (status
 * from bpslave --virtual): restarted at once, or left down. True when
 * that is what happened.
 */
static bool vnode_request(struct ni_ctx *ctx, struct ni_service *s,
			  int wstatus)
{
	switch (ni_vnode_exit(wstatus)) {
	case NI_VEXIT_REBOOT:
		ni_log(ctx, "%s: rebooted by the master: restarting bpslave now",
		       s->name);
		s->delay_ms = 0;
		svc_restart_in(ctx, s, 0);
		return true;
	case NI_VEXIT_HALT:
	case NI_VEXIT_POWEROFF:
		ni_log(ctx, "%s: %s by the master: bpslave stays down until this node reboots",
		       s->name, ni_vnode_exit(wstatus) == NI_VEXIT_HALT ?
		       "halted" : "powered off");
		s->wanted = false;
		return true;
	default:
		return false;
	}
}

static void svc_exited(struct ni_ctx *ctx, struct ni_service *s, int wstatus)
{
	uint64_t now = bp_now_mono_ms();
	char how[96];

	ni_wstatus_str(wstatus, how, sizeof(how));
	s->pid = 0;
	if (!s->wanted) {
		ni_log(ctx, "%s exited (%s)", s->name, how);
		return;
	}
	if (s->vnode && vnode_request(ctx, s, wstatus))
		return;
	s->delay_ms = bp_backoff_next(&ni_backoff, s->delay_ms,
				      now - s->started_ms);
	ni_log(ctx, "%s exited (%s), restarting in %us", s->name, how,
	       s->delay_ms / 1000);
	svc_restart_in(ctx, s, s->delay_ms);
}

/* Collect every child that has exited: ours, and orphans handed to us. */
void ni_reap(struct ni_ctx *ctx)
{
	char how[96];
	unsigned int u;
	pid_t pid;
	int wstatus, i;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		struct ni_service *s = NULL;

		for (i = 0; i < NI_SVC_COUNT && !s; i++) {
			if (ctx->svc[i].pid == pid)
				s = &ctx->svc[i];
		}
		for (u = 0; u < ctx->nvnodes && !s; u++) {
			if (ctx->vnodes[u].dhcp.pid == pid)
				s = &ctx->vnodes[u].dhcp;
			else if (ctx->vnodes[u].bpslave.pid == pid)
				s = &ctx->vnodes[u].bpslave;
		}
		if (s)
			svc_exited(ctx, s, wstatus);
		else
			ni_debug(ctx, "reaped pid %d (%s)", (int)pid,
				 ni_wstatus_str(wstatus, how, sizeof(how)));
	}
}
