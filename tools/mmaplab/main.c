// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - mmaplab: global options, --help and command dispatch.
 *
 *	mmaplab [GLOBAL OPTIONS] COMMAND [ARGS]
 *
 * Global options come before the command (like ip(8)); each command
 * parses its own options and has its own --help.
 *
 * The layout, like iproute2's ip/: one file per command over shared
 * helpers, so that every command parses, fails and prints the same way.
 *
 *	main.c		global options, the command table, dispatch
 *	create*.c	"create": options and flow (create.c), the running of
 *			its scenario (create_run.c), its report
 *			(create_report.c), their types (create.h)
 *	stats.c		"stats"
 *	inspect.c	"inspect": VMA and page tables; grid.c its --grid
 *			and --svg pictures
 *	explain.c	"explain": one page in words
 *	maps.c		"maps": one row per VMA
 *	walk.c/h	MMAPLAB_IOC_INSPECT: the target, the restartable
 *			walk, the names of its values, a page's cell state
 *	remap.c		"remap": its options and report; remap_exec.c runs an
 *			operation in the holder, hold.c is the control socket
 *			of "create --hold" (remap.h: what they share)
 *	monitor.c	"monitor": the events, over generic netlink (libmnl)
 *	lib.c/h		exit codes, diagnostics, option values, the ABI's
 *			names, the device and its ioctls
 *	mapping.c/h	a mapping of the device: --map/--prot/--touch, accesses
 *			that survive SIGBUS/SIGSEGV, counted accesses, --hold
 *	report.c/h	how reported values look: the stats tables and JSON,
 *			the cells of per-page reports
 *	out.c/h		human tables, colour, one JSON object on stdout
 *	demo.c/h	"demo": the list of demos and how a demo talks;
 *			demo_*.c the scenarios, one file per group of demos
 *
 * Adding a command (inspect, remap, monitor, demo, ...):
 *  1. Write NAME.c: "ml_command_fn cmd_NAME;" (lib.h), then the function
 *     int cmd_NAME(int argc, char **argv).  It is called with argv[0]
 *     "mmaplab NAME", optind reset, and the global options (-j, --color,
 *     -d) already applied and removed.  Parse with getopt_long(): -h/--help
 *     prints NAME's usage on stdout and returns ML_EXIT_OK, the default
 *     case returns ml_option_error("NAME", argv), bad values go through
 *     ml_parse_*() or ml_usage_error().  Open the device with
 *     ml_open_device(), explain a failed ioctl with ml_ioctl_failed(),
 *     print through report.h and out.h (out_json() says which output) and
 *     return an ML_EXIT_* code; main() flushes stdout and turns a write
 *     error into ML_EXIT_FAIL.  A command too large for one file splits
 *     by concern, as create does.
 *  2. Declare "ml_command_fn cmd_NAME;" below and add its entry to
 *     commands[], in the order of --help.  The Makefile builds every .c
 *     file here.
 *  3. Document it in Documentation/mmaplab.1.rst; test it in
 *     selftests/mmaplab/tool_test.sh.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

/*
 * The commands: NAME.c defines int cmd_NAME(int argc, char **argv) for
 * each, declared here too so that both files are checked against
 * ml_command_fn.
 */
ml_command_fn cmd_create;
ml_command_fn cmd_stats;
ml_command_fn cmd_inspect;
ml_command_fn cmd_explain;
ml_command_fn cmd_maps;
ml_command_fn cmd_remap;
ml_command_fn cmd_monitor;
ml_command_fn cmd_demo;

struct command {
	const char *name;
	ml_command_fn *fn;
	const char *summary;
};

/* The command table, in the order of --help. */
static const struct command commands[] = {
	{ "create", cmd_create,
	  "configure a lab object, map it, touch it (fork, guard,\n"
	  "                  invalidate, clean) and report" },
	{ "stats", cmd_stats,
	  "print the module-wide figures" },
	{ "inspect", cmd_inspect,
	  "the VMAs and page-table entries of a process, as tables,\n"
	  "                  a grid of pages (--grid) or an SVG (--svg)" },
	{ "explain", cmd_explain,
	  "one page of a process in words: what maps it and why" },
	{ "maps", cmd_maps,
	  "one row per VMA of a process, like pmap -X" },
	{ "remap", cmd_remap,
	  "mremap, mprotect, madvise, munmap, ... a mapping (one held\n"
	  "                  by create --hold, or its own) and show what changed" },
	{ "monitor", cmd_monitor,
	  "print the module's events as they happen" },
	{ "demo", cmd_demo,
	  "the narrated demos of the course: list them, or run one" },
};

#define NR_COMMANDS	ARRAY_SIZE(commands)

