// SPDX-License-Identifier: GPL-2.0
/*
 * events_test.c - the event stream of the generic netlink family
 * "mmaplab" (Documentation/events.rst), checked against the counters:
 *
 *   stream    for each scenario (fault kinds per backing, fork, split,
 *             mremap, invalidate, guard, clean, close) the events an
 *             object's subscriber receives are numbered 1, 2, 3... with
 *             no gap, come in that order, and say what MMAPLAB_IOC_STATS
 *             counted; simple scenarios are asserted event by event
 *   access    the "monitor" group needs CAP_NET_ADMIN; an unprivileged
 *             user (uid 65534) follows the objects whose descriptor it
 *             holds and no other, and its dump lists only those
 *   acks      every refused request carries an extended ACK message
 *   overflow  a reader with a tiny receive buffer gets ENOBUFS, and the
 *             gaps in the numbers are exactly what the module dropped
 *   dump      a monitor that starts late lists every live object and
 *             its VMAs
 *   spec      every attribute received is declared, with its type, in
 *             Documentation/netlink/mmaplab.yaml for that message
 *   tracefs   the same events as tracepoints, system "mmaplab"
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "mmaplab_lib.h"

#define NR		8
#define MAX_EVS		4096
#define NOBODY		65534

/* One received notification, decoded. */
struct ev {
	uint32_t cmd;
	uint32_t event;
	uint64_t obj;
	uint64_t seq;
	uint32_t pid;
	char comm[32];
	uint64_t vma_start, vma_end, vma_pgoff;
	uint64_t addr, end, pgoff, nr_pages, result;
	uint32_t fault_flags, outcome, prot, range_flags, backing;
	uint64_t lost;
	bool allocated, has_result;
	uint64_t attrs;		/* bit per attribute type seen */
	unsigned int nr_vmas;	/* dump: nested MMAPLAB_A_VMA */
	uint64_t vmas[16][2];	/* dump: start, end of the first ones */
};

struct nl {
	struct mnl_socket *sk;
	unsigned int portid;
	uint16_t family;
	uint32_t mcgrp;
	unsigned int seq;
	int err;		/* last ACK's error (negative) */
	char msg[256];		/* last ACK's extended message */
	bool enobufs;		/* recv() said ENOBUFS at least once */
	bool dump_intr;
	int nr;
	struct ev evs[MAX_EVS];
};

/* Which attributes of each message were seen (spec test). */
static uint64_t seen_ntf[MMAPLAB_EV_MAX + 1];
static uint64_t seen_dump, seen_vma;
/* Payload length of each attribute type as received (-1: never). */
static int seen_len[MMAPLAB_A_MAX + 1];
static bool seen_len_differs[MMAPLAB_A_MAX + 1];

static int parse_attr_cb(const struct nlattr *a, void *data)
{
	struct ev *e = data;
	uint16_t type = mnl_attr_get_type(a);
	struct nlattr *n;

	if (type > MMAPLAB_A_MAX)
		return MNL_CB_OK;
	e->attrs |= 1ULL << type;
	if (seen_len[type] >= 0 &&
	    seen_len[type] != (int)mnl_attr_get_payload_len(a))
		seen_len_differs[type] = true;
	seen_len[type] = mnl_attr_get_payload_len(a);
	switch (type) {
	case MMAPLAB_A_EVENT: e->event = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_OBJ_ID: e->obj = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_SEQ: e->seq = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_PID: e->pid = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_COMM:
		snprintf(e->comm, sizeof(e->comm), "%s", mnl_attr_get_str(a));
		break;
	case MMAPLAB_A_VMA_START: e->vma_start = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_VMA_END: e->vma_end = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_VMA_PGOFF: e->vma_pgoff = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_ADDR: e->addr = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_END: e->end = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_PGOFF: e->pgoff = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_NR_PAGES: e->nr_pages = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_RESULT:
		e->result = mnl_attr_get_u64(a);
		e->has_result = true;
		break;
	case MMAPLAB_A_FAULT_FLAGS: e->fault_flags = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_OUTCOME: e->outcome = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_PROT: e->prot = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_RANGE_FLAGS: e->range_flags = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_ALLOCATED: e->allocated = true; break;
	case MMAPLAB_A_BACKING: e->backing = mnl_attr_get_u32(a); break;
	case MMAPLAB_A_LOST: e->lost = mnl_attr_get_u64(a); break;
	case MMAPLAB_A_VMA: {
		struct ev v = { 0 };

		mnl_attr_for_each_nested(n, a)
			parse_attr_cb(n, &v);
		seen_vma |= v.attrs;
		if (e->nr_vmas < 16) {
			e->vmas[e->nr_vmas][0] = v.vma_start;
			e->vmas[e->nr_vmas][1] = v.vma_end;
		}
		e->nr_vmas++;
		break;
	}
	}
	return MNL_CB_OK;
}

static int nl_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct ev *e;

	if (nlh->nlmsg_type != nl->family || nl->nr >= MAX_EVS)
		return MNL_CB_OK;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		nl->dump_intr = true;
	e = &nl->evs[nl->nr++];
	memset(e, 0, sizeof(*e));
	e->cmd = g->cmd;
	mnl_attr_parse(nlh, sizeof(*g), parse_attr_cb, e);
	if (g->cmd == MMAPLAB_CMD_EVENT_NTF && e->event <= MMAPLAB_EV_MAX)
		seen_ntf[e->event] |= e->attrs;
	if (g->cmd == MMAPLAB_CMD_OBJ_GET)
		seen_dump |= e->attrs;
	return MNL_CB_OK;
}

/* The extended ACK's message, if any. */
static int ack_attr_cb(const struct nlattr *a, void *data)
{
	struct nl *nl = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
		snprintf(nl->msg, sizeof(nl->msg), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

/*
 * Read what is queued (@wait: until the answer to @seq, an ACK or
 * NLMSG_DONE), decoding notifications into nl->evs.  Returns the ACK's
 * error, 0, or -EAGAIN when nothing more was queued.
 */
static int nl_read(struct nl *nl, unsigned int seq, bool wait)
{
	char buf[65536];
	const struct nlmsghdr *nlh;
	int len;

	for (;;) {
		len = recv(mnl_socket_get_fd(nl->sk), buf, sizeof(buf),
			   wait ? 0 : MSG_DONTWAIT);
		if (len < 0 && errno == ENOBUFS) {
			nl->enobufs = true;
			continue;
		}
		if (len < 0)
			return -errno;
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    nlh->nlmsg_seq == seq && seq) {
				const struct nlmsgerr *err =
					mnl_nlmsg_get_payload(nlh);
				size_t off = sizeof(*err);

				nl->err = err->error;
				nl->msg[0] = 0;
				if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
					off += err->msg.nlmsg_len -
					       sizeof(struct nlmsghdr);
				if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
					mnl_attr_parse(nlh, off, ack_attr_cb, nl);
				return err->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE && nlh->nlmsg_seq == seq)
				return 0;
			/* Notifications carry sequence number 0. */
			if (nlh->nlmsg_seq == 0 || nlh->nlmsg_seq == seq)
				nl_msg_cb(nlh, nl);
		}
	}
}

