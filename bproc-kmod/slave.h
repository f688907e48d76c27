/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_SLAVE_H
#define _BPROC_SLAVE_H

#include <linux/types.h>
#include <linux/bproc.h>

/*
 * A node-side instance: one per bpslave, owned by the /dev/bproc file
 * that bpslave registered with BPROC_IOC_SLAVE. A node kernel can host
 * several (virtual nodes); nothing about an instance is global.
 *
 * The owning file's lock (struct bproc_file.lock) protects every field.
 */
struct bproc_slave {
	struct bproc_slave_cfg cfg;	/* as last set by BPROC_IOC_SLAVE */
	u64 id;				/* unique per instance, never reused */
};

int bproc_slave_check(const struct bproc_slave_cfg *cfg);
struct bproc_slave *bproc_slave_create(const struct bproc_slave_cfg *cfg);
void bproc_slave_configure(struct bproc_slave *slave,
			   const struct bproc_slave_cfg *cfg);
void bproc_slave_destroy(struct bproc_slave *slave);

#endif /* _BPROC_SLAVE_H */
