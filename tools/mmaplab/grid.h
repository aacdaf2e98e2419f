/* SPDX-License-Identifier: GPL-2.0 */
/*
 * grid.h - the page map of "inspect --grid" and "inspect --svg" (grid.c):
 * one cell per page, one row of cells per VMA (wrapped), a cell's look
 * given by its state (walk.h's ml_cells), and a legend.
 */
#ifndef MMAPLAB_GRID_H
#define MMAPLAB_GRID_H

#include <stdio.h>

#include "walk.h"

/* Cells per row of the grid. */
#define ML_GRID_WIDTH	64

/*
 * The grid of @w on stdout (human mode): for each VMA a heading, then its
 * rows of cells, each row starting with its address; the legend last.
 * @index[i] is the number of VMA i of @w in its process (-1: unknown).
 */
void ml_grid_print(const struct ml_walk *w, const long *index);

/*
 * The same map as an SVG document written to @f, titled @title.
 * Returns 0, or -1 when writing failed (errno set).
 */
int ml_grid_svg(FILE *f, const struct ml_walk *w, const long *index,
		const char *title);

/*
 * The cells of VMA @v as characters, one per page (its page records, in
 * order), NUL-terminated, in a new buffer the caller frees.
 */
char *ml_grid_string(const struct ml_walk *w, const struct ml_vma *v);

#endif /* MMAPLAB_GRID_H */
