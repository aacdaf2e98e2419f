// SPDX-License-Identifier: GPL-2.0
/*
 * inspect.c - MMAPLAB_IOC_INSPECT: the VMAs, page-table entries and page
 * facts behind a range of a process's address space.
 *
 * The target is the caller, or the process whose /proc/PID/pagemap the
 * caller opened: procfs checked ptrace read access (with the opener's
 * filesystem credentials, LSM hooks included) when it was opened, and
 * keeps the mm in the file, so holding that descriptor is exactly the
 * permission to read the target's page tables (Documentation/inspect.rst).
 * PFNs and swap offsets are shown only to CAP_SYS_ADMIN, as pagemap does.
 *
 * The walk holds the target's mmap_lock for reading, so VMAs and page
 * tables stay; it reads each PMD once without a lock and each PTE table
 * under its lock and RCU, after checking that the PMD still points to it
 * (pte_offset_map_lock() is not exported on 6.12).  Records are gathered
 * in a kernel buffer and copied out after the lock is dropped: copying to
 * the caller may fault, and the caller may be the target.
 *
 * Owns the walk and the records; must not change anything it looks at.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "mmaplab.h"

/* At most this much is gathered per call; the caller restarts. */
#define INSPECT_MAX_VMAS	256
#define INSPECT_MAX_PAGES	8192
/* Pages one call walks with MMAPLAB_INSPECT_RUNS (records are few then). */
#define INSPECT_MAX_WALK	262144

/* proc's pagemap file_operations, learnt at load from /proc/self/pagemap. */
static const struct file_operations *mmaplab_pagemap_fops;

void mmaplab_inspect_init(void)
{
	struct file *f = filp_open("/proc/self/pagemap", O_RDONLY, 0);

	if (IS_ERR(f)) {
		pr_notice("mmaplab: /proc/self/pagemap: %ld; inspecting other processes is off\n",
			  PTR_ERR(f));
		return;
	}
	mmaplab_pagemap_fops = f->f_op;
	fput(f);
}

static const struct {
	unsigned long vm;
	u64 ml;
} mmaplab_vm_flags[] = {
	{ VM_READ, MMAPLAB_VM_READ },
	{ VM_WRITE, MMAPLAB_VM_WRITE },
	{ VM_EXEC, MMAPLAB_VM_EXEC },
	{ VM_SHARED, MMAPLAB_VM_SHARED },
	{ VM_MAYREAD, MMAPLAB_VM_MAYREAD },
	{ VM_MAYWRITE, MMAPLAB_VM_MAYWRITE },
	{ VM_MAYEXEC, MMAPLAB_VM_MAYEXEC },
	{ VM_MAYSHARE, MMAPLAB_VM_MAYSHARE },
	{ VM_GROWSDOWN, MMAPLAB_VM_GROWSDOWN },
	{ VM_UFFD_MISSING, MMAPLAB_VM_UFFD_MISSING },
	{ VM_PFNMAP, MMAPLAB_VM_PFNMAP },
	{ VM_UFFD_WP, MMAPLAB_VM_UFFD_WP },
	{ VM_LOCKED, MMAPLAB_VM_LOCKED },
	{ VM_IO, MMAPLAB_VM_IO },
	{ VM_SEQ_READ, MMAPLAB_VM_SEQ_READ },
	{ VM_RAND_READ, MMAPLAB_VM_RAND_READ },
	{ VM_DONTCOPY, MMAPLAB_VM_DONTCOPY },
	{ VM_DONTEXPAND, MMAPLAB_VM_DONTEXPAND },
	{ VM_LOCKONFAULT, MMAPLAB_VM_LOCKONFAULT },
	{ VM_ACCOUNT, MMAPLAB_VM_ACCOUNT },
	{ VM_NORESERVE, MMAPLAB_VM_NORESERVE },
	{ VM_HUGETLB, MMAPLAB_VM_HUGETLB },
	{ VM_SYNC, MMAPLAB_VM_SYNC },
	{ VM_WIPEONFORK, MMAPLAB_VM_WIPEONFORK },
	{ VM_DONTDUMP, MMAPLAB_VM_DONTDUMP },
	{ VM_SOFTDIRTY, MMAPLAB_VM_SOFTDIRTY },
	{ VM_MIXEDMAP, MMAPLAB_VM_MIXEDMAP },
	{ VM_HUGEPAGE, MMAPLAB_VM_HUGEPAGE },
	{ VM_NOHUGEPAGE, MMAPLAB_VM_NOHUGEPAGE },
	{ VM_MERGEABLE, MMAPLAB_VM_MERGEABLE },
	{ VM_UFFD_MINOR, MMAPLAB_VM_UFFD_MINOR },
};

