/* SPDX-License-Identifier: GPL-2.0 */
/*
 * create.h - what the three files of "mmaplab create" share: the options
 * (create.c parses them), what running the scenario produced
 * (create_run.c) and the report of it (create_report.c).  remap.c also
 * runs the scenario, for a mapping of its own.
 */
#ifndef MMAPLAB_CREATE_H
#define MMAPLAB_CREATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib.h"
#include "mapping.h"

/* The range operations, at most one per run. */
enum range_op {
	OP_NONE,
	OP_GUARD,
	OP_INVALIDATE,
	OP_CLEAN,
};

struct range_op_desc {
	const char *name;	/* the option without "--", the JSON "op" */
	const char *ioctl;	/* the ioctl's name, for reports */
	unsigned long cmd;	/* the ioctl */
};

/* Indexed by enum range_op. */
extern const struct range_op_desc range_ops[];

struct create_opts {
	uint64_t pages;
	uint32_t backing;	/* enum mmaplab_backing */
	uint32_t flags;		/* MMAPLAB_CONFIG_* */
	uint64_t offset;
	uint64_t length;
	uint64_t hold;		/* --hold SECONDS */
	bool hold_forever;	/* --hold forever */
	bool length_set;
	int map;		/* MAP_SHARED or MAP_PRIVATE */
	int prot;		/* PROT_* */
	enum ml_touch touch;
	bool fork;
	enum ml_touch child_touch;
	bool child_touch_set;
	enum range_op op;
	uint64_t range_pgoff;	/* first object page of the range */
	uint64_t range_pages;	/* pages in the range, 0: to the object's end */
	int replace;		/* --replace byte, or -1 */
};

/*
 * The options that make the object and its mapping, which "remap" takes
 * too for a mapping of its own: their getopt_long() entries, their short
 * letters, and their parsing.  Long-only options of a command number from
 * CREATE_OPT_NEXT.
 */
enum {
	CREATE_OPT_FAULT_AROUND = 256,
	CREATE_OPT_WRITE_NOTIFY,
	CREATE_OPT_NEXT,
};

#define CREATE_MAPPING_SHORTOPTS	"n:b:m:p:t:"

/* Their getopt_long() entries: a command lists all seven, in this order. */
#define CREATE_LONGOPT_PAGES	{ "pages", required_argument, NULL, 'n' }
#define CREATE_LONGOPT_BACKING	{ "backing", required_argument, NULL, 'b' }
#define CREATE_LONGOPT_FAULT_AROUND \
	{ "fault-around", no_argument, NULL, CREATE_OPT_FAULT_AROUND }
#define CREATE_LONGOPT_WRITE_NOTIFY \
	{ "write-notify", no_argument, NULL, CREATE_OPT_WRITE_NOTIFY }
#define CREATE_LONGOPT_MAP	{ "map", required_argument, NULL, 'm' }
#define CREATE_LONGOPT_PROT	{ "prot", required_argument, NULL, 'p' }
#define CREATE_LONGOPT_TOUCH	{ "touch", required_argument, NULL, 't' }

/*
 * Option @c (a getopt_long() result) with value @arg, of command @cmd,
 * into @o: 0, the usage exit code of a bad value (reported), or -1 when
 * @c is not one of these options.
 */
int create_parse_mapping_opt(const char *cmd, int c, const char *arg,
			     struct create_opts *o);

/* The object pages the range of @o covers: [*first, *first + *n). */
void range_span(const struct create_opts *o, uint64_t *first, uint64_t *n);

/* Whether object page @obj_page is in the range of @o. */
bool page_in_range(const struct create_opts *o, uint64_t obj_page);

/* What happened to one page of the mapping. */
struct page_result {
	int touch_sig;		/* signal raised by the parent's touch, or 0 */
	int child_sig;		/* signal raised by the child's touch, or 0 */
	int child_sees;		/* byte the child saw after its touch, or -1 */
	int parent_sig;		/* signal raised by the parent's read-back */
	int parent_sees;	/* byte the parent read back, or -1 */
	/* With a range operation: */
	bool in_range;		/* the page's object page is in the range */
	int again_sig;		/* signal raised by the touch after the op */
	struct ml_calls calls;	/* callbacks of the touch again + read-back */
};

/* What the range operation did, for the report. */
struct range_result {
	uint64_t result;	/* struct mmaplab_range.result */
	enum ml_touch again;	/* the parent's touch after the op */
	struct mmaplab_stats before;	/* the object's stats before the op */
};

struct child_status {
	pid_t pid;
	int status;		/* from waitpid() */
};

/* A run of the scenario: what create_run() holds and found. */
struct create_run {
	int fd;				/* the object */
	unsigned char *addr;		/* its mapping, of len bytes */
	size_t len;
	struct page_result *res;	/* one per mapped page */
	struct child_status cs;		/* with --fork */
	struct range_result rr;		/* with a range operation */
	struct mmaplab_stats st;	/* the object's stats at the end */
};

/*
 * Open the device, configure the object, map it and run the steps of
 * @o into @run.  Returns ML_EXIT_OK, or the exit code of a failure it has
 * reported (everything released then).  After ML_EXIT_OK, the mapping and
 * the fd stay until create_run_release().
 */
int create_run(const struct create_opts *o, struct create_run *run);
void create_run_release(struct create_run *run);

/* Print @run as human text or as one JSON object (out_json()). */
void create_report(const struct create_opts *o, const struct create_run *run);

#endif /* MMAPLAB_CREATE_H */
