/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compiler.h - the few helpers of the kernel's <linux/compiler.h> and
 * <linux/array_size.h> that the tool uses, for user space.
 */
#ifndef MMAPLAB_COMPILER_H
#define MMAPLAB_COMPILER_H

/* Number of elements of array @a (an array, not a pointer). */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * One access to @x, of its own size, that the compiler neither merges,
 * splits, repeats nor drops: what the kernel's READ_ONCE() and
 * WRITE_ONCE() do with volatile.  Here they are relaxed atomic accesses
 * (@x a scalar no wider than a pointer), which are lock-free and so also
 * right for a flag that a signal handler sets.
 */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

#endif /* MMAPLAB_COMPILER_H */
