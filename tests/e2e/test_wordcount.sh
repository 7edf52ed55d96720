#!/usr/bin/env bash
# test_wordcount.sh: end-to-end test of the WordCount example through `spate run`.
#
# Checks what a user sees: the built-in text and file inputs give the same final per-word counts
# as an independent count made with tr/sort/uniq (Java's \W+ split is [^A-Za-z0-9_]); every word's
# rolling counts come out as 1, 2, 3, ... in order; the counts do not depend on the parallelism
# (-p 1, 2, 4, with --output as a file or a directory of files "1".."N", and print's "N> "
# prefixes); several --input paths and a directory work; and the CLI reports the submission and
# the end of the job with Flink's wording; --output refuses to overwrite an existing path unless
# fs.overwrite-files is true.
#
# Run by ctest from the build directory with SPATE (the spate binary) and SPATE_EXAMPLES (the
# directory of example .so files) set; can also be run by hand with those two variables.
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
# assert DESCRIPTION COMMAND...: passes when the command succeeds.

# run NAME ARGS... (lib.sh): $SPATE with a time limit, $tmp/NAME.out/.err, exit status in $rc.
# expect_ok NAME DESCRIPTION: the run NAME exited 0 (shows its stderr otherwise).
expect_ok() {
  if [ "$rc" -eq 0 ]; then pass "$2"; else fail "$2 (exit $rc)" "$tmp/$1.err"; fi
}

# result_lines FILE...: the result rows, "(word,count)", with any "N> " prefix removed.
result_lines() { cat "$@" | grep -E '^([0-9]+> )?\(.*\)$' | sed -E 's/^[0-9]+> //' || true; }
# final_counts FILE...: "word count" for the last (highest) count of each word, sorted.
final_counts() {
  result_lines "$@" | awk '{
      s = substr($0, 2, length($0) - 2); i = index(s, ",")
      w = substr(s, 1, i - 1); c = substr(s, i + 1) + 0
      if (c > m[w]) m[w] = c
    } END { for (w in m) print w, m[w] }' | sort
}
# in_order FILE...: every word's counts are 1, 2, 3, ... in the order they appear.
in_order() {
  result_lines "$@" | awk '{
      s = substr($0, 2, length($0) - 2); i = index(s, ",")
      w = substr(s, 1, i - 1); c = substr(s, i + 1) + 0
      if (c != seen[w] + 1) { print "out of order: " $0 > "/dev/stderr"; bad = 1 }
      seen[w] = c
    } END { exit bad }'
}
# expected_counts FILE...: the independent count (a file's last line may lack its newline).
expected_counts() {
  for f in "$@"; do cat "$f"; echo; done | tr -cs 'A-Za-z0-9_' '\n' | tr 'A-Z' 'a-z' | { grep -v '^$' || true; } | sort |
    uniq -c | awk '{ print $2, $1 }' | sort
}
same() { cmp -s "$1" "$2" || { diff "$1" "$2" | head -20; return 1; }; }

# The text the example has built in (Flink's WordCountData), kept here independently.
cat >"$tmp/hamlet.txt" <<'EOF'
To be, or not to be,--that is the question:--
Whether 'tis nobler in the mind to suffer
The slings and arrows of outrageous fortune
Or to take arms against a sea of troubles,
And by opposing end them?--To die,--to sleep,--
No more; and by a sleep to say we end
The heartache, and the thousand natural shocks
That flesh is heir to,--'tis a consummation
Devoutly to be wish'd. To die,--to sleep;--
To sleep! perchance to dream:--ay, there's the rub;
For in that sleep of death what dreams may come,
When we have shuffled off this mortal coil,
Must give us pause: there's the respect
That makes calamity of so long life;
For who would bear the whips and scorns of time,
The oppressor's wrong, the proud man's contumely,
The pangs of despis'd love, the law's delay,
The insolence of office, and the spurns
That patient merit of the unworthy takes,
When he himself might his quietus make
With a bare bodkin? who would these fardels bear,
To grunt and sweat under a weary life,
But that the dread of something after death,--
The undiscover'd country, from whose bourn
No traveller returns,--puzzles the will,
And makes us rather bear those ills we have
Than fly to others that we know not of?
Thus conscience does make cowards of us all;
And thus the native hue of resolution
Is sicklied o'er with the pale cast of thought;
And enterprises of great pith and moment,
With this regard, their currents turn awry,
And lose the name of action.--Soft you now!
The fair Ophelia!--Nymph, in thy orisons
Be all my sins remember'd.
EOF
expected_counts "$tmp/hamlet.txt" >"$tmp/hamlet.expected"

