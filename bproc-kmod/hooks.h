/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_HOOKS_H
#define _BPROC_HOOKS_H

int bproc_hooks_init(void);
void bproc_hooks_uninit(void);

#endif /* _BPROC_HOOKS_H */