static struct nlmsghdr *nl_req(struct nl *nl, char *buf, uint16_t type,
			       uint16_t flags, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

static int grp_cb(const struct nlattr *a, void *data)
{
	struct nl *nl = data;
	const struct nlattr *n;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(n, a) {
		if (mnl_attr_get_type(n) == CTRL_ATTR_MCAST_GRP_NAME)
			name = mnl_attr_get_str(n);
		if (mnl_attr_get_type(n) == CTRL_ATTR_MCAST_GRP_ID)
			id = mnl_attr_get_u32(n);
	}
	if (name && !strcmp(name, MMAPLAB_GENL_MCGRP))
		nl->mcgrp = id;
	return MNL_CB_OK;
}

static int family_cb(const struct nlattr *a, void *data)
{
	struct nl *nl = data;
	const struct nlattr *n;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
		nl->family = mnl_attr_get_u16(a);
	if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
		mnl_attr_for_each_nested(n, a)
			grp_cb(n, nl);
	return MNL_CB_OK;
}

/* The family and its group, resolved by name, as every user must. */
static int nl_resolve(struct nl *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int len;

	nlh = nl_req(nl, buf, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MMAPLAB_GENL_NAME);
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	len = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
	if (len < 0)
		return -errno;
	for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

			if (err->error)
				return err->error;
		}
		if (nlh->nlmsg_type == GENL_ID_CTRL)
			mnl_attr_parse(nlh, sizeof(struct genlmsghdr),
				       family_cb, nl);
	}
	/* Consume the ACK that follows the reply. */
	nl_read(nl, nl->seq, false);
	return nl->family ? 0 : -ENOENT;
}

static struct nl *nl_open(int rcvbuf)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	int one = 1;

	if (!nl)
		return NULL;
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sk) {
		free(nl);
		return NULL;
	}
	if (rcvbuf)
		setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    nl_resolve(nl)) {
		mnl_socket_close(nl->sk);
		free(nl);
		return NULL;
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	return nl;
}

static void nl_close(struct nl *nl)
{
	if (nl) {
		mnl_socket_close(nl->sk);
		free(nl);
	}
}

/* Join "monitor": 0 or -errno (EPERM without CAP_NET_ADMIN). */
static int nl_join(struct nl *nl)
{
	int grp = nl->mcgrp;

	if (mnl_socket_setsockopt(nl->sk, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return -errno;
	return 0;
}

/* A request with one attribute (@attr_len 4 or 8; 0: none); the ACK's error. */
static int nl_do(struct nl *nl, uint8_t cmd, int attr_type, uint64_t val,
		 int attr_len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = nl_req(nl, buf, nl->family, NLM_F_ACK, cmd, MMAPLAB_GENL_VERSION);
	if (attr_len == 4)
		mnl_attr_put_u32(nlh, attr_type, (uint32_t)val);
	else if (attr_len == 8)
		mnl_attr_put_u64(nlh, attr_type, val);
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return nl_read(nl, nl->seq, true);
}

static int nl_subscribe(struct nl *nl, int fd)
{
	return nl_do(nl, MMAPLAB_CMD_SUBSCRIBE, MMAPLAB_A_OBJ_FD, fd, 4);
}

/* Dump the live objects into nl->evs (cmd OBJ_GET); 0 or -errno. */
static int nl_dump(struct nl *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = nl_req(nl, buf, nl->family, NLM_F_DUMP, MMAPLAB_CMD_OBJ_GET,
		     MMAPLAB_GENL_VERSION);
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return nl_read(nl, nl->seq, true);
}

/* Everything queued now (the events of a syscall are sent before it returns). */
static void nl_drain(struct nl *nl)
{
	nl_read(nl, 0, false);
}

static const struct ev *dump_find(struct nl *nl, uint64_t id)
{
	for (int i = 0; i < nl->nr; i++)
		if (nl->evs[i].cmd == MMAPLAB_CMD_OBJ_GET &&
		    nl->evs[i].obj == id)
			return &nl->evs[i];
	return NULL;
}

/* The events of object @id, in the order received, into @out. */
static int obj_events(struct nl *nl, uint64_t id, struct ev **out)
{
	int n = 0;

	for (int i = 0; i < nl->nr; i++)
		if (nl->evs[i].cmd == MMAPLAB_CMD_EVENT_NTF &&
		    nl->evs[i].obj == id)
			out[n++] = &nl->evs[i];
	return n;
}

static uint64_t obj_id(int fd)
{
	struct mmaplab_stats st;

	return lab_stats(fd, &st) ? 0 : st.object_id;
}

static int configure(int fd, uint32_t backing, uint32_t flags, int nr)
{
	struct mmaplab_config cfg = {
		.size = sizeof(cfg), .nr_pages = nr, .backing = backing,
		.flags = flags,
	};

	return ioctl(fd, MMAPLAB_IOC_CONFIGURE, &cfg) ? -errno : 0;
}

static int range_op(int fd, unsigned long cmd, uint32_t flags,
		    uint64_t pgoff, uint64_t nr)
{
	struct mmaplab_range r = {
		.size = sizeof(r), .flags = flags, .pgoff = pgoff, .nr_pages = nr,
	};

	return ioctl(fd, cmd, &r) ? -errno : 0;
}

static const char *ev_name(uint32_t e)
{
	static const char *const names[] = {
		"none", "created", "configured", "destroyed", "mmap", "open",
		"close", "may_split", "mremap", "mprotect", "fault",
		"page_mkwrite", "pfn_mkwrite", "map_pages", "guard",
		"invalidate", "clean",
	};

	return e <= MMAPLAB_EV_MAX ? names[e] : "?";
}

/*
 * The heart of the stream tests: the object's events, numbered without a
 * gap from @first, say what its counters say.  Returns a description of
 * the first difference, or NULL.
 */
static const char *stream_matches_stats(struct nl *nl, int fd, uint64_t first,
					char *why, size_t len)
{
	static struct ev *evs[MAX_EVS];
	struct mmaplab_stats st;
	uint64_t n[MMAPLAB_EV_MAX + 1] = { 0 };
	uint64_t faults_write = 0, cow = 0, sigbus = 0, sigsegv = 0;
	uint64_t retried = 0, allocated = 0, mapped = 0;
	int nr, i;

	if (lab_stats(fd, &st))
		return "STATS failed";
	nr = obj_events(nl, st.object_id, evs);
	for (i = 0; i < nr; i++) {
		const struct ev *e = evs[i];

		if (e->seq != first + i) {
			snprintf(why, len, "event %d (%s) has seq %llu, want %llu",
				 i, ev_name(e->event), (unsigned long long)e->seq,
				 (unsigned long long)(first + i));
			return why;
		}
		if (e->event > MMAPLAB_EV_MAX)
			return "unknown event";
		n[e->event]++;
		if (e->event == MMAPLAB_EV_FAULT) {
			if (e->fault_flags & MMAPLAB_FAULT_WRITE) {
				faults_write++;
				if (!(e->fault_flags & MMAPLAB_FAULT_SHARED))
					cow++;
			}
			sigbus += e->outcome == MMAPLAB_FAULT_OUTCOME_SIGBUS;
			sigsegv += e->outcome == MMAPLAB_FAULT_OUTCOME_SIGSEGV;
			retried += e->outcome == MMAPLAB_FAULT_OUTCOME_RETRIED;
			allocated += e->allocated;
		}
		if (e->event == MMAPLAB_EV_MAP_PAGES && e->has_result)
			mapped += e->result;
	}
#define SAME(what, want) do {						\
		if ((uint64_t)(what) != (uint64_t)(want)) {		\
			snprintf(why, len, "%s: %llu events, counter %llu", \
				 #what, (unsigned long long)(what),	\
				 (unsigned long long)(want));		\
			return why;					\
		}							\
	} while (0)
	SAME(n[MMAPLAB_EV_MMAP], st.mmaps);
	SAME(n[MMAPLAB_EV_OPEN], st.vma_opens);
	SAME(n[MMAPLAB_EV_CLOSE], st.vma_closes);
	SAME(n[MMAPLAB_EV_FAULT], st.faults);
	SAME(faults_write, st.faults_write);
	SAME(cow, st.faults_cow);
	SAME(sigbus, st.faults_sigbus);
	SAME(sigsegv, st.faults_sigsegv);
	SAME(retried, st.faults_retried);
	SAME(n[MMAPLAB_EV_MAY_SPLIT], st.may_splits);
	SAME(n[MMAPLAB_EV_MREMAP], st.mremaps);
	SAME(n[MMAPLAB_EV_MPROTECT], st.mprotects);
	SAME(n[MMAPLAB_EV_MAP_PAGES], st.map_pages);
	SAME(n[MMAPLAB_EV_PAGE_MKWRITE], st.page_mkwrites);
	SAME(n[MMAPLAB_EV_PFN_MKWRITE], st.pfn_mkwrites);
	SAME(n[MMAPLAB_EV_INVALIDATE], st.invalidations);
	if (st.backing != MMAPLAB_BACKING_SHMEM) {
		SAME(allocated, st.pages_allocated);
		SAME(mapped, st.map_pages_mapped);
	}
#undef SAME
	return NULL;
}

/* "created configured mmap fault:new ..." for the exact comparisons. */
static const char *stream_str(struct nl *nl, uint64_t id, char *buf,
			      size_t len)
{
	static const char *const oc[] = {
		"", ":new", ":found", ":cow", ":sigbus", ":sigsegv",
		":retried", ":error",
	};
	static struct ev *evs[MAX_EVS];
	int nr = obj_events(nl, id, evs);
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < nr && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s%s%s", i ? " " : "",
				ev_name(evs[i]->event),
				evs[i]->event == MMAPLAB_EV_FAULT &&
				evs[i]->outcome <= 7 ? oc[evs[i]->outcome] : "",
				evs[i]->event == MMAPLAB_EV_FAULT &&
				(evs[i]->fault_flags & MMAPLAB_FAULT_WRITE) ?
				"+w" : "");
	return buf;
}

