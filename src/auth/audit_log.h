// The audit log: one JSON line per authenticated or refused request, appended to
// <data-dir>/audit.jsonl before the response is sent (CONTRACT.md "Audit log"). It is fail-closed:
// when a line cannot be written, or the last fsync failed, Append returns Unavailable and the
// caller answers 503 instead of serving the request unaudited.
//
// A line names the caller, the route's action and the object, never a value, a key or a token
// (audit_entry.h has the format); audit_file.h has the file, its rotation and logrotate handling.
//
// Durability: Append does one write(2) per line and no fsync; a background thread fdatasyncs at
// most `sync_interval` after a write. Repeated identical 401s from one address within one second
// are aggregated into one line with a `count` (the first is written at once, the repeats when the
// second ends), so a token-guessing flood cannot fill the disk line by line.
//
// Thread-safety: all methods are safe to call from many threads. One thread of its own syncs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "auth/audit_entry.h"
#include "auth/audit_file.h"
#include "core/status.h"

namespace coffer::auth {

struct AuditLogOptions {
  std::string path;  // <data-dir>/audit.jsonl
  uint64_t max_size_bytes = 100ull << 20;
  int keep = 10;  // rotated files kept: audit.1.jsonl (newest) … audit.10.jsonl
  std::chrono::milliseconds sync_interval{1000};
  bool aggregate_unauthorized = true;  // aggregate identical 401s from one address (above)
  // How often the path is checked for removal or rotation by another process (audit_file.h);
  // 0 checks before every line.
  std::chrono::milliseconds path_check_interval{100};
};

class AuditLog {
 public:
  // Opens options.path with OpenAuditFile (creating it, mode 0600) and starts the sync thread.
  // Unavailable with a message naming the path if it cannot be opened.
  static StatusOr<std::unique_ptr<AuditLog>> Open(AuditLogOptions options);
  // Same, over a given sink (options.path, max_size_bytes and keep are then unused).
  static std::unique_ptr<AuditLog> OpenWithSink(std::unique_ptr<AuditSink> sink,
                                                AuditLogOptions options);

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;
  // Writes pending aggregated lines, fsyncs a last time and joins the sync thread.
  ~AuditLog();

  // Writes one line (or counts an aggregated 401). Unavailable if the line cannot be written or
  // the last sync failed: the request must then get 503.
  Status Append(const AuditEntry& e);

  // Writes every pending aggregated line and syncs now. For shutdown paths and tests.
  Status Flush();

 private:
  struct Repeats {
    int64_t window_start_ms = 0;
    AuditEntry first;  // the first repeat; first.count = number of repeats (0: none yet)
  };

  AuditLog(std::unique_ptr<AuditSink> sink, AuditLogOptions options);
  Status WriteLine(const AuditEntry& e);
  Status AppendUnauthorized(const AuditEntry& e);
  // Writes the aggregated lines of the windows that ended by `now_ms` (all for INT64_MAX).
  Status WriteRepeats(int64_t now_ms);
  Status SyncNow();
  void MarkDirty();
  void SyncLoop();

  const std::unique_ptr<AuditSink> sink_;
  const AuditLogOptions options_;

  std::atomic<bool> dirty_{false};        // written since the last sync
  std::atomic<bool> sync_failed_{false};  // the last sync failed; Append refuses until one works

  std::mutex sync_mu_;  // held across sink_->Sync() by SyncNow only; taken before mu_

  std::mutex mu_;  // guards what follows; never held across sink calls
  std::condition_variable cv_;
  bool stop_ = false;
  std::string sync_error_;
  std::map<std::string, Repeats> repeats_;  // 401 windows by (ip, route, object)

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace coffer::auth
