/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmaplab: a laboratory for Linux memory mappings.
 *
 * This is the one ABI header shared by the kernel module, the mmaplab tool
 * and the selftests.  Every structure here is made of fixed-width fields,
 * padded explicitly, and starts with a @size field: the caller stores
 * sizeof() of the structure as it was compiled, so the structure can grow
 * at its end without breaking older binaries (the kernel side accepts a
 * shorter structure and treats the missing tail as zero, and refuses a
 * longer one whose unknown tail is not zero with -E2BIG).
 *
 * Each field is marked (in) when the caller fills it, (out) when the module
 * fills it.  Fields named __pad or __reserved must be zero (-EINVAL).
 * Enumerations reserve 0 so that an uninitialised value is caught.
 *
 * ioctl numbers: the module matches the type and number of a command and
 * takes the structure's length from @size, not from the size encoded in
 * the command, so a grown structure keeps its command number.
 */
#ifndef _UAPI_LINUX_MMAPLAB_H
#define _UAPI_LINUX_MMAPLAB_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MMAPLAB_DEVICE_NAME	"mmaplab"
#define MMAPLAB_DEVICE_PATH	"/dev/mmaplab"

/* ABI version reported by MMAPLAB_IOC_STATS, bumped on any addition. */
#define MMAPLAB_ABI_VERSION	5

/**
 * enum mmaplab_backing - where the pages of a lab object come from
 * @MMAPLAB_BACKING_NONE:  reserved; an unconfigured object
 * @MMAPLAB_BACKING_PAGES: pages allocated by the module on first touch and
 *                         handed to the kernel from ->fault; they belong to
 *                         no file's page cache
 * @MMAPLAB_BACKING_SHMEM: the object is an internal shmem (tmpfs) file: its
 *                         pages are page-cache pages, and mappings behave
 *                         like mappings of a tmpfs file
 * @MMAPLAB_BACKING_ZERO:  what /dev/zero does: MAP_SHARED becomes a new
 *                         shared anonymous (shmem) mapping, MAP_PRIVATE
 *                         plain anonymous memory; the object holds no pages
 * @MMAPLAB_BACKING_PFN:   a VM_PFNMAP | VM_IO mapping of module-owned memory,
 *                         inserted by PFN (no struct page is mapped);
 *                         MAP_PRIVATE mappings are refused (-EINVAL): any
 *                         private mapping may become writable and copy on
 *                         write, which needs struct pages
 */
enum mmaplab_backing {
	MMAPLAB_BACKING_NONE	= 0,
	MMAPLAB_BACKING_PAGES	= 1,
	MMAPLAB_BACKING_SHMEM	= 2,
	MMAPLAB_BACKING_ZERO	= 3,
	MMAPLAB_BACKING_PFN	= 4,
};

#define MMAPLAB_BACKING_MAX	MMAPLAB_BACKING_PFN

/*
 * struct mmaplab_config flags
 * @MMAPLAB_CONFIG_FAULT_AROUND: (pages) implement ->map_pages: a read fault
 *     also maps the object's resident pages around it (the VMA becomes
 *     VM_MIXEDMAP, so fork copies its page-table entries)
 * @MMAPLAB_CONFIG_WRITE_NOTIFY: (pages, pfn) implement ->page_mkwrite /
 *     ->pfn_mkwrite: shared writable mappings map pages read-only first and
 *     the module hears of the first write to each; the object tracks which
 *     pages are dirty (MMAPLAB_IOC_CLEAN resets them)
 */
#define MMAPLAB_CONFIG_FAULT_AROUND	(1U << 0)
#define MMAPLAB_CONFIG_WRITE_NOTIFY	(1U << 1)
#define MMAPLAB_CONFIG_FLAGS_ALL	(MMAPLAB_CONFIG_FAULT_AROUND | \
					 MMAPLAB_CONFIG_WRITE_NOTIFY)

/**
 * struct mmaplab_config - MMAPLAB_IOC_CONFIGURE argument
 * @size:     (in) sizeof(struct mmaplab_config) as the caller compiled it
 * @flags:    (in) MMAPLAB_CONFIG_* flags; a flag the backing cannot honour
 *            is refused with -EINVAL
 * @nr_pages: (in) size of the object in pages; 1 .. the max_pages module
 *            parameter (-EFBIG above it, -ENOSPC when the module-wide
 *            budget max_total_pages, or the caller's user's budget
 *            max_user_pages, would be exceeded)
 * @backing:  (in) enum mmaplab_backing
 * @__pad:    must be 0
 *
 * An object may be configured again until its first successful mmap():
 * the new configuration replaces the old one (pages, guards and budget of
 * the old one are given back); after that it fails with -EBUSY.  A failed
 * call leaves the object as it was.
 */
struct mmaplab_config {
	__u32 size;
	__u32 flags;
	__u64 nr_pages;
	__u32 backing;
	__u32 __pad;
};

#define MMAPLAB_CONFIG_SIZE_VER0	24

