// ObjectStore: the lifecycle every versioned vault object shares — versions with a monotonic
// sequence deciding "latest", attribute updates, keyset-paged lists, soft delete, recover,
// purge, and the export/import behind backup and restore — written once over barrier::Txn.
// What differs between secrets, keys and certificates lives in a KindTraits: the record codec of
// a version, what to wipe before a version is listed, the hooks that keep a kind's own records
// in step (a key's rotation schedule) and what to drop after the transaction (a key's caches).
//
// Every operation takes the caller's transaction, so one call of a service may write several
// kinds atomically (a certificate version writes a certificate, a key and a secret). Effects that
// must wait until the transaction has ended are collected in a TxnEffects the caller runs
// afterwards; UpdateWithEffects does both.
//
// Status codes: NotFound [<Kind>NotFound] for a missing object, version or deleted object;
// AlreadyExists [ObjectIsDeletedButRecoverable] when the name is soft-deleted, [Conflict] when
// importing onto a live name; PermissionDenied [Forbidden] for purge under purge protection;
// FailedPrecondition beyond the export cap; InvalidArgument [BadParameter] for an import that
// does not validate or a forged page token; DataLoss for a record that does not decode or a
// latest version that is gone.
//
// Thread-safety: an ObjectStore holds only references and is safe to share; the transaction
// passed in is the caller's, used from one thread.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "barrier/barrier.h"
#include "model/object.h"
#include "model/vault_record.h"
#include "vault/keyspace.h"
#include "vault/kind_traits.h"
#include "vault/lru_cache.h"
#include "vault/object_records.h"
#include "vault/txn_effects.h"

namespace coffer::vault {

// A head and one of its versions.
// The most versions one object's backup may hold (secrets, keys, certificates and their managed
// key and secret alike). Far past Azure's 500: the per-object blob's 64 MiB is the real limit.
inline constexpr size_t kMaxVersionsPerBackup = 100'000;

template <typename V>
struct StoredObject {
  model::ObjectHead head;
  V version;
};

template <typename V>
struct StoredPage {
  std::vector<StoredObject<V>> items;  // versions wiped
  std::string next_token;              // empty on the last page
};

// Every version of one object, oldest sequence first.
template <typename V>
struct StoredVersions {
  model::ObjectHead head;
  std::vector<V> versions;
};

// Non-template steps of the lifecycle (object_store.cc), also used by the sweeper.
namespace lifecycle {
// Moves a live head to the deleted area with its purge date (now + the vault's retention) and
// the sweeper's due entry; sets head.deleted; runs OnSoftDeleted and AfterWrite.
Status SoftDelete(barrier::Txn& t, TxnEffects& effects, const KindHooks& hooks,
                  const model::VaultRecord& vault, const ObjectLocation& loc,
                  model::ObjectHead& head, UnixSeconds now);
// The same move with given dates (a whole-vault restore keeps the archive's deletion and
// scheduled purge dates).
Status MarkDeleted(barrier::Txn& t, TxnEffects& effects, const KindHooks& hooks,
                   const ObjectLocation& loc, model::ObjectHead& head,
                   const model::DeletedInfo& deleted);
// Moves a soft-deleted head back to the live area and drops its due entry; clears
// head.deleted; runs AfterWrite.
Status Recover(barrier::Txn& t, TxnEffects& effects, const KindHooks& hooks,
               const ObjectLocation& loc, model::ObjectHead& head);
// Removes a soft-deleted object's versions, head and due entry; runs OnPurged and AfterPurge.
Status Purge(barrier::Txn& t, TxnEffects& effects, const KindHooks& hooks,
             const ObjectLocation& loc, const model::ObjectHead& head);
// For the sweeper: purges the object at `loc` if it is soft-deleted and its purge date has
// come. Returns whether it did.
StatusOr<bool> PurgeIfDue(barrier::Txn& t, TxnEffects& effects, const KindHooks& hooks,
                          const ObjectLocation& loc, UnixSeconds now);
// The head of the object at `key` (live or deleted), or `missing`.
StatusOr<model::ObjectHead> RequireHead(barrier::Txn& t, std::string_view key,
                                        const Status& missing);
// Listing contexts that bind page tokens ("<vault id>/secrets", "…/deletedkeys", …).
std::string ListContext(std::string_view vault_id, model::ObjectKind kind);
std::string DeletedListContext(std::string_view vault_id, model::ObjectKind kind);
std::string VersionsListContext(const ObjectLocation& loc);
Status MissingLatest(model::ObjectKind kind);
Status TooManyVersions(model::ObjectKind kind, size_t max_versions);
Status InvalidImport(model::ObjectKind kind, size_t max_versions);
Status InvalidImportedVersion(model::ObjectKind kind);
}  // namespace lifecycle

template <typename V>
class ObjectStore {
 public:
  // How many objects' latest version ids a store remembers (about 200 bytes each).
  static constexpr size_t kLatestHints = 65536;

