// Metrics: request counters and latency histograms per route and status, requests per vault,
// requests admitted and throttled per vault and service-limit class, and the serving state,
// rendered in Prometheus' text format for GET /metrics (CONTRACT.md "Throttling": requests by
// route, status and vault, admitted and throttled by class, latency histograms, seal state,
// serving mode). Fed from one place, App::Finish, for every answered request.
//
// Thread-safety: Observe is lock-free for routes and statuses (relaxed atomics); the per-vault
// counters take a shared lock, and a new vault name an exclusive one. Render may run
// concurrently with Observe (counters are read one by one, as Prometheus allows).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/route_table.h"
#include "core/commit_observer.h"

namespace coffer::api {

struct ServingState {
  bool sealed = false;
  std::string storage = "primary";  // "primary" | "paired"
  bool writable = true;
};

// Upper bounds of the latency histograms, in seconds.
inline constexpr std::array<double, 13> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                          0.025,  0.05,  0.1,    0.25,  0.5,
                                                          1,      2.5,   5};

// Storage commits (CONTRACT.md: storage commit latency and batch sizes), fed by the engine.
class CommitMetrics final : public CommitObserver {
 public:
  void OnCommit(size_t updates, double seconds, bool committed) override;
  void Render(std::string& out) const;

  static constexpr const auto& kSeconds = kLatencyBuckets;
  static constexpr std::array<size_t, 9> kBatch = {1, 2, 4, 8, 16, 32, 64, 128, 256};

 private:
  std::array<std::atomic<uint64_t>, kSeconds.size()> seconds_{};  // per bucket, not cumulative
  std::array<std::atomic<uint64_t>, kBatch.size()> batch_{};
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> updates_{0};
  std::atomic<uint64_t> micros_{0};
};

class Metrics {
 public:
  explicit Metrics(const RouteTable& table);

  // What the storage engine reports of its commits (Storage::SetCommitObserver).
  CommitObserver& commits() { return commits_; }

  // One answered request: its route (null when none matched), HTTP status, duration in
  // seconds, vault name ("" when none) and, when the service limits decided it, the class it
  // counted in and whether it was throttled.
  void Observe(const Route* route, int status, double seconds, std::string_view vault,
               ThrottleClass limit_class = ThrottleClass::kNone, bool throttled = false);

  std::string Render(const ServingState& state) const;

  static constexpr size_t kMaxVaults = 10000;  // further vaults are counted under "_other"

 private:
  static constexpr std::array<int, 15> kStatuses = {200, 201, 202, 204, 400, 401, 403, 404,
                                                    405, 409, 413, 429, 500, 503, 0};
  static constexpr const auto& kBuckets = kLatencyBuckets;
  struct RouteStats {
    std::array<std::atomic<uint64_t>, kStatuses.size()> by_status{};
    std::array<std::atomic<uint64_t>, kBuckets.size()> buckets{};  // cumulative at render
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_micros{0};
  };

  struct VaultStats {
    std::atomic<uint64_t> requests{0};
    // [class][0 admitted, 1 throttled]
    std::array<std::array<std::atomic<uint64_t>, 2>, kThrottleClasses> limits{};
  };
  void RenderVaults(std::string& out) const;

  CommitMetrics commits_;
  const RouteTable& table_;
  std::unique_ptr<RouteStats[]> stats_;  // one per route, plus one for "no route"
  size_t slots_;
  mutable std::shared_mutex vault_mu_;
  std::map<std::string, std::unique_ptr<VaultStats>, std::less<>> vaults_;
};

}  // namespace coffer::api
