// SPDX-License-Identifier: GPL-2.0
/*
 * Reboot, halt and power off. busybox reboot/halt/poweroff (and bpslave,
 * on the master's request) ask for them with SIGTERM, SIGUSR1 and
 * SIGUSR2 to PID 1; Ctrl-Alt-Del arrives as SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nodeinit.h"

#define NI_KILL_GRACE_MS	2000

const char *ni_power_name(enum ni_power_cmd cmd)
{
	switch (cmd) {
	case NI_POWER_REBOOT:
		return "reboot";
	case NI_POWER_HALT:
		return "halt";
	case NI_POWER_OFF:
		return "poweroff";
	default:
		return "none";
	}
}

/* Reap until no other process is left (true) or @ms have passed. */
static bool wait_all_gone(unsigned int ms)
{
	const struct timespec step = { .tv_nsec = 20 * 1000 * 1000 };
	uint64_t deadline = bp_now_mono_ms() + ms;

	for (;;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid < 0 && errno == ECHILD)
			return true;
		if (pid > 0)
			continue;
		if (bp_now_mono_ms() >= deadline)
			return false;
		nanosleep(&step, NULL);
	}
}

/*
 * Stop every process (SIGTERM, then SIGKILL), then ni_power_now(). An
 * interactive shell ignores SIGTERM, so the console session also gets
 * the SIGHUP a hangup of its terminal would bring.
 */
void ni_power(struct ni_ctx *ctx, enum ni_power_cmd cmd, const char *why)
{
	int i;

	ni_log(ctx, "%s requested (%s): stopping all processes",
	       ni_power_name(cmd), why);
	for (i = 0; i < NI_SVC_COUNT; i++) {
		if (ctx->svc[i].pid && ctx->svc[i].on_tty)
			kill(-ctx->svc[i].pid, SIGHUP);
	}
	kill(-1, SIGTERM);
	kill(-1, SIGCONT);
	if (!wait_all_gone(NI_STOP_GRACE_MS)) {
		ni_log(ctx, "processes left after %u s: sending SIGKILL",
		       NI_STOP_GRACE_MS / 1000);
		kill(-1, SIGKILL);
		if (!wait_all_gone(NI_KILL_GRACE_MS))
			ni_log(ctx, "processes left after SIGKILL; going on");
	}
	ni_power_now(ctx, cmd);
}

/* sync and reboot(2), without stopping anything first. */
void ni_power_now(struct ni_ctx *ctx, enum ni_power_cmd cmd)
{
	int how = cmd == NI_POWER_HALT ? RB_HALT_SYSTEM :
		  cmd == NI_POWER_OFF ? RB_POWER_OFF : RB_AUTOBOOT;

	sync();
	ni_log(ctx, "%s", cmd == NI_POWER_HALT ? "halting" :
	       cmd == NI_POWER_OFF ? "powering off" : "rebooting");
	reboot(how);
	ni_log(ctx, "reboot(2): %s; nothing left to do", strerror(errno));
	for (;;) {
		if (waitpid(-1, NULL, 0) < 0)
			pause();
	}
}