/**
 * struct mmaplab_stats - MMAPLAB_IOC_STATS argument
 * @size:     (in/out) sizeof(struct mmaplab_stats) as the caller compiled
 *            it; on return, the number of bytes the module filled in
 * @flags:    (in) 0 or MMAPLAB_STATS_RESET
 * @abi_version: (out) MMAPLAB_ABI_VERSION of the module
 * @backing:  (out) enum mmaplab_backing of this object (0: unconfigured)
 * @nr_pages: (out) configured size of this object in pages
 *
 * Counters of this object, all (out), counted since the object was opened:
 * @mmaps:          successful mmap() calls on this object's file
 * @vma_opens:      vm_operations ->open calls (fork, VMA split, mremap move)
 * @vma_closes:     vm_operations ->close calls (munmap, exit, merge away)
 * @vmas_live:      VMAs that map this object now (mmaps + opens - closes)
 * The fault kinds count the access that faulted, whatever the answer
 * (a write fault on a guard page of a private mapping is a cow fault
 * answered with SIGSEGV; nothing is copied).
 * @faults:         ->fault calls, all kinds
 * @faults_read:    ->fault calls for a read access
 * @faults_write:   ->fault calls for a write access (cow + shared writes)
 * @faults_cow:     write faults on a private mapping: the kernel copies the
 *                  page the module returns into a new anonymous page
 * @faults_shared:  faults (read or write) on a shared mapping
 * @faults_sigbus:  faults past the end of the object, answered with SIGBUS
 * @pages_allocated: pages this object allocated in its page store (first
 *                  touch of a page; backings pages and pfn)
 * @pages_resident: pages this object holds now (backing shmem: the pages
 *                  of its shmem file)
 *
 * Module-wide figures, all (out):
 * @live_objects:   lab objects that exist now (open files or mappings)
 * @live_pages:     pages in the page stores of all lab objects now
 *                  (backings pages and pfn; shmem pages belong to their
 *                  shmem file and are freed with it)
 * @max_pages:      per-object limit (module parameter max_pages)
 * @max_total_pages: module-wide limit on configured pages (max_total_pages)
 * @reserved_pages: pages configured by all live objects (charged against
 *                  max_total_pages)
 *
 * Added in ABI version 2 (all (out); callers with a version-0 structure
 * do not receive them):
 * @config_flags:   the object's MMAPLAB_CONFIG_* flags
 * @__pad2:         zero
 * @may_splits:     ->may_split calls (a VMA is about to be split)
 * @mremaps:        ->mremap calls (a VMA was moved by mremap())
 * @mprotects:      ->mprotect calls
 * @map_pages:      ->map_pages calls (fault-around)
 * @map_pages_mapped: pages mapped by ->map_pages (backing pages only)
 * @page_mkwrites:  ->page_mkwrite calls (first write to a clean shared page)
 * @pfn_mkwrites:   ->pfn_mkwrite calls (the same for PFN mappings)
 * @accesses:       ->access calls (ptrace, /proc/PID/mem on VM_IO mappings)
 * @faults_sigsegv: faults on guard pages, answered with SIGSEGV
 * @invalidations:  MMAPLAB_IOC_INVALIDATE calls
 * @pages_replaced: pages given new content by MMAPLAB_IOC_INVALIDATE
 * @pages_dirty:    pages written since they were last cleaned (state)
 * @pages_guarded:  guard pages of the object (state)
 *
 * Added in ABI version 3 (all (out)):
 * @faults_retried: faults that found a range operation (guard,
 *                  invalidate, clean) running on the object and backed off;
 *                  the access faults again
 * @max_user_pages: per-user limit on configured pages (module parameter
 *                  max_user_pages; callers with CAP_SYS_RESOURCE are not
 *                  held to it)
 * @user_reserved_pages: pages configured by the caller's user (effective
 *                  uid) in all live objects
 * @object_id:      this object's id: unique while the module is loaded,
 *                  never 0; MMAPLAB_IOC_INSPECT reports it for the VMAs
 *                  that map the object
 *
 * MMAPLAB_STATS_RESET subtracts what was reported from the counters once
 * the structure was copied out, so no event is lost and a caller that
 * gets -EFAULT keeps its counts.
 */
struct mmaplab_stats {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 backing;
	__u64 nr_pages;

	__u64 mmaps;
	__u64 vma_opens;
	__u64 vma_closes;
	__u64 vmas_live;
	__u64 faults;
	__u64 faults_read;
	__u64 faults_write;
	__u64 faults_cow;
	__u64 faults_shared;
	__u64 faults_sigbus;
	__u64 pages_allocated;
	__u64 pages_resident;

	__u64 live_objects;
	__u64 live_pages;
	__u64 max_pages;
	__u64 max_total_pages;
	__u64 reserved_pages;

	/* ABI version 2 */
	__u32 config_flags;
	__u32 __pad2;
	__u64 may_splits;
	__u64 mremaps;
	__u64 mprotects;
	__u64 map_pages;
	__u64 map_pages_mapped;
	__u64 page_mkwrites;
	__u64 pfn_mkwrites;
	__u64 accesses;
	__u64 faults_sigsegv;
	__u64 invalidations;
	__u64 pages_replaced;
	__u64 pages_dirty;
	__u64 pages_guarded;

	/* ABI version 3 */
	__u64 faults_retried;
	__u64 max_user_pages;
	__u64 user_reserved_pages;
	__u64 object_id;
};

#define MMAPLAB_STATS_SIZE_VER0		160
#define MMAPLAB_STATS_SIZE_VER1		272
#define MMAPLAB_STATS_SIZE_VER2		304

/* Zero this object's event counters after reading them. */
#define MMAPLAB_STATS_RESET		(1U << 0)
#define MMAPLAB_STATS_FLAGS_ALL		(MMAPLAB_STATS_RESET)

