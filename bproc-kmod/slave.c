// SPDX-License-Identifier: GPL-2.0
/*
 * Node-side instances (bpslave's view of the module): which node this
 * instance is and where its master is. Each instance lives exactly as
 * long as the /dev/bproc file that created it.
 *
 * An instance also keeps the pid numbers its master leased to the node
 * (docs/ghosts.md, "Fork and threads on a node"): they are reserved in
 * the masquerade namespace (bpslave's pid_ns_for_children when it
 * registers), and the alloc_pid_nr hook gives them to every fork or
 * thread created there. The task_fork and task_exit hooks queue FORK
 * and EXIT events for child processes; bpslave reads them from its file
 * together with PIDS_WANT (the lease runs low) and PIDS_FREE (numbers
 * the namespace freed), and sends them to the master.
 */

#include <linux/atomic.h>
#include <linux/bproc_hooks.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/moduleparam.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "lease.h"
#include "masq.h"
#include "slave.h"
#include "task.h"

/* Leased numbers kept at hand; below half of it bpslave asks for more. */
#define BPROC_SLAVE_POOL	256
/* Freed numbers not yet handed back: at most all the node may hold. */
#define BPROC_SLAVE_FREED	(BPROC_LEASE_NODE_MAX + BPROC_SLAVE_POOL)
/*
 * FORK and EXIT events waiting for bpslave. Enough that the ring never
 * fills: each event is about a process with a leased number (bpslave's
 * own processes it reports itself, threads push none), a number has at
 * most its FORK and its EXIT queued, and it is handed back (PIDS_FREE,
 * which bpslave reads only once no event is queued) before it can be
 * leased and used again; the master leases at most BPROC_LEASE_NODE_MAX
 * numbers to a node. So at most 2 * BPROC_LEASE_NODE_MAX events. Were
 * one lost all the same, the session ends (bproc_slave_void()).
 */
#define BPROC_SLAVE_EVQ		(2 * BPROC_LEASE_NODE_MAX)
/* The least node_events may set; a test cuts the ring down to it. */
#define BPROC_SLAVE_EVQ_MIN	16

/*
 * The ring's bound, taken at each registration: the default cannot fill
 * (above); a smaller one is for tests of what happens if it ever did.
 */
static unsigned int node_events = BPROC_SLAVE_EVQ;
module_param(node_events, uint, 0644);
MODULE_PARM_DESC(node_events,
		 "node events (FORK, EXIT) queued for bpslave at most; the default cannot fill, less is for tests");

/* A FORK or EXIT of a child process, as bpslave will read it. */
struct bproc_slave_ev {
	struct bproc_msg_hdr hdr;
	union {
		struct bproc_msg_fork fork;
		struct bproc_msg_exit exit;
	} p;
};

/* One message for bpslave's read(), built from the instance's state. */
enum bproc_slave_out_kind {
	BPROC_SLAVE_OUT_NONE,
	BPROC_SLAVE_OUT_EVENT,
	BPROC_SLAVE_OUT_WANT,
	BPROC_SLAVE_OUT_FREE,
	BPROC_SLAVE_OUT_VOID,		/* read() fails: EOVERFLOW */
};

struct bproc_slave_out {
	enum bproc_slave_out_kind kind;
	struct bproc_msg_hdr hdr;	/* the message: header, then p */
	union {
		struct bproc_msg_fork fork;
		struct bproc_msg_exit exit;
		u32 want;
		struct bproc_msg_pids pids;
	} p;
};

/*
 * bproc_slaves_lock protects bproc_slaves and every instance's ns,
 * pool, freed, want and event fields. The pid_free_nr hook takes it
 * under pidmap_lock with interrupts off: it is always taken with
 * interrupts off, and nothing calls bproc_pid_(un)reserve() under it.
 */
static DEFINE_SPINLOCK(bproc_slaves_lock);
static LIST_HEAD(bproc_slaves);

/* Instance ids: masq.c tells the processes of one instance by it. */
static atomic64_t bproc_slave_ids = ATOMIC64_INIT(0);

/**
 * bproc_slave_check - validate a configuration from user space
 * @cfg: the configuration (size already checked by the caller)
 *
 * Return: 0, or -EINVAL for a node number outside 0..BPROC_NODES_MAX-1,
 * a master address family other than AF_INET/AF_INET6, non-zero bytes
 * past the address, or port 0.
 */
