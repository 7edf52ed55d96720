#!/usr/bin/env bash
# test_rest_contract_checker.sh: the checker itself (build/tests/rest_contract_check), against a
# scripted HTTP server (python3) whose every answer is fixed here and a small contract of the
# dashboard contract's format. It must name each mismatch by path and JSON pointer (a missing
# key, a metric value that is not a string, a metric id the answer lacks for one subtask, plan
# nodes that are no vertices and an edge to no node, an empty text, a body that is not JSON), a
# placeholder it cannot resolve, check a per-vertex request for every vertex, leave optional
# entries out unless --all, and exit 1; with --core (only the entries that match) it exits 0. A
# "retry" entry is asked again until its answer matches (the server's answers change with each
# request, not with time); another entry is asked once.
#
# Run by ctest from the build directory with SPATE_BUILD_DIR set.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
CHECK=${SPATE_BUILD_DIR:-build}/tests/rest_contract_check
tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0 failed=0

J=0123456789abcdef0123456789abcdef
V1=11111111111111111111111111111111
V2=22222222222222222222222222222222
cat >"$tmp/routes.json" <<EOF
{
  "/config": {"body": {"refresh-interval": 3000, "features": {"web-submit": false}}},
  "/jobs/overview": {"body": {"jobs": [{"jid": "ffffffffffffffffffffffffffffffff", "state": "FINISHED"},
                                       {"jid": "$J", "state": "RUNNING"}]}},
  "/jobs/$J": {"body": {"jid": "$J",
                        "vertices": [{"id": "$V1", "parallelism": 2}, {"id": "$V2", "parallelism": 1}],
                        "plan": {"nodes": [{"id": "$V1"}, {"id": "x", "inputs": [{"id": "nope"}]}]}}},
  "/jobs/$J/vertices/$V1/watermarks": {"body": [{"id": "0.currentInputWatermark", "value": "5"},
                                                {"id": "1.currentInputWatermark", "value": 5}]},
  "/jobs/$J/vertices/$V2/watermarks": {"body": []},
  "/log": {"text": "a log line\n"},
  "/empty-log": {"text": ""},
  "/bad-json": {"text": "{oops"},
  "/metrics-later": {"sequence": [[], [], [{"id": "a", "value": "1"}]]},
  "/metrics-once": {"sequence": [[], [{"id": "a", "value": "1"}]]}
}
EOF
cat >"$tmp/contract.json" <<'EOF'
{
  "types": {"Watermarks": {"items": {"keys": {"id": "string", "value": "numstring"}}}},
  "discovery": [
    {"placeholder": "jobid", "from": "/jobs/overview", "array": "/jobs", "field": "jid",
     "where": {"state": "RUNNING"}},
    {"placeholder": "vertexid", "from": "/jobs/:jobid", "array": "/vertices", "field": "id", "each": true},
    {"placeholder": "checkpointid", "from": "/jobs/:jobid/checkpoints", "array": "/history", "field": "id"}
  ],
  "requests": [
    {"id": "overview", "level": "core", "pages": ["overview"], "method": "GET", "path": "/jobs/overview",
     "response": {"keys": {"jobs": {"items": {"keys": {"jid": "hex32", "state": "string"}}, "min_items": 1}}}},
    {"id": "log", "level": "core", "pages": ["logs"], "method": "GET", "path": "/log",
     "response": {"text": true, "nonempty": true}},
    {"id": "config", "level": "extra", "pages": ["cluster"], "method": "GET", "path": "/config",
     "response": {"keys": {"refresh-interval": "integer",
                           "features": {"keys": {"web-submit": "boolean", "web-cancel": "boolean"}}}}},
    {"id": "job", "level": "extra", "pages": ["job-graph"], "method": "GET", "path": "/jobs/:jobid",
     "checks": ["plan_ids_match_vertices"], "response": "object"},
    {"id": "watermarks", "level": "extra", "pages": ["job-graph"], "method": "GET",
     "path": "/jobs/:jobid/vertices/:vertexid/watermarks", "response": "@Watermarks",
     "expect_ids": ["{subtask}.currentInputWatermark"]},
    {"id": "checkpoint", "level": "extra", "pages": ["checkpoints"], "method": "GET",
     "path": "/jobs/:jobid/checkpoints/details/:checkpointid", "response": "object"},
    {"id": "empty-log", "level": "extra", "pages": ["logs"], "method": "GET", "path": "/empty-log",
     "response": {"text": true, "nonempty": true}},
    {"id": "bad-json", "level": "extra", "pages": [], "method": "GET", "path": "/bad-json",
     "response": "object"},
    {"id": "flamegraph", "level": "optional", "pages": [], "method": "GET", "path": "/flamegraph",
     "response": "object"}
  ]
}
EOF
cat >"$tmp/server.py" <<'EOF'
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
routes = json.load(open(sys.argv[1]))
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        r = routes.get(path)
        if r is None:
            status, body = 404, json.dumps({"errors": ["Not found: " + path]})
        elif "sequence" in r:
            # answers in turn, the last one from then on: metrics that appear after a while
            status, body = 200, json.dumps(r["sequence"][0])
            if len(r["sequence"]) > 1:
                r["sequence"].pop(0)
        else:
            status, body = 200, r["text"] if "text" in r else json.dumps(r["body"])
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *args):
        pass
