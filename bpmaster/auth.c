// SPDX-License-Identifier: GPL-2.0
/*
 * Node authentication on the master (docs/security.md).
 *
 * With "auth key" (the default), a node is admitted only when it proves
 * it holds its node key K_N, derived from the cluster key in the key file
 * (bp_auth.h). HELLO (method KEY) brings the node's generation and
 * nonce; the master answers CHALLENGE with its own nonce and a proof of
 * K_N (so the node knows it is this master); the node answers AUTH with
 * its proof. Only then is the connection the node's: it replaces an
 * older one, and every later message both ways is sealed with session
 * keys (bp_stream.h). A node without a key enrolls first (method
 * ENROLL): from a privileged source port (root on the node) and only
 * while no authenticated session has that node, it gets K_N wrapped
 * under an X25519 secret, and reconnects with it.
 *
 * A new key generation in the key file (bpmaster -K, then SIGHUP) is
 * sent to every connected node (REKEY, sealed), so nodes move to it
 * without going down; the old generation may be removed once they have.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "bp_crypto.h"
#include "bp_fs.h"
#include "bpmaster.h"

/*
 * Add a fresh generation to the key file @path, which is made (with its
 * directory) when missing; *@kr holds the file's generations then.
 */
static int keyfile_add(const char *path, struct bp_keyring *kr, char *err,
		       size_t errlen)
{
	int ret = bp_keyring_load(path, kr, err, errlen);

	if (ret == -ENOENT) {
		memset(kr, 0, sizeof(*kr));
		ret = bp_mkdir_parents(path, 0755);
		if (ret) {
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
			return ret;
		}
	}
	if (ret)
		return ret;
	ret = bp_keyring_add(kr);
	if (ret) {
		snprintf(err, errlen, "%s: cannot add a generation: %s", path,
			 ret == -E2BIG ? "the file holds the most there may be; remove old ones"
				       : strerror(-ret));
		return ret;
	}
	return bp_keyring_save(path, kr, err, errlen);
}

/*
 * Read the key file into @kr. With @create, a missing file is created
 * with a fresh generation 1 (the cluster's set-up).
 */
int bpm_auth_load(struct bpm *m, const char *path, struct bp_keyring *kr,
		  bool create)
{
	char err[512];
	int ret;

	ret = bp_keyring_load(path, kr, err, sizeof(err));
	if (ret == -ENOENT && create) {
		ret = keyfile_add(path, kr, err, sizeof(err));
		if (!ret) {
			bpm_log(m, LOG_NOTICE,
				"%s: generated a new cluster key (generation %u)",
				path, bp_keyring_current(kr)->gen);
			return 0;
		}
	}
	if (ret)
		bpm_log(m, LOG_ERR, "cluster key: %s", err);
	return ret;
}

/* bpmaster -K: add a key generation to the key file (created if need be). */
int bpm_keygen(const char *path)
{
	struct bp_keyring kr;
	char err[512];

	if (keyfile_add(path, &kr, err, sizeof(err))) {
		fprintf(stderr, "bpmaster: %s\n", err);
		return 1;
	}
	printf("%s: generation %u added; current now\n", path,
	       bp_keyring_current(&kr)->gen);
	memset(&kr, 0, sizeof(kr));
	return 0;
}

static void __attribute__((format(printf, 3, 4)))
reject(struct bpm *m, struct bpm_conn *c, const char *fmt, ...)
{
	char tag[96], why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	bpm_log(m, LOG_WARNING, "%s: refused: %s",
		bpm_conn_tag(c, tag, sizeof(tag)), why);
	bpm_send_reject(c->io.fd, BP_REASON_AUTH, why);
	bpm_conn_close(m, c, BP_REASON_NONE, "authentication refused: %s", why);
}

/* ENROLL: a booting node without a key gets K_N, then reconnects. */
static void enroll(struct bpm *m, struct bpm_conn *c)
{
	const struct bp_key *k = bp_keyring_current(&m->keys);
	struct bp_msg msg = { .type = BP_MSG_ENROLLED };
	struct bp_msg_enrolled *e = &msg.enrolled;
	uint8_t priv[BP_X25519_LEN], shared[BP_X25519_LEN];
	uint8_t kn[BP_AUTH_KEY_LEN];
	int ret;

	if (ntohs(c->peer.sin_port) >= 1024) {
		reject(m, c, "enrollment needs a privileged source port (root on the node)");
		return;
	}
	if (m->node_conn[c->node]) {
		reject(m, c, "node %d has an authenticated session: enrollment refused",
		       c->node);
		return;
	}
	e->node = c->node;
	e->gen = k->gen;
	ret = bp_x25519_keypair(priv, e->pub);
	if (!ret)
		ret = bp_x25519_shared(priv, bp_hello_enroll_pub(&c->hello),
				       shared);
	if (!ret)
		ret = bp_auth_node_key(k, c->node, kn);
	if (!ret)
		ret = bp_auth_wrap(shared, e, bp_hello_enroll_pub(&c->hello), kn,
				   e->wrapped);
	memset(priv, 0, sizeof(priv));
	memset(shared, 0, sizeof(shared));
	memset(kn, 0, sizeof(kn));
	if (ret) {
		reject(m, c, "%s", ret == -EINVAL ? "bad enrollment public key"
						  : "enrollment failed on the master");
		return;
	}
	if (bpm_conn_send(m, c, &msg)) {
		bpm_conn_close(m, c, BP_REASON_NONE, "cannot send ENROLLED");
		return;
	}
	bpm_log(m, LOG_NOTICE, "node %d (%s) enrolled with key generation %u",
		c->node, c->peer_str, k->gen);
	bpm_conn_close(m, c, BP_REASON_NONE, "enrolled");
}

