// KeyService: rotation (manual and by policy through the sweeper) and rotation policies. The
// schedule itself (the policy's scheduled time and its due entry) follows the latest version
// through KeyTraits (kind_traits.h).
#include "vault/key_service.h"
#include "vault/object_records.h"

namespace coffer::vault {

using model::ObjectKind;
static constexpr ObjectKind kKind = ObjectKind::kKey;

namespace {

constexpr int64_t kMinExpiryTimeSeconds = 28 * 86400;

Status Bad(std::string message) { return InvalidArgumentError(std::move(message), "BadParameter"); }

}  // namespace

StatusOr<KeyView> KeyService::Rotate(const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  std::string display;
  std::optional<model::KeyVersion> latest;
  std::optional<model::RotationPolicy> policy;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto found, store_.ReadLatest(t, loc, name));
    latest = std::move(found.version);
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
  next.release_policy = latest->release_policy;
  next.managed = latest->managed;
  ASSIGN_OR_RETURN(next.material, fresh->Serialize());
  UnixSeconds now = clock_.Now();
  next.attributes.created = now;
  next.attributes.updated = now;
  if (policy && !policy->expiry_time.empty()) {
    if (auto d = model::ParseIsoDuration(policy->expiry_time)) next.attributes.expires = now + *d;
  }
  return WriteNewVersion(vault, display, loc, std::move(next),
                         std::make_shared<const crypto::KeyMaterial>(std::move(*fresh)), "rotate");
}

StatusOr<RotationPolicyView> KeyService::GetRotationPolicy(const model::VaultRecord& vault,
                                                           std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  RotationPolicyView out;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(model::ObjectHead head, store_.ReadLiveHead(t, loc, name));
    out.name = head.name;
    ASSIGN_OR_RETURN(out.policy,
                     ReadRotationPolicy(t, Keyspace::RotationPolicyKey(vault.id, loc.mac)));
    return OkStatus();
  }));
  return out;
}

StatusOr<RotationPolicyView> KeyService::SetRotationPolicy(const model::VaultRecord& vault,
                                                           std::string_view name,
                                                           const RotationPolicyParams& params) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
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
    ASSIGN_OR_RETURN(auto found, store_.ReadLatest(t, loc, name));
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
    RETURN_IF_ERROR(RescheduleRotation(t, loc, found.version));
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
    ASSIGN_OR_RETURN(auto head, ReadHead(t, Keyspace::At(vault_id, kKind, mac).live_key));
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
