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
