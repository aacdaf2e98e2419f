// SPDX-License-Identifier: GPL-2.0
/*
 * demo.c - "mmaplab demo [NAME]": the list of demos, the command, and the
 * way every demo talks (demo.h): steps, the bytes each process saw, the
 * counters of lab objects that changed, the page-table picture of a
 * mapping (walk.c), its /proc/self/maps lines, the claims and the lesson,
 * as human narration or as one JSON object.  The scenarios themselves are
 * in demo_*.c, one file per group of demos (and demo_lib.c, what they do
 * alike); nothing here maps memory.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "grid.h"
#include "report.h"
#include "walk.h"

/* The demos, in the order of the course. */
static const struct demo demos[] = {
	{ "kinds", "the four kinds of mapping (private/shared x file/anonymous)\n"
		   "                  and who sees a write", demo_kinds },
	{ "cow", "copy-on-write on a private file mapping: the file's page\n"
		 "                  stays, an anonymous copy appears", demo_cow },
	{ "private-update", "a private mapping still sees another process's update\n"
			    "                  of a page it has not written", demo_private_update },
	{ "mmio", "a shared file mapping is memory-mapped I/O: write, msync,\n"
		  "                  the file changes", demo_mmio },
	/* topics 5 and 6: demo_share.c */
	{ "shmem", "shared anonymous memory is a hidden shmem file (/dev/zero,\n"
		   "                  deleted) that fork() passes on", demo_shmem },
	{ "fork-exec", "fork() copies every mapping, each of its kind; exec() drops\n"
		       "                  them all", demo_fork_exec },

	/* topics 7 to 10: demo_faults.c */
	{ "guards", "PROT_NONE gaps (libraries, thread stacks) and three ways to\n"
		    "                  guard a page: the module, mprotect, MADV_GUARD_INSTALL",
	  demo_guards },
	{ "fault-kinds", "read, COW, shared and write-protect faults, seen live\n"
			 "                  through the module's counters and events",
	  demo_fault_kinds },
	{ "mkwrite", "->page_mkwrite: the first write to a clean shared page is\n"
		     "                  notified; cleaning arms it again; tmpfs has none",
	  demo_mkwrite },
	{ "split-merge", "mprotect and munmap cut VMAs; a driver's VMAs do not merge\n"
			 "                  back, anonymous ones do", demo_split_merge },

	/* topics 11 to 13: demo_remap.c */
	{ "madvise", "MADV_DONTNEED, MADV_FREE, MADV_RANDOM/SEQUENTIAL: what each\n"
		     "                  does to the pages and to the VMA", demo_madvise },
	{ "mremap", "grow or move a mapping, MREMAP_DONTUNMAP, MAP_FIXED over it,\n"
		    "                  remap_file_pages() as a new VMA", demo_mremap },
	{ "overcommit", "Committed_AS: which mappings are charged, and what each\n"
			"                  vm.overcommit_memory mode refuses", demo_overcommit },

	/* topics 14 and 15: demo_share.c */
	{ "boundaries", "whole pages: aligned offsets, lengths rounded up, SIGBUS\n"
			"                  past the end of the file", demo_boundaries },
	{ "open-mode", "the protection a descriptor's open mode allows (EACCES)",
	  demo_open_mode },

	/* topic 16: demo_sync.c */
	{ "map-sync", "MAP_SYNC on persistent memory: a DAX file accepts it and\n"
		      "                  commits its metadata at the write fault", demo_map_sync },
};

#define NR_DEMOS	ARRAY_SIZE(demos)
#define MAX_CLAIMS	32

/* The state of the running demo. */
static struct {
	bool pause;		/* --pause, and stdin is a terminal */
	bool all;		/* --all: every counter */
	unsigned int steps;
	bool in_step;		/* JSON: a step object is open */
	struct { const char *name; bool val; } claims[MAX_CLAIMS];
	unsigned int nr_claims;
	struct { const char *name; char *why; } skips[MAX_CLAIMS];
	unsigned int nr_skips;
	char *lesson;
} dm;

