// SPDX-License-Identifier: GPL-2.0
/*
 * callbacks_test.c - the callbacks an object turns on with its config
 * flags, and those of the pfn backing, counted exactly:
 *
 *   write-notify  ->page_mkwrite / ->pfn_mkwrite on the first write to a
 *                 clean shared page; MMAPLAB_IOC_CLEAN makes pages clean
 *   fault-around  ->map_pages maps resident neighbours of a read fault
 *   pfn           ->access serves /proc/PID/mem; writable private
 *                 mappings are refused
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mmaplab_lib.h"

#define NR	4

static int configure(int fd, uint32_t backing, uint32_t flags)
{
	struct mmaplab_config cfg = {
		.size = sizeof(cfg), .nr_pages = NR, .backing = backing,
		.flags = flags,
	};

	return ioctl(fd, MMAPLAB_IOC_CONFIGURE, &cfg) ? errno : 0;
}

static int range_op(int fd, unsigned long cmd, uint32_t flags,
		    uint64_t pgoff, uint64_t nr, uint64_t *result)
{
	struct mmaplab_range r = {
		.size = sizeof(r), .flags = flags, .pgoff = pgoff, .nr_pages = nr,
	};
	int ret = ioctl(fd, cmd, &r);

	if (result)
		*result = r.result;
	return ret ? errno : 0;
}

static char *map(int fd, size_t len, int prot, int flags)
{
	char *p = mmap(NULL, len, prot, flags, fd, 0);

	if (p != MAP_FAILED)
		madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* Whether smaps' VmFlags line of the VMA at @p names @flag ("mm", "pf"). */
static bool vmflag(void *p, const char *flag)
{
	char line[512], start[32];
	bool in = false, found = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	snprintf(start, sizeof(start), "%lx-", (unsigned long)p);
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, start, strlen(start)))
			in = true;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			char want[8];

			snprintf(want, sizeof(want), " %s", flag);
			found = strstr(line, want) != NULL;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* ---- write-notify ----------------------------------------------------- */

FIXTURE(notify) {
	int fd;
	char *p;
};

FIXTURE_VARIANT(notify) {
	uint32_t backing;
	bool pfn;
};

FIXTURE_VARIANT_ADD(notify, pages) {
	.backing = MMAPLAB_BACKING_PAGES,
};

FIXTURE_VARIANT_ADD(notify, pfn) {
	.backing = MMAPLAB_BACKING_PFN, .pfn = true,
};

FIXTURE_SETUP(notify)
{
	char why[256];

	self->p = MAP_FAILED;
	self->fd = lab_open(why, sizeof(why));
	if (self->fd < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, configure(self->fd, variant->backing,
			       MMAPLAB_CONFIG_WRITE_NOTIFY));
	self->p = map(self->fd, NR * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, self->p);
	lab_catch_signals();
}

FIXTURE_TEARDOWN(notify)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, NR * PAGE_SZ);
	if (self->fd >= 0)
		close(self->fd);
}

static uint64_t mkwrites(const struct mmaplab_stats *st, bool pfn)
{
	return pfn ? st->pfn_mkwrites : st->page_mkwrites;
}

/*
 *   read page 0           1 fault (read), mapped read-only
 *   write page 0          1 mkwrite, page 0 dirty; no fault
 *   write page 0 again    nothing: the entry is writable now
 *   write page 1 first    1 fault (write) + 1 mkwrite
 *   CLEAN                 2 pages were dirty; entries removed
 *   write page 0          1 fault + 1 mkwrite again
 */
