// SPDX-License-Identifier: GPL-2.0
/*
 * walk.c - reading a process's address space with MMAPLAB_IOC_INSPECT
 * (see walk.h): the target, the restartable walk, the names of what the
 * records hold and the cell state of a page.
 *
 * It owns how the tool talks to the ioctl and what its values are called;
 * how they are laid out on the screen belongs to the commands (inspect.c,
 * grid.c, explain.c, maps.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "walk.h"

const struct ml_cell_desc ml_cells[ML_CELL_NR] = {
	[ML_CELL_EMPTY] = { '.', "empty", "not present", "not present",
			    OC_DIM,     "#e6e6e6" },
	[ML_CELL_RO]    = { 'r', "ro", "read-only", "present, read-only",
			    OC_GREEN,   "#8ccf7e" },
	[ML_CELL_RW]    = { 'w', "rw", "writable", "present, writable, clean",
			    OC_CYAN,    "#6cb6e8" },
	[ML_CELL_DIRTY] = { 'D', "dirty", "dirty", "present, writable, dirty",
			    OC_YELLOW,  "#f0b429" },
	[ML_CELL_COW]   = { 'C', "cow", "COW copy",
			    "COW copy (anonymous page in a private file mapping)",
			    OC_MAGENTA, "#c061cb" },
	[ML_CELL_ZERO]  = { '0', "zero", "zero page", "the shared zero page",
			    OC_BLUE,    "#4f6fd6" },
	[ML_CELL_GUARD] = { 'G', "guard", "PROT_NONE/guard",
			    "PROT_NONE entry or guard marker",
			    OC_RED,     "#d64545" },
	[ML_CELL_SWAP]  = { 's', "swap", "swapped", "swapped out",
			    OC_BOLD,    "#8a6a4a" },
	[ML_CELL_OTHER] = { '?', "other", "other",
			    "other non-present entry (migration, marker)",
			    OC_NONE,    "#404040" },
};

/* -------------------------------------------------------------- target */

