// SPDX-License-Identifier: GPL-2.0
/*
 * monitor.c - "mmaplab monitor": the module's events as they happen, one
 * line each, like "ip monitor".
 *
 * Speaks the generic netlink family "mmaplab" (uapi/linux/mmaplab.h,
 * Documentation/events.rst) through libmnl.  It first lists the live
 * objects (a dump), then joins the "monitor" group (everyone's events:
 * CAP_NET_ADMIN).  Without that privilege it subscribes instead to the
 * objects it can reach: those open in processes whose descriptors it may
 * take (pidfd_getfd(2): the same user, or ptrace rights), so a user
 * follows exactly their own objects.  Each event carries its object's
 * sequence number; a gap is printed as "lost N events", and a receive
 * buffer overrun (ENOBUFS) is reported too.  SIGINT and SIGTERM end it
 * cleanly (exit 0).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "lib.h"

struct mon_opts {
	uint64_t object;	/* --object: 0 all */
	uint64_t pid;		/* --pid: 0 all */
	uint64_t count;		/* --count: stop after this many events */
	bool dump;		/* list live objects first (--no-dump) */
};

/* The last sequence number seen per object, to spot gaps. */
struct mon_seq {
	uint64_t id;
	uint64_t seq;
};

struct mon {
	struct mnl_socket *sk;
	uint16_t family;
	uint32_t mcgrp;
	unsigned int seq;
	struct mon_opts opt;
	struct mon_seq *seqs;
	size_t nr_seqs;
	uint64_t events;
	uint64_t lost;
};

/* A decoded message: notification or dump reply. */
struct mon_msg {
	uint8_t cmd;
	uint32_t event, pid, fault_flags, outcome, prot, range_flags;
	uint32_t backing, config_flags, uid;
	uint64_t obj, seq, vma_start, vma_end, vma_pgoff, addr, end, pgoff;
	uint64_t nr_pages, result, lost;
	bool allocated;
	uint64_t have;		/* bit per attribute present */
	char comm[32];
	unsigned int nr_vmas;
	struct {
		uint64_t start, end, pgoff;
		uint32_t pid;
	} vmas[64];
};

static volatile sig_atomic_t mon_stop;

static void mon_signal(int sig)
{
	(void)sig;
	mon_stop = 1;
}

static const char *const mon_event_names[] = {
	[MMAPLAB_EV_NONE]		= "none",
	[MMAPLAB_EV_CREATED]		= "created",
	[MMAPLAB_EV_CONFIGURED]		= "configured",
	[MMAPLAB_EV_DESTROYED]		= "destroyed",
	[MMAPLAB_EV_MMAP]		= "mmap",
	[MMAPLAB_EV_OPEN]		= "open",
	[MMAPLAB_EV_CLOSE]		= "close",
	[MMAPLAB_EV_MAY_SPLIT]		= "may_split",
	[MMAPLAB_EV_MREMAP]		= "mremap",
	[MMAPLAB_EV_MPROTECT]		= "mprotect",
	[MMAPLAB_EV_FAULT]		= "fault",
	[MMAPLAB_EV_PAGE_MKWRITE]	= "page_mkwrite",
	[MMAPLAB_EV_PFN_MKWRITE]	= "pfn_mkwrite",
	[MMAPLAB_EV_MAP_PAGES]		= "map_pages",
	[MMAPLAB_EV_GUARD]		= "guard",
	[MMAPLAB_EV_INVALIDATE]		= "invalidate",
	[MMAPLAB_EV_CLEAN]		= "clean",
};

