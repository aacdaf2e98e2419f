// SPDX-License-Identifier: GPL-2.0
/*
 * dev.c - the /dev/mmaplab misc device: open, release, ioctl, mmap.
 *
 * Owns the user/kernel boundary: every ioctl argument is copied in and
 * validated here before object.c sees it.  It must not touch an object's
 * pages or VMAs directly (object.c and vmops.c own those).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "mmaplab.h"

/* Larger arguments than this are refused before their tail is scanned. */
#define MMAPLAB_ARG_MAX		PAGE_SIZE

static int mmaplab_open(struct inode *inode, struct file *file)
{
	struct mmaplab_obj *obj;

	obj = mmaplab_obj_create(file);
	if (!obj)
		return -ENOMEM;
	file->private_data = obj;
	/* The object's own address_space: see fs.c. */
	file->f_mapping = obj->inode->i_mapping;
	return 0;
}

static int mmaplab_release(struct inode *inode, struct file *file)
{
	mmaplab_obj_put(file->private_data);
	return 0;
}

/*
 * Copy in an extensible argument: read its leading @size, check it against
 * the first published version of the structure and against a sane upper
 * bound, then let copy_struct_from_user() handle older (shorter) and newer
 * (longer, zero-tailed) callers.
 */
static int mmaplab_copy_arg(void *karg, size_t ksize, size_t ver0,
			    const void __user *uarg, u32 *usize)
{
	if (get_user(*usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (*usize < ver0)
		return -EINVAL;
	if (*usize > MMAPLAB_ARG_MAX)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, *usize);
}

static long mmaplab_ioctl_configure(struct mmaplab_obj *obj,
				    void __user *uarg)
{
	struct mmaplab_config cfg;
	u32 usize;
	int ret;

	ret = mmaplab_copy_arg(&cfg, sizeof(cfg), MMAPLAB_CONFIG_SIZE_VER0,
			       uarg, &usize);
	if (ret)
		return ret;
	/* Flags are checked against what the chosen backing can honour. */
	if (cfg.__pad)
		return -EINVAL;
	return mmaplab_obj_configure(obj, &cfg);
}

/*
 * The counters are reset (MMAPLAB_STATS_RESET) only once the caller has
 * them: a read-only or unmapped argument gets -EFAULT and loses nothing.
 */
static long mmaplab_ioctl_stats(struct mmaplab_obj *obj, void __user *uarg)
{
	struct mmaplab_stats st;
	u32 usize;
	int ret;

	ret = mmaplab_copy_arg(&st, sizeof(st), MMAPLAB_STATS_SIZE_VER0,
			       uarg, &usize);
	if (ret)
		return ret;
	if (st.flags & ~MMAPLAB_STATS_FLAGS_ALL)
		return -EINVAL;

	mmaplab_obj_fill_stats(obj, &st);
	st.size = min_t(u32, usize, sizeof(st));
	if (copy_to_user(uarg, &st, st.size))
		return -EFAULT;
	if (st.flags & MMAPLAB_STATS_RESET)
		mmaplab_obj_reset_stats(obj, &st);
	return 0;
}

/*
 * Before acting, make sure the result can be stored (the caller's own
 * value is written back): an argument the caller cannot write gets
 * -EFAULT with the object untouched.
 */
static long mmaplab_ioctl_range(struct mmaplab_obj *obj, void __user *uarg,
				int (*op)(struct mmaplab_obj *obj,
					  struct mmaplab_range *r))
{
	u64 __user *result = uarg + offsetof(struct mmaplab_range, result);
	struct mmaplab_range r;
	u32 usize;
	int ret;

	ret = mmaplab_copy_arg(&r, sizeof(r), MMAPLAB_RANGE_SIZE_VER0, uarg,
			       &usize);
	if (ret)
		return ret;
	if (put_user(r.result, result))
		return -EFAULT;
	ret = op(obj, &r);
	if (ret)
		return ret;
	if (put_user(r.result, result))
		return -EFAULT;
	return 0;
}

/*
 * Needs no configured object: any open descriptor of the device may
 * inspect the caller, or a process whose pagemap the caller could open.
 */
static long mmaplab_ioctl_inspect_arg(void __user *uarg)
{
	struct mmaplab_inspect arg;
	u32 usize;
	long ret;

	ret = mmaplab_copy_arg(&arg, sizeof(arg), MMAPLAB_INSPECT_SIZE_VER0,
			       uarg, &usize);
	if (ret)
		return ret;
	ret = mmaplab_ioctl_inspect(&arg);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &arg, min_t(u32, usize, sizeof(arg))))
		return -EFAULT;
	return 0;
}

