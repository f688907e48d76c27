// SPDX-License-Identifier: GPL-2.0
/* Host unit tests: bpstat's views, text and JSON, on made-up tables. */

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "bproc-test/tap.h"
#include "view.h"

static void fake_user(void *arg, unsigned int uid, char *buf, size_t len)
{
	if (uid == 0)
		snprintf(buf, len, "root");
	else if (uid == 1000)
		snprintf(buf, len, "alice");
	else
		snprintf(buf, len, "%u", uid);
}

static void fake_group(void *arg, unsigned int gid, char *buf, size_t len)
{
	if (gid == 0)
		snprintf(buf, len, "root");
	else if (gid == 100)
		snprintf(buf, len, "users");
	else
		snprintf(buf, len, "%u", gid);
}

static const struct bpstat_names names = {
	.user = fake_user, .group = fake_group,
};

/* The clock of every view: ages are measured to it. */
#define NS 1000000000ull
#define NOW (1700000000ull * NS)

static struct bproc_node_info node(int n, unsigned int state,
				   unsigned int mode, unsigned int uid,
				   unsigned int gid)
{
	struct bproc_node_info ni = {
		.size = sizeof(ni), .node = n, .state = state, .mode = mode,
		.uid = uid, .gid = gid,
	};

	return ni;
}

static void set_ipv4(struct bproc_node_info *ni, const char *ip)
{
	ni->addr_family = AF_INET;
	inet_pton(AF_INET, ip, ni->addr);
}

/* An 8-node table: the same one every view is checked against. */
static void cluster(struct bproc_node_info t[8])
{
	t[0] = node(0, BPROC_NODE_UP, 0111, 0, 0);
	t[1] = node(1, BPROC_NODE_UP, 0111, 0, 0);
	t[2] = node(2, BPROC_NODE_DOWN, 0, 0, 0);
	t[3] = node(3, BPROC_NODE_BOOT, 0111, 0, 0);
	t[4] = node(4, BPROC_NODE_UP, 0111, 0, 0);
	t[5] = node(5, BPROC_NODE_ERROR, 0111, 0, 0);
	t[6] = node(6, BPROC_NODE_DOWN, 0, 0, 0);
	t[7] = node(7, BPROC_NODE_UP, 0110, 1000, 100);
	set_ipv4(&t[0], "10.42.0.100");
	set_ipv4(&t[1], "10.42.0.101");
	set_ipv4(&t[3], "10.42.0.103");
	set_ipv4(&t[4], "10.42.0.104");
	set_ipv4(&t[5], "10.42.0.105");
	t[7].addr_family = AF_INET6;
	inet_pton(AF_INET6, "fd00:42::107", t[7].addr);
}

/* Run a view into a string; NULL on failure. */
static char *render(enum bpstat_view view, bool json,
		    const struct bproc_node_info *nodes, int count)
{
	struct printer *p;
	char *out = NULL;
	size_t len = 0;
	FILE *fp;
	int err, err2;

	fp = open_memstream(&out, &len);
	if (!fp)
		return NULL;
	p = pr_new(fp, json);
	if (!p) {
		fclose(fp);
		free(out);
		return NULL;
	}
	err = bpstat_show(p, view, nodes, count, &names, NOW);
	err2 = pr_finish(p);
	fclose(fp);
	if (err || err2) {
		free(out);
		return NULL;
	}
	return out;
}

static void expect(struct tap *t, const char *what, enum bpstat_view view,
		   bool json, const struct bproc_node_info *nodes, int count,
		   const char *want)
{
	char *got = render(view, json, nodes, count);

	if (!tap_ok(t, got && !strcmp(got, want), "%s", what))
		printf("# want:\n%s# got:\n%s", want, got ? got : "(error)\n");
	free(got);
}

