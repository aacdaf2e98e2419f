// SPDX-License-Identifier: GPL-2.0
/*
 * create.c - "mmaplab create": configure a lab object, map it, touch its
 * pages (optionally fork a child that touches them too), read back what
 * the parent sees, and print the object's counters.
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
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

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

struct create_opts {
	uint64_t pages;
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
};

/* What happened to one page of the mapping. */
struct page_result {
	int touch_sig;		/* signal raised by the parent's touch, or 0 */
	int child_sig;		/* signal raised by the child's touch, or 0 */
	int child_sees;		/* byte the child saw after its touch, or -1 */
	int parent_sig;		/* signal raised by the parent's read-back */
	int parent_sees;	/* byte the parent read back, or -1 */
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
	      "backing 'pages', mmap() it, touch each mapped page, optionally fork a\n"
	      "child that touches them too, then read back byte 0 of each page as the\n"
	      "parent sees it and print the object's counters and the module-wide\n"
	      "figures.  A write stores 'P' (parent) or 'C' (child) at the start of a\n"
	      "page.  A page whose access raises SIGBUS or SIGSEGV is reported as such.\n"
	      "\n"
	      "Options:\n"
	      "  -n, --pages N           size of the object in pages (default 4)\n"
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
	      "Exit status: 0 success (also when pages raised signals), 1 an ioctl,\n"
	      "mmap or fork failed, 2 usage error, 3 device unavailable.\n"
	      "\n"
	      "Example: mmaplab create --map private --fork --pages 2 --length 3\n",
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

static int parse_args(int argc, char **argv, struct create_opts *o)
{
	static const struct option longopts[] = {
		{ "pages",	 required_argument, NULL, 'n' },
		{ "map",	 required_argument, NULL, 'm' },
		{ "prot",	 required_argument, NULL, 'p' },
		{ "touch",	 required_argument, NULL, 't' },
		{ "fork",	 no_argument,	    NULL, 'f' },
		{ "child-touch", required_argument, NULL, 'c' },
		{ "offset",	 required_argument, NULL, 'o' },
		{ "length",	 required_argument, NULL, 'l' },
		{ "hold",	 required_argument, NULL, 'H' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const uint64_t page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	const uint64_t max_off = sizeof(off_t) == 8 ? INT64_MAX : INT32_MAX;
	int c, ret;

	while ((c = getopt_long(argc, argv, "n:m:p:t:fc:o:l:H:h", longopts,
				NULL)) != -1) {
		ret = 0;
		switch (c) {
		case 'n':
			ret = ml_parse_u64("create", "--pages", optarg,
					   UINT64_MAX, &o->pages);
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

static void print_json(const struct create_opts *o, int fd, void *addr,
		       const struct page_result *res,
		       const struct child_status *cs,
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
	json_str("backing", ml_backing_name(MMAPLAB_BACKING_PAGES));
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
		json_obj_open(NULL);
		json_u64("page", i);
		json_u64("object_page", o->offset + i);
		json_sig("touch_signal", res[i].touch_sig);
		json_sig("child_signal", res[i].child_sig);
		json_byte("child_sees", res[i].child_sees);
		json_byte("parent_sees", res[i].parent_sees);
		json_sig("signal", res[i].parent_sig);
		json_obj_close();
	}
	json_arr_close();

	ml_stats_print(st, false);
	ml_stats_print(st, true);
	json_end();
}

static void print_human(const struct create_opts *o, int fd, void *addr,
			const struct page_result *res,
			const struct child_status *cs,
			const struct mmaplab_stats *st)
{
	const uint64_t page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	const uint64_t end = o->offset + o->length;
	struct out_table *t;
	char prot[4], buf[64];
	unsigned int col = 0;

	printf("object: %" PRIu64 " page%s, backing %s, mapped %s %s at %p, fd %d\n",
	       o->pages, o->pages == 1 ? "" : "s",
	       ml_backing_name(MMAPLAB_BACKING_PAGES), map_name(o->map),
	       prot_name(o->prot, prot), addr, fd);
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
	printf("\n\n");

	t = out_table_new(o->fork ? 7 : 5);
	out_table_col(t, col++, "page", true);
	out_table_col(t, col++, "obj page", true);
	out_table_col(t, col++, "touch", false);
	if (o->fork) {
		out_table_col(t, col++, "child touch", false);
		out_table_col(t, col++, "child sees", false);
	}
	out_table_col(t, col++, "parent sees", false);
	out_table_col(t, col++, "signal", false);
	for (uint64_t i = 0; i < o->length; i++) {
		out_table_row(t);
		out_table_cell(t, OC_NONE, "%" PRIu64, i);
		out_table_cell(t, o->offset + i >= o->pages ? OC_RED : OC_NONE,
			       "%" PRIu64, o->offset + i);
		sig_cell(t, res[i].touch_sig, o->touch != TOUCH_NONE);
		if (o->fork) {
			sig_cell(t, res[i].child_sig,
				 o->child_touch != TOUCH_NONE);
			fmt_byte(buf, sizeof(buf), res[i].child_sees);
			out_table_cell(t, byte_color(res[i].child_sees), "%s",
				       buf);
		}
		fmt_byte(buf, sizeof(buf), res[i].parent_sees);
		out_table_cell(t, byte_color(res[i].parent_sees), "%s", buf);
		if (res[i].parent_sig)
			out_table_cell(t, OC_RED, "%s",
				       ml_signame(res[i].parent_sig));
		else
			out_table_cell(t, OC_DIM, "-");
	}
	out_table_print(t, 0);
	out_table_free(t);

	printf("\n");
	ml_stats_print(st, false);
	printf("\n");
	ml_stats_print(st, true);
}

/* ---------------------------------------------------------------- work */

static int mmap_failed(const struct create_opts *o, int err)
{
	const char *why = NULL;

	switch (err) {
	case EINVAL:
		why = o->length ? "the module refused the mapping, or the offset is not valid"
				: "a mapping needs at least 1 page (--length 0)";
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
		.map		= MAP_SHARED,
		.prot		= PROT_READ | PROT_WRITE,
		.touch		= TOUCH_WRITE,
		.child_touch	= TOUCH_WRITE,
	};
	const size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct child_status cs = { .pid = -1, .status = 0 };
	struct page_result *res = NULL;
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

	err = ml_configure(fd, o.pages, MMAPLAB_BACKING_PAGES);
	if (err) {
		ret = ml_ioctl_failed(fd, MMAPLAB_IOC_CONFIGURE, err, o.pages);
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

	for (uint64_t i = 0; i < o.length; i++) {
		int ignored;

		res[i].touch_sig = guarded_access(addr + i * page_size, o.touch,
						  PARENT_PATTERN, &ignored);
		res[i].child_sees = -1;
	}

	if (o.fork) {
		ret = run_child(&o, addr, page_size, res, &cs);
		if (ret)
			goto out;
		ret = ML_EXIT_FAIL;
	}

	for (uint64_t i = 0; i < o.length; i++)
		res[i].parent_sig = guarded_access(addr + i * page_size,
						   TOUCH_READ, 0,
						   &res[i].parent_sees);

	err = ml_stats(fd, 0, &st);
	if (err) {
		ret = ml_ioctl_failed(fd, MMAPLAB_IOC_STATS, err, 0);
		goto out;
	}

	if (out_json())
		print_json(&o, fd, addr, res, &cs, &st);
	else
		print_human(&o, fd, addr, res, &cs, &st);
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
