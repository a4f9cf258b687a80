// BackupJob: the stored state of one whole-vault backup or restore job (a long-running
// operation: CONTRACT.md "Whole-vault backup and restore"), record type 0x50 at
// "bjob/<vault id>/<job id>" (docs/formats/records.md). A backup job's archive is stored beside
// it in chunks at "bak/<vault id>/<job id>/<index>" (record type 0x51: the archive's bytes).
//
// A job is written InProgress before it starts and rewritten once, when it ends: Succeeded only
// after its archive's last chunk has been committed, so a job that was interrupted never looks
// complete. While it runs, the node running it refreshes `heartbeat` (wall clock); a job
// InProgress whose node stopped refreshing it is reported as Failed (interrupted).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/vault_archive.h"
#include "core/clock.h"
#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::backup {

enum class JobKind : uint8_t { kBackup = 1, kRestore = 2 };
enum class JobStatus : uint8_t { kInProgress = 1, kSucceeded = 2, kFailed = 3 };

// "InProgress", "Succeeded", "Failed": the wire spelling.
std::string_view JobStatusName(JobStatus status);

struct BackupJob {
  std::string id;  // 32 lowercase hex
  JobKind kind = JobKind::kBackup;
  JobStatus status = JobStatus::kInProgress;
  std::string status_details;
  std::string error_code;     // set when Failed
  std::string error_message;  // set when Failed
  UnixSeconds start = 0;                // domain clock
  std::optional<UnixSeconds> end;       // domain clock; set when the job ended
  UnixSeconds expires = 0;              // domain clock: when the sweeper removes the job
  UnixSeconds heartbeat = 0;            // wall clock: last sign of life of the running node
  std::string owner;                    // the id of the process that runs it
  uint64_t objects = 0;                 // backup: objects in the archive
  uint64_t bytes = 0;                   // backup: the archive's length
  uint32_t chunks = 0;                  // backup: stored chunks of the archive
  uint64_t restored = 0;                // restore: objects written
  std::vector<RestoreConflict> conflicts;  // restore: selected names that were taken
};

SecretBytes EncodeBackupJob(const BackupJob& job);
// DataLoss for anything but a well-formed record.
StatusOr<BackupJob> DecodeBackupJob(std::string_view record);

// An archive chunk record: type 0x51, format 0x01, then the bytes.
SecretBytes EncodeArchiveChunk(std::string_view bytes);
// The bytes of a chunk record; DataLoss if it is not one.
StatusOr<std::string_view> ArchiveChunkBytes(std::string_view record);

}  // namespace coffer::backup
