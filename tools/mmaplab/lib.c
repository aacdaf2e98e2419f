// SPDX-License-Identifier: GPL-2.0
/*
 * lib.c - helpers shared by the mmaplab commands (see lib.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib.h"

struct ml_options ml_opt = {
	.device	= MMAPLAB_DEVICE_PATH,
	.json	= false,
	.color	= OUT_COLOR_AUTO,
};

/* ------------------------------------------------------------ messages */

void ml_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("mmaplab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ml_usage_hint(const char *cmd)
{
	if (cmd)
		fprintf(stderr, "try 'mmaplab %s --help'\n", cmd);
	else
		fputs("try 'mmaplab --help'\n", stderr);
	return ML_EXIT_USAGE;
}

int ml_option_error(const char *cmd, char **argv)
{
	static const char *const globals[] = {
		"--json", "--color", "--colour", "--device", "--version",
	};
	bool global = optopt == 'j' || optopt == 'd' || optopt == 'V';

	/* An unknown long option leaves optopt 0; it is argv[optind - 1]. */
	if (!optopt && optind > 0) {
		const char *arg = argv[optind - 1];

		for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
			size_t n = strlen(globals[i]);

			if (!strncmp(arg, globals[i], n) &&
			    (arg[n] == '\0' || arg[n] == '='))
				global = true;
		}
	}
	if (global)
		fprintf(stderr, "note: -j/--json, --color, -d/--device and -V/--version are global options: put them before the command, e.g. mmaplab -j %s ...\n",
			cmd);
	return ml_usage_hint(cmd);
}

int ml_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "mmaplab%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return ml_usage_hint(cmd);
}

int ml_parse_u64(const char *cmd, const char *opt, const char *arg,
		 uint64_t max, uint64_t *val)
{
	unsigned long long v;
	char *end;

	/* strtoull() would accept blanks, a sign and wrap "-1" around. */
	if (arg[0] < '0' || arg[0] > '9')
		goto bad;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end)
		goto bad;
	if (errno == ERANGE || v > max)
		return ml_usage_error(cmd, "%s value '%s' is too large (at most %" PRIu64 ")",
				      opt, arg, max);
	*val = v;
	return 0;
bad:
	return ml_usage_error(cmd, "invalid %s value '%s' (expected a non-negative decimal integer)",
			      opt, arg);
}

const char *ml_signame(int sig)
{
	static char buf[16];

	switch (sig) {
	case SIGBUS:	return "SIGBUS";
	case SIGSEGV:	return "SIGSEGV";
	case SIGKILL:	return "SIGKILL";
	case SIGTERM:	return "SIGTERM";
	case SIGINT:	return "SIGINT";
	case SIGABRT:	return "SIGABRT";
	case SIGILL:	return "SIGILL";
	case SIGFPE:	return "SIGFPE";
	case SIGTRAP:	return "SIGTRAP";
	default:
		snprintf(buf, sizeof(buf), "SIG%d", sig);
		return buf;
	}
}

const char *ml_backing_name(uint32_t backing)
{
	switch (backing) {
	case MMAPLAB_BACKING_NONE:	return "none";
	case MMAPLAB_BACKING_PAGES:	return "pages";
	default:			return NULL;
	}
}

/* -------------------------------------------------------------- device */

int ml_open_device(void)
{
	const char *path = ml_opt.device;
	bool is_default = !strcmp(path, MMAPLAB_DEVICE_PATH);
	struct stat stbuf;
	int fd, err;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		switch (err) {
		case ENOENT:
			ml_err("%s: %s (is the module loaded? try: sudo insmod module/mmaplab.ko%s)",
			       path, strerror(err),
			       is_default ? "" : "; or check the path given by -d/MMAPLAB_DEVICE");
			break;
		case ENXIO:
		case ENODEV:
			ml_err("%s: %s (the device node has no driver behind it: is the module loaded?)",
			       path, strerror(err));
			break;
		case EACCES:
		case EPERM:
		case EROFS:
			ml_err("%s: %s (read-write access is needed: run as root, or make the device node accessible, e.g. sudo chmod 0666 %s)",
			       path, strerror(err), path);
			break;
		default:
			ml_err("%s: %s", path, strerror(err));
			break;
		}
		return -1;
	}
	if (fstat(fd, &stbuf) == 0 && !S_ISCHR(stbuf.st_mode)) {
		ml_err("%s: not a character device (is this the mmaplab device?)",
		       path);
		close(fd);
		return -1;
	}
	return fd;
}

