/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hashes, MACs and random bytes, from libcrypto (OpenSSL), for the tools
 * and daemons that need them: SHA-256 names the files of a node's program
 * cache, HMAC-SHA256 proves a connection knows a launch's secret. Linked
 * into a program only when it calls these (libbpcore.a is a static
 * library), which then links -lcrypto.
 */
#ifndef BP_CRYPTO_H
#define BP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define BP_SHA256_LEN	32

struct bp_sha256 {
	void *ctx;		/* EVP_MD_CTX */
};

int bp_sha256_init(struct bp_sha256 *h);
int bp_sha256_update(struct bp_sha256 *h, const void *data, size_t len);
/* The digest into @out; frees the context (also on failure). */
int bp_sha256_final(struct bp_sha256 *h, uint8_t out[BP_SHA256_LEN]);
/* Frees a context without a digest (an error on the way). */
void bp_sha256_abort(struct bp_sha256 *h);

/* One-shot. */
int bp_sha256(const void *data, size_t len, uint8_t out[BP_SHA256_LEN]);

/* HMAC-SHA256 of @len bytes under @key. */
int bp_hmac_sha256(const void *key, size_t keylen, const void *data,
		   size_t len, uint8_t out[BP_SHA256_LEN]);

/* Constant-time comparison of @len bytes: 0 when equal. */
int bp_mem_neq(const void *a, const void *b, size_t len);

/* @len random bytes from the kernel (getrandom(2)), or -errno. */
int bp_random(void *buf, size_t len);

/*
 * AES-256-GCM (authenticated encryption): the links between bpmaster
 * and bpslave once a node has authenticated (docs/security.md).
 */
#define BP_AEAD_KEY_LEN		32
#define BP_AEAD_NONCE_LEN	12
#define BP_AEAD_TAG_LEN		16

/* Encrypt @len bytes at @buf in place; the tag goes to @tag. */
int bp_aead_seal(const uint8_t key[BP_AEAD_KEY_LEN],
		 const uint8_t nonce[BP_AEAD_NONCE_LEN], const void *aad,
		 size_t aadlen, uint8_t *buf, size_t len,
		 uint8_t tag[BP_AEAD_TAG_LEN]);
/* Decrypt in place; -EBADMSG when @tag does not verify (@buf is garbage). */
int bp_aead_open(const uint8_t key[BP_AEAD_KEY_LEN],
		 const uint8_t nonce[BP_AEAD_NONCE_LEN], const void *aad,
		 size_t aadlen, uint8_t *buf, size_t len,
		 const uint8_t tag[BP_AEAD_TAG_LEN]);

/* X25519 key agreement (node enrollment). */
#define BP_X25519_LEN		32

/* A fresh private key and its public key. */
int bp_x25519_keypair(uint8_t priv[BP_X25519_LEN], uint8_t pub[BP_X25519_LEN]);
/* The shared secret of @priv and the peer's @pub; -EINVAL for a bad @pub. */
int bp_x25519_shared(const uint8_t priv[BP_X25519_LEN],
		     const uint8_t pub[BP_X25519_LEN],
		     uint8_t out[BP_X25519_LEN]);

/* Lower-case hex of @len bytes into @out (2 * @len + 1 bytes). */
void bp_hex(const uint8_t *data, size_t len, char *out);
/* Parse 2 * @len hex digits; -EINVAL unless exactly that. */
int bp_unhex(const char *hex, uint8_t *out, size_t len);

#endif /* BP_CRYPTO_H */
