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
 */

#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "msg.h"
#include "nodes.h"

/*
 * bproc_msgq_lock protects bproc_msgq and bproc_msgq_open. It is taken
 * with interrupts off because the signal hook queues messages with the
 * target's siglock held and interrupts disabled (lock order: siglock,
 * ghost lock, bproc_msgq_lock). Nothing sleeps or allocates under it.
 */
static DEFINE_SPINLOCK(bproc_msgq_lock);
static LIST_HEAD(bproc_msgq);
static bool bproc_msgq_open;
static DECLARE_WAIT_QUEUE_HEAD(bproc_msgq_wait);
static atomic64_t bproc_msg_ids = ATOMIC64_INIT(0);

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
 * @gfp: allocation flags; GFP_ATOMIC from the signal hook
 *
 * Return: the message, or NULL when out of memory.
 */
struct bproc_qmsg *bproc_msg_alloc(u16 type, s32 node, s32 pid, u64 id,
				   size_t payload, gfp_t gfp)
{
	struct bproc_qmsg *m;

	/* kvzalloc() only for callers that may sleep. */
	if (gfp == GFP_KERNEL)
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
	return m;
}

void bproc_msg_free(struct bproc_qmsg *m)
{
	kvfree(m);
}

/**
 * bproc_msg_send - queue a message for the master daemon
 * @m: the message; the queue owns it from here on, whatever the result
 *
 * May be called in any context.
 *
 * Return: 0, or -ENOTCONN when no master daemon is registered.
 */
int bproc_msg_send(struct bproc_qmsg *m)
{
	unsigned long flags;
	bool queued = false;

	spin_lock_irqsave(&bproc_msgq_lock, flags);
	if (bproc_msgq_open) {
		list_add_tail(&m->list, &bproc_msgq);
		queued = true;
	}
	spin_unlock_irqrestore(&bproc_msgq_lock, flags);
	if (!queued) {
		bproc_msg_free(m);
		return -ENOTCONN;
	}
	wake_up_interruptible(&bproc_msgq_wait);
	return 0;
}

/*
 * Drop the queued messages of @type for @node (BPROC_NODES_ALL: any
 * node): what the node must not get once it was lost, as a lease of
 * numbers the master took back.
 */
void bproc_msg_drop(u16 type, s32 node)
{
	struct bproc_qmsg *m, *tmp;
	LIST_HEAD(drop);

	spin_lock_irq(&bproc_msgq_lock);
	list_for_each_entry_safe(m, tmp, &bproc_msgq, list)
		if (m->hdr.type == type &&
		    (node == BPROC_NODES_ALL || m->hdr.node == node))
			list_move(&m->list, &drop);
	spin_unlock_irq(&bproc_msgq_lock);

	list_for_each_entry_safe(m, tmp, &drop, list)
		bproc_msg_free(m);
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
	struct bproc_qmsg *m, *tmp;
	LIST_HEAD(drop);

	spin_lock_irq(&bproc_msgq_lock);
	bproc_msgq_open = false;
	list_splice_init(&bproc_msgq, &drop);
	spin_unlock_irq(&bproc_msgq_lock);

	list_for_each_entry_safe(m, tmp, &drop, list)
		bproc_msg_free(m);
}

static bool bproc_msg_pending(void)
{
	bool pending;

	spin_lock_irq(&bproc_msgq_lock);
	pending = !list_empty(&bproc_msgq);
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
	struct bproc_qmsg *m;
	ssize_t ret;

	for (;;) {
		spin_lock_irq(&bproc_msgq_lock);
		m = list_first_entry_or_null(&bproc_msgq, struct bproc_qmsg,
					     list);
		if (m) {
			if (m->hdr.size > len) {
				spin_unlock_irq(&bproc_msgq_lock);
				return -EINVAL;
			}
			list_del_init(&m->list);
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

	ret = m->hdr.size;
	if (copy_to_user(buf, &m->hdr, m->hdr.size)) {
		/* Put it back where it was, unless the queue closed. */
		spin_lock_irq(&bproc_msgq_lock);
		if (bproc_msgq_open) {
			list_add(&m->list, &bproc_msgq);
			m = NULL;
		}
		spin_unlock_irq(&bproc_msgq_lock);
		ret = -EFAULT;
	}
	if (m)
		bproc_msg_free(m);
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
