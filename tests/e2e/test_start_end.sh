#!/usr/bin/env bash
# End-to-end: the START/END KeyedProcessFunction example through `spate run`: per-key value
# state, event-time timers that drop a START after four hours, per-event watermarks; the same
# matches at parallelism 1 and 3, from the built-in log and from a file.
set -euo pipefail
: "${SPATE:?}" "${SPATE_EXAMPLES:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "ok   - $1"; else failed=$((failed + 1)); echo "FAIL - $1"; fi; }
job="$SPATE_EXAMPLES/start_end.so"
results() { grep -E '^([0-9]+> )?\(' "$1" | sed -E 's/^[0-9]+> //' | sort; }

expected=$(printf '(sensor-1,60000)\n(sensor-1,60000)\n(sensor-2,500)\n')
for p in 1 3; do
  set +e
  "$SPATE" run -p $p -D log.level=WARN "$job" >"$tmp/p$p.out" 2>"$tmp/p$p.err"
  rc=$?
  set -e
  check "built-in log at -p $p: exit 0" "[ $rc -eq 0 ]"
  check "built-in log at -p $p: matches, no timed-out or unmatched key" "[ \"\$(results $tmp/p$p.out)\" = \"\$expected\" ]"
done

# From a file: a START whose END comes within four hours, and one whose END comes too late.
{
  echo "a,START,0"
  echo "b,START,10"
  echo "a,END,3600000"
  echo "c,START,14400100" # its watermark passes b's four hours (14400010)
  echo "b,END,14400200"
  echo "c,END,14400300"
} >"$tmp/events.txt"
set +e
"$SPATE" run -p 2 -D log.level=WARN "$job" --input "$tmp/events.txt" --output "$tmp/out" >"$tmp/f.out" 2>"$tmp/f.err"
rc=$?
set -e
check "file input: exit 0" "[ $rc -eq 0 ]"
check "file input: a lasted an hour, b timed out, c lasted 200 ms" "[ \"\$(cat $tmp/out/* | sort)\" = \"\$(printf '(a,3600000)\n(c,200)\n')\" ]"

# A malformed event fails the job with the line in the message.
printf 'a,START,0\nnot an event\n' >"$tmp/bad.txt"
set +e
"$SPATE" run -D log.level=WARN "$job" --input "$tmp/bad.txt" >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
set -e
check "malformed event: non-zero exit" "[ $rc -ne 0 ]"
check "malformed event: message quotes it" "grep -q \"malformed event 'not an event'\" '$tmp/bad.err'"
echo "test_start_end: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