  // Both references must outlive the store.
  ObjectStore(const Keyspace& keys, const KindTraits<V>& traits) : keys_(keys), traits_(traits) {}

  model::ObjectKind kind() const { return traits_.kind(); }
  const KindTraits<V>& traits() const { return traits_; }

  // Validates the name (InvalidArgument naming the kind) and returns where the object lives.
  StatusOr<ObjectLocation> Locate(std::string_view vault_id, std::string_view name) const {
    return keys_.Locate(vault_id, kind(), name);
  }

  // The live object's head; NotFound when there is none.
  StatusOr<model::ObjectHead> ReadLiveHead(barrier::Txn& t, const ObjectLocation& loc,
                                           std::string_view name) const {
    return lifecycle::RequireHead(t, loc.live_key, ObjectNotFound(kind(), name));
  }

  // The live object's head and its version `version` ("" = latest).
  //
  // The head and the version are read in one request to the storage (one round trip on
  // PostgreSQL, where a read is dominated by them): for "latest" the version read is the one
  // this store last saw as latest (latest_hints_). A hint is only a guess of which key to read
  // alongside the head: the answer always follows the head read in the caller's snapshot, and a
  // wrong or missing guess costs one more read, never a stale answer.
  StatusOr<StoredObject<V>> ReadLive(barrier::Txn& t, const ObjectLocation& loc,
                                     std::string_view name, std::string_view version) const {
    std::string guess(version);
    if (guess.empty()) guess = latest_hints_->Lookup(loc.live_key).value.value_or("");
    model::ObjectHead head;
    std::optional<SecretBytes> guessed;
    if (guess.empty()) {
      ASSIGN_OR_RETURN(head, ReadLiveHead(t, loc, name));
    } else {
      std::string guessed_key = loc.VersionKey(guess);
      ASSIGN_OR_RETURN(auto both, t.GetMany({loc.live_key, guessed_key}));
      if (!both[0]) return ObjectNotFound(kind(), name);
      ASSIGN_OR_RETURN(head, model::DecodeObjectHead(both[0]->view()));
      guessed = std::move(both[1]);
    }
    if (version.empty() && guess != head.latest_version) {
      latest_hints_->Insert(loc.live_key, head.latest_version);
    }
    std::string want = version.empty() ? head.latest_version : std::string(version);
    std::optional<V> found;
    if (!guess.empty() && guess == want) {
      if (guessed) {
        ASSIGN_OR_RETURN(V v, traits_.Decode(guessed->view()));
        found = std::move(v);
      }
    } else {
      ASSIGN_OR_RETURN(found, ReadVersion(t, loc.VersionKey(want)));
    }
    if (!found) return VersionNotFound(kind(), name, version);
    return StoredObject<V>{std::move(head), std::move(*found)};
  }

  // The live object's head and latest version; DataLoss when the latest version is gone.
  StatusOr<StoredObject<V>> ReadLatest(barrier::Txn& t, const ObjectLocation& loc,
                                       std::string_view name) const {
    ASSIGN_OR_RETURN(model::ObjectHead head, ReadLiveHead(t, loc, name));
    return WithLatest(t, loc, std::move(head));
  }

