// SPDX-License-Identifier: GPL-2.0
/*
 * remap.c - "mmaplab remap": change a mapping with mremap(), mmap(MAP_FIXED),
 * remap_file_pages(), mprotect(), madvise(), msync() or munmap() and show
 * what changed: the VMAs before and after, the module callbacks that ran,
 * the pages that stayed.
 *
 * With --pid, the mapping is the one a "mmaplab create --hold" holds: the
 * request goes over its control socket (hold.c) and the holder runs it
 * (remap_exec.c).  Without, this process makes its own mapping as
 * "create" would (create_run()), runs the request itself and exits.  The
 * report is the same either way; this file parses and prints, nothing
 * else.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "create.h"
#include "remap.h"
#include "report.h"

static void remap_usage(FILE *f)
{
	fputs("Usage: mmaplab [GLOBAL OPTIONS] remap [--pid PID] [OPTIONS] OP [ARGS]\n"
	      "\n"
	      "Run one operation on a mapping of a lab object and show what changed:\n"
	      "its VMAs before and after (from /proc/PID/smaps and pagemap, each VMA's\n"
	      "pages: P present, g guard, s swapped, . none), the module callbacks\n"
	      "that ran and the counters that moved (MMAPLAB_IOC_STATS).  With --pid,\n"
	      "the mapping is the one held by 'mmaplab create --hold' in process PID\n"
	      "(the holder runs the operation: the mapping lives on for the next one);\n"
	      "without, a new object is mapped and touched here, as 'create' does.\n"
	      "\n"
	      "Operations (RANGE: pages of the mapping PAGE or PAGE:N, N pages from PAGE,\n"
	      "1 if N is not given, to the mapping's end if N is 0; or an address and a\n"
	      "length in bytes, 0xADDR:BYTES):\n"
	      "  show                          change nothing: the VMAs and counters now\n"
	      "  touch RANGE [read|write]      access byte 0 of each page (default read;\n"
	      "                                write stores 'P'); signals are results\n"
	      "  grow RANGE PAGES [may-move]   mremap() the range to PAGES pages more, in\n"
	      "                                place unless may-move (MREMAP_MAYMOVE)\n"
	      "  shrink RANGE PAGES            mremap() the range to PAGES pages less\n"
	      "  move RANGE [ADDR]             mremap(MREMAP_MAYMOVE|MREMAP_FIXED) to a\n"
	      "                                place the holder reserves, or to ADDR\n"
	      "                                inside what it holds\n"
	      "  dontunmap RANGE               mremap(MREMAP_MAYMOVE|MREMAP_DONTUNMAP):\n"
	      "                                the pages move, the old VMA stays, empty\n"
	      "  fixed RANGE [anon|object PG]  mmap(MAP_FIXED) over the range: anonymous\n"
	      "                                memory (default), or the object from its\n"
	      "                                page PG\n"
	      "  remap-file-pages RANGE PG     remap_file_pages(): show the object's page\n"
	      "                                PG onwards there (the kernel emulates it\n"
	      "                                with a new VMA); shared mappings only\n"
	      "  mprotect RANGE PROT           PROT: none, or letters of r, w, x\n"
	      "  madvise RANGE ADVICE          dontneed, free, sequential, willneed, cold,\n"
	      "                                pageout, guard-install, guard-remove,\n"
	      "                                normal, random\n"
	      "  msync RANGE [sync|async|invalidate]\n"
	      "  munmap RANGE\n"
	      "\n"
	      "Options:\n"
	      "  -P, --pid PID           act on the mapping held by PID\n"
	      "  -S, --socket PATH       its control socket (default: the one PID's\n"
	      "                          holder made, $XDG_RUNTIME_DIR/mmaplab-PID.sock\n"
	      "                          or /tmp/mmaplab-PID.sock)\n"
	      "Without --pid, the mapping to make (as for 'create'):\n"
	      "  -n, --pages N           object pages (default 4)\n"
	      "  -b, --backing KIND      pages (default), shmem, zero or pfn\n"
	      "      --fault-around, --write-notify\n"
	      "                          the object's flags\n"
	      "  -m, --map MODE          private or shared (default shared)\n"
	      "  -p, --prot PROT         none, or letters of r, w, x (default rw)\n"
	      "  -t, --touch HOW         first touch of each page: none, read, write\n"
	      "                          (default write)\n"
	      "  -h, --help              show this help and exit\n"
	      "\n"
	      "Exit status: 0 done, 1 refused (unaligned, out of range, no VMA there)\n"
	      "or the system call failed, 2 usage error, 3 device unavailable, 4 not\n"
	      "allowed to talk to the holder, 5 no holder at PID.\n"
	      "\n"
	      "Examples:\n"
	      "  mmaplab create --pages 8 --hold 600 &\n"
	      "  mmaplab remap --pid $! mprotect 2:2 none\n"
	      "  mmaplab remap --pid $! madvise 0:4 dontneed\n"
	      "  mmaplab remap --pid $! grow 4:4 4 may-move\n"
	      "  mmaplab remap --map shared remap-file-pages 0:2 2\n",
	      f);
}

/* ------------------------------------------------------------- parsing */