/* ---- the stream of one object, per backing --------------------------- */

FIXTURE(stream) {
	struct nl *nl;
	int fd;
	uint64_t id;
	char why[512];
	char buf[4096];
};

FIXTURE_VARIANT(stream) {
	uint32_t backing;
	uint32_t flags;
	bool shared;
};

FIXTURE_VARIANT_ADD(stream, pages_private) {
	.backing = MMAPLAB_BACKING_PAGES, .shared = false,
};

FIXTURE_VARIANT_ADD(stream, pages_shared) {
	.backing = MMAPLAB_BACKING_PAGES, .shared = true,
};

FIXTURE_VARIANT_ADD(stream, pages_fa_wn_shared) {
	.backing = MMAPLAB_BACKING_PAGES, .shared = true,
	.flags = MMAPLAB_CONFIG_FAULT_AROUND | MMAPLAB_CONFIG_WRITE_NOTIFY,
};

FIXTURE_VARIANT_ADD(stream, shmem_private) {
	.backing = MMAPLAB_BACKING_SHMEM, .shared = false,
};

FIXTURE_VARIANT_ADD(stream, shmem_shared) {
	.backing = MMAPLAB_BACKING_SHMEM, .shared = true,
};

FIXTURE_VARIANT_ADD(stream, pfn_wn_shared) {
	.backing = MMAPLAB_BACKING_PFN, .shared = true,
	.flags = MMAPLAB_CONFIG_WRITE_NOTIFY,
};

FIXTURE_SETUP(stream)
{
	self->fd = lab_open(self->why, sizeof(self->why));
	if (self->fd < 0)
		SKIP(return, "%s", self->why);
	self->nl = nl_open(0);
	if (!self->nl)
		SKIP(return, "generic netlink family \"%s\" not found: is this module built with events?",
		     MMAPLAB_GENL_NAME);
	lab_catch_signals();
	self->id = obj_id(self->fd);
	ASSERT_EQ(0, nl_subscribe(self->nl, self->fd)) {
		TH_LOG("SUBSCRIBE: %s", self->nl->msg);
	}
	ASSERT_EQ(0, configure(self->fd, variant->backing, variant->flags, NR));
}

FIXTURE_TEARDOWN(stream)
{
	nl_close(self->nl);
	if (self->fd >= 0)
		close(self->fd);
}

static char *stream_map(int fd, int pages, bool shared)
{
	char *p = mmap(NULL, pages * PAGE_SZ, PROT_READ | PROT_WRITE,
		       shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);

	if (p != MAP_FAILED)
		madvise(p, pages * PAGE_SZ, MADV_NOHUGEPAGE);
	return p;
}

/*
 * read page 0, write page 1, read page 0 again (no fault), write page 0,
 * unmap: exactly which events, per mapping kind.
 */
TEST_F(stream, faults_exact)
{
	const char *want;
	char *p, c;

	SETUP_OR_SKIP();
	p = stream_map(self->fd, NR, variant->shared);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, lab_read(p, &c));
	ASSERT_EQ(0, lab_write(p + PAGE_SZ, 1));
	ASSERT_EQ(0, lab_read(p, &c));
	ASSERT_EQ(0, lab_write(p, 2));
	ASSERT_EQ(0, munmap(p, NR * PAGE_SZ));
	nl_drain(self->nl);

	stream_str(self->nl, self->id, self->buf, sizeof(self->buf));
	if (variant->backing == MMAPLAB_BACKING_PFN)
		/*
		 * write-notify: an entry is inserted read-only, the write
		 * then says ->pfn_mkwrite (page 1 at once, page 0 later)
		 */
		want = "configured mmap fault:new fault:new+w pfn_mkwrite pfn_mkwrite close";
	else if (variant->flags & MMAPLAB_CONFIG_WRITE_NOTIFY)
		/*
		 * fault-around first (no page table yet: nothing mapped); a
		 * shared write fault is followed by ->page_mkwrite, and the
		 * write to the read-only page 0 by another
		 */
		want = "configured mmap map_pages fault:new fault:new+w page_mkwrite page_mkwrite close";
	else if (variant->backing == MMAPLAB_BACKING_SHMEM)
		/* shmem always has fault-around; writes do not use it */
		want = variant->shared ?
			"configured mmap map_pages fault:new fault:new+w close" :
			"configured mmap map_pages fault:new fault:cow+w close";
	else if (variant->shared)
		want = "configured mmap fault:new fault:new+w close";
	else
		/* the write to page 0 is the kernel's own copy: no event */
		want = "configured mmap fault:new fault:cow+w close";
	EXPECT_STREQ(want, self->buf);
	EXPECT_EQ(NULL, stream_matches_stats(self->nl, self->fd, 2, self->why,
					     sizeof(self->why))) {
		TH_LOG("%s", self->why);
	}
}

