/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmaplab_trace.h - the module's tracepoints, system "mmaplab": one per
 * event of the netlink family (enum mmaplab_event), with the same fields,
 * so that perf, trace-cmd and bpftrace users see what "mmaplab monitor"
 * sees.  The task (pid, comm) is in every trace record's common fields,
 * so no event needs a string.  Fired by events.c only.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mmaplab

#if !defined(_MMAPLAB_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MMAPLAB_TRACE_H

#include <linux/mm_types.h>
#include <linux/tracepoint.h>

#include "mmaplab.h"

#define mmaplab_show_outcome(o) __print_symbolic(o,			\
		{ MMAPLAB_FAULT_OUTCOME_NONE,		"-" },		\
		{ MMAPLAB_FAULT_OUTCOME_NEW,		"new" },	\
		{ MMAPLAB_FAULT_OUTCOME_FOUND,		"found" },	\
		{ MMAPLAB_FAULT_OUTCOME_COW,		"cow" },	\
		{ MMAPLAB_FAULT_OUTCOME_SIGBUS,		"sigbus" },	\
		{ MMAPLAB_FAULT_OUTCOME_SIGSEGV,	"sigsegv" },	\
		{ MMAPLAB_FAULT_OUTCOME_RETRIED,	"retried" },	\
		{ MMAPLAB_FAULT_OUTCOME_ERROR,		"error" })

DECLARE_EVENT_CLASS(mmaplab_event,
		    TP_PROTO(u64 obj_id, const struct mmaplab_ev *ev),
		    TP_ARGS(obj_id, ev),
		    TP_STRUCT__entry(__field(u64, obj_id)
				     __field(u64, seq)
				     __field(unsigned long, vm_start)
				     __field(unsigned long, vm_end)
				     __field(unsigned long, addr)
				     __field(unsigned long, end)
				     __field(u64, pgoff)
				     __field(u64, nr_pages)
				     __field(s64, result)
				     __field(u32, flags)
				     __field(u32, outcome)
				     __field(bool, allocated)),
		    TP_fast_assign(__entry->obj_id = obj_id;
				   __entry->seq = ev->seq;
				   __entry->vm_start = ev->vma ? ev->vma->vm_start : 0;
				   __entry->vm_end = ev->vma ? ev->vma->vm_end : 0;
				   __entry->addr = ev->addr;
				   __entry->end = ev->end;
				   __entry->pgoff = ev->pgoff;
				   __entry->nr_pages = ev->nr_pages;
				   __entry->result = ev->result;
				   __entry->flags = ev->flags;
				   __entry->outcome = ev->outcome;
				   __entry->allocated = ev->allocated;),
		    TP_printk("obj=%llu seq=%llu vma=%lx-%lx addr=%lx end=%lx pgoff=%llu nr=%llu flags=%#x outcome=%s%s result=%lld",
			      __entry->obj_id, __entry->seq, __entry->vm_start,
			      __entry->vm_end, __entry->addr, __entry->end,
			      __entry->pgoff, __entry->nr_pages, __entry->flags,
			      mmaplab_show_outcome(__entry->outcome),
			      __entry->allocated ? ",allocated" : "",
			      __entry->result)
);

#define MMAPLAB_TRACE_EVENT(name)					\
	DEFINE_EVENT(mmaplab_event, mmaplab_##name,			\
		     TP_PROTO(u64 obj_id, const struct mmaplab_ev *ev),	\
		     TP_ARGS(obj_id, ev))

MMAPLAB_TRACE_EVENT(created);
MMAPLAB_TRACE_EVENT(configured);
MMAPLAB_TRACE_EVENT(destroyed);
MMAPLAB_TRACE_EVENT(mmap);
MMAPLAB_TRACE_EVENT(open);
MMAPLAB_TRACE_EVENT(close);
MMAPLAB_TRACE_EVENT(may_split);
MMAPLAB_TRACE_EVENT(mremap);
MMAPLAB_TRACE_EVENT(mprotect);
MMAPLAB_TRACE_EVENT(fault);
MMAPLAB_TRACE_EVENT(page_mkwrite);
MMAPLAB_TRACE_EVENT(pfn_mkwrite);
MMAPLAB_TRACE_EVENT(map_pages);
MMAPLAB_TRACE_EVENT(guard);
MMAPLAB_TRACE_EVENT(invalidate);
MMAPLAB_TRACE_EVENT(clean);

#endif /* _MMAPLAB_TRACE_H */

/* An out-of-tree module: the trace machinery finds this file here. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mmaplab_trace
#include <trace/define_trace.h>
