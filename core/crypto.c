// SPDX-License-Identifier: GPL-2.0
/* Hashes, MACs and random bytes (bp_crypto.h), from libcrypto. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bp_crypto.h"

int bp_sha256_init(struct bp_sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	h->ctx = ctx;
	if (!ctx)
		return -ENOMEM;
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		bp_sha256_abort(h);
		return -EIO;
	}
	return 0;
}

int bp_sha256_update(struct bp_sha256 *h, const void *data, size_t len)
{
	return EVP_DigestUpdate(h->ctx, data, len) ? 0 : -EIO;
}

int bp_sha256_final(struct bp_sha256 *h, uint8_t out[BP_SHA256_LEN])
{
	unsigned int n = 0;
	int ok = EVP_DigestFinal_ex(h->ctx, out, &n);

	bp_sha256_abort(h);
	return ok && n == BP_SHA256_LEN ? 0 : -EIO;
}

void bp_sha256_abort(struct bp_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int bp_sha256(const void *data, size_t len, uint8_t out[BP_SHA256_LEN])
{
	unsigned int n = 0;

	if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) ||
	    n != BP_SHA256_LEN)
		return -EIO;
	return 0;
}

int bp_hmac_sha256(const void *key, size_t keylen, const void *data,
		   size_t len, uint8_t out[BP_SHA256_LEN])
{
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n) ||
	    n != BP_SHA256_LEN)
		return -EIO;
	return 0;
}

int bp_mem_neq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) != 0;
}

int bp_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void bp_hex(const uint8_t *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int bp_unhex(const char *hex, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[2 * len] ? -EINVAL : 0;
}

static int aead(bool enc, const uint8_t key[BP_AEAD_KEY_LEN],
		const uint8_t nonce[BP_AEAD_NONCE_LEN], const void *aad,
		size_t aadlen, uint8_t *buf, size_t len, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, ret = -EIO;

	if (!ctx)
		return -ENOMEM;
	if (len > INT_MAX || aadlen > INT_MAX)
		goto out;
	if (!EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
				 BP_AEAD_NONCE_LEN, NULL) ||
	    !EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc))
		goto out;
	if (aadlen && !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen))
		goto out;
	if (len && !EVP_CipherUpdate(ctx, buf, &n, buf, (int)len))
		goto out;
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
					 BP_AEAD_TAG_LEN, tag))
		goto out;
	if (!EVP_CipherFinal_ex(ctx, buf + len, &n)) {
		ret = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
					BP_AEAD_TAG_LEN, tag))
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int bp_aead_seal(const uint8_t key[BP_AEAD_KEY_LEN],
		 const uint8_t nonce[BP_AEAD_NONCE_LEN], const void *aad,
		 size_t aadlen, uint8_t *buf, size_t len,
		 uint8_t tag[BP_AEAD_TAG_LEN])
{
	return aead(true, key, nonce, aad, aadlen, buf, len, tag);
}

int bp_aead_open(const uint8_t key[BP_AEAD_KEY_LEN],
		 const uint8_t nonce[BP_AEAD_NONCE_LEN], const void *aad,
		 size_t aadlen, uint8_t *buf, size_t len,
		 const uint8_t tag[BP_AEAD_TAG_LEN])
{
	uint8_t t[BP_AEAD_TAG_LEN];

	memcpy(t, tag, sizeof(t));
	return aead(false, key, nonce, aad, aadlen, buf, len, t);
}

int bp_x25519_keypair(uint8_t priv[BP_X25519_LEN], uint8_t pub[BP_X25519_LEN])
{
	EVP_PKEY *pk;
	size_t n = BP_X25519_LEN;
	int ret;

	ret = bp_random(priv, BP_X25519_LEN);
	if (ret)
		return ret;
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
					  BP_X25519_LEN);
	if (!pk)
		return -EIO;
	ret = EVP_PKEY_get_raw_public_key(pk, pub, &n) && n == BP_X25519_LEN ?
	      0 : -EIO;
	EVP_PKEY_free(pk);
	return ret;
}

int bp_x25519_shared(const uint8_t priv[BP_X25519_LEN],
		     const uint8_t pub[BP_X25519_LEN],
		     uint8_t out[BP_X25519_LEN])
{
	EVP_PKEY *me, *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t n = BP_X25519_LEN;
	int ret = -EINVAL;

	me = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
					  BP_X25519_LEN);
	peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub,
					   BP_X25519_LEN);
	if (me && peer)
		ctx = EVP_PKEY_CTX_new(me, NULL);
	/* fails for a low-order public key: the shared secret would be 0 */
	if (ctx && EVP_PKEY_derive_init(ctx) > 0 &&
	    EVP_PKEY_derive_set_peer(ctx, peer) > 0 &&
	    EVP_PKEY_derive(ctx, out, &n) > 0 && n == BP_X25519_LEN)
		ret = 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(me);
	return ret;
}
