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
 *
 * Each callback also emits its event (events.c) after counting it, so the
 * event stream of an object says what its counters say, in order.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>

#include "compat.h"
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
	mmaplab_events_vma_add(obj, vma);
}

void mmaplab_vm_open(struct vm_area_struct *vma)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vma);

	get_file(obj->file);
	mmaplab_obj_get(obj);
	atomic_long_inc(&obj->vmas_live);
	mmaplab_events_vma_add(obj, vma);
	mmaplab_count(obj, MMAPLAB_CNT_VMA_OPENS);
	mmaplab_emit_vma(obj, MMAPLAB_EV_OPEN, vma, 0, 0, 0);
}

void mmaplab_vm_close(struct vm_area_struct *vma)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vma);
	struct file *file = obj->file;

	mmaplab_count(obj, MMAPLAB_CNT_VMA_CLOSES);
	mmaplab_emit_vma(obj, MMAPLAB_EV_CLOSE, vma, 0, 0, 0);
	mmaplab_events_vma_del(obj, vma);
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
	struct mmaplab_obj *obj = mmaplab_vma_obj(vma);

	mmaplab_count(obj, MMAPLAB_CNT_MAY_SPLITS);
	mmaplab_emit_vma(obj, MMAPLAB_EV_MAY_SPLIT, vma, addr, 0, 0);
	return 0;
}

int mmaplab_vm_mremap(struct vm_area_struct *vma)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vma);

	mmaplab_count(obj, MMAPLAB_CNT_MREMAPS);
	mmaplab_emit_vma(obj, MMAPLAB_EV_MREMAP, vma, 0, 0, 0);
	return 0;
}

int mmaplab_vm_mprotect(struct vm_area_struct *vma, unsigned long start,
			unsigned long end, unsigned long newflags)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vma);
	u32 prot = (newflags & VM_READ ? PROT_READ : 0) |
		   (newflags & VM_WRITE ? PROT_WRITE : 0) |
		   (newflags & VM_EXEC ? PROT_EXEC : 0);

	mmaplab_count(obj, MMAPLAB_CNT_MPROTECTS);
	mmaplab_emit_vma(obj, MMAPLAB_EV_MPROTECT, vma, start, end, prot);
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
		mmaplab_fault_done(obj, vmf, MMAPLAB_FAULT_OUTCOME_SIGBUS, false);
		return VM_FAULT_SIGBUS;
	}
	down_read(&obj->inval);
	if (mmaplab_guarded(obj, vmf->pgoff)) {
		up_read(&obj->inval);
		mmaplab_count(obj, MMAPLAB_CNT_FAULTS_SIGSEGV);
		mmaplab_fault_done(obj, vmf, MMAPLAB_FAULT_OUTCOME_SIGSEGV,
				   false);
		return VM_FAULT_SIGSEGV;
	}
	*seq = obj->seq;
	return 0;
}

/*
 * The fault's event, once a backing knows its answer.  A page served to a
 * write on a private mapping is copied by the kernel: that is a COW.
 * Faults may not reclaim memory for an event: GFP_NOWAIT.
 */
void mmaplab_fault_done(struct mmaplab_obj *obj, struct vm_fault *vmf,
			u32 outcome, bool allocated)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mmaplab_ev ev = {
		.event = MMAPLAB_EV_FAULT,
		.vma = vma,
		.addr = vmf->address,
		.pgoff = vmf->pgoff,
		.flags = mmaplab_fault_flags(vmf->flags),
		.allocated = allocated,
	};

	if (vma->vm_flags & VM_SHARED)
		ev.flags |= MMAPLAB_FAULT_SHARED;
	else if ((vmf->flags & FAULT_FLAG_WRITE) &&
		 (outcome == MMAPLAB_FAULT_OUTCOME_NEW ||
		  outcome == MMAPLAB_FAULT_OUTCOME_FOUND))
		outcome = MMAPLAB_FAULT_OUTCOME_COW;
	ev.outcome = outcome;
	mmaplab_emit(obj, &ev, GFP_NOWAIT);
}

void mmaplab_emit_mkwrite(struct mmaplab_obj *obj, struct vm_fault *vmf,
			  u32 event)
{
	struct mmaplab_ev ev = {
		.event = event,
		.vma = vmf->vma,
		.addr = vmf->address,
		.pgoff = vmf->pgoff,
		.flags = mmaplab_fault_flags(vmf->flags) | MMAPLAB_FAULT_SHARED,
	};

	mmaplab_emit(obj, &ev, GFP_NOWAIT);
}

/* Fault-around runs under RCU (6.5 on): GFP_ATOMIC, and never sleep. */
void mmaplab_emit_map_pages(struct mmaplab_obj *obj, struct vm_fault *vmf,
			    pgoff_t start, pgoff_t end, long mapped)
{
	struct mmaplab_ev ev = {
		.event = MMAPLAB_EV_MAP_PAGES,
		.vma = vmf->vma,
		.addr = vmf->address,
		.pgoff = start,
		.nr_pages = end - start + 1,
		.result = mapped,
	};

	mmaplab_emit(obj, &ev, GFP_ATOMIC);
}

/*
 * A range operation ran while the fault waited for @page's lock: give the
 * page back and let the access fault again, so that it sees the guards
 * and pages the operation left.
 */
vm_fault_t mmaplab_fault_retry(struct mmaplab_obj *obj, struct vm_fault *vmf,
			       struct page *page)
{
	unlock_page(page);
	put_page(page);
	mmaplab_count(obj, MMAPLAB_CNT_FAULTS_RETRIED);
	mmaplab_fault_done(obj, vmf, MMAPLAB_FAULT_OUTCOME_RETRIED, false);
	return VM_FAULT_NOPAGE;
}
