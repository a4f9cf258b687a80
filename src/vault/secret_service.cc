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

SecretView View(StoredObject<model::SecretVersion> found) {
  return SecretView{std::move(found.head.name), std::move(found.version), found.head.deleted};
}

SecretPage Page(StoredPage<model::SecretVersion> stored) {
  SecretPage page;
  for (auto& item : stored.items) page.items.push_back(View(std::move(item)));
  page.next_token = std::move(stored.next_token);
  return page;
}

}  // namespace

SecretService::SecretService(barrier::Barrier& barrier, const Clock& clock, Random& rng)
    : barrier_(barrier), clock_(clock), rng_(rng), keys_(barrier) {}

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
  return View(std::move(added));
}

StatusOr<SecretView> SecretService::Get(const model::VaultRecord& vault, std::string_view name,
                                        std::string_view version) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  ASSIGN_OR_RETURN(auto found, store_.ReadLive(barrier_, loc, name, version));
  SecretView out = View(std::move(found));
  if (!out.version.attributes.enabled) {
    return PermissionDeniedError("Operation get is not allowed on a disabled secret.",
                                 "SecretDisabled");
  }
  return out;
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
  return View(std::move(updated));
}

StatusOr<SecretPage> SecretService::List(const model::VaultRecord& vault, size_t max_results,
                                         std::string_view page_token) {
  ASSIGN_OR_RETURN(auto stored, store_.List(barrier_, vault.id, page_token, max_results));
  return Page(std::move(stored));
}

StatusOr<SecretPage> SecretService::ListVersions(const model::VaultRecord& vault,
                                                 std::string_view name, size_t max_results,
                                                 std::string_view page_token) {
  ASSIGN_OR_RETURN(auto stored,
                   store_.ListVersions(barrier_, vault.id, name, page_token, max_results));
  return Page(std::move(stored));
}

StatusOr<SecretView> SecretService::Delete(const model::VaultRecord& vault,
                                           std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  UnixSeconds now = clock_.Now();
  auto write = [&](barrier::Txn& t,
                   TxnEffects& effects) -> StatusOr<StoredObject<model::SecretVersion>> {
    RETURN_IF_ERROR(store_.CheckNotManaged(t, loc, "delete"));
    return store_.SoftDelete(t, effects, vault, loc, name, now);
  };
  ASSIGN_OR_RETURN(auto found, WriteInTxn(barrier_, write));
  traits_.Wipe(found.version);
  return View(std::move(found));
}

StatusOr<SecretView> SecretService::GetDeleted(const model::VaultRecord& vault,
                                               std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  ASSIGN_OR_RETURN(auto found, store_.ReadDeleted(barrier_, loc, name));
  traits_.Wipe(found.version);
  return View(std::move(found));
}

StatusOr<SecretPage> SecretService::ListDeleted(const model::VaultRecord& vault,
                                                size_t max_results, std::string_view page_token) {
  ASSIGN_OR_RETURN(auto stored, store_.ListDeleted(barrier_, vault.id, page_token, max_results));
  // A deleted certificate's secret is read by name but not listed (Azure's behaviour).
  std::erase_if(stored.items, [](const auto& item) { return item.version.managed; });
  return Page(std::move(stored));
}

StatusOr<SecretView> SecretService::Recover(const model::VaultRecord& vault,
                                            std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
  ASSIGN_OR_RETURN(auto found, store_.Recover(barrier_, loc, name));
  return View(std::move(found));
}

Status SecretService::Purge(const model::VaultRecord& vault, std::string_view name) {
  return store_.Purge(barrier_, vault, name);
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
  return View(std::move(imported));
}

}  // namespace coffer::vault
