#!/usr/bin/env bash
# The README's first command: install what is missing, build, and start the dev server.
# Extra arguments go to `coffer server --dev` (e.g. --listen 127.0.0.1:9443).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
exec build/coffer server --dev "$@"
