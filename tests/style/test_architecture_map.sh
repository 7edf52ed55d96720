#!/usr/bin/env bash
# test_architecture_map.sh: docs/ARCHITECTURE.md is the map of the source tree. Every file it
# names (`something.c` or `.h` in backticks) exists, and every source file under src/ is named in
# it, so the map can neither point nowhere nor leave a room out.
set -euo pipefail
root=${SPATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
doc="$root/docs/ARCHITECTURE.md"
cd "$root"
[ -f "$doc" ] || { echo "no $doc" >&2; exit 1; }
[ -d src ] || { echo "no src/ in $root" >&2; exit 1; }
bad=0
while read -r name; do
  if [ -z "$(find src include tests examples bench scripts -name "$(basename "$name")" -print -quit)" ]; then
    echo "docs/ARCHITECTURE.md names $name, which does not exist" >&2
    bad=$((bad + 1))
  fi
done < <(grep -o '`[A-Za-z0-9_./-]*\.[ch]`' "$doc" | tr -d '`' | sort -u)
while read -r f; do
  b=$(basename "$f")
  if ! grep -qF "\`$b\`" "$doc" && ! grep -qF "\`${f#src/}\`" "$doc"; then
    echo "$f is not named in docs/ARCHITECTURE.md" >&2
    bad=$((bad + 1))
  fi
done < <(find src -name '*.c' | sort)
[ "$bad" -eq 0 ] || { echo "$bad mismatches between docs/ARCHITECTURE.md and the tree" >&2; exit 1; }
echo "docs/ARCHITECTURE.md names every source file of src/, and nothing else"
