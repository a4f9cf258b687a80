#include "vault/object_records.h"

#include <cctype>


namespace coffer::vault {

StatusOr<std::optional<model::ObjectHead>> ReadHead(barrier::Txn& t, std::string_view key) {
  ASSIGN_OR_RETURN(auto plain, t.Get(key));
  if (!plain) return std::optional<model::ObjectHead>();
  ASSIGN_OR_RETURN(model::ObjectHead head, model::DecodeObjectHead(plain->view()));
  return std::optional<model::ObjectHead>(std::move(head));
}

Status WriteHead(barrier::Txn& t, std::string_view key, const model::ObjectHead& head) {
  return t.Put(key, model::EncodeObjectHead(head));
}

StatusOr<std::optional<model::SecretVersion>> ReadSecretVersion(barrier::Txn& t,
                                                                std::string_view key) {
  ASSIGN_OR_RETURN(auto plain, t.Get(key));
  if (!plain) return std::optional<model::SecretVersion>();
  ASSIGN_OR_RETURN(model::SecretVersion v, model::DecodeSecretVersion(plain->view()));
  return std::optional<model::SecretVersion>(std::move(v));
}

StatusOr<std::optional<model::KeyVersion>> ReadKeyVersion(barrier::Txn& t, std::string_view key) {
  ASSIGN_OR_RETURN(auto plain, t.Get(key));
  if (!plain) return std::optional<model::KeyVersion>();
  ASSIGN_OR_RETURN(model::KeyVersion v, model::DecodeKeyVersion(plain->view()));
  return std::optional<model::KeyVersion>(std::move(v));
}

StatusOr<std::optional<model::RotationPolicy>> ReadRotationPolicy(barrier::Txn& t,
                                                                  std::string_view key) {
  ASSIGN_OR_RETURN(auto plain, t.Get(key));
  if (!plain) return std::optional<model::RotationPolicy>();
  ASSIGN_OR_RETURN(model::RotationPolicy p, model::DecodeRotationPolicy(plain->view()));
  return std::optional<model::RotationPolicy>(std::move(p));
}

std::string_view KindWord(model::ObjectKind kind) {
  switch (kind) {
    case model::ObjectKind::kSecret: return "Secret";
    case model::ObjectKind::kKey: return "Key";
    case model::ObjectKind::kCertificate: return "Certificate";
  }
  return "Object";
}

namespace {
std::string Lower(std::string_view word) {
  std::string s(word);
  if (!s.empty()) s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}
std::string NotFoundReason(model::ObjectKind kind) {
  return std::string(KindWord(kind)) + "NotFound";
}
}  // namespace

Status ObjectNotFound(model::ObjectKind kind, std::string_view name) {
  std::string w = Lower(KindWord(kind));
  return NotFoundError("A " + w + " with (name/id) " + std::string(name) +
                           " was not found in this key vault. If you recently deleted this " + w +
                           " you may be able to recover it using the correct recovery command.",
                       NotFoundReason(kind));
}

Status DeletedObjectNotFound(model::ObjectKind kind, std::string_view name) {
  return NotFoundError("Deleted " + std::string(KindWord(kind)) + " not found: " +
                           std::string(name),
                       NotFoundReason(kind));
}

Status VersionNotFound(model::ObjectKind kind, std::string_view name, std::string_view version) {
  std::string w = Lower(KindWord(kind));
  return NotFoundError("A " + w + " with (name/id) " + std::string(name) + "/" +
                           std::string(version) + " was not found in this key vault.",
                       NotFoundReason(kind));
}

Status ObjectIsDeleted(model::ObjectKind kind, std::string_view name) {
  std::string w = Lower(KindWord(kind));
  return AlreadyExistsError(std::string(KindWord(kind)) + " " + std::string(name) +
                                " is currently in a deleted but recoverable state, and its name "
                                "cannot be reused; in this state, the " +
                                w + " can only be recovered or purged.",
                            "ObjectIsDeletedButRecoverable");
}

Status PurgeProtected() {
  return PermissionDeniedError(
      "Operation \"purge\" is not allowed because purge protection is enabled for this vault. "
      "Key Vault service will automatically purge it after the retention period has passed.",
      "Forbidden");
}

Status PurgeObject(barrier::Txn& t, std::string_view vault_id, model::ObjectKind kind,
                   std::string_view mac, const model::ObjectHead& head) {
  RETURN_IF_ERROR(t.DeletePrefix(Keyspace::VersionPrefix(vault_id, kind, mac)));
  RETURN_IF_ERROR(t.Delete(Keyspace::DeletedKey(vault_id, kind, mac)));
  if (head.deleted) {
    RETURN_IF_ERROR(t.Delete(Keyspace::DueKey(head.deleted->scheduled_purge_date,
                                              Keyspace::ObjectDueTarget(vault_id, kind, mac))));
  }
  if (kind == model::ObjectKind::kKey) {
    std::string policy_key = Keyspace::RotationPolicyKey(vault_id, mac);
    ASSIGN_OR_RETURN(auto policy, ReadRotationPolicy(t, policy_key));
    if (policy) {
      if (policy->scheduled_rotation) {
        RETURN_IF_ERROR(t.Delete(Keyspace::DueKey(*policy->scheduled_rotation,
                                                  Keyspace::RotationDueTarget(vault_id, mac))));
      }
      RETURN_IF_ERROR(t.Delete(policy_key));
    }
  }
  return OkStatus();
}

StatusOr<std::string> ScanPage(barrier::Txn& t, const Keyspace& keys, std::string_view context,
                               std::string_view prefix, std::string_view token, size_t max_results,
                               const PageRecordFn& each) {
  std::string start;
  if (!token.empty()) {
    ASSIGN_OR_RETURN(std::string after, keys.DecodePageToken(context, token));
    start = std::string(prefix) + after;
  }
  ASSIGN_OR_RETURN(auto records, t.Scan(prefix, start, max_results + 1));
  bool more = records.size() > max_results;
  if (more) records.resize(max_results);
  for (const auto& [key, plain] : records) {
    RETURN_IF_ERROR(each(std::string_view(key).substr(prefix.size()), plain));
  }
  if (!more) return std::string();
  return keys.EncodePageToken(context, std::string_view(records.back().first).substr(prefix.size()));
}

Status SoftDeleteHead(barrier::Txn& t, const model::VaultRecord& vault, model::ObjectKind kind,
                      std::string_view mac, model::ObjectHead& head, UnixSeconds now) {
  head.deleted = model::DeletedInfo{now, now + int64_t{vault.retention_days} * 86400};
  RETURN_IF_ERROR(t.Delete(Keyspace::LiveKey(vault.id, kind, mac)));
  RETURN_IF_ERROR(WriteHead(t, Keyspace::DeletedKey(vault.id, kind, mac), head));
  return t.Put(Keyspace::DueKey(head.deleted->scheduled_purge_date,
                                Keyspace::ObjectDueTarget(vault.id, kind, mac)),
               SecretBytes());
}

Status RecoverHead(barrier::Txn& t, std::string_view vault_id, model::ObjectKind kind,
                   std::string_view mac, model::ObjectHead& head) {
  if (head.deleted) {
    RETURN_IF_ERROR(t.Delete(Keyspace::DueKey(head.deleted->scheduled_purge_date,
                                              Keyspace::ObjectDueTarget(vault_id, kind, mac))));
  }
  head.deleted.reset();
  RETURN_IF_ERROR(t.Delete(Keyspace::DeletedKey(vault_id, kind, mac)));
  return WriteHead(t, Keyspace::LiveKey(vault_id, kind, mac), head);
}

Status CheckRestoreTarget(barrier::Txn& t, model::ObjectKind kind, std::string_view live_key,
                          std::string_view deleted_key) {
  ASSIGN_OR_RETURN(auto deleted, ReadHead(t, deleted_key));
  if (deleted) return ObjectIsDeleted(kind, deleted->name);
  ASSIGN_OR_RETURN(auto live, ReadHead(t, live_key));
  if (!live) return OkStatus();
  std::string word(KindWord(kind));
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return AlreadyExistsError("A " + word + " named " + live->name +
                                " already exists in this vault; delete and purge it, or restore "
                                "into another vault.",
                            "Conflict");
}

}  // namespace coffer::vault
