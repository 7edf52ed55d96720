#!/usr/bin/env bash
# nexmark-10m-check.sh: every Nexmark query of examples/nexmark/ at 10 million events, each at
# parallelism 1 and 2, compared with PostgreSQL's batch answer (tests/e2e/test_nexmark_results.sh
# with NEXMARK_EVENTS=10000000), on the release build.
#
#   scripts/nexmark-10m-check.sh                   # from the repository root; all queries
#   NEXMARK_QUERIES="q0 q13" scripts/nexmark-10m-check.sh
#   NEXMARK_EVENTS=1000000 scripts/nexmark-10m-check.sh
#
# It builds build/ as `make release` does. The test's files (events, PostgreSQL's data directory,
# outputs, the comparison's sorted copies) go under $TMPDIR (default /tmp): at 10 million events
# they take up to ~15 GB at once (a query's outputs are removed once it passed). Each job may run
# for up to SPATE_TEST_TIMEOUT_MS (default here one hour). Takes a few hours on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

make release >/dev/null
export SPATE=build/bin/spate SPATE_EXAMPLES=build/examples
export NEXMARK_EVENTS=${NEXMARK_EVENTS:-10000000}
export SPATE_TEST_TIMEOUT_MS=${SPATE_TEST_TIMEOUT_MS:-3600000}
start=$SECONDS
status=0
bash tests/e2e/test_nexmark_results.sh || status=$?
echo "nexmark-10m-check: $NEXMARK_EVENTS events, $((SECONDS - start)) s, exit $status"
exit "$status"
