// SPDX-License-Identifier: GPL-2.0
/*
 * backing_pages.c - the "pages" backing: a file whose pages the driver
 * allocates (the page store, store.c) and hands to the kernel from
 * ->fault, with optional fault-around (->map_pages) and write-notify
 * (->page_mkwrite).
 *
 * Owns its vm_operations tables, its fault handlers and CLEAN; guard and
 * invalidate are the page store's (store.c), shared with pfn.  The page
 * lock is what orders a fault against a range operation (as it orders a
 * page-cache fault against truncation): ->fault
 * returns the page locked (VM_FAULT_LOCKED), so the kernel maps it before
 * anyone else can lock it; range operations bump obj->seq, then lock and
 * unlock every stored page of the range (mmaplab_store_sync) before they
 * zap, and a fault that finds obj->seq changed once it holds the lock
 * backs off.  See Documentation/design.rst.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "mmaplab.h"

/*
 * Hand the kernel the object's page for this offset, locked, with a
 * reference.  On a private mapping a write fault makes the kernel copy it
 * into a new anonymous page (copy-on-write); the object's page stays.
 */
static vm_fault_t mmaplab_pages_fault(struct vm_fault *vmf)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vmf->vma);
	struct page *page;
	unsigned long seq;
	bool allocated;
	vm_fault_t ret;

	ret = mmaplab_fault_enter(obj, vmf, &seq);
	if (ret)
		return ret;
	page = mmaplab_store_get(obj, vmf->pgoff, &allocated);
	up_read(&obj->inval);
	if (IS_ERR(page)) {
		mmaplab_fault_done(obj, vmf, MMAPLAB_FAULT_OUTCOME_ERROR, false);
		return vmf_error(PTR_ERR(page));
	}

	lock_page(page);
	if (READ_ONCE(obj->seq) != seq)
		return mmaplab_fault_retry(obj, vmf, page);
	vmf->page = page;
	mmaplab_fault_done(obj, vmf, allocated ? MMAPLAB_FAULT_OUTCOME_NEW :
				     MMAPLAB_FAULT_OUTCOME_FOUND, allocated);
	return VM_FAULT_LOCKED;
}

/* Pages mapped per vm_insert_pages() call: one page-table lock each. */
#define MMAPLAB_FA_BATCH	16

/*
 * Lock the page fault-around's walk of the store found at @xas, and
 * check it: no range operation began since fault-around did (@seq), it is
 * not a guard page, and the slot still holds it.  Pages leave the store
 * only under their lock, so once locked and still stored it stays, and
 * the store's reference keeps it; before that, under RCU, the page may be
 * leaving the store, but replace puts the store's reference only after a
 * grace period (mmaplab_store_invalidate()), so the page is not freed
 * while fault-around may still try its lock: no reference of its own is
 * needed.  Returns true with the page locked; false to skip it, with
 * *@stop set if a range operation began.
 */
static bool mmaplab_pages_fa_lock(struct mmaplab_obj *obj,
				  struct xa_state *xas, struct page *page,
				  unsigned long seq, bool *stop)
{
	if (!trylock_page(page))
		return false;
	if (READ_ONCE(obj->seq) != seq) {
		*stop = true;
		goto unlock;
	}
	if (mmaplab_guarded(obj, xas->xa_index) ||
	    unlikely(xas_reload(xas) != page))
		goto unlock;
	return true;
unlock:
	unlock_page(page);
	return false;
}

/*
 * Map a run of @n locked pages at @addr, in one page-table lock where
 * nothing is mapped there yet, then unlock them; returns how many were
 * mapped and sets *@hit if one of them is at @fault.  A page
 * vm_insert_pages() refuses (an entry is there already: ->fault mapped it
 * when there was no page table for fault-around) is skipped, and the
 * rest of the run goes on in one batch.
 */
