/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nodeinit: PID 1 of a bproc node. One context struct is passed to
 * every part; each part lives in its own file:
 *
 *   mounts.c     proc, sysfs, devtmpfs, devpts, tmpfs mounts
 *   cmdline.c    bproc.* kernel command line options (pure)
 *   net.c        loopback, picking the interface, the DHCP client
 *   vnode.c      virtual nodes: a network namespace and macvlan each
 *   dhcpenv.c    /run/bproc/dhcp.env written by the udhcpc script (pure)
 *   module.c     finit_module() of bproc.ko
 *   file.c       reading and writing small files
 *   sysctl.c     /proc/sys writes (the kernel.pid_max hook)
 *   supervise.c  starting, reaping and restarting programs
 *   wstatus.c    wait statuses in words (pure)
 *   power.c      reboot, halt, power off
 *   main.c       the boot sequence and the event loop
 *
 * Logging, the clock, restart backoff and the event loop are the
 * daemons' own (core/): console lines "[ time] nodeinit: ...".
 *
 * Helpers return 0 or -errno and do not log; main.c and the event
 * handlers it calls write the log lines.
 */
#ifndef NODEINIT_H
#define NODEINIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "bp_log.h"
#include "bp_loop.h"
#include "bp_time.h"
#include "cmdline.h"
#include "dhcpenv.h"

#define NI_NAME			"nodeinit"

/* Paths inside the node image (bootimg/ puts the files there). */
#define NI_BPSLAVE		"/sbin/bpslave"
#define NI_MODULE		"/lib/modules/bproc.ko"
#define NI_SHELL		"/bin/sh"
#define NI_UDHCPC		"udhcpc"	/* busybox applet, via PATH */
#define NI_UDHCPC_SCRIPT	"/etc/udhcpc.script"
#define NI_RUN_DIR		"/run/bproc"
#define NI_DHCP_ENV_NAME	"dhcp.env"
#define NI_DHCP_ENV		NI_RUN_DIR "/" NI_DHCP_ENV_NAME
#define NI_VNODE_HOST		"vnhost"	/* see vnode.c */
#define NI_PATH			"/sbin:/bin:/usr/sbin:/usr/bin"

/*
 * Exit statuses of bpslave --virtual on the master's requests (bpslave(8);
 * BPS_EXIT_* in bpslave/bpslave.h: keep the numbers the same).
 */
#define NI_BPSLAVE_EXIT_REBOOT		3
#define NI_BPSLAVE_EXIT_HALT		4
#define NI_BPSLAVE_EXIT_POWEROFF	5

/* How long to wait for the first network interface to show up. */
#define NI_IFACE_WAIT_MS	5000
/* How long processes get between SIGTERM and SIGKILL at shutdown. */
#define NI_STOP_GRACE_MS	3000

enum ni_svc_id {
	NI_SVC_UDHCPC,
	NI_SVC_BPSLAVE,
	NI_SVC_SHELL,
	NI_SVC_COUNT
};

struct ni_ctx;

/* A supervised program. */
struct ni_service {
	struct bp_timer restart;	/* first: the next start is due */
	struct ni_ctx *ctx;
	const char *name;		/* in log lines */
	const char *argv[16];		/* argv[0] is the program; NULL-terminated */
	const char *env;		/* NAME=VALUE added to its environment */
	int netns;			/* network namespace to run in, or -1 */
	bool on_tty;			/* console as controlling tty and stdin */
	bool vnode;			/* a virtual node's bpslave: ni_vnode_exit() */
	bool wanted;			/* restart it when it exits */
	pid_t pid;			/* 0 while not running */
	uint64_t started_ms;		/* monotonic, last start */
	unsigned int delay_ms;		/* delay before the last restart */
};

enum ni_power_cmd {
	NI_POWER_NONE,
	NI_POWER_REBOOT,
	NI_POWER_HALT,
	NI_POWER_OFF,
};

