// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the virtual nodes (vnode.c): their MAC addresses, by the
 * rule the harness predicts them by (harness/cluster.py: 52:54:JJ:42:01:NN
 * for vnode JJ of node VM NN), unicast and locally administered, all
 * distinct from each other and from the boot interface's; and what the
 * supervisor does when a virtual node's bpslave exits (ni_vnode_exit():
 * the statuses of bpslave --virtual, bpslave(8)). TAP.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "nodeinit.h"
#include "bproc-test/tap.h"

static void test_exits(struct tap *t)
{
	static const struct {
		int wstatus;
		enum ni_vnode_exit want;
		const char *what;
	} cases[] = {
		{ W_EXITCODE(3, 0), NI_VEXIT_REBOOT, "exit 3 (reboot): restarted at once" },
		{ W_EXITCODE(4, 0), NI_VEXIT_HALT, "exit 4 (halt): left down" },
		{ W_EXITCODE(5, 0), NI_VEXIT_POWEROFF, "exit 5 (power-off): left down" },
		{ W_EXITCODE(0, 0), NI_VEXIT_RESTART, "exit 0 (SIGTERM): with backoff" },
		{ W_EXITCODE(1, 0), NI_VEXIT_RESTART, "exit 1 (a failure): with backoff" },
		{ W_EXITCODE(127, 0), NI_VEXIT_RESTART, "exit 127 (no exec): with backoff" },
		{ W_EXITCODE(0, SIGKILL), NI_VEXIT_RESTART, "killed: with backoff" },
		{ W_EXITCODE(0, 3), NI_VEXIT_RESTART, "signal 3 is not exit 3" },
		{ W_EXITCODE(0, 4) | WCOREFLAG, NI_VEXIT_RESTART, "signal 4, core: not exit 4" },
		{ W_STOPCODE(5), NI_VEXIT_RESTART, "stopped by signal 5 is not exit 5" },
	};

	tap_ok(t, NI_BPSLAVE_EXIT_REBOOT == 3 && NI_BPSLAVE_EXIT_HALT == 4 &&
	       NI_BPSLAVE_EXIT_POWEROFF == 5,
	       "bpslave --virtual's statuses are 3, 4 and 5, as bpslave(8) says");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_ok(t, ni_vnode_exit(cases[i].wstatus) == cases[i].want,
		       "%s", cases[i].what);
}

int main(void)
{
	const uint8_t qemu[6] = { 0x52, 0x54, 0x00, 0x42, 0x01, 0x07 };
	const uint8_t hw[6] = { 0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc };
	uint8_t all[NI_VNODES_MAX + 1][6], m[6];
	struct tap t = { 0 };
	bool distinct = true, local = true;

	printf("TAP version 13\n");
	ni_vnode_mac(qemu, 3, m);
	tap_ok(&t, m[0] == 0x52 && m[1] == 0x54 && m[2] == 0x03 && m[3] == 0x42 &&
	       m[4] == 0x01 && m[5] == 0x07,
	       "vnode 3 of QEMU's 52:54:00:42:01:07 is 52:54:03:42:01:07, as the harness predicts");
	memcpy(all[0], hw, 6);
	for (unsigned int j = 1; j <= NI_VNODES_MAX; j++) {
		ni_vnode_mac(hw, j, all[j]);
		local &= (all[j][0] & 0x02) && !(all[j][0] & 0x01);
		for (unsigned int k = 0; k < j; k++)
			distinct &= memcmp(all[j], all[k], 6) != 0;
	}
	tap_ok(&t, local, "a real NIC's vnodes: unicast, locally administered");
	tap_ok(&t, distinct, "all %d of them distinct, and none the NIC's own", NI_VNODES_MAX);
	test_exits(&t);
	return tap_done(&t);
}
