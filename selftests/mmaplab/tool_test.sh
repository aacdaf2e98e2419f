#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tool_test.sh - the mmaplab command as a user meets it: help, exit codes,
# error messages, what "create" reports about who saw what, what
# "inspect", "explain" and "maps" show of processes that hold mappings
# ("create --hold" in the background), and "remap" on a mapping held by
# "create --hold": each operation's VMA tables match the holder's
# /proc/PID/maps before and after, and bad requests fail cleanly while the
# holder lives on (the demos are demo_test.sh's).  JSON output
# is checked with json_valid (json-c's parser).  Prints KTAP.
# Needs the module loaded; skips everything, saying so, when it is not.
dir=$(cd "$(dirname "$0")" && pwd)
MMAPLAB=${MMAPLAB:-mmaplab}
JSON_VALID=${JSON_VALID:-$dir/json_valid}
n=0 pass=0 fail=0 skip=0
tmp=$(mktemp -d)
holders=
trap 'for h in $holders; do kill "$h" 2>/dev/null; done; rm -rf "$tmp"' EXIT

ok() {
	n=$((n + 1)); pass=$((pass + 1)); echo "ok $n tool.$1"
}
notok() {
	n=$((n + 1)); fail=$((fail + 1)); echo "# $2"; echo "not ok $n tool.$1"
}
skipped() {
	n=$((n + 1)); skip=$((skip + 1)); echo "ok $n tool.$1 # SKIP $2"
}

# run NAME EXPECTED-STATUS CMD...: run CMD, output in $tmp/out, $tmp/err
expect_status() {
	name=$1 want=$2; shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		return 0
	fi
	notok "$name" "'$*' exited $got, expected $want; stderr: $(head -c 300 "$tmp/err")"
	return 1
}

# expect_grep NAME FILE PATTERN: FILE must contain PATTERN (grep -E)
expect_grep() {
	if grep -Eq "$3" "$2"; then
		ok "$1"
	else
		notok "$1" "no match for '$3' in: $(head -c 400 "$2")"
	fi
}

TESTS=84
echo "TAP version 13"
echo "1..$TESTS"

if ! command -v "$MMAPLAB" >/dev/null 2>&1; then
	while [ $n -lt $TESTS ]; do skipped "all" "mmaplab tool not found in PATH"; done
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	exit 0
fi

expect_status help 0 "$MMAPLAB" --help && expect_grep help "$tmp/out" 'create'
expect_status usage_error 2 "$MMAPLAB" no-such-command && expect_grep usage_error "$tmp/err" 'mmaplab'
expect_status bad_number 2 "$MMAPLAB" create --pages banana && ok bad_number
expect_status no_device 3 "$MMAPLAB" -d /nonexistent/mmaplab stats &&
	expect_grep no_device "$tmp/err" 'No such file or directory.*insmod'

if [ ! -e /dev/mmaplab ]; then
	while [ $n -lt $TESTS ]; do skipped "device" "/dev/mmaplab missing: module not loaded"; done
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	exit 0
fi

expect_status stats_json 0 "$MMAPLAB" --json stats &&
	if "$JSON_VALID" <"$tmp/out" 2>"$tmp/err"; then ok stats_json; else notok stats_json "$(cat "$tmp/err")"; fi
# Global options after the command work too, as users type them.
expect_status stats_json_after 0 "$MMAPLAB" stats --json &&
	if "$JSON_VALID" global <"$tmp/out" 2>"$tmp/err"; then ok stats_json_after; else notok stats_json_after "$(cat "$tmp/err")"; fi
expect_status stats_human 0 "$MMAPLAB" stats && expect_grep stats_human "$tmp/out" 'live_pages|live pages'

# A shared mapping shows the child's write to the parent; a private one not.
expect_status shared_fork 0 "$MMAPLAB" --json create --pages 2 --map shared --touch write --fork &&
	if "$JSON_VALID" pages stats <"$tmp/out" 2>"$tmp/err"; then
		expect_grep shared_fork "$tmp/out" '"parent_sees": *67'
	else notok shared_fork "invalid JSON: $(cat "$tmp/err")"; fi
