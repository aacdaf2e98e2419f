/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmaplab.h - the module's internal interfaces.
 *
 * Owns the definition of a lab object (struct mmaplab_obj), its counters,
 * the interface every backing implements (struct mmaplab_backing_ops), the
 * callbacks all backings share (vma.c), the page store (store.c) and the
 * budgets (budget.c).  The ABI seen by user space is in
 * uapi/linux/mmaplab.h and must not be redefined here.
 */
#ifndef _MMAPLAB_H
#define _MMAPLAB_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
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
	MMAPLAB_CNT_FAULTS_RETRIED,
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

/* One CPU's share of an object's counters (struct mmaplab_obj @cnt). */
struct mmaplab_counters {
	u64 v[MMAPLAB_NR_COUNTERS];
};

/**
 * struct mmaplab_backing_ops - what a backing (enum mmaplab_backing) does
 * @label:     what vm_operations ->name returns, "[mmaplab:<backing>]"
 * @flags:     MMAPLAB_CONFIG_* flags the backing can honour
 * @setup:     at configure: make what an object of @nr_pages needs and
 *             return it (it becomes obj->priv), NULL, or an ERR_PTR;
 *             must not touch @obj, whose old configuration is still live
 * @teardown:  give back what @setup made and the pages the object holds;
 *             called when the object is configured again or dies
 * @mmap:      set up @vma (vm_ops, flags, maybe a new vm_file); returns 0
 *             or a negative errno, leaving @vma as it found it on error
 * @resident:  pages the object holds now
 * @set_guard: install (@install) or remove guards on [@first, @first +
 *             @nr).  A backing whose mappings are not the module's has
 *             none of the range operations (-EOPNOTSUPP); one that has
 *             @invalidate has @set_guard too.
 * @invalidate: zap the range everywhere; with @replace first give it new
 *             content, every byte @fill.  Fails without any effect.
 * @clean:     mark the range clean and write-protect it; returns how many
 *             pages were dirty.  Needed when @flags has WRITE_NOTIFY.
 *
 * The range operations are called with obj->lock held and the range
 * checked; each must hold its promise (uapi/linux/mmaplab.h) against any
 * fault running at the same time.
 */
struct mmaplab_backing_ops {
	const char *label;
	u32 flags;
	void *(*setup)(unsigned long nr_pages);
	void (*teardown)(struct mmaplab_obj *obj);
	int (*mmap)(struct mmaplab_obj *obj, struct vm_area_struct *vma);
	unsigned long (*resident)(struct mmaplab_obj *obj);
	int (*set_guard)(struct mmaplab_obj *obj, pgoff_t first, pgoff_t nr,
			 bool install);
	int (*invalidate)(struct mmaplab_obj *obj, pgoff_t first, pgoff_t nr,
			  bool replace, u8 fill);
	long (*clean)(struct mmaplab_obj *obj, pgoff_t first, pgoff_t nr);
};

