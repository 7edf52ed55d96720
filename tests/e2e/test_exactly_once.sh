#!/usr/bin/env bash
# End-to-end: exactly-once output through `spate run` when the process is killed with SIGKILL in
# the middle of a run and the job is resumed from its retained checkpoint with -s:
#  - resumed at the same parallelism, at 2 -> 4 and at 4 -> 2, and with unaligned checkpoints
#    (in-flight records replayed), the finished part files hold exactly the lines of a run that
#    was never interrupted (no loss, no duplicate);
#  - a corrupted state file in the newest checkpoint is detected, -s on that checkpoint fails
#    naming the file, and -s on the job's checkpoint directory falls back to the previous one.
set -euo pipefail
: "${SPATE:?}" "${SPATE_EXAMPLES:?}"
source "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
passed=0 failed=0
job="$SPATE_EXAMPLES/exactly_once_sums.so"

lines() { find "$1" -type f ! -name '.*' -exec cat {} + | sort; }

submitted_id() { sed -n 's/^Job has been submitted with JobID \([0-9a-f]*\)$/\1/p' "$1"; }
# the job's id from its submission line, once it is printed
job_id() {
  await "the submission line in $1" grep -q '^Job has been submitted with JobID' "$1" &&
    submitted_id "$1"
}

await_checkpoints() { await "checkpoint $2 of $1" has_checkpoint "$1" "$2"; }
has_output() { [ "$(lines "$1" 2>/dev/null | wc -l)" -ge 1 ]; }

# run_killed NAME P [extra -D...]: starts the job at -p P with checkpoints, kills it with
# SIGKILL after two completed checkpoints; leaves the job id in $id
run_killed() {
  local name=$1 p=$2
  shift 2
  "$SPATE" run -p "$p" -D log.level=WARN -D execution.checkpointing.interval=50ms \
    -D "state.checkpoints.dir=file://$tmp/ck-$name" "$@" "$job" --output "$tmp/$name" \
    --records-per-checkpoint 2000 $window >"$tmp/$name.1.out" 2>"$tmp/$name.1.err" &
  local pid=$!
  pids+=("$pid")
  id=$(job_id "$tmp/$name.1.out") || { fail "$name: job submitted" "$tmp/$name.1.err"; return 1; }
  if ! await_checkpoints "$tmp/ck-$name/$id" 2; then
    fail "$name: two checkpoints completed" "$tmp/$name.1.err"
    return 1
  fi
  if [ "$name" != corrupt ] && # some output committed, so a resume must not publish it again
    ! await "committed output in $tmp/$name" has_output "$tmp/$name"; then
    fail "$name: output committed before the kill" "$tmp/$name.1.err"
    return 1
  fi
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  published=$(lines "$tmp/$name" 2>/dev/null | wc -l)
  if [ "$published" -lt 260 ] && { [ "$name" = corrupt ] || [ "$published" -gt 0 ]; } &&
    ! grep -q "has finished" "$tmp/$name.1.out"; then
    pass "$name: killed in the middle of the run ($published of 260 sums published)"
  else
    fail "$name: killed in the middle of the run"
  fi
  if [ -f "$tmp/ck-$name/$id/chk-1/_metadata" ] || ls "$tmp/ck-$name/$id" | grep -q chk; then
    pass "$name: killed with SIGKILL after checkpoints were retained"
  else
    fail "$name: checkpoints retained after SIGKILL"
  fi
}

resume() {
  local name=$1 p=$2 from=$3
  set +e
  "$SPATE" run -p "$p" -D log.level=INFO -s "$from" "$job" --output "$tmp/$name" --records-per-second 0 \
    $window >"$tmp/$name.2.out" 2>"$tmp/$name.2.err"
  local rc=$?
  set -e
  return $rc
}

# the reference: one uninterrupted run without checkpoints
window="--window-ms 10000"
"$SPATE" run -p 2 -D log.level=WARN "$job" --output "$tmp/ref" --records-per-second 0 $window >"$tmp/ref.out" 2>"$tmp/ref.err"
expected=$(lines "$tmp/ref")
assert "reference run: 260 window sums" [ "$(echo "$expected" | wc -l)" -eq 260 ]

