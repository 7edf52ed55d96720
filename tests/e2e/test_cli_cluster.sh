#!/usr/bin/env bash
# test_cli_cluster.sh: `spate list`, `cancel`, `stop`, `savepoint` (and `savepoint -d`, with
# `-j <job.so>` checked first) and `checkpoint` against a JobManager's REST endpoint, checking
# Flink's printed lines, error forms and exit codes (reference §3). The endpoint is
# build/tests/rest_test_server: the real REST server with the fake cluster's fixed table of jobs
# (tests/support/rest_fake_cluster.h), so every printed line is known in advance. Start times
# print in local time: TZ=UTC here.
#
# Run by ctest from the build directory with SPATE, SPATE_BUILD_DIR and SPATE_EXAMPLES set.
set -euo pipefail
export LC_ALL=C TZ=UTC

SPATE=${SPATE:-build/bin/spate}
SERVER=${SPATE_BUILD_DIR:-build}/tests/rest_test_server
tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNNING=cca7bc1061d61cf15238e92312c2fc20
RESTARTING=22222222222222222222222222222222
SCHEDULED=0123456789abcdef0123456789abcdef
FINISHED=fedcba9876543210fedcba9876543210
HINT="Use the help option (-h or --help) to get help on the command."
DASHES=--------------------------------------------------------------

# The server prints "port N" once it listens; read it with the test's deadline.
coproc SRV { exec "$SERVER" 2>"$tmp/server.err"; }
server_pid=$SRV_PID
if ! read -t "$test_timeout_s" -r _ port <&"${SRV[0]}"; then
  echo "FAIL - rest_test_server did not report its port" >&2
  cat "$tmp/server.err" >&2
  exit 1
fi
M="-m localhost:$port"

# run NAME ARGS...: stdout in $tmp/NAME.out, stderr in $tmp/NAME.err, exit status in $rc.
run() {
  local name=$1; shift
  set +e
  timeout "$test_timeout_s" "$SPATE" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
  set -e
  cat "$tmp/$name.out" "$tmp/$name.err" >"$tmp/$name.log"
}
# expect NAME CODE DESCRIPTION: exit code CODE and no sanitizer report.
expect() {
  if [ "$rc" -eq "$2" ] && ! grep -q 'Sanitizer' "$tmp/$1.log"; then
    pass "$3: exit $2"
  else
    fail "$3: exit $rc, expected $2" "$tmp/$1.log"
  fi
}
# stdout_is NAME DESCRIPTION <<EOF: stdout is exactly the text given.
stdout_is() {
  cat >"$tmp/$1.want"
  if diff -u "$tmp/$1.want" "$tmp/$1.out" >"$tmp/$1.diff"; then
    pass "$2"
  else
    fail "$2" "$tmp/$1.diff"
  fi
}
stderr_has() {
  if grep -qF -- "$2" "$tmp/$1.err"; then pass "$3"; else fail "$3" "$tmp/$1.log"; fi
}

# --- list -----------------------------------------------------------------------------------------
run list list $M
expect list 0 "spate list"
stdout_is list "spate list: running and scheduled blocks" <<EOF
Waiting for response...
------------------ Running/Restarting Jobs -------------------
30.11.2020 16:02:29 : $RUNNING : State machine job (RUNNING)
30.11.2020 16:05:00 : $RESTARTING : Restarting job (RESTARTING)
$DASHES
----------------------- Scheduled Jobs -----------------------
30.11.2020 17:00:00 : $SCHEDULED : Windowed join (CREATED)
$DASHES
EOF
run list_r list -r --jobmanager "localhost:$port"
expect list_r 0 "spate list -r"
stdout_is list_r "spate list -r: only the running block" <<EOF
Waiting for response...
------------------ Running/Restarting Jobs -------------------
30.11.2020 16:02:29 : $RUNNING : State machine job (RUNNING)
30.11.2020 16:05:00 : $RESTARTING : Restarting job (RESTARTING)
$DASHES
EOF
run list_a list -a "--jobmanager=localhost:$port"
expect list_a 0 "spate list -a"
stdout_is list_a "spate list -a: the terminated block too" <<EOF
Waiting for response...
------------------ Running/Restarting Jobs -------------------
30.11.2020 16:02:29 : $RUNNING : State machine job (RUNNING)
30.11.2020 16:05:00 : $RESTARTING : Restarting job (RESTARTING)
$DASHES
----------------------- Scheduled Jobs -----------------------
30.11.2020 17:00:00 : $SCHEDULED : Windowed join (CREATED)
$DASHES
---------------------- Terminated Jobs -----------------------
30.11.2020 10:00:00 : $FINISHED : WordCount (FINISHED)
30.11.2020 11:00:00 : 11111111111111111111111111111111 : Failing job (FAILED)
$DASHES
EOF
# The address from the configuration: rest.address and rest.port, or -D.
mkdir -p "$tmp/conf"
printf 'rest.address: localhost\nrest.port: %s\n' "$port" >"$tmp/conf/config.yaml"
SPATE_CONF_DIR=$tmp/conf run list_conf list -s
expect list_conf 0 "spate list -s with rest.address:rest.port from config.yaml"
stdout_is list_conf "spate list -s: only the scheduled block" <<EOF
Waiting for response...
----------------------- Scheduled Jobs -----------------------
30.11.2020 17:00:00 : $SCHEDULED : Windowed join (CREATED)
$DASHES
EOF
run list_d list -s -D "rest.port=$port"
expect list_d 0 "spate list -D rest.port=..."

