#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo_test.sh - the demos of the course.  Every demo that "mmaplab demo"
# lists runs here, and the facts its lesson rests on (the "claims" of its
# --json output) must be what the lesson says: a demo whose lesson stops
# being true fails the build.  Each demo's expected claims are listed
# below; a demo without a list, a claim it makes that the list lacks, or a
# listed claim it neither makes nor skips, fails.  A claim the demo could
# not observe on this machine (it says why under "skipped") is a skipped
# test of its own, with that reason; a demo whose claims are all skipped
# is a skipped test.  Also: the tour runs every demo.  Prints KTAP (the
# plan at the end, since skipped claims add tests).
# Needs the module loaded; skips everything, saying so, when it is not.
dir=$(cd "$(dirname "$0")" && pwd)
MMAPLAB=${MMAPLAB:-mmaplab}
JSON_VALID=${JSON_VALID:-$dir/json_valid}
n=0 pass=0 fail=0 skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() {
	n=$((n + 1)); pass=$((pass + 1)); echo "ok $n demo.$1"
}
notok() {
	n=$((n + 1)); fail=$((fail + 1)); echo "# $2"; echo "not ok $n demo.$1"
}
skipped() {
	n=$((n + 1)); skip=$((skip + 1)); echo "ok $n demo.$1 # SKIP $2"
}
totals() {
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
}

# The claims of each demo (variable claims_NAME, "-" in NAME as "_"):
# CLAIM=true|false, as the lesson has it.
claims_kinds="child_sees_parent_writes=true
	parent_sees_child_write_private_file=false parent_sees_child_write_shared_file=true
	parent_sees_child_write_private_anon=false parent_sees_child_write_shared_anon=true
	shared_write_reaches_file=true private_write_reaches_file=false"
claims_cow="read_maps_file_page_readonly=true wp_copy_without_module=true
	cow_fault_counted=true write_makes_anon_copy=true file_page_unchanged=true
	memfd_write_makes_anon_copy=true memfd_file_unchanged=true"
claims_private_update="private_sees_update_of_unwritten_page=true
	private_keeps_own_copy=true memfd_private_sees_update=true memfd_private_keeps_own_copy=true"
claims_mmio="store_dirties_page=true read_sees_mapped_write=true msync_ok=true file_changed=true"
# topics 5 and 6
claims_shmem="shared_anon_is_dev_zero_deleted=true private_anon_has_no_file=true
	dev_zero_shared_same_as_anon=true parent_has_no_entry_before=true
	child_write_reaches_parent=true dev_zero_child_write_reaches_parent=true
	private_anon_does_not_carry=true second_mmap_new_file=true
	second_mmap_does_not_share=true lab_shmem_on_same_mount=true memfd_on_same_mount=true
	lab_shmem_child_write_reaches_parent=true memfd_child_write_reaches_parent=true
	memfd_second_mmap_shares=true"
claims_fork_exec="child_has_same_maps=true fork_opens_lab_vma=true
	child_exit_closes_lab_vma=true exec_drops_mappings=true exec_closes_lab_vma=true
	dontfork_not_inherited=true dontfork_no_vma_open=true
	wipeonfork_child_reads_zero=true wipeonfork_parent_keeps=true"

# topics 7 to 10
claims_guards="library_has_prot_none_gap=true thread_stack_has_guard=true
	module_guard_sigsegv=true module_guard_counted=true module_guard_one_vma=true
	mprotect_guard_sigsegv=true mprotect_guard_not_seen_by_module=true
	mprotect_splits_in_three=true segv_codes_differ=true
	madv_guard_sigsegv=true madv_guard_not_seen_by_module=true madv_guard_one_vma=true
	madv_guard_marker=true"
claims_fault_kinds="read_fault=true cow_fault=true shared_fault=true
	private_wp_fault_silent=true write_notify_maps_readonly=true shared_wp_fault_mkwrite=true"
claims_mkwrite="first_write_notified=true second_write_silent=true
	msync_leaves_page_writable=true clean_cleans_dirty_page=true write_after_clean_notified=true
	memfd_read_maps_writable=true memfd_write_no_fault=true"
claims_split_merge="mprotect_splits_in_three=true module_sees_two_splits=true lab_stays_split=true
	anon_splits_in_three=true anon_merges_back=true boundary_moved_or_split=true no_vma_closed=true
	munmap_leaves_two=true munmap_closes_the_piece=true"

# topics 11 to 13
claims_madvise="dontneed_zaps_entries=true dontneed_anon_reads_zero=true
	dontneed_object_refaults=true dontneed_object_keeps_data=true
	dontneed_memfd_keeps_data=true dontneed_drops_private_copy=true
	free_cleans_pages=true free_rewrite_dirties=true pageout_drops_free_page=true
	pageout_keeps_rewritten_page=true random_sets_rr=true sequential_sets_sr=true
	normal_clears_both=true random_keeps_fault_around=true
	memfd_random_keeps_fault_around=true"
claims_mremap="grow_in_place=true grow_in_place_no_callback=true grow_blocked_enomem=true
	move_calls_mremap=true move_keeps_entries=true anon_move_keeps_data=true
	fixed_lands_at_target=true dontunmap_object_old_refaults=true
	dontunmap_anon_old_zero=true map_fixed_closes_replaced=true
	map_fixed_replaces_data=true noreplace_eexist=true rfp_shows_other_page=true
	rfp_new_vma=true rfp_private_refused=true"
claims_overcommit="private_counted=true noreserve_not_counted=true
	object_private_counted=true object_shared_not_counted=true shared_anon_counted=true
	heuristic_refuses_huge=true heuristic_noreserve_ok=true always_maps_huge=true
	never_refuses_over_limit=true never_ignores_noreserve=true
	never_shared_object_ok=true never_small_ok=true"

