#!/usr/bin/env bash
# Secret GET throughput with two coffer nodes on one PostgreSQL beside one node on SQLite, in the
# same run (issue 10: two nodes on PostgreSQL >= 0.8x the SQLite node, caches on and kept
# consistent across nodes), and a check that a key operation on a warm cache reads no storage:
# PostgreSQL's transaction count (pg_stat_database) across a burst of sign requests through the
# second node. See bench/README.md.
#
#   cmake --build build --target coffer   # once
#   bench/secret_get_multinode.sh
#
# Env overrides: COFFER_BIN (build/coffer), BUILD_DIR (build), PG_URL (a server whose role owns
# its database; default: start one with scripts/pg.sh), WRK_DURATION (10s), WRK_CONNECTIONS (64;
# the two PostgreSQL nodes get half each, at the same time), WRK_THREADS (2), ROUNDS (3),
# TARGET (0.8), KEEP_WORKDIR (0).
# Exit status: 0 when the run is valid (whatever the ratio), 1 on any error.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh source-path=SCRIPTDIR/..
. "$REPO/bench/lib.sh"

TARGET=${TARGET:-0.8}
PG_DIR=""
SQLITE_PID=""
A_PID=""
B_PID=""
PSQL=/usr/lib/postgresql/15/bin/psql
[ -x "$PSQL" ] || PSQL=psql

