// KindTraits: what the object store (object_store.h) needs to know of one kind of versioned
// object, and the traits of secrets and keys: their version record codecs, what a list item
// must not carry, and — for keys — the hooks that keep the rotation schedule (the policy's
// scheduled time and its "due/…/r/…" entry) in step with the key's latest version and remove
// it with the key. A certificate kind adds its own traits here.
//
// Thread-safety: stateless; safe to share.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "model/certificate_policy.h"
#include "model/certificate_schedule.h"
#include "model/certificate_version.h"
#include "model/key_version.h"
#include "model/object.h"
#include "vault/keyspace.h"
#include "vault/txn_effects.h"

namespace coffer::vault {

// The part of a kind's traits that does not depend on its version type: enough for the sweeper
// to purge an object of any kind. Hooks run inside the caller's transaction; the After* ones
// add to its effects. The defaults do nothing.
class KindHooks {
 public:
  explicit KindHooks(model::ObjectKind kind) : kind_(kind) {}
  virtual ~KindHooks() = default;
  model::ObjectKind kind() const { return kind_; }

  // The object was just soft-deleted (its head moved to the deleted area).
  virtual Status OnSoftDeleted(barrier::Txn&, const ObjectLocation&) const { return OkStatus(); }
  // The object's versions and head were just removed for good.
  virtual Status OnPurged(barrier::Txn&, const ObjectLocation&) const { return OkStatus(); }
  // After any write to the object's head or versions.
  virtual void AfterWrite(TxnEffects&, const ObjectLocation&) const {}
  // After a purge.
  virtual void AfterPurge(TxnEffects&, const ObjectLocation&) const {}

 private:
  model::ObjectKind kind_;
};

// Per-kind traits with the version type V (model::SecretVersion, model::KeyVersion, …). V has
// `version` (32 hex), `sequence` and `attributes`.
template <typename V>
class KindTraits : public KindHooks {
 public:
  using Version = V;
  using KindHooks::KindHooks;

  virtual SecretBytes Encode(const V& version) const = 0;
  virtual StatusOr<V> Decode(std::string_view record) const = 0;
  // Clears what a list item or summary must not carry (a secret's value, a key's material).
  virtual void Wipe(V& version) const = 0;
  // Whether a version from a backup may be written (beyond its id, which the store checks).
  virtual bool Restorable(const V&) const { return true; }
  // `latest` is the object's latest version after a write that may change what the kind
  // schedules from it (a new version, an update of the latest, recovery).
  virtual Status OnNewLatest(barrier::Txn&, const ObjectLocation&, const V&) const {
    return OkStatus();
  }
};

// Every write of a secret (by the Secrets API, a certificate's managed secret, a restore)
// publishes CacheTopic, "secret/<vault id>/<name MAC>/": SecretService's read cache hears it
// on this node through the barrier and on the others through the cache feed.
class SecretTraits : public KindTraits<model::SecretVersion> {
 public:
  SecretTraits() : KindTraits(model::ObjectKind::kSecret) {}
  SecretBytes Encode(const model::SecretVersion& v) const override;
  StatusOr<model::SecretVersion> Decode(std::string_view record) const override;
  void Wipe(model::SecretVersion& v) const override { v.value.Wipe(); }
  bool Restorable(const model::SecretVersion& v) const override;
  void AfterWrite(TxnEffects& effects, const ObjectLocation& loc) const override;
  void AfterPurge(TxnEffects& effects, const ObjectLocation& loc) const override;

