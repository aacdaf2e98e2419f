// SPDX-License-Identifier: GPL-2.0
/*
 * genl.c - the generic netlink family "mmaplab" through libmnl (see
 * genl.h, Documentation/events.rst): the socket, the family resolved by
 * name, requests with their extended ACKs, subscriptions, and the decoding
 * of events.  Printing them is the callers' (monitor.c, the demos).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "genl.h"

static const char *const event_names[] = {
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

static const char *const outcome_names[] = {
	[MMAPLAB_FAULT_OUTCOME_NONE]	= "none",
	[MMAPLAB_FAULT_OUTCOME_NEW]	= "new",
	[MMAPLAB_FAULT_OUTCOME_FOUND]	= "found",
	[MMAPLAB_FAULT_OUTCOME_COW]	= "cow",
	[MMAPLAB_FAULT_OUTCOME_SIGBUS]	= "sigbus",
	[MMAPLAB_FAULT_OUTCOME_SIGSEGV]	= "sigsegv",
	[MMAPLAB_FAULT_OUTCOME_RETRIED]	= "retried",
	[MMAPLAB_FAULT_OUTCOME_ERROR]	= "error",
};

const char *ml_event_name(uint32_t event)
{
	return event < ARRAY_SIZE(event_names) && event_names[event] ?
	       event_names[event] : "unknown";
}

const char *ml_fault_outcome_name(uint32_t outcome)
{
	return outcome < ARRAY_SIZE(outcome_names) && outcome_names[outcome] ?
	       outcome_names[outcome] : "unknown";
}

const char *ml_fault_flags_str(uint32_t f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s",
		 f & MMAPLAB_FAULT_WRITE ? "write" : "read",
		 f & MMAPLAB_FAULT_SHARED ? ",shared" : ",private",
		 f & MMAPLAB_FAULT_REMOTE ? ",remote" : "",
		 f & MMAPLAB_FAULT_TRIED ? ",tried" : "",
		 f & MMAPLAB_FAULT_VMA_LOCK ? ",vma-lock" : "");
	return buf;
}

/* ------------------------------------------------------------ decoding */

static void parse_vma(const struct nlattr *a, struct ml_event *m)
{
	const struct nlattr *n;

	if (m->nr_vmas >= ARRAY_SIZE(m->vmas))
		return;
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
}

static int attr_cb(const struct nlattr *a, void *data)
{
	struct ml_event *m = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type > MMAPLAB_A_MAX)
		return MNL_CB_OK;	/* newer module: skip what we do not know */
	m->have |= 1ULL << type;
	switch (type) {
	case MMAPLAB_A_EVENT:
		m->event = mnl_attr_get_u32(a);
		break;
	case MMAPLAB_A_OBJ_ID:
		m->obj = mnl_attr_get_u64(a);
		break;
	case MMAPLAB_A_SEQ:
		m->seq = mnl_attr_get_u64(a);
		break;
	case MMAPLAB_A_PID:
		m->pid = mnl_attr_get_u32(a);
		break;
	case MMAPLAB_A_COMM:
		snprintf(m->comm, sizeof(m->comm), "%s", mnl_attr_get_str(a));
		break;
	case MMAPLAB_A_VMA_START:
		m->vma_start = mnl_attr_get_u64(a);
		break;
	case MMAPLAB_A_VMA_END:
		m->vma_end = mnl_attr_get_u64(a);
		break;
	case MMAPLAB_A_VMA_PGOFF:
		m->vma_pgoff = mnl_attr_get_u64(a);
		break;
	case MMAPLAB_A_ADDR:
		m->addr = mnl_attr_get_u64(a);
		break;
	case MMAPLAB_A_END:
		m->end = mnl_attr_get_u64(a);
		break;
	case MMAPLAB_A_PGOFF:
		m->pgoff = mnl_attr_get_u64(a);
		break;
	case MMAPLAB_A_NR_PAGES:
		m->nr_pages = mnl_attr_get_u64(a);
		break;
	case MMAPLAB_A_FAULT_FLAGS:
		m->fault_flags = mnl_attr_get_u32(a);
		break;
	case MMAPLAB_A_OUTCOME:
		m->outcome = mnl_attr_get_u32(a);
		break;
	case MMAPLAB_A_ALLOCATED:
		m->allocated = true;
		break;
	case MMAPLAB_A_RESULT:
		m->result = mnl_attr_get_u64(a);
		break;
	case MMAPLAB_A_PROT:
		m->prot = mnl_attr_get_u32(a);
		break;
	case MMAPLAB_A_RANGE_FLAGS:
		m->range_flags = mnl_attr_get_u32(a);
		break;
	case MMAPLAB_A_BACKING:
		m->backing = mnl_attr_get_u32(a);
		break;
	case MMAPLAB_A_CONFIG_FLAGS:
		m->config_flags = mnl_attr_get_u32(a);
		break;
	case MMAPLAB_A_UID:
		m->uid = mnl_attr_get_u32(a);
		break;
	case MMAPLAB_A_LOST:
		m->lost = mnl_attr_get_u64(a);
		break;
	case MMAPLAB_A_VMA:
		parse_vma(a, m);
		break;
	}
	return MNL_CB_OK;
}

