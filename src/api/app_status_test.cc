// /healthz and /metrics over HTTPS: health needs no token; metrics from loopback need none and
// their counters move with the requests the route table answered.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/app_test_fixture.h"

namespace coffer::api {
namespace {

using AppStatusTest = testing::AppTest;

TEST_F(AppStatusTest, HealthzAnswersWithoutAToken) {
  auto r = Call("GET", "127.0.0.1", "/healthz", "");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["sealed"], false);
  EXPECT_EQ(j["storage"], "primary");
  EXPECT_EQ(j["writable"], true);
  // A vault host serves only its data plane.
  EXPECT_EQ(Call("GET", VaultHost(), "/healthz", "").status, 401);
}

uint64_t Counter(const std::string& text, const std::string& series) {
  size_t at = text.find(series + " ");
  if (at == std::string::npos) return 0;
  return std::stoull(text.substr(at + series.size() + 1));
}

TEST_F(AppStatusTest, MetricsCountRequestsByRouteStatusAndVault) {
  Caller c = NewCaller("c");
  Assign(c.object_id, "00482a5a-887f-4fb3-b363-3b7fe8e74483", VaultScope());
  const std::string get = "coffer_http_requests_total{route=\"GET /secrets/{name}\",status=\"404\"}";
  const std::string vault = "coffer_vault_requests_total{vault=\"" + std::string(kVault) + "\"}";
  auto before = Call("GET", "127.0.0.1", "/metrics", "");
  ASSERT_EQ(before.status, 200);
  EXPECT_NE(before.headers.Get("Content-Type")->find("text/plain"), std::string::npos);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Call("GET", VaultHost(), "/secrets/absent?api-version=7.5", c.data_token).status,
              404);
  }
  auto after = Call("GET", "127.0.0.1", "/metrics", "");
  EXPECT_EQ(Counter(after.body, get), Counter(before.body, get) + 3);
  EXPECT_EQ(Counter(after.body, vault), Counter(before.body, vault) + 3);
  EXPECT_NE(after.body.find("coffer_http_request_duration_seconds_bucket{route=\"GET "
                            "/secrets/{name}\",le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(after.body.find("coffer_sealed 0"), std::string::npos);
  EXPECT_NE(after.body.find("coffer_storage_mode{storage=\"primary\",writable=\"true\"} 1"),
            std::string::npos);
  // Made-up names add no series.
  Call("GET", "no-such-vault.vault.localhost", "/secrets/x?api-version=7.5", c.data_token);
  EXPECT_EQ(Call("GET", "127.0.0.1", "/metrics", "").body.find("no-such-vault"),
            std::string::npos);
}

TEST(CommitMetricsTest, CommitsLatencyAndBatchSizesAreHistograms) {
  CommitMetrics m;
  m.OnCommit(1, 0.0004, true);
  m.OnCommit(3, 0.002, true);
  m.OnCommit(200, 7.0, true);  // beyond the last bucket: only in +Inf
  m.OnCommit(5, 0.001, false);
  std::string out;
  m.Render(out);
  EXPECT_EQ(Counter(out, "coffer_storage_commits_total{result=\"committed\"}"), 3u);
  EXPECT_EQ(Counter(out, "coffer_storage_commits_total{result=\"failed\"}"), 1u);
  EXPECT_EQ(Counter(out, "coffer_storage_commit_duration_seconds_bucket{le=\"0.0005\"}"), 1u);
  EXPECT_EQ(Counter(out, "coffer_storage_commit_duration_seconds_bucket{le=\"0.0025\"}"), 2u);
  EXPECT_EQ(Counter(out, "coffer_storage_commit_duration_seconds_bucket{le=\"5\"}"), 2u);
  EXPECT_EQ(Counter(out, "coffer_storage_commit_duration_seconds_bucket{le=\"+Inf\"}"), 3u);
  EXPECT_EQ(Counter(out, "coffer_storage_commit_batch_size_bucket{le=\"1\"}"), 1u);
  EXPECT_EQ(Counter(out, "coffer_storage_commit_batch_size_bucket{le=\"4\"}"), 2u);
  EXPECT_EQ(Counter(out, "coffer_storage_commit_batch_size_bucket{le=\"256\"}"), 3u);
  EXPECT_EQ(Counter(out, "coffer_storage_commit_batch_size_sum"), 204u);
  EXPECT_EQ(Counter(out, "coffer_storage_commit_batch_size_count"), 3u);
}

TEST_F(AppStatusTest, MetricsShowTheStorageCommitSeries) {
  auto r = Call("GET", "127.0.0.1", "/metrics", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("# TYPE coffer_storage_commit_duration_seconds histogram"),
            std::string::npos);
  EXPECT_NE(r.body.find("# TYPE coffer_storage_commit_batch_size histogram"), std::string::npos);
}

}  // namespace
}  // namespace coffer::api