static void test_helpers(struct tap *t)
{
	struct bproc_node_info ni = node(0, 0, 0, 0, 0);
	char buf[64];

	bpstat_mode_string(0111, buf);
	tap_ok(t, !strcmp(buf, "---x--x--x"), "mode 0111 is ---x--x--x");
	bpstat_mode_string(0, buf);
	tap_ok(t, !strcmp(buf, "----------"), "mode 0 is ----------");
	bpstat_mode_string(0777, buf);
	tap_ok(t, !strcmp(buf, "-rwxrwxrwx"), "mode 0777 is -rwxrwxrwx");
	bpstat_mode_string(0751, buf);
	tap_ok(t, !strcmp(buf, "-rwxr-x--x"), "mode 0751 is -rwxr-x--x");
	bpstat_mode_string(07111, buf);
	tap_ok(t, !strcmp(buf, "---x--x--x"), "bits above 0777 are not shown");

	tap_ok(t, bpstat_addr_string(&ni, buf, sizeof(buf)) == NULL,
	   "no address family: no address");
	set_ipv4(&ni, "192.0.2.7");
	tap_ok(t, !strcmp(bpstat_addr_string(&ni, buf, sizeof(buf)), "192.0.2.7"),
	   "IPv4 address text");
	ni.addr_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", ni.addr);
	tap_ok(t, !strcmp(bpstat_addr_string(&ni, buf, sizeof(buf)), "2001:db8::1"),
	   "IPv6 address text");

	tap_ok(t, bpstat_hwaddr_string(&ni, buf, sizeof(buf)) == NULL,
	   "no hardware address");
	ni.hwaddr_len = 6;
	memcpy(ni.hwaddr, "\x52\x54\x00\x42\x00\xa6", 6);
	tap_ok(t, !strcmp(bpstat_hwaddr_string(&ni, buf, sizeof(buf)),
		      "52:54:00:42:00:a6"), "6-byte hardware address: %s", buf);
	ni.hwaddr_len = 8;
	memcpy(ni.hwaddr, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	tap_ok(t, !strcmp(bpstat_hwaddr_string(&ni, buf, sizeof(buf)),
		      "01:02:03:04:05:06:07:08"), "8-byte hardware address");
	tap_ok(t, bpstat_hwaddr_string(&ni, buf, 23) == NULL,
	   "a buffer too short for it gives NULL");
	tap_ok(t, bpstat_hwaddr_string(&ni, buf, 24) != NULL,
	   "an exact-size buffer is enough");
	ni.hwaddr_len = 9;
	tap_ok(t, bpstat_hwaddr_string(&ni, buf, sizeof(buf)) == NULL,
	   "hwaddr_len above 8 is not read");
}

static void test_durations(struct tap *t)
{
	static const struct {
		unsigned long long secs;
		const char *text;
	} cases[] = {
		{ 0, "0s" }, { 59, "59s" }, { 60, "1m00s" }, { 307, "5m07s" },
		{ 3599, "59m59s" }, { 3600, "1h00m" }, { 11100, "3h05m" },
		{ 86399, "23h59m" }, { 86400, "1d00h" }, { 187200, "2d04h" },
		{ 400 * 86400ull + 3600, "400d01h" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bpstat_duration_string(cases[i].secs, buf, sizeof(buf));
		tap_ok(t, !strcmp(buf, cases[i].text), "duration %llu s is %s (%s)",
		       cases[i].secs, cases[i].text, buf);
	}
	tap_ok(t, bpstat_view_ages(BPSTAT_LONG), "the long view shows ages");
	tap_ok(t, !bpstat_view_ages(BPSTAT_COMPACT) &&
	       !bpstat_view_ages(BPSTAT_ADDRESS) &&
	       !bpstat_view_ages(BPSTAT_STATUS) &&
	       !bpstat_view_ages(BPSTAT_NUMBER) &&
	       !bpstat_view_ages(BPSTAT_TOTAL), "no other view does");
}

static void test_text(struct tap *t)
{
	struct bproc_node_info c[8];

	cluster(c);
	expect(t, "compact: identical nodes merged into ranges",
	       BPSTAT_COMPACT, false, c, 8,
	       "Node(s)  Status  Mode        User   Group\n"
	       "0-1,4    up      ---x--x--x  root   root\n"
	       "2,6      down    ----------  root   root\n"
	       "3        boot    ---x--x--x  root   root\n"
	       "5        error   ---x--x--x  root   root\n"
	       "7        up      ---x--x---  alice  users\n");
	expect(t, "compact: empty table prints the header only",
	       BPSTAT_COMPACT, false, c, 0,
	       "Node(s)  Status  Mode  User  Group\n");
	expect(t, "compact: one range for a uniform cluster",
	       BPSTAT_COMPACT, false, c, 2,
	       "Node(s)  Status  Mode        User  Group\n"
	       "0-1      up      ---x--x--x  root  root\n");
	expect(t, "long: one line per node with its address",
	       BPSTAT_LONG, false, c, 8,
	       "Node  Address       Status  Since  Mode        User   Group  CPUs  Load  Memory  Procs  Cache  Up  Kernel  Error\n"
	       "0     10.42.0.100   up      -      ---x--x--x  root   root   -     -     -       -      -      -   -       -\n"
	       "1     10.42.0.101   up      -      ---x--x--x  root   root   -     -     -       -      -      -   -       -\n"
	       "2     -             down    -      ----------  root   root   -     -     -       -      -      -   -       -\n"
	       "3     10.42.0.103   boot    -      ---x--x--x  root   root   -     -     -       -      -      -   -       -\n"
	       "4     10.42.0.104   up      -      ---x--x--x  root   root   -     -     -       -      -      -   -       -\n"
	       "5     10.42.0.105   error   -      ---x--x--x  root   root   -     -     -       -      -      -   -       -\n"
	       "6     -             down    -      ----------  root   root   -     -     -       -      -      -   -       -\n"
	       "7     fd00:42::107  up      -      ---x--x---  alice  users  -     -     -       -      -      -   -       -\n");
	{
		struct bproc_node_info f[2] = { c[0], c[1] };

		f[0].cpus = 2;
		f[0].load[0] = 25;
		f[0].load[1] = 130;
		f[0].load[2] = 7;
		f[0].mem_total = 2ull << 30;
		f[0].mem_free = 1536ull << 20;
		f[0].state_since = NOW - 42 * NS - 999999999;	/* 42.99 s */
		f[0].node_boottime = NOW - (3 * 86400 + 5 * 3600 + 59) * NS;
		snprintf(f[0].kernel, sizeof(f[0].kernel), "6.12.117-bproc");
		f[1].cpus = 64;
		f[1].load[0] = 12345;
		f[1].mem_total = 256ull << 30;
		f[1].mem_free = 300ull << 30;	/* more than total: none used */
		f[1].state_since = NOW - (2 * 3600 + 5 * 60 + 9) * NS;
		f[1].node_boottime = NOW + 5 * NS;	/* node clock ahead */
		f[0].nprocs = 3;
		f[0].cache_used = 24ull << 20;
		f[0].cache_size = 512ull << 20;
		f[1].nprocs = 0;	/* none running, no cache said */
		expect(t, "long: the live figures a node reported (time in state, cpus, load averages, memory used/total, uptime, kernel)",
		       BPSTAT_LONG, false, f, 2,
		       "Node  Address      Status  Since  Mode        User  Group  CPUs  Load              Memory     Procs  Cache     Up     Kernel          Error\n"
		       "0     10.42.0.100  up      42s    ---x--x--x  root  root   2     0.25,1.30,0.07    512M/2.0G  3      24M/512M  3d05h  6.12.117-bproc  -\n"
		       "1     10.42.0.101  up      2h05m  ---x--x--x  root  root   64    123.45,0.00,0.00  0M/256.0G  0      -         0s     -               -\n");
	}
	{
		struct bproc_node_info f[3] = { c[5], c[2], c[0] };

		/* An error node with a reason that would drive a terminal. */
		f[0].state_since = NOW - 61 * NS;
		strcpy(f[0].error, "node_up: mount \033[2Jfailed\n");
		strcpy(f[0].kernel, "6.12\r");
		f[0].cpus = 1;
		f[0].node_boottime = NOW - 10 * NS;
		/* A node that went down keeps its last figures: not shown. */
		f[1].state_since = NOW - 3 * NS;
		f[1].cpus = 4;
		f[1].load[0] = 100;
		f[1].mem_total = 1ull << 30;
		f[1].node_boottime = NOW - 100 * NS;
		strcpy(f[1].kernel, "6.12");
		strcpy(f[1].error, "an old reason");
		/* An up node keeps no stale reason in its row. */
		strcpy(f[2].error, "an old reason");
		expect(t, "long: the error reason of a node in error (control characters as ?), no figures of a down node",
		       BPSTAT_LONG, false, f, 3,
		       "Node  Address      Status  Since  Mode        User  Group  CPUs  Load            Memory  Procs  Cache  Up   Kernel  Error\n"
		       "5     10.42.0.105  error   1m01s  ---x--x--x  root  root   1     0.00,0.00,0.00  -       -      -      10s  6.12?   node_up: mount ?[2Jfailed?\n"
		       "2     -            down    3s     ----------  root  root   -     -               -       -      -      -    -       -\n"
		       "0     10.42.0.100  up      -      ---x--x--x  root  root   -     -               -       -      -      -    -       -\n");
	}
	expect(t, "-a: node and address", BPSTAT_ADDRESS, false, c + 1, 2,
	       "1  10.42.0.101\n"
	       "2  -\n");
	expect(t, "-s: node and status", BPSTAT_STATUS, false, c + 4, 4,
	       "4  up\n"
	       "5  error\n"
	       "6  down\n"
	       "7  up\n");
	expect(t, "-n: node numbers", BPSTAT_NUMBER, false, c + 5, 3,
	       "5\n6\n7\n");
	expect(t, "-t: totals of the states present", BPSTAT_TOTAL, false,
	       c, 8,
	       "Status  Nodes\n"
	       "down    2\n"
	       "boot    1\n"
	       "up      4\n"
	       "error   1\n"
	       "total   8\n");
}

static void test_json(struct tap *t)
{
	struct bproc_node_info c[8], n;

	n = node(2, BPROC_NODE_UP, 0111, 0, 0);
	set_ipv4(&n, "10.42.0.102");
	n.hwaddr_len = 6;
	memcpy(n.hwaddr, "\x52\x54\x00\x42\x00\x66", 6);
	n.cpus = 2;
	n.mem_total = 536870912;
	n.mem_free = 314572800;
	n.load[0] = 12;
	n.load[1] = 34;
	n.load[2] = 156;
	n.nprocs = 5;
	n.cache_used = 1048576;
	n.cache_size = 268435456;
	strcpy(n.kernel, "6.12");
	strcpy(n.modver, "0.1.0");
	n.state_since = 1700000000123456789ull;
	n.node_boottime = 1690000000000000000ull;
	expect(t, "json: every field of a node", BPSTAT_LONG, true, &n, 1,
	       "[{\"node\":2,\"address\":\"10.42.0.102\",\"status\":\"up\","
	       "\"mode\":\"0111\",\"user\":\"root\",\"group\":\"root\","
	       "\"uid\":0,\"gid\":0,\"hwaddr\":\"52:54:00:42:00:66\","
	       "\"cpus\":2,\"mem_total\":536870912,\"mem_free\":314572800,"
	       "\"load\":[0.12,0.34,1.56],\"procs\":5,\"cache_used\":1048576,"
	       "\"cache_size\":268435456,\"kernel\":\"6.12\","
	       "\"modver\":\"0.1.0\",\"error\":null,"
	       "\"state_since\":1700000000123456789,"
	       "\"boottime\":1690000000000000000}]\n");

	/* The text layout does not change the JSON. */
	expect(t, "json: the compact view prints the same objects",
	       BPSTAT_COMPACT, true, &n, 1,
	       "[{\"node\":2,\"address\":\"10.42.0.102\",\"status\":\"up\","
	       "\"mode\":\"0111\",\"user\":\"root\",\"group\":\"root\","
	       "\"uid\":0,\"gid\":0,\"hwaddr\":\"52:54:00:42:00:66\","
	       "\"cpus\":2,\"mem_total\":536870912,\"mem_free\":314572800,"
	       "\"load\":[0.12,0.34,1.56],\"procs\":5,\"cache_used\":1048576,"
	       "\"cache_size\":268435456,\"kernel\":\"6.12\","
	       "\"modver\":\"0.1.0\",\"error\":null,"
	       "\"state_since\":1700000000123456789,"
	       "\"boottime\":1690000000000000000}]\n");

	n = node(6, BPROC_NODE_ERROR, 0750, 4242, 4343);
	strcpy(n.kernel, "a\"b\\c\td\x01");
	strcpy(n.error, "node_up: \"mount\" failed\n");
	expect(t, "json: strings escaped, unknown ids as numbers, no address",
	       BPSTAT_NUMBER, true, &n, 1,
	       "[{\"node\":6,\"address\":null,\"status\":\"error\","
	       "\"mode\":\"0750\",\"user\":\"4242\",\"group\":\"4343\","
	       "\"uid\":4242,\"gid\":4343,\"hwaddr\":null,"
	       "\"cpus\":0,\"mem_total\":0,\"mem_free\":0,"
	       "\"load\":[0.00,0.00,0.00],\"procs\":0,\"cache_used\":0,\"cache_size\":0,\"kernel\":\"a\\\"b\\\\c\\td\\u0001\","
	       "\"modver\":\"\",\"error\":\"node_up: \\\"mount\\\" failed\\n\","
	       "\"state_since\":0,\"boottime\":0}]\n");

	cluster(c);
	expect(t, "json: empty list", BPSTAT_LONG, true, c, 0, "[]\n");
	{
		char *got = render(BPSTAT_STATUS, true, c, 3);

		tap_ok(t, got && !strncmp(got, "[{\"node\":0,", 11) &&
		   strstr(got, "},{\"node\":1,") && strstr(got, "},{\"node\":2,") &&
		   !strcmp(got + strlen(got) - 3, "}]\n"),
		   "json: objects separated by commas in one array");
		free(got);
	}
	expect(t, "json: totals with every state", BPSTAT_TOTAL, true, c, 8,
	       "{\"down\":2,\"boot\":1,\"up\":4,\"error\":1,\"unavailable\":0,"
	       "\"reboot\":0,\"halt\":0,\"pwroff\":0,\"total\":8}\n");
}

int main(void)
{
	struct tap t = {};

	test_helpers(&t);
	test_durations(&t);
	test_text(&t);
	test_json(&t);
	return tap_done(&t);
}
