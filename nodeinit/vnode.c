// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual nodes (bproc.vnodes=N): each one a network namespace whose only
 * interface, eth0, is a macvlan (bridge mode) of the boot interface with
 * its own MAC address, so it gets its own address from the master's DHCP
 * and therefore its own node number. main.c runs a udhcpc and a bpslave
 * in each namespace; the bproc module hosts one node-side instance per
 * bpslave, each with its own masquerade pid namespace.
 *
 * A macvlan never talks to its lower device's own address, so this node
 * and its virtual nodes could not reach each other (bpsh's fan-out tree
 * has them fetch files from each other). One more macvlan, "vnhost", in
 * this node's namespace, without an address, carries that traffic: each
 * virtual node's address gets a /32 route through it once its lease is
 * known, and ARP for this node's address arriving on it is answered as
 * on any interface.
 *
 * A virtual node's bpslave runs with --virtual: the master's reboot, halt
 * and power-off end that bpslave (with a status of its own) instead of
 * reaching PID 1, and the supervisor restarts it at once or leaves that
 * virtual node down (ni_vnode_exit()).
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nodeinit.h"

/*
 * The MAC of virtual node @index (1..NI_VNODES_MAX) on an interface with
 * @mac: locally administered, byte 2 XORed with the index. On QEMU's
 * 52:54:00:xx:yy:zz that is 52:54:II:xx:yy:zz, which the harness
 * predicts to give each one a fixed node number.
 */
void ni_vnode_mac(const uint8_t mac[6], unsigned int index, uint8_t out[6])
{
	memcpy(out, mac, 6);
	out[0] = (uint8_t)((out[0] | 0x02) & ~0x01);
	out[2] ^= (uint8_t)index;
}

/*
 * What the supervisor does when a virtual node's bpslave ends with
 * @wstatus (a waitpid() status): the statuses bpslave --virtual exits
 * with on the master's requests (bpslave(8)), else an ordinary exit.
 */
enum ni_vnode_exit ni_vnode_exit(int wstatus)
{
	if (!WIFEXITED(wstatus))
		return NI_VEXIT_RESTART;
	switch (WEXITSTATUS(wstatus)) {
	case NI_BPSLAVE_EXIT_REBOOT:
		return NI_VEXIT_REBOOT;
	case NI_BPSLAVE_EXIT_HALT:
		return NI_VEXIT_HALT;
	case NI_BPSLAVE_EXIT_POWEROFF:
		return NI_VEXIT_POWEROFF;
	default:
		return NI_VEXIT_RESTART;
	}
}

static int iface_hwaddr(const char *ifname, uint8_t mac[6], int *ifindex)
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
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		ret = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!ret && ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		ret = -errno;
	else if (!ret)
		*ifindex = ifr.ifr_ifindex;
	close(fd);
	return ret;
}

static int rename_iface(const char *from, const char *to)
{
	struct ifreq ifr;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", from);
	snprintf(ifr.ifr_newname, sizeof(ifr.ifr_newname), "%s", to);
	if (ioctl(fd, SIOCSIFNAME, &ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

struct nlreq {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[512];
};

static struct rtattr *add_attr(struct nlmsghdr *nh, unsigned short type,
			       const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void end_nest(struct nlmsghdr *nh, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)nh + nh->nlmsg_len - (char *)nest);
}

/* Send @nh and wait for its acknowledgement: 0 or -errno of the kernel. */
static int nl_talk(struct nlmsghdr *nh)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[1024];
	struct nlmsghdr *h;
	ssize_t n;
	int fd, ret;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	nh->nlmsg_seq = 1;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != NLMSG_ERROR) {
		ret = -EPROTO;
		goto out;
	}
	ret = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
out:
	close(fd);
	return ret;
}

/*
 * Create virtual node @index on @lower: a new network namespace (its
 * file in *@nsfd, close-on-exec) holding eth0, a macvlan of @lower, with
 * lo and eth0 up. The caller stays in its own namespace. 0 or -errno;
 * *@why names the step that failed.
 */
