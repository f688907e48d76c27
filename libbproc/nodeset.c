// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Node sets: the node specification grammar shared by every tool
 * (documented at bproc_nodeset_parse() in bproc.h), and the sorted,
 * unique node arrays it produces. Pure code: the node count and a state
 * lookup come from the caller, so it is tested without the module.
 */

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct nodeset_parser {
	const char *spec;
	int nnodes;
	bproc_nodestate_fn state;
	void *arg;
	unsigned char *hit;		/* nnodes flags: node selected */
	bool master;			/* "master" selected */
	struct bproc_nodeset_error *err;
};

/* Longest token quoted in full in an error message. */
#define NODESET_TOKEN_SHOWN 48

/* Record why the token spec[pos, pos+len) is wrong; returns -EINVAL. */
static int __attribute__((format(printf, 4, 5)))
nodeset_error(struct nodeset_parser *p, size_t pos, size_t len,
	      const char *fmt, ...)
{
	struct bproc_nodeset_error *e = p->err;
	va_list ap;
	int n;

	if (!e)
		return -EINVAL;
	e->pos = pos;
	e->len = len;
	/* A long token is cut so that the reason still fits. */
	if (len > NODESET_TOKEN_SHOWN)
		n = snprintf(e->msg, sizeof(e->msg), "'%.*s...': ",
			     NODESET_TOKEN_SHOWN - 3, p->spec + pos);
	else
		n = snprintf(e->msg, sizeof(e->msg), "'%.*s': ", (int)len,
			     p->spec + pos);
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "no such node" with the valid range, for token spec[pos, pos+len). */
static int nodeset_no_node(struct nodeset_parser *p, size_t pos, size_t len)
{
	if (p->nnodes == 0)
		return nodeset_error(p, pos, len,
				     "no such node (there are no nodes)");
	if (p->nnodes == 1)
		return nodeset_error(p, pos, len,
				     "no such node (the only node is 0)");
	return nodeset_error(p, pos, len, "no such node (nodes 0-%d)",
			     p->nnodes - 1);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Decimal number at spec[*i] (before @end); INT_MAX when it overflows,
 * which no node reaches. -1 when there is no digit.
 */
static int nodeset_number(const struct nodeset_parser *p, size_t *i,
			  size_t end)
{
	long long v = 0;

	if (*i >= end || !is_digit(p->spec[*i]))
		return -1;
	while (*i < end && is_digit(p->spec[*i])) {
		if (v < INT_MAX)
			v = v * 10 + (p->spec[*i] - '0');
		(*i)++;
	}
	return v > INT_MAX ? INT_MAX : (int)v;
}

/* Skip an "n" or "." prefix, but only in front of a digit. */
static void nodeset_skip_prefix(const struct nodeset_parser *p, size_t *i,
				size_t end)
{
	if (*i + 1 < end && (p->spec[*i] == 'n' || p->spec[*i] == '.') &&
	    is_digit(p->spec[*i + 1]))
		(*i)++;
}

/* nodeset_range(): the text is not a range at all. */
#define NODESET_SYNTAX 1

/*
 * A range NUM [ "-" [ NUM ] ] at spec[*i]. With @tend non-zero it is a
 * whole element, must end at @tend, and errors name spec[tpos, tend);
 * with @tend 0 it sits inside brackets, must end before ']' or ',' (or
 * the end, which the caller reports), and errors name the range itself.
 * @prefix allows "n" or "." before the second number.
 *
 * Return: 0 (nodes marked), NODESET_SYNTAX, or -EINVAL with the error set.
 */
static int nodeset_range(struct nodeset_parser *p, size_t *i, size_t end,
			 bool prefix, size_t tpos, size_t tend)
{
	size_t start = *i;
	bool open = false;
	int lo, hi, n;

	lo = nodeset_number(p, i, end);
	if (lo < 0)
		return NODESET_SYNTAX;
	hi = lo;
	if (*i < end && p->spec[*i] == '-') {
		(*i)++;
		if (prefix)
			nodeset_skip_prefix(p, i, end);
		if (*i < end && is_digit(p->spec[*i]))
			hi = nodeset_number(p, i, end);
		else if (*i == end || p->spec[*i] == ',' || p->spec[*i] == ']')
			open = true;
		else
			return NODESET_SYNTAX;
	}
	if (tend ? *i != tend : *i < end && p->spec[*i] != ']' &&
				  p->spec[*i] != ',')
		return NODESET_SYNTAX;
	if (!tend) {
		tpos = start;
		tend = *i;
	}
	if (open)
		hi = p->nnodes - 1;
	else if (hi < lo)
		return nodeset_error(p, tpos, tend - tpos,
				     "range runs backwards");
	if (lo >= p->nnodes || hi >= p->nnodes)
		return nodeset_no_node(p, tpos, tend - tpos);
	for (n = lo; n <= hi; n++)
		p->hit[n] = 1;
	return 0;
}

/* "all", "all<state>", "allnot<state>", "all!<state>" */
static int nodeset_all(struct nodeset_parser *p, size_t pos, size_t len)
{
	const char *tok = p->spec + pos;
	char name[32];
	size_t skip = 3;
	bool negate = false;
	int want, n, s;

	if (len == 3) {
		memset(p->hit, 1, p->nnodes);
		return 0;
	}
	if (len >= 6 && !strncmp(tok + 3, "not", 3)) {
		negate = true;
		skip = 6;
	} else if (tok[3] == '!') {
		negate = true;
		skip = 4;
	}
	if (len == skip)
		return nodeset_error(p, pos, len, "state name missing");
	if (len - skip >= sizeof(name))
		return nodeset_error(p, pos, len, "unknown state");
	memcpy(name, tok + skip, len - skip);
	name[len - skip] = '\0';
	want = bproc_nodestate_parse(name);
	if (want < 0)
		return nodeset_error(p, pos, len,
				     "unknown state '%s' (down, boot, up, error, unavailable, reboot, halt, pwroff)",
				     name);

	for (n = 0; n < p->nnodes; n++) {
		s = p->state(p->arg, n);
		if (s < 0) {
			if (p->err) {
				p->err->pos = pos;
				p->err->len = len;
				snprintf(p->err->msg, sizeof(p->err->msg),
					 "'%.*s': cannot read the state of node %d: %s",
					 (int)len, tok, n, strerror(-s));
			}
			return s;
		}
		if ((s == want) != negate)
			p->hit[n] = 1;
	}
	return 0;
}

/* "[" range *( "," range ) "]" at spec[i], the rest of the element. */
static int nodeset_bracket(struct nodeset_parser *p, size_t pos, size_t i,
			   size_t end)
{
	size_t len = end - pos;
	int ret;

	i++;	/* '[' */
	for (;;) {
		if (i >= end)
			return nodeset_error(p, pos, len, "missing ']'");
		if (p->spec[i] == ']' || p->spec[i] == ',')
			return nodeset_error(p, pos, len,
					     "empty range inside brackets");
		ret = nodeset_range(p, &i, end, false, 0, 0);
		if (ret < 0)
			return ret;
		if (ret == NODESET_SYNTAX)
			return nodeset_error(p, pos, len,
					     "bad range inside brackets");
		if (i >= end)
			return nodeset_error(p, pos, len, "missing ']'");
		if (p->spec[i] == ']')
			break;
		i++;	/* ',' */
	}
	if (i + 1 != end)
		return nodeset_error(p, pos, len, "text after ']'");
	return 0;
}

/* One element, spec[pos, end). */
static int nodeset_element(struct nodeset_parser *p, size_t pos, size_t end)
{
	const char *tok = p->spec + pos;
	size_t len = end - pos, i = pos;
	int ret;

	if (len == 0) {
		if (p->err) {
			p->err->pos = pos;
			p->err->len = 0;
			snprintf(p->err->msg, sizeof(p->err->msg),
				 "empty element at offset %zu", pos);
		}
		return -EINVAL;
	}
	if (len >= 3 && !strncmp(tok, "all", 3))
		return nodeset_all(p, pos, len);
	if (len == 6 && !strncmp(tok, "master", 6)) {
		p->master = true;
		return 0;
	}

	if (i + 1 < end && (tok[0] == 'n' || tok[0] == '.') && tok[1] == '[')
		i++;
	if (p->spec[i] == '[')
		return nodeset_bracket(p, pos, i, end);

	nodeset_skip_prefix(p, &i, end);
	ret = nodeset_range(p, &i, end, true, pos, end);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return 0;
	return nodeset_error(p, pos, len,
			     "not a node number, range or keyword (all, all<state>, allnot<state>, master)");
}

/* Merge the parser's hits into @set; -ENOMEM. */
static int nodeset_merge(const struct nodeset_parser *p,
			 struct bproc_nodeset *set)
{
	int total = set->count + p->master, n, i = 0, k = 0;
	int *out;

	for (n = 0; n < p->nnodes; n++)
		total += p->hit[n];
	out = malloc((total ? total : 1) * sizeof(*out));
	if (!out)
		return -ENOMEM;
	/* Both sides ascending: the candidates are -1 then 0..nnodes-1. */
	for (n = -1; n < p->nnodes; n++) {
		bool mine = n < 0 ? p->master : p->hit[n];

		while (i < set->count && set->nodes[i] < n)
			out[k++] = set->nodes[i++];
		if (i < set->count && set->nodes[i] == n) {
			out[k++] = set->nodes[i++];
			continue;
		}
		if (mine)
			out[k++] = n;
	}
	while (i < set->count)
		out[k++] = set->nodes[i++];
	if (k == 0) {
		free(out);
		out = NULL;
	}
	free(set->nodes);
	set->nodes = out;
	set->count = k;
	return 0;
}

int bproc_nodeset_parse(const char *spec, int nnodes,
			bproc_nodestate_fn state, void *arg,
			struct bproc_nodeset *set,
			struct bproc_nodeset_error *err)
{
	struct nodeset_parser p = {
		.spec = spec, .nnodes = nnodes, .state = state, .arg = arg,
		.err = err,
	};
	size_t pos = 0, i, end;
	int depth = 0, ret = 0;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!spec || !set || nnodes < 0 || !state)
		return bproc_fail(-EINVAL);
	if (!*spec) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "empty node list");
		return bproc_fail(-EINVAL);
	}
	p.hit = calloc(nnodes ? nnodes : 1, 1);
	if (!p.hit)
		return bproc_fail(-ENOMEM);

	end = strlen(spec);
	for (i = 0; i <= end; i++) {
		if (i < end && spec[i] == '[')
			depth++;
		else if (i < end && spec[i] == ']' && depth > 0)
			depth--;
		else if (i == end || (spec[i] == ',' && depth == 0)) {
			ret = nodeset_element(&p, pos, i);
			if (ret)
				break;
			pos = i + 1;
		}
	}
	if (!ret)
		ret = nodeset_merge(&p, set);
	free(p.hit);
	return ret ? bproc_fail(ret) : 0;
}

