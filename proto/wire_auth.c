// SPDX-License-Identifier: GPL-2.0
/*
 * The authentication family of wire messages (docs/security.md):
 * CHALLENGE and AUTH (a node proves it holds its key, the master proves
 * it holds the cluster key), ENROLLED (a booting node gets its key) and
 * REKEY (a new key generation, over the sealed link). Fixed layouts.
 */
#include <errno.h>

#include "bp_wire.h"
#include "wire_priv.h"

static bool node_ok(int32_t node)
{
	return node >= 0 && node <= BP_WIRE_NODE_MAX;
}

static void rd_bytes(struct bp_rd *r, uint8_t *out, size_t n)
{
	const uint8_t *p = bp_rd_take(r, n);

	if (p)
		memcpy(out, p, n);
}

/* --- CHALLENGE --------------------------------------------------------- */

static int decode_challenge(struct bp_rd *r, struct bp_msg *m)
{
	struct bp_msg_challenge *c = &m->challenge;

	c->node = (int32_t)bp_rd_u32(r);
	c->gen = bp_rd_u32(r);
	rd_bytes(r, c->nonce, sizeof(c->nonce));
	rd_bytes(r, c->proof, sizeof(c->proof));
	if (r->bad || !node_ok(c->node) || !c->gen)
		return -EBADMSG;
	return 0;
}

static int encode_challenge(struct bp_wr *w, const struct bp_msg *m)
{
	const struct bp_msg_challenge *c = &m->challenge;

	if (!node_ok(c->node) || !c->gen)
		return -EINVAL;
	bp_wr_u32(w, (uint32_t)c->node);
	bp_wr_u32(w, c->gen);
	bp_wr_bytes(w, c->nonce, sizeof(c->nonce));
	bp_wr_bytes(w, c->proof, sizeof(c->proof));
	return 0;
}

/* --- AUTH -------------------------------------------------------------- */

static int decode_auth(struct bp_rd *r, struct bp_msg *m)
{
	rd_bytes(r, m->auth.proof, sizeof(m->auth.proof));
	return r->bad ? -EBADMSG : 0;
}

static int encode_auth(struct bp_wr *w, const struct bp_msg *m)
{
	bp_wr_bytes(w, m->auth.proof, sizeof(m->auth.proof));
	return 0;
}

/* --- ENROLLED ---------------------------------------------------------- */

static int decode_enrolled(struct bp_rd *r, struct bp_msg *m)
{
	struct bp_msg_enrolled *e = &m->enrolled;

	e->node = (int32_t)bp_rd_u32(r);
	e->gen = bp_rd_u32(r);
	rd_bytes(r, e->pub, sizeof(e->pub));
	rd_bytes(r, e->wrapped, sizeof(e->wrapped));
	if (r->bad || !node_ok(e->node) || !e->gen)
		return -EBADMSG;
	return 0;
}

static int encode_enrolled(struct bp_wr *w, const struct bp_msg *m)
{
	const struct bp_msg_enrolled *e = &m->enrolled;

	if (!node_ok(e->node) || !e->gen)
		return -EINVAL;
	bp_wr_u32(w, (uint32_t)e->node);
	bp_wr_u32(w, e->gen);
	bp_wr_bytes(w, e->pub, sizeof(e->pub));
	bp_wr_bytes(w, e->wrapped, sizeof(e->wrapped));
	return 0;
}

/* --- REKEY ------------------------------------------------------------- */

static int decode_rekey(struct bp_rd *r, struct bp_msg *m)
{
	m->rekey.gen = bp_rd_u32(r);
	rd_bytes(r, m->rekey.key, sizeof(m->rekey.key));
	return r->bad || !m->rekey.gen ? -EBADMSG : 0;
}

static int encode_rekey(struct bp_wr *w, const struct bp_msg *m)
{
	if (!m->rekey.gen)
		return -EINVAL;
	bp_wr_u32(w, m->rekey.gen);
	bp_wr_bytes(w, m->rekey.key, sizeof(m->rekey.key));
	return 0;
}

const struct bp_wire_desc bp_wire_auth_descs[] = {
	{ BP_MSG_CHALLENGE, "CHALLENGE", BP_DIR_TO_NODE,
	  8 + BP_AUTH_NONCE_LEN + BP_AUTH_PROOF_LEN, 0,
	  NULL, decode_challenge, encode_challenge },
	{ BP_MSG_AUTH, "AUTH", BP_DIR_TO_MASTER, BP_AUTH_PROOF_LEN, 0,
	  NULL, decode_auth, encode_auth },
	{ BP_MSG_ENROLLED, "ENROLLED", BP_DIR_TO_NODE,
	  8 + BP_AUTH_PUB_LEN + BP_AUTH_WRAPPED_LEN, 0,
	  NULL, decode_enrolled, encode_enrolled },
	{ BP_MSG_REKEY, "REKEY", BP_DIR_TO_NODE, 4 + BP_AUTH_KEY_LEN, 0,
	  NULL, decode_rekey, encode_rekey },
	{ 0 }
};
