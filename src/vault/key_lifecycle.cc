// KeyService: soft delete, recovery, purge, export/restore for backup, rotation and rotation
// policies (with the sweeper's due-index entries).
#include <algorithm>

#include "core/encoding.h"
#include "vault/key_service.h"
#include "vault/object_records.h"

namespace coffer::vault {

using model::ObjectKind;
static constexpr ObjectKind kKind = ObjectKind::kKey;

namespace {

constexpr int64_t kMinExpiryTimeSeconds = 28 * 86400;

Status Bad(std::string message) { return InvalidArgumentError(std::move(message), "BadParameter"); }

Status MissingLatest() { return DataLossError("a key's latest version is missing"); }

}  // namespace

std::optional<UnixSeconds> NextRotation(const model::RotationPolicy& policy,
                                        const model::KeyVersion& latest) {
  std::optional<UnixSeconds> next;
  for (const auto& a : policy.lifetime_actions) {
    if (a.action != model::LifetimeActionType::kRotate) continue;
    auto d = model::ParseIsoDuration(a.duration);
    if (!d) continue;
    std::optional<UnixSeconds> at;
    if (a.trigger == model::LifetimeTrigger::kTimeAfterCreate) {
      at = latest.attributes.created + *d;
    } else if (latest.attributes.expires) {
      at = *latest.attributes.expires - *d;
    }
    if (at && (!next || *at < *next)) next = at;
  }
  return next;
}

Status KeyService::Reschedule(barrier::Txn& t, std::string_view vault_id, std::string_view mac,
                              const model::KeyVersion& latest) {
  std::string policy_key = Keyspace::RotationPolicyKey(vault_id, mac);
  ASSIGN_OR_RETURN(auto policy, ReadRotationPolicy(t, policy_key));
  if (!policy) return OkStatus();
  std::optional<UnixSeconds> next = NextRotation(*policy, latest);
  if (next == policy->scheduled_rotation) return OkStatus();
  std::string target = Keyspace::RotationDueTarget(vault_id, mac);
  if (policy->scheduled_rotation) {
    RETURN_IF_ERROR(t.Delete(Keyspace::DueKey(*policy->scheduled_rotation, target)));
  }
  if (next) RETURN_IF_ERROR(t.Put(Keyspace::DueKey(*next, target), SecretBytes()));
  policy->scheduled_rotation = next;
  return t.Put(policy_key, model::EncodeRotationPolicy(*policy));
}

Status KeyService::Unschedule(barrier::Txn& t, std::string_view vault_id, std::string_view mac) {
  std::string policy_key = Keyspace::RotationPolicyKey(vault_id, mac);
  ASSIGN_OR_RETURN(auto policy, ReadRotationPolicy(t, policy_key));
  if (!policy || !policy->scheduled_rotation) return OkStatus();
  RETURN_IF_ERROR(t.Delete(Keyspace::DueKey(*policy->scheduled_rotation,
                                            Keyspace::RotationDueTarget(vault_id, mac))));
  policy->scheduled_rotation.reset();
  return t.Put(policy_key, model::EncodeRotationPolicy(*policy));
}

StatusOr<KeyView> KeyService::Delete(const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  UnixSeconds now = clock_.Now();
  std::optional<HeadAndLatest<model::KeyVersion>> found;
  RETURN_IF_ERROR(UpdateKey(vault.id, loc.mac, [&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(found, ReadHeadAndLatest(t, loc.live_key, vault.id, kKind, loc.mac,
                                              ObjectNotFound(kKind, name), ReadKeyVersion));
    RETURN_IF_ERROR(SoftDeleteHead(t, vault, kKind, loc.mac, found->head, now));
    return Unschedule(t, vault.id, loc.mac);  // a deleted key is not rotated
  }));
  return MakeView(vault.id, loc.mac, found->head.name, std::move(found->latest),
                  found->head.deleted);
}

StatusOr<KeyView> KeyService::GetDeleted(const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  std::optional<HeadAndLatest<model::KeyVersion>> found;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(found, ReadHeadAndLatest(t, loc.deleted_key, vault.id, kKind, loc.mac,
                                              DeletedObjectNotFound(kKind, name), ReadKeyVersion));
    return OkStatus();
  }));
  return MakeView(vault.id, loc.mac, found->head.name, std::move(found->latest),
                  found->head.deleted);
}

