#include "vault/keyspace.h"

#include <cstdio>

#include "core/encoding.h"

namespace coffer::vault {

StatusOr<std::string> Keyspace::VaultKey(std::string_view vault_name) const {
  ASSIGN_OR_RETURN(std::string mac, barrier_.IndexMac("vault", AsciiLower(vault_name)));
  return std::string(kVaultPrefix) + EncodeHex(mac);
}

StatusOr<std::string> Keyspace::NameMac(std::string_view vault_id, model::ObjectKind kind,
                                        std::string_view name) const {
  std::string data(vault_id);
  data.push_back('/');
  data.push_back(model::ObjectKindTag(kind));
  data.push_back('/');
  data += AsciiLower(name);
  ASSIGN_OR_RETURN(std::string mac, barrier_.IndexMac("object", data));
  return EncodeHex(mac);
}

StatusOr<ObjectLocation> Keyspace::Locate(std::string_view vault_id, model::ObjectKind kind,
                                          std::string_view name) const {
  RETURN_IF_ERROR(ValidateObjectName(name, model::ObjectKindName(kind)));
  ASSIGN_OR_RETURN(std::string mac, NameMac(vault_id, kind, name));
  return At(vault_id, kind, mac);
}

ObjectLocation Keyspace::At(std::string_view vault_id, model::ObjectKind kind,
                            std::string_view mac) {
  ObjectLocation loc;
  loc.vault_id = std::string(vault_id);
  loc.kind = kind;
  loc.mac = std::string(mac);
  loc.live_key = LiveKey(vault_id, kind, mac);
  loc.deleted_key = DeletedKey(vault_id, kind, mac);
  return loc;
}

std::string ObjectLocation::VersionPrefix() const {
  return Keyspace::VersionPrefix(vault_id, kind, mac);
}

std::string ObjectLocation::VersionKey(std::string_view version) const {
  return Keyspace::VersionKey(vault_id, kind, mac, version);
}

std::string Keyspace::VaultKeyForMac(std::string_view vault_mac) {
  return std::string(kVaultPrefix) + std::string(vault_mac);
}

StatusOr<std::string> Keyspace::VaultMac(std::string_view vault_key) {
  if (!vault_key.starts_with(kVaultPrefix) || vault_key.size() == kVaultPrefix.size()) {
    return DataLossError("a vault's storage key is malformed");
  }
  return std::string(vault_key.substr(kVaultPrefix.size()));
}

namespace {
constexpr std::string_view kLiveArea = "obj/";
constexpr std::string_view kDeletedArea = "del/";
constexpr std::string_view kVersionArea = "ver/";

// "<area><vault id>/<kind letter>/"
std::string AreaPrefix(std::string_view area, std::string_view vault_id, model::ObjectKind kind) {
  std::string out(area);
  out += vault_id;
  out += '/';
  out += model::ObjectKindTag(kind);
  out += '/';
  return out;
}

// "<vault id>/<kind letter>/<mac>", the tail shared by object due targets and rotation keys.
std::string ObjectTail(std::string_view vault_id, model::ObjectKind kind, std::string_view mac) {
  return AreaPrefix("", vault_id, kind) + std::string(mac);
}

Status MalformedDueKey() { return DataLossError("a due entry's storage key is malformed"); }

// Splits "<vault id>/<kind letter>/<mac>".
Status ParseObjectTail(std::string_view tail, DueEntry* entry) {
  size_t slash = tail.find('/');
  if (slash == 0 || slash == std::string_view::npos || tail.size() < slash + 4 ||
      tail[slash + 2] != '/') {
    return MalformedDueKey();
  }
  ASSIGN_OR_RETURN(entry->kind, model::ObjectKindFromTag(tail[slash + 1]));
  entry->vault_id = std::string(tail.substr(0, slash));
  entry->mac = std::string(tail.substr(slash + 3));
  if (entry->mac.find('/') != std::string::npos) return MalformedDueKey();
  return OkStatus();
}

std::string HexTime(UnixSeconds when) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(when < 0 ? 0 : when));
  return buf;
}
}  // namespace

std::vector<std::string> Keyspace::VaultObjectAreas(std::string_view vault_id) {
  std::vector<std::string> out;
  for (std::string_view area : {kLiveArea, kDeletedArea, kVersionArea, kRotationPolicyArea,
                                 kCertificatePolicyArea, kCertificateOperationArea,
                                 kCertificateContactsArea, kCertificateIssuerArea,
                                 kCertificateScheduleArea, kBackupJobArea, kBackupArchiveArea}) {
    out.push_back(std::string(area) + std::string(vault_id) + "/");
  }
  return out;
}

std::string Keyspace::LivePrefix(std::string_view vault_id, model::ObjectKind kind) {
  return AreaPrefix(kLiveArea, vault_id, kind);
}

std::string Keyspace::DeletedPrefix(std::string_view vault_id, model::ObjectKind kind) {
  return AreaPrefix(kDeletedArea, vault_id, kind);
}