int bproc_slave_check(const struct bproc_slave_cfg *cfg)
{
	size_t alen;

	if (cfg->node < 0 || cfg->node >= BPROC_NODES_MAX)
		return -EINVAL;
	switch (cfg->master_family) {
	case AF_INET:
		alen = 4;
		break;
	case AF_INET6:
		alen = 16;
		break;
	default:
		return -EINVAL;
	}
	if (memchr_inv(cfg->master_addr + alen, 0,
		       sizeof(cfg->master_addr) - alen))
		return -EINVAL;
	if (cfg->master_port == 0)
		return -EINVAL;
	return 0;
}

/* Drop @n numbers reserved in @ns (pool numbers of an old namespace). */
static void bproc_slave_unreserve(struct pid_namespace *ns, int *nrs, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		bproc_pid_unreserve(ns, nrs[i]);
}

/*
 * Store a checked configuration; the caller holds the file's lock. Each
 * registration starts a session with the master: leases and events of
 * an earlier one are void (the master released them when it lost the
 * node). The caller's pid_ns_for_children, a child of its own namespace,
 * is the masquerade namespace whose forks use leased numbers.
 */
void bproc_slave_configure(struct bproc_slave *slave,
			   const struct bproc_slave_cfg *cfg)
{
	struct pid_namespace *own = task_active_pid_ns(current);
	struct pid_namespace *ns = current->nsproxy->pid_ns_for_children;
	struct pid_namespace *old_ns;
	u32 old_n = 0;
	int *old;

	if (ns == own || ns->parent != own)
		ns = NULL;
	else
		get_pid_ns(ns);
	/* Without it, the old reservations go with the old namespace. */
	old = kmalloc_array(BPROC_SLAVE_POOL, sizeof(int), GFP_KERNEL);

	spin_lock_irq(&bproc_slaves_lock);
	slave->cfg = *cfg;
	slave->cfg.size = sizeof(slave->cfg);
	old_ns = slave->ns;
	if (old) {
		old_n = slave->npool;
		memcpy(old, slave->pool, old_n * sizeof(int));
	}
	slave->npool = 0;
	slave->ns = ns;
	slave->own_ns = own;
	slave->nfreed = 0;
	slave->ev_head = 0;
	slave->ev_len = 0;
	slave->ev_cap = clamp_t(u32, READ_ONCE(node_events),
				BPROC_SLAVE_EVQ_MIN, BPROC_SLAVE_EVQ);
	slave->ev_void = false;
	slave->ev_report = false;
	slave->want_sent = false;
	slave->want_due = !!ns;
	spin_unlock_irq(&bproc_slaves_lock);
	if (old_ns) {
		bproc_slave_unreserve(old_ns, old, old_n);
		put_pid_ns(old_ns);
	}
	kfree(old);
	wake_up_interruptible(&slave->wait);
}

/**
 * bproc_slave_create - a new instance with a checked configuration
 * @cfg: configuration that passed bproc_slave_check()
 *
 * Return: the instance or ERR_PTR(-ENOMEM).
 */
struct bproc_slave *bproc_slave_create(const struct bproc_slave_cfg *cfg)
{
	struct bproc_slave *slave;

	slave = kzalloc(sizeof(*slave), GFP_KERNEL);
	if (!slave)
		return ERR_PTR(-ENOMEM);
	slave->pool = kcalloc(BPROC_SLAVE_POOL, sizeof(int), GFP_KERNEL);
	slave->freed = kcalloc(BPROC_SLAVE_FREED, sizeof(int), GFP_KERNEL);
	slave->evq = kvcalloc(BPROC_SLAVE_EVQ, sizeof(*slave->evq),
			      GFP_KERNEL);
	if (!slave->pool || !slave->freed || !slave->evq) {
		kfree(slave->pool);
		kfree(slave->freed);
		kvfree(slave->evq);
		kfree(slave);
		return ERR_PTR(-ENOMEM);
	}
	init_waitqueue_head(&slave->wait);
	mutex_init(&slave->read_lock);
	slave->id = atomic64_inc_return(&bproc_slave_ids);
	bproc_slave_configure(slave, cfg);
	spin_lock_irq(&bproc_slaves_lock);
	list_add(&slave->list, &bproc_slaves);
	spin_unlock_irq(&bproc_slaves_lock);
	return slave;
}

