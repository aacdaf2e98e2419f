// SPDX-License-Identifier: GPL-2.0
/*
 * create.c - "mmaplab create": configure a lab object, map it, touch its
 * pages (optionally fork a child that touches them too), optionally apply
 * one range operation (guard, invalidate, clean) and touch again, read
 * back what the parent sees, and print the object's counters.
 *
 * Every access to the mapping goes through guarded_access(), which turns a
 * SIGBUS or SIGSEGV raised by that access into a result instead of a
 * crash, so that a touch past the object's end can be shown.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"
#include "report.h"

#define PARENT_PATTERN	'P'
#define CHILD_PATTERN	'C'
#define DEFAULT_PAGES	4

enum touch {
	TOUCH_NONE,
	TOUCH_READ,
	TOUCH_WRITE,
};

static const char *const touch_names[] = {
	[TOUCH_NONE]	= "none",
	[TOUCH_READ]	= "read",
	[TOUCH_WRITE]	= "write",
};

/* The range operations, in the order of enum range_op. */
enum range_op {
	OP_NONE,
	OP_GUARD,
	OP_INVALIDATE,
	OP_CLEAN,
};

static const struct {
	const char *name;	/* the option without "--", the JSON "op" */
	const char *ioctl;
	unsigned long cmd;
} range_ops[] = {
	[OP_NONE]	= { "none", NULL, 0 },
	[OP_GUARD]	= { "guard", "MMAPLAB_IOC_GUARD", MMAPLAB_IOC_GUARD },
	[OP_INVALIDATE]	= { "invalidate", "MMAPLAB_IOC_INVALIDATE",
			    MMAPLAB_IOC_INVALIDATE },
	[OP_CLEAN]	= { "clean", "MMAPLAB_IOC_CLEAN", MMAPLAB_IOC_CLEAN },
};

struct create_opts {
	uint64_t pages;
	uint32_t backing;	/* enum mmaplab_backing */
	uint32_t flags;		/* MMAPLAB_CONFIG_* */
	uint64_t offset;
	uint64_t length;
	uint64_t hold;
	bool length_set;
	int map;		/* MAP_SHARED or MAP_PRIVATE */
	int prot;		/* PROT_* */
	enum touch touch;
	bool fork;
	enum touch child_touch;
	bool child_touch_set;
	enum range_op op;
	uint64_t range_pgoff;	/* first object page of the range */
	uint64_t range_pages;	/* pages in the range, 0: to the object's end */
	int replace;		/* --replace byte, or -1 */
};

/*
 * Module callbacks that accesses to one page caused: the difference of two
 * MMAPLAB_IOC_STATS snapshots taken around them.
 */
struct calls {
	uint64_t faults;
	uint64_t faults_sigbus;
	uint64_t faults_sigsegv;
	uint64_t map_pages;
	uint64_t map_pages_mapped;
	uint64_t page_mkwrites;
	uint64_t pfn_mkwrites;
};

/* What happened to one page of the mapping. */
struct page_result {
	int touch_sig;		/* signal raised by the parent's touch, or 0 */
	int child_sig;		/* signal raised by the child's touch, or 0 */
	int child_sees;		/* byte the child saw after its touch, or -1 */
	int parent_sig;		/* signal raised by the parent's read-back */
	int parent_sees;	/* byte the parent read back, or -1 */
	/* With a range operation: */
	bool in_range;		/* the page's object page is in the range */
	int again_sig;		/* signal raised by the touch after the op */
	struct calls calls;	/* callbacks of the touch again + read-back */
};

/* What the range operation did, for the report. */
struct range_result {
	uint64_t result;	/* struct mmaplab_range.result */
	enum touch again;	/* the parent's touch after the op */
	struct mmaplab_stats before;	/* the object's stats before the op */
};

/* Written by the child into a shared anonymous mapping. */
struct child_result {
	int sig;
	int sees;
};

struct child_status {
	pid_t pid;
	int status;		/* from waitpid() */
};

/* ------------------------------------------------------------- options */

