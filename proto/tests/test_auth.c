// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of node authentication (bp_auth.h, wire_auth.c) and of
 * the sealed link (bp_stream.h): key files, proofs, enrollment, and a
 * sealed stream that refuses forged, replayed, reordered, reflected and
 * unsealed messages. TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bp_auth.h"
#include "bp_crypto.h"
#include "bp_stream.h"
#include "bp_wire.h"
#include "bproc-test/tap.h"

static char dir[] = "/tmp/bproc-test-auth-XXXXXX";

static int write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(path, mode);
}

static void test_keyring(struct tap *t)
{
	struct bp_keyring kr = { 0 }, back;
	char path[256], err[512];
	int ret;

	snprintf(path, sizeof(path), "%s/cluster.key", dir);
	ret = bp_keyring_load(path, &kr, err, sizeof(err));
	tap_ok(t, ret == -ENOENT, "a missing key file is ENOENT (%s)", err);
	tap_ok(t, !bp_keyring_add(&kr) && !bp_keyring_add(&kr) && kr.n == 2 &&
	       kr.k[0].gen == 1 && kr.k[1].gen == 2 &&
	       memcmp(kr.k[0].key, kr.k[1].key, 32),
	       "two generations, 1 and 2, with different keys");
	tap_ok(t, !bp_keyring_save(path, &kr, err, sizeof(err)), "saved");
	{
		struct stat st;

		tap_ok(t, !stat(path, &st) && (st.st_mode & 07777) == 0400,
		       "the key file is mode 0400");
	}
	ret = bp_keyring_load(path, &back, err, sizeof(err));
	tap_ok(t, !ret && back.n == 2 && !memcmp(&back, &kr, sizeof(kr)),
	       "it reads back the same");
	tap_ok(t, bp_keyring_current(&back)->gen == 2 &&
	       bp_keyring_find(&back, 1) && !bp_keyring_find(&back, 3),
	       "current is the highest; an unknown generation is not found");

	chmod(path, 0644);
	ret = bp_keyring_load(path, &back, err, sizeof(err));
	tap_ok(t, ret == -EPERM && strstr(err, "mode 0644"),
	       "a key file others can read is refused: %s", err);
	write_file(path, "1 00ff\n", 0600);
	ret = bp_keyring_load(path, &back, err, sizeof(err));
	tap_ok(t, ret == -EINVAL && strstr(err, ":1:"),
	       "a short key names its line: %s", err);
	write_file(path, "2 " "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
		   "1 " "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
		   0600);
	ret = bp_keyring_load(path, &back, err, sizeof(err));
	tap_ok(t, ret == -EINVAL && strstr(err, "ascend"),
	       "generations out of order are refused: %s", err);
	write_file(path, "# nothing\n", 0600);
	ret = bp_keyring_load(path, &back, err, sizeof(err));
	tap_ok(t, ret == -EINVAL && strstr(err, "no key"), "an empty file: %s", err);
	unlink(path);
}

static void test_proofs(struct tap *t)
{
	struct bp_key k = { .gen = 1 }, k2 = { .gen = 2 };
	uint8_t k3[32], k4[32], k3b[32], nn[32], nm[32], p1[32], p2[32];
	uint8_t a[32], b[32], c[32], d[32];

	memset(k.key, 7, 32);
	memset(k2.key, 7, 32);
	memset(nn, 1, 32);
	memset(nm, 2, 32);
	bp_auth_node_key(&k, 3, k3);
	bp_auth_node_key(&k, 4, k4);
	bp_auth_node_key(&k2, 3, k3b);
	tap_ok(t, memcmp(k3, k4, 32) && memcmp(k3, k3b, 32),
	       "node keys differ by node and by generation");
	bp_auth_proof(k3, "master", 3, nn, nm, p1);
	bp_auth_proof(k3, "node", 3, nn, nm, p2);
	tap_ok(t, memcmp(p1, p2, 32), "the master's and the node's proofs differ");
	bp_auth_proof(k3, "node", 4, nn, nm, a);
	tap_ok(t, memcmp(a, p2, 32), "a proof is bound to the node number");
	nm[0] ^= 1;
	bp_auth_proof(k3, "node", 3, nn, nm, a);
	tap_ok(t, memcmp(a, p2, 32), "and to the master's nonce (no replay)");
	nm[0] ^= 1;
	bp_auth_session_keys(k3, 3, nn, nm, a, b);
	bp_auth_session_keys(k3, 3, nn, nm, c, d);
	tap_ok(t, memcmp(a, b, 32) && !memcmp(a, c, 32) && !memcmp(b, d, 32),
	       "two session keys, one per direction, the same on both sides");
}

