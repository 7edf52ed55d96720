#!/usr/bin/env bash
# build-web.sh OUTDIR: builds the web dashboard (web/) into OUTDIR: index.html, app.js, app.css
# and a .gz copy of each. Installs the npm packages of web/package-lock.json first (npm ci, only
# when node_modules is missing or older than the lockfile), so nothing is fetched at run time.
set -euo pipefail
out=${1:?usage: build-web.sh OUTDIR}
web=$(cd "$(dirname "$0")/../web" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "build-web.sh: node and npm are missing (scripts/setup.sh installs them)" >&2
  exit 1
fi
stamp=$web/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ "$web/package-lock.json" -nt "$stamp" ]; then
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi
node "$web/build.mjs" "$out"
