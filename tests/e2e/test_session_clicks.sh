#!/usr/bin/env bash
# test_session_clicks.sh: end-to-end test of the SessionClicks example through `spate run`.
#
# Checks the exact sessions (user, start, end, clicks) of the built-in click log and of a log
# file: at -p 1 in the order the watermark closes them, at -p 2 with print's "N> " prefixes
# (each user's sessions stay in order on the subtask owning the user); --output to a file; a
# session extended by a click just inside the 30-minute gap; and a malformed line failing the
# job with a message naming it.
#
# Run by ctest from the build directory with SPATE and SPATE_EXAMPLES set.
set -euo pipefail
export LC_ALL=C

SPATE=${SPATE:-build/bin/spate}
SPATE_EXAMPLES=${SPATE_EXAMPLES:-build/examples}
SC=$SPATE_EXAMPLES/session_clicks.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
expect_ok() {
  if [ "$rc" -eq 0 ]; then pass "$2"; else fail "$2 (exit $rc)" "$tmp/$1.err"; fi
}
# results FILE: the result rows (with any "N> " prefix kept), in output order.
results() { grep -E '^([0-9]+> )?\(.*\)$' "$1" || true; }
# same DESCRIPTION EXPECTED_FILE ACTUAL_FILE
same() {
  if diff -u "$2" "$3" >"$tmp/diff"; then pass "$1"; else fail "$1" "$tmp/diff"; fi
}

# The built-in log. alice: 0, 10 min, 25 min -> [0, 55 min); 56:40, 58:20 -> one more session.
# bob: three lone clicks. carol: 30:00 and 59:59.999 (gap just under 30 min) -> one session.
cat >"$tmp/builtin.expected" <<'OUT'
(bob,60000,1860000,1)
(alice,0,3300000,3)
(bob,1900000,3700000,1)
(alice,3400000,5300000,2)
(carol,1800000,5399999,2)
(bob,5000000,6800000,1)
OUT

run p1 run "$SC"
expect_ok p1 "built-in log at -p 1: exit 0"
results "$tmp/p1.out" >"$tmp/p1.rows"
same "built-in log at -p 1: exact sessions in firing order" "$tmp/builtin.expected" "$tmp/p1.rows"

run p2 run -p 2 "$SC"
expect_ok p2 "built-in log at -p 2: exit 0"
cat >"$tmp/p2.expected" <<'OUT'
1> (carol,1800000,5399999,2)
2> (alice,0,3300000,3)
2> (alice,3400000,5300000,2)
2> (bob,1900000,3700000,1)
2> (bob,5000000,6800000,1)
2> (bob,60000,1860000,1)
OUT
results "$tmp/p2.out" | sort >"$tmp/p2.rows"
same "built-in log at -p 2: exact sessions per subtask" "$tmp/p2.expected" "$tmp/p2.rows"
# per user, sessions still come out in order of their ends
results "$tmp/p2.out" | grep alice | sed -E 's/^[0-9]+> //' >"$tmp/p2.alice"
grep alice "$tmp/builtin.expected" >"$tmp/alice.expected"
same "built-in log at -p 2: a user's sessions in order" "$tmp/alice.expected" "$tmp/p2.alice"

# A log file: comments and blank lines skipped; a click exactly 30 min after the last one
# starts a window touching the previous one, and touching session windows merge (Flink's
# TimeWindow.intersects), so dave has one session of 3 clicks.
cat >"$tmp/clicks.log" <<'LOG'
# user,timestamp_ms
dave,1000
dave,1801000

erin,2000000
dave,3601000
erin,9000000
LOG
cat >"$tmp/file.expected" <<'OUT'
(erin,2000000,3800000,1)
(dave,1000,5401000,3)
(erin,9000000,10800000,1)
OUT
run file run "$SC" --input "$tmp/clicks.log" --output "$tmp/sessions.txt"
expect_ok file "log file with --output: exit 0"
same "log file with --output: exact sessions" "$tmp/file.expected" "$tmp/sessions.txt"

printf 'frank,100\nfrank;200\n' >"$tmp/bad.log"
run bad run "$SC" --input "$tmp/bad.log"
if [ "$rc" -ne 0 ] && grep -q "bad click line 'frank;200'" "$tmp/bad.err"; then
  pass "malformed line: the job fails naming the line"
else
  fail "malformed line: the job fails naming the line (exit $rc)" "$tmp/bad.err"
fi

echo "test_session_clicks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
