#!/usr/bin/env bash
# bench_cluster.sh: the standalone cluster's figures, on a JobManager and two TaskManagers of
# two slots each started through the CLI on loopback (release build):
#
#   exchange-tcp       keyed exchange between two TaskManager processes (bench/jobs/
#                      keyed_exchange.c: sources on one, maps on the other, every record over TCP)
#                      against the same job embedded (the records between threads); events/s
#                      from each run's "Job Runtime"
#   wordcount-cluster  WordCount -p 2 of a generated text on the cluster against the embedded run
#   submit             `spate run -d` to every vertex RUNNING (REST polled), against `spate run`
#                      of the same job on the embedded MiniCluster to RUNNING (its own start
#                      included): a CLUSTER line and a BENCH line in submissions per second
#   idle-rss           resident memory of the idle JobManager and a TaskManager (CLUSTER line)
#   recovery           kill -9 of a TaskManager running a checkpointed job (1 s checkpoints, about
#                      100 MB of keyed state: bench/jobs/keyed_state.c, 100000 keys x 1000 bytes,
#                      -p 4 over both TaskManagers) to every subtask RUNNING again (state
#                      restored) with a new TaskManager, and to its first newly committed output (CLUSTER line, with
#                      the size of the checkpoint it restored)
#
#   bash bench/bench_cluster.sh [build_dir] [which...]   (default: all)
set -uo pipefail
build=${1:-build}
[ $# -gt 0 ] && shift
want=("$@")
SPATE=$build/bin/spate
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
export SPATE_IDENT_STRING=bench
cleanup() {
  for f in "$tmp"/pids/*.pid; do
    [ -f "$f" ] || continue
    while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$f"
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
selected() { [ ${#want[@]} -eq 0 ] && return 0; for n in "${want[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1; }
# free_port (a port below the kernel's ephemeral range) and the e2e scripts' other helpers
source "$here/../tests/e2e/lib.sh"
now_ms() { date +%s%3N; }
runtime_ms() { sed -n 's/^Job Runtime: \([0-9]*\) ms$/\1/p' "$1" | tail -1; }
ratio() { python3 -c "import sys; e,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (e/b if b else 0))" "$1" "$2"; }
rate() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) * 1000.0 / max(float(sys.argv[2]), 1)))" "$1" "$2"; }
# wait_for DESCRIPTION COMMAND...: up to 120 s
wait_for() {
  local what=$1 deadline=$((SECONDS + 120))
  shift
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "bench_cluster: timed out awaiting $what" >&2; return 1; fi
    sleep 0.005
  done
}
# all_running JOBID: every vertex of the job RUNNING, from the REST endpoint
all_running() {
  python3 - "http://localhost:$rest_port/jobs/$1" <<'PY' 2>/dev/null
import json, sys, urllib.request
j = json.load(urllib.request.urlopen(sys.argv[1], timeout=5))
sys.exit(0 if j["vertices"] and all(v["status"] == "RUNNING" for v in j["vertices"]) else 1)
PY
}
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

rpc_port=$(free_port)
rest_port=$(free_port)
M=(-m "localhost:$rest_port")
D=(-D "env.pid.dir=$tmp/pids" -D "env.log.dir=$tmp/log" -D "jobmanager.rpc.port=$rpc_port"
  -D "rest.port=$rest_port" -D "taskmanager.numberOfTaskSlots=2" -D log.level=WARN)
"$SPATE" jobmanager start "${D[@]}" >/dev/null
n_tm=0
start_tm() { "$SPATE" taskmanager start "${D[@]}" -D "blob.storage.directory=$tmp/blobs-$n_tm" >/dev/null; n_tm=$((n_tm + 1)); }
start_tm
start_tm
registered() { [ "$(python3 - "http://localhost:$rest_port/overview" <<'PY' 2>/dev/null
import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1], timeout=5))["taskmanagers"])
PY
)" = "$1" ]; }
wait_for "two TaskManagers" registered 2 || exit 1
status=0

if selected idle-rss; then
  jm=$(cat "$tmp/pids/spate-bench-standalonesession.pid")
  tm=$(head -1 "$tmp/pids/spate-bench-taskexecutor.pid")
  jm_mb=$(( $(rss_kb "$jm") / 1024 ))
  tm_mb=$(( $(rss_kb "$tm") / 1024 ))
  echo "idle RSS: JobManager $jm_mb MB, TaskManager $tm_mb MB (target 10 MB each; Flink's defaults 1600 MB and 1728 MB)"
  echo "CLUSTER idle_rss jobmanager_mb=$jm_mb taskmanager_mb=$tm_mb"
fi

if selected exchange-tcp; then
  n=20000000
  job=$build/bench/keyed_exchange.so
  "$SPATE" run -p 2 "$job" --count $n >"$tmp/kx.embedded" 2>&1 || status=1
  "$SPATE" run "${M[@]}" -p 2 "$job" --count $n >"$tmp/kx.cluster" 2>&1 || status=1
  b=$(runtime_ms "$tmp/kx.embedded")
  e=$(runtime_ms "$tmp/kx.cluster")
  er=$(rate $n "$e")
  br=$(rate $n "$b")
  echo "exchange-tcp: $n records, between two TaskManagers ${e} ms, embedded ${b} ms"
  echo "BENCH exchange-tcp engine=$er baseline=$br ratio=$(ratio "$er" "$br")"
fi

if selected wordcount-cluster; then
  python3 - "$tmp/words.txt" <<'PY'
import random, sys
random.seed(7)
words = ["stream%d" % i for i in range(5000)]
with open(sys.argv[1], "w") as f:
    for _ in range(200000):
        f.write(" ".join(random.choice(words) for _ in range(10)) + "\n")
PY
  n=2000000
  "$SPATE" run -p 2 "$build/examples/wordcount.so" --input "$tmp/words.txt" --output "$tmp/wc-embedded" \
    >"$tmp/wc.embedded" 2>&1 || status=1
  "$SPATE" run "${M[@]}" -p 2 "$build/examples/wordcount.so" --input "$tmp/words.txt" \
    --output "$tmp/wc-cluster" >"$tmp/wc.cluster" 2>&1 || status=1
  b=$(runtime_ms "$tmp/wc.embedded")
  e=$(runtime_ms "$tmp/wc.cluster")
  er=$(rate $n "$e")
  br=$(rate $n "$b")
  echo "wordcount-cluster: $n words at -p 2, cluster ${e} ms, embedded ${b} ms"
  echo "BENCH wordcount-cluster engine=$er baseline=$br ratio=$(ratio "$er" "$br")"
fi

if selected submit; then
  job=$build/bench/keyed_exchange.so
  # one python process submits (spate run -d) and polls the REST endpoint every millisecond
  python3 - "$SPATE" "$rest_port" "$job" >"$tmp/submit.txt" 2>&1 <<'PY' || status=1
import json, re, subprocess, sys, time, urllib.request
spate, port, job = sys.argv[1], sys.argv[2], sys.argv[3]
def running(jid):
    try:
        j = json.load(urllib.request.urlopen("http://localhost:%s/jobs/%s" % (port, jid), timeout=5))
    except Exception:
        return False
    return bool(j["vertices"]) and all(v["status"] == "RUNNING" for v in j["vertices"])
best = None
for _ in range(5):
    t0 = time.monotonic()
    out = subprocess.run([spate, "run", "-m", "localhost:" + port, "-d", "-p", "1", job,
                          "--count", "1000000000"], capture_output=True, text=True).stdout
    jid = re.search(r"JobID ([0-9a-f]{32})", out).group(1)
    while not running(jid):
        time.sleep(0.001)
    ms = (time.monotonic() - t0) * 1000
    best = ms if best is None or ms < best else best
    subprocess.run([spate, "cancel", "-m", "localhost:" + port, jid], capture_output=True)
# the same job on the embedded MiniCluster, from spate run to its end (a one-record run)
t0 = time.monotonic()
subprocess.run([spate, "run", "-p", "1", job, "--count", "1"], capture_output=True)
emb = (time.monotonic() - t0) * 1000
print("%d %d" % (best, emb))
PY
  read -r best eb <"$tmp/submit.txt"
  echo "submit: spate run -d to RUNNING on a running cluster: best of 5 ${best} ms (target 50 ms); a one-record embedded spate run, start to end: ${eb} ms"
  echo "CLUSTER submit_ms=$best embedded_run_ms=$eb"
  echo "BENCH submit engine=$(rate 1 "$best") baseline=$(rate 1 "$eb") ratio=$(ratio "$(rate 1 "$best")" "$(rate 1 "$eb")")"
fi

if selected recovery; then
  job=$build/bench/keyed_state.so
  keys=100000
  "$SPATE" run "${M[@]}" -d -p 4 -D execution.checkpointing.interval=1s \
    -D "state.checkpoints.dir=file://$tmp/ck" -D restart-strategy.type=fixed-delay \
    -D restart-strategy.fixed-delay.delay=0ms "$job" --output "$tmp/eo" --keys $keys \
    --value-bytes 1000 --records-per-second 50000 >"$tmp/rec.out" 2>&1 || status=1
  id=$(sed -n 's/^Job has been submitted with JobID \([0-9a-f]*\)$/\1/p' "$tmp/rec.out")
  wait_for "job $id RUNNING" all_running "$id" || status=1
  # the output of the first $keys records committed: a completed checkpoint holds every key
  committed_lines() { find "$tmp/eo" -type f ! -name '.*' -exec cat {} + 2>/dev/null | wc -l; }
  state_built() { [ "$(committed_lines)" -ge $keys ]; }
  wait_for "the state of $keys keys in a completed checkpoint" state_built || status=1
  has_ckpt() { [ "$(find "$tmp/ck" -path '*/chk-*/_metadata' 2>/dev/null | wc -l)" -ge 1 ]; }
  wait_for "a retained checkpoint" has_ckpt || status=1
  # the size of the newest completed checkpoint (retried: a newer one may delete it meanwhile)
  state_mb=$(python3 - "$tmp/ck" <<'PY'
import os, re, sys
for _ in range(100):
    try:
        chk = [(int(m.group(1)), r) for r, _, fs in os.walk(sys.argv[1])
               for m in [re.search(r"/chk-(\d+)$", r)] if m and "_metadata" in fs]
        if chk:
            d = max(chk)[1]
            print(sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)) >> 20)
            sys.exit(0)
    except OSError:
        pass
print(0)
PY
)
  start_tm # the spare the job moves to
  wait_for "three TaskManagers" registered 3 || status=1
  victim=$(head -1 "$tmp/pids/spate-bench-taskexecutor.pid")
  python3 - "$rest_port" "$id" "$victim" "$tmp/eo" >"$tmp/recovery.txt" 2>&1 <<'PY' || status=1
