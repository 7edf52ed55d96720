#!/usr/bin/env bash
# run.sh: runs every benchmark against a release build and prints their BENCH lines at the end.
#
#   bash bench/run.sh [build_dir] [name...]
#
# build_dir defaults to "build" (what `make bench` builds). Names select benchmarks (wordcount-p1,
# wordcount-p2, wordcount-p1-s2 (source at 2), wordcount-1m, wordcount-1m-p2 (a million keys),
# chain, nexmark-source, nexmark-source-p2, exchange, exchange-keyed-2, exchange-keyed-4, exchange-keyed-2-s2 (source at 2), startup,
# memory, state-value, window-tumbling, window-sliding, window-tumbling-1m, window-tumbling-src2,
# window-sliding-src2, window-tumbling-1m-src2, session, session-apply, session-evictor,
# checkpoint-overhead, checkpoint-size, metrics-overhead, sql-window, sql-groupby (a SQL
# query through a SQL session against its DataStream job), cluster: exchange-tcp, wordcount-cluster,
# submit,
# idle RSS and recovery on a cluster of processes; nexmark-q0, nexmark-q1, ...: each Nexmark
# query of the build at parallelism 1 and 2, "nexmark" for all of them, NEXMARK_EVENTS events
# (default 10,000,000; bench_nexmark.sh)); nexmark-sql: Nexmark's SQL queries against their
# DataStream jobs (bench_nexmark_sql.sh);
# without names all run. Each benchmark's full output is shown as it runs and kept in <build_dir>/bench-logs/<name>.log. Exits 1 if any
# benchmark failed, after running the others.
set -uo pipefail

build=${1:-build}
[ $# -gt 0 ] && shift
bin="$build/bench"
logs="$build/bench-logs"
mkdir -p "$logs"

# name | program | arguments after the build dir
benches=(
  "chain|bench_chain|"
  "nexmark-source|bench_nexmark_source|"
  "nexmark-source-p2|bench_nexmark_source|-p 2"
  "exchange|bench_exchange|"
  "wordcount-p1|bench_wordcount|-p 1"
  "wordcount-p2|bench_wordcount|-p 2"
  "wordcount-p1-s2|bench_wordcount|-p 1 --source-p 2"
  "wordcount-1m|bench_wordcount|-p 1 --vocab 1000000"
  "wordcount-1m-p2|bench_wordcount|-p 2 --vocab 1000000"
  "exchange-keyed-2|bench_exchange|-p 2 --keyed"
  "exchange-keyed-4|bench_exchange|-p 4 --keyed"
  "exchange-keyed-2-s2|bench_exchange|-p 2 --keyed --source-p 2"
  "startup|bench_startup|"
  "memory|bench_memory|"
  "state-value|bench_state|"
  "window-tumbling|bench_window|"
  "window-sliding|bench_window|--sliding"
  "window-tumbling-1m|bench_window|--keys 1000000"
  "window-tumbling-src2|bench_window|--src-p 2"
  "window-sliding-src2|bench_window|--sliding --src-p 2"
  "window-tumbling-1m-src2|bench_window|--keys 1000000 --src-p 2"
  "session|bench_session|"
  "session-apply|bench_session_length|--apply"
  "session-evictor|bench_session_length|--evictor"
  "checkpoint-overhead|bench_checkpoint|--overhead"
  "checkpoint-size|bench_checkpoint|--size"
  "metrics-overhead|bench_metrics|"
  "sql-window|bench_sql|"
  "sql-groupby|bench_sql|--groupby"
  "cluster|bench_cluster.sh|"
  "nexmark-sql|bench_nexmark_sql.sh|"
)
# The Nexmark queries, one entry per q<N>.so of the build (bench_nexmark.sh: parallelism 1 and 2
# each); the name "nexmark" selects them all.
mapfile -t nexmark_queries < <(ls "$build/examples/nexmark" 2>/dev/null |
  sed -n 's/^\(q[0-9][0-9]*\)\.so$/\1/p' | sort -k1.2n)
[ ${#nexmark_queries[@]} -eq 0 ] && benches+=("nexmark|bench_nexmark.sh|") # reports the build missing
for q in "${nexmark_queries[@]}"; do benches+=("nexmark-$q|bench_nexmark.sh|$q"); done

selected() {
  [ $# -eq 1 ] && return 0
  local want=$1; shift
  for n in "$@"; do
    [ "$n" = "$want" ] && return 0
    [ "$n" = nexmark ] && [[ $want == nexmark-q* || $want == nexmark ]] && return 0
  done
  return 1
}

failed=()
summary=()
for entry in "${benches[@]}"; do
  IFS='|' read -r name prog args <<<"$entry"
  selected "$name" "$@" || continue
  echo "=== $name"
  if [[ $prog == *.sh ]]; then # a script of bench/, given the build dir
    start=$(date +%s)
    # shellcheck disable=SC2086
    bash "$(dirname "$0")/$prog" "$build" $args 2>&1 | tee "$logs/$name.log"
    rc=${PIPESTATUS[0]}
    echo "=== $name: exit $rc after $(( $(date +%s) - start )) s"
    if [ "$rc" -ne 0 ]; then
      failed+=("$name")
      summary+=("FAILED $name (exit $rc, log $logs/$name.log)")
    fi
    while IFS= read -r line; do summary+=("$line"); done \
      < <(grep -E '^(BENCH|MEMORY|STARTUP|CHECKPOINT|CLUSTER|NEXMARK) ' "$logs/$name.log")
    continue
  fi
  if [ ! -x "$bin/$prog" ]; then
    echo "run.sh: $bin/$prog is missing (build with: make release)" | tee "$logs/$name.log"
    failed+=("$name")
    summary+=("FAILED $name (missing $bin/$prog)")
    continue
  fi
  start=$(date +%s)
  # shellcheck disable=SC2086 # args is a word list on purpose
  "$bin/$prog" "$build" $args 2>&1 | tee "$logs/$name.log"
  rc=${PIPESTATUS[0]}
  echo "=== $name: exit $rc after $(( $(date +%s) - start )) s"
  if [ "$rc" -ne 0 ]; then
    failed+=("$name")
    summary+=("FAILED $name (exit $rc, log $logs/$name.log)")
  fi
  while IFS= read -r line; do summary+=("$line"); done \
    < <(grep -E '^(BENCH|MEMORY|STARTUP|CHECKPOINT) ' "$logs/$name.log")
done

echo
echo "=== results"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run.sh: failed: ${failed[*]}" >&2
  exit 1
fi
