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
constexpr uint8_t kCertificatePayloadType = 0x03;
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
                                  " is too large to back up: its backup would exceed the " +
                                  std::to_string(kMaxBlobBytes >> 20) +
                                  " MiB per-object cap. Delete old versions (purge them) or back "
                                  "up the whole vault instead (POST /backup).",
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

// What every encoder checks before sealing: a named object with 1–kMaxBlobVersions versions and
// a header whose fields are canonical.
Status CheckObjectShape(const BlobHeader& header, size_t versions, const std::string& name) {
  if (versions > kMaxBlobVersions || !ValidHeader(header) || name.empty() ||
      name.size() > model::kMaxNameLength) {
    return InvalidArgumentError("A backup must hold 1 to " + std::to_string(kMaxBlobVersions) +
                                    " versions of a named object, with canonical header fields.",
                                "BadParameter");
  }
  return OkStatus();
}

// count ‖ one length-prefixed record per version.
template <typename V, typename Encode>
void WriteVersions(RecordWriter& out, const std::vector<V>& versions, Encode encode) {
  out.U32(static_cast<uint32_t>(versions.size()));
  for (const V& v : versions) out.Bytes(encode(v).view());
}

// The inverse of WriteVersions; at most kMaxBlobVersions. Any failure is "malformed".
template <typename V, typename Decode>
Status ReadVersions(RecordReader& r, std::vector<V>* versions, Decode decode) {
  uint32_t count = 0;
  if (!r.U32(&count).ok() || count > kMaxBlobVersions) return MalformedBlobError();
  versions->reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view record;
    if (!r.Bytes(&record, kMaxVersionRecordBytes).ok()) return MalformedBlobError();
    auto version = decode(record);
    if (!version.ok()) return MalformedBlobError();
    versions->push_back(std::move(*version));
  }
  return OkStatus();
}

// An optional record: a presence flag, then the record.
template <typename T, typename Encode>
void WriteOptional(RecordWriter& out, const std::optional<T>& value, Encode encode) {
  out.Bool(value.has_value());
  if (value) out.Bytes(encode(*value).view());
}

template <typename T, typename Decode>
Status ReadOptional(RecordReader& r, std::optional<T>* value, Decode decode) {
  bool present = false;
  if (!r.Bool(&present).ok()) return MalformedBlobError();
  if (!present) return OkStatus();
  std::string_view record;
  if (!r.Bytes(&record, kMaxVersionRecordBytes).ok()) return MalformedBlobError();
  auto decoded = decode(record);
  if (!decoded.ok()) return MalformedBlobError();
  *value = std::move(*decoded);
  return OkStatus();
}

// Authenticates the payload of a blob of `kind`: WrongKindError for another kind,
// IntegrityError for a wrong key or any altered byte.
StatusOr<SecretBytes> OpenPayload(const ParsedBlob& parsed, const SecretBytes& key,
                                  model::ObjectKind kind) {
  const BlobHeader& h = parsed.header;
  if (h.kind != kind) return WrongKindError(h.kind, kind);
  auto opened = crypto::AesGcmOpen(key, h.nonce, parsed.sealed_payload, parsed.associated_data);
  if (!opened.ok()) return IntegrityError();
  return std::move(*opened);
}

// The payload's type byte, object name and creation time.
Status ReadObjectStart(RecordReader& r, uint8_t payload_type, std::string* name,
                       UnixSeconds* created) {
  uint8_t type = 0;
  if (!r.U8(&type).ok() || type != payload_type || !r.String(name, model::kMaxNameLength).ok() ||
      name->empty() || !r.I64(created).ok()) {
    return MalformedBlobError();
  }
  return OkStatus();
}

void WriteObjectStart(RecordWriter& out, uint8_t payload_type, const std::string& name,
                      UnixSeconds created) {
  out.U8(payload_type);
  out.Bytes(name);
  out.I64(created);
}

}  // namespace

StatusOr<std::string> EncodeSecretBlob(BlobHeader header, const vault::SecretObject& object,
                                       const SecretBytes& key) {
  header.kind = model::ObjectKind::kSecret;
  header.version_count = static_cast<uint32_t>(object.versions.size());
  RETURN_IF_ERROR(CheckObjectShape(header, object.versions.size(), object.name));
  RecordWriter payload;
  WriteObjectStart(payload, kSecretPayloadType, object.name, object.created);
  WriteVersions(payload, object.versions, model::EncodeSecretVersion);
  return SealBlob(header, payload.Finish(), key);
}

