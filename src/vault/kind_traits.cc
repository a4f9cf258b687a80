#include "vault/kind_traits.h"

#include <functional>

#include "crypto/key_material.h"
#include "vault/object_records.h"

namespace coffer::vault {

SecretBytes SecretTraits::Encode(const model::SecretVersion& v) const {
  return model::EncodeSecretVersion(v);
}

StatusOr<model::SecretVersion> SecretTraits::Decode(std::string_view record) const {
  return model::DecodeSecretVersion(record);
}

bool SecretTraits::Restorable(const model::SecretVersion& v) const {
  return v.value.size() <= model::kMaxSecretValueBytes;
}

std::string SecretTraits::CacheTopic(std::string_view vault_id, std::string_view mac) {
  std::string topic(kTopicPrefix);
  topic += vault_id;
  topic += '/';
  topic += mac;
  topic += '/';
  return topic;
}

void SecretTraits::AfterWrite(TxnEffects& effects, const ObjectLocation& loc) const {
  effects.Publish(CacheTopic(loc.vault_id, loc.mac));
}

void SecretTraits::AfterPurge(TxnEffects& effects, const ObjectLocation& loc) const {
  effects.Publish(CacheTopic(loc.vault_id, loc.mac));
}

SecretBytes KeyTraits::Encode(const model::KeyVersion& v) const {
  return model::EncodeKeyVersion(v);
}

StatusOr<model::KeyVersion> KeyTraits::Decode(std::string_view record) const {
  return model::DecodeKeyVersion(record);
}

bool KeyTraits::Restorable(const model::KeyVersion& v) const {
  return crypto::KeyMaterial::Deserialize(v.material.view()).ok();
}

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

namespace {

using NextFn = std::function<std::optional<UnixSeconds>(const model::RotationPolicy&)>;

// Replaces the policy's scheduled rotation (and its due entry) by next_of(policy); nothing when
// the key has no policy.
Status Schedule(barrier::Txn& t, const ObjectLocation& loc, const NextFn& next_of) {
  std::string policy_key = Keyspace::RotationPolicyKey(loc.vault_id, loc.mac);
  ASSIGN_OR_RETURN(auto policy, ReadRotationPolicy(t, policy_key));
  if (!policy) return OkStatus();
  std::optional<UnixSeconds> next = next_of(*policy);
  if (next == policy->scheduled_rotation) return OkStatus();
  if (policy->scheduled_rotation) {
    RETURN_IF_ERROR(t.Delete(Keyspace::DueKey(
        DueEntry::RotateKey(*policy->scheduled_rotation, loc.vault_id, loc.mac))));
  }
  if (next) {
    RETURN_IF_ERROR(
        t.Put(Keyspace::DueKey(DueEntry::RotateKey(*next, loc.vault_id, loc.mac)), SecretBytes()));
  }
  policy->scheduled_rotation = next;
  return t.Put(policy_key, model::EncodeRotationPolicy(*policy));
}

}  // namespace

Status RescheduleRotation(barrier::Txn& t, const ObjectLocation& loc,
                          const model::KeyVersion& latest) {
  return Schedule(t, loc, [&](const model::RotationPolicy& p) { return NextRotation(p, latest); });
}

Status KeyTraits::OnNewLatest(barrier::Txn& t, const ObjectLocation& loc,
                              const model::KeyVersion& latest) const {
  return RescheduleRotation(t, loc, latest);
}

Status KeyTraits::OnSoftDeleted(barrier::Txn& t, const ObjectLocation& loc) const {
  return Schedule(t, loc, [](const model::RotationPolicy&) { return std::optional<UnixSeconds>(); });
}

Status KeyTraits::OnPurged(barrier::Txn& t, const ObjectLocation& loc) const {
  std::string policy_key = Keyspace::RotationPolicyKey(loc.vault_id, loc.mac);
  ASSIGN_OR_RETURN(auto policy, ReadRotationPolicy(t, policy_key));
  if (!policy) return OkStatus();
  if (policy->scheduled_rotation) {
    RETURN_IF_ERROR(t.Delete(Keyspace::DueKey(
        DueEntry::RotateKey(*policy->scheduled_rotation, loc.vault_id, loc.mac))));
  }
  return t.Delete(policy_key);
}

}  // namespace coffer::vault
