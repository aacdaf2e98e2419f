/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mapping.h - a mapping of the device, as the process that holds it sees
 * it (mapping.c): the options that shape it (--map, --prot, --touch) and
 * their names, accesses that survive the SIGBUS or SIGSEGV they raise,
 * accesses counted by the module's callbacks.  Holding a mapping for a
 * while is hold.c's (remap.h).  Nothing here opens the device or prints.
 */
#ifndef MMAPLAB_MAPPING_H
#define MMAPLAB_MAPPING_H

#include <stddef.h>
#include <stdint.h>

/* What a write stores at the start of a page: the parent's, the child's. */
#define ML_PARENT_PATTERN	'P'
#define ML_CHILD_PATTERN	'C'

/* How a page is touched. */
enum ml_touch {
	ML_TOUCH_NONE,
	ML_TOUCH_READ,
	ML_TOUCH_WRITE,
};

/*
 * Option values of command @cmd, as ml_parse_u64() (lib.h): 0, or a usage
 * error reported and ML_EXIT_USAGE.
 *
 * ml_parse_touch: "none", "read" or "write", for option @opt;
 * ml_parse_map:   "private" or "shared" (--map), MAP_PRIVATE or MAP_SHARED;
 * ml_parse_prot:  "none" or letters of r, w, x (--prot), PROT_*.
 */
int ml_parse_touch(const char *cmd, const char *opt, const char *arg,
		   enum ml_touch *touch);
int ml_parse_map(const char *cmd, const char *arg, int *map);
int ml_parse_prot(const char *cmd, const char *arg, int *prot);

/* "none", "read", "write". */
const char *ml_touch_name(enum ml_touch touch);
/* "shared" or "private". */
const char *ml_map_name(int map);
/* "none", or "rwx" less the missing letters, in @buf. */
const char *ml_prot_name(int prot, char buf[4]);

/*
 * Catch SIGBUS and SIGSEGV raised by accesses to [@addr, @addr + @len)
 * made through ml_guarded_access(); any other one still kills the process.
 * 0 or a negative errno of sigaction().
 */
int ml_guard_install(void *addr, size_t len);

/*
 * Touch byte 0 at @p: ML_TOUCH_READ reads it, ML_TOUCH_WRITE stores
 * @pattern and reads it back (no further fault: the page is mapped by
 * then).  Returns the signal the access raised or 0; *sees gets the byte
 * read, or -1.
 */
int ml_guarded_access(unsigned char *p, enum ml_touch how,
		      unsigned char pattern, int *sees);

/*
 * The si_code of the signal that the last ml_guarded_access() to raise
 * one raised (SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR, ...).
 */
int ml_guard_code(void);

/*
 * Module callbacks that accesses caused: the difference of two
 * MMAPLAB_IOC_STATS snapshots taken around them.
 */
struct ml_calls {
	uint64_t faults;
	uint64_t faults_sigbus;
	uint64_t faults_sigsegv;
	uint64_t map_pages;
	uint64_t map_pages_mapped;
	uint64_t page_mkwrites;
	uint64_t pfn_mkwrites;
};

/*
 * ml_guarded_access() of @p, with the module callbacks it caused on the
 * object of @fd added to @calls.  Returns 0 or the negative errno of
 * MMAPLAB_IOC_STATS.
 */
int ml_counted_access(int fd, unsigned char *p, enum ml_touch how,
		      unsigned char pattern, int *sig, int *sees,
		      struct ml_calls *calls);

#endif /* MMAPLAB_MAPPING_H */
