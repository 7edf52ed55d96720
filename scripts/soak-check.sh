#!/usr/bin/env bash
# soak-check.sh N: runs the whole test suite (what `make check` runs) N times in a row while
# stress-ng keeps every core busy, and stops at the first failing run, printing its log. A suite
# that passes here does not depend on how fast the machine is.
#
#   scripts/soak-check.sh 10            # from the repository root
#   STRESS_WORKERS=4 scripts/soak-check.sh 3
#
# It builds build-check/ as `make check` does (ASan + UBSan), starts `stress-ng --cpu <cores>`
# (installed with apt-get when missing), runs ctest with as many jobs as `make check`, and keeps
# each run's log under build-check/soak/.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-10}
case $runs in '' | *[!0-9]* | 0)
  echo "usage: scripts/soak-check.sh N   (N > 0 runs of the whole suite under load)" >&2
  exit 2 ;;
esac
jobs=$(nproc 2>/dev/null || echo 2)
workers=${STRESS_WORKERS:-$jobs}

bash scripts/setup.sh
if ! command -v stress-ng >/dev/null; then
  echo "soak-check: installing stress-ng" >&2
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends stress-ng
fi

cmake -S . -B build-check -DCMAKE_BUILD_TYPE=Debug -DSPATE_SANITIZE=ON >/dev/null
cmake --build build-check -j "$jobs"

logs=build-check/soak
mkdir -p "$logs"
stress_pid=
stop_stress() { if [ -n "$stress_pid" ]; then kill "$stress_pid" 2>/dev/null || true; wait "$stress_pid" 2>/dev/null || true; fi; }
trap stop_stress EXIT
stress-ng --cpu "$workers" --timeout 0 --quiet &
stress_pid=$!
echo "soak-check: $runs runs of the suite with stress-ng --cpu $workers busy (pid $stress_pid)"

total_start=$SECONDS
for i in $(seq 1 "$runs"); do
  start=$SECONDS
  log="$logs/run-$i.log"
  if (cd build-check && ctest --output-on-failure -j "$jobs") >"$log" 2>&1; then
    echo "soak-check: run $i/$runs passed in $((SECONDS - start)) s"
  else
    echo "soak-check: run $i/$runs FAILED after $((SECONDS - start)) s; its log is $log:" >&2
    grep -E '^[0-9]+/[0-9]+ Test|Failed|FAILED|ERROR|timed out' "$log" | grep -v ' Passed ' >&2 || true
    exit 1
  fi
done
echo "soak-check: all $runs runs passed under load in $((SECONDS - total_start)) s"
