// SPDX-License-Identifier: GPL-2.0
/*
 * bprogue: a rogue node, for testing bpmaster's defences (issue 10,
 * docs/security.md). It speaks the node protocol from the address of a
 * node that is down (the caller puts that address on this host), with
 * the key it gets by enrolling (what a root host on the network can do
 * while the node is down: the residual risk docs/security.md names),
 * and then tries what an attacker on the link would:
 *
 *   handshake   replay a recorded HELLO and AUTH on a new connection
 *   replay      send a sealed message again
 *   reorder     send two sealed messages in the wrong order
 *   flip        send a sealed message with one bit flipped
 *   unsealed    send a plain message on the sealed link
 *   reflect     send the master's own sealed message back to it
 *   foreign     with -v PID (a process of another node, -V that node):
 *               EXIT and PIDS_FREE for it from this node (no effect), a
 *               message claiming that node, a FORK of that pid
 *
 * Each attack runs on its own connection and passes when the master
 * refuses it: it closes the connection (or, for what the module ignores,
 * goes on answering and the process lives on, which the caller checks).
 * TAP on stdout; exit status 0 when every attack was refused, 1 when one
 * was not, 2 when there was nothing to attack from.
 *
 *   bprogue -b NODE_ADDR [-p PORT] [-v PID -V NODE] MASTER_ADDR [ATTACK...]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bp_auth.h"
#include "bp_crypto.h"
#include "bp_stream.h"
#include "bp_wire.h"
#include "bproc-test/tap.h"

/* Seconds the master has to close a connection after an attack. */
#define CLOSE_WAIT_S	60
#define REPLY_WAIT_S	60
/* The most bytes of one message kept raw (the messages used are small). */
#define RAW_MAX		8192

struct opts {
	struct sockaddr_in master;
	struct in_addr bind;
	pid_t victim;
	int victim_node;
};

/* The key enrollment gave, and the node number that goes with it. */
struct key {
	bool have;
	int32_t node;
	uint32_t gen;
	uint8_t kn[BP_AUTH_KEY_LEN];
};

struct conn {
	int fd;
	struct bp_rx rx;
	struct bp_tx tx;
	/* the raw bytes of the last message sent and received */
	uint8_t sent[RAW_MAX];
	size_t sent_len;
	uint8_t got[RAW_MAX];
	size_t got_len;
	uint32_t next_id;
};

/* The attacks' results (include/bproc-test/tap.h). */
static struct tap results;

static void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	bp_rx_free(&c->rx);
	bp_tx_free(&c->tx);
}

/*
 * Connect to the master from the node's address; from a privileged port
 * when @privileged (enrollment: root on the node).
 */
static int dial(const struct opts *o, struct conn *c, bool privileged)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr = o->bind };
	unsigned int port;

	memset(c, 0, sizeof(*c));
	bp_rx_init(&c->rx);
	bp_tx_init(&c->tx);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	for (port = privileged ? 600 : 0; port < 1024; port++) {
		a.sin_port = htons((uint16_t)port);
		if (!bind(c->fd, (struct sockaddr *)&a, sizeof(a)))
			break;
		if (errno != EADDRINUSE || !privileged)
			return -errno;
	}
	if (connect(c->fd, (const struct sockaddr *)&o->master,
		    sizeof(o->master)))
		return -errno;
	return 0;
}

