// SPDX-License-Identifier: GPL-2.0
/*
 * events.c - the event stream: the generic netlink family "mmaplab"
 * (notifications, subscriptions, the dump of live objects), the
 * tracepoints of system "mmaplab", and the module-wide list of objects
 * that the dump and the subscriptions need.
 *
 * Every callback the other files count is also handed to mmaplab_emit(),
 * which numbers it (obj->ev_seq: a gap tells a receiver how many events
 * it lost), fires its tracepoint and, only when some socket listens,
 * builds one notification and sends it to the object's subscribers
 * (unicast) and to the "monitor" multicast group.  Nobody listening costs
 * an atomic increment and a static branch.  The fault paths call it
 * without sleeping allocations, ->map_pages under RCU with GFP_ATOMIC;
 * sending itself never sleeps (MSG_DONTWAIT unicasts, GFP_ATOMIC
 * broadcasts), so it runs under obj->ev_lock, which keeps the events of
 * one object in the order of their numbers.
 *
 * Who receives what: the "monitor" group needs CAP_NET_ADMIN (compat.h);
 * any user may subscribe a socket to an object by passing a descriptor of
 * it (MMAPLAB_CMD_SUBSCRIBE), and a subscription ends when the socket is
 * released (netlink notifier), the object dies or it is cancelled.
 * Documentation/events.rst has the whole model.  This file must not
 * change an object's state or look at its pages.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "compat.h"
#include "mmaplab.h"

#define CREATE_TRACE_POINTS
#include "mmaplab_trace.h"

/* VMAs listed per object in a dump reply. */
#define MMAPLAB_DUMP_MAX_VMAS	64

/* Room for the largest notification (every attribute once). */
#define MMAPLAB_EV_MSG_SIZE	512

/*
 * All live objects, in order of id, under mmaplab_objs_lock; the
 * generation changes whenever one comes or goes (NLM_F_DUMP_INTR).
 */
static LIST_HEAD(mmaplab_objs);
static DEFINE_MUTEX(mmaplab_objs_lock);
static unsigned int mmaplab_objs_gen;

/*
 * One VMA mapping an object (obj->vmas, under obj->ev_lock), from
 * mmaplab_vma_attach() or ->open to ->close, which comes before the VMA
 * is freed: the dump may read the VMA's fields (racily: it does not hold
 * that mm's lock) while the record exists.
 */
struct mmaplab_vma_rec {
	struct list_head node;
	struct vm_area_struct *vma;
};

/* One socket subscribed to one object (obj->subs, under obj->ev_lock). */
struct mmaplab_sub {
	struct list_head node;
	u32 portid;
};

static struct genl_family mmaplab_genl;

static const struct genl_multicast_group mmaplab_mcgrps[] = {
	{ .name = MMAPLAB_GENL_MCGRP, .flags = MMAPLAB_MCGRP_FLAGS },
};

static bool mmaplab_monitored(void)
{
	return MMAPLAB_MCGRP_SAFE && genl_has_listeners(&mmaplab_genl,
							&init_net, 0);
}

static void mmaplab_trace(u64 id, const struct mmaplab_ev *ev)
{
	switch (ev->event) {
	case MMAPLAB_EV_CREATED:
		trace_mmaplab_created(id, ev);
		break;
	case MMAPLAB_EV_CONFIGURED:
		trace_mmaplab_configured(id, ev);
		break;
	case MMAPLAB_EV_DESTROYED:
		trace_mmaplab_destroyed(id, ev);
		break;
	case MMAPLAB_EV_MMAP:
		trace_mmaplab_mmap(id, ev);
		break;
	case MMAPLAB_EV_OPEN:
		trace_mmaplab_open(id, ev);
		break;
	case MMAPLAB_EV_CLOSE:
		trace_mmaplab_close(id, ev);
		break;
	case MMAPLAB_EV_MAY_SPLIT:
		trace_mmaplab_may_split(id, ev);
		break;
	case MMAPLAB_EV_MREMAP:
		trace_mmaplab_mremap(id, ev);
		break;
	case MMAPLAB_EV_MPROTECT:
		trace_mmaplab_mprotect(id, ev);
		break;
	case MMAPLAB_EV_FAULT:
		trace_mmaplab_fault(id, ev);
		break;
	case MMAPLAB_EV_PAGE_MKWRITE:
		trace_mmaplab_page_mkwrite(id, ev);
		break;
	case MMAPLAB_EV_PFN_MKWRITE:
		trace_mmaplab_pfn_mkwrite(id, ev);
		break;
	case MMAPLAB_EV_MAP_PAGES:
		trace_mmaplab_map_pages(id, ev);
		break;
	case MMAPLAB_EV_GUARD:
		trace_mmaplab_guard(id, ev);
		break;
	case MMAPLAB_EV_INVALIDATE:
		trace_mmaplab_invalidate(id, ev);
		break;
	case MMAPLAB_EV_CLEAN:
		trace_mmaplab_clean(id, ev);
		break;
	}
}

