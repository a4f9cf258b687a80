#include "backup/vault_backup_jobs.h"

#include <algorithm>
#include <filesystem>
#include <utility>
#include <vector>

#include "backup/chunk_storer.h"
#include "core/encoding.h"
#include "core/log.h"

namespace coffer::backup {
namespace {

Status JobNotFound(std::string_view job_id) {
  return NotFoundError("There is no job '" + std::string(job_id.substr(0, 64)) +
                           "' of this kind in this vault (finished jobs are kept for 24 hours).",
                       "JobNotFound");
}

std::string DueKey(const std::string& vault_id, const BackupJob& job) {
  return vault::Keyspace::DueKey(vault::DueEntry::ExpireBackupJob(job.expires, vault_id, job.id));
}

StatusOr<std::optional<BackupJob>> ReadJob(barrier::Txn& t, const std::string& vault_id,
                                           std::string_view job_id) {
  if (!vault::IsVersionId(job_id)) return std::optional<BackupJob>();  // 32 lowercase hex
  ASSIGN_OR_RETURN(auto record, t.Get(vault::Keyspace::BackupJobKey(vault_id, job_id)));
  if (!record) return std::optional<BackupJob>();
  ASSIGN_OR_RETURN(BackupJob job, DecodeBackupJob(record->view()));
  return std::optional<BackupJob>(std::move(job));
}

Status WriteJob(barrier::Txn& t, const std::string& vault_id, const BackupJob& job) {
  return t.Put(vault::Keyspace::BackupJobKey(vault_id, job.id), EncodeBackupJob(job));
}

std::string ErrorCode(const Status& s) {
  return s.reason().empty() ? std::string(StatusCodeName(s.code())) : s.reason();
}

// A failed job's message for clients: an internal error's is not shown (api/errors.h).
std::string ErrorMessage(const Status& s) {
  return s.code() == StatusCode::kInternal || s.code() == StatusCode::kDataLoss
             ? "The job failed because of an internal error; see the server log."
             : s.message();
}

// The piece of a node-local archive (`bytes` long) at `at`: at most `size` bytes.
StatusOr<std::string> ReadLocalPiece(const SpoolFile& file, uint64_t at, uint64_t bytes,
                                     size_t size) {
  std::string piece(static_cast<size_t>(std::min<uint64_t>(size, bytes - at)), '\0');
  ASSIGN_OR_RETURN(size_t got, file.ReadAt(at, piece.data(), piece.size()));
  if (got != piece.size()) return DataLossError("a backup archive on this node is short");
  return piece;
}

std::string BackupDetails(const ArchiveSummary& summary) {
  return "Backed up " + std::to_string(summary.counts.objects) + " objects (" +
         std::to_string(summary.counts.versions) + " versions).";
}

// The content of a backup job exists once it has succeeded: Aborted [Conflict] before.
Status RequireSucceeded(const BackupJob& job) {
  if (job.status == JobStatus::kSucceeded) return OkStatus();
  return Status(StatusCode::kAborted,
                "The backup job " + job.id + " has not succeeded (its status is " +
                    std::string(JobStatusName(job.status)) + "); its content is not available.",
                "Conflict");
}

}  // namespace

VaultBackupJobs::VaultBackupJobs(barrier::Barrier& barrier, const VaultArchiver& archiver,
                                 Random& rng, const Clock& clock, const Clock& wall,
                                 BackupJobOptions options)
    : barrier_(barrier),
      archiver_(archiver),
      rng_(rng),
      clock_(clock),
      wall_(wall),
      options_(std::move(options)),
      instance_(options_.node_id.empty() ? EncodeHex(rng.Bytes(16)) : options_.node_id),
      local_(clock, options_.keep_seconds) {
  if (options_.spool_dir.empty()) {
    options_.spool_dir = std::filesystem::temp_directory_path().string();
  }
  if (options_.local_dir.empty()) options_.local_dir = options_.spool_dir;
  if (options_.heartbeat_interval.count() > 0) {
    heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  }
}

VaultBackupJobs::~VaultBackupJobs() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  for (Worker& w : workers_) w.thread.join();
}

BackupJob VaultBackupJobs::NewJob(JobKind kind, const ArchiveSummary& archive) {
  BackupJob job;
  job.objects = archive.counts.objects;
  job.bytes = archive.bytes;
  job.id = EncodeHex(rng_.Bytes(16));
  job.kind = kind;
  job.start = clock_.Now();
  // Looked at again when the job ends; a job whose process died is removed after this.
  job.expires = job.start + 2 * options_.keep_seconds;
  job.heartbeat = wall_.Now();
  job.owner = instance_;
  return job;
}