/* Every event of a fault carries the task, the VMA and the page. */
TEST_F(stream, fault_attributes)
{
	static struct ev *evs[MAX_EVS];
	char *p;
	int nr, i;

	SETUP_OR_SKIP();
	p = stream_map(self->fd, NR, variant->shared);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, lab_write(p + 3 * PAGE_SZ, 1));
	nl_drain(self->nl);
	nr = obj_events(self->nl, self->id, evs);
	for (i = 0; i < nr && evs[i]->event != MMAPLAB_EV_FAULT; i++)
		;
	ASSERT_LT(i, nr);
	EXPECT_EQ((uint32_t)getpid(), evs[i]->pid);
	EXPECT_STREQ("events_test", evs[i]->comm);
	EXPECT_EQ((uintptr_t)p, evs[i]->vma_start);
	EXPECT_EQ((uintptr_t)p + NR * PAGE_SZ, evs[i]->vma_end);
	EXPECT_EQ((uintptr_t)p + 3 * PAGE_SZ, evs[i]->addr);
	EXPECT_EQ(3, evs[i]->pgoff);
	EXPECT_TRUE(evs[i]->fault_flags & MMAPLAB_FAULT_WRITE);
	EXPECT_TRUE(evs[i]->fault_flags & MMAPLAB_FAULT_USER);
	EXPECT_EQ(variant->shared, !!(evs[i]->fault_flags & MMAPLAB_FAULT_SHARED));
	munmap(p, NR * PAGE_SZ);
}

/* Fork: ->open in the parent, the child's faults and close, by pid. */
TEST_F(stream, fork)
{
	static struct ev *evs[MAX_EVS];
	char *p, c;
	pid_t pid;
	int status, nr, i, opens = 0, child = 0;

	SETUP_OR_SKIP();
	p = stream_map(self->fd, NR, variant->shared);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, lab_read(p, &c));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		lab_read(p + PAGE_SZ, &c);
		lab_write(p + 2 * PAGE_SZ, 1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, munmap(p, NR * PAGE_SZ));
	nl_drain(self->nl);
	nr = obj_events(self->nl, self->id, evs);
	for (i = 0; i < nr; i++) {
		if (evs[i]->event == MMAPLAB_EV_OPEN) {
			opens++;
			EXPECT_EQ((uint32_t)getpid(), evs[i]->pid);
		}
		if (evs[i]->pid == (uint32_t)pid)
			child++;
	}
	EXPECT_EQ(1, opens);
	/* the child's faults (unless fork copied the entries) and close */
	EXPECT_GE(child, 1);
	EXPECT_EQ(NULL, stream_matches_stats(self->nl, self->fd, 2, self->why,
					     sizeof(self->why))) {
		TH_LOG("%s", self->why);
	}
}

/*
 * mprotect() of the middle page splits the VMA twice:
 *
 *   before  [ 0 1 2 3 ]         after  [ 0 ][ 1 ][ 2 3 ]
 */
TEST_F(stream, split)
{
	static struct ev *evs[MAX_EVS];
	char *p;
	int nr, i, mprotects = 0;

	SETUP_OR_SKIP();
	p = stream_map(self->fd, NR, variant->shared);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p + PAGE_SZ, PAGE_SZ, PROT_READ));
	ASSERT_EQ(0, munmap(p, NR * PAGE_SZ));
	nl_drain(self->nl);
	nr = obj_events(self->nl, self->id, evs);
	for (i = 0; i < nr; i++) {
		if (evs[i]->event != MMAPLAB_EV_MPROTECT)
			continue;
		mprotects++;
		EXPECT_EQ((uintptr_t)p + PAGE_SZ, evs[i]->addr);
		EXPECT_EQ((uintptr_t)p + 2 * PAGE_SZ, evs[i]->end);
		EXPECT_EQ(PROT_READ, evs[i]->prot);
	}
	EXPECT_EQ(1, mprotects);
	EXPECT_EQ(NULL, stream_matches_stats(self->nl, self->fd, 2, self->why,
					     sizeof(self->why))) {
		TH_LOG("%s", self->why);
	}
}

/* mremap() move: the VMA at its new place says ->mremap. */
TEST_F(stream, mremap_move)
{
	static struct ev *evs[MAX_EVS];
	char *p, *q, *dst, c;
	int nr, i, moved = 0;

	SETUP_OR_SKIP();
	p = stream_map(self->fd, NR, variant->shared);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, lab_read(p, &c));
	dst = mmap(NULL, NR * PAGE_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	q = mremap(p, NR * PAGE_SZ, NR * PAGE_SZ, MREMAP_MAYMOVE | MREMAP_FIXED,
		   dst);
	ASSERT_EQ(dst, q);
	ASSERT_EQ(0, lab_read(q + PAGE_SZ, &c));
	ASSERT_EQ(0, munmap(q, NR * PAGE_SZ));
	nl_drain(self->nl);
	nr = obj_events(self->nl, self->id, evs);
	for (i = 0; i < nr; i++)
		if (evs[i]->event == MMAPLAB_EV_MREMAP) {
			moved++;
			EXPECT_EQ((uintptr_t)q, evs[i]->vma_start);
		}
	EXPECT_EQ(1, moved);
	EXPECT_EQ(NULL, stream_matches_stats(self->nl, self->fd, 2, self->why,
					     sizeof(self->why))) {
		TH_LOG("%s", self->why);
	}
}

/* Invalidate, guard (the fault gets SIGSEGV), and past the end (SIGBUS). */
TEST_F(stream, ranges)
{
	const char *want;
	char *p, c;

	SETUP_OR_SKIP();
	/* Two pages more than the object: the last ones raise SIGBUS. */
	p = stream_map(self->fd, NR + 2, variant->shared);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, lab_read(p, &c));
	ASSERT_EQ(0, range_op(self->fd, MMAPLAB_IOC_INVALIDATE, 0, 0, 1));
	ASSERT_EQ(0, lab_read(p, &c));
	ASSERT_EQ(0, range_op(self->fd, MMAPLAB_IOC_GUARD,
			      MMAPLAB_GUARD_INSTALL, 2, 1));
	ASSERT_EQ(SIGSEGV, lab_read(p + 2 * PAGE_SZ, &c));
	ASSERT_EQ(0, range_op(self->fd, MMAPLAB_IOC_GUARD,
			      MMAPLAB_GUARD_REMOVE, 2, 1));
	ASSERT_EQ(SIGBUS, lab_read(p + NR * PAGE_SZ, &c));
	ASSERT_EQ(0, munmap(p, (NR + 2) * PAGE_SZ));
	nl_drain(self->nl);

	stream_str(self->nl, self->id, self->buf, sizeof(self->buf));
	if (variant->flags & MMAPLAB_CONFIG_FAULT_AROUND ||
	    variant->backing == MMAPLAB_BACKING_SHMEM)
		/* the read after invalidate: fault-around maps page 0 again */
		want = "configured mmap map_pages fault:new invalidate map_pages guard map_pages fault:sigsegv guard map_pages fault:sigbus close";
	else
		want = "configured mmap fault:new invalidate fault:found guard fault:sigsegv guard fault:sigbus close";
	EXPECT_STREQ(want, self->buf);
	EXPECT_EQ(NULL, stream_matches_stats(self->nl, self->fd, 2, self->why,
					     sizeof(self->why))) {
		TH_LOG("%s", self->why);
	}
}

