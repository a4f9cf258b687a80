#!/usr/bin/env bash
# A throwaway PostgreSQL 15 primary and a streaming replica (the "paired region") on loopback,
# from Debian's postgresql-15, for the failover tests, bench/failover.sh and the two-region demo
# in docs/operations.md (CONTRACT.md "PostgreSQL and paired-region failover").
#
#   bash scripts/pg-pair.sh start DIR [sync|async]
#        initialises DIR/primary and DIR/pair (pg_basebackup -R) if absent, starts both and
#        prints two lines on stdout: the primary's URL, then the pair's URL (also written to
#        DIR/primary.url and DIR/pair.url). sync (the default): the pair is the synchronous
#        standby and the primary's commits wait until the pair has applied them
#        (synchronous_commit = remote_apply): RPO 0. async: plain asynchronous streaming.
#   bash scripts/pg-pair.sh kill-primary DIR    crashes the primary (pg_ctl stop -m immediate:
#                                                no checkpoint, no goodbye to clients)
#   bash scripts/pg-pair.sh start-primary DIR   starts the primary again on its port
#   bash scripts/pg-pair.sh stop DIR            stops both (fast); OK if they are not running
#
# Both listen on 127.0.0.1 only, on ports picked once at initialisation and kept (the URLs do
# not change across restarts); trust authentication on loopback; fsync on; role `coffer` owns
# database `coffer` and may EXECUTE pg_promote (the replica has the same roles and grants). As
# root the servers run as the system user coffer-pg (created if missing), like scripts/pg.sh.
# Diagnostics go to stderr; DIR/primary.log and DIR/pair.log are the servers' logs.
set -euo pipefail

standby_name=coffer_pair

usage() {
  echo "usage: $0 start DIR [sync|async] | stop DIR | kill-primary DIR | start-primary DIR" >&2
  exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
mode=${3:-sync}
case "$mode" in sync | async) ;; *) usage ;; esac

pg_script=pg-pair.sh
# shellcheck source=scripts/pg-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/pg-lib.sh"

free_port() {
  local candidate
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 40000))
    if ! port_in_use "$candidate"; then
      echo "$candidate"
      return 0
    fi
  done
  echo "pg-pair.sh: no free port found" >&2
  exit 1
}

# start_server NAME: starts DIR/NAME (its port is in its postgresql.conf) unless it runs.
start_server() {
  local name=$1
  if as_owner "$bindir/pg_ctl" -D "$dir/$name" status >/dev/null 2>&1; then
    return 0
  fi
  if ! as_owner "$bindir/pg_ctl" -D "$dir/$name" -l "$dir/$name.log" -w -t 120 start \
    >/dev/null 2>&1; then
    tail -n 30 "$dir/$name.log" >&2 2>/dev/null || true
    echo "pg-pair.sh: the $name did not start (log: $dir/$name.log)" >&2
    exit 1
  fi
}

init_primary() {
  local port=$1
  as_owner "$bindir/initdb" -D "$dir/primary" --username=postgres --auth=trust --encoding=UTF8 \
    --locale=C >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    echo "pg-pair.sh: initdb failed" >&2
    exit 1
  }
  as_owner tee "$dir/primary/pg_hba.conf" >/dev/null <<'EOF'
# scripts/pg-pair.sh: trust on loopback only, no Unix socket.
host    all             all             127.0.0.1/32            trust
host    replication     all             127.0.0.1/32            trust
EOF
  as_owner tee -a "$dir/primary/postgresql.conf" >/dev/null <<EOF
# scripts/pg-pair.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
fsync = on
full_page_writes = on
max_connections = 200
dynamic_shared_memory_type = mmap
wal_level = replica
max_wal_senders = 5
wal_keep_size = '256MB'
hot_standby = on
hot_standby_feedback = on
synchronous_commit = on
EOF
  start_server primary
  local psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  "${psql[@]}" -d postgres <<'EOF' >&2