/* HELLO with method KEY: answer CHALLENGE, wait for AUTH. */
static void challenge(struct bpm *m, struct bpm_conn *c)
{
	struct bp_msg msg = { .type = BP_MSG_CHALLENGE };
	struct bp_msg_challenge *ch = &msg.challenge;
	const struct bp_key *k;

	c->key_gen = bp_hello_key_gen(&c->hello);
	memcpy(c->nonce_n, bp_hello_key_nonce(&c->hello), sizeof(c->nonce_n));
	k = bp_keyring_find(&m->keys, c->key_gen);
	if (!k) {
		reject(m, c, "key generation %u is not in the master's key file",
		       c->key_gen);
		return;
	}
	ch->node = c->node;
	ch->gen = k->gen;
	if (bp_random(c->nonce_m, sizeof(c->nonce_m)) ||
	    bp_auth_node_key(k, c->node, c->node_key) ||
	    bp_auth_proof(c->node_key, "master", c->node, c->nonce_n,
			  c->nonce_m, ch->proof)) {
		reject(m, c, "authentication failed on the master");
		return;
	}
	memcpy(ch->nonce, c->nonce_m, sizeof(ch->nonce));
	if (bpm_conn_send(m, c, &msg)) {
		bpm_conn_close(m, c, BP_REASON_NONE, "cannot send CHALLENGE");
		return;
	}
	c->state = BPM_CONN_AUTH;
}

/*
 * The authentication part of HELLO (session.c). Returns true when the
 * connection is to be made the node's now (auth none); otherwise the
 * handshake goes on here, or the node was refused.
 */
bool bpm_auth_hello(struct bpm *m, struct bpm_conn *c)
{
	uint32_t method = c->hello.auth_method;

	if (m->cfg.auth_none) {
		if (method == BP_AUTH_NONE)
			return true;
		reject(m, c, "this master does not authenticate nodes (auth none)");
		return false;
	}
	switch (method) {
	case BP_AUTH_KEY:
		challenge(m, c);
		return false;
	case BP_AUTH_ENROLL:
		enroll(m, c);
		return false;
	case BP_AUTH_NONE:
		reject(m, c, "this master admits only authenticated nodes");
		return false;
	default:
		reject(m, c, "authentication method %u not supported", method);
		return false;
	}
}

/* Send @c the node key of the current generation, when it has an older one. */
static void rekey(struct bpm *m, struct bpm_conn *c)
{
	const struct bp_key *k = bp_keyring_current(&m->keys);
	struct bp_msg msg = { .type = BP_MSG_REKEY };

	if (!c->authed || !k || k->gen <= c->key_gen)
		return;
	msg.rekey.gen = k->gen;
	if (bp_auth_node_key(k, c->node, msg.rekey.key) ||
	    bpm_conn_send(m, c, &msg)) {
		memset(&msg, 0, sizeof(msg));
		bpm_conn_close(m, c, BP_REASON_NONE, "cannot send REKEY");
		return;
	}
	memset(&msg, 0, sizeof(msg));
	bpm_log(m, LOG_INFO, "node %d: sent key generation %u (had %u)",
		c->node, k->gen, c->key_gen);
	c->key_gen = k->gen;
}

/* The key file was reread (SIGHUP): move every node to the current key. */
void bpm_auth_keys_changed(struct bpm *m)
{
	struct bpm_conn *c, *next;

	for (c = m->conns; c; c = next) {
		next = c->next;
		if (c->state == BPM_CONN_ACTIVE)
			rekey(m, c);
	}
}

static void handle_auth(struct bpm *m, struct bpm_conn *c,
			const struct bp_msg *msg)
{
	uint8_t want[BP_AUTH_PROOF_LEN], m2n[BP_AUTH_KEY_LEN], n2m[BP_AUTH_KEY_LEN];
	int ret;

	ret = bp_auth_proof(c->node_key, "node", c->node, c->nonce_n,
			    c->nonce_m, want);
	if (ret || bp_mem_neq(want, msg->auth.proof, sizeof(want))) {
		reject(m, c, "wrong proof: the node does not hold its key");
		return;
	}
	if (bp_auth_session_keys(c->node_key, c->node, c->nonce_n, c->nonce_m,
				 m2n, n2m)) {
		reject(m, c, "authentication failed on the master");
		return;
	}
	bp_seal_start(&c->tx.seal, m2n, BP_DIR_TO_NODE);
	bp_seal_start(&c->rx.seal, n2m, BP_DIR_TO_MASTER);
	memset(m2n, 0, sizeof(m2n));
	memset(n2m, 0, sizeof(n2m));
	c->authed = true;
	bpm_session_activate(m, c);
	if (c->state == BPM_CONN_ACTIVE)
		rekey(m, c);
}

const struct bpm_handler bpm_auth_handlers[] = {
	{ BP_MSG_AUTH, BPM_IN(BPM_CONN_AUTH), handle_auth },
	{ 0 }
};
