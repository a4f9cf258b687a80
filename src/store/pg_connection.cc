#include "store/pg_connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "core/log.h"

namespace coffer::store {
namespace {

constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

struct StatementDef {
  const char* name;
  const char* sql;
  std::vector<Oid> types;
};

const std::vector<StatementDef>& Statements() {
  static const std::vector<StatementDef> defs = {
      {"get", "SELECT value FROM kv WHERE key = $1", {kByteaOid}},
      {"put",
       "INSERT INTO kv(key, value) VALUES ($1, $2) "
       "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
       {kByteaOid, kByteaOid}},
      {"del", "DELETE FROM kv WHERE key = $1", {kByteaOid}},
      // Keyset pages: the lower bound is either the prefix itself (>=) or the last key seen (>).
      {"scan_from", "SELECT key, value FROM kv WHERE key >= $1 ORDER BY key LIMIT $2",
       {kByteaOid, kInt8Oid}},
      {"scan_after", "SELECT key, value FROM kv WHERE key > $1 ORDER BY key LIMIT $2",
       {kByteaOid, kInt8Oid}},
      {"scan_from_below",
       "SELECT key, value FROM kv WHERE key >= $1 AND key < $2 ORDER BY key LIMIT $3",
       {kByteaOid, kByteaOid, kInt8Oid}},
      {"scan_after_below",
       "SELECT key, value FROM kv WHERE key > $1 AND key < $2 ORDER BY key LIMIT $3",
       {kByteaOid, kByteaOid, kInt8Oid}},
      // Queued in the transaction and delivered to the listeners only when it commits.
      {"notify", "SELECT pg_notify(" COFFER_PG_FEED_CHANNEL_SQL ", $1)", {kTextOid}},
  };
  return defs;
}

std::string TrimMessage(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Logs why a connection failed, at most once every 10 s per process (while the database is down
// every request tries to connect), with the number of failures not logged meanwhile.
void LogConnectFailure(const std::string& reason) {
  static std::atomic<int64_t> last_logged_ms{INT64_MIN / 2};
  static std::atomic<uint64_t> unlogged{0};
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  int64_t last = last_logged_ms.load();
  if (now - last < 10'000 || !last_logged_ms.compare_exchange_strong(last, now)) {
    unlogged.fetch_add(1);
    return;
  }
  std::string flat = reason;
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  uint64_t before = unlogged.exchange(0);
  if (before > 0) {
    log::warn("cannot connect to PostgreSQL: {} ({} more failures since the last report)", flat,
              before);
  } else {
    log::warn("cannot connect to PostgreSQL: {}", flat);
  }
}

}  // namespace

bool IsPgConflict(std::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

Status CommitOutcome(const std::vector<PgNotice>& warnings) {
  if (warnings.empty()) return OkStatus();
  // Any WARNING, not only the synchronous-replication one by its (translatable) text: a COMMIT
  // that answers with a warning did something unusual, and "outcome unknown" is the answer
  // that is never wrong.
  return UnavailableError(
      "PostgreSQL: the outcome of this write is unknown: the database committed it locally but "
      "warned that it may not have reached the synchronous standby; read the object back "
      "before retrying");
}

Status PgStatus(std::string_view what, std::string_view sqlstate, std::string_view message) {
  std::string m = "PostgreSQL: " + std::string(what) + " failed";
  if (!sqlstate.empty()) m += " (SQLSTATE " + std::string(sqlstate) + ")";
  if (!message.empty()) m += ": " + std::string(message);
  bool unavailable = sqlstate.empty() || sqlstate.starts_with("08") ||
                     sqlstate.starts_with("57P0") || sqlstate == "57014" ||
                     sqlstate.starts_with("53") || sqlstate == "25006" || IsPgConflict(sqlstate);
  return unavailable ? UnavailableError(std::move(m)) : InternalError(std::move(m));
}

StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return ResourceExhaustedError("libpq could not allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = TrimMessage(PQerrorMessage(conn));
    PQfinish(conn);
    LogConnectFailure(msg);
    // libpq's reason names the server's host and port ("connection to server at …, port …
    // failed"): the server log keeps it, the Status (which may reach an HTTP client) does not.
    return UnavailableError(
        "cannot connect to PostgreSQL; the Coffer server log has the reason. Retry later");
  }
  std::unique_ptr<PgConnection> out(new PgConnection(conn));
  // libpq prints the server's notices ("relation already exists, skipping") to stderr; the
  // engine keeps only the WARNINGs a COMMIT answers with (Commit).
  PQsetNoticeReceiver(conn, &PgConnection::OnNotice, out.get());
  return out;
}

void PgConnection::OnNotice(void* self, const PGresult* notice) {
  auto* c = static_cast<PgConnection*>(self);
  if (!c->collect_warnings_) return;
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity == nullptr || std::string_view(severity) != "WARNING") return;
  const char* state = PQresultErrorField(notice, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY);
  c->warnings_.push_back(PgNotice{severity, state ? state : "", TrimMessage(primary)});
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

bool PgConnection::idle() const {
  // Pending deferred answers: the last one ends the transaction (Defer sends only COMMIT or
  // ROLLBACK), and the next use reads them before anything else.
  return deferred_syncs_ > 0 || PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

Status PgConnection::ReadSegment(std::vector<PGresult*>& out) {
  // Each statement's results end with a null; two nulls in a row mean libpq has nothing more
  // queued, which before the Sync only happens when the connection is gone.
  int nulls = 0;
  while (true) {
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) {
      if (broken() || ++nulls > 1) {
        return UnavailableError("PostgreSQL: the connection was lost: " +
                                TrimMessage(PQerrorMessage(conn_)));
      }
      continue;
    }
    nulls = 0;
    if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
      PQclear(res);
      return OkStatus();
    }
    out.push_back(res);
  }
}

Status PgConnection::Settle() {
  Status st;
  while (deferred_syncs_ > 0 && st.ok()) {
    std::vector<PGresult*> results;
    st = ReadSegment(results);
    for (PGresult* r : results) PQclear(r);
    --deferred_syncs_;
  }
  deferred_syncs_ = 0;
  if (PQpipelineStatus(conn_) != PQ_PIPELINE_OFF && PQexitPipelineMode(conn_) == 0 && st.ok()) {
    st = UnavailableError("PostgreSQL: cannot leave pipeline mode: " +
                          TrimMessage(PQerrorMessage(conn_)));
  }
  if (!st.ok()) last_sqlstate_ = "08006";
  return st;
}

void PgConnection::Defer(const char* sql) {
  if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && PQenterPipelineMode(conn_) == 0) return;
  if (PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) == 0 ||
      PQpipelineSync(conn_) == 0) {
    return;  // the connection is broken (or will show so at its next use)
  }
  ++deferred_syncs_;
}

