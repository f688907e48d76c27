// SPDX-License-Identifier: GPL-2.0
/*
 * The node table: what the master knows about each node (state, address,
 * owner, group, mode and the figures the node reports).
 *
 * The master daemon creates the table when it registers (one entry per
 * node, all down) and keeps it current; anyone may read it. The table
 * outlives the master's file: when that file is closed every node is
 * marked down and the entries stay readable until the next master
 * registers, which installs a fresh table of the size it asks for.
 *
 * state_since belongs to the module: it is set to CLOCK_REALTIME whenever
 * an entry's state changes (the value the master passes is ignored).
 *
 * Every change of the table (a new table, an entry that differs, the
 * master leaving) bumps bproc_nodes_gen and wakes bproc_nodes_wq: the
 * change notifier of docs/nodes.md (dev.c) sleeps there.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>

#include "nodes.h"

/* Processes run on a node in these states; leaving them ends them. */
static bool bproc_nodes_runs(u32 state)
{
	return state == BPROC_NODE_UP || state == BPROC_NODE_UNAVAILABLE;
}

/*
 * bproc_nodes_lock protects bproc_nodes, bproc_nodes_len, every entry of
 * the table, and bproc_nodes_master. Holders only copy entries in or out
 * (never to or from user memory) and never allocate, so it is held
 * briefly; it is a mutex because every caller is an ioctl or a release,
 * which may sleep.
 */
static DEFINE_MUTEX(bproc_nodes_lock);
static struct bproc_node_info *bproc_nodes;	/* NULL until a master registers */
static u32 bproc_nodes_len;			/* entries in bproc_nodes */
static const struct file *bproc_nodes_master;	/* the master's file, or NULL */
static atomic64_t bproc_nodes_gen = ATOMIC64_INIT(1);
static DECLARE_WAIT_QUEUE_HEAD(bproc_nodes_wq);

/* The table changed: tell the notifiers. No lock needed. */
static void bproc_nodes_changed(void)
{
	atomic64_inc(&bproc_nodes_gen);
	wake_up_interruptible_all(&bproc_nodes_wq);
}

/* The table's generation: it grows on every change. */
u64 bproc_nodes_generation(void)
{
	return atomic64_read(&bproc_nodes_gen);
}

/* Where notifiers wait for a change of the generation. */
wait_queue_head_t *bproc_nodes_waitq(void)
{
	return &bproc_nodes_wq;
}

/**
 * bproc_nodes_master_attach - make @owner the master's file
 * @owner: the open /dev/bproc file asking for the role
 * @nodes: size of the node table, 1..BPROC_NODES_MAX
 *
 * Installs a fresh table of @nodes entries, all down, replacing any table
 * a previous master left behind. @owner may already be the master (it
 * then re-sizes the table the same way).
 *
 * Return: 0, -EINVAL for a bad size, -ENOMEM, or -EBUSY while another
 * file holds the role.
 */
