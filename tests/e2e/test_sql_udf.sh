#!/usr/bin/env bash
# test_sql_udf.sh: C user functions in SQL (include/spate/sql_function.h), driven through
# `spate sql -f` on the embedded MiniCluster with the test library
# build/tests/libspate_test_udfs.so (tests/udf/test_functions.c), comparing the client's exact
# output.
#
# - Calls over a table: strings, numbers (an INT argument cast to the declared BIGINT), NULL
#   seen by the function and NULL for a NOT NULL argument (the call is NULL, eval never runs),
#   a result longer than the engine's first buffer, timestamps.
# - A non-deterministic function with state from open counts 1, 2, 3 over the rows, also with
#   constant arguments (never folded), while a deterministic one with constant arguments is.
# - Resolution: a temporary system function shadows a built-in one, a catalog function named in
#   full, INT arguments cast to a declared DOUBLE, a function in a computed column.
# - SHOW USER FUNCTIONS, DROP FUNCTION (a call afterwards is not found).
# - Errors with their messages: a missing library, a missing symbol, arguments of the wrong
#   type or number (Flink's "Invalid function call"), an unknown function, and a function that
#   fails while the job runs.
#
# Run by ctest from the build directory with SPATE and SPATE_BUILD_DIR set.
set -euo pipefail
export LC_ALL=C TZ=UTC

SPATE=${SPATE:-build/bin/spate}
lib=${SPATE_BUILD_DIR:-build}/tests/libspate_test_udfs.so
lib=$(realpath "$lib")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SPATE_CONF_DIR=$tmp/conf # an empty configuration: only what the test sets
mkdir -p "$SPATE_CONF_DIR"
: >"$SPATE_CONF_DIR/config.yaml"

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cat >"$tmp/people.csv" <<'EOF2'
1,ann,2024-01-01 10:00:00,3.0,4.0
2,null,2024-01-01 23:30:00.5,null,null
13,bob,null,6.0,8.0
EOF2
# Eleven lines, so a query's first line is line 12 of its script.
cat >"$tmp/setup.sql" <<EOF2
CREATE TABLE people (id INT, name STRING, seen TIMESTAMP(3), x DOUBLE, y DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '$tmp/people.csv', 'format' = 'csv',
  'csv.null-literal' = 'null');
CREATE FUNCTION shout AS 'shout' LANGUAGE C USING JAR '$lib';
CREATE FUNCTION times_two AS 'times_two' LANGUAGE C USING JAR '$lib';
CREATE FUNCTION hypot2 AS 'hypot2' LANGUAGE C USING JAR '$lib';
CREATE FUNCTION strict_negate AS 'strict_negate' LANGUAGE C USING JAR '$lib';
CREATE FUNCTION is_null_text AS 'is_null_text' LANGUAGE C USING JAR '$lib';
CREATE FUNCTION next_hour AS 'next_hour' LANGUAGE C USING JAR '$lib';
CREATE TEMPORARY FUNCTION counter AS 'counter' LANGUAGE C USING JAR '$lib';
CREATE FUNCTION repeat_text AS 'repeat_text' LANGUAGE C USING JAR '$lib';
EOF2

# check NAME EXIT_CODE and query NAME: lib.sh's sql_check and sql_query after $tmp/setup.sql.
check() { sql_check "$tmp/setup.sql" "$@"; }
query() { sql_query "$@"; }

query calls <<'EOF2'
SELECT id, shout(name) AS loud, times_two(id) AS twice, hypot2(x, y) AS h, strict_negate(id) AS neg, is_null_text(name) AS no_name, next_hour(seen) AS later FROM people;
EOF2
check calls 0 <<'EOF2'
Spate SQL> SELECT id, shout(name) AS loud, times_two(id) AS twice, hypot2(x, y) AS h, strict_negate(id) AS neg, is_null_text(name) AS no_name, next_hour(seen) AS later FROM people;
+----+-------------+--------------------------------+----------------------+--------------------------------+-------------+---------+-------------------------+
| op |          id |                           loud |                twice |                              h |         neg | no_name |                   later |
+----+-------------+--------------------------------+----------------------+--------------------------------+-------------+---------+-------------------------+
| +I |           1 |                           ANN! |                    2 |                            5.0 |          -1 |   FALSE | 2024-01-01 11:00:00.000 |
| +I |           2 |                         <NULL> |                    4 |                            0.0 |          -2 |    TRUE | 2024-01-02 00:30:00.500 |
| +I |          13 |                           BOB! |                   26 |                           10.0 |         -13 |   FALSE |                  <NULL> |
+----+-------------+--------------------------------+----------------------+--------------------------------+-------------+---------+-------------------------+
Received a total of 3 rows

EOF2

