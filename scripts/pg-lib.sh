# Shared by scripts/pg.sh and scripts/pg-pair.sh (sourced, not run): Debian's PostgreSQL 15
# binaries, and running them as a non-root user. PostgreSQL refuses to run as root, so as root
# the servers run as the system user coffer-pg (created if missing), which owns the cluster dir.
# The sourcing script sets `dir` (its DIR argument) and `pg_script` (its name, for messages).

bindir=/usr/lib/postgresql/15/bin
run_user=coffer-pg

if [ ! -x "$bindir/pg_ctl" ]; then
  echo "$pg_script: $bindir/pg_ctl is missing; install postgresql-15 (bash scripts/deps.sh does)" >&2
  exit 1
fi

# as_owner CMD...: runs CMD as the user that owns the cluster.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$run_user" -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  # bash's /dev/tcp: the connect succeeds only if something listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# prepare_dir: creates $dir, makes it absolute and, as root, gives it to $run_user (created if
# missing) after checking that user can reach it.
prepare_dir() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" -eq 0 ]; then
    if ! id -u "$run_user" >/dev/null 2>&1; then
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        "$run_user" 2>/dev/null || id -u "$run_user" >/dev/null
    fi
    chown -R "$run_user:" "$dir"
    # Every parent must be traversable by the server's user (mktemp -d makes 0700 dirs).
    local p=$dir
    while [ "$p" != / ]; do
      p=$(dirname "$p")
      if ! runuser -u "$run_user" -- test -x "$p"; then
        echo "$pg_script: $run_user cannot reach $dir ($p is not searchable); make it searchable or use a dir made directly under /tmp" >&2
        exit 1
      fi
    done
  fi
}
