// SPDX-License-Identifier: GPL-2.0
/*
 * The /proc and pid hooks of a ghost: /proc/PID/status, stat and the
 * memory lines show the process as the node last reported it (PSTATUS),
 * never waiting for the network; a ghost forking the ghost of a child
 * gets the child's pid (ghost_fork.c).
 */

#include <linux/bproc_hooks.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/seq_file.h>

#include "ghost_priv.h"

/* The proc_status hook: which node the process runs on. */
void bproc_ghost_proc_status(struct bproc_ghost *g, struct seq_file *m)
{
	seq_printf(m, "BProcNode:\t%d\n", g->node);
}

/* The proc_stat hook: the process as the node last reported it. */
void bproc_ghost_proc_stat(struct bproc_ghost *g, struct bproc_proc_stat *st)
{
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	if (g->state == BPROC_GHOST_RUNNING && g->have_ps) {
		st->state = g->ps.state;
		st->num_threads = g->ps.threads;
		st->utime = g->ps.utime_ns;
		st->stime = g->ps.stime_ns;
		st->min_flt = g->ps.minflt;
		st->maj_flt = g->ps.majflt;
		st->vsize = g->ps.vsize;
		st->rss = g->ps.rss >> PAGE_SHIFT;
	}
	spin_unlock_irqrestore(&g->lock, flags);
}

/*
 * The proc_status_mem hook: the memory lines of /proc/PID/status, from
 * the node's last report (what ps shows as RSS); the local ones until
 * the first report.
 */
bool bproc_ghost_proc_status_mem(struct bproc_ghost *g, struct seq_file *m)
{
	unsigned long flags;
	u64 vsize_kb, rss_kb;
	bool have;

	spin_lock_irqsave(&g->lock, flags);
	have = g->state == BPROC_GHOST_RUNNING && g->have_ps;
	vsize_kb = g->ps.vsize >> 10;
	rss_kb = g->ps.rss >> 10;
	spin_unlock_irqrestore(&g->lock, flags);
	if (!have)
		return false;
	seq_printf(m, "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\n", vsize_kb, vsize_kb);
	seq_printf(m, "VmHWM:\t%8llu kB\nVmRSS:\t%8llu kB\n", rss_kb, rss_kb);
	return true;
}

/*
 * The alloc_pid_nr hook for a ghost: while it forks a child's ghost, the
 * master's level gets the child's pid, reserved since its lease.
 */
int bproc_ghost_alloc_pid_nr(struct bproc_ghost *g, struct pid_namespace *ns)
{
	if (ns != &init_pid_ns || !g->claim)
		return 0;
	return g->claim;
}
