#include "vault/object_records.h"



namespace coffer::vault {

StatusOr<std::optional<model::ObjectHead>> ReadHead(barrier::Txn& t, std::string_view key) {
  ASSIGN_OR_RETURN(auto plain, t.Get(key));
  if (!plain) return std::optional<model::ObjectHead>();
  ASSIGN_OR_RETURN(model::ObjectHead head, model::DecodeObjectHead(plain->view()));
  return std::optional<model::ObjectHead>(std::move(head));
}

StatusOr<ObjectHeads> ReadHeads(barrier::Txn& t, std::string_view live_key,
                                std::string_view deleted_key) {
  ASSIGN_OR_RETURN(auto both, t.GetMany({live_key, deleted_key}));
  ObjectHeads out;
  if (both[0]) {
    ASSIGN_OR_RETURN(model::ObjectHead head, model::DecodeObjectHead(both[0]->view()));
    out.live = std::move(head);
  }
  if (both[1]) {
    ASSIGN_OR_RETURN(model::ObjectHead head, model::DecodeObjectHead(both[1]->view()));
    out.deleted = std::move(head);
  }
  return out;
}

Status WriteHead(barrier::Txn& t, std::string_view key, const model::ObjectHead& head) {
  return t.Put(key, model::EncodeObjectHead(head));
}

StatusOr<std::optional<model::RotationPolicy>> ReadRotationPolicy(barrier::Txn& t,
                                                                  std::string_view key) {
  ASSIGN_OR_RETURN(auto plain, t.Get(key));
  if (!plain) return std::optional<model::RotationPolicy>();
  ASSIGN_OR_RETURN(model::RotationPolicy p, model::DecodeRotationPolicy(plain->view()));
  return std::optional<model::RotationPolicy>(std::move(p));
}

namespace {
std::string Lower(model::ObjectKind kind) { return std::string(model::ObjectKindName(kind)); }
std::string Word(model::ObjectKind kind) { return std::string(model::ObjectKindWord(kind)); }
std::string NotFoundReason(model::ObjectKind kind) { return Word(kind) + "NotFound"; }
}  // namespace

Status ObjectNotFound(model::ObjectKind kind, std::string_view name) {
  std::string w = Lower(kind);
  return NotFoundError("A " + w + " with (name/id) " + std::string(name) +
                           " was not found in this key vault. If you recently deleted this " + w +
                           " you may be able to recover it using the correct recovery command.",
                       NotFoundReason(kind));
}

Status DeletedObjectNotFound(model::ObjectKind kind, std::string_view name) {
  return NotFoundError("Deleted " + Word(kind) + " not found: " +
                           std::string(name),
                       NotFoundReason(kind));
}

Status VersionNotFound(model::ObjectKind kind, std::string_view name, std::string_view version) {
  std::string w = Lower(kind);
  return NotFoundError("A " + w + " with (name/id) " + std::string(name) + "/" +
                           std::string(version) + " was not found in this key vault.",
                       NotFoundReason(kind));
}

Status ObjectIsDeleted(model::ObjectKind kind, std::string_view name) {
  std::string w = Lower(kind);
  return AlreadyExistsError(Word(kind) + " " + std::string(name) +
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

Status ValidateVersionSyntax(model::ObjectKind kind, std::string_view name,
                             std::string_view version) {
  if (version.empty() || IsVersionId(version)) return OkStatus();
  return ObjectNotFound(kind, std::string(name) + "/" + std::string(version));
}

Status ValidateTags(model::ObjectKind kind, const model::Tags& tags) {
  if (tags.size() > model::kMaxTags) {
    return InvalidArgumentError("A " + Lower(kind) + " may have at most 15 tags.",
                                "BadParameter");
  }
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > model::kMaxTagNameLength || v.size() > model::kMaxTagValueLength) {
      return InvalidArgumentError(
          "Tag names must be 1-512 characters and tag values at most 256 characters.",
          "BadParameter");
    }
  }
  return OkStatus();
}

Status CheckRestoreTarget(barrier::Txn& t, model::ObjectKind kind, std::string_view live_key,
                          std::string_view deleted_key) {
  ASSIGN_OR_RETURN(auto deleted, ReadHead(t, deleted_key));
  if (deleted) return ObjectIsDeleted(kind, deleted->name);
  ASSIGN_OR_RETURN(auto live, ReadHead(t, live_key));
  if (!live) return OkStatus();
  return AlreadyExistsError("A " + Lower(kind) + " named " + live->name +
                                " already exists in this vault; delete and purge it, or restore "
                                "into another vault.",
                            "Conflict");
}

}  // namespace coffer::vault
