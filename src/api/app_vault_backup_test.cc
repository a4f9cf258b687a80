// Whole-vault backup and restore over HTTPS (CONTRACT.md "Whole-vault backup and restore"):
// exact status codes, the Azure-AsyncOperation poll URL, job status shapes, the archive as
// content, restore refusals as the PUT's own answer, selective restore with conflicts, and who
// may call them under RBAC and access policies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/app_test_fixture.h"

namespace coffer::api {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;
using testing::AppTest;

constexpr const char* kAdministrator = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
constexpr const char* kSecretsOfficer = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
constexpr const char* kApi = "?api-version=7.5";

class VaultBackupApiTest : public AppTest {
 protected:
  void SetUp() override {
    admin_ = NewCaller("backup-admin");
    Assign(admin_.object_id, kAdministrator, "/subscriptions/" + subscription());
    two_ = MakeVault("vault-two", subscription(), "westus", true, {});
    for (const char* name : {"a", "b"}) {
      vault::SecretSetParams p;
      p.value = SecretBytes("value-of-" + std::string(name));
      ASSERT_TRUE(services().secrets->Set(*services().vaults->Get(kVault), name, p).ok());
    }
  }

  model::VaultRecord MakeVault(const std::string& name, const std::string& sub,
                               const std::string& location, bool rbac,
                               std::vector<model::AccessPolicyEntry> policies) {
    vault::VaultSpec spec;
    spec.name = name;
    spec.subscription_id = sub;
    spec.resource_group = kGroup;
    spec.location = location;
    spec.tenant_id = tenant();
    spec.rbac_authorization = rbac;
    spec.access_policies = std::move(policies);
    auto made = services().vaults->CreateOrUpdate(spec);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? made->first : model::VaultRecord{};
  }

  static std::string Host(const std::string& vault) { return vault + ".vault.localhost"; }

  // The job's status once every running job has ended.
  Json Poll(const std::string& vault, std::string_view poll_url) {
    WaitForBackupJobs();
    std::string path(poll_url.substr(poll_url.find('/', std::string_view("https://").size())));
    auto r = Call("GET", Host(vault), path, admin_.data_token);
    EXPECT_EQ(r.status, 200) << r.body;
    return Json::parse(r.body, nullptr, false);
  }

  // A finished backup of vault-one: its archive.
  std::string Archive() {
    auto started = Call("POST", VaultHost(), std::string("/backup") + kApi, admin_.data_token);
    EXPECT_EQ(started.status, 202) << started.body;
    std::string id = Json::parse(started.body)["jobId"];
    EXPECT_EQ(Poll(kVault, *started.headers.Get("Azure-AsyncOperation"))["status"], "Succeeded");
    auto content = Call("GET", VaultHost(), "/backup/" + id + "/content" + kApi,
                        admin_.data_token);
    EXPECT_EQ(content.status, 200);
    return content.body;
  }

