// PgStorage: the Storage engine on PostgreSQL 15 through libpq (DESIGN.md §3 "Storage engines";
// CONTRACT.md "PostgreSQL and paired-region failover"; docs/decisions.md).
//
// One table, `kv(key bytea PRIMARY KEY, value bytea NOT NULL)`, created if absent in the
// connection's schema (the role's default, `public` when the role owns the database). bytea
// compares with memcmp order, then length — the bytewise order storage.h asks for.
//
// Writes (group commit, as SqliteStorage's): Update queues its fn; one caller at a time leads,
// taking up to `max_batch` queued calls into one SERIALIZABLE transaction on a pooled
// connection, each fn in its own SAVEPOINT (a failing fn takes back only its own writes and
// answers its own error; each fn sees the writes of those before it), then one COMMIT for all;
// the others wait for their answer, or lead the next group. A call alone runs in its own
// transaction. fn's Put/Delete/Publish are not sent on their own: they go with the
// transaction's next read (which therefore sees them) or with its COMMIT, in one round trip.
// On a serialization failure or deadlock (SQLSTATE 40001, 40P01) — at any statement or at
// COMMIT — the transaction is rolled back; a group's callers then each run alone, and a lone
// fn runs again from the start, after a short random back-off, up to `max_attempts` times
// (then Unavailable). SERIALIZABLE, not row locks, because Coffer's checks are often about
// absence ("no such name", "no deleted object under this prefix"): predicate locks make those
// atomic with the writes that depend on them, across connections and nodes. So fn may run
// more than once; storage.h says what fn may do. COMMIT returns only once the commit is
// durable on the server (synchronous_commit is forced on for every session; Open refuses a
// server with fsync off). A group commits once, so it also takes PostgreSQL's NOTIFY lock
// (which serialises notifying commits, WAL flush included) once for all its callers.
//
// Reads: View runs fn in a REPEATABLE READ READ ONLY transaction: one snapshot for all of fn.
// A Scan fetches bounded keyset pages (never a whole unbounded result set).
//
// Round trips: BEGIN goes to the server with fn's first statement (a fn that runs none opens
// no transaction), GetMany sends all its reads at once, writes wait for the next read or the
// COMMIT, and a View's COMMIT (or any ROLLBACK) is sent without waiting for its answer, which
// the connection's next request reads on its way (libpq pipeline mode; pg_connection.h). So a
// View of one GetMany is one round trip, and so is an Update of blind writes (BEGIN, the
// writes and COMMIT, whose answer is the durability point).
//
// Connections: a pool of at most `max_connections`; a thread holds one connection for one
// View, Update or group of Updates. When all are busy a caller waits up to `acquire_timeout`, then gets
// Unavailable. connect_timeout, TCP keepalives and tcp_user_timeout bound how long a dead
// server can hold a caller. A connection that failed is dropped, never reused.
//
// Errors: the server unreachable or shutting down, a read-only server (25006), out of
// connections → Unavailable (the API answers 503); messages never carry libpq's connection
// details (host, port), which go to the server log. A COMMIT whose answer is lost, or that
// the server answered with a WARNING (its wait for the synchronous standby was cancelled: it
// committed locally), may have committed: the caller gets Unavailable ("outcome unknown") and
// the write may be visible later.
//
// Thread-safety: Update, View, Stats and SetCommitObserver are safe from any number of threads. A fn must not call
// Update on the same storage (FailedPrecondition); it may call View (another connection, which
// sees only committed state; with every connection held by such callers it waits
// acquire_timeout, then fails Unavailable). No call may be in flight when the destructor runs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/storage.h"

