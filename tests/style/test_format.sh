#!/usr/bin/env bash
# test_format.sh: every C file of the project is formatted as .clang-format says (make format
# fixes it); a failure names each file and shows its first differences.
set -euo pipefail
root=${SPATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec bash "$root/scripts/format.sh" --check
