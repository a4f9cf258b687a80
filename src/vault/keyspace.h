// Keyspace: how domain objects map to storage keys. Names never appear in a key: each object is
// keyed by HMAC(index key, vault id, kind, lower-cased name), so lists come back in MAC order and
// the storage engine learns nothing from keys but vault ids, version ids and due dates.
//
//   vault/<mac(lower vault name)>                    VaultRecord
//   obj/<vault id>/<kind>/<name mac>                 ObjectHead of a live object
//   del/<vault id>/<kind>/<name mac>                 ObjectHead of a soft-deleted object
//   ver/<vault id>/<kind>/<name mac>/<version>       one version record
//   rot/<vault id>/k/<name mac>                      RotationPolicy of a key
//   cpol/<vault id>/c/<name mac>                     CertificatePolicy of a certificate
//   cop/<vault id>/c/<name mac>                      CertificateOperation of a certificate
//   cct/<vault id>/contacts                          CertificateContacts of a vault
//   cis/<vault id>/<issuer mac>                      CertificateIssuer of a vault
//   clt/<vault id>/c/<name mac>                      CertificateSchedule of a certificate
//   bjob/<vault id>/<job id>                         a whole-vault backup or restore job
//   bak/<vault id>/<job id>/<8 hex digits: index>    one chunk of a backup job's archive
//   due/<16 hex digits: unix time>/<target>          sweep index (value: empty record)
//     target = "o/<vault id>/<kind>/<name mac>" (purge a deleted object)
//            | "r/<vault id>/k/<name mac>"      (rotate a key by its policy)
//            | "l/<vault id>/c/<name mac>"      (a certificate's lifetime actions)
//            | "i/<vault id>/c/<name mac>"      (issue a Self certificate's pending version)
//            | "v/<vault mac>"                      (purge a deleted vault)
//            | "b/<vault id>/<job id>"          (expire a backup job and its archive)
//
// This module owns every one of these shapes: each has one encoder here and, where a key is read
// back (due entries, vault keys), one parser here; nothing else spells a prefix. A key naming an
// unknown kind or target parses as DataLoss.
//
// docs/formats/records.md lists exactly what is stored unencrypted (the above, no more).
// Thread-safety: stateless apart from the barrier reference.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/status.h"
#include "model/object.h"

namespace coffer::vault {

// Where one object lives in one vault: its name MAC and the keys of its live and deleted heads.
struct ObjectLocation {
  std::string vault_id;
  model::ObjectKind kind = model::ObjectKind::kSecret;
  std::string mac;
  std::string live_key;
  std::string deleted_key;

  std::string VersionPrefix() const;
  std::string VersionKey(std::string_view version) const;
};

// What a due entry asks the sweeper to do. The letter is the entry's target tag.
enum class DueAction : char {
  kPurgeObject = 'o',
  kRotateKey = 'r',
  kCertificateLifetime = 'l',
  kIssueCertificate = 'i',
  kPurgeVault = 'v',
  kExpireBackupJob = 'b',
};

// One entry of the sweep index: "due/<16 hex: when>/<target>".
struct DueEntry {
  UnixSeconds when = 0;
  DueAction action = DueAction::kPurgeObject;
  std::string vault_id;                            // all but kPurgeVault
  // kPurgeObject; always kKey for kRotateKey, kCertificate for kCertificateLifetime and
  // kIssueCertificate
  model::ObjectKind kind = model::ObjectKind::kKey;
  std::string mac;  // the object's name MAC, the vault's MAC, or a backup job's id

  static DueEntry PurgeObject(UnixSeconds when, const ObjectLocation& loc);
  static DueEntry RotateKey(UnixSeconds when, std::string_view vault_id, std::string_view mac);
  static DueEntry CertificateLifetime(UnixSeconds when, std::string_view vault_id,
                                      std::string_view mac);
  static DueEntry IssueCertificate(UnixSeconds when, std::string_view vault_id,
                                   std::string_view mac);
  static DueEntry PurgeVault(UnixSeconds when, std::string_view vault_mac);
  static DueEntry ExpireBackupJob(UnixSeconds when, std::string_view vault_id,
                                  std::string_view job_id);
};

class Keyspace {
 public:
  explicit Keyspace(const barrier::Barrier& barrier) : barrier_(barrier) {}

  StatusOr<std::string> VaultKey(std::string_view vault_name) const;
  static constexpr std::string_view kVaultPrefix = "vault/";
  // "vault/<mac>" ↔ mac. VaultMac: DataLoss for a key outside "vault/".
  static std::string VaultKeyForMac(std::string_view vault_mac);
  static StatusOr<std::string> VaultMac(std::string_view vault_key);
  // Every area holding one vault's objects ("obj/<id>/", "del/<id>/", "ver/<id>/", "rot/<id>/",
  // "cpol/<id>/", "cop/<id>/", "cct/<id>/", "cis/<id>/", "clt/<id>/", "bjob/<id>/", "bak/<id>/").
  static std::vector<std::string> VaultObjectAreas(std::string_view vault_id);