TEST_F(notify, mkwrite_sequence)
{
	struct mmaplab_stats st;
	uint64_t cleaned;
	char c;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, lab_read(self->p, &c));
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(1, st.faults);
	EXPECT_EQ(0, mkwrites(&st, variant->pfn));

	ASSERT_EQ(0, lab_write(self->p, 'a'));
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(1, st.faults);
	EXPECT_EQ(1, mkwrites(&st, variant->pfn));
	EXPECT_EQ(1, st.pages_dirty);

	ASSERT_EQ(0, lab_write(self->p + 1, 'b'));
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(1, mkwrites(&st, variant->pfn));

	ASSERT_EQ(0, lab_write(self->p + PAGE_SZ, 'c'));
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(2, st.faults);
	EXPECT_EQ(1, st.faults_write);
	EXPECT_EQ(2, mkwrites(&st, variant->pfn));
	EXPECT_EQ(2, st.pages_dirty);

	ASSERT_EQ(0, range_op(self->fd, MMAPLAB_IOC_CLEAN, 0, 0, 0, &cleaned));
	EXPECT_EQ(2, cleaned);
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(0, st.pages_dirty);

	ASSERT_EQ(0, lab_write(self->p, 'd'));
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(3, st.faults);
	EXPECT_EQ(3, mkwrites(&st, variant->pfn));
	EXPECT_EQ(1, st.pages_dirty);
	/* The data survived cleaning: it lives in the object. */
	ASSERT_EQ(0, lab_read(self->p + 1, &c));
	EXPECT_EQ('b', c);
}

/* Private mappings copy on write: the module hears of no write (pages). */
TEST_F(notify, private_write_is_not_notified)
{
	struct mmaplab_stats st;
	char *q;

	SETUP_OR_SKIP();
	q = map(self->fd, NR * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (variant->pfn) {
		/* A writable private PFN map is refused, like /dev/mem. */
		EXPECT_EQ(MAP_FAILED, q);
		EXPECT_EQ(EINVAL, errno);
		return;
	}
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, lab_write(q, 'p'));
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(1, st.faults_cow);
	EXPECT_EQ(0, st.page_mkwrites);
	EXPECT_EQ(0, st.pages_dirty);
	munmap(q, NR * PAGE_SZ);
}

/* ---- fault-around ----------------------------------------------------- */

/*
 * Map @len bytes of @fd at an address aligned to 64 KiB, so that the
 * kernel's fault-around window (fault_around_bytes, 64 KiB by default)
 * covers the whole 4-page mapping whatever mmap() would have chosen.
 */
static char *map_aligned(int fd, size_t len, int prot, int flags)
{
	size_t align = 64 << 10;
	char *hole, *at;

	hole = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (hole == MAP_FAILED)
		return hole;
	at = (char *)(((uintptr_t)hole + align - 1) & ~(uintptr_t)(align - 1));
	return mmap(at, len, prot, flags | MAP_FIXED, fd, 0);
}

/*
 * With MMAPLAB_CONFIG_FAULT_AROUND a read fault maps the object's resident
 * pages around it in one ->map_pages call.  Process: write all 4 pages
 * through A, then read through B: B's first read builds its page table,
 * an invalidation empties it, and the next read maps all 4 at once.
 */
TEST(fault_around_maps_resident_neighbours)
{
	struct mmaplab_stats before, after;
	char why[256], *a, *b, c;
	int fd, i;

	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	lab_catch_signals();
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PAGES,
			       MMAPLAB_CONFIG_FAULT_AROUND));
	a = map(fd, NR * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED);
	b = map_aligned(fd, NR * PAGE_SZ, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_TRUE(vmflag(b, "mm"));	/* VM_MIXEDMAP */
	for (i = 0; i < NR; i++)
		ASSERT_EQ(0, lab_write(a + i * PAGE_SZ, '0' + i));
	ASSERT_EQ(0, lab_read(b + 3 * PAGE_SZ, &c));
	ASSERT_EQ(0, range_op(fd, MMAPLAB_IOC_INVALIDATE, 0, 0, 0, NULL));

	ASSERT_EQ(0, lab_stats(fd, &before));
	ASSERT_EQ(0, lab_read(b, &c));
	EXPECT_EQ('0', c);
	ASSERT_EQ(0, lab_stats(fd, &after));
	EXPECT_EQ(before.faults, after.faults);
	EXPECT_EQ(before.map_pages + 1, after.map_pages);
	EXPECT_EQ(before.map_pages_mapped + NR, after.map_pages_mapped);
	/* The neighbours are mapped already: no callback at all. */
	for (i = 1; i < NR; i++) {
		ASSERT_EQ(0, lab_read(b + i * PAGE_SZ, &c));
		EXPECT_EQ('0' + i, c);
	}
	ASSERT_EQ(0, lab_stats(fd, &before));
	EXPECT_EQ(after.faults, before.faults);
	EXPECT_EQ(after.map_pages, before.map_pages);
	munmap(a, NR * PAGE_SZ);
	munmap(b, NR * PAGE_SZ);
	close(fd);
}

