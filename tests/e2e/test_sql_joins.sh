#!/usr/bin/env bash
# test_sql_joins.sh: regular joins through `spate sql -f`, beside the results test_sql_postgres
# compares with PostgreSQL's:
# - the plans (EXPLAIN) of Flink's JoinTest `SELECT b, y FROM t LEFT OUTER JOIN s ON a = z AND
#   b < x`: the abstract syntax tree as Flink prints it, line for line; the physical plan's Join
#   with its whole condition and each input hashed on its key;
# - changelog modes (EXPLAIN CHANGELOG_MODE): a FULL join of insert-only inputs in front of a
#   blackhole is [I,UA,D] as in Flink's JoinTest; in front of print it keeps -U ([I,UB,UA,D]);
#   an inner join of insert-only inputs is insert-only and runs into a filesystem sink, while an
#   outer join there is refused with Flink's message;
# - a comma join with the key in WHERE, and `SELECT *` naming the second `id` `id0`;
# - a join without a key: both inputs brought to one task (Exchange single), every pair found at
#   parallelism 2;
# - errors: an unqualified name both sides have is ambiguous (with its line and column), USING
#   is refused naming what to write instead.
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

printf '1,10,100\n2,20,200\n3,30,300\n' >"$tmp/t.csv"
printf '15,b,1\n5,c,1\n25,d,2\n1,e,4\n' >"$tmp/s.csv"
cat >"$tmp/tables.sql" <<EOF
CREATE TABLE t (a INT, b BIGINT, c INT)
WITH ('connector' = 'filesystem', 'path' = '$tmp/t.csv', 'format' = 'csv');
CREATE TABLE s (x BIGINT, y STRING, z INT)
WITH ('connector' = 'filesystem', 'path' = '$tmp/s.csv', 'format' = 'csv');
CREATE TABLE bh (a INT, y STRING) WITH ('connector' = 'blackhole');
CREATE TABLE p (a INT, y STRING) WITH ('connector' = 'print');
CREATE TABLE out_fs (a INT, y STRING)
WITH ('connector' = 'filesystem', 'path' = '$tmp/out', 'format' = 'csv');
CREATE TABLE out_nokey (a INT, y STRING)
WITH ('connector' = 'filesystem', 'path' = '$tmp/out_nokey', 'format' = 'csv');
EOF


section join_ast "Abstract Syntax Tree" "SELECT b, y FROM t LEFT OUTER JOIN s ON a = z AND b < x;" <<'EOF'
LogicalProject(b=[$1], y=[$4])
+- LogicalJoin(condition=[AND(=($0, $5), <($1, $3))], joinType=[left])
   :- LogicalTableScan(table=[[default_catalog, default_database, t]])
   +- LogicalTableScan(table=[[default_catalog, default_database, s]])
EOF

section join_physical "Optimized Physical Plan" \
  "SELECT b, y FROM t LEFT OUTER JOIN s ON a = z AND b < x;" <<'EOF'
Calc(select=[b, y])
+- Join(joinType=[LeftOuterJoin], where=[AND(=(a, z), <(b, x))], select=[a, b, c, x, y, z], leftInputSpec=[NoUniqueKey], rightInputSpec=[NoUniqueKey])
   :- Exchange(distribution=[hash[a]])
   :  +- TableSourceScan(table=[[default_catalog, default_database, t]], fields=[a, b, c])
   +- Exchange(distribution=[hash[z]])
      +- TableSourceScan(table=[[default_catalog, default_database, s]], fields=[x, y, z])
EOF

section full_blackhole "Optimized Physical Plan" \
  "CHANGELOG_MODE INSERT INTO bh SELECT a, y FROM t FULL JOIN s ON a = z;" <<'EOF'
Sink(table=[default_catalog.default_database.bh], fields=[a, y], changelogMode=[NONE])
+- Calc(select=[a, y], changelogMode=[I,UA,D])
   +- Join(joinType=[FullOuterJoin], where=[=(a, z)], select=[a, b, c, x, y, z], leftInputSpec=[NoUniqueKey], rightInputSpec=[NoUniqueKey], changelogMode=[I,UA,D])
      :- Exchange(distribution=[hash[a]], changelogMode=[I])
      :  +- TableSourceScan(table=[[default_catalog, default_database, t]], fields=[a, b, c], changelogMode=[I])
      +- Exchange(distribution=[hash[z]], changelogMode=[I])
         +- TableSourceScan(table=[[default_catalog, default_database, s]], fields=[x, y, z], changelogMode=[I])
EOF

section left_print "Optimized Physical Plan" \
  "CHANGELOG_MODE INSERT INTO p SELECT a, y FROM t LEFT JOIN s ON a = z;" <<'EOF'
Sink(table=[default_catalog.default_database.p], fields=[a, y], changelogMode=[NONE])
+- Calc(select=[a, y], changelogMode=[I,UB,UA,D])
   +- Join(joinType=[LeftOuterJoin], where=[=(a, z)], select=[a, b, c, x, y, z], leftInputSpec=[NoUniqueKey], rightInputSpec=[NoUniqueKey], changelogMode=[I,UB,UA,D])
      :- Exchange(distribution=[hash[a]], changelogMode=[I])
      :  +- TableSourceScan(table=[[default_catalog, default_database, t]], fields=[a, b, c], changelogMode=[I])
      +- Exchange(distribution=[hash[z]], changelogMode=[I])
         +- TableSourceScan(table=[[default_catalog, default_database, s]], fields=[x, y, z], changelogMode=[I])
