// SPDX-License-Identifier: GPL-2.0
/*
 * vmops.c - the vm_operations of mappings of a lab object.
 *
 * Owns every callback the kernel makes on a VMA of an object: ->open when
 * a VMA is duplicated (fork, split, mremap move), ->close when one goes,
 * ->may_split, ->mremap, ->mprotect, ->name, ->fault, ->map_pages
 * (fault-around), ->page_mkwrite and ->pfn_mkwrite (write-notify) and
 * ->access (ptrace on VM_IO).  Each call is counted.  The tables are
 * const; a backing picks one at mmap() time.  Fault paths must not assume
 * mmap_lock is held: from 6.4 on they may run under the per-VMA lock only,
 * and ->map_pages runs under rcu_read_lock() from 6.5, so it never sleeps.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "mmaplab.h"

static struct mmaplab_obj *vma_obj(struct vm_area_struct *vma)
{
	return vma->vm_private_data;
}

void mmaplab_vma_attach(struct mmaplab_obj *obj, struct vm_area_struct *vma,
			const struct vm_operations_struct *ops)
{
	vma->vm_ops = ops;
	vma->vm_private_data = obj;
	mmaplab_obj_get(obj);
	atomic_long_inc(&obj->vmas_live);
}

bool mmaplab_vma_guarded(struct mmaplab_obj *obj, pgoff_t index)
{
	return index < obj->nr_pages && test_bit(index, obj->guard);
}

static void mmaplab_vm_open(struct vm_area_struct *vma)
{
	struct mmaplab_obj *obj = vma_obj(vma);

	mmaplab_obj_get(obj);
	atomic_long_inc(&obj->vmas_live);
	mmaplab_count(obj, MMAPLAB_CNT_VMA_OPENS);
}

static void mmaplab_vm_close(struct vm_area_struct *vma)
{
	struct mmaplab_obj *obj = vma_obj(vma);

	mmaplab_count(obj, MMAPLAB_CNT_VMA_CLOSES);
	atomic_long_dec(&obj->vmas_live);
	mmaplab_obj_put(obj);
}

static int mmaplab_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	mmaplab_count(vma_obj(vma), MMAPLAB_CNT_MAY_SPLITS);
	return 0;
}

static int mmaplab_vm_mremap(struct vm_area_struct *vma)
{
	mmaplab_count(vma_obj(vma), MMAPLAB_CNT_MREMAPS);
	return 0;
}

static int mmaplab_vm_mprotect(struct vm_area_struct *vma, unsigned long start,
			       unsigned long end, unsigned long newflags)
{
	mmaplab_count(vma_obj(vma), MMAPLAB_CNT_MPROTECTS);
	return 0;
}

/*
 * Shown in /proc/PID/maps only for a VMA without a file; every mmaplab
 * mapping keeps one (the device, or the shmem file), so the path is shown
 * instead.  Kept so that tools reading vm_ops->name get a label.
 */
static const char *mmaplab_vm_name(struct vm_area_struct *vma)
{
	return vma_obj(vma)->ops->label;
}

/*
 * Count one fault and decide what the object says about the page before
 * any backing looks at it: past the end is SIGBUS (like a file), a guard
 * page is SIGSEGV.  Returns 0 when the backing should serve the fault.
 */
static vm_fault_t mmaplab_fault_begin(struct mmaplab_obj *obj,
				      struct vm_fault *vmf)
{
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	bool shared = vmf->vma->vm_flags & VM_SHARED;

	mmaplab_count(obj, MMAPLAB_CNT_FAULTS);
	mmaplab_count(obj, write ? MMAPLAB_CNT_FAULTS_WRITE :
				   MMAPLAB_CNT_FAULTS_READ);
	if (shared)
		mmaplab_count(obj, MMAPLAB_CNT_FAULTS_SHARED);
	else if (write)
		mmaplab_count(obj, MMAPLAB_CNT_FAULTS_COW);

