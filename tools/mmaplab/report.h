/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - printing what the module reported, the same way in every
 * command (report.c): struct mmaplab_stats as a table or JSON members.
 * Human output uses the tables and colours of out.h; JSON output its
 * json_*() calls.
 */
#ifndef MMAPLAB_REPORT_H
#define MMAPLAB_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib.h"

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

/* JSON only: the per-object fields of @st as an object member named @key. */
void ml_stats_json(const char *key, const struct mmaplab_stats *st);

#endif /* MMAPLAB_REPORT_H */
