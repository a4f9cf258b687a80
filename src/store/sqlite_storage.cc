#include "store/sqlite_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <sqlite3.h>

#include <exception>
#include <future>
#include <utility>

#include "store/sqlite_connection.h"

namespace coffer::store {
struct SqliteStorage::PendingUpdate {
  const TxnFn* fn;
  std::promise<Status> done;
};

StatusOr<std::unique_ptr<SqliteStorage>> SqliteStorage::Open(const std::string& path,
                                                             SqliteOptions options) {
  if (options.max_batch == 0) options.max_batch = 1;
  // The database file is private to the server: create it (or tighten it) mode 0600 before
  // SQLite opens it; SQLite gives its -wal and -journal files the database file's mode.
  if (path != ":memory:") {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return UnavailableError("cannot open the database file " + path + ": " +
                              std::strerror(errno));
    }
    int rc = ::fchmod(fd, 0600);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
      return UnavailableError("cannot make the database file " + path + " private (mode 0600): " +
                              std::strerror(err));
    }
  }
  ASSIGN_OR_RETURN(auto conn, SqliteConnection::Open(path, /*create=*/true,
                                                     options.busy_timeout_ms));
  ASSIGN_OR_RETURN(std::string mode, conn->QueryText("PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return UnavailableError("SQLite database " + path + " cannot use WAL mode (got '" + mode +
                            "'); put the data dir on a local filesystem");
  }
  RETURN_IF_ERROR(conn->Exec("PRAGMA synchronous=FULL"));
  ASSIGN_OR_RETURN(std::string sync, conn->QueryText("PRAGMA synchronous"));
  if (sync != "2") return UnavailableError("SQLite refused synchronous=FULL on " + path);
  RETURN_IF_ERROR(conn->Exec("PRAGMA secure_delete=ON"));
  RETURN_IF_ERROR(conn->Exec(
      "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"));
  return std::unique_ptr<SqliteStorage>(new SqliteStorage(path, options, std::move(conn)));
}

SqliteStorage::SqliteStorage(std::string path, SqliteOptions options,
                             std::unique_ptr<SqliteConnection> writer)
    : path_(std::move(path)), options_(options), write_conn_(std::move(writer)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

SqliteStorage::~SqliteStorage() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  writer_.join();
  idle_readers_.clear();
  write_conn_.reset();  // the last connection to close checkpoints the WAL
}

Status SqliteStorage::Update(const TxnFn& fn) {
  if (std::this_thread::get_id() == writer_.get_id()) {
    return FailedPreconditionError("Update called from inside an Update of the same storage");
  }
  PendingUpdate pending{&fn, {}};
  std::future<Status> result = pending.done.get_future();
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return UnavailableError("SQLite storage is shutting down");
    queue_.push_back(&pending);
  }
  queue_cv_.notify_one();
  return result.get();
}

void SqliteStorage::WriterLoop() {
  std::vector<PendingUpdate*> batch;
  while (true) {
    batch.clear();
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued call is done
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    RunBatch(batch);
  }
}

void SqliteStorage::RunBatch(std::vector<PendingUpdate*>& batch) {
  SqliteConnection& conn = *write_conn_;
  std::vector<Status> results(batch.size());
  auto started = std::chrono::steady_clock::now();
  Status batch_error = conn.Exec("BEGIN IMMEDIATE");
  for (size_t i = 0; i < batch.size() && batch_error.ok(); ++i) {
    batch_error = conn.Exec("SAVEPOINT s");
    if (!batch_error.ok()) break;
    SqliteTxn txn(conn, /*writable=*/true);
    Status st = RunTxnFn(*batch[i]->fn, txn);
    // A fn that swallowed an engine error must not commit half of what it meant to write.
    if (st.ok() && !txn.first_error().ok()) st = txn.first_error();
    if (conn.autocommit()) {
      // SQLite rolled the whole transaction back (I/O error, disk full...): the batch is lost.
      batch_error = st.ok() ? UnavailableError("SQLite rolled back the batch") : st;
      break;
    }
    if (st.ok()) {
      batch_error = conn.Exec("RELEASE s");
    } else {
      batch_error = conn.Exec("ROLLBACK TO s");
      if (batch_error.ok()) batch_error = conn.Exec("RELEASE s");
    }
    results[i] = std::move(st);
  }
  if (batch_error.ok()) batch_error = conn.Exec("COMMIT");

  if (!batch_error.ok()) {
    if (!conn.autocommit()) (void)conn.Exec("ROLLBACK");
    // Even callers whose fn failed get Unavailable: their checks may have depended on writes
    // of earlier calls in the batch that are now gone.
    Status failed = UnavailableError("storage commit failed; nothing was written: " +
                                     batch_error.message());
    for (auto& r : results) r = failed;
  }
  {
    std::lock_guard lock(queue_mu_);
    (batch_error.ok() ? stats_.commits : stats_.failed_batches) += 1;
    stats_.calls += batch.size();
  }
  if (CommitObserver* observer = observer_.load()) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    observer->OnCommit(batch.size(), took.count(), batch_error.ok());
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    // Move the promise out first: the caller may destroy `batch[i]` as soon as it is ready.
    std::promise<Status> done = std::move(batch[i]->done);
    done.set_value(std::move(results[i]));
  }
}

SqliteStats SqliteStorage::Stats() const {
  std::lock_guard lock(queue_mu_);
  SqliteStats s = stats_;
  s.queued = queue_.size();
  return s;
}

StatusOr<std::unique_ptr<SqliteConnection>> SqliteStorage::AcquireReader() {
  {
    std::lock_guard lock(readers_mu_);
    if (!idle_readers_.empty()) {
      auto conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
  }
  // Opening happens outside the lock; the writer has already created the file and WAL mode
  // is persistent, so readers only need to refuse writes.
  ASSIGN_OR_RETURN(auto conn,
                   SqliteConnection::Open(path_, /*create=*/false, options_.busy_timeout_ms));
  RETURN_IF_ERROR(conn->Exec("PRAGMA query_only=ON"));
  return conn;
}

void SqliteStorage::ReleaseReader(std::unique_ptr<SqliteConnection> conn) {
  std::lock_guard lock(readers_mu_);
  if (idle_readers_.size() < options_.max_idle_readers) idle_readers_.push_back(std::move(conn));
}

Status SqliteStorage::View(const TxnFn& fn) {
  ASSIGN_OR_RETURN(auto conn, AcquireReader());
  // Deferred: the snapshot is fixed at the first read and held until COMMIT.
  Status st = conn->Exec("BEGIN");
  if (!st.ok()) return st;
  SqliteTxn txn(*conn, /*writable=*/false);
  st = RunTxnFn(fn, txn);
  Status end = conn->Exec("COMMIT");
  if (!end.ok()) {
    if (!conn->autocommit()) (void)conn->Exec("ROLLBACK");
    if (st.ok()) st = end;
  }
  // A connection left inside a transaction would pin an old snapshot: drop it instead.
  if (conn->autocommit()) ReleaseReader(std::move(conn));
  return st;
}

}  // namespace coffer::store
