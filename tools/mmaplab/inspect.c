// SPDX-License-Identifier: GPL-2.0
/*
 * inspect.c - "mmaplab inspect": the VMAs of a process and the page-table
 * entry and page behind each of their pages, as tables, as a grid of
 * pages (--grid, grid.c) or an SVG of that grid (--svg), or JSON.
 *
 * What to show is chosen in two walks (walk.c): one of VMA records only
 * over the whole address space, which numbers the VMAs (--vma N) and
 * finds an object's (--object ID); then one with page records over the
 * chosen ranges.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grid.h"
#include "report.h"
#include "walk.h"

static void inspect_usage(FILE *f)
{
	fputs("Usage: mmaplab [GLOBAL OPTIONS] inspect [OPTIONS] [PID] [ADDR[-END] | --vma N | --object ID]\n"
	      "\n"
	      "Show the VMAs of process PID (default: this command itself, \"self\") and,\n"
	      "for every page of them, what its page-table entry says and what the\n"
	      "page is, as the module's MMAPLAB_IOC_INSPECT reports it.  Without a\n"
	      "range, the whole address space.\n"
	      "\n"
	      "Reading another process's page tables needs what reading its\n"
	      "/proc/PID/pagemap needs (ptrace read access): the tool opens that file\n"
	      "and hands it to the module.  PFNs are 0 (not shown) without\n"
	      "CAP_SYS_ADMIN, as in pagemap.\n"
	      "\n"
	      "Range (at most one):\n"
	      "  ADDR[-END]          hexadecimal addresses (0x optional): the page at ADDR,\n"
	      "                      or the pages of [ADDR, END); a lone argument is a\n"
	      "                      PID when it is decimal digits, so give ADDR with 0x\n"
	      "  -v, --vma N         the Nth VMA (numbered from 0, as in the table)\n"
	      "  -o, --object ID     the VMAs of mmaplab object ID (the object_id of\n"
	      "                      'mmaplab create', the id column here)\n"
	      "\n"
	      "Options:\n"
	      "  -g, --grid          instead of the tables, a map of the pages: one cell\n"
	      "                      per page, one row of up to 64 cells per line:\n"
	      "                        .  not present        r  present, read-only\n"
	      "                        w  present, writable  D  writable and dirty\n"
	      "                        C  COW copy (anonymous page in a private file\n"
	      "                           mapping)           0  the shared zero page\n"
	      "                        G  PROT_NONE entry or guard marker\n"
	      "                        s  swapped out        ?  migration, other entry\n"
	      "                      coloured on a terminal (see --color)\n"
	      "  -s, --svg FILE      also write that map as an SVG picture to FILE\n"
	      "  -a, --all           list empty pages (no entry) in the page table too\n"
	      "  -h, --help          show this help and exit\n"
	      "\n"
	      "Exit status: 0 success, 1 the walk or writing FILE failed (or no such\n"
	      "VMA, object or process), 2 usage error, 3 device unavailable, 4 not\n"
	      "allowed to read the process's page tables.\n"
	      "\n"
	      "Examples:\n"
	      "  mmaplab inspect 1234 --grid\n"
	      "  mmaplab inspect 1234 0x7f6a1c000000-0x7f6a1c010000\n"
	      "  mmaplab inspect 1234 --object 7 --svg object7.svg\n",
	      f);
}

struct inspect_opts {
	long pid;
	bool have_range;
	uint64_t start, end;
	bool have_vma;
	uint64_t vma;
	bool have_object;
	uint64_t object;
	bool grid;
	bool all;
	const char *svg;
};

static int parse_args(int argc, char **argv, struct inspect_opts *o)
{
	static const struct option longopts[] = {
		{ "vma",    required_argument, NULL, 'v' },
		{ "object", required_argument, NULL, 'o' },
		{ "grid",   no_argument,       NULL, 'g' },
		{ "svg",    required_argument, NULL, 's' },
		{ "all",    no_argument,       NULL, 'a' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	int c, nargs;

	while ((c = getopt_long(argc, argv, "v:o:gs:ah", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (ml_parse_u64("inspect", "--vma", optarg, UINT32_MAX, &o->vma))
				return ML_EXIT_USAGE;
			o->have_vma = true;
			break;
		case 'o':
			if (ml_parse_u64("inspect", "--object", optarg, UINT64_MAX, &o->object))
				return ML_EXIT_USAGE;
			o->have_object = true;
			break;
		case 'g':
			o->grid = true;
			break;
		case 's':
			if (!optarg[0])
				return ml_usage_error("inspect", "--svg needs a file name");
			o->svg = optarg;
			break;
		case 'a':
			o->all = true;
			break;
		case 'h':
			inspect_usage(stdout);
			return -1;
		default:
			return ml_option_error("inspect", argv);
		}
	}
	nargs = argc - optind;
	if (nargs > 2)
		return ml_usage_error("inspect", "unexpected argument '%s'",
				      argv[optind + 2]);
	if (nargs == 2 || (nargs == 1 && ml_looks_like_pid(argv[optind]))) {
		if (ml_parse_pid("inspect", argv[optind++], &o->pid))
			return ML_EXIT_USAGE;
		nargs--;
	}
	if (nargs == 1) {
		if (ml_parse_addr_range("inspect", argv[optind], page_size,
					&o->start, &o->end))
			return ML_EXIT_USAGE;
		o->have_range = true;
	}
	if (o->have_range + o->have_vma + o->have_object > 1)
		return ml_usage_error("inspect", "give at most one of ADDR[-END], --vma and --object");
	return 0;
}

/* The number of the VMA of @all that holds @addr, -1 if none. */
static long vma_number(const struct ml_walk *all, uint64_t addr)
{
	for (size_t i = 0; i < all->nr_vmas; i++)
		if (addr >= all->vmas[i].rec.start && addr < all->vmas[i].rec.end)
			return (long)i;
	return -1;
}

