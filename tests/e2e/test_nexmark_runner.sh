#!/usr/bin/env bash
# test_nexmark_runner.sh: `spate nexmark run|list` (src/cli/nexmark_command.c), the runner of the
# Nexmark queries: it finds the query's job, runs it over --events events, prints its result (or
# writes it with --output, or drops it with --discard) and reports one summary line on stderr;
# bad query names and options fail naming them.
#
# The bids the source generates are counted independently, from the bid view that
# examples/nexmark/dump.so writes for the same options: q1 maps every bid to one row.
#
# Run by ctest from the build directory with SPATE and SPATE_EXAMPLES set.
set -euo pipefail
export LC_ALL=C

SPATE=${SPATE:-build/bin/spate}
SPATE_EXAMPLES=${SPATE_EXAMPLES:-build/examples}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
unset SPATE_NEXMARK_JOBS
events=20000
base=(-D nexmark.base-time=1700000000000)

# The bids of the first $events events, as the bid view holds them: their (auction, bidder).
run dump run -p 1 -D nexmark.events.num=$events "${base[@]}" "$SPATE_EXAMPLES/nexmark/dump.so" \
  --output "$tmp/events"
if [ "$rc" -ne 0 ]; then
  fail "dump.so writes the $events events (exit $rc)" "$tmp/dump.err"
  exit 1
fi
cut -d, -f1,2 "$tmp/events/bid" | sort >"$tmp/bids"
bids=$(wc -l <"$tmp/bids")
assert "the stream holds bids, fewer than its events ($bids of $events)" \
  test "$bids" -gt 0 -a "$bids" -lt "$events"

# list: every q<N>.so of the build's jobs directory, in query order, with its path
run list nexmark list
expected=$(ls "$SPATE_EXAMPLES/nexmark" | sed -n 's/^\(q[0-9][0-9]*\)\.so$/\1/p' | sort -k1.2n)
if [ "$rc" -eq 0 ] && [ "$(cut -f1 "$tmp/list.out")" = "$expected" ] &&
  grep -q "^q1	.*/examples/nexmark/q1.so$" "$tmp/list.out"; then
  pass "nexmark list names every query of the build"
else
  fail "nexmark list names every query of the build (exit $rc)" "$tmp/list.out"
fi

# summary_ok NAME EVENTS P: the run's stderr ends its report with the summary line
summary_ok() {
  grep -Eq "^nexmark $1: events=$2 seconds=[0-9]+\.[0-9]{3} events/s=[0-9]+ cpu-seconds=[0-9]+\.[0-9]{3} events/cpu-second=[0-9]+ parallelism=$3\$" \
    "$tmp/$1-$3.err"
}

# run at parallelism 1: the result printed, one row per bid
run q1-1 nexmark run q1 --events $events "${base[@]}"
if [ "$rc" -eq 0 ]; then pass "nexmark run q1 --events $events exits 0"; else
  fail "nexmark run q1 --events $events exits 0 (exit $rc)" "$tmp/q1-1.err"
fi
grep '^(' "$tmp/q1-1.out" | sed 's/^(//' | cut -d, -f1,2 | sort >"$tmp/q1-1.rows"
rows=$(wc -l <"$tmp/q1-1.rows")
assert "it prints one row per bid ($rows rows, $bids bids)" test "$rows" -eq "$bids"
assert "the rows are the bids (auction, bidder)" cmp -s "$tmp/q1-1.rows" "$tmp/bids"
if summary_ok q1 $events 1; then pass "it reports the summary line on stderr"; else
  fail "it reports the summary line on stderr" "$tmp/q1-1.err"
fi

# parallelism 2 with --output: a directory of CSV files, together one line per bid
run q1-2 nexmark run 1 -p 2 --events=$events "${base[@]}" --output "$tmp/q1-out"
written=$(cat "$tmp/q1-out"/1 "$tmp/q1-out"/2 2>/dev/null | wc -l)
assert "-p 2 --output writes one CSV line per bid ($written)" test "$rc" -eq 0 -a "$written" -eq "$bids"
assert "with --output nothing is printed" test "$(grep -c '^[0-9]*> (' "$tmp/q1-2.out" || true)" -eq 0
if summary_ok q1 $events 2; then pass "the summary names parallelism 2"; else
  fail "the summary names parallelism 2" "$tmp/q1-2.err"
