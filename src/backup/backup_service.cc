#include "backup/backup_service.h"

#include <utility>

#include "backup/backup_binding.h"
#include "backup/blob_codec.h"

namespace coffer::backup {
namespace {

Status NotAvailable(std::string_view what) {
  return FailedPreconditionError(std::string(what) + " backup is not available in this server.",
                                 "BadParameter");
}

}  // namespace

BackupService::BackupService(barrier::Barrier& barrier, vault::SecretService& secrets,
                             Random& rng, const Clock& clock, vault::KeyService* keys,
                             vault::CertificateService* certificates)
    : barrier_(barrier),
      secrets_(secrets),
      keys_(keys),
      certificates_(certificates),
      rng_(rng),
      clock_(clock) {}

StatusOr<BlobHeader> BackupService::NewHeader(const model::VaultRecord& vault,
                                              model::ObjectKind kind) {
  ASSIGN_OR_RETURN(BackupBinding binding, BindingOf(barrier_, vault));
  BlobHeader header;
  header.geography = std::move(binding.geography);
  header.kind = kind;
  header.subscription_id = std::move(binding.subscription_id);
  header.source_vault = vault.name;
  header.created = clock_.Now();
  header.backup_root_id = std::move(binding.backup_root_id);
  header.salt = rng_.Bytes(kBlobSaltSize);
  header.nonce = rng_.Bytes(kBlobNonceSize);
  return header;
}

template <typename Export, typename Encode>
StatusOr<std::string> BackupService::Seal(const model::VaultRecord& vault, model::ObjectKind kind,
                                          Export export_object, Encode encode) {
  ASSIGN_OR_RETURN(BlobHeader header, NewHeader(vault, kind));
  ASSIGN_OR_RETURN(auto object, export_object());
  ASSIGN_OR_RETURN(SecretBytes key, barrier_.DeriveBackupKey(header.salt, BackupKeyInfo(header)));
  return encode(std::move(header), object, key);
}

StatusOr<std::string> BackupService::BackupSecret(const model::VaultRecord& vault,
                                                  std::string_view name) {
  return Seal(vault, model::ObjectKind::kSecret, [&] { return secrets_.Export(vault, name); },
              EncodeSecretBlob);
}

StatusOr<std::string> BackupService::BackupKey(const model::VaultRecord& vault,
                                               std::string_view name) {
  if (keys_ == nullptr) return NotAvailable("Key");
  return Seal(vault, model::ObjectKind::kKey, [&] { return keys_->ExportObject(vault, name); },
              EncodeKeyBlob);
}

StatusOr<std::string> BackupService::BackupCertificate(const model::VaultRecord& vault,
                                                       std::string_view name) {
  if (certificates_ == nullptr) return NotAvailable("Certificate");
  return Seal(vault, model::ObjectKind::kCertificate,
              [&] { return certificates_->ExportObject(vault, name); }, EncodeCertificateBlob);
}

StatusOr<SecretBytes> BackupService::CheckAndDeriveKey(const ParsedBlob& parsed,
                                                       const model::VaultRecord& target,
                                                       model::ObjectKind kind) {
  // Precedence (docs/formats/backup-blob.md): framing, format version (both in ParseBlob), kind,
  // deployment, subscription, geography, integrity; then the 409s of the import.
  const BlobHeader& h = parsed.header;
  if (h.kind != kind) return WrongKindError(h.kind, kind);
  RETURN_IF_ERROR(CheckBinding(barrier_, {h.backup_root_id, h.subscription_id, h.geography},
                               target));
  return barrier_.DeriveBackupKey(h.salt, BackupKeyInfo(h));
}

StatusOr<vault::SecretView> BackupService::RestoreSecret(const model::VaultRecord& target,
                                                         std::string_view blob) {
  ASSIGN_OR_RETURN(ParsedBlob parsed, ParseBlob(blob));
  ASSIGN_OR_RETURN(SecretBytes key,
                   CheckAndDeriveKey(parsed, target, model::ObjectKind::kSecret));
  ASSIGN_OR_RETURN(vault::SecretObject object, OpenSecretBlob(parsed, key));
  return secrets_.Import(target, object);
}

StatusOr<vault::KeyView> BackupService::RestoreKey(const model::VaultRecord& target,
                                                   std::string_view blob) {
  if (keys_ == nullptr) return NotAvailable("Key");
  ASSIGN_OR_RETURN(ParsedBlob parsed, ParseBlob(blob));
  ASSIGN_OR_RETURN(SecretBytes key, CheckAndDeriveKey(parsed, target, model::ObjectKind::kKey));
  ASSIGN_OR_RETURN(vault::KeyObject object, OpenKeyBlob(parsed, key));
  return keys_->RestoreObject(target, object);
}

StatusOr<vault::CertificateView> BackupService::RestoreCertificate(
    const model::VaultRecord& target, std::string_view blob) {
  if (certificates_ == nullptr) return NotAvailable("Certificate");
  ASSIGN_OR_RETURN(ParsedBlob parsed, ParseBlob(blob));
  ASSIGN_OR_RETURN(SecretBytes key,
                   CheckAndDeriveKey(parsed, target, model::ObjectKind::kCertificate));
  ASSIGN_OR_RETURN(vault::CertificateObject object, OpenCertificateBlob(parsed, key));
  return certificates_->RestoreObject(target, object);
}

}  // namespace coffer::backup
