// SPDX-License-Identifier: GPL-2.0
/* Host unit tests: the node specification grammar and node sets. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bproc.h>
#include "bproc-test/tap.h"

/* An 8-node cluster; states by node number. */
static const int cluster[8] = {
	BPROC_NODE_UP, BPROC_NODE_UP, BPROC_NODE_DOWN, BPROC_NODE_BOOT,
	BPROC_NODE_UP, BPROC_NODE_ERROR, BPROC_NODE_DOWN,
	BPROC_NODE_UNAVAILABLE,
};

struct lookup {
	const int *states;
	int fail_node;		/* this node's lookup fails with -EIO */
	int calls;
};

static int lookup_state(void *arg, int node)
{
	struct lookup *l = arg;

	l->calls++;
	if (node == l->fail_node)
		return -EIO;
	return l->states[node];
}

/* "0-3,5" for a set, for messages. */
static const char *fmt(const struct bproc_nodeset *s, char *buf, size_t n)
{
	if (bproc_nodeset_format(s->nodes, s->count, buf, n) < 0)
		snprintf(buf, n, "(unformattable)");
	return buf;
}

/* @spec over @nnodes nodes must give exactly the nodes in @want. */
static void good(struct tap *t, const char *spec, int nnodes,
		 const char *want)
{
	struct lookup l = { .states = cluster, .fail_node = -100 };
	struct bproc_nodeset set = {};
	struct bproc_nodeset_error err;
	char got[256];
	int r;

	r = bproc_nodeset_parse(spec, nnodes, lookup_state, &l, &set, &err);
	if (r != 0) {
		tap_ok(t, 0, "'%s' (%d nodes) parses: got error %s", spec, nnodes,
		   err.msg);
	} else {
		fmt(&set, got, sizeof(got));
		tap_ok(t, !strcmp(got, want), "'%s' (%d nodes) -> '%s' (got '%s')",
		   spec, nnodes, want, got);
	}
	bproc_nodeset_free(&set);
}

/*
 * @spec must fail with EINVAL, naming the token spec[pos, pos+len) and
 * with @msg contained in the message.
 */
static void bad(struct tap *t, const char *spec, int nnodes, size_t pos,
		size_t len, const char *msg)
{
	struct lookup l = { .states = cluster, .fail_node = -100 };
	struct bproc_nodeset set = {};
	struct bproc_nodeset_error err;
	int r;

	errno = 0;
	r = bproc_nodeset_parse(spec, nnodes, lookup_state, &l, &set, &err);
	tap_ok(t, r == -1 && errno == EINVAL && set.count == 0 && !set.nodes &&
	   err.pos == pos && err.len == len && strstr(err.msg, msg),
	   "'%s' (%d nodes) rejected at %zu+%zu with \"%s\" (got r=%d errno=%d at %zu+%zu: \"%s\")",
	   spec, nnodes, pos, len, msg, r, errno, err.pos, err.len, err.msg);
	bproc_nodeset_free(&set);
}

static void test_numbers(struct tap *t)
{
	good(t, "3", 8, "3");
	good(t, "0", 8, "0");
	good(t, "7", 8, "7");
	good(t, "0,2,5", 8, "0,2,5");
	good(t, "5,2,0", 8, "0,2,5");
	good(t, "4-6", 8, "4-6");
	good(t, "7-7", 8, "7");
	good(t, "0-7", 8, "0-7");
	good(t, "5-", 8, "5-7");
	good(t, "7-", 8, "7");
	good(t, "0-", 1, "0");
	good(t, "n5", 8, "5");
	good(t, ".5", 8, "5");
	good(t, "n4-n6", 8, "4-6");
	good(t, "n4-6", 8, "4-6");
	good(t, ".4-.6", 8, "4-6");
	good(t, "n5-", 8, "5-7");
	good(t, "007", 8, "7");
	good(t, "3,3,1-4", 8, "1-4");
	good(t, "0,1,2,3,5,7", 8, "0-3,5,7");
	good(t, "n1,.2,3", 8, "1-3");
}