fi

# --tps is the rate of event time: at 1000 events/s the last of 20000 events is at base + 20 s
# (base-time 1700000000000 is 2023-11-14 22:13:20 UTC), so the latest bid lies in its 20th second
run tps nexmark run q1 --events $events --tps 1000 "${base[@]}" --output "$tmp/q1-tps.csv"
latest=$(cut -d, -f4 "$tmp/q1-tps.csv" 2>/dev/null | sort | tail -n 1)
if [ "$rc" -eq 0 ] && [[ $latest =~ ^2023-11-14\ 22:13:(39\.[0-9]{3}|40\.000)$ ]]; then
  pass "--tps 1000 spaces $events events over 20 s of event time (latest bid $latest)"
else
  fail "--tps 1000 spaces $events events over 20 s of event time (exit $rc, latest '$latest')" \
    "$tmp/tps.err"
fi

# --discard: the rows go to a discarding sink; a job file given by its path
mkdir "$tmp/jobs"
cp "$SPATE_EXAMPLES/nexmark/q2.so" "$tmp/jobs/q2.so"
run q2-1 nexmark run "$tmp/jobs/q2.so" --events 5000 --discard
assert "--discard prints no rows" test "$rc" -eq 0 -a "$(grep -c '^(' "$tmp/q2-1.out" || true)" -eq 0
if summary_ok q2 5000 1; then pass "a job file given by its path runs"; else
  fail "a job file given by its path runs" "$tmp/q2-1.err"
fi

# SPATE_NEXMARK_JOBS replaces the jobs directory
rc=0
SPATE_NEXMARK_JOBS=$tmp/jobs "$SPATE" nexmark list >"$tmp/env-list.out" 2>&1 || rc=$?
assert "SPATE_NEXMARK_JOBS names the directory nexmark list reads" \
  test "$rc" -eq 0 -a "$(cut -f1 "$tmp/env-list.out")" = q2
rc=0
SPATE_NEXMARK_JOBS=$tmp/jobs "$SPATE" nexmark run q1 --events 10 >"$tmp/env-q1.out" \
  2>"$tmp/env-q1.err" || rc=$?
if [ "$rc" -ne 0 ] && grep -q "no query 'q1'.*$tmp/jobs.*queries found: q2" "$tmp/env-q1.err"; then
  pass "a query missing from SPATE_NEXMARK_JOBS fails naming it and what is there"
else
  fail "a query missing from SPATE_NEXMARK_JOBS fails naming it and what is there (exit $rc)" \
    "$tmp/env-q1.err"
fi

# bad input: non-zero exit, a message naming what was wrong (and no sanitizer report: a leak
# on an error path would change nothing else)
bad() { # NAME EXPECTED-TEXT ARGS...
  local name=$1 text=$2
  shift 2
  run "$name" "$@"
  if [ "$rc" -ne 0 ] && grep -qF -- "$text" "$tmp/$name.err" && ! grep -q Sanitizer "$tmp/$name.err"; then
    pass "spate $* fails naming $text"
  else
    fail "spate $* fails naming $text (exit $rc)" "$tmp/$name.err"
  fi
}
bad bad-q999 "no query 'q999'" nexmark run q999 --events 10
bad bad-name "'bogus' is not a query name" nexmark run bogus
bad bad-events "invalid --events 'ten'" nexmark run q1 --events ten
bad bad-tps "invalid --tps '0'" nexmark run q1 --tps 0
bad bad-p "invalid parallelism '0'" nexmark run q1 -p 0
bad bad-opt "unknown option '--frobnicate'" nexmark run q1 --frobnicate
bad bad-both "--output and --discard" nexmark run q1 --discard --output "$tmp/x"
bad bad-none "no query given" nexmark run --events 10
bad bad-verb "unknown action 'walk'" nexmark walk
bad bad-key "nexmark.nonsense" nexmark run q1 -D nexmark.nonsense=1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
