// SPDX-License-Identifier: GPL-2.0
/*
 * demo_faults.c - the demos of page faults and the VMAs they happen in:
 * PROT_NONE gaps and guard pages, three ways ("guards"), the kinds of
 * page fault seen live through the module's events ("fault-kinds"), the
 * write-notify callback filesystems rely on ("mkwrite"), and how VMAs
 * split and merge ("split-merge").  Owns their scenarios only: the
 * talking is demo.c's (demo.h), the netlink client genl.c's.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "demo.h"
#include "genl.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102	/* Linux 6.13 */
#endif

/* Minor page faults of this thread so far (getrusage). */
static long minflt(void)
{
	struct rusage ru;

	memset(&ru, 0, sizeof(ru));
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

/* Page faults the kernel took for one store of @c at @p. */
static long write_faults(void *p, unsigned char c)
{
	long before = minflt();

	dm_wr(p, c);
	return minflt() - before;
}

/* A range command (GUARD, CLEAN) on object @fd; 0 or an exit code. */
static int obj_range(int fd, unsigned long cmd, uint32_t flags, uint64_t pgoff,
		     uint64_t nr, uint64_t *result)
{
	struct mmaplab_range r = {
		.size = sizeof(r), .flags = flags, .pgoff = pgoff, .nr_pages = nr,
	};

	if (ioctl(fd, cmd, &r) < 0)
		return ml_ioctl_failed(fd, cmd, -errno, NULL);
	if (result)
		*result = r.result;
	return 0;
}

/* ------------------------------------------------------------- SIGSEGV */

/*
 * Read the byte at @p, surviving the SIGSEGV it may raise: 0 when the read
 * went through, else the signal's si_code (SEGV_MAPERR, SEGV_ACCERR: > 0),
 * or -1 (any other failure).
 */
static int read_segv(const void *p)
{
	int byte, code, sig = dm_probe(p, &byte, &code);

	if (sig != SIGSEGV)
		return sig ? -1 : 0;
	return code > 0 ? code : 1;
}

static const char *segv_name(int code)
{
	switch (code) {
	case 0:
		return "no signal";
	case SEGV_MAPERR:
		return "SIGSEGV (SEGV_MAPERR: nothing may be mapped there)";
	case SEGV_ACCERR:
		return "SIGSEGV (SEGV_ACCERR: the VMA forbids the access)";
	default:
		return "SIGSEGV";
	}
}

/* -------------------------------------------------------------- events */

#define EV_MAX	32

/* What the demos keep of an event. */
struct ev_rec {
	uint32_t event, flags, outcome, prot;
	uint64_t addr, end, pgoff, nr_pages, result, vma_start, vma_end;
	bool allocated;
};

/* A subscription to the events of some lab objects. */
struct evs {
	struct ml_genl g;
	uintptr_t base;		/* VMA events: pages numbered from here */
	size_t n;		/* events of the last ev_show() */
	struct ev_rec ev[EV_MAX];
	bool lost;
};

/* Follow the object open on @fd; 0 or an exit code (explained). */
static int ev_follow(struct evs *e, int fd)
{
	char why[256] = "";
	int err = ml_genl_subscribe(&e->g, fd, why, sizeof(why));

	if (!err)
		return 0;
	ml_err("demo: subscribing to the object's events: %s%s%s", strerror(-err),
	       why[0] ? ": " : "", why);
	return ML_EXIT_FAIL;
}

/* The end of a subscription (NULL: none); says so if events were lost. */
static void ev_free(struct evs *e)
{
	if (!e)
		return;
	if (e->lost)
		ml_err("demo: some events were lost (receive buffer full)");
	ml_genl_close(&e->g);
	free(e);
}

/*
 * A subscription that follows the object open on @fd: NULL on failure
 * (explained), with *@ret set to the exit code.
 */
static struct evs *ev_new(int fd, int *ret)
{
	struct evs *e;
	char on[8] = "";
	FILE *f;

	/* With the module's events off there would be nothing to show. */
	f = fopen("/sys/module/mmaplab/parameters/events", "re");
	if (f) {
		if (!fgets(on, sizeof(on), f))
			on[0] = 0;
		fclose(f);
	}
	if (on[0] == 'N') {
		ml_err("demo: the module's events are off (its parameter events is N), and this demo shows them: echo Y > /sys/module/mmaplab/parameters/events");
		*ret = ML_EXIT_FAIL;
		return NULL;
	}
	e = xmalloc(sizeof(*e));
	memset(e, 0, sizeof(*e));
	*ret = ml_genl_open(&e->g);
	if (*ret) {
		free(e);
		return NULL;
	}
	*ret = ev_follow(e, fd);
	if (*ret) {
		ev_free(e);
		return NULL;
	}
	return e;
}

static void ev_drop(const struct ml_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
}

/* Forget the events so far: the next ev_show() shows what comes after. */
static void ev_flush(struct evs *e)
{
	if (ml_genl_pending(&e->g, ev_drop, NULL) < 0)
		e->lost = true;
}

static void ev_keep(const struct ml_event *ev, void *arg)
{
	struct evs *e = arg;
	struct ev_rec *r;

	if (e->n >= EV_MAX) {
		e->lost = true;
		return;
	}
	r = &e->ev[e->n++];
	r->event = ev->event;
	r->flags = ev->fault_flags;
	r->outcome = ev->outcome;
	r->prot = ev->prot;
	r->addr = ev->addr;
	r->end = ev->end;
	r->pgoff = ev->pgoff;
	r->nr_pages = ev->nr_pages;
	r->result = ev->result;
	r->vma_start = ev->vma_start;
	r->vma_end = ev->vma_end;
	r->allocated = ev->allocated;
}

/* "page 2" or "pages 0-1" of [@s, @e) from e->base. */
static void ev_pages(const struct evs *e, uint64_t s, uint64_t end, char *buf,
		     size_t len)
{
	uint64_t a = (s - e->base) / PAGE, b = (end - e->base) / PAGE;

	if (s < e->base || !e->base)
		snprintf(buf, len, "0x%llx-0x%llx", (unsigned long long)s,
			 (unsigned long long)end);
	else if (b == a + 1)
		snprintf(buf, len, "page %llu", (unsigned long long)a);
	else
		snprintf(buf, len, "pages %llu-%llu", (unsigned long long)a,
			 (unsigned long long)b - 1);
}

static char *ev_line(const struct evs *e, const struct ev_rec *r)
{
	char vma[64], at[64];

	ev_pages(e, r->vma_start, r->vma_end, vma, sizeof(vma));
	switch (r->event) {
	case MMAPLAB_EV_FAULT:
		return xasprintf("fault         object page %llu, %s access on a %s mapping: %s%s",
				 (unsigned long long)r->pgoff,
				 r->flags & MMAPLAB_FAULT_WRITE ? "write" : "read",
				 r->flags & MMAPLAB_FAULT_SHARED ? "shared" : "private",
				 ml_fault_outcome_name(r->outcome),
				 r->allocated ? " (allocated)" : "");
	case MMAPLAB_EV_PAGE_MKWRITE:
	case MMAPLAB_EV_PFN_MKWRITE:
		return xasprintf("%-13s object page %llu: first write to a clean page",
				 ml_event_name(r->event), (unsigned long long)r->pgoff);
	case MMAPLAB_EV_MAY_SPLIT:
		ev_pages(e, r->addr, r->addr + PAGE, at, sizeof(at));
		return xasprintf("may_split     the VMA of %s, to be cut before %s", vma, at);
	case MMAPLAB_EV_OPEN:
		return xasprintf("open          a new VMA: %s", vma);
	case MMAPLAB_EV_CLOSE:
		return xasprintf("close         the VMA of %s goes", vma);
	case MMAPLAB_EV_MMAP:
		return xasprintf("mmap          a new VMA: %s", vma);
	case MMAPLAB_EV_MPROTECT:
		ev_pages(e, r->addr, r->end, at, sizeof(at));
		return xasprintf("mprotect      %s of the VMA of %s become %c%c%c", at, vma,
				 r->prot & PROT_READ ? 'r' : '-',
				 r->prot & PROT_WRITE ? 'w' : '-',
				 r->prot & PROT_EXEC ? 'x' : '-');
	case MMAPLAB_EV_GUARD:
	case MMAPLAB_EV_CLEAN:
		return xasprintf("%-13s object pages %llu+%llu, result %llu",
				 ml_event_name(r->event), (unsigned long long)r->pgoff,
				 (unsigned long long)r->nr_pages,
				 (unsigned long long)r->result);
	default:
		return xasprintf("%s", ml_event_name(r->event));
	}
}

/* Read the events that came since the last call and show them. */
static size_t ev_show(struct evs *e)
{
	char *text = NULL, *line;
	size_t len = 0;

	e->n = 0;
	if (ml_genl_pending(&e->g, ev_keep, e) < 0)
		e->lost = true;
	if (!e->n) {
		dm_say("events of the module: none");
		return 0;
	}
	for (size_t i = 0; i < e->n; i++) {
		size_t l;

		line = ev_line(e, &e->ev[i]);
		l = strlen(line);
		text = xrealloc(text, len + l + 8);
		len += sprintf(text + len, "%s  %s", i ? "\n" : "", line);
		free(line);
	}
	dm_say("events of the module, as they came:\n%s", text);
	free(text);
	return e->n;
}

/* Events of kind @event among those of the last ev_show(). */
static size_t ev_count(const struct evs *e, uint32_t event)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n; i++)
		n += e->ev[i].event == event;
	return n;
}

