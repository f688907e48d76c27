// SPDX-License-Identifier: GPL-2.0
/*
 * Message framing over stream sockets (bp_stream.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "bp_crypto.h"
#include "bp_stream.h"
#include "wire_priv.h"

#define RX_CHUNK	4096

void bp_rx_init(struct bp_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

void bp_rx_free(struct bp_rx *rx)
{
	free(rx->buf);
	memset(&rx->seal, 0, sizeof(rx->seal));
	bp_rx_init(rx);
}

void bp_seal_start(struct bp_seal *s, const uint8_t key[32], uint32_t dir)
{
	s->on = true;
	s->dir = dir;
	s->seq = 0;
	memcpy(s->key, key, sizeof(s->key));
}

static void seal_nonce(const struct bp_seal *s, uint8_t nonce[BP_AEAD_NONCE_LEN])
{
	bp_put_le32(nonce, s->dir);
	bp_put_le64(nonce + 4, s->seq);
}

/*
 * The total length of the sealed message at the start of @p (@len bytes
 * there): 0 when the header is incomplete, or a negative errno.
 */
static ssize_t sealed_peek(const uint8_t *p, size_t len)
{
	uint32_t length;

	if (len >= 4 && bp_get_le32(p) != BP_WIRE_MAGIC)
		return -EPROTO;
	if (len < BP_WIRE_HDR_LEN)
		return 0;
	if (p[4] != BP_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	if (p[5] != BP_WIRE_F_SEALED)
		return -EKEYREJECTED;	/* not sealed on a sealed link */
	length = bp_get_le32(p + 8);
	if (length < BP_WIRE_SEAL_TAG ||
	    length > BP_WIRE_MAX_PAYLOAD + BP_WIRE_SEAL_TAG)
		return -EMSGSIZE;
	return BP_WIRE_HDR_LEN + (ssize_t)length;
}

/* Make room for at least @need unconsumed bytes plus nothing else. */
static int rx_reserve(struct bp_rx *rx, size_t need)
{
	size_t pending = bp_rx_pending(rx);
	uint8_t *p;

	if (rx->off && rx->off + need > rx->cap) {
		memmove(rx->buf, rx->buf + rx->off, pending);
		rx->off = 0;
		rx->len = pending;
	}
	if (need <= rx->cap - rx->off)
		return 0;
	p = realloc(rx->buf, need);
	if (!p)
		return -ENOMEM;
	rx->buf = p;
	rx->cap = need;
	return 0;
}

/* How many unconsumed bytes the buffer should be able to hold next. */
static size_t rx_want(const struct bp_rx *rx)
{
	size_t pending = bp_rx_pending(rx);
	size_t want = pending + RX_CHUNK;
	struct bp_wire_hdr hdr;
	ssize_t total;

	if (rx->seal.on)
		total = sealed_peek(rx->buf + rx->off, pending);
	else
		total = bp_wire_peek(rx->buf + rx->off, pending, &hdr);
	if (total > 0 && (size_t)total > want)
		want = (size_t)total;
	return want;
}

ssize_t bp_rx_read(struct bp_rx *rx, int fd)
{
	ssize_t n;
	int ret;

	ret = rx_reserve(rx, rx_want(rx));
	if (ret)
		return ret;
	do
		n = read(fd, rx->buf + rx->len, rx->cap - rx->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	rx->len += (size_t)n;
	return n;
}

int bp_rx_feed(struct bp_rx *rx, const void *data, size_t len)
{
	int ret;

	ret = rx_reserve(rx, bp_rx_pending(rx) + len);
	if (ret)
		return ret;
	if (len)
		memcpy(rx->buf + rx->len, data, len);
	rx->len += len;
	return 0;
}

/*
 * On a sealed link: open the message at the head of the buffer in place
 * and rewrite its header as the codec knows it (not sealed, the plain
 * length). Returns the bytes it takes in the buffer (0: more are
 * needed) with *@plain the length to decode, or a negative errno.
 */
static ssize_t rx_open_sealed(struct bp_rx *rx, size_t *plain)
{
	uint8_t *p = rx->buf + rx->off, nonce[BP_AEAD_NONCE_LEN];
	ssize_t total = sealed_peek(p, bp_rx_pending(rx));
	uint32_t n;

	if (total <= 0 || (size_t)total > bp_rx_pending(rx))
		return total < 0 ? total : 0;
	n = (uint32_t)(total - BP_WIRE_HDR_LEN - BP_WIRE_SEAL_TAG);
	seal_nonce(&rx->seal, nonce);
	if (bp_aead_open(rx->seal.key, nonce, p, BP_WIRE_HDR_LEN,
			 p + BP_WIRE_HDR_LEN, n, p + BP_WIRE_HDR_LEN + n))
		return -EKEYREJECTED;
	rx->seal.seq++;
	p[5] = 0;
	bp_put_le32(p + 8, n);
	*plain = BP_WIRE_HDR_LEN + n;
	return total;
}

int bp_rx_next(struct bp_rx *rx, struct bp_msg *msg, struct bp_wire_hdr *hdr)
{
	struct bp_wire_hdr h;
	size_t pending = bp_rx_pending(rx), len;
	ssize_t total;
	int ret;

	if (!hdr)
		hdr = &h;
	if (!pending)
		return 0;
	if (rx->seal.on) {
		total = rx_open_sealed(rx, &len);
		if (total <= 0)
			return (int)total;
		if (bp_wire_peek(rx->buf + rx->off, len, hdr) < 0)
			return -EBADMSG;
	} else {
		total = bp_wire_peek(rx->buf + rx->off, pending, hdr);
		if (total <= 0)
			return (int)total;
		if ((size_t)total > pending)
			return 0;
		len = (size_t)total;
	}
	/*
	 * A message that fails to decode stays (the caller closes the
	 * connection); on a sealed link it is opened already.
	 */
	ret = bp_wire_decode(rx->buf + rx->off, len, msg);
	if (ret && ret != -ENOMSG)
		return ret;
	rx->off += (size_t)total;
	if (rx->off == rx->len)
		rx->off = rx->len = 0;
	return ret ? ret : 1;
}

bool bp_rx_unread(const struct bp_rx *rx, int fd)
{
	int n = 0;

	return bp_rx_pending(rx) || (!ioctl(fd, FIONREAD, &n) && n > 0);
}

void bp_tx_init(struct bp_tx *tx)
{
	memset(tx, 0, sizeof(*tx));
}

void bp_tx_free(struct bp_tx *tx)
{
	free(tx->buf);
	memset(&tx->seal, 0, sizeof(tx->seal));
	bp_tx_init(tx);
}

int bp_tx_queue(struct bp_tx *tx, const struct bp_msg *msg)
{
	size_t pending = bp_tx_pending(tx), need = bp_wire_enc_bound(msg);
	ssize_t n;
	uint8_t *p;

	if (tx->seal.on)
		need += BP_WIRE_SEAL_TAG;
	if (pending + need > BP_TX_MAX)
		return -ENOBUFS;
	if (tx->off) {
		memmove(tx->buf, tx->buf + tx->off, pending);
		tx->off = 0;
		tx->len = pending;
	}
	if (tx->cap - tx->len < need) {
		size_t cap = tx->cap ? tx->cap * 2 : 2 * BP_WIRE_ENC_MAX;

		while (cap - tx->len < need)
			cap *= 2;
		p = realloc(tx->buf, cap);
		if (!p)
			return -ENOMEM;
		tx->buf = p;
		tx->cap = cap;
	}
	n = bp_wire_encode(msg, tx->buf + tx->len, tx->cap - tx->len);
	if (n < 0)
		return (int)n;
	if (tx->seal.on) {
		uint8_t nonce[BP_AEAD_NONCE_LEN];
		size_t plain = (size_t)n - BP_WIRE_HDR_LEN;
		int ret;

		p = tx->buf + tx->len;
		p[5] = BP_WIRE_F_SEALED;
		bp_put_le32(p + 8, (uint32_t)(plain + BP_WIRE_SEAL_TAG));
		seal_nonce(&tx->seal, nonce);
		ret = bp_aead_seal(tx->seal.key, nonce, p, BP_WIRE_HDR_LEN,
				   p + BP_WIRE_HDR_LEN, plain,
				   p + BP_WIRE_HDR_LEN + plain);
		if (ret)
			return ret;
		tx->seal.seq++;
		n += BP_WIRE_SEAL_TAG;
	}
	tx->len += (size_t)n;
	return 0;
}

ssize_t bp_tx_flush(struct bp_tx *tx, int fd)
{
	while (bp_tx_pending(tx)) {
		ssize_t n = send(fd, tx->buf + tx->off, bp_tx_pending(tx),
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		tx->off += (size_t)n;
	}
	if (tx->off == tx->len)
		tx->off = tx->len = 0;
	return (ssize_t)bp_tx_pending(tx);
}
