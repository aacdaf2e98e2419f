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
#include <linux/sched.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/swapops.h>
#include <linux/version.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
#include <linux/leafops.h>
#endif

#include <net/genetlink.h>

#include <linux/mmaplab.h>

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

/*
 * Remove this VMA's entries for [addr, addr + size) of a VM_PFNMAP
 * mapping: zap_vma_ptes() until 6.x, zap_special_vma_range() in 7.x.
 */
static inline void mmaplab_zap_pfn_range(struct vm_area_struct *vma,
					 unsigned long addr, unsigned long size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
	zap_special_vma_range(vma, addr, size);
#else
	zap_vma_ptes(vma, addr, size);
#endif
}

/*
 * Page-table reading for MMAPLAB_IOC_INSPECT.  pte_offset_map_lock() and
 * vm_normal_page() are not exported to modules on 6.12, so inspect.c
 * walks the tables itself: these wrappers are the pieces that differ.
 */

/* A PMD read once, without its lock: pmdp_get_lockless() from 6.5. */
static inline pmd_t mmaplab_pmd_read(pmd_t *pmdp)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return pmdp_get_lockless(pmdp);
#else
	return READ_ONCE(*pmdp);
#endif
}

/*
 * How many page-table entries map @page: page_mapcount() until 6.10, the
 * folio's from 6.11 on (page_mapcount() was removed: large folios are no
 * longer counted per page).
 */
static inline int mmaplab_page_mapcount(struct page *page)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return folio_mapcount(page_folio(page));
#else
	return page_mapcount(page);
#endif
}

/*
 * What a non-present, non-empty PTE holds (enum mmaplab_pte_state), and
 * for a swap entry its area and offset.  By 7.0 the swap-entry tests of
 * swapops.h gave way to the "softleaf" ones of leafops.h; the guard
 * marker of MADV_GUARD_INSTALL exists from 6.13.
 */
static inline u32 mmaplab_pte_nonpresent(pte_t pte, u32 *type, u64 *offset)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
	softleaf_t entry = softleaf_from_pte(pte);

	if (softleaf_is_swap(entry)) {
		*type = swp_type(entry);
		*offset = swp_offset(entry);
		return MMAPLAB_PTE_SWAP;
	}
	if (softleaf_is_migration(entry))
		return MMAPLAB_PTE_MIGRATION;
	if (softleaf_is_guard_marker(entry))
		return MMAPLAB_PTE_GUARD;
	if (softleaf_is_marker(entry))
		return MMAPLAB_PTE_MARKER;
	return MMAPLAB_PTE_OTHER;
#else
	swp_entry_t entry = pte_to_swp_entry(pte);

	if (!non_swap_entry(entry)) {
		*type = swp_type(entry);
		*offset = swp_offset(entry);
		return MMAPLAB_PTE_SWAP;
	}
	if (is_migration_entry(entry))
		return MMAPLAB_PTE_MIGRATION;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	if (is_guard_swp_entry(entry))
		return MMAPLAB_PTE_GUARD;
#endif
	if (is_pte_marker_entry(entry))
		return MMAPLAB_PTE_MARKER;
	return MMAPLAB_PTE_OTHER;
#endif
}

/*
 * PROT_NONE: x86 keeps such an entry "present" for the kernel
 * (pte_present() is true) with _PAGE_PROTNONE instead of _PAGE_PRESENT.
 * pte_protnone() says so only with NUMA balancing built in.
 */
static inline bool mmaplab_pte_protnone(pte_t pte)
{
	return (pte_flags(pte) & (_PAGE_PRESENT | _PAGE_PROTNONE)) ==
	       _PAGE_PROTNONE;
}

/*
 * The kernel's FAULT_FLAG_* bits as the ABI's MMAPLAB_FAULT_* (their
 * values differ between kernels).  FAULT_FLAG_VMA_LOCK (a fault under the
 * per-VMA lock, without mmap_lock) exists from 6.4.
 */
static inline u32 mmaplab_fault_flags(unsigned int flags)
{
	u32 out = 0;

	if (flags & FAULT_FLAG_WRITE)
		out |= MMAPLAB_FAULT_WRITE;
	if (flags & FAULT_FLAG_USER)
		out |= MMAPLAB_FAULT_USER;
	if (flags & FAULT_FLAG_REMOTE)
		out |= MMAPLAB_FAULT_REMOTE;
	if (flags & FAULT_FLAG_TRIED)
		out |= MMAPLAB_FAULT_TRIED;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	if (flags & FAULT_FLAG_VMA_LOCK)
		out |= MMAPLAB_FAULT_VMA_LOCK;
#endif
	return out;
}

/*
 * Who owns an mm, for the dump's VMAs: mm->owner exists with memory
 * cgroups only (Debian's kernels have them); 0 when unknown.
 */
static inline u32 mmaplab_mm_pid(struct mm_struct *mm)
{
	u32 pid = 0;
#ifdef CONFIG_MEMCG
	struct task_struct *owner;

	rcu_read_lock();
	owner = rcu_dereference(mm->owner);
	if (owner)
		pid = task_tgid_nr(owner);
	rcu_read_unlock();
#endif
	return pid;
}

/*
 * The word of a page's flags, read once: page->flags is an unsigned long
 * on 6.1 and 6.12 and a memdesc_flags_t holding one on 7.x, so it is read
 * as the word it is, whatever its type.
 */
static inline unsigned long mmaplab_page_flags_word(const struct page *page)
{
	BUILD_BUG_ON(sizeof(page->flags) != sizeof(unsigned long));
	return READ_ONCE(*(const unsigned long *)&page->flags);
}

/*
 * The low bits of folio->mapping that mark an anonymous (and a KSM)
 * folio: PAGE_MAPPING_* on 6.1 and 6.12, FOLIO_MAPPING_* on 7.x.
 */
#ifdef FOLIO_MAPPING_ANON
#define MMAPLAB_MAPPING_ANON	FOLIO_MAPPING_ANON
#define MMAPLAB_MAPPING_KSM	FOLIO_MAPPING_KSM
#define MMAPLAB_MAPPING_FLAGS	FOLIO_MAPPING_FLAGS
#else
#define MMAPLAB_MAPPING_ANON	PAGE_MAPPING_ANON
#define MMAPLAB_MAPPING_KSM	PAGE_MAPPING_KSM
#define MMAPLAB_MAPPING_FLAGS	PAGE_MAPPING_FLAGS
#endif

/* Do two entries differ in nothing but the frame they map?  (x86) */
static inline bool mmaplab_pte_same_but_pfn(pte_t a, pte_t b)
{
	return !((pte_val(a) ^ pte_val(b)) & ~PTE_PFN_MASK);
}

/*
 * Only sockets with CAP_NET_ADMIN may join the "monitor" group
 * (everyone's events).  GENL_MCAST_CAP_NET_ADMIN makes the core refuse
 * the bind (mainline 6.8; Debian's 6.1 has it backported).  A kernel
 * without it cannot refuse a bind at all (genl_family.bind's answer is
 * ignored), so there the module never multicasts: only subscriptions,
 * which check the descriptor, deliver events.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define MMAPLAB_MCGRP_FLAGS	GENL_MCAST_CAP_NET_ADMIN
#define MMAPLAB_MCGRP_SAFE	true
#else
#define MMAPLAB_MCGRP_FLAGS	0
#define MMAPLAB_MCGRP_SAFE	false
#endif

#endif /* _MMAPLAB_COMPAT_H */