static void create_usage(FILE *f)
{
	fputs("Usage: mmaplab [GLOBAL OPTIONS] create [OPTIONS]\n"
	      "\n"
	      "Open the device (a fresh lab object), configure it with --pages pages of\n"
	      "--backing, mmap() it and run these steps, then print what each page\n"
	      "gave, the object's counters and the module-wide figures:\n"
	      "  1. the parent touches each mapped page (--touch);\n"
	      "  2. with --fork, a child touches them too (--child-touch) and exits;\n"
	      "  3. with --guard, --invalidate or --clean, that ioctl on the object;\n"
	      "  4. after --guard or --clean, the parent touches each page again;\n"
	      "  5. the parent reads back byte 0 of each page.\n"
	      "A write stores 'P' (parent) or 'C' (child) at the start of a page.  A\n"
	      "page whose access raises SIGBUS or SIGSEGV is reported as such.\n"
	      "\n"
	      "Options:\n"
	      "  -n, --pages N           size of the object in pages (default 4)\n"
	      "  -b, --backing KIND      where its pages come from: pages (default),\n"
	      "                          shmem, zero or pfn\n"
	      "      --fault-around      flag: a read fault also maps resident pages\n"
	      "                          around it (->map_pages; backing pages)\n"
	      "      --write-notify      flag: the module hears of the first write to\n"
	      "                          each clean shared page (->page_mkwrite,\n"
	      "                          ->pfn_mkwrite; backings pages and pfn)\n"
	      "  -m, --map MODE          private or shared (default shared)\n"
	      "  -p, --prot PROT         none, or letters of r, w, x (default rw)\n"
	      "  -t, --touch HOW         parent's touch: none, read, write (default write)\n"
	      "  -f, --fork              after the parent's touch, fork a child that\n"
	      "                          touches the pages and exits; the parent waits\n"
	      "  -c, --child-touch HOW   child's touch: none, read, write (default write;\n"
	      "                          needs --fork)\n"
	      "  -o, --offset PAGES      map from this page of the object (default 0)\n"
	      "  -l, --length PAGES      map this many pages (default: --pages); more\n"
	      "                          than the object has gives SIGBUS past its end\n"
	      "  -H, --hold SECONDS      keep the mapping and the fd that long before\n"
	      "                          unmapping (Ctrl-C ends it early); prints the pid\n"
	      "                          and the mapping's address first\n"
	      "  -h, --help              show this help and exit\n"
	      "\n"
	      "Range operations (at most one; RANGE is object pages PGOFF[:N]: N pages\n"
	      "from PGOFF, 1 if N is not given, to the object's end if N is 0):\n"
	      "      --guard RANGE       install guard pages: every access there raises\n"
	      "                          SIGSEGV, private copies are dropped too\n"
	      "      --invalidate [RANGE]\n"
	      "                          remove the page-table entries that map the\n"
	      "                          object's pages, in every process (private\n"
	      "                          copies stay), so the next access faults again;\n"
	      "                          default: the whole object\n"
	      "      --replace BYTE      with --invalidate: first give the range new\n"
	      "                          content, every byte BYTE (0-255, 0xNN, or one\n"
	      "                          character such as A)\n"
	      "      --clean [RANGE]     mark the range clean and write-protect it, so\n"
	      "                          the next write is notified again; needs\n"
	      "                          --write-notify; default: the whole object\n"
	      "  The touch again of step 4 is --touch, or a read when --touch is none.\n"
	      "\n"
	      "Exit status: 0 success (also when pages raised signals), 1 an ioctl,\n"
	      "mmap or fork failed, 2 usage error, 3 device unavailable.\n"
	      "\n"
	      "Examples:\n"
	      "  mmaplab create --map private --fork --pages 2 --length 3\n"
	      "  mmaplab create --backing shmem --map private --fork\n"
	      "  mmaplab create --guard 1:2\n"
	      "  mmaplab create --invalidate --replace 0x41\n"
	      "  mmaplab create --write-notify --clean\n",
	      f);
}

static int parse_touch(const char *opt, const char *arg, enum touch *t)
{
	for (size_t i = 0; i < sizeof(touch_names) / sizeof(touch_names[0]); i++) {
		if (!strcmp(arg, touch_names[i])) {
			*t = i;
			return 0;
		}
	}
	return ml_usage_error("create", "invalid %s value '%s' (expected none, read or write)",
			      opt, arg);
}

static int parse_prot(const char *arg, int *prot)
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
		case 'r': bit = PROT_READ; break;
		case 'w': bit = PROT_WRITE; break;
		case 'x': bit = PROT_EXEC; break;
		default: goto bad;
		}
		if (p & bit)
			goto bad;
		p |= bit;
	}
	*prot = p;
	return 0;
bad:
	return ml_usage_error("create", "invalid --prot value '%s' (expected none, or letters among r, w, x, each at most once)",
			      arg);
}

static const char *prot_name(int prot, char buf[4])
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

static const char *map_name(int map)
{
	return map == MAP_SHARED ? "shared" : "private";
}

/* A non-negative decimal integer filling [s, end); false if it is not. */
static bool parse_dec(const char *s, const char *end, uint64_t *val)
{
	uint64_t v = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*val = v;
	return true;
}

/* RANGE of option @opt: PGOFF or PGOFF:N (N 0: to the object's end). */
static int parse_range(const char *opt, const char *arg, struct create_opts *o)
{
	const char *colon = strchr(arg, ':');
	const char *end = arg + strlen(arg);

	o->range_pages = 1;
	if (!parse_dec(arg, colon ? colon : end, &o->range_pgoff) ||
	    (colon && !parse_dec(colon + 1, end, &o->range_pages)))
		return ml_usage_error("create", "invalid %s value '%s' (expected object pages PGOFF or PGOFF:N, non-negative decimal integers)",
				      opt, arg);
	return 0;
}

