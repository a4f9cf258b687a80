// The audit log on the request path (CONTRACT.md "Audit log"): every request — allowed,
// refused, unauthenticated, unknown — leaves exactly one line naming who, what, which object
// and the status; no value or token ever appears; a line that cannot be written turns the
// answer into 503 (fail-closed).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/app_test_fixture.h"

namespace coffer::api {
namespace {

using Json = nlohmann::json;
using AppAuditTest = testing::AppTest;

constexpr const char* kAdministrator = "00482a5a-887f-4fb3-b363-3b7fe8e74483";

TEST_F(AppAuditTest, EveryRequestIsRecordedAndNoValueOrTokenAppears) {
  Caller admin = NewCaller("admin"), nobody = NewCaller("nobody");
  Assign(admin.object_id, kAdministrator, VaultScope());
  const std::string value = "sup3r-s3cr3t-v4lue";
  struct Req {
    std::string method, path, token, body;
    int status;
  } reqs[] = {
      {"PUT", "/secrets/db%2Dpass?api-version=7.5", admin.data_token,
       R"({"value":")" + value + R"("})", 200},
      {"GET", "/secrets/db-pass?api-version=7.5", admin.data_token, "", 200},
      {"GET", "/secrets/db-pass?api-version=7.5", nobody.data_token, "", 403},
      {"GET", "/secrets/db-pass?api-version=7.5", "", "", 401},
      {"GET", "/nothing?api-version=7.5", admin.data_token, "", 404},
      {"GET", "/secrets/%FF%FE?api-version=7.5", admin.data_token, "", 400},  // a bad name
  };
  for (const Req& r : reqs) {
    EXPECT_EQ(Call(r.method, VaultHost(), r.path, r.token, r.body).status, r.status) << r.path;
  }
  std::vector<std::string> lines = AuditLines();
  ASSERT_EQ(lines.size(), std::size(reqs));
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(lines[i]);
    EXPECT_EQ(lines[i].find(value), std::string::npos);
    EXPECT_EQ(lines[i].find(admin.data_token.substr(0, 40)), std::string::npos);
    EXPECT_EQ(lines[i].find(nobody.data_token.substr(0, 40)), std::string::npos);
    Json j = Json::parse(lines[i]);  // valid JSON whatever bytes the path carried
    EXPECT_EQ(j["status"], reqs[i].status);
    EXPECT_EQ(j["plane"], "data");
    EXPECT_EQ(j["vault"], kVault);
    EXPECT_TRUE(j["requestId"].is_string());
    EXPECT_TRUE(j["durationMs"].is_number());
    EXPECT_TRUE(j["time"].get<std::string>().ends_with("Z"));
  }
  Json set = Json::parse(lines[0]);
  EXPECT_EQ(set["operation"], "Microsoft.KeyVault/vaults/secrets/setSecret/action");
  EXPECT_EQ(set["object"]["kind"], "secret");
  EXPECT_EQ(set["object"]["name"], "db-pass");
  EXPECT_EQ(set["caller"]["oid"], admin.object_id);
  EXPECT_EQ(set["caller"]["appid"], admin.client_id);
  EXPECT_EQ(set["caller"]["tid"], tenant());
  EXPECT_EQ(Json::parse(lines[2])["caller"]["oid"], nobody.object_id);
  EXPECT_TRUE(Json::parse(lines[3])["caller"].is_null());
}

TEST_F(AppAuditTest, ManagementRequestsAreRecordedToo) {
  Caller c = NewCaller("c");
  Call("GET", "127.0.0.1",
       "/subscriptions/" + subscription() + "/resourceGroups/" + kGroup +
           "/providers/Microsoft.KeyVault/vaults/" + kVault + "?api-version=2026-02-01",
       c.management_token);
  std::vector<std::string> lines = AuditLines();
  ASSERT_EQ(lines.size(), 1u);
  Json j = Json::parse(lines[0]);
  EXPECT_EQ(j["plane"], "management");
  EXPECT_EQ(j["operation"], "Microsoft.KeyVault/vaults/read");
  EXPECT_EQ(j["vault"], kVault);
  EXPECT_EQ(j["status"], 403);
}

TEST_F(AppAuditTest, AnUnwritableAuditLogAnswers503) {
  Caller admin = NewCaller("admin");
  Assign(admin.object_id, kAdministrator, VaultScope());
  FailAuditWrites(true);
  auto r = Call("GET", VaultHost(), "/secrets?api-version=7.5", admin.data_token);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("audit"), std::string::npos);
  r = Call("GET", VaultHost(), "/secrets?api-version=7.5", "");
  EXPECT_EQ(r.status, 503);
  FailAuditWrites(false);
  EXPECT_EQ(Call("GET", VaultHost(), "/secrets?api-version=7.5", admin.data_token).status, 200);
}

}  // namespace
}  // namespace coffer::api
