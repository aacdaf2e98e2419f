// SPDX-License-Identifier: GPL-2.0
/*
 * fs.c - a pseudo filesystem that gives each lab object an address_space.
 *
 * Every open of /dev/mmaplab shares the misc device's one inode, so its
 * i_mapping would mix the VMAs of all objects.  Each object gets an
 * anonymous inode of this internal filesystem instead, and the device
 * file's f_mapping points at that inode's address_space: mmap() links the
 * object's VMAs there, and unmap_mapping_range() on it reaches exactly the
 * mappings of that object, in every process.  (DRM does the same with one
 * inode per device.)  This file owns the mount; it must not look at
 * objects.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>

#include "mmaplab.h"

#define MMAPLAB_FS_MAGIC	0x6d6d6c62	/* "mmlb" */

static struct vfsmount *mmaplab_mnt;

static int mmaplab_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, MMAPLAB_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the module's own mount would otherwise pin the module and
 * rmmod could never succeed.  The mount lives exactly as long as the
 * module (mmaplab_fs_init/exit).
 */
static struct file_system_type mmaplab_fs_type = {
	.name			= "mmaplab",
	.init_fs_context	= mmaplab_fs_init_fs_context,
	.kill_sb		= kill_anon_super,
};

int mmaplab_fs_init(void)
{
	mmaplab_mnt = kern_mount(&mmaplab_fs_type);
	return PTR_ERR_OR_ZERO(mmaplab_mnt);
}

void mmaplab_fs_exit(void)
{
	kern_unmount(mmaplab_mnt);
}

struct inode *mmaplab_fs_new_inode(void)
{
	return alloc_anon_inode(mmaplab_mnt->mnt_sb);
}
