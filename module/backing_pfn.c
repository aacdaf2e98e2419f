// SPDX-License-Identifier: GPL-2.0
/*
 * backing_pfn.c - the "pfn" backing: the page store (store.c) mapped by
 * page frame number into a VM_PFNMAP | VM_IO mapping, the way a driver
 * maps device memory, with optional write-notify (->pfn_mkwrite) and
 * ->access for ptrace.
 *
 * Owns its vm_operations tables, fault handlers and CLEAN; guard and
 * invalidate are the page store's (store.c), shared with pages.  A PFN
 * entry holds no page reference, so a fault looks up and inserts the page
 * frame under obj->inval held for reading, and every range operation
 * holds it for writing while it changes guards or pages and zaps: no
 * entry can map a page that left the store.
 */
#include <linux/highmem.h>
#include <linux/mm.h>

#include "compat.h"
#include "mmaplab.h"

static vm_fault_t mmaplab_pfn_fault(struct vm_fault *vmf)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vmf->vma);
	unsigned long seq;
	struct page *page;
	bool allocated;
	vm_fault_t ret;

	/* A PFN entry holds no page: insert it under obj->inval. */
	ret = mmaplab_fault_enter(obj, vmf, &seq);
	if (ret)
		return ret;
	page = mmaplab_store_get(obj, vmf->pgoff, &allocated);
	if (IS_ERR(page)) {
		mmaplab_fault_done(obj, vmf, MMAPLAB_FAULT_OUTCOME_ERROR, false);
		ret = vmf_error(PTR_ERR(page));
		goto out;
	}
	ret = vmf_insert_pfn(vmf->vma, vmf->address & PAGE_MASK,
			     page_to_pfn(page));
	put_page(page);
	mmaplab_fault_done(obj, vmf, ret & VM_FAULT_ERROR ?
			   MMAPLAB_FAULT_OUTCOME_ERROR :
			   allocated ? MMAPLAB_FAULT_OUTCOME_NEW :
			   MMAPLAB_FAULT_OUTCOME_FOUND, allocated);
out:
	up_read(&obj->inval);
	return ret;
}

/*
 * The first write to a shared PFN page mapped read-only.  The dirty bit
 * and the writable entry are made together under obj->inval, so that
 * MMAPLAB_IOC_CLEAN (zap, then clear, under obj->inval held for writing)
 * comes entirely before or after both.  Leaving the upgrade to the kernel
 * (return 0) is not enough: it makes the entry writable if the entry is
 * the same as when it faulted, and a CLEAN that zapped it plus a read
 * fault that mapped the same frame again read-only in between give an
 * identical entry: the write would land on a page marked clean.
 */
static vm_fault_t mmaplab_pfn_mkwrite(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mmaplab_obj *obj = mmaplab_vma_obj(vma);
	unsigned long addr = vmf->address & PAGE_MASK;
	vm_fault_t ret = VM_FAULT_NOPAGE;
	struct page *page;

	mmaplab_count(obj, MMAPLAB_CNT_PFN_MKWRITES);
	mmaplab_emit_mkwrite(obj, vmf, MMAPLAB_EV_PFN_MKWRITE);
	if (vmf->pgoff >= obj->nr_pages)
		return VM_FAULT_SIGBUS;
	down_read(&obj->inval);
	page = xa_load(&obj->pages, vmf->pgoff);
	/* Guarded or replaced meanwhile: the entry is going; fault again. */
	if (mmaplab_guarded(obj, vmf->pgoff) || !page ||
	    page_to_pfn(page) != pte_pfn(vmf->orig_pte))
		goto out;
	set_bit(vmf->pgoff, obj->dirty);
	mmaplab_zap_pfn_range(vma, addr, PAGE_SIZE);
	ret = vmf_insert_pfn_prot(vma, addr, page_to_pfn(page),
				  vm_get_page_prot(vma->vm_flags));
out:
	up_read(&obj->inval);
	return ret;
}

/*
 * ptrace, /proc/PID/mem and gdb cannot pin the pages of a VM_IO mapping;
 * they come here.  Copy at most to the end of one page, like
 * generic_access_phys(), but through the object's own pages.
 */
static int mmaplab_pfn_access(struct vm_area_struct *vma, unsigned long addr,
			      void *buf, int len, int write)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vma);
	unsigned long offset = addr - vma->vm_start;
	pgoff_t index = vma->vm_pgoff + (offset >> PAGE_SHIFT);
	unsigned int in_page = offset_in_page(offset);
	struct page *page;
	void *kaddr;

	mmaplab_count(obj, MMAPLAB_CNT_ACCESSES);
	if (index >= obj->nr_pages)
		return -EFAULT;
	len = min_t(int, len, PAGE_SIZE - in_page);

	down_read(&obj->inval);
	if (mmaplab_guarded(obj, index)) {
		len = -EFAULT;
		goto out;
	}
	page = mmaplab_store_get(obj, index, NULL);
	if (IS_ERR(page)) {
		len = PTR_ERR(page);
		goto out;
	}
	kaddr = kmap_local_page(page);
	if (write)
		memcpy(kaddr + in_page, buf, len);
	else
		memcpy(buf, kaddr + in_page, len);
	kunmap_local(kaddr);
	put_page(page);
out:
	up_read(&obj->inval);
	return len;
}

static const struct vm_operations_struct mmaplab_pfn_ops = {
	MMAPLAB_VM_OPS_COMMON,
	.fault		= mmaplab_pfn_fault,
	.access		= mmaplab_pfn_access,
};

static const struct vm_operations_struct mmaplab_pfn_wn_ops = {
	MMAPLAB_VM_OPS_COMMON,
	.fault		= mmaplab_pfn_fault,
	.pfn_mkwrite	= mmaplab_pfn_mkwrite,
	.access		= mmaplab_pfn_access,
};

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
	mmaplab_vma_attach(obj, vma,
			   obj->flags & MMAPLAB_CONFIG_WRITE_NOTIFY ?
			   &mmaplab_pfn_wn_ops : &mmaplab_pfn_ops);
	return 0;
}

static long mmaplab_pfn_clean(struct mmaplab_obj *obj, pgoff_t first,
			      pgoff_t nr)
{
	long cleaned = 0;
	pgoff_t i;

	mmaplab_range_begin_write(obj);
	/* Zap first: a write through an entry zapped later would be lost. */
	mmaplab_zap(obj, obj->inode->i_mapping, first, nr, false);
	for (i = first; i < first + nr; i++)
		if (test_and_clear_bit(i, obj->dirty))
			cleaned++;
	up_write(&obj->inval);
	return cleaned;
}

const struct mmaplab_backing_ops mmaplab_backing_pfn = {
	.label		= "[mmaplab:pfn]",
	.flags		= MMAPLAB_CONFIG_WRITE_NOTIFY,
	.teardown	= mmaplab_store_release,
	.mmap		= mmaplab_pfn_mmap,
	.resident	= mmaplab_store_resident,
	.set_guard	= mmaplab_store_guard,
	.invalidate	= mmaplab_store_invalidate,
	.clean		= mmaplab_pfn_clean,
};
