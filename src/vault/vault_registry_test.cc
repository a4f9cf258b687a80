// VaultRegistry over a real barrier and MemoryStorage: lifecycle, name rules, global
// uniqueness, and the settings that can never change.
#include "vault/vault_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "crypto/primitives.h"
#include "store/memory_storage.h"

namespace coffer::vault {
namespace {

using ::testing::HasSubstr;

constexpr char kSubA[] = "11111111-1111-1111-1111-111111111111";
constexpr char kSubB[] = "22222222-2222-2222-2222-222222222222";

VaultSpec Spec(std::string name, std::string sub = kSubA, std::string location = "eastus") {
  VaultSpec s;
  s.name = std::move(name);
  s.subscription_id = std::move(sub);
  s.resource_group = "rg";
  s.location = std::move(location);
  s.tenant_id = "tenant";
  return s;
}

class VaultRegistryTest : public ::testing::Test {
 protected:
  VaultRegistryTest() : barrier_(storage_, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier_.Initialize().ok());
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  VaultRegistry vaults_{barrier_, clock_, crypto::SystemRandom()};
};

TEST_F(VaultRegistryTest, CreateThenGetListUpdateDelete) {
  auto made = vaults_.CreateOrUpdate(Spec("My-Vault"));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_TRUE(made->second);
  const model::VaultRecord& v = made->first;
  EXPECT_EQ(v.name, "My-Vault");
  EXPECT_EQ(v.id.size(), 32u);
  EXPECT_EQ(v.retention_days, 90);
  EXPECT_FALSE(v.purge_protection);

  auto got = vaults_.Get("my-vault");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, v.id);
  EXPECT_TRUE(vaults_.GetInScope(kSubA, "RG", "MY-VAULT").ok());
  EXPECT_EQ(vaults_.GetInScope(kSubB, "rg", "my-vault").status().code(), StatusCode::kNotFound);

  VaultSpec again = Spec("my-vault");
  again.tags = model::Tags{{"team", "a"}};
  clock_.Advance(10);
  auto updated = vaults_.CreateOrUpdate(again);
  ASSERT_TRUE(updated.ok());
  EXPECT_FALSE(updated->second);
  EXPECT_EQ(updated->first.id, v.id);
  EXPECT_EQ(updated->first.tags, again.tags);
  EXPECT_EQ(updated->first.updated, v.updated + 10);

  VaultPatch patch;
  patch.sku = "Premium";
  auto patched = vaults_.Patch(kSubA, "rg", "my-vault", patch);
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ(patched->sku, "premium");
  EXPECT_EQ(patched->tags, again.tags);

  ASSERT_TRUE(vaults_.CreateOrUpdate(Spec("second", kSubA)).ok());
  ASSERT_TRUE(vaults_.CreateOrUpdate(Spec("third", kSubB)).ok());
  EXPECT_EQ(vaults_.List(kSubA, "")->size(), 2u);
  EXPECT_EQ(vaults_.List("", "")->size(), 3u);
  EXPECT_EQ(vaults_.List(kSubB, "rg")->size(), 1u);

  ASSERT_TRUE(vaults_.Delete(kSubA, "rg", "MY-VAULT").ok());
  EXPECT_EQ(vaults_.Get("my-vault").status().reason(), "VaultNotFound");
  EXPECT_EQ(vaults_.List(kSubA, "")->size(), 1u);
  EXPECT_EQ(vaults_.Delete(kSubA, "rg", "my-vault").code(), StatusCode::kNotFound);
}

TEST_F(VaultRegistryTest, RecordsSurviveAReloadFromStorage) {
  auto made = vaults_.CreateOrUpdate(Spec("durable"));
  ASSERT_TRUE(made.ok());
  VaultRegistry fresh(barrier_, clock_, crypto::SystemRandom());
  auto got = fresh.Get("DURABLE");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, made->first.id);
}

TEST_F(VaultRegistryTest, NameRulesFollowAzure) {
  const std::vector<std::string> bad_names = {"ab",   "-abc", "abc-", "a--b", "1abc",
                                              "abc_d", "ab.c", std::string(25, 'a'), ""};
  for (const std::string& bad : bad_names) {
    auto r = vaults_.CreateOrUpdate(Spec(bad));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  const std::vector<std::string> good_names = {"abc", "a-b-c", "abc1", std::string(24, 'a')};
  for (const std::string& good : good_names) {
    EXPECT_TRUE(vaults_.CreateOrUpdate(Spec(good)).ok()) << good;
  }
}

TEST_F(VaultRegistryTest, UnknownLocationIsRejected) {
  auto r = vaults_.CreateOrUpdate(Spec("vault1", kSubA, "atlantis"));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("atlantis"));
  EXPECT_TRUE(vaults_.CreateOrUpdate(Spec("vault2", kSubA, "West Europe")).ok());
}

