// The service limits over HTTPS (CONTRACT.md "Throttling"): a request over its vault's limit
// gets 429 with Azure's envelope and a Retry-After that is the real wait; the class a route
// counts in, key weights and -HSM classes; refused requests are not counted; the per-caller
// share; /metrics counts admitted and throttled requests; the vault resource shows the limits.
// The windows run on the fixture's ManualClock, so nothing sleeps.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/app_test_fixture.h"

namespace coffer::api {
namespace {

using Json = nlohmann::json;

constexpr const char* kAdministrator = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
constexpr const char* kOwner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
constexpr const char* kThrottledBody =
    R"({"error":{"code":"Throttled","message":"Request was not processed because too many )"
    R"(requests were received. Reason: VaultRequestTypeLimitReached"}})";

ServiceLimits TestLimits() {
  ServiceLimits l;
  EXPECT_TRUE(l.Set("secret_create", 2, true).ok());
  EXPECT_TRUE(l.Set("vault_other", 6, true).ok());
  EXPECT_TRUE(l.Set("key_create", 3, true).ok());
  EXPECT_TRUE(l.Set("key_create_hsm", 1, true).ok());
  EXPECT_TRUE(l.Set("key_other", 8, true).ok());
  return l;
}

class AppThrottleTest : public testing::AppTest {
 protected:
  explicit AppThrottleTest(ServiceLimits limits = TestLimits()) : AppTest(limits) {
    caller_ = NewCaller("busy-app");
    Assign(caller_.object_id, kAdministrator, VaultScope());
  }
  http::ClientResponse Data(const std::string& method, const std::string& path,
                            const std::string& body = "", const std::string& token = "") {
    return Call(method, VaultHost(), path + "?api-version=7.6",
                token.empty() ? caller_.data_token : token, body);
  }
  http::ClientResponse SetSecret(const std::string& name) {
    return Data("PUT", "/secrets/" + name, R"({"value":"v"})");
  }
  std::string Metrics() { return Call("GET", "127.0.0.1", "/metrics", "").body; }
  Caller caller_;
};

TEST_F(AppThrottleTest, OverTheLimitIs429WithAzuresEnvelopeAndTheRealRetryAfter) {
  ASSERT_EQ(SetSecret("a").status, 200);
  clock_.Advance(3);
  ASSERT_EQ(SetSecret("b").status, 200);
  auto r = SetSecret("c");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body, kThrottledBody);
  EXPECT_EQ(r.headers.Get("Retry-After").value_or(""), "7");  // "a" leaves at second 10
  EXPECT_EQ(r.headers.Get("Content-Type").value_or(""), "application/json; charset=utf-8");
  EXPECT_TRUE(r.headers.Get("x-ms-request-id").has_value());
  clock_.Advance(6);
  EXPECT_EQ(SetSecret("c").headers.Get("Retry-After").value_or(""), "1");
  clock_.Advance(1);
  EXPECT_EQ(SetSecret("c").status, 200);
  EXPECT_EQ(SetSecret("d").headers.Get("Retry-After").value_or(""), "3");  // "b" leaves at 13
  // Reads count in vault_other, not in secret_create.
  EXPECT_EQ(Data("GET", "/secrets/a").status, 200);
}

TEST_F(AppThrottleTest, RefusedRequestsAreNotCountedAndTheAuditLogSeesThe429) {
  for (int i = 0; i < 6; ++i) ASSERT_EQ(Data("GET", "/secrets/none").status, 404);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Data("GET", "/secrets/none").status, 429);
  clock_.Advance(10);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(Data("GET", "/secrets/none").status, 404);
  auto lines = AuditLines();
  ASSERT_FALSE(lines.empty());
  size_t throttled = 0;
  for (const auto& l : lines) throttled += Json::parse(l).value("status", 0) == 429;
  EXPECT_EQ(throttled, 5u);
}

