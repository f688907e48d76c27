// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the crypto wrappers against published vectors (TAP). */
#include <string.h>

#include "bp_crypto.h"
#include "bproc-test/tap.h"

int main(void)
{
	struct tap t = { 0 };
	uint8_t d[BP_SHA256_LEN], d2[BP_SHA256_LEN], r1[16], r2[16];
	struct bp_sha256 h;
	char hex[2 * BP_SHA256_LEN + 1];

	/* FIPS 180-2, appendix B.1 */
	bp_sha256("abc", 3, d);
	bp_hex(d, sizeof(d), hex);
	tap_ok(&t, !strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	       "SHA-256(\"abc\") = %s", hex);
	bp_sha256_init(&h);
	bp_sha256_update(&h, "a", 1);
	bp_sha256_update(&h, "bc", 2);
	tap_ok(&t, !bp_sha256_final(&h, d2) && !memcmp(d, d2, sizeof(d)),
	       "streaming in pieces gives the same digest");
	/* RFC 4231, test case 2 */
	bp_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
	bp_hex(d, sizeof(d), hex);
	tap_ok(&t, !strcmp(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
	       "HMAC-SHA256 (RFC 4231 case 2) = %s", hex);
	tap_ok(&t, !bp_unhex(hex, d2, sizeof(d2)) && !memcmp(d, d2, sizeof(d)),
	       "hex round trip");
	tap_ok(&t, bp_unhex("zz", r1, 1) == -22 && bp_unhex("abc", r1, 1) == -22,
	       "bad hex is -EINVAL");
	tap_ok(&t, !bp_mem_neq(d, d2, sizeof(d)) && bp_mem_neq("a", "b", 1),
	       "constant-time compare");
	tap_ok(&t, !bp_random(r1, sizeof(r1)) && !bp_random(r2, sizeof(r2)) &&
	       memcmp(r1, r2, sizeof(r1)), "random bytes differ");
	return tap_done(&t);
}
