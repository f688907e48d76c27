// SPDX-License-Identifier: GPL-2.0
/* Retry delays (bp_backoff.h). */
#include "bp_backoff.h"

unsigned int bp_backoff_next(const struct bp_backoff *b, unsigned int prev_ms,
			     uint64_t ran_ms)
{
	if (prev_ms == 0 || ran_ms >= b->reset_ms)
		return b->min_ms;
	if (prev_ms >= b->max_ms / 2)
		return b->max_ms;
	return prev_ms * 2;
}
