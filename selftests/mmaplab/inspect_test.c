// SPDX-License-Identifier: GPL-2.0
/*
 * inspect_test.c - MMAPLAB_IOC_INSPECT against the kernel's own reports.
 *
 * For every kind of mapping (anonymous, private and shared tmpfs file,
 * shared anonymous, /dev/zero, each mmaplab backing), after reads, writes
 * (copy-on-write), MADV_DONTNEED, mprotect(PROT_NONE) and fork, every page
 * record is compared bit for bit with what /proc/self/pagemap says
 * (present, swapped, file or shared, exclusively mapped, soft-dirty,
 * uffd-wp, PFN), with /proc/kpageflags for the page (anonymous, zero page,
 * KSM, swap-backed, mapped) when root, and every VMA's flags with smaps'
 * VmFlags.  Then: as an unprivileged user (PFNs are 0, and pagemap says
 * so too), other processes (allowed as pagemap allows, refused likewise,
 * a non-dumpable one too), the restart path with a one-record buffer, a
 * range over many VMAs, and a race with munmap/mremap.  Where there is
 * swap (the VMs swap on zram), pages really swapped out with MADV_PAGEOUT:
 * their swap entries against pagemap's, and back in when read.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mmaplab_lib.h"

#define NR		8
#define PM_PFN		((1ULL << 55) - 1)
#define PM_SOFT_DIRTY	(1ULL << 55)
#define PM_EXCLUSIVE	(1ULL << 56)
#define PM_UFFD_WP	(1ULL << 57)
#define PM_FILE		(1ULL << 61)
#define PM_SWAP		(1ULL << 62)
#define PM_PRESENT	(1ULL << 63)
#define KPF_DIRTY	4
#define KPF_MMAP	11
#define KPF_ANON	12
#define KPF_SWAPBACKED	14
#define KPF_KSM		21
#define KPF_ZERO_PAGE	24
/* pagemap's frame of a swap entry: the area in bits 0-4, then the offset */
#define PM_SWAP_TYPE_BITS	5
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

/* All records of [start, end), however many calls that takes. */
struct view {
	struct mmaplab_inspect_vma vma[128];
	struct mmaplab_inspect_page *page;
	unsigned int nr_vma, nr_page, calls;
};

static int inspect(int fd, int target, uint64_t start, uint64_t end,
		   struct view *v, unsigned int vmas_per_call,
		   unsigned int pages_per_call)
{
	static struct mmaplab_inspect_vma vbuf[256];
	struct mmaplab_inspect_page *pbuf;
	struct mmaplab_inspect a;
	unsigned int i;

	unsigned int room = 64;

	pbuf = calloc(pages_per_call, sizeof(*pbuf));
	v->page = calloc(room, sizeof(*v->page));
	v->nr_vma = v->nr_page = v->calls = 0;
	while (start < end) {
		a = (struct mmaplab_inspect){
			.size = sizeof(a), .target_fd = target,
			.start = start, .end = end,
			.vmas = (uintptr_t)vbuf, .vma_size = sizeof(vbuf[0]),
			.nr_vmas = vmas_per_call,
			.pages = (uintptr_t)pbuf, .page_size = sizeof(*pbuf),
			.nr_pages = pages_per_call,
		};
		if (ioctl(fd, MMAPLAB_IOC_INSPECT, &a))
			return errno;
		if (a.walk_end <= start && a.walk_end < end)
			return ELOOP;	/* no progress */
		v->calls++;
		for (i = 0; i < a.nr_vmas; i++) {
			/* A VMA cut by a restart comes again: keep it once. */
			if (v->nr_vma &&
			    v->vma[v->nr_vma - 1].start == vbuf[i].start)
				continue;
			if (v->nr_vma < 128)
				v->vma[v->nr_vma++] = vbuf[i];
		}
		while (v->nr_page + a.nr_pages > room) {
			room *= 2;
			v->page = realloc(v->page, room * sizeof(*v->page));
			if (!v->page)
				return ENOMEM;
		}
		memcpy(v->page + v->nr_page, pbuf, a.nr_pages * sizeof(*pbuf));
		v->nr_page += a.nr_pages;
		start = a.walk_end;
	}
	free(pbuf);
	return 0;
}

static const struct mmaplab_inspect_vma *vma_of(const struct view *v,
						uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < v->nr_vma; i++)
		if (v->vma[i].start <= addr && addr < v->vma[i].end)
			return &v->vma[i];
	return NULL;
}

static uint64_t read_u64(int fd, uint64_t index)
{
	uint64_t val = 0;

	if (pread(fd, &val, sizeof(val), index * sizeof(val)) != sizeof(val))
		return ~0ULL;
	return val;
}

/*
 * Some kernels' kpageflags (Debian's 6.12) set KPF_KSM for every
 * anonymous page: it tests the mapping's low bits with "&" where it
 * means "==".  A fresh private page that KSM never saw tells.
 */
static bool kpf_ksm_trustworthy(int pagemap, int kpageflags)
{
	static int known = -1;
	uint64_t pm;
	char *p;

	if (known >= 0)
		return known;
	p = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	p[0] = 1;
	pm = read_u64(pagemap, (uintptr_t)p / PAGE_SZ);
	known = !(read_u64(kpageflags, pm & PM_PFN) & (1ULL << KPF_KSM));
	if (!known)
		fprintf(stderr, "# this kernel's kpageflags marks every anonymous page KSM: KSM not compared\n");
	munmap(p, PAGE_SZ);
	return known;
}

