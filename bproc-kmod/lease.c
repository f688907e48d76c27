// SPDX-License-Identifier: GPL-2.0
/*
 * Pid leases on the master (docs/ghosts.md, "Fork and threads on a
 * node"). A process started on a node forks and creates threads there;
 * their pids and tids must be numbers the master never hands out while
 * the node uses them. So the master reserves numbers in its own pid
 * namespace (bproc_pid_reserve(): a NULL slot find_pid_ns() ignores),
 * grants them to the node in batches (PIDS), and frees each only when
 * the node hands it back (PIDS_FREE) or goes down.
 *
 * Each number the master holds for a node is in bproc_leases, with its
 * node and state:
 *
 * - LEASED: granted, unused as far as the master knows; the master's
 *   slot is our NULL reservation.
 * - CLAIMED: the node forked a process with it; the ghost of that child
 *   is being forked with this number, or runs with it.
 * - KEPT: that ghost is gone, but the node still uses the number; the
 *   pid_free_nr hook kept our NULL reservation in its place.
 *
 * The xarray's lock (interrupts off) protects the entries and the
 * per-node counts; the pid_free_nr hook takes it under pidmap_lock, so
 * nothing here calls bproc_pid_(un)reserve() with it held.
 */

#include <linux/bproc_hooks.h>
#include <linux/errno.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/xarray.h>

#include "lease.h"
#include "msg.h"

enum bproc_lease_state {
	BPROC_LEASE_LEASED = 1,
	BPROC_LEASE_CLAIMED = 2,
	BPROC_LEASE_KEPT = 3,
};

static DEFINE_XARRAY_FLAGS(bproc_leases, XA_FLAGS_LOCK_IRQ);
static u32 bproc_lease_count[BPROC_NODES_MAX];	/* under the xa_lock */
static u32 bproc_lease_total;			/* under the xa_lock */

/*
 * The most numbers held for all nodes together: half the master's pid
 * space, so that nodes can never take the numbers the master's own
 * processes need (pid_max may change at run time; a lower pid_max stops
 * new leases, it takes none back).
 */
static u32 bproc_lease_global_max(void)
{
	return (u32)READ_ONCE(pid_max) / 2;
}

/* One number more for @node, if both bounds allow; xa_lock held. */
static bool bproc_lease_count_get(s32 node)
{
	if (bproc_lease_count[node] >= BPROC_LEASE_NODE_MAX ||
	    bproc_lease_total >= bproc_lease_global_max())
		return false;
	bproc_lease_count[node]++;
	bproc_lease_total++;
	return true;
}

/* One number less for @node; xa_lock held. */
static void bproc_lease_count_put(s32 node)
{
	bproc_lease_count[node]--;
	bproc_lease_total--;
}

static void *bproc_lease_entry(s32 node, enum bproc_lease_state state)
{
	return xa_mk_value(((unsigned long)node << 2) | state);
}

static s32 bproc_lease_node(void *entry)
{
	return (s32)(xa_to_value(entry) >> 2);
}

static enum bproc_lease_state bproc_lease_state(void *entry)
{
	return xa_to_value(entry) & 3;
}

/*
 * If the master holds @nr for a node, it is ours again (KEPT) until that
 * node frees it: return true. Any context.
 */
static bool bproc_lease_mark_kept(int nr)
{
	unsigned long flags;
	void *entry;

	xa_lock_irqsave(&bproc_leases, flags);
	entry = xa_load(&bproc_leases, nr);
	if (entry)
		__xa_store(&bproc_leases, nr,
			   bproc_lease_entry(bproc_lease_node(entry),
					     BPROC_LEASE_KEPT), GFP_ATOMIC);
	xa_unlock_irqrestore(&bproc_leases, flags);
	return !!entry;
}

/* Drop our reservation of @nr unless a ghost still has the number. */
static void bproc_lease_release(int nr, enum bproc_lease_state state)
{
	if (state != BPROC_LEASE_CLAIMED)
		bproc_pid_unreserve(&init_pid_ns, nr);
}

/**
 * bproc_lease_grant - PIDS_WANT from @node: lease it up to @want numbers
 * @node: the node (checked by the caller)
 * @want: 1..BPROC_PIDS_MAX
 *
 * Queues a PIDS message for the node, with no numbers when the node holds
 * its maximum already or the master has none to spare.
 *
 * Return: 0, -EINVAL (@want), -ENOMEM or -ENOTCONN.
 */