StatusOr<BackupJob> VaultBackupJobs::CreateJob(const model::VaultRecord& vault, JobKind kind,
                                               const ArchiveSummary& archive) {
  BackupJob job = NewJob(kind, archive);
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    if (kind == JobKind::kBackup) {
      ASSIGN_OR_RETURN(auto jobs, t.Scan(vault::Keyspace::BackupJobPrefix(vault.id), "", 0));
      for (const auto& [key, record] : jobs) {
        ASSIGN_OR_RETURN(BackupJob other, DecodeBackupJob(record.view()));
        if (other.kind == JobKind::kBackup && other.status == JobStatus::kInProgress &&
            Alive(other)) {
          return AlreadyExistsError("A backup of vault '" + vault.name +
                                        "' is in progress (job " + other.id +
                                        "); wait for it to finish.",
                                    "Conflict");
        }
      }
    }
    RETURN_IF_ERROR(WriteJob(t, vault.id, job));
    return t.Put(DueKey(vault.id, job), SecretBytes());
  }));
  return job;
}

void VaultBackupJobs::Dispatch(std::string vault_id, std::string job_id,
                               std::function<void()> work) {
  {
    std::lock_guard lock(mu_);
    running_[job_id] = std::move(vault_id);
  }
  auto body = [this, job_id, work = std::move(work)] {
    work();
    std::lock_guard lock(mu_);
    running_.erase(job_id);
    idle_cv_.notify_all();
  };
  if (options_.run) return options_.run(std::move(body));
  std::lock_guard lock(mu_);
  // Join the threads of jobs that have ended, so the list stays short.
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  workers_.push_back(Worker{std::thread([body = std::move(body), done] {
                              body();
                              done->store(true);
                            }),
                            done});
}

StatusOr<BackupJob> VaultBackupJobs::StartBackup(const model::VaultRecord& vault) {
  if (options_.storage_writable && !options_.storage_writable()) return StartLocalBackup(vault);
  ASSIGN_OR_RETURN(BackupJob job, CreateJob(vault, JobKind::kBackup, ArchiveSummary{}));
  Dispatch(vault.id, job.id, [this, vault, id = job.id] { RunBackup(vault, id); });
  return job;
}

StatusOr<BackupJob> VaultBackupJobs::StartRestore(const model::VaultRecord& vault,
                                                  std::string archive,
                                                  ArchiveSelection selection) {
  auto shared = std::make_shared<const std::string>(std::move(archive));
  return StartRestore(
      vault, [shared] { return StringSourceOpener(*shared)(); }, std::move(selection));
}

StatusOr<BackupJob> VaultBackupJobs::StartRestore(const model::VaultRecord& vault,
                                                  ByteSourceOpener open,
                                                  ArchiveSelection selection) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> verify, open());
  ASSIGN_OR_RETURN(ArchiveSummary summary, archiver_.Verify(vault, *verify, selection));
  verify.reset();
  if (selection.all()) RETURN_IF_ERROR(archiver_.CheckEmpty(vault));
  ASSIGN_OR_RETURN(BackupJob job, CreateJob(vault, JobKind::kRestore, summary));
  Dispatch(vault.id, job.id, [this, vault, id = job.id, open = std::move(open),
                               selection = std::move(selection)] {
    StatusOr<RestoreOutcome> outcome = archiver_.Restore(vault, open, selection);
    Status s = outcome.ok()
                   ? Finish(vault.id, id,
                            [&](barrier::Txn&, BackupJob& j) -> Status {
                              j.status = JobStatus::kSucceeded;
                              j.restored = outcome->restored;
                              j.conflicts = std::move(outcome->conflicts);
                              j.status_details = "Restored " + std::to_string(j.restored) +
                                                 " objects; " +
                                                 std::to_string(j.conflicts.size()) +
                                                 " selected names were taken.";
                              return OkStatus();
                            })
                   : FinishFailed(vault.id, id, outcome.status());
    if (!s.ok()) log::warn("a restore job could not record its end: {}", s.ToString());
  });
  return job;
}

