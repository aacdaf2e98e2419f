// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - module entry points, parameters and module-wide accounting.
 *
 * Owns the per-object limit (max_pages) and the live counts that tests
 * check return to zero; the budgets are in budget.c.  The device and its ioctls are in dev.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>

#include "mmaplab.h"

/* Sized so that a 512 MiB test VM survives any sequence of requests. */
unsigned long mmaplab_max_pages = 16384;		/* 64 MiB */
module_param_named(max_pages, mmaplab_max_pages, ulong, 0644);
MODULE_PARM_DESC(max_pages, "Largest lab object, in pages (default 16384)");

atomic_long_t mmaplab_live_objects = ATOMIC_LONG_INIT(0);
atomic_long_t mmaplab_live_pages = ATOMIC_LONG_INIT(0);

static int __init mmaplab_init(void)
{
	int ret;

	ret = mmaplab_fs_init();
	if (ret) {
		pr_err("cannot mount the internal filesystem: %d\n", ret);
		return ret;
	}
	mmaplab_inspect_init();
	ret = mmaplab_store_init();
	if (ret) {
		pr_err("cannot allocate the page store's workqueue: %d\n", ret);
		goto out_fs;
	}
	ret = mmaplab_events_init();
	if (ret) {
		pr_err("cannot register the generic netlink family: %d\n", ret);
		goto out_store;
	}
	ret = mmaplab_dev_register();
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", MMAPLAB_DEVICE_NAME, ret);
		goto out_events;
	}
	pr_info("ready: /dev/%s, max_pages %lu, max_total_pages %lu, max_user_pages %lu\n",
		MMAPLAB_DEVICE_NAME, mmaplab_max_pages, mmaplab_max_total_pages,
		mmaplab_max_user_pages);
	if (!mmaplab_injected(MMAPLAB_BUG_NONE))
		pr_notice("test build with injected fault %d: not for real use\n",
			  MMAPLAB_INJECT_BUG);
	return 0;

out_events:
	mmaplab_events_exit();
out_store:
	mmaplab_store_exit();
out_fs:
	mmaplab_fs_exit();
	return ret;
}

static void __exit mmaplab_exit(void)
{
	mmaplab_dev_unregister();
	mmaplab_events_exit();
	mmaplab_fs_exit();
	mmaplab_store_exit();
	/*
	 * .owner pins the module while any file exists, and every VMA that
	 * carries the module's vm_operations holds the file (vma.c).
	 */
	WARN_ON(atomic_long_read(&mmaplab_live_objects));
	WARN_ON(atomic_long_read(&mmaplab_live_pages));
	mmaplab_budget_exit();
}

module_init(mmaplab_init);
module_exit(mmaplab_exit);

MODULE_DESCRIPTION("mmaplab: a laboratory for Linux memory mappings");
MODULE_LICENSE("GPL");
