// SPDX-License-Identifier: GPL-2.0
/*
 * Parse /run/bproc/dhcp.env, written by the node's udhcpc script.
 * Pure code: no I/O, no printing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dhcpenv.h"

#define LINE_MAX_LEN	256

enum {
	SEEN_IFACE	= 1 << 0,
	SEEN_IP		= 1 << 1,
	SEEN_MASK	= 1 << 2,
	SEEN_ROUTER	= 1 << 3,
	SEEN_SERVERID	= 1 << 4,
	SEEN_HOSTNAME	= 1 << 5,
	SEEN_LEASE	= 1 << 6,
};

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint32_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (max - (uint32_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint32_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= NI_IFNAME_LEN || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++) {
		if (*s == '/' || *s == ':' || *s <= ' ' || *s > '~')
			return false;
	}
	return true;
}

static bool valid_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NI_HOSTNAME_LEN || s[0] == '-' || s[0] == '.')
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return false;
	}
	return true;
}

/* Apply one KEY=VALUE; returns a static reason on error, NULL if fine. */
static const char *apply(struct ni_lease *l, unsigned int *seen,
			 const char *key, const char *val)
{
	static const struct {
		const char *key;
		unsigned int bit;
	} keys[] = {
		{ "interface", SEEN_IFACE }, { "ip", SEEN_IP },
		{ "mask", SEEN_MASK }, { "router", SEEN_ROUTER },
		{ "serverid", SEEN_SERVERID }, { "hostname", SEEN_HOSTNAME },
		{ "lease", SEEN_LEASE },
	};
	unsigned int bit = 0;
	uint32_t u;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!strcmp(key, keys[i].key))
			bit = keys[i].bit;
	}
	if (!bit)
		return NULL;		/* a key for someone else */
	if (*seen & bit)
		return "key given twice";
	*seen |= bit;

	switch (bit) {
	case SEEN_IFACE:
		if (!valid_ifname(val))
			return "interface: not a network interface name";
		strcpy(l->iface, val);
		break;
	case SEEN_IP:
		if (inet_pton(AF_INET, val, &l->ip) != 1)
			return "ip: not a dotted IPv4 address";
		break;
	case SEEN_MASK:
		if (parse_u32(val, 32, &u))
			return "mask: not a prefix length from 0 to 32";
		l->mask = u;
		break;
	case SEEN_ROUTER:
		if (inet_pton(AF_INET, val, &l->router) != 1)
			return "router: not a dotted IPv4 address";
		l->has_router = true;
		break;
	case SEEN_SERVERID:
		if (inet_pton(AF_INET, val, &l->serverid) != 1)
			return "serverid: not a dotted IPv4 address";
		l->has_serverid = true;
		break;
	case SEEN_HOSTNAME:
		if (!valid_hostname(val))
			return "hostname: 1 to 64 letters, digits, '-' or '.'";
		strcpy(l->hostname, val);
		break;
	case SEEN_LEASE:
		if (parse_u32(val, UINT32_MAX, &u))
			return "lease: not a number of seconds";
		l->lease = u;
		l->has_lease = true;
		break;
	}
	return NULL;
}

int ni_dhcpenv_parse(const char *text, size_t len, struct ni_lease *lease,
		     struct ni_parse_error *err)
{
	const char *p = text, *end = text + len;
	unsigned int seen = 0, lineno = 0;
	char line[LINE_MAX_LEN];

	memset(lease, 0, sizeof(*lease));
	err->line = 0;
	err->why = NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *eq;

		lineno++;
		err->line = lineno;
		if (n >= sizeof(line)) {
			err->why = "line too long";
			return -EINVAL;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl ? 1 : 0);
		if (memchr(line, '\0', n)) {
			err->why = "NUL byte in the file";
			return -EINVAL;
		}
		if (n == 0 || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq || eq == line) {
			err->why = "expected KEY=VALUE";
			return -EINVAL;
		}
		*eq = '\0';
		err->why = apply(lease, &seen, line, eq + 1);
		if (err->why)
			return -EINVAL;
	}
	err->line = 0;
	if (!(seen & SEEN_IFACE))
		err->why = "no interface= line";
	else if (!(seen & SEEN_IP))
		err->why = "no ip= line";
	else if (!(seen & SEEN_MASK))
		err->why = "no mask= line";
	return err->why ? -EINVAL : 0;
}

bool ni_lease_same_address(const struct ni_lease *a, const struct ni_lease *b)
{
	return !strcmp(a->iface, b->iface) && a->ip.s_addr == b->ip.s_addr &&
	       a->mask == b->mask;
}