EOF

# inserted NAME DIR WHAT [OPTION...]: runs the tables and $tmp/NAME.sql (an INSERT into a
# filesystem table at $tmp/DIR) through `spate sql` with table.dml-sync and the options, then
# compares the files' rows, sorted, with the rows on stdin; WHAT says what that shows.
inserted() {
  local name=$1 dir=$2 what=$3
  shift 3
  cat >"$tmp/$name.want"
  run "$name" sql -D table.dml-sync=true "$@" -f <(cat "$tmp/tables.sql" "$tmp/$name.sql")
  if [ "$rc" -ne 0 ]; then
    fail "$name: the INSERT runs" "$tmp/$name.err"
    return
  fi
  cat "$tmp/$dir"/* 2>/dev/null | sort >"$tmp/$name.rows"
  if diff -u "$tmp/$name.want" "$tmp/$name.rows" >"$tmp/$name.diff"; then
    pass "$name: $what"
  else
    fail "$name: $what" "$tmp/$name.diff"
  fi
}

# The inner join's rows in a filesystem sink (insert-only): its committed file.
sql_query inner_fs <<'EOF'
INSERT INTO out_fs SELECT a, y FROM t JOIN s ON a = z WHERE b < x;
EOF
inserted inner_fs out "the inner join's rows are in the filesystem sink" \
  -D execution.runtime-mode=batch <<'EOF'
1,b
2,d
EOF

sql_query outer_fs <<'EOF'
INSERT INTO out_fs SELECT a, y FROM t LEFT JOIN s ON a = z;
EOF
sql_check "$tmp/tables.sql" outer_fs 1 <<'EOF'
Spate SQL> INSERT INTO out_fs SELECT a, y FROM t LEFT JOIN s ON a = z;
[ERROR] Could not execute SQL statement. Reason:
TableException: Table sink 'default_catalog.default_database.out_fs' doesn't support consuming update and delete changes which is produced by node Join(joinType=[LeftOuterJoin], where=[(a = z)], select=[a, b, c, x, y, z], leftInputSpec=[NoUniqueKey], rightInputSpec=[NoUniqueKey])

EOF

sql_query comma <<'EOF'
SELECT * FROM t, s WHERE a = z AND b < x;
EOF
sql_check "$tmp/tables.sql" comma 0 <<'EOF'
Spate SQL> SELECT * FROM t, s WHERE a = z AND b < x;
+----+-------------+----------------------+-------------+----------------------+--------------------------------+-------------+
| op |           a |                    b |           c |                    x |                              y |           z |
+----+-------------+----------------------+-------------+----------------------+--------------------------------+-------------+
| +I |           1 |                   10 |         100 |                   15 |                              b |           1 |
| +I |           2 |                   20 |         200 |                   25 |                              d |           2 |
+----+-------------+----------------------+-------------+----------------------+--------------------------------+-------------+
Received a total of 2 rows

EOF

sql_query star_names <<'EOF'
SELECT * FROM t AS l JOIN t AS r ON l.a = r.a WHERE l.a = 2;
EOF
sql_check "$tmp/tables.sql" star_names 0 <<'EOF'
Spate SQL> SELECT * FROM t AS l JOIN t AS r ON l.a = r.a WHERE l.a = 2;
+----+-------------+----------------------+-------------+-------------+----------------------+-------------+
| op |           a |                    b |           c |          a0 |                   b0 |          c0 |
+----+-------------+----------------------+-------------+-------------+----------------------+-------------+
| +I |           2 |                   20 |         200 |           2 |                   20 |         200 |
+----+-------------+----------------------+-------------+-------------+----------------------+-------------+
Received a total of 1 row

EOF

sql_query ambiguous <<'EOF'
SELECT a, b
FROM t AS l JOIN t AS r ON l.a = r.a;
EOF
sql_check "$tmp/tables.sql" ambiguous 1 <<'EOF'
Spate SQL> SELECT a, b
FROM t AS l JOIN t AS r ON l.a = r.a;
[ERROR] Could not execute SQL statement. Reason:
ValidationException: SQL validation failed. At line 11, column 8: Column 'a' is ambiguous

EOF

sql_query using <<'EOF'
SELECT * FROM t JOIN s USING (a);
EOF
sql_check "$tmp/tables.sql" using 1 <<'EOF'
Spate SQL> SELECT * FROM t JOIN s USING (a);
[ERROR] Could not execute SQL statement. Reason:
TableException: USING joins are not supported by Spate's SQL planner yet: write the condition with ON

EOF

# A join without a key: both inputs to one task, as Flink's singleton distribution.
section no_key_plan "Optimized Physical Plan" "SELECT a, y FROM t JOIN s ON b < x;" <<'EOF'
Calc(select=[a, y])
+- Join(joinType=[InnerJoin], where=[<(b, x)], select=[a, b, c, x, y, z], leftInputSpec=[NoUniqueKey], rightInputSpec=[NoUniqueKey])
   :- Exchange(distribution=[single])
   :  +- TableSourceScan(table=[[default_catalog, default_database, t]], fields=[a, b, c])
   +- Exchange(distribution=[single])
      +- TableSourceScan(table=[[default_catalog, default_database, s]], fields=[x, y, z])
EOF
sql_query no_key <<'EOF'
SET 'parallelism.default' = '2';
INSERT INTO out_nokey SELECT a, y FROM t JOIN s ON b < x;
EOF
inserted no_key out_nokey "the join without a key found every pair" <<'EOF'
1,b
1,d
2,d
EOF

echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
