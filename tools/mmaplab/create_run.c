// SPDX-License-Identifier: GPL-2.0
/*
 * create_run.c - running the scenario of "mmaplab create" (see create.h):
 * configure the object, map it, the parent's touch, the child's, the
 * range operation and the touch again, the read-back; and explaining
 * what failed on the way.  It prints no report: create_report.c does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "create.h"

/* Written by the child into a shared anonymous mapping. */
struct child_result {
	int sig;
	int sees;
};

/* "mmap: ERROR (WHY)" on stderr, without the reason when @why is NULL. */
static int mmap_error(int err, const char *why)
{
	if (why)
		ml_err("mmap: %s (%s)", strerror(err), why);
	else
		ml_err("mmap: %s", strerror(err));
	return ML_EXIT_FAIL;
}

static int mmap_failed(const struct create_opts *o, int err)
{
	switch (err) {
	case EINVAL:
		if (!o->length)
			return mmap_error(err, "a mapping needs at least 1 page (--length 0)");
		if (o->backing == MMAPLAB_BACKING_PFN &&
		    o->map == MAP_PRIVATE && (o->prot & PROT_WRITE))
			return mmap_error(err, "pfn mappings cannot be private and writable (like /dev/mem)");
		if (o->backing == MMAPLAB_BACKING_PFN && o->map == MAP_PRIVATE)
			return mmap_error(err, "pfn mappings cannot be private and writable (like /dev/mem): a private mapping of a device opened read-write counts as writable even with --prot r, since mprotect() could make it writable");
		return mmap_error(err, "the module refused the mapping, or the offset is not valid");
	case EACCES:
		return mmap_error(err, "the device's open mode does not allow this protection");
	case EPERM:
		if (o->prot & PROT_EXEC)
			return mmap_error(err, "PROT_EXEC on a device of a noexec mount (/dev usually is one)");
		break;
	case ENOMEM:
		return mmap_error(err, "no room in the address space, or a limit on mappings or address space was hit");
	case EOVERFLOW:
		return mmap_error(err, "offset plus length overflow the file offset");
	case ENODEV:
		return mmap_error(err, "the device does not support mmap()");
	}
	return mmap_error(err, NULL);
}

/* The range ioctl of @o on @fd; 0 or a negative errno. */
static int range_ioctl(int fd, const struct create_opts *o, uint64_t *result)
{
	struct mmaplab_range r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.pgoff = o->range_pgoff;
	r.nr_pages = o->range_pages;
	if (o->op == OP_GUARD) {
		r.flags = MMAPLAB_GUARD_INSTALL;
	} else if (o->op == OP_INVALIDATE && o->replace >= 0) {
		r.flags = MMAPLAB_INVALIDATE_REPLACE;
		r.fill = (uint32_t)o->replace;
	}
	if (ioctl(fd, range_ops[o->op].cmd, &r) < 0)
		return -errno;
	*result = r.result;
	return 0;
}

