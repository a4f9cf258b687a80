// The records inside a vault archive's plaintext (docs/formats/vault-archive.md "Records"):
// what a whole-vault backup holds and in which order, written by ExportVault (one read
// transaction) and read back, one object at a time, by ReadVaultArchive.
//
//   OBJECT (kind, live or deleted, name, created, deletion and purge dates)
//     [ROTATION_POLICY | CERTIFICATE_POLICY]   at most one, the object's kind's
//     VERSION …                                one or more: the version records as stored
//   … every secret, then every key, then every certificate (live and deleted together, in
//     name-MAC order) …
//   CONTACTS?  ISSUER*  END (counts)
//
// Version, policy, contacts and issuer records are the records.md records exactly as the barrier
// stores them, so the archive carries no second encoding of them; the restore decodes each with
// the model codec before anything is written.
//
// Thread-safety: stateless functions; ExportVault uses the caller's transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/archive_codec.h"
#include "barrier/barrier.h"
#include "core/secret_bytes.h"
#include "model/object.h"

namespace coffer::backup {

enum class ArchiveRecordType : uint8_t {
  kObject = 0x01,
  kVersion = 0x02,
  kRotationPolicy = 0x03,
  kCertificatePolicy = 0x04,
  kContacts = 0x05,
  kIssuer = 0x06,
  kEnd = 0x7f,
};

// One object of the archive with every version record, oldest first as stored.
struct ArchivedObject {
  model::ObjectKind kind = model::ObjectKind::kSecret;
  std::string name;
  UnixSeconds created = 0;
  std::optional<model::DeletedInfo> deleted;
  std::optional<SecretBytes> policy;  // RotationPolicy (keys) or CertificatePolicy record
  std::vector<SecretBytes> versions;  // version records of the kind
};

struct ArchiveCounts {
  uint64_t objects = 0;   // live and deleted, every kind
  uint64_t versions = 0;
};

// Writes every object of vault `vault_id` (live and deleted, with every version and its
// policy), the certificate contacts and issuers, and the END record, reading only through `t`
// in batches, so memory holds one batch and one object's versions at a time. `after_object`
// (may be empty) runs after each object.
StatusOr<ArchiveCounts> ExportVault(barrier::Txn& t, std::string_view vault_id,
                                    ArchiveRecordWriter& out,
                                    const std::function<void()>& after_object);

// Writes one whole object (OBJECT, its policy, its VERSIONs) / the END record: what ExportVault
// writes, for archives built from values (golden vectors, tests).
Status WriteArchivedObject(ArchiveRecordWriter& out, const ArchivedObject& object);
Status WriteArchiveEnd(ArchiveRecordWriter& out, const ArchiveCounts& counts);

// What ReadVaultArchive hands out, in archive order. Each may stop the read with an error.
struct ArchiveVisitor {
  std::function<Status(ArchivedObject&)> object;
  std::function<Status(const SecretBytes&)> contacts;
  std::function<Status(const SecretBytes&)> issuer;
};

// Reads the records to the END record, checking their order (an object's records together, at
// least one version each, END last with the counts it saw); InvalidArgument
// (MalformedArchiveError) otherwise. Holds one object in memory at a time.
StatusOr<ArchiveCounts> ReadVaultArchive(ArchiveRecordReader& in, const ArchiveVisitor& visit);

}  // namespace coffer::backup