/*
 * The last step's events were exactly one fault, at object page @pgoff,
 * a write or not, on a shared mapping or not, with outcome @outcome.
 */
static bool ev_one_fault(const struct evs *e, uint64_t pgoff, bool write,
			 bool shared, uint32_t outcome)
{
	const struct ev_rec *r = &e->ev[0];

	return e->n == 1 && r->event == MMAPLAB_EV_FAULT && r->pgoff == pgoff &&
	       !!(r->flags & MMAPLAB_FAULT_WRITE) == write &&
	       !!(r->flags & MMAPLAB_FAULT_SHARED) == shared &&
	       r->outcome == outcome;
}

/* The fault counters moved by exactly these deltas (and page_mkwrites). */
struct fault_delta {
	uint64_t faults, read, write, cow, shared, mkwrite;
};

static bool delta_is(const struct mmaplab_stats *b, const struct mmaplab_stats *a,
		     struct fault_delta d)
{
	return a->faults - b->faults == d.faults &&
	       a->faults_read - b->faults_read == d.read &&
	       a->faults_write - b->faults_write == d.write &&
	       a->faults_cow - b->faults_cow == d.cow &&
	       a->faults_shared - b->faults_shared == d.shared &&
	       a->page_mkwrites - b->page_mkwrites == d.mkwrite;
}

/* One lab object that a step watches: its counters around an access, its events. */
struct watch {
	struct evs *e;			/* the events of the objects followed */
	int fd;
	const char *label;		/* the object's, for dm_counters() */
	struct mmaplab_stats b, a;	/* its counters before and after */
};

/*
 * Before a step's change: forget the events so far, and take the counters
 * before it now (@fresh) or as they were after the last change.  0 or an
 * exit code.
 */
static int watch_begin(struct watch *w, bool fresh)
{
	ev_flush(w->e);
	if (!fresh) {
		w->b = w->a;
		return 0;
	}
	return dm_stats(w->fd, &w->b);
}

/* After the change: the counters after it.  0 or an exit code. */
static int watch_end(struct watch *w)
{
	return dm_stats(w->fd, &w->a);
}

/* Show the counters that the change moved, and the events it caused. */
static void watch_show(struct watch *w)
{
	dm_counters(w->label, &w->b, &w->a);
	ev_show(w->e);
}

