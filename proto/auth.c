// SPDX-License-Identifier: GPL-2.0
/*
 * Node authentication helpers (bp_auth.h, docs/security.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "bp_auth.h"
#include "bp_crypto.h"
#include "bp_fs.h"
#include "wire_priv.h"

static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int bp_keyring_load(const char *path, struct bp_keyring *kr, char *err,
		    size_t errlen)
{
	char line[256], hex[80];
	unsigned int lineno = 0;
	unsigned long gen;
	struct stat st;
	int fd, ret = 0;
	FILE *f;

	memset(kr, 0, sizeof(*kr));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, -EINVAL, "%s: not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return fail(err, errlen, -EPERM,
			    "%s: mode %04o: a key file must be readable by its owner only",
			    path, (unsigned int)(st.st_mode & 07777));
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		lineno++;
		p += strspn(p, " \t");
		if (*p == '#' || *p == '\n' || !*p)
			continue;
		gen = strtoul(p, &end, 10);
		if (end == p || gen < 1 || gen > 0xffffffffUL ||
		    sscanf(end, " %79s", hex) != 1 || strlen(hex) != 64) {
			ret = fail(err, errlen, -EINVAL,
				   "%s:%u: want \"GENERATION KEY\" (a number >= 1, 64 hex digits)",
				   path, lineno);
			break;
		}
		if (kr->n == BP_KEYRING_MAX) {
			ret = fail(err, errlen, -E2BIG,
				   "%s:%u: more than %d key generations", path,
				   lineno, BP_KEYRING_MAX);
			break;
		}
		if (kr->n && gen <= kr->k[kr->n - 1].gen) {
			ret = fail(err, errlen, -EINVAL,
				   "%s:%u: generation %lu after %u: generations must ascend",
				   path, lineno, gen, kr->k[kr->n - 1].gen);
			break;
		}
		if (bp_unhex(hex, kr->k[kr->n].key, BP_AUTH_KEY_LEN)) {
			ret = fail(err, errlen, -EINVAL,
				   "%s:%u: the key is not 64 hex digits", path,
				   lineno);
			break;
		}
		kr->k[kr->n++].gen = (uint32_t)gen;
	}
	fclose(f);
	if (!ret && !kr->n)
		ret = fail(err, errlen, -EINVAL, "%s: no key in it", path);
	if (ret)
		memset(kr, 0, sizeof(*kr));
	return ret;
}

int bp_keyring_save(const char *path, const struct bp_keyring *kr, char *err,
		    size_t errlen)
{
	char text[128 + BP_KEYRING_MAX * (12 + 2 * BP_AUTH_KEY_LEN + 2)];
	char hex[2 * BP_AUTH_KEY_LEN + 1];
	size_t n;
	int ret;

	n = (size_t)snprintf(text, sizeof(text),
			     "# bproc key file: GENERATION KEY; keep it secret (docs/security.md)\n");
	for (unsigned int i = 0; i < kr->n; i++) {
		bp_hex(kr->k[i].key, BP_AUTH_KEY_LEN, hex);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%u %s\n",
				      kr->k[i].gen, hex);
	}
	ret = bp_file_replace(path, 0400, text, n, -1);
	memset(hex, 0, sizeof(hex));
	memset(text, 0, sizeof(text));
	if (ret)
		return fail(err, errlen, ret, "%s: %s", path, strerror(-ret));
	return 0;
}

int bp_keyring_add(struct bp_keyring *kr)
{
	struct bp_key *k;
	int ret;

	if (kr->n == BP_KEYRING_MAX)
		return -E2BIG;
	k = &kr->k[kr->n];
	k->gen = kr->n ? kr->k[kr->n - 1].gen + 1 : 1;
	if (!k->gen)
		return -EOVERFLOW;
	ret = bp_random(k->key, sizeof(k->key));
	if (ret)
		return ret;
	kr->n++;
	return 0;
}

const struct bp_key *bp_keyring_find(const struct bp_keyring *kr,
				     uint32_t gen)
{
	for (unsigned int i = 0; i < kr->n; i++)
		if (kr->k[i].gen == gen)
			return &kr->k[i];
	return NULL;
}

const struct bp_key *bp_keyring_current(const struct bp_keyring *kr)
{
	return kr->n ? &kr->k[kr->n - 1] : NULL;
}

/* HMAC(key, label | parts...) where each part is (pointer, length). */
static int mac(const uint8_t *key, const char *label, uint8_t out[32],
	       const void *a, size_t alen, const void *b, size_t blen,
	       const void *c, size_t clen)
{
	uint8_t buf[256];
	size_t n = strlen(label);

	if (n + alen + blen + clen > sizeof(buf))
		return -EINVAL;
	memcpy(buf, label, n);
	memcpy(buf + n, a, alen);
	memcpy(buf + n + alen, b, blen);
	memcpy(buf + n + alen + blen, c, clen);
	n += alen + blen + clen;
	return bp_hmac_sha256(key, 32, buf, n, out);
}

