// KeyService: secure key release (key_service.h) — the domain's conditions on the key and the
// wrap of its material. The key's material leaves this service only wrapped.
#include "crypto/key_release.h"
#include "vault/key_service.h"

namespace coffer::vault {
namespace {

Status CheckReleasable(const KeyView& k, UnixSeconds now) {
  const model::KeyVersion& v = k.version;
  if (!v.exportable || !v.release_policy) {
    return InvalidArgumentError("Key '" + k.name + "' is not exportable, so it cannot be " +
                                    "released; only a key created or imported with " +
                                    "attributes.exportable true and a release_policy can be.",
                                "BadParameter");
  }
  const model::Attributes& a = v.attributes;
  if (!a.enabled) {
    return PermissionDeniedError("Operation release is not allowed on a disabled key.",
                                 "KeyDisabled");
  }
  if (a.not_before && *a.not_before > now) {
    return PermissionDeniedError("Operation release is not allowed on key " + k.name +
                                     " before its activation time (nbf " +
                                     std::to_string(*a.not_before) + ").",
                                 "KeyNotYetValid");
  }
  if (a.expires && *a.expires < now) {
    return PermissionDeniedError("Operation release is not allowed on key " + k.name +
                                     " because it expired (exp " + std::to_string(*a.expires) +
                                     ").",
                                 "KeyExpired");
  }
  return OkStatus();
}

}  // namespace

StatusOr<KeyView> KeyService::ReleaseCandidate(const model::VaultRecord& vault,
                                               std::string_view name, std::string_view version) {
  ASSIGN_OR_RETURN(KeyView k, Get(vault, name, version));
  RETURN_IF_ERROR(CheckReleasable(k, clock_.Now()));
  return k;
}

StatusOr<ReleasedKey> KeyService::Release(const model::VaultRecord& vault, std::string_view name,
                                          std::string_view version,
                                          const model::KeyReleasePolicy& verified_policy,
                                          const crypto::PublicKey& wrapping_key,
                                          std::string_view enc) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  ASSIGN_OR_RETURN(auto found, store_.ReadLive(barrier_, loc, name, version));
  ASSIGN_OR_RETURN(auto material, Material(vault.id, loc.mac, found.version));
  ASSIGN_OR_RETURN(KeyView view, View(vault.id, loc.mac, std::move(found)));
  RETURN_IF_ERROR(CheckReleasable(view, clock_.Now()));
  if (*view.version.release_policy != verified_policy) {
    return Status(StatusCode::kAborted,
                  "The release policy of key '" + view.name +
                      "' changed while the release was being verified; send the request again.",
                  "Conflict");
  }
  ASSIGN_OR_RETURN(std::string wrapped, crypto::WrapForRelease(*material, wrapping_key, enc));
  return ReleasedKey{std::move(view), std::move(wrapped)};
}

}  // namespace coffer::vault
