#!/usr/bin/env bash
# test_rest_cluster.sh: the cluster-level REST endpoints of a real JobManager and TaskManager
# (daemons writing real log files), checked with curl key by key and type by type against
# Flink's (reference §1.2): /config, /jobmanager/config (secrets masked), /jobmanager/environment,
# /jobmanager/logs, log, stdout, logs/:filename, thread-dump; /taskmanagers and
# /taskmanagers/:id with its logs, log, stdout, logs/:filename and thread-dump (fetched from the
# TaskManager's process); an unknown TaskManager 404. And each security case of reference §9
# refused: log file names outside the log directory (../, %2f, the double-encoded ..%252f of
# CVE-2020-17519, a link leading out), a body over rest.server.max-content-length (413), multipart
# on a route that uploads nothing (400), malformed JSON (400 naming line and column), CORS
# headers on every reply and the OPTIONS preflight, the default bind address localhost. Last, REST
# on the embedded MiniCluster (`spate run --rest`): a running job's TaskManager with its slots and
# task threads, cancelled through REST.
#
# Run by ctest from the build directory with SPATE set.
set -euo pipefail
export LC_ALL=C

SPATE=${SPATE:-build/bin/spate}
SPATE_EXAMPLES=${SPATE_EXAMPLES:-build/examples}
tmp=$(mktemp -d)
[ -d "$tmp" ] || { echo "no temporary directory" >&2; exit 1; }
export SPATE_IDENT_STRING=e2e
unset SPATE_CONF_DIR
host=$(hostname)
pids=$tmp/pid
logs=$tmp/log

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cleanup() {
  kill_pid_files "$pids"/*.pid
  rm -rf "$tmp"
}
trap cleanup EXIT

# the system's python3 first: a version manager's shim costs seconds per call on a busy machine
PY=$(command -v /usr/bin/python3 || command -v python3)
ORIGIN=https://dashboard.example
D=(-D "env.pid.dir=$pids" -D "env.log.dir=$logs" -D "taskmanager.numberOfTaskSlots=2"
   -D "web.refresh-interval=5000" -D "web.access-control-allow-origin=$ORIGIN"
   -D "rest.server.max-content-length=4096")
jm_log=$logs/spate-e2e-standalonesession-0-$host.log
tm_log=$logs/spate-e2e-taskexecutor-0-$host.log
port_in() { sed -n "s/.*$1 listening at [^ ]*:\([0-9][0-9]*\).*/\1/p" "$2" | head -1; }

"$SPATE" jobmanager start "${D[@]}" -D jobmanager.rpc.port=0 -D rest.port=0 >"$tmp/jm.out"
awaited "the JobManager's log shows its REST endpoint" "$jm_log" \
  has "Rest endpoint listening at" "$jm_log"
rpc_port=$(port_in "JobManager RPC endpoint" "$jm_log")
port=$(port_in "Rest endpoint" "$jm_log")
"$SPATE" taskmanager start "${D[@]}" -D "jobmanager.rpc.port=$rpc_port" >"$tmp/tm.out"
awaited "the TaskManager registered" "$jm_log" has "Registered TaskManager" "$jm_log"
awaited "the TaskManager's log has its start lines" "$tm_log" has "Starting TaskManager" "$tm_log"
assert "rest.bind-address defaults to localhost" has "REST endpoint listening at http://localhost:" "$jm_log"

URL=http://localhost:$port
n=0
# get PATH [CURL ARGS...]: the body in $body (a file), the status in $status, headers in $hdrs.
get() {
  local path=$1
  shift
  n=$((n + 1))
  body=$tmp/body.$n
  hdrs=$tmp/hdrs.$n
  # A transport failure (curl exits non-zero, status 000) is the assertion's to report, not set -e's.
  status=$(curl -s --path-as-is -o "$body" -D "$hdrs" -w '%{http_code}' "$@" "$URL$path") || true
}
# js DESCRIPTION EXPR: the JSON of the last body, bound to j, makes the Python expression true.
js() {
  if "$PY" - "$body" "$2" <<'EOF' 2>"$tmp/js.err"; then pass "$1"; else fail "$1" "$body"; fi
import json, re, sys
j = json.load(open(sys.argv[1]))
I = lambda v: isinstance(v, int) and not isinstance(v, bool)
S = lambda v: isinstance(v, str)
B = lambda v: isinstance(v, bool)
HEX = lambda v: S(v) and re.fullmatch("[0-9a-f]{32}", v) is not None
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
}
status_is() { if [ "$status" = "$1" ]; then pass "$2: HTTP $1"; else fail "$2: HTTP $status, expected $1" "$body"; fi; }
body_has() { if grep -qF -- "$1" "$body"; then pass "$2"; else fail "$2" "$body"; fi; }
hdr_has() { if grep -qiF -- "$1" "$hdrs"; then pass "$2"; else fail "$2" "$hdrs"; fi; }

# --- /config --------------------------------------------------------------------------------------
get /config
status_is 200 "/config"
js "/config: DashboardConfiguration keys and types" \
  'j["refresh-interval"] == 5000 and S(j["timezone-name"]) and I(j["timezone-offset"]) and S(j["flink-version"]) and S(j["flink-revision"]) and set(j["features"]) == {"web-submit","web-cancel","web-rescale","web-history"} and all(B(v) for v in j["features"].values())'
js "/config: web-cancel and web-submit follow web.*.enable, no rescale, no history" \
  'j["features"]["web-cancel"] and j["features"]["web-submit"] and not j["features"]["web-rescale"] and not j["features"]["web-history"]'
js "/config: flink-revision is '<sha> @ <date>' or 'unknown'" \
  'j["flink-revision"] == "unknown" or re.fullmatch(r"[0-9a-f]+ @ .+", j["flink-revision"])'

# --- the JobManager -------------------------------------------------------------------------------
get /jobmanager/config
status_is 200 "/jobmanager/config"
js "/jobmanager/config: a bare array of {key, value} strings" \
  'isinstance(j, list) and j and all(set(e) == {"key","value"} and S(e["key"]) and S(e["value"]) for e in j)'
js "/jobmanager/config: the effective configuration (web.refresh-interval, env.log.dir)" \
  '{"key":"web.refresh-interval","value":"5000"} in j and any(e["key"] == "env.log.dir" for e in j)'
get /v1/jobmanager/environment
status_is 200 "/v1/jobmanager/environment"
js "/jobmanager/environment: jvm {version, arch, options}, classpath" \
  'j["jvm"]["version"].startswith("Spate ") and "(C, " in j["jvm"]["version"] and S(j["jvm"]["arch"]) and isinstance(j["jvm"]["options"], list) and any("jobmanager" in o for o in j["jvm"]["options"]) and j["classpath"] == []'
get /jobmanager/logs
status_is 200 "/jobmanager/logs"
js "/jobmanager/logs: LogListInfo with both daemons' .log and .out" \
  'all(set(f) == {"name","size","mtime"} and S(f["name"]) and I(f["size"]) and I(f["mtime"]) for f in j["logs"]) and {"spate-e2e-standalonesession-0-'"$host"'.log", "spate-e2e-standalonesession-0-'"$host"'.out", "spate-e2e-taskexecutor-0-'"$host"'.log"} <= {f["name"] for f in j["logs"]}'
get /jobmanager/log
status_is 200 "/jobmanager/log"
body_has "Rest endpoint listening at" "/jobmanager/log: the JobManager's own log"
hdr_has "Content-Type: text/plain" "/jobmanager/log: plain text"
get /jobmanager/stdout
status_is 200 "/jobmanager/stdout"
body_has "Starting standalonesession as a console application" "/jobmanager/stdout: its .out file"
get "/jobmanager/logs/spate-e2e-taskexecutor-0-$host.log"
status_is 200 "/jobmanager/logs/:filename"
body_has "Starting TaskManager" "/jobmanager/logs/:filename: that file of the log directory"
get /jobmanager/logs/no-such.log
status_is 404 "/jobmanager/logs/ of a missing file"
get /jobmanager/thread-dump
status_is 200 "/jobmanager/thread-dump"
js "/jobmanager/thread-dump: threadInfos of strings, each '\"name\" Id=<tid> STATE'" \
  'len(j["threadInfos"]) > 2 and all(set(t) == {"threadName","stringifiedThreadInfo"} and S(t["threadName"]) and t["stringifiedThreadInfo"].startswith("\"" + t["threadName"] + "\" Id=") for t in j["threadInfos"])'

# --- the TaskManagers -----------------------------------------------------------------------------
get /taskmanagers
status_is 200 "/taskmanagers"
js "/taskmanagers: TaskManagerInfo keys and types" \
  'len(j["taskmanagers"]) == 1 and all(HEX(t["id"]) and S(t["path"]) and I(t["dataPort"]) and t["jmxPort"] == -1 and I(t["timeSinceLastHeartbeat"]) and t["slotsNumber"] == 2 and I(t["freeSlots"]) and set(t["totalResource"]) == {"cpuCores","taskHeapMemory","taskOffHeapMemory","managedMemory","networkMemory","extendedResources"} and set(t["freeResource"]) == set(t["totalResource"]) and set(t["hardware"]) == {"cpuCores","physicalMemory","freeMemory","managedMemory"} and t["blocked"] is False for t in j["taskmanagers"])'
js "/taskmanagers: hardware figures come from the TaskManager's process" \
  'all(t["hardware"]["cpuCores"] > 0 and t["hardware"]["physicalMemory"] > 0 for t in j["taskmanagers"])'
js "/taskmanagers: memoryConfiguration has Flink's keys" \
  'all(set(t["memoryConfiguration"]) == {"frameworkHeap","taskHeap","frameworkOffHeap","taskOffHeap","networkMemory","managedMemory","jvmMetaspace","jvmOverhead","totalFlinkMemory","totalProcessMemory"} for t in j["taskmanagers"])'
tm=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["taskmanagers"][0]["id"])' "$body")

