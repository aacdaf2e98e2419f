// SPDX-License-Identifier: GPL-2.0
/*
 * explain.c - "mmaplab explain PID ADDR": one page of a process in words:
 * which VMA holds it and what backs that VMA, what the page-table entry
 * says and what the page is (MMAPLAB_IOC_INSPECT, walk.c), and why the
 * kernel left it so: which fault or event makes that state, and what the
 * next access will do.
 *
 * The why is chosen from the page's cell state (the grid's, walk.c) and
 * the VMA: one sentence for the state, then notes for the bits that
 * qualify it.  Every state of the grid has its sentence here.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "walk.h"

static void explain_usage(FILE *f)
{
	fputs("Usage: mmaplab [GLOBAL OPTIONS] explain [--help] PID ADDR\n"
	      "\n"
	      "Explain the page at hexadecimal address ADDR (0x optional) of process\n"
	      "PID (or \"self\", this command) in words: the VMA that holds it and what\n"
	      "backs it, what its page-table entry says, what the page is, and why:\n"
	      "which access or event leaves a page in that state and what the next\n"
	      "access does.  Needs what reading /proc/PID/pagemap needs (ptrace read\n"
	      "access); PFNs are shown only to CAP_SYS_ADMIN.\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help   show this help and exit\n"
	      "\n"
	      "Exit status: 0 success (also for an address no VMA covers: that is\n"
	      "explained too), 1 the walk failed or no such process, 2 usage error,\n"
	      "3 device unavailable, 4 not allowed to read the process's page tables.\n"
	      "\n"
	      "Example:\n"
	      "  mmaplab explain 1234 0x7f6a1c002000\n",
	      f);
}

/* The sentences of an explanation. */
struct why {
	char *text[12];
	unsigned int n;
};

static void say(struct why *y, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct why *y, const char *fmt, ...)
{
	va_list ap;

	if (y->n >= ARRAY_SIZE(y->text))
		return;
	va_start(ap, fmt);
	y->text[y->n++] = xvasprintf(fmt, ap);
	va_end(ap);
}

static void why_free(struct why *y)
{
	for (unsigned int i = 0; i < y->n; i++)
		free(y->text[i]);
	y->n = 0;
}

static bool vma_accessible(const struct mmaplab_inspect_vma *v)
{
	return v->vm_flags & (MMAPLAB_VM_READ | MMAPLAB_VM_WRITE |
			      MMAPLAB_VM_EXEC);
}

static bool vma_anon_like(const struct mmaplab_inspect_vma *v)
{
	return !ml_vma_file_like(v) && !(v->vm_flags & MMAPLAB_VM_PFNMAP) &&
	       v->kind != MMAPLAB_VMA_KIND_SPECIAL;
}

/* What backs VMA @v, as a phrase. */
static void vma_what(const struct mmaplab_inspect_vma *v, char *buf,
		     size_t size)
{
	const char *how = ml_vma_shared(v) ? "shared" : "private";
	const char *bname = ml_backing_name(v->backing);

	switch (v->kind) {
	case MMAPLAB_VMA_KIND_HEAP:
		snprintf(buf, size, "the brk heap: private anonymous memory");
		break;
	case MMAPLAB_VMA_KIND_STACK:
		snprintf(buf, size, "the main thread's stack: private anonymous memory that grows down");
		break;
	case MMAPLAB_VMA_KIND_SPECIAL:
		snprintf(buf, size, "a special mapping the kernel made (%s)",
			 v->name[0] ? v->name : "no name");
		break;
	case MMAPLAB_VMA_KIND_FILE:
		snprintf(buf, size, "a %s mapping of the file %s", how, v->name);
		break;
	case MMAPLAB_VMA_KIND_SHMEM:
		if (strstr(v->name, "/dev/zero") || !v->name[0])
			snprintf(buf, size, "%s anonymous memory: a shmem (tmpfs) file of its own%s%s",
				 how, v->name[0] ? ", " : "", v->name);
		else
			snprintf(buf, size, "a %s mapping of the shmem (tmpfs) file %s",
				 how, v->name);
		break;
	case MMAPLAB_VMA_KIND_MMAPLAB:
		if (v->backing == MMAPLAB_BACKING_ZERO && !ml_vma_shared(v))
			snprintf(buf, size, "mmaplab object %llu (backing zero) mapped private: plain anonymous memory, as /dev/zero gives",
				 (unsigned long long)v->object_id);
		else
			snprintf(buf, size, "a %s mapping of mmaplab object %llu (backing %s)",
				 how, (unsigned long long)v->object_id,
				 bname ? bname : "unknown");
		break;
	case MMAPLAB_VMA_KIND_ANON:
	default:
		if (v->object_id)
			snprintf(buf, size, "mmaplab object %llu mapped private: plain anonymous memory, as /dev/zero gives",
				 (unsigned long long)v->object_id);
		else
			snprintf(buf, size, "%s anonymous memory", how);
		break;
	}
}

