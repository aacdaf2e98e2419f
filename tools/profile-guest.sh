#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# profile-guest.sh REPS TOP CALLGRAPH HOT FIGURE... - run inside the VM
# by tools/profile: for each FIGURE (around, inspect) and each side
# (mmaplab, reference), "mmaplab-bench --only SIDE -r REPS FIGURE" under
# "perf record -e cpu-clock" (a software clock: TCG has no hardware
# counters), sampling only while that side is timed (perf's control
# FIFOs, the bench's --perf-ctl), then the TOP symbols of what was
# sampled.  CALLGRAPH=1 records call chains and shows each symbol's share
# with its callees (children) next to its own (self).  HOT > 0 also
# lists the HOT instructions sampled most, as symbol+offset.
reps=$1 top=$2 cg=$3 hot=$4
shift 4
dir=/tmp/profile
mkdir -p $dir
mkfifo $dir/ctl $dir/ack || exit 1
if [ "$cg" = 1 ]; then
	rec=-g
	rep="--children -g none"
else
	rec=
	rep=--no-children
fi
# Module symbols come from /proc/kallsyms: root sees their addresses.
echo 0 >/proc/sys/kernel/kptr_restrict
st=0
for fig in "$@"; do
	for side in mmaplab reference; do
		data=$dir/$fig-$side.data
		echo "== profile: $fig, $side side"
		# shellcheck disable=SC2086 # $rec is one option or none
		if ! perf record -q -e cpu-clock $rec -D -1 \
			--control fifo:$dir/ctl,$dir/ack -o $data -- \
			mmaplab-bench --only $side -r "$reps" \
			--perf-ctl $dir/ctl,$dir/ack "$fig"; then
			st=1
			continue
		fi
		# shellcheck disable=SC2086 # $rep is several options
		perf report -i "$data" --stdio $rep --sort sym \
			--percent-limit 0.3 2>/dev/null >$dir/report
		# One sample per 250 us of CPU (cpu-clock's default 4000 Hz).
		n=$(perf script -i "$data" -F ip -G 2>/dev/null | wc -l)
		echo "samples: $n (about $((n / 4)) ms of CPU time)"
		grep -v -e '^#' -e '^$' $dir/report | head -n "$top"
		[ "$hot" -gt 0 ] || continue
		echo "hottest instructions:"
		perf script -i "$data" -F ip,sym,symoff -G 2>/dev/null |
			awk 'NF >= 2 { n[$2]++; all++ }
			     END { for (s in n)
					printf "%8.2f%%  %s\n", 100 * n[s] / all, s }' |
			sort -rn | head -n "$hot"
	done
done
exit $st
