// SPDX-License-Identifier: GPL-2.0
/*
 * budget_test.c - what a user can hold, and calls that fail leave no trace:
 *
 *   reconfigure        configuring again gives back the old configuration's
 *                      pages, not only its reservation
 *   failed_calls       a refused mmap() does not freeze the object; GUARD,
 *                      INVALIDATE, CLEAN and STATS(RESET) with an argument
 *                      the caller cannot write fail with EFAULT and change
 *                      nothing
 *   per_user           an unprivileged user (uid 65534) is held to
 *                      max_user_pages, and then another user and root can
 *                      still configure
 *   memcg              pages are charged to the faulting task's memory
 *                      cgroup, for an unprivileged user too
 *   other_users        another user cannot reach an object it was not
 *                      handed: /proc/PID/fd and map_files are refused, and
 *                      its own open() makes a new, empty object
 *
 * The per-user and memcg cases need root to change uid and make a cgroup.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mmaplab_lib.h"

#define NOBODY		65534
#define OTHER_USER	65533

static int configure(int fd, uint32_t backing, uint64_t nr)
{
	struct mmaplab_config cfg = {
		.size = sizeof(cfg), .nr_pages = nr, .backing = backing,
	};

	return ioctl(fd, MMAPLAB_IOC_CONFIGURE, &cfg) ? errno : 0;
}

static int range_op(int fd, unsigned long cmd, uint32_t flags, void *where)
{
	struct mmaplab_range *r = where, local = {
		.size = sizeof(local), .flags = flags,
	};

	if (!r)
		r = &local;
	return ioctl(fd, cmd, r) ? errno : 0;
}

static int open_or_skip(struct __test_metadata *_metadata)
{
	char why[256];
	int fd = lab_open(why, sizeof(why));

	if (fd < 0)
		ksft_print_msg("%s\n", why);
	return fd;
}

TEST(reconfigure_gives_back_the_old_pages)
{
	struct mmaplab_stats g0, st;
	int fd = open_or_skip(_metadata);

	if (fd < 0)
		SKIP(return, "no device");
	ASSERT_EQ(0, lab_global(&g0));
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PAGES, 64));
	/* Pages without a mapping: INVALIDATE|REPLACE allocates them. */
	ASSERT_EQ(0, range_op(fd, MMAPLAB_IOC_INVALIDATE,
			      MMAPLAB_INVALIDATE_REPLACE, NULL));
	ASSERT_EQ(0, lab_stats(fd, &st));
	EXPECT_EQ(64, st.pages_resident);
	EXPECT_EQ(g0.live_pages + 64, st.live_pages);

	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PAGES, 1));
	ASSERT_EQ(0, lab_stats(fd, &st));
	EXPECT_EQ(0, st.pages_resident);
	EXPECT_EQ(g0.live_pages, st.live_pages);
	EXPECT_EQ(g0.reserved_pages + 1, st.reserved_pages);

	/* Another backing: the pages go too. */
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PFN, 8));
	ASSERT_EQ(0, range_op(fd, MMAPLAB_IOC_INVALIDATE,
			      MMAPLAB_INVALIDATE_REPLACE, NULL));
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_SHMEM, 8));
	ASSERT_EQ(0, lab_stats(fd, &st));
	EXPECT_EQ(g0.live_pages, st.live_pages);
	EXPECT_EQ(g0.reserved_pages + 8, st.reserved_pages);
	close(fd);
	ASSERT_EQ(0, lab_global(&st));
	EXPECT_EQ(g0.reserved_pages, st.reserved_pages);
}

