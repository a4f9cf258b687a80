#include "backup/blob_codec.h"

#include <utility>

#include "core/encoding.h"
#include "core/record_codec.h"
#include "crypto/primitives.h"
#include "model/regions.h"

namespace coffer::backup {
namespace {

constexpr uint8_t kSecretPayloadType = 0x01;
constexpr uint8_t kKeyPayloadType = 0x02;
constexpr size_t kMaxVersionRecordBytes = 1 << 20;
constexpr std::string_view kKeyInfoLabel = "coffer/backup-blob";

std::string_view KindNoun(model::ObjectKind kind) {
  switch (kind) {
    case model::ObjectKind::kSecret: return "secret";
    case model::ObjectKind::kKey: return "key";
    case model::ObjectKind::kCertificate: return "certificate";
  }
  return "object";
}

Status TooLargeError(model::ObjectKind kind) {
  return InvalidArgumentError("The " + std::string(KindNoun(kind)) +
                                  " is too large to back up: the blob would exceed 20 MiB.",
                              "BadParameter");
}

bool ValidKind(uint8_t k) { return k >= 1 && k <= 3; }

// Printable ASCII, 1..max bytes, and (if `canonical`) no upper-case letters.
bool ValidHeaderString(std::string_view s, size_t max, bool canonical) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
    if (canonical && c >= 'A' && c <= 'Z') return false;
  }
  return true;
}

void AppendU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

void AppendField(std::string& out, std::string_view field) {
  AppendU32(out, static_cast<uint32_t>(field.size()));
  out.append(field);
}

bool ValidHeader(const BlobHeader& h) {
  return !(h.format_version != kBlobFormatV1 || !ValidKind(static_cast<uint8_t>(h.kind)) ||
      h.backup_root_id.size() != kBackupRootIdSize || h.salt.size() != kBlobSaltSize ||
      h.nonce.size() != kBlobNonceSize ||
      !ValidHeaderString(h.subscription_id, kMaxHeaderStringLength, true) ||
      !ValidHeaderString(h.geography, kMaxHeaderStringLength, true) ||
      !ValidHeaderString(h.source_vault, kMaxSourceVaultLength, false) || h.created < 0 ||
      h.version_count == 0 || h.version_count > kMaxBlobVersions);
}

// magic .. nonce: the associated data. `sealed_size` = ciphertext + tag bytes that follow.
std::string EncodeHeader(const BlobHeader& h, uint32_t sealed_size) {
  std::string out(kBlobMagic);
  out.push_back(static_cast<char>(h.format_version));
  out.push_back(static_cast<char>(h.kind));
  AppendField(out, h.subscription_id);
  AppendField(out, h.geography);
  AppendField(out, h.source_vault);
  uint64_t created = static_cast<uint64_t>(h.created);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(created >> shift));
  AppendU32(out, h.version_count);
  AppendU32(out, sealed_size);
  out += h.backup_root_id;
  out += h.salt;
  out += h.nonce;
  return out;
}

// Header ‖ AES-256-GCM(plaintext) with the header as associated data.
StatusOr<std::string> SealBlob(const BlobHeader& header, const SecretBytes& plaintext,
                               const SecretBytes& key) {
  size_t sealed_size = plaintext.size() + crypto::kGcmTagSize;
  if (sealed_size > kMaxBlobBytes) return TooLargeError(header.kind);
  std::string blob = EncodeHeader(header, static_cast<uint32_t>(sealed_size));
  if (blob.size() + sealed_size > kMaxBlobBytes) return TooLargeError(header.kind);
  ASSIGN_OR_RETURN(std::string sealed,
                   crypto::AesGcmSeal(key, header.nonce, plaintext.view(), blob));
  blob += sealed;
  return blob;
}

}  // namespace

// Azure's exact message for a blob that is not a backup (the SDKs' own tests compare it);
// refusals of valid blobs (another kind, deployment, subscription or geography) keep messages
// that say why.
Status MalformedBlobError() {
  return InvalidArgumentError("Backup blob contains invalid or corrupt version.", "BadParameter");
}

Status WrongKindError(model::ObjectKind held, model::ObjectKind wanted) {
  std::string noun(KindNoun(held));
  return InvalidArgumentError("This backup holds a " + noun + ", not a " +
                                  std::string(KindNoun(wanted)) + "; restore it with the " +
                                  noun + " restore operation (POST /" + noun + "s/restore, or "
                                  "`coffer " + noun + " restore`).",
                              "BadParameter");
}