/*
 * What the facts of a small folio's page are made of, each read once:
 * inspect_small_page() makes the facts from these alone, so two pages
 * whose words are equal have equal facts.
 */
struct inspect_words {
	unsigned long flags;
	unsigned long mapping;
	int mapcount;
	int refcount;
};

/* One call's state: the target, the limits, the records so far. */
struct inspect_walk {
	struct mm_struct *mm;
	bool show_pfn;
	unsigned long end;
	struct mmaplab_inspect_vma *vmas;
	struct mmaplab_inspect_page *pages;
	u32 nr_vmas, max_vmas;
	u32 nr_pages, max_pages;
	u32 room;		/* records w->pages has room for */
	bool runs;		/* MMAPLAB_INSPECT_RUNS */
	bool ours;		/* the VMA walked is one of ours */
	struct mmaplab_inspect_page cur;	/* RUNS: the page being read */
	u32 run_floor;		/* no run reaches below this record */
	unsigned long walked;	/* pages walked (RUNS) */
	/*
	 * RUNS: the entry and words of the page the last record ends with,
	 * when a page with the same ones has the same facts (@memo).
	 */
	bool memo;
	pte_t memo_pte;
	struct inspect_words memo_words;
	unsigned long valid_sub;	/* see inspect_pfn_valid() */
	char *path;		/* PATH_MAX scratch for d_path() */
};

static void inspect_vma_name(struct inspect_walk *w, struct vm_area_struct *vma,
			     struct mmaplab_inspect_vma *r)
{
	const char *name = NULL;

	if (vma->vm_file) {
		name = d_path(&vma->vm_file->f_path, w->path, PATH_MAX);
		if (IS_ERR(name))
			name = "?";
	} else if (vma->vm_ops && vma->vm_ops->name) {
		name = vma->vm_ops->name(vma);
	} else if (r->kind == MMAPLAB_VMA_KIND_HEAP) {
		name = "[heap]";
	} else if (r->kind == MMAPLAB_VMA_KIND_STACK) {
		name = "[stack]";
	}
	if (!name)
		return;
	if (strscpy(r->name, name, sizeof(r->name)) < 0)
		r->info |= MMAPLAB_VMA_NAME_TRUNCATED;
}

static void inspect_vma(struct inspect_walk *w, struct vm_area_struct *vma,
			struct mmaplab_inspect_vma *r)
{
	struct mm_struct *mm = vma->vm_mm;
	struct mmaplab_obj *obj = NULL;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->start = vma->vm_start;
	r->end = vma->vm_end;
	r->pgoff = vma->vm_pgoff;
	for (i = 0; i < ARRAY_SIZE(mmaplab_vm_flags); i++)
		if (vma->vm_flags & mmaplab_vm_flags[i].vm)
			r->vm_flags |= mmaplab_vm_flags[i].ml;
	if (vma->anon_vma)
		r->info |= MMAPLAB_VMA_ANON_VMA;
	if (vma->vm_file)
		r->info |= MMAPLAB_VMA_HAS_FILE;

	if (mmaplab_vma_is_ours(vma)) {
		obj = mmaplab_vma_obj(vma);
		r->info |= MMAPLAB_VMA_MMAPLAB_OPS;
	} else if (vma->vm_file) {
		obj = mmaplab_file_obj(vma->vm_file);
	}

