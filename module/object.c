// SPDX-License-Identifier: GPL-2.0
/*
 * object.c - a lab object: creation, configuration, mmap dispatch,
 * reference counting, statistics and destruction.
 *
 * An object is created by open() and lives while its file or any VMA
 * holds a reference.  This file owns the object's configuration and its
 * charge to the budgets (budget.c); it must not look at page tables or at
 * the way a backing provides pages (backing_*.c).  An object joins the
 * module-wide list of events.c when it is created and leaves it when it
 * dies (the CREATED and DESTROYED events).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/stddef.h>

#include "mmaplab.h"

/* Adding a backing: its file, its line here, its value in the uapi enum. */
static const struct mmaplab_backing_ops *const mmaplab_backings[] = {
	[MMAPLAB_BACKING_PAGES]	= &mmaplab_backing_pages,
	[MMAPLAB_BACKING_SHMEM]	= &mmaplab_backing_shmem,
	[MMAPLAB_BACKING_ZERO]	= &mmaplab_backing_zero,
	[MMAPLAB_BACKING_PFN]	= &mmaplab_backing_pfn,
};

static atomic64_t mmaplab_last_id = ATOMIC64_INIT(0);

struct mmaplab_obj *mmaplab_obj_create(struct file *file)
{
	struct mmaplab_obj *obj;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return NULL;
	obj->cnt = alloc_percpu_gfp(struct mmaplab_counters,
				    GFP_KERNEL_ACCOUNT);
	if (!obj->cnt) {
		kfree(obj);
		return NULL;
	}
	obj->inode = mmaplab_fs_new_inode();
	if (IS_ERR(obj->inode)) {
		free_percpu(obj->cnt);
		kfree(obj);
		return NULL;
	}
	obj->file = file;
	obj->id = atomic64_inc_return(&mmaplab_last_id);
	kref_init(&obj->ref);
	mutex_init(&obj->lock);
	init_rwsem(&obj->inval);
	xa_init(&obj->pages);
	atomic_long_set(&obj->resident, 0);
	atomic_long_set(&obj->vmas_live, 0);
	spin_lock_init(&obj->ev_lock);
	INIT_LIST_HEAD(&obj->subs);
	INIT_LIST_HEAD(&obj->vmas);
	atomic64_set(&obj->ev_seq, 0);
	atomic64_set(&obj->ev_lost, 0);
	atomic_long_inc(&mmaplab_live_objects);
	mmaplab_events_obj_add(obj);
	return obj;
}

void mmaplab_obj_get(struct mmaplab_obj *obj)
{
	kref_get(&obj->ref);
}

/* Give back everything a configuration holds: pages, bitmaps, budget. */
static void mmaplab_obj_unconfigure(struct mmaplab_obj *obj)
{
	if (!obj->configured)
		return;
	if (obj->ops->teardown)
		obj->ops->teardown(obj);
	bitmap_free(obj->guard);
	bitmap_free(obj->dirty);
	obj->guard = NULL;
	obj->dirty = NULL;
	obj->ops = NULL;
	obj->configured = false;
}