/* Where one record and the kernel's reports disagree, or NULL. */
static const char *compare_page(const struct view *v,
				const struct mmaplab_inspect_page *r,
				int pagemap, int kpageflags, bool privileged)
{
	static char why[200];
	uint64_t pm = read_u64(pagemap, r->addr / PAGE_SZ), kpf;
	const struct mmaplab_inspect_vma *vma = vma_of(v, r->addr);
	bool present = r->pte == MMAPLAB_PTE_PRESENT ||
		       r->pte == MMAPLAB_PTE_PROTNONE;
	bool swapped = !present && r->pte != MMAPLAB_PTE_EMPTY;
	bool page = r->page_flags & MMAPLAB_PAGE_HAS_STRUCT;
	bool soft_dirty = (r->pte_flags & MMAPLAB_PTE_SOFT_DIRTY) ||
			  (vma && (vma->vm_flags & MMAPLAB_VM_SOFTDIRTY));

#define DIFFER(what, a, b) do { if (!!(a) != !!(b)) { \
	snprintf(why, sizeof(why), "%#llx: %s: inspect %d, kernel %d", \
		 (unsigned long long)r->addr, what, !!(a), !!(b)); \
	return why; } } while (0)

	if (!vma)
		return "page record outside every VMA record";
	/*
	 * pagemap's page walk skips VM_PFNMAP mappings and reports them as
	 * holes; inspect sees their entries.  Only the hole can be checked.
	 */
	if (vma->vm_flags & MMAPLAB_VM_PFNMAP) {
		DIFFER("pagemap of a PFN map", false, pm & PM_PRESENT);
		return NULL;
	}
	DIFFER("present", present, pm & PM_PRESENT);
	DIFFER("swapped", swapped, pm & PM_SWAP);
	DIFFER("file page", page && !(r->page_flags & MMAPLAB_PAGE_ANON),
	       pm & PM_FILE);
	DIFFER("exclusively mapped", page && r->mapcount == 1,
	       pm & PM_EXCLUSIVE);
	DIFFER("soft-dirty", soft_dirty, pm & PM_SOFT_DIRTY);
	DIFFER("uffd-wp", r->pte_flags & MMAPLAB_PTE_UFFD_WP, pm & PM_UFFD_WP);
	if (present && r->pfn != (pm & PM_PFN)) {
		snprintf(why, sizeof(why), "%#llx: pfn %#llx, pagemap %#llx",
			 (unsigned long long)r->addr,
			 (unsigned long long)r->pfn,
			 (unsigned long long)(pm & PM_PFN));
		return why;
	}
	if (!privileged && r->pfn)
		return "a PFN shown without CAP_SYS_ADMIN";
	if (!present || !r->pfn || kpageflags < 0)
		return NULL;
	kpf = read_u64(kpageflags, r->pfn);
	DIFFER("anonymous", r->page_flags & MMAPLAB_PAGE_ANON,
	       kpf & (1ULL << KPF_ANON));
	DIFFER("zero page", r->page_flags & MMAPLAB_PAGE_ZERO,
	       kpf & (1ULL << KPF_ZERO_PAGE));
	if (kpf_ksm_trustworthy(pagemap, kpageflags))
		DIFFER("ksm", r->page_flags & MMAPLAB_PAGE_KSM,
		       kpf & (1ULL << KPF_KSM));
	if (page) {
		DIFFER("swap-backed", r->page_flags & MMAPLAB_PAGE_SWAPBACKED,
		       kpf & (1ULL << KPF_SWAPBACKED));
		DIFFER("mapped", r->mapcount > 0, kpf & (1ULL << KPF_MMAP));
	}
	return NULL;
#undef DIFFER
}

static const struct { uint64_t bit; const char *name; } vm_names[] = {
	{ MMAPLAB_VM_READ, "rd" }, { MMAPLAB_VM_WRITE, "wr" },
	{ MMAPLAB_VM_EXEC, "ex" }, { MMAPLAB_VM_SHARED, "sh" },
	{ MMAPLAB_VM_MAYREAD, "mr" }, { MMAPLAB_VM_MAYWRITE, "mw" },
	{ MMAPLAB_VM_MAYEXEC, "me" }, { MMAPLAB_VM_MAYSHARE, "ms" },
	{ MMAPLAB_VM_GROWSDOWN, "gd" }, { MMAPLAB_VM_PFNMAP, "pf" },
	{ MMAPLAB_VM_LOCKED, "lo" }, { MMAPLAB_VM_IO, "io" },
	{ MMAPLAB_VM_SEQ_READ, "sr" }, { MMAPLAB_VM_RAND_READ, "rr" },
	{ MMAPLAB_VM_DONTCOPY, "dc" }, { MMAPLAB_VM_DONTEXPAND, "de" },
	{ MMAPLAB_VM_ACCOUNT, "ac" }, { MMAPLAB_VM_NORESERVE, "nr" },
	{ MMAPLAB_VM_HUGETLB, "ht" }, { MMAPLAB_VM_SYNC, "sf" },
	{ MMAPLAB_VM_WIPEONFORK, "wf" }, { MMAPLAB_VM_DONTDUMP, "dd" },
	{ MMAPLAB_VM_SOFTDIRTY, "sd" }, { MMAPLAB_VM_MIXEDMAP, "mm" },
	{ MMAPLAB_VM_HUGEPAGE, "hg" }, { MMAPLAB_VM_NOHUGEPAGE, "nh" },
	{ MMAPLAB_VM_MERGEABLE, "mg" },
};

/* smaps' VmFlags of the VMA starting at @start, or "" */
static void smaps_flags(uint64_t start, char *out, size_t len)
{
	char line[512], head[32];
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	*out = 0;
	snprintf(head, sizeof(head), "%llx-", (unsigned long long)start);
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, head, strlen(head)))
			in = true;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(out, len, "%s", line + 8);
			break;
		}
	}
	if (f)
		fclose(f);
}

static const char *compare_vma(const struct mmaplab_inspect_vma *vma)
{
	static char why[300];
	char flags[512], want[8];
	unsigned int i;

	smaps_flags(vma->start, flags, sizeof(flags));
	for (i = 0; i < sizeof(vm_names) / sizeof(vm_names[0]); i++) {
		snprintf(want, sizeof(want), " %s", vm_names[i].name);
		if (!!(vma->vm_flags & vm_names[i].bit) !=
		    !!strstr(flags, want)) {
			snprintf(why, sizeof(why), "VMA %#llx: flag %s: inspect %d, smaps \"%s\"",
				 (unsigned long long)vma->start,
				 vm_names[i].name,
				 !!(vma->vm_flags & vm_names[i].bit), flags);
			return why;
		}
	}
	return NULL;
}

FIXTURE(kinds) {
	int lab, fd;
	char *p;
	pid_t child;
	int release[2];
};