/**
 * struct mmaplab_obj - one lab object, created by each open() of the device
 * @ref:       references: one for the open file, one for each VMA
 * @id:        unique while the module is loaded, never 0 (STATS, INSPECT)
 * @file:      the device file this object belongs to; not a reference of
 *             its own: valid while @ref is, since the file or a VMA that
 *             pins it holds each reference
 * @lock:      serialises configuration, mmap() and range ioctls
 * @inval:     held for reading while a fault checks the guards and looks
 *             up (pfn: inserts) a page, for writing by range operations
 * @seq:       bumped under @inval held for writing by every range
 *             operation; a fault that read it before and sees it changed
 *             once it holds the page lock retries (see vma.c)
 * @configured: MMAPLAB_IOC_CONFIGURE succeeded (under @lock)
 * @mapped:    mmap() succeeded once; the configuration is frozen (@lock)
 * @backing:   enum mmaplab_backing; fixed once @mapped
 * @flags:     MMAPLAB_CONFIG_* flags; fixed once @mapped
 * @nr_pages:  object size in pages; fixed once @mapped
 * @ops:       the backing's operations; fixed once @mapped
 * @priv:      what the backing's setup made (shmem: its file)
 * @charged_uid: the user whose budget the configuration is charged to
 * @inode:     an anonymous inode of our own, whose address_space the
 *             device file uses, so that the object's mappings (backings
 *             pages and pfn) can be found and zapped in every process
 * @pages:     backings pages and pfn: page index -> struct page, filled on
 *             first touch; each entry holds one page reference
 * @guard:     bitmap of guard pages (allocated at configure)
 * @dirty:     bitmap of pages written since last cleaned (write-notify)
 * @resident:  number of entries in @pages
 * @vmas_live: VMAs mapping the object now
 * @cnt:       event counters, enum mmaplab_counter, one set per CPU: a
 *             fault writes only its own CPU's (no cache line bounces
 *             between CPUs faulting on one object); readers add them up
 * @lost:      MMAPLAB_BUG_LEAK only
 * @node:      in the module-wide list of objects (events.c)
 * @ev_lock:   orders numbering and sending of the object's events when
 *             anyone listens, and protects @subs
 * @ev_seq:    number of the object's last event (MMAPLAB_A_SEQ)
 * @ev_lost:   events that could not be sent to some receiver
 * @subs:      sockets subscribed to the object's events (events.c)
 * @vmas:      the VMAs carrying the module's vm_operations that map the
 *             object, for the dump (events.c; under @ev_lock)
 * @nr_subs:   entries in @subs, read without @ev_lock on the fast path
 */
struct mmaplab_obj {
	struct kref ref;
	u64 id;
	struct file *file;
	struct mutex lock;		/* configuration, ranges */
	struct rw_semaphore inval;
	unsigned long seq;
	bool configured;
	bool mapped;
	u32 backing;
	u32 flags;
	unsigned long nr_pages;
	const struct mmaplab_backing_ops *ops;
	void *priv;
	kuid_t charged_uid;
	struct inode *inode;
	struct xarray pages;
	unsigned long *guard;
	unsigned long *dirty;
	atomic_long_t resident;
	atomic_long_t vmas_live;
	struct mmaplab_counters __percpu *cnt;
	void *lost;
	struct list_head node;
	spinlock_t ev_lock;		/* @subs, event order */
	atomic64_t ev_seq;
	atomic64_t ev_lost;
	struct list_head subs;
	struct list_head vmas;
	unsigned int nr_subs;
};

static inline void mmaplab_count(struct mmaplab_obj *obj,
				 enum mmaplab_counter c)
{
	this_cpu_inc(obj->cnt->v[c]);
}

static inline void mmaplab_count_n(struct mmaplab_obj *obj,
				   enum mmaplab_counter c, long n)
{
	this_cpu_add(obj->cnt->v[c], n);
}

static inline bool mmaplab_guarded(struct mmaplab_obj *obj, pgoff_t index)
{
	return index < obj->nr_pages && test_bit(index, obj->guard);
}

/**
 * struct mmaplab_ev - one event, as events.c sends and traces it
 * @event:     enum mmaplab_event
 * @vma:       the VMA it concerns, or NULL
 * @addr:      MMAPLAB_A_ADDR (fault, split, mprotect start, map_pages)
 * @end:       MMAPLAB_A_END (mprotect)
 * @pgoff:     MMAPLAB_A_PGOFF (fault, mkwrite, map_pages, range)
 * @nr_pages:  MMAPLAB_A_NR_PAGES (map_pages, range, configured)
 * @result:    MMAPLAB_A_RESULT; map_pages of backing shmem: -1, unknown
 * @flags:     MMAPLAB_A_FAULT_FLAGS, _RANGE_FLAGS or _PROT
 * @outcome:   enum mmaplab_fault_outcome
 * @allocated: MMAPLAB_A_ALLOCATED
 * @seq:       set by events.c
 */
struct mmaplab_ev {
	u32 event;
	struct vm_area_struct *vma;
	unsigned long addr;
	unsigned long end;
	u64 pgoff;
	u64 nr_pages;
	s64 result;
	u32 flags;
	u32 outcome;
	bool allocated;
	u64 seq;
};