/* Write-notify: a write, CLEAN, the next write is notified again. */
TEST_F(stream, clean)
{
	static struct ev *evs[MAX_EVS];
	int nr, i, cleans = 0;
	char *p;

	SETUP_OR_SKIP();
	if (!(variant->flags & MMAPLAB_CONFIG_WRITE_NOTIFY)) {
		/* Refused: then no event either. */
		ASSERT_EQ(-EINVAL, range_op(self->fd, MMAPLAB_IOC_CLEAN, 0, 0, 0));
		nl_drain(self->nl);
		stream_str(self->nl, self->id, self->buf, sizeof(self->buf));
		EXPECT_STREQ("configured", self->buf);
		return;
	}
	p = stream_map(self->fd, NR, true);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, lab_write(p, 1));
	ASSERT_EQ(0, range_op(self->fd, MMAPLAB_IOC_CLEAN, 0, 0, 0));
	ASSERT_EQ(0, lab_write(p, 2));
	ASSERT_EQ(0, munmap(p, NR * PAGE_SZ));
	nl_drain(self->nl);
	nr = obj_events(self->nl, self->id, evs);
	for (i = 0; i < nr; i++)
		if (evs[i]->event == MMAPLAB_EV_CLEAN) {
			cleans++;
			EXPECT_EQ(1, evs[i]->result);
			EXPECT_EQ(NR, evs[i]->nr_pages);
		}
	EXPECT_EQ(1, cleans);
	EXPECT_EQ(NULL, stream_matches_stats(self->nl, self->fd, 2, self->why,
					     sizeof(self->why))) {
		TH_LOG("%s", self->why);
	}
}

/* Close: the descriptor's and the mapping's references; then DESTROYED. */
TEST_F(stream, close_destroys)
{
	static struct ev *evs[MAX_EVS];
	char *p, c;
	int nr;

	SETUP_OR_SKIP();
	p = stream_map(self->fd, NR, variant->shared);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, lab_read(p, &c));
	close(self->fd);
	self->fd = -1;
	nl_drain(self->nl);
	nr = obj_events(self->nl, self->id, evs);
	ASSERT_GT(nr, 0);
	EXPECT_NE(MMAPLAB_EV_DESTROYED, evs[nr - 1]->event);
	ASSERT_EQ(0, munmap(p, NR * PAGE_SZ));
	nl_drain(self->nl);
	nr = obj_events(self->nl, self->id, evs);
	ASSERT_GE(nr, 2);
	EXPECT_EQ(MMAPLAB_EV_CLOSE, evs[nr - 2]->event);
	EXPECT_EQ(MMAPLAB_EV_DESTROYED, evs[nr - 1]->event);
	EXPECT_EQ(nr + 1, evs[nr - 1]->seq);
}

/* Fault-around: the pages ->map_pages mapped, counted as the stats do. */
TEST(map_pages_result)
{
	static struct ev *evs[MAX_EVS];
	char why[256], *p, *q, c;
	struct nl *nl;
	int fd, nr, i, mapped = -1;

	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	nl = nl_open(0);
	ASSERT_NE(NULL, nl);
	ASSERT_EQ(0, nl_subscribe(nl, fd));
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PAGES,
			       MMAPLAB_CONFIG_FAULT_AROUND, NR));
	p = stream_map(fd, NR, true);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < NR; i++)
		ASSERT_EQ(0, lab_write(p + i * PAGE_SZ, 1));
	/* A second mapping: one read maps the resident neighbours. */
	q = stream_map(fd, NR, true);
	ASSERT_NE(MAP_FAILED, q);
	nl_drain(nl);
	nl->nr = 0;
	ASSERT_EQ(0, lab_read(q, &c));
	nl_drain(nl);
	nr = obj_events(nl, obj_id(fd), evs);
	for (i = 0; i < nr; i++)
		if (evs[i]->event == MMAPLAB_EV_MAP_PAGES && evs[i]->has_result)
			mapped = evs[i]->result;
	EXPECT_EQ(NR, mapped);
	munmap(p, NR * PAGE_SZ);
	munmap(q, NR * PAGE_SZ);
	nl_close(nl);
	close(fd);
}

/* ---- who may see what ----------------------------------------------- */

/* Run @fn as uid/gid 65534 in a child; its exit status (0: passed). */
static int as_nobody(int (*fn)(int, int), int a, int b)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(90);
		_exit(fn(a, b));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * As nobody: the group is refused; its own object and the one it was
 * handed (@handed, inherited) may be followed, the other (@other) not
 * even named; the dump lists only what it follows.
 */
static int nobody_side(int handed, int other_id)
{
	char why[256], c, *p;
	struct nl *nl = nl_open(0);
	struct ev *evs[64];
	int own, i, nr;

	if (!nl)
		return 10;
	if (nl_join(nl) != -EPERM)
		return 11;
	own = lab_open(why, sizeof(why));
	if (own < 0)
		return 12;
	if (nl_subscribe(nl, own) || nl_subscribe(nl, handed))
		return 13;
	if (configure(own, MMAPLAB_BACKING_PAGES, 0, 2))
		return 14;
	p = mmap(NULL, 2 * PAGE_SZ, PROT_READ, MAP_SHARED, own, 0);
	if (p == MAP_FAILED)
		return 15;
	c = *(volatile char *)p;
	(void)c;
	munmap(p, 2 * PAGE_SZ);
	nl_drain(nl);
	for (i = 0; i < nl->nr; i++)
		if (nl->evs[i].obj == (uint64_t)other_id)
			return 16;
	nr = obj_events(nl, obj_id(own), evs);
	if (nr != 4)		/* configured mmap fault close */
		return 17;
	nl->nr = 0;
	if (nl_dump(nl))
		return 18;
	if (!dump_find(nl, obj_id(own)) || !dump_find(nl, obj_id(handed)) ||
	    dump_find(nl, other_id))
		return 19;
	for (i = 0; i < nl->nr; i++)
		if (nl->evs[i].cmd == MMAPLAB_CMD_OBJ_GET &&
		    nl->evs[i].obj != obj_id(own) &&
		    nl->evs[i].obj != obj_id(handed))
			return 20;
	nl_close(nl);
	close(own);
	return 0;
}

TEST(permissions)
{
	char why[256], c, *p;
	struct nl *root;
	int handed, other, ret;

	if (geteuid() != 0)
		SKIP(return, "needs root to become uid %d and back", NOBODY);
	handed = lab_open(why, sizeof(why));
	if (handed < 0)
		SKIP(return, "%s", why);
	root = nl_open(0);
	ASSERT_NE(NULL, root);
	ASSERT_EQ(0, nl_join(root));
	other = lab_open(why, sizeof(why));
	ASSERT_GE(other, 0);
	ASSERT_EQ(0, configure(other, MMAPLAB_BACKING_PAGES, 0, 2));

	ret = as_nobody(nobody_side, handed, (int)obj_id(other));
	EXPECT_EQ(0, ret) {
		TH_LOG("nobody's side failed at step %d", ret);
	}

	/* Meanwhile events of @other happen; root's group saw everything. */
	p = mmap(NULL, 2 * PAGE_SZ, PROT_READ, MAP_SHARED, other, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, lab_read(p, &c));
	munmap(p, 2 * PAGE_SZ);
	nl_drain(root);
	{
		static struct ev *evs[MAX_EVS];

		/* created, configured, mmap, fault, close */
		EXPECT_EQ(5, obj_events(root, obj_id(other), evs));
	}
	nl_close(root);
	close(other);
	close(handed);
}

