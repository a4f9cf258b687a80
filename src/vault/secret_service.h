// SecretService: the Secrets API's domain logic — versions, attributes, soft delete, recover,
// purge, and the export/import used by backup and restore. The lifecycle (list, delete,
// recover, purge) is ObjectLifecycle's over the object store (object_store.h, with
// SecretTraits); this service holds what is particular to secrets: the value and content type,
// their limits, and a disabled version being unreadable.
// Each public call is one barrier transaction; every check that decides a 404/409 runs inside
// that transaction.
//
// Read cache (DESIGN.md §5 "Per-request cost"; docs/decisions.md "Several nodes on one
// PostgreSQL"): Get answers from a bounded LRU map of the versions it read, keyed by (vault id,
// name MAC, version or "" for the latest), values of at most kMaxCachedValueBytes only. Every
// write of a secret publishes its topic (SecretTraits), which this service hears as a
// barrier::CacheListener: at once for this node's writes, through the cache feed for the other
// nodes' (whose requests first wait for the feed's fence). Sealing drops it all. Lists, deleted
// secrets and backups always read storage.
//
// Status codes (reason in brackets): InvalidArgument [BadParameter]; NotFound [SecretNotFound];
// PermissionDenied [SecretDisabled] for reading a disabled version, [Forbidden] for purge under
// purge protection; AlreadyExists [ObjectIsDeletedButRecoverable] when the name is soft-deleted,
// [Conflict] when restoring onto a live name; Unavailable when sealed or storage fails.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/random.h"
#include "model/object.h"
#include "model/vault_record.h"
#include "vault/keyspace.h"
#include "vault/kind_traits.h"
#include "vault/lru_cache.h"
#include "vault/object_lifecycle.h"
#include "vault/object_store.h"

namespace coffer::vault {

struct SecretSetParams {
  SecretBytes value;
  std::optional<std::string> content_type;
  std::optional<model::Tags> tags;
  std::optional<bool> enabled;
  std::optional<UnixSeconds> not_before;
  std::optional<UnixSeconds> expires;
};

struct SecretPatch : AttributePatch {
  std::optional<std::string> content_type;
};

using SecretView = ObjectView<model::SecretVersion>;

// Values are empty in list items.
using SecretPage = ObjectPage<SecretView>;

// Every version of one secret, oldest sequence first (the unit of backup and restore).
struct SecretObject {
  std::string name;
  UnixSeconds created = 0;
  std::vector<model::SecretVersion> versions;
};

class SecretService : public ObjectLifecycle<model::SecretVersion, SecretView>,
                      public barrier::CacheListener {
 public:
  // Listens to `barrier`'s cache topics until destroyed.
  SecretService(barrier::Barrier& barrier, const Clock& clock, Random& rng);
  ~SecretService() override;

  // ObjectLifecycle::Get through the read cache: version "" = latest; a disabled version →
  // 403 SecretDisabled.
  StatusOr<SecretView> Get(const model::VaultRecord& vault, std::string_view name,
                           std::string_view version);

  StatusOr<SecretView> Set(const model::VaultRecord& vault, std::string_view name,
                           SecretSetParams params);
  StatusOr<SecretView> Update(const model::VaultRecord& vault, std::string_view name,
                              std::string_view version, const SecretPatch& patch);
  // Get (a disabled version → 403 SecretDisabled), List, ListVersions, Delete, GetDeleted,
  // ListDeleted, Recover, Purge: ObjectLifecycle.

  // All versions of a live secret, for backup. FailedPrecondition beyond kMaxVersionsPerBackup.
  StatusOr<SecretObject> Export(const model::VaultRecord& vault, std::string_view name);
  // Writes a whole secret (ids and times kept); 409 if the name is live or soft-deleted.
  // Returns the latest version.
  StatusOr<SecretView> Import(const model::VaultRecord& vault, const SecretObject& object);

  // barrier::CacheListener: "secret/<vault id>/<name MAC>/" drops that secret's versions,
  // "secret/<vault id>/" every secret of the vault (TopicsToPublish).
  bool OnCacheTopic(std::string_view topic) override;
  void OnCacheReset() override;

  static constexpr size_t kCacheCapacity = 4096;
  static constexpr size_t kMaxCachedValueBytes = 4096;  // the cache holds at most 16 MiB of values
  size_t cached() const { return cache_.size(); }

 private:
  Status CheckReadable(const SecretView& view) const override;

  Random& rng_;
  Keyspace keys_;
  SecretTraits traits_;
  ObjectStore<model::SecretVersion> store_{keys_, traits_};
  LruCache<std::shared_ptr<const SecretView>> cache_{kCacheCapacity};
};

}  // namespace coffer::vault