static const char *const mon_outcome_names[] = {
	[MMAPLAB_FAULT_OUTCOME_NONE]	= "none",
	[MMAPLAB_FAULT_OUTCOME_NEW]	= "new",
	[MMAPLAB_FAULT_OUTCOME_FOUND]	= "found",
	[MMAPLAB_FAULT_OUTCOME_COW]	= "cow",
	[MMAPLAB_FAULT_OUTCOME_SIGBUS]	= "sigbus",
	[MMAPLAB_FAULT_OUTCOME_SIGSEGV]	= "sigsegv",
	[MMAPLAB_FAULT_OUTCOME_RETRIED]	= "retried",
	[MMAPLAB_FAULT_OUTCOME_ERROR]	= "error",
};

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static const char *mon_name(const char *const *names, size_t n, uint32_t v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

static bool has(const struct mon_msg *m, int attr)
{
	return m->have & (1ULL << attr);
}

static int mon_attr_cb(const struct nlattr *a, void *data)
{
	struct mon_msg *m = data;
	uint16_t type = mnl_attr_get_type(a);
	const struct nlattr *n;

	if (type > MMAPLAB_A_MAX)
		return MNL_CB_OK;	/* newer module: skip what we do not know */
	m->have |= 1ULL << type;
	switch (type) {
	case MMAPLAB_A_EVENT: m->event = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_OBJ_ID: m->obj = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_SEQ: m->seq = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_PID: m->pid = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_COMM:
		snprintf(m->comm, sizeof(m->comm), "%s", mnl_attr_get_str(a));
		break;
	case MMAPLAB_A_VMA_START: m->vma_start = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_VMA_END: m->vma_end = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_VMA_PGOFF: m->vma_pgoff = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_ADDR: m->addr = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_END: m->end = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_PGOFF: m->pgoff = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_NR_PAGES: m->nr_pages = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_FAULT_FLAGS: m->fault_flags = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_OUTCOME: m->outcome = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_ALLOCATED: m->allocated = true; break;
	case MMAPLAB_A_RESULT: m->result = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_PROT: m->prot = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_RANGE_FLAGS: m->range_flags = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_BACKING: m->backing = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_CONFIG_FLAGS: m->config_flags = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_UID: m->uid = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_LOST: m->lost = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_VMA:
		if (m->nr_vmas >= ARRAY_LEN(m->vmas))
			break;
		mnl_attr_for_each_nested(n, a) {
			switch (mnl_attr_get_type(n)) {
			case MMAPLAB_A_VMA_START:
				m->vmas[m->nr_vmas].start = mnl_attr_get_u64(n);
				break;
			case MMAPLAB_A_VMA_END:
				m->vmas[m->nr_vmas].end = mnl_attr_get_u64(n);
				break;
			case MMAPLAB_A_VMA_PGOFF:
				m->vmas[m->nr_vmas].pgoff = mnl_attr_get_u64(n);
				break;
			case MMAPLAB_A_PID:
				m->vmas[m->nr_vmas].pid = mnl_attr_get_u32(n);
				break;
			}
		}
		m->nr_vmas++;
		break;
	}
	return MNL_CB_OK;
}

/* ------------------------------------------------------------ output */

static void mon_time(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06ld", (long)tv.tv_usec);
}

static struct mon_seq *mon_seq_of(struct mon *mon, uint64_t id)
{
	for (size_t i = 0; i < mon->nr_seqs; i++)
		if (mon->seqs[i].id == id)
			return &mon->seqs[i];
	mon->seqs = xrealloc(mon->seqs, (mon->nr_seqs + 1) * sizeof(*mon->seqs));
	mon->seqs[mon->nr_seqs].id = id;
	mon->seqs[mon->nr_seqs].seq = 0;
	return &mon->seqs[mon->nr_seqs++];
}

static void mon_print_lost(uint64_t obj, uint64_t n, const char *why)
{
	char ts[64];

	mon_time(ts, sizeof(ts));
	if (out_json()) {
		json_begin();
		json_str("type", "lost");
		json_str("time", ts);
		if (obj)
			json_u64("object", obj);
		if (n)
			json_u64("events", n);
		json_str("reason", why);
		json_end();
	} else if (obj) {
		printf("[%s] %slost %llu events%s of object %llu (%s)\n", ts,
		       out_sgr(OC_RED), (unsigned long long)n, out_sgr_reset(),
		       (unsigned long long)obj, why);
	} else {
		printf("[%s] %slost events%s: %s\n", ts, out_sgr(OC_RED),
		       out_sgr_reset(), why);
	}
	fflush(stdout);
}

static void mon_print_object(const struct mon_msg *m)
{
	char flags[128];

	ml_config_flags_str(m->config_flags, ",", flags, sizeof(flags));
	if (out_json()) {
		json_begin();
		json_str("type", "object");
		json_u64("object", m->obj);
		json_str("backing", ml_backing_name(m->backing) ?: "unknown");
		json_str("flags", flags);
		json_u64("nr_pages", m->nr_pages);
		json_u64("uid", m->uid);
		json_u64("seq", m->seq);
		json_u64("lost", m->lost);
		json_arr_open("vmas");
		for (unsigned int i = 0; i < m->nr_vmas && i < ARRAY_LEN(m->vmas); i++) {
			json_obj_open(NULL);
			json_u64("start", m->vmas[i].start);
			json_u64("end", m->vmas[i].end);
			json_u64("pgoff", m->vmas[i].pgoff);
			json_u64("pid", m->vmas[i].pid);
			json_obj_close();
		}
		json_arr_close();
		json_end();
		return;
	}
	printf("object %s%llu%s %s %llu pages flags %s uid %u seq %llu lost %llu vmas %u\n",
	       out_sgr(OC_BOLD), (unsigned long long)m->obj, out_sgr_reset(),
	       ml_backing_name(m->backing) ?: "unknown",
	       (unsigned long long)m->nr_pages, flags, m->uid,
	       (unsigned long long)m->seq, (unsigned long long)m->lost,
	       m->nr_vmas);
	for (unsigned int i = 0; i < m->nr_vmas && i < ARRAY_LEN(m->vmas); i++)
		printf("    vma %llx-%llx pgoff %llu pid %u\n",
		       (unsigned long long)m->vmas[i].start,
		       (unsigned long long)m->vmas[i].end,
		       (unsigned long long)m->vmas[i].pgoff, m->vmas[i].pid);
}

static const char *mon_fault_flags(uint32_t f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s",
		 f & MMAPLAB_FAULT_WRITE ? "write" : "read",
		 f & MMAPLAB_FAULT_SHARED ? ",shared" : ",private",
		 f & MMAPLAB_FAULT_REMOTE ? ",remote" : "",
		 f & MMAPLAB_FAULT_TRIED ? ",tried" : "",
		 f & MMAPLAB_FAULT_VMA_LOCK ? ",vma-lock" : "");
	return buf;
}