/*
 * The child of as_nobody() inherits @other too; a subscription needs the
 * descriptor, so close it first: the test of "not handed".
 */
static int nobody_closes_then_tries(int other, int unused)
{
	struct nl *nl = nl_open(0);
	int ret;

	(void)unused;
	if (!nl)
		return 10;
	close(other);
	ret = nl_subscribe(nl, other);
	if (ret != -EBADF || !strstr(nl->msg, "descriptor"))
		return 11;
	nl_close(nl);
	return 0;
}

TEST(not_handed_no_subscription)
{
	char why[256];
	int fd, ret;

	if (geteuid() != 0)
		SKIP(return, "needs root to become uid %d", NOBODY);
	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	ret = as_nobody(nobody_closes_then_tries, fd, 0);
	EXPECT_EQ(0, ret);
	close(fd);
}

/* Every refused request says why (extended ACK). */
TEST(extended_acks)
{
	char why[256], buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nl *nl;
	int fd, nullfd;

	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	nl = nl_open(0);
	ASSERT_NE(NULL, nl);
	nullfd = open("/dev/null", O_RDONLY);
	ASSERT_GE(nullfd, 0);

	EXPECT_EQ(-EINVAL, nl_subscribe(nl, nullfd));
	EXPECT_NE(NULL, strstr(nl->msg, "/dev/mmaplab"));
	EXPECT_EQ(-EBADF, nl_subscribe(nl, 1000));
	EXPECT_NE(0, nl->msg[0]);
	EXPECT_EQ(-ERANGE, nl_subscribe(nl, -1));	/* policy: min 0 */
	EXPECT_NE(0, nl->msg[0]);
	EXPECT_EQ(0, nl_subscribe(nl, fd));
	EXPECT_EQ(-EEXIST, nl_subscribe(nl, fd));
	EXPECT_NE(0, nl->msg[0]);
	/* Missing attribute. */
	EXPECT_EQ(-EINVAL, nl_do(nl, MMAPLAB_CMD_SUBSCRIBE, 0, 0, 0));
	/* An attribute the command does not take. */
	EXPECT_EQ(-EINVAL, nl_do(nl, MMAPLAB_CMD_SUBSCRIBE, MMAPLAB_A_PID, 1, 4));
	EXPECT_NE(0, nl->msg[0]);
	EXPECT_EQ(-ENOENT, nl_do(nl, MMAPLAB_CMD_UNSUBSCRIBE, MMAPLAB_A_OBJ_ID,
				 ~0ULL, 8));
	EXPECT_NE(0, nl->msg[0]);
	EXPECT_EQ(0, nl_do(nl, MMAPLAB_CMD_UNSUBSCRIBE, MMAPLAB_A_OBJ_ID,
			   obj_id(fd), 8));
	/* A dump takes no attribute. */
	nlh = nl_req(nl, buf, nl->family, NLM_F_DUMP, MMAPLAB_CMD_OBJ_GET,
		     MMAPLAB_GENL_VERSION);
	mnl_attr_put_u64(nlh, MMAPLAB_A_OBJ_ID, 1);
	ASSERT_LT(0, mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len));
	EXPECT_EQ(-EINVAL, nl_read(nl, nl->seq, true));
	/* An unknown command. */
	EXPECT_EQ(-EOPNOTSUPP, nl_do(nl, 200, 0, 0, 0));
	close(nullfd);
	nl_close(nl);
	close(fd);
}

/* ---- overflow ------------------------------------------------------- */

/*
 * A subscriber with a tiny receive buffer does not read while 256 faults
 * happen.  It must get ENOBUFS, and the gaps in the numbers it receives,
 * counted from the object's number before and after (dump), must be what
 * the module says it dropped (MMAPLAB_A_LOST: it is the only receiver).
 */
TEST(overflow_counted)
{
	const int pages = 256;
	static struct ev *evs[MAX_EVS];
	uint64_t seq0, seq1, lost0, lost1, gaps = 0, prev;
	const struct ev *o;
	char why[256], *p, c;
	struct nl *nl, *ctl;
	int fd, i, nr;

	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PAGES, 0, pages));
	nl = nl_open(8192);
	ctl = nl_open(0);
	ASSERT_NE(NULL, nl);
	ASSERT_NE(NULL, ctl);
	ASSERT_EQ(0, nl_subscribe(nl, fd));
	ASSERT_EQ(0, nl_subscribe(ctl, fd));
	ASSERT_EQ(0, nl_dump(ctl));
	o = dump_find(ctl, obj_id(fd));
	ASSERT_NE(NULL, o);
	seq0 = o->seq;
	lost0 = o->lost;
	/* ctl is unsubscribed now, so only @nl can lose events. */
	ASSERT_EQ(0, nl_do(ctl, MMAPLAB_CMD_UNSUBSCRIBE, MMAPLAB_A_OBJ_ID,
			   obj_id(fd), 8));

	p = stream_map(fd, pages, true);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < pages; i++)
		ASSERT_EQ(0, lab_read(p + i * PAGE_SZ, &c));
	ASSERT_EQ(0, munmap(p, pages * PAGE_SZ));

	nl_drain(nl);
	ctl->nr = 0;
	ASSERT_EQ(0, nl_subscribe(ctl, fd));
	ASSERT_EQ(0, nl_dump(ctl));
	o = dump_find(ctl, obj_id(fd));
	ASSERT_NE(NULL, o);
	seq1 = o->seq;
	lost1 = o->lost;
	nr = obj_events(nl, obj_id(fd), evs);
	EXPECT_TRUE(nl->enobufs);
	ASSERT_GT(nr, 0);
	EXPECT_LT(nr, pages);
	/* Received ones are in order; the gaps are the losses. */
	prev = seq0;
	for (i = 0; i < nr; i++) {
		ASSERT_GT(evs[i]->seq, prev);
		gaps += evs[i]->seq - prev - 1;
		prev = evs[i]->seq;
	}
	gaps += seq1 - prev;
	/* mmap, 256 faults and close happened after seq0. */
	EXPECT_EQ(pages + 2, seq1 - seq0);
	EXPECT_EQ(seq1 - seq0, nr + gaps);
	/* The module counted each drop, as the receiver did. */
	EXPECT_EQ(gaps, lost1 - lost0);
	TH_LOG("%d events received, %llu lost, ENOBUFS %s", nr,
	       (unsigned long long)gaps, nl->enobufs ? "seen" : "not seen");
	nl_close(nl);
	nl_close(ctl);
	close(fd);
}

/* ---- dump ----------------------------------------------------------- */