TEST_F(AppThrottleTest, KeyRequestsAreWeightedByTheKeysSizeAndHsmKeysHaveTheirOwnClass) {
  ASSERT_EQ(Data("POST", "/keys/big/create", R"({"kty":"RSA","key_size":3072})").status, 200);
  EXPECT_EQ(Data("GET", "/keys/big").status, 200);  // weight 4
  EXPECT_EQ(Data("GET", "/keys/big").status, 200);  // 8 of 8
  EXPECT_EQ(Data("GET", "/keys/big").status, 429);
  EXPECT_EQ(Data("GET", "/keys").status, 429);  // lists count in key_other too
  EXPECT_EQ(Data("GET", "/secrets/none").status, 404);  // vault_other is apart

  ASSERT_EQ(Data("POST", "/keys/hsm1/create", R"({"kty":"EC-HSM"})").status, 200);
  EXPECT_EQ(Data("POST", "/keys/hsm2/create", R"({"kty":"EC-HSM"})").status, 429);
  EXPECT_EQ(Data("POST", "/keys/hsm1/rotate").status, 429);  // rotate: the key's own type
  EXPECT_EQ(Data("POST", "/keys/ec1/create", R"({"kty":"EC"})").status, 200);
  EXPECT_EQ(Data("POST", "/keys/ec1/rotate").status, 200);   // 3 of key_create's 3
  EXPECT_EQ(Data("POST", "/keys/ec2/create", R"({"kty":"EC"})").status, 429);
  clock_.Advance(10);
  EXPECT_EQ(Data("GET", "/keys/hsm1").status, 200);  // key_other_hsm, weight 1
  EXPECT_EQ(Data("POST", "/keys/hsm2/create", R"({"kty":"EC-HSM"})").status, 200);
}

TEST_F(AppThrottleTest, MetricsCountAdmittedAndThrottledRequestsByClass) {
  ASSERT_EQ(SetSecret("a").status, 200);
  ASSERT_EQ(SetSecret("b").status, 200);
  ASSERT_EQ(SetSecret("c").status, 429);
  ASSERT_EQ(Data("GET", "/secrets/a").status, 200);
  std::string m = Metrics();
  const std::string prefix = "coffer_throttle_requests_total{vault=\"" + std::string(kVault);
  EXPECT_NE(m.find(prefix + "\",class=\"secret_create\",outcome=\"admitted\"} 2\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(prefix + "\",class=\"secret_create\",outcome=\"throttled\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.find(prefix + "\",class=\"vault_other\",outcome=\"admitted\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.find("coffer_http_requests_total{route=\"PUT /secrets/{name}\",status=\"429\"} 1"),
            std::string::npos);
}

TEST_F(AppThrottleTest, TheVaultResourceShowsTheLimitsInForceAndManagementIsNotThrottled) {
  Assign(caller_.object_id, kOwner, "/subscriptions/" + subscription());
  const std::string path = "/subscriptions/" + subscription() + "/resourceGroups/" + kGroup +
                           "/providers/Microsoft.KeyVault/vaults/" + kVault +
                           "?api-version=2026-02-01";
  for (int i = 0; i < 20; ++i) {
    auto r = Call("GET", "127.0.0.1", path, caller_.management_token);
    ASSERT_EQ(r.status, 200) << r.body;
    if (i > 0) continue;
    Json limits = Json::parse(r.body)["properties"]["limits"];
    EXPECT_EQ(limits, Json::parse(R"({"windowSeconds":10,"secretCreate":2,"vaultOther":6,
        "keyCreate":3,"keyCreateHsm":1,"keyOther":8,"keyOtherHsm":2000,
        "subscriptionFactor":5.0,"perIdentity":0.0})"));
  }
}

class AppPerCallerThrottleTest : public AppThrottleTest {
 protected:
  static ServiceLimits Shared() {
    ServiceLimits l = TestLimits();
    EXPECT_TRUE(l.Set("per_identity", 0.5, false).ok());
    return l;
  }
  AppPerCallerThrottleTest() : AppThrottleTest(Shared()) {}
};

TEST_F(AppPerCallerThrottleTest, OneNoisyCallerCannotTakeTheWholeVault) {
  Caller quiet = NewCaller("quiet-app");
  Assign(quiet.object_id, kAdministrator, VaultScope());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Data("GET", "/secrets/none").status, 404);
  auto r = Data("GET", "/secrets/none");
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find("Reason: CallerRequestTypeLimitReached"), std::string::npos) << r.body;
  EXPECT_EQ(r.headers.Get("Retry-After").value_or(""), "10");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Data("GET", "/secrets/none", "", quiet.data_token).status, 404);
  }
}

}  // namespace
}  // namespace coffer::api
