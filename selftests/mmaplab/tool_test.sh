#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tool_test.sh - the mmaplab command as a user meets it: help, exit codes,
# error messages, and what "create" reports about who saw what.  JSON
# output is checked with json_valid (json-c's parser).  Prints KTAP.
# Needs the module loaded; skips everything, saying so, when it is not.
dir=$(cd "$(dirname "$0")" && pwd)
MMAPLAB=${MMAPLAB:-mmaplab}
JSON_VALID=${JSON_VALID:-$dir/json_valid}
n=0 pass=0 fail=0 skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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

TESTS=16
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
"$MMAPLAB" monitor --no-dump --count 6 >"$tmp/mon" 2>"$tmp/monerr" &
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
"$MMAPLAB" --json monitor --no-dump --count 6 >"$tmp/mon" 2>"$tmp/monerr" &
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

# Nothing is left behind once the tool has exited.
expect_status live_zero 0 "$MMAPLAB" --json stats &&
	expect_grep live_zero "$tmp/out" '"live_pages": *0[,}]?'

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ "$fail" -eq 0 ]
