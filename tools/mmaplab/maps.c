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

/* Every VMA, its pages counted (not kept). */
static int maps_walk(int dev, const struct ml_target *t, void *arg)
{
	return ml_walk(dev, t, 0, ML_USER_END, ML_WALK_COUNT_ONLY, arg);
}

ml_command_fn cmd_maps;

int cmd_maps(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ml_walk w = { 0 };
	long pid = 0;
	int c, ret;

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

	ret = ml_with_process(pid, maps_walk, &w);
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
		ml_vma_table(&w, NULL, true);
	}
out:
	ml_walk_free(&w);
	return ret;
}