FIXTURE_VARIANT(kinds) {
	int what;	/* 0 anon, 1 memfd, 2 /dev/zero, 3 shared anon, 4 lab */
	bool shared;
	uint32_t backing, flags;
};

FIXTURE_VARIANT_ADD(kinds, anon_private) { .what = 0 };
FIXTURE_VARIANT_ADD(kinds, tmpfs_private) { .what = 1 };
FIXTURE_VARIANT_ADD(kinds, tmpfs_shared) { .what = 1, .shared = true };
FIXTURE_VARIANT_ADD(kinds, dev_zero_private) { .what = 2 };
FIXTURE_VARIANT_ADD(kinds, dev_zero_shared) { .what = 2, .shared = true };
FIXTURE_VARIANT_ADD(kinds, shared_anon) { .what = 3, .shared = true };
FIXTURE_VARIANT_ADD(kinds, pages_private) {
	.what = 4, .backing = MMAPLAB_BACKING_PAGES,
};
FIXTURE_VARIANT_ADD(kinds, pages_shared) {
	.what = 4, .shared = true, .backing = MMAPLAB_BACKING_PAGES,
};
FIXTURE_VARIANT_ADD(kinds, pages_fault_around) {
	.what = 4, .shared = true, .backing = MMAPLAB_BACKING_PAGES,
	.flags = MMAPLAB_CONFIG_FAULT_AROUND,
};
FIXTURE_VARIANT_ADD(kinds, shmem_private) {
	.what = 4, .backing = MMAPLAB_BACKING_SHMEM,
};
FIXTURE_VARIANT_ADD(kinds, shmem_shared) {
	.what = 4, .shared = true, .backing = MMAPLAB_BACKING_SHMEM,
};
FIXTURE_VARIANT_ADD(kinds, zero_private) {
	.what = 4, .backing = MMAPLAB_BACKING_ZERO,
};
FIXTURE_VARIANT_ADD(kinds, zero_shared) {
	.what = 4, .shared = true, .backing = MMAPLAB_BACKING_ZERO,
};
FIXTURE_VARIANT_ADD(kinds, pfn_shared) {
	.what = 4, .shared = true, .backing = MMAPLAB_BACKING_PFN,
};

