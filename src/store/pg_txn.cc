// PgTxn (declared in pg_connection.h): the Transaction that runs on one PgConnection — reads
// sent at once, writes held for the next read or the COMMIT, the first error kept, savepoint
// parts for group commit.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/pg_connection.h"

namespace coffer::store {
namespace {

// Rows fetched per round trip by a Scan: a page is bounded however many rows match.
constexpr size_t kScanChunk = 256;

std::string Int8Be(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xFF);
  return out;
}

}  // namespace

Status PgTxn::Fail(Status st) {
  if (first_error_.ok()) {
    first_error_ = st;
    conflict_ = conn_ != nullptr && IsPgConflict(conn_->last_sqlstate());
  }
  return st;
}

StatusOr<std::vector<PgConnection::Result>> PgTxn::Send(
    const char* name, const std::vector<std::vector<std::string_view>>& param_sets) {
  // The writes not sent yet go first, in the same round trip: PostgreSQL runs them in order,
  // so this read sees them.
  std::vector<PgConnection::PgStatement> stmts = PendingStatements();
  const size_t writes = stmts.size();
  for (const auto& params : param_sets) stmts.push_back({name, params});
  StatusOr<std::vector<PgConnection::Result>> res = RunFirst(stmts, nullptr);
  pending_.clear();
  ++sends_;
  if (!res.ok()) return res.status();
  std::vector<PgConnection::Result> reads;  // the writes' results are dropped
  reads.reserve(res->size() - writes);
  for (size_t i = writes; i < res->size(); ++i) reads.push_back(std::move((*res)[i]));
  return reads;
}

std::vector<PgConnection::PgStatement> PgTxn::PendingStatements() const {
  std::vector<PgConnection::PgStatement> out;
  out.reserve(pending_.size());
  for (const Pending& p : pending_) {
    PgConnection::PgStatement st{p.name, {}, p.raw};
    for (const std::string& v : p.params) st.params.push_back(v);
    out.push_back(std::move(st));
  }
  return out;
}

StatusOr<std::vector<PgConnection::Result>> PgTxn::RunFirst(
    const std::vector<PgConnection::PgStatement>& stmts, const char* commit) {
  auto run = [&](const char* begin) -> StatusOr<std::vector<PgConnection::Result>> {
    if (commit == nullptr) return conn_->RunPipeline(begin, stmts, nullptr);
    RETURN_IF_ERROR(conn_->CommitAfter(begin, stmts));
    return std::vector<PgConnection::Result>();
  };
  if (begun_) return run(nullptr);
  begun_ = true;
  auto res = run(begin_);
  // A stale idle connection shows at the first statement, before anything ran on it.
  while (!res.ok() && conn_->broken() && replace_stale_) {
    auto fresh = replace_stale_();
    if (!fresh.ok()) {
      conn_ = nullptr;
      return fresh.status();
    }
    if (*fresh == nullptr) break;
    conn_ = *fresh;
    res = run(begin_);
  }
  return res;
}

Status PgTxn::Commit() {
  if (!first_error_.ok()) return first_error_;
  std::vector<PgConnection::PgStatement> stmts = PendingStatements();
  auto done = RunFirst(stmts, "COMMIT");
  pending_.clear();
  return done.status();
}

void PgTxn::BeginPart() {
  part_mark_ = pending_.size();
  part_sends_ = sends_;
  pending_.push_back({"SAVEPOINT part", {}, true});
}

void PgTxn::EndPart(bool keep) {
  if (keep) {
    pending_.push_back({"RELEASE SAVEPOINT part", {}, true});
    return;
  }
  seen_.clear();
  if (sends_ == part_sends_) {
    pending_.resize(part_mark_);  // nothing of the part went out: its SAVEPOINT neither
    return;
  }
  pending_.push_back({"ROLLBACK TO SAVEPOINT part", {}, true});
  pending_.push_back({"RELEASE SAVEPOINT part", {}, true});
}

StatusOr<PgConnection::Result> PgTxn::SendOne(const char* name,
                                             const std::vector<std::string_view>& params) {
  ASSIGN_OR_RETURN(auto results, Send(name, {params}));
  return std::move(results.front());
}

StatusOr<std::optional<std::string>> PgTxn::Get(std::string_view key) {
  if (!first_error_.ok()) return first_error_;
  if (auto it = seen_.find(std::string(key)); it != seen_.end()) return it->second;
  auto res = SendOne("get", {key});
  if (!res.ok()) return Fail(res.status());
  std::optional<std::string> value;
  if (res->rows() != 0) value = std::string(res->value(0, 0));
  Remember(key, value);
  return value;
}

StatusOr<std::vector<std::optional<std::string>>> PgTxn::GetMany(
    const std::vector<std::string_view>& keys) {
  if (!first_error_.ok()) return first_error_;
  std::vector<std::optional<std::string>> out(keys.size());
  std::vector<std::vector<std::string_view>> sets;
  std::vector<size_t> asked;  // index in keys of each set
  for (size_t i = 0; i < keys.size(); ++i) {
    if (auto it = seen_.find(std::string(keys[i])); it != seen_.end()) {
      out[i] = it->second;
    } else {
      sets.push_back({keys[i]});
      asked.push_back(i);
    }
  }
  if (sets.empty()) return out;
  auto res = Send("get", sets);
  if (!res.ok()) return Fail(res.status());
  for (size_t j = 0; j < asked.size(); ++j) {
    const auto& r = (*res)[j];
    if (r.rows() != 0) out[asked[j]] = std::string(r.value(0, 0));
    Remember(keys[asked[j]], out[asked[j]]);
  }
  return out;
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
    auto res = SendOne(name, params);
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

void PgTxn::Remember(std::string_view key, std::optional<std::string> value) {
  auto it = seen_.find(std::string(key));
  if (it != seen_.end()) {
    it->second = std::move(value);
  } else if (seen_.size() < kMaxRemembered) {
    seen_.emplace(std::string(key), std::move(value));
  }
}

Status PgTxn::Hold(Pending write) {
  pending_.push_back(std::move(write));
  if (pending_.size() < kMaxPending) return OkStatus();
  // A long run of writes with no read between (a purge, a restore) goes out in pieces rather
  // than all held in memory until the COMMIT.
  auto sent = RunFirst(PendingStatements(), nullptr);
  pending_.clear();
  ++sends_;
  if (!sent.ok()) return Fail(sent.status());
  return OkStatus();
}

Status PgTxn::Put(std::string_view key, std::string_view value) {
  if (!writable_) return FailedPreconditionError("Put in a read-only transaction");
  if (!first_error_.ok()) return first_error_;
  Remember(key, std::string(value));
  return Hold({"put", {std::string(key), std::string(value)}});
}

void PgTxn::Publish(std::string_view topic) {
  if (!writable_ || !first_error_.ok()) return;
  if (!published_.emplace(topic).second) return;
  (void)Hold({"notify", {std::string(topic)}});  // a failure is first_error(): no COMMIT
}

Status PgTxn::Delete(std::string_view key) {
  if (!writable_) return FailedPreconditionError("Delete in a read-only transaction");
  if (!first_error_.ok()) return first_error_;
  Remember(key, std::nullopt);
  return Hold({"del", {std::string(key)}});
}

}  // namespace coffer::store
