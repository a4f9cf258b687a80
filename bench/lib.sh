# shellcheck shell=bash
# Shared helpers for bench/*.sh (sourced, not run). See bench/README.md.
# Expects the caller to have `set -euo pipefail` and to define REPO.

BUILD_DIR=${BUILD_DIR:-$REPO/build}
COFFER_BIN=${COFFER_BIN:-$BUILD_DIR/coffer}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_DURATION=${WRK_DURATION:-10s}
ROUNDS=${ROUNDS:-3}

# Globals set here and read by the sourcing script.
# shellcheck disable=SC2034
{
  WORK=""
  COFFER_PID=""
  COFFER_URL=""
  DATA_DIR=""
  TOKEN=""
  WRK_RPS=""
  WRK_REQUESTS=""
}


die() {
  echo "bench: error: $*" >&2
  exit 1
}

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 ||
      die "'$tool' is not on PATH (scripts/deps.sh installs wrk, nginx-light, openssl; curl is needed too)"
  done
}

# json_field FILE-OR-STRING KEY: a top-level string field of a flat JSON document.
json_field() {
  local doc=$1 key=$2
  if command -v jq >/dev/null 2>&1; then
    printf '%s' "$doc" | jq -er --arg k "$key" '.[$k] | strings'
  else
    printf '%s' "$doc" | tr -d '\n' |
      sed -n "s/.*\"$key\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | grep .
  fi
}

make_workdir() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-bench.XXXXXX")
  DATA_DIR=$WORK/data
}

# stop_pid PID NAME: TERM, wait up to 5 s, then KILL. Only ever a pid this script started.
stop_pid() {
  local pid=$1 name=$2 _
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "bench: $name (pid $pid) did not stop on TERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup_common() {
  stop_pid "$COFFER_PID" coffer
  COFFER_PID=""
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "${KEEP_WORKDIR:-0}" = 1 ]; then
      echo "bench: kept work dir $WORK" >&2
    else
      rm -rf "$WORK"
    fi
  fi
}

# write_limits FILE [KEY=VALUE ...]: a coffer.toml whose [limits] raise every service limit to
# its maximum (Azure's defaults would throttle a throughput benchmark at 400 req/s), then set
# the given keys. The limiter still decides every request; it just never refuses one.
write_limits() {
  local file=$1 kv
  shift
  {
    echo '[limits]'
    echo 'subscription_factor = 1000'
    for kv in secret_create vault_other key_create key_create_hsm key_other key_other_hsm; do
      echo "$kv = 1000000000"
    done
  } >"$file"
  for kv in "$@"; do
    sed -i "/^${kv%%=*} = /d" "$file"
    echo "${kv%%=*} = ${kv#*=}" >>"$file"
  done
}

# start_coffer [CONFIG]: coffer server --dev --config CONFIG on the work dir's data dir and an
# ephemeral port; without CONFIG, the raised limits of write_limits.
# Sets COFFER_PID and COFFER_URL (https://127.0.0.1:<port>).
start_coffer() {
  [ -x "$COFFER_BIN" ] || die "no coffer binary at $COFFER_BIN; build it first:
  cmake -S $REPO -B $BUILD_DIR -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD_DIR -j2
(or set COFFER_BIN)"
  local config=${1:-$WORK/unthrottled.toml}
  [ -n "${1:-}" ] || write_limits "$config"
  # shellcheck disable=SC2086  # COFFER_EXTRA_ARGS: extra words, e.g. --unseal-key-file F
  "$COFFER_BIN" server --dev --data-dir "$DATA_DIR" --listen 127.0.0.1:0 --config "$config" \
    ${COFFER_EXTRA_ARGS:-} >"$WORK/coffer.out" 2>"$WORK/coffer.log" &
  COFFER_PID=$!
  local _ line=""
  for _ in $(seq 300); do
    line=$(grep -m1 '^coffer ready' "$WORK/coffer.out" 2>/dev/null || true)
    [ -n "$line" ] && break
    if ! kill -0 "$COFFER_PID" 2>/dev/null; then
      tail -n 20 "$WORK/coffer.log" >&2 || true
      COFFER_PID=""
      die "coffer server exited before printing 'coffer ready' (log above)"
    fi
    sleep 0.1
  done
  [ -n "$line" ] || {
    tail -n 20 "$WORK/coffer.log" >&2 || true
    die "coffer server did not print 'coffer ready' within 30 s"
  }
  COFFER_URL=$(printf '%s\n' "$line" | grep -o 'https://127\.0\.0\.1:[0-9]*' | head -n1)
  [ -n "$COFFER_URL" ] || die "cannot parse the ready line: $line"
  [ -f "$DATA_DIR/dev-credentials.json" ] || die "no $DATA_DIR/dev-credentials.json after ready"
}

