#include "store/pg_connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>

namespace coffer::store {
namespace {

constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

// Rows fetched per round trip by a Scan: a page is bounded however many rows match.
constexpr size_t kScanChunk = 256;

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

std::string Int8Be(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xFF);
  return out;
}

// The smallest key greater than every key starting with `prefix`, or nullopt if there is none
// (the prefix is empty or all 0xFF).
std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string upper(prefix);
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xFF) upper.pop_back();
  if (upper.empty()) return std::nullopt;
  upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
  return upper;
}

std::string TrimMessage(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

bool IsPgConflict(std::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
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
    return UnavailableError("cannot connect to PostgreSQL: " + msg);
  }
  // libpq prints the server's notices ("relation already exists, skipping") to stderr; the
  // engine has nothing to say about them.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

bool PgConnection::idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }

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
  PGresult* res = PQexec(conn_, sql);
  Status st = Check(sql, res, PGRES_COMMAND_OK);
  if (st.ok() && expect_tag != nullptr && std::string_view(PQcmdStatus(res)) != expect_tag) {
    st = UnavailableError(std::string("PostgreSQL: ") + sql + " answered " + PQcmdStatus(res));
  }
  PQclear(res);
  return st;
}

StatusOr<std::string> PgConnection::QueryText(const char* sql,
                                              const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
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
  for (const auto& def : Statements()) {
    PGresult* res = PQprepare(conn_, def.name, def.sql, static_cast<int>(def.types.size()),
                              def.types.data());
    Status st = Check(std::string("preparing ") + def.name, res, PGRES_COMMAND_OK);
    PQclear(res);
    RETURN_IF_ERROR(st);
  }
  return OkStatus();
}

StatusOr<PgConnection::Result> PgConnection::Run(const char* name,
                                                 const std::vector<std::string_view>& params) {
  std::vector<const char*> values;
  std::vector<int> lengths, formats(params.size(), 1);
  for (auto p : params) {
    values.push_back(p.data());
    lengths.push_back(static_cast<int>(p.size()));
  }
  PGresult* res = PQexecPrepared(conn_, name, static_cast<int>(params.size()), values.data(),
                                 lengths.data(), formats.data(), /*resultFormat=*/1);
  int expect = (res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK) ? PGRES_COMMAND_OK
                                                                          : PGRES_TUPLES_OK;
  Status st = Check(name, res, expect);
  if (!st.ok()) {
    PQclear(res);
    return st;
  }
  return Result(res);
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

PgConnection::Result::~Result() { PQclear(res_); }

int PgConnection::Result::rows() const { return PQntuples(res_); }

std::string_view PgConnection::Result::value(int row, int col) const {
  return {PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col))};
}

Status PgTxn::Fail(Status st) {
  if (first_error_.ok()) {
    first_error_ = st;
    conflict_ = IsPgConflict(conn_.last_sqlstate());
  }
  return st;
}

StatusOr<std::optional<std::string>> PgTxn::Get(std::string_view key) {
  if (!first_error_.ok()) return first_error_;
  auto res = conn_.Run("get", {key});
  if (!res.ok()) return Fail(res.status());
  if (res->rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(std::string(res->value(0, 0)));
}

StatusOr<std::vector<Entry>> PgTxn::Scan(std::string_view prefix, std::string_view start_after,
                                         size_t limit) {
  if (!first_error_.ok()) return first_error_;
  const std::optional<std::string> upper = PrefixUpperBound(prefix);
  // Past the prefix already: nothing can match (and "key > start_after" alone would run on).
  if (upper && start_after >= *upper) return std::vector<Entry>();
  std::string after(start_after);
  // start_after below the prefix (or "") means: from the prefix's first key, inclusive.
  bool inclusive = after < prefix || after.empty();
  if (inclusive) after = std::string(prefix);
  std::vector<Entry> out;
  while (true) {
    size_t want = kScanChunk;
    if (limit != 0) want = std::min(want, limit - out.size());
    std::string n = Int8Be(want);
    const char* name = upper ? (inclusive ? "scan_from_below" : "scan_after_below")
                             : (inclusive ? "scan_from" : "scan_after");
    std::vector<std::string_view> params{after};
    if (upper) params.push_back(*upper);
    params.push_back(n);
    auto res = conn_.Run(name, params);
    if (!res.ok()) return Fail(res.status());
    int rows = res->rows();
    for (int r = 0; r < rows; ++r) {
      out.push_back(Entry{std::string(res->value(r, 0)), std::string(res->value(r, 1))});
    }
    if (static_cast<size_t>(rows) < want || (limit != 0 && out.size() >= limit)) break;
    after = out.back().key;
    inclusive = false;
  }
  return out;
}

Status PgTxn::Put(std::string_view key, std::string_view value) {
  if (!writable_) return FailedPreconditionError("Put in a read-only transaction");
  if (!first_error_.ok()) return first_error_;
  auto res = conn_.Run("put", {key, value});
  if (!res.ok()) return Fail(res.status());
  return OkStatus();
}

void PgTxn::Publish(std::string_view topic) {
  if (!writable_ || !first_error_.ok()) return;
  for (const auto& done : published_) {
    if (done == topic) return;
  }
  auto res = conn_.Run("notify", {topic});
  if (!res.ok()) {
    (void)Fail(res.status());  // the engine sees first_error() and does not commit
    return;
  }
  published_.emplace_back(topic);
}

Status PgTxn::Delete(std::string_view key) {
  if (!writable_) return FailedPreconditionError("Delete in a read-only transaction");
  if (!first_error_.ok()) return first_error_;
  auto res = conn_.Run("del", {key});
  if (!res.ok()) return Fail(res.status());
  return OkStatus();
}

}  // namespace coffer::store