static void mon_print_event(const struct mon_msg *m)
{
	const char *name = mon_name(mon_event_names,
				    ARRAY_LEN(mon_event_names), m->event);
	const char *outcome = mon_name(mon_outcome_names,
				       ARRAY_LEN(mon_outcome_names), m->outcome);
	char ts[64], ff[64];

	mon_time(ts, sizeof(ts));
	mon_fault_flags(m->fault_flags, ff, sizeof(ff));
	if (out_json()) {
		json_begin();
		json_str("type", "event");
		json_str("time", ts);
		json_str("event", name);
		json_u64("object", m->obj);
		json_u64("seq", m->seq);
		json_u64("pid", m->pid);
		json_str("comm", m->comm);
		if (has(m, MMAPLAB_A_VMA_START)) {
			json_u64("vma_start", m->vma_start);
			json_u64("vma_end", m->vma_end);
			json_u64("vma_pgoff", m->vma_pgoff);
		}
		if (has(m, MMAPLAB_A_ADDR))
			json_u64("addr", m->addr);
		if (has(m, MMAPLAB_A_END))
			json_u64("end", m->end);
		if (has(m, MMAPLAB_A_PGOFF))
			json_u64("pgoff", m->pgoff);
		if (has(m, MMAPLAB_A_NR_PAGES))
			json_u64("nr_pages", m->nr_pages);
		if (has(m, MMAPLAB_A_FAULT_FLAGS))
			json_str("access", ff);
		if (has(m, MMAPLAB_A_OUTCOME))
			json_str("outcome", outcome);
		if (has(m, MMAPLAB_A_OUTCOME))
			json_bool("allocated", m->allocated);
		if (has(m, MMAPLAB_A_RESULT))
			json_u64("result", m->result);
		if (has(m, MMAPLAB_A_PROT))
			json_u64("prot", m->prot);
		if (has(m, MMAPLAB_A_RANGE_FLAGS))
			json_u64("range_flags", m->range_flags);
		if (has(m, MMAPLAB_A_BACKING))
			json_str("backing", ml_backing_name(m->backing) ?: "unknown");
		json_end();
		fflush(stdout);
		return;
	}

	printf("[%s] obj %llu #%llu %s%s%s pid %u (%s)", ts,
	       (unsigned long long)m->obj, (unsigned long long)m->seq,
	       out_sgr(OC_CYAN), name, out_sgr_reset(), m->pid, m->comm);
	if (has(m, MMAPLAB_A_VMA_START))
		printf(" vma %llx-%llx", (unsigned long long)m->vma_start,
		       (unsigned long long)m->vma_end);
	switch (m->event) {
	case MMAPLAB_EV_CONFIGURED:
		printf(" backing %s size %llu pages",
		       ml_backing_name(m->backing) ?: "unknown",
		       (unsigned long long)m->nr_pages);
		break;
	case MMAPLAB_EV_MAY_SPLIT:
		printf(" at %llx", (unsigned long long)m->addr);
		break;
	case MMAPLAB_EV_MPROTECT:
		printf(" %llx-%llx prot %c%c%c", (unsigned long long)m->addr,
		       (unsigned long long)m->end, m->prot & 1 ? 'r' : '-',
		       m->prot & 2 ? 'w' : '-', m->prot & 4 ? 'x' : '-');
		break;
	case MMAPLAB_EV_FAULT:
		printf(" addr %llx pgoff %llu %s %s%s%s%s",
		       (unsigned long long)m->addr,
		       (unsigned long long)m->pgoff, ff,
		       m->outcome >= MMAPLAB_FAULT_OUTCOME_SIGBUS ?
		       out_sgr(OC_YELLOW) : "", outcome, out_sgr_reset(),
		       m->allocated ? " allocated" : "");
		break;
	case MMAPLAB_EV_PAGE_MKWRITE:
	case MMAPLAB_EV_PFN_MKWRITE:
		printf(" addr %llx pgoff %llu", (unsigned long long)m->addr,
		       (unsigned long long)m->pgoff);
		break;
	case MMAPLAB_EV_MAP_PAGES:
		printf(" pgoff %llu+%llu", (unsigned long long)m->pgoff,
		       (unsigned long long)m->nr_pages);
		if (has(m, MMAPLAB_A_RESULT))
			printf(" mapped %llu", (unsigned long long)m->result);
		break;
	case MMAPLAB_EV_GUARD:
	case MMAPLAB_EV_INVALIDATE:
	case MMAPLAB_EV_CLEAN:
		printf(" pgoff %llu+%llu flags %#x result %llu",
		       (unsigned long long)m->pgoff,
		       (unsigned long long)m->nr_pages, m->range_flags,
		       (unsigned long long)m->result);
		break;
	}
	putchar('\n');
	fflush(stdout);
}