static int mmaplab_put_u64(struct sk_buff *skb, int type, u64 val)
{
	return nla_put_u64_64bit(skb, type, val, MMAPLAB_A_PAD);
}

static int mmaplab_put_vma(struct sk_buff *skb, struct vm_area_struct *vma)
{
	if (mmaplab_put_u64(skb, MMAPLAB_A_VMA_START,
			    READ_ONCE(vma->vm_start)) ||
	    mmaplab_put_u64(skb, MMAPLAB_A_VMA_END,
			    READ_ONCE(vma->vm_end)) ||
	    mmaplab_put_u64(skb, MMAPLAB_A_VMA_PGOFF,
			    READ_ONCE(vma->vm_pgoff)))
		return -EMSGSIZE;
	return 0;
}

/* The attributes particular to each event (the uapi's enum says which). */
static int mmaplab_put_event(struct sk_buff *skb, struct mmaplab_obj *obj,
			     const struct mmaplab_ev *ev)
{
	int err = 0;

	if (ev->vma && mmaplab_put_vma(skb, ev->vma))
		return -EMSGSIZE;

	switch (ev->event) {
	case MMAPLAB_EV_CONFIGURED:
		if (nla_put_u32(skb, MMAPLAB_A_BACKING, obj->backing) ||
		    nla_put_u32(skb, MMAPLAB_A_CONFIG_FLAGS, obj->flags) ||
		    mmaplab_put_u64(skb, MMAPLAB_A_NR_PAGES, ev->nr_pages))
			err = -EMSGSIZE;
		break;
	case MMAPLAB_EV_MAY_SPLIT:
		err = mmaplab_put_u64(skb, MMAPLAB_A_ADDR, ev->addr);
		break;
	case MMAPLAB_EV_MPROTECT:
		if (mmaplab_put_u64(skb, MMAPLAB_A_ADDR, ev->addr) ||
		    mmaplab_put_u64(skb, MMAPLAB_A_END, ev->end) ||
		    nla_put_u32(skb, MMAPLAB_A_PROT, ev->flags))
			err = -EMSGSIZE;
		break;
	case MMAPLAB_EV_FAULT:
		if (mmaplab_put_u64(skb, MMAPLAB_A_ADDR, ev->addr) ||
		    mmaplab_put_u64(skb, MMAPLAB_A_PGOFF, ev->pgoff) ||
		    nla_put_u32(skb, MMAPLAB_A_FAULT_FLAGS, ev->flags) ||
		    nla_put_u32(skb, MMAPLAB_A_OUTCOME, ev->outcome) ||
		    (ev->allocated && nla_put_flag(skb, MMAPLAB_A_ALLOCATED)))
			err = -EMSGSIZE;
		break;
	case MMAPLAB_EV_PAGE_MKWRITE:
	case MMAPLAB_EV_PFN_MKWRITE:
		if (mmaplab_put_u64(skb, MMAPLAB_A_ADDR, ev->addr) ||
		    mmaplab_put_u64(skb, MMAPLAB_A_PGOFF, ev->pgoff) ||
		    nla_put_u32(skb, MMAPLAB_A_FAULT_FLAGS, ev->flags))
			err = -EMSGSIZE;
		break;
	case MMAPLAB_EV_MAP_PAGES:
		if (mmaplab_put_u64(skb, MMAPLAB_A_ADDR, ev->addr) ||
		    mmaplab_put_u64(skb, MMAPLAB_A_PGOFF, ev->pgoff) ||
		    mmaplab_put_u64(skb, MMAPLAB_A_NR_PAGES, ev->nr_pages) ||
		    (ev->result >= 0 &&
		     mmaplab_put_u64(skb, MMAPLAB_A_RESULT, ev->result)))
			err = -EMSGSIZE;
		break;
	case MMAPLAB_EV_GUARD:
	case MMAPLAB_EV_INVALIDATE:
	case MMAPLAB_EV_CLEAN:
		if (mmaplab_put_u64(skb, MMAPLAB_A_PGOFF, ev->pgoff) ||
		    mmaplab_put_u64(skb, MMAPLAB_A_NR_PAGES, ev->nr_pages) ||
		    nla_put_u32(skb, MMAPLAB_A_RANGE_FLAGS, ev->flags) ||
		    mmaplab_put_u64(skb, MMAPLAB_A_RESULT, ev->result))
			err = -EMSGSIZE;
		break;
	}
	return err;
}

