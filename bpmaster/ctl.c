// SPDX-License-Identifier: GPL-2.0
/*
 * Node changes users ask for (docs/nodes.md): bpctl and libbproc call
 * BPROC_IOC_NODE_CTL, the module checks the caller's rights and queues a
 * BPROC_MSG_NODE_CTL on the master file; here the change is checked
 * against the node's state, applied whole or not at all, pushed to the
 * module's table and answered (BPROC_IOC_NODE_CTL_DONE), so when the
 * caller's ioctl returns the table shows it.
 *
 * States an administrator may set (REFERENCE.md, "Node states"):
 *   down          disconnect the node (it connects again on its own)
 *   up, unavailable, error
 *                 a connected node past its node_up step (up, error,
 *                 unavailable); boot is the step's own (-EBUSY)
 *   reboot, halt, pwroff
 *                 a connected node is asked to do it (REQUEST) and is in
 *                 that state until it disconnects (then down; a reboot
 *                 boots again)
 * A node that is not connected takes only down and permission changes
 * (-EHOSTDOWN); one carrying out a reboot, halt or power-off takes no
 * other state (-EBUSY). A cache purge needs a connected node.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bpmaster.h"

static const char *state_name(uint32_t state)
{
	static const char *const names[BPROC_NODE_NSTATES] = {
		[BPROC_NODE_DOWN] = "down", [BPROC_NODE_BOOT] = "boot",
		[BPROC_NODE_UP] = "up", [BPROC_NODE_ERROR] = "error",
		[BPROC_NODE_UNAVAILABLE] = "unavailable",
		[BPROC_NODE_REBOOT] = "reboot", [BPROC_NODE_HALT] = "halt",
		[BPROC_NODE_PWROFF] = "pwroff",
	};

	return state < BPROC_NODE_NSTATES ? names[state] : "?";
}

static bool going_away(uint32_t state)
{
	return state == BPROC_NODE_REBOOT || state == BPROC_NODE_HALT ||
	       state == BPROC_NODE_PWROFF;
}

/* May @c be applied to @node now? 0 or -errno; changes nothing. */
int bpm_ctl_check(const struct bpm *m, int node, const struct bproc_node_ctl *c)
{
	const struct bpm_conn *conn = m->node_conn[node];
	uint32_t cur = m->info[node].state;

	if (!c->what || (c->what & ~BPROC_CTL_ALL))
		return -EINVAL;
	if ((c->what & BPROC_CTL_MODE) && (c->mode & ~0777u))
		return -EINVAL;
	if ((c->what & BPROC_CTL_UID) && c->uid == (uint32_t)-1)
		return -EINVAL;
	if ((c->what & BPROC_CTL_GID) && c->gid == (uint32_t)-1)
		return -EINVAL;
	if ((c->what & BPROC_CTL_CACHE_PURGE) && !conn)
		return -EHOSTDOWN;
	if (!(c->what & BPROC_CTL_STATE))
		return 0;
	switch (c->state) {
	case BPROC_NODE_DOWN:
		return 0;
	case BPROC_NODE_UP:
	case BPROC_NODE_UNAVAILABLE:
	case BPROC_NODE_ERROR:
		if (!conn)
			return -EHOSTDOWN;
		if (cur == BPROC_NODE_BOOT || going_away(cur))
			return -EBUSY;
		return 0;
	case BPROC_NODE_REBOOT:
	case BPROC_NODE_HALT:
	case BPROC_NODE_PWROFF:
		if (!conn)
			return -EHOSTDOWN;
		if (going_away(cur))
			return -EBUSY;
		return 0;
	default:
		return -EINVAL;
	}
}

static int send_request(struct bpm *m, struct bpm_conn *c, uint32_t action)
{
	struct bp_msg msg = { .type = BP_MSG_REQUEST };

	msg.request.action = action;
	return bpm_conn_send(m, c, &msg);
}