StatusOr<KeyPage> KeyService::ListDeleted(const model::VaultRecord& vault, size_t max_results,
                                          std::string_view page_token) {
  KeyPage page;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(
        page.next_token,
        ScanPage(t, keys_, vault.id + "/deletedkeys", Keyspace::DeletedPrefix(vault.id, kKind),
                 page_token, max_results, [&](std::string_view mac, const SecretBytes& record) {
                   ASSIGN_OR_RETURN(model::ObjectHead head, model::DecodeObjectHead(record.view()));
                   ASSIGN_OR_RETURN(auto v, ReadKeyVersion(t, Keyspace::VersionKey(
                                                                  vault.id, kKind, mac,
                                                                  head.latest_version)));
                   if (!v) return MissingLatest();
                   v->material.Wipe();
                   page.items.push_back(KeyView{head.name, std::move(*v), {}, head.deleted});
                   return OkStatus();
                 }));
    return OkStatus();
  }));
  return page;
}

StatusOr<KeyView> KeyService::Recover(const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  std::optional<model::ObjectHead> head;
  std::optional<model::KeyVersion> latest;
  RETURN_IF_ERROR(UpdateKey(vault.id, loc.mac, [&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(head, ReadHead(t, loc.deleted_key));
    if (!head) return DeletedObjectNotFound(kKind, name);
    ASSIGN_OR_RETURN(latest, ReadKeyVersion(t, Keyspace::VersionKey(vault.id, kKind, loc.mac,
                                                                    head->latest_version)));
    if (!latest) return MissingLatest();
    RETURN_IF_ERROR(RecoverHead(t, vault.id, kKind, loc.mac, *head));
    return Reschedule(t, vault.id, loc.mac, *latest);
  }));
  return MakeView(vault.id, loc.mac, head->name, std::move(*latest), std::nullopt);
}

Status KeyService::Purge(const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  RETURN_IF_ERROR(UpdateKey(vault.id, loc.mac, [&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.deleted_key));
    if (!head) return DeletedObjectNotFound(kKind, name);
    if (vault.purge_protection) return PurgeProtected();
    return PurgeObject(t, vault.id, kKind, loc.mac, *head);
  }));
  ForgetCached(vault.id, loc.mac);
  return OkStatus();
}

StatusOr<KeyObject> KeyService::ExportObject(const model::VaultRecord& vault,
                                             std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  KeyObject out;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) return ObjectNotFound(kKind, name);
    ASSIGN_OR_RETURN(auto versions, t.Scan(Keyspace::VersionPrefix(vault.id, kKind, loc.mac), "",
                                           kMaxKeyVersionsPerBackup + 1));
    if (versions.size() > kMaxKeyVersionsPerBackup) {
      return FailedPreconditionError(
          "The key has more than 500 versions; Key Vault cannot back up such an object.",
          "BadParameter");
    }
    out.name = head->name;
    out.created = head->created;
    for (auto& [key, plain] : versions) {
      ASSIGN_OR_RETURN(model::KeyVersion v, model::DecodeKeyVersion(plain.view()));
      out.versions.push_back(std::move(v));
    }
    ASSIGN_OR_RETURN(out.policy,
                     ReadRotationPolicy(t, Keyspace::RotationPolicyKey(vault.id, loc.mac)));
    if (out.policy) out.policy->scheduled_rotation.reset();
    return OkStatus();
  }));
  std::sort(out.versions.begin(), out.versions.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  return out;
}