/* What a fault on an empty entry of @v would do. */
static void why_empty(struct why *y, const struct mmaplab_inspect_vma *v)
{
	say(y, "empty: there is no page-table entry.  The page was never touched here, or its entry was dropped (MADV_DONTNEED, an invalidation, reclaim of a clean file page, a new mapping over the range); the next access faults.");
	if (!vma_accessible(v)) {
		say(y, "The VMA grants no access (PROT_NONE): that access raises SIGSEGV.");
		return;
	}
	if (v->vm_flags & MMAPLAB_VM_PFNMAP) {
		say(y, "On this VM_PFNMAP mapping the fault asks the driver (->fault), which inserts a page frame by PFN%s.",
		    v->kind == MMAPLAB_VMA_KIND_MMAPLAB ? ": the object's page" : "");
	} else if (vma_anon_like(v)) {
		say(y, "A read fault maps the shared zero page (read-only); a write fault allocates a zero-filled anonymous page for this process.");
	} else if (ml_vma_shared(v)) {
		say(y, "A fault maps the %s page itself, shared: every process that maps it sees the same bytes, and writes reach the %s.",
		    v->kind == MMAPLAB_VMA_KIND_MMAPLAB ? "object's" : "file's",
		    v->kind == MMAPLAB_VMA_KIND_MMAPLAB ? "object" : "file");
	} else {
		say(y, "A read fault maps the %s page read-only; a write fault copies it into a new anonymous page of this process (copy-on-write).",
		    v->kind == MMAPLAB_VMA_KIND_MMAPLAB ? "object's" : "file's page-cache");
	}
	if (v->kind == MMAPLAB_VMA_KIND_MMAPLAB && v->backing != MMAPLAB_BACKING_ZERO)
		say(y, "The module's ->fault answers it; on a guard page of the object (MMAPLAB_IOC_GUARD) it raises SIGSEGV instead, and past the object's end SIGBUS.");
	else if (v->kind == MMAPLAB_VMA_KIND_FILE)
		say(y, "Past the end of the file, the access raises SIGBUS.");
}

static void why_anon(struct why *y, const struct mmaplab_inspect_vma *v,
		     const struct mmaplab_inspect_page *p)
{
	bool excl = p->page_flags & MMAPLAB_PAGE_ANON_EXCLUSIVE;

	if (p->page_flags & MMAPLAB_PAGE_KSM) {
		say(y, "a KSM page: KSM merged identical pages into this one read-only page; the next write copies it.");
		return;
	}
	if (p->pte_flags & MMAPLAB_PTE_WRITE) {
		say(y, "present writable: an anonymous page of this process alone, made by a write fault (or a copy-on-write); writes go straight to it.");
		return;
	}
	if (!(v->vm_flags & MMAPLAB_VM_WRITE)) {
		say(y, "present read-only: an anonymous page in a VMA that is not writable (mapped read-only, or mprotect()ed so); a write raises SIGSEGV.");
		return;
	}
	if (!excl || p->mapcount > 1)
		say(y, "present read-only in a writable VMA: an anonymous page shared copy-on-write with another process since fork (mapcount %d); the next write copies it, or takes it over when the other side has let go.",
		    p->mapcount);
	else
		say(y, "present read-only in a writable VMA: the entry was write-protected (by fork, swap-in or mprotect), but the page is exclusive to this process, so the next write makes it writable again without a copy.");
}