/* Free an instance; NULL is allowed. */
void bproc_slave_destroy(struct bproc_slave *slave)
{
	if (!slave)
		return;
	spin_lock_irq(&bproc_slaves_lock);
	list_del(&slave->list);
	spin_unlock_irq(&bproc_slaves_lock);
	/* The pid hooks run under RCU: let the running ones finish. */
	synchronize_rcu();
	if (slave->ns) {
		bproc_slave_unreserve(slave->ns, slave->pool, slave->npool);
		put_pid_ns(slave->ns);
	}
	mutex_destroy(&slave->read_lock);
	kfree(slave->pool);
	kfree(slave->freed);
	kvfree(slave->evq);
	kfree(slave);
}

/* The instance whose masquerade namespace is @ns; bproc_slaves_lock held. */
static struct bproc_slave *bproc_slave_of_ns(struct pid_namespace *ns)
{
	struct bproc_slave *slave;

	list_for_each_entry(slave, &bproc_slaves, list)
		if (slave->ns == ns)
			return slave;
	return NULL;
}

/* Is @t a process of @slave's namespace (not its init)? */
bool bproc_slave_in_ns(struct bproc_slave *slave, struct task_struct *t)
{
	struct pid *pid = task_tgid(t);
	bool in;

	spin_lock_irq(&bproc_slaves_lock);
	in = slave->ns && pid && ns_of_pid(pid) == slave->ns &&
	     !is_child_reaper(pid);
	spin_unlock_irq(&bproc_slaves_lock);
	return in;
}

/**
 * bproc_slave_node_of - the node @t runs on as one of an instance's processes
 * @t: a task
 * @ninstances: set to the number of instances this kernel hosts
 * @only: set to the node of the only instance, when there is one
 *
 * A process belongs to an instance when it is masqueraded by it (or is a
 * thread of one, masq.c) or lives in its masquerade namespace (forked
 * there by one).
 *
 * Return: the instance's node number, or -1 when @t is no instance's.
 */
s32 bproc_slave_node_of(struct task_struct *t, u32 *ninstances, s32 *only)
{
	struct pid_namespace *ns = task_active_pid_ns(t);
	u64 id = bproc_masq_instance_of(t);
	struct bproc_slave *slave;
	unsigned long flags;
	s32 node = -1;
	u32 n = 0;

	*only = -1;
	spin_lock_irqsave(&bproc_slaves_lock, flags);
	list_for_each_entry(slave, &bproc_slaves, list) {
		n++;
		*only = slave->cfg.node;
		if (node < 0 && ((id && slave->id == id) ||
				 (slave->ns && ns == slave->ns)))
			node = slave->cfg.node;
	}
	spin_unlock_irqrestore(&bproc_slaves_lock, flags);
	if (n != 1)
		*only = -1;
	*ninstances = n;
	return node;
}

/*
 * Something for the master could not be kept (@what: the ring or the
 * freed list is full, which their sizes rule out for a master that keeps
 * its lease bound). Nothing is dropped silently: the session is void from
 * here, and bpslave's next read() fails with EOVERFLOW so that it ends
 * the session: the master then drops the node's ghosts and bpslave its
 * processes, instead of ghosts that never end. bproc_slaves_lock held.
 */
static void bproc_slave_void(struct bproc_slave *slave, const char *what)
{
	if (slave->ev_void)
		return;
	slave->ev_void = true;
	slave->ev_report = true;
	pr_warn_ratelimited("node %d: %s for the master lost (%u events queued): the session is void\n",
			    slave->cfg.node, what, slave->ev_len);
	wake_up_interruptible(&slave->wait);
}

/* Ask for more numbers when the pool is low; bproc_slaves_lock held. */
static void bproc_slave_check_pool(struct bproc_slave *slave)
{
	if (slave->npool < BPROC_SLAVE_POOL / 2 && !slave->want_sent) {
		slave->want_due = true;
		slave->want_sent = true;
		wake_up_interruptible(&slave->wait);
	}
}

/*
 * The alloc_pid_nr hook on a node: a fork or thread in a masquerade
 * namespace takes a leased number; none left fails it with EAGAIN, as
 * when a system runs out of pids, and asks the master for more.
 */
