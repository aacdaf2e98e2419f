/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmaplab.h - the module's internal interfaces.
 *
 * Owns the definition of a lab object (struct mmaplab_obj), its counters
 * and the module-wide accounting.  The ABI seen by user space is in
 * uapi/linux/mmaplab.h and must not be redefined here.
 */
#ifndef _MMAPLAB_H
#define _MMAPLAB_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
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
	MMAPLAB_NR_COUNTERS
};

/**
 * struct mmaplab_obj - one lab object, created by each open() of the device
 * @ref:       references: one for the open file, one for each VMA
 * @lock:      serialises configuration against mmap()
 * @configured: MMAPLAB_IOC_CONFIGURE succeeded (under @lock)
 * @mapped:    mmap() succeeded once; the configuration is frozen (@lock)
 * @backing:   enum mmaplab_backing; fixed once @mapped
 * @nr_pages:  object size in pages; fixed once @mapped
 * @pages:     page index -> struct page, filled on first touch (backing
 *             "pages"); each entry holds one page reference
 * @resident:  number of entries in @pages
 * @vmas_live: VMAs mapping the object now
 * @cnt:       event counters, enum mmaplab_counter
 */
struct mmaplab_obj {
	struct kref ref;
	struct mutex lock;		/* configuration vs mmap() */
	bool configured;
	bool mapped;
	u32 backing;
	unsigned long nr_pages;
	struct xarray pages;
	atomic_long_t resident;
	atomic_long_t vmas_live;
	atomic64_t cnt[MMAPLAB_NR_COUNTERS];
	void *lost;			/* MMAPLAB_BUG_LEAK only */
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

static inline void mmaplab_count(struct mmaplab_obj *obj,
				 enum mmaplab_counter c)
{
	atomic64_inc(&obj->cnt[c]);
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

/* object.c: lifetime and configuration of a lab object */
struct mmaplab_obj *mmaplab_obj_create(void);
void mmaplab_obj_get(struct mmaplab_obj *obj);
void mmaplab_obj_put(struct mmaplab_obj *obj);
int mmaplab_obj_configure(struct mmaplab_obj *obj,
			  const struct mmaplab_config *cfg);
void mmaplab_obj_fill_stats(struct mmaplab_obj *obj,
			    struct mmaplab_stats *st, bool reset);

/* vmops.c: what the kernel calls back on a mapping of an object */
int mmaplab_vma_attach(struct mmaplab_obj *obj, struct vm_area_struct *vma);

/* backing_pages.c: module-allocated pages */
struct page *mmaplab_pages_get(struct mmaplab_obj *obj, pgoff_t index);
void mmaplab_pages_release_all(struct mmaplab_obj *obj);

#endif /* _MMAPLAB_H */
