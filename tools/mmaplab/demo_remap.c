// SPDX-License-Identifier: GPL-2.0
/*
 * demo_remap.c - the demos of topics 11 to 13: advice on a mapping
 * ("madvise": what MADV_DONTNEED, MADV_FREE, MADV_SEQUENTIAL and
 * MADV_RANDOM do to the pages and the VMA), changing a mapping in place
 * ("mremap": growing, moving, MREMAP_FIXED, MREMAP_DONTUNMAP, MAP_FIXED
 * over a mapping, remap_file_pages()) and the commit charge ("overcommit":
 * which mappings count in Committed_AS, and what each vm.overcommit_memory
 * mode refuses).  Owns their scenarios only: the talking is demo.c's
 * (demo.h).  "overcommit" changes /proc/sys/vm/overcommit_memory, as root
 * only, and puts it back on every way out, a fatal signal included.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif

#define PT_SPAN	((size_t)2 << 20)	/* what one page table maps (x86-64) */
#define MIB	((size_t)1 << 20)

/*
 * A new lab object of @pages pages with @backing and config @flags whose
 * page i starts with @c + i: its fd, or -1 with *@ret set (explained).
 */
static int object_filled(uint64_t pages, uint32_t backing, uint32_t flags,
			 unsigned char c, int *ret)
{
	int fd = dm_object_flags(pages, backing, flags, ret);

	if (fd < 0)
		return -1;
	*ret = dm_fill_object(fd, pages, c, 1);
	if (*ret) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * @len bytes of address space reserved PROT_NONE, starting at a page-table
 * boundary (so that a mapping put there with MAP_FIXED has one page table
 * of its own): the address, or MAP_FAILED.
 */
static void *reserve_aligned(size_t len)
{
	char *p = mmap(NULL, len + PT_SPAN, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return MAP_FAILED;
	a = (char *)(((uintptr_t)p + PT_SPAN - 1) & ~(uintptr_t)(PT_SPAN - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + len, p + PT_SPAN - a);
	return a;
}

/* The characters of dm_grid()'s cells for [@addr, @addr + @len), or NULL. */
static char *cells_of(const char *label, const void *addr, size_t len, int *ret)
{
	char *cells = NULL;

	*ret = dm_grid(label, addr, len, &cells);
	return *ret ? NULL : cells;
}

/* ------------------------------------------------------------- madvise */

enum { DN_ANON, DN_OBJECT, DN_PRIVATE, DN_MEMFD, DN_NR };

static const char *const dn_label[DN_NR] = {
	"the private anonymous page", "the shared object mapping",
	"the private object mapping", "the shared memfd mapping",
};

/* MADV_DONTNEED on four kinds of page, then read them. */
static int madvise_dontneed(void)
{
	struct mmaplab_stats b[2], a[2];
	unsigned char *m[DN_NR] = { MAP_FAILED, MAP_FAILED, MAP_FAILED, MAP_FAILED };
	int fd[2] = { -1, -1 }, mfd = -1, ret = ML_EXIT_OK, seen[DN_NR];
	char *cells;
	bool zapped = true;

	dm_step("MADV_DONTNEED on four kinds of page",
		"One page of each: private anonymous memory written 'A'; a shared\n"
		"mapping of a lab object written 'S'; a private mapping of another\n"
		"lab object (it holds 'F') written 'P', so a copy; a shared mapping of\n"
		"a memfd written 'S'.  Then madvise(MADV_DONTNEED) on each page.");
	fd[0] = object_filled(1, MMAPLAB_BACKING_PAGES, 0, 'F', &ret);
	if (fd[0] < 0)
		return ret;
	fd[1] = object_filled(1, MMAPLAB_BACKING_PAGES, 0, 'F', &ret);
	if (fd[1] < 0)
		goto out;
	mfd = dm_memfd("mmaplab-demo", PAGE, 'F', 0);
	if (mfd < 0) {
		ret = dm_fail("memfd");
		goto out;
	}
	m[DN_ANON] = dm_map(PAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	m[DN_OBJECT] = dm_map(PAGE, MAP_SHARED, fd[0]);
	m[DN_PRIVATE] = dm_map(PAGE, MAP_PRIVATE, fd[1]);
	m[DN_MEMFD] = dm_map(PAGE, MAP_SHARED, mfd);
	for (int k = 0; k < DN_NR; k++) {
		if (m[k] == MAP_FAILED) {
			ret = dm_fail("mmap");
			goto out;
		}
	}
	dm_wr(m[DN_ANON], 'A');
	dm_wr(m[DN_OBJECT], 'S');
	dm_wr(m[DN_PRIVATE], 'P');
	dm_wr(m[DN_MEMFD], 'S');
	for (int k = 0; k < DN_NR; k++) {
		if (madvise(m[k], PAGE, MADV_DONTNEED)) {
			ret = dm_fail("madvise(MADV_DONTNEED)");
			goto out;
		}
		cells = cells_of(dn_label[k], m[k], PAGE, &ret);
		if (!cells)
			goto out;
		zapped = zapped && cells[0] == '.';
		free(cells);
	}
	dm_claim("dontneed_zaps_entries", zapped,
		 "each page-table entry is gone after MADV_DONTNEED");

	dm_step("Read each page again",
		"The access faults: anonymous memory gets a fresh zero page, a file\n"
		"mapping asks its file again.");
	ret = dm_stats(fd[0], &b[0]);
	if (!ret)
		ret = dm_stats(fd[1], &b[1]);
	if (ret)
		goto out;
	for (int k = 0; k < DN_NR; k++) {
		seen[k] = dm_rd(m[k]);
		dm_byte("the process", dn_label[k], seen[k]);
	}
	ret = dm_stats(fd[0], &a[0]);
	if (!ret)
		ret = dm_stats(fd[1], &a[1]);
	if (ret)
		goto out;
	dm_counters("the shared mapping's object", &b[0], &a[0]);
	dm_claim("dontneed_anon_reads_zero", seen[DN_ANON] == 0,
		 "the private anonymous page reads 0: its data is gone");
	dm_claim("dontneed_object_refaults", a[0].faults == b[0].faults + 1,
		 "the lab object's ->fault was called again for its page");
	dm_claim("dontneed_object_keeps_data", seen[DN_OBJECT] == 'S',
		 "the shared object mapping reads 'S' again");
	dm_claim("dontneed_memfd_keeps_data", seen[DN_MEMFD] == 'S',
		 "the shared memfd mapping reads 'S' again");
	dm_claim("dontneed_drops_private_copy", seen[DN_PRIVATE] == 'F',
		 "the private object mapping reads the file's 'F': the copy 'P' is gone");
out:
	for (int k = 0; k < DN_NR; k++)
		if (m[k] != MAP_FAILED)
			munmap(m[k], PAGE);
	if (mfd >= 0)
		close(mfd);
	if (fd[1] >= 0)
		close(fd[1]);
	close(fd[0]);
	return ret;
}

/* An advice that older kernels lack, and the two claims that rest on it. */
struct advice {
	int advice;
	const char *what;	/* the call, for a failure */
	const char *why;	/* why the claims are skipped without it */
	const char *claim[2], *text[2];
};

static const struct advice free_advice = {
	MADV_FREE, "madvise(MADV_FREE)", "this kernel has no MADV_FREE (4.5+)",
	{ "free_cleans_pages", "free_rewrite_dirties" },
	{ "MADV_FREE leaves no dirty page", "a write after MADV_FREE dirties the page again" },
};

static const struct advice pageout_advice = {
	MADV_PAGEOUT, "madvise(MADV_PAGEOUT)", "this kernel has no MADV_PAGEOUT (5.4+)",
	{ "pageout_drops_free_page", "pageout_keeps_rewritten_page" },
	{ "reclaim dropped the freed page: it reads 0", "the page written again keeps 'B'" },
};

/*
 * Advice @a on the 2 pages at @p; where the kernel lacks it (EINVAL),
 * *@none is set and the claims that rest on it are skipped.  0, or an
 * exit code.
 */
static int advise_or_skip(unsigned char *p, const struct advice *a, bool *none)
{
	*none = false;
	if (!madvise(p, 2 * PAGE, a->advice))
		return 0;
	if (errno != EINVAL)
		return dm_fail(a->what);
	*none = true;
	for (int i = 0; i < 2; i++)
		dm_skip(a->claim[i], a->text[i], a->why);
	return 0;
}

/* MADV_FREE, a write after it, and reclaim by MADV_PAGEOUT. */
static int madvise_free(void)
{
	unsigned char *p;
	cpu_set_t old, one;
	char *cells;
	int ret = ML_EXIT_OK, cpu, s0, s1;
	bool pinned = false, none;

	dm_step("MADV_FREE: free it when memory is short",
		"Two pages of private anonymous memory, both written 'A', then\n"
		"madvise(MADV_FREE).  The kernel may now drop them at reclaim\n"
		"instead of swapping them out; until then they stay, made clean.");
	p = dm_map(2 * PAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (p == MAP_FAILED)
		return dm_fail("mmap");
	/*
	 * MADV_FREE queues the pages on a per-CPU list that MADV_PAGEOUT
	 * flushes on its own CPU only: stay on one CPU until then.
	 */
	cpu = sched_getcpu();
	if (cpu >= 0 && !sched_getaffinity(0, sizeof(old), &old)) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pinned = !sched_setaffinity(0, sizeof(one), &one);
	}
	dm_wr(p, 'A');
	dm_wr(p + PAGE, 'A');
	ret = dm_grid("the anonymous pages", p, 2 * PAGE, NULL);
	if (ret)
		goto out;
	ret = advise_or_skip(p, &free_advice, &none);
	if (ret || none)
		goto out;
	cells = cells_of("the anonymous pages after MADV_FREE", p, 2 * PAGE, &ret);
	if (!cells)
		goto out;
	dm_claim("free_cleans_pages", !strchr(cells, 'D'),
		 "no page is dirty any more: the kernel may drop them without a write");
	free(cells);
	dm_byte("the process", "page 0 (until reclaim comes)", dm_rd(p));

	dm_step("Write 'B' to page 1",
		"A write after MADV_FREE makes the page dirty again: the kernel sees\n"
		"it at reclaim and keeps the page, with the new data.");
	dm_wr(p + PAGE, 'B');
	cells = cells_of("the anonymous pages", p, 2 * PAGE, &ret);
	if (!cells)
		goto out;
	dm_claim("free_rewrite_dirties", cells[1] == 'D',
		 "page 1 is dirty again");
	free(cells);

	dm_step("Reclaim now: MADV_PAGEOUT",
		"madvise(MADV_PAGEOUT) reclaims the pages at once, as memory pressure\n"
		"would: the clean lazily-freed page 0 is dropped; reclaim finds page 1\n"
		"dirty, keeps it and counts it as ordinary anonymous memory again.");
	ret = advise_or_skip(p, &pageout_advice, &none);
	if (ret || none)
		goto out;
	ret = dm_grid("the anonymous pages after MADV_PAGEOUT", p, 2 * PAGE, NULL);
	if (ret)
		goto out;
	s0 = dm_rd(p);
	s1 = dm_rd(p + PAGE);
	dm_byte("the process", "page 0", s0);
	dm_byte("the process", "page 1", s1);
	dm_claim("pageout_drops_free_page", s0 == 0,
		 "page 0 was dropped: it reads 0, a new zero-filled page");
	dm_claim("pageout_keeps_rewritten_page", s1 == 'B',
		 "page 1, written after MADV_FREE, keeps its 'B'");
out:
	if (pinned)
		sched_setaffinity(0, sizeof(old), &old);
	munmap(p, 2 * PAGE);
	return ret;
}

/* MADV_RANDOM and MADV_SEQUENTIAL, and fault-around. */
#define SR_PAGES	16

/*
 * The SR_PAGES pages of @fd mapped shared at the start of a page table:
 * the mapping, or MAP_FAILED (explained, the mmap() as @what).
 */
static unsigned char *sr_map(int fd, const char *what)
{
	unsigned char *r = reserve_aligned(SR_PAGES * PAGE), *p;

	if (r == MAP_FAILED) {
		dm_fail("mmap (a place for the mapping)");
		return MAP_FAILED;
	}
	p = dm_map_at(r, SR_PAGES * PAGE, MAP_SHARED | MAP_FIXED, fd);
	if (p == MAP_FAILED) {
		munmap(r, SR_PAGES * PAGE);
		dm_fail(what);
	}
	return p;
}

/* madvise(@advice) of the mapping @p (sr_map()), named @what: 0 or an exit code. */
static int sr_advise(unsigned char *p, int advice, const char *what)
{
	return madvise(p, SR_PAGES * PAGE, advice) ? dm_fail(what) : 0;
}

/*
 * The pages of the mapping @p (sr_map()) that have an entry, as dm_grid()
 * shows them (as @label): their number, or -1 with *@ret set.
 */
static int sr_present(const char *label, const unsigned char *p, int *ret)
{
	char *cells = cells_of(label, p, SR_PAGES * PAGE, ret);
	int n = 0;

	if (!cells)
		return -1;
	for (int i = 0; cells[i]; i++)
		n += cells[i] != '.';
	free(cells);
	return n;
}

static int madvise_access_pattern(void)
{
	struct mmaplab_stats b, a;
	unsigned char *p = MAP_FAILED, *q = MAP_FAILED;
	int fd, mfd = -1, ret = ML_EXIT_OK, present;
	bool rr, sr, both;
	char fl[256];

	dm_step("MADV_RANDOM and MADV_SEQUENTIAL: two flags of the VMA",
		"A lab object of 16 pages with fault-around (->map_pages), all its\n"
		"pages in memory, mapped shared at the start of a page table;\n"
		"madvise(MADV_RANDOM), then MADV_SEQUENTIAL, then MADV_NORMAL on it.\n"
		"/proc/self/smaps shows the advice in VmFlags: rr, sr.");
	fd = object_filled(SR_PAGES, MMAPLAB_BACKING_PAGES, MMAPLAB_CONFIG_FAULT_AROUND,
			   'a', &ret);
	if (fd < 0)
		return ret;
	p = sr_map(fd, "mmap");
	ret = p == MAP_FAILED ? ML_EXIT_FAIL :
	      sr_advise(p, MADV_RANDOM, "madvise(MADV_RANDOM)");
	if (ret)
		goto out;
	dm_vmflags(p, fl, sizeof(fl));
	dm_say("after MADV_RANDOM, VmFlags: %s", fl);
	rr = dm_has_vmflag(fl, "rr") && !dm_has_vmflag(fl, "sr");
	ret = sr_advise(p, MADV_SEQUENTIAL, "madvise(MADV_SEQUENTIAL)");
	if (ret)
		goto out;
	dm_vmflags(p, fl, sizeof(fl));
	dm_say("after MADV_SEQUENTIAL, VmFlags: %s", fl);
	sr = dm_has_vmflag(fl, "sr") && !dm_has_vmflag(fl, "rr");
	ret = sr_advise(p, MADV_NORMAL, "madvise(MADV_NORMAL)");
	if (ret)
		goto out;
	dm_vmflags(p, fl, sizeof(fl));
	both = !dm_has_vmflag(fl, "rr") && !dm_has_vmflag(fl, "sr");
	dm_claim("random_sets_rr", rr, "MADV_RANDOM sets rr (VM_RAND_READ)");
	dm_claim("sequential_sets_sr", sr, "MADV_SEQUENTIAL sets sr (VM_SEQ_READ), clears rr");
	dm_claim("normal_clears_both", both, "MADV_NORMAL clears both");

	dm_step("Under MADV_RANDOM, read page 0, then page 8",
		"For a file on a disk, rr turns readahead off and sr makes it\n"
		"larger (and reclaim takes sr pages first); a lab object has no\n"
		"disk and no readahead.  What of fault-around, which maps pages\n"
		"already in memory around a read fault?  (The module's ->map_pages\n"
		"maps nothing while the page table does not exist yet: then ->fault\n"
		"serves the read, and fault-around works from the next one.)");
	ret = sr_advise(p, MADV_RANDOM, "madvise(MADV_RANDOM)");
	if (!ret)
		ret = dm_stats(fd, &b);
	if (ret)
		goto out;
	dm_byte("the process", "page 0", dm_rd(p));
	dm_byte("the process", "page 8", dm_rd(p + 8 * PAGE));
	ret = dm_stats(fd, &a);
	if (ret)
		goto out;
	dm_counters("the object", &b, &a);
	present = sr_present("the object's mapping", p, &ret);
	if (present < 0)
		goto out;
	dm_claim("random_keeps_fault_around",
		 present == SR_PAGES && a.map_pages_mapped >= b.map_pages_mapped + SR_PAGES - 1,
		 "MADV_RANDOM does not stop fault-around: ->map_pages mapped all 16 pages");

	dm_step("The same with a memfd",
		"A memfd of 16 pages, all in its page cache, mapped shared at the\n"
		"start of a page table, MADV_RANDOM; read page 8 only.");
	mfd = dm_memfd("mmaplab-demo", SR_PAGES * PAGE, 'a', 1);
	if (mfd < 0) {
		ret = dm_fail("memfd");
		goto out;
	}
	q = sr_map(mfd, "mmap of the memfd");
	ret = q == MAP_FAILED ? ML_EXIT_FAIL :
	      sr_advise(q, MADV_RANDOM, "madvise(MADV_RANDOM)");
	if (ret)
		goto out;
	dm_byte("the process", "page 8", dm_rd(q + 8 * PAGE));
	present = sr_present("the memfd's mapping", q, &ret);
	if (present < 0)
		goto out;
	dm_claim("memfd_random_keeps_fault_around", present > 1,
		 "the memfd's neighbours were mapped by that one read too");
out:
	dm_unmap(q, SR_PAGES * PAGE);
	dm_unmap(p, SR_PAGES * PAGE);
	dm_close(mfd);
	close(fd);
	return ret;
}

int demo_madvise(void)
{
	int ret;

	ret = madvise_dontneed();
	if (!ret)
		ret = madvise_free();
	if (!ret)
		ret = madvise_access_pattern();
	if (ret)
		return ret;
	dm_lesson("madvise() changes what the kernel may do with a range: MADV_DONTNEED\n"
		  "drops the page-table entries now (anonymous data is lost, a file's\n"
		  "pages come back from the file), MADV_FREE lets reclaim drop clean\n"
		  "anonymous pages later unless they are written again, and\n"
		  "MADV_RANDOM/MADV_SEQUENTIAL are only hints kept in the VMA.");
	return ML_EXIT_OK;
}

/* -------------------------------------------------------------- mremap */

#define MR_PAGES	8	/* the object's pages */

/* Do the @n pages at @p read 'a', 'b', ... (the object's pages from 0)? */
static bool reads_object(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (dm_rd(p + i * PAGE) != 'a' + (int)i)
			return false;
	return true;
}

/*
 * Grow in place, fail to, move (lab object and anonymous), MREMAP_FIXED;
 * *@where gets the object's 4-page mapping that is left.
 */
static int mremap_grow_move(int fd, unsigned char **where)
{
	struct mmaplab_stats b, a;
	unsigned char *r, *resv, *p, *n, *t, *anon;
	char *cells;
	int ret = ML_EXIT_OK;
	bool kept;

	*where = MAP_FAILED;
	dm_step("Grow in place",
		"A lab object of 8 pages; page i holds 'a' + i.  Map its first 2\n"
		"pages shared, with 2 free pages after the mapping and a reserved\n"
		"(PROT_NONE) range after those.  mremap() to 4 pages, no flags.");
	r = mmap(NULL, 16 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return dm_fail("mmap (a reserved range)");
	/* Until the move, unmapping all of it unmaps the mapping too. */
	resv = r;
	p = dm_map_at(r, 2 * PAGE, MAP_SHARED | MAP_FIXED, fd);
	if (p == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto fail;
	}
	munmap(r + 2 * PAGE, 2 * PAGE);
	(void)dm_rd(p);
	(void)dm_rd(p + PAGE);
	ret = dm_stats(fd, &b);
	if (ret)
		goto fail;
	n = mremap(p, 2 * PAGE, 4 * PAGE, 0);
	if (n == MAP_FAILED) {
		ret = dm_fail("mremap (grow in place)");
		goto fail;
	}
	ret = dm_stats(fd, &a);
	if (ret)
		goto fail;
	dm_maps("the grown mapping", p, 4 * PAGE);
	dm_counters("the object", &b, &a);
	dm_claim("grow_in_place", n == p, "the mapping grew where it was");
	dm_claim("grow_in_place_no_callback",
		 a.mremaps == b.mremaps && a.vma_opens == b.vma_opens,
		 "the module heard nothing: the VMA only got longer");
	dm_byte("the process", "page 2, new", dm_rd(p + 2 * PAGE));
	dm_byte("the process", "page 3, new", dm_rd(p + 3 * PAGE));

	dm_step("Grow again: no room behind",
		"The reserved range blocks growth in place: without MREMAP_MAYMOVE\n"
		"mremap() fails with ENOMEM; with it, the kernel moves the mapping:\n"
		"a new VMA elsewhere (->open), the old one goes (->close) and the\n"
		"module's ->mremap is told of the move.");
	errno = 0;
	n = mremap(p, 4 * PAGE, 6 * PAGE, 0);
	dm_say("mremap(4 pages -> 6 pages, 0): %s", n == MAP_FAILED ? strerror(errno) : "moved?");
	dm_claim("grow_blocked_enomem", n == MAP_FAILED && errno == ENOMEM,
		 "without MREMAP_MAYMOVE growing fails with ENOMEM");
	if (n != MAP_FAILED) {
		ml_err("demo: mremap() grew the mapping over the reserved range");
		ret = ML_EXIT_FAIL;
		goto fail;
	}
	ret = dm_stats(fd, &b);
	if (ret)
		goto fail;
	n = mremap(p, 4 * PAGE, 6 * PAGE, MREMAP_MAYMOVE);
	if (n == MAP_FAILED) {
		ret = dm_fail("mremap (MREMAP_MAYMOVE)");
		goto fail;
	}
	p = n;
	munmap(r + 4 * PAGE, 12 * PAGE);
	resv = NULL;
	ret = dm_stats(fd, &a);
	if (ret)
		goto fail;
	dm_maps("the moved mapping", p, 6 * PAGE);
	dm_counters("the object", &b, &a);
	dm_claim("move_calls_mremap", a.mremaps == b.mremaps + 1,
		 "the module's ->mremap was called once");
	cells = cells_of("the moved mapping", p, 6 * PAGE, &ret);
	if (!cells)
		goto fail;
	kept = !memchr(cells, '.', 4);
	free(cells);
	b = a;
	kept = kept && reads_object(p, 4);
	ret = dm_stats(fd, &a);
	if (ret)
		goto fail;
	dm_claim("move_keeps_entries", kept && a.faults == b.faults,
		 "the page-table entries moved along: pages 0 to 3 read without a fault");

	dm_step("The same with anonymous memory",
		"2 pages written 'A', the range after them reserved; grow to 4 pages\n"
		"with MREMAP_MAYMOVE.");
	anon = mmap(NULL, 8 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED) {
		ret = dm_fail("mmap (a reserved range)");
		goto fail;
	}
	if (dm_map_at(anon, 2 * PAGE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1) == MAP_FAILED) {
		munmap(anon, 8 * PAGE);
		ret = dm_fail("mmap");
		goto fail;
	}
	dm_wr(anon, 'A');
	dm_wr(anon + PAGE, 'A');
	n = mremap(anon, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
	if (n == MAP_FAILED) {
		munmap(anon, 8 * PAGE);
		ret = dm_fail("mremap (MREMAP_MAYMOVE)");
		goto fail;
	}
	munmap(anon + 2 * PAGE, 6 * PAGE);
	dm_say("moved from %p to %p", (void *)anon, (void *)n);
	dm_byte("the process", "page 1 at the new place", dm_rd(n + PAGE));
	dm_claim("anon_move_keeps_data", n != anon && dm_rd(n) == 'A' && dm_rd(n + PAGE) == 'A',
		 "the anonymous pages moved with their data");
	munmap(n, 4 * PAGE);

	dm_step("MREMAP_FIXED: move to an address of our choosing",
		"Reserve 6 pages elsewhere; mremap(MREMAP_MAYMOVE | MREMAP_FIXED) the\n"
		"object's mapping onto them: like MAP_FIXED, whatever was there is\n"
		"replaced.");
	t = mmap(NULL, 6 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED) {
		ret = dm_fail("mmap (a reserved range)");
		goto fail;
	}
	n = mremap(p, 6 * PAGE, 6 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, t);
	if (n == MAP_FAILED) {
		munmap(t, 6 * PAGE);
		ret = dm_fail("mremap (MREMAP_FIXED)");
		goto fail;
	}
	p = n;
	dm_maps("the mapping at the chosen address", t, 6 * PAGE);
	dm_claim("fixed_lands_at_target", n == t && reads_object(p, 4),
		 "the mapping is at the chosen address, with the object's data");
	*where = p;
	munmap(p + 4 * PAGE, 2 * PAGE);
	return ML_EXIT_OK;
fail:
	if (resv)
		munmap(resv, 16 * PAGE);
	else
		munmap(p, 6 * PAGE);
	return ret;
}

/* MREMAP_DONTUNMAP of the object's mapping @p (unmapped here) and of anonymous memory. */
static int mremap_dontunmap(int fd, unsigned char *p)
{
	struct mmaplab_stats b, a;
	unsigned char *n, *anon, *m = MAP_FAILED;
	char *cells;
	int ret = ML_EXIT_OK, old0;
	bool empty;

	dm_step("MREMAP_DONTUNMAP",
		"mremap(MREMAP_MAYMOVE | MREMAP_DONTUNMAP) moves the pages to a new\n"
		"place and leaves the old VMA where it was, empty.  What does the old\n"
		"place read then?  First the object's 4-page mapping.");
	ret = dm_stats(fd, &b);
	if (ret)
		return ret;
	n = mremap(p, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	if (n == MAP_FAILED) {
		if (errno != EINVAL)
			return dm_fail("mremap (MREMAP_DONTUNMAP)");
		dm_skip("dontunmap_object_old_refaults",
			"the old place of a lab mapping faults in the object's data again",
			"this kernel refuses MREMAP_DONTUNMAP of a file mapping (5.13+)");
		dm_skip("dontunmap_anon_old_zero", "the old place of anonymous memory reads 0",
			"this kernel refuses MREMAP_DONTUNMAP of a file mapping (5.13+)");
		munmap(p, 4 * PAGE);
		return ML_EXIT_OK;
	}
	m = n;
	ret = dm_stats(fd, &a);
	if (ret)
		goto out;
	dm_counters("the object", &b, &a);
	cells = cells_of("the old place", p, 4 * PAGE, &ret);
	if (!cells)
		goto out;
	empty = !strcmp(cells, "....");
	free(cells);
	ret = dm_grid("the new place", n, 4 * PAGE, NULL);
	if (ret)
		goto out;
	b = a;
	old0 = dm_rd(p);
	dm_byte("the process", "page 0 at the old place", old0);
	ret = dm_stats(fd, &a);
	if (ret)
		goto out;
	dm_counters("the object, the old place read", &b, &a);
	dm_claim("dontunmap_object_old_refaults",
		 empty && old0 == 'a' && a.faults == b.faults + 1,
		 "the old place was empty, and its read faulted the object's page in again");

	dm_step("MREMAP_DONTUNMAP of anonymous memory",
		"2 private anonymous pages written 'A', moved the same way.");
	anon = dm_map(2 * PAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (anon == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	dm_wr(anon, 'A');
	dm_wr(anon + PAGE, 'A');
	n = mremap(anon, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	if (n == MAP_FAILED) {
		munmap(anon, 2 * PAGE);
		ret = dm_fail("mremap (MREMAP_DONTUNMAP)");
		goto out;
	}
	old0 = dm_rd(anon);
	dm_byte("the process", "page 0 at the old place", old0);
	dm_byte("the process", "page 0 at the new place", dm_rd(n));
	dm_claim("dontunmap_anon_old_zero", old0 == 0 && dm_rd(n) == 'A',
		 "the old place reads 0 (new anonymous memory), the new place 'A'");
	munmap(anon, 2 * PAGE);
	munmap(n, 2 * PAGE);
out:
	if (m != MAP_FAILED)
		munmap(m, 4 * PAGE);
	munmap(p, 4 * PAGE);
	return ret;
}

/* MAP_FIXED over part of a mapping, and MAP_FIXED_NOREPLACE. */
static int mremap_map_fixed(int fd)
{
	struct mmaplab_stats b, a;
	unsigned char *p, *n;
	int ret = ML_EXIT_OK, s1;

	dm_step("MAP_FIXED over a mapping",
		"Map the object's first 4 pages shared, then mmap(MAP_FIXED) 2 pages\n"
		"of anonymous memory over its pages 1 and 2.  No error, no warning:\n"
		"the part that was there is unmapped.");
	p = dm_map(4 * PAGE, MAP_SHARED, fd);
	if (p == MAP_FAILED)
		return dm_fail("mmap");
	ret = dm_stats(fd, &b);
	if (ret)
		goto out;
	n = dm_map_at(p + PAGE, 2 * PAGE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1);
	if (n == MAP_FAILED) {
		ret = dm_fail("mmap (MAP_FIXED)");
		goto out;
	}
	ret = dm_stats(fd, &a);
	if (ret)
		goto out;
	dm_maps("the range", p, 4 * PAGE);
	dm_counters("the object", &b, &a);
	s1 = dm_rd(p + PAGE);
	dm_byte("the process", "page 1", s1);
	dm_claim("map_fixed_closes_replaced", n == p + PAGE && a.vma_closes == b.vma_closes + 1,
		 "mmap(MAP_FIXED) succeeded, and the module saw the replaced part closed");
	dm_claim("map_fixed_replaces_data", s1 == 0, "page 1 now reads 0, not the object's 'b'");

	dm_step("MAP_FIXED_NOREPLACE over a mapping",
		"The same at page 3, with MAP_FIXED_NOREPLACE (4.17+): the kernel\n"
		"refuses to replace anything.");
	errno = 0;
	n = dm_map_at(p + 3 * PAGE, PAGE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1);
	dm_say("mmap(MAP_FIXED_NOREPLACE): %s", n == MAP_FAILED ? strerror(errno) : "mapped");
	if (n != MAP_FAILED && n != p + 3 * PAGE) {
		/* A kernel before 4.17 took it as a hint and mapped elsewhere. */
		munmap(n, PAGE);
		dm_skip("noreplace_eexist", "MAP_FIXED_NOREPLACE fails with EEXIST",
			"this kernel ignores MAP_FIXED_NOREPLACE (4.17+)");
	} else {
		dm_claim("noreplace_eexist", n == MAP_FAILED && errno == EEXIST,
			 "MAP_FIXED_NOREPLACE fails with EEXIST");
	}
	dm_byte("the process", "page 3", dm_rd(p + 3 * PAGE));
out:
	munmap(p, 4 * PAGE);
	return ret;
}

/* remap_file_pages(), and its refusal on a private mapping. */
static int mremap_remap_file_pages(int fd)
{
	struct mmaplab_stats b, a;
	unsigned char *p, *q;
	int ret = ML_EXIT_OK, s0, err, before, after;

	dm_step("remap_file_pages(): a page of the file elsewhere",
		"Map the object's first 4 pages shared, and ask remap_file_pages()\n"
		"to show the object's page 3 at page 0.  The system call is\n"
		"deprecated: since 4.0 the kernel emulates it with a new mmap() of\n"
		"the file there, so a new VMA.");
	p = dm_map(4 * PAGE, MAP_SHARED, fd);
	if (p == MAP_FAILED)
		return dm_fail("mmap");
	(void)dm_rd(p);
	before = dm_nr_vmas(p, 4 * PAGE);
	ret = dm_stats(fd, &b);
	if (ret)
		goto out;
	if (remap_file_pages(p, PAGE, 0, 3, 0)) {
		ret = dm_fail("remap_file_pages");
		goto out;
	}
	ret = dm_stats(fd, &a);
	if (ret)
		goto out;
	after = dm_nr_vmas(p, 4 * PAGE);
	dm_maps("the range", p, 4 * PAGE);
	dm_counters("the object", &b, &a);
	s0 = dm_rd(p);
	dm_byte("the process", "page 0", s0);
	dm_claim("rfp_shows_other_page", s0 == 'd', "page 0 shows the object's page 3 ('d')");
	dm_claim("rfp_new_vma", before == 1 && after == 2 && a.mmaps == b.mmaps + 1,
		 "one VMA became two, through a new mmap() of the object");

	dm_step("remap_file_pages() on a private mapping",
		"The emulation takes only shared mappings.");
	q = dm_map(4 * PAGE, MAP_PRIVATE, fd);
	if (q == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	err = remap_file_pages(q, PAGE, 0, 3, 0) ? errno : 0;
	dm_say("remap_file_pages() on the private mapping: %s", err ? strerror(err) : "done");
	dm_claim("rfp_private_refused", err == EINVAL,
		 "remap_file_pages() on a private mapping fails with EINVAL");
	munmap(q, 4 * PAGE);
out:
	munmap(p, 4 * PAGE);
	return ret;
}

int demo_mremap(void)
{
	unsigned char *p;
	int fd, ret = ML_EXIT_OK;

	fd = object_filled(MR_PAGES, MMAPLAB_BACKING_PAGES, 0, 'a', &ret);
	if (fd < 0)
		return ret;
	ret = mremap_grow_move(fd, &p);
	if (!ret)
		ret = mremap_dontunmap(fd, p);
	if (!ret)
		ret = mremap_map_fixed(fd);
	if (!ret)
		ret = mremap_remap_file_pages(fd);
	close(fd);
	if (ret)
		return ret;
	dm_lesson("A mapping can change after mmap(): mremap() grows it in place or\n"
		  "moves it with its page-table entries (the driver hears ->mremap),\n"
		  "MAP_FIXED silently replaces what was there, and remap_file_pages()\n"
		  "is now just a new mmap() of the file over part of the range.");
	return ML_EXIT_OK;
}

/* ---------------------------------------------------------- overcommit */

#define OC_PATH		"/proc/sys/vm/overcommit_memory"
#define OC_SIZE		(64 * MIB)	/* visible in Committed_AS, never touched */
#define OC_SLACK	(2 * MIB)	/* what else may move Committed_AS meanwhile */

/* The mode to put back, and an fd open to write it: for the signal handler. */
static int oc_fd = -1;
static char oc_saved[8];
static size_t oc_saved_len;
static const int oc_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS };
#define OC_NR_SIGNALS	ARRAY_SIZE(oc_signals)
static struct sigaction oc_old[OC_NR_SIGNALS];

static void oc_restore(void)
{
	if (oc_fd >= 0 && oc_saved_len)
		(void)!pwrite(oc_fd, oc_saved, oc_saved_len, 0);
}

static void oc_on_signal(int sig)
{
	oc_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Value @key of /proc/meminfo, in bytes (-1 when missing). */
static long long meminfo_bytes(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	size_t len = strlen(key);
	char line[256];
	long long kb = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			kb = strtoll(line + len + 1, NULL, 10);
			break;
		}
	}
	if (f)
		fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static long long meminfo_mib(const char *key)
{
	return meminfo_bytes(key) / (long long)MIB;
}

static int oc_mode(void)
{
	char buf[8] = "";
	int fd = open(OC_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 ? atoi(buf) : -1;
}

/* Set the mode (root; after oc_take()).  0 or -1. */
static int oc_set(int mode)
{
	char c = '0' + mode;

	return pwrite(oc_fd, &c, 1, 0) == 1 ? 0 : -1;
}

/* Open the knob for writing, remember its value, catch fatal signals. */
static bool oc_take(void)
{
	struct sigaction sa = { .sa_handler = oc_on_signal };
	int fd = open(OC_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, oc_saved, sizeof(oc_saved) - 1);
	close(fd);
	if (n <= 0)
		return false;
	oc_saved_len = n;
	oc_fd = open(OC_PATH, O_WRONLY | O_CLOEXEC);
	if (oc_fd < 0)
		return false;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < OC_NR_SIGNALS; i++)
		sigaction(oc_signals[i], &sa, &oc_old[i]);
	return true;
}

/* Put the mode back and the signal handlers. */
static void oc_give_back(void)
{
	if (oc_fd < 0)
		return;
	oc_restore();
	for (size_t i = 0; i < OC_NR_SIGNALS; i++)
		sigaction(oc_signals[i], &oc_old[i], NULL);
	close(oc_fd);
	oc_fd = -1;
	oc_saved_len = 0;
}

/* mmap(@len, PROT_READ | PROT_WRITE, @flags, @fd): did it work?  Unmaps it. */
static bool oc_try(size_t len, int flags, int fd, int *err)
{
	void *p = dm_map(len, flags, fd);

	*err = p == MAP_FAILED ? errno : 0;
	if (p == MAP_FAILED)
		return false;
	munmap(p, len);
	return true;
}

/*
 * How much Committed_AS moves while a mapping of @len bytes with @flags
 * (of @fd) exists: in bytes, said and returned; *@ok false if mmap failed.
 */
static long long oc_charge(const char *what, size_t len, int flags, int fd, bool *ok)
{
	long long before = meminfo_bytes("Committed_AS"), after;
	void *p = dm_map(len, flags, fd);

	*ok = p != MAP_FAILED;
	if (!*ok) {
		dm_say("%s: mmap failed: %s", what, strerror(errno));
		return 0;
	}
	after = meminfo_bytes("Committed_AS");
	munmap(p, len);
	dm_say("%-44s Committed_AS %+lld KiB", what, (after - before) / 1024);
	return after - before;
}

static bool about(long long v, long long want)
{
	return v > want - (long long)OC_SLACK && v < want + (long long)OC_SLACK;
}

/* What counts in Committed_AS (in mode @mode). */
static int overcommit_charge(int fd, int mode)
{
	long long d;
	bool ok;

	dm_step("What a mapping adds to Committed_AS",
		"Committed_AS (/proc/meminfo) is the memory the kernel has promised:\n"
		"private writable mappings are charged their whole size at mmap(),\n"
		"touched or not.  Map 64 MiB of each kind (never touched) and read it\n"
		"before and after.");
	d = oc_charge("private anonymous", OC_SIZE, MAP_PRIVATE | MAP_ANONYMOUS, -1, &ok);
	dm_claim("private_counted", ok && about(d, OC_SIZE),
		 "a private writable anonymous mapping is charged its size");
	d = oc_charge("private anonymous, MAP_NORESERVE", OC_SIZE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, &ok);
	if (mode == 2)
		dm_skip("noreserve_not_counted", "MAP_NORESERVE is not charged",
			"vm.overcommit_memory is 2 (MAP_NORESERVE is ignored) and changing it needs root");
	else
		dm_claim("noreserve_not_counted", ok && about(d, 0),
			 "with MAP_NORESERVE it is not charged");
	d = oc_charge("private lab object (writable)", OC_SIZE, MAP_PRIVATE, fd, &ok);
	dm_claim("object_private_counted", ok && about(d, OC_SIZE),
		 "a private writable mapping of a lab object is charged (its writes would be copies)");
	d = oc_charge("shared lab object", OC_SIZE, MAP_SHARED, fd, &ok);
	dm_claim("object_shared_not_counted", ok && about(d, 0),
		 "a shared mapping of a lab object is not charged: its pages are the file's");
	d = oc_charge("shared anonymous (shmem)", OC_SIZE, MAP_SHARED | MAP_ANONYMOUS, -1, &ok);
	dm_claim("shared_anon_counted", ok && about(d, OC_SIZE),
		 "a shared anonymous mapping is charged, by shmem, for its size");
	return ML_EXIT_OK;
}

/* The three modes: each one set in turn as root (oc_take() done), else the current one only. */
static int overcommit_modes(int fd, bool root, int mode)
{
	long long ram = meminfo_bytes("MemTotal"), swap = meminfo_bytes("SwapTotal");
	long long limit, committed;
	size_t huge, over;
	bool ok, ok_nr, ok_sh, ok_small;
	int err, err_nr, err_sh, err_small;
	const char *why;

	if (ram < 0)
		return dm_fail("/proc/meminfo");
	if (swap < 0)
		swap = 0;
	huge = (size_t)(2 * (ram + swap));
	huge = (huge + MIB - 1) & ~(MIB - 1);

	dm_step("Mode 0, the heuristic",
		"vm.overcommit_memory = 0 (the default) refuses only a mapping that\n"
		"could never fit: larger than all RAM and swap together.  Try a\n"
		"private writable mapping of twice that (%lld MiB), without and with\n"
		"MAP_NORESERVE.", (long long)huge / (long long)MIB);
	if (root || mode == 0) {
		if (root && oc_set(0))
			return dm_fail(OC_PATH);
		ok = oc_try(huge, MAP_PRIVATE | MAP_ANONYMOUS, -1, &err);
		ok_nr = oc_try(huge, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, &err_nr);
		dm_say("without MAP_NORESERVE: %s; with: %s", ok ? "mapped" : strerror(err),
		       ok_nr ? "mapped" : strerror(err_nr));
		dm_claim("heuristic_refuses_huge", !ok && err == ENOMEM,
			 "mode 0 refuses it with ENOMEM");
		dm_claim("heuristic_noreserve_ok", ok_nr,
			 "mode 0 maps it with MAP_NORESERVE: nothing is charged");
	} else {
		why = "vm.overcommit_memory is not 0 here and changing it needs root";
		dm_skip("heuristic_refuses_huge", "mode 0 refuses it with ENOMEM", why);
		dm_skip("heuristic_noreserve_ok", "mode 0 maps it with MAP_NORESERVE", why);
	}

	dm_step("Mode 1, always",
		"vm.overcommit_memory = 1 never refuses for lack of memory; it still\n"
		"counts.  The same mapping, without MAP_NORESERVE.");
	if (root || mode == 1) {
		long long before = meminfo_bytes("Committed_AS"), after;
		void *p;

		if (root && oc_set(1))
			return dm_fail(OC_PATH);
		p = dm_map(huge, MAP_PRIVATE | MAP_ANONYMOUS, -1);
		err = p == MAP_FAILED ? errno : 0;
		after = meminfo_bytes("Committed_AS");
		if (p != MAP_FAILED)
			munmap(p, huge);
		if (root && oc_set(0))
			return dm_fail(OC_PATH);
		dm_say("%s; Committed_AS %+lld MiB, to %lld MiB (MemTotal %lld MiB)",
		       p != MAP_FAILED ? "mapped" : strerror(err),
		       (after - before) / (long long)MIB, after / (long long)MIB,
		       ram / (long long)MIB);
		dm_claim("always_maps_huge", p != MAP_FAILED && about(after - before, huge),
			 "mode 1 maps it, and charges all of it");
	} else {
		dm_skip("always_maps_huge", "mode 1 maps it, and charges all of it",
			"vm.overcommit_memory is not 1 here and changing it needs root");
	}

	dm_step("Mode 2, never",
		"vm.overcommit_memory = 2 refuses any charge that would take\n"
		"Committed_AS past CommitLimit (swap + overcommit_ratio %% of RAM).\n"
		"Try a private mapping larger than CommitLimit, without and with\n"
		"MAP_NORESERVE, a shared lab object mapping of that size (the object\n"
		"has 1 page: like a file mapping, it may reach past the end, where\n"
		"an access would raise SIGBUS), and a small private one.");
	limit = meminfo_bytes("CommitLimit");
	committed = meminfo_bytes("Committed_AS");
	if (!root && mode != 2)
		why = "vm.overcommit_memory is not 2 here and changing it needs root";
	else if (limit < 0 || committed < 0)
		why = "/proc/meminfo has no CommitLimit or Committed_AS";
	else if (committed + (long long)(OC_SIZE + 16 * MIB) > limit)
		why = "Committed_AS is already too close to CommitLimit to switch to mode 2 safely";
	else
		why = NULL;
	if (why) {
		dm_skip("never_refuses_over_limit", "mode 2 refuses it with ENOMEM", why);
		dm_skip("never_ignores_noreserve", "even with MAP_NORESERVE", why);
		dm_skip("never_shared_object_ok", "the shared lab object mapping is made", why);
		dm_skip("never_small_ok", "a small private mapping is made", why);
		return ML_EXIT_OK;
	}
	over = (size_t)limit + OC_SIZE;
	over = (over + MIB - 1) & ~(MIB - 1);
	dm_say("CommitLimit %lld MiB, Committed_AS %lld MiB; trying %zu MiB",
	       limit / (long long)MIB, committed / (long long)MIB, over / MIB);
	if (root && oc_set(2))
		return dm_fail(OC_PATH);
	ok = oc_try(over, MAP_PRIVATE | MAP_ANONYMOUS, -1, &err);
	ok_nr = oc_try(over, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, &err_nr);
	ok_sh = oc_try(over, MAP_SHARED, fd, &err_sh);
	ok_small = oc_try(OC_SIZE, MAP_PRIVATE | MAP_ANONYMOUS, -1, &err_small);
	if (root && oc_set(0))
		return dm_fail(OC_PATH);
	dm_say("private: %s; with MAP_NORESERVE: %s", ok ? "mapped" : strerror(err),
	       ok_nr ? "mapped" : strerror(err_nr));
	dm_say("shared lab object: %s; 64 MiB private: %s", ok_sh ? "mapped" : strerror(err_sh),
	       ok_small ? "mapped" : strerror(err_small));
	dm_claim("never_refuses_over_limit", !ok && err == ENOMEM,
		 "mode 2 refuses the large private mapping with ENOMEM");
	dm_claim("never_ignores_noreserve", !ok_nr && err_nr == ENOMEM,
		 "even with MAP_NORESERVE (ENOMEM): mode 2 ignores the flag");
	dm_claim("never_shared_object_ok", ok_sh,
		 "the shared lab object mapping of that size is made: it is not charged");
	dm_claim("never_small_ok", ok_small, "a 64 MiB private mapping is made");
	return ML_EXIT_OK;
}

int demo_overcommit(void)
{
	int fd, ret = ML_EXIT_OK, mode;
	bool root = geteuid() == 0;

	fd = object_filled(1, MMAPLAB_BACKING_PAGES, 0, 'a', &ret);
	if (fd < 0)
		return ret;
	mode = oc_mode();
	dm_step("The commit charge",
		"Linux lets processes map more memory than it has, betting that not\n"
		"all of it is touched; vm.overcommit_memory says how far.");
	dm_say("vm.overcommit_memory = %d; MemTotal %lld MiB, SwapTotal %lld MiB,\n"
	       "CommitLimit %lld MiB, Committed_AS %lld MiB", mode,
	       meminfo_mib("MemTotal"), meminfo_mib("SwapTotal"),
	       meminfo_mib("CommitLimit"), meminfo_mib("Committed_AS"));
	if (root) {
		if (!oc_take()) {
			ret = dm_fail(OC_PATH);
			goto out;
		}
		dm_say("running as root: the demo sets the mode for each step and puts\n"
		       "%d back at the end", mode);
		if (oc_set(0)) {
			ret = dm_fail(OC_PATH);
			goto out;
		}
		mode = 0;
	}
	ret = overcommit_charge(fd, mode);
	if (!ret)
		ret = overcommit_modes(fd, root, mode);
out:
	oc_give_back();
	close(fd);
	if (ret)
		return ret;
	dm_lesson("The kernel charges private writable memory at mmap() time, not at\n"
		  "first touch; a shared mapping of a file is not charged.\n"
		  "Mode 0 refuses only the impossible, mode 1 nothing, mode 2 anything\n"
		  "past CommitLimit, MAP_NORESERVE or not.");
	return ML_EXIT_OK;
}