int bproc_slave_alloc_pid_nr(struct pid_namespace *ns)
{
	struct bproc_slave *slave;
	unsigned long flags;
	int nr = 0;

	spin_lock_irqsave(&bproc_slaves_lock, flags);
	slave = bproc_slave_of_ns(ns);
	if (slave && task_active_pid_ns(current) == ns) {
		nr = slave->npool ? slave->pool[--slave->npool] : -EAGAIN;
		if (nr < 0)
			slave->want_sent = false;	/* ask again */
		bproc_slave_check_pool(slave);
	}
	spin_unlock_irqrestore(&bproc_slaves_lock, flags);
	return nr;
}

/*
 * The pid_free_nr hook on a node (pidmap_lock held): a number a task had
 * is handed back to the master; one a failed fork took goes back to the
 * pool, still reserved.
 */
bool bproc_slave_pid_free(struct pid_namespace *ns, int nr, bool used)
{
	struct bproc_slave *slave;
	unsigned long flags;
	bool keep = false;

	if (nr == 1)
		return false;	/* the namespace's init: never leased */
	/*
	 * A failed fork from outside the namespace (bpslave's, with set_tid
	 * the master's pid) did not take a leased number: nothing to keep
	 * or hand back.
	 */
	if (!used && task_active_pid_ns(current) != ns)
		return false;
	spin_lock_irqsave(&bproc_slaves_lock, flags);
	slave = bproc_slave_of_ns(ns);
	if (slave && !used && slave->npool < BPROC_SLAVE_POOL) {
		slave->pool[slave->npool++] = nr;
		keep = true;
	} else if (slave && slave->nfreed < BPROC_SLAVE_FREED) {
		slave->freed[slave->nfreed++] = nr;
		wake_up_interruptible(&slave->wait);
	} else if (slave) {
		bproc_slave_void(slave, "a freed number");
	}
	spin_unlock_irqrestore(&bproc_slaves_lock, flags);
	return keep;
}

/* Queue message @type about @pid for bpslave; bproc_slaves_lock held. */
static void bproc_slave_push(struct bproc_slave *slave, u16 type, s32 pid,
			     const void *payload, size_t len)
{
	struct bproc_slave_ev *ev;

	if (slave->ev_void)
		return;
	if (slave->ev_len >= slave->ev_cap) {
		bproc_slave_void(slave, type == BPROC_MSG_FORK ? "a FORK" : "an EXIT");
		return;
	}
	ev = &slave->evq[(slave->ev_head + slave->ev_len++) % BPROC_SLAVE_EVQ];
	memset(ev, 0, sizeof(*ev));
	ev->hdr.size = sizeof(ev->hdr) + len;
	ev->hdr.type = type;
	ev->hdr.node = slave->cfg.node;
	ev->hdr.pid = pid;
	memcpy(&ev->p, payload, len);
	wake_up_interruptible(&slave->wait);
}

/*
 * @t's parent as its namespace @ns sees it: 0 when the parent is outside
 * (bpslave, for the processes it starts: those it reports itself).
 */
static s32 bproc_slave_ppid(struct task_struct *t, struct pid_namespace *ns)
{
	return task_tgid_nr_ns(rcu_dereference(t->real_parent), ns);
}

/* The task_fork hook on a node: a child process of a masqueraded one. */
void bproc_slave_task_fork(struct task_struct *p)
{
	struct pid_namespace *ns = task_active_pid_ns(p);
	struct bproc_msg_fork fk;
	struct bproc_slave *slave;
	unsigned long flags;

	if (!thread_group_leader(p) || task_active_pid_ns(current) != ns)
		return;
	spin_lock_irqsave(&bproc_slaves_lock, flags);
	slave = bproc_slave_of_ns(ns);
	if (slave) {
		fk.ppid = bproc_slave_ppid(p, ns);
		fk.node_pid = task_tgid_nr_ns(p, slave->own_ns);
		if (fk.ppid > 0)
			bproc_slave_push(slave, BPROC_MSG_FORK,
					 task_tgid_nr_ns(p, ns), &fk, sizeof(fk));
	}
	spin_unlock_irqrestore(&bproc_slaves_lock, flags);
}

/*
 * The task_exit hook on a node: the last thread of a child process ends;
 * its wait status is what its parent's wait() will see.
 */