	if (obj) {
		r->kind = MMAPLAB_VMA_KIND_MMAPLAB;
		r->object_id = obj->id;
		r->backing = READ_ONCE(obj->backing);
	} else if (vma->vm_file) {
		r->kind = file_inode(vma->vm_file)->i_sb->s_magic == TMPFS_MAGIC ?
			  MMAPLAB_VMA_KIND_SHMEM : MMAPLAB_VMA_KIND_FILE;
	} else if (vma->vm_ops && vma->vm_ops->name) {
		r->kind = MMAPLAB_VMA_KIND_SPECIAL;
	} else if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk) {
		r->kind = MMAPLAB_VMA_KIND_HEAP;
	} else if (vma->vm_start <= mm->start_stack &&
		   vma->vm_end >= mm->start_stack) {
		r->kind = MMAPLAB_VMA_KIND_STACK;
	} else {
		r->kind = MMAPLAB_VMA_KIND_ANON;
	}
	inspect_vma_name(w, vma, r);
}

/* An object's own page, from its store (backings pages and pfn)? */
static bool inspect_stored(struct vm_area_struct *vma, unsigned long addr,
			   struct page *page)
{
	struct mmaplab_obj *obj = mmaplab_vma_obj(vma);
	pgoff_t index = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);

	return xa_load(&obj->pages, index) == page;
}

static void inspect_read_words(struct page *page, struct inspect_words *s)
{
	s->flags = mmaplab_page_flags_word(page);
	s->mapping = (unsigned long)READ_ONCE(page->mapping);
	s->mapcount = mmaplab_page_mapcount(page);
	s->refcount = page_ref_count(page);
}

/*
 * The facts of a page that is a folio of its own, from its words: what
 * the folio tests of inspect_struct_page() read, taken from one read of
 * each word (the flags are the page's, as the folio is the page).
 */
static void inspect_small_page(const struct inspect_words *s,
			       struct mmaplab_inspect_page *r)
{
	r->page_flags |= MMAPLAB_PAGE_HAS_STRUCT;
	if (s->mapping & MMAPLAB_MAPPING_ANON) {
		r->page_flags |= MMAPLAB_PAGE_ANON;
		if (s->flags & BIT(PG_anon_exclusive))
			r->page_flags |= MMAPLAB_PAGE_ANON_EXCLUSIVE;
		if ((s->mapping & MMAPLAB_MAPPING_FLAGS) == MMAPLAB_MAPPING_KSM)
			r->page_flags |= MMAPLAB_PAGE_KSM;
	} else if (s->mapping) {
		r->page_flags |= MMAPLAB_PAGE_CACHE;
	}
	if (s->flags & BIT(PG_swapbacked))
		r->page_flags |= MMAPLAB_PAGE_SWAPBACKED;
	if (s->flags & BIT(PG_dirty))
		r->page_flags |= MMAPLAB_PAGE_DIRTY;
	if (s->flags & BIT(PG_lru))
		r->page_flags |= MMAPLAB_PAGE_LRU;
	r->mapcount = s->mapcount;
	r->refcount = s->refcount;
}

/*
 * Facts of a mapped page; the entry that maps it keeps it alive, and
 * the page-table lock held keeps its folio whole (a split unmaps first).
 * A page that is a folio of its own is read from its words; with RUNS
 * they become the memo, unless the facts also depend on the object's
 * store (an object's own page).
 */
static void inspect_struct_page(struct inspect_walk *w,
				struct vm_area_struct *vma, unsigned long addr,
				struct page *page, struct mmaplab_inspect_page *r)
{
	struct inspect_words s;
	struct folio *folio;

	if (!PageCompound(page)) {
		inspect_read_words(page, &s);
		inspect_small_page(&s, r);
		if (!(r->page_flags & MMAPLAB_PAGE_ANON) && w->ours) {
			if (inspect_stored(vma, addr, page))
				r->page_flags |= MMAPLAB_PAGE_MMAPLAB;
			return;
		}
		if (w->runs) {
			w->memo_words = s;
			w->memo = true;
		}
		return;
	}

