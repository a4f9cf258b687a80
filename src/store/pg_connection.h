// PgConnection: one libpq connection with Coffer's prepared statements, and PgTxn, the
// Transaction that runs against it. Internal to the PostgreSQL engine (pg_storage.cc); nothing
// outside src/store/ includes this header.
//
// Every statement that carries data is a prepared statement with binary parameters and binary
// results (bytea travels as raw bytes); no SQL is ever built from a key or a value.
//
// Round trips (docs/decisions.md "PostgreSQL engine"): a transaction's statements go through
// libpq's pipeline mode. PgTxn sends its BEGIN in the same round trip as its first statement
// (and GetMany all its reads at once), and Defer sends a statement whose answer nobody waits
// for (a read-only COMMIT, a ROLLBACK): it is read at the connection's next use, in the round
// trip that use makes anyway.
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

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
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

// A notice the server sent with a statement's answer.
struct PgNotice {
  std::string severity;  // not localized: "WARNING", "NOTICE" ...
  std::string sqlstate;
  std::string message;
};
// What a COMMIT answered "COMMIT" means, given the WARNINGs it came with: OK without any;
// Unavailable with one — PostgreSQL warns (SQLSTATE 01000, "canceling wait for synchronous
// replication due to user request") when the commit's wait for the synchronous standby was
// cancelled: the transaction committed locally but may not be on the standby, so the caller
// must not be told it is durable there, nor that it failed.
Status CommitOutcome(const std::vector<PgNotice>& warnings);
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

  // Runs SQL without parameters whose rows are not read (BEGIN, CREATE ... IF NOT EXISTS).
  // OK only if it completed as `expect_tag` when one is given.
  Status Exec(const char* sql, const char* expect_tag = nullptr);
  // COMMIT, waiting for its answer. OK only if the server answered COMMIT with no warning;
  // Unavailable ("outcome unknown") if it answered COMMIT with a WARNING (a cancelled wait for
  // synchronous replication: committed locally, perhaps not on the standby; CommitOutcome), if
  // it answered ROLLBACK (a failed transaction), or if the answer was lost.
  Status Commit();
  // Sends `sql` (no parameters, no rows: COMMIT of a read-only transaction, ROLLBACK) without
  // waiting for the answer; the connection's next use reads it. A connection lost meanwhile
  // shows at that use (broken()).
  void Defer(const char* sql);
  // The first column of the first row as text, for SHOW and one-value queries; params are text.
  StatusOr<std::string> QueryText(const char* sql, const std::vector<std::string>& params = {});
  // Prepares every statement PgTxn uses. Call once after connecting (and after search_path).
  Status PrepareStatements();

  // A statement's result; parameters go binary and rows come back binary.
  class Result;
  struct PgStatement {
    const char* name;  // a prepared statement, or (raw) SQL without parameters
    std::vector<std::string_view> params;
    bool raw = false;
  };
  // `begin` (if not null: SQL without parameters, e.g. BEGIN), the statements and `commit` (if not null: COMMIT, its answer and
  // warnings judged as Commit's) in one round trip; the statements' results in order. The
  // first failure is returned (nothing after it ran).
  StatusOr<std::vector<Result>> RunPipeline(const char* begin,
                                            const std::vector<PgStatement>& stmts,
                                            const char* commit);
  // Commit, with `begin` and `stmts` (writes nobody has waited for yet) sent before the COMMIT
  // in the same round trip. A failed statement leaves no transaction open (a ROLLBACK is
  // deferred) and its SQLSTATE in last_sqlstate().
  Status CommitAfter(const char* begin, const std::vector<PgStatement>& stmts);

  // The connection is gone (the server closed it, a network timeout): drop it, never reuse it.
  bool broken() const;
  // No transaction is open on the connection, or only a deferred COMMIT or ROLLBACK is still
  // to be read (safe to hand to another caller).
  bool idle() const;
  // Requests sent and waited for since the last call (a deferred statement is not one: its
  // answer comes back with the next request's).
  uint64_t TakeRoundTrips() { return std::exchange(round_trips_, 0); }
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
  // A fence on that connection (store::Cluster::AwaitFresh): SendFence sends a bare Sync
  // (no statement, no transaction). PostgreSQL answers it with ReadyForQuery, and a listening
  // backend sends every notification it was signalled before that answer (postgres.c processes
  // a pending notify interrupt right before ReadyForQuery), so once FenceAnswered is true
  // (after ConsumeInput) every notification of a transaction that committed before the fence
  // was sent has been read. Unavailable once the connection is lost.
  Status SendFence();
  StatusOr<bool> FenceAnswered();

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  Status Check(std::string_view what, pg_result* res, int ok_status);
  // Reads the answers of every deferred statement and leaves pipeline mode. Unavailable if the
  // connection was lost (their own failures do not matter: the transaction is over either way).
  Status Settle();
  // Reads one pipeline segment's results, up to and including its Sync, appending them to
  // `out` (the caller frees them). Unavailable if the connection is lost first.
  Status ReadSegment(std::vector<pg_result*>& out);
  static void OnNotice(void* self, const pg_result* notice);

  pg_conn* conn_;
  std::string last_sqlstate_;
  uint64_t round_trips_ = 0;
  int deferred_syncs_ = 0;  // pipeline segments sent by Defer whose answers are still unread
  bool collect_warnings_ = false;
  std::vector<PgNotice> warnings_;  // WARNINGs received while collect_warnings_
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
  pg_result* get() const { return res_; }

 private:
  pg_result* res_;
};