Status PgConnection::Check(std::string_view what, PGresult* res, int ok_status) {
  last_sqlstate_.clear();
  if (res != nullptr && PQresultStatus(res) == ok_status) return OkStatus();
  std::string message;
  if (res == nullptr) {
    message = TrimMessage(PQerrorMessage(conn_));
  } else {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    last_sqlstate_ = state ? state : "";
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    message = TrimMessage(primary ? primary : PQresultErrorMessage(res));
  }
  // A lost connection has no SQLSTATE from the server (libpq may report 08006 itself).
  if (broken() && last_sqlstate_.empty()) last_sqlstate_ = "08006";
  return PgStatus(what, last_sqlstate_, message);
}

Status PgConnection::Exec(const char* sql, const char* expect_tag) {
  RETURN_IF_ERROR(Settle());
  ++round_trips_;
  PGresult* res = PQexec(conn_, sql);
  Status st = Check(sql, res, PGRES_COMMAND_OK);
  if (st.ok() && expect_tag != nullptr && std::string_view(PQcmdStatus(res)) != expect_tag) {
    st = UnavailableError(std::string("PostgreSQL: ") + sql + " answered " + PQcmdStatus(res));
  }
  PQclear(res);
  return st;
}

Status PgConnection::Commit() {
  RETURN_IF_ERROR(Settle());
  warnings_.clear();
  collect_warnings_ = true;
  ++round_trips_;
  PGresult* res = PQexec(conn_, "COMMIT");
  collect_warnings_ = false;
  Status st = Check("COMMIT", res, PGRES_COMMAND_OK);
  if (st.ok() && std::string_view(PQcmdStatus(res)) != "COMMIT") {
    st = UnavailableError(std::string("PostgreSQL: COMMIT answered ") + PQcmdStatus(res));
  }
  PQclear(res);
  if (st.ok()) {
    st = CommitOutcome(warnings_);
    for (const auto& w : warnings_) {
      log::warn("PostgreSQL warned at COMMIT (SQLSTATE {}): {}", w.sqlstate, w.message);
    }
  }
  warnings_.clear();
  return st;
}