server = HTTPServer(("127.0.0.1", 0), Handler)
print("port", server.server_address[1], flush=True)
server.serve_forever()
EOF
coproc SRV { exec python3 "$tmp/server.py" "$tmp/routes.json" 2>"$tmp/server.err"; }
server_pid=$SRV_PID
if ! read -t "$test_timeout_s" -r _ port <&"${SRV[0]}"; then
  echo "FAIL - the scripted server did not report its port" >&2
  cat "$tmp/server.err" >&2
  exit 1
fi
base=http://localhost:$port

set +e
"$CHECK" --contract "$tmp/contract.json" --timeout 0 "$base/" >"$tmp/all.out" 2>&1
rc=$?
"$CHECK" --contract "$tmp/contract.json" --timeout 0 --core "$base" >"$tmp/core.out" 2>&1
rc_core=$?
"$CHECK" --contract "$tmp/contract.json" --timeout 0 --all "$base" >"$tmp/with-optional.out" 2>&1
set -e
cat "$tmp/all.out"
# line TEXT FILE: FILE has TEXT as a whole line.
line() { grep -qxF -- "$1" "$2"; }
assert "mismatches: exit 1" test "$rc" -eq 1
assert "a matching answer is ok" line "ok   GET /jobs/overview" "$tmp/all.out"
assert "a text answer is ok" line "ok   GET /log" "$tmp/all.out"
assert "a missing key, by pointer" line "       /features/web-cancel: missing key" "$tmp/all.out"
assert "plan node that is no vertex" \
  line "       /plan/nodes/1/id: \"x\" is no vertex's id (the graph node gets no status or metrics)" "$tmp/all.out"
assert "an edge from no node" line "       /plan/nodes/1/inputs/0/id: no plan node has id \"nope\"" "$tmp/all.out"
assert "a vertex without a node" line "       /vertices/1/id: vertex \"$V2\" has no plan node (not drawn)" "$tmp/all.out"
assert "the :jobid of the RUNNING job, each :vertexid" \
  line "FAIL GET /jobs/$J/vertices/$V1/watermarks  [watermarks]" "$tmp/all.out"
assert "a metric value that is no string" line "       /1/value: expected numstring, got integer" "$tmp/all.out"
assert "the second vertex is checked too" line "FAIL GET /jobs/$J/vertices/$V2/watermarks  [watermarks]" "$tmp/all.out"
assert "a metric id missing for a subtask" \
  line "       /: no metric \"0.currentInputWatermark\" (the dashboard asks for it)" "$tmp/all.out"
assert "an unresolved placeholder names its source" \
  grep -qF "unresolved :checkpointid: GET /jobs/$J/checkpoints: status 404" "$tmp/all.out"
assert "an empty text" line "       empty body, expected the file's text" "$tmp/all.out"
assert "a body that is not JSON" grep -qF "not JSON: " "$tmp/all.out"
assert "the summary counts" grep -qF \
  "9 requests checked, 2 ok, 7 failed (1 unresolved), 0 warnings" "$tmp/all.out"
assert "optional entries are not checked by default" grep -qF '"flamegraph (optional)"' "$tmp/all.out"
assert "--all checks optional entries" grep -qF "GET /flamegraph  [flamegraph]" "$tmp/with-optional.out"
assert "--core: only the core entries, all ok: exit 0" test "$rc_core" -eq 0
assert "--core: the verdict" line "RESULT: the endpoint meets the dashboard contract" "$tmp/core.out"
cat >"$tmp/retry.json" <<'EOF'
{
  "types": {}, "discovery": [],
  "requests": [
    {"id": "later", "level": "core", "pages": [], "method": "GET", "path": "/metrics-later", "retry": true,
     "response": {"items": {"keys": {"id": "string", "value": "numstring"}}}, "expect_ids": ["a"]},
    {"id": "once", "level": "core", "pages": [], "method": "GET", "path": "/metrics-once",
     "response": {"items": {"keys": {"id": "string", "value": "numstring"}}}, "expect_ids": ["a"]}
  ]
}
EOF
set +e
"$CHECK" --contract "$tmp/retry.json" --timeout "$test_timeout_s" "$base" >"$tmp/retry.out" 2>&1
set -e
assert "a retry entry is asked until its answer matches" line "ok   GET /metrics-later" "$tmp/retry.out"
assert "an entry without retry is asked once" line "FAIL GET /metrics-once  [once]" "$tmp/retry.out"
set +e
"$CHECK" --contract "$tmp/contract.json" >"$tmp/usage.out" 2>&1
rc_usage=$?
echo '{"types": {}, "discovery": [], "requests": [{"id": "a", "level": "core", "method": "GET",
  "path": "/x", "pages": [], "response": "strng"}]}' >"$tmp/bad.json"
"$CHECK" --contract "$tmp/bad.json" "$base" >"$tmp/bad.out" 2>&1
rc_bad=$?
set -e
assert "no BASE_URL: usage, exit 2" test "$rc_usage" -eq 2
assert "a malformed contract: exit 2" test "$rc_bad" -eq 2
assert "a malformed contract: the fault named" grep -qF "/requests/0/response: unknown type 'strng'" "$tmp/bad.out"
if grep -q 'Sanitizer' "$tmp"/*.out; then fail "no sanitizer report"; fi
echo "passed=$passed failed=$failed"
[ "$failed" -eq 0 ]
