// SPDX-License-Identifier: GPL-2.0
/*
 * create_report.c - the report of "mmaplab create" (see create.h): what
 * each page gave, the range operation, the object's counters and the
 * module-wide figures, as human text or as one JSON object.  The layout
 * of the JSON object is documented in mmaplab(1); the cells are report.c's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "create.h"
#include "report.h"

/* "object page 3" or "object pages 1-2" */
static void fmt_span(const struct create_opts *o, char *buf, size_t size)
{
	uint64_t first, n;

	range_span(o, &first, &n);
	if (n == 1)
		snprintf(buf, size, "object page %" PRIu64, first);
	else
		snprintf(buf, size, "object pages %" PRIu64 "-%" PRIu64, first,
			 first + n - 1);
}

/* "0x41 ('A')", "0x00 (zero bytes)", "0x01" */
static void fmt_fill(int b, char *buf, size_t size)
{
	if (b == 0)
		snprintf(buf, size, "0x00 (zero bytes)");
	else if (b > 0x20 && b < 0x7f)
		snprintf(buf, size, "0x%02x ('%c')", b, b);
	else
		snprintf(buf, size, "0x%02x", b);
}

static void print_json(const struct create_opts *o, int fd, void *addr,
		       const struct page_result *res,
		       const struct child_status *cs,
		       const struct range_result *rr,
		       const struct mmaplab_stats *st)
{
	const uint64_t page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	char buf[32];

	json_begin();
	json_str("device", ml_opt.device);
	json_i64("pid", getpid());
	json_u64("page_size", page_size);

	json_obj_open("object");
	json_i64("fd", fd);
	json_u64("nr_pages", o->pages);
	json_str("backing", ml_backing_name(o->backing));
	json_arr_open("flags");
	for (unsigned int i = 0; i < ML_NR_CONFIG_FLAGS; i++)
		if (o->flags & ml_config_flag_bit(i))
			json_str(NULL, ml_config_flag_name(i));
	json_arr_close();
	json_obj_close();

	json_obj_open("mapping");
	snprintf(buf, sizeof(buf), "0x%" PRIxPTR, (uintptr_t)addr);
	json_str("addr", buf);
	json_u64("offset", o->offset);
	json_u64("pages", o->length);
	json_u64("bytes", o->length * page_size);
	json_str("map", ml_map_name(o->map));
	json_str("prot", ml_prot_name(o->prot, buf));
	json_obj_close();

	json_str("touch", ml_touch_name(o->touch));
	if (o->fork) {
		json_obj_open("fork");
		json_i64("pid", cs->pid);
		json_str("child_touch", ml_touch_name(o->child_touch));
		if (WIFEXITED(cs->status))
			json_i64("exit_status", WEXITSTATUS(cs->status));
		else
			json_null("exit_status");
		ml_json_sig("signal", WIFSIGNALED(cs->status) ?
				      WTERMSIG(cs->status) : 0);
		json_obj_close();
	} else {
		json_null("fork");
	}
	if (o->hold_forever)
		json_str("hold", "forever");
	else
		json_u64("hold", o->hold);

	json_arr_open("pages");
	for (uint64_t i = 0; i < o->length; i++) {
		const struct page_result *r = &res[i];

		json_obj_open(NULL);
		json_u64("page", i);
		json_u64("object_page", o->offset + i);
		ml_json_sig("touch_signal", r->touch_sig);
		ml_json_sig("child_signal", r->child_sig);
		ml_json_byte("child_sees", r->child_sees);
		ml_json_byte("parent_sees", r->parent_sees);
		ml_json_sig("signal", r->parent_sig);
		if (o->op != OP_NONE) {
			json_obj_open("after_range");
			json_bool("in_range", r->in_range);
			ml_json_sig("touch_again_signal", r->again_sig);
			ml_json_calls(&r->calls);
			json_obj_close();
		} else {
			json_null("after_range");
		}
		json_obj_close();
	}
	json_arr_close();

	ml_stats_print(st, false);
	ml_stats_print(st, true);

	if (o->op != OP_NONE) {
		json_obj_open("range");
		json_str("op", range_ops[o->op].name);
		json_str("ioctl", range_ops[o->op].ioctl);
		json_arr_open("flags");
		if (o->op == OP_GUARD)
			json_str(NULL, "install");
		else if (o->op == OP_INVALIDATE && o->replace >= 0)
			json_str(NULL, "replace");
		json_arr_close();
		json_u64("pgoff", o->range_pgoff);
		json_u64("nr_pages", o->range_pages);
		ml_json_byte("fill", o->replace);
		json_u64("result", rr->result);
		json_str("touch_again", rr->again == ML_TOUCH_NONE ? NULL :
					ml_touch_name(rr->again));
		json_obj_close();
		ml_stats_json("stats_before", &rr->before);
	} else {
		json_null("range");
		json_null("stats_before");
	}
	json_end();
}

static void print_range_line(const struct create_opts *o,
			     const struct range_result *rr)
{
	char span[64], fill[32];

	fmt_span(o, span, sizeof(span));
	switch (o->op) {
	case OP_GUARD:
		printf("guard: %s install on %s: the object has %" PRIu64 " guard page%s now",
		       range_ops[o->op].ioctl, span, rr->result,
		       rr->result == 1 ? "" : "s");
		break;
	case OP_INVALIDATE:
		printf("invalidate: %s on %s", range_ops[o->op].ioctl, span);
		if (o->replace >= 0) {
			fmt_fill(o->replace, fill, sizeof(fill));
			printf(", new content %s: %" PRIu64 " page%s replaced",
			       fill, rr->result, rr->result == 1 ? "" : "s");
		}
		break;
	case OP_CLEAN:
		printf("clean: %s on %s: %" PRIu64 " dirty page%s cleaned",
		       range_ops[o->op].ioctl, span, rr->result,
		       rr->result == 1 ? "" : "s");
		break;
	default:
		return;
	}
	if (rr->again != ML_TOUCH_NONE) {
		printf("; then the parent touches again: %s",
		       ml_touch_name(rr->again));
		if (rr->again == ML_TOUCH_WRITE)
			printf(" ('%c')", ML_PARENT_PATTERN);
	} else {
		printf("; then the parent reads back");
	}
	printf("\n");
}

