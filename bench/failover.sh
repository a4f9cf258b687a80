#!/usr/bin/env bash
# Paired-region failover figures (CONTRACT.md "PostgreSQL and paired-region failover";
# docs/operations.md "Paired-region failover"): a dev Coffer node on a PostgreSQL primary and
# its streaming replica (scripts/pg-pair.sh), a write load of W curl writers, then the primary
# is killed (pg_ctl stop -m immediate). Prints:
#   - RTO: the time from the kill to the first successful secret GET served by the pair
#     (goal: within after_seconds + 2 s);
#   - the replica's replay lag under the load (pg_stat_replication.replay_lag, the worst seen);
#   - RPO: how many acknowledged writes are missing on the pair after the failover.
#
#   bash bench/failover.sh [sync|async] [after_seconds] [writers] [load_seconds]
#     defaults: sync 5 4 5. Needs build/coffer (or COFFER_BIN), postgresql-15, curl, jq.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-sync}
after=${2:-5}
writers=${3:-4}
load_seconds=${4:-5}
bin=${COFFER_BIN:-build/coffer}
[ -x "$bin" ] || { echo "failover.sh: $bin is missing (build it, or set COFFER_BIN)" >&2; exit 1; }

work=$(mktemp -d /tmp/coffer-bench-failover.XXXXXX)
chmod 755 "$work"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  bash scripts/pg-pair.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mapfile -t urls < <(bash scripts/pg-pair.sh start "$work/pg" "$mode")
cat >"$work/coffer.toml" <<EOF
[storage]
engine = "postgres"
url = "${urls[0]}"
[failover]
paired_url = "${urls[1]}"
after_seconds = $after
[limits]
secret_create = 1000000
vault_other = 1000000
EOF
"$bin" server --dev --data-dir "$work/data" --listen 127.0.0.1:0 --config "$work/coffer.toml" \
  >"$work/out.log" 2>"$work/err.log" &
pid=$!
for _ in $(seq 1 300); do grep -q "coffer ready" "$work/out.log" && break; sleep 0.1; done
base=$(grep -o 'https://[^ ]*' "$work/out.log" | head -1)
port=${base##*:}
creds="$work/data/dev-credentials.json"
ca=$(jq -r .caFile "$creds")
token=$(curl -s --cacert "$ca" "$base/$(jq -r .tenantId "$creds")/oauth2/v2.0/token" \
  --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$(jq -r .clientId "$creds")" \
  --data-urlencode "client_secret=$(jq -r .clientSecret "$creds")" \
  --data-urlencode scope=https://vault.localhost/.default | jq -r .access_token)
vault=(--cacert "$ca" --resolve "dev.vault.localhost:$port:127.0.0.1" -H "Authorization: Bearer $token")
vurl="https://dev.vault.localhost:$port"

status_of() {  # status_of METHOD NAME [VALUE]
  if [ "$1" = PUT ]; then
    curl -s -o /dev/null -w '%{http_code}' "${vault[@]}" -X PUT -H 'Content-Type: application/json' \
      --data "{\"value\":\"$3\"}" "$vurl/secrets/$2?api-version=7.6"
  else
    curl -s -o "$work/get.json" -w '%{http_code}' "${vault[@]}" "$vurl/secrets/$2?api-version=7.6"
  fi
}

[ "$(status_of PUT probe v)" = 200 ] || { echo "failover.sh: the first write failed" >&2; exit 1; }

# The write load: each writer appends the names of its acknowledged writes to its own file.
writer() {
  local w=$1 i=0
  while [ ! -f "$work/stop" ]; do
    if [ "$(status_of PUT "w$w-$i" "v$w-$i")" = 200 ]; then echo "w$w-$i" >>"$work/acked.$w"; fi
    i=$((i + 1))
  done
}
for w in $(seq 1 "$writers"); do writer "$w" & done
psql=(/usr/lib/postgresql/15/bin/psql -X -At -h 127.0.0.1 -p "$(cat "$work/pg/primary.port")" -U postgres -d postgres)
worst_lag=0
end=$((SECONDS + load_seconds))
while [ $SECONDS -lt $end ]; do
  lag=$("${psql[@]}" -c "SELECT coalesce(extract(epoch FROM replay_lag) * 1000, 0)::numeric(12,3) FROM pg_stat_replication" 2>/dev/null || echo 0)
  worst_lag=$(echo "$lag $worst_lag" | awk '{print ($1 > $2) ? $1 : $2}')
  sleep 0.2
done

killed_ns=$(date +%s%N)
bash scripts/pg-pair.sh kill-primary "$work/pg"
while :; do
  code=$(status_of GET probe)
  if [ "$code" = 200 ]; then break; fi
  [ "$code" = 503 ] || { echo "failover.sh: a read during the switch answered $code" >&2; exit 1; }
  sleep 0.02
done
first_read_ns=$(date +%s%N)
touch "$work/stop"
wait $(jobs -p | grep -v "^$pid\$") 2>/dev/null || true

cat "$work"/acked.* >"$work/acked" 2>/dev/null || true
total=$(wc -l <"$work/acked")
missing=0
while read -r name; do
  [ "$(status_of GET "$name")" = 200 ] || missing=$((missing + 1))
done <"$work/acked"
rto_ms=$(((first_read_ns - killed_ns) / 1000000))
echo "mode=$mode after_seconds=$after writers=$writers load=${load_seconds}s"
echo "RTO: first read from the pair ${rto_ms} ms after the kill (goal <= $(((after + 2) * 1000)) ms)"
echo "replay lag under load: worst ${worst_lag} ms (pg_stat_replication.replay_lag)"
echo "RPO: ${missing} of ${total} acknowledged writes missing on the pair"
