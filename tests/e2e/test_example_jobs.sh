#!/usr/bin/env bash
# test_example_jobs.sh: end-to-end test of the three everyday example jobs written in the typed
# style (examples/sensor_windows.c, fraud_detection.c, order_payment_join.c) through `spate run`.
#
# support/example_reference.py writes their CSV inputs (fixed seed; quoted fields; disorder under
# the jobs' 5 s bound) and computes the expected results itself, in plain Python; each job runs
# at -p 1, 2 and 4 and its output must equal those results as a multiset. A malformed line fails
# sensor_windows naming the file, line and column.
#
# Run by ctest from the build directory with SPATE and SPATE_EXAMPLES set.
set -euo pipefail
export LC_ALL=C

SPATE=${SPATE:-build/bin/spate}
SPATE_EXAMPLES=${SPATE_EXAMPLES:-build/examples}
REF="$(dirname "${BASH_SOURCE[0]}")/support/example_reference.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# job KIND NAME ARGS...: generates KIND's inputs once, runs NAME at -p 1, 2 and 4 with ARGS
# (@IN@ replaced by the input directory) and checks each output against the reference.
job() {
  local kind=$1 name=$2
  shift 2
  mkdir -p "$tmp/$kind"
  python3 "$REF" gen "$kind" "$tmp/$kind"
  for p in 1 2 4; do
    local out="$tmp/$kind.out-p$p" args=()
    for a in "$@"; do args+=("${a//@IN@/$tmp/$kind}"); done
    run "$name-p$p" run -p "$p" "$SPATE_EXAMPLES/$name.so" "${args[@]}" --output "$out"
    if [ "$rc" -ne 0 ]; then
      fail "$name at -p $p: exit 0 (exit $rc)" "$tmp/$name-p$p.err"
      continue
    fi
    if python3 "$REF" check "$kind" "$tmp/$kind" "$out" >"$tmp/$name-p$p.check" 2>&1; then
      pass "$name at -p $p: $(cat "$tmp/$name-p$p.check")"
    else
      fail "$name at -p $p: the results equal the reference's" "$tmp/$name-p$p.check"
    fi
  done
}

job sensors sensor_windows --input @IN@/readings-1.csv --input @IN@/readings-2.csv
job transactions fraud_detection --input @IN@/transactions-1.csv --input @IN@/transactions-2.csv
job orders order_payment_join --orders @IN@/orders.csv --payments @IN@/payments.csv

# A malformed temperature on line 3, column 8: the job fails naming the file, line and column.
printf 's1,0,1.5\ns1,250,2.5\ns1,500,warm\n' >"$tmp/bad.csv"
run bad run "$SPATE_EXAMPLES/sensor_windows.so" --input "$tmp/bad.csv" --output "$tmp/bad-output"
if [ "$rc" -ne 0 ] && grep -q "bad.csv:3:8" "$tmp/bad.err"; then
  pass "a malformed line fails sensor_windows naming bad.csv:3:8"
else
  fail "a malformed line fails sensor_windows naming bad.csv:3:8 (exit $rc)" "$tmp/bad.err"
fi

echo "test_example_jobs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