/* Apply a checked @c to @node; 0 or -errno (the node's link failed). */
static int ctl_apply(struct bpm *m, int node, const struct bproc_node_ctl *c,
		     int32_t pid)
{
	struct bproc_node_info *ni = &m->info[node];
	struct bpm_conn *conn = m->node_conn[node];
	uint32_t action = 0;
	int ret;

	if (c->what & BPROC_CTL_MODE)
		ni->mode = c->mode;
	if (c->what & BPROC_CTL_UID)
		ni->uid = c->uid;
	if (c->what & BPROC_CTL_GID)
		ni->gid = c->gid;
	if (c->what & (BPROC_CTL_MODE | BPROC_CTL_UID | BPROC_CTL_GID)) {
		bpm_log(m, LOG_NOTICE,
			"node %d: owner %u, group %u, mode %03o (asked by pid %d)",
			node, ni->uid, ni->gid, ni->mode, pid);
		ret = bpm_node_push(m, node);
		if (ret)
			return ret;
	}
	if ((c->what & BPROC_CTL_CACHE_PURGE) && conn) {
		bpm_log(m, LOG_NOTICE, "node %d: cache purge (asked by pid %d)",
			node, pid);
		ret = send_request(m, conn, BP_ACTION_CACHE_PURGE);
		if (ret) {
			bpm_conn_close(m, conn, BP_REASON_NONE,
				       "cannot send to the node: %s",
				       strerror(-ret));
			return -EHOSTDOWN;
		}
	}
	if (!(c->what & BPROC_CTL_STATE) || c->state == ni->state)
		return 0;

	bpm_log(m, LOG_NOTICE, "node %d: state %s -> %s (asked by pid %d)",
		node, state_name(ni->state), state_name(c->state), pid);
	switch (c->state) {
	case BPROC_NODE_DOWN:
		if (conn)
			bpm_conn_close(m, conn, BP_REASON_NONE,
				       "set down by pid %d", pid);
		return 0;
	case BPROC_NODE_ERROR:
		bpm_copy_text(ni->error, sizeof(ni->error),
			      "set by an administrator");
		return bpm_node_set_state(m, node, BPROC_NODE_ERROR);
	case BPROC_NODE_UP:
	case BPROC_NODE_UNAVAILABLE:
		ni->error[0] = '\0';
		return bpm_node_set_state(m, node, c->state);
	case BPROC_NODE_REBOOT:
		action = BP_ACTION_REBOOT;
		break;
	case BPROC_NODE_HALT:
		action = BP_ACTION_HALT;
		break;
	case BPROC_NODE_PWROFF:
		action = BP_ACTION_POWEROFF;
		break;
	}
	/* The node_up step of a node in boot ends here. */
	bpm_nodeup_abort(m, conn);
	ret = bpm_node_set_state(m, node, c->state);
	if (ret)
		return ret;
	ret = send_request(m, conn, action);
	if (ret) {
		bpm_conn_close(m, conn, BP_REASON_NONE,
			       "cannot send to the node: %s", strerror(-ret));
		return -EHOSTDOWN;
	}
	return 0;
}

static void ctl_answer(struct bpm *m, uint64_t id, int err)
{
	struct bproc_node_ctl_done d = {
		.size = sizeof(d), .error = err, .id = id,
	};

	if (ioctl(m->bproc_fd, BPROC_IOC_NODE_CTL_DONE, &d) < 0)
		bpm_debug(m, "/dev/bproc: BPROC_IOC_NODE_CTL_DONE for request %llu: %s",
			  (unsigned long long)id, strerror(errno));
}

/* One BPROC_MSG_NODE_CTL of @len bytes in @buf, read from the module. */
void bpm_ctl_msg(struct bpm *m, const uint8_t *buf, size_t len)
{
	struct bproc_msg_hdr hdr;
	struct bproc_node_ctl c;
	int err;

	memcpy(&hdr, buf, sizeof(hdr));
	if (len != sizeof(hdr) + sizeof(c) || hdr.size != len) {
		bpm_log(m, LOG_ERR,
			"/dev/bproc: malformed NODE_CTL (%zu bytes) dropped", len);
		ctl_answer(m, hdr.id, -EINVAL);
		return;
	}
	memcpy(&c, buf + sizeof(hdr), sizeof(c));
	if (c.node != hdr.node || c.node < 0 ||
	    (uint32_t)c.node >= m->cfg.node_count) {
		ctl_answer(m, hdr.id, -ENODEV);
		return;
	}
	err = bpm_ctl_check(m, c.node, &c);
	if (!err)
		err = ctl_apply(m, c.node, &c, hdr.pid);
	else
		bpm_debug(m, "node %d: change asked by pid %d refused: %s",
			  c.node, hdr.pid, strerror(-err));
	ctl_answer(m, hdr.id, err);
}
