#!/usr/bin/env bash
# End-to-end: a standalone cluster of real processes on loopback, started through the CLI (a
# JobManager and two TaskManagers of two slots each):
#  - WordCount at -p 4 spread over both TaskManagers prints exactly what the embedded run prints;
#  - kill -9 of a TaskManager during a checkpointed job writing through the exactly-once file
#    sink: the job fails over when the closed connection tells, waits for slots, runs again once
#    a TaskManager is started again, and its output equals a failure-free run;
#  - spate list, savepoint, stop with a savepoint, resume from it at another parallelism,
#    cancel, savepoint -d, with their printed lines;
#  - spate stop --drain: Flink's line, and the window no watermark passed (the last one,
#    incomplete) is in the output;
#  - kill -9 of the JobManager: the TaskManagers notice, and register again with a new one.
set -euo pipefail
: "${SPATE:?}" "${SPATE_EXAMPLES:?}"
source "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
pids=$tmp/pids
logs=$tmp/log
host=$(hostname)
export SPATE_IDENT_STRING=e2e
passed=0 failed=0
cleanup() {
  kill_pid_files "$pids"/*.pid
  for p in "${bg[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
bg=()
trap cleanup EXIT


rpc_port=$(free_port)
rest_port=$(free_port)
M=(-m "localhost:$rest_port")
# every daemon: files in $tmp, heartbeats quick enough for a test (a closed connection tells at
# once anyway), jobs wait for slots as long as a test may wait
D=(-D "env.pid.dir=$pids" -D "env.log.dir=$logs" -D "jobmanager.rpc.port=$rpc_port"
  -D "rest.port=$rest_port" -D "taskmanager.numberOfTaskSlots=2" -D heartbeat.interval=200ms
  -D heartbeat.timeout=5s -D "blob.storage.directory=$tmp/blobs")
jm_log=$logs/spate-e2e-standalonesession-0-$host.log

start_jm() { "$SPATE" jobmanager start "${D[@]}" >>"$tmp/daemons.out" 2>&1; }
start_tm() { "$SPATE" taskmanager start "${D[@]}" -D "blob.storage.directory=$tmp/blobs-tm$1" \
  >>"$tmp/daemons.out" 2>&1; }
registered() { [ "$(count_in "Registered TaskManager" "$2")" -ge "$1" ]; }
# the TaskManagers' stdout (.out files): what print sinks wrote
tm_prints() { cat "$logs"/spate-e2e-taskexecutor-*-"$host".out 2>/dev/null | grep '^[0-9]*> (' | sort; }

start_jm
awaited "the JobManager's REST endpoint is up" "$jm_log" has "Rest endpoint listening at" "$jm_log"
start_tm 0
start_tm 1
awaited "two TaskManagers registered" "$jm_log" registered 2 "$jm_log"

# --- WordCount over two TaskManagers --------------------------------------------------------------
"$SPATE" run -p 4 "$SPATE_EXAMPLES/wordcount.so" 2>/dev/null | grep '^[0-9]*> (' | sort >"$tmp/wc.embedded"
if timeout "$test_timeout_s" "$SPATE" run "${M[@]}" -p 4 "$SPATE_EXAMPLES/wordcount.so" \
  >"$tmp/wc.out" 2>"$tmp/wc.err"; then
  pass "WordCount -p 4 on the cluster finished"
else
  fail "WordCount -p 4 on the cluster finished" "$tmp/wc.err"
fi
assert "the client printed Flink's submission and end lines" \
  grep -q "^Job with JobID [0-9a-f]* has finished.$" "$tmp/wc.out"
wc_lines() { [ "$(tm_prints | wc -l)" -ge "$(wc -l <"$tmp/wc.embedded")" ]; }
awaited "the TaskManagers printed every count" "$tmp/wc.err" wc_lines
tm_prints >"$tmp/wc.cluster"
if cmp -s "$tmp/wc.cluster" "$tmp/wc.embedded"; then
  pass "WordCount on two TaskManagers prints what the embedded run prints"
else
  diff "$tmp/wc.embedded" "$tmp/wc.cluster" | head -20 >"$tmp/wc.diff" || true
  fail "WordCount on two TaskManagers prints what the embedded run prints" "$tmp/wc.diff"
fi
spread=0
for f in "$logs"/spate-e2e-taskexecutor-*-"$host".out; do
  if grep -q '^[0-9]*> (' "$f"; then spread=$((spread + 1)); fi
done
assert "both TaskManagers ran part of it" test "$spread" -eq 2

# --- kill -9 of a TaskManager during an exactly-once job ------------------------------------------
job="$SPATE_EXAMPLES/exactly_once_sums.so"
# 100 checkpoints' worth of records: the job runs on for long after the kill
args=(--count 200000 --window-ms 1000 --records-per-checkpoint 2000)
lines() { find "$1" -type f ! -name '.*' -exec cat {} + 2>/dev/null | sort; }
"$SPATE" run -p 4 -D log.level=WARN -D execution.checkpointing.interval=50ms \
  -D "state.checkpoints.dir=file://$tmp/ck-ref" "$job" --output "$tmp/ref" "${args[@]}" \
  >"$tmp/ref.out" 2>"$tmp/ref.err" || fail "the failure-free reference run" "$tmp/ref.err"
"$SPATE" run "${M[@]}" -p 4 -D execution.checkpointing.interval=50ms \
  -D "state.checkpoints.dir=file://$tmp/ck" -D restart-strategy.type=fixed-delay \
  -D restart-strategy.fixed-delay.delay=100ms "$job" --output "$tmp/eo" "${args[@]}" \
  >"$tmp/eo.out" 2>"$tmp/eo.err" &
client=$!
bg+=("$client")
awaited "the job on the cluster completed its second checkpoint" "$tmp/eo.err" has_checkpoint "$tmp/ck" 2
victim=$(tail -1 "$pids/spate-e2e-taskexecutor.pid")
kill -9 "$victim"
awaited "the JobManager noticed the lost TaskManager" "$jm_log" has "is no longer reachable" "$jm_log"
awaited "the job waits for slots" "$jm_log" has "waiting up to" "$jm_log"
start_tm 2
if await "the client of the recovering job to return" gone "$client" && wait "$client"; then
  pass "the job recovered on a new TaskManager and finished"
else
  fail "the job recovered on a new TaskManager and finished" "$tmp/eo.err"
fi
lines "$tmp/ref" >"$tmp/ref.lines"
lines "$tmp/eo" >"$tmp/eo.lines"
if [ -s "$tmp/ref.lines" ] && cmp -s "$tmp/ref.lines" "$tmp/eo.lines"; then
  pass "exactly-once output after kill -9 of a TaskManager equals a failure-free run"
else
  diff "$tmp/ref.lines" "$tmp/eo.lines" | head -20 >"$tmp/eo.diff" || true
  fail "exactly-once output after kill -9 of a TaskManager equals a failure-free run" "$tmp/eo.diff"
fi

# --- REST (curl): the recovered job's exception history, its vertices' subtasks and attempts -----
eo_id=$(grep -o 'JobID [0-9a-f]\{32\}' "$tmp/eo.out" | head -1 | cut -d' ' -f2 || true)
rest="http://localhost:$rest_port"
code() { curl -s -o "$tmp/rest.json" -w '%{http_code}' "$rest$1"; }
assert "REST: the exceptions of the recovered job answer 200" test "$(code "/jobs/$eo_id/exceptions")" = 200
assert "REST: its exception history names the lost TaskManager's failure" \
  grep -q '"exceptionHistory":{"entries":\[{"exceptionName":"TaskFailure".*"taskManagerId":"' "$tmp/rest.json"
code "/jobs/$eo_id" >/dev/null
vid=$(grep -o '"vertices":\[{"id":"[0-9a-f]\{32\}"' "$tmp/rest.json" | grep -o '[0-9a-f]\{32\}' || true)
assert "REST: a vertex of the recovered job answers 200" test "$(code "/jobs/$eo_id/vertices/$vid")" = 200
assert "REST: its subtasks run a later attempt on a TaskManager" \
  grep -q '"attempt":[1-9][0-9]*,.*"taskmanager-id":"[^(]' "$tmp/rest.json"
assert "REST: the first attempt of subtask 0 is kept" \
  test "$(code "/jobs/$eo_id/vertices/$vid/subtasks/0/attempts/0")" = 200
assert "REST: an unknown vertex is 404" \
  test "$(code "/jobs/$eo_id/vertices/00000000000000000000000000000000")" = 404

# --- list, savepoint, stop, resume, cancel, dispose -----------------------------------------------
slow=(--count 100000000 --records-per-second 2000)
"$SPATE" run "${M[@]}" -d -p 2 "$job" --output "$tmp/slow" "${slow[@]}" >"$tmp/slow.out" 2>&1 ||
  fail "spate run -d" "$tmp/slow.out"
id=$(sed -n 's/^Job has been submitted with JobID \([0-9a-f]*\)$/\1/p' "$tmp/slow.out")
assert "spate run -d prints the job id and returns" test -n "$id"
running_in_list() { "$SPATE" list "${M[@]}" -r >"$tmp/list.out" 2>&1 && grep -q ": $id : .* (RUNNING)$" "$tmp/list.out"; }
awaited "spate list -r shows the job RUNNING" "$tmp/list.out" running_in_list
subtasks_running() {
  rest_holds "http://localhost:$rest_port/jobs/$id" \
    'j["vertices"] and all(v["status"] == "RUNNING" for v in j["vertices"])' "$tmp/job.json"
}
awaited "every vertex of the job runs" "$tmp/job.json" subtasks_running
"$SPATE" savepoint "${M[@]}" "$id" "$tmp/sp" >"$tmp/sp.out" 2>&1 || fail "spate savepoint" "$tmp/sp.out"
sp=$(sed -n 's/^Savepoint completed. Path: //p' "$tmp/sp.out")
assert "spate savepoint prints Flink's lines and the path" grep -q "^Triggering savepoint for job $id.$" "$tmp/sp.out"
assert "the savepoint has its _metadata" test -f "${sp#file:}/_metadata"
"$SPATE" stop "${M[@]}" -p "$tmp/sp" "$id" >"$tmp/stop.out" 2>&1 || fail "spate stop" "$tmp/stop.out"
stop_sp=$(sed -n 's/^Savepoint completed. Path: //p' "$tmp/stop.out")
assert "spate stop prints the savepoint's path" test -f "${stop_sp#file:}/_metadata"
ended() { "$SPATE" list "${M[@]}" -a >"$tmp/list2.out" 2>&1 && grep -q ": $id : .* (FINISHED)$" "$tmp/list2.out"; }
awaited "the stopped job is FINISHED in spate list -a" "$tmp/list2.out" ended
"$SPATE" run "${M[@]}" -d -p 3 -s "$stop_sp" "$job" --output "$tmp/slow" "${slow[@]}" >"$tmp/resume.out" 2>&1 ||
  fail "resume from the stop's savepoint at -p 3" "$tmp/resume.out"
id2=$(sed -n 's/^Job has been submitted with JobID \([0-9a-f]*\)$/\1/p' "$tmp/resume.out")
resumed() { "$SPATE" list "${M[@]}" -r >"$tmp/list3.out" 2>&1 && grep -q ": $id2 : .* (RUNNING)$" "$tmp/list3.out"; }
awaited "the job resumed from the savepoint at another parallelism runs" "$tmp/list3.out" resumed
restored() { has "restores ${stop_sp#file:}" "$jm_log"; }
awaited "the resumed job restores the stop's savepoint" "$jm_log" restored
"$SPATE" cancel "${M[@]}" "$id2" >"$tmp/cancel.out" 2>&1 || fail "spate cancel" "$tmp/cancel.out"
assert "spate cancel prints Flink's lines" grep -q "^Cancelled job $id2.$" "$tmp/cancel.out"
canceled() { "$SPATE" list "${M[@]}" -a >"$tmp/list4.out" 2>&1 && grep -q ": $id2 : .* (CANCELED)$" "$tmp/list4.out"; }
awaited "the cancelled job is CANCELED" "$tmp/list4.out" canceled
"$SPATE" savepoint "${M[@]}" -d "$sp" >"$tmp/dispose.out" 2>&1 || fail "spate savepoint -d" "$tmp/dispose.out"
assert "spate savepoint -d disposes of the savepoint" test ! -e "${sp#file:}"

# --- stop --drain: the window no watermark passed flushes into the output ------------------------
# tests/e2e/jobs/drain_windows.c: after it printed window [0, 1000) its source has sent all it
# will (records 0..1000) and idles; window [1000, 2000) (record 1000) only fires at the end of
# event time, which a drained stop sends before the savepoint.
"$SPATE" run "${M[@]}" -d -p 1 "$SPATE_TEST_JOBS/drain_windows.so" >"$tmp/drain-run.out" 2>&1 ||
  fail "spate run -d drain_windows.so" "$tmp/drain-run.out"
id=$(sed -n 's/^Job has been submitted with JobID \([0-9a-f]*\)$/\1/p' "$tmp/drain-run.out")
# what print sinks of parallelism 1 wrote (no "n> " prefix, as Flink's)
tm_printed() { cat "$logs"/spate-e2e-taskexecutor-*-"$host".out 2>/dev/null | grep -cxF -e "$@" || true; }
first_window() { [ "$(tm_printed '(0,999,500)' -e '(1,999,500)')" -eq 2 ]; }
awaited "the job printed the window its watermark passed" "$tmp/drain-run.out" first_window
awaited "every vertex of the job to drain runs" "$tmp/job.json" subtasks_running
"$SPATE" stop "${M[@]}" --drain -p "$tmp/sp" "$id" >"$tmp/drain.out" 2>&1 || fail "spate stop --drain" "$tmp/drain.out"
assert "spate stop --drain prints Flink's line" grep -qxF "Draining job \"$id\" with a CANONICAL savepoint." "$tmp/drain.out"
drain_sp=$(sed -n 's/^Savepoint completed. Path: //p' "$tmp/drain.out")
assert "spate stop --drain prints the savepoint's path" test -f "${drain_sp#file:}/_metadata"
awaited "the drained job is FINISHED in spate list -a" "$tmp/list2.out" ended
last_window() { [ "$(tm_printed '(0,1999,1)')" -eq 1 ]; }
awaited "spate stop --drain: the last, incomplete window is in the output" "$tmp/drain.out" last_window

# --- kill -9 of the JobManager --------------------------------------------------------------------
tm_logs=("$logs"/spate-e2e-taskexecutor-*-"$host".log)
jm=$(cat "$pids/spate-e2e-standalonesession.pid")
kill -9 "$jm"
lost_jm() {
  local n=0
  for f in "${tm_logs[@]}"; do n=$((n + $(count_in "lost the JobManager" "$f"))); done
  [ "$n" -ge 2 ]
}
awaited "the live TaskManagers noticed the lost JobManager" "$tmp/daemons.out" lost_jm
rm -f "$pids/spate-e2e-standalonesession.pid"
start_jm
jm_log2=$logs/spate-e2e-standalonesession-0-$host.log
awaited "the TaskManagers registered again with the new JobManager" "$jm_log2" registered 2 "$jm_log2"

finish_cluster "$logs"/*.out
