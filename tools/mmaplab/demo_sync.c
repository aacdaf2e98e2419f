// SPDX-License-Identifier: GPL-2.0
/*
 * demo_sync.c - topic 16 of the course: MAP_SYNC on persistent memory
 * ("map-sync").  A shared mapping of a file on a DAX filesystem accepts
 * MAP_SHARED_VALIDATE | MAP_SYNC, its page-table entry maps the NVDIMM
 * itself, and a write fault in it commits the filesystem's metadata
 * (the ext4 journal) before the store goes on, where a plain shared
 * mapping waits for msync; tmpfs and a lab object refuse the flag, and
 * plain MAP_SHARED lets it through unchecked.  Owns this scenario only:
 * the talking is demo.c's (demo.h).
 *
 * The DAX filesystem: the directory named by $MMAPLAB_DEMO_DAX, else the
 * first mount in /proc/mounts with the option "dax" or "dax=always" (the
 * VM of tools/vm/run mounts ext4 -o dax on its emulated NVDIMM at
 * /mnt/pmem).  Without one, the claims about it are skipped, saying why.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "demo.h"
#include "walk.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif

/* The claims about the DAX filesystem, skipped together without one. */
static const struct {
	const char *name, *text;
} dax_claims[] = {
	{ "dax_map_sync_accepted",
	  "MAP_SHARED_VALIDATE | MAP_SYNC maps a file of the DAX filesystem" },
	{ "dax_vmflags_sf", "smaps shows sf (synchronous faults) for that mapping" },
	{ "dax_pte_maps_pmem", "the store's page-table entry maps the NVDIMM itself" },
	{ "sync_fault_commits_journal",
	  "the write fault in the MAP_SYNC mapping committed the journal" },
	{ "dax_read_sees_store", "pread() of the file returns the store" },
	{ "plain_dax_fault_no_commit",
	  "the write fault in a plain MAP_SHARED mapping committed nothing" },
	{ "msync_commits_journal", "msync() of that mapping committed the journal" },
	{ "dax_legacy_sync_commits",
	  "MAP_SHARED | MAP_SYNC, unchecked, made the write fault commit the journal too" },
};

/* The DAX filesystem found, or why there is none (strings: free_dax()). */
struct dax_fs {
	char *dir;		/* a directory on it */
	char *how;		/* how it was found */
	char *why;		/* why there is none (NULL when found) */
	bool env;		/* named by $MMAPLAB_DEMO_DAX */
};

static void free_dax(struct dax_fs *fs)
{
	free(fs->dir);
	free(fs->how);
	free(fs->why);
}

/* true when the mount options @opts turn DAX on for every file. */
static bool dax_option(const char *opts)
{
	char buf[512], *save, *o;

	snprintf(buf, sizeof(buf), "%s", opts);
	for (o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save))
		if (!strcmp(o, "dax") || !strcmp(o, "dax=always"))
			return true;
	return false;
}

/* The first line of file @path into @buf, without its newline; "" if none. */
static void first_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = 0;
	if (f && !fgets(buf, (int)size, f))
		buf[0] = 0;
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = 0;
}

/* Why this machine has no DAX filesystem to show, as exactly as it can tell. */
static void no_dax_why(struct dax_fs *fs)
{
	char pmem[256] = "", vm[256], dax[8];
	struct dirent *e;
	bool capable = false;
	DIR *d;

	first_line("/run/mmaplab-vm-nopmem", vm, sizeof(vm));
	if (vm[0]) {
		fs->why = xasprintf("no DAX filesystem in this VM: %s", vm);
		return;
	}
	if (access("/sys/block", F_OK)) {
		fs->why = xasprintf("no block layer (no /sys/block: CONFIG_BLOCK=n), so no pmem device");
		return;
	}
	if (access("/sys/bus/nd", F_OK)) {
		fs->why = xasprintf("no NVDIMM: no /sys/bus/nd (no libnvdimm, or no NVDIMM)");
		return;
	}
	d = opendir("/sys/block");
	while (d && (e = readdir(d))) {
		char path[300];

		if (strncmp(e->d_name, "pmem", 4) || capable)
			continue;
		snprintf(pmem, sizeof(pmem), "%s", e->d_name);
		snprintf(path, sizeof(path), "/sys/block/%s/queue/dax", e->d_name);
		first_line(path, dax, sizeof(dax));
		capable = !strcmp(dax, "1");
	}
	if (d)
		closedir(d);
	if (!pmem[0])
		fs->why = xasprintf("no pmem device (no /sys/block/pmem*): no namespace for nd_pmem");
	else if (!capable)
		fs->why = xasprintf("/dev/%s has no DAX (queue/dax is 0): %s", pmem,
				    "a raw namespace has no struct pages; it needs fsdax mode");
	else
		fs->why = xasprintf("no filesystem is mounted with -o dax (e.g. on /dev/%s), %s",
				    pmem, "and MMAPLAB_DEMO_DAX is not set");
}

