// SPDX-License-Identifier: GPL-2.0
/*
 * backing_shmem.c - the "shmem" backing: the object is an internal shmem
 * (tmpfs) file.
 *
 * mmap() makes the VMA a mapping of that file (vm_file is swapped, as
 * /dev/zero does) and lets shmem set it up; this file then wraps shmem's
 * vm_operations to count and to check guards, and shmem does the rest:
 * pages are page-cache pages, private mappings copy on write and leave the
 * cached page alone.  The VMA's file is the shmem file, so the module is
 * pinned by the device-file reference every VMA holds (vma.c).
 *
 * Ordering against range operations: shmem's ->fault returns its page
 * locked, and the wrapper checks obj->seq under that lock; range
 * operations bump obj->seq, then lock and unlock every cached page of the
 * range before they zap.  shmem's ->map_pages runs with the wrapper's
 * guard check inside one RCU read-side section, and guard installation
 * waits for those with synchronize_rcu().  Owns the shmem file of an
 * object; must not look at page tables.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>

#include "compat.h"
#include "mmaplab.h"

/* shmem's vm_operations, learnt from the first mmap of a shmem object. */
static const struct vm_operations_struct *mmaplab_shmem_ops_orig;

static const struct vm_operations_struct *mmaplab_shmem_orig(void)
{
	return READ_ONCE(mmaplab_shmem_ops_orig);
}

static struct file *mmaplab_shmem_file(struct mmaplab_obj *obj)
{
	return obj->priv;
}

/*
 * Whether the shmem file caches a page at @index now (a swapped-out page
 * is a value entry: not cached).  Only for the fault's event: a fault
 * racing with another on the same index may both say "new".
 */
static bool mmaplab_shmem_cached(struct mmaplab_obj *obj, pgoff_t index)
{
	struct address_space *mapping = mmaplab_shmem_file(obj)->f_mapping;
	void *entry;

	rcu_read_lock();
	entry = xa_load(&mapping->i_pages, index);
	rcu_read_unlock();
	return entry && !xa_is_value(entry);
}

static vm_fault_t mmaplab_shmem_fault(struct vm_fault *vmf)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vmf->vma);
	unsigned long seq;
	vm_fault_t ret;
	bool cached;

	ret = mmaplab_fault_enter(obj, vmf, &seq);
	if (ret)
		return ret;
	up_read(&obj->inval);

	cached = mmaplab_shmem_cached(obj, vmf->pgoff);
	ret = mmaplab_shmem_orig()->fault(vmf);
	if (!(ret & VM_FAULT_LOCKED)) {
		mmaplab_fault_done(obj, vmf, ret & VM_FAULT_ERROR ?
				   MMAPLAB_FAULT_OUTCOME_ERROR :
				   MMAPLAB_FAULT_OUTCOME_RETRIED, false);
		return ret;
	}
	/* Pairs with smp_mb() in mmaplab_range_begin_write(). */
	smp_mb();
	if (READ_ONCE(obj->seq) != seq)
		return mmaplab_fault_retry(obj, vmf, vmf->page);
	mmaplab_fault_done(obj, vmf, cached ? MMAPLAB_FAULT_OUTCOME_FOUND :
				     MMAPLAB_FAULT_OUTCOME_NEW, false);
	return ret;
}

/* Fault-around must not map a guard page: then it maps nothing. */
static vm_fault_t mmaplab_shmem_map_pages(struct vm_fault *vmf,
					  pgoff_t start, pgoff_t end)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vmf->vma);
	unsigned long next;
	vm_fault_t ret = 0;

	mmaplab_count(obj, MMAPLAB_CNT_MAP_PAGES);
	rcu_read_lock();
	next = find_next_bit(obj->guard, obj->nr_pages, start);
	if (next > end || next >= obj->nr_pages)
		ret = mmaplab_shmem_orig()->map_pages(vmf, start, end);
	rcu_read_unlock();
	/* shmem's fault-around does not say how many pages it mapped. */
	mmaplab_emit_map_pages(obj, vmf, start, end, -1);
	return ret;
}

static const struct vm_operations_struct mmaplab_shmem_ops = {
	MMAPLAB_VM_OPS_COMMON,
	.fault		= mmaplab_shmem_fault,
	.map_pages	= mmaplab_shmem_map_pages,
};

static void *mmaplab_shmem_setup(unsigned long nr_pages)
{
	return mmaplab_shmem_file_setup("mmaplab",
					(loff_t)nr_pages << PAGE_SHIFT,
					VM_NORESERVE, false);
}