static void demo_usage(FILE *f)
{
	fputs("Usage: mmaplab [GLOBAL OPTIONS] demo [OPTIONS] [NAME]\n"
	      "\n"
	      "Without NAME, list the demos.  With NAME, run that demo: it says what it\n"
	      "is about to do, does it with real mappings (lab objects, a file, a memfd,\n"
	      "anonymous memory; a child process where the topic needs one), shows what\n"
	      "the kernel did (the bytes each process sees, the lab objects' counters\n"
	      "that changed, the page-table picture of the mapping as 'inspect --grid'\n"
	      "draws it, its /proc/self/maps lines) and ends with the lesson.\n"
	      "With --json, one object: the steps, the \"claims\" (the facts the lesson\n"
	      "rests on, as observed; \"skipped\": those this machine cannot show, and\n"
	      "why) and the lesson.\n"
	      "With --tour (and no NAME), every demo in the order of the course.\n"
	      "\n"
	      "Options:\n"
	      "  -t, --tour    run every demo, one topic after the other\n"
	      "  -p, --pause   wait for Enter between steps (only when stdin is a terminal)\n"
	      "  -a, --all     show every counter of a lab object, not only those that changed\n"
	      "  -h, --help    show this help and exit\n"
	      "\n"
	      "Exit status: 0 the demo ran (its claims say what it saw), 1 a system call\n"
	      "failed, 2 usage error or unknown demo, 3 device unavailable.\n",
	      f);
}

static void list_demos(void)
{
	if (out_json()) {
		json_begin();
		json_arr_open("demos");
		for (size_t i = 0; i < NR_DEMOS; i++) {
			size_t len = strlen(demos[i].summary);
			char *s = xmalloc(len + 1), *p, *q;

			memcpy(s, demos[i].summary, len + 1);
			/* fold the continuation lines of the summary */
			for (p = q = s; *p; p++) {
				if (*p == '\n') {
					while (p[1] == ' ')
						p++;
					*q++ = ' ';
					continue;
				}
				*q++ = *p;
			}
			*q = 0;
			json_obj_open(NULL);
			json_str("name", demos[i].name);
			json_u64("topic", i + 1);
			json_str("summary", s);
			json_obj_close();
			free(s);
		}
		json_arr_close();
		json_end();
		return;
	}
	printf("Demos (mmaplab demo NAME; make demo DEMO=NAME in the VM):\n");
	for (size_t i = 0; i < NR_DEMOS; i++)
		printf("  %-16s%s\n", demos[i].name, demos[i].summary);
}

/* ---------------------------------------------------------------- talk */

static void close_step(void)
{
	if (out_json() && dm.in_step) {
		json_arr_close();
		json_obj_close();
	}
	dm.in_step = false;
}

static void wait_enter(void)
{
	int c;

	out_printf(OC_DIM, "  (Enter to go on)");
	fflush(stdout);
	while ((c = getchar()) != EOF && c != '\n')
		;
	printf("\n");
}

/* Narration lines, each under a bar. */
static void say_lines(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		printf("  %s│%s %.*s\n", out_sgr(OC_DIM), out_sgr_reset(), len, p);
		p += len;
		if (*p)
			p++;
	}
}

static void say(const char *fmt, va_list ap)
{
	char *text = xvasprintf(fmt, ap);

	if (out_json()) {
		json_obj_open(NULL);
		json_str("say", text);
		json_obj_close();
	} else {
		say_lines(text);
	}
	free(text);
}

