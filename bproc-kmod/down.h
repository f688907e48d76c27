/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_DOWN_H
#define _BPROC_DOWN_H

#include <linux/types.h>

void bproc_down(s32 node, int error);

#endif /* _BPROC_DOWN_H */