static void print_usage(FILE *f)
{
	fputs("Usage: mmaplab [GLOBAL OPTIONS] COMMAND [ARGS]\n"
	      "\n"
	      "A laboratory for Linux memory mappings: drives the objects of the\n"
	      "mmaplab kernel module (" MMAPLAB_DEVICE_PATH ").\n"
	      "\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-16s%s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-16s%s\n", "help [COMMAND]", "show this help or a command's help");
	fputs("\n"
	      "Global options (before the command):\n"
	      "  -j, --json          machine output: one JSON object on stdout\n"
	      "      --color[=WHEN]  colour the human output: auto (default: when stdout\n"
	      "                      is a terminal and NO_COLOR is unset), always, never\n"
	      "  -d, --device PATH   device to open (default: $MMAPLAB_DEVICE, else\n"
	      "                      " MMAPLAB_DEVICE_PATH ")\n"
	      "  -h, --help          show this help and exit\n"
	      "  -V, --version       show the version and exit\n"
	      "\n"
	      "Exit status:\n"
	      "  0  success (a page that raised SIGBUS/SIGSEGV is reported, not an error)\n"
	      "  1  an operation failed (ioctl, mmap, fork, ...)\n"
	      "  2  usage error (unknown option, bad number, unknown command)\n"
	      "  3  device unavailable (cannot be opened, or not an mmaplab device)\n"
	      "  4  not allowed: to inspect the process (inspect, explain, maps),\n"
	      "     or to talk to the holder (remap)\n"
	      "  5  no holder answers at that pid (remap)\n"
	      "\n"
	      "Run 'mmaplab COMMAND --help' for a command's options; see mmaplab(1).\n",
	      f);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* Run @cmd with argv[0] replaced so getopt() says "mmaplab CMD: ...". */
static int run_command(const struct command *cmd, int argc, char **argv)
{
	char prog[64];

	snprintf(prog, sizeof(prog), "mmaplab %s", cmd->name);
	argv[0] = prog;
	optind = 0;	/* glibc: start a fresh scan of the new vector */
	return cmd->fn(argc, argv);
}

static int cmd_help(int argc, char **argv)
{
	const struct command *cmd;
	char help_opt[] = "--help";
	char *sub_argv[3];

	if (argc < 2) {
		print_usage(stdout);
		return ML_EXIT_OK;
	}
	if (argc > 2)
		return ml_usage_error(NULL, "help takes at most one command");
	cmd = find_command(argv[1]);
	if (!cmd)
		return ml_usage_error(NULL, "unknown command '%s'", argv[1]);
	sub_argv[0] = argv[1];
	sub_argv[1] = help_opt;
	sub_argv[2] = NULL;
	return run_command(cmd, 2, sub_argv);
}

/* Output that could not be written is a failure too (e.g. a full disk). */
static int finish(int ret)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ml_err("write error on stdout: %s", strerror(errno));
		if (ret == ML_EXIT_OK)
			ret = ML_EXIT_FAIL;
	}
	return ret;
}

/*
 * Take -j/--json, --color[=WHEN] and -d/--device PATH also after the
 * command ("mmaplab stats --json"), as users type them: apply them and
 * remove them from the command's arguments (up to a "--").  Returns 0,
 * or a usage exit code.
 */
static int hoist_global_options(int *argc, char **argv, int start)
{
	int i, out = start;

	for (i = start; i < *argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			ml_opt.json = true;
		} else if (!strcmp(a, "--color") || !strcmp(a, "--colour")) {
			ml_opt.color = OUT_COLOR_ALWAYS;
		} else if (!strncmp(a, "--color=", 8) || !strncmp(a, "--colour=", 9)) {
			if (out_parse_color_when(strchr(a, '=') + 1, &ml_opt.color))
				return ml_usage_error(NULL, "invalid --color value '%s' (expected auto, always or never)",
						      strchr(a, '=') + 1);
		} else if (!strcmp(a, "-d") || !strcmp(a, "--device")) {
			if (i + 1 >= *argc || !argv[i + 1][0])
				return ml_usage_error(NULL, "%s needs a non-empty path", a);
			ml_opt.device = argv[++i];
		} else if (!strncmp(a, "--device=", 9)) {
			if (!a[9])
				return ml_usage_error(NULL, "--device needs a non-empty path");
			ml_opt.device = a + 9;
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_COLOR = 256 };
	static const struct option longopts[] = {
		{ "json",    no_argument,       NULL, 'j' },
		{ "color",   optional_argument, NULL, OPT_COLOR },
		{ "colour",  optional_argument, NULL, OPT_COLOR },
		{ "device",  required_argument, NULL, 'd' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd;
	const char *env;
	char prog[] = "mmaplab";
	int c;

	env = getenv("MMAPLAB_DEVICE");
	if (env && env[0])
		ml_opt.device = env;

	if (argc > 0)
		argv[0] = prog;	/* getopt() messages say "mmaplab: ..." */
	while ((c = getopt_long(argc, argv, "+jd:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ml_opt.json = true;
			break;
		case OPT_COLOR:
			if (!optarg)
				ml_opt.color = OUT_COLOR_ALWAYS;
			else if (out_parse_color_when(optarg, &ml_opt.color))
				return ml_usage_error(NULL, "invalid --color value '%s' (expected auto, always or never)",
						      optarg);
			break;
		case 'd':
			if (!optarg[0])
				return ml_usage_error(NULL, "--device needs a non-empty path");
			ml_opt.device = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return ML_EXIT_OK;
		case 'V':
			printf("mmaplab %s (mmaplab ABI %d)\n",
			       MMAPLAB_TOOL_VERSION, MMAPLAB_ABI_VERSION);
			return ML_EXIT_OK;
		default:
			return ml_usage_hint(NULL);
		}
	}

	if (optind < argc) {
		int ret = hoist_global_options(&argc, argv, optind + 1);

		if (ret)
			return ret;
	}
	out_init(ml_opt.json, ml_opt.color);

	if (optind >= argc) {
		fputs("mmaplab: no command given\n", stderr);
		return ml_usage_hint(NULL);
	}
	if (!strcmp(argv[optind], "help"))
		return finish(cmd_help(argc - optind, argv + optind));
	cmd = find_command(argv[optind]);
	if (!cmd)
		return ml_usage_error(NULL, "unknown command '%s'", argv[optind]);
	return finish(run_command(cmd, argc - optind, argv + optind));
}
