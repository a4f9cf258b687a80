// Key rotation: manual Rotate, rotation policies (validation, default Notify action), and
// rotation by policy through the Sweeper's due index, with a ManualClock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "vault/key_service.h"
#include "vault/sweeper.h"

namespace coffer::vault {
namespace {

using model::LifetimeActionType;
using model::LifetimeTrigger;

constexpr int64_t kDay = 86400;

class KeyRotationTest : public ::testing::Test {
 protected:
  KeyRotationTest() : barrier_(storage_, crypto::SystemRandom()) {
    EXPECT_TRUE(barrier_.Initialize().ok());
    vault_.name = "unit";
    vault_.id = "0123456789abcdef0123456789abcdef";
    vault_.retention_days = 7;
    sweeper_.AttachKeys(&keys_);
  }

  KeyView CreateEc(std::string_view name) {
    KeyCreateParams p;
    p.kty = "EC-HSM";
    p.crv = "P-384";
    p.key_ops = std::vector<std::string>{"sign"};
    p.tags = model::Tags{{"team", "a"}};
    auto k = keys_.Create(vault_, name, p);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? std::move(*k) : KeyView{};
  }

  StatusOr<RotationPolicyView> SetPolicy(std::string_view name,
                                         std::vector<model::LifetimeAction> actions,
                                         std::string expiry = "") {
    RotationPolicyParams p;
    p.lifetime_actions = std::move(actions);
    p.expiry_time = std::move(expiry);
    return keys_.SetRotationPolicy(vault_, name, p);
  }

  size_t Versions(std::string_view name) {
    auto page = keys_.ListVersions(vault_, name, 25, "");
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->items.size() : 0;
  }

  size_t Sweep() {
    auto n = sweeper_.SweepOnce();
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : 0;
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  VaultRegistry vaults_{barrier_, clock_, crypto::SystemRandom()};
  KeyService keys_{barrier_, clock_, crypto::SystemRandom()};
  Sweeper sweeper_{barrier_, vaults_, clock_};
  model::VaultRecord vault_;
};

TEST_F(KeyRotationTest, RotateKeepsTypeCurveOpsAndTagsWithNewMaterial) {
  KeyView v1 = CreateEc("k");
  auto v2 = keys_.Rotate(vault_, "k");
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_NE(v2->version.version, v1.version.version);
  EXPECT_EQ(v2->version.kty, "EC-HSM");
  EXPECT_EQ(v2->public_key.crv, "P-384");
  EXPECT_NE(v2->public_key.x, v1.public_key.x);
  EXPECT_EQ(v2->version.key_ops, v1.version.key_ops);
  EXPECT_EQ(v2->version.tags, v1.version.tags);
  EXPECT_EQ(keys_.Get(vault_, "k", "")->version.version, v2->version.version);
}

TEST_F(KeyRotationTest, RotateOfMissingKeyIsKeyNotFound) {
  EXPECT_EQ(keys_.Rotate(vault_, "ghost").status().reason(), "KeyNotFound");
}

TEST_F(KeyRotationTest, PolicyIsAbsentUntilSetAndGetsDefaultNotifyAction) {
  CreateEc("k");
  auto none = keys_.GetRotationPolicy(vault_, "k");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->policy.has_value());

