/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_CTL_H
#define _BPROC_CTL_H

#include <linux/types.h>
#include <linux/bproc.h>

long bproc_ctl_request(const struct bproc_node_ctl *c);
int bproc_ctl_done(u64 id, int error);
void bproc_ctl_open(void);
void bproc_ctl_close(void);

#endif /* _BPROC_CTL_H */
