// SqliteConnection: one sqlite3 handle with its prepared-statement cache, and SqliteTxn, the
// Transaction that runs against it. Internal to the SQLite engine (sqlite_storage.cc); nothing
// outside src/store/ includes this header.
//
// Thread-safety: none. A connection is used by one thread at a time (the writer thread owns
// the write connection; a read connection is checked out of the pool for one View).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/storage.h"

struct sqlite3;
struct sqlite3_stmt;

namespace coffer::store {

class SqliteConnection {
 public:
  // Opens `path` (creating it only if `create`) in multi-thread mode with the busy timeout set.
  static StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path, bool create,
                                                          int busy_timeout_ms);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs SQL that returns no rows worth reading (BEGIN, SAVEPOINT, PRAGMA x=y ...).
  Status Exec(const char* sql);
  // The first column of the first row as text ("" if no row), e.g. for PRAGMA journal_mode.
  StatusOr<std::string> QueryText(const char* sql);

  // A cached prepared statement for `sql`, reset and with bindings cleared.
  StatusOr<sqlite3_stmt*> Prepare(const std::string& sql);

  // Maps a SQLite result code to a Status: BUSY/LOCKED/IOERR/FULL/CANTOPEN/READONLY ->
  // Unavailable, CORRUPT/NOTADB -> DataLoss, TOOBIG -> InvalidArgument, NOMEM ->
  // ResourceExhausted, anything else Internal. `what` says what was attempted.
  Status Error(std::string_view what, int rc) const;

  // True when no transaction is open (SQLite may roll one back by itself after an I/O error).
  bool autocommit() const;
  sqlite3* db() const { return db_; }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// A Transaction over a connection on which the caller has already opened a transaction (or
// savepoint). Read-only transactions refuse Put/Delete with FailedPrecondition. The first SQLite
// error of any call is remembered, so the writer can refuse to commit a fn that ignored one.
class SqliteTxn final : public Transaction {
 public:
  SqliteTxn(SqliteConnection& conn, bool writable) : conn_(conn), writable_(writable) {}

  StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  StatusOr<std::vector<Entry>> Scan(std::string_view prefix, std::string_view start_after,
                                    size_t limit) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;

  const Status& first_error() const { return first_error_; }

 private:
  Status Note(Status s);

  SqliteConnection& conn_;
  bool writable_;
  Status first_error_;
};

}  // namespace coffer::store
