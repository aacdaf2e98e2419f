/* SPDX-License-Identifier: GPL-2.0 */
/*
 * demo.h - the narrated demos of "mmaplab demo" (demo.c owns the command,
 * the list of demos and the way a demo talks; one file per group of
 * demos, e.g. demo_kinds.c, owns their scenarios; demo_lib.c what these
 * scenarios do alike).
 *
 * A demo is a function that sets up real mappings and, through the dm_*()
 * calls below, says what it is about to do (dm_step), shows what the
 * kernel did (dm_byte, dm_counters, dm_grid, dm_maps), states the facts
 * its lesson rests on (dm_claim) and ends with the lesson (dm_lesson).
 * The same calls produce the human narration or one JSON object, so a
 * demo never asks which.  Children of a demo must not call them.
 */
#ifndef MMAPLAB_DEMO_H
#define MMAPLAB_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib.h"

struct demo {
	const char *name;
	const char *summary;	/* one line for the list */
	int (*run)(void);	/* an ML_EXIT_* code */
};

/* The demos of demo_kinds.c (topics 1 to 4 of the course). */
int demo_kinds(void);
int demo_cow(void);
int demo_private_update(void);
int demo_mmio(void);

/* demo_share.c: topics 5, 6, 14 and 15. */
int demo_shmem(void);
int demo_fork_exec(void);
int demo_boundaries(void);
int demo_open_mode(void);

/* demo_faults.c: topics 7 to 10. */
int demo_guards(void);
int demo_fault_kinds(void);
int demo_mkwrite(void);
int demo_split_merge(void);

/* demo_remap.c: topics 11 to 13. */
int demo_madvise(void);
int demo_mremap(void);
int demo_overcommit(void);

/* demo_sync.c: topic 16. */
int demo_map_sync(void);

