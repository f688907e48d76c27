/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libbproc: the C API of bproc.
 *
 * Every call that can fail follows the system-call convention: it returns
 * -1 with errno set to a standard errno. Two calls never fail and say so:
 * bproc_currnode() and bproc_nodestate_name() (which returns NULL).
 *
 * Node numbers are ints: 0..bproc_numnodes()-1 for nodes, and the special
 * numbers BPROC_NODE_MASTER (-1, the master), BPROC_NODE_SELF (-2, the
 * node the caller runs on) and BPROC_NODE_NONE (-3).
 *
 * The calls that read the node table open BPROC_DEVICE for the duration
 * of the call. errno values common to them:
 *   ENOENT   BPROC_DEVICE does not exist (the bproc module is not loaded)
 *   ENODEV   no such node (outside the table, or no master has created one)
 *   others   from open(2) or ioctl(2) on BPROC_DEVICE
 */
#ifndef _BPROC_H
#define _BPROC_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/bproc.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BPROC_DEVICE "/dev/bproc"

/* Version of libbproc and the bproc tools. */
#define LIBBPROC_VERSION "0.1.0"

/* --- Node information -------------------------------------------------- */

/* Number of nodes in the table; 0 when no master has created one. */
int bproc_numnodes(void);

/*
 * The node the caller runs on. Never fails. On a node, a process started
 * through bproc (or forked by one) gets its node's number, as does any
 * process of a node that is one node-side instance; a process of a
 * machine that hosts several virtual nodes but belongs to none of them
 * gets BPROC_NODE_NONE. BPROC_NODE_MASTER on the master, and on any
 * machine without bproc (module not loaded).
 */
int bproc_currnode(void);

/*
 * State of a node (enum bproc_node_state, >= 0). BPROC_NODE_MASTER is
 * always BPROC_NODE_UP; BPROC_NODE_SELF means bproc_currnode().
 */
int bproc_nodestatus(int node);

/* "down", "boot", "up", "error", "unavailable", "reboot", "halt", "pwroff";
 * NULL for a number that is not a state. */
const char *bproc_nodestate_name(int state);

/* The state named @name (exact, lower case); -1 and EINVAL if none. */
int bproc_nodestate_parse(const char *name);

/*
 * A node's address as a sockaddr_in or sockaddr_in6 with port 0. Like
 * getsockname(2): *len is the size of @addr on entry and the size of the
 * address on return; a short buffer gets a truncated address.
 * EADDRNOTAVAIL when the master has no address for the node; EINVAL for
 * a NULL argument.
 */
int bproc_nodeaddr(int node, struct sockaddr *addr, socklen_t *len);

/* Everything the master knows about a node. */
int bproc_nodeinfo(int node, struct bproc_node_info *info);

/*
 * The whole table: *list is set to a malloc'd array (free() it) of the
 * returned number of entries, in node order; NULL when there are none.
 * If a new master re-sizes the table during the call, the list stops
 * where the old table ended.
 */
int bproc_nodelist(struct bproc_node_info **list);

/* ABI and module version of the loaded module. */
int bproc_version(struct bproc_version *version);

/* --- Node administration (docs/nodes.md) ------------------------------ */

/*
 * Change one node through the master daemon, all of @ctl or nothing
 * (struct bproc_node_ctl: BPROC_CTL_* bits say which fields count). The
 * module checks the caller's rights, the daemon applies the change and
 * answers; the call returns once it did. Besides the table's errors:
 *   EPERM      not allowed: states, owners and cache purges are root's;
 *              mode is root's or the owner's; group is root's, or the
 *              owner's to a group the owner is in
 *   EINVAL     a bad state (boot, or none), mode (past 0777), uid or gid
 *              (-1), or no BPROC_CTL_* bit
 *   EHOSTDOWN  the node is not connected (and the change needs it)
 *   EBUSY      the node is busy with another state change (reboot...)
 *   ENOTCONN   no master daemon
 *   EAGAIN     too many requests are queued for the daemon
 *   ETIMEDOUT  the daemon did not answer in time
 * A fatal signal ends the wait (the change may still happen).
 */