/**
 * struct mmaplab_range - argument of MMAPLAB_IOC_GUARD, _INVALIDATE, _CLEAN
 * @size:     (in) sizeof(struct mmaplab_range) as the caller compiled it
 * @flags:    (in) the command's flags (below); others: -EINVAL
 * @pgoff:    (in) first page of the object
 * @nr_pages: (in) number of pages; 0 means up to the end of the object.
 *            The range must lie inside the object (-EINVAL otherwise)
 * @fill:     (in) MMAPLAB_IOC_INVALIDATE with MMAPLAB_INVALIDATE_REPLACE:
 *            the byte (0..255) the new content is filled with; else 0
 * @__pad:    must be 0
 * @result:   (out) GUARD: guard pages of the object after the call;
 *            INVALIDATE: pages given new content; CLEAN: pages that were
 *            dirty and are clean now
 *
 * MMAPLAB_IOC_GUARD (flags: exactly one of MMAPLAB_GUARD_INSTALL,
 * MMAPLAB_GUARD_REMOVE): installing removes every page-table entry of the
 * range in every process, private copies included; from then on any access
 * there raises SIGSEGV, until the guard is removed.  Backings pages, shmem
 * and pfn (zero: -EOPNOTSUPP, its mappings are not the module's).
 *
 * MMAPLAB_IOC_INVALIDATE (flags: 0 or MMAPLAB_INVALIDATE_REPLACE): removes
 * the page-table entries that map the object's own pages in the range, in
 * every process (private copies stay: they are the process's own data), so
 * the next access faults again; with REPLACE the range first gets new
 * content, every byte @fill.  Backings pages, shmem and pfn.
 *
 * MMAPLAB_IOC_CLEAN (flags: 0): marks the range clean and removes its
 * shared page-table entries, so the next write to each page is notified
 * again (->page_mkwrite / ->pfn_mkwrite).  Needs MMAPLAB_CONFIG_WRITE_NOTIFY.
 */
struct mmaplab_range {
	__u32 size;
	__u32 flags;
	__u64 pgoff;
	__u64 nr_pages;
	__u32 fill;
	__u32 __pad;
	__u64 result;
};

#define MMAPLAB_RANGE_SIZE_VER0		40

#define MMAPLAB_GUARD_INSTALL		(1U << 0)
#define MMAPLAB_GUARD_REMOVE		(1U << 1)
#define MMAPLAB_INVALIDATE_REPLACE	(1U << 0)

/*
 * MMAPLAB_IOC_INSPECT: the page tables and page facts behind a range of a
 * process's address space.  See Documentation/inspect.rst.
 */

/*
 * struct mmaplab_inspect_vma @vm_flags: the kernel's VM_* flags, renamed
 * and numbered here so that they mean the same on every kernel (the
 * two-letter names are those of smaps' VmFlags).
 */
#define MMAPLAB_VM_READ		(1ULL << 0)	/* rd */
#define MMAPLAB_VM_WRITE	(1ULL << 1)	/* wr */
#define MMAPLAB_VM_EXEC		(1ULL << 2)	/* ex */
#define MMAPLAB_VM_SHARED	(1ULL << 3)	/* sh */
#define MMAPLAB_VM_MAYREAD	(1ULL << 4)	/* mr */
#define MMAPLAB_VM_MAYWRITE	(1ULL << 5)	/* mw */
#define MMAPLAB_VM_MAYEXEC	(1ULL << 6)	/* me */
#define MMAPLAB_VM_MAYSHARE	(1ULL << 7)	/* ms */
#define MMAPLAB_VM_GROWSDOWN	(1ULL << 8)	/* gd */
#define MMAPLAB_VM_UFFD_MISSING	(1ULL << 9)	/* um */
#define MMAPLAB_VM_PFNMAP	(1ULL << 10)	/* pf */
#define MMAPLAB_VM_UFFD_WP	(1ULL << 12)	/* uw */
#define MMAPLAB_VM_LOCKED	(1ULL << 13)	/* lo */
#define MMAPLAB_VM_IO		(1ULL << 14)	/* io */
#define MMAPLAB_VM_SEQ_READ	(1ULL << 15)	/* sr */
#define MMAPLAB_VM_RAND_READ	(1ULL << 16)	/* rr */
#define MMAPLAB_VM_DONTCOPY	(1ULL << 17)	/* dc */
#define MMAPLAB_VM_DONTEXPAND	(1ULL << 18)	/* de */
#define MMAPLAB_VM_LOCKONFAULT	(1ULL << 19)	/* lf */
#define MMAPLAB_VM_ACCOUNT	(1ULL << 20)	/* ac */
#define MMAPLAB_VM_NORESERVE	(1ULL << 21)	/* nr */
#define MMAPLAB_VM_HUGETLB	(1ULL << 22)	/* ht */
#define MMAPLAB_VM_SYNC		(1ULL << 23)	/* sf */
#define MMAPLAB_VM_WIPEONFORK	(1ULL << 25)	/* wf */
#define MMAPLAB_VM_DONTDUMP	(1ULL << 26)	/* dd */
#define MMAPLAB_VM_SOFTDIRTY	(1ULL << 27)	/* sd */
#define MMAPLAB_VM_MIXEDMAP	(1ULL << 28)	/* mm */
#define MMAPLAB_VM_HUGEPAGE	(1ULL << 29)	/* hg */
#define MMAPLAB_VM_NOHUGEPAGE	(1ULL << 30)	/* nh */
#define MMAPLAB_VM_MERGEABLE	(1ULL << 31)	/* mg */
#define MMAPLAB_VM_UFFD_MINOR	(1ULL << 32)	/* ui */

