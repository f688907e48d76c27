// SPDX-License-Identifier: LGPL-2.1-or-later
/* Node state names, as bpstat shows them and bpctl -s accepts them. */

#include <string.h>

#include "internal.h"

static const char *const bproc_state_names[BPROC_NODE_NSTATES] = {
	[BPROC_NODE_DOWN]		= "down",
	[BPROC_NODE_BOOT]		= "boot",
	[BPROC_NODE_UP]			= "up",
	[BPROC_NODE_ERROR]		= "error",
	[BPROC_NODE_UNAVAILABLE]	= "unavailable",
	[BPROC_NODE_REBOOT]		= "reboot",
	[BPROC_NODE_HALT]		= "halt",
	[BPROC_NODE_PWROFF]		= "pwroff",
};

const char *bproc_nodestate_name(int state)
{
	if (state < 0 || state >= BPROC_NODE_NSTATES)
		return NULL;
	return bproc_state_names[state];
}

int bproc_nodestate_parse(const char *name)
{
	int i;

	if (name)
		for (i = 0; i < BPROC_NODE_NSTATES; i++)
			if (!strcmp(name, bproc_state_names[i]))
				return i;
	return bproc_fail(-EINVAL);
}
