#!/usr/bin/env bash
# test_sql_over.sh: OVER aggregations through `spate sql -f`, beside the results
# test_sql_postgres compares with PostgreSQL's:
# - plans (EXPLAIN): the windowed calls in the abstract syntax tree as Calcite prints them (the
#   frame's lower bound alone up to the current row, none for the default RANGE UNBOUNDED
#   PRECEDING, intervals with their unit); the OverAggregate of Flink's OverAggregateTest shapes
#   (`window=[ ROWS BETWEEN 2 PRECEDING AND CURRENT ROW]`, `RANG BETWEEN 10000 PRECEDING ...`)
#   over an exchange hashed on PARTITION BY (single without it), insert-only;
# - rows at parallelism 1 as the client shows them: event time, each row once the watermark
#   passed it, in time order per key, with its frame's results; a named window (WINDOW w AS
#   (...)); a RANGE frame the older rows leave;
# - errors as Flink's: two windows in one SELECT (the same frame written two ways is one),
#   FOLLOWING, a descending or two-key ORDER BY, one that is not a time attribute, an updating
#   input (naming the node).
# Run by ctest from the build directory with SPATE set.
set -euo pipefail
export LC_ALL=C TZ=UTC

SPATE=${SPATE:-build/bin/spate}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SPATE_CONF_DIR=$tmp/conf # an empty configuration: only what the test sets
mkdir -p "$SPATE_CONF_DIR"
: >"$SPATE_CONF_DIR/config.yaml"

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# k, v, ts: rows of key 1 out of order within the watermark's second
printf '1,10,2020-01-01 00:00:01\n1,20,2020-01-01 00:00:03\n2,5,2020-01-01 00:00:02\n1,30,2020-01-01 00:00:02\n1,40,2020-01-01 00:00:06\n2,6,2020-01-01 00:00:09\n' >"$tmp/e.csv"
cat >"$tmp/tables.sql" <<EOF
SET 'parallelism.default' = '1';
CREATE TABLE e (k INT, v INT, ts TIMESTAMP(3), pt AS PROCTIME(),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '$tmp/e.csv', 'format' = 'csv');
EOF


rows2="SELECT k, v, SUM(v) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s FROM e;"
section rows_ast "Abstract Syntax Tree" "$rows2" <<'EOF'
LogicalProject(k=[$0], v=[$1], s=[SUM($1) OVER (PARTITION BY $0 ORDER BY $2 NULLS FIRST ROWS 2 PRECEDING)])
+- LogicalWatermarkAssigner(rowtime=[ts], watermark=[-($2, 1000:INTERVAL SECOND)])
   +- LogicalProject(k=[$0], v=[$1], ts=[$2], pt=[PROCTIME()])
      +- LogicalTableScan(table=[[default_catalog, default_database, e]])
EOF

section rows_physical "Optimized Physical Plan" "CHANGELOG_MODE $rows2" <<'EOF'
Calc(select=[k, v, w0$o0 AS s], changelogMode=[I])
+- OverAggregate(partitionBy=[k], orderBy=[ts ASC], window=[ ROWS BETWEEN 2 PRECEDING AND CURRENT ROW], select=[k, v, ts, SUM(v) AS w0$o0], changelogMode=[I])
   +- Exchange(distribution=[hash[k]], changelogMode=[I])
      +- WatermarkAssigner(rowtime=[ts], watermark=[-(ts, 1000:INTERVAL SECOND)], changelogMode=[I])
         +- TableSourceScan(table=[[default_catalog, default_database, e]], fields=[k, v, ts], changelogMode=[I])
EOF

section range_physical "Optimized Physical Plan" \
  "SELECT k, MAX(v) OVER (ORDER BY ts RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW) AS m, COUNT(*) OVER (ORDER BY ts RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW) AS c FROM e;" <<'EOF'
Calc(select=[k, w0$o0 AS m, w0$o1 AS c])
+- OverAggregate(orderBy=[ts ASC], window=[ RANG BETWEEN 10000 PRECEDING AND CURRENT ROW], select=[k, v, ts, MAX(v) AS w0$o0, COUNT(*) AS w0$o1])
   +- Exchange(distribution=[single])
      +- WatermarkAssigner(rowtime=[ts], watermark=[-(ts, 1000:INTERVAL SECOND)])
         +- TableSourceScan(table=[[default_catalog, default_database, e]], fields=[k, v, ts])
EOF

