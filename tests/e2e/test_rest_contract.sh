#!/usr/bin/env bash
# test_rest_contract.sh: Flink's web dashboard against Spate. A standalone cluster started through
# the CLI (a JobManager and two TaskManagers of two slots) runs a checkpointed streaming job with
# an exchange (examples/exactly_once_sums.c: generator -> key by -> event-time windows -> file
# sink, at -p 2); once it has completed checkpoints, build/tests/rest_contract_check walks
# tests/rest/dashboard_contract.json (every request the dashboard makes for its overview, jobs,
# job graph with live metrics, checkpoints, TaskManagers and logs pages, the JSON shapes it
# reads, the metric names it asks for) against the JobManager's REST endpoint and must find no
# mismatch. Its full report is printed; the contract is the target, not the state of the code.
#
# Run by ctest from the build directory with SPATE, SPATE_BUILD_DIR and SPATE_EXAMPLES set.
set -euo pipefail
: "${SPATE:?}" "${SPATE_EXAMPLES:?}"
source "$(dirname "$0")/lib.sh"
CHECK=${SPATE_BUILD_DIR:-build}/tests/rest_contract_check
tmp=$(mktemp -d)
pids=$tmp/pids
logs=$tmp/log
host=$(hostname)
export SPATE_IDENT_STRING=e2e
passed=0 failed=0
cleanup() {
  kill_pid_files "$pids"/*.pid
  rm -rf "$tmp"
}
trap cleanup EXIT

rpc_port=$(free_port)
rest_port=$(free_port)
M=(-m "localhost:$rest_port")
D=(-D "env.pid.dir=$pids" -D "env.log.dir=$logs" -D "jobmanager.rpc.port=$rpc_port"
  -D "rest.port=$rest_port" -D "taskmanager.numberOfTaskSlots=2" -D heartbeat.interval=200ms
  -D heartbeat.timeout=5s -D "blob.storage.directory=$tmp/blobs")
jm_log=$logs/spate-e2e-standalonesession-0-$host.log

"$SPATE" jobmanager start "${D[@]}" >>"$tmp/daemons.out" 2>&1
awaited "the JobManager's REST endpoint is up" "$jm_log" has "Rest endpoint listening at" "$jm_log"
for i in 0 1; do
  "$SPATE" taskmanager start "${D[@]}" -D "blob.storage.directory=$tmp/blobs-tm$i" \
    >>"$tmp/daemons.out" 2>&1
done
registered() { [ "$(count_in "Registered TaskManager" "$jm_log")" -ge 2 ]; }
awaited "two TaskManagers registered" "$jm_log" registered

# A long-running job (rate limited far beyond the test's length), checkpointing every 100 ms.
"$SPATE" run "${M[@]}" -d -p 2 -D execution.checkpointing.interval=100ms \
  -D "state.checkpoints.dir=file://$tmp/ck" "$SPATE_EXAMPLES/exactly_once_sums.so" \
  --output "$tmp/out" --count 1000000000 --records-per-second 2000 --window-ms 1000 \
  >"$tmp/run.out" 2>&1 || fail "spate run -d exactly_once_sums.so" "$tmp/run.out"
id=$(sed -n 's/^Job has been submitted with JobID \([0-9a-f]*\)$/\1/p' "$tmp/run.out")
assert "spate run -d printed the job id" test -n "$id"
running() { "$SPATE" list "${M[@]}" -r >"$tmp/list.out" 2>&1 && grep -q ": $id : .* (RUNNING)$" "$tmp/list.out"; }
awaited "the job is RUNNING" "$tmp/list.out" running
awaited "the job completed its second checkpoint" "$jm_log" has_checkpoint "$tmp/ck/$id" 2

# The checker's retries (metrics reach the JobManager periodically) end well inside the test's
# own deadline.
set +e
"$CHECK" --job "$id" --timeout $((test_timeout_s / 2)) "http://localhost:$rest_port" \
  >"$tmp/contract.out" 2>&1
rc=$?
set -e
cat "$tmp/contract.out"
if [ "$rc" -eq 0 ]; then
  pass "the REST endpoint meets the dashboard contract"
else
  fail "the REST endpoint meets the dashboard contract (rest_contract_check exit $rc; report above)"
fi

"$SPATE" cancel "${M[@]}" "$id" >"$tmp/cancel.out" 2>&1 || true
finish_cluster "$logs"/*.out