expect_status private_fork 0 "$MMAPLAB" --json create --pages 2 --map private --touch write --fork &&
	expect_grep private_fork "$tmp/out" '"parent_sees": *80'
expect_status too_big 1 "$MMAPLAB" create --pages 999999999 &&
	expect_grep too_big "$tmp/err" 'File too large'
expect_status sigbus_reported 0 "$MMAPLAB" --json create --pages 1 --length 2 --touch read &&
	expect_grep sigbus_reported "$tmp/out" 'SIGBUS'
expect_status counters_human 0 "$MMAPLAB" create --pages 3 --map private --touch write &&
	expect_grep counters_human "$tmp/out" 'faults_cow +3|cow[^0-9]+3'
# monitor: an object's life as events, one line each; JSON one per line;
# SIGTERM ends it with status 0.  (Root here: the "monitor" group.)
# A monitor that missed an event would wait for its --count forever:
# "timeout" stops it after 60 s, and the checks on its output fail
# instead of the run hanging.
timeout -s TERM 60 "$MMAPLAB" monitor --no-dump --count 6 >"$tmp/mon" 2>"$tmp/monerr" &
mon=$!
sleep 1
"$MMAPLAB" create --pages 1 --touch read >/dev/null 2>&1
wait $mon
st=$?
if [ $st -eq 0 ]; then
	expect_grep monitor_events "$tmp/mon" '#4 fault pid [0-9]+ \(mmaplab\).* read,shared new allocated'
else
	notok monitor_events "monitor exited $st: $(head -c 300 "$tmp/monerr")"
fi
timeout -s TERM 60 "$MMAPLAB" --json monitor --no-dump --count 6 >"$tmp/mon" 2>"$tmp/monerr" &
mon=$!
sleep 1
"$MMAPLAB" create --pages 1 --touch write >/dev/null 2>&1
wait $mon
bad=0
while read -r line; do
	printf '%s\n' "$line" | "$JSON_VALID" type event object seq >/dev/null 2>&1 || bad=1
done <"$tmp/mon"
if [ $bad -eq 0 ] && [ "$(wc -l <"$tmp/mon")" -eq 6 ]; then
	ok monitor_json
else
	notok monitor_json "not 6 valid JSON lines: $(head -c 400 "$tmp/mon")"
fi
"$MMAPLAB" monitor >"$tmp/mon" 2>"$tmp/monerr" &
mon=$!
sleep 1
kill -TERM $mon
wait $mon
st=$?
if [ $st -eq 0 ]; then ok monitor_sigterm; else notok monitor_sigterm "exit $st after SIGTERM: $(head -c 300 "$tmp/monerr")"; fi
# ------------------------------------------------ inspect, explain, maps
#
# Helpers hold one mapping each, in a known state, while they are looked
# at: "create --hold" prints its JSON report (object_id in "stats") and,
# on stderr, "holding: pid N, mapping 0xA-0xB, ...".
#   cow:    private shmem, written: every page a COW copy       CCCC
#   ro:     private pages, read: the object's pages, read-only  rrrr
#   dirty:  shared pages, written: writable and dirty           DDDD
#   zero:   private zero (anonymous), read: the zero page       0000
#   past:   private pages, read, 2 pages past the object's end  rrrr..
#           (their reads raised SIGBUS: no entry)
hold() {	# hold NAME CREATE-ARGS...: start a helper, wait for its report
	name=$1; shift
	"$MMAPLAB" -j create --pages 4 "$@" --hold 120 >"$tmp/$name.json" 2>"$tmp/$name.err" &
	holders="$holders $!"
	i=0
	while ! grep -q holding "$tmp/$name.err" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	eval "${name}_pid=\$(sed -n 's/.*holding: pid \([0-9]*\),.*/\1/p' \"\$tmp/$name.err\")"
	eval "${name}_addr=\$(sed -n 's/.*mapping \(0x[0-9a-f]*\)-.*/\1/p' \"\$tmp/$name.err\")"
	eval "${name}_id=\$(sed -n 's/.*\"object_id\":\([0-9]*\).*/\1/p' \"\$tmp/$name.json\")"
}
hold cow --backing shmem --map private --touch write
hold ro --backing pages --map private --touch read
hold dirty --backing pages --map shared --touch write
hold zero --backing zero --map private --touch read
hold past --backing pages --map private --touch read --length 6