TEST(failed_calls_change_nothing)
{
	struct mmaplab_stats st, before;
	struct mmaplab_range *ro;
	size_t pg = PAGE_SZ;
	char *p;
	int fd = open_or_skip(_metadata);

	if (fd < 0)
		SKIP(return, "no device");
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PFN, 4));
	/* pfn refuses a private mapping: the object is not frozen. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PAGES, 4));
	ASSERT_EQ(0, lab_stats(fd, &st));
	EXPECT_EQ(MMAPLAB_BACKING_PAGES, st.backing);
	EXPECT_EQ(0, st.mmaps);

	p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	/* An argument the module can read but not write. */
	ro = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	*ro = (struct mmaplab_range){ .size = sizeof(*ro),
				      .flags = MMAPLAB_GUARD_INSTALL };
	ASSERT_EQ(0, mprotect(ro, pg, PROT_READ));
	EXPECT_EQ(EFAULT, range_op(fd, MMAPLAB_IOC_GUARD, 0, ro));
	ASSERT_EQ(0, mprotect(ro, pg, PROT_READ | PROT_WRITE));
	ro->flags = MMAPLAB_INVALIDATE_REPLACE;
	ro->fill = 0x55;
	ASSERT_EQ(0, mprotect(ro, pg, PROT_READ));
	EXPECT_EQ(EFAULT, range_op(fd, MMAPLAB_IOC_INVALIDATE, 0, ro));
	ASSERT_EQ(0, lab_stats(fd, &before));
	EXPECT_EQ(0, before.pages_guarded);
	EXPECT_EQ(0, before.invalidations);
	EXPECT_EQ(1, p[0]);

	/* STATS with RESET into read-only memory: counters stay. */
	ASSERT_EQ(0, mprotect(ro, pg, PROT_READ | PROT_WRITE));
	memset(ro, 0, sizeof(struct mmaplab_stats));
	((struct mmaplab_stats *)ro)->size = sizeof(struct mmaplab_stats);
	((struct mmaplab_stats *)ro)->flags = MMAPLAB_STATS_RESET;
	ASSERT_EQ(0, mprotect(ro, pg, PROT_READ));
	EXPECT_EQ(-1, ioctl(fd, MMAPLAB_IOC_STATS, ro));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, lab_stats(fd, &st));
	EXPECT_EQ(before.faults, st.faults);
	EXPECT_EQ(before.mmaps, st.mmaps);
	EXPECT_NE(0, st.faults);

	munmap(ro, pg);
	munmap(p, 4 * pg);
	close(fd);
}

