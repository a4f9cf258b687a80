#include "vault/secret_service.h"

#include "core/encoding.h"
#include "vault/object_records.h"

namespace coffer::vault {

using model::ObjectKind;
constexpr ObjectKind kKind = ObjectKind::kSecret;

namespace {

Status ValidateContentType(const std::string& ct) {
  if (ct.size() > model::kMaxContentTypeLength) {
    return InvalidArgumentError("contentType must be at most 255 characters.", "BadParameter");
  }
  return OkStatus();
}

}  // namespace

SecretService::SecretService(barrier::Barrier& barrier, const Clock& clock, Random& rng)
    : ObjectLifecycle(barrier, clock, store_), rng_(rng), keys_(barrier) {}

StatusOr<SecretView> SecretService::Set(const model::VaultRecord& vault, std::string_view name,
                                        SecretSetParams params) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  if (params.value.size() > model::kMaxSecretValueBytes) {
    return InvalidArgumentError("The secret value is " + std::to_string(params.value.size()) +
                                    " bytes; the limit is 25600 bytes.",
                                "BadParameter");
  }
  if (params.content_type) RETURN_IF_ERROR(ValidateContentType(*params.content_type));
  if (params.tags) RETURN_IF_ERROR(ValidateTags(kKind, *params.tags));

  UnixSeconds now = clock_.Now();
  model::SecretVersion version;
  version.version = EncodeHex(rng_.Bytes(16));
  version.value = std::move(params.value);
  version.content_type = params.content_type.value_or("");
  version.tags = params.tags.value_or(model::Tags{});
  version.attributes = NewAttributes(params, now);
  auto write = [&](barrier::Txn& t,
                   TxnEffects& effects) -> StatusOr<StoredObject<model::SecretVersion>> {
    RETURN_IF_ERROR(store_.CheckNotManaged(t, loc, "set"));
    return store_.AddVersion(t, effects, loc, name, version);
  };
  ASSIGN_OR_RETURN(auto added, WriteInTxn(barrier_, write));
  return ItemView(std::move(added));
}

Status SecretService::CheckReadable(const SecretView& view) const {
  if (view.version.attributes.enabled) return OkStatus();
  return PermissionDeniedError("Operation get is not allowed on a disabled secret.",
                               "SecretDisabled");
}

StatusOr<SecretView> SecretService::Update(const model::VaultRecord& vault, std::string_view name,
                                           std::string_view version, const SecretPatch& patch) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  RETURN_IF_ERROR(ValidateVersionSyntax(kKind, name, version));
  if (patch.content_type) RETURN_IF_ERROR(ValidateContentType(*patch.content_type));
  if (patch.tags) RETURN_IF_ERROR(ValidateTags(kKind, *patch.tags));
  auto apply = [&](model::SecretVersion& v) {
    if (patch.content_type) v.content_type = *patch.content_type;
    ApplyAttributePatch(patch, v, clock_.Now());
  };
  auto write = [&](barrier::Txn& t,
                   TxnEffects& effects) -> StatusOr<StoredObject<model::SecretVersion>> {
    RETURN_IF_ERROR(store_.CheckNotManaged(t, loc, "update"));
    return store_.UpdateVersion(t, effects, loc, name, version, apply);
  };
  ASSIGN_OR_RETURN(auto updated, WriteInTxn(barrier_, write));
  return ItemView(std::move(updated));
}

StatusOr<SecretObject> SecretService::Export(const model::VaultRecord& vault,
                                             std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  ASSIGN_OR_RETURN(auto stored, ReadInTxn(barrier_, [&](barrier::Txn& t) {
    return store_.Export(t, loc, name, kMaxVersionsPerBackup);
  }));
  return SecretObject{std::move(stored.head.name), stored.head.created,
                      std::move(stored.versions)};
}

StatusOr<SecretView> SecretService::Import(const model::VaultRecord& vault,
                                           const SecretObject& object) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, object.name));
  RETURN_IF_ERROR(store_.ValidateImport(object.versions, kMaxVersionsPerBackup));
  ASSIGN_OR_RETURN(auto imported, WriteInTxn(barrier_, [&](barrier::Txn& t, TxnEffects& effects) {
    return store_.Import(t, effects, loc, object.name, object.created, object.versions);
  }));
  return ItemView(std::move(imported));
}

}  // namespace coffer::vault
