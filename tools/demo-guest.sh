#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo-guest.sh - the guided demo, run inside the VM by tools/demo.
# It narrates, then runs the real mmaplab tool against the real module.

say() {
	printf '\n'
	printf '%s\n' "$@" | sed 's/^/  │ /'
	printf '\n'
}
run() {
	printf '  $ %s\n\n' "$*"
	"$@"
	st=$?
	[ $st -eq 0 ] || { echo "demo: '$*' failed with status $st" >&2; exit $st; }
}

say "mmaplab demo, kernel $(uname -r)" \
    "" \
    "/dev/mmaplab is the module's device.  Each open() of it makes a fresh" \
    "lab object: a few pages of memory the module owns.  Mapping it calls" \
    "back into the module on every page fault, fork, split and unmap, and" \
    "the module counts each callback."

say "1. A PRIVATE mapping.  The parent writes 'P' in each page, then forks;" \
    "   the child writes 'C'.  With MAP_PRIVATE each write lands in a" \
    "   private copy (copy-on-write): the parent keeps seeing 'P'." \
    "   Look at faults_cow: the module was asked for the page, and the" \
    "   kernel copied it instead of writing to it."
run mmaplab create --pages 2 --map private --touch write --fork

say "2. The same with a SHARED mapping.  Now parent and child write the" \
    "   same pages: the parent sees the child's 'C'.  faults_shared counts" \
    "   the faults of both processes: a child re-faults shared file pages" \
    "   instead of copying page tables at fork.  vma_opens is 1: fork()" \
    "   duplicated the VMA and told the module through vm_ops->open."
run mmaplab create --pages 2 --map shared --touch write --fork

say "3. Past the end.  The object has 1 page; map 2 and read both.  Like a" \
    "   file, the page past the object's end gives SIGBUS (faults_sigbus)."
run mmaplab create --pages 1 --length 2 --touch read

say "4. A guard page.  The object is a shmem (tmpfs) file this time.  After" \
    "   the first touch the module guards object page 1: its page-table" \
    "   entries are removed in every process, and the next access there is" \
    "   answered with SIGSEGV (faults_sigsegv), without splitting the VMA" \
    "   the way mprotect(PROT_NONE) would."
run mmaplab create --pages 3 --backing shmem --map shared --guard 1

say "5. Invalidate and replace, the way GPU drivers move buffers: the" \
    "   module zaps every mapping of the object and gives it new content" \
    "   ('A').  The parent's next read faults again (one fault per page)" \
    "   and sees 'A', not its own 'P'."
run mmaplab create --pages 2 --map shared --invalidate --replace A

say "6. Nothing is left behind: the tool has exited, its objects are gone" \
    "   and live_pages is back to 0 (live_objects counts the object this" \
    "   very command opened to ask)."
run mmaplab stats

say "That's the demo.  Next: 'make shell' for a shell in this VM, the lab" \
    "guide in Documentation/lab.rst, and 'mmaplab create --help'."
