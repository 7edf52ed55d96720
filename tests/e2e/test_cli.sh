#!/usr/bin/env bash
# test_cli.sh: the `spate` command itself: help, `spate info`, loading jobs, and configuration
# from -p, -D and conf/config.yaml ($SPATE_CONF_DIR), including every way to get them wrong.
#
# A wrong command line or configuration must give a non-zero exit and a message that names what
# was wrong (the path, the key, the file and line); help must exit 0. Correct settings must take
# effect, which the WordCount example shows through print's "N> " prefixes.
#
# Run by ctest from the build directory with SPATE and SPATE_EXAMPLES set.
set -euo pipefail
export LC_ALL=C

SPATE=${SPATE:-build/bin/spate}
SPATE_EXAMPLES=${SPATE_EXAMPLES:-build/examples}
WC=$SPATE_EXAMPLES/wordcount.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# run NAME ARGS...: stdout in $tmp/NAME.out, stdout and stderr together in $tmp/NAME.log, exit
# status in $rc.
run() {
  local name=$1; shift
  set +e
  timeout "$test_timeout_s" "$SPATE" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
  set -e
  cat "$tmp/$name.out" "$tmp/$name.err" >"$tmp/$name.log"
}
expect_ok() {
  if [ "$rc" -eq 0 ]; then pass "$2: exit 0"; else fail "$2: exit $rc" "$tmp/$1.log"; fi
}
expect_clean_failure() {
  local name=$1 what=$2
  if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && ! grep -q 'Sanitizer' "$tmp/$name.log"; then
    pass "$what: fails cleanly (exit $rc)"
  else
    fail "$what: expected a clean non-zero exit, got $rc" "$tmp/$name.log"
  fi
}
mentions() {
  if grep -qiF -- "$2" "$tmp/$1.log"; then pass "$3"; else fail "$3" "$tmp/$1.log"; fi
}
# prefixes NAME: the distinct "N> " prefixes of result lines in stdout, e.g. "1> 2> ".
prefixes() { grep -oE '^[0-9]+> \(' "$tmp/$1.out" | cut -d' ' -f1 | sort -un | sed 's/$/ /' | tr -d '\n' || true; }

printf 'to be or not to be\nthat is the question\n' >"$tmp/in.txt"
# 200 distinct words: enough keys that every subtask of a keyed operator gets some.
for i in $(seq 1 200); do printf 'word%d ' "$i"; done >"$tmp/many.txt"

# --- help and unknown commands ----------------------------------------------------------------
run help --help
expect_ok help "spate --help"
mentions help "usage" "spate --help: prints usage"
mentions help "run" "spate --help: lists the run command"
mentions help "info" "spate --help: lists the info command"
run help_run run --help
expect_ok help_run "spate run --help"
mentions help_run "usage" "spate run --help: prints usage"
mentions help_run "-p" "spate run --help: documents -p"
mentions help_run "-D" "spate run --help: documents -D"
run help_info info --help
expect_ok help_info "spate info --help"
mentions help_info "usage" "spate info --help: prints usage"
run unknown frobnicate
expect_clean_failure unknown "unknown command"
mentions unknown "frobnicate" "unknown command: message names it"
run run_nojob run
expect_clean_failure run_nojob "spate run without a job"

# --- spate info: the plan as JSON, nothing runs --------------------------------------------------
run info info "$WC"
expect_ok info "spate info wordcount.so"
# The JSON may be framed by header lines (Flink's CLI prints some); take the outermost object.
if python3 - "$tmp/info.out" >"$tmp/info.json" 2>"$tmp/info.jsonerr" <<'EOF'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
start, end = text.find("{"), text.rfind("}")
if start < 0 or end < start:
    sys.exit("no JSON object in the output")
json.dump(json.loads(text[start:end + 1]), sys.stdout, indent=1)
EOF
then
  pass "spate info: stdout holds valid JSON"
else
  fail "spate info: stdout holds valid JSON" "$tmp/info.jsonerr"
fi
mentions info "tokenizer" "spate info: plan names the tokenizer"
mentions info "counter" "spate info: plan names the counter"
mentions info "in-memory-input" "spate info: plan names the built-in source"
mentions info "HASH" "spate info: plan shows the HASH ship strategy of key_by"
assert "spate info: nothing ran (no results)" test "$(grep -cE '^(\(|[0-9]+> \()' "$tmp/info.out" || true)" -eq 0
assert "spate info: nothing was submitted" test "$(grep -c 'Job has been submitted' "$tmp/info.out" || true)" -eq 0
if command -v jq >/dev/null; then
  assert "spate info: jq reads the plan" jq -e . "$tmp/info.json" >/dev/null
