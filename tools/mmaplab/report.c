// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - printing what the module and the accesses reported, the same
 * way in every command (see report.h): the tables and JSON members of
 * struct mmaplab_stats, and the cells of per-page reports (bytes seen,
 * signals raised, module callbacks caused, how a child ended).
 *
 * Built on out.h; it decides how a value looks, not which values a
 * command shows, and it does no I/O on the device.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "grid.h"
#include "report.h"

/* ----------------------------------------------------------- the stats */

enum stat_kind {
	SK_U32,
	SK_U64,
	SK_BACKING,	/* u32, printed by name for humans */
	SK_FLAGS,	/* u32 MMAPLAB_CONFIG_*, printed by name for humans */
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

/*
 * Every field of struct mmaplab_stats but the input-only flags and the
 * padding, in the structure's order within each group: this order is the
 * order of the human tables and of the JSON members.
 */
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
	/* ABI version 2 */
	F(config_flags,	   SK_FLAGS,   false,
	  "the object's flags (--fault-around, --write-notify)"),
	F(may_splits,	   SK_U64,     false, "->may_split calls (a VMA is about to be split)"),
	F(mremaps,	   SK_U64,     false, "->mremap calls (a VMA was moved by mremap())"),
	F(mprotects,	   SK_U64,     false, "->mprotect calls"),
	F(map_pages,	   SK_U64,     false, "->map_pages calls (fault-around)"),
	F(map_pages_mapped, SK_U64,    false,
	  "pages mapped by ->map_pages (backing pages only)"),
	F(page_mkwrites,   SK_U64,     false,
	  "->page_mkwrite calls (first write to a clean shared page)"),
	F(pfn_mkwrites,	   SK_U64,     false, "->pfn_mkwrite calls (the same for pfn mappings)"),
	F(accesses,	   SK_U64,     false,
	  "->access calls (ptrace, /proc/PID/mem on pfn mappings)"),
	F(faults_sigsegv,  SK_U64,     false, "faults on guard pages, answered with SIGSEGV"),
	F(invalidations,   SK_U64,     false, "MMAPLAB_IOC_INVALIDATE calls"),
	F(pages_replaced,  SK_U64,     false, "pages given new content by MMAPLAB_IOC_INVALIDATE"),
	F(pages_dirty,	   SK_U64,     false, "pages written since they were last cleaned (now)"),
	F(pages_guarded,   SK_U64,     false, "guard pages of the object (now)"),
	/* ABI version 3 */
	F(faults_retried,  SK_U64,     false, "faults that backed off from a range operation"),
	F(object_id,	   SK_U64,     false, "this object's id (inspect --object ID)"),

	F(abi_version,	   SK_U32,     true,  "ABI version of the module"),
	F(live_objects,	   SK_U64,     true,
	  "lab objects that exist now (this tool's own included)"),
	F(live_pages,	   SK_U64,     true,  "pages held by all lab objects now"),
	F(max_pages,	   SK_U64,     true,  "per-object limit (module parameter max_pages)"),
	F(max_total_pages, SK_U64,     true,  "module-wide limit on configured pages"),
	F(reserved_pages,  SK_U64,     true,  "pages configured by all live objects"),
	F(max_user_pages,  SK_U64,     true,  "per-user limit on configured pages"),
	F(user_reserved_pages, SK_U64, true,  "pages configured by this user's live objects"),
};

#undef F

#define NR_STAT_FIELDS	ARRAY_SIZE(stat_fields)

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

static void stats_json(const char *key, const struct mmaplab_stats *st,
		       bool global)
{
	json_obj_open(key);
	for (size_t i = 0; i < NR_STAT_FIELDS; i++) {
		const struct stat_field *f = &stat_fields[i];

		if (f->global != global)
			continue;
		if (ml_stats_has(st, f->off, f->len))
			json_u64(f->name, stat_value(st, f));
		else
			json_null(f->name);
	}
	json_obj_close();
}

void ml_stats_json(const char *key, const struct mmaplab_stats *st)
{
	stats_json(key, st, false);
}

