#!/usr/bin/env bash
# test_sql_topn.sh: Top-N and deduplication through `spate sql -f`, beside the results
# test_sql_postgres compares with PostgreSQL's:
# - plans (EXPLAIN): ROW_NUMBER() OVER in the abstract syntax tree as Calcite prints it; the
#   Rank of Flink's RankTest (AppendFastStrategy, the row number named as the query names it,
#   changelogMode=[I,UA,D] at the root); a Rank over an aggregation (RetractStrategy, its input
#   asked for -U) with the rest of the condition in a calc above; a Top-N without the number in
#   its output; rows 1 to 1 ordered on event time (Deduplicate LastRow ROWTIME) and on processing
#   time (Deduplicate FirstRow PROCTIME, insert-only into a blackhole);
# - changelogs at parallelism 1 as the client shows them, each as Flink's functions emit it: a
#   Top-2 with the number (-U/+U as rows move down, no -D), without it (-D of the row pushed
#   out, then +I), deduplication keeping the first and the last row on processing time and the
#   last row on event time (a tie goes to the later row);
# - errors as Flink's: RANK() on a stream, a rank without an end, ROW_NUMBER() without a filter
#   on it, a window in WHERE, a frame on ROW_NUMBER; window Top-N, which Spate does not run yet;
# - a Top-N without PARTITION BY at parallelism 2: its changes reach the client in order.
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

printf '1,5,a\n1,3,b\n2,7,c\n1,4,d\n1,9,e\n2,1,f\n1,1,g\n' >"$tmp/t.csv"
printf '1,a,2020-01-01 00:00:05\n1,b,2020-01-01 00:00:03\n2,c,2020-01-01 00:00:01\n1,d,2020-01-01 00:00:05\n' >"$tmp/e.csv"
cat >"$tmp/tables.sql" <<EOF
SET 'parallelism.default' = '1';
CREATE TABLE t (a INT, b INT, c STRING, pt AS PROCTIME())
WITH ('connector' = 'filesystem', 'path' = '$tmp/t.csv', 'format' = 'csv');
CREATE TABLE e (k INT, v STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '$tmp/e.csv', 'format' = 'csv');
CREATE TABLE bh (a INT, b INT, c STRING) WITH ('connector' = 'blackhole');
EOF


top10="SELECT a, b, c, row_num FROM (SELECT a, b, c, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC) AS row_num FROM t) WHERE row_num <= 10;"
section topn_ast "Abstract Syntax Tree" "$top10" <<'EOF'
LogicalProject(a=[$0], b=[$1], c=[$2], row_num=[$3])
+- LogicalFilter(condition=[<=($3, 10)])
   +- LogicalProject(a=[$0], b=[$1], c=[$2], row_num=[ROW_NUMBER() OVER (PARTITION BY $0 ORDER BY $1 DESC NULLS LAST)])
      +- LogicalProject(a=[$0], b=[$1], c=[$2], pt=[PROCTIME()])
         +- LogicalTableScan(table=[[default_catalog, default_database, t]])
EOF

section topn_physical "Optimized Physical Plan" "CHANGELOG_MODE $top10" <<'EOF'
Rank(strategy=[AppendFastStrategy], rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=10], partitionBy=[a], orderBy=[b DESC], select=[a, b, c, row_num], changelogMode=[I,UA,D])
+- Exchange(distribution=[hash[a]], changelogMode=[I])
   +- TableSourceScan(table=[[default_catalog, default_database, t]], fields=[a, b, c], changelogMode=[I])
EOF

section topn_retract "Optimized Physical Plan" \
  "CHANGELOG_MODE SELECT * FROM (SELECT a, n, ROW_NUMBER() OVER (PARTITION BY a ORDER BY n DESC) AS rn FROM (SELECT a, b, COUNT(*) AS n FROM t GROUP BY a, b)) WHERE rn <= 3 AND n > 1;" <<'EOF'
