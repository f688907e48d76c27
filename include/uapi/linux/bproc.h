/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bproc: Beowulf Distributed Process Space -- user/kernel interface.
 *
 * The bproc module registers the misc device /dev/bproc. Everything user
 * space does with the module goes through ioctls on an open file of it:
 *
 *   BPROC_IOC_VERSION     (R)  struct bproc_version: ABI and module version.
 *                              Any user.
 *   BPROC_IOC_MASTER      (W)  struct bproc_master_cfg: make this open file
 *                              the master daemon's and size the node table.
 *                              CAP_SYS_ADMIN; -EBUSY while another open file
 *                              holds the role. Closing that file marks
 *                              every node down; the table stays readable.
 *   BPROC_IOC_NODE_SET    (W)  struct bproc_node_info: update one node.
 *                              Only on the master daemon's file (-EPERM).
 *   BPROC_IOC_NODE_GET    (WR) struct bproc_node_info: .node in, the rest
 *                              out. Any user. -ENODEV for a node outside
 *                              the table, -ENOENT when there is no table.
 *   BPROC_IOC_NODE_COUNT  (R)  __u32: number of nodes in the table (0 when
 *                              no master has configured one).
 *   BPROC_IOC_SLAVE       (W)  struct bproc_slave_cfg: make this open file
 *                              a node-side instance (one per bpslave; a
 *                              kernel can host several). CAP_SYS_ADMIN.
 *   BPROC_IOC_SLAVE_GET   (R)  struct bproc_slave_cfg of this instance.
 *   BPROC_IOC_CURRNODE    (R)  __s32: the node the caller runs on. On a
 *                              node, a process started for the master (or
 *                              forked by one) gets its instance's node
 *                              number, as does any process of a kernel
 *                              that hosts exactly one instance; with
 *                              several, others get BPROC_NODE_NONE. On
 *                              the master, and without any instance,
 *                              BPROC_NODE_MASTER. Any user.
 *   BPROC_IOC_NODE_CTL    (W)  struct bproc_node_ctl: ask the master daemon
 *                              to change a node (state, owner, group,
 *                              mode, cache purge) and wait for its answer.
 *                              Any user; the module checks the caller's
 *                              rights first (docs/nodes.md): -EPERM, then
 *                              -EINVAL (bad state, mode, uid or gid),
 *                              -ENODEV, -ENOTCONN (no master daemon),
 *                              -EAGAIN (too many requests queued), or the
 *                              daemon's answer (-EHOSTDOWN, -EBUSY...).
 *   BPROC_IOC_NODE_CTL_DONE (W) struct bproc_node_ctl_done: the master
 *                              daemon's answer to one BPROC_MSG_NODE_CTL.
 *                              Only on the master daemon's file (-EPERM);
 *                              -ENOENT when nobody waits for that id.
 *
 * Change notifier: on a file without a role (neither the master's nor a
 * node instance's), poll() reports POLLIN once the node table changed
 * since the file last read, and read() of 8 bytes returns the table's
 * __u64 generation (it grows by one or more on every change) and marks
 * it seen; with nothing new, read() waits (-EAGAIN with O_NONBLOCK). A
 * fresh file is readable at once.
 *
 * Every struct starts with a __u32 size set by the caller to the size it
 * was built with; the module accepts any size from the first published
 * one (BPROC_*_SIZE_VER0) up, zero-fills fields the caller did not pass,
 * and copies out no more than the caller's size. Fields are fixed width,
 * little-endian on the wire and native in ioctls, with explicit padding.
 * Errors are standard negative errnos.
 */
#ifndef _UAPI_LINUX_BPROC_H
#define _UAPI_LINUX_BPROC_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define BPROC_ABI_VERSION	1

/* Special node numbers. */
#define BPROC_NODE_MASTER	(-1)	/* the master itself */
#define BPROC_NODE_SELF		(-2)	/* the node the caller runs on */
#define BPROC_NODE_NONE		(-3)	/* no node */

#define BPROC_NODES_MAX		4096	/* upper bound of a node table */

/* TCP port bpmaster listens on by default. */
#define BPROC_DEFAULT_PORT	2223

enum bproc_node_state {
	BPROC_NODE_DOWN		= 0,	/* not connected */
	BPROC_NODE_BOOT		= 1,	/* connected, node_up running */
	BPROC_NODE_UP		= 2,	/* accepts processes */
	BPROC_NODE_ERROR	= 3,	/* node_up failed */
	BPROC_NODE_UNAVAILABLE	= 4,	/* only root may start processes */
	BPROC_NODE_REBOOT	= 5,	/* carrying out a reboot request */
	BPROC_NODE_HALT		= 6,	/* carrying out a halt request */
	BPROC_NODE_PWROFF	= 7,	/* carrying out a power-off request */
	BPROC_NODE_NSTATES
};

struct bproc_version {
	__u32 size;
	__u32 abi;			/* BPROC_ABI_VERSION */
	char  module[32];		/* module version string, NUL-terminated */
};

#define BPROC_VERSION_SIZE_VER0	40

struct bproc_master_cfg {
	__u32 size;
	__u32 nodes;			/* node table size, 1..BPROC_NODES_MAX */
};

#define BPROC_MASTER_CFG_SIZE_VER0	8

#define BPROC_ADDR_LEN		16
#define BPROC_HWADDR_LEN	8
#define BPROC_NAME_LEN		64

/*
 * One node as the master knows it. Addresses are in network byte order:
 * IPv4 in the first 4 bytes of addr with addr_family AF_INET (2), IPv6 in
 * all 16 with AF_INET6 (10). Strings are NUL-terminated.
 */
struct bproc_node_info {
	__u32 size;
	__s32 node;
	__u32 state;			/* enum bproc_node_state */
	__u32 mode;			/* execute bits: 0111 = everyone */
	__u32 uid;
	__u32 gid;
	__u16 addr_family;
	__u8  hwaddr_len;
	__u8  __pad0;
	__u32 cpus;
	__u8  addr[BPROC_ADDR_LEN];
	__u8  hwaddr[BPROC_HWADDR_LEN];
	__u64 mem_total;		/* bytes */
	__u64 mem_free;			/* bytes */
	__u64 state_since;		/* master CLOCK_REALTIME ns of last state change */
	__u64 node_boottime;		/* node CLOCK_REALTIME ns at its boot */
	__u32 load[3];			/* load average * 100 */
	__u32 __pad1;
	char  kernel[BPROC_NAME_LEN];	/* node's uname -r */
	char  modver[32];		/* bproc module version on the node */
	char  error[BPROC_NAME_LEN];	/* why the node is in BPROC_NODE_ERROR */
	/* VER1: */
	__u32 nprocs;			/* bproc processes on the node: those
					 * started for the master and their
					 * descendants */
	__u32 __pad2;
	__u64 cache_used;		/* bytes in the node's program cache */
	__u64 cache_size;		/* its limit, bytes (0: not reported) */
};

#define BPROC_NODE_INFO_SIZE_VER0	264
#define BPROC_NODE_INFO_SIZE_VER1	288

struct bproc_slave_cfg {
	__u32 size;
	__s32 node;			/* this instance's node number */
	__u16 master_family;
	__u16 master_port;		/* host byte order */
	__u8  master_addr[BPROC_ADDR_LEN];
};

#define BPROC_SLAVE_CFG_SIZE_VER0	28

/* What a struct bproc_node_ctl changes (bits of @what). */
#define BPROC_CTL_STATE		(1 << 0)	/* @state: root only */
#define BPROC_CTL_MODE		(1 << 1)	/* @mode: root or the owner */
#define BPROC_CTL_UID		(1 << 2)	/* @uid: root only */
#define BPROC_CTL_GID		(1 << 3)	/* @gid: root, or the owner to
						 * a group of its own */
#define BPROC_CTL_CACHE_PURGE	(1 << 4)	/* empty the program cache:
						 * root only */
#define BPROC_CTL_ALL		0x1f

/*
 * A change of one node, all of it or nothing. @state may be down (the
 * node is disconnected), up, error, unavailable, reboot, halt or pwroff
 * (the node carries out that request); boot is the master's own.
 */
struct bproc_node_ctl {
	__u32 size;
	__s32 node;
	__u32 what;			/* BPROC_CTL_* */
	__u32 state;			/* enum bproc_node_state */
	__u32 mode;			/* execute bits, 0..0777 */
	__u32 uid;
	__u32 gid;
	__u32 __pad;
};

#define BPROC_NODE_CTL_SIZE_VER0	32

struct bproc_node_ctl_done {
	__u32 size;
	__s32 error;			/* 0 or a negative errno */
	__u64 id;			/* hdr.id of the BPROC_MSG_NODE_CTL */
};

#define BPROC_NODE_CTL_DONE_SIZE_VER0	16

/*
 * Processes (docs/ghosts.md). On the master, BPROC_IOC_REXEC turns the
 * calling task into the ghost of a process started on a node:
 *
 *   BPROC_IOC_REXEC       (W)  struct bproc_rexec. Any user. Does not
 *                              return on success (the caller is then the
 *                              ghost); on failure -ENODEV (no such node),
 *                              -EHOSTDOWN (node not up), -EACCES (node
 *                              permissions), -ENOENT/-EACCES/-ENOEXEC...
 *                              (from the node's execve), -E2BIG, -EFAULT,
 *                              -ENOTCONN (no master daemon), -EPERM (a
 *                              seccomp filter, which no node reproduces),
 *                              -EINVAL (a job of a size outside
 *                              BPROC_JOB_SIZE_VER0..BPROC_JOB_MAX).
 *
 * The master daemon's file carries messages both ways: read() returns one
 * whole struct bproc_msg_hdr + payload (-EINVAL if the buffer is too small
 * for it; poll() reports POLLIN), write() takes one whole message from the
 * node side. On a node, the slave instance's file reads the node's own
 * events the same way (FORK and EXIT of child processes, PIDS_WANT,
 * PIDS_FREE), takes the master's PIDS by write(), and takes:
 *
 *   BPROC_IOC_MASQ        (W)  struct bproc_masq: mark a process started
 *                              for the master (getppid() -> ppid).
 *   BPROC_IOC_SIGNAL      (W)  struct bproc_signal: deliver a signal that
 *                              was sent to the ghost, with its siginfo.
 */
struct bproc_rexec {
	__u32 size;
	__s32 node;
	__u32 flags;			/* 0 */
	__u32 argc;
	__u32 envc;
	__u32 buf_len;			/* bytes at buf, at most BPROC_REXEC_MAX */
	__u64 buf;			/* path\0 argv[0]\0 ... envp[0]\0 ... */
	/* VER1 */
	__u32 job_len;			/* bytes at job: 0, or a struct bproc_job */
	__u32 __pad;
	__u64 job;			/* struct bproc_job, or 0 */
};

#define BPROC_REXEC_SIZE_VER0	32
#define BPROC_REXEC_SIZE_VER1	48
#define BPROC_REXEC_MAX		(256 * 1024)
#define BPROC_NGROUPS_MAX	256

/*
 * A job of bpsh (docs/bpsh.md): how the process on the node connects its
 * standard I/O back to bpsh and where it finds the files it sees at their
 * master paths. The module checks only its length (BPROC_JOB_SIZE_VER0 to
 * BPROC_JOB_MAX bytes) and carries the bytes as they are to the node;
 * bpslave checks the rest (it is the caller's, so untrusted) and takes
 * the fields it knows from the first @size bytes, so the struct may grow
 * without the module. Its integers are little-endian on every host.
 *
 * The process connects to @io_port on the master's address as the node
 * knows it (or on @io_addr when @io_family is AF_INET), once per stream
 * asked for in @flags, and proves each connection knows @secret (an
 * HMAC-SHA256 over @id, @rank and the stream). The manifest (the files,
 * their modes and SHA-256s) has the SHA-256 @manifest and @manifest_len
 * bytes; a node whose cache lacks it, or any file it lists, fetches them
 * over one more such connection. @stdin_path etc. are files on the node
 * (bpsh -I/-O/-E), used instead of a connection when not empty.
 */
#define BPROC_JOB_STDIN		(1 << 0)	/* fd 0 from bpsh */
#define BPROC_JOB_STDOUT	(1 << 1)	/* fd 1 to bpsh */
#define BPROC_JOB_STDERR	(1 << 2)	/* fd 2 to bpsh */
#define BPROC_JOB_FILES		(1 << 3)	/* the manifest is valid */
#define BPROC_JOB_FLAGS		0xf

#define BPROC_JOB_SECRET_LEN	32
#define BPROC_JOB_PATH_LEN	256

struct bproc_job {
	__u32 size;			/* sizeof(struct bproc_job) */
	__u32 flags;			/* BPROC_JOB_* */
	__u64 id;			/* the launch, chosen by bpsh */
	__u32 rank;			/* index of this process in the launch */
	__u16 io_port;			/* bpsh's, host byte order */
	__u16 io_family;		/* 0: the master's address; AF_INET */
	__u8  io_addr[BPROC_ADDR_LEN];
	__u8  secret[BPROC_JOB_SECRET_LEN];
	__u8  manifest[32];		/* SHA-256 of the manifest */
	__u64 manifest_len;
	char  stdin_path[BPROC_JOB_PATH_LEN];	/* NUL-terminated, or "" */
	char  stdout_path[BPROC_JOB_PATH_LEN];
	char  stderr_path[BPROC_JOB_PATH_LEN];
};

#define BPROC_JOB_SIZE_VER0	880
#define BPROC_JOB_MAX		4096

struct bproc_masq {
	__u32 size;
	__s32 pid;			/* in the instance's pid namespace */
	__s32 ppid;			/* the master's parent pid */
	__u32 __pad;
};

#define BPROC_MASQ_SIZE_VER0	16

#define BPROC_SIGINFO_LEN	128

struct bproc_signal {
	__u32 size;
	__s32 pid;
	__s32 signo;
	__u32 __pad;
	__u8  siginfo[BPROC_SIGINFO_LEN];	/* the sender's siginfo_t */
};

#define BPROC_SIGNAL_SIZE_VER0	144

enum bproc_msg_type {
	BPROC_MSG_REXEC		= 1,	/* master -> node */
	BPROC_MSG_REXEC_RESULT	= 2,	/* node -> master: __s32 error */
	BPROC_MSG_SIGNAL	= 3,	/* master -> node: struct bproc_signal */
	BPROC_MSG_PSTATUS	= 4,	/* node -> master: bproc_msg_pstatus */
	BPROC_MSG_STOP		= 5,	/* node -> master: __s32 signo */
	BPROC_MSG_CONT		= 6,	/* node -> master: no payload */
	BPROC_MSG_EXIT		= 7,	/* node -> master: bproc_msg_exit */
	BPROC_MSG_PIDS		= 8,	/* master -> node: bproc_msg_pids */
	BPROC_MSG_PIDS_WANT	= 9,	/* node -> master: __u32 count */
	BPROC_MSG_PIDS_FREE	= 10,	/* node -> master: bproc_msg_pids */
	BPROC_MSG_FORK		= 11,	/* node -> master: bproc_msg_fork */
	BPROC_MSG_EXEC		= 12,	/* node -> master: bproc_msg_exec */
	BPROC_MSG_NTYPES
};

/*
 * Not a process message: the module asks the master daemon to change a
 * node (payload struct bproc_node_ctl, hdr.node the node, hdr.pid the
 * caller's pid, hdr.id the request). It is read from the master daemon's
 * file only, never travels to a node, and is answered with
 * BPROC_IOC_NODE_CTL_DONE. Outside the process types, so the wire codec
 * refuses it from a node.
 */
#define BPROC_MSG_NODE_CTL	0x100

struct bproc_msg_hdr {
	__u32 size;			/* header + payload */
	__u16 type;			/* enum bproc_msg_type */
	__u16 flags;			/* 0 */
	__s32 node;
	__s32 pid;			/* same pid on master and node */
	__u64 id;			/* request id, echoed in the reply */
};

#define BPROC_MSG_MAX		(sizeof(struct bproc_msg_hdr) + \
				 sizeof(struct bproc_msg_rexec) + \
				 BPROC_NGROUPS_MAX * 4 + 4096 + BPROC_REXEC_MAX + \
				 BPROC_JOB_MAX)