get "/taskmanagers/$tm"
status_is 200 "/taskmanagers/:id"
js "/taskmanagers/:id: TaskManagerDetailsInfo keys" \
  'j["id"] == "'"$tm"'" and j["slotsNumber"] == 2 and j["allocatedSlots"] == [] and j["hardware"]["cpuCores"] > 0 and "memoryConfiguration" in j'
js "/taskmanagers/:id: metrics with the process's figures in Flink's keys" \
  'all(I(j["metrics"][k]) for k in ["heapUsed","heapCommitted","heapMax","nonHeapUsed","nonHeapCommitted","nonHeapMax","directCount","directUsed","directMax","mappedCount","mappedUsed","mappedMax","memorySegmentsAvailable","memorySegmentsTotal","nettyShuffleMemorySegmentsAvailable","nettyShuffleMemorySegmentsUsed","nettyShuffleMemorySegmentsTotal","nettyShuffleMemoryAvailable","nettyShuffleMemoryUsed","nettyShuffleMemoryTotal"]) and j["metrics"]["heapCommitted"] > 0 and j["metrics"]["garbageCollectors"] == []'
get "/taskmanagers/$tm/logs"
status_is 200 "/taskmanagers/:id/logs"
js "/taskmanagers/:id/logs: LogListInfo of its log directory" \
  '"spate-e2e-taskexecutor-0-'"$host"'.out" in {f["name"] for f in j["logs"]} and all(I(f["size"]) and I(f["mtime"]) for f in j["logs"])'