void ml_event_parse(const struct nlmsghdr *nlh, struct ml_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->cmd = ((const struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd;
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_cb, ev);
}

/* ------------------------------------------------------------ requests */

struct nlmsghdr *ml_genl_req(struct ml_genl *g, char *buf, uint16_t type,
			     uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *gh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++g->seq;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = type == GENL_ID_CTRL ? 1 : MMAPLAB_GENL_VERSION;
	return nlh;
}

static int ack_msg_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
		*(const char **)data = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

/* The extended ACK's message of an error reply, or "". */
static const char *ack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const char *msg = "";
	size_t off = sizeof(*err);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return msg;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_parse(nlh, off, ack_msg_cb, &msg);
	return msg;
}

int ml_genl_talk(struct ml_genl *g, struct nlmsghdr *nlh, mnl_cb_t cb,
		 void *data, char *why, size_t whylen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = nlh->nlmsg_seq;
	const struct nlmsghdr *m;
	int len;

	if (mnl_socket_sendto(g->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		len = mnl_socket_recvfrom(g->sk, buf, sizeof(buf));
		if (len < 0 && errno == ENOBUFS) {
			if (g->on_overrun)
				g->on_overrun(g, NULL);
			continue;
		}
		if (len < 0)
			return -errno;
		for (m = (void *)buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			/* An event meanwhile (sequence number 0). */
			if (!m->nlmsg_seq && m->nlmsg_type == g->family &&
			    g->on_event)
				g->on_event(g, m);
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

				if (e->error && why)
					snprintf(why, whylen, "%s", ack_msg(m));
				return e->error;
			}
			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb && cb(m, data) < 0)
				return -EIO;
		}
	}
}

static int family_attr_cb(const struct nlattr *a, void *data)
{
	struct ml_genl *g = data;
	const struct nlattr *grp, *n;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
		g->family = mnl_attr_get_u16(a);
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
			g->mcgrp = id;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			      data);
}

int ml_genl_open(struct ml_genl *g)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int one = 1, err;

	g->family = 0;
	g->mcgrp = 0;
	g->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!g->sk) {
		ml_err("netlink socket: %s", strerror(errno));
		return ML_EXIT_FAIL;
	}
	mnl_socket_setsockopt(g->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(g->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		ml_err("netlink bind: %s", strerror(errno));
		ml_genl_close(g);
		return ML_EXIT_FAIL;
	}
	nlh = ml_genl_req(g, buf, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MMAPLAB_GENL_NAME);
	err = ml_genl_talk(g, nlh, family_cb, g, NULL, 0);
	if (err || !g->family) {
		ml_err("generic netlink family \"%s\" not found (is the module loaded, and new enough?)",
		       MMAPLAB_GENL_NAME);
		ml_genl_close(g);
		return ML_EXIT_NODEV;
	}
	return 0;
}

void ml_genl_close(struct ml_genl *g)
{
	if (g->sk)
		mnl_socket_close(g->sk);
	g->sk = NULL;
}

int ml_genl_subscribe(struct ml_genl *g, int fd, char *why, size_t whylen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = ml_genl_req(g, buf, g->family, NLM_F_ACK, MMAPLAB_CMD_SUBSCRIBE);
	mnl_attr_put_u32(nlh, MMAPLAB_A_OBJ_FD, fd);
	return ml_genl_talk(g, nlh, NULL, NULL, why, whylen);
}

int ml_genl_pending(struct ml_genl *g,
		    void (*fn)(const struct ml_event *ev, void *arg),
		    void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlmsghdr *nlh;
	struct ml_event ev;
	int len, n = 0;

	for (;;) {
		len = recv(mnl_socket_get_fd(g->sk), buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? n : -errno;
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != g->family || nlh->nlmsg_seq)
				continue;
			ml_event_parse(nlh, &ev);
			if (ev.cmd != MMAPLAB_CMD_EVENT_NTF)
				continue;
			fn(&ev, arg);
			n++;
		}
	}
}
