// SPDX-License-Identifier: GPL-2.0
/*
 * out.c - human tables or one JSON object on stdout (see out.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"
#include "out.h"

static bool out_is_json;
static bool out_use_color;

/* ---------------------------------------------------------------- misc */

static void out_of_memory(void)
{
	fputs("mmaplab: out of memory\n", stderr);
	exit(1);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		out_of_memory();
	return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		out_of_memory();
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

int out_parse_color_when(const char *s, enum out_color_when *when)
{
	if (!strcmp(s, "auto"))
		*when = OUT_COLOR_AUTO;
	else if (!strcmp(s, "always"))
		*when = OUT_COLOR_ALWAYS;
	else if (!strcmp(s, "never"))
		*when = OUT_COLOR_NEVER;
	else
		return -1;
	return 0;
}

void out_init(bool json, enum out_color_when when)
{
	const char *no_color = getenv("NO_COLOR");

	out_is_json = json;
	switch (when) {
	case OUT_COLOR_ALWAYS:
		out_use_color = true;
		break;
	case OUT_COLOR_NEVER:
		out_use_color = false;
		break;
	case OUT_COLOR_AUTO:
	default:
		out_use_color = isatty(STDOUT_FILENO) &&
				!(no_color && no_color[0]);
		break;
	}
	if (json)
		out_use_color = false;
}

bool out_json(void)
{
	return out_is_json;
}

bool out_colored(void)
{
	return out_use_color;
}

const char *out_sgr(enum out_color c)
{
	static const char *const sgr[] = {
		[OC_NONE]	= "",
		[OC_BOLD]	= "\033[1m",
		[OC_DIM]	= "\033[2m",
		[OC_RED]	= "\033[31m",
		[OC_GREEN]	= "\033[32m",
		[OC_YELLOW]	= "\033[33m",
		[OC_CYAN]	= "\033[36m",
		[OC_BLUE]	= "\033[34m",
		[OC_MAGENTA]	= "\033[35m",
	};

	if (!out_use_color || (unsigned int)c >= ARRAY_SIZE(sgr))
		return "";
	return sgr[c];
}

const char *out_sgr_reset(void)
{
	return out_use_color ? "\033[0m" : "";
}

void out_printf(enum out_color c, const char *fmt, ...)
{
	va_list ap;
	bool colored = out_use_color && c != OC_NONE;

	if (colored)
		fputs(out_sgr(c), stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (colored)
		fputs(out_sgr_reset(), stdout);
}

/* -------------------------------------------------------------- tables */

struct out_cell {
	char *text;
	enum out_color color;
};

struct out_table {
	unsigned int ncols;
	char **headers;
	bool *right;
	struct out_cell *cells;		/* nrows * ncols, row-major */
	size_t nrows;
	size_t cap_rows;
	unsigned int next_col;		/* next cell of the last row */
};

struct out_table *out_table_new(unsigned int ncols)
{
	struct out_table *t = xmalloc(sizeof(*t));

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->headers = xmalloc(ncols * sizeof(*t->headers));
	t->right = xmalloc(ncols * sizeof(*t->right));
	for (unsigned int i = 0; i < ncols; i++) {
		t->headers[i] = NULL;
		t->right[i] = false;
	}
	return t;
}

void out_table_col(struct out_table *t, unsigned int col, const char *header,
		   bool align_right)
{
	if (col >= t->ncols)
		return;
	free(t->headers[col]);
	t->headers[col] = header ? strdup(header) : NULL;
	if (header && !t->headers[col])
		out_of_memory();
	t->right[col] = align_right;
}

void out_table_row(struct out_table *t)
{
	if (t->nrows == t->cap_rows) {
		t->cap_rows = t->cap_rows ? 2 * t->cap_rows : 16;
		t->cells = xrealloc(t->cells, t->cap_rows * t->ncols *
						  sizeof(*t->cells));
	}
	for (unsigned int i = 0; i < t->ncols; i++) {
		t->cells[t->nrows * t->ncols + i].text = NULL;
		t->cells[t->nrows * t->ncols + i].color = OC_NONE;
	}
	t->nrows++;
	t->next_col = 0;
}

void out_table_cell(struct out_table *t, enum out_color c, const char *fmt,
		    ...)
{
	struct out_cell *cell;
	va_list ap;

	if (!t->nrows || t->next_col >= t->ncols)
		return;
	cell = &t->cells[(t->nrows - 1) * t->ncols + t->next_col++];
	va_start(ap, fmt);
	cell->text = xvasprintf(fmt, ap);
	va_end(ap);
	cell->color = c;
}

static void out_pad(size_t n)
{
	while (n--)
		putchar(' ');
}

static void out_table_line(const struct out_table *t, const size_t *width,
			   unsigned int indent, char *const *text,
			   const enum out_color *color)
{
	unsigned int last = t->ncols;

	/* No trailing blanks: stop after the last non-empty left cell. */
	while (last > 0 && !t->right[last - 1] &&
	       (!text[last - 1] || !text[last - 1][0]))
		last--;

	out_pad(indent);
	for (unsigned int i = 0; i < last; i++) {
		const char *s = text[i] ? text[i] : "";
		size_t len = strlen(s);
		size_t pad = width[i] > len ? width[i] - len : 0;

		if (i)
			out_pad(2);
		if (t->right[i])
			out_pad(pad);
		if (color[i] != OC_NONE)
			out_printf(color[i], "%s", s);
		else
			fputs(s, stdout);
		if (!t->right[i] && i + 1 < last)
			out_pad(pad);
	}
	putchar('\n');
}

void out_table_print(const struct out_table *t, unsigned int indent)
{
	size_t *width = xmalloc(t->ncols * sizeof(*width));
	char **text = xmalloc(t->ncols * sizeof(*text));
	enum out_color *color = xmalloc(t->ncols * sizeof(*color));
	bool any_header = false;

	for (unsigned int i = 0; i < t->ncols; i++) {
		width[i] = t->headers[i] ? strlen(t->headers[i]) : 0;
		if (t->headers[i])
			any_header = true;
		for (size_t r = 0; r < t->nrows; r++) {
			const char *s = t->cells[r * t->ncols + i].text;
			size_t len = s ? strlen(s) : 0;

			if (len > width[i])
				width[i] = len;
		}
	}

	if (any_header) {
		for (unsigned int i = 0; i < t->ncols; i++) {
			text[i] = t->headers[i];
			color[i] = OC_BOLD;
		}
		out_table_line(t, width, indent, text, color);
	}
	for (size_t r = 0; r < t->nrows; r++) {
		for (unsigned int i = 0; i < t->ncols; i++) {
			text[i] = t->cells[r * t->ncols + i].text;
			color[i] = t->cells[r * t->ncols + i].color;
		}
		out_table_line(t, width, indent, text, color);
	}
	free(color);
	free(text);
	free(width);
}

void out_table_free(struct out_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i].text);
	for (unsigned int i = 0; i < t->ncols; i++)
		free(t->headers[i]);
	free(t->cells);
	free(t->headers);
	free(t->right);
	free(t);
}

