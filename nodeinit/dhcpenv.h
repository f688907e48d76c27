/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /run/bproc/dhcp.env: the lease the udhcpc script last applied (pure
 * parsing, host-tested). One KEY=VALUE per line, no quoting, no spaces
 * around '='; blank lines and lines starting with '#' are skipped; keys
 * this parser does not know are skipped too, so the script may add more.
 *
 *   interface=eth0        required
 *   ip=10.42.0.100        required, dotted IPv4
 *   mask=24               required, prefix length 0..32
 *   router=10.42.0.1      optional
 *   serverid=10.42.0.1    optional, the DHCP server
 *   hostname=n5           optional, letters, digits, '-' and '.'
 *   lease=86400           optional, seconds
 *
 * The file is also valid shell (`. /run/bproc/dhcp.env`).
 */
#ifndef NODEINIT_DHCPENV_H
#define NODEINIT_DHCPENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define NI_IFNAME_LEN		16	/* IFNAMSIZ */
#define NI_HOSTNAME_LEN		64	/* HOST_NAME_MAX */

struct ni_lease {
	char iface[NI_IFNAME_LEN];
	struct in_addr ip;
	unsigned int mask;		/* prefix length */
	bool has_router;
	struct in_addr router;
	bool has_serverid;
	struct in_addr serverid;
	char hostname[NI_HOSTNAME_LEN + 1];	/* "" when none was sent */
	bool has_lease;
	uint32_t lease;			/* seconds */
};

/* Where a parse failed: 1-based line (0 for the file as a whole). */
struct ni_parse_error {
	unsigned int line;
	const char *why;		/* static string */
};

/*
 * Parse @len bytes of @text into @lease. Returns 0, or -EINVAL with @err
 * naming the line and the problem.
 */
int ni_dhcpenv_parse(const char *text, size_t len, struct ni_lease *lease,
		     struct ni_parse_error *err);

/* True when @a and @b configure the same address on the same link. */
bool ni_lease_same_address(const struct ni_lease *a, const struct ni_lease *b);

#endif /* NODEINIT_DHCPENV_H */
