// Paired-region failover at the API (CONTRACT.md "PostgreSQL and paired-region failover"):
// /healthz and /metrics show the serving mode the composition root reports; while serving from
// the pair every token-bearing request makes a round trip to it first, so with both sides down
// the answer is 503 with Retry-After rather than what a cache holds; the promote route.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <nlohmann/json.hpp>

#include "api/app_test_fixture.h"
#include "auth/principals.h"
#include "crypto/primitives.h"

namespace coffer::api {
namespace {

class AppFailoverTest : public testing::AppTest {
 protected:
  void UseFailoverHooks() {
    services().serving = [this] {
      ServingState s;
      s.storage = paired_ ? "paired" : "primary";
      s.writable = !paired_ || promoted_;
      return s;
    };
    services().paired_read_check = [this]() -> Status {
      ++checks_;
      if (paired_ && !promoted_ && pair_down_) return UnavailableError("the pair is down too");
      return OkStatus();
    };
    services().promote_pair = [this]() -> Status {
      if (pair_down_) return UnavailableError("the pair cannot be reached");
      promoted_ = true;
      return OkStatus();
    };
    RestartApp();
  }

  // A management token of a new tenant administrator.
  std::string AdminToken() {
    Random& rng = crypto::SystemRandom();
    std::string oid = auth::NewGuid(rng), client_id = auth::NewGuid(rng);
    SecretBytes secret(std::string_view("failover-test-admin-secret-0123456789"));
    EXPECT_TRUE(services()
                    .principals->EnsureTenantAdministrator(oid, client_id, tenant(), "admin", secret)
                    .ok());
    auto client = services().principals->Authenticate(tenant(), client_id, secret.view());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    if (!client.ok()) return "";
    auto token = services().tokens->Issue(*client, "https://127.0.0.1/" + tenant() + "/v2.0",
                                          "https://management.localhost");
    EXPECT_TRUE(token.ok());
    return token.ok() ? token->access_token : "";
  }

  std::atomic<bool> paired_{false};
  std::atomic<bool> promoted_{false};
  std::atomic<bool> pair_down_{false};
  std::atomic<int> checks_{0};
};

TEST_F(AppFailoverTest, HealthzAndMetricsShowTheServingMode) {
  UseFailoverHooks();
  paired_ = true;
  auto r = Call("GET", "127.0.0.1", "/healthz", "");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["storage"], "paired");
  EXPECT_EQ(j["writable"], false);
  auto m = Call("GET", "127.0.0.1", "/metrics", "");
  EXPECT_NE(m.body.find("coffer_storage_mode{storage=\"paired\",writable=\"false\"} 1"),
            std::string::npos);
}

TEST_F(AppFailoverTest, BothSidesDownAnswers503WithRetryAfterNotACachedAnswer) {
  UseFailoverHooks();
  Caller c = NewCaller("c");
  Assign(c.object_id, "00482a5a-887f-4fb3-b363-3b7fe8e74483", VaultScope());
  paired_ = true;
  EXPECT_EQ(Call("GET", VaultHost(), "/secrets/absent?api-version=7.5", c.data_token).status, 404);
  EXPECT_GT(checks_.load(), 0);
  pair_down_ = true;
  auto r = Call("GET", VaultHost(), "/secrets/absent?api-version=7.5", c.data_token);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_TRUE(r.headers.Get("Retry-After").has_value());
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "ServiceUnavailable");
  // Health still answers, and says where the node stands.
  EXPECT_EQ(Call("GET", "127.0.0.1", "/healthz", "").status, 200);
}

TEST_F(AppFailoverTest, PromoteNeedsTheTenantAdministratorAndMakesTheNodeWritable) {
  UseFailoverHooks();
  paired_ = true;
  Caller other = NewCaller("not admin");
  EXPECT_EQ(Call("POST", "127.0.0.1", "/_coffer/operator/failover/promote", other.management_token,
                 "{}")
                .status,
            403);
  EXPECT_FALSE(promoted_.load());
  std::string admin = AdminToken();
  pair_down_ = true;
  auto refused = Call("POST", "127.0.0.1", "/_coffer/operator/failover/promote", admin, "{}");
  EXPECT_EQ(refused.status, 503) << refused.body;
  pair_down_ = false;
  auto r = Call("POST", "127.0.0.1", "/_coffer/operator/failover/promote", admin, "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["storage"], "paired");
  EXPECT_EQ(j["writable"], true);
}

TEST_F(AppFailoverTest, PromoteWithoutAPairIsABadRequest) {
  auto r = Call("POST", "127.0.0.1", "/_coffer/operator/failover/promote", AdminToken(), "{}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("paired_url"), std::string::npos) << r.body;
}

// Several nodes on one PostgreSQL: every request but the operator plane's first waits for the
// cache feed's fence (AppServices::await_fresh); when the fence cannot be had the answer is 503
// with Retry-After, before any token or cache is consulted.
TEST_F(AppFailoverTest, RequestsWaitForTheFenceAndAre503WhenItFails) {
  std::atomic<int> fences{0};
  std::atomic<bool> fresh{true};
  services().await_fresh = [&](std::function<void(bool)> done) {
    ++fences;
    done(fresh.load());
  };
  RestartApp();
  Caller c = NewCaller("c");
  Assign(c.object_id, "00482a5a-887f-4fb3-b363-3b7fe8e74483", VaultScope());
  EXPECT_EQ(Call("PUT", VaultHost(), "/secrets/s?api-version=7.6", c.data_token,
                 R"({"value":"v"})").status, 200);
  EXPECT_EQ(Call("GET", VaultHost(), "/secrets/s?api-version=7.6", c.data_token).status, 200);
  EXPECT_EQ(fences.load(), 2);
  EXPECT_EQ(Call("GET", "127.0.0.1", "/healthz", "").status, 200);
  EXPECT_EQ(fences.load(), 2) << "the operator plane does not wait";

  fresh = false;
  for (const std::string& token : {c.data_token, std::string("not-a-token")}) {
    auto r = Call("GET", VaultHost(), "/secrets/s?api-version=7.6", token);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.headers.Get("Retry-After"), "1");
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_EQ(j["error"]["code"], "ServiceUnavailable") << r.body;
    EXPECT_NE(r.body.find("notification connection"), std::string::npos) << r.body;
  }
  EXPECT_EQ(fences.load(), 4);
  fresh = true;
  EXPECT_EQ(Call("GET", VaultHost(), "/secrets/s?api-version=7.6", c.data_token).status, 200);
}

}  // namespace
}  // namespace coffer::api