	if (vmf->pgoff >= obj->nr_pages) {
		mmaplab_count(obj, MMAPLAB_CNT_FAULTS_SIGBUS);
		return VM_FAULT_SIGBUS;
	}
	if (mmaplab_vma_guarded(obj, vmf->pgoff)) {
		mmaplab_count(obj, MMAPLAB_CNT_FAULTS_SIGSEGV);
		return VM_FAULT_SIGSEGV;
	}
	return 0;
}

/*
 * Backing pages: hand the kernel the object's page for this offset, with a
 * reference.  On a private mapping a write fault makes the kernel copy it
 * into a new anonymous page (copy-on-write); the object's page stays.
 */
static vm_fault_t mmaplab_pages_fault(struct vm_fault *vmf)
{
	struct mmaplab_obj *obj = vma_obj(vmf->vma);
	struct page *page;
	vm_fault_t ret;

	ret = mmaplab_fault_begin(obj, vmf);
	if (ret)
		return ret;
	down_read(&obj->inval);
	page = mmaplab_pages_get(obj, vmf->pgoff);
	up_read(&obj->inval);
	if (IS_ERR(page))
		return vmf_error(PTR_ERR(page));
	vmf->page = page;
	return 0;
}

/*
 * Fault-around for backing pages: map the object's resident pages in
 * [start, end] that this VMA does not map yet.  Runs under RCU on recent
 * kernels, so it cannot allocate: without a page table yet it does
 * nothing and ->fault serves the access.  The VMA is VM_MIXEDMAP, which
 * vm_insert_page() needs when called outside mmap().
 */
static vm_fault_t mmaplab_pages_map_pages(struct vm_fault *vmf,
					  pgoff_t start, pgoff_t end)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mmaplab_obj *obj = vma_obj(vma);
	unsigned long addr;
	vm_fault_t ret = 0;
	struct page *page;
	long mapped = 0;
	pgoff_t i;

	mmaplab_count(obj, MMAPLAB_CNT_MAP_PAGES);
	if (pmd_none(*vmf->pmd))
		return 0;
	for (i = start; i <= end && i < obj->nr_pages; i++) {
		if (mmaplab_vma_guarded(obj, i))
			continue;
		page = mmaplab_pages_lookup(obj, i);
		if (!page)
			continue;
		addr = vma->vm_start + ((i - vma->vm_pgoff) << PAGE_SHIFT);
		if (!vm_insert_page(vma, addr, page)) {
			mapped++;
			if (addr == (vmf->address & PAGE_MASK))
				ret = VM_FAULT_NOPAGE;
		}
		put_page(page);
	}
	mmaplab_count_n(obj, MMAPLAB_CNT_MAP_PAGES_MAPPED, mapped);
	return ret;
}

/*
 * The first write to a clean page of a shared writable mapping.  The page
 * has no address_space, so it is returned locked (VM_FAULT_LOCKED): the
 * kernel would otherwise take an unlocked page without a mapping for a
 * truncated one and retry the fault forever.
 */