int ni_vnode_make(const char *lower, unsigned int index, int *nsfd,
		  const char **why)
{
	uint32_t mode = MACVLAN_MODE_BRIDGE;
	struct rtattr *info, *data;
	uint8_t mac[6], vmac[6];
	int self, ns, ifindex = 0, ret;
	char name[IFNAMSIZ];
	struct nlreq r;

	*nsfd = -1;
	*why = "reading the boot interface";
	ret = iface_hwaddr(lower, mac, &ifindex);
	if (ret)
		return ret;
	ni_vnode_mac(mac, index, vmac);

	*why = "making its network namespace";
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (unshare(CLONE_NEWNET)) {
		ret = -errno;
		close(self);
		return ret;
	}
	ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		ret = -errno;
	if (setns(self, CLONE_NEWNET)) {
		/* Not back in our own namespace: nothing of ours works. */
		ret = -errno;
		*why = "returning to the node's network namespace";
		if (ns >= 0)
			close(ns);
		close(self);
		return ret;
	}
	if (ns < 0) {
		close(self);
		return ret;
	}

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.ifi));
	r.nh.nlmsg_type = RTM_NEWLINK;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	r.ifi.ifi_family = AF_UNSPEC;
	/* named in this namespace, where eth0 exists; renamed in its own */
	snprintf(name, sizeof(name), "vn%u", index);
	add_attr(&r.nh, IFLA_IFNAME, name, strlen(name) + 1);
	add_attr(&r.nh, IFLA_LINK, &ifindex, sizeof(ifindex));
	add_attr(&r.nh, IFLA_ADDRESS, vmac, sizeof(vmac));
	add_attr(&r.nh, IFLA_NET_NS_FD, &ns, sizeof(ns));
	info = add_attr(&r.nh, IFLA_LINKINFO, NULL, 0);
	add_attr(&r.nh, IFLA_INFO_KIND, "macvlan", 8);
	data = add_attr(&r.nh, IFLA_INFO_DATA, NULL, 0);
	add_attr(&r.nh, IFLA_MACVLAN_MODE, &mode, sizeof(mode));
	end_nest(&r.nh, data);
	end_nest(&r.nh, info);
	ret = nl_talk(&r.nh);
	*why = ret == -EOPNOTSUPP ? "creating its macvlan (no CONFIG_MACVLAN?)" :
	       "creating its macvlan";

	if (!ret) {
		*why = "entering its network namespace";
		if (setns(ns, CLONE_NEWNET))
			ret = -errno;
	}
	if (!ret) {
		*why = "renaming its interface eth0";
		ret = rename_iface(name, "eth0");
		if (!ret) {
			*why = "bringing up its lo";
			ret = ni_link_up("lo");
		}
		if (!ret) {
			*why = "bringing up its eth0";
			ret = ni_link_up("eth0");
		}
		if (setns(self, CLONE_NEWNET)) {
			ret = -errno;
			*why = "returning to the node's network namespace";
		}
	}
	close(self);
	if (ret) {
		close(ns);
		return ret;
	}
	*nsfd = ns;
	return 0;
}

/*
 * The macvlan "vnhost" on @lower in this namespace (random MAC, no
 * address), up: its interface index in *@ifindex. 0 or -errno.
 */
int ni_vnode_host(const char *lower, int *ifindex)
{
	uint32_t mode = MACVLAN_MODE_BRIDGE;
	struct rtattr *info, *data;
	uint8_t mac[6];
	int low = 0, ret;
	struct nlreq r;

	ret = iface_hwaddr(lower, mac, &low);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.ifi));
	r.nh.nlmsg_type = RTM_NEWLINK;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	r.ifi.ifi_family = AF_UNSPEC;
	add_attr(&r.nh, IFLA_IFNAME, NI_VNODE_HOST, sizeof(NI_VNODE_HOST));
	add_attr(&r.nh, IFLA_LINK, &low, sizeof(low));
	info = add_attr(&r.nh, IFLA_LINKINFO, NULL, 0);
	add_attr(&r.nh, IFLA_INFO_KIND, "macvlan", 8);
	data = add_attr(&r.nh, IFLA_INFO_DATA, NULL, 0);
	add_attr(&r.nh, IFLA_MACVLAN_MODE, &mode, sizeof(mode));
	end_nest(&r.nh, data);
	end_nest(&r.nh, info);
	ret = nl_talk(&r.nh);
	if (!ret)
		ret = ni_link_up(NI_VNODE_HOST);
	if (!ret)
		ret = iface_hwaddr(NI_VNODE_HOST, mac, ifindex);
	return ret;
}

/* A route to @dst/32 through interface @ifindex, from @src. */
int ni_vnode_route(int ifindex, struct in_addr dst, struct in_addr src)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[128];
	} r;
	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.rt));
	r.nh.nlmsg_type = RTM_NEWROUTE;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	r.rt.rtm_family = AF_INET;
	r.rt.rtm_dst_len = 32;
	r.rt.rtm_table = RT_TABLE_MAIN;
	r.rt.rtm_protocol = RTPROT_BOOT;
	r.rt.rtm_scope = RT_SCOPE_LINK;
	r.rt.rtm_type = RTN_UNICAST;
	add_attr(&r.nh, RTA_DST, &dst, sizeof(dst));
	add_attr(&r.nh, RTA_OIF, &ifindex, sizeof(ifindex));
	add_attr(&r.nh, RTA_PREFSRC, &src, sizeof(src));
	return nl_talk(&r.nh);
}
