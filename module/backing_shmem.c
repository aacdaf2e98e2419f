// SPDX-License-Identifier: GPL-2.0
/*
 * backing_shmem.c - the "shmem" and "zero" backings.
 *
 * shmem: the object is an internal shmem (tmpfs) file.  mmap() makes the
 * VMA a mapping of that file (vm_file is swapped, as /dev/zero does) and
 * lets shmem set it up; the module then wraps shmem's vm_operations to
 * count and to check guards, and shmem does the rest: pages are page-cache
 * pages, private mappings copy on write and leave the cached page alone.
 *
 * zero: exactly /dev/zero.  MAP_SHARED becomes a new shared anonymous
 * mapping backed by its own "dev/zero" shmem file, MAP_PRIVATE plain
 * anonymous memory.  Neither keeps the module's vm_operations, so only
 * the mmap() is counted.
 *
 * This file owns the shmem file of an object; it must not look at page
 * tables.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "mmaplab.h"

/* shmem's vm_operations, learnt from the first mmap of a shmem object. */
static const struct vm_operations_struct *mmaplab_shmem_ops_orig;

const struct vm_operations_struct *mmaplab_shmem_orig_ops(void)
{
	return READ_ONCE(mmaplab_shmem_ops_orig);
}

static int mmaplab_shmem_obj_setup(struct mmaplab_obj *obj)
{
	struct file *file;

	file = mmaplab_shmem_setup("mmaplab", (loff_t)obj->nr_pages << PAGE_SHIFT,
				   VM_NORESERVE, false);
	if (IS_ERR(file))
		return PTR_ERR(file);
	obj->shmem = file;
	return 0;
}

static void mmaplab_shmem_obj_teardown(struct mmaplab_obj *obj)
{
	if (obj->shmem)
		fput(obj->shmem);
	obj->shmem = NULL;
}

static int mmaplab_shmem_mmap(struct mmaplab_obj *obj,
			      struct vm_area_struct *vma)
{
	const struct vm_operations_struct *orig;
	int ret;

	/* The VMA now maps the shmem file; on error mmap() puts it back. */
	vma_set_file(vma, obj->shmem);
	ret = mmaplab_file_mmap(obj->shmem, vma);
	if (ret)
		return ret;
	orig = vma->vm_ops;
	if (!orig || !orig->fault || !orig->map_pages)
		return -ENODEV;
	if (!mmaplab_shmem_orig_ops())
		WRITE_ONCE(mmaplab_shmem_ops_orig, orig);
	else if (WARN_ON_ONCE(orig != mmaplab_shmem_orig_ops()))
		return -ENODEV;
	mmaplab_vma_attach(obj, vma, mmaplab_shmem_vm_ops());
	return 0;
}

static struct address_space *mmaplab_shmem_mapping(struct mmaplab_obj *obj)
{
	return obj->shmem->f_mapping;
}

/* New content is written into the page-cache pages themselves. */
static int mmaplab_shmem_replace(struct mmaplab_obj *obj, pgoff_t first,
				 pgoff_t nr, u8 fill)
{
	struct page *page;
	pgoff_t i;

	for (i = first; i < first + nr; i++) {
		page = mmaplab_shmem_page(obj->shmem, i);
		if (IS_ERR(page))
			return PTR_ERR(page);
		memset_page(page, 0, fill, PAGE_SIZE);
		set_page_dirty(page);
		put_page(page);
	}
	return 0;
}

const struct mmaplab_backing_ops mmaplab_backing_shmem = {
	.label		= "[mmaplab:shmem]",
	.setup		= mmaplab_shmem_obj_setup,
	.teardown	= mmaplab_shmem_obj_teardown,
	.mmap		= mmaplab_shmem_mmap,
	.mapping	= mmaplab_shmem_mapping,
	.replace	= mmaplab_shmem_replace,
};

static int mmaplab_zero_mmap(struct mmaplab_obj *obj,
			     struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_SHARED)
		return mmaplab_shmem_zero_setup(vma);
	vma_set_anonymous(vma);
	return 0;
}

const struct mmaplab_backing_ops mmaplab_backing_zero = {
	.label		= "[mmaplab:zero]",
	.mmap		= mmaplab_zero_mmap,
};