/* Write @len raw bytes. */
static int send_raw(struct conn *c, const void *buf, size_t len)
{
	if (send(c->fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		return errno ? -errno : -EIO;
	return 0;
}

/* Encode (and seal, once the link is) @m into c->sent, not sending it. */
static int encode(struct conn *c, struct bp_msg *m)
{
	int ret;

	if (!m->id)
		m->id = ++c->next_id;
	ret = bp_tx_queue(&c->tx, m);
	if (ret)
		return ret;
	c->sent_len = bp_tx_pending(&c->tx);
	if (c->sent_len > sizeof(c->sent))
		return -EMSGSIZE;
	memcpy(c->sent, c->tx.buf + c->tx.off, c->sent_len);
	c->tx.off = c->tx.len = 0;
	return 0;
}

static int send_msg(struct conn *c, struct bp_msg *m)
{
	int ret = encode(c, m);

	return ret ? ret : send_raw(c, c->sent, c->sent_len);
}

/*
 * The next message from the master (its raw bytes in c->got), waiting at
 * most @secs. 0 at end of stream, 1 with @m, or -errno.
 */
static int recv_msg(struct conn *c, struct bp_msg *m, int secs)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	size_t pending, total;
	ssize_t n;
	int ret;

	for (;;) {
		/*
		 * The raw bytes first: opening a sealed message rewrites its
		 * header in the buffer.
		 */
		pending = bp_rx_pending(&c->rx);
		total = 0;
		if (pending >= BP_WIRE_HDR_LEN) {
			const uint8_t *h = c->rx.buf + c->rx.off;

			total = BP_WIRE_HDR_LEN + ((size_t)h[8] | (size_t)h[9] << 8 |
						   (size_t)h[10] << 16 | (size_t)h[11] << 24);
			if (total > pending || total > sizeof(c->got))
				total = 0;
			else
				memcpy(c->got, h, total);
		}
		ret = bp_rx_next(&c->rx, m, NULL);
		if (ret == 1) {
			c->got_len = total;
			return 1;
		}
		if (ret == -ENOMSG)
			continue;
		if (ret < 0)
			return ret;
		ret = poll(&p, 1, secs * 1000);
		if (ret == 0)
			return -ETIMEDOUT;
		if (ret < 0 && errno != EINTR)
			return -errno;
		n = bp_rx_read(&c->rx, c->fd);
		if (n == 0 || n == -ECONNRESET)
			return 0;
		if (n < 0 && n != -EAGAIN && n != -EINTR)
			return (int)n;
	}
}

/* The next message of type @type, skipping the master's others (PING...). */
static int expect(struct conn *c, struct bp_msg *m, uint16_t type)
{
	int ret;

	while ((ret = recv_msg(c, m, REPLY_WAIT_S)) == 1) {
		if (m->type == type)
			return 1;
		if (m->type == BP_MSG_REJECT || m->type == BP_MSG_BYE) {
			diag("master: %s: %s", bp_wire_type_name(m->type),
			     m->reason.text);
			return 0;
		}
	}
	return ret;
}

/*
 * Did the master close the connection within CLOSE_WAIT_S? Whatever it
 * sends before (BYE, REJECT, a PING) is read and dropped unopened.
 */
static bool closed_by_master(struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	time_t end = time(NULL) + CLOSE_WAIT_S;
	char buf[4096];
	ssize_t n;

	while (time(NULL) < end) {
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0 && errno != EINTR)
			return true;
	}
	return false;
}

static void hello_init(struct bp_msg *h)
{
	memset(h, 0, sizeof(*h));
	h->type = BP_MSG_HELLO;
	h->hello.cpus = 1;
	h->hello.mem_total = 64ull << 20;
	snprintf(h->hello.kernel, sizeof(h->hello.kernel), "bprogue");
	snprintf(h->hello.modver, sizeof(h->hello.modver), "rogue");
}

/* Enroll from a privileged port: the node key, as bpslave gets it. */
static int enroll(const struct opts *o, struct key *k)
{
	uint8_t priv[BP_X25519_LEN], pub[BP_AUTH_PUB_LEN], shared[BP_X25519_LEN];
	struct bp_msg m;
	struct conn c;
	int ret;

	ret = dial(o, &c, true);
	if (!ret)
		ret = bp_x25519_keypair(priv, pub);
	if (!ret) {
		hello_init(&m);
		bp_hello_offer_enroll(&m.hello, pub);
		ret = send_msg(&c, &m);
	}
	if (!ret)
		ret = expect(&c, &m, BP_MSG_ENROLLED) == 1 ? 0 : -EACCES;
	if (!ret)
		ret = bp_x25519_shared(priv, m.enrolled.pub, shared);
	if (!ret)
		ret = bp_auth_unwrap(shared, &m.enrolled, pub, k->kn);
	if (!ret) {
		k->have = true;
		k->node = m.enrolled.node;
		k->gen = m.enrolled.gen;
	}
	conn_close(&c);
	return ret;
}

