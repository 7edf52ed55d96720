#!/usr/bin/env bash
# test_metrics.sh: the Prometheus reporter of a running job. `spate run` runs the
# SocketWindowWordCount example on its embedded MiniCluster with the reporter configured as in
# Flink (Flink's factory class name, a port), fed by a TCP server that writes a line every few
# milliseconds until the test stops it. The test scrapes the endpoint while the job runs and
# checks:
#   - `promtool check metrics` (Debian's prometheus package) accepts the exposition;
#   - Flink's names and labels are there: JobManager (numRegisteredTaskManagers, taskSlotsTotal,
#     numRunningJobs, a job's numRestarts and checkpoint gauges), TaskManager (Status.JVM.*),
#     task and operator scopes (numRecordsIn, currentOutputWatermark, ...);
#   - numRecordsIn of the tasks grows between two scrapes;
#   - the job's checkpoint gauges follow its checkpoints (every 200 ms): completed ones counted,
#     the last one's id, duration and path;
#   - busy + idle + backPressured time per second of every task is within [900, 1100], each in
#     [0, 1000], once the view updater has updated them (awaited, never slept for);
#   - / serves the same as /metrics; the job ends cleanly when the server closes.
# Run by ctest from the build directory with SPATE and SPATE_EXAMPLES set.
set -euo pipefail
export LC_ALL=C

SPATE=${SPATE:-build/bin/spate}
SPATE_EXAMPLES=${SPATE_EXAMPLES:-build/examples}
SWC=$SPATE_EXAMPLES/socket_wordcount.so
tmp=$(mktemp -d)
server_pid= job_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  if [ -n "$job_pid" ]; then kill "$job_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v promtool >/dev/null || { echo "promtool not found: run scripts/setup.sh" >&2; exit 1; }

# The server: a line every 2 ms until SIGTERM, then it closes the connection (the job ends).
cat >"$tmp/server.py" <<'EOF'
import signal, socket, sys, time
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(float(sys.argv[1]))
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
i = 0
while not stop:
    conn.sendall(b"to be or not to be word%d\n" % (i % 50))
    i += 1
    time.sleep(0.002)  # the data rate, not a wait for anything
conn.shutdown(socket.SHUT_WR)
conn.close()
EOF

# The exposition's checks: `records` prints the sum of the tasks' numRecordsIn; `time` exits 0
# when every task's busy/idle/backPressured per second hold the invariant (and says why not).
cat >"$tmp/check.py" <<'EOF'
import re, sys
mode, path = sys.argv[1], sys.argv[2]
series = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
rows = []
for line in open(path):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    m = series.match(line)
    if not m:
        sys.exit("unparsable line: " + line)
    rows.append((m.group(1), dict(label.findall(m.group(3) or "")), float(m.group(4))))
if mode == "records":
    print(int(sum(v for n, l, v in rows if n == "flink_taskmanager_job_task_numRecordsIn")))
elif mode == "time":
    tasks = {}
    for n, l, v in rows:
        for what in ("busy", "idle", "backPressured"):
            if n == "flink_taskmanager_job_task_%sTimeMsPerSecond" % what:
                tasks.setdefault(l["task_attempt_id"], {})[what] = v
    if not tasks:
        sys.exit("no task reports busyTimeMsPerSecond")
    for t, f in tasks.items():
        if len(f) != 3:
            sys.exit("task %s lacks some of busy/idle/backPressured: %s" % (t, f))
        if any(v < 0 or v > 1000 for v in f.values()):
            sys.exit("task %s: a figure outside [0, 1000]: %s" % (t, f))
        if not 900 <= sum(f.values()) <= 1100:
            sys.exit("task %s: busy + idle + backPressured = %g: %s" % (t, sum(f.values()), f))
    print("%d tasks, sums %s" % (len(tasks), sorted(sum(f.values()) for f in tasks.values())))
EOF

rm -f "$tmp/port.fifo"
mkfifo "$tmp/port.fifo"
python3 "$tmp/server.py" "$test_timeout_s" >"$tmp/port.fifo" &
server_pid=$!
read -r data_port <"$tmp/port.fifo"
prom_port=$(free_port)

"$SPATE" run \
  -D metrics.reporter.prom.factory.class=org.apache.flink.metrics.prometheus.PrometheusReporterFactory \
  -D "metrics.reporter.prom.port=$prom_port" \
  -D execution.checkpointing.interval=200ms \
  "$SWC" --hostname 127.0.0.1 --port "$data_port" --window 0 >"$tmp/job.out" 2>"$tmp/job.err" &
job_pid=$!

scrape() { curl -sf "http://127.0.0.1:$prom_port${2:-/metrics}" -o "$1"; }
records_in() { python3 "$tmp/check.py" records "$1"; }
# a scrape in which the tasks have received records
scraped_records() { scrape "$tmp/m1.txt" && [ "$(records_in "$tmp/m1.txt")" -gt 0 ]; }
awaited "a scrape shows records received" "$tmp/job.err" scraped_records

