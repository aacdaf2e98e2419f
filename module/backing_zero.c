// SPDX-License-Identifier: GPL-2.0
/*
 * backing_zero.c - the "zero" backing: exactly /dev/zero.
 *
 * MAP_SHARED becomes a new shared anonymous mapping backed by its own
 * "dev/zero" shmem file, MAP_PRIVATE plain anonymous memory.  Neither
 * keeps the module's vm_operations (so nothing pins the module once the
 * device file is closed, as with /dev/zero), only the mmap() is counted,
 * and the object holds no pages: there is nothing for range operations
 * to act on.
 */
#include <linux/mm.h>

#include "compat.h"
#include "mmaplab.h"

static int mmaplab_zero_mmap(struct mmaplab_obj *obj,
			     struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_SHARED)
		return mmaplab_shmem_zero_setup(vma);
	vma_set_anonymous(vma);
	return 0;
}

static unsigned long mmaplab_zero_resident(struct mmaplab_obj *obj)
{
	return 0;
}

const struct mmaplab_backing_ops mmaplab_backing_zero = {
	.label		= "[mmaplab:zero]",
	.mmap		= mmaplab_zero_mmap,
	.resident	= mmaplab_zero_resident,
};
