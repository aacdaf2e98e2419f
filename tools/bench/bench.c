// SPDX-License-Identifier: GPL-2.0
/*
 * mmaplab-bench - what mmaplab costs, measured against the kernel's own
 * equivalent in the same run.  Absolute times under software emulation
 * mean little; the ratios are the result.
 *
 *	mmaplab-bench [--json] [--reps N] [--mib N] [--smoke] [FIGURE...]
 *
 * Each figure runs both sides --reps times (default 5) and prints the
 * median of each, their ratio (reference / mmaplab: above 1 means mmaplab
 * is faster) and the spread (max/min - 1 of the mmaplab side).  --smoke
 * runs every figure once on a small size, to keep it building and running
 * (make check); it asserts nothing about time.
 *
 * Figures (Documentation/performance.rst):
 *   inspect   MMAPLAB_IOC_INSPECT over a populated range vs reading the
 *             same pages' /proc/self/pagemap and /proc/kpageflags entries
 *             (root), and vs PAGEMAP_SCAN where the kernel has it (6.7+)
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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>
#include <linux/mmaplab.h>

/* PAGEMAP_SCAN (6.7): declared here for older build hosts' headers. */
#ifndef PAGEMAP_SCAN
#define PAGEMAP_SCAN	_IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT	(1 << 4)
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
static bool json, smoke;
static long page_size;

struct result {
	const char *figure, *mmaplab, *reference, *unit, *note;
	double ours, theirs, spread;	/* medians; NAN/negative: none */
	bool skipped;
};

static struct result results[32];
static int nr_results;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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

static void skip(const char *figure, const char *ours, const char *theirs,
		 const char *why)
{
	struct result *r = &results[nr_results++];

	*r = (struct result){ .figure = figure, .mmaplab = ours,
			      .reference = theirs, .note = why,
			      .skipped = true };
}

/* ---- inspect ----------------------------------------------------------- */

static double time_inspect(int lab, char *p, size_t len,
			   struct mmaplab_inspect_vma *vmas,
			   struct mmaplab_inspect_page *pages, size_t *seen)
{
	uint64_t start = (uintptr_t)p, end = start + len;
	double t0 = now();