/* Resource limits carried by REXEC: RLIMIT_CPU .. RLIMIT_RTTIME. */
#define BPROC_RLIMITS		16

struct bproc_rlimit {
	__u64 cur;			/* RLIM_INFINITY: ~0 */
	__u64 max;
};

/* bproc_msg_rexec.flags */
#define BPROC_REXEC_NO_NEW_PRIVS	(1 << 0)	/* prctl(PR_SET_NO_NEW_PRIVS) */

/*
 * Payload of BPROC_MSG_REXEC, followed by gids[ngroups], the cwd, the
 * strings, and the job's @job_len bytes (struct bproc_job, or none). The
 * caller's whole identity travels (docs/security.md, point 3): ids,
 * groups, capability sets, securebits, no_new_privs, umask and resource
 * limits, and the node reproduces it before the process execs.
 */
struct bproc_msg_rexec {
	__s32 ppid;
	__s32 pgid;
	__s32 sid;
	__u32 uid, euid, gid, egid;
	__u32 ngroups;
	__u32 argc;
	__u32 envc;
	__u32 cwd_len;			/* with NUL */
	__u32 buf_len;			/* path, argv, envp as in bproc_rexec */
	__u32 suid, sgid, fsuid, fsgid;
	__u32 flags;			/* BPROC_REXEC_* */
	__u32 securebits;
	__u32 umask;
	__u32 job_len;			/* 0, or BPROC_JOB_SIZE_VER0..BPROC_JOB_MAX */
	__u64 cap_inheritable;		/* bit n: capability n */
	__u64 cap_permitted;
	__u64 cap_effective;
	__u64 cap_bset;
	__u64 cap_ambient;
	struct bproc_rlimit rlim[BPROC_RLIMITS];
};

