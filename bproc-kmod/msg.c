// SPDX-License-Identifier: GPL-2.0
/*
 * The master daemon's outgoing message queue: messages from the module
 * to the nodes (REXEC, SIGNAL, PIDS) wait here until bpmaster reads them
 * from its /dev/bproc file, one whole message per read(). Messages from
 * the nodes come in by write() and are routed by msg_in.c.
 *
 * The queue exists while a master holds its role: bproc_msg_open() when
 * it registers, bproc_msg_close() when its file is closed, which drops
 * whatever is still queued. Without a master, bproc_msg_send() fails
 * with -ENOTCONN.
 *
 * Each node has its own FIFO; nodes with messages wait in a ready list,
 * served round robin, so one node's backlog neither reorders another's
 * messages nor delays them behind it, and dropping a node's messages
 * (bproc_msg_drop_node(), when it goes down) is O(1) with interrupts off.
 * A message carries the node's session generation from its allocation:
 * one made for a session that has ended is dropped, never delivered to
 * the next one.
 *
 * Bounds (docs/security.md): messages users cause (signals to ghosts,
 * REXECs) go through bproc_msg_send_user(), which refuses with -EAGAIN
 * once msgq_max_kib of them are queued; their memory is charged to the
 * sender's memory cgroup (__GFP_ACCOUNT). The module's own messages (a
 * ghost's preallocated kill, pid leases) are bounded by what they are
 * about and always pass.
 */

#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>

#include "msg.h"
#include "nodes.h"

/*
 * bproc_msgq_lock protects the FIFOs, the ready list, the generations,
 * the user byte count and bproc_msgq_open. It is taken
 * with interrupts off because the signal hook queues messages with the
 * target's siglock held and interrupts disabled (lock order: siglock,
 * ghost lock, bproc_msgq_lock). Nothing sleeps or allocates under it.
 */
static DEFINE_SPINLOCK(bproc_msgq_lock);
static bool bproc_msgq_open;

struct bproc_msgq_node {
	struct list_head msgs;		/* this node's FIFO */
	struct list_head ready;		/* in bproc_msgq_ready while non-empty */
	u32 gen;			/* session generation */
	u64 charge;			/* user bytes in msgs */
};

static struct bproc_msgq_node bproc_msgq_nodes[BPROC_NODES_MAX];
static LIST_HEAD(bproc_msgq_ready);
static u64 bproc_msgq_user;		/* bytes of user messages queued */

static unsigned int msgq_max_kib = BPROC_MSGQ_USER_MAX_KIB;
module_param(msgq_max_kib, uint, 0644);
MODULE_PARM_DESC(msgq_max_kib,
		 "bound on the KiB of user-caused messages (signals, REXECs) queued for bpmaster");
static DECLARE_WAIT_QUEUE_HEAD(bproc_msgq_wait);
static atomic64_t bproc_msg_ids = ATOMIC64_INIT(0);

static struct bproc_msgq_node *bproc_msgq_node(s32 node)
{
	return &bproc_msgq_nodes[node];
}

/* A fresh request id, echoed by the node in its reply. */
u64 bproc_msg_new_id(void)
{
	return atomic64_inc_return(&bproc_msg_ids);
}

/**
 * bproc_msg_alloc - a message with its header filled in
 * @type: enum bproc_msg_type
 * @node: node number
 * @pid: process the message is about
 * @id: request id, 0 when not a request
 * @payload: payload bytes (zeroed)
 * @gfp: allocation flags; GFP_ATOMIC from the signal hook; add
 *	 __GFP_ACCOUNT for a message a user causes
 *
 * Return: the message, or NULL when out of memory or @node is out of range.
 */
struct bproc_qmsg *bproc_msg_alloc(u16 type, s32 node, s32 pid, u64 id,
				   size_t payload, gfp_t gfp)
{
	struct bproc_qmsg *m;

	if (node < 0 || node >= BPROC_NODES_MAX)
		return NULL;
	/* kvzalloc() only for callers that may sleep. */
	if (gfpflags_allow_blocking(gfp))
		m = kvzalloc(struct_size(m, payload, payload), gfp);
	else
		m = kzalloc(struct_size(m, payload, payload), gfp);
	if (!m)
		return NULL;
	INIT_LIST_HEAD(&m->list);
	m->hdr.size = sizeof(m->hdr) + payload;
	m->hdr.type = type;
	m->hdr.node = node;
	m->hdr.pid = pid;
	m->hdr.id = id;
	m->gen = READ_ONCE(bproc_msgq_node(node)->gen);
	return m;
}

