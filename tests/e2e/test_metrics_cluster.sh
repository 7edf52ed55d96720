#!/usr/bin/env bash
# test_metrics_cluster.sh: the Prometheus reporter in the processes of a standalone cluster. A
# JobManager and a TaskManager started through the CLI share one port range
# (metrics.reporter.prom.port: P-P+20); each takes the first free port of it and logs which. A
# checkpointed job runs; the JobManager's endpoint shows the cluster (one TaskManager, its
# slots, one running job) and the job's checkpoint gauges, the TaskManager's its own process
# figures and the job's task metrics; promtool accepts both.
#
# Run by ctest from the build directory with SPATE and SPATE_EXAMPLES set.
set -euo pipefail
: "${SPATE:?}" "${SPATE_EXAMPLES:?}"
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || { echo "promtool not found: run scripts/setup.sh" >&2; exit 1; }
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
prom=$(free_port)
M=(-m "localhost:$rest_port")
D=(-D "env.pid.dir=$pids" -D "env.log.dir=$logs" -D "jobmanager.rpc.port=$rpc_port"
  -D "rest.port=$rest_port" -D "taskmanager.numberOfTaskSlots=2" -D heartbeat.interval=200ms
  -D heartbeat.timeout=5s -D "blob.storage.directory=$tmp/blobs"
  -D metrics.reporter.prom.factory.class=org.apache.flink.metrics.prometheus.PrometheusReporterFactory
  -D "metrics.reporter.prom.port=$prom-$((prom + 20))")
jm_log=$logs/spate-e2e-standalonesession-0-$host.log
tm_log=$logs/spate-e2e-taskexecutor-0-$host.log

"$SPATE" jobmanager start "${D[@]}" >>"$tmp/daemons.out" 2>&1
awaited "the JobManager's reporter started" "$jm_log" has "Started PrometheusReporter HTTP server on port" "$jm_log"
"$SPATE" taskmanager start "${D[@]}" -D "blob.storage.directory=$tmp/blobs-tm" >>"$tmp/daemons.out" 2>&1
awaited "the TaskManager's reporter started" "$tm_log" has "Started PrometheusReporter HTTP server on port" "$tm_log"
port_of() { sed -n 's/.*Started PrometheusReporter HTTP server on port \([0-9]*\)\..*/\1/p' "$1" | head -1; }
jm_port=$(port_of "$jm_log")
tm_port=$(port_of "$tm_log")
in_range() { [ "$1" -ge "$prom" ] && [ "$1" -le $((prom + 20)) ]; }
distinct_in_range() { [ "$jm_port" != "$tm_port" ] && in_range "$jm_port" && in_range "$tm_port"; }
assert "the two processes took different ports of the range ($jm_port, $tm_port)" distinct_in_range

"$SPATE" run "${M[@]}" -d -p 2 -D execution.checkpointing.interval=100ms \
  -D "state.checkpoints.dir=file://$tmp/ck" "$SPATE_EXAMPLES/exactly_once_sums.so" \
  --output "$tmp/out" --count 1000000000 --records-per-second 2000 --window-ms 1000 \
  >"$tmp/run.out" 2>&1 || fail "spate run -d exactly_once_sums.so" "$tmp/run.out"
id=$(sed -n 's/^Job has been submitted with JobID \([0-9a-f]*\)$/\1/p' "$tmp/run.out")
assert "spate run -d printed the job id" test -n "$id"

scrape() { curl -sf "http://127.0.0.1:$1/metrics" -o "$2"; }
jm_ready() {
  scrape "$jm_port" "$tmp/jm.txt" &&
    grep -qE "^flink_jobmanager_job_numberOfCompletedCheckpoints\{.*job_id=\"$id\".*\} [1-9]" "$tmp/jm.txt"
}
awaited "the JobManager reports the job's completed checkpoints" "$tmp/jm.txt" jm_ready
assert "the JobManager reports one TaskManager" grep -qx 'flink_jobmanager_numRegisteredTaskManagers{host="localhost"} 1.0' "$tmp/jm.txt"
assert "the JobManager reports its two slots" grep -qx 'flink_jobmanager_taskSlotsTotal{host="localhost"} 2.0' "$tmp/jm.txt"
assert "the JobManager reports one running job" grep -qx 'flink_jobmanager_numRunningJobs{host="localhost"} 1.0' "$tmp/jm.txt"
tm_ready() {
  scrape "$tm_port" "$tmp/tm.txt" &&
    grep -qE "^flink_taskmanager_job_task_numRecordsIn\{.*job_id=\"$id\".*\} [1-9]" "$tmp/tm.txt"
}
awaited "the TaskManager reports the job's tasks receiving records" "$tmp/tm.txt" tm_ready
assert "the TaskManager reports its process" grep -q '^flink_taskmanager_Status_JVM_CPU_Time{' "$tmp/tm.txt"
assert "the TaskManager has no JobManager metrics" bash -c "! grep -q '^flink_jobmanager_' '$tmp/tm.txt'"
for who in jm tm; do
  if promtool_accepts "$tmp/$who.txt"; then
    pass "promtool accepts the $who exposition (camelCase lint only)"
  else
    fail "promtool accepts the $who exposition" "$tmp/$who.txt.promtool"
  fi
done

"$SPATE" cancel "${M[@]}" "$id" >"$tmp/cancel.out" 2>&1 || true
finish_cluster "$logs"/*.out
