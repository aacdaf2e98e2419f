// SPDX-License-Identifier: GPL-2.0
/*
 * backing_pages.c - the "pages" backing, and the page store it shares with
 * the "pfn" backing.
 *
 * A page is allocated, zeroed and charged to the caller's memory cgroup
 * the first time any process touches its index, and kept until the object
 * dies or MMAPLAB_IOC_INVALIDATE replaces it.  This file owns the store
 * and the module's live-pages count; it must not look at page tables.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>

#include "compat.h"
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
	/*
	 * Callers hold the invalidation lock, so the store's reference keeps
	 * the page alive until this one is taken.
	 */
	if (!mmaplab_injected(MMAPLAB_BUG_NOGET))
		get_page(page);
	return page;
}

/*
 * The page at @index if it is resident, referenced, without sleeping or
 * allocating (fault-around, under RCU).  A page being replaced at the same
 * time is either seen with a reference or not at all.
 */
struct page *mmaplab_pages_lookup(struct mmaplab_obj *obj, pgoff_t index)
{
	struct page *page;

	rcu_read_lock();
	page = xa_load(&obj->pages, index);
	if (page && !get_page_unless_zero(page))
		page = NULL;
	if (page && xa_load(&obj->pages, index) != page) {
		put_page(page);
		page = NULL;
	}
	rcu_read_unlock();
	return page;
}

/*
 * Give pages [first, first + nr) new content: new pages, every byte @fill,
 * replace the old ones in the store (the old ones live on while something
 * still maps or pins them).  Called with the invalidation lock held for
 * writing, after the page-table entries were zapped.
 */
int mmaplab_pages_replace(struct mmaplab_obj *obj, pgoff_t first, pgoff_t nr,
			  u8 fill)
{
	struct page *page, *old;
	pgoff_t i;

	for (i = first; i < first + nr; i++) {
		page = alloc_page(GFP_KERNEL_ACCOUNT);
		if (!page)
			return -ENOMEM;
		memset_page(page, 0, fill, PAGE_SIZE);
		old = xa_store(&obj->pages, i, page, GFP_KERNEL_ACCOUNT);
		if (xa_is_err(old)) {
			__free_page(page);
			return xa_err(old);
		}
		if (old) {
			put_page(old);
		} else {
			mmaplab_count(obj, MMAPLAB_CNT_PAGES_ALLOCATED);
			atomic_long_inc(&obj->resident);
			atomic_long_inc(&mmaplab_live_pages);
		}
	}
	return 0;
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

static struct address_space *mmaplab_pages_mapping(struct mmaplab_obj *obj)
{
	return obj->inode->i_mapping;
}

static int mmaplab_pages_mmap(struct mmaplab_obj *obj,
			      struct vm_area_struct *vma)
{
	/* vm_insert_page() from ->map_pages needs this set at mmap(). */
	if (obj->flags & MMAPLAB_CONFIG_FAULT_AROUND)
		mmaplab_vma_set_flags(vma, VM_MIXEDMAP);
	mmaplab_vma_attach(obj, vma, mmaplab_pages_vm_ops(obj->flags));
	return 0;
}

const struct mmaplab_backing_ops mmaplab_backing_pages = {
	.label		= "[mmaplab:pages]",
	.flags		= MMAPLAB_CONFIG_FAULT_AROUND |
			  MMAPLAB_CONFIG_WRITE_NOTIFY,
	.mmap		= mmaplab_pages_mmap,
	.mapping	= mmaplab_pages_mapping,
	.replace	= mmaplab_pages_replace,
};

/*
 * Backing pfn: the same store, mapped by page frame number into a
 * VM_PFNMAP | VM_IO mapping, the way a driver maps device memory.
 */
static int mmaplab_pfn_mmap(struct mmaplab_obj *obj, struct vm_area_struct *vma)
{
	/*
	 * A private mapping may copy on write (MAP_PRIVATE keeps VM_MAYWRITE
	 * even on a read-only descriptor: mprotect() may make it writable),
	 * which needs the struct pages a PFN map does not have.  Like
	 * /dev/mem, refuse it (is_cow_mapping).
	 */
	if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE)
		return -EINVAL;
	mmaplab_vma_set_flags(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND |
			      VM_DONTDUMP);
	mmaplab_vma_attach(obj, vma, mmaplab_pfn_vm_ops(obj->flags));
	return 0;
}

const struct mmaplab_backing_ops mmaplab_backing_pfn = {
	.label		= "[mmaplab:pfn]",
	.flags		= MMAPLAB_CONFIG_WRITE_NOTIFY,
	.mmap		= mmaplab_pfn_mmap,
	.mapping	= mmaplab_pages_mapping,
	.replace	= mmaplab_pages_replace,
};
