// SPDX-License-Identifier: GPL-2.0
/* The daemons' clock (bp_time.h). */
#include <time.h>

#include "bp_time.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * BP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t bp_now_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t bp_now_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}