/**
 * enum mmaplab_vma_kind - what backs a VMA
 * @MMAPLAB_VMA_KIND_NONE:    reserved
 * @MMAPLAB_VMA_KIND_ANON:    anonymous memory (private, no file)
 * @MMAPLAB_VMA_KIND_HEAP:    the brk heap, "[heap]"
 * @MMAPLAB_VMA_KIND_STACK:   the main thread's stack, "[stack]"
 * @MMAPLAB_VMA_KIND_SPECIAL: a kernel special mapping ("[vdso]", "[vvar]")
 * @MMAPLAB_VMA_KIND_FILE:    a file (not shmem); @name is its path
 * @MMAPLAB_VMA_KIND_SHMEM:   a shmem/tmpfs file, including shared anonymous
 *                            memory ("/dev/zero (deleted)") and SysV shm
 * @MMAPLAB_VMA_KIND_MMAPLAB: a mapping of a mmaplab object (its file is the
 *                            device, or the object's shmem file); see
 *                            @object_id and @backing
 */
enum mmaplab_vma_kind {
	MMAPLAB_VMA_KIND_NONE		= 0,
	MMAPLAB_VMA_KIND_ANON		= 1,
	MMAPLAB_VMA_KIND_HEAP		= 2,
	MMAPLAB_VMA_KIND_STACK		= 3,
	MMAPLAB_VMA_KIND_SPECIAL	= 4,
	MMAPLAB_VMA_KIND_FILE		= 5,
	MMAPLAB_VMA_KIND_SHMEM		= 6,
	MMAPLAB_VMA_KIND_MMAPLAB	= 7,
};

/* struct mmaplab_inspect_vma @info */
#define MMAPLAB_VMA_ANON_VMA		(1U << 0)  /* has an anon_vma */
#define MMAPLAB_VMA_MMAPLAB_OPS		(1U << 1)  /* vm_ops are mmaplab's */
#define MMAPLAB_VMA_HAS_FILE		(1U << 2)  /* vm_file is set */
#define MMAPLAB_VMA_NAME_TRUNCATED	(1U << 3)  /* @name was cut */

#define MMAPLAB_INSPECT_NAME_MAX	256

/**
 * struct mmaplab_inspect_vma - one VMA of the inspected range
 * @start:     (out) first address of the VMA
 * @end:       (out) end of the VMA (exclusive)
 * @vm_flags:  (out) MMAPLAB_VM_* flags
 * @pgoff:     (out) offset of @start in its file, in pages (vm_pgoff)
 * @object_id: (out) KIND_MMAPLAB: the object's id (STATS @object_id);
 *             also for a private mapping of a "zero" object, which is
 *             anonymous memory with the device as its file; else 0
 * @kind:      (out) enum mmaplab_vma_kind
 * @backing:   (out) KIND_MMAPLAB: the object's enum mmaplab_backing
 * @info:      (out) MMAPLAB_VMA_* bits
 * @first_page: (out) index in the page records of this VMA's first page
 *             record of this call
 * @nr_pages:  (out) page records of this VMA in this call
 * @__pad:     zero
 * @name:      (out) NUL-terminated: the file's path ("... (deleted)" when
 *             unlinked), "[heap]", "[stack]", "[vdso]", or empty
 */
struct mmaplab_inspect_vma {
	__u64 start;
	__u64 end;
	__u64 vm_flags;
	__u64 pgoff;
	__u64 object_id;
	__u32 kind;
	__u32 backing;
	__u32 info;
	__u32 first_page;
	__u32 nr_pages;
	__u32 __pad;
	char name[MMAPLAB_INSPECT_NAME_MAX];
};

#define MMAPLAB_INSPECT_VMA_SIZE_VER0	320

/**
 * enum mmaplab_pte_state - what the page-table entry of a page says
 * @MMAPLAB_PTE_NONE:      reserved (never reported)
 * @MMAPLAB_PTE_EMPTY:     no entry (pte_none, or no page table at all):
 *                         the next access faults
 * @MMAPLAB_PTE_PRESENT:   the page is mapped
 * @MMAPLAB_PTE_PROTNONE:  mapped but inaccessible (PROT_NONE, or NUMA
 *                         balancing's hinting entry)
 * @MMAPLAB_PTE_SWAP:      swapped out: @swap_type, @swap_offset
 * @MMAPLAB_PTE_MIGRATION: a migration entry: the page is being moved
 * @MMAPLAB_PTE_GUARD:     the kernel's guard marker (MADV_GUARD_INSTALL,
 *                         6.13 and later)
 * @MMAPLAB_PTE_MARKER:    another PTE marker (e.g. uffd-wp on an empty
 *                         entry, a poisoned page)
 * @MMAPLAB_PTE_OTHER:     another non-present entry (device-private, ...)
 */
enum mmaplab_pte_state {
	MMAPLAB_PTE_NONE	= 0,
	MMAPLAB_PTE_EMPTY	= 1,
	MMAPLAB_PTE_PRESENT	= 2,
	MMAPLAB_PTE_PROTNONE	= 3,
	MMAPLAB_PTE_SWAP	= 4,
	MMAPLAB_PTE_MIGRATION	= 5,
	MMAPLAB_PTE_GUARD	= 6,
	MMAPLAB_PTE_MARKER	= 7,
	MMAPLAB_PTE_OTHER	= 8,
};

/* struct mmaplab_inspect_page @pte_flags: what the entry says */
#define MMAPLAB_PTE_WRITE	(1U << 0)  /* writable */
#define MMAPLAB_PTE_DIRTY	(1U << 1)  /* dirty bit set */
#define MMAPLAB_PTE_YOUNG	(1U << 2)  /* accessed bit set */
#define MMAPLAB_PTE_SOFT_DIRTY	(1U << 3)  /* soft-dirty (also on swap) */
#define MMAPLAB_PTE_UFFD_WP	(1U << 4)  /* userfaultfd write-protected */
/* special: no struct page to count (PFN maps, the zero page) */
#define MMAPLAB_PTE_SPECIAL	(1U << 5)
#define MMAPLAB_PTE_HUGE_PMD	(1U << 6)  /* mapped by a huge PMD */
/* a swap entry of an anonymous page that only this mm maps */
#define MMAPLAB_PTE_EXCLUSIVE	(1U << 7)