/*
 * An authenticated, sealed session as the key's node (WELCOME read). The
 * raw HELLO and AUTH go to @rec (for the handshake replay) when not NULL.
 */
static int session(const struct opts *o, const struct key *k, struct conn *c,
		   uint8_t *rec, size_t *rec_len)
{
	uint8_t nn[BP_AUTH_NONCE_LEN], want[BP_AUTH_PROOF_LEN];
	uint8_t m2n[BP_AUTH_KEY_LEN], n2m[BP_AUTH_KEY_LEN];
	struct bp_msg m;
	int ret;

	ret = dial(o, c, false);
	if (!ret)
		ret = bp_random(nn, sizeof(nn));
	if (ret)
		return ret;
	hello_init(&m);
	bp_hello_offer_key(&m.hello, k->gen, nn);
	ret = send_msg(c, &m);
	if (ret)
		return ret;
	if (rec) {
		memcpy(rec, c->sent, c->sent_len);
		*rec_len = c->sent_len;
	}
	if (expect(c, &m, BP_MSG_CHALLENGE) != 1)
		return -EACCES;
	if (m.challenge.node != k->node || m.challenge.gen != k->gen ||
	    bp_auth_proof(k->kn, "master", k->node, nn, m.challenge.nonce, want) ||
	    bp_mem_neq(want, m.challenge.proof, sizeof(want))) {
		diag("the CHALLENGE does not prove the master's key");
		return -EACCES;
	}
	{
		uint8_t nm[BP_AUTH_NONCE_LEN];

		memcpy(nm, m.challenge.nonce, sizeof(nm));
		memset(&m, 0, sizeof(m));
		m.type = BP_MSG_AUTH;
		if (bp_auth_proof(k->kn, "node", k->node, nn, nm, m.auth.proof) ||
		    bp_auth_session_keys(k->kn, k->node, nn, nm, m2n, n2m))
			return -EIO;
	}
	ret = send_msg(c, &m);
	if (ret)
		return ret;
	if (rec) {
		memcpy(rec + *rec_len, c->sent, c->sent_len);
		*rec_len += c->sent_len;
	}
	bp_seal_start(&c->tx.seal, n2m, BP_DIR_TO_MASTER);
	bp_seal_start(&c->rx.seal, m2n, BP_DIR_TO_NODE);
	if (expect(c, &m, BP_MSG_WELCOME) != 1)
		return -EACCES;
	if (m.welcome.node != k->node) {
		diag("WELCOME for node %d, not %d", m.welcome.node, k->node);
		return -EPROTO;
	}
	return 0;
}

/* A PING, answered: the session is live and c->got holds the PONG. */
static int ping(struct conn *c)
{
	struct bp_msg m = { .type = BP_MSG_PING };
	uint32_t id;
	int ret;

	m.ping.time = 1;
	ret = send_msg(c, &m);
	if (ret)
		return ret;
	id = m.id;
	while ((ret = expect(c, &m, BP_MSG_PONG)) == 1)
		if (m.id == id)
			return 0;
	return ret ? ret : -ECONNRESET;
}

static void proc_msg(struct bp_msg *m, uint16_t type, int32_t node,
		     int32_t pid)
{
	memset(m, 0, sizeof(*m));
	m->type = BP_MSG_PROC;
	m->proc.hdr.type = type;
	m->proc.hdr.node = node;
	m->proc.hdr.pid = pid;
	m->proc.hdr.size = (uint32_t)bp_proc_size(&m->proc);
}

/* One attack on a fresh session: @fn sends it; the master must close. */
static void attack(const struct opts *o, const struct key *k, const char *name,
		   const char *what, int (*fn)(struct conn *c))
{
	struct conn c;
	int ret = session(o, k, &c, NULL, NULL);

	if (ret) {
		tap_ok(&results, false, "%s: no session to attack from: %s", name, strerror(-ret));
		conn_close(&c);
		return;
	}
	ret = fn(&c);
	if (ret)
		tap_ok(&results, false, "%s: could not send it: %s", name, strerror(-ret));
	else
		tap_ok(&results, closed_by_master(&c), "%s: %s: the master closed the connection",
		    name, what);
	conn_close(&c);
}