# fetch_token: client-credentials token for the data plane. Sets TOKEN.
fetch_token() {
  local creds authority tenant client secret resp
  creds=$(cat "$DATA_DIR/dev-credentials.json")
  authority=$(json_field "$creds" authorityHost) || die "dev-credentials.json has no authorityHost"
  tenant=$(json_field "$creds" tenantId) || die "dev-credentials.json has no tenantId"
  client=$(json_field "$creds" clientId) || die "dev-credentials.json has no clientId"
  secret=$(json_field "$creds" clientSecret) || die "dev-credentials.json has no clientSecret"
  resp=$(curl -sS --max-time 10 --cacert "$DATA_DIR/tls/ca.pem" -X POST \
    "$authority/$tenant/oauth2/v2.0/token" \
    --data-urlencode grant_type=client_credentials \
    --data-urlencode "client_id=$client" \
    --data-urlencode "client_secret=$secret" \
    --data-urlencode scope=https://vault.localhost/.default) || die "token request failed"
  # shellcheck disable=SC2034  # read by the sourcing script
  TOKEN=$(json_field "$resp" access_token) || die "token endpoint answered without access_token: $resp"
}

# port_is_free PORT: nothing accepts connections on 127.0.0.1:PORT.
port_is_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pick_free_port: a random unused port in 20000-59999 (the caller retries if bind still fails).
pick_free_port() {
  local _ p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if port_is_free "$p"; then
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

# run_wrk OUTFILE LABEL WRK-ARGS...: one bounded wrk run; fails the script on any non-2xx/3xx
# response or socket error. Sets WRK_RPS, WRK_REQUESTS and WRK_CPU (wrk's own user + system CPU
# seconds: on a shared machine the load generator's CPU is taken from the server's).
run_wrk() {
  local out=$1 label=$2
  shift 2
  local rc=0 TIMEFORMAT='%3U %3S'
  { time timeout --kill-after=5 120 wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" \
    --timeout 10s "$@" >"$out" 2>&1; } 2>"$out.cpu" || rc=$?
  WRK_CPU=$(awk 'NF == 2 {printf "%.3f\n", $1 + $2}' "$out.cpu" | tail -n1)
  if [ "$rc" -ne 0 ]; then
    cat "$out" >&2
    die "$label: wrk exited with status $rc"
  fi
  WRK_RPS=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  WRK_REQUESTS=$(awk '/ requests in / {print $1}' "$out")
  if [ -z "$WRK_RPS" ] || [ -z "$WRK_REQUESTS" ]; then
    cat "$out" >&2
    die "$label: cannot parse wrk output"
  fi
  local non2xx sockerr
  non2xx=$(awk -F: '/Non-2xx or 3xx responses/ {gsub(/ /, "", $2); print $2}' "$out")
  sockerr=$(awk '/Socket errors:/ {n = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) n += $i; print n}' "$out")
  non2xx=${non2xx:-0}
  sockerr=${sockerr:-0}
  if [ "$non2xx" != 0 ] || [ "$sockerr" != 0 ]; then
    cat "$out" >&2
    die "$label: $non2xx non-2xx/3xx responses and $sockerr socket errors (wrk output above); a benchmark with errors is not a result"
  fi
  if [ "$WRK_REQUESTS" -eq 0 ]; then
    cat "$out" >&2
    die "$label: wrk completed no requests"
  fi
}

# proc_cpu PID: the process's user + system CPU seconds so far.
proc_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' "/proc/$1/stat"
}

# median V1 V2 ...: the median (mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) exit 1
    if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B: A/B with two decimals.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "nan"; else printf "%.2f\n", a / b }'
}

# verdict RATIO TARGET: PASS or BELOW TARGET.
verdict() {
  awk -v r="$1" -v t="$2" 'BEGIN { if (r != "nan" && r + 0 >= t + 0) print "PASS"; else print "BELOW TARGET" }'
}

# print_host: cores and load, so a noisy machine shows in the output.
print_host() {
  echo "host:   $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews both sides)"
}
