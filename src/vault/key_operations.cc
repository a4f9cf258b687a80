// KeyService: the cryptographic operations, their server-side usage checks (key_ops, enabled,
// nbf/exp by the domain clock) and the caches of parsed key material and of what an operation
// needs of a version (key_service.h).
#include <algorithm>
#include <memory>

#include "vault/key_service.h"
#include "vault/object_records.h"

namespace coffer::vault {

using model::ObjectKind;
static constexpr ObjectKind kKind = ObjectKind::kKey;

namespace {

std::string_view OperationName(KeyOperation op) {
  switch (op) {
    case KeyOperation::kEncrypt: return "encrypt";
    case KeyOperation::kDecrypt: return "decrypt";
    case KeyOperation::kWrapKey: return "wrapKey";
    case KeyOperation::kUnwrapKey: return "unwrapKey";
    case KeyOperation::kSign: return "sign";
    case KeyOperation::kVerify: return "verify";
  }
  return "unknown";
}

enum class Family { kRsa, kEc, kOct, kUnknown };

Family KtyFamily(std::string_view kty) {
  if (kty.starts_with("RSA")) return Family::kRsa;
  if (kty.starts_with("EC")) return Family::kEc;
  if (kty.starts_with("oct")) return Family::kOct;
  return Family::kUnknown;
}

// The key family an algorithm needs for an operation; kUnknown if the algorithm is not one of
// that operation's. Size and curve fit are checked by KeyMaterial.
Family AlgorithmFamily(KeyOperation op, std::string_view alg) {
  auto in = [&](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), alg) != names.end();
  };
  switch (op) {
    case KeyOperation::kSign:
    case KeyOperation::kVerify:
      if (in({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "RSNULL"})) return Family::kRsa;
      if (in({"ES256", "ES384", "ES512", "ES256K"})) return Family::kEc;
      if (in({"HS256", "HS384", "HS512"})) return Family::kOct;
      return Family::kUnknown;
    case KeyOperation::kEncrypt:
    case KeyOperation::kDecrypt:
      if (in({"RSA1_5", "RSA-OAEP", "RSA-OAEP-256"})) return Family::kRsa;
      if (in({"A128GCM", "A192GCM", "A256GCM", "A128CBC", "A192CBC", "A256CBC", "A128CBCPAD",
              "A192CBCPAD", "A256CBCPAD"})) {
        return Family::kOct;
      }
      return Family::kUnknown;
    case KeyOperation::kWrapKey:
    case KeyOperation::kUnwrapKey:
      if (in({"RSA1_5", "RSA-OAEP", "RSA-OAEP-256"})) return Family::kRsa;
      if (in({"A128KW", "A192KW", "A256KW", "CKM_AES_KEY_WRAP", "CKM_AES_KEY_WRAP_PAD"})) {
        return Family::kOct;
      }
      return Family::kUnknown;
  }
  return Family::kUnknown;
}

// Bad input comes before the usage checks: an algorithm that is unknown or does not fit the
// key's type is a 400 whatever the key's key_ops and state.
Status CheckAlgorithm(KeyOperation op, std::string_view alg, std::string_view kty) {
  Family want = AlgorithmFamily(op, alg);
  if (want == Family::kUnknown) {
    return InvalidArgumentError("The algorithm '" + std::string(alg.substr(0, 32)) +
                                    "' is not supported for the " +
                                    std::string(OperationName(op)) + " operation.",
                                "BadParameter");
  }
  if (want != KtyFamily(kty)) {
    return InvalidArgumentError("The algorithm " + std::string(alg) + " cannot be used with a " +
                                    std::string(kty) + " key.",
                                "BadParameter");
  }
  return OkStatus();
}

// Azure's "date-time controlled operations": outside nbf..exp a key still decrypts, unwraps
// and verifies (to recover data made while it was valid, or to test it before use).
bool DateControlled(KeyOperation op) {
  return op == KeyOperation::kEncrypt || op == KeyOperation::kWrapKey || op == KeyOperation::kSign;
}

}  // namespace

std::string KeyService::CacheKey(std::string_view vault_id, std::string_view mac,
                                 std::string_view version) {
  std::string key(vault_id);
  key += '/';
  key += mac;
  key += '/';
  key += version;
  return key;
}

KeyOperationResult KeyService::Result(const Usable& u, SecretBytes value) {
  KeyOperationResult out;
  out.name = u->name;
  out.version = u->version;
  out.value = std::move(value);
  return out;
}