/* struct mmaplab_inspect_page @page_flags: the mapped page (present only) */
#define MMAPLAB_PAGE_ANON		(1U << 0)  /* anonymous */
#define MMAPLAB_PAGE_ANON_EXCLUSIVE	(1U << 1)  /* ... owned by one mm */
#define MMAPLAB_PAGE_KSM		(1U << 2)  /* merged by KSM */
#define MMAPLAB_PAGE_ZERO		(1U << 3)  /* the shared zero page */
/* not anonymous and has an address_space (page cache, shmem) */
#define MMAPLAB_PAGE_CACHE		(1U << 4)
#define MMAPLAB_PAGE_SWAPBACKED		(1U << 5)  /* anon or shmem */
#define MMAPLAB_PAGE_DIRTY		(1U << 6)
#define MMAPLAB_PAGE_LRU		(1U << 7)  /* on an LRU list */
/* a struct page was found: @mapcount and @refcount are valid */
#define MMAPLAB_PAGE_HAS_STRUCT		(1U << 8)
/* a mmaplab object's own page, from its store (backings pages, pfn) */
#define MMAPLAB_PAGE_MMAPLAB		(1U << 9)
#define MMAPLAB_PAGE_LARGE		(1U << 10) /* part of a large folio */

/**
 * struct mmaplab_inspect_page - one page of a VMA in the range
 * @addr:       (out) its address
 * @pfn:        (out) page frame number, or 0 without CAP_SYS_ADMIN (as
 *              /proc/PID/pagemap) or when not present
 * @swap_offset: (out) PTE_SWAP: offset in the swap area (0 without
 *              CAP_SYS_ADMIN, as pagemap shows swap entries to all)
 * @pte:        (out) enum mmaplab_pte_state
 * @pte_flags:  (out) MMAPLAB_PTE_* bits
 * @page_flags: (out) MMAPLAB_PAGE_* bits
 * @swap_type:  (out) PTE_SWAP: the swap area's index
 * @mapcount:   (out) how many page-table entries map the page
 * @refcount:   (out) references to the page (its folio)
 * @nr:         (out, version 1) the pages this record stands for: 1, or
 *              with MMAPLAB_INSPECT_RUNS the length of a run (ABI 5)
 * @__pad:      (out) 0
 *
 * With MMAPLAB_INSPECT_RUNS, one record stands for @nr consecutive pages
 * of one VMA whose records would be equal but for @addr, @pfn and
 * @swap_offset, which advance by one page each (a @pfn or @swap_offset of
 * 0 stays 0): page i of the run is at @addr + i * page size, frame
 * @pfn + i, swap offset @swap_offset + i.
 */
struct mmaplab_inspect_page {
	__u64 addr;
	__u64 pfn;
	__u64 swap_offset;
	__u32 pte;
	__u32 pte_flags;
	__u32 page_flags;
	__u32 swap_type;
	__s32 mapcount;
	__s32 refcount;
	__u32 nr;
	__u32 __pad;
};

#define MMAPLAB_INSPECT_PAGE_SIZE_VER0	48
#define MMAPLAB_INSPECT_PAGE_SIZE_VER1	56

/**
 * struct mmaplab_inspect - MMAPLAB_IOC_INSPECT argument
 * @size:      (in) sizeof(struct mmaplab_inspect) as the caller compiled it
 * @flags:     (in) 0, or MMAPLAB_INSPECT_NO_PAGES (VMA records only), or
 *             MMAPLAB_INSPECT_RUNS (a record per run of like pages; needs
 *             @page_size >= MMAPLAB_INSPECT_PAGE_SIZE_VER1), and/or
 *             MMAPLAB_INSPECT_NO_PFN (@pfn and @swap_offset 0 even for
 *             CAP_SYS_ADMIN: frames rarely follow each other, so runs of
 *             pages with frames shown are short)
 * @target_fd: (in) -1: the calling process.  Else a descriptor of the
 *             target's /proc/PID/pagemap: opening it is what checks that
 *             the caller may read the target's page tables (ptrace read
 *             access, with its filesystem credentials), exactly as for
 *             pagemap itself.  Any other descriptor: -EBADF / -EINVAL.
 * @__pad:     must be 0
 * @start:     (in) first address, page aligned (-EINVAL otherwise)
 * @end:       (in) end of the range (exclusive), page aligned, > @start
 * @vmas:      (in) user pointer to an array of struct mmaplab_inspect_vma
 * @pages:     (in) user pointer to an array of struct
 *             mmaplab_inspect_page
 * @vma_size:  (in) sizeof(struct mmaplab_inspect_vma) as compiled (at
 *             least MMAPLAB_INSPECT_VMA_SIZE_VER0; a larger record is
 *             zero-filled past what the module knows)
 * @nr_vmas:   (in) room in @vmas; (out) records written
 * @page_size: (in) sizeof(struct mmaplab_inspect_page), likewise
 * @nr_pages:  (in) room in @pages; (out) records written
 * @walk_end:  (out) the walk covered [@start, @walk_end): every VMA that
 *             starts below it and every page below it were reported.
 *             When it is below @end, call again with @start = @walk_end.
 *             Gaps between VMAs cost nothing and produce no record.
 * @__reserved: must be 0
 *
 * One record per VMA that overlaps [@start, @walk_end) (its whole extent:
 * a walk that restarts inside a VMA reports it again), and one page record
 * per page of those VMAs inside the range, in address order.  @nr_vmas
 * and @nr_pages (in) must not be 0 (@nr_pages may with NO_PAGES).  At
 * most 256 VMA and 8192 page records come back per call, and with RUNS
 * the walk stops after 262144 pages (1 GiB of 4 KiB pages) per call.  The walk holds
 * the target's mmap_lock for reading; entries are read under the
 * page-table lock, so each record is one consistent view
 * of that entry (the range as a whole is not a snapshot).
 */