cleanup() {
  stop_pid "$SQLITE_PID" "coffer (sqlite)"
  stop_pid "$A_PID" "coffer (postgres A)"
  stop_pid "$B_PID" "coffer (postgres B)"
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

need wrk curl awk timeout openssl
make_workdir
echo "== bench/secret_get_multinode.sh: secret GET, two nodes on PostgreSQL vs one on SQLite (work dir $WORK)"

if [ -z "${PG_URL:-}" ]; then
  PG_DIR=$(mktemp -d /tmp/coffer-bench-pg.XXXXXX)
  PG_URL=$(bash "$REPO/scripts/pg.sh" start "$PG_DIR") || die "PostgreSQL did not start"
fi
echo "postgres: $PG_URL"

write_limits "$WORK/sqlite.toml"
DATA_DIR=$WORK/sqlite-data
start_coffer "$WORK/sqlite.toml"
SQLITE_PID=$COFFER_PID SQLITE_URL=$COFFER_URL SQLITE_DATA=$DATA_DIR
fetch_token
SQLITE_TOKEN=$TOKEN

write_limits "$WORK/pg.toml"
printf '[storage]\nengine = "postgres"\nurl = "%s"\n' "$PG_URL" >>"$WORK/pg.toml"
DATA_DIR=$WORK/pg-a
start_coffer "$WORK/pg.toml"
A_PID=$COFFER_PID A_URL=$COFFER_URL A_DATA=$DATA_DIR
fetch_token
A_TOKEN=$TOKEN
DATA_DIR=$WORK/pg-b
COFFER_EXTRA_ARGS="--unseal-key-file $A_DATA/unseal.key" start_coffer "$WORK/pg.toml"
B_PID=$COFFER_PID B_URL=$COFFER_URL B_DATA=$DATA_DIR
fetch_token
B_TOKEN=$TOKEN
COFFER_PID=""
echo "coffer: sqlite $SQLITE_URL; postgres A $A_URL, B $B_URL (joined with A's unseal key)"
print_host

# curl_ok CA TOKEN METHOD URL [BODY]: the body of a 200 answer, or the script fails.
curl_ok() {
  local ca=$1 token=$2 method=$3 url=$4 body=${5:-} code
  if [ -n "$body" ]; then
    code=$(curl -sS --max-time 30 --cacert "$ca" -o "$WORK/curl.json" -w '%{http_code}' -X "$method" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data "$body" "$url") ||
      die "$method $url failed"
  else
    code=$(curl -sS --max-time 30 --cacert "$ca" -o "$WORK/curl.json" -w '%{http_code}' -X "$method" \
      -H "Authorization: Bearer $token" "$url") || die "$method $url failed"
  fi
  [ "$code" = 200 ] || die "$method $url answered $code: $(head -c 300 "$WORK/curl.json")"
  cat "$WORK/curl.json"
}

value=$(openssl rand -base64 384 | tr -d '\n/+=' | cut -c1-300)
PATH_QUERY="/secrets/bench-get?api-version=7.6"
curl_ok "$SQLITE_DATA/tls/ca.pem" "$SQLITE_TOKEN" PUT "$SQLITE_URL$PATH_QUERY" "{\"value\":\"$value\"}" >/dev/null
# Written through A, read through B: one deployment.
curl_ok "$A_DATA/tls/ca.pem" "$A_TOKEN" PUT "$A_URL$PATH_QUERY" "{\"value\":\"$value\"}" >/dev/null
curl_ok "$B_DATA/tls/ca.pem" "$B_TOKEN" GET "$B_URL$PATH_QUERY" | grep -q "$value" ||
  die "node B does not read the secret node A wrote"

HALF=$((WRK_CONNECTIONS / 2))
[ "$HALF" -ge 1 ] || HALF=1
echo "load:   wrk GET $PATH_QUERY; sqlite: -t$WRK_THREADS -c$WRK_CONNECTIONS; postgres: A and B at once, -t1 -c$HALF each; $WRK_DURATION, $ROUNDS rounds"

sqlite_rps=()
pg_rps=()
for round in $(seq "$ROUNDS"); do
  run_wrk "$WORK/wrk.sqlite.$round" "sqlite round $round" \
    -H "Authorization: Bearer $SQLITE_TOKEN" "$SQLITE_URL$PATH_QUERY"
  sqlite_rps+=("$WRK_RPS")
  # Both PostgreSQL nodes loaded together; each wrk checks its own errors.
  (WRK_THREADS=1 WRK_CONNECTIONS=$HALF run_wrk "$WORK/wrk.a.$round" "node A round $round" \
    -H "Authorization: Bearer $A_TOKEN" "$A_URL$PATH_QUERY") &
  pa=$!
  (WRK_THREADS=1 WRK_CONNECTIONS=$HALF run_wrk "$WORK/wrk.b.$round" "node B round $round" \
    -H "Authorization: Bearer $B_TOKEN" "$B_URL$PATH_QUERY") &
  pb=$!
  wait "$pa" || die "node A's wrk failed"
  wait "$pb" || die "node B's wrk failed"
  ra=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.a.$round")
  rb=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.b.$round")
  pg_rps+=("$(awk -v a="$ra" -v b="$rb" 'BEGIN {printf "%.1f\n", a + b}')")
  printf 'round %s: sqlite %9.1f req/s   postgres A+B %9.1f req/s (A %s, B %s)\n' "$round" \
    "${sqlite_rps[-1]}" "${pg_rps[-1]}" "$ra" "$rb"
done
for pid in "$SQLITE_PID" "$A_PID" "$B_PID"; do
  kill -0 "$pid" 2>/dev/null || die "a coffer node exited during the run"
done

s_med=$(median "${sqlite_rps[@]}")
p_med=$(median "${pg_rps[@]}")
r=$(ratio "$p_med" "$s_med")
echo "sqlite median:          $s_med req/s"
echo "postgres 2 nodes median: $p_med req/s"
echo "ratio postgres(2 nodes)/sqlite: $r (goal >= $TARGET): $(verdict "$r" "$TARGET")"

# A key operation on a cache hit reads no storage: an RSA key made on A, signed through B once
# (B's cache fills), then a burst of signs through B while PostgreSQL counts transactions.
curl_ok "$A_DATA/tls/ca.pem" "$A_TOKEN" POST "$A_URL/keys/bench-sign/create?api-version=7.6" \
  '{"kty":"RSA","key_size":2048}' >/dev/null
SIGN_PATH="/keys/bench-sign//sign?api-version=7.6"
DIGEST=$(openssl rand 32 | openssl base64 -A | tr '+/' '-_' | tr -d '=')
curl_ok "$B_DATA/tls/ca.pem" "$B_TOKEN" POST "$B_URL$SIGN_PATH" "{\"alg\":\"RS256\",\"value\":\"$DIGEST\"}" >/dev/null
xacts() {
  "$PSQL" "$PG_URL" -X -q -At -c \
    "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
}
before=$(xacts)
WRK_DURATION=5s run_wrk "$WORK/wrk.sign" "sign through B" -s "$REPO/bench/sign_digest.lua" \
  -H "Authorization: Bearer $B_TOKEN" "$B_URL" -- "/keys/bench-sign//sign?api-version=7.6" RS256 1
signs=$WRK_REQUESTS
sleep 0.5  # pg_stat_database is reported by backends with a short delay
after=$(xacts)
echo "key sign through B on a warm cache: $signs requests, $((after - before)) PostgreSQL transactions meanwhile (the sweepers' and this count's own included)"
