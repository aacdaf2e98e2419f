// SPDX-License-Identifier: GPL-2.0
/*
 * grid.c - the page map of "inspect --grid" (text, coloured on a
 * terminal) and "inspect --svg" (an SVG document written by hand): see
 * grid.h.  A page's state and its character, colour and fill come from
 * walk.c; this file only lays the cells out.
 *
 * Both pictures fold a run of three or more rows that are all "not
 * present" into one line, so that a large reservation (a PROT_NONE arena,
 * a stack's room to grow) does not fill the screen with dots.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"

#define FOLD_MIN_ROWS	3

char *ml_grid_string(const struct ml_walk *w, const struct ml_vma *v)
{
	const struct mmaplab_inspect_page *p = ml_vma_pages(w, v);
	char *s = xmalloc(v->nr_pages + 1);

	for (size_t i = 0; p && i < v->nr_pages; i++)
		s[i] = ml_cells[ml_page_cell(&v->rec, &p[i])].ch;
	s[p ? v->nr_pages : 0] = '\0';
	return s;
}

/* Rows from @row on whose cells are all "not present", in @cells. */
static size_t empty_rows(const char *cells, size_t n, size_t row)
{
	size_t rows = 0;

	for (size_t r = row; r * ML_GRID_WIDTH < n; r++) {
		size_t end = (r + 1) * ML_GRID_WIDTH;

		if (end > n)
			end = n;
		for (size_t i = r * ML_GRID_WIDTH; i < end; i++)
			if (cells[i] != ml_cells[ML_CELL_EMPTY].ch)
				return rows;
		rows++;
	}
	return rows;
}

static const struct ml_cell_desc *cell_of(char ch)
{
	for (int c = 0; c < ML_CELL_NR; c++)
		if (ml_cells[c].ch == ch)
			return &ml_cells[c];
	return &ml_cells[ML_CELL_OTHER];
}

/* @n cells, a colour change only where the state changes; a newline. */
static void print_cells(const char *cells, size_t n)
{
	enum out_color cur = OC_NONE;

	for (size_t c = 0; c < n; c++) {
		enum out_color col = cell_of(cells[c])->color;

		if (col != cur && out_colored()) {
			fputs(out_sgr_reset(), stdout);
			fputs(out_sgr(col), stdout);
			cur = col;
		}
		putchar(cells[c]);
	}
	if (cur != OC_NONE)
		fputs(out_sgr_reset(), stdout);
	putchar('\n');
}

/* "#3  0x7f..-0x7f..  rw-p  anon  [anon]  (16 pages)" */
static void vma_heading(const struct ml_vma *v, long index, char *buf,
			size_t size)
{
	char perms[8], label[MMAPLAB_INSPECT_NAME_MAX + 64];
	char num[24] = "#?";

	if (index >= 0)
		snprintf(num, sizeof(num), "#%ld", index);
	snprintf(buf, size, "%s  0x%" PRIx64 "-0x%" PRIx64 "  %s  %s  %s  (%zu page%s)",
		 num, (uint64_t)v->rec.start, (uint64_t)v->rec.end,
		 ml_vma_perms(&v->rec, perms), ml_vma_kind_name(v->rec.kind),
		 ml_vma_label(&v->rec, label, sizeof(label)), v->nr_pages,
		 v->nr_pages == 1 ? "" : "s");
}

void ml_grid_print(const struct ml_walk *w, const long *index)
{
	char head[MMAPLAB_INSPECT_NAME_MAX + 160];

	for (size_t i = 0; i < w->nr_vmas; i++) {
		const struct ml_vma *v = &w->vmas[i];
		char *cells = ml_grid_string(w, v);
		size_t n = strlen(cells);

		vma_heading(v, index[i], head, sizeof(head));
		out_printf(OC_BOLD, "%s\n", head);
		for (size_t r = 0; r * ML_GRID_WIDTH < n; r++) {
			size_t folded = empty_rows(cells, n, r);
			uint64_t addr = ml_vma_pages(w, v)[0].addr +
					r * ML_GRID_WIDTH * w->page_size;

			if (folded >= FOLD_MIN_ROWS) {
				size_t pages = folded * ML_GRID_WIDTH;

				if (pages > n - r * ML_GRID_WIDTH)
					pages = n - r * ML_GRID_WIDTH;
				out_printf(OC_DIM, "  0x%012" PRIx64 "  (%zu pages not present)\n",
					   addr, pages);
				r += folded - 1;
				continue;
			}
			printf("  0x%012" PRIx64 "  ", addr);
			print_cells(cells + r * ML_GRID_WIDTH,
				    n - r * ML_GRID_WIDTH < ML_GRID_WIDTH ?
				    n - r * ML_GRID_WIDTH : ML_GRID_WIDTH);
		}
		free(cells);
	}
	printf("\nlegend:");
	for (int c = 0; c < ML_CELL_NR; c++) {
		if (c % 5 == 0)
			printf("\n ");
		printf(" ");
		out_printf(ml_cells[c].color, "%c", ml_cells[c].ch);
		if (c % 5 == 4 || c == ML_CELL_NR - 1)
			printf(" %s", ml_cells[c].label);
		else
			printf(" %-16s", ml_cells[c].label);
	}
	printf("\n  (C: %s;\n   G: %s; ?: %s)\n",
	       "anonymous page in a private file mapping",
	       "PROT_NONE entry or guard marker", "migration or another entry");
}

/* ------------------------------------------------------------------ SVG */