int bproc_nodectl(const struct bproc_node_ctl *ctl);

/* The state of @node: down, up, error, unavailable, reboot, halt, pwroff. */
int bproc_nodesetstatus(int node, int state);

/* bproc_nodesetstatus() with BPROC_NODE_REBOOT, _HALT and _PWROFF. */
int bproc_nodereboot(int node);
int bproc_nodehalt(int node);
int bproc_nodepwroff(int node);

/* Empty @node's program cache (bpsh's shipped files). */
int bproc_nodecachepurge(int node);

/* Node permissions, as for a file's execute bits (docs/nodes.md). */
int bproc_chmod(int node, int mode);
/* -1 leaves that one as it is (both -1: EINVAL). */
int bproc_chown(int node, uid_t uid, gid_t gid);
int bproc_chgrp(int node, gid_t gid);

/*
 * Whether the caller may run processes on @node (@mode X_OK; F_OK: the
 * node exists and is up): 0, or -1 with EACCES, EHOSTDOWN, ENODEV, EINVAL
 * (another @mode). Root (CAP_SYS_ADMIN) may use an unavailable node too.
 */
int bproc_access(int node, int mode);

/*
 * A change notifier: a file descriptor (O_CLOEXEC; O_NONBLOCK with
 * @nonblock) that polls readable when the node table changed since it was
 * last acknowledged; readable at once when fresh. close() it when done.
 */
int bproc_notifier(int nonblock);

/*
 * Acknowledge the changes so far: 1 and *gen (may be NULL) the table's
 * generation; 0 when nothing changed (a non-blocking notifier); a
 * blocking one waits for a change. -1 and errno otherwise.
 */
int bproc_notifier_ack(int fd, unsigned long long *gen);

/* --- Node sets ----------------------------------------------------------- */

/*
 * A set of nodes: sorted ascending, no duplicates; BPROC_NODE_MASTER
 * (-1) sorts first when present. Initialise with {0}; free the array
 * with bproc_nodeset_free().
 */
struct bproc_nodeset {
	int *nodes;
	int count;
};

/* Where and why a node specification was rejected. */
struct bproc_nodeset_error {
	size_t pos;		/* offset of the offending token in the spec */
	size_t len;		/* its length (0 at the end of the spec) */
	char msg[160];		/* e.g. "'n12': no such node (nodes 0-7)" */
};

/*
 * State lookup for the all<state> words: the state of @node
 * (0 <= node < nnodes) or -errno.
 */
typedef int (*bproc_nodestate_fn)(void *arg, int node);

/*
 * Parse a node specification and add its nodes to @set (a union with
 * what it holds). Grammar (REFERENCE.md, "Node specifications"):
 *
 *   spec    = element *( "," element )
 *   element = "all" | "all" [ "not" | "!" ] STATE | "master"
 *           | [ "n" | "." ] NUM [ "-" [ [ "n" | "." ] NUM ] ]
 *           | [ "n" | "." ] "[" range *( "," range ) "]"
 *   range   = NUM [ "-" [ NUM ] ]
 *
 * NUM is decimal (leading zeros allowed). "a-" runs to the last node.
 * The nodes are 0..@nnodes-1; @state is called only for all<STATE>
 * words. On failure -1 is returned, @set is unchanged, and errno is
 * EINVAL (bad syntax, no such node, unknown state: @err names the
 * token), ENOMEM, or the error @state returned (@err says which node).
 * @err may be NULL.
 */
int bproc_nodeset_parse(const char *spec, int nnodes,
			bproc_nodestate_fn state, void *arg,
			struct bproc_nodeset *set,
			struct bproc_nodeset_error *err);

/* bproc_nodeset_parse() over a table from bproc_nodelist(). */
int bproc_nodeset_parse_list(const char *spec,
			     const struct bproc_node_info *list, int count,
			     struct bproc_nodeset *set,
			     struct bproc_nodeset_error *err);

