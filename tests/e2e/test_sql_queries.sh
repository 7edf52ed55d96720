#!/usr/bin/env bash
# test_sql_queries.sh: the exact output of `spate sql -f` for queries whose answers Flink's
# documentation gives, and for queries that must fail.
#
# - The clicks table of the "Dynamic Tables" page: `SELECT user, COUNT(url) AS cnt FROM clicks
#   GROUP BY user` is the changelog the page draws (+I, then -U/+U per later click), and an
#   aggregation over it retracts the counts it replaces (-D when a group empties). At
#   parallelism 1 the order of a changelog is deterministic, so it is compared line by line.
# - The Bid table of the "Windowing TVF" and "Window Aggregation" pages: TUMBLE, HOP, CUMULATE
#   and SESSION window aggregations give the documented window rows (the bounded source's final
#   watermark fires every window); GROUPING SETS, ROLLUP and CUBE over them, and the documented
#   rows of TUMBLE, HOP and CUMULATE read on their own; the plans (EXPLAIN) of an Expand under
#   an aggregation and of a window table function, as Flink prints them.
# - Flink's plans (EXPLAIN) of projection and filter push-down: a filesystem scan reading only
#   the columns used and offered the condition, a projection below the watermark assigner and
#   into UNION ALL inputs, datagen reading every column; a CSV column not read is not parsed.
# - Errors as Flink's client prints them: an unknown column and an unknown table with their line
#   and column in the script, ORDER BY on a non-time attribute, a column not grouped, and
#   connector option errors (an unparsable value, an unknown connector, a missing option).
#
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