/* A monitor that starts after the objects: the dump lists them all. */
TEST(dump_sees_live_objects)
{
	char why[256], *maps[3];
	int fds[3], i, j;
	struct nl *nl;

	if (geteuid() != 0)
		SKIP(return, "the dump of every object needs CAP_NET_ADMIN");
	for (i = 0; i < 3; i++) {
		fds[i] = lab_open(why, sizeof(why));
		if (fds[i] < 0)
			SKIP(return, "%s", why);
		ASSERT_EQ(0, configure(fds[i], MMAPLAB_BACKING_PAGES, 0, 2 + i));
		maps[i] = stream_map(fds[i], 2 + i, i & 1);
		ASSERT_NE(MAP_FAILED, maps[i]);
	}
	nl = nl_open(0);
	ASSERT_NE(NULL, nl);
	ASSERT_EQ(0, nl_dump(nl));
	for (i = 0; i < 3; i++) {
		const struct ev *o = dump_find(nl, obj_id(fds[i]));
		bool found = false;

		ASSERT_NE(NULL, o);
		EXPECT_EQ(MMAPLAB_BACKING_PAGES, o->backing);
		EXPECT_EQ(2 + i, o->nr_pages);
		EXPECT_EQ(1, o->nr_vmas);
		for (j = 0; j < (int)o->nr_vmas && j < 16; j++)
			if (o->vmas[j][0] == (uintptr_t)maps[i] &&
			    o->vmas[j][1] == (uintptr_t)maps[i] + (2 + i) * PAGE_SZ)
				found = true;
		EXPECT_TRUE(found);
		/* created, configured, mmap */
		EXPECT_EQ(3, o->seq);
	}
	for (i = 0; i < 3; i++) {
		munmap(maps[i], (2 + i) * PAGE_SZ);
		close(fds[i]);
	}
	nl_close(nl);
}

/* The group (root) sees creation too, numbered from 1. */
TEST(monitor_group_sees_creation)
{
	static struct ev *evs[MAX_EVS];
	char why[256];
	struct nl *nl;
	int fd, nr;
	uint64_t id;

	if (geteuid() != 0)
		SKIP(return, "the group needs CAP_NET_ADMIN");
	nl = nl_open(0);
	ASSERT_NE(NULL, nl);
	ASSERT_EQ(0, nl_join(nl));
	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	id = obj_id(fd);
	close(fd);
	nl_drain(nl);
	nr = obj_events(nl, id, evs);
	ASSERT_EQ(2, nr);
	EXPECT_EQ(MMAPLAB_EV_CREATED, evs[0]->event);
	EXPECT_EQ(1, evs[0]->seq);
	EXPECT_EQ(MMAPLAB_EV_DESTROYED, evs[1]->event);
	EXPECT_EQ(2, evs[1]->seq);
	nl_close(nl);
}

/* ---- the spec ------------------------------------------------------- */

struct spec_attr {
	char name[32];
	char type[16];
	int value;
};

struct spec {
	struct spec_attr attrs[64];
	int nr;
	uint64_t ntf, dump_reply;	/* attributes listed per message */
	int events;			/* entries of enum "event" */
};

static const char *spec_path(const char *argv0, char *buf, size_t len)
{
	const char *env = getenv("MMAPLAB_SPEC");
	char tmp[PATH_MAX];

	if (env && *env)
		return env;
	snprintf(tmp, sizeof(tmp), "%s", argv0);
	snprintf(buf, len, "%s/mmaplab.yaml", dirname(tmp));
	return buf;
}

static int spec_value(struct spec *s, const char *name)
{
	for (int i = 0; i < s->nr; i++)
		if (!strcmp(s->attrs[i].name, name))
			return s->attrs[i].value;
	return -1;
}

/*
 * Just enough of YAML for the kernel's spec style: the attribute set
 * (names, types, values counted from the first), the "event" enum, and
 * the attribute lists of the obj-get dump reply and the event-ntf event.
 */
static int spec_load(const char *path, struct spec *s)
{
	char line[512], key[64], val[256], list_of[32] = "";
	char section[32] = "", op[32] = "", enum_name[32] = "";
	int next = 1, indent, list_indent = -1;
	FILE *f = fopen(path, "r");
	char *t;

	if (!f)
		return -errno;
	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		for (indent = 0; line[indent] == ' '; indent++)
			;
		t = line + indent;
		if (!*t || *t == '#')
			continue;
		if (indent == 0) {
			sscanf(t, "%31[^:]", section);
			continue;
		}
		if (list_indent >= 0 && indent >= list_indent && t[0] == '-' &&
		    t[1] == ' ') {
			int v = spec_value(s, t + 2);

			if (v > 0 && !strcmp(list_of, "ntf"))
				s->ntf |= 1ULL << v;
			if (v > 0 && !strcmp(list_of, "dump"))
				s->dump_reply |= 1ULL << v;
			continue;
		}
		list_indent = -1;
		if (*t == '-') {
			t++;
			while (*t == ' ')
				t++;
			if (!*t)
				continue;
		}
		key[0] = val[0] = 0;
		if (sscanf(t, "%63[^:]: %255[^\n]", key, val) < 1)
			continue;
		if (!strcmp(section, "definitions")) {
			if (!strcmp(key, "name"))
				snprintf(enum_name, sizeof(enum_name), "%s", val);
			if (!strcmp(key, "entries") && !strcmp(enum_name, "event"))
				for (char *c = val; *c; c++)
					s->events += *c == ',';
			if (!strcmp(key, "entries") && !strcmp(enum_name, "event") &&
			    strchr(val, '['))
				s->events++;
		} else if (!strcmp(section, "attribute-sets")) {
			if (!strcmp(key, "name") && indent >= 6 && s->nr < 64) {
				snprintf(s->attrs[s->nr].name,
					 sizeof(s->attrs[0].name), "%s", val);
				s->attrs[s->nr].value = next++;
				s->nr++;
			} else if (!strcmp(key, "type") && s->nr) {
				snprintf(s->attrs[s->nr - 1].type,
					 sizeof(s->attrs[0].type), "%s", val);
			} else if (!strcmp(key, "value") && s->nr) {
				s->attrs[s->nr - 1].value = atoi(val);
				next = atoi(val) + 1;
			}
		} else if (!strcmp(section, "operations")) {
			if (!strcmp(key, "name"))
				snprintf(op, sizeof(op), "%s", val);
			if (!strcmp(key, "attributes") && !val[0]) {
				list_indent = indent;
				if (!strcmp(op, "event-ntf"))
					strcpy(list_of, "ntf");
				else if (!strcmp(op, "obj-get"))
					strcpy(list_of, "dump");
				else
					strcpy(list_of, "");
			}
		}
	}
	fclose(f);
	return 0;
}

/* The length an attribute of spec type @type has on the wire. */
static int spec_len(const char *type)
{
	if (!strcmp(type, "u32") || !strcmp(type, "s32"))
		return 4;
	if (!strcmp(type, "u64"))
		return 8;
	if (!strcmp(type, "flag"))
		return 0;
	return -1;	/* string, nest, pad: variable */
}

static const char *argv0 = "events_test";