/* Walk, with pages, what @o chose, into @w; @all numbers the VMAs. */
static int walk_chosen(int dev, const struct ml_target *t,
		       const struct inspect_opts *o, const struct ml_walk *all,
		       struct ml_walk *w)
{
	int ret;

	if (o->have_range)
		return ml_walk(dev, t, o->start, o->end, 0, w);
	if (o->have_vma) {
		if (o->vma >= all->nr_vmas) {
			ml_err("no VMA %" PRIu64 ": the process has %zu (0 to %zu)",
			       o->vma, all->nr_vmas,
			       all->nr_vmas ? all->nr_vmas - 1 : 0);
			return ML_EXIT_FAIL;
		}
		return ml_walk(dev, t, all->vmas[o->vma].rec.start,
			       all->vmas[o->vma].rec.end, 0, w);
	}
	if (o->have_object) {
		for (size_t i = 0; i < all->nr_vmas; i++) {
			if (all->vmas[i].rec.object_id != o->object)
				continue;
			ret = ml_walk(dev, t, all->vmas[i].rec.start,
				      all->vmas[i].rec.end, 0, w);
			if (ret)
				return ret;
		}
		if (!w->nr_vmas) {
			ml_err("no VMA of the process maps mmaplab object %" PRIu64,
			       o->object);
			return ML_EXIT_FAIL;
		}
		return 0;
	}
	return ml_walk(dev, t, 0, ML_USER_END, 0, w);
}

struct inspect_walks {
	const struct inspect_opts *o;
	struct ml_walk *all, *w;
};

/* The VMAs of the whole space into ->all, then what was chosen into ->w. */
static int inspect_walks(int dev, const struct ml_target *t, void *arg)
{
	struct inspect_walks *iw = arg;
	int ret;

	ret = ml_walk(dev, t, 0, ML_USER_END, ML_WALK_NO_PAGES, iw->all);
	if (!ret)
		ret = walk_chosen(dev, t, iw->o, iw->all, iw->w);
	return ret;
}

/* ------------------------------------------------------------- output */

static bool pfns_hidden(const struct ml_walk *w)
{
	bool present = false;

	for (size_t i = 0; i < w->nr_pages; i++) {
		if (w->pages[i].pfn)
			return false;
		present |= w->pages[i].pte == MMAPLAB_PTE_PRESENT;
	}
	return present;
}

static void page_table(const struct ml_walk *w, const long *index, bool all)
{
	bool hide_pfn = pfns_hidden(w);
	struct out_table *t = out_table_new(hide_pfn ? 8 : 9);
	char buf[256];
	size_t empty = 0;
	unsigned int col = 0;

	out_table_col(t, col++, "addr", false);
	out_table_col(t, col++, "vma", true);
	out_table_col(t, col++, "pte", false);
	out_table_col(t, col++, "cell", false);
	out_table_col(t, col++, "entry", false);
	out_table_col(t, col++, "page", false);
	out_table_col(t, col++, "map", true);
	out_table_col(t, col++, "ref", true);
	if (!hide_pfn)
		out_table_col(t, col++, "pfn", true);
	for (size_t i = 0; i < w->nr_vmas; i++) {
		const struct ml_vma *v = &w->vmas[i];
		const struct mmaplab_inspect_page *p = ml_vma_pages(w, v);

		for (size_t j = 0; p && j < v->nr_pages; j++, p++) {
			enum ml_cell cell = ml_page_cell(&v->rec, p);
			const struct ml_cell_desc *d = &ml_cells[cell];

			if (cell == ML_CELL_EMPTY && !all) {
				empty++;
				continue;
			}
			out_table_row(t);
			out_table_cell(t, OC_NONE, "%" PRIx64, (uint64_t)p->addr);
			if (index[i] >= 0)
				out_table_cell(t, OC_NONE, "%ld", index[i]);
			else
				out_table_cell(t, OC_DIM, "?");
			out_table_cell(t, OC_NONE, "%s", ml_pte_state_name(p->pte));
			out_table_cell(t, d->color, "%c %s", d->ch, d->name);
			ml_pte_flags_str(p->pte_flags, ",", buf, sizeof(buf));
			if (p->pte == MMAPLAB_PTE_SWAP) {
				size_t len = strlen(buf);

				snprintf(buf + len, sizeof(buf) - len,
					 "%sswap %u:%" PRIx64, len ? "," : "",
					 p->swap_type, (uint64_t)p->swap_offset);
			}
			out_table_cell(t, OC_NONE, "%s", buf[0] ? buf : "-");
			ml_page_flags_str(p->page_flags & ~MMAPLAB_PAGE_HAS_STRUCT,
					  ",", buf, sizeof(buf));
			out_table_cell(t, OC_NONE, "%s", buf[0] ? buf : "-");
			if (p->page_flags & MMAPLAB_PAGE_HAS_STRUCT) {
				out_table_cell(t, OC_NONE, "%d", p->mapcount);
				out_table_cell(t, OC_NONE, "%d", p->refcount);
			} else {
				out_table_cell(t, OC_DIM, "-");
				out_table_cell(t, OC_DIM, "-");
			}
			if (!hide_pfn) {
				if (p->pfn)
					out_table_cell(t, OC_NONE, "%" PRIx64,
						       (uint64_t)p->pfn);
				else
					out_table_cell(t, OC_DIM, "-");
			}
		}
	}
	out_table_print(t, 0);
	out_table_free(t);
	if (empty)
		out_printf(OC_DIM, "(%zu empty page%s not listed: --all lists them, --grid maps them)\n",
			   empty, empty == 1 ? "" : "s");
	if (hide_pfn)
		out_printf(OC_DIM, "(pfn: every PFN is 0: they are shown only to CAP_SYS_ADMIN, as in /proc/PID/pagemap)\n");
}