struct mmaplab_inspect {
	__u32 size;
	__u32 flags;
	__s32 target_fd;
	__u32 __pad;
	__u64 start;
	__u64 end;
	__u64 vmas;
	__u64 pages;
	__u32 vma_size;
	__u32 nr_vmas;
	__u32 page_size;
	__u32 nr_pages;
	__u64 walk_end;
	__u64 __reserved;
};

#define MMAPLAB_INSPECT_SIZE_VER0	80

#define MMAPLAB_INSPECT_NO_PAGES	(1U << 0)
#define MMAPLAB_INSPECT_RUNS		(1U << 1)	/* ABI 5 */
#define MMAPLAB_INSPECT_NO_PFN		(1U << 2)	/* ABI 5 */
#define MMAPLAB_INSPECT_FLAGS_ALL	(MMAPLAB_INSPECT_NO_PAGES | \
					 MMAPLAB_INSPECT_RUNS | \
					 MMAPLAB_INSPECT_NO_PFN)

/*
 * Events: a generic netlink family, resolved by name (CTRL_CMD_GETFAMILY
 * with MMAPLAB_GENL_NAME).  See Documentation/events.rst and the family's
 * spec, Documentation/netlink/mmaplab.yaml.
 *
 * Every callback the module sees on an object becomes one notification,
 * MMAPLAB_CMD_EVENT_NTF (sequence number 0 in the netlink header), sent
 *  - to every socket that joined the multicast group MMAPLAB_GENL_MCGRP
 *    ("monitor"), which needs CAP_NET_ADMIN: everyone's events;
 *  - to every socket that subscribed to that object (MMAPLAB_CMD_SUBSCRIBE
 *    with a descriptor of the object): any user, for the objects whose
 *    descriptor they hold.
 * The same events are tracepoints of the system "mmaplab" (tracefs
 * events/mmaplab/).
 */
#define MMAPLAB_GENL_NAME	"mmaplab"
#define MMAPLAB_GENL_VERSION	1
#define MMAPLAB_GENL_MCGRP	"monitor"

/**
 * enum mmaplab_cmd - generic netlink commands of the "mmaplab" family
 * @MMAPLAB_CMD_UNSPEC:      reserved
 * @MMAPLAB_CMD_OBJ_GET:     dump (NLM_F_DUMP) only: one reply per live
 *                           object: @OBJ_ID, @BACKING, @CONFIG_FLAGS,
 *                           @NR_PAGES, @UID, @SEQ (the sequence number of
 *                           the object's last event), @LOST and one
 *                           nested @VMA per VMA mapping it.  With
 *                           CAP_NET_ADMIN or CAP_SYS_ADMIN every object,
 *                           else the objects this socket subscribed to.
 *                           A reply carries NLM_F_DUMP_INTR when objects
 *                           came or went while the dump ran.
 * @MMAPLAB_CMD_SUBSCRIBE:   (request: @OBJ_FD) send the events of the
 *                           object open on descriptor @OBJ_FD of the
 *                           caller to this socket, until it closes, the
 *                           object dies or @MMAPLAB_CMD_UNSUBSCRIBE.
 *                           Any user: holding the descriptor is the
 *                           permission.  EBADF (not a descriptor), EINVAL
 *                           (not an mmaplab object), EEXIST (already
 *                           subscribed), ENOSPC (MMAPLAB_MAX_SUBSCRIBERS)
 * @MMAPLAB_CMD_UNSUBSCRIBE: (request: @OBJ_ID) undo a subscription of
 *                           this socket; ENOENT if there is none
 * @MMAPLAB_CMD_EVENT_NTF:   a notification: one event (attributes below)
 */
enum mmaplab_cmd {
	MMAPLAB_CMD_UNSPEC		= 0,
	MMAPLAB_CMD_OBJ_GET		= 1,
	MMAPLAB_CMD_SUBSCRIBE		= 2,
	MMAPLAB_CMD_UNSUBSCRIBE		= 3,
	MMAPLAB_CMD_EVENT_NTF		= 4,
};

#define MMAPLAB_CMD_MAX			MMAPLAB_CMD_EVENT_NTF

/* Subscribers one object may have at once (ENOSPC beyond). */
#define MMAPLAB_MAX_SUBSCRIBERS		16

