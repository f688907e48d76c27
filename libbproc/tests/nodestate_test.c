// SPDX-License-Identifier: GPL-2.0
/* Host unit tests: state names, and node addresses from table entries. */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <bproc.h>
#include "internal.h"
#include "bproc-test/tap.h"

static void test_names(struct tap *t)
{
	static const char *const names[] = {
		"down", "boot", "up", "error", "unavailable", "reboot",
		"halt", "pwroff",
	};
	int i;

	tap_ok(t, BPROC_NODE_NSTATES == sizeof(names) / sizeof(names[0]),
	   "%d states", BPROC_NODE_NSTATES);
	for (i = 0; i < BPROC_NODE_NSTATES; i++) {
		const char *n = bproc_nodestate_name(i);

		tap_ok(t, n && !strcmp(n, names[i]), "state %d is named %s", i,
		   names[i]);
		tap_ok(t, bproc_nodestate_parse(names[i]) == i, "'%s' parses to %d",
		   names[i], i);
	}
	tap_ok(t, bproc_nodestate_name(-1) == NULL, "no name for -1");
	tap_ok(t, bproc_nodestate_name(BPROC_NODE_NSTATES) == NULL,
	   "no name for NSTATES");
}

static void bad_parse(struct tap *t, const char *s, const char *what)
{
	int r;

	errno = 0;
	r = bproc_nodestate_parse(s);
	tap_ok(t, r == -1 && errno == EINVAL, "%s is rejected with EINVAL", what);
}

static void test_bad_names(struct tap *t)
{
	bad_parse(t, NULL, "NULL");
	bad_parse(t, "", "empty name");
	bad_parse(t, "UP", "'UP' (names are lower case)");
	bad_parse(t, "upx", "'upx'");
	bad_parse(t, "u", "'u'");
	bad_parse(t, " up", "' up'");
	bad_parse(t, "unknown", "'unknown'");
}

static void test_sockaddr(struct tap *t)
{
	struct bproc_node_info ni = { .addr_family = AF_INET };
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char text[INET6_ADDRSTRLEN];
	socklen_t len;

	inet_pton(AF_INET, "10.1.0.100", ni.addr);
	memset(&ss, 0xff, sizeof(ss));
	len = sizeof(ss);
	tap_ok(t, bproc_info_sockaddr(&ni, (struct sockaddr *)&ss, &len) == 0,
	   "IPv4 entry converts");
	tap_ok(t, len == sizeof(*sin) && sin->sin_family == AF_INET &&
	   sin->sin_port == 0 &&
	   !strcmp(inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)),
		   "10.1.0.100"),
	   "sockaddr_in 10.1.0.100 port 0, len %u", (unsigned int)len);

	memset(&ni, 0, sizeof(ni));
	ni.addr_family = AF_INET6;
	inet_pton(AF_INET6, "fd00::64", ni.addr);
	len = sizeof(ss);
	tap_ok(t, bproc_info_sockaddr(&ni, (struct sockaddr *)&ss, &len) == 0 &&
	   len == sizeof(*sin6) && sin6->sin6_family == AF_INET6 &&
	   !strcmp(inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text)),
		   "fd00::64"),
	   "IPv6 entry converts to sockaddr_in6 fd00::64");

	memset(&ss, 0xff, sizeof(ss));
	len = 4;
	tap_ok(t, bproc_info_sockaddr(&ni, (struct sockaddr *)&ss, &len) == 0 &&
	   len == sizeof(*sin6) && sin6->sin6_family == AF_INET6 &&
	   sin6->sin6_port == 0,
	   "short buffer: truncated copy, full length returned");
	tap_ok(t, ((unsigned char *)&ss)[4] == 0xff,
	   "nothing written past the caller's length");

	memset(&ni, 0, sizeof(ni));
	len = sizeof(ss);
	tap_ok(t, bproc_info_sockaddr(&ni, (struct sockaddr *)&ss, &len) ==
	   -EADDRNOTAVAIL, "no address: -EADDRNOTAVAIL");
	tap_ok(t, bproc_info_sockaddr(&ni, NULL, &len) == -EINVAL,
	   "NULL address: -EINVAL");
}

int main(void)
{
	struct tap t = {};

	test_names(&t);
	test_bad_names(&t);
	test_sockaddr(&t);
	return tap_done(&t);
}
