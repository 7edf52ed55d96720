#!/usr/bin/env bash
# Runs every fuzz target (or those named in FUZZ_TARGETS, e.g. "config row") for FUZZ_SECONDS
# seconds each (default 60), one after the other, from its committed inputs in tests/fuzz/<what>/.
# Usage: tests/fuzz/run.sh BUILD_DIR   (a build configured with -DSPATE_FUZZ=ON; `make fuzz`)
#
# New inputs that reach new code go to BUILD_DIR/fuzz/corpus/<what>/ (kept between runs, never
# committed); the committed seeds and regressions are only read. The first finding (crash,
# sanitizer report, leak, timeout, out-of-memory, failed fuzz check) stops the run with exit
# status 1, printing the report and the path of the input that caused it.
set -euo pipefail

build=${1:?usage: $0 BUILD_DIR}
seconds=${FUZZ_SECONDS:-60}
src=$(cd "$(dirname "$0")" && pwd)
case $seconds in '' | *[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a number of seconds" >&2; exit 2 ;; esac

targets=${FUZZ_TARGETS:-}
if [ -z "$targets" ]; then
  for f in "$src"/fuzz_*.c; do
    f=${f##*/fuzz_}
    targets+=" ${f%.c}"
  done
fi

# Decoders that read files get a private directory under TMPDIR; memory is faster than disk.
tmp_root=$build/fuzz/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp_root=/dev/shm/spate-fuzz-$$
mkdir -p "$tmp_root"
trap 'rm -rf "$tmp_root"' EXIT

for what in $targets; do
  bin=$build/tests/fuzz_$what
  if [ ! -x "$bin" ]; then
    echo "fuzz: no target $bin (known: $(cd "$src" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//' | tr '\n' ' '))" >&2
    exit 2
  fi
  corpus=$build/fuzz/corpus/$what
  findings=$build/fuzz/findings/$what
  log=$build/fuzz/logs/$what.log
  mkdir -p "$corpus" "$findings" "$(dirname "$log")"
  echo "fuzz: $what for ${seconds}s (log: $log)"
  rc=0
  TMPDIR=$tmp_root ASAN_OPTIONS=detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$src/$what" >"$log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    # The report: from its first line (sanitizer, libFuzzer or a fuzz check) through the stack.
    first=$(grep -a -n -m 1 -E "ERROR: |runtime error: |fuzz check failed|==[0-9]+== ?WARNING" "$log" |
      cut -d: -f1 || true)
    if [ -n "$first" ]; then
      sed -n "$((first > 3 ? first - 3 : 1)),$((first + 40))p" "$log" | grep -a -v "^ *0x[0-9a-f]*: " >&2
      grep -a -m 1 "^SUMMARY: " "$log" >&2 || true
    else
      tail -n 40 "$log" >&2
    fi
    found=$(grep -a -o "Test unit written to .*" "$log" | tail -n 1 | sed 's/^Test unit written to //')
    echo >&2
    echo "fuzz: $what FOUND A PROBLEM (exit status $rc)" >&2
    if [ -n "$found" ]; then
      echo "fuzz: the input: $found" >&2
      echo "fuzz: reproduce with: $bin $found" >&2
      echo "fuzz: once fixed, add it as tests/fuzz/$what/regressions/<name> so make check replays it" >&2
    fi
    exit 1
  fi
  runs=$(grep -a -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$" || echo "?")
  cov=$(grep -a -o "cov: [0-9]*" "$log" | tail -n 1 | grep -o "[0-9]*" || echo "?")
  echo "fuzz: $what ok: $runs inputs, coverage $cov edges, corpus $(ls "$corpus" | wc -l) files"
done
