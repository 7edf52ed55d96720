#!/usr/bin/env bash
# Installs the Debian 12 packages Spate needs to build and test, and nothing else; also node and
# npm (the web dashboard's build) when those commands are missing.
# Runs apt-get only when something is missing, so repeated calls cost a few milliseconds.
# Usage: scripts/setup.sh [SET...]   the base packages, plus those of each optional set named:
#   fuzz   clang and libFuzzer, for `make fuzz` (tests/fuzz/)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libyaml-dev        # conf/config.yaml
  libjansson-dev     # JSON: plans, REST
  libxxhash-dev      # hashing
  libuv1-dev         # the TCP transports between processes (src/net/)
  libmicrohttpd-dev  # the REST endpoint (src/rest/)
  libcurl4-openssl-dev # the CLI's REST client
  libedit-dev        # the SQL client's line editing and history (spate sql)
  curl               # the e2e tests' REST checks and scrapes (test_cluster.sh, test_web_submit.sh, test_metrics*.sh)
  libcmocka-dev      # unit tests
  iproute2 iptables  # the network-partition test (its own network namespace)
  clang-format       # the house format (.clang-format, make format; tested by make check)
  prometheus         # promtool: the metrics test validates the Prometheus reporter's output
  chromium           # the web dashboard's browser tests (headless, driven by playwright-core)
  postgresql         # the Nexmark results test's private server (tests/e2e/support/pg.sh)
  tmux               # a terminal for the SQL client's table view test (tests/e2e/test_sql_table_view.sh)
)

fuzz_packages=(
  clang              # clang-14: -fsanitize=fuzzer
  libclang-rt-14-dev # libFuzzer and the sanitizer runtimes for clang-14
)

for set in "$@"; do
  case $set in
    fuzz) packages+=("${fuzz_packages[@]}") ;;
    *) echo "setup: unknown package set '$set' (known: fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node and npm build the web dashboard (scripts/build-web.sh, part of every build). They are
# looked for as commands, not packages, as they may come from elsewhere.
need_node=false
command -v node >/dev/null && command -v npm >/dev/null || need_node=true
[ ${#missing[@]} -eq 0 ] && ! $need_node && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
if $need_node; then
  # nodesource's nodejs includes npm (and provides it); Debian's does not: its npm package does
  candidate=$(apt-cache policy nodejs | awk '/Candidate:/ {print $2}')
  if apt-cache show "nodejs=$candidate" 2>/dev/null | grep -q '^Provides:.*\bnpm\b'; then
    missing+=(nodejs)
  else
    missing+=(nodejs npm)
  fi
fi
echo "setup: installing ${missing[*]}" >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
