// Helpers shared by the object services and the sweeper: read and write heads and versions
// inside a barrier transaction, and messages for the common errors.
// Thread-safety: stateless functions.
#pragma once

#include <algorithm>
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
Status WriteHead(barrier::Txn& t, std::string_view key, const model::ObjectHead& head);
StatusOr<std::optional<model::SecretVersion>> ReadSecretVersion(barrier::Txn& t,
                                                                std::string_view key);

StatusOr<std::optional<model::KeyVersion>> ReadKeyVersion(barrier::Txn& t, std::string_view key);
StatusOr<std::optional<model::RotationPolicy>> ReadRotationPolicy(barrier::Txn& t,
                                                                  std::string_view key);

// Display word for a kind: "Secret", "Key", "Certificate".
std::string_view KindWord(model::ObjectKind kind);

Status ObjectNotFound(model::ObjectKind kind, std::string_view name);
Status DeletedObjectNotFound(model::ObjectKind kind, std::string_view name);
Status VersionNotFound(model::ObjectKind kind, std::string_view name, std::string_view version);
Status ObjectIsDeleted(model::ObjectKind kind, std::string_view name);
Status PurgeProtected();

// One page of a keyset-paged listing of the records under `prefix` (inside t). `token` is the
// request's $skiptoken ("" = first page), bound to `context` (the vault and list). `each` sees
// every record on the page with its key suffix after `prefix`. Returns the next page's token,
// "" on the last page. InvalidArgument for a forged or foreign token.
using PageRecordFn = std::function<Status(std::string_view suffix, const SecretBytes& record)>;
StatusOr<std::string> ScanPage(barrier::Txn& t, const Keyspace& keys, std::string_view context,
                               std::string_view prefix, std::string_view token, size_t max_results,
                               const PageRecordFn& each);

// Moves a live object's head to the deleted area with its purge date (now + the vault's
// retention) and the sweeper's due entry (inside t). Sets head.deleted.
Status SoftDeleteHead(barrier::Txn& t, const model::VaultRecord& vault, model::ObjectKind kind,
                      std::string_view mac, model::ObjectHead& head, UnixSeconds now);
// Moves a soft-deleted head back to the live area and drops its due entry. Clears head.deleted.
Status RecoverHead(barrier::Txn& t, std::string_view vault_id, model::ObjectKind kind,
                   std::string_view mac, model::ObjectHead& head);
// Restore may only create a new name: 409 if it is live or soft-deleted (checked inside t).
Status CheckRestoreTarget(barrier::Txn& t, model::ObjectKind kind, std::string_view live_key,
                          std::string_view deleted_key);

// An object's head and its latest version, read together inside t.
template <typename Version>
struct HeadAndLatest {
  model::ObjectHead head;
  Version latest;
};

// Reads the head at `head_key` (a live or deleted key) and its latest version with `read`
// (ReadSecretVersion, ReadKeyVersion). Returns `missing` when there is no head, DataLoss when the
// latest version's record is gone.
template <typename Reader>
auto ReadHeadAndLatest(barrier::Txn& t, std::string_view head_key, std::string_view vault_id,
                       model::ObjectKind kind, std::string_view mac, const Status& missing,
                       Reader read)
    -> StatusOr<HeadAndLatest<typename decltype(read(t, head_key))::value_type::value_type>> {
  using Version = typename decltype(read(t, head_key))::value_type::value_type;
  ASSIGN_OR_RETURN(auto head, ReadHead(t, head_key));
  if (!head) return missing;
  ASSIGN_OR_RETURN(auto latest,
                   read(t, Keyspace::VersionKey(vault_id, kind, mac, head->latest_version)));
  if (!latest) {
    return DataLossError("an object's latest version record is missing");
  }
  return HeadAndLatest<Version>{std::move(*head), std::move(*latest)};
}

// Renumbers restored versions densely in their original sequence order (so "latest" stays the
// same version) and builds the head for them. `versions` must not be empty.
template <typename Version>
model::ObjectHead HeadForRestoredVersions(std::string name, UnixSeconds created,
                                          std::vector<Version>& versions) {
  std::sort(versions.begin(), versions.end(),
            [](const Version& a, const Version& b) { return a.sequence < b.sequence; });
  model::ObjectHead head;
  head.name = std::move(name);
  head.created = created;
  for (auto& v : versions) v.sequence = head.next_sequence++;
  head.latest_version = versions.back().version;
  head.latest_sequence = versions.back().sequence;
  return head;
}

// Removes a soft-deleted object's head, versions and due entry (inside t); for keys also the
// rotation policy and its rotation due entry.
Status PurgeObject(barrier::Txn& t, std::string_view vault_id, model::ObjectKind kind,
                   std::string_view mac, const model::ObjectHead& head);

}  // namespace coffer::vault
