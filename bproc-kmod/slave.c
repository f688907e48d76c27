// SPDX-License-Identifier: GPL-2.0
/*
 * Node-side instances (bpslave's view of the module): which node this
 * instance is and where its master is. Each instance lives exactly as
 * long as the /dev/bproc file that created it.
 */

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>

#include "slave.h"

/* Instance ids: masq.c tells the processes of one instance by it. */
static atomic64_t bproc_slave_ids = ATOMIC64_INIT(0);

/**
 * bproc_slave_check - validate a configuration from user space
 * @cfg: the configuration (size already checked by the caller)
 *
 * Return: 0, or -EINVAL for a node number outside 0..BPROC_NODES_MAX-1,
 * a master address family other than AF_INET/AF_INET6, non-zero bytes
 * past the address, or port 0.
 */
int bproc_slave_check(const struct bproc_slave_cfg *cfg)
{
	size_t alen;

	if (cfg->node < 0 || cfg->node >= BPROC_NODES_MAX)
		return -EINVAL;
	switch (cfg->master_family) {
	case AF_INET:
		alen = 4;
		break;
	case AF_INET6:
		alen = 16;
		break;
	default:
		return -EINVAL;
	}
	if (memchr_inv(cfg->master_addr + alen, 0,
		       sizeof(cfg->master_addr) - alen))
		return -EINVAL;
	if (cfg->master_port == 0)
		return -EINVAL;
	return 0;
}

/* Store a checked configuration; the caller holds the file's lock. */
void bproc_slave_configure(struct bproc_slave *slave,
			   const struct bproc_slave_cfg *cfg)
{
	slave->cfg = *cfg;
	slave->cfg.size = sizeof(slave->cfg);
}

/**
 * bproc_slave_create - a new instance with a checked configuration
 * @cfg: configuration that passed bproc_slave_check()
 *
 * Return: the instance or ERR_PTR(-ENOMEM).
 */
struct bproc_slave *bproc_slave_create(const struct bproc_slave_cfg *cfg)
{
	struct bproc_slave *slave;

	slave = kzalloc(sizeof(*slave), GFP_KERNEL);
	if (!slave)
		return ERR_PTR(-ENOMEM);
	bproc_slave_configure(slave, cfg);
	slave->id = atomic64_inc_return(&bproc_slave_ids);
	return slave;
}

/* Free an instance; NULL is allowed. */
void bproc_slave_destroy(struct bproc_slave *slave)
{
	kfree(slave);
}