/* ----------------------------------------------------------- netlink */

static struct nlmsghdr *mon_req(struct mon *mon, char *buf, uint16_t type,
				uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++mon->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : MMAPLAB_GENL_VERSION;
	return nlh;
}

static int mon_family_cb(const struct nlattr *a, void *data)
{
	struct mon *mon = data;
	const struct nlattr *grp, *n;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
		mon->family = mnl_attr_get_u16(a);
	if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(grp, a) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(n, grp) {
			if (mnl_attr_get_type(n) == CTRL_ATTR_MCAST_GRP_NAME)
				name = mnl_attr_get_str(n);
			else if (mnl_attr_get_type(n) == CTRL_ATTR_MCAST_GRP_ID)
				id = mnl_attr_get_u32(n);
		}
		if (name && !strcmp(name, MMAPLAB_GENL_MCGRP))
			mon->mcgrp = id;
	}
	return MNL_CB_OK;
}

static int mon_ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), mon_family_cb,
			      data);
}

static int mon_ack_msg_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
		*(const char **)data = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

static void mon_event(struct mon *mon, const struct nlmsghdr *nlh);

/* The extended ACK's message of an error reply, or "". */
static const char *mon_ack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const char *msg = "";
	size_t off = sizeof(*err);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return msg;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_parse(nlh, off, mon_ack_msg_cb, &msg);
	return msg;
}

