// LocalBackupJobs: the whole-vault backup jobs of a node whose storage does not accept writes
// (serving read-only from the paired region: CONTRACT.md "Whole-vault backup and restore",
// "on a node serving read-only from the pair, backup still works and its job lives on that
// node only"). VaultBackupJobs starts a backup here instead of in storage while storage is not
// writable; the job is then this node's alone.
//
// A job lives in this process's memory and its archive in an unnamed temporary file
// (SpoolFile: only archive ciphertext, and nothing left behind however the process ends), so
// neither outlives the process: after a restart the job is unknown (NotFound), as it is on
// every other node. A finished job is kept `keep_seconds` of domain time after it ended, or
// until a later backup of its vault succeeds on this node (Drop); expired jobs are removed
// whenever the set is used. At most one job of a vault is InProgress here at a time.
//
// Thread-safety: every method is safe from any number of threads. An archive handed out by
// Archive() stays readable (ReadAt) by its holder after the job is dropped.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "backup/archive_io.h"
#include "backup/backup_job.h"
#include "core/clock.h"

namespace coffer::backup {

class LocalBackupJobs {
 public:
  // `clock` is the domain clock (job times and expiry); it must outlive this object.
  LocalBackupJobs(const Clock& clock, int64_t keep_seconds);

  // Records `job` (InProgress, with id and start set) of vault `vault_id`. AlreadyExists
  // [Conflict] naming `vault_name` while another backup of that vault is in progress here.
  Status Add(const std::string& vault_id, const std::string& vault_name, BackupJob job);
  // Ends a job: Succeeded with `archive` (`bytes` long, holding `objects` objects), which
  // removes this node's older finished backups of the vault; or Failed, keeping no archive.
  void Succeed(const std::string& vault_id, const std::string& job_id, SpoolFile archive,
               uint64_t objects, uint64_t bytes, std::string details);
  void Fail(const std::string& vault_id, const std::string& job_id, std::string error_code,
            std::string error_message);
  // Removes this node's finished backups of the vault except `keep_job_id` (a backup of the
  // vault succeeded elsewhere: in storage).
  void DropFinished(const std::string& vault_id, std::string_view keep_job_id = {});

  // The job, if this node has it and it has not expired.
  std::optional<BackupJob> Get(const std::string& vault_id, std::string_view job_id) const;
  // The archive of a succeeded job (null if none).
  std::shared_ptr<const SpoolFile> Archive(const std::string& vault_id,
                                           std::string_view job_id) const;
  // Whether `job_id` is one of this node's local jobs (whatever its state).
  bool Contains(std::string_view job_id) const;

 private:
  struct Entry {
    std::string vault_id;
    BackupJob job;
    std::shared_ptr<const SpoolFile> archive;  // set once Succeeded
  };
  void PruneLocked() const;

  const Clock& clock_;
  const int64_t keep_seconds_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Entry, std::less<>> jobs_;  // by job id; guarded by mu_
};

}  // namespace coffer::backup
