#!/usr/bin/env bash
# test_daemons.sh: the standalone cluster's daemon verbs, Flink's bin/ scripts (reference §4.1):
# `spate jobmanager|taskmanager start|stop|stop-all` with their pid files (one pid per line,
# `stop` ends the newest, `stop-all` the rest), their log files named as Flink's and rotated at
# start, Flink's printed lines, pids of processes that are gone dropped silently, concurrent
# starts (distinct instances, no lost pid), SIGKILL for a daemon that ignores SIGTERM, `spate list`
# against the daemon's REST endpoint, application mode (`standalone-job` runs WordCount and ends),
# `spate cluster start|stop` from a workers file (localhost twice, and a remote host through a
# stand-in ssh), and argument errors.
#
# Every file goes to a temporary directory (env.pid.dir, env.log.dir, a SPATE_CONF_DIR). A
# JobManager binds free ports (0) and the test reads them from its log; only `spate cluster`,
# which starts JobManager and TaskManagers from one configuration, gets ports picked beforehand.
# Every wait polls with the test's deadline for what the daemons write (lib.sh's await): a
# registration shows in the JobManager's log.
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
conf=$tmp/conf
bystander=

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Whatever happens, no daemon outlives the test.
cleanup() {
  kill_pid_files "$pids"/*.pid "$conf"/pid/*.pid
  if [ -n "$bystander" ]; then kill "$bystander" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# D: where every daemon's files go. JobManagers bind ports 0 (any free one) and tell the ports in
# their logs; the TaskManagers get the JobManager's (T).
D=(-D "env.pid.dir=$pids" -D "env.log.dir=$logs" -D "taskmanager.numberOfTaskSlots=2")
ANY_PORTS=(-D jobmanager.rpc.port=0 -D rest.port=0)
HINT="Use the help option (-h or --help) to get help on the command."

# run NAME ARGS...: stdout in $tmp/NAME.out, stderr in $tmp/NAME.err, both in $tmp/NAME.log,
# exit status in $rc.
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
# out_is NAME DESCRIPTION <<END: stdout is exactly the text given.
out_is() {
  cat >"$tmp/$1.want"
  if diff -u "$tmp/$1.want" "$tmp/$1.out" >"$tmp/$1.diff"; then pass "$2"; else fail "$2" "$tmp/$1.diff"; fi
}
out_has() {
  if grep -qF -- "$2" "$tmp/$1.out"; then pass "$3"; else fail "$3" "$tmp/$1.log"; fi
}
lines() { if [ -f "$1" ]; then grep -c . "$1"; else echo 0; fi; }
# registered N LOG: the JobManager's log shows N TaskManager registrations (or more).
registered() { [ "$(count_in "Registered TaskManager" "$2")" -ge "$1" ]; }
running() { ! gone "$1"; }
# port_in WHAT LOG: the port of the "<WHAT> listening at <host>:<port>" line of a log.
port_in() { sed -n "s/.*$1 listening at [^ ]*:\([0-9][0-9]*\).*/\1/p" "$2" | head -1; }

jm_pid=$pids/spate-e2e-standalonesession.pid
tm_pid=$pids/spate-e2e-taskexecutor.pid
jm_log=$logs/spate-e2e-standalonesession-0-$host.log

# --- argument errors ------------------------------------------------------------------------------
run noaction jobmanager
expect noaction 1 "jobmanager without an action"
out_is noaction "jobmanager without an action: message and hint" <<END
spate jobmanager: missing action: start, start-foreground, stop or stop-all

$HINT
END
run badaction taskmanager restart
expect badaction 1 "taskmanager restart"
out_has badaction "spate taskmanager: unknown action 'restart': expected start, start-foreground, stop or stop-all" \
  "taskmanager restart: names the action"
run badopt taskmanager start --slots 3 "${D[@]}"
expect badopt 1 "taskmanager start --slots"
out_has badopt "unknown option '--slots'" "taskmanager start --slots: names the option"
run extra jobmanager start localhost "${D[@]}"
expect extra 1 "jobmanager start with an argument"
out_has extra "unexpected argument 'localhost' for start" "jobmanager start localhost: names it"
run badkey jobmanager start "${D[@]}" -D no.such.key=1
expect badkey 1 "jobmanager start -D no.such.key=1"
out_has badkey "unknown configuration key 'no.such.key'" "-D with an unknown key: names the key"
assert "a refused start leaves no pid file and no log" test ! -e "$jm_pid" -a ! -e "$logs"
run nodval taskmanager stop -D
expect nodval 1 "taskmanager stop -D without a value"
run sj_nojob standalone-job start "${D[@]}"
expect sj_nojob 1 "standalone-job start without --job"
out_has sj_nojob "start needs --job <job.so>" "standalone-job without --job: says so"
run sj_missing standalone-job start-foreground --job "$tmp/none.so" "${D[@]}"
expect sj_missing 1 "standalone-job with a missing job file"
out_has sj_missing "cannot read job file '$tmp/none.so'" "standalone-job missing file: names it"
touch "$tmp/job.so"
run sj_id standalone-job start --job "$tmp/job.so" --job-id 1234 "${D[@]}"
expect sj_id 1 "standalone-job --job-id 1234"
out_has sj_id "invalid job id '1234' for --job-id: must be 32 hex digits" "bad job id: names it"
run sj_stopall standalone-job stop-all
expect sj_stopall 1 "standalone-job stop-all"
run cl_bad cluster start-foreground
expect cl_bad 1 "cluster start-foreground"
out_has cl_bad "unknown action 'start-foreground': expected start or stop" "cluster: names the action"
for v in jobmanager taskmanager standalone-job cluster; do
  run "help_$v" "$v" --help
  expect "help_$v" 0 "$v --help"
  out_has "help_$v" "Usage: spate $v" "$v --help: usage"
done

# --- nothing running ------------------------------------------------------------------------------
run stop_none taskmanager stop "${D[@]}"
expect stop_none 0 "taskmanager stop with nothing running"
out_is stop_none "taskmanager stop with nothing running: Flink's line" <<END
No taskexecutor daemon to stop on host $host.
END

# --- a JobManager and two TaskManagers ------------------------------------------------------------
run jm_start jobmanager start "${D[@]}" "${ANY_PORTS[@]}"
expect jm_start 0 "jobmanager start"
out_is jm_start "jobmanager start: Flink's line" <<END
Starting standalonesession daemon on host $host.
END
awaited "the JobManager's log has its start lines" "$jm_log" \
  has "JobManager RPC endpoint listening at" "$jm_log"
awaited "the JobManager's log shows its REST endpoint" "$jm_log" \
  has "Rest endpoint listening at" "$jm_log"
rpc_port=$(port_in "JobManager RPC endpoint" "$jm_log")
rest_port=$(port_in "Rest endpoint" "$jm_log")
T=("${D[@]}" -D "jobmanager.rpc.port=$rpc_port")
run tm_start1 taskmanager start "${T[@]}"
expect tm_start1 0 "taskmanager start (first)"
run tm_start2 taskmanager start "${T[@]}"
expect tm_start2 0 "taskmanager start (second)"
out_is tm_start2 "second taskmanager start: the warning, then the start" <<END
[WARNING] 1 instance(s) of taskexecutor are already running on $host.
Starting taskexecutor daemon on host $host.
END
assert "the JobManager's pid file holds 1 line" test "$(lines "$jm_pid")" -eq 1
assert "the TaskManagers' pid file holds 2 lines" test "$(lines "$tm_pid")" -eq 2
# the .out exists when start returns; the daemon itself opens its .log when it starts logging
for f in standalonesession-0 taskexecutor-0 taskexecutor-1; do
  awaited "log files spate-e2e-$f-$host.log and .out exist" "$tmp/tm_start2.log" \
    test -f "$logs/spate-e2e-$f-$host.log" -a -f "$logs/spate-e2e-$f-$host.out"
done
awaited "both TaskManagers registered (JobManager's log)" "$jm_log" \
  registered 2 "$jm_log"
assert "the TaskManagers' logs have their start lines" \
  has "Starting TaskManager" "$logs/spate-e2e-taskexecutor-1-$host.log"
run list list -m "localhost:$rest_port"
expect list 0 "spate list against the daemon JobManager"
out_is list "spate list: no jobs on the new cluster" <<END
Waiting for response...
No running jobs.
No scheduled jobs.
END
jm=$(cat "$jm_pid")
tm1=$(sed -n 1p "$tm_pid")
tm2=$(sed -n 2p "$tm_pid")

run tm_stop taskmanager stop "${D[@]}"
expect tm_stop 0 "taskmanager stop"
out_is tm_stop "taskmanager stop: stops the newest" <<END
Stopping taskexecutor daemon (pid: $tm2) on host $host.
END
assert "taskmanager stop: that process is gone" gone "$tm2"
assert "taskmanager stop: the pid file holds the other" test "$(cat "$tm_pid")" = "$tm1"
assert "taskmanager stop: the other still runs" running "$tm1"
assert "the stopped TaskManager logged its shutdown" \
  has "Shutting down the TaskManager" "$logs/spate-e2e-taskexecutor-1-$host.log"

run tm_stopall taskmanager stop-all "${D[@]}"
expect tm_stopall 0 "taskmanager stop-all"
out_is tm_stopall "taskmanager stop-all: stops the rest" <<END
Stopping taskexecutor daemon (pid: $tm1) on host $host.
END
assert "taskmanager stop-all: the process is gone" gone "$tm1"
assert "taskmanager stop-all: the pid file is gone" test ! -e "$tm_pid"
run tm_stop_none taskmanager stop "${D[@]}"
out_is tm_stop_none "taskmanager stop after stop-all: Flink's line" <<END
No taskexecutor daemon to stop on host $host.
END

run jm_stop jobmanager stop "${D[@]}"
expect jm_stop 0 "jobmanager stop"
out_is jm_stop "jobmanager stop: Flink's line" <<END
Stopping standalonesession daemon (pid: $jm) on host $host.
END
assert "jobmanager stop: the process is gone" gone "$jm"
assert "jobmanager stop: the pid file is gone" test ! -e "$jm_pid"
assert "the JobManager logged its shutdown" has "Shutting down the JobManager" "$jm_log"
if grep -l 'Sanitizer\|runtime error' "$logs"/*.out >"$tmp/san.txt"; then
  fail "the daemons' .out files hold no sanitizer report" "$(head -1 "$tmp/san.txt")"
else
  pass "the daemons' .out files hold no sanitizer report"
fi

# --- rotation at start, stale pids ----------------------------------------------------------------
tm0_log=$logs/spate-e2e-taskexecutor-0-$host.log
run tm_again taskmanager start "${T[@]}"
expect tm_again 0 "taskmanager start again (instance 0)"
assert "the previous log was rotated to .log.1" has "Shutting down the TaskManager" "$tm0_log.1"
assert "the previous .out was rotated to .out.1" test -f "${tm0_log%.log}.out.1"
awaited "the new TaskManager logs its start in a new .log" "$tm0_log" \
  has "Starting TaskManager" "$tm0_log"
assert "the new .log holds only the new run" test "$(count_in "Starting TaskManager" "$tm0_log")" -eq 1
tm=$(cat "$tm_pid")
# A pid of a process that ended and one of a process that is no TaskManager: both are dropped
# on stop without a signal; the daemon between them is stopped.
true &
dead=$!
wait "$dead"
sleep 600 &
bystander=$!
{ echo "$dead"; echo "$tm"; echo "$bystander"; } >"$tm_pid"
run tm_stale taskmanager stop "${D[@]}"
expect tm_stale 0 "taskmanager stop with stale pids"
out_is tm_stale "stale pids are skipped silently" <<END
Stopping taskexecutor daemon (pid: $tm) on host $host.
END
assert "the TaskManager is gone" gone "$tm"
assert "the process that is no daemon was not signalled" running "$bystander"
assert "the stale pids left the pid file (removed)" test ! -e "$tm_pid"
kill "$bystander"
bystander=

# --- concurrent starts get distinct instances; a daemon that ignores SIGTERM is killed -------------
set +e
"$SPATE" taskmanager start "${T[@]}" >"$tmp/par1.log" 2>&1 &
par1=$!
"$SPATE" taskmanager start "${T[@]}" >"$tmp/par2.log" 2>&1 &
par2=$!
wait "$par1"
rc1=$?
wait "$par2"
rc2=$?
set -e
assert "two concurrent taskmanager starts: both exit 0" test "$rc1" -eq 0 -a "$rc2" -eq 0
assert "two concurrent starts: the pid file holds both" test "$(lines "$tm_pid")" -eq 2
# Instance 0 started twice before, instance 1 once: each rotates once more; no instance 2.
assert "two concurrent starts: instances 0 and 1, each rotated, no instance 2" \
  test -f "$tm0_log.2" -a -f "$logs/spate-e2e-taskexecutor-1-$host.log.1" \
  -a ! -e "$logs/spate-e2e-taskexecutor-2-$host.log"
run par_stop taskmanager stop-all "${D[@]}"
expect par_stop 0 "taskmanager stop-all of the concurrent starts"
assert "stop-all: two daemons stopped" test "$(grep -c '^Stopping taskexecutor daemon' "$tmp/par_stop.out")" -eq 2
# A process that looks like a TaskManager to stop (`<x> taskmanager start-foreground`: bash running
# a script named taskmanager) and ignores SIGTERM: stop waits its 10 s, then kills it.
mkdir "$tmp/stubborn"
cat >"$tmp/stubborn/taskmanager" <<'END'
trap '' TERM
mkfifo hold
exec 3<>hold
: >ready
read -r -u 3 _
END
(cd "$tmp/stubborn" && exec bash taskmanager start-foreground </dev/null >/dev/null 2>&1) &
stubborn=$!
disown "$stubborn" # its SIGKILL is expected: no "Killed" notice from the shell
bystander=$stubborn
awaited "the stubborn process ignores SIGTERM" "$tmp/stubborn/taskmanager" \
  test -e "$tmp/stubborn/ready"
mkdir -p "$pids"
echo "$stubborn" >"$tm_pid"
run stubborn taskmanager stop "${D[@]}"
expect stubborn 0 "taskmanager stop of a daemon that ignores SIGTERM"
out_is stubborn "stop: SIGKILL after 10 s, saying so" <<END
Stopping taskexecutor daemon (pid: $stubborn) on host $host.
The taskexecutor daemon (pid: $stubborn) did not stop within 10 s; killing it (SIGKILL).
END
assert "the stubborn process is gone" gone "$stubborn"
bystander=

# --- application mode: standalone-job runs its job and ends ----------------------------------------
sj_pid=$pids/spate-e2e-standalonejob.pid
sj_log=$logs/spate-e2e-standalonejob-0-$host.log
# The job's arguments begin at the first argument that is no option of standalone-job (Flink's
# entry point stops parsing there too); WordCount counts the words of --input.
printf 'daemon daemon spate\n' >"$tmp/words.txt"
run sj_start standalone-job start "${D[@]}" "${ANY_PORTS[@]}" --job "$SPATE_EXAMPLES/wordcount.so" \
  --input "$tmp/words.txt"
expect sj_start 0 "standalone-job start --job wordcount.so --input words.txt"
out_is sj_start "standalone-job start: Flink's line" <<END
Starting standalonejob daemon on host $host.
END
awaited "the application's JobManager logs its RPC endpoint" "$sj_log" \
  has "JobManager RPC endpoint listening at" "$sj_log"
run sj_tm taskmanager start "${D[@]}" -D "jobmanager.rpc.port=$(port_in "JobManager RPC endpoint" "$sj_log")"
expect sj_tm 0 "a TaskManager for the application"
sj=$(cat "$sj_pid")
awaited "the application's JobManager ends by itself when its job ends" "$sj_log" gone "$sj"
assert "the application's job finished (its log)" has "to FINISHED" "$sj_log"
assert "without --job-id the application's job has Flink's all-zero id" \
  has "Job WordCount (00000000000000000000000000000000) switched from state RUNNING to FINISHED." "$sj_log"
assert "the application's output went to its .out" \
  has "has finished." "$logs/spate-e2e-standalonejob-0-$host.out"
run sj_tm_stop taskmanager stop "${D[@]}"
expect sj_tm_stop 0 "taskmanager stop after the application"
assert "the job got its arguments: the TaskManager's .out has WordCount's counts of words.txt" \
  has "(daemon,2)" "$logs/spate-e2e-taskexecutor-0-$host.out"
run sj_stop standalone-job stop "${D[@]}"
expect sj_stop 0 "standalone-job stop after its end"
out_is sj_stop "standalone-job stop after its end: nothing to stop" <<END
No standalonejob daemon to stop on host $host.
END
assert "standalone-job stop: the stale pid file is gone" test ! -e "$sj_pid"

# --- spate cluster start|stop ---------------------------------------------------------------------
mkdir -p "$conf/bin"
cat >"$conf/config.yaml" <<END
env.pid.dir: $conf/pid
env.log.dir: $conf/log
jobmanager.rpc.port: $(free_port)
rest.port: $(free_port)
END
printf '# TaskManagers of the test cluster\nlocalhost\n\n  localhost  # again\nworker-b\n' \
  >"$conf/workers"
# A stand-in ssh that records its arguments, one per line, then a separator.
cat >"$conf/bin/ssh" <<END
#!/usr/bin/env bash
printf '%s\n' "\$@" >>"$conf/ssh.log"
echo ---- >>"$conf/ssh.log"
END
chmod +x "$conf/bin/ssh"
path_saved=$PATH
export SPATE_CONF_DIR=$conf PATH=$conf/bin:$PATH
run cl_start cluster start
expect cl_start 0 "cluster start"
out_is cl_start "cluster start: Flink's lines" <<END
Starting cluster.
Starting standalonesession daemon on host $host.
Starting taskexecutor daemon on host $host.
[WARNING] 1 instance(s) of taskexecutor are already running on $host.
Starting taskexecutor daemon on host $host.
END
cl_jm_log=$conf/log/spate-e2e-standalonesession-0-$host.log
assert "cluster start: one JobManager" \
  test "$(lines "$conf/pid/spate-e2e-standalonesession.pid")" -eq 1
assert "cluster start: two local TaskManagers" \
  test "$(lines "$conf/pid/spate-e2e-taskexecutor.pid")" -eq 2
awaited "cluster start: both TaskManagers registered" "$cl_jm_log" \
  registered 2 "$cl_jm_log"
install=$(cd "$(dirname "$SPATE")/.." && pwd -P)
printf -- "-n\nworker-b\n--\n'%s' taskmanager start\n----\n" "$install/bin/spate" \
  >"$tmp/ssh_start.want"
if diff -u "$tmp/ssh_start.want" "$conf/ssh.log" >"$tmp/ssh.diff"; then
  pass "cluster start: worker-b through ssh -n worker-b -- <install>/bin/spate taskmanager start"
else
  fail "cluster start: the ssh command for worker-b" "$tmp/ssh.diff"
fi
cl_jm=$(cat "$conf/pid/spate-e2e-standalonesession.pid")
cl_tms=$(cat "$conf/pid/spate-e2e-taskexecutor.pid")
rm "$conf/ssh.log"
run cl_stop cluster stop
expect cl_stop 0 "cluster stop"
{
  for p in $(echo "$cl_tms" | tac); do echo "Stopping taskexecutor daemon (pid: $p) on host $host."; done
  echo "Stopping standalonesession daemon (pid: $cl_jm) on host $host."
} >"$tmp/cl_stop.want"
if diff -u "$tmp/cl_stop.want" "$tmp/cl_stop.out" >"$tmp/cl_stop.diff"; then
  pass "cluster stop: the TaskManagers, then the JobManager"
else
  fail "cluster stop: the TaskManagers, then the JobManager" "$tmp/cl_stop.diff"
fi
assert "cluster stop: worker-b through ssh ... taskmanager stop" \
  grep -qxF "'$install/bin/spate' taskmanager stop" "$conf/ssh.log"
all_gone=yes
for p in $cl_jm $cl_tms; do gone "$p" || all_gone=no; done
assert "cluster stop: every daemon is gone" test "$all_gone" = yes
assert "cluster stop: no pid file is left" test -z "$(ls "$conf/pid")"

# --- the workers file's errors --------------------------------------------------------------------
printf 'localhost\nworker-a worker-b\n' >"$conf/workers"
run cl_badline cluster start
expect cl_badline 1 "cluster start with two hosts on a line"
assert "two hosts on a line: names file and line" \
  has "$conf/workers:2: one host name per line" "$tmp/cl_badline.err"
assert "a bad workers file starts nothing" test -z "$(ls "$conf/pid")"
rm "$conf/workers"
run cl_noworkers cluster stop
expect cl_noworkers 1 "cluster stop without a workers file"
assert "no workers file: names it" \
  has "cannot read the workers file '$conf/workers'" "$tmp/cl_noworkers.err"
export PATH=$path_saved

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