	folio = page_folio(page);
	r->page_flags |= MMAPLAB_PAGE_HAS_STRUCT;
	if (folio_test_anon(folio)) {
		r->page_flags |= MMAPLAB_PAGE_ANON;
		if (PageAnonExclusive(page))
			r->page_flags |= MMAPLAB_PAGE_ANON_EXCLUSIVE;
		if (folio_test_ksm(folio))
			r->page_flags |= MMAPLAB_PAGE_KSM;
	} else if (READ_ONCE(folio->mapping)) {
		r->page_flags |= MMAPLAB_PAGE_CACHE;
	}
	if (folio_test_swapbacked(folio))
		r->page_flags |= MMAPLAB_PAGE_SWAPBACKED;
	if (folio_test_dirty(folio))
		r->page_flags |= MMAPLAB_PAGE_DIRTY;
	if (folio_test_lru(folio))
		r->page_flags |= MMAPLAB_PAGE_LRU;
	if (folio_test_large(folio))
		r->page_flags |= MMAPLAB_PAGE_LARGE;
	r->mapcount = mmaplab_page_mapcount(page);
	r->refcount = folio_ref_count(folio);

	if (w->ours && !folio_test_anon(folio) && inspect_stored(vma, addr, page))
		r->page_flags |= MMAPLAB_PAGE_MMAPLAB;
}

/*
 * pfn_valid() of a frame that a present, normal entry maps (read under
 * the page-table lock), asked once per subsection: the memory map comes
 * and goes by whole subsections, and memory a present entry maps cannot
 * go offline, let alone lose its memory map, while that lock is held.
 * So a frame in the subsection of one found valid before is valid too.
 */
static bool inspect_pfn_valid(struct inspect_walk *w, unsigned long pfn)
{
	if (pfn >> PFN_SUBSECTION_SHIFT == w->valid_sub)
		return true;
	if (!pfn_valid(pfn))
		return false;
	w->valid_sub = pfn >> PFN_SUBSECTION_SHIFT;
	return true;
}

static void inspect_pte(struct inspect_walk *w, struct vm_area_struct *vma,
			unsigned long addr, pte_t pte,
			struct mmaplab_inspect_page *r)
{
	unsigned long pfn;
	u64 offset = 0;
	u32 type = 0;

	if (pte_none(pte)) {
		r->pte = MMAPLAB_PTE_EMPTY;
		return;
	}
	if (!pte_present(pte)) {
		r->pte = mmaplab_pte_nonpresent(pte, &type, &offset);
		if (pte_swp_soft_dirty(pte))
			r->pte_flags |= MMAPLAB_PTE_SOFT_DIRTY;
		if (pte_swp_uffd_wp(pte))
			r->pte_flags |= MMAPLAB_PTE_UFFD_WP;
		if (r->pte == MMAPLAB_PTE_SWAP) {
			if (pte_swp_exclusive(pte))
				r->pte_flags |= MMAPLAB_PTE_EXCLUSIVE;
			r->swap_type = type;
			r->swap_offset = w->show_pfn ? offset : 0;
		}
		return;
	}

	r->pte = mmaplab_pte_protnone(pte) ? MMAPLAB_PTE_PROTNONE :
					     MMAPLAB_PTE_PRESENT;
	if (pte_write(pte))
		r->pte_flags |= MMAPLAB_PTE_WRITE;
	if (pte_dirty(pte))
		r->pte_flags |= MMAPLAB_PTE_DIRTY;
	if (pte_young(pte))
		r->pte_flags |= MMAPLAB_PTE_YOUNG;
	if (pte_soft_dirty(pte))
		r->pte_flags |= MMAPLAB_PTE_SOFT_DIRTY;
	if (pte_uffd_wp(pte))
		r->pte_flags |= MMAPLAB_PTE_UFFD_WP;
	if (pte_special(pte))
		r->pte_flags |= MMAPLAB_PTE_SPECIAL;
	pfn = pte_pfn(pte);
	if (w->show_pfn)
		r->pfn = pfn;
	if (is_zero_pfn(pfn))
		r->page_flags |= MMAPLAB_PAGE_ZERO;
	else if (!pte_special(pte) && inspect_pfn_valid(w, pfn))
		inspect_struct_page(w, vma, addr, pfn_to_page(pfn), r);
}

static void inspect_huge_pmd(struct inspect_walk *w, struct vm_area_struct *vma,
			     unsigned long addr, pmd_t pmd,
			     struct mmaplab_inspect_page *r)
{
	struct page *page;

