// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the dhcp.env parser (TAP). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dhcpenv.h"
#include "bproc-test/tap.h"

static int parse(const char *text, struct ni_lease *l, struct ni_parse_error *e)
{
	return ni_dhcpenv_parse(text, strlen(text), l, e);
}

static bool addr_is(struct in_addr a, const char *want)
{
	char buf[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, &a, buf, sizeof(buf)) && !strcmp(buf, want);
}

/* @text must fail on line @line with a reason containing @why_part. */
static void bad(struct tap *t, const char *name, const char *text,
		unsigned int line, const char *why_part)
{
	struct ni_parse_error e;
	struct ni_lease l;
	int ret = parse(text, &l, &e);

	if (!tap_ok(t, ret == -EINVAL && e.line == line && e.why &&
		    strstr(e.why, why_part), "%s: line %u, %s", name, line, why_part))
		printf("# ret %d line %u why '%s'\n", ret, e.line, e.why ? e.why : "");
}

int main(void)
{
	struct tap t = { 0 };
	struct ni_parse_error e;
	struct ni_lease l, m;
	char big[600], host65[80];
	int ret;

	ret = parse("# written by /etc/udhcpc.script\n"
		    "interface=eth0\nip=10.42.0.100\nmask=24\nrouter=10.42.0.1\n"
		    "serverid=10.42.0.1\nhostname=n5\nlease=86400\n", &l, &e);
	tap_ok(&t, ret == 0 && !strcmp(l.iface, "eth0") && addr_is(l.ip, "10.42.0.100") &&
	       l.mask == 24 && l.has_router && addr_is(l.router, "10.42.0.1") &&
	       l.has_serverid && addr_is(l.serverid, "10.42.0.1") &&
	       !strcmp(l.hostname, "n5") && l.has_lease && l.lease == 86400,
	       "full lease");

	ret = parse("interface=ens3\nip=192.168.7.9\nmask=32", &l, &e);
	tap_ok(&t, ret == 0 && !strcmp(l.iface, "ens3") && l.mask == 32 &&
	       !l.has_router && !l.has_serverid && !l.has_lease && !l.hostname[0],
	       "minimal lease without a final newline");

	ret = parse("\n\ndns=10.0.0.3 10.0.0.4\ninterface=eth0\n# c\nip=10.0.0.9\n"
		    "domain=cluster\nmask=0\n\n", &l, &e);
	tap_ok(&t, ret == 0 && l.mask == 0 && addr_is(l.ip, "10.0.0.9"),
	       "blank lines, comments and unknown keys are skipped");

	memset(host65, 'h', 64);
	host65[64] = '\0';
	snprintf(big, sizeof(big), "interface=eth0\nip=1.2.3.4\nmask=8\nhostname=%s\n", host65);
	ret = parse(big, &l, &e);
	tap_ok(&t, ret == 0 && strlen(l.hostname) == 64, "64-character hostname");
	ret = parse("interface=eth0\nip=1.2.3.4\nmask=8\nlease=4294967295\n", &l, &e);
	tap_ok(&t, ret == 0 && l.lease == 4294967295u, "largest lease");
	ret = parse("interface=eth0\nip=1.2.3.4\nmask=8\nhostname=node-7.cluster\n", &l, &e);
	tap_ok(&t, ret == 0 && !strcmp(l.hostname, "node-7.cluster"), "dotted hostname");

	bad(&t, "empty file", "", 0, "no interface=");
	bad(&t, "no ip", "interface=eth0\nmask=24\n", 0, "no ip=");
	bad(&t, "no mask", "interface=eth0\nip=1.2.3.4\n", 0, "no mask=");
	bad(&t, "short ip", "interface=eth0\nip=10.0.0\nmask=24\n", 2, "ip:");
	bad(&t, "ip with spaces", "interface=eth0\nip= 10.0.0.1\nmask=24\n", 2, "ip:");
	bad(&t, "mask 33", "interface=eth0\nip=1.2.3.4\nmask=33\n", 3, "mask:");
	bad(&t, "empty mask", "interface=eth0\nip=1.2.3.4\nmask=\n", 3, "mask:");
	bad(&t, "dotted mask", "interface=eth0\nip=1.2.3.4\nmask=255.0.0.0\n", 3, "mask:");
	bad(&t, "bad router", "interface=eth0\nip=1.2.3.4\nmask=8\nrouter=x\n", 4, "router:");
	bad(&t, "bad serverid", "serverid=1.2.3.4.5\n", 1, "serverid:");
	bad(&t, "lease overflow", "lease=4294967296\n", 1, "lease:");
	bad(&t, "negative lease", "lease=-1\n", 1, "lease:");
	bad(&t, "duplicate key", "interface=eth0\ninterface=eth1\n", 2, "twice");
	bad(&t, "no '='", "interface=eth0\nip 1.2.3.4\n", 2, "KEY=VALUE");
	bad(&t, "empty key", "=eth0\n", 1, "KEY=VALUE");
	bad(&t, "hostname with space", "hostname=a b\n", 1, "hostname:");
	bad(&t, "hostname with quote", "hostname=a'b\n", 1, "hostname:");
	bad(&t, "hostname with leading dash", "hostname=-a\n", 1, "hostname:");
	bad(&t, "empty hostname", "hostname=\n", 1, "hostname:");
	snprintf(big, sizeof(big), "hostname=%sh\n", host65);
	bad(&t, "65-character hostname", big, 1, "hostname:");
	bad(&t, "interface with '/'", "interface=../x\n", 1, "interface:");
	bad(&t, "16-character interface", "interface=abcdefghijklmnop\n", 1, "interface:");
	bad(&t, "empty interface", "interface=\n", 1, "interface:");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "interface=eth0\nfoo=", 19);
	bad(&t, "overlong line", big, 2, "too long");

	ret = ni_dhcpenv_parse("interface=eth0\nip=1.2.3.4\0\nmask=8\n", 33, &l, &e);
	tap_ok(&t, ret == -EINVAL && e.line == 2 && strstr(e.why, "NUL"),
	       "NUL byte rejected");

	parse("interface=eth0\nip=10.0.0.5\nmask=24\nserverid=10.0.0.1\n", &l, &e);
	m = l;
	m.lease = 5;
	m.has_lease = true;
	tap_ok(&t, ni_lease_same_address(&l, &m), "same address despite other fields");
	m.mask = 16;
	tap_ok(&t, !ni_lease_same_address(&l, &m), "other mask is another address");
	m = l;
	m.ip.s_addr ^= htonl(1);
	tap_ok(&t, !ni_lease_same_address(&l, &m), "other ip is another address");
	m = l;
	strcpy(m.iface, "eth1");
	tap_ok(&t, !ni_lease_same_address(&l, &m), "other interface is another address");
	return tap_done(&t);
}