static void mmaplab_shmem_teardown(struct mmaplab_obj *obj)
{
	if (obj->priv)
		fput(obj->priv);
	obj->priv = NULL;
}

static int mmaplab_shmem_mmap(struct mmaplab_obj *obj,
			      struct vm_area_struct *vma)
{
	struct file *shmem = mmaplab_shmem_file(obj);
	const struct vm_operations_struct *orig;
	int ret;

	/* The VMA now maps the shmem file; on error mmap() puts it back. */
	vma_set_file(vma, shmem);
	ret = mmaplab_file_mmap(shmem, vma);
	if (ret)
		return ret;
	orig = vma->vm_ops;
	if (!orig || !orig->fault || !orig->map_pages)
		return -ENODEV;
	if (!mmaplab_shmem_orig())
		WRITE_ONCE(mmaplab_shmem_ops_orig, orig);
	else if (WARN_ON_ONCE(orig != mmaplab_shmem_orig()))
		return -ENODEV;
	mmaplab_vma_attach(obj, vma, &mmaplab_shmem_ops);
	return 0;
}

static unsigned long mmaplab_shmem_resident(struct mmaplab_obj *obj)
{
	return mmaplab_shmem_file(obj)->f_mapping->nrpages;
}

/* Wait for faults holding the lock of a cached page of the range. */
static void mmaplab_shmem_sync(struct mmaplab_obj *obj, pgoff_t first,
			       pgoff_t nr)
{
	struct address_space *mapping = mmaplab_shmem_file(obj)->f_mapping;
	struct folio *folio;
	pgoff_t i;

	for (i = first; i < first + nr; i++) {
		folio = mmaplab_lock_cached_folio(mapping, i);
		if (!folio)
			continue;
		folio_unlock(folio);
		folio_put(folio);
		cond_resched();
	}
}

static int mmaplab_shmem_guard(struct mmaplab_obj *obj, pgoff_t first,
			       pgoff_t nr, bool install)
{
	struct address_space *mapping = mmaplab_shmem_file(obj)->f_mapping;

	mmaplab_range_begin_write(obj);
	if (install) {
		bitmap_set(obj->guard, first, nr);
		/* Fault-around that did not see the guards is over... */
		synchronize_rcu();
		/* ...and so is every fault that did not. */
		mmaplab_shmem_sync(obj, first, nr);
		mmaplab_zap(obj, mapping, first, nr, true);
	} else {
		bitmap_clear(obj->guard, first, nr);
	}
	up_write(&obj->inval);
	return 0;
}

/*
 * New content is written into the page-cache pages themselves, each under
 * its lock, so a copy-on-write fault copies either all old or all new
 * content.  Every page is read (allocated) first, so running out of
 * memory changes nothing but holes, which read as zero either way.
 */
static int mmaplab_shmem_invalidate(struct mmaplab_obj *obj, pgoff_t first,
				    pgoff_t nr, bool replace, u8 fill)
{
	struct file *shmem = mmaplab_shmem_file(obj);
	struct page **pages = NULL;
	int ret = 0;
	pgoff_t i;

	if (replace) {
		pages = kvcalloc(nr, sizeof(*pages), GFP_KERNEL_ACCOUNT);
		if (!pages)
			return -ENOMEM;
		for (i = 0; i < nr; i++) {
			pages[i] = mmaplab_shmem_page(shmem, first + i);
			if (IS_ERR(pages[i])) {
				ret = PTR_ERR(pages[i]);
				pages[i] = NULL;
				goto out;
			}
		}
	}

	mmaplab_range_begin_write(obj);
	if (replace) {
		for (i = 0; i < nr; i++) {
			lock_page(pages[i]);
			memset_page(pages[i], 0, fill, PAGE_SIZE);
			set_page_dirty(pages[i]);
			unlock_page(pages[i]);
		}
	} else {
		mmaplab_shmem_sync(obj, first, nr);
	}
	mmaplab_zap(obj, shmem->f_mapping, first, nr, false);
	up_write(&obj->inval);
out:
	if (pages) {
		for (i = 0; i < nr; i++)
			if (pages[i])
				put_page(pages[i]);
		kvfree(pages);
	}
	return ret;
}

const struct mmaplab_backing_ops mmaplab_backing_shmem = {
	.label		= "[mmaplab:shmem]",
	.setup		= mmaplab_shmem_setup,
	.teardown	= mmaplab_shmem_teardown,
	.mmap		= mmaplab_shmem_mmap,
	.resident	= mmaplab_shmem_resident,
	.set_guard	= mmaplab_shmem_guard,
	.invalidate	= mmaplab_shmem_invalidate,
};
