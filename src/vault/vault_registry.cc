#include <algorithm>

#include "vault/vault_registry.h"

#include "core/encoding.h"
#include "model/regions.h"

namespace coffer::vault {
namespace {

// Every write here publishes the cache topic: the other nodes sharing the storage reload once
// it commits (docs/decisions.md "Several nodes on one PostgreSQL").
Status PublishingUpdate(barrier::Barrier& barrier, const barrier::BarrierFn& fn) {
  return barrier.Update([&](barrier::Txn& t) {
    t.Publish(VaultRegistry::kCacheTopic);
    return fn(t);
  });
}

Status VaultNotFound(std::string_view name) {
  return NotFoundError("The vault '" + std::string(name) + "' was not found.", "VaultNotFound");
}

bool SameScope(const model::VaultRecord& v, std::string_view subscription,
               std::string_view group) {
  return EqualsIgnoreCase(v.subscription_id, subscription) &&
         EqualsIgnoreCase(v.resource_group, group);
}

Status ValidateRetention(int days) {
  if (days < 7 || days > 90) {
    return InvalidArgumentError("softDeleteRetentionInDays must be between 7 and 90 (got " +
                                    std::to_string(days) + ").",
                                "BadRequest");
  }
  return OkStatus();
}

Status ValidateSku(const std::string& sku) {
  if (EqualsIgnoreCase(sku, "standard") || EqualsIgnoreCase(sku, "premium")) return OkStatus();
  return InvalidArgumentError("sku.name must be 'standard' or 'premium'.", "BadRequest");
}

// The vault record stored under `key`, read inside `t` (nullopt when there is none).
StatusOr<std::optional<model::VaultRecord>> ReadStored(barrier::Txn& t, std::string_view key) {
  ASSIGN_OR_RETURN(auto plain, t.Get(key));
  if (!plain) return std::optional<model::VaultRecord>();
  ASSIGN_OR_RETURN(model::VaultRecord v, model::DecodeVaultRecord(plain->view()));
  return std::optional<model::VaultRecord>(std::move(v));
}

}  // namespace

VaultRegistry::VaultRegistry(barrier::Barrier& barrier, const Clock& clock, Random& rng)
    : barrier_(barrier), clock_(clock), rng_(rng), keys_(barrier) {}

void VaultRegistry::InvalidateCache() {
  std::lock_guard lock(mu_);
  cache_loaded_ = false;
  cache_.clear();
}

Status VaultRegistry::LoadCache() {
  if (cache_loaded_) return OkStatus();
  std::map<std::string, model::VaultRecord> loaded;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto entries, t.Scan(Keyspace::kVaultPrefix, "", 0));
    for (auto& [key, plain] : entries) {
      ASSIGN_OR_RETURN(model::VaultRecord v, model::DecodeVaultRecord(plain.view()));
      loaded.emplace(AsciiLower(v.name), std::move(v));
    }
    return OkStatus();
  }));
  cache_ = std::move(loaded);
  cache_loaded_ = true;
  return OkStatus();
}

Status VaultRegistry::ValidateSpec(const VaultSpec& spec) const {
  RETURN_IF_ERROR(ValidateVaultName(spec.name));
  if (model::FindRegion(spec.location) == nullptr) {
    return InvalidArgumentError("The location '" + spec.location.substr(0, 64) +
                                    "' is not an Azure region Coffer knows. Use a region name "
                                    "such as 'eastus' or 'westeurope'.",
                                "LocationNotAvailableForResourceType");
  }
  if (spec.retention_days) RETURN_IF_ERROR(ValidateRetention(*spec.retention_days));
  if (spec.sku) RETURN_IF_ERROR(ValidateSku(*spec.sku));
  return OkStatus();
}

void VaultRegistry::NoteStored(const std::string& lower, const model::VaultRecord& record) {
  if (cache_loaded_) cache_[lower] = record;
}

void VaultRegistry::NoteRefused(const Status& st, const std::string& lower,
                                const std::optional<std::optional<model::VaultRecord>>& seen) {
  // Only a refusal the stored record decided says anything about it (not a storage error).
  bool decided = st.code() == StatusCode::kAlreadyExists || st.code() == StatusCode::kNotFound ||
                 st.code() == StatusCode::kInvalidArgument ||
                 st.code() == StatusCode::kFailedPrecondition;
  if (!cache_loaded_ || !decided || !seen) return;
  if (*seen) {
    cache_[lower] = **seen;
  } else {
    cache_.erase(lower);
  }
}

