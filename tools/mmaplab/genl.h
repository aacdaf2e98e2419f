/* SPDX-License-Identifier: GPL-2.0 */
/*
 * genl.h - the tool's side of the generic netlink family "mmaplab"
 * (genl.c): a socket with the family resolved by name, requests and their
 * extended ACKs, subscriptions to an object, and events decoded into one
 * structure with the names of their values.  "monitor" (monitor.c) prints
 * the events; the demos (demo_*.c) read those their steps cause.  What to
 * do with an event is the caller's: nothing here prints.
 */
#ifndef MMAPLAB_GENL_H
#define MMAPLAB_GENL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "lib.h"

/* A decoded message of the family: a notification or a dump reply. */
struct ml_event {
	uint8_t cmd;		/* MMAPLAB_CMD_* */
	uint32_t event, pid, fault_flags, outcome, prot, range_flags;
	uint32_t backing, config_flags, uid;
	uint64_t obj, seq, vma_start, vma_end, vma_pgoff, addr, end, pgoff;
	uint64_t nr_pages, result, lost;
	bool allocated;
	uint64_t have;		/* bit per attribute present */
	char comm[32];
	unsigned int nr_vmas;	/* dump: the nested VMA records below */
	struct {
		uint64_t start, end, pgoff;
		uint32_t pid;
	} vmas[64];
};

struct ml_genl;

/* Called for an event that arrives while a request waits for its answer. */
typedef void ml_genl_event_fn(struct ml_genl *g, const struct nlmsghdr *nlh);

/* A socket of the family. */
struct ml_genl {
	struct mnl_socket *sk;
	uint16_t family;	/* the family's id */
	uint32_t mcgrp;		/* the id of the "monitor" group */
	unsigned int seq;	/* of the last request */
	ml_genl_event_fn *on_event;	/* NULL: such events are dropped */
	ml_genl_event_fn *on_overrun;	/* ENOBUFS meanwhile (nlh NULL) */
	void *priv;		/* the caller's */
};

/*
 * Open a socket (extended ACKs on) and resolve the family.  0, or an exit
 * code (ML_EXIT_FAIL, ML_EXIT_NODEV: no such family) with the reason on
 * stderr; on failure nothing is left open.
 */
int ml_genl_open(struct ml_genl *g);
void ml_genl_close(struct ml_genl *g);

/* A request header of @cmd to @type (the family, or GENL_ID_CTRL). */
struct nlmsghdr *ml_genl_req(struct ml_genl *g, char *buf, uint16_t type,
			     uint16_t flags, uint8_t cmd);

/*
 * Send @nlh and read until its answer, handing each reply to @cb(reply,
 * @data) and each event that arrives meanwhile to g->on_event.  0, or the
 * negative error of the answer (the ACK's message in @why, when given).
 */
int ml_genl_talk(struct ml_genl *g, struct nlmsghdr *nlh, mnl_cb_t cb,
		 void *data, char *why, size_t whylen);

/*
 * Follow the object open on descriptor @fd of this process: its events
 * come to this socket from now on.  0 or a negative errno (@why: the
 * module's message).
 */
int ml_genl_subscribe(struct ml_genl *g, int fd, char *why, size_t whylen);

/*
 * The events already queued on the socket, without waiting: each one
 * decoded and handed to @fn(ev, @arg), in order.  Returns how many, or a
 * negative errno (-ENOBUFS: the receive buffer overflowed, events were
 * lost).
 */
int ml_genl_pending(struct ml_genl *g,
		    void (*fn)(const struct ml_event *ev, void *arg),
		    void *arg);

/* Decode a message of the family into @ev (zeroed first). */
void ml_event_parse(const struct nlmsghdr *nlh, struct ml_event *ev);

/* Was attribute @attr (MMAPLAB_A_*) in the message? */
static inline bool ml_event_has(const struct ml_event *ev, int attr)
{
	return ev->have & (1ULL << attr);
}

/* "fault", "page_mkwrite", ...: "unknown" for a value we do not know. */
const char *ml_event_name(uint32_t event);
/* "new", "found", "cow", ... */
const char *ml_fault_outcome_name(uint32_t outcome);
/* MMAPLAB_FAULT_* bits as "write,shared,vma-lock" in @buf; returns @buf. */
const char *ml_fault_flags_str(uint32_t flags, char *buf, size_t len);

#endif /* MMAPLAB_GENL_H */
