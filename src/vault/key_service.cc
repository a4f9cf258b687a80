#include "vault/key_service.h"

#include <algorithm>

#include "core/encoding.h"
#include "vault/object_records.h"

namespace coffer::vault {

using model::ObjectKind;
static constexpr ObjectKind kKind = ObjectKind::kKey;

namespace {

Status Bad(std::string message) { return InvalidArgumentError(std::move(message), "BadParameter"); }

// "RSA-HSM" → kRsa; nullopt for an unknown kty.
std::optional<crypto::KeyType> BaseType(std::string_view kty) {
  if (kty == "RSA" || kty == "RSA-HSM") return crypto::KeyType::kRsa;
  if (kty == "EC" || kty == "EC-HSM") return crypto::KeyType::kEc;
  if (kty == "oct" || kty == "oct-HSM") return crypto::KeyType::kOct;
  return std::nullopt;
}

Status UnknownKty(std::string_view kty) {
  return Bad("The key type (kty) '" + std::string(kty.substr(0, 32)) +
             "' is not supported; use RSA, RSA-HSM, EC, EC-HSM, oct or oct-HSM.");
}

std::vector<std::string> DefaultKeyOps(crypto::KeyType type) {
  switch (type) {
    case crypto::KeyType::kRsa:
      return {"encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"};
    case crypto::KeyType::kEc: return {"sign", "verify"};
    case crypto::KeyType::kOct: return {"encrypt", "decrypt", "wrapKey", "unwrapKey"};
  }
  return {};
}

StatusOr<std::vector<std::string>> NormalizeKeyOps(const std::vector<std::string>& ops) {
  if (ops.size() > model::kMaxKeyOps) return Bad("key_ops may list at most 16 operations.");
  std::vector<std::string> out;
  for (const auto& op : ops) {
    auto canonical = CanonicalKeyOperation(op);
    if (!canonical) {
      return Bad("The key operation '" + op.substr(0, 32) +
                 "' is not supported; use encrypt, decrypt, sign, verify, wrapKey, unwrapKey, "
                 "import or export.");
    }
    if (std::find(out.begin(), out.end(), *canonical) == out.end()) out.push_back(*canonical);
  }
  return out;
}

// Azure's rule for secure key release: an exportable key needs a release policy, and a release
// policy needs an exportable key (both messages name "exportable", which the SDKs' tests match).
Status CheckExportable(bool exportable, bool has_policy) {
  if (exportable && !has_policy) {
    return InvalidArgumentError(
        "An exportable key must have a release policy: add release_policy, or create the key "
        "with attributes.exportable false.",
        "BadParameter");
  }
  if (!exportable && has_policy) {
    return InvalidArgumentError(
        "A release policy is allowed only on an exportable key: set attributes.exportable to "
        "true.",
        "BadParameter");
  }
  return OkStatus();
}

// The fields of a new version that create and import requests share.
template <typename Params>
Status SetRequestedFields(const Params& params, UnixSeconds now, model::KeyVersion& version) {
  version.attributes = NewAttributes(params, now);
  version.exportable = params.exportable.value_or(false);
  version.tags = params.tags.value_or(model::Tags{});
  RETURN_IF_ERROR(CheckExportable(version.exportable, params.release_policy.has_value()));
  version.release_policy = params.release_policy;
  return OkStatus();
}

}  // namespace

std::optional<std::string> CanonicalKeyOperation(std::string_view op) {
  for (std::string_view known : {"encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey",
                                 "import", "export"}) {
    if (EqualsIgnoreCase(op, known)) return std::string(known);
  }
  return std::nullopt;
}

KeyService::KeyService(barrier::Barrier& barrier, const Clock& clock, Random& rng)
    : ObjectLifecycle(barrier, clock, store_), rng_(rng), keys_(barrier) {}

StatusOr<KeyView> KeyService::Create(const model::VaultRecord& vault, std::string_view name,
                                     const KeyCreateParams& params) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  auto type = BaseType(params.kty);
  if (!type) return UnknownKty(params.kty);
  model::KeyVersion version;
  version.kty = params.kty;
  if (params.key_ops) {
    ASSIGN_OR_RETURN(version.key_ops, NormalizeKeyOps(*params.key_ops));
  } else {
    version.key_ops = DefaultKeyOps(*type);
  }
  if (params.tags) RETURN_IF_ERROR(ValidateTags(kKind, *params.tags));

