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