int bproc_lease_grant(s32 node, u32 want)
{
	struct bproc_msg_pids *pids;
	s32 got[BPROC_PIDS_MAX];
	struct bproc_qmsg *m;
	int nr, err;
	bool ok;
	u32 n;

	if (want < 1 || want > BPROC_PIDS_MAX)
		return -EINVAL;
	m = bproc_msg_alloc(BPROC_MSG_PIDS, node, 0, 0, sizeof(*pids),
			    GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	pids = (struct bproc_msg_pids *)m->payload;
	while (pids->count < want) {
		/* Counted first, so concurrent grants never pass a bound. */
		xa_lock_irq(&bproc_leases);
		ok = bproc_lease_count_get(node);
		xa_unlock_irq(&bproc_leases);
		if (!ok)
			break;
		nr = bproc_pid_reserve(&init_pid_ns, 0);
		if (nr >= 0) {
			err = xa_insert_irq(&bproc_leases, nr,
					    bproc_lease_entry(node,
							      BPROC_LEASE_LEASED),
					    GFP_KERNEL);
			if (!err) {
				pids->pids[pids->count++] = nr;
				continue;
			}
			bproc_pid_unreserve(&init_pid_ns, nr);
		}
		xa_lock_irq(&bproc_leases);
		bproc_lease_count_put(node);
		xa_unlock_irq(&bproc_leases);
		break;
	}
	n = pids->count;
	memcpy(got, pids->pids, n * sizeof(*got));
	err = bproc_msg_send(m);
	if (err)	/* no master, or the node's session ended: take them back */
		bproc_lease_free(node, got, n);
	return err;
}

/**
 * bproc_lease_free - PIDS_FREE from @node: numbers it no longer uses
 * @node: the node
 * @pids: the numbers (each checked here)
 * @count: how many
 *
 * A number the master does not hold for @node (the pid of a process the
 * master started there, say) is ignored.
 */
void bproc_lease_free(s32 node, const s32 *pids, u32 count)
{
	enum bproc_lease_state state;
	void *entry;
	u32 i;

	for (i = 0; i < count; i++) {
		if (pids[i] <= 0)
			continue;
		xa_lock_irq(&bproc_leases);
		entry = xa_load(&bproc_leases, pids[i]);
		if (!entry || bproc_lease_node(entry) != node) {
			xa_unlock_irq(&bproc_leases);
			continue;
		}
		state = bproc_lease_state(entry);
		__xa_erase(&bproc_leases, pids[i]);
		bproc_lease_count_put(node);
		xa_unlock_irq(&bproc_leases);
		bproc_lease_release(pids[i], state);
	}
}

/**
 * bproc_lease_claim - @node forked a process with number @nr
 * @node: the node
 * @nr: the child's pid
 *
 * Return: 0 when @nr is a number leased to @node and not yet claimed
 * (it is CLAIMED now: its ghost may be forked with it); -EINVAL.
 */
int bproc_lease_claim(s32 node, s32 nr)
{
	void *entry;
	int err = -EINVAL;

	if (nr <= 0)
		return err;
	xa_lock_irq(&bproc_leases);
	entry = xa_load(&bproc_leases, nr);
	if (entry && bproc_lease_node(entry) == node &&
	    bproc_lease_state(entry) == BPROC_LEASE_LEASED) {
		__xa_store(&bproc_leases, nr,
			   bproc_lease_entry(node, BPROC_LEASE_CLAIMED),
			   GFP_ATOMIC);
		err = 0;
	}
	xa_unlock_irq(&bproc_leases);
	return err;
}

/*
 * The ghost of a claimed number was never forked: the number is ours
 * again (KEPT; a failed alloc_pid() kept the slot) until the node hands
 * it back. If the node went down meanwhile, the entry is gone: so must
 * our reservation be.
 */
void bproc_lease_unclaim(s32 nr)
{
	if (!bproc_lease_mark_kept(nr))
		bproc_pid_unreserve(&init_pid_ns, nr);
}

/**
 * bproc_lease_node_down - @node is lost: it uses none of its numbers now
 * @node: the node, or BPROC_NODES_ALL
 */
void bproc_lease_node_down(s32 node)
{
	enum bproc_lease_state state;
	unsigned long nr = 0;
	void *entry;

	xa_lock_irq(&bproc_leases);
	xa_for_each(&bproc_leases, nr, entry) {
		if (node != BPROC_NODES_ALL &&
		    bproc_lease_node(entry) != node)
			continue;
		state = bproc_lease_state(entry);
		bproc_lease_count_put(bproc_lease_node(entry));
		__xa_erase(&bproc_leases, nr);
		xa_unlock_irq(&bproc_leases);
		bproc_lease_release(nr, state);
		cond_resched();
		xa_lock_irq(&bproc_leases);
	}
	xa_unlock_irq(&bproc_leases);
}

/*
 * The pid_free_nr hook on the master: a number of init_pid_ns is freed
 * (pidmap_lock held, interrupts off). A number the node still uses stays
 * reserved (KEPT): the master must not give it to anyone else yet.
 */
bool bproc_lease_keep(struct pid_namespace *ns, int nr)
{
	return ns == &init_pid_ns && bproc_lease_mark_kept(nr);
}