static void mmaplab_obj_release(struct kref *ref)
{
	struct mmaplab_obj *obj = container_of(ref, struct mmaplab_obj, ref);

	mmaplab_events_obj_del(obj);
	if (obj->configured)
		mmaplab_budget_release(obj->charged_uid, obj->nr_pages);
	mmaplab_obj_unconfigure(obj);
	iput(obj->inode);
	mutex_destroy(&obj->lock);
	free_percpu(obj->cnt);
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

/*
 * Configure, or configure again until the first mmap().  Everything the
 * new configuration needs is made before the old one is given back, so a
 * failure leaves the object as it was.
 */
int mmaplab_obj_configure(struct mmaplab_obj *obj,
			  const struct mmaplab_config *cfg)
{
	const struct mmaplab_backing_ops *ops;
	unsigned long *guard, *dirty;
	kuid_t uid = current_euid();
	void *priv = NULL;
	int ret;

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
	ret = mmaplab_budget_swap(obj->charged_uid,
				  obj->configured ? obj->nr_pages : 0,
				  uid, cfg->nr_pages,
				  capable(CAP_SYS_RESOURCE));
	if (ret)
		goto out_unlock;
	if (ops->setup) {
		priv = ops->setup(cfg->nr_pages);
		if (IS_ERR(priv)) {
			ret = PTR_ERR(priv);
			mmaplab_budget_swap(uid, cfg->nr_pages, obj->charged_uid,
					    obj->configured ? obj->nr_pages : 0,
					    true);
			goto out_unlock;
		}
	}

	mmaplab_obj_unconfigure(obj);
	obj->ops = ops;
	obj->priv = priv;
	obj->charged_uid = uid;
	obj->backing = cfg->backing;
	obj->flags = cfg->flags;
	obj->nr_pages = cfg->nr_pages;
	obj->guard = guard;
	obj->dirty = dirty;
	guard = NULL;
	dirty = NULL;
	i_size_write(obj->inode, (loff_t)obj->nr_pages << PAGE_SHIFT);
	if (mmaplab_injected(MMAPLAB_BUG_LEAK))
		obj->lost = kmalloc(256, GFP_KERNEL);
	obj->configured = true;
out_unlock:
	mutex_unlock(&obj->lock);
	if (!ret)
		mmaplab_emit_obj(obj, MMAPLAB_EV_CONFIGURED);
out_free:
	bitmap_free(guard);
	bitmap_free(dirty);
	return ret;
}

/* The configuration is frozen by the first mmap() that succeeds. */
int mmaplab_obj_mmap(struct mmaplab_obj *obj, struct vm_area_struct *vma)
{
	int ret = -EINVAL;

	mutex_lock(&obj->lock);
	if (obj->configured) {
		ret = obj->ops->mmap(obj, vma);
		if (!ret) {
			obj->mapped = true;
			mmaplab_count(obj, MMAPLAB_CNT_MMAPS);
			mmaplab_emit_vma(obj, MMAPLAB_EV_MMAP, vma, 0, 0, 0);
		}
	}
	mutex_unlock(&obj->lock);
	return ret;
}

/* Where each counter goes in struct mmaplab_stats. */
#define STAT(c, field) \
	[MMAPLAB_CNT_##c] = offsetof(struct mmaplab_stats, field)
static const size_t mmaplab_stat_field[MMAPLAB_NR_COUNTERS] = {
	STAT(MMAPS, mmaps),
	STAT(VMA_OPENS, vma_opens),
	STAT(VMA_CLOSES, vma_closes),
	STAT(FAULTS, faults),
	STAT(FAULTS_READ, faults_read),
	STAT(FAULTS_WRITE, faults_write),
	STAT(FAULTS_COW, faults_cow),
	STAT(FAULTS_SHARED, faults_shared),
	STAT(FAULTS_SIGBUS, faults_sigbus),
	STAT(PAGES_ALLOCATED, pages_allocated),
	STAT(MAY_SPLITS, may_splits),
	STAT(MREMAPS, mremaps),
	STAT(MPROTECTS, mprotects),
	STAT(MAP_PAGES, map_pages),
	STAT(MAP_PAGES_MAPPED, map_pages_mapped),
	STAT(PAGE_MKWRITES, page_mkwrites),
	STAT(PFN_MKWRITES, pfn_mkwrites),
	STAT(ACCESSES, accesses),
	STAT(FAULTS_SIGSEGV, faults_sigsegv),
	STAT(INVALIDATIONS, invalidations),
	STAT(PAGES_REPLACED, pages_replaced),
	STAT(FAULTS_RETRIED, faults_retried),
};

#undef STAT

/* A counter: the sum of every CPU's share (a snapshot, not a cut). */
static u64 mmaplab_counter_sum(struct mmaplab_obj *obj, enum mmaplab_counter c)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(obj->cnt, cpu)->v[c];
	return sum;
}

static u64 *mmaplab_stat(struct mmaplab_stats *st, enum mmaplab_counter c)
{
	return (u64 *)((char *)st + mmaplab_stat_field[c]);
}

void mmaplab_obj_fill_stats(struct mmaplab_obj *obj, struct mmaplab_stats *st)
{
	kuid_t uid = current_euid();
	int c;

	mutex_lock(&obj->lock);
	st->backing = obj->backing;
	st->config_flags = obj->flags;
	st->nr_pages = obj->nr_pages;
	if (obj->configured) {
		st->pages_dirty = bitmap_weight(obj->dirty, obj->nr_pages);
		st->pages_guarded = bitmap_weight(obj->guard, obj->nr_pages);
		st->pages_resident = obj->ops->resident(obj);
	}
	mutex_unlock(&obj->lock);

	st->abi_version = MMAPLAB_ABI_VERSION;
	st->object_id = obj->id;
	for (c = 0; c < MMAPLAB_NR_COUNTERS; c++)
		*mmaplab_stat(st, c) = mmaplab_counter_sum(obj, c);
	st->vmas_live = atomic_long_read(&obj->vmas_live);

	st->live_objects = atomic_long_read(&mmaplab_live_objects);
	st->live_pages = atomic_long_read(&mmaplab_live_pages);
	st->max_pages = READ_ONCE(mmaplab_max_pages);
	st->max_total_pages = READ_ONCE(mmaplab_max_total_pages);
	st->reserved_pages = mmaplab_budget_total();
	st->max_user_pages = READ_ONCE(mmaplab_max_user_pages);
	st->user_reserved_pages = mmaplab_budget_user(uid);
}

/*
 * MMAPLAB_STATS_RESET, once the figures reached the caller: subtract what
 * was reported, so that events counted meanwhile are not lost.
 */
void mmaplab_obj_reset_stats(struct mmaplab_obj *obj,
			     const struct mmaplab_stats *st)
{
	int c;

	/* Per-CPU shares only add up: taking it all from this CPU's is fine. */
	for (c = 0; c < MMAPLAB_NR_COUNTERS; c++)
		this_cpu_sub(obj->cnt->v[c],
			     *mmaplab_stat((struct mmaplab_stats *)st, c));
}
