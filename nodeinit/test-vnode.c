// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the virtual nodes' MAC addresses (vnode.c): the rule the
 * harness predicts them by (harness/cluster.py: 52:54:JJ:42:01:NN for
 * vnode JJ of node VM NN), unicast and locally administered, all
 * distinct from each other and from the boot interface's. TAP.
 */
#include <stdio.h>
#include <string.h>

#include "nodeinit.h"
#include "bproc-test/tap.h"

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
	return tap_done(&t);
}
