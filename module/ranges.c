// SPDX-License-Identifier: GPL-2.0
/*
 * ranges.c - operations on a range of an object's pages that reach every
 * process mapping it: guard pages, invalidation (with optional new
 * content) and write-notify cleaning.
 *
 * This file checks the request and the range, then hands it to the
 * backing, which owns how its faults are kept in order (backing_*.c).
 * All of them remove page-table entries through an address_space
 * (unmap_mapping_range), never by walking a process's page tables, so
 * they find the object's mappings in every process.  Each successful
 * operation emits its event (events.c).  This file must not allocate or
 * free pages itself.
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
 * Remove the page-table entries that map pages [first, first + nr) of
 * @mapping, in every process.  @even_cows also removes private copies
 * (anonymous pages a MAP_PRIVATE mapping made by writing).
 */
void mmaplab_zap(struct mmaplab_obj *obj, struct address_space *mapping,
		 pgoff_t first, pgoff_t nr, bool even_cows)
{
	unmap_mapping_range(mapping, (loff_t)first << PAGE_SHIFT,
			    (loff_t)nr << PAGE_SHIFT, even_cows);
}

/*
 * A backing's range operation starts here: faults are kept out of the
 * object's guards and store, and every fault that read obj->seq before
 * will see it changed.  The full barrier orders the new value before the
 * backing's look-ups of pages a fault may have just added (backing
 * shmem, whose page cache is not under obj->inval).
 */
void mmaplab_range_begin_write(struct mmaplab_obj *obj)
{
	down_write(&obj->inval);
	WRITE_ONCE(obj->seq, obj->seq + 1);
	/* Pairs with smp_mb() in mmaplab_shmem_fault(). */
	smp_mb();
}

/*
 * Each range ioctl starts the same way: take the object's lock (the
 * caller drops it, whatever this returns), then check that the object is
 * configured with a backing whose mappings are the module's (zero's are
 * not: it has no range operations) and that the range is valid.
 */
static int mmaplab_range_begin(struct mmaplab_obj *obj,
			       struct mmaplab_range *r)
{
	mutex_lock(&obj->lock);
	if (!obj->configured)
		return -EINVAL;
	if (!obj->ops->invalidate)
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
	if (!ret)
		ret = obj->ops->set_guard(obj, r->pgoff, r->nr_pages, install);
	if (!ret) {
		r->result = bitmap_weight(obj->guard, obj->nr_pages);
		mmaplab_emit_range(obj, MMAPLAB_EV_GUARD, r->pgoff,
				   r->nr_pages, r->flags, r->result);
	}
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
	if (!ret)
		ret = obj->ops->invalidate(obj, r->pgoff, r->nr_pages, replace,
					   r->fill);
	if (!ret) {
		r->result = replace ? r->nr_pages : 0;
		mmaplab_count(obj, MMAPLAB_CNT_INVALIDATIONS);
		if (replace)
			mmaplab_count_n(obj, MMAPLAB_CNT_PAGES_REPLACED,
					r->nr_pages);
		mmaplab_emit_range(obj, MMAPLAB_EV_INVALIDATE, r->pgoff,
				   r->nr_pages, r->flags, r->result);
	}
	mutex_unlock(&obj->lock);
	return ret;
}

int mmaplab_obj_clean(struct mmaplab_obj *obj, struct mmaplab_range *r)
{
	long cleaned;
	int ret;

	if (r->flags || r->fill)
		return -EINVAL;
	ret = mmaplab_range_begin(obj, r);
	if (!ret && !(obj->flags & MMAPLAB_CONFIG_WRITE_NOTIFY))
		ret = -EINVAL;
	if (!ret) {
		cleaned = obj->ops->clean(obj, r->pgoff, r->nr_pages);
		r->result = cleaned;
		mmaplab_emit_range(obj, MMAPLAB_EV_CLEAN, r->pgoff,
				   r->nr_pages, 0, cleaned);
	}
	mutex_unlock(&obj->lock);
	return ret;
}