/* Payload of BPROC_MSG_PSTATUS: the process as the node sees it. */
struct bproc_msg_pstatus {
	__u8  state;			/* 'R', 'S', 'D', 'T', 't', 'Z', ... */
	__u8  __pad[3];
	__u32 threads;
	__u64 utime_ns;
	__u64 stime_ns;
	__u64 start_ns;			/* node CLOCK_BOOTTIME of its start */
	__u64 vsize;			/* bytes */
	__u64 rss;			/* bytes */
	__u64 minflt;
	__u64 majflt;
};

/* Payload of BPROC_MSG_EXIT. */
struct bproc_msg_exit {
	__s32 status;			/* raw wait status, as from wait4() */
	__u32 __pad;
	__u64 utime_ns;
	__u64 stime_ns;
};

/*
 * Pid leases (docs/ghosts.md, "Fork and threads on a node"). Processes
 * and threads created on a node by a process started for the master get
 * pid numbers the master reserved for that node: PIDS grants up to
 * BPROC_PIDS_MAX of them (count 0: none to spare now), PIDS_WANT asks
 * for more, PIDS_FREE hands back numbers the node no longer uses. These
 * carry no process: hdr.pid is 0.
 */
#define BPROC_PIDS_MAX		64

struct bproc_msg_pids {
	__u32 count;
	__u32 __pad;
	__s32 pids[BPROC_PIDS_MAX];	/* count of them, the rest 0 */
};

