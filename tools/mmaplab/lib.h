/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lib.h - helpers shared by the mmaplab commands: global options, exit
 * codes, diagnostics, option values, the names of the ABI's values,
 * opening the device and the ioctl wrappers (lib.c).
 */
#ifndef MMAPLAB_LIB_H
#define MMAPLAB_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/mmaplab.h>

#include "compiler.h"
#include "out.h"

#define MMAPLAB_TOOL_VERSION	"0.1.0"

/* Exit codes, documented in --help and mmaplab(1). */
enum {
	ML_EXIT_OK	= 0,	/* the command did what was asked */
	ML_EXIT_FAIL	= 1,	/* an ioctl, mmap, fork, ... failed */
	ML_EXIT_USAGE	= 2,	/* bad command line */
	ML_EXIT_NODEV	= 3,	/* the device cannot be opened or is not ours */
	ML_EXIT_PERM	= 4,	/* not allowed to inspect the target process */
	ML_EXIT_NOHOLDER = 5,	/* remap: no holder answers at that pid */
};

/* Global options, set by main.c before a command runs. */
struct ml_options {
	const char *device;		/* -d, $MMAPLAB_DEVICE, MMAPLAB_DEVICE_PATH */
	bool json;			/* -j */
	enum out_color_when color;	/* --color */
};

extern struct ml_options ml_opt;

/* "mmaplab: MESSAGE\n" on stderr. */
void ml_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A usage error of command @cmd (NULL: the global command line):
 * "mmaplab[ CMD]: MESSAGE" and "try 'mmaplab[ CMD] --help'" on stderr.
 * Returns ML_EXIT_USAGE.
 */
int ml_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Only the hint line of ml_usage_error() (getopt already said why). */
int ml_usage_hint(const char *cmd);

/*
 * For the default case of a command's getopt_long() loop (getopt has
 * already printed why): the hint line, preceded by a note when the
 * offending option is a global one given after the command.
 */
int ml_option_error(const char *cmd, char **argv);

/*
 * Parse a non-negative decimal integer no larger than @max for option
 * @opt of command @cmd.  On error, reports a usage error and returns
 * ML_EXIT_USAGE; returns 0 on success.
 */
int ml_parse_u64(const char *cmd, const char *opt, const char *arg,
		 uint64_t max, uint64_t *val);

/*
 * Open the device ml_opt.device read-write.  On failure, explains it on
 * stderr (module not loaded, permissions, not a character device) and
 * returns -1: the command should exit with ML_EXIT_NODEV.
 */
int ml_open_device(void);

/*
 * MMAPLAB_IOC_CONFIGURE with @nr_pages, @backing (enum mmaplab_backing) and
 * @flags (MMAPLAB_CONFIG_*); 0 or a negative errno.  Fills @size itself.
 */
int ml_configure(int fd, uint64_t nr_pages, uint32_t backing, uint32_t flags);

/*
 * MMAPLAB_IOC_STATS; 0 or a negative errno.  Zeroes @st, fills @size and
 * @flags; on success st->size is what the module filled (at most
 * sizeof(*st)).
 */
int ml_stats(int fd, uint32_t flags, struct mmaplab_stats *st);

/*
 * Report the failure @err (negative errno) of ioctl @cmd on @fd, with an
 * explanation where one is known.  @cfg is the configuration that was
 * asked for (MMAPLAB_IOC_CONFIGURE only, else NULL).  Returns the exit
 * code to use: ML_EXIT_NODEV for ENOTTY (not an mmaplab device), else
 * ML_EXIT_FAIL.
 */
int ml_ioctl_failed(int fd, unsigned long cmd, int err,
		    const struct mmaplab_config *cfg);

/* true when the module filled the field at @off of size @len. */
bool ml_stats_has(const struct mmaplab_stats *st, size_t off, size_t len);

/* "SIGBUS", "SIGSEGV", ... */
const char *ml_signame(int sig);

/* "none", "pages", "shmem", "zero", "pfn", or NULL for an unknown value. */
const char *ml_backing_name(uint32_t backing);

/* The backing named @name ("pages", ...); 0 (NONE) when there is none. */
uint32_t ml_backing_parse(const char *name);

/*
 * The MMAPLAB_CONFIG_* flags that @backing can honour, as the ABI header
 * documents them (not asked of the module).
 */
uint32_t ml_backing_flags(uint32_t backing);

/* Number of MMAPLAB_CONFIG_* flags the tool knows, and their names. */
#define ML_NR_CONFIG_FLAGS	2
/* Name of flag number @i (0 .. ML_NR_CONFIG_FLAGS - 1): "fault-around". */
const char *ml_config_flag_name(unsigned int i);
/* The flag's bit, MMAPLAB_CONFIG_*. */
uint32_t ml_config_flag_bit(unsigned int i);

/*
 * @flags as names joined by @sep into @buf ("fault-around,write-notify"),
 * unknown bits as one hexadecimal number; "none" for 0.  Returns @buf.
 */
const char *ml_config_flags_str(uint32_t flags, const char *sep, char *buf,
				size_t size);

/*
 * A command, int cmd_NAME(int argc, char **argv) in NAME.c, listed in
 * main.c's commands[].  NAME.c declares it "ml_command_fn cmd_NAME;" above
 * its definition, as main.c does, so that both files are checked against
 * this type.
 */
typedef int ml_command_fn(int argc, char **argv);

#endif /* MMAPLAB_LIB_H */
