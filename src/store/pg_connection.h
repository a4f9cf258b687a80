// PgConnection: one libpq connection with Coffer's prepared statements, and PgTxn, the
// Transaction that runs against it. Internal to the PostgreSQL engine (pg_storage.cc); nothing
// outside src/store/ includes this header.
//
// Every statement that carries data is a prepared statement with binary parameters and binary
// results (bytea travels as raw bytes); no SQL is ever built from a key or a value.
//
// Errors: a statement's SQLSTATE picks the Status (PgStatus): 40001/40P01 (serialization
// failure, deadlock) are remembered as `conflict()` so that the engine retries the whole
// transaction; connection failures (no SQLSTATE, class 08), 57P0x (server shutting down or
// starting), 57014 (cancelled), class 53 (out of connections, memory, disk) and 25006 (read-only
// transaction: a standby) are Unavailable; anything else is Internal.
//
// Thread-safety: none. A connection is used by one thread at a time (the pool checks it out for
// one Update or View).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/storage.h"

// The feed's channel as an SQL expression: one per schema, so deployments in different schemas
// of one database (the tests') do not hear each other.
#define COFFER_PG_FEED_CHANNEL_SQL "'coffer_' || left(md5(current_schema()), 16)"

struct pg_conn;
struct pg_result;

namespace coffer::store {

// True for the SQLSTATEs after which the transaction should be run again from the start.
bool IsPgConflict(std::string_view sqlstate);
// The Status for a failed statement: see the header comment. `what` says what was attempted.
Status PgStatus(std::string_view what, std::string_view sqlstate, std::string_view message);

class PgConnection {
 public:
  // Connects with libpq keyword/value pairs (expand_dbname: a "dbname" value may be a URL).
  // Unavailable if the server cannot be reached or refuses the connection.
  static StatusOr<std::unique_ptr<PgConnection>> Connect(
      const std::vector<std::pair<std::string, std::string>>& params);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs SQL without parameters whose rows are not read (BEGIN, COMMIT, CREATE ... IF NOT
  // EXISTS). OK only if it completed as `expect_tag` when one is given (e.g. "COMMIT": a COMMIT
  // of a failed transaction answers ROLLBACK).
  Status Exec(const char* sql, const char* expect_tag = nullptr);
  // The first column of the first row as text, for SHOW and one-value queries; params are text.
  StatusOr<std::string> QueryText(const char* sql, const std::vector<std::string>& params = {});
  // Prepares every statement PgTxn uses. Call once after connecting (and after search_path).
  Status PrepareStatements();

  // Runs prepared statement `name` with binary parameters; rows come back binary.
  class Result;
  StatusOr<Result> Run(const char* name, const std::vector<std::string_view>& params);

  // The connection is gone (the server closed it, a network timeout): drop it, never reuse it.
  bool broken() const;
  // No transaction is open on the connection (safe to hand to another caller).
  bool idle() const;
  // The SQLSTATE of the last failed statement ("" if none, or the connection failed).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // Quotes an identifier (a schema name) for the few statements that cannot take a parameter.
  StatusOr<std::string> QuoteIdentifier(std::string_view ident) const;

  // The invalidation feed (pg_cluster.cc) on a connection that has run LISTEN: its socket to
  // wait on, reading what arrived (Unavailable once the connection is lost), and the payloads
  // of the notifications read so far, in arrival order.
  int Socket() const;
  Status ConsumeInput();
  std::vector<std::string> TakeNotifications();

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  Status Check(std::string_view what, pg_result* res, int ok_status);

  pg_conn* conn_;
  std::string last_sqlstate_;
};

// A result owned by the caller; values are binary (bytea: the raw bytes).
class PgConnection::Result {
 public:
  explicit Result(pg_result* res) : res_(res) {}
  Result(Result&& other) noexcept : res_(std::exchange(other.res_, nullptr)) {}
  Result& operator=(Result&&) = delete;
  ~Result();
  int rows() const;
  std::string_view value(int row, int col) const;

 private:
  pg_result* res_;
};

// A Transaction over a connection on which the engine has opened a transaction. Read-only
// transactions refuse Put/Delete with FailedPrecondition. The first error of any call is kept
// (PostgreSQL aborts the transaction at the first failed statement; later calls return it
// without a round trip), so the engine never commits a fn that ignored one and knows whether
// it was a conflict worth retrying.
class PgTxn final : public Transaction {
 public:
  PgTxn(PgConnection& conn, bool writable) : conn_(conn), writable_(writable) {}

  StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  StatusOr<std::vector<Entry>> Scan(std::string_view prefix, std::string_view start_after,
                                    size_t limit) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  // pg_notify on the deployment's feed channel, in this transaction (each topic once).
  void Publish(std::string_view topic) override;

  const Status& first_error() const { return first_error_; }
  bool conflict() const { return conflict_; }

 private:
  Status Fail(Status st);

  PgConnection& conn_;
  const bool writable_;
  Status first_error_;
  bool conflict_ = false;
  std::vector<std::string> published_;
};

}  // namespace coffer::store