static int bad(const char *fmt, const char *arg)
{
	return ml_usage_error("remap", fmt, arg);
}

/* A number in decimal or 0x hexadecimal, filling all of @s. */
static bool parse_num(const char *s, uint64_t *v)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !*end && errno != ERANGE;
}

/* RANGE: PAGE, PAGE:N or 0xADDR:BYTES. */
static int parse_range(const char *arg, struct ml_remap_req *req)
{
	char buf[64], *colon;

	snprintf(buf, sizeof(buf), "%s", arg);
	colon = strchr(buf, ':');
	if (colon)
		*colon++ = '\0';
	req->unit = !strncmp(buf, "0x", 2) || !strncmp(buf, "0X", 2) ?
		    RU_BYTES : RU_PAGES;
	req->count = req->unit == RU_PAGES ? 1 : (uint64_t)sysconf(_SC_PAGESIZE);
	if (strlen(arg) >= sizeof(buf) || !parse_num(buf, &req->start) ||
	    (colon && !parse_num(colon, &req->count)))
		return bad("invalid RANGE '%s' (expected PAGE, PAGE:N or 0xADDR:BYTES)",
			   arg);
	if (req->unit == RU_BYTES && !req->count)
		return bad("invalid RANGE '%s': give a length in bytes", arg);
	return 0;
}

static int parse_pages(const char *what, const char *arg, uint64_t *v)
{
	if (!arg)
		return ml_usage_error("remap", "%s needs a number of pages", what);
	if (!parse_num(arg, v))
		return ml_usage_error("remap", "invalid %s value '%s' (expected a number of pages)",
				      what, arg);
	return 0;
}

