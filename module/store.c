// SPDX-License-Identifier: GPL-2.0
/*
 * store.c - the page store of backings pages and pfn.
 *
 * A page is allocated, zeroed and charged to the faulting task's memory
 * cgroup the first time any process touches its index, and kept until the
 * object is configured again or dies, or MMAPLAB_IOC_INVALIDATE replaces
 * it.  This file owns the store, the page locks range operations use to
 * wait for faults in progress, and the module's live-pages count; it must
 * not look at page tables.
 *
 * Rules (Documentation/design.rst, "Locking"):
 *  - pages enter the store only under obj->inval held for reading (a
 *    fault) or writing (replace), so a range operation holding it for
 *    writing sees every page a fault may be about to map;
 *  - a page leaves the store only under its page lock, so a fault that
 *    holds the lock and finds the page still stored may map it;
 *  - the store's reference to a page that left it is put only after an
 *    RCU grace period where fault-around may be on (it locks pages it
 *    found under RCU without taking a reference).
 */
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "mmaplab.h"

/*
 * Return the page at @index with a reference the caller owns, allocating
 * it on first use (then *@allocated, if given, is set).  The caller holds
 * obj->inval.
 */
struct page *mmaplab_store_get(struct mmaplab_obj *obj, pgoff_t index,
			       bool *allocated)
{
	struct page *page, *old;

	if (allocated)
		*allocated = false;
	page = xa_load(&obj->pages, index);
	if (page)
		goto found;

	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		return ERR_PTR(-ENOMEM);
	old = xa_cmpxchg(&obj->pages, index, NULL, page, GFP_KERNEL_ACCOUNT);
	if (xa_is_err(old)) {
		__free_page(page);
		return ERR_PTR(xa_err(old));
	}
	if (old) {
		/* Another fault on the same index won the race. */
		__free_page(page);
		page = old;
		goto found;
	}
	mmaplab_count(obj, MMAPLAB_CNT_PAGES_ALLOCATED);
	if (allocated)
		*allocated = true;
	atomic_long_inc(&obj->resident);
	atomic_long_inc(&mmaplab_live_pages);
found:
	/*
	 * obj->inval keeps replace away, so the store's reference keeps the
	 * page alive until this one is taken.
	 */
	if (!mmaplab_injected(MMAPLAB_BUG_NOGET))
		get_page(page);
	return page;
}

/* Is @page still the store's page at @index?  Caller holds the page lock. */
bool mmaplab_store_holds(struct mmaplab_obj *obj, pgoff_t index,
			 struct page *page)
{
	return xa_load(&obj->pages, index) == page;
}

/*
 * Wait for every fault that holds the lock of a stored page in the range:
 * it is mapping that page, and the caller's zap must come after.  Faults
 * that take a lock later see what the caller changed before.  Caller holds
 * obj->inval for writing.
 */
static void mmaplab_store_sync(struct mmaplab_obj *obj, pgoff_t first,
			       pgoff_t nr)
{
	unsigned long index;
	struct page *page;

	xa_for_each_range(&obj->pages, index, page, first, first + nr - 1) {
		lock_page(page);
		unlock_page(page);
		cond_resched();
	}
}

static void mmaplab_store_free_pages(struct page **pages, pgoff_t nr)
{
	pgoff_t i;

	for (i = 0; i < nr; i++)
		if (pages[i])
			put_page(pages[i]);
	kvfree(pages);
}

/*
 * The pages replace took out of the store (NULL where none was stored),
 * with what it takes to put them after an RCU grace period.
 */
struct mmaplab_old_pages {
	struct rcu_work rwork;
	pgoff_t nr;
	struct page *page[];
};

/* Puts old pages after their grace period; drained at module exit. */
static struct workqueue_struct *mmaplab_store_wq;

static void mmaplab_store_put_old(struct mmaplab_old_pages *old)
{
	pgoff_t i;

	for (i = 0; i < old->nr; i++) {
		if (old->page[i])
			put_page(old->page[i]);
		if (!(i % 1024))
			cond_resched();
	}
	kvfree(old);
}

static void mmaplab_store_put_old_work(struct work_struct *work)
{
	mmaplab_store_put_old(container_of(to_rcu_work(work),
					   struct mmaplab_old_pages, rwork));
}

