// SPDX-License-Identifier: GPL-2.0
/*
 * modes_test.c - every backing, MAP_PRIVATE and MAP_SHARED, through the
 * operations a process does on a mapping, each one done twice: on a lab
 * object and on the kernel's own equivalent (the reference), asserting
 * that the process observes the same: bytes, signals, errors,
 * /proc/self/smaps and /proc/self/pagemap.  Where mmaplab differs on
 * purpose, the test says so (see Documentation/modes.rst).
 *
 *	backing	 reference
 *	pages	 a tmpfs file (memfd) of the same size
 *	shmem	 a tmpfs file (memfd) of the same size
 *	zero	 /dev/zero
 *	pfn	 a tmpfs file, for bytes and signals only (a PFN map has no
 *		 struct pages: smaps and pagemap show nothing resident)
 *
 * The object has 4 pages; mappings are 4 pages unless a test says so:
 *
 *	 p           p+1         p+2         p+3
 *	+-----------+-----------+-----------+-----------+
 *	|  page 0   |  page 1   |  page 2   |  page 3   |
 *	+-----------+-----------+-----------+-----------+
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mmaplab_lib.h"

#define NR		4

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#define MADV_GUARD_REMOVE	103
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

enum ref_kind { REF_MEMFD, REF_DEVZERO };

FIXTURE(mode) {
	int lab;	/* the lab object's fd */
	int ref;	/* the reference's fd */
	size_t len;
};

FIXTURE_VARIANT(mode) {
	int backing;
	bool shared;
	enum ref_kind ref;
	bool callbacks;		/* the module's vm_operations stay on the VMA */
	bool pfnmap;		/* no struct pages are mapped */
	bool growable;		/* mremap() may grow it (no VM_DONTEXPAND) */
};

FIXTURE_VARIANT_ADD(mode, pages_private) {
	.backing = MMAPLAB_BACKING_PAGES, .shared = false, .ref = REF_MEMFD,
	.callbacks = true, .growable = true,
};
FIXTURE_VARIANT_ADD(mode, pages_shared) {
	.backing = MMAPLAB_BACKING_PAGES, .shared = true, .ref = REF_MEMFD,
	.callbacks = true, .growable = true,
};
FIXTURE_VARIANT_ADD(mode, shmem_private) {
	.backing = MMAPLAB_BACKING_SHMEM, .shared = false, .ref = REF_MEMFD,
	.callbacks = true, .growable = true,
};
FIXTURE_VARIANT_ADD(mode, shmem_shared) {
	.backing = MMAPLAB_BACKING_SHMEM, .shared = true, .ref = REF_MEMFD,
	.callbacks = true, .growable = true,
};
FIXTURE_VARIANT_ADD(mode, zero_private) {
	.backing = MMAPLAB_BACKING_ZERO, .shared = false, .ref = REF_DEVZERO,
	.growable = true,
};
FIXTURE_VARIANT_ADD(mode, zero_shared) {
	.backing = MMAPLAB_BACKING_ZERO, .shared = true, .ref = REF_DEVZERO,
	.growable = true,
};
FIXTURE_VARIANT_ADD(mode, pfn_shared) {
	.backing = MMAPLAB_BACKING_PFN, .shared = true, .ref = REF_MEMFD,
	.callbacks = true, .pfnmap = true,
};

FIXTURE_SETUP(mode)
{
	struct mmaplab_config cfg = { .size = sizeof(cfg), .nr_pages = NR };
	char why[256];

	self->ref = -1;
	self->len = NR * PAGE_SZ;
	self->lab = lab_open(why, sizeof(why));
	if (self->lab < 0)
		SKIP(return, "%s", why);
	cfg.backing = variant->backing;
	ASSERT_EQ(0, ioctl(self->lab, MMAPLAB_IOC_CONFIGURE, &cfg));
	if (variant->ref == REF_DEVZERO) {
		self->ref = open("/dev/zero", O_RDWR | O_CLOEXEC);
	} else {
		self->ref = memfd_create("mmaplab-ref", MFD_CLOEXEC);
		ASSERT_EQ(0, ftruncate(self->ref, self->len));
	}
	ASSERT_GE(self->ref, 0);
	lab_catch_signals();
}

FIXTURE_TEARDOWN(mode)
{
	if (self->lab >= 0)
		close(self->lab);
	if (self->ref >= 0)
		close(self->ref);
}

static int map_flags(const FIXTURE_VARIANT(mode) *v)
{
	return v->shared ? MAP_SHARED : MAP_PRIVATE;
}

/* mmap + no THP, so that 4K counts and smaps figures are comparable. */
static char *map(int fd, size_t len, int prot, int flags)
{
	char *p = mmap(NULL, len, prot, flags, fd, 0);

	if (p != MAP_FAILED)
		madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* One byte per page and the signal each access raised. */
struct pages_seen {
	char byte[NR + 2];
	int sig[NR + 2];
};

static void read_pages(char *p, int n, struct pages_seen *s)
{
	int i;

	for (i = 0; i < n; i++)
		s->sig[i] = lab_read(p + i * PAGE_SZ, &s->byte[i]);
}

static void expect_same_pages(struct __test_metadata *_metadata,
			      const struct pages_seen *lab,
			      const struct pages_seen *ref, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		EXPECT_EQ(ref->sig[i], lab->sig[i]) TH_LOG("page %d signal", i);
		if (!ref->sig[i] && !lab->sig[i])
			EXPECT_EQ(ref->byte[i], lab->byte[i]) TH_LOG("page %d byte", i);
	}
}

