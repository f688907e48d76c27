/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Node authentication (docs/security.md): key files, the keys and proofs
 * derived from them, and the enrollment key wrap. Pure functions over
 * buffers, but for the key file readers and writers.
 *
 * The master holds the cluster key, one 32-byte secret per generation,
 * in its key file (/etc/bproc/cluster.key, mode 0400, "GEN HEX" lines;
 * the highest generation is current). A node holds only its node key
 * K_N = HMAC(K_gen, "bproc node key v1" | gen | N), in its own key file
 * (one line), and proves it with it.
 */
#ifndef BP_AUTH_H
#define BP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "bp_wire.h"

#define BP_KEYRING_MAX	16	/* generations a key file may hold */

struct bp_key {
	uint32_t gen;			/* >= 1 */
	uint8_t key[BP_AUTH_KEY_LEN];
};

struct bp_keyring {
	unsigned int n;
	struct bp_key k[BP_KEYRING_MAX];	/* ascending generations */
};

/*
 * Read a key file: "GEN HEX" lines (64 hex digits), '#' comments. The
 * file must be a regular file that no one but its owner can read or
 * write. Returns 0, -ENOENT, or another -errno with @err saying why.
 */
int bp_keyring_load(const char *path, struct bp_keyring *kr, char *err,
		    size_t errlen);
/* Write @kr to @path atomically, mode 0400. */
int bp_keyring_save(const char *path, const struct bp_keyring *kr, char *err,
		    size_t errlen);
/* Append a fresh random generation (current + 1; the first is 1). */
int bp_keyring_add(struct bp_keyring *kr);
/* The key of generation @gen, or NULL. */
const struct bp_key *bp_keyring_find(const struct bp_keyring *kr,
				     uint32_t gen);
/* The current (highest) generation, or NULL when empty. */
const struct bp_key *bp_keyring_current(const struct bp_keyring *kr);

/*
 * The auth bytes of HELLO (bp_wire.h, enum bp_auth): method KEY carries
 * the generation (u32) and the node's nonce, ENROLL its X25519 key.
 */
void bp_hello_offer_key(struct bp_msg_hello *h, uint32_t gen,
			const uint8_t nonce[BP_AUTH_NONCE_LEN]);
void bp_hello_offer_enroll(struct bp_msg_hello *h,
			   const uint8_t pub[BP_AUTH_PUB_LEN]);
/* Of a HELLO the codec took with method KEY. */
uint32_t bp_hello_key_gen(const struct bp_msg_hello *h);
const uint8_t *bp_hello_key_nonce(const struct bp_msg_hello *h);
/* Of a HELLO the codec took with method ENROLL. */
const uint8_t *bp_hello_enroll_pub(const struct bp_msg_hello *h);

/* The bytes the layout of auth message @type covers (for tests), or 0. */
size_t bp_wire_auth_layout_size(uint16_t type);

/* K_N: the key of node @node derived from cluster key @k. */
int bp_auth_node_key(const struct bp_key *k, int32_t node,
		     uint8_t out[BP_AUTH_KEY_LEN]);

/*
 * A proof of holding @kn for this handshake: @role is "master" or
 * "node"; it covers the node number and both nonces.
 */
int bp_auth_proof(const uint8_t kn[BP_AUTH_KEY_LEN], const char *role,
		  int32_t node, const uint8_t nn[BP_AUTH_NONCE_LEN],
		  const uint8_t nm[BP_AUTH_NONCE_LEN],
		  uint8_t out[BP_AUTH_PROOF_LEN]);

/* The session's two keys: master to node, node to master. */
int bp_auth_session_keys(const uint8_t kn[BP_AUTH_KEY_LEN], int32_t node,
			 const uint8_t nn[BP_AUTH_NONCE_LEN],
			 const uint8_t nm[BP_AUTH_NONCE_LEN],
			 uint8_t m2n[BP_AUTH_KEY_LEN],
			 uint8_t n2m[BP_AUTH_KEY_LEN]);

/*
 * Enrollment: the node key sealed under the X25519 secret of the node's
 * and the master's public keys, bound to node and generation.
 */
int bp_auth_wrap(const uint8_t shared[32], const struct bp_msg_enrolled *e,
		 const uint8_t npub[BP_AUTH_PUB_LEN],
		 const uint8_t kn[BP_AUTH_KEY_LEN],
		 uint8_t wrapped[BP_AUTH_WRAPPED_LEN]);
/* Unwrap; -EBADMSG when it does not verify. */
int bp_auth_unwrap(const uint8_t shared[32], const struct bp_msg_enrolled *e,
		   const uint8_t npub[BP_AUTH_PUB_LEN],
		   uint8_t kn[BP_AUTH_KEY_LEN]);

#endif /* BP_AUTH_H */
