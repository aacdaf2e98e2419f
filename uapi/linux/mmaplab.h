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
#define MMAPLAB_ABI_VERSION	3

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
};

#define MMAPLAB_STATS_SIZE_VER0		160
#define MMAPLAB_STATS_SIZE_VER1		272
#define MMAPLAB_STATS_SIZE_VER2		296

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

#define MMAPLAB_IOC_MAGIC		0xB7

#define MMAPLAB_IOC_CONFIGURE	_IOW(MMAPLAB_IOC_MAGIC, 0x01, struct mmaplab_config)
#define MMAPLAB_IOC_STATS	_IOWR(MMAPLAB_IOC_MAGIC, 0x02, struct mmaplab_stats)
#define MMAPLAB_IOC_GUARD	_IOWR(MMAPLAB_IOC_MAGIC, 0x03, struct mmaplab_range)
#define MMAPLAB_IOC_INVALIDATE	_IOWR(MMAPLAB_IOC_MAGIC, 0x04, struct mmaplab_range)
#define MMAPLAB_IOC_CLEAN	_IOWR(MMAPLAB_IOC_MAGIC, 0x05, struct mmaplab_range)

#endif /* _UAPI_LINUX_MMAPLAB_H */
