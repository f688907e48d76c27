// SPDX-License-Identifier: GPL-2.0
/*
 * What bpslave reports about its node: kernel release, module version,
 * cpus, memory, boot time, the hardware address towards the master, and
 * the periodic status (load, free memory, uptime). Only calls that work
 * in a static binary: no NSS, no getaddrinfo.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include <linux/bproc.h>

#include "bpslave.h"

static bool parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*end = s;
	*out = v;
	return true;
}

int bps_parse_master(const char *arg, uint16_t default_port,
		     struct sockaddr_in *sin)
{
	const char *colon = strchr(arg, ':');
	char addr[INET_ADDRSTRLEN];
	uint64_t port = default_port;
	size_t alen = colon ? (size_t)(colon - arg) : strlen(arg);

	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, arg, alen);
	addr[alen] = '\0';
	if (colon) {
		const char *end;

		if (!parse_u64(colon + 1, &end, &port) || *end || port < 1 ||
		    port > 65535)
			return -EINVAL;
	}
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

static const char *next_line(const char *p)
{
	p = strchr(p, '\n');
	return p ? p + 1 : NULL;
}

/* Value in bytes of the meminfo line starting with @key ("MemTotal:"). */
static int meminfo_get(const char *text, const char *key, uint64_t *bytes)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = next_line(p)) {
		const char *end;
		uint64_t kb;

		if (strncmp(p, key, klen))
			continue;
		p += klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!parse_u64(p, &end, &kb) || strncmp(end, " kB", 3) ||
		    kb > UINT64_MAX / 1024)
			return -EINVAL;
		*bytes = kb * 1024;
		return 0;
	}
	return -ENOENT;
}

int bps_parse_meminfo(const char *text, uint64_t *total, uint64_t *avail)
{
	int ret;

	ret = meminfo_get(text, "MemTotal:", total);
	if (ret)
		return ret;
	ret = meminfo_get(text, "MemAvailable:", avail);
	if (ret == -ENOENT)
		ret = meminfo_get(text, "MemFree:", avail);
	if (ret)
		return ret;
	if (*avail > *total)
		*avail = *total;
	return 0;
}