#define SVG_CELL	14	/* a cell's pitch, px */
#define SVG_GAP		2	/* blank between cells */
#define SVG_LEFT	128	/* room for the row addresses */
#define SVG_MARGIN	16
#define SVG_LINE	18	/* a line of text */

/* @s as SVG text: markup escaped, bytes outside printable ASCII as '?'. */
static void svg_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s >= 0x20 && *s < 0x7f ? *s : '?', f);
		}
	}
}

/* White letters on the dark fills. */
static const char *svg_ink(const struct ml_cell_desc *d)
{
	switch (d->ch) {
	case 'C': case '0': case 'G': case 's': case '?':
		return "#ffffff";
	default:
		return "#202020";
	}
}

static void svg_cell(FILE *f, int x, int y, const struct ml_cell_desc *d)
{
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"2\" fill=\"%s\"/>",
		x, y, SVG_CELL - SVG_GAP, SVG_CELL - SVG_GAP, d->fill);
	if (d->ch != ml_cells[ML_CELL_EMPTY].ch)
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"c\" fill=\"%s\">%c</text>",
			x + (SVG_CELL - SVG_GAP) / 2, y + SVG_CELL - SVG_GAP - 3,
			svg_ink(d), d->ch);
	fputc('\n', f);
}

/* Height of the rows of @cells (folded runs take one line). */
static int svg_rows_height(const char *cells, size_t n)
{
	int h = 0;

	for (size_t r = 0; r * ML_GRID_WIDTH < n; r++) {
		size_t folded = empty_rows(cells, n, r);

		if (folded >= FOLD_MIN_ROWS) {
			h += SVG_LINE;
			r += folded - 1;
		} else {
			h += SVG_CELL;
		}
	}
	return h;
}

int ml_grid_svg(FILE *f, const struct ml_walk *w, const long *index,
		const char *title)
{
	int width = SVG_LEFT + ML_GRID_WIDTH * SVG_CELL + 2 * SVG_MARGIN;
	int legend_rows = (ML_CELL_NR + 1) / 2;
	int height = SVG_MARGIN + 2 * SVG_LINE;
	char head[MMAPLAB_INSPECT_NAME_MAX + 160];
	char **cells = xmalloc((w->nr_vmas + 1) * sizeof(*cells));
	int y;

	for (size_t i = 0; i < w->nr_vmas; i++) {
		cells[i] = ml_grid_string(w, &w->vmas[i]);
		height += SVG_LINE + 6 +
			  svg_rows_height(cells[i], strlen(cells[i]));
	}
	height += SVG_LINE + legend_rows * SVG_LINE + SVG_MARGIN;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
		"<style>\n"
		"text { font-family: DejaVu Sans Mono, monospace; font-size: 12px; fill: #202020; }\n"
		"text.t { font-size: 15px; font-weight: bold; }\n"
		"text.h { font-weight: bold; }\n"
		"text.a { fill: #606060; font-size: 11px; }\n"
		"text.c { font-size: 9px; text-anchor: middle; }\n"
		"</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
		width, height, width, height);
	y = SVG_MARGIN + SVG_LINE - 4;
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"t\">", SVG_MARGIN, y);
	svg_text(f, title);
	fputs("</text>\n", f);
	y += SVG_LINE;

	for (size_t i = 0; i < w->nr_vmas; i++) {
		const struct ml_vma *v = &w->vmas[i];
		size_t n = strlen(cells[i]);

		y += SVG_LINE + 6;
		vma_heading(v, index[i], head, sizeof(head));
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"h\">", SVG_MARGIN, y - 6);
		svg_text(f, head);
		fputs("</text>\n", f);
		for (size_t r = 0; r * ML_GRID_WIDTH < n; r++) {
			size_t folded = empty_rows(cells[i], n, r);
			uint64_t addr = ml_vma_pages(w, v)[0].addr +
					r * ML_GRID_WIDTH * w->page_size;

			fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"a\">0x%012" PRIx64 "</text>\n",
				SVG_MARGIN, y + SVG_CELL - 4, addr);
			if (folded >= FOLD_MIN_ROWS) {
				size_t pages = folded * ML_GRID_WIDTH;

				if (pages > n - r * ML_GRID_WIDTH)
					pages = n - r * ML_GRID_WIDTH;
				fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"a\">(%zu pages not present)</text>\n",
					SVG_MARGIN + SVG_LEFT, y + SVG_CELL - 4, pages);
				y += SVG_LINE;
				r += folded - 1;
				continue;
			}
			for (size_t c = r * ML_GRID_WIDTH;
			     c < n && c < (r + 1) * ML_GRID_WIDTH; c++)
				svg_cell(f, SVG_MARGIN + SVG_LEFT +
					    (int)(c % ML_GRID_WIDTH) * SVG_CELL,
					 y, cell_of(cells[i][c]));
			y += SVG_CELL;
		}
	}

	y += SVG_LINE;
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"h\">legend</text>\n",
		SVG_MARGIN, y);
	for (int c = 0; c < ML_CELL_NR; c++) {
		int x = SVG_MARGIN + (c % 2) * (width - 2 * SVG_MARGIN) / 2;
		int ly = y + 6 + (c / 2) * SVG_LINE;

		svg_cell(f, x, ly, &ml_cells[c]);
		fprintf(f, "<text x=\"%d\" y=\"%d\">", x + SVG_CELL + 4,
			ly + SVG_CELL - 4);
		svg_text(f, ml_cells[c].legend);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);

	for (size_t i = 0; i < w->nr_vmas; i++)
		free(cells[i]);
	free(cells);
	if (fflush(f) != 0 || ferror(f)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