# expect_grid NAME PID ID CELLS: the object's grid row is exactly CELLS
expect_grid() {
	expect_status "$1" 0 "$MMAPLAB" --color=never inspect "$2" --object "$3" --grid &&
		expect_grep "$1" "$tmp/out" "^  0x[0-9a-f]+  $4\$"
}

if [ -z "$cow_pid" ] || [ -z "$cow_id" ]; then
	notok inspect_setup "the helper did not start: $(cat "$tmp/cow.err")"
else
	ok inspect_setup
fi
expect_status inspect_help 0 "$MMAPLAB" inspect --help && expect_grep inspect_help "$tmp/out" 'g, --grid'
expect_grid grid_cow "$cow_pid" "$cow_id" CCCC
expect_grid grid_ro "$ro_pid" "$ro_id" rrrr
expect_grid grid_dirty "$dirty_pid" "$dirty_id" DDDD
expect_grid grid_past "$past_pid" "$past_id" 'rrrr\.\.'
# Backing zero mapped private is anonymous memory: a read maps the zero page.
expect_grid grid_zero "$zero_pid" "$zero_id" 0000
expect_grep grid_legend "$tmp/out" '0 zero page'

expect_status inspect_json 0 "$MMAPLAB" -j inspect "$cow_pid" --object "$cow_id" &&
	if "$JSON_VALID" vmas pages pfns_hidden <"$tmp/out" 2>"$tmp/err"; then
		expect_grep inspect_json "$tmp/out" "\"object_id\":$cow_id,\"backing\":\"shmem\".*\"grid\":\"CCCC\""
	else notok inspect_json "invalid JSON: $(cat "$tmp/err")"; fi
expect_grep inspect_json_pages "$tmp/out" '"cell":"cow","pte_flags":\["write","dirty"'
expect_status inspect_table 0 "$MMAPLAB" --color=never inspect "$ro_pid" --object "$ro_id" &&
	expect_grep inspect_table "$tmp/out" "mmaplab object $ro_id, pages"
expect_grep inspect_table_pages "$tmp/out" '^[0-9a-f]+ +[0-9]+ +present +r ro .*mmaplab'
# A range: one page of the mapping.
expect_status inspect_range 0 "$MMAPLAB" -j inspect "$dirty_pid" "$dirty_addr" &&
	expect_grep inspect_range "$tmp/out" '"grid":"D"'
expect_status inspect_whole 0 "$MMAPLAB" --color=never inspect "$cow_pid" --grid &&
	expect_grep inspect_whole "$tmp/out" '\[stack\]'
expect_status inspect_svg 0 "$MMAPLAB" inspect "$cow_pid" --object "$cow_id" --svg "$tmp/map.svg" &&
	if grep -q '^<svg' "$tmp/map.svg" && grep -q '</svg>' "$tmp/map.svg" &&
	   grep -q '>C</text>' "$tmp/map.svg"; then ok inspect_svg
	else notok inspect_svg "no SVG map in $tmp/map.svg: $(head -c 300 "$tmp/map.svg")"; fi
expect_status inspect_vma 0 "$MMAPLAB" inspect self --vma 0 && expect_grep inspect_vma "$tmp/out" '^0 '
expect_status inspect_no_object 1 "$MMAPLAB" inspect "$cow_pid" --object 999999999 &&
	expect_grep inspect_no_object "$tmp/err" 'no VMA'
expect_status inspect_no_process 1 "$MMAPLAB" inspect 2147483646 &&
	expect_grep inspect_no_process "$tmp/err" 'no process'
expect_status inspect_bad_args 2 "$MMAPLAB" inspect "$cow_pid" 0x1000 --vma 1 && ok inspect_bad_args

expect_status explain_cow 0 "$MMAPLAB" -j explain "$cow_pid" "$cow_addr" &&
	expect_grep explain_cow "$tmp/out" 'copy-on-write copy made by a write'
expect_status explain_ro 0 "$MMAPLAB" explain "$ro_pid" "$ro_addr" &&
	expect_grep explain_ro "$tmp/out" 'present read-only: a read fault on a private'
