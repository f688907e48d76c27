/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /etc/bproc/config parser (docs/config.md). Parsing is pure code over a
 * text buffer; errors come back as -errno plus a message "FILE:LINE:
 * problem" in a caller's buffer. Addresses are IPv4 in host byte order.
 */
#ifndef BP_CONFIG_H
#define BP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BP_CFG_PATH		"/etc/bproc/config"
#define BP_CFG_BOOTDIR		"/run/bproc/boot"
#define BP_CFG_KEYFILE		"/etc/bproc/cluster.key"
#define BP_CFG_PINGINTERVAL	5
#define BP_CFG_PINGTIMEOUT	30
#define BP_CFG_NODEUPTIMEOUT	60	/* seconds each node_up script may take */
#define BP_CFG_SECONDS_MAX	3600	/* pinginterval, pingtimeout */
#define BP_CFG_PATH_LEN		256	/* with NUL */
#define BP_CFG_IFNAME_LEN	16	/* IFNAMSIZ */
#define BP_CFG_BOOTARGS_LEN	512	/* with NUL */
#define BP_CFG_MAX_BYTES	(1u << 20)	/* largest config file */
#define BP_CFG_LIBRARIES_MAX	1024	/* libraries paths */

enum bp_boot {
	BP_BOOT_HTTP,
	BP_BOOT_TFTP,
};

struct bp_cfg_range {
	uint32_t first_node;
	uint32_t start;		/* first address */
	uint32_t end;		/* last address, inclusive */
	unsigned int line;
};

struct bp_cfg_node {
	uint32_t node;
	uint8_t  hwaddr[6];
	enum bp_boot boot;
	unsigned int line;
};

/* A nodeperm line: nodes first..last come up with this owner and mode. */
struct bp_cfg_perm {
	uint32_t first, last;
	uint32_t mode;		/* 0..0777; the execute bits matter */
	uint32_t uid, gid;
	unsigned int line;
};

struct bp_cfg {
	bool     has_interface;
	char     ifname[BP_CFG_IFNAME_LEN];
	uint32_t if_addr;
	unsigned int if_prefix;		/* 1..32 */
	uint16_t port;
	unsigned int ping_interval;	/* seconds */
	unsigned int ping_timeout;	/* seconds */
	char     bootimage[BP_CFG_PATH_LEN];	/* "" when not given */
	char     bootdir[BP_CFG_PATH_LEN];
	char     bootargs[BP_CFG_BOOTARGS_LEN];	/* extra node kernel args */
	struct bp_cfg_range *ranges;	/* in file order */
	size_t   nranges;
	struct bp_cfg_node *nodes;	/* in file order */
	size_t   nnodes;
	uint32_t node_count;		/* highest node number + 1 */
	char   **libraries;		/* shipped with every bpsh job */
	size_t   nlibraries;
	bool     auth_none;		/* "auth none": nodes by address only */
	char     keyfile[BP_CFG_PATH_LEN];	/* the cluster key file */
	struct bp_cfg_perm *perms;	/* nodeperm lines, in file order */
	size_t   nperms;
	char     nodeup[BP_CFG_PATH_LEN];	/* node_up scripts, "" for none */
	unsigned int nodeup_timeout;	/* seconds, each script */
};

/*
 * Parse @len bytes of @text; @name is the file name for messages. On
 * success fills @cfg (release with bp_cfg_free()) and returns 0; on error
 * returns -EINVAL (bad content) or -ENOMEM, leaves @cfg empty and writes
 * the reason to @err.
 */
int bp_cfg_parse(struct bp_cfg *cfg, const char *text, size_t len,
		 const char *name, char *err, size_t errlen);

/* Read and parse the file @path; -errno of open/read as well. */
int bp_cfg_load(struct bp_cfg *cfg, const char *path, char *err, size_t errlen);

void bp_cfg_free(struct bp_cfg *cfg);

/* Node number of address @addr, or -ENOENT when no iprange holds it. */
int bp_cfg_node_of_addr(const struct bp_cfg *cfg, uint32_t addr);

/* Address of node @node into @addr; -ENOENT when it has none. */
int bp_cfg_addr_of_node(const struct bp_cfg *cfg, uint32_t node, uint32_t *addr);

/* The `node` line of @node, or NULL. */
const struct bp_cfg_node *bp_cfg_node_find(const struct bp_cfg *cfg,
					   uint32_t node);

/*
 * The owner, group and mode node @node has when it comes up: the last
 * nodeperm line naming it, else root:root 0111.
 */
void bp_cfg_node_perm(const struct bp_cfg *cfg, uint32_t node, uint32_t *mode,
		      uint32_t *uid, uint32_t *gid);

/* Netmask of the interface's prefix, host byte order. */
static inline uint32_t bp_cfg_netmask(const struct bp_cfg *cfg)
{
	return cfg->if_prefix ? ~0u << (32 - cfg->if_prefix) : 0;
}

#endif /* BP_CONFIG_H */
