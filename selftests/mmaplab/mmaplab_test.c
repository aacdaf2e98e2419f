// SPDX-License-Identifier: GPL-2.0
/*
 * mmaplab_test.c - what a process can observe through a mapping of a lab
 * object, for MAP_PRIVATE and MAP_SHARED, checked against the counters the
 * module keeps and against a tmpfs file (memfd) doing the same thing.
 *
 * The fixture maps a 4-page object:
 *
 *	 p           p+1         p+2         p+3
 *	+-----------+-----------+-----------+-----------+
 *	|  page 0   |  page 1   |  page 2   |  page 3   |  one VMA
 *	+-----------+-----------+-----------+-----------+
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mmaplab_lib.h"

#define NR_PAGES	4

FIXTURE(lab) {
	int fd;
	char *p;
	size_t len;
};

FIXTURE_VARIANT(lab) {
	int flags;
	bool shared;
};

FIXTURE_VARIANT_ADD(lab, private) {
	.flags = MAP_PRIVATE,
	.shared = false,
};

FIXTURE_VARIANT_ADD(lab, shared) {
	.flags = MAP_SHARED,
	.shared = true,
};

FIXTURE_SETUP(lab)
{
	char why[256];

	self->p = MAP_FAILED;
	self->fd = lab_open(why, sizeof(why));
	if (self->fd < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, lab_configure(self->fd, NR_PAGES));
	self->len = NR_PAGES * PAGE_SZ;
	self->p = mmap(NULL, self->len, PROT_READ | PROT_WRITE, variant->flags,
		       self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	/* Anonymous COW copies must be 4K pages for exact counts. */
	madvise(self->p, self->len, MADV_NOHUGEPAGE);
	lab_catch_signals();
}

FIXTURE_TEARDOWN(lab)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, self->len);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * A read fault asks the module for the page once.  The write that follows
 * does not come back to the module: on a shared mapping the page was
 * mapped writable already, on a private one the kernel copies it (COW)
 * without asking the module again.
 */
TEST_F(lab, read_then_write_fault_counts)
{
	struct mmaplab_stats st;
	char c;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, lab_read(self->p, &c));
	ASSERT_EQ(0, c);
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(1, st.faults);
	EXPECT_EQ(1, st.faults_read);
	EXPECT_EQ(0, st.faults_write);
	EXPECT_EQ(variant->shared ? 1 : 0, st.faults_shared);
	EXPECT_EQ(1, st.pages_allocated);

	ASSERT_EQ(0, lab_write(self->p, 'x'));
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(1, st.faults);
	EXPECT_EQ(0, st.faults_write);
	EXPECT_EQ(0, st.faults_cow);
	EXPECT_EQ(1, st.pages_resident);
}

/* A first touch that writes is one fault: COW on private, shared on shared. */
TEST_F(lab, write_first_fault_kind)
{
	struct mmaplab_stats st;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, lab_write(self->p + PAGE_SZ, 'w'));
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(1, st.faults);
	EXPECT_EQ(0, st.faults_read);
	EXPECT_EQ(1, st.faults_write);
	EXPECT_EQ(variant->shared ? 0 : 1, st.faults_cow);
	EXPECT_EQ(variant->shared ? 1 : 0, st.faults_shared);
	/* The module's page exists either way; private wrote to a copy. */
	EXPECT_EQ(1, st.pages_resident);
}

/*
 * A second mapping of the same object shows the object's own pages: it
 * sees a shared write and does not see a private (copied) one.
 */
TEST_F(lab, second_mapping_sees_shared_writes_only)
{
	char *q, c;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, lab_write(self->p, 'W'));
	q = mmap(NULL, self->len, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, lab_read(q, &c));
	EXPECT_EQ(variant->shared ? 'W' : 0, c);
	ASSERT_EQ(0, munmap(q, self->len));
}

/*
 * Parent writes 'P', then a child writes 'C'.  A shared mapping shows the
 * child's write to the parent; a private one keeps the parent's copy.
 * fork() duplicates the VMA: one ->open in the parent's object, and the
 * child's exit closes it: one ->close.
 */