	r->pte = MMAPLAB_PTE_PRESENT;
	r->pte_flags |= MMAPLAB_PTE_HUGE_PMD;
	if (pmd_write(pmd))
		r->pte_flags |= MMAPLAB_PTE_WRITE;
	if (pmd_dirty(pmd))
		r->pte_flags |= MMAPLAB_PTE_DIRTY;
	if (pmd_young(pmd))
		r->pte_flags |= MMAPLAB_PTE_YOUNG;
	if (pmd_soft_dirty(pmd))
		r->pte_flags |= MMAPLAB_PTE_SOFT_DIRTY;
	page = pmd_page(pmd) + ((addr & ~PMD_MASK) >> PAGE_SHIFT);
	if (w->show_pfn)
		r->pfn = page_to_pfn(page);
	inspect_struct_page(w, vma, addr, page, r);
}

/* The record of the page at @addr, cleared; inspect_done() once filled. */
static struct mmaplab_inspect_page *inspect_next(struct inspect_walk *w,
						 unsigned long addr)
{
	/* With RUNS most pages only lengthen a run: read them aside. */
	struct mmaplab_inspect_page *r = w->runs ? &w->cur :
					 &w->pages[w->nr_pages++];

	w->memo = false;
	memset(r, 0, sizeof(*r));
	r->addr = addr;
	r->nr = 1;
	return r;
}

/* A number that advances by one page along a run; 0 stays 0. */
static bool inspect_follows(u64 prev, u32 nr, u64 next)
{
	return prev ? next == prev + nr : !next;
}

/*
 * With RUNS, the page just read lengthens the last record's run if it
 * can (never across VMAs), else it becomes a record of its own.
 */
static void inspect_done(struct inspect_walk *w)
{
	struct mmaplab_inspect_page *prev, *r = &w->cur;

	if (!w->runs)
		return;
	if (w->nr_pages == w->run_floor) {
		w->pages[w->nr_pages++] = *r;
		return;
	}
	prev = &w->pages[w->nr_pages - 1];
	if (r->pte != prev->pte || r->pte_flags != prev->pte_flags ||
	    r->page_flags != prev->page_flags ||
	    r->swap_type != prev->swap_type ||
	    r->mapcount != prev->mapcount || r->refcount != prev->refcount ||
	    !inspect_follows(prev->pfn, prev->nr, r->pfn) ||
	    !inspect_follows(prev->swap_offset, prev->nr, r->swap_offset)) {
		w->pages[w->nr_pages++] = *r;
		return;
	}
	prev->nr++;
}

/*
 * RUNS: the page of entry @pte lengthens the last record if the entry
 * differs from the memo's only in the frame and the page is a folio of
 * its own with the memo's words: its facts are then the record's (made
 * from nothing else), without reading them one by one.  Its frame must
 * follow the record's where frames are shown.
 */
static bool inspect_like_last(struct inspect_walk *w, pte_t pte)
{
	struct mmaplab_inspect_page *prev = &w->pages[w->nr_pages - 1];
	struct inspect_words s;
	unsigned long pfn;
	struct page *page;

	if (!mmaplab_pte_same_but_pfn(pte, w->memo_pte))
		return false;
	pfn = pte_pfn(pte);
	if (is_zero_pfn(pfn) || !inspect_pfn_valid(w, pfn))
		return false;
	if (!inspect_follows(prev->pfn, prev->nr, w->show_pfn ? pfn : 0))
		return false;
	page = pfn_to_page(pfn);
	if (PageCompound(page))
		return false;
	inspect_read_words(page, &s);
	if (s.flags != w->memo_words.flags ||
	    s.mapping != w->memo_words.mapping ||
	    s.mapcount != w->memo_words.mapcount ||
	    s.refcount != w->memo_words.refcount)
		return false;
	prev->nr++;
	return true;
}

/* Records of the pages of [@addr, @end), all in @state and nothing more. */
static void inspect_fill(struct inspect_walk *w, unsigned long addr,
			 unsigned long end, u32 state)
{
	for (; addr < end; addr += PAGE_SIZE) {
		inspect_next(w, addr)->pte = state;
		inspect_done(w);
	}
}

/*
 * Records for [addr, end) inside one PMD of @vma: empty without a table,
 * one per page of a huge PMD, else each PTE under the table's lock.
 */