struct nodeset_list {
	const struct bproc_node_info *list;
	int count;
};

static int nodeset_list_state(void *arg, int node)
{
	const struct nodeset_list *l = arg;

	if (node < 0 || node >= l->count)
		return -ENODEV;
	return l->list[node].state;
}

int bproc_nodeset_parse_list(const char *spec,
			     const struct bproc_node_info *list, int count,
			     struct bproc_nodeset *set,
			     struct bproc_nodeset_error *err)
{
	struct nodeset_list l = { .list = list, .count = count };

	if (count < 0 || (count > 0 && !list)) {
		if (err)
			memset(err, 0, sizeof(*err));
		return bproc_fail(-EINVAL);
	}
	return bproc_nodeset_parse(spec, count, nodeset_list_state, &l, set,
				   err);
}

/* Index of the first element >= @node. */
static int nodeset_find(const struct bproc_nodeset *set, int node)
{
	int lo = 0, hi = set->count;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (set->nodes[mid] < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bproc_nodeset_contains(const struct bproc_nodeset *set, int node)
{
	int i;

	if (!set)
		return 0;
	i = nodeset_find(set, node);
	return i < set->count && set->nodes[i] == node;
}

int bproc_nodeset_add(struct bproc_nodeset *set, int node)
{
	int *nodes;
	int i;

	if (!set)
		return bproc_fail(-EINVAL);
	i = nodeset_find(set, node);
	if (i < set->count && set->nodes[i] == node)
		return 0;
	nodes = realloc(set->nodes, (set->count + 1) * sizeof(*nodes));
	if (!nodes)
		return bproc_fail(-ENOMEM);
	memmove(nodes + i + 1, nodes + i, (set->count - i) * sizeof(*nodes));
	nodes[i] = node;
	set->nodes = nodes;
	set->count++;
	return 0;
}

void bproc_nodeset_free(struct bproc_nodeset *set)
{
	if (!set)
		return;
	free(set->nodes);
	set->nodes = NULL;
	set->count = 0;
}

int bproc_nodeset_format(const int *nodes, int count, char *buf,
			 size_t size)
{
	size_t len = 0;
	int i, j, n;

	if (count < 0 || (count > 0 && !nodes) || (size > 0 && !buf))
		return bproc_fail(-EINVAL);
	for (i = 1; i < count; i++)
		if (nodes[i] <= nodes[i - 1])
			return bproc_fail(-EINVAL);
	if (count > 0 && nodes[0] < BPROC_NODE_MASTER)
		return bproc_fail(-EINVAL);
	if (size > 0)
		buf[0] = '\0';

	for (i = 0; i < count; i = j + 1) {
		const char *sep = i ? "," : "";

		for (j = i; j + 1 < count && nodes[j + 1] == nodes[j] + 1 &&
			    nodes[j] >= 0; j++)
			;
		if (nodes[i] == BPROC_NODE_MASTER)
			n = snprintf(buf ? buf + (len < size ? len : size) : NULL,
				     len < size ? size - len : 0, "%smaster", sep);
		else if (i == j)
			n = snprintf(buf ? buf + (len < size ? len : size) : NULL,
				     len < size ? size - len : 0, "%s%d", sep,
				     nodes[i]);
		else
			n = snprintf(buf ? buf + (len < size ? len : size) : NULL,
				     len < size ? size - len : 0, "%s%d-%d", sep,
				     nodes[i], nodes[j]);
		if (n < 0)
			return bproc_fail(-EINVAL);
		len += n;
	}
	if (len > INT_MAX)
		return bproc_fail(-EOVERFLOW);
	return (int)len;
}