/* Free a message that never was queued (no done callback); any context. */
void bproc_msg_free(struct bproc_qmsg *m)
{
	if (m->ucounts)
		dec_rlimit_put_ucounts(m->ucounts, UCOUNT_RLIMIT_SIGPENDING);
	kvfree(m);
}

/* A message left the queue; process context, no lock held. */
static void bproc_msg_retire(struct bproc_qmsg *m)
{
	if (m->done)
		m->done(m);
	bproc_msg_free(m);
}

/* Unlink @m from its node's FIFO; bproc_msgq_lock held. */
static void bproc_msgq_unlink(struct bproc_qmsg *m)
{
	struct bproc_msgq_node *qn = bproc_msgq_node(m->hdr.node);

	list_del_init(&m->list);
	bproc_msgq_user -= m->charge;
	qn->charge -= m->charge;
	if (list_empty(&qn->msgs))
		list_del_init(&qn->ready);
}

static int bproc_msg_queue(struct bproc_qmsg *m, bool user)
{
	struct bproc_msgq_node *qn = bproc_msgq_node(m->hdr.node);
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&bproc_msgq_lock, flags);
	if (!bproc_msgq_open) {
		err = -ENOTCONN;
	} else if (m->gen != qn->gen) {
		err = -EHOSTDOWN;	/* made for a session that ended */
	} else if (user && bproc_msgq_user + m->hdr.size >
		   (u64)READ_ONCE(msgq_max_kib) * 1024) {
		err = -EAGAIN;
	} else {
		if (user) {
			m->charge = m->hdr.size;
			bproc_msgq_user += m->charge;
			qn->charge += m->charge;
		}
		if (list_empty(&qn->msgs))
			list_add_tail(&qn->ready, &bproc_msgq_ready);
		list_add_tail(&m->list, &qn->msgs);
	}
	spin_unlock_irqrestore(&bproc_msgq_lock, flags);
	if (err) {
		bproc_msg_free(m);
		return err;
	}
	wake_up_interruptible(&bproc_msgq_wait);
	return 0;
}

/**
 * bproc_msg_send - queue one of the module's own messages for the master
 * @m: the message; the queue owns it from here on, whatever the result
 *
 * May be called in any context. Not bounded: for messages bounded by what
 * they are about (one kill per ghost, pid leases).
 *
 * Return: 0; -ENOTCONN when no master daemon is registered; -EHOSTDOWN
 * when the node's session that @m was made for has ended.
 */
int bproc_msg_send(struct bproc_qmsg *m)
{
	return bproc_msg_queue(m, false);
}

/**
 * bproc_msg_send_user - queue a message a user caused (signal, REXEC)
 * @m: the message; the queue owns it from here on, whatever the result
 *
 * Return: as bproc_msg_send(), or -EAGAIN when msgq_max_kib of user
 * messages are queued already (bpmaster is slow or stopped).
 */
int bproc_msg_send_user(struct bproc_qmsg *m)
{
	return bproc_msg_queue(m, true);
}

static void bproc_msg_retire_list(struct list_head *drop)
{
	struct bproc_qmsg *m, *tmp;

	list_for_each_entry_safe(m, tmp, drop, list) {
		list_del(&m->list);
		bproc_msg_retire(m);
	}
}

/* Take every message of @qn into @drop; bproc_msgq_lock held. */
static void bproc_msgq_take_node(struct bproc_msgq_node *qn,
				 struct list_head *drop)
{
	bproc_msgq_user -= qn->charge;
	qn->charge = 0;
	list_splice_tail_init(&qn->msgs, drop);
	list_del_init(&qn->ready);
}

/**
 * bproc_msg_drop_node - @node's session ended: drop what is queued for it
 * @node: the node, or BPROC_NODES_ALL
 *
 * Nothing queued or made for the ended session reaches the node's next
 * one (REXEC, SIGNAL, PIDS alike). Process context.
 */
void bproc_msg_drop_node(s32 node)
{
	s32 first = node == BPROC_NODES_ALL ? 0 : node;
	s32 last = node == BPROC_NODES_ALL ? BPROC_NODES_MAX - 1 : node;
	LIST_HEAD(drop);
	s32 n;

	if (node != BPROC_NODES_ALL && (node < 0 || node >= BPROC_NODES_MAX))
		return;
	for (n = first; n <= last; n++) {
		struct bproc_msgq_node *qn = bproc_msgq_node(n);

		spin_lock_irq(&bproc_msgq_lock);
		WRITE_ONCE(qn->gen, qn->gen + 1);
		bproc_msgq_take_node(qn, &drop);
		spin_unlock_irq(&bproc_msgq_lock);
	}
	bproc_msg_retire_list(&drop);
}

