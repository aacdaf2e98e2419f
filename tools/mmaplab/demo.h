/* SPDX-License-Identifier: GPL-2.0 */
/*
 * demo.h - the narrated demos of "mmaplab demo" (demo.c owns the command,
 * the list of demos and the way a demo talks; one file per group of
 * demos, e.g. demo_kinds.c, owns their scenarios).
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

/* MMAPLAB_IOC_STATS of @fd into @st; 0 or an exit code (explained). */
int dm_stats(int fd, struct mmaplab_stats *st);

/*
 * Run @fn(@arg) in a child process (stdout flushed first) and wait for it:
 * the child's exit status, or -1 (explained on stderr).
 */
int dm_child(int (*fn)(void *arg), void *arg);

#endif /* MMAPLAB_DEMO_H */