StatusOr<std::pair<model::VaultRecord, bool>> VaultRegistry::CreateOrUpdate(
    const VaultSpec& spec) {
  RETURN_IF_ERROR(ValidateSpec(spec));
  ASSIGN_OR_RETURN(std::string key, keys_.VaultKey(spec.name));
  ASSIGN_OR_RETURN(std::string mac, Keyspace::VaultMac(key));
  std::lock_guard lock(mu_);
  UnixSeconds now = clock_.Now();
  model::VaultRecord record;
  bool created = false;
  std::optional<std::optional<model::VaultRecord>> seen;  // what the transaction read
  // The name's record is its claim: read and written in one transaction, so of two nodes
  // creating one name at once, one commits and the other (a serialization conflict on
  // PostgreSQL, run again) reads the first's record and gets its 409.
  Status st = PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    record = model::VaultRecord();
    created = false;
    ASSIGN_OR_RETURN(std::optional<model::VaultRecord> stored, ReadStored(t, key));
    seen = stored;
    if (stored) {
      const model::VaultRecord& old = *stored;
      if (old.deleted && spec.recover) {
        if (!SameScope(old, spec.subscription_id, spec.resource_group)) {
          return VaultNotFound(spec.name);
        }
        record = old;
        record.deleted.reset();
        record.updated = now;
        RETURN_IF_ERROR(t.Put(key, model::EncodeVaultRecord(record)));
        return t.Delete(
            Keyspace::DueKey(DueEntry::PurgeVault(old.deleted->scheduled_purge_date, mac)));
      }
      if (old.deleted) {
        return AlreadyExistsError(
            "A vault with the same name already exists in deleted state. You need to either "
            "recover or purge existing key vault. Follow this link "
            "https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft "
            "delete.",
            "ConflictError");
      }
      if (!SameScope(old, spec.subscription_id, spec.resource_group)) {
        return AlreadyExistsError("The vault name '" + spec.name +
                                      "' is already in use. Vault names are globally unique.",
                                  "VaultAlreadyExists");
      }
      if (!EqualsIgnoreCase(model::FindRegion(old.location)->name,
                            model::FindRegion(spec.location)->name)) {
        return InvalidArgumentError("A vault's location cannot be changed (it is '" +
                                        old.location + "').",
                                    "InvalidResourceLocation");
      }
      if (spec.retention_days && *spec.retention_days != old.retention_days) {
        return InvalidArgumentError(
            "softDeleteRetentionInDays is fixed when the vault is created (it is " +
                std::to_string(old.retention_days) + ") and cannot be changed.",
            "BadRequest");
      }
      if (spec.purge_protection && !*spec.purge_protection && old.purge_protection) {
        return InvalidArgumentError(
            "Purge protection cannot be turned off once it is enabled on a vault.", "BadRequest");
      }
      record = old;
    } else if (spec.recover) {
      return NotFoundError("There is no soft-deleted vault '" + spec.name +
                               "' to recover in this subscription and resource group.",
                           "DeletedVaultNotFound");
    } else {
      created = true;
      record.name = spec.name;
      record.id = EncodeHex(rng_.Bytes(16));
      record.subscription_id = AsciiLower(spec.subscription_id);
      record.resource_group = spec.resource_group;
      record.location = spec.location;
      record.retention_days = spec.retention_days.value_or(90);
      record.rbac_authorization = spec.default_rbac;
      record.created = now;
    }
    record.tenant_id = spec.tenant_id;
    if (spec.sku) record.sku = AsciiLower(*spec.sku);
    if (spec.purge_protection && *spec.purge_protection) record.purge_protection = true;
    if (spec.rbac_authorization) record.rbac_authorization = *spec.rbac_authorization;
    if (spec.tags) record.tags = *spec.tags;
    if (spec.access_policies) record.access_policies = *spec.access_policies;
    record.updated = now;
    return t.Put(key, model::EncodeVaultRecord(record));
  });
  std::string lower = AsciiLower(spec.name);
  if (!st.ok()) {
    NoteRefused(st, lower, seen);
    return st;
  }
  NoteStored(lower, record);
  return std::make_pair(record, created);
}

StatusOr<model::VaultRecord> VaultRegistry::ChangeLive(
    std::string_view subscription, std::string_view group, std::string_view name,
    const std::function<Status(model::VaultRecord&, barrier::Txn&)>& change) {
  ASSIGN_OR_RETURN(std::string key, keys_.VaultKey(name));
  std::lock_guard lock(mu_);
  model::VaultRecord record;
  std::optional<std::optional<model::VaultRecord>> seen;
  Status st = PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(std::optional<model::VaultRecord> stored, ReadStored(t, key));
    seen = stored;
    if (!stored || stored->deleted || !SameScope(*stored, subscription, group)) {
      return VaultNotFound(name);
    }
    record = std::move(*stored);
    RETURN_IF_ERROR(change(record, t));
    return t.Put(key, model::EncodeVaultRecord(record));
  });
  std::string lower = AsciiLower(name);
  if (!st.ok()) {
    NoteRefused(st, lower, seen);
    return st;
  }
  NoteStored(lower, record);
  return record;
}

