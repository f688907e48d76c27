// SPDX-License-Identifier: GPL-2.0
/*
 * Messages from the nodes: bpmaster writes each one it received from a
 * node to its /dev/bproc file, one whole message per write(). Each type
 * the module acts on has a row here: its handler, and whether it is about
 * pid numbers rather than a process (pid 0). Its payload size and its
 * direction come from the uapi's BPROC_MSG_KINDS, which the daemons'
 * codec is built from too; only types that travel to the master pass.
 */

#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ghost.h"
#include "lease.h"
#include "msg.h"
#include "nodes.h"

struct bproc_msg_route {
	int (*handle)(const struct bproc_msg_hdr *hdr, const void *payload);
	bool no_pid;		/* pid 0: about pid numbers, not a process */
};

static const struct bproc_msg_kind bproc_msg_kinds[BPROC_MSG_NTYPES] =
	BPROC_MSG_KINDS;

static int bproc_msg_pids_want(const struct bproc_msg_hdr *hdr,
			       const void *payload)
{
	return bproc_lease_grant(hdr->node, *(const u32 *)payload);
}

static int bproc_msg_pids_free(const struct bproc_msg_hdr *hdr,
			       const void *payload)
{
	const struct bproc_msg_pids *pids = payload;

	if (pids->count < 1 || pids->count > BPROC_PIDS_MAX || pids->__pad)
		return -EINVAL;
	bproc_lease_free(hdr->node, pids->pids, pids->count);
	return 0;
}

static const struct bproc_msg_route bproc_msg_routes[BPROC_MSG_NTYPES] = {
	[BPROC_MSG_REXEC_RESULT] = { bproc_ghost_result_msg },
	[BPROC_MSG_PSTATUS]	 = { bproc_ghost_pstatus_msg },
	[BPROC_MSG_STOP]	 = { bproc_ghost_stop_msg },
	[BPROC_MSG_CONT]	 = { bproc_ghost_cont_msg },
	[BPROC_MSG_EXIT]	 = { bproc_ghost_exit_msg },
	[BPROC_MSG_FORK]	 = { bproc_ghost_fork_msg },
	[BPROC_MSG_EXEC]	 = { bproc_ghost_exec_msg },
	[BPROC_MSG_PIDS_WANT]	 = { bproc_msg_pids_want, true },
	[BPROC_MSG_PIDS_FREE]	 = { bproc_msg_pids_free, true },
};

/* The largest message a node sends: header + the largest payload. */
union bproc_msg_in_payload {
	s32 error;
	s32 signo;
	struct bproc_msg_pstatus pstatus;
	struct bproc_msg_exit exit;
	struct bproc_msg_fork fork;
	u32 want;
	struct bproc_msg_pids pids;
	struct bproc_msg_exec exec;
};

struct bproc_msg_in {
	struct bproc_msg_hdr hdr;
	union bproc_msg_in_payload p;
};

/* A node's message, copied in: check it and hand it on. */
static ssize_t bproc_msg_take(struct bproc_msg_in *in, size_t len)
{
	const struct bproc_msg_route *r;
	u16 type = in->hdr.type;
	int err;

	if (in->hdr.size != len || in->hdr.flags)
		return -EINVAL;
	/* Only nodes of the master's table (bproc_nodes_count()) speak. */
	if (in->hdr.node < 0 || (u32)in->hdr.node >= bproc_nodes_count())
		return -EINVAL;
	if (type >= BPROC_MSG_NTYPES || !bproc_msg_routes[type].handle ||
	    bproc_msg_kinds[type].dir != BPROC_MSG_TO_MASTER)
		return -EINVAL;
	r = &bproc_msg_routes[type];
	if (len - sizeof(in->hdr) != bproc_msg_kinds[type].size)
		return -EINVAL;
	if (r->no_pid ? in->hdr.pid != 0 : in->hdr.pid <= 0)
		return -EINVAL;
	err = r->handle(&in->hdr, &in->p);
	return err ? err : len;
}

/**
 * bproc_msg_write - write() on the master's file: one message from a node
 * @buf: the message, header first
 * @len: its size, which must equal hdr.size
 *
 * Return: @len; -EINVAL for a malformed message (size, flags, type,
 * node, payload, or one that does not fit the ghost's state); -ESRCH
 * when no ghost of that pid runs on that node; -EFAULT; -ENOMEM. A
 * rejected message changes nothing.
 */
ssize_t bproc_msg_write(const char __user *buf, size_t len)
{
	struct bproc_msg_in *in;
	ssize_t ret;

	if (len < sizeof(in->hdr) || len > sizeof(*in))
		return -EINVAL;
	/* Zeroed: payload bytes a short message lacks read as 0. */
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	ret = -EFAULT;
	if (!copy_from_user(in, buf, len))
		ret = bproc_msg_take(in, len);
	kfree(in);
	return ret;
}