static void test_words(struct tap *t)
{
	good(t, "all", 8, "0-7");
	good(t, "allup", 8, "0-1,4");
	good(t, "alldown", 8, "2,6");
	good(t, "allboot", 8, "3");
	good(t, "allerror", 8, "5");
	good(t, "allunavailable", 8, "7");
	good(t, "allpwroff", 8, "");
	good(t, "allnotup", 8, "2-3,5-7");
	good(t, "all!up", 8, "2-3,5-7");
	good(t, "allnotdown", 8, "0-1,3-5,7");
	good(t, "all!pwroff", 8, "0-7");
	good(t, "master", 8, "master");
	good(t, "master,0", 8, "master,0");
	good(t, "1,master", 8, "master,1");
	good(t, "master,all", 8, "master,0-7");
	good(t, "allup,2", 8, "0-2,4");
	good(t, "all", 0, "");
	good(t, "allup", 0, "");
	good(t, "master", 0, "master");
}

static void test_brackets(struct tap *t)
{
	good(t, "n[0-2,7]", 8, "0-2,7");
	good(t, "[3,5]", 8, "3,5");
	good(t, ".[1-2]", 8, "1-2");
	good(t, "n[5-]", 8, "5-7");
	good(t, "n[5-,0]", 8, "0,5-7");
	good(t, "n[00-02]", 8, "0-2");
	good(t, "n[4]", 8, "4");
	good(t, "n[0-1],n[6-7],3", 8, "0-1,3,6-7");
	good(t, "master,n[1,2]", 8, "master,1-2");
}

static void test_errors(struct tap *t)
{
	bad(t, "", 8, 0, 0, "empty node list");
	bad(t, "8", 8, 0, 1, "'8': no such node (nodes 0-7)");
	bad(t, "1,8", 8, 2, 1, "'8': no such node");
	bad(t, "n8", 8, 0, 2, "'n8': no such node");
	bad(t, "0", 0, 0, 1, "'0': no such node (there are no nodes)");
	bad(t, "1", 1, 0, 1, "no such node (the only node is 0)");
	bad(t, "99999999999999999999", 8, 0, 20, "no such node");
	bad(t, "2147483648", 8, 0, 10, "no such node");
	bad(t, "4-9", 8, 0, 3, "'4-9': no such node");
	bad(t, "8-", 8, 0, 2, "'8-': no such node");
	bad(t, "0-", 0, 0, 2, "no such node");
	bad(t, "6-4", 8, 0, 3, "'6-4': range runs backwards");
	bad(t, "1,n6-n4", 8, 2, 5, "'n6-n4': range runs backwards");
	bad(t, "-1", 8, 0, 2, "not a node number");
	bad(t, "-3", 8, 0, 2, "not a node number");
	bad(t, "-", 8, 0, 1, "not a node number");
	bad(t, "abc", 8, 0, 3, "'abc': not a node number, range or keyword");
	bad(t, "n", 8, 0, 1, "'n': not a node number");
	bad(t, ".", 8, 0, 1, "'.': not a node number");
	bad(t, "nn5", 8, 0, 3, "not a node number");
	bad(t, "5x", 8, 0, 2, "'5x': not a node number");
	bad(t, "12x", 8, 0, 3, "'12x': not a node number");
	bad(t, "5-x", 8, 0, 3, "not a node number");
	bad(t, "5-n", 8, 0, 3, "not a node number");
	bad(t, "5--6", 8, 0, 4, "not a node number");
	bad(t, "5-6-7", 8, 0, 5, "not a node number");
	bad(t, "+5", 8, 0, 2, "not a node number");
	bad(t, " 5", 8, 0, 2, "not a node number");
	bad(t, "5 ", 8, 0, 2, "not a node number");
	bad(t, "0x5", 8, 0, 3, "not a node number");
	bad(t, "1,,2", 8, 2, 0, "empty element at offset 2");
	bad(t, "1,", 8, 2, 0, "empty element at offset 2");
	bad(t, ",1", 8, 0, 0, "empty element at offset 0");
	bad(t, ",", 8, 0, 0, "empty element at offset 0");
	bad(t, "allfoo", 8, 0, 6, "'allfoo': unknown state 'foo'");
	bad(t, "allUP", 8, 0, 5, "unknown state 'UP'");
	bad(t, "allnotfoo", 8, 0, 9, "unknown state 'foo'");
	bad(t, "allnot", 8, 0, 6, "'allnot': state name missing");
	bad(t, "all!", 8, 0, 4, "'all!': state name missing");
	bad(t, "allxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 8, 0, 43,
	    "unknown state");
	bad(t, "ALL", 8, 0, 3, "not a node number");
	bad(t, "masterx", 8, 0, 7, "not a node number");
	bad(t, "maste", 8, 0, 5, "not a node number");
	bad(t, "1,n[0-3", 8, 2, 5, "'n[0-3': missing ']'");
	bad(t, "n[", 8, 0, 2, "missing ']'");
	bad(t, "n[1,", 8, 0, 4, "missing ']'");
	bad(t, "n[]", 8, 0, 3, "'n[]': empty range inside brackets");
	bad(t, "n[1,]", 8, 0, 5, "empty range inside brackets");
	bad(t, "n[,1]", 8, 0, 5, "empty range inside brackets");
	bad(t, "n[a]", 8, 0, 4, "'n[a]': bad range inside brackets");
	bad(t, "n[1x]", 8, 0, 5, "bad range inside brackets");
	bad(t, "n[n1]", 8, 0, 5, "bad range inside brackets");
	bad(t, "n[[1]]", 8, 0, 6, "bad range inside brackets");
	bad(t, "n[1-2]x", 8, 0, 7, "'n[1-2]x': text after ']'");
	bad(t, "n[1]]", 8, 0, 5, "text after ']'");
	bad(t, "n[0,3-1]", 8, 4, 3, "'3-1': range runs backwards");
	bad(t, "n[0,9]", 8, 4, 1, "'9': no such node (nodes 0-7)");
	bad(t, "n[8-]", 8, 2, 2, "'8-': no such node");
	bad(t, "n]", 8, 0, 2, "not a node number");
	bad(t, "x[1]", 8, 0, 4, "not a node number");
	bad(t, "1,2,abc,3", 8, 4, 3, "'abc'");
	bad(t, "0,123456789012345678901234567890123456789012345678901234567890x",
	    8, 2, 61, "'123456789012345678901234567890123456789012345...': not a node number");
}