StatusOr<std::string> EncodeKeyBlob(BlobHeader header, const vault::KeyObject& object,
                                    const SecretBytes& key) {
  header.kind = model::ObjectKind::kKey;
  header.version_count = static_cast<uint32_t>(object.versions.size());
  RETURN_IF_ERROR(CheckObjectShape(header, object.versions.size(), object.name));
  RecordWriter payload;
  WriteObjectStart(payload, kKeyPayloadType, object.name, object.created);
  WriteVersions(payload, object.versions, model::EncodeKeyVersion);
  WriteOptional(payload, object.policy, model::EncodeRotationPolicy);
  return SealBlob(header, payload.Finish(), key);
}

StatusOr<std::string> EncodeCertificateBlob(BlobHeader header,
                                            const vault::CertificateObject& object,
                                            const SecretBytes& key) {
  header.kind = model::ObjectKind::kCertificate;
  header.version_count = static_cast<uint32_t>(object.versions.size());
  RETURN_IF_ERROR(CheckObjectShape(header, object.versions.size(), object.name));
  if (object.key.versions.size() > kMaxBlobVersions ||
      object.secret.versions.size() > kMaxBlobVersions) {
    return CheckObjectShape(header, kMaxBlobVersions + 1, object.name);
  }
  RecordWriter payload;
  WriteObjectStart(payload, kCertificatePayloadType, object.name, object.created);
  WriteVersions(payload, object.versions, model::EncodeCertificateVersion);
  WriteOptional(payload, object.policy, model::EncodeCertificatePolicy);
  payload.I64(object.key.created);
  WriteVersions(payload, object.key.versions, model::EncodeKeyVersion);
  payload.I64(object.secret.created);
  WriteVersions(payload, object.secret.versions, model::EncodeSecretVersion);
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
  ASSIGN_OR_RETURN(SecretBytes plaintext, OpenPayload(parsed, key, model::ObjectKind::kSecret));
  // The payload authenticated, so it was made by a Coffer encoder; still, decode defensively.
  RecordReader r(plaintext.view());
  vault::SecretObject object;
  RETURN_IF_ERROR(ReadObjectStart(r, kSecretPayloadType, &object.name, &object.created));
  RETURN_IF_ERROR(ReadVersions(r, &object.versions, model::DecodeSecretVersion));
  if (object.versions.size() != parsed.header.version_count || !r.ExpectEnd().ok()) {
    return MalformedBlobError();
  }
  return object;
}

StatusOr<vault::KeyObject> OpenKeyBlob(const ParsedBlob& parsed, const SecretBytes& key) {
  ASSIGN_OR_RETURN(SecretBytes plaintext, OpenPayload(parsed, key, model::ObjectKind::kKey));
  RecordReader r(plaintext.view());
  vault::KeyObject object;
  RETURN_IF_ERROR(ReadObjectStart(r, kKeyPayloadType, &object.name, &object.created));
  RETURN_IF_ERROR(ReadVersions(r, &object.versions, model::DecodeKeyVersion));
  RETURN_IF_ERROR(ReadOptional(r, &object.policy, model::DecodeRotationPolicy));
  if (object.versions.size() != parsed.header.version_count || !r.ExpectEnd().ok()) {
    return MalformedBlobError();
  }
  return object;
}

StatusOr<vault::CertificateObject> OpenCertificateBlob(const ParsedBlob& parsed,
                                                       const SecretBytes& key) {
  ASSIGN_OR_RETURN(SecretBytes plaintext,
                   OpenPayload(parsed, key, model::ObjectKind::kCertificate));
  RecordReader r(plaintext.view());
  vault::CertificateObject object;
  RETURN_IF_ERROR(ReadObjectStart(r, kCertificatePayloadType, &object.name, &object.created));
  RETURN_IF_ERROR(ReadVersions(r, &object.versions, model::DecodeCertificateVersion));
  RETURN_IF_ERROR(ReadOptional(r, &object.policy, model::DecodeCertificatePolicy));
  if (!r.I64(&object.key.created).ok()) return MalformedBlobError();
  RETURN_IF_ERROR(ReadVersions(r, &object.key.versions, model::DecodeKeyVersion));
  if (!r.I64(&object.secret.created).ok()) return MalformedBlobError();
  RETURN_IF_ERROR(ReadVersions(r, &object.secret.versions, model::DecodeSecretVersion));
  if (object.versions.size() != parsed.header.version_count || !r.ExpectEnd().ok()) {
    return MalformedBlobError();
  }
  object.key.name = object.name;
  object.secret.name = object.name;
  return object;
}

}  // namespace coffer::backup
