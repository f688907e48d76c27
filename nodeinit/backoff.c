// SPDX-License-Identifier: GPL-2.0
/* Restart delays for supervised programs: 1 s doubling to 10 s. */
#include "backoff.h"

unsigned int ni_backoff_next(unsigned int prev_ms, uint64_t ran_ms)
{
	if (prev_ms == 0 || ran_ms >= NI_BACKOFF_RESET_MS)
		return NI_BACKOFF_MIN_MS;
	if (prev_ms >= NI_BACKOFF_MAX_MS / 2)
		return NI_BACKOFF_MAX_MS;
	return prev_ms * 2;
}