StatusOr<KeyView> KeyService::RestoreObject(const model::VaultRecord& vault,
                                            const KeyObject& object) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, object.name));
  if (object.versions.empty() || object.versions.size() > kMaxKeyVersionsPerBackup) {
    return Bad("A key backup must hold between 1 and 500 versions.");
  }
  for (const auto& v : object.versions) {
    if (!IsVersionId(v.version) || !crypto::KeyMaterial::Deserialize(v.material.view()).ok()) {
      return Bad("The backup holds an invalid key version.");
    }
  }
  std::vector<model::KeyVersion> versions = object.versions;
  model::ObjectHead head = HeadForRestoredVersions(object.name, object.created, versions);
  RETURN_IF_ERROR(UpdateKey(vault.id, loc.mac, [&](barrier::Txn& t) -> Status {
    RETURN_IF_ERROR(CheckRestoreTarget(t, kKind, loc.live_key, loc.deleted_key));
    for (const auto& v : versions) {
      RETURN_IF_ERROR(t.Put(Keyspace::VersionKey(vault.id, kKind, loc.mac, v.version),
                            model::EncodeKeyVersion(v)));
    }
    RETURN_IF_ERROR(WriteHead(t, loc.live_key, head));
    std::string policy_key = Keyspace::RotationPolicyKey(vault.id, loc.mac);
    RETURN_IF_ERROR(t.Delete(policy_key));  // a stale one would carry a foreign schedule
    if (object.policy) {
      model::RotationPolicy policy = *object.policy;
      policy.scheduled_rotation.reset();
      RETURN_IF_ERROR(t.Put(policy_key, model::EncodeRotationPolicy(policy)));
      RETURN_IF_ERROR(Reschedule(t, vault.id, loc.mac, versions.back()));
    }
    return OkStatus();
  }));
  return MakeView(vault.id, loc.mac, head.name, versions.back(), std::nullopt);
}

StatusOr<KeyView> KeyService::Rotate(const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  std::string display;
  std::optional<model::KeyVersion> latest;
  std::optional<model::RotationPolicy> policy;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto found, ReadHeadAndLatest(t, loc.live_key, vault.id, kKind, loc.mac,
                                                   ObjectNotFound(kKind, name), ReadKeyVersion));
    latest = std::move(found.latest);
    ASSIGN_OR_RETURN(policy, ReadRotationPolicy(t, Keyspace::RotationPolicyKey(vault.id, loc.mac)));
    display = found.head.name;
    return OkStatus();
  }));
  ASSIGN_OR_RETURN(auto old_material, Material(vault.id, loc.mac, *latest));
  StatusOr<crypto::KeyMaterial> fresh = old_material->Regenerate();
  if (!fresh.ok()) return fresh.status();
  model::KeyVersion next;
  next.kty = latest->kty;
  next.key_ops = latest->key_ops;
  next.tags = latest->tags;
  next.exportable = latest->exportable;
  next.managed = latest->managed;
  ASSIGN_OR_RETURN(next.material, fresh->Serialize());
  UnixSeconds now = clock_.Now();
  next.attributes.created = now;
  next.attributes.updated = now;
  if (policy && !policy->expiry_time.empty()) {
    if (auto d = model::ParseIsoDuration(policy->expiry_time)) next.attributes.expires = now + *d;
  }
  return WriteNewVersion(vault, display, loc, std::move(next),
                         std::make_shared<const crypto::KeyMaterial>(std::move(*fresh)));
}

StatusOr<RotationPolicyView> KeyService::GetRotationPolicy(const model::VaultRecord& vault,
                                                           std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  RotationPolicyView out;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) return ObjectNotFound(kKind, name);
    out.name = head->name;
    ASSIGN_OR_RETURN(out.policy,
                     ReadRotationPolicy(t, Keyspace::RotationPolicyKey(vault.id, loc.mac)));
    return OkStatus();
  }));
  return out;
}

