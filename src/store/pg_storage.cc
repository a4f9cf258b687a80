#include "store/pg_storage.h"

#include <exception>
#include <random>
#include <thread>

#include "store/pg_connection.h"

namespace coffer::store {
namespace {

// The storage whose Update is running on this thread, if any: a nested Update would wait for
// a second connection while holding the first (and, with a full pool, forever).
thread_local const PgStorage* tl_updating = nullptr;

// Any 64-bit constant: the advisory lock that serialises concurrent first starts' CREATE TABLE.
constexpr const char* kSchemaLockId = "7094510232861442122";

bool ValidSchemaName(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// A random pause before the next attempt, growing with the attempt: conflicting callers spread
// out instead of colliding again at once.
void BackOff(int attempt) {
  thread_local std::mt19937 rng(std::random_device{}());
  int cap_us = 1000 << std::min(attempt, 6);  // 2 ms .. 64 ms
  std::uniform_int_distribution<int> d(0, cap_us);
  std::this_thread::sleep_for(std::chrono::microseconds(d(rng)));
}

}  // namespace

PgStorage::PgStorage(PgOptions options) : options_(std::move(options)) {
  // Ours first, the URL last: a setting in the URL wins (libpq keeps the last value).
  conninfo_ = {
      {"connect_timeout", std::to_string(options_.connect_timeout_seconds)},
      {"keepalives", "1"},
      {"keepalives_idle", std::to_string(options_.keepalives_idle_seconds)},
      {"keepalives_interval", std::to_string(options_.keepalives_interval_seconds)},
      {"keepalives_count", std::to_string(options_.keepalives_count)},
      {"tcp_user_timeout", std::to_string(options_.tcp_user_timeout_ms)},
      {"application_name", options_.application_name},
      {"dbname", options_.url},
  };
}

PgStorage::~PgStorage() = default;

StatusOr<std::unique_ptr<PgStorage>> PgStorage::Open(PgOptions options) {
  if (options.url.empty()) return InvalidArgumentError("PostgreSQL storage needs a URL");
  if (options.max_connections == 0) return InvalidArgumentError("max_connections must be >= 1");
  if (options.max_attempts < 1) options.max_attempts = 1;
  if (!options.schema.empty() && !ValidSchemaName(options.schema)) {
    return InvalidArgumentError("schema name must be lower-case letters, digits and '_'");
  }
  std::unique_ptr<PgStorage> s(new PgStorage(std::move(options)));
  const PgOptions& o = s->options_;

  ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(s->conninfo_));
  ASSIGN_OR_RETURN(std::string fsync, conn->QueryText("SHOW fsync"));
  if (fsync != "on") {
    return FailedPreconditionError("PostgreSQL runs with fsync = " + fsync +
                                   "; acknowledged writes would not survive a crash. Set "
                                   "fsync = on in postgresql.conf");
  }
  if (o.replica) {
    // A standby refuses CREATE even with IF NOT EXISTS: the primary made the table.
    conn.reset();
    ASSIGN_OR_RETURN(conn, s->Connect());
    s->open_ = 1;
    s->idle_.push_back(std::move(conn));
    return s;
  }
  RETURN_IF_ERROR(conn->Exec("BEGIN"));
  RETURN_IF_ERROR(conn->QueryText(
                          (std::string("SELECT pg_advisory_xact_lock(") + kSchemaLockId + ")::text")
                              .c_str())
                      .status());
  if (!o.schema.empty()) {
    ASSIGN_OR_RETURN(std::string quoted, conn->QuoteIdentifier(o.schema));
    RETURN_IF_ERROR(conn->Exec(("CREATE SCHEMA IF NOT EXISTS " + quoted).c_str()));
    RETURN_IF_ERROR(
        conn->QueryText("SELECT set_config('search_path', $1, true)", {o.schema}).status());
  }
  RETURN_IF_ERROR(conn->Exec(
      "CREATE TABLE IF NOT EXISTS kv(key bytea PRIMARY KEY, value bytea NOT NULL)"));
  RETURN_IF_ERROR(conn->Commit());
  conn.reset();
  // The pool's first connection: set up like every later one.
  ASSIGN_OR_RETURN(conn, s->Connect());
  s->open_ = 1;
  s->idle_.push_back(std::move(conn));
  return s;
}

StatusOr<std::unique_ptr<PgConnection>> PgStorage::Connect() {
  ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(conninfo_));
  // Session settings that the URL or the server's defaults must not weaken.
  // At least 'on' (the commit is durable before it is acknowledged); a stronger server
  // setting (remote_apply: the synchronous pair has applied it too, RPO 0) is kept.
  RETURN_IF_ERROR(conn->QueryText("SELECT CASE WHEN current_setting('synchronous_commit') IN "
                                  "('on', 'remote_apply') THEN 'kept' ELSE "
                                  "set_config('synchronous_commit', 'on', false) END")
                      .status());
  if (options_.replica) {
    RETURN_IF_ERROR(
        conn->QueryText("SELECT set_config('default_transaction_read_only', 'on', false)")
            .status());
  }
  if (!options_.schema.empty()) {
    RETURN_IF_ERROR(
        conn->QueryText("SELECT set_config('search_path', $1, false)", {options_.schema})
            .status());
  }
  RETURN_IF_ERROR(conn->PrepareStatements());
  return conn;
}

