// SPDX-License-Identifier: GPL-2.0
/*
 * mmaplab-bench - what mmaplab costs, measured against the kernel's own
 * equivalent in the same run.  Absolute times under software emulation
 * mean little; the ratios are the result.
 *
 *	mmaplab-bench [--json] [--reps N] [--mib N] [--smoke] [FIGURE...]
 *	mmaplab-bench --only SIDE [--perf-ctl CTL,ACK] [--reps N] around|inspect
 *
 * Each figure runs both sides --reps times (default 5) and prints the
 * median of each, their ratio (reference / mmaplab: above 1 means mmaplab
 * is faster) and the spread (max/min - 1 of the mmaplab side).  --smoke
 * runs every figure once on a small size, to keep it building and running
 * (make check); it asserts nothing about time.
 *
 * Figures (Documentation/performance.rst):
 *   fault     first-touch read and write faults over a range, each backing
 *             against the kernel's own equivalent (tmpfs, /dev/zero)
 *   around    read faults over resident pages with fault-around on and
 *             off, and tmpfs's own fault-around
 *   uffd      supplying a page on first touch: the module's ->fault vs
 *             userfaultfd MISSING + UFFDIO_COPY from a handler thread
 *   events    faults with events numbered and traced but nobody listening
 *             vs the module's events=0, and the events a monitor
 *             (mmaplab monitor --json) receives per second, and loses
 *   scaling   2 threads faulting one object and two objects vs 1 thread;
 *             the cost per page from 16 MiB to --max-mib
 *   inspect   MMAPLAB_IOC_INSPECT over a populated range vs reading the
 *             same pages' /proc/self/pagemap and /proc/kpageflags entries
 *             (root), and vs PAGEMAP_SCAN where the kernel has it (6.7+),
 *             with a record per page and with a record per run (RUNS)
 *
 * --only mmaplab or --only reference runs one side of the figures that
 * miss a target (around: fault-around against tmpfs; inspect: INSPECT
 * with RUNS and NO_PFN against PAGEMAP_SCAN asked for every category), to
 * profile it: with --perf-ctl, the control FIFOs of "perf record
 * --control fifo:CTL,ACK -D -1", profiling is on only while a timed
 * section of that side runs (tools/profile).
 *
 * A figure is a function filling struct figure rows; adding one is a
 * function and a line in figures[].
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>
#include <linux/mmaplab.h>
#include <linux/userfaultfd.h>

/* PAGEMAP_SCAN (6.7): declared here for older build hosts' headers. */
#ifndef PAGEMAP_SCAN
#define PAGEMAP_SCAN	_IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_WPALLOWED	(1 << 0)
#define PAGE_IS_WRITTEN		(1 << 1)
#define PAGE_IS_FILE		(1 << 2)
#define PAGE_IS_PRESENT		(1 << 3)
#define PAGE_IS_SWAPPED		(1 << 4)
#define PAGE_IS_PFNZERO		(1 << 5)
#define PAGE_IS_HUGE		(1 << 6)
#define PAGE_IS_SOFT_DIRTY	(1 << 7)
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len;
	uint64_t max_pages, category_inverted, category_mask;
	uint64_t category_anyof_mask, return_mask;
};
#endif

static int reps = 5;
static size_t mib = 256;
static size_t fault_mib = 64, max_mib = 256;
static bool json, smoke;
static long page_size;

/* --only: both sides, or one of them (to profile it). */
enum { BOTH, ONLY_MMAPLAB, ONLY_REFERENCE } only = BOTH;
/* --perf-ctl: perf record's control and acknowledgement FIFOs, or -1. */
static int perf_ctl = -1, perf_ack = -1;

struct result {
	const char *figure, *mmaplab, *reference, *unit, *note;
	double ours, theirs, spread;	/* medians; NAN/negative: none */
	bool skipped;
	bool one_side;		/* --only: theirs holds nothing */
};

static struct result results[32];

static long param(const char *name, long set);
static int nr_results;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Turn perf's sampling on or off (its control FIFO) and wait for it to
 * say it did; nothing without --perf-ctl.
 */
static void perf_switch(const char *cmd)
{
	char ack[16];

	if (perf_ctl < 0)
		return;
	if (write(perf_ctl, cmd, strlen(cmd)) < 0)
		return;
	if (perf_ack >= 0 && read(perf_ack, ack, sizeof(ack)) < 0)
		return;
}

/*
 * A timed section: with @profiled (a side that --only chose, not its
 * set-up), perf samples only inside it.
 */
static double timer_begin(bool profiled)
{
	if (profiled)
		perf_switch("enable\n");
	return now();
}