# --- argument errors: message, blank line, hint on stdout; exit 1 --------------------------------
run cancel_noid cancel $M
expect cancel_noid 1 "spate cancel without a job id"
stdout_is cancel_noid "spate cancel without a job id: Flink's message" <<EOF
Missing JobID. Specify a JobID to cancel a job.

$HINT
EOF
run cancel_badid cancel $M 1234
expect cancel_badid 1 "spate cancel with a malformed job id"
stdout_is cancel_badid "spate cancel 1234: Flink's JobID message" <<EOF
Cannot parse JobID from "1234". The expected format is [0-9a-fA-F]{32}, e.g. fd72014d4c864993a2e5a9287b4a9c5d.

$HINT
EOF
run list_x list -x $M
expect list_x 1 "spate list -x"
stdout_is list_x "spate list -x: unrecognized option" <<EOF
Unrecognized option: -x

$HINT
EOF
run list_m list -m nowhere
expect list_m 1 "spate list -m without a port"
assert "spate list -m nowhere: names the address" grep -qF "Invalid JobManager address 'nowhere'" "$tmp/list_m.out"
run sp_noid savepoint $M
expect sp_noid 1 "spate savepoint without a job id"
assert "spate savepoint without a job id: Flink's message" grep -qxF "Missing JobID. Specify a Job ID to trigger a savepoint." "$tmp/sp_noid.out"
run help_list list --help
expect help_list 0 "spate list --help"

# --- savepoint, dispose, checkpoint, stop -------------------------------------------------------
run sp savepoint $M "$RESTARTING" /tmp/sp
expect sp 0 "spate savepoint <id> <dir>"
stdout_is sp "spate savepoint: Flink's lines" <<EOF
Triggering savepoint for job $RESTARTING.
Waiting for response...
Savepoint completed. Path: file:/tmp/sp/savepoint-222222-0123456789ab
You can resume your program from this savepoint with the run command.
EOF
run sp_det savepoint -detached $M "$RESTARTING" /tmp/sp
expect sp_det 0 "spate savepoint -detached"
assert "spate savepoint -detached: Flink's lines" grep -qxE "Successfully trigger manual savepoint, triggerId: [0-9a-f]{32}" "$tmp/sp_det.out"
assert "spate savepoint -detached: announces detached mode" grep -qxF "Triggering savepoint in detached mode for job $RESTARTING." "$tmp/sp_det.out"
run sp_nodir savepoint $M "$RESTARTING"
expect sp_nodir 1 "spate savepoint without a directory (none configured)"
stderr_has sp_nodir " The program finished with the following exception:" "spate savepoint failure: Flink's banner"
stderr_has sp_nodir "Triggering a savepoint for the job $RESTARTING failed." "spate savepoint failure: what failed"
stderr_has sp_nodir "No savepoint directory" "spate savepoint failure: why"
run sp_unknown savepoint $M 00000000000000000000000000000000 /tmp/sp
expect sp_unknown 1 "spate savepoint of an unknown job"
stderr_has sp_unknown "Job 00000000000000000000000000000000 not found" "spate savepoint of an unknown job: says so"

run dispose savepoint $M -d /sp/savepoint-1
expect dispose 0 "spate savepoint -d"
stdout_is dispose "spate savepoint -d: Flink's lines" <<EOF
Disposing savepoint '/sp/savepoint-1'.
Waiting for response...
Savepoint '/sp/savepoint-1' disposed.
EOF
run dispose_missing savepoint $M --dispose /sp/missing
expect dispose_missing 1 "spate savepoint -d of a missing savepoint"
stderr_has dispose_missing "Disposing the savepoint '/sp/missing' failed." "spate savepoint -d failure: what failed"