/* Find the DAX filesystem: $MMAPLAB_DEMO_DAX, or a dax mount; true if any. */
static bool find_dax(struct dax_fs *fs)
{
	const char *env = getenv("MMAPLAB_DEMO_DAX");
	char line[1024], src[256], dir[512], type[64], opts[512];
	FILE *f;

	memset(fs, 0, sizeof(*fs));
	if (env && env[0]) {
		fs->dir = xstrdup(env);
		fs->how = xasprintf("MMAPLAB_DEMO_DAX=%s", env);
		fs->env = true;
		return true;
	}
	f = fopen("/proc/mounts", "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %511s %63s %511s", src, dir, type, opts) != 4 ||
		    !dax_option(opts))
			continue;
		fs->dir = xstrdup(dir);
		line[strcspn(line, "\n")] = 0;
		fs->how = xasprintf("/proc/mounts: %s", line);
		fclose(f);
		return true;
	}
	if (f)
		fclose(f);
	no_dax_why(fs);
	return false;
}

/* Say the VmFlags of the mapping at @addr; true when they have "sf". */
static bool show_vmflags(const char *label, const void *addr)
{
	char fl[512];
	bool found = dm_vmflags(addr, fl, sizeof(fl));
	size_t n = strlen(fl);

	/* without the blank after the last flag */
	while (n && fl[n - 1] == ' ')
		fl[--n] = 0;
	dm_say("smaps VmFlags of %s: %s", label, found ? fl : "(not found)");
	return found && dm_has_vmflag(fl, "sf");
}

/* The block device @fd's file lives on ("pmem0"); "" if none.  Free it. */
static char *file_dev(int fd)
{
	char link[64], target[512], *slash;
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st))
		return xstrdup("");
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(st.st_dev),
		 minor(st.st_dev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return xstrdup("");
	target[n] = 0;
	slash = strrchr(target, '/');
	return xstrdup(slash ? slash + 1 : target);
}

/*
 * The journal's info file of block device @dev (/proc/fs/jbd2/DEV-INO/info:
 * ext4's journal), or NULL when there is none.  Free it.
 */