  StatusOr<crypto::KeyMaterial> generated = Bad("unreachable");
  switch (*type) {
    case crypto::KeyType::kRsa: {
      int bits = params.key_size.value_or(2048);
      if (bits != 2048 && bits != 3072 && bits != 4096) {
        return Bad("RSA key_size " + std::to_string(bits) +
                   " is not supported; use 2048, 3072 or 4096.");
      }
      generated = crypto::KeyMaterial::GenerateRsa(bits, params.public_exponent.value_or(65537));
      break;
    }
    case crypto::KeyType::kEc: {
      std::string crv = params.crv.value_or("P-256");
      if (crv != "P-256" && crv != "P-384" && crv != "P-521" && crv != "P-256K") {
        return Bad("The curve (crv) '" + crv.substr(0, 32) +
                   "' is not supported; use P-256, P-384, P-521 or P-256K.");
      }
      generated = crypto::KeyMaterial::GenerateEc(crv);
      break;
    }
    case crypto::KeyType::kOct: {
      int bits = params.key_size.value_or(256);
      if (bits != 128 && bits != 192 && bits != 256) {
        return Bad("oct key_size " + std::to_string(bits) +
                   " is not supported; use 128, 192 or 256.");
      }
      generated = crypto::KeyMaterial::GenerateOct(bits);
      break;
    }
  }
  if (!generated.ok()) return generated.status();
  ASSIGN_OR_RETURN(version.material, generated->Serialize());
  RETURN_IF_ERROR(SetRequestedFields(params, clock_.Now(), version));
  return WriteNewVersion(vault, name, loc, std::move(version),
                         std::make_shared<const crypto::KeyMaterial>(std::move(*generated)),
                         "create");
}

StatusOr<KeyView> KeyService::Import(const model::VaultRecord& vault, std::string_view name,
                                     const KeyImportParams& params) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  auto type = BaseType(params.jwk.kty);
  if (!type) return UnknownKty(params.jwk.kty);
  if (params.tags) RETURN_IF_ERROR(ValidateTags(kKind, *params.tags));
  crypto::JwkParts jwk = params.jwk;
  std::string kty = jwk.kty;
  if (kty.ends_with("-HSM")) jwk.kty = kty.substr(0, kty.size() - 4);
  if (params.hsm && !kty.ends_with("-HSM")) kty += "-HSM";
  ASSIGN_OR_RETURN(crypto::KeyMaterial material, crypto::KeyMaterial::FromJwk(jwk));

  model::KeyVersion version;
  version.kty = kty;
  if (params.key_ops) {
    ASSIGN_OR_RETURN(version.key_ops, NormalizeKeyOps(*params.key_ops));
  } else {
    version.key_ops = DefaultKeyOps(*type);
  }
  ASSIGN_OR_RETURN(version.material, material.Serialize());
  RETURN_IF_ERROR(SetRequestedFields(params, clock_.Now(), version));
  return WriteNewVersion(vault, name, loc, std::move(version),
                         std::make_shared<const crypto::KeyMaterial>(std::move(material)),
                         "import");
}

StatusOr<KeyView> KeyService::WriteNewVersion(
    const model::VaultRecord& vault, std::string_view name, const ObjectLocation& loc,
    model::KeyVersion version, std::shared_ptr<const crypto::KeyMaterial> material,
    std::string_view op) {
  version.version = EncodeHex(rng_.Bytes(16));
  // KeyTraits reschedule the rotation from the new version.
  auto write = [&](barrier::Txn& t,
                   TxnEffects& effects) -> StatusOr<StoredObject<model::KeyVersion>> {
    RETURN_IF_ERROR(store_.CheckNotManaged(t, loc, op));
    return store_.AddVersion(t, effects, loc, name, version);
  };
  ASSIGN_OR_RETURN(auto added, WriteInTxn(barrier_, write));
  // The material just written is current: seed the cache so that the first operation does not
  // parse it again.
  materials_.Insert(CacheKey(vault.id, loc.mac, added.version.version), std::move(material));
  return View(vault.id, loc.mac, std::move(added));
}

StatusOr<KeyView> KeyService::MakeView(std::string_view vault_id, std::string_view mac,
                                       std::string name, model::KeyVersion v,
                                       std::optional<model::DeletedInfo> deleted) {
  ASSIGN_OR_RETURN(auto material, Material(vault_id, mac, v));
  KeyView out;
  out.name = std::move(name);
  out.public_key = material->PublicJwk();
  v.material.Wipe();
  out.version = std::move(v);
  out.deleted = deleted;
  return out;
}

