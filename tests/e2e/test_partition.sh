#!/usr/bin/env bash
# End-to-end: a TaskManager cut off by a network partition. It runs in a network namespace of its
# own, joined to this one by a veth pair; the JobManager and another TaskManager run here. A job
# at -p 2 runs on both TaskManagers (one slot each). Then every packet of the namespace is
# dropped (iptables DROP, so no connection closes and nothing tells but the heartbeats):
#  - the JobManager finds the TaskManager lost by heartbeat timeout and fails the job over; the
#    job waits for a slot;
#  - the cut-off TaskManager finds the JobManager lost by heartbeat timeout and cancels its tasks;
#  - when the partition heals the TaskManager registers again and the job runs again on it.
# Needs root (network namespaces, iptables), as CI runs; elsewhere it is skipped (exit 77).
set -euo pipefail
: "${SPATE:?}" "${SPATE_EXAMPLES:?}"
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v iptables >/dev/null; then
  echo "SKIP: needs root, ip and iptables (network namespaces)"
  exit 77
fi
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=$tmp/pids
logs=$tmp/log
export SPATE_IDENT_STRING=part
ns=spate-part-$$
net=$((RANDOM % 200 + 20))
host_ip=10.213.$net.1
ns_ip=10.213.$net.2
veth=sp$$a
passed=0 failed=0
cleanup() {
  kill_pid_files "$pids"/*.pid "$tmp"/ns.pid
  if [ "$failed" -ne 0 ] && [ -n "${SPATE_TEST_LOGS:-}" ]; then # kept for the post-mortem
    mkdir -p "$SPATE_TEST_LOGS" && cp -r "$logs" "$tmp"/*.log "$tmp"/*.out "$SPATE_TEST_LOGS"/ 2>/dev/null || true
  fi
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$veth" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$ns"
ip link add "$veth" type veth peer name "${veth%a}b"
ip link set "${veth%a}b" netns "$ns"
ip addr add "$host_ip/24" dev "$veth"
ip link set "$veth" up
ip netns exec "$ns" ip addr add "$ns_ip/24" dev "${veth%a}b"
ip netns exec "$ns" ip link set "${veth%a}b" up
ip netns exec "$ns" ip link set lo up

rpc_port=$(free_port)
rest_port=$(free_port)
M=(-m "localhost:$rest_port")
D=(-D "env.log.dir=$logs" -D "jobmanager.rpc.address=$host_ip" -D "jobmanager.rpc.port=$rpc_port"
  -D "rest.port=$rest_port" -D "taskmanager.numberOfTaskSlots=1" -D heartbeat.interval=200ms
  -D heartbeat.timeout=2s)
jm_log=$logs/spate-part-standalonesession-0-$(hostname).log

"$SPATE" jobmanager start "${D[@]}" -D "env.pid.dir=$pids" >/dev/null
awaited "the JobManager is up" "$jm_log" has "Rest endpoint listening at" "$jm_log"
# the TaskManager here, reachable from the namespace at the veth address
"$SPATE" taskmanager start "${D[@]}" -D "env.pid.dir=$pids" -D "taskmanager.host=$host_ip" \
  -D "blob.storage.directory=$tmp/blobs-here" >/dev/null
# the TaskManager in the namespace, in the foreground of a background shell (its pid recorded)
ip netns exec "$ns" "$SPATE" taskmanager start-foreground "${D[@]}" -D "taskmanager.host=$ns_ip" \
  -D "blob.storage.directory=$tmp/blobs-ns" >"$tmp/ns-tm.log" 2>&1 &
echo $! >"$tmp/ns.pid"
registered() { [ "$(count_in "Registered TaskManager" "$jm_log")" -ge "$1" ]; }
awaited "both TaskManagers registered" "$jm_log" registered 2
assert "the TaskManager in the namespace registered from its own address" has "Registered TaskManager $ns_ip:" "$jm_log"

job="$SPATE_EXAMPLES/exactly_once_sums.so"
"$SPATE" run "${M[@]}" -d -p 2 -D execution.checkpointing.interval=200ms \
  -D "state.checkpoints.dir=file://$tmp/ck" -D restart-strategy.type=fixed-delay \
  -D restart-strategy.fixed-delay.delay=100ms -D restart-strategy.fixed-delay.attempts=100 "$job" --output "$tmp/out" --count 100000000 \
  --records-per-second 2000 >"$tmp/run.out" 2>&1 || fail "spate run -d" "$tmp/run.out"
id=$(sed -n 's/^Job has been submitted with JobID \([0-9a-f]*\)$/\1/p' "$tmp/run.out")
# job_state JOBID STATE...: every vertex in one of the states, and (with RESTARTED) after a
# restart, read from the REST endpoint
vertices() {
  local holds="j['vertices'] and all(v['status'] == '$1' for v in j['vertices'])"
  [ $# -gt 1 ] && holds="$holds and j['timestamps'].get('RESTARTING', 0) > 0"
  rest_holds "http://localhost:$rest_port/jobs/$id" "$holds" "$tmp/job.json"
}
awaited "the job runs on both TaskManagers" "$tmp/job.json" vertices RUNNING
awaited "a checkpoint completed" "$tmp/run.out" has_checkpoint "$tmp/ck" 1

# --- the partition ----------------------------------------------------------------------------------
ip netns exec "$ns" iptables -A INPUT -j DROP
ip netns exec "$ns" iptables -A OUTPUT -j DROP
awaited "the JobManager finds the TaskManager lost by heartbeat timeout" "$jm_log" \
  has "The heartbeat of TaskManager with id $ns_ip:" "$jm_log"
awaited "the job fails over and waits for a slot" "$jm_log" has "waiting up to" "$jm_log"
awaited "the cut-off TaskManager finds the JobManager lost by heartbeat timeout" "$tmp/ns-tm.log" \
  has "The heartbeat of ResourceManager with id" "$tmp/ns-tm.log"

# --- healed -----------------------------------------------------------------------------------------
ip netns exec "$ns" iptables -F
awaited "the TaskManager registers again after the partition healed" "$jm_log" registered 3
grep -E "WARN|ERROR|Restart|FAIL" "$jm_log" | tail -12 >"$tmp/jm.tail" || true
awaited "the job runs again on both TaskManagers" "$tmp/jm.tail" vertices RUNNING restarted

"$SPATE" cancel "${M[@]}" "$id" >/dev/null 2>&1 || true
kill "$(cat "$tmp/ns.pid")" 2>/dev/null || true
"$SPATE" taskmanager stop-all "${D[@]}" -D "env.pid.dir=$pids" >/dev/null 2>&1 || true
"$SPATE" jobmanager stop-all "${D[@]}" -D "env.pid.dir=$pids" >/dev/null 2>&1 || true
for f in "$logs"/*.out "$tmp/ns-tm.log"; do
  if grep -q 'Sanitizer' "$f"; then fail "no sanitizer report in $(basename "$f")" "$f"; fi
done
echo "passed=$passed failed=$failed"
[ "$failed" -eq 0 ]