FIXTURE_SETUP(kinds)
{
	int flags = variant->shared ? MAP_SHARED : MAP_PRIVATE;
	size_t len = NR * PAGE_SZ;
	char why[256];

	self->fd = -1;
	self->child = 0;
	self->p = MAP_FAILED;
	self->lab = lab_open(why, sizeof(why));
	if (self->lab < 0)
		SKIP(return, "%s", why);
	switch (variant->what) {
	case 0:
		flags |= MAP_ANONYMOUS;
		break;
	case 1:
		self->fd = memfd_create("inspect", 0);
		ASSERT_EQ(0, ftruncate(self->fd, len));
		break;
	case 2:
		self->fd = open("/dev/zero", O_RDWR);
		break;
	case 3:
		flags |= MAP_ANONYMOUS;
		break;
	default: {
		struct mmaplab_config cfg = {
			.size = sizeof(cfg), .nr_pages = NR,
			.backing = variant->backing, .flags = variant->flags,
		};

		self->fd = lab_open(why, sizeof(why));
		ASSERT_EQ(0, ioctl(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
	}
	}
	self->p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	madvise(self->p, len, MADV_NOHUGEPAGE);
}

FIXTURE_TEARDOWN(kinds)
{
	char c = 0;

	if (self->child > 0) {
		if (write(self->release[1], &c, 1) != 1)
			kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->p != MAP_FAILED)
		munmap(self->p, NR * PAGE_SZ);
	if (self->fd >= 0)
		close(self->fd);
	if (self->lab >= 0)
		close(self->lab);
}

/* Pages 0..7: read, write, untouched, read, written then dropped, ... */
static void scenario(FIXTURE_DATA(kinds) *self)
{
	volatile char *p = self->p;
	char c;

	c = p[0];
	p[PAGE_SZ] = 1;
	c += p[3 * PAGE_SZ];
	p[4 * PAGE_SZ] = 4;
	madvise(self->p + 4 * PAGE_SZ, PAGE_SZ, MADV_DONTNEED);
	p[5 * PAGE_SZ] = 5;
	mprotect(self->p + 5 * PAGE_SZ, PAGE_SZ, PROT_NONE);
	p[6 * PAGE_SZ] = c;
	c = p[7 * PAGE_SZ];
	(void)c;
}

/* Inspect the mapping and compare it all; NULL when everything agrees. */
static const char *compare_all(FIXTURE_DATA(kinds) *self, int target,
			       bool forked)
{
	int pagemap = open("/proc/self/pagemap", O_RDONLY);
	int kpageflags = open("/proc/kpageflags", O_RDONLY);
	bool privileged = geteuid() == 0;
	const char *why = NULL;
	struct view v;
	unsigned int i;

	if (pagemap < 0)
		return "cannot open /proc/self/pagemap";
	if (inspect(self->lab, target, (uintptr_t)self->p,
		    (uintptr_t)self->p + NR * PAGE_SZ, &v, 64, 4096))
		return "MMAPLAB_IOC_INSPECT failed";
	if (v.nr_page != NR)
		why = "not one record per page";
	for (i = 0; i < v.nr_vma && !why; i++)
		why = compare_vma(&v.vma[i]);
	for (i = 0; i < v.nr_page && !why; i++) {
		if (v.page[i].addr != (uintptr_t)self->p + i * PAGE_SZ)
			why = "page records out of order";
		else
			why = compare_page(&v, &v.page[i], pagemap, kpageflags,
					   privileged);
	}
	/* What the scenario must show, whatever the kind. */
	if (!why && v.page[2].pte != MMAPLAB_PTE_EMPTY)
		why = "untouched page 2 is not empty";
	if (!why && v.page[1].pte != MMAPLAB_PTE_PRESENT)
		why = "written page 1 is not present";
	/* fork() write-protects private pages, in parent and child. */
	if (!why && !(v.vma[0].vm_flags & MMAPLAB_VM_SHARED) &&
	    !!(v.page[1].pte_flags & MMAPLAB_PTE_WRITE) == forked)
		why = forked ? "private page 1 still writable after fork" :
			       "written private page 1 is not writable";
	if (!why && v.page[5].pte != MMAPLAB_PTE_PROTNONE)
		why = "PROT_NONE page 5 is not protnone";
	free(v.page);
	close(pagemap);
	if (kpageflags >= 0)
		close(kpageflags);
	return why;
}

TEST_F(kinds, matches_pagemap_kpageflags_smaps)
{
	const char *why;

	if (self->lab < 0)
		return;
	scenario(self);
	why = compare_all(self, -1, false);
	EXPECT_EQ(NULL, why) TH_LOG("%s", why);
}

TEST_F(kinds, after_fork)
{
	const char *why;
	char c;

	if (self->lab < 0)
		return;
	scenario(self);
	ASSERT_EQ(0, pipe(self->release));
	self->child = fork();
	if (self->child == 0) {
		if (read(self->release[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	ASSERT_LT(0, self->child);
	why = compare_all(self, -1, true);
	EXPECT_EQ(NULL, why) TH_LOG("%s", why);
}

/* As uid 65534: PFNs are 0, and the comparison still holds. */
TEST_F(kinds, unprivileged)
{
	const char *why;
	int status;
	pid_t pid;

	if (self->lab < 0)
		return;
	if (geteuid())
		SKIP(return, "needs root to become uid 65534");
	pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		/* Changing uid made it non-dumpable: its /proc is root's. */
		prctl(PR_SET_DUMPABLE, 1);
		scenario(self);
		why = compare_all(self, -1, false);
		if (why)
			fprintf(stderr, "# as uid 65534: %s\n", why);
		_exit(why ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Another process: the one whose pagemap the caller opened. */
static int open_pagemap(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	return open(path, O_RDONLY);
}

/* A child that maps one page, writes it, and waits to be killed. */
static pid_t target(char **where, bool dumpable, uid_t uid)
{
	char **shared = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	*shared = NULL;
	pid = fork();
	if (pid == 0) {
		char *p = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (uid && (setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
			_exit(1);
		/* Changing uid cleared it; say what this target is. */
		prctl(PR_SET_DUMPABLE, dumpable);
		p[0] = 1;
		*shared = p;
		for (;;)
			pause();
	}
	while (pid > 0 && !__atomic_load_n(shared, __ATOMIC_ACQUIRE))
		usleep(1000);
	*where = *shared;
	munmap(shared, PAGE_SZ);
	return pid;
}

TEST(other_processes)
{
	struct view v;
	char why[256], *at, *at2;
	int lab, pm, status;
	pid_t t, t2, snoop;

	lab = lab_open(why, sizeof(why));
	if (lab < 0)
		SKIP(return, "%s", why);
	if (geteuid())
		SKIP(return, "needs root to run processes as other users");

	/* Root inspects another process: its page, with a PFN. */
	t = target(&at, true, 65534);
	ASSERT_LT(0, t);
	pm = open_pagemap(t);
	ASSERT_LE(0, pm);
	ASSERT_EQ(0, inspect(lab, pm, (uintptr_t)at, (uintptr_t)at + PAGE_SZ,
			     &v, 4, 4));
	ASSERT_EQ(1, v.nr_page);
	EXPECT_EQ(MMAPLAB_PTE_PRESENT, v.page[0].pte);
	EXPECT_NE(0, v.page[0].pfn);
	EXPECT_TRUE(v.page[0].page_flags & MMAPLAB_PAGE_ANON);
	free(v.page);
	close(pm);

	/* Not a pagemap descriptor: refused. */
	pm = open("/proc/self/maps", O_RDONLY);
	EXPECT_EQ(EINVAL, inspect(lab, pm, 0, PAGE_SZ, &v, 4, 4));
	close(pm);
	EXPECT_EQ(EBADF, inspect(lab, 9999, 0, PAGE_SZ, &v, 4, 4));

	/*
	 * As uid 65534: a same-uid process may be read (no PFNs), a
	 * non-dumpable one may not, nor root's.
	 */
	t2 = target(&at2, false, 65534);
	ASSERT_LT(0, t2);
	snoop = fork();
	if (snoop == 0) {
		struct view u;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		pm = open_pagemap(t);
		if (pm < 0 || inspect(lab, pm, (uintptr_t)at & ~(PAGE_SZ - 1),
				      ((uintptr_t)at & ~(PAGE_SZ - 1)) + PAGE_SZ,
				      &u, 4, 4))
			_exit(1);
		if (u.nr_page != 1 || u.page[0].pfn)
			_exit(2);
		if (open_pagemap(t2) >= 0 || errno != EACCES)
			_exit(3);
		if (open_pagemap(getppid()) >= 0 || errno != EACCES)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(snoop, waitpid(snoop, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("step %d", WEXITSTATUS(status));
	kill(t, SIGKILL);
	kill(t2, SIGKILL);
	waitpid(t, NULL, 0);
	waitpid(t2, NULL, 0);
	close(lab);
}

/*
 * 40 VMAs (alternating protections keep them apart) in a sparse range
 * far larger than them: one record per call gives what one call does.
 */
TEST(restart_with_tiny_buffers)
{
	size_t span = 80 * PAGE_SZ;
	struct view big, tiny;
	char why[256], *base;
	unsigned int i;
	int lab;

	lab = lab_open(why, sizeof(why));
	if (lab < 0)
		SKIP(return, "%s", why);
	base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, base);
	for (i = 0; i < 80; i += 2) {
		ASSERT_EQ(0, mprotect(base + i * PAGE_SZ, PAGE_SZ,
				      i % 4 ? PROT_READ : PROT_READ | PROT_WRITE));
		if (i % 4 == 0)
			base[i * PAGE_SZ] = 1;
	}
	ASSERT_EQ(0, inspect(lab, -1, (uintptr_t)base, (uintptr_t)base + span,
			     &big, 256, 4096));
	ASSERT_EQ(0, inspect(lab, -1, (uintptr_t)base, (uintptr_t)base + span,
			     &tiny, 1, 1));
	EXPECT_EQ(1, big.calls);
	EXPECT_EQ(80, big.nr_vma);
	EXPECT_EQ(80, big.nr_page);
	EXPECT_EQ(big.nr_vma, tiny.nr_vma);
	EXPECT_EQ(big.nr_page, tiny.nr_page);
	EXPECT_GE(tiny.calls, 80);
	/* The same entries (the LRU flag may change as pages settle). */
	for (i = 0; i < big.nr_page; i++) {
		EXPECT_EQ(big.page[i].addr, tiny.page[i].addr);
		EXPECT_EQ(big.page[i].pte, tiny.page[i].pte);
		EXPECT_EQ(big.page[i].pfn, tiny.page[i].pfn);
		EXPECT_EQ(big.page[i].page_flags & ~MMAPLAB_PAGE_LRU,
			  tiny.page[i].page_flags & ~MMAPLAB_PAGE_LRU);
	}
	free(big.page);
	free(tiny.page);
	munmap(base, span);

	/* The whole address space: holes are free, the walk ends. */
	ASSERT_EQ(0, inspect(lab, -1, PAGE_SZ, (1ULL << 47) - PAGE_SZ, &big, 64, 1));
	EXPECT_GT(big.nr_page, 0);
	free(big.page);
	close(lab);
}

/*
 * With MMAPLAB_INSPECT_RUNS: all records of [start, end), each run expanded
 * into one record per page as the uapi header defines it.
 */
static int inspect_runs(int fd, uint64_t start, uint64_t end, uint32_t flags,
			struct view *v, unsigned int *records)
{
	static struct mmaplab_inspect_vma vbuf[256];
	static struct mmaplab_inspect_page pbuf[4096];
	struct mmaplab_inspect a;
	unsigned int i, j, room = 64;

	v->page = calloc(room, sizeof(*v->page));
	v->nr_vma = v->nr_page = v->calls = 0;
	*records = 0;
	while (start < end) {
		a = (struct mmaplab_inspect){
			.size = sizeof(a), .flags = MMAPLAB_INSPECT_RUNS | flags,
			.target_fd = -1, .start = start, .end = end,
			.vmas = (uintptr_t)vbuf, .vma_size = sizeof(vbuf[0]),
			.nr_vmas = 256,
			.pages = (uintptr_t)pbuf, .page_size = sizeof(pbuf[0]),
			.nr_pages = 4096,
		};
		if (ioctl(fd, MMAPLAB_IOC_INSPECT, &a))
			return errno;
		if (a.walk_end <= start)
			return ELOOP;
		v->calls++;
		*records += a.nr_pages;
		for (i = 0; i < a.nr_pages; i++) {
			const struct mmaplab_inspect_page *r = &pbuf[i];

			if (!r->nr || r->__pad)
				return EPROTO;
			for (j = 0; j < r->nr; j++) {
				struct mmaplab_inspect_page *e;

				if (v->nr_page == room) {
					room *= 2;
					v->page = realloc(v->page, room * sizeof(*v->page));
					if (!v->page)
						return ENOMEM;
				}
				e = &v->page[v->nr_page++];
				*e = *r;
				e->nr = 1;
				e->addr = r->addr + j * PAGE_SZ;
				if (r->pfn)
					e->pfn = r->pfn + j;
				if (r->swap_offset)
					e->swap_offset = r->swap_offset + j;
			}
		}
		start = a.walk_end;
	}
	return 0;
}

/*
 * RUNS says what the page-by-page walk says, in far fewer records: a
 * region of like pages (a populated anonymous range, a lab mapping) is
 * a handful of records, and a mixed one (holes, a PROT_NONE split,
 * DONTNEED pages, another process's view after fork aside) expands to
 * exactly the records of the plain walk.
 */
TEST(runs_expand_to_the_page_walk)
{
	const unsigned int nr = 2048, lab_nr = 64;
	struct mmaplab_inspect_page *a, *b;
	struct view pages, runs;
	unsigned int i, records;
	char why[256], *p, *q;
	int lab, obj;

	lab = lab_open(why, sizeof(why));
	if (lab < 0)
		SKIP(return, "%s", why);
	obj = lab_open(why, sizeof(why));
	ASSERT_LE(0, obj);
	ASSERT_EQ(0, lab_configure(obj, lab_nr));
	p = mmap(NULL, nr * PAGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, madvise(p, nr * PAGE_SZ, MADV_NOHUGEPAGE));
	q = mmap(NULL, lab_nr * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, obj, 0);
	ASSERT_NE(MAP_FAILED, q);
	for (i = 0; i < nr; i++)
		p[i * PAGE_SZ] = 1;
	for (i = 0; i < lab_nr / 2; i++)
		q[i * PAGE_SZ] = 1;

	/*
	 * Uniform: a few records (LRU batches may still split runs), once
	 * the frames, which need not follow each other, are left out.
	 */
	ASSERT_EQ(0, inspect_runs(lab, (uintptr_t)p, (uintptr_t)p + nr * PAGE_SZ,
				  MMAPLAB_INSPECT_NO_PFN, &runs, &records));
	EXPECT_EQ(nr, runs.nr_page);
	EXPECT_GE(nr / 8, records) TH_LOG("%u records for %u like pages", records, nr);
	for (i = 0; i < nr; i++)
		EXPECT_EQ(0, runs.page[i].pfn);
	free(runs.page);

	/* Mixed: holes, a split, dropped pages. */
	ASSERT_EQ(0, mprotect(p + 100 * PAGE_SZ, 10 * PAGE_SZ, PROT_NONE));
	ASSERT_EQ(0, madvise(p + 500 * PAGE_SZ, 300 * PAGE_SZ, MADV_DONTNEED));
	for (i = 600; i < 700; i += 3)
		p[i * PAGE_SZ] = 2;
	ASSERT_EQ(0, inspect(lab, -1, (uintptr_t)p, (uintptr_t)p + nr * PAGE_SZ,
			     &pages, 64, 4096));
	ASSERT_EQ(0, inspect_runs(lab, (uintptr_t)p, (uintptr_t)p + nr * PAGE_SZ,
				  0, &runs, &records));
	ASSERT_EQ(pages.nr_page, runs.nr_page);
	EXPECT_GT(pages.nr_page, records);
	for (i = 0; i < pages.nr_page; i++) {
		a = &pages.page[i];
		b = &runs.page[i];
		/* LRU and the reference an LRU batch holds may settle between walks */
		EXPECT_EQ(a->addr, b->addr);
		EXPECT_EQ(a->pfn, b->pfn);
		EXPECT_EQ(a->pte, b->pte);
		EXPECT_EQ(a->pte_flags, b->pte_flags);
		EXPECT_EQ(a->page_flags & ~MMAPLAB_PAGE_LRU,
			  b->page_flags & ~MMAPLAB_PAGE_LRU);
		EXPECT_EQ(a->mapcount, b->mapcount);
		EXPECT_EQ(1, a->nr);
	}
	free(pages.page);
	free(runs.page);

	/* The lab mapping: touched pages, then empty ones, in one VMA. */
	ASSERT_EQ(0, inspect(lab, -1, (uintptr_t)q, (uintptr_t)q + lab_nr * PAGE_SZ,
			     &pages, 64, 4096));
	ASSERT_EQ(0, inspect_runs(lab, (uintptr_t)q, (uintptr_t)q + lab_nr * PAGE_SZ,
				  MMAPLAB_INSPECT_NO_PFN, &runs, &records));
	ASSERT_EQ(lab_nr, runs.nr_page);
	EXPECT_GE(2, records);	/* the touched half, the empty half */
	for (i = 0; i < lab_nr; i++) {
		EXPECT_EQ(pages.page[i].pte, runs.page[i].pte);
		EXPECT_EQ(pages.page[i].page_flags & ~MMAPLAB_PAGE_LRU,
			  runs.page[i].page_flags & ~MMAPLAB_PAGE_LRU);
	}
	EXPECT_EQ(MMAPLAB_PTE_PRESENT, runs.page[0].pte);
	EXPECT_EQ(MMAPLAB_PTE_EMPTY, runs.page[lab_nr - 1].pte);
	free(pages.page);
	free(runs.page);
	munmap(q, lab_nr * PAGE_SZ);
	munmap(p, nr * PAGE_SZ);
	close(obj);
	close(lab);
}

static atomic_bool race_stop;
static char *race_area;

static void *remapper(void *arg)
{
	size_t len = 16 * PAGE_SZ;
	char *q;

	while (!atomic_load(&race_stop)) {
		q = mmap(race_area, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (q != MAP_FAILED)
			memset(q, 1, len);
		mremap(race_area, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
		       race_area + len);
		munmap(race_area + len, len / 2);
		mmap(race_area, 2 * len, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	}
	return NULL;
}

/*
 * Each call is one consistent view: every page record lies in a VMA
 * record of the same call, whatever the other thread does between calls
 * (small buffers make the walk restart often).
 */
TEST(race_with_munmap_and_mremap)
{
	struct mmaplab_inspect_page pages[7];
	struct mmaplab_inspect_vma vmas[8];
	struct mmaplab_inspect a;
	unsigned int k, j;
	uint64_t start, end;
	char why[256];
	int lab, i, bad = 0, calls = 0;
	pthread_t t;

	lab = lab_open(why, sizeof(why));
	if (lab < 0)
		SKIP(return, "%s", why);
	race_area = mmap(NULL, 32 * PAGE_SZ, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, race_area);
	ASSERT_EQ(0, pthread_create(&t, NULL, remapper, NULL));
	end = (uintptr_t)race_area + 32 * PAGE_SZ;
	for (i = 0; i < 2000; i++) {
		for (start = (uintptr_t)race_area; start < end;
		     start = a.walk_end) {
			a = (struct mmaplab_inspect){
				.size = sizeof(a), .target_fd = -1,
				.start = start, .end = end,
				.vmas = (uintptr_t)vmas,
				.vma_size = sizeof(vmas[0]), .nr_vmas = 8,
				.pages = (uintptr_t)pages,
				.page_size = sizeof(pages[0]), .nr_pages = 7,
			};
			ASSERT_EQ(0, ioctl(lab, MMAPLAB_IOC_INSPECT, &a));
			ASSERT_GT(a.walk_end, start);
			calls++;
			for (k = 0; k < a.nr_pages; k++) {
				for (j = 0; j < a.nr_vmas; j++)
					if (vmas[j].start <= pages[k].addr &&
					    pages[k].addr < vmas[j].end)
						break;
				bad += j == a.nr_vmas;
			}
		}
	}
	atomic_store(&race_stop, true);
	pthread_join(t, NULL);
	TH_LOG("%d calls", calls);
	EXPECT_EQ(0, bad);
	munmap(race_area, 32 * PAGE_SZ);
	close(lab);
}

TEST(bad_arguments)
{
	struct mmaplab_inspect_page page;
	struct mmaplab_inspect_vma vma;
	struct mmaplab_inspect a;
	char why[256];
	int lab;

	lab = lab_open(why, sizeof(why));
	if (lab < 0)
		SKIP(return, "%s", why);
#define TRY(...) ({ a = (struct mmaplab_inspect){ .size = sizeof(a),	\
	.target_fd = -1, .start = 0x10000, .end = 0x20000,		\
	.vmas = (uintptr_t)&vma, .vma_size = sizeof(vma), .nr_vmas = 1,	\
	.pages = (uintptr_t)&page, .page_size = sizeof(page),		\
	.nr_pages = 1, __VA_ARGS__ };					\
	ioctl(lab, MMAPLAB_IOC_INSPECT, &a) ? errno : 0; })
	EXPECT_EQ(0, TRY());
	EXPECT_EQ(EINVAL, TRY(.start = 0x10001));
	EXPECT_EQ(EINVAL, TRY(.end = 0x10000));
	EXPECT_EQ(EINVAL, TRY(.flags = 8));
	/* A run's length needs version 1 of the page record. */
	EXPECT_EQ(0, TRY(.flags = MMAPLAB_INSPECT_RUNS,
			 .start = (uintptr_t)why & ~(PAGE_SZ - 1),
			 .end = ((uintptr_t)why & ~(PAGE_SZ - 1)) + PAGE_SZ));
	EXPECT_EQ(1, a.nr_pages);
	EXPECT_EQ(1, page.nr);
	EXPECT_EQ(EINVAL, TRY(.flags = MMAPLAB_INSPECT_RUNS,
			      .page_size = MMAPLAB_INSPECT_PAGE_SIZE_VER0));
	/* An older caller's 48-byte records get 48 bytes each, no more. */
	{
		struct mmaplab_inspect_page two[2];

		memset(two, 0xa5, sizeof(two));
		EXPECT_EQ(0, TRY(.pages = (uintptr_t)two,
				 .page_size = MMAPLAB_INSPECT_PAGE_SIZE_VER0));
		EXPECT_EQ(0xa5a5a5a5, *(uint32_t *)((char *)two +
						    MMAPLAB_INSPECT_PAGE_SIZE_VER0));
	}
	EXPECT_EQ(EINVAL, TRY(.__pad = 1));
	EXPECT_EQ(EINVAL, TRY(.__reserved = 1));
	EXPECT_EQ(EINVAL, TRY(.vma_size = 8));
	EXPECT_EQ(EINVAL, TRY(.page_size = 8));
	EXPECT_EQ(EINVAL, TRY(.nr_vmas = 0));
	EXPECT_EQ(EINVAL, TRY(.end = ~0ULL & ~(PAGE_SZ - 1)));
	EXPECT_EQ(EBADF, TRY(.target_fd = -2));
	EXPECT_EQ(0, TRY(.nr_pages = 0, .flags = MMAPLAB_INSPECT_NO_PAGES));
	/* A page that is not there: reported empty, with no fault. */
	EXPECT_EQ(0, TRY(.start = 0, .end = PAGE_SZ));
	EXPECT_EQ(EFAULT, TRY(.start = (uintptr_t)why & ~(PAGE_SZ - 1),
			      .end = ((uintptr_t)why & ~(PAGE_SZ - 1)) + PAGE_SZ,
			      .pages = 8));
#undef TRY
	close(lab);
}

/*
 * Why nothing can be swapped out here, or NULL when /proc/swaps lists a
 * device.  tools/vm/run says in /run/mmaplab-vm-noswap why its VM has none.
 */
static const char *no_swap(char *why, size_t len)
{
	char line[256];
	int lines = 0;
	FILE *f = fopen("/proc/swaps", "r");

	if (f) {
		while (fgets(line, sizeof(line), f))
			lines++;
		fclose(f);
		if (lines > 1)	/* a heading, then one line per device */
			return NULL;
	}
	f = fopen("/run/mmaplab-vm-noswap", "r");
	if (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		snprintf(why, len, "no swap in this VM: %s", line);
	} else if (lines) {
		snprintf(why, len, "no swap: /proc/swaps lists no device");
	} else {
		snprintf(why, len, "no swap: no /proc/swaps (CONFIG_SWAP=n)");
	}
	if (f)
		fclose(f);
	return why;
}

/* smaps' "Swap:" of the VMA starting at @start, in kB; -1 if not found */
static long smaps_swap_kb(uint64_t start)
{
	char line[512], head[32];
	long kb = -1;
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	snprintf(head, sizeof(head), "%llx-", (unsigned long long)start);
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, head, strlen(head)))
			in = true;
		else if (in && sscanf(line, "Swap: %ld kB", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

#define SWAP_NR	16

/* Page @i of a swap test area: its own bytes, so that a mix-up shows. */
static char swap_byte(int i, size_t at)
{
	return (char)(i * 37 + at % 251 + 1);
}

static void fill(char *p)
{
	size_t at;
	int i;

	for (i = 0; i < SWAP_NR; i++)
		for (at = 0; at < PAGE_SZ; at++)
			p[i * PAGE_SZ + at] = swap_byte(i, at);
}

/* Read every byte back (which swaps the pages in); the first bad page. */
static int check_fill(const char *p)
{
	size_t at;
	int i;

	for (i = 0; i < SWAP_NR; i++)
		for (at = 0; at < PAGE_SZ; at++)
			if (p[i * PAGE_SZ + at] != swap_byte(i, at))
				return i;
	return -1;
}

/*
 * As an unprivileged user (run in a child that became uid 65534): its own
 * pages swap out all the same, with no offset shown, as pagemap shows
 * none.  0, or the step that failed.
 */
static int swap_unprivileged(int lab)
{
	int pagemap = open("/proc/self/pagemap", O_RDONLY), i, swapped = 0;
	const struct mmaplab_inspect_page *r;
	struct view v;
	uint64_t pm;
	char *p;

	p = mmap(NULL, SWAP_NR * PAGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pagemap < 0 || p == MAP_FAILED)
		return 1;
	madvise(p, SWAP_NR * PAGE_SZ, MADV_NOHUGEPAGE);
	fill(p);
	if (madvise(p, SWAP_NR * PAGE_SZ, MADV_PAGEOUT))
		return 2;
	if (inspect(lab, -1, (uintptr_t)p, (uintptr_t)p + SWAP_NR * PAGE_SZ,
		    &v, 4, 64) || v.nr_page != SWAP_NR)
		return 3;
	for (i = 0; i < SWAP_NR; i++) {
		r = &v.page[i];
		if (compare_page(&v, r, pagemap, -1, false))
			return 4;
		if (r->pte != MMAPLAB_PTE_SWAP)
			continue;
		swapped++;
		pm = read_u64(pagemap, r->addr / PAGE_SZ);
		if (r->swap_offset || (pm & PM_PFN))
			return 5;
	}
	if (swapped < SWAP_NR * 3 / 4)
		return 6;
	return check_fill(p) == -1 ? 0 : 7;
}

/*
 * Real swap-out: anonymous private pages and shared anonymous (shmem)
 * ones, written, then MADV_PAGEOUT.  A private page becomes a swap entry
 * in the page table: inspect's area, offset, soft-dirty and exclusive
 * against pagemap's swapped bit and frame (area in bits 0-4, offset
 * above, as root).  A shmem page keeps its swap entry in the file, not
 * in the page table: the entry is empty, as pagemap says, and smaps'
 * Swap counts it.  Reading the data back brings every page in again.
 * Then the same for private pages as uid 65534, without offsets.
 */
TEST(swapped_out_matches_pagemap)
{
	int pagemap, kpageflags, lab, i, bad, swapped, dropped, status;
	bool privileged = geteuid() == 0;
	const struct mmaplab_inspect_page *r;
	char why[300], *anon, *shm;
	const char *diff;
	uint64_t pm;
	struct view v;
	pid_t pid;
	long kb;

	lab = lab_open(why, sizeof(why));
	if (lab < 0)
		SKIP(return, "%s", why);
	if (no_swap(why, sizeof(why)))
		SKIP(return, "%s", why);
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	ASSERT_LE(0, pagemap);
	kpageflags = open("/proc/kpageflags", O_RDONLY);
	anon = mmap(NULL, SWAP_NR * PAGE_SZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shm = mmap(NULL, SWAP_NR * PAGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	ASSERT_NE(MAP_FAILED, shm);
	madvise(anon, SWAP_NR * PAGE_SZ, MADV_NOHUGEPAGE);
	fill(anon);
	fill(shm);
	ASSERT_EQ(0, madvise(anon, SWAP_NR * PAGE_SZ, MADV_PAGEOUT));
	ASSERT_EQ(0, madvise(shm, SWAP_NR * PAGE_SZ, MADV_PAGEOUT));

	/* Private: swap entries, each one as pagemap has it. */
	ASSERT_EQ(0, inspect(lab, -1, (uintptr_t)anon,
			     (uintptr_t)anon + SWAP_NR * PAGE_SZ, &v, 4, 64));
	ASSERT_EQ(SWAP_NR, v.nr_page);
	swapped = 0;
	for (i = 0; i < SWAP_NR; i++) {
		r = &v.page[i];
		diff = compare_page(&v, r, pagemap, kpageflags, privileged);
		EXPECT_EQ(NULL, diff) TH_LOG("private page %d: %s", i, diff);
		if (r->pte != MMAPLAB_PTE_SWAP) {
			/* The kernel may keep a page; it must still be there. */
			EXPECT_EQ(MMAPLAB_PTE_PRESENT, r->pte);
			continue;
		}
		swapped++;
		pm = read_u64(pagemap, r->addr / PAGE_SZ);
		if (privileged) {
			EXPECT_NE(0, r->swap_offset);
			EXPECT_EQ(r->swap_type | r->swap_offset << PM_SWAP_TYPE_BITS,
				  pm & PM_PFN)
				TH_LOG("page %d: area %u offset %#llx, pagemap frame %#llx",
				       i, r->swap_type,
				       (unsigned long long)r->swap_offset,
				       (unsigned long long)(pm & PM_PFN));
		} else {
			EXPECT_EQ(0, r->swap_offset);
			EXPECT_EQ(0, pm & PM_PFN);
		}
		/* Only this mm mapped the page when it went out. */
		EXPECT_TRUE(r->pte_flags & MMAPLAB_PTE_EXCLUSIVE)
			TH_LOG("private page %d: swap entry not exclusive", i);
		/* pagemap's "exclusively mapped" is about mapped pages. */
		EXPECT_EQ(0, pm & PM_EXCLUSIVE);
		EXPECT_EQ(0, r->page_flags);
		EXPECT_EQ(0, r->pfn);
	}
	TH_LOG("MADV_PAGEOUT swapped out %d of %d private pages", swapped,
	       SWAP_NR);
	EXPECT_GE(swapped, SWAP_NR * 3 / 4);
	free(v.page);

	/* Shared anonymous: empty entries, the pages in swap all the same. */
	ASSERT_EQ(0, inspect(lab, -1, (uintptr_t)shm,
			     (uintptr_t)shm + SWAP_NR * PAGE_SZ, &v, 4, 64));
	ASSERT_EQ(SWAP_NR, v.nr_page);
	dropped = 0;
	for (i = 0; i < SWAP_NR; i++) {
		r = &v.page[i];
		diff = compare_page(&v, r, pagemap, kpageflags, privileged);
		EXPECT_EQ(NULL, diff) TH_LOG("shared page %d: %s", i, diff);
		if (r->pte == MMAPLAB_PTE_EMPTY)
			dropped++;
		else
			EXPECT_EQ(MMAPLAB_PTE_PRESENT, r->pte);
	}
	free(v.page);
	kb = smaps_swap_kb((uintptr_t)shm);
	TH_LOG("MADV_PAGEOUT unmapped %d of %d shared pages; smaps Swap: %ld kB",
	       dropped, SWAP_NR, kb);
	EXPECT_GE(dropped, SWAP_NR * 3 / 4);
	EXPECT_GE(kb, (long)(dropped * (PAGE_SZ / 1024)));

	/* Read back: the same bytes, and every page present again. */
	EXPECT_EQ(-1, check_fill(anon));
	EXPECT_EQ(-1, check_fill(shm));
	for (bad = 0, i = 0; i < 2; i++) {
		char *p = i ? shm : anon;
		unsigned int k;

		ASSERT_EQ(0, inspect(lab, -1, (uintptr_t)p,
				     (uintptr_t)p + SWAP_NR * PAGE_SZ, &v, 4, 64));
		for (k = 0; k < v.nr_page; k++) {
			diff = compare_page(&v, &v.page[k], pagemap, kpageflags,
					    privileged);
			EXPECT_EQ(NULL, diff) TH_LOG("after swap-in: %s", diff);
			bad += v.page[k].pte != MMAPLAB_PTE_PRESENT;
		}
		free(v.page);
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, smaps_swap_kb((uintptr_t)shm));

	if (privileged) {
		pid = fork();
		if (pid == 0) {
			if (setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534))
				_exit(100);
			/* Changing uid made it non-dumpable: its /proc is root's. */
			prctl(PR_SET_DUMPABLE, 1);
			_exit(swap_unprivileged(lab));
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(0, WEXITSTATUS(status))
			TH_LOG("as uid 65534: step %d", WEXITSTATUS(status));
	}

	munmap(anon, SWAP_NR * PAGE_SZ);
	munmap(shm, SWAP_NR * PAGE_SZ);
	close(pagemap);
	if (kpageflags >= 0)
		close(kpageflags);
	close(lab);
}

TEST_HARNESS_MAIN
