// Scheduled whole-vault backups (CONTRACT.md: `[backup] schedule = "6h"`, `keep = 28`,
// `dir = …`): every live vault whose newest backup file in `dir` is older than the interval gets
// a new one, `<vault>-<yyyymmddThhmmssZ>.coffer-backup` (the archive of vault_archive.h, as
// `GET /backup/{jobId}/content` returns it), written atomically — under a hidden temporary name,
// fsync'd, renamed into place, the directory fsync'd — so a crash leaves no file that looks
// complete (leftover temporary files are removed by the next pass). Each vault keeps its `keep`
// newest files; older ones are deleted. Files of vaults that no longer exist are kept.
//
// Time is the domain clock's (file names, "is it due"), so the dev clock's time shift triggers
// backups; RunOnce() is one pass (tests), Start() runs passes on a thread every `poll` of real
// time. The directory is the schedule's state: nothing about it is stored elsewhere.
//
// Thread-safety: RunOnce must not run concurrently with itself (Start's thread is the only
// caller in the server); ListBackupFiles is safe anywhere.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "backup/vault_archive.h"
#include "core/clock.h"
#include "core/status.h"
#include "vault/vault_registry.h"

namespace coffer::backup {

struct BackupScheduleOptions {
  int64_t interval_seconds = 0;  // 0: no scheduled backups
  size_t keep = 28;              // newest files kept per vault (at least 1)
  std::string dir;               // must exist
};

// "6h", "30m", "2d", "90s" (a positive whole number and one unit). InvalidArgument otherwise.
StatusOr<int64_t> ParseScheduleInterval(std::string_view text);

// "<vault>-<yyyymmddThhmmssZ>.coffer-backup".
std::string BackupFileName(std::string_view vault, UnixSeconds when);

struct BackupFile {
  std::string name;  // the file name
  std::string vault;
  UnixSeconds time = 0;
  uint64_t size = 0;
};

// The backup files in `dir` (other files are ignored), by vault, then oldest first.
StatusOr<std::vector<BackupFile>> ListBackupFiles(const std::string& dir);

class BackupScheduler {
 public:
  // References must outlive the scheduler.
  BackupScheduler(vault::VaultRegistry& vaults, const VaultArchiver& archiver, const Clock& clock,
                  BackupScheduleOptions options);
  ~BackupScheduler();

  // One pass; returns how many backups it wrote. A vault that fails is logged and skipped; the
  // first such failure is returned after the pass (the others still ran).
  StatusOr<size_t> RunOnce();

  void Start(std::chrono::milliseconds poll);
  void Stop();

 private:
  Status BackupVault(const model::VaultRecord& vault, UnixSeconds now);
  Status Prune(const std::vector<BackupFile>& files);

  vault::VaultRegistry& vaults_;
  const VaultArchiver& archiver_;
  const Clock& clock_;
  BackupScheduleOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace coffer::backup