static vm_fault_t mmaplab_pages_page_mkwrite(struct vm_fault *vmf)
{
	struct mmaplab_obj *obj = vma_obj(vmf->vma);

	mmaplab_count(obj, MMAPLAB_CNT_PAGE_MKWRITES);
	lock_page(vmf->page);
	if (vmf->pgoff < obj->nr_pages)
		set_bit(vmf->pgoff, obj->dirty);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct mmaplab_pages_ops = {
	.open		= mmaplab_vm_open,
	.close		= mmaplab_vm_close,
	.may_split	= mmaplab_vm_may_split,
	.mremap		= mmaplab_vm_mremap,
	.mprotect	= mmaplab_vm_mprotect,
	.name		= mmaplab_vm_name,
	.fault		= mmaplab_pages_fault,
};

static const struct vm_operations_struct mmaplab_pages_fa_ops = {
	.open		= mmaplab_vm_open,
	.close		= mmaplab_vm_close,
	.may_split	= mmaplab_vm_may_split,
	.mremap		= mmaplab_vm_mremap,
	.mprotect	= mmaplab_vm_mprotect,
	.name		= mmaplab_vm_name,
	.fault		= mmaplab_pages_fault,
	.map_pages	= mmaplab_pages_map_pages,
};

static const struct vm_operations_struct mmaplab_pages_wn_ops = {
	.open		= mmaplab_vm_open,
	.close		= mmaplab_vm_close,
	.may_split	= mmaplab_vm_may_split,
	.mremap		= mmaplab_vm_mremap,
	.mprotect	= mmaplab_vm_mprotect,
	.name		= mmaplab_vm_name,
	.fault		= mmaplab_pages_fault,
	.page_mkwrite	= mmaplab_pages_page_mkwrite,
};

static const struct vm_operations_struct mmaplab_pages_fa_wn_ops = {
	.open		= mmaplab_vm_open,
	.close		= mmaplab_vm_close,
	.may_split	= mmaplab_vm_may_split,
	.mremap		= mmaplab_vm_mremap,
	.mprotect	= mmaplab_vm_mprotect,
	.name		= mmaplab_vm_name,
	.fault		= mmaplab_pages_fault,
	.map_pages	= mmaplab_pages_map_pages,
	.page_mkwrite	= mmaplab_pages_page_mkwrite,
};

const struct vm_operations_struct *mmaplab_pages_vm_ops(u32 flags)
{
	bool fa = flags & MMAPLAB_CONFIG_FAULT_AROUND;
	bool wn = flags & MMAPLAB_CONFIG_WRITE_NOTIFY;

	if (fa)
		return wn ? &mmaplab_pages_fa_wn_ops : &mmaplab_pages_fa_ops;
	return wn ? &mmaplab_pages_wn_ops : &mmaplab_pages_ops;
}

/*
 * Backing pfn: insert the page frame of the object's page; no struct page
 * reference is taken by the mapping (VM_PFNMAP), so the invalidation lock
 * is held until the entry is in place.
 */
static vm_fault_t mmaplab_pfn_fault(struct vm_fault *vmf)
{
	struct mmaplab_obj *obj = vma_obj(vmf->vma);
	struct page *page;
	vm_fault_t ret;

	ret = mmaplab_fault_begin(obj, vmf);
	if (ret)
		return ret;
	down_read(&obj->inval);
	page = mmaplab_pages_get(obj, vmf->pgoff);
	if (IS_ERR(page)) {
		ret = vmf_error(PTR_ERR(page));
	} else {
		ret = vmf_insert_pfn(vmf->vma, vmf->address & PAGE_MASK,
				     page_to_pfn(page));
		put_page(page);
	}
	up_read(&obj->inval);
	return ret;
}

/* The first write to a shared PFN page mapped read-only. */
static vm_fault_t mmaplab_pfn_mkwrite(struct vm_fault *vmf)
{
	struct mmaplab_obj *obj = vma_obj(vmf->vma);

	mmaplab_count(obj, MMAPLAB_CNT_PFN_MKWRITES);
	if (vmf->pgoff < obj->nr_pages)
		set_bit(vmf->pgoff, obj->dirty);
	return 0;
}

/*
 * ptrace, /proc/PID/mem and gdb cannot pin the pages of a VM_IO mapping;
 * they come here.  Copy at most to the end of one page, like
 * generic_access_phys(), but through the object's own pages.
 */
static int mmaplab_pfn_access(struct vm_area_struct *vma, unsigned long addr,
			      void *buf, int len, int write)
{
	struct mmaplab_obj *obj = vma_obj(vma);
	unsigned long offset = addr - vma->vm_start;
	pgoff_t index = vma->vm_pgoff + (offset >> PAGE_SHIFT);
	unsigned int in_page = offset_in_page(offset);
	struct page *page;
	void *kaddr;

	mmaplab_count(obj, MMAPLAB_CNT_ACCESSES);
	if (index >= obj->nr_pages || mmaplab_vma_guarded(obj, index))
		return -EFAULT;
	len = min_t(int, len, PAGE_SIZE - in_page);

	down_read(&obj->inval);
	page = mmaplab_pages_get(obj, index);
	if (IS_ERR(page)) {
		up_read(&obj->inval);
		return PTR_ERR(page);
	}
	kaddr = kmap_local_page(page);
	if (write)
		memcpy(kaddr + in_page, buf, len);
	else
		memcpy(buf, kaddr + in_page, len);
	kunmap_local(kaddr);
	put_page(page);
	up_read(&obj->inval);
	return len;
}

static const struct vm_operations_struct mmaplab_pfn_ops = {
	.open		= mmaplab_vm_open,
	.close		= mmaplab_vm_close,
	.may_split	= mmaplab_vm_may_split,
	.mremap		= mmaplab_vm_mremap,
	.mprotect	= mmaplab_vm_mprotect,
	.name		= mmaplab_vm_name,
	.fault		= mmaplab_pfn_fault,
	.access		= mmaplab_pfn_access,
};

static const struct vm_operations_struct mmaplab_pfn_wn_ops = {
	.open		= mmaplab_vm_open,
	.close		= mmaplab_vm_close,
	.may_split	= mmaplab_vm_may_split,
	.mremap		= mmaplab_vm_mremap,
	.mprotect	= mmaplab_vm_mprotect,
	.name		= mmaplab_vm_name,
	.fault		= mmaplab_pfn_fault,
	.pfn_mkwrite	= mmaplab_pfn_mkwrite,
	.access		= mmaplab_pfn_access,
};

const struct vm_operations_struct *mmaplab_pfn_vm_ops(u32 flags)
{
	return flags & MMAPLAB_CONFIG_WRITE_NOTIFY ? &mmaplab_pfn_wn_ops :
						     &mmaplab_pfn_ops;
}

/*
 * Backing shmem: the VMA is a mapping of the object's shmem file; these
 * wrappers count and check, then let shmem's own operations do the work,
 * so the pages are shmem's page-cache pages.
 */
static vm_fault_t mmaplab_shmem_fault(struct vm_fault *vmf)
{
	struct mmaplab_obj *obj = vma_obj(vmf->vma);
	vm_fault_t ret;

	ret = mmaplab_fault_begin(obj, vmf);
	if (ret)
		return ret;
	return mmaplab_shmem_orig_ops()->fault(vmf);
}

/* Fault-around must not map a guard page: then it maps nothing. */
static vm_fault_t mmaplab_shmem_map_pages(struct vm_fault *vmf,
					  pgoff_t start, pgoff_t end)
{
	struct mmaplab_obj *obj = vma_obj(vmf->vma);
	unsigned long next;

	mmaplab_count(obj, MMAPLAB_CNT_MAP_PAGES);
	next = find_next_bit(obj->guard, obj->nr_pages, start);
	if (next <= end && next < obj->nr_pages)
		return 0;
	return mmaplab_shmem_orig_ops()->map_pages(vmf, start, end);
}

static const struct vm_operations_struct mmaplab_shmem_ops = {
	.open		= mmaplab_vm_open,
	.close		= mmaplab_vm_close,
	.may_split	= mmaplab_vm_may_split,
	.mremap		= mmaplab_vm_mremap,
	.mprotect	= mmaplab_vm_mprotect,
	.name		= mmaplab_vm_name,
	.fault		= mmaplab_shmem_fault,
	.map_pages	= mmaplab_shmem_map_pages,
};

const struct vm_operations_struct *mmaplab_shmem_vm_ops(void)
{
	return &mmaplab_shmem_ops;
}
