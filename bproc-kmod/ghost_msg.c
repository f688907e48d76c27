// SPDX-License-Identifier: GPL-2.0
/*
 * Messages from a node about one of its processes (routed here by
 * msg_in.c): REXEC_RESULT ends the wait of the REXEC, PSTATUS is kept for
 * /proc, STOP and CONT make the ghost stop and continue locally so that
 * its parent's wait reports them, EXIT ends the ghost with the process's
 * wait status.
 *
 * Each handler checks its payload, then acts on the running ghost of
 * hdr->pid on hdr->node under bproc_ghosts_lock and the ghost's lock
 * (bproc_ghost_apply()). Return: 0; -EINVAL for a bad payload or one
 * that does not fit the ghost's state (a result that is not awaited or
 * has another id; status, stop, continue or exit before the result);
 * -ESRCH when @hdr->pid is no ghost of @hdr->node.
 */

#include <linux/errno.h>
#include <linux/sched/signal.h>
#include <linux/string.h>

#include "ghost_priv.h"

/* What a handler leaves to do once the ghost's lock is dropped. */
struct bproc_ghost_after {
	int local;		/* a signal for bproc_ghost_local() */
	bool wake;		/* wake the ghost's loop */
};

typedef int (*bproc_ghost_apply_fn)(struct bproc_ghost *g,
				    const struct bproc_msg_hdr *hdr,
				    const void *payload,
				    struct bproc_ghost_after *after);

/* Run @fn on the ghost of @hdr with both locks held, then act on it. */
static int bproc_ghost_apply(const struct bproc_msg_hdr *hdr,
			     const void *payload, bproc_ghost_apply_fn fn)
{
	struct bproc_ghost_after after = { 0 };
	struct bproc_ghost *g;
	int err;

	spin_lock(&bproc_ghosts_lock);
	g = bproc_ghost_find(hdr->pid);
	if (!g || g->node != hdr->node) {
		spin_unlock(&bproc_ghosts_lock);
		return -ESRCH;
	}
	spin_lock_irq(&g->lock);
	err = fn(g, hdr, payload, &after);
	spin_unlock_irq(&g->lock);
	if (after.local)
		bproc_ghost_local(g, after.local);
	if (after.wake)
		wake_up(&g->wait);
	spin_unlock(&bproc_ghosts_lock);
	return err;
}

/* A wait status a process can end with: exited, or killed by a signal. */
static bool bproc_ghost_status_ok(s32 status)
{
	int sig = status & 0x7f;

	if (sig == 0)
		return !(status & ~0xff00);
	return sig <= _NSIG && !(status & ~0xff);
}

static bool bproc_ghost_pstatus_ok(const struct bproc_msg_pstatus *ps)
{
	if (!ps->state || !strchr("RSDTtWXZPIK", ps->state))
		return false;
	return !memchr_inv(ps->__pad, 0, sizeof(ps->__pad));
}

/* A signal that stops a process by default: what STOP may carry. */
static bool bproc_ghost_stop_sig_ok(s32 sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

static int bproc_ghost_result(struct bproc_ghost *g,
			      const struct bproc_msg_hdr *hdr,
			      const void *payload, struct bproc_ghost_after *after)
{
	const s32 *error = payload;

	if (g->state != BPROC_GHOST_WAIT || hdr->id != g->id)
		return -EINVAL;
	g->state = *error ? BPROC_GHOST_FAILED : BPROC_GHOST_RUNNING;
	g->error = *error;
	after->wake = true;
	return 0;
}

int bproc_ghost_result_msg(const struct bproc_msg_hdr *hdr,
			   const void *payload)
{
	const s32 *error = payload;

	if (*error < 0 || *error >= MAX_ERRNO)
		return -EINVAL;
	return bproc_ghost_apply(hdr, payload, bproc_ghost_result);
}

static int bproc_ghost_pstatus(struct bproc_ghost *g,
			       const struct bproc_msg_hdr *hdr,
			       const void *payload,
			       struct bproc_ghost_after *after)
{
	if (g->state != BPROC_GHOST_RUNNING)
		return -EINVAL;
	g->ps = *(const struct bproc_msg_pstatus *)payload;
	g->have_ps = true;
	return 0;
}

int bproc_ghost_pstatus_msg(const struct bproc_msg_hdr *hdr,
			    const void *payload)
{
	if (!bproc_ghost_pstatus_ok(payload))
		return -EINVAL;
	return bproc_ghost_apply(hdr, payload, bproc_ghost_pstatus);
}

/*
 * A task that has not turned yet would take the signal as an ordinary
 * one (no hook): it catches up when it turns (bproc_ghost_catch_up()).
 */
static int bproc_ghost_stop_cont(struct bproc_ghost *g,
				 const struct bproc_msg_hdr *hdr,
				 const void *payload,
				 struct bproc_ghost_after *after)
{
	const s32 *signo = payload;

	if (g->state != BPROC_GHOST_RUNNING)
		return -EINVAL;
	g->stopped = hdr->type == BPROC_MSG_STOP;
	if (g->stopped)
		g->stop_sig = *signo;
	if (g->turned)
		after->local = g->stopped ? *signo : SIGCONT;
	return 0;
}

int bproc_ghost_stop_msg(const struct bproc_msg_hdr *hdr, const void *payload)
{
	if (!bproc_ghost_stop_sig_ok(*(const s32 *)payload))
		return -EINVAL;
	return bproc_ghost_apply(hdr, payload, bproc_ghost_stop_cont);
}

int bproc_ghost_cont_msg(const struct bproc_msg_hdr *hdr, const void *payload)
{
	return bproc_ghost_apply(hdr, payload, bproc_ghost_stop_cont);
}

static int bproc_ghost_exit(struct bproc_ghost *g,
			    const struct bproc_msg_hdr *hdr,
			    const void *payload, struct bproc_ghost_after *after)
{
	const struct bproc_msg_exit *ex = payload;

	if (g->state != BPROC_GHOST_RUNNING)
		return -EINVAL;
	after->local = bproc_ghost_end(g, ex->status);
	after->wake = true;
	return 0;
}

int bproc_ghost_exit_msg(const struct bproc_msg_hdr *hdr, const void *payload)
{
	const struct bproc_msg_exit *ex = payload;

	if (!bproc_ghost_status_ok(ex->status) || ex->__pad)
		return -EINVAL;
	return bproc_ghost_apply(hdr, payload, bproc_ghost_exit);
}