fi
run info_args info -p 3 "$WC" --input "$tmp/in.txt" --output "$tmp/never-written"
expect_ok info_args "spate info with -p and job arguments"
mentions info_args "file-input" "spate info --input: plan names the file source"
mentions info_args "file-sink" "spate info --output: plan names the file sink"
assert "spate info: the output was not written" test ! -e "$tmp/never-written"

# --- loading the job ----------------------------------------------------------------------------
run noso run "$tmp/no-such-job.so"
expect_clean_failure noso "missing .so"
mentions noso "$tmp/no-such-job.so" "missing .so: message names the path"

printf 'int not_the_entry_point(void) { return 0; }\n' >"$tmp/nomain.c"
if ${CC:-cc} -shared -fPIC "$tmp/nomain.c" -o "$tmp/nomain.so"; then
  run nomain run "$tmp/nomain.so"
  expect_clean_failure nomain ".so without spate_main"
  mentions nomain "spate_main" ".so without spate_main: message names spate_main"
  mentions nomain "$tmp/nomain.so" ".so without spate_main: message names the file"
else
  fail "could not build a test .so with ${CC:-cc}"
fi

printf 'this is not an ELF file\n' >"$tmp/text.so"
run textso run "$tmp/text.so"
expect_clean_failure textso "a text file as the job"
mentions textso "$tmp/text.so" "a text file as the job: message names it"

# A job whose spate_main returns non-zero makes spate exit non-zero.
printf 'int spate_main(int argc, char **argv) { (void)argc; (void)argv; return 3; }\n' >"$tmp/ret3.c"
${CC:-cc} -shared -fPIC "$tmp/ret3.c" -o "$tmp/ret3.so"
run ret3 run "$tmp/ret3.so"
expect_clean_failure ret3 "spate_main returning 3"

# A UDF that cannot be named (static) is rejected when the job is built, with a message saying why.
cat >"$tmp/static_udf.c" <<'C'
#include <spate/spate.h>
static int keep(spate_ctx *ctx, const spate_row *in) { (void)ctx; (void)in; return 1; }
int spate_main(int argc, char **argv) {
  (void)argc; (void)argv;
  spate_env *env = spate_env_create();
  spate_print(spate_filter(spate_from_sequence(env, 1, 3), keep), NULL);
  spate_job_result *r = spate_execute(env, "static udf");
  int failed = spate_job_result_status(r) != SPATE_JOB_FINISHED;
  spate_job_result_free(r);
  spate_env_free(env);
  return failed;
}
C
${CC:-cc} -shared -fPIC -I"$SPATE_SOURCE_DIR/include" "$tmp/static_udf.c" -o "$tmp/static_udf.so"
run staticudf run "$tmp/static_udf.so"
expect_clean_failure staticudf "a static UDF"
mentions staticudf "static" "a static UDF: message says it must not be static"
mentions staticudf "spate_filter" "a static UDF: message names the API call"

# --- -p ---------------------------------------------------------------------------------------
for bad in 0 -1 abc 2x 99999999999; do
  run "p_$bad" run -p "$bad" "$WC"
  expect_clean_failure "p_$bad" "-p $bad"
  if grep -qiE 'parallelism|-p' "$tmp/p_$bad.log"; then pass "-p $bad: message names the parallelism"
  else fail "-p $bad: message names the parallelism" "$tmp/p_$bad.log"; fi
  assert "-p $bad: nothing ran" test "$(grep -c 'Job has been submitted' "$tmp/p_$bad.out" || true)" -eq 0
done
run p3 run -p 3 "$WC" --input "$tmp/many.txt"
expect_ok p3 "-p 3"
assert "-p 3: print prefixes are 1> 2> 3>" test "$(prefixes p3)" = "1> 2> 3> "

# --- options and job arguments without their value ----------------------------------------------
# An option that takes a value says so when the value is missing (last, or followed by another
# option), naming the option, and nothing runs.
for opt in -p --parallelism -D -s --fromSavepoint; do
  run "noval_$opt" run "$opt"
  expect_clean_failure "noval_$opt" "$opt with nothing after it"
  mentions "noval_$opt" "$opt needs a value" "$opt with nothing after it: says it needs a value"