void dm_step(const char *title, const char *fmt, ...)
{
	va_list ap;

	close_step();
	if (dm.pause && dm.steps && !out_json())
		wait_enter();
	dm.steps++;
	if (out_json()) {
		json_obj_open(NULL);
		json_u64("step", dm.steps);
		json_str("title", title);
		json_arr_open("shows");
		dm.in_step = true;
	} else {
		printf("\n");
		out_printf(OC_BOLD, "%u. %s\n", dm.steps, title);
	}
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void dm_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void dm_byte(const char *who, const char *where, int byte)
{
	char b[16];

	if (out_json()) {
		json_obj_open(NULL);
		json_str("who", who);
		json_str("reads", where);
		ml_json_byte("byte", byte);
		json_obj_close();
		return;
	}
	ml_fmt_byte(b, sizeof(b), byte);
	printf("    %s reads %s: ", who, where);
	out_printf(ml_byte_color(byte), "%s\n", b);
}

struct change_ctx {
	struct out_table *t;
	unsigned int n;
};

static void json_change(const char *name, uint64_t before, uint64_t after,
			void *arg)
{
	(void)arg;
	json_obj_open(name);
	json_u64("before", before);
	json_u64("after", after);
	json_obj_close();
}

static void table_change(const char *name, uint64_t before, uint64_t after,
			 void *arg)
{
	struct change_ctx *c = arg;

	out_table_row(c->t);
	out_table_cell(c->t, OC_NONE, "%s", name);
	out_table_cell(c->t, OC_DIM, "%" PRIu64, before);
	out_table_cell(c->t, OC_YELLOW, "%" PRIu64, after);
	out_table_cell(c->t, OC_NONE, "%+" PRId64, (int64_t)(after - before));
	c->n++;
}

void dm_counters(const char *label, const struct mmaplab_stats *before,
		 const struct mmaplab_stats *after)
{
	struct change_ctx c = { 0 };

	if (out_json()) {
		json_obj_open(NULL);
		json_str("counters", label);
		json_obj_open("changed");
		ml_stats_each_change(before, after, json_change, NULL);
		json_obj_close();
		if (dm.all)
			ml_stats_json("all", after);
		json_obj_close();
		return;
	}
	printf("    counters of %s%s:\n", label, dm.all ? " (all)" : " that changed");
	if (dm.all) {
		ml_stats_print_before(after, before, "before");
		return;
	}
	c.t = out_table_new(4);
	out_table_col(c.t, 0, "counter", false);
	out_table_col(c.t, 1, "before", true);
	out_table_col(c.t, 2, "after", true);
	out_table_col(c.t, 3, "", true);
	ml_stats_each_change(before, after, table_change, &c);
	if (c.n)
		out_table_print(c.t, 6);
	else
		out_printf(OC_DIM, "      (none changed)\n");
	out_table_free(c.t);
}

struct grid_ctx {
	uint64_t start, end;
	struct ml_walk w;
};

static int grid_walk(int dev, const struct ml_target *t, void *arg)
{
	struct grid_ctx *g = arg;

	return ml_walk(dev, t, g->start, g->end, 0, &g->w);
}

int dm_grid(const char *label, const void *addr, size_t len, char **cells)
{
	struct grid_ctx g = { 0 };
	bool used[ML_CELL_NR] = { false };
	char perms[8], *all = NULL;
	size_t n = 0;
	int ret;

	g.start = (uintptr_t)addr;
	g.end = g.start + len;
	ret = ml_with_process(0, grid_walk, &g);
	if (ret) {
		ml_walk_free(&g.w);
		return ret;
	}
	for (size_t i = 0; i < g.w.nr_vmas; i++) {
		char *s = ml_grid_string(&g.w, &g.w.vmas[i]);
		size_t l = strlen(s);

		all = xrealloc(all, n + l + 1);
		memcpy(all + n, s, l + 1);
		n += l;
		free(s);
	}
	if (!all) {
		all = xmalloc(1);
		all[0] = 0;
	}
	if (out_json()) {
		json_obj_open(NULL);
		json_str("grid", label);
		ml_json_addr("start", g.start);
		json_str("perms", g.w.nr_vmas ? ml_vma_perms(&g.w.vmas[0].rec, perms) : NULL);
		json_str("cells", all);
		json_obj_close();
	} else {
		printf("    page tables of %s (%s): ", label,
		       g.w.nr_vmas ? ml_vma_perms(&g.w.vmas[0].rec, perms) : "no VMA");
		for (size_t i = 0; i < n; i++) {
			for (int c = 0; c < ML_CELL_NR; c++) {
				if (ml_cells[c].ch != all[i])
					continue;
				used[c] = true;
				out_printf(ml_cells[c].color, "%c", all[i]);
			}
		}
		out_printf(OC_DIM, "   ");
		for (int c = 0; c < ML_CELL_NR; c++)
			if (used[c])
				out_printf(OC_DIM, " %c %s;", ml_cells[c].ch, ml_cells[c].label);
		printf("\n");
	}
	ml_walk_free(&g.w);
	if (cells)
		*cells = all;
	else
		free(all);
	return 0;
}

int dm_grid_is(const char *label, const void *addr, size_t len,
	       const char *want, bool *is)
{
	char *cells = NULL;
	int ret = dm_grid(label, addr, len, &cells);
	size_t i;

	*is = !ret && want && strlen(cells) == strlen(want);
	for (i = 0; *is && want[i]; i++)
		*is = want[i] == '?' || want[i] == cells[i];
	free(cells);
	return ret;
}

struct maps_range {
	uintptr_t start, end;
};

static bool show_line(const struct dm_maps_line *l, void *arg)
{
	const struct maps_range *r = arg;

	if (l->end <= r->start || l->start >= r->end)
		return false;
	if (out_json())
		json_str(NULL, l->text);
	else
		out_printf(OC_CYAN, "      %s\n", l->text);
	return false;
}

void dm_maps(const char *label, const void *addr, size_t len)
{
	struct maps_range r = { (uintptr_t)addr, (uintptr_t)addr + len };

	if (out_json()) {
		json_obj_open(NULL);
		json_str("maps", label);
		json_arr_open("lines");
	} else {
		printf("    /proc/self/maps, %s:\n", label);
	}
	dm_maps_each(show_line, &r);
	if (out_json()) {
		json_arr_close();
		json_obj_close();
	}
}

void dm_claim(const char *name, bool val, const char *text)
{
	if (dm.nr_claims < MAX_CLAIMS) {
		dm.claims[dm.nr_claims].name = name;
		dm.claims[dm.nr_claims].val = val;
		dm.nr_claims++;
	}
	if (out_json()) {
		json_obj_open(NULL);
		json_str("claim", name);
		json_bool("value", val);
		json_str("text", text);
		json_obj_close();
		return;
	}
	printf("    %s: ", text);
	out_printf(val ? OC_GREEN : OC_RED, "%s\n", val ? "yes" : "no");
}

void dm_skip(const char *name, const char *text, const char *why)
{
	if (dm.nr_skips < MAX_CLAIMS) {
		dm.skips[dm.nr_skips].name = name;
		dm.skips[dm.nr_skips].why = xstrdup(why);
		dm.nr_skips++;
	}
	if (out_json()) {
		json_obj_open(NULL);
		json_str("claim", name);
		json_str("skipped", why);
		json_str("text", text);
		json_obj_close();
		return;
	}
	printf("    %s: ", text);
	out_printf(OC_YELLOW, "not shown here");
	printf(" (%s)\n", why);
}

void dm_lesson(const char *fmt, ...)
{
	va_list ap;

	close_step();
	va_start(ap, fmt);
	free(dm.lesson);
	dm.lesson = xvasprintf(fmt, ap);
	va_end(ap);
	if (!out_json()) {
		printf("\n");
		out_printf(OC_BOLD, "Lesson\n");
		say_lines(dm.lesson);
	}
}

/* ------------------------------------------------------------ helpers */

int dm_fail(const char *what)
{
	ml_err("demo: %s: %s", what, strerror(errno));
	return ML_EXIT_FAIL;
}

int dm_object(uint64_t pages, uint32_t backing, int *ret)
{
	return dm_object_flags(pages, backing, 0, ret);
}

int dm_object_flags(uint64_t pages, uint32_t backing, uint32_t flags, int *ret)
{
	int fd = ml_open_device(), err;

	if (fd < 0) {
		*ret = ML_EXIT_NODEV;
		return -1;
	}
	err = ml_configure(fd, pages, backing, flags);
	if (err) {
		struct mmaplab_config cfg = {
			.size = sizeof(cfg), .flags = flags, .nr_pages = pages,
			.backing = backing,
		};

		*ret = ml_ioctl_failed(fd, MMAPLAB_IOC_CONFIGURE, err, &cfg);
		close(fd);
		return -1;
	}
	return fd;
}

int dm_stats(int fd, struct mmaplab_stats *st)
{
	int err = ml_stats(fd, 0, st);

	return err ? ml_ioctl_failed(fd, MMAPLAB_IOC_STATS, err, NULL) : 0;
}

int dm_child(int (*fn)(void *arg), void *arg)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		dm_fail("fork");
		return -1;
	}
	if (pid == 0)
		_exit(fn(arg));
	return dm_reap(pid);
}