/* Explain why the range ioctl of @o failed with @err (negative errno). */
static int range_failed(int fd, const struct create_opts *o, int err)
{
	const char *name = range_ops[o->op].ioctl;
	struct mmaplab_stats st;
	char why[256] = "";

	err = -err;
	switch (err) {
	case ENOTTY:
		if (ml_stats(fd, 0, &st) == 0)
			snprintf(why, sizeof(why),
				 "the module does not know this ioctl: it speaks ABI version %u, range operations came with version 2",
				 (unsigned int)st.abi_version);
		else
			snprintf(why, sizeof(why),
				 "the module does not know this ioctl: is it older than ABI version 2?");
		break;
	case EOPNOTSUPP:
		snprintf(why, sizeof(why),
			 "backing %s has no range operations: like /dev/zero, its mappings become anonymous or shmem memory that is not the module's",
			 ml_backing_name(o->backing));
		break;
	case EINVAL:
		if (o->range_pgoff >= o->pages ||
		    (o->range_pages && o->range_pages > o->pages - o->range_pgoff))
			snprintf(why, sizeof(why),
				 "the range (object page %" PRIu64 ", %" PRIu64
				 " page%s) does not lie inside the object (pages 0-%" PRIu64 ")",
				 o->range_pgoff, o->range_pages,
				 o->range_pages == 1 ? "" : "s", o->pages - 1);
		else if (o->op == OP_CLEAN &&
			 !(o->flags & MMAPLAB_CONFIG_WRITE_NOTIFY))
			snprintf(why, sizeof(why),
				 "cleaning needs an object with write-notify: add --write-notify");
		else
			snprintf(why, sizeof(why),
				 "bad argument: flags, fill or padding");
		break;
	case E2BIG:
		snprintf(why, sizeof(why),
			 "the module refused the size of the argument: is it built from another ABI version?");
		break;
	case ENOMEM:
		snprintf(why, sizeof(why),
			 "the module found no memory for the new content");
		break;
	}
	if (why[0])
		ml_err("%s: %s (%s)", name, strerror(err), why);
	else
		ml_err("%s: %s", name, strerror(err));
	return ML_EXIT_FAIL;
}

/*
 * Fork a child that touches every page as @o->child_touch says, records
 * what it got into a shared anonymous array and exits; wait for it.
 */
static int run_child(const struct create_opts *o, unsigned char *addr,
		     size_t page_size, struct page_result *res,
		     struct child_status *cs)
{
	struct child_result *cres;
	size_t cres_len;
	pid_t pid;

	cres_len = o->length * sizeof(*cres);
	if (o->length && cres_len / o->length != sizeof(*cres)) {
		ml_err("too many pages to fork for");
		return ML_EXIT_FAIL;
	}
	cres = mmap(NULL, cres_len ? cres_len : 1, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cres == MAP_FAILED) {
		ml_err("mmap of the child's result area: %s", strerror(errno));
		return ML_EXIT_FAIL;
	}

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ml_err("fork: %s", strerror(errno));
		munmap(cres, cres_len ? cres_len : 1);
		return ML_EXIT_FAIL;
	}
	if (pid == 0) {
		for (uint64_t i = 0; i < o->length; i++)
			cres[i].sig = ml_guarded_access(addr + i * page_size,
							o->child_touch,
							ML_CHILD_PATTERN,
							&cres[i].sees);
		_exit(0);
	}

	cs->pid = pid;
	while (waitpid(pid, &cs->status, 0) < 0) {
		if (errno != EINTR) {
			ml_err("waitpid: %s", strerror(errno));
			munmap(cres, cres_len ? cres_len : 1);
			return ML_EXIT_FAIL;
		}
	}
	if (WIFEXITED(cs->status) && WEXITSTATUS(cs->status) == 0) {
		for (uint64_t i = 0; i < o->length; i++) {
			res[i].child_sig = cres[i].sig;
			res[i].child_sees = cres[i].sees;
		}
	}
	munmap(cres, cres_len ? cres_len : 1);
	return 0;
}