/**
 * enum mmaplab_event - what happened (@MMAPLAB_A_EVENT)
 * @MMAPLAB_EV_NONE:         reserved
 * @MMAPLAB_EV_CREATED:      the object was created (open of the device)
 * @MMAPLAB_EV_CONFIGURED:   MMAPLAB_IOC_CONFIGURE succeeded: @BACKING,
 *                           @CONFIG_FLAGS, @NR_PAGES
 * @MMAPLAB_EV_DESTROYED:    the last reference went: the object is freed
 * @MMAPLAB_EV_MMAP:         mmap() of the object succeeded: the new VMA
 * @MMAPLAB_EV_OPEN:         vm_operations ->open: the new VMA (fork,
 *                           split, mremap move)
 * @MMAPLAB_EV_CLOSE:        ->close: the VMA that goes away
 * @MMAPLAB_EV_MAY_SPLIT:    ->may_split: the VMA, and @ADDR where it splits
 * @MMAPLAB_EV_MREMAP:       ->mremap: the VMA at its new place
 * @MMAPLAB_EV_MPROTECT:     ->mprotect: the VMA, @ADDR .. @END and @PROT,
 *                           the new protection (PROT_* bits)
 * @MMAPLAB_EV_FAULT:        ->fault: @ADDR, @PGOFF, @FAULT_FLAGS,
 *                           @OUTCOME, and @ALLOCATED when the object
 *                           allocated the page for this fault
 * @MMAPLAB_EV_PAGE_MKWRITE: ->page_mkwrite: @ADDR, @PGOFF
 * @MMAPLAB_EV_PFN_MKWRITE:  ->pfn_mkwrite: @ADDR, @PGOFF
 * @MMAPLAB_EV_MAP_PAGES:    ->map_pages (fault-around): @ADDR (the
 *                           faulting address), @PGOFF and @NR_PAGES (the
 *                           range offered), @RESULT (pages mapped; backing
 *                           pages only)
 * @MMAPLAB_EV_GUARD:        MMAPLAB_IOC_GUARD: @PGOFF, @NR_PAGES,
 *                           @RANGE_FLAGS, @RESULT (guard pages after it)
 * @MMAPLAB_EV_INVALIDATE:   MMAPLAB_IOC_INVALIDATE: @PGOFF, @NR_PAGES,
 *                           @RANGE_FLAGS, @RESULT (pages replaced)
 * @MMAPLAB_EV_CLEAN:        MMAPLAB_IOC_CLEAN: @PGOFF, @NR_PAGES, @RESULT
 *                           (pages that were dirty)
 *
 * Every event carries @EVENT, @OBJ_ID, @SEQ, @PID and @COMM (the task
 * that caused it); the VMA events and the page events also @VMA_START,
 * @VMA_END and @VMA_PGOFF.
 */
enum mmaplab_event {
	MMAPLAB_EV_NONE			= 0,
	MMAPLAB_EV_CREATED		= 1,
	MMAPLAB_EV_CONFIGURED		= 2,
	MMAPLAB_EV_DESTROYED		= 3,
	MMAPLAB_EV_MMAP			= 4,
	MMAPLAB_EV_OPEN			= 5,
	MMAPLAB_EV_CLOSE		= 6,
	MMAPLAB_EV_MAY_SPLIT		= 7,
	MMAPLAB_EV_MREMAP		= 8,
	MMAPLAB_EV_MPROTECT		= 9,
	MMAPLAB_EV_FAULT		= 10,
	MMAPLAB_EV_PAGE_MKWRITE		= 11,
	MMAPLAB_EV_PFN_MKWRITE		= 12,
	MMAPLAB_EV_MAP_PAGES		= 13,
	MMAPLAB_EV_GUARD		= 14,
	MMAPLAB_EV_INVALIDATE		= 15,
	MMAPLAB_EV_CLEAN		= 16,
};

#define MMAPLAB_EV_MAX			MMAPLAB_EV_CLEAN

/**
 * enum mmaplab_fault_outcome - how a fault was answered (@MMAPLAB_A_OUTCOME)
 * @MMAPLAB_FAULT_OUTCOME_NONE:    reserved
 * @MMAPLAB_FAULT_OUTCOME_NEW:     the object had no page there yet: it was
 *                                 made (store, or shmem's page cache)
 * @MMAPLAB_FAULT_OUTCOME_FOUND:   the object's existing page was mapped
 * @MMAPLAB_FAULT_OUTCOME_COW:     a write on a private mapping: the kernel
 *                                 copies the object's page (new if
 *                                 @ALLOCATED) into an anonymous page
 * @MMAPLAB_FAULT_OUTCOME_SIGBUS:  past the end of the object
 * @MMAPLAB_FAULT_OUTCOME_SIGSEGV: a guard page (MMAPLAB_IOC_GUARD)
 * @MMAPLAB_FAULT_OUTCOME_RETRIED: a range operation ran meanwhile: the
 *                                 access faults again
 * @MMAPLAB_FAULT_OUTCOME_ERROR:   the page could not be had (ENOMEM, ...)
 */
enum mmaplab_fault_outcome {
	MMAPLAB_FAULT_OUTCOME_NONE	= 0,
	MMAPLAB_FAULT_OUTCOME_NEW	= 1,
	MMAPLAB_FAULT_OUTCOME_FOUND	= 2,
	MMAPLAB_FAULT_OUTCOME_COW	= 3,
	MMAPLAB_FAULT_OUTCOME_SIGBUS	= 4,
	MMAPLAB_FAULT_OUTCOME_SIGSEGV	= 5,
	MMAPLAB_FAULT_OUTCOME_RETRIED	= 6,
	MMAPLAB_FAULT_OUTCOME_ERROR	= 7,
};

/*
 * @MMAPLAB_A_FAULT_FLAGS: the kernel's FAULT_FLAG_* bits, renamed and
 * numbered here so that they mean the same on every kernel.
 */
#define MMAPLAB_FAULT_WRITE		(1U << 0)  /* a write access */
#define MMAPLAB_FAULT_SHARED		(1U << 1)  /* the VMA is shared */
#define MMAPLAB_FAULT_USER		(1U << 2)  /* from user space */
#define MMAPLAB_FAULT_REMOTE		(1U << 3)  /* another mm (GUP) */
#define MMAPLAB_FAULT_TRIED		(1U << 4)  /* second try */
#define MMAPLAB_FAULT_VMA_LOCK		(1U << 5)  /* per-VMA lock (6.4+) */