  Caller admin_;
  model::VaultRecord two_;
};

TEST_F(VaultBackupApiTest, BackupIsALongRunningOperationWhoseContentRestores) {
  auto started = Call("POST", VaultHost(), std::string("/backup") + kApi, admin_.data_token);
  ASSERT_EQ(started.status, 202) << started.body;
  Json body = Json::parse(started.body);
  EXPECT_EQ(body["status"], "InProgress");
  std::string id = body["jobId"];
  EXPECT_TRUE(body["startTime"].is_number_integer());
  std::string poll(*started.headers.Get("Azure-AsyncOperation"));
  EXPECT_THAT(poll, StartsWith("https://vault-one.vault.localhost:"));
  EXPECT_THAT(poll, HasSubstr("/backup/" + id + "/pending?api-version=7.5"));

  Json done = Poll(kVault, poll);
  EXPECT_EQ(done["status"], "Succeeded");
  EXPECT_EQ(done["jobId"], id);
  EXPECT_EQ(done["objects"], 2);
  EXPECT_TRUE(done["error"].is_null());
  EXPECT_TRUE(done["endTime"].is_number_integer());
  auto content = Call("GET", VaultHost(), "/backup/" + id + "/content" + kApi, admin_.data_token);
  ASSERT_EQ(content.status, 200);
  EXPECT_EQ(*content.headers.Get("Content-Type"), "application/octet-stream");
  EXPECT_EQ(content.body.size(), done["bytes"].get<size_t>());
  EXPECT_EQ(content.body.find("value-of-a"), std::string::npos);

  auto restore = Call("PUT", Host("vault-two"), std::string("/restore") + kApi, admin_.data_token,
                      content.body);
  ASSERT_EQ(restore.status, 202) << restore.body;
  std::string restore_poll(*restore.headers.Get("Azure-AsyncOperation"));
  EXPECT_THAT(restore_poll, HasSubstr("/restore/"));
  Json restored = Poll("vault-two", restore_poll);
  EXPECT_EQ(restored["status"], "Succeeded") << restored.dump();
  EXPECT_EQ(restored["restored"], 2);
  EXPECT_EQ(restored["conflicts"], Json::array());
  auto secret = Call("GET", Host("vault-two"), std::string("/secrets/b") + kApi,
                     admin_.data_token);
  EXPECT_EQ(Json::parse(secret.body)["value"], "value-of-b");

  EXPECT_EQ(Call("GET", VaultHost(), "/backup/" + std::string(32, 'a') + "/pending" + kApi,
                 admin_.data_token).status, 404);
  EXPECT_EQ(Call("GET", VaultHost(), "/restore/" + id + "/pending" + kApi, admin_.data_token)
                .status,
            404);
}

TEST_F(VaultBackupApiTest, RestoreRefusalsAreThePutsOwnAnswer) {
  std::string archive = Archive();
  // Into a vault that is not empty, without a selection: 409.
  auto again = Call("PUT", VaultHost(), std::string("/restore") + kApi, admin_.data_token,
                    archive);
  EXPECT_EQ(again.status, 409) << again.body;
  std::string damaged = archive;
  damaged[damaged.size() / 2] ^= 0x01;
  auto bad = Call("PUT", Host("vault-two"), std::string("/restore") + kApi, admin_.data_token,
                  damaged);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Call("PUT", Host("vault-two"), std::string("/restore") + kApi, admin_.data_token, "")
                .status,
            400);
  auto other_sub = services().subscriptions->Create("other");
  ASSERT_TRUE(other_sub.ok());
  MakeVault("vault-three", other_sub->id, "eastus", true, {});
  Assign(admin_.object_id, kAdministrator, "/subscriptions/" + other_sub->id);
  auto foreign = Call("PUT", Host("vault-three"), std::string("/restore") + kApi,
                      admin_.data_token, archive);
  EXPECT_EQ(foreign.status, 400);
  EXPECT_THAT(foreign.body, HasSubstr("subscription"));
  MakeVault("vault-europe", subscription(), "westeurope", true, {});
  auto europe = Call("PUT", Host("vault-europe"), std::string("/restore") + kApi,
                     admin_.data_token, archive);
  EXPECT_EQ(europe.status, 400);
  EXPECT_THAT(europe.body, HasSubstr("geography"));
  EXPECT_EQ(Call("PUT", Host("vault-two"), std::string("/restore") + kApi + "&objects=vaults/x",
                 admin_.data_token, archive).status,
            400);
}

TEST_F(VaultBackupApiTest, SelectedObjectsAreRestoredAndTakenNamesReported) {
  std::string archive = Archive();
  vault::SecretSetParams mine;
  mine.value = SecretBytes(std::string_view("mine"));
  ASSERT_TRUE(services().secrets->Set(two_, "a", mine).ok());
  auto r = Call("PUT", Host("vault-two"),
                std::string("/restore") + kApi + "&objects=secrets/a,secrets/b",
                admin_.data_token, archive);
  ASSERT_EQ(r.status, 202) << r.body;
  Json done = Poll("vault-two", std::string(*r.headers.Get("Azure-AsyncOperation")));
  EXPECT_EQ(done["status"], "Succeeded");
  EXPECT_EQ(done["restored"], 1);
  ASSERT_EQ(done["conflicts"].size(), 1u);
  EXPECT_EQ(done["conflicts"][0]["kind"], "secret");
  EXPECT_EQ(done["conflicts"][0]["name"], "a");
  EXPECT_THAT(done["conflicts"][0]["reason"].get<std::string>(), HasSubstr("exists"));
  EXPECT_EQ(services().secrets->Get(two_, "a", "")->version.value.view(), "mine");
}

TEST_F(VaultBackupApiTest, OnlyVaultWideBackupRightsMayBackUpOrRestore) {
  Caller officer = NewCaller("secrets-officer");
  Assign(officer.object_id, kSecretsOfficer, VaultScope());
  auto denied = Call("POST", VaultHost(), std::string("/backup") + kApi, officer.data_token);
  EXPECT_EQ(denied.status, 403);
  EXPECT_THAT(denied.body, HasSubstr("Microsoft.KeyVault/vaults/backup/action"));
  EXPECT_EQ(Call("PUT", VaultHost(), std::string("/restore") + kApi, officer.data_token, "x")
                .status,
            403);

  // Access policies: backup on secrets, keys and certificates.
  Caller partial = NewCaller("partial");
  Caller full = NewCaller("full");
  model::AccessPolicyEntry p{tenant(), partial.object_id, "", {"backup"}, {"backup"}, {}, {}};
  model::AccessPolicyEntry f{tenant(), full.object_id, "", {"backup"}, {"backup"}, {"backup"}, {}};
  MakeVault("vault-policies", subscription(), "eastus", false, {p, f});
  EXPECT_EQ(Call("POST", Host("vault-policies"), std::string("/backup") + kApi,
                 partial.data_token).status,
            403);
  auto allowed = Call("POST", Host("vault-policies"), std::string("/backup") + kApi,
                      full.data_token);
  EXPECT_EQ(allowed.status, 202) << allowed.body;
  WaitForBackupJobs();
}

}  // namespace
}  // namespace coffer::api