struct ni_ctx {
	int console;			/* log fd, close-on-exec */
	struct bp_log log;		/* on the console */
	struct bp_loop loop;
	bool debug;
	struct ni_cmdline cl;
	char iface[NI_IFNAME_LEN];	/* "" if none was found */
	bool module_ok;			/* bproc.ko loaded (or not wanted) */
	bool have_lease;
	bool ever_leased;
	struct ni_lease lease;
	char hostname[NI_HOSTNAME_LEN + 1];	/* last set from DHCP */
	struct ni_service svc[NI_SVC_COUNT];
	struct ni_vnode *vnodes;	/* cl.vnodes of them once started */
	unsigned int nvnodes;
	int vnhost;			/* ifindex of NI_VNODE_HOST, 0: none */
};

/* A virtual node: its namespace and its two services. */
struct ni_vnode {
	unsigned int index;		/* 1..NI_VNODES_MAX */
	int netns;
	char name[16];			/* "vnode3": in log lines */
	char env[64];			/* BPROC_DHCP_ENV=... for its udhcpc */
	char cache_size[24];		/* its bpslave's --cache-size */
	struct ni_service dhcp;
	struct ni_service bpslave;
	struct in_addr routed;		/* its address routed via vnhost */
};

/* Console log lines, through the daemons' logger. */
#define ni_log(ctx, ...)	bp_log(&(ctx)->log, LOG_INFO, __VA_ARGS__)
#define ni_debug(ctx, ...)	bp_debug(&(ctx)->log, __VA_ARGS__)

/* mounts.c */
struct ni_mount_error {
	const char *target;
	const char *step;		/* "mkdir", "mount", "symlink" */
	int err;			/* negative errno */
};
int ni_mount_all(struct ni_mount_error *errs, unsigned int max,
		 unsigned int *nerrs);

/* net.c */
int ni_link_up(const char *ifname);
int ni_find_iface(char *name, size_t size);
int ni_wait_iface(char *name, size_t size, unsigned int timeout_ms);

/* vnode.c */
/* What the supervisor does when a virtual node's bpslave exits. */
enum ni_vnode_exit {
	NI_VEXIT_RESTART,	/* an ordinary exit: restart with backoff */
	NI_VEXIT_REBOOT,	/* the master rebooted it: restart at once */
	NI_VEXIT_HALT,		/* halted: stays down until the machine reboots */
	NI_VEXIT_POWEROFF,	/* powered off: the same */
};
enum ni_vnode_exit ni_vnode_exit(int wstatus);
void ni_vnode_mac(const uint8_t mac[6], unsigned int index, uint8_t out[6]);
int ni_vnode_make(const char *lower, unsigned int index, int *nsfd,
		  const char **why);
int ni_vnode_host(const char *lower, int *ifindex);
int ni_vnode_route(int ifindex, struct in_addr dst, struct in_addr src);

/* module.c */
int ni_module_load(const char *path, const char *params, const char **step);

/* file.c */
int ni_read_file(const char *path, char *buf, size_t size, size_t *len);
int ni_write_file(const char *path, const char *text);

/* sysctl.c */
int ni_sysctl_write(const char *name, const char *value);
int ni_set_pid_max(unsigned int pid_max);

/* supervise.c */
void ni_svc_init(struct ni_ctx *ctx, struct ni_service *s, const char *name,
		 bool on_tty);
void ni_svc_enable(struct ni_ctx *ctx, struct ni_service *s);
void ni_reap(struct ni_ctx *ctx);

/* power.c */
const char *ni_power_name(enum ni_power_cmd cmd);
void ni_power(struct ni_ctx *ctx, enum ni_power_cmd cmd, const char *why)
	__attribute__((noreturn));
void ni_power_now(struct ni_ctx *ctx, enum ni_power_cmd cmd)
	__attribute__((noreturn));

#endif /* NODEINIT_H */