void bproc_slave_task_exit(struct task_struct *t, bool group_dead)
{
	struct bproc_msg_exit ex = { };
	struct pid_namespace *ns;
	struct bproc_slave *slave;
	unsigned long flags;

	if (!group_dead || t->group_leader->bproc)
		return;		/* bpslave reports its own processes */
	ns = task_active_pid_ns(t);
	if (!ns)
		return;
	spin_lock_irqsave(&bproc_slaves_lock, flags);
	slave = bproc_slave_of_ns(ns);
	if (slave && bproc_slave_ppid(t->group_leader, ns) > 0 &&
	    !is_child_reaper(task_tgid(t))) {
		if (t->signal->flags & SIGNAL_GROUP_EXIT)
			ex.status = t->signal->group_exit_code;
		else
			ex.status = t->group_leader->exit_code;
		ex.utime_ns = t->utime;
		ex.stime_ns = t->stime;
		bproc_slave_push(slave, BPROC_MSG_EXIT, task_tgid_nr_ns(t, ns),
				 &ex, sizeof(ex));
	}
	spin_unlock_irqrestore(&bproc_slaves_lock, flags);
}

/* The message bpslave reads next, built in @out; false when none. */
static bool bproc_slave_peek(struct bproc_slave *slave,
			     struct bproc_slave_out *out)
{
	struct bproc_msg_hdr *h = &out->hdr;
	u32 n;

	memset(out, 0, sizeof(*out));
	h->node = slave->cfg.node;
	out->kind = BPROC_SLAVE_OUT_NONE;
	if (slave->ev_report) {
		out->kind = BPROC_SLAVE_OUT_VOID;
	} else if (slave->ev_len) {
		const struct bproc_slave_ev *ev = &slave->evq[slave->ev_head];

		*h = ev->hdr;
		memcpy(&out->p, &ev->p, sizeof(ev->p));
		out->kind = BPROC_SLAVE_OUT_EVENT;
	} else if (slave->want_due) {
		h->type = BPROC_MSG_PIDS_WANT;
		out->p.want = BPROC_PIDS_MAX;
		h->size = sizeof(*h) + sizeof(out->p.want);
		out->kind = BPROC_SLAVE_OUT_WANT;
	} else if (slave->nfreed) {
		n = min_t(u32, slave->nfreed, BPROC_PIDS_MAX);
		h->type = BPROC_MSG_PIDS_FREE;
		out->p.pids.count = n;
		memcpy(out->p.pids.pids, slave->freed, n * sizeof(int));
		h->size = sizeof(*h) + sizeof(out->p.pids);
		out->kind = BPROC_SLAVE_OUT_FREE;
	}
	return out->kind != BPROC_SLAVE_OUT_NONE;
}

/* The message peeked is read: take it off; bproc_slaves_lock held. */
static void bproc_slave_consume(struct bproc_slave *slave,
				const struct bproc_slave_out *out)
{
	u32 n;

	switch (out->kind) {
	case BPROC_SLAVE_OUT_EVENT:
		slave->ev_head = (slave->ev_head + 1) % BPROC_SLAVE_EVQ;
		slave->ev_len--;
		break;
	case BPROC_SLAVE_OUT_WANT:
		slave->want_due = false;
		break;
	case BPROC_SLAVE_OUT_FREE:
		/* Only read() takes from the front; hooks append. */
		n = out->p.pids.count;
		slave->nfreed -= n;
		memmove(slave->freed, slave->freed + n,
			slave->nfreed * sizeof(int));
		break;
	case BPROC_SLAVE_OUT_VOID:
		slave->ev_report = false;
		break;
	case BPROC_SLAVE_OUT_NONE:
		break;
	}
}

static bool bproc_slave_readable(struct bproc_slave *slave)
{
	bool ready;

	spin_lock_irq(&bproc_slaves_lock);
	ready = slave->ev_report || slave->ev_len || slave->want_due ||
		slave->nfreed;
	spin_unlock_irq(&bproc_slaves_lock);
	return ready;
}

/**
 * bproc_slave_read - read() on an instance's file: the next node event
 * @slave: the instance
 * @file: its file (O_NONBLOCK is honoured)
 * @buf: user buffer
 * @len: its size
 *
 * Return: the size of the one message copied out (FORK, EXIT, PIDS_WANT
 * or PIDS_FREE, as bpslave sends it to the master); -EOVERFLOW, once,
 * when something for the master was lost (bproc_slave_void()); -EINVAL
 * when @len is too small for it; -EAGAIN; -ERESTARTSYS; -EFAULT. A
 * message is taken off only once it is copied out.
 */
