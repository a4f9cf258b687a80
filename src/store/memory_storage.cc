#include "store/memory_storage.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

namespace coffer::store {
namespace {

using Map = std::map<std::string, std::string, std::less<>>;
using Overlay = std::map<std::string, std::optional<std::string>, std::less<>>;

// The storages whose Update or View fn is running on this thread: a re-entrant Update would
// deadlock, and a nested View must not take the shared lock a second time.
struct ActiveTxn {
  const void* storage;
  bool view;
};
thread_local std::vector<ActiveTxn> tls_active;

class ActiveScope {
 public:
  ActiveScope(const void* s, bool view) { tls_active.push_back({s, view}); }
  ~ActiveScope() { tls_active.pop_back(); }
};

bool IsActive(const void* s, bool view_only) {
  return std::any_of(tls_active.begin(), tls_active.end(),
                     [&](const ActiveTxn& t) { return t.storage == s && (t.view || !view_only); });
}

// std::string compares as unsigned char, i.e. memcmp order, as the contract requires.
template <typename M>
typename M::const_iterator ScanStart(const M& m, std::string_view prefix,
                                     std::string_view start_after) {
  if (!start_after.empty() && start_after >= prefix) return m.upper_bound(start_after);
  return m.lower_bound(prefix);
}

bool HasPrefix(std::string_view key, std::string_view prefix) {
  return key.substr(0, prefix.size()) == prefix;
}

}  // namespace

// Read-write view: the committed map (stable, since Updates are serialised) plus fn's writes.
class MemoryStorage::OverlayTxn final : public Transaction {
 public:
  explicit OverlayTxn(const Map& base) : base_(base) {}

  StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    if (auto it = writes_.find(key); it != writes_.end()) return it->second;
    if (auto it = base_.find(key); it != base_.end()) return std::optional<std::string>(it->second);
    return std::optional<std::string>();
  }

  StatusOr<std::vector<Entry>> Scan(std::string_view prefix, std::string_view start_after,
                                    size_t limit) override {
    std::vector<Entry> out;
    auto b = ScanStart(base_, prefix, start_after);
    auto w = ScanStart(writes_, prefix, start_after);
    auto b_live = [&] { return b != base_.end() && HasPrefix(b->first, prefix); };
    auto w_live = [&] { return w != writes_.end() && HasPrefix(w->first, prefix); };
    while ((limit == 0 || out.size() < limit) && (b_live() || w_live())) {
      if (w_live() && (!b_live() || w->first <= b->first)) {
        if (b_live() && b->first == w->first) ++b;  // the overlay shadows the committed value
        if (w->second.has_value()) out.push_back({w->first, *w->second});
        ++w;
      } else {
        out.push_back({b->first, b->second});
        ++b;
      }
    }
    return out;
  }

  Status Put(std::string_view key, std::string_view value) override {
    writes_.insert_or_assign(std::string(key), std::optional<std::string>(value));
    return OkStatus();
  }

  Status Delete(std::string_view key) override {
    writes_.insert_or_assign(std::string(key), std::nullopt);
    return OkStatus();
  }

  Overlay& writes() { return writes_; }

 private:
  const Map& base_;
  Overlay writes_;
};

// Read-only view of the committed map; the caller holds the shared lock.
class MemoryStorage::SnapshotTxn final : public Transaction {
 public:
  explicit SnapshotTxn(const Map& data) : data_(data) {}

  StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    if (auto it = data_.find(key); it != data_.end()) return std::optional<std::string>(it->second);
    return std::optional<std::string>();
  }

  StatusOr<std::vector<Entry>> Scan(std::string_view prefix, std::string_view start_after,
                                    size_t limit) override {
    std::vector<Entry> out;
    for (auto it = ScanStart(data_, prefix, start_after);
         it != data_.end() && HasPrefix(it->first, prefix) && (limit == 0 || out.size() < limit);
         ++it) {
      out.push_back({it->first, it->second});
    }
    return out;
  }

  Status Put(std::string_view, std::string_view) override {
    return FailedPreconditionError("Put inside a read-only View transaction");
  }
  Status Delete(std::string_view) override {
    return FailedPreconditionError("Delete inside a read-only View transaction");
  }

 private:
  const Map& data_;
};

Status MemoryStorage::Update(const TxnFn& fn) {
  if (IsActive(this, /*view_only=*/false)) {
    return FailedPreconditionError("Update called from inside a transaction of the same storage");
  }
  ActiveScope scope(this, /*view=*/false);
  std::lock_guard update_lock(update_mu_);
  OverlayTxn txn(data_);
  RETURN_IF_ERROR(RunTxnFn(fn, txn));

  int pending = fail_next_commits_.load();
  while (pending > 0 && !fail_next_commits_.compare_exchange_weak(pending, pending - 1)) {
  }
  if (pending > 0) return UnavailableError("injected commit failure (MemoryStorage)");

  std::unique_lock lock(mu_);
  for (auto& [key, value] : txn.writes()) {
    if (value.has_value()) {
      data_.insert_or_assign(key, std::move(*value));
    } else {
      data_.erase(key);
    }
  }
  commits_.fetch_add(1);
  return OkStatus();
}

Status MemoryStorage::View(const TxnFn& fn) {
  // Inside another View on this thread the shared lock is already held (and re-locking a
  // shared_mutex is undefined).
  std::shared_lock lock(mu_, std::defer_lock);
  if (!IsActive(this, /*view_only=*/true)) lock.lock();
  ActiveScope scope(this, /*view=*/true);
  SnapshotTxn txn(data_);
  return RunTxnFn(fn, txn);
}

}  // namespace coffer::store