StatusOr<model::VaultRecord> VaultRegistry::Patch(std::string_view subscription,
                                                  std::string_view group, std::string_view name,
                                                  const VaultPatch& patch) {
  return ChangeLive(subscription, group, name,
                    [&](model::VaultRecord& record, barrier::Txn&) -> Status {
    if (patch.retention_days && *patch.retention_days != record.retention_days) {
      RETURN_IF_ERROR(ValidateRetention(*patch.retention_days));
      return InvalidArgumentError(
          "softDeleteRetentionInDays is fixed when the vault is created (it is " +
              std::to_string(record.retention_days) + ") and cannot be changed.",
          "BadRequest");
    }
    if (patch.purge_protection) {
      if (!*patch.purge_protection && record.purge_protection) {
        return InvalidArgumentError(
            "Purge protection cannot be turned off once it is enabled on a vault.", "BadRequest");
      }
      if (*patch.purge_protection) record.purge_protection = true;
    }
    if (patch.sku) {
      RETURN_IF_ERROR(ValidateSku(*patch.sku));
      record.sku = AsciiLower(*patch.sku);
    }
    if (patch.rbac_authorization) record.rbac_authorization = *patch.rbac_authorization;
    if (patch.tags) record.tags = *patch.tags;
    if (patch.access_policies) record.access_policies = *patch.access_policies;
    record.updated = clock_.Now();
    return OkStatus();
  });
}

StatusOr<model::VaultRecord> VaultRegistry::Get(std::string_view name) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(LoadCache());
  auto it = cache_.find(AsciiLower(name));
  if (it == cache_.end() || it->second.deleted) return VaultNotFound(name);
  return it->second;
}

StatusOr<model::VaultRecord> VaultRegistry::GetById(std::string_view id) {
  std::lock_guard lock(mu_);
  // A vault another node made since this cache was loaded: look again once before saying no.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt == 1) cache_loaded_ = false;
    RETURN_IF_ERROR(LoadCache());
    for (const auto& [lower, v] : cache_) {
      if (v.id == id) return v;
    }
  }
  return NotFoundError("No vault, live or deleted, has the id " + std::string(id.substr(0, 64)),
                       "VaultNotFound");
}

StatusOr<model::VaultRecord> VaultRegistry::GetInScope(std::string_view subscription,
                                                       std::string_view group,
                                                       std::string_view name) {
  ASSIGN_OR_RETURN(model::VaultRecord v, Get(name));
  if (!SameScope(v, subscription, group)) return VaultNotFound(name);
  return v;
}

StatusOr<std::vector<model::VaultRecord>> VaultRegistry::List(std::string_view subscription,
                                                              std::string_view group) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(LoadCache());
  std::vector<model::VaultRecord> out;
  for (const auto& [lower, v] : cache_) {
    if (v.deleted) continue;
    if (!subscription.empty() && !EqualsIgnoreCase(v.subscription_id, subscription)) continue;
    if (!group.empty() && !EqualsIgnoreCase(v.resource_group, group)) continue;
    out.push_back(v);
  }
  return out;
}

Status VaultRegistry::Delete(std::string_view subscription, std::string_view group,
                             std::string_view name) {
  UnixSeconds now = clock_.Now();
  return ChangeLive(subscription, group, name,
                    [&](model::VaultRecord& record, barrier::Txn& t) -> Status {
    record.deleted = model::DeletedInfo{now, now + int64_t{record.retention_days} * 86400};
    ASSIGN_OR_RETURN(std::string key, keys_.VaultKey(record.name));
    ASSIGN_OR_RETURN(std::string mac, Keyspace::VaultMac(key));
    return t.Put(
        Keyspace::DueKey(DueEntry::PurgeVault(record.deleted->scheduled_purge_date, mac)),
        SecretBytes());
  }).status();
}

namespace {

std::vector<std::string>* PermissionList(model::AccessPolicyEntry& e, int i) {
  std::vector<std::string>* lists[] = {&e.keys, &e.secrets, &e.certificates, &e.storage};
  return lists[i];
}

bool HasPermission(const std::vector<std::string>& list, std::string_view p) {
  for (const auto& q : list) {
    if (EqualsIgnoreCase(q, p)) return true;
  }
  return false;
}

}  // namespace