/*
 * Payload of BPROC_MSG_FORK: hdr.pid (a leased number) is a new child
 * process of @ppid on the node. @node_pid is its pid in the namespace of
 * the bpslave that reads the event from the module; the master ignores it.
 */
struct bproc_msg_fork {
	__s32 ppid;
	__s32 node_pid;
};

/*
 * Payload of BPROC_MSG_EXEC: the process hdr.pid runs another program
 * (or changed its name): the ghost shows it. @args holds @argc strings,
 * each NUL-terminated, in @len bytes (its /proc/PID/cmdline, cut after
 * the last whole string that fits); the rest of @args is 0.
 */
#define BPROC_EXEC_ARGS_MAX	4096

struct bproc_msg_exec {
	char  comm[16];			/* NUL-terminated */
	__u32 argc;
	__u32 len;
	char  args[BPROC_EXEC_ARGS_MAX];
};

/*
 * Every process message type in one table, indexed by type: the size of
 * its payload (REXEC's is followed by its groups and strings) and the
 * direction it travels (BPROC_MSG_TO_NODE: from the master's module to a
 * node; BPROC_MSG_TO_MASTER: from a node to the master's module). The
 * module's routing table and the daemons' wire codec are both
 * initialised from BPROC_MSG_KINDS, so the two cannot disagree on a size.
 */
