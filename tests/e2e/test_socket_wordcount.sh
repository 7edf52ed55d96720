#!/usr/bin/env bash
# test_socket_wordcount.sh: the SocketWindowWordCount example against a real TCP server on
# 127.0.0.1: its rolling variant (--window 0) and its processing-time windows.
#
# A small python3 server listens on an ephemeral port, tells the test its port through a FIFO
# (so the test waits for the event, not for a sleep), accepts one connection, writes lines in
# several chunks (a line may be split across writes; the last line has no newline) and closes.
# The job must then finish on its own with the counts of an independent tr|sort|uniq count. Also
# checked: --port missing or invalid prints usage and fails; a refused connection fails with a
# message naming host and port.
#
# Run by ctest from the build directory with SPATE and SPATE_EXAMPLES set.
set -euo pipefail
export LC_ALL=C

SPATE=${SPATE:-build/bin/spate}
SPATE_EXAMPLES=${SPATE_EXAMPLES:-build/examples}
SWC=$SPATE_EXAMPLES/socket_wordcount.so
tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run() {
  local name=$1; shift
  set +e
  timeout "$test_timeout_s" "$SPATE" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
  set -e
  cat "$tmp/$name.out" "$tmp/$name.err" >"$tmp/$name.log"
}
expect_clean_failure() {
  local name=$1 what=$2
  if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && ! grep -q 'Sanitizer' "$tmp/$name.log"; then
    pass "$what: fails cleanly (exit $rc)"
  else
    fail "$what: expected a clean non-zero exit, got $rc" "$tmp/$name.log"
  fi
}
result_lines() { grep -E '^([0-9]+> )?\(.*\)$' "$@" | sed -E 's/^[0-9]+> //' || true; }
final_counts() {
  result_lines "$@" | awk '{
      s = substr($0, 2, length($0) - 2); i = index(s, ",")
      w = substr(s, 1, i - 1); c = substr(s, i + 1) + 0
      if (c > m[w]) m[w] = c
    } END { for (w in m) print w, m[w] }' | sort
}
expected_counts() {
  tr -cs 'A-Za-z0-9_' '\n' <"$1" | tr 'A-Z' 'a-z' | { grep -v '^$' || true; } | sort |
    uniq -c | awk '{ print $2, $1 }' | sort
}

# The server: sends the file given as argv[1] in chunks of argv[2] bytes, then closes. Gives up
# after the test timeout without a client so that a broken job cannot hang the test.
cat >"$tmp/server.py" <<'EOF'
import socket, sys
data = open(sys.argv[1], "rb").read()
chunk = int(sys.argv[2])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(float(sys.argv[3]))
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
for i in range(0, len(data), chunk):
    conn.sendall(data[i:i + chunk])
conn.shutdown(socket.SHUT_WR)
conn.close()
srv.close()
EOF

# start_server FILE CHUNK: starts the server and sets $port once it listens.
start_server() {
  rm -f "$tmp/port.fifo"
  mkfifo "$tmp/port.fifo"
  python3 "$tmp/server.py" "$1" "$2" "$test_timeout_s" >"$tmp/port.fifo" &
  server_pid=$!
  read -r port <"$tmp/port.fifo"
}
stop_server() {
  if [ -n "$server_pid" ]; then wait "$server_pid" 2>/dev/null || true; fi
  server_pid=
}

{
  printf 'To be, or not to be,--that is the question:--\n'
  printf 'Whether '"'"'tis nobler in the mind to suffer\r\n'
  printf 'The slings and arrows of outrageous fortune\n\n'
  for i in $(seq 1 300); do printf 'Line %d: SPATE spate Spate_%d\n' "$i" $((i % 7)); done
  printf 'and the last line has no newline'
} >"$tmp/lines.txt"
expected_counts "$tmp/lines.txt" >"$tmp/lines.expected"

