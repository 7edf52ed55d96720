#!/usr/bin/env bash
# test_nexmark_failover.sh: a Nexmark query keeps its results exactly-once on the standalone
# cluster through the loss of a TaskManager (issue 15, operations).
#
# Nexmark q5 (hot items: sliding windows with keyed state) runs at -p 2 on a JobManager and one
# TaskManager of two slots, with checkpoints on, a fixed-delay restart strategy and its result
# through the exactly-once file sink (--output DIR --exactly-once). The source is rate-limited
# (nexmark.max-emit-speed=false: at most first-event.rate events per second of wall time), so the
# run lasts at least 30 s. Once the job has completed a checkpoint (awaited through REST's
# /jobs/:id/checkpoints) and published some of its result (the first windows, about 6 s in: the
# restored job must not publish them again), a second TaskManager registers and the first is
# killed with SIGKILL;
# the job fails over, restores the latest checkpoint on the second TaskManager and finishes.
# Whatever moment the kill lands at, its result must be PostgreSQL's answer to
# support/nexmark/q5.sql over the same events (a private server, support/pg.sh): no row lost and
# none twice. The same job with checkpoints on the MiniCluster gives the same answer too.
#
# Run by ctest from the build directory with SPATE and SPATE_EXAMPLES set.
set -euo pipefail
export LC_ALL=C
: "${SPATE:?}" "${SPATE_EXAMPLES:?}"
support="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/support"
source "$(dirname "$0")/lib.sh"
source "$support/pg.sh"
tmp=$(mktemp -d)
pids=$tmp/pids
logs=$tmp/log
host=$(hostname)
export SPATE_IDENT_STRING=e2e
passed=0 failed=0
bg=()
cleanup() {
  kill_pid_files "$pids"/*.pid
  for p in "${bg[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done
  pg_stop
  rm -rf "$tmp"
}
trap cleanup EXIT

query=q5
job="$SPATE_EXAMPLES/nexmark/$query.so"
# 30,000 events, 1,000 per second of event time (30 s: many sliding windows of 10 s)
events=(-D nexmark.events.num=30000 -D nexmark.base-time=1700000000000
  -D nexmark.first-event.rate=1000)

# --- PostgreSQL's answer ----------------------------------------------------------------------------
if ! pg_start "$tmp/pg" 2>"$tmp/pg.err"; then
  fail "a private PostgreSQL server starts" "$tmp/pg.err"
  exit 1
fi
run dump run -p 1 "${events[@]}" "$SPATE_EXAMPLES/nexmark/dump.so" --output "$tmp/events"
[ "$rc" -eq 0 ] || { fail "dump.so writes the events (exit $rc)" "$tmp/dump.err"; exit 1; }
pg_sql -f "$support/nexmark/schema.sql"
for t in person auction bid; do
  pg_sql -c "\\copy $t FROM '$tmp/events/$t' WITH (FORMAT csv)"
done
pg_sql -c "\\copy ($(grep -v '^--' "$support/nexmark/$query.sql")) TO '$tmp/$query.pg' WITH (FORMAT csv)"
assert "PostgreSQL's answer to $query has rows" test -s "$tmp/$query.pg"

# equals NAME DIR: the committed part files in DIR equal PostgreSQL's answer as a multiset
equals() {
  if python3 "$support/nexmark_compare.py" "$2" "$tmp/$query.pg" >"$tmp/$1.cmp" 2>&1; then
    pass "$1: the result equals PostgreSQL's ($(cat "$tmp/$1.cmp"))"
  else
    fail "$1: the result equals PostgreSQL's" "$tmp/$1.cmp"
  fi
}

# --- on the MiniCluster, with checkpoints, no failure -----------------------------------------------
run mini run -p 2 "${events[@]}" -D execution.checkpointing.interval=100ms \
  -D "state.checkpoints.dir=file://$tmp/ck-mini" "$job" --output "$tmp/mini" --exactly-once
if [ "$rc" -eq 0 ]; then
  pass "$query -p 2 --exactly-once with checkpoints on the MiniCluster runs"
  equals "MiniCluster" "$tmp/mini"
else
  fail "$query -p 2 --exactly-once with checkpoints on the MiniCluster runs (exit $rc)" "$tmp/mini.err"
fi

# --- on the standalone cluster, a TaskManager killed --------------------------------------------
rpc_port=$(free_port)
rest_port=$(free_port)
rest="http://localhost:$rest_port"
D=(-D "env.pid.dir=$pids" -D "env.log.dir=$logs" -D "jobmanager.rpc.port=$rpc_port"
  -D "rest.port=$rest_port" -D "taskmanager.numberOfTaskSlots=2" -D heartbeat.interval=200ms
  -D heartbeat.timeout=5s -D "blob.storage.directory=$tmp/blobs")
jm_log=$logs/spate-e2e-standalonesession-0-$host.log
start_tm() { "$SPATE" taskmanager start "${D[@]}" -D "blob.storage.directory=$tmp/blobs-tm$1" \
  >>"$tmp/daemons.out" 2>&1; }
registered() { [ "$(count_in "Registered TaskManager" "$jm_log")" -ge "$1" ]; }

"$SPATE" jobmanager start "${D[@]}" >>"$tmp/daemons.out" 2>&1
awaited "the JobManager's REST endpoint is up" "$jm_log" has "Rest endpoint listening at" "$jm_log"
start_tm 0
awaited "the first TaskManager registered" "$jm_log" registered 1
first_tm=$(head -1 "$pids/spate-e2e-taskexecutor.pid")

"$SPATE" run -m "localhost:$rest_port" -p 2 "${events[@]}" -D nexmark.max-emit-speed=false \
  -D execution.checkpointing.interval=100ms -D "state.checkpoints.dir=file://$tmp/ck" \
  -D restart-strategy.type=fixed-delay -D restart-strategy.fixed-delay.delay=100ms \
  "$job" --output "$tmp/cluster" --exactly-once >"$tmp/cluster.out" 2>"$tmp/cluster.err" &
client=$!
bg+=("$client")
submitted() { grep -q '^Job has been submitted with JobID' "$tmp/cluster.out"; }
awaited "the job is submitted to the cluster" "$tmp/cluster.err" submitted
id=$(sed -n 's/^Job has been submitted with JobID \([0-9a-f]*\)$/\1/p' "$tmp/cluster.out")

# rest_json PATH PYTHON-EXPRESSION: exit 0 when the expression over the JSON `j` at PATH holds
rest_json() { rest_holds "$rest$1" "$2" "$tmp/rest.json"; }
checkpointed() { rest_json "/jobs/$id/checkpoints" 'j["counts"]["completed"] >= 1'; }
awaited "REST: the job on the cluster completed a checkpoint" "$tmp/rest.json" checkpointed
published() { [ -n "$(find "$tmp/cluster" -type f ! -name '.*' -size +0 2>/dev/null)" ]; }
awaited "the job published part of its result" "$tmp/cluster.err" published
start_tm 1
awaited "a second TaskManager registered" "$jm_log" registered 2
assert "the job still runs when the first TaskManager is killed" \
  rest_json "/jobs/$id" 'j["state"] == "RUNNING"'
kill -9 "$first_tm"
before=$(find "$tmp/cluster" -type f ! -name '.*' -exec cat {} + | wc -l)
echo "       (killed with $before rows of the result published)"
awaited "the JobManager noticed the lost TaskManager" "$jm_log" has "is no longer reachable" "$jm_log"
if await "the client of the recovering job to return" gone "$client" && wait "$client"; then
  pass "the job recovered on the second TaskManager and finished"
else
  fail "the job recovered on the second TaskManager and finished" "$tmp/cluster.err"
fi
assert "REST: the job restored a checkpoint" \
  rest_json "/jobs/$id/checkpoints" 'j["counts"]["restored"] >= 1'
equals "standalone cluster, TaskManager killed" "$tmp/cluster"

finish_cluster "$logs"/*.out
