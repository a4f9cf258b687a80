#include "backup/backup_service.h"

#include <utility>

#include "backup/blob_codec.h"

namespace coffer::backup {
namespace {

Status UnknownRegion(const model::VaultRecord& vault) {
  return FailedPreconditionError("The vault '" + vault.name + "' is in location '" +
                                     vault.location +
                                     "', which is not in the region catalogue; its geography "
                                     "is unknown, so backups cannot be bound to it.",
                                 "BadParameter");
}

}  // namespace

BackupService::BackupService(barrier::Barrier& barrier, vault::SecretService& secrets,
                             Random& rng, const Clock& clock)
    : barrier_(barrier), secrets_(secrets), rng_(rng), clock_(clock) {}

StatusOr<std::string> BackupService::BackupSecret(const model::VaultRecord& vault,
                                                  std::string_view name) {
  BlobHeader header;
  header.geography = CanonicalGeography(vault.location);
  if (header.geography.empty()) return UnknownRegion(vault);
  header.kind = model::ObjectKind::kSecret;
  header.subscription_id = CanonicalSubscription(vault.subscription_id);
  header.source_vault = vault.name;
  header.created = clock_.Now();
  ASSIGN_OR_RETURN(header.backup_root_id, barrier_.BackupRootId());
  header.salt = rng_.Bytes(kBlobSaltSize);
  header.nonce = rng_.Bytes(kBlobNonceSize);

  ASSIGN_OR_RETURN(vault::SecretObject object, secrets_.Export(vault, name));
  ASSIGN_OR_RETURN(SecretBytes key, barrier_.DeriveBackupKey(header.salt, BackupKeyInfo(header)));
  return EncodeSecretBlob(std::move(header), object, key);
}

StatusOr<vault::SecretView> BackupService::RestoreSecret(const model::VaultRecord& target,
                                                         std::string_view blob) {
  // Precedence (docs/formats/backup-blob.md): framing, format version, kind, deployment,
  // subscription, geography, integrity; then the 409s of Import.
  ASSIGN_OR_RETURN(ParsedBlob parsed, ParseBlob(blob));
  const BlobHeader& h = parsed.header;
  if (h.kind != model::ObjectKind::kSecret) {
    return WrongKindError(h.kind, model::ObjectKind::kSecret);
  }
  ASSIGN_OR_RETURN(std::string root_id, barrier_.BackupRootId());
  if (h.backup_root_id != root_id) {
    return InvalidArgumentError(
        "This backup was made by another Coffer deployment and cannot be restored here.",
        "BadParameter");
  }
  std::string subscription = CanonicalSubscription(target.subscription_id);
  if (h.subscription_id != subscription) {
    return InvalidArgumentError(
        "This backup belongs to subscription " + h.subscription_id + " and can only be "
        "restored into a vault of that subscription; vault '" + target.name +
        "' is in subscription " + subscription + ".",
        "BadParameter");
  }
  std::string geography = CanonicalGeography(target.location);
  if (geography.empty()) return UnknownRegion(target);
  if (h.geography != geography) {
    return InvalidArgumentError(
        "This backup was made in the " + GeographyDisplayName(h.geography) +
            " geography and can only be restored into a vault in that geography; vault '" +
            target.name + "' is in " + target.location + " (" + GeographyDisplayName(geography) +
            " geography).",
        "BadParameter");
  }
  ASSIGN_OR_RETURN(SecretBytes key, barrier_.DeriveBackupKey(h.salt, BackupKeyInfo(h)));
  ASSIGN_OR_RETURN(vault::SecretObject object, OpenSecretBlob(parsed, key));
  return secrets_.Import(target, object);
}

}  // namespace coffer::backup
