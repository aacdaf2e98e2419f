/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmaplab.h - the module's internal interfaces.
 *
 * Owns the definition of a lab object (struct mmaplab_obj), its counters,
 * the interface every backing implements (struct mmaplab_backing_ops) and
 * the module-wide accounting.  The ABI seen by user space is in
 * uapi/linux/mmaplab.h and must not be redefined here.
 */
#ifndef _MMAPLAB_H
#define _MMAPLAB_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <linux/mmaplab.h>

/* Event counters of one object; reported by MMAPLAB_IOC_STATS. */
enum mmaplab_counter {
	MMAPLAB_CNT_MMAPS,
	MMAPLAB_CNT_VMA_OPENS,
	MMAPLAB_CNT_VMA_CLOSES,
	MMAPLAB_CNT_FAULTS,
	MMAPLAB_CNT_FAULTS_READ,
	MMAPLAB_CNT_FAULTS_WRITE,
	MMAPLAB_CNT_FAULTS_COW,
	MMAPLAB_CNT_FAULTS_SHARED,
	MMAPLAB_CNT_FAULTS_SIGBUS,
	MMAPLAB_CNT_PAGES_ALLOCATED,
	MMAPLAB_CNT_MAY_SPLITS,
	MMAPLAB_CNT_MREMAPS,
	MMAPLAB_CNT_MPROTECTS,
	MMAPLAB_CNT_MAP_PAGES,
	MMAPLAB_CNT_MAP_PAGES_MAPPED,
	MMAPLAB_CNT_PAGE_MKWRITES,
	MMAPLAB_CNT_PFN_MKWRITES,
	MMAPLAB_CNT_ACCESSES,
	MMAPLAB_CNT_FAULTS_SIGSEGV,
	MMAPLAB_CNT_INVALIDATIONS,
	MMAPLAB_CNT_PAGES_REPLACED,
	MMAPLAB_NR_COUNTERS
};

/*
 * Test-only bug injection, to prove the debug-kernel lane catches what a
 * stock kernel runs through silently (tools/inject-check).  Selected at
 * build time with "make MMAPLAB_INJECT=UAF|NOGET|LEAK"; never on by
 * default, and a compile-time constant, so normal builds carry no trace.
 */
enum mmaplab_bug {
	MMAPLAB_BUG_NONE,
	MMAPLAB_BUG_UAF,	/* read the object after freeing it */
	MMAPLAB_BUG_NOGET,	/* ->fault hands out a page without a reference */
	MMAPLAB_BUG_LEAK,	/* configure loses a kmalloc(256) */
};

#ifndef MMAPLAB_INJECT_BUG
#define MMAPLAB_INJECT_BUG MMAPLAB_BUG_NONE
#endif

static inline bool mmaplab_injected(enum mmaplab_bug bug)
{
	return bug == MMAPLAB_INJECT_BUG;
}

struct mmaplab_obj;

/**
 * struct mmaplab_backing_ops - what a backing (enum mmaplab_backing) does
 * @label:     what vm_operations ->name returns, "[mmaplab:<backing>]"
 * @flags:     MMAPLAB_CONFIG_* flags the backing can honour
 * @setup:     at configure: allocate what the object needs (optional)
 * @teardown:  undo @setup; also called when the object dies (optional)
 * @mmap:      set up @vma (vm_ops, flags, maybe a new vm_file); returns 0
 *             or a negative errno, leaving @vma as it found it on error
 * @mapping:   the address_space the object's VMAs are linked into, for
 *             zapping their page-table entries (NULL: none)
 * @replace:   give pages [@first, @first + @nr) new content, every byte
 *             @fill; called with the object's invalidation lock held for
 *             writing, after their page-table entries were zapped
 */
struct mmaplab_backing_ops {
	const char *label;
	u32 flags;
	int (*setup)(struct mmaplab_obj *obj);
	void (*teardown)(struct mmaplab_obj *obj);
	int (*mmap)(struct mmaplab_obj *obj, struct vm_area_struct *vma);
	struct address_space *(*mapping)(struct mmaplab_obj *obj);
	int (*replace)(struct mmaplab_obj *obj, pgoff_t first, pgoff_t nr,
		       u8 fill);
};