int bps_parse_btime(const char *text, uint64_t *btime)
{
	for (const char *p = text; p && *p; p = next_line(p)) {
		const char *end;

		if (strncmp(p, "btime ", 6))
			continue;
		if (!parse_u64(p + 6, &end, btime) || (*end && *end != '\n'))
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}

static int read_text(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < cap - 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return ret;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Printable ASCII only, so the wire encoder accepts it. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int bps_gather_facts(int bproc_fd, struct bps_facts *f)
{
	struct bproc_version v = { .size = sizeof(v) };
	char buf[8192];
	struct utsname u;
	uint64_t avail, btime;
	long cpus;
	int ret;

	memset(f, 0, sizeof(*f));
	if (uname(&u))
		return -errno;
	copy_text(f->kernel, sizeof(f->kernel), u.release);
	if (ioctl(bproc_fd, BPROC_IOC_VERSION, &v) == 0) {
		v.module[sizeof(v.module) - 1] = '\0';
		copy_text(f->modver, sizeof(f->modver), v.module);
	} else if (read_text("/sys/module/bproc/version", buf, sizeof(buf)) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		copy_text(f->modver, sizeof(f->modver), buf);
	}
	sanitize(f->kernel);
	sanitize(f->modver);

	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	f->cpus = cpus < 1 ? 1 : cpus > BP_WIRE_CPUS_MAX ? BP_WIRE_CPUS_MAX :
							   (uint32_t)cpus;

	ret = read_text("/proc/meminfo", buf, sizeof(buf));
	if (!ret)
		ret = bps_parse_meminfo(buf, &f->mem_total, &avail);
	if (ret)
		return ret;
	ret = read_text("/proc/stat", buf, sizeof(buf));
	if (!ret)
		ret = bps_parse_btime(buf, &btime);
	if (ret)
		return ret;
	f->boot_time = btime * 1000000000ull;
	return 0;
}

int bps_read_status(struct bp_msg_status *st)
{
	struct sysinfo si;
	struct timespec ts;
	char buf[8192];
	uint64_t total;
	int ret;

	memset(st, 0, sizeof(*st));
	if (sysinfo(&si))
		return -errno;
	for (int i = 0; i < 3; i++)
		st->load[i] = (uint32_t)(((uint64_t)si.loads[i] * 100 +
					  (1u << 15)) >> 16);
	st->procs = si.procs;
	ret = read_text("/proc/meminfo", buf, sizeof(buf));
	if (!ret)
		ret = bps_parse_meminfo(buf, &total, &st->mem_free);
	if (ret)
		return ret;
	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return -errno;
	st->uptime = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return 0;
}

/* Hardware address of the interface that carries @sock's local address. */
int bps_local_hwaddr(int sock, uint8_t *hwaddr, uint8_t *len)
{
	struct sockaddr_in local;
	socklen_t slen = sizeof(local);
	struct ifaddrs *ifs, *ifa;
	const char *name = NULL;
	int ret = -ENODEV;

	if (getsockname(sock, (struct sockaddr *)&local, &slen))
		return -errno;
	if (getifaddrs(&ifs))
		return -errno;
	for (ifa = ifs; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr_in *a = (const void *)ifa->ifa_addr;

		if (a && a->sin_family == AF_INET &&
		    a->sin_addr.s_addr == local.sin_addr.s_addr) {
			name = ifa->ifa_name;
			break;
		}
	}
	for (ifa = ifs; name && ifa; ifa = ifa->ifa_next) {
		const struct sockaddr_ll *ll = (const void *)ifa->ifa_addr;

		if (!ll || ll->sll_family != AF_PACKET ||
		    strcmp(ifa->ifa_name, name))
			continue;
		if (ll->sll_halen > BP_WIRE_HWADDR_LEN) {
			ret = -EOVERFLOW;
			break;
		}
		memcpy(hwaddr, ll->sll_addr, ll->sll_halen);
		*len = ll->sll_halen;
		ret = 0;
		break;
	}
	freeifaddrs(ifs);
	return ret;
}

/*
 * The resident set of /proc/PID/status (VmRSS), in bytes: what ps shows.
 * /proc/PID/stat's rss field may lag it by the per-CPU counter batches.
 * -ENOENT without the line (a zombie, a kernel thread).
 */
int bps_parse_vmrss(const char *text, uint64_t *rss)
{
	return meminfo_get(text, "VmRSS:", rss);
}

/*
 * /proc/PID/stat of a process into a PSTATUS payload. @hz is the clock
 * tick rate, @page_size the page size. The command name may hold spaces
 * and parentheses: the fields start after the last ')'.
 */
int bps_parse_pid_stat(const char *text, long hz, long page_size,
		       struct bproc_msg_pstatus *ps)
{
	const char *p = strrchr(text, ')');
	uint64_t v[21];
	char state;

	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ' || hz <= 0 ||
	    page_size <= 0)
		return -EINVAL;
	state = p[2];
	if (state <= 0x20 || state >= 0x7f)
		return -EINVAL;
	p += 4;
	/* Fields 4..24 of proc(5); some may be negative (priority, nice). */
	for (int i = 0; i < 21; i++) {
		const char *end;

		if (*p == '-')
			p++;
		if (!parse_u64(p, &end, &v[i]) || (*end != ' ' && *end != '\n' &&
						   *end != '\0'))
			return -EINVAL;
		p = end;
		if (i < 20) {
			if (*p != ' ')
				return -EINVAL;
			p++;
		}
	}
	/* v[i] is field i + 4: minflt 10, majflt 12, utime 14, stime 15,
	 * num_threads 20, starttime 22, vsize 23, rss 24. */
	memset(ps, 0, sizeof(*ps));
	ps->state = (uint8_t)state;
	ps->minflt = v[6];
	ps->majflt = v[8];
	ps->utime_ns = v[10] * (1000000000ull / (uint64_t)hz);
	ps->stime_ns = v[11] * (1000000000ull / (uint64_t)hz);
	ps->threads = (uint32_t)v[16];
	ps->start_ns = v[18] * (1000000000ull / (uint64_t)hz);
	ps->vsize = v[19];
	ps->rss = v[20] * (uint64_t)page_size;
	return 0;
}

/* "123", "64K", "512M", "2G" (powers of 1024) into *@out. */
int bps_parse_size(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v, mul = 1;

	if (!parse_u64(s, &end, &v))
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k':
		mul = 1ull << 10;
		end++;
		break;
	case 'M': case 'm':
		mul = 1ull << 20;
		end++;
		break;
	case 'G': case 'g':
		mul = 1ull << 30;
		end++;
		break;
	}
	if (*end || v > UINT64_MAX / mul)
		return -EINVAL;
	*out = v * mul;
	return 0;
}
