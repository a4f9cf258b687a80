#include "auth/audit_log.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "core/log.h"

namespace coffer::auth {
namespace {

constexpr int64_t kRepeatWindowMs = 1000;
// Beyond this many open 401 windows (distinct addresses in one second) lines are written one by
// one again: the map must not grow without bound under a distributed flood.
constexpr size_t kMaxRepeatWindows = 10000;

// Length-prefixed, so no byte in a name can make two different requests share a key.
std::string RepeatKey(const AuditEntry& e) {
  std::string key;
  for (const std::string* s : {&e.ip, &e.plane, &e.vault, &e.operation, &e.object_kind,
                               &e.object_name, &e.object_version, &e.caller_oid,
                               &e.caller_appid, &e.caller_tid}) {
    key.append(std::to_string(s->size())).push_back(':');
    key.append(*s);
  }
  return key;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(AuditLogOptions options) {
  auto sink = OpenAuditFile(options.path, options.max_size_bytes, options.keep,
                            options.path_check_interval);
  if (!sink.ok()) {
    return UnavailableError("cannot open the audit log: " + sink.status().message() +
                            " (check [audit] path and the permissions of its directory)");
  }
  return OpenWithSink(std::move(sink).value(), std::move(options));
}

std::unique_ptr<AuditLog> AuditLog::OpenWithSink(std::unique_ptr<AuditSink> sink,
                                                 AuditLogOptions options) {
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(sink), std::move(options)));
}

AuditLog::AuditLog(std::unique_ptr<AuditSink> sink, AuditLogOptions options)
    : sink_(std::move(sink)), options_(std::move(options)) {
  thread_ = std::thread([this] { SyncLoop(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  Status s = Flush();
  if (!s.ok()) log::error("audit log: final flush failed: {}", s.message());
}

Status AuditLog::Append(const AuditEntry& e) {
  if (sync_failed_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(mu_);
    if (sync_failed_.load()) return UnavailableError(sync_error_);
  }
  if (options_.aggregate_unauthorized && e.status == 401) return AppendUnauthorized(e);
  return WriteLine(e);
}

Status AuditLog::Flush() {
  Status written = WriteRepeats(std::numeric_limits<int64_t>::max());
  Status synced = SyncNow();
  return written.ok() ? synced : written;
}

Status AuditLog::WriteLine(const AuditEntry& e) {
  // One buffer per thread: no allocation per line once it has grown to a typical line.
  thread_local std::string buf;
  buf.clear();
  AppendAuditLine(e, &buf);
  buf.push_back('\n');
  Status s = sink_->Write(buf);
  if (buf.capacity() > (64u << 10)) std::string().swap(buf);
  if (!s.ok()) return UnavailableError("cannot write the audit log: " + s.message());
  MarkDirty();
  return OkStatus();
}

// The first 401 of a window is written at once; identical ones from the same address within
// the next second are only counted, and written as one line with `count` when the window ends
// (on the next such 401, by the sync thread, or by Flush). Their responses are therefore sent
// before their line is on disk: acceptable for refusals, which neither read nor change anything.
Status AuditLog::AppendUnauthorized(const AuditEntry& e) {
  std::string key = RepeatKey(e);
  std::optional<AuditEntry> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = repeats_.find(key);
    if (it != repeats_.end()) {
      Repeats& r = it->second;
      if (e.time_ms >= r.window_start_ms && e.time_ms - r.window_start_ms < kRepeatWindowMs) {
        if (r.first.count == 0) {
          r.first = e;
          r.first.count = 1;
        } else {
          ++r.first.count;
        }
        return OkStatus();
      }
      if (r.first.count > 0) ended = std::move(r.first);
      repeats_.erase(it);
    }
  }
  if (ended) RETURN_IF_ERROR(WriteLine(*ended));
  RETURN_IF_ERROR(WriteLine(e));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (repeats_.size() < kMaxRepeatWindows) {
      Repeats r;
      r.window_start_ms = e.time_ms;
      r.first.count = 0;
      repeats_.try_emplace(std::move(key), std::move(r));
    }
  }
  cv_.notify_one();  // the sync thread closes the window
  return OkStatus();
}

Status AuditLog::WriteRepeats(int64_t now_ms) {
  std::vector<AuditEntry> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = repeats_.begin(); it != repeats_.end();) {
      if (it->second.window_start_ms <= now_ms - kRepeatWindowMs) {
        if (it->second.first.count > 0) ended.push_back(std::move(it->second.first));
        it = repeats_.erase(it);
      } else {
        ++it;
      }
    }
  }
  Status result;
  for (const AuditEntry& e : ended) {
    Status s = WriteLine(e);
    if (!s.ok() && result.ok()) result = s;
  }
  return result;
}

void AuditLog::MarkDirty() {
  // Only the first write after a sync wakes the thread; later ones find the flag already set.
  if (!dirty_.exchange(true)) {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_one();
  }
}

Status AuditLog::SyncNow() {
  // One sync at a time (sync thread, Flush): an older failure must not land after a newer success.
  std::lock_guard<std::mutex> serial(sync_mu_);
  dirty_.store(false);
  Status s = sink_->Sync();
  std::lock_guard<std::mutex> lock(mu_);
  if (!s.ok()) {
    if (!sync_failed_.load()) log::error("audit log: {}; refusing requests", s.message());
    sync_error_ = "cannot sync the audit log to disk: " + s.message();
    sync_failed_.store(true, std::memory_order_release);
    dirty_.store(true);  // the sync thread retries every interval
    cv_.notify_one();
    return UnavailableError(sync_error_);
  }
  if (sync_failed_.load()) {
    log::info("audit log: sync works again; accepting requests");
    sync_failed_.store(false, std::memory_order_release);
  }
  return OkStatus();
}

void AuditLog::SyncLoop() {
  const auto interval = std::max(options_.sync_interval, std::chrono::milliseconds(1));
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || dirty_.load() || !repeats_.empty(); });
    if (stop_) return;
    // Let writes gather for one interval: a busy log is synced once per interval, not per line.
    if (cv_.wait_for(lock, interval, [&] { return stop_; })) return;
    lock.unlock();
    Status s = WriteRepeats(NowMs());
    if (!s.ok()) log::error("audit log: aggregated 401 lines lost: {}", s.message());
    if (dirty_.load()) (void)SyncNow();
    lock.lock();
  }
}

}  // namespace coffer::auth