static void inspect_json(const struct ml_walk *w, const long *index,
			 const struct inspect_opts *o)
{
	size_t empty = 0;

	json_begin();
	if (o->pid)
		json_i64("pid", o->pid);
	else
		json_i64("pid", (int64_t)getpid());
	json_bool("self", !o->pid);
	json_u64("page_size", w->page_size);
	json_bool("pfns_hidden", pfns_hidden(w));
	json_str("svg", o->svg);
	json_arr_open("vmas");
	for (size_t i = 0; i < w->nr_vmas; i++)
		ml_json_inspect_vma(NULL, w, &w->vmas[i], index[i]);
	json_arr_close();
	json_arr_open("pages");
	for (size_t i = 0; i < w->nr_vmas; i++) {
		const struct ml_vma *v = &w->vmas[i];
		const struct mmaplab_inspect_page *p = ml_vma_pages(w, v);

		for (size_t j = 0; p && j < v->nr_pages; j++) {
			if (p[j].pte == MMAPLAB_PTE_EMPTY && !o->all) {
				empty++;
				continue;
			}
			ml_json_inspect_page(NULL, v, &p[j], index[i]);
		}
	}
	json_arr_close();
	json_u64("pages_not_listed", empty);
	json_end();
}

static int write_svg(const char *path, const struct ml_walk *w,
		     const long *index, const struct inspect_opts *o)
{
	char title[96];
	FILE *f = fopen(path, "w");
	int err;

	if (!f) {
		ml_err("%s: %s", path, strerror(errno));
		return ML_EXIT_FAIL;
	}
	if (o->pid)
		snprintf(title, sizeof(title), "mmaplab inspect: process %ld", o->pid);
	else
		snprintf(title, sizeof(title), "mmaplab inspect: process %d (self)",
			 (int)getpid());
	errno = 0;
	err = ml_grid_svg(f, w, index, title);
	if (fclose(f) != 0)
		err = -1;
	if (err) {
		ml_err("%s: %s", path, strerror(errno ? errno : EIO));
		return ML_EXIT_FAIL;
	}
	return 0;
}

ml_command_fn cmd_inspect;

int cmd_inspect(int argc, char **argv)
{
	struct inspect_opts o = { 0 };
	struct ml_walk all = { 0 }, w = { 0 };
	struct inspect_walks walks;
	long *index = NULL;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? ML_EXIT_OK : ret;

	walks.o = &o;
	walks.all = &all;
	walks.w = &w;
	ret = ml_with_process(o.pid, inspect_walks, &walks);
	if (ret)
		goto out;

	index = xmalloc((w.nr_vmas + 1) * sizeof(*index));
	for (size_t i = 0; i < w.nr_vmas; i++)
		index[i] = vma_number(&all, w.vmas[i].rec.start);

	if (o.svg) {
		ret = write_svg(o.svg, &w, index, &o);
		if (ret)
			goto out;
	}
	if (out_json()) {
		inspect_json(&w, index, &o);
	} else if (o.grid) {
		ml_grid_print(&w, index);
	} else {
		if (o.pid)
			printf("process %ld: %zu VMA%s\n", o.pid, w.nr_vmas,
			       w.nr_vmas == 1 ? "" : "s");
		else
			printf("process %d (self): %zu VMA%s\n", (int)getpid(),
			       w.nr_vmas, w.nr_vmas == 1 ? "" : "s");
		ml_vma_table(&w, index, false);
		putchar('\n');
		page_table(&w, index, o.all);
	}
	if (o.svg && !out_json())
		printf("wrote %s\n", o.svg);
out:
	free(index);
	ml_walk_free(&w);
	ml_walk_free(&all);
	return ret;
}