expect_status explain_empty 0 "$MMAPLAB" explain "$past_pid" "$(printf '0x%x' $((past_addr + 4 * 4096)))" &&
	expect_grep explain_empty "$tmp/out" 'empty: there is no page-table entry'
expect_status explain_zero 0 "$MMAPLAB" explain "$zero_pid" "$zero_addr" &&
	expect_grep explain_zero "$tmp/out" 'the shared zero page'
expect_status explain_unmapped 0 "$MMAPLAB" -j explain "$cow_pid" 0x1000 &&
	if "$JSON_VALID" vma page why <"$tmp/out" 2>"$tmp/err"; then
		expect_grep explain_unmapped "$tmp/out" '"vma":null.*not mapped'
	else notok explain_unmapped "invalid JSON: $(cat "$tmp/err")"; fi
expect_status explain_json 0 "$MMAPLAB" -j explain "$dirty_pid" "$dirty_addr" &&
	expect_grep explain_json "$tmp/out" '"cell":"dirty".*"why":\[.*shared mapping, written'

expect_status maps_human 0 "$MMAPLAB" --color=never maps "$cow_pid" &&
	expect_grep maps_human "$tmp/out" "mmaplab +[0-9a-f]+ +4 +0 +\[mmaplab object $cow_id, shmem\]"
expect_status maps_json 0 "$MMAPLAB" -j maps "$cow_pid" &&
	if "$JSON_VALID" vmas <"$tmp/out" 2>"$tmp/err"; then
		expect_grep maps_json "$tmp/out" '"kind":"stack"'
	else notok maps_json "invalid JSON: $(cat "$tmp/err")"; fi

# Another user may not read root's page tables: the open of
# /proc/PID/pagemap says no, and so does the tool (exit status 4); its own
# it may read, without PFNs.  Run as nobody with su; the test VM has no
# /etc/passwd, so one naming only nobody is made for the test and removed.
made_passwd=
if [ ! -e /etc/passwd ] && [ ! -e /etc/group ] && [ "$(id -u)" = 0 ]; then
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >/etc/passwd &&
		echo 'nogroup:x:65534:' >/etc/group && made_passwd=1
fi
if [ "$(id -u)" = 0 ] && command -v su >/dev/null 2>&1 &&
   su -s /bin/sh nobody -c true 2>/dev/null; then
	expect_status inspect_denied 4 su -s /bin/sh nobody -c "$MMAPLAB inspect $cow_pid" &&
		expect_grep inspect_denied "$tmp/err" "not allowed to read $cow_pid's page tables"
	expect_status inspect_unprivileged 0 su -s /bin/sh nobody -c "$MMAPLAB -j inspect self --vma 0" &&
		expect_grep inspect_unprivileged "$tmp/out" '"pfns_hidden":true'
else
	skipped inspect_denied "cannot run the tool as nobody (not root, or no su or no user nobody)"
	skipped inspect_unprivileged "cannot run the tool as nobody (not root, or no su or no user nobody)"
fi
if [ -n "$made_passwd" ]; then rm -f /etc/passwd /etc/group; fi

for h in $holders; do kill "$h" 2>/dev/null; wait "$h" 2>/dev/null; done
holders=

# The benchmark builds and runs (a smoke pass: no time is asserted), and
# leaves the module's parameters as it found them (it switches events and
# raises the page limits for its runs).
params() {
	for p in /sys/module/mmaplab/parameters/*; do
		printf '%s=%s ' "${p##*/}" "$(cat "$p" 2>/dev/null)"
	done
}
if command -v mmaplab-bench >/dev/null 2>&1; then
	before=$(params)
	expect_status bench_smoke 0 mmaplab-bench --smoke --json &&
		"$JSON_VALID" <"$tmp/out" >/dev/null 2>&1 &&
		expect_grep bench_smoke "$tmp/out" '"figure":"inspect"'
	after=$(params)
	if [ "$before" = "$after" ]; then
		ok bench_restores_parameters
	else
		notok bench_restores_parameters "before: $before; after: $after"
	fi
else
	skipped bench_smoke "mmaplab-bench not in PATH"
	skipped bench_restores_parameters "mmaplab-bench not in PATH"