if promtool_accepts "$tmp/m1.txt"; then
  pass "promtool check metrics accepts the exposition (camelCase lint only)"
else
  fail "promtool check metrics accepts the exposition" "$tmp/m1.txt.promtool"
fi
for name in flink_jobmanager_numRegisteredTaskManagers flink_jobmanager_taskSlotsTotal \
  flink_jobmanager_taskSlotsAvailable flink_jobmanager_numRunningJobs \
  flink_jobmanager_Status_JVM_CPU_Load flink_jobmanager_job_numRestarts \
  flink_jobmanager_job_numberOfCompletedCheckpoints flink_jobmanager_job_lastCheckpointDuration \
  flink_taskmanager_Status_JVM_Memory_Heap_Used flink_taskmanager_Status_JVM_Threads_Count \
  flink_taskmanager_job_task_numRecordsOut flink_taskmanager_job_task_numBytesInPerSecond \
  flink_taskmanager_job_task_numRecordsInPerSecond flink_taskmanager_job_task_operator_numRecordsOut \
  flink_taskmanager_job_task_operator_currentOutputWatermark; do
  assert "$name is exposed" grep -q "^$name[{ ]" "$tmp/m1.txt"
done
assert "one TaskManager registered" grep -qx 'flink_jobmanager_numRegisteredTaskManagers{host="localhost"} 1.0' "$tmp/m1.txt"
assert "one job running" grep -qx 'flink_jobmanager_numRunningJobs{host="localhost"} 1.0' "$tmp/m1.txt"
assert "task labels are Flink's scope variables" grep -qE \
  '^flink_taskmanager_job_task_numRecordsIn\{host="localhost",tm_id="taskexecutor_0",job_id="[0-9a-f]{32}",job_name="Socket_Window_WordCount",task_id="[0-9a-f]{32}",task_name="[^"]*",task_attempt_id="[0-9a-f]{32}",task_attempt_num="0",subtask_index="0"\} ' \
  "$tmp/m1.txt"
assert "operator labels add operator_id and operator_name" grep -qE \
  '^flink_taskmanager_job_task_operator_numRecordsIn\{.*,operator_id="[0-9a-f]{32}",operator_name="[^"]+"\} ' \
  "$tmp/m1.txt"

first=$(records_in "$tmp/m1.txt")
grown() { scrape "$tmp/m2.txt" && [ "$(records_in "$tmp/m2.txt")" -gt "$first" ]; }
awaited "numRecordsIn grows beyond $first" "$tmp/job.err" grown

# the checkpoint gauges, once a checkpoint completed
value_of() { sed -n "s/^$1{[^}]*} //p" "$2" | head -1; }
checkpointed() {
  scrape "$tmp/m4.txt" || return 1
  local n; n=$(value_of flink_jobmanager_job_numberOfCompletedCheckpoints "$tmp/m4.txt")
  [ -n "$n" ] && [ "${n%.0}" -ge 1 ]
}
awaited "numberOfCompletedCheckpoints reaches 1" "$tmp/job.err" checkpointed
id=$(value_of flink_jobmanager_job_lastCompletedCheckpointId "$tmp/m4.txt")
dur=$(value_of flink_jobmanager_job_lastCheckpointDuration "$tmp/m4.txt")
total=$(value_of flink_jobmanager_job_totalNumberOfCheckpoints "$tmp/m4.txt")
assert "lastCompletedCheckpointId is a checkpoint's id ($id)" [ "${id%.0}" -ge 1 ]
assert "lastCheckpointDuration is known ($dur ms)" [ "${dur%.0}" -ge 0 ]
assert "totalNumberOfCheckpoints counts it ($total)" [ "${total%.0}" -ge 1 ]
assert "numRestarts is 0" grep -qE '^flink_jobmanager_job_numRestarts\{.*\} 0\.0$' "$tmp/m4.txt"

time_ok() { scrape "$tmp/m3.txt" && python3 "$tmp/check.py" time "$tmp/m3.txt" >"$tmp/time.out" 2>&1; }
if await "busy + idle + backPressured per second within [900, 1100]" time_ok; then
  pass "busy + idle + backPressured per second within [900, 1100]: $(cat "$tmp/time.out")"
else
  fail "busy + idle + backPressured per second within [900, 1100]" "$tmp/time.out"
fi
if scrape "$tmp/root.txt" / && grep -q '^# TYPE flink_taskmanager_job_task_numRecordsIn gauge$' "$tmp/root.txt"; then
  pass "/ serves the exposition too"
else
  fail "/ serves the exposition too" "$tmp/root.txt"
fi

kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
set +e
wait "$job_pid"
rc=$?
set -e
job_pid=
if [ "$rc" -eq 0 ]; then pass "the job ends cleanly (exit 0)"; else fail "the job ends cleanly (exit $rc)" "$tmp/job.err"; fi
assert "the reporter logged its port" grep -q "Started PrometheusReporter HTTP server on port $prom_port" "$tmp/job.err"

echo "test_metrics: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
