#!/usr/bin/env bash
# format.sh: the house format (.clang-format at the root, clang-format 14 from Debian 12) over
# every C file of the project: src/, include/, tests/, examples/, bench/.
#
#   scripts/format.sh          formats the files in place (make format)
#   scripts/format.sh --check  changes nothing; names each file that is not formatted and shows
#                              the first lines that differ, exit 1 (a test of make check)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v clang-format >/dev/null ||
  { echo "format.sh: clang-format not found: run scripts/setup.sh" >&2; exit 2; }

mapfile -t files < <(find src include tests examples bench -type f \( -name '*.c' -o -name '*.h' \) | sort)

if [ "${1:-}" != "--check" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi

# one clang-format for all files when nothing differs; file by file only to name the offenders
if clang-format --dry-run -Werror "${files[@]}" 2>/dev/null; then
  echo "format.sh: ${#files[@]} files formatted"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format "$f" | cmp -s - "$f"; then
    echo "format.sh: $f is not formatted (run make format); first differences:" >&2
    clang-format "$f" | diff "$f" - | head -n 12 >&2 || true
    bad=$((bad + 1))
  fi
done
[ "$bad" -eq 0 ] || { echo "format.sh: $bad of ${#files[@]} files not formatted" >&2; exit 1; }
echo "format.sh: ${#files[@]} files formatted"
