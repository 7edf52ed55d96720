#!/usr/bin/env bash
# test_sql_table_view.sh: the SQL client's `table` result mode on a terminal, as Flink's
# CliTableResultView: `spate sql` runs in a tmux pane (a real pseudo-terminal, whose screen tmux
# renders, escapes applied, for capture-pane to read). An unbounded datagen query shows the
# live view (title, status line, column names, rows, the key help); + and - change the refresh
# interval, P, N and L turn pages, G asks for a page; Q leaves the view, the prompt comes back
# and the query's job is gone (the client's threads back to the one it had before). A bounded
# query with retractions (a count of counts, whose changelog has -U/+U pairs and a -D) leaves
# exactly its final rows on screen under "Table program finished."; O opens a row; Ctrl-C
# leaves. A query that fails closes the view and shows its error. Without a terminal the client
# prints the table at the end, as before.
#
# Every wait polls the screen against a deadline; nothing sleeps for synchronisation.
# Run by ctest from the build directory with SPATE set.
set -euo pipefail
export LC_ALL=C TZ=UTC

SPATE=$(realpath "${SPATE:-build/bin/spate}")
tmp=$(mktemp -d)
sock=$tmp/tmux.sock
cleanup() {
  tmux -S "$sock" kill-server 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
export SPATE_CONF_DIR=$tmp/conf # an empty configuration: only what the test sets
mkdir -p "$SPATE_CONF_DIR"
: >"$SPATE_CONF_DIR/config.yaml"

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v tmux >/dev/null; then
  echo "tmux is missing (scripts/setup.sh installs it): skipped"
  exit 77
fi

screen() { tmux -S "$sock" capture-pane -p -t sql; }
# type TEXT: types a statement and ends it with ';' and Enter (sent as bytes: tmux would take a
# trailing ';' of an argument for its command separator)
type_stmt() {
  tmux -S "$sock" send-keys -t sql -l -- "$1"
  tmux -S "$sock" send-keys -t sql -H 3b 0d
}
key() { tmux -S "$sock" send-keys -t sql -l -- "$1"; }
# on_screen DESCRIPTION EXTENDED-REGEX: awaits a screen with a line matching the pattern; passes,
# or fails showing the screen
on_screen() {
  if await "$1" bash -c "tmux -S '$sock' capture-pane -p -t sql | grep -qE -- \"\$0\"" "$2"; then
    pass "$1"
  else
    screen >"$tmp/screen" || true
    fail "$1" "$tmp/screen"
  fi
}
threads() { ls "/proc/$pid/task" | wc -l; }

# stderr to a file (the failing job's log lines, and any sanitizer report, checked at the end)
tmux -S "$sock" new-session -d -s sql -x 100 -y 30 \
  "exec $SPATE sql --history $tmp/history 2>$tmp/sql.err"
pid=$(tmux -S "$sock" list-panes -t sql -F '#{pane_pid}')
on_screen "the client's prompt" '^Spate SQL>$'
type_stmt "CREATE TABLE gen (k INT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '200', 'fields.k.min' = '1', 'fields.k.max' = '5')"
on_screen "CREATE TABLE" '^\[INFO\] Execute statement succeeded\.$'

# --- a bounded query with retractions: the final rows stay on screen ------------------------------
# counts of counts: its changelog retracts (-U/+U) and deletes (-D) rows on the way to the end
query="SELECT c, COUNT(*) AS n FROM (SELECT w, COUNT(*) AS c FROM (VALUES ('a'), ('b'), ('a'), ('c'), ('a'), ('b')) AS t(w) GROUP BY w) GROUP BY c"
type_stmt "$query"
on_screen "the query ended: Table program finished." '^ Table program finished\. +Page: Last of 1 '
screen | sed -nE '/^ +c +n *$/,/^Q Quit/p' | sed -E '1d;$d;/^ *$/d;s/^ +//;s/ +/ /g' | sort \
  >"$tmp/final"
printf '1 1\n2 1\n3 1\n' >"$tmp/final.expected"
if diff -u "$tmp/final.expected" "$tmp/final" >"$tmp/final.diff"; then
  pass "exactly the final materialized rows (the retracted ones gone)"
else
  fail "exactly the final materialized rows (the retracted ones gone)" "$tmp/final.diff"
fi
key s
key O
on_screen "O opens the selected row" '^ +Row Summary *$'
on_screen "its columns with their types" '^ c \(BIGINT NOT NULL\):$'
key q
on_screen "q goes back to the table" '^ Table program finished\. '
tmux -S "$sock" send-keys -t sql C-c
on_screen "Ctrl-C leaves the view too" '^\[INFO\] Result retrieval cancelled\.$'
on_screen "the prompt again" '^Spate SQL>$'
# --- a query that fails: the view closes at once and the error shows, as Flink's client --------------
type_stmt "SELECT CAST(s AS INT) AS i FROM (VALUES ('1'), ('x')) AS t(s)"
on_screen "a failing query: the view gone, the job's error on the screen" \
  "^SqlExecutionException: The query's job failed: "

# --- an unbounded query: the live view ----------------------------------------------------------
idle=$(threads) # the client between statements (a first query has come and gone: threads that
# stay for the process's life, such as a sanitizer's, are there already)
type_stmt "CLEAR" # so that the messages awaited below can only be this query's
if await "a cleared screen" bash -c "[ \"\$(tmux -S '$sock' capture-pane -p -t sql | grep -v '^\$')\" = 'Spate SQL>' ]"; then
  pass "CLEAR: only the prompt on screen"
else
  screen >"$tmp/screen" || true
  fail "CLEAR: only the prompt on screen" "$tmp/screen"
fi
type_stmt "SELECT k, v FROM gen"
on_screen "table mode: the view's title" '^ +SQL Query Result \(Table\) *$'
on_screen "the status line: refresh interval, page, updated time" \
  '^ Refresh: 1 s +Page: Last of [0-9]+ +Updated: [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} ?$'
on_screen "the column names" '^ +k +v *$'
on_screen "rows as they arrive (k within 1..5, v a BIGINT)" '^ +[1-5] +-?[0-9]+ *$'
on_screen "the key help, two lines" '^Q Quit +\+ Inc Refresh +G Goto Page +N Next Page +O Open Row *$'
on_screen "a full page of rows and more: at least 3 pages" 'Page: Last of ([3-9]|[1-9][0-9]+) '
key +
on_screen "+ slows the refresh to 5 s" '^ Refresh: 5 s '
key -
key -
on_screen "- - speeds it up to 500 ms" '^ Refresh: 500 ms '
key P
on_screen "P: the page before the last" '^ Refresh: 500 ms +Page: [0-9]+ of [0-9]+ '
before=$(screen | sed -nE 's/.*Page: ([0-9]+) of [0-9]+.*/\1/p')
key P
on_screen "P again: one page further back" "Page: $((before - 1)) of [0-9]+ "
key N
on_screen "N: one page forward" "Page: $before of [0-9]+ "
key G
on_screen "G asks for a page" '^ Enter page number: \[1 to [0-9]+\]'
key 2
tmux -S "$sock" send-keys -t sql -H 0d
on_screen "page 2 entered" 'Page: 2 of [0-9]+ '
key L
on_screen "L: back to the last page" 'Page: Last of [0-9]+ '
during=$(threads)
assert "the query's job runs in the client ($idle threads idle, $during now)" test "$during" -gt "$idle"
key Q
on_screen "Q leaves the view: Flink's message" '^\[INFO\] Result retrieval cancelled\.$'
on_screen "and the prompt is back" '^Spate SQL>$'
if await "the job's threads to end" bash -c "[ \$(ls /proc/$pid/task | wc -l) -le $idle ]"; then
  pass "the query's job is cancelled: the client is back to its $idle thread(s)"
else
  fail "the query's job is cancelled: $(threads) threads, $idle before the query"
fi

type_stmt "QUIT"
if await "the client to exit" gone "$pid"; then
  pass "QUIT ends the client"
else
  fail "QUIT ends the client"
fi

assert "no sanitizer report on the client's stderr" \
  bash -c "! grep -qE 'Sanitizer|runtime error:' '$tmp/sql.err'"

# --- no terminal: the table printed at the end, as before -------------------------------------------
printf '%s;\n' "$query" >"$tmp/piped.sql"
run piped sql <"$tmp/piped.sql"
assert "piped: exit code 0 (got $rc)" test "$rc" -eq 0
assert "piped: the final rows as a tableau table, no escapes" \
  bash -c "grep -qF '3 rows in set' '$tmp/piped.out' && ! grep -q \$'\\033' '$tmp/piped.out'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
