// SqliteStorage: the embedded, durable Storage engine (DESIGN.md §3 "Storage engines").
//
// One table, `kv(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID`, in WAL mode with
// synchronous=FULL (an acknowledged Update survives kill -9 and power loss) and secure_delete.
//
// Writes (group commit): Update enqueues its fn and blocks. One writer thread owns the write
// connection; it takes up to `max_batch` queued calls, opens `BEGIN IMMEDIATE`, runs each fn in
// its own SAVEPOINT (a failing fn rolls back only its savepoint; its checks and writes are
// atomic, and it sees the writes of the calls before it in the batch), then COMMITs once and
// completes every caller. If the batch cannot commit, every caller in it gets Unavailable and
// nothing is applied. fn therefore runs on the writer thread, never two at once.
//
// Reads: View checks out a read connection from a small pool (grown lazily, one per
// concurrently reading thread) and runs fn inside a deferred read transaction, so it sees one
// committed snapshot and never waits for the writer.
//
// The engine does not lock the data dir; the composition root holds a DirectoryLock
// (core/files.h) so that one server process owns the database.
//
// Thread-safety: Update, View and Stats are safe from any number of threads. A fn must not call
// Update on the same storage (FailedPrecondition); it may call View (which sees only committed
// state). The destructor completes every queued Update, then stops the writer; no call may be
// in flight or start once it runs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/storage.h"

namespace coffer::store {

class SqliteConnection;

struct SqliteOptions {
  // How long a connection waits for a lock held by another connection before failing.
  int busy_timeout_ms = 5000;
  // Most Update calls committed in one transaction.
  size_t max_batch = 256;
  // Idle read connections kept open; more are opened on demand and closed when returned.
  size_t max_idle_readers = 8;
};

struct SqliteStats {
  uint64_t commits = 0;         // physical COMMITs that succeeded
  uint64_t failed_batches = 0;  // batches that could not commit (every caller got Unavailable)
  uint64_t calls = 0;           // Update calls the writer has completed, whatever their status
  size_t queued = 0;            // Update calls waiting for the writer right now
};

class SqliteStorage final : public Storage {
 public:
  // Opens (creating if needed) the database at `path`. Unavailable if it cannot be opened or
  // set up (WAL mode and synchronous=FULL are verified), DataLoss if it is not a database.
  static StatusOr<std::unique_ptr<SqliteStorage>> Open(const std::string& path,
                                                       SqliteOptions options = {});
  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  Status Update(const TxnFn& fn) override;
  Status View(const TxnFn& fn) override;
  void SetCommitObserver(CommitObserver* observer) override { observer_.store(observer); }

  SqliteStats Stats() const;

 private:
  struct PendingUpdate;

  SqliteStorage(std::string path, SqliteOptions options, std::unique_ptr<SqliteConnection> writer);
  void WriterLoop();
  void RunBatch(std::vector<PendingUpdate*>& batch);
  StatusOr<std::unique_ptr<SqliteConnection>> AcquireReader();
  void ReleaseReader(std::unique_ptr<SqliteConnection> conn);

  const std::string path_;
  const SqliteOptions options_;
  std::unique_ptr<SqliteConnection> write_conn_;  // used only by writer_

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingUpdate*> queue_;  // guarded by queue_mu_
  bool stopping_ = false;             // guarded by queue_mu_
  SqliteStats stats_;                 // guarded by queue_mu_ (queued is computed)
  std::atomic<CommitObserver*> observer_{nullptr};

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;  // guarded by readers_mu_

  std::thread writer_;  // last: starts after everything above is constructed
};

}  // namespace coffer::store
