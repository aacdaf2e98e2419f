/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmaplab_lib.h - helpers shared by the mmaplab selftests: opening the
 * device with a reason when it is missing, configuring an object, reading
 * its counters, and touching memory while catching SIGBUS/SIGSEGV, and
 * the one difference between the kselftest harnesses of the kernels we
 * build against (SETUP_OR_SKIP).  Include it after kselftest_harness.h.
 */
#ifndef MMAPLAB_LIB_H
#define MMAPLAB_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/mmaplab.h>

#define PAGE_SZ		((size_t)sysconf(_SC_PAGESIZE))

#ifdef __KSELFTEST_HARNESS_H
/*
 * SETUP_OR_SKIP() - first statement of a TEST_F() whose FIXTURE_SETUP may
 * SKIP(): the body must not run then.  Harnesses that record a SKIP() in
 * _metadata->exit_code (those with XFAIL_ADD(), 6.9 on) never run it;
 * older ones (6.1) record it in _metadata->skip and run the body anyway.
 * Keyed on what the harness defines, not on a kernel version, so that the
 * tests build inside any kernel tree as well as against the headers the
 * standalone build uses.
 */
#ifdef XFAIL_ADD
#define lab_setup_skipped(m)	((m)->exit_code == KSFT_SKIP)
#else
#define lab_setup_skipped(m)	((m)->skip)
#endif
#define SETUP_OR_SKIP() do { if (lab_setup_skipped(_metadata)) return; } while (0)
#endif

static inline const char *lab_device(void)
{
	const char *dev = getenv("MMAPLAB_DEVICE");

	return dev && *dev ? dev : MMAPLAB_DEVICE_PATH;
}

/*
 * Open the device.  On failure return -1 and say in @why (for SKIP) what
 * is missing: the module, or the permission.
 */
static inline int lab_open(char *why, size_t len)
{
	int fd = open(lab_device(), O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		snprintf(why, len, "%s missing: mmaplab.ko is not loaded (insmod module/mmaplab.ko)",
			 lab_device());
	else if (errno == EACCES || errno == EPERM)
		snprintf(why, len, "%s: no permission to open it (%s)",
			 lab_device(), strerror(errno));
	else
		snprintf(why, len, "%s: %s", lab_device(), strerror(errno));
	return -1;
}

static inline int lab_configure(int fd, unsigned long nr_pages)
{
	struct mmaplab_config cfg = {
		.size = sizeof(cfg),
		.nr_pages = nr_pages,
		.backing = MMAPLAB_BACKING_PAGES,
	};

	return ioctl(fd, MMAPLAB_IOC_CONFIGURE, &cfg);
}

static inline int lab_stats(int fd, struct mmaplab_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, MMAPLAB_IOC_STATS, st);
}

/* Module-wide figures, read through a fresh object which is not counted. */
static inline int lab_global(struct mmaplab_stats *st)
{
	char why[256];
	int fd = lab_open(why, sizeof(why));
	int ret;

	if (fd < 0)
		return -1;
	ret = lab_stats(fd, st);
	close(fd);
	if (!ret)
		st->live_objects--;	/* not counting the fresh one */
	return ret;
}

/* Touch one byte, reporting the signal it raised (0 when none). */
static sigjmp_buf lab_jmp;
static volatile sig_atomic_t lab_sig;

static void lab_sig_handler(int sig)
{
	lab_sig = sig;
	siglongjmp(lab_jmp, 1);
}

static inline void lab_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = lab_sig_handler };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

static inline int lab_read(volatile char *p, char *val)
{
	lab_sig = 0;
	if (sigsetjmp(lab_jmp, 1) == 0)
		*val = *p;
	return lab_sig;
}

static inline int lab_write(volatile char *p, char val)
{
	lab_sig = 0;
	if (sigsetjmp(lab_jmp, 1) == 0)
		*p = val;
	return lab_sig;
}

#endif /* MMAPLAB_LIB_H */