/*
 * Build the notification of @ev; its MMAPLAB_A_SEQ is filled in later,
 * through *@seq, when the event gets its number.  NULL on failure.
 */
static struct sk_buff *mmaplab_ev_msg(struct mmaplab_obj *obj,
				      const struct mmaplab_ev *ev, gfp_t gfp,
				      void **seq)
{
	struct sk_buff *skb;
	struct nlattr *attr;
	void *hdr;

	skb = genlmsg_new(MMAPLAB_EV_MSG_SIZE, gfp);
	if (!skb)
		return NULL;
	/* A notification: port 0, sequence number 0. */
	hdr = genlmsg_put(skb, 0, 0, &mmaplab_genl, 0, MMAPLAB_CMD_EVENT_NTF);
	if (!hdr)
		goto fail;
	if (nla_put_u32(skb, MMAPLAB_A_EVENT, ev->event) ||
	    mmaplab_put_u64(skb, MMAPLAB_A_OBJ_ID, obj->id) ||
	    nla_put_u32(skb, MMAPLAB_A_PID, task_tgid_nr(current)) ||
	    nla_put_string(skb, MMAPLAB_A_COMM, current->comm))
		goto fail;
	attr = nla_reserve_64bit(skb, MMAPLAB_A_SEQ, sizeof(u64),
				 MMAPLAB_A_PAD);
	if (!attr)
		goto fail;
	*seq = nla_data(attr);
	if (mmaplab_put_event(skb, obj, ev))
		goto fail;
	genlmsg_end(skb, hdr);
	return skb;
fail:
	nlmsg_free(skb);
	return NULL;
}

/*
 * Send @skb to the subscribers and the monitor group; called under
 * obj->ev_lock, so nothing here may sleep.  Consumes @skb.  Returns how
 * many receivers it could not reach (a full socket buffer: that socket
 * also gets ENOBUFS from recv()).
 */
static int mmaplab_ev_send(struct mmaplab_obj *obj, struct sk_buff *skb)
{
	struct mmaplab_sub *sub;
	struct sk_buff *copy;
	int failed = 0;
	int err;

	list_for_each_entry(sub, &obj->subs, node) {
		copy = skb_clone(skb, GFP_ATOMIC);
		if (!copy || genlmsg_unicast(&init_net, copy, sub->portid))
			failed++;
	}
	if (mmaplab_monitored()) {
		err = genlmsg_multicast(&mmaplab_genl, skb, 0, 0, GFP_ATOMIC);
		if (err && err != -ESRCH)
			failed++;
	} else {
		nlmsg_free(skb);
	}
	return failed;
}

/*
 * Off, no event is numbered, traced or sent: what make bench compares
 * against to measure what events cost with nobody listening.
 */
static bool mmaplab_events_on = true;
module_param_named(events, mmaplab_events_on, bool, 0644);
MODULE_PARM_DESC(events, "Number, trace and send events (default on)");

void mmaplab_emit(struct mmaplab_obj *obj, struct mmaplab_ev *ev, gfp_t gfp)
{
	struct sk_buff *skb;
	void *seq = NULL;
	int failed;

	if (!READ_ONCE(mmaplab_events_on))
		return;

	if (!READ_ONCE(obj->nr_subs) && !mmaplab_monitored()) {
		ev->seq = atomic64_inc_return(&obj->ev_seq);
		mmaplab_trace(obj->id, ev);
		return;
	}

	skb = mmaplab_ev_msg(obj, ev, gfp, &seq);
	spin_lock(&obj->ev_lock);
	ev->seq = atomic64_inc_return(&obj->ev_seq);
	mmaplab_trace(obj->id, ev);
	if (skb) {
		memcpy(seq, &ev->seq, sizeof(ev->seq));
		failed = mmaplab_ev_send(obj, skb);
	} else {
		failed = 1;
	}
	spin_unlock(&obj->ev_lock);
	if (failed)
		atomic64_add(failed, &obj->ev_lost);
}