/* Whether @node is in @set (1 or 0). */
int bproc_nodeset_contains(const struct bproc_nodeset *set, int node);

/* Add one node; keeps the set sorted and unique. ENOMEM. */
int bproc_nodeset_add(struct bproc_nodeset *set, int node);

/* Free the array and empty the set. */
void bproc_nodeset_free(struct bproc_nodeset *set);

/*
 * Write sorted, unique node numbers compactly ("0-3,5,7-9"; "master"
 * for -1) into @buf like snprintf: returns the length the full text
 * needs, excluding the NUL. EINVAL if @nodes is not sorted and unique.
 */
int bproc_nodeset_format(const int *nodes, int count, char *buf,
			 size_t size);

/* --- Processes on nodes (docs/ghosts.md) ----------------------------- */

/*
 * Like execve(2), but the program runs on @node: on success it does not
 * return, and the calling task, keeping its pid and parent, becomes the
 * ghost of the process started there (same pid and parent pid on the
 * node, the caller's uid, gids, groups and cwd, @envp as environment).
 * @path is resolved on the node. NULL @argv or @envp is an empty list.
 * On failure -1 and errno:
 *   ENODEV     no such node            EHOSTDOWN  node not up
 *   EACCES     node permissions, or the node's execve said so
 *   ENOENT     program missing on the node (or @path is empty)
 *   ENOEXEC... other errors of the node's execve
 *   E2BIG      path + argv + envp (each string with its NUL) exceed
 *              BPROC_REXEC_MAX bytes
 *   EFAULT     @path is NULL
 *   EBUSY      the caller has other threads, or is already bproc's
 *   ENOTCONN   no master daemon
 *   ENOSYS     bproc is not available: BPROC_DEVICE missing, or a module
 *              without BPROC_IOC_REXEC (ENOTTY from the ioctl)
 *   EPROTO     the module returned from a successful rexec (a bug)
 */
int bproc_rexec(int node, const char *path, char *const argv[],
		char *const envp[]);

/*
 * bproc_rexec() for a process of a bpsh job (docs/bpsh.md): @job (host
 * byte order, size set to sizeof(*job), or more when later fields follow
 * it: those are copied as they are, little-endian, up to BPROC_JOB_MAX
 * bytes in all) says how the process on the node
 * connects its standard streams back to bpsh and where it finds the
 * files it sees at their master paths. Besides bproc_rexec()'s errors:
 * EINVAL (the job's size, or the node found the job malformed), ENOSPC
 * (the node's program cache is too small for the job's files),
 * ECONNREFUSED/ETIMEDOUT (the node could not reach bpsh), EBADMSG (a file
 * arrived with other content than its SHA-256), EPERM (the caller runs
 * under a seccomp filter, which no node reproduces).
 */
int bproc_rexec_job(int node, const char *path, char *const argv[],
		    char *const envp[], const struct bproc_job *job);

/*
 * bproc_rexec() on @n nodes at once, through one forked child each (the
 * children become ghosts; the caller waits for them as for any child).
 * pids[i] is the pid of the child for nodes[i], or -errno when the
 * process could not be started there (the errno bproc_rexec() gave in
 * that child, or of pipe2/fork); failed children are reaped here. A child
 * that died before its node answered counts as started: its wait status
 * says what happened. Returns the number started; 0 for @n == 0; -1 when
 * none started, errno that of nodes[0] (EINVAL: @n < 0, NULL @nodes or
 * @pids; E2BIG/EFAULT/ENOENT/ENOMEM before any fork, every pids[i] set).
 * Returns once every child has become a ghost or failed. Do not reap
 * children from a SIGCHLD handler meanwhile.
 */
int bproc_vrexec(const int *nodes, int n, int *pids, const char *path,
		 char *const argv[], char *const envp[]);

#ifdef __cplusplus
}
#endif

#endif /* _BPROC_H */