  // The soft-deleted object's head and latest version.
  StatusOr<StoredObject<V>> ReadDeleted(barrier::Txn& t, const ObjectLocation& loc,
                                        std::string_view name) const {
    ASSIGN_OR_RETURN(model::ObjectHead head,
                     lifecycle::RequireHead(t, loc.deleted_key, DeletedObjectNotFound(kind(), name)));
    return WithLatest(t, loc, std::move(head));
  }

  // PermissionDenied [<Kind>ManagedByKeyVault] when the live object's latest version backs a
  // certificate (V has `managed`): its lifetime is the certificate's. `op` names the refused
  // operation in the message. OK when there is no live object.
  // (Reads the deleted head along: the write that follows this check needs it too.)
  Status CheckNotManaged(barrier::Txn& t, const ObjectLocation& loc, std::string_view op) const {
    ASSIGN_OR_RETURN(ObjectHeads heads, ReadHeads(t, loc.live_key, loc.deleted_key));
    std::optional<model::ObjectHead>& head = heads.live;
    if (!head) return OkStatus();
    ASSIGN_OR_RETURN(auto latest, ReadVersion(t, loc.VersionKey(head->latest_version)));
    if (!latest || !latest->managed) return OkStatus();
    return PermissionDeniedError("Operation \"" + std::string(op) +
                                     "\" is not allowed as this object's lifetime is managed by "
                                     "Key Vault.",
                                 std::string(model::ObjectKindWord(kind())) + "ManagedByKeyVault");
  }

  // Writes `version` (id set by the caller) as the new latest version, creating the head with
  // `name` and the version's created time when the name is free. Sets version.sequence.
  StatusOr<StoredObject<V>> AddVersion(barrier::Txn& t, TxnEffects& effects,
                                       const ObjectLocation& loc, std::string_view name,
                                       V version) const {
    ASSIGN_OR_RETURN(ObjectHeads heads, ReadHeads(t, loc.live_key, loc.deleted_key));
    if (heads.deleted) return ObjectIsDeleted(kind(), heads.deleted->name);
    std::optional<model::ObjectHead>& head = heads.live;
    if (!head) {
      head = model::ObjectHead{};
      head->name = std::string(name);
      head->created = version.attributes.created;
    }
    version.sequence = head->next_sequence++;
    head->latest_version = version.version;
    head->latest_sequence = version.sequence;
    RETURN_IF_ERROR(t.Put(loc.VersionKey(version.version), traits_.Encode(version)));
    RETURN_IF_ERROR(WriteHead(t, loc.live_key, *head));
    RETURN_IF_ERROR(traits_.OnNewLatest(t, loc, version));
    traits_.AfterWrite(effects, loc);
    return StoredObject<V>{std::move(*head), std::move(version)};
  }

  // Applies `patch` to version `version` ("" = latest) of the live object and stores it.
  StatusOr<StoredObject<V>> UpdateVersion(barrier::Txn& t, TxnEffects& effects,
                                          const ObjectLocation& loc, std::string_view name,
                                          std::string_view version,
                                          const std::function<void(V&)>& patch) const {
    ASSIGN_OR_RETURN(StoredObject<V> found, ReadLive(t, loc, name, version));
    patch(found.version);
    RETURN_IF_ERROR(t.Put(loc.VersionKey(found.version.version), traits_.Encode(found.version)));
    if (found.version.version == found.head.latest_version) {
      RETURN_IF_ERROR(traits_.OnNewLatest(t, loc, found.version));
    }
    traits_.AfterWrite(effects, loc);
    return found;
  }

  // Soft-deletes the live object; returns its head (with the deleted info) and latest version.
  StatusOr<StoredObject<V>> SoftDelete(barrier::Txn& t, TxnEffects& effects,
                                       const model::VaultRecord& vault, const ObjectLocation& loc,
                                       std::string_view name, UnixSeconds now) const {
    ASSIGN_OR_RETURN(StoredObject<V> found, ReadLatest(t, loc, name));
    RETURN_IF_ERROR(lifecycle::SoftDelete(t, effects, traits_, vault, loc, found.head, now));
    return found;
  }

