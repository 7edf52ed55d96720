#!/usr/bin/env bash
# bench_nexmark_sql.sh: Nexmark's SQL queries (examples/nexmark-sql/q<N>.sql, as nexmark-flink
# writes them, into its blackhole sinks) through `spate sql -f` against the same query's
# DataStream job (`spate nexmark run qN --discard`, examples/nexmark/), both over NEXMARK_EVENTS
# events (default 2,000,000) at parallelism 1, one after the other in the same run. The figures
# are events per wall-clock second of each whole command (planning and MiniCluster start
# included). Per query it prints
#     BENCH nexmark-sql-qN engine=<SQL events/s> baseline=<DataStream events/s> ratio=<SQL/DataStream>
#
#   bash bench/bench_nexmark_sql.sh [build_dir] [qN...]   (default: every q<N>.sql there)
set -uo pipefail
build=${1:-build}
[ $# -gt 0 ] && shift
events=${NEXMARK_EVENTS:-2000000}
spate=$build/bin/spate
src=$(cd "$(dirname "$0")/.." && pwd)
queries=$src/examples/nexmark-sql
if [ ! -x "$spate" ]; then
  echo "bench_nexmark_sql: $spate is missing (build with: make release)" >&2
  exit 1
fi
if [ $# -gt 0 ]; then
  names=("$@")
else
  mapfile -t names < <(ls "$queries" | sed -n 's/^\(q[0-9][0-9]*\)\.sql$/\1/p' | sort -k1.2n)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SPATE_CONF_DIR=$tmp/conf
mkdir -p "$SPATE_CONF_DIR"
: >"$SPATE_CONF_DIR/config.yaml"
sed "s/'connector' = 'nexmark'/&, 'events.num' = '$events'/" "$queries/ddl.sql" >"$tmp/ddl.sql"

# seconds COMMAND...: runs it, prints its wall-clock seconds; fails when it does
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$tmp/last.out" 2>&1 || { cat "$tmp/last.out" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}

rc=0
for q in "${names[@]}"; do
  cat "$tmp/ddl.sql" "$queries/$q.sql" >"$tmp/$q.sql"
  sql_s=$(seconds "$spate" sql -D table.dml-sync=true -D parallelism.default=1 -f "$tmp/$q.sql") || {
    echo "bench_nexmark_sql: $q: spate sql failed" >&2; rc=1; continue; }
  job_s=$(seconds "$spate" nexmark run "$q" --events "$events" -p 1 --discard) || {
    echo "bench_nexmark_sql: $q: the DataStream job failed" >&2; rc=1; continue; }
  echo "nexmark-sql $q: SQL ${sql_s} s, DataStream job ${job_s} s, $events events"
  awk -v q="$q" -v n="$events" -v a="$sql_s" -v b="$job_s" 'BEGIN {
    e = n / a; d = n / b; printf "BENCH nexmark-sql-%s engine=%.0f baseline=%.0f ratio=%.2f\n", q, e, d, e / d }'
done
exit $rc