/* Keep the list in order of id: ids are taken before the list lock. */
void mmaplab_events_obj_add(struct mmaplab_obj *obj)
{
	struct mmaplab_obj *pos;

	mutex_lock(&mmaplab_objs_lock);
	list_for_each_entry_reverse(pos, &mmaplab_objs, node)
		if (pos->id < obj->id)
			break;
	list_add(&obj->node, &pos->node);
	mmaplab_objs_gen++;
	mutex_unlock(&mmaplab_objs_lock);
	mmaplab_emit_obj(obj, MMAPLAB_EV_CREATED);
}

/*
 * A VMA the dump lists.  ->open cannot fail: without memory the VMA is
 * left out of dumps (and the record's absence is harmless to ->close).
 */
void mmaplab_events_vma_add(struct mmaplab_obj *obj,
			    struct vm_area_struct *vma)
{
	struct mmaplab_vma_rec *rec;

	rec = kmalloc(sizeof(*rec), GFP_KERNEL_ACCOUNT);
	if (!rec)
		return;
	rec->vma = vma;
	spin_lock(&obj->ev_lock);
	list_add_tail(&rec->node, &obj->vmas);
	spin_unlock(&obj->ev_lock);
}

void mmaplab_events_vma_del(struct mmaplab_obj *obj,
			    struct vm_area_struct *vma)
{
	struct mmaplab_vma_rec *rec, *found = NULL;

	spin_lock(&obj->ev_lock);
	list_for_each_entry(rec, &obj->vmas, node) {
		if (rec->vma == vma) {
			list_del(&rec->node);
			found = rec;
			break;
		}
	}
	spin_unlock(&obj->ev_lock);
	kfree(found);
}

/* The last reference is gone: say so, then forget the object. */
void mmaplab_events_obj_del(struct mmaplab_obj *obj)
{
	struct mmaplab_vma_rec *rec, *rnext;
	struct mmaplab_sub *sub, *next;

	mmaplab_emit_obj(obj, MMAPLAB_EV_DESTROYED);
	mutex_lock(&mmaplab_objs_lock);
	list_del(&obj->node);
	mmaplab_objs_gen++;
	mutex_unlock(&mmaplab_objs_lock);

	/* Nobody else can reach the object now: no lock needed. */
	list_for_each_entry_safe(sub, next, &obj->subs, node) {
		list_del(&sub->node);
		kfree(sub);
	}
	obj->nr_subs = 0;
	/* Every VMA held a reference: none is left, and so no record. */
	list_for_each_entry_safe(rec, rnext, &obj->vmas, node) {
		list_del(&rec->node);
		kfree(rec);
	}
}

static struct mmaplab_sub *mmaplab_sub_find(struct mmaplab_obj *obj,
					    u32 portid)
{
	struct mmaplab_sub *sub;

	list_for_each_entry(sub, &obj->subs, node)
		if (sub->portid == portid)
			return sub;
	return NULL;
}

/* Remove @portid's subscription to @obj; true if there was one. */
static bool mmaplab_sub_remove(struct mmaplab_obj *obj, u32 portid)
{
	struct mmaplab_sub *sub;
	bool found;

	spin_lock(&obj->ev_lock);
	sub = mmaplab_sub_find(obj, portid);
	found = !!sub;
	if (sub) {
		list_del(&sub->node);
		WRITE_ONCE(obj->nr_subs, obj->nr_subs - 1);
	}
	spin_unlock(&obj->ev_lock);
	kfree(sub);
	return found;
}

static bool mmaplab_subscribed(struct mmaplab_obj *obj, u32 portid)
{
	bool ret;

	spin_lock(&obj->ev_lock);
	ret = !!mmaplab_sub_find(obj, portid);
	spin_unlock(&obj->ev_lock);
	return ret;
}

/*
 * MMAPLAB_CMD_SUBSCRIBE: runs in the sending task, so the descriptor is
 * looked up in its own table: holding it is the permission.
 */
