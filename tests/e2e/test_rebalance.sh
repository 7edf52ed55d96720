#!/usr/bin/env bash
# test_rebalance.sh: the rebalance example: a parallelism-1 sequence source, rebalanced
# round-robin to N map subtasks, keyed by bucket into a rolling sum.
#
# Checks that rebalance splits the records evenly (each map subtask reports at close how many it
# squared: the counts sum to --count and differ by at most one), that every map subtask ran, that
# the final sum of squares per bucket matches awk's and does not depend on the parallelism, that
# each bucket is printed by a single sum subtask, and that bad arguments fail cleanly.
#
# Run by ctest from the build directory with SPATE and SPATE_EXAMPLES set.
set -euo pipefail
export LC_ALL=C

SPATE=${SPATE:-build/bin/spate}
SPATE_EXAMPLES=${SPATE_EXAMPLES:-build/examples}
RB=$SPATE_EXAMPLES/rebalance.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# expected COUNT BUCKETS: "bucket sum" lines, sum of v*v over v in 1..COUNT with v % BUCKETS.
expected() {
  awk -v n="$1" -v b="$2" 'BEGIN {
      for (v = 1; v <= n; v++) s[v % b] += v * v
      for (k = 0; k < b; k++) if (k in s) printf "%d %.0f\n", k, s[k]
    }' | sort -n
}
# finals NAME: "bucket sum" from the last line printed for each bucket. A row is
# "(bucket,sum,mapped_by)", possibly after an "N> " prefix.
finals() {
  { grep -E '^([0-9]+> )?\([0-9]+,[0-9]+,[0-9]+\)$' "$tmp/$1.out" || true; } |
    sed -E 's/^[0-9]+> //; s/[()]//g' |
    awk -F, '{ last[$1] = $2 } END { for (k in last) printf "%s %s\n", k, last[k] }' | sort -n
}
# map_counts NAME: the per-subtask record counts the map reports on stderr, one per line.
map_counts() { grep -oE 'square [0-9]+/[0-9]+: squared [0-9]+ numbers' "$tmp/$1.err" | awk '{ print $4 }' || true; }

for p in 1 2 4; do
  run "p$p" run -p "$p" "$RB" --count 1000
  if [ "$rc" -eq 0 ]; then pass "-p $p: exit 0"; else fail "-p $p: exit $rc" "$tmp/p$p.err"; fi
  expected 1000 4 >"$tmp/expected"
  finals "p$p" >"$tmp/p$p.final"
  assert "-p $p: final sums of squares per bucket match awk" cmp -s "$tmp/expected" "$tmp/p$p.final"
  counts=$(map_counts "p$p" | sort -n | tr '\n' ' ')
  nmaps=$(map_counts "p$p" | wc -l)
  total=$(map_counts "p$p" | awk '{ s += $1 } END { print s + 0 }')
  lo=$(map_counts "p$p" | sort -n | head -1)
  hi=$(map_counts "p$p" | sort -n | tail -1)
  assert "-p $p: all $p map subtasks report at close (got: $counts)" test "$nmaps" -eq "$p"
  assert "-p $p: map subtasks squared 1000 numbers in all" test "$total" -eq 1000
  assert "-p $p: rebalance splits evenly (counts differ by at most 1)" test $((${hi:-0} - ${lo:-0})) -le 1
  assert "-p $p: one output line per number" \
    test "$(grep -cE '^([0-9]+> )?\(' "$tmp/p$p.out" || true)" -eq 1000
  if [ "$p" -gt 1 ]; then
    owners=$(grep -E '^[0-9]+> \(' "$tmp/p$p.out" | sed -E 's/^([0-9]+)> \(([0-9]+),.*/\2 \1/' |
      sort -u | cut -d' ' -f1 | uniq -d || true)
    assert "-p $p: each bucket is printed by one sum subtask" test -z "$owners"
  fi
done

run buckets run -p 3 "$RB" --count 5000 --buckets 7
if [ "$rc" -eq 0 ]; then pass "--count 5000 --buckets 7: exit 0"; else fail "--buckets 7: exit $rc" "$tmp/buckets.err"; fi
expected 5000 7 >"$tmp/expected7"
finals buckets >"$tmp/buckets.final"
assert "--count 5000 --buckets 7: final sums match awk" cmp -s "$tmp/expected7" "$tmp/buckets.final"

for bad in "--count 0" "--count abc" "--count 2000001" "--buckets 0" "--buckets x"; do
  # shellcheck disable=SC2086
  run bad run "$RB" $bad
  if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && grep -q 'Usage' "$tmp/bad.err"; then
    pass "$bad: fails with usage"
  else
    fail "$bad: fails with usage (exit $rc)" "$tmp/bad.err"
  fi
done

echo "test_rebalance: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