# topics 14 and 15
claims_boundaries="unaligned_offset_einval_lab=true unaligned_offset_einval_memfd=true
	aligned_offset_ok=true module_never_asked=true length_rounded_up_to_page=true
	whole_page_usable=true munmap_rounds_up_too=true past_object_end_sigbus=true
	sigbus_counted=true file_tail_reads_zero=true past_file_end_sigbus=true
	tail_write_not_in_file=true"
claims_open_mode="rdonly_shared_writable_eacces=true rdonly_private_writable_ok=true
	rdonly_shared_no_maywrite=true rdonly_shared_mprotect_eacces=true
	rdwr_shared_mprotect_ok=true lab_rdonly_shared_writable_eacces=true
	lab_rdonly_private_writable_ok=true lab_rdonly_shared_mprotect_eacces=true
	lab_refused_before_module=true wronly_memfd_mmap_eacces=true
	wronly_lab_mmap_eacces=true"

# topic 16
claims_map_sync="dax_map_sync_accepted=true dax_vmflags_sf=true dax_pte_maps_pmem=true
	sync_fault_commits_journal=true dax_read_sees_store=true
	plain_dax_fault_no_commit=true msync_commits_journal=true dax_legacy_sync_commits=true
	tmpfs_map_sync_refused=true tmpfs_legacy_sync_accepted=true
	tmpfs_legacy_sync_flag_kept=true object_map_sync_refused=true object_mmap_not_called=true"

# json PATH: the value at PATH of $tmp/out ("" if none)
json() {
	"$JSON_VALID" -g "$1" <"$tmp/out" 2>/dev/null
}

# demo_case NAME: run the demo and check its claims against claims_NAME.
demo_case() {
	dname=$1
	tname=$(echo "$dname" | tr - _)
	eval "want=\${claims_$tname-}"
	if [ -z "$want" ]; then
		notok "$tname" "no claims listed for demo '$dname' in demo_test.sh"
		return
	fi
	"$MMAPLAB" -j demo "$dname" >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ $st -ne 0 ]; then
		notok "$tname" "'mmaplab -j demo $dname' exited $st: $(head -c 300 "$tmp/err")"
		return
	fi
	if ! "$JSON_VALID" demo steps claims skipped lesson <"$tmp/out" 2>"$tmp/err"; then
		notok "$tname" "$(cat "$tmp/err")"
		return
	fi
	bad= skips= listed= unshown=
	for c in $want; do
		name=${c%%=*} val=${c#*=}
		listed="$listed $name "
		got=$(json "claims.$name")
		if [ -n "$got" ]; then
			[ "$got" = "$val" ] || bad="$bad claim $name is $got, the lesson needs $val;"
			continue
		fi
		why=$(json "skipped.$name")
		if [ -n "$why" ]; then
			skips="$skips$name: $why; "
			unshown="$unshown $name"
		else
			bad="$bad claim $name neither made nor skipped;"
		fi
	done
	# every claim the demo makes is asserted here
	for name in $(json claims | tr -d '{}"' | tr ',' '\n' | sed 's/:.*//'); do
		case $listed in
		*" $name "*) ;;
		*) bad="$bad claim $name is not listed in demo_test.sh;" ;;
		esac
	done
	if [ -n "$bad" ]; then
		notok "$tname" "$bad"
	elif [ -n "$skips" ] && [ -z "$(json claims | tr -d '{}')" ]; then
		skipped "$tname" "no claim could be shown here"
	else
		ok "$tname"
	fi
	# each claim this machine could not show is a skipped test of its own
	for name in $unshown; do
		skipped "$tname.$name" "$(json "skipped.$name")"
	done
}

echo "TAP version 13"
if ! command -v "$MMAPLAB" >/dev/null 2>&1 || [ ! -e /dev/mmaplab ]; then
	echo "1..1"
	skipped all "mmaplab tool not in PATH or /dev/mmaplab missing (module not loaded)"
	totals
	exit 0
fi

if ! "$MMAPLAB" -j demo >"$tmp/list" 2>"$tmp/err"; then
	echo "1..1"
	notok list "'mmaplab -j demo' failed: $(cat "$tmp/err")"
	totals
	exit 1
fi
names=$(grep -o '"name": *"[^"]*"' "$tmp/list" | sed 's/.*: *"//; s/"$//')
count=$(echo "$names" | wc -w)

if [ "$count" -gt 0 ] && "$MMAPLAB" demo >"$tmp/out" 2>&1 &&
   grep -Eq '^  kinds +the four kinds' "$tmp/out"; then
	ok list
else
	notok list "the list of demos: $(head -c 300 "$tmp/out")"
fi
for d in $names; do
	demo_case "$d"
done

"$MMAPLAB" demo no-such-demo >"$tmp/out" 2>"$tmp/err"
st=$?
if [ $st -eq 2 ] && grep -q "unknown demo 'no-such-demo'" "$tmp/err"; then
	ok unknown
else
	notok unknown "exit $st: $(head -c 300 "$tmp/err")"
fi

# The tour (what "make demo" runs): every demo, in order, without waiting
# for Enter when stdin is not a terminal.
"$MMAPLAB" demo --tour --pause </dev/null >"$tmp/out" 2>"$tmp/err"
st=$?
got=$(grep -c '^mmaplab demo ' "$tmp/out")
if [ $st -eq 0 ] && [ "$got" -eq "$count" ]; then
	ok tour
else
	notok tour "exit $st, $got of $count demos ran: $(head -c 300 "$tmp/err")"
fi

# The plan comes last: each claim a machine cannot show adds a test.
echo "1..$n"
totals
[ $fail -eq 0 ]
