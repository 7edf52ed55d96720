#!/usr/bin/env bash
# test_sql_cluster.sh: `spate sql -m host:port` against a standalone cluster of real processes on
# loopback (a JobManager and a TaskManager), as Flink's SQL client with execution.target: remote:
#  - an INSERT INTO a filesystem table submitted detached (Flink's three lines and the job id),
#    awaited through REST /jobs/:jobid until FINISHED, its output file checked exactly;
#  - with table.dml-sync, an INSERT that returns once its job has finished, its file checked;
#  - a bounded SELECT whose rows stream back in tableau mode, the whole output checked exactly;
#  - the same through execution.target: remote, rest.address and rest.port in config.yaml, and
#    with -D (a dml-sync INSERT, and a query whose job fails on the cluster: its failure shown);
#  - an unbounded datagen SELECT cancelled by Ctrl-C (SIGINT) and one ended by SIGTERM: the rows
#    so far shown, and each job ends CANCELED on the cluster;
#  - C functions: an INSERT calling two functions of a library writes their results, the
#    library shipped as the job's artifact (the TaskManager's log says it fetched it), and while
#    an unbounded query calling one runs, the TaskManager has its fetched copy of the library
#    mapped, not the client's; functions of two libraries are refused (a job has one artifact);
#  - a cluster that is not there: the statement fails with the address named.
set -euo pipefail
export LC_ALL=C TZ=UTC
: "${SPATE:?}"
source "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
pids=$tmp/pids
logs=$tmp/log
host=$(hostname)
export SPATE_IDENT_STRING=e2esql
export SPATE_CONF_DIR=$tmp/conf # an empty configuration: only what the test sets
mkdir -p "$SPATE_CONF_DIR"
: >"$SPATE_CONF_DIR/config.yaml"
passed=0 failed=0
bg=()
cleanup() {
  for p in "${bg[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  kill_pid_files "$pids"/*.pid
  rm -rf "$tmp"
}
trap cleanup EXIT

rpc_port=$(free_port)
rest_port=$(free_port)
D=(-D "env.pid.dir=$pids" -D "env.log.dir=$logs" -D "jobmanager.rpc.port=$rpc_port"
  -D "rest.port=$rest_port" -D "taskmanager.numberOfTaskSlots=2" -D heartbeat.interval=200ms
  -D heartbeat.timeout=5s -D "blob.storage.directory=$tmp/blobs")
jm_log=$logs/spate-e2esql-standalonesession-0-$host.log
url=http://localhost:$rest_port

"$SPATE" jobmanager start "${D[@]}" >>"$tmp/daemons.out" 2>&1
awaited "the JobManager's REST endpoint is up" "$jm_log" has "Rest endpoint listening at" "$jm_log"
"$SPATE" taskmanager start "${D[@]}" -D "blob.storage.directory=$tmp/blobs-tm" \
  >>"$tmp/daemons.out" 2>&1
awaited "a TaskManager registered" "$jm_log" has "Registered TaskManager" "$jm_log"

# same DESCRIPTION ACTUAL EXPECTED: the files are equal (the difference shown if not)
same() {
  if diff -u "$3" "$2" >"$tmp/diff"; then pass "$1"; else fail "$1" "$tmp/diff"; fi
}
# the rows a filesystem table's directory holds (the part files' lines)
table_rows() { find "$1" -type f ! -name '.*' -exec cat {} + 2>/dev/null; }
# state JOB_ID STATE: the cluster reports the job in that state
state_is() { rest_holds "$url/jobs/$1" "j['state'] == '$2'" "$tmp/state.json"; }

printf '1,alice,10\n2,bob,20\n3,carol,30\n' >"$tmp/orders.csv"
cat >"$tmp/tables.sql" <<EOF
CREATE TABLE orders (id INT, name STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '$tmp/orders.csv', 'format' = 'csv');
CREATE TABLE doubled (id INT, name STRING, total INT)
WITH ('connector' = 'filesystem', 'path' = '$tmp/doubled', 'format' = 'csv');
CREATE TABLE big (id INT, name STRING)
WITH ('connector' = 'filesystem', 'path' = '$tmp/big', 'format' = 'csv');
EOF