/* One value cell: "-" when not filled, names for backing and flags. */
static void stat_cell(struct out_table *t, const struct mmaplab_stats *st,
		      const struct stat_field *f, bool changed)
{
	char buf[64];
	uint64_t v;

	if (!ml_stats_has(st, f->off, f->len)) {
		out_table_cell(t, OC_DIM, "-");
		return;
	}
	v = stat_value(st, f);
	if (f->kind == SK_BACKING && ml_backing_name(v))
		out_table_cell(t, OC_NONE, "%s", ml_backing_name(v));
	else if (f->kind == SK_FLAGS)
		out_table_cell(t, OC_NONE, "%s",
			       ml_config_flags_str(v, ",", buf, sizeof(buf)));
	else
		out_table_cell(t, changed ? OC_YELLOW : v ? OC_CYAN : OC_NONE,
			       "%" PRIu64, v);
}

static void stats_table(const struct mmaplab_stats *st,
			const struct mmaplab_stats *before,
			const char *before_title, bool global)
{
	struct out_table *t;
	unsigned int col = 0;

	t = out_table_new(before ? 4 : 3);
	out_table_col(t, col++, global ? "module" : "object", false);
	if (before)
		out_table_col(t, col++, before_title, true);
	out_table_col(t, col++, before ? "now" : "value", true);
	out_table_col(t, col++, "meaning", false);
	for (size_t i = 0; i < NR_STAT_FIELDS; i++) {
		const struct stat_field *f = &stat_fields[i];
		bool changed = false;

		if (f->global != global)
			continue;
		out_table_row(t);
		out_table_cell(t, OC_NONE, "%s", f->name);
		if (before) {
			changed = ml_stats_has(before, f->off, f->len) &&
				  ml_stats_has(st, f->off, f->len) &&
				  stat_value(before, f) != stat_value(st, f);
			stat_cell(t, before, f, false);
		}
		stat_cell(t, st, f, changed);
		out_table_cell(t, OC_DIM, "%s", f->meaning);
	}
	out_table_print(t, 0);
	out_table_free(t);
}

void ml_stats_print(const struct mmaplab_stats *st, bool global)
{
	if (out_json())
		stats_json(global ? "global" : "stats", st, global);
	else
		stats_table(st, NULL, NULL, global);
}

void ml_stats_print_before(const struct mmaplab_stats *st,
			   const struct mmaplab_stats *before,
			   const char *before_title)
{
	stats_table(st, before, before_title, false);
}

void ml_stats_each_change(const struct mmaplab_stats *a,
			  const struct mmaplab_stats *b,
			  void (*fn)(const char *name, uint64_t before,
				     uint64_t after, void *arg),
			  void *arg)
{
	for (size_t i = 0; i < NR_STAT_FIELDS; i++) {
		const struct stat_field *f = &stat_fields[i];

		if (f->global || f->kind != SK_U64 ||
		    !ml_stats_has(a, f->off, f->len) ||
		    !ml_stats_has(b, f->off, f->len) ||
		    stat_value(a, f) == stat_value(b, f))
			continue;
		fn(f->name, stat_value(a, f), stat_value(b, f), arg);
	}
}

/* ------------------------------------------------- cells of page reports */

void ml_fmt_byte(char *buf, size_t size, int b)
{
	if (b < 0)
		snprintf(buf, size, "-");
	else if (b == 0)
		snprintf(buf, size, "0");
	else if (b > 0x20 && b < 0x7f && b != '\'')
		snprintf(buf, size, "'%c'", b);
	else
		snprintf(buf, size, "0x%02x", b);
}

enum out_color ml_byte_color(int b)
{
	if (b == ML_PARENT_PATTERN)
		return OC_GREEN;
	if (b == ML_CHILD_PATTERN)
		return OC_YELLOW;
	return b <= 0 ? OC_DIM : OC_NONE;
}

void ml_json_byte(const char *key, int b)
{
	if (b < 0)
		json_null(key);
	else
		json_u64(key, (uint64_t)b);
}

void ml_sig_cell(struct out_table *t, int sig, bool done)
{
	if (!done)
		out_table_cell(t, OC_DIM, "-");
	else if (sig)
		out_table_cell(t, OC_RED, "%s", ml_signame(sig));
	else
		out_table_cell(t, OC_NONE, "ok");
}

void ml_json_sig(const char *key, int sig)
{
	if (sig)
		json_str(key, ml_signame(sig));
	else
		json_null(key);
}

void ml_fmt_wait_status(char *buf, size_t size, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by %s",
			 ml_signame(WTERMSIG(status)));
	else
		snprintf(buf, size, "ended (wait status 0x%x)", status);
}

