// SPDX-License-Identifier: GPL-2.0
/*
 * remap_exec.c - the holder's side of "mmaplab remap" (see remap.h): check
 * a request against the address space the holder made, run the one
 * system call it names, and record what changed: the VMAs (from
 * /proc/self/smaps), their pages (from /proc/self/pagemap) and the
 * object's counters (MMAPLAB_IOC_STATS), before and after.
 *
 * The holder must survive every request, so nothing here trusts one: a
 * range must be page-aligned, lie inside the ranges the holder made and
 * be mapped now; a move may only land on a place the holder reserved or
 * already owns.  The only accesses to the mapping are those of "touch",
 * made through ml_guarded_access(), which turns SIGBUS and SIGSEGV into a
 * result.  Nothing here prints: the answer carries the messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "remap.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#endif
#ifndef MADV_GUARD_REMOVE
#define MADV_GUARD_REMOVE	103
#endif

/* --------------------------------------------------------------- names */

static const char *const op_names[RM_NR_OPS] = {
	[RM_NONE]		= "none",
	[RM_SHOW]		= "show",
	[RM_TOUCH]		= "touch",
	[RM_GROW]		= "grow",
	[RM_SHRINK]		= "shrink",
	[RM_MOVE]		= "move",
	[RM_DONTUNMAP]		= "dontunmap",
	[RM_FIXED]		= "fixed",
	[RM_REMAP_FILE_PAGES]	= "remap-file-pages",
	[RM_MPROTECT]		= "mprotect",
	[RM_MADVISE]		= "madvise",
	[RM_MSYNC]		= "msync",
	[RM_MUNMAP]		= "munmap",
};

const char *ml_remap_op_name(uint32_t op)
{
	return op < RM_NR_OPS ? op_names[op] : "?";
}

static const struct {
	const char *name;
	int advice;
} advices[] = {
	{ "normal",		MADV_NORMAL },
	{ "random",		MADV_RANDOM },
	{ "sequential",		MADV_SEQUENTIAL },
	{ "willneed",		MADV_WILLNEED },
	{ "dontneed",		MADV_DONTNEED },
	{ "free",		MADV_FREE },
	{ "cold",		MADV_COLD },
	{ "pageout",		MADV_PAGEOUT },
	{ "guard-install",	MADV_GUARD_INSTALL },
	{ "guard-remove",	MADV_GUARD_REMOVE },
};

#define NR_ADVICES	ARRAY_SIZE(advices)

const char *ml_advice_name(uint32_t advice)
{
	for (size_t i = 0; i < NR_ADVICES; i++)
		if ((uint32_t)advices[i].advice == advice)
			return advices[i].name;
	return NULL;
}

int ml_advice_parse(const char *name)
{
	for (size_t i = 0; i < NR_ADVICES; i++)
		if (!strcmp(advices[i].name, name))
			return advices[i].advice;
	return -1;
}

/* ------------------------------------------------------- the held ranges */

void ml_held_init(struct ml_held *h, int fd, void *addr, size_t len,
		  int map, int prot)
{
	memset(h, 0, sizeof(*h));
	h->fd = fd;
	h->map = map;
	h->prot = prot;
	h->base = (uintptr_t)addr;
	h->len = len;
	h->nr = 1;
	h->r[0].start = h->base;
	h->r[0].end = h->base + len;
}

void ml_held_release(struct ml_held *h)
{
	for (unsigned int i = 0; i < h->nr; i++)
		munmap((void *)(uintptr_t)h->r[i].start,
		       h->r[i].end - h->r[i].start);
	h->nr = 0;
}

/* Remove [s, e) from the held ranges (a range may split in two). */
static void held_remove(struct ml_held *h, uint64_t s, uint64_t e)
{
	unsigned int i = 0;

	while (i < h->nr) {
		uint64_t rs = h->r[i].start, re = h->r[i].end;

		if (e <= rs || s >= re) {
			i++;
			continue;
		}
		if (s > rs && e < re && h->nr < ML_HELD_MAX_RANGES) {
			h->r[h->nr].start = e;
			h->r[h->nr].end = re;
			h->nr++;
			h->r[i].end = s;
			i++;
		} else if (s > rs) {
			h->r[i].end = s;	/* (full table: forget the tail) */
			i++;
		} else if (e < re) {
			h->r[i].start = e;
			i++;
		} else {
			h->r[i] = h->r[--h->nr];
		}
	}
}