section proctime_ast "Abstract Syntax Tree" "SELECT k, AVG(v) OVER (PARTITION BY k ORDER BY pt) FROM e;" <<'EOF'
LogicalProject(k=[$0], EXPR$1=[AVG($1) OVER (PARTITION BY $0 ORDER BY $3 NULLS FIRST)])
+- LogicalWatermarkAssigner(rowtime=[ts], watermark=[-($2, 1000:INTERVAL SECOND)])
   +- LogicalProject(k=[$0], v=[$1], ts=[$2], pt=[PROCTIME()])
      +- LogicalTableScan(table=[[default_catalog, default_database, e]])
EOF

# rows: the table's columns and the results, as the client's tableau shows them, per key in the
# order they came (keys interleave as the watermarks happen to arrive; a key's rows do not)
rows() {
  local name=$1
  cat >"$tmp/$name.expected"
  { cat "$tmp/tables.sql"; echo "$2"; } >"$tmp/$name.sql"
  run "$name" sql -D sql-client.execution.result-mode=tableau -f "$tmp/$name.sql"
  awk -F'|' '/^\| [-+][IUD] /{ s = $2; for (i = 3; i < NF; i++) s = s "," $i; gsub(/ /, "", s); print s }' \
    "$tmp/$name.out" | sort -s -t, -k2,2 >"$tmp/$name.rows"
  expect_run "$name" 0 "$tmp/$name.rows"
}

# key 1 in time order: 10 (1 s), 30 (2 s), 20 (3 s), 40 (6 s); each with the row before
rows rows1 "SELECT k, v, SUM(v) OVER w AS s, COUNT(*) OVER w AS c FROM e WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW);" <<'EOF'
+I,1,10,10,1
+I,1,30,40,2
+I,1,20,50,2
+I,1,40,60,2
+I,2,5,5,1
+I,2,6,11,2
EOF

# the frame [t - 2 s, t]: at 6 s only the row itself
rows range2 "SELECT k, v, MIN(v) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW) AS m FROM e;" <<'EOF'
+I,1,10,10
+I,1,30,10
+I,1,20,10
+I,1,40,40
+I,2,5,5
+I,2,6,6
EOF


sql_error two_windows "SELECT SUM(v) OVER (ORDER BY ts), COUNT(v) OVER (PARTITION BY k ORDER BY ts) FROM e;" <<'EOF'
TableException: Over Agg: Unsupported use of OVER windows. All aggregates must be computed on the same window. please re-check the over window statement.
EOF
sql_error following "SELECT SUM(v) OVER (ORDER BY ts ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING) FROM e;" <<'EOF'
TableException: OVER RANGE FOLLOWING windows are not supported yet.
EOF
sql_error descending "SELECT SUM(v) OVER (ORDER BY ts DESC) FROM e;" <<'EOF'
TableException: The window can only be ordered in ASCENDING mode.
EOF
sql_error two_keys "SELECT SUM(v) OVER (ORDER BY ts, k) FROM e;" <<'EOF'
TableException: The window can only be ordered by a single time column.
EOF
sql_error not_time "SELECT SUM(v) OVER (PARTITION BY k ORDER BY v) FROM e;" <<'EOF'
TableException: OVER windows' ordering in stream mode must be defined on a time attribute.
EOF
sql_error updating "SELECT k, SUM(n) OVER (ORDER BY pt) FROM (SELECT k, COUNT(*) AS n, PROCTIME() AS pt FROM e GROUP BY k);" <<'EOF'
TableException: StreamPhysicalOverAggregate doesn't support consuming update changes which is produced by node GroupAggregate(groupBy=[k], select=[k, COUNT(*) AS n])
EOF

# the same frame written two ways is one window (Calcite's RexWindow is the same)
section same_window "Optimized Physical Plan" \
  "SELECT SUM(v) OVER (ORDER BY ts ROWS 2 PRECEDING) AS s, COUNT(v) OVER (ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS c FROM e;" <<'EOF'
Calc(select=[w0$o0 AS s, w0$o1 AS c])
+- OverAggregate(orderBy=[ts ASC], window=[ ROWS BETWEEN 2 PRECEDING AND CURRENT ROW], select=[v, ts, SUM(v) AS w0$o0, COUNT(v) AS w0$o1])
   +- Exchange(distribution=[single])
      +- WatermarkAssigner(rowtime=[ts], watermark=[-(ts, 1000:INTERVAL SECOND)])
         +- TableSourceScan(table=[[default_catalog, default_database, e, project=[v, ts], metadata=[]]], fields=[v, ts])
EOF

echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