int dm_reap(pid_t pid)
{
	char buf[64];
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			dm_fail("waitpid");
			return -1;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	ml_fmt_wait_status(buf, sizeof(buf), status);
	ml_err("demo: the child %s", buf);
	return -1;
}

/* ------------------------------------------------------------ command */

static int run_demo(const struct demo *d)
{
	int ret;

	if (out_json()) {
		json_begin();
		json_str("demo", d->name);
		json_str("kernel", dm_kernel_release());
		json_arr_open("steps");
	} else {
		out_printf(OC_BOLD, "mmaplab demo %s", d->name);
		printf(" (kernel %s)\n", dm_kernel_release());
	}
	ret = d->run();
	close_step();
	if (out_json()) {
		json_arr_close();
		json_obj_open("claims");
		for (unsigned int i = 0; i < dm.nr_claims; i++)
			json_bool(dm.claims[i].name, dm.claims[i].val);
		json_obj_close();
		json_obj_open("skipped");
		for (unsigned int i = 0; i < dm.nr_skips; i++)
			json_str(dm.skips[i].name, dm.skips[i].why);
		json_obj_close();
		json_str("lesson", dm.lesson);
		json_bool("completed", ret == ML_EXIT_OK);
		json_end();
	}
	free(dm.lesson);
	dm.lesson = NULL;
	for (unsigned int i = 0; i < dm.nr_skips; i++)
		free(dm.skips[i].why);
	dm.nr_claims = 0;
	dm.nr_skips = 0;
	dm.steps = 0;
	return ret;
}