/* Append ", " and "NAME" (n == 1) or "N NAMEs" to @buf, when n > 0. */
static void add_call(char *buf, size_t size, uint64_t n, const char *name)
{
	size_t len = strlen(buf);

	if (!n || len >= size)
		return;
	if (n == 1)
		snprintf(buf + len, size - len, "%s%s", len ? ", " : "", name);
	else
		snprintf(buf + len, size - len, "%s%" PRIu64 " %ss",
			 len ? ", " : "", n, name);
}

/* Append " (SIG)" or " (N SIG)" to @buf, when @n of @faults raised it. */
static void add_fault_sig(char *buf, size_t size, uint64_t n, uint64_t faults,
			  const char *sig)
{
	size_t len = strlen(buf);

	if (!n || len >= size)
		return;
	if (n == faults)
		snprintf(buf + len, size - len, " (%s)", sig);
	else
		snprintf(buf + len, size - len, " (%" PRIu64 " %s)", n, sig);
}

const char *ml_fmt_calls(const struct ml_calls *c, char *buf, size_t size)
{
	size_t len;

	buf[0] = '\0';
	add_call(buf, size, c->faults, "fault");
	add_fault_sig(buf, size, c->faults_sigbus, c->faults, "SIGBUS");
	add_fault_sig(buf, size, c->faults_sigsegv, c->faults, "SIGSEGV");
	add_call(buf, size, c->map_pages, "map_pages");
	len = strlen(buf);
	if (c->map_pages && c->map_pages_mapped && len < size)
		snprintf(buf + len, size - len, " (+%" PRIu64 " mapped)",
			 c->map_pages_mapped);
	add_call(buf, size, c->page_mkwrites, "page_mkwrite");
	add_call(buf, size, c->pfn_mkwrites, "pfn_mkwrite");
	if (!buf[0])
		snprintf(buf, size, "none");
	return buf;
}

void ml_json_calls(const struct ml_calls *c)
{
	json_u64("faults", c->faults);
	json_u64("faults_sigbus", c->faults_sigbus);
	json_u64("faults_sigsegv", c->faults_sigsegv);
	json_u64("map_pages", c->map_pages);
	json_u64("map_pages_mapped", c->map_pages_mapped);
	json_u64("page_mkwrites", c->page_mkwrites);
	json_u64("pfn_mkwrites", c->pfn_mkwrites);
}

/* ------------------------------------------------- inspected records */

void ml_json_inspect_vma(const char *key, const struct ml_walk *w,
			 const struct ml_vma *v, long index)
{
	char buf[8];
	char *grid;

	json_obj_open(key);
	if (index >= 0)
		json_i64("index", index);
	else
		json_null("index");
	ml_json_addr("start", v->rec.start);
	ml_json_addr("end", v->rec.end);
	json_str("perms", ml_vma_perms(&v->rec, buf));
	ml_json_vm_flags("vm_flags", v->rec.vm_flags);
	json_str("kind", ml_vma_kind_name(v->rec.kind));
	json_u64("pgoff", v->rec.pgoff);
	json_str("name", v->rec.name);
	json_bool("name_truncated", v->rec.info & MMAPLAB_VMA_NAME_TRUNCATED);
	if (v->rec.object_id) {
		json_u64("object_id", v->rec.object_id);
		json_str("backing", ml_backing_name(v->rec.backing));
	} else {
		json_null("object_id");
		json_null("backing");
	}
	json_bool("anon_vma", v->rec.info & MMAPLAB_VMA_ANON_VMA);
	json_bool("mmaplab_ops", v->rec.info & MMAPLAB_VMA_MMAPLAB_OPS);
	json_bool("has_file", v->rec.info & MMAPLAB_VMA_HAS_FILE);
	if (w->counted) {
		json_u64("nr_pages", v->nr_pages);
		json_obj_open("cells");
		for (int c = 0; c < ML_CELL_NR; c++)
			json_u64(ml_cells[c].name, v->cells[c]);
		json_obj_close();
	} else {
		json_null("nr_pages");
		json_null("cells");
	}
	if (w->pages) {
		grid = ml_grid_string(w, v);
		json_str("grid", grid);
		free(grid);
	} else {
		json_null("grid");
	}
	json_obj_close();
}

