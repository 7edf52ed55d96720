#!/usr/bin/env bash
# dashboard-demo.sh [BUILD_DIR]: runs a streaming job on the embedded MiniCluster with its REST
# endpoint and web dashboard on, until Ctrl-C: examples/exactly_once_sums.c at parallelism 2,
# 20,000 records/s, checkpointed every second (`make dashboard` runs this after a release build).
# PORT (default 8081) is rest.port; BIND (default localhost) is rest.bind-address, e.g. 0.0.0.0
# to open the dashboard from another machine.
set -euo pipefail
build=${1:-build}
port=${PORT:-8081}
bind=${BIND:-localhost}
tmp=$(mktemp -d /tmp/spate-dashboard-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "Spate dashboard: http://localhost:$port/  (a checkpointed job runs until Ctrl-C)"
"$build/bin/spate" run --rest -p 2 -D "rest.port=$port" -D "rest.bind-address=$bind" \
  -D execution.checkpointing.interval=1s -D "state.checkpoints.dir=file://$tmp/ck" \
  "$build/examples/exactly_once_sums.so" --output "$tmp/out" --count 1000000000000 \
  --records-per-second 20000 --window-ms 1000