/*
 * events.c: the event stream (generic netlink family "mmaplab",
 * tracepoints) and the module-wide list of objects.  Emitting costs an
 * atomic increment and a tracepoint's static branch when nobody listens.
 * @gfp: GFP_KERNEL where the caller may sleep, GFP_NOWAIT on fault paths,
 * GFP_ATOMIC under RCU (->map_pages).
 */
int mmaplab_events_init(void);
void mmaplab_events_exit(void);
void mmaplab_events_obj_add(struct mmaplab_obj *obj);
void mmaplab_events_obj_del(struct mmaplab_obj *obj);
void mmaplab_emit(struct mmaplab_obj *obj, struct mmaplab_ev *ev, gfp_t gfp);
void mmaplab_events_vma_add(struct mmaplab_obj *obj,
			    struct vm_area_struct *vma);
void mmaplab_events_vma_del(struct mmaplab_obj *obj,
			    struct vm_area_struct *vma);

static inline void mmaplab_emit_obj(struct mmaplab_obj *obj, u32 event)
{
	struct mmaplab_ev ev = { .event = event, .nr_pages = obj->nr_pages };

	mmaplab_emit(obj, &ev, GFP_KERNEL);
}

static inline void mmaplab_emit_vma(struct mmaplab_obj *obj, u32 event,
				    struct vm_area_struct *vma,
				    unsigned long addr, unsigned long end,
				    u32 flags)
{
	struct mmaplab_ev ev = {
		.event = event, .vma = vma, .addr = addr, .end = end,
		.flags = flags,
	};

	mmaplab_emit(obj, &ev, GFP_KERNEL);
}

static inline void mmaplab_emit_range(struct mmaplab_obj *obj, u32 event,
				      u64 first, u64 nr, u32 flags, s64 result)
{
	struct mmaplab_ev ev = {
		.event = event, .pgoff = first, .nr_pages = nr, .flags = flags,
		.result = result,
	};

	mmaplab_emit(obj, &ev, GFP_KERNEL);
}

/* main.c: module parameters and module-wide accounting */
extern unsigned long mmaplab_max_pages;
extern atomic_long_t mmaplab_live_objects;
extern atomic_long_t mmaplab_live_pages;

/* budget.c: pages configured, module-wide and per user */
extern unsigned long mmaplab_max_total_pages;
extern unsigned long mmaplab_max_user_pages;
int mmaplab_budget_swap(kuid_t old_uid, unsigned long old_nr, kuid_t uid,
			unsigned long nr, bool unlimited_user);
void mmaplab_budget_release(kuid_t uid, unsigned long nr);
unsigned long mmaplab_budget_total(void);
unsigned long mmaplab_budget_user(kuid_t uid);
void mmaplab_budget_exit(void);

/* dev.c: the character device */
int mmaplab_dev_register(void);
void mmaplab_dev_unregister(void);
struct mmaplab_obj *mmaplab_file_obj(struct file *file);

/* inspect.c: MMAPLAB_IOC_INSPECT */
void mmaplab_inspect_init(void);
long mmaplab_ioctl_inspect(struct mmaplab_inspect *arg);

/* fs.c: the pseudo filesystem that gives each object an address_space */
int mmaplab_fs_init(void);
void mmaplab_fs_exit(void);
struct inode *mmaplab_fs_new_inode(void);

/* object.c: lifetime and configuration of a lab object */
struct mmaplab_obj *mmaplab_obj_create(struct file *file);
void mmaplab_obj_get(struct mmaplab_obj *obj);
void mmaplab_obj_put(struct mmaplab_obj *obj);
int mmaplab_obj_configure(struct mmaplab_obj *obj,
			  const struct mmaplab_config *cfg);
int mmaplab_obj_mmap(struct mmaplab_obj *obj, struct vm_area_struct *vma);
void mmaplab_obj_fill_stats(struct mmaplab_obj *obj,
			    struct mmaplab_stats *st);
