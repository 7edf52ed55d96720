# lib.sh: helpers the end-to-end test scripts share (sourced, not a test itself).
# pass/fail count results in $passed and $failed; fail shows the head of a log file when given
# one; assert DESCRIPTION COMMAND... passes when the command succeeds.
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL - $1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then head -c 2000 "$2" | sed 's/^/       | /'; fi
}
assert() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }

# How long any single wait may take (seconds): generous, so a loaded machine never trips it; a
# correct run waits far less. SPATE_TEST_TIMEOUT_MS overrides it, as for the C tests.
test_timeout_s=$(( ${SPATE_TEST_TIMEOUT_MS:-120000} / 1000 ))

# run NAME ARGS...: runs `$SPATE ARGS...` with the wait limit, stdout to $tmp/NAME.out and stderr
# to $tmp/NAME.err, its exit code in $rc (under set -e too).
run() {
  local name=$1
  shift
  set +e
  timeout "$test_timeout_s" "$SPATE" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
  set -e
}

# await DESCRIPTION COMMAND...: re-checks COMMAND until it succeeds (every 20 ms: a process's
# files and output have no other signal to wait on) and returns 0; after $test_timeout_s seconds
# prints "timed out after N s awaiting DESCRIPTION" and returns 1.
await() {
  local what=$1 deadline=$((SECONDS + test_timeout_s))
  shift
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timed out after $test_timeout_s s awaiting $what" >&2
      return 1
    fi
    sleep 0.02
  done
}

