/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one clock of the daemons: CLOCK_MONOTONIC for every timeout and
 * interval, CLOCK_REALTIME only for times that leave the host (wire
 * timestamps, the node table's state_since).
 */
#ifndef BP_TIME_H
#define BP_TIME_H

#include <stdint.h>

#define BP_NS_PER_MS	1000000ull
#define BP_NS_PER_S	1000000000ull

uint64_t bp_now_mono_ns(void);
uint64_t bp_now_real_ns(void);

static inline uint64_t bp_now_mono_ms(void)
{
	return bp_now_mono_ns() / BP_NS_PER_MS;
}

#endif /* BP_TIME_H */