/*
 * Send @nlh and read until its answer, handing every message of the
 * family to @cb.  0, or the negative error of the ACK (its message in
 * @why).
 */
static int mon_talk(struct mon *mon, struct nlmsghdr *nlh, mnl_cb_t cb,
		    char *why, size_t whylen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = nlh->nlmsg_seq;
	const struct nlmsghdr *m;
	int len;

	if (mnl_socket_sendto(mon->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		len = mnl_socket_recvfrom(mon->sk, buf, sizeof(buf));
		if (len < 0 && errno == ENOBUFS) {
			mon_print_lost(0, 0, "receive buffer overrun (ENOBUFS)");
			continue;
		}
		if (len < 0)
			return -errno;
		for (m = (void *)buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			/* An event meanwhile (sequence number 0). */
			if (!m->nlmsg_seq && m->nlmsg_type == mon->family)
				mon_event(mon, m);
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

				if (e->error && why)
					snprintf(why, whylen, "%s", mon_ack_msg(m));
				return e->error;
			}
			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb && cb(m, mon) < 0)
				return -EIO;
		}
	}
}

static bool mon_wanted(const struct mon *mon, const struct mon_msg *m)
{
	if (mon->opt.object && m->obj != mon->opt.object)
		return false;
	if (mon->opt.pid && m->pid != mon->opt.pid && m->cmd != MMAPLAB_CMD_OBJ_GET)
		return false;
	return true;
}

static int mon_obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mon *mon = data;
	struct mon_msg m = { 0 };
	struct mon_seq *s;

	if (nlh->nlmsg_type != mon->family)
		return MNL_CB_OK;
	m.cmd = ((const struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd;
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), mon_attr_cb, &m);
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		ml_err("objects came or went during the listing: it may be inconsistent");
	if (!mon_wanted(mon, &m))
		return MNL_CB_OK;
	s = mon_seq_of(mon, m.obj);
	if (m.seq > s->seq)
		s->seq = m.seq;
	mon_print_object(&m);
	return MNL_CB_OK;
}

static void mon_event(struct mon *mon, const struct nlmsghdr *nlh)
{
	struct mon_msg m = { 0 };
	struct mon_seq *s;

	m.cmd = ((const struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd;
	if (m.cmd != MMAPLAB_CMD_EVENT_NTF)
		return;
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), mon_attr_cb, &m);
	if (mon->opt.object && m.obj != mon->opt.object)
		return;
	/* Gaps are counted whatever --pid filters out. */
	s = mon_seq_of(mon, m.obj);
	if (s->seq && m.seq > s->seq + 1) {
		mon->lost += m.seq - s->seq - 1;
		mon_print_lost(m.obj, m.seq - s->seq - 1,
			       "numbers skipped: the receive buffer was full or the module had no memory");
	}
	if (m.seq > s->seq)
		s->seq = m.seq;
	if (!mon_wanted(mon, &m))
		return;
	mon->events++;
	mon_print_event(&m);
}

