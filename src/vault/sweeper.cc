#include "vault/sweeper.h"

#include <cstdlib>
#include <vector>

#include "core/log.h"
#include "vault/keyspace.h"
#include "vault/object_records.h"

namespace coffer::vault {
namespace {

constexpr size_t kBatch = 256;

// "due/<16 hex>/<target>" → time, target.
bool ParseDueKey(std::string_view key, UnixSeconds* when, std::string_view* target) {
  std::string_view rest = key.substr(Keyspace::kDuePrefix.size());
  if (rest.size() < 18 || rest[16] != '/') return false;
  *when = static_cast<UnixSeconds>(std::strtoull(std::string(rest.substr(0, 16)).c_str(),
                                                 nullptr, 16));
  *target = rest.substr(17);
  return true;
}

model::ObjectKind KindFromTag(char tag) {
  switch (tag) {
    case 'k': return model::ObjectKind::kKey;
    case 'c': return model::ObjectKind::kCertificate;
    default: return model::ObjectKind::kSecret;
  }
}

}  // namespace

Sweeper::Sweeper(barrier::Barrier& barrier, VaultRegistry& vaults, const Clock& clock)
    : barrier_(barrier), vaults_(vaults), clock_(clock) {}

Sweeper::~Sweeper() { Stop(); }

Status Sweeper::ProcessDue(const std::string& due_key, UnixSeconds now) {
  UnixSeconds when = 0;
  std::string_view target;
  if (!ParseDueKey(due_key, &when, &target)) {
    return barrier_.Update([&](barrier::Txn& t) { return t.Delete(due_key); });
  }
  if (target.starts_with("v/")) {
    ASSIGN_OR_RETURN(std::string purged_id,
                     vaults_.PurgeDeleted(
                         std::string(Keyspace::kVaultPrefix) + std::string(target.substr(2)), now));
    if (!purged_id.empty() && keys_ != nullptr) keys_->ForgetVault(purged_id);
    return barrier_.Update([&](barrier::Txn& t) { return t.Delete(due_key); });
  }
  if (target.starts_with("r/")) {
    // "r/<vault id>/k/<mac>"
    std::string_view rest = target.substr(2);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos || rest.substr(slash).size() < 4 ||
        rest.substr(slash, 3) != "/k/") {
      return barrier_.Update([&](barrier::Txn& t) { return t.Delete(due_key); });
    }
    if (keys_ == nullptr) return OkStatus();
    // A failed rotation must not hold up the purges behind it: log it; the entry stays and is
    // retried at the next pass.
    Status s = keys_->RotateIfDue(rest.substr(0, slash), rest.substr(slash + 3), due_key, when, now);
    if (!s.ok()) log::warn("key rotation by policy failed: {}", s.ToString());
    return OkStatus();
  }
  // "o/<vault id>/<kind>/<mac>"
  std::string_view rest = target.substr(2);
  size_t slash = rest.find('/');
  if (!target.starts_with("o/") || slash == std::string_view::npos || rest.size() < slash + 3) {
    return barrier_.Update([&](barrier::Txn& t) { return t.Delete(due_key); });
  }
  std::string vault_id(rest.substr(0, slash));
  model::ObjectKind kind = KindFromTag(rest[slash + 1]);
  std::string mac(rest.substr(slash + 3));
  bool purged = false;
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, Keyspace::DeletedKey(vault_id, kind, mac)));
    if (head && head->deleted && head->deleted->scheduled_purge_date <= now) {
      RETURN_IF_ERROR(PurgeObject(t, vault_id, kind, mac, *head));
      purged = true;
    }
    return t.Delete(due_key);
  }));
  if (purged && kind == model::ObjectKind::kKey && keys_ != nullptr) {
    keys_->ForgetCached(vault_id, mac);
  }
  return OkStatus();
}

StatusOr<size_t> Sweeper::SweepOnce() {
  UnixSeconds now = clock_.Now();
  std::string upper = Keyspace::DueKey(now, "~");  // every entry due at or before now
  size_t processed = 0;
  std::string after;
  while (true) {
    std::vector<std::string> keys;
    RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
      ASSIGN_OR_RETURN(keys, t.ScanKeys(Keyspace::kDuePrefix, after, kBatch));
      return OkStatus();
    }));
    bool reached_future = false;
    for (const auto& key : keys) {
      if (key > upper) {
        reached_future = true;
        break;
      }
      RETURN_IF_ERROR(ProcessDue(key, now));
      ++processed;
    }
    if (reached_future || keys.size() < kBatch) break;
    after = keys.back();
  }
  return processed;
}

void Sweeper::Start(std::chrono::milliseconds interval) {
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, interval, [this] { return stop_ || wake_; });
      if (stop_) break;
      wake_ = false;
      lock.unlock();
      if (!barrier_.sealed()) {
        auto done = SweepOnce();
        if (!done.ok()) log::warn("sweeper pass failed: {}", done.status().ToString());
      }
      lock.lock();
    }
  });
}

void Sweeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sweeper::Wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

}  // namespace coffer::vault
