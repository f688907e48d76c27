// SPDX-License-Identifier: GPL-2.0
/*
 * The authentication family of wire messages (docs/security.md):
 * CHALLENGE and AUTH (a node proves it holds its key, the master proves
 * it holds the cluster key), ENROLLED (a booting node gets its key) and
 * REKEY (a new key generation, over the sealed link). Fixed layouts, read
 * and written by the codec's layout fields (wire_priv.h); each kind adds
 * the rule its fields follow. Also the auth bytes of HELLO (bp_auth.h).
 */
#include <errno.h>
#include <stddef.h>

#include "bp_auth.h"
#include "bp_wire.h"
#include "wire_priv.h"

#define CHALLENGE_LAYOUT	"w2b64"
#define AUTH_LAYOUT		"b32"
#define ENROLLED_LAYOUT		"w2b80"
#define REKEY_LAYOUT		"w1b32"

_Static_assert(sizeof(struct bp_msg_challenge) == 8 + 2 * BP_AUTH_NONCE_LEN,
	       "challenge");
_Static_assert(sizeof(struct bp_msg_auth) == BP_AUTH_PROOF_LEN, "auth");
_Static_assert(sizeof(struct bp_msg_enrolled) ==
	       8 + BP_AUTH_PUB_LEN + BP_AUTH_WRAPPED_LEN, "enrolled");
_Static_assert(sizeof(struct bp_msg_rekey) == 4 + BP_AUTH_KEY_LEN, "rekey");

static bool node_ok(int32_t node)
{
	return node >= 0 && node <= BP_WIRE_NODE_MAX;
}

static bool challenge_ok(const struct bp_msg *m)
{
	return node_ok(m->challenge.node) && m->challenge.gen;
}

static bool enrolled_ok(const struct bp_msg *m)
{
	return node_ok(m->enrolled.node) && m->enrolled.gen;
}

static bool rekey_ok(const struct bp_msg *m)
{
	return m->rekey.gen != 0;
}

static const struct {
	uint16_t type;
	const char *layout;
	bool (*ok)(const struct bp_msg *m);	/* NULL: any value */
} auth_kinds[] = {
	{ BP_MSG_CHALLENGE, CHALLENGE_LAYOUT, challenge_ok },
	{ BP_MSG_AUTH, AUTH_LAYOUT, NULL },
	{ BP_MSG_ENROLLED, ENROLLED_LAYOUT, enrolled_ok },
	{ BP_MSG_REKEY, REKEY_LAYOUT, rekey_ok },
};

static const char *kind_layout(uint16_t type, bool (**ok)(const struct bp_msg *))
{
	for (size_t i = 0; i < sizeof(auth_kinds) / sizeof(auth_kinds[0]); i++)
		if (auth_kinds[i].type == type) {
			*ok = auth_kinds[i].ok;
			return auth_kinds[i].layout;
		}
	return NULL;
}

/* The message union: its members all start at the same address. */
static void *body(struct bp_msg *m)
{
	return (uint8_t *)m + offsetof(struct bp_msg, challenge);
}

static int decode_auth_family(struct bp_rd *r, struct bp_msg *m)
{
	bool (*ok)(const struct bp_msg *);
	const char *layout = kind_layout(m->type, &ok);

	if (!layout)
		return -EBADMSG;
	bp_rd_layout(r, layout, body(m));
	if (r->bad || (ok && !ok(m)))
		return -EBADMSG;
	return 0;
}

static int encode_auth_family(struct bp_wr *w, const struct bp_msg *m)
{
	bool (*ok)(const struct bp_msg *);
	const char *layout = kind_layout(m->type, &ok);

	if (!layout || (ok && !ok(m)))
		return -EINVAL;
	bp_wr_layout(w, layout, body((struct bp_msg *)m));
	return 0;
}

/* --- the auth bytes of HELLO (bp_auth.h) ---------------------------------- */

void bp_hello_offer_key(struct bp_msg_hello *h, uint32_t gen,
			const uint8_t nonce[BP_AUTH_NONCE_LEN])
{
	h->auth_method = BP_AUTH_KEY;
	bp_put_le32(h->auth, gen);
	memcpy(h->auth + 4, nonce, BP_AUTH_NONCE_LEN);
	h->auth_len = BP_AUTH_KEY_AUTH_LEN;
}

void bp_hello_offer_enroll(struct bp_msg_hello *h,
			   const uint8_t pub[BP_AUTH_PUB_LEN])
{
	h->auth_method = BP_AUTH_ENROLL;
	memcpy(h->auth, pub, BP_AUTH_PUB_LEN);
	h->auth_len = BP_AUTH_PUB_LEN;
}

uint32_t bp_hello_key_gen(const struct bp_msg_hello *h)
{
	return bp_get_le32(h->auth);
}

const uint8_t *bp_hello_key_nonce(const struct bp_msg_hello *h)
{
	return h->auth + 4;
}

const uint8_t *bp_hello_enroll_pub(const struct bp_msg_hello *h)
{
	return h->auth;
}

const struct bp_wire_desc bp_wire_auth_descs[] = {
	{ BP_MSG_CHALLENGE, "CHALLENGE", BP_DIR_TO_NODE,
	  sizeof(struct bp_msg_challenge), 0,
	  NULL, decode_auth_family, encode_auth_family },
	{ BP_MSG_AUTH, "AUTH", BP_DIR_TO_MASTER, sizeof(struct bp_msg_auth), 0,
	  NULL, decode_auth_family, encode_auth_family },
	{ BP_MSG_ENROLLED, "ENROLLED", BP_DIR_TO_NODE,
	  sizeof(struct bp_msg_enrolled), 0,
	  NULL, decode_auth_family, encode_auth_family },
	{ BP_MSG_REKEY, "REKEY", BP_DIR_TO_NODE, sizeof(struct bp_msg_rekey), 0,
	  NULL, decode_auth_family, encode_auth_family },
	{ 0 }
};

/* For the host test: each kind's layout covers its struct exactly. */
size_t bp_wire_auth_layout_size(uint16_t type)
{
	bool (*ok)(const struct bp_msg *);
	const char *layout = kind_layout(type, &ok);

	return layout ? bp_layout_size(layout) : 0;
}
