#!/usr/bin/env bash
# test_crash_report.sh: a UDF that crashes the process (NULL dereference, division by zero,
# illegal instruction, SIGBUS, abort, stack overflow) is reported before the process dies: stderr names the
# signal, the operator with its subtask i/p and the task; the exit status stays the signal's
# (128 + signal, 139 for SIGSEGV); the lines print and text sinks had buffered are written out
# instead of being lost. The same holds for a job linked with libspate as its own executable
# (spate_execute installs the report), and a handler the program installed itself still runs
# after the report.
#
# The job is tests/e2e/jobs/crash_job.c (built without sanitizers). Sanitizers are told to leave
# these signals to the program, so that this build's report is the one checked.
#
# Run by ctest from the build directory with SPATE and SPATE_TEST_JOBS set.
set -euo pipefail
export LC_ALL=C
ulimit -c 0 # no core files from the crashes below
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0"
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0"

SPATE=${SPATE:-build/bin/spate}
SPATE_TEST_JOBS=${SPATE_TEST_JOBS:-build/tests/jobs}
JOB=$SPATE_TEST_JOBS/crash_job.so
EXE=$SPATE_TEST_JOBS/crash_job
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# run NAME COMMAND...: stdout in $tmp/NAME.out, stderr in $tmp/NAME.err, exit status in $rc.
run() {
  local name=$1; shift
  set +e
  (cd "$tmp" && timeout "$test_timeout_s" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err")
  rc=$?
  set -e
}
expect_rc() {
  if [ "$rc" -eq "$2" ]; then pass "$3: exit $2"; else fail "$3: expected exit $2, got $rc" "$tmp/$1.err"; fi
}
mentions() {
  if grep -qF -- "$2" "$tmp/$1.err"; then pass "$3"; else fail "$3" "$tmp/$1.err"; fi
}
# numbers FILE [PREFIX]: the result lines (numbers, after an optional "N> " prefix), in order.
numbers() { grep -E "^${2:-}[0-9]+$" "$1" | sed -E 's/^[0-9]+> //' | tr '\n' ' ' || true; }

# --- SIGSEGV under `spate run`, print sink ------------------------------------------------------
run segv "$SPATE" run -D log.level=WARN "$JOB" --signal segv --at 50
expect_rc segv 139 "NULL dereference in a map"
mentions segv "fatal signal SIGSEGV" "SIGSEGV: stderr names the signal"
mentions segv "operator 'crasher' (subtask 1/1)" "SIGSEGV: stderr names the operator and subtask"
mentions segv "task 'Source: numbers -> crasher -> Sink: Print to Std. Out (1/1)'" \
  "SIGSEGV: stderr names the task"
mentions segv "at address 0x0" "SIGSEGV: stderr gives the faulting address"
assert "SIGSEGV: the 49 lines print had buffered are written out, in order" \
  test "$(numbers "$tmp/segv.out")" = "$(seq 1 49 | tr '\n' ' ')"

# --- the subtask is the one that crashed --------------------------------------------------------
run segv_p2 "$SPATE" run -p 2 -D log.level=WARN "$JOB" --signal segv --subtask 2 --at 10
expect_rc segv_p2 139 "-p 2, crash in subtask 2"
mentions segv_p2 "operator 'crasher' (subtask 2/2)" "-p 2: stderr names subtask 2/2"
mentions segv_p2 "Sink: Print to Std. Out (2/2)'" "-p 2: stderr names the task's subtask"
assert "-p 2: subtask 2's 9 buffered lines are written out" \
  test "$(numbers "$tmp/segv_p2.out" '2> ' | wc -w)" -eq 9

# --- the plain text sink's buffered lines reach the file ----------------------------------------
run text "$SPATE" run -D log.level=WARN "$JOB" --signal segv --at 50 --output "$tmp/text-out"
expect_rc text 139 "crash with --output"
mentions text "operator 'crasher' (subtask 1/1)" "crash with --output: stderr names the operator"
assert "crash with --output: the file holds the 49 lines written before the crash" \
  test "$(numbers "$tmp/text-out")" = "$(seq 1 49 | tr '\n' ' ')"

# --- the other fatal signals --------------------------------------------------------------------
# (a stack overflow is a SIGSEGV too: the report runs on the task thread's alternate stack)
for case in "fpe SIGFPE 136" "ill SIGILL 132" "bus SIGBUS 135" "abort SIGABRT 134" "stack SIGSEGV 139"; do
  set -- $case
  run "sig_$1" "$SPATE" run -D log.level=WARN "$JOB" --signal "$1" --at 5
  expect_rc "sig_$1" "$3" "$2 in a map"
  mentions "sig_$1" "fatal signal $2" "$2: stderr names the signal"
  mentions "sig_$1" "operator 'crasher' (subtask 1/1)" "$2: stderr names the operator and subtask"
  assert "$2: the 4 buffered lines are written out" \
    test "$(numbers "$tmp/sig_$1.out")" = "1 2 3 4 "
done

# --- a program linking libspate: spate_execute installs the report -----------------------------
run exe "$EXE" --signal segv --at 50
expect_rc exe 139 "standalone executable, NULL dereference"
mentions exe "fatal signal SIGSEGV" "standalone: stderr names the signal"
mentions exe "operator 'crasher' (subtask 1/1)" "standalone: stderr names the operator"
assert "standalone: the 49 buffered lines are written out" \
  test "$(numbers "$tmp/exe.out")" = "$(seq 1 49 | tr '\n' ' ')"

# --- the program's own handler is kept and runs after the report --------------------------------
for how in cli exe; do
  if [ "$how" = cli ]; then
    run "user_$how" "$SPATE" run -D log.level=WARN "$JOB" --signal segv --at 50 --user-handler
  else
    run "user_$how" "$EXE" --signal segv --at 50 --user-handler
  fi
  expect_rc "user_$how" 42 "$how: a program's own SIGSEGV handler still runs (it exits 42)"
  mentions "user_$how" "user handler: 11" "$how: the program's handler ran"
  mentions "user_$how" "operator 'crasher' (subtask 1/1)" "$how: Spate's report came too"
  report_line=$(grep -n "fatal signal SIGSEGV" "$tmp/user_$how.err" | head -1 | cut -d: -f1 || true)
  user_line=$(grep -n "user handler: 11" "$tmp/user_$how.err" | head -1 | cut -d: -f1 || true)
  assert "$how: the report comes before the program's handler" \
    test "${report_line:-99999}" -lt "${user_line:-0}"
done

echo "test_crash_report: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