StatusOr<KeyView> KeyService::Update(const model::VaultRecord& vault, std::string_view name,
                                     std::string_view version, const KeyPatch& patch) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  RETURN_IF_ERROR(ValidateVersionSyntax(kKind, name, version));
  if (patch.tags) RETURN_IF_ERROR(ValidateTags(kKind, *patch.tags));
  std::optional<std::vector<std::string>> ops;
  if (patch.key_ops) {
    ASSIGN_OR_RETURN(ops, NormalizeKeyOps(*patch.key_ops));
  }
  Status refused;
  auto apply = [&](model::KeyVersion& v) {
    if (patch.release_policy) {
      if (v.release_policy && v.release_policy->immutable &&
          *v.release_policy != *patch.release_policy) {
        refused = InvalidArgumentError(
            "Immutable Key Release Policy: the release policy of key '" + std::string(name) +
                "' was created immutable and cannot be changed.",
            "BadParameter");
        return;
      }
      if (Status s = CheckExportable(v.exportable, true); !s.ok()) {
        refused = s;
        return;
      }
      v.release_policy = *patch.release_policy;
    }
    if (ops) v.key_ops = *ops;
    ApplyAttributePatch(patch, v, clock_.Now());
  };
  // A new exp of the latest version moves timeBeforeExpiry rotations (KeyTraits).
  auto write = [&](barrier::Txn& t,
                   TxnEffects& effects) -> StatusOr<StoredObject<model::KeyVersion>> {
    RETURN_IF_ERROR(store_.CheckNotManaged(t, loc, "update"));
    auto result = store_.UpdateVersion(t, effects, loc, name, version, apply);
    if (!refused.ok()) return refused;  // aborts the transaction: nothing is written
    return result;
  };
  ASSIGN_OR_RETURN(auto updated, WriteInTxn(barrier_, write));
  return View(vault.id, loc.mac, std::move(updated));
}

StatusOr<KeyObject> KeyService::ExportObject(const model::VaultRecord& vault,
                                             std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  return ReadInTxn(barrier_, [&](barrier::Txn& t) -> StatusOr<KeyObject> {
    ASSIGN_OR_RETURN(auto stored, store_.Export(t, loc, name, kMaxVersionsPerBackup));
    KeyObject out{std::move(stored.head.name), stored.head.created, std::move(stored.versions),
                  std::nullopt};
    // The schedule belongs to the source; the restore makes its own.
    ASSIGN_OR_RETURN(out.policy,
                     ReadRotationPolicy(t, Keyspace::RotationPolicyKey(vault.id, loc.mac)));
    if (out.policy) out.policy->scheduled_rotation.reset();
    return out;
  });
}

StatusOr<KeyView> KeyService::RestoreObject(const model::VaultRecord& vault,
                                            const KeyObject& object) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, object.name));
  RETURN_IF_ERROR(store_.ValidateImport(object.versions, kMaxVersionsPerBackup));
  auto restore = [&](barrier::Txn& t,
                     TxnEffects& effects) -> StatusOr<StoredObject<model::KeyVersion>> {
    ASSIGN_OR_RETURN(auto restored, store_.Import(t, effects, loc, object.name, object.created,
                                                  object.versions));
    std::string policy_key = Keyspace::RotationPolicyKey(vault.id, loc.mac);
    RETURN_IF_ERROR(t.Delete(policy_key));  // a stale one would carry a foreign schedule
    if (object.policy) {
      model::RotationPolicy policy = *object.policy;
      policy.scheduled_rotation.reset();
      RETURN_IF_ERROR(t.Put(policy_key, model::EncodeRotationPolicy(policy)));
      RETURN_IF_ERROR(RescheduleRotation(t, loc, restored.version));
    }
    return restored;
  };
  ASSIGN_OR_RETURN(auto restored, WriteInTxn(barrier_, restore));
  return View(vault.id, loc.mac, std::move(restored));
}

StatusOr<KeyView> KeyService::View(std::string_view vault_id, std::string_view mac,
                                   StoredObject<model::KeyVersion> found) {
  return MakeView(vault_id, mac, std::move(found.head.name), std::move(found.version),
                  found.head.deleted);
}

void KeyService::CachingTraits::AfterWrite(TxnEffects& effects, const ObjectLocation& loc) const {
  effects.Publish(CacheTopic(loc.vault_id, loc.mac));
  effects.Add([&service = service_, prefix = CacheKey(loc.vault_id, loc.mac, "")] {
    service.versions_.ErasePrefix(prefix);
  });
}

void KeyService::CachingTraits::AfterPurge(TxnEffects& effects, const ObjectLocation& loc) const {
  effects.Publish(CacheTopic(loc.vault_id, loc.mac));
  effects.Add([&service = service_, vault_id = loc.vault_id, mac = loc.mac] {
    service.ForgetCached(vault_id, mac);
  });
}

}  // namespace coffer::vault