/*
 * The price of fault-around on module pages: the VMA is VM_MIXEDMAP, and
 * fork() copies the page-table entries of such a VMA, so a child does not
 * fault on shared pages its parent mapped.  Without it, the child does.
 */
static long child_faults(uint32_t flags)
{
	struct mmaplab_stats before, after;
	char why[256], *p, c;
	int fd, i, status;
	pid_t pid;

	fd = lab_open(why, sizeof(why));
	if (fd < 0 || configure(fd, MMAPLAB_BACKING_PAGES, flags))
		return -1;
	p = map(fd, NR * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED);
	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < NR; i++)
		lab_write(p + i * PAGE_SZ, 'f');
	lab_stats(fd, &before);
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < NR; i++)
			lab_read(p + i * PAGE_SZ, &c);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	lab_stats(fd, &after);
	munmap(p, NR * PAGE_SZ);
	close(fd);
	return (long)(after.faults - before.faults) +
	       (long)(after.map_pages - before.map_pages);
}

TEST(fork_copies_entries_only_with_fault_around)
{
	char why[256];
	int fd = lab_open(why, sizeof(why));

	if (fd < 0)
		SKIP(return, "%s", why);
	close(fd);
	lab_catch_signals();
	EXPECT_EQ(NR, child_faults(0));
	EXPECT_EQ(0, child_faults(MMAPLAB_CONFIG_FAULT_AROUND));
}

/* ---- pfn ------------------------------------------------------------- */

/*
 * gdb and /proc/PID/mem cannot pin the pages of a VM_IO | VM_PFNMAP
 * mapping; the kernel asks the module's ->access instead.  For backing
 * pages the same read goes through the page tables: no ->access.
 */
static void proc_mem_roundtrip(struct __test_metadata *_metadata,
			       uint32_t backing, bool expect_access)
{
	struct mmaplab_stats st;
	char why[256], *p, c;
	int fd, mem;

	fd = lab_open(why, sizeof(why));
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, configure(fd, backing, 0));
	p = map(fd, NR * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	p[PAGE_SZ + 5] = 'Q';
	mem = open("/proc/self/mem", O_RDWR);
	ASSERT_GE(mem, 0);
	ASSERT_EQ(1, pread(mem, &c, 1, (uintptr_t)(p + PAGE_SZ + 5)));
	EXPECT_EQ('Q', c);
	c = 'Z';
	ASSERT_EQ(1, pwrite(mem, &c, 1, (uintptr_t)(p + 2 * PAGE_SZ)));
	EXPECT_EQ('Z', p[2 * PAGE_SZ]);
	close(mem);
	ASSERT_EQ(0, lab_stats(fd, &st));
	EXPECT_EQ(expect_access ? 2 : 0, st.accesses);
	munmap(p, NR * PAGE_SZ);
	close(fd);
}

TEST(proc_mem_reaches_pfn_pages_through_access)
{
	char why[256];
	int fd = lab_open(why, sizeof(why));

	if (fd < 0)
		SKIP(return, "%s", why);
	close(fd);
	proc_mem_roundtrip(_metadata, MMAPLAB_BACKING_PFN, true);
	proc_mem_roundtrip(_metadata, MMAPLAB_BACKING_PAGES, false);
}

/* A PFN mapping carries pf, io, de (dontexpand) and dd (dontdump). */
TEST(pfn_vma_flags)
{
	char why[256], *p;
	int fd;

	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PFN, 0));
	p = map(fd, NR * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_TRUE(vmflag(p, "pf"));
	EXPECT_TRUE(vmflag(p, "io"));
	EXPECT_TRUE(vmflag(p, "de"));
	EXPECT_TRUE(vmflag(p, "dd"));
	munmap(p, NR * PAGE_SZ);
	close(fd);
}