# Helpers of the scripts that start daemons (test_daemons, test_cluster, test_partition):
# a free TCP port on loopback, drawn below the kernel's ephemeral range (ip_local_port_range):
# the kernel's own picks (the local port of a connection, a listener on port 0) come from that
# range, so none of them can take the port before the daemon it is meant for binds it. (The
# kernel's pick of a free port, released again, raced with exactly those: a JobManager then
# found its port taken.)
free_port() {
  python3 -c '
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
while True:
    port, s = random.randint(10000, max(10001, low - 1)), socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        break
    except OSError:
        pass
    finally:
        s.close()
print(port)'
}
# has TEXT FILE: the file exists and holds the text; count_in TEXT FILE: how many lines hold it;
has() { [ -f "$2" ] && grep -qF -- "$1" "$2"; }
count_in() { if [ -f "$2" ]; then grep -cF -- "$1" "$2" || true; else echo 0; fi; }
# gone PID: the process has exited (a zombie counts: nobody may reap it in a container);
gone() { [ ! -e "/proc/$1" ] || [[ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" =~ ^[ZX]?$ ]]; }
# awaited DESCRIPTION FILE COMMAND...: await COMMAND, then pass, or fail showing FILE.
# has_checkpoint DIR N: whether checkpoint N, or a later one, is complete under DIR (a
# chk-<id>/_metadata). Only the latest completed checkpoint is kept (state.checkpoints.num-retained
# is 1), so counting chk directories sees two only between a checkpoint's completion and its
# predecessor's removal: a poll can miss that moment for as long as the job runs.
has_checkpoint() {
  local n
  n=$(find "$1" -path '*/chk-*/_metadata' 2>/dev/null | sed 's|.*/chk-\([0-9]*\)/_metadata|\1|' | sort -n | tail -1)
  [ -n "$n" ] && [ "$n" -ge "$2" ]
}

awaited() {
  local what=$1 file=$2
  shift 2
  if await "$what" "$@"; then pass "$what"; else fail "$what" "$file"; fi
}
# promtool_accepts FILE: `promtool check metrics` (Debian's prometheus package) parses FILE, a
# Prometheus exposition, strictly (exit 1 on any format error) and then lints it (exit 3).
# Flink's metric names are camelCase (numRecordsIn), which its lint flags on Flink's own endpoint
# too; that lint, and only that, is accepted. Anything else is left in FILE.promtool.
promtool_accepts() {
  local rc=0
  promtool check metrics <"$1" >"$1.out" 2>&1 || rc=$?
  grep -v "metric names should be written in 'snake_case' not 'camelCase'" "$1.out" \
    >"$1.promtool" || true
  { [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]; } && [ ! -s "$1.promtool" ]
}
# rest_holds URL EXPRESSION OUT: GETs the JSON at URL into OUT and exits 0 when the Python
# EXPRESSION over it (as `j`) holds, as a condition to await on a REST endpoint.
rest_holds() {
  python3 - "$1" "$2" >"$3" 2>&1 <<'PY'
import json, sys, urllib.request
j = json.load(urllib.request.urlopen(sys.argv[1], timeout=10))
print(json.dumps(j))
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}
# finish_cluster LOG...: a cluster test's end: stops the standalone daemons (stop-all with the
# test's options in D), fails for every daemon output LOG that holds a sanitizer report (missing
# ones are skipped), prints the totals and returns whether every check passed.
finish_cluster() {
  "$SPATE" taskmanager stop-all "${D[@]}" >/dev/null 2>&1 || true
  "$SPATE" jobmanager stop-all "${D[@]}" >/dev/null 2>&1 || true
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    if grep -q 'Sanitizer' "$f"; then fail "no sanitizer report in $(basename "$f")" "$f"; fi
  done
  echo "passed=$passed failed=$failed"
  [ "$failed" -eq 0 ]
}
# kill_pid_files FILE...: kills (-9) every pid listed in the daemons' pid files given (one pid per
# line, as spate's daemons write them; missing files and gone pids are fine): a test's cleanup.
kill_pid_files() {
  local f p
  for f in "$@"; do
    [ -f "$f" ] || continue
    while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$f"
  done
}

# section NAME SECTION STATEMENT: the section ("Abstract Syntax Tree", "Optimized Physical Plan",
# "Optimized Execution Plan") of EXPLAIN STATEMENT's output, after the script $tmp/tables.sql,
# compared with the text on stdin.
section() {
  local name=$1 sec=$2 stmt=$3
  cat >"$tmp/$name.expected"
  { cat "$tmp/tables.sql"; echo "EXPLAIN $stmt"; } >"$tmp/$name.sql"
  run "$name" sql -f "$tmp/$name.sql"
  awk -v s="== $sec ==" '$0 == s { on = 1; next } /^== / { on = 0 } on && NF' \
    "$tmp/$name.out" >"$tmp/$name.plan"
  expect_run "$name" 0 "$tmp/$name.plan"
}

# sql_error NAME STATEMENT: STATEMENT after the script $tmp/tables.sql fails (exit 1) with the
# ValidationException or TableException line on stdin.
sql_error() {
  local name=$1
  cat >"$tmp/$name.expected"
  { cat "$tmp/tables.sql"; echo "$2"; } >"$tmp/$name.sql"
  run "$name" sql -f "$tmp/$name.sql"
  grep -E '^(ValidationException|TableException)' "$tmp/$name.out" >"$tmp/$name.msg" || true
  expect_run "$name" 1 "$tmp/$name.msg"
}

# sql_query NAME: the SQL statements on stdin, kept as $tmp/NAME.sql for sql_check.
sql_query() { cat >"$tmp/$1.sql"; }

# expect_run NAME EXIT_CODE ACTUAL: after `run NAME ...`, passes when $rc is EXIT_CODE and the file
# ACTUAL equals $tmp/NAME.expected; fails with the run's output and errors, or the difference.
expect_run() {
  local name=$1 want_rc=$2 actual=$3
  if [ "$rc" -ne "$want_rc" ]; then
    cat "$tmp/$name.err" >>"$tmp/$name.out"
    fail "$name: exit code $want_rc (got $rc)" "$tmp/$name.out"
  elif diff -u "$tmp/$name.expected" "$actual" >"$tmp/$name.diff"; then
    pass "$name"
  else
    fail "$name" "$tmp/$name.diff"
  fi
}

# sql_check SETUP NAME EXIT_CODE: runs the script SETUP followed by $tmp/NAME.sql through
# `spate sql -f` (tableau results) and compares what the client prints from the prompt of the
# last statement on with the expected text on stdin, and its exit code with EXIT_CODE.
sql_check() {
  local setup=$1 name=$2 want_rc=$3
  cat >"$tmp/$name.expected"
  cat "$setup" "$tmp/$name.sql" >"$tmp/$name.script.sql"
  run "$name" sql -D sql-client.execution.result-mode=tableau -f "$tmp/$name.script.sql"
  awk '/^Spate SQL> /{ out = "" } { out = out $0 "\n" } END { printf "%s", out }' \
    "$tmp/$name.out" >"$tmp/$name.last"
  expect_run "$name" "$want_rc" "$tmp/$name.last"
}
