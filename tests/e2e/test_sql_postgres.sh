#!/usr/bin/env bash
# test_sql_postgres.sh: `spate sql` answers queries as PostgreSQL does.
#
# support/sql_pg_data.py writes two bounded tables as CSV files (people: numbers with negatives,
# strings with outer spaces, empty and non-ASCII ones, NULLs in every column; events: 400 rows
# with millisecond timestamps over ten minutes). A private PostgreSQL server (support/pg.sh)
# loads the same files with \copy; Spate reads them through the filesystem connector. Each query
# of support/sql_pg_queries.sql runs through `spate sql -f` (all in one script, a job each; a
# query that fails ends a script, and the next script runs the queries after it) and through
# psql, and the two results must be equal as multisets of rows (support/sql_pg_compare.py:
# Spate's changelog applied for updating queries, numbers compared by value, TRUE/FALSE for t/f). Where Flink's semantics differ from PostgreSQL's the query
# table gives PostgreSQL the equivalent SQL: AVG of an integer column is Flink's integer average
# (SUM / COUNT, truncated toward zero), window TVFs are date_bin or generate_series joins (also
# read on their own), GROUPING_ID is PostgreSQL's GROUPING of several arguments.
# SQL_PG_QUERIES (a space-separated list of query numbers) runs only those queries, and
# SQL_PG_QUERY_FILE the queries of another file of that format.
#
# Run by ctest from the build directory with SPATE set.
set -euo pipefail
export LC_ALL=C.UTF-8 TZ=UTC

SPATE=${SPATE:-build/bin/spate}
support="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/support"
tmp=$(mktemp -d)
export SPATE_CONF_DIR=$tmp/conf # an empty configuration: only what the test sets
mkdir -p "$SPATE_CONF_DIR"
: >"$SPATE_CONF_DIR/config.yaml"

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$support/pg.sh"
trap 'pg_stop; rm -rf "$tmp"' EXIT

mkdir -p "$tmp/data" "$tmp/q"
python3 "$support/sql_pg_data.py" "$tmp/data"
chmod -R a+rX "$tmp/data"

if ! pg_start "$tmp/pg" 2>"$tmp/pg.err"; then
  fail "a private PostgreSQL server starts" "$tmp/pg.err"
  exit 1
fi
pass "a private PostgreSQL server starts"

pg_sql <<'EOF_PG'
CREATE TABLE people (id int NOT NULL, name text, city text, age int, salary bigint,
  bonus numeric(8, 2), active boolean);
CREATE TABLE events (id int NOT NULL, pid int, kind text, amount int, ts timestamp(3));
EOF_PG
for t in people events; do
  pg_sql -c "\\copy $t FROM '$tmp/data/$t.csv' WITH (FORMAT csv, NULL '\\N')"
done
loaded=$(pg_sql -At -c "SELECT (SELECT count(*) FROM people) || ' ' || (SELECT count(*) FROM events)")
assert "PostgreSQL holds the 300 people and 400 events (it holds $loaded)" test "$loaded" = "300 400"

# The same tables for Spate, before each query. Column widths are raised so that no value is
# cut short ("...") in the tableau.
cat >"$tmp/tables.sql" <<EOF_SQL
SET 'sql-client.display.max-column-width' = '200';
CREATE TABLE people (id INT NOT NULL, name STRING, city STRING, age INT, salary BIGINT,
  bonus DECIMAL(8, 2), active BOOLEAN)
WITH ('connector' = 'filesystem', 'path' = '$tmp/data/people.csv', 'format' = 'csv',
  'csv.null-literal' = '\\N');
CREATE TABLE events (id INT NOT NULL, pid INT, kind STRING, amount INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)
WITH ('connector' = 'filesystem', 'path' = '$tmp/data/events.csv', 'format' = 'csv',
  'csv.null-literal' = '\\N');
EOF_SQL