int ml_configure(int fd, uint64_t nr_pages, uint32_t backing)
{
	struct mmaplab_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.size = sizeof(cfg);
	cfg.nr_pages = nr_pages;
	cfg.backing = backing;
	if (ioctl(fd, MMAPLAB_IOC_CONFIGURE, &cfg) < 0)
		return -errno;
	return 0;
}

int ml_stats(int fd, uint32_t flags, struct mmaplab_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = flags;
	if (ioctl(fd, MMAPLAB_IOC_STATS, st) < 0)
		return -errno;
	if (st->size > sizeof(*st))
		st->size = sizeof(*st);
	return 0;
}

bool ml_stats_has(const struct mmaplab_stats *st, size_t off, size_t len)
{
	return off + len <= st->size;
}

int ml_ioctl_failed(int fd, unsigned long cmd, int err, uint64_t nr_pages)
{
	const char *name = "ioctl";
	struct mmaplab_stats st;
	char why[256] = "";
	bool have_limits;
	int code = ML_EXIT_FAIL;

	err = -err;
	if (cmd == MMAPLAB_IOC_CONFIGURE)
		name = "MMAPLAB_IOC_CONFIGURE";
	else if (cmd == MMAPLAB_IOC_STATS)
		name = "MMAPLAB_IOC_STATS";

	switch (err) {
	case ENOTTY:
		snprintf(why, sizeof(why),
			 "%s does not know this ioctl: is it the mmaplab device?",
			 ml_opt.device);
		code = ML_EXIT_NODEV;
		break;
	case E2BIG:
		snprintf(why, sizeof(why),
			 "the module refused the size of the argument: is it built from another ABI version?");
		break;
	}

	if (cmd == MMAPLAB_IOC_CONFIGURE && !why[0]) {
		/* The object is still unconfigured: its stats tell the limits. */
		have_limits = err != EINVAL && err != EBUSY &&
			      ml_stats(fd, 0, &st) == 0 &&
			      ml_stats_has(&st, offsetof(struct mmaplab_stats, reserved_pages),
					   sizeof(st.reserved_pages));
		switch (err) {
		case EFBIG:
			if (have_limits)
				snprintf(why, sizeof(why),
					 "nr_pages %" PRIu64 " is above the module's max_pages %llu",
					 nr_pages, (unsigned long long)st.max_pages);
			else
				snprintf(why, sizeof(why),
					 "nr_pages %" PRIu64 " is above the module's max_pages",
					 nr_pages);
			break;
		case ENOSPC:
			if (have_limits)
				snprintf(why, sizeof(why),
					 "nr_pages %" PRIu64 " does not fit in the module-wide budget: %llu of max_total_pages %llu already reserved",
					 nr_pages,
					 (unsigned long long)st.reserved_pages,
					 (unsigned long long)st.max_total_pages);
			else
				snprintf(why, sizeof(why),
					 "nr_pages %" PRIu64 " does not fit in the module-wide budget max_total_pages",
					 nr_pages);
			break;
		case EINVAL:
			if (nr_pages == 0)
				snprintf(why, sizeof(why),
					 "bad argument: an object needs at least 1 page");
			else
				snprintf(why, sizeof(why),
					 "bad argument: unknown backing, flags or padding");
			break;
		case EBUSY:
			snprintf(why, sizeof(why),
				 "the object is already mapped: configure it before mmap()");
			break;
		}
	} else if (cmd == MMAPLAB_IOC_STATS && !why[0] && err == EINVAL) {
		snprintf(why, sizeof(why), "bad argument: unknown flags");
	}

	if (why[0])
		ml_err("%s: %s (%s)", name, strerror(err), why);
	else
		ml_err("%s: %s", name, strerror(err));
	return code;
}

/* --------------------------------------------------------------- stats */

enum stat_kind {
	SK_U32,
	SK_U64,
	SK_BACKING,	/* u32, printed by name for humans */
};

struct stat_field {
	const char *name;	/* the uapi field name, also the JSON key */
	size_t off;
	size_t len;
	enum stat_kind kind;
	bool global;
	const char *meaning;
};

