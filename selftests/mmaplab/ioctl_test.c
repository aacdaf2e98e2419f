// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_test.c - bad input gets a clear errno, never a crash: unknown
 * commands, short, long and malformed argument structures, reserved
 * fields, limits, and calls made in the wrong order.
 */
#define _GNU_SOURCE
#include <stdint.h>

#include "kselftest_harness.h"
#include "mmaplab_lib.h"

FIXTURE(obj) {
	int fd;
};

FIXTURE_SETUP(obj)
{
	char why[256];

	self->fd = lab_open(why, sizeof(why));
	if (self->fd < 0)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(obj)
{
	if (self->fd >= 0)
		close(self->fd);
}

static int ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static struct mmaplab_config good_config(void)
{
	struct mmaplab_config cfg = {
		.size = sizeof(cfg),
		.nr_pages = 1,
		.backing = MMAPLAB_BACKING_PAGES,
	};

	return cfg;
}

TEST_F(obj, unknown_command_is_enotty)
{
	struct mmaplab_config cfg = good_config();

	SETUP_OR_SKIP();
	EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, _IOW(MMAPLAB_IOC_MAGIC, 0x7f,
						     struct mmaplab_config), &cfg));
	EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, _IOW('x', 0x01,
						     struct mmaplab_config), &cfg));
	/* Same number, wrong direction. */
	EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, _IOR(MMAPLAB_IOC_MAGIC, 0x01,
						     struct mmaplab_config), &cfg));
}

TEST_F(obj, good_config_is_accepted)
{
	struct mmaplab_config cfg = good_config();

	SETUP_OR_SKIP();
	EXPECT_EQ(0, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
}

TEST_F(obj, size_below_version0_is_einval)
{
	struct mmaplab_config cfg = good_config();

	SETUP_OR_SKIP();
	cfg.size = MMAPLAB_CONFIG_SIZE_VER0 - 8;
	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
	cfg.size = 0;
	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
}

/* A newer caller's larger structure is fine while its tail is zero. */
TEST_F(obj, larger_struct_needs_zero_tail)
{
	struct {
		struct mmaplab_config cfg;
		uint64_t newer[2];
	} big = { .cfg = good_config() };

	SETUP_OR_SKIP();
	big.cfg.size = sizeof(big);
	EXPECT_EQ(0, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &big));
	big.newer[1] = 1;
	EXPECT_EQ(E2BIG, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &big));
}

TEST_F(obj, absurd_size_is_e2big)
{
	struct mmaplab_config cfg = good_config();

	SETUP_OR_SKIP();
	cfg.size = 1u << 20;
	EXPECT_EQ(E2BIG, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
}

TEST_F(obj, reserved_fields_must_be_zero)
{
	struct mmaplab_config cfg = good_config();

	SETUP_OR_SKIP();
	cfg.flags = 1u << 31;	/* no such flag */
	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
	cfg = good_config();
	cfg.__pad = 1;
	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
}

TEST_F(obj, bad_values_are_einval)
{
	struct mmaplab_config cfg = good_config();

	SETUP_OR_SKIP();
	cfg.backing = MMAPLAB_BACKING_NONE;
	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
	cfg.backing = 0x1234;
	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
	cfg = good_config();
	cfg.nr_pages = 0;
	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
}

TEST_F(obj, over_max_pages_is_efbig)
{
	struct mmaplab_config cfg = good_config();
	struct mmaplab_stats st;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	cfg.nr_pages = st.max_pages + 1;
	EXPECT_EQ(EFBIG, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
	cfg.nr_pages = UINT64_MAX;
	EXPECT_EQ(EFBIG, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
}

/* Configuring reserves pages against max_total_pages without allocating. */
TEST(budget_exhausted_is_enospc)
{
	struct mmaplab_config cfg = good_config();
	struct mmaplab_stats st;
	int fds[64], n = 0, i, err = 0;
	char why[256];

	fds[0] = lab_open(why, sizeof(why));
	if (fds[0] < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, lab_stats(fds[0], &st));
	if (st.max_total_pages / st.max_pages + 2 > 64)
		SKIP(goto out, "max_total_pages/max_pages too large for this test");
	cfg.nr_pages = st.max_pages;
	for (n = 0; n < 64; n++) {
		if (n)
			fds[n] = lab_open(why, sizeof(why));
		ASSERT_GE(fds[n], 0);
		err = ioctl_errno(fds[n], MMAPLAB_IOC_CONFIGURE, &cfg);
		if (err) {
			n++;
			break;
		}
	}
	EXPECT_EQ(ENOSPC, err);
	ASSERT_EQ(0, lab_stats(fds[0], &st));
	EXPECT_LE(st.reserved_pages, st.max_total_pages);
	EXPECT_EQ(0, st.pages_resident);
out:
	for (i = 0; i < n; i++)
		close(fds[i]);
	ASSERT_EQ(0, lab_global(&st));
	EXPECT_EQ(0, st.reserved_pages);
}

TEST_F(obj, bad_pointer_is_efault)
{
	SETUP_OR_SKIP();
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, NULL));
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, MMAPLAB_IOC_STATS,
				      (void *)16));
}

