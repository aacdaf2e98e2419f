// SPDX-License-Identifier: GPL-2.0
/*
 * maps.c - "mmaplab maps [PID]": one row per VMA of a process, like
 * pmap -X: address, size, permissions, the vm_flags by their smaps names,
 * what backs it, offset, resident and swapped pages, name; mmaplab
 * objects marked with their id and backing.  One walk (walk.c) whose page
 * records are counted, not kept.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "report.h"
#include "walk.h"

static void maps_usage(FILE *f)
{
	fputs("Usage: mmaplab [GLOBAL OPTIONS] maps [--help] [PID]\n"
	      "\n"
	      "List the VMAs of process PID (default: this command itself, \"self\"),\n"
	      "one per row, as the module's MMAPLAB_IOC_INSPECT sees them: number (for\n"
	      "inspect --vma), address range, size, permissions (rwx, p private or\n"
	      "s shared), vm_flags by their smaps VmFlags names (rd wr ex sh mr mw me\n"
	      "ms gd pf lo io sr rr dc de lf ac nr ht sf wf dd sd mm hg nh mg um uw\n"
	      "ui), kind (anon, heap, stack, special, file, shmem, mmaplab), file\n"
	      "offset, resident and swapped pages, and name; a mapping of a mmaplab\n"
	      "object is named [mmaplab object ID, BACKING].\n"
	      "Needs what reading /proc/PID/pagemap needs (ptrace read access).\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help   show this help and exit\n"
	      "\n"
	      "Exit status: 0 success, 1 the walk failed or no such process, 2 usage\n"
	      "error, 3 device unavailable, 4 not allowed to read the process's page\n"
	      "tables.\n",
	      f);
}

static uint64_t resident(const struct ml_vma *v)
{
	return v->nr_pages - v->cells[ML_CELL_EMPTY] - v->cells[ML_CELL_SWAP] -
	       v->cells[ML_CELL_GUARD] - v->cells[ML_CELL_OTHER];
}

static void maps_table(const struct ml_walk *w)
{
	struct out_table *t = out_table_new(10);
	char buf[256], label[MMAPLAB_INSPECT_NAME_MAX + 64];
	uint64_t size = 0, rss = 0, swapped = 0;
	unsigned int col = 0;

	out_table_col(t, col++, "#", true);
	out_table_col(t, col++, "address", false);
	out_table_col(t, col++, "kB", true);
	out_table_col(t, col++, "perms", false);
	out_table_col(t, col++, "flags", false);
	out_table_col(t, col++, "kind", false);
	out_table_col(t, col++, "offset", true);
	out_table_col(t, col++, "resident", true);
	out_table_col(t, col++, "swapped", true);
	out_table_col(t, col++, "name", false);
	for (size_t i = 0; i < w->nr_vmas; i++) {
		const struct ml_vma *v = &w->vmas[i];
		bool lab = v->rec.kind == MMAPLAB_VMA_KIND_MMAPLAB ||
			   v->rec.object_id;

		size += v->rec.end - v->rec.start;
		rss += resident(v);
		swapped += v->cells[ML_CELL_SWAP];
		out_table_row(t);
		out_table_cell(t, OC_NONE, "%zu", i);
		out_table_cell(t, OC_NONE, "%012" PRIx64, (uint64_t)v->rec.start);
		out_table_cell(t, OC_NONE, "%" PRIu64,
			       (uint64_t)(v->rec.end - v->rec.start) / 1024);
		out_table_cell(t, OC_NONE, "%s", ml_vma_perms(&v->rec, buf));
		out_table_cell(t, OC_DIM, "%s",
			       ml_vm_flags_str(v->rec.vm_flags, " ", buf, sizeof(buf)));
		out_table_cell(t, lab ? OC_CYAN : OC_NONE, "%s",
			       ml_vma_kind_name(v->rec.kind));
		if (v->rec.info & MMAPLAB_VMA_HAS_FILE)
			out_table_cell(t, OC_NONE, "%08" PRIx64,
				       (uint64_t)v->rec.pgoff * w->page_size);
		else
			out_table_cell(t, OC_DIM, "-");
		out_table_cell(t, OC_NONE, "%" PRIu64, resident(v));
		out_table_cell(t, v->cells[ML_CELL_SWAP] ? OC_YELLOW : OC_NONE,
			       "%" PRIu64, (uint64_t)v->cells[ML_CELL_SWAP]);
		out_table_cell(t, lab ? OC_CYAN : OC_NONE, "%s",
			       ml_vma_label(&v->rec, label, sizeof(label)));
	}
	out_table_row(t);
	out_table_cell(t, OC_NONE, "%s", "");
	out_table_cell(t, OC_BOLD, "total");
	out_table_cell(t, OC_BOLD, "%" PRIu64, size / 1024);
	for (int i = 0; i < 4; i++)
		out_table_cell(t, OC_NONE, "%s", "");
	out_table_cell(t, OC_BOLD, "%" PRIu64, rss);
	out_table_cell(t, OC_BOLD, "%" PRIu64, swapped);
	out_table_print(t, 0);
	out_table_free(t);
}

ml_command_fn cmd_maps;

int cmd_maps(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ml_walk w = { 0 };
	struct ml_target t;
	long pid = 0;
	int c, dev, ret;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			maps_usage(stdout);
			return ML_EXIT_OK;
		default:
			return ml_option_error("maps", argv);
		}
	}
	if (argc - optind > 1)
		return ml_usage_error("maps", "unexpected argument '%s'",
				      argv[optind + 1]);
	if (argc - optind == 1 && ml_parse_pid("maps", argv[optind], &pid))
		return ML_EXIT_USAGE;

	ret = ml_target_open(pid, &t);
	if (ret)
		return ret;
	dev = ml_open_device();
	if (dev < 0) {
		ml_target_close(&t);
		return ML_EXIT_NODEV;
	}
	ret = ml_walk(dev, &t, 0, ML_USER_END, ML_WALK_COUNT_ONLY, &w);
	close(dev);
	ml_target_close(&t);
	if (ret)
		goto out;

	if (out_json()) {
		json_begin();
		json_i64("pid", pid ? pid : (long)getpid());
		json_bool("self", !pid);
		json_u64("page_size", w.page_size);
		json_arr_open("vmas");
		for (size_t i = 0; i < w.nr_vmas; i++)
			ml_json_inspect_vma(NULL, &w, &w.vmas[i], (long)i);
		json_arr_close();
		json_end();
	} else {
		if (pid)
			printf("process %ld:\n", pid);
		else
			printf("process %d (self):\n", (int)getpid());
		maps_table(&w);
	}
out:
	ml_walk_free(&w);
	return ret;
}
