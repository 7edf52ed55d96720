#!/usr/bin/env bash
# End-to-end: backpressure across TaskManagers keeps every process's memory bounded. On a
# cluster of real processes started through the CLI (a JobManager and two TaskManagers of two
# slots each), a fast unbounded source on one TaskManager feeds a slow sink on the other
# (tests/e2e/jobs/slow_sink.c: separate slot sharing groups put them on separate TaskManagers).
# Once the sinks have consumed far more than the bound (so the source has emitted at least that
# much), each process's peak resident memory (VmHWM of /proc/<pid>/status) must lie within its
# idle resident memory plus a bound derived from the configured network buffers. No assertion
# depends on timing: the test awaits the sinks' progress lines, each wait with a deadline.
set -euo pipefail
: "${SPATE:?}" "${SPATE_TEST_JOBS:?}"
source "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
pids=$tmp/pids
logs=$tmp/log
host=$(hostname)
export SPATE_IDENT_STRING=e2e
# Under AddressSanitizer freed memory waits in a quarantine of up to 256 MB before it is reused,
# so a sanitizer build's resident memory grows with the bytes that went through; a small one
# keeps what is measured the program's own (a release build stays flat at about 11 MB).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
passed=0 failed=0
cleanup() {
  kill_pid_files "$pids"/*.pid
  rm -rf "$tmp"
}
trap cleanup EXIT

# The network buffers: 32 KB segments, 2 exclusive buffers per channel, 8 floating per gate.
segment_kb=32 per_channel=2 floating=8 p=2
rpc_port=$(free_port)
rest_port=$(free_port)
M=(-m "localhost:$rest_port")
D=(-D "env.pid.dir=$pids" -D "env.log.dir=$logs" -D "jobmanager.rpc.port=$rpc_port"
  -D "rest.port=$rest_port" -D "taskmanager.numberOfTaskSlots=$p"
  -D "taskmanager.memory.segment-size=${segment_kb}kb"
  -D "taskmanager.network.memory.buffers-per-channel=$per_channel"
  -D "taskmanager.network.memory.floating-buffers-per-gate=$floating"
  -D heartbeat.interval=200ms -D heartbeat.timeout=5s -D "blob.storage.directory=$tmp/blobs")
jm_log=$logs/spate-e2e-standalonesession-0-$host.log

"$SPATE" jobmanager start "${D[@]}" >>"$tmp/daemons.out" 2>&1
awaited "the JobManager's REST endpoint is up" "$jm_log" has "Rest endpoint listening at" "$jm_log"
for i in 0 1; do
  "$SPATE" taskmanager start "${D[@]}" -D "blob.storage.directory=$tmp/blobs-tm$i" \
    >>"$tmp/daemons.out" 2>&1
done
registered() { [ "$(count_in "Registered TaskManager" "$jm_log")" -ge 2 ]; }
awaited "two TaskManagers registered" "$jm_log" registered

# kB of a /proc/<pid>/status field
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
procs=("$(head -1 "$pids/spate-e2e-standalonesession.pid")")
while read -r tm; do procs+=("$tm"); done <"$pids/spate-e2e-taskexecutor.pid"
declare -A idle
for pid in "${procs[@]}"; do idle[$pid]=$(status_kb "$pid" VmRSS); done

"$SPATE" run "${M[@]}" -d -p "$p" "$SPATE_TEST_JOBS/slow_sink.so" >"$tmp/run.out" 2>&1 ||
  fail "spate run -d slow_sink.so" "$tmp/run.out"
id=$(sed -n 's/^Job has been submitted with JobID \([0-9a-f]*\)$/\1/p' "$tmp/run.out")
assert "the job was submitted" test -n "$id"

# MB the sinks consumed so far: each subtask's last "slow_sink <i> consumed <MB> MB", summed
consumed_mb() {
  cat "$logs"/spate-e2e-taskexecutor-*-"$host".out 2>/dev/null |
    awk '$1 == "slow_sink" && $3 == "consumed" { mb[$2] = $4 } END { s = 0; for (i in mb) s += mb[i]; print s }'
}
target_mb=320
enough() { [ "$(consumed_mb)" -ge "$target_mb" ]; }
awaited "the sinks consumed $target_mb MB (the source emitted at least that)" "$jm_log" enough

# The sinks printed from one TaskManager only: both sink subtasks fill its two slots, so both
# sources run on the other, and every record crossed the TCP exchange.
sink_tms=0
for f in "$logs"/spate-e2e-taskexecutor-*-"$host".out; do
  if grep -q '^slow_sink ' "$f"; then sink_tms=$((sink_tms + 1)); fi
done
assert "the sinks ran on one TaskManager, the sources on the other" test "$sink_tms" -eq 1

# The bound: each process's idle resident memory, plus the network buffers a TaskManager may
# hold four times over (the sources' partitions: p x (p x per-channel + floating + 1) buffers;
# the sinks' gates: p x (p x per-channel + floating)), plus 32 MB for running tasks (threads,
# the job's object, allocator caches; the sanitizer build's bookkeeping); never 100 MB or more.
# Without flow control the $target_mb MB that went through would pile up in some process.
network_kb=$((segment_kb * (p * (p * per_channel + floating + 1) + p * (p * per_channel + floating))))
names=(JobManager "TaskManager 1" "TaskManager 2")
for i in "${!procs[@]}"; do
  pid=${procs[$i]}
  hwm=$(status_kb "$pid" VmHWM)
  rss=$(status_kb "$pid" VmRSS)
  bound=$((${idle[$pid]} + 4 * network_kb + 32 * 1024))
  [ "$bound" -lt $((100 * 1024)) ] || bound=$((100 * 1024 - 1))
  echo "# ${names[$i]} (pid $pid): idle VmRSS ${idle[$pid]} kB, now VmRSS $rss kB, VmHWM $hwm kB, bound $bound kB"
  assert "${names[$i]}'s peak resident memory (VmHWM $hwm kB) stays below $bound kB after $target_mb MB went through" \
    test "$hwm" -lt "$bound"
done

"$SPATE" cancel "${M[@]}" "$id" >"$tmp/cancel.out" 2>&1 || fail "spate cancel" "$tmp/cancel.out"
assert "the job was cancelled" grep -q "^Cancelled job $id.$" "$tmp/cancel.out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
