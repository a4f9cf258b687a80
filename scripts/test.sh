#!/usr/bin/env bash
# The README's second command: install what is missing, build (Release), run the C++ tests
# (ctest) and the API tests (Node + the official Azure SDKs). Both suites always run and print
# their summaries; the exit status is non-zero if either fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh

status=0
echo "== ctest"
ctest --test-dir build --output-on-failure -j2 || status=1

echo "== API tests (tests/node)"
cd tests/node
# npm ci only when node_modules is missing or the lockfile changed since the last install.
stamp=node_modules/.coffer-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
fi
node run-tests.mjs || status=1

exit "$status"