Status IntegrityError() { return MalformedBlobError(); }

std::string CanonicalSubscription(std::string_view subscription_id) {
  return AsciiLower(subscription_id);
}

std::string CanonicalGeography(std::string_view location) {
  const model::Region* region = model::FindRegion(location);
  return region ? AsciiLower(region->geography) : std::string();
}

std::string GeographyDisplayName(std::string_view canonical_geography) {
  for (const model::Region& r : model::AllRegions()) {
    if (EqualsIgnoreCase(r.geography, canonical_geography)) return std::string(r.geography);
  }
  return std::string(canonical_geography);
}

std::string BackupKeyInfo(uint8_t format_version, std::string_view subscription_id,
                          std::string_view geography, model::ObjectKind kind) {
  std::string info;
  AppendField(info, kKeyInfoLabel);
  AppendField(info, std::string(1, static_cast<char>(format_version)));
  AppendField(info, subscription_id);
  AppendField(info, geography);
  AppendField(info, std::string(1, static_cast<char>(kind)));
  return info;
}

namespace {

// What every encoder checks before sealing: a named object with 1–500 versions and a header
// whose fields are canonical.
Status CheckObjectShape(const BlobHeader& header, size_t versions, const std::string& name) {
  if (versions > kMaxBlobVersions || !ValidHeader(header) || name.empty() ||
      name.size() > model::kMaxNameLength) {
    return InvalidArgumentError("A backup must hold 1 to 500 versions of a named object, with "
                                "canonical header fields.",
                                "BadParameter");
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::string> EncodeSecretBlob(BlobHeader header, const vault::SecretObject& object,
                                       const SecretBytes& key) {
  header.kind = model::ObjectKind::kSecret;
  header.version_count = static_cast<uint32_t>(object.versions.size());
  RETURN_IF_ERROR(CheckObjectShape(header, object.versions.size(), object.name));

  RecordWriter payload;
  payload.U8(kSecretPayloadType);
  payload.Bytes(object.name);
  payload.I64(object.created);
  payload.U32(header.version_count);
  for (const model::SecretVersion& v : object.versions) {
    payload.Bytes(model::EncodeSecretVersion(v).view());
  }
  return SealBlob(header, payload.Finish(), key);
}

StatusOr<std::string> EncodeKeyBlob(BlobHeader header, const vault::KeyObject& object,
                                    const SecretBytes& key) {
  header.kind = model::ObjectKind::kKey;
  header.version_count = static_cast<uint32_t>(object.versions.size());
  RETURN_IF_ERROR(CheckObjectShape(header, object.versions.size(), object.name));
  RecordWriter payload;
  payload.U8(kKeyPayloadType);
  payload.Bytes(object.name);
  payload.I64(object.created);
  payload.U32(header.version_count);
  for (const model::KeyVersion& v : object.versions) {
    payload.Bytes(model::EncodeKeyVersion(v).view());
  }
  payload.Bool(object.policy.has_value());
  if (object.policy) payload.Bytes(model::EncodeRotationPolicy(*object.policy).view());
  return SealBlob(header, payload.Finish(), key);
}

StatusOr<ParsedBlob> ParseBlob(std::string_view blob) {
  if (blob.size() > kMaxBlobBytes || blob.size() < kBlobMagic.size() + 1 ||
      blob.substr(0, kBlobMagic.size()) != kBlobMagic) {
    return MalformedBlobError();
  }
  uint8_t version = static_cast<uint8_t>(blob[kBlobMagic.size()]);
  if (version != kBlobFormatV1) {
    return InvalidArgumentError(
        "The backup blob's format version " + std::to_string(version) +
            " is not supported by this Coffer release (it reads version 1). Restore it with the "
            "release that made it or a newer one.",
        "BadParameter");
  }

  // Any framing error below, whatever the reader reports, is "malformed".
  RecordReader r(blob.substr(kBlobMagic.size() + 1));
  ParsedBlob out;
  BlobHeader& h = out.header;
  h.format_version = version;
  uint8_t kind = 0;
  uint64_t created = 0;
  uint32_t sealed_size = 0;
  std::string_view root_id, salt, nonce;
  if (!r.U8(&kind).ok() || !ValidKind(kind) ||
      !r.String(&h.subscription_id, kMaxHeaderStringLength).ok() ||
      !r.String(&h.geography, kMaxHeaderStringLength).ok() ||
      !r.String(&h.source_vault, kMaxSourceVaultLength).ok() || !r.U64(&created).ok() ||
      !r.U32(&h.version_count).ok() || !r.U32(&sealed_size).ok() ||
      !r.Raw(kBackupRootIdSize, &root_id).ok() || !r.Raw(kBlobSaltSize, &salt).ok() ||
      !r.Raw(kBlobNonceSize, &nonce).ok() || sealed_size < crypto::kGcmTagSize ||
      r.remaining() != sealed_size) {  // truncated or extended
    return MalformedBlobError();
  }
  h.kind = static_cast<model::ObjectKind>(kind);
  h.created = static_cast<UnixSeconds>(created);
  h.backup_root_id = std::string(root_id);
  h.salt = std::string(salt);
  h.nonce = std::string(nonce);
  if (!ValidHeader(h)) return MalformedBlobError();

  size_t header_size = blob.size() - r.remaining();
  out.associated_data = blob.substr(0, header_size);
  out.sealed_payload = blob.substr(header_size);
  return out;
}

StatusOr<vault::SecretObject> OpenSecretBlob(const ParsedBlob& parsed, const SecretBytes& key) {
  const BlobHeader& h = parsed.header;
  if (h.kind != model::ObjectKind::kSecret) {
    return WrongKindError(h.kind, model::ObjectKind::kSecret);
  }
  auto opened = crypto::AesGcmOpen(key, h.nonce, parsed.sealed_payload, parsed.associated_data);
  if (!opened.ok()) return IntegrityError();
  const SecretBytes& plaintext = *opened;

  // The payload authenticated, so it was made by a Coffer encoder; still, decode defensively.
  RecordReader r(plaintext.view());
  vault::SecretObject object;
  uint8_t type = 0;
  uint32_t count = 0;
  if (!r.U8(&type).ok() || type != kSecretPayloadType ||
      !r.String(&object.name, model::kMaxNameLength).ok() || object.name.empty() ||
      !r.I64(&object.created).ok() || !r.U32(&count).ok() || count != h.version_count) {
    return MalformedBlobError();
  }
  object.versions.reserve(count);  // count == header count, already capped at 500
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view record;
    if (!r.Bytes(&record, kMaxVersionRecordBytes).ok()) return MalformedBlobError();
    auto version = model::DecodeSecretVersion(record);
    if (!version.ok()) return MalformedBlobError();
    object.versions.push_back(std::move(*version));
  }
  if (!r.ExpectEnd().ok()) return MalformedBlobError();
  return object;
}

StatusOr<vault::KeyObject> OpenKeyBlob(const ParsedBlob& parsed, const SecretBytes& key) {
  const BlobHeader& h = parsed.header;
  if (h.kind != model::ObjectKind::kKey) return WrongKindError(h.kind, model::ObjectKind::kKey);
  auto opened = crypto::AesGcmOpen(key, h.nonce, parsed.sealed_payload, parsed.associated_data);
  if (!opened.ok()) return IntegrityError();
  const SecretBytes& plaintext = *opened;

  RecordReader r(plaintext.view());
  vault::KeyObject object;
  uint8_t type = 0;
  uint32_t count = 0;
  if (!r.U8(&type).ok() || type != kKeyPayloadType ||
      !r.String(&object.name, model::kMaxNameLength).ok() || object.name.empty() ||
      !r.I64(&object.created).ok() || !r.U32(&count).ok() || count != h.version_count) {
    return MalformedBlobError();
  }
  object.versions.reserve(count);  // == header count, already capped at 500
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view record;
    if (!r.Bytes(&record, kMaxVersionRecordBytes).ok()) return MalformedBlobError();
    auto version = model::DecodeKeyVersion(record);
    if (!version.ok()) return MalformedBlobError();
    object.versions.push_back(std::move(*version));
  }
  bool has_policy = false;
  if (!r.Bool(&has_policy).ok()) return MalformedBlobError();
  if (has_policy) {
    std::string_view record;
    if (!r.Bytes(&record, kMaxVersionRecordBytes).ok()) return MalformedBlobError();
    auto policy = model::DecodeRotationPolicy(record);
    if (!policy.ok()) return MalformedBlobError();
    object.policy = std::move(*policy);
  }
  if (!r.ExpectEnd().ok()) return MalformedBlobError();
  return object;
}

}  // namespace coffer::backup
