// SPDX-License-Identifier: GPL-2.0
/*
 * bproc: Beowulf Distributed Process Space for Linux -- module entry.
 *
 * Each part that needs it has a paired init and uninit; bproc_mod_init()
 * runs the inits in order and, when one fails, the uninits of those done
 * in reverse order; bproc_mod_exit() runs every uninit in reverse order.
 */

#include <linux/init.h>
#include <linux/module.h>

#include "dev.h"
#include "hooks.h"
#include "msg.h"
#include "nodes.h"
#include "version.h"

static int __init bproc_mod_init(void)
{
	int ret;

	bproc_msg_init();
	ret = bproc_nodes_init();
	if (ret < 0)
		goto err_nodes;
	ret = bproc_hooks_init();
	if (ret < 0)
		goto err_hooks;
	ret = bproc_dev_init();
	if (ret < 0)
		goto err_dev;

	pr_info("version %s loaded (ABI %d)\n", BPROC_MODULE_VERSION,
		BPROC_ABI_VERSION);
	return 0;

err_dev:
	bproc_hooks_uninit();
err_hooks:
	bproc_nodes_uninit();
err_nodes:
	bproc_msg_uninit();
	return ret;
}

static void __exit bproc_mod_exit(void)
{
	bproc_dev_uninit();
	bproc_hooks_uninit();
	bproc_nodes_uninit();
	bproc_msg_uninit();
	pr_info("unloaded\n");
}

module_init(bproc_mod_init);
module_exit(bproc_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("bproc: Beowulf Distributed Process Space");
MODULE_AUTHOR("bproc developers <bproc-devel@lists.bproc.dev>");
MODULE_VERSION(BPROC_MODULE_VERSION);