static void print_human(const struct create_opts *o, int fd, void *addr,
			const struct page_result *res,
			const struct child_status *cs,
			const struct range_result *rr,
			const struct mmaplab_stats *st)
{
	const uint64_t page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	const uint64_t end = o->offset + o->length;
	const bool op = o->op != OP_NONE;
	const bool again = op && rr->again != ML_TOUCH_NONE;
	struct out_table *t;
	char prot[4], buf[128], title[64];
	unsigned int col = 0;

	printf("object: %" PRIu64 " page%s, backing %s, flags %s, mapped %s %s at %p, fd %d\n",
	       o->pages, o->pages == 1 ? "" : "s",
	       ml_backing_name(o->backing),
	       ml_config_flags_str(o->flags, ",", buf, sizeof(buf)),
	       ml_map_name(o->map), ml_prot_name(o->prot, prot), addr, fd);
	printf("mapping: %" PRIu64 " page%s (%" PRIu64 " bytes) from object page %" PRIu64,
	       o->length, o->length == 1 ? "" : "s", o->length * page_size,
	       o->offset);
	if (end > o->pages)
		printf(", %" PRIu64 " past the object's end",
		       end - (o->offset > o->pages ? o->offset : o->pages));
	printf("\n");
	printf("touch: parent %s", ml_touch_name(o->touch));
	if (o->touch == ML_TOUCH_WRITE)
		printf(" ('%c')", ML_PARENT_PATTERN);
	if (o->fork) {
		ml_fmt_wait_status(buf, sizeof(buf), cs->status);
		printf("; child (pid %d) %s", (int)cs->pid,
		       ml_touch_name(o->child_touch));
		if (o->child_touch == ML_TOUCH_WRITE)
			printf(" ('%c')", ML_CHILD_PATTERN);
		printf(", %s", buf);
	}
	printf("\n");
	print_range_line(o, rr);
	printf("\n");

	t = out_table_new(5 + (o->fork ? 2 : 0) + (op ? 2 : 0) +
			  (again ? 1 : 0));
	out_table_col(t, col++, "page", true);
	out_table_col(t, col++, "obj page", true);
	out_table_col(t, col++, "touch", false);
	if (o->fork) {
		out_table_col(t, col++, "child touch", false);
		out_table_col(t, col++, "child sees", false);
	}
	if (op)
		out_table_col(t, col++, "range", false);
	if (again)
		out_table_col(t, col++, "touch again", false);
	out_table_col(t, col++, "parent sees", false);
	out_table_col(t, col++, "signal", false);
	if (op) {
		snprintf(title, sizeof(title), "calls after %s",
			 range_ops[o->op].name);
		out_table_col(t, col++, title, false);
	}
	for (uint64_t i = 0; i < o->length; i++) {
		const struct page_result *r = &res[i];

		out_table_row(t);
		out_table_cell(t, OC_NONE, "%" PRIu64, i);
		out_table_cell(t, o->offset + i >= o->pages ? OC_RED : OC_NONE,
			       "%" PRIu64, o->offset + i);
		ml_sig_cell(t, r->touch_sig, o->touch != ML_TOUCH_NONE);
		if (o->fork) {
			ml_sig_cell(t, r->child_sig,
				    o->child_touch != ML_TOUCH_NONE);
			ml_fmt_byte(buf, sizeof(buf), r->child_sees);
			out_table_cell(t, ml_byte_color(r->child_sees), "%s",
				       buf);
		}
		if (op) {
			if (r->in_range)
				out_table_cell(t, OC_BOLD, "%s",
					       range_ops[o->op].name);
			else
				out_table_cell(t, OC_DIM, "-");
		}
		if (again)
			ml_sig_cell(t, r->again_sig, true);
		ml_fmt_byte(buf, sizeof(buf), r->parent_sees);
		out_table_cell(t, ml_byte_color(r->parent_sees), "%s", buf);
		if (r->parent_sig)
			out_table_cell(t, OC_RED, "%s",
				       ml_signame(r->parent_sig));
		else
			out_table_cell(t, OC_DIM, "-");
		if (op) {
			ml_fmt_calls(&r->calls, buf, sizeof(buf));
			out_table_cell(t, strcmp(buf, "none") ? OC_NONE : OC_DIM,
				       "%s", buf);
		}
	}
	out_table_print(t, 0);
	out_table_free(t);

	printf("\n");
	if (op) {
		snprintf(title, sizeof(title), "before %s",
			 range_ops[o->op].name);
		ml_stats_print_before(st, &rr->before, title);
	} else {
		ml_stats_print(st, false);
	}
	printf("\n");
	ml_stats_print(st, true);
}

void create_report(const struct create_opts *o, const struct create_run *run)
{
	if (out_json())
		print_json(o, run->fd, run->addr, run->res, &run->cs, &run->rr,
			   &run->st);
	else
		print_human(o, run->fd, run->addr, run->res, &run->cs,
			    &run->rr, &run->st);
}