static int mmaplab_nl_subscribe(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[MMAPLAB_A_OBJ_FD];
	struct mmaplab_sub *sub;
	struct mmaplab_obj *obj;
	struct file *file;
	int ret = 0;

	if (GENL_REQ_ATTR_CHECK(info, MMAPLAB_A_OBJ_FD))
		return -EINVAL;
	file = fget(nla_get_s32(attr));
	if (!file) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "not an open descriptor of the caller");
		return -EBADF;
	}
	obj = mmaplab_file_obj(file);
	if (!obj) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "not a descriptor of " MMAPLAB_DEVICE_PATH);
		ret = -EINVAL;
		goto out;
	}
	sub = kzalloc(sizeof(*sub), GFP_KERNEL_ACCOUNT);
	if (!sub) {
		NL_SET_ERR_MSG(info->extack, "no memory for the subscription");
		ret = -ENOMEM;
		goto out;
	}
	sub->portid = info->snd_portid;

	spin_lock(&obj->ev_lock);
	if (mmaplab_sub_find(obj, sub->portid)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "this socket is already subscribed to the object");
		ret = -EEXIST;
	} else if (obj->nr_subs >= MMAPLAB_MAX_SUBSCRIBERS) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "the object has too many subscribers");
		ret = -ENOSPC;
	} else {
		list_add_tail(&sub->node, &obj->subs);
		WRITE_ONCE(obj->nr_subs, obj->nr_subs + 1);
		sub = NULL;
	}
	spin_unlock(&obj->ev_lock);
	kfree(sub);
out:
	fput(file);
	return ret;
}

/* MMAPLAB_CMD_UNSUBSCRIBE: only the caller's own socket's subscription. */
static int mmaplab_nl_unsubscribe(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[MMAPLAB_A_OBJ_ID];
	struct mmaplab_obj *obj;
	bool found = false;
	u64 id;

	if (GENL_REQ_ATTR_CHECK(info, MMAPLAB_A_OBJ_ID))
		return -EINVAL;
	id = nla_get_u64(attr);
	mutex_lock(&mmaplab_objs_lock);
	list_for_each_entry(obj, &mmaplab_objs, node) {
		if (obj->id == id) {
			found = mmaplab_sub_remove(obj, info->snd_portid);
			break;
		}
	}
	mutex_unlock(&mmaplab_objs_lock);
	if (!found) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "this socket has no subscription to that object");
		return -ENOENT;
	}
	return 0;
}

/* The VMAs that map @obj, as nested MMAPLAB_A_VMA, at most a few. */
static int mmaplab_put_vmas(struct sk_buff *skb, struct mmaplab_obj *obj)
{
	int room = MMAPLAB_DUMP_MAX_VMAS;
	struct mmaplab_vma_rec *rec;
	struct nlattr *nest;
	int err = 0;

	spin_lock(&obj->ev_lock);
	list_for_each_entry(rec, &obj->vmas, node) {
		if (!room--)
			break;
		nest = nla_nest_start(skb, MMAPLAB_A_VMA);
		if (!nest || mmaplab_put_vma(skb, rec->vma) ||
		    nla_put_u32(skb, MMAPLAB_A_PID,
				mmaplab_mm_pid(rec->vma->vm_mm))) {
			err = -EMSGSIZE;
			break;
		}
		nla_nest_end(skb, nest);
	}
	spin_unlock(&obj->ev_lock);
	return err;
}

static int mmaplab_fill_obj(struct sk_buff *skb, struct netlink_callback *cb,
			    struct mmaplab_obj *obj)
{
	void *hdr;
	int err;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &mmaplab_genl, NLM_F_MULTI, MMAPLAB_CMD_OBJ_GET);
	if (!hdr)
		return -EMSGSIZE;
	nl_dump_check_consistent(cb, nlmsg_hdr(skb));

	mutex_lock(&obj->lock);
	err = -EMSGSIZE;
	if (mmaplab_put_u64(skb, MMAPLAB_A_OBJ_ID, obj->id) ||
	    nla_put_u32(skb, MMAPLAB_A_BACKING, obj->backing) ||
	    nla_put_u32(skb, MMAPLAB_A_CONFIG_FLAGS, obj->flags) ||
	    mmaplab_put_u64(skb, MMAPLAB_A_NR_PAGES, obj->nr_pages) ||
	    nla_put_u32(skb, MMAPLAB_A_UID,
			from_kuid_munged(current_user_ns(), obj->charged_uid)) ||
	    mmaplab_put_u64(skb, MMAPLAB_A_SEQ, atomic64_read(&obj->ev_seq)) ||
	    mmaplab_put_u64(skb, MMAPLAB_A_LOST, atomic64_read(&obj->ev_lost)))
		goto out;
	err = mmaplab_put_vmas(skb, obj);
