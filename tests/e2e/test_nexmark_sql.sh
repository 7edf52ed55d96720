#!/usr/bin/env bash
# test_nexmark_sql.sh: Nexmark's SQL queries as nexmark-flink writes them (examples/nexmark-sql/
# q<N>.sql, with Spate's source DDL ddl.sql) through `spate sql -f` at parallelism 2 over 20,000
# events: each INSERT runs to its end (table.dml-sync), and its plan has the node the query
# illustrates (q18 a Deduplicate keeping the last row on event time, q19 a Top-10 Rank); an
# endless INSERT with table.dml-sync ends with its job cancelled on SIGTERM.
# Run by ctest from the build directory with SPATE and SPATE_SOURCE_DIR set.
set -euo pipefail
export LC_ALL=C TZ=UTC

SPATE=${SPATE:-build/bin/spate}
src=${SPATE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
queries=$src/examples/nexmark-sql
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SPATE_CONF_DIR=$tmp/conf
mkdir -p "$SPATE_CONF_DIR"
: >"$SPATE_CONF_DIR/config.yaml"

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sed "s/'connector' = 'nexmark'/&, 'events.num' = '20000'/" "$queries/ddl.sql" >"$tmp/ddl.sql"
for q in q0 q1 q2 q18 q19; do
  cat "$tmp/ddl.sql" "$queries/$q.sql" >"$tmp/$q.sql"
  run "$q" sql -D table.dml-sync=true -D parallelism.default=2 -f "$tmp/$q.sql"
  if [ "$rc" -eq 0 ] && grep -q 'Complete execution of the SQL update statement' "$tmp/$q.out"; then
    pass "$q runs to its end"
  else
    cat "$tmp/$q.err" >>"$tmp/$q.out"
    fail "$q runs to its end (exit $rc)" "$tmp/$q.out"
  fi
done

# the plans: the INSERT of each query file under EXPLAIN
plan_has() {
  local q=$1 want=$2
  { cat "$tmp/ddl.sql"; sed 's/^INSERT/EXPLAIN INSERT/' "$queries/$q.sql"; } >"$tmp/$q.explain.sql"
  run "$q.explain" sql -f "$tmp/$q.explain.sql"
  assert "$q plans $want" grep -qF "$want" "$tmp/$q.explain.out"
}
plan_has q18 "Deduplicate(keep=[LastRow], key=[bidder, auction], order=[ROWTIME])"
plan_has q19 "Rank(strategy=[AppendFastStrategy], rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=10], partitionBy=[auction], orderBy=[price DESC]"

# An INSERT of an endless source with table.dml-sync: SIGTERM to the client cancels its job and
# ends the client, as Ctrl-C cancels a query.
mkdir -p "$tmp/out"
{ cat "$queries/ddl.sql"; cat <<EOF
CREATE TABLE out_fs (auction BIGINT, price BIGINT)
WITH ('connector' = 'filesystem', 'path' = '$tmp/out', 'format' = 'csv');
INSERT INTO out_fs SELECT auction, price FROM bid;
EOF
} >"$tmp/endless.sql"
"$SPATE" sql -D table.dml-sync=true -f "$tmp/endless.sql" >"$tmp/endless.out" 2>&1 &
pid=$!
if await "the endless INSERT writes its first part file" \
  bash -c "[ -n \"\$(ls -A '$tmp/out' 2>/dev/null)\" ]"; then
  kill -TERM "$pid"
  await "the client ends after SIGTERM" bash -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid"
fi
wait "$pid" 2>/dev/null || true
assert "SIGTERM cancels a synchronous INSERT's job and ends the client" \
  grep -q "The INSERT job was cancelled" "$tmp/endless.out"

echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