get "/taskmanagers/$tm/log"
status_is 200 "/taskmanagers/:id/log"
body_has "Starting TaskManager" "/taskmanagers/:id/log: the TaskManager's own log"
get "/taskmanagers/$tm/stdout"
status_is 200 "/taskmanagers/:id/stdout"
body_has "Starting taskexecutor as a console application" "/taskmanagers/:id/stdout: its .out"
get "/taskmanagers/$tm/logs/spate-e2e-standalonesession-0-$host.log"
status_is 200 "/taskmanagers/:id/logs/:filename"
body_has "Rest endpoint listening at" "/taskmanagers/:id/logs/:filename: that file"
get "/taskmanagers/$tm/thread-dump"
status_is 200 "/taskmanagers/:id/thread-dump"
js "/taskmanagers/:id/thread-dump: ThreadDumpInfo" \
  'len(j["threadInfos"]) > 2 and all(S(t["threadName"]) and S(t["stringifiedThreadInfo"]) for t in j["threadInfos"])'
unknown=0123456789abcdef0123456789abcdef
for p in "" /logs /log /stdout /thread-dump; do
  get "/taskmanagers/$unknown$p"
  status_is 404 "/taskmanagers/<unknown id>$p"
done
js "an unknown TaskManager: errors name it" '"TaskManager '"$unknown"' not found" in j["errors"][0]'

# --- log file names confined to the log directory (CVE-2020-17519) --------------------------------
ln -s /etc/passwd "$logs/escape.log"
for base in /jobmanager "/taskmanagers/$tm"; do
  for name in ..%252f..%252f..%252fetc%252fpasswd ..%252fspate-e2e-taskexecutor-0-$host.log \
      ..%2f..%2f..%2fetc%2fpasswd .. %2e%2e escape.log %252e%252e%252fetc%252fpasswd; do
    get "$base/logs/$name"
    if [ "$status" = 400 ] || [ "$status" = 404 ]; then
      if grep -q 'root:' "$body"; then fail "$base/logs/$name: leaks /etc/passwd" "$body"
      else pass "$base/logs/$name refused: HTTP $status"; fi
    else
      fail "$base/logs/$name: HTTP $status, expected 400 or 404" "$body"
    fi
  done
  get "$base/logs/..%252f..%252fetc%252fpasswd"
  status_is 400 "$base/logs/..%252f (double-encoded)"
  js "$base/logs/..%252f: the error names the problem" '"Invalid log file name" in j["errors"][0]'
  get "$base/logs/escape.log"
  status_is 400 "$base/logs/ of a link leading out of the log directory"
done