/**
 * enum mmaplab_attr - attributes of the "mmaplab" family
 * @MMAPLAB_A_UNSPEC:       reserved
 * @MMAPLAB_A_PAD:          padding for 64-bit attributes
 * @MMAPLAB_A_EVENT:        u32, enum mmaplab_event
 * @MMAPLAB_A_OBJ_ID:       u64, the object's id (STATS @object_id)
 * @MMAPLAB_A_SEQ:          u64, the event's number among the object's
 *                          events, from 1, with no gap: a receiver that
 *                          sees a gap lost that many events
 * @MMAPLAB_A_PID:          u32, thread-group id of the task that caused
 *                          the event (dump: of the mm's owner, 0 unknown)
 * @MMAPLAB_A_COMM:         string, that task's name
 * @MMAPLAB_A_VMA_START:    u64, first address of the VMA
 * @MMAPLAB_A_VMA_END:      u64, end of the VMA (exclusive)
 * @MMAPLAB_A_VMA_PGOFF:    u64, the VMA's offset in the object, in pages
 * @MMAPLAB_A_ADDR:         u64, the address (fault, split, mprotect start)
 * @MMAPLAB_A_END:          u64, end of the mprotect range (exclusive)
 * @MMAPLAB_A_PGOFF:        u64, page of the object (fault), first page of
 *                          a range
 * @MMAPLAB_A_NR_PAGES:     u64, pages of a range; of the object
 *                          (CONFIGURED, dump)
 * @MMAPLAB_A_FAULT_FLAGS:  u32, MMAPLAB_FAULT_* bits
 * @MMAPLAB_A_OUTCOME:      u32, enum mmaplab_fault_outcome
 * @MMAPLAB_A_ALLOCATED:    flag, the fault allocated the object's page
 * @MMAPLAB_A_RESULT:       u64, see enum mmaplab_event
 * @MMAPLAB_A_PROT:         u32, PROT_* bits (mprotect)
 * @MMAPLAB_A_RANGE_FLAGS:  u32, the range ioctl's flags
 * @MMAPLAB_A_BACKING:      u32, enum mmaplab_backing
 * @MMAPLAB_A_CONFIG_FLAGS: u32, MMAPLAB_CONFIG_* flags
 * @MMAPLAB_A_UID:          u32, the user the object is charged to
 * @MMAPLAB_A_LOST:         u64, events of the object no receiver could be
 *                          sent (no memory, or a socket's buffer full)
 * @MMAPLAB_A_VMA:          nest (dump): one VMA mapping the object, with
 *                          @VMA_START, @VMA_END, @VMA_PGOFF and @PID
 * @MMAPLAB_A_OBJ_FD:       s32 (request), a descriptor of an object
 */
enum mmaplab_attr {
	MMAPLAB_A_UNSPEC		= 0,
	MMAPLAB_A_PAD			= 1,
	MMAPLAB_A_EVENT			= 2,
	MMAPLAB_A_OBJ_ID		= 3,
	MMAPLAB_A_SEQ			= 4,
	MMAPLAB_A_PID			= 5,
	MMAPLAB_A_COMM			= 6,
	MMAPLAB_A_VMA_START		= 7,
	MMAPLAB_A_VMA_END		= 8,
	MMAPLAB_A_VMA_PGOFF		= 9,
	MMAPLAB_A_ADDR			= 10,
	MMAPLAB_A_END			= 11,
	MMAPLAB_A_PGOFF			= 12,
	MMAPLAB_A_NR_PAGES		= 13,
	MMAPLAB_A_FAULT_FLAGS		= 14,
	MMAPLAB_A_OUTCOME		= 15,
	MMAPLAB_A_ALLOCATED		= 16,
	MMAPLAB_A_RESULT		= 17,
	MMAPLAB_A_PROT			= 18,
	MMAPLAB_A_RANGE_FLAGS		= 19,
	MMAPLAB_A_BACKING		= 20,
	MMAPLAB_A_CONFIG_FLAGS		= 21,
	MMAPLAB_A_UID			= 22,
	MMAPLAB_A_LOST			= 23,
	MMAPLAB_A_VMA			= 24,
	MMAPLAB_A_OBJ_FD		= 25,

	__MMAPLAB_A_MAX,
	MMAPLAB_A_MAX			= __MMAPLAB_A_MAX - 1,
};

#define MMAPLAB_IOC_MAGIC		0xB7

#define MMAPLAB_IOC_CONFIGURE	_IOW(MMAPLAB_IOC_MAGIC, 0x01, struct mmaplab_config)
#define MMAPLAB_IOC_STATS	_IOWR(MMAPLAB_IOC_MAGIC, 0x02, struct mmaplab_stats)
#define MMAPLAB_IOC_GUARD	_IOWR(MMAPLAB_IOC_MAGIC, 0x03, struct mmaplab_range)
#define MMAPLAB_IOC_INVALIDATE	_IOWR(MMAPLAB_IOC_MAGIC, 0x04, struct mmaplab_range)
#define MMAPLAB_IOC_CLEAN	_IOWR(MMAPLAB_IOC_MAGIC, 0x05, struct mmaplab_range)
#define MMAPLAB_IOC_INSPECT	_IOWR(MMAPLAB_IOC_MAGIC, 0x06, struct mmaplab_inspect)

#endif /* _UAPI_LINUX_MMAPLAB_H */