std::string Keyspace::VersionPrefix(std::string_view vault_id, model::ObjectKind kind,
                                    std::string_view mac) {
  return VersionAreaPrefix(vault_id, kind) + std::string(mac) + "/";
}

std::string Keyspace::VersionAreaPrefix(std::string_view vault_id, model::ObjectKind kind) {
  return AreaPrefix(kVersionArea, vault_id, kind);
}

std::string Keyspace::RotationPolicyKey(std::string_view vault_id, std::string_view mac) {
  return std::string(kRotationPolicyArea) + ObjectTail(vault_id, model::ObjectKind::kKey, mac);
}

std::string Keyspace::CertificatePolicyKey(std::string_view vault_id, std::string_view mac) {
  return std::string(kCertificatePolicyArea) +
         ObjectTail(vault_id, model::ObjectKind::kCertificate, mac);
}

std::string Keyspace::CertificateOperationKey(std::string_view vault_id, std::string_view mac) {
  return std::string(kCertificateOperationArea) +
         ObjectTail(vault_id, model::ObjectKind::kCertificate, mac);
}

std::string Keyspace::CertificateScheduleKey(std::string_view vault_id, std::string_view mac) {
  return std::string(kCertificateScheduleArea) +
         ObjectTail(vault_id, model::ObjectKind::kCertificate, mac);
}

std::string Keyspace::CertificateContactsKey(std::string_view vault_id) {
  return std::string(kCertificateContactsArea) + std::string(vault_id) + "/contacts";
}

std::string Keyspace::CertificateIssuerPrefix(std::string_view vault_id) {
  return std::string(kCertificateIssuerArea) + std::string(vault_id) + "/";
}

StatusOr<std::string> Keyspace::CertificateIssuerKey(std::string_view vault_id,
                                                     std::string_view issuer_name) const {
  ASSIGN_OR_RETURN(std::string mac,
                   barrier_.IndexMac("certificate-issuer",
                                     std::string(vault_id) + "/" + AsciiLower(issuer_name)));
  return CertificateIssuerPrefix(vault_id) + EncodeHex(mac);
}

DueEntry DueEntry::PurgeObject(UnixSeconds when, const ObjectLocation& loc) {
  return DueEntry{when, DueAction::kPurgeObject, loc.vault_id, loc.kind, loc.mac};
}

DueEntry DueEntry::RotateKey(UnixSeconds when, std::string_view vault_id, std::string_view mac) {
  return DueEntry{when, DueAction::kRotateKey, std::string(vault_id), model::ObjectKind::kKey,
                  std::string(mac)};
}

DueEntry DueEntry::CertificateLifetime(UnixSeconds when, std::string_view vault_id,
                                       std::string_view mac) {
  return DueEntry{when, DueAction::kCertificateLifetime, std::string(vault_id),
                  model::ObjectKind::kCertificate, std::string(mac)};
}

DueEntry DueEntry::IssueCertificate(UnixSeconds when, std::string_view vault_id,
                                    std::string_view mac) {
  return DueEntry{when, DueAction::kIssueCertificate, std::string(vault_id),
                  model::ObjectKind::kCertificate, std::string(mac)};
}

DueEntry DueEntry::PurgeVault(UnixSeconds when, std::string_view vault_mac) {
  return DueEntry{when, DueAction::kPurgeVault, "", model::ObjectKind::kKey,
                  std::string(vault_mac)};
}

DueEntry DueEntry::ExpireBackupJob(UnixSeconds when, std::string_view vault_id,
                                   std::string_view job_id) {
  return DueEntry{when, DueAction::kExpireBackupJob, std::string(vault_id),
                  model::ObjectKind::kKey, std::string(job_id)};
}

std::string Keyspace::BackupJobPrefix(std::string_view vault_id) {
  return std::string(kBackupJobArea) + std::string(vault_id) + "/";
}

std::string Keyspace::BackupJobKey(std::string_view vault_id, std::string_view job_id) {
  return BackupJobPrefix(vault_id) + std::string(job_id);
}

std::string Keyspace::BackupArchivePrefix(std::string_view vault_id, std::string_view job_id) {
  return std::string(kBackupArchiveArea) + std::string(vault_id) + "/" + std::string(job_id) +
         "/";
}

std::string Keyspace::BackupArchiveChunkKey(std::string_view vault_id, std::string_view job_id,
                                            uint32_t index) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", index);
  return BackupArchivePrefix(vault_id, job_id) + hex;
}

std::string Keyspace::DueKey(const DueEntry& e) {
  std::string key = std::string(kDuePrefix) + HexTime(e.when) + "/";
  key += static_cast<char>(e.action);
  key += '/';
  if (e.action == DueAction::kPurgeVault) return key + e.mac;
  if (e.action == DueAction::kExpireBackupJob) return key + e.vault_id + "/" + e.mac;
  // A rotation entry always names a key, a lifetime or issuance entry a certificate.
  model::ObjectKind kind = e.kind;
  if (e.action == DueAction::kRotateKey) kind = model::ObjectKind::kKey;
  if (e.action == DueAction::kCertificateLifetime || e.action == DueAction::kIssueCertificate) {
    kind = model::ObjectKind::kCertificate;
  }
  return key + ObjectTail(e.vault_id, kind, e.mac);
}