static long mmaplab_pages_fa_insert(struct vm_area_struct *vma,
				    unsigned long addr, struct page **pages,
				    unsigned long n, unsigned long fault,
				    bool *hit)
{
	unsigned long k = 0, left, done;
	long mapped = 0;
	int err;

	while (k < n) {
		left = n - k;
		err = vm_insert_pages(vma, addr + (k << PAGE_SHIFT), pages + k,
				      &left);
		done = n - k - left;
		if (fault >= addr + (k << PAGE_SHIFT) &&
		    fault < addr + ((k + done) << PAGE_SHIFT))
			*hit = true;
		mapped += done;
		k += done;
		if (!err)
			break;
		k++;	/* the page it refused */
	}
	for (k = 0; k < n; k++)
		unlock_page(pages[k]);
	return mapped;
}

/*
 * Fault-around: map the object's resident pages in [start, end] that this
 * VMA does not map yet.  Runs under RCU on recent kernels, so it neither
 * sleeps nor allocates: without a page table yet it does nothing and
 * ->fault serves the access, and a page whose lock is taken is skipped.
 * One walk of the store, inside one RCU read-side section, finds the
 * pages; each is mapped under its lock (mmaplab_pages_fa_lock() says
 * what is checked and why no reference is taken), runs of consecutive
 * pages in batches.  The VMA is VM_MIXEDMAP, which vm_insert_pages()
 * needs outside mmap().
 */
static vm_fault_t mmaplab_pages_map_pages(struct vm_fault *vmf,
					  pgoff_t start, pgoff_t end)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mmaplab_obj *obj = mmaplab_vma_obj(vma);
	unsigned long seq = READ_ONCE(obj->seq);
	unsigned long fault = vmf->address & PAGE_MASK;
	XA_STATE(xas, &obj->pages, start);
	struct page *run[MMAPLAB_FA_BATCH], *page;
	pgoff_t first = start;
	unsigned long n = 0;
	bool hit = false, stop = false;
	long mapped = 0;

	mmaplab_count(obj, MMAPLAB_CNT_MAP_PAGES);
	if (pmd_none(*vmf->pmd)) {
		mmaplab_emit_map_pages(obj, vmf, start, end, 0);
		return 0;
	}
	end = min_t(pgoff_t, end, obj->nr_pages - 1);
	rcu_read_lock();
	xas_for_each(&xas, page, end) {
		if (xas_retry(&xas, page))
			continue;
		/* A run ends at a gap (absent or skipped page) or when full. */
		if (n && (n == MMAPLAB_FA_BATCH || xas.xa_index != first + n)) {
			mapped += mmaplab_pages_fa_insert(vma,
				vma->vm_start + ((first - vma->vm_pgoff) << PAGE_SHIFT),
				run, n, fault, &hit);
			n = 0;
		}
		if (!mmaplab_pages_fa_lock(obj, &xas, page, seq, &stop)) {
			if (stop)
				break;
			continue;
		}
		if (!n)
			first = xas.xa_index;
		run[n++] = page;
	}
	if (n)
		mapped += mmaplab_pages_fa_insert(vma,
			vma->vm_start + ((first - vma->vm_pgoff) << PAGE_SHIFT),
			run, n, fault, &hit);
	rcu_read_unlock();
	mmaplab_count_n(obj, MMAPLAB_CNT_MAP_PAGES_MAPPED, mapped);
	mmaplab_emit_map_pages(obj, vmf, start, end, mapped);
	return hit ? VM_FAULT_NOPAGE : 0;
}

/*
 * The first write to a clean page of a shared writable mapping.  The page
 * has no address_space, so it is returned locked (VM_FAULT_LOCKED): the
 * kernel would otherwise take an unlocked page without a mapping for a
 * truncated one and retry the fault forever.  The kernel makes the entry
 * writable before it unlocks the page, and MMAPLAB_IOC_CLEAN cleans each
 * page under its lock, so a write is never lost between the two.
 */
