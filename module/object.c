// SPDX-License-Identifier: GPL-2.0
/*
 * object.c - a lab object: creation, configuration, mmap dispatch,
 * reference counting, statistics and destruction.
 *
 * An object is created by open() and lives while its file or any VMA
 * holds a reference.  This file owns the object's configuration and the
 * module-wide budget; it must not look at page tables (vmops.c, ranges.c)
 * or at the way a backing provides pages (backing_*.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include "mmaplab.h"

static const struct mmaplab_backing_ops *const mmaplab_backings[] = {
	[MMAPLAB_BACKING_PAGES]	= &mmaplab_backing_pages,
	[MMAPLAB_BACKING_SHMEM]	= &mmaplab_backing_shmem,
	[MMAPLAB_BACKING_ZERO]	= &mmaplab_backing_zero,
	[MMAPLAB_BACKING_PFN]	= &mmaplab_backing_pfn,
};

struct mmaplab_obj *mmaplab_obj_create(void)
{
	struct mmaplab_obj *obj;
	int i;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return NULL;
	obj->inode = mmaplab_fs_new_inode();
	if (IS_ERR(obj->inode)) {
		kfree(obj);
		return NULL;
	}
	kref_init(&obj->ref);
	mutex_init(&obj->lock);
	init_rwsem(&obj->inval);
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

/* Undo what configuring set up (the reservation stays with the caller). */
static void mmaplab_obj_unconfigure(struct mmaplab_obj *obj)
{
	if (obj->ops && obj->ops->teardown)
		obj->ops->teardown(obj);
	bitmap_free(obj->guard);
	bitmap_free(obj->dirty);
	obj->guard = NULL;
	obj->dirty = NULL;
	obj->ops = NULL;
}

static void mmaplab_obj_release(struct kref *ref)
{
	struct mmaplab_obj *obj = container_of(ref, struct mmaplab_obj, ref);

	mmaplab_obj_unconfigure(obj);
	mmaplab_pages_release_all(obj);
	if (obj->configured)
		atomic_long_sub(obj->nr_pages, &mmaplab_reserved_pages);
	iput(obj->inode);
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
	const struct mmaplab_backing_ops *ops;
	unsigned long *guard, *dirty;
	int ret = 0;

	if (!cfg->backing || cfg->backing > MMAPLAB_BACKING_MAX)
		return -EINVAL;
	ops = mmaplab_backings[cfg->backing];
	if (cfg->flags & ~ops->flags)
		return -EINVAL;
	if (!cfg->nr_pages)
		return -EINVAL;
	if (cfg->nr_pages > READ_ONCE(mmaplab_max_pages))
		return -EFBIG;

	guard = bitmap_zalloc(cfg->nr_pages, GFP_KERNEL_ACCOUNT);
	dirty = bitmap_zalloc(cfg->nr_pages, GFP_KERNEL_ACCOUNT);
	if (!guard || !dirty) {
		ret = -ENOMEM;
		goto out_free;
	}

	mutex_lock(&obj->lock);
	if (obj->mapped) {
		ret = -EBUSY;
		goto out_unlock;
	}
	/* Reserve the new size before giving back the old one. */
	if (!mmaplab_reserve(cfg->nr_pages)) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	if (obj->configured) {
		mmaplab_obj_unconfigure(obj);
		atomic_long_sub(obj->nr_pages, &mmaplab_reserved_pages);
		obj->configured = false;
	}
	obj->ops = ops;
	obj->backing = cfg->backing;
	obj->flags = cfg->flags;
	obj->nr_pages = cfg->nr_pages;
	obj->guard = guard;
	obj->dirty = dirty;
	guard = NULL;
	dirty = NULL;
	i_size_write(obj->inode, (loff_t)obj->nr_pages << PAGE_SHIFT);
	ret = ops->setup ? ops->setup(obj) : 0;
	if (ret) {
		mmaplab_obj_unconfigure(obj);
		atomic_long_sub(cfg->nr_pages, &mmaplab_reserved_pages);
		goto out_unlock;
	}
	if (mmaplab_injected(MMAPLAB_BUG_LEAK))
		obj->lost = kmalloc(256, GFP_KERNEL);
	obj->configured = true;
out_unlock:
	mutex_unlock(&obj->lock);
out_free:
	bitmap_free(guard);
	bitmap_free(dirty);
	return ret;
}

int mmaplab_obj_mmap(struct mmaplab_obj *obj, struct vm_area_struct *vma)
{
	int ret;

	mutex_lock(&obj->lock);
	if (!obj->configured) {
		mutex_unlock(&obj->lock);
		return -EINVAL;
	}
	/* From here on the configuration is frozen. */
	obj->mapped = true;
	mutex_unlock(&obj->lock);

	ret = obj->ops->mmap(obj, vma);
	if (!ret)
		mmaplab_count(obj, MMAPLAB_CNT_MMAPS);
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
#define CNT(c) mmaplab_read_counter(obj, MMAPLAB_CNT_##c, reset)
	mutex_lock(&obj->lock);
	st->backing = obj->backing;
	st->config_flags = obj->flags;
	st->nr_pages = obj->nr_pages;
	if (obj->configured) {
		st->pages_dirty = bitmap_weight(obj->dirty, obj->nr_pages);
		st->pages_guarded = bitmap_weight(obj->guard, obj->nr_pages);
	}
	st->pages_resident = obj->shmem ? obj->shmem->f_mapping->nrpages :
					  atomic_long_read(&obj->resident);
	mutex_unlock(&obj->lock);

	st->abi_version = MMAPLAB_ABI_VERSION;
	st->mmaps = CNT(MMAPS);
	st->vma_opens = CNT(VMA_OPENS);
	st->vma_closes = CNT(VMA_CLOSES);
	st->faults = CNT(FAULTS);
	st->faults_read = CNT(FAULTS_READ);
	st->faults_write = CNT(FAULTS_WRITE);
	st->faults_cow = CNT(FAULTS_COW);
	st->faults_shared = CNT(FAULTS_SHARED);
	st->faults_sigbus = CNT(FAULTS_SIGBUS);
	st->pages_allocated = CNT(PAGES_ALLOCATED);
	st->may_splits = CNT(MAY_SPLITS);
	st->mremaps = CNT(MREMAPS);
	st->mprotects = CNT(MPROTECTS);
	st->map_pages = CNT(MAP_PAGES);
	st->map_pages_mapped = CNT(MAP_PAGES_MAPPED);
	st->page_mkwrites = CNT(PAGE_MKWRITES);
	st->pfn_mkwrites = CNT(PFN_MKWRITES);
	st->accesses = CNT(ACCESSES);
	st->faults_sigsegv = CNT(FAULTS_SIGSEGV);
	st->invalidations = CNT(INVALIDATIONS);
	st->pages_replaced = CNT(PAGES_REPLACED);
	st->vmas_live = atomic_long_read(&obj->vmas_live);
#undef CNT

	st->live_objects = atomic_long_read(&mmaplab_live_objects);
	st->live_pages = atomic_long_read(&mmaplab_live_pages);
	st->max_pages = READ_ONCE(mmaplab_max_pages);
	st->max_total_pages = READ_ONCE(mmaplab_max_total_pages);
	st->reserved_pages = atomic_long_read(&mmaplab_reserved_pages);
}
