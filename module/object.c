// SPDX-License-Identifier: GPL-2.0
/*
 * object.c - a lab object: creation, configuration, reference counting,
 * statistics and destruction.
 *
 * An object is created by open() and lives while its file or any VMA
 * holds a reference.  This file owns the object's configuration and the
 * module-wide budget; it must not look at page tables (vmops.c) or at the
 * way pages are allocated (backing_*.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "mmaplab.h"

struct mmaplab_obj *mmaplab_obj_create(void)
{
	struct mmaplab_obj *obj;
	int i;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return NULL;
	kref_init(&obj->ref);
	mutex_init(&obj->lock);
	xa_init(&obj->pages);
	atomic_long_set(&obj->resident, 0);
	atomic_long_set(&obj->vmas_live, 0);
	for (i = 0; i < MMAPLAB_NR_COUNTERS; i++)
		atomic64_set(&obj->cnt[i], 0);
	atomic_long_inc(&mmaplab_live_objects);
	return obj;
}

void mmaplab_obj_get(struct mmaplab_obj *obj)
{
	kref_get(&obj->ref);
}

static void mmaplab_obj_release(struct kref *ref)
{
	struct mmaplab_obj *obj = container_of(ref, struct mmaplab_obj, ref);

	mmaplab_pages_release_all(obj);
	if (obj->configured)
		atomic_long_sub(obj->nr_pages, &mmaplab_reserved_pages);
	mutex_destroy(&obj->lock);
	kfree(obj);
	if (mmaplab_injected(MMAPLAB_BUG_UAF) &&
	    READ_ONCE(obj->nr_pages) == ULONG_MAX)
		pr_info("freed object was impossibly large\n");
	atomic_long_dec(&mmaplab_live_objects);
}

void mmaplab_obj_put(struct mmaplab_obj *obj)
{
	kref_put(&obj->ref, mmaplab_obj_release);
}

/* Charge @nr pages to the module-wide budget; false if it is exhausted. */
static bool mmaplab_reserve(unsigned long nr)
{
	long total = atomic_long_add_return(nr, &mmaplab_reserved_pages);

	if (total < 0 || total > READ_ONCE(mmaplab_max_total_pages)) {
		atomic_long_sub(nr, &mmaplab_reserved_pages);
		return false;
	}
	return true;
}

int mmaplab_obj_configure(struct mmaplab_obj *obj,
			  const struct mmaplab_config *cfg)
{
	int ret = 0;

	if (cfg->backing != MMAPLAB_BACKING_PAGES)
		return -EINVAL;
	if (!cfg->nr_pages)
		return -EINVAL;
	if (cfg->nr_pages > READ_ONCE(mmaplab_max_pages))
		return -EFBIG;

	mutex_lock(&obj->lock);
	if (obj->mapped) {
		ret = -EBUSY;
		goto out;
	}
	/* Reserve the new size before giving back the old one. */
	if (!mmaplab_reserve(cfg->nr_pages)) {
		ret = -ENOSPC;
		goto out;
	}
	if (obj->configured)
		atomic_long_sub(obj->nr_pages, &mmaplab_reserved_pages);
	if (mmaplab_injected(MMAPLAB_BUG_LEAK))
		obj->lost = kmalloc(256, GFP_KERNEL);
	obj->backing = cfg->backing;
	obj->nr_pages = cfg->nr_pages;
	obj->configured = true;
out:
	mutex_unlock(&obj->lock);
	return ret;
}

static u64 mmaplab_read_counter(struct mmaplab_obj *obj,
				enum mmaplab_counter c, bool reset)
{
	return reset ? atomic64_xchg(&obj->cnt[c], 0) :
		       atomic64_read(&obj->cnt[c]);
}

void mmaplab_obj_fill_stats(struct mmaplab_obj *obj,
			    struct mmaplab_stats *st, bool reset)
{
	mutex_lock(&obj->lock);
	st->backing = obj->backing;
	st->nr_pages = obj->nr_pages;
	mutex_unlock(&obj->lock);

	st->abi_version = MMAPLAB_ABI_VERSION;
	st->mmaps = mmaplab_read_counter(obj, MMAPLAB_CNT_MMAPS, reset);
	st->vma_opens = mmaplab_read_counter(obj, MMAPLAB_CNT_VMA_OPENS, reset);
	st->vma_closes = mmaplab_read_counter(obj, MMAPLAB_CNT_VMA_CLOSES,
					      reset);
	st->faults = mmaplab_read_counter(obj, MMAPLAB_CNT_FAULTS, reset);
	st->faults_read = mmaplab_read_counter(obj, MMAPLAB_CNT_FAULTS_READ,
					       reset);
	st->faults_write = mmaplab_read_counter(obj, MMAPLAB_CNT_FAULTS_WRITE,
						reset);
	st->faults_cow = mmaplab_read_counter(obj, MMAPLAB_CNT_FAULTS_COW,
					      reset);
	st->faults_shared = mmaplab_read_counter(obj, MMAPLAB_CNT_FAULTS_SHARED,
						 reset);
	st->faults_sigbus = mmaplab_read_counter(obj, MMAPLAB_CNT_FAULTS_SIGBUS,
						 reset);
	st->pages_allocated =
		mmaplab_read_counter(obj, MMAPLAB_CNT_PAGES_ALLOCATED, reset);
	st->vmas_live = atomic_long_read(&obj->vmas_live);
	st->pages_resident = atomic_long_read(&obj->resident);

	st->live_objects = atomic_long_read(&mmaplab_live_objects);
	st->live_pages = atomic_long_read(&mmaplab_live_pages);
	st->max_pages = READ_ONCE(mmaplab_max_pages);
	st->max_total_pages = READ_ONCE(mmaplab_max_total_pages);
	st->reserved_pages = atomic_long_read(&mmaplab_reserved_pages);
}