CREATE ROLE coffer LOGIN;
CREATE DATABASE coffer OWNER coffer;
EOF
  # A function's privileges live in each database's catalog: granted in coffer, where Coffer
  # connects (granted in postgres it would not reach it).
  "${psql[@]}" -d coffer -c 'GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO coffer' >&2
}

init_pair() {
  local primary_port=$1 port=$2
  as_owner "$bindir/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres \
    -D "$dir/pair" -R -X stream -c fast >"$dir/basebackup.log" 2>&1 || {
    cat "$dir/basebackup.log" >&2
    echo "pg-pair.sh: pg_basebackup failed" >&2
    exit 1
  }
  # The standby names itself so that synchronous_standby_names on the primary matches it.
  as_owner tee -a "$dir/pair/postgresql.conf" >/dev/null <<EOF
# scripts/pg-pair.sh: the paired region's replica
port = $port
EOF
  as_owner tee -a "$dir/pair/postgresql.auto.conf" >/dev/null <<EOF
primary_conninfo = 'host=127.0.0.1 port=$primary_port user=postgres application_name=$standby_name'
EOF
}

start() {
  prepare_dir
  if [ ! -f "$dir/primary/PG_VERSION" ]; then
    rm -rf "$dir/primary" "$dir/pair"
    local pport qport
    pport=$(free_port)
    qport=$(free_port)
    [ "$pport" != "$qport" ] || qport=$(free_port)
    echo "$pport" >"$dir/primary.port"
    echo "$qport" >"$dir/pair.port"
    init_primary "$pport"
    init_pair "$pport" "$qport"
    if [ "$mode" = sync ]; then
      # Only now that the standby exists: with it named before, the primary's own set-up
      # statements would wait for it forever.
      as_owner tee -a "$dir/primary/postgresql.conf" >/dev/null <<EOF
synchronous_standby_names = '$standby_name'
synchronous_commit = remote_apply
EOF
      as_owner "$bindir/pg_ctl" -D "$dir/primary" reload >/dev/null
    fi
    echo "$mode" >"$dir/mode"
  fi
  start_server primary
  start_server pair
  local pport qport
  pport=$(cat "$dir/primary.port")
  qport=$(cat "$dir/pair.port")
  # Wait until the pair streams (and, in sync mode, is the synchronous standby).
  local want=async
  [ "$(cat "$dir/mode")" = sync ] && want=sync
  local state=""
  for _ in $(seq 1 600); do
    state=$("$bindir/psql" -X -At -h 127.0.0.1 -p "$pport" -U postgres -d postgres \
      -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$standby_name'" \
      2>/dev/null || true)
    [ "$state" = "$want" ] && break
    sleep 0.1
  done
  if [ "$state" != "$want" ]; then
    tail -n 20 "$dir/pair.log" >&2 2>/dev/null || true
    echo "pg-pair.sh: the pair does not stream from the primary (sync_state '$state', want '$want')" >&2
    exit 1
  fi
  echo "postgresql://coffer@127.0.0.1:$pport/coffer" | tee "$dir/primary.url"
  echo "postgresql://coffer@127.0.0.1:$qport/coffer" | tee "$dir/pair.url"
}

stop_server() {
  local name=$1
  [ -f "$dir/$name/postmaster.pid" ] || return 0
  as_owner "$bindir/pg_ctl" -D "$dir/$name" -m fast -w -t 60 stop >/dev/null 2>&1 || {
    as_owner "$bindir/pg_ctl" -D "$dir/$name" -m immediate -w stop >/dev/null 2>&1 || true
  }
}

case "$cmd" in
  start) start ;;
  stop)
    [ -d "$dir" ] || exit 0
    stop_server pair
    stop_server primary
    ;;
  kill-primary)
    as_owner "$bindir/pg_ctl" -D "$dir/primary" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
  start-primary) start_server primary ;;
  *) usage ;;
esac
