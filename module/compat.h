/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference mmaplab meets, in one place.
 *
 * Each wrapper is named after what it does, so the rest of the module
 * reads as if there were only one kernel.  Nothing else in module/ may
 * test LINUX_VERSION_CODE.
 */
#ifndef _MMAPLAB_COMPAT_H
#define _MMAPLAB_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/*
 * vma->vm_flags became read-only (vm_flags_set/vm_flags_clear, which also
 * take the per-VMA write lock) in 6.3.
 */
static inline void mmaplab_vma_set_flags(struct vm_area_struct *vma,
					 unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void mmaplab_vma_clear_flags(struct vm_area_struct *vma,
					   unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

#endif /* _MMAPLAB_COMPAT_H */