static void inspect_pmd(struct inspect_walk *w, struct vm_area_struct *vma,
			pmd_t *pmdp, unsigned long addr, unsigned long end)
{
	struct mmaplab_inspect_page *r;
	spinlock_t *ptl;	/* the PTE table's or the huge PMD's */
	pte_t *table;
	pmd_t pmd;

again:
	pmd = mmaplab_pmd_read(pmdp);
	if (pmd_trans_huge(pmd)) {
		ptl = pmd_lock(w->mm, pmdp);
		if (!pmd_same(pmd, *pmdp)) {
			spin_unlock(ptl);
			goto again;
		}
		for (; addr < end; addr += PAGE_SIZE) {
			inspect_huge_pmd(w, vma, addr, pmd,
					 inspect_next(w, addr));
			inspect_done(w);
		}
		spin_unlock(ptl);
		return;
	}
	if (pmd_none(pmd) || !pmd_present(pmd) || pmd_bad(pmd)) {
		u32 state = pmd_none(pmd) ? MMAPLAB_PTE_EMPTY :
			    !pmd_present(pmd) ? MMAPLAB_PTE_MIGRATION :
			    MMAPLAB_PTE_OTHER;

		inspect_fill(w, addr, end, state);
		return;
	}

	/* A PTE table freed meanwhile is freed after RCU (6.5+). */
	rcu_read_lock();
	ptl = pte_lockptr(w->mm, &pmd);
	spin_lock(ptl);
	if (!pmd_same(pmd, mmaplab_pmd_read(pmdp))) {
		spin_unlock(ptl);
		rcu_read_unlock();
		goto again;
	}
	table = pte_offset_kernel(&pmd, addr);
	for (; addr < end; addr += PAGE_SIZE, table++) {
		pte_t pte = ptep_get(table);

		if (w->memo && inspect_like_last(w, pte))
			continue;
		r = inspect_next(w, addr);
		inspect_pte(w, vma, addr, pte, r);
		inspect_done(w);
		if (w->memo)
			w->memo_pte = pte;
	}
	spin_unlock(ptl);
	rcu_read_unlock();
}

/* No room for another page record, or (RUNS) walked far enough. */
static bool inspect_full(struct inspect_walk *w)
{
	return w->nr_pages == w->max_pages ||
	       (w->runs && w->walked >= INSPECT_MAX_WALK);
}

/*
 * Room for the records of @n more pages, up to max_pages: with RUNS the
 * buffer starts small and grows as records come (most walks need few,
 * and every page allocated is also cleared).  Under mmap_lock, not the
 * page-table lock: it may sleep.  Returns the room, which may fall short
 * if memory does.
 */
