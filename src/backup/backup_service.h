// BackupService: per-object backup and restore (DESIGN.md §1 "Backup / restore (per object)").
//
// Secrets, keys and certificates share the blob format (kind 1, 2 and 3; a certificate's blob
// carries its policy and its managed key and secret). A backup is every version of one live
// object (for keys also the rotation policy) sealed into a BackupBlob (blob_codec.h) under a
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

#include "backup/blob_codec.h"
#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "model/vault_record.h"
#include "vault/certificate_service.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"

namespace coffer::backup {

class BackupService {
 public:
  // All references must outlive the service. Without `keys` (`certificates`), key (certificate)
  // backup and restore answer FailedPrecondition.
  BackupService(barrier::Barrier& barrier, vault::SecretService& secrets, Random& rng,
                const Clock& clock, vault::KeyService* keys = nullptr,
                vault::CertificateService* certificates = nullptr);

  // The raw blob of every version of the live secret `name`.
  StatusOr<std::string> BackupSecret(const model::VaultRecord& vault, std::string_view name);
  // Restores a secret blob into `target`; returns its latest version.
  StatusOr<vault::SecretView> RestoreSecret(const model::VaultRecord& target,
                                            std::string_view blob);

  // The raw blob of every version of the live key `name` (material and policy included).
  StatusOr<std::string> BackupKey(const model::VaultRecord& vault, std::string_view name);
  // Restores a key blob into `target`; returns its latest version.
  StatusOr<vault::KeyView> RestoreKey(const model::VaultRecord& target, std::string_view blob);

  // The raw blob of every version of the live certificate `name` with its policy, managed key
  // and managed secret.
  StatusOr<std::string> BackupCertificate(const model::VaultRecord& vault, std::string_view name);
  // Restores a certificate blob into `target` (certificate, key and secret in one transaction);
  // returns its latest version with its policy.
  StatusOr<vault::CertificateView> RestoreCertificate(const model::VaultRecord& target,
                                                      std::string_view blob);

 private:
  // A header for a new blob of `kind` from `vault` (fresh salt and nonce).
  StatusOr<BlobHeader> NewHeader(const model::VaultRecord& vault, model::ObjectKind kind);
  // A new blob of `kind` from `vault`: the header, export_object() (StatusOr of the object) and
  // encode(header, object, key).
  template <typename Export, typename Encode>
  StatusOr<std::string> Seal(const model::VaultRecord& vault, model::ObjectKind kind,
                             Export export_object, Encode encode);
  // The restore checks after framing, in order: kind, deployment, subscription, geography;
  // then the derived key.
  StatusOr<SecretBytes> CheckAndDeriveKey(const ParsedBlob& parsed,
                                          const model::VaultRecord& target,
                                          model::ObjectKind kind);

  barrier::Barrier& barrier_;
  vault::SecretService& secrets_;
  vault::KeyService* keys_;
  vault::CertificateService* certificates_;
  Random& rng_;
  const Clock& clock_;
};

}  // namespace coffer::backup