out:
	mutex_unlock(&obj->lock);
	if (err) {
		genlmsg_cancel(skb, hdr);
		return err;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * MMAPLAB_CMD_OBJ_GET dump: every object to CAP_NET_ADMIN or
 * CAP_SYS_ADMIN (of the socket's opener), else the objects this socket
 * subscribed to.  cb->args[0] is the last id sent; cb->seq the list's
 * generation, so that a reply after a change carries NLM_F_DUMP_INTR.
 */
static int mmaplab_nl_obj_dump(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	u32 portid = NETLINK_CB(cb->skb).portid;
	bool all = netlink_capable(cb->skb, CAP_NET_ADMIN) ||
		   netlink_capable(cb->skb, CAP_SYS_ADMIN);
	struct mmaplab_obj *obj;
	u64 last = cb->args[0];
	int err = 0;

	mutex_lock(&mmaplab_objs_lock);
	cb->seq = mmaplab_objs_gen;
	list_for_each_entry(obj, &mmaplab_objs, node) {
		if (obj->id <= last)
			continue;
		if (!all && !mmaplab_subscribed(obj, portid))
			continue;
		err = mmaplab_fill_obj(skb, cb, obj);
		if (err)
			break;
		last = obj->id;
	}
	mutex_unlock(&mmaplab_objs_lock);
	cb->args[0] = last;
	if (err && !skb->len)
		return err;
	return skb->len;
}

static const struct nla_policy mmaplab_subscribe_policy[MMAPLAB_A_MAX + 1] = {
	[MMAPLAB_A_OBJ_FD] = NLA_POLICY_MIN(NLA_S32, 0),
};

static const struct nla_policy mmaplab_unsubscribe_policy[MMAPLAB_A_MAX + 1] = {
	[MMAPLAB_A_OBJ_ID] = NLA_POLICY_MIN(NLA_U64, 1),
};

/*
 * Strict validation throughout (resv_start_op 0): an attribute a
 * command's policy does not list is refused, with an extended ACK.  The
 * dump takes no attributes at all.
 */
static const struct genl_ops mmaplab_genl_ops[] = {
	{
		.cmd		= MMAPLAB_CMD_OBJ_GET,
		.dumpit		= mmaplab_nl_obj_dump,
	},
	{
		.cmd		= MMAPLAB_CMD_SUBSCRIBE,
		.doit		= mmaplab_nl_subscribe,
		.policy		= mmaplab_subscribe_policy,
		.maxattr	= MMAPLAB_A_MAX,
	},
	{
		.cmd		= MMAPLAB_CMD_UNSUBSCRIBE,
		.doit		= mmaplab_nl_unsubscribe,
		.policy		= mmaplab_unsubscribe_policy,
		.maxattr	= MMAPLAB_A_MAX,
	},
};

static struct genl_family mmaplab_genl __ro_after_init = {
	.name		= MMAPLAB_GENL_NAME,
	.version	= MMAPLAB_GENL_VERSION,
	.maxattr	= MMAPLAB_A_MAX,
	.module		= THIS_MODULE,
	.ops		= mmaplab_genl_ops,
	.n_ops		= ARRAY_SIZE(mmaplab_genl_ops),
	.mcgrps		= mmaplab_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(mmaplab_mcgrps),
};

/*
 * A socket's port id can be taken by another socket once it is released:
 * end its subscriptions then, or a stranger would get the events.
 */
static int mmaplab_netlink_event(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct mmaplab_obj *obj;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !net_eq(n->net, &init_net))
		return NOTIFY_DONE;
	mutex_lock(&mmaplab_objs_lock);
	list_for_each_entry(obj, &mmaplab_objs, node)
		if (READ_ONCE(obj->nr_subs))
			mmaplab_sub_remove(obj, n->portid);
	mutex_unlock(&mmaplab_objs_lock);
	return NOTIFY_DONE;
}

static struct notifier_block mmaplab_netlink_nb = {
	.notifier_call = mmaplab_netlink_event,
};

int mmaplab_events_init(void)
{
	int ret;

	ret = netlink_register_notifier(&mmaplab_netlink_nb);
	if (ret)
		return ret;
	ret = genl_register_family(&mmaplab_genl);
	if (ret)
		netlink_unregister_notifier(&mmaplab_netlink_nb);
	return ret;
}

void mmaplab_events_exit(void)
{
	genl_unregister_family(&mmaplab_genl);
	netlink_unregister_notifier(&mmaplab_netlink_nb);
}
