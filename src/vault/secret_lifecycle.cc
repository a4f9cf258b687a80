// SecretService: soft delete, recovery, purge, and the export/import behind backup/restore.
#include <algorithm>

#include "core/encoding.h"
#include "vault/object_records.h"
#include "vault/secret_service.h"

namespace coffer::vault {

using model::ObjectKind;
static constexpr ObjectKind kKind = ObjectKind::kSecret;


StatusOr<SecretView> SecretService::Delete(const model::VaultRecord& vault,
                                           std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  SecretView out;
  UnixSeconds now = clock_.Now();
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto found, ReadHeadAndLatest(t, loc.live_key, vault.id, kKind, loc.mac,
                                                   ObjectNotFound(kKind, name), ReadSecretVersion));
    RETURN_IF_ERROR(SoftDeleteHead(t, vault, kKind, loc.mac, found.head, now));
    found.latest.value.Wipe();
    out = SecretView{found.head.name, std::move(found.latest), found.head.deleted};
    return OkStatus();
  }));
  return out;
}

StatusOr<SecretView> SecretService::GetDeleted(const model::VaultRecord& vault,
                                               std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  SecretView out;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto found,
                     ReadHeadAndLatest(t, loc.deleted_key, vault.id, kKind, loc.mac,
                                       DeletedObjectNotFound(kKind, name), ReadSecretVersion));
    found.latest.value.Wipe();
    out = SecretView{found.head.name, std::move(found.latest), found.head.deleted};
    return OkStatus();
  }));
  return out;
}

StatusOr<SecretPage> SecretService::ListDeleted(const model::VaultRecord& vault,
                                                size_t max_results, std::string_view page_token) {
  SecretPage page;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(
        page.next_token,
        ScanPage(t, keys_, vault.id + "/deletedsecrets", Keyspace::DeletedPrefix(vault.id, kKind),
                 page_token, max_results, [&](std::string_view mac, const SecretBytes& record) {
                   ASSIGN_OR_RETURN(model::ObjectHead head, model::DecodeObjectHead(record.view()));
                   ASSIGN_OR_RETURN(auto v, ReadSecretVersion(t, Keyspace::VersionKey(
                                                                     vault.id, kKind, mac,
                                                                     head.latest_version)));
                   if (!v) return DataLossError("a secret's latest version is missing");
                   v->value.Wipe();
                   page.items.push_back(SecretView{head.name, std::move(*v), head.deleted});
                   return OkStatus();
                 }));
    return OkStatus();
  }));
  return page;
}

StatusOr<SecretView> SecretService::Recover(const model::VaultRecord& vault,
                                            std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  SecretView out;
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto found,
                     ReadHeadAndLatest(t, loc.deleted_key, vault.id, kKind, loc.mac,
                                       DeletedObjectNotFound(kKind, name), ReadSecretVersion));
    RETURN_IF_ERROR(RecoverHead(t, vault.id, kKind, loc.mac, found.head));
    out = SecretView{found.head.name, std::move(found.latest), std::nullopt};
    return OkStatus();
  }));
  return out;
}

Status SecretService::Purge(const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  return barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.deleted_key));
    if (!head) return DeletedObjectNotFound(kKind, name);
    if (vault.purge_protection) return PurgeProtected();
    return PurgeObject(t, vault.id, kKind, loc.mac, *head);
  });
}

StatusOr<SecretObject> SecretService::Export(const model::VaultRecord& vault,
                                             std::string_view name) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  SecretObject out;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) return ObjectNotFound(kKind, name);
    ASSIGN_OR_RETURN(auto versions,
                     t.Scan(Keyspace::VersionPrefix(vault.id, kKind, loc.mac), "",
                            kMaxVersionsPerBackup + 1));
    if (versions.size() > kMaxVersionsPerBackup) {
      return FailedPreconditionError(
          "The secret has more than 500 versions; Key Vault cannot back up such an object.",
          "BadParameter");
    }
    out.name = head->name;
    out.created = head->created;
    for (auto& [key, plain] : versions) {
      ASSIGN_OR_RETURN(model::SecretVersion v, model::DecodeSecretVersion(plain.view()));
      out.versions.push_back(std::move(v));
    }
    return OkStatus();
  }));
  std::sort(out.versions.begin(), out.versions.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  return out;
}

StatusOr<SecretView> SecretService::Import(const model::VaultRecord& vault,
                                           const SecretObject& object) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, object.name));
  if (object.versions.empty() || object.versions.size() > kMaxVersionsPerBackup) {
    return InvalidArgumentError("A secret backup must hold between 1 and 500 versions.",
                                "BadParameter");
  }
  for (const auto& v : object.versions) {
    if (!IsVersionId(v.version) || v.value.size() > model::kMaxSecretValueBytes) {
      return InvalidArgumentError("The backup holds an invalid secret version.", "BadParameter");
    }
  }
  std::vector<model::SecretVersion> versions = object.versions;
  model::ObjectHead head = HeadForRestoredVersions(object.name, object.created, versions);
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    RETURN_IF_ERROR(CheckRestoreTarget(t, kKind, loc.live_key, loc.deleted_key));
    for (const auto& v : versions) {
      RETURN_IF_ERROR(t.Put(Keyspace::VersionKey(vault.id, kKind, loc.mac, v.version),
                            model::EncodeSecretVersion(v)));
    }
    return WriteHead(t, loc.live_key, head);
  }));
  SecretView out{head.name, versions.back(), std::nullopt};
  return out;
}

}  // namespace coffer::vault