void ml_json_inspect_page(const char *key, const struct ml_vma *v,
			  const struct mmaplab_inspect_page *p, long index)
{
	bool has_struct = p->page_flags & MMAPLAB_PAGE_HAS_STRUCT;

	json_obj_open(key);
	ml_json_addr("addr", p->addr);
	if (index >= 0)
		json_i64("vma", index);
	else
		json_null("vma");
	json_str("pte", ml_pte_state_name(p->pte));
	json_str("cell", ml_cells[ml_page_cell(&v->rec, p)].name);
	ml_json_pte_flags("pte_flags", p->pte_flags);
	ml_json_page_flags("page_flags", p->page_flags);
	if (has_struct) {
		json_i64("mapcount", p->mapcount);
		json_i64("refcount", p->refcount);
	} else {
		json_null("mapcount");
		json_null("refcount");
	}
	json_u64("pfn", p->pfn);
	if (p->pte == MMAPLAB_PTE_SWAP) {
		json_u64("swap_type", p->swap_type);
		json_u64("swap_offset", p->swap_offset);
	} else {
		json_null("swap_type");
		json_null("swap_offset");
	}
	json_obj_close();
}

void ml_vma_table(const struct ml_walk *w, const long *index, bool totals)
{
	struct out_table *t = out_table_new(10);
	char buf[256], label[MMAPLAB_INSPECT_NAME_MAX + 64];
	uint64_t size = 0, rss = 0, swapped = 0;
	unsigned int col = 0;

	out_table_col(t, col++, "#", true);
	out_table_col(t, col++, "start-end", false);
	out_table_col(t, col++, "kB", true);
	out_table_col(t, col++, "perms", false);
	out_table_col(t, col++, "flags", false);
	out_table_col(t, col++, "kind", false);
	out_table_col(t, col++, "offset", true);
	out_table_col(t, col++, "resident", true);
	out_table_col(t, col++, "swapped", true);
	out_table_col(t, col++, "name", false);
	for (size_t i = 0; i < w->nr_vmas; i++) {
		const struct ml_vma *v = &w->vmas[i];
		long n = index ? index[i] : (long)i;
		bool lab = v->rec.kind == MMAPLAB_VMA_KIND_MMAPLAB ||
			   v->rec.object_id;

		size += v->rec.end - v->rec.start;
		rss += ml_vma_resident(v);
		swapped += v->cells[ML_CELL_SWAP];
		out_table_row(t);
		if (n >= 0)
			out_table_cell(t, OC_NONE, "%ld", n);
		else
			out_table_cell(t, OC_DIM, "?");
		out_table_cell(t, OC_NONE, "%" PRIx64 "-%" PRIx64,
			       (uint64_t)v->rec.start, (uint64_t)v->rec.end);
		out_table_cell(t, OC_NONE, "%" PRIu64,
			       (uint64_t)(v->rec.end - v->rec.start) / 1024);
		out_table_cell(t, OC_NONE, "%s", ml_vma_perms(&v->rec, buf));
		out_table_cell(t, OC_DIM, "%s",
			       ml_vm_flags_str(v->rec.vm_flags, " ", buf, sizeof(buf)));
		out_table_cell(t, lab ? OC_CYAN : OC_NONE, "%s",
			       ml_vma_kind_name(v->rec.kind));
		if (v->rec.info & MMAPLAB_VMA_HAS_FILE)
			out_table_cell(t, OC_NONE, "%" PRIx64,
				       (uint64_t)v->rec.pgoff * w->page_size);
		else
			out_table_cell(t, OC_DIM, "-");
		out_table_cell(t, OC_NONE, "%" PRIu64, ml_vma_resident(v));
		out_table_cell(t, v->cells[ML_CELL_SWAP] ? OC_YELLOW : OC_NONE,
			       "%" PRIu64, v->cells[ML_CELL_SWAP]);
		out_table_cell(t, lab ? OC_CYAN : OC_NONE, "%s",
			       ml_vma_label(&v->rec, label, sizeof(label)));
	}
	if (totals) {
		out_table_row(t);
		out_table_cell(t, OC_NONE, "%s", "");
		out_table_cell(t, OC_BOLD, "total");
		out_table_cell(t, OC_BOLD, "%" PRIu64, size / 1024);
		for (int i = 0; i < 4; i++)
			out_table_cell(t, OC_NONE, "%s", "");
		out_table_cell(t, OC_BOLD, "%" PRIu64, rss);
		out_table_cell(t, OC_BOLD, "%" PRIu64, swapped);
	}
	out_table_print(t, 0);
	out_table_free(t);
}