int mmaplab_store_init(void)
{
	mmaplab_store_wq = alloc_workqueue("mmaplab_store",
					   WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return mmaplab_store_wq ? 0 : -ENOMEM;
}

/* Every file is closed: no replace can queue more.  Put what is queued. */
void mmaplab_store_exit(void)
{
	rcu_barrier();		/* queue_rcu_work()'s callbacks have queued */
	destroy_workqueue(mmaplab_store_wq);
}

/*
 * Give pages [first, first + nr) new content, every byte @fill.  All new
 * pages and all store slots are allocated first, so a failure changes
 * nothing.  Each old page leaves the store under its page lock; the old
 * pages are returned for the caller to put once their page-table entries
 * are zapped.  Caller holds obj->inval for writing.
 */
static struct mmaplab_old_pages *mmaplab_store_replace(struct mmaplab_obj *obj,
						       pgoff_t first, pgoff_t nr,
						       u8 fill)
{
	struct mmaplab_old_pages *old;
	struct page **new;
	pgoff_t i;
	int ret;

	new = kvcalloc(nr, sizeof(*new), GFP_KERNEL_ACCOUNT);
	old = kvzalloc(struct_size(old, page, nr), GFP_KERNEL_ACCOUNT);
	if (!new || !old)
		goto nomem;
	old->nr = nr;
	for (i = 0; i < nr; i++) {
		new[i] = alloc_page(GFP_KERNEL_ACCOUNT);
		if (!new[i])
			goto nomem;
		memset_page(new[i], 0, fill, PAGE_SIZE);
		ret = xa_reserve(&obj->pages, first + i, GFP_KERNEL_ACCOUNT);
		if (ret)
			goto nomem;
	}

	for (i = 0; i < nr; i++) {
		old->page[i] = xa_load(&obj->pages, first + i);
		if (old->page[i])
			lock_page(old->page[i]);
		/* The slot exists: no allocation, no failure. */
		xa_store(&obj->pages, first + i, new[i], GFP_NOWAIT);
		if (old->page[i]) {
			unlock_page(old->page[i]);
		} else {
			mmaplab_count(obj, MMAPLAB_CNT_PAGES_ALLOCATED);
			atomic_long_inc(&obj->resident);
			atomic_long_inc(&mmaplab_live_pages);
		}
	}
	kvfree(new);
	return old;

nomem:
	/* xa_release() drops a reservation only; stored pages stay. */
	if (new)
		for (i = 0; i < nr; i++)
			xa_release(&obj->pages, first + i);
	if (new)
		mmaplab_store_free_pages(new, nr);
	kvfree(old);
	return ERR_PTR(-ENOMEM);
}

/*
 * The range operations of the backings built on the store (pages, pfn).
 * Faults of backing pages map a stored page under its lock and back off
 * when obj->seq moved; those of pfn insert under obj->inval.  So: bump
 * obj->seq and take obj->inval (mmaplab_range_begin_write), change the
 * guards or the pages, wait for faults holding a page lock
 * (mmaplab_store_sync: a no-op wait for pfn), then zap; old pages are put
 * only after the zap, when no entry maps them.
 */
int mmaplab_store_guard(struct mmaplab_obj *obj, pgoff_t first, pgoff_t nr,
			bool install)
{
	mmaplab_range_begin_write(obj);
	if (install) {
		bitmap_set(obj->guard, first, nr);
		mmaplab_store_sync(obj, first, nr);
		/* Like MADV_GUARD_INSTALL: private copies go too. */
		mmaplab_zap(obj, obj->inode->i_mapping, first, nr, true);
	} else {
		bitmap_clear(obj->guard, first, nr);
	}
	up_write(&obj->inval);
	return 0;
}

int mmaplab_store_invalidate(struct mmaplab_obj *obj, pgoff_t first,
			     pgoff_t nr, bool replace, u8 fill)
{
	struct mmaplab_old_pages *old = NULL;

	mmaplab_range_begin_write(obj);
	if (replace) {
		old = mmaplab_store_replace(obj, first, nr, fill);
		if (IS_ERR(old)) {
			up_write(&obj->inval);
			return PTR_ERR(old);
		}
	} else {
		mmaplab_store_sync(obj, first, nr);
	}
	/* Private copies are the process's own data: they stay. */
	mmaplab_zap(obj, obj->inode->i_mapping, first, nr, false);
	up_write(&obj->inval);
	if (!old)
		return 0;
	/*
	 * Fault-around finds pages under RCU and locks them without a
	 * reference: it must be over before the old pages can be freed
	 * (backing_pages.c, mmaplab_pages_fa_lock()).  The pages are put
	 * after a grace period, by a worker: replace does not wait for it.
	 */
	if (obj->flags & MMAPLAB_CONFIG_FAULT_AROUND) {
		INIT_RCU_WORK(&old->rwork, mmaplab_store_put_old_work);
		queue_rcu_work(mmaplab_store_wq, &old->rwork);
	} else {
		mmaplab_store_put_old(old);
	}
	return 0;
}

/* Empty the store: the object is configured again, or dies. */
void mmaplab_store_release(struct mmaplab_obj *obj)
{
	struct page *page;
	unsigned long index;

	xa_for_each(&obj->pages, index, page) {
		put_page(page);
		atomic_long_dec(&obj->resident);
		atomic_long_dec(&mmaplab_live_pages);
	}
	xa_destroy(&obj->pages);
}

unsigned long mmaplab_store_resident(struct mmaplab_obj *obj)
{
	return atomic_long_read(&obj->resident);
}
