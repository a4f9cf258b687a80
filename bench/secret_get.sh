#!/usr/bin/env bash
# Secret GET throughput: coffer vs nginx serving the same JSON body as a static file over the
# same TLS certificate, measured in the same run. See bench/README.md.
#
#   bench/secret_get.sh
#
# Env overrides (defaults are the benchmark's definition; change them only to experiment):
#   COFFER_BIN (build/coffer), BUILD_DIR (build), WRK_DURATION (10s), WRK_CONNECTIONS (64),
#   WRK_THREADS (2), ROUNDS (3), TARGET (0.6), KEEP_WORKDIR (0; 1 keeps the temp dir and logs).
# Exit status: 0 when the run is valid (whatever the ratio), 1 on any error: a server that
# does not start, bodies that differ, any non-2xx response or socket error.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh source-path=SCRIPTDIR/..
. "$REPO/bench/lib.sh"

TARGET=${TARGET:-0.6}
SECRET_NAME=bench-get
NGINX_PID=""
NGINX_DIR=""

cleanup() {
  stop_pid "$NGINX_PID" nginx
  NGINX_PID=""
  cleanup_common
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need wrk nginx curl openssl awk timeout cmp

make_workdir
echo "== bench/secret_get.sh: secret GET, coffer vs nginx static file (work dir $WORK)"
start_coffer
echo "coffer: pid $COFFER_PID at $COFFER_URL"
print_host
fetch_token

# One secret with a value of a few hundred bytes.
value=$(openssl rand -base64 384 | tr -d '\n/+=' | cut -c1-300)
put_code=$(curl -sS --max-time 10 --cacert "$DATA_DIR/tls/ca.pem" -o "$WORK/put.json" \
  -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  --data "{\"value\":\"$value\"}" "$COFFER_URL/secrets/$SECRET_NAME?api-version=7.6") ||
  die "PUT secret failed"
[ "$put_code" = 200 ] || die "PUT secret answered $put_code: $(cat "$WORK/put.json")"

PATH_QUERY="/secrets/$SECRET_NAME?api-version=7.6"

# nginx: 2 workers, the dev server's own P-256 certificate, the secret GET body as a static file.
NGINX_DIR=$WORK/nginx
mkdir -p "$NGINX_DIR/www" "$NGINX_DIR/tmp"
code=$(curl -sS --max-time 10 --cacert "$DATA_DIR/tls/ca.pem" -o "$NGINX_DIR/www/secret.json" \
  -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$COFFER_URL$PATH_QUERY") ||
  die "GET secret from coffer failed"
[ "$code" = 200 ] || die "GET secret from coffer answered $code: $(cat "$NGINX_DIR/www/secret.json")"

start_nginx() {
  local attempt port
  for attempt in 1 2 3 4 5; do
    port=$(pick_free_port)
    cat >"$NGINX_DIR/nginx.conf" <<EOF
user root root;
worker_processes 2;
daemon off;
master_process on;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nodelay on;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  client_body_temp_path $NGINX_DIR/tmp/body;
  proxy_temp_path $NGINX_DIR/tmp/proxy;
  fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
  uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
  scgi_temp_path $NGINX_DIR/tmp/scgi;
  types {}
  default_type application/json;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_certificate $DATA_DIR/tls/server.pem;
  ssl_certificate_key $DATA_DIR/tls/server-key.pem;
  server {
    listen 127.0.0.1:$port ssl;
    location = /secrets/$SECRET_NAME { alias $NGINX_DIR/www/secret.json; }
    location / { return 404; }
  }
}
EOF
    nginx -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" -t \
      >"$NGINX_DIR/test.log" 2>&1 || {
      cat "$NGINX_DIR/test.log" >&2
      die "nginx rejected its configuration"
    }
    nginx -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" \
      >"$NGINX_DIR/stdout.log" 2>&1 &
    NGINX_PID=$!
    local _
    for _ in $(seq 100); do
      if ! kill -0 "$NGINX_PID" 2>/dev/null; then
        break
      fi
      if ! port_is_free "$port"; then
        NGINX_URL=https://127.0.0.1:$port
        return 0
      fi
      sleep 0.1
    done
    if kill -0 "$NGINX_PID" 2>/dev/null; then
      stop_pid "$NGINX_PID" nginx
      NGINX_PID=""
      die "nginx did not start listening on port $port within 10 s: $(tail -n 5 "$NGINX_DIR/error.log")"
    fi
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=""
    if grep -q 'Address already in use' "$NGINX_DIR/error.log" "$NGINX_DIR/stdout.log" 2>/dev/null; then
      echo "bench: port $port was taken; retrying (attempt $attempt)" >&2
      : >"$NGINX_DIR/error.log"
      continue
    fi
    cat "$NGINX_DIR/stdout.log" "$NGINX_DIR/error.log" >&2 || true
    die "nginx exited at start (log above)"
  done
  die "nginx could not bind a free port after 5 attempts"
}
NGINX_URL=""
start_nginx
echo "nginx:  pid $NGINX_PID at $NGINX_URL (worker_processes 2, same cert and key as coffer)"

# Both answer 200 with byte-identical bodies, or the comparison means nothing.
check_body() {
  local label=$1 url=$2 out=$3
  shift 3
  local code
  code=$(curl -sS --max-time 10 --cacert "$DATA_DIR/tls/ca.pem" -o "$out" -w '%{http_code}' \
    "$@" "$url$PATH_QUERY") || die "$label: curl $url$PATH_QUERY failed"
  [ "$code" = 200 ] || die "$label answered $code for $PATH_QUERY: $(head -c 300 "$out")"
}
check_body coffer "$COFFER_URL" "$WORK/body.coffer" -H "Authorization: Bearer $TOKEN"
check_body nginx "$NGINX_URL" "$WORK/body.nginx"
cmp -s "$WORK/body.coffer" "$WORK/body.nginx" ||
  die "coffer and nginx bodies differ ($WORK/body.coffer vs $WORK/body.nginx; set KEEP_WORKDIR=1 to inspect)"
body_bytes=$(wc -c <"$WORK/body.coffer")
echo "check:  both answer 200 with the same ${body_bytes}-byte JSON body"
echo "load:   wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION (keep-alive), $ROUNDS rounds each, alternating coffer/nginx"

coffer_rps=()
nginx_rps=()
for round in $(seq "$ROUNDS"); do
  run_wrk "$WORK/wrk.coffer.$round" "coffer round $round" \
    -H "Authorization: Bearer $TOKEN" "$COFFER_URL$PATH_QUERY"
  coffer_rps+=("$WRK_RPS")
  printf 'round %s: coffer %10.1f req/s' "$round" "$WRK_RPS"
  run_wrk "$WORK/wrk.nginx.$round" "nginx round $round" "$NGINX_URL$PATH_QUERY"
  nginx_rps+=("$WRK_RPS")
  printf '   nginx %10.1f req/s\n' "$WRK_RPS"
done
kill -0 "$COFFER_PID" 2>/dev/null || die "coffer exited during the run"
print_host

coffer_med=$(median "${coffer_rps[@]}")
nginx_med=$(median "${nginx_rps[@]}")
r=$(ratio "$coffer_med" "$nginx_med")
v=$(verdict "$r" "$TARGET")
echo "coffer median:      $coffer_med req/s"
echo "nginx median:       $nginx_med req/s"
echo "ratio coffer/nginx: $r (target >= $TARGET): $v"
if [ "$v" != PASS ]; then
  echo "note: below target is reported, not a script failure (exit status stays 0)"
fi