  // Brings the soft-deleted object back; returns its head and latest version.
  StatusOr<StoredObject<V>> Recover(barrier::Txn& t, TxnEffects& effects,
                                    const ObjectLocation& loc, std::string_view name) const {
    ASSIGN_OR_RETURN(StoredObject<V> found, ReadDeleted(t, loc, name));
    RETURN_IF_ERROR(lifecycle::Recover(t, effects, traits_, loc, found.head));
    RETURN_IF_ERROR(traits_.OnNewLatest(t, loc, found.version));
    return found;
  }

  // Removes the soft-deleted object for good (every version).
  Status Purge(barrier::Txn& t, TxnEffects& effects, const model::VaultRecord& vault,
               const ObjectLocation& loc, std::string_view name) const {
    ASSIGN_OR_RETURN(model::ObjectHead head,
                     lifecycle::RequireHead(t, loc.deleted_key, DeletedObjectNotFound(kind(), name)));
    if (vault.purge_protection) return PurgeProtected();
    return lifecycle::Purge(t, effects, traits_, loc, head);
  }

  // One page of the vault's live objects with their latest versions.
  StatusOr<StoredPage<V>> List(barrier::Txn& t, std::string_view vault_id,
                               std::string_view page_token, size_t max_results) const {
    return HeadPage(t, vault_id, lifecycle::ListContext(vault_id, kind()),
                    Keyspace::LivePrefix(vault_id, kind()), page_token, max_results);
  }

  // One page of the vault's soft-deleted objects with their latest versions.
  StatusOr<StoredPage<V>> ListDeleted(barrier::Txn& t, std::string_view vault_id,
                                      std::string_view page_token, size_t max_results) const {
    return HeadPage(t, vault_id, lifecycle::DeletedListContext(vault_id, kind()),
                    Keyspace::DeletedPrefix(vault_id, kind()), page_token, max_results);
  }

  // One page of the live object's versions.
  StatusOr<StoredPage<V>> ListVersions(barrier::Txn& t, const ObjectLocation& loc,
                                       std::string_view name, std::string_view page_token,
                                       size_t max_results) const {
    ASSIGN_OR_RETURN(model::ObjectHead head, ReadLiveHead(t, loc, name));
    StoredPage<V> page;
    ASSIGN_OR_RETURN(page.next_token,
                     ScanPage(t, keys_, lifecycle::VersionsListContext(loc), loc.VersionPrefix(),
                              page_token, max_results,
                              [&](std::string_view, const SecretBytes& record) -> Status {
                                ASSIGN_OR_RETURN(V v, traits_.Decode(record.view()));
                                traits_.Wipe(v);
                                page.items.push_back(StoredObject<V>{head, std::move(v)});
                                return OkStatus();
                              }));
    return page;
  }

  // Every version of the live object (backup); FailedPrecondition beyond `max_versions`.
  StatusOr<StoredVersions<V>> Export(barrier::Txn& t, const ObjectLocation& loc,
                                     std::string_view name, size_t max_versions) const {
    StoredVersions<V> out;
    ASSIGN_OR_RETURN(out.head, ReadLiveHead(t, loc, name));
    ASSIGN_OR_RETURN(auto records, t.Scan(loc.VersionPrefix(), "", max_versions + 1));
    if (records.size() > max_versions) return lifecycle::TooManyVersions(kind(), max_versions);
    for (auto& [key, plain] : records) {
      ASSIGN_OR_RETURN(V v, traits_.Decode(plain.view()));
      out.versions.push_back(std::move(v));
    }
    std::sort(out.versions.begin(), out.versions.end(),
              [](const V& a, const V& b) { return a.sequence < b.sequence; });
    return out;
  }