static void stats(struct __test_metadata *_metadata, int fd,
		  struct mmaplab_stats *st)
{
	ASSERT_EQ(0, lab_stats(fd, st));
}

/* ---- smaps and pagemap ------------------------------------------------ */

struct smaps {
	long rss, shared_clean, shared_dirty, private_clean, private_dirty;
	long anonymous;
	bool found;
};

/* The kernel's own accounting of the VMA that starts at @p, in kB. */
static void read_smaps(void *p, struct smaps *sm)
{
	char line[512], start[32];
	bool in = false;
	FILE *f;

	memset(sm, 0, sizeof(*sm));
	snprintf(start, sizeof(start), "%lx-", (unsigned long)p);
	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') &&
		    line[strspn(line, "0123456789abcdef")] == '-') {
			if (in)
				break;
			in = !strncmp(line, start, strlen(start));
			sm->found |= in;
			continue;
		}
		if (!in)
			continue;
		sscanf(line, "Rss: %ld", &sm->rss);
		sscanf(line, "Shared_Clean: %ld", &sm->shared_clean);
		sscanf(line, "Shared_Dirty: %ld", &sm->shared_dirty);
		sscanf(line, "Private_Clean: %ld", &sm->private_clean);
		sscanf(line, "Private_Dirty: %ld", &sm->private_dirty);
		sscanf(line, "Anonymous: %ld", &sm->anonymous);
	}
	fclose(f);
}

#define PM_PRESENT	(1ULL << 63)
#define PM_FILE		(1ULL << 61)

static uint64_t pagemap(void *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)p / PAGE_SZ * sizeof(e)) != sizeof(e))
		e = 0;
	close(fd);
	return e;
}

/* ---- read, write, fork ------------------------------------------------ */

/* A new mapping reads zeroes, and each page costs one fault. */
TEST_F(mode, read_is_zero)
{
	struct pages_seen lab, ref;
	struct mmaplab_stats st;
	char *p, *r;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	read_pages(p, NR, &lab);
	read_pages(r, NR, &ref);
	expect_same_pages(_metadata, &lab, &ref, NR);
	EXPECT_EQ(0, lab.byte[0]);
	stats(_metadata, self->lab, &st);
	EXPECT_EQ(1, st.mmaps);
	EXPECT_EQ(variant->callbacks ? NR : 0, st.faults);
	EXPECT_EQ(variant->callbacks ? NR : 0, st.faults_read);
	munmap(p, self->len);
	munmap(r, self->len);
}

/*
 * Write through one mapping, look through a second MAP_SHARED mapping of
 * the same fd.  A file shows shared writes only; /dev/zero makes every
 * mmap() a new object, so the second mapping never sees anything.
 */
TEST_F(mode, write_seen_by_second_mapping)
{
	struct pages_seen lab, ref;
	char *p, *r, *p2, *r2;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_EQ(0, lab_write(p + PAGE_SZ, 'W'));
	ASSERT_EQ(0, lab_write(r + PAGE_SZ, 'W'));
	p2 = map(self->lab, self->len, PROT_READ, MAP_SHARED);
	r2 = map(self->ref, self->len, PROT_READ, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p2);
	ASSERT_NE(MAP_FAILED, r2);
	read_pages(p2, NR, &lab);
	read_pages(r2, NR, &ref);
	expect_same_pages(_metadata, &lab, &ref, NR);
	EXPECT_EQ(variant->shared && variant->ref == REF_MEMFD ? 'W' : 0,
		  lab.byte[1]);
	munmap(p2, self->len);
	munmap(r2, self->len);
	munmap(p, self->len);
	munmap(r, self->len);
}

/*
 * A private mapping follows the file's updates until it writes the page
 * (topic 3 of the course, "private-update").  A private mapping reads page 0; a shared mapping of the
 * same object writes it: the private mapping sees the write (it maps the
 * object's page).  Once the private mapping wrote the page itself, it has
 * its own copy and later shared writes no longer show.  Objects with their
 * own pages only (pages, shmem, and the tmpfs reference); /dev/zero makes
 * every mmap() new memory, pfn has no private mappings.
 */