bool ml_looks_like_pid(const char *arg)
{
	if (!strcmp(arg, "self"))
		return true;
	if (!arg[0] || (arg[0] == '0' && arg[1]))
		return false;
	for (const char *s = arg; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int ml_parse_pid(const char *cmd, const char *arg, long *pid)
{
	uint64_t v;

	if (!strcmp(arg, "self")) {
		*pid = 0;
		return 0;
	}
	if (!ml_looks_like_pid(arg) || ml_parse_u64(cmd, "PID", arg, INT32_MAX, &v))
		return ml_usage_error(cmd, "invalid PID '%s' (expected a process id or self)",
				      arg);
	if (!v)
		return ml_usage_error(cmd, "invalid PID '0'");
	*pid = (long)v;
	return 0;
}

static int refused(long pid, int err)
{
	ml_err("not allowed to read %ld's page tables (needs ptrace read access, like /proc/%ld/pagemap): %s",
	       pid, pid, strerror(err));
	return ML_EXIT_PERM;
}

static int target_open(long pid, struct ml_target *t)
{
	char path[64];
	int err;

	t->pid = pid;
	t->fd = -1;
	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/pagemap", pid);
	t->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->fd >= 0)
		return 0;
	err = errno;
	switch (err) {
	case EACCES:
	case EPERM:
		return refused(pid, err);
	case ENOENT:
		ml_err("no process %ld (%s: %s)", pid, path, strerror(err));
		return ML_EXIT_FAIL;
	default:
		ml_err("%s: %s", path, strerror(err));
		return ML_EXIT_FAIL;
	}
}

int ml_with_process(long pid, ml_process_fn *fn, void *arg)
{
	struct ml_target t;
	int dev, ret;

	ret = target_open(pid, &t);
	if (ret)
		return ret;
	dev = ml_open_device();
	if (dev < 0) {
		ret = ML_EXIT_NODEV;
	} else {
		ret = fn(dev, &t, arg);
		close(dev);
	}
	if (t.fd >= 0)
		close(t.fd);
	return ret;
}

/* ---------------------------------------------------------------- walk */

static int walk_failed(int dev, const struct ml_target *t, int err)
{
	struct mmaplab_stats st;
	const char *name = "MMAPLAB_IOC_INSPECT";

	switch (err) {
	case EACCES:
	case EPERM:
		return refused(t->pid, err);
	case ESRCH:
		ml_err("%s: %s (process %ld has exited)", name, strerror(err),
		       t->pid);
		return ML_EXIT_FAIL;
	case ENOTTY:
		if (ml_stats(dev, 0, &st) == 0) {
			ml_err("%s: %s (the module speaks ABI version %u; inspecting needs version 3)",
			       name, strerror(err), (unsigned int)st.abi_version);
			return ML_EXIT_FAIL;
		}
		break;
	case E2BIG:
		ml_err("%s: %s (the module refused the size of the argument: is it built from another ABI version?)",
		       name, strerror(err));
		return ML_EXIT_FAIL;
	case EINVAL:
		ml_err("%s: %s (bad argument: range, record sizes or descriptor)",
		       name, strerror(err));
		return ML_EXIT_FAIL;
	}
	return ml_ioctl_failed(dev, MMAPLAB_IOC_INSPECT, -err, NULL);
}

/*
 * A record is a VMA's whole extent, so a walk restarted inside a VMA
 * reports it again: the same start and end (no two VMAs share a start).
 */
static bool same_vma(const struct mmaplab_inspect_vma *a,
		     const struct mmaplab_inspect_vma *b)
{
	return a->start == b->start && a->end == b->end &&
	       a->vm_flags == b->vm_flags && a->kind == b->kind &&
	       a->object_id == b->object_id;
}

static void add_pages(struct ml_walk *w, struct ml_vma *v,
		      const struct mmaplab_inspect_page *p, size_t n,
		      bool keep, size_t *cap)
{
	for (size_t i = 0; i < n; i++)
		v->cells[ml_page_cell(&v->rec, &p[i])]++;
	v->nr_pages += n;
	if (!keep)
		return;
	if (w->nr_pages + n > *cap) {
		while (w->nr_pages + n > *cap)
			*cap = *cap ? 2 * *cap : ML_WALK_PAGES;
		w->pages = xrealloc(w->pages, *cap * sizeof(*w->pages));
	}
	memcpy(w->pages + w->nr_pages, p, n * sizeof(*p));
	w->nr_pages += n;
}

int ml_walk(int dev, const struct ml_target *t, uint64_t start, uint64_t end,
	    unsigned int flags, struct ml_walk *w)
{
	struct mmaplab_inspect_vma *vbuf;
	struct mmaplab_inspect_page *pbuf;
	bool want = !(flags & ML_WALK_NO_PAGES);
	bool keep = want && !(flags & ML_WALK_COUNT_ONLY);
	size_t vcap = w->nr_vmas, pcap = w->nr_pages;
	int ret = 0;

	w->page_size = (size_t)sysconf(_SC_PAGESIZE);
	w->counted = want;
	vbuf = xmalloc(ML_WALK_VMAS * sizeof(*vbuf));
	pbuf = xmalloc(ML_WALK_PAGES * sizeof(*pbuf));
	while (start < end) {
		struct mmaplab_inspect arg;

		memset(&arg, 0, sizeof(arg));
		arg.size = sizeof(arg);
		arg.flags = want ? 0 : MMAPLAB_INSPECT_NO_PAGES;
		arg.target_fd = t->fd;
		arg.start = start;
		arg.end = end;
		arg.vmas = (uintptr_t)vbuf;
		arg.vma_size = sizeof(*vbuf);
		arg.nr_vmas = ML_WALK_VMAS;
		arg.pages = (uintptr_t)pbuf;
		arg.page_size = sizeof(*pbuf);
		arg.nr_pages = ML_WALK_PAGES;
		if (ioctl(dev, MMAPLAB_IOC_INSPECT, &arg) < 0) {
			ret = walk_failed(dev, t, errno);
			break;
		}
		if (arg.walk_end <= start || arg.walk_end > end ||
		    arg.nr_vmas > ML_WALK_VMAS || arg.nr_pages > ML_WALK_PAGES) {
			ml_err("MMAPLAB_IOC_INSPECT: the module answered nonsense (walk_end 0x%llx for a walk from 0x%llx, %u VMA and %u page records)",
			       (unsigned long long)arg.walk_end,
			       (unsigned long long)start, arg.nr_vmas,
			       arg.nr_pages);
			ret = ML_EXIT_FAIL;
			break;
		}
		for (uint32_t i = 0; i < arg.nr_vmas; i++) {
			const struct mmaplab_inspect_vma *r = &vbuf[i];
			struct ml_vma *v = w->nr_vmas ? &w->vmas[w->nr_vmas - 1] : NULL;
			size_t np = r->nr_pages;

			if (!want || r->first_page > arg.nr_pages ||
			    np > arg.nr_pages - r->first_page)
				np = 0;
			/* A VMA the last call stopped inside goes on here. */
			if (!(i == 0 && v && same_vma(&v->rec, r))) {
				if (w->nr_vmas == vcap) {
					vcap = vcap ? 2 * vcap : ML_WALK_VMAS;
					w->vmas = xrealloc(w->vmas, vcap * sizeof(*w->vmas));
				}
				v = &w->vmas[w->nr_vmas++];
				memset(v, 0, sizeof(*v));
				v->rec = *r;
				v->rec.name[sizeof(v->rec.name) - 1] = '\0';
				v->first_page = w->nr_pages;
			}
			add_pages(w, v, pbuf + r->first_page, np, keep, &pcap);
		}
		start = arg.walk_end;
	}
	free(pbuf);
	free(vbuf);
	return ret;
}

void ml_walk_free(struct ml_walk *w)
{
	free(w->vmas);
	free(w->pages);
	memset(w, 0, sizeof(*w));
}

/* --------------------------------------------------------------- cells */

bool ml_vma_shared(const struct mmaplab_inspect_vma *v)
{
	return v->vm_flags & MMAPLAB_VM_MAYSHARE;
}

bool ml_vma_file_like(const struct mmaplab_inspect_vma *v)
{
	switch (v->kind) {
	case MMAPLAB_VMA_KIND_FILE:
	case MMAPLAB_VMA_KIND_SHMEM:
		return true;
	case MMAPLAB_VMA_KIND_MMAPLAB:
		return v->backing != MMAPLAB_BACKING_ZERO;
	default:
		return false;
	}
}

enum ml_cell ml_page_cell(const struct mmaplab_inspect_vma *v,
			  const struct mmaplab_inspect_page *p)
{
	switch (p->pte) {
	case MMAPLAB_PTE_EMPTY:
		return ML_CELL_EMPTY;
	case MMAPLAB_PTE_PRESENT:
		if (p->page_flags & MMAPLAB_PAGE_ZERO)
			return ML_CELL_ZERO;
		if ((p->page_flags & MMAPLAB_PAGE_ANON) &&
		    ml_vma_file_like(v) && !ml_vma_shared(v))
			return ML_CELL_COW;
		/*
		 * Read-only first: after fork a written page is write-
		 * protected (dirty but read-only) until it is copied.
		 */
		if (!(p->pte_flags & MMAPLAB_PTE_WRITE))
			return ML_CELL_RO;
		return p->pte_flags & MMAPLAB_PTE_DIRTY ? ML_CELL_DIRTY
							: ML_CELL_RW;
	case MMAPLAB_PTE_PROTNONE:
	case MMAPLAB_PTE_GUARD:
		return ML_CELL_GUARD;
	case MMAPLAB_PTE_SWAP:
		return ML_CELL_SWAP;
	default:
		return ML_CELL_OTHER;
	}
}

/* --------------------------------------------------------------- names */

struct flag_name {
	uint64_t bit;
	const char *name;
};

/* smaps' VmFlags names, in their order there. */
static const struct flag_name vm_flag_names[] = {
	{ MMAPLAB_VM_READ,	  "rd" }, { MMAPLAB_VM_WRITE,	    "wr" },
	{ MMAPLAB_VM_EXEC,	  "ex" }, { MMAPLAB_VM_SHARED,	    "sh" },
	{ MMAPLAB_VM_MAYREAD,	  "mr" }, { MMAPLAB_VM_MAYWRITE,    "mw" },
	{ MMAPLAB_VM_MAYEXEC,	  "me" }, { MMAPLAB_VM_MAYSHARE,    "ms" },
	{ MMAPLAB_VM_GROWSDOWN,	  "gd" }, { MMAPLAB_VM_PFNMAP,	    "pf" },
	{ MMAPLAB_VM_LOCKED,	  "lo" }, { MMAPLAB_VM_IO,	    "io" },
	{ MMAPLAB_VM_SEQ_READ,	  "sr" }, { MMAPLAB_VM_RAND_READ,   "rr" },
	{ MMAPLAB_VM_DONTCOPY,	  "dc" }, { MMAPLAB_VM_DONTEXPAND,  "de" },
	{ MMAPLAB_VM_LOCKONFAULT, "lf" }, { MMAPLAB_VM_ACCOUNT,	    "ac" },
	{ MMAPLAB_VM_NORESERVE,	  "nr" }, { MMAPLAB_VM_HUGETLB,	    "ht" },
	{ MMAPLAB_VM_SYNC,	  "sf" }, { MMAPLAB_VM_WIPEONFORK,  "wf" },
	{ MMAPLAB_VM_DONTDUMP,	  "dd" }, { MMAPLAB_VM_SOFTDIRTY,   "sd" },
	{ MMAPLAB_VM_MIXEDMAP,	  "mm" }, { MMAPLAB_VM_HUGEPAGE,    "hg" },
	{ MMAPLAB_VM_NOHUGEPAGE,  "nh" }, { MMAPLAB_VM_MERGEABLE,   "mg" },
	{ MMAPLAB_VM_UFFD_MISSING, "um" }, { MMAPLAB_VM_UFFD_WP,    "uw" },
	{ MMAPLAB_VM_UFFD_MINOR,  "ui" },
};

static const struct flag_name pte_flag_names[] = {
	{ MMAPLAB_PTE_WRITE,	  "write" },
	{ MMAPLAB_PTE_DIRTY,	  "dirty" },
	{ MMAPLAB_PTE_YOUNG,	  "young" },
	{ MMAPLAB_PTE_SOFT_DIRTY, "soft-dirty" },
	{ MMAPLAB_PTE_UFFD_WP,	  "uffd-wp" },
	{ MMAPLAB_PTE_SPECIAL,	  "special" },
	{ MMAPLAB_PTE_HUGE_PMD,	  "huge" },
	{ MMAPLAB_PTE_EXCLUSIVE,  "exclusive" },
};

static const struct flag_name page_flag_names[] = {
	{ MMAPLAB_PAGE_ANON,		"anon" },
	{ MMAPLAB_PAGE_ANON_EXCLUSIVE,	"excl" },
	{ MMAPLAB_PAGE_KSM,		"ksm" },
	{ MMAPLAB_PAGE_ZERO,		"zero" },
	{ MMAPLAB_PAGE_CACHE,		"cache" },
	{ MMAPLAB_PAGE_SWAPBACKED,	"swapbacked" },
	{ MMAPLAB_PAGE_DIRTY,		"dirty" },
	{ MMAPLAB_PAGE_LRU,		"lru" },
	{ MMAPLAB_PAGE_HAS_STRUCT,	"struct-page" },
	{ MMAPLAB_PAGE_MMAPLAB,		"mmaplab" },
	{ MMAPLAB_PAGE_LARGE,		"large" },
};

static const char *flags_str(const struct flag_name *names, size_t n,
			     uint64_t flags, const char *sep, char *buf,
			     size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		if (!(flags & names[i].bit))
			continue;
		flags &= ~names[i].bit;
		len += snprintf(buf + len, size - len, "%s%s",
				len ? sep : "", names[i].name);
	}
	if (flags && len < size)
		snprintf(buf + len, size - len, "%s0x%" PRIx64,
			 len ? sep : "", flags);
	return buf;
}

