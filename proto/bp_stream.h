/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Message framing over a stream socket: a receive buffer that yields whole
 * decoded messages and a send queue for non-blocking sockets. Functions
 * return 0 or a positive count on success and a negative errno on failure;
 * they neither print nor exit.
 */
#ifndef BP_STREAM_H
#define BP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bp_wire.h"

/* Most bytes a send queue holds before bp_tx_queue() fails with -ENOBUFS. */
#define BP_TX_MAX	(4u * BP_WIRE_MAX_MSG)

/*
 * One direction of a sealed link (docs/security.md): once on, every
 * message carries BP_WIRE_F_SEALED, its payload encrypted with AES-256-GCM
 * under @key, the header as associated data, and a 16-byte tag after the
 * payload. The nonce is @dir and the message's sequence number, so a
 * message replayed, dropped, reordered or reflected fails to open.
 */
struct bp_seal {
	bool on;
	uint32_t dir;		/* BP_DIR_TO_NODE or BP_DIR_TO_MASTER */
	uint64_t seq;		/* of the next message */
	uint8_t key[32];
};

/* From now on, seal (tx) or open (rx) every message with @key. */
void bp_seal_start(struct bp_seal *s, const uint8_t key[32], uint32_t dir);

struct bp_rx {
	uint8_t *buf;
	size_t off;	/* start of unconsumed bytes */
	size_t len;	/* end of unconsumed bytes */
	size_t cap;
	struct bp_seal seal;
};

struct bp_tx {
	uint8_t *buf;
	size_t off;
	size_t len;
	size_t cap;
	struct bp_seal seal;
};

void bp_rx_init(struct bp_rx *rx);
void bp_rx_free(struct bp_rx *rx);

/*
 * One read(2) from @fd into the buffer. Returns the number of bytes read,
 * 0 at end of file, or -errno (-EAGAIN on a non-blocking socket with
 * nothing to read; -EPROTO etc. when the buffered header is invalid).
 */
ssize_t bp_rx_read(struct bp_rx *rx, int fd);

/* Append bytes as if read (for tests and fuzzing). */
int bp_rx_feed(struct bp_rx *rx, const void *data, size_t len);

/*
 * Take the next whole message out of the buffer. Returns 1 with @msg
 * filled in, 0 when more bytes are needed, or a negative errno of
 * bp_wire_peek()/bp_wire_decode(). On -ENOMSG (unknown optional type)
 * the message has been consumed and the caller may go on. @hdr, when not
 * NULL, receives the header of the message looked at (valid for every
 * result but 0 and -EPROTO). On a sealed link, a message that does not
 * open (forged, replayed, reordered, reflected, or not sealed) is
 * -EKEYREJECTED; one that opens but does not decode is -EBADMSG.
 */
int bp_rx_next(struct bp_rx *rx, struct bp_msg *msg, struct bp_wire_hdr *hdr);

/* Bytes buffered and not yet taken. */
static inline size_t bp_rx_pending(const struct bp_rx *rx)
{
	return rx->len - rx->off;
}

/*
 * Has the peer sent bytes not taken yet, buffered here or waiting in
 * socket @fd? A peer whose bytes wait for a busy loop is not silent.
 */
bool bp_rx_unread(const struct bp_rx *rx, int fd);

void bp_tx_init(struct bp_tx *tx);
void bp_tx_free(struct bp_tx *tx);

/* Encode @msg at the end of the queue. */
int bp_tx_queue(struct bp_tx *tx, const struct bp_msg *msg);

/*
 * Write as much of the queue to @fd as it takes without blocking (or all
 * of it on a blocking socket). Returns the number of bytes still queued or
 * -errno. Uses send(2) with MSG_NOSIGNAL.
 */
ssize_t bp_tx_flush(struct bp_tx *tx, int fd);

static inline size_t bp_tx_pending(const struct bp_tx *tx)
{
	return tx->len - tx->off;
}

#endif /* BP_STREAM_H */
