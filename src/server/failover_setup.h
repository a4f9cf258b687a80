// The paired-region failover's part of the composition root (CONTRACT.md "PostgreSQL and
// paired-region failover"): the FailoverStorage over two PgStorage engines that [storage] url
// and [failover] paired_url name, and the thread that probes it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "server/server.h"
#include "store/failover_storage.h"

namespace coffer::server {

// A FailoverStorage whose primary is a PgStorage on config.storage_url and whose pair is a
// read-only PgStorage (PgOptions::replica) on config.failover_paired_url, turning to the pair
// after config.failover_after_seconds. Started: Unavailable only if neither side answers.
// `on_mode_change` (optional) is FailoverOptions::on_mode_change.
StatusOr<std::unique_ptr<store::FailoverStorage>> OpenFailoverStorage(
    const ServerConfig& config,
    std::function<void(store::FailoverMode)> on_mode_change = nullptr);

// The URL of the database the nodes write to in `mode`: [failover] paired_url once the pair is
// promoted, [storage] url otherwise (a pair in recovery takes no writes and publishes nothing).
const std::string& WrittenUrl(const ServerConfig& config, store::FailoverMode mode);

// Calls storage.Probe() every `interval` on a thread of its own, from construction until
// destruction (which waits for a probe in flight: at most libpq's connect timeout).
class FailoverProber {
 public:
  FailoverProber(store::FailoverStorage& storage, std::chrono::milliseconds interval);
  ~FailoverProber();
  FailoverProber(const FailoverProber&) = delete;
  FailoverProber& operator=(const FailoverProber&) = delete;

 private:
  store::FailoverStorage& storage_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace coffer::server