static int mon_resolve(struct mon *mon)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = mon_req(mon, buf, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MMAPLAB_GENL_NAME);
	return mon_talk(mon, nlh, mon_ctrl_cb, NULL, 0);
}

/*
 * Without CAP_NET_ADMIN: subscribe to every object open in a process
 * whose descriptors we may take (pidfd_getfd), optionally only @pid's.
 * Returns how many subscriptions were made.
 */
static int mon_subscribe_reachable(struct mon *mon)
{
	char path[PATH_MAX], link[PATH_MAX], buf[MNL_SOCKET_BUFFER_SIZE];
	char why[256];
	struct dirent *pd, *fdent;
	DIR *proc, *fds;
	int made = 0;

	proc = opendir("/proc");
	if (!proc)
		return 0;
	while ((pd = readdir(proc))) {
		long pid = strtol(pd->d_name, NULL, 10);
		int pidfd;

		if (pid <= 0 || (mon->opt.pid && (uint64_t)pid != mon->opt.pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
		while (pidfd >= 0 && (fdent = readdir(fds))) {
			struct mmaplab_stats st;
			struct nlmsghdr *nlh;
			ssize_t n;
			int fd;

			snprintf(path, sizeof(path), "/proc/%ld/fd/%s", pid,
				 fdent->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			if (strcmp(link, ml_opt.device))
				continue;
			fd = syscall(SYS_pidfd_getfd, pidfd,
				     atoi(fdent->d_name), 0);
			if (fd < 0)
				continue;
			if (ml_stats(fd, 0, &st) ||
			    (mon->opt.object && st.object_id != mon->opt.object)) {
				close(fd);
				continue;
			}
			nlh = mon_req(mon, buf, mon->family, NLM_F_ACK,
				      MMAPLAB_CMD_SUBSCRIBE);
			mnl_attr_put_u32(nlh, MMAPLAB_A_OBJ_FD, fd);
			if (!mon_talk(mon, nlh, NULL, why, sizeof(why)))
				made++;
			/* The subscription does not need the descriptor. */
			close(fd);
		}
		if (pidfd >= 0)
			close(pidfd);
		closedir(fds);
	}
	closedir(proc);
	return made;
}

static int mon_dump(struct mon *mon)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], why[256] = "";
	struct nlmsghdr *nlh;
	int err;

	nlh = mon_req(mon, buf, mon->family, NLM_F_DUMP, MMAPLAB_CMD_OBJ_GET);
	err = mon_talk(mon, nlh, mon_obj_cb, why, sizeof(why));
	if (err)
		ml_err("listing the live objects: %s%s%s", strerror(-err),
		       why[0] ? ": " : "", why);
	return err;
}

static int mon_loop(struct mon *mon)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	const struct nlmsghdr *nlh;
	int len;

	while (!mon_stop) {
		len = recv(mnl_socket_get_fd(mon->sk), buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				mon_print_lost(0, 0, "receive buffer overrun (ENOBUFS)");
				continue;
			}
			ml_err("recv: %s", strerror(errno));
			return ML_EXIT_FAIL;
		}
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			/* Notifications carry sequence number 0. */
			if (nlh->nlmsg_type == mon->family && !nlh->nlmsg_seq)
				mon_event(mon, nlh);
			if (mon->opt.count && mon->events >= mon->opt.count)
				return ML_EXIT_OK;
		}
	}
	return ML_EXIT_OK;
}