void VaultBackupJobs::RunBackup(const model::VaultRecord& vault, const std::string& job_id) {
  Status s = [&]() -> Status {
    ASSIGN_OR_RETURN(SpoolFile spool, SpoolFile::Create(options_.spool_dir));
    // The archive is stored while it is written (chunk_storer.h); a failure on either side
    // ends both, and FinishFailed below removes the chunks stored so far.
    ChunkStorer storer(std::move(spool), options_.chunk_bytes, options_.chunks_per_transaction,
                       [&](uint32_t first, const std::vector<std::string>& batch) {
                         return StoreChunks(vault.id, job_id, first, batch);
                       });
    auto summary = archiver_.Backup(vault, storer);
    if (!summary.ok()) {
      storer.Abandon();
      return summary.status();
    }
    RETURN_IF_ERROR(storer.Close());
    uint32_t chunks = storer.chunks();
    return Finish(vault.id, job_id, [&](barrier::Txn& t, BackupJob& j) -> Status {
      j.status = JobStatus::kSucceeded;
      j.objects = summary->counts.objects;
      j.bytes = summary->bytes;
      j.chunks = chunks;
      j.status_details = BackupDetails(*summary);
      // The vault's older backups end here ("kept until the next backup of that vault").
      ASSIGN_OR_RETURN(auto jobs, t.Scan(vault::Keyspace::BackupJobPrefix(vault.id), "", 0));
      for (const auto& [key, record] : jobs) {
        ASSIGN_OR_RETURN(BackupJob other, DecodeBackupJob(record.view()));
        if (other.id != j.id && other.kind == JobKind::kBackup &&
            other.status != JobStatus::kInProgress) {
          RETURN_IF_ERROR(Remove(t, vault.id, other));
        }
      }
      return OkStatus();
    });
  }();
  if (s.ok()) {
    local_.DropFinished(vault.id);  // this node's read-only backups of the vault end too
    return;
  }
  log::warn("backup job {} of vault {} failed: {}", job_id, vault.name, s.ToString());
  Status recorded = FinishFailed(vault.id, job_id, s);
  if (!recorded.ok()) log::warn("a backup job could not record its end: {}", recorded.ToString());
}

StatusOr<BackupJob> VaultBackupJobs::StartLocalBackup(const model::VaultRecord& vault) {
  BackupJob job = NewJob(JobKind::kBackup, ArchiveSummary{});
  job.expires = job.start + options_.keep_seconds;  // not used before it ends
  RETURN_IF_ERROR(local_.Add(vault.id, vault.name, job));
  Dispatch(vault.id, job.id, [this, vault, id = job.id] { RunLocalBackup(vault, id); });
  return job;
}

void VaultBackupJobs::RunLocalBackup(const model::VaultRecord& vault, const std::string& job_id) {
  Status s = [&]() -> Status {
    ASSIGN_OR_RETURN(SpoolFile archive, SpoolFile::Create(options_.local_dir));
    ASSIGN_OR_RETURN(ArchiveSummary summary, archiver_.Backup(vault, archive));
    local_.Succeed(vault.id, job_id, std::move(archive), summary.counts.objects, summary.bytes,
                   BackupDetails(summary));
    return OkStatus();
  }();
  if (s.ok()) return;
  log::warn("backup job {} of vault {} (this node only, storage read-only) failed: {}", job_id,
            vault.name, s.ToString());
  local_.Fail(vault.id, job_id, ErrorCode(s), ErrorMessage(s));
}

Status VaultBackupJobs::StoreChunks(const std::string& vault_id, const std::string& job_id,
                                    uint32_t first, const std::vector<std::string>& batch) {
  return barrier_.Update([&](barrier::Txn& t) -> Status {
    for (size_t i = 0; i < batch.size(); ++i) {
      RETURN_IF_ERROR(t.Put(vault::Keyspace::BackupArchiveChunkKey(
                                vault_id, job_id, first + static_cast<uint32_t>(i)),
                            EncodeArchiveChunk(batch[i])));
    }
    return OkStatus();
  });
}

Status VaultBackupJobs::Finish(const std::string& vault_id, const std::string& job_id,
                               const JobEdit& edit) {
  return barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto job, ReadJob(t, vault_id, job_id));
    if (!job) return NotFoundError("the job record is gone");
    RETURN_IF_ERROR(t.Delete(DueKey(vault_id, *job)));
    RETURN_IF_ERROR(edit(t, *job));
    job->end = clock_.Now();
    job->expires = *job->end + options_.keep_seconds;
    RETURN_IF_ERROR(t.Put(DueKey(vault_id, *job), SecretBytes()));
    return WriteJob(t, vault_id, *job);
  });
}