/* OP [ARGS] in argv[0..argc), into @req. */
static int parse_op(int argc, char **argv, struct ml_remap_req *req)
{
	const char *op = argv[0], *a1 = argc > 2 ? argv[2] : NULL;
	const char *a2 = argc > 3 ? argv[3] : NULL;
	int max_args = 1, ret, v;

	for (req->op = RM_SHOW; req->op < RM_NR_OPS; req->op++)
		if (!strcmp(op, ml_remap_op_name(req->op)))
			break;
	if (req->op == RM_NR_OPS)
		return bad("unknown operation '%s' (see 'mmaplab remap --help')", op);
	if (req->op == RM_SHOW) {
		max_args = 0;
		goto check;
	}
	if (argc < 2)
		return ml_usage_error("remap", "%s needs a RANGE", op);
	ret = parse_range(argv[1], req);
	if (ret)
		return ret;

	switch (req->op) {
	case RM_TOUCH:
		max_args = 2;
		req->arg = ML_TOUCH_READ;
		if (a1 && !strcmp(a1, "write"))
			req->arg = ML_TOUCH_WRITE;
		else if (a1 && strcmp(a1, "read"))
			return bad("invalid touch '%s' (expected read or write)", a1);
		break;
	case RM_GROW:
	case RM_SHRINK:
		max_args = req->op == RM_GROW ? 3 : 2;
		ret = parse_pages(op, a1, &req->amount);
		if (ret)
			return ret;
		if (a2 && strcmp(a2, "may-move"))
			return bad("invalid grow flag '%s' (expected may-move)", a2);
		if (a2)
			req->arg = RM_GROW_MAYMOVE;
		break;
	case RM_MOVE:
		max_args = 2;
		if (a1 && !parse_num(a1, &req->target))
			return bad("invalid move target '%s' (expected an address)", a1);
		break;
	case RM_FIXED:
		max_args = 2;
		req->arg = RM_FIXED_ANON;
		if (a1 && !strcmp(a1, "object")) {
			max_args = 3;
			req->arg = RM_FIXED_OBJECT;
			ret = parse_pages("fixed object", a2, &req->amount);
			if (ret)
				return ret;
		} else if (a1 && strcmp(a1, "anon")) {
			return bad("invalid fixed source '%s' (expected anon or object PG)", a1);
		}
		break;
	case RM_REMAP_FILE_PAGES:
		max_args = 2;
		ret = parse_pages(op, a1, &req->amount);
		if (ret)
			return ret;
		break;
	case RM_MPROTECT:
		max_args = 2;
		if (!a1)
			return ml_usage_error("remap", "mprotect needs a PROT (none, or letters of r, w, x)");
		ret = ml_parse_prot("remap", a1, &v);
		if (ret)
			return ret;
		req->arg = (uint32_t)v;
		break;
	case RM_MADVISE:
		max_args = 2;
		if (!a1)
			return ml_usage_error("remap", "madvise needs an ADVICE (see --help)");
		v = ml_advice_parse(a1);
		if (v < 0)
			return bad("unknown advice '%s' (expected dontneed, free, sequential, willneed, cold, pageout, guard-install, guard-remove, normal or random)",
				   a1);
		req->arg = (uint32_t)v;
		break;
	case RM_MSYNC:
		max_args = 2;
		req->arg = MS_SYNC;
		if (a1 && !strcmp(a1, "async"))
			req->arg = MS_ASYNC;
		else if (a1 && !strcmp(a1, "invalidate"))
			req->arg = MS_SYNC | MS_INVALIDATE;
		else if (a1 && strcmp(a1, "sync"))
			return bad("invalid msync mode '%s' (expected sync, async or invalidate)",
				   a1);
		break;
	default:
		break;
	}
check:
	if (argc > 1 + max_args)
		return bad("unexpected argument '%s'", argv[1 + max_args]);
	return 0;
}

/* ----------------------------------------------------------- reporting */

enum side { BEFORE, AFTER };

/* What became of VMA @v of one snapshot, seen from the @other one. */
static const char *vma_fate(const struct ml_remap_vma *v,
			    const struct ml_snapshot *other, enum side side)
{
	unsigned int overlap = 0;
	const struct ml_remap_vma *o = NULL;

	for (uint32_t i = 0; i < other->nr_vmas; i++) {
		const struct ml_remap_vma *w = &other->vmas[i];

		if (w->start < v->end && w->end > v->start) {
			overlap++;
			o = w;
		}
	}
	if (!overlap)
		return side == BEFORE ? "gone" : "new";
	if (overlap == 1 && o->start == v->start && o->end == v->end) {
		if (strcmp(o->perms, v->perms))
			return "prot changed";
		if (o->offset != v->offset || strcmp(o->path, v->path))
			return "replaced";
		return "same";
	}
	if (overlap > 1)
		return side == BEFORE ? "split" : "merged";
	if (o->start <= v->start && o->end >= v->end)
		return side == BEFORE ? "grown/merged" : "piece of one";
	if (v->start <= o->start && v->end >= o->end)
		return side == BEFORE ? "cut" : "grown";
	return "moved edge";
}