static void test_enroll(struct tap *t)
{
	uint8_t npriv[32], npub[32], mpriv[32], s1[32], s2[32], kn[32], got[32];
	struct bp_msg_enrolled e = { .node = 5, .gen = 1 };
	uint8_t zero[32] = { 0 };

	memset(kn, 9, 32);
	tap_ok(t, !bp_x25519_keypair(npriv, npub) &&
	       !bp_x25519_keypair(mpriv, e.pub), "X25519 key pairs");
	tap_ok(t, !bp_x25519_shared(mpriv, npub, s1) &&
	       !bp_x25519_shared(npriv, e.pub, s2) && !memcmp(s1, s2, 32),
	       "both ends agree on the shared secret");
	tap_ok(t, bp_x25519_shared(mpriv, zero, s1) == -EINVAL,
	       "a low-order public key is refused");
	bp_auth_wrap(s2, &e, npub, kn, e.wrapped);
	tap_ok(t, !bp_auth_unwrap(s2, &e, npub, got) && !memcmp(got, kn, 32),
	       "the node unwraps its key");
	e.node = 6;
	tap_ok(t, bp_auth_unwrap(s2, &e, npub, got) == -EBADMSG,
	       "a wrapped key moved to another node does not open");
	e.node = 5;
	e.wrapped[3] ^= 0x40;
	tap_ok(t, bp_auth_unwrap(s2, &e, npub, got) == -EBADMSG,
	       "a changed wrapped key does not open");
}

/* One PING through a tx into its bytes. */
static size_t sealed_ping(struct bp_tx *tx, uint64_t time, uint8_t *out)
{
	struct bp_msg m = { .type = BP_MSG_PING, .id = 9 };
	size_t n;

	m.ping.time = time;
	if (bp_tx_queue(tx, &m))
		return 0;
	n = bp_tx_pending(tx);
	memcpy(out, tx->buf + tx->off, n);
	tx->off = tx->len = 0;
	return n;
}

static int feed_next(struct bp_rx *rx, const uint8_t *b, size_t n,
		     struct bp_msg *m)
{
	if (bp_rx_feed(rx, b, n))
		return -ENOMEM;
	return bp_rx_next(rx, m, NULL);
}

/* @n bytes into a fresh receiver sealed with @key, @way: bp_rx_next(). */
static int open_fresh(const uint8_t key[32], uint32_t way, const uint8_t *b,
		      size_t n, struct bp_msg *m)
{
	struct bp_rx rx;
	int ret;

	bp_rx_init(&rx);
	bp_seal_start(&rx.seal, key, way);
	ret = feed_next(&rx, b, n, m);
	bp_rx_free(&rx);
	return ret;
}

static void test_seal(struct tap *t)
{
	uint8_t key[32], other[32], b1[256], b2[256], b3[256];
	struct bp_tx tx;
	struct bp_rx rx;
	struct bp_msg m;
	size_t n1, n2, n3;
	int ret;

	memset(key, 0x5a, 32);
	memset(other, 0x5b, 32);
	bp_tx_init(&tx);
	bp_seal_start(&tx.seal, key, BP_DIR_TO_NODE);
	n1 = sealed_ping(&tx, 111, b1);
	n2 = sealed_ping(&tx, 222, b2);
	n3 = sealed_ping(&tx, 333, b3);
	tap_ok(t, n1 == 16 + 8 + 16 && b1[5] == BP_WIRE_F_SEALED,
	       "a sealed PING: header, 8 payload bytes, 16-byte tag, flag set");
	tap_ok(t, memcmp(b1 + 16, b2 + 16, 8), "the payload is encrypted");

	bp_rx_init(&rx);
	bp_seal_start(&rx.seal, key, BP_DIR_TO_NODE);
	ret = feed_next(&rx, b1, n1, &m);
	tap_ok(t, ret == 1 && m.type == BP_MSG_PING && m.ping.time == 111 &&
	       m.id == 9, "it opens and decodes");
	ret = feed_next(&rx, b1, n1, &m);
	tap_ok(t, ret == -EKEYREJECTED, "the same message again (replay) is refused");
	bp_rx_free(&rx);

	tap_ok(t, open_fresh(key, BP_DIR_TO_NODE, b2, n2, &m) == -EKEYREJECTED,
	       "a message out of order is refused");
	tap_ok(t, open_fresh(key, BP_DIR_TO_MASTER, b1, n1, &m) == -EKEYREJECTED,
	       "a message reflected to its sender is refused");
	tap_ok(t, open_fresh(other, BP_DIR_TO_NODE, b1, n1, &m) == -EKEYREJECTED,
	       "under another key it does not open");
	{
		size_t through = 0, first = 0;

		for (size_t i = 0; i < n1; i++) {
			uint8_t c[256];

			memcpy(c, b1, n1);
			c[i] ^= 0x01;
			if (open_fresh(key, BP_DIR_TO_NODE, c, n1, &m) == 1 &&
			    !through++)
				first = i;
		}
		tap_ok(t, !through,
		       "no message with a flipped bit (header, payload, tag) opens (%zu did, the first at byte %zu)",
		       through, first);
	}
	{
		struct bp_tx plain;
		uint8_t p[256];
		size_t n;

		bp_tx_init(&plain);
		n = sealed_ping(&plain, 5, p);
		ret = open_fresh(key, BP_DIR_TO_NODE, p, n, &m);
		bp_tx_free(&plain);
	}
	tap_ok(t, ret == -EKEYREJECTED, "an unsealed message on a sealed link is refused");

	/* In order, after the first: all three, as sent. */
	bp_rx_init(&rx);
	bp_seal_start(&rx.seal, key, BP_DIR_TO_NODE);
	bp_rx_feed(&rx, b1, n1);
	bp_rx_feed(&rx, b2, n2);
	bp_rx_feed(&rx, b3, n3);
	tap_ok(t, bp_rx_next(&rx, &m, NULL) == 1 && m.ping.time == 111 &&
	       bp_rx_next(&rx, &m, NULL) == 1 && m.ping.time == 222 &&
	       bp_rx_next(&rx, &m, NULL) == 1 && m.ping.time == 333 &&
	       bp_rx_next(&rx, &m, NULL) == 0,
	       "three in a row open in order");
	bp_rx_free(&rx);
	bp_tx_free(&tx);
}