static void flags_json(const char *key, const struct flag_name *names,
		       size_t n, uint64_t flags)
{
	json_arr_open(key);
	for (size_t i = 0; i < n; i++)
		if (flags & names[i].bit)
			json_str(NULL, names[i].name);
	json_arr_close();
}

const char *ml_vm_flags_str(uint64_t flags, const char *sep, char *buf,
			    size_t size)
{
	return flags_str(vm_flag_names, ARRAY_SIZE(vm_flag_names), flags, sep, buf,
			 size);
}

size_t ml_vm_flags_count(void)
{
	return ARRAY_SIZE(vm_flag_names);
}

const char *ml_vm_flag_name(size_t i, uint64_t *bit)
{
	if (i >= ARRAY_SIZE(vm_flag_names))
		return NULL;
	*bit = vm_flag_names[i].bit;
	return vm_flag_names[i].name;
}

const char *ml_pte_flags_str(uint32_t flags, const char *sep, char *buf,
			     size_t size)
{
	return flags_str(pte_flag_names, ARRAY_SIZE(pte_flag_names), flags, sep,
			 buf, size);
}

const char *ml_page_flags_str(uint32_t flags, const char *sep, char *buf,
			      size_t size)
{
	return flags_str(page_flag_names, ARRAY_SIZE(page_flag_names), flags, sep,
			 buf, size);
}

