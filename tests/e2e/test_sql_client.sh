#!/usr/bin/env bash
# test_sql_client.sh: `spate sql` as a user drives it: a script with -f (every line of its output
# as Flink's SQL client prints it: the prompt and statement, [INFO] messages, tableau tables), a
# failing statement (the [ERROR] lines, exit code 1, nothing after it runs), an init script
# with -i, -D, a script piped on stdin, and the interactive client in a pseudo-terminal (prompts,
# a statement over several lines, the history file).
#
# Run by ctest from the build directory with SPATE set.
set -euo pipefail
export LC_ALL=C TZ=UTC

SPATE=${SPATE:-build/bin/spate}
PY=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SPATE_CONF_DIR=$tmp/conf # an empty configuration: only what the test sets
mkdir -p "$SPATE_CONF_DIR"
: >"$SPATE_CONF_DIR/config.yaml"

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# same DESCRIPTION FILE EXPECTED_FILE: the two files are equal (the difference shown if not)
same() {
  if diff -u "$3" "$2" >"$tmp/diff"; then pass "$1"; else fail "$1" "$tmp/diff"; fi
}

# --- a script with -f --------------------------------------------------------------------------
cat >"$tmp/script.sql" <<'EOF'
-- a comment; with a semicolon in it
CREATE TABLE orders (
  order_id BIGINT,
  buyer STRING COMMENT 'who; paid',
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
  PRIMARY KEY (order_id) NOT ENFORCED
) WITH ('connector' = 'datagen');
SET 'table.exec.state.ttl' = '1 h';
SHOW TABLES;
DESCRIBE orders;
EOF
cat >"$tmp/script.expected" <<'EOF'
Spate SQL> CREATE TABLE orders (
  order_id BIGINT,
  buyer STRING COMMENT 'who; paid',
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
  PRIMARY KEY (order_id) NOT ENFORCED
) WITH ('connector' = 'datagen');
[INFO] Execute statement succeeded.

Spate SQL> SET 'table.exec.state.ttl' = '1 h';
[INFO] Execute statement succeeded.

Spate SQL> SHOW TABLES;
+------------+
| table name |
+------------+
|     orders |
+------------+
1 row in set

Spate SQL> DESCRIBE orders;
+----------+------------------------+-------+---------------+--------+----------------------------+
|     name |                   type |  null |           key | extras |                  watermark |
+----------+------------------------+-------+---------------+--------+----------------------------+
| order_id |                 BIGINT | FALSE | PRI(order_id) |        |                            |
|    buyer |                 STRING |  TRUE |               |        |                            |
|       ts | TIMESTAMP(3) *ROWTIME* |  TRUE |               |        | `ts` - INTERVAL '5' SECOND |
+----------+------------------------+-------+---------------+--------+----------------------------+
3 rows in set

EOF
run script sql -f "$tmp/script.sql"
assert "sql -f: exit code 0 (got $rc)" test "$rc" -eq 0
same "sql -f: the statements, [INFO] lines and tableau tables as Flink's client prints them" \
  "$tmp/script.out" "$tmp/script.expected"
assert "sql -f: nothing on stderr" test ! -s "$tmp/script.err"

# --- a failing statement ends the script with exit code 1 ---------------------------------------
cat >"$tmp/bad.sql" <<'EOF'
CREATE TABLE t (a INT) WITH ('connector' = 'datagen');
SELECT a FROM
  WHERE t;
CREATE TABLE never (a INT) WITH ('connector' = 'datagen');
EOF
run bad sql -f "$tmp/bad.sql"
assert "sql -f with a bad statement: exit code 1 (got $rc)" test "$rc" -eq 1
assert "the parse error as Flink's client shows it: [ERROR], then the exception and message" \
  bash -c "grep -A1 -F '[ERROR] Could not execute SQL statement. Reason:' '$tmp/bad.out' |
           grep -qF 'SqlParserException: SQL parse failed. Encountered \"WHERE\" at line 3, column 3.'"
assert "nothing after the failing statement ran" bash -c "! grep -q 'never' '$tmp/bad.out'"

