#!/usr/bin/env bash
# End-to-end: a job linked with libspate as its own executable (build/examples/wordcount) runs
# on its embedded MiniCluster and gives the same counts as `spate run` of the same job.
set -euo pipefail
: "${SPATE:?}" "${SPATE_EXAMPLES:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "ok   - $1"; else failed=$((failed + 1)); echo "FAIL - $1"; fi; }

printf 'To be, or not to be,--that is the question:--\nWhether tis nobler\n\nto BE to\n' >"$tmp/in.txt"
exe="$SPATE_EXAMPLES/wordcount"
check "the standalone executable exists" "[ -x '$exe' ]"
set +e
(cd "$tmp" && "$exe" --input "$tmp/in.txt" >"$tmp/exe.out" 2>"$tmp/exe.err")
rc=$?
"$SPATE" run "$SPATE_EXAMPLES/wordcount.so" --input "$tmp/in.txt" >"$tmp/cli.out" 2>"$tmp/cli.err"
rc2=$?
set -e
check "standalone exit 0" "[ $rc -eq 0 ]"
check "spate run exit 0" "[ $rc2 -eq 0 ]"
final() { grep -E '^\(' "$1" | sed -E 's/^\((.*),([0-9]+)\)$/\1 \2/' | sort -k1,1 -k2,2n | awk '{c[$1]=$2} END {for (w in c) print w, c[w]}' | sort; }
expected=$(tr -cs 'A-Za-z0-9_' '\n' <"$tmp/in.txt" | tr 'A-Z' 'a-z' | grep -v '^$' | sort | uniq -c | awk '{print $2, $1}' | sort)
check "standalone counts match an independent count" "[ \"\$(final $tmp/exe.out)\" = \"\$expected\" ]"
check "standalone and spate run agree" "[ \"\$(final $tmp/exe.out)\" = \"\$(final $tmp/cli.out)\" ]"
check "(be,3) is the final count of be" "grep -qx '(be,3)' '$tmp/exe.out'"
echo "test_standalone: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