# --- bodies ---------------------------------------------------------------------------------------
head -c 10000 /dev/zero | tr '\0' 'a' >"$tmp/big"
get /jobs/$unknown/savepoints -X POST -H 'Content-Type: application/json' --data-binary @"$tmp/big"
status_is 413 "a JSON body over the limit"
js "413: {\"errors\": [...]} naming the limit" '"exceeds the limit" in j["errors"][0]'
get /jobs -X POST -F "request={}" -F "graph=@$tmp/big"
status_is 413 "an upload over rest.server.max-content-length (4096)"
js "413 upload: {\"errors\": [...]}" 'isinstance(j["errors"], list) and "exceeds the limit of 4096 bytes" in j["errors"][0]'
echo '{}' >"$tmp/small"
get /savepoint-disposal -X POST -F "file=@$tmp/small"
status_is 400 "multipart on a route that uploads nothing"
js "multipart elsewhere: the error names the upload routes" '"only accepted by the upload routes" in j["errors"][0]'
get /savepoint-disposal -X POST -H 'Content-Type: application/json' --data-binary '{"savepoint-path": '
status_is 400 "a malformed JSON body"
js "malformed JSON: names the problem and its position" '"not valid JSON" in j["errors"][0] and "line 1" in j["errors"][0] and "column" in j["errors"][0]'

# --- CORS -----------------------------------------------------------------------------------------
get /overview
hdr_has "Access-Control-Allow-Origin: $ORIGIN" "CORS header on a 200"
get /no/such/path
status_is 404 "an unknown path"
hdr_has "Access-Control-Allow-Origin: $ORIGIN" "CORS header on a 404"
get /jobs/$unknown/savepoints -X OPTIONS -H "Origin: $ORIGIN" -H 'Access-Control-Request-Method: POST'
status_is 200 "OPTIONS preflight"
hdr_has "Access-Control-Allow-Origin: $ORIGIN" "preflight: Allow-Origin"
hdr_has "Access-Control-Allow-Methods: GET, POST, PATCH, DELETE" "preflight: Allow-Methods"
hdr_has "Access-Control-Allow-Headers: Content-Type" "preflight: Allow-Headers"

"$SPATE" taskmanager stop-all "${D[@]}" >/dev/null
"$SPATE" jobmanager stop-all "${D[@]}" >/dev/null

# --- REST on the embedded MiniCluster (spate run --rest) ------------------------------------------
mport=$(free_port)
URL=http://localhost:$mport
"$SPATE" run --rest -D "rest.port=$mport" -p 2 "$SPATE_EXAMPLES/exactly_once_sums.so" \
  --output "$tmp/sums" --records-per-second 50 >"$tmp/run.out" 2>"$tmp/run.err" &
run_pid=$!
running_job() {
  curl -s "$URL/jobs/overview" 2>/dev/null | grep -q '"state":"RUNNING".*"running":4'
}
awaited "spate run --rest: the MiniCluster's REST shows the job RUNNING" "$tmp/run.err" running_job
get /jobs/overview
job=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][0]["jid"])' "$body")
get /taskmanagers
js "MiniCluster /taskmanagers: its TaskManager" 'len(j["taskmanagers"]) == 1 and j["taskmanagers"][0]["slotsNumber"] == 2'
mtm=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["taskmanagers"][0]["id"])' "$body")
get "/taskmanagers/$mtm"
js "MiniCluster /taskmanagers/:id: allocatedSlots name the job" \
  '[s["jobId"] for s in j["allocatedSlots"]] == ["'"$job"'"] and set(j["allocatedSlots"][0]["resource"]) >= {"cpuCores","managedMemory","networkMemory"}'
get "/taskmanagers/$mtm/thread-dump"
js "MiniCluster thread dump: task threads named by their task, with the task line" \
  'any(t["threadName"].startswith("Source: Generator Source") and "\ttask: Source: Generator Source" in t["stringifiedThreadInfo"] for t in j["threadInfos"]) and any(t["threadName"].startswith("Window -> Map") for t in j["threadInfos"])'
get "/jobs/$job?mode=cancel" -X PATCH
status_is 202 "MiniCluster: cancel through REST"
set +e
wait "$run_pid"
run_rc=$?
set -e
assert "spate run --rest ends once the job is cancelled (non-zero: it did not finish)" test "$run_rc" -ne 0
assert "spate run --rest logged its endpoint" has "Rest endpoint listening at" "$tmp/run.err"
assert "spate run --rest: no sanitizer report" test -z "$(grep -l Sanitizer "$tmp/run.err" || true)"
assert "no sanitizer report in the daemons' output" \
  test -z "$(grep -l 'Sanitizer' "$logs"/*.out 2>/dev/null || true)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