/**
 * struct mmaplab_obj - one lab object, created by each open() of the device
 * @ref:       references: one for the open file, one for each VMA
 * @lock:      serialises configuration against mmap() and range ioctls
 * @inval:     held for reading while a fault looks up and maps a page of
 *             the object, for writing while pages are replaced
 * @configured: MMAPLAB_IOC_CONFIGURE succeeded (under @lock)
 * @mapped:    mmap() succeeded once; the configuration is frozen (@lock)
 * @backing:   enum mmaplab_backing; fixed once @mapped
 * @flags:     MMAPLAB_CONFIG_* flags; fixed once @mapped
 * @nr_pages:  object size in pages; fixed once @mapped
 * @ops:       the backing's operations; fixed once @mapped
 * @inode:     an anonymous inode of our own, whose address_space the
 *             device file uses, so that the object's mappings (backings
 *             pages and pfn) can be found and zapped in every process
 * @shmem:     backing shmem: the internal shmem file holding the pages
 * @pages:     backings pages and pfn: page index -> struct page, filled on
 *             first touch; each entry holds one page reference
 * @guard:     bitmap of guard pages (allocated at configure)
 * @dirty:     bitmap of pages written since last cleaned (write-notify)
 * @resident:  number of entries in @pages
 * @vmas_live: VMAs mapping the object now
 * @cnt:       event counters, enum mmaplab_counter
 * @lost:      MMAPLAB_BUG_LEAK only
 */
struct mmaplab_obj {
	struct kref ref;
	struct mutex lock;		/* configuration, ranges */
	struct rw_semaphore inval;
	bool configured;
	bool mapped;
	u32 backing;
	u32 flags;
	unsigned long nr_pages;
	const struct mmaplab_backing_ops *ops;
	struct inode *inode;
	struct file *shmem;
	struct xarray pages;
	unsigned long *guard;
	unsigned long *dirty;
	atomic_long_t resident;
	atomic_long_t vmas_live;
	atomic64_t cnt[MMAPLAB_NR_COUNTERS];
	void *lost;
};

static inline void mmaplab_count(struct mmaplab_obj *obj,
				 enum mmaplab_counter c)
{
	atomic64_inc(&obj->cnt[c]);
}

static inline void mmaplab_count_n(struct mmaplab_obj *obj,
				   enum mmaplab_counter c, long n)
{
	atomic64_add(n, &obj->cnt[c]);
}

/* main.c: module parameters and module-wide accounting */
extern unsigned long mmaplab_max_pages;
extern unsigned long mmaplab_max_total_pages;
extern atomic_long_t mmaplab_live_objects;
extern atomic_long_t mmaplab_live_pages;
extern atomic_long_t mmaplab_reserved_pages;

/* dev.c: the character device */
int mmaplab_dev_register(void);
void mmaplab_dev_unregister(void);

/* fs.c: the pseudo filesystem that gives each object an address_space */
int mmaplab_fs_init(void);
void mmaplab_fs_exit(void);
struct inode *mmaplab_fs_new_inode(void);

/* object.c: lifetime and configuration of a lab object */
struct mmaplab_obj *mmaplab_obj_create(void);
void mmaplab_obj_get(struct mmaplab_obj *obj);
void mmaplab_obj_put(struct mmaplab_obj *obj);
int mmaplab_obj_configure(struct mmaplab_obj *obj,
			  const struct mmaplab_config *cfg);
int mmaplab_obj_mmap(struct mmaplab_obj *obj, struct vm_area_struct *vma);
void mmaplab_obj_fill_stats(struct mmaplab_obj *obj,
			    struct mmaplab_stats *st, bool reset);

/* ranges.c: guard pages, invalidation, write-notify cleaning */
int mmaplab_obj_guard(struct mmaplab_obj *obj, struct mmaplab_range *r);
int mmaplab_obj_invalidate(struct mmaplab_obj *obj, struct mmaplab_range *r);
int mmaplab_obj_clean(struct mmaplab_obj *obj, struct mmaplab_range *r);

/* vmops.c: what the kernel calls back on a mapping of an object */
void mmaplab_vma_attach(struct mmaplab_obj *obj, struct vm_area_struct *vma,
			const struct vm_operations_struct *ops);
const struct vm_operations_struct *mmaplab_pages_vm_ops(u32 flags);
const struct vm_operations_struct *mmaplab_pfn_vm_ops(u32 flags);
const struct vm_operations_struct *mmaplab_shmem_vm_ops(void);
bool mmaplab_vma_guarded(struct mmaplab_obj *obj, pgoff_t index);

/* backing_*.c */
extern const struct mmaplab_backing_ops mmaplab_backing_pages;
extern const struct mmaplab_backing_ops mmaplab_backing_shmem;
extern const struct mmaplab_backing_ops mmaplab_backing_zero;
extern const struct mmaplab_backing_ops mmaplab_backing_pfn;

/* backing_pages.c: the page store, shared by backings pages and pfn */
struct page *mmaplab_pages_get(struct mmaplab_obj *obj, pgoff_t index);
struct page *mmaplab_pages_lookup(struct mmaplab_obj *obj, pgoff_t index);
int mmaplab_pages_replace(struct mmaplab_obj *obj, pgoff_t first, pgoff_t nr,
			  u8 fill);
void mmaplab_pages_release_all(struct mmaplab_obj *obj);

/* backing_shmem.c: the wrapped shmem vm_operations */
const struct vm_operations_struct *mmaplab_shmem_orig_ops(void);

#endif /* _MMAPLAB_H */