# --- INSERT detached, INSERT with table.dml-sync, a bounded SELECT --------------------------------
cat "$tmp/tables.sql" - >"$tmp/script.sql" <<'EOF'
INSERT INTO doubled SELECT id, UPPER(name), amount * 2 FROM orders;
SET 'table.dml-sync' = 'true';
INSERT INTO big SELECT id, name FROM orders WHERE amount > 15;
SET 'sql-client.execution.result-mode' = 'tableau';
SELECT id, name, amount + 1 AS more FROM orders WHERE id <> 2;
EOF
run script sql -m "localhost:$rest_port" -f "$tmp/script.sql"
assert "the script on the cluster: exit 0" test "$rc" -eq 0
job=$(sed -n 's/^Job ID: \([0-9a-f]\{32\}\)$/\1/p' "$tmp/script.out")
assert "the detached INSERT printed its job id" test -n "$job"
# the embedded run of the same statements prints the same, save the job id
sed "s/^Job ID: [0-9a-f]*$/Job ID: <id>/" "$tmp/script.out" | sed -n '/^Spate SQL> INSERT INTO doubled/,$p' \
  >"$tmp/script.shown"
cat >"$tmp/script.expected" <<'EOF'
Spate SQL> INSERT INTO doubled SELECT id, UPPER(name), amount * 2 FROM orders;
[INFO] Submitting SQL update statement to the cluster...
[INFO] SQL update statement has been successfully submitted to the cluster:
Job ID: <id>


Spate SQL> SET 'table.dml-sync' = 'true';
[INFO] Execute statement succeeded.

Spate SQL> INSERT INTO big SELECT id, name FROM orders WHERE amount > 15;
[INFO] Complete execution of the SQL update statement.

Spate SQL> SET 'sql-client.execution.result-mode' = 'tableau';
[INFO] Execute statement succeeded.

Spate SQL> SELECT id, name, amount + 1 AS more FROM orders WHERE id <> 2;
+----+-------------+--------------------------------+-------------+
| op |          id |                           name |        more |
+----+-------------+--------------------------------+-------------+
| +I |           1 |                          alice |          11 |
| +I |           3 |                          carol |          31 |
+----+-------------+--------------------------------+-------------+
Received a total of 2 rows

EOF
same "INSERT (detached and dml-sync) and a streamed SELECT print Flink's lines" \
  "$tmp/script.shown" "$tmp/script.expected"
# table.dml-sync: the job had finished when the statement returned
printf '2,bob\n3,carol\n' >"$tmp/big.expected"
table_rows "$tmp/big" >"$tmp/big.rows"
same "the dml-sync INSERT's rows were there when it returned" "$tmp/big.rows" "$tmp/big.expected"
if [ -n "$job" ]; then
  awaited "the detached INSERT's job is FINISHED on the cluster" "$tmp/state.json" state_is "$job" FINISHED
fi
printf '1,ALICE,20\n2,BOB,40\n3,CAROL,60\n' >"$tmp/doubled.expected"
table_rows "$tmp/doubled" >"$tmp/doubled.rows"
same "the detached INSERT wrote exactly its rows" "$tmp/doubled.rows" "$tmp/doubled.expected"
# every job ran on the cluster: three, all FINISHED
finished3() { rest_holds "$url/jobs/overview" \
  "len(j['jobs']) == 3 and all(x['state'] == 'FINISHED' for x in j['jobs'])" "$tmp/overview.json"; }
awaited "the cluster ran the script's three jobs to FINISHED" "$tmp/overview.json" finished3

# --- the cluster from config.yaml --------------------------------------------------------------
mkdir -p "$tmp/conf2"
printf 'execution.target: remote\nrest.address: localhost\nrest.port: %s\n' "$rest_port" \
  >"$tmp/conf2/config.yaml"
cat "$tmp/tables.sql" - >"$tmp/conf.sql" <<'EOF'
SET 'sql-client.execution.result-mode' = 'tableau';
SELECT name FROM orders WHERE amount >= 20;
EOF
SPATE_CONF_DIR=$tmp/conf2 run conf sql -f "$tmp/conf.sql"
sed -n '/^Spate SQL> SELECT/,$p' "$tmp/conf.out" >"$tmp/conf.shown"
cat >"$tmp/conf.expected" <<'EOF'
Spate SQL> SELECT name FROM orders WHERE amount >= 20;
+----+--------------------------------+
| op |                           name |
+----+--------------------------------+
| +I |                            bob |
| +I |                          carol |
+----+--------------------------------+
Received a total of 2 rows

EOF
assert "execution.target: remote from config.yaml: exit 0" test "$rc" -eq 0
same "execution.target: remote from config.yaml: the rows" "$tmp/conf.shown" "$tmp/conf.expected"
four() { rest_holds "$url/jobs/overview" "len(j['jobs']) == 4" "$tmp/overview.json"; }
awaited "that query ran on the cluster" "$tmp/overview.json" four