/*
 * Commands are matched on direction, type and number; the length of the
 * argument comes from its leading size field, so a structure that grows
 * keeps its command.
 */
static bool mmaplab_cmd_is(unsigned int cmd, unsigned int ref)
{
	const unsigned int mask = ~(_IOC_SIZEMASK << _IOC_SIZESHIFT);

	return (cmd & mask) == (ref & mask);
}

static long mmaplab_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct mmaplab_obj *obj = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (mmaplab_cmd_is(cmd, MMAPLAB_IOC_CONFIGURE))
		return mmaplab_ioctl_configure(obj, uarg);
	if (mmaplab_cmd_is(cmd, MMAPLAB_IOC_STATS))
		return mmaplab_ioctl_stats(obj, uarg);
	if (mmaplab_cmd_is(cmd, MMAPLAB_IOC_GUARD))
		return mmaplab_ioctl_range(obj, uarg, mmaplab_obj_guard);
	if (mmaplab_cmd_is(cmd, MMAPLAB_IOC_INVALIDATE))
		return mmaplab_ioctl_range(obj, uarg, mmaplab_obj_invalidate);
	if (mmaplab_cmd_is(cmd, MMAPLAB_IOC_CLEAN))
		return mmaplab_ioctl_range(obj, uarg, mmaplab_obj_clean);
	if (mmaplab_cmd_is(cmd, MMAPLAB_IOC_INSPECT))
		return mmaplab_ioctl_inspect_arg(uarg);
	return -ENOTTY;
}

static int mmaplab_mmap(struct file *file, struct vm_area_struct *vma)
{
	return mmaplab_obj_mmap(file->private_data, vma);
}

static const struct file_operations mmaplab_fops = {
	.owner		= THIS_MODULE,
	.open		= mmaplab_open,
	.release	= mmaplab_release,
	.unlocked_ioctl	= mmaplab_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= mmaplab_mmap,
	/* msync(MS_SYNC) of a shared mapping: nothing to write back. */
	.fsync		= noop_fsync,
	.llseek		= noop_llseek,
};

/* The object behind @file if it is an open file of this device. */
struct mmaplab_obj *mmaplab_file_obj(struct file *file)
{
	return file->f_op == &mmaplab_fops ? file->private_data : NULL;
}

/* Module-wide figures, also readable without the ioctl. */
static ssize_t live_objects_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&mmaplab_live_objects));
}
static DEVICE_ATTR_RO(live_objects);

static ssize_t live_pages_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&mmaplab_live_pages));
}
static DEVICE_ATTR_RO(live_pages);

static ssize_t reserved_pages_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", mmaplab_budget_total());
}
static DEVICE_ATTR_RO(reserved_pages);

static struct attribute *mmaplab_attrs[] = {
	&dev_attr_live_objects.attr,
	&dev_attr_live_pages.attr,
	&dev_attr_reserved_pages.attr,
	NULL
};
ATTRIBUTE_GROUPS(mmaplab);

static struct miscdevice mmaplab_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= MMAPLAB_DEVICE_NAME,
	.fops	= &mmaplab_fops,
	.groups	= mmaplab_groups,
	.mode	= 0666,
};

int mmaplab_dev_register(void)
{
	return misc_register(&mmaplab_misc);
}

void mmaplab_dev_unregister(void)
{
	misc_deregister(&mmaplab_misc);
}