void ml_json_vm_flags(const char *key, uint64_t flags)
{
	flags_json(key, vm_flag_names, ARRAY_SIZE(vm_flag_names), flags);
}

void ml_json_pte_flags(const char *key, uint32_t flags)
{
	flags_json(key, pte_flag_names, ARRAY_SIZE(pte_flag_names), flags);
}

void ml_json_page_flags(const char *key, uint32_t flags)
{
	flags_json(key, page_flag_names, ARRAY_SIZE(page_flag_names), flags);
}

const char *ml_vma_perms(const struct mmaplab_inspect_vma *v, char *buf)
{
	buf[0] = v->vm_flags & MMAPLAB_VM_READ ? 'r' : '-';
	buf[1] = v->vm_flags & MMAPLAB_VM_WRITE ? 'w' : '-';
	buf[2] = v->vm_flags & MMAPLAB_VM_EXEC ? 'x' : '-';
	buf[3] = v->vm_flags & MMAPLAB_VM_MAYSHARE ? 's' : 'p';
	buf[4] = '\0';
	return buf;
}

const char *ml_vma_kind_name(uint32_t kind)
{
	static const char *const names[] = {
		[MMAPLAB_VMA_KIND_NONE]		= "none",
		[MMAPLAB_VMA_KIND_ANON]		= "anon",
		[MMAPLAB_VMA_KIND_HEAP]		= "heap",
		[MMAPLAB_VMA_KIND_STACK]	= "stack",
		[MMAPLAB_VMA_KIND_SPECIAL]	= "special",
		[MMAPLAB_VMA_KIND_FILE]		= "file",
		[MMAPLAB_VMA_KIND_SHMEM]	= "shmem",
		[MMAPLAB_VMA_KIND_MMAPLAB]	= "mmaplab",
	};

	return kind < ARRAY_SIZE(names) ? names[kind] : "unknown";
}

