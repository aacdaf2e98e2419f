// SPDX-License-Identifier: GPL-2.0
/*
 * mapping.c - a mapping of the device, as the process that holds it sees
 * it (see mapping.h): its options and names, guarded and counted
 * accesses.
 *
 * Every access goes through ml_guarded_access(), which turns a SIGBUS or
 * SIGSEGV raised by that access into a result instead of a crash, so that
 * a touch past the object's end or on a guard page can be shown.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "lib.h"
#include "mapping.h"

/* ------------------------------------------------------------- options */

static const char *const touch_names[] = {
	[ML_TOUCH_NONE]		= "none",
	[ML_TOUCH_READ]		= "read",
	[ML_TOUCH_WRITE]	= "write",
};

int ml_parse_touch(const char *cmd, const char *opt, const char *arg,
		   enum ml_touch *touch)
{
	for (size_t i = 0; i < ARRAY_SIZE(touch_names); i++) {
		if (!strcmp(arg, touch_names[i])) {
			*touch = i;
			return 0;
		}
	}
	return ml_usage_error(cmd, "invalid %s value '%s' (expected none, read or write)",
			      opt, arg);
}

const char *ml_touch_name(enum ml_touch touch)
{
	return touch_names[touch];
}

int ml_parse_map(const char *cmd, const char *arg, int *map)
{
	if (!strcmp(arg, "shared"))
		*map = MAP_SHARED;
	else if (!strcmp(arg, "private"))
		*map = MAP_PRIVATE;
	else
		return ml_usage_error(cmd, "invalid --map value '%s' (expected private or shared)",
				      arg);
	return 0;
}

const char *ml_map_name(int map)
{
	return map == MAP_SHARED ? "shared" : "private";
}

int ml_parse_prot(const char *cmd, const char *arg, int *prot)
{
	int p = 0;

	if (!strcmp(arg, "none")) {
		*prot = PROT_NONE;
		return 0;
	}
	if (!arg[0])
		goto bad;
	for (const char *s = arg; *s; s++) {
		int bit;

		switch (*s) {
		case 'r':
			bit = PROT_READ;
			break;
		case 'w':
			bit = PROT_WRITE;
			break;
		case 'x':
			bit = PROT_EXEC;
			break;
		default:
			goto bad;
		}
		if (p & bit)
			goto bad;
		p |= bit;
	}
	*prot = p;
	return 0;
bad:
	return ml_usage_error(cmd, "invalid --prot value '%s' (expected none, or letters among r, w, x, each at most once)",
			      arg);
}

const char *ml_prot_name(int prot, char buf[4])
{
	char *s = buf;

	if (prot == PROT_NONE)
		return "none";
	if (prot & PROT_READ)
		*s++ = 'r';
	if (prot & PROT_WRITE)
		*s++ = 'w';
	if (prot & PROT_EXEC)
		*s++ = 'x';
	*s = '\0';
	return buf;
}

/* ------------------------------------------------------ guarded access */

static sigjmp_buf guard_jmp;
static sig_atomic_t guard_armed;
static sig_atomic_t guard_code;
static uintptr_t guard_lo, guard_hi;

static void guard_handler(int sig, siginfo_t *si, void *ucontext)
{
	uintptr_t addr = (uintptr_t)si->si_addr;
	struct sigaction dfl;

	(void)ucontext;
	if (READ_ONCE(guard_armed) && addr >= guard_lo && addr < guard_hi) {
		WRITE_ONCE(guard_armed, 0);
		WRITE_ONCE(guard_code, si->si_code);
		siglongjmp(guard_jmp, sig);
	}
	/*
	 * Not one of our accesses: a real bug.  Restore the default action;
	 * the faulting instruction runs again and the process dies as usual.
	 */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
}

int ml_guard_install(void *addr, size_t len)
{
	struct sigaction sa;

	guard_lo = (uintptr_t)addr;
	guard_hi = guard_lo + len;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL))
		return -errno;
	return 0;
}

int ml_guarded_access(unsigned char *p, enum ml_touch how,
		      unsigned char pattern, int *sees)
{
	int sig;

	*sees = -1;
	if (how == ML_TOUCH_NONE)
		return 0;
	sig = sigsetjmp(guard_jmp, 1);
	if (sig)
		return sig;
	WRITE_ONCE(guard_armed, 1);
	if (how == ML_TOUCH_WRITE)
		WRITE_ONCE(*p, pattern);
	*sees = READ_ONCE(*p);
	WRITE_ONCE(guard_armed, 0);
	return 0;
}

int ml_guard_code(void)
{
	return READ_ONCE(guard_code);
}

/* ------------------------------------------------------ counted access */

static void calls_add(struct ml_calls *c, const struct mmaplab_stats *a,
		      const struct mmaplab_stats *b)
{
	c->faults += b->faults - a->faults;
	c->faults_sigbus += b->faults_sigbus - a->faults_sigbus;
	c->faults_sigsegv += b->faults_sigsegv - a->faults_sigsegv;
	c->map_pages += b->map_pages - a->map_pages;
	c->map_pages_mapped += b->map_pages_mapped - a->map_pages_mapped;
	c->page_mkwrites += b->page_mkwrites - a->page_mkwrites;
	c->pfn_mkwrites += b->pfn_mkwrites - a->pfn_mkwrites;
}

int ml_counted_access(int fd, unsigned char *p, enum ml_touch how,
		      unsigned char pattern, int *sig, int *sees,
		      struct ml_calls *calls)
{
	struct mmaplab_stats a, b;
	int err;

	err = ml_stats(fd, 0, &a);
	if (err)
		return err;
	*sig = ml_guarded_access(p, how, pattern, sees);
	err = ml_stats(fd, 0, &b);
	if (err)
		return err;
	calls_add(calls, &a, &b);
	return 0;
}
