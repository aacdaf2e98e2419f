// SPDX-License-Identifier: GPL-2.0
/*
 * create.c - "mmaplab create": its help, its options and the order of its
 * work: run the scenario (create_run.c), report it (create_report.c),
 * then hold the mapping if asked.
 *
 * The scenario: configure a lab object, map it, touch its pages
 * (optionally fork a child that touches them too), optionally apply one
 * range operation (guard, invalidate, clean) and touch again, read back
 * what the parent sees, and print the object's counters.  With --hold,
 * the mapping stays and answers "mmaplab remap" (hold.c).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "create.h"
#include "remap.h"
#include "report.h"

#define DEFAULT_PAGES	4

const struct range_op_desc range_ops[] = {
	[OP_NONE]	= { "none", NULL, 0 },
	[OP_GUARD]	= { "guard", "MMAPLAB_IOC_GUARD", MMAPLAB_IOC_GUARD },
	[OP_INVALIDATE]	= { "invalidate", "MMAPLAB_IOC_INVALIDATE",
			    MMAPLAB_IOC_INVALIDATE },
	[OP_CLEAN]	= { "clean", "MMAPLAB_IOC_CLEAN", MMAPLAB_IOC_CLEAN },
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
	      "  -H, --hold SECONDS|forever\n"
	      "                          keep the mapping and the fd that long (forever:\n"
	      "                          until Ctrl-C or SIGTERM) before unmapping; prints\n"
	      "                          the pid, the mapping's address and a control\n"
	      "                          socket on which 'mmaplab remap --pid PID'\n"
	      "                          changes the mapping meanwhile\n"
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

int create_parse_mapping_opt(const char *cmd, int c, const char *arg,
			     struct create_opts *o)
{
	switch (c) {
	case 'n':
		return ml_parse_u64(cmd, "--pages", arg, UINT64_MAX, &o->pages);
	case 'b':
		o->backing = ml_backing_parse(arg);
		if (!o->backing)
			return ml_usage_error(cmd, "invalid --backing value '%s' (expected pages, shmem, zero or pfn)",
					      arg);
		return 0;
	case CREATE_OPT_FAULT_AROUND:
		o->flags |= MMAPLAB_CONFIG_FAULT_AROUND;
		return 0;
	case CREATE_OPT_WRITE_NOTIFY:
		o->flags |= MMAPLAB_CONFIG_WRITE_NOTIFY;
		return 0;
	case 'm':
		return ml_parse_map(cmd, arg, &o->map);
	case 'p':
		return ml_parse_prot(cmd, arg, &o->prot);
	case 't':
		return ml_parse_touch(cmd, "--touch", arg, &o->touch);
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct create_opts *o)
{
	enum {
		OPT_GUARD = CREATE_OPT_NEXT,
		OPT_INVALIDATE,
		OPT_REPLACE,
		OPT_CLEAN,
	};
	static const struct option longopts[] = {
		CREATE_LONGOPT_PAGES,
		CREATE_LONGOPT_BACKING,
		CREATE_LONGOPT_FAULT_AROUND,
		CREATE_LONGOPT_WRITE_NOTIFY,
		CREATE_LONGOPT_MAP,
		CREATE_LONGOPT_PROT,
		CREATE_LONGOPT_TOUCH,
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

	while ((c = getopt_long(argc, argv, CREATE_MAPPING_SHORTOPTS "fc:o:l:H:h",
				longopts, NULL)) != -1) {
		ret = 0;
		switch (c) {
		case 'f':
			o->fork = true;
			break;
		case 'c':
			ret = ml_parse_touch("create", "--child-touch", optarg,
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
			if (!strcmp(optarg, "forever"))
				o->hold_forever = true;
			else
				ret = ml_parse_u64("create", "--hold", optarg,
						   INT32_MAX, &o->hold);
			break;
		case 'h':
			create_usage(stdout);
			return -1;
		default:
			ret = create_parse_mapping_opt("create", c, optarg, o);
			if (ret < 0)
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

/* --------------------------------------------------------------- range */

void range_span(const struct create_opts *o, uint64_t *first, uint64_t *n)
{
	*first = o->range_pgoff;
	if (o->range_pages)
		*n = o->range_pages;
	else
		*n = o->range_pgoff < o->pages ? o->pages - o->range_pgoff : 0;
}

bool page_in_range(const struct create_opts *o, uint64_t obj_page)
{
	uint64_t first, n;

	range_span(o, &first, &n);
	return obj_page < o->pages && obj_page >= first &&
	       obj_page - first < n;
}

/* ------------------------------------------------------------- command */

ml_command_fn cmd_create;

int cmd_create(int argc, char **argv)
{
	struct create_opts o = {
		.pages		= DEFAULT_PAGES,
		.backing	= MMAPLAB_BACKING_PAGES,
		.map		= MAP_SHARED,
		.prot		= PROT_READ | PROT_WRITE,
		.touch		= ML_TOUCH_WRITE,
		.child_touch	= ML_TOUCH_WRITE,
		.replace	= -1,
	};
	struct create_run run;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? ML_EXIT_OK : ret;

	ret = create_run(&o, &run);
	if (ret)
		return ret;

	create_report(&o, &run);
	fflush(stdout);

	if (o.fork && !(WIFEXITED(run.cs.status) &&
			WEXITSTATUS(run.cs.status) == 0)) {
		char buf[64];

		ml_fmt_wait_status(buf, sizeof(buf), run.cs.status);
		ml_err("the child (pid %d) %s", (int)run.cs.pid, buf);
		ret = ML_EXIT_FAIL;
	}

	if (o.hold || o.hold_forever) {
		struct ml_held h;

		/* Requests may move, split or unmap it: unmap what is held. */
		ml_held_init(&h, run.fd, run.addr, run.len, o.map, o.prot);
		if (ml_hold_serve(&h, o.hold, o.hold_forever) && !ret)
			ret = ML_EXIT_FAIL;
		ml_held_release(&h);
		run.len = 0;
	}

	create_run_release(&run);
	return ret;
}
