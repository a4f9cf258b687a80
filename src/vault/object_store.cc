#include "vault/object_store.h"

namespace coffer::vault {

namespace lifecycle {

namespace {
std::string PurgeDueKey(const ObjectLocation& loc, const model::ObjectHead& head) {
  return Keyspace::DueKey(DueEntry::PurgeObject(head.deleted->scheduled_purge_date, loc));
}
std::string Plural(model::ObjectKind kind) { return std::string(model::ObjectKindName(kind)) + "s"; }
}  // namespace

Status SoftDelete(barrier::Txn& t, TxnEffects& effects, const KindHooks& hooks,
                  const model::VaultRecord& vault, const ObjectLocation& loc,
                  model::ObjectHead& head, UnixSeconds now) {
  return MarkDeleted(t, effects, hooks, loc, head,
                     model::DeletedInfo{now, now + int64_t{vault.retention_days} * 86400});
}

Status MarkDeleted(barrier::Txn& t, TxnEffects& effects, const KindHooks& hooks,
                   const ObjectLocation& loc, model::ObjectHead& head,
                   const model::DeletedInfo& deleted) {
  head.deleted = deleted;
  RETURN_IF_ERROR(t.Delete(loc.live_key));
  RETURN_IF_ERROR(WriteHead(t, loc.deleted_key, head));
  RETURN_IF_ERROR(t.Put(PurgeDueKey(loc, head), SecretBytes()));
  RETURN_IF_ERROR(hooks.OnSoftDeleted(t, loc));
  hooks.AfterWrite(effects, loc);
  return OkStatus();
}

Status Recover(barrier::Txn& t, TxnEffects& effects, const KindHooks& hooks,
               const ObjectLocation& loc, model::ObjectHead& head) {
  if (head.deleted) RETURN_IF_ERROR(t.Delete(PurgeDueKey(loc, head)));
  head.deleted.reset();
  RETURN_IF_ERROR(t.Delete(loc.deleted_key));
  RETURN_IF_ERROR(WriteHead(t, loc.live_key, head));
  hooks.AfterWrite(effects, loc);
  return OkStatus();
}

Status Purge(barrier::Txn& t, TxnEffects& effects, const KindHooks& hooks,
             const ObjectLocation& loc, const model::ObjectHead& head) {
  RETURN_IF_ERROR(t.DeletePrefix(loc.VersionPrefix()));
  RETURN_IF_ERROR(t.Delete(loc.deleted_key));
  if (head.deleted) RETURN_IF_ERROR(t.Delete(PurgeDueKey(loc, head)));
  RETURN_IF_ERROR(hooks.OnPurged(t, loc));
  hooks.AfterPurge(effects, loc);
  return OkStatus();
}

StatusOr<bool> PurgeIfDue(barrier::Txn& t, TxnEffects& effects, const KindHooks& hooks,
                          const ObjectLocation& loc, UnixSeconds now) {
  ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.deleted_key));
  if (!head || !head->deleted || head->deleted->scheduled_purge_date > now) return false;
  RETURN_IF_ERROR(Purge(t, effects, hooks, loc, *head));
  return true;
}

StatusOr<model::ObjectHead> RequireHead(barrier::Txn& t, std::string_view key,
                                        const Status& missing) {
  ASSIGN_OR_RETURN(auto head, ReadHead(t, key));
  if (!head) return missing;
  return std::move(*head);
}

std::string ListContext(std::string_view vault_id, model::ObjectKind kind) {
  return std::string(vault_id) + "/" + Plural(kind);
}

std::string DeletedListContext(std::string_view vault_id, model::ObjectKind kind) {
  return std::string(vault_id) + "/deleted" + Plural(kind);
}

std::string VersionsListContext(const ObjectLocation& loc) {
  return loc.vault_id + "/" + std::string(model::ObjectKindName(loc.kind)) + "-versions/" +
         loc.mac;
}

Status MissingLatest(model::ObjectKind kind) {
  return DataLossError("a " + std::string(model::ObjectKindName(kind)) +
                       "'s latest version is missing");
}

Status TooManyVersions(model::ObjectKind kind, size_t max_versions) {
  return FailedPreconditionError("The " + std::string(model::ObjectKindName(kind)) +
                                     " has more than " + std::to_string(max_versions) +
                                     " versions; Coffer cannot back up such an object.",
                                 "BadParameter");
}

Status InvalidImport(model::ObjectKind kind, size_t max_versions) {
  return InvalidArgumentError("A " + std::string(model::ObjectKindName(kind)) +
                                  " backup must hold between 1 and " +
                                  std::to_string(max_versions) + " versions.",
                              "BadParameter");
}

Status InvalidImportedVersion(model::ObjectKind kind) {
  return InvalidArgumentError("The backup holds an invalid " +
                                  std::string(model::ObjectKindName(kind)) + " version.",
                              "BadParameter");
}

}  // namespace lifecycle
}  // namespace coffer::vault
