// SPDX-License-Identifier: GPL-2.0
/*
 * demo_kinds.c - the first demos of the course: the four kinds of mapping
 * and who sees a write ("kinds"), copy-on-write on a private file mapping
 * ("cow"), a private mapping that still sees another process's update of
 * a page it has not written ("private-update"), and a shared file mapping
 * as memory-mapped I/O ("mmio").  Owns their scenarios only: the talking
 * is demo.c's (demo.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo.h"

#define FILE_PATTERN	'F'	/* what the file holds to begin with */
#define UPDATE_PATTERN	'U'	/* another process's update */

/*
 * The byte at page @i of lab object @fd, as a shared mapping reads it:
 * what "the file" holds (-1 on failure).
 */
static int object_byte(int fd, size_t i)
{
	unsigned char *v = mmap(NULL, (i + 1) * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	int b;

	if (v == MAP_FAILED)
		return -1;
	b = dm_rd(v + i * PAGE);
	munmap(v, (i + 1) * PAGE);
	return b;
}

/*
 * The lab object that plays the file: 2 pages holding FILE_PATTERN, mapped
 * MAP_PRIVATE at *@p.  Returns 0, or the exit status of the failure it
 * reported (*@fd and *@p are set as far as they got).
 */
static int object_private(int *fd, unsigned char **p)
{
	int ret = ML_EXIT_OK;

	*fd = dm_object(2, MMAPLAB_BACKING_PAGES, &ret);
	if (*fd < 0)
		return ret;
	ret = dm_fill_object(*fd, 2, FILE_PATTERN, 0);
	if (ret)
		return ret;
	*p = dm_map(2 * PAGE, MAP_PRIVATE, *fd);
	if (*p == MAP_FAILED)
		return dm_fail("mmap");
	return 0;
}

/*
 * The kernel's own file, the way the demos compare with it: a memfd of 2
 * pages holding FILE_PATTERN, mapped MAP_PRIVATE at *@q; page 0 read,
 * page 1 written 'P'.  Returns 0, or the exit status of the failure it
 * reported (*@fd and *@q are set as far as they got).
 */
static int memfd_private_touched(int *fd, unsigned char **q)
{
	*fd = dm_memfd("mmaplab-demo", 2 * PAGE, FILE_PATTERN, 0);
	if (*fd < 0)
		return dm_fail("memfd");
	*q = dm_map(2 * PAGE, MAP_PRIVATE, *fd);
	if (*q == MAP_FAILED)
		return dm_fail("mmap of the memfd");
	(void)dm_rd(*q);
	dm_wr(*q + PAGE, 'P');
	return 0;
}

/* ---------------------------------------------------------------- kinds */

enum { K_PRIV_FILE, K_SHARED_FILE, K_PRIV_ANON, K_SHARED_ANON, K_NR };

static const char *const kind_label[K_NR] = {
	"the private file mapping", "the shared file mapping",
	"the private anonymous mapping", "the shared anonymous mapping",
};

/* The child of "kinds": saw the parent's 'P' in each?  Then writes 'C'. */
static int kinds_child(void *arg)
{
	unsigned char **m = arg;
	int saw = 0;

	for (int k = 0; k < K_NR; k++) {
		if (dm_rd(m[k]) == 'P')
			saw |= 1 << k;
		dm_wr(m[k], 'C');
	}
	return saw;
}

int demo_kinds(void)
{
	struct mmaplab_stats b[2], a[2];
	unsigned char *m[K_NR];
	int fd[2], ret = ML_EXIT_OK, saw, seen[K_NR];
	char where[96];

	dm_step("Four mappings, one of each kind",
		"A mapping is private or shared, and backed by a file or anonymous.\n"
		"Make one page of each kind.  The \"files\" are two lab objects (their\n"
		"pages start with 'F'); the anonymous ones come from MAP_ANONYMOUS.");
	fd[0] = dm_object(1, MMAPLAB_BACKING_PAGES, &ret);
	if (fd[0] < 0)
		return ret;
	fd[1] = dm_object(1, MMAPLAB_BACKING_PAGES, &ret);
	if (fd[1] < 0)
		goto out0;
	ret = dm_fill_object(fd[0], 1, FILE_PATTERN, 0);
	if (!ret)
		ret = dm_fill_object(fd[1], 1, FILE_PATTERN, 0);
	if (ret)
		goto out1;
	m[K_PRIV_FILE] = dm_map(PAGE, MAP_PRIVATE, fd[0]);
	m[K_SHARED_FILE] = dm_map(PAGE, MAP_SHARED, fd[1]);
	m[K_PRIV_ANON] = dm_map(PAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	m[K_SHARED_ANON] = dm_map(PAGE, MAP_SHARED | MAP_ANONYMOUS, -1);
	for (int k = 0; k < K_NR; k++) {
		if (m[k] == MAP_FAILED) {
			ret = dm_fail("mmap");
			goto out2;
		}
	}
	for (int k = 0; k < K_NR; k++)
		dm_maps(kind_label[k], m[k], PAGE);
	dm_say("The fourth column says p (private) or s (shared).  The shared\n"
	       "anonymous one is backed by a hidden shmem file named /dev/zero.");

	dm_step("The parent writes 'P' in each",
		"Every write faults the page in.");
	for (int k = 0; k < K_NR; k++)
		dm_wr(m[k], 'P');
	for (int k = 0; k < K_NR; k++) {
		ret = dm_grid(kind_label[k], m[k], PAGE, NULL);
		if (ret)
			goto out2;
	}

	dm_step("fork(); the child reads, then writes 'C' in each",
		"The child inherits all four mappings, each of its kind.");
	ret = dm_stats(fd[0], &b[0]);
	if (!ret)
		ret = dm_stats(fd[1], &b[1]);
	if (ret)
		goto out2;
	saw = dm_child(kinds_child, m);
	if (saw < 0) {
		ret = ML_EXIT_FAIL;
		goto out2;
	}
	ret = dm_stats(fd[0], &a[0]);
	if (!ret)
		ret = dm_stats(fd[1], &a[1]);
	if (ret)
		goto out2;
	dm_claim("child_sees_parent_writes", saw == (1 << K_NR) - 1,
		 "the child read the parent's 'P' in all four");
	dm_counters("the private file's object", &b[0], &a[0]);
	dm_counters("the shared file's object", &b[1], &a[1]);

	dm_step("The parent reads each again",
		"Who sees the child's write?");
	for (int k = 0; k < K_NR; k++) {
		snprintf(where, sizeof(where), "%s", kind_label[k]);
		seen[k] = dm_rd(m[k]);
		dm_byte("the parent", where, seen[k]);
	}
	dm_byte("the file", "the private mapping's object", object_byte(fd[0], 0));
	dm_byte("the file", "the shared mapping's object", object_byte(fd[1], 0));
	dm_claim("parent_sees_child_write_private_file", seen[K_PRIV_FILE] == 'C',
		 "the parent sees the child's write in the private file mapping");
	dm_claim("parent_sees_child_write_shared_file", seen[K_SHARED_FILE] == 'C',
		 "the parent sees the child's write in the shared file mapping");
	dm_claim("parent_sees_child_write_private_anon", seen[K_PRIV_ANON] == 'C',
		 "the parent sees the child's write in the private anonymous mapping");
	dm_claim("parent_sees_child_write_shared_anon", seen[K_SHARED_ANON] == 'C',
		 "the parent sees the child's write in the shared anonymous mapping");
	dm_claim("shared_write_reaches_file", object_byte(fd[1], 0) == 'C',
		 "the shared mapping's object holds the child's 'C'");
	dm_claim("private_write_reaches_file", object_byte(fd[0], 0) != FILE_PATTERN,
		 "the private mapping's object changed");
	ret = dm_grid(kind_label[K_PRIV_FILE], m[K_PRIV_FILE], PAGE, NULL);
	if (ret)
		goto out2;

	dm_lesson("A write to a shared mapping is seen by every process that maps the\n"
		  "same pages, and by the file; a write to a private mapping lands in a\n"
		  "copy that only the writer sees, file or anonymous alike.");
out2:
	for (int k = 0; k < K_NR; k++)
		if (m[k] != MAP_FAILED)
			munmap(m[k], PAGE);
out1:
	close(fd[1]);
out0:
	close(fd[0]);
	return ret;
}

/* ------------------------------------------------------------------ cow */

int demo_cow(void)
{
	struct mmaplab_stats b, a;
	unsigned char *p = MAP_FAILED, *q = MAP_FAILED;
	int fd = -1, mfd = -1, ret = ML_EXIT_OK;
	bool read_maps, copy, stays;

	dm_step("A private mapping of a file",
		"A lab object of 2 pages stands for the file; each page starts with\n"
		"'F'.  Map it MAP_PRIVATE, read and write.");
	ret = object_private(&fd, &p);
	if (ret)
		goto out;
	dm_maps("the private mapping", p, 2 * PAGE);

	dm_step("Read page 0",
		"A read fault asks the module for the file's page and maps that very\n"
		"page, read-only, even though the mapping is writable.");
	ret = dm_stats(fd, &b);
	if (ret)
		goto out;
	dm_byte("the process", "page 0", dm_rd(p));
	ret = dm_stats(fd, &a);
	if (ret)
		goto out;
	dm_counters("the object", &b, &a);
	ret = dm_grid_is("the private mapping", p, 2 * PAGE, "r.", &read_maps);
	if (ret)
		goto out;
	dm_claim("read_maps_file_page_readonly", read_maps,
		 "page 0 is mapped read-only after the read");

	dm_step("Write 'P' to page 0",
		"The write finds a read-only entry in a private mapping: the kernel\n"
		"copies the page into a new anonymous page and maps the copy.  The\n"
		"page was already mapped, so the module is not asked again.");
	b = a;
	dm_wr(p, 'P');
	ret = dm_stats(fd, &a);
	if (ret)
		goto out;
	dm_counters("the object", &b, &a);
	dm_claim("wp_copy_without_module", a.faults == b.faults,
		 "the copy of a mapped page needed no call into the module");

	dm_step("Write 'P' to page 1, never read",
		"Now the write itself faults the page in: the module gets a write\n"
		"fault on a private mapping (faults_cow), returns the file's page and\n"
		"the kernel maps a copy of it at once.");
	b = a;
	dm_wr(p + PAGE, 'P');
	ret = dm_stats(fd, &a);
	if (ret)
		goto out;
	dm_counters("the object", &b, &a);
	dm_claim("cow_fault_counted", a.faults_cow == b.faults_cow + 1,
		 "the module saw one copy-on-write fault");
	ret = dm_grid_is("the private mapping", p, 2 * PAGE, "CC", &copy);
	if (ret)
		goto out;
	dm_claim("write_makes_anon_copy", copy,
		 "both pages are now anonymous copies (C)");
	dm_byte("the process", "page 0", dm_rd(p));
	dm_byte("the file", "page 0 (a shared mapping of the object)", object_byte(fd, 0));
	dm_byte("the file", "page 1 (a shared mapping of the object)", object_byte(fd, 1));
	stays = object_byte(fd, 0) == FILE_PATTERN && object_byte(fd, 1) == FILE_PATTERN;
	dm_claim("file_page_unchanged", stays, "the file's pages still hold 'F'");

	dm_step("The same with the kernel's own file: a memfd (tmpfs)",
		"No lab object this time: a memfd of 2 pages holding 'F', mapped\n"
		"MAP_PRIVATE; read page 0, write page 1, then read the file with pread().");
	ret = memfd_private_touched(&mfd, &q);
	if (ret)
		goto out;
	dm_maps("the memfd's private mapping", q, 2 * PAGE);
	ret = dm_grid_is("the memfd's private mapping", q, 2 * PAGE, "?C", &copy);
	if (ret)
		goto out;
	dm_byte("the process", "page 1", dm_rd(q + PAGE));
	dm_byte("pread()", "page 1 of the memfd", dm_file_byte(mfd, (off_t)PAGE));
	dm_claim("memfd_write_makes_anon_copy", copy,
		 "the memfd's page 1 is an anonymous copy in the mapping");
	dm_claim("memfd_file_unchanged", dm_file_byte(mfd, (off_t)PAGE) == FILE_PATTERN,
		 "pread() still finds 'F' in the memfd's page 1");

	dm_lesson("A private file mapping maps the file's own pages until the process\n"
		  "writes; the first write copies the page into an anonymous page that\n"
		  "only this mapping sees, and the file's page stays as it was.");
out:
	dm_unmap(q, 2 * PAGE);
	dm_unmap(p, 2 * PAGE);
	dm_close(mfd);
	dm_close(fd);
	return ret;
}

/* ------------------------------------------------------- private-update */

/*
 * Another process updates every page of the lab object through a shared
 * mapping of its own.
 */
static int update_object_child(void *arg)
{
	int fd = *(int *)arg;
	unsigned char *v = dm_map(2 * PAGE, MAP_SHARED, fd);

	if (v == MAP_FAILED)
		return 1;
	dm_wr(v, UPDATE_PATTERN);
	dm_wr(v + PAGE, UPDATE_PATTERN);
	munmap(v, 2 * PAGE);
	return 0;
}

/* ... and of the memfd, with pwrite(). */
static int update_file_child(void *arg)
{
	int fd = *(int *)arg;
	unsigned char c = UPDATE_PATTERN;

	return pwrite(fd, &c, 1, 0) != 1 || pwrite(fd, &c, 1, (off_t)PAGE) != 1;
}

/*
 * Read pages 0 and 1 of the private mapping @p (named "page N@of") after
 * the update: does page 0 read it (*@update), page 1 its own 'P' (*@own)?
 */
static void read_both(const unsigned char *p, const char *of, bool *update, bool *own)
{
	int s0 = dm_rd(p), s1 = dm_rd(p + PAGE);
	char where[64];

	snprintf(where, sizeof(where), "page 0%s", of);
	dm_byte("this process", where, s0);
	snprintf(where, sizeof(where), "page 1%s", of);
	dm_byte("this process", where, s1);
	*update = s0 == UPDATE_PATTERN;
	*own = s1 == 'P';
}

int demo_private_update(void)
{
	struct mmaplab_stats b, a;
	unsigned char *p = MAP_FAILED, *q = MAP_FAILED;
	int fd = -1, mfd = -1, ret = ML_EXIT_OK;
	bool update, own;

	dm_step("A private mapping, one page read and one written",
		"A lab object of 2 pages holding 'F', mapped MAP_PRIVATE.  Read\n"
		"page 0; write 'P' to page 1 (which makes a private copy of it).");
	ret = object_private(&fd, &p);
	if (ret)
		goto out;
	dm_byte("this process", "page 0", dm_rd(p));
	dm_wr(p + PAGE, 'P');
	ret = dm_grid("the private mapping", p, 2 * PAGE, NULL);
	if (ret)
		goto out;

	dm_step("Another process updates the file",
		"A child maps the object MAP_SHARED and writes 'U' to both pages.");
	ret = dm_stats(fd, &b);
	if (ret)
		goto out;
	if (dm_child(update_object_child, &fd) != 0) {
		ret = ML_EXIT_FAIL;
		goto out;
	}
	ret = dm_stats(fd, &a);
	if (ret)
		goto out;
	dm_counters("the object", &b, &a);

	dm_step("This process reads both pages again",
		"Page 0 was only read: its entry still points at the file's page.\n"
		"Page 1 was written: its entry points at the private copy.");
	read_both(p, "", &update, &own);
	dm_claim("private_sees_update_of_unwritten_page", update,
		 "the private mapping sees the other process's 'U' in page 0");
	dm_claim("private_keeps_own_copy", own, "page 1 keeps this process's own 'P'");
	ret = dm_grid("the private mapping", p, 2 * PAGE, NULL);
	if (ret)
		goto out;

	dm_step("The same with a memfd and write(2)",
		"A memfd of 2 pages holding 'F', mapped MAP_PRIVATE; read page 0, write\n"
		"page 1; a child pwrite()s 'U' to both pages of the file.");
	ret = memfd_private_touched(&mfd, &q);
	if (ret)
		goto out;
	if (dm_child(update_file_child, &mfd) != 0) {
		ret = ML_EXIT_FAIL;
		goto out;
	}
	read_both(q, " of the memfd", &update, &own);
	dm_claim("memfd_private_sees_update", update,
		 "the memfd's private mapping sees the update of page 0");
	dm_claim("memfd_private_keeps_own_copy", own, "and keeps its own 'P' in page 1");

	dm_lesson("MAP_PRIVATE is copy-on-write, not a snapshot: until this process\n"
		  "writes a page, it reads the file's page, updates by others included.");
out:
	dm_unmap(q, 2 * PAGE);
	dm_unmap(p, 2 * PAGE);
	dm_close(mfd);
	dm_close(fd);
	return ret;
}

/* ----------------------------------------------------------------- mmio */

int demo_mmio(void)
{
	static const char before[] = "old line\n", after[] = "NEW line\n";
	const char *dir = getenv("TMPDIR");
	char path[4096], buf[16] = "";
	unsigned char *p = MAP_FAILED;
	int fd, rfd, ret = ML_EXIT_OK;
	bool dirty;

	if (!dir || !dir[0])
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/mmaplab-demo-XXXXXX", dir);

	dm_step("A file, mapped shared",
		"Create a one-page file holding \"old line\" and map it MAP_SHARED.");
	fd = mkstemp(path);
	if (fd < 0)
		return dm_fail(path);
	if (ftruncate(fd, (off_t)PAGE) ||
	    pwrite(fd, before, sizeof(before) - 1, 0) != (ssize_t)sizeof(before) - 1) {
		ret = dm_fail(path);
		goto out;
	}
	p = dm_map(PAGE, MAP_SHARED, fd);
	if (p == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	dm_maps("the file's mapping", p, PAGE);

	dm_step("Write \"NEW\" through memory",
		"An ordinary store: no write(2).  The page-table entry becomes\n"
		"writable and dirty (D).");
	memcpy(p, after, 3);
	ret = dm_grid_is("the file's mapping", p, PAGE, "D", &dirty);
	if (ret)
		goto out;
	dm_claim("store_dirties_page", dirty, "the page is dirty after the store");

	dm_step("read(2) the file through another descriptor",
		"The mapping and read(2) share the page cache: the file already\n"
		"reads \"NEW\", before any msync.");
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (rfd < 0 || pread(rfd, buf, sizeof(after) - 1, 0) < 0) {
		ret = dm_fail(path);
		if (rfd >= 0)
			close(rfd);
		goto out;
	}
	close(rfd);
	buf[strcspn(buf, "\n")] = 0;
	dm_say("read(2) returns \"%s\"", buf);
	dm_claim("read_sees_mapped_write", !strncmp(buf, after, 3),
		 "read(2) sees the store at once");

	dm_step("msync(MS_SYNC), munmap, and read the file afresh",
		"msync writes the dirty pages back to the file's storage and waits\n"
		"(on tmpfs there is nothing below the page cache to write to).");
	dm_claim("msync_ok", msync(p, PAGE, MS_SYNC) == 0, "msync(MS_SYNC) succeeded");
	ret = dm_grid("the file's mapping", p, PAGE, NULL);
	if (ret)
		goto out;
	munmap(p, PAGE);
	p = MAP_FAILED;
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	memset(buf, 0, sizeof(buf));
	if (fd < 0 || pread(fd, buf, sizeof(after) - 1, 0) < 0) {
		ret = dm_fail(path);
		goto out;
	}
	buf[strcspn(buf, "\n")] = 0;
	dm_say("the file %s now holds \"%s\"", path, buf);
	dm_claim("file_changed", !strncmp(buf, after, 3),
		 "the file holds what was stored through the mapping");

	dm_lesson("A shared file mapping is the file: a store changes the page-cache\n"
		  "page that read(2) returns, and msync() pushes it to the storage.");
out:
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	if (fd >= 0)
		close(fd);
	unlink(path);
	return ret;
}