  static constexpr std::string_view kTopicPrefix = "secret/";
  static std::string CacheTopic(std::string_view vault_id, std::string_view mac);
};

// Without caches: what the sweeper needs to purge a key when no KeyService is attached.
// KeyService derives from it to drop its caches after each write.
class KeyTraits : public KindTraits<model::KeyVersion> {
 public:
  KeyTraits() : KindTraits(model::ObjectKind::kKey) {}
  SecretBytes Encode(const model::KeyVersion& v) const override;
  StatusOr<model::KeyVersion> Decode(std::string_view record) const override;
  void Wipe(model::KeyVersion& v) const override { v.material.Wipe(); }
  bool Restorable(const model::KeyVersion& v) const override;
  // Reschedules the next rotation from the new latest version.
  Status OnNewLatest(barrier::Txn& t, const ObjectLocation& loc,
                     const model::KeyVersion& latest) const override;
  // A deleted key is not rotated.
  Status OnSoftDeleted(barrier::Txn& t, const ObjectLocation& loc) const override;
  // Removes the rotation policy and its due entry.
  Status OnPurged(barrier::Txn& t, const ObjectLocation& loc) const override;
};

// A certificate's versions; its policy and operation (certificate_service.h) go with it on purge.
// The codec and OnPurged are defined in certificate_service.cc, the lifetime-action hooks in
// certificate_schedule.cc.
class CertificateTraits : public KindTraits<model::CertificateVersion> {
 public:
  CertificateTraits() : KindTraits(model::ObjectKind::kCertificate) {}
  SecretBytes Encode(const model::CertificateVersion& v) const override;
  StatusOr<model::CertificateVersion> Decode(std::string_view record) const override;
  void Wipe(model::CertificateVersion&) const override {}
  // Reschedules the lifetime actions from the new latest version (RescheduleLifetimeActions).
  Status OnNewLatest(barrier::Txn& t, const ObjectLocation& loc,
                     const model::CertificateVersion& latest) const override;
  // A deleted certificate takes no lifetime action: its due entry goes.
  Status OnSoftDeleted(barrier::Txn& t, const ObjectLocation& loc) const override;
  // Removes the policy, the operation, the lifetime schedule and its due entry.
  Status OnPurged(barrier::Txn& t, const ObjectLocation& loc) const override;
};

// Next rotation time of `latest` under `policy`, if any Rotate action applies.
std::optional<UnixSeconds> NextRotation(const model::RotationPolicy& policy,
                                        const model::KeyVersion& latest);
// Moves the key's "due/…/r/…" entry (and the policy's scheduled time) to the next rotation of
// `latest`; nothing when the key has no policy (inside t).
Status RescheduleRotation(barrier::Txn& t, const ObjectLocation& loc,
                          const model::KeyVersion& latest);

// Certificate lifetime actions (certificate_schedule.cc). Which of the stored policy's lifetime
// actions of `latest` (the certificate's latest version) are still to be taken: those not done
// for it (`schedule`, when it is for `latest`), of an issued version, AutoRenew only for issuer
// Self and an enabled version. Each comes with its trigger time.
struct PendingLifetimeAction {
  model::CertificateActionType action;
  UnixSeconds at;
};
std::vector<PendingLifetimeAction> PendingLifetimeActions(
    const std::optional<model::CertificatePolicy>& policy, const model::CertificateVersion& latest,
    const std::optional<model::CertificateSchedule>& schedule);
// The certificate's stored policy and schedule, if any (inside t).
StatusOr<std::optional<model::CertificatePolicy>> ReadCertificatePolicy(barrier::Txn& t,
                                                                        const ObjectLocation& loc);
StatusOr<std::optional<model::CertificateSchedule>> ReadCertificateSchedule(
    barrier::Txn& t, const ObjectLocation& loc);
// Recomputes the certificate's schedule from `latest` and its stored policy (inside t): its
// "due/…/l/…" entry moves to the earliest pending action, or goes when none is pending; a new
// latest version starts with no action done. Call after the policy or the latest version changed.
Status RescheduleLifetimeActions(barrier::Txn& t, const ObjectLocation& loc,
                                 const model::CertificateVersion& latest);
// Records that `action` was taken for `latest`, then reschedules as above.
Status MarkLifetimeActionDone(barrier::Txn& t, const ObjectLocation& loc,
                              const model::CertificateVersion& latest,
                              model::CertificateActionType action);
// Removes the schedule and its due entry (inside t), when the certificate is purged.
Status ForgetLifetimeSchedule(barrier::Txn& t, const ObjectLocation& loc);

}  // namespace coffer::vault
