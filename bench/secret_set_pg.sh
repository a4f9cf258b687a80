#!/usr/bin/env bash
# Durable secret SET throughput on the two storage engines in the same run: one coffer on
# SQLite (its data dir) and one on PostgreSQL (a throwaway PostgreSQL 15 from scripts/pg.sh in
# the work dir, or PG_URL), the same wrk load on each, rounds alternating. See bench/README.md.
#
#   cmake --build build --target coffer   # once
#   bench/secret_set_pg.sh
#
# Env overrides: COFFER_BIN (build/coffer), BUILD_DIR (build), PG_URL (a server whose role owns
# its database; default: start one), WRK_DURATION (10s), WRK_CONNECTIONS (64), WRK_THREADS (2),
# ROUNDS (3), KEEP_WORKDIR (0).
# Exit status: 0 when the run is valid, 1 on any error (a server that does not start, any
# non-2xx response or socket error).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh source-path=SCRIPTDIR/..
. "$REPO/bench/lib.sh"

LUA=$REPO/bench/put_secret.lua
PG_DIR=""
SQLITE_PID=""
SQLITE_URL=""
SQLITE_DATA=""

cleanup() {
  stop_pid "$SQLITE_PID" "coffer (sqlite)"
  # cleanup_common stops COFFER_PID (the PostgreSQL node) before the database goes away.
  stop_pid "$COFFER_PID" "coffer (postgres)"
  COFFER_PID=""
  if [ -n "$PG_DIR" ]; then
    bash "$REPO/scripts/pg.sh" stop "$PG_DIR" || true
    rm -rf "$PG_DIR"
  fi
  cleanup_common
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need wrk curl awk timeout
make_workdir
echo "== bench/secret_set_pg.sh: durable secret SET, SQLite vs PostgreSQL (work dir $WORK)"

if [ -z "${PG_URL:-}" ]; then
  # Its own dir directly under /tmp: as root the server runs as coffer-pg, which cannot enter
  # the 0700 work dir.
  PG_DIR=$(mktemp -d /tmp/coffer-bench-pg.XXXXXX)
  PG_URL=$(bash "$REPO/scripts/pg.sh" start "$PG_DIR") || die "PostgreSQL did not start"
fi
echo "postgres: $PG_URL"

# The SQLite node first: start_coffer sets COFFER_PID/COFFER_URL/DATA_DIR; keep them aside.
write_limits "$WORK/sqlite.toml"
DATA_DIR=$WORK/sqlite-data
start_coffer "$WORK/sqlite.toml"
SQLITE_PID=$COFFER_PID SQLITE_URL=$COFFER_URL SQLITE_DATA=$DATA_DIR
fetch_token
SQLITE_TOKEN=$TOKEN
COFFER_PID=""

write_limits "$WORK/pg.toml"
printf '[storage]\nengine = "postgres"\nurl = "%s"\n' "$PG_URL" >>"$WORK/pg.toml"
DATA_DIR=$WORK/pg-data
start_coffer "$WORK/pg.toml"
fetch_token
PG_TOKEN=$TOKEN
echo "coffer: sqlite pid $SQLITE_PID at $SQLITE_URL; postgres pid $COFFER_PID at $COFFER_URL"
print_host
echo "load:   wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION -s bench/put_secret.lua (PUT new secret, 100-byte value), $ROUNDS rounds alternating sqlite/postgres"

sqlite_wps=()
pg_wps=()
for round in $(seq "$ROUNDS"); do
  run_wrk "$WORK/wrk.sqlite.$round" "sqlite round $round" \
    -s "$LUA" -H "Authorization: Bearer $SQLITE_TOKEN" "$SQLITE_URL" -- "s$round"
  sqlite_wps+=("$WRK_RPS")
  run_wrk "$WORK/wrk.pg.$round" "postgres round $round" \
    -s "$LUA" -H "Authorization: Bearer $PG_TOKEN" "$COFFER_URL" -- "p$round"
  pg_wps+=("$WRK_RPS")
  printf 'round %s: sqlite %9.1f writes/s   postgres %9.1f writes/s\n' "$round" \
    "${sqlite_wps[-1]}" "${pg_wps[-1]}"
done
kill -0 "$SQLITE_PID" 2>/dev/null || die "the SQLite coffer exited during the run"
kill -0 "$COFFER_PID" 2>/dev/null || die "the PostgreSQL coffer exited during the run"

# Spot check: a secret from round 1 reads back from the PostgreSQL node.
code=$(curl -sS --max-time 10 --cacert "$DATA_DIR/tls/ca.pem" -o "$WORK/check.json" \
  -w '%{http_code}' -H "Authorization: Bearer $PG_TOKEN" "$COFFER_URL/secrets/p1-t0-2?api-version=7.6") ||
  die "spot-check GET failed"
[ "$code" = 200 ] || die "spot check: GET /secrets/p1-t0-2 answered $code: $(head -c 300 "$WORK/check.json")"

s_med=$(median "${sqlite_wps[@]}")
p_med=$(median "${pg_wps[@]}")
echo "sqlite median:   $s_med writes/s"
echo "postgres median: $p_med writes/s"
echo "ratio postgres/sqlite: $(ratio "$p_med" "$s_med") (issue 10's goal with group commit: >= 0.5)"