  StatusOr<std::string> NameMac(std::string_view vault_id, model::ObjectKind kind,
                                std::string_view name) const;
  // Validates `name` (InvalidArgument naming the kind) and returns where the object lives.
  StatusOr<ObjectLocation> Locate(std::string_view vault_id, model::ObjectKind kind,
                                  std::string_view name) const;
  // The location of an object known by its MAC (from a due entry).
  static ObjectLocation At(std::string_view vault_id, model::ObjectKind kind,
                           std::string_view mac);

  static std::string LivePrefix(std::string_view vault_id, model::ObjectKind kind);
  static std::string DeletedPrefix(std::string_view vault_id, model::ObjectKind kind);
  static std::string LiveKey(std::string_view vault_id, model::ObjectKind kind,
                             std::string_view mac) {
    return LivePrefix(vault_id, kind) + std::string(mac);
  }
  static std::string DeletedKey(std::string_view vault_id, model::ObjectKind kind,
                                std::string_view mac) {
    return DeletedPrefix(vault_id, kind) + std::string(mac);
  }
  static std::string VersionPrefix(std::string_view vault_id, model::ObjectKind kind,
                                   std::string_view mac);
  // Every version of every object of `kind` in the vault, live or deleted, in (name MAC,
  // version) order: a name MAC is fixed-length, so each object's versions are contiguous.
  static std::string VersionAreaPrefix(std::string_view vault_id, model::ObjectKind kind);
  static std::string VersionKey(std::string_view vault_id, model::ObjectKind kind,
                                std::string_view mac, std::string_view version) {
    return VersionPrefix(vault_id, kind, mac) + std::string(version);
  }

  static constexpr std::string_view kDuePrefix = "due/";
  static std::string DueKey(const DueEntry& entry);
  // The exact inverse of DueKey; DataLoss for a malformed key, an unknown target or kind.
  static StatusOr<DueEntry> ParseDueKey(std::string_view key);
  // The greatest key of every entry due at or before `when`.
  static std::string DueUpperBound(UnixSeconds when);

  static constexpr std::string_view kRotationPolicyArea = "rot/";
  static std::string RotationPolicyKey(std::string_view vault_id, std::string_view mac);
  static constexpr std::string_view kCertificatePolicyArea = "cpol/";
  static std::string CertificatePolicyKey(std::string_view vault_id, std::string_view mac);
  static constexpr std::string_view kCertificateOperationArea = "cop/";
  static std::string CertificateOperationKey(std::string_view vault_id, std::string_view mac);
  static constexpr std::string_view kCertificateScheduleArea = "clt/";
  static std::string CertificateScheduleKey(std::string_view vault_id, std::string_view mac);
  static constexpr std::string_view kCertificateContactsArea = "cct/";
  static std::string CertificateContactsKey(std::string_view vault_id);
  static constexpr std::string_view kCertificateIssuerArea = "cis/";
  // "cis/<vault id>/" and "cis/<vault id>/<mac of the lower-cased issuer name>".
  static std::string CertificateIssuerPrefix(std::string_view vault_id);
  StatusOr<std::string> CertificateIssuerKey(std::string_view vault_id,
                                             std::string_view issuer_name) const;

  static constexpr std::string_view kBackupJobArea = "bjob/";
  // "bjob/<vault id>/" and "bjob/<vault id>/<job id>".
  static std::string BackupJobPrefix(std::string_view vault_id);
  static std::string BackupJobKey(std::string_view vault_id, std::string_view job_id);
  static constexpr std::string_view kBackupArchiveArea = "bak/";
  // "bak/<vault id>/<job id>/" and its chunk "…/<8 hex digits: index>".
  static std::string BackupArchivePrefix(std::string_view vault_id, std::string_view job_id);
  static std::string BackupArchiveChunkKey(std::string_view vault_id, std::string_view job_id,
                                           uint32_t index);

  // Paging tokens: an authenticated encoding of the last key returned for a listing `context`.
  StatusOr<std::string> EncodePageToken(std::string_view context, std::string_view last) const;
  // InvalidArgument for a forged, altered or foreign token.
  StatusOr<std::string> DecodePageToken(std::string_view context, std::string_view token) const;

 private:
  const barrier::Barrier& barrier_;
};

// Azure's object name rule: 1–127 of [0-9a-zA-Z-]. InvalidArgument(BadParameter) otherwise.
Status ValidateObjectName(std::string_view name, std::string_view what);
// Azure's vault name rule: 3–24 chars, letters, digits, hyphens, starts with a letter, ends with
// a letter or digit, no "--".
Status ValidateVaultName(std::string_view name);
// 32 lowercase hex chars.
bool IsVersionId(std::string_view version);

}  // namespace coffer::vault
