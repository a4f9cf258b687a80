#include "vault/key_service.h"

#include <algorithm>

#include "core/encoding.h"
#include "vault/object_records.h"

namespace coffer::vault {

using model::ObjectKind;
static constexpr ObjectKind kKind = ObjectKind::kKey;

namespace {

Status Bad(std::string message) { return InvalidArgumentError(std::move(message), "BadParameter"); }

Status ValidateTags(const model::Tags& tags) {
  if (tags.size() > model::kMaxTags) return Bad("A key may have at most 15 tags.");
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > model::kMaxTagNameLength || v.size() > model::kMaxTagValueLength) {
      return Bad("Tag names must be 1-512 characters and tag values at most 256 characters.");
    }
  }
  return OkStatus();
}

Status ValidateVersionSyntax(std::string_view name, std::string_view version) {
  if (version.empty() || IsVersionId(version)) return OkStatus();
  return ObjectNotFound(kKind, std::string(name) + "/" + std::string(version));
}

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

}  // namespace

std::optional<std::string> CanonicalKeyOperation(std::string_view op) {
  for (std::string_view known : {"encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey",
                                 "import", "export"}) {
    if (EqualsIgnoreCase(op, known)) return std::string(known);
  }
  return std::nullopt;
}

KeyService::KeyService(barrier::Barrier& barrier, const Clock& clock, Random& rng)
    : barrier_(barrier), clock_(clock), rng_(rng), keys_(barrier) {}

StatusOr<KeyView> KeyService::Create(const model::VaultRecord& vault, std::string_view name,
                                     const KeyCreateParams& params) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  auto type = BaseType(params.kty);
  if (!type) return UnknownKty(params.kty);
  model::KeyVersion version;
  version.kty = params.kty;
  if (params.key_ops) {
    ASSIGN_OR_RETURN(version.key_ops, NormalizeKeyOps(*params.key_ops));
  } else {
    version.key_ops = DefaultKeyOps(*type);
  }
  if (params.tags) RETURN_IF_ERROR(ValidateTags(*params.tags));

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

  UnixSeconds now = clock_.Now();
  version.attributes.enabled = params.enabled.value_or(true);
  version.attributes.not_before = params.not_before;
  version.attributes.expires = params.expires;
  version.attributes.created = now;
  version.attributes.updated = now;
  version.exportable = params.exportable.value_or(false);
  version.tags = params.tags.value_or(model::Tags{});
  return WriteNewVersion(vault, name, loc, std::move(version),
                         std::make_shared<const crypto::KeyMaterial>(std::move(*generated)));
}

StatusOr<KeyView> KeyService::Import(const model::VaultRecord& vault, std::string_view name,
                                     const KeyImportParams& params) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  auto type = BaseType(params.jwk.kty);
  if (!type) return UnknownKty(params.jwk.kty);
  if (params.tags) RETURN_IF_ERROR(ValidateTags(*params.tags));
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
  UnixSeconds now = clock_.Now();
  version.attributes.enabled = params.enabled.value_or(true);
  version.attributes.not_before = params.not_before;
  version.attributes.expires = params.expires;
  version.attributes.created = now;
  version.attributes.updated = now;
  version.exportable = params.exportable.value_or(false);
  version.tags = params.tags.value_or(model::Tags{});
  return WriteNewVersion(vault, name, loc, std::move(version),
                         std::make_shared<const crypto::KeyMaterial>(std::move(material)));
}

StatusOr<KeyView> KeyService::WriteNewVersion(
    const model::VaultRecord& vault, std::string_view name, const ObjectLocation& loc,
    model::KeyVersion version, std::shared_ptr<const crypto::KeyMaterial> material) {
  version.version = EncodeHex(rng_.Bytes(16));
  std::string display;
  RETURN_IF_ERROR(UpdateKey(vault.id, loc.mac, [&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto deleted, ReadHead(t, loc.deleted_key));
    if (deleted) return ObjectIsDeleted(kKind, deleted->name);
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) {
      head = model::ObjectHead{};
      head->name = std::string(name);
      head->created = version.attributes.created;
    }
    version.sequence = head->next_sequence++;
    head->latest_version = version.version;
    head->latest_sequence = version.sequence;
    RETURN_IF_ERROR(t.Put(Keyspace::VersionKey(vault.id, kKind, loc.mac, version.version),
                          model::EncodeKeyVersion(version)));
    RETURN_IF_ERROR(WriteHead(t, loc.live_key, *head));
    RETURN_IF_ERROR(Reschedule(t, vault.id, loc.mac, version));
    display = head->name;
    return OkStatus();
  }));
  // The material just written is current: seed the cache so that the first operation does not
  // parse it again.
  materials_.Insert(CacheKey(vault.id, loc.mac, version.version), std::move(material));
  return MakeView(vault.id, loc.mac, std::move(display), std::move(version), std::nullopt);
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