TEST_F(lab, fork_child_write)
{
	struct mmaplab_stats st;
	int status;
	pid_t pid;
	char c;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, lab_write(self->p, 'P'));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char seen;

		if (lab_read(self->p, &seen) || seen != 'P')
			_exit(1);
		_exit(lab_write(self->p, 'C') ? 2 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, lab_read(self->p, &c));
	EXPECT_EQ(variant->shared ? 'C' : 'P', c);
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(1, st.mmaps);
	EXPECT_EQ(1, st.vma_opens);
	EXPECT_EQ(1, st.vma_closes);
	EXPECT_EQ(1, st.vmas_live);
}

/*
 * mprotect() of page 1 splits the VMA twice; each new VMA gets ->open.
 * munmap() then closes all three.
 *
 *	before:  [ rw  rw  rw  rw ]            1 VMA
 *	after:   [ rw ][ r ][ rw  rw ]         3 VMAs, 2 ->open
 */
TEST_F(lab, mprotect_split_counts)
{
	struct mmaplab_stats st;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, mprotect(self->p + PAGE_SZ, PAGE_SZ, PROT_READ));
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(2, st.vma_opens);
	EXPECT_EQ(0, st.vma_closes);
	EXPECT_EQ(3, st.vmas_live);

	ASSERT_EQ(0, munmap(self->p, self->len));
	self->p = MAP_FAILED;
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(3, st.vma_closes);
	EXPECT_EQ(0, st.vmas_live);
}

/*
 * A partial munmap() of the last page splits it off (one ->open) and
 * closes it (one ->close); the rest stays mapped and usable.
 *
 *	before:  [ 0  1  2  3 ]
 *	after:   [ 0  1  2 ]
 */
TEST_F(lab, partial_munmap_counts)
{
	struct mmaplab_stats st;
	char c;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, munmap(self->p + 3 * PAGE_SZ, PAGE_SZ));
	self->len = 3 * PAGE_SZ;
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(1, st.vma_opens);
	EXPECT_EQ(1, st.vma_closes);
	EXPECT_EQ(1, st.vmas_live);
	EXPECT_EQ(0, lab_read(self->p + 2 * PAGE_SZ, &c));
	EXPECT_EQ(SIGSEGV, lab_read(self->p + 3 * PAGE_SZ, &c));
}

/* Like a file: the mapping may be longer than the object; past it: SIGBUS. */
TEST_F(lab, sigbus_past_end)
{
	struct mmaplab_stats st;
	char *q, c;

	SETUP_OR_SKIP();
	q = mmap(NULL, (NR_PAGES + 2) * PAGE_SZ, PROT_READ | PROT_WRITE,
		 variant->flags, self->fd, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(0, lab_read(q + (NR_PAGES - 1) * PAGE_SZ, &c));
	EXPECT_EQ(SIGBUS, lab_read(q + NR_PAGES * PAGE_SZ, &c));
	EXPECT_EQ(SIGBUS, lab_write(q + (NR_PAGES + 1) * PAGE_SZ, 'x'));
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(2, st.faults_sigbus);
	EXPECT_EQ(3, st.faults);
	ASSERT_EQ(0, munmap(q, (NR_PAGES + 2) * PAGE_SZ));
}

/* Pages are allocated on first touch, counted, and freed with the object. */
TEST_F(lab, pages_released_with_object)
{
	struct mmaplab_stats st, before, after;
	size_t i;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, lab_global(&before));
	for (i = 0; i < NR_PAGES; i++)
		ASSERT_EQ(0, lab_write(self->p + i * PAGE_SZ, 'a'));
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(NR_PAGES, st.pages_allocated);
	EXPECT_EQ(NR_PAGES, st.pages_resident);
	EXPECT_EQ(before.live_pages + NR_PAGES, st.live_pages);

	ASSERT_EQ(0, munmap(self->p, self->len));
	self->p = MAP_FAILED;
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, lab_global(&after));
	EXPECT_EQ(before.live_pages, after.live_pages);
	EXPECT_EQ(before.live_objects - 1, after.live_objects);
	EXPECT_EQ(before.reserved_pages - NR_PAGES, after.reserved_pages);
}