/*
 * Private PFN mappings are refused, even read-only and even on a
 * descriptor opened O_RDONLY: MAP_PRIVATE keeps VM_MAYWRITE (mprotect()
 * may make it writable and copy on write), and copy-on-write needs the
 * struct pages a PFN map does not have.  Shared read-only is fine.
 */
TEST(pfn_private_refused)
{
	char why[256], *p, c;
	int fd, ro;

	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	lab_catch_signals();
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PFN, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE_SZ, PROT_READ, MAP_PRIVATE, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	close(fd);

	ro = open(lab_device(), O_RDONLY | O_CLOEXEC);
	ASSERT_GE(ro, 0);
	ASSERT_EQ(0, configure(ro, MMAPLAB_BACKING_PFN, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE_SZ, PROT_READ, MAP_PRIVATE, ro, 0));
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, PAGE_SZ, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, lab_read(p, &c));
	EXPECT_EQ(0, c);
	/* Read-only descriptor, shared: cannot become writable. */
	EXPECT_EQ(-1, mprotect(p, PAGE_SZ, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(p, PAGE_SZ);
	close(ro);
}

/* ---- configuration flags and range arguments -------------------------- */

/* A flag the backing cannot honour is refused. */
TEST(config_flags_per_backing)
{
	struct { uint32_t backing, flags; int err; } cases[] = {
		{ MMAPLAB_BACKING_PAGES, MMAPLAB_CONFIG_FAULT_AROUND, 0 },
		{ MMAPLAB_BACKING_PAGES, MMAPLAB_CONFIG_WRITE_NOTIFY, 0 },
		{ MMAPLAB_BACKING_PAGES, MMAPLAB_CONFIG_FLAGS_ALL, 0 },
		{ MMAPLAB_BACKING_PFN, MMAPLAB_CONFIG_WRITE_NOTIFY, 0 },
		{ MMAPLAB_BACKING_PFN, MMAPLAB_CONFIG_FAULT_AROUND, EINVAL },
		{ MMAPLAB_BACKING_SHMEM, MMAPLAB_CONFIG_FAULT_AROUND, EINVAL },
		{ MMAPLAB_BACKING_SHMEM, MMAPLAB_CONFIG_WRITE_NOTIFY, EINVAL },
		{ MMAPLAB_BACKING_ZERO, MMAPLAB_CONFIG_WRITE_NOTIFY, EINVAL },
		{ MMAPLAB_BACKING_PAGES, 1u << 31, EINVAL },
		{ MMAPLAB_BACKING_PFN + 1, 0, EINVAL },
	};
	char why[256];
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = lab_open(why, sizeof(why));
		if (fd < 0)
			SKIP(return, "%s", why);
		EXPECT_EQ(cases[i].err, configure(fd, cases[i].backing,
						  cases[i].flags))
			TH_LOG("backing %u flags %#x", cases[i].backing,
			       cases[i].flags);
		close(fd);
	}
}