StatusOr<std::unique_ptr<PgConnection>> PgStorage::Acquire(bool& reused) {
  {
    std::unique_lock lock(mu_);
    bool got = slot_free_.wait_for(lock, options_.acquire_timeout, [&] {
      return !idle_.empty() || open_ < options_.max_connections;
    });
    if (!got) {
      return UnavailableError("all " + std::to_string(options_.max_connections) +
                              " PostgreSQL connections stayed busy; raise [storage] "
                              "max_connections or retry");
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      reused = true;
      return conn;
    }
    ++open_;  // a slot for the connection opened below, outside the lock
  }
  reused = false;
  auto conn = Connect();
  if (!conn.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    slot_free_.notify_one();
  }
  return conn;
}

void PgStorage::Release(std::unique_ptr<PgConnection> conn) {
  std::lock_guard lock(mu_);
  if (conn) stats_.round_trips += conn->TakeRoundTrips();
  if (conn && !conn->broken() && conn->idle()) {
    idle_.push_back(std::move(conn));
  } else {
    conn.reset();  // never hand on a connection that failed or is inside a transaction
    --open_;
  }
  slot_free_.notify_one();
}

std::function<StatusOr<PgConnection*>()> PgStorage::StaleReplacer(std::unique_ptr<PgConnection>& conn, bool& reused) {
  return [this, &conn, &reused, retries = 0]() mutable -> StatusOr<PgConnection*> {
    if (!reused || retries++ >= static_cast<int>(options_.max_connections)) {
      return static_cast<PgConnection*>(nullptr);
    }
    Release(std::move(conn));
    auto fresh = Acquire(reused);
    if (!fresh.ok()) return fresh.status();
    conn = std::move(*fresh);
    return conn.get();
  };
}

Status PgStorage::Update(const TxnFn& fn) {
  if (options_.replica) {
    return FailedPreconditionError("PostgreSQL: this storage is a read-only replica; it is "
                                   "never written to");
  }
  if (tl_updating == this) {
    return FailedPreconditionError("Update called from inside an Update of the same storage");
  }
  if (options_.max_batch <= 1) return Run(fn, /*writable=*/true);
  // Group commit: one caller at a time (the leader) runs every Update queued meanwhile in one
  // transaction; the others wait for their result or to lead the next group.
  Queued me{&fn};
  {
    std::unique_lock lock(group_mu_);
    queued_.push_back(&me);
    while (!me.done) {
      if (leading_) {
        group_cv_.wait(lock);
        continue;
      }
      leading_ = true;
      std::vector<Queued*> group;
      while (!queued_.empty() && group.size() < options_.max_batch) {
        group.push_back(queued_.front());
        queued_.pop_front();
      }
      lock.unlock();
      RunGroup(group);
      lock.lock();
      leading_ = false;
      for (Queued* q : group) q->done = true;
      group_cv_.notify_all();
    }
  }
  if (me.alone) return Run(fn, /*writable=*/true);
  return me.status;
}