done
run noval_p_opt run -p -D parallelism.default=2 "$WC"
expect_clean_failure noval_p_opt "-p followed by -D"
mentions noval_p_opt "-p needs a value" "-p followed by -D: says -p needs a value"
assert "-p followed by -D: nothing ran" test "$(grep -c 'Job has been submitted' "$tmp/noval_p_opt.out" || true)" -eq 0
run noval_s_opt run -s -n "$WC"
expect_clean_failure noval_s_opt "-s followed by -n"
mentions noval_s_opt "-s needs a value" "-s followed by -n: says -s needs a value"
run p_long run --parallelism=2 "$WC" --input "$tmp/in.txt"
expect_ok p_long "--parallelism=2"
assert "--parallelism=2: print prefixes are 1> and 2>" test "$(prefixes p_long)" = "1> 2> "

# Job arguments follow ParameterTool: a trailing --input is a flag without a value, and
# "--input --output x" gives --input no value (it used to read "--output" as the input path).
# Every example that needs a value says which argument lacks one.
run wc_noinput run "$WC" --input
expect_clean_failure wc_noinput "wordcount --input with no value"
mentions wc_noinput "--input needs a value" "wordcount --input with no value: says so"
assert "wordcount --input with no value: nothing ran" test "$(grep -c 'Job has been submitted' "$tmp/wc_noinput.out" || true)" -eq 0
run wc_input_key run "$WC" --input --output "$tmp/never"
expect_clean_failure wc_input_key "wordcount --input followed by --output"
mentions wc_input_key "--input needs a value" "wordcount --input --output x: says --input needs a value"
assert "wordcount --input --output x: nothing written" test ! -e "$tmp/never"
run wc_nooutput run "$WC" --input "$tmp/in.txt" --output
expect_clean_failure wc_nooutput "wordcount --output with no value"
mentions wc_nooutput "--output needs a value" "wordcount --output with no value: says so"
run wc_info_noinput info "$WC" --input
expect_clean_failure wc_info_noinput "spate info wordcount --input with no value"
mentions wc_info_noinput "--input needs a value" "spate info wordcount --input with no value: says so"
for ex in top_speed_windowing session_clicks start_end; do
  run "noval_$ex" run "$SPATE_EXAMPLES/$ex.so" --input
  expect_clean_failure "noval_$ex" "$ex --input with no value"
  mentions "noval_$ex" "--input needs a value" "$ex --input with no value: says so"
done
run noval_socket run "$SPATE_EXAMPLES/socket_wordcount.so" --port
expect_clean_failure noval_socket "socket_wordcount --port with no value"
mentions noval_socket "--port needs a value" "socket_wordcount --port with no value: says so"
run noval_rebalance run "$SPATE_EXAMPLES/rebalance.so" --count
expect_clean_failure noval_rebalance "rebalance --count with no value"
mentions noval_rebalance "--count needs a value" "rebalance --count with no value: says so"
run noval_eos run "$SPATE_EXAMPLES/exactly_once_sums.so" --output
expect_clean_failure noval_eos "exactly_once_sums --output with no value"
mentions noval_eos "--output needs a value" "exactly_once_sums --output with no value: says so"

# --- -D ---------------------------------------------------------------------------------------
run d_unknown run -D no.such.key=1 "$WC"
expect_clean_failure d_unknown "-D unknown key"
mentions d_unknown "no.such.key" "-D unknown key: message names the key"
run d_badval run -D parallelism.default=many "$WC"
expect_clean_failure d_badval "-D malformed value"
mentions d_badval "many" "-D malformed value: message names the value"
mentions d_badval "parallelism.default" "-D malformed value: message names the key"
run d_dur run -D execution.buffer-timeout.interval=soon "$WC"
expect_clean_failure d_dur "-D malformed duration"
mentions d_dur "soon" "-D malformed duration: message names the value"
run d_mem run -D taskmanager.memory.segment-size=lots "$WC"
expect_clean_failure d_mem "-D malformed memory size"
run d_noeq run -D parallelism.default "$WC"
expect_clean_failure d_noeq "-D without '='"
mentions d_noeq "parallelism.default" "-D without '=': message names the argument"
run d_missing run "$WC" -D
# "-D" after the job is a job argument, so this one is the job's business: it must not crash.
assert "-D after the job goes to the job (no crash)" test "$rc" -lt 124
run d_nothing run -D
expect_clean_failure d_nothing "-D with nothing after it"

