#!/usr/bin/env bash
# test_bad_input.sh: WordCount on inputs that are wrong or unusual, through `spate run`.
#
# Bad input is normal (STYLE.md): a missing path, an unreadable file, a directory without files
# and invalid UTF-8 must each end the job with a non-zero exit and a message that names the input
# (and, for invalid UTF-8, the position); nothing may crash. Unusual but valid input must work:
# empty lines, an empty file, and a single line of 10 MB.
#
# Run by ctest from the build directory with SPATE and SPATE_EXAMPLES set.
set -euo pipefail
export LC_ALL=C

SPATE=${SPATE:-build/bin/spate}
SPATE_EXAMPLES=${SPATE_EXAMPLES:-build/examples}
WC=$SPATE_EXAMPLES/wordcount.so
tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" 2>/dev/null || true; rm -rf "$tmp"' EXIT

passed=0
failed=0
skipped=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
skip() { skipped=$((skipped + 1)); echo "skip - $1"; }

# run NAME ARGS...: runs spate with a time limit; stdout and stderr together in $tmp/NAME.log
# (messages may reach either), exit status in $rc.
run() {
  local name=$1; shift
  set +e
  timeout "$test_timeout_s" "$SPATE" "$@" >"$tmp/$name.log" 2>&1
  rc=$?
  set -e
}
# A failure must be a clean non-zero exit: not a signal, not a sanitizer report, not a timeout.
expect_clean_failure() {
  local name=$1 what=$2
  if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && ! grep -q 'Sanitizer' "$tmp/$name.log"; then
    pass "$what: fails cleanly (exit $rc)"
  else
    fail "$what: expected a clean non-zero exit, got $rc" "$tmp/$name.log"
  fi
}
expect_ok() {
  if [ "$rc" -eq 0 ]; then pass "$2: exit 0"; else fail "$2: exit $rc" "$tmp/$1.log"; fi
}
# mentions NAME TEXT WHAT: the output of run NAME contains TEXT literally.
mentions() {
  if grep -qF -- "$2" "$tmp/$1.log"; then pass "$3"; else fail "$3" "$tmp/$1.log"; fi
}
result_lines() { grep -E '^([0-9]+> )?\(.*\)$' "$@" | sed -E 's/^[0-9]+> //' || true; }

# --- a path that does not exist ---------------------------------------------------------------
run missing run "$WC" --input "$tmp/no-such-file.txt"
expect_clean_failure missing "missing input"
mentions missing "$tmp/no-such-file.txt" "missing input: message names the path"

# One good input and one missing: the job must still fail, naming the missing one.
printf 'hello\n' >"$tmp/good.txt"
run missing2 run "$WC" --input "$tmp/good.txt" --input "$tmp/also-missing"
expect_clean_failure missing2 "good + missing input"
mentions missing2 "$tmp/also-missing" "good + missing input: message names the missing path"

# --- a file we may not read ---------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  skip "unreadable file (running as root, which can read anything)"
else
  printf 'secret words\n' >"$tmp/unreadable.txt"
  chmod 000 "$tmp/unreadable.txt"
  run unreadable run "$WC" --input "$tmp/unreadable.txt"
  expect_clean_failure unreadable "unreadable file"
  mentions unreadable "$tmp/unreadable.txt" "unreadable file: message names the path"
fi

# --- a directory without files ------------------------------------------------------------------
mkdir "$tmp/empty-dir"
run emptydir run "$WC" --input "$tmp/empty-dir"
expect_clean_failure emptydir "empty directory"
mentions emptydir "$tmp/empty-dir" "empty directory: message names the directory"

mkdir "$tmp/hidden-only"
printf 'x\n' >"$tmp/hidden-only/.hidden"
run hiddenonly run "$WC" --input "$tmp/hidden-only"
expect_clean_failure hiddenonly "directory with only hidden files"
mentions hiddenonly "$tmp/hidden-only" "directory with only hidden files: message names it"

