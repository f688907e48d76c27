// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of bpcp's tree (tree.c): the plan for every size up to 300
 * and width 1 to 8 (each node once, in order, at most K children, depth
 * as of a K-ary tree), and the receiver's check of the list a sender
 * sends it (a socketpair stands for the connection). TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bpcp.h"

const char *prog = "tree_test";
bool opt_p, opt_r;

static int n, failed;

static void ok(int cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, what);
	failed += !cond;
}

/*
 * Walk the subtrees @t[0..len): every entry's size fits, at most @k
 * heads at each level, nodes in their order; the deepest level with a
 * node in *@depth (0: the heads).
 */
static int walk(const struct bpcp_hop *t, uint32_t len, unsigned int k,
		int level, int *depth, int32_t *next)
{
	unsigned int heads = 0;

	if (len && level > *depth)
		*depth = level;
	for (uint32_t i = 0; i < len; i += t[i].subtree, heads++) {
		if (!t[i].subtree || t[i].subtree > len - i || t[i].node != (*next)++)
			return -1;
		if (walk(t + i + 1, t[i].subtree - 1, k, level + 1, depth, next))
			return -1;
	}
	return heads > k ? -1 : 0;
}

/* The depth of a K-ary tree of @len nodes under a root (levels below it). */
static int kary_depth(uint32_t len, unsigned int k)
{
	uint64_t level = 1, total = 0;
	int d = 0;

	while (total < len) {
		level *= k;
		total += level;
		d++;
		if (k == 1)
			return (int)len;
	}
	return d;
}

static int send_list(int fd, uint32_t count, const uint8_t *entries, size_t len)
{
	uint8_t b[4] = { (uint8_t)count, (uint8_t)(count >> 8),
			 (uint8_t)(count >> 16), (uint8_t)(count >> 24) };

	return write(fd, b, 4) != 4 ||
	       (len && write(fd, entries, len) != (ssize_t)len) ? -1 : 0;
}

/* One 16-byte entry: node, 127.0.0.1, port, pad, subtree. */
static void entry(uint8_t *p, uint32_t node, uint16_t port, uint16_t pad,
		  uint32_t subtree)
{
	memset(p, 0, BPCP_HOP_LEN);
	memcpy(p, &node, 4);		/* little-endian host */
	p[4] = 127;
	p[7] = 1;
	memcpy(p + 8, &port, 2);
	memcpy(p + 10, &pad, 2);
	memcpy(p + 12, &subtree, 4);
}

/* What the receiver makes of @count and @entries: 0 or -1. */
static int receive(uint32_t count, const uint8_t *entries, size_t len,
		   uint32_t *got)
{
	struct bpcp_hop *h = NULL;
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -2;
	if (send_list(sv[0], count, entries, len))
		ret = -2;
	close(sv[0]);
	ret = tree_read_desc(sv[1], &h, got);
	close(sv[1]);
	free(h);
	return ret;
}

int main(void)
{
	static struct bpcp_hop in[300], out[300];
	uint8_t e[4 * BPCP_HOP_LEN];
	bool plans = true, depths = true;
	uint32_t got;

	printf("TAP version 13\n");
	for (int i = 0; i < 300; i++)
		in[i] = (struct bpcp_hop){ .node = i, .addr = 0x0100007f, .port = 1 };
	for (unsigned int k = 1; k <= 8; k++) {
		for (uint32_t len = 0; len <= 300; len++) {
			int depth = 0;
			int32_t next = 0;

			memset(out, 0, sizeof(out));
			tree_plan(in, len, k, out);
			if (walk(out, len, k, 0, &depth, &next) || next != (int32_t)len)
				plans = false;
			if (len && depth + 1 > kary_depth(len, k))
				depths = false;
		}
	}
	ok(plans, "plans of 0..300 nodes, width 1..8: every node once, in order, at most K children");
	ok(depths, "and no deeper than a K-ary tree");
	{
		int depth = 0;
		int32_t next = 0;

		tree_plan(in, 8, 2, out);
		ok(!walk(out, 8, 2, 0, &depth, &next) && depth == 2 && out[0].subtree == 4 &&
		   out[4].subtree == 4, "8 nodes at width 2: two subtrees of 4, three levels");
	}

	entry(e, 3, 2000, 0, 2);
	entry(e + BPCP_HOP_LEN, 4, 2001, 0, 1);
	ok(!receive(2, e, 2 * BPCP_HOP_LEN, &got) && got == 2,
	   "a receiver takes a well-formed list (a node and its child)");
	ok(!receive(0, NULL, 0, &got) && got == 0, "and an empty one (a leaf)");
	entry(e, 3, 2000, 0, 3);
	ok(receive(2, e, 2 * BPCP_HOP_LEN, &got) == -1,
	   "a subtree larger than the list is refused");
	entry(e, 3, 2000, 0, 0);
	ok(receive(1, e, BPCP_HOP_LEN, &got) == -1, "a subtree of size 0 is refused");
	entry(e, 3, 0, 0, 1);
	ok(receive(1, e, BPCP_HOP_LEN, &got) == -1, "port 0 is refused");
	entry(e, 3, 2000, 1, 1);
	ok(receive(1, e, BPCP_HOP_LEN, &got) == -1, "padding that is not 0 is refused");
	entry(e, 3, 2000, 0, 1);
	ok(receive(2, e, BPCP_HOP_LEN, &got) == -1, "a list cut short is refused");
	ok(receive(BPCP_TREE_MAX + 1, NULL, 0, &got) == -1,
	   "more nodes than a cluster has is refused before reading them");
	printf("1..%d\n# %d passed, %d failed\n", n, n - failed, failed);
	return failed != 0;
}
