#!/usr/bin/env bash
# The README's second command: install what is missing, build (Release), run the C++ tests
# (ctest, with a throwaway PostgreSQL from scripts/pg.sh for the PostgreSQL engine's tests) and
# the API tests (Node + the official Azure SDKs). Both suites always run and print
# their summaries; the exit status is non-zero if either fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh

status=0
# A throwaway PostgreSQL for the PostgreSQL engine's tests (they skip without the URL); stopped
# and removed however this script ends.
echo "== PostgreSQL (scripts/pg.sh)"
root=$(pwd)
pg_dir=$(mktemp -d /tmp/coffer-test-pg.XXXXXX)
stop_pg() {
  bash "$root/scripts/pg.sh" stop "$pg_dir" || true
  rm -rf "$pg_dir"
}
trap stop_pg EXIT
if COFFER_TEST_PG_URL=$(bash scripts/pg.sh start "$pg_dir"); then
  export COFFER_TEST_PG_URL
  echo "PostgreSQL at $COFFER_TEST_PG_URL"
  # The failover test (tests/node/test/failover.test.mjs) starts its own primary and synchronous
  # replica with scripts/pg-pair.sh, kills and restarts the primary, and stops both.
  export COFFER_TEST_PG_PAIR=1
else
  echo "PostgreSQL did not start; the PostgreSQL engine's tests cannot run" >&2
  status=1
fi

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
# The portal's browser tests need Debian's chromium paired with the pinned playwright-core: say
# clearly what broke (and how to fix it) before they run.
echo "== chromium and playwright-core (tests/node/check-browser.mjs)"
node check-browser.mjs || status=1
node run-tests.mjs || status=1

exit "$status"