/*
 * The change of a step that is an access: a read of the byte at @p (@c
 * < 0), or a store of @c there whose page faults (of this thread) go to
 * *@flt and are said (when @flt is not NULL).  Shows what it did as
 * watch_show().  0 or an exit code.
 */
static int watch_access(struct watch *w, unsigned char *p, int c, long *flt)
{
	long n = 0;
	int ret;

	if (c < 0)
		(void)dm_rd(p);
	else
		n = write_faults(p, c);
	ret = watch_end(w);
	if (ret)
		return ret;
	if (flt) {
		*flt = n;
		dm_say("page faults of this thread during the store: %ld", n);
	}
	watch_show(w);
	return 0;
}

/* ------------------------------------------------------------- guards */

struct lib_gap {
	char path[256];
	uintptr_t start, end;	/* all the lines of that file, around the gap */
	bool found;
	struct dm_maps_line prev;
	bool prev_gap;		/* prev: a ---p line right after one of its file */
};

/* A "---p" line of a file between two other lines of the same file. */
static bool find_gap(const struct dm_maps_line *l, void *arg)
{
	struct lib_gap *g = arg;
	bool same = g->prev.path[0] == '/' && !strcmp(l->path, g->prev.path);

	if (g->found) {
		if (!same || l->start != g->end)
			return true;
		g->end = l->end;
	} else if (g->prev_gap && same && l->start == g->prev.end) {
		g->found = true;
		g->end = l->end;
	} else if (!same) {
		/* the first line of a file */
		g->start = l->start;
		snprintf(g->path, sizeof(g->path), "%s", l->path);
	}
	g->prev_gap = same && !strcmp(l->perms, "---p") && l->inode &&
		      l->start == g->prev.end;
	g->prev = *l;
	return false;
}

struct thr {
	pthread_barrier_t bar;
	uintptr_t sp;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	char here = 0;

	t->sp = (uintptr_t)&here;
	pthread_barrier_wait(&t->bar);	/* the main thread looks ... */
	pthread_barrier_wait(&t->bar);	/* ... and lets us go */
	return NULL;
}

struct stack_ctx {
	uintptr_t sp;
	struct dm_maps_line stack, below;
	bool got_stack, got_below;
};

static bool find_stack(const struct dm_maps_line *l, void *arg)
{
	struct stack_ctx *c = arg;

	if (l->start <= c->sp && c->sp < l->end) {
		c->stack = *l;
		c->got_stack = true;
		return true;
	}
	c->below = *l;
	c->got_below = true;
	return false;
}

/* Step 2 of "guards": a thread's stack; 0 or an exit code. */
static int guards_thread(void)
{
	struct stack_ctx c = { 0 };
	pthread_attr_t attr;
	size_t guard = 0;
	struct thr t;
	pthread_t th;
	bool ok;
	int err;

	if (!pthread_attr_init(&attr)) {
		pthread_attr_getguardsize(&attr, &guard);
		pthread_attr_destroy(&attr);
	}
	pthread_barrier_init(&t.bar, NULL, 2);
	err = pthread_create(&th, NULL, thr_main, &t);
	if (err) {
		errno = err;
		pthread_barrier_destroy(&t.bar);
		return dm_fail("pthread_create");
	}
	pthread_barrier_wait(&t.bar);
	c.sp = t.sp;
	dm_maps_each(find_stack, &c);
	ok = c.got_stack && c.got_below && c.below.end == c.stack.start &&
	     !strcmp(c.below.perms, "---p") && !c.below.inode;
	if (c.got_stack)
		dm_maps("the thread's stack and the line below it",
			(void *)(ok ? c.below.start : c.stack.start),
			c.stack.end - (ok ? c.below.start : c.stack.start));
	dm_say("glibc's default guard size: %zu bytes; the ---p line here: %lu bytes.",
	       guard, ok ? (unsigned long)(c.below.end - c.below.start) : 0UL);
	dm_claim("thread_stack_has_guard", ok,
		 "right below the thread's stack lies a ---p anonymous VMA, its guard");
	pthread_barrier_wait(&t.bar);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&t.bar);
	return 0;
}

/* One of the three lab objects of "guards", and what reading its page 1 did. */
struct guarded {
	int fd;
	unsigned char *p;		/* its 3 pages, mapped shared */
	struct mmaplab_stats b, a;	/* its counters before and after */
	int sig;			/* read_segv() of page 1 */
	int vmas;			/* the VMAs of the mapping after it */
	bool cells;			/* the page table was as wanted */
};

#define GUARDED_INIT	{ .fd = -1, .p = MAP_FAILED }

/* A 3-page lab object, mapped shared at g->p, every page written. */
static int guards_object(struct guarded *g)
{
	int ret = ML_EXIT_OK;

	g->fd = dm_object(3, MMAPLAB_BACKING_PAGES, &ret);
	if (g->fd < 0)
		return ret;
	g->p = dm_map(3 * PAGE, MAP_SHARED, g->fd);
	if (g->p == MAP_FAILED)
		return dm_fail("mmap");
	for (int i = 0; i < 3; i++)
		dm_wr(g->p + i * PAGE, 'A' + i);
	return 0;
}

/*
 * Read page 1 of @g, which the caller guarded after it took g->b, and
 * show what came of it: the signal, the lines of maps, the page table
 * (its cells compared with @want, when not NULL) and the counters that
 * changed.  0 or an exit code.
 */
static int guards_read(struct guarded *g, const char *want)
{
	int ret;

	g->sig = read_segv(g->p + PAGE);
	ret = dm_stats(g->fd, &g->a);
	if (ret)
		return ret;
	g->vmas = dm_nr_vmas(g->p, 3 * PAGE);
	dm_say("reading page 1: %s", segv_name(g->sig));
	dm_maps("the mapping", g->p, 3 * PAGE);
	ret = dm_grid_is("the mapping", g->p, 3 * PAGE, want, &g->cells);
	if (ret)
		return ret;
	dm_counters("the object", &g->b, &g->a);
	return 0;
}

