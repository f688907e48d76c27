// SPDX-License-Identifier: GPL-2.0
/*
 * Parse nodeinit's bproc.* options out of the kernel command line.
 * Pure code: no I/O, no printing; problems are returned to the caller.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/bproc.h>

#include "cmdline.h"

#define PREFIX		"bproc."
#define WORD_MAX	256

static void add_problem(struct ni_cmdline *cl, const char *word, const char *why)
{
	if (cl->nproblems < NI_MAX_PROBLEMS) {
		struct ni_problem *p = &cl->problems[cl->nproblems];
		size_t n = strnlen(word, sizeof(p->token) - 1);

		memcpy(p->token, word, n);	/* truncated on purpose */
		p->token[n] = '\0';
		p->why = why;
	}
	cl->nproblems++;
}

/*
 * Copy the word at *pos into @word (at most @size - 1 bytes) and advance
 * *pos past it. White space inside double quotes does not split a word;
 * the quotes themselves are dropped, as the kernel drops them around a
 * parameter or its value. Returns the full length of the word (which
 * may exceed what was copied), or 0 at the end of the text.
 */
static size_t next_word(const char *s, size_t *pos, char *word, size_t size)
{
	size_t i = *pos, len = 0, n = 0;
	bool in_quote = false;

	while (s[i] && isspace((unsigned char)s[i]))
		i++;
	for (; s[i]; i++) {
		if (isspace((unsigned char)s[i]) && !in_quote)
			break;
		if (s[i] == '"') {
			in_quote = !in_quote;
			continue;
		}
		len++;
		if (n + 1 < size)
			word[n++] = s[i];
	}
	word[n] = '\0';
	*pos = i;
	return len;
}

static int parse_bool(const char *val, bool *out)
{
	static const char *const yes[] = { "1", "y", "yes", "on" };
	static const char *const no[] = { "0", "n", "no", "off" };
	size_t i;

	if (!val) {
		*out = true;
		return 0;
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(val, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(val, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Unsigned decimal, digits only, no sign, no overflow, <= @max. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

int ni_parse_master(const char *val, struct ni_cmdline *cl, const char **why)
{
	char host[INET6_ADDRSTRLEN + 1], canon[INET6_ADDRSTRLEN];
	const char *port = NULL;
	unsigned long portnum = BPROC_DEFAULT_PORT;
	size_t hlen;
	int family;

	if (!val || !*val) {
		*why = "needs a value: bproc.master=ADDR[:PORT]";
		return -EINVAL;
	}
	if (val[0] == '[') {
		const char *end = strchr(val, ']');

		if (!end) {
			*why = "missing ']' after the IPv6 address";
			return -EINVAL;
		}
		if (end[1] == ':') {
			port = end + 2;
		} else if (end[1]) {
			*why = "expected ':PORT' after ']'";
			return -EINVAL;
		}
		family = AF_INET6;
		val++;
		hlen = (size_t)(end - val);
	} else {
		const char *colon = strchr(val, ':');

		if (colon && strchr(colon + 1, ':')) {
			*why = "an IPv6 address needs brackets: [ADDR]:PORT";
			return -EINVAL;
		}
		family = AF_INET;
		hlen = colon ? (size_t)(colon - val) : strlen(val);
		if (colon)
			port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		*why = "not an IPv4 address or a bracketed IPv6 address";
		return -EINVAL;
	}
	memcpy(host, val, hlen);
	host[hlen] = '\0';
	if (inet_pton(family, host, &cl->master_addr) != 1) {
		*why = family == AF_INET ?
			"not an IPv4 address (nodes do not resolve names)" :
			"not an IPv6 address";
		return -EINVAL;
	}
	if (port && (parse_uint(port, 65535, &portnum) || portnum == 0)) {
		*why = "bad port: expected a number from 1 to 65535";
		return -EINVAL;
	}
	if (!inet_ntop(family, &cl->master_addr, canon, sizeof(canon))) {
		*why = "cannot format the address";
		return -EINVAL;
	}
	snprintf(cl->master, sizeof(cl->master),
		 family == AF_INET ? "%s:%lu" : "[%s]:%lu", canon, portnum);
	cl->master_family = family;
	cl->master_port = (uint16_t)portnum;
	cl->has_master = true;
	return 0;
}

static void parse_option(struct ni_cmdline *cl, const char *word)
{
	char name[WORD_MAX];
	const char *key = word + strlen(PREFIX), *eq, *val = NULL, *why;
	unsigned long ul;
	bool *flag = NULL;
	size_t klen;

	eq = strchr(key, '=');
	klen = eq ? (size_t)(eq - key) : strlen(key);
	if (eq)
		val = eq + 1;
	memcpy(name, key, klen);
	name[klen] = '\0';

	if (!strcmp(name, "master")) {
		struct ni_cmdline tmp = *cl;

		if (ni_parse_master(val, &tmp, &why))
			add_problem(cl, word, why);
		else
			*cl = tmp;
		return;
	}
	if (!strcmp(name, "pid_max")) {
		if (!val || parse_uint(val, NI_PID_MAX_MAX, &ul) || ul < NI_PID_MAX_MIN)
			add_problem(cl, word, "expected bproc.pid_max=N with N from 301 to 4194304");
		else
			cl->pid_max = (unsigned int)ul;
		return;
	}
	if (!strcmp(name, "vnodes")) {
		if (!val || parse_uint(val, NI_VNODES_MAX, &ul))
			add_problem(cl, word, "expected bproc.vnodes=N with N from 0 to 128");
		else
			cl->vnodes = (unsigned int)ul;
		return;
	}
	if (!strcmp(name, "probe"))
		flag = &cl->probe;
	else if (!strcmp(name, "nomodule"))
		flag = &cl->nomodule;
	else if (!strcmp(name, "debug"))
		flag = &cl->debug;
	else if (!strcmp(name, "shell"))
		flag = &cl->shell;
	if (!flag) {
		add_problem(cl, word, "unknown option");
		return;
	}
	if (parse_bool(val, flag))
		add_problem(cl, word, "bad value: expected no value, 1/y/yes/on or 0/n/no/off");
}

int ni_cmdline_parse(const char *text, struct ni_cmdline *cl)
{
	char word[WORD_MAX];
	size_t pos = 0, len;

	memset(cl, 0, sizeof(*cl));
	while ((len = next_word(text, &pos, word, sizeof(word))) > 0) {
		if (strncmp(word, PREFIX, strlen(PREFIX)))
			continue;
		if (len >= sizeof(word)) {
			add_problem(cl, word, "option too long");
			continue;
		}
		parse_option(cl, word);
	}
	return cl->nproblems ? -EINVAL : 0;
}