for chunk in 100000 7; do
  start_server "$tmp/lines.txt" "$chunk"
  run "sock$chunk" run "$SWC" --hostname 127.0.0.1 --port "$port" --window 0
  stop_server
  if [ "$rc" -eq 0 ]; then pass "chunks of $chunk bytes: exit 0 after the server closes"
  else fail "chunks of $chunk bytes: exit $rc" "$tmp/sock$chunk.log"; fi
  final_counts "$tmp/sock$chunk.out" >"$tmp/sock$chunk.final"
  if cmp -s "$tmp/lines.expected" "$tmp/sock$chunk.final"; then
    pass "chunks of $chunk bytes: final counts match tr|sort|uniq"
  else
    fail "chunks of $chunk bytes: final counts match tr|sort|uniq"
    diff "$tmp/lines.expected" "$tmp/sock$chunk.final" | head -10 || true
  fi
  assert "chunks of $chunk bytes: prints (spate,1)" grep -qxF '(spate,1)' "$tmp/sock$chunk.out"
  assert "chunks of $chunk bytes: the unterminated last line counts ((newline,1))" \
    grep -qxF '(newline,1)' "$tmp/sock$chunk.out"
done

# --hostname defaults to localhost (which may resolve to ::1 first; the server is on IPv4, so a
# client that tries every address getaddrinfo returns must still connect).
start_server "$tmp/lines.txt" 4096
run sockdefault run "$SWC" --port "$port" --window 0
stop_server
if [ "$rc" -eq 0 ]; then pass "default hostname localhost: exit 0"
else fail "default hostname localhost: exit $rc" "$tmp/sockdefault.log"; fi
final_counts "$tmp/sockdefault.out" >"$tmp/sockdefault.final"
assert "default hostname localhost: final counts match" cmp -s "$tmp/lines.expected" "$tmp/sockdefault.final"

# --- processing-time windows ----------------------------------------------------------------------
# The server sends a burst, waits until the job has printed that burst's window (so the window
# has closed and fired), then sends the second burst, waits for its window too, and only then
# closes: each burst is counted in a window of its own, and every window fired while the job
# still ran, whatever the machine's speed. (It reads the job's output file; it gives up after the
# test timeout.)
cat >"$tmp/bursts.py" <<'EOF'
import socket, sys, time
out, timeout = sys.argv[1], float(sys.argv[2])
def await_line(line):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(out) as f:
                if any(l.rstrip("\n").split("> ")[-1] == line for l in f):
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    sys.exit("timed out awaiting %s in %s" % (line, out))
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(timeout)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
conn.sendall(b"to be or not to be\nthat is the question\n")
await_line("(question,1)")
conn.sendall(b"to sleep perchance to dream\n")
await_line("(dream,1)")
conn.close()
srv.close()
EOF
rm -f "$tmp/port.fifo"
mkfifo "$tmp/port.fifo"
python3 "$tmp/bursts.py" "$tmp/windows.out" "$test_timeout_s" >"$tmp/port.fifo" &
server_pid=$!
read -r port <"$tmp/port.fifo"
run windows run "$SWC" --hostname 127.0.0.1 --port "$port" --window 300
stop_server
if [ "$rc" -eq 0 ]; then pass "300 ms windows: exit 0"; else fail "300 ms windows: exit $rc" "$tmp/windows.log"; fi
printf 'to be or not to be\nthat is the question\nto sleep perchance to dream\n' >"$tmp/bursts.txt"
summed=$(result_lines "$tmp/windows.out" | awk '{
    s = substr($0, 2, length($0) - 2); i = index(s, ",")
    n[substr(s, 1, i - 1)] += substr(s, i + 1)
  } END { for (w in n) print w, n[w] }' | sort)
assert "300 ms windows: per-window counts add up to the words sent" \
  test "$summed" = "$(expected_counts "$tmp/bursts.txt")"
assert "300 ms windows: the two bursts are counted in different windows ((to,2) twice)" \
  test "$(result_lines "$tmp/windows.out" | grep -cxF '(to,2)')" -eq 2

# --- usage errors -------------------------------------------------------------------------------
run noport run "$SWC"
expect_clean_failure noport "no --port"
assert "no --port: prints usage naming --port" grep -qF -- '--port' "$tmp/noport.err"
for bad in abc 0 65536 -5 12x; do
  run "badport_$bad" run "$SWC" --port="$bad"
  expect_clean_failure "badport_$bad" "--port $bad"
  assert "--port $bad: message names the port" grep -qF -- "$bad" "$tmp/badport_$bad.err"
done

# --- nobody listening ---------------------------------------------------------------------------
# Take a free port from the kernel and close it again: connecting there is refused.
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
run refused run "$SWC" --hostname 127.0.0.1 --port "$closed_port"
expect_clean_failure refused "connection refused"
assert "connection refused: message names host:port" grep -qE "127\.0\.0\.1.*$closed_port" "$tmp/refused.log"

echo "test_socket_wordcount: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
