// SPDX-License-Identifier: GPL-2.0
/*
 * rmmod_test.c - the module cannot be unloaded while a file or a mapping
 * of it exists, and can be once the last one is gone.  It unloads and
 * reloads the module, so it needs CAP_SYS_MODULE and the path of the
 * module file in MMAPLAB_KO; it runs last.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>

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

TEST_HARNESS_MAIN
