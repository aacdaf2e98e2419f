// SPDX-License-Identifier: GPL-2.0
/*
 * race_test.c - every range ioctl keeps its promise while other threads
 * fault on the same pages, on every backing that has range operations:
 *
 *   replace_vs_reads   after MMAPLAB_IOC_INVALIDATE|REPLACE returns, no
 *                      read anywhere returns the old content
 *   guard_vs_reads     after MMAPLAB_IOC_GUARD installs, every access
 *                      raises SIGSEGV; after it removes, none does
 *   clean_vs_writes    every write is reported by a CLEAN: content saved
 *                      when CLEAN reports a page dirty is the content once
 *                      a last CLEAN finds it clean (write-notify variants)
 *   stress             reads, writes, fault-around, MADV_DONTNEED, forks,
 *                      mprotect, mremap and partial unmaps against
 *                      replace/guard/clean, for the debug kernel to watch
 *                      (freed pages, locks), ending with the module's
 *                      live objects, pages and reservations back where
 *                      they were
 *
 * Each case runs for MMAPLAB_RACE_MS milliseconds (default 800); a soak
 * is the same program with a larger value (Documentation/testing.rst).
 *
 * Shared mappings show the object's pages directly; the private variants
 * read them too until they write (the tests that write use shared ones).
 *
 *	threads:   reader x2 ---- fault / map_pages ----.
 *	           churner  ---- MADV_DONTNEED ----------+--> object pages
 *	           main     ---- ioctl (replace, guard, clean)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mmaplab_lib.h"

#define NR	16	/* object pages */