void PgStorage::RunGroup(std::vector<Queued*>& group) {
  if (group.size() == 1) {  // alone anyway: its own transaction, with its own retries
    group[0]->status = Run(*group[0]->fn, /*writable=*/true);
    return;
  }
  bool reused = false;
  auto acquired = Acquire(reused);
  if (!acquired.ok()) {
    for (Queued* q : group) q->status = acquired.status();
    return;
  }
  std::unique_ptr<PgConnection> conn = std::move(*acquired);
  auto started = std::chrono::steady_clock::now();
  auto replace_stale = StaleReplacer(conn, reused);
  PgTxn txn(*conn, /*writable=*/true, "BEGIN ISOLATION LEVEL SERIALIZABLE", replace_stale);
  const PgStorage* outer = tl_updating;
  tl_updating = this;
  // Each fn in a savepoint: a failing one takes back only its own writes, and each sees the
  // writes of those before it.
  for (Queued* q : group) {
    txn.BeginPart();
    Status st = RunTxnFn(*q->fn, txn);
    if (!txn.first_error().ok()) break;  // the engine failed: the whole group is over
    txn.EndPart(st.ok());
    q->status = st;
  }
  tl_updating = outer;
  Status failed = txn.first_error();
  bool conflict = txn.conflict();
  if (failed.ok()) {
    Status commit = txn.Commit();
    if (conn) {
      if (CommitObserver* observer = observer_.load()) {
        std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        observer->OnCommit(group.size(), took.count(), commit.ok());
      }
      if (!commit.ok()) {
        conflict = IsPgConflict(conn->last_sqlstate());
        failed = conn->broken() ? UnavailableError("PostgreSQL connection lost during COMMIT; "
                                                   "the write may or may not have been "
                                                   "applied: " + commit.message())
                                : commit;
      }
    } else {
      failed = commit;  // a stale connection could not be replaced: nothing ran
    }
  } else if (conn && txn.sent() && !conn->broken()) {
    conn->Defer("ROLLBACK");
  }
  if (conn) Release(std::move(conn));
  std::lock_guard lock(mu_);
  if (failed.ok()) {
    for (Queued* q : group) stats_.commits += q->status.ok() ? 1 : 0;
    ++stats_.batches;
    return;
  }
  // A conflict is the group's, not necessarily any one caller's: each runs again alone (with
  // its own retries). Anything else is every caller's answer.
  if (conflict) ++stats_.conflicts;
  for (Queued* q : group) {
    if (conflict) {
      q->alone = true;
    } else {
      q->status = failed;
    }
  }
}

Status PgStorage::View(const TxnFn& fn) { return Run(fn, /*writable=*/false); }

