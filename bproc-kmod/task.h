/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_TASK_H
#define _BPROC_TASK_H

#include <linux/sched.h>
#include <linux/types.h>
#include <asm/barrier.h>

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

/*
 * Point @t at its complete record @bt: release ordering, so that a hook
 * on another CPU that reads t->bproc with smp_load_acquire() sees every
 * field set before.
 */
static inline void bproc_task_publish(struct task_struct *t,
				      struct bproc_task *bt)
{
	smp_store_release(&t->bproc, bt); /* pairs with the hooks' acquire */
}

#endif /* _BPROC_TASK_H */