static u32 inspect_room(struct inspect_walk *w, unsigned long n)
{
	u32 want = min_t(unsigned long, w->max_pages, w->nr_pages + n), room;
	struct mmaplab_inspect_page *p;

	if (want <= w->room)
		return w->room;
	room = max_t(u32, want, min_t(u32, w->max_pages, 2 * w->room));
	p = kvmalloc_array(room, sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return w->room;
	memcpy(p, w->pages, w->nr_pages * sizeof(*p));
	kvfree(w->pages);
	w->pages = p;
	w->room = room;
	return room;
}

/* Page records for [addr, end) of @vma, as many as fit; returns the end. */
static unsigned long inspect_pages(struct inspect_walk *w,
				   struct vm_area_struct *vma,
				   unsigned long addr, unsigned long end)
{
	unsigned long next;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	u32 room;

	while (addr < end && !inspect_full(w)) {
		next = pmd_addr_end(addr, end);
		/*
		 * Stop where the buffer could fill (each page may need a
		 * record) or the walk is long enough: walk_end says so.
		 */
		next = min(next, addr + ((unsigned long)(w->max_pages -
					 w->nr_pages) << PAGE_SHIFT));
		if (w->runs)
			next = min(next, addr + ((INSPECT_MAX_WALK - w->walked) <<
						 PAGE_SHIFT));
		room = inspect_room(w, (next - addr) >> PAGE_SHIFT);
		next = min(next, addr + ((unsigned long)(room - w->nr_pages) <<
					 PAGE_SHIFT));
		if (next == addr)
			break;		/* no memory for more records */
		w->walked += (next - addr) >> PAGE_SHIFT;
		pgd = pgd_offset(w->mm, addr);
		p4d = pgd_none(*pgd) || pgd_bad(*pgd) ? NULL :
		      p4d_offset(pgd, addr);
		pud = !p4d || p4d_none(*p4d) || p4d_bad(*p4d) ? NULL :
		      pud_offset(p4d, addr);
		if (is_vm_hugetlb_page(vma) || !pud || pud_none(*pud) ||
		    pud_bad(*pud)) {
			u32 state = is_vm_hugetlb_page(vma) ||
				    (pud && !pud_none(*pud)) ?
				    MMAPLAB_PTE_OTHER : MMAPLAB_PTE_EMPTY;

			inspect_fill(w, addr, next, state);
			addr = next;
			continue;
		}
		inspect_pmd(w, vma, pmd_offset(pud, addr), addr, next);
		addr = next;
	}
	return addr;
}

/* Walk from @addr; returns where the walk stopped (walk_end). */
static unsigned long inspect_range(struct inspect_walk *w, unsigned long addr,
				   bool no_pages)
{
	struct mmaplab_inspect_vma *r;
	struct vm_area_struct *vma;
	unsigned long from, to;

	while (addr < w->end) {
		vma = find_vma(w->mm, addr);
		if (!vma || vma->vm_start >= w->end)
			return w->end;
		from = max(addr, vma->vm_start);
		to = min(vma->vm_end, w->end);
		if (w->nr_vmas == w->max_vmas || (!no_pages && inspect_full(w)))
			return from;
		r = &w->vmas[w->nr_vmas++];
		inspect_vma(w, vma, r);
		r->first_page = w->nr_pages;
		w->run_floor = w->nr_pages;	/* runs stay inside a VMA */
		w->memo = false;
		w->ours = mmaplab_vma_is_ours(vma);
		if (!no_pages) {
			addr = inspect_pages(w, vma, from, to);
			r->nr_pages = w->nr_pages - r->first_page;
			if (addr < to)
				return addr;
		}
		addr = to;
		cond_resched();
	}
	return w->end;
}

/*
 * The target's mm, referenced (mmput), and whether PFNs may be shown.
 * @pagemap is the descriptor of /proc/PID/pagemap, or NULL for the caller.
 */
static struct mm_struct *inspect_target(struct file *pagemap, bool *show_pfn)
{
	struct mm_struct *mm;

	*show_pfn = capable(CAP_SYS_ADMIN);
	if (!pagemap) {
		mm = get_task_mm(current);
		return mm ? mm : ERR_PTR(-ESRCH);
	}
	if (!mmaplab_pagemap_fops)
		return ERR_PTR(-EOPNOTSUPP);
	if (pagemap->f_op != mmaplab_pagemap_fops)
		return ERR_PTR(-EINVAL);
	/* As pagemap: PFNs if its opener could see them too. */
	*show_pfn = *show_pfn &&
		    file_ns_capable(pagemap, &init_user_ns, CAP_SYS_ADMIN);
	/* pagemap's open stored the mm (held with mmgrab), or NULL. */
	mm = pagemap->private_data;
	if (!mm || !mmget_not_zero(mm))
		return ERR_PTR(-ESRCH);
	return mm;
}

/*
 * Copy @n records of @ksize bytes to records of @usize bytes each: an
 * older caller's shorter records get what they have room for, a newer
 * caller's longer ones are zero-filled past ours.
 */
static int inspect_copy_out(u64 uptr, const void *recs, u32 n, size_t ksize,
			    u32 usize)
{
	char __user *dst = u64_to_user_ptr(uptr);
	size_t len = min_t(size_t, ksize, usize);
	u32 i;

	/* The usual case: the caller's records are ours, one copy. */
	if (usize == ksize)
		return copy_to_user(dst, recs, (size_t)n * ksize) ? -EFAULT : 0;
	for (i = 0; i < n; i++, dst += usize) {
		if (copy_to_user(dst, (const char *)recs + i * ksize, len))
			return -EFAULT;
		if (usize > ksize && clear_user(dst + ksize, usize - ksize))
			return -EFAULT;
	}
	return 0;
}

long mmaplab_ioctl_inspect(struct mmaplab_inspect *arg)
{
	struct inspect_walk w = { };
	struct file *pagemap = NULL;
	unsigned long walk_end;
	long ret;

	if (arg->flags & ~MMAPLAB_INSPECT_FLAGS_ALL || arg->__pad ||
	    arg->__reserved)
		return -EINVAL;
	if (arg->vma_size < MMAPLAB_INSPECT_VMA_SIZE_VER0 ||
	    arg->vma_size > PAGE_SIZE ||
	    arg->page_size < MMAPLAB_INSPECT_PAGE_SIZE_VER0 ||
	    arg->page_size > PAGE_SIZE)
		return -EINVAL;
	/* A run's length needs the field of version 1 of the page record. */
	if (arg->flags & MMAPLAB_INSPECT_RUNS &&
	    arg->page_size < MMAPLAB_INSPECT_PAGE_SIZE_VER1)
		return -EINVAL;
	if (!arg->nr_vmas ||
	    (!arg->nr_pages && !(arg->flags & MMAPLAB_INSPECT_NO_PAGES)))
		return -EINVAL;
	if (!PAGE_ALIGNED(arg->start) || !PAGE_ALIGNED(arg->end) ||
	    arg->start >= arg->end || arg->end > TASK_SIZE_MAX)
		return -EINVAL;
	if (arg->target_fd != -1) {
		if (arg->target_fd < 0)
			return -EBADF;
		pagemap = fget(arg->target_fd);
		if (!pagemap)
			return -EBADF;
	}

	w.mm = inspect_target(pagemap, &w.show_pfn);
	if (IS_ERR(w.mm)) {
		ret = PTR_ERR(w.mm);
		goto out_file;
	}
	w.end = arg->end;
	w.valid_sub = ULONG_MAX;	/* no frame has a subsection so high */
	w.runs = arg->flags & MMAPLAB_INSPECT_RUNS;
	if (arg->flags & MMAPLAB_INSPECT_NO_PFN)
		w.show_pfn = false;
	w.max_vmas = min_t(u32, arg->nr_vmas, INSPECT_MAX_VMAS);
	w.max_pages = arg->flags & MMAPLAB_INSPECT_NO_PAGES ? 0 :
		      min_t(u32, arg->nr_pages, INSPECT_MAX_PAGES);
	ret = -ENOMEM;
	/*
	 * Not zeroed here: each record is cleared as it is filled.  Room
	 * for a record per page of the range (up to max_pages), or with
	 * RUNS for a PMD's worth at first (inspect_room() grows it).
	 */
	w.room = max_t(u32, 1, min_t(u64, w.max_pages,
				     (arg->end - arg->start) >> PAGE_SHIFT));
	if (w.runs)
		w.room = min_t(u32, w.room, PTRS_PER_PTE);
	w.vmas = kvmalloc_array(max_t(u32, w.max_vmas, 1), sizeof(*w.vmas),
				GFP_KERNEL_ACCOUNT);
	w.pages = kvmalloc_array(w.room, sizeof(*w.pages), GFP_KERNEL_ACCOUNT);
	w.path = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!w.vmas || !w.pages || !w.path)
		goto out_free;

	ret = mmap_read_lock_killable(w.mm);
	if (ret)
		goto out_free;
	walk_end = inspect_range(&w, arg->start,
				 arg->flags & MMAPLAB_INSPECT_NO_PAGES);
	mmap_read_unlock(w.mm);

	ret = inspect_copy_out(arg->vmas, w.vmas, w.nr_vmas, sizeof(*w.vmas),
			       arg->vma_size);
	if (!ret)
		ret = inspect_copy_out(arg->pages, w.pages, w.nr_pages,
				       sizeof(*w.pages), arg->page_size);
	arg->nr_vmas = w.nr_vmas;
	arg->nr_pages = w.nr_pages;
	arg->walk_end = walk_end;
out_free:
	kfree(w.path);
	kvfree(w.pages);
	kvfree(w.vmas);
	mmput(w.mm);
out_file:
	if (pagemap)
		fput(pagemap);
	return ret;
}