const char *ml_vma_label(const struct mmaplab_inspect_vma *v, char *buf,
			 size_t size)
{
	const char *bname = ml_backing_name(v->backing);

	if (v->kind == MMAPLAB_VMA_KIND_MMAPLAB || v->object_id)
		snprintf(buf, size, "[mmaplab object %llu, %s]%s%s",
			 (unsigned long long)v->object_id,
			 bname ? bname : "?", v->name[0] ? " " : "", v->name);
	else if (v->name[0])
		snprintf(buf, size, "%s%s", v->name,
			 v->info & MMAPLAB_VMA_NAME_TRUNCATED ? "..." : "");
	else if (v->kind == MMAPLAB_VMA_KIND_ANON)
		snprintf(buf, size, "[anon]");
	else
		snprintf(buf, size, "[%s]", ml_vma_kind_name(v->kind));
	return buf;
}

const char *ml_pte_state_name(uint32_t pte)
{
	static const char *const names[] = {
		[MMAPLAB_PTE_NONE]	= "none",
		[MMAPLAB_PTE_EMPTY]	= "empty",
		[MMAPLAB_PTE_PRESENT]	= "present",
		[MMAPLAB_PTE_PROTNONE]	= "protnone",
		[MMAPLAB_PTE_SWAP]	= "swap",
		[MMAPLAB_PTE_MIGRATION]	= "migration",
		[MMAPLAB_PTE_GUARD]	= "guard",
		[MMAPLAB_PTE_MARKER]	= "marker",
		[MMAPLAB_PTE_OTHER]	= "other",
	};

	return pte < ARRAY_SIZE(names) ? names[pte] : "unknown";
}

void ml_json_addr(const char *key, uint64_t addr)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);
	json_str(key, buf);
}

/* A hexadecimal address in [s, e), "0x" optional; false if it is not. */
static bool parse_hex(const char *s, const char *e, uint64_t *val)
{
	uint64_t v = 0;

	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (s == e || e - s > 16)
		return false;
	for (; s < e; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	*val = v;
	return true;
}

int ml_parse_addr_range(const char *cmd, const char *arg, size_t page_size,
			uint64_t *start, uint64_t *end)
{
	const char *dash = strchr(arg, '-');
	const char *e = arg + strlen(arg);
	uint64_t a, b;

	if (!parse_hex(arg, dash ? dash : e, &a) ||
	    (dash && !parse_hex(dash + 1, e, &b)))
		return ml_usage_error(cmd, "invalid address '%s' (expected hexadecimal ADDR or ADDR-END, e.g. 0x7f0000001000-0x7f0000003000)",
				      arg);
	a &= ~(uint64_t)(page_size - 1);
	if (!dash) {
		b = a + page_size;
	} else {
		if (b > UINT64_MAX - page_size)
			b = UINT64_MAX - page_size + 1;
		b = (b + page_size - 1) & ~(uint64_t)(page_size - 1);
	}
	if (b <= a || b > ML_USER_END)
		return ml_usage_error(cmd, "invalid range '%s' (END must be above ADDR, at most 0x%llx)",
				      arg, (unsigned long long)ML_USER_END);
	*start = a;
	*end = b;
	return 0;
}