TEST_F(obj, stats_unknown_flag_is_einval)
{
	struct mmaplab_stats st = { .size = sizeof(st), .flags = 1u << 31 };

	SETUP_OR_SKIP();
	EXPECT_EQ(EINVAL, ioctl_errno(self->fd, MMAPLAB_IOC_STATS, &st));
}

/* An older caller with a shorter structure gets only what it asked for. */
TEST_F(obj, stats_fills_only_caller_size)
{
	struct mmaplab_stats st;

	SETUP_OR_SKIP();
	memset(&st, 0xaa, sizeof(st));
	st.size = MMAPLAB_STATS_SIZE_VER0;
	st.flags = 0;
	ASSERT_EQ(0, ioctl_errno(self->fd, MMAPLAB_IOC_STATS, &st));
	EXPECT_EQ(MMAPLAB_STATS_SIZE_VER0, st.size);
	EXPECT_EQ(MMAPLAB_ABI_VERSION, st.abi_version);
}

TEST_F(obj, stats_reset_zeroes_counters)
{
	struct mmaplab_stats st = { .size = sizeof(st) };
	char *p;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, lab_configure(self->fd, 1));
	p = mmap(NULL, PAGE_SZ, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, *(volatile char *)p);
	st.flags = MMAPLAB_STATS_RESET;
	ASSERT_EQ(0, ioctl_errno(self->fd, MMAPLAB_IOC_STATS, &st));
	EXPECT_EQ(1, st.faults);
	ASSERT_EQ(0, lab_stats(self->fd, &st));
	EXPECT_EQ(0, st.faults);
	EXPECT_EQ(0, st.mmaps);
	/* State, not events: still one VMA and one page. */
	EXPECT_EQ(1, st.vmas_live);
	EXPECT_EQ(1, st.pages_resident);
	munmap(p, PAGE_SZ);
}

TEST_F(obj, mmap_before_configure_is_einval)
{
	void *p;

	SETUP_OR_SKIP();
	p = mmap(NULL, PAGE_SZ, PROT_READ, MAP_SHARED, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(obj, configure_after_mmap_is_ebusy)
{
	struct mmaplab_config cfg = good_config();
	void *p;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
	/* Before the first mmap() it may still be changed. */
	cfg.nr_pages = 2;
	ASSERT_EQ(0, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
	p = mmap(NULL, PAGE_SZ, PROT_READ, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(EBUSY, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
	munmap(p, PAGE_SZ);
	/* Still frozen once unmapped: the object was mapped. */
	EXPECT_EQ(EBUSY, ioctl_errno(self->fd, MMAPLAB_IOC_CONFIGURE, &cfg));
}

TEST_HARNESS_MAIN
