/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpstat's process views: -p, the node of every remote process (a ghost
 * on the master, whose /proc/PID/status has a "BProcNode:" line), and -P,
 * `ps` output read on stdin with a NODE column added.
 */
#ifndef _BPSTAT_PROCS_H
#define _BPSTAT_PROCS_H

#include <stdio.h>
#include <sys/types.h>

#include "print.h"

/* The node of @status (a /proc/PID/status text), or -1: not remote. */
int bpstat_status_node(const char *status);

/* The node process @pid runs on, from /proc/@pid/status; -1 if local or gone. */
int bpstat_pid_node(pid_t pid);

/*
 * Where `ps` puts the PID: the index of the whitespace-separated field
 * "PID" of its header line @header, or -1.
 */
int bpstat_ps_pid_field(const char *header);

/* Field @idx of @line as a pid, or -1 when it is not a number. */
pid_t bpstat_ps_pid(const char *line, int idx);

/* How -P looks a pid up: its node, or -1 (bpstat_pid_node()). */
typedef int (*bpstat_node_fn)(pid_t pid);

/*
 * -P: copy `ps` output from @in with a NODE column in front: the header
 * gets "NODE", a remote process its node, any other line blanks. In JSON,
 * an array of {"pid", "node", "line"} for the lines after the header.
 * 0, or -EINVAL (no PID column in the header: @in is not ps output) or
 * -errno of reading @in.
 */
int bpstat_annotate_ps(struct printer *p, FILE *out, FILE *in,
		       bpstat_node_fn node_of);

/*
 * -p: the "PID Node" table of every remote process, in pid order; only
 * those on a node for which @want returns true (NULL: every one). 0 or
 * -errno.
 */
int bpstat_show_pids(struct printer *p, bpstat_node_fn node_of,
		     int (*want)(void *arg, int node), void *arg);

#endif /* _BPSTAT_PROCS_H */