static void vmas_table(const char *title, const struct ml_snapshot *snap,
		       const struct ml_snapshot *other, enum side side,
		       uint64_t ps)
{
	struct out_table *t = out_table_new(8);
	unsigned int c = 0;

	out_printf(OC_BOLD, "%s\n", title);
	out_table_col(t, c++, "range", false);
	out_table_col(t, c++, "perms", false);
	out_table_col(t, c++, "pgoff", true);
	out_table_col(t, c++, "pages", true);
	out_table_col(t, c++, "rss", true);
	out_table_col(t, c++, "present", false);
	out_table_col(t, c++, side == BEFORE ? "then" : "from before", false);
	out_table_col(t, c++, "path", false);
	for (uint32_t i = 0; i < snap->nr_vmas; i++) {
		const struct ml_remap_vma *v = &snap->vmas[i];
		const char *fate = vma_fate(v, other, side);
		uint64_t n = (v->end - v->start) / ps;

		out_table_row(t);
		/* As /proc/PID/maps writes it, so that one can grep for it. */
		out_table_cell(t, OC_NONE, "%08" PRIx64 "-%08" PRIx64,
			       v->start, v->end);
		out_table_cell(t, strchr(v->perms, 'w') ? OC_NONE :
			       !strncmp(v->perms, "---", 3) ? OC_RED : OC_CYAN,
			       "%s", v->perms);
		out_table_cell(t, OC_NONE, "%" PRIu64, v->offset / ps);
		out_table_cell(t, OC_NONE, "%" PRIu64, n);
		out_table_cell(t, OC_NONE, "%" PRIu64 "k", v->rss_kb);
		if (v->pages[0])
			out_table_cell(t, OC_NONE, "%s%s", v->pages,
				       n > ML_VMA_PRESENT_MAX ? "..." : "");
		else
			out_table_cell(t, OC_DIM, "%" PRIu64, v->present);
		out_table_cell(t, !strcmp(fate, "same") ? OC_DIM : OC_YELLOW,
			       "%s", fate);
		out_table_cell(t, OC_NONE, "%s", v->path[0] ? v->path : "[anon]");
	}
	out_table_print(t, 2);
	out_table_free(t);
	if (snap->more)
		printf("  (%u more VMAs not shown)\n", snap->more);
	if (!snap->nr_vmas)
		printf("  (none)\n");
}

static void change_row(const char *name, uint64_t a, uint64_t b, void *arg)
{
	struct out_table *t = arg;

	out_table_row(t);
	out_table_cell(t, OC_NONE, "%s", name);
	out_table_cell(t, OC_NONE, "%" PRIu64, a);
	out_table_cell(t, OC_NONE, "%" PRIu64, b);
	out_table_cell(t, OC_YELLOW, "%+" PRId64, (int64_t)(b - a));
}

static void change_json(const char *name, uint64_t a, uint64_t b, void *arg)
{
	(void)arg;
	json_i64(name, (int64_t)(b - a));
}

static uint64_t snap_present(const struct ml_snapshot *s, uint64_t *rss)
{
	uint64_t n = 0;

	*rss = 0;
	for (uint32_t i = 0; i < s->nr_vmas; i++) {
		n += s->vmas[i].present;
		*rss += s->vmas[i].rss_kb;
	}
	return n;
}

static void report_human(const struct ml_remap_req *req,
			 const struct ml_remap_resp *r, bool local)
{
	const uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t pa, pb, ra, rb;
	struct out_table *t;
	char title[128];

	out_printf(OC_BOLD, "remap %s", ml_remap_op_name(req->op));
	printf(" on %s pid %d, held mapping 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " pages)\n",
	       local ? "this process," : "the mapping of", (int)r->pid,
	       r->map_start, r->map_start + r->map_len, r->map_len / ps);
	if (r->len)
		printf("  range:  0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64
		       " page%s, from page %" PRId64 ")\n",
		       r->addr, r->addr + r->len, r->len / ps,
		       r->len == ps ? "" : "s",
		       (int64_t)(r->addr - r->map_start) / (int64_t)ps);
	if (r->call[0])
		printf("  call:   %s\n", r->call);
	if (r->status == ML_EXIT_OK) {
		out_printf(OC_GREEN, "  result: ok");
		if (req->op >= RM_GROW && req->op <= RM_DONTUNMAP)
			printf(", the mapping is now at 0x%" PRIx64, r->result);
		printf("\n");
	} else if (r->err) {
		out_printf(OC_RED, "  result: failed: %s", strerror(r->err));
		printf("\n");
	} else {
		out_printf(OC_RED, "  result: refused, nothing was done");
		printf("\n");
	}
	if (r->msg[0])
		printf("  %s  %s\n", r->status ? "why:  " : "note: ", r->msg);
	printf("\n");

	snprintf(title, sizeof(title), "VMAs before (/proc/%d/smaps, pagemap):",
		 (int)r->pid);
	vmas_table(title, &r->before, &r->after, BEFORE, ps);
	if (req->op != RM_SHOW) {
		snprintf(title, sizeof(title), "VMAs after:");
		vmas_table(title, &r->after, &r->before, AFTER, ps);
	}
	pb = snap_present(&r->before, &rb);
	pa = snap_present(&r->after, &ra);
	printf("  pages present: %" PRIu64 " before, %" PRIu64
	       " after; Rss %" PRIu64 " kB before, %" PRIu64 " kB after\n\n",
	       pb, pa, rb, ra);

	if (r->before.stats_err || r->after.stats_err) {
		printf("object counters: MMAPLAB_IOC_STATS failed: %s\n",
		       strerror(-(r->before.stats_err ?: r->after.stats_err)));
		return;
	}
	out_printf(OC_BOLD, "module callbacks and counters that moved (object %" PRIu64 "):\n",
		   (uint64_t)r->after.st.object_id);
	t = out_table_new(4);
	out_table_col(t, 0, "counter", false);
	out_table_col(t, 1, "before", true);
	out_table_col(t, 2, "after", true);
	out_table_col(t, 3, "change", true);
	ml_stats_each_change(&r->before.st, &r->after.st, change_row, t);
	out_table_print(t, 2);
	out_table_free(t);
	if (!memcmp(&r->before.st, &r->after.st, sizeof(r->before.st)))
		printf("  (none: the module heard nothing)\n");
}

