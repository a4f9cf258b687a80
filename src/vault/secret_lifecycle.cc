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
  ASSIGN_OR_RETURN(Located loc, Locate(vault, name));
  SecretView out;
  UnixSeconds now = clock_.Now();
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) return ObjectNotFound(kKind, name);
    ASSIGN_OR_RETURN(auto latest,
                     ReadSecretVersion(t, Keyspace::VersionKey(vault.id, kKind, loc.mac,
                                                               head->latest_version)));
    if (!latest) return DataLossError("a secret's latest version is missing");
    head->deleted = model::DeletedInfo{now, now + int64_t{vault.retention_days} * 86400};
    RETURN_IF_ERROR(t.Delete(loc.live_key));
    RETURN_IF_ERROR(WriteHead(t, loc.deleted_key, *head));
    RETURN_IF_ERROR(t.Put(Keyspace::DueKey(head->deleted->scheduled_purge_date,
                                           Keyspace::ObjectDueTarget(vault.id, kKind, loc.mac)),
                          SecretBytes()));
    latest->value.Wipe();
    out = SecretView{head->name, std::move(*latest), head->deleted};
    return OkStatus();
  }));
  return out;
}

StatusOr<SecretView> SecretService::GetDeleted(const model::VaultRecord& vault,
                                               std::string_view name) {
  ASSIGN_OR_RETURN(Located loc, Locate(vault, name));
  SecretView out;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.deleted_key));
    if (!head) return DeletedObjectNotFound(kKind, name);
    ASSIGN_OR_RETURN(auto latest,
                     ReadSecretVersion(t, Keyspace::VersionKey(vault.id, kKind, loc.mac,
                                                               head->latest_version)));
    if (!latest) return DataLossError("a secret's latest version is missing");
    latest->value.Wipe();
    out = SecretView{head->name, std::move(*latest), head->deleted};
    return OkStatus();
  }));
  return out;
}

StatusOr<SecretPage> SecretService::ListDeleted(const model::VaultRecord& vault,
                                                size_t max_results, std::string_view page_token) {
  std::string context = vault.id + "/deletedsecrets";
  std::string after;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after, keys_.DecodePageToken(context, page_token));
  }
  SecretPage page;
  std::string prefix = Keyspace::DeletedPrefix(vault.id, kKind);
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto heads, t.Scan(prefix, after.empty() ? "" : prefix + after,
                                        max_results + 1));
    bool more = heads.size() > max_results;
    if (more) heads.resize(max_results);
    for (auto& [key, plain] : heads) {
      ASSIGN_OR_RETURN(model::ObjectHead head, model::DecodeObjectHead(plain.view()));
      std::string mac = key.substr(prefix.size());
      ASSIGN_OR_RETURN(auto v, ReadSecretVersion(t, Keyspace::VersionKey(vault.id, kKind, mac,
                                                                         head.latest_version)));
      if (!v) return DataLossError("a secret's latest version is missing");
      v->value.Wipe();
      page.items.push_back(SecretView{head.name, std::move(*v), head.deleted});
    }
    if (more) {
      ASSIGN_OR_RETURN(page.next_token,
                       keys_.EncodePageToken(context, heads.back().first.substr(prefix.size())));
    }
    return OkStatus();
  }));
  return page;
}

StatusOr<SecretView> SecretService::Recover(const model::VaultRecord& vault,
                                            std::string_view name) {
  ASSIGN_OR_RETURN(Located loc, Locate(vault, name));
  SecretView out;
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.deleted_key));
    if (!head) return DeletedObjectNotFound(kKind, name);
    ASSIGN_OR_RETURN(auto latest,
                     ReadSecretVersion(t, Keyspace::VersionKey(vault.id, kKind, loc.mac,
                                                               head->latest_version)));
    if (!latest) return DataLossError("a secret's latest version is missing");
    RETURN_IF_ERROR(t.Delete(Keyspace::DueKey(head->deleted->scheduled_purge_date,
                                              Keyspace::ObjectDueTarget(vault.id, kKind, loc.mac))));
    head->deleted.reset();
    RETURN_IF_ERROR(t.Delete(loc.deleted_key));
    RETURN_IF_ERROR(WriteHead(t, loc.live_key, *head));
    out = SecretView{head->name, std::move(*latest), std::nullopt};
    return OkStatus();
  }));
  return out;
}

Status SecretService::Purge(const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(Located loc, Locate(vault, name));
  return barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.deleted_key));
    if (!head) return DeletedObjectNotFound(kKind, name);
    if (vault.purge_protection) return PurgeProtected();
    return PurgeObject(t, vault.id, kKind, loc.mac, *head);
  });
}

StatusOr<SecretObject> SecretService::Export(const model::VaultRecord& vault,
                                             std::string_view name) {
  ASSIGN_OR_RETURN(Located loc, Locate(vault, name));
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
  ASSIGN_OR_RETURN(Located loc, Locate(vault, object.name));
  if (object.versions.empty() || object.versions.size() > kMaxVersionsPerBackup) {
    return InvalidArgumentError("A secret backup must hold between 1 and 500 versions.",
                                "BadParameter");
  }
  for (const auto& v : object.versions) {
    if (!IsVersionId(v.version) || v.value.size() > model::kMaxSecretValueBytes) {
      return InvalidArgumentError("The backup holds an invalid secret version.", "BadParameter");
    }
  }
  // Sequences are renumbered densely in their original order: "latest" stays the same version.
  std::vector<model::SecretVersion> versions = object.versions;
  std::sort(versions.begin(), versions.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  model::ObjectHead head;
  head.name = object.name;
  head.created = object.created;
  for (auto& v : versions) v.sequence = head.next_sequence++;
  head.latest_version = versions.back().version;
  head.latest_sequence = versions.back().sequence;

  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto deleted, ReadHead(t, loc.deleted_key));
    if (deleted) return ObjectIsDeleted(kKind, deleted->name);
    ASSIGN_OR_RETURN(auto live, ReadHead(t, loc.live_key));
    if (live) {
      return AlreadyExistsError("A secret named " + live->name +
                                    " already exists in this vault; delete and purge it, or "
                                    "restore into another vault.",
                                "Conflict");
    }
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
