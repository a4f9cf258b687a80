#!/usr/bin/env bash
# Request-body memory under abuse (issue 13, CONTRACT.md "Overload and abuse"): CLIENTS
# concurrent POST /secrets/restore requests with BODY_MB-MB bodies, against a server whose
# request bodies in flight share a budget of BUDGET_MB ([server] body_budget_mb). Prints the
# server's resident memory idle, at its peak (VmHWM) and after the load, against the documented
# bound (docs/operations.md "Overload"), and the answers by status: 503 (the budget stayed full
# for 2 s) is expected, any other 5xx is a fault.
#
#   bench/body_budget.sh
#
# The bodies are `{"value": "<base64url of random bytes>"}`: well-formed JSON whose blob is not a
# backup, so a request that gets in is read, parsed and decoded in full and then refused with
# 400 — the memory of a restore without the storage work. Refusals are fine; the point is memory.
#
# Env overrides: CLIENTS (64), BODY_MB (22, decimal megabytes), BUDGET_MB (256), BOUND_MB (300),
# COMPARE=1 (afterwards, the same load with the budget raised to 1048576 MiB — effectively off —
# for comparison), COFFER_BIN, BUILD_DIR, KEEP_WORKDIR. Exit status 0 when the run is valid
# (whatever the figures), 1 when the server fails to start, dies, or a client cannot connect.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh source-path=SCRIPTDIR/..
. "$REPO/bench/lib.sh"

CLIENTS=${CLIENTS:-64}
BODY_MB=${BODY_MB:-22}
BUDGET_MB=${BUDGET_MB:-256}
BOUND_MB=${BOUND_MB:-300}
COMPARE=${COMPARE:-0}

trap cleanup_common EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need curl awk base64 head tr

# status_kb PID FIELD: a /proc/<pid>/status field (VmRSS, VmHWM) in kB.
status_kb() {
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# run_load LABEL BUDGET: one server with [server] body_budget_mb = BUDGET and the load against
# it; prints the figures. Sets PEAK_MB.
run_load() {
  local label=$1 budget=$2 config=$WORK/coffer-$2.toml
  write_limits "$config"
  printf '\n[server]\nbody_budget_mb = %s\n' "$budget" >>"$config"
  rm -rf "$DATA_DIR"
  start_coffer "$config"
  fetch_token
  local ca=$DATA_DIR/tls/ca.pem url="$COFFER_URL/secrets/restore?api-version=7.6"
  # One small request first, so the idle figure includes a served request's caches.
  curl -sS --max-time 10 --cacert "$ca" -o /dev/null -H "Authorization: Bearer $TOKEN" \
    "$COFFER_URL/secrets?api-version=7.6" || die "$label: the server does not answer"
  local idle_rss idle_hwm
  idle_rss=$(status_kb "$COFFER_PID" VmRSS)
  idle_hwm=$(status_kb "$COFFER_PID" VmHWM)

  local i start end
  local -a pids=()
  start=$(date +%s.%N)
  for i in $(seq "$CLIENTS"); do
    # -T streams the file (curl does not load 22 MB per client); no Expect: the bodies arrive
    # whether or not the server wants them, as an abusive client's would.
    curl -sS --max-time 180 --cacert "$ca" -o "$WORK/answer.$i" -w '%{http_code}\n' -X POST \
      -T "$BODY" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -H 'Expect:' "$url" >"$WORK/status.$i" 2>"$WORK/curl.$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  end=$(date +%s.%N)
  kill -0 "$COFFER_PID" 2>/dev/null || {
    tail -n 20 "$WORK/coffer.log" >&2 || true
    COFFER_PID=""
    die "$label: the server died under the load (log above)"
  }
  local peak after
  peak=$(status_kb "$COFFER_PID" VmHWM)
  after=$(status_kb "$COFFER_PID" VmRSS)

  cat "$WORK"/status.* | sort | uniq -c | sort -k2 >"$WORK/statuses"
  local other5xx noconn total
  other5xx=$(awk '$2 >= 500 && $2 != 503 { n += $1 } END { print n + 0 }' "$WORK/statuses")
  noconn=$(awk '$2 == "000" || $2 == "" { n += $1 } END { print n + 0 }' "$WORK/statuses")
  total=$(awk '{ n += $1 } END { print n + 0 }' "$WORK/statuses")

  PEAK_MB=$(mb "$peak")
  echo "-- $label: [server] body_budget_mb = $budget"
  echo "idle:      VmRSS $(mb "$idle_rss") MB (VmHWM $(mb "$idle_hwm") MB)"
  printf 'load:      %s x %s MB POST /secrets/restore at once, done in %.1f s\n' "$CLIENTS" \
    "$BODY_MB" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
  echo "peak:      VmHWM $PEAK_MB MB (idle VmRSS $(mb "$idle_rss") MB)"
  echo "after:     VmRSS $(mb "$after") MB"
  echo "answers:   $(awk '{ printf "%s%s x %s", sep, $1, ($2 == "000" ? "no answer" : $2); sep = ", " }' "$WORK/statuses") ($total requests)"
  echo "5xx other than 503: $other5xx (must be 0)"
  for i in $(seq "$CLIENTS"); do
    if [ "$(cat "$WORK/status.$i")" = 503 ]; then
      echo "a 503:     $(head -c 400 "$WORK/answer.$i")"
      break
    fi
  done
  if [ "$noconn" != 0 ]; then
    echo "curl errors (first):" >&2
    cat "$WORK"/curl.* | sort | uniq -c | head -n 5 >&2
  fi
  stop_pid "$COFFER_PID" coffer
  COFFER_PID=""
  [ "$noconn" = 0 ] || die "$label: $noconn requests got no answer (curl errors above)"
  OTHER5XX=$other5xx
}

make_workdir
echo "== bench/body_budget.sh: $CLIENTS concurrent $BODY_MB MB restore bodies (work dir $WORK)"
print_host
BODY=$WORK/body.json
raw=$((BODY_MB * 1000000 * 3 / 4 - 12))
{
  printf '{"value":"'
  head -c "$raw" /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '='
  printf '"}'
} >"$BODY"
echo "body:      $(wc -c <"$BODY") bytes of JSON ({\"value\": base64url of $raw random bytes})"

run_load "budgeted" "$BUDGET_MB"
budgeted_peak=$PEAK_MB
budgeted_5xx=$OTHER5XX
if [ "$COMPARE" = 1 ]; then
  run_load "budget effectively off" 1048576
fi

verdict=PASS
[ "$budgeted_peak" -le "$BOUND_MB" ] || verdict="ABOVE BOUND"
[ "$budgeted_5xx" = 0 ] || verdict="$verdict, 5xx OTHER THAN 503"
echo "== peak RSS $budgeted_peak MB with a $BUDGET_MB MiB body budget; documented bound $BOUND_MB MB: $verdict"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