# The tables of Flink's documentation examples. Bid's watermark lags 1 s: every row is in order.
cat >"$tmp/clicks.csv" <<'EOF'
Mary,2020-04-15 12:00:00,./home
Bob,2020-04-15 12:00:00,./cart
Mary,2020-04-15 12:00:05,./prod?id=1
Liz,2020-04-15 12:01:00,./home
Bob,2020-04-15 12:01:30,./prod?id=3
Mary,2020-04-15 12:01:45,./prod?id=7
EOF
cat >"$tmp/bid.csv" <<'EOF'
2020-04-15 08:05:00,4.00,C,supplier1
2020-04-15 08:07:00,2.00,A,supplier1
2020-04-15 08:09:00,5.00,D,supplier2
2020-04-15 08:11:00,3.00,B,supplier2
2020-04-15 08:13:00,1.00,E,supplier1
2020-04-15 08:17:00,6.00,F,supplier2
EOF
# Five lines, so a query's first line is line 6 of its script.
cat >"$tmp/tables.sql" <<EOF
CREATE TABLE clicks (\`user\` STRING, cTime TIMESTAMP(3), url STRING)
WITH ('connector' = 'filesystem', 'path' = '$tmp/clicks.csv', 'format' = 'csv');
CREATE TABLE Bid (bidtime TIMESTAMP(3), price DECIMAL(10, 2), item STRING, supplier_id STRING,
  WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '$tmp/bid.csv', 'format' = 'csv');
EOF

# check NAME EXIT_CODE and query NAME: lib.sh's sql_check and sql_query after $tmp/tables.sql.
check() { sql_check "$tmp/tables.sql" "$@"; }
query() { sql_query "$@"; }

# --- Dynamic Tables: the clicks example ----------------------------------------------------------
query clicks_count <<'EOF'
SELECT `user`, COUNT(url) AS cnt FROM clicks GROUP BY `user`;
EOF
check clicks_count 0 <<'EOF'
Spate SQL> SELECT `user`, COUNT(url) AS cnt FROM clicks GROUP BY `user`;
+----+--------------------------------+----------------------+
| op |                           user |                  cnt |
+----+--------------------------------+----------------------+
| +I |                           Mary |                    1 |
| +I |                            Bob |                    1 |
| -U |                           Mary |                    1 |
| +U |                           Mary |                    2 |
| +I |                            Liz |                    1 |
| -U |                            Bob |                    1 |
| +U |                            Bob |                    2 |
| -U |                           Mary |                    2 |
| +U |                           Mary |                    3 |
+----+--------------------------------+----------------------+
Received a total of 9 rows

EOF

# An aggregation over that updating table: each retraction of a count takes its user out of the
# group it was in, and each new count puts it into the next one.
query clicks_count_of_counts <<'EOF'
SELECT cnt, COUNT(*) AS users FROM (SELECT `user`, COUNT(url) AS cnt FROM clicks GROUP BY `user`) GROUP BY cnt;
EOF
check clicks_count_of_counts 0 <<'EOF'
Spate SQL> SELECT cnt, COUNT(*) AS users FROM (SELECT `user`, COUNT(url) AS cnt FROM clicks GROUP BY `user`) GROUP BY cnt;
+----+----------------------+----------------------+
| op |                  cnt |                users |
+----+----------------------+----------------------+
| +I |                    1 |                    1 |
| -U |                    1 |                    1 |
| +U |                    1 |                    2 |
| -U |                    1 |                    2 |
| +U |                    1 |                    1 |
| +I |                    2 |                    1 |
| -U |                    1 |                    1 |
| +U |                    1 |                    2 |
| -U |                    1 |                    2 |
| +U |                    1 |                    1 |
| -U |                    2 |                    1 |
| +U |                    2 |                    2 |
| -U |                    2 |                    2 |
| +U |                    2 |                    1 |
| +I |                    3 |                    1 |
+----+----------------------+----------------------+
Received a total of 15 rows

EOF

# Without Bob a group empties whenever Mary's count moves on: Flink deletes it (-D), and a later
# row of that group inserts it afresh (+I).
query clicks_groups_deleted <<'EOF'
SELECT cnt, COUNT(*) AS users FROM (SELECT `user`, COUNT(url) AS cnt FROM clicks WHERE `user` <> 'Bob' GROUP BY `user`) GROUP BY cnt;
EOF
check clicks_groups_deleted 0 <<'EOF'
Spate SQL> SELECT cnt, COUNT(*) AS users FROM (SELECT `user`, COUNT(url) AS cnt FROM clicks WHERE `user` <> 'Bob' GROUP BY `user`) GROUP BY cnt;
+----+----------------------+----------------------+
| op |                  cnt |                users |
+----+----------------------+----------------------+
| +I |                    1 |                    1 |
| -D |                    1 |                    1 |
| +I |                    2 |                    1 |
| +I |                    1 |                    1 |
| -D |                    2 |                    1 |
| +I |                    3 |                    1 |
+----+----------------------+----------------------+
Received a total of 6 rows

EOF

# HAVING filters the aggregation's changes as they are: a count that first passes it arrives as
# the +U that raised it (as in Flink, whose filter keeps each row's kind).
query clicks_having <<'EOF'
SELECT `user`, COUNT(url) AS cnt FROM clicks GROUP BY `user` HAVING COUNT(url) > 1;
EOF
check clicks_having 0 <<'EOF'
Spate SQL> SELECT `user`, COUNT(url) AS cnt FROM clicks GROUP BY `user` HAVING COUNT(url) > 1;
+----+--------------------------------+----------------------+
| op |                           user |                  cnt |
+----+--------------------------------+----------------------+
| +U |                           Mary |                    2 |
| +U |                            Bob |                    2 |
| -U |                           Mary |                    2 |
| +U |                           Mary |                    3 |
+----+--------------------------------+----------------------+
Received a total of 4 rows

EOF

# --- Windowing TVFs: the Bid example -------------------------------------------------------------
query bid_tumble <<'EOF'
SELECT window_start, window_end, SUM(price) AS total_price
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end;
EOF
check bid_tumble 0 <<'EOF'
Spate SQL> SELECT window_start, window_end, SUM(price) AS total_price
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end;
+----+-------------------------+-------------------------+--------------------------------+
| op |            window_start |              window_end |                    total_price |
+----+-------------------------+-------------------------+--------------------------------+
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                          11.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                          10.00 |
+----+-------------------------+-------------------------+--------------------------------+
Received a total of 2 rows

EOF

query bid_hop <<'EOF'
SELECT window_start, window_end, SUM(price) AS total_price
  FROM TABLE(HOP(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end;
EOF
check bid_hop 0 <<'EOF'
Spate SQL> SELECT window_start, window_end, SUM(price) AS total_price
  FROM TABLE(HOP(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end;
+----+-------------------------+-------------------------+--------------------------------+
| op |            window_start |              window_end |                    total_price |
+----+-------------------------+-------------------------+--------------------------------+
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                          11.00 |
| +I | 2020-04-15 08:05:00.000 | 2020-04-15 08:15:00.000 |                          15.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                          10.00 |
| +I | 2020-04-15 08:15:00.000 | 2020-04-15 08:25:00.000 |                           6.00 |
+----+-------------------------+-------------------------+--------------------------------+
Received a total of 4 rows

EOF

query bid_cumulate <<'EOF'
SELECT window_start, window_end, SUM(price) AS total_price
  FROM TABLE(CUMULATE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end;
EOF
check bid_cumulate 0 <<'EOF'
Spate SQL> SELECT window_start, window_end, SUM(price) AS total_price
  FROM TABLE(CUMULATE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end;
+----+-------------------------+-------------------------+--------------------------------+
| op |            window_start |              window_end |                    total_price |
+----+-------------------------+-------------------------+--------------------------------+
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:06:00.000 |                           4.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:08:00.000 |                           6.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                          11.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:12:00.000 |                           3.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:14:00.000 |                           4.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:16:00.000 |                           4.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:18:00.000 |                          10.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                          10.00 |
+----+-------------------------+-------------------------+--------------------------------+
Received a total of 8 rows

EOF

# Sessions with a 2 minute gap: bids 2 minutes apart touch and merge (08:05 to 08:13).
query bid_session <<'EOF'
SELECT window_start, window_end, SUM(price) AS total_price
  FROM TABLE(SESSION(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES))
  GROUP BY window_start, window_end;
EOF
check bid_session 0 <<'EOF'
Spate SQL> SELECT window_start, window_end, SUM(price) AS total_price
  FROM TABLE(SESSION(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES))
  GROUP BY window_start, window_end;
+----+-------------------------+-------------------------+--------------------------------+
| op |            window_start |              window_end |                    total_price |
+----+-------------------------+-------------------------+--------------------------------+
| +I | 2020-04-15 08:05:00.000 | 2020-04-15 08:15:00.000 |                          15.00 |
| +I | 2020-04-15 08:17:00.000 | 2020-04-15 08:19:00.000 |                           6.00 |
+----+-------------------------+-------------------------+--------------------------------+
Received a total of 2 rows

EOF

# A watermark on a TIMESTAMP_LTZ(3) column: windows over epoch seconds 0..24 (UTC session zone).
query ltz_tumble <<'EOF'
CREATE TABLE ticks (id BIGINT NOT NULL, ts AS TO_TIMESTAMP_LTZ(id * 1000, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'datagen', 'number-of-rows' = '25', 'fields.id.kind' = 'sequence',
  'fields.id.start' = '0', 'fields.id.end' = '24');
SELECT window_start, window_end, COUNT(*) AS c, SUM(id) AS s
  FROM TABLE(TUMBLE(TABLE ticks, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end;
EOF
check ltz_tumble 0 <<'EOF'
Spate SQL> SELECT window_start, window_end, COUNT(*) AS c, SUM(id) AS s
  FROM TABLE(TUMBLE(TABLE ticks, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end;
+----+-------------------------+-------------------------+----------------------+----------------------+
| op |            window_start |              window_end |                    c |                    s |
+----+-------------------------+-------------------------+----------------------+----------------------+
| +I | 1970-01-01 00:00:00.000 | 1970-01-01 00:00:10.000 |                   10 |                   45 |
| +I | 1970-01-01 00:00:10.000 | 1970-01-01 00:00:20.000 |                   10 |                  145 |
| +I | 1970-01-01 00:00:20.000 | 1970-01-01 00:00:30.000 |                    5 |                  110 |
+----+-------------------------+-------------------------+----------------------+----------------------+
Received a total of 3 rows

EOF

# --- GROUPING SETS, ROLLUP, CUBE and window table functions on their own -----------------------
# Window Aggregation > GROUPING SETS: the documented rows (a NULL supplier_id for the empty set),
# in the order the windows fire.
query bid_grouping_sets <<'EOF'
SELECT window_start, window_end, supplier_id, SUM(price) AS price
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end, GROUPING SETS ((supplier_id), ());
EOF
check bid_grouping_sets 0 <<'EOF'
Spate SQL> SELECT window_start, window_end, supplier_id, SUM(price) AS price
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end, GROUPING SETS ((supplier_id), ());
+----+-------------------------+-------------------------+--------------------------------+--------------------------------+
| op |            window_start |              window_end |                    supplier_id |                          price |
+----+-------------------------+-------------------------+--------------------------------+--------------------------------+
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                      supplier1 |                           6.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                      supplier2 |                           5.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                         <NULL> |                          11.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                      supplier1 |                           1.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                      supplier2 |                           9.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                         <NULL> |                          10.00 |
+----+-------------------------+-------------------------+--------------------------------+--------------------------------+
Received a total of 6 rows

EOF

# ROLLUP (supplier_id) is the same two grouping sets
query bid_rollup <<'EOF'
SELECT window_start, window_end, supplier_id, SUM(price) AS price
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end, ROLLUP (supplier_id);
EOF
check bid_rollup 0 <<'EOF'
Spate SQL> SELECT window_start, window_end, supplier_id, SUM(price) AS price
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end, ROLLUP (supplier_id);
+----+-------------------------+-------------------------+--------------------------------+--------------------------------+
| op |            window_start |              window_end |                    supplier_id |                          price |
+----+-------------------------+-------------------------+--------------------------------+--------------------------------+
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                      supplier1 |                           6.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                      supplier2 |                           5.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                         <NULL> |                          11.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                      supplier1 |                           1.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                      supplier2 |                           9.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                         <NULL> |                          10.00 |
+----+-------------------------+-------------------------+--------------------------------+--------------------------------+
Received a total of 6 rows

EOF

# CUBE (supplier_id, item): four grouping sets per window
query bid_cube <<'EOF'
SELECT window_start, window_end, item, supplier_id, SUM(price) AS price
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end, CUBE (supplier_id, item);
EOF
check bid_cube 0 <<'EOF'
Spate SQL> SELECT window_start, window_end, item, supplier_id, SUM(price) AS price
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end, CUBE (supplier_id, item);
+----+-------------------------+-------------------------+--------------------------------+--------------------------------+--------------------------------+
| op |            window_start |              window_end |                           item |                    supplier_id |                          price |
+----+-------------------------+-------------------------+--------------------------------+--------------------------------+--------------------------------+
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                              A |                      supplier1 |                           2.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                              C |                      supplier1 |                           4.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                              D |                      supplier2 |                           5.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                              A |                         <NULL> |                           2.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                              C |                         <NULL> |                           4.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                              D |                         <NULL> |                           5.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                         <NULL> |                      supplier1 |                           6.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                         <NULL> |                      supplier2 |                           5.00 |
| +I | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 |                         <NULL> |                         <NULL> |                          11.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                              E |                      supplier1 |                           1.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                              B |                      supplier2 |                           3.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                              F |                      supplier2 |                           6.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                              B |                         <NULL> |                           3.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                              E |                         <NULL> |                           1.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                              F |                         <NULL> |                           6.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                         <NULL> |                      supplier1 |                           1.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                         <NULL> |                      supplier2 |                           9.00 |
| +I | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 |                         <NULL> |                         <NULL> |                          10.00 |
+----+-------------------------+-------------------------+--------------------------------+--------------------------------+--------------------------------+
Received a total of 18 rows

EOF

# The plan as Flink's: an Expand with $e under the window aggregation
query bid_grouping_sets_explain <<'EOF'
EXPLAIN SELECT window_start, window_end, supplier_id, SUM(price) AS price
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end, GROUPING SETS ((supplier_id), ());
EOF
check bid_grouping_sets_explain 0 <<'EOF'
Spate SQL> EXPLAIN SELECT window_start, window_end, supplier_id, SUM(price) AS price
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end, GROUPING SETS ((supplier_id), ());
== Abstract Syntax Tree ==
LogicalProject(window_start=[$2], window_end=[$3], supplier_id=[$0], price=[$5])
+- LogicalAggregate(group=[{0}], groups=[[{0}, {}]], price=[SUM($2)])
   +- LogicalTableFunctionScan(invocation=[TUMBLE(DESCRIPTOR($1), 600000:INTERVAL MINUTE)], rowType=[RecordType(TIMESTAMP(3) *ROWTIME* bidtime, DECIMAL(10, 2) price, VARCHAR(2147483647) item, VARCHAR(2147483647) supplier_id, TIMESTAMP(3) window_start, TIMESTAMP(3) window_end, TIMESTAMP(3) *ROWTIME* window_time)])
      +- LogicalProject(supplier_id=[$3], bidtime=[$0], price=[$1])
         +- LogicalWatermarkAssigner(rowtime=[bidtime], watermark=[-($0, 1000:INTERVAL SECOND)])
            +- LogicalTableScan(table=[[default_catalog, default_database, Bid]])

== Optimized Physical Plan ==
Calc(select=[window_start, window_end, supplier_id, price])
+- WindowAggregate(groupBy=[supplier_id, $e], window=[TUMBLE(time_col=[bidtime], size=[10 min])], select=[supplier_id, $e, SUM(price) AS price, start('w$) AS window_start, end('w$) AS window_end, rowtime('w$) AS window_time])
   +- Exchange(distribution=[hash[supplier_id, $e]])
      +- Expand(projects=[{supplier_id, bidtime, price, 0 AS $e}, {null AS supplier_id, bidtime, price, 1 AS $e}])
         +- WatermarkAssigner(rowtime=[bidtime], watermark=[-(bidtime, 1000:INTERVAL SECOND)])
            +- TableSourceScan(table=[[default_catalog, default_database, Bid, project=[supplier_id, bidtime, price], metadata=[]]], fields=[supplier_id, bidtime, price])

== Optimized Execution Plan ==
Calc(select=[window_start, window_end, supplier_id, price])
+- WindowAggregate(groupBy=[supplier_id, $e], window=[TUMBLE(time_col=[bidtime], size=[10 min])], select=[supplier_id, $e, SUM(price) AS price, start('w$) AS window_start, end('w$) AS window_end, rowtime('w$) AS window_time])
   +- Exchange(distribution=[hash[supplier_id, $e]])
      +- Expand(projects=[{supplier_id, bidtime, price, 0 AS $e}, {null AS supplier_id, bidtime, price, 1 AS $e}])
         +- WatermarkAssigner(rowtime=[bidtime], watermark=[(bidtime - 1000:INTERVAL SECOND)])
            +- TableSourceScan(table=[[default_catalog, default_database, Bid, project=[supplier_id, bidtime, price], metadata=[]]], fields=[supplier_id, bidtime, price])


EOF

# An updating GROUP BY ROLLUP: each click updates its user's row and the total's (NULL user).
query clicks_rollup <<'EOF'
SELECT `user`, COUNT(url) AS cnt, GROUPING(`user`) AS g FROM clicks GROUP BY ROLLUP (`user`);
EOF
check clicks_rollup 0 <<'EOF'
Spate SQL> SELECT `user`, COUNT(url) AS cnt, GROUPING(`user`) AS g FROM clicks GROUP BY ROLLUP (`user`);
+----+--------------------------------+----------------------+----------------------+
| op |                           user |                  cnt |                    g |
+----+--------------------------------+----------------------+----------------------+
| +I |                           Mary |                    1 |                    0 |
| +I |                         <NULL> |                    1 |                    1 |
| +I |                            Bob |                    1 |                    0 |
| -U |                         <NULL> |                    1 |                    1 |
| +U |                         <NULL> |                    2 |                    1 |
| -U |                           Mary |                    1 |                    0 |
| +U |                           Mary |                    2 |                    0 |
| -U |                         <NULL> |                    2 |                    1 |
| +U |                         <NULL> |                    3 |                    1 |
| +I |                            Liz |                    1 |                    0 |
| -U |                         <NULL> |                    3 |                    1 |
| +U |                         <NULL> |                    4 |                    1 |
| -U |                            Bob |                    1 |                    0 |
| +U |                            Bob |                    2 |                    0 |
| -U |                         <NULL> |                    4 |                    1 |
| +U |                         <NULL> |                    5 |                    1 |
| -U |                           Mary |                    2 |                    0 |
| +U |                           Mary |                    3 |                    0 |
| -U |                         <NULL> |                    5 |                    1 |
| +U |                         <NULL> |                    6 |                    1 |
+----+--------------------------------+----------------------+----------------------+
Received a total of 20 rows

EOF

# GROUPING and GROUPING_ID over CUBE, with HAVING on GROUPING
query bid_cube_grouping <<'EOF'
SELECT supplier_id, item, SUM(price) AS p, GROUPING(supplier_id) AS gs,
    GROUPING_ID(supplier_id, item) AS gid
  FROM Bid GROUP BY CUBE (supplier_id, item) HAVING GROUPING(item) = 1;
EOF
check bid_cube_grouping 0 <<'EOF'
Spate SQL> SELECT supplier_id, item, SUM(price) AS p, GROUPING(supplier_id) AS gs,
    GROUPING_ID(supplier_id, item) AS gid
  FROM Bid GROUP BY CUBE (supplier_id, item) HAVING GROUPING(item) = 1;
+----+--------------------------------+--------------------------------+--------------------------------+----------------------+----------------------+
| op |                    supplier_id |                           item |                              p |                   gs |                  gid |
+----+--------------------------------+--------------------------------+--------------------------------+----------------------+----------------------+
| +I |                      supplier1 |                         <NULL> |                           4.00 |                    0 |                    1 |
| +I |                         <NULL> |                         <NULL> |                           4.00 |                    1 |                    3 |
| -U |                      supplier1 |                         <NULL> |                           4.00 |                    0 |                    1 |
| +U |                      supplier1 |                         <NULL> |                           6.00 |                    0 |                    1 |
| -U |                         <NULL> |                         <NULL> |                           4.00 |                    1 |                    3 |
| +U |                         <NULL> |                         <NULL> |                           6.00 |                    1 |                    3 |
| +I |                      supplier2 |                         <NULL> |                           5.00 |                    0 |                    1 |
| -U |                         <NULL> |                         <NULL> |                           6.00 |                    1 |                    3 |
| +U |                         <NULL> |                         <NULL> |                          11.00 |                    1 |                    3 |
| -U |                      supplier2 |                         <NULL> |                           5.00 |                    0 |                    1 |
| +U |                      supplier2 |                         <NULL> |                           8.00 |                    0 |                    1 |
| -U |                         <NULL> |                         <NULL> |                          11.00 |                    1 |                    3 |
| +U |                         <NULL> |                         <NULL> |                          14.00 |                    1 |                    3 |
| -U |                      supplier1 |                         <NULL> |                           6.00 |                    0 |                    1 |
| +U |                      supplier1 |                         <NULL> |                           7.00 |                    0 |                    1 |
| -U |                         <NULL> |                         <NULL> |                          14.00 |                    1 |                    3 |
| +U |                         <NULL> |                         <NULL> |                          15.00 |                    1 |                    3 |
| -U |                      supplier2 |                         <NULL> |                           8.00 |                    0 |                    1 |
| +U |                      supplier2 |                         <NULL> |                          14.00 |                    0 |                    1 |
| -U |                         <NULL> |                         <NULL> |                          15.00 |                    1 |                    3 |
| +U |                         <NULL> |                         <NULL> |                          21.00 |                    1 |                    3 |
+----+--------------------------------+--------------------------------+--------------------------------+----------------------+----------------------+
Received a total of 21 rows

EOF

# The grouping functions as Flink's optimizer prints them: a CASE over $e
query bid_cube_explain <<'EOF'
EXPLAIN SELECT supplier_id, item, SUM(price) AS p, GROUPING(supplier_id) AS gs,
    GROUPING_ID(supplier_id, item) AS gid
  FROM Bid GROUP BY CUBE (supplier_id, item);
EOF
check bid_cube_explain 0 <<'EOF'
Spate SQL> EXPLAIN SELECT supplier_id, item, SUM(price) AS p, GROUPING(supplier_id) AS gs,
    GROUPING_ID(supplier_id, item) AS gid
  FROM Bid GROUP BY CUBE (supplier_id, item);
== Abstract Syntax Tree ==
LogicalProject(supplier_id=[$0], item=[$1], p=[$3], gs=[CASE(SEARCH($2, Sarg[0, 1]), 0, 1)], gid=[CASE(=($2, 0), 0, =($2, 1), 1, =($2, 2), 2, 3)])
+- LogicalAggregate(group=[{0, 1}], groups=[[{0, 1}, {0}, {1}, {}]], p=[SUM($2)])
   +- LogicalProject(supplier_id=[$3], item=[$2], price=[$1])
      +- LogicalWatermarkAssigner(rowtime=[bidtime], watermark=[-($0, 1000:INTERVAL SECOND)])
         +- LogicalTableScan(table=[[default_catalog, default_database, Bid]])

== Optimized Physical Plan ==
Calc(select=[supplier_id, item, p, CASE(SEARCH($e, Sarg[0, 1]), 0, 1) AS gs, CASE(=($e, 0), 0, =($e, 1), 1, =($e, 2), 2, 3) AS gid])
+- GroupAggregate(groupBy=[supplier_id, item, $e], select=[supplier_id, item, $e, SUM(price) AS p])
   +- Exchange(distribution=[hash[supplier_id, item, $e]])
      +- Expand(projects=[{supplier_id, item, price, 0 AS $e}, {supplier_id, null AS item, price, 1 AS $e}, {null AS supplier_id, item, price, 2 AS $e}, {null AS supplier_id, null AS item, price, 3 AS $e}])
         +- Calc(select=[supplier_id, item, price])
            +- WatermarkAssigner(rowtime=[bidtime], watermark=[-(bidtime, 1000:INTERVAL SECOND)])
               +- TableSourceScan(table=[[default_catalog, default_database, Bid]], fields=[bidtime, price, item, supplier_id])

== Optimized Execution Plan ==
Calc(select=[supplier_id, item, p, CASE(SEARCH($e, Sarg[0, 1]), 0, 1) AS gs, CASE(($e = 0), 0, ($e = 1), 1, ($e = 2), 2, 3) AS gid])
+- GroupAggregate(groupBy=[supplier_id, item, $e], select=[supplier_id, item, $e, SUM(price) AS p])
   +- Exchange(distribution=[hash[supplier_id, item, $e]])
      +- Expand(projects=[{supplier_id, item, price, 0 AS $e}, {supplier_id, null AS item, price, 1 AS $e}, {null AS supplier_id, item, price, 2 AS $e}, {null AS supplier_id, null AS item, price, 3 AS $e}])
         +- Calc(select=[supplier_id, item, price])
            +- WatermarkAssigner(rowtime=[bidtime], watermark=[(bidtime - 1000:INTERVAL SECOND)])
               +- TableSourceScan(table=[[default_catalog, default_database, Bid]], fields=[bidtime, price, item, supplier_id])


EOF

# Windowing TVF > TUMBLE on its own: the documented rows
query tvf_tumble <<'EOF'
SELECT * FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES));
EOF
check tvf_tumble 0 <<'EOF'
Spate SQL> SELECT * FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES));
+----+-------------------------+--------------+--------------------------------+--------------------------------+-------------------------+-------------------------+-------------------------+
| op |                 bidtime |        price |                           item |                    supplier_id |            window_start |              window_end |             window_time |
+----+-------------------------+--------------+--------------------------------+--------------------------------+-------------------------+-------------------------+-------------------------+
| +I | 2020-04-15 08:05:00.000 |         4.00 |                              C |                      supplier1 | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 | 2020-04-15 08:09:59.999 |
| +I | 2020-04-15 08:07:00.000 |         2.00 |                              A |                      supplier1 | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 | 2020-04-15 08:09:59.999 |
| +I | 2020-04-15 08:09:00.000 |         5.00 |                              D |                      supplier2 | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 | 2020-04-15 08:09:59.999 |
| +I | 2020-04-15 08:11:00.000 |         3.00 |                              B |                      supplier2 | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 | 2020-04-15 08:19:59.999 |
| +I | 2020-04-15 08:13:00.000 |         1.00 |                              E |                      supplier1 | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 | 2020-04-15 08:19:59.999 |
| +I | 2020-04-15 08:17:00.000 |         6.00 |                              F |                      supplier2 | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 | 2020-04-15 08:19:59.999 |
+----+-------------------------+--------------+--------------------------------+--------------------------------+-------------------------+-------------------------+-------------------------+
Received a total of 6 rows

EOF

# HOP on its own: the documented rows, each row's windows newest first as Flink's sliding window
# assigner gives them (the page lists them oldest first).
query tvf_hop <<'EOF'
SELECT bidtime, price, item, window_start, window_end, window_time
  FROM TABLE(HOP(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES));
EOF
check tvf_hop 0 <<'EOF'
Spate SQL> SELECT bidtime, price, item, window_start, window_end, window_time
  FROM TABLE(HOP(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES));
+----+-------------------------+--------------+--------------------------------+-------------------------+-------------------------+-------------------------+
| op |                 bidtime |        price |                           item |            window_start |              window_end |             window_time |
+----+-------------------------+--------------+--------------------------------+-------------------------+-------------------------+-------------------------+
| +I | 2020-04-15 08:05:00.000 |         4.00 |                              C | 2020-04-15 08:05:00.000 | 2020-04-15 08:15:00.000 | 2020-04-15 08:14:59.999 |
| +I | 2020-04-15 08:05:00.000 |         4.00 |                              C | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 | 2020-04-15 08:09:59.999 |
| +I | 2020-04-15 08:07:00.000 |         2.00 |                              A | 2020-04-15 08:05:00.000 | 2020-04-15 08:15:00.000 | 2020-04-15 08:14:59.999 |
| +I | 2020-04-15 08:07:00.000 |         2.00 |                              A | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 | 2020-04-15 08:09:59.999 |
| +I | 2020-04-15 08:09:00.000 |         5.00 |                              D | 2020-04-15 08:05:00.000 | 2020-04-15 08:15:00.000 | 2020-04-15 08:14:59.999 |
| +I | 2020-04-15 08:09:00.000 |         5.00 |                              D | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 | 2020-04-15 08:09:59.999 |
| +I | 2020-04-15 08:11:00.000 |         3.00 |                              B | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 | 2020-04-15 08:19:59.999 |
| +I | 2020-04-15 08:11:00.000 |         3.00 |                              B | 2020-04-15 08:05:00.000 | 2020-04-15 08:15:00.000 | 2020-04-15 08:14:59.999 |
| +I | 2020-04-15 08:13:00.000 |         1.00 |                              E | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 | 2020-04-15 08:19:59.999 |
| +I | 2020-04-15 08:13:00.000 |         1.00 |                              E | 2020-04-15 08:05:00.000 | 2020-04-15 08:15:00.000 | 2020-04-15 08:14:59.999 |
| +I | 2020-04-15 08:17:00.000 |         6.00 |                              F | 2020-04-15 08:15:00.000 | 2020-04-15 08:25:00.000 | 2020-04-15 08:24:59.999 |
| +I | 2020-04-15 08:17:00.000 |         6.00 |                              F | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 | 2020-04-15 08:19:59.999 |
+----+-------------------------+--------------+--------------------------------+-------------------------+-------------------------+-------------------------+
Received a total of 12 rows

EOF

# CUMULATE on its own: the documented rows
query tvf_cumulate <<'EOF'
SELECT bidtime, price, item, window_start, window_end, window_time
  FROM TABLE(CUMULATE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES));
EOF
check tvf_cumulate 0 <<'EOF'
Spate SQL> SELECT bidtime, price, item, window_start, window_end, window_time
  FROM TABLE(CUMULATE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES));
+----+-------------------------+--------------+--------------------------------+-------------------------+-------------------------+-------------------------+
| op |                 bidtime |        price |                           item |            window_start |              window_end |             window_time |
+----+-------------------------+--------------+--------------------------------+-------------------------+-------------------------+-------------------------+
| +I | 2020-04-15 08:05:00.000 |         4.00 |                              C | 2020-04-15 08:00:00.000 | 2020-04-15 08:06:00.000 | 2020-04-15 08:05:59.999 |
| +I | 2020-04-15 08:05:00.000 |         4.00 |                              C | 2020-04-15 08:00:00.000 | 2020-04-15 08:08:00.000 | 2020-04-15 08:07:59.999 |
| +I | 2020-04-15 08:05:00.000 |         4.00 |                              C | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 | 2020-04-15 08:09:59.999 |
| +I | 2020-04-15 08:07:00.000 |         2.00 |                              A | 2020-04-15 08:00:00.000 | 2020-04-15 08:08:00.000 | 2020-04-15 08:07:59.999 |
| +I | 2020-04-15 08:07:00.000 |         2.00 |                              A | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 | 2020-04-15 08:09:59.999 |
| +I | 2020-04-15 08:09:00.000 |         5.00 |                              D | 2020-04-15 08:00:00.000 | 2020-04-15 08:10:00.000 | 2020-04-15 08:09:59.999 |
| +I | 2020-04-15 08:11:00.000 |         3.00 |                              B | 2020-04-15 08:10:00.000 | 2020-04-15 08:12:00.000 | 2020-04-15 08:11:59.999 |
| +I | 2020-04-15 08:11:00.000 |         3.00 |                              B | 2020-04-15 08:10:00.000 | 2020-04-15 08:14:00.000 | 2020-04-15 08:13:59.999 |
| +I | 2020-04-15 08:11:00.000 |         3.00 |                              B | 2020-04-15 08:10:00.000 | 2020-04-15 08:16:00.000 | 2020-04-15 08:15:59.999 |
| +I | 2020-04-15 08:11:00.000 |         3.00 |                              B | 2020-04-15 08:10:00.000 | 2020-04-15 08:18:00.000 | 2020-04-15 08:17:59.999 |
| +I | 2020-04-15 08:11:00.000 |         3.00 |                              B | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 | 2020-04-15 08:19:59.999 |
| +I | 2020-04-15 08:13:00.000 |         1.00 |                              E | 2020-04-15 08:10:00.000 | 2020-04-15 08:14:00.000 | 2020-04-15 08:13:59.999 |
| +I | 2020-04-15 08:13:00.000 |         1.00 |                              E | 2020-04-15 08:10:00.000 | 2020-04-15 08:16:00.000 | 2020-04-15 08:15:59.999 |
| +I | 2020-04-15 08:13:00.000 |         1.00 |                              E | 2020-04-15 08:10:00.000 | 2020-04-15 08:18:00.000 | 2020-04-15 08:17:59.999 |
| +I | 2020-04-15 08:13:00.000 |         1.00 |                              E | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 | 2020-04-15 08:19:59.999 |
| +I | 2020-04-15 08:17:00.000 |         6.00 |                              F | 2020-04-15 08:10:00.000 | 2020-04-15 08:18:00.000 | 2020-04-15 08:17:59.999 |
| +I | 2020-04-15 08:17:00.000 |         6.00 |                              F | 2020-04-15 08:10:00.000 | 2020-04-15 08:20:00.000 | 2020-04-15 08:19:59.999 |
+----+-------------------------+--------------+--------------------------------+-------------------------+-------------------------+-------------------------+
Received a total of 17 rows

EOF

# A window table function on its own plans to Flink's WindowTableFunction
query tvf_explain <<'EOF'
EXPLAIN SELECT item, window_start FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES)) WHERE price > 3;
EOF
check tvf_explain 0 <<'EOF'
Spate SQL> EXPLAIN SELECT item, window_start FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES)) WHERE price > 3;
== Abstract Syntax Tree ==
LogicalProject(item=[$2], window_start=[$4])
+- LogicalFilter(condition=[>($1, 3)])
   +- LogicalTableFunctionScan(invocation=[TUMBLE(DESCRIPTOR($0), 600000:INTERVAL MINUTE)], rowType=[RecordType(TIMESTAMP(3) *ROWTIME* bidtime, DECIMAL(10, 2) price, VARCHAR(2147483647) item, VARCHAR(2147483647) supplier_id, TIMESTAMP(3) window_start, TIMESTAMP(3) window_end, TIMESTAMP(3) *ROWTIME* window_time)])
      +- LogicalWatermarkAssigner(rowtime=[bidtime], watermark=[-($0, 1000:INTERVAL SECOND)])
         +- LogicalTableScan(table=[[default_catalog, default_database, Bid]])

== Optimized Physical Plan ==
Calc(select=[item, window_start], where=[>(price, 3)])
+- WindowTableFunction(window=[TUMBLE(time_col=[bidtime], size=[10 min])])
   +- WatermarkAssigner(rowtime=[bidtime], watermark=[-(bidtime, 1000:INTERVAL SECOND)])
      +- TableSourceScan(table=[[default_catalog, default_database, Bid]], fields=[bidtime, price, item, supplier_id])

== Optimized Execution Plan ==
Calc(select=[item, window_start], where=[(price > 3)])
+- WindowTableFunction(window=[TUMBLE(time_col=[bidtime], size=[10 min])])
   +- WatermarkAssigner(rowtime=[bidtime], watermark=[(bidtime - 1000:INTERVAL SECOND)])
      +- TableSourceScan(table=[[default_catalog, default_database, Bid]], fields=[bidtime, price, item, supplier_id])


EOF

# GROUPING of a column that is not grouped: Calcite's message at the argument
query grouping_not_grouped <<'EOF'
SELECT supplier_id, GROUPING(item) FROM Bid GROUP BY ROLLUP (supplier_id);
EOF
check grouping_not_grouped 1 <<'EOF'
Spate SQL> SELECT supplier_id, GROUPING(item) FROM Bid GROUP BY ROLLUP (supplier_id);
[ERROR] Could not execute SQL statement. Reason:
ValidationException: SQL validation failed. At line 6, column 30: Argument to GROUPING operator must be a grouped expression

EOF

# window_start inside GROUPING SETS is refused, as the Window Aggregation page says
query window_in_grouping_sets <<'EOF'
SELECT window_start, SUM(price) FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_end, GROUPING SETS ((window_start), ());
EOF
check window_in_grouping_sets 1 <<'EOF'
Spate SQL> SELECT window_start, SUM(price) FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_end, GROUPING SETS ((window_start), ());
[ERROR] Could not execute SQL statement. Reason:
ValidationException: SQL validation failed. At line 7, column 40: Window aggregations with GROUPING SETS, ROLLUP or CUBE require window_start and window_end in the GROUP BY clause, not in the GROUPING SETS, ROLLUP or CUBE

EOF

# --- Projection and filter push-down: Flink's plans --------------------------------------------
# A filesystem source reads only the columns a query uses (SupportsProjectionPushDown, with
# metadata=[] as it also reads metadata) and is offered the conditions, which it accepts while
# the calc still applies them (filter=[...], its constant 0 + 1 reduced to 1 as Flink's
# ReduceExpressionsRule does); a projection goes below the watermark assigner
# (keeping the rowtime) and into the inputs of a UNION ALL with the filter; datagen reads every
# column. The CSV reader converts only the columns read: 'oops' in column b is never parsed when
# b is not needed.
cat >"$tmp/nums.csv" <<'EOF'
1,10,x
2,oops,y
3,30,z
EOF
nums="CREATE TABLE nums (a INT, b INT, c STRING) WITH ('connector' = 'filesystem', 'path' = '$tmp/nums.csv', 'format' = 'csv');"
# with_nums NAME: the query on stdin after the nums table, as $tmp/NAME.sql
with_nums() {
  echo "$nums" >"$tmp/$1.sql"
  cat >>"$tmp/$1.sql"
}

query explain_project_into_scan <<'EOF'
EXPLAIN SELECT url, `user` FROM clicks;
EOF
check explain_project_into_scan 0 <<'EOF'
Spate SQL> EXPLAIN SELECT url, `user` FROM clicks;
== Abstract Syntax Tree ==
LogicalProject(url=[$2], user=[$0])
+- LogicalTableScan(table=[[default_catalog, default_database, clicks]])

== Optimized Physical Plan ==
TableSourceScan(table=[[default_catalog, default_database, clicks, project=[url, user], metadata=[]]], fields=[url, user])

== Optimized Execution Plan ==
TableSourceScan(table=[[default_catalog, default_database, clicks, project=[url, user], metadata=[]]], fields=[url, user])


EOF

with_nums explain_filter_into_scan <<'EOF'
EXPLAIN SELECT a + 1 AS x FROM nums WHERE a > 0 + 1 AND a < 3;
EOF
check explain_filter_into_scan 0 <<'EOF'
Spate SQL> EXPLAIN SELECT a + 1 AS x FROM nums WHERE a > 0 + 1 AND a < 3;
== Abstract Syntax Tree ==
LogicalProject(x=[+($0, 1)])
+- LogicalFilter(condition=[AND(>($0, +(0, 1)), <($0, 3))])
   +- LogicalTableScan(table=[[default_catalog, default_database, nums]])

== Optimized Physical Plan ==
Calc(select=[+(a, 1) AS x], where=[AND(>(a, 1), <(a, 3))])
+- TableSourceScan(table=[[default_catalog, default_database, nums, filter=[and(>(a, 1), <(a, 3))], project=[a], metadata=[]]], fields=[a])

== Optimized Execution Plan ==
Calc(select=[(a + 1) AS x], where=[((a > 1) AND (a < 3))])
+- TableSourceScan(table=[[default_catalog, default_database, nums, filter=[and(>(a, 1), <(a, 3))], project=[a], metadata=[]]], fields=[a])


EOF

with_nums unread_column_not_parsed <<'EOF'
SELECT c, a FROM nums WHERE a >= 2;
EOF
check unread_column_not_parsed 0 <<'EOF'
Spate SQL> SELECT c, a FROM nums WHERE a >= 2;
+----+--------------------------------+-------------+
| op |                              c |           a |
+----+--------------------------------+-------------+
| +I |                              y |           2 |
| +I |                              z |           3 |
+----+--------------------------------+-------------+
Received a total of 2 rows

EOF

query explain_project_below_watermark <<'EOF'
EXPLAIN SELECT window_start, window_end, SUM(price) AS total_price FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES)) GROUP BY window_start, window_end;
EOF
check explain_project_below_watermark 0 <<'EOF'
Spate SQL> EXPLAIN SELECT window_start, window_end, SUM(price) AS total_price FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES)) GROUP BY window_start, window_end;
== Abstract Syntax Tree ==
LogicalProject(window_start=[$0], window_end=[$1], total_price=[$3])
+- LogicalAggregate(group=[{}], total_price=[SUM($1)])
   +- LogicalTableFunctionScan(invocation=[TUMBLE(DESCRIPTOR($0), 600000:INTERVAL MINUTE)], rowType=[RecordType(TIMESTAMP(3) *ROWTIME* bidtime, DECIMAL(10, 2) price, VARCHAR(2147483647) item, VARCHAR(2147483647) supplier_id, TIMESTAMP(3) window_start, TIMESTAMP(3) window_end, TIMESTAMP(3) *ROWTIME* window_time)])
      +- LogicalProject(bidtime=[$0], price=[$1])
         +- LogicalWatermarkAssigner(rowtime=[bidtime], watermark=[-($0, 1000:INTERVAL SECOND)])
            +- LogicalTableScan(table=[[default_catalog, default_database, Bid]])

== Optimized Physical Plan ==
Calc(select=[window_start, window_end, total_price])
+- WindowAggregate(window=[TUMBLE(time_col=[bidtime], size=[10 min])], select=[SUM(price) AS total_price, start('w$) AS window_start, end('w$) AS window_end, rowtime('w$) AS window_time])
   +- Exchange(distribution=[single])
      +- WatermarkAssigner(rowtime=[bidtime], watermark=[-(bidtime, 1000:INTERVAL SECOND)])
         +- TableSourceScan(table=[[default_catalog, default_database, Bid, project=[bidtime, price], metadata=[]]], fields=[bidtime, price])

== Optimized Execution Plan ==
Calc(select=[window_start, window_end, total_price])
+- WindowAggregate(window=[TUMBLE(time_col=[bidtime], size=[10 min])], select=[SUM(price) AS total_price, start('w$) AS window_start, end('w$) AS window_end, rowtime('w$) AS window_time])
   +- Exchange(distribution=[single])
      +- WatermarkAssigner(rowtime=[bidtime], watermark=[(bidtime - 1000:INTERVAL SECOND)])
         +- TableSourceScan(table=[[default_catalog, default_database, Bid, project=[bidtime, price], metadata=[]]], fields=[bidtime, price])


EOF

with_nums explain_union_pushdown <<'EOF'
EXPLAIN SELECT a FROM (SELECT a, c FROM nums UNION ALL SELECT a, c FROM nums) WHERE a > 1 AND c <> 'y';
EOF
check explain_union_pushdown 0 <<'EOF'
Spate SQL> EXPLAIN SELECT a FROM (SELECT a, c FROM nums UNION ALL SELECT a, c FROM nums) WHERE a > 1 AND c <> 'y';
== Abstract Syntax Tree ==
LogicalProject(a=[$0])
+- LogicalFilter(condition=[AND(>($0, 1), <>($1, _UTF-16LE'y'))])
   +- LogicalUnion(all=[true])
      :- LogicalProject(a=[$0], c=[$2])
      :  +- LogicalTableScan(table=[[default_catalog, default_database, nums]])
      +- LogicalProject(a=[$0], c=[$2])
         +- LogicalTableScan(table=[[default_catalog, default_database, nums]])

== Optimized Physical Plan ==
Union(all=[true], union=[a])
:- Calc(select=[a], where=[AND(>(a, 1), <>(c, _UTF-16LE'y'))])
:  +- TableSourceScan(table=[[default_catalog, default_database, nums, filter=[and(>(a, 1), <>(c, _UTF-16LE'y':VARCHAR(2147483647) CHARACTER SET "UTF-16LE"))], project=[a, c], metadata=[]]], fields=[a, c])
+- Calc(select=[a], where=[AND(>(a, 1), <>(c, _UTF-16LE'y'))])
   +- TableSourceScan(table=[[default_catalog, default_database, nums, filter=[and(>(a, 1), <>(c, _UTF-16LE'y':VARCHAR(2147483647) CHARACTER SET "UTF-16LE"))], project=[a, c], metadata=[]]], fields=[a, c])

== Optimized Execution Plan ==
Union(all=[true], union=[a])
:- Calc(select=[a], where=[((a > 1) AND (c <> 'y'))])
:  +- TableSourceScan(table=[[default_catalog, default_database, nums, filter=[and(>(a, 1), <>(c, _UTF-16LE'y':VARCHAR(2147483647) CHARACTER SET "UTF-16LE"))], project=[a, c], metadata=[]]], fields=[a, c])
+- Calc(select=[a], where=[((a > 1) AND (c <> 'y'))])
   +- TableSourceScan(table=[[default_catalog, default_database, nums, filter=[and(>(a, 1), <>(c, _UTF-16LE'y':VARCHAR(2147483647) CHARACTER SET "UTF-16LE"))], project=[a, c], metadata=[]]], fields=[a, c])


EOF

query explain_datagen_reads_all <<'EOF'
CREATE TABLE gen (a INT, b STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
EXPLAIN SELECT a FROM gen WHERE a > 1;
EOF
check explain_datagen_reads_all 0 <<'EOF'
Spate SQL> EXPLAIN SELECT a FROM gen WHERE a > 1;
== Abstract Syntax Tree ==
LogicalProject(a=[$0])
+- LogicalFilter(condition=[>($0, 1)])
   +- LogicalTableScan(table=[[default_catalog, default_database, gen]])

== Optimized Physical Plan ==
Calc(select=[a], where=[>(a, 1)])
+- TableSourceScan(table=[[default_catalog, default_database, gen]], fields=[a, b])

== Optimized Execution Plan ==
Calc(select=[a], where=[(a > 1)])
+- TableSourceScan(table=[[default_catalog, default_database, gen]], fields=[a, b])


EOF

# --- errors --------------------------------------------------------------------------------------
query unknown_column <<'EOF'
SELECT `user`,
  urll FROM clicks;
EOF
check unknown_column 1 <<'EOF'
Spate SQL> SELECT `user`,
  urll FROM clicks;
[ERROR] Could not execute SQL statement. Reason:
ValidationException: SQL validation failed. At line 7, column 3: Column 'urll' not found in any table

EOF

query unknown_table <<'EOF'
SELECT *
FROM clickz;
EOF
check unknown_table 1 <<'EOF'
Spate SQL> SELECT *
FROM clickz;
[ERROR] Could not execute SQL statement. Reason:
ValidationException: SQL validation failed. At line 7, column 6: Object 'clickz' not found

EOF

query not_grouped <<'EOF'
SELECT url FROM clicks GROUP BY `user`;
EOF
check not_grouped 1 <<'EOF'
Spate SQL> SELECT url FROM clicks GROUP BY `user`;
[ERROR] Could not execute SQL statement. Reason:
ValidationException: SQL validation failed. At line 6, column 8: Expression 'url' is not being grouped

EOF

query order_by <<'EOF'
SELECT `user`, COUNT(*) AS c FROM clicks GROUP BY `user` ORDER BY c;
EOF
check order_by 1 <<'EOF'
Spate SQL> SELECT `user`, COUNT(*) AS c FROM clicks GROUP BY `user` ORDER BY c;
[ERROR] Could not execute SQL statement. Reason:
TableException: Sort on a non-time-attribute field is not supported.

EOF

# A table's options are checked when a query reads it, as in Flink (CREATE TABLE succeeds).
query bad_option_value <<'EOF'
CREATE TABLE gen (a INT) WITH ('connector' = 'datagen', 'rows-per-second' = 'fast');
SELECT a FROM gen;
EOF
check bad_option_value 1 <<'EOF'
Spate SQL> SELECT a FROM gen;
[ERROR] Could not execute SQL statement. Reason:
TableException: Unable to create a source for reading table 'default_catalog.default_database.gen'.

Table options are:

'connector'='datagen'
'rows-per-second'='fast'

Caused by: Could not parse value 'fast' for key 'rows-per-second'.

EOF

query unknown_connector <<'EOF'
CREATE TABLE nowhere (a INT) WITH ('connector' = 'nosuch');
SELECT a FROM nowhere;
EOF
check unknown_connector 1 <<'EOF'
Spate SQL> SELECT a FROM nowhere;
[ERROR] Could not execute SQL statement. Reason:
TableException: Unable to create a source for reading table 'default_catalog.default_database.nowhere'.

Table options are:

'connector'='nosuch'

Caused by: Could not find any factory for identifier 'nosuch' that implements 'org.apache.flink.table.factories.DynamicTableSourceFactory' in the classpath.

Available factory identifiers are:

datagen
filesystem
nexmark
socket

EOF

query missing_option <<'EOF'
CREATE TABLE files (a INT) WITH ('connector' = 'filesystem', 'format' = 'csv');
SELECT a FROM files;
EOF
check missing_option 1 <<'EOF'
Spate SQL> SELECT a FROM files;
[ERROR] Could not execute SQL statement. Reason:
TableException: Unable to create a source for reading table 'default_catalog.default_database.files'.

Table options are:

'connector'='filesystem'
'format'='csv'

Caused by: One or more required options are missing.

Missing required options are:

path

EOF

echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