fi

# ------------------------------------------------------------------ remap
#
# One holder of 8 shared pages; each case runs one operation on it through
# its control socket.  A case passes when the exit status is the expected
# one, every row of the "before" table is a line of the holder's maps as
# read just before, every row of the "after" table one of its maps just
# after, the tables show as many /dev/mmaplab VMAs as maps has, the
# expected text is there, and the holder is still alive.

# table_rows SECTION FILE: "RANGE PERMS PATH" of each row of the table
# "VMAs SECTION" (before, after) of a human remap report.
table_rows() {
	awk -v s="$1" '
		$0 ~ "^VMAs " s { on = 1; next }
		/^VMAs |^  pages present/ { on = 0 }
		on && $1 ~ /^[0-9a-f]+-[0-9a-f]+$/ { print $1, $2, $NF }' "$2"
}

# table_vs_maps SECTION REPORT MAPS: say what does not match, if anything.
table_vs_maps() {
	table_rows "$1" "$2" | while read -r range perms path; do
		grep -q "^$range $perms " "$3" || echo "$1 row $range $perms is not in maps"
	done
	rows=$(table_rows "$1" "$2" | grep -c ' /dev/mmaplab$')
	inmaps=$(grep -c ' /dev/mmaplab$' "$3")
	[ "$rows" -eq "$inmaps" ] || echo "$1 table has $rows /dev/mmaplab VMAs, maps has $inmaps"
}

# remap_case NAME STATUS PATTERN OP ARGS...: see above; PATTERN (grep -E)
# is looked for in stdout and stderr together.
remap_case() {
	name=remap_$1 want=$2 pat=$3; shift 3
	cp "/proc/$hpid/maps" "$tmp/maps_before"
	"$MMAPLAB" remap --pid "$hpid" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	cp "/proc/$hpid/maps" "$tmp/maps_after" 2>/dev/null
	why=""
	[ "$got" -eq "$want" ] || why="exited $got, expected $want"
	kill -0 "$hpid" 2>/dev/null || why="$why; the holder died"
	if [ -z "$why" ] && [ "$want" -eq 0 ]; then
		why=$(table_vs_maps before "$tmp/out" "$tmp/maps_before"
		      [ "$1" = show ] || table_vs_maps after "$tmp/out" "$tmp/maps_after")
	fi
	if [ -z "$why" ] && ! cat "$tmp/out" "$tmp/err" | grep -Eq -- "$pat"; then
		why="no match for '$pat'"
	fi
	if [ -z "$why" ]; then
		ok "$name"
	else
		notok "$name" "remap $*: $why; stdout: $(head -c 1500 "$tmp/out"); stderr: $(head -c 300 "$tmp/err")"
	fi
}

"$MMAPLAB" create --pages 8 --hold forever >"$tmp/holder" 2>&1 &
hpid=$!
sock=""
for i in $(seq 50); do
	sock=$(sed -n 's/^control: \([^;]*\);.*/\1/p' "$tmp/holder")
	[ -n "$sock" ] && [ -S "$sock" ] && break
	sleep 0.2
done
if [ -S "$sock" ]; then ok hold_socket; else notok hold_socket "no control socket: $(cat "$tmp/holder")"; fi
expect_grep hold_line "$tmp/holder" "^holding: pid $hpid, mapping 0x[0-9a-f]+-0x[0-9a-f]+ \(8 pages\)"
# Only the holder's user may talk to it.
case $(ls -l "$sock" 2>/dev/null) in
srw-------*) ok hold_socket_mode ;;
*) notok hold_socket_mode "socket mode: $(ls -l "$sock" 2>&1)" ;;
esac

