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
#define MMAPLAB_ABI_VERSION	1

/**
 * enum mmaplab_backing - where the pages of a lab object come from
 * @MMAPLAB_BACKING_NONE:  reserved; an unconfigured object
 * @MMAPLAB_BACKING_PAGES: pages allocated by the module on first touch and
 *                         handed to the kernel from the ->fault callback
 */
enum mmaplab_backing {
	MMAPLAB_BACKING_NONE	= 0,
	MMAPLAB_BACKING_PAGES	= 1,
};

/**
 * struct mmaplab_config - MMAPLAB_IOC_CONFIGURE argument
 * @size:     (in) sizeof(struct mmaplab_config) as the caller compiled it
 * @flags:    (in) must be 0 (no flags defined yet)
 * @nr_pages: (in) size of the object in pages; 1 .. the max_pages module
 *            parameter (-EFBIG above it, -ENOSPC when the module-wide
 *            budget max_total_pages would be exceeded)
 * @backing:  (in) enum mmaplab_backing
 * @__pad:    must be 0
 *
 * An object is configured once, before its first mmap(): configuring an
 * object again after it has been mapped fails with -EBUSY.
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
 * @faults:         ->fault calls, all kinds
 * @faults_read:    ->fault calls for a read access
 * @faults_write:   ->fault calls for a write access (cow + shared writes)
 * @faults_cow:     write faults on a private mapping: the kernel copies the
 *                  page the module returns into a new anonymous page
 * @faults_shared:  faults (read or write) on a shared mapping
 * @faults_sigbus:  faults past the end of the object, answered with SIGBUS
 * @pages_allocated: pages this object allocated (first touch of a page)
 * @pages_resident: pages this object holds now
 *
 * Module-wide figures, all (out):
 * @live_objects:   lab objects that exist now (open files or mappings)
 * @live_pages:     pages held by all lab objects now
 * @max_pages:      per-object limit (module parameter max_pages)
 * @max_total_pages: module-wide limit on configured pages (max_total_pages)
 * @reserved_pages: pages configured by all live objects (charged against
 *                  max_total_pages)
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
};

#define MMAPLAB_STATS_SIZE_VER0		160

/* Zero this object's event counters after reading them. */
#define MMAPLAB_STATS_RESET		(1U << 0)
#define MMAPLAB_STATS_FLAGS_ALL		(MMAPLAB_STATS_RESET)

#define MMAPLAB_IOC_MAGIC		0xB7

#define MMAPLAB_IOC_CONFIGURE	_IOW(MMAPLAB_IOC_MAGIC, 0x01, struct mmaplab_config)
#define MMAPLAB_IOC_STATS	_IOWR(MMAPLAB_IOC_MAGIC, 0x02, struct mmaplab_stats)

#endif /* _UAPI_LINUX_MMAPLAB_H */