TEST_F(mode, private_sees_shared_write_until_it_writes)
{
	char lab[3], ref[3];
	int fd, i;

	SETUP_OR_SKIP();
	if (variant->shared || variant->ref != REF_MEMFD)
		SKIP(return, "only for private mappings of an object with its own pages");
	for (i = 0; i < 2; i++) {
		char *seen = i ? ref : lab, *priv, *shared;

		fd = i ? self->ref : self->lab;
		priv = map(fd, self->len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
		shared = map(fd, self->len, PROT_READ | PROT_WRITE, MAP_SHARED);
		ASSERT_NE(MAP_FAILED, priv);
		ASSERT_NE(MAP_FAILED, shared);
		ASSERT_EQ(0, lab_read(priv, &seen[0]));		/* 0 */
		ASSERT_EQ(0, lab_write(shared, 'U'));
		ASSERT_EQ(0, lab_read(priv, &seen[1]));		/* 'U' */
		ASSERT_EQ(0, lab_write(priv, 'p'));
		ASSERT_EQ(0, lab_write(shared, 'V'));
		ASSERT_EQ(0, lab_read(priv, &seen[2]));		/* 'p' */
		munmap(priv, self->len);
		munmap(shared, self->len);
	}
	EXPECT_EQ(0, memcmp(ref, lab, sizeof(lab)));
	EXPECT_EQ(0, lab[0]);
	EXPECT_EQ('U', lab[1]);
	EXPECT_EQ('p', lab[2]);
}

/*
 * Parent writes 'P' and forks.  The child reads, writes 'C'; then the
 * parent reads and writes 'Q'; then the child reads again.  Shared: each
 * sees the other's write ('C', then 'Q').  Private: each keeps its own
 * copy ('P' for the parent, 'C' for the child).  fork() duplicates the
 * VMA: one ->open, and the child's exit one ->close.
 */
struct fork_seen {
	char child_first;	/* before anyone wrote after fork */
	char parent;		/* after the child wrote 'C' */
	char child_last;	/* after the parent wrote 'Q' */
};

static void fork_scenario(char *p, struct fork_seen *s)
{
	int to_parent[2], to_child[2], status;
	char c = 0;
	pid_t pid;

	memset(s, -1, sizeof(*s));
	lab_write(p, 'P');
	if (pipe(to_parent) || pipe(to_child))
		return;
	pid = fork();
	if (pid == 0) {
		char seen[2] = { 0, 0 };

		lab_read(p, &seen[0]);
		lab_write(p, 'C');
		if (write(to_parent[1], "w", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(1);
		lab_read(p, &seen[1]);
		_exit(write(to_parent[1], seen, 2) == 2 ? 0 : 1);
	}
	if (read(to_parent[0], &c, 1) == 1) {
		char seen[2];

		lab_read(p, &s->parent);
		lab_write(p, 'Q');
		if (write(to_child[1], "w", 1) == 1 &&
		    read(to_parent[0], seen, 2) == 2) {
			s->child_first = seen[0];
			s->child_last = seen[1];
		}
	}
	waitpid(pid, &status, 0);
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
}

TEST_F(mode, fork_then_both_write)
{
	struct fork_seen lab, ref;
	struct mmaplab_stats st;
	char *p, *r;

	SETUP_OR_SKIP();
	/*
	 * The reference first, unmapped again before the lab mapping exists:
	 * every fork() duplicates every VMA, and the counts below are for
	 * exactly one fork of the lab mapping.
	 */
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, r);
	fork_scenario(r, &ref);
	munmap(r, self->len);
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	fork_scenario(p, &lab);
	EXPECT_EQ(ref.child_first, lab.child_first);
	EXPECT_EQ(ref.parent, lab.parent);
	EXPECT_EQ(ref.child_last, lab.child_last);
	EXPECT_EQ('P', lab.child_first);
	EXPECT_EQ(variant->shared ? 'C' : 'P', lab.parent);
	EXPECT_EQ(variant->shared ? 'Q' : 'C', lab.child_last);
	stats(_metadata, self->lab, &st);
	if (variant->callbacks) {
		EXPECT_EQ(1, st.vma_opens);
		EXPECT_EQ(1, st.vma_closes);
		EXPECT_EQ(1, st.vmas_live);
	}
	munmap(p, self->len);
}

/* ---- mremap ----------------------------------------------------------- */

/*
 * Move a 2-page mapping elsewhere: the content comes along; the kernel
 * duplicates the VMA (->open), tells the module (->mremap), and closes
 * the old one (->close).
 */
TEST_F(mode, mremap_move)
{
	struct pages_seen lab, ref;
	struct mmaplab_stats st;
	char *p, *r, *q;

	SETUP_OR_SKIP();
	p = map(self->lab, 2 * PAGE_SZ, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, 2 * PAGE_SZ, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	lab_write(p, 'M');
	lab_write(r, 'M');
	/* Reserve a destination, then move onto it. */
	q = mmap(NULL, 2 * PAGE_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, q);
	p = mremap(p, 2 * PAGE_SZ, 2 * PAGE_SZ, MREMAP_MAYMOVE | MREMAP_FIXED, q);
	ASSERT_EQ(q, p);
	q = mmap(NULL, 2 * PAGE_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = mremap(r, 2 * PAGE_SZ, 2 * PAGE_SZ, MREMAP_MAYMOVE | MREMAP_FIXED, q);
	ASSERT_EQ(q, r);
	read_pages(p, 2, &lab);
	read_pages(r, 2, &ref);
	expect_same_pages(_metadata, &lab, &ref, 2);
	EXPECT_EQ('M', lab.byte[0]);
	stats(_metadata, self->lab, &st);
	if (variant->callbacks) {
		EXPECT_EQ(1, st.mremaps);
		EXPECT_EQ(1, st.vma_opens);
		EXPECT_EQ(1, st.vma_closes);
		EXPECT_EQ(1, st.vmas_live);
	}
	munmap(p, 2 * PAGE_SZ);
	munmap(r, 2 * PAGE_SZ);
}

/*
 * Grow 2 pages to 4 (may move).  Files and /dev/zero grow; a PFN map is
 * VM_DONTEXPAND and refuses with EFAULT: a difference on purpose.
 */
TEST_F(mode, mremap_grow)
{
	struct pages_seen lab, ref;
	char *p, *r, *p2, *r2;

	SETUP_OR_SKIP();
	p = map(self->lab, 2 * PAGE_SZ, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, 2 * PAGE_SZ, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	lab_write(p, 'G');
	lab_write(r, 'G');
	r2 = mremap(r, 2 * PAGE_SZ, NR * PAGE_SZ, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, r2);
	p2 = mremap(p, 2 * PAGE_SZ, NR * PAGE_SZ, MREMAP_MAYMOVE);
	if (!variant->growable) {
		EXPECT_EQ(MAP_FAILED, p2);
		EXPECT_EQ(EFAULT, errno);
		munmap(p, 2 * PAGE_SZ);
		munmap(r2, NR * PAGE_SZ);
		return;
	}
	ASSERT_NE(MAP_FAILED, p2);
	read_pages(p2, NR, &lab);
	read_pages(r2, NR, &ref);
	expect_same_pages(_metadata, &lab, &ref, NR);
	EXPECT_EQ('G', lab.byte[0]);
	munmap(p2, NR * PAGE_SZ);
	munmap(r2, NR * PAGE_SZ);
}

/* Shrink 4 pages to 2: the tail is split off (->open) and closed. */
TEST_F(mode, mremap_shrink)
{
	struct pages_seen lab, ref;
	struct mmaplab_stats st;
	char *p, *r;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_EQ(p, mremap(p, self->len, 2 * PAGE_SZ, 0));
	ASSERT_EQ(r, mremap(r, self->len, 2 * PAGE_SZ, 0));
	read_pages(p, 3, &lab);
	read_pages(r, 3, &ref);
	expect_same_pages(_metadata, &lab, &ref, 3);
	EXPECT_EQ(SIGSEGV, lab.sig[2]);
	stats(_metadata, self->lab, &st);
	if (variant->callbacks) {
		EXPECT_EQ(1, st.vma_opens);
		EXPECT_EQ(1, st.vma_closes);
		EXPECT_EQ(1, st.vmas_live);
	}
	munmap(p, 2 * PAGE_SZ);
	munmap(r, 2 * PAGE_SZ);
}

/*
 * MREMAP_DONTUNMAP moves the page-table entries and leaves the old range
 * mapped but empty.  Whatever the kernel allows for the reference (it
 * started as private-anonymous only), it allows for the lab object, with
 * the same result in both ranges.
 */
TEST_F(mode, mremap_dontunmap)
{
	char *p, *r, *p2, *r2, lab_old = 0, ref_old = 0, lab_new = 0, ref_new = 0;
	int lab_err, ref_err, lab_sig, ref_sig;

	SETUP_OR_SKIP();
	p = map(self->lab, 2 * PAGE_SZ, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, 2 * PAGE_SZ, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	lab_write(p, 'U');
	lab_write(r, 'U');
	r2 = mremap(r, 2 * PAGE_SZ, 2 * PAGE_SZ, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	ref_err = r2 == MAP_FAILED ? errno : 0;
	p2 = mremap(p, 2 * PAGE_SZ, 2 * PAGE_SZ, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	lab_err = p2 == MAP_FAILED ? errno : 0;
	if (!variant->growable) {
		/* VM_DONTEXPAND | VM_PFNMAP: refused, on purpose. */
		EXPECT_NE(0, lab_err);
	} else {
		EXPECT_EQ(ref_err, lab_err);
	}
	if (!lab_err && !ref_err) {
		EXPECT_EQ(0, lab_read(p2, &lab_new));
		EXPECT_EQ(0, lab_read(r2, &ref_new));
		EXPECT_EQ(ref_new, lab_new);
		EXPECT_EQ('U', lab_new);
		ref_sig = lab_read(r, &ref_old);
		lab_sig = lab_read(p, &lab_old);
		EXPECT_EQ(ref_sig, lab_sig);
		EXPECT_EQ(ref_old, lab_old);
		munmap(p2, 2 * PAGE_SZ);
		munmap(r2, 2 * PAGE_SZ);
	}
	munmap(p, 2 * PAGE_SZ);
	munmap(r, 2 * PAGE_SZ);
}

/* ---- munmap, mprotect, MAP_FIXED -------------------------------------- */

/*
 * Unmap page 1 of 4: two splits (->open twice), page 1 closed.
 *
 *	before:  [ 0  1  2  3 ]
 *	after:   [ 0 ]    [ 2  3 ]
 */
TEST_F(mode, partial_munmap)
{
	struct pages_seen lab, ref;
	struct mmaplab_stats st;
	char *p, *r;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_EQ(0, munmap(p + PAGE_SZ, PAGE_SZ));
	ASSERT_EQ(0, munmap(r + PAGE_SZ, PAGE_SZ));
	read_pages(p, NR, &lab);
	read_pages(r, NR, &ref);
	expect_same_pages(_metadata, &lab, &ref, NR);
	EXPECT_EQ(SIGSEGV, lab.sig[1]);
	stats(_metadata, self->lab, &st);
	if (variant->callbacks) {
		EXPECT_EQ(2, st.may_splits);
		EXPECT_EQ(2, st.vma_opens);
		EXPECT_EQ(1, st.vma_closes);
		EXPECT_EQ(2, st.vmas_live);
	}
	munmap(p, self->len);
	munmap(r, self->len);
}

/*
 * mprotect(PROT_READ) on page 1: a write there is SIGSEGV.  The VMA is
 * split twice (->may_split, ->open) and ->mprotect is asked once.
 *
 *	after:   [ rw ][ r ][ rw rw ]
 */
TEST_F(mode, mprotect_read_only_page)
{
	int lab_sig, ref_sig;
	struct mmaplab_stats st;
	char *p, *r;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_EQ(0, mprotect(p + PAGE_SZ, PAGE_SZ, PROT_READ));
	ASSERT_EQ(0, mprotect(r + PAGE_SZ, PAGE_SZ, PROT_READ));
	lab_sig = lab_write(p + PAGE_SZ, 'x');
	ref_sig = lab_write(r + PAGE_SZ, 'x');
	EXPECT_EQ(ref_sig, lab_sig);
	EXPECT_EQ(SIGSEGV, lab_sig);
	EXPECT_EQ(0, lab_write(p + 2 * PAGE_SZ, 'y'));
	stats(_metadata, self->lab, &st);
	if (variant->callbacks) {
		EXPECT_EQ(1, st.mprotects);
		EXPECT_EQ(2, st.may_splits);
		EXPECT_EQ(2, st.vma_opens);
		EXPECT_EQ(3, st.vmas_live);
	}
	munmap(p, self->len);
	munmap(r, self->len);
}

/*
 * MAP_FIXED over the middle of an existing mapping of the object replaces
 * that part: the old VMA is split and the covered part closed, the new
 * mapping (page offset 3) shows page 3's content at the old page 1.
 */
TEST_F(mode, map_fixed_over_mapping)
{
	struct pages_seen lab, ref;
	char *p, *r;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, MAP_SHARED);
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	lab_write(p + 3 * PAGE_SZ, '3');
	lab_write(r + 3 * PAGE_SZ, '3');
	ASSERT_EQ(p + PAGE_SZ, mmap(p + PAGE_SZ, PAGE_SZ, PROT_READ | PROT_WRITE,
				    map_flags(variant) | MAP_FIXED, self->lab,
				    3 * PAGE_SZ));
	ASSERT_EQ(r + PAGE_SZ, mmap(r + PAGE_SZ, PAGE_SZ, PROT_READ | PROT_WRITE,
				    map_flags(variant) | MAP_FIXED, self->ref,
				    3 * PAGE_SZ));
	read_pages(p, NR, &lab);
	read_pages(r, NR, &ref);
	expect_same_pages(_metadata, &lab, &ref, NR);
	munmap(p, self->len);
	munmap(r, self->len);
}

/* ---- madvise, msync --------------------------------------------------- */

/*
 * MADV_DONTNEED drops the process's page-table entries: a private copy is
 * gone (the page reads from the object again: 0), a shared page keeps its
 * content (it lives in the object).
 */
TEST_F(mode, madv_dontneed)
{
	struct pages_seen lab, ref;
	char *p, *r;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	lab_write(p, 'D');
	lab_write(r, 'D');
	ASSERT_EQ(0, madvise(r, self->len, MADV_DONTNEED));
	if (variant->pfnmap) {
		/* VM_PFNMAP: the kernel refuses, on purpose. */
		EXPECT_EQ(-1, madvise(p, self->len, MADV_DONTNEED));
		EXPECT_EQ(EINVAL, errno);
		munmap(p, self->len);
		munmap(r, self->len);
		return;
	}
	ASSERT_EQ(0, madvise(p, self->len, MADV_DONTNEED));
	read_pages(p, NR, &lab);
	read_pages(r, NR, &ref);
	expect_same_pages(_metadata, &lab, &ref, NR);
	EXPECT_EQ(variant->shared ? 'D' : 0, lab.byte[0]);
	munmap(p, self->len);
	munmap(r, self->len);
}

/* MADV_FREE applies to private anonymous memory only; EINVAL elsewhere. */
TEST_F(mode, madv_free)
{
	int lab_ret, ref_ret, lab_err, ref_err;
	char *p, *r;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	lab_write(p, 'F');
	lab_write(r, 'F');
	lab_ret = madvise(p, self->len, MADV_FREE);
	lab_err = lab_ret ? errno : 0;
	ref_ret = madvise(r, self->len, MADV_FREE);
	ref_err = ref_ret ? errno : 0;
	EXPECT_EQ(ref_ret, lab_ret);
	EXPECT_EQ(ref_err, lab_err);
	EXPECT_EQ(variant->backing == MMAPLAB_BACKING_ZERO && !variant->shared ?
		  0 : EINVAL, lab_err);
	munmap(p, self->len);
	munmap(r, self->len);
}

/* msync() succeeds on both and leaves the data as it was. */
TEST_F(mode, msync_keeps_data)
{
	char *p, *r, c;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	lab_write(p, 'S');
	lab_write(r, 'S');
	EXPECT_EQ(msync(r, self->len, MS_SYNC), msync(p, self->len, MS_SYNC));
	EXPECT_EQ(msync(r, self->len, MS_ASYNC), msync(p, self->len, MS_ASYNC));
	EXPECT_EQ(msync(r, self->len, MS_INVALIDATE),
		  msync(p, self->len, MS_INVALIDATE));
	ASSERT_EQ(0, lab_read(p, &c));
	EXPECT_EQ('S', c);
	munmap(p, self->len);
	munmap(r, self->len);
}

/* ---- the end, the kernel's view --------------------------------------- */

/*
 * Map two pages more than the object: past its end, a file is SIGBUS.
 * /dev/zero has no end.
 */
TEST_F(mode, past_the_end)
{
	struct pages_seen lab, ref;
	size_t len = (NR + 2) * PAGE_SZ;
	char *p, *r;

	SETUP_OR_SKIP();
	p = map(self->lab, len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	read_pages(p, NR + 2, &lab);
	read_pages(r, NR + 2, &ref);
	expect_same_pages(_metadata, &lab, &ref, NR + 2);
	EXPECT_EQ(variant->ref == REF_MEMFD ? SIGBUS : 0, lab.sig[NR]);
	munmap(p, len);
	munmap(r, len);
}

/*
 * The kernel's own accounting after writing page 0 and reading page 1:
 * smaps Rss/Shared/Private/Anonymous of the VMA and pagemap's present and
 * file bits.  A PFN map has no struct pages, so the kernel shows nothing
 * resident for it: checked as such, not against the reference.
 */
TEST_F(mode, smaps_and_pagemap)
{
	struct smaps lab_sm, ref_sm;
	uint64_t lab_pm[3], ref_pm[3];
	char *p, *r, c;
	int i;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	lab_write(p, 'a');
	lab_write(r, 'a');
	lab_read(p + PAGE_SZ, &c);
	lab_read(r + PAGE_SZ, &c);
	read_smaps(p, &lab_sm);
	read_smaps(r, &ref_sm);
	ASSERT_TRUE(lab_sm.found);
	ASSERT_TRUE(ref_sm.found);
	for (i = 0; i < 3; i++) {
		lab_pm[i] = pagemap(p + i * PAGE_SZ);
		ref_pm[i] = pagemap(r + i * PAGE_SZ);
	}
	if (variant->pfnmap) {
		EXPECT_EQ(0, lab_sm.rss);
		EXPECT_EQ(0, lab_sm.anonymous);
		return;
	}
	EXPECT_EQ(ref_sm.rss, lab_sm.rss);
	EXPECT_EQ(ref_sm.shared_clean + ref_sm.shared_dirty,
		  lab_sm.shared_clean + lab_sm.shared_dirty);
	EXPECT_EQ(ref_sm.private_clean + ref_sm.private_dirty,
		  lab_sm.private_clean + lab_sm.private_dirty);
	EXPECT_EQ(ref_sm.private_dirty, lab_sm.private_dirty);
	EXPECT_EQ(ref_sm.anonymous, lab_sm.anonymous);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(ref_pm[i] & PM_PRESENT, lab_pm[i] & PM_PRESENT)
			TH_LOG("page %d present", i);
		EXPECT_EQ(ref_pm[i] & PM_FILE, lab_pm[i] & PM_FILE)
			TH_LOG("page %d file/shared", i);
	}
	EXPECT_TRUE(lab_pm[0] & PM_PRESENT);
	EXPECT_FALSE(lab_pm[2] & PM_PRESENT);
	munmap(p, self->len);
	munmap(r, self->len);
}

/*
 * /proc/self/maps names the mapping like the kernel's own: a shared zero
 * mapping is "/dev/zero (deleted)" (its shmem file), a shmem object's is
 * the shmem file's name.  Private zero mappings keep the device file:
 * "/dev/mmaplab" where /dev/zero shows "/dev/zero" (on purpose).
 */
static void maps_name(void *p, char *name, size_t len)
{
	char line[512], start[32];
	FILE *f = fopen("/proc/self/maps", "r");

	name[0] = 0;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)p);
	while (f && fgets(line, sizeof(line), f)) {
		char *n;

		if (strncmp(line, start, strlen(start)))
			continue;
		n = strchr(line, '/');
		if (!n)
			n = strchr(line, '[');
		if (n) {
			n[strcspn(n, "\n")] = 0;
			snprintf(name, len, "%s", n);
		}
		break;
	}
	if (f)
		fclose(f);
}

TEST_F(mode, maps_name)
{
	char lab_name[256], ref_name[256];
	char *p, *r;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	maps_name(p, lab_name, sizeof(lab_name));
	maps_name(r, ref_name, sizeof(ref_name));
	switch (variant->backing) {
	case MMAPLAB_BACKING_ZERO:
		if (variant->shared) {
			EXPECT_STREQ(ref_name, lab_name);
		} else {
			EXPECT_STREQ("/dev/mmaplab", lab_name);
		}
		break;
	case MMAPLAB_BACKING_SHMEM:
		EXPECT_STREQ("/mmaplab (deleted)", lab_name);
		break;
	default:
		EXPECT_STREQ("/dev/mmaplab", lab_name);
	}
	munmap(p, self->len);
	munmap(r, self->len);
}

/* ---- guards ----------------------------------------------------------- */

/*
 * Three ways to guard page 1, each must make an access SIGSEGV and leave
 * pages 0 and 2 alone:
 *   mmaplab guard           the VMA stays whole; the module answers the
 *                           fault with VM_FAULT_SIGSEGV
 *   mprotect(PROT_NONE)     the VMA splits in three, "---p" in maps
 *   MADV_GUARD_INSTALL      a marker in the page table, no split (6.13+)
 */
static int guard_ioctl(int fd, unsigned int flags, uint64_t pgoff, uint64_t nr,
		       uint64_t *result)
{
	struct mmaplab_range r = {
		.size = sizeof(r), .flags = flags, .pgoff = pgoff, .nr_pages = nr,
	};
	int ret = ioctl(fd, MMAPLAB_IOC_GUARD, &r);

	if (result)
		*result = r.result;
	return ret ? errno : 0;
}

TEST_F(mode, guard_three_ways)
{
	struct mmaplab_stats st;
	struct pages_seen s;
	uint64_t guarded;
	char *p, *q, *g;
	int err;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	lab_write(p + PAGE_SZ, 'g');

	err = guard_ioctl(self->lab, MMAPLAB_GUARD_INSTALL, 1, 1, &guarded);
	if (variant->backing == MMAPLAB_BACKING_ZERO) {
		/* Its mappings are not the module's: nothing to guard. */
		EXPECT_EQ(EOPNOTSUPP, err);
		munmap(p, self->len);
		return;
	}
	ASSERT_EQ(0, err);
	EXPECT_EQ(1, guarded);
	read_pages(p, NR, &s);
	EXPECT_EQ(0, s.sig[0]);
	EXPECT_EQ(SIGSEGV, s.sig[1]);
	EXPECT_EQ(0, s.sig[2]);
	stats(_metadata, self->lab, &st);
	EXPECT_EQ(1, st.faults_sigsegv);
	EXPECT_EQ(1, st.pages_guarded);
	EXPECT_EQ(1, st.vmas_live);	/* no split */

	/* Removed: accessible again; a shared write survived in the object. */
	ASSERT_EQ(0, guard_ioctl(self->lab, MMAPLAB_GUARD_REMOVE, 1, 1, &guarded));
	EXPECT_EQ(0, guarded);
	read_pages(p, NR, &s);
	EXPECT_EQ(0, s.sig[1]);
	EXPECT_EQ(variant->shared ? 'g' : 0, s.byte[1]);

	/* mprotect(PROT_NONE): SIGSEGV too, but the VMA splits. */
	q = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, mprotect(q + PAGE_SZ, PAGE_SZ, PROT_NONE));
	read_pages(q, NR, &s);
	EXPECT_EQ(SIGSEGV, s.sig[1]);
	EXPECT_EQ(0, s.sig[2]);
	stats(_metadata, self->lab, &st);
	EXPECT_EQ(4, st.vmas_live);	/* p, and q in three */

	/* MADV_GUARD_INSTALL, where the kernel has it. */
	g = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, g);
	if (madvise(g + PAGE_SZ, PAGE_SZ, MADV_GUARD_INSTALL) == 0) {
		read_pages(g, NR, &s);
		EXPECT_EQ(SIGSEGV, s.sig[1]);
		EXPECT_EQ(0, s.sig[2]);
	} else {
		TH_LOG("MADV_GUARD_INSTALL: %s (needs 6.13+): not compared",
		       strerror(errno));
	}
	munmap(g, self->len);
	munmap(q, self->len);
	munmap(p, self->len);
}

/*
 * MADV_GUARD_INSTALL on the lab mapping behaves as on the reference: where
 * the kernel supports it for this kind of mapping (anonymous from 6.13,
 * file-backed from 6.15), page 1 becomes SIGSEGV without a split, and
 * MADV_GUARD_REMOVE gives it back.
 */
TEST_F(mode, madv_guard_matches_reference)
{
	int lab_ret, ref_ret, lab_err, ref_err;
	struct pages_seen lab, ref;
	char *p, *r;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	r = map(self->ref, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, r);
	ref_ret = madvise(r + PAGE_SZ, PAGE_SZ, MADV_GUARD_INSTALL);
	ref_err = ref_ret ? errno : 0;
	if (ref_ret) {
		munmap(p, self->len);
		munmap(r, self->len);
		SKIP(return, "MADV_GUARD_INSTALL on the reference: %s (this kernel lacks guard regions for this mapping: anonymous 6.13+, file-backed 6.15+)",
		     strerror(ref_err));
	}
	lab_ret = madvise(p + PAGE_SZ, PAGE_SZ, MADV_GUARD_INSTALL);
	lab_err = lab_ret ? errno : 0;
	if (variant->pfnmap) {
		/* VM_PFNMAP | VM_IO: refused, on purpose. */
		EXPECT_EQ(EINVAL, lab_err);
	} else {
		EXPECT_EQ(ref_err, lab_err);
		read_pages(p, NR, &lab);
		read_pages(r, NR, &ref);
		expect_same_pages(_metadata, &lab, &ref, NR);
		EXPECT_EQ(SIGSEGV, lab.sig[1]);
		EXPECT_EQ(0, madvise(p + PAGE_SZ, PAGE_SZ, MADV_GUARD_REMOVE));
		EXPECT_EQ(0, lab_read(p + PAGE_SZ, &lab.byte[1]));
	}
	munmap(p, self->len);
	munmap(r, self->len);
}

/*
 * Times the kernel came back to the module for a page: ->fault, or
 * fault-around (shmem's ->map_pages maps page-cache pages without ->fault).
 */
static long refaults(const struct mmaplab_stats *before,
		     const struct mmaplab_stats *after)
{
	return (long)(after->faults - before->faults) +
	       (long)(after->map_pages - before->map_pages);
}

/* ---- invalidation ----------------------------------------------------- */

static int invalidate(int fd, unsigned int flags, unsigned int fill,
		      uint64_t pgoff, uint64_t nr)
{
	struct mmaplab_range r = {
		.size = sizeof(r), .flags = flags, .pgoff = pgoff,
		.nr_pages = nr, .fill = fill,
	};

	return ioctl(fd, MMAPLAB_IOC_INVALIDATE, &r) ? errno : 0;
}

/*
 * The parent writes page 0, a child maps the same object; invalidating
 * with new content ('R') reaches both processes: the next access refaults
 * and sees 'R'.  A private copy is the process's own data and stays.
 */
TEST_F(mode, invalidate_replace_reaches_every_process)
{
	struct mmaplab_stats before, after;
	int fds[2], go[2], status, err;
	char *p, c;
	pid_t pid;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	lab_write(p, 'P');
	lab_read(p + PAGE_SZ, &c);
	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char seen[2];

		lab_read(p + PAGE_SZ, &seen[0]);	/* mapped before */
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		lab_read(p + PAGE_SZ, &seen[0]);	/* after invalidation */
		lab_read(p, &seen[1]);
		_exit(write(fds[1], seen, 2) == 2 ? 0 : 1);
	}
	stats(_metadata, self->lab, &before);
	err = invalidate(self->lab, MMAPLAB_INVALIDATE_REPLACE, 'R', 0, 0);
	ASSERT_EQ(1, write(go[1], "x", 1));
	if (variant->backing == MMAPLAB_BACKING_ZERO) {
		EXPECT_EQ(EOPNOTSUPP, err);
	} else {
		char seen[2];

		EXPECT_EQ(0, err);
		ASSERT_EQ(2, read(fds[0], seen, 2));
		EXPECT_EQ('R', seen[0]);
		/* The child's page 0 was the parent's private copy: inherited. */
		EXPECT_EQ(variant->shared ? 'R' : 'P', seen[1]);
		ASSERT_EQ(0, lab_read(p + PAGE_SZ, &c));
		EXPECT_EQ('R', c);
		ASSERT_EQ(0, lab_read(p, &c));
		EXPECT_EQ(variant->shared ? 'R' : 'P', c);
		stats(_metadata, self->lab, &after);
		EXPECT_EQ(1, after.invalidations);
		EXPECT_EQ(NR, after.pages_replaced);
		/* Page 1 came back to the module in both processes. */
		EXPECT_LE(2, refaults(&before, &after));
	}
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fds[0]);
	close(fds[1]);
	close(go[0]);
	close(go[1]);
	munmap(p, self->len);
}

/* Invalidation without new content: the next access refaults, same data. */
TEST_F(mode, invalidate_refaults)
{
	struct mmaplab_stats before, after;
	char *p, c;
	int err;

	SETUP_OR_SKIP();
	p = map(self->lab, self->len, PROT_READ | PROT_WRITE, map_flags(variant));
	ASSERT_NE(MAP_FAILED, p);
	lab_read(p + 2 * PAGE_SZ, &c);
	lab_write(p + 3 * PAGE_SZ, 'i');
	stats(_metadata, self->lab, &before);
	err = invalidate(self->lab, 0, 0, 2, 2);
	if (variant->backing == MMAPLAB_BACKING_ZERO) {
		EXPECT_EQ(EOPNOTSUPP, err);
		munmap(p, self->len);
		return;
	}
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, lab_read(p + 2 * PAGE_SZ, &c));
	EXPECT_EQ(0, c);
	ASSERT_EQ(0, lab_read(p + 3 * PAGE_SZ, &c));
	EXPECT_EQ('i', c);
	stats(_metadata, self->lab, &after);
	/*
	 * Page 2 (the object's page) refaults; page 3 too when shared, but
	 * for shmem one fault-around on page 2 maps page 3 as well (it is in
	 * the page cache), so its access does not come back.
	 */
	EXPECT_EQ(variant->shared && variant->backing != MMAPLAB_BACKING_SHMEM ?
		  2 : 1, refaults(&before, &after));
	EXPECT_EQ(0, after.pages_replaced);
	munmap(p, self->len);
}

TEST_HARNESS_MAIN