  // Checks versions from a backup before any transaction: 1..max_versions of them, valid ids,
  // each Restorable. InvalidArgument otherwise.
  Status ValidateImport(const std::vector<V>& versions, size_t max_versions) const {
    if (versions.empty() || versions.size() > max_versions) {
      return lifecycle::InvalidImport(kind(), max_versions);
    }
    for (const V& v : versions) {
      if (!IsVersionId(v.version) || !traits_.Restorable(v)) {
        return lifecycle::InvalidImportedVersion(kind());
      }
    }
    return OkStatus();
  }

  // Writes a whole object from a backup under `name` (ids and times kept; versions renumbered
  // densely in their sequence order, so the latest stays the same). 409 when the name is live
  // or soft-deleted. State the kind keeps beside its versions (a key's rotation policy) is the
  // caller's to write in the same transaction. Returns the head and latest version.
  StatusOr<StoredObject<V>> Import(barrier::Txn& t, TxnEffects& effects,
                                   const ObjectLocation& loc, std::string_view name,
                                   UnixSeconds created, std::vector<V> versions) const {
    std::sort(versions.begin(), versions.end(),
              [](const V& a, const V& b) { return a.sequence < b.sequence; });
    model::ObjectHead head;
    head.name = std::string(name);
    head.created = created;
    for (V& v : versions) v.sequence = head.next_sequence++;
    head.latest_version = versions.back().version;
    head.latest_sequence = versions.back().sequence;
    RETURN_IF_ERROR(CheckRestoreTarget(t, kind(), loc.live_key, loc.deleted_key));
    for (const V& v : versions) {
      RETURN_IF_ERROR(t.Put(loc.VersionKey(v.version), traits_.Encode(v)));
    }
    RETURN_IF_ERROR(WriteHead(t, loc.live_key, head));
    traits_.AfterWrite(effects, loc);
    return StoredObject<V>{std::move(head), std::move(versions.back())};
  }

  // One-transaction forms, for a service call that is exactly one of the operations above.
  StatusOr<StoredObject<V>> ReadLive(barrier::Barrier& barrier, const ObjectLocation& loc,
                                     std::string_view name, std::string_view version) const {
    RETURN_IF_ERROR(ValidateVersionSyntax(kind(), name, version));
    return ReadInTxn(barrier, [&](barrier::Txn& t) { return ReadLive(t, loc, name, version); });
  }
  StatusOr<StoredObject<V>> AddVersion(barrier::Barrier& barrier, const ObjectLocation& loc,
                                       std::string_view name, const V& version) const {
    return WriteInTxn(barrier, [&](barrier::Txn& t, TxnEffects& effects) {
      return AddVersion(t, effects, loc, name, version);
    });
  }
  StatusOr<StoredObject<V>> ReadDeleted(barrier::Barrier& barrier, const ObjectLocation& loc,
                                        std::string_view name) const {
    return ReadInTxn(barrier, [&](barrier::Txn& t) { return ReadDeleted(t, loc, name); });
  }
  StatusOr<StoredObject<V>> SoftDelete(barrier::Barrier& barrier, const model::VaultRecord& vault,
                                       const ObjectLocation& loc, std::string_view name,
                                       UnixSeconds now) const {
    return WriteInTxn(barrier, [&](barrier::Txn& t, TxnEffects& effects) {
      return SoftDelete(t, effects, vault, loc, name, now);
    });
  }
  StatusOr<StoredObject<V>> Recover(barrier::Barrier& barrier, const ObjectLocation& loc,
                                    std::string_view name) const {
    return WriteInTxn(barrier, [&](barrier::Txn& t, TxnEffects& effects) {
      return Recover(t, effects, loc, name);
    });
  }
  Status Purge(barrier::Barrier& barrier, const model::VaultRecord& vault,
               std::string_view name) const {
    ASSIGN_OR_RETURN(ObjectLocation loc, Locate(vault.id, name));
    return UpdateWithEffects(barrier, [&](barrier::Txn& t, TxnEffects& effects) {
      return Purge(t, effects, vault, loc, name);
    });
  }
  StatusOr<StoredPage<V>> List(barrier::Barrier& barrier, std::string_view vault_id,
                               std::string_view page_token, size_t max_results) const {
    return ReadInTxn(barrier,
                     [&](barrier::Txn& t) { return List(t, vault_id, page_token, max_results); });
  }
  StatusOr<StoredPage<V>> ListDeleted(barrier::Barrier& barrier, std::string_view vault_id,
                                      std::string_view page_token, size_t max_results) const {
    return ReadInTxn(barrier, [&](barrier::Txn& t) {
      return ListDeleted(t, vault_id, page_token, max_results);
    });
  }
  StatusOr<StoredPage<V>> ListVersions(barrier::Barrier& barrier, std::string_view vault_id,
                                       std::string_view name, std::string_view page_token,
                                       size_t max_results) const {
    ASSIGN_OR_RETURN(ObjectLocation loc, Locate(vault_id, name));
    return ReadInTxn(barrier, [&](barrier::Txn& t) {
      return ListVersions(t, loc, name, page_token, max_results);
    });
  }