/* BYTE of --replace: 0..255 in decimal, 0xNN, or one non-digit character. */
static int parse_byte(const char *arg, int *byte)
{
	const char *end = arg + strlen(arg);
	uint64_t v;

	if (arg[0] && !arg[1] && (arg[0] < '0' || arg[0] > '9')) {
		*byte = (unsigned char)arg[0];
		return 0;
	}
	if ((arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X')) && arg[2] &&
	    strspn(arg + 2, "0123456789abcdefABCDEF") == strlen(arg + 2) &&
	    strlen(arg + 2) <= 2) {
		*byte = (int)strtol(arg + 2, NULL, 16);
		return 0;
	}
	if (parse_dec(arg, end, &v) && v <= 0xff) {
		*byte = (int)v;
		return 0;
	}
	return ml_usage_error("create", "invalid --replace value '%s' (expected a byte: 0 to 255, 0x00 to 0xff, or one character such as A)",
			      arg);
}

/*
 * The optional RANGE of --invalidate and --clean: "--clean=1:2", or the
 * next argument when it starts with a digit ("--clean 1:2").
 */
static int parse_opt_range(const char *opt, int argc, char **argv,
			   struct create_opts *o)
{
	const char *arg = optarg;

	if (!arg && optind < argc && argv[optind][0] >= '0' &&
	    argv[optind][0] <= '9')
		arg = argv[optind++];
	if (!arg) {
		o->range_pgoff = 0;
		o->range_pages = 0;
		return 0;
	}
	return parse_range(opt, arg, o);
}

static int set_op(struct create_opts *o, enum range_op op)
{
	if (o->op != OP_NONE && o->op != op)
		return ml_usage_error("create", "--%s and --%s cannot be combined: give at most one range operation",
				      range_ops[o->op].name, range_ops[op].name);
	o->op = op;
	return 0;
}

static int parse_args(int argc, char **argv, struct create_opts *o)
{
	enum {
		OPT_FAULT_AROUND = 256,
		OPT_WRITE_NOTIFY,
		OPT_GUARD,
		OPT_INVALIDATE,
		OPT_REPLACE,
		OPT_CLEAN,
	};
	static const struct option longopts[] = {
		{ "pages",	 required_argument, NULL, 'n' },
		{ "backing",	 required_argument, NULL, 'b' },
		{ "fault-around", no_argument,	    NULL, OPT_FAULT_AROUND },
		{ "write-notify", no_argument,	    NULL, OPT_WRITE_NOTIFY },
		{ "map",	 required_argument, NULL, 'm' },
		{ "prot",	 required_argument, NULL, 'p' },
		{ "touch",	 required_argument, NULL, 't' },
		{ "fork",	 no_argument,	    NULL, 'f' },
		{ "child-touch", required_argument, NULL, 'c' },
		{ "offset",	 required_argument, NULL, 'o' },
		{ "length",	 required_argument, NULL, 'l' },
		{ "guard",	 required_argument, NULL, OPT_GUARD },
		{ "invalidate",	 optional_argument, NULL, OPT_INVALIDATE },
		{ "replace",	 required_argument, NULL, OPT_REPLACE },
		{ "clean",	 optional_argument, NULL, OPT_CLEAN },
		{ "hold",	 required_argument, NULL, 'H' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const uint64_t page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	const uint64_t max_off = sizeof(off_t) == 8 ? INT64_MAX : INT32_MAX;
	int c, ret;

	while ((c = getopt_long(argc, argv, "n:b:m:p:t:fc:o:l:H:h", longopts,
				NULL)) != -1) {
		ret = 0;
		switch (c) {
		case 'n':
			ret = ml_parse_u64("create", "--pages", optarg,
					   UINT64_MAX, &o->pages);
			break;
		case 'b':
			o->backing = ml_backing_parse(optarg);
			if (!o->backing)
				ret = ml_usage_error("create", "invalid --backing value '%s' (expected pages, shmem, zero or pfn)",
						     optarg);
			break;
		case OPT_FAULT_AROUND:
			o->flags |= MMAPLAB_CONFIG_FAULT_AROUND;
			break;
		case OPT_WRITE_NOTIFY:
			o->flags |= MMAPLAB_CONFIG_WRITE_NOTIFY;
			break;
		case 'm':
			if (!strcmp(optarg, "shared"))
				o->map = MAP_SHARED;
			else if (!strcmp(optarg, "private"))
				o->map = MAP_PRIVATE;
			else
				ret = ml_usage_error("create", "invalid --map value '%s' (expected private or shared)",
						     optarg);
			break;
		case 'p':
			ret = parse_prot(optarg, &o->prot);
			break;
		case 't':
			ret = parse_touch("--touch", optarg, &o->touch);
			break;
		case 'f':
			o->fork = true;
			break;
		case 'c':
			ret = parse_touch("--child-touch", optarg,
					  &o->child_touch);
			o->child_touch_set = true;
			break;
		case 'o':
			ret = ml_parse_u64("create", "--offset", optarg,
					   max_off / page_size, &o->offset);
			break;
		case 'l':
			ret = ml_parse_u64("create", "--length", optarg,
					   SIZE_MAX / page_size, &o->length);
			o->length_set = true;
			break;
		case OPT_GUARD:
			ret = set_op(o, OP_GUARD);
			if (!ret)
				ret = parse_range("--guard", optarg, o);
			break;
		case OPT_INVALIDATE:
			ret = set_op(o, OP_INVALIDATE);
			if (!ret)
				ret = parse_opt_range("--invalidate", argc,
						      argv, o);
			break;
		case OPT_REPLACE:
			ret = parse_byte(optarg, &o->replace);
			break;
		case OPT_CLEAN:
			ret = set_op(o, OP_CLEAN);
			if (!ret)
				ret = parse_opt_range("--clean", argc, argv, o);
			break;
		case 'H':
			ret = ml_parse_u64("create", "--hold", optarg,
					   INT32_MAX, &o->hold);
			break;
		case 'h':
			create_usage(stdout);
			return -1;
		default:
			return ml_option_error("create", argv);
		}
		if (ret)
			return ret;
	}
	if (optind < argc)
		return ml_usage_error("create", "unexpected argument '%s'",
				      argv[optind]);
	if (o->child_touch_set && !o->fork)
		return ml_usage_error("create", "--child-touch needs --fork");
	if (o->replace >= 0 && o->op != OP_INVALIDATE)
		return ml_usage_error("create", "--replace needs --invalidate");
	if (!o->length_set) {
		if (o->pages > SIZE_MAX / page_size)
			return ml_usage_error("create", "--pages %" PRIu64 " is too large to map (give a smaller --length)",
					      o->pages);
		o->length = o->pages;
	}
	return 0;
}

/* ------------------------------------------------------ guarded access */

static sigjmp_buf guard_jmp;
static volatile sig_atomic_t guard_armed;
static uintptr_t guard_lo, guard_hi;

static void guard_handler(int sig, siginfo_t *si, void *ucontext)
{
	uintptr_t addr = (uintptr_t)si->si_addr;
	struct sigaction dfl;

	(void)ucontext;
	if (guard_armed && addr >= guard_lo && addr < guard_hi) {
		guard_armed = 0;
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

static int guard_install(void *addr, size_t len)
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

/*
 * Touch byte 0 at @p: TOUCH_READ reads it, TOUCH_WRITE stores @pattern and
 * reads it back (no further fault: the page is mapped by then).  Returns
 * the signal the access raised or 0; *sees gets the byte read, or -1.
 */
static int guarded_access(volatile unsigned char *p, enum touch how,
			  unsigned char pattern, int *sees)
{
	int sig;

	*sees = -1;
	if (how == TOUCH_NONE)
		return 0;
	sig = sigsetjmp(guard_jmp, 1);
	if (sig)
		return sig;
	guard_armed = 1;
	if (how == TOUCH_WRITE)
		*p = pattern;
	*sees = *p;
	guard_armed = 0;
	return 0;
}

/* ---------------------------------------------------------------- hold */

static volatile sig_atomic_t hold_stop;

static void hold_handler(int sig)
{
	(void)sig;
	hold_stop = 1;
}

static void hold(uint64_t seconds)
{
	struct sigaction sa;
	struct timespec ts = { .tv_sec = (time_t)seconds, .tv_nsec = 0 };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hold_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!hold_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* -------------------------------------------------------------- output */

static void fmt_byte(char *buf, size_t size, int b)
{
	if (b < 0)
		snprintf(buf, size, "-");
	else if (b == 0)
		snprintf(buf, size, "0");
	else if (b > 0x20 && b < 0x7f && b != '\'')
		snprintf(buf, size, "'%c'", b);
	else
		snprintf(buf, size, "0x%02x", b);
}

static enum out_color byte_color(int b)
{
	if (b == PARENT_PATTERN)
		return OC_GREEN;
	if (b == CHILD_PATTERN)
		return OC_YELLOW;
	return b <= 0 ? OC_DIM : OC_NONE;
}

static void sig_cell(struct out_table *t, int sig, bool done)
{
	if (!done)
		out_table_cell(t, OC_DIM, "-");
	else if (sig)
		out_table_cell(t, OC_RED, "%s", ml_signame(sig));
	else
		out_table_cell(t, OC_NONE, "ok");
}

static void json_sig(const char *key, int sig)
{
	if (sig)
		json_str(key, ml_signame(sig));
	else
		json_null(key);
}

static void json_byte(const char *key, int b)
{
	if (b < 0)
		json_null(key);
	else
		json_u64(key, (uint64_t)b);
}

static void describe_child(char *buf, size_t size, const struct child_status *cs)
{
	if (WIFEXITED(cs->status))
		snprintf(buf, size, "exited with status %d",
			 WEXITSTATUS(cs->status));
	else if (WIFSIGNALED(cs->status))
		snprintf(buf, size, "was killed by %s",
			 ml_signame(WTERMSIG(cs->status)));
	else
		snprintf(buf, size, "ended (wait status 0x%x)", cs->status);
}

/* ------------------------------------------------------ range helpers */

/* The object pages the range covers: [*first, *first + *n). */
static void range_span(const struct create_opts *o, uint64_t *first,
		       uint64_t *n)
{
	*first = o->range_pgoff;
	if (o->range_pages)
		*n = o->range_pages;
	else
		*n = o->range_pgoff < o->pages ? o->pages - o->range_pgoff : 0;
}

static bool page_in_range(const struct create_opts *o, uint64_t obj_page)
{
	uint64_t first, n;

	range_span(o, &first, &n);
	return obj_page < o->pages && obj_page >= first &&
	       obj_page - first < n;
}

/* "object page 3" or "object pages 1-2" */
static void fmt_span(const struct create_opts *o, char *buf, size_t size)
{
	uint64_t first, n;

	range_span(o, &first, &n);
	if (n == 1)
		snprintf(buf, size, "object page %" PRIu64, first);
	else
		snprintf(buf, size, "object pages %" PRIu64 "-%" PRIu64, first,
			 first + n - 1);
}

/* "0x41 ('A')", "0 (a zero byte)" */
static void fmt_fill(int b, char *buf, size_t size)
{
	if (b == 0)
		snprintf(buf, size, "0x00 (zero bytes)");
	else if (b > 0x20 && b < 0x7f)
		snprintf(buf, size, "0x%02x ('%c')", b, b);
	else
		snprintf(buf, size, "0x%02x", b);
}

static void calls_add(struct calls *c, const struct mmaplab_stats *a,
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

/* Append ", " and "NAME" (n == 1) or "N NAMEs" to @buf, when n > 0. */
static void add_call(char *buf, size_t size, uint64_t n, const char *name)
{
	size_t len = strlen(buf);

	if (!n || len >= size)
		return;
	if (n == 1)
		snprintf(buf + len, size - len, "%s%s", len ? ", " : "", name);
	else
		snprintf(buf + len, size - len, "%s%" PRIu64 " %ss",
			 len ? ", " : "", n, name);
}

/* Append " (SIG)" or " (N SIG)" to @buf, when @n of @faults raised it. */
static void add_fault_sig(char *buf, size_t size, uint64_t n, uint64_t faults,
			  const char *sig)
{
	size_t len = strlen(buf);

	if (!n || len >= size)
		return;
	if (n == faults)
		snprintf(buf + len, size - len, " (%s)", sig);
	else
		snprintf(buf + len, size - len, " (%" PRIu64 " %s)", n, sig);
}

/* "fault (SIGSEGV)", "map_pages (+3 mapped)", "fault, page_mkwrite", "none" */
static const char *fmt_calls(const struct calls *c, char *buf, size_t size)
{
	size_t len;

	buf[0] = '\0';
	add_call(buf, size, c->faults, "fault");
	add_fault_sig(buf, size, c->faults_sigbus, c->faults, "SIGBUS");
	add_fault_sig(buf, size, c->faults_sigsegv, c->faults, "SIGSEGV");
	add_call(buf, size, c->map_pages, "map_pages");
	len = strlen(buf);
	if (c->map_pages && c->map_pages_mapped && len < size)
		snprintf(buf + len, size - len, " (+%" PRIu64 " mapped)",
			 c->map_pages_mapped);
	add_call(buf, size, c->page_mkwrites, "page_mkwrite");
	add_call(buf, size, c->pfn_mkwrites, "pfn_mkwrite");
	if (!buf[0])
		snprintf(buf, size, "none");
	return buf;
}

/* ------------------------------------------------------------ printing */

static void print_json(const struct create_opts *o, int fd, void *addr,
		       const struct page_result *res,
		       const struct child_status *cs,
		       const struct range_result *rr,
		       const struct mmaplab_stats *st)
{
	const uint64_t page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	char buf[32];

	json_begin();
	json_str("device", ml_opt.device);
	json_i64("pid", getpid());
	json_u64("page_size", page_size);

	json_obj_open("object");
	json_i64("fd", fd);
	json_u64("nr_pages", o->pages);
	json_str("backing", ml_backing_name(o->backing));
	json_arr_open("flags");
	for (unsigned int i = 0; i < ML_NR_CONFIG_FLAGS; i++)
		if (o->flags & ml_config_flag_bit(i))
			json_str(NULL, ml_config_flag_name(i));
	json_arr_close();
	json_obj_close();

	json_obj_open("mapping");
	snprintf(buf, sizeof(buf), "0x%" PRIxPTR, (uintptr_t)addr);
	json_str("addr", buf);
	json_u64("offset", o->offset);
	json_u64("pages", o->length);
	json_u64("bytes", o->length * page_size);
	json_str("map", map_name(o->map));
	json_str("prot", prot_name(o->prot, buf));
	json_obj_close();

	json_str("touch", touch_names[o->touch]);
	if (o->fork) {
		json_obj_open("fork");
		json_i64("pid", cs->pid);
		json_str("child_touch", touch_names[o->child_touch]);
		if (WIFEXITED(cs->status))
			json_i64("exit_status", WEXITSTATUS(cs->status));
		else
			json_null("exit_status");
		json_sig("signal", WIFSIGNALED(cs->status) ?
				   WTERMSIG(cs->status) : 0);
		json_obj_close();
	} else {
		json_null("fork");
	}
	json_u64("hold", o->hold);

	json_arr_open("pages");
	for (uint64_t i = 0; i < o->length; i++) {
		const struct page_result *r = &res[i];

		json_obj_open(NULL);
		json_u64("page", i);
		json_u64("object_page", o->offset + i);
		json_sig("touch_signal", r->touch_sig);
		json_sig("child_signal", r->child_sig);
		json_byte("child_sees", r->child_sees);
		json_byte("parent_sees", r->parent_sees);
		json_sig("signal", r->parent_sig);
		if (o->op != OP_NONE) {
			json_obj_open("after_range");
			json_bool("in_range", r->in_range);
			json_sig("touch_again_signal", r->again_sig);
			json_u64("faults", r->calls.faults);
			json_u64("faults_sigbus", r->calls.faults_sigbus);
			json_u64("faults_sigsegv", r->calls.faults_sigsegv);
			json_u64("map_pages", r->calls.map_pages);
			json_u64("map_pages_mapped", r->calls.map_pages_mapped);
			json_u64("page_mkwrites", r->calls.page_mkwrites);
			json_u64("pfn_mkwrites", r->calls.pfn_mkwrites);
			json_obj_close();
		} else {
			json_null("after_range");
		}
		json_obj_close();
	}
	json_arr_close();

	ml_stats_print(st, false);
	ml_stats_print(st, true);

	if (o->op != OP_NONE) {
		json_obj_open("range");
		json_str("op", range_ops[o->op].name);
		json_str("ioctl", range_ops[o->op].ioctl);
		json_arr_open("flags");
		if (o->op == OP_GUARD)
			json_str(NULL, "install");
		else if (o->op == OP_INVALIDATE && o->replace >= 0)
			json_str(NULL, "replace");
		json_arr_close();
		json_u64("pgoff", o->range_pgoff);
		json_u64("nr_pages", o->range_pages);
		json_byte("fill", o->replace);
		json_u64("result", rr->result);
		json_str("touch_again", rr->again == TOUCH_NONE ? NULL :
					touch_names[rr->again]);
		json_obj_close();
		ml_stats_json("stats_before", &rr->before);
	} else {
		json_null("range");
		json_null("stats_before");
	}
	json_end();
}

static void print_range_line(const struct create_opts *o,
			     const struct range_result *rr)
{
	char span[64], fill[32];

	fmt_span(o, span, sizeof(span));
	switch (o->op) {
	case OP_GUARD:
		printf("guard: %s install on %s: the object has %" PRIu64 " guard page%s now",
		       range_ops[o->op].ioctl, span, rr->result,
		       rr->result == 1 ? "" : "s");
		break;
	case OP_INVALIDATE:
		printf("invalidate: %s on %s", range_ops[o->op].ioctl, span);
		if (o->replace >= 0) {
			fmt_fill(o->replace, fill, sizeof(fill));
			printf(", new content %s: %" PRIu64 " page%s replaced",
			       fill, rr->result, rr->result == 1 ? "" : "s");
		}
		break;
	case OP_CLEAN:
		printf("clean: %s on %s: %" PRIu64 " dirty page%s cleaned",
		       range_ops[o->op].ioctl, span, rr->result,
		       rr->result == 1 ? "" : "s");
		break;
	default:
		return;
	}
	if (rr->again != TOUCH_NONE) {
		printf("; then the parent touches again: %s",
		       touch_names[rr->again]);
		if (rr->again == TOUCH_WRITE)
			printf(" ('%c')", PARENT_PATTERN);
	} else {
		printf("; then the parent reads back");
	}
	printf("\n");
}

static void print_human(const struct create_opts *o, int fd, void *addr,
			const struct page_result *res,
			const struct child_status *cs,
			const struct range_result *rr,
			const struct mmaplab_stats *st)
{
	const uint64_t page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	const uint64_t end = o->offset + o->length;
	const bool op = o->op != OP_NONE;
	const bool again = op && rr->again != TOUCH_NONE;
	struct out_table *t;
	char prot[4], buf[128], title[64];
	unsigned int col = 0;

	printf("object: %" PRIu64 " page%s, backing %s, flags %s, mapped %s %s at %p, fd %d\n",
	       o->pages, o->pages == 1 ? "" : "s",
	       ml_backing_name(o->backing),
	       ml_config_flags_str(o->flags, ",", buf, sizeof(buf)),
	       map_name(o->map), prot_name(o->prot, prot), addr, fd);
	printf("mapping: %" PRIu64 " page%s (%" PRIu64 " bytes) from object page %" PRIu64,
	       o->length, o->length == 1 ? "" : "s", o->length * page_size,
	       o->offset);
	if (end > o->pages)
		printf(", %" PRIu64 " past the object's end",
		       end - (o->offset > o->pages ? o->offset : o->pages));
	printf("\n");
	printf("touch: parent %s", touch_names[o->touch]);
	if (o->touch == TOUCH_WRITE)
		printf(" ('%c')", PARENT_PATTERN);
	if (o->fork) {
		describe_child(buf, sizeof(buf), cs);
		printf("; child (pid %d) %s", (int)cs->pid,
		       touch_names[o->child_touch]);
		if (o->child_touch == TOUCH_WRITE)
			printf(" ('%c')", CHILD_PATTERN);
		printf(", %s", buf);
	}
	printf("\n");
	print_range_line(o, rr);
	printf("\n");

	t = out_table_new(5 + (o->fork ? 2 : 0) + (op ? 2 : 0) +
			  (again ? 1 : 0));
	out_table_col(t, col++, "page", true);
	out_table_col(t, col++, "obj page", true);
	out_table_col(t, col++, "touch", false);
	if (o->fork) {
		out_table_col(t, col++, "child touch", false);
		out_table_col(t, col++, "child sees", false);
	}
	if (op)
		out_table_col(t, col++, "range", false);
	if (again)
		out_table_col(t, col++, "touch again", false);
	out_table_col(t, col++, "parent sees", false);
	out_table_col(t, col++, "signal", false);
	if (op) {
		snprintf(title, sizeof(title), "calls after %s",
			 range_ops[o->op].name);
		out_table_col(t, col++, title, false);
	}
	for (uint64_t i = 0; i < o->length; i++) {
		const struct page_result *r = &res[i];

		out_table_row(t);
		out_table_cell(t, OC_NONE, "%" PRIu64, i);
		out_table_cell(t, o->offset + i >= o->pages ? OC_RED : OC_NONE,
			       "%" PRIu64, o->offset + i);
		sig_cell(t, r->touch_sig, o->touch != TOUCH_NONE);
		if (o->fork) {
			sig_cell(t, r->child_sig,
				 o->child_touch != TOUCH_NONE);
			fmt_byte(buf, sizeof(buf), r->child_sees);
			out_table_cell(t, byte_color(r->child_sees), "%s",
				       buf);
		}
		if (op) {
			if (r->in_range)
				out_table_cell(t, OC_BOLD, "%s",
					       range_ops[o->op].name);
			else
				out_table_cell(t, OC_DIM, "-");
		}
		if (again)
			sig_cell(t, r->again_sig, true);
		fmt_byte(buf, sizeof(buf), r->parent_sees);
		out_table_cell(t, byte_color(r->parent_sees), "%s", buf);
		if (r->parent_sig)
			out_table_cell(t, OC_RED, "%s",
				       ml_signame(r->parent_sig));
		else
			out_table_cell(t, OC_DIM, "-");
		if (op) {
			fmt_calls(&r->calls, buf, sizeof(buf));
			out_table_cell(t, strcmp(buf, "none") ? OC_NONE : OC_DIM,
				       "%s", buf);
		}
	}
	out_table_print(t, 0);
	out_table_free(t);

	printf("\n");
	if (op) {
		snprintf(title, sizeof(title), "before %s",
			 range_ops[o->op].name);
		ml_stats_print_before(st, &rr->before, title);
	} else {
		ml_stats_print(st, false);
	}
	printf("\n");
	ml_stats_print(st, true);
}

/* ---------------------------------------------------------------- work */

static int mmap_failed(const struct create_opts *o, int err)
{
	const char *why = NULL;

	switch (err) {
	case EINVAL:
		if (!o->length)
			why = "a mapping needs at least 1 page (--length 0)";
		else if (o->backing == MMAPLAB_BACKING_PFN &&
			 o->map == MAP_PRIVATE && (o->prot & PROT_WRITE))
			why = "pfn mappings cannot be private and writable (like /dev/mem)";
		else if (o->backing == MMAPLAB_BACKING_PFN &&
			 o->map == MAP_PRIVATE)
			why = "pfn mappings cannot be private and writable (like /dev/mem): a private mapping of a device opened read-write counts as writable even with --prot r, since mprotect() could make it writable";
		else
			why = "the module refused the mapping, or the offset is not valid";
		break;
	case EACCES:
		why = "the device's open mode does not allow this protection";
		break;
	case EPERM:
		if (o->prot & PROT_EXEC)
			why = "PROT_EXEC on a device of a noexec mount (/dev usually is one)";
		break;
	case ENOMEM:
		why = "no room in the address space, or a limit on mappings or address space was hit";
		break;
	case EOVERFLOW:
		why = "offset plus length overflow the file offset";
		break;
	case ENODEV:
		why = "the device does not support mmap()";
		break;
	}
	if (why)
		ml_err("mmap: %s (%s)", strerror(err), why);
	else
		ml_err("mmap: %s", strerror(err));
	return ML_EXIT_FAIL;
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
	uint64_t first, n;

	err = -err;
	range_span(o, &first, &n);
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
				 "the range (object page %" PRIu64 ", %" PRIu64 " page%s) does not lie inside the object (pages 0-%" PRIu64 ")",
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
 * guarded_access() of @p; the module callbacks it caused are added to
 * @calls.  Returns 0 or the negative errno of MMAPLAB_IOC_STATS.
 */
static int counted_access(int fd, volatile unsigned char *p, enum touch how,
			  unsigned char pattern, int *sig, int *sees,
			  struct calls *calls)
{
	struct mmaplab_stats a, b;
	int err;

	err = ml_stats(fd, 0, &a);
	if (err)
		return err;
	*sig = guarded_access(p, how, pattern, sees);
	err = ml_stats(fd, 0, &b);
	if (err)
		return err;
	calls_add(calls, &a, &b);
	return 0;
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
			cres[i].sig = guarded_access(addr + i * page_size,
						     o->child_touch,
						     CHILD_PATTERN,
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

int cmd_create(int argc, char **argv)
{
	struct create_opts o = {
		.pages		= DEFAULT_PAGES,
		.backing	= MMAPLAB_BACKING_PAGES,
		.map		= MAP_SHARED,
		.prot		= PROT_READ | PROT_WRITE,
		.touch		= TOUCH_WRITE,
		.child_touch	= TOUCH_WRITE,
		.replace	= -1,
	};
	const size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct child_status cs = { .pid = -1, .status = 0 };
	struct range_result rr = { .result = 0, .again = TOUCH_NONE };
	struct page_result *res = NULL;
	struct mmaplab_config cfg;
	struct mmaplab_stats st;
	unsigned char *addr;
	size_t len;
	int fd, err, ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? ML_EXIT_OK : ret;

	fd = ml_open_device();
	if (fd < 0)
		return ML_EXIT_NODEV;

	err = ml_configure(fd, o.pages, o.backing, o.flags);
	if (err) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.size = sizeof(cfg);
		cfg.flags = o.flags;
		cfg.nr_pages = o.pages;
		cfg.backing = o.backing;
		ret = ml_ioctl_failed(fd, MMAPLAB_IOC_CONFIGURE, err, &cfg);
		close(fd);
		return ret;
	}

	len = o.length * page_size;
	addr = mmap(NULL, len, o.prot, o.map, fd, (off_t)(o.offset * page_size));
	if (addr == MAP_FAILED) {
		ret = mmap_failed(&o, errno);
		close(fd);
		return ret;
	}
	/* One fault per page: keep transparent huge pages out of the way. */
	(void)madvise(addr, len, MADV_NOHUGEPAGE);

	ret = ML_EXIT_FAIL;
	res = calloc(o.length ? o.length : 1, sizeof(*res));
	if (!res) {
		ml_err("out of memory for %" PRIu64 " pages of results",
		       o.length);
		goto out;
	}
	err = guard_install(addr, len);
	if (err) {
		ml_err("sigaction: %s", strerror(-err));
		goto out;
	}

	/* Step 1: the parent's touch. */
	for (uint64_t i = 0; i < o.length; i++) {
		int ignored;

		res[i].touch_sig = guarded_access(addr + i * page_size, o.touch,
						  PARENT_PATTERN, &ignored);
		res[i].child_sees = -1;
	}

	/* Step 2: the child's touch. */
	if (o.fork) {
		ret = run_child(&o, addr, page_size, res, &cs);
		if (ret)
			goto out;
		ret = ML_EXIT_FAIL;
	}

	/* Step 3: the range operation; step 4: the touch again. */
	if (o.op != OP_NONE) {
		err = ml_stats(fd, 0, &rr.before);
		if (err) {
			ret = ml_ioctl_failed(fd, MMAPLAB_IOC_STATS, err, NULL);
			goto out;
		}
		err = range_ioctl(fd, &o, &rr.result);
		if (err) {
			ret = range_failed(fd, &o, err);
			goto out;
		}
		if (o.op != OP_INVALIDATE)
			rr.again = o.touch == TOUCH_NONE ? TOUCH_READ : o.touch;
		for (uint64_t i = 0; i < o.length; i++) {
			int ignored;

			res[i].in_range = page_in_range(&o, o.offset + i);
			if (rr.again == TOUCH_NONE)
				continue;
			err = counted_access(fd, addr + i * page_size,
					     rr.again, PARENT_PATTERN,
					     &res[i].again_sig, &ignored,
					     &res[i].calls);
			if (err) {
				ret = ml_ioctl_failed(fd, MMAPLAB_IOC_STATS,
						      err, NULL);
				goto out;
			}
		}
	}

	/* Step 5: the parent's read-back. */
	for (uint64_t i = 0; i < o.length; i++) {
		if (o.op == OP_NONE) {
			res[i].parent_sig = guarded_access(addr + i * page_size,
							   TOUCH_READ, 0,
							   &res[i].parent_sees);
			continue;
		}
		err = counted_access(fd, addr + i * page_size, TOUCH_READ, 0,
				     &res[i].parent_sig, &res[i].parent_sees,
				     &res[i].calls);
		if (err) {
			ret = ml_ioctl_failed(fd, MMAPLAB_IOC_STATS, err, NULL);
			goto out;
		}
	}

	err = ml_stats(fd, 0, &st);
	if (err) {
		ret = ml_ioctl_failed(fd, MMAPLAB_IOC_STATS, err, NULL);
		goto out;
	}

	if (out_json())
		print_json(&o, fd, addr, res, &cs, &rr, &st);
	else
		print_human(&o, fd, addr, res, &cs, &rr, &st);
	fflush(stdout);

	ret = ML_EXIT_OK;
	if (o.fork && !(WIFEXITED(cs.status) && WEXITSTATUS(cs.status) == 0)) {
		char buf[64];

		describe_child(buf, sizeof(buf), &cs);
		ml_err("the child (pid %d) %s", (int)cs.pid, buf);
		ret = ML_EXIT_FAIL;
	}

	if (o.hold) {
		FILE *f = out_json() ? stderr : stdout;

		fprintf(f, "%sholding: pid %d, mapping %p-%p, fd %d, for %" PRIu64 " s (Ctrl-C ends it); try: cat /proc/%d/maps\n",
			out_json() ? "mmaplab: " : "\n", (int)getpid(),
			(void *)addr, (void *)(addr + len), fd, o.hold,
			(int)getpid());
		fflush(f);
		hold(o.hold);
	}

out:
	free(res);
	munmap(addr, len);
	close(fd);
	return ret;
}
