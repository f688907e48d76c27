// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of bpslave's parsers (master address, /proc/meminfo,
 * /proc/stat) and of the fact gathering on this machine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bpslave.h"
#include "bproc-test/tap.h"

static void test_master(struct tap *t)
{
	static const struct {
		const char *arg;
		int ret;
		const char *addr;
		uint16_t port;
	} cases[] = {
		{ "10.42.0.1", 0, "10.42.0.1", 2223 },
		{ "10.42.0.1:3000", 0, "10.42.0.1", 3000 },
		{ "127.0.0.1:65535", 0, "127.0.0.1", 65535 },
		{ "10.42.0.1:0", -EINVAL, NULL, 0 },
		{ "10.42.0.1:65536", -EINVAL, NULL, 0 },
		{ "10.42.0.1:", -EINVAL, NULL, 0 },
		{ "10.42.0.1:22x", -EINVAL, NULL, 0 },
		{ "10.42.0.1:-1", -EINVAL, NULL, 0 },
		{ ":2223", -EINVAL, NULL, 0 },
		{ "", -EINVAL, NULL, 0 },
		{ "master", -EINVAL, NULL, 0 },
		{ "10.42.0", -EINVAL, NULL, 0 },
		{ "10.42.0.1:1:2", -EINVAL, NULL, 0 },
		{ "fe80::1", -EINVAL, NULL, 0 },
		{ "255.255.255.255.255", -EINVAL, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_in sin;
		char addr[INET_ADDRSTRLEN] = "";
		int ret = bps_parse_master(cases[i].arg, 2223, &sin);
		bool ok = ret == cases[i].ret;

		if (ok && !ret) {
			inet_ntop(AF_INET, &sin.sin_addr, addr, sizeof(addr));
			ok = !strcmp(addr, cases[i].addr) &&
			     ntohs(sin.sin_port) == cases[i].port;
		}
		tap_ok(t, ok, "master '%s' %s", cases[i].arg,
		       cases[i].ret ? "is refused" : "parses");
	}
}

static void test_meminfo(struct tap *t)
{
	uint64_t total = 0, avail = 0;

	tap_ok(t, bps_parse_meminfo("MemTotal:        2000 kB\nMemFree:          500 kB\n"
				    "MemAvailable:    1500 kB\nBuffers: 1 kB\n",
				    &total, &avail) == 0 &&
	       total == 2000 * 1024 && avail == 1500 * 1024,
	       "MemTotal and MemAvailable in bytes");
	tap_ok(t, bps_parse_meminfo("MemTotal: 2000 kB\nMemFree: 700 kB\n",
				    &total, &avail) == 0 && avail == 700 * 1024,
	       "MemFree when MemAvailable is missing");
	tap_ok(t, bps_parse_meminfo("MemFree: 700 kB\n", &total, &avail) == -ENOENT,
	       "no MemTotal is -ENOENT");
	tap_ok(t, bps_parse_meminfo("MemTotal: lots kB\n", &total, &avail) == -EINVAL,
	       "a bad number is -EINVAL");
	tap_ok(t, bps_parse_meminfo("MemTotal: 99999999999999999999 kB\nMemFree: 1 kB\n",
				    &total, &avail) == -EINVAL,
	       "an overflowing number is -EINVAL");
	tap_ok(t, bps_parse_meminfo("MemTotal: 100 kB\nMemAvailable: 200 kB\n",
				    &total, &avail) == 0 && avail == total,
	       "available is capped at total");
}

static void test_btime(struct tap *t)
{
	uint64_t b = 0;

	tap_ok(t, bps_parse_btime("cpu  1 2 3\nintr 5\nbtime 1732250000\nprocesses 9\n",
				  &b) == 0 && b == 1732250000,
	       "btime from /proc/stat");
	tap_ok(t, bps_parse_btime("cpu 1\n", &b) == -ENOENT, "no btime is -ENOENT");
	tap_ok(t, bps_parse_btime("btime x\n", &b) == -EINVAL, "bad btime is -EINVAL");
	tap_ok(t, bps_parse_btime("btime 12 13\n", &b) == -EINVAL,
	       "trailing junk after btime is -EINVAL");
}

static void test_pid_stat(struct tap *t)
{
	static const char good[] =
		"6442 (my (odd) prog) S 6438 6438 14463 0 -1 4194304 102 0 7 0 "
		"250 50 0 0 20 -5 3 0 415051 3133440 414 "
		"18446744073709551615 94679196295168 0 0\n";
	struct bproc_msg_pstatus ps;
	uint64_t rss;
	char buf[512];
	FILE *f;
	size_t n;
	int ret;

	ret = bps_parse_pid_stat(good, 100, 4096, &ps);
	tap_ok(t, ret == 0 && ps.state == 'S' && ps.minflt == 102 &&
	       ps.majflt == 7 && ps.utime_ns == 2500000000ull &&
	       ps.stime_ns == 500000000ull && ps.threads == 3 &&
	       ps.start_ns == 4150510000000ull && ps.vsize == 3133440 &&
	       ps.rss == 414 * 4096ull,
	       "/proc/PID/stat with ')' in the name and a negative nice");
	tap_ok(t, bps_parse_pid_stat("12 (x) S 1 2", 100, 4096, &ps) == -EINVAL,
	       "truncated stat is -EINVAL");
	tap_ok(t, bps_parse_pid_stat("12 x S 1 2", 100, 4096, &ps) == -EINVAL,
	       "stat without the name's parentheses is -EINVAL");
	tap_ok(t, bps_parse_pid_stat("12 (x) \n 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21",
				     100, 4096, &ps) == -EINVAL,
	       "control byte as the state is -EINVAL");
	tap_ok(t, bps_parse_vmrss("Name:\tx\nVmHWM:\t  9 kB\nVmRSS:\t    2568 kB\n", &rss) == 0 &&
	       rss == 2568 * 1024ull, "VmRSS from /proc/PID/status");
	tap_ok(t, bps_parse_vmrss("Name:\tx\nState:\tZ (zombie)\n", &rss) == -ENOENT,
	       "no VmRSS (a zombie) is -ENOENT");
	tap_ok(t, bps_parse_vmrss("VmRSS:\t12 pages\n", &rss) == -EINVAL,
	       "VmRSS not in kB is -EINVAL");
	f = fopen("/proc/self/stat", "r");
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	ret = bps_parse_pid_stat(buf, sysconf(_SC_CLK_TCK),
				 sysconf(_SC_PAGESIZE), &ps);
	tap_ok(t, ret == 0 && ps.state == 'R' && ps.threads == 1 &&
	       ps.vsize > 0 && ps.rss > 0,
	       "own /proc/self/stat: state %c, rss %llu", ps.state,
	       (unsigned long long)ps.rss);
}

static void test_live(struct tap *t)
{
	struct bps_facts f;
	struct bp_msg_status st;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	uint8_t hw[BP_WIRE_HWADDR_LEN];
	uint8_t hwlen = 0;
	int l, c, ret;

	/* No /dev/bproc here: the version falls back to sysfs or stays empty. */
	ret = bps_gather_facts(-1, &f);
	tap_ok(t, ret == 0 && f.cpus >= 1 && f.mem_total > 0 &&
	       f.boot_time > 1000000000ull * 1000000000ull && f.kernel[0],
	       "facts of this host: %u cpus, %llu MiB, kernel %s", f.cpus,
	       (unsigned long long)(f.mem_total >> 20), f.kernel);
	ret = bps_read_status(&st);
	tap_ok(t, ret == 0 && st.mem_free <= f.mem_total && st.uptime > 0 &&
	       st.procs > 0, "status of this host: load %u, %llu MiB free",
	       st.load[0], (unsigned long long)(st.mem_free >> 20));

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&sin, &len) ||
	    connect(c, (struct sockaddr *)&sin, sizeof(sin))) {
		tap_ok(t, false, "loopback connection: %s", strerror(errno));
		return;
	}
	memset(hw, 0xff, sizeof(hw));
	ret = bps_local_hwaddr(c, hw, &hwlen);
	tap_ok(t, ret == 0 && hwlen == 6 && !memcmp(hw, "\0\0\0\0\0\0", 6),
	       "hardware address of lo towards 127.0.0.1 is 00:00:00:00:00:00");
	close(c);
	close(l);
}

int main(void)
{
	struct tap t = { 0 };

	test_master(&t);
	test_meminfo(&t);
	test_btime(&t);
	test_pid_stat(&t);
	test_live(&t);
	return tap_done(&t);
}