/* --tour: every demo, in the order of the course; stops at a failure. */
static int run_tour(void)
{
	int ret = ML_EXIT_OK;

	for (size_t i = 0; i < NR_DEMOS && ret == ML_EXIT_OK; i++) {
		if (i && dm.pause) {
			printf("\n");
			wait_enter();
		}
		printf("\n");
		out_printf(OC_DIM, "── topic %zu of %zu ", i + 1, NR_DEMOS);
		printf("\n");
		ret = run_demo(&demos[i]);
	}
	return ret;
}

ml_command_fn cmd_demo;

int cmd_demo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tour",  no_argument, NULL, 't' },
		{ "pause", no_argument, NULL, 'p' },
		{ "all",   no_argument, NULL, 'a' },
		{ "help",  no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool pause = false, tour = false;
	int c;

	while ((c = getopt_long(argc, argv, "tpah", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			tour = true;
			break;
		case 'p':
			pause = true;
			break;
		case 'a':
			dm.all = true;
			break;
		case 'h':
			demo_usage(stdout);
			return ML_EXIT_OK;
		default:
			return ml_option_error("demo", argv);
		}
	}
	if (argc - optind > 1)
		return ml_usage_error("demo", "unexpected argument '%s'",
				      argv[optind + 1]);
	dm.pause = pause && isatty(STDIN_FILENO);
	if (tour) {
		if (argc > optind)
			return ml_usage_error("demo", "--tour runs every demo: no NAME");
		if (out_json())
			return ml_usage_error("demo", "--tour is narration; with --json run one demo at a time");
		return run_tour();
	}
	if (argc == optind) {
		list_demos();
		return ML_EXIT_OK;
	}
	for (size_t i = 0; i < NR_DEMOS; i++)
		if (!strcmp(demos[i].name, argv[optind]))
			return run_demo(&demos[i]);
	return ml_usage_error("demo", "unknown demo '%s' (run 'mmaplab demo' for the list)",
			      argv[optind]);
}