/* Run @fn(@arg) in a child as @uid; its exit status, or -1. */
static int as_user(uid_t uid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(100);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

struct hold {
	int ready[2], done[2];
	uint64_t max_user;
};

/*
 * As an unprivileged user: take the whole per-user budget in two objects,
 * check that a third page is refused, tell the parent, and hold on until
 * it has checked the others.  Exit status 0, or the step that failed.
 */
static int hog(void *arg)
{
	struct hold *h = arg;
	struct mmaplab_stats st;
	char why[256], c = 0;
	int a, b, x;

	a = lab_open(why, sizeof(why));
	b = lab_open(why, sizeof(why));
	x = lab_open(why, sizeof(why));
	if (a < 0 || b < 0 || x < 0)
		return 1;
	if (configure(a, MMAPLAB_BACKING_PAGES, h->max_user / 2) ||
	    configure(b, MMAPLAB_BACKING_SHMEM, h->max_user - h->max_user / 2))
		return 2;
	if (configure(x, MMAPLAB_BACKING_PAGES, 1) != ENOSPC ||
	    configure(x, MMAPLAB_BACKING_PFN, 1) != ENOSPC)
		return 3;
	/* Configuring again within the user's own budget is fine. */
	if (configure(a, MMAPLAB_BACKING_PFN, h->max_user / 2))
		return 4;
	if (lab_stats(x, &st) || st.user_reserved_pages != h->max_user ||
	    st.backing != 0)
		return 5;
	if (write(h->ready[1], &c, 1) != 1 || read(h->done[0], &c, 1) != 1)
		return 6;
	return 0;
}

static int other_user(void *arg)
{
	struct mmaplab_stats st;
	char why[256];
	int fd = lab_open(why, sizeof(why));

	if (fd < 0)
		return 1;
	if (lab_stats(fd, &st) || st.user_reserved_pages != 0)
		return 2;
	if (configure(fd, MMAPLAB_BACKING_PAGES, 16))
		return 3;
	if (lab_stats(fd, &st) || st.user_reserved_pages != 16)
		return 4;
	return 0;
}

TEST(per_user_budget)
{
	struct mmaplab_stats st;
	struct hold h;
	pid_t pid;
	int status, fd;
	char c = 1;

	fd = open_or_skip(_metadata);
	if (fd < 0)
		SKIP(return, "no device");
	if (geteuid())
		SKIP(return, "needs root to run as uid %d and %d", NOBODY, OTHER_USER);
	ASSERT_EQ(0, lab_stats(fd, &st));
	h.max_user = st.max_user_pages;
	ASSERT_LT(h.max_user, st.max_total_pages)
		TH_LOG("max_user_pages must leave room for others");
	ASSERT_EQ(0, pipe(h.ready));
	ASSERT_EQ(0, pipe(h.done));

	pid = fork();
	if (pid == 0) {
		if (setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(100);
		_exit(hog(&h));
	}
	ASSERT_LT(0, pid);
	if (read(h.ready[0], &c, 1) != 1)
		c = 1;
	/* While uid 65534 holds its whole budget: */
	EXPECT_EQ(0, as_user(OTHER_USER, other_user, NULL));
	EXPECT_EQ(0, configure(fd, MMAPLAB_BACKING_PAGES, 16));
	ASSERT_EQ(0, lab_stats(fd, &st));
	EXPECT_EQ(16, st.user_reserved_pages);	/* root's own */
	EXPECT_EQ(1, write(h.done[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("hog failed at step %d",
						 WEXITSTATUS(status));
	close(fd);
}

struct target {
	pid_t pid;
	int fd;
	void *map;
};

static int snoop(void *arg)
{
	struct target *t = arg;
	struct mmaplab_stats st;
	char path[128], why[256];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", t->pid, t->fd);
	if (open(path, O_RDWR) >= 0 || errno != EACCES)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", t->pid,
		 (unsigned long)t->map, (unsigned long)t->map + PAGE_SZ);
	if (open(path, O_RDWR) >= 0 || (errno != EACCES && errno != EPERM))
		return 2;
	fd = lab_open(why, sizeof(why));
	if (fd < 0 || lab_stats(fd, &st))
		return 3;
	/* A new object, and none of the owner's budget. */
	if (st.backing || st.nr_pages || st.user_reserved_pages || st.mmaps)
		return 4;
	return 0;
}

TEST(other_users_objects_are_out_of_reach)
{
	struct target t = { .pid = getpid() };
	int fd = open_or_skip(_metadata);

	if (fd < 0)
		SKIP(return, "no device");
	if (geteuid())
		SKIP(return, "needs root to run as uid %d", NOBODY);
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PAGES, 4));
	t.fd = fd;
	t.map = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, t.map);
	EXPECT_EQ(0, as_user(NOBODY, snoop, &t));
	munmap(t.map, PAGE_SZ);
	close(fd);
}

/* Mount cgroup2 if needed; the path of a new child cgroup, or NULL. */
static const char *make_cgroup(char *why, size_t len)
{
	static const char *root = "/sys/fs/cgroup", *cg = "/sys/fs/cgroup/mmaplab-test";
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	if (access(path, R_OK) &&
	    mount("cgroup2", root, "cgroup2", 0, NULL)) {
		snprintf(why, len, "cannot mount cgroup2 on %s: %s", root,
			 strerror(errno));
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", root);
	f = fopen(path, "w");
	if (!f || fputs("+memory", f) < 0 || fclose(f)) {
		snprintf(why, len, "no memory controller in %s", root);
		return NULL;
	}
	if (mkdir(cg, 0755) && errno != EEXIST) {
		snprintf(why, len, "mkdir %s: %s", cg, strerror(errno));
		return NULL;
	}
	return cg;
}

static long cg_read(const char *cg, const char *file)
{
	char path[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

TEST(memcg_charges_the_faulting_task)
{
	const int nr = 1024;
	const char *cg;
	char why[256], path[256], c;
	int go[2], ack[2], done[2], status;
	long before, during;
	pid_t pid;
	FILE *f;

	if (geteuid())
		SKIP(return, "needs root to make a cgroup");
	cg = make_cgroup(why, sizeof(why));
	if (!cg)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ack));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	if (pid == 0) {
		char *p;
		int fd, i;

		snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
		f = fopen(path, "w");
		if (!f || fprintf(f, "%d", getpid()) < 0 || fclose(f))
			_exit(1);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		if (setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(3);
		fd = lab_open(why, sizeof(why));
		if (fd < 0 || configure(fd, MMAPLAB_BACKING_PAGES, nr))
			_exit(4);
		p = mmap(NULL, nr * PAGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(5);
		for (i = 0; i < nr; i++)
			p[i * PAGE_SZ] = 1;
		if (write(ack[1], &c, 1) != 1 ||
		    read(done[0], &c, 1) != 1)
			_exit(6);
		_exit(0);
	}
	ASSERT_LT(0, pid);
	usleep(100000);
	before = cg_read(cg, "memory.current");
	c = 0;
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(1, read(ack[0], &c, 1));
	during = cg_read(cg, "memory.current");
	ASSERT_EQ(1, write(done[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	TH_LOG("memory.current %ld -> %ld bytes (%d pages touched)", before,
	       during, nr);
	EXPECT_GE(during - before, (long)(nr * PAGE_SZ));
	rmdir(cg);
}

TEST_HARNESS_MAIN
