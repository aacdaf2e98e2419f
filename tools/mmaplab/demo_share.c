// SPDX-License-Identifier: GPL-2.0
/*
 * demo_share.c - the demos of sharing and of the rules mmap() enforces:
 * shared anonymous memory is a hidden shmem file ("shmem"), what fork()
 * keeps and exec() drops ("fork-exec"), page alignment, rounding and the
 * end of the file ("boundaries"), and protection against the open mode of
 * the descriptor ("open-mode").  Owns their scenarios only: the talking
 * is demo.c's (demo.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "mapping.h"
#include "report.h"
#include "walk.h"

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

/* ------------------------------------------------------------ children */

/*
 * Fork a child that runs @fn(@arg, @wfd) and exits with its value: @wfd is
 * the write end of a pipe (close-on-exec) whose read end the parent gets
 * in *@rfd.  The child must not call dm_*().  Returns the pid, or -1
 * (explained on stderr).
 */
static pid_t spawn(int (*fn)(void *arg, int wfd), void *arg, int *rfd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC)) {
		dm_fail("pipe");
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		dm_fail("fork");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		_exit(fn(arg, p[1]));
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/*
 * Read @fd to its end into @buf (NUL-terminated; what does not fit is
 * read and dropped), then close it.  Returns the length kept.
 */
static size_t slurp(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char drop[256];
	ssize_t r;

	for (;;) {
		if (n + 1 < size)
			r = read(fd, buf + n, size - 1 - n);
		else
			r = read(fd, drop, sizeof(drop));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (n + 1 < size)
			n += (size_t)r;
	}
	buf[n] = 0;
	close(fd);
	return n;
}

static void write_all(int fd, const char *s)
{
	size_t len = strlen(s);
	ssize_t r;

	while (len) {
		r = write(fd, s, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		s += r;
		len -= (size_t)r;
	}
}

/* The @i-th line of @text (0 from the start) into @line; false if none. */
static bool nth_line(const char *text, unsigned int i, char *line, size_t size)
{
	const char *nl;

	while (i--) {
		text = strchr(text, '\n');
		if (!text)
			return false;
		text++;
	}
	if (!*text)
		return false;
	nl = strchr(text, '\n');
	snprintf(line, size, "%.*s", nl ? (int)(nl - text) : (int)strlen(text), text);
	return true;
}

/* -------------------------------------------------------------- shmem */

enum { SH_ANON, SH_PRIV, SH_ZERO, SH_NR };

/* The child of "shmem": writes 'C' at the start of each mapping. */
static int write_c_child(void *arg, int wfd)
{
	unsigned char **m = arg;

	(void)wfd;
	for (unsigned char **p = m; *p; p++)
		dm_wr(*p, 'C');
	return 0;
}

/* Run write_c_child over the NULL-terminated mappings @m; 0 or -1. */
static int child_writes_c(unsigned char **m)
{
	int rfd;
	pid_t pid = spawn(write_c_child, m, &rfd);
	char buf[8];

	if (pid < 0)
		return -1;
	slurp(rfd, buf, sizeof(buf));
	return dm_reap(pid) == 0 ? 0 : -1;
}

int demo_shmem(void)
{
	static const char *const label[SH_NR] = {
		"MAP_SHARED|MAP_ANONYMOUS", "MAP_PRIVATE|MAP_ANONYMOUS",
		"/dev/zero, MAP_SHARED",
	};
	unsigned char *m[SH_NR] = { MAP_FAILED, MAP_FAILED, MAP_FAILED };
	unsigned char *again = MAP_FAILED, *ls = MAP_FAILED, *mf = MAP_FAILED;
	unsigned char *mf2 = MAP_FAILED, *kids[SH_NR + 1] = { NULL };
	struct dm_maps_line l[SH_NR], la, lls, lmf;
	struct mmaplab_stats b, a;
	int zfd, lfd = -1, mfd = -1, ret = ML_EXIT_OK;
	bool empty, empty_zero;

	dm_step("Shared anonymous memory has a file",
		"Map one page MAP_SHARED|MAP_ANONYMOUS, one page MAP_PRIVATE|MAP_ANONYMOUS,\n"
		"and one page of /dev/zero with MAP_SHARED, and look at /proc/self/maps.");
	zfd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	if (zfd < 0)
		return dm_fail("/dev/zero");
	m[SH_ANON] = dm_map(PAGE, MAP_SHARED | MAP_ANONYMOUS, -1);
	m[SH_PRIV] = dm_map(PAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	m[SH_ZERO] = dm_map(PAGE, MAP_SHARED, zfd);
	for (int k = 0; k < SH_NR; k++) {
		if (m[k] == MAP_FAILED) {
			ret = dm_fail("mmap");
			goto out;
		}
		dm_maps(label[k], m[k], PAGE);
		dm_maps_find(m[k], &l[k]);
	}
	dm_say("The shared anonymous page has a device (%s), an inode (%lu) and a\n"
	       "path: it is a file of the kernel's internal tmpfs (shmem), named\n"
	       "\"/dev/zero\" and deleted at once.  The private one has no file at all.\n"
	       "Mapping /dev/zero shared gives another such file (inode %lu): the\n"
	       "device's mmap() hands the VMA over to shmem.",
	       l[SH_ANON].dev, l[SH_ANON].inode, l[SH_ZERO].inode);
	dm_claim("shared_anon_is_dev_zero_deleted",
		 ends_with(l[SH_ANON].path, "/dev/zero (deleted)") && l[SH_ANON].inode,
		 "the shared anonymous mapping is a file named /dev/zero (deleted)");
	dm_claim("private_anon_has_no_file", !l[SH_PRIV].inode && !l[SH_PRIV].path[0],
		 "the private anonymous mapping has no file");
	dm_claim("dev_zero_shared_same_as_anon",
		 ends_with(l[SH_ZERO].path, "/dev/zero (deleted)") &&
		 !strcmp(l[SH_ZERO].dev, l[SH_ANON].dev),
		 "mmap of /dev/zero MAP_SHARED gives the same: a deleted shmem file");

	dm_step("fork(); the child writes 'C' in each",
		"The parent writes 'P' in the private page only; the two shared pages\n"
		"it leaves untouched: no page-table entry.  The child writes 'C' in all\n"
		"three and exits.");
	dm_wr(m[SH_PRIV], 'P');
	for (int k = 0; k < SH_NR; k++)
		kids[k] = m[k];
	if (child_writes_c(kids)) {
		ret = ML_EXIT_FAIL;
		goto out;
	}
	ret = dm_grid_is(label[SH_ANON], m[SH_ANON], PAGE, ".", &empty);
	if (ret)
		goto out;
	ret = dm_grid_is(label[SH_ZERO], m[SH_ZERO], PAGE, ".", &empty_zero);
	if (ret)
		goto out;
	empty = empty && empty_zero;
	dm_say("No entry in the parent's page tables, yet the page exists: the child\n"
	       "put it in the shmem file's page cache.  A read faults it in from there.");
	dm_claim("parent_has_no_entry_before", empty,
		 "the parent's page tables had no entry for either shared page");
	for (int k = 0; k < SH_NR; k++)
		dm_byte("the parent", label[k], dm_rd(m[k]));
	dm_claim("child_write_reaches_parent", dm_rd(m[SH_ANON]) == 'C',
		 "the child's write reached the parent through MAP_SHARED|MAP_ANONYMOUS");
	dm_claim("dev_zero_child_write_reaches_parent", dm_rd(m[SH_ZERO]) == 'C',
		 "and through the shared mapping of /dev/zero");
	dm_claim("private_anon_does_not_carry", dm_rd(m[SH_PRIV]) == 'P',
		 "the private anonymous page kept the parent's 'P'");
	ret = dm_grid(label[SH_ANON], m[SH_ANON], PAGE, NULL);
	if (ret)
		goto out;

	dm_step("A second MAP_SHARED|MAP_ANONYMOUS mapping",
		"Same flags, same process: is it the same memory?");
	again = dm_map(PAGE, MAP_SHARED | MAP_ANONYMOUS, -1);
	if (again == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	dm_maps("the second shared anonymous mapping", again, PAGE);
	dm_maps_find(again, &la);
	dm_byte("the parent", "the second mapping", dm_rd(again));
	dm_claim("second_mmap_new_file",
		 la.inode && la.inode != l[SH_ANON].inode && la.inode != l[SH_ZERO].inode,
		 "the second mapping is another file (another inode)");
	dm_claim("second_mmap_does_not_share", dm_rd(again) == 0,
		 "it reads 0, not the 'C' of the first");
	dm_say("No directory holds these files, so no open() finds them: fork() is\n"
	       "the way to hand such a mapping on (root can also reach it through\n"
	       "/proc/PID/map_files).");

	dm_step("Shmem files with a descriptor: a lab object and a memfd",
		"A lab object of backing shmem (an internal tmpfs file) and a memfd (a\n"
		"tmpfs file with a name), each one page, mapped MAP_SHARED; the child\n"
		"writes 'C' in both; then a second mmap() of the memfd.");
	lfd = dm_object(1, MMAPLAB_BACKING_SHMEM, &ret);
	if (lfd < 0)
		goto out;
	mfd = dm_memfd("mmaplab-demo", PAGE, 'F', 0);
	if (mfd < 0) {
		ret = dm_fail("memfd");
		goto out;
	}
	ls = dm_map(PAGE, MAP_SHARED, lfd);
	mf = dm_map(PAGE, MAP_SHARED, mfd);
	if (ls == MAP_FAILED || mf == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	dm_maps("the shmem lab object", ls, PAGE);
	dm_maps("the memfd", mf, PAGE);
	dm_maps_find(ls, &lls);
	dm_maps_find(mf, &lmf);
	dm_claim("lab_shmem_on_same_mount", lls.inode && !strcmp(lls.dev, l[SH_ANON].dev),
		 "the lab object's file is on the same internal mount as /dev/zero (deleted)");
	dm_claim("memfd_on_same_mount",
		 !strncmp(lmf.path, "/memfd:", 7) && ends_with(lmf.path, " (deleted)") &&
		 !strcmp(lmf.dev, l[SH_ANON].dev),
		 "so is the memfd, named /memfd:NAME (deleted)");
	ret = dm_stats(lfd, &b);
	if (ret)
		goto out;
	kids[0] = ls;
	kids[1] = mf;
	kids[2] = NULL;
	if (child_writes_c(kids)) {
		ret = ML_EXIT_FAIL;
		goto out;
	}
	ret = dm_stats(lfd, &a);
	if (ret)
		goto out;
	dm_counters("the shmem lab object", &b, &a);
	dm_byte("the parent", "the shmem lab object", dm_rd(ls));
	dm_byte("the parent", "the memfd", dm_rd(mf));
	dm_claim("lab_shmem_child_write_reaches_parent", dm_rd(ls) == 'C',
		 "the child's write reached the parent through the lab object");
	dm_claim("memfd_child_write_reaches_parent", dm_rd(mf) == 'C',
		 "and through the memfd");
	mf2 = dm_map(PAGE, MAP_SHARED, mfd);
	if (mf2 == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	dm_byte("the parent", "a second mmap() of the memfd", dm_rd(mf2));
	dm_claim("memfd_second_mmap_shares", dm_rd(mf2) == 'C',
		 "a second mmap() of the memfd is the same memory");

	dm_lesson("Shared anonymous memory is a shmem file that no directory holds: each\n"
		  "mmap() makes a new one, named /dev/zero and deleted, and fork() passes\n"
		  "it on.  A memfd or a shmem lab object is the same kind of file with a\n"
		  "descriptor, so any mmap() of it shares it.");
out:
	dm_unmap(mf2, PAGE);
	dm_unmap(mf, PAGE);
	dm_unmap(ls, PAGE);
	dm_unmap(again, PAGE);
	for (int k = 0; k < SH_NR; k++)
		dm_unmap(m[k], PAGE);
	dm_close(mfd);
	dm_close(lfd);
	close(zfd);
	return ret;
}

/* ---------------------------------------------------------- fork-exec */

enum { FE_LAB, FE_PRIV, FE_SHARED, FE_NR };

struct fe_child {
	unsigned char *m[FE_NR];
	int go;			/* read end: wait for its EOF, or -1 */
	int go_w;		/* the parent's write end, closed in the child */
	int in, in_w;		/* exec: stdin of cat, and its write end */
	int status_w;		/* exec: where an exec failure's errno goes */
};

/*
 * The child of "fork-exec": writes the line of its /proc/self/maps for
 * each mapping ("-" for none), waits for the parent if asked, and exits
 * with the byte it reads at the start of the private anonymous mapping
 * when that mapping is still there.
 */
static int fe_report_child(void *arg, int wfd)
{
	struct fe_child *c = arg;
	struct dm_maps_line l;
	char buf[8];
	bool priv;

	if (c->go_w >= 0)
		close(c->go_w);
	for (int k = 0; k < FE_NR; k++) {
		if (dm_maps_find(c->m[k], &l))
			write_all(wfd, l.text);
		else
			write_all(wfd, "-");
		write_all(wfd, "\n");
	}
	priv = dm_maps_find(c->m[FE_PRIV], &l);
	close(wfd);
	while (c->go >= 0 && read(c->go, buf, sizeof(buf)) != 0)
		;
	return priv ? dm_rd(c->m[FE_PRIV]) : 0;
}

/* The child that becomes "cat /proc/self/maps -": exec drops it all. */
static int fe_exec_child(void *arg, int wfd)
{
	struct fe_child *c = arg;
	int err;

	close(c->in_w);
	if (dup2(c->in, STDIN_FILENO) >= 0 && dup2(wfd, STDOUT_FILENO) >= 0)
		execl("/bin/cat", "cat", "/proc/self/maps", "-", (char *)NULL);
	err = errno;
	if (write(c->status_w, &err, sizeof(err)) < 0)
		return 126;
	return 127;
}

/* Compare the child's lines @text with the parent's lines of @c->m. */
static bool fe_same_lines(const struct fe_child *c, const char *text, bool *has)
{
	char line[512];
	struct dm_maps_line l;
	bool same = true;

	for (int k = 0; k < FE_NR; k++) {
		if (!nth_line(text, k, line, sizeof(line)))
			line[0] = 0;
		has[k] = line[0] && strcmp(line, "-");
		if (!dm_maps_find(c->m[k], &l) || strcmp(l.text, line))
			same = false;
	}
	return same;
}

static const char *const fe_label[FE_NR] = {
	"the lab object, MAP_SHARED", "private anonymous", "shared anonymous",
};

/*
 * Fork fe_report_child over @c and read what it sends into @text.  While
 * the child lives, the counters of lab object @lfd go to *@mid (when not
 * NULL), and @c->go_w (when open) is closed to let it exit; once it has,
 * they go to *@a and its exit status to *@status.  0 or an exit code.
 */
static int fe_fork(struct fe_child *c, int lfd, char *text, size_t size,
		   struct mmaplab_stats *mid, struct mmaplab_stats *a, int *status)
{
	int rfd, ret;
	pid_t pid = spawn(fe_report_child, c, &rfd);

	if (pid < 0)
		return ML_EXIT_FAIL;
	slurp(rfd, text, size);
	ret = mid ? dm_stats(lfd, mid) : 0;
	dm_close(c->go_w);
	c->go_w = -1;
	*status = dm_reap(pid);
	if (*status < 0 && !ret)
		ret = ML_EXIT_FAIL;
	if (!ret)
		ret = dm_stats(lfd, a);
	return ret;
}

/* Say the child's lines @text, each after its mapping's label when @labelled. */
static void fe_say_lines(const char *text, bool labelled)
{
	char line[512];

	dm_say("the child's /proc/self/maps:");
	for (int k = 0; k < FE_NR; k++) {
		if (!nth_line(text, k, line, sizeof(line)))
			continue;
		if (labelled)
			dm_say("  %-28s %s", fe_label[k], line);
		else
			dm_say("  %s", line);
	}
}

/* Step "exec": fork, the child execs cat; 0 or an exit code. */
static int fe_exec(struct fe_child *c, int lfd)
{
	struct mmaplab_stats b, a;
	int in[2], st[2], rfd, err = 0, ret = ML_EXIT_OK, shown = 0;
	char text[16384], line[512];
	ssize_t r;
	pid_t pid;
	bool named = false;

	if (pipe2(in, O_CLOEXEC))
		return dm_fail("pipe");
	if (pipe2(st, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return dm_fail("pipe");
	}
	c->in = in[0];
	c->in_w = in[1];
	c->status_w = st[1];
	ret = dm_stats(lfd, &b);
	if (ret)
		goto out;
	pid = spawn(fe_exec_child, c, &rfd);
	close(in[0]);
	close(st[1]);
	in[0] = -1;
	st[1] = -1;
	if (pid < 0) {
		ret = ML_EXIT_FAIL;
		goto out;
	}
	/* The status pipe is close-on-exec: its EOF means the exec is done. */
	do {
		r = read(st[0], &err, sizeof(err));
	} while (r < 0 && errno == EINTR);
	if (r > 0) {
		errno = err;
		dm_fail("exec of /bin/cat");
		close(rfd);
		dm_reap(pid);
		ret = ML_EXIT_FAIL;
		goto out;
	}
	ret = dm_stats(lfd, &a);
	close(in[1]);
	in[1] = -1;
	slurp(rfd, text, sizeof(text));
	if (dm_reap(pid) != 0 && !ret)
		ret = ML_EXIT_FAIL;
	if (ret)
		goto out;
	dm_say("cat runs (the exec is over; it now waits for its stdin to close):");
	dm_counters("the lab object", &b, &a);
	dm_say("the /proc/self/maps of the new program:");
	for (unsigned int i = 0; nth_line(text, i, line, sizeof(line)); i++) {
		if (strstr(line, "/dev/mmaplab") || strstr(line, "/dev/zero"))
			named = true;
		if (shown++ < 12)
			dm_say("  %s", line);
	}
	if (shown > 12)
		dm_say("  ... and %d more lines", shown - 12);
	dm_claim("exec_drops_mappings", shown > 0 && !named,
		 "the new program maps neither /dev/mmaplab nor /dev/zero");
	dm_claim("exec_closes_lab_vma",
		 a.vma_opens == b.vma_opens + 1 && a.vma_closes == b.vma_closes + 1 &&
		 a.vmas_live == b.vmas_live,
		 "fork opened a copy of the lab VMA and exec closed it, the child still running");
out:
	dm_close(in[0]);
	dm_close(in[1]);
	dm_close(st[0]);
	dm_close(st[1]);
	return ret;
}

int demo_fork_exec(void)
{
	struct fe_child c = { .m = { MAP_FAILED, MAP_FAILED, MAP_FAILED },
			      .go = -1, .go_w = -1 };
	struct mmaplab_stats b, mid, a;
	int lfd, ret = ML_EXIT_OK, go[2], status, byte;
	char text[2048];
	bool same, has[FE_NR];

	dm_step("Three mappings",
		"A lab object of one page mapped MAP_SHARED (holding 'L'), a private\n"
		"anonymous page ('P') and a shared anonymous page ('S').");
	lfd = dm_object(1, MMAPLAB_BACKING_PAGES, &ret);
	if (lfd < 0)
		return ret;
	c.m[FE_LAB] = dm_map(PAGE, MAP_SHARED, lfd);
	c.m[FE_PRIV] = dm_map(PAGE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	c.m[FE_SHARED] = dm_map(PAGE, MAP_SHARED | MAP_ANONYMOUS, -1);
	for (int k = 0; k < FE_NR; k++) {
		if (c.m[k] == MAP_FAILED) {
			ret = dm_fail("mmap");
			goto out;
		}
	}
	dm_wr(c.m[FE_LAB], 'L');
	dm_wr(c.m[FE_PRIV], 'P');
	dm_wr(c.m[FE_SHARED], 'S');
	for (int k = 0; k < FE_NR; k++)
		dm_maps(fe_label[k], c.m[k], PAGE);

	dm_step("fork(): the child has every mapping, each of its kind",
		"The child sends the lines of its own /proc/self/maps for the three\n"
		"addresses, then waits until the parent lets it exit.");
	if (pipe2(go, O_CLOEXEC)) {
		ret = dm_fail("pipe");
		goto out;
	}
	c.go = go[0];
	c.go_w = go[1];
	ret = dm_stats(lfd, &b);
	if (!ret)
		ret = fe_fork(&c, lfd, text, sizeof(text), &mid, &a, &status);
	if (ret)
		goto out;
	fe_say_lines(text, false);
	same = fe_same_lines(&c, text, has);
	dm_claim("child_has_same_maps", same,
		 "the child's lines are the parent's, address, kind and file alike");
	dm_say("while the child lives:");
	dm_counters("the lab object", &b, &mid);
	dm_say("after it exited:");
	dm_counters("the lab object", &mid, &a);
	dm_claim("fork_opens_lab_vma", mid.vma_opens == b.vma_opens + 1 &&
		 mid.vmas_live == b.vmas_live + 1,
		 "fork() copied the lab VMA: one ->open, two VMAs live");
	dm_claim("child_exit_closes_lab_vma", a.vma_closes == mid.vma_closes + 1 &&
		 a.vmas_live == b.vmas_live,
		 "the child's exit closed its copy: one ->close");

	dm_step("exec(): the child becomes another program",
		"A child execs \"cat /proc/self/maps -\": cat prints its maps, then\n"
		"waits for its standard input to close.  The old address space went\n"
		"with the exec, every mapping of it.");
	ret = fe_exec(&c, lfd);
	if (ret)
		goto out;

	dm_step("MADV_DONTFORK and MADV_WIPEONFORK",
		"Mark the lab mapping MADV_DONTFORK and the private anonymous page\n"
		"MADV_WIPEONFORK, and fork again.");
	if (madvise(c.m[FE_LAB], PAGE, MADV_DONTFORK) ||
	    madvise(c.m[FE_PRIV], PAGE, MADV_WIPEONFORK)) {
		ret = dm_fail("madvise");
		goto out;
	}
	dm_close(c.go);
	c.go = -1;
	ret = dm_stats(lfd, &b);
	if (!ret)
		ret = fe_fork(&c, lfd, text, sizeof(text), NULL, &a, &byte);
	if (ret)
		goto out;
	fe_say_lines(text, true);
	fe_same_lines(&c, text, has);
	dm_counters("the lab object", &b, &a);
	dm_byte("the child", "the private anonymous page", byte);
	dm_byte("the parent", "the private anonymous page", dm_rd(c.m[FE_PRIV]));
	dm_claim("dontfork_not_inherited", !has[FE_LAB] && has[FE_SHARED],
		 "the child has no lab mapping (and still the shared anonymous one)");
	dm_claim("dontfork_no_vma_open", a.vma_opens == b.vma_opens,
		 "so the module saw no ->open");
	dm_claim("wipeonfork_child_reads_zero", has[FE_PRIV] && byte == 0,
		 "the child has the private page, and it reads 0");
	dm_claim("wipeonfork_parent_keeps", dm_rd(c.m[FE_PRIV]) == 'P',
		 "the parent's page still holds 'P'");

	dm_lesson("fork() gives the child a copy of every mapping, private or shared as\n"
		  "it was, unless MADV_DONTFORK says no; exec() throws the whole address\n"
		  "space away, and the new program starts with only its own mappings.");
out:
	dm_close(c.go);
	dm_close(c.go_w);
	for (int k = 0; k < FE_NR; k++)
		dm_unmap(c.m[k], PAGE);
	close(lfd);
	return ret;
}

/* --------------------------------------------------------- boundaries */

/* mmap() of @len bytes of @fd at @off: the mapping, or NULL and *@err. */
static void *map_at(size_t len, int prot, int flags, int fd, off_t off, int *err)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	*err = p == MAP_FAILED ? errno : 0;
	return p == MAP_FAILED ? NULL : p;
}

/* Read page @i of @p (dm_probe()) and say what came of it: the signal, 0 or -1. */
static int probe_page(const unsigned char *p, size_t i)
{
	int byte, sig = dm_probe(p + i * PAGE, &byte, NULL);

	dm_say("page %zu: %s", i, sig > 0 ? ml_signame(sig) : "read, no signal");
	return sig;
}

static const char *errname(int err)
{
	switch (err) {
	case 0:
		return "succeeds";
	case EINVAL:
		return "EINVAL";
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	default:
		return strerror(err);
	}
}

int demo_boundaries(void)
{
	struct mmaplab_stats b, a;
	unsigned char *p = NULL, *q = NULL, *r = NULL, *s = NULL;
	int lfd, lfd1 = -1, mfd = -1, ffd = -1, ret = ML_EXIT_OK;
	int e_lab, e_memfd, e_lab1, e_memfd1, sig0, sig1, byte;
	struct dm_maps_line l;
	struct stat st;
	bool zeros = true, gone;

	dm_step("The offset must be a multiple of the page size",
		"A lab object and a memfd, two pages each.  Map one page of each at\n"
		"offset 100, then at offset %zu (one page).", PAGE);
	lfd = dm_object(2, MMAPLAB_BACKING_PAGES, &ret);
	if (lfd < 0)
		return ret;
	mfd = dm_memfd("mmaplab-demo", 2 * PAGE, 'F', 0);
	if (mfd < 0) {
		ret = dm_fail("memfd");
		goto out;
	}
	ret = dm_stats(lfd, &b);
	if (ret)
		goto out;
	p = map_at(PAGE, PROT_READ, MAP_SHARED, lfd, 100, &e_lab);
	dm_unmap(p, PAGE);
	p = map_at(PAGE, PROT_READ, MAP_SHARED, mfd, 100, &e_memfd);
	dm_unmap(p, PAGE);
	dm_say("mmap() of the lab object at offset 100: %s", errname(e_lab));
	dm_say("mmap() of the memfd at offset 100: %s", errname(e_memfd));
	p = map_at(PAGE, PROT_READ, MAP_SHARED, lfd, (off_t)PAGE, &e_lab1);
	q = map_at(PAGE, PROT_READ, MAP_SHARED, mfd, (off_t)PAGE, &e_memfd1);
	dm_say("at offset %zu: %s and %s", PAGE, errname(e_lab1), errname(e_memfd1));
	if (p)
		dm_maps("the lab object at offset 1 page", p, PAGE);
	if (q)
		dm_maps("the memfd at offset 1 page", q, PAGE);
	ret = dm_stats(lfd, &a);
	if (ret)
		goto out;
	dm_counters("the lab object", &b, &a);
	dm_claim("unaligned_offset_einval_lab", e_lab == EINVAL,
		 "offset 100 into the lab object: EINVAL");
	dm_claim("unaligned_offset_einval_memfd", e_memfd == EINVAL,
		 "offset 100 into the memfd: EINVAL");
	dm_claim("aligned_offset_ok", !e_lab1 && !e_memfd1,
		 "an offset of one page works for both");
	dm_claim("module_never_asked", a.mmaps == b.mmaps + 1,
		 "the module saw only the mmap() that worked");
	dm_unmap(p, PAGE);
	dm_unmap(q, PAGE);
	p = NULL;
	q = NULL;

	dm_step("The length is rounded up to whole pages",
		"Map 100 bytes of the memfd, MAP_SHARED, then store 'Z' in the last\n"
		"byte of the page (offset %zu), beyond the 100 asked for.", PAGE - 1);
	q = dm_map(100, MAP_SHARED, mfd);
	if (q == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	dm_maps("100 bytes of the memfd", q, 100);
	dm_maps_find(q, &l);
	dm_wr(q + PAGE - 1, 'Z');
	dm_byte("pread()", "the memfd at that offset", dm_file_byte(mfd, (off_t)PAGE - 1));
	dm_claim("length_rounded_up_to_page", l.end - l.start == PAGE,
		 "the VMA is one whole page");
	dm_claim("whole_page_usable", dm_file_byte(mfd, (off_t)PAGE - 1) == 'Z',
		 "the store past byte 100 worked and reached the file");
	munmap(q, 100);
	gone = !dm_maps_find(q, &l);
	q = NULL;
	dm_claim("munmap_rounds_up_too", gone,
		 "munmap() of 100 bytes removed the whole page");

	dm_step("Past the end of a lab object: SIGBUS",
		"A lab object of one page, mapped two pages long (mmap() does not check\n"
		"the size).  Read page 0, then page 1.");
	lfd1 = dm_object(1, MMAPLAB_BACKING_PAGES, &ret);
	if (lfd1 < 0)
		goto out;
	r = dm_map(2 * PAGE, MAP_SHARED, lfd1);
	if (r == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	dm_maps("the two-page mapping", r, 2 * PAGE);
	ret = dm_stats(lfd1, &b);
	if (ret)
		goto out;
	sig0 = probe_page(r, 0);
	sig1 = probe_page(r, 1);
	ret = sig0 < 0 || sig1 < 0 ? ML_EXIT_FAIL : dm_stats(lfd1, &a);
	if (ret)
		goto out;
	dm_counters("the object", &b, &a);
	ret = dm_grid("the two-page mapping", r, 2 * PAGE, NULL);
	if (ret)
		goto out;
	dm_claim("past_object_end_sigbus", sig0 == 0 && sig1 == SIGBUS,
		 "page 0 reads, page 1 raises SIGBUS");
	dm_claim("sigbus_counted", a.faults_sigbus == b.faults_sigbus + 1,
		 "the module answered that fault with SIGBUS (faults_sigbus)");

	dm_step("A file of 100 bytes",
		"A memfd holding 100 bytes ('F' first), mapped two pages long,\n"
		"MAP_SHARED.  Read bytes 100 to %zu, then page 1; store 'X' at byte\n"
		"200 and look at the file's size.", PAGE - 1);
	ffd = dm_memfd("mmaplab-demo-100", 100, 'F', 0);
	if (ffd < 0) {
		ret = dm_fail("memfd");
		goto out;
	}
	s = dm_map(2 * PAGE, MAP_SHARED, ffd);
	if (s == MAP_FAILED) {
		ret = dm_fail("mmap");
		goto out;
	}
	dm_maps("the memfd", s, 2 * PAGE);
	sig0 = dm_probe(s, &byte, NULL);
	dm_byte("the process", "byte 0", byte);
	for (size_t i = 100; sig0 == 0 && i < PAGE; i++)
		zeros = zeros && dm_rd(s + i) == 0;
	dm_say("bytes 100 to %zu: %s", PAGE - 1, zeros ? "all 0" : "not all 0");
	sig1 = probe_page(s, 1);
	if (sig0 < 0 || sig1 < 0) {
		ret = ML_EXIT_FAIL;
		goto out;
	}
	dm_wr(s + 200, 'X');
	if (fstat(ffd, &st)) {
		ret = dm_fail("fstat");
		goto out;
	}
	dm_say("after the store at byte 200 the file still has %lld bytes",
	       (long long)st.st_size);
	ret = dm_grid("the memfd", s, 2 * PAGE, NULL);
	if (ret)
		goto out;
	dm_claim("file_tail_reads_zero", sig0 == 0 && zeros,
		 "the rest of the file's last page is mapped and reads 0");
	dm_claim("past_file_end_sigbus", sig1 == SIGBUS,
		 "the page after it raises SIGBUS");
	dm_claim("tail_write_not_in_file", st.st_size == 100 && dm_file_byte(ffd, 200) == -1,
		 "a store in the tail does not grow the file");

	dm_lesson("mmap() works in whole pages: the offset must be a multiple of the page\n"
		  "size and the length is rounded up, so a file's last page is mapped\n"
		  "whole (its tail reads 0 and is not the file); a page that lies wholly\n"
		  "past the end of the file raises SIGBUS.");
out:
	dm_unmap(s, 2 * PAGE);
	dm_unmap(r, 2 * PAGE);
	dm_unmap(q, PAGE);
	dm_unmap(p, PAGE);
	dm_close(ffd);
	dm_close(mfd);
	dm_close(lfd1);
	close(lfd);
	return ret;
}

/* ---------------------------------------------------------- open-mode */

struct vma_arg {
	uint64_t addr;
	struct ml_walk w;
};

static int vma_walk(int dev, const struct ml_target *t, void *arg)
{
	struct vma_arg *v = arg;

	return ml_walk(dev, t, v->addr, v->addr + PAGE, ML_WALK_NO_PAGES, &v->w);
}

/*
 * The MMAPLAB_VM_* flags of the VMA at @addr (MMAPLAB_IOC_INSPECT) into
 * *@flags, and their smaps names into @buf; 0 or an exit code.
 */
static int vma_flags(const void *addr, uint64_t *flags, char *buf, size_t size)
{
	static const struct { uint64_t bit; const char *name; } names[] = {
		{ MMAPLAB_VM_READ, "rd" }, { MMAPLAB_VM_WRITE, "wr" },
		{ MMAPLAB_VM_SHARED, "sh" }, { MMAPLAB_VM_MAYREAD, "mr" },
		{ MMAPLAB_VM_MAYWRITE, "mw" }, { MMAPLAB_VM_MAYEXEC, "me" },
		{ MMAPLAB_VM_MAYSHARE, "ms" },
	};
	struct vma_arg v = { .addr = (uintptr_t)addr };
	size_t n = 0;
	int ret;

	*flags = 0;
	buf[0] = 0;
	ret = ml_with_process(0, vma_walk, &v);
	if (!ret && v.w.nr_vmas)
		*flags = v.w.vmas[0].rec.vm_flags;
	ml_walk_free(&v.w);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if ((*flags & names[i].bit) && n + 4 < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " " : "",
					      names[i].name);
	return ret;
}

/* A lab object of one page opened with @mode (not O_RDWR); -1 and *@ret. */
static int object_opened(int mode, int *ret)
{
	int fd = open(ml_opt.device, mode | O_CLOEXEC), err;

	if (fd < 0) {
		*ret = dm_fail(ml_opt.device);
		return -1;
	}
	err = ml_configure(fd, 1, MMAPLAB_BACKING_PAGES, 0);
	if (err) {
		*ret = ml_ioctl_failed(fd, MMAPLAB_IOC_CONFIGURE, err, NULL);
		close(fd);
		return -1;
	}
	return fd;
}

/* What open-mode tries on one read-only descriptor, and what it saw. */
struct om_result {
	int e_shared_rw;	/* mmap(rw, MAP_SHARED) */
	int e_private_rw;	/* mmap(rw, MAP_PRIVATE) */
	int e_shared_r;		/* mmap(r, MAP_SHARED) */
	int e_mprotect;		/* mprotect(rw) of that one */
	int wrote;		/* the byte read back after a store in the private one */
	uint64_t vm_flags;	/* of the read-only shared mapping */
};

/*
 * On the read-only descriptor @fd: a shared writable mapping, a private
 * writable one (then a store of 'P'), a shared read-only one made writable
 * with mprotect().  Shows what happened under @what; 0 or an exit code.
 */
static int om_try(int fd, const char *what, struct om_result *o)
{
	unsigned char *p, *q;
	char label[96], flags[64];
	int ret;

	p = map_at(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, &o->e_shared_rw);
	dm_unmap(p, PAGE);
	dm_say("mmap(PROT_READ|PROT_WRITE, MAP_SHARED): %s", errname(o->e_shared_rw));
	p = map_at(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0, &o->e_private_rw);
	dm_say("mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE): %s", errname(o->e_private_rw));
	o->wrote = -1;
	if (p) {
		dm_wr(p, 'P');
		o->wrote = dm_rd(p);
		snprintf(label, sizeof(label), "%s, private, after a store", what);
		ret = dm_grid(label, p, PAGE, NULL);
		dm_unmap(p, PAGE);
		if (ret)
			return ret;
	}
	q = map_at(PAGE, PROT_READ, MAP_SHARED, fd, 0, &o->e_shared_r);
	dm_say("mmap(PROT_READ, MAP_SHARED): %s", errname(o->e_shared_r));
	o->e_mprotect = -1;
	if (q) {
		snprintf(label, sizeof(label), "%s, shared, read-only", what);
		dm_maps(label, q, PAGE);
		ret = vma_flags(q, &o->vm_flags, flags, sizeof(flags));
		if (ret) {
			dm_unmap(q, PAGE);
			return ret;
		}
		dm_say("its VMA flags (as smaps' VmFlags): %s", flags);
		dm_say("ms (MAP_SHARED, the 's' of maps) but neither sh nor mw: the kernel\n"
		       "took away, for good, the right to write to the file through it.");
		o->e_mprotect = mprotect(q, PAGE, PROT_READ | PROT_WRITE) ? errno : 0;
		dm_say("mprotect(PROT_READ|PROT_WRITE) of it: %s", errname(o->e_mprotect));
		dm_unmap(q, PAGE);
	}
	return 0;
}

int demo_open_mode(void)
{
	struct mmaplab_stats b, a;
	struct om_result o;
	unsigned char *q = NULL;
	int mfd, ro = -1, wo = -1, lro = -1, lwo = -1, ret = ML_EXIT_OK;
	int e_rw, e_mp, e_wo_sh, e_wo_pr, e_lwo_sh, e_lwo_pr;
	char path[64], flags[64];
	uint64_t rw_flags;

	dm_step("A memfd, reopened read-only",
		"A memfd of one page holding 'F'; open /proc/self/fd/N again with\n"
		"O_RDONLY and map that descriptor three ways.");
	mfd = dm_memfd("mmaplab-demo", PAGE, 'F', 0);
	if (mfd < 0)
		return dm_fail("memfd");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	if (ro < 0) {
		ret = dm_fail(path);
		goto out;
	}
	ret = om_try(ro, "the memfd", &o);
	if (ret)
		goto out;
	dm_byte("pread()", "the memfd", dm_file_byte(mfd, 0));
	dm_claim("rdonly_shared_writable_eacces", o.e_shared_rw == EACCES,
		 "a shared writable mapping of a read-only descriptor: EACCES");
	dm_claim("rdonly_private_writable_ok",
		 !o.e_private_rw && o.wrote == 'P' && dm_file_byte(mfd, 0) == 'F',
		 "a private writable one works: the store lands in a copy, the file keeps 'F'");
	dm_claim("rdonly_shared_no_maywrite",
		 !o.e_shared_r && !(o.vm_flags & MMAPLAB_VM_MAYWRITE),
		 "a shared read-only mapping of it may never write (no mw)");
	dm_claim("rdonly_shared_mprotect_eacces", o.e_mprotect == EACCES,
		 "so mprotect(PROT_WRITE) on it fails with EACCES");

	dm_step("The same through the read-write descriptor",
		"Map the memfd's own (read-write) descriptor shared and read-only, then\n"
		"mprotect() it writable.");
	q = map_at(PAGE, PROT_READ, MAP_SHARED, mfd, 0, &e_rw);
	if (!q) {
		errno = e_rw;
		ret = dm_fail("mmap");
		goto out;
	}
	ret = vma_flags(q, &rw_flags, flags, sizeof(flags));
	if (ret)
		goto out;
	dm_say("its VMA flags: %s", flags);
	e_mp = mprotect(q, PAGE, PROT_READ | PROT_WRITE) ? errno : 0;
	dm_say("mprotect(PROT_READ|PROT_WRITE): %s", errname(e_mp));
	dm_claim("rdwr_shared_mprotect_ok", !e_mp && (rw_flags & MMAPLAB_VM_MAYWRITE),
		 "with a read-write descriptor the same mprotect() succeeds");

	dm_step("A lab object opened read-only",
		"The module lets a read-only open configure its object (an ioctl, not a\n"
		"write).  The same three mappings.");
	lro = object_opened(O_RDONLY, &ret);
	if (lro < 0)
		goto out;
	ret = dm_stats(lro, &b);
	if (ret)
		goto out;
	ret = om_try(lro, "the lab object", &o);
	if (ret)
		goto out;
	ret = dm_stats(lro, &a);
	if (ret)
		goto out;
	dm_counters("the object", &b, &a);
	dm_claim("lab_rdonly_shared_writable_eacces", o.e_shared_rw == EACCES,
		 "a shared writable mapping of the read-only lab object: EACCES");
	dm_claim("lab_rdonly_private_writable_ok",
		 !o.e_private_rw && o.wrote == 'P' && a.faults_cow == b.faults_cow + 1,
		 "a private writable one works (one copy-on-write fault)");
	dm_claim("lab_rdonly_shared_mprotect_eacces", o.e_mprotect == EACCES,
		 "mprotect(PROT_WRITE) of the shared read-only one: EACCES");
	dm_claim("lab_refused_before_module", a.mmaps == b.mmaps + 2,
		 "the module saw only the two mmap() calls that worked");

	dm_step("Write-only descriptors",
		"The memfd reopened O_WRONLY and a lab object opened O_WRONLY: map each\n"
		"PROT_WRITE, shared and private.");
	wo = open(path, O_WRONLY | O_CLOEXEC);
	if (wo < 0) {
		ret = dm_fail(path);
		goto out;
	}
	lwo = object_opened(O_WRONLY, &ret);
	if (lwo < 0)
		goto out;
	dm_unmap(map_at(PAGE, PROT_WRITE, MAP_SHARED, wo, 0, &e_wo_sh), PAGE);
	dm_unmap(map_at(PAGE, PROT_WRITE, MAP_PRIVATE, wo, 0, &e_wo_pr), PAGE);
	dm_unmap(map_at(PAGE, PROT_WRITE, MAP_SHARED, lwo, 0, &e_lwo_sh), PAGE);
	dm_unmap(map_at(PAGE, PROT_WRITE, MAP_PRIVATE, lwo, 0, &e_lwo_pr), PAGE);
	dm_say("the memfd: %s shared, %s private", errname(e_wo_sh), errname(e_wo_pr));
	dm_say("the lab object: %s shared, %s private", errname(e_lwo_sh), errname(e_lwo_pr));
	dm_claim("wronly_memfd_mmap_eacces", e_wo_sh == EACCES && e_wo_pr == EACCES,
		 "a write-only memfd cannot be mapped at all");
	dm_claim("wronly_lab_mmap_eacces", e_lwo_sh == EACCES && e_lwo_pr == EACCES,
		 "nor can a write-only lab object");

	dm_lesson("mmap() checks the protection against the descriptor's open mode: every\n"
		  "mapping needs read access, a shared writable one write access too, and a\n"
		  "shared mapping of a read-only descriptor can never become writable.  A\n"
		  "private mapping may always be written: its stores never reach the file.");
out:
	dm_unmap(q, PAGE);
	dm_close(lwo);
	dm_close(lro);
	dm_close(wo);
	dm_close(ro);
	close(mfd);
	return ret;
}
