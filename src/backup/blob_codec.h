// BackupBlob codec: the per-object backup blob of DESIGN.md §3 "Backup blob", format version 1.
//
//   magic "CFBK" | format version | header | nonce | AES-256-GCM(payload)
//
// Every byte before the ciphertext (magic, version, header and nonce) is the GCM associated
// data, so no header field can be altered without the blob failing to open. The payload key is
// HKDF-SHA256(backup root, salt, BackupKeyInfo(...)); the codec never sees the backup root: the
// caller derives the key (Barrier::DeriveBackupKey in production, crypto::HkdfSha256 from a fixed
// root in the golden-vector tests) and passes it in. Byte-by-byte layout, error precedence and
// what is kept out of the clear: docs/formats/backup-blob.md.
//
// Decoding is two steps so restore can give a precise error before any cryptography:
// ParseBlob checks the framing and every header field (sizes and counts are capped before
// anything is allocated), then OpenSecretBlob / OpenKeyBlob / OpenCertificateBlob authenticates
// and decodes the payload.
// Every failure is InvalidArgument with reason "BadParameter" and a message a person can act
// on; no input, however hostile, yields another code.
//
// Thread-safety: stateless functions over values; safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/secret_bytes.h"
#include "core/status.h"
#include "model/object.h"
#include "vault/certificate_service.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"

namespace coffer::backup {

constexpr std::string_view kBlobMagic = "CFBK";
constexpr uint8_t kBlobFormatV1 = 1;
constexpr size_t kMaxBlobBytes = 64 * 1024 * 1024;  // CONTRACT.md: the per-object cap
constexpr size_t kBackupRootIdSize = 16;
constexpr size_t kBlobSaltSize = 32;
constexpr size_t kBlobNonceSize = 12;
constexpr size_t kMaxBlobVersions = vault::kMaxVersionsPerBackup;
constexpr size_t kMaxHeaderStringLength = 256;    // subscription, geography
constexpr size_t kMaxSourceVaultLength = 127;

// The clear-text part of a blob. Everything here is bound to the ciphertext as associated data.
struct BlobHeader {
  uint8_t format_version = kBlobFormatV1;
  model::ObjectKind kind = model::ObjectKind::kSecret;
  std::string backup_root_id;   // 16 bytes: which deployment's backup root sealed it
  std::string salt;             // 32 random bytes: HKDF salt
  std::string subscription_id;  // canonical: lowercase GUID
  std::string geography;        // canonical: lowercase, e.g. "united states"
  std::string source_vault;     // name of the vault the backup was taken from
  UnixSeconds created = 0;      // when the backup was made
  uint32_t version_count = 0;   // 1..kMaxBlobVersions
  std::string nonce;            // 12 random bytes: GCM nonce
};

// A blob whose framing and header fields are valid; the views point into the parsed input,
// which must outlive this value.
struct ParsedBlob {
  BlobHeader header;
  std::string_view associated_data;  // magic .. nonce inclusive
  std::string_view sealed_payload;   // ciphertext || 16-byte tag
};

// The canonical spellings used in headers and key derivation.
std::string CanonicalSubscription(std::string_view subscription_id);
// Lowercased geography of a catalogue region ("eastus" → "united states"); empty if unknown.
std::string CanonicalGeography(std::string_view location);
// The catalogue's display spelling of a canonical geography ("united states" → "United States");
// the input itself if no region has it.
std::string GeographyDisplayName(std::string_view canonical_geography);

// HKDF info: length-prefixed fields (u32 big-endian length + bytes) of the label
// "coffer/backup-blob", the format version, subscription, geography and kind.
std::string BackupKeyInfo(uint8_t format_version, std::string_view subscription_id,
                          std::string_view geography, model::ObjectKind kind);
inline std::string BackupKeyInfo(const BlobHeader& h) {
  return BackupKeyInfo(h.format_version, h.subscription_id, h.geography, h.kind);
}

// Builds a secret blob. `header` must be complete (salt, nonce, root id chosen by the caller;
// version_count is set from `object`); `key` is the 32-byte key derived for it.
// InvalidArgument if a field is out of range or the blob would exceed kMaxBlobBytes.
StatusOr<std::string> EncodeSecretBlob(BlobHeader header, const vault::SecretObject& object,
                                       const SecretBytes& key);

// Builds a key blob (kind 2, payload type 0x02): every KeyVersion record, material included, and
// the rotation policy. Same header rules and errors as EncodeSecretBlob.
StatusOr<std::string> EncodeKeyBlob(BlobHeader header, const vault::KeyObject& object,
                                    const SecretBytes& key);

// Builds a certificate blob (kind 3, payload type 0x03): every CertificateVersion record, the
// policy, and every version of the managed key and secret. version_count is the certificate's;
// the key and secret carry their own counts (0..kMaxBlobVersions each).
StatusOr<std::string> EncodeCertificateBlob(BlobHeader header,
                                            const vault::CertificateObject& object,
                                            const SecretBytes& key);

// Checks magic, format version and every header field. InvalidArgument("…malformed or
// truncated…") for bad framing, InvalidArgument("…format version N is not supported") for an
// unknown version.
StatusOr<ParsedBlob> ParseBlob(std::string_view blob);
// The result views into its input: parsing a temporary string would leave it dangling.
StatusOr<ParsedBlob> ParseBlob(std::string&& blob) = delete;

// Authenticates and decodes the payload of a parsed secret blob. InvalidArgument("…failed
// integrity verification…") for a wrong key or any altered byte; InvalidArgument if the blob
// holds another kind.
StatusOr<vault::SecretObject> OpenSecretBlob(const ParsedBlob& parsed, const SecretBytes& key);

// The same for a key blob; InvalidArgument (WrongKindError) if the blob holds another kind.
StatusOr<vault::KeyObject> OpenKeyBlob(const ParsedBlob& parsed, const SecretBytes& key);

// The same for a certificate blob.
StatusOr<vault::CertificateObject> OpenCertificateBlob(const ParsedBlob& parsed,
                                                       const SecretBytes& key);

// The messages restore uses, shared so tests and the API see one wording.
Status MalformedBlobError();
Status IntegrityError();
// "This backup holds a key, not a secret; restore it with …".
Status WrongKindError(model::ObjectKind held, model::ObjectKind wanted);

}  // namespace coffer::backup