TEST_F(VaultRegistryTest, RetentionMustBeBetween7And90) {
  for (int days : {6, 91, 0, -1}) {
    VaultSpec s = Spec("ret" + std::to_string(days + 10));
    s.retention_days = days;
    EXPECT_EQ(vaults_.CreateOrUpdate(s).status().code(), StatusCode::kInvalidArgument) << days;
  }
  for (int days : {7, 90}) {
    VaultSpec s = Spec("ret" + std::to_string(days));
    s.retention_days = days;
    auto r = vaults_.CreateOrUpdate(s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->first.retention_days, days);
  }
}

TEST_F(VaultRegistryTest, NameTakenInAnotherSubscriptionIsConflict) {
  ASSERT_TRUE(vaults_.CreateOrUpdate(Spec("shared", kSubA)).ok());
  auto r = vaults_.CreateOrUpdate(Spec("SHARED", kSubB));
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  VaultSpec other_group = Spec("shared", kSubA);
  other_group.resource_group = "other-rg";
  EXPECT_EQ(vaults_.CreateOrUpdate(other_group).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(VaultRegistryTest, SoftDeletedVaultKeepsItsNameReserved) {
  ASSERT_TRUE(vaults_.CreateOrUpdate(Spec("reserved")).ok());
  ASSERT_TRUE(vaults_.Delete(kSubA, "rg", "reserved").ok());
  EXPECT_EQ(vaults_.CreateOrUpdate(Spec("reserved")).status().code(),
            StatusCode::kAlreadyExists);
}

TEST_F(VaultRegistryTest, PurgeProtectionCannotBeTurnedOff) {
  VaultSpec s = Spec("protected");
  s.purge_protection = true;
  ASSERT_TRUE(vaults_.CreateOrUpdate(s).ok());

  s.purge_protection = false;
  auto put = vaults_.CreateOrUpdate(s);
  EXPECT_FALSE(put.ok());
  EXPECT_THAT(put.status().message(), HasSubstr("Purge protection"));
  VaultPatch patch;
  patch.purge_protection = false;
  EXPECT_FALSE(vaults_.Patch(kSubA, "rg", "protected", patch).ok());
  // Omitting the field keeps it on.
  auto kept = vaults_.CreateOrUpdate(Spec("protected"));
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->first.purge_protection);
  EXPECT_TRUE(vaults_.Get("protected")->purge_protection);
}

TEST_F(VaultRegistryTest, PurgeProtectionCanBeTurnedOn) {
  ASSERT_TRUE(vaults_.CreateOrUpdate(Spec("later")).ok());
  VaultPatch patch;
  patch.purge_protection = true;
  auto r = vaults_.Patch(kSubA, "rg", "later", patch);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->purge_protection);
}

TEST_F(VaultRegistryTest, RetentionCannotChange) {
  VaultSpec s = Spec("fixed");
  s.retention_days = 30;
  ASSERT_TRUE(vaults_.CreateOrUpdate(s).ok());
  s.retention_days = 60;
  auto put = vaults_.CreateOrUpdate(s);
  EXPECT_FALSE(put.ok());
  EXPECT_THAT(put.status().message(), HasSubstr("cannot be changed"));
  VaultPatch patch;
  patch.retention_days = 45;
  EXPECT_FALSE(vaults_.Patch(kSubA, "rg", "fixed", patch).ok());
  EXPECT_EQ(vaults_.Get("fixed")->retention_days, 30);
  s.retention_days = 30;  // same value: fine
  EXPECT_TRUE(vaults_.CreateOrUpdate(s).ok());
}

TEST_F(VaultRegistryTest, LocationCannotChange) {
  ASSERT_TRUE(vaults_.CreateOrUpdate(Spec("moving", kSubA, "eastus")).ok());
  EXPECT_FALSE(vaults_.CreateOrUpdate(Spec("moving", kSubA, "westus")).ok());
  EXPECT_TRUE(vaults_.CreateOrUpdate(Spec("moving", kSubA, "East US")).ok());
}

TEST_F(VaultRegistryTest, FailedCommitLeavesNoVault) {
  storage_.FailNextCommits(1);
  EXPECT_FALSE(vaults_.CreateOrUpdate(Spec("flaky")).ok());
  EXPECT_EQ(vaults_.Get("flaky").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(vaults_.CreateOrUpdate(Spec("flaky")).ok());
}

}  // namespace
}  // namespace coffer::vault