# --- -i, -D and stdin --------------------------------------------------------------------------
cat >"$tmp/init.sql" <<'EOF'
SET 'sql-client.display.max-column-width' = '16';
CREATE TABLE a_rather_long_name (x INT) WITH ('connector' = 'datagen');
EOF
printf 'SHOW TABLES;\nSET;\n' >"$tmp/piped.sql"
set +e
timeout "$test_timeout_s" "$SPATE" sql -i "$tmp/init.sql" -D table.dml-sync=true \
  <"$tmp/piped.sql" >"$tmp/piped.out" 2>"$tmp/piped.err"
rc=$?
set -e
assert "sql -i with a script on stdin: exit code 0 (got $rc)" test "$rc" -eq 0
assert "the init script printed nothing of its own" bash -c "! grep -q 'CREATE TABLE' '$tmp/piped.out'"
assert "the init script's table exists, cut to the width it SET (16: 13 characters and ...)" \
  grep -qF '| a_rather_long... |' "$tmp/piped.out"
assert "-D reaches the session (SET; lists table.dml-sync)" \
  grep -qE '^\| +table.dml-sync \| +true \|$' "$tmp/piped.out"

run badopt sql -D no-equals-sign
assert "a bad -D: exit code 1" test "$rc" -eq 1
run missing sql -f "$tmp/none.sql"
assert "a missing -f file: exit code 1, named" grep -q "none.sql" "$tmp/missing.err"

# --- interactive, in a pseudo-terminal -----------------------------------------------------------
cat >"$tmp/drive_sql.py" <<'EOF'
# Drives `spate sql` in a pseudo-terminal: sends lines, awaits what the client prints (with a
# deadline), and fails with the transcript when something does not come.
import os, pty, select, sys, time
spate, history, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
pid, fd = pty.fork()
if pid == 0:
    os.execv(spate, [spate, "sql", "--history", history])
seen = b""
def expect(text):
    global seen
    deadline = time.time() + timeout
    while text.encode() not in seen:
        left = deadline - time.time()
        if left <= 0:
            sys.exit("timed out awaiting %r; the terminal showed:\n%s" % (text, seen.decode(errors="replace")))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                sys.exit("the client ended awaiting %r; the terminal showed:\n%s" % (text, seen.decode(errors="replace")))
            seen += chunk
    seen = seen[seen.index(text.encode()) + len(text.encode()):]
def send(line):
    os.write(fd, line.encode() + b"\r")
expect("Spate SQL> ")
send("CREATE TABLE t (")
expect("> ")
send("  a INT")
expect("> ")
send(") WITH ('connector' = 'datagen');")
expect("[INFO] Execute statement succeeded.")
expect("Spate SQL> ")
send("SHOW TABLES;")
expect("|          t |")
expect("1 row in set")
send("SELEC 1;")
expect("[ERROR] Could not execute SQL statement. Reason:")
expect("SqlParserException: SQL parse failed.")
# an unbounded query streams its rows until Ctrl-C cancels it, as in Flink's client
send("SET 'sql-client.execution.result-mode' = 'tableau';")
expect("[INFO] Execute statement succeeded.")
send("SELECT a FROM t;")
expect("| op |")
expect("| +I |")
os.write(fd, b"\x03")
expect("Query terminated, received a total of")
expect("Spate SQL> ")
send("QUIT;")
expect("Exiting Spate SQL CLI Client...")
_, status = os.waitpid(pid, 0)
sys.exit(0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else "exit status %d" % status)
EOF
if "$PY" "$tmp/drive_sql.py" "$SPATE" "$tmp/history" "$test_timeout_s" >"$tmp/pty.out" 2>&1; then
  pass "interactive: prompts, a statement over three lines, a table, an error, a streaming query cancelled by Ctrl-C, QUIT"
else
  fail "interactive: prompts, a statement over three lines, a table, an error, a streaming query cancelled by Ctrl-C, QUIT" "$tmp/pty.out"
fi
# libedit writes its history with spaces as \040 (strvis), and reads it back the same way
assert "interactive: the history file keeps the statements, one entry each" \
  grep -qxE 'SHOW(\\040| )TABLES;' "$tmp/history"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
