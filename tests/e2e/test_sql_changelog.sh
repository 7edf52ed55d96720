#!/usr/bin/env bash
# test_sql_changelog.sh: Flink's changelog-mode inference, as `EXPLAIN CHANGELOG_MODE` prints it
# in the optimized physical plan (`spate sql -f`):
# - the example of Flink's EXPLAIN page (an aggregation over an aggregation, a query without a
#   sink): the outer aggregation gives +U alone and deletes ([I,UA,D]) and retracts
#   (COUNT_RETRACT), the inner one keeps its -U ([I,UB,UA]) because the outer one retracts with
#   it. The plan is compared with the page's text, line for line;
# - INSERT INTO a print sink keeps -U; a blackhole sink (whose factory drops UPDATE_BEFORE) makes
#   the aggregation emit +I and +U only, through a calc and a union with an insert-only input;
# - except where Flink keeps -U: a filter over the updates (HAVING, FLINK-9528), and a blackhole
#   whose primary key is not the aggregation's key (one on the key, through the sink's cast to
#   NOT NULL, takes +U alone);
# - the INSERT into a blackhole runs to its end through the job of the plan above.
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

cat >"$tmp/tables.sql" <<'EOF'
CREATE TABLE datagen_table (word STRING, frequency INT)
WITH ('connector' = 'datagen', 'number-of-rows' = '1000', 'fields.word.length' = '1');
CREATE TABLE p (word STRING, c BIGINT) WITH ('connector' = 'print');
CREATE TABLE bh (word STRING, c BIGINT) WITH ('connector' = 'blackhole');
CREATE TABLE bh_key (word STRING, c BIGINT, PRIMARY KEY (word) NOT ENFORCED)
WITH ('connector' = 'blackhole');
CREATE TABLE bh_other (word STRING, c BIGINT, PRIMARY KEY (c) NOT ENFORCED)
WITH ('connector' = 'blackhole');
EOF

# plan NAME STATEMENT: the optimized physical plan of EXPLAIN CHANGELOG_MODE STATEMENT compared
# with the text on stdin.
plan() {
  local name=$1 stmt=$2
  cat >"$tmp/$name.expected"
  { cat "$tmp/tables.sql"; echo "EXPLAIN CHANGELOG_MODE $stmt"; } >"$tmp/$name.sql"
  run "$name" sql -f "$tmp/$name.sql"
  awk '/^== Optimized Physical Plan ==$/ { on = 1; next } /^== / { on = 0 } on && NF' \
    "$tmp/$name.out" >"$tmp/$name.plan"
  expect_run "$name" 0 "$tmp/$name.plan"
}

# The example of Flink's EXPLAIN page, its physical plan as the page prints it.
plan flink_docs_example "SELECT frequency, COUNT(*) AS num
FROM (
  SELECT word, SUM(frequency) AS frequency
  FROM datagen_table
  GROUP BY word
)
GROUP BY frequency;" <<'EOF'
GroupAggregate(groupBy=[frequency], select=[frequency, COUNT_RETRACT(*) AS num], changelogMode=[I,UA,D])
+- Exchange(distribution=[hash[frequency]], changelogMode=[I,UB,UA])
   +- Calc(select=[frequency], changelogMode=[I,UB,UA])
      +- GroupAggregate(groupBy=[word], select=[word, SUM(frequency) AS frequency], changelogMode=[I,UB,UA])
         +- Exchange(distribution=[hash[word]], changelogMode=[I])
            +- TableSourceScan(table=[[default_catalog, default_database, datagen_table]], fields=[word, frequency], changelogMode=[I])
EOF

plan print_keeps_update_before \
  "INSERT INTO p SELECT word, COUNT(*) FROM datagen_table GROUP BY word;" <<'EOF'
Sink(table=[default_catalog.default_database.p], fields=[word, c], changelogMode=[NONE])
+- Calc(select=[word, CAST(EXPR$1):BIGINT AS EXPR$1], changelogMode=[I,UB,UA])
   +- GroupAggregate(groupBy=[word], select=[word, COUNT(*) AS EXPR$1], changelogMode=[I,UB,UA])
      +- Exchange(distribution=[hash[word]], changelogMode=[I])
         +- Calc(select=[word], changelogMode=[I])
            +- TableSourceScan(table=[[default_catalog, default_database, datagen_table]], fields=[word, frequency], changelogMode=[I])
EOF

