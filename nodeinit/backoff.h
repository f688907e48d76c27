/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Restart policy for supervised programs (pure, host-tested): the first
 * restart waits 1 s, each further one twice as long, at most 10 s. A
 * program that ran for NI_BACKOFF_RESET_MS or longer before it exited
 * counts as healthy, so its next restart waits 1 s again.
 */
#ifndef NODEINIT_BACKOFF_H
#define NODEINIT_BACKOFF_H

#include <stdint.h>

#define NI_BACKOFF_MIN_MS	1000u
#define NI_BACKOFF_MAX_MS	10000u
#define NI_BACKOFF_RESET_MS	30000u

/*
 * Delay before the next start of a program that just exited after
 * running @ran_ms milliseconds; @prev_ms is the delay used before its
 * previous start (0 if there was none).
 */
unsigned int ni_backoff_next(unsigned int prev_ms, uint64_t ran_ms);

#endif /* NODEINIT_BACKOFF_H */