import json, os, signal, sys, time, urllib.request
port, jid, victim, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def details():
    return json.load(urllib.request.urlopen("http://localhost:%s/jobs/%s" % (port, jid), timeout=5))
def committed():
    return sum(1 for d, _, fs in os.walk(out) for f in fs if not f.startswith("."))
before = committed()
t0 = time.monotonic()
os.kill(victim, signal.SIGKILL)
while True:  # failed over (RESTARTING seen) and every subtask RUNNING again (a vertex shows
    j = details()  # RUNNING as soon as one of its subtasks runs, as Flink's does)
    if j["timestamps"].get("RESTARTING", 0) > 0 and all(
            v["tasks"]["RUNNING"] == v["parallelism"] for v in j["vertices"]):
        break
    time.sleep(0.001)
t_run = (time.monotonic() - t0) * 1000
while committed() <= before:
    time.sleep(0.001)
t_out = (time.monotonic() - t0) * 1000
print("%d %d" % (t_run, t_out))
PY
  read -r t_run t_out <"$tmp/recovery.txt"
  echo "recovery: kill -9 of a TaskManager to RUNNING again ${t_run} ms, to newly committed output ${t_out} ms (1 s checkpoints, checkpoint of ${state_mb} MB; target 2 s)"
  echo "CLUSTER recovery_running_ms=$t_run recovery_output_ms=$t_out checkpoint_mb=$state_mb"
  "$SPATE" cancel "${M[@]}" "$id" >/dev/null 2>&1
fi

"$SPATE" taskmanager stop-all "${D[@]}" >/dev/null 2>&1
"$SPATE" jobmanager stop-all "${D[@]}" >/dev/null 2>&1
exit $status
