/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference mmaplab meets, in one place.
 *
 * Each wrapper is named after what it does, so the rest of the module
 * reads as if there were only one kernel.  Nothing else in module/ may
 * test LINUX_VERSION_CODE.  Tested on 6.1, 6.12 and 7.2; the version
 * boundaries below are where the interface changed upstream.
 */
#ifndef _MMAPLAB_COMPAT_H
#define _MMAPLAB_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
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

/*
 * A shmem file for a lab object or a shared zero mapping.  The flags
 * argument became a vma_flags_t bitmap in 7.0.
 */
static inline struct file *mmaplab_shmem_file_setup(const char *name,
						    loff_t size,
						    unsigned long vm_flags,
						    bool kernel)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
	vma_flags_t flags = legacy_to_vma_flags(vm_flags);
#else
	unsigned long flags = vm_flags;
#endif

	return kernel ? shmem_kernel_file_setup(name, size, flags) :
			shmem_file_setup(name, size, flags);
}

/*
 * Call another file's mmap on @vma (the shmem file that now backs it):
 * call_mmap() until 6.16; from 6.17 vfs_mmap(), which also runs a file's
 * ->mmap_prepare for a VMA that already exists.
 */
static inline int mmaplab_file_mmap(struct file *file,
				    struct vm_area_struct *vma)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
	return vfs_mmap(file, vma);
#else
	return call_mmap(file, vma);
#endif
}

/*
 * What /dev/zero does for MAP_SHARED: back the VMA by a new unlinked
 * shmem file named "dev/zero".  shmem_zero_setup() is exported up to 6.1
 * only; later kernels get the same result from the shmem file's own mmap,
 * which picks the anonymous-shmem vm_operations for an unlinked file.
 */
static inline int mmaplab_shmem_zero_setup(struct vm_area_struct *vma)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
	return shmem_zero_setup(vma);
#else
	struct file *file;

	file = mmaplab_shmem_file_setup("dev/zero",
					vma->vm_end - vma->vm_start,
					vma->vm_flags, true);
	if (IS_ERR(file))
		return PTR_ERR(file);
	vma_set_file(vma, file);
	fput(file);
	return mmaplab_file_mmap(file, vma);
#endif
}

/* Read (and if needed allocate) page @index of a shmem file, referenced. */
static inline struct page *mmaplab_shmem_page(struct file *file, pgoff_t index)
{
	return shmem_read_mapping_page_gfp(file->f_mapping, index,
					   mapping_gfp_mask(file->f_mapping));
}

/*
 * The folio cached at @index of @mapping, locked and referenced, or NULL.
 * filemap_lock_folio() returned NULL for a miss until 6.2 and an ERR_PTR
 * from 6.3.
 */
static inline struct folio *mmaplab_lock_cached_folio(struct address_space *mapping,
						      pgoff_t index)
{
	struct folio *folio = filemap_lock_folio(mapping, index);

	return IS_ERR(folio) ? NULL : folio;
}

#endif /* _MMAPLAB_COMPAT_H */