#define BPROC_MSG_TO_NODE	1
#define BPROC_MSG_TO_MASTER	2

struct bproc_msg_kind {
	__u32 size;
	__u32 dir;
};

#define BPROC_MSG_KINDS {						\
	[BPROC_MSG_REXEC] =						\
		{ sizeof(struct bproc_msg_rexec), BPROC_MSG_TO_NODE },	\
	[BPROC_MSG_REXEC_RESULT] = { sizeof(__s32), BPROC_MSG_TO_MASTER }, \
	[BPROC_MSG_SIGNAL] =						\
		{ sizeof(struct bproc_signal), BPROC_MSG_TO_NODE },	\
	[BPROC_MSG_PSTATUS] =						\
		{ sizeof(struct bproc_msg_pstatus), BPROC_MSG_TO_MASTER }, \
	[BPROC_MSG_STOP] = { sizeof(__s32), BPROC_MSG_TO_MASTER },	\
	[BPROC_MSG_CONT] = { 0, BPROC_MSG_TO_MASTER },			\
	[BPROC_MSG_EXIT] =						\
		{ sizeof(struct bproc_msg_exit), BPROC_MSG_TO_MASTER },	\
	[BPROC_MSG_PIDS] =						\
		{ sizeof(struct bproc_msg_pids), BPROC_MSG_TO_NODE },	\
	[BPROC_MSG_PIDS_WANT] = { sizeof(__u32), BPROC_MSG_TO_MASTER },	\
	[BPROC_MSG_PIDS_FREE] =						\
		{ sizeof(struct bproc_msg_pids), BPROC_MSG_TO_MASTER },	\
	[BPROC_MSG_FORK] =						\
		{ sizeof(struct bproc_msg_fork), BPROC_MSG_TO_MASTER },	\
	[BPROC_MSG_EXEC] =						\
		{ sizeof(struct bproc_msg_exec), BPROC_MSG_TO_MASTER },	\
}

