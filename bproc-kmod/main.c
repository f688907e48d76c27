// SPDX-License-Identifier: GPL-2.0
/*
 * bproc: Beowulf Distributed Process Space for Linux -- module entry.
 */

#include <linux/init.h>
#include <linux/module.h>

#include "dev.h"
#include "hooks.h"
#include "nodes.h"
#include "version.h"

static int __init bproc_init(void)
{
	int err;

	err = bproc_hooks_init();
	if (err)
		return err;
	err = bproc_dev_init();
	if (err) {
		bproc_hooks_exit();
		return err;
	}
	pr_info("version %s loaded (ABI %d)\n", BPROC_MODULE_VERSION,
		BPROC_ABI_VERSION);
	return 0;
}

static void __exit bproc_exit(void)
{
	bproc_dev_exit();
	bproc_hooks_exit();
	bproc_nodes_cleanup();
	pr_info("unloaded\n");
}

module_init(bproc_init);
module_exit(bproc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("bproc: Beowulf Distributed Process Space");
MODULE_AUTHOR("bproc developers <bproc-devel@lists.bproc.dev>");
MODULE_VERSION(BPROC_MODULE_VERSION);