	*seen = 0;
	while (start < end) {
		struct mmaplab_inspect a = {
			.size = sizeof(a), .target_fd = -1,
			.start = start, .end = end,
			.vmas = (uintptr_t)vmas, .vma_size = sizeof(*vmas),
			.nr_vmas = 16,
			.pages = (uintptr_t)pages, .page_size = sizeof(*pages),
			.nr_pages = 8192,
		};

		if (ioctl(lab, MMAPLAB_IOC_INSPECT, &a))
			return -1;
		*seen += a.nr_pages;
		start = a.walk_end;
	}
	return now() - t0;
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

static double time_scan(int pm, char *p, size_t len, struct page_region *vec,
			size_t nvec)
{
	struct pm_scan_arg a = {
		.size = sizeof(a), .start = (uintptr_t)p,
		.end = (uintptr_t)p + len, .vec = (uintptr_t)vec,
		.vec_len = nvec, .category_mask = PAGE_IS_PRESENT,
		.return_mask = PAGE_IS_PRESENT,
	};
	double t0 = now();

	while (a.start < a.end) {
		if (ioctl(pm, PAGEMAP_SCAN, &a) < 0)
			return -1;
		a.start = a.walk_end;
	}
	return now() - t0;
}

static int figure_inspect(int lab)
{
	size_t len = (smoke ? 4 : mib) << 20, n = len / page_size, seen, i;
	struct mmaplab_inspect_page *pages = calloc(8192, sizeof(*pages));
	struct mmaplab_inspect_vma vmas[16];
	double o[64], t[64], s[64];
	struct page_region *vec;
	uint64_t *ents;
	int pm, kpf, r;
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

	for (r = 0; r < reps; r++) {
		o[r] = time_inspect(lab, p, len, vmas, pages, &seen);
		t[r] = time_pagemap(pm, kpf, p, len, ents);
		s[r] = time_scan(pm, p, len, vec, 1024);
		if (o[r] < 0 || t[r] < 0 || seen != n) {
			fprintf(stderr, "mmaplab-bench: inspect: %s\n",
				strerror(errno));
			return 1;
		}
	}
	add("inspect", "INSPECT, all facts",
	    kpf >= 0 ? "pagemap + kpageflags" : "pagemap (no kpageflags: not root)",
	    o, t, reps, NULL);
	if (s[0] < 0)
		skip("inspect", "INSPECT, all facts", "PAGEMAP_SCAN",
		     "the kernel has no PAGEMAP_SCAN (6.7+)");
	else
		add("inspect", "INSPECT, all facts", "PAGEMAP_SCAN, present only",
		    o, s, reps, NULL);
	munmap(p, len);
	free(ents);
	free(vec);
	free(pages);
	close(pm);
	if (kpf >= 0)
		close(kpf);
	return 0;
}

/* ---- output ------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*run)(int lab);
} figures[] = {
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

			printf("%s{\"figure\":\"%s\",\"mmaplab\":\"%s\",\"reference\":\"%s\"",
			       i ? "," : "", r->figure, r->mmaplab, r->reference);
			if (r->skipped)
				printf(",\"skipped\":\"%s\"}", r->note);
			else
				printf(",\"mmaplab_s\":%.6f,\"reference_s\":%.6f,\"ratio\":%.3f,\"spread\":%.3f}",
				       r->ours, r->theirs,
				       r->ours > 0 ? r->theirs / r->ours : 0,
				       r->spread);
		}
		printf("]}\n");
		return;
	}
	printf("%-9s %-22s %12s  %-34s %12s  %7s  %s\n", "figure", "mmaplab",
	       "median", "reference", "median", "ratio", "spread");
	for (i = 0; i < nr_results; i++) {
		const struct result *r = &results[i];

		if (r->skipped) {
			printf("%-9s %-22s %12s  %-34s %12s  %7s  (%s)\n",
			       r->figure, r->mmaplab, "-", r->reference, "-",
			       "-", r->note);
			continue;
		}
		printf("%-9s %-22s %10.2fms  %-34s %10.2fms  %6.2fx  %5.1f%%\n",
		       r->figure, r->mmaplab, r->ours * 1e3, r->reference,
		       r->theirs * 1e3, r->ours > 0 ? r->theirs / r->ours : 0,
		       r->spread * 100);
	}
	printf("ratio: reference time / mmaplab time (above 1: mmaplab is faster); median of %d runs\n",
	       reps);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmaplab-bench [--json] [--reps N] [--mib N] [--smoke] [FIGURE...]\n"
		"Measure mmaplab against the kernel's own equivalent, in the same run.\n"
		"  -j, --json    one JSON object\n"
		"  -r, --reps N  repetitions of each side (default 5, at most 64)\n"
		"  -m, --mib N   size of the populated range (default 256)\n"
		"  -s, --smoke   each figure once, small: that it runs, not how fast\n"
		"figures: inspect\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "reps", required_argument, NULL, 'r' },
		{ "mib", required_argument, NULL, 'm' },
		{ "smoke", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	unsigned int i;
	int c, lab, ret = 0;
	bool any;

	page_size = sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "jr:m:sh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'r': reps = atoi(optarg); break;
		case 'm': mib = strtoul(optarg, NULL, 0); break;
		case 's': smoke = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (reps < 1 || reps > 64 || !mib || mib > 4096) {
		usage(stderr);
		return 2;
	}
	if (smoke)
		reps = 1;
	lab = open(MMAPLAB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (lab < 0) {
		fprintf(stderr, "mmaplab-bench: %s: %s (is mmaplab.ko loaded?)\n",
			MMAPLAB_DEVICE_PATH, strerror(errno));
		return 1;
	}
	for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
		any = optind == argc;
		for (c = optind; c < argc; c++)
			any |= !strcmp(argv[c], figures[i].name);
		if (any)
			ret |= figures[i].run(lab);
	}
	print();
	return ret;
}