#define F(field, k, g, m) {						\
	.name = #field,							\
	.off = offsetof(struct mmaplab_stats, field),			\
	.len = sizeof(((struct mmaplab_stats *)0)->field),		\
	.kind = k, .global = g, .meaning = m }

static const struct stat_field stat_fields[] = {
	F(size,		   SK_U32,     false, "bytes of the answer the module filled in"),
	F(backing,	   SK_BACKING, false, "where this object's pages come from"),
	F(nr_pages,	   SK_U64,     false, "configured size of this object in pages"),
	F(mmaps,	   SK_U64,     false, "successful mmap() calls on this object"),
	F(vma_opens,	   SK_U64,     false, "VMA ->open calls (fork, VMA split, mremap move)"),
	F(vma_closes,	   SK_U64,     false, "VMA ->close calls (munmap, exit, merge)"),
	F(vmas_live,	   SK_U64,     false, "VMAs that map this object now"),
	F(faults,	   SK_U64,     false, "->fault calls, all kinds"),
	F(faults_read,	   SK_U64,     false, "->fault calls for a read access"),
	F(faults_write,	   SK_U64,     false, "->fault calls for a write access"),
	F(faults_cow,	   SK_U64,     false, "write faults on a private mapping (copy-on-write)"),
	F(faults_shared,   SK_U64,     false, "faults on a shared mapping"),
	F(faults_sigbus,   SK_U64,     false, "faults past the object's end, answered with SIGBUS"),
	F(pages_allocated, SK_U64,     false, "pages allocated on first touch"),
	F(pages_resident,  SK_U64,     false, "pages this object holds now"),

	F(abi_version,	   SK_U32,     true,  "ABI version of the module"),
	F(live_objects,	   SK_U64,     true,  "lab objects that exist now (this tool's own included)"),
	F(live_pages,	   SK_U64,     true,  "pages held by all lab objects now"),
	F(max_pages,	   SK_U64,     true,  "per-object limit (module parameter max_pages)"),
	F(max_total_pages, SK_U64,     true,  "module-wide limit on configured pages"),
	F(reserved_pages,  SK_U64,     true,  "pages configured by all live objects"),
};

#undef F

static uint64_t stat_value(const struct mmaplab_stats *st,
			   const struct stat_field *f)
{
	const char *base = (const char *)st + f->off;
	uint32_t v32;
	uint64_t v64;

	if (f->len == sizeof(v32)) {
		memcpy(&v32, base, sizeof(v32));
		return v32;
	}
	memcpy(&v64, base, sizeof(v64));
	return v64;
}

void ml_stats_print(const struct mmaplab_stats *st, bool global)
{
	const size_t n = sizeof(stat_fields) / sizeof(stat_fields[0]);
	struct out_table *t;

	if (out_json()) {
		json_obj_open(global ? "global" : "stats");
		for (size_t i = 0; i < n; i++) {
			const struct stat_field *f = &stat_fields[i];

			if (f->global != global)
				continue;
			if (ml_stats_has(st, f->off, f->len))
				json_u64(f->name, stat_value(st, f));
			else
				json_null(f->name);
		}
		json_obj_close();
		return;
	}

	t = out_table_new(3);
	out_table_col(t, 0, global ? "module" : "object", false);
	out_table_col(t, 1, "value", true);
	out_table_col(t, 2, "meaning", false);
	for (size_t i = 0; i < n; i++) {
		const struct stat_field *f = &stat_fields[i];
		uint64_t v;

		if (f->global != global)
			continue;
		out_table_row(t);
		out_table_cell(t, OC_NONE, "%s", f->name);
		if (!ml_stats_has(st, f->off, f->len)) {
			out_table_cell(t, OC_DIM, "-");
		} else {
			v = stat_value(st, f);
			if (f->kind == SK_BACKING && ml_backing_name(v))
				out_table_cell(t, OC_NONE, "%s", ml_backing_name(v));
			else
				out_table_cell(t, v ? OC_CYAN : OC_NONE, "%" PRIu64, v);
		}
		out_table_cell(t, OC_DIM, "%s", f->meaning);
	}
	out_table_print(t, 0);
	out_table_free(t);
}
