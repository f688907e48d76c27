/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Retry delays (pure, host-tested), for nodeinit's restarts of the
 * programs it supervises and bpslave's reconnects: the first retry waits
 * min_ms, each further one twice as long, at most max_ms. An attempt
 * that lasted reset_ms or longer (a program that ran that long, a session
 * that was welcomed) counts as a success: the next delay is min_ms again.
 */
#ifndef BP_BACKOFF_H
#define BP_BACKOFF_H

#include <stdint.h>

struct bp_backoff {
	unsigned int min_ms;
	unsigned int max_ms;
	uint64_t reset_ms;	/* UINT64_MAX: only bp_backoff_reset() resets */
};

/*
 * Delay before the next attempt after one that lasted @ran_ms; @prev_ms
 * is the delay used before it (0 if none).
 */
unsigned int bp_backoff_next(const struct bp_backoff *b, unsigned int prev_ms,
			     uint64_t ran_ms);

#endif /* BP_BACKOFF_H */
