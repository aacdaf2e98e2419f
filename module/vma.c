// SPDX-License-Identifier: GPL-2.0
/*
 * vma.c - the callbacks every backing's VMAs share, and the helpers their
 * fault handlers share.
 *
 * Owns ->open (a VMA is duplicated: fork, split, mremap move), ->close,
 * ->may_split, ->mremap, ->mprotect and ->name, each counted, and the
 * checks a fault makes before a backing serves it (past the end: SIGBUS;
 * a guard page: SIGSEGV).  It also owns what keeps the module loaded
 * while a VMA carries its vm_operations: each such VMA holds a reference
 * to the object's device file, whose .owner pins the module, even when
 * the VMA's own vm_file is another file (backing shmem).  The fault
 * handlers themselves live with their backing (backing_*.c); this file
 * must not know any backing.
 *
 * Fault paths must not assume mmap_lock is held: from 6.4 on they may run
 * under the per-VMA lock only, and ->map_pages runs under rcu_read_lock()
 * from 6.5, so it never sleeps.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "mmaplab.h"

/*
 * Called by a backing's mmap() once the VMA is ready.  The file reference
 * is put by ->close with fput(), which defers the last put (and so the
 * module_put() of the file's owner) until the callback has returned: the
 * module cannot go away while its code runs.
 */
void mmaplab_vma_attach(struct mmaplab_obj *obj, struct vm_area_struct *vma,
			const struct vm_operations_struct *ops)
{
	vma->vm_ops = ops;
	vma->vm_private_data = obj;
	get_file(obj->file);
	mmaplab_obj_get(obj);
	atomic_long_inc(&obj->vmas_live);
}

void mmaplab_vm_open(struct vm_area_struct *vma)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vma);

	get_file(obj->file);
	mmaplab_obj_get(obj);
	atomic_long_inc(&obj->vmas_live);
	mmaplab_count(obj, MMAPLAB_CNT_VMA_OPENS);
}

void mmaplab_vm_close(struct vm_area_struct *vma)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vma);
	struct file *file = obj->file;

	mmaplab_count(obj, MMAPLAB_CNT_VMA_CLOSES);
	atomic_long_dec(&obj->vmas_live);
	/* Not the last reference: the file still holds one. */
	mmaplab_obj_put(obj);
	fput(file);
}

/* Does @vma carry the module's vm_operations (any backing's)? */
bool mmaplab_vma_is_ours(struct vm_area_struct *vma)
{
	return vma->vm_ops && vma->vm_ops->open == mmaplab_vm_open;
}

int mmaplab_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	mmaplab_count(mmaplab_vma_obj(vma), MMAPLAB_CNT_MAY_SPLITS);
	return 0;
}

int mmaplab_vm_mremap(struct vm_area_struct *vma)
{
	mmaplab_count(mmaplab_vma_obj(vma), MMAPLAB_CNT_MREMAPS);
	return 0;
}

int mmaplab_vm_mprotect(struct vm_area_struct *vma, unsigned long start,
			unsigned long end, unsigned long newflags)
{
	mmaplab_count(mmaplab_vma_obj(vma), MMAPLAB_CNT_MPROTECTS);
	return 0;
}

/*
 * Shown in /proc/PID/maps only for a VMA without a file; every mmaplab
 * mapping keeps one (the device, or the shmem file), so the path is shown
 * instead.  Kept so that tools reading vm_ops->name get a label.
 */
const char *mmaplab_vm_name(struct vm_area_struct *vma)
{
	return mmaplab_vma_obj(vma)->ops->label;
}

/*
 * Every backing's ->fault starts here: count the fault, answer what needs
 * no page (past the end: SIGBUS, like a file; a guard page: SIGSEGV) and
 * read obj->seq.  Returns 0 with obj->inval held for reading (the caller
 * drops it once it looked up, or inserted, its page), or the answer.
 */
vm_fault_t mmaplab_fault_enter(struct mmaplab_obj *obj, struct vm_fault *vmf,
			       unsigned long *seq)
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
	down_read(&obj->inval);
	if (mmaplab_guarded(obj, vmf->pgoff)) {
		up_read(&obj->inval);
		mmaplab_count(obj, MMAPLAB_CNT_FAULTS_SIGSEGV);
		return VM_FAULT_SIGSEGV;
	}
	*seq = obj->seq;
	return 0;
}

/*
 * A range operation ran while the fault waited for @page's lock: give the
 * page back and let the access fault again, so that it sees the guards
 * and pages the operation left.
 */
vm_fault_t mmaplab_fault_retry(struct mmaplab_obj *obj, struct page *page)
{
	unlock_page(page);
	put_page(page);
	mmaplab_count(obj, MMAPLAB_CNT_FAULTS_RETRIED);
	return VM_FAULT_NOPAGE;
}