int demo_guards(void)
{
	struct guarded g[3] = { GUARDED_INIT, GUARDED_INIT, GUARDED_INIT };
	struct lib_gap gap = { 0 };
	int ret, err;
	char why[256];

	dm_step("PROT_NONE gaps in this very process",
		"The dynamic loader maps each shared library as one stretch of the\n"
		"file, then maps its segments over it at their addresses.  Where two\n"
		"segments leave a hole, the stretch stays behind as PROT_NONE (---p):\n"
		"nothing else can be mapped into the library, and a stray pointer\n"
		"into the hole faults.");
	dm_maps_each(find_gap, &gap);
	if (gap.found) {
		dm_maps(gap.path, (void *)gap.start, gap.end - gap.start);
		dm_claim("library_has_prot_none_gap", true,
			 "a shared library of this process has a ---p line between its segments");
	} else {
		dm_skip("library_has_prot_none_gap",
			"a shared library of this process has a ---p line between its segments",
			"no library of this process has a hole between its segments (the tool is linked statically, or every library's segments lie back to back)");
	}

	dm_step("A thread's stack has a guard page",
		"pthread_create() maps the new thread's stack and makes its lowest\n"
		"page PROT_NONE: a thread that overflows its stack gets SIGSEGV\n"
		"instead of writing into whatever lies below.  The thread waits while\n"
		"this process reads its own /proc/self/maps.");
	ret = guards_thread();
	if (ret)
		return ret;

	dm_step("Guard page 1 of a lab mapping with the module (MMAPLAB_IOC_GUARD)",
		"Three lab objects of 3 pages, each mapped shared and written: one\n"
		"per way of guarding its page 1.  The first: the module marks the\n"
		"object's page 1 as a guard and removes its entries; an access faults,\n"
		"and the module answers the fault with SIGSEGV.  The VMA stays whole.");
	for (int i = 0; i < 3; i++) {
		ret = guards_object(&g[i]);
		if (ret)
			goto out;
	}
	ret = dm_stats(g[0].fd, &g[0].b);
	if (!ret)
		ret = obj_range(g[0].fd, MMAPLAB_IOC_GUARD, MMAPLAB_GUARD_INSTALL, 1, 1, NULL);
	if (!ret)
		ret = guards_read(&g[0], NULL);
	if (ret)
		goto out;
	dm_claim("module_guard_sigsegv", g[0].sig > 0,
		 "the read of the guard page raised SIGSEGV");
	dm_claim("module_guard_counted",
		 g[0].a.faults_sigsegv == g[0].b.faults_sigsegv + 1 &&
		 g[0].a.faults == g[0].b.faults + 1,
		 "the module saw the fault and answered it (faults_sigsegv +1)");
	dm_claim("module_guard_one_vma", g[0].vmas == 1, "the mapping is still one VMA");

	dm_step("The same with mprotect(PROT_NONE)",
		"The second object: mprotect() makes page 1 of this mapping PROT_NONE.\n"
		"The protection belongs to the VMA, so the VMA is cut in three; an\n"
		"access is refused by the kernel before any fault handler runs.");
	ret = dm_stats(g[1].fd, &g[1].b);
	if (ret)
		goto out;
	if (mprotect(g[1].p + PAGE, PAGE, PROT_NONE)) {
		ret = dm_fail("mprotect");
		goto out;
	}
	ret = guards_read(&g[1], NULL);
	if (ret)
		goto out;
	dm_claim("mprotect_guard_sigsegv", g[1].sig > 0, "the read of page 1 raised SIGSEGV");
	dm_claim("mprotect_guard_not_seen_by_module", g[1].a.faults == g[1].b.faults,
		 "the module's fault handler was not called");
	dm_claim("mprotect_splits_in_three",
		 g[1].vmas == 3 && g[1].a.may_splits == g[1].b.may_splits + 2 &&
		 g[1].a.vma_opens == g[1].b.vma_opens + 2,
		 "the mapping became three VMAs (the module saw 2 splits, 2 opens)");
	dm_claim("segv_codes_differ", g[0].sig == SEGV_MAPERR && g[1].sig == SEGV_ACCERR,
		 "the guard's SIGSEGV says SEGV_MAPERR, PROT_NONE's says SEGV_ACCERR");

	dm_step("The same with madvise(MADV_GUARD_INSTALL)",
		"The third object: the kernel's own guard regions (Linux 6.13 for\n"
		"anonymous memory, 6.15 for file mappings) put a guard marker in the\n"
		"page table.  The VMA stays whole, and the marker answers an access\n"
		"with SIGSEGV before the module could be asked.");
	ret = dm_stats(g[2].fd, &g[2].b);
	if (ret)
		goto out;
	err = madvise(g[2].p + PAGE, PAGE, MADV_GUARD_INSTALL) ? errno : 0;
	if (err) {
		snprintf(why, sizeof(why),
			 "kernel %s refuses MADV_GUARD_INSTALL on a file mapping (%s): guard regions cover file mappings from Linux 6.15",
			 dm_kernel_release(), strerror(err));
		dm_say("madvise(MADV_GUARD_INSTALL): %s", strerror(err));
		dm_skip("madv_guard_sigsegv", "the read of page 1 raised SIGSEGV", why);
		dm_skip("madv_guard_not_seen_by_module",
			"the module's fault handler was not called", why);
		dm_skip("madv_guard_one_vma", "the mapping is still one VMA", why);
		dm_skip("madv_guard_marker", "page 1's entry is a guard marker (G)", why);
	} else {
		ret = guards_read(&g[2], "DGD");
		if (ret)
			goto out;
		dm_claim("madv_guard_sigsegv", g[2].sig > 0, "the read of page 1 raised SIGSEGV");
		dm_claim("madv_guard_not_seen_by_module", g[2].a.faults == g[2].b.faults,
			 "the module's fault handler was not called");
		dm_claim("madv_guard_one_vma", g[2].vmas == 1, "the mapping is still one VMA");
		dm_claim("madv_guard_marker", g[2].cells, "page 1's entry is a guard marker (G)");
	}

	dm_lesson("A PROT_NONE gap is a VMA of its own (---p): the loader and pthreads\n"
		  "use them, and mprotect() cuts a mapping in three to make one.  A guard\n"
		  "that lives in the object (the module's) or in the page table\n"
		  "(MADV_GUARD_INSTALL) keeps the VMA whole and is answered at fault time.");
	ret = ML_EXIT_OK;
out:
	for (int i = 0; i < 3; i++) {
		dm_unmap(g[i].p, 3 * PAGE);
		dm_close(g[i].fd);
	}
	return ret;
}

