// ArchiveImporter: turns the objects of a vault archive (archive_records.h) back into stored
// objects inside the caller's transaction, through the object store of each kind, so a restored
// object is exactly what the services would have written: version ids, sequences (renumbered
// densely in order), attributes and timestamps kept; a key's rotation policy rescheduled from
// its latest version; a certificate's policy stored and its lifetime actions rescheduled; a
// deleted object put back in the deleted area with the archive's deletion and scheduled purge
// dates (and the sweeper's purge entry for that date).
//
// Check decodes and validates without writing (the verify pass before any transaction); Write
// does it again inside the restore transaction and writes.
//
// Status codes: InvalidArgument [BadParameter] for a record that does not decode or a version
// that may not be restored; AlreadyExists [Conflict | ObjectIsDeletedButRecoverable] from the
// object store when the name is taken; Unavailable from storage.
//
// Thread-safety: immutable after construction; safe to share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "backup/archive_records.h"
#include "barrier/barrier.h"
#include "model/vault_record.h"
#include "vault/keyspace.h"
#include "vault/kind_traits.h"
#include "vault/object_store.h"
#include "vault/txn_effects.h"

namespace coffer::backup {

class ArchiveImporter {
 public:
  // `key_traits` are the KeyService's (its caches drop after each write); both references must
  // outlive the importer.
  ArchiveImporter(const vault::Keyspace& keys,
                  const vault::KindTraits<model::KeyVersion>& key_traits);

  Status Check(const ArchivedObject& object) const;
  // Whether the object's versions back a certificate (a managed key or secret).
  StatusOr<bool> Managed(const ArchivedObject& object) const;
  Status Write(barrier::Txn& t, vault::TxnEffects& effects, const model::VaultRecord& vault,
               const ArchivedObject& object) const;

  Status CheckContacts(const SecretBytes& record) const;
  Status CheckIssuer(const SecretBytes& record) const;
  // Contacts and issuers are written only where the vault has none of their own (a restore
  // never overwrites); returns whether it wrote.
  StatusOr<bool> WriteContacts(barrier::Txn& t, const model::VaultRecord& vault,
                               const SecretBytes& record) const;
  StatusOr<bool> WriteIssuer(barrier::Txn& t, const model::VaultRecord& vault,
                             const SecretBytes& record) const;

 private:
  const vault::Keyspace& keys_;
  vault::SecretTraits secret_traits_;
  vault::CertificateTraits certificate_traits_;
  vault::ObjectStore<model::SecretVersion> secrets_{keys_, secret_traits_};
  vault::ObjectStore<model::KeyVersion> keys_store_;
  vault::ObjectStore<model::CertificateVersion> certificates_{keys_, certificate_traits_};
};

}  // namespace coffer::backup
