/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_TASK_H
#define _BPROC_TASK_H

#include <linux/types.h>

#ifndef CONFIG_BPROC_HOOKS
#error "bproc.ko needs a kernel with CONFIG_BPROC_HOOKS=y (patches/0002+)"
#endif

/*
 * task_struct.bproc (include/linux/bproc_hooks.h) points at one of the
 * module's records, which all start with this header: a ghost on the
 * master (ghost.c) or a masqueraded process on a node (masq.c).
 */
enum bproc_task_kind {
	BPROC_TASK_GHOST = 1,
	BPROC_TASK_MASQ = 2,
};

struct bproc_task {
	enum bproc_task_kind kind;
};

#endif /* _BPROC_TASK_H */