/* Add [s, e), merging with what it touches; false when the table is full. */
static bool held_add(struct ml_held *h, uint64_t s, uint64_t e)
{
	unsigned int i = 0;

	while (i < h->nr) {
		if (e < h->r[i].start || s > h->r[i].end) {
			i++;
			continue;
		}
		if (h->r[i].start < s)
			s = h->r[i].start;
		if (h->r[i].end > e)
			e = h->r[i].end;
		h->r[i] = h->r[--h->nr];
		i = 0;
	}
	if (h->nr == ML_HELD_MAX_RANGES)
		return false;
	h->r[h->nr].start = s;
	h->r[h->nr].end = e;
	h->nr++;
	return true;
}

/* Is [s, e) inside the held ranges (which never overlap)? */
static bool held_covers(const struct ml_held *h, uint64_t s, uint64_t e)
{
	while (s < e) {
		unsigned int i;

		for (i = 0; i < h->nr; i++)
			if (s >= h->r[i].start && s < h->r[i].end)
				break;
		if (i == h->nr)
			return false;
		s = h->r[i].end;
	}
	return true;
}

static bool held_touches(const struct ml_held *h, uint64_t s, uint64_t e)
{
	for (unsigned int i = 0; i < h->nr; i++)
		if (s < h->r[i].end && e > h->r[i].start)
			return true;
	return false;
}

/* ----------------------------------------------------------- snapshots */

static bool parse_vma_line(const char *line, struct ml_remap_vma *v)
{
	unsigned long long s, e, off;
	char perms[8];
	int n = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &s, &e, perms, &off,
		   &n) != 4 || !n)
		return false;
	memset(v, 0, sizeof(*v));
	v->start = s;
	v->end = e;
	v->offset = off;
	snprintf(v->perms, sizeof(v->perms), "%s", perms);
	line += n;
	line += strspn(line, " \t");
	snprintf(v->path, sizeof(v->path), "%.*s", (int)strcspn(line, "\n"),
		 line);
	return true;
}

/* Presence of each page of @v, from pagemap (@pm open, or -1). */
static void vma_pages(int pm, struct ml_remap_vma *v, size_t page_size)
{
	uint64_t n = (v->end - v->start) / page_size;

	if (pm < 0)
		return;
	if (n > 65536)
		n = 65536;	/* a sample is enough for a count */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t e = 0;
		off_t pos = (off_t)((v->start / page_size + i) * sizeof(e));
		char c = '.';

		if (pread(pm, &e, sizeof(e), pos) != (ssize_t)sizeof(e))
			return;
		if (e & (1ULL << 63)) {
			v->present++;
			c = 'P';
		} else if (e & (1ULL << 58)) {
			c = 'g';	/* PM_GUARD_REGION (6.15 on) */
		} else if (e & (1ULL << 62)) {
			v->swapped++;
			c = 's';
		}
		if (i < ML_VMA_PRESENT_MAX)
			v->pages[i] = c;
	}
}

/* The VMAs that meet @a or @b (NULL: none), with their pages; the stats. */
static void snapshot(const struct ml_held *a, const struct ml_held *b, int fd,
		     struct ml_snapshot *snap)
{
	const size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct ml_remap_vma *cur = NULL, v;
	char line[512];
	FILE *f;
	int pm;

	memset(snap, 0, sizeof(*snap));
	snap->stats_err = ml_stats(fd, 0, &snap->st);
	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return;
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	snap->pagemap = pm >= 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kb;

		if (parse_vma_line(line, &v)) {
			cur = NULL;
			if (!held_touches(a, v.start, v.end) &&
			    !(b && held_touches(b, v.start, v.end)))
				continue;
			if (snap->nr_vmas == ML_SNAP_MAX_VMAS) {
				snap->more++;
				continue;
			}
			vma_pages(pm, &v, page_size);
			cur = &snap->vmas[snap->nr_vmas++];
			*cur = v;
		} else if (cur && sscanf(line, "Rss: %llu kB", &kb) == 1) {
			cur->rss_kb = kb;
		}
	}
	fclose(f);
	if (pm >= 0)
		close(pm);
}