int bproc_nodes_master_attach(const struct file *owner, u32 nodes)
{
	struct bproc_node_info *table, *old;
	u64 now;
	u32 i;

	if (nodes == 0 || nodes > BPROC_NODES_MAX)
		return -EINVAL;

	table = kvcalloc(nodes, sizeof(*table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	now = ktime_get_real_ns();
	for (i = 0; i < nodes; i++) {
		table[i].size = sizeof(table[i]);
		table[i].node = i;
		table[i].state = BPROC_NODE_DOWN;
		table[i].state_since = now;
	}

	mutex_lock(&bproc_nodes_lock);
	if (bproc_nodes_master && bproc_nodes_master != owner) {
		mutex_unlock(&bproc_nodes_lock);
		kvfree(table);
		return -EBUSY;
	}
	old = bproc_nodes;
	bproc_nodes = table;
	bproc_nodes_len = nodes;
	bproc_nodes_master = owner;
	mutex_unlock(&bproc_nodes_lock);

	kvfree(old);
	bproc_nodes_changed();
	return 0;
}

/**
 * bproc_nodes_master_detach - @owner is closing; give up the master role
 * @owner: an open /dev/bproc file
 *
 * If @owner holds the role, every node is marked down (state_since is
 * updated for the ones that were not down) and the table stays readable.
 * Otherwise nothing happens.
 */
void bproc_nodes_master_detach(const struct file *owner)
{
	u64 now = ktime_get_real_ns();
	bool changed = false;
	u32 i;

	mutex_lock(&bproc_nodes_lock);
	if (bproc_nodes_master == owner) {
		changed = true;
		bproc_nodes_master = NULL;
		for (i = 0; i < bproc_nodes_len; i++) {
			if (bproc_nodes[i].state == BPROC_NODE_DOWN)
				continue;
			bproc_nodes[i].state = BPROC_NODE_DOWN;
			bproc_nodes[i].state_since = now;
		}
	}
	mutex_unlock(&bproc_nodes_lock);
	if (changed)
		bproc_nodes_changed();
}

/* A NUL within @len bytes; clear what follows it so no stale bytes leak. */
static bool bproc_nodes_str_fix(char *s, size_t len)
{
	size_t n = strnlen(s, len);

	if (n == len)
		return false;
	memset(s + n, 0, len - n);
	return true;
}

/* Check an entry from the master; tidies the string tails in place. */
static int bproc_nodes_check(struct bproc_node_info *ni)
{
	size_t alen;

	if (ni->state >= BPROC_NODE_NSTATES)
		return -EINVAL;
	if (ni->mode & ~0777)
		return -EINVAL;
	if (!uid_valid(KUIDT_INIT(ni->uid)) || !gid_valid(KGIDT_INIT(ni->gid)))
		return -EINVAL;
	if (ni->__pad0 || ni->__pad1 || ni->__pad2)
		return -EINVAL;

	switch (ni->addr_family) {
	case 0:
		alen = 0;
		break;
	case AF_INET:
		alen = 4;
		break;
	case AF_INET6:
		alen = 16;
		break;
	default:
		return -EINVAL;
	}
	if (memchr_inv(ni->addr + alen, 0, sizeof(ni->addr) - alen))
		return -EINVAL;
	if (ni->hwaddr_len > sizeof(ni->hwaddr))
		return -EINVAL;
	if (memchr_inv(ni->hwaddr + ni->hwaddr_len, 0,
		       sizeof(ni->hwaddr) - ni->hwaddr_len))
		return -EINVAL;

	if (ni->mem_free > ni->mem_total)
		return -EINVAL;

	if (!bproc_nodes_str_fix(ni->kernel, sizeof(ni->kernel)) ||
	    !bproc_nodes_str_fix(ni->modver, sizeof(ni->modver)) ||
	    !bproc_nodes_str_fix(ni->error, sizeof(ni->error)))
		return -EINVAL;
	return 0;
}

/**
 * bproc_nodes_set - replace one entry of the table
 * @owner: the caller's open /dev/bproc file
 * @info: the new entry; @info->node selects it, @info->size is ignored
 * @down: set when the node left the states processes run in (up,
 * unavailable): the caller ends what runs there (down.c)
 *
 * Return: 0; -EPERM unless @owner is the master's file; -ENODEV for a
 * node outside the table; -EINVAL for an invalid entry (state, mode, uid,
 * gid, padding, address family or bytes past the address, hwaddr_len or
 * bytes past it, mem_free above mem_total, a string without its NUL).
 */
int bproc_nodes_set(const struct file *owner,
		    const struct bproc_node_info *info, bool *down)
{
	struct bproc_node_info ni = *info;
	struct bproc_node_info *e;
	bool changed = false;
	int err;

	*down = false;
	err = bproc_nodes_check(&ni);

	mutex_lock(&bproc_nodes_lock);
	if (owner != bproc_nodes_master) {
		err = -EPERM;
		goto out;
	}
	if (ni.node < 0 || (u32)ni.node >= bproc_nodes_len) {
		err = -ENODEV;
		goto out;
	}
	if (err)
		goto out;

	e = &bproc_nodes[ni.node];
	*down = bproc_nodes_runs(e->state) && !bproc_nodes_runs(ni.state);
	ni.size = sizeof(ni);
	ni.state_since = ni.state == e->state ? e->state_since :
						 ktime_get_real_ns();
	changed = memcmp(e, &ni, sizeof(ni)) != 0;
	*e = ni;
out:
	mutex_unlock(&bproc_nodes_lock);
	if (changed)
		bproc_nodes_changed();
	return err;
}

/**
 * bproc_nodes_get - copy one entry of the table
 * @node: node number
 * @info: filled in on success (size is sizeof(*info))
 *
 * Return: 0, -ENOENT when no master has created a table, -ENODEV for a
 * node outside it.
 */
int bproc_nodes_get(s32 node, struct bproc_node_info *info)
{
	int err = 0;

	mutex_lock(&bproc_nodes_lock);
	if (!bproc_nodes)
		err = -ENOENT;
	else if (node < 0 || (u32)node >= bproc_nodes_len)
		err = -ENODEV;
	else
		*info = bproc_nodes[node];
	mutex_unlock(&bproc_nodes_lock);
	return err;
}

/* Number of entries in the table, 0 when there is none. */
u32 bproc_nodes_count(void)
{
	u32 len;

	mutex_lock(&bproc_nodes_lock);
	len = bproc_nodes_len;
	mutex_unlock(&bproc_nodes_lock);
	return len;
}

/* Whether the caller is @e's owner (by effective uid). */
static bool bproc_nodes_is_owner(const struct bproc_node_info *e)
{
	return uid_eq(current_euid(), make_kuid(&init_user_ns, e->uid));
}

/**
 * bproc_nodes_may_rexec - may the caller start a process on @node?
 * @node: node number
 *
 * Like execute permission on a file: a caller with CAP_SYS_ADMIN always
 * (a uid-0 process without it is an ordinary user here), the node's
 * owner by mode 0100, its group by 0010, others by 0001. Only a caller
 * with CAP_SYS_ADMIN may use a node that is unavailable.
 *
 * Return: 0; -ENOTCONN without a master daemon; -ENODEV for a node
 * outside the table; -EHOSTDOWN when it is not up; -EACCES.
 */
int bproc_nodes_may_rexec(s32 node)
{
	bool root = capable(CAP_SYS_ADMIN);
	const struct bproc_node_info *e;
	u32 bits;
	int err = 0;

	mutex_lock(&bproc_nodes_lock);
	if (!bproc_nodes_master) {
		err = -ENOTCONN;
		goto out;
	}
	if (node < 0 || (u32)node >= bproc_nodes_len) {
		err = -ENODEV;
		goto out;
	}
	e = &bproc_nodes[node];
	if (e->state != BPROC_NODE_UP &&
	    !(e->state == BPROC_NODE_UNAVAILABLE && root)) {
		err = -EHOSTDOWN;
		goto out;
	}
	if (root)
		goto out;
	if (bproc_nodes_is_owner(e))
		bits = e->mode >> 6;
	else if (in_egroup_p(make_kgid(&init_user_ns, e->gid)))
		bits = e->mode >> 3;
	else
		bits = e->mode;
	if (!(bits & 1))
		err = -EACCES;
out:
	mutex_unlock(&bproc_nodes_lock);
	return err;
}

/**
 * bproc_nodes_may_ctl - may the caller ask for @c (docs/nodes.md)?
 * @c: the request, from the caller
 *
 * Like a file's chmod, chown and chgrp: CAP_SYS_ADMIN may do anything;
 * the node's owner may change its mode, and its group to a group the
 * owner is in; states, owners and cache purges are CAP_SYS_ADMIN's.
 * The daemon applies the change later; a change of owner meanwhile is
 * the same race as chmod(2) after a chown(2) of another process.
 *
 * Return: 0; -EINVAL (no or unknown BPROC_CTL_* bit, padding, a state
 * outside down, up, error, unavailable, reboot, halt, pwroff, a mode past
 * 0777, an invalid uid or gid); -ENOTCONN without a master daemon;
 * -ENODEV for a node outside the table; -EPERM.
 */
int bproc_nodes_may_ctl(const struct bproc_node_ctl *c)
{
	bool root = capable(CAP_SYS_ADMIN);
	const struct bproc_node_info *e;
	int err = 0;

	if (!c->what || (c->what & ~BPROC_CTL_ALL) || c->__pad)
		return -EINVAL;
	if ((c->what & BPROC_CTL_STATE) &&
	    (c->state >= BPROC_NODE_NSTATES || c->state == BPROC_NODE_BOOT))
		return -EINVAL;
	if ((c->what & BPROC_CTL_MODE) && (c->mode & ~0777))
		return -EINVAL;
	if ((c->what & BPROC_CTL_UID) &&
	    !uid_valid(make_kuid(&init_user_ns, c->uid)))
		return -EINVAL;
	if ((c->what & BPROC_CTL_GID) &&
	    !gid_valid(make_kgid(&init_user_ns, c->gid)))
		return -EINVAL;

	mutex_lock(&bproc_nodes_lock);
	if (!bproc_nodes_master) {
		err = -ENOTCONN;
		goto out;
	}
	if (c->node < 0 || (u32)c->node >= bproc_nodes_len) {
		err = -ENODEV;
		goto out;
	}
	if (root)
		goto out;
	e = &bproc_nodes[c->node];
	if (c->what & (BPROC_CTL_STATE | BPROC_CTL_UID | BPROC_CTL_CACHE_PURGE))
		err = -EPERM;
	else if (!bproc_nodes_is_owner(e))
		err = -EPERM;
	else if ((c->what & BPROC_CTL_GID) &&
		 !in_egroup_p(make_kgid(&init_user_ns, c->gid)))
		err = -EPERM;
out:
	mutex_unlock(&bproc_nodes_lock);
	return err;
}

/* Module init: no table until a master registers. */
int bproc_nodes_init(void)
{
	bproc_nodes = NULL;
	bproc_nodes_len = 0;
	bproc_nodes_master = NULL;
	return 0;
}

/* Module exit: every file is closed, so nobody holds the master role. */
void bproc_nodes_uninit(void)
{
	WARN_ON(bproc_nodes_master);
	kvfree(bproc_nodes);
	bproc_nodes = NULL;
	bproc_nodes_len = 0;
}