plan blackhole_update_after_only \
  "INSERT INTO bh SELECT word, COUNT(*) FROM datagen_table GROUP BY word
UNION ALL SELECT word, CAST(frequency AS BIGINT) FROM datagen_table;" <<'EOF'
Sink(table=[default_catalog.default_database.bh], fields=[word, c], changelogMode=[NONE])
+- Union(all=[true], union=[word, EXPR$1], changelogMode=[I,UA])
   :- Calc(select=[word, CAST(EXPR$1):BIGINT AS EXPR$1], changelogMode=[I,UA])
   :  +- GroupAggregate(groupBy=[word], select=[word, COUNT(*) AS EXPR$1], changelogMode=[I,UA])
   :     +- Exchange(distribution=[hash[word]], changelogMode=[I])
   :        +- Calc(select=[word], changelogMode=[I])
   :           +- TableSourceScan(table=[[default_catalog, default_database, datagen_table]], fields=[word, frequency], changelogMode=[I])
   +- Calc(select=[word, CAST(frequency):BIGINT AS EXPR$1], changelogMode=[I])
      +- TableSourceScan(table=[[default_catalog, default_database, datagen_table]], fields=[word, frequency], changelogMode=[I])
EOF

plan blackhole_filter_keeps_update_before \
  "INSERT INTO bh SELECT word, COUNT(*) FROM datagen_table GROUP BY word HAVING COUNT(*) < 10;" \
  <<'EOF'
Sink(table=[default_catalog.default_database.bh], fields=[word, c], changelogMode=[NONE])
+- Calc(select=[word, CAST(EXPR$1):BIGINT AS EXPR$1], where=[<(EXPR$1, 10)], changelogMode=[I,UB,UA])
   +- GroupAggregate(groupBy=[word], select=[word, COUNT(*) AS EXPR$1], changelogMode=[I,UB,UA])
      +- Exchange(distribution=[hash[word]], changelogMode=[I])
         +- Calc(select=[word], changelogMode=[I])
            +- TableSourceScan(table=[[default_catalog, default_database, datagen_table]], fields=[word, frequency], changelogMode=[I])
EOF

plan blackhole_primary_key_on_group_key \
  "INSERT INTO bh_key SELECT word, COUNT(*) FROM datagen_table GROUP BY word;" <<'EOF'
Sink(table=[default_catalog.default_database.bh_key], fields=[word, c], changelogMode=[NONE])
+- Calc(select=[CAST(word):STRING NOT NULL AS word, CAST(EXPR$1):BIGINT AS EXPR$1], changelogMode=[I,UA])
   +- GroupAggregate(groupBy=[word], select=[word, COUNT(*) AS EXPR$1], changelogMode=[I,UA])
      +- Exchange(distribution=[hash[word]], changelogMode=[I])
         +- Calc(select=[word], changelogMode=[I])
            +- TableSourceScan(table=[[default_catalog, default_database, datagen_table]], fields=[word, frequency], changelogMode=[I])
EOF

plan blackhole_primary_key_elsewhere \
  "INSERT INTO bh_other SELECT word, COUNT(*) FROM datagen_table GROUP BY word;" <<'EOF'
Sink(table=[default_catalog.default_database.bh_other], fields=[word, c], changelogMode=[NONE])
+- GroupAggregate(groupBy=[word], select=[word, COUNT(*) AS EXPR$1], changelogMode=[I,UB,UA])
   +- Exchange(distribution=[hash[word]], changelogMode=[I])
      +- Calc(select=[word], changelogMode=[I])
         +- TableSourceScan(table=[[default_catalog, default_database, datagen_table]], fields=[word, frequency], changelogMode=[I])
EOF

# The job of the blackhole plan (its aggregation without -U) runs to its end.
{
  cat "$tmp/tables.sql"
  echo "SET 'table.dml-sync' = 'true';"
  echo "INSERT INTO bh SELECT word, COUNT(*) FROM datagen_table GROUP BY word;"
} >"$tmp/run.sql"
run blackhole_job sql -f "$tmp/run.sql"
if [ "$rc" -eq 0 ] && grep -q "Complete execution of the SQL update statement" "$tmp/blackhole_job.out"; then
  pass blackhole_job
else
  cat "$tmp/blackhole_job.err" >>"$tmp/blackhole_job.out"
  fail "blackhole_job: exit code $rc" "$tmp/blackhole_job.out"
fi

echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
