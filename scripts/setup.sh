#!/usr/bin/env bash
# Installs the Debian 12 packages Spate needs to build and test, and nothing else.
# Runs apt-get only when something is missing, so repeated calls cost a few milliseconds.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libyaml-dev        # conf/config.yaml
  libjansson-dev     # JSON: plans, REST
  libxxhash-dev      # hashing
  libcmocka-dev      # unit tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
