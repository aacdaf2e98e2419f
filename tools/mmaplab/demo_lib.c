// SPDX-License-Identifier: GPL-2.0
/*
 * demo_lib.c - what the scenarios of several demos do alike (demo.h):
 * mapping, filling and reading memory and files, memfds, a read that
 * survives the signal it raises, the lines of /proc/self/maps and the
 * VmFlags of /proc/self/smaps.  The talking is demo.c's; nothing here
 * says anything but why it failed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "demo.h"
#include "mapping.h"

/* ------------------------------------------------------------- memory */

void *dm_map_at(void *addr, size_t len, int flags, int fd)
{
	return mmap(addr, len, PROT_READ | PROT_WRITE, flags, fd, 0);
}

void *dm_map(size_t len, int flags, int fd)
{
	return dm_map_at(NULL, len, flags, fd);
}

void dm_unmap(void *p, size_t len)
{
	if (p && p != MAP_FAILED)
		munmap(p, len);
}

void dm_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int dm_fill_object(int fd, size_t pages, unsigned char c, unsigned char inc)
{
	unsigned char *v = dm_map(pages * PAGE, MAP_SHARED, fd);

	if (v == MAP_FAILED)
		return dm_fail("mmap of the object to fill it");
	for (size_t i = 0; i < pages; i++)
		dm_wr(v + i * PAGE, c + i * inc);
	munmap(v, pages * PAGE);
	return 0;
}

int dm_memfd(const char *name, size_t len, unsigned char c, unsigned char inc)
{
	int fd = memfd_create(name, MFD_CLOEXEC), err;

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)len))
		goto fail;
	for (size_t i = 0; c && i * PAGE < len; i++) {
		unsigned char b = c + i * inc;

		if (pwrite(fd, &b, 1, (off_t)(i * PAGE)) != 1)
			goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int dm_file_byte(int fd, off_t off)
{
	unsigned char b;

	return pread(fd, &b, 1, off) == 1 ? b : -1;
}

int dm_probe(const void *p, int *byte, int *code)
{
	struct sigaction old_bus, old_segv;
	int err, sig;

	*byte = -1;
	if (code)
		*code = 0;
	if (sigaction(SIGBUS, NULL, &old_bus) || sigaction(SIGSEGV, NULL, &old_segv)) {
		dm_fail("sigaction");
		return -1;
	}
	err = ml_guard_install((void *)p, 1);
	if (err) {
		errno = -err;
		dm_fail("sigaction");
		sig = -1;
		goto out;
	}
	sig = ml_guarded_access((unsigned char *)p, ML_TOUCH_READ, 0, byte);
	if (sig && code)
		*code = ml_guard_code();
out:
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}

/* -------------------------------------------------------- /proc files */

static bool maps_parse(char *text, struct dm_maps_line *l)
{
	unsigned long s, e;
	int n = 0;

	memset(l, 0, sizeof(*l));
	text[strcspn(text, "\n")] = 0;
	if (sscanf(text, "%lx-%lx %7s %*x %15s %lu %n", &s, &e, l->perms, l->dev,
		   &l->inode, &n) < 5)
		return false;
	l->start = s;
	l->end = e;
	snprintf(l->path, sizeof(l->path), "%s", text + n);
	snprintf(l->text, sizeof(l->text), "%s", text);
	return true;
}

bool dm_maps_each(bool (*fn)(const struct dm_maps_line *l, void *arg),
		  void *arg)
{
	FILE *f = fopen("/proc/self/maps", "re");
	struct dm_maps_line l;
	char line[512];
	bool stop = false;

	while (f && !stop && fgets(line, sizeof(line), f))
		if (maps_parse(line, &l))
			stop = fn(&l, arg);
	if (f)
		fclose(f);
	return stop;
}

struct maps_find {
	uintptr_t addr;
	struct dm_maps_line *l;
};

static bool maps_holds(const struct dm_maps_line *l, void *arg)
{
	struct maps_find *f = arg;

	if (f->addr < l->start || f->addr >= l->end)
		return false;
	*f->l = *l;
	return true;
}

bool dm_maps_find(const void *addr, struct dm_maps_line *l)
{
	struct maps_find f = { (uintptr_t)addr, l };

	if (dm_maps_each(maps_holds, &f))
		return true;
	memset(l, 0, sizeof(*l));
	return false;
}

struct maps_count {
	uintptr_t start, end;
	int n;
};

static bool maps_overlaps(const struct dm_maps_line *l, void *arg)
{
	struct maps_count *c = arg;

	if (l->end > c->start && l->start < c->end)
		c->n++;
	return false;
}

int dm_nr_vmas(const void *addr, size_t len)
{
	struct maps_count c = { (uintptr_t)addr, (uintptr_t)addr + len, 0 };

	dm_maps_each(maps_overlaps, &c);
	return c.n;
}

const char *dm_vmflags(const void *addr, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	uintptr_t a = (uintptr_t)addr;
	const char *found = NULL;
	bool in = false;
	char line[512];

	buf[0] = 0;
	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		/* a VMA's heading; the fields' names never read as two numbers */
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			in = a >= s && a < e;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(buf, size, "%s", line + 8 + strspn(line + 8, " \t"));
			buf[strcspn(buf, "\n")] = 0;
			found = buf;
		}
	}
	if (f)
		fclose(f);
	return found;
}

bool dm_has_vmflag(const char *flags, const char *fl)
{
	for (const char *p = flags; (p = strstr(p, fl)); p += 2)
		if ((p == flags || p[-1] == ' ') && (p[2] == ' ' || !p[2]))
			return true;
	return false;
}

const char *dm_kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		strcpy(u.release, "?");
	return u.release;
}
