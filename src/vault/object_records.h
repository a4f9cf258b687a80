// Helpers shared by the object store and the object services: read and write heads and
// rotation policies inside a barrier transaction, the keyset-paged scan, and the common checks
// and errors of every kind.
// Thread-safety: stateless functions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "barrier/barrier.h"
#include "model/key_version.h"
#include "model/object.h"
#include "model/vault_record.h"
#include "vault/keyspace.h"

namespace coffer::vault {

StatusOr<std::optional<model::ObjectHead>> ReadHead(barrier::Txn& t, std::string_view key);
// An object's live and deleted heads, read in one request to the storage (a name is live,
// deleted or free, and a write that decides between them needs both; the engine answers a
// second read of either from the transaction's own reads).
struct ObjectHeads {
  std::optional<model::ObjectHead> live;
  std::optional<model::ObjectHead> deleted;
};
StatusOr<ObjectHeads> ReadHeads(barrier::Txn& t, std::string_view live_key,
                                std::string_view deleted_key);
Status WriteHead(barrier::Txn& t, std::string_view key, const model::ObjectHead& head);
StatusOr<std::optional<model::RotationPolicy>> ReadRotationPolicy(barrier::Txn& t,
                                                                  std::string_view key);

Status ObjectNotFound(model::ObjectKind kind, std::string_view name);
Status DeletedObjectNotFound(model::ObjectKind kind, std::string_view name);
Status VersionNotFound(model::ObjectKind kind, std::string_view name, std::string_view version);
Status ObjectIsDeleted(model::ObjectKind kind, std::string_view name);
Status PurgeProtected();

// A version id in a request: "" (latest) or 32 lowercase hex; NotFound [<Kind>NotFound] naming
// "name/version" otherwise.
Status ValidateVersionSyntax(model::ObjectKind kind, std::string_view name,
                             std::string_view version);
// At most 15 tags, names 1-512 and values at most 256 characters; InvalidArgument otherwise.
Status ValidateTags(model::ObjectKind kind, const model::Tags& tags);

// One page of a keyset-paged listing of the records under `prefix` (inside t). `token` is the
// request's $skiptoken ("" = first page), bound to `context` (the vault and list). `each` sees
// every record on the page with its key suffix after `prefix`. Returns the next page's token,
// "" on the last page. InvalidArgument for a forged or foreign token.
using PageRecordFn = std::function<Status(std::string_view suffix, const SecretBytes& record)>;
StatusOr<std::string> ScanPage(barrier::Txn& t, const Keyspace& keys, std::string_view context,
                               std::string_view prefix, std::string_view token, size_t max_results,
                               const PageRecordFn& each);

// Restore may only create a new name: 409 if it is live or soft-deleted (checked inside t).
Status CheckRestoreTarget(barrier::Txn& t, model::ObjectKind kind, std::string_view live_key,
                          std::string_view deleted_key);

}  // namespace coffer::vault