Calc(select=[a, n, rn], where=[>(n, 1)], changelogMode=[I,UB,UA,D])
+- Rank(strategy=[RetractStrategy], rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=3], partitionBy=[a], orderBy=[n DESC], select=[a, n, rn], changelogMode=[I,UB,UA,D])
   +- Exchange(distribution=[hash[a]], changelogMode=[I,UB,UA])
      +- Calc(select=[a, n], changelogMode=[I,UB,UA])
         +- GroupAggregate(groupBy=[a, b], select=[a, b, COUNT(*) AS n], changelogMode=[I,UB,UA])
            +- Exchange(distribution=[hash[a, b]], changelogMode=[I])
               +- TableSourceScan(table=[[default_catalog, default_database, t, project=[a, b], metadata=[]]], fields=[a, b], changelogMode=[I])
EOF

top2_plain="SELECT a, b, c FROM (SELECT a, b, c, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) AS rn FROM t) WHERE rn <= 2;"
section topn_no_number "Optimized Execution Plan" "$top2_plain" <<'EOF'
Rank(strategy=[AppendFastStrategy], rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=2], partitionBy=[a], orderBy=[b ASC], select=[a, b, c])
+- Exchange(distribution=[hash[a]])
   +- TableSourceScan(table=[[default_catalog, default_database, t]], fields=[a, b, c])
EOF

last_rowtime="SELECT k, v FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM e) WHERE rn = 1;"
section dedup_rowtime "Optimized Physical Plan" "CHANGELOG_MODE $last_rowtime" <<'EOF'
Calc(select=[k, v], changelogMode=[I,UA,D])
+- Deduplicate(keep=[LastRow], key=[k], order=[ROWTIME], changelogMode=[I,UA,D])
   +- Exchange(distribution=[hash[k]], changelogMode=[I])
      +- WatermarkAssigner(rowtime=[ts], watermark=[-(ts, 1000:INTERVAL SECOND)], changelogMode=[I])
         +- TableSourceScan(table=[[default_catalog, default_database, e]], fields=[k, v, ts], changelogMode=[I])
EOF

section dedup_proctime "Optimized Physical Plan" \
  "CHANGELOG_MODE INSERT INTO bh SELECT a, b, c FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a ORDER BY pt) AS rn FROM t) WHERE rn = 1;" <<'EOF'
Sink(table=[default_catalog.default_database.bh], fields=[a, b, c], changelogMode=[NONE])
+- Calc(select=[a, b, c], changelogMode=[I])
   +- Deduplicate(keep=[FirstRow], key=[a], order=[PROCTIME], changelogMode=[I])
      +- Exchange(distribution=[hash[a]], changelogMode=[I])
         +- Calc(select=[a, b, c, PROCTIME() AS pt], changelogMode=[I])
            +- TableSourceScan(table=[[default_catalog, default_database, t]], fields=[a, b, c], changelogMode=[I])
EOF

# ---- changelogs ---------------------------------------------------------------------------------

# changelog NAME QUERY: the query's rows as the client's tableau shows them (the op column, the
# values) compared with stdin.
changelog() {
  local name=$1
  cat >"$tmp/$name.expected"
  { cat "$tmp/tables.sql"; echo "$2"; } >"$tmp/$name.sql"
  run "$name" sql -D sql-client.execution.result-mode=tableau -f "$tmp/$name.sql"
  awk -F'|' '/^\| [-+][IUD] /{ s = $2; for (i = 3; i < NF; i++) s = s "," $i; gsub(/ /, "", s); print s }' \
    "$tmp/$name.out" >"$tmp/$name.rows"
  expect_run "$name" 0 "$tmp/$name.rows"
}

# rows sorted on b within a: a moves down to rank 2 (+I), d takes rank 2 (a pushed out without
# -D), e does not enter, g shifts b and d down
changelog top2_numbered "SELECT * FROM (SELECT a, b, c, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) AS rn FROM t) WHERE rn <= 2;" <<'EOF'
+I,1,5,a,1
-U,1,5,a,1
+U,1,3,b,1
+I,1,5,a,2
+I,2,7,c,1
-U,1,5,a,2
+U,1,4,d,2
-U,2,7,c,1
+U,2,1,f,1
+I,2,7,c,2
-U,1,3,b,1
+U,1,1,g,1
-U,1,4,d,2
+U,1,3,b,2
EOF

changelog top2_plain "$top2_plain" <<'EOF'
+I,1,5,a
+I,1,3,b
+I,2,7,c
-D,1,5,a
+I,1,4,d
+I,2,1,f
-D,1,4,d
+I,1,1,g
EOF

