// VaultArchiver: whole-vault backup and restore (CONTRACT.md "Whole-vault backup and restore")
// without the job machinery — archives in and out of byte streams.
//
// Backup reads the whole vault in ONE read transaction (so a writer adding versions meanwhile
// changes nothing in the archive) and streams it, sealed segment by segment (archive_codec.h),
// into a sink: memory holds one storage batch, one object's versions and one segment. The
// archive is bound to the vault's (subscription, geography) with a key derived from the
// deployment's backup root, like per-object blobs (backup_binding.h).
//
// Restore is two passes over the same bytes. Verify, before any transaction: header, binding,
// every segment, every record and every object's versions, and the selection. Restore: ONE
// write transaction that reads the archive again (every segment verified again as it is read,
// so bytes that changed since Verify abort it) and writes; it commits only after the last
// segment has verified, so a damaged archive or any failure leaves the vault as it was. The
// engine may run that transaction more than once (PostgreSQL, after a serialization conflict:
// store/storage.h); each run opens the archive afresh from its first byte (ByteSourceOpener),
// so memory stays flat and the run that commits has read and verified the whole archive.
//
// Whole restore: into an empty vault (no live or deleted secret, key or certificate), every
// object, and the contacts and issuers the vault does not have. Selective restore
// (`secrets/a,keys/b,certificates/c`): the selected objects — a certificate with its managed key
// and secret — into any vault; a name taken (live or deleted) is reported as a conflict and
// never overwritten. Counts are of stored objects: a certificate's managed key and secret count
// as objects of their own, as they are listed in Azure.
//
// Status codes: InvalidArgument [BadParameter] for a damaged, foreign, wrong-subscription or
// wrong-geography archive or a bad selection; AlreadyExists [Conflict] for a whole restore into
// a vault that is not empty; FailedPrecondition for a vault whose region is unknown;
// Unavailable when sealed or storage fails; a sink's or source's own errors.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/archive_codec.h"
#include "backup/archive_import.h"
#include "backup/archive_records.h"
#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/random.h"
#include "model/vault_record.h"
#include "vault/keyspace.h"

namespace coffer::backup {

// Which objects a restore takes: all of them (no items) or the listed ones.
struct ArchiveSelection {
  struct Item {
    model::ObjectKind kind = model::ObjectKind::kSecret;
    std::string name;
  };
  std::vector<Item> items;

  bool all() const { return items.empty(); }
  // "secrets/a,keys/b,certificates/c" (empty text: all). InvalidArgument naming a bad entry.
  static StatusOr<ArchiveSelection> Parse(std::string_view text);
};

struct ArchiveSummary {
  ArchiveCounts counts;
  uint64_t bytes = 0;  // the archive's length
};

struct RestoreConflict {
  model::ObjectKind kind = model::ObjectKind::kSecret;
  std::string name;
  std::string reason;
};

struct RestoreOutcome {
  uint64_t restored = 0;  // stored objects written
  std::vector<RestoreConflict> conflicts;
};

class VaultArchiver {
 public:
  // All references must outlive the archiver; `key_traits` are the KeyService's.
  VaultArchiver(barrier::Barrier& barrier, Random& rng, const Clock& clock,
                const vault::KindTraits<model::KeyVersion>& key_traits,
                uint32_t segment_size = kArchiveSegmentSize);

  // Writes the archive of `vault` to `sink`. `after_object` (may be empty) runs inside the read
  // transaction after each object.
  StatusOr<ArchiveSummary> Backup(const model::VaultRecord& vault, ByteSink& sink,
                                  const std::function<void()>& after_object = {}) const;

  // Every check a restore makes before it writes; reads `source` to its end.
  StatusOr<ArchiveSummary> Verify(const model::VaultRecord& target, ByteSource& source,
                                  const ArchiveSelection& selection) const;

  // AlreadyExists [Conflict] when `target` holds any secret, key or certificate, live or
  // deleted: a whole restore needs an empty vault (or a selection).
  Status CheckEmpty(const model::VaultRecord& target) const;

  // Restores from the archive `open` gives, in one transaction: `open` is called at the start
  // of every run of that transaction, each time for the same bytes from the first one. Aborted
  // [Conflict] if a later run finds another archive there than the first run did.
  StatusOr<RestoreOutcome> Restore(const model::VaultRecord& target, const ByteSourceOpener& open,
                                   const ArchiveSelection& selection) const;

 private:
  struct Opened;
  // Header, binding and key: an opener positioned at the first segment.
  StatusOr<Opened> Open(const model::VaultRecord& target, ByteSource& source) const;
  Status CheckEmptyIn(barrier::Txn& t, const model::VaultRecord& target) const;
  // The conflicts of the selected names in `target` (inside t).
  StatusOr<std::vector<RestoreConflict>> Conflicts(barrier::Txn& t,
                                                   const model::VaultRecord& target,
                                                   const ArchiveSelection& selection) const;

  barrier::Barrier& barrier_;
  Random& rng_;
  const Clock& clock_;
  vault::Keyspace keys_;
  ArchiveImporter importer_;
  uint32_t segment_size_;
};

}  // namespace coffer::backup