TEST(range_arguments)
{
	struct mmaplab_range r;
	char why[256];
	int fd, zfd;

	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	/* Unconfigured. */
	EXPECT_EQ(EINVAL, range_op(fd, MMAPLAB_IOC_GUARD, MMAPLAB_GUARD_INSTALL,
				   0, 1, NULL));
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PAGES, 0));
	/* Outside the object. */
	EXPECT_EQ(EINVAL, range_op(fd, MMAPLAB_IOC_INVALIDATE, 0, NR, 1, NULL));
	EXPECT_EQ(EINVAL, range_op(fd, MMAPLAB_IOC_INVALIDATE, 0, 2, 3, NULL));
	EXPECT_EQ(EINVAL, range_op(fd, MMAPLAB_IOC_INVALIDATE, 0, 1, UINT64_MAX, NULL));
	/* Flags. */
	EXPECT_EQ(EINVAL, range_op(fd, MMAPLAB_IOC_GUARD, 0, 0, 1, NULL));
	EXPECT_EQ(EINVAL, range_op(fd, MMAPLAB_IOC_GUARD, MMAPLAB_GUARD_INSTALL |
				   MMAPLAB_GUARD_REMOVE, 0, 1, NULL));
	EXPECT_EQ(EINVAL, range_op(fd, MMAPLAB_IOC_INVALIDATE, 1u << 5, 0, 1, NULL));
	EXPECT_EQ(EINVAL, range_op(fd, MMAPLAB_IOC_CLEAN, 1, 0, 1, NULL));
	/* CLEAN needs write-notify. */
	EXPECT_EQ(EINVAL, range_op(fd, MMAPLAB_IOC_CLEAN, 0, 0, 1, NULL));
	/* fill: only with REPLACE, only a byte; pad must be zero; size. */
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.fill = 'x';
	EXPECT_EQ(-1, ioctl(fd, MMAPLAB_IOC_INVALIDATE, &r));
	EXPECT_EQ(EINVAL, errno);
	r.flags = MMAPLAB_INVALIDATE_REPLACE;
	r.fill = 256;
	EXPECT_EQ(-1, ioctl(fd, MMAPLAB_IOC_INVALIDATE, &r));
	EXPECT_EQ(EINVAL, errno);
	r.fill = 0;
	r.__pad = 1;
	EXPECT_EQ(-1, ioctl(fd, MMAPLAB_IOC_INVALIDATE, &r));
	EXPECT_EQ(EINVAL, errno);
	r.__pad = 0;
	r.size = MMAPLAB_RANGE_SIZE_VER0 - 8;
	EXPECT_EQ(-1, ioctl(fd, MMAPLAB_IOC_INVALIDATE, &r));
	EXPECT_EQ(EINVAL, errno);
	r.size = sizeof(r);
	EXPECT_EQ(0, ioctl(fd, MMAPLAB_IOC_INVALIDATE, &r));
	EXPECT_EQ(NR, r.result);
	close(fd);

	/* The zero backing has no mappings of its own to act on. */
	zfd = lab_open(why, sizeof(why));
	ASSERT_GE(zfd, 0);
	ASSERT_EQ(0, configure(zfd, MMAPLAB_BACKING_ZERO, 0));
	EXPECT_EQ(EOPNOTSUPP, range_op(zfd, MMAPLAB_IOC_GUARD,
				       MMAPLAB_GUARD_INSTALL, 0, 1, NULL));
	EXPECT_EQ(EOPNOTSUPP, range_op(zfd, MMAPLAB_IOC_INVALIDATE, 0, 0, 0, NULL));
	close(zfd);
}

/* After objects of every backing have lived and died, nothing is left. */
TEST(every_backing_leaves_nothing)
{
	uint32_t backings[] = { MMAPLAB_BACKING_PAGES, MMAPLAB_BACKING_SHMEM,
				MMAPLAB_BACKING_ZERO, MMAPLAB_BACKING_PFN };
	struct mmaplab_stats before, after;
	char why[256], *p;
	unsigned int i;
	int fd, j;

	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	close(fd);
	lab_catch_signals();
	ASSERT_EQ(0, lab_global(&before));
	for (i = 0; i < 4; i++) {
		fd = lab_open(why, sizeof(why));
		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, configure(fd, backings[i], 0));
		p = map(fd, NR * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, p);
		for (j = 0; j < NR; j++)
			ASSERT_EQ(0, lab_write(p + j * PAGE_SZ, 'l'));
		ASSERT_EQ(0, range_op(fd, MMAPLAB_IOC_INVALIDATE,
				      backings[i] == MMAPLAB_BACKING_ZERO ? 0 :
				      MMAPLAB_INVALIDATE_REPLACE, 0, 0, NULL) &&
			     backings[i] != MMAPLAB_BACKING_ZERO);
		close(fd);
		munmap(p, NR * PAGE_SZ);
	}
	ASSERT_EQ(0, lab_global(&after));
	EXPECT_EQ(before.live_objects, after.live_objects);
	EXPECT_EQ(before.live_pages, after.live_pages);
	EXPECT_EQ(before.reserved_pages, after.reserved_pages);
}

TEST_HARNESS_MAIN