/* bp_rx_unread(): bytes in the socket or in the buffer count, none do not. */
static void test_unread(struct tap *t)
{
	struct bp_rx rx;
	int sv[2];
	char c = 'x';

	bp_rx_init(&rx);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		tap_ok(t, false, "socketpair");
		return;
	}
	tap_ok(t, !bp_rx_unread(&rx, sv[0]), "nothing sent: nothing unread");
	tap_ok(t, write(sv[1], &c, 1) == 1 && bp_rx_unread(&rx, sv[0]),
	       "a byte waiting in the socket is unread");
	tap_ok(t, bp_rx_read(&rx, sv[0]) == 1 && bp_rx_unread(&rx, sv[0]),
	       "read into the buffer but not taken: still unread");
	rx.off = rx.len = 0;
	tap_ok(t, !bp_rx_unread(&rx, sv[0]), "taken: nothing unread");
	close(sv[0]);
	close(sv[1]);
	bp_rx_free(&rx);
}

static void test_wire(struct tap *t)
{
	struct bp_msg m = { .type = BP_MSG_CHALLENGE }, back;
	uint8_t buf[512];
	ssize_t n;

	m.challenge.node = 7;
	m.challenge.gen = 3;
	memset(m.challenge.nonce, 1, 32);
	memset(m.challenge.proof, 2, 32);
	n = bp_wire_encode(&m, buf, sizeof(buf));
	tap_ok(t, n == 16 + 72 && !bp_wire_decode(buf, (size_t)n, &back) &&
	       back.challenge.node == 7 && back.challenge.gen == 3 &&
	       !memcmp(back.challenge.proof, m.challenge.proof, 32),
	       "CHALLENGE round-trips (72 bytes)");
	m.challenge.gen = 0;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "CHALLENGE with generation 0 is not encoded");
	m.type = BP_MSG_HELLO;
	memset(&m.hello, 0, sizeof(m.hello));
	m.hello.cpus = 1;
	m.hello.auth_method = BP_AUTH_KEY;
	m.hello.auth_len = 35;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "HELLO method KEY must carry 36 auth bytes");
	{
		uint8_t nonce[BP_AUTH_NONCE_LEN];

		memset(nonce, 0x42, sizeof(nonce));
		bp_hello_offer_key(&m.hello, 0x01020304, nonce);
	}
	n = bp_wire_encode(&m, buf, sizeof(buf));
	tap_ok(t, n > 0 && !bp_wire_decode(buf, (size_t)n, &back) &&
	       back.hello.auth_method == BP_AUTH_KEY && back.hello.auth_len == 36 &&
	       bp_hello_key_gen(&back.hello) == 0x01020304 &&
	       bp_hello_key_nonce(&back.hello)[31] == 0x42,
	       "HELLO method KEY round-trips its generation and nonce");
	{
		static const struct { uint16_t type; size_t size; } kinds[] = {
			{ BP_MSG_CHALLENGE, sizeof(struct bp_msg_challenge) },
			{ BP_MSG_AUTH, sizeof(struct bp_msg_auth) },
			{ BP_MSG_ENROLLED, sizeof(struct bp_msg_enrolled) },
			{ BP_MSG_REKEY, sizeof(struct bp_msg_rekey) },
		};

		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			tap_ok(t, bp_wire_auth_layout_size(kinds[i].type) == kinds[i].size,
			       "%s: its layout covers its %zu bytes",
			       bp_wire_type_name(kinds[i].type), kinds[i].size);
	}
}

int main(void)
{
	struct tap t = { 0 };

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_keyring(&t);
	test_proofs(&t);
	test_enroll(&t);
	test_seal(&t);
	test_unread(&t);
	test_wire(&t);
	rmdir(dir);
	return tap_done(&t);
}