# --- (a) built-in text ----------------------------------------------------------------------
run builtin run "$WC"
expect_ok builtin "built-in text: exit 0"
assert "built-in text: prints (to,1)" grep -qxF '(to,1)' "$tmp/builtin.out"
assert "built-in text: prints (be,1)" grep -qxF '(be,1)' "$tmp/builtin.out"
final_counts "$tmp/builtin.out" >"$tmp/builtin.final"
assert "built-in text: final counts match tr|sort|uniq" same "$tmp/hamlet.expected" "$tmp/builtin.final"
assert "built-in text: one line per word occurrence" \
  test "$(result_lines "$tmp/builtin.out" | wc -l)" -eq "$(awk '{ s += $2 } END { print s }' "$tmp/hamlet.expected")"
assert "built-in text: counts of each word go 1, 2, 3, ..." in_order "$tmp/builtin.out"
assert "built-in text: no result lines on stderr" \
  test "$(result_lines "$tmp/builtin.err" | wc -l)" -eq 0

# --- (d) what the CLI prints around the job --------------------------------------------------
id_line=$(grep -E '^Job has been submitted with JobID [0-9a-f]{32}$' "$tmp/builtin.out" || true)
assert "stdout: 'Job has been submitted with JobID <32 hex>'" test -n "$id_line"
job_id=${id_line##* }
assert "stdout: 'Program execution finished'" grep -qx 'Program execution finished' "$tmp/builtin.out"
assert "stdout: 'Job with JobID <id> has finished.' with the submitted id" \
  grep -qxF "Job with JobID $job_id has finished." "$tmp/builtin.out"
assert "stdout: 'Job Runtime: <n> ms'" grep -qE '^Job Runtime: [0-9]+ ms$' "$tmp/builtin.out"
sub_line=$(grep -n 'Job has been submitted' "$tmp/builtin.out" | head -1 | cut -d: -f1 || true)
end_line=$(grep -n '^Job Runtime' "$tmp/builtin.out" | head -1 | cut -d: -f1 || true)
first_result=$(grep -nE '^\(' "$tmp/builtin.out" | head -1 | cut -d: -f1 || true)
assert "stdout: submission before the results, runtime after" \
  test "${sub_line:-0}" -lt "${first_result:-0}" -a "${first_result:-0}" -lt "${end_line:-0}"
run builtin2 run "$WC"
id2=$(grep -oE '[0-9a-f]{32}$' "$tmp/builtin2.out" | head -1 || true)
assert "every run gets a new JobID" test -n "$id2" -a "$id2" != "$job_id"

# --- (a) the same text from a file ----------------------------------------------------------
run file run "$WC" --input "$tmp/hamlet.txt"
expect_ok file "--input file: exit 0"
final_counts "$tmp/file.out" >"$tmp/file.final"
assert "--input file: final counts match tr|sort|uniq" same "$tmp/hamlet.expected" "$tmp/file.final"
assert "--input file: counts in order" in_order "$tmp/file.out"
run file_eq run "$WC" --input="$tmp/hamlet.txt"
final_counts "$tmp/file_eq.out" >"$tmp/file_eq.final"
assert "--input=path works like --input path" same "$tmp/hamlet.expected" "$tmp/file_eq.final"

# A bigger input made of several texts, with upper case, digits, underscores, tabs, CRLF line
# ends and non-ASCII letters (each UTF-8 byte separates words, as Java's \W does).
{
  for i in $(seq 1 40); do cat "$tmp/hamlet.txt"; done
  printf 'Line_%d has\tTABS and 123 numbers, caf\xc3\xa9 na\xc3\xafve r\xc3\xa9sum\xc3\xa9\r\n' $(seq 1 300)
  printf 'UPPER lower MiXeD under_score __init__ x1 2y\n%.0s' $(seq 1 200)
} >"$tmp/big.txt"
expected_counts "$tmp/big.txt" >"$tmp/big.expected"

# --- (b) parallelism does not change the counts ----------------------------------------------
for p in 1 2 4; do
  out="$tmp/out_p$p"
  run "p$p" run -p "$p" "$WC" --input "$tmp/big.txt" --output "$out"
  expect_ok "p$p" "-p $p --output: exit 0"
  if [ "$p" -eq 1 ]; then
    assert "-p 1 --output: a single file" test -f "$out"
    final_counts "$out" >"$tmp/p$p.final"
    assert "-p 1 --output: counts in order" in_order "$out"
  else
    assert "-p $p --output: a directory with files 1..$p" \
      test "$(ls "$out" 2>/dev/null | sort -n | tr '\n' ' ')" = "$(seq 1 "$p" | tr '\n' ' ')"
    final_counts "$out"/* >"$tmp/p$p.final"
    assert "-p $p --output: counts in order" in_order "$out"/*
    # A word lives in exactly one subtask, so it shows up in exactly one file.
    dup=$(for f in "$out"/*; do final_counts "$f" | cut -d' ' -f1 | sort -u; done | sort | uniq -d | head -3 || true)
    assert "-p $p --output: each word in one file only" test -z "$dup"
  fi
  assert "-p $p --output: final counts match tr|sort|uniq" same "$tmp/big.expected" "$tmp/p$p.final"
  assert "-p $p --output: nothing printed as results" \
    test "$(result_lines "$tmp/p$p.out" | wc -l)" -eq 0
done

run print_p2 run -p 2 "$WC" --input "$tmp/big.txt"
expect_ok print_p2 "-p 2 print: exit 0"
nres=$(grep -cE '^\(' "$tmp/print_p2.out" || true)
assert "-p 2 print: no unprefixed result lines" test "$nres" -eq 0
assert "-p 2 print: lines prefixed 1> and 2> only" \
  test "$(grep -oE '^[0-9]+> ' "$tmp/print_p2.out" | sort -u | tr -d '\n')" = "1> 2> "
final_counts "$tmp/print_p2.out" >"$tmp/print_p2.final"
assert "-p 2 print: final counts match" same "$tmp/big.expected" "$tmp/print_p2.final"
assert "-p 2 print: a word always has the same prefix" test -z "$(
  grep -E '^[0-9]+> \(' "$tmp/print_p2.out" | sed -E 's/^([0-9]+)> \(([^,]*),.*/\2 \1/' | sort -u |
    cut -d' ' -f1 | uniq -d | head -3)"

