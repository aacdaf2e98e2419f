/* SPDX-License-Identifier: GPL-2.0 */
/*
 * walk.h - reading a process's address space with MMAPLAB_IOC_INSPECT
 * (walk.c), shared by "inspect", "explain" and "maps": choosing the
 * target (a PID's /proc/PID/pagemap, or the caller), the restartable walk
 * with a fixed buffer, VMAs cut by the walk's restarts joined again, the
 * names of the records' values, and the one cell state of a page that
 * the grid, the SVG and "explain" agree on.  Nothing here prints to
 * stdout.
 */
#ifndef MMAPLAB_WALK_H
#define MMAPLAB_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib.h"

/* Records asked for per MMAPLAB_IOC_INSPECT call (tests build smaller). */
#ifndef ML_WALK_VMAS
#define ML_WALK_VMAS	64
#endif
#ifndef ML_WALK_PAGES
#define ML_WALK_PAGES	4096
#endif

/* End of the user address space asked for when no range is given. */
#if defined(__x86_64__)
#define ML_USER_END	0x7ffffffff000ULL	/* TASK_SIZE, 4-level paging */
#else
#define ML_USER_END	((1ULL << 48) - 4096)
#endif

/*
 * The state of one page, as the grid draws it: each has a character (the
 * plain-text grid), a colour and a name (the legend, JSON).
 */
enum ml_cell {
	ML_CELL_EMPTY,		/* '.' not present: no entry */
	ML_CELL_RO,		/* 'r' present, read-only */
	ML_CELL_RW,		/* 'w' present, writable, clean */
	ML_CELL_DIRTY,		/* 'D' present, dirty */
	ML_CELL_COW,		/* 'C' anonymous page in a private file VMA */
	ML_CELL_ZERO,		/* '0' the shared zero page */
	ML_CELL_GUARD,		/* 'G' PROT_NONE entry or guard marker */
	ML_CELL_SWAP,		/* 's' swapped out */
	ML_CELL_OTHER,		/* '?' migration, another marker, ... */
	ML_CELL_NR,
};

struct ml_cell_desc {
	char ch;
	const char *name;	/* JSON, short: "empty", "cow", ... */
	const char *label;	/* the text legend's: "not present" */
	const char *legend;	/* in full: "COW copy (anonymous ...)" */
	enum out_color color;	/* the terminal's */
	const char *fill;	/* the SVG's */
};

extern const struct ml_cell_desc ml_cells[ML_CELL_NR];

/*
 * One VMA of a walk, reported once however many calls it took.  @rec is
 * the VMA's whole extent; its page records cover only the walked range.
 */
struct ml_vma {
	struct mmaplab_inspect_vma rec;
	size_t first_page;		/* index in ml_walk.pages */
	size_t nr_pages;		/* page records of this VMA */
	uint64_t cells[ML_CELL_NR];	/* its pages by state */
};

struct ml_walk {
	struct ml_vma *vmas;
	size_t nr_vmas;
	struct mmaplab_inspect_page *pages;	/* NULL without pages */
	size_t nr_pages;
	size_t page_size;
	bool counted;		/* page records were asked for: cells[] hold */
};

/* The process to walk: @fd -1 for the caller, else /proc/PID/pagemap. */
struct ml_target {
	int fd;
	long pid;		/* 0: the caller ("self") */
};

/*
 * Parse @arg, a PID or "self", for command @cmd: 0, or a usage error
 * reported and ML_EXIT_USAGE.
 */
int ml_parse_pid(const char *cmd, const char *arg, long *pid);

/* true when @arg reads as a PID or "self" (all decimal digits). */
bool ml_looks_like_pid(const char *arg);

/*
 * Open what inspecting process @pid needs and call @fn(dev, target, @arg):
 * the target (for pid 0 the caller; else /proc/PID/pagemap, read-only,
 * whose open is the kernel's permission check) and the device; close both
 * after.  Returns the exit code of the open that failed (explained on
 * stderr; ML_EXIT_PERM when refused), else @fn's.
 */
typedef int ml_process_fn(int dev, const struct ml_target *t, void *arg);
int ml_with_process(long pid, ml_process_fn *fn, void *arg);

