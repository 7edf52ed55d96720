#!/usr/bin/env bash
# test_web_ui.sh: the web dashboard in a real browser. Starts a standalone cluster through the
# CLI (a JobManager archiving finished jobs, two TaskManagers of four slots), runs the jobs the
# browser tests read:
#   SPATE_CK_JOB      examples/exactly_once_sums.so -p 2, a checkpoint every 100 ms (awaited: two
#                     completed checkpoints)
#   SPATE_BP_JOB      tests/e2e/jobs/slow_map.so -p 2: source -> slow map -> sink, the map the
#                     root cause of the backpressure (SPATE_BP_SLOW_VERTEX: its name in /jobs/<id>)
#   SPATE_CANCEL_JOB  slow_map.so rate limited, for the cancel-button test
#   SPATE_STOP_JOB    slow_map.so rate limited, for the stop-with-savepoint button (into
#                     SPATE_SAVEPOINT_DIR)
#   SPATE_ARCHIVED_JOB slow_map.so rate limited, cancelled here and awaited in the archive
# and then a second JobManager without TaskManagers (SPATE_EMPTY_URL, SPATE_EMPTY_PID_FILE) and
# a history server over the first one's archive (SPATE_HISTORY_URL); then runs every
# web/tests/*.test.mjs in name order with `node --test`, one file at a time, in Debian's
# Chromium (web/tests/lib/browser.mjs). Screenshots stay in <build dir>/web-screenshots.
#
# The dashboard is served by each REST endpoint itself (checked before the tests run).
#
# Installs nothing: scripts/setup.sh provides chromium, node and web/node_modules; without them
# the script fails saying which is missing. Run by ctest from the build directory with SPATE,
# SPATE_EXAMPLES, SPATE_TEST_JOBS, SPATE_SOURCE_DIR set; by hand for example:
#   SPATE=build/bin/spate SPATE_EXAMPLES=build/examples SPATE_TEST_JOBS=build/tests/jobs \
#     bash tests/e2e/test_web_ui.sh [name filter of the test files, e.g. 90-history]
set -euo pipefail
: "${SPATE:?}" "${SPATE_EXAMPLES:?}" "${SPATE_TEST_JOBS:?}"
source "$(dirname "$0")/lib.sh"
# absolute: the browser tests upload files from these directories
SPATE=$(realpath "$SPATE") SPATE_EXAMPLES=$(realpath "$SPATE_EXAMPLES")
SPATE_TEST_JOBS=$(realpath "$SPATE_TEST_JOBS")
export SPATE SPATE_EXAMPLES SPATE_TEST_JOBS
src_dir=${SPATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
web=$src_dir/web
build_dir=${SPATE_BUILD_DIR:-$(cd "$(dirname "$SPATE")/.." && pwd)}
chromium=${CHROMIUM:-/usr/bin/chromium}
filter=${1:-}

missing() {
  echo "test_web_ui.sh: $1 is missing ($2); scripts/setup.sh installs it" >&2
  exit 1
}
command -v node >/dev/null || missing "node" "not on PATH"
[ -x "$chromium" ] || missing "Chromium" "no executable $chromium"
[ -f "$web/node_modules/playwright-core/package.json" ] ||
  missing "web/node_modules" "no $web/node_modules/playwright-core: run npm ci in web/"

tmp=$(mktemp -d)
pids=$tmp/pids
logs=$tmp/log
host=$(hostname)
archive=$tmp/archive
export SPATE_IDENT_STRING=e2e
passed=0 failed=0
cleanup() {
  kill_pid_files "$pids"/*.pid "$tmp"/empty/pids/*.pid "$tmp"/history/pids/*.pid
  if [ "$failed" -ne 0 ] && [ -n "${SPATE_TEST_LOGS:-}" ]; then # kept for the post-mortem
    mkdir -p "$SPATE_TEST_LOGS" && cp -r "$logs" "$tmp"/*.out "$SPATE_TEST_LOGS"/ 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

rpc_port=$(free_port)
rest_port=$(free_port)
M=(-m "localhost:$rest_port")
# web.refresh-interval 500 ms and a metric fetch every 200 ms: pages show changes quickly. At
# a checkpoint every 100 ms, Flink's 10 history entries keep a checkpoint's details for about a
# second, less than a sanitizer build on a loaded machine may take to open a page on one (the
# checkpoints tests pin one): 100 entries keep them about 10 s.
common=(-D heartbeat.interval=200ms -D heartbeat.timeout=5s -D web.refresh-interval=500
  -D metrics.fetcher.update-interval=200 -D web.submit.enable=true -D web.checkpoints.history=100)
D=(-D "env.pid.dir=$pids" -D "env.log.dir=$logs" -D "jobmanager.rpc.port=$rpc_port"
  -D "rest.port=$rest_port" -D "taskmanager.numberOfTaskSlots=4" "${common[@]}"
  -D "blob.storage.directory=$tmp/blobs" -D "jobmanager.archive.fs.dir=file://$archive"
  -D "web.upload.dir=$tmp/upload")
jm_log=$logs/spate-e2e-standalonesession-0-$host.log

# daemon WHAT ARGS...: `spate ARGS...` starts a daemon, or the test ends showing why not.
daemon() {
  local what=$1
  shift
  "$SPATE" "$@" >>"$tmp/daemons.out" 2>&1 || { fail "start $what" "$tmp/daemons.out"; exit 1; }
}
daemon "the JobManager" jobmanager start "${D[@]}"
awaited "the JobManager's REST endpoint is up" "$jm_log" has "Rest endpoint listening at" "$jm_log"
for i in 0 1; do
  daemon "TaskManager $i" taskmanager start "${D[@]}" -D "blob.storage.directory=$tmp/blobs-tm$i"
done
registered() { [ "$(count_in "Registered TaskManager" "$jm_log")" -ge 2 ]; }
awaited "two TaskManagers registered" "$jm_log" registered

# submit NAME SO ARGS...: `spate run -d` on the cluster; sets job_<NAME> to the job id.
submit() {
  local name=$1 out=$tmp/run-$1.out id
  shift
  "$SPATE" run "${M[@]}" -d "$@" >"$out" 2>&1 || fail "spate run -d $name" "$out"
  id=$(sed -n 's/^Job has been submitted with JobID \([0-9a-f]*\)$/\1/p' "$out")
  assert "spate run -d $name printed the job id" test -n "$id"
  printf -v "job_$name" '%s' "$id"
}
submit ck -p 2 -D execution.checkpointing.interval=100ms -D "state.checkpoints.dir=file://$tmp/ck" \
  "$SPATE_EXAMPLES/exactly_once_sums.so" --output "$tmp/out" --count 1000000000 \
  --records-per-second 2000 --window-ms 1000
submit bp -p 2 "$SPATE_TEST_JOBS/slow_map.so"
submit cancel -p 1 "$SPATE_TEST_JOBS/slow_map.so" --records-per-second 20 --name cancel-me
submit stop -p 1 "$SPATE_TEST_JOBS/slow_map.so" --records-per-second 20 --name stop-me
submit archived -p 1 "$SPATE_TEST_JOBS/slow_map.so" --records-per-second 20 --name archived-job

# running ID: `spate list -r` lists the job as RUNNING.
running() {
  "$SPATE" list "${M[@]}" -r >"$tmp/list.out" 2>&1 && grep -q ": $1 : .* (RUNNING)$" "$tmp/list.out"
}
for j in ck bp cancel stop archived; do
  id_var=job_$j
  awaited "job $j (${!id_var}) is RUNNING" "$tmp/list.out" running "${!id_var}"
done
awaited "the checkpointed job completed its second checkpoint" "$jm_log" has_checkpoint "$tmp/ck/$job_ck" 2
# web.checkpoints.history is the JobManager's setting (100 above; the job sets none).
long_history() {
  curl -sf "http://localhost:$rest_port/jobs/$job_ck/checkpoints" >"$tmp/ck.json" &&
    python3 -c 'import json, sys; assert len(json.load(open(sys.argv[1]))["history"]) > 10' \
      "$tmp/ck.json"
}
awaited "the checkpoint history keeps more than Flink's default 10 entries" "$tmp/ck.json" long_history

# The archived job: cancelled here, so the history server has a job whatever the tests do.
"$SPATE" cancel "${M[@]}" "$job_archived" >"$tmp/cancel.out" 2>&1 ||
  fail "spate cancel the archived job" "$tmp/cancel.out"
awaited "the JobManager archived the cancelled job" "$jm_log" test -s "$archive/$job_archived"

# The slow vertex's name as /jobs/<id> lists it.
slow_vertex() {
  curl -sf "http://localhost:$rest_port/jobs/$job_bp" >"$tmp/bp.json" &&
    python3 -c '
import json, sys
names = [v["name"] for v in json.load(open(sys.argv[1]))["vertices"] if "slow-map" in v["name"]]
assert len(names) == 1
print(names[0])' "$tmp/bp.json" >"$tmp/bp.vertex"
}
awaited "/jobs/<bp job> lists one slow-map vertex" "$tmp/bp.json" slow_vertex

# A second JobManager: no TaskManagers, no jobs (pid and log files of its own).
empty_rest=$(free_port)
E=(-D "env.pid.dir=$tmp/empty/pids" -D "env.log.dir=$tmp/empty/log"
  -D "jobmanager.rpc.port=$(free_port)" -D "rest.port=$empty_rest" "${common[@]}"
  -D "blob.storage.directory=$tmp/empty/blobs")
daemon "the empty JobManager" jobmanager start "${E[@]}"
empty_log=$tmp/empty/log/spate-e2e-standalonesession-0-$host.log
awaited "the empty JobManager's REST endpoint is up" "$empty_log" \
  has "Rest endpoint listening at" "$empty_log"

# The history server over the first JobManager's archive, polling it every 200 ms.
history_port=$(free_port)
H=(-D "env.pid.dir=$tmp/history/pids" -D "env.log.dir=$tmp/history/log"
  -D "historyserver.archive.fs.dir=file://$archive" -D "historyserver.web.port=$history_port"
  -D historyserver.archive.fs.refresh-interval=200ms -D historyserver.web.refresh-interval=500)
daemon "the history server" historyserver start "${H[@]}"
history_log=$tmp/history/log/spate-e2e-historyserver-0-$host.log
awaited "the history server is up" "$history_log" has "History server listening at" "$history_log"

main_url=http://127.0.0.1:$rest_port
empty_url=http://127.0.0.1:$empty_rest
history_url=http://127.0.0.1:$history_port
empty_pid_file=$tmp/empty/pids/spate-$(id -un)-standalonesession.pid
ls "$tmp"/empty/pids/*.pid >/dev/null 2>&1 && empty_pid_file=$(ls "$tmp"/empty/pids/*.pid)

# Each endpoint serves the dashboard itself (embedded in libspate): the tests below read it
# from there, never from anything in front of it.
for url in "$main_url" "$history_url" "$empty_url"; do
  curl -sf "$url/" >"$tmp/index.html" 2>&1 && grep -q 'app.js' "$tmp/index.html" ||
    { fail "$url/ serves the dashboard's index.html" "$tmp/index.html"; exit 1; }
done

export SPATE_URL=$main_url SPATE_EMPTY_URL=$empty_url SPATE_HISTORY_URL=$history_url
export SPATE_EMPTY_PID_FILE=$empty_pid_file SPATE_LOG_DIR=$logs
export SPATE_CK_JOB=$job_ck SPATE_BP_JOB=$job_bp SPATE_CANCEL_JOB=$job_cancel
export SPATE_STOP_JOB=$job_stop SPATE_SAVEPOINT_DIR=$tmp/savepoints
SPATE_BP_SLOW_VERTEX=$(cat "$tmp/bp.vertex")
export SPATE_ARCHIVED_JOB=$job_archived SPATE_BP_SLOW_VERTEX
export SPATE_SCREENSHOTS=$build_dir/web-screenshots CHROMIUM=$chromium
rm -rf "$SPATE_SCREENSHOTS"
mkdir -p "$SPATE_SCREENSHOTS"
env | grep -E '^(SPATE_(URL|EMPTY|HISTORY|CK|BP|CANCEL|STOP|SAVEPOINT|ARCHIVED|LOG|SCREEN)|CHROMIUM)' | sort |
  sed 's/^/# /'

mapfile -t files < <(find "$web/tests" -maxdepth 1 -name '*.test.mjs' | sort | grep -F -- "$filter")
if [ "${#files[@]}" -eq 0 ]; then
  fail "web/tests/*.test.mjs${filter:+ matching $filter}: no test files"
else
  # Every wait in a test ends after SPATE_UI_TIMEOUT_MS (by default the scripts' own deadline,
  # 120 s); a test file gets 5 minutes (node's --test-timeout, which bounds each file too), the
  # whole run SPATE_UI_TESTS_TIMEOUT_S (15 minutes; ctest's TIMEOUT for this test is 20). The
  # spec reporter prints plain lines (NO_COLOR: no escape codes in ctest's log either), each
  # test's output (the figures of 05) among them.
  export SPATE_UI_TIMEOUT_MS=${SPATE_UI_TIMEOUT_MS:-$((test_timeout_s * 1000))}
  echo "# node --test ${files[*]##*/}"
  set +e
  NO_COLOR=1 timeout -k 10 "${SPATE_UI_TESTS_TIMEOUT_S:-900}" node --test --test-concurrency=1 \
    --test-timeout=300000 --test-reporter=spec "${files[@]}" 2>&1 | tee "$tmp/node.out"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -eq 0 ]; then
    pass "the browser tests (${#files[@]} files)"
  else
    fail "the browser tests (node --test exit $rc$([ "$rc" -eq 124 ] && echo ': timed out'))"
  fi
  echo "# screenshots: $SPATE_SCREENSHOTS"
fi

finish_cluster "$logs"/*.out "$tmp"/empty/log/*.out "$tmp"/history/log/*.out