/* Steps 1 to 5 on the mapping of @run; ML_EXIT_OK or a reported failure. */
static int run_steps(const struct create_opts *o, struct create_run *run,
		     size_t page_size)
{
	struct page_result *res = run->res;
	unsigned char *addr = run->addr;
	int fd = run->fd, err, ret;

	/* Step 1: the parent's touch. */
	for (uint64_t i = 0; i < o->length; i++) {
		int ignored;

		res[i].touch_sig = ml_guarded_access(addr + i * page_size,
						     o->touch, ML_PARENT_PATTERN,
						     &ignored);
		res[i].child_sees = -1;
	}

	/* Step 2: the child's touch. */
	if (o->fork) {
		ret = run_child(o, addr, page_size, res, &run->cs);
		if (ret)
			return ret;
	}

	/* Step 3: the range operation; step 4: the touch again. */
	if (o->op != OP_NONE) {
		err = ml_stats(fd, 0, &run->rr.before);
		if (err)
			return ml_ioctl_failed(fd, MMAPLAB_IOC_STATS, err, NULL);
		err = range_ioctl(fd, o, &run->rr.result);
		if (err)
			return range_failed(fd, o, err);
		if (o->op != OP_INVALIDATE)
			run->rr.again = o->touch == ML_TOUCH_NONE ?
					ML_TOUCH_READ : o->touch;
		for (uint64_t i = 0; i < o->length; i++) {
			int ignored;

			res[i].in_range = page_in_range(o, o->offset + i);
			if (run->rr.again == ML_TOUCH_NONE)
				continue;
			err = ml_counted_access(fd, addr + i * page_size,
						run->rr.again, ML_PARENT_PATTERN,
						&res[i].again_sig, &ignored,
						&res[i].calls);
			if (err)
				return ml_ioctl_failed(fd, MMAPLAB_IOC_STATS,
						       err, NULL);
		}
	}

	/* Step 5: the parent's read-back. */
	for (uint64_t i = 0; i < o->length; i++) {
		if (o->op == OP_NONE) {
			res[i].parent_sig = ml_guarded_access(addr + i * page_size,
							      ML_TOUCH_READ, 0,
							      &res[i].parent_sees);
			continue;
		}
		err = ml_counted_access(fd, addr + i * page_size,
					ML_TOUCH_READ, 0, &res[i].parent_sig,
					&res[i].parent_sees, &res[i].calls);
		if (err)
			return ml_ioctl_failed(fd, MMAPLAB_IOC_STATS, err, NULL);
	}

	err = ml_stats(fd, 0, &run->st);
	if (err)
		return ml_ioctl_failed(fd, MMAPLAB_IOC_STATS, err, NULL);
	return ML_EXIT_OK;
}

int create_run(const struct create_opts *o, struct create_run *run)
{
	const size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct mmaplab_config cfg;
	int err, ret;

	memset(run, 0, sizeof(*run));
	run->cs.pid = -1;
	run->rr.again = ML_TOUCH_NONE;

	run->fd = ml_open_device();
	if (run->fd < 0)
		return ML_EXIT_NODEV;

	err = ml_configure(run->fd, o->pages, o->backing, o->flags);
	if (err) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.size = sizeof(cfg);
		cfg.flags = o->flags;
		cfg.nr_pages = o->pages;
		cfg.backing = o->backing;
		ret = ml_ioctl_failed(run->fd, MMAPLAB_IOC_CONFIGURE, err, &cfg);
		close(run->fd);
		return ret;
	}

	run->len = o->length * page_size;
	run->addr = mmap(NULL, run->len, o->prot, o->map, run->fd,
			 (off_t)(o->offset * page_size));
	if (run->addr == MAP_FAILED) {
		ret = mmap_failed(o, errno);
		close(run->fd);
		return ret;
	}
	/* One fault per page: keep transparent huge pages out of the way. */
	(void)madvise(run->addr, run->len, MADV_NOHUGEPAGE);

	run->res = calloc(o->length ? o->length : 1, sizeof(*run->res));
	if (!run->res) {
		ml_err("out of memory for %" PRIu64 " pages of results",
		       o->length);
		ret = ML_EXIT_FAIL;
		goto fail;
	}
	err = ml_guard_install(run->addr, run->len);
	if (err) {
		ml_err("sigaction: %s", strerror(-err));
		ret = ML_EXIT_FAIL;
		goto fail;
	}
	ret = run_steps(o, run, page_size);
	if (ret)
		goto fail;
	return ML_EXIT_OK;

fail:
	create_run_release(run);
	return ret;
}

void create_run_release(struct create_run *run)
{
	free(run->res);
	if (run->len)	/* 0: the holder unmapped what it held */
		munmap(run->addr, run->len);
	close(run->fd);
}