/* Walk flags. */
#define ML_WALK_NO_PAGES	(1U << 0)	/* VMA records only */
#define ML_WALK_COUNT_ONLY	(1U << 1)	/* count cells, keep no pages */

/*
 * Walk [@start, @end) of @t over the device @dev with MMAPLAB_IOC_INSPECT,
 * restarting at walk_end until the range is covered, and append what it
 * reports to @w (zeroed by the caller the first time).  Each VMA's cells[]
 * are counted; the page records are kept unless ML_WALK_NO_PAGES.  On
 * failure explains it on stderr and returns the exit code; else 0.
 */
int ml_walk(int dev, const struct ml_target *t, uint64_t start, uint64_t end,
	    unsigned int flags, struct ml_walk *w);
void ml_walk_free(struct ml_walk *w);

/* Pages of @v with a page mapped (the cells "ro" to "zero"). */
static inline uint64_t ml_vma_resident(const struct ml_vma *v)
{
	return v->cells[ML_CELL_RO] + v->cells[ML_CELL_RW] +
	       v->cells[ML_CELL_DIRTY] + v->cells[ML_CELL_COW] +
	       v->cells[ML_CELL_ZERO];
}

/* The pages of VMA @v in @w. */
static inline const struct mmaplab_inspect_page *
ml_vma_pages(const struct ml_walk *w, const struct ml_vma *v)
{
	return w->pages ? w->pages + v->first_page : NULL;
}

/* The state of page @p of VMA @v. */
enum ml_cell ml_page_cell(const struct mmaplab_inspect_vma *v,
			  const struct mmaplab_inspect_page *p);

/* A VMA that reads a file's pages: file, shmem, mmaplab (not zero). */
bool ml_vma_file_like(const struct mmaplab_inspect_vma *v);
/* Shared: MAP_SHARED (VM_MAYSHARE). */
bool ml_vma_shared(const struct mmaplab_inspect_vma *v);

/* "r-xp" as in /proc/PID/maps, in @buf (at least 5 bytes). */
const char *ml_vma_perms(const struct mmaplab_inspect_vma *v, char *buf);

/*
 * The vm_flags as smaps' two-letter names joined by @sep ("rd mr mw me
 * ac"), unknown bits as one hex number; in @buf, which it returns.
 */
const char *ml_vm_flags_str(uint64_t flags, const char *sep, char *buf,
			    size_t size);

/* For JSON: each known vm_flags bit's name, and its count. */
size_t ml_vm_flags_count(void);
const char *ml_vm_flag_name(size_t i, uint64_t *bit);

/* "anon", "heap", "stack", "special", "file", "shmem", "mmaplab". */
const char *ml_vma_kind_name(uint32_t kind);

/* What a human reads as the VMA's name: its path or [heap]/[anon]... */
const char *ml_vma_label(const struct mmaplab_inspect_vma *v, char *buf,
			 size_t size);

/* "empty", "present", "protnone", "swap", "migration", "guard", ... */
const char *ml_pte_state_name(uint32_t pte);

/*
 * MMAPLAB_PTE_* bits and MMAPLAB_PAGE_* bits as names joined by @sep, in
 * @buf ("" for none).
 */
const char *ml_pte_flags_str(uint32_t flags, const char *sep, char *buf,
			     size_t size);
const char *ml_page_flags_str(uint32_t flags, const char *sep, char *buf,
			      size_t size);

/* JSON arrays of the names of @flags, as member @key. */
void ml_json_vm_flags(const char *key, uint64_t flags);
void ml_json_pte_flags(const char *key, uint32_t flags);
void ml_json_page_flags(const char *key, uint32_t flags);

/* JSON: an address as a "0x..." string (see mmaplab(1)). */
void ml_json_addr(const char *key, uint64_t addr);

/*
 * Parse "ADDR" or "ADDR-END" (hexadecimal, with or without 0x): ADDR
 * alone is its page.  Rounds to pages.  0, or a usage error reported.
 */
int ml_parse_addr_range(const char *cmd, const char *arg, size_t page_size,
			uint64_t *start, uint64_t *end);

#endif /* MMAPLAB_WALK_H */
