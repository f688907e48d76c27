/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_MASQ_H
#define _BPROC_MASQ_H

#include <linux/types.h>
#include <linux/bproc.h>

struct bproc_masq_rec;
struct bproc_slave;
struct task_struct;

int bproc_masq_register(struct bproc_slave *slave,
			const struct bproc_masq *req);
int bproc_masq_signal(struct bproc_slave *slave,
		      const struct bproc_signal *req);
bool bproc_masq_getppid(struct bproc_masq_rec *mq, pid_t *ppid);
void bproc_masq_free(struct bproc_masq_rec *mq);
void bproc_masq_thread(struct bproc_masq_rec *mq, struct task_struct *p);
u64 bproc_masq_instance_of(struct task_struct *t);

#endif /* _BPROC_MASQ_H */
