/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_DEV_H
#define _BPROC_DEV_H

int bproc_dev_init(void);
void bproc_dev_uninit(void);

#endif /* _BPROC_DEV_H */