run d_ok run -D parallelism.default=2 "$WC" --input "$tmp/in.txt"
expect_ok d_ok "-D parallelism.default=2"
assert "-D parallelism.default=2: print prefixes are 1> and 2>" test "$(prefixes d_ok)" = "1> 2> "
run d_joined run -Dparallelism.default=2 "$WC" --input "$tmp/in.txt"
expect_ok d_joined "-Dparallelism.default=2 (Flink's joined form)"
assert "-Dparallelism.default=2: print prefixes are 1> and 2>" test "$(prefixes d_joined)" = "1> 2> "
run d_flink run -D jobmanager.memory.process.size=1600m "$WC" --input "$tmp/in.txt"
expect_ok d_flink "-D with a Flink JVM key (accepted with a warning)"
run d_many run -D parallelism.default=2 -D execution.buffer-timeout.interval=0 \
  -D pipeline.operator-chaining.enabled=false -D log.level=WARN "$WC" --input "$tmp/in.txt"
expect_ok d_many "several -D options"
assert "several -D options: results still right" grep -qE '^[12]> \(be,2\)$' "$tmp/d_many.out"

# --- config.yaml ----------------------------------------------------------------------------------
mkdir -p "$tmp/conf_ok" "$tmp/conf_unknown" "$tmp/conf_syntax" "$tmp/conf_badval" "$tmp/conf_none"
printf '# test configuration\nparallelism:\n  default: 2\ntaskmanager.numberOfTaskSlots: 4\n' \
  >"$tmp/conf_ok/config.yaml"
printf '# line 1\nparallelism.default: 1\nno.such.option: 5\n' >"$tmp/conf_unknown/config.yaml"
printf 'parallelism.default: 1\nlog.level: [INFO\n' >"$tmp/conf_syntax/config.yaml"
printf 'parallelism.default: 1\n\ntaskmanager.numberOfTaskSlots: plenty\n' >"$tmp/conf_badval/config.yaml"

SPATE_CONF_DIR=$tmp/conf_ok run c_ok run "$WC" --input "$tmp/in.txt"
expect_ok c_ok "config.yaml with parallelism.default: 2"
assert "config.yaml parallelism.default: 2 takes effect (prefixes 1> 2>)" test "$(prefixes c_ok)" = "1> 2> "
SPATE_CONF_DIR=$tmp/conf_ok run c_override run -p 1 "$WC" --input "$tmp/in.txt"
expect_ok c_override "-p 1 over config.yaml"
assert "-p 1 overrides config.yaml (no prefixes)" test -z "$(prefixes c_override)"
SPATE_CONF_DIR=$tmp/conf_ok run c_doverride run -D parallelism.default=3 "$WC" --input "$tmp/many.txt"
assert "-D overrides config.yaml (prefixes 1> 2> 3>)" test "$(prefixes c_doverride)" = "1> 2> 3> "

SPATE_CONF_DIR=$tmp/conf_unknown run c_unknown run "$WC"
expect_clean_failure c_unknown "config.yaml with an unknown key"
mentions c_unknown "no.such.option" "config.yaml unknown key: message names the key"
mentions c_unknown "$tmp/conf_unknown/config.yaml" "config.yaml unknown key: message names the file"
if grep -qE 'config\.yaml:3|line 3' "$tmp/c_unknown.log"; then
  pass "config.yaml unknown key: message names line 3"
else
  fail "config.yaml unknown key: message names line 3" "$tmp/c_unknown.log"
fi

SPATE_CONF_DIR=$tmp/conf_syntax run c_syntax run "$WC"
expect_clean_failure c_syntax "config.yaml with a YAML syntax error"
mentions c_syntax "$tmp/conf_syntax/config.yaml" "config.yaml syntax error: message names the file"

SPATE_CONF_DIR=$tmp/conf_badval run c_badval run "$WC"
expect_clean_failure c_badval "config.yaml with a malformed value"
mentions c_badval "plenty" "config.yaml malformed value: message names the value"
if grep -qE 'config\.yaml:3|line 3' "$tmp/c_badval.log"; then
  pass "config.yaml malformed value: message names line 3"
else
  fail "config.yaml malformed value: message names line 3" "$tmp/c_badval.log"
fi

# A configuration directory named explicitly must hold config.yaml (as FLINK_CONF_DIR must).
SPATE_CONF_DIR=$tmp/conf_none run c_none run "$WC" --input "$tmp/in.txt"
expect_clean_failure c_none "SPATE_CONF_DIR without config.yaml"
mentions c_none "conf_none/config.yaml" "SPATE_CONF_DIR without config.yaml: message names the file"

echo "test_cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