# --- invalid UTF-8 ----------------------------------------------------------------------------
printf 'a good first line\nthen \xff\xfe bad bytes\nand a good last line\n' >"$tmp/latin.txt"
run badutf8 run "$WC" --input "$tmp/latin.txt"
expect_clean_failure badutf8 "invalid UTF-8"
mentions badutf8 "$tmp/latin.txt" "invalid UTF-8: message names the file"
if grep -qiE 'UTF-?8' "$tmp/badutf8.log" && grep -qE 'line 2|offset 23|byte 23' "$tmp/badutf8.log"; then
  pass "invalid UTF-8: message says UTF-8 and gives the position (line 2 / byte 23)"
else
  fail "invalid UTF-8: message says UTF-8 and gives the position (line 2 / byte 23)" "$tmp/badutf8.log"
fi

# A multi-byte character cut off by the end of the file.
printf 'caf\xc3' >"$tmp/truncated.txt"
run truncated run "$WC" --input "$tmp/truncated.txt"
expect_clean_failure truncated "UTF-8 cut off at end of file"
mentions truncated "$tmp/truncated.txt" "UTF-8 cut off at end of file: message names the file"

# Overlong encoding of '/' (C0 AF) and an encoded surrogate (ED A0 80) are not UTF-8 either.
printf 'x\xc0\xafy\n' >"$tmp/overlong.txt"
run overlong run "$WC" --input "$tmp/overlong.txt"
expect_clean_failure overlong "overlong UTF-8 encoding"
printf 'x\xed\xa0\x80y\n' >"$tmp/surrogate.txt"
run surrogate run "$WC" --input "$tmp/surrogate.txt"
expect_clean_failure surrogate "UTF-8 encoded surrogate"

# --- empty lines and an empty file are fine -----------------------------------------------------
printf '\n\n\nhello\n\n\r\n\nhello world\n\n' >"$tmp/blank-lines.txt"
run blank run "$WC" --input "$tmp/blank-lines.txt"
expect_ok blank "empty lines"
assert "empty lines: counts are hello 2, world 1" \
  test "$(result_lines "$tmp/blank.log" | tr '\n' ' ')" = "(hello,1) (hello,2) (world,1) "

: >"$tmp/empty.txt"
run emptyfile run "$WC" --input "$tmp/empty.txt"
expect_ok emptyfile "empty file"
assert "empty file: no results" test "$(result_lines "$tmp/emptyfile.log" | wc -l)" -eq 0

# --- one line of 10 MB ------------------------------------------------------------------------
# A single 10,000,000-byte word (longer than any network buffer), then 100,000 short words, all
# on one line.
{
  head -c 10000000 /dev/zero | tr '\0' 'W'
  chunk=$(printf ' to be%.0s' $(seq 1 50))
  for _ in $(seq 1 1000); do printf '%s' "$chunk"; done
  printf '\n'
} >"$tmp/long-line.txt"
for p in 1 2; do
  run "long$p" run -p "$p" "$WC" --input "$tmp/long-line.txt" --output "$tmp/long-out$p"
  expect_ok "long$p" "-p $p: a 10 MB line"
  if [ -d "$tmp/long-out$p" ]; then out=("$tmp/long-out$p"/*); else out=("$tmp/long-out$p"); fi
  big=$(cat "${out[@]}" 2>/dev/null | awk 'length($0) > 1000000 { print length($0) }' || true)
  assert "-p $p: the 10 MB word comes out whole and lower-cased ((w...w,1) is 10000004 bytes)" \
    test "$big" = "10000004"
  assert "-p $p: the 10 MB word is lower-cased" \
    test "$(cat "${out[@]}" 2>/dev/null | grep -c '^(wwwwwwwwww' || true)" -eq 1
  assert "-p $p: the short words after it are counted: (to,50000) and (be,50000)" \
    test "$(cat "${out[@]}" 2>/dev/null | grep -cxE '\((to|be),50000\)' || true)" -eq 2
done

echo "test_bad_input: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
