#!/usr/bin/env bash
# Service limits under overload (issue 13): offer 3x a vault's limit of secret GETs and check
# that the limit holds, nothing fails, admitted requests stay fast and refusals are cheap — each
# against a baseline measured in the same run. See bench/README.md.
#
#   bench/throttle.sh
#
# 1. `coffer server --dev --config` with `[limits] vault_other = LIMIT` (per 10 s).
# 2. Unloaded: bench/throttle_load.mjs offers half the limit for UNLOADED_SECONDS; p50/p99 of
#    the admitted GETs.
# 3. Overload: after the window has emptied, 3x the limit for OVERLOAD_SECONDS from CONNECTIONS
#    keep-alive connections (open loop): admitted per 10 s (target: within ±5 % of LIMIT),
#    share of 429s, count of 5xx (must be 0), p50/p99 of the admitted GETs (target: p99 at most
#    2x the unloaded p99).
# 4. CPU per request, from /proc/<pid>/stat over a closed-loop wrk flood: every GET refused
#    (window full) against, after a restart with the limits raised, every GET served (target:
#    refused < 0.1 x served).
#
# Env overrides: LIMIT (2000), OVERLOAD_SECONDS (30), UNLOADED_SECONDS (10), CONNECTIONS (64),
# WRK_DURATION (10s), WRK_CONNECTIONS (64), WRK_THREADS (2), COFFER_BIN, BUILD_DIR,
# KEEP_WORKDIR. Exit status 0 when the run is valid (whatever the figures), 1 on any error.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh source-path=SCRIPTDIR/..
. "$REPO/bench/lib.sh"

LIMIT=${LIMIT:-2000}
OVERLOAD_SECONDS=${OVERLOAD_SECONDS:-30}
UNLOADED_SECONDS=${UNLOADED_SECONDS:-10}
CONNECTIONS=${CONNECTIONS:-64}
SECRET_NAME=bench-throttle

trap cleanup_common EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need node wrk curl awk timeout

make_workdir
echo "== bench/throttle.sh: secret GETs at 3x a vault limit of $LIMIT per 10 s (work dir $WORK)"
write_limits "$WORK/limited.toml" "vault_other=$LIMIT"
start_coffer "$WORK/limited.toml"
echo "coffer: pid $COFFER_PID at $COFFER_URL"
print_host
fetch_token
CA=$DATA_DIR/tls/ca.pem
URL="$COFFER_URL/secrets/$SECRET_NAME?api-version=7.6"

code=$(curl -sS --max-time 10 --cacert "$CA" -o "$WORK/put.json" -w '%{http_code}' -X PUT \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  --data '{"value":"a value of a few dozen bytes for the throttling benchmark"}' "$URL") ||
  die "PUT secret failed"
[ "$code" = 200 ] || die "PUT secret answered $code: $(cat "$WORK/put.json")"

# load OUT RATE SECONDS: one open-loop run; its JSON summary in OUT.
load() {
  timeout --kill-after=5 $(($3 + 60)) node "$REPO/bench/throttle_load.mjs" --url "$URL" \
    --token "$TOKEN" --ca "$CA" --rate "$2" --seconds "$3" --connections "$CONNECTIONS" \
    >"$1" || die "throttle_load.mjs failed (rate $2/s for $3 s)"
}
# field OUT EXPR: a value of a summary (node evaluates EXPR on the parsed JSON `j`).
field() {
  node -e "const j = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
    const v = ($2); console.log(typeof v === 'object' ? JSON.stringify(v) : v);" "$1"
}
fivexx() { field "$1" "Object.entries(j.by_status).filter(([s]) => s >= 500 || s == 0).reduce((n, [, c]) => n + c, 0)"; }

rate_unloaded=$(awk -v l="$LIMIT" 'BEGIN { printf "%.1f", l / 20 }')
rate_overload=$(awk -v l="$LIMIT" 'BEGIN { printf "%.1f", 3 * l / 10 }')
echo "unloaded: $rate_unloaded GET/s for ${UNLOADED_SECONDS} s (half the limit)"
load "$WORK/unloaded.json" "$rate_unloaded" "$UNLOADED_SECONDS"
[ "$(fivexx "$WORK/unloaded.json")" = 0 ] || die "unloaded run had 5xx or socket errors: $(cat "$WORK/unloaded.json")"
[ "$(field "$WORK/unloaded.json" 'j.by_status[429] ?? 0')" = 0 ] ||
  die "unloaded run was throttled: $(cat "$WORK/unloaded.json")"
