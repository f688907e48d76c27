// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel settings under /proc/sys. kernel.pid_max is the hook for pid
 * masquerading: a node's pid range must cover the master's, since the
 * master hands out the pids of processes that run here. Today it comes
 * from bproc.pid_max=N on the kernel command line (the boot service can
 * add it); bpslave may also set it once it has talked to the master.
 */
#include <errno.h>
#include <stdio.h>

#include "nodeinit.h"

int ni_sysctl_write(const char *name, const char *value)
{
	char path[128];

	if (snprintf(path, sizeof(path), "/proc/sys/%s", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return ni_write_file(path, value);
}

int ni_set_pid_max(unsigned int pid_max)
{
	char val[16];

	snprintf(val, sizeof(val), "%u", pid_max);
	return ni_sysctl_write("kernel/pid_max", val);
}