#define BPROC_IOC_MAGIC		0xB7

#define BPROC_IOC_VERSION	_IOR(BPROC_IOC_MAGIC, 0x00, struct bproc_version)
#define BPROC_IOC_MASTER	_IOW(BPROC_IOC_MAGIC, 0x01, struct bproc_master_cfg)
#define BPROC_IOC_NODE_SET	_IOW(BPROC_IOC_MAGIC, 0x02, struct bproc_node_info)
#define BPROC_IOC_NODE_GET	_IOWR(BPROC_IOC_MAGIC, 0x03, struct bproc_node_info)
#define BPROC_IOC_NODE_COUNT	_IOR(BPROC_IOC_MAGIC, 0x04, __u32)
#define BPROC_IOC_SLAVE		_IOW(BPROC_IOC_MAGIC, 0x05, struct bproc_slave_cfg)
#define BPROC_IOC_SLAVE_GET	_IOR(BPROC_IOC_MAGIC, 0x06, struct bproc_slave_cfg)
#define BPROC_IOC_CURRNODE	_IOR(BPROC_IOC_MAGIC, 0x07, __s32)
#define BPROC_IOC_NODE_CTL	_IOW(BPROC_IOC_MAGIC, 0x08, struct bproc_node_ctl)
#define BPROC_IOC_NODE_CTL_DONE	_IOW(BPROC_IOC_MAGIC, 0x09, struct bproc_node_ctl_done)
#define BPROC_IOC_REXEC		_IOW(BPROC_IOC_MAGIC, 0x10, struct bproc_rexec)
#define BPROC_IOC_MASQ		_IOW(BPROC_IOC_MAGIC, 0x11, struct bproc_masq)
#define BPROC_IOC_SIGNAL	_IOW(BPROC_IOC_MAGIC, 0x12, struct bproc_signal)

#endif /* _UAPI_LINUX_BPROC_H */
