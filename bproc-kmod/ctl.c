// SPDX-License-Identifier: GPL-2.0
/*
 * Node changes through the master daemon (docs/nodes.md): a user's
 * BPROC_IOC_NODE_CTL is checked against the node table here, queued for
 * bpmaster as a BPROC_MSG_NODE_CTL message, and the caller sleeps until
 * bpmaster answers with BPROC_IOC_NODE_CTL_DONE (it applies the change
 * and pushes the new entry first), the message is dropped (the node's
 * session ended while it waited: -EHOSTDOWN), the daemon goes away
 * (-ENOTCONN), BPROC_CTL_TIMEOUT passes (-ETIMEDOUT) or the caller gets
 * a fatal signal.
 *
 * Bounds: each request is one sleeping task of the caller's, and its
 * message counts in the queue's bound on user messages (-EAGAIN).
 */

#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "ctl.h"
#include "msg.h"
#include "nodes.h"

/* How long a caller waits for bpmaster's answer. */
#define BPROC_CTL_TIMEOUT	(60 * HZ)

struct bproc_ctl_wait {
	struct list_head list;
	u64 id;
	int error;
	bool done;
};

/* bproc_ctl_lock protects bproc_ctl_waits, every waiter and bproc_ctl_up. */
static DEFINE_SPINLOCK(bproc_ctl_lock);
static LIST_HEAD(bproc_ctl_waits);
static bool bproc_ctl_up;
static DECLARE_WAIT_QUEUE_HEAD(bproc_ctl_wq);

/* Answer the waiter of @id; bproc_ctl_lock held. -ENOENT if none waits. */
static int bproc_ctl_answer(u64 id, int error)
{
	struct bproc_ctl_wait *w;

	list_for_each_entry(w, &bproc_ctl_waits, list) {
		if (w->id != id || w->done)
			continue;
		w->error = error;
		WRITE_ONCE(w->done, true);
		return 0;
	}
	return -ENOENT;
}

/* The message left the queue: by read() bpmaster has it, else it is lost. */
static void bproc_ctl_msg_done(struct bproc_qmsg *m)
{
	if (m->read)
		return;
	spin_lock(&bproc_ctl_lock);
	bproc_ctl_answer(m->hdr.id, -EHOSTDOWN);
	spin_unlock(&bproc_ctl_lock);
	wake_up_all(&bproc_ctl_wq);
}

/**
 * bproc_ctl_request - carry out a user's BPROC_IOC_NODE_CTL
 * @c: the request, checked here
 *
 * Return: 0 once bpmaster applied it; the check's errors
 * (bproc_nodes_may_ctl()); -ENOMEM; -EAGAIN (the queue is full);
 * -ENOTCONN; -EHOSTDOWN; -ETIMEDOUT; -EINTR (fatal signal); or
 * bpmaster's answer.
 */
long bproc_ctl_request(const struct bproc_node_ctl *c)
{
	struct bproc_ctl_wait w = {};
	struct bproc_qmsg *m;
	long left;
	int err;

	err = bproc_nodes_may_ctl(c);
	if (err)
		return err;
	m = bproc_msg_alloc(BPROC_MSG_NODE_CTL, c->node, task_tgid_nr(current),
			    bproc_msg_new_id(), sizeof(*c),
			    GFP_KERNEL | __GFP_ACCOUNT);
	if (!m)
		return -ENOMEM;
	memcpy(m->payload, c, sizeof(*c));
	m->done = bproc_ctl_msg_done;
	w.id = m->hdr.id;

	spin_lock(&bproc_ctl_lock);
	if (!bproc_ctl_up) {
		spin_unlock(&bproc_ctl_lock);
		bproc_msg_free(m);
		return -ENOTCONN;
	}
	list_add_tail(&w.list, &bproc_ctl_waits);
	spin_unlock(&bproc_ctl_lock);

	err = bproc_msg_send_user(m);
	if (!err) {
		left = wait_event_killable_timeout(bproc_ctl_wq,
						   READ_ONCE(w.done),
						   BPROC_CTL_TIMEOUT);
		if (left == 0)
			err = -ETIMEDOUT;
		else if (left < 0)
			err = -EINTR;
	}

	spin_lock(&bproc_ctl_lock);
	list_del(&w.list);
	if (w.done)
		err = w.error;
	spin_unlock(&bproc_ctl_lock);
	return err;
}

/**
 * bproc_ctl_done - bpmaster's answer to the request @id
 * @id: hdr.id of the BPROC_MSG_NODE_CTL
 * @error: 0 or a negative errno; anything else reads as -EIO
 *
 * Return: 0, or -ENOENT when nobody waits for @id (it gave up).
 */
int bproc_ctl_done(u64 id, int error)
{
	int err;

	if (error > 0 || error < -MAX_ERRNO)
		error = -EIO;
	spin_lock(&bproc_ctl_lock);
	err = bproc_ctl_answer(id, error);
	spin_unlock(&bproc_ctl_lock);
	if (!err)
		wake_up_all(&bproc_ctl_wq);
	return err;
}

/* A master registered: take requests. */
void bproc_ctl_open(void)
{
	spin_lock(&bproc_ctl_lock);
	bproc_ctl_up = true;
	spin_unlock(&bproc_ctl_lock);
}

/* The master is gone: every waiting request fails with -ENOTCONN. */
void bproc_ctl_close(void)
{
	struct bproc_ctl_wait *w;

	spin_lock(&bproc_ctl_lock);
	bproc_ctl_up = false;
	list_for_each_entry(w, &bproc_ctl_waits, list) {
		if (w->done)
			continue;
		w->error = -ENOTCONN;
		WRITE_ONCE(w->done, true);
	}
	spin_unlock(&bproc_ctl_lock);
	wake_up_all(&bproc_ctl_wq);
}
