// SPDX-License-Identifier: GPL-2.0
/*
 * ranges.c - operations on a range of an object's pages that reach every
 * process mapping it: guard pages, invalidation (with optional new
 * content) and write-notify cleaning.
 *
 * All of them work by zapping page-table entries through the object's
 * address_space (unmap_mapping_range), never by walking a process's page
 * tables, so they find the object's mappings in every process.  This file
 * must not allocate or free pages itself (the backings do).
 */
#include <linux/bitmap.h>
#include <linux/mm.h>

#include "mmaplab.h"

/* Check the range and resolve nr_pages == 0 ("to the end"). */
static int mmaplab_range_check(struct mmaplab_obj *obj,
			       struct mmaplab_range *r)
{
	if (r->__pad || r->pgoff >= obj->nr_pages)
		return -EINVAL;
	if (!r->nr_pages)
		r->nr_pages = obj->nr_pages - r->pgoff;
	if (r->nr_pages > obj->nr_pages - r->pgoff)
		return -EINVAL;
	return 0;
}

/*
 * Remove the page-table entries that map pages [first, first + nr) of the
 * object, in every process.  @even_cows also removes private copies
 * (anonymous pages a MAP_PRIVATE mapping made by writing).
 */
static void mmaplab_zap(struct mmaplab_obj *obj, pgoff_t first, pgoff_t nr,
			bool even_cows)
{
	struct address_space *mapping = obj->ops->mapping(obj);

	if (mapping)
		unmap_mapping_range(mapping, (loff_t)first << PAGE_SHIFT,
				    (loff_t)nr << PAGE_SHIFT, even_cows);
}

/*
 * Each range operation starts the same way: take the object's lock (the
 * caller drops it, whatever this returns), then check that the object is
 * configured with a backing whose mappings are the module's and that the
 * range is valid.
 */
static int mmaplab_range_begin(struct mmaplab_obj *obj,
			       struct mmaplab_range *r)
{
	mutex_lock(&obj->lock);
	if (!obj->configured)
		return -EINVAL;
	if (!obj->ops->mapping)
		return -EOPNOTSUPP;
	return mmaplab_range_check(obj, r);
}

int mmaplab_obj_guard(struct mmaplab_obj *obj, struct mmaplab_range *r)
{
	bool install = r->flags == MMAPLAB_GUARD_INSTALL;
	int ret;

	if (r->fill || (r->flags != MMAPLAB_GUARD_INSTALL &&
			r->flags != MMAPLAB_GUARD_REMOVE))
		return -EINVAL;
	ret = mmaplab_range_begin(obj, r);
	if (ret)
		goto out;

	down_write(&obj->inval);
	if (install) {
		bitmap_set(obj->guard, r->pgoff, r->nr_pages);
		/* Like MADV_GUARD_INSTALL: private copies go too. */
		mmaplab_zap(obj, r->pgoff, r->nr_pages, true);
	} else {
		bitmap_clear(obj->guard, r->pgoff, r->nr_pages);
	}
	up_write(&obj->inval);
	r->result = bitmap_weight(obj->guard, obj->nr_pages);
out:
	mutex_unlock(&obj->lock);
	return ret;
}

int mmaplab_obj_invalidate(struct mmaplab_obj *obj, struct mmaplab_range *r)
{
	bool replace = r->flags & MMAPLAB_INVALIDATE_REPLACE;
	int ret;

	if (r->flags & ~MMAPLAB_INVALIDATE_REPLACE || r->fill > 0xff ||
	    (!replace && r->fill))
		return -EINVAL;
	ret = mmaplab_range_begin(obj, r);
	if (ret)
		goto out;

	/*
	 * Faults of backing pfn hold the invalidation lock while they look up
	 * and insert a page, so none can map a page about to be replaced.
	 */
	down_write(&obj->inval);
	/* Private copies are the process's own data: they stay. */
	mmaplab_zap(obj, r->pgoff, r->nr_pages, false);
	r->result = 0;
	if (replace) {
		ret = obj->ops->replace(obj, r->pgoff, r->nr_pages, r->fill);
		if (!ret) {
			r->result = r->nr_pages;
			mmaplab_count_n(obj, MMAPLAB_CNT_PAGES_REPLACED,
					r->nr_pages);
		}
	}
	up_write(&obj->inval);
	mmaplab_count(obj, MMAPLAB_CNT_INVALIDATIONS);
out:
	mutex_unlock(&obj->lock);
	return ret;
}

int mmaplab_obj_clean(struct mmaplab_obj *obj, struct mmaplab_range *r)
{
	unsigned long i;
	int ret;

	if (r->flags || r->fill)
		return -EINVAL;
	ret = mmaplab_range_begin(obj, r);
	if (ret)
		goto out;
	if (!(obj->flags & MMAPLAB_CONFIG_WRITE_NOTIFY)) {
		ret = -EINVAL;
		goto out;
	}

	r->result = 0;
	for (i = r->pgoff; i < r->pgoff + r->nr_pages; i++)
		if (test_and_clear_bit(i, obj->dirty))
			r->result++;
	/*
	 * Write-protect by removing the shared entries: the next access faults
	 * the page in read-only again, and its next write is notified.
	 */
	mmaplab_zap(obj, r->pgoff, r->nr_pages, false);
out:
	mutex_unlock(&obj->lock);
	return ret;
}