int bp_auth_node_key(const struct bp_key *k, int32_t node,
		     uint8_t out[BP_AUTH_KEY_LEN])
{
	uint8_t ids[8];

	bp_put_le32(ids, k->gen);
	bp_put_le32(ids + 4, (uint32_t)node);
	return mac(k->key, "bproc node key v1", out, ids, sizeof(ids), NULL, 0,
		   NULL, 0);
}

int bp_auth_proof(const uint8_t kn[BP_AUTH_KEY_LEN], const char *role,
		  int32_t node, const uint8_t nn[BP_AUTH_NONCE_LEN],
		  const uint8_t nm[BP_AUTH_NONCE_LEN],
		  uint8_t out[BP_AUTH_PROOF_LEN])
{
	char label[64];
	uint8_t id[4];

	snprintf(label, sizeof(label), "bproc %s proof v1", role);
	bp_put_le32(id, (uint32_t)node);
	return mac(kn, label, out, id, sizeof(id), nn, BP_AUTH_NONCE_LEN, nm,
		   BP_AUTH_NONCE_LEN);
}

int bp_auth_session_keys(const uint8_t kn[BP_AUTH_KEY_LEN], int32_t node,
			 const uint8_t nn[BP_AUTH_NONCE_LEN],
			 const uint8_t nm[BP_AUTH_NONCE_LEN],
			 uint8_t m2n[BP_AUTH_KEY_LEN],
			 uint8_t n2m[BP_AUTH_KEY_LEN])
{
	uint8_t id[4];

	bp_put_le32(id, (uint32_t)node);
	if (mac(kn, "bproc master to node v1", m2n, id, sizeof(id), nn,
		BP_AUTH_NONCE_LEN, nm, BP_AUTH_NONCE_LEN) ||
	    mac(kn, "bproc node to master v1", n2m, id, sizeof(id), nn,
		BP_AUTH_NONCE_LEN, nm, BP_AUTH_NONCE_LEN))
		return -EIO;
	return 0;
}

/* The wrap key and the associated data of an ENROLLED. */
static int wrap_key(const uint8_t shared[32], const struct bp_msg_enrolled *e,
		    const uint8_t npub[BP_AUTH_PUB_LEN], uint8_t key[32],
		    uint8_t aad[8])
{
	bp_put_le32(aad, (uint32_t)e->node);
	bp_put_le32(aad + 4, e->gen);
	return mac(shared, "bproc enroll v1", key, aad, 8, npub,
		   BP_AUTH_PUB_LEN, e->pub, BP_AUTH_PUB_LEN);
}

int bp_auth_wrap(const uint8_t shared[32], const struct bp_msg_enrolled *e,
		 const uint8_t npub[BP_AUTH_PUB_LEN],
		 const uint8_t kn[BP_AUTH_KEY_LEN],
		 uint8_t wrapped[BP_AUTH_WRAPPED_LEN])
{
	static const uint8_t nonce[BP_AEAD_NONCE_LEN];	/* one use per key */
	uint8_t key[32], aad[8];
	int ret;

	ret = wrap_key(shared, e, npub, key, aad);
	if (ret)
		return ret;
	memcpy(wrapped, kn, BP_AUTH_KEY_LEN);
	ret = bp_aead_seal(key, nonce, aad, sizeof(aad), wrapped,
			   BP_AUTH_KEY_LEN, wrapped + BP_AUTH_KEY_LEN);
	memset(key, 0, sizeof(key));
	return ret;
}

int bp_auth_unwrap(const uint8_t shared[32], const struct bp_msg_enrolled *e,
		   const uint8_t npub[BP_AUTH_PUB_LEN],
		   uint8_t kn[BP_AUTH_KEY_LEN])
{
	static const uint8_t nonce[BP_AEAD_NONCE_LEN];
	uint8_t key[32], aad[8];
	int ret;

	ret = wrap_key(shared, e, npub, key, aad);
	if (ret)
		return ret;
	memcpy(kn, e->wrapped, BP_AUTH_KEY_LEN);
	ret = bp_aead_open(key, nonce, aad, sizeof(aad), kn, BP_AUTH_KEY_LEN,
			   e->wrapped + BP_AUTH_KEY_LEN);
	memset(key, 0, sizeof(key));
	if (ret)
		memset(kn, 0, BP_AUTH_KEY_LEN);
	return ret;
}
