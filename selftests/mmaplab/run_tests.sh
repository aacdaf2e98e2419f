#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh - run every mmaplab selftest in this directory, in order,
# printing each one's KTAP stream.  rmmod_test unloads and reloads the
# module, so it runs last.  Exit status: 0 if all passed, 1 otherwise.
dir=$(dirname "$0")
rc=0
for t in mmaplab_test ioctl_test modes_test callbacks_test race_test inspect_test \
	events_test fuzz_test budget_test tool_test.sh demo_test.sh remap_test rmmod_test; do
	echo "# selftests: mmaplab: $t"
	"$dir/$t" || rc=1
done
exit $rc
