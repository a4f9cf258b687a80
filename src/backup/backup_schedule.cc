#include "backup/backup_schedule.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <system_error>

#include "backup/archive_io.h"
#include "core/files.h"
#include "core/log.h"

namespace coffer::backup {
namespace {

namespace fs = std::filesystem;
namespace chrono = std::chrono;

constexpr std::string_view kSuffix = ".coffer-backup";
constexpr size_t kStampSize = 16;  // yyyymmddThhmmssZ

std::string Stamp(UnixSeconds t) {
  auto days = chrono::floor<chrono::days>(chrono::sys_seconds(chrono::seconds(t)));
  chrono::year_month_day ymd(days);
  chrono::hh_mm_ss hms(chrono::sys_seconds(chrono::seconds(t)) - days);
  char out[kStampSize + 1];
  std::snprintf(out, sizeof out, "%04d%02u%02uT%02lld%02lld%02lldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()),
                static_cast<long long>(hms.hours().count()),
                static_cast<long long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return out;
}

// The inverse of Stamp; nullopt for anything else.
std::optional<UnixSeconds> ParseStamp(std::string_view s) {
  if (s.size() != kStampSize || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  int v[6];
  const size_t at[6] = {0, 4, 6, 9, 11, 13};
  const size_t len[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; ++i) {
    v[i] = 0;
    for (char c : s.substr(at[i], len[i])) {
      if (c < '0' || c > '9') return std::nullopt;
      v[i] = v[i] * 10 + (c - '0');
    }
  }
  chrono::year_month_day ymd{chrono::year(v[0]), chrono::month(v[1]), chrono::day(v[2])};
  if (!ymd.ok() || v[3] > 23 || v[4] > 59 || v[5] > 59) return std::nullopt;
  return chrono::sys_days(ymd).time_since_epoch().count() * 86400 + v[3] * 3600 + v[4] * 60 +
         v[5];
}

// The vault of "<vault>-<stamp>.coffer-backup", with its time; false for other names.
bool ParseName(std::string_view name, BackupFile* out) {
  if (!name.ends_with(kSuffix) || name.size() < kSuffix.size() + kStampSize + 2) return false;
  std::string_view base = name.substr(0, name.size() - kSuffix.size());
  std::string_view stamp = base.substr(base.size() - kStampSize);
  std::string_view vault = base.substr(0, base.size() - kStampSize);
  if (!vault.ends_with('-') || vault.size() < 2) return false;
  auto t = ParseStamp(stamp);
  if (!t) return false;
  out->name = std::string(name);
  out->vault = std::string(vault.substr(0, vault.size() - 1));
  out->time = *t;
  return true;
}

}  // namespace

StatusOr<int64_t> ParseScheduleInterval(std::string_view text) {
  auto bad = [&] {
    return InvalidArgumentError("[backup] schedule must be a positive whole number and a unit "
                                "(s, m, h or d), e.g. \"6h\"; got \"" +
                                std::string(text.substr(0, 64)) + "\".");
  };
  if (text.size() < 2 || text.size() > 12) return bad();
  int64_t n = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9') return bad();
    n = n * 10 + (c - '0');
  }
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return bad();
  }
  if (n <= 0) return bad();
  return n * unit;
}

std::string BackupFileName(std::string_view vault, UnixSeconds when) {
  return std::string(vault) + "-" + Stamp(when) + std::string(kSuffix);
}

StatusOr<std::vector<BackupFile>> ListBackupFiles(const std::string& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return ErrnoStatus(ec.value(), "cannot list", dir);
  std::vector<BackupFile> out;
  for (const fs::directory_entry& e : it) {
    BackupFile f;
    if (!e.is_regular_file(ec) || !ParseName(e.path().filename().string(), &f)) continue;
    f.size = e.file_size(ec);
    if (ec) continue;  // removed meanwhile
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](const BackupFile& a, const BackupFile& b) {
    return a.vault != b.vault ? a.vault < b.vault : a.time < b.time;
  });
  return out;
}

BackupScheduler::BackupScheduler(vault::VaultRegistry& vaults, const VaultArchiver& archiver,
                                 const Clock& clock, BackupScheduleOptions options)
    : vaults_(vaults), archiver_(archiver), clock_(clock), options_(std::move(options)) {
  options_.keep = std::max<size_t>(options_.keep, 1);
}

BackupScheduler::~BackupScheduler() { Stop(); }

Status BackupScheduler::BackupVault(const model::VaultRecord& vault, UnixSeconds now) {
  std::string path = options_.dir + "/" + BackupFileName(vault.name, now);
  ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path, 0600));
  ASSIGN_OR_RETURN(ArchiveSummary summary, archiver_.Backup(vault, file));
  RETURN_IF_ERROR(file.Commit());
  log::info("scheduled backup of vault {}: {} objects, {} bytes", vault.name,
            summary.counts.objects, summary.bytes);
  return OkStatus();
}

Status BackupScheduler::Prune(const std::vector<BackupFile>& files) {
  std::map<std::string, std::vector<const BackupFile*>> by_vault;
  for (const BackupFile& f : files) by_vault[f.vault].push_back(&f);  // oldest first
  for (const auto& [vault, list] : by_vault) {
    for (size_t i = 0; i + options_.keep < list.size(); ++i) {
      std::string path = options_.dir + "/" + list[i]->name;
      if (std::remove(path.c_str()) != 0) return ErrnoStatus(errno, "cannot remove", path);
    }
  }
  return FsyncDirectory(options_.dir);
}

StatusOr<size_t> BackupScheduler::RunOnce() {
  if (options_.interval_seconds <= 0) return 0;
  // Temporary files of a pass that was interrupted (this is the only writer).
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(options_.dir, ec)) {
    std::string name = e.path().filename().string();
    if (AtomicFile::IsTemporaryName(name) && name.find(kSuffix) != std::string::npos) {
      fs::remove(e.path(), ec);
    }
  }
  UnixSeconds now = clock_.Now();
  ASSIGN_OR_RETURN(std::vector<BackupFile> files, ListBackupFiles(options_.dir));
  std::map<std::string, UnixSeconds> newest;
  for (const BackupFile& f : files) newest[f.vault] = std::max(newest[f.vault], f.time);
  ASSIGN_OR_RETURN(std::vector<model::VaultRecord> vaults, vaults_.List("", ""));
  size_t written = 0;
  Status first;
  for (const model::VaultRecord& v : vaults) {
    auto it = newest.find(v.name);
    if (it != newest.end() && now - it->second < options_.interval_seconds) continue;
    Status s = BackupVault(v, now);
    if (s.ok()) {
      ++written;
      continue;
    }
    log::warn("scheduled backup of vault {} failed: {}", v.name, s.ToString());
    if (first.ok()) first = s;
  }
  if (written > 0) {
    ASSIGN_OR_RETURN(files, ListBackupFiles(options_.dir));
    RETURN_IF_ERROR(Prune(files));
  }
  if (!first.ok()) return first;
  return written;
}

void BackupScheduler::Start(std::chrono::milliseconds poll) {
  if (options_.interval_seconds <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this, poll] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      auto done = RunOnce();
      if (!done.ok()) log::warn("scheduled backups: {}", done.status().ToString());
      lock.lock();
      cv_.wait_for(lock, poll, [&] { return stop_; });
    }
  });
}

void BackupScheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace coffer::backup
