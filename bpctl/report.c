// SPDX-License-Identifier: GPL-2.0
/*
 * What bpctl reports per node: the change it made (-v), and a hint after
 * a refusal that says which right or condition was missing (docs/nodes.md,
 * "Rights" and "States").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

/* "NAME (ID)" for a name, "ID" for a number given as such. */
static int owner(char *buf, size_t len, const char *what, const char *given,
		 unsigned int id)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", id);
	if (!given || !strcmp(given, num))
		return snprintf(buf, len, "%s %u", what, id);
	return snprintf(buf, len, "%s %s (%u)", what, given, id);
}

int bpctl_describe(const struct bpctl_opts *o, char *buf, size_t len)
{
	const struct bproc_node_ctl *c = &o->ctl;
	char part[5][96];
	const char *name;
	int n = 0, total = 0, i;

	if (c->what & BPROC_CTL_STATE) {
		name = bproc_nodestate_name((int)c->state);
		if (name)
			snprintf(part[n++], sizeof(part[0]), "state %s", name);
		else
			snprintf(part[n++], sizeof(part[0]), "state %u",
				 c->state);
	}
	if (c->what & BPROC_CTL_MODE)
		snprintf(part[n++], sizeof(part[0]), "mode %04o", c->mode);
	if (c->what & BPROC_CTL_UID)
		owner(part[n++], sizeof(part[0]), "user", o->user, c->uid);
	if (c->what & BPROC_CTL_GID)
		owner(part[n++], sizeof(part[0]), "group", o->group, c->gid);
	if (c->what & BPROC_CTL_CACHE_PURGE)
		snprintf(part[n++], sizeof(part[0]), "cache purged");
	if (len)
		buf[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t at = (size_t)total < len ? (size_t)total : len;

		total += snprintf(buf + at, len - at, "%s%s", i ? ", " : "",
				  part[i]);
	}
	return total;
}

/* EPERM: the strictest right the change needs. */
static const char *perm_hint(const struct bproc_node_ctl *c)
{
	bool state = c->what & BPROC_CTL_STATE;
	bool uid = c->what & BPROC_CTL_UID;
	bool purge = c->what & BPROC_CTL_CACHE_PURGE;

	if (state && (uid || purge))
		return "only root may set a node's state, change its owner or purge its cache";
	if (state)
		switch (c->state) {
		case BPROC_NODE_REBOOT:
			return "only root may reboot a node";
		case BPROC_NODE_HALT:
			return "only root may halt a node";
		case BPROC_NODE_PWROFF:
			return "only root may power off a node";
		default:
			return "only root may set a node's state";
		}
	if (uid && purge)
		return "only root may change a node's owner or purge its cache";
	if (uid)
		return "only root may change a node's owner";
	if (purge)
		return "only root may purge a node's cache";
	if ((c->what & BPROC_CTL_GID) && (c->what & BPROC_CTL_MODE))
		return "only root or the node's owner may change its mode and group "
		       "(the owner: to a group it is in)";
	if (c->what & BPROC_CTL_GID)
		return "only root, or the node's owner to a group it is in, "
		       "may change a node's group";
	return "only root or the node's owner may change a node's mode";
}

const char *bpctl_hint(int err, const struct bproc_node_ctl *ctl)
{
	switch (err) {
	case EPERM:
		return perm_hint(ctl);
	case EHOSTDOWN:
		return "the node is not connected: it takes only state down "
		       "and changes of mode, user and group";
	case EBUSY:
		return "the node is booting, or carrying out a reboot, halt or power-off";
	case ENOTCONN:
		return "no master daemon (bpmaster) is running";
	case EAGAIN:
		return "too many requests are queued for the master daemon; try again";
	case ETIMEDOUT:
		return "the master daemon did not answer in time; the change may still be made";
	case ENODEV:
		return "no such node: the node table changed";
	case ENOSYS:
		return "the loaded bproc module does not take node changes";
	case ENOENT:
		return "no " BPROC_DEVICE ": is the bproc module loaded?";
	default:
		return NULL;
	}
}