/* Module init: every node's FIFO empty. */
void bproc_msg_init(void)
{
	int n;

	for (n = 0; n < BPROC_NODES_MAX; n++) {
		INIT_LIST_HEAD(&bproc_msgq_nodes[n].msgs);
		INIT_LIST_HEAD(&bproc_msgq_nodes[n].ready);
	}
}

/* Module exit: the master's file was closed, so nothing is queued. */
void bproc_msg_uninit(void)
{
	WARN_ON(!list_empty(&bproc_msgq_ready));
}

/* A master registered: accept messages. */
void bproc_msg_open(void)
{
	spin_lock_irq(&bproc_msgq_lock);
	bproc_msgq_open = true;
	spin_unlock_irq(&bproc_msgq_lock);
}

/* The master's file is closed: refuse messages, drop the queued ones. */
void bproc_msg_close(void)
{
	struct bproc_msgq_node *qn, *tmp;
	LIST_HEAD(drop);

	spin_lock_irq(&bproc_msgq_lock);
	bproc_msgq_open = false;
	list_for_each_entry_safe(qn, tmp, &bproc_msgq_ready, ready)
		bproc_msgq_take_node(qn, &drop);
	spin_unlock_irq(&bproc_msgq_lock);
	bproc_msg_retire_list(&drop);
}

static bool bproc_msg_pending(void)
{
	bool pending;

	spin_lock_irq(&bproc_msgq_lock);
	pending = !list_empty(&bproc_msgq_ready);
	spin_unlock_irq(&bproc_msgq_lock);
	return pending;
}

/**
 * bproc_msg_read - read() on the master's file
 * @file: the master's file (O_NONBLOCK is honoured)
 * @buf: user buffer
 * @len: its size
 *
 * Return: the size of the one message copied out; -EINVAL when @len is
 * too small for the next message (it stays queued); -EAGAIN; -EINTR
 * (-ERESTARTSYS); -EFAULT (the message stays queued).
 */
ssize_t bproc_msg_read(struct file *file, char __user *buf, size_t len)
{
	struct bproc_msgq_node *qn;
	struct bproc_qmsg *m;
	ssize_t ret;

	for (;;) {
		m = NULL;
		spin_lock_irq(&bproc_msgq_lock);
		qn = list_first_entry_or_null(&bproc_msgq_ready,
					      struct bproc_msgq_node, ready);
		if (qn) {
			m = list_first_entry(&qn->msgs, struct bproc_qmsg,
					     list);
			if (m->hdr.size > len) {
				spin_unlock_irq(&bproc_msgq_lock);
				return -EINVAL;
			}
			bproc_msgq_unlink(m);
			/* Round robin: the node goes to the back. */
			if (!list_empty(&qn->msgs))
				list_move_tail(&qn->ready, &bproc_msgq_ready);
		}
		spin_unlock_irq(&bproc_msgq_lock);
		if (m)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(bproc_msgq_wait,
					       bproc_msg_pending());
		if (ret)
			return ret;
	}

	/* Off the queue now: a coalesced signal may be queued again. */
	m->read = true;
	if (m->done) {
		m->done(m);
		m->done = NULL;
	}
	ret = m->hdr.size;
	if (copy_to_user(buf, &m->hdr, m->hdr.size)) {
		/* Put it back where it was, unless its session ended. */
		qn = bproc_msgq_node(m->hdr.node);
		spin_lock_irq(&bproc_msgq_lock);
		if (bproc_msgq_open && m->gen == qn->gen) {
			if (list_empty(&qn->msgs))
				list_add(&qn->ready, &bproc_msgq_ready);
			list_add(&m->list, &qn->msgs);
			bproc_msgq_user += m->charge;
			qn->charge += m->charge;
			m = NULL;
		}
		spin_unlock_irq(&bproc_msgq_lock);
		ret = -EFAULT;
	}
	if (m)
		bproc_msg_retire(m);
	return ret;
}

/* poll() on the master's file: readable when a message is queued. */
__poll_t bproc_msg_poll(struct file *file, poll_table *pt)
{
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &bproc_msgq_wait, pt);
	if (bproc_msg_pending())
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}