/* The VMA of @snap that holds address @a, or NULL. */
static const struct ml_remap_vma *vma_at(const struct ml_snapshot *snap, uint64_t a)
{
	for (uint32_t i = 0; i < snap->nr_vmas; i++)
		if (a >= snap->vmas[i].start && a < snap->vmas[i].end)
			return &snap->vmas[i];
	return NULL;
}

/* ------------------------------------------------------------- helpers */

static void say(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

#define MSG(resp, ...)	say((resp)->msg, sizeof((resp)->msg), __VA_ARGS__)
#define CALL(resp, ...)	say((resp)->call, sizeof((resp)->call), __VA_ARGS__)

static const char *prot_c(int prot, char *buf, size_t size)
{
	if (prot == PROT_NONE) {
		snprintf(buf, size, "PROT_NONE");
		return buf;
	}
	snprintf(buf, size, "%s%s%s%s%s",
		 prot & PROT_READ ? "PROT_READ" : "",
		 (prot & PROT_READ) && (prot & (PROT_WRITE | PROT_EXEC)) ? "|" : "",
		 prot & PROT_WRITE ? "PROT_WRITE" : "",
		 (prot & PROT_WRITE) && (prot & PROT_EXEC) ? "|" : "",
		 prot & PROT_EXEC ? "PROT_EXEC" : "");
	return buf;
}

/* Does this kernel know MADV_GUARD_INSTALL at all?  1 yes, 0 no. */
static int guard_regions_known(void)
{
	const size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int known;

	if (p == MAP_FAILED)
		return 1;
	known = madvise(p, ps, MADV_GUARD_INSTALL) == 0 || errno != EINVAL;
	munmap(p, ps);
	return known;
}

static const char *kernel_release(void)
{
	static struct utsname u;

	if (uname(&u) < 0)
		return "?";
	return u.release;
}

/* --------------------------------------------------- checking a request */

/*
 * The values of @req that the command line cannot produce are refused
 * here too: another client may send anything (MADV_HWPOISON, say).
 */
static bool args_valid(const struct ml_remap_req *req,
		       struct ml_remap_resp *resp)
{
	bool ok = true;

	if (req->unit != RU_PAGES && req->unit != RU_BYTES)
		ok = false;
	switch (req->op) {
	case RM_TOUCH:
		ok = ok && (req->arg == ML_TOUCH_READ ||
			    req->arg == ML_TOUCH_WRITE);
		break;
	case RM_GROW:
		ok = ok && !(req->arg & ~RM_GROW_MAYMOVE);
		break;
	case RM_FIXED:
		ok = ok && (req->arg == RM_FIXED_ANON ||
			    req->arg == RM_FIXED_OBJECT);
		break;
	case RM_MPROTECT:
		ok = ok && !(req->arg & ~(uint32_t)(PROT_READ | PROT_WRITE |
						    PROT_EXEC));
		break;
	case RM_MADVISE:
		ok = ok && ml_advice_name(req->arg);
		break;
	case RM_MSYNC:
		ok = ok && (req->arg == MS_SYNC || req->arg == MS_ASYNC ||
			    req->arg == (MS_SYNC | MS_INVALIDATE));
		break;
	default:
		break;
	}
	if (!ok)
		MSG(resp, "bad request: %s with unit %u and argument %u is not one the tool makes",
		    ml_remap_op_name(req->op), req->unit, req->arg);
	return ok;
}

/* Resolve the range of @req into resp->addr/len; false: refused (msg). */
static bool resolve(const struct ml_held *h, const struct ml_remap_req *req,
		    struct ml_remap_resp *resp, uint64_t ps)
{
	if (req->unit == RU_PAGES) {
		if (req->start > UINT64_MAX / ps ||
		    (req->count && req->count > UINT64_MAX / ps)) {
			MSG(resp, "page %" PRIu64 " is out of range: the held mapping has %" PRIu64 " pages",
			    req->start, h->len / ps);
			return false;
		}
		resp->addr = h->base + req->start * ps;
		if (req->count)
			resp->len = req->count * ps;
		else if (req->start * ps < h->len)
			resp->len = h->len - req->start * ps;
		else
			resp->len = 0;
		if (resp->addr < h->base) {
			MSG(resp, "page %" PRIu64 " is out of range", req->start);
			return false;
		}
	} else {
		resp->addr = req->start;
		resp->len = req->count;
	}
	if (!resp->len) {
		MSG(resp, "the range is empty: page %" PRIu64
		    " is at or past the end of the held mapping (%" PRIu64 " pages)",
		    req->unit == RU_PAGES ? req->start : 0, h->len / ps);
		return false;
	}
	if (resp->addr % ps) {
		MSG(resp, "address 0x%" PRIx64 " is not page-aligned (the page size is %" PRIu64 " bytes)",
		    resp->addr, ps);
		return false;
	}
	if (resp->len % ps) {
		MSG(resp, "length %" PRIu64
		    " is not a whole number of pages (the page size is %" PRIu64 " bytes)",
		    resp->len, ps);
		return false;
	}
	if (resp->addr + resp->len < resp->addr) {
		MSG(resp, "0x%" PRIx64 " + %" PRIu64 " overflows the address space",
		    resp->addr, resp->len);
		return false;
	}
	if (!held_covers(h, resp->addr, resp->addr + resp->len)) {
		uint64_t a = resp->addr;

		/* The first page that is not held, for the message. */
		while (held_covers(h, a, a + ps))
			a += ps;
		if (a >= h->base && a < h->base + h->len) {
			MSG(resp, "no VMA at 0x%" PRIx64 " (page %" PRIu64 " of the held mapping): that part was unmapped or moved away",
			    a, (a - h->base) / ps);
			return false;
		}
		MSG(resp, "0x%" PRIx64 "-0x%" PRIx64
		    " is out of range: it is not inside what the holder mapped (0x%" PRIx64
		    "-0x%" PRIx64 ", %" PRIu64 " pages, and where mremap put pages since)",
		    resp->addr, resp->addr + resp->len, h->base,
		    h->base + h->len, h->len / ps);
		return false;
	}
	/* Every page of the range must be mapped now. */
	for (uint64_t a = resp->addr; a < resp->addr + resp->len;) {
		const struct ml_remap_vma *v = vma_at(&resp->before, a);

		if (!v) {
			uint64_t page = (a - h->base) / ps;

			MSG(resp, "no VMA at 0x%" PRIx64 " (page %" PRIu64 " of the held mapping): that part is not mapped now",
			    a, a >= h->base ? page : 0);
			return false;
		}
		a = v->end;
	}
	return true;
}

/* ------------------------------------------------------------ the calls */

/* Say why mremap() failed with @err. */
static void mremap_why(struct ml_remap_resp *resp, int err, uint32_t op,
		       bool maymove)
{
	switch (err) {
	case ENOMEM:
		if (op == RM_GROW && !maymove)
			MSG(resp, "it cannot grow in place: the range does not end where its VMA ends, or the addresses after it are taken; add may-move to let the kernel move it");
		else
			MSG(resp, "no room in the address space, or the limit on mappings was hit");
		break;
	case EFAULT:
		if (op == RM_GROW)
			MSG(resp, "the range is not one whole VMA's tail, or the VMA cannot grow: VM_DONTEXPAND (backing pfn) refuses to grow");
		else
			MSG(resp, "the range is not inside one VMA: mremap() acts on one VMA at a time");
		break;
	case EINVAL:
		if (op == RM_DONTUNMAP)
			MSG(resp, "MREMAP_DONTUNMAP refuses VM_PFNMAP and VM_DONTEXPAND mappings (backing pfn); before 5.13 it took only private anonymous memory (kernel %s)",
			    kernel_release());
		else
			MSG(resp, "the kernel refused the arguments (a range across VMAs, or a VM_PFNMAP mapping that cannot move)");
		break;
	}
}

static void do_mremap(struct ml_held *h, const struct ml_remap_req *req,
		      struct ml_remap_resp *resp, uint64_t ps)
{
	uint64_t newlen = resp->len, target = 0;
	void *reserved = MAP_FAILED, *p;
	int flags = 0;

	switch (req->op) {
	case RM_GROW:
		if (!req->amount || req->amount > (UINT64_MAX - resp->len) / ps) {
			MSG(resp, "grow needs a number of pages to add, at least 1");
			resp->status = ML_EXIT_USAGE;
			return;
		}
		newlen = resp->len + req->amount * ps;
		if (req->arg & RM_GROW_MAYMOVE)
			flags = MREMAP_MAYMOVE;
		break;
	case RM_SHRINK:
		if (!req->amount || req->amount * ps >= resp->len) {
			MSG(resp, "shrink needs 1 to %" PRIu64
			    " pages to take off a range of %" PRIu64
			    " pages (munmap removes a whole range)",
			    resp->len / ps - 1, resp->len / ps);
			resp->status = ML_EXIT_FAIL;
			return;
		}
		newlen = resp->len - req->amount * ps;
		break;
	case RM_MOVE:
		flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		if (req->target) {
			target = req->target;
			if (target % ps || target + resp->len < target ||
			    !held_covers(h, target, target + resp->len)) {
				MSG(resp, "move target 0x%" PRIx64 " is not a page-aligned place inside what the holder mapped: give no target and the holder reserves one",
				    target);
				resp->status = ML_EXIT_FAIL;
				return;
			}
		} else {
			/* A place of our own, so MREMAP_FIXED replaces nothing else. */
			reserved = mmap(NULL, resp->len, PROT_NONE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
					-1, 0);
			if (reserved == MAP_FAILED) {
				resp->err = errno;
				MSG(resp, "could not reserve a place to move to");
				resp->status = ML_EXIT_FAIL;
				return;
			}
			target = (uintptr_t)reserved;
		}
		break;
	case RM_DONTUNMAP:
		flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		break;
	}

	resp->ran = 1;
	p = mremap((void *)(uintptr_t)resp->addr, resp->len, newlen, flags,
		   (void *)(uintptr_t)target);
	CALL(resp, "mremap(0x%" PRIx64 ", %" PRIu64 ", %" PRIu64 ", %s%s%s%s%s)",
	     resp->addr, resp->len, newlen,
	     flags ? "" : "0",
	     flags & MREMAP_MAYMOVE ? "MREMAP_MAYMOVE" : "",
	     flags & MREMAP_FIXED ? "|MREMAP_FIXED" : "",
	     flags & MREMAP_DONTUNMAP ? "|MREMAP_DONTUNMAP" : "",
	     flags & MREMAP_FIXED ? ", target" : "");
	if (p == MAP_FAILED) {
		resp->err = errno;
		if (reserved != MAP_FAILED)
			munmap(reserved, resp->len);
		mremap_why(resp, resp->err, req->op, flags & MREMAP_MAYMOVE);
		resp->status = ML_EXIT_FAIL;
		return;
	}
	resp->result = (uintptr_t)p;

	/* What the holder owns now, and where its mapping starts. */
	if (req->op == RM_SHRINK) {
		held_remove(h, resp->addr + newlen, resp->addr + resp->len);
	} else if (req->op == RM_DONTUNMAP) {
		held_add(h, resp->result, resp->result + newlen);
	} else {
		held_remove(h, resp->addr, resp->addr + resp->len);
		held_add(h, resp->result, resp->result + newlen);
	}
	/*
	 * Page numbers stay those of the mapping as it was made; only an
	 * in-place change at its end moves that end.
	 */
	if (resp->result == resp->addr &&
	    resp->addr + resp->len == h->base + h->len)
		h->len = resp->addr + newlen - h->base;
}

static void do_fixed(const struct ml_held *h, const struct ml_remap_req *req,
		     struct ml_remap_resp *resp, uint64_t ps)
{
	void *at = (void *)(uintptr_t)resp->addr, *p;
	char pbuf[40];

	resp->ran = 1;
	if (req->arg == RM_FIXED_OBJECT) {
		if (req->amount > (uint64_t)INT64_MAX / ps) {
			MSG(resp, "object page %" PRIu64 " is too large", req->amount);
			resp->status = ML_EXIT_FAIL;
			resp->ran = 0;
			return;
		}
		p = mmap(at, resp->len, h->prot, h->map | MAP_FIXED, h->fd,
			 (off_t)(req->amount * ps));
		CALL(resp, "mmap(0x%" PRIx64 ", %" PRIu64 ", %s, %s|MAP_FIXED, object, %" PRIu64
		     " * %" PRIu64 ")",
		     resp->addr, resp->len, prot_c(h->prot, pbuf, sizeof(pbuf)),
		     h->map == MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE",
		     req->amount, ps);
	} else {
		p = mmap(at, resp->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		CALL(resp, "mmap(0x%" PRIx64 ", %" PRIu64 ", PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0)",
		     resp->addr, resp->len);
	}
	if (p == MAP_FAILED) {
		resp->err = errno;
		if (resp->err == EINVAL && req->arg == RM_FIXED_OBJECT)
			MSG(resp, "the module refused the mapping (a private pfn mapping, or a bad offset); the old pages there are gone all the same");
		else
			MSG(resp, "the kernel refused the new mapping");
		resp->status = ML_EXIT_FAIL;
		return;
	}
	resp->result = (uintptr_t)p;
}

static void do_rfp(const struct ml_remap_req *req, struct ml_remap_resp *resp)
{
	const struct ml_remap_vma *v = vma_at(&resp->before, resp->addr);

	resp->ran = 1;
	CALL(resp, "remap_file_pages(0x%" PRIx64 ", %" PRIu64 ", 0, %" PRIu64 ", 0)",
	     resp->addr, resp->len, req->amount);
	if (remap_file_pages((void *)(uintptr_t)resp->addr, resp->len, 0,
			     req->amount, 0) == 0)
		return;
	resp->err = errno;
	resp->status = ML_EXIT_FAIL;
	if (resp->err == EINVAL && v && v->perms[3] != 's')
		MSG(resp, "remap_file_pages() takes only shared file mappings (this VMA is private)");
	else if (resp->err == EINVAL)
		MSG(resp, "remap_file_pages() needs the range inside one shared file VMA, and an object page offset the kernel accepts");
}

static void do_madvise(struct ml_remap_resp *resp, int advice)
{
	const struct ml_remap_vma *v = vma_at(&resp->before, resp->addr);
	bool guard = advice == MADV_GUARD_INSTALL || advice == MADV_GUARD_REMOVE;

	resp->ran = 1;
	CALL(resp, "madvise(0x%" PRIx64 ", %" PRIu64 ", MADV_%s)", resp->addr,
	     resp->len, ml_advice_name(advice));
	/* "MADV_guard-install": spell it as the header does. */
	for (char *s = strstr(resp->call, "MADV_"); s && *s && *s != ')'; s++)
		*s = *s == '-' ? '_' : (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
	if (madvise((void *)(uintptr_t)resp->addr, resp->len, advice) == 0)
		return;
	resp->err = errno;
	resp->status = ML_EXIT_FAIL;
	if (resp->err != EINVAL)
		return;
	if (guard && !guard_regions_known())
		MSG(resp, "this kernel (%s) has no guard regions: MADV_GUARD_INSTALL and MADV_GUARD_REMOVE came with Linux 6.13",
		    kernel_release());
	else if (guard)
		MSG(resp, "this kernel (%s) has guard regions but refuses them here: before Linux 6.15 only on anonymous memory, and never on VM_PFNMAP/VM_IO mappings (backing pfn)",
		    kernel_release());
	else if (advice == MADV_FREE)
		MSG(resp, "MADV_FREE takes only private anonymous memory: a file's pages (the object's) cannot be freed lazily");
	else if (advice == MADV_COLD || advice == MADV_PAGEOUT ||
		 advice == MADV_DONTNEED)
		MSG(resp, "the kernel refuses it on this VMA: VM_PFNMAP mappings (backing pfn) and locked VMAs have no pages it can drop or reclaim%s",
		    v ? "" : " (no VMA)");
	else
		MSG(resp, "the kernel refused this advice on this VMA");
}

static void do_touch(const struct ml_remap_req *req, struct ml_remap_resp *resp,
		     uint64_t ps)
{
	uint64_t n = resp->len / ps, ok = 0, bus = 0, segv = 0;
	enum ml_touch how = req->arg == ML_TOUCH_WRITE ? ML_TOUCH_WRITE :
							 ML_TOUCH_READ;
	int err;

	resp->ran = 1;
	CALL(resp, "%s byte 0 of each page of 0x%" PRIx64 "-0x%" PRIx64,
	     how == ML_TOUCH_WRITE ? "write 'P' to" : "read",
	     resp->addr, resp->addr + resp->len);
	err = ml_guard_install((void *)(uintptr_t)resp->addr, resp->len);
	if (err) {
		resp->err = -err;
		resp->status = ML_EXIT_FAIL;
		MSG(resp, "sigaction failed: nothing touched");
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		unsigned char *p = (unsigned char *)(uintptr_t)(resp->addr + i * ps);
		int sees, sig = ml_guarded_access(p, how, ML_PARENT_PATTERN,
						  &sees);

		if (!sig)
			ok++;
		else if (sig == SIGBUS)
			bus++;
		else
			segv++;
	}
	resp->result = bus + segv;
	MSG(resp, "%" PRIu64 " page%s: %" PRIu64 " ok, %" PRIu64 " SIGBUS, %" PRIu64 " SIGSEGV (caught; the holder goes on)",
	    n, n == 1 ? "" : "s", ok, bus, segv);
}

/* ------------------------------------------------------------- running */

void ml_remap_exec(struct ml_held *h, const struct ml_remap_req *req,
		   struct ml_remap_resp *resp)
{
	const uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);
	struct ml_held before = *h;
	char pbuf[40];
	int ret = 0;

	memset(resp, 0, sizeof(*resp));
	resp->magic = ML_REMAP_MAGIC;
	resp->version = ML_REMAP_VERSION;
	resp->size = sizeof(*resp);
	resp->pid = (int32_t)getpid();
	resp->status = ML_EXIT_OK;

	snapshot(h, NULL, h->fd, &resp->before);
	resp->map_start = h->base;
	resp->map_len = h->len;

	if (req->op == RM_NONE || req->op >= RM_NR_OPS) {
		MSG(resp, "unknown operation %u", req->op);
		resp->status = ML_EXIT_USAGE;
		goto out;
	}
	if (req->op == RM_SHOW)
		goto out;
	if (!args_valid(req, resp)) {
		resp->status = ML_EXIT_USAGE;
		goto out;
	}
	if (!resolve(h, req, resp, ps)) {
		resp->status = ML_EXIT_FAIL;
		goto out;
	}

	switch (req->op) {
	case RM_TOUCH:
		do_touch(req, resp, ps);
		break;
	case RM_GROW:
	case RM_SHRINK:
	case RM_MOVE:
	case RM_DONTUNMAP:
		do_mremap(h, req, resp, ps);
		break;
	case RM_FIXED:
		do_fixed(h, req, resp, ps);
		break;
	case RM_REMAP_FILE_PAGES:
		do_rfp(req, resp);
		break;
	case RM_MPROTECT:
		resp->ran = 1;
		CALL(resp, "mprotect(0x%" PRIx64 ", %" PRIu64 ", %s)",
		     resp->addr, resp->len,
		     prot_c((int)req->arg, pbuf, sizeof(pbuf)));
		ret = mprotect((void *)(uintptr_t)resp->addr, resp->len,
			       (int)req->arg);
		if (ret && errno == EACCES)
			MSG(resp, "the file's open mode does not allow it (PROT_EXEC on a noexec mount such as /dev, or PROT_WRITE on a shared mapping of a read-only descriptor)");
		break;
	case RM_MADVISE:
		do_madvise(resp, (int)req->arg);
		break;
	case RM_MSYNC:
		resp->ran = 1;
		CALL(resp, "msync(0x%" PRIx64 ", %" PRIu64 ", %s)", resp->addr,
		     resp->len, req->arg == MS_ASYNC ? "MS_ASYNC" :
		     req->arg == (MS_SYNC | MS_INVALIDATE) ?
		     "MS_SYNC|MS_INVALIDATE" : "MS_SYNC");
		ret = msync((void *)(uintptr_t)resp->addr, resp->len,
			    (int)req->arg);
		break;
	case RM_MUNMAP:
		resp->ran = 1;
		CALL(resp, "munmap(0x%" PRIx64 ", %" PRIu64 ")", resp->addr,
		     resp->len);
		ret = munmap((void *)(uintptr_t)resp->addr, resp->len);
		if (!ret)
			held_remove(h, resp->addr, resp->addr + resp->len);
		break;
	}
	if (ret) {
		resp->err = errno;
		resp->status = ML_EXIT_FAIL;
	}
out:
	snapshot(h, &before, h->fd, &resp->after);
}
