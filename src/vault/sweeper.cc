#include "vault/sweeper.h"

#include <vector>

#include "core/log.h"
#include "vault/keyspace.h"
#include "vault/object_store.h"

namespace coffer::vault {
namespace {

constexpr size_t kBatch = 256;

}  // namespace

Sweeper::Sweeper(barrier::Barrier& barrier, VaultRegistry& vaults, const Clock& clock)
    : barrier_(barrier), vaults_(vaults), clock_(clock) {
  for (const KindHooks* hooks :
       std::initializer_list<const KindHooks*>{&secret_hooks_, &key_hooks_, &certificate_hooks_}) {
    Handle(DueAction::kPurgeObject, hooks->kind(),
           [this, hooks](const DueEntry& entry, const std::string& due_key, UnixSeconds now) {
             return PurgeDueObject(*hooks, entry, due_key, now);
           });
  }
  Handle(DueAction::kPurgeVault, model::ObjectKind::kKey,
         [this](const DueEntry& entry, const std::string& due_key, UnixSeconds now) {
           return PurgeDueVault(entry, due_key, now, nullptr);
         });
}

Sweeper::~Sweeper() { Stop(); }

std::pair<char, model::ObjectKind> Sweeper::Slot(DueAction action, model::ObjectKind kind) {
  if (action == DueAction::kPurgeVault) kind = model::ObjectKind::kKey;
  return {static_cast<char>(action), kind};
}

void Sweeper::Handle(DueAction action, model::ObjectKind kind, DueHandler handler) {
  handlers_[Slot(action, kind)] = std::move(handler);
}

void Sweeper::AttachKeys(KeyService* keys) {
  Handle(DueAction::kRotateKey, model::ObjectKind::kKey,
         [keys](const DueEntry& entry, const std::string& due_key, UnixSeconds now) {
           // A failed rotation must not hold up the purges behind it: log it; the entry stays
           // and is retried at the next pass.
           Status s = keys->RotateIfDue(entry.vault_id, entry.mac, due_key, entry.when, now);
           if (!s.ok()) log::warn("key rotation by policy failed: {}", s.ToString());
           return OkStatus();
         });
  Handle(DueAction::kPurgeObject, model::ObjectKind::kKey,
         [this, keys](const DueEntry& entry, const std::string& due_key, UnixSeconds now) {
           return PurgeDueObject(keys->traits(), entry, due_key, now);
         });
  Handle(DueAction::kPurgeVault, model::ObjectKind::kKey,
         [this, keys](const DueEntry& entry, const std::string& due_key, UnixSeconds now) {
           return PurgeDueVault(entry, due_key, now, keys);
         });
}

void Sweeper::AttachCertificates(CertificateService* certificates, LifetimeActionNotifier notify) {
  Handle(DueAction::kCertificateLifetime, model::ObjectKind::kCertificate,
         [this, certificates, notify = std::move(notify)](
             const DueEntry& entry, const std::string& due_key, UnixSeconds now) -> Status {
           StatusOr<model::VaultRecord> vault = vaults_.GetById(entry.vault_id);
           if (!vault.ok()) {
             if (vault.status().code() != StatusCode::kNotFound) return vault.status();
             // The vault was purged with its certificates; nothing is left to act on.
             return barrier_.Update([&](barrier::Txn& t) { return t.Delete(due_key); });
           }
           if (vault->deleted) return OkStatus();  // waits for recover or purge
           // As for rotations: a failure must not hold up the entries behind it. The entry
           // stays and is retried at the next pass.
           Status s = certificates->RunLifetimeActions(*vault, entry.mac, due_key, entry.when,
                                                       now, notify);
           if (!s.ok()) log::warn("certificate lifetime action failed: {}", s.ToString());
           return OkStatus();
         });
  Handle(DueAction::kIssueCertificate, model::ObjectKind::kCertificate,
         [this, certificates](const DueEntry& entry, const std::string& due_key,
                              UnixSeconds now) -> Status {
           StatusOr<model::VaultRecord> vault = vaults_.GetById(entry.vault_id);
           if (!vault.ok()) {
             if (vault.status().code() != StatusCode::kNotFound) return vault.status();
             return barrier_.Update([&](barrier::Txn& t) { return t.Delete(due_key); });
           }
           if (vault->deleted) return OkStatus();  // waits for recover or purge
           // A failure is retried at the next pass without holding up the entries behind it.
           Status s = certificates->IssuePending(*vault, entry.mac, due_key, now);
           if (!s.ok()) log::warn("certificate issuance failed: {}", s.ToString());
           return OkStatus();
         });
}

Status Sweeper::PurgeDueObject(const KindHooks& hooks, const DueEntry& entry,
                               const std::string& due_key, UnixSeconds now) {
  ObjectLocation loc = Keyspace::At(entry.vault_id, entry.kind, entry.mac);
  return UpdateWithEffects(barrier_, [&](barrier::Txn& t, TxnEffects& effects) -> Status {
    RETURN_IF_ERROR(lifecycle::PurgeIfDue(t, effects, hooks, loc, now).status());
    return t.Delete(due_key);
  });
}

Status Sweeper::PurgeDueVault(const DueEntry& entry, const std::string& due_key, UnixSeconds now,
                              KeyService* keys) {
  ASSIGN_OR_RETURN(std::string purged_id,
                   vaults_.PurgeDeleted(Keyspace::VaultKeyForMac(entry.mac), now));
  if (!purged_id.empty() && keys != nullptr) keys->ForgetVault(purged_id);
  if (!purged_id.empty()) {
    barrier_.DeliverCacheTopic(std::string(SecretTraits::kTopicPrefix) + purged_id + "/");
  }
  return barrier_.Update([&](barrier::Txn& t) { return t.Delete(due_key); });
}

Status Sweeper::ProcessDue(const std::string& due_key, UnixSeconds now) {
  StatusOr<DueEntry> entry = Keyspace::ParseDueKey(due_key);
  if (!entry.ok()) {
    // Nothing can act on it; an index entry holds no data, so dropping it loses nothing.
    log::warn("dropping a malformed due entry: {}", entry.status().ToString());
    return barrier_.Update([&](barrier::Txn& t) { return t.Delete(due_key); });
  }
  auto handler = handlers_.find(Slot(entry->action, entry->kind));
  if (handler == handlers_.end()) return OkStatus();  // left for a handler attached later
  return handler->second(*entry, due_key, now);
}

StatusOr<size_t> Sweeper::SweepOnce() {
  UnixSeconds now = clock_.Now();
  std::string upper = Keyspace::DueUpperBound(now);
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
