#!/usr/bin/env bash
# bench_nexmark.sh: the Nexmark queries (examples/nexmark/, whatever q<N>.so the build holds),
# each over NEXMARK_EVENTS events (default 10,000,000) at parallelism 1 and 2 (NEXMARK_PARALLELISM,
# default "1 2"), with checkpoints every 10 s (execution.checkpointing.interval, to files under a
# temporary state.checkpoints.dir) and the result into a discarding sink that receives every row
# (Flink's blackhole, as nexmark-flink runs them). Each run goes through the runner,
#     spate nexmark run qN --events N -p P --discard -D ...
# and its figures are the ones the runner reports (src/cli/nexmark_command.h): seconds from
# loading the job (plan and MiniCluster start included) to the job's end, CPU seconds of the
# whole process (getrusage user + sys).
#
# The baseline is the Nexmark source alone, every event of the table `nexmark` into a discarding
# sink (bench/jobs/nexmark_source.c), run the same way with the same options right before each
# query, so the two are measured in the same run under the same load. Per query and parallelism
# it prints
#     BENCH nexmark-qN[-p2] engine=<events/s> baseline=<events/s> ratio=<engine/baseline>
#     NEXMARK nexmark-qN[-p2] events/cpu-second=<E> flink-per-core=<F> ratio=<E/F>
# where F is Flink's published events/s per core for the query (Flink 1.13, 8 cores per worker,
# from issue 15), "n/a" for a query it has no figure for. A query's source generates only the
# event kinds it reads (include/spate/nexmark.h), so a query over bids alone can go faster than
# the baseline, which generates all three: the events counted are the whole stream's all the same,
# as nexmark-flink counts them.
#
#   bash bench/bench_nexmark.sh [build_dir] [qN...]   (default: every q<N>.so of the build)
#   NEXMARK_EVENTS=200000 NEXMARK_RUNS=3 bash bench/bench_nexmark.sh build q5   (a quick run)
#
# Each run's summary line is shown with the number of checkpoints the run completed (from its
# log), so a run too short for a 10 s interval is seen to have taken none.
#
# NEXMARK_RUNS (default 1) repeats each side and keeps the fastest wall time (and the smallest
# CPU time) of its runs.
set -uo pipefail
build=${1:-build}
[ $# -gt 0 ] && shift
events=${NEXMARK_EVENTS:-10000000}
pars=${NEXMARK_PARALLELISM:-1 2}
runs=${NEXMARK_RUNS:-1}
spate=$build/bin/spate
jobs=${SPATE_NEXMARK_JOBS:-$build/examples/nexmark}
baseline_job=$build/bench/nexmark_source.so

# Flink's published events/s per core (nexmark-flink, Flink 1.13): issue 15.
declare -A flink=([q0]=155000 [q1]=158000 [q2]=175000 [q3]=152000 [q4]=34000 [q5]=22000
  [q7]=12000 [q8]=146000 [q9]=14000 [q11]=40000 [q12]=76000 [q13]=131000 [q14]=161000
  [q15]=72000 [q16]=19000 [q17]=117000 [q18]=54000 [q19]=44000 [q20]=19000 [q21]=98000
  [q22]=130000)

for f in "$spate" "$baseline_job"; do
  if [ ! -e "$f" ]; then
    echo "bench_nexmark: $f is missing (build with: make release)" >&2
    exit 1
  fi
done
if [ $# -gt 0 ]; then
  queries=("$@")
else
  mapfile -t queries < <(ls "$jobs" 2>/dev/null | sed -n 's/^\(q[0-9][0-9]*\)\.so$/\1/p' | sort -k1.2n)
fi
if [ ${#queries[@]} -eq 0 ]; then
  echo "bench_nexmark: no q<N>.so in $jobs (build with: make release)" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run_side <job> <parallelism>: runs the job through the runner NEXMARK_RUNS times; sets
# best_s (fastest wall seconds) and best_cpu (smallest CPU seconds). Returns 1 on failure.
run_side() {
  local job=$1 p=$2 r line s cpu
  best_s='' best_cpu=''
  for ((r = 1; r <= runs; r++)); do
    rm -rf "$tmp/ck"
    if ! SPATE_NEXMARK_JOBS=$jobs "$spate" nexmark run "$job" --events "$events" -p "$p" --discard \
      -D execution.checkpointing.interval=10s -D "state.checkpoints.dir=file://$tmp/ck" \
      -D nexmark.base-time=1700000000000 -D log.level=INFO >"$tmp/out" 2>"$tmp/err"; then
      echo "bench_nexmark: $job at parallelism $p failed:" >&2
      tail -n 20 "$tmp/err" >&2
      return 1
    fi
    line=$(grep -E '^nexmark [^ ]+: events=' "$tmp/err" | tail -n 1)
    s=$(sed -n 's/.* seconds=\([0-9.]*\) .*/\1/p' <<<"$line")
    cpu=$(sed -n 's/.* cpu-seconds=\([0-9.]*\) .*/\1/p' <<<"$line")
    if [ -z "$s" ] || [ -z "$cpu" ]; then
      echo "bench_nexmark: no summary line from $job at parallelism $p:" >&2
      tail -n 20 "$tmp/err" >&2
      return 1
    fi
    echo "    $line ($(grep -c 'Completed checkpoint' "$tmp/err") checkpoints completed)"
    if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; fi
    if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then
      best_cpu=$cpu
    fi
  done
}

failed=0
for q in "${queries[@]}"; do
  for p in $pars; do
    name=nexmark-$q
    [ "$p" != 1 ] && name=$name-p$p
    echo "$name: $events events, parallelism $p, checkpoints every 10 s, result discarded"
    echo "  baseline (the source alone):"
    if ! run_side "$baseline_job" "$p"; then failed=1; continue; fi
    base_s=$best_s
    echo "  engine ($q):"
    if ! run_side "$q" "$p"; then failed=1; continue; fi
    awk -v n="$events" -v es="$best_s" -v bs="$base_s" -v cpu="$best_cpu" -v f="${flink[$q]:-}" \
      -v name="$name" 'BEGIN {
        e = n / es; b = n / bs; c = n / cpu
        printf "BENCH %s engine=%.0f baseline=%.0f ratio=%.2f\n", name, e, b, e / b
        if (f != "") printf "NEXMARK %s events/cpu-second=%.0f flink-per-core=%d ratio=%.1f\n", name, c, f, c / f
        else printf "NEXMARK %s events/cpu-second=%.0f flink-per-core=n/a\n", name, c
      }'
  done
done
exit $failed
