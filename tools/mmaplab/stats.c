// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - "mmaplab stats": the module-wide figures.
 *
 * The module has no device-wide ioctl: the figures come with the stats of
 * an object, so this opens a fresh (unconfigured) object and asks it.
 * That object is itself counted in live_objects while we hold it open.
 */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "lib.h"
#include "report.h"

static void stats_usage(FILE *f)
{
	fputs("Usage: mmaplab [GLOBAL OPTIONS] stats [--help]\n"
	      "\n"
	      "Open the device (which creates a fresh, unconfigured lab object),\n"
	      "fetch MMAPLAB_IOC_STATS and print the module-wide figures:\n"
	      "abi_version, live_objects, live_pages, max_pages, max_total_pages and\n"
	      "reserved_pages.  live_objects counts this command's own object too.\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help   show this help and exit\n"
	      "\n"
	      "Exit status: 0 success, 1 the ioctl failed, 2 usage error,\n"
	      "3 device unavailable.\n",
	      f);
}

ml_command_fn cmd_stats;

int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mmaplab_stats st;
	int c, fd, err;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			stats_usage(stdout);
			return ML_EXIT_OK;
		default:
			return ml_option_error("stats", argv);
		}
	}
	if (optind < argc)
		return ml_usage_error("stats", "unexpected argument '%s'",
				      argv[optind]);

	fd = ml_open_device();
	if (fd < 0)
		return ML_EXIT_NODEV;
	err = ml_stats(fd, 0, &st);
	if (err) {
		err = ml_ioctl_failed(fd, MMAPLAB_IOC_STATS, err, NULL);
		close(fd);
		return err;
	}
	close(fd);

	if (out_json()) {
		json_begin();
		json_str("device", ml_opt.device);
		ml_stats_print(&st, true);
		json_end();
	} else {
		printf("device: %s\n", ml_opt.device);
		ml_stats_print(&st, true);
	}
	fflush(stdout);
	return ML_EXIT_OK;
}
