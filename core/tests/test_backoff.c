// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the retry backoff (TAP). */
#include <stdint.h>

#include "bp_backoff.h"
#include "bproc-test/tap.h"

int main(void)
{
	static const struct bp_backoff b = { 1000, 10000, 30000 };
	static const struct bp_backoff never = { 1000, 10000, UINT64_MAX };
	static const unsigned int want[] = { 1000, 2000, 4000, 8000, 10000, 10000, 10000 };
	struct tap t = { 0 };
	unsigned int d = 0, i;
	bool ok = true;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		d = bp_backoff_next(&b, d, 100);
		ok = ok && d == want[i];
	}
	tap_ok(&t, ok, "quick failures back off 1, 2, 4, 8, 10, 10, 10 s");
	tap_ok(&t, bp_backoff_next(&b, 10000, 30000) == 1000,
	       "an attempt of 30 s resets the delay to 1 s");
	tap_ok(&t, bp_backoff_next(&b, 8000, 29999) == 10000,
	       "an attempt just under 30 s keeps backing off");
	tap_ok(&t, bp_backoff_next(&b, 0, 1000000) == 1000, "first failure after a long run: 1 s");
	tap_ok(&t, bp_backoff_next(&b, 3000, 0) == 6000, "doubling from an odd delay");
	tap_ok(&t, bp_backoff_next(&b, 6000, 0) == 10000, "capped at 10 s");
	tap_ok(&t, bp_backoff_next(&never, 8000, UINT64_MAX - 1) == 10000,
	       "without a reset time only a fresh start (prev 0) resets");
	return tap_done(&t);
}