static vm_fault_t mmaplab_pages_page_mkwrite(struct vm_fault *vmf)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vmf->vma);
	struct page *page = vmf->page;

	mmaplab_count(obj, MMAPLAB_CNT_PAGE_MKWRITES);
	mmaplab_emit_mkwrite(obj, vmf, MMAPLAB_EV_PAGE_MKWRITE);
	lock_page(page);
	if (!mmaplab_store_holds(obj, vmf->pgoff, page)) {
		/* Replaced meanwhile: its entry is being zapped; fault again. */
		unlock_page(page);
		return VM_FAULT_NOPAGE;
	}
	set_bit(vmf->pgoff, obj->dirty);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct mmaplab_pages_ops = {
	MMAPLAB_VM_OPS_COMMON,
	.fault		= mmaplab_pages_fault,
};

static const struct vm_operations_struct mmaplab_pages_fa_ops = {
	MMAPLAB_VM_OPS_COMMON,
	.fault		= mmaplab_pages_fault,
	.map_pages	= mmaplab_pages_map_pages,
};

static const struct vm_operations_struct mmaplab_pages_wn_ops = {
	MMAPLAB_VM_OPS_COMMON,
	.fault		= mmaplab_pages_fault,
	.page_mkwrite	= mmaplab_pages_page_mkwrite,
};

static const struct vm_operations_struct mmaplab_pages_fa_wn_ops = {
	MMAPLAB_VM_OPS_COMMON,
	.fault		= mmaplab_pages_fault,
	.map_pages	= mmaplab_pages_map_pages,
	.page_mkwrite	= mmaplab_pages_page_mkwrite,
};

static const struct vm_operations_struct *mmaplab_pages_vm_ops(u32 flags)
{
	bool fa = flags & MMAPLAB_CONFIG_FAULT_AROUND;
	bool wn = flags & MMAPLAB_CONFIG_WRITE_NOTIFY;

	if (fa)
		return wn ? &mmaplab_pages_fa_wn_ops : &mmaplab_pages_fa_ops;
	return wn ? &mmaplab_pages_wn_ops : &mmaplab_pages_ops;
}

static int mmaplab_pages_mmap(struct mmaplab_obj *obj,
			      struct vm_area_struct *vma)
{
	/* vm_insert_pages() from ->map_pages needs this set at mmap(). */
	if (obj->flags & MMAPLAB_CONFIG_FAULT_AROUND)
		mmaplab_vma_set_flags(vma, VM_MIXEDMAP);
	mmaplab_vma_attach(obj, vma, mmaplab_pages_vm_ops(obj->flags));
	return 0;
}

/*
 * Write-protect by removing the shared entries, page by page under the
 * page lock that ->page_mkwrite takes: a write either was noted before
 * (and is counted here) or faults again afterwards and is noted then.
 */
static long mmaplab_pages_clean(struct mmaplab_obj *obj, pgoff_t first,
				pgoff_t nr)
{
	struct address_space *mapping = obj->inode->i_mapping;
	unsigned long index;
	struct page *page;
	long cleaned = 0;

	mmaplab_range_begin_write(obj);
	xa_for_each_range(&obj->pages, index, page, first, first + nr - 1) {
		lock_page(page);
		mmaplab_zap(obj, mapping, index, 1, false);
		if (test_and_clear_bit(index, obj->dirty))
			cleaned++;
		unlock_page(page);
		cond_resched();
	}
	up_write(&obj->inval);
	return cleaned;
}

const struct mmaplab_backing_ops mmaplab_backing_pages = {
	.label		= "[mmaplab:pages]",
	.flags		= MMAPLAB_CONFIG_FAULT_AROUND |
			  MMAPLAB_CONFIG_WRITE_NOTIFY,
	.teardown	= mmaplab_store_release,
	.mmap		= mmaplab_pages_mmap,
	.resident	= mmaplab_store_resident,
	.set_guard	= mmaplab_store_guard,
	.invalidate	= mmaplab_store_invalidate,
	.clean		= mmaplab_pages_clean,
};
