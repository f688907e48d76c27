// SPDX-License-Identifier: GPL-2.0
/*
 * /etc/bproc/config parser. The format is line based: a keyword and its
 * arguments separated by blanks, `#` starts a comment. docs/config.md
 * describes every keyword.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bproc.h>

#include "bp_config.h"

#define LINE_MAX_LEN	1024
#define MAX_ARGS	8

enum keyword {
	KW_INTERFACE,
	KW_PORT,
	KW_IPRANGE,
	KW_NODE,
	KW_PINGINTERVAL,
	KW_PINGTIMEOUT,
	KW_BOOTIMAGE,
	KW_BOOTDIR,
	KW_BOOTARGS,
	KW_LIBRARIES,
	KW_AUTH,
	KW_KEYFILE,
	KW_NODEPERM,
	KW_NODEUP,
	KW_NODEUPTIMEOUT,
	KW_COUNT
};

struct parser {
	struct bp_cfg *cfg;
	const char *name;
	unsigned int line;
	unsigned int seen[KW_COUNT];	/* line of first use, 0 = unused */
	char *err;
	size_t errlen;
	size_t ranges_cap;
	size_t nodes_cap;
};

struct kwdesc {
	const char *name;
	int min_args;
	int max_args;
	bool repeat;
	const char *usage;
	int (*parse)(struct parser *p, int argc, char **argv);
};

static int __attribute__((format(printf, 2, 3)))
fail(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->name, msg);
	return -EINVAL;
}

/* Strict unsigned decimal: digits only, no sign, at most @max. */
static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return true;
}

static bool addr_usable(uint32_t a)
{
	return a != 0 && a < 0xe0000000u;	/* not 0.0.0.0, multicast, class E */
}

static int parse_addr(struct parser *p, const char *s, const char *what,
		      uint32_t *out)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return fail(p, "%s '%s' is not an IPv4 address", what, s);
	*out = ntohl(in.s_addr);
	if (!addr_usable(*out))
		return fail(p, "%s '%s' is not a usable host address", what, s);
	return 0;
}