static void monitor_usage(FILE *f)
{
	fputs("Usage: mmaplab [GLOBAL OPTIONS] monitor [OPTIONS]\n"
	      "\n"
	      "Print the module's events as they happen, one line each with a\n"
	      "timestamp (-j: one JSON object per line), after a listing of the\n"
	      "live objects and their VMAs.  Everyone's events need CAP_NET_ADMIN\n"
	      "(the \"monitor\" group); without it, the objects open in processes\n"
	      "whose descriptors this user may take (pidfd_getfd) are followed.\n"
	      "A gap in an object's event numbers is printed as \"lost N events\".\n"
	      "Ctrl-C or SIGTERM ends it.\n"
	      "\n"
	      "Options:\n"
	      "  -o, --object ID   only the events of object ID\n"
	      "  -p, --pid PID     only events caused by process PID (without\n"
	      "                    CAP_NET_ADMIN: follow PID's objects)\n"
	      "  -n, --count N     exit after N events\n"
	      "      --no-dump     do not list the live objects first\n"
	      "  -h, --help        show this help and exit\n"
	      "\n"
	      "Exit status: 0 success (also when interrupted), 1 netlink failed\n"
	      "or nothing can be followed, 2 usage error, 3 module not loaded.\n",
	      f);
}

ml_command_fn cmd_monitor;

int cmd_monitor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "object",  required_argument, NULL, 'o' },
		{ "pid",     required_argument, NULL, 'p' },
		{ "count",   required_argument, NULL, 'n' },
		{ "no-dump", no_argument,       NULL, 'D' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mon mon = { .opt.dump = true };
	struct sigaction sa = { .sa_handler = mon_signal };
	int c, one = 1, grp, err, ret;

	while ((c = getopt_long(argc, argv, "o:p:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (ml_parse_u64("monitor", "--object", optarg,
					 UINT64_MAX, &mon.opt.object))
				return ML_EXIT_USAGE;
			break;
		case 'p':
			if (ml_parse_u64("monitor", "--pid", optarg, INT_MAX,
					 &mon.opt.pid))
				return ML_EXIT_USAGE;
			break;
		case 'n':
			if (ml_parse_u64("monitor", "--count", optarg,
					 UINT64_MAX, &mon.opt.count))
				return ML_EXIT_USAGE;
			break;
		case 'D':
			mon.opt.dump = false;
			break;
		case 'h':
			monitor_usage(stdout);
			return ML_EXIT_OK;
		default:
			return ml_option_error("monitor", argv);
		}
	}
	if (optind < argc)
		return ml_usage_error("monitor", "unexpected argument '%s'",
				      argv[optind]);

	mon.sk = mnl_socket_open(NETLINK_GENERIC);
	if (!mon.sk) {
		ml_err("netlink socket: %s", strerror(errno));
		return ML_EXIT_FAIL;
	}
	mnl_socket_setsockopt(mon.sk, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(mon.sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		ml_err("netlink bind: %s", strerror(errno));
		ret = ML_EXIT_FAIL;
		goto out;
	}
	err = mon_resolve(&mon);
	if (err || !mon.family) {
		ml_err("generic netlink family \"%s\" not found (is the module loaded, and new enough?)",
		       MMAPLAB_GENL_NAME);
		ret = ML_EXIT_NODEV;
		goto out;
	}

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* Join first, then list: no event falls between the two. */
	grp = mon.mcgrp;
	if (mnl_socket_setsockopt(mon.sk, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		if (errno != EPERM && errno != EACCES) {
			ml_err("joining group \"%s\": %s", MMAPLAB_GENL_MCGRP,
			       strerror(errno));
			ret = ML_EXIT_FAIL;
			goto out;
		}
		if (!mon_subscribe_reachable(&mon)) {
			ml_err("everyone's events need CAP_NET_ADMIN, and no object of yours is open%s",
			       mon.opt.pid ? " in that process" : "");
			ret = ML_EXIT_FAIL;
			goto out;
		}
	}
	if (mon.opt.dump && mon_dump(&mon)) {
		ret = ML_EXIT_FAIL;
		goto out;
	}
	fflush(stdout);
	ret = mon_loop(&mon);
out:
	free(mon.seqs);
	mnl_socket_close(mon.sk);
	return ret;
}