static void why_file_page(struct why *y, const struct mmaplab_inspect_vma *v,
			  const struct mmaplab_inspect_page *p)
{
	bool own = p->page_flags & MMAPLAB_PAGE_MMAPLAB;
	bool pfn = !(p->page_flags & MMAPLAB_PAGE_HAS_STRUCT) ||
		   (v->vm_flags & MMAPLAB_VM_PFNMAP);
	const char *what = pfn ? "page frame" : own ? "object's own page" :
			   "page-cache page";
	const char *notify = pfn ? "->pfn_mkwrite" : "->page_mkwrite";
	bool w = p->pte_flags & MMAPLAB_PTE_WRITE;

	if (pfn)
		say(y, "a page frame inserted by PFN into a VM_PFNMAP mapping, as drivers map device memory: the kernel keeps no struct page for it here, so there is no mapcount or refcount, and fork copies the entry.");
	else if (own)
		say(y, "the object's own page from the module's page store, handed to the kernel by ->fault (or ->map_pages, fault-around).");

	if (!ml_vma_shared(v)) {
		if (!w)
			say(y, "present read-only: a read fault on a private %s mapping mapped the %s; the next write copies it into an anonymous page of this process.",
			    v->kind == MMAPLAB_VMA_KIND_MMAPLAB ? "object" : "file",
			    what);
		else
			say(y, "present writable in a private mapping, yet not a copy: unusual (a driver inserted it writable).");
		return;
	}
	if (w && (p->pte_flags & MMAPLAB_PTE_DIRTY))
		say(y, "shared mapping, written: the entry is dirty, so the %s is dirty for the %s; every process that maps it sees the write%s.",
		    what, v->kind == MMAPLAB_VMA_KIND_MMAPLAB ? "object" : "file",
		    pfn || own ? "" : ", and writeback will write it to the file");
	else if (w)
		say(y, "shared mapping, writable and not written since it was mapped or cleaned.");
	else if (v->vm_flags & MMAPLAB_VM_WRITE)
		say(y, "present read-only in a writable shared mapping: a read fault mapped it read-only, or it was cleaned since (write-notify: dirty tracking).  The first write faults once to make the entry writable; where the %s tracks dirty pages, %s hears of it then.",
		    v->kind == MMAPLAB_VMA_KIND_MMAPLAB ? "module" : "file system",
		    notify);
	else
		say(y, "present read-only: a read-only shared mapping of the %s.", what);
}