ssize_t bproc_slave_read(struct bproc_slave *slave, struct file *file,
			 char __user *buf, size_t len)
{
	struct bproc_slave_out out;
	ssize_t ret;
	bool have;

	if (mutex_lock_interruptible(&slave->read_lock))
		return -ERESTARTSYS;
	for (;;) {
		spin_lock_irq(&bproc_slaves_lock);
		have = bproc_slave_peek(slave, &out);
		spin_unlock_irq(&bproc_slaves_lock);
		if (have)
			break;
		ret = -EAGAIN;
		if (file->f_flags & O_NONBLOCK)
			goto out;
		ret = wait_event_interruptible(slave->wait,
					       bproc_slave_readable(slave));
		if (ret)
			goto out;
	}
	if (out.kind == BPROC_SLAVE_OUT_VOID) {
		spin_lock_irq(&bproc_slaves_lock);
		bproc_slave_consume(slave, &out);
		spin_unlock_irq(&bproc_slaves_lock);
		ret = -EOVERFLOW;
		goto out;
	}
	ret = -EINVAL;
	if (out.hdr.size > len)
		goto out;
	ret = -EFAULT;
	if (copy_to_user(buf, &out.hdr, out.hdr.size))
		goto out;
	spin_lock_irq(&bproc_slaves_lock);
	bproc_slave_consume(slave, &out);
	spin_unlock_irq(&bproc_slaves_lock);
	ret = out.hdr.size;
out:
	mutex_unlock(&slave->read_lock);
	return ret;
}

/* poll() on an instance's file: readable when an event waits. */
__poll_t bproc_slave_poll(struct bproc_slave *slave, struct file *file,
			  struct poll_table_struct *pt)
{
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &slave->wait, pt);
	if (bproc_slave_readable(slave))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

/**
 * bproc_slave_write - write() on an instance's file: the master's PIDS
 * @slave: the instance
 * @buf: the message, header first
 * @len: its size, which must equal hdr.size
 *
 * Each number is reserved in the masquerade namespace and joins the
 * pool; one that cannot be (in use there, say) is handed back at once.
 *
 * Return: @len; -EINVAL for anything but a well-formed PIDS for this
 * node; -EFAULT.
 */
ssize_t bproc_slave_write(struct bproc_slave *slave, const char __user *buf,
			  size_t len)
{
	struct {
		struct bproc_msg_hdr hdr;
		struct bproc_msg_pids pids;
	} in;
	struct pid_namespace *ns;
	u32 i;
	int nr;

	if (len != sizeof(in))
		return -EINVAL;
	if (copy_from_user(&in, buf, len))
		return -EFAULT;
	if (in.hdr.size != len || in.hdr.type != BPROC_MSG_PIDS ||
	    in.hdr.flags || in.hdr.pid || in.hdr.node != slave->cfg.node ||
	    in.pids.count > BPROC_PIDS_MAX || in.pids.__pad)
		return -EINVAL;
	for (i = 0; i < in.pids.count; i++)
		if (in.pids.pids[i] <= 1 || in.pids.pids[i] > PID_MAX_LIMIT)
			return -EINVAL;

	spin_lock_irq(&bproc_slaves_lock);
	ns = slave->ns;
	if (ns)
		get_pid_ns(ns);
	spin_unlock_irq(&bproc_slaves_lock);
	for (i = 0; i < in.pids.count; i++) {
		nr = in.pids.pids[i];
		if (ns && bproc_pid_reserve(ns, nr) == nr) {
			spin_lock_irq(&bproc_slaves_lock);
			if (slave->ns == ns &&
			    slave->npool < BPROC_SLAVE_POOL) {
				slave->pool[slave->npool++] = nr;
				nr = 0;
			}
			spin_unlock_irq(&bproc_slaves_lock);
			if (nr)
				bproc_pid_unreserve(ns, nr);
		}
		if (!nr)
			continue;
		spin_lock_irq(&bproc_slaves_lock);
		if (slave->nfreed < BPROC_SLAVE_FREED)
			slave->freed[slave->nfreed++] = nr;
		else
			bproc_slave_void(slave, "a number handed back");
		spin_unlock_irq(&bproc_slaves_lock);
	}
	spin_lock_irq(&bproc_slaves_lock);
	slave->want_sent = false;
	if (in.pids.count)
		bproc_slave_check_pool(slave);
	spin_unlock_irq(&bproc_slaves_lock);
	wake_up_interruptible(&slave->wait);
	if (ns)
		put_pid_ns(ns);
	return len;
}