static int do_replay(struct conn *c)
{
	int ret = ping(c);

	return ret ? ret : send_raw(c, c->sent, c->sent_len);
}

static int do_reorder(struct conn *c)
{
	struct bp_msg a = { .type = BP_MSG_PING }, b = { .type = BP_MSG_PING };
	uint8_t first[sizeof(c->sent)];
	size_t first_len;
	int ret;

	ret = encode(c, &a);
	if (ret)
		return ret;
	memcpy(first, c->sent, c->sent_len);
	first_len = c->sent_len;
	ret = encode(c, &b);
	if (!ret)
		ret = send_raw(c, c->sent, c->sent_len);
	return ret ? ret : send_raw(c, first, first_len);
}

static int do_flip(struct conn *c)
{
	struct bp_msg m = { .type = BP_MSG_PING };
	int ret = encode(c, &m);

	if (ret)
		return ret;
	c->sent[c->sent_len - 1] ^= 0x01;	/* in the tag */
	return send_raw(c, c->sent, c->sent_len);
}

static int do_unsealed(struct conn *c)
{
	struct bp_msg m = { .type = BP_MSG_PING, .id = 99 };
	uint8_t buf[BP_WIRE_ENC_MAX];
	ssize_t n = bp_wire_encode(&m, buf, sizeof(buf));

	return n < 0 ? (int)n : send_raw(c, buf, (size_t)n);
}

static int do_reflect(struct conn *c)
{
	int ret = ping(c);

	if (!ret && !c->got_len)
		ret = -ENODATA;
	return ret ? ret : send_raw(c, c->got, c->got_len);
}

/* The handshake a listener recorded, replayed: the proof is stale. */
static void handshake_replay(const struct opts *o, const struct key *k)
{
	uint8_t rec[2 * sizeof(((struct conn *)0)->sent)];
	size_t rec_len = 0;
	struct conn c;
	int ret = session(o, k, &c, rec, &rec_len);

	conn_close(&c);
	if (ret) {
		tap_ok(&results, false, "handshake: no session to record: %s", strerror(-ret));
		return;
	}
	ret = dial(o, &c, false);
	if (!ret)
		ret = send_raw(&c, rec, rec_len);
	if (ret)
		tap_ok(&results, false, "handshake: could not replay it: %s", strerror(-ret));
	else
		tap_ok(&results, closed_by_master(&c),
		    "handshake: a recorded HELLO and AUTH replayed: the master closed the connection");
	conn_close(&c);
}

/* Messages about another node's process, from this node's session. */
static void foreign(const struct opts *o, const struct key *k)
{
	struct bp_msg m;
	struct conn c;
	int ret;

	if (!o->victim) {
		diag("foreign: no -v PID given");
		tap_ok(&results, false, "foreign: needs -v PID -V NODE");
		return;
	}
	ret = session(o, k, &c, NULL, NULL);
	if (!ret) {
		proc_msg(&m, BPROC_MSG_EXIT, k->node, o->victim);
		ret = send_msg(&c, &m);
	}
	if (!ret) {
		proc_msg(&m, BPROC_MSG_PIDS_FREE, k->node, 0);
		m.proc.pids.count = 1;
		m.proc.pids.pids[0] = o->victim;
		ret = send_msg(&c, &m);
	}
	if (!ret)
		ret = ping(&c);
	tap_ok(&results, !ret, "foreign: EXIT and PIDS_FREE for pid %d of node %d: ignored, the session goes on (%s)",
	    o->victim, o->victim_node, ret ? strerror(-ret) : "answered");
	if (!ret) {
		proc_msg(&m, BPROC_MSG_EXIT, o->victim_node, o->victim);
		ret = send_msg(&c, &m);
		tap_ok(&results, !ret && closed_by_master(&c),
		    "foreign: a message claiming node %d: the master closed the connection",
		    o->victim_node);
	}
	conn_close(&c);

	ret = session(o, k, &c, NULL, NULL);
	if (!ret) {
		proc_msg(&m, BPROC_MSG_FORK, k->node, o->victim);
		m.proc.fork.ppid = o->victim + 1;
		m.proc.fork.node_pid = o->victim;
		ret = send_msg(&c, &m);
	}
	tap_ok(&results, !ret && closed_by_master(&c),
	    "foreign: a FORK with pid %d, not leased to this node: the master closed the connection",
	    o->victim);
	conn_close(&c);
}