# --- (e) --output does not overwrite, as Flink's fs.overwrite-files (default false) -------------
# A second run into the same path fails at start, naming the path and the key, and leaves the
# first run's output alone; -D fs.overwrite-files=true replaces it.
printf 'alpha beta\n' >"$tmp/ow-a.txt"
printf 'gamma\n' >"$tmp/ow-b.txt"
run ow1 run "$WC" --input "$tmp/ow-a.txt" --output "$tmp/ow"
expect_ok ow1 "--output to a new path: exit 0"
cp "$tmp/ow" "$tmp/ow.first"
run ow2 run "$WC" --input "$tmp/ow-b.txt" --output "$tmp/ow"
if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ]; then pass "--output to an existing file: fails (exit $rc)"
else fail "--output to an existing file: expected a failure, got $rc" "$tmp/ow2.err"; fi
assert "--output to an existing file: message names the path" grep -qF "'$tmp/ow' already exists" "$tmp/ow2.err"
assert "--output to an existing file: message names fs.overwrite-files" grep -qF "fs.overwrite-files" "$tmp/ow2.err"
assert "--output to an existing file: the file is untouched" cmp -s "$tmp/ow" "$tmp/ow.first"
run ow3 run -D fs.overwrite-files=true "$WC" --input "$tmp/ow-b.txt" --output "$tmp/ow"
expect_ok ow3 "-D fs.overwrite-files=true: exit 0"
assert "-D fs.overwrite-files=true: the file holds the new counts" test "$(cat "$tmp/ow")" = "(gamma,1)"
# parallel output: an existing directory is reused, files in it are not overwritten
mkdir -p "$tmp/owdir"
printf 'keep me\n' >"$tmp/owdir/other"
run owd1 run -p 2 "$WC" --input "$tmp/ow-a.txt" --output "$tmp/owdir"
expect_ok owd1 "-p 2 --output to an existing empty-of-parts directory: exit 0"
assert "-p 2: other files in the directory stay" test "$(cat "$tmp/owdir/other")" = "keep me"
run owd2 run -p 2 "$WC" --input "$tmp/ow-a.txt" --output "$tmp/owdir"
if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ]; then pass "-p 2 --output over existing part files: fails"
else fail "-p 2 --output over existing part files: expected a failure, got $rc" "$tmp/owd2.err"; fi
assert "-p 2 over existing part files: message names a part file" grep -qE "'$tmp/owdir/[12]' already exists" "$tmp/owd2.err"
run owd3 run -p 2 "$WC" --input "$tmp/ow-a.txt" --output "$tmp/ow"
if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ]; then pass "-p 2 --output onto an existing file: fails"
else fail "-p 2 --output onto an existing file: expected a failure, got $rc" "$tmp/owd3.err"; fi
assert "-p 2 onto an existing file: message names it" grep -qF "'$tmp/ow' already exists" "$tmp/owd3.err"
run owd4 run -p 2 -D fs.overwrite-files=true "$WC" --input "$tmp/ow-a.txt" --output "$tmp/ow"
expect_ok owd4 "-p 2 -D fs.overwrite-files=true onto an existing file: exit 0"
assert "-p 2 -D fs.overwrite-files=true: the file became a directory of parts" test -d "$tmp/ow" -a -f "$tmp/ow/1"