/* ---------------------------------------------------------------- JSON */

#define JSON_MAX_DEPTH	32

/* json_need_comma[d]: a value was already written at depth d. */
static bool json_need_comma[JSON_MAX_DEPTH];
static unsigned int json_depth;

/*
 * Length of the well-formed UTF-8 sequence at @s (1..4), or 0 when the
 * bytes there are not one (overlong, surrogate, above U+10FFFF, cut).
 */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = c == 0xed ? 0x9f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* The short JSON escape of @c (backslash, 'n' for a newline), or NULL. */
static const char *json_escape(unsigned char c)
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		return NULL;
	}
}

void json_write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	putc('"', f);
	while (*s) {
		const char *esc = json_escape(*s);
		size_t n;

		if (esc) {
			fputs(esc, f);
			s++;
			continue;
		}
		if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s);
			s++;
			continue;
		}
		/* A NUL inside a sequence makes it invalid: no overrun. */
		n = utf8_seq_len(s);
		if (!n) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		fwrite(s, 1, n, f);
		s += n;
	}
	putc('"', f);
}

/* Comma and member name before a value at the current depth. */
static void json_prefix(const char *key)
{
	if (json_need_comma[json_depth])
		putchar(',');
	json_need_comma[json_depth] = true;
	if (key) {
		json_write_string(stdout, key);
		putchar(':');
	}
}

static void json_push(char c)
{
	putchar(c);
	if (json_depth + 1 >= JSON_MAX_DEPTH) {
		fputs("mmaplab: JSON nesting too deep\n", stderr);
		exit(1);
	}
	json_need_comma[++json_depth] = false;
}

static void json_pop(char c)
{
	if (json_depth)
		json_depth--;
	putchar(c);
}

void json_begin(void)
{
	json_depth = 0;
	json_need_comma[0] = false;
	json_push('{');
}

void json_end(void)
{
	json_pop('}');
	putchar('\n');
}

void json_obj_open(const char *key)
{
	json_prefix(key);
	json_push('{');
}

void json_obj_close(void)
{
	json_pop('}');
}

void json_arr_open(const char *key)
{
	json_prefix(key);
	json_push('[');
}

void json_arr_close(void)
{
	json_pop(']');
}

void json_str(const char *key, const char *val)
{
	json_prefix(key);
	if (val)
		json_write_string(stdout, val);
	else
		fputs("null", stdout);
}

void json_u64(const char *key, uint64_t val)
{
	json_prefix(key);
	printf("%" PRIu64, val);
}

void json_i64(const char *key, int64_t val)
{
	json_prefix(key);
	printf("%" PRId64, val);
}

void json_bool(const char *key, bool val)
{
	json_prefix(key);
	fputs(val ? "true" : "false", stdout);
}

void json_null(const char *key)
{
	json_prefix(key);
	fputs("null", stdout);
}