StatusOr<std::shared_ptr<const crypto::KeyMaterial>> KeyService::Material(
    std::string_view vault_id, std::string_view mac, const model::KeyVersion& v) {
  std::string key = CacheKey(vault_id, mac, v.version);
  auto found = materials_.Lookup(key);
  if (found.value) return *found.value;
  // Parsed outside any lock: concurrent misses of one key parse twice, which is harmless.
  auto parsed = crypto::KeyMaterial::Deserialize(v.material.view());
  if (!parsed.ok()) return DataLossError("a stored key version's material does not parse");
  auto material = std::make_shared<const crypto::KeyMaterial>(std::move(*parsed));
  materials_.Put(std::move(key), material, found.epoch);
  return material;
}

void KeyService::ForgetCached(std::string_view vault_id, std::string_view mac) {
  std::string prefix = CacheKey(vault_id, mac, "");
  versions_.ErasePrefix(prefix);
  materials_.ErasePrefix(prefix);
}

void KeyService::ForgetVault(std::string_view vault_id) {
  std::string prefix = std::string(vault_id) + "/";
  versions_.ErasePrefix(prefix);
  materials_.ErasePrefix(prefix);
}

void KeyService::ForgetAll() {
  versions_.ErasePrefix("");
  materials_.ErasePrefix("");
}

std::string KeyService::CacheTopic(std::string_view vault_id, std::string_view mac) {
  return "key/" + CacheKey(vault_id, mac, "");
}

bool KeyService::OnCacheTopic(std::string_view topic) {
  if (!topic.starts_with("key/")) return false;
  std::string_view rest = topic.substr(4);  // "<vault id>/<mac>/", as CacheKey(…, "")
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || !rest.ends_with('/')) return true;  // malformed: ours
  if (slash + 1 == rest.size()) {  // "key/<vault id>/": every key of the vault (TopicsToPublish)
    ForgetVault(rest.substr(0, slash));
    return true;
  }
  ForgetCached(rest.substr(0, slash), rest.substr(slash + 1, rest.size() - slash - 2));
  return true;
}

size_t KeyService::cached_materials() const { return materials_.size(); }
size_t KeyService::cached_versions() const { return versions_.size(); }

StatusOr<KeyService::Usable> KeyService::ReadOperationalVersion(std::string_view vault_id,
                                                                const ObjectLocation& loc,
                                                                std::string_view name,
                                                                std::string_view version) {
  std::string key = CacheKey(vault_id, loc.mac, version);  // version "" = the latest entry
  auto cached = versions_.Lookup(key);
  if (cached.value) return *cached.value;
  ASSIGN_OR_RETURN(auto stored, ReadInTxn(barrier_, [&](barrier::Txn& t) {
    return store_.ReadLive(t, loc, name, version);
  }));
  const model::KeyVersion* found = &stored.version;
  ASSIGN_OR_RETURN(auto material, Material(vault_id, loc.mac, *found));
  auto v = std::make_shared<OperationalVersion>();
  v->name = std::move(stored.head.name);
  v->version = found->version;
  v->kty = found->kty;
  v->key_ops = found->key_ops;
  v->attributes = found->attributes;
  v->material = std::move(material);
  Usable out = std::move(v);
  if (version.empty()) versions_.Put(CacheKey(vault_id, loc.mac, out->version), out, cached.epoch);
  versions_.Put(std::move(key), out, cached.epoch);
  return out;
}

StatusOr<KeyShape> KeyService::Shape(const model::VaultRecord& vault, std::string_view name,
                                     std::string_view version) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  RETURN_IF_ERROR(ValidateVersionSyntax(kKind, name, version));
  ASSIGN_OR_RETURN(Usable found, ReadOperationalVersion(vault.id, loc, name, version));
  return KeyShape{found->kty.ends_with("-HSM"), found->material->type(),
                  found->material->bits()};
}

