#!/usr/bin/env bash
# End-to-end: web submission (Flink's /jars routes) and the history server, on a standalone
# cluster of real processes (a JobManager with web.upload.dir and jobmanager.archive.fs.dir, one
# TaskManager), driven with curl as the README shows:
#  - a job object uploaded through POST /jars/upload (field jarfile), listed by GET /jars, its
#    plan from GET and POST /jars/:jarid/plan (parallelism and arguments applied), run with
#    programArgsList, parallelism and jobId, RUNNING in /jobs, cancelled through PATCH
#    /jobs/:jobid, the jar deleted (and a second delete 404);
#  - bad input: upload names with directories ("../../x.so", absolute) stored as base names inside
#    the upload directory, a file that is no ELF shared object refused with 400 naming it, a bad
#    run body refused naming the field, jar ids that are no bare file name 404;
#  - web.submit.enable=false: every /jars route 404 on a second JobManager;
#  - the history server: a finished job's archive written by the JobManager, served by `spate
#    historyserver start` (/jobs/overview lists it, /jobs/<id> equals what the JobManager served
#    apart from its "now"), /config with web-history, an unknown path 404, a corrupt archive
#    logged naming the file and skipped, `spate historyserver stop`.
set -euo pipefail
: "${SPATE:?}" "${SPATE_EXAMPLES:?}"
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed (scripts/setup.sh)"; exit 77; }
tmp=$(mktemp -d)
pids=$tmp/pids
logs=$tmp/log
host=$(hostname)
export SPATE_IDENT_STRING=e2e-web
passed=0 failed=0
bg=()
# the system's python3 (a version manager's shim in PATH may take seconds to start)
py=python3
if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; fi
cleanup() {
  kill_pid_files "$pids"/*.pid
  for p in "${bg[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

rest_port=$(free_port)
R=http://localhost:$rest_port
D=(-D "env.pid.dir=$pids" -D "env.log.dir=$logs" -D "jobmanager.rpc.port=$(free_port)"
  -D "rest.port=$rest_port" -D "taskmanager.numberOfTaskSlots=4" -D heartbeat.interval=200ms
  -D heartbeat.timeout=5s -D "blob.storage.directory=$tmp/blobs")
up=$tmp/uploads
arch=$tmp/archive
jm_log=$logs/spate-e2e-web-standalonesession-0-$host.log

"$SPATE" jobmanager start "${D[@]}" -D "web.upload.dir=$up" -D "jobmanager.archive.fs.dir=file://$arch" \
  >>"$tmp/daemons.out" 2>&1
awaited "the JobManager's REST endpoint is up" "$jm_log" has "Rest endpoint listening at" "$jm_log"
"$SPATE" taskmanager start "${D[@]}" -D "blob.storage.directory=$tmp/blobs-tm" >>"$tmp/daemons.out" 2>&1
awaited "the TaskManager registered" "$jm_log" has "Registered TaskManager" "$jm_log"

# http NAME METHOD URL [curl args...]: the body in $tmp/NAME.json, the status in $code.
http() {
  local name=$1 method=$2 url=$3
  shift 3
  code=$(curl -s -H "Expect:" -X "$method" -o "$tmp/$name.json" -w '%{http_code}' \
    --max-time "$test_timeout_s" "$@" "$url") || code=000
}
# json NAME EXPR: a Python expression over the reply `j` of request NAME, printed.
json() { "$py" -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$tmp/$1.json"; }
# expect_code NAME CODE DESCRIPTION
expect_code() {
  if [ "$code" = "$2" ]; then pass "$3: $2"; else fail "$3: got $code, expected $2" "$tmp/$1.json"; fi
}
holds() { # holds NAME EXPR DESCRIPTION: the Python expression is true of reply NAME
  if [ "$(json "$1" "$2" 2>/dev/null)" = True ]; then pass "$3"; else fail "$3" "$tmp/$1.json"; fi
}

# --- upload, list, plan ---------------------------------------------------------------------------
job=$SPATE_EXAMPLES/exactly_once_sums.so
http upload POST "$R/jars/upload" -F "jarfile=@$job"
expect_code upload 200 "POST /jars/upload"
holds upload "j['status'] == 'success' and j['filename'].startswith('$up/flink-web-upload/') and j['filename'].endswith('_exactly_once_sums.so')" \
  "the upload is stored as <web.upload.dir>/flink-web-upload/<uuid>_<name>"
stored=$(json upload "j['filename']")
jar=$(basename "$stored")
assert "the stored file is the uploaded object" cmp -s "$job" "$stored"

http list GET "$R/jars"
expect_code list 200 "GET /jars"
holds list "j['address'] == 'http://localhost:$rest_port' and [f['id'] for f in j['files']] == ['$jar']" \
  "GET /jars lists the upload with the REST address"
holds list "(lambda f: f['name'] == 'exactly_once_sums.so' and isinstance(f['uploaded'], int) and f['entry'] == [{'name': 'spate_main', 'description': None}])(j['files'][0])" \
  "a listed jar has Flink's JarFileInfo keys: name, uploaded (ms), entry [{name, description}]"

args='["--output", "'$tmp/out'", "--count", "1000000", "--records-per-checkpoint", "100"]'
http plan_get GET "$R/jars/$jar/plan?parallelism=3&programArg=--output,$tmp/out"
expect_code plan_get 200 "GET /jars/:jarid/plan (legacy query parameters)"
holds plan_get "j['plan']['name'] == 'ExactlyOnceSums' or len(j['plan']['nodes']) > 0" "the plan has nodes"
holds plan_get "3 in [n['parallelism'] for n in j['plan']['nodes']]" "the plan's parallelism query parameter applies"
http plan_post POST "$R/jars/$jar/plan" -H "Content-Type: application/json" \
  -d '{"parallelism": 2, "programArgsList": '"$args"'}'
expect_code plan_post 200 "POST /jars/:jarid/plan with a body"
holds plan_post "max(n['parallelism'] for n in j['plan']['nodes']) == 2" "the body's parallelism applies"

# --- run, RUNNING, cancel -------------------------------------------------------------------------
jobid=0123456789abcdef0123456789abcdef
# the source emits 100 records and then waits for a checkpoint that never comes: RUNNING until
# cancelled
http run POST "$R/jars/$jar/run" -H "Content-Type: application/json" \
  -d '{"parallelism": 2, "jobId": "'$jobid'", "programArgsList": '"$args"'}'
expect_code run 200 "POST /jars/:jarid/run"
holds run "j == {'jobid': '$jobid'}" "the run answers {\"jobid\"} with the requested job id"
running() { http jobs GET "$R/jobs" && [ "$(json jobs "[x['status'] for x in j['jobs'] if x['id'] == '$jobid']")" = "['RUNNING']" ]; }
awaited "the job runs (GET /jobs: RUNNING)" "$jm_log" running
http details_running GET "$R/jobs/$jobid"
holds details_running "max(v['parallelism'] for v in j['vertices']) == 2" "the job runs at the requested parallelism"
http cancel PATCH "$R/jobs/$jobid?mode=cancel"
expect_code cancel 202 "PATCH /jobs/:jobid?mode=cancel"
cancelled() { http state GET "$R/jobs/$jobid" && [ "$(json state "j['state']")" = CANCELED ]; }
awaited "the job is CANCELED" "$jm_log" cancelled

# --- bad input ------------------------------------------------------------------------------------
http run_bad POST "$R/jars/$jar/run" -H "Content-Type: application/json" -d '{"parallelism": "two"}'
expect_code run_bad 400 "a run body with a wrong field type"
holds run_bad "'parallelism' in j['errors'][0]" "the refusal names the field"
http run_unknown POST "$R/jars/$jar/run" -d '{"paralelism": 2}'
expect_code run_unknown 400 "a run body with an unknown field"
http run_failing POST "$R/jars/$jar/run" -d '{"programArgsList": ["--count", "10"]}'
expect_code run_failing 400 "a program that fails (no --output)"
holds run_failing "'--output <dir> is required' in j['errors'][0]" "the refusal quotes the program's error"
http still_up GET "$R/jars"
expect_code still_up 200 "the JobManager serves on after a failed program"
http plan_missing GET "$R/jars/nothing.so/plan"
expect_code plan_missing 404 "the plan of a jar that does not exist"
http plan_hidden GET "$R/jars/..hidden/plan"
expect_code plan_hidden 404 "a jar id that is no bare file name"

printf 'not an object\n' >"$tmp/notes.so"
http upload_text POST "$R/jars/upload" -F "jarfile=@$tmp/notes.so"
expect_code upload_text 400 "an upload that is no ELF shared object"
holds upload_text "'notes.so' in j['errors'][0]" "the refusal names the file"
http upload_two POST "$R/jars/upload" -F "jarfile=@$job" -F "other=@$job;filename=b.so"
expect_code upload_two 400 "an upload of two files"

http upload_dots POST "$R/jars/upload" -F "jarfile=@$job;filename=../../x.so"
expect_code upload_dots 200 "an upload named ../../x.so"
holds upload_dots "j['filename'].startswith('$up/flink-web-upload/') and j['filename'].endswith('_x.so') and '..' not in j['filename']" \
  "../../x.so is stored by its base name inside the upload directory"
http upload_abs POST "$R/jars/upload" -F "jarfile=@$job;filename=$tmp/abs.so"
expect_code upload_abs 200 "an upload with an absolute name"
holds upload_abs "j['filename'].startswith('$up/flink-web-upload/') and j['filename'].endswith('_abs.so')" \
  "an absolute name is stored by its base name inside the upload directory"
outside=$(find "$tmp" \( -name '*x.so' -o -name '*abs.so' \) ! -path "$up/flink-web-upload/*" | wc -l)
assert "nothing was written outside the upload directory" test "$outside" -eq 0 -a ! -e /x.so

# --- delete ---------------------------------------------------------------------------------------
http delete DELETE "$R/jars/$jar"
expect_code delete 200 "DELETE /jars/:jarid"
holds delete "j == {}" "a delete answers {}"
assert "the deleted jar's file is gone" test ! -e "$stored"
http delete_again DELETE "$R/jars/$jar"
expect_code delete_again 404 "deleting it again"
holds delete_again "'does not exist' in j['errors'][0]" "the refusal says the file does not exist"

# --- a finished job, archived ---------------------------------------------------------------------
http upload_wc POST "$R/jars/upload" -F "jarfile=@$SPATE_EXAMPLES/wordcount.so"
wc_jar=$(basename "$(json upload_wc "j['filename']")")
http run_wc POST "$R/jars/$wc_jar/run?parallelism=2"
expect_code run_wc 200 "running WordCount through /jars (legacy query parameter)"
wc_id=$(json run_wc "j['jobid']")
archived() { [ -f "$arch/$wc_id" ] && [ -f "$arch/$jobid" ]; }
awaited "the JobManager archived both jobs in jobmanager.archive.fs.dir" "$jm_log" archived
http jm_details GET "$R/jobs/$wc_id"
holds jm_details "j['state'] == 'FINISHED'" "WordCount finished"
"$py" - "$arch/$wc_id" >"$tmp/paths" <<'EOF' || true
import json, sys
for e in json.load(open(sys.argv[1]))["archive"]:
    json.loads(e["json"])
    print(e["path"])
EOF
assert "the archive holds /jobs/overview and /jobs/<id>, each valid JSON" \
  bash -c "grep -qx /jobs/overview '$tmp/paths' && grep -qx /jobs/$wc_id '$tmp/paths'"
ls "$arch" >"$tmp/arch.ls"
assert "no temporary file is left in the archive directory" test "$(ls -A "$arch" | grep -c '^\.')" -eq 0

# --- web.submit.enable=false ----------------------------------------------------------------------
off_port=$(free_port)
"$SPATE" jobmanager start-foreground -D "rest.port=$off_port" -D "jobmanager.rpc.port=$(free_port)" \
  -D "blob.storage.directory=$tmp/blobs-off" -D web.submit.enable=false >"$tmp/off.log" 2>&1 &
bg+=($!)
off_up() { curl -s -o /dev/null "http://localhost:$off_port/config"; }
awaited "a JobManager with web.submit.enable=false is up" "$tmp/off.log" off_up
for route in "GET /jars" "POST /jars/upload" "GET /jars/$wc_jar/plan" "POST /jars/$wc_jar/run" "DELETE /jars/$wc_jar"; do
  set -- $route
  if [ "$1" = POST ] && [ "$2" = /jars/upload ]; then
    http off POST "http://localhost:$off_port$2" -F "jarfile=@$job"
  else
    http off "$1" "http://localhost:$off_port$2"
  fi
  expect_code off 404 "web.submit.enable=false: $route"
done
kill "${bg[-1]}" 2>/dev/null || true

# --- the history server ---------------------------------------------------------------------------
hs_port=$(free_port)
H=http://localhost:$hs_port
printf '{"archive": [{"path": "/jobs/x", "json": "{not json"}]}' >"$arch/ffffffffffffffffffffffffffffffff"
set +e
"$SPATE" historyserver start -D "env.pid.dir=$pids" >"$tmp/hs_nodir.out" 2>&1
hs_rc=$?
set -e
if [ "$hs_rc" -eq 1 ] && grep -q "historyserver.archive.fs.dir is not set" "$tmp/hs_nodir.out"; then
  pass "spate historyserver start without historyserver.archive.fs.dir: exit 1 saying so"
else
  fail "spate historyserver start without historyserver.archive.fs.dir: exit $hs_rc" "$tmp/hs_nodir.out"
fi
"$SPATE" historyserver start -D "env.pid.dir=$pids" -D "env.log.dir=$logs" \
  -D "historyserver.archive.fs.dir=file://$arch,$tmp/no-such-dir" -D "historyserver.web.port=$hs_port" \
  -D historyserver.archive.fs.refresh-interval=100ms >>"$tmp/daemons.out" 2>&1
hs_log=$logs/spate-e2e-web-historyserver-0-$host.log
awaited "the history server listens" "$hs_log" has "History server listening at" "$hs_log"
awaited "the corrupt archive is logged naming the file" "$hs_log" has \
  "Skipping archive $arch/ffffffffffffffffffffffffffffffff" "$hs_log"
http hs_overview GET "$H/jobs/overview"
expect_code hs_overview 200 "history server: GET /jobs/overview"
holds hs_overview "sorted(x['jid'] for x in j['jobs']) == sorted(['$wc_id', '$jobid'])" \
  "it lists both archived jobs (merged), not the corrupt one"
holds hs_overview "{x['jid']: x['state'] for x in j['jobs']} == {'$wc_id': 'FINISHED', '$jobid': 'CANCELED'}" \
  "with their final states"
http hs_details GET "$H/v1/jobs/$wc_id"
expect_code hs_details 200 "history server: GET /v1/jobs/<id>"
same_details() {
  "$py" - "$tmp/hs_details.json" "$tmp/jm_details.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d.pop("now", None)
sys.exit(0 if a == b else 1)
EOF
}
assert "/jobs/<id> is what the JobManager served (but for \"now\")" same_details
http hs_config GET "$H/config"
holds hs_config "j['features']['web-history'] is True and j['features']['web-submit'] is False" \
  "history server: /config has features.web-history"
http hs_ov GET "$H/overview"
holds hs_ov "j['jobs-finished'] == 1 and j['jobs-cancelled'] == 1 and j['taskmanagers'] == 0" \
  "history server: /overview counts the archived jobs"
http hs_unknown GET "$H/jobs/$wc_id/no-such-path"
expect_code hs_unknown 404 "history server: an unknown path"
holds hs_unknown "j['errors'][0].startswith('Not found')" "with Flink's error body"
http hs_post POST "$H/jobs/overview"
assert "history server: it is read-only (POST refused)" test "$code" != 200
# an archive written later is picked up by the next scan
cp "$arch/$wc_id" "$tmp/copy"
sed "s/$wc_id/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee/g" "$tmp/copy" >"$arch/.tmp" && mv "$arch/.tmp" "$arch/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
new_job() { http hs_new GET "$H/jobs/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" && [ "$code" = 200 ]; }
awaited "history server: a new archive is served after the refresh interval" "$hs_log" new_job
"$SPATE" historyserver stop -D "env.pid.dir=$pids" >>"$tmp/daemons.out" 2>&1
hs_pid_gone() { [ ! -s "$pids/spate-e2e-web-historyserver.pid" ]; }
awaited "spate historyserver stop stops it" "$tmp/daemons.out" hs_pid_gone

# retained-jobs: only the newest archive of a directory is served
mkdir -p "$tmp/arch2"
cp "$arch/$wc_id" "$tmp/arch2/$wc_id"
cp "$arch/$jobid" "$tmp/arch2/$jobid"
touch -d '2020-01-01 00:00' "$tmp/arch2/$jobid"
hs2_port=$(free_port)
"$SPATE" historyserver start-foreground -D "historyserver.archive.fs.dir=$tmp/arch2" \
  -D "historyserver.web.port=$hs2_port" -D historyserver.archive.retained-jobs=1 >"$tmp/hs2.log" 2>&1 &
bg+=($!)
awaited "a history server with retained-jobs 1 listens" "$tmp/hs2.log" has "History server listening at" "$tmp/hs2.log"
http hs2 GET "http://localhost:$hs2_port/jobs/overview"
holds hs2 "[x['jid'] for x in j['jobs']] == ['$wc_id']" "retained-jobs 1 serves only the newest archive"
http hs2_old GET "http://localhost:$hs2_port/jobs/$jobid"
expect_code hs2_old 404 "an archive past retained-jobs"
kill "${bg[-1]}" 2>/dev/null || true

"$SPATE" taskmanager stop "${D[@]}" >>"$tmp/daemons.out" 2>&1 || true
"$SPATE" jobmanager stop "${D[@]}" >>"$tmp/daemons.out" 2>&1 || true
if grep -q "Sanitizer" "$logs"/*.out "$logs"/*.log "$tmp/off.log" 2>/dev/null; then
  fail "no sanitizer report in the daemons' output" "$(grep -l Sanitizer "$logs"/* "$tmp/off.log" | head -1)"
else
  pass "no sanitizer report in the daemons' output"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
