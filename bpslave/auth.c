// SPDX-License-Identifier: GPL-2.0
/*
 * The node's side of authentication (docs/security.md).
 *
 * The node key lives in bpslave's memory only, never in a file a job
 * could read: bpslave enrolls when it starts (each boot, each restart)
 * and keeps the key for every later session. With its key, a node offers
 * HELLO method KEY with a fresh nonce; the master's CHALLENGE must prove
 * it holds the cluster key (else this is not our master: the session
 * ends), the node answers AUTH with its own proof, and from then on the
 * link is sealed both ways. A node without a key enrolls: from a
 * privileged source port it offers an X25519 public key, gets its key
 * wrapped in ENROLLED, keeps it and connects again. A master that
 * answers WELCOME without CHALLENGE is refused. REKEY (sealed) replaces
 * the key with a newer generation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bpslave.h"

/*
 * Before connect(): a node that enrolls speaks from a privileged port,
 * which only root on the node can bind: how the master tells bpslave
 * from a user's process on the same node.
 */
int bps_auth_bind(struct bps *s, int fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned int start, i;

	if (s->auth_none || s->key.have)
		return 0;
	if (bp_random(&start, sizeof(start)))
		start = (unsigned int)getpid();
	for (i = 0; i < 512; i++) {
		a.sin_port = htons((uint16_t)(512 + (start + i) % 512));
		if (!bind(fd, (struct sockaddr *)&a, sizeof(a)))
			return 0;
		if (errno != EADDRINUSE)
			return -errno;
	}
	return -EADDRINUSE;
}

/* The authentication part of HELLO. */
int bps_auth_hello(struct bps_sess *x, struct bp_msg_hello *h)
{
	struct bps *s = x->s;
	int ret;

	if (s->auth_none) {
		x->auth_method = h->auth_method = BP_AUTH_NONE;
		h->auth_len = 0;
		return 0;
	}
	if (s->key.have) {
		ret = bp_random(x->nonce_n, sizeof(x->nonce_n));
		if (ret)
			return ret;
		bp_hello_offer_key(h, s->key.gen, x->nonce_n);
		x->auth_method = BP_AUTH_KEY;
		return 0;
	}
	ret = bp_x25519_keypair(x->enroll_priv, x->enroll_pub);
	if (ret)
		return ret;
	bp_hello_offer_enroll(h, x->enroll_pub);
	x->auth_method = BP_AUTH_ENROLL;
	return 0;
}

static int refuse(struct bps_sess *x, const char *why)
{
	bps_log(x->s, "%s: %s: refusing this master", x->s->master_str, why);
	bps_sess_end(x, BPS_END_RETRY, BP_REASON_AUTH, why);
	return -1;
}

int bps_auth_challenge(struct bps_sess *x, const struct bp_msg_challenge *c)
{
	struct bp_msg a = { .type = BP_MSG_AUTH };
	struct bps *s = x->s;
	uint8_t want[BP_AUTH_PROOF_LEN], m2n[BP_AUTH_KEY_LEN], n2m[BP_AUTH_KEY_LEN];
	int ret;

	if (x->auth_method != BP_AUTH_KEY)
		return refuse(x, "CHALLENGE to a HELLO that offered no key");
	if (c->node != s->key.node || c->gen != s->key.gen)
		return refuse(x, "CHALLENGE for another node or key generation");
	if (bp_auth_proof(s->key.key, "master", c->node, x->nonce_n, c->nonce,
			  want) ||
	    bp_mem_neq(want, c->proof, sizeof(want)))
		return refuse(x, "the master's proof is wrong (not this cluster's master)");
	if (bp_auth_proof(s->key.key, "node", c->node, x->nonce_n, c->nonce,
			  a.auth.proof) ||
	    bp_auth_session_keys(s->key.key, c->node, x->nonce_n, c->nonce,
				 m2n, n2m))
		return refuse(x, "cannot compute the proof");
	ret = bps_sess_send(x, &a);
	if (ret) {
		bps_sess_end(x, BPS_END_RETRY, BP_REASON_NONE, NULL);
		return -1;
	}
	bp_seal_start(&x->tx.seal, n2m, BP_DIR_TO_MASTER);
	bp_seal_start(&x->rx.seal, m2n, BP_DIR_TO_NODE);
	memset(m2n, 0, sizeof(m2n));
	memset(n2m, 0, sizeof(n2m));
	x->authed = true;
	return 0;
}

int bps_auth_enrolled(struct bps_sess *x, const struct bp_msg_enrolled *e)
{
	uint8_t shared[BP_X25519_LEN], npub[BP_AUTH_PUB_LEN];
	struct bps *s = x->s;
	struct bps_key k = { .have = true };
	int ret;

	if (x->auth_method != BP_AUTH_ENROLL)
		return refuse(x, "ENROLLED to a HELLO that did not enroll");
	memcpy(npub, x->enroll_pub, sizeof(npub));
	ret = bp_x25519_shared(x->enroll_priv, e->pub, shared);
	if (!ret)
		ret = bp_auth_unwrap(shared, e, npub, k.key);
	memset(shared, 0, sizeof(shared));
	memset(x->enroll_priv, 0, sizeof(x->enroll_priv));
	if (ret)
		return refuse(x, "the node key from ENROLLED does not open");
	k.node = e->node;
	k.gen = e->gen;
	s->key = k;
	memset(&k, 0, sizeof(k));
	bps_log(s, "enrolled by %s as node %d (key generation %u)",
		s->master_str, e->node, e->gen);
	bps_sess_end(x, BPS_END_ENROLLED, BP_REASON_NONE, NULL);
	return -1;
}

int bps_auth_rekey(struct bps_sess *x, const struct bp_msg_rekey *r)
{
	struct bps *s = x->s;
	struct bps_key k = s->key;

	if (!x->authed || r->gen <= s->key.gen) {
		bps_log(s, "%s: REKEY to generation %u ignored (have %u)",
			s->master_str, r->gen, s->key.gen);
		return 0;
	}
	k.gen = r->gen;
	memcpy(k.key, r->key, sizeof(k.key));
	s->key = k;
	memset(&k, 0, sizeof(k));
	bps_log(s, "key generation %u from %s", r->gen, s->master_str);
	return 0;
}

/*
 * May this WELCOME admit the node? Not when the node offered a key or
 * enrolled and the master skipped the proofs: then it is not our master.
 */
bool bps_auth_welcome_ok(struct bps_sess *x, int32_t node)
{
	if (x->s->auth_none)
		return true;
	if (!x->authed) {
		refuse(x, "WELCOME without authenticating: not this cluster's master");
		return false;
	}
	if (node != x->s->key.node) {
		refuse(x, "WELCOME for another node than the key's");
		return false;
	}
	return true;
}