namespace coffer::store {

class PgConnection;

struct PgOptions {
  // A libpq connection URL or keyword string, e.g. postgresql://coffer@127.0.0.1:5432/coffer.
  // Settings in it override the timeouts below.
  std::string url;
  // Most connections open at once (each Update or View holds one).
  size_t max_connections = 16;
  // How long a caller waits for a free connection before Unavailable.
  std::chrono::milliseconds acquire_timeout{10000};
  // libpq's connect_timeout (seconds; libpq treats values below 2 as 2).
  int connect_timeout_seconds = 5;
  // Unacknowledged data on a connection for this long closes it (TCP_USER_TIMEOUT).
  int tcp_user_timeout_ms = 10000;
  // TCP keepalives on an idle connection: first probe after idle, then every interval, count.
  int keepalives_idle_seconds = 5;
  int keepalives_interval_seconds = 2;
  int keepalives_count = 3;
  // Attempts of one Update before a run of serialization conflicts becomes Unavailable.
  int max_attempts = 100;
  // Group commit: most Update calls run in one transaction (1 = each in its own).
  size_t max_batch = 64;
  // Shown in pg_stat_activity (the tests tell their engines apart by it).
  std::string application_name = "coffer";
  // If not empty, the schema that holds the table (created if absent); tests use a fresh one.
  // Letters, digits and '_' only.
  std::string schema;
  // A streaming replica (the paired region, read-only): Open creates nothing, every session is
  // default_transaction_read_only, and Update fails FailedPrecondition without touching the
  // server — the engine never writes to a replica.
  bool replica = false;
};

struct PgStats {
  uint64_t commits = 0;    // Updates committed
  uint64_t batches = 0;    // transactions that committed several callers' Updates at once
  uint64_t conflicts = 0;  // attempts rolled back by a serialization failure or deadlock
  // Requests the engine sent and waited for (BEGIN travels with the first statement; a
  // read-only COMMIT and a ROLLBACK with the connection's next request).
  uint64_t round_trips = 0;
  size_t open_connections = 0;
};

class PgStorage final : public Storage {
 public:
  // Connects, checks the server (fsync on) and creates the table if absent. Unavailable if the
  // server cannot be reached, FailedPrecondition if it would not keep writes durable,
  // InvalidArgument for bad options.
  static StatusOr<std::unique_ptr<PgStorage>> Open(PgOptions options);
  ~PgStorage() override;
  PgStorage(const PgStorage&) = delete;
  PgStorage& operator=(const PgStorage&) = delete;

  Status Update(const TxnFn& fn) override;
  Status View(const TxnFn& fn) override;

  // Reports each COMMIT (of one Update, or of a group of them: its size), from BEGIN to the
  // durable commit, on the committing thread; a COMMIT that fails reports committed=false.
  void SetCommitObserver(CommitObserver* observer) override { observer_.store(observer); }

  PgStats Stats() const;

  // A round trip on a pooled connection: OK if the server answers and accepts writes (not in
  // recovery); Unavailable if it cannot be reached or is a standby. The failover wrapper's
  // probe of the primary.
  Status CheckWritable();
  // SELECT pg_promote(true, 60) on this server (a standby): OK once it accepts writes;
  // FailedPrecondition if it is not a standby; Unavailable if unreachable; PermissionDenied
  // without EXECUTE on pg_promote. This storage stays as it was opened (a replica storage
  // still refuses Update): open a new one to write.
  Status Promote();

 private:
  explicit PgStorage(PgOptions options);
  Status Run(const TxnFn& fn, bool writable);
  // Group commit: one caller's Update waiting in the queue.
  struct Queued {
    const TxnFn* fn;
    Status status;
    bool done = false;
    bool alone = false;  // its group could not commit for a reason of the group's: run it alone
  };
  // Runs `group` in one SERIALIZABLE transaction, each fn in a savepoint, and settles each.
  void RunGroup(std::vector<Queued*>& group);
  StatusOr<std::unique_ptr<PgConnection>> Connect();
  // For a transaction's first statement: an idle pooled connection the server dropped (a
  // restart, an idle timeout) shows there, before anything ran on it; the function releases it
  // into `conn` a fresh one (null when `conn` was not reused, or after one try per pooled
  // connection). `conn` and `reused` are the caller's and must outlive the function.
  std::function<StatusOr<PgConnection*>()> StaleReplacer(std::unique_ptr<PgConnection>& conn,
                                                         bool& reused);
  // A connection for one transaction; `reused` says it came from the idle list.
  StatusOr<std::unique_ptr<PgConnection>> Acquire(bool& reused);
  void Release(std::unique_ptr<PgConnection> conn);
  // One value of `sql` (text) on a pooled connection, outside any Update or View; `sqlstate`
  // (if given) gets the failed statement's SQLSTATE.
  StatusOr<std::string> QueryOne(const char* sql, std::string* sqlstate = nullptr);

  const PgOptions options_;
  std::vector<std::pair<std::string, std::string>> conninfo_;

  mutable std::mutex mu_;
  std::condition_variable slot_free_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mu_
  size_t open_ = 0;                                  // guarded by mu_: idle + checked out
  PgStats stats_;                                    // guarded by mu_
  // Group commit: Update calls waiting, and whether a caller is running a group now (the
  // leader takes whatever is queued; the others wait for their result).
  std::mutex group_mu_;
  std::condition_variable group_cv_;
  std::deque<Queued*> queued_;  // guarded by group_mu_
  bool leading_ = false;        // guarded by group_mu_
  std::atomic<CommitObserver*> observer_{nullptr};
};

}  // namespace coffer::store
