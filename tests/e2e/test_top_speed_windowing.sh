#!/usr/bin/env bash
# test_top_speed_windowing.sh: end-to-end test of the TopSpeedWindowing example through
# `spate run`: global windows per car, DeltaTrigger (distance driven > 50 m since the last
# firing's report), TimeEvictor (10 s, before the function), max by speed.
#
# The expected outputs are derived by hand from the reports (below, next to each input):
# the first report of a car only starts the measurement; a firing first evicts the reports whose
# timestamp is <= newest - 10000 (and they stay evicted), then emits the fastest remaining
# report, the first one of equal speeds. Checked: the built-in log at -p 1 (firing order) and at
# -p 2 (each car's results in order on its subtask), a log file with comments, fractional
# distances and an eviction that drops the top speed, --output to a file, and a malformed line
# failing the job with a message naming it.
#
# Run by ctest from the build directory with SPATE and SPATE_EXAMPLES set.
set -euo pipefail
export LC_ALL=C

SPATE=${SPATE:-build/bin/spate}
SPATE_EXAMPLES=${SPATE_EXAMPLES:-build/examples}
TS=$SPATE_EXAMPLES/top_speed_windowing.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
expect_ok() {
  if [ "$rc" -eq 0 ]; then pass "$2"; else fail "$2 (exit $rc)" "$tmp/$1.err"; fi
}
results() { grep -E '^([0-9]+> )?\(.*\)$' "$1" || true; }
same() {
  if diff -u "$2" "$3" >"$tmp/diff"; then pass "$1"; else fail "$1" "$tmp/diff"; fi
}

# The built-in log (car,speed,distance,ts), in time order:
#   car 0: (50,0,0) (60,15,1000) (70,32,2000) (55,48,3000) (65,60,4000) (40,100,15000)
#          (45,115,16000)
#   car 1: (80,0,500) (90,30,1500) (85,51,2500) (100,90,3500) (95,102,4500) (100,160,5500)
# car 1 at 2500: 51 - 0 > 50 fires [500..2500] -> 90 at 1500.
# car 0 at 4000: 60 - 0 > 50 fires [0..4000], nothing older than 10 s -> 70 at 2000.
# car 1 at 4500: 102 - 51 > 50 fires [500..4500] -> 100 at 3500.
# car 1 at 5500: 160 - 102 > 50 fires [500..5500]: 100 at 3500 and at 5500, the first stays.
# car 0 at 15000: 100 - 60 = 40, no. At 16000: 115 - 60 > 50 fires; reports at <= 6000 are
#   evicted, leaving 15000 and 16000 -> 45 at 16000.
cat >"$tmp/builtin.expected" <<'OUT'
(1,90,30.0,1500)
(0,70,32.0,2000)
(1,100,90.0,3500)
(1,100,90.0,3500)
(0,45,115.0,16000)
OUT

run p1 run "$TS"
expect_ok p1 "built-in log at -p 1: exit 0"
results "$tmp/p1.out" >"$tmp/p1.rows"
same "built-in log at -p 1: exact results in firing order" "$tmp/builtin.expected" "$tmp/p1.rows"

run p2 run -p 2 "$TS"
expect_ok p2 "built-in log at -p 2: exit 0"
for car in 0 1; do
  grep "^($car," "$tmp/builtin.expected" >"$tmp/p2.want.$car" || true
  results "$tmp/p2.out" | sed -E 's/^[0-9]+> //' | grep "^($car," >"$tmp/p2.got.$car" || true
  same "built-in log at -p 2: car $car's results in order" "$tmp/p2.want.$car" "$tmp/p2.got.$car"
done
if results "$tmp/p2.out" | grep -qE '^[12]> '; then pass "-p 2: subtask prefixes"; else
  fail "-p 2: subtask prefixes" "$tmp/p2.out"; fi

# A log file: car 7 at 20000 (60 - 0 > 50) fires; reports at <= 10000 (the 120 and 30 ones)
# are evicted first, so the top speed is 35 at 20000. At 22000 (111.5 - 60 > 50) the window
# holds 20000, 21000, 22000 -> 200 at 21000. Car 8 never drives 50 m: no output.
cat >"$tmp/log.txt" <<'IN'
# car,speed,distance,ts
7,120,0,0
8,10,0,100
7,30,40,5000

7,35,60,20000
8,10,49.5,20500
7,200,100,21000
7,10,111.5,22000
IN
printf '(7,35,60.0,20000)\n(7,200,100.0,21000)\n' >"$tmp/file.expected"
run file run "$TS" --input "$tmp/log.txt" --output "$tmp/out.txt"
expect_ok file "log file: exit 0"
if [ -f "$tmp/out.txt" ]; then
  results "$tmp/out.txt" >"$tmp/file.rows"
  same "log file: eviction before the function, fractional distances" "$tmp/file.expected" \
    "$tmp/file.rows"
else
  fail "log file: --output wrote nothing" "$tmp/file.err"
fi

printf '1,10,0,0\n1,fast,5,10\n' >"$tmp/bad.txt"
run bad run "$TS" --input "$tmp/bad.txt"
if [ "$rc" -ne 0 ] && grep -q "bad car report '1,fast,5,10'" "$tmp/bad.err"; then
  pass "malformed line: the job fails naming the line"
else
  fail "malformed line: exit $rc, want a failure naming the line" "$tmp/bad.err"
fi

echo "passed $passed, failed $failed"
[ "$failed" -eq 0 ]
