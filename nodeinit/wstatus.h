/* SPDX-License-Identifier: GPL-2.0 */
/* Wait statuses in words, for log lines (pure, host-tested). */
#ifndef NODEINIT_WSTATUS_H
#define NODEINIT_WSTATUS_H

#include <stddef.h>

/*
 * Describe a waitpid() status: "status 3", "signal 9 (Killed)",
 * "signal 11 (Segmentation fault), core dumped". Returns @buf.
 */
const char *ni_wstatus_str(int wstatus, char *buf, size_t size);

#endif /* NODEINIT_WSTATUS_H */
