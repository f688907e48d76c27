// SPDX-License-Identifier: GPL-2.0
/*
 * The caller's identity, reproduced in a process started for the master
 * before it execs (docs/security.md, point 3): resource limits, umask,
 * the capability bounding set, securebits, real/effective/saved/fs ids
 * and groups, the permitted/effective/inheritable and ambient capability
 * sets, and no_new_privs. The REXEC says what the caller had on the
 * master; what cannot be reproduced here fails the start with the errno
 * the kernel gave, rather than run with more than the caller had.
 *
 * Runs in the new process, as root (bpslave's identity), before execve.
 */
#include <errno.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/securebits.h>

#include "bpslave.h"

static int capset_v3(uint64_t effective, uint64_t permitted,
		     uint64_t inheritable)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable },
		{ (uint32_t)(effective >> 32), (uint32_t)(permitted >> 32),
		  (uint32_t)(inheritable >> 32) },
	};

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* The highest capability this kernel knows (from /proc), or CAP_LAST_CAP. */
static int last_cap(void)
{
	int last = CAP_LAST_CAP;

	/* prctl answers EINVAL beyond the kernel's last capability. */
	while (last < 63 && prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
		last++;
	while (last > 0 && prctl(PR_CAPBSET_READ, last, 0, 0, 0) < 0)
		last--;
	return last;
}

/* The current capability sets; -errno. */
static int capget_v3(uint64_t *effective, uint64_t *permitted,
		     uint64_t *inheritable)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	*effective = data[0].effective | (uint64_t)data[1].effective << 32;
	*permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	*inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	return 0;
}

/*
 * The order matters: dropping from the bounding set and setting
 * securebits need CAP_SETPCAP in the effective set; changing the uid
 * from 0 clears the permitted set unless SECBIT_KEEP_CAPS is on; the
 * inheritable set may only grow with CAP_SETPCAP effective; ambient
 * capabilities must be in the permitted and inheritable sets when raised
 * and are cut to them when those shrink. So: limits, umask and the
 * bounding set as root; the ids with KEEP_CAPS; then everything back in
 * the effective set to set the inheritable set, raise the ambient ones
 * and the securebits; last the caller's sets, which only shrink.
 */
int bps_ident_apply(const struct bproc_msg_rexec *r, const uint32_t *gids)
{
	uint64_t mask, e = 0, p = 0, inh = 0;
	int last = last_cap(), cap, ret;

	mask = last >= 63 ? ~0ull : (1ull << (last + 1)) - 1;
	/* A set the caller had with capabilities we do not know: refuse. */
	if ((r->cap_permitted | r->cap_effective | r->cap_inheritable |
	     r->cap_ambient) & ~mask)
		return -EPERM;

	for (int i = 0; i < BPROC_RLIMITS; i++) {
		struct rlimit rl = {
			.rlim_cur = r->rlim[i].cur, .rlim_max = r->rlim[i].max,
		};

		if (setrlimit(i, &rl))
			return -errno;
	}
	umask((mode_t)r->umask);
	for (cap = 0; cap <= last; cap++)
		if (!(r->cap_bset & (1ull << cap)) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return -errno;
	if (prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS, 0, 0, 0))
		return -errno;
	if (setgroups(r->ngroups, (const gid_t *)gids) ||
	    setresgid(r->gid, r->egid, r->sgid) ||
	    setresuid(r->uid, r->euid, r->suid))
		return -errno;
	setfsgid(r->fsgid);
	setfsuid(r->fsuid);

	ret = capget_v3(&e, &p, &inh);
	if (!ret)
		ret = capset_v3(p, p, inh);
	if (!ret)
		ret = capset_v3(p, p, r->cap_inheritable);
	if (ret)
		return ret;
	for (cap = 0; cap <= last; cap++)
		if ((r->cap_ambient & (1ull << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0))
			return -errno;
	if (prctl(PR_SET_SECUREBITS, r->securebits, 0, 0, 0))
		return -errno;
	ret = capset_v3(r->cap_effective, r->cap_permitted, r->cap_inheritable);
	if (ret)
		return ret;
	if ((r->flags & BPROC_REXEC_NO_NEW_PRIVS) &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}