TEST(spec_matches_module)
{
	char why[256], path[PATH_MAX], *p, *q, *dst, c;
	struct spec spec;
	struct nl *nl;
	uint64_t declared = 0, all_ntf = 0;
	int fd, pfd, i, ret;

	ret = spec_load(spec_path(argv0, path, sizeof(path)), &spec);
	if (ret)
		SKIP(return, "%.200s: %s (set MMAPLAB_SPEC to Documentation/netlink/mmaplab.yaml)",
		     path, strerror(-ret));
	ASSERT_GT(spec.nr, 20);
	for (i = 0; i < spec.nr; i++) {
		ASSERT_LE(spec.attrs[i].value, MMAPLAB_A_MAX) {
			TH_LOG("%s: value %d", spec.attrs[i].name,
			       spec.attrs[i].value);
		}
		declared |= 1ULL << spec.attrs[i].value;
	}
	/* The header and the spec name the same attributes. */
	EXPECT_EQ(spec.nr, MMAPLAB_A_MAX);
	EXPECT_EQ(MMAPLAB_A_EVENT, spec_value(&spec, "event"));
	EXPECT_EQ(MMAPLAB_A_OBJ_FD, spec_value(&spec, "obj-fd"));
	EXPECT_EQ(MMAPLAB_EV_MAX, spec.events);

	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	nl = nl_open(0);
	ASSERT_NE(NULL, nl);
	memset(seen_ntf, 0, sizeof(seen_ntf));
	memset(seen_len, -1, sizeof(seen_len));
	memset(seen_len_differs, 0, sizeof(seen_len_differs));
	seen_dump = seen_vma = 0;
	lab_catch_signals();

	/* Every kind of event, on a pages object and a pfn one. */
	ASSERT_EQ(0, nl_subscribe(nl, fd));
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PAGES,
			       MMAPLAB_CONFIG_FAULT_AROUND |
			       MMAPLAB_CONFIG_WRITE_NOTIFY, NR));
	p = stream_map(fd, NR, true);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, lab_read(p, &c));
	ASSERT_EQ(0, lab_write(p, 1));
	ASSERT_EQ(0, mprotect(p + PAGE_SZ, PAGE_SZ, PROT_READ));
	dst = mmap(NULL, PAGE_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	q = mremap(p + 2 * PAGE_SZ, PAGE_SZ, PAGE_SZ,
		   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q);
	ASSERT_EQ(0, range_op(fd, MMAPLAB_IOC_GUARD, MMAPLAB_GUARD_INSTALL, 3, 1));
	ASSERT_EQ(0, range_op(fd, MMAPLAB_IOC_INVALIDATE, 0, 0, 1));
	ASSERT_EQ(0, range_op(fd, MMAPLAB_IOC_CLEAN, 0, 0, 0));
	ASSERT_EQ(0, nl_dump(nl));
	munmap(p, 2 * PAGE_SZ);
	munmap(q, PAGE_SZ);
	munmap(p + 3 * PAGE_SZ, PAGE_SZ);
	pfd = lab_open(why, sizeof(why));
	ASSERT_GE(pfd, 0);
	ASSERT_EQ(0, nl_subscribe(nl, pfd));
	ASSERT_EQ(0, configure(pfd, MMAPLAB_BACKING_PFN,
			       MMAPLAB_CONFIG_WRITE_NOTIFY, NR));
	p = stream_map(pfd, NR, true);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, lab_read(p, &c));
	ASSERT_EQ(0, lab_write(p, 1));
	munmap(p, NR * PAGE_SZ);
	close(pfd);
	if (geteuid() == 0) {
		/* "created" comes before anyone can subscribe: the group. */
		ASSERT_EQ(0, nl_join(nl));
		pfd = lab_open(why, sizeof(why));
		close(pfd);
	}
	nl_drain(nl);

	for (i = MMAPLAB_EV_CONFIGURED; i <= MMAPLAB_EV_MAX; i++) {
		EXPECT_NE(0, seen_ntf[i]) {
			TH_LOG("no %s event was received", ev_name(i));
		}
		all_ntf |= seen_ntf[i];
	}
	/* Everything sent is declared, and listed for its message. */
	EXPECT_EQ(0, all_ntf & ~declared);
	EXPECT_EQ(0, all_ntf & ~spec.ntf) {
		TH_LOG("notification attributes not listed in the spec: %#llx",
		       (unsigned long long)(all_ntf & ~spec.ntf));
	}
	EXPECT_EQ(0, seen_dump & ~spec.dump_reply) {
		TH_LOG("dump attributes not listed in the spec: %#llx",
		       (unsigned long long)(seen_dump & ~spec.dump_reply));
	}
	EXPECT_EQ(0, seen_vma & ~declared);
	/* And each with the length of its declared type, always. */
	for (i = 0; i < spec.nr; i++) {
		int v = spec.attrs[i].value, len = spec_len(spec.attrs[i].type);

		if (len < 0 || seen_len[v] < 0)
			continue;
		EXPECT_EQ(len, seen_len[v]) {
			TH_LOG("%s (%s) came with %d bytes", spec.attrs[i].name,
			       spec.attrs[i].type, seen_len[v]);
		}
		EXPECT_FALSE(seen_len_differs[v]);
	}
	nl_close(nl);
	close(fd);
}

/* ---- tracepoints ---------------------------------------------------- */

static const char *tracefs(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];

	for (unsigned int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (!access(path, F_OK))
			return dirs[i];
	}
	if (!mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return dirs[0];
	return NULL;
}

static int write_file(const char *dir, const char *name, const char *val)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

TEST(tracepoints)
{
	char why[256], path[256], line[1024], want[64], *p, c;
	const char *dir;
	int fd, faults = 0, mmaps = 0;
	uint64_t id;
	FILE *f;

	if (geteuid() != 0)
		SKIP(return, "tracefs needs root");
	dir = tracefs();
	if (!dir)
		SKIP(return, "tracefs is not mounted and cannot be (mount -t tracefs nodev /sys/kernel/tracing)");
	snprintf(path, sizeof(path), "%s/events/mmaplab", dir);
	if (access(path, F_OK))
		SKIP(return, "%s missing: is the module loaded?", path);
	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, write_file(dir, "tracing_on", "0"));
	ASSERT_EQ(0, write_file(dir, "trace", ""));
	ASSERT_EQ(0, write_file(dir, "events/mmaplab/enable", "1"));
	ASSERT_EQ(0, write_file(dir, "tracing_on", "1"));

	id = obj_id(fd);
	ASSERT_EQ(0, configure(fd, MMAPLAB_BACKING_PAGES, 0, NR));
	p = stream_map(fd, NR, true);
	ASSERT_NE(MAP_FAILED, p);
	lab_read(p, &c);
	lab_read(p + PAGE_SZ, &c);
	munmap(p, NR * PAGE_SZ);

	ASSERT_EQ(0, write_file(dir, "tracing_on", "0"));
	snprintf(path, sizeof(path), "%s/trace", dir);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	snprintf(want, sizeof(want), "obj=%llu ", (unsigned long long)id);
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, want))
			continue;
		if (strstr(line, "mmaplab_fault:") && strstr(line, "outcome=new"))
			faults++;
		if (strstr(line, "mmaplab_mmap:"))
			mmaps++;
	}
	fclose(f);
	write_file(dir, "events/mmaplab/enable", "0");
	EXPECT_EQ(2, faults);
	EXPECT_EQ(1, mmaps);
	close(fd);
}

int main(int argc, char **argv)
{
	argv0 = argv[0];
	return test_harness_run(argc, argv);
}