StatusOr<model::VaultRecord> VaultRegistry::UpdateAccessPolicies(
    std::string_view subscription, std::string_view group, std::string_view name,
    AccessPolicyOp op, const std::vector<model::AccessPolicyEntry>& entries) {
  return ChangeLive(subscription, group, name,
                    [&](model::VaultRecord& record, barrier::Txn&) -> Status {
    auto& policies = record.access_policies;
    for (const model::AccessPolicyEntry& in : entries) {
      auto found = std::find_if(policies.begin(), policies.end(), [&](const auto& e) {
        return EqualsIgnoreCase(e.object_id, in.object_id) &&
               EqualsIgnoreCase(e.tenant_id, in.tenant_id);
      });
      if (op == AccessPolicyOp::kReplace) {
        if (found != policies.end()) {
          *found = in;
        } else {
          policies.push_back(in);
        }
        continue;
      }
      if (op == AccessPolicyOp::kAdd) {
        if (found == policies.end()) {
          policies.push_back(in);
          continue;
        }
        model::AccessPolicyEntry from = in;
        for (int i = 0; i < 4; ++i) {
          for (const auto& p : *PermissionList(from, i)) {
            auto* list = PermissionList(*found, i);
            if (!HasPermission(*list, p)) list->push_back(p);
          }
        }
        continue;
      }
      if (found == policies.end()) continue;  // remove from nothing: nothing to do
      model::AccessPolicyEntry from = in;
      for (int i = 0; i < 4; ++i) {
        auto* list = PermissionList(*found, i);
        std::erase_if(*list, [&](const std::string& p) {
          return HasPermission(*PermissionList(from, i), p);
        });
      }
      if (found->keys.empty() && found->secrets.empty() && found->certificates.empty() &&
          found->storage.empty()) {
        policies.erase(found);
      }
    }
    if (policies.size() > 1024) {
      return InvalidArgumentError("A vault has at most 1024 access policies.", "BadRequest");
    }
    record.updated = clock_.Now();
    return OkStatus();
  });
}

StatusOr<std::vector<model::VaultRecord>> VaultRegistry::ListDeleted(
    std::string_view subscription) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(LoadCache());
  std::vector<model::VaultRecord> out;
  for (const auto& [lower, v] : cache_) {
    if (!v.deleted) continue;
    if (!subscription.empty() && !EqualsIgnoreCase(v.subscription_id, subscription)) continue;
    out.push_back(v);
  }
  return out;
}

StatusOr<model::VaultRecord> VaultRegistry::GetDeleted(std::string_view subscription,
                                                       std::string_view location,
                                                       std::string_view name) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(LoadCache());
  auto it = cache_.find(AsciiLower(name));
  const model::Region* region = model::FindRegion(location);
  if (it == cache_.end() || !it->second.deleted ||
      !EqualsIgnoreCase(it->second.subscription_id, subscription) || region == nullptr ||
      !EqualsIgnoreCase(model::FindRegion(it->second.location)->name, region->name)) {
    return NotFoundError("There is no soft-deleted vault '" + std::string(name) +
                             "' in this subscription and location.",
                         "DeletedVaultNotFound");
  }
  return it->second;
}

StatusOr<model::VaultRecord> VaultRegistry::PurgeNow(std::string_view subscription,
                                                     std::string_view location,
                                                     std::string_view name) {
  ASSIGN_OR_RETURN(model::VaultRecord v, GetDeleted(subscription, location, name));
  if (v.purge_protection) {
    return FailedPreconditionError(
        "The vault '" + v.name +
            "' has purge protection enabled: it cannot be purged before its scheduled purge "
            "date (" + FormatRfc3339(v.deleted->scheduled_purge_date) + ").",
        "PurgeProtected");
  }
  ASSIGN_OR_RETURN(std::string key, keys_.VaultKey(v.name));
  ASSIGN_OR_RETURN(std::string purged, PurgeDeleted(key, v.deleted->scheduled_purge_date));
  if (purged.empty()) return NotFoundError("The vault '" + v.name + "' is already purged.",
                                           "DeletedVaultNotFound");
  ASSIGN_OR_RETURN(std::string mac, Keyspace::VaultMac(key));
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) {
    return t.Delete(Keyspace::DueKey(DueEntry::PurgeVault(v.deleted->scheduled_purge_date, mac)));
  }));
  return v;
}

StatusOr<std::string> VaultRegistry::PurgeDeleted(std::string_view vault_key, UnixSeconds now) {
  std::lock_guard lock(mu_);
  std::optional<model::VaultRecord> purged;
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto plain, t.Get(vault_key));
    if (!plain) return OkStatus();
    ASSIGN_OR_RETURN(model::VaultRecord v, model::DecodeVaultRecord(plain->view()));
    if (!v.deleted || v.deleted->scheduled_purge_date > now) return OkStatus();
    for (const std::string& area : Keyspace::VaultObjectAreas(v.id)) {
      RETURN_IF_ERROR(t.DeletePrefix(area));
    }
    RETURN_IF_ERROR(t.Delete(vault_key));
    purged = std::move(v);
    return OkStatus();
  }));
  if (!purged) return std::string();
  if (cache_loaded_) cache_.erase(AsciiLower(purged->name));
  return purged->id;
}

}  // namespace coffer::vault