static enum ml_cell explain_page(struct why *y,
				 const struct mmaplab_inspect_vma *v,
				 const struct mmaplab_inspect_page *p)
{
	enum ml_cell cell = ml_page_cell(v, p);

	switch (cell) {
	case ML_CELL_EMPTY:
		why_empty(y, v);
		break;
	case ML_CELL_ZERO:
		say(y, "the shared zero page: a read fault on anonymous memory mapped the one zero-filled page that all processes share, read-only; the next write allocates a private page (copy-on-write of the zero page).");
		break;
	case ML_CELL_COW:
		say(y, "anonymous page in a private file mapping: a copy-on-write copy made by a write.  The first write to the page (a write fault) copied the %s page into a new anonymous page of this process, which no longer sees the %s there.",
		    v->kind == MMAPLAB_VMA_KIND_MMAPLAB ? "object's" : "file's",
		    v->kind == MMAPLAB_VMA_KIND_MMAPLAB ? "object" : "file");
		if (!(p->pte_flags & MMAPLAB_PTE_WRITE))
			say(y, "It is write-protected now (mapcount %d): after fork both processes share the copy, and the next write copies it again unless the other side has let go.",
			    p->mapcount);
		break;
	case ML_CELL_RO:
	case ML_CELL_RW:
	case ML_CELL_DIRTY:
		if (p->page_flags & MMAPLAB_PAGE_ANON)
			why_anon(y, v, p);
		else
			why_file_page(y, v, p);
		break;
	case ML_CELL_GUARD:
		if (p->pte == MMAPLAB_PTE_GUARD)
			say(y, "a guard marker (MADV_GUARD_INSTALL): no page, and any access raises SIGSEGV; MADV_DONTNEED keeps it, MADV_GUARD_REMOVE removes it.");
		else if (!vma_accessible(v))
			say(y, "PROT_NONE: the page is mapped but the entry grants no access, because the VMA was made PROT_NONE (mprotect) after the page was mapped.  The page and its data stay; any access raises SIGSEGV; mprotect back restores access without a fault.");
		else
			say(y, "a NUMA-balancing hinting entry: the kernel took access away to see which CPU touches the page next; the next access faults and may move the page to that CPU's node.");
		break;
	case ML_CELL_SWAP:
		say(y, "swapped out: reclaim wrote the page to swap area %u at offset 0x%" PRIx64 "%s and freed it; the next access faults and reads it back (swap-in).",
		    p->swap_type, (uint64_t)p->swap_offset,
		    p->swap_offset ? "" : " (0: offsets are shown only to CAP_SYS_ADMIN)");
		if (p->pte_flags & MMAPLAB_PTE_EXCLUSIVE)
			say(y, "The entry is exclusive: only this process had the page, so the swap-in maps it writable without a copy.");
		break;
	case ML_CELL_OTHER:
	default:
		if (p->pte == MMAPLAB_PTE_MIGRATION)
			say(y, "a migration entry: the page is being moved to another page frame (compaction, NUMA, memory hot-unplug); an access waits until the move is done.");
		else if (p->pte == MMAPLAB_PTE_MARKER)
			say(y, "a PTE marker: no page, but a note for the fault handler (userfaultfd write-protection of an empty entry, or a poisoned page).");
		else
			say(y, "another non-present entry (device-private memory, hardware poison): the next access faults and the kernel resolves it.");
		break;
	}

	if (p->pte != MMAPLAB_PTE_PRESENT)
		return cell;
	if (p->pte_flags & MMAPLAB_PTE_HUGE_PMD)
		say(y, "It is mapped by a huge PMD: one entry maps the whole huge page (transparent huge page) that this page is part of.");
	if (p->pte_flags & MMAPLAB_PTE_YOUNG)
		say(y, "Young: the page was accessed since reclaim last cleared the accessed bit.");
	if (p->pte_flags & MMAPLAB_PTE_SOFT_DIRTY)
		say(y, "Soft-dirty: written since soft-dirty bits were last cleared (echo 4 > /proc/PID/clear_refs), or since it was mapped.");
	if (p->pte_flags & MMAPLAB_PTE_UFFD_WP)
		say(y, "userfaultfd write-protected: a write is reported to the userfaultfd handler first.");
	return cell;
}

/* "#3 7f...-7f... rw-p [anon]" of VMA @i of @all, for "between". */
static void neighbour(const struct ml_walk *all, size_t i, char *buf,
		      size_t size)
{
	char perms[8], label[MMAPLAB_INSPECT_NAME_MAX + 64];
	const struct mmaplab_inspect_vma *v = &all->vmas[i].rec;

	snprintf(buf, size, "#%zu %" PRIx64 "-%" PRIx64 " %s %s", i,
		 (uint64_t)v->start, (uint64_t)v->end, ml_vma_perms(v, perms),
		 ml_vma_label(v, label, sizeof(label)));
}

