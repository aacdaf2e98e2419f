// SPDX-License-Identifier: GPL-2.0
/*
 * rmmod_test.c - the module cannot be unloaded while a file or a mapping
 * that carries its vm_operations exists, whatever the backing, and can be
 * once the last one is gone; load and unload cycles leave nothing behind.
 * It unloads and reloads the module, so it needs CAP_SYS_MODULE and the
 * path of the module file in MMAPLAB_KO; it runs last.
 *
 * Shared mappings of backing zero are the exception by design: like those
 * of /dev/zero, they are shmem mappings of a new shmem file that hold no
 * module code and no reference to the device, so once the descriptor is
 * closed the module may go and the mapping keeps working.  (Its private
 * mappings are anonymous but keep the device as their file, as
 * /dev/zero's do, so they pin the module like the others.)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mmaplab_lib.h"

static int unload(void)
{
	return syscall(SYS_delete_module, "mmaplab", O_NONBLOCK) ? errno : 0;
}

static int load(const char *ko)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? errno : 0;
	close(fd);
	return ret;
}

TEST(rmmod_refused_while_open_or_mapped)
{
	const char *ko = getenv("MMAPLAB_KO");
	struct stat sb;
	char why[256];
	char *p;
	int fd;

	if (!ko || !*ko)
		SKIP(return, "MMAPLAB_KO is not set: no module file to reload after unloading");
	if (geteuid() != 0)
		SKIP(return, "needs root (CAP_SYS_MODULE) to unload and reload the module");
	if (access(ko, R_OK))
		SKIP(return, "%s: %s", ko, strerror(errno));
	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);

	/* Open: refused. */
	EXPECT_EQ(EWOULDBLOCK, unload());
	ASSERT_EQ(0, lab_configure(fd, 1));
	p = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	p[0] = 1;
	/* Closed but still mapped: the mapping holds the file, still refused. */
	EXPECT_EQ(EWOULDBLOCK, unload());
	EXPECT_EQ(1, p[0]);
	ASSERT_EQ(0, munmap(p, PAGE_SZ));

	/* Nothing left: unloads, the device goes, and it comes back on load. */
	ASSERT_EQ(0, unload());
	EXPECT_NE(0, stat(lab_device(), &sb));
	ASSERT_EQ(0, load(ko));
	EXPECT_EQ(0, stat(lab_device(), &sb));
}

static const char *need_reload(struct __test_metadata *_metadata)
{
	const char *ko = getenv("MMAPLAB_KO");

	if (!ko || !*ko)
		return NULL;
	if (geteuid() != 0 || access(ko, R_OK))
		return NULL;
	return ko;
}

/*
 * A child maps the object (@shared or private), closes its descriptor,
 * touches the mapping, and keeps it until told; meanwhile rmmod must be
 * refused.  Afterwards the child touches it again and exits, and rmmod
 * succeeds.
 */
static void hold_and_unload(struct __test_metadata *_metadata, const char *ko,
			    uint32_t backing, bool shared)
{
	struct mmaplab_config cfg = {
		.size = sizeof(cfg), .nr_pages = 2, .backing = backing,
	};
	int go[2], ack[2], status, fd;
	bool pins = !(backing == MMAPLAB_BACKING_ZERO && shared);
	char why[256], c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ack));
	pid = fork();
	if (pid == 0) {
		volatile char *p;

		fd = lab_open(why, sizeof(why));
		if (fd < 0 || ioctl(fd, MMAPLAB_IOC_CONFIGURE, &cfg))
			_exit(1);
		p = mmap(NULL, 2 * PAGE_SZ, PROT_READ | PROT_WRITE,
			 shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			_exit(2);
		close(fd);
		p[0] = 7;
		if (write(ack[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		/* A new fault on the other page, and the old one still there. */
		p[PAGE_SZ] = 8;
		_exit(p[0] == 7 && p[PAGE_SZ] == 8 ? 0 : 4);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(ack[0], &c, 1));
	EXPECT_EQ(pins ? EWOULDBLOCK : 0, unload());
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	if (pins)
		EXPECT_EQ(0, unload());
	ASSERT_EQ(0, load(ko));
	close(go[0]); close(go[1]); close(ack[0]); close(ack[1]);
}

TEST(rmmod_refused_while_any_backing_is_mapped)
{
	static const struct { uint32_t backing; bool shared; } cases[] = {
		{ MMAPLAB_BACKING_PAGES, true }, { MMAPLAB_BACKING_PAGES, false },
		{ MMAPLAB_BACKING_SHMEM, true }, { MMAPLAB_BACKING_SHMEM, false },
		{ MMAPLAB_BACKING_PFN, true },
		{ MMAPLAB_BACKING_ZERO, true }, { MMAPLAB_BACKING_ZERO, false },
	};
	const char *ko = need_reload(_metadata);
	unsigned int i;

	if (!ko)
		SKIP(return, "needs root and the module file in MMAPLAB_KO to reload it");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TH_LOG("backing %u, %s", cases[i].backing,
		       cases[i].shared ? "shared" : "private");
		hold_and_unload(_metadata, ko, cases[i].backing,
				cases[i].shared);
	}
}

TEST(load_unload_cycles)
{
	const char *ko = need_reload(_metadata);
	struct mmaplab_stats st;
	char why[256];
	int i, fd;
	char *p;

	if (!ko)
		SKIP(return, "needs root and the module file in MMAPLAB_KO to reload it");
	for (i = 0; i < 5; i++) {
		fd = lab_open(why, sizeof(why));
		ASSERT_LE(0, fd) TH_LOG("%s", why);
		ASSERT_EQ(0, lab_configure(fd, 4));
		p = mmap(NULL, 4 * PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		memset(p, i, 4 * PAGE_SZ);
		ASSERT_EQ(0, munmap(p, 4 * PAGE_SZ));
		close(fd);
		ASSERT_EQ(0, lab_global(&st));
		EXPECT_EQ(0, st.live_pages);
		EXPECT_EQ(0, st.reserved_pages);
		ASSERT_EQ(0, unload());
		ASSERT_EQ(0, load(ko));
	}
}

TEST_HARNESS_MAIN