static void test_api(struct tap *t)
{
	struct lookup l = { .states = cluster, .fail_node = 3 };
	struct bproc_nodeset set = {};
	struct bproc_nodeset_error err;
	struct bproc_node_info list[3] = {
		{ .node = 0, .state = BPROC_NODE_DOWN },
		{ .node = 1, .state = BPROC_NODE_UP },
		{ .node = 2, .state = BPROC_NODE_UP },
	};
	char buf[64];
	int r;

	/* A failing state lookup fails the parse with its errno. */
	errno = 0;
	r = bproc_nodeset_parse("1,allup", 8, lookup_state, &l, &set, &err);
	tap_ok(t, r == -1 && errno == EIO && set.count == 0 &&
	   strstr(err.msg, "'allup': cannot read the state of node 3") &&
	   err.pos == 2 && err.len == 5,
	   "state lookup error -> EIO, message names node 3 (%s)", err.msg);

	/* The lookup is only used for all<state>. */
	l.fail_node = -100;
	l.calls = 0;
	r = bproc_nodeset_parse("all,1-3,n[4],master", 8, lookup_state, &l,
				&set, NULL);
	tap_ok(t, r == 0 && l.calls == 0, "no state lookups without all<state>");
	bproc_nodeset_free(&set);
	tap_ok(t, set.nodes == NULL && set.count == 0, "free empties the set");

	/* Parsing adds to what the set holds; a failure leaves it alone. */
	tap_ok(t, bproc_nodeset_add(&set, 2) == 0 && bproc_nodeset_add(&set, 100) == 0,
	   "add 2 and 100");
	r = bproc_nodeset_parse("1,3", 8, lookup_state, &l, &set, NULL);
	tap_ok(t, r == 0 && !strcmp(fmt(&set, buf, sizeof(buf)), "1-3,100"),
	   "parse adds to the set: %s", buf);
	r = bproc_nodeset_parse("0,99", 8, lookup_state, &l, &set, NULL);
	tap_ok(t, r == -1 && errno == EINVAL &&
	   !strcmp(fmt(&set, buf, sizeof(buf)), "1-3,100"),
	   "a failed parse leaves the set unchanged: %s", buf);
	tap_ok(t, bproc_nodeset_contains(&set, 2) && bproc_nodeset_contains(&set, 100) &&
	   !bproc_nodeset_contains(&set, 0) && !bproc_nodeset_contains(&set, 4) &&
	   !bproc_nodeset_contains(&set, -1), "contains");
	tap_ok(t, bproc_nodeset_add(&set, -1) == 0 && bproc_nodeset_add(&set, 2) == 0 &&
	   bproc_nodeset_add(&set, 50) == 0 &&
	   !strcmp(fmt(&set, buf, sizeof(buf)), "master,1-3,50,100"),
	   "add keeps order and uniqueness: %s", buf);
	bproc_nodeset_free(&set);

	/* Argument checks. */
	errno = 0;
	tap_ok(t, bproc_nodeset_parse(NULL, 8, lookup_state, &l, &set, &err) == -1 &&
	   errno == EINVAL, "NULL spec: EINVAL");
	errno = 0;
	tap_ok(t, bproc_nodeset_parse("1", -1, lookup_state, &l, &set, &err) == -1 &&
	   errno == EINVAL, "negative node count: EINVAL");
	errno = 0;
	tap_ok(t, bproc_nodeset_parse("1", 8, lookup_state, &l, NULL, &err) == -1 &&
	   errno == EINVAL, "NULL set: EINVAL");
	errno = 0;
	tap_ok(t, bproc_nodeset_parse("8", 8, lookup_state, &l, &set, NULL) == -1 &&
	   errno == EINVAL, "NULL error struct allowed");

	/* Over a node list. */
	r = bproc_nodeset_parse_list("allup,0", list, 3, &set, &err);
	tap_ok(t, r == 0 && !strcmp(fmt(&set, buf, sizeof(buf)), "0-2"),
	   "parse_list: allup,0 -> %s", buf);
	bproc_nodeset_free(&set);
	r = bproc_nodeset_parse_list("3", list, 3, &set, &err);
	tap_ok(t, r == -1 && errno == EINVAL && strstr(err.msg, "nodes 0-2"),
	   "parse_list: node 3 of 3 rejected (%s)", err.msg);
	r = bproc_nodeset_parse_list("all", NULL, 0, &set, &err);
	tap_ok(t, r == 0 && set.count == 0 && set.nodes == NULL,
	   "parse_list: empty table gives an empty set");
	bproc_nodeset_free(&set);
}