StatusOr<std::string> PgConnection::QueryText(const char* sql,
                                              const std::vector<std::string>& params) {
  RETURN_IF_ERROR(Settle());
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  ++round_trips_;
  PGresult* res = PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, /*resultFormat=*/0);
  Status st = Check(sql, res, PGRES_TUPLES_OK);
  std::string out;
  if (st.ok() && PQntuples(res) > 0 && PQnfields(res) > 0) out = PQgetvalue(res, 0, 0);
  PQclear(res);
  if (!st.ok()) return st;
  return out;
}

Status PgConnection::PrepareStatements() {
  RETURN_IF_ERROR(Settle());
  for (const auto& def : Statements()) {
    ++round_trips_;
    PGresult* res = PQprepare(conn_, def.name, def.sql, static_cast<int>(def.types.size()),
                              def.types.data());
    Status st = Check(std::string("preparing ") + def.name, res, PGRES_COMMAND_OK);
    PQclear(res);
    RETURN_IF_ERROR(st);
  }
  return OkStatus();
}

Status PgConnection::CommitAfter(const char* begin, const std::vector<PgStatement>& stmts) {
  if (begin == nullptr && stmts.empty()) return Commit();
  auto done = RunPipeline(begin, stmts, "COMMIT");
  // A statement before the COMMIT failed: the transaction is aborted, not ended.
  if (!done.ok() && !broken() && PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    std::string sqlstate = last_sqlstate_;
    Defer("ROLLBACK");
    last_sqlstate_ = sqlstate;
  }
  return done.status();
}

StatusOr<std::vector<PgConnection::Result>> PgConnection::RunPipeline(
    const char* begin, const std::vector<PgStatement>& stmts, const char* commit) {
  last_sqlstate_.clear();
  const char* what = stmts.empty() ? (commit != nullptr ? commit : "statement") : stmts.back().name;
  auto lost = [&](std::string_view doing) -> Status {
    last_sqlstate_ = "08006";
    return UnavailableError("PostgreSQL: " + std::string(doing) + " failed: " +
                            TrimMessage(PQerrorMessage(conn_)));
  };
  if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && PQenterPipelineMode(conn_) == 0) {
    return lost("entering pipeline mode");
  }
  // Everything goes out before anything is read: the deferred answers, BEGIN, the statements
  // and the COMMIT share one round trip.
  if (begin != nullptr &&
      PQsendQueryParams(conn_, begin, 0, nullptr, nullptr, nullptr, nullptr, 0) == 0) {
    return lost(begin);
  }
  for (const PgStatement& st : stmts) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats(st.params.size(), 1);
    for (auto p : st.params) {
      values.push_back(p.data());
      lengths.push_back(static_cast<int>(p.size()));
    }
    int sent = st.raw ? PQsendQueryParams(conn_, st.name, 0, nullptr, nullptr, nullptr, nullptr, 0)
                      : PQsendQueryPrepared(conn_, st.name, static_cast<int>(st.params.size()),
                                            values.data(), lengths.data(), formats.data(),
                                            /*resultFormat=*/1);
    if (sent == 0) return lost(st.name);
  }
  if (commit != nullptr &&
      PQsendQueryParams(conn_, commit, 0, nullptr, nullptr, nullptr, nullptr, 0) == 0) {
    return lost(commit);
  }
  if (PQpipelineSync(conn_) == 0) return lost(what);
  ++round_trips_;
  // The deferred statements' answers first (their failures do not matter; a lost connection
  // does), then ours.
  while (deferred_syncs_ > 0) {
    std::vector<PGresult*> old;
    Status st = ReadSegment(old);
    for (PGresult* r : old) PQclear(r);
    --deferred_syncs_;
    if (!st.ok()) {
      deferred_syncs_ = 0;
      return lost(what);
    }
  }
  std::vector<PGresult*> raw;
  if (commit != nullptr) {
    warnings_.clear();
    collect_warnings_ = true;
  }
  Status read = ReadSegment(raw);
  collect_warnings_ = false;
  std::vector<Result> owned;
  owned.reserve(raw.size());
  for (PGresult* r : raw) owned.emplace_back(r);  // frees them whatever happens next
  if (!read.ok()) return lost(what);
  if (PQexitPipelineMode(conn_) == 0) return lost("leaving pipeline mode");

  size_t expected = stmts.size() + (begin != nullptr ? 1 : 0) + (commit != nullptr ? 1 : 0);
  if (owned.size() != expected) {
    return InternalError("PostgreSQL: " + std::to_string(owned.size()) + " results for " +
                         std::to_string(expected) + " statements");
  }
  size_t i = 0;
  if (begin != nullptr) {
    RETURN_IF_ERROR(Check(begin, owned[0].get(), PGRES_COMMAND_OK));
    i = 1;
  }
  std::vector<Result> out;
  out.reserve(stmts.size());
  for (const PgStatement& st : stmts) {
    PGresult* res = owned[i].get();
    int expect = PQresultStatus(res) == PGRES_COMMAND_OK ? PGRES_COMMAND_OK : PGRES_TUPLES_OK;
    RETURN_IF_ERROR(Check(st.name, res, expect));
    out.push_back(std::move(owned[i]));
    ++i;
  }
  if (commit != nullptr) {
    PGresult* res = owned[i].get();
    RETURN_IF_ERROR(Check(commit, res, PGRES_COMMAND_OK));
    if (std::string_view(PQcmdStatus(res)) != "COMMIT") {
      return UnavailableError(std::string("PostgreSQL: COMMIT answered ") + PQcmdStatus(res));
    }
    Status outcome = CommitOutcome(warnings_);
    for (const auto& w : warnings_) {
      log::warn("PostgreSQL warned at COMMIT (SQLSTATE {}): {}", w.sqlstate, w.message);
    }
    warnings_.clear();
    RETURN_IF_ERROR(outcome);
  }
  return out;
}