for case in "same 2 2" "up 2 4" "down 4 2" "unaligned 2 2"; do
  set -- $case
  name=$1 p1=$2 p2=$3
  extra=()
  [ "$name" = unaligned ] && extra=(-D execution.checkpointing.unaligned.enabled=true)
  if run_killed "$name" "$p1" "${extra[@]}"; then
    if resume "$name" "$p2" "$tmp/ck-$name/$id"; then
      pass "$name: resumed at -p $p2 from the retained checkpoint"
    else
      fail "$name: resumed at -p $p2 from the retained checkpoint" "$tmp/$name.2.err"
    fi
    got=$(lines "$tmp/$name")
    if [ "$got" = "$expected" ]; then
      pass "$name: -p $p1 killed, -p $p2 resumed: output equals the uninterrupted run"
    else
      fail "$name: output equals the uninterrupted run ($(echo "$got" | wc -l) lines vs 260)"
      diff <(echo "$expected") <(echo "$got") | head -10 || true
    fi
  fi
done

# Corruption: one window spanning the whole input, so nothing is published before the end and
# any complete checkpoint yields the same output.
window="--window-ms 1000000"
"$SPATE" run -p 2 -D log.level=WARN "$job" --output "$tmp/ref2" --records-per-second 0 $window >/dev/null 2>&1
expected=$(lines "$tmp/ref2")
if run_killed corrupt 2 -D state.checkpoints.num-retained=3; then
  # the newest complete one (the newest directory may be a checkpoint the kill interrupted)
  newest=$(ls -d "$tmp/ck-corrupt/$id"/chk-* | sort -t- -k2 -n |
    while read -r d; do if [ -f "$d/_metadata" ]; then echo "$d"; fi; done | tail -1)
  state=$(ls "$newest"/*.state | head -1)
  printf '\xff' | dd of="$state" bs=1 seek=40 conv=notrunc 2>/dev/null
  set +e
  "$SPATE" run -p 2 -s "$newest" "$job" --output "$tmp/corrupt-direct" $window >"$tmp/cd.out" 2>"$tmp/cd.err"
  rc=$?
  set -e
  assert "corrupt checkpoint given directly: non-zero exit" [ $rc -ne 0 ]
  assert "corrupt checkpoint given directly: the error names the file" grep -q "$(basename "$state")" "$tmp/cd.err" "$tmp/cd.out"
  if resume corrupt 2 "$tmp/ck-corrupt/$id"; then
    pass "corrupt newest checkpoint: the job resumed from the job's checkpoint directory"
  else
    fail "corrupt newest checkpoint: the job resumed" "$tmp/corrupt.2.err"
  fi
  assert "corrupt newest checkpoint: the fallback is logged" grep -q "falling back" "$tmp/corrupt.2.err"
  newest_id=${newest##*/chk-}
  assert "corrupt newest checkpoint: the log names both checkpoints and the risk of duplicates" \
    grep -q "falling back to chk-[0-9]*\. Output that exactly-once sinks committed with chk-$newest_id .* may be published again" \
    "$tmp/corrupt.2.err"
  assert "corrupt newest checkpoint: output equals the uninterrupted run" [ "$(lines "$tmp/corrupt")" = "$expected" ]
fi

# a savepoint path that does not exist
set +e
"$SPATE" run -s "$tmp/no-such-savepoint" "$job" --output "$tmp/none" >"$tmp/ns.out" 2>&1
rc=$?
set -e
assert "-s with a missing path: non-zero exit" [ $rc -ne 0 ]
assert "-s with a missing path: the message names it" grep -q "$tmp/no-such-savepoint" "$tmp/ns.out"

# a checkpoint directory that cannot be created (under a regular file): the job fails at its
# start naming the path, instead of waiting forever for a final checkpoint
echo "in the way" >"$tmp/a-file"
set +e
timeout "$test_timeout_s" "$SPATE" run -D "state.checkpoints.dir=$tmp/a-file/ck" \
  -D execution.checkpointing.interval=100ms "$job" --output "$tmp/eos" >"$tmp/unusable.out" 2>&1
rc=$?
set -e
assert "unusable state.checkpoints.dir: the job ends with a non-zero exit" test "$rc" -ne 0 -a "$rc" -ne 124
assert "unusable state.checkpoints.dir: the message names the path" \
  grep -q "checkpoint storage.*$tmp/a-file/ck" "$tmp/unusable.out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