Status VaultBackupJobs::FinishFailed(const std::string& vault_id, const std::string& job_id,
                                     const Status& error) {
  return Finish(vault_id, job_id, [&](barrier::Txn& t, BackupJob& j) -> Status {
    j.status = JobStatus::kFailed;
    j.error_code = ErrorCode(error);
    j.error_message = ErrorMessage(error);
    j.chunks = 0;
    return t.DeletePrefix(vault::Keyspace::BackupArchivePrefix(vault_id, j.id));
  });
}

Status VaultBackupJobs::Remove(barrier::Txn& t, const std::string& vault_id,
                               const BackupJob& job) {
  RETURN_IF_ERROR(t.DeletePrefix(vault::Keyspace::BackupArchivePrefix(vault_id, job.id)));
  RETURN_IF_ERROR(t.Delete(DueKey(vault_id, job)));
  return t.Delete(vault::Keyspace::BackupJobKey(vault_id, job.id));
}

bool VaultBackupJobs::Alive(const BackupJob& job) const {
  {
    std::lock_guard lock(mu_);
    if (running_.contains(job.id)) return true;
  }
  // Another node's (or process's) job is alive while its heartbeat is fresh; one of this node
  // that is not running here has ended, with an earlier run of this process, without recording it.
  return job.owner != instance_ && wall_.Now() - job.heartbeat <= options_.stale_after_seconds;
}

StatusOr<BackupJob> VaultBackupJobs::GetJob(const model::VaultRecord& vault, JobKind kind,
                                            std::string_view job_id) const {
  if (std::optional<BackupJob> local = local_.Get(vault.id, job_id)) {
    if (local->kind != kind) return JobNotFound(job_id);
    return std::move(*local);
  }
  std::optional<BackupJob> job;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(job, ReadJob(t, vault.id, job_id));
    return OkStatus();
  }));
  if (!job || job->kind != kind || job->expires <= clock_.Now()) return JobNotFound(job_id);
  if (job->status == JobStatus::kInProgress && !Alive(*job)) {
    job->status = JobStatus::kFailed;
    job->error_code = "JobInterrupted";
    job->error_message =
        "The job was interrupted: the server running it stopped before it finished. Nothing "
        "of it was kept; start it again.";
  }
  return std::move(*job);
}

Status VaultBackupJobs::ReadArchive(const model::VaultRecord& vault, std::string_view job_id,
                                    ByteSink& sink, uint64_t max_bytes) const {
  ASSIGN_OR_RETURN(BackupJob job, GetJob(vault, JobKind::kBackup, job_id));
  RETURN_IF_ERROR(RequireSucceeded(job));
  if (job.bytes > max_bytes) {
    return FailedPreconditionError(
        "The archive is " + std::to_string(job.bytes) + " bytes, more than this server sends in "
        "one response (" + std::to_string(max_bytes) + "); use scheduled backups ([backup] "
        "schedule and dir) for a vault this large.",
        "BadParameter");
  }
  if (std::shared_ptr<const SpoolFile> file = local_.Archive(vault.id, job.id)) {
    std::string piece;
    for (uint64_t at = 0; at < job.bytes; at += piece.size()) {
      ASSIGN_OR_RETURN(piece, ReadLocalPiece(*file, at, job.bytes, options_.chunk_bytes));
      RETURN_IF_ERROR(sink.Write(piece));
    }
    return OkStatus();
  }
  return barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto current, ReadJob(t, vault.id, job.id));
    if (!current || current->status != JobStatus::kSucceeded) return JobNotFound(job.id);
    std::string prefix = vault::Keyspace::BackupArchivePrefix(vault.id, job.id);
    std::string after;
    uint32_t seen = 0;
    while (true) {
      ASSIGN_OR_RETURN(auto page, t.Scan(prefix, after, options_.chunks_per_transaction));
      for (const auto& [key, record] : page) {
        ASSIGN_OR_RETURN(std::string_view bytes, ArchiveChunkBytes(record.view()));
        RETURN_IF_ERROR(sink.Write(bytes));
        ++seen;
      }
      if (page.size() < options_.chunks_per_transaction) break;
      after = page.back().first;
    }
    if (seen != current->chunks) return DataLossError("a backup archive is missing chunks");
    return OkStatus();
  });
}