static double timer_end(double t0, bool profiled)
{
	double t = now() - t0;

	if (profiled)
		perf_switch("disable\n");
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void add(const char *figure, const char *ours, const char *theirs,
		double *o, double *t, int n, const char *note)
{
	struct result *r = &results[nr_results++];
	double lo, hi;

	r->figure = figure;
	r->mmaplab = ours;
	r->reference = theirs;
	r->unit = "s";
	r->note = note;
	r->skipped = !t;
	r->ours = median(o, n);
	lo = o[0];
	hi = o[n - 1];
	r->spread = lo > 0 ? hi / lo - 1 : 0;
	r->theirs = t ? median(t, n) : 0;
}

/* One side's median alone (--only): no reference, no ratio. */
static void add_one(const char *figure, const char *side, double *v, int n)
{
	add(figure, side, "-", v, v, n, NULL);
	results[nr_results - 1].one_side = true;
}

static void skip(const char *figure, const char *ours, const char *theirs,
		 const char *why)
{
	struct result *r = &results[nr_results++];

	*r = (struct result){ .figure = figure, .mmaplab = ours,
			      .reference = theirs, .note = why,
			      .skipped = true };
}

/* ---- inspect ----------------------------------------------------------- */

/* INSPECT of [p, p + len) with @flags; *@seen: the pages reported. */
static double time_inspect(int lab, char *p, size_t len, uint32_t flags,
			   struct mmaplab_inspect_vma *vmas,
			   struct mmaplab_inspect_page *pages, size_t *seen)
{
	uint64_t start = (uintptr_t)p, end = start + len;
	double t0 = timer_begin(only != BOTH);

	*seen = 0;
	while (start < end) {
		struct mmaplab_inspect a = {
			.size = sizeof(a), .flags = flags, .target_fd = -1,
			.start = start, .end = end,
			.vmas = (uintptr_t)vmas, .vma_size = sizeof(*vmas),
			.nr_vmas = 16,
			.pages = (uintptr_t)pages, .page_size = sizeof(*pages),
			.nr_pages = 8192,
		};

		if (ioctl(lab, MMAPLAB_IOC_INSPECT, &a)) {
			timer_end(t0, only != BOTH);
			return -1;
		}
		for (uint32_t i = 0; i < a.nr_pages; i++)
			*seen += pages[i].nr;
		start = a.walk_end;
	}
	return timer_end(t0, only != BOTH);
}

/* The same facts the hard way: pagemap, then kpageflags per PFN. */
static double time_pagemap(int pm, int kpf, char *p, size_t len,
			   uint64_t *ents)
{
	size_t n = len / page_size, i;
	uint64_t flags;
	double t0 = now();

	if (pread(pm, ents, n * 8, (uintptr_t)p / page_size * 8) != (ssize_t)(n * 8))
		return -1;
	for (i = 0; kpf >= 0 && i < n; i++) {
		uint64_t pfn = ents[i] & ((1ULL << 55) - 1);

		if ((ents[i] >> 63) && pfn &&
		    pread(kpf, &flags, 8, pfn * 8) != 8)
			return -1;
	}
	return now() - t0;
}

/* Every category PAGEMAP_SCAN knows (6.7). */
#define SCAN_ALL	(PAGE_IS_WPALLOWED | PAGE_IS_WRITTEN | PAGE_IS_FILE | \
			 PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_PFNZERO | \
			 PAGE_IS_HUGE | PAGE_IS_SOFT_DIRTY)

/*
 * PAGEMAP_SCAN of [p, p + len): the present pages (@all false), or every
 * page with every category it knows (@all); *@present: the pages the
 * regions it returned say are present.
 */
static double time_scan(int pm, char *p, size_t len, bool all,
			struct page_region *vec, size_t nvec, size_t *present)
{
	struct pm_scan_arg a = {
		.size = sizeof(a), .start = (uintptr_t)p,
		.end = (uintptr_t)p + len, .vec = (uintptr_t)vec,
		.vec_len = nvec,
		.category_mask = all ? 0 : PAGE_IS_PRESENT,
		.return_mask = all ? SCAN_ALL : PAGE_IS_PRESENT,
	};
	double t0 = timer_begin(only != BOTH), t;
	long n;

	*present = 0;
	while (a.start < a.end) {
		n = ioctl(pm, PAGEMAP_SCAN, &a);
		if (n < 0) {
			timer_end(t0, only != BOTH);
			return -1;
		}
		t = now();
		for (long i = 0; i < n; i++)
			if (vec[i].categories & PAGE_IS_PRESENT)
				*present += (vec[i].end - vec[i].start) / page_size;
		t0 += now() - t;	/* counting is not the scan's cost */
		a.start = a.walk_end;
	}
	return timer_end(t0, only != BOTH);
}

/*
 * --only: INSPECT with RUNS and NO_PFN, or PAGEMAP_SCAN asked for every
 * category, over the populated range [p, p + len).
 */
static int inspect_one_side(int lab, char *p, size_t len, int pm,
			    struct page_region *vec,
			    struct mmaplab_inspect_vma *vmas,
			    struct mmaplab_inspect_page *pages)
{
	size_t n = len / page_size, seen;
	double v[64];
	int r;