static long race_ms(void)
{
	const char *s = getenv("MMAPLAB_RACE_MS");
	long ms = s && *s ? atol(s) : 800;

	return ms > 0 ? ms : 800;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Per-thread recovery from SIGSEGV/SIGBUS, so threads can expect them. */
static __thread sigjmp_buf race_jmp;
static __thread volatile sig_atomic_t race_sig;

static void race_handler(int sig)
{
	race_sig = sig;
	siglongjmp(race_jmp, 1);
}

static void race_catch(void)
{
	struct sigaction sa = { .sa_handler = race_handler };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

static int try_read(volatile unsigned char *p, unsigned char *val)
{
	race_sig = 0;
	if (sigsetjmp(race_jmp, 1) == 0)
		*val = *p;
	return race_sig;
}

static int try_write(volatile unsigned char *p, unsigned char val)
{
	race_sig = 0;
	if (sigsetjmp(race_jmp, 1) == 0)
		*p = val;
	return race_sig;
}

static int range_op(int fd, unsigned long cmd, uint32_t flags, uint64_t pgoff,
		    uint64_t nr, uint32_t fill, uint64_t *result)
{
	struct mmaplab_range r = {
		.size = sizeof(r), .flags = flags, .pgoff = pgoff,
		.nr_pages = nr, .fill = fill,
	};
	int ret = ioctl(fd, cmd, &r);

	if (result)
		*result = r.result;
	return ret ? errno : 0;
}

FIXTURE(race) {
	int fd;
	bool closed;
	unsigned char *p;
	size_t len;
	long live_objects, live_pages, reserved;
	/* shared with the threads */
	atomic_bool stop;
	atomic_ulong gen_issued, gen_done;	/* replace_vs_reads */
	atomic_ulong guard_state;		/* guard_vs_reads */
	atomic_ulong violations, reads, faults_seen;
	char what[160];
};

FIXTURE_VARIANT(race) {
	uint32_t backing;
	uint32_t flags;
	bool private;
};

FIXTURE_VARIANT_ADD(race, pages) {
	.backing = MMAPLAB_BACKING_PAGES,
};

FIXTURE_VARIANT_ADD(race, pages_private) {
	.backing = MMAPLAB_BACKING_PAGES, .private = true,
};

FIXTURE_VARIANT_ADD(race, pages_fault_around) {
	.backing = MMAPLAB_BACKING_PAGES,
	.flags = MMAPLAB_CONFIG_FAULT_AROUND,
};

FIXTURE_VARIANT_ADD(race, pages_write_notify) {
	.backing = MMAPLAB_BACKING_PAGES,
	.flags = MMAPLAB_CONFIG_WRITE_NOTIFY,
};

FIXTURE_VARIANT_ADD(race, pages_fa_wn) {
	.backing = MMAPLAB_BACKING_PAGES,
	.flags = MMAPLAB_CONFIG_FAULT_AROUND | MMAPLAB_CONFIG_WRITE_NOTIFY,
};

FIXTURE_VARIANT_ADD(race, shmem) {
	.backing = MMAPLAB_BACKING_SHMEM,
};

FIXTURE_VARIANT_ADD(race, shmem_private) {
	.backing = MMAPLAB_BACKING_SHMEM, .private = true,
};

FIXTURE_VARIANT_ADD(race, pfn) {
	.backing = MMAPLAB_BACKING_PFN,
};

FIXTURE_VARIANT_ADD(race, pfn_write_notify) {
	.backing = MMAPLAB_BACKING_PFN,
	.flags = MMAPLAB_CONFIG_WRITE_NOTIFY,
};

FIXTURE_SETUP(race)
{
	struct mmaplab_config cfg = {
		.size = sizeof(cfg), .nr_pages = NR,
		.backing = variant->backing, .flags = variant->flags,
	};
	struct mmaplab_stats st;
	char why[256];

	self->p = MAP_FAILED;
	self->len = NR * PAGE_SZ;
	self->fd = -1;
	race_catch();
	if (lab_global(&st))
		SKIP(return, "%s: cannot read the module's figures", lab_device());
	self->live_objects = st.live_objects;
	self->live_pages = st.live_pages;
	self->reserved = st.reserved_pages;
	self->fd = lab_open(why, sizeof(why));
	if (self->fd < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ioctl(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
	self->p = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
		       variant->private ? MAP_PRIVATE : MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	madvise(self->p, self->len, MADV_NOHUGEPAGE);
}

FIXTURE_TEARDOWN(race)
{
	struct mmaplab_stats st;

	if (self->p != MAP_FAILED)
		munmap(self->p, self->len);
	if (self->fd < 0)
		return;
	if (!self->closed)
		close(self->fd);
	/* Everything the case made is gone again. */
	ASSERT_EQ(0, lab_global(&st));
	EXPECT_EQ(self->live_objects, st.live_objects);
	EXPECT_EQ(self->live_pages, st.live_pages);
	EXPECT_EQ(self->reserved, st.reserved_pages);
}

/* The content generation @g fills pages with: 0 first, then 1..250. */
static unsigned char gen_fill(unsigned long g)
{
	return g ? (g - 1) % 250 + 1 : 0;
}

struct worker {
	FIXTURE_DATA(race) *self;
	const FIXTURE_VARIANT(race) *variant;
	int id;
};

/* Reads every page; each value must be of a generation not yet replaced. */
static void *reader(void *arg)
{
	struct worker *w = arg;
	FIXTURE_DATA(race) *self = w->self;
	unsigned char v;
	unsigned long g0, g1, g;
	bool ok;
	int i;

	race_catch();
	while (!atomic_load(&self->stop)) {
		for (i = 0; i < NR; i++) {
			g0 = atomic_load(&self->gen_done);
			if (try_read(self->p + i * PAGE_SZ, &v)) {
				atomic_fetch_add(&self->violations, 1);
				continue;
			}
			g1 = atomic_load(&self->gen_issued);
			ok = g1 - g0 >= 250;
			for (g = g0; !ok && g <= g1; g++)
				ok = v == gen_fill(g);
			if (!ok && !atomic_fetch_add(&self->violations, 1))
				snprintf(self->what, sizeof(self->what),
					 "page %d read %u, generations %lu..%lu",
					 i, v, g0, g1);
			atomic_fetch_add(&self->reads, 1);
		}
	}
	return NULL;
}

/* Drops this process's entries so that readers fault again. */
static void *churner(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(&w->self->stop))
		if (madvise(w->self->p, w->self->len, MADV_DONTNEED))
			usleep(100);	/* pfn: EINVAL; the ioctls zap anyway */
	return NULL;
}

static void start(pthread_t *t, void *(*fn)(void *), struct worker *w)
{
	if (pthread_create(t, NULL, fn, w))
		abort();
}

TEST_F(race, replace_vs_reads)
{
	struct worker w = { self, variant, 0 };
	pthread_t t[3];
	unsigned long g = 0;
	double end = now_ms() + race_ms();
	int i;

	if (self->fd < 0)
		return;
	start(&t[0], reader, &w);
	start(&t[1], reader, &w);
	start(&t[2], churner, &w);
	while (now_ms() < end) {
		g++;
		atomic_store(&self->gen_issued, g);
		ASSERT_EQ(0, range_op(self->fd, MMAPLAB_IOC_INVALIDATE,
				      MMAPLAB_INVALIDATE_REPLACE, 0, 0,
				      gen_fill(g), NULL));
		atomic_store(&self->gen_done, g);
	}
	atomic_store(&self->stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%lu replacements, %lu reads", g,
	       (unsigned long)atomic_load(&self->reads));
	EXPECT_EQ(0, atomic_load(&self->violations)) TH_LOG("%s", self->what);
	EXPECT_GT(atomic_load(&self->reads), 0);
}

/*
 * guard_state counts up: state % 4 is 0 no guard, 1 installing, 2
 * installed (the ioctl returned), 3 removing.  A read that saw the same
 * count before and after itself knows exactly what it must get.
 */
static void *guard_reader(void *arg)
{
	struct worker *w = arg;
	FIXTURE_DATA(race) *self = w->self;
	unsigned long s0, s1;
	unsigned char v;
	int i, sig;

	race_catch();
	while (!atomic_load(&self->stop)) {
		for (i = 0; i < NR; i++) {
			s0 = atomic_load(&self->guard_state);
			sig = try_read(self->p + i * PAGE_SZ, &v);
			s1 = atomic_load(&self->guard_state);
			if (sig)
				atomic_fetch_add(&self->faults_seen, 1);
			if (s0 != s1 || (s0 % 4 != 0 && s0 % 4 != 2))
				continue;
			atomic_fetch_add(&self->reads, 1);
			if ((s0 % 4 == 2) != (sig == SIGSEGV) &&
			    !atomic_fetch_add(&self->violations, 1))
				snprintf(self->what, sizeof(self->what),
					 "page %d: signal %d with guard %s", i,
					 sig, s0 % 4 ? "installed" : "removed");
		}
	}
	return NULL;
}

TEST_F(race, guard_vs_reads)
{
	struct worker w = { self, variant, 0 };
	double end = now_ms() + race_ms();
	unsigned long rounds = 0;
	pthread_t t[3];
	int i;

	if (self->fd < 0)
		return;
	start(&t[0], guard_reader, &w);
	start(&t[1], guard_reader, &w);
	start(&t[2], churner, &w);
	while (now_ms() < end) {
		atomic_fetch_add(&self->guard_state, 1);	/* installing */
		ASSERT_EQ(0, range_op(self->fd, MMAPLAB_IOC_GUARD,
				      MMAPLAB_GUARD_INSTALL, 0, 0, 0, NULL));
		atomic_fetch_add(&self->guard_state, 1);	/* installed */
		usleep(200);
		atomic_fetch_add(&self->guard_state, 1);	/* removing */
		ASSERT_EQ(0, range_op(self->fd, MMAPLAB_IOC_GUARD,
				      MMAPLAB_GUARD_REMOVE, 0, 0, 0, NULL));
		atomic_fetch_add(&self->guard_state, 1);	/* removed */
		usleep(200);
		rounds++;
	}
	atomic_store(&self->stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%lu guard rounds, %lu checked reads, %lu SIGSEGVs", rounds,
	       (unsigned long)atomic_load(&self->reads),
	       (unsigned long)atomic_load(&self->faults_seen));
	EXPECT_EQ(0, atomic_load(&self->violations)) TH_LOG("%s", self->what);
	EXPECT_GT(atomic_load(&self->reads), 0);
}

/* One pass: writes each page once, a new value each round. */
static void *clean_writer(void *arg)
{
	struct worker *w = arg;
	FIXTURE_DATA(race) *self = w->self;
	static unsigned char n;
	int i;

	race_catch();
	n++;
	for (i = 0; i < NR; i++) {
		if (try_write(self->p + i * PAGE_SZ + 8, n))
			atomic_fetch_add(&self->violations, 1);
		atomic_fetch_add(&self->reads, 1);
	}
	atomic_store(&self->stop, true);
	return NULL;
}

/*
 * The way write-back uses CLEAN: when it reports a page dirty, save the
 * page's content.  Once the writer has stopped, a last CLEAN either
 * reports the page dirty or the saved content is the content: a write
 * that no CLEAN reported would show as a difference.
 */
static int clean_and_save(FIXTURE_DATA(race) *self, int i,
			  unsigned char *saved)
{
	uint64_t dirty;
	int ret;

	ret = range_op(self->fd, MMAPLAB_IOC_CLEAN, 0, i, 1, 0, &dirty);
	if (!ret && dirty)
		saved[i] = self->p[i * PAGE_SZ + 8];
	return ret;
}

TEST_F(race, clean_vs_writes)
{
	struct worker w = { self, variant, 0 };
	double end = now_ms() + race_ms();
	unsigned char saved[NR] = { 0 };
	unsigned long rounds = 0;
	pthread_t t;
	int i, k;

	if (self->fd < 0)
		return;
	if (!(variant->flags & MMAPLAB_CONFIG_WRITE_NOTIFY))
		SKIP(return, "write-notify variants only (CLEAN needs it)");
	while (now_ms() < end) {
		/* Every first write of the round faults and is notified. */
		madvise(self->p, self->len, MADV_DONTNEED);
		atomic_store(&self->stop, false);
		start(&t, clean_writer, &w);
		/* CLEAN page after page while the writer writes them. */
		for (k = 0; !atomic_load(&self->stop); k++)
			ASSERT_EQ(0, clean_and_save(self, k % NR, saved));
		pthread_join(t, NULL);
		for (i = 0; i < NR; i++) {
			ASSERT_EQ(0, clean_and_save(self, i, saved));
			if (saved[i] != self->p[i * PAGE_SZ + 8] &&
			    !atomic_fetch_add(&self->violations, 1))
				snprintf(self->what, sizeof(self->what),
					 "round %lu: page %d holds %u, saved %u: a write no CLEAN reported",
					 rounds, i, self->p[i * PAGE_SZ + 8],
					 saved[i]);
		}
		rounds++;
	}
	TH_LOG("%lu rounds, %lu writes", rounds,
	       (unsigned long)atomic_load(&self->reads));
	EXPECT_EQ(0, atomic_load(&self->violations)) TH_LOG("%s", self->what);
}

/* Reads and writes anything; signals are expected while others remap. */
static void *toucher(void *arg)
{
	struct worker *w = arg;
	FIXTURE_DATA(race) *self = w->self;
	unsigned int seed = w->id * 7919 + 1;
	unsigned char v;
	size_t off;

	race_catch();
	while (!atomic_load(&self->stop)) {
		off = (size_t)(rand_r(&seed) % NR) * PAGE_SZ + rand_r(&seed) % 64;
		if (rand_r(&seed) & 1)
			try_write(self->p + off, (unsigned char)off);
		else
			try_read(self->p + off, &v);
	}
	return NULL;
}

/*
 * The mapping changes under the touchers: mprotect of the middle,
 * partial unmaps (a PROT_NONE anonymous page mapped over, so that no
 * other mapping can take the hole), mremap away and back, and forks whose
 * children touch and exit.
 */
static void mutate(FIXTURE_DATA(race) *self, const FIXTURE_VARIANT(race) *v,
		   unsigned char *spare, unsigned int *seed)
{
	int flags = v->private ? MAP_PRIVATE : MAP_SHARED;
	size_t pg = (size_t)(rand_r(seed) % NR);
	unsigned char *at = self->p + pg * PAGE_SZ;
	unsigned char c;
	pid_t pid;

	switch (rand_r(seed) % 4) {
	case 0:
		mprotect(at, PAGE_SZ, PROT_NONE);
		mprotect(at, PAGE_SZ, PROT_READ | PROT_WRITE);
		break;
	case 1:
		mmap(at, PAGE_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		     MAP_FIXED, -1, 0);
		mmap(at, PAGE_SZ, PROT_READ | PROT_WRITE, flags | MAP_FIXED,
		     self->fd, pg * PAGE_SZ);
		break;
	case 2:
		if (mremap(self->p, self->len, self->len,
			   MREMAP_MAYMOVE | MREMAP_FIXED, spare) == spare) {
			mmap(self->p, self->len, PROT_NONE, MAP_PRIVATE |
			     MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			mremap(spare, self->len, self->len,
			       MREMAP_MAYMOVE | MREMAP_FIXED, self->p);
		}
		break;
	case 3:
		pid = fork();
		if (pid == 0) {
			race_catch();
			try_write(at, 1);
			try_read(self->p, &c);
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		break;
	}
}

TEST_F(race, stress)
{
	struct worker w[3] = { { self, variant, 1 }, { self, variant, 2 },
			       { self, variant, 3 } };
	double end = now_ms() + race_ms();
	unsigned long ops = 0;
	unsigned int seed = 42;
	unsigned char *spare;
	struct mmaplab_stats st;
	pthread_t t[3];
	uint32_t fill;
	int i, ret;

	if (self->fd < 0)
		return;
	/* A place to mremap to, kept reserved the same way. */
	spare = mmap(NULL, self->len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	ASSERT_NE(MAP_FAILED, spare);
	start(&t[0], toucher, &w[0]);
	start(&t[1], toucher, &w[1]);
	start(&t[2], churner, &w[2]);
	while (now_ms() < end) {
		fill = rand_r(&seed) & 0xff;
		switch (rand_r(&seed) % 5) {
		case 0:
			ret = range_op(self->fd, MMAPLAB_IOC_INVALIDATE,
				       MMAPLAB_INVALIDATE_REPLACE,
				       rand_r(&seed) % NR, 1, fill, NULL);
			break;
		case 1:
			ret = range_op(self->fd, MMAPLAB_IOC_INVALIDATE, 0, 0,
				       0, 0, NULL);
			break;
		case 2:
			ret = range_op(self->fd, MMAPLAB_IOC_GUARD,
				       rand_r(&seed) & 1 ? MMAPLAB_GUARD_INSTALL :
				       MMAPLAB_GUARD_REMOVE,
				       rand_r(&seed) % NR, 2 - (fill & 1), 0,
				       NULL);
			break;
		case 3:
			ret = range_op(self->fd, MMAPLAB_IOC_CLEAN, 0, 0, 0, 0,
				       NULL);
			if (!(variant->flags & MMAPLAB_CONFIG_WRITE_NOTIFY))
				ret = ret == EINVAL ? 0 : ret;
			break;
		default:
			mutate(self, variant, spare, &seed);
			ret = 0;
			break;
		}
		/* A range that ends past the object is refused: fine. */
		if (ret == EINVAL)
			ret = 0;
		ASSERT_EQ(0, ret);
		ops++;
	}
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	/*
	 * Close the object's only descriptor while the touchers go on: the
	 * mappings keep the object (and the module) alive; the teardown
	 * checks that unmapping then frees it all.
	 */
	ASSERT_EQ(0, close(self->fd));
	self->closed = true;
	usleep(20000);
	atomic_store(&self->stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	munmap(spare, self->len);
	TH_LOG("%lu operations, %llu faults (%llu retried)", ops,
	       (unsigned long long)st.faults,
	       (unsigned long long)st.faults_retried);
	EXPECT_LE(st.pages_resident, NR);
	EXPECT_LE(st.pages_guarded, NR);
}

TEST_HARNESS_MAIN
