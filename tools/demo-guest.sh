#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo-guest.sh - the guided tour, run inside the VM by tools/demo: a word
# on the device, then every demo of the course ("mmaplab demo --tour"),
# then proof that nothing was left behind.
say() {
	printf '\n'
	printf '%s\n' "$@" | sed 's/^/  │ /'
	printf '\n'
}
run() {
	printf '  $ %s\n' "$*"
	"$@"
	st=$?
	[ $st -eq 0 ] || { echo "demo: '$*' failed with status $st" >&2; exit $st; }
}

say "mmaplab, kernel $(uname -r)" \
    "" \
    "/dev/mmaplab is the module's device.  Each open() of it makes a fresh" \
    "lab object: pages of memory the module owns, which play the file in" \
    "these demos.  Mapping it calls back into the module on every page" \
    "fault, write notification, fork, split and unmap, and the module" \
    "counts each callback.  The tour runs one demo per topic of the course;" \
    "'mmaplab demo NAME' runs one again ('make demo DEMO=NAME' from the host)."
run mmaplab demo
run mmaplab demo --tour --pause

say "Nothing is left behind: every demo has exited, its objects are gone" \
    "and live_pages is back to 0 (live_objects counts the object this very" \
    "command opened to ask)."
run mmaplab stats

say "That's the tour.  Next: 'make shell' for a shell in this VM, the course" \
    "in Documentation/lab.rst, and 'mmaplab --help'."