# --- the cluster from -D, a failing job ----------------------------------------------------------
# table.dml-sync through -D too: the INSERT's rows are there when the client ends
printf '1\nnot a number\n' >"$tmp/bad.csv"
cat "$tmp/tables.sql" - >"$tmp/dflags.sql" <<EOF
INSERT INTO big SELECT id, name FROM orders WHERE amount < 15;
CREATE TABLE bad (n INT) WITH ('connector' = 'filesystem', 'path' = '$tmp/bad.csv', 'format' = 'csv');
SELECT n FROM bad;
EOF
run dflags sql -D execution.target=remote -D rest.address=localhost -D "rest.port=$rest_port" \
  -D table.dml-sync=true -D sql-client.execution.result-mode=tableau -f "$tmp/dflags.sql"
assert "-D execution.target=remote: the failing query ends the script (exit 1)" test "$rc" -eq 1
printf '1,alice\n2,bob\n3,carol\n' >"$tmp/big2.expected"
table_rows "$tmp/big" | sort >"$tmp/big2.rows"
same "-D execution.target=remote: the dml-sync INSERT added its row" "$tmp/big2.rows" "$tmp/big2.expected"
assert "a query whose job fails on the cluster: the job's failure, with file, line and column" \
  grep -q "^SqlExecutionException: The query's job failed: .*bad.csv:2:1: field 'n': 'not a number' is not an INT" \
  "$tmp/dflags.out"
six() { rest_holds "$url/jobs/overview" \
  "len(j['jobs']) == 6 and sum(1 for x in j['jobs'] if x['state'] == 'FAILED') == 1" "$tmp/overview.json"; }
awaited "both ran on the cluster, the query's job FAILED" "$tmp/overview.json" six

# --- an unbounded query, cancelled ---------------------------------------------------------------
cat >"$tmp/endless.sql" <<'EOF'
CREATE TABLE endless (n INT)
WITH ('connector' = 'datagen', 'rows-per-second' = '50', 'fields.n.min' = '1', 'fields.n.max' = '9');
SET 'sql-client.execution.result-mode' = 'tableau';
SELECT n FROM endless;
EOF
rows_in() { grep -c '^| +I |' "$1" || true; }
five_rows() { [ "$(rows_in "$1")" -ge 5 ]; }
canceled() { rest_holds "$url/jobs/overview" \
  "sum(1 for x in j['jobs'] if x['state'] == 'CANCELED') == $1 and all(x['state'] in ('FINISHED', 'CANCELED', 'FAILED') for x in j['jobs'])" \
  "$tmp/overview.json"; }
# endless NAME SIGNAL COUNT: runs the query, awaits five rows, sends the signal, awaits the client's
# end, and checks what it printed and that COUNT queries are CANCELED on the cluster
endless() {
  local name=$1 sig=$2 count=$3 pid
  "$SPATE" sql -m "localhost:$rest_port" -f "$tmp/endless.sql" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pid=$!
  bg+=("$pid")
  awaited "$name: the unbounded query's rows stream back" "$tmp/$name.out" five_rows "$tmp/$name.out"
  kill "-$sig" "$pid"
  awaited "$name: the client ended after SIG$sig" "$tmp/$name.err" gone "$pid"
  local n
  n=$(rows_in "$tmp/$name.out")
  assert "$name: 'Query terminated, received a total of $n rows'" \
    grep -qx "Query terminated, received a total of $n rows" "$tmp/$name.out"
  assert "$name: every row is a datagen value of 1 to 9" \
    test "$(grep '^| +I |' "$tmp/$name.out" | grep -cvE '^\| \+I \| +[1-9] \|$')" -eq 0
  assert "$name: no sanitizer report" test "$(grep -c Sanitizer "$tmp/$name.err")" -eq 0
  awaited "$name: the query's job is CANCELED on the cluster" "$tmp/overview.json" canceled "$count"
}
endless ctrl_c INT 1
endless sigterm TERM 2

