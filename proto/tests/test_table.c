// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: the codec's tables agree with the uapi header. Every type of
 * BPROC_MSG_KINDS (what the module routes by, include/uapi/linux/bproc.h)
 * has a codec row with its direction and payload size, a name, and a
 * field layout that covers exactly that size; every wire type has a
 * name and a direction.
 */
#include <string.h>

#include "bp_wire.h"
#include "bproc-test/tap.h"

static const struct bproc_msg_kind uapi[BPROC_MSG_NTYPES] = BPROC_MSG_KINDS;

/* The names the uapi header gives the types (enum bproc_msg_type). */
static const char *const uapi_names[BPROC_MSG_NTYPES] = {
	[BPROC_MSG_REXEC] = "REXEC", [BPROC_MSG_REXEC_RESULT] = "REXEC_RESULT",
	[BPROC_MSG_SIGNAL] = "SIGNAL", [BPROC_MSG_PSTATUS] = "PSTATUS",
	[BPROC_MSG_STOP] = "STOP", [BPROC_MSG_CONT] = "CONT",
	[BPROC_MSG_EXIT] = "EXIT", [BPROC_MSG_PIDS] = "PIDS",
	[BPROC_MSG_PIDS_WANT] = "PIDS_WANT", [BPROC_MSG_PIDS_FREE] = "PIDS_FREE",
	[BPROC_MSG_FORK] = "FORK", [BPROC_MSG_EXEC] = "EXEC",
};

int main(void)
{
	static const uint16_t wire_types[] = {
		BP_MSG_HELLO, BP_MSG_WELCOME, BP_MSG_REJECT, BP_MSG_STATUS,
		BP_MSG_PING, BP_MSG_PONG, BP_MSG_REQUEST, BP_MSG_BYE, BP_MSG_PROC,
		BP_MSG_IO_HELLO, BP_MSG_FILE_WANT, BP_MSG_FILE_DATA,
		BP_MSG_FILE_END, BP_MSG_CHALLENGE, BP_MSG_AUTH, BP_MSG_ENROLLED,
		BP_MSG_REKEY, BP_MSG_IO_DATA, BP_MSG_IO_ACK, BP_MSG_IO_RESEND,
		BP_MSG_IO_ALIVE,
	};
	struct tap t = { 0 };

	_Static_assert(BP_DIR_TO_NODE == BPROC_MSG_TO_NODE, "dir");
	_Static_assert(BP_DIR_TO_MASTER == BPROC_MSG_TO_MASTER, "dir");
	for (uint16_t ty = 1; ty < BPROC_MSG_NTYPES; ty++) {
		const struct bproc_msg_kind *u = &uapi[ty];
		const char *layout = bp_proc_layout(ty);
		const char *name = uapi_names[ty] ? uapi_names[ty] : "?";

		tap_ok(&t, u->dir == BPROC_MSG_TO_NODE || u->dir == BPROC_MSG_TO_MASTER,
		       "type %u (%s) has a row in BPROC_MSG_KINDS", ty, name);
		tap_ok(&t, bp_proc_type_name(ty) && !strcmp(bp_proc_type_name(ty), name) &&
		       bp_proc_type_dir(ty) == u->dir &&
		       bp_proc_payload_size(ty) == u->size,
		       "%s: the codec has its name, the uapi's direction and size (%u)",
		       name, u->size);
		tap_ok(&t, layout && bp_proc_layout_size(layout) == u->size,
		       "%s: its field layout \"%s\" covers %u bytes", name,
		       layout ? layout : "(none)", u->size);
	}
	tap_ok(&t, !bp_proc_type_name(0) && !bp_proc_type_name(BPROC_MSG_NTYPES),
	       "no codec row outside the uapi's types");
	for (size_t i = 0; i < sizeof(wire_types) / sizeof(wire_types[0]); i++)
		tap_ok(&t, bp_wire_type_name(wire_types[i]) &&
		       bp_wire_type_dir(wire_types[i]) != 0 &&
		       wire_types[i] < BP_WIRE_TYPES,
		       "wire type 0x%04x (%s) has a row with a direction",
		       wire_types[i], bp_wire_type_name(wire_types[i]));
	return tap_done(&t);
}
