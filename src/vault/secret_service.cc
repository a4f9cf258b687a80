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
    : ObjectLifecycle(barrier, clock, store_), rng_(rng), keys_(barrier) {
  barrier.AddCacheListener(this);
}

SecretService::~SecretService() { barrier_.RemoveCacheListener(this); }

StatusOr<SecretView> SecretService::Get(const model::VaultRecord& vault, std::string_view name,
                                        std::string_view version) {
  ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));  // sealed: Unavailable
  std::string key = vault.id + "/" + loc.mac + "/" + std::string(version);
  auto found = cache_.Lookup(key);
  std::shared_ptr<const SecretView> view;
  if (found.value) {
    view = std::move(*found.value);
  } else {
    ASSIGN_OR_RETURN(auto stored, store_.ReadLive(barrier_, loc, name, version));
    auto read = std::make_shared<const SecretView>(ItemView(std::move(stored)));
    // Not stored if a write was heard since the lookup: what was read may predate it.
    if (read->version.value.size() <= kMaxCachedValueBytes) cache_.Put(key, read, found.epoch);
    view = std::move(read);
  }
  SecretView out = *view;
  RETURN_IF_ERROR(CheckReadable(out));
  return out;
}

bool SecretService::OnCacheTopic(std::string_view topic) {
  if (!topic.starts_with(SecretTraits::kTopicPrefix)) return false;
  std::string_view prefix = topic.substr(SecretTraits::kTopicPrefix.size());  // as the cache keys
  if (prefix.empty() || !prefix.ends_with('/')) prefix = {};  // malformed: drop everything
  cache_.ErasePrefix(prefix);
  return true;
}

void SecretService::OnCacheReset() { cache_.ErasePrefix(""); }

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
