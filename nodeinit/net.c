// SPDX-License-Identifier: GPL-2.0
/*
 * Network interfaces: bring links up and pick the one to run DHCP on.
 * Addresses and routes are the udhcpc script's job (bootimg/udhcpc.script).
 */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nodeinit.h"

/* Set IFF_UP on @ifname (for lo this also gives it 127.0.0.1/8). */
int ni_link_up(const char *ifname)
{
	struct ifreq ifr;
	int fd, ret = 0;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
out:
	close(fd);
	return ret;
}

static bool is_ethernet(const char *ifname)
{
	char path[64 + NI_IFNAME_LEN], buf[16];
	size_t len;

	snprintf(path, sizeof(path), "/sys/class/net/%s/type", ifname);
	if (ni_read_file(path, buf, sizeof(buf), &len))
		return false;
	return strtol(buf, NULL, 10) == ARPHRD_ETHER;
}

/*
 * The interface for DHCP: eth0 if it exists, otherwise the first
 * Ethernet interface in name order. -ENODEV if there is none.
 */
int ni_find_iface(char *name, size_t size)
{
	struct dirent *de;
	char best[NI_IFNAME_LEN] = "";
	DIR *dir;

	dir = opendir("/sys/class/net");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(best))
			continue;
		if (!is_ethernet(de->d_name))
			continue;
		if (!strcmp(de->d_name, "eth0") ||
		    (strcmp(best, "eth0") &&
		     (!best[0] || strcmp(de->d_name, best) < 0)))
			strcpy(best, de->d_name);
	}
	closedir(dir);
	if (!best[0])
		return -ENODEV;
	if (strlen(best) >= size)
		return -ENAMETOOLONG;
	strcpy(name, best);
	return 0;
}

/* ni_find_iface(), retried for up to @timeout_ms while drivers probe. */
int ni_wait_iface(char *name, size_t size, unsigned int timeout_ms)
{
	const struct timespec step = { .tv_nsec = 100 * 1000 * 1000 };
	uint64_t deadline = bp_now_mono_ms() + timeout_ms;
	int ret;

	while ((ret = ni_find_iface(name, size)) == -ENODEV &&
	       bp_now_mono_ms() < deadline)
		nanosleep(&step, NULL);
	return ret;
}