# --- C functions: their library goes to the cluster with the job ----------------------------------
# The client loads the library from its own copy; the job carries it as its artifact, and the
# TaskManager runs the functions from the copy it fetched from the BlobServer.
udf_lib=$tmp/client-lib/libtestfns.so
mkdir -p "$tmp/client-lib"
cp "$SPATE_BUILD_DIR/tests/libspate_test_udfs.so" "$udf_lib"
cat "$tmp/tables.sql" - >"$tmp/udf.sql" <<EOF
CREATE FUNCTION shout AS 'shout' LANGUAGE C USING JAR '$udf_lib';
CREATE FUNCTION times_two AS 'times_two' LANGUAGE C USING JAR '$udf_lib';
CREATE TABLE shouted (id BIGINT, name STRING)
WITH ('connector' = 'filesystem', 'path' = '$tmp/shouted', 'format' = 'csv');
SET 'table.dml-sync' = 'true';
INSERT INTO shouted SELECT times_two(id), shout(name) FROM orders;
EOF
run udf sql -m "localhost:$rest_port" -f "$tmp/udf.sql"
assert "C functions on the cluster: exit 0" test "$rc" -eq 0
printf '2,ALICE!\n4,BOB!\n6,CAROL!\n' >"$tmp/shouted.expected"
table_rows "$tmp/shouted" | sort >"$tmp/shouted.rows"
same "C functions on the cluster: the INSERT's rows" "$tmp/shouted.rows" "$tmp/shouted.expected"
assert "C functions on the cluster: the TaskManager fetched the job's artifact" \
  grep -q "fetched the job's artifact" "$logs"/spate-e2esql-taskexecutor-*.log
# while a query calling one runs, the TaskManager has its fetched copy mapped, not the client's
cat >"$tmp/udf_endless.sql" <<EOF
CREATE FUNCTION times_two AS 'times_two' LANGUAGE C USING JAR '$udf_lib';
CREATE TABLE endless (n INT)
WITH ('connector' = 'datagen', 'rows-per-second' = '50', 'fields.n.min' = '1', 'fields.n.max' = '9');
SET 'sql-client.execution.result-mode' = 'tableau';
SELECT times_two(n) AS m FROM endless;
EOF
"$SPATE" sql -m "localhost:$rest_port" -f "$tmp/udf_endless.sql" >"$tmp/udf_endless.out" \
  2>"$tmp/udf_endless.err" &
udf_pid=$!
bg+=("$udf_pid")
awaited "C functions on the cluster: the unbounded query's rows stream back" "$tmp/udf_endless.out" \
  five_rows "$tmp/udf_endless.out"
tm_pid=$(cat "$pids"/*taskexecutor*.pid)
assert "C functions on the cluster: the TaskManager runs its fetched copy of the library" \
  grep -qF "$tmp/blobs-tm/" "/proc/$tm_pid/maps"
assert "C functions on the cluster: the TaskManager did not load the client's copy" \
  test "$(grep -cF "$udf_lib" "/proc/$tm_pid/maps")" -eq 0
assert "C functions on the cluster: the streamed values are doubled datagen values (2 to 18)" \
  test "$(grep '^| +I |' "$tmp/udf_endless.out" | grep -cvE '^\| \+I \| +([2468]|1[02468]) \|$')" -eq 0
kill -INT "$udf_pid"
awaited "C functions on the cluster: the client ended after SIGINT" "$tmp/udf_endless.err" gone "$udf_pid"
awaited "C functions on the cluster: the query's job is CANCELED" "$tmp/overview.json" canceled 3

# two libraries: a job carries one artifact, so the statement is refused with both named
cp "$udf_lib" "$tmp/client-lib/libother.so"
cat "$tmp/tables.sql" - >"$tmp/udf_two.sql" <<EOF
CREATE FUNCTION shout AS 'shout' LANGUAGE C USING JAR '$udf_lib';
CREATE FUNCTION times_two AS 'times_two' LANGUAGE C USING JAR '$tmp/client-lib/libother.so';
INSERT INTO doubled SELECT id, shout(name), CAST(times_two(amount) AS INT) FROM orders;
EOF
run udf_two sql -m "localhost:$rest_port" -f "$tmp/udf_two.sql"
assert "C functions of two libraries on the cluster: exit 1" test "$rc" -eq 1
assert "C functions of two libraries on the cluster: the error names both" \
  grep -q "a job has one: this query calls functions of '.*lib[a-z]*\.so' and of '.*lib[a-z]*\.so'" \
  "$tmp/udf_two.out"

# --- no cluster there ----------------------------------------------------------------------------
dead=$(free_port)
cat "$tmp/tables.sql" - >"$tmp/dead.sql" <<'EOF'
INSERT INTO doubled SELECT id, name, amount FROM orders;
EOF
run dead sql -m "localhost:$dead" -f "$tmp/dead.sql"
assert "no cluster: exit 1" test "$rc" -eq 1
assert "no cluster: the error names the address" \
  grep -q "Could not connect to the JobManager at localhost:$dead" "$tmp/dead.out"

finish_cluster "$logs"/*.out "$tmp"/*.err
