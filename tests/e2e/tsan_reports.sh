#!/usr/bin/env bash
# tsan_reports.sh: runs one end-to-end test script under ThreadSanitizer (`make tsan`) and fails
# it when any process the script started wrote a TSan report.
#
# The scripts keep the output of the processes they start in files of their own, and some expect
# a non-zero exit, so neither a report on stderr nor TSan's exit code reliably reaches ctest.
# Here every instrumented process writes its reports to $dir/tsan.<pid> (TSAN_OPTIONS log_path),
# and after the script ends those files are printed and turn the result into a failure.
#
# Usage: tsan_reports.sh <test script>; TSAN_OPTIONS as tests/CMakeLists.txt sets it.
set -uo pipefail
script=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export TSAN_OPTIONS="${TSAN_OPTIONS:-}:log_path=$dir/tsan"
bash "$script"
rc=$?
reports=("$dir"/tsan.*)
if [ -e "${reports[0]}" ]; then
  echo "FAIL - ThreadSanitizer reported in ${#reports[@]} process(es) started by $script:"
  cat "${reports[@]}"
  exit 1
fi
exit $rc
