// SPDX-License-Identifier: GPL-2.0
/*
 * backing_pages.c - the "pages" backing: module-allocated pages.
 *
 * A page is allocated, zeroed and charged to the caller's memory cgroup
 * the first time any process touches its index, and is kept until the
 * object dies.  This file owns the object's page store and the module's
 * live-pages count; it must not look at VMAs.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "mmaplab.h"

/*
 * Return the page at @index with a reference the caller owns (the fault
 * path hands it to the kernel in vmf->page), allocating it on first use.
 */
struct page *mmaplab_pages_get(struct mmaplab_obj *obj, pgoff_t index)
{
	struct page *page, *old;

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
	atomic_long_inc(&obj->resident);
	atomic_long_inc(&mmaplab_live_pages);
found:
	/* Pages leave the store only when the object dies (no VMA left). */
	if (!mmaplab_injected(MMAPLAB_BUG_NOGET))
		get_page(page);
	return page;
}

void mmaplab_pages_release_all(struct mmaplab_obj *obj)
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