static void why_unmapped(struct why *y, const struct ml_walk *all,
			 uint64_t addr)
{
	char before[MMAPLAB_INSPECT_NAME_MAX + 128] = "";
	char after[MMAPLAB_INSPECT_NAME_MAX + 128] = "";
	size_t i;

	say(y, "not mapped: no VMA covers this address, so any access raises SIGSEGV (unless it lies just below a stack that may grow down to it).");
	for (i = 0; i < all->nr_vmas && all->vmas[i].rec.end <= addr; i++)
		;
	if (i > 0)
		neighbour(all, i - 1, before, sizeof(before));
	if (i < all->nr_vmas)
		neighbour(all, i, after, sizeof(after));
	if (before[0] && after[0])
		say(y, "It lies in the gap between VMA %s and VMA %s.", before, after);
	else if (before[0])
		say(y, "It lies above the last VMA, %s.", before);
	else if (after[0])
		say(y, "It lies below the first VMA, %s.", after);
}

/* Print @s wrapped at 76 columns, each line indented by @indent. */
static void print_wrapped(const char *s, unsigned int indent,
			  const char *first)
{
	const unsigned int width = 76;
	unsigned int col;

	col = printf("%*s%s", (int)(indent - strlen(first)), "", first);
	while (*s) {
		size_t word = strcspn(s, " ");

		if (col > indent && col + 1 + word > width) {
			printf("\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)word, s);
		col += word;
		s += word;
		while (*s == ' ')
			s++;
	}
	putchar('\n');
}

/*
 * The page's VMA as the whole-space walk @all saw it (not clipped to the
 * page), or as the page's walk @w did when that one changed meanwhile.
 */
static const struct ml_vma *whole_vma(const struct ml_walk *all,
				      const struct ml_walk *w, long index)
{
	if (!w->nr_vmas)
		return NULL;
	if (index >= 0)
		return &all->vmas[index];
	return &w->vmas[0];
}

static void explain_human(long pid, uint64_t addr, const struct ml_walk *all,
			  const struct ml_walk *w, long index,
			  const struct why *y, enum ml_cell cell)
{
	const struct ml_vma *v = whole_vma(all, w, index);
	const struct mmaplab_inspect_page *p =
		w->nr_vmas && w->vmas[0].nr_pages ? ml_vma_pages(w, &w->vmas[0]) : NULL;
	char buf[MMAPLAB_INSPECT_NAME_MAX + 128], perms[8];

	if (pid)
		printf("process %ld, address 0x%" PRIx64 "\n", pid, addr);
	else
		printf("process %d (self), address 0x%" PRIx64 "\n",
		       (int)getpid(), addr);
	if (v) {
		char what[MMAPLAB_INSPECT_NAME_MAX + 128];

		vma_what(&v->rec, what, sizeof(what));
		snprintf(buf, sizeof(buf), "#%ld %" PRIx64 "-%" PRIx64 " %s",
			 index, (uint64_t)v->rec.start, (uint64_t)v->rec.end,
			 ml_vma_perms(&v->rec, perms));
		print_wrapped(buf, 9, "vma:  ");
		print_wrapped(what, 9, "");
		print_wrapped(ml_vm_flags_str(v->rec.vm_flags, " ", buf, sizeof(buf)),
			      9, "");
	}
	if (p) {
		const struct ml_cell_desc *d = &ml_cells[cell];
		char flags[160];
		size_t len;

		ml_pte_flags_str(p->pte_flags, ", ", flags, sizeof(flags));
		printf("%*s", 9 - (int)strlen("entry:  "), "");
		printf("entry:  %s%s%s%s   [", ml_pte_state_name(p->pte),
		       flags[0] ? " (" : "", flags, flags[0] ? ")" : "");
		out_printf(d->color, "%c", d->ch);
		printf(" %s]\n", d->legend);
		if (p->pte == MMAPLAB_PTE_PRESENT) {
			ml_page_flags_str(p->page_flags & ~MMAPLAB_PAGE_HAS_STRUCT,
					  ", ", buf, sizeof(buf));
			len = strlen(buf);
			if (p->page_flags & MMAPLAB_PAGE_HAS_STRUCT)
				snprintf(buf + len, sizeof(buf) - len,
					 "%smapcount %d, refcount %d",
					 len ? "; " : "", p->mapcount, p->refcount);
			len = strlen(buf);
			if (p->pfn)
				snprintf(buf + len, sizeof(buf) - len,
					 "; pfn 0x%" PRIx64, (uint64_t)p->pfn);
			else
				snprintf(buf + len, sizeof(buf) - len,
					 "; pfn hidden (CAP_SYS_ADMIN only)");
			print_wrapped(buf, 9, "page:  ");
		}
	}
	for (unsigned int i = 0; i < y->n; i++)
		print_wrapped(y->text[i], 9, i ? "" : "why:  ");
}

static void explain_json(long pid, uint64_t addr, const struct ml_walk *all,
			 const struct ml_walk *w, long index,
			 const struct why *y, enum ml_cell cell)
{
	const struct ml_vma *v = whole_vma(all, w, index);
	const struct mmaplab_inspect_page *p =
		w->nr_vmas && w->vmas[0].nr_pages ? ml_vma_pages(w, &w->vmas[0]) : NULL;
	char what[MMAPLAB_INSPECT_NAME_MAX + 128];

	json_begin();
	json_i64("pid", pid ? pid : (long)getpid());
	ml_json_addr("addr", addr);
	if (v) {
		ml_json_inspect_vma("vma", all, v, index);
		vma_what(&v->rec, what, sizeof(what));
		json_str("what", what);
	} else {
		json_null("vma");
		json_null("what");
	}
	if (p) {
		ml_json_inspect_page("page", &w->vmas[0], p, index);
		json_str("cell", ml_cells[cell].name);
	} else {
		json_null("page");
		json_null("cell");
	}
	json_arr_open("why");
	for (unsigned int i = 0; i < y->n; i++)
		json_str(NULL, y->text[i]);
	json_arr_close();
	json_end();
}

struct explain_walks {
	uint64_t start, end;
	struct ml_walk *all, *w;
};

/* The page into ->w, the VMAs of the whole space (numbers) into ->all. */
static int explain_walks(int dev, const struct ml_target *t, void *arg)
{
	struct explain_walks *ew = arg;
	int ret;

	ret = ml_walk(dev, t, ew->start, ew->end, 0, ew->w);
	if (!ret)
		ret = ml_walk(dev, t, 0, ML_USER_END, ML_WALK_NO_PAGES, ew->all);
	return ret;
}

ml_command_fn cmd_explain;

int cmd_explain(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct ml_walk all = { 0 }, w = { 0 };
	enum ml_cell cell = ML_CELL_OTHER;
	struct why y = { .n = 0 };
	uint64_t addr, start, end;
	struct explain_walks walks;
	long pid, index = -1;
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			explain_usage(stdout);
			return ML_EXIT_OK;
		default:
			return ml_option_error("explain", argv);
		}
	}
	if (argc - optind != 2)
		return ml_usage_error("explain", "expected PID ADDR");
	if (ml_parse_pid("explain", argv[optind], &pid) ||
	    ml_parse_addr_range("explain", argv[optind + 1], page_size,
				&start, &end))
		return ML_EXIT_USAGE;
	if (strchr(argv[optind + 1], '-'))
		return ml_usage_error("explain", "expected one address, not a range");
	addr = strtoull(argv[optind + 1], NULL, 16);

	walks.start = start;
	walks.end = end;
	walks.all = &all;
	walks.w = &w;
	ret = ml_with_process(pid, explain_walks, &walks);
	if (ret)
		goto out;

	if (w.nr_vmas && w.vmas[0].nr_pages) {
		for (size_t i = 0; i < all.nr_vmas; i++)
			if (start >= all.vmas[i].rec.start && start < all.vmas[i].rec.end)
				index = (long)i;
		cell = explain_page(&y, &w.vmas[0].rec, ml_vma_pages(&w, &w.vmas[0]));
	} else {
		why_unmapped(&y, &all, addr);
	}
	if (out_json())
		explain_json(pid, addr, &all, &w, index, &y, cell);
	else
		explain_human(pid, addr, &all, &w, index, &y, cell);
out:
	why_free(&y);
	ml_walk_free(&w);
	ml_walk_free(&all);
	return ret;
}
