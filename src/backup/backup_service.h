// BackupService: per-object backup and restore (DESIGN.md §1 "Backup / restore (per object)").
//
// A backup is every version of one live object sealed into a BackupBlob (blob_codec.h) under a
// key derived from the deployment's backup root for the source vault's (subscription,
// geography); each blob gets a fresh random salt and nonce. Restore checks the blob's framing,
// kind, deployment, subscription and geography — in that order, each with its own message —
// then authenticates it, and writes the object in one transaction, keeping names, version ids
// and timestamps. Nothing is written when any check fails.
//
// Bytes in and out are raw; the API layer does the base64url.
//
// Status codes: InvalidArgument [BadParameter] for every blob problem (see
// docs/formats/backup-blob.md for the precedence); NotFound / FailedPrecondition from Export on
// backup; AlreadyExists [Conflict | ObjectIsDeletedButRecoverable] from Import on restore;
// Unavailable when sealed or storage fails.
//
// Thread-safety: safe to call concurrently (the services it uses are).
#pragma once

#include <string>
#include <string_view>

#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "model/vault_record.h"
#include "vault/secret_service.h"

namespace coffer::backup {

class BackupService {
 public:
  // All references must outlive the service.
  BackupService(barrier::Barrier& barrier, vault::SecretService& secrets, Random& rng,
                const Clock& clock);

  // The raw blob of every version of the live secret `name`.
  StatusOr<std::string> BackupSecret(const model::VaultRecord& vault, std::string_view name);
  // Restores a secret blob into `target`; returns its latest version.
  StatusOr<vault::SecretView> RestoreSecret(const model::VaultRecord& target,
                                            std::string_view blob);

 private:
  barrier::Barrier& barrier_;
  vault::SecretService& secrets_;
  Random& rng_;
  const Clock& clock_;
};

}  // namespace coffer::backup