changelog first_proctime "SELECT a, b, c FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a ORDER BY pt) AS rn FROM t) WHERE rn = 1;" <<'EOF'
+I,1,5,a
+I,2,7,c
EOF

changelog last_proctime "SELECT a, c FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a ORDER BY pt DESC) AS rn FROM t) WHERE rn = 1;" <<'EOF'
+I,1,a
-U,1,a
+U,1,b
+I,2,c
-U,1,b
+U,1,d
-U,1,d
+U,1,e
-U,2,c
+U,2,f
-U,1,e
+U,1,g
EOF

# b is older than a: ignored; d ties a's time and came later: it is the last row
changelog last_rowtime "$last_rowtime" <<'EOF'
+I,1,a
+I,2,c
-U,1,a
+U,1,d
EOF

# ---- errors -------------------------------------------------------------------------------------


sql_error rank_fn "SELECT * FROM (SELECT a, RANK() OVER (PARTITION BY a ORDER BY b) AS r FROM t) WHERE r <= 2;" <<'EOF'
TableException: RANK() on streaming table is not supported currently
EOF
sql_error no_end "SELECT * FROM (SELECT a, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) AS r FROM t) WHERE r > 2;" <<'EOF'
TableException: Rank end is not specified. Currently rank only support TopN, which means the rank end must be specified.
EOF
sql_error no_filter "SELECT a, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) AS r FROM t;" <<'EOF'
TableException: OVER windows' ordering in stream mode must be defined on a time attribute.
EOF
sql_error in_where "SELECT a FROM t WHERE ROW_NUMBER() OVER (ORDER BY b) < 3;" <<'EOF'
ValidationException: SQL validation failed. At line 7, column 23: Windowed aggregate expression is illegal in WHERE clause
EOF
sql_error frame "SELECT * FROM (SELECT a, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b ROWS 2 PRECEDING) AS r FROM t) WHERE r <= 2;" <<'EOF'
ValidationException: SQL validation failed. At line 7, column 26: ROW/RANGE not allowed with RANK, DENSE_RANK or ROW_NUMBER functions
EOF
sql_error window_topn "SELECT * FROM (SELECT window_start, k, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY v) AS r FROM TABLE(TUMBLE(TABLE e, DESCRIPTOR(ts), INTERVAL '5' SECOND))) WHERE r <= 1;" <<'EOF'
TableException: Window Top-N and window deduplication (PARTITION BY window_start, window_end over a window table function) are not supported in Spate yet
EOF

# a Top-N without PARTITION BY runs on one task; at parallelism 2 the client still gets its
# changes in order (each +I before its -D, as the calc after the Rank keeps its one task)
printf 'SET '"'"'parallelism.default'"'"' = '"'"'2'"'"';\n' >"$tmp/par2.sql"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%d,%d,c%d\n", i % 3, (i * 7919) % 1000, i }' >"$tmp/big.csv"
cat >>"$tmp/par2.sql" <<EOF
CREATE TABLE big (a INT, b INT, c STRING)
WITH ('connector' = 'filesystem', 'path' = '$tmp/big.csv', 'format' = 'csv');
EOF
{ cat "$tmp/tables.sql" "$tmp/par2.sql"; echo "SELECT * FROM (SELECT a, b, c, ROW_NUMBER() OVER (ORDER BY b DESC, c) AS rn FROM big) WHERE rn <= 40;"; } >"$tmp/global.sql"
run global sql -D sql-client.execution.result-mode=tableau -f "$tmp/global.sql"
awk -F'|' '/^\| [-+][IUD] /{ k = $3 $4 $5 $6; gsub(/ /, "", k); op = $2; gsub(/ /, "", op)
  if (op == "+I" || op == "+U") { if (k in live) bad++; live[k] = 1 } else { if (!(k in live)) bad++; delete live[k] } }
  END { n = 0; for (k in live) n++; print bad + 0, n }' "$tmp/global.out" >"$tmp/global.check"
assert "global: the changes of a Top-40 without PARTITION BY at parallelism 2 come in order ($(cat "$tmp/global.check"))" \
  test "$(cat "$tmp/global.check")" = "0 40"

echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