# strict_negate's argument is declared INT NOT NULL: a NULL makes the call NULL without eval
# (which would fail: it refuses NULL).
query null_argument <<'EOF2'
SELECT strict_negate(CASE WHEN id = 2 THEN NULL ELSE id END) AS neg FROM people;
EOF2
check null_argument 0 <<'EOF2'
Spate SQL> SELECT strict_negate(CASE WHEN id = 2 THEN NULL ELSE id END) AS neg FROM people;
+----+-------------+
| op |         neg |
+----+-------------+
| +I |          -1 |
| +I |      <NULL> |
| +I |         -13 |
+----+-------------+
Received a total of 3 rows

EOF2

# A result of 600 bytes: more than the engine's first buffer, which grows.
query long_result <<'EOF2'
SELECT id, CHAR_LENGTH(repeat_text(name, 200)) AS len, SUBSTRING(repeat_text(name, 200), 598) AS tail FROM people;
EOF2
check long_result 0 <<'EOF2'
Spate SQL> SELECT id, CHAR_LENGTH(repeat_text(name, 200)) AS len, SUBSTRING(repeat_text(name, 200), 598) AS tail FROM people;
+----+-------------+-------------+--------------------------------+
| op |          id |         len |                           tail |
+----+-------------+-------------+--------------------------------+
| +I |           1 |         600 |                            ann |
| +I |           2 |      <NULL> |                         <NULL> |
| +I |          13 |         600 |                            bob |
+----+-------------+-------------+--------------------------------+
Received a total of 3 rows

EOF2

# counter() is not deterministic: called for every row (its count kept in state from open),
# never folded into a constant although it has no argument; shout('hi') is folded.
query nondeterministic <<'EOF2'
SELECT id, counter() AS n, shout('hi') AS greeting FROM people;
EOF2
check nondeterministic 0 <<'EOF2'
Spate SQL> SELECT id, counter() AS n, shout('hi') AS greeting FROM people;
+----+-------------+----------------------+--------------------------------+
| op |          id |                    n |                       greeting |
+----+-------------+----------------------+--------------------------------+
| +I |           1 |                    1 |                            HI! |
| +I |           2 |                    2 |                            HI! |
| +I |          13 |                    3 |                            HI! |
+----+-------------+----------------------+--------------------------------+
Received a total of 3 rows

EOF2

# A non-deterministic value used twice is computed once: the calcs are not merged (Flink's
# FlinkCalcMergeRule), so a + a doubles one count rather than adding two.
query not_merged <<'EOF2'
SELECT n + n AS twice FROM (SELECT counter() AS n FROM people);
EOF2
check not_merged 0 <<'EOF2'
Spate SQL> SELECT n + n AS twice FROM (SELECT counter() AS n FROM people);
+----+----------------------+
| op |                twice |
+----+----------------------+
| +I |                    2 |
| +I |                    4 |
| +I |                    6 |
+----+----------------------+
Received a total of 3 rows

EOF2

# In a filter.
query filter <<'EOF2'
SELECT id FROM people WHERE times_two(id) > 3 AND shout(name) IS NOT NULL;
EOF2
check filter 0 <<'EOF2'
Spate SQL> SELECT id FROM people WHERE times_two(id) > 3 AND shout(name) IS NOT NULL;
+----+-------------+
| op |          id |
+----+-------------+
| +I |          13 |
+----+-------------+
Received a total of 1 row

EOF2