 private:
  StatusOr<std::optional<V>> ReadVersion(barrier::Txn& t, std::string_view key) const {
    ASSIGN_OR_RETURN(auto plain, t.Get(key));
    if (!plain) return std::optional<V>();
    ASSIGN_OR_RETURN(V v, traits_.Decode(plain->view()));
    return std::optional<V>(std::move(v));
  }

  StatusOr<StoredObject<V>> WithLatest(barrier::Txn& t, const ObjectLocation& loc,
                                       model::ObjectHead head) const {
    ASSIGN_OR_RETURN(auto latest, ReadVersion(t, loc.VersionKey(head.latest_version)));
    if (!latest) return lifecycle::MissingLatest(kind());
    return StoredObject<V>{std::move(head), std::move(*latest)};
  }

  StatusOr<StoredPage<V>> HeadPage(barrier::Txn& t, std::string_view vault_id,
                                   std::string_view context, std::string_view prefix,
                                   std::string_view page_token, size_t max_results) const {
    StoredPage<V> page;
    ASSIGN_OR_RETURN(page.next_token,
                     ScanPage(t, keys_, context, prefix, page_token, max_results,
                              [&](std::string_view mac, const SecretBytes& record) -> Status {
                                ASSIGN_OR_RETURN(model::ObjectHead head,
                                                 model::DecodeObjectHead(record.view()));
                                ASSIGN_OR_RETURN(StoredObject<V> item,
                                                 WithLatest(t, Keyspace::At(vault_id, kind(), mac),
                                                            std::move(head)));
                                traits_.Wipe(item.version);
                                page.items.push_back(std::move(item));
                                return OkStatus();
                              }));
    return page;
  }

  const Keyspace& keys_;
  const KindTraits<V>& traits_;
  // Live head key → the latest version id this store last read there (ReadLive's guesses;
  // version ids are not secret). Shared by copies of the store.
  std::shared_ptr<LruCache<std::string>> latest_hints_ =
      std::make_shared<LruCache<std::string>>(kLatestHints);
};

// The attributes of a new version from request parameters of any kind (enabled, nbf, exp),
// created and updated `now`.
template <typename Params>
model::Attributes NewAttributes(const Params& params, UnixSeconds now) {
  model::Attributes a;
  a.enabled = params.enabled.value_or(true);
  a.not_before = params.not_before;
  a.expires = params.expires;
  a.created = now;
  a.updated = now;
  return a;
}

// The attribute fields a patch of any kind may carry (tags, enabled, nbf, exp), applied to
// `v`, whose updated time becomes `now`.
template <typename Patch, typename V>
void ApplyAttributePatch(const Patch& patch, V& v, UnixSeconds now) {
  if (patch.tags) v.tags = *patch.tags;
  if (patch.enabled) v.attributes.enabled = *patch.enabled;
  if (patch.not_before) v.attributes.not_before = *patch.not_before;
  if (patch.expires) v.attributes.expires = *patch.expires;
  v.attributes.updated = now;
}

}  // namespace coffer::vault