# --- (c) several inputs and a directory ------------------------------------------------------
mkdir -p "$tmp/dir"
head -n 10 "$tmp/hamlet.txt" >"$tmp/dir/part-a.txt"
sed -n '11,20p' "$tmp/hamlet.txt" >"$tmp/dir/part-b.txt"
printf 'one more line\nand the last one without a newline' >"$tmp/dir/part-c"
printf 'hiddenword hiddenword\n' >"$tmp/dir/.hidden"
tail -n 15 "$tmp/hamlet.txt" >"$tmp/single.txt"
expected_counts "$tmp/dir/part-a.txt" "$tmp/dir/part-b.txt" "$tmp/dir/part-c" "$tmp/single.txt" \
  >"$tmp/multi.expected"
for p in 1 3; do
  run "multi$p" run -p "$p" "$WC" --input "$tmp/dir" --input "$tmp/single.txt"
  expect_ok "multi$p" "-p $p: --input <dir> --input <file>: exit 0"
  final_counts "$tmp/multi$p.out" >"$tmp/multi$p.final"
  assert "-p $p: directory + file: final counts match" same "$tmp/multi.expected" "$tmp/multi$p.final"
  assert "-p $p: hidden files in a directory are skipped" \
    test "$(grep -c hiddenword "$tmp/multi$p.out" || true)" -eq 0
done
run multi_files run "$WC" --input "$tmp/dir/part-a.txt" --input "$tmp/dir/part-b.txt" \
  --input "$tmp/dir/part-c"
final_counts "$tmp/multi_files.out" >"$tmp/multi_files.final"
expected_counts "$tmp/dir/part-a.txt" "$tmp/dir/part-b.txt" "$tmp/dir/part-c" >"$tmp/multi_files.expected"
assert "three --input files: final counts match" same "$tmp/multi_files.expected" "$tmp/multi_files.final"

echo "test_wordcount: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