Status PgStorage::Run(const TxnFn& fn, bool writable) {
  const char* begin =
      writable ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  for (int attempt = 1;; ++attempt) {
    bool reused = false;
    ASSIGN_OR_RETURN(auto conn, Acquire(reused));
    auto started = std::chrono::steady_clock::now();
    // An idle connection the server dropped (restart, idle timeout) shows at the first
    // statement, before anything ran on it: that statement goes again on a fresh one — once per
    // idle connection we could have been given.
    auto replace_stale = StaleReplacer(conn, reused);

    PgTxn txn(*conn, writable, begin, replace_stale);
    const PgStorage* outer = tl_updating;
    if (writable) tl_updating = this;
    Status st = RunTxnFn(fn, txn);
    tl_updating = outer;
    // A fn that swallowed an engine error must not commit half of what it meant to write.
    if (st.ok() && !txn.first_error().ok()) st = txn.first_error();
    bool conflict = txn.conflict();
    if (!conn) return st;  // a stale connection could not be replaced: nothing ran

    if (!txn.begun()) {
      // fn ran no statement: no transaction was opened, there is nothing to end.
    } else if (st.ok() && writable) {
      // The writes fn made are sent with the COMMIT (PgTxn), in one round trip.
      Status commit = txn.Commit();
      if (!conn) return commit;  // a stale connection could not be replaced: nothing ran
      if (CommitObserver* observer = observer_.load()) {
        std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        observer->OnCommit(1, took.count(), commit.ok());
      }
      if (!commit.ok()) {
        conflict = IsPgConflict(conn->last_sqlstate());
        st = conn->broken() ? UnavailableError("PostgreSQL connection lost during COMMIT; the "
                                               "write may or may not have been applied: " +
                                               commit.message())
                            : commit;
      }
    } else if (txn.sent() && !conn->broken()) {
      // A read-only transaction's COMMIT, or a ROLLBACK: nothing depends on its answer, which
      // the connection's next use reads in the round trip it makes anyway. (Writes never sent
      // are simply dropped.)
      conn->Defer(st.ok() ? "COMMIT" : "ROLLBACK");
    }
    Release(std::move(conn));

    if (conflict && attempt < options_.max_attempts) {
      {
        std::lock_guard lock(mu_);
        ++stats_.conflicts;
      }
      BackOff(attempt);
      continue;
    }
    if (conflict) {
      std::lock_guard lock(mu_);
      ++stats_.conflicts;
      return UnavailableError("PostgreSQL: the transaction conflicted with concurrent ones " +
                              std::to_string(attempt) + " times; retry");
    }
    if (st.ok() && writable) {
      std::lock_guard lock(mu_);
      ++stats_.commits;
    }
    return st;
  }
}

StatusOr<std::string> PgStorage::QueryOne(const char* sql, std::string* sqlstate) {
  bool reused = false;
  ASSIGN_OR_RETURN(auto conn, Acquire(reused));
  auto value = conn->QueryText(sql);
  if (!value.ok() && reused && conn->broken()) {
    // An idle connection the server dropped while it was away: one fresh try.
    Release(std::move(conn));
    ASSIGN_OR_RETURN(conn, Acquire(reused));
    value = conn->QueryText(sql);
  }
  if (sqlstate != nullptr) *sqlstate = conn->last_sqlstate();
  Release(std::move(conn));
  return value;
}

Status PgStorage::CheckWritable() {
  ASSIGN_OR_RETURN(std::string in_recovery, QueryOne("SELECT pg_is_in_recovery()::text"));
  if (in_recovery != "false") {
    return UnavailableError("PostgreSQL at the storage URL is a standby (in recovery); it "
                            "accepts no writes");
  }
  return OkStatus();
}

Status PgStorage::Promote() {
  ASSIGN_OR_RETURN(std::string in_recovery, QueryOne("SELECT pg_is_in_recovery()::text"));
  if (in_recovery != "true") {
    return FailedPreconditionError("PostgreSQL at the paired URL is not a standby; there is "
                                   "nothing to promote");
  }
  std::string sqlstate;
  auto promoted = QueryOne("SELECT pg_promote(true, 60)::text", &sqlstate);
  if (!promoted.ok()) {
    if (sqlstate == "42501") {  // insufficient_privilege
      return PermissionDeniedError("PostgreSQL refused pg_promote: GRANT EXECUTE ON FUNCTION "
                                   "pg_promote(boolean, integer) TO the Coffer role");
    }
    return promoted.status();
  }
  if (*promoted != "true") {
    return UnavailableError("PostgreSQL: pg_promote did not finish within 60 s; check the "
                            "paired server's log, then retry");
  }
  return OkStatus();
}

PgStats PgStorage::Stats() const {
  std::lock_guard lock(mu_);
  PgStats s = stats_;
  s.open_connections = open_;
  return s;
}

}  // namespace coffer::store