static char *journal_info(const char *dev)
{
	size_t len = strlen(dev);
	struct dirent *e;
	char *path = NULL;
	DIR *d;

	if (!len)
		return NULL;
	d = opendir("/proc/fs/jbd2");
	while (d && (e = readdir(d))) {
		if (!strncmp(e->d_name, dev, len) && e->d_name[len] == '-') {
			path = xasprintf("/proc/fs/jbd2/%s/info", e->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
	return path;
}

/* The journal's commits so far ("N transactions (M requested), ..."); -1. */
static long read_commits(const char *info)
{
	char line[256];
	long n;

	first_line(info, line, sizeof(line));
	return sscanf(line, "%ld transactions", &n) == 1 ? n : -1;
}

/*
 * The journal's commits once the count has settled (-1 if unknown, or
 * no @info).  jbd2 wakes whoever waits for a commit (fsync, msync, a
 * MAP_SYNC fault) before it counts the commit in its statistics, so a
 * count read at once may lag one commit behind: read it until it has not
 * changed for 100 ms (at most 2 s).
 */
static long commits(const char *info)
{
	long n = info ? read_commits(info) : -1, m;

	for (int same = 0, tries = 0; n >= 0 && same < 5 && tries < 100; tries++) {
		usleep(20000);
		m = read_commits(info);
		same = m == n ? same + 1 : 0;
		n = m;
	}
	return n;
}

/*
 * What the page-table entry of page @addr of this process maps: its PFN,
 * as MMAPLAB_IOC_INSPECT reports it (0 unless CAP_SYS_ADMIN).
 */
struct pfn_ctx {
	uint64_t addr, pfn;
	bool present;
};

static int pfn_walk(int dev, const struct ml_target *t, void *arg)
{
	struct pfn_ctx *c = arg;
	struct ml_walk w = { 0 };
	int ret = ml_walk(dev, t, c->addr, c->addr + PAGE, 0, &w);

	if (!ret && w.nr_pages && w.pages[0].pte == MMAPLAB_PTE_PRESENT) {
		c->present = true;
		c->pfn = w.pages[0].pfn;
	}
	ml_walk_free(&w);
	return ret;
}

/* The "Persistent Memory" range of /proc/iomem holding @phys, into @line. */
static bool in_pmem(unsigned long long phys, char *line, size_t size)
{
	char buf[256];
	bool found = false;
	FILE *f = fopen("/proc/iomem", "re");

	while (f && fgets(buf, sizeof(buf), f)) {
		unsigned long long s, e;

		if (!strstr(buf, "Persistent Memory") ||
		    sscanf(buf, " %llx-%llx", &s, &e) != 2 || phys < s || phys > e)
			continue;
		buf[strcspn(buf, "\n")] = 0;
		snprintf(line, size, "%s", buf + strspn(buf, " "));
		found = true;
		break;
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * A new file of 2 pages in @dir, all hole, its size already committed
 * (fsync): its fd, and its name in *@path (the caller frees it); -1 on
 * failure (errno set, *@path NULL).
 */
static int hole_file(const char *dir, char **path)
{
	int fd, err;

	*path = xasprintf("%s/mmaplab-map-sync-XXXXXX", dir);
	fd = mkstemp(*path);
	if (fd >= 0 && !ftruncate(fd, (off_t)(2 * PAGE)) && !fsync(fd))
		return fd;
	err = errno;
	if (fd >= 0) {
		close(fd);
		unlink(*path);
	}
	free(*path);
	*path = NULL;
	errno = err;
	return -1;
}

static void skip_dax_claims(size_t from, const char *why)
{
	for (size_t i = from; i < ARRAY_SIZE(dax_claims); i++)
		dm_skip(dax_claims[i].name, dax_claims[i].text, why);
}

#define NO_JOURNAL \
	"no journal to count commits of (/proc/fs/jbd2/<device>-*/info: ext4 with a journal)"

/* The pfn of page @p, and the dax_pte_maps_pmem claim; 0 or an exit code. */
static int claim_pte_maps_pmem(const void *p)
{
	struct pfn_ctx pc = { .addr = (uintptr_t)p };
	unsigned long long phys;
	char range[256];
	bool pm;
	int ret;

	ret = ml_with_process(0, pfn_walk, &pc);
	if (ret)
		return ret;
	if (pc.present && !pc.pfn) {
		dm_skip(dax_claims[2].name, dax_claims[2].text,
			"PFNs are hidden: inspect reports them only to CAP_SYS_ADMIN");
		return 0;
	}
	phys = (unsigned long long)pc.pfn * PAGE;
	pm = pc.present && in_pmem(phys, range, sizeof(range));
	if (pc.present)
		dm_say("the entry maps physical address 0x%llx, in /proc/iomem: %s",
		       phys, pm ? range : "no Persistent Memory range");
	dm_claim(dax_claims[2].name, pm, dax_claims[2].text);
	return 0;
}

/*
 * Map a new hole file in @dir with @flags (shown as @label), store 'S' into
 * it and msync it; the commits of the journal whose info file is @info
 * (NULL: none) before the store, after it and after the msync into @c (-1
 * where unknown).  0, or an exit code.
 */
static int store_counting(const char *dir, const char *info, int flags,
			  const char *label, long c[3])
{
	unsigned char *q;
	char *path;
	int fd, ret = ML_EXIT_OK;

	fd = hole_file(dir, &path);
	if (fd < 0)
		return dm_fail(dir);
	q = dm_map(2 * PAGE, flags, fd);
	if (q == MAP_FAILED) {
		ret = dm_fail(label);
		goto out;
	}
	show_vmflags(label, q);
	c[0] = commits(info);
	dm_wr(q, 'S');
	c[1] = commits(info);
	if (msync(q, 2 * PAGE, MS_SYNC))
		ret = dm_fail("msync");
	c[2] = commits(info);
	if (info)
		dm_say("%s: %ld commits before the store, %ld after it, %ld after msync",
		       info, c[0], c[1], c[2]);
	munmap(q, 2 * PAGE);
out:
	close(fd);
	unlink(path);
	free(path);
	return ret;
}

/*
 * The steps on the DAX filesystem @fs: MAP_SYNC accepted, a store through
 * it committing the journal, the same store through a plain mapping not,
 * and through MAP_SHARED | MAP_SYNC committing it too.  0, or an exit code.
 */
static int dax_part(const struct dax_fs *fs)
{
	char *path = NULL, *dev = NULL, *info = NULL, *why;
	unsigned char *p = MAP_FAILED;
	struct statx stx;
	long c0, c1, c[3];
	int fd, ret = ML_EXIT_OK;

	dm_step("MAP_SHARED_VALIDATE | MAP_SYNC on a file of the DAX filesystem",
		"Create a file of 2 pages in %s: a hole, no block allocated yet.\n"
		"Map it with the flags checked (MAP_SHARED_VALIDATE) and MAP_SYNC.", fs->dir);
	fd = hole_file(fs->dir, &path);
	if (fd < 0)
		return dm_fail(fs->dir);
	dev = file_dev(fd);
	if (statx(fd, "", AT_EMPTY_PATH, 0, &stx))
		memset(&stx, 0, sizeof(stx));
	if ((stx.stx_attributes_mask & STATX_ATTR_DAX) &&
	    !(stx.stx_attributes & STATX_ATTR_DAX)) {
		why = xasprintf("a new file in %s is not a DAX file (statx), though %s",
				fs->dir, fs->env ? "MMAPLAB_DEMO_DAX names it" :
				"its filesystem is mounted for DAX");
		skip_dax_claims(0, why);
		free(why);
		goto out;
	}
	dm_say("statx: %s; the filesystem is on /dev/%s",
	       (stx.stx_attributes & STATX_ATTR_DAX) ? "a DAX file (STATX_ATTR_DAX)" :
	       "no DAX attribute reported", dev[0] ? dev : "?");
	p = dm_map(2 * PAGE, MAP_SHARED_VALIDATE | MAP_SYNC, fd);
	dm_claim(dax_claims[0].name, p != MAP_FAILED, dax_claims[0].text);
	if (p == MAP_FAILED) {
		why = xasprintf("the MAP_SYNC mapping of the DAX file failed: %s", strerror(errno));
		dm_say("%s", why);
		skip_dax_claims(1, why);
		free(why);
		goto out;
	}
	dm_maps("the MAP_SYNC mapping", p, 2 * PAGE);
	dm_claim(dax_claims[1].name, show_vmflags("the MAP_SYNC mapping", p),
		 dax_claims[1].text);

	dm_step("Store 'S' into the hole through the MAP_SYNC mapping",
		"The write fault allocates a block.  With MAP_SYNC the fault does not\n"
		"return until that allocation (the file's metadata) is on the media:\n"
		"ext4 commits its journal.  Count the journal's commits around it.");
	info = journal_info(dev);
	c0 = commits(info);
	dm_wr(p, 'S');
	c1 = commits(info);
	if (c0 >= 0 && c1 >= 0) {
		dm_say("%s: %ld commits before the store, %ld after", info, c0, c1);
		dm_claim(dax_claims[3].name, c1 > c0, dax_claims[3].text);
	} else {
		dm_skip(dax_claims[3].name, dax_claims[3].text, NO_JOURNAL);
	}
	ret = dm_grid("the MAP_SYNC mapping", p, 2 * PAGE, NULL);
	if (!ret)
		ret = claim_pte_maps_pmem(p);
	if (ret)
		goto out;
	dm_byte("pread()", "offset 0 of the file", dm_file_byte(fd, 0));
	dm_claim(dax_claims[4].name, dm_file_byte(fd, 0) == 'S', dax_claims[4].text);

	dm_step("The same store through a plain MAP_SHARED mapping",
		"A second file, a hole as well, mapped MAP_SHARED without MAP_SYNC.\n"
		"The fault allocates a block as before and returns at once: the\n"
		"allocation waits in the running transaction until msync (or fsync,\n"
		"or the journal's 5 s timer) commits it.");
	ret = store_counting(fs->dir, info, MAP_SHARED, "the plain mapping", c);
	if (ret)
		goto out;
	if (c[0] < 0 || c[1] < 0 || c[2] < 0) {
		skip_dax_claims(5, NO_JOURNAL);
		goto out;
	}
	dm_claim(dax_claims[5].name, c[1] == c[0], dax_claims[5].text);
	dm_claim(dax_claims[6].name, c[2] > c[1], dax_claims[6].text);

	dm_step("MAP_SHARED | MAP_SYNC: not checked, and not dropped either",
		"Plain MAP_SHARED does not check flags it does not know, and is said\n"
		"to ignore them.  But mmap() turns MAP_SYNC into the VMA's VM_SYNC\n"
		"before it drops the unchecked flags, and the DAX fault honours it.");
	ret = store_counting(fs->dir, info, MAP_SHARED | MAP_SYNC,
			     "the MAP_SHARED | MAP_SYNC mapping", c);
	if (ret)
		goto out;
	dm_claim(dax_claims[7].name, c[0] >= 0 && c[1] > c[0], dax_claims[7].text);
out:
	if (p != MAP_FAILED)
		munmap(p, 2 * PAGE);
	close(fd);
	unlink(path);
	free(path);
	free(dev);
	free(info);
	return ret;
}

/*
 * mmap() of a page of @fd with MAP_SHARED_VALIDATE | MAP_SYNC, and what
 * came of it, said: was it refused with EOPNOTSUPP?
 */
static bool map_sync_refused(int fd)
{
	unsigned char *p = dm_map(PAGE, MAP_SHARED_VALIDATE | MAP_SYNC, fd);
	bool refused = p == MAP_FAILED && errno == EOPNOTSUPP;

	dm_say("MAP_SHARED_VALIDATE | MAP_SYNC: %s",
	       p == MAP_FAILED ? strerror(errno) : "mapped");
	dm_unmap(p, PAGE);
	return refused;
}

int demo_map_sync(void)
{
	struct mmaplab_stats b, a;
	unsigned char *p;
	struct dax_fs fs;
	bool refused, sf;
	int fd, ret;

	dm_step("Find a DAX filesystem",
		"On persistent memory mounted with -o dax, a file's pages are the\n"
		"NVDIMM's own: no page cache in between.  Look for such a mount.");
	if (find_dax(&fs)) {
		dm_say("found %s", fs.how);
		ret = dax_part(&fs);
	} else {
		dm_say("none: %s", fs.why);
		skip_dax_claims(0, fs.why);
		ret = ML_EXIT_OK;
	}
	free_dax(&fs);
	if (ret)
		return ret;

	dm_step("tmpfs: MAP_SYNC is refused, unless the flags go unchecked",
		"A memfd (tmpfs) cannot promise synchronous faults.  With\n"
		"MAP_SHARED_VALIDATE the kernel checks every flag against what the\n"
		"file supports; plain MAP_SHARED checks nothing.");
	fd = dm_memfd("mmaplab-demo", PAGE, 0, 0);
	if (fd < 0)
		return dm_fail("memfd");
	dm_claim("tmpfs_map_sync_refused", map_sync_refused(fd),
		 "tmpfs refuses MAP_SHARED_VALIDATE | MAP_SYNC with EOPNOTSUPP");
	p = dm_map(PAGE, MAP_SHARED | MAP_SYNC, fd);
	dm_say("MAP_SHARED | MAP_SYNC: %s", p == MAP_FAILED ? strerror(errno) : "mapped");
	dm_claim("tmpfs_legacy_sync_accepted", p != MAP_FAILED,
		 "MAP_SHARED | MAP_SYNC maps the memfd all the same");
	if (p == MAP_FAILED) {
		dm_skip("tmpfs_legacy_sync_flag_kept", "smaps shows sf for that mapping",
			"the mapping failed");
	} else {
		dm_wr(p, 'T');
		sf = show_vmflags("the memfd's MAP_SHARED | MAP_SYNC mapping", p);
		dm_claim("tmpfs_legacy_sync_flag_kept", sf,
			 "smaps shows sf for it: the flag is set, though tmpfs never acts on it");
		munmap(p, PAGE);
	}
	close(fd);

	dm_step("A lab object: the kernel refuses before the module hears of it",
		"The module declares no MAP_SYNC support, so the check in mmap()\n"
		"fails before the object's ->mmap is called: its mmaps counter stays.");
	fd = dm_object(1, MMAPLAB_BACKING_PAGES, &ret);
	if (fd < 0)
		return ret;
	ret = dm_stats(fd, &b);
	if (ret)
		goto out;
	refused = map_sync_refused(fd);
	ret = dm_stats(fd, &a);
	if (ret)
		goto out;
	dm_counters("the object", &b, &a);
	dm_claim("object_map_sync_refused", refused,
		 "the lab object refuses MAP_SHARED_VALIDATE | MAP_SYNC with EOPNOTSUPP");
	dm_claim("object_mmap_not_called", a.mmaps == b.mmaps,
		 "the module's ->mmap was not called");

	dm_lesson("MAP_SYNC is a promise only a DAX file can keep: once a write fault\n"
		  "returns, the file's metadata is durable, so a store to persistent\n"
		  "memory needs a CPU cache flush but no msync.  Ask for it with\n"
		  "MAP_SHARED_VALIDATE: plain MAP_SHARED neither refuses it where it\n"
		  "cannot hold nor drops it.");
out:
	close(fd);
	return ret;
}
