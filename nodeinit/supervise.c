// SPDX-License-Identifier: GPL-2.0
/*
 * Supervised programs: start, notice the exit, restart after a backoff
 * delay. Being PID 1, also reap every orphan that is handed to us.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backoff.h"
#include "nodeinit.h"
#include "wstatus.h"

void ni_svc_init(struct ni_service *s, const char *name, bool on_tty)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->on_tty = on_tty;
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

static void svc_start(struct ni_ctx *ctx, struct ni_service *s, uint64_t now)
{
	pid_t pid = fork();

	if (pid == 0)
		child_exec(ctx, s);
	if (pid < 0) {
		s->delay_ms = ni_backoff_next(s->delay_ms, 0);
		s->restart_at_ms = now + s->delay_ms;
		ni_log(ctx, "cannot start %s: fork: %s, retrying in %us",
		       s->name, strerror(errno), s->delay_ms / 1000);
		return;
	}
	s->pid = pid;
	s->started_ms = now;
	s->restart_at_ms = 0;
	log_start(ctx, s);
}

/* Start @s now (if it is not running) and keep it running from now on. */
void ni_svc_enable(struct ni_ctx *ctx, struct ni_service *s)
{
	s->wanted = true;
	if (!s->pid && !s->restart_at_ms)
		s->restart_at_ms = ni_now_ms();
	ni_svc_run_due(ctx);
}

/* Start every wanted program whose restart time has come. */
void ni_svc_run_due(struct ni_ctx *ctx)
{
	uint64_t now = ni_now_ms();
	int i;

	for (i = 0; i < NI_SVC_COUNT; i++) {
		struct ni_service *s = &ctx->svc[i];

		if (s->wanted && !s->pid && s->restart_at_ms &&
		    s->restart_at_ms <= now)
			svc_start(ctx, s, now);
	}
}

/* Milliseconds until the next pending restart, or -1 (for poll()). */
int ni_svc_poll_timeout(const struct ni_ctx *ctx)
{
	uint64_t now = ni_now_ms(), next = UINT64_MAX;
	int i;

	for (i = 0; i < NI_SVC_COUNT; i++) {
		const struct ni_service *s = &ctx->svc[i];

		if (s->wanted && !s->pid && s->restart_at_ms &&
		    s->restart_at_ms < next)
			next = s->restart_at_ms;
	}
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

static void svc_exited(struct ni_ctx *ctx, struct ni_service *s, int wstatus)
{
	uint64_t now = ni_now_ms();
	char how[96];

	ni_wstatus_str(wstatus, how, sizeof(how));
	s->pid = 0;
	if (!s->wanted) {
		ni_log(ctx, "%s exited (%s)", s->name, how);
		return;
	}
	s->delay_ms = ni_backoff_next(s->delay_ms, now - s->started_ms);
	s->restart_at_ms = now + s->delay_ms;
	ni_log(ctx, "%s exited (%s), restarting in %us", s->name, how,
	       s->delay_ms / 1000);
}

/* Collect every child that has exited: ours, and orphans handed to us. */
void ni_reap(struct ni_ctx *ctx)
{
	char how[96];
	pid_t pid;
	int wstatus, i;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		for (i = 0; i < NI_SVC_COUNT; i++) {
			if (ctx->svc[i].pid == pid)
				break;
		}
		if (i < NI_SVC_COUNT)
			svc_exited(ctx, &ctx->svc[i], wstatus);
		else
			ni_debug(ctx, "reaped pid %d (%s)", (int)pid,
				 ni_wstatus_str(wstatus, how, sizeof(how)));
	}
}
