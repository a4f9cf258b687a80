// Sweeper with a ManualClock: purges only what is due, never a recovered object, and purges a
// deleted vault with everything in it (its cached key material included).
#include "vault/sweeper.h"

#include <gtest/gtest.h>

#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"

namespace coffer::vault {
namespace {

constexpr char kSub[] = "11111111-1111-1111-1111-111111111111";
constexpr int64_t kDay = 86400;

SecretSetParams ValueOnly(std::string_view value) {
  SecretSetParams p;
  p.value = SecretBytes(value);
  return p;
}

class SweeperTest : public ::testing::Test {
 protected:
  SweeperTest() : barrier_(storage_, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier_.Initialize().ok());
    VaultSpec spec;
    spec.name = "swept";
    spec.subscription_id = kSub;
    spec.resource_group = "rg";
    spec.location = "eastus";
    spec.retention_days = 7;
    auto made = vaults_.CreateOrUpdate(spec);
    EXPECT_TRUE(made.ok());
    vault_ = made->first;
  }

  size_t Sweep() {
    auto n = sweeper_.SweepOnce();
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : 0;
  }

  // Number of records under `prefix`, read straight from the barrier.
  size_t CountKeys(const std::string& prefix) {
    size_t n = 0;
    EXPECT_TRUE(barrier_.View([&](barrier::Txn& t) -> Status {
      ASSIGN_OR_RETURN(auto keys, t.ScanKeys(prefix, "", 0));
      n = keys.size();
      return OkStatus();
    }).ok());
    return n;
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  VaultRegistry vaults_{barrier_, clock_, crypto::SystemRandom()};
  SecretService secrets_{barrier_, clock_, crypto::SystemRandom()};
  KeyService keys_{barrier_, clock_, crypto::SystemRandom()};
  Sweeper sweeper_{barrier_, vaults_, clock_};
  model::VaultRecord vault_;
};

TEST_F(SweeperTest, DeletedSecretIsPurgedOnlyAfterItsScheduledDate) {
  ASSERT_TRUE(secrets_.Set(vault_, "old", ValueOnly("v")).ok());
  auto deleted = secrets_.Delete(vault_, "old");
  ASSERT_TRUE(deleted.ok());
  UnixSeconds due = deleted->deleted->scheduled_purge_date;

  clock_.Set(due - 1);
  EXPECT_EQ(Sweep(), 0u);
  EXPECT_TRUE(secrets_.GetDeleted(vault_, "old").ok());

  clock_.Set(due);
  EXPECT_EQ(Sweep(), 1u);
  EXPECT_EQ(secrets_.GetDeleted(vault_, "old").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(CountKeys("ver/" + vault_.id + "/"), 0u);
  EXPECT_EQ(CountKeys("due/"), 0u);
  EXPECT_EQ(Sweep(), 0u);
  // The name is free again.
  EXPECT_TRUE(secrets_.Set(vault_, "old", ValueOnly("new")).ok());
}

TEST_F(SweeperTest, RecoveredSecretIsNotPurgedByItsOldDate) {
  ASSERT_TRUE(secrets_.Set(vault_, "back", ValueOnly("v")).ok());
  auto first = secrets_.Delete(vault_, "back");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(secrets_.Recover(vault_, "back").ok());
  clock_.Set(first->deleted->scheduled_purge_date + kDay);
  Sweep();
  EXPECT_TRUE(secrets_.Get(vault_, "back", "").ok());
}

TEST_F(SweeperTest, SecretDeletedAgainAfterRecoveryWaitsForItsNewDate) {
  ASSERT_TRUE(secrets_.Set(vault_, "twice", ValueOnly("v")).ok());
  auto first = secrets_.Delete(vault_, "twice");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(secrets_.Recover(vault_, "twice").ok());
  clock_.Advance(3 * kDay);
  auto second = secrets_.Delete(vault_, "twice");
  ASSERT_TRUE(second.ok());
  ASSERT_GT(second->deleted->scheduled_purge_date, first->deleted->scheduled_purge_date);

  clock_.Set(first->deleted->scheduled_purge_date);
  Sweep();
  EXPECT_TRUE(secrets_.GetDeleted(vault_, "twice").ok());
  clock_.Set(second->deleted->scheduled_purge_date);
  Sweep();
  EXPECT_EQ(secrets_.GetDeleted(vault_, "twice").status().code(), StatusCode::kNotFound);
}

TEST_F(SweeperTest, LiveSecretsAreNeverTouched) {
  ASSERT_TRUE(secrets_.Set(vault_, "live", ValueOnly("v")).ok());
  ASSERT_TRUE(secrets_.Set(vault_, "dead", ValueOnly("v")).ok());
  ASSERT_TRUE(secrets_.Delete(vault_, "dead").ok());
  clock_.Advance(365 * kDay);
  Sweep();
  EXPECT_TRUE(secrets_.Get(vault_, "live", "").ok());
  EXPECT_EQ(secrets_.GetDeleted(vault_, "dead").status().code(), StatusCode::kNotFound);
}

TEST_F(SweeperTest, DeletedVaultIsPurgedAfterItsDateWithItsObjects) {
  ASSERT_TRUE(secrets_.Set(vault_, "inside", ValueOnly("v")).ok());
  ASSERT_TRUE(secrets_.Set(vault_, "binned", ValueOnly("v")).ok());
  ASSERT_TRUE(secrets_.Delete(vault_, "binned").ok());
  ASSERT_TRUE(vaults_.Delete(kSub, "rg", "swept").ok());
  UnixSeconds due = clock_.Now() + 7 * kDay;

  clock_.Set(due - 1);
  Sweep();
  VaultSpec again;
  again.name = "swept";
  again.subscription_id = kSub;
  again.resource_group = "rg";
  again.location = "eastus";
  EXPECT_EQ(vaults_.CreateOrUpdate(again).status().code(), StatusCode::kAlreadyExists);
  EXPECT_GT(CountKeys("ver/" + vault_.id + "/"), 0u);

  clock_.Set(due);
  Sweep();
  EXPECT_EQ(CountKeys("obj/" + vault_.id + "/"), 0u);
  EXPECT_EQ(CountKeys("del/" + vault_.id + "/"), 0u);
  EXPECT_EQ(CountKeys("ver/" + vault_.id + "/"), 0u);
  EXPECT_EQ(CountKeys("vault/"), 0u);
  // The name can be used again, by a new vault with a new id.
  auto reborn = vaults_.CreateOrUpdate(again);
  ASSERT_TRUE(reborn.ok()) << reborn.status().ToString();
  EXPECT_NE(reborn->first.id, vault_.id);
}

TEST_F(SweeperTest, PurgedVaultLeavesNoCachedKeyMaterial) {
  sweeper_.AttachKeys(&keys_);
  KeyCreateParams ec;
  ec.kty = "EC";
  ASSERT_TRUE(keys_.Create(vault_, "signer", ec).ok());
  ASSERT_TRUE(keys_.Sign(vault_, "signer", "", "ES256", std::string(32, 'a')).ok());
  EXPECT_GT(keys_.cached_materials(), 0u);
  EXPECT_GT(keys_.cached_versions(), 0u);
  ASSERT_TRUE(vaults_.Delete(kSub, "rg", "swept").ok());
  clock_.Set(clock_.Now() + 7 * kDay);
  Sweep();
  EXPECT_EQ(CountKeys("ver/" + vault_.id + "/"), 0u);
  EXPECT_EQ(keys_.cached_materials(), 0u);
  EXPECT_EQ(keys_.cached_versions(), 0u);
}

TEST_F(SweeperTest, DueEntryNamingAnUnknownKindIsDroppedAndPurgesNothing) {
  ASSERT_TRUE(secrets_.Set(vault_, "kept", ValueOnly("v")).ok());
  ASSERT_TRUE(secrets_.Delete(vault_, "kept").ok());
  std::string deleted_prefix = "del/" + vault_.id + "/s/";
  std::string mac;
  ASSERT_TRUE(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto keys, t.ScanKeys(deleted_prefix, "", 0));
    if (keys.size() == 1) mac = keys[0].substr(deleted_prefix.size());
    return OkStatus();
  }).ok());
  ASSERT_FALSE(mac.empty());
  // Due long ago, for kind letter "x": never read as a secret.
  std::string bogus = "due/0000000000000001/o/" + vault_.id + "/x/" + mac;
  ASSERT_TRUE(barrier_.Update([&](barrier::Txn& t) { return t.Put(bogus, SecretBytes()); }).ok());
  EXPECT_EQ(Sweep(), 1u);
  EXPECT_TRUE(secrets_.GetDeleted(vault_, "kept").ok());
  EXPECT_EQ(CountKeys("due/"), 1u);  // the secret's own entry
}

TEST_F(SweeperTest, NothingIsDueInAFreshDeployment) { EXPECT_EQ(Sweep(), 0u); }

}  // namespace
}  // namespace coffer::vault
