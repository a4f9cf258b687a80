// VaultBackupJobs: whole-vault backup and restore as long-running operations (CONTRACT.md
// "Whole-vault backup and restore"): jobs that start at once and run on their own thread, whose
// state and archives live in the deployment's storage (through the barrier, so encrypted), so
// any node answers for them and a restart loses no finished job.
//
// A backup job reads the vault in one transaction into an unnamed temporary file (SpoolFile in
// `spool_dir`: memory stays flat) and, at the same time, a ChunkStorer copies what is written
// into storage in chunks, a few per transaction; only when the last chunk is stored is the job
// marked Succeeded — in the transaction that also drops the vault's older backups.
// A restore job is verified (VaultArchiver::Verify) before it is accepted and applies in one
// transaction.
//
// While storage does not accept writes (a node serving read-only from the paired region:
// BackupJobOptions::storage_writable), a backup job is this node's alone instead: kept in
// memory with its archive in an unnamed file in `local_dir` (local_backup_jobs.h), answered by
// GetJob, ReadArchive and StreamArchive like a stored one, gone when the process ends. A
// restore is a write and is refused by storage (Unavailable) as before.
//
// Interruption: a job is InProgress until its last write; the process running it refreshes a
// heartbeat (wall clock) every `heartbeat_interval`. A job whose process is gone (not running
// here, and a heartbeat older than `stale_after_seconds`) is reported Failed — never complete.
// Finished jobs and their archives are kept `keep_seconds` of domain time (24 h), then removed
// by the sweeper (due entry "b/<vault id>/<job id>", ExpireIfDue); a backup's archive goes
// earlier, when the next backup of the vault succeeds.
//
// Status codes: those of VaultArchiver for a refused restore; AlreadyExists [Conflict] for a
// backup while another of the same vault runs; NotFound [JobNotFound] for an unknown, expired
// or other kind of job; Aborted [Conflict] for the content of a job that has not succeeded;
// FailedPrecondition [BadParameter] for an archive over the caller's size cap; Unavailable when
// sealed or storage fails.
//
// Thread-safety: safe to call concurrently. The destructor waits for running jobs.
#pragma once

#include <chrono>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "backup/archive_io.h"
#include "backup/backup_job.h"
#include "backup/local_backup_jobs.h"
#include "backup/vault_archive.h"
#include "barrier/barrier.h"
#include "core/clock.h"
#include "core/random.h"
#include "vault/keyspace.h"

namespace coffer::backup {

struct BackupJobOptions {
  std::string spool_dir;                // "" = the system's temporary directory
  // Whether storage accepts writes now; empty = always. While it does not, a backup job lives
  // on this node only (see the header comment), its archive in an unnamed file in `local_dir`
  // ("" = spool_dir), kept up to keep_seconds.
  std::function<bool()> storage_writable;
  std::string local_dir;
  // This node's lasting name (the server keeps it in <data-dir>/node-id): a job it started that
  // is not running here after a restart ended with the process that ran it, so it is reported
  // interrupted at once instead of after `stale_after_seconds`. "" = a name for this process
  // only (jobs of an earlier run then wait for their heartbeat to go stale).
  std::string node_id;
  int64_t keep_seconds = 24 * 3600;     // a finished job and its archive (domain time)
  int64_t stale_after_seconds = 120;    // heartbeat age (wall time) of an interrupted job
  std::chrono::milliseconds heartbeat_interval{15000};  // 0 = no heartbeat thread
  size_t chunk_bytes = 1024 * 1024;     // archive bytes per stored chunk
  size_t chunks_per_transaction = 8;
  // Runs a job's work. Empty: a thread per job, joined by the destructor. Tests pass one that
  // runs it at once.
  std::function<void(std::function<void()>)> run;
};

class VaultBackupJobs {
 public:
  // `clock` is the domain clock (job times, expiry); `wall` the real one (heartbeats). All
  // references must outlive the service.
  VaultBackupJobs(barrier::Barrier& barrier, const VaultArchiver& archiver, Random& rng,
                  const Clock& clock, const Clock& wall, BackupJobOptions options = {});
  ~VaultBackupJobs();

  // Where jobs keep their unnamed temporary files (BackupJobOptions::spool_dir, resolved).
  const std::string& spool_dir() const { return options_.spool_dir; }