remap_case show 0 'VMAs before' show
#   0   2      4       8        pages of the held mapping
#   [rw-s][---s][rw-s   ]        mprotect 2:2 none: one VMA becomes three
remap_case mprotect_none 0 'may_splits +[0-9]+ +[0-9]+ +\+2' mprotect 2:2 none
remap_case dontneed 0 'pages present: 8 before, 6 after' madvise 0:2 dontneed
remap_case sequential 0 'MADV_SEQUENTIAL' madvise 4:2 sequential
remap_case willneed 0 'MADV_WILLNEED' madvise 4:2 willneed
remap_case cold 0 'MADV_COLD' madvise 4:1 cold
remap_case pageout 0 'MADV_PAGEOUT' madvise 5:1 pageout
remap_case free_refused 1 'MADV_FREE takes only private anonymous' madvise 4:1 free
remap_case msync 0 'msync\(.*MS_SYNC\)' msync 4:4
# The guard advice: done (6.15 on), or an explanation of why not.
cp "/proc/$hpid/maps" "$tmp/maps_before"
"$MMAPLAB" remap --pid "$hpid" madvise 7 guard-install >"$tmp/out" 2>"$tmp/err"
case $? in
0) ok remap_guard_install ;;
1) expect_grep remap_guard_install "$tmp/err" 'guard regions' ;;
*) notok remap_guard_install "status $?: $(cat "$tmp/err")" ;;
esac
remap_case touch_protnone 0 '1 SIGSEGV' touch 2 write
remap_case shrink 0 'mremap\(0x[0-9a-f]+, 16384, 8192, 0\)' shrink 4:4 2
remap_case grow 0 'the mapping is now at' grow 4:2 2 may-move
remap_case move 0 'mremaps +[0-9]+ +[0-9]+ +\+1' move 0:2
remap_case dontunmap 0 'MREMAP_DONTUNMAP' dontunmap 4:1
remap_case remap_file_pages 0 'mmaps +1 +2 +\+1' remap-file-pages 5:1 0
remap_case fixed_anon 0 'rw-p .*\[anon\]' fixed 6
remap_case fixed_object 0 'mmaps +2 +3 +\+1' fixed 4 object 0
remap_case munmap 0 'vma_closes' munmap 2

# Bad requests: a message, a non-zero status, and the holder lives on.
remap_case unaligned 1 'not page-aligned' touch 0x1001:4096
remap_case unaligned_len 1 'not a whole number of pages' madvise 0x10000000:100 dontneed
remap_case out_of_range 1 'out of range' mprotect 100:2 r
remap_case no_vma 1 'no VMA at 0x[0-9a-f]+ \(page 0 of the held mapping\)' madvise 0 dontneed
remap_case unmapped_page 1 'no VMA at .*page 2 of' munmap 2
remap_case shrink_all 1 'shrink needs' shrink 4:1 1
remap_case bad_advice 2 'unknown advice' madvise 4 banana
remap_case bad_range 2 'invalid RANGE' mprotect x:1 r
remap_case no_op 2 'no operation given'

expect_status remap_json 0 "$MMAPLAB" -j remap --pid "$hpid" show &&
	if "$JSON_VALID" pid before after changed <"$tmp/out" 2>"$tmp/err"; then ok remap_json; else notok remap_json "$(cat "$tmp/err")"; fi
expect_status remap_no_holder 5 "$MMAPLAB" remap --pid 999999 show &&
	expect_grep remap_no_holder "$tmp/err" 'no holder'

kill -TERM "$hpid"
wait "$hpid"
hst=$?
if [ "$hst" -eq 0 ] && [ ! -e "$sock" ]; then ok hold_end; else notok hold_end "holder exited $hst, socket left: $(ls -l "$sock" 2>&1)"; fi

# Without --pid: a mapping of its own.
expect_status remap_local 0 "$MMAPLAB" remap --pages 4 mprotect 1:2 r &&
	expect_grep remap_local "$tmp/out" 'mprotects +0 +1 +\+1'
expect_status remap_local_rfp_private 1 "$MMAPLAB" remap --map private remap-file-pages 0:1 1 &&
	expect_grep remap_local_rfp_private "$tmp/err" 'only shared'
expect_status remap_local_dontunmap 0 "$MMAPLAB" remap --backing shmem dontunmap 0:2 &&
	expect_grep remap_local_dontunmap "$tmp/out" 'MREMAP_DONTUNMAP'

# Nothing is left behind once the tool has exited.
expect_status live_zero 0 "$MMAPLAB" --json stats &&
	expect_grep live_zero "$tmp/out" '"live_pages": *0[,}]?'

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ "$fail" -eq 0 ]