sleep 11  # let the unloaded run leave the window
echo "overload: $rate_overload GET/s for ${OVERLOAD_SECONDS} s (3x the limit), $CONNECTIONS connections"
load "$WORK/overload.json" "$rate_overload" "$OVERLOAD_SECONDS"

u50=$(field "$WORK/unloaded.json" j.admitted_ms.p50)
u99=$(field "$WORK/unloaded.json" j.admitted_ms.p99)
o50=$(field "$WORK/overload.json" j.admitted_ms.p50)
o99=$(field "$WORK/overload.json" j.admitted_ms.p99)
slices=$(field "$WORK/overload.json" "j.admitted_per_10s.join(' ')")
sent=$(field "$WORK/overload.json" j.sent)
throttled=$(field "$WORK/overload.json" 'j.by_status[429] ?? 0')
errors=$(fivexx "$WORK/overload.json")
echo "by status:           $(field "$WORK/overload.json" j.by_status)"
echo "admitted per 10 s:   $slices (limit $LIMIT; target within ±5 %)"
for n in $slices; do
  dev=$(awk -v n="$n" -v l="$LIMIT" 'BEGIN { d = (n - l) / l * 100; printf "%+.1f", d }')
  ok=$(awk -v n="$n" -v l="$LIMIT" 'BEGIN { d = (n - l) / l; print (d <= 0.05 && d >= -0.05) ? "ok" : "OUTSIDE" }')
  echo "  $n: $dev % $ok"
done
echo "share of 429s:       $(awk -v t="$throttled" -v s="$sent" 'BEGIN { printf "%.1f %%", 100 * t / s }') of $sent"
echo "5xx and socket errors: $errors (must be 0)"
echo "admitted latency:    unloaded p50 $u50 ms p99 $u99 ms; overload p50 $o50 ms p99 $o99 ms"
r99=$(ratio "$o99" "$u99")
echo "p99 overload/unloaded: $r99 (target <= 2): $(awk -v r="$r99" 'BEGIN { print (r != "nan" && r <= 2) ? "PASS" : "ABOVE TARGET" }')"
[ "$errors" = 0 ] || die "the overload run had $errors 5xx or socket errors"

# cpu_per_request LABEL: server CPU µs per request over one closed-loop wrk flood.
cpu_per_request() {
  local before after requests
  before=$(proc_cpu "$COFFER_PID")
  timeout --kill-after=5 120 wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" \
    --timeout 10s -H "Authorization: Bearer $TOKEN" "$URL" >"$WORK/wrk.$1" 2>&1 ||
    die "$1: wrk failed: $(cat "$WORK/wrk.$1")"
  after=$(proc_cpu "$COFFER_PID")
  requests=$(awk '/ requests in / {print $1}' "$WORK/wrk.$1")
  [ -n "$requests" ] && [ "$requests" -gt 0 ] || die "$1: cannot parse wrk output"
  if grep -q 'Socket errors' "$WORK/wrk.$1"; then die "$1: socket errors: $(cat "$WORK/wrk.$1")"; fi
  awk -v b="$before" -v a="$after" -v n="$requests" 'BEGIN { printf "%.1f\n", (a - b) * 1e6 / n }'
}
refused_cpu=$(cpu_per_request refused)
refused_non2xx=$(awk -F: '/Non-2xx or 3xx responses/ {gsub(/ /, "", $2); print $2}' "$WORK/wrk.refused")
refused_total=$(awk '/ requests in / {print $1}' "$WORK/wrk.refused")
echo "refused flood:       $refused_total requests, ${refused_non2xx:-0} of them 429, $refused_cpu µs of server CPU each"
stop_pid "$COFFER_PID" coffer
COFFER_PID=""
start_coffer  # same data dir, limits raised
fetch_token
URL="$COFFER_URL/secrets/$SECRET_NAME?api-version=7.6"
served_cpu=$(cpu_per_request served)
grep -q 'Non-2xx' "$WORK/wrk.served" && die "served flood had non-2xx answers: $(cat "$WORK/wrk.served")"
echo "served flood:        $(awk '/ requests in / {print $1}' "$WORK/wrk.served") requests, all 200, $served_cpu µs of server CPU each"
r=$(ratio "$refused_cpu" "$served_cpu")
echo "CPU refused/served:  $r (target < 0.1): $(awk -v r="$r" 'BEGIN { print (r != "nan" && r < 0.1) ? "PASS" : "ABOVE TARGET" }')"
print_host