/* Begin a step: pause (--pause, on a terminal), title, what comes next. */
void dm_step(const char *title, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* More narration inside the current step. */
void dm_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "@who reads @where: 'X'": a byte a process saw (-1: none). */
void dm_byte(const char *who, const char *where, int byte);

/*
 * The counters of lab object @label that changed from @before to @after
 * (with --all, every counter, the changed ones highlighted).
 */
void dm_counters(const char *label, const struct mmaplab_stats *before,
		 const struct mmaplab_stats *after);

/*
 * The page-table picture of [@addr, @addr + @len) in this process, as
 * "inspect --grid" draws it; *@cells (when not NULL) gets the cell
 * characters, one per page, in a buffer the caller frees.  Returns 0 or
 * an exit code (explained on stderr).
 */
int dm_grid(const char *label, const void *addr, size_t len, char **cells);

/*
 * dm_grid(), and whether the cells are exactly @want ('?' in @want: any
 * cell; @want NULL: never) in *@is.  Returns 0 or an exit code.
 */
int dm_grid_is(const char *label, const void *addr, size_t len,
	       const char *want, bool *is);

/* The lines of /proc/self/maps that overlap [@addr, @addr + @len). */
void dm_maps(const char *label, const void *addr, size_t len);

/* A key fact of the lesson, as observed: JSON "claims": {@name: @val}. */
void dm_claim(const char *name, bool val, const char *text);

/*
 * A key fact of the lesson that could not be observed here, and @why (the
 * kernel lacks the feature, the machine lacks the device): JSON "skipped":
 * {@name: @why}.  The test of the demo skips that claim with the reason.
 */
void dm_skip(const char *name, const char *text, const char *why);

/* The lesson, in one or two sentences. */
void dm_lesson(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A failed system call @what: explained on stderr; returns ML_EXIT_FAIL. */
int dm_fail(const char *what);

/*
 * A new lab object of @pages pages with backing @backing: its fd, or -1
 * (explained on stderr) and *@ret set to the exit code.
 */
int dm_object(uint64_t pages, uint32_t backing, int *ret);

/* The same with the MMAPLAB_CONFIG_* @flags. */
int dm_object_flags(uint64_t pages, uint32_t backing, uint32_t flags, int *ret);

/* MMAPLAB_IOC_STATS of @fd into @st; 0 or an exit code (explained). */
int dm_stats(int fd, struct mmaplab_stats *st);

/*
 * Run @fn(@arg) in a child process (stdout flushed first) and wait for it:
 * the child's exit status, or -1 (explained on stderr).
 */
int dm_child(int (*fn)(void *arg), void *arg);

/* Wait for child @pid: its exit status, or -1 (explained on stderr). */
int dm_reap(pid_t pid);

/*
 * What the scenarios of several demos do alike (demo_lib.c): touching,
 * mapping and filling memory, memfds, surviving a signal, reading
 * /proc/self/maps and smaps.  None of it talks, but to explain a failure
 * on stderr, so a demo's children may use it too.
 */

/* The size of a page. */
#define PAGE	((size_t)sysconf(_SC_PAGESIZE))

/* One read of the byte at @p, never merged or dropped by the compiler. */
static inline int dm_rd(const void *p)
{
	return READ_ONCE(*(const unsigned char *)p);
}

/* One store of @c at @p, the same way. */
static inline void dm_wr(void *p, unsigned char c)
{
	WRITE_ONCE(*(unsigned char *)p, c);
}

/*
 * mmap() of @len bytes of @fd (-1: none) from offset 0, PROT_READ |
 * PROT_WRITE, with @flags: the mapping or MAP_FAILED.  dm_map_at() gives
 * address @addr, a hint or, with MAP_FIXED in @flags, the place.
 */
void *dm_map(size_t len, int flags, int fd);
void *dm_map_at(void *addr, size_t len, int flags, int fd);

/* munmap() of @p, unless it is NULL or MAP_FAILED. */
void dm_unmap(void *p, size_t len);

/* close() of @fd, unless it is negative. */
void dm_close(int fd);

/*
 * Store @c + i * @inc at the start of page i of lab object @fd, for its
 * first @pages pages, through a shared mapping made for that and unmapped
 * again: 0, or an exit code (explained on stderr).
 */
int dm_fill_object(int fd, size_t pages, unsigned char c, unsigned char inc);

/*
 * A memfd named @name (close-on-exec) of @len bytes, each of its pages
 * starting with @c + i * @inc (page i), or all holes when @c is 0: its
 * fd, or -1 (errno set).
 */
int dm_memfd(const char *name, size_t len, unsigned char c, unsigned char inc);

/* The byte at @off of @fd, read with pread(): -1 on failure or past EOF. */
int dm_file_byte(int fd, off_t off);

/*
 * Read the byte at @p, surviving the SIGSEGV or SIGBUS it may raise (the
 * guarded access of mapping.h; the signals' actions are put back after):
 * the signal, 0 when the read went through, or -1 (explained on stderr).
 * *@byte gets the byte or -1, *@code (when not NULL) the signal's si_code
 * or 0.
 */
int dm_probe(const void *p, int *byte, int *code);

/* One line of /proc/self/maps. */
struct dm_maps_line {
	uintptr_t start, end;
	unsigned long inode;
	char perms[8];
	char dev[16];
	char path[256];		/* "" for none */
	char text[512];		/* the whole line, without its newline */
};

/*
 * Call @fn(line, @arg) for each line of /proc/self/maps until it returns
 * true; returns true when it did.
 */
bool dm_maps_each(bool (*fn)(const struct dm_maps_line *l, void *arg),
		  void *arg);

/* The line of the VMA that holds @addr into *@l; false (*@l zeroed) if none. */
bool dm_maps_find(const void *addr, struct dm_maps_line *l);

/* The number of VMAs (lines of /proc/self/maps) that overlap [@addr, @addr + @len). */
int dm_nr_vmas(const void *addr, size_t len);

/*
 * The VmFlags of the VMA that holds @addr, as /proc/self/smaps has them
 * (the flags each followed by a blank), in @buf: @buf, or NULL ("" in
 * @buf) when there is no such VMA.
 */
const char *dm_vmflags(const void *addr, char *buf, size_t size);

/* Does the VmFlags list @flags hold the two-letter flag @fl ("rr")? */
bool dm_has_vmflag(const char *flags, const char *fl);

/* The release of the running kernel (uname), "?" if unknown. */
const char *dm_kernel_release(void);

#endif /* MMAPLAB_DEMO_H */