static void test_format(struct tap *t)
{
	static const int many[] = { 0, 1, 2, 3, 5, 7, 8, 9 };
	static const int two[] = { 3, 4 };
	static const int mast[] = { -1, 0, 1 };
	static const int unsorted[] = { 3, 1 };
	static const int dup[] = { 1, 1 };
	static const int self[] = { -2, 1 };
	char buf[64];
	int r;

	r = bproc_nodeset_format(NULL, 0, buf, sizeof(buf));
	tap_ok(t, r == 0 && buf[0] == '\0', "empty set formats as ''");
	r = bproc_nodeset_format(many, 8, buf, sizeof(buf));
	tap_ok(t, r == 9 && !strcmp(buf, "0-3,5,7-9"), "ranges: %s", buf);
	r = bproc_nodeset_format(two, 2, buf, sizeof(buf));
	tap_ok(t, r == 3 && !strcmp(buf, "3-4"), "two neighbours: %s", buf);
	r = bproc_nodeset_format(mast, 3, buf, sizeof(buf));
	tap_ok(t, r == 10 && !strcmp(buf, "master,0-1"),
	   "master is not merged into 0: %s", buf);
	r = bproc_nodeset_format(many, 8, buf, 4);
	tap_ok(t, r == 9 && !strcmp(buf, "0-3"), "truncates like snprintf: %s", buf);
	r = bproc_nodeset_format(many, 8, NULL, 0);
	tap_ok(t, r == 9, "size query with NULL buffer: %d", r);
	errno = 0;
	tap_ok(t, bproc_nodeset_format(unsorted, 2, buf, sizeof(buf)) == -1 &&
	   errno == EINVAL, "unsorted: EINVAL");
	errno = 0;
	tap_ok(t, bproc_nodeset_format(dup, 2, buf, sizeof(buf)) == -1 &&
	   errno == EINVAL, "duplicate: EINVAL");
	errno = 0;
	tap_ok(t, bproc_nodeset_format(self, 2, buf, sizeof(buf)) == -1 &&
	   errno == EINVAL, "-2 is not a set member: EINVAL");
}

int main(void)
{
	struct tap t = {};

	test_numbers(&t);
	test_words(&t);
	test_brackets(&t);
	test_errors(&t);
	test_api(&t);
	test_format(&t);
	return tap_done(&t);
}