static void fmt_addr(uint32_t a, char *buf)
{
	struct in_addr in = { .s_addr = htonl(a) };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

static int parse_seconds(struct parser *p, const char *kw, const char *s,
			 unsigned int *out)
{
	unsigned long v;

	if (!parse_uint(s, BP_CFG_SECONDS_MAX, &v) || v < 1)
		return fail(p, "%s '%s' is not a number of seconds from 1 to %d",
			    kw, s, BP_CFG_SECONDS_MAX);
	*out = (unsigned int)v;
	return 0;
}

static int parse_path(struct parser *p, const char *kw, const char *s,
		      char *out)
{
	if (s[0] != '/')
		return fail(p, "%s '%s' is not an absolute path", kw, s);
	if (strlen(s) >= BP_CFG_PATH_LEN)
		return fail(p, "%s path is longer than %d bytes", kw,
			    BP_CFG_PATH_LEN - 1);
	strcpy(out, s);
	return 0;
}

static int kw_interface(struct parser *p, int argc, char **argv)
{
	struct bp_cfg *cfg = p->cfg;
	unsigned long prefix;
	char *slash;
	int ret;

	if (strlen(argv[1]) >= BP_CFG_IFNAME_LEN)
		return fail(p, "interface name '%s' is longer than %d bytes",
			    argv[1], BP_CFG_IFNAME_LEN - 1);
	if (strchr(argv[1], '/') || !strcmp(argv[1], ".") ||
	    !strcmp(argv[1], ".."))
		return fail(p, "'%s' is not an interface name", argv[1]);
	slash = strchr(argv[2], '/');
	if (!slash)
		return fail(p, "interface address '%s' lacks a /PREFIX", argv[2]);
	*slash = '\0';
	if (!parse_uint(slash + 1, 32, &prefix) || prefix < 1)
		return fail(p, "prefix length '%s' is not a number from 1 to 32",
			    slash + 1);
	ret = parse_addr(p, argv[2], "interface address", &cfg->if_addr);
	if (ret)
		return ret;
	strcpy(cfg->ifname, argv[1]);
	cfg->if_prefix = (unsigned int)prefix;
	cfg->has_interface = true;
	return 0;
}

static int kw_port(struct parser *p, int argc, char **argv)
{
	unsigned long v;

	if (!parse_uint(argv[1], 65535, &v) || v < 1)
		return fail(p, "port '%s' is not a number from 1 to 65535",
			    argv[1]);
	p->cfg->port = (uint16_t)v;
	return 0;
}

static uint32_t range_count(const struct bp_cfg_range *r)
{
	return r->end - r->start + 1;
}

static int kw_iprange(struct parser *p, int argc, char **argv)
{
	struct bp_cfg *cfg = p->cfg;
	struct bp_cfg_range r = { .line = p->line };
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint64_t last;
	int ret;

	if (argc == 4) {
		unsigned long v;

		if (!parse_uint(argv[1], BPROC_NODES_MAX - 1, &v))
			return fail(p, "first node '%s' is not a number from 0 to %d",
				    argv[1], BPROC_NODES_MAX - 1);
		r.first_node = (uint32_t)v;
	} else {
		/* The next unused node number. */
		for (size_t i = 0; i < cfg->nranges; i++) {
			uint32_t next = cfg->ranges[i].first_node +
					range_count(&cfg->ranges[i]);

			if (next > r.first_node)
				r.first_node = next;
		}
	}
	ret = parse_addr(p, argv[argc - 2], "iprange start", &r.start);
	if (ret)
		return ret;
	ret = parse_addr(p, argv[argc - 1], "iprange end", &r.end);
	if (ret)
		return ret;
	if (r.start > r.end)
		return fail(p, "iprange start %s is after its end %s",
			    argv[argc - 2], argv[argc - 1]);
	last = (uint64_t)r.first_node + range_count(&r) - 1;
	if (last >= BPROC_NODES_MAX)
		return fail(p, "iprange %s-%s numbers nodes %u-%llu, above the limit of %d",
			    argv[argc - 2], argv[argc - 1], r.first_node,
			    (unsigned long long)last, BPROC_NODES_MAX - 1);
	for (size_t i = 0; i < cfg->nranges; i++) {
		const struct bp_cfg_range *o = &cfg->ranges[i];
		uint32_t olast = o->first_node + range_count(o) - 1;

		if (r.start <= o->end && o->start <= r.end) {
			fmt_addr(o->start, a);
			fmt_addr(o->end, b);
			return fail(p, "iprange %s-%s overlaps the addresses %s-%s of line %u",
				    argv[argc - 2], argv[argc - 1], a, b,
				    o->line);
		}
		if (r.first_node <= olast && o->first_node <= last)
			return fail(p, "iprange nodes %u-%llu overlap nodes %u-%u of line %u",
				    r.first_node, (unsigned long long)last,
				    o->first_node, olast, o->line);
	}
	if (cfg->nranges == p->ranges_cap) {
		size_t cap = p->ranges_cap ? p->ranges_cap * 2 : 4;
		struct bp_cfg_range *n;

		n = realloc(cfg->ranges, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		cfg->ranges = n;
		p->ranges_cap = cap;
	}
	cfg->ranges[cfg->nranges++] = r;
	if (last + 1 > cfg->node_count)
		cfg->node_count = (uint32_t)last + 1;
	return 0;
}

static int parse_hwaddr(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		unsigned int v = 0;

		for (int j = 0; j < 2; j++, s++) {
			char c = *s;

			if (c >= '0' && c <= '9')
				v = v * 16 + (unsigned int)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v = v * 16 + (unsigned int)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v = v * 16 + (unsigned int)(c - 'A' + 10);
			else
				return -EINVAL;
		}
		mac[i] = (uint8_t)v;
		if (*s != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		if (i < 5)
			s++;
	}
	return 0;
}

static int kw_node(struct parser *p, int argc, char **argv)
{
	struct bp_cfg *cfg = p->cfg;
	struct bp_cfg_node n = { .line = p->line, .boot = BP_BOOT_HTTP };
	unsigned long v;

	if (!parse_uint(argv[1], BPROC_NODES_MAX - 1, &v))
		return fail(p, "node '%s' is not a number from 0 to %d",
			    argv[1], BPROC_NODES_MAX - 1);
	n.node = (uint32_t)v;
	if (parse_hwaddr(argv[2], n.hwaddr))
		return fail(p, "'%s' is not a hardware address like 52:54:00:12:34:56",
			    argv[2]);
	if (n.hwaddr[0] & 1)
		return fail(p, "hardware address %s is a multicast address",
			    argv[2]);
	if (argc == 4) {
		if (!strcmp(argv[3], "http"))
			n.boot = BP_BOOT_HTTP;
		else if (!strcmp(argv[3], "tftp"))
			n.boot = BP_BOOT_TFTP;
		else
			return fail(p, "boot method '%s' is neither http nor tftp",
				    argv[3]);
	}
	for (size_t i = 0; i < cfg->nnodes; i++) {
		if (cfg->nodes[i].node == n.node)
			return fail(p, "node %u is already given at line %u",
				    n.node, cfg->nodes[i].line);
		if (!memcmp(cfg->nodes[i].hwaddr, n.hwaddr, 6))
			return fail(p, "hardware address %s is already node %u's (line %u)",
				    argv[2], cfg->nodes[i].node,
				    cfg->nodes[i].line);
	}
	if (cfg->nnodes == p->nodes_cap) {
		size_t cap = p->nodes_cap ? p->nodes_cap * 2 : 16;
		struct bp_cfg_node *nn;

		nn = realloc(cfg->nodes, cap * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		cfg->nodes = nn;
		p->nodes_cap = cap;
	}
	cfg->nodes[cfg->nnodes++] = n;
	return 0;
}

static int kw_pinginterval(struct parser *p, int argc, char **argv)
{
	return parse_seconds(p, argv[0], argv[1], &p->cfg->ping_interval);
}

static int kw_pingtimeout(struct parser *p, int argc, char **argv)
{
	return parse_seconds(p, argv[0], argv[1], &p->cfg->ping_timeout);
}

static int kw_bootimage(struct parser *p, int argc, char **argv)
{
	return parse_path(p, argv[0], argv[1], p->cfg->bootimage);
}

static int kw_bootdir(struct parser *p, int argc, char **argv)
{
	return parse_path(p, argv[0], argv[1], p->cfg->bootdir);
}

/*
 * Words a node kernel gets after the boot script's own. They go into an
 * iPXE script line as they are: printable ASCII without quotes,
 * backslashes, '$' or '#'; bproc.master= is the script's.
 */
static int kw_bootargs(struct parser *p, int argc, char **argv)
{
	char *out = p->cfg->bootargs;
	size_t len = 0;

	for (int i = 1; i < argc; i++) {
		size_t n = strlen(argv[i]);

		for (const char *c = argv[i]; *c; c++)
			if (*c <= ' ' || *c > '~' || strchr("\"'\\$#", *c))
				return fail(p, "bootargs word '%s' has a character a kernel command line cannot carry here",
					    argv[i]);
		if (!strncmp(argv[i], "bproc.master=", 13))
			return fail(p, "bootargs may not set bproc.master=: the boot script sets it");
		if (len + n + 1 >= BP_CFG_BOOTARGS_LEN)
			return fail(p, "bootargs are longer than %d bytes",
				    BP_CFG_BOOTARGS_LEN - 1);
		if (len)
			out[len++] = ' ';
		memcpy(out + len, argv[i], n + 1);
		len += n;
	}
	return 0;
}

/*
 * Files and directories bpsh ships with every job (BProc's "libraries"):
 * what programs open without DT_NEEDED naming it (NSS modules, gconv,
 * locales, plugins). Absolute paths; checked when bpsh ships them.
 */
static int kw_libraries(struct parser *p, int argc, char **argv)
{
	struct bp_cfg *cfg = p->cfg;

	for (int i = 1; i < argc; i++) {
		char **nl;

		if (argv[i][0] != '/' || strlen(argv[i]) >= BP_CFG_PATH_LEN)
			return fail(p, "libraries: '%s' is not an absolute path under %d bytes",
				    argv[i], BP_CFG_PATH_LEN);
		if (cfg->nlibraries >= BP_CFG_LIBRARIES_MAX)
			return fail(p, "more than %d libraries", BP_CFG_LIBRARIES_MAX);
		nl = realloc(cfg->libraries, (cfg->nlibraries + 1) * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		cfg->libraries = nl;
		nl[cfg->nlibraries] = strdup(argv[i]);
		if (!nl[cfg->nlibraries])
			return -ENOMEM;
		cfg->nlibraries++;
	}
	return 0;
}

/*
 * How nodes prove who they are (docs/security.md): "key" (the default)
 * by the cluster key file; "none" by their address alone, for tests and
 * closed networks only.
 */
static int kw_auth(struct parser *p, int argc, char **argv)
{
	if (!strcmp(argv[1], "key"))
		p->cfg->auth_none = false;
	else if (!strcmp(argv[1], "none"))
		p->cfg->auth_none = true;
	else
		return fail(p, "auth '%s' is neither key nor none", argv[1]);
	return 0;
}

static int kw_keyfile(struct parser *p, int argc, char **argv)
{
	return parse_path(p, argv[0], argv[1], p->cfg->keyfile);
}

/* A user or group: a number, or a name of the passwd or group database. */
static int parse_id(struct parser *p, const char *what, const char *s,
		    bool group, uint32_t *out)
{
	unsigned long v;
	char buf[4096];

	if (parse_uint(s, 0xfffffffeUL, &v)) {
		*out = (uint32_t)v;
		return 0;
	}
	if (group) {
		struct group gr, *res = NULL;

		if (!getgrnam_r(s, &gr, buf, sizeof(buf), &res) && res) {
			*out = res->gr_gid;
			return 0;
		}
	} else {
		struct passwd pw, *res = NULL;

		if (!getpwnam_r(s, &pw, buf, sizeof(buf), &res) && res) {
			*out = res->pw_uid;
			return 0;
		}
	}
	return fail(p, "%s '%s' is neither a number nor a known name", what, s);
}

/*
 * nodeperm FIRST[-LAST] MODE [OWNER [GROUP]]: the owner, group and mode
 * these nodes have when they come up (REFERENCE: root:root 0111 unless
 * configured otherwise). Later lines win for the nodes they name.
 */
static int kw_nodeperm(struct parser *p, int argc, char **argv)
{
	struct bp_cfg *cfg = p->cfg;
	struct bp_cfg_perm pm = { .line = p->line };
	char *dash = strchr(argv[1], '-'), *end;
	unsigned long first, last, mode;
	struct bp_cfg_perm *np;

	if (dash)
		*dash = '\0';
	if (!parse_uint(argv[1], BPROC_NODES_MAX - 1, &first) ||
	    (dash && !parse_uint(dash + 1, BPROC_NODES_MAX - 1, &last)))
		return fail(p, "nodeperm nodes '%s%s%s' are not N or N-M with numbers from 0 to %d",
			    argv[1], dash ? "-" : "", dash ? dash + 1 : "",
			    BPROC_NODES_MAX - 1);
	if (!dash)
		last = first;
	if (last < first)
		return fail(p, "nodeperm nodes %lu-%lu: the last is before the first",
			    first, last);
	mode = strtoul(argv[2], &end, 8);
	if (!*argv[2] || *end || strspn(argv[2], "01234567") != strlen(argv[2]) ||
	    mode > 0777)
		return fail(p, "nodeperm mode '%s' is not an octal mode from 0 to 0777",
			    argv[2]);
	pm.first = (uint32_t)first;
	pm.last = (uint32_t)last;
	pm.mode = (uint32_t)mode;
	if (argc > 3 && parse_id(p, "nodeperm owner", argv[3], false, &pm.uid))
		return -EINVAL;
	if (argc > 4 && parse_id(p, "nodeperm group", argv[4], true, &pm.gid))
		return -EINVAL;
	np = realloc(cfg->perms, (cfg->nperms + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	cfg->perms = np;
	np[cfg->nperms++] = pm;
	return 0;
}

void bp_cfg_node_perm(const struct bp_cfg *cfg, uint32_t node, uint32_t *mode,
		      uint32_t *uid, uint32_t *gid)
{
	*mode = 0111;
	*uid = 0;
	*gid = 0;
	for (size_t i = 0; i < cfg->nperms; i++) {
		const struct bp_cfg_perm *pm = &cfg->perms[i];

		if (node >= pm->first && node <= pm->last) {
			*mode = pm->mode;
			*uid = pm->uid;
			*gid = pm->gid;
		}
	}
}

/* The node_up step's directory of executables, and each one's time limit. */
static int kw_nodeup(struct parser *p, int argc, char **argv)
{
	return parse_path(p, argv[0], argv[1], p->cfg->nodeup);
}

static int kw_nodeuptimeout(struct parser *p, int argc, char **argv)
{
	return parse_seconds(p, argv[0], argv[1], &p->cfg->nodeup_timeout);
}

static const struct kwdesc keywords[KW_COUNT] = {
	[KW_INTERFACE]	= { "interface", 2, 2, false, "interface IFNAME ADDR/PREFIX",
			    kw_interface },
	[KW_PORT]	= { "port", 1, 1, false, "port N", kw_port },
	[KW_IPRANGE]	= { "iprange", 2, 3, true, "iprange [FIRSTNODE] START END",
			    kw_iprange },
	[KW_NODE]	= { "node", 2, 3, true, "node N HWADDR [tftp|http]",
			    kw_node },
	[KW_PINGINTERVAL] = { "pinginterval", 1, 1, false, "pinginterval SECONDS",
			      kw_pinginterval },
	[KW_PINGTIMEOUT] = { "pingtimeout", 1, 1, false, "pingtimeout SECONDS",
			     kw_pingtimeout },
	[KW_BOOTIMAGE]	= { "bootimage", 1, 1, false, "bootimage DIR", kw_bootimage },
	[KW_BOOTDIR]	= { "bootdir", 1, 1, false, "bootdir DIR", kw_bootdir },
	[KW_BOOTARGS]	= { "bootargs", 1, MAX_ARGS, false, "bootargs WORD...",
			    kw_bootargs },
	[KW_LIBRARIES]	= { "libraries", 1, MAX_ARGS, true, "libraries PATH...",
			    kw_libraries },
	[KW_AUTH]	= { "auth", 1, 1, false, "auth key|none", kw_auth },
	[KW_KEYFILE]	= { "keyfile", 1, 1, false, "keyfile PATH", kw_keyfile },
	[KW_NODEPERM]	= { "nodeperm", 2, 4, true,
			    "nodeperm FIRST[-LAST] MODE [OWNER [GROUP]]", kw_nodeperm },
	[KW_NODEUP]	= { "nodeup", 1, 1, false, "nodeup DIR", kw_nodeup },
	[KW_NODEUPTIMEOUT] = { "nodeuptimeout", 1, 1, false,
			       "nodeuptimeout SECONDS", kw_nodeuptimeout },
};

static int parse_line(struct parser *p, char *s)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	char *hash = strchr(s, '#');
	char *save;

	if (hash)
		*hash = '\0';
	for (char *tok = strtok_r(s, " \t\r", &save); tok;
	     tok = strtok_r(NULL, " \t\r", &save)) {
		if (argc == MAX_ARGS + 1)
			return fail(p, "too many words");
		argv[argc++] = tok;
	}
	if (!argc)
		return 0;
	for (int k = 0; k < KW_COUNT; k++) {
		const struct kwdesc *d = &keywords[k];

		if (strcmp(argv[0], d->name))
			continue;
		if (argc - 1 < d->min_args || argc - 1 > d->max_args)
			return fail(p, "%s arguments for %s: expected '%s'",
				    argc - 1 < d->min_args ? "missing" : "too many",
				    d->name, d->usage);
		if (!d->repeat && p->seen[k])
			return fail(p, "%s is already given at line %u",
				    d->name, p->seen[k]);
		if (!p->seen[k])
			p->seen[k] = p->line;
		return d->parse(p, argc, argv);
	}
	return fail(p, "unknown keyword '%s'", argv[0]);
}

static int check_whole(struct parser *p)
{
	struct bp_cfg *cfg = p->cfg;

	if (!cfg->nranges) {
		p->line = 0;
		return fail(p, "no iprange line: no node addresses are configured");
	}
	if (cfg->ping_timeout <= cfg->ping_interval) {
		p->line = p->seen[KW_PINGTIMEOUT] ? p->seen[KW_PINGTIMEOUT] :
						    p->seen[KW_PINGINTERVAL];
		return fail(p, "pingtimeout (%u s) must be longer than pinginterval (%u s)",
			    cfg->ping_timeout, cfg->ping_interval);
	}
	for (size_t i = 0; i < cfg->nnodes; i++) {
		uint32_t addr;

		if (bp_cfg_addr_of_node(cfg, cfg->nodes[i].node, &addr)) {
			p->line = cfg->nodes[i].line;
			return fail(p, "node %u has no address: no iprange covers it",
				    cfg->nodes[i].node);
		}
	}
	return 0;
}

static void cfg_defaults(struct bp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = BPROC_DEFAULT_PORT;
	cfg->ping_interval = BP_CFG_PINGINTERVAL;
	cfg->ping_timeout = BP_CFG_PINGTIMEOUT;
	strcpy(cfg->bootdir, BP_CFG_BOOTDIR);
	strcpy(cfg->keyfile, BP_CFG_KEYFILE);
	cfg->nodeup_timeout = BP_CFG_NODEUPTIMEOUT;
}

int bp_cfg_parse(struct bp_cfg *cfg, const char *text, size_t len,
		 const char *name, char *err, size_t errlen)
{
	struct parser p = {
		.cfg = cfg, .name = name, .err = err, .errlen = errlen,
	};
	char line[LINE_MAX_LEN];
	size_t pos = 0;
	int ret = 0;

	cfg_defaults(cfg);
	if (errlen)
		err[0] = '\0';
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		if (n >= sizeof(line)) {
			ret = fail(&p, "line is longer than %d bytes",
				   LINE_MAX_LEN - 1);
			break;
		}
		if (memchr(text + pos, '\0', n)) {
			ret = fail(&p, "NUL byte in line");
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		ret = parse_line(&p, line);
		if (ret)
			break;
	}
	if (!ret)
		ret = check_whole(&p);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: %s", name, strerror(ENOMEM));
	if (ret)
		bp_cfg_free(cfg);
	return ret;
}

int bp_cfg_load(struct bp_cfg *cfg, const char *path, char *err, size_t errlen)
{
	size_t len = 0, cap = 8192;
	char *text;
	int fd, ret;

	cfg_defaults(cfg);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	text = malloc(cap);
	if (!text) {
		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *t;

			if (cap > BP_CFG_MAX_BYTES) {
				snprintf(err, errlen, "%s: larger than %u bytes",
					 path, BP_CFG_MAX_BYTES);
				ret = -EFBIG;
				goto out;
			}
			cap *= 2;
			t = realloc(text, cap);
			if (!t) {
				snprintf(err, errlen, "%s: %s", path,
					 strerror(ENOMEM));
				ret = -ENOMEM;
				goto out;
			}
			text = t;
		}
		n = read(fd, text + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	if (len > BP_CFG_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u bytes", path,
			 BP_CFG_MAX_BYTES);
		ret = -EFBIG;
		goto out;
	}
	ret = bp_cfg_parse(cfg, text, len, path, err, errlen);
out:
	free(text);
	close(fd);
	return ret;
}

void bp_cfg_free(struct bp_cfg *cfg)
{
	for (size_t i = 0; i < cfg->nlibraries; i++)
		free(cfg->libraries[i]);
	free(cfg->libraries);
	cfg->libraries = NULL;
	cfg->nlibraries = 0;
	free(cfg->ranges);
	free(cfg->nodes);
	free(cfg->perms);
	cfg->perms = NULL;
	cfg->nperms = 0;
	cfg->ranges = NULL;
	cfg->nodes = NULL;
	cfg->nranges = 0;
	cfg->nnodes = 0;
	cfg->node_count = 0;
}

int bp_cfg_node_of_addr(const struct bp_cfg *cfg, uint32_t addr)
{
	for (size_t i = 0; i < cfg->nranges; i++) {
		const struct bp_cfg_range *r = &cfg->ranges[i];

		if (addr >= r->start && addr <= r->end)
			return (int)(r->first_node + (addr - r->start));
	}
	return -ENOENT;
}

int bp_cfg_addr_of_node(const struct bp_cfg *cfg, uint32_t node, uint32_t *addr)
{
	for (size_t i = 0; i < cfg->nranges; i++) {
		const struct bp_cfg_range *r = &cfg->ranges[i];

		if (node >= r->first_node &&
		    node - r->first_node < range_count(r)) {
			*addr = r->start + (node - r->first_node);
			return 0;
		}
	}
	return -ENOENT;
}

const struct bp_cfg_node *bp_cfg_node_find(const struct bp_cfg *cfg,
					   uint32_t node)
{
	for (size_t i = 0; i < cfg->nnodes; i++)
		if (cfg->nodes[i].node == node)
			return &cfg->nodes[i];
	return NULL;
}