// A Transaction on a pooled connection. Nothing reaches the server until fn's first statement,
// which carries `begin` with it in one round trip (a fn that runs none opens no transaction:
// begun() stays false). Read-only transactions refuse Put/Delete with FailedPrecondition. The
// first error of any call is kept (PostgreSQL aborts the transaction at the first failed
// statement; later calls return it without a round trip), so the engine never commits a fn that
// ignored one and knows whether it was a conflict worth retrying.
//
// A pooled connection may have been closed by the server while it sat idle (a restart, an idle
// timeout); that shows only at the first statement. Then nothing has run, so the first statement
// goes again on the connection `replace_stale` hands over: null means "none, fail"; an error
// means the old connection was given back and no new one could be had (conn() is then null).
class PgTxn final : public Transaction {
 public:
  using ReplaceFn = std::function<StatusOr<PgConnection*>()>;
  PgTxn(PgConnection& conn, bool writable, const char* begin, ReplaceFn replace_stale = {})
      : conn_(&conn), writable_(writable), begin_(begin), replace_stale_(std::move(replace_stale)) {}

  StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  // One round trip for all the keys.
  StatusOr<std::vector<std::optional<std::string>>> GetMany(
      const std::vector<std::string_view>& keys) override;
  StatusOr<std::vector<Entry>> Scan(std::string_view prefix, std::string_view start_after,
                                    size_t limit) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  // pg_notify on the deployment's feed channel, in this transaction (each topic once).
  void Publish(std::string_view topic) override;

  const Status& first_error() const { return first_error_; }
  bool conflict() const { return conflict_; }
  // A statement was sent or is waiting to be: a transaction is open on conn() (or about to
  // be) and must be ended.
  bool begun() const { return begun_ || !pending_.empty(); }
  // BEGIN was sent: a transaction is open on conn().
  bool sent() const { return begun_; }
  // Sends the writes not sent yet and COMMIT in one round trip (PgConnection::CommitAfter).
  Status Commit();

  // Group commit (PgStorage::Update): several callers' fns in this one transaction, each
  // between BeginPart and EndPart. EndPart(false) undoes that part's writes (ROLLBACK TO
  // SAVEPOINT, or dropping them if they were not sent yet) and forgets what the transaction
  // read, which may include them. The savepoint statements travel with the next round trip.
  void BeginPart();
  void EndPart(bool keep);
  // The connection the transaction ran on (null if a stale one could not be replaced).
  PgConnection* conn() const { return conn_; }

 private:
  Status Fail(Status st);
  // Runs `name` once per parameter set (PgConnection::RunPipeline), after the writes held so
  // far and with BEGIN first if this is the transaction's first statement.
  StatusOr<std::vector<PgConnection::Result>> Send(
      const char* name, const std::vector<std::vector<std::string_view>>& param_sets);
  StatusOr<PgConnection::Result> SendOne(const char* name,
                                         const std::vector<std::string_view>& params);
  // The statements of pending_ (views into it).
  std::vector<PgConnection::PgStatement> PendingStatements() const;
  // Runs `stmts` (then COMMIT, if `commit`), with BEGIN first if nothing was sent yet, on a
  // fresh connection if the pooled one turns out stale at that first statement.
  StatusOr<std::vector<PgConnection::Result>> RunFirst(
      const std::vector<PgConnection::PgStatement>& stmts, const char* commit);

  // Writes (put, del, notify) are not sent on their own: they go with the next read, or with
  // the COMMIT, in its round trip (or on their own once kMaxPending are held); their failure
  // shows there. seen_ holds what this transaction read or wrote (its first kMaxRemembered
  // keys), so such a key is read once.
  struct Pending {
    const char* name;
    std::vector<std::string> params;
    bool raw = false;
  };
  static constexpr size_t kMaxPending = 256;
  static constexpr size_t kMaxRemembered = 4096;
  void Remember(std::string_view key, std::optional<std::string> value);
  Status Hold(Pending write);

  PgConnection* conn_;
  const bool writable_;
  const char* const begin_;
  ReplaceFn replace_stale_;
  bool begun_ = false;
  Status first_error_;
  bool conflict_ = false;
  std::vector<Pending> pending_;
  uint64_t sends_ = 0;        // round trips made: a part whose SAVEPOINT went out needs ROLLBACK TO
  size_t part_mark_ = 0;      // pending_.size() at BeginPart
  uint64_t part_sends_ = 0;   // sends_ at BeginPart
  std::unordered_map<std::string, std::optional<std::string>> seen_;
  std::unordered_set<std::string> published_;
};

}  // namespace coffer::store