StatusOr<VaultBackupJobs::ArchiveStream> VaultBackupJobs::StreamArchive(
    const model::VaultRecord& vault, std::string_view job_id) const {
  ASSIGN_OR_RETURN(BackupJob job, GetJob(vault, JobKind::kBackup, job_id));
  RETURN_IF_ERROR(RequireSucceeded(job));
  if (std::shared_ptr<const SpoolFile> file = local_.Archive(vault.id, job.id)) {
    // This node's archive: read from its file, which stays open while the stream holds it.
    auto sent = std::make_shared<uint64_t>(0);
    ArchiveStream stream;
    stream.bytes = job.bytes;
    stream.next = [file, sent, bytes = job.bytes, size = options_.chunk_bytes](std::string* piece) {
      if (*sent == bytes) return true;  // done: nothing appended
      auto read = ReadLocalPiece(*file, *sent, bytes, size);
      if (!read.ok()) {
        log::warn("backup archive stream stopped after {} of {} bytes: {}", *sent, bytes,
                  read.status().ToString());
        return false;
      }
      *sent += read->size();
      piece->append(*read);
      return true;
    };
    return stream;
  }
  struct Cursor {
    std::string prefix;
    std::string after;  // the last chunk's key sent
    uint32_t sent = 0;
    uint32_t chunks = 0;
  };
  auto cursor = std::make_shared<Cursor>();
  cursor->prefix = vault::Keyspace::BackupArchivePrefix(vault.id, job.id);
  cursor->chunks = job.chunks;
  ArchiveStream stream;
  stream.bytes = job.bytes;
  stream.next = [this, cursor](std::string* piece) -> bool {
    if (cursor->sent == cursor->chunks) return true;  // done: nothing appended
    std::string chunk, key;
    Status s = barrier_.View([&](barrier::Txn& t) -> Status {
      ASSIGN_OR_RETURN(auto page, t.Scan(cursor->prefix, cursor->after, 1));
      if (page.empty()) return DataLossError("a backup archive is missing chunks");
      ASSIGN_OR_RETURN(std::string_view bytes, ArchiveChunkBytes(page[0].second.view()));
      chunk.assign(bytes);
      key = page[0].first;
      return OkStatus();
    });
    if (s.ok()) {
      piece->append(chunk);
      cursor->after = std::move(key);
    } else {
      log::warn("backup archive stream stopped after {} of {} chunks: {}", cursor->sent,
                cursor->chunks, s.ToString());
      return false;
    }
    ++cursor->sent;
    return true;
  };
  return stream;
}

Status VaultBackupJobs::ExpireIfDue(const vault::DueEntry& entry, const std::string& due_key,
                                    UnixSeconds now) {
  return barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto job, ReadJob(t, entry.vault_id, entry.mac));
    if (!job || job->expires != entry.when) return t.Delete(due_key);  // gone or moved
    if (job->expires > now) return OkStatus();
    if (job->status == JobStatus::kInProgress && Alive(*job)) {
      RETURN_IF_ERROR(t.Delete(due_key));
      job->expires = now + options_.keep_seconds;
      RETURN_IF_ERROR(t.Put(DueKey(entry.vault_id, *job), SecretBytes()));
      return WriteJob(t, entry.vault_id, *job);
    }
    return Remove(t, entry.vault_id, *job);
  });
}

void VaultBackupJobs::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return running_.empty(); });
}

void VaultBackupJobs::Heartbeat() {
  std::map<std::string, std::string> running;
  {
    std::lock_guard lock(mu_);
    running = running_;
  }
  // This node's read-only jobs have nothing in storage to refresh.
  std::erase_if(running, [&](const auto& job) { return local_.Contains(job.first); });
  if (running.empty()) return;
  Status s = barrier_.Update([&](barrier::Txn& t) -> Status {
    for (const auto& [job_id, vault_id] : running) {
      ASSIGN_OR_RETURN(auto job, ReadJob(t, vault_id, job_id));
      if (!job || job->status != JobStatus::kInProgress || job->owner != instance_) continue;
      job->heartbeat = wall_.Now();
      RETURN_IF_ERROR(WriteJob(t, vault_id, *job));
    }
    return OkStatus();
  });
  if (!s.ok()) log::warn("backup job heartbeat failed: {}", s.ToString());
}

void VaultBackupJobs::HeartbeatLoop() {
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, options_.heartbeat_interval, [&] { return stopping_; })) {
    lock.unlock();
    Heartbeat();
    lock.lock();
  }
}

}  // namespace coffer::backup