void mmaplab_obj_reset_stats(struct mmaplab_obj *obj,
			     const struct mmaplab_stats *st);

/* ranges.c: the range ioctls, checked, then handed to the backing */
int mmaplab_obj_guard(struct mmaplab_obj *obj, struct mmaplab_range *r);
int mmaplab_obj_invalidate(struct mmaplab_obj *obj, struct mmaplab_range *r);
int mmaplab_obj_clean(struct mmaplab_obj *obj, struct mmaplab_range *r);
void mmaplab_zap(struct mmaplab_obj *obj, struct address_space *mapping,
		 pgoff_t first, pgoff_t nr, bool even_cows);
void mmaplab_range_begin_write(struct mmaplab_obj *obj);

/*
 * vma.c: the callbacks every backing shares.  A backing's table starts
 * with MMAPLAB_VM_OPS_COMMON and adds its fault handlers.
 */
void mmaplab_vma_attach(struct mmaplab_obj *obj, struct vm_area_struct *vma,
			const struct vm_operations_struct *ops);
void mmaplab_vm_open(struct vm_area_struct *vma);
void mmaplab_vm_close(struct vm_area_struct *vma);
int mmaplab_vm_may_split(struct vm_area_struct *vma, unsigned long addr);
int mmaplab_vm_mremap(struct vm_area_struct *vma);
int mmaplab_vm_mprotect(struct vm_area_struct *vma, unsigned long start,
			unsigned long end, unsigned long newflags);
const char *mmaplab_vm_name(struct vm_area_struct *vma);
bool mmaplab_vma_is_ours(struct vm_area_struct *vma);
vm_fault_t mmaplab_fault_enter(struct mmaplab_obj *obj, struct vm_fault *vmf,
			       unsigned long *seq);
vm_fault_t mmaplab_fault_retry(struct mmaplab_obj *obj, struct vm_fault *vmf,
			       struct page *page);
void mmaplab_fault_done(struct mmaplab_obj *obj, struct vm_fault *vmf,
			u32 outcome, bool allocated);
void mmaplab_emit_mkwrite(struct mmaplab_obj *obj, struct vm_fault *vmf,
			  u32 event);
void mmaplab_emit_map_pages(struct mmaplab_obj *obj, struct vm_fault *vmf,
			    pgoff_t start, pgoff_t end, long mapped);

#define MMAPLAB_VM_OPS_COMMON				\
	.open		= mmaplab_vm_open,		\
	.close		= mmaplab_vm_close,		\
	.may_split	= mmaplab_vm_may_split,		\
	.mremap		= mmaplab_vm_mremap,		\
	.mprotect	= mmaplab_vm_mprotect,		\
	.name		= mmaplab_vm_name

static inline struct mmaplab_obj *mmaplab_vma_obj(struct vm_area_struct *vma)
{
	return vma->vm_private_data;
}

/* store.c: the page store of backings pages and pfn */
int mmaplab_store_init(void);
void mmaplab_store_exit(void);
struct page *mmaplab_store_get(struct mmaplab_obj *obj, pgoff_t index,
			       bool *allocated);
bool mmaplab_store_holds(struct mmaplab_obj *obj, pgoff_t index,
			 struct page *page);
int mmaplab_store_guard(struct mmaplab_obj *obj, pgoff_t first, pgoff_t nr,
			bool install);
int mmaplab_store_invalidate(struct mmaplab_obj *obj, pgoff_t first,
			     pgoff_t nr, bool replace, u8 fill);
void mmaplab_store_release(struct mmaplab_obj *obj);
unsigned long mmaplab_store_resident(struct mmaplab_obj *obj);

/* backing_*.c: one file per backing */
extern const struct mmaplab_backing_ops mmaplab_backing_pages;
extern const struct mmaplab_backing_ops mmaplab_backing_shmem;
extern const struct mmaplab_backing_ops mmaplab_backing_zero;
extern const struct mmaplab_backing_ops mmaplab_backing_pfn;

#endif /* _MMAPLAB_H */