static const struct {
	const char *name;
	const char *what;
	int (*fn)(struct conn *c);
} sealed_attacks[] = {
	{ "replay", "a sealed PING sent again", do_replay },
	{ "reorder", "two sealed PINGs in the wrong order", do_reorder },
	{ "flip", "a sealed PING with a bit of its tag flipped", do_flip },
	{ "unsealed", "a plain PING on the sealed link", do_unsealed },
	{ "reflect", "the master's sealed PONG sent back", do_reflect },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: bprogue -b NODE_ADDR [-p PORT] [-v PID -V NODE] MASTER_ADDR [ATTACK...]\n"
		"attacks: handshake replay reorder flip unsealed reflect foreign (default: all)\n");
	exit(2);
}

static bool wanted(char **names, int n, const char *name)
{
	if (!n)
		return true;
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct opts o = { .master = { .sin_family = AF_INET,
				      .sin_port = htons(2223) },
			  .victim_node = -1 };
	struct key k = { 0 };
	bool have_bind = false;
	char *end;
	int c, ret, nattacks;
	char **attacks;

	while ((c = getopt(argc, argv, "b:p:v:V:")) != -1) {
		switch (c) {
		case 'b':
			if (inet_pton(AF_INET, optarg, &o.bind) != 1) {
				fprintf(stderr, "bprogue: -b %s: not an IPv4 address\n", optarg);
				return 2;
			}
			have_bind = true;
			break;
		case 'p':
			o.master.sin_port = htons((uint16_t)strtoul(optarg, &end, 10));
			if (*end || !o.master.sin_port) {
				fprintf(stderr, "bprogue: -p %s: not a port\n", optarg);
				return 2;
			}
			break;
		case 'v':
			o.victim = (pid_t)strtol(optarg, &end, 10);
			if (*end || o.victim <= 1) {
				fprintf(stderr, "bprogue: -v %s: not a pid\n", optarg);
				return 2;
			}
			break;
		case 'V':
			o.victim_node = (int)strtol(optarg, &end, 10);
			if (*end || o.victim_node < 0) {
				fprintf(stderr, "bprogue: -V %s: not a node number\n", optarg);
				return 2;
			}
			break;
		default:
			usage();
		}
	}
	if (!have_bind || optind >= argc)
		usage();
	if (inet_pton(AF_INET, argv[optind], &o.master.sin_addr) != 1) {
		fprintf(stderr, "bprogue: %s: not an IPv4 address\n", argv[optind]);
		return 2;
	}
	attacks = argv + optind + 1;
	nattacks = argc - optind - 1;

	ret = enroll(&o, &k);
	if (ret) {
		printf("Bail out! enrollment as the node at %s refused (%s): is that node down?\n",
		       inet_ntoa(o.bind), strerror(-ret));
		return 2;
	}
	diag("enrolled as node %d (key generation %u)", k.node, k.gen);
	if (wanted(attacks, nattacks, "handshake"))
		handshake_replay(&o, &k);
	for (size_t i = 0; i < sizeof(sealed_attacks) / sizeof(sealed_attacks[0]); i++)
		if (wanted(attacks, nattacks, sealed_attacks[i].name))
			attack(&o, &k, sealed_attacks[i].name, sealed_attacks[i].what,
			       sealed_attacks[i].fn);
	if (wanted(attacks, nattacks, "foreign"))
		foreign(&o, &k);
	memset(&k, 0, sizeof(k));
	return tap_done(&results);
}
