// SPDX-License-Identifier: GPL-2.0
/*
 * Message framing over stream sockets (bp_stream.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bp_stream.h"

#define RX_CHUNK	4096

void bp_rx_init(struct bp_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

void bp_rx_free(struct bp_rx *rx)
{
	free(rx->buf);
	bp_rx_init(rx);
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

int bp_rx_next(struct bp_rx *rx, struct bp_msg *msg, struct bp_wire_hdr *hdr)
{
	struct bp_wire_hdr h;
	size_t pending = bp_rx_pending(rx);
	ssize_t total;
	int ret;

	if (!hdr)
		hdr = &h;
	if (!pending)
		return 0;
	total = bp_wire_peek(rx->buf + rx->off, pending, hdr);
	if (total <= 0)
		return (int)total;
	if ((size_t)total > pending)
		return 0;
	ret = bp_wire_decode(rx->buf + rx->off, (size_t)total, msg);
	if (ret && ret != -ENOMSG)
		return ret;
	rx->off += (size_t)total;
	if (rx->off == rx->len)
		rx->off = rx->len = 0;
	return ret ? ret : 1;
}

void bp_tx_init(struct bp_tx *tx)
{
	memset(tx, 0, sizeof(*tx));
}

void bp_tx_free(struct bp_tx *tx)
{
	free(tx->buf);
	bp_tx_init(tx);
}

int bp_tx_queue(struct bp_tx *tx, const struct bp_msg *msg)
{
	size_t pending = bp_tx_pending(tx), need = bp_wire_enc_bound(msg);
	ssize_t n;
	uint8_t *p;

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