	for (r = 0; r < reps; r++) {
		if (only == ONLY_MMAPLAB)
			v[r] = time_inspect(lab, p, len, MMAPLAB_INSPECT_RUNS |
					    MMAPLAB_INSPECT_NO_PFN, vmas, pages,
					    &seen);
		else
			v[r] = time_scan(pm, p, len, true, vec, 1024, &seen);
		if (v[r] < 0 && only == ONLY_REFERENCE && errno == ENOTTY) {
			skip("inspect", "PAGEMAP_SCAN, every category", "-",
			     "the kernel has no PAGEMAP_SCAN (6.7+)");
			return 0;
		}
		if (v[r] < 0 || seen != n) {
			fprintf(stderr,
				"mmaplab-bench: inspect: %s; of %zu present pages %zu seen\n",
				strerror(errno), n, seen);
			return 1;
		}
	}
	if (only == ONLY_MMAPLAB)
		add_one("inspect", "INSPECT runs, no frames", v, reps);
	else
		add_one("inspect", "PAGEMAP_SCAN, every category", v, reps);
	return 0;
}

static int figure_inspect(int lab)
{
	size_t len = (smoke ? 4 : mib) << 20, n = len / page_size, seen, i;
	struct mmaplab_inspect_page *pages = calloc(8192, sizeof(*pages));
	struct mmaplab_inspect_vma vmas[16];
	double o[64], t[64], s[64], u[64], w[64];
	size_t seen_runs, scanned, scanned_all;
	struct page_region *vec;
	uint64_t *ents;
	int pm, kpf, r, ret = 0;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ents = calloc(n, 8);
	vec = calloc(1024, sizeof(*vec));
	pm = open("/proc/self/pagemap", O_RDONLY);
	kpf = open("/proc/kpageflags", O_RDONLY);
	if (p == MAP_FAILED || !ents || !vec || !pages || pm < 0) {
		fprintf(stderr, "mmaplab-bench: inspect: setting up: %s\n",
			strerror(errno));
		return 1;
	}
	madvise(p, len, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++)
		p[i * page_size] = 1;

	if (only != BOTH) {
		ret = inspect_one_side(lab, p, len, pm, vec, vmas, pages);
		goto out;
	}
	for (r = 0; r < reps; r++) {
		o[r] = time_inspect(lab, p, len, 0, vmas, pages, &seen);
		u[r] = time_inspect(lab, p, len, MMAPLAB_INSPECT_RUNS |
				    MMAPLAB_INSPECT_NO_PFN, vmas, pages,
				    &seen_runs);
		t[r] = time_pagemap(pm, kpf, p, len, ents);
		s[r] = time_scan(pm, p, len, false, vec, 1024, &scanned);
		w[r] = time_scan(pm, p, len, true, vec, 1024, &scanned_all);
		if (o[r] < 0 || u[r] < 0 || t[r] < 0 || seen != n ||
		    seen_runs != n ||
		    (s[r] >= 0 && (scanned != n || scanned_all != n))) {
			fprintf(stderr,
				"mmaplab-bench: inspect: %s; of %zu present pages INSPECT saw %zu, with runs %zu, PAGEMAP_SCAN %zu, every category %zu\n",
				strerror(errno), n, seen, seen_runs, scanned,
				scanned_all);
			return 1;
		}
	}
	add("inspect", "INSPECT, all facts",
	    kpf >= 0 ? "pagemap + kpageflags" : "pagemap (no kpageflags: not root)",
	    o, t, reps, NULL);
	if (s[0] < 0) {
		skip("inspect", "INSPECT, all facts", "PAGEMAP_SCAN",
		     "the kernel has no PAGEMAP_SCAN (6.7+)");
		skip("inspect", "INSPECT runs, no frames", "PAGEMAP_SCAN",
		     "the kernel has no PAGEMAP_SCAN (6.7+)");
	} else {
		add("inspect", "INSPECT, all facts", "PAGEMAP_SCAN, present only",
		    o, s, reps, NULL);
		add("inspect", "INSPECT runs, no frames",
		    "PAGEMAP_SCAN, present only", u, s, reps, NULL);
		add("inspect", "INSPECT runs, no frames",
		    "PAGEMAP_SCAN, every category", u, w, reps, NULL);
	}
out:
	munmap(p, len);
	free(ents);
	free(vec);
	free(pages);
	close(pm);
	if (kpf >= 0)
		close(kpf);
	return ret;
}

/* ---- mappings to fault on ------------------------------------------- */