static void json_vmas(const char *key, const struct ml_snapshot *s,
		      const struct ml_snapshot *other, enum side side)
{
	const uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);
	char buf[32];

	json_obj_open(key);
	json_arr_open("vmas");
	for (uint32_t i = 0; i < s->nr_vmas; i++) {
		const struct ml_remap_vma *v = &s->vmas[i];

		json_obj_open(NULL);
		snprintf(buf, sizeof(buf), "0x%" PRIx64, v->start);
		json_str("start", buf);
		snprintf(buf, sizeof(buf), "0x%" PRIx64, v->end);
		json_str("end", buf);
		json_str("perms", v->perms);
		json_u64("pgoff", v->offset / ps);
		json_u64("pages", (v->end - v->start) / ps);
		json_u64("rss_kb", v->rss_kb);
		json_u64("present", v->present);
		json_u64("swapped", v->swapped);
		if (v->pages[0])
			json_str("page_map", v->pages);
		else
			json_null("page_map");
		json_str("path", v->path[0] ? v->path : NULL);
		json_str("fate", vma_fate(v, other, side));
		json_obj_close();
	}
	json_arr_close();
	json_u64("more_vmas", s->more);
	if (s->stats_err)
		json_null("stats");
	else
		ml_stats_json("stats", &s->st);
	json_obj_close();
}

static void report_json(const struct ml_remap_req *req,
			const struct ml_remap_resp *r, bool local)
{
	char buf[32];

	json_begin();
	json_i64("pid", r->pid);
	json_bool("local", local);
	json_str("op", ml_remap_op_name(req->op));
	snprintf(buf, sizeof(buf), "0x%" PRIx64, r->map_start);
	json_obj_open("mapping");
	json_str("start", buf);
	json_u64("pages", r->map_len / (uint64_t)sysconf(_SC_PAGESIZE));
	json_obj_close();
	if (r->len) {
		snprintf(buf, sizeof(buf), "0x%" PRIx64, r->addr);
		json_str("addr", buf);
		json_u64("len", r->len);
	} else {
		json_null("addr");
		json_null("len");
	}
	json_str("call", r->call[0] ? r->call : NULL);
	json_bool("ok", r->status == ML_EXIT_OK);
	json_str("errno", r->err ? strerrorname_np(r->err) : NULL);
	json_str("error", r->err ? strerror(r->err) : NULL);
	json_str("message", r->msg[0] ? r->msg : NULL);
	if (r->status == ML_EXIT_OK && req->op >= RM_GROW &&
	    req->op <= RM_DONTUNMAP) {
		snprintf(buf, sizeof(buf), "0x%" PRIx64, r->result);
		json_str("new_addr", buf);
	} else {
		json_null("new_addr");
	}
	json_vmas("before", &r->before, &r->after, BEFORE);
	json_vmas("after", &r->after, &r->before, AFTER);
	json_obj_open("changed");
	if (!r->before.stats_err && !r->after.stats_err)
		ml_stats_each_change(&r->before.st, &r->after.st, change_json,
				     NULL);
	json_obj_close();
	json_end();
}