/* --------------------------------------------------------- fault-kinds */

int demo_fault_kinds(void)
{
	struct watch o = { .label = "the object" };
	struct watch wn = { .label = "the write-notify object", .fd = -1 };
	unsigned char *p = MAP_FAILED, *s = MAP_FAILED, *w = MAP_FAILED;
	struct evs *e = NULL;
	int ret = ML_EXIT_OK;
	long flt;
	bool cells;

	dm_step("A file, mapped twice, and its events",
		"A lab object of 3 pages (backing \"pages\") plays the file: it is\n"
		"mapped MAP_PRIVATE and MAP_SHARED.  A second object of 1 page has\n"
		"write-notify (the module implements ->page_mkwrite, as filesystems\n"
		"do).  This process subscribes to both objects' events over generic\n"
		"netlink: each step shows the module's counters that changed and the\n"
		"events it sent.");
	o.fd = dm_object(3, MMAPLAB_BACKING_PAGES, &ret);
	if (o.fd < 0)
		return ret;
	wn.fd = dm_object_flags(1, MMAPLAB_BACKING_PAGES, MMAPLAB_CONFIG_WRITE_NOTIFY, &ret);
	if (wn.fd < 0)
		goto out;
	e = ev_new(o.fd, &ret);
	if (!e)
		goto out;
	ret = ev_follow(e, wn.fd);
	if (ret)
		goto out;
	o.e = e;
	wn.e = e;
	p = dm_map(3 * PAGE, MAP_PRIVATE, o.fd);
	s = dm_map(3 * PAGE, MAP_SHARED, o.fd);
	w = dm_map(PAGE, MAP_SHARED, wn.fd);
	if (p == MAP_FAILED || s == MAP_FAILED || w == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	dm_maps("the private mapping", p, 3 * PAGE);
	dm_maps("the shared mapping", s, 3 * PAGE);
	dm_maps("the write-notify object's shared mapping", w, PAGE);

	dm_step("Read fault: read page 0 of the private mapping",
		"No entry: the CPU faults, the kernel finds a file VMA and calls the\n"
		"module's ->fault, which makes the page; the kernel maps it read-only.");
	ret = watch_begin(&o, true);
	if (!ret)
		ret = watch_access(&o, p, -1, NULL);
	if (!ret)
		ret = dm_grid("the private mapping", p, 3 * PAGE, NULL);
	if (ret)
		goto out;
	dm_claim("read_fault",
		 ev_one_fault(e, 0, false, false, MMAPLAB_FAULT_OUTCOME_NEW) &&
		 delta_is(&o.b, &o.a, (struct fault_delta){ .faults = 1, .read = 1 }),
		 "one event: a read fault of page 0 (faults_read +1, nothing else)");

	dm_step("COW fault: write page 1 of the private mapping, never touched",
		"A write fault on a private mapping: the module hands over the file's\n"
		"page and the kernel maps a copy of it (anonymous, this process's own).");
	watch_begin(&o, false);
	ret = watch_access(&o, p + PAGE, 'P', NULL);
	if (!ret)
		ret = dm_grid("the private mapping", p, 3 * PAGE, NULL);
	if (ret)
		goto out;
	dm_claim("cow_fault",
		 ev_one_fault(e, 1, true, false, MMAPLAB_FAULT_OUTCOME_COW) &&
		 delta_is(&o.b, &o.a, (struct fault_delta){ .faults = 1, .write = 1, .cow = 1 }),
		 "one event: a copy-on-write fault of page 1 (faults_cow +1)");

	dm_step("Shared fault: write page 2 of the shared mapping, never touched",
		"A write fault on a shared mapping: the file's own page is mapped,\n"
		"writable, and the store lands in it.");
	watch_begin(&o, false);
	ret = watch_access(&o, s + 2 * PAGE, 'S', NULL);
	if (!ret)
		ret = dm_grid("the shared mapping", s, 3 * PAGE, NULL);
	if (ret)
		goto out;
	dm_claim("shared_fault",
		 ev_one_fault(e, 2, true, true, MMAPLAB_FAULT_OUTCOME_NEW) &&
		 delta_is(&o.b, &o.a, (struct fault_delta){ .faults = 1, .write = 1, .shared = 1 }),
		 "one event: a shared write fault of page 2 (faults_shared +1)");

	dm_step("Write-protect fault, private: write page 0, which step 2 mapped read-only",
		"The entry is there but read-only: the CPU faults, and the kernel\n"
		"copies the page by itself; the module is not asked.  getrusage()\n"
		"counts the fault all the same.");
	watch_begin(&o, false);
	ret = watch_access(&o, p, 'P', &flt);
	if (!ret)
		ret = dm_grid_is("the private mapping", p, 3 * PAGE, "CC.", &cells);
	if (ret)
		goto out;
	dm_claim("private_wp_fault_silent",
		 flt >= 1 && e->n == 0 && delta_is(&o.b, &o.a, (struct fault_delta){ 0 }) &&
		 cells,
		 "the kernel took a fault and copied page 0, with no event and no counter");

	dm_step("Write-protect fault, shared, with write-notify: read, then write",
		"The write-notify object's page 0 is read first: the module's ->fault\n"
		"makes it, and the kernel maps it read-only although the mapping is\n"
		"writable, because the module wants to hear of the first write.");
	ret = watch_begin(&wn, true);
	if (!ret)
		ret = watch_access(&wn, w, -1, NULL);
	if (!ret)
		ret = dm_grid_is("the write-notify mapping", w, PAGE, "r", &cells);
	if (ret)
		goto out;
	dm_claim("write_notify_maps_readonly",
		 ev_one_fault(e, 0, false, true, MMAPLAB_FAULT_OUTCOME_NEW) && cells,
		 "one event: a shared read fault; the page is mapped read-only");
	dm_say("Now the write: the entry is read-only, the CPU faults, and the kernel\n"
	       "calls ->page_mkwrite before it makes the entry writable.");
	watch_begin(&wn, false);
	ret = watch_access(&wn, w, 'W', &flt);
	if (!ret)
		ret = dm_grid_is("the write-notify mapping", w, PAGE, "D", &cells);
	if (ret)
		goto out;
	dm_claim("shared_wp_fault_mkwrite",
		 flt >= 1 && e->n == 1 && ev_count(e, MMAPLAB_EV_PAGE_MKWRITE) == 1 &&
		 e->ev[0].pgoff == 0 &&
		 delta_is(&wn.b, &wn.a, (struct fault_delta){ .mkwrite = 1 }) && cells,
		 "one event: page_mkwrite of page 0, and no ->fault (page_mkwrites +1)");

	dm_lesson("A fault is a read, a first write to a private page (copy-on-write),\n"
		  "a write to a shared page, or a write to a page mapped read-only.  The\n"
		  "module hears of the first three through ->fault; of the last only on a\n"
		  "shared mapping with write-notify (->page_mkwrite): a private copy is\n"
		  "the kernel's business alone.");
out:
	dm_unmap(w, PAGE);
	dm_unmap(s, 3 * PAGE);
	dm_unmap(p, 3 * PAGE);
	ev_free(e);
	dm_close(wn.fd);
	close(o.fd);
	return ret;
}

/* ------------------------------------------------------------- mkwrite */

int demo_mkwrite(void)
{
	struct watch o = { .label = "the object" };
	unsigned char *p = MAP_FAILED, *m = MAP_FAILED;
	int mfd = -1, ret = ML_EXIT_OK;
	struct evs *e = NULL;
	uint64_t cleaned = 0;
	long flt, rflt;
	bool cells;

	dm_step("A shared mapping of an object with write-notify",
		"A lab object of 2 pages with write-notify: its mappings get the\n"
		"module's ->page_mkwrite, the callback a filesystem uses to hear of\n"
		"the first write to a clean page.  Map it shared, follow its events,\n"
		"and read page 0: the page is mapped read-only.");
	o.fd = dm_object_flags(2, MMAPLAB_BACKING_PAGES, MMAPLAB_CONFIG_WRITE_NOTIFY, &ret);
	if (o.fd < 0)
		return ret;
	e = ev_new(o.fd, &ret);
	if (!e)
		goto out;
	o.e = e;
	p = dm_map(2 * PAGE, MAP_SHARED, o.fd);
	if (p == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	dm_maps("the mapping", p, 2 * PAGE);
	ev_flush(e);
	(void)dm_rd(p);
	ev_show(e);
	ret = dm_grid("the mapping", p, 2 * PAGE, NULL);
	if (ret)
		goto out;

	dm_step("The first write to page 0",
		"The entry is read-only: the write faults, the kernel calls\n"
		"->page_mkwrite, the module notes the page dirty, and the kernel makes\n"
		"the entry writable (and dirty).");
	ret = watch_begin(&o, true);
	if (!ret)
		ret = watch_access(&o, p, '1', &flt);
	if (!ret)
		ret = dm_grid_is("the mapping", p, 2 * PAGE, "D.", &cells);
	if (ret)
		goto out;
	dm_claim("first_write_notified",
		 flt >= 1 && e->n == 1 && ev_count(e, MMAPLAB_EV_PAGE_MKWRITE) == 1 &&
		 o.a.page_mkwrites == o.b.page_mkwrites + 1 &&
		 o.a.pages_dirty == o.b.pages_dirty + 1 && cells,
		 "the first write called ->page_mkwrite (page_mkwrites +1, pages_dirty +1)");

	dm_step("A second write to page 0",
		"The entry is writable now: the store goes straight to memory.");
	watch_begin(&o, false);
	ret = watch_access(&o, p, '2', &flt);
	if (ret)
		goto out;
	dm_claim("second_write_silent",
		 flt == 0 && e->n == 0 && o.a.page_mkwrites == o.b.page_mkwrites,
		 "the second write made no fault and no call into the module");

	dm_step("msync(MS_SYNC), then write again",
		"On a disk filesystem msync() starts writeback, and writeback\n"
		"write-protects the page again before it writes it out, so the next\n"
		"write is notified.  This object has nothing to write back (its fsync\n"
		"does nothing), so its entries stay as they are.");
	watch_begin(&o, false);
	if (msync(p, 2 * PAGE, MS_SYNC)) {
		ret = dm_fail("msync");
		goto out;
	}
	ret = watch_access(&o, p, '3', &flt);
	if (!ret)
		ret = dm_grid_is("the mapping", p, 2 * PAGE, "D.", &cells);
	if (ret)
		goto out;
	dm_claim("msync_leaves_page_writable",
		 flt == 0 && e->n == 0 && o.a.page_mkwrites == o.b.page_mkwrites && cells,
		 "after msync() the write was not notified: the page stayed writable");

	dm_step("Clean the object (MMAPLAB_IOC_CLEAN), then write again",
		"CLEAN does what writeback does to a page: marks it clean and takes\n"
		"away the write permission, here by removing the page's entries.  The\n"
		"next write faults the page in again, and is notified again.");
	watch_begin(&o, false);
	ret = obj_range(o.fd, MMAPLAB_IOC_CLEAN, 0, 0, 0, &cleaned);
	if (ret)
		goto out;
	dm_say("MMAPLAB_IOC_CLEAN: %llu page(s) were dirty", (unsigned long long)cleaned);
	ev_show(e);
	ret = dm_grid("the mapping", p, 2 * PAGE, NULL);
	if (ret)
		goto out;
	ev_flush(e);
	ret = watch_access(&o, p, '4', &flt);
	if (!ret)
		ret = dm_grid_is("the mapping", p, 2 * PAGE, "D.", &cells);
	if (ret)
		goto out;
	dm_claim("clean_cleans_dirty_page", cleaned == 1, "CLEAN found one dirty page");
	dm_claim("write_after_clean_notified",
		 e->n == 2 && ev_count(e, MMAPLAB_EV_FAULT) == 1 &&
		 ev_count(e, MMAPLAB_EV_PAGE_MKWRITE) == 1 &&
		 o.a.page_mkwrites == o.b.page_mkwrites + 1 && cells,
		 "the next write faulted the page in and called ->page_mkwrite again");

	dm_step("The same with a memfd (tmpfs): no write-notify",
		"A shared mapping of a 1-page memfd: read, then write.  tmpfs keeps\n"
		"its pages in memory and has no blocks to allocate: it asks for no\n"
		"notification, so the read fault maps the page writable at once and\n"
		"the write goes through without a fault; the kernel learns of it\n"
		"later from the entry's dirty bit (D).");
	mfd = dm_memfd("mmaplab-demo", PAGE, 0, 0);
	if (mfd < 0) {
		ret = dm_fail("memfd");
		goto out;
	}
	m = dm_map(PAGE, MAP_SHARED, mfd);
	if (m == MAP_FAILED) {
		ret = dm_fail("mmap of the memfd");
		goto out;
	}
	rflt = minflt();
	(void)dm_rd(m);
	rflt = minflt() - rflt;
	dm_say("page faults of this thread during the read: %ld", rflt);
	ret = dm_grid_is("the memfd's mapping", m, PAGE, "w", &cells);
	if (ret)
		goto out;
	dm_claim("memfd_read_maps_writable", rflt >= 1 && cells,
		 "the read fault mapped the memfd's page writable (w)");
	flt = write_faults(m, 'M');
	dm_say("page faults of this thread during the store: %ld", flt);
	ret = dm_grid_is("the memfd's mapping", m, PAGE, "D", &cells);
	if (ret)
		goto out;
	dm_claim("memfd_write_no_fault", flt == 0 && cells,
		 "the first write to the memfd's page made no fault; the entry is dirty");

	dm_lesson("->page_mkwrite tells the owner of a shared page that a clean page is\n"
		  "about to be written, once per clean period: a filesystem allocates\n"
		  "the page's blocks then (or fails the write with SIGBUS when the disk\n"
		  "is full) and accounts the page dirty, so writeback and dirty throttling\n"
		  "know of it.  Cleaning (writeback, or CLEAN here) arms it again.");
out:
	dm_unmap(m, PAGE);
	dm_close(mfd);
	dm_unmap(p, 2 * PAGE);
	ev_free(e);
	close(o.fd);
	return ret;
}

/* --------------------------------------------------------- split-merge */

/*
 * Map the 3 pages of object @w->fd shared at *@p, unmapping what *@p held
 * (when not MAP_FAILED); the events number pages from there.  0 or an
 * exit code.
 */
static int sm_map(struct watch *w, unsigned char **p)
{
	dm_unmap(*p, 3 * PAGE);
	*p = dm_map(3 * PAGE, MAP_SHARED, w->fd);
	if (*p == MAP_FAILED)
		return dm_fail("mmap");
	w->e->base = (uintptr_t)*p;
	return 0;
}

/*
 * The change of a step of "split-merge": mprotect() page @at of the
 * object's mapping @p to @prot, or munmap() it (@prot < 0).  Then the
 * VMAs of the mapping, counted into *@n and shown as @label, and what
 * watch_show() shows.  0 or an exit code.
 */
static int sm_cut(struct watch *w, unsigned char *p, unsigned char *at, int prot,
		  const char *label, int *n)
{
	int ret;

	if (prot < 0 ? munmap(at, PAGE) : mprotect(at, PAGE, prot))
		return dm_fail(prot < 0 ? "munmap" : "mprotect");
	ret = watch_end(w);
	if (ret)
		return ret;
	*n = dm_nr_vmas(p, 3 * PAGE);
	dm_maps(label, p, 3 * PAGE);
	watch_show(w);
	return 0;
}

int demo_split_merge(void)
{
	struct watch o = { .label = "the object" };
	unsigned char *p = MAP_FAILED, *q = MAP_FAILED;
	int ret = ML_EXIT_OK, n, n2;
	const struct ev_rec *c;
	bool moved, split;

	dm_step("A 3-page lab mapping: one VMA",
		"A lab object of 3 pages, mapped shared; this process follows its\n"
		"events, so each change of the VMAs shows the callbacks it caused.");
	o.fd = dm_object(3, MMAPLAB_BACKING_PAGES, &ret);
	if (o.fd < 0)
		return ret;
	o.e = ev_new(o.fd, &ret);
	if (!o.e)
		goto out;
	ret = sm_map(&o, &p);
	if (ret)
		goto out;
	dm_maps("the mapping", p, 3 * PAGE);

	dm_step("mprotect(PROT_READ) of the middle page",
		"A VMA has one protection, so the kernel cuts the VMA before and after\n"
		"page 1.  Each cut asks the module (->may_split) and gives it the new\n"
		"VMA (->open), as a fork would.");
	ret = watch_begin(&o, true);
	if (!ret)
		ret = sm_cut(&o, p, p + PAGE, PROT_READ, "the mapping", &n);
	if (ret)
		goto out;
	dm_claim("mprotect_splits_in_three", n == 3, "the mapping is three VMAs");
	dm_claim("module_sees_two_splits",
		 o.a.may_splits == o.b.may_splits + 2 && o.a.vma_opens == o.b.vma_opens + 2 &&
		 ev_count(o.e, MMAPLAB_EV_MAY_SPLIT) == 2 && ev_count(o.e, MMAPLAB_EV_OPEN) == 2,
		 "the module saw 2 splits and 2 new VMAs (may_splits +2, vma_opens +2)");

	dm_step("mprotect(PROT_READ | PROT_WRITE) of the middle page again",
		"The three VMAs are alike again.  Merging them would remove two VMAs,\n"
		"and the kernel removes a merged-away VMA without calling its ->close;\n"
		"so it never removes a VMA whose vm_operations have one, like the\n"
		"module's (6.1 merges nothing with such a VMA at all).");
	watch_begin(&o, false);
	ret = sm_cut(&o, p, p + PAGE, PROT_READ | PROT_WRITE, "the mapping", &n);
	if (ret)
		goto out;
	if (ev_count(o.e, MMAPLAB_EV_MPROTECT) > 1)
		dm_say("(->mprotect ran %zu times for one VMA: after the merge attempt gave up,\n"
		       "mprotect() visited the same VMA again; the later calls change nothing.)",
		       ev_count(o.e, MMAPLAB_EV_MPROTECT));
	dm_claim("lab_stays_split", n == 3 && o.a.vma_closes == o.b.vma_closes,
		 "the lab mapping stays three VMAs; no VMA was closed");

	dm_step("The same with anonymous memory",
		"3 pages of MAP_PRIVATE | MAP_ANONYMOUS: PROT_READ on the middle page,\n"
		"then read-write again.  Anonymous VMAs have no ->close.");
	q = dm_map(3 * PAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (q == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	if (mprotect(q + PAGE, PAGE, PROT_READ)) {
		ret = dm_fail("mprotect");
		goto out;
	}
	n = dm_nr_vmas(q, 3 * PAGE);
	dm_maps("after PROT_READ", q, 3 * PAGE);
	if (mprotect(q + PAGE, PAGE, PROT_READ | PROT_WRITE)) {
		ret = dm_fail("mprotect");
		goto out;
	}
	n2 = dm_nr_vmas(q, 3 * PAGE);
	dm_maps("after PROT_READ | PROT_WRITE", q, 3 * PAGE);
	dm_claim("anon_splits_in_three", n == 3, "the anonymous mapping became three VMAs");
	dm_claim("anon_merges_back", n2 == 1, "and merged back into one");
	munmap(q, 3 * PAGE);
	q = MAP_FAILED;

	dm_step("Growing the read-only part: a merge that removes nothing",
		"Map the object afresh and make page 2 read-only (two VMAs), then page\n"
		"1 too.  Page 1 can join the read-only VMA by moving the boundary\n"
		"between the two; no VMA has to go.  6.12 and 7.x do that even for\n"
		"VMAs with a ->close; 6.1 cuts a third VMA instead.");
	ret = sm_map(&o, &p);
	if (ret)
		goto out;
	if (mprotect(p + 2 * PAGE, PAGE, PROT_READ)) {
		ret = dm_fail("mprotect");
		goto out;
	}
	dm_maps("page 2 read-only", p, 3 * PAGE);
	ret = watch_begin(&o, true);
	if (!ret)
		ret = sm_cut(&o, p, p + PAGE, PROT_READ, "pages 1 and 2 read-only", &n);
	if (ret)
		goto out;
	moved = n == 2 && o.a.vma_opens == o.b.vma_opens && o.a.may_splits == o.b.may_splits;
	split = n == 3 && o.a.vma_opens == o.b.vma_opens + 1 &&
		o.a.may_splits == o.b.may_splits + 1;
	dm_say("This kernel (%s) %s.", dm_kernel_release(),
	       moved ? "moved the boundary: still two VMAs, no ->open" :
	       split ? "cut a third VMA: one more ->may_split and ->open" :
	       "did something else");
	dm_claim("boundary_moved_or_split", moved || split,
		 "the kernel moved the boundary or cut once more, as the counters say");
	dm_claim("no_vma_closed",
		 o.a.vma_closes == o.b.vma_closes && o.a.vmas_live == (uint64_t)n,
		 "no VMA was removed; the module counts as many live VMAs as maps shows");

	dm_step("munmap() of the middle page of a fresh mapping",
		"Map the object once more (one VMA) and unmap page 1: the kernel cuts\n"
		"the VMA twice, as for mprotect, then closes the middle piece.");
	ret = sm_map(&o, &p);
	if (!ret)
		ret = watch_begin(&o, true);
	if (!ret)
		ret = sm_cut(&o, p, p + PAGE, -1, "the mapping", &n);
	if (ret)
		goto out;
	c = NULL;
	for (size_t i = 0; i < o.e->n; i++)
		if (o.e->ev[i].event == MMAPLAB_EV_CLOSE)
			c = &o.e->ev[i];
	dm_claim("munmap_leaves_two", n == 2, "two VMAs are left");
	dm_claim("munmap_closes_the_piece",
		 o.a.vma_closes == o.b.vma_closes + 1 && o.a.vma_opens == o.b.vma_opens + 2 &&
		 ev_count(o.e, MMAPLAB_EV_CLOSE) == 1 && c &&
		 c->vma_start == (uintptr_t)p + PAGE && c->vma_end == (uintptr_t)p + 2 * PAGE,
		 "the module's ->close ran once, for the unmapped page's VMA");

	dm_lesson("A VMA has one protection: changing part of it cuts it, and the\n"
		  "driver hears of each cut (->may_split, ->open) and of each piece that\n"
		  "goes (->close).  The kernel never merges away a VMA with a ->close, so\n"
		  "a driver's mapping stays cut where anonymous memory merges back.");
out:
	dm_unmap(q, 3 * PAGE);
	dm_unmap(p, 3 * PAGE);
	ev_free(o.e);
	close(o.fd);
	return ret;
}
