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
	/* The others are taken after the command too (main.c). */
	static const char *const globals[] = { "--version" };
	bool global = optopt == 'V';

	/* An unknown long option leaves optopt 0; it is argv[optind - 1]. */
	if (!optopt && optind > 0) {
		const char *arg = argv[optind - 1];

		for (size_t i = 0; i < ARRAY_SIZE(globals); i++) {
			size_t n = strlen(globals[i]);

			if (!strncmp(arg, globals[i], n) &&
			    (arg[n] == '\0' || arg[n] == '='))
				global = true;
		}
	}
	if (global)
		fprintf(stderr, "note: -V/--version is an option of mmaplab itself: mmaplab -V\n");
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

static const char *const backing_names[] = {
	[MMAPLAB_BACKING_NONE]	= "none",
	[MMAPLAB_BACKING_PAGES]	= "pages",
	[MMAPLAB_BACKING_SHMEM]	= "shmem",
	[MMAPLAB_BACKING_ZERO]	= "zero",
	[MMAPLAB_BACKING_PFN]	= "pfn",
};

const char *ml_backing_name(uint32_t backing)
{
	if (backing >= ARRAY_SIZE(backing_names))
		return NULL;
	return backing_names[backing];
}

uint32_t ml_backing_parse(const char *name)
{
	for (uint32_t b = MMAPLAB_BACKING_NONE + 1;
	     b < ARRAY_SIZE(backing_names); b++)
		if (!strcmp(name, backing_names[b]))
			return b;
	return MMAPLAB_BACKING_NONE;
}

uint32_t ml_backing_flags(uint32_t backing)
{
	switch (backing) {
	case MMAPLAB_BACKING_PAGES:
		return MMAPLAB_CONFIG_FAULT_AROUND | MMAPLAB_CONFIG_WRITE_NOTIFY;
	case MMAPLAB_BACKING_PFN:
		return MMAPLAB_CONFIG_WRITE_NOTIFY;
	default:
		return 0;
	}
}

static const struct {
	const char *name;
	uint32_t bit;
} config_flags[ML_NR_CONFIG_FLAGS] = {
	{ "fault-around", MMAPLAB_CONFIG_FAULT_AROUND },
	{ "write-notify", MMAPLAB_CONFIG_WRITE_NOTIFY },
};

const char *ml_config_flag_name(unsigned int i)
{
	return i < ML_NR_CONFIG_FLAGS ? config_flags[i].name : NULL;
}

uint32_t ml_config_flag_bit(unsigned int i)
{
	return i < ML_NR_CONFIG_FLAGS ? config_flags[i].bit : 0;
}

const char *ml_config_flags_str(uint32_t flags, const char *sep, char *buf,
				size_t size)
{
	size_t len = 0;

	if (!size)
		return buf;
	buf[0] = '\0';
	if (!flags) {
		snprintf(buf, size, "none");
		return buf;
	}
	for (unsigned int i = 0; i < ML_NR_CONFIG_FLAGS; i++) {
		if (!(flags & config_flags[i].bit))
			continue;
		flags &= ~config_flags[i].bit;
		len += snprintf(buf + len, len < size ? size - len : 0, "%s%s",
				len ? sep : "", config_flags[i].name);
		if (len >= size)
			return buf;
	}
	if (flags)
		snprintf(buf + len, size - len, "%s0x%x", len ? sep : "", flags);
	return buf;
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

int ml_configure(int fd, uint64_t nr_pages, uint32_t backing, uint32_t flags)
{
	struct mmaplab_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.size = sizeof(cfg);
	cfg.flags = flags;
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

/* "--fault-around or --write-notify": the options that ask for @flags. */
static void flag_options(uint32_t flags, char *buf, size_t size)
{
	size_t len = 0;
	unsigned int n = 0, total = 0;

	for (unsigned int i = 0; i < ML_NR_CONFIG_FLAGS; i++)
		total += !!(flags & ml_config_flag_bit(i));
	buf[0] = '\0';
	for (unsigned int i = 0; i < ML_NR_CONFIG_FLAGS && len < size; i++) {
		if (!(flags & ml_config_flag_bit(i)))
			continue;
		n++;
		len += snprintf(buf + len, size - len, "%s--%s",
				n == 1 ? "" : n == total ? " or " : ", ",
				ml_config_flag_name(i));
	}
}

/* Why MMAPLAB_IOC_CONFIGURE said EINVAL to @cfg. */
static void explain_configure_einval(int fd, const struct mmaplab_config *cfg,
				     char *why, size_t size)
{
	const char *bname = ml_backing_name(cfg->backing);
	uint32_t refused = cfg->flags & ~ml_backing_flags(cfg->backing);
	struct mmaplab_stats st;
	char opts[64], names[64];

	if (cfg->nr_pages == 0) {
		snprintf(why, size, "bad argument: an object needs at least 1 page");
		return;
	}
	if (!bname || cfg->backing == MMAPLAB_BACKING_NONE) {
		snprintf(why, size, "bad argument: unknown backing %u",
			 (unsigned int)cfg->backing);
		return;
	}
	if (refused) {
		flag_options(refused, opts, sizeof(opts));
		snprintf(why, size, "backing %s does not take %s", bname, opts);
		return;
	}
	/* The object is still unconfigured: its stats tell the module's ABI. */
	if (ml_stats(fd, 0, &st) == 0 &&
	    ml_stats_has(&st, offsetof(struct mmaplab_stats, abi_version),
			 sizeof(st.abi_version)) &&
	    st.abi_version < 2 &&
	    (cfg->backing != MMAPLAB_BACKING_PAGES || cfg->flags)) {
		snprintf(why, size,
			 "the module speaks ABI version %u, which has only backing pages and no flags; this tool speaks version %d",
			 (unsigned int)st.abi_version, MMAPLAB_ABI_VERSION);
		return;
	}
	if (cfg->flags) {
		snprintf(why, size,
			 "the module refused backing %s with flags %s, which the ABI says that backing takes",
			 bname, ml_config_flags_str(cfg->flags, ",", names,
						    sizeof(names)));
		return;
	}
	snprintf(why, size, "bad argument: unknown backing, flags or padding");
}

int ml_ioctl_failed(int fd, unsigned long cmd, int err,
		    const struct mmaplab_config *cfg)
{
	const char *name = "ioctl";
	uint64_t nr_pages = cfg ? cfg->nr_pages : 0;
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

	if (cmd == MMAPLAB_IOC_CONFIGURE && cfg && !why[0]) {
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
			explain_configure_einval(fd, cfg, why, sizeof(why));
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