  // Records a new InProgress backup job of `vault` and starts it.
  StatusOr<BackupJob> StartBackup(const model::VaultRecord& vault);
  // Verifies the archive `open` gives for `vault` (and, without a selection, that the vault is
  // empty), then records a restore job and starts it. `open`, and whatever it reads (a spooled
  // upload), is kept until the job ends: the job opens the archive again for every run of its
  // transaction.
  StatusOr<BackupJob> StartRestore(const model::VaultRecord& vault, ByteSourceOpener open,
                                   ArchiveSelection selection);
  // The same for an archive held in memory.
  StatusOr<BackupJob> StartRestore(const model::VaultRecord& vault, std::string archive,
                                   ArchiveSelection selection);
  // A job of `vault` of that kind, with an interrupted one reported Failed.
  StatusOr<BackupJob> GetJob(const model::VaultRecord& vault, JobKind kind,
                             std::string_view job_id) const;
  // Writes the archive of a succeeded backup job to `sink`, read in one transaction;
  // FailedPrecondition when it is longer than `max_bytes` (nothing written).
  Status ReadArchive(const model::VaultRecord& vault, std::string_view job_id, ByteSink& sink,
                     uint64_t max_bytes) const;
  // The archive of a succeeded backup job as a stream, for sending it without holding it:
  // `bytes` is its length and each `next` call appends the next stored chunk to *piece (one
  // read transaction per chunk; nothing once the archive is done) and returns false when a
  // chunk can no longer be read (the job expired or a newer backup replaced it meanwhile).
  // Errors before the first byte: as ReadArchive's.
  struct ArchiveStream {
    uint64_t bytes = 0;
    std::function<bool(std::string* piece)> next;
  };
  StatusOr<ArchiveStream> StreamArchive(const model::VaultRecord& vault,
                                        std::string_view job_id) const;
  // The sweeper's handler of a kExpireBackupJob entry: removes the job and its archive when
  // it has expired (an InProgress job that is still alive is looked at again later).
  Status ExpireIfDue(const vault::DueEntry& entry, const std::string& due_key, UnixSeconds now);

  // Blocks until no job of this service is running (tests, shutdown).
  void WaitIdle();

 private:
  using JobEdit = std::function<Status(barrier::Txn&, BackupJob&)>;
  // A new InProgress job (a restore's with the verified archive's counts and length).
  StatusOr<BackupJob> CreateJob(const model::VaultRecord& vault, JobKind kind,
                                const ArchiveSummary& archive);
  void Dispatch(std::string vault_id, std::string job_id, std::function<void()> work);
  void RunBackup(const model::VaultRecord& vault, const std::string& job_id);
  // A backup job of this node only, while storage is read-only.
  StatusOr<BackupJob> StartLocalBackup(const model::VaultRecord& vault);
  void RunLocalBackup(const model::VaultRecord& vault, const std::string& job_id);
  // A new InProgress job's record (not yet stored anywhere).
  BackupJob NewJob(JobKind kind, const ArchiveSummary& archive);
  // Stores `batch` as the archive chunks numbered from `first` on, in one transaction.
  Status StoreChunks(const std::string& vault_id, const std::string& job_id, uint32_t first,
                     const std::vector<std::string>& batch);
  // Ends the job: `edit` sets its outcome; end time, expiry and due entry are set here.
  Status Finish(const std::string& vault_id, const std::string& job_id, const JobEdit& edit);
  Status FinishFailed(const std::string& vault_id, const std::string& job_id,
                      const Status& error);
  // Removes a job, its archive and its due entry (inside t).
  static Status Remove(barrier::Txn& t, const std::string& vault_id, const BackupJob& job);
  bool Alive(const BackupJob& job) const;
  void Heartbeat();
  void HeartbeatLoop();

  barrier::Barrier& barrier_;
  const VaultArchiver& archiver_;
  Random& rng_;
  const Clock& clock_;
  const Clock& wall_;
  BackupJobOptions options_;
  std::string instance_;  // this node's id in the jobs it owns (BackupJobOptions::node_id)
  LocalBackupJobs local_;  // this node's jobs while storage is read-only

  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  std::map<std::string, std::string> running_;  // job id → vault id
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Worker> workers_;
  bool stopping_ = false;
  std::condition_variable stop_cv_;
  std::thread heartbeat_;
};

}  // namespace coffer::backup