n=$(python3 "$support/sql_pg_compare.py" split "${SQL_PG_QUERY_FILE:-$support/sql_pg_queries.sql}" "$tmp/q")
if [ -z "${SQL_PG_QUERY_FILE:-}" ]; then
  assert "the query table holds at least 25 queries (it holds $n)" test "$n" -ge 25
fi
todo=()
for ((i = 1; i <= n; i++)); do
  if [ -z "${SQL_PG_QUERIES:-}" ] || [[ " $SQL_PG_QUERIES " == *" $i "* ]]; then todo+=("$i"); fi
done

# Spate: the queries one after another in a script of one client (a job each). A failing query
# ends its script with its error, so the queries after it run in the next script.
declare -A broken=()
k=0
batch=0
while [ "$k" -lt "${#todo[@]}" ]; do
  batch=$((batch + 1))
  cp "$tmp/tables.sql" "$tmp/batch$batch.sql"
  for i in "${todo[@]:k}"; do cat "$tmp/q/$(printf %02d "$i").spate.sql" >>"$tmp/batch$batch.sql"; done
  run "batch$batch" sql -D sql-client.execution.result-mode=tableau -f "$tmp/batch$batch.sql"
  mkdir -p "$tmp/seg$batch"
  ran=$(python3 "$support/sql_pg_compare.py" segments "$tmp/batch$batch.out" "$tmp/seg$batch")
  for ((j = 0; j < ran; j++)); do
    mv "$tmp/seg$batch/$j" "$tmp/q/$(printf %02d "${todo[k + j]}").spate.out"
  done
  if [ "$rc" -eq 0 ] && [ "$ran" -eq $((${#todo[@]} - k)) ]; then break; fi
  if [ "$rc" -eq 0 ] || [ "$ran" -eq 0 ]; then
    cat "$tmp/batch$batch.err" >>"$tmp/batch$batch.out"
    fail "spate sql runs the queries (exit $rc after $ran of them)" "$tmp/batch$batch.out"
    for i in "${todo[@]:k}"; do broken[$i]=1; done
    break
  fi
  i=${todo[k + ran - 1]}
  broken[$i]=1
  q=$(printf %02d "$i")
  cat "$tmp/batch$batch.err" >>"$tmp/q/$q.spate.out"
  fail "query $i: $(cat "$tmp/q/$q.name") (spate sql exit $rc)" "$tmp/q/$q.spate.out"
  k=$((k + ran))
done

# PostgreSQL: the queries in one psql script, each into its own file (\o); a failing one is named
# by its file in psql's messages, and the others still run.
: >"$tmp/pg.sql"
for i in "${todo[@]}"; do
  q=$(printf %02d "$i")
  printf '\\o %s\n\\i %s\n' "$tmp/q/$q.pg.out" "$tmp/q/$q.pg.sql" >>"$tmp/pg.sql"
done
pg_sql -v ON_ERROR_STOP=0 -A -t -F $'\t' -P null='<NULL>' -f "$tmp/pg.sql" 2>"$tmp/pg.err" || true

compared=()
for i in "${todo[@]}"; do
  [ -z "${broken[$i]:-}" ] || continue
  q=$(printf %02d "$i")
  if grep -F "/q/$q.pg.sql:" "$tmp/pg.err" >"$tmp/q/$q.pg.err"; then
    fail "query $i: $(cat "$tmp/q/$q.name") (psql failed)" "$tmp/q/$q.pg.err"
    broken[$i]=1
  else
    compared+=("$i")
  fi
done
python3 "$support/sql_pg_compare.py" compare-all "$tmp/q" "${compared[@]}"
for i in "${compared[@]}"; do
  q=$(printf %02d "$i")
  name="query $i: $(cat "$tmp/q/$q.name")"
  if [ ! -s "$tmp/q/$q.diff" ]; then
    pass "$name"
  else
    { echo "query: $(cat "$tmp/q/$q.spate.sql")"; cat "$tmp/q/$q.diff"; } >"$tmp/q/$q.report"
    fail "$name" "$tmp/q/$q.report"
  fi
done

echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