StatusOr<KeyView> KeyService::Get(const model::VaultRecord& vault, std::string_view name,
                                  std::string_view version) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  RETURN_IF_ERROR(ValidateVersionSyntax(name, version));
  std::string display;
  std::optional<model::KeyVersion> found;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) return ObjectNotFound(kKind, name);
    std::string want = version.empty() ? head->latest_version : std::string(version);
    ASSIGN_OR_RETURN(found, ReadKeyVersion(t, Keyspace::VersionKey(vault.id, kKind, loc.mac, want)));
    if (!found) return VersionNotFound(kKind, name, version);
    display = head->name;
    return OkStatus();
  }));
  return MakeView(vault.id, loc.mac, std::move(display), std::move(*found), std::nullopt);
}

StatusOr<KeyView> KeyService::Update(const model::VaultRecord& vault, std::string_view name,
                                     std::string_view version, const KeyPatch& patch) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  RETURN_IF_ERROR(ValidateVersionSyntax(name, version));
  if (patch.tags) RETURN_IF_ERROR(ValidateTags(*patch.tags));
  std::optional<std::vector<std::string>> ops;
  if (patch.key_ops) {
    ASSIGN_OR_RETURN(ops, NormalizeKeyOps(*patch.key_ops));
  }
  std::string display;
  std::optional<model::KeyVersion> updated;
  RETURN_IF_ERROR(UpdateKey(vault.id, loc.mac, [&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) return ObjectNotFound(kKind, name);
    std::string want = version.empty() ? head->latest_version : std::string(version);
    std::string vkey = Keyspace::VersionKey(vault.id, kKind, loc.mac, want);
    ASSIGN_OR_RETURN(updated, ReadKeyVersion(t, vkey));
    if (!updated) return VersionNotFound(kKind, name, version);
    if (ops) updated->key_ops = *ops;
    if (patch.tags) updated->tags = *patch.tags;
    if (patch.enabled) updated->attributes.enabled = *patch.enabled;
    if (patch.not_before) updated->attributes.not_before = *patch.not_before;
    if (patch.expires) updated->attributes.expires = *patch.expires;
    updated->attributes.updated = clock_.Now();
    RETURN_IF_ERROR(t.Put(vkey, model::EncodeKeyVersion(*updated)));
    // exp drives timeBeforeExpiry triggers.
    if (want == head->latest_version) RETURN_IF_ERROR(Reschedule(t, vault.id, loc.mac, *updated));
    display = head->name;
    return OkStatus();
  }));
  return MakeView(vault.id, loc.mac, std::move(display), std::move(*updated), std::nullopt);
}

StatusOr<KeyPage> KeyService::List(const model::VaultRecord& vault, size_t max_results,
                                   std::string_view page_token) {
  KeyPage page;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(
        page.next_token,
        ScanPage(t, keys_, vault.id + "/keys", Keyspace::LivePrefix(vault.id, kKind), page_token,
                 max_results, [&](std::string_view mac, const SecretBytes& record) {
                   ASSIGN_OR_RETURN(model::ObjectHead head, model::DecodeObjectHead(record.view()));
                   ASSIGN_OR_RETURN(auto v, ReadKeyVersion(t, Keyspace::VersionKey(
                                                                  vault.id, kKind, mac,
                                                                  head.latest_version)));
                   if (!v) return DataLossError("a key's latest version is missing");
                   v->material.Wipe();
                   page.items.push_back(KeyView{head.name, std::move(*v), {}, std::nullopt});
                   return OkStatus();
                 }));
    return OkStatus();
  }));
  return page;
}

StatusOr<KeyPage> KeyService::ListVersions(const model::VaultRecord& vault, std::string_view name,
                                           size_t max_results, std::string_view page_token) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  KeyPage page;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) return ObjectNotFound(kKind, name);
    ASSIGN_OR_RETURN(
        page.next_token,
        ScanPage(t, keys_, vault.id + "/key-versions/" + loc.mac,
                 Keyspace::VersionPrefix(vault.id, kKind, loc.mac), page_token, max_results,
                 [&](std::string_view, const SecretBytes& record) {
                   ASSIGN_OR_RETURN(model::KeyVersion v, model::DecodeKeyVersion(record.view()));
                   v.material.Wipe();
                   page.items.push_back(KeyView{head->name, std::move(v), {}, std::nullopt});
                   return OkStatus();
                 }));
    return OkStatus();
  }));
  return page;
}

}  // namespace coffer::vault
