#include "backup/local_backup_jobs.h"

#include <utility>

namespace coffer::backup {

LocalBackupJobs::LocalBackupJobs(const Clock& clock, int64_t keep_seconds)
    : clock_(clock), keep_seconds_(keep_seconds) {}

void LocalBackupJobs::PruneLocked() const {
  UnixSeconds now = clock_.Now();
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const BackupJob& job = it->second.job;
    bool expired = job.status != JobStatus::kInProgress && job.expires <= now;
    it = expired ? jobs_.erase(it) : std::next(it);
  }
}

Status LocalBackupJobs::Add(const std::string& vault_id, const std::string& vault_name,
                            BackupJob job) {
  std::lock_guard lock(mu_);
  PruneLocked();
  for (const auto& [id, e] : jobs_) {
    if (e.vault_id == vault_id && e.job.status == JobStatus::kInProgress) {
      return AlreadyExistsError("A backup of vault '" + vault_name + "' is in progress (job " +
                                    id + "); wait for it to finish.",
                                "Conflict");
    }
  }
  std::string id = job.id;
  jobs_.emplace(std::move(id), Entry{vault_id, std::move(job), nullptr});
  return OkStatus();
}

void LocalBackupJobs::Succeed(const std::string& vault_id, const std::string& job_id,
                              SpoolFile archive, uint64_t objects, uint64_t bytes,
                              std::string details) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  BackupJob& job = it->second.job;
  job.status = JobStatus::kSucceeded;
  job.objects = objects;
  job.bytes = bytes;
  job.status_details = std::move(details);
  job.end = clock_.Now();
  job.expires = *job.end + keep_seconds_;
  it->second.archive = std::make_shared<const SpoolFile>(std::move(archive));
  // The vault's older backups on this node end here ("kept until the next backup").
  for (auto other = jobs_.begin(); other != jobs_.end();) {
    bool older = other->first != job_id && other->second.vault_id == vault_id &&
                 other->second.job.status != JobStatus::kInProgress;
    other = older ? jobs_.erase(other) : std::next(other);
  }
}

void LocalBackupJobs::Fail(const std::string& vault_id, const std::string& job_id,
                           std::string error_code, std::string error_message) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || it->second.vault_id != vault_id) return;
  BackupJob& job = it->second.job;
  job.status = JobStatus::kFailed;
  job.error_code = std::move(error_code);
  job.error_message = std::move(error_message);
  job.end = clock_.Now();
  job.expires = *job.end + keep_seconds_;
  it->second.archive = nullptr;
}

void LocalBackupJobs::DropFinished(const std::string& vault_id, std::string_view keep_job_id) {
  std::lock_guard lock(mu_);
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    bool drop = it->first != keep_job_id && it->second.vault_id == vault_id &&
                it->second.job.status != JobStatus::kInProgress;
    it = drop ? jobs_.erase(it) : std::next(it);
  }
}

std::optional<BackupJob> LocalBackupJobs::Get(const std::string& vault_id,
                                              std::string_view job_id) const {
  std::lock_guard lock(mu_);
  PruneLocked();
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || it->second.vault_id != vault_id) return std::nullopt;
  return it->second.job;
}

std::shared_ptr<const SpoolFile> LocalBackupJobs::Archive(const std::string& vault_id,
                                                          std::string_view job_id) const {
  std::lock_guard lock(mu_);
  PruneLocked();
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || it->second.vault_id != vault_id) return nullptr;
  return it->second.archive;
}

bool LocalBackupJobs::Contains(std::string_view job_id) const {
  std::lock_guard lock(mu_);
  return jobs_.find(job_id) != jobs_.end();
}

}  // namespace coffer::backup
