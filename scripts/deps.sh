#!/usr/bin/env bash
# Installs what building and testing Coffer needs, and only what is missing.
# Node.js (>= 20) is a prerequisite this script checks but never installs.
set -euo pipefail

# Debian 12 package names. Boost is pinned to 1.81 on purpose: never the unversioned
# libboost-dev, which could pull a second Boost next to it.
packages=(
  build-essential cmake ccache pkg-config
  libboost1.81-dev libboost-url1.81-dev libssl-dev nlohmann-json3-dev libsqlite3-dev
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libpq-dev postgresql-15
  wrk nginx-light hyperfine openssl
  # The portal's browser test (tests/node/test/portal.test.mjs): playwright-core, pinned in
  # tests/node/package.json, drives this chromium; a security update that moves its major
  # version may need a new pin (the test says so when it cannot launch it).
  chromium
)

check_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "deps: Node.js >= 20 is required for the API tests but 'node' is not on PATH." >&2
    echo "deps: install Node.js 20 or newer (with npm) and run this again; this script does not install it." >&2
    exit 1
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "deps: Node.js >= 20 is required, found $(node --version) at $(command -v node)." >&2
    exit 1
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "deps: npm is required next to node ($(command -v node)) but is not on PATH." >&2
    exit 1
  fi
}

check_node

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
