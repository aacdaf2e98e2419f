/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - printing what the module and the accesses reported, the same
 * way in every command (report.c): struct mmaplab_stats as a table or
 * JSON members, the cells of per-page reports, and the JSON of the VMA
 * and page records of MMAPLAB_IOC_INSPECT.  Human output uses the
 * tables and colours of out.h; JSON output its json_*() calls.
 */
#ifndef MMAPLAB_REPORT_H
#define MMAPLAB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib.h"
#include "mapping.h"
#include "walk.h"

/*
 * Print the fields of @st: the per-object ones (@global false) or the
 * module-wide ones (@global true).  JSON: an object member named "stats"
 * or "global" (fields the module did not fill are null).  Human: a
 * name/value/meaning table under a title.
 */
void ml_stats_print(const struct mmaplab_stats *st, bool global);

/*
 * Human output only: the per-object table of @st with an extra column
 * titled @before_title holding the values of @before (an earlier
 * snapshot of the same object); values that changed since are
 * highlighted.
 */
void ml_stats_print_before(const struct mmaplab_stats *st,
			   const struct mmaplab_stats *before,
			   const char *before_title);

/*
 * For each per-object counter whose value differs between the snapshots
 * @a (earlier) and @b of the same object, in the table's order: @fn with
 * its uapi name and both values.
 */
void ml_stats_each_change(const struct mmaplab_stats *a,
			  const struct mmaplab_stats *b,
			  void (*fn)(const char *name, uint64_t before,
				     uint64_t after, void *arg),
			  void *arg);

/* JSON only: the per-object fields of @st as an object member named @key. */
void ml_stats_json(const char *key, const struct mmaplab_stats *st);

/*
 * A byte read from a page: "-" (none, @b < 0), "0", "'P'" (printable), or
 * "0x01"; in @buf.  Its colour: the parent's and child's patterns stand
 * out, nothing and zero are dim.
 */
void ml_fmt_byte(char *buf, size_t size, int b);
enum out_color ml_byte_color(int b);

/* JSON: the byte @b (0-255) as a number, null when there is none (< 0). */
void ml_json_byte(const char *key, int b);

/* A table cell for an access: "-" (not @done), "ok", or the signal @sig. */
void ml_sig_cell(struct out_table *t, int sig, bool done);

/* JSON: the name of signal @sig, null for 0. */
void ml_json_sig(const char *key, int sig);

/*
 * How a child ended, from its waitpid() @status: "exited with status 0",
 * "was killed by SIGSEGV", ...; in @buf.
 */
void ml_fmt_wait_status(char *buf, size_t size, int status);

/*
 * Callbacks @c as a phrase: "fault (SIGSEGV)", "map_pages (+3 mapped)",
 * "fault, page_mkwrite", "none"; in @buf, which it returns.
 */
const char *ml_fmt_calls(const struct ml_calls *c, char *buf, size_t size);

/* JSON: the members of @c (faults, ..., pfn_mkwrites) in the current object. */
void ml_json_calls(const struct ml_calls *c);

/*
 * JSON: VMA @v of the walk @w as an object member @key (NULL in an array;
 * numbered @index in its process, -1: unknown; its page states counted,
 * and its "grid", null when @w kept no pages), and page @p of VMA @v
 * likewise.  See mmaplab(1), inspect.
 */
void ml_json_inspect_vma(const char *key, const struct ml_walk *w,
			 const struct ml_vma *v, long index);
void ml_json_inspect_page(const char *key, const struct ml_vma *v,
			  const struct mmaplab_inspect_page *p, long index);

/*
 * Human: the VMAs of @w as a table, one row each (number @index[i], or i
 * when @index is NULL; -1: unknown), like pmap -X: range, size, perms,
 * flags, kind, offset, resident and swapped pages of the walked range,
 * name; with @totals a last row of sums.
 */
void ml_vma_table(const struct ml_walk *w, const long *index, bool totals);

#endif /* MMAPLAB_REPORT_H */