StatusOr<std::string> PgConnection::QuoteIdentifier(std::string_view ident) const {
  char* quoted = PQescapeIdentifier(conn_, ident.data(), ident.size());
  if (quoted == nullptr) return InvalidArgumentError("cannot quote identifier");
  std::string out = quoted;
  PQfreemem(quoted);
  return out;
}

int PgConnection::Socket() const { return PQsocket(conn_); }

Status PgConnection::ConsumeInput() {
  if (PQconsumeInput(conn_) == 0 || broken()) {
    return UnavailableError("PostgreSQL: the feed's connection was lost: " +
                            TrimMessage(PQerrorMessage(conn_)));
  }
  return OkStatus();
}

std::vector<std::string> PgConnection::TakeNotifications() {
  std::vector<std::string> out;
  while (PGnotify* n = PQnotifies(conn_)) {
    out.emplace_back(n->extra ? n->extra : "");
    PQfreemem(n);
  }
  return out;
}

Status PgConnection::SendFence() {
  if ((PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && PQenterPipelineMode(conn_) == 0) ||
      PQpipelineSync(conn_) == 0) {
    return UnavailableError("PostgreSQL: the feed's connection was lost: " +
                            TrimMessage(PQerrorMessage(conn_)));
  }
  return OkStatus();
}

StatusOr<bool> PgConnection::FenceAnswered() {
  while (!PQisBusy(conn_)) {
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) {
      if (broken()) break;
      return false;  // nothing complete yet
    }
    bool sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
    PQclear(res);
    if (!sync) continue;
    if (PQexitPipelineMode(conn_) == 0) break;
    return true;
  }
  if (broken()) {
    return UnavailableError("PostgreSQL: the feed's connection was lost: " +
                            TrimMessage(PQerrorMessage(conn_)));
  }
  return false;
}

PgConnection::Result::~Result() { PQclear(res_); }

int PgConnection::Result::rows() const { return PQntuples(res_); }

std::string_view PgConnection::Result::value(int row, int col) const {
  return {PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col))};
}

}  // namespace coffer::store
