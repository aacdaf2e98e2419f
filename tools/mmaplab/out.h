/* SPDX-License-Identifier: GPL-2.0 */
/*
 * out.h - the mmaplab tool's tiny output layer.
 *
 * Two modes, chosen once by out_init():
 *  - human: text on stdout, tables with aligned columns, optional colour;
 *  - JSON:  exactly one JSON object on stdout, written with the json_*()
 *           calls (json_begin() ... json_end()).
 *
 * Commands ask out_json() which one to produce.  Nothing here prints to
 * stderr: diagnostics are the caller's business (see lib.h).
 */
#ifndef MMAPLAB_OUT_H
#define MMAPLAB_OUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum out_color_when {
	OUT_COLOR_AUTO,		/* stdout is a tty and NO_COLOR is unset/empty */
	OUT_COLOR_ALWAYS,
	OUT_COLOR_NEVER,
};

enum out_color {
	OC_NONE,
	OC_BOLD,
	OC_DIM,
	OC_RED,
	OC_GREEN,
	OC_YELLOW,
	OC_CYAN,
	OC_BLUE,
	OC_MAGENTA,
};

/* Parse "auto", "always" or "never"; -1 on anything else. */
int out_parse_color_when(const char *s, enum out_color_when *when);

/* Choose the mode; colour is never used in JSON mode. */
void out_init(bool json, enum out_color_when when);
bool out_json(void);
bool out_colored(void);

/* Escape sequence that starts colour @c ("" when colour is off). */
const char *out_sgr(enum out_color c);
/* Escape sequence that ends a colour ("" when colour is off). */
const char *out_sgr_reset(void);

/* printf() to stdout in colour @c (human mode). */
void out_printf(enum out_color c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Human tables: columns are sized to their widest cell (header included),
 * separated by two spaces; colour codes do not count towards the width.
 *
 *	t = out_table_new(2);
 *	out_table_col(t, 0, "name", false);
 *	out_table_col(t, 1, "value", true);
 *	out_table_row(t);
 *	out_table_cell(t, OC_NONE, "%s", "faults");
 *	out_table_cell(t, OC_NONE, "%d", 3);
 *	out_table_print(t, 0);
 *	out_table_free(t);
 */
struct out_table;

struct out_table *out_table_new(unsigned int ncols);
void out_table_col(struct out_table *t, unsigned int col, const char *header,
		   bool align_right);
void out_table_row(struct out_table *t);
void out_table_cell(struct out_table *t, enum out_color c, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
void out_table_print(const struct out_table *t, unsigned int indent);
void out_table_free(struct out_table *t);

/*
 * JSON writer.  @key is the member name inside an object and must be NULL
 * inside an array.  Strings are escaped per RFC 8259; bytes that are not
 * valid UTF-8 are written as U+FFFD so that the output is always valid.
 */
void json_begin(void);			/* the top-level '{' */
void json_end(void);			/* the top-level '}' and a newline */
void json_obj_open(const char *key);
void json_obj_close(void);
void json_arr_open(const char *key);
void json_arr_close(void);
void json_str(const char *key, const char *val);	/* NULL: null */
void json_u64(const char *key, uint64_t val);
void json_i64(const char *key, int64_t val);
void json_bool(const char *key, bool val);
void json_null(const char *key);

/* Write @s as a quoted, escaped JSON string to @f. */
void json_write_string(FILE *f, const char *s);

/*
 * malloc()/realloc()/strdup()/vasprintf()/asprintf() that exit(1) with a
 * message on failure.
 */
void *xmalloc(size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xvasprintf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* MMAPLAB_OUT_H */
