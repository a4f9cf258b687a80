#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and local runs, from Debian's postgresql-15.
#
#   bash scripts/pg.sh start DIR   initialises DIR/data (if absent) and starts it on a free
#                                  127.0.0.1 port; prints the URL on stdout (and writes DIR/url):
#                                  postgresql://coffer@127.0.0.1:<port>/coffer
#   bash scripts/pg.sh stop DIR    stops it (fast shutdown); OK if it is not running.
#
# The cluster listens on 127.0.0.1 only (no Unix socket), trusts loopback connections, keeps
# fsync and synchronous_commit on, and has a role `coffer` that owns database `coffer` and may
# EXECUTE pg_promote (CONTRACT.md "PostgreSQL and paired-region failover").
# PostgreSQL refuses to run as root: as root, the server runs as the system user coffer-pg
# (created if missing), which owns DIR. Diagnostics go to stderr; DIR/log is the server's log.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

pg_script=pg.sh
# shellcheck source=scripts/pg-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/pg-lib.sh"

start() {
  prepare_dir

  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bindir/initdb" -D "$dir/data" --username=postgres --auth=trust --encoding=UTF8 \
      --locale=C >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      echo "pg.sh: initdb failed" >&2
      exit 1
    }
    as_owner tee "$dir/data/pg_hba.conf" >/dev/null <<'EOF'
# scripts/pg.sh: trust on loopback only, no Unix socket.
host    all             all             127.0.0.1/32            trust
host    replication     all             127.0.0.1/32            trust
EOF
    as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<'EOF'
# scripts/pg.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 200
dynamic_shared_memory_type = mmap
EOF
  fi

  if as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 && [ -f "$dir/url" ]; then
    cat "$dir/url"  # already running: same URL
    return 0
  fi

  local port="" attempt
  for attempt in $(seq 1 20); do
    local candidate=$((20000 + RANDOM % 40000))
    port_in_use "$candidate" && continue
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-p $candidate" start >/dev/null 2>&1; then
      port=$candidate
      break
    fi
    # Lost a race for the port (or a real failure: the log says which).
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  done
  if [ -z "$port" ]; then
    tail -n 30 "$dir/log" >&2 2>/dev/null || true
    echo "pg.sh: PostgreSQL did not start (log: $dir/log)" >&2
    exit 1
  fi

  local psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  "${psql[@]}" -d postgres <<'EOF' >&2
SELECT 'CREATE ROLE coffer LOGIN'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'coffer') \gexec
SELECT 'CREATE DATABASE coffer OWNER coffer'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'coffer') \gexec
EOF
  # A function's privileges live in each database's catalog: granted where Coffer connects.
  "${psql[@]}" -d coffer -c 'GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO coffer' >&2
  local fsync
  fsync=$("${psql[@]}" -d coffer -At -c 'SHOW fsync')
  if [ "$fsync" != on ]; then
    echo "pg.sh: fsync is '$fsync', expected on" >&2
    exit 1
  fi

  local url="postgresql://coffer@127.0.0.1:$port/coffer"
  echo "$url" >"$dir/url"
  echo "$url"
}

stop() {
  [ -f "$dir/data/PG_VERSION" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || {
      echo "pg.sh: fast stop failed; stopping immediately" >&2
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    }
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