StatusOr<RotationPolicyView> KeyService::SetRotationPolicy(const model::VaultRecord& vault,
                                                           std::string_view name,
                                                           const RotationPolicyParams& params) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  if (params.lifetime_actions.size() + 1 > model::kMaxLifetimeActions) {
    return Bad("A rotation policy may have at most 15 lifetime actions.");
  }
  std::optional<int64_t> expiry;
  if (!params.expiry_time.empty()) {
    expiry = model::ParseIsoDuration(params.expiry_time);
    if (!expiry) {
      return Bad("expiryTime '" + params.expiry_time.substr(0, 32) +
                 "' is not an ISO-8601 duration such as P90D or P2Y.");
    }
    if (*expiry < kMinExpiryTimeSeconds) {
      return Bad("expiryTime must be at least 28 days (P28D).");
    }
  }
  bool has_notify = false;
  for (const auto& a : params.lifetime_actions) {
    auto d = model::ParseIsoDuration(a.duration);
    if (!d || a.duration.size() > 32) {
      return Bad("The lifetime action trigger '" + a.duration.substr(0, 32) +
                 "' is not an ISO-8601 duration such as P30D.");
    }
    if (a.action == model::LifetimeActionType::kNotify) {
      has_notify = true;
      if (a.trigger != model::LifetimeTrigger::kTimeBeforeExpiry) {
        return Bad("A Notify action needs a timeBeforeExpiry trigger.");
      }
    }
    if (a.trigger == model::LifetimeTrigger::kTimeBeforeExpiry && expiry && *d >= *expiry) {
      return Bad("A timeBeforeExpiry trigger must be shorter than the policy's expiryTime.");
    }
  }
  UnixSeconds now = clock_.Now();
  RotationPolicyView out;
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto found, ReadHeadAndLatest(t, loc.live_key, vault.id, kKind, loc.mac,
                                                   ObjectNotFound(kKind, name), ReadKeyVersion));
    std::string policy_key = Keyspace::RotationPolicyKey(vault.id, loc.mac);
    ASSIGN_OR_RETURN(auto old, ReadRotationPolicy(t, policy_key));
    model::RotationPolicy policy;
    policy.lifetime_actions = params.lifetime_actions;
    if (!has_notify) {
      policy.lifetime_actions.push_back({model::LifetimeTrigger::kTimeBeforeExpiry, "P30D",
                                         model::LifetimeActionType::kNotify});
    }
    policy.expiry_time = params.expiry_time;
    policy.created = old ? old->created : now;
    policy.updated = now;
    policy.scheduled_rotation = old ? old->scheduled_rotation : std::nullopt;
    RETURN_IF_ERROR(t.Put(policy_key, model::EncodeRotationPolicy(policy)));
    RETURN_IF_ERROR(Reschedule(t, vault.id, loc.mac, found.latest));
    ASSIGN_OR_RETURN(out.policy, ReadRotationPolicy(t, policy_key));
    out.name = found.head.name;
    return OkStatus();
  }));
  return out;
}

Status KeyService::RotateIfDue(std::string_view vault_id, std::string_view mac,
                               std::string_view due_key, UnixSeconds due, UnixSeconds now) {
  bool rotate = false;
  std::string display;
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, Keyspace::LiveKey(vault_id, kKind, mac)));
    ASSIGN_OR_RETURN(auto policy,
                     ReadRotationPolicy(t, Keyspace::RotationPolicyKey(vault_id, mac)));
    rotate = head && policy && policy->scheduled_rotation == due && due <= now;
    if (head) display = head->name;
    if (!rotate) return t.Delete(due_key);  // stale: the schedule moved or the key is gone
    return OkStatus();
  }));
  if (!rotate) return OkStatus();
  // Rotate needs only the vault id (and retention, unused for a live key).
  model::VaultRecord vault;
  vault.id = std::string(vault_id);
  auto rotated = Rotate(vault, display);
  if (!rotated.ok()) return rotated.status();
  // The new version rescheduled the rotation; drop the entry just processed unless it is the
  // new one (it cannot be: the new schedule is later than `due`).
  return barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto policy,
                     ReadRotationPolicy(t, Keyspace::RotationPolicyKey(vault_id, mac)));
    if (policy && policy->scheduled_rotation == due) return OkStatus();
    return t.Delete(due_key);
  });
}

}  // namespace coffer::vault
