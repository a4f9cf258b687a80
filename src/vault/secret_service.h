// SecretService: the Secrets API's domain logic — versions, attributes, soft delete, recover,
// purge, and the export/import used by backup and restore. The lifecycle (list, delete,
// recover, purge) is ObjectLifecycle's over the object store (object_store.h, with
// SecretTraits); this service holds what is particular to secrets: the value and content type,
// their limits, and a disabled version being unreadable.
// Each public call is one barrier transaction; every check that decides a 404/409 runs inside
// that transaction.
//
// Status codes (reason in brackets): InvalidArgument [BadParameter]; NotFound [SecretNotFound];
// PermissionDenied [SecretDisabled] for reading a disabled version, [Forbidden] for purge under
// purge protection; AlreadyExists [ObjectIsDeletedButRecoverable] when the name is soft-deleted,
// [Conflict] when restoring onto a live name; Unavailable when sealed or storage fails.
//
// Thread-safety: safe to call concurrently.
#pragma once

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

class SecretService : public ObjectLifecycle<model::SecretVersion, SecretView> {
 public:
  SecretService(barrier::Barrier& barrier, const Clock& clock, Random& rng);

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

 private:
  Status CheckReadable(const SecretView& view) const override;

  Random& rng_;
  Keyspace keys_;
  SecretTraits traits_;
  ObjectStore<model::SecretVersion> store_{keys_, traits_};
};

}  // namespace coffer::vault
