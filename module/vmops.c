// SPDX-License-Identifier: GPL-2.0
/*
 * vmops.c - the vm_operations of a mapping of a lab object.
 *
 * Owns what happens when the kernel calls back on a VMA: mmap() attaching
 * the object, ->open when a VMA is duplicated (fork, split, mremap move),
 * ->close when one goes away, and ->fault.  Each callback is counted.
 * The fault path must not assume mmap_lock is held: from 6.4 on it may run
 * under the per-VMA lock only, so it touches nothing but the object.
 */
#include <linux/mm.h>

#include "mmaplab.h"

static void mmaplab_vm_open(struct vm_area_struct *vma)
{
	struct mmaplab_obj *obj = vma->vm_private_data;

	mmaplab_obj_get(obj);
	atomic_long_inc(&obj->vmas_live);
	mmaplab_count(obj, MMAPLAB_CNT_VMA_OPENS);
}

static void mmaplab_vm_close(struct vm_area_struct *vma)
{
	struct mmaplab_obj *obj = vma->vm_private_data;

	mmaplab_count(obj, MMAPLAB_CNT_VMA_CLOSES);
	atomic_long_dec(&obj->vmas_live);
	mmaplab_obj_put(obj);
}

/*
 * Hand the kernel the object's page for this offset.  On a private
 * mapping a write fault makes the kernel copy that page into a new
 * anonymous one (copy-on-write); the object's page stays untouched.
 */
static vm_fault_t mmaplab_vm_fault(struct vm_fault *vmf)
{
	struct mmaplab_obj *obj = vmf->vma->vm_private_data;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	bool shared = vmf->vma->vm_flags & VM_SHARED;
	struct page *page;

	mmaplab_count(obj, MMAPLAB_CNT_FAULTS);
	mmaplab_count(obj, write ? MMAPLAB_CNT_FAULTS_WRITE :
				   MMAPLAB_CNT_FAULTS_READ);
	if (shared)
		mmaplab_count(obj, MMAPLAB_CNT_FAULTS_SHARED);
	else if (write)
		mmaplab_count(obj, MMAPLAB_CNT_FAULTS_COW);

	/* Like a file: the object's end is fixed; beyond it lies SIGBUS. */
	if (vmf->pgoff >= obj->nr_pages) {
		mmaplab_count(obj, MMAPLAB_CNT_FAULTS_SIGBUS);
		return VM_FAULT_SIGBUS;
	}

	page = mmaplab_pages_get(obj, vmf->pgoff);
	if (IS_ERR(page))
		return vmf_error(PTR_ERR(page));
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct mmaplab_vm_ops = {
	.open	= mmaplab_vm_open,
	.close	= mmaplab_vm_close,
	.fault	= mmaplab_vm_fault,
};

int mmaplab_vma_attach(struct mmaplab_obj *obj, struct vm_area_struct *vma)
{
	mutex_lock(&obj->lock);
	if (!obj->configured) {
		mutex_unlock(&obj->lock);
		return -EINVAL;
	}
	obj->mapped = true;
	mutex_unlock(&obj->lock);

	vma->vm_ops = &mmaplab_vm_ops;
	vma->vm_private_data = obj;
	mmaplab_obj_get(obj);
	atomic_long_inc(&obj->vmas_live);
	mmaplab_count(obj, MMAPLAB_CNT_MMAPS);
	return 0;
}
