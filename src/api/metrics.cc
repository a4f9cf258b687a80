#include "api/metrics.h"

#include <cstdio>
#include <mutex>

namespace coffer::api {
namespace {

// Prometheus label values: backslash, double quote and newline escaped.
std::string Label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

Metrics::Metrics(const RouteTable& table)
    : table_(table),
      stats_(new RouteStats[table.routes().size() + 1]),
      slots_(table.routes().size() + 1) {}

void Metrics::Observe(const Route* route, int status, double seconds, std::string_view vault,
                      ThrottleClass limit_class, bool throttled) {
  const auto& routes = table_.routes();
  size_t slot = slots_ - 1;
  if (route != nullptr && route >= routes.data() && route < routes.data() + routes.size()) {
    slot = static_cast<size_t>(route - routes.data());
  }
  RouteStats& s = stats_[slot];
  size_t si = kStatuses.size() - 1;
  for (size_t i = 0; i + 1 < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) {
      si = i;
      break;
    }
  }
  s.by_status[si].fetch_add(1, std::memory_order_relaxed);
  for (size_t b = 0; b < kBuckets.size(); ++b) {
    if (seconds <= kBuckets[b]) {
      s.buckets[b].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  s.count.fetch_add(1, std::memory_order_relaxed);
  s.sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  if (vault.empty()) return;
  auto count = [&](VaultStats& v) {
    v.requests.fetch_add(1, std::memory_order_relaxed);
    if (limit_class != ThrottleClass::kNone) {
      v.limits[static_cast<size_t>(limit_class)][throttled ? 1 : 0].fetch_add(
          1, std::memory_order_relaxed);
    }
  };
  {
    std::shared_lock lock(vault_mu_);
    if (auto it = vaults_.find(vault); it != vaults_.end()) {
      count(*it->second);
      return;
    }
  }
  std::unique_lock lock(vault_mu_);
  std::string key = vaults_.size() < kMaxVaults ? std::string(vault) : "_other";
  auto [it, inserted] = vaults_.try_emplace(key, nullptr);
  if (inserted) it->second = std::make_unique<VaultStats>();
  count(*it->second);
}

void Metrics::RenderVaults(std::string& out) const {
  std::shared_lock lock(vault_mu_);
  out += "# HELP coffer_vault_requests_total Answered requests by vault.\n";
  out += "# TYPE coffer_vault_requests_total counter\n";
  for (const auto& [name, v] : vaults_) {
    out += "coffer_vault_requests_total{vault=\"" + Label(name) + "\"} " +
           std::to_string(v->requests.load(std::memory_order_relaxed)) + "\n";
  }
  out += "# HELP coffer_throttle_requests_total Data-plane requests by vault and service-limit "
         "class, admitted or throttled (429).\n";
  out += "# TYPE coffer_throttle_requests_total counter\n";
  for (const auto& [name, v] : vaults_) {
    for (size_t c = 0; c < kThrottleClasses; ++c) {
      for (size_t o = 0; o < 2; ++o) {
        uint64_t n = v->limits[c][o].load(std::memory_order_relaxed);
        if (n == 0) continue;
        out += "coffer_throttle_requests_total{vault=\"" + Label(name) + "\",class=\"" +
               std::string(ThrottleClassName(static_cast<ThrottleClass>(c))) +
               "\",outcome=\"" + (o == 0 ? "admitted" : "throttled") + "\"} " +
               std::to_string(n) + "\n";
      }
    }
  }
}

void CommitMetrics::OnCommit(size_t updates, double seconds, bool committed) {
  if (!committed) {
    failed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  updates_.fetch_add(updates, std::memory_order_relaxed);
  micros_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  for (size_t b = 0; b < kSeconds.size(); ++b) {
    if (seconds <= kSeconds[b]) {
      seconds_[b].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  for (size_t b = 0; b < kBatch.size(); ++b) {
    if (updates <= kBatch[b]) {
      batch_[b].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
}

void CommitMetrics::Render(std::string& out) const {
  uint64_t count = commits_.load(std::memory_order_relaxed);
  out += "# HELP coffer_storage_commits_total Physical storage commits (one per group-commit "
         "batch) by result.\n# TYPE coffer_storage_commits_total counter\n";
  out += "coffer_storage_commits_total{result=\"committed\"} " + std::to_string(count) + "\n";
  out += "coffer_storage_commits_total{result=\"failed\"} " +
         std::to_string(failed_.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP coffer_storage_commit_duration_seconds From the start of a commit's transaction "
         "to its durable commit.\n# TYPE coffer_storage_commit_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t b = 0; b < kSeconds.size(); ++b) {
    cumulative += seconds_[b].load(std::memory_order_relaxed);
    out += "coffer_storage_commit_duration_seconds_bucket{le=\"" + Number(kSeconds[b]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += "coffer_storage_commit_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(count) +
         "\n";
  out += "coffer_storage_commit_duration_seconds_sum " +
         Number(static_cast<double>(micros_.load(std::memory_order_relaxed)) / 1e6) + "\n";
  out += "coffer_storage_commit_duration_seconds_count " + std::to_string(count) + "\n";
  out += "# HELP coffer_storage_commit_batch_size Update calls carried by one commit (group "
         "commit).\n# TYPE coffer_storage_commit_batch_size histogram\n";
  cumulative = 0;
  for (size_t b = 0; b < kBatch.size(); ++b) {
    cumulative += batch_[b].load(std::memory_order_relaxed);
    out += "coffer_storage_commit_batch_size_bucket{le=\"" + std::to_string(kBatch[b]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += "coffer_storage_commit_batch_size_bucket{le=\"+Inf\"} " + std::to_string(count) + "\n";
  out += "coffer_storage_commit_batch_size_sum " +
         std::to_string(updates_.load(std::memory_order_relaxed)) + "\n";
  out += "coffer_storage_commit_batch_size_count " + std::to_string(count) + "\n";
}

std::string Metrics::Render(const ServingState& state) const {
  std::string out;
  out.reserve(64 * 1024);
  const auto& routes = table_.routes();
  auto route_label = [&](size_t slot) {
    if (slot + 1 == slots_) return std::string("none");
    return std::string(routes[slot].method) + " /" + std::string(routes[slot].pattern);
  };
  out += "# HELP coffer_http_requests_total Answered requests by route and HTTP status.\n";
  out += "# TYPE coffer_http_requests_total counter\n";
  for (size_t r = 0; r < slots_; ++r) {
    for (size_t i = 0; i < kStatuses.size(); ++i) {
      uint64_t n = stats_[r].by_status[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "coffer_http_requests_total{route=\"" + Label(route_label(r)) + "\",status=\"" +
             (kStatuses[i] == 0 ? std::string("other") : std::to_string(kStatuses[i])) +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP coffer_http_request_duration_seconds Time from the request head to the "
         "response, by route.\n";
  out += "# TYPE coffer_http_request_duration_seconds histogram\n";
  for (size_t r = 0; r < slots_; ++r) {
    uint64_t count = stats_[r].count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    std::string label = Label(route_label(r));
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += stats_[r].buckets[b].load(std::memory_order_relaxed);
      out += "coffer_http_request_duration_seconds_bucket{route=\"" + label + "\",le=\"" +
             Number(kBuckets[b]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "coffer_http_request_duration_seconds_bucket{route=\"" + label + "\",le=\"+Inf\"} " +
           std::to_string(count) + "\n";
    out += "coffer_http_request_duration_seconds_sum{route=\"" + label + "\"} " +
           Number(static_cast<double>(stats_[r].sum_micros.load(std::memory_order_relaxed)) /
                  1e6) +
           "\n";
    out += "coffer_http_request_duration_seconds_count{route=\"" + label + "\"} " +
           std::to_string(count) + "\n";
  }
  RenderVaults(out);
  commits_.Render(out);
  out += "# HELP coffer_sealed 1 while the server is sealed.\n# TYPE coffer_sealed gauge\n";
  out += std::string("coffer_sealed ") + (state.sealed ? "1" : "0") + "\n";
  out += "# HELP coffer_storage_mode The storage the node serves from and whether it is "
         "writable.\n# TYPE coffer_storage_mode gauge\n";
  out += "coffer_storage_mode{storage=\"" + Label(state.storage) + "\",writable=\"" +
         (state.writable ? "true" : "false") + "\"} 1\n";
  return out;
}

}  // namespace coffer::api