  auto set = SetPolicy("k", {{LifetimeTrigger::kTimeAfterCreate, "P90D",
                              LifetimeActionType::kRotate}}, "P2Y");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_EQ(set->policy->lifetime_actions.size(), 2u);
  const auto& notify = set->policy->lifetime_actions[1];
  EXPECT_EQ(notify.action, LifetimeActionType::kNotify);
  EXPECT_EQ(notify.trigger, LifetimeTrigger::kTimeBeforeExpiry);
  EXPECT_EQ(notify.duration, "P30D");
  EXPECT_EQ(set->policy->created, clock_.Now());
  auto got = keys_.GetRotationPolicy(vault_, "k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->policy->expiry_time, "P2Y");
}

TEST_F(KeyRotationTest, InvalidPoliciesAreBadParameter) {
  CreateEc("k");
  auto short_expiry = SetPolicy("k", {}, "P27D");
  EXPECT_EQ(short_expiry.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(short_expiry.status().message(), ::testing::HasSubstr("28"));
  EXPECT_EQ(SetPolicy("k", {{LifetimeTrigger::kTimeAfterCreate, "90 days",
                             LifetimeActionType::kRotate}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SetPolicy("k", {{LifetimeTrigger::kTimeAfterCreate, "P30D",
                             LifetimeActionType::kNotify}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SetPolicy("ghost", {}).status().code(), StatusCode::kNotFound);
}

TEST_F(KeyRotationTest, SweeperRotatesWhenTimeAfterCreateComesAndSchedulesTheNext) {
  CreateEc("k");
  UnixSeconds start = clock_.Now();
  ASSERT_TRUE(SetPolicy("k", {{LifetimeTrigger::kTimeAfterCreate, "P30D",
                               LifetimeActionType::kRotate}}, "P90D").ok());
  clock_.Set(start + 30 * kDay - 1);
  Sweep();
  EXPECT_EQ(Versions("k"), 1u);

  clock_.Set(start + 30 * kDay);
  EXPECT_EQ(Sweep(), 1u);
  EXPECT_EQ(Versions("k"), 2u);
  auto latest = keys_.Get(vault_, "k", "");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version.attributes.created, start + 30 * kDay);
  EXPECT_EQ(latest->version.attributes.expires, start + 30 * kDay + 90 * kDay);
  EXPECT_EQ(latest->public_key.crv, "P-384");
  EXPECT_EQ(Sweep(), 0u);  // the next rotation is 30 days away

  clock_.Set(start + 60 * kDay);
  EXPECT_EQ(Sweep(), 1u);
  EXPECT_EQ(Versions("k"), 3u);
}

TEST_F(KeyRotationTest, ManualRotationPushesThePolicyScheduleBack) {
  CreateEc("k");
  UnixSeconds start = clock_.Now();
  ASSERT_TRUE(SetPolicy("k", {{LifetimeTrigger::kTimeAfterCreate, "P30D",
                               LifetimeActionType::kRotate}}).ok());
  clock_.Set(start + 20 * kDay);
  ASSERT_TRUE(keys_.Rotate(vault_, "k").ok());
  clock_.Set(start + 30 * kDay);
  Sweep();
  EXPECT_EQ(Versions("k"), 2u);  // due again only at day 50
  clock_.Set(start + 50 * kDay);
  Sweep();
  EXPECT_EQ(Versions("k"), 3u);
}

TEST_F(KeyRotationTest, TimeBeforeExpiryTriggerUsesTheLatestVersionsExp) {
  KeyCreateParams p;
  p.kty = "oct";
  p.expires = clock_.Now() + 60 * kDay;
  ASSERT_TRUE(keys_.Create(vault_, "aes", p).ok());
  UnixSeconds start = clock_.Now();
  ASSERT_TRUE(SetPolicy("aes", {{LifetimeTrigger::kTimeBeforeExpiry, "P10D",
                                 LifetimeActionType::kRotate}}, "P60D").ok());
  clock_.Set(start + 50 * kDay - 1);
  Sweep();
  EXPECT_EQ(Versions("aes"), 1u);
  clock_.Set(start + 50 * kDay);
  Sweep();
  EXPECT_EQ(Versions("aes"), 2u);
}

TEST_F(KeyRotationTest, DeletedKeyIsNotRotatedAndRecoverReschedules) {
  CreateEc("k");
  UnixSeconds start = clock_.Now();
  ASSERT_TRUE(SetPolicy("k", {{LifetimeTrigger::kTimeAfterCreate, "P5D",
                               LifetimeActionType::kRotate}}).ok());
  ASSERT_TRUE(keys_.Delete(vault_, "k").ok());
  clock_.Set(start + 6 * kDay);  // rotation overdue; purge (7 days) not yet
  Sweep();
  ASSERT_TRUE(keys_.Recover(vault_, "k").ok());
  EXPECT_EQ(Versions("k"), 1u);
  Sweep();  // recovery rescheduled the (overdue) rotation
  EXPECT_EQ(Versions("k"), 2u);
}

TEST_F(KeyRotationTest, PurgeRemovesPolicyAndRotationEntry) {
  CreateEc("k");
  ASSERT_TRUE(SetPolicy("k", {{LifetimeTrigger::kTimeAfterCreate, "P10D",
                               LifetimeActionType::kRotate}}).ok());
  ASSERT_TRUE(keys_.Delete(vault_, "k").ok());
  ASSERT_TRUE(keys_.Purge(vault_, "k").ok());
  size_t records = 0;
  ASSERT_TRUE(barrier_.View([&](barrier::Txn& t) -> Status {
    for (std::string prefix : {"rot/", "due/", "ver/"}) {
      ASSIGN_OR_RETURN(auto keys, t.ScanKeys(prefix, "", 0));
      records += keys.size();
    }
    return OkStatus();
  }).ok());
  EXPECT_EQ(records, 0u);
}

}  // namespace
}  // namespace coffer::vault