# A temporary system function shadows the built-in of its name (Flink's resolution order); a
# catalog function may be named in full; INT arguments are cast to the declared DOUBLE.
query resolution <<EOF2
CREATE TEMPORARY SYSTEM FUNCTION \`lower\` AS 'shout' LANGUAGE C USING JAR '$lib';
SELECT LOWER(name) AS l, UPPER(name) AS u, default_catalog.default_database.hypot2(id, 0) AS h FROM people;
EOF2
check resolution 0 <<'EOF2'
Spate SQL> SELECT LOWER(name) AS l, UPPER(name) AS u, default_catalog.default_database.hypot2(id, 0) AS h FROM people;
+----+--------------------------------+--------------------------------+--------------------------------+
| op |                              l |                              u |                              h |
+----+--------------------------------+--------------------------------+--------------------------------+
| +I |                           ANN! |                            ANN |                            1.0 |
| +I |                         <NULL> |                         <NULL> |                            2.0 |
| +I |                           BOB! |                            BOB |                           13.0 |
+----+--------------------------------+--------------------------------+--------------------------------+
Received a total of 3 rows

EOF2

# A computed column calling a function.
query computed_column <<'EOF2'
CREATE TABLE loud_people (id INT, name STRING, seen TIMESTAMP(3), x DOUBLE, y DOUBLE,
  loud AS shout(name))
WITH ('connector' = 'filesystem', 'path' = '$tmp/people.csv', 'format' = 'csv',
  'csv.null-literal' = 'null');
SELECT id, loud FROM loud_people WHERE id < 10;
EOF2
sed -i "s|\$tmp|$tmp|" "$tmp/computed_column.sql"
check computed_column 0 <<'EOF2'
Spate SQL> SELECT id, loud FROM loud_people WHERE id < 10;
+----+-------------+--------------------------------+
| op |          id |                           loud |
+----+-------------+--------------------------------+
| +I |           1 |                           ANN! |
| +I |           2 |                         <NULL> |
+----+-------------+--------------------------------+
Received a total of 2 rows

EOF2

query show_functions <<'EOF2'
SHOW USER FUNCTIONS;
EOF2
check show_functions 0 <<'EOF2'
Spate SQL> SHOW USER FUNCTIONS;
+---------------+
| function name |
+---------------+
|       counter |
|        hypot2 |
|  is_null_text |
|     next_hour |
|   repeat_text |
|         shout |
| strict_negate |
|     times_two |
+---------------+
8 rows in set

EOF2

query dropped <<'EOF2'
DROP FUNCTION shout;
SELECT shout(name) FROM people;
EOF2
check dropped 1 <<'EOF2'
Spate SQL> SELECT shout(name) FROM people;
[ERROR] Could not execute SQL statement. Reason:
ValidationException: SQL validation failed. At line 13, column 8: No match found for function signature shout(<CHARACTER>)

EOF2

# --- errors ---------------------------------------------------------------------------------------
query wrong_type <<'EOF2'
SELECT shout(id) FROM people;
EOF2
check wrong_type 1 <<'EOF2'
Spate SQL> SELECT shout(id) FROM people;
[ERROR] Could not execute SQL statement. Reason:
ValidationException: SQL validation failed. At line 12, column 8: Invalid function call:
shout(INT)

EOF2

query wrong_count <<'EOF2'
SELECT hypot2(x) FROM people;
EOF2
check wrong_count 1 <<'EOF2'
Spate SQL> SELECT hypot2(x) FROM people;
[ERROR] Could not execute SQL statement. Reason:
ValidationException: SQL validation failed. At line 12, column 8: Invalid function call:
hypot2(DOUBLE)

EOF2

query unknown_function <<'EOF2'
SELECT nosuch(id, name) FROM people;
EOF2
check unknown_function 1 <<'EOF2'
Spate SQL> SELECT nosuch(id, name) FROM people;
[ERROR] Could not execute SQL statement. Reason:
ValidationException: SQL validation failed. At line 12, column 8: No match found for function signature nosuch(<NUMERIC>, <CHARACTER>)

EOF2

query missing_library <<'EOF2'
CREATE FUNCTION f AS 'shout' LANGUAGE C USING JAR '/nonexistent/libudf.so';
EOF2
check missing_library 1 <<'EOF2'
Spate SQL> CREATE FUNCTION f AS 'shout' LANGUAGE C USING JAR '/nonexistent/libudf.so';
[ERROR] Could not execute SQL statement. Reason:
ValidationException: Function 'f': cannot load the library '/nonexistent/libudf.so': No such file or directory

EOF2

query missing_symbol <<EOF2
CREATE FUNCTION f AS 'no_such_function' LANGUAGE C USING JAR '$lib';
EOF2
check missing_symbol 1 <<EOF2
Spate SQL> CREATE FUNCTION f AS 'no_such_function' LANGUAGE C USING JAR '$lib';
[ERROR] Could not execute SQL statement. Reason:
ValidationException: Function 'f': the library '$lib' has no symbol 'no_such_function' (a spate_sql_function with external linkage)

EOF2

query bad_descriptor <<EOF2
CREATE FUNCTION f AS 'bad_type' LANGUAGE C USING JAR '$lib';
EOF2
check bad_descriptor 1 <<EOF2
Spate SQL> CREATE FUNCTION f AS 'bad_type' LANGUAGE C USING JAR '$lib';
[ERROR] Could not execute SQL statement. Reason:
ValidationException: Function 'f' (symbol 'bad_type' in '$lib'): the type of argument 1 'DECIMAL(10, 2)' is not a type C functions take (BOOLEAN, integers, FLOAT, DOUBLE, CHAR, VARCHAR, BINARY, VARBINARY, DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ)

EOF2

# eval fails on the row with id 13: the job fails with the function's message, after the
# rows before it have been shown.
query fails_at_runtime <<EOF2
CREATE FUNCTION fail_on_13 AS 'fail_on_13' LANGUAGE C USING JAR '$lib';
SELECT fail_on_13(id) FROM people;
EOF2
check fails_at_runtime 1 <<'EOF2'
Spate SQL> SELECT fail_on_13(id) FROM people;
+----+-------------+
| op |      EXPR$0 |
+----+-------------+
| +I |           1 |
| +I |           2 |
[ERROR] Could not execute SQL statement. Reason:
SqlExecutionException: The query's job failed: 'Calc(select=[fail_on_13(id) AS EXPR$0])' (subtask 1/1): Function 'fail_on_13' failed: 13 is unlucky (recovery is suppressed by NoRestartBackoffTimeStrategy)

EOF2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
