// SPDX-License-Identifier: GPL-2.0
/*
 * budget.c - how many pages lab objects may be configured with: all of
 * them together (max_total_pages) and those of one user (max_user_pages),
 * so that one user cannot take the whole module-wide budget and leave
 * other users and root with -ENOSPC.
 *
 * A configuration is charged to the user (effective uid) who configured
 * the object, for as long as the object keeps that configuration.  The
 * memory itself is charged to the memory cgroup of the task that faults
 * a page in (GFP_KERNEL_ACCOUNT), like any page a process allocates.
 * This file owns the reservations; it must not look at objects.
 */
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "mmaplab.h"

unsigned long mmaplab_max_total_pages = 32768;		/* 128 MiB */
module_param_named(max_total_pages, mmaplab_max_total_pages, ulong, 0644);
MODULE_PARM_DESC(max_total_pages,
		 "Pages all lab objects together may be configured with (default 32768)");

unsigned long mmaplab_max_user_pages = 8192;		/* 32 MiB */
module_param_named(max_user_pages, mmaplab_max_user_pages, ulong, 0644);
MODULE_PARM_DESC(max_user_pages,
		 "Pages the objects of one user may be configured with; CAP_SYS_RESOURCE is not limited (default 8192)");

/* A user with pages reserved; freed when it has none. */
struct mmaplab_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned long reserved;
};

static DEFINE_SPINLOCK(mmaplab_budget_lock);
static DEFINE_HASHTABLE(mmaplab_users, 6);
static unsigned long mmaplab_reserved;

static struct mmaplab_user *mmaplab_user_find(kuid_t uid)
{
	struct mmaplab_user *u;

	hash_for_each_possible(mmaplab_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

static void mmaplab_user_sub(struct mmaplab_user *u, unsigned long nr)
{
	u->reserved -= nr;
	if (!u->reserved) {
		hash_del(&u->node);
		kfree(u);
	}
}

/*
 * Replace a reservation of @old_nr pages for @old_uid (0 pages: none) by
 * one of @nr pages for @uid, or change nothing and return -ENOSPC.
 * @unlimited_user: the caller may exceed max_user_pages (not
 * max_total_pages).
 */
int mmaplab_budget_swap(kuid_t old_uid, unsigned long old_nr, kuid_t uid,
			unsigned long nr, bool unlimited_user)
{
	struct mmaplab_user *u, *fresh;
	unsigned long user_now;
	int ret = 0;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return -ENOMEM;

	spin_lock(&mmaplab_budget_lock);
	u = mmaplab_user_find(uid);
	user_now = u ? u->reserved : 0;
	if (old_nr && uid_eq(old_uid, uid))
		user_now -= old_nr;
	if (nr > READ_ONCE(mmaplab_max_total_pages) ||
	    mmaplab_reserved - old_nr >
	    READ_ONCE(mmaplab_max_total_pages) - nr ||
	    (!unlimited_user &&
	     (nr > READ_ONCE(mmaplab_max_user_pages) ||
	      user_now > READ_ONCE(mmaplab_max_user_pages) - nr))) {
		ret = -ENOSPC;
		goto out;
	}
	if (!u) {
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		hash_add(mmaplab_users, &u->node, __kuid_val(uid));
	}
	u->reserved += nr;
	mmaplab_reserved += nr;
	if (old_nr) {
		mmaplab_user_sub(mmaplab_user_find(old_uid), old_nr);
		mmaplab_reserved -= old_nr;
	}
out:
	spin_unlock(&mmaplab_budget_lock);
	kfree(fresh);
	return ret;
}

void mmaplab_budget_release(kuid_t uid, unsigned long nr)
{
	spin_lock(&mmaplab_budget_lock);
	mmaplab_user_sub(mmaplab_user_find(uid), nr);
	mmaplab_reserved -= nr;
	spin_unlock(&mmaplab_budget_lock);
}

unsigned long mmaplab_budget_total(void)
{
	return READ_ONCE(mmaplab_reserved);
}

unsigned long mmaplab_budget_user(kuid_t uid)
{
	struct mmaplab_user *u;
	unsigned long nr;

	spin_lock(&mmaplab_budget_lock);
	u = mmaplab_user_find(uid);
	nr = u ? u->reserved : 0;
	spin_unlock(&mmaplab_budget_lock);
	return nr;
}

/* Every object is gone: nothing may be reserved any more. */
void mmaplab_budget_exit(void)
{
	WARN_ON(mmaplab_reserved);
	WARN_ON(!hash_empty(mmaplab_users));
}