/* ------------------------------------------------------------- command */

/* Without --pid: a mapping of our own, made as "create" makes it. */
static int run_local(struct create_opts *o, const struct ml_remap_req *req,
		     struct ml_remap_resp *resp)
{
	struct create_run run;
	struct ml_held h;
	int ret;

	ret = create_run(o, &run);
	if (ret)
		return ret;
	ml_held_init(&h, run.fd, run.addr, run.len, o->map, o->prot);
	ml_remap_exec(&h, req, resp);
	ml_held_release(&h);
	run.len = 0;		/* the held ranges are unmapped already */
	create_run_release(&run);
	return ML_EXIT_OK;
}

ml_command_fn cmd_remap;

int cmd_remap(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid",	  required_argument, NULL, 'P' },
		{ "socket",	  required_argument, NULL, 'S' },
		CREATE_LONGOPT_PAGES,
		CREATE_LONGOPT_BACKING,
		CREATE_LONGOPT_FAULT_AROUND,
		CREATE_LONGOPT_WRITE_NOTIFY,
		CREATE_LONGOPT_MAP,
		CREATE_LONGOPT_PROT,
		CREATE_LONGOPT_TOUCH,
		{ "help",	  no_argument,	     NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct create_opts o = {
		.pages		= 4,
		.backing	= MMAPLAB_BACKING_PAGES,
		.map		= MAP_SHARED,
		.prot		= PROT_READ | PROT_WRITE,
		.touch		= ML_TOUCH_WRITE,
		.child_touch	= ML_TOUCH_NONE,
		.replace	= -1,
	};
	struct ml_remap_req req = {
		.magic = ML_REMAP_MAGIC,
		.version = ML_REMAP_VERSION,
		.size = sizeof(req),
	};
	struct ml_remap_resp *resp;
	const char *socket_path = NULL;
	bool local_opts = false;
	uint64_t pid = 0;
	char path[128];
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "+P:S:" CREATE_MAPPING_SHORTOPTS "h",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'P':
			ret = ml_parse_u64("remap", "--pid", optarg, INT32_MAX,
					   &pid);
			break;
		case 'S':
			socket_path = optarg;
			break;
		case 'h':
			remap_usage(stdout);
			return ML_EXIT_OK;
		default:
			ret = create_parse_mapping_opt("remap", c, optarg, &o);
			if (ret < 0)
				return ml_option_error("remap", argv);
			local_opts = true;
		}
		if (ret)
			return ret;
	}
	if (optind >= argc)
		return ml_usage_error("remap", "no operation given (show, touch, grow, shrink, move, dontunmap, fixed, remap-file-pages, mprotect, madvise, msync, munmap)");
	if ((pid || socket_path) && local_opts)
		return ml_usage_error("remap", "--pages, --backing, --map, --prot, --touch and the flags make a mapping here: they do not go with --pid or --socket");
	if (socket_path && !pid)
		return ml_usage_error("remap", "--socket needs --pid (the holder to name in messages)");
	ret = parse_op(argc - optind, argv + optind, &req);
	if (ret)
		return ret;
	o.length = o.pages;

	resp = xmalloc(sizeof(*resp));
	if (pid) {
		if (!socket_path) {
			ml_hold_socket_path((pid_t)pid, path, sizeof(path));
			socket_path = path;
		}
		ret = ml_hold_request(socket_path, (pid_t)pid, &req, resp);
	} else {
		ret = run_local(&o, &req, resp);
	}
	if (ret) {
		free(resp);
		return ret;
	}
	if (resp->status == ML_EXIT_OK || resp->ran) {
		if (out_json())
			report_json(&req, resp, !pid);
		else
			report_human(&req, resp, !pid);
	}
	if (resp->status != ML_EXIT_OK) {
		if (resp->err)
			ml_err("%s: %s%s%s%s", ml_remap_op_name(req.op),
			       strerror(resp->err), resp->msg[0] ? " (" : "",
			       resp->msg, resp->msg[0] ? ")" : "");
		else
			ml_err("%s refused: %s", ml_remap_op_name(req.op),
			       resp->msg);
	}
	ret = resp->status;
	free(resp);
	return ret;
}