StatusOr<DueEntry> Keyspace::ParseDueKey(std::string_view key) {
  if (!key.starts_with(kDuePrefix)) return MalformedDueKey();
  std::string_view rest = key.substr(kDuePrefix.size());
  // <16 hex>/<action letter>/<tail>
  if (rest.size() < 20 || rest[16] != '/' || rest[18] != '/') return MalformedDueKey();
  DueEntry entry;
  uint64_t when = 0;
  for (char c : rest.substr(0, 16)) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return MalformedDueKey();
    when = when << 4 | static_cast<uint64_t>(digit);
  }
  entry.when = static_cast<UnixSeconds>(when);
  std::string_view tail = rest.substr(19);
  switch (rest[17]) {
    case static_cast<char>(DueAction::kPurgeVault):
      if (tail.find('/') != std::string_view::npos) return MalformedDueKey();
      entry.action = DueAction::kPurgeVault;
      entry.mac = std::string(tail);
      return entry;
    case static_cast<char>(DueAction::kExpireBackupJob): {
      size_t slash = tail.find('/');
      if (slash == 0 || slash == std::string_view::npos || slash + 1 == tail.size() ||
          tail.find('/', slash + 1) != std::string_view::npos) {
        return MalformedDueKey();
      }
      entry.action = DueAction::kExpireBackupJob;
      entry.vault_id = std::string(tail.substr(0, slash));
      entry.mac = std::string(tail.substr(slash + 1));
      return entry;
    }
    case static_cast<char>(DueAction::kRotateKey):
      entry.action = DueAction::kRotateKey;
      RETURN_IF_ERROR(ParseObjectTail(tail, &entry));
      if (entry.kind != model::ObjectKind::kKey) return MalformedDueKey();
      return entry;
    case static_cast<char>(DueAction::kCertificateLifetime):
    case static_cast<char>(DueAction::kIssueCertificate):
      entry.action = static_cast<DueAction>(rest[17]);
      RETURN_IF_ERROR(ParseObjectTail(tail, &entry));
      if (entry.kind != model::ObjectKind::kCertificate) return MalformedDueKey();
      return entry;
    case static_cast<char>(DueAction::kPurgeObject):
      entry.action = DueAction::kPurgeObject;
      RETURN_IF_ERROR(ParseObjectTail(tail, &entry));
      return entry;
    default:
      return DataLossError("a due entry names an unknown target");
  }
}

std::string Keyspace::DueUpperBound(UnixSeconds when) {
  return std::string(kDuePrefix) + HexTime(when) + "/~";
}

StatusOr<std::string> Keyspace::EncodePageToken(std::string_view context,
                                                std::string_view last) const {
  ASSIGN_OR_RETURN(std::string mac, barrier_.IndexMac("page", std::string(context) + '\0' +
                                                                  std::string(last)));
  return EncodeBase64Url(std::string(last) + mac.substr(0, 16));
}

StatusOr<std::string> Keyspace::DecodePageToken(std::string_view context,
                                                std::string_view token) const {
  Status invalid = InvalidArgumentError(
      "The $skiptoken is not valid for this list; request the list again from its first page.",
      "BadParameter");
  auto raw = DecodeBase64Url(token);
  if (!raw || raw->size() <= 16 || raw->size() > 512) return invalid;
  std::string last = raw->substr(0, raw->size() - 16);
  ASSIGN_OR_RETURN(std::string mac,
                   barrier_.IndexMac("page", std::string(context) + '\0' + last));
  if (!ConstantTimeEquals(mac.substr(0, 16), std::string_view(*raw).substr(raw->size() - 16))) {
    return invalid;
  }
  return last;
}

Status ValidateObjectName(std::string_view name, std::string_view what) {
  bool ok = !name.empty() && name.size() <= model::kMaxNameLength;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          c == '-')) {
      ok = false;
    }
  }
  if (ok) return OkStatus();
  return InvalidArgumentError(
      "The " + std::string(what) +
          " name is invalid. It must be 1-127 characters long and contain only 0-9, a-z, A-Z "
          "and -.",
      "BadParameter");
}

Status ValidateVaultName(std::string_view name) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  bool ok = name.size() >= 3 && name.size() <= 24 && letter(name.front()) &&
            (letter(name.back()) || digit(name.back())) &&
            name.find("--") == std::string_view::npos;
  for (char c : name) {
    if (!letter(c) && !digit(c) && c != '-') ok = false;
  }
  if (ok) return OkStatus();
  return InvalidArgumentError(
      "Vault name '" + std::string(name.substr(0, 64)) +
          "' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name "
          "must begin with a letter, end with a letter or digit, and not contain consecutive "
          "hyphens.",
      "VaultNameNotValid");
}

bool IsVersionId(std::string_view version) {
  if (version.size() != 32) return false;
  for (char c : version) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace coffer::vault