/* A lab object of @len bytes (backing, flags), or -1. */
static int lab_object(uint32_t backing, uint32_t flags, size_t len)
{
	struct mmaplab_config cfg = {
		.size = sizeof(cfg), .flags = flags,
		.nr_pages = len / page_size, .backing = backing,
	};
	int fd = open(MMAPLAB_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd >= 0 && ioctl(fd, MMAPLAB_IOC_CONFIGURE, &cfg)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A tmpfs file of @len bytes (memfd), or -1. */
static int tmpfs_file(size_t len)
{
	int fd = memfd_create("mmaplab-bench", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, len)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Touch every page of a new mapping of @fd; seconds, or -1.  With --only
 * (the around figure), the reads are the side's timed section and the
 * writes that fill the object or file are its set-up.
 */
static double touch(int fd, size_t len, int flags, bool write)
{
	bool profiled = only != BOTH && !write;
	volatile char *p;
	double t0;
	size_t i;
	char c = 0;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	t0 = timer_begin(profiled);
	for (i = 0; i < len; i += page_size) {
		if (write)
			p[i] = 1;
		else
			c += p[i];
	}
	t0 = timer_end(t0, profiled);
	munmap((void *)p, len);
	(void)c;
	return t0;
}

struct side {
	int kind;		/* 0: lab object, 1: tmpfs file, 2: /dev/zero */
	uint32_t backing, flags;
	int map;		/* MAP_SHARED or MAP_PRIVATE */
};

static int side_open(const struct side *s, size_t len)
{
	if (s->kind == 0)
		return lab_object(s->backing, s->flags, len);
	if (s->kind == 1)
		return tmpfs_file(len);
	return open("/dev/zero", O_RDWR | O_CLOEXEC);
}

/* A fresh file or object each run, so every touch is a first touch. */
static double run_side(const struct side *s, size_t len, bool write)
{
	int fd = side_open(s, len);
	double t;

	if (fd < 0)
		return -1;
	t = touch(fd, len, s->map, write);
	close(fd);
	return t;
}

/* ---- fault -------------------------------------------------------------- */

static int figure_fault(int lab)
{
	static const struct {
		const char *ours, *theirs;
		struct side a, b;
		bool write;
	} cases[] = {
		{ "pages shared, read", "tmpfs shared, read",
		  { 0, MMAPLAB_BACKING_PAGES, 0, MAP_SHARED },
		  { 1, 0, 0, MAP_SHARED }, false },
		{ "pages shared, write", "tmpfs shared, write",
		  { 0, MMAPLAB_BACKING_PAGES, 0, MAP_SHARED },
		  { 1, 0, 0, MAP_SHARED }, true },
		{ "shmem shared, write", "tmpfs shared, write",
		  { 0, MMAPLAB_BACKING_SHMEM, 0, MAP_SHARED },
		  { 1, 0, 0, MAP_SHARED }, true },
		{ "zero private, write", "/dev/zero private, write",
		  { 0, MMAPLAB_BACKING_ZERO, 0, MAP_PRIVATE },
		  { 2, 0, 0, MAP_PRIVATE }, true },
		{ "zero shared, write", "/dev/zero shared, write",
		  { 0, MMAPLAB_BACKING_ZERO, 0, MAP_SHARED },
		  { 2, 0, 0, MAP_SHARED }, true },
		{ "pages private, COW", "tmpfs private, COW",
		  { 0, MMAPLAB_BACKING_PAGES, 0, MAP_PRIVATE },
		  { 1, 0, 0, MAP_PRIVATE }, true },
		{ "pfn shared, write", "tmpfs shared, write",
		  { 0, MMAPLAB_BACKING_PFN, 0, MAP_SHARED },
		  { 1, 0, 0, MAP_SHARED }, true },
	};
	size_t len = (smoke ? 4 : fault_mib) << 20;
	double o[64], t[64];
	unsigned int c;
	int r;

	(void)lab;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (r = 0; r < reps; r++) {
			o[r] = run_side(&cases[c].a, len, cases[c].write);
			t[r] = run_side(&cases[c].b, len, cases[c].write);
			if (o[r] < 0 || t[r] < 0) {
				fprintf(stderr, "mmaplab-bench: fault: %s: %s\n",
					cases[c].ours, strerror(errno));
				return 1;
			}
		}
		add("fault", cases[c].ours, cases[c].theirs, o, t, reps, NULL);
	}
	return 0;
}

/* ---- around ------------------------------------------------------------- */

/*
 * Read faults over pages that are already resident: fill the object or
 * file through one mapping, then time reading it through a new one.
 * Reports time; the fault counts go in the note.
 */
static double reread(int fd, size_t len, int flags)
{
	double t;

	if (touch(fd, len, flags, true) < 0)
		return -1;
	t = touch(fd, len, flags, false);
	return t;
}

static int figure_around(int lab)
{
	size_t len = (smoke ? 4 : fault_mib) << 20;
	double on[64], off[64], tmpfs[64];
	unsigned long long f_on = 0, f_off = 0;
	struct mmaplab_stats st;
	static char note[160];
	int r, fd;

	(void)lab;
	if (only != BOTH) {
		for (r = 0; r < reps; r++) {
			fd = only == ONLY_MMAPLAB ?
			     lab_object(MMAPLAB_BACKING_PAGES,
					MMAPLAB_CONFIG_FAULT_AROUND, len) :
			     tmpfs_file(len);
			on[r] = fd < 0 ? -1 : reread(fd, len, MAP_SHARED);
			if (fd >= 0)
				close(fd);
			if (on[r] < 0) {
				fprintf(stderr, "mmaplab-bench: around: %s\n",
					strerror(errno));
				return 1;
			}
		}
		add_one("around", only == ONLY_MMAPLAB ? "pages, fault-around" :
			"tmpfs (its fault-around)", on, reps);
		return 0;
	}
	for (r = 0; r < reps; r++) {
		fd = lab_object(MMAPLAB_BACKING_PAGES,
				MMAPLAB_CONFIG_FAULT_AROUND, len);
		on[r] = fd < 0 ? -1 : reread(fd, len, MAP_SHARED);
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		if (fd >= 0 && !ioctl(fd, MMAPLAB_IOC_STATS, &st))
			f_on = st.faults_read;
		if (fd >= 0)
			close(fd);
		fd = lab_object(MMAPLAB_BACKING_PAGES, 0, len);
		off[r] = fd < 0 ? -1 : reread(fd, len, MAP_SHARED);
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		if (fd >= 0 && !ioctl(fd, MMAPLAB_IOC_STATS, &st))
			f_off = st.faults_read;
		if (fd >= 0)
			close(fd);
		fd = tmpfs_file(len);
		tmpfs[r] = fd < 0 ? -1 : reread(fd, len, MAP_SHARED);
		if (fd >= 0)
			close(fd);
		if (on[r] < 0 || off[r] < 0 || tmpfs[r] < 0) {
			fprintf(stderr, "mmaplab-bench: around: %s\n",
				strerror(errno));
			return 1;
		}
	}
	snprintf(note, sizeof(note), "read faults: %llu with fault-around, %llu without",
		 f_on, f_off);
	add("around", "pages, fault-around", "pages, without", on, off, reps,
	    note);
	add("around", "pages, fault-around", "tmpfs (its fault-around)", on,
	    tmpfs, reps, NULL);
	return 0;
}

/* ---- uffd --------------------------------------------------------------- */

struct uffd_server {
	int uffd;
	char *page;		/* what every fault gets */
	volatile bool stop;
};

static void *uffd_serve(void *arg)
{
	struct uffd_server *s = arg;
	struct pollfd pfd = { .fd = s->uffd, .events = POLLIN };
	struct uffd_msg msg;
	struct uffdio_copy copy;

	while (!s->stop) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (read(s->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		copy = (struct uffdio_copy){
			.dst = msg.arg.pagefault.address & ~(page_size - 1),
			.src = (uintptr_t)s->page, .len = page_size,
		};
		ioctl(s->uffd, UFFDIO_COPY, &copy);
	}
	return NULL;
}

/* Touch every page of an anonymous range served by userfaultfd. */
static double uffd_touch(size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffd_server s = { };
	struct uffdio_register reg;
	volatile char *p;
	pthread_t t;
	double t0;
	size_t i;
	char c = 0;

	s.uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (s.uffd < 0 || ioctl(s.uffd, UFFDIO_API, &api))
		return -1;
	s.page = aligned_alloc(page_size, page_size);
	memset(s.page, 0, page_size);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	reg = (struct uffdio_register){
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	if (ioctl(s.uffd, UFFDIO_REGISTER, &reg) ||
	    pthread_create(&t, NULL, uffd_serve, &s))
		return -1;
	t0 = now();
	for (i = 0; i < len; i += page_size)
		c += p[i];
	t0 = now() - t0;
	s.stop = true;
	pthread_join(t, NULL);
	munmap((void *)p, len);
	close(s.uffd);
	free(s.page);
	(void)c;
	return t0;
}

static int figure_uffd(int lab)
{
	size_t len = (smoke ? 4 : fault_mib / 4) << 20;
	struct side pages = { 0, MMAPLAB_BACKING_PAGES, 0, MAP_SHARED };
	double o[64], t[64];
	int r;

	(void)lab;
	for (r = 0; r < reps; r++) {
		o[r] = run_side(&pages, len, false);
		t[r] = uffd_touch(len);
		if (t[r] < 0) {
			skip("uffd", "pages ->fault", "userfaultfd + UFFDIO_COPY",
			     "userfaultfd is not available here");
			return 0;
		}
	}
	add("uffd", "pages ->fault", "userfaultfd + UFFDIO_COPY", o, t, reps,
	    NULL);
	return 0;
}

/* ---- events ------------------------------------------------------------- */

/*
 * A monitor in a child: "mmaplab monitor --json --no-dump", its lines
 * counted by the caller through a pipe.
 */
static pid_t monitor_start(int *out)
{
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		execlp("mmaplab", "mmaplab", "--json", "monitor", "--no-dump",
		       (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	*out = pfd[0];
	return pid;
}

/*
 * The monitor's output: event lines, and the events its "lost" lines
 * say were skipped ({"type":"lost",...,"events":N}).
 */
static void count_lines(char *buf, unsigned long *events, unsigned long *lost)
{
	char *line, *next, *p;

	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (strstr(line, "\"type\":\"event\""))
			(*events)++;
		else if (strstr(line, "\"type\":\"lost\"") &&
			 (p = strstr(line, "\"events\":")))
			*lost += strtoul(p + 9, NULL, 10);
	}
}

/* Drains the monitor's output as it comes, so that it never blocks. */
struct drain {
	int fd;
	char *buf;
	size_t len, room;
	_Atomic double last;	/* when output last came */
};

static void *drain_run(void *arg)
{
	struct drain *d = arg;
	ssize_t n;

	for (;;) {
		if (d->len + 65536 > d->room) {
			d->room *= 2;
			d->buf = realloc(d->buf, d->room);
		}
		n = read(d->fd, d->buf + d->len, 65536);
		if (n <= 0)
			break;
		d->len += n;
		d->last = now();
	}
	return NULL;
}

/* Wait until the monitor printed nothing for a second; stop it; count. */
static void monitor_stop(pid_t pid, struct drain *d, pthread_t t,
			 unsigned long *events, unsigned long *lost)
{
	double t0 = now();

	while (now() - d->last < 1.0 &&
	       now() - t0 < 60)
		usleep(100000);
	kill(pid, SIGTERM);
	pthread_join(t, NULL);
	d->buf[d->len] = 0;
	*events = *lost = 0;
	count_lines(d->buf, events, lost);
	free(d->buf);
	close(d->fd);
	waitpid(pid, NULL, 0);
}

static int figure_events(int lab)
{
	struct side pages = { 0, MMAPLAB_BACKING_PAGES, 0, MAP_SHARED };
	size_t len = (smoke ? 4 : fault_mib) << 20;
	struct drain d = { 0 };
	unsigned long events, lost;
	double on[64], off[64], t, t0, drain;
	pthread_t th;
	static char note[200];
	long old = param("events", -1);
	int r;
	pid_t pid;

	(void)lab;
	if (old < 0 || param("events", 0) < 0) {
		skip("events", "faults, events on", "events=0",
		     "cannot switch the module's events parameter (not root?)");
		return 0;
	}
	for (r = 0; r < reps; r++) {
		param("events", 1);
		on[r] = run_side(&pages, len, true);
		param("events", 0);
		off[r] = run_side(&pages, len, true);
		if (on[r] < 0 || off[r] < 0) {
			param("events", old);
			fprintf(stderr, "mmaplab-bench: events: %s\n",
				strerror(errno));
			return 1;
		}
	}
	param("events", 1);
	add("events", "faults, nobody listening", "events=0 (same build)", on,
	    off, reps, NULL);

	/* With a monitor: every fault is an event it must receive. */
	pid = monitor_start(&d.fd);
	if (pid < 0) {
		param("events", old);
		return 1;
	}
	d.room = 1 << 20;
	d.buf = malloc(d.room);
	d.last = now();
	pthread_create(&th, NULL, drain_run, &d);
	usleep(300000);
	t0 = now();
	t = run_side(&pages, len, true);
	monitor_stop(pid, &d, th, &events, &lost);
	drain = d.last - t0;
	param("events", old);
	snprintf(note, sizeof(note),
		 "monitor: %lu events received (%.0f/s), %lu reported lost, for %zu faults",
		 events, drain > 0 ? events / drain : 0, lost,
		 len / page_size);
	on[0] = t;
	add("events", "faults, monitor attached", "events=0 (same build)", on,
	    off, 1, note);
	return 0;
}

/* ---- scaling ------------------------------------------------------------ */

struct toucher {
	volatile char *p;
	size_t len;
	double took;
};

static void *touch_half(void *arg)
{
	struct toucher *t = arg;
	double t0 = now();
	size_t i;

	for (i = 0; i < t->len; i += page_size)
		t->p[i] = 1;
	t->took = now() - t0;
	return NULL;
}

/*
 * Write faults over @len bytes by @threads threads: on one object (each
 * thread its half) or on one object each.  Returns the wall time.
 */
static double threaded(size_t len, int threads, bool separate)
{
	struct toucher tt[2];
	pthread_t th[2];
	int fd[2] = { -1, -1 }, i, n = separate ? threads : 1;
	char *p[2];
	double t0;

	for (i = 0; i < n; i++) {
		fd[i] = lab_object(MMAPLAB_BACKING_PAGES, 0,
				   separate ? len / threads : len);
		if (fd[i] < 0)
			return -1;
		p[i] = mmap(NULL, separate ? len / threads : len,
			    PROT_READ | PROT_WRITE, MAP_SHARED, fd[i], 0);
		if (p[i] == MAP_FAILED)
			return -1;
		madvise(p[i], separate ? len / threads : len, MADV_NOHUGEPAGE);
	}
	for (i = 0; i < threads; i++) {
		tt[i].len = len / threads;
		tt[i].p = separate ? p[i] : p[0] + i * (len / threads);
	}
	t0 = now();
	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, touch_half, &tt[i]);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	t0 = now() - t0;
	for (i = 0; i < n; i++) {
		munmap(p[i], separate ? len / threads : len);
		close(fd[i]);
	}
	return t0;
}

static int figure_scaling(int lab)
{
	size_t len = (smoke ? 4 : fault_mib) << 20, m;
	double one[64], two[64], sep[64], per_page[16];
	static char note[256];
	int r, k = 0, n;

	(void)lab;
	for (r = 0; r < reps; r++) {
		one[r] = threaded(len, 1, false);
		two[r] = threaded(len, 2, false);
		sep[r] = threaded(len, 2, true);
		if (one[r] < 0 || two[r] < 0 || sep[r] < 0) {
			fprintf(stderr, "mmaplab-bench: scaling: %s\n",
				strerror(errno));
			return 1;
		}
	}
	add("scaling", "2 threads, one object", "1 thread", two, one, reps,
	    "ratio: the speed-up of 2 threads (2.00 is perfect)");
	add("scaling", "2 threads, two objects", "1 thread", sep, one, reps,
	    NULL);

	/*
	 * Time per page from 16 MiB up: it must stay flat (linear cost), or
	 * grow no more than the kernel's own anonymous faults do in the same
	 * guest (page tables, zeroing, memory pressure grow for them too).
	 */
	n = snprintf(note, sizeof(note), "ns per page, pages (anonymous):");
	for (m = 16; m <= (smoke ? 16 : max_mib) && k < 16; m *= 4, k++) {
		struct side pages = { 0, MMAPLAB_BACKING_PAGES, 0, MAP_SHARED };
		struct side anon = { 2, 0, 0, MAP_PRIVATE };
		size_t np = (m << 20) / page_size;
		double tv[64], av[64], t, a;

		for (r = 0; r < reps; r++) {
			tv[r] = run_side(&pages, m << 20, true);
			av[r] = run_side(&anon, m << 20, true);
		}
		t = median(tv, reps);
		a = median(av, reps);
		if (tv[0] < 0 || av[0] < 0) {
			n += snprintf(note + n, sizeof(note) - n,
				      " %zu MiB: refused (raise max_pages)", m);
			break;
		}
		per_page[k] = t / np * 1e9;
		n += snprintf(note + n, sizeof(note) - n, " %zu MiB %.0f (%.0f)",
			      m, per_page[k], a / np * 1e9);
	}
	skip("scaling", "cost per page by size", "-", note);
	return 0;
}

/* ---- output ------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*run)(int lab);
} figures[] = {
	{ "fault", figure_fault },
	{ "around", figure_around },
	{ "uffd", figure_uffd },
	{ "events", figure_events },
	{ "scaling", figure_scaling },
	{ "inspect", figure_inspect },
};

static void print(void)
{
	int i;

	if (json) {
		printf("{\"reps\":%d,\"mib\":%zu,\"smoke\":%s,\"results\":[", reps,
		       mib, smoke ? "true" : "false");
		for (i = 0; i < nr_results; i++) {
			const struct result *r = &results[i];

			if (r->one_side) {
				printf("%s{\"figure\":\"%s\",\"side\":\"%s\",\"median_s\":%.6f,\"spread\":%.3f}",
				       i ? "," : "", r->figure, r->mmaplab,
				       r->ours, r->spread);
				continue;
			}
			printf("%s{\"figure\":\"%s\",\"mmaplab\":\"%s\",\"reference\":\"%s\"",
			       i ? "," : "", r->figure, r->mmaplab, r->reference);
			if (r->skipped)
				printf(",\"skipped\":\"%s\"}", r->note);
			else
				printf(",\"mmaplab_s\":%.6f,\"reference_s\":%.6f,\"ratio\":%.3f,\"spread\":%.3f%s%s%s}",
				       r->ours, r->theirs,
				       r->ours > 0 ? r->theirs / r->ours : 0,
				       r->spread, r->note ? ",\"note\":\"" : "",
				       r->note ? r->note : "",
				       r->note ? "\"" : "");
		}
		printf("]}\n");
		return;
	}
	printf("%-9s %-24s %10s  %-34s %12s  %7s  %s\n", "figure", "mmaplab",
	       "median", "reference", "median", "ratio", "spread");
	for (i = 0; i < nr_results; i++) {
		const struct result *r = &results[i];

		if (r->one_side) {
			printf("%-9s %-24s %8.2fms  %-34s %12s  %7s  %5.1f%%\n",
			       r->figure, r->mmaplab, r->ours * 1e3,
			       "(--only: this side alone)", "-", "-",
			       r->spread * 100);
			continue;
		}
		if (r->skipped) {
			printf("%-9s %-24s %10s  %-34s %12s  %7s  (%s)\n",
			       r->figure, r->mmaplab, "-", r->reference, "-",
			       "-", r->note);
			continue;
		}
		printf("%-9s %-24s %8.2fms  %-34s %10.2fms  %6.2fx  %5.1f%%\n",
		       r->figure, r->mmaplab, r->ours * 1e3, r->reference,
		       r->theirs * 1e3, r->ours > 0 ? r->theirs / r->ours : 0,
		       r->spread * 100);
		if (r->note)
			printf("%-9s   (%s)\n", "", r->note);
	}
	printf("ratio: reference time / mmaplab time (above 1: mmaplab is faster); median of %d runs\n",
	       reps);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmaplab-bench [--json] [--reps N] [--mib N] [--smoke] [FIGURE...]\n"
		"       mmaplab-bench --only SIDE [--perf-ctl CTL,ACK] [--reps N] around|inspect...\n"
		"Measure mmaplab against the kernel's own equivalent, in the same run.\n"
		"  -j, --json    one JSON object\n"
		"  -r, --reps N  repetitions of each side (default 5, at most 64)\n"
		"  -m, --mib N   size of the inspected range (default 256)\n"
		"  -f, --fault-mib N  size of the fault ranges (default 64)\n"
		"  -M, --max-mib N    largest size for the scaling figure (default 256;\n"
		"                the module's max_pages must allow it)\n"
		"  -s, --smoke   each figure once, small: that it runs, not how fast\n"
		"  -o, --only SIDE    mmaplab or reference: one side of the figures\n"
		"                around (fault-around vs tmpfs) and inspect (INSPECT\n"
		"                runs vs PAGEMAP_SCAN, every category), to profile it\n"
		"  -P, --perf-ctl CTL,ACK  with --only: the FIFOs of perf record\n"
		"                --control fifo:CTL,ACK -D -1; sampling is on only\n"
		"                while that side is timed (tools/profile)\n"
		"figures: fault around uffd events scaling inspect (default: all)\n");
}

/* A module parameter: read it, or set it (root); -1 if neither works. */
static long param(const char *name, long set)
{
	char path[128], buf[32];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/mmaplab/parameters/%s", name);
	f = fopen(path, set < 0 ? "r" : "w");
	if (!f)
		return -1;
	/* a bool parameter reads Y or N */
	if (set < 0 && fgets(buf, sizeof(buf), f))
		val = buf[0] == 'Y' ? 1 : buf[0] == 'N' ? 0 : atol(buf);
	else
		val = fprintf(f, "%ld\n", set) > 0 ? set : -1;
	if (fclose(f))
		val = -1;
	return val;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "reps", required_argument, NULL, 'r' },
		{ "mib", required_argument, NULL, 'm' },
		{ "smoke", no_argument, NULL, 's' },
		{ "fault-mib", required_argument, NULL, 'f' },
		{ "max-mib", required_argument, NULL, 'M' },
		{ "only", required_argument, NULL, 'o' },
		{ "perf-ctl", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	long old_max, old_total, want;
	bool any, raised = false;
	char *ctl = NULL, *ack;
	unsigned int i;
	int c, lab, ret = 0;

	page_size = sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "jr:m:f:M:so:P:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!strcmp(optarg, "mmaplab")) {
				only = ONLY_MMAPLAB;
			} else if (!strcmp(optarg, "reference")) {
				only = ONLY_REFERENCE;
			} else {
				usage(stderr);
				return 2;
			}
			break;
		case 'P': ctl = optarg; break;
		case 'j': json = true; break;
		case 'r': reps = atoi(optarg); break;
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 's': smoke = true; break;
		case 'f': fault_mib = strtoul(optarg, NULL, 0); break;
		case 'M': max_mib = strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (reps < 1 || reps > 64 || !mib || mib > 4096 || !fault_mib ||
	    fault_mib > 4096 || max_mib < 16 || max_mib > 4096) {
		usage(stderr);
		return 2;
	}
	/* --only: the figures named, each of them around or inspect. */
	for (c = optind; only != BOTH && c <= argc; c++)
		if (c == argc ? c == optind :
		    strcmp(argv[c], "around") && strcmp(argv[c], "inspect")) {
			fprintf(stderr, "mmaplab-bench: --only runs the figures around and inspect, named\n");
			return 2;
		}
	if (ctl && only == BOTH) {
		usage(stderr);
		return 2;
	}
	if (ctl) {
		ack = strchr(ctl, ',');
		if (ack)
			*ack++ = 0;
		perf_ctl = open(ctl, O_WRONLY | O_CLOEXEC);
		perf_ack = ack ? open(ack, O_RDONLY | O_CLOEXEC) : -1;
		if (perf_ctl < 0 || (ack && perf_ack < 0)) {
			fprintf(stderr, "mmaplab-bench: --perf-ctl %s: %s\n",
				ctl, strerror(errno));
			return 1;
		}
	}
	if (smoke)
		reps = 1;
	lab = open(MMAPLAB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (lab < 0) {
		fprintf(stderr, "mmaplab-bench: %s: %s (is mmaplab.ko loaded?)\n",
			MMAPLAB_DEVICE_PATH, strerror(errno));
		return 1;
	}
	/*
	 * Objects as large as the scaling figure asks for, for this run
	 * only (root; otherwise the figure says the size was refused).
	 */
	old_max = param("max_pages", -1);
	old_total = param("max_total_pages", -1);
	want = (long)((smoke ? 16 : max_mib) << 20) / page_size;
	if (old_max >= 0 && old_max < want && param("max_pages", want) > 0)
		raised = true;
	if (old_total >= 0 && old_total < 2 * want)
		param("max_total_pages", 2 * want);
	for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
		any = optind == argc;
		for (c = optind; c < argc; c++)
			any |= !strcmp(argv[c], figures[i].name);
		if (any)
			ret |= figures[i].run(lab);
	}
	if (raised)
		param("max_pages", old_max);
	if (old_total >= 0 && old_total < 2 * want)
		param("max_total_pages", old_total);
	print();
	return ret;
}