# -j/--jarfile: the job object is checked (it must load and define spate_main) before anything is
# sent; then the savepoint is disposed of as without it
run dispose_j savepoint $M -d /sp/savepoint-2 -j "$SPATE_EXAMPLES/wordcount.so"
expect dispose_j 0 "spate savepoint -d -j <job.so>"
stdout_is dispose_j "spate savepoint -d -j: Flink's lines" <<EOF
Disposing savepoint '/sp/savepoint-2'.
Waiting for response...
Savepoint '/sp/savepoint-2' disposed.
EOF
run dispose_j_missing savepoint $M --jarfile "$tmp/nojob.so" --dispose /sp/savepoint-3
expect dispose_j_missing 1 "spate savepoint -d --jarfile <missing file>"
stderr_has dispose_j_missing "spate savepoint: cannot read job file '$tmp/nojob.so': No such file or directory" "spate savepoint -j <missing file>: names the file and why"
assert "spate savepoint -j <missing file>: nothing is disposed of" test ! -s "$tmp/dispose_j_missing.out"
printf 'not a shared object\n' >"$tmp/notajob.so"
run dispose_j_text savepoint $M -d /sp/savepoint-3 -j "$tmp/notajob.so"
expect dispose_j_text 1 "spate savepoint -d -j <a text file>"
stderr_has dispose_j_text "spate savepoint: cannot load job file '$tmp/notajob.so'" "spate savepoint -j <a text file>: names the file"
run dispose_j_lib savepoint $M -d /sp/savepoint-3 -j "${SPATE_BUILD_DIR:-build}/lib/libspate.so"
expect dispose_j_lib 1 "spate savepoint -d -j <a library without spate_main>"
stderr_has dispose_j_lib "has no entry point: it must define int spate_main(int argc, char **argv)" "spate savepoint -j <a library without spate_main>: says what is missing"
run dispose_j_noarg savepoint $M -d /sp/savepoint-3 -j
expect dispose_j_noarg 1 "spate savepoint -j without a file"
assert "spate savepoint -j without a file: Flink's message" grep -qxF "Missing argument for option: j" "$tmp/dispose_j_noarg.out"

run ck checkpoint $M "$RUNNING"
expect ck 0 "spate checkpoint"
stdout_is ck "spate checkpoint: Flink's lines" <<EOF
Triggering checkpoint for job $RUNNING.
Waiting for response...
Checkpoint(CONFIGURED) 26 for job $RUNNING completed.
EOF
run ck_full checkpoint $M "$RUNNING" -full
expect ck_full 0 "spate checkpoint -full"
assert "spate checkpoint -full: a FULL checkpoint" grep -qxF "Checkpoint(FULL) 27 for job $RUNNING completed." "$tmp/ck_full.out"

run stop stop $M -p /tmp/sp "$RESTARTING"
expect stop 0 "spate stop -p <dir>"
stdout_is stop "spate stop: Flink's lines" <<EOF
Suspending job "$RESTARTING" with a CANONICAL savepoint.
Savepoint completed. Path: file:/tmp/sp/savepoint-222222-0123456789ab
EOF
run drain stop --drain -type native $M --savepointPath /tmp/sp2 "$RUNNING"
expect drain 0 "spate stop --drain -type native"
stdout_is drain "spate stop --drain: Flink's lines" <<EOF
Draining job "$RUNNING" with a NATIVE savepoint.
Savepoint completed. Path: file:/tmp/sp2/savepoint-cca7bc-0123456789ab
EOF

# --- cancel ---------------------------------------------------------------------------------------
run cancel cancel $M "$SCHEDULED"
expect cancel 0 "spate cancel"
stdout_is cancel "spate cancel: Flink's lines" <<EOF
Cancelling job $SCHEDULED.
Cancelled job $SCHEDULED.
EOF
run list_after list -a $M
assert "spate list -a after cancel: the job is CANCELED" grep -qF "$SCHEDULED : Windowed join (CANCELED)" "$tmp/list_after.out"
run cancel_again cancel $M "$SCHEDULED"
expect cancel_again 1 "spate cancel of a cancelled job"
stderr_has cancel_again "Could not cancel job $SCHEDULED." "spate cancel failure: what failed"
stderr_has cancel_again "already CANCELED" "spate cancel failure: why"

# --- a JobManager that is not there ---------------------------------------------------------------
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
run refused list $M
expect refused 1 "spate list -m localhost:<closed port>"
stderr_has refused "Could not connect to the JobManager at localhost:$port (-m)" "spate list against a closed port: names the address"
SPATE_CONF_DIR=$tmp/conf run refused_conf cancel "$RUNNING"
expect refused_conf 1 "spate cancel against a closed rest.port"
stderr_has refused_conf "Could not connect to the JobManager at localhost:$port (rest.address:rest.port)" "spate cancel against a closed port: names the configuration keys"

echo "test_cli_cluster: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