/* What one process observes in a fixed scenario, for the differential test. */
struct observed {
	char parent_after_child;	/* parent wrote 'P', child wrote 'C' */
	char other_mapping;		/* a second MAP_SHARED mapping of the fd */
	int sig_inside;			/* read of the last page */
	int sig_past_end;		/* read one page past the end */
	int child_status;
};

static void observe(int fd, int flags, struct observed *o)
{
	size_t len = NR_PAGES * PAGE_SZ;
	char *p, *q;
	pid_t pid;
	char c;

	memset(o, 0xff, sizeof(*o));
	p = mmap(NULL, len + PAGE_SZ, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED)
		return;
	madvise(p, len + PAGE_SZ, MADV_NOHUGEPAGE);
	lab_write(p, 'P');
	pid = fork();
	if (pid == 0)
		_exit(lab_write(p, 'C'));
	waitpid(pid, &o->child_status, 0);
	lab_read(p, &o->parent_after_child);
	q = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (q != MAP_FAILED) {
		lab_read(q, &o->other_mapping);
		munmap(q, len);
	}
	o->sig_inside = lab_read(p + len - PAGE_SZ, &c);
	o->sig_past_end = lab_read(p + len, &c);
	munmap(p, len + PAGE_SZ);
}

/*
 * Differential: the same scenario on a lab object and on a tmpfs file of
 * the same size must look the same to the process.
 */
TEST_F(lab, matches_tmpfs_file)
{
	struct observed lab, ref;
	int memfd;

	SETUP_OR_SKIP();
	memfd = memfd_create("mmaplab-ref", MFD_CLOEXEC);
	ASSERT_GE(memfd, 0);
	ASSERT_EQ(0, ftruncate(memfd, NR_PAGES * PAGE_SZ));

	observe(self->fd, variant->flags, &lab);
	observe(memfd, variant->flags, &ref);
	close(memfd);

	EXPECT_EQ(ref.child_status, lab.child_status);
	EXPECT_EQ(ref.parent_after_child, lab.parent_after_child);
	EXPECT_EQ(ref.other_mapping, lab.other_mapping);
	EXPECT_EQ(ref.sig_inside, lab.sig_inside);
	EXPECT_EQ(ref.sig_past_end, lab.sig_past_end);
	/* And the values themselves, so two equal wrong answers still fail. */
	EXPECT_EQ(variant->shared ? 'C' : 'P', lab.parent_after_child);
	EXPECT_EQ(variant->shared ? 'C' : 0, lab.other_mapping);
	EXPECT_EQ(SIGBUS, lab.sig_past_end);
}

/* The object outlives its file descriptor while a mapping uses it. */
TEST_F(lab, object_outlives_fd)
{
	struct mmaplab_stats before, during, after;
	char c;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, lab_write(self->p, 'k'));
	ASSERT_EQ(0, lab_global(&before));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, lab_global(&during));
	EXPECT_EQ(before.live_objects, during.live_objects);
	ASSERT_EQ(0, lab_read(self->p, &c));
	EXPECT_EQ('k', c);
	ASSERT_EQ(0, munmap(self->p, self->len));
	self->p = MAP_FAILED;
	ASSERT_EQ(0, lab_global(&after));
	EXPECT_EQ(before.live_objects - 1, after.live_objects);
	EXPECT_EQ(before.live_pages - 1, after.live_pages);
}

/* Each open() is its own object: two objects never share pages. */
TEST(objects_are_separate)
{
	char why[256], *a, *b, c;
	int fa, fb;

	fa = lab_open(why, sizeof(why));
	if (fa < 0)
		SKIP(return, "%s", why);
	fb = lab_open(why, sizeof(why));
	ASSERT_GE(fb, 0);
	ASSERT_EQ(0, lab_configure(fa, 1));
	ASSERT_EQ(0, lab_configure(fb, 1));
	a = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	b = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fb, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	lab_catch_signals();
	ASSERT_EQ(0, lab_write(a, 'a'));
	ASSERT_EQ(0, lab_read(b, &c));
	EXPECT_EQ(0, c);
	munmap(a, PAGE_SZ);
	munmap(b, PAGE_SZ);
	close(fa);
	close(fb);
}

TEST_HARNESS_MAIN