StatusOr<KeyService::Usable> KeyService::UsableVersion(const model::VaultRecord& vault,
                                                       std::string_view name,
                                                       std::string_view version,
                                                       KeyOperation op, std::string_view alg) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  RETURN_IF_ERROR(ValidateVersionSyntax(kKind, name, version));
  ASSIGN_OR_RETURN(Usable found, ReadOperationalVersion(vault.id, loc, name, version));
  RETURN_IF_ERROR(CheckAlgorithm(op, alg, found->kty));
  std::string op_name(OperationName(op));
  const auto& ops = found->key_ops;
  if (std::find(ops.begin(), ops.end(), op_name) == ops.end()) {
    std::string allowed;
    for (const auto& o : ops) allowed += (allowed.empty() ? "" : ", ") + o;
    return PermissionDeniedError("Operation " + op_name + " is not allowed on key " +
                                     found->name + ": its key_ops are [" + allowed +
                                     "]. Add " + op_name + " to key_ops to allow it.",
                                 "KeyOperationForbidden");
  }
  const model::Attributes& a = found->attributes;
  if (!a.enabled) {
    return PermissionDeniedError("Operation " + op_name + " is not allowed on a disabled key.",
                                 "KeyDisabled");
  }
  UnixSeconds now = clock_.Now();
  if (DateControlled(op) && a.not_before && *a.not_before > now) {
    return PermissionDeniedError("Operation " + op_name + " is not allowed on key " +
                                     found->name + " before its activation time (nbf " +
                                     std::to_string(*a.not_before) + ", now " +
                                     std::to_string(now) + ").",
                                 "KeyNotYetValid");
  }
  if (DateControlled(op) && a.expires && *a.expires < now) {
    return PermissionDeniedError("Operation " + op_name + " is not allowed on key " +
                                     found->name + " because it expired (exp " +
                                     std::to_string(*a.expires) + ", now " +
                                     std::to_string(now) + ").",
                                 "KeyExpired");
  }
  return found;
}

StatusOr<KeyOperationResult> KeyService::Encrypt(const model::VaultRecord& vault,
                                                 std::string_view name, std::string_view version,
                                                 std::string_view alg,
                                                 const SecretBytes& plaintext,
                                                 std::string_view iv, std::string_view aad) {
  ASSIGN_OR_RETURN(Usable u, UsableVersion(vault, name, version, KeyOperation::kEncrypt, alg));
  ASSIGN_OR_RETURN(crypto::EncryptResult r, u->material->Encrypt(alg, plaintext, iv, aad));
  KeyOperationResult out = Result(u, SecretBytes(r.ciphertext));
  out.iv = std::move(r.iv);
  out.tag = std::move(r.tag);
  return out;
}

StatusOr<KeyOperationResult> KeyService::Decrypt(const model::VaultRecord& vault,
                                                 std::string_view name, std::string_view version,
                                                 std::string_view alg,
                                                 std::string_view ciphertext, std::string_view iv,
                                                 std::string_view aad, std::string_view tag) {
  ASSIGN_OR_RETURN(Usable u, UsableVersion(vault, name, version, KeyOperation::kDecrypt, alg));
  ASSIGN_OR_RETURN(SecretBytes plain, u->material->Decrypt(alg, ciphertext, iv, aad, tag));
  return Result(u, std::move(plain));
}

StatusOr<KeyOperationResult> KeyService::WrapKey(const model::VaultRecord& vault,
                                                 std::string_view name, std::string_view version,
                                                 std::string_view alg, const SecretBytes& key) {
  ASSIGN_OR_RETURN(Usable u, UsableVersion(vault, name, version, KeyOperation::kWrapKey, alg));
  ASSIGN_OR_RETURN(std::string wrapped, u->material->WrapKey(alg, key));
  return Result(u, SecretBytes(wrapped));
}

StatusOr<KeyOperationResult> KeyService::UnwrapKey(const model::VaultRecord& vault,
                                                   std::string_view name,
                                                   std::string_view version, std::string_view alg,
                                                   std::string_view wrapped) {
  ASSIGN_OR_RETURN(Usable u, UsableVersion(vault, name, version, KeyOperation::kUnwrapKey, alg));
  ASSIGN_OR_RETURN(SecretBytes key, u->material->UnwrapKey(alg, wrapped));
  return Result(u, std::move(key));
}

StatusOr<KeyOperationResult> KeyService::Sign(const model::VaultRecord& vault,
                                              std::string_view name, std::string_view version,
                                              std::string_view alg, std::string_view digest) {
  ASSIGN_OR_RETURN(Usable u, UsableVersion(vault, name, version, KeyOperation::kSign, alg));
  ASSIGN_OR_RETURN(std::string signature, u->material->Sign(alg, digest));
  return Result(u, SecretBytes(signature));
}

StatusOr<KeyOperationResult> KeyService::Verify(const model::VaultRecord& vault,
                                                std::string_view name, std::string_view version,
                                                std::string_view alg, std::string_view digest,
                                                std::string_view signature) {
  ASSIGN_OR_RETURN(Usable u, UsableVersion(vault, name, version, KeyOperation::kVerify, alg));
  ASSIGN_OR_RETURN(bool ok, u->material->Verify(alg, digest, signature));
  KeyOperationResult out = Result(u, SecretBytes());
  out.verified = ok;
  return out;
}

}  // namespace coffer::vault
