// The limiter with a hand-moved clock: window edges, Retry-After values, weights, the
// subscription ceiling, the per-caller share, refused requests not counted, idle scopes dropped,
// and the limit held exactly under concurrent callers. The `[limits]` values' validation.
#include "api/throttle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

namespace coffer::api {
namespace {

constexpr ThrottleScope kVaultA{"vault-a", "sub-1", "eastus", "alice"};
constexpr ThrottleScope kVaultB{"vault-b", "sub-1", "eastus", "alice"};
// Three callers of vault-a.
constexpr ThrottleScope kAlice{"vault-a", "sub-1", "eastus", "alice"};
constexpr ThrottleScope kBob{"vault-a", "sub-1", "eastus", "bob"};
constexpr ThrottleScope kCarol{"vault-a", "sub-1", "eastus", "carol"};

ServiceLimits Limits(ThrottleClass c, int64_t limit) {
  ServiceLimits l;
  l.per_vault[static_cast<size_t>(c)] = limit;
  return l;
}

// vault_other 4 per vault, each caller at most half of it.
ServiceLimits SharedByCallers() {
  ServiceLimits l = Limits(ThrottleClass::kVaultOther, 4);
  l.per_identity = 0.5;
  return l;
}

class ThrottleTest : public ::testing::Test {
 protected:
  // Admits `n` requests of weight 1 and class `c`; false if any is refused.
  bool AdmitAll(Throttle& t, int n, ThrottleClass c = ThrottleClass::kSecretCreate,
                const ThrottleScope& s = kVaultA) {
    for (int i = 0; i < n; ++i) {
      if (!t.Admit(s, c, 1).admitted) return false;
    }
    return true;
  }
  ManualClock clock_{1'700'000'000};
};

TEST_F(ThrottleTest, AdmitsUpToTheLimitThenRefusesForAWholeWindow) {
  Throttle t(Limits(ThrottleClass::kSecretCreate, 3), &clock_);
  EXPECT_TRUE(AdmitAll(t, 3));
  ThrottleDecision d = t.Admit(kVaultA, ThrottleClass::kSecretCreate, 1);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after, 10);
  EXPECT_EQ(d.reason, "VaultRequestTypeLimitReached");
  clock_.Advance(9);
  EXPECT_EQ(t.Admit(kVaultA, ThrottleClass::kSecretCreate, 1).retry_after, 1);
  clock_.Advance(1);
  EXPECT_TRUE(AdmitAll(t, 3));
}

TEST_F(ThrottleTest, RetryAfterIsWhenTheOldestRequestsLeaveTheWindow) {
  Throttle t(Limits(ThrottleClass::kSecretCreate, 3), &clock_);
  EXPECT_TRUE(AdmitAll(t, 2));  // second 0
  clock_.Advance(4);
  EXPECT_TRUE(AdmitAll(t, 1));  // second 4
  clock_.Advance(2);            // second 6: full until second 10 frees two
  ThrottleDecision d = t.Admit(kVaultA, ThrottleClass::kSecretCreate, 1);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after, 4);
  clock_.Advance(3);
  EXPECT_FALSE(t.Admit(kVaultA, ThrottleClass::kSecretCreate, 1).admitted);
  clock_.Advance(1);  // second 10
  EXPECT_TRUE(AdmitAll(t, 2));
  EXPECT_EQ(t.Admit(kVaultA, ThrottleClass::kSecretCreate, 1).retry_after, 4);  // second 4's
}

TEST_F(ThrottleTest, TenthOfASecondSlotsAndRetryAfterRoundedUpToWholeSeconds) {
  Throttle t(Limits(ThrottleClass::kSecretCreate, 3), nullptr);
  const int64_t t0 = 1'700'000'000'000;  // ms
  auto at = [&](int64_t ms) {
    return t.AdmitAt(kVaultA, ThrottleClass::kSecretCreate, 1, t0 + ms);
  };
  EXPECT_TRUE(at(50).admitted);
  EXPECT_TRUE(at(950).admitted);
  EXPECT_TRUE(at(1550).admitted);
  EXPECT_EQ(at(5000).retry_after, 5);   // the first leaves at 10.0 s
  EXPECT_EQ(at(9990).retry_after, 1);   // 10 ms away
  EXPECT_TRUE(at(10000).admitted);
  EXPECT_EQ(at(10000).retry_after, 1);  // the second leaves at 10.9 s
  EXPECT_FALSE(at(10899).admitted);
  EXPECT_TRUE(at(10900).admitted);
}

TEST_F(ThrottleTest, RefusedRequestsAreNotCounted) {
  Throttle t(Limits(ThrottleClass::kVaultOther, 5), &clock_);
  EXPECT_TRUE(AdmitAll(t, 5, ThrottleClass::kVaultOther));
  for (int second = 0; second < 10; ++second) {
    for (int i = 0; i < 100; ++i) {
      EXPECT_FALSE(t.Admit(kVaultA, ThrottleClass::kVaultOther, 1).admitted);
    }
    clock_.Advance(1);
  }
  EXPECT_TRUE(AdmitAll(t, 5, ThrottleClass::kVaultOther));
}

TEST_F(ThrottleTest, ClassesAndVaultsAreCountedApart) {
  Throttle t(Limits(ThrottleClass::kSecretCreate, 2), &clock_);
  EXPECT_TRUE(AdmitAll(t, 2));
  EXPECT_FALSE(t.Admit(kVaultA, ThrottleClass::kSecretCreate, 1).admitted);
  EXPECT_TRUE(AdmitAll(t, 100, ThrottleClass::kVaultOther));
  EXPECT_TRUE(AdmitAll(t, 2, ThrottleClass::kSecretCreate, kVaultB));
}

TEST_F(ThrottleTest, WeightsAddUpAndAHeavyRequestWaitsForAnEmptyWindow) {
  Throttle t(Limits(ThrottleClass::kKeyOther, 16), &clock_);
  EXPECT_TRUE(t.Admit(kVaultA, ThrottleClass::kKeyOther, 8).admitted);  // RSA-4096
  EXPECT_TRUE(t.Admit(kVaultA, ThrottleClass::kKeyOther, 4).admitted);  // RSA-3072
  EXPECT_TRUE(AdmitAll(t, 4, ThrottleClass::kKeyOther));                // RSA-2048, EC
  EXPECT_FALSE(t.Admit(kVaultA, ThrottleClass::kKeyOther, 1).admitted);

  Throttle small(Limits(ThrottleClass::kKeyOther, 4), &clock_);
  EXPECT_TRUE(small.Admit(kVaultA, ThrottleClass::kKeyOther, 8).admitted);  // cut to 4
  ThrottleDecision d = small.Admit(kVaultA, ThrottleClass::kKeyOther, 1);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.retry_after, 10);
}

TEST_F(ThrottleTest, SubscriptionCeilingSpansTheVaultsOfOneLocation) {
  ServiceLimits l = Limits(ThrottleClass::kSecretCreate, 3);
  l.subscription_factor = 2;
  Throttle t(l, &clock_);
  EXPECT_TRUE(AdmitAll(t, 3, ThrottleClass::kSecretCreate, kVaultA));
  EXPECT_TRUE(AdmitAll(t, 3, ThrottleClass::kSecretCreate, kVaultB));
  ThrottleDecision d =
      t.Admit({"vault-c", "sub-1", "EastUS", "bob"}, ThrottleClass::kSecretCreate, 1);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.reason, "SubscriptionRequestTypeLimitReached");
  EXPECT_EQ(d.retry_after, 10);
  EXPECT_TRUE(AdmitAll(t, 3, ThrottleClass::kSecretCreate, {"vault-d", "sub-1", "westus", ""}));
  EXPECT_TRUE(AdmitAll(t, 3, ThrottleClass::kSecretCreate, {"vault-e", "sub-2", "eastus", ""}));
}

TEST_F(ThrottleTest, PerIdentityShareCapsEachCallerWithinTheVaultLimit) {
  Throttle t(SharedByCallers(), &clock_);
  EXPECT_TRUE(AdmitAll(t, 2, ThrottleClass::kVaultOther, kAlice));
  ThrottleDecision d = t.Admit(kAlice, ThrottleClass::kVaultOther, 1);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.reason, "CallerRequestTypeLimitReached");
  EXPECT_TRUE(AdmitAll(t, 2, ThrottleClass::kVaultOther, kBob));
  d = t.Admit(kCarol, ThrottleClass::kVaultOther, 1);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.reason, "VaultRequestTypeLimitReached");
}

TEST_F(ThrottleTest, RetryAfterIsTheLongestWaitOfTheRefusingScopes) {
  Throttle t(SharedByCallers(), &clock_);
  EXPECT_TRUE(AdmitAll(t, 2, ThrottleClass::kVaultOther, kBob));    // second 0
  clock_.Advance(3);
  EXPECT_TRUE(AdmitAll(t, 2, ThrottleClass::kVaultOther, kAlice));  // second 3
  // Alice: her share frees at second 13, the vault at second 10.
  ThrottleDecision d = t.Admit(kAlice, ThrottleClass::kVaultOther, 1);
  EXPECT_EQ(d.retry_after, 10);
  EXPECT_EQ(d.reason, "CallerRequestTypeLimitReached");
}

TEST_F(ThrottleTest, ClockSteppingBackKeepsCountingIntoTheNewestSecond) {
  Throttle t(Limits(ThrottleClass::kSecretCreate, 2), &clock_);
  EXPECT_TRUE(AdmitAll(t, 1));
  clock_.Advance(-30);
  EXPECT_TRUE(AdmitAll(t, 1));
  EXPECT_FALSE(t.Admit(kVaultA, ThrottleClass::kSecretCreate, 1).admitted);
  clock_.Advance(40);
  EXPECT_TRUE(AdmitAll(t, 2));
}

TEST_F(ThrottleTest, IdleScopesAreDroppedAsTheirStripesGrow) {
  Throttle t(ServiceLimits{}, &clock_);
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back("vault-" + std::to_string(i));
  for (const auto& id : ids) {
    ASSERT_TRUE(t.Admit({id, "sub-1", "eastus", ""}, ThrottleClass::kVaultOther, 1).admitted);
  }
  size_t busy = t.tracked_scopes();
  EXPECT_GE(busy, 20000u);
  clock_.Advance(11);
  for (int i = 0; i < 20000; ++i) {
    ids[i] = "later-" + std::to_string(i);
    ASSERT_TRUE(t.Admit({ids[i], "sub-2", "eastus", ""}, ThrottleClass::kVaultOther, 1).admitted);
  }
  EXPECT_LT(t.tracked_scopes(), busy + 20000u - 10000u);
}

TEST_F(ThrottleTest, ConcurrentCallersAreAdmittedExactlyUpToTheLimit) {
  Throttle t(Limits(ThrottleClass::kVaultOther, 1000), &clock_);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 500; ++j) {
        if (t.Admit(kVaultA, ThrottleClass::kVaultOther, 1).admitted) ++admitted;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), 1000);
}

TEST(ServiceLimitsTest, ConfigValuesAreCheckedAndNamed) {
  ServiceLimits l;
  EXPECT_TRUE(l.Set("secret_create", 10, true).ok());
  EXPECT_EQ(l.VaultLimit(ThrottleClass::kSecretCreate), 10);
  EXPECT_TRUE(l.Set("key_other_hsm", 1, true).ok());
  EXPECT_TRUE(l.Set("per_identity", 0, true).ok());
  EXPECT_TRUE(l.Set("per_identity", 0.25, false).ok());
  EXPECT_TRUE(l.Set("subscription_factor", 2.5, false).ok());
  EXPECT_DOUBLE_EQ(l.subscription_factor, 2.5);
  struct Bad {
    const char* key;
    double value;
    bool integer;
  };
  for (const Bad& b : {Bad{"secret_create", 0, true}, Bad{"vault_other", -5, true},
                       Bad{"key_create", 2.5, false}, Bad{"key_other", std::nan(""), false},
                       Bad{"subscription_factor", 0, true}, Bad{"per_identity", -0.1, false},
                       Bad{"per_identity", 1.5, false}, Bad{"secret_creates", 10, true}}) {
    Status s = l.Set(b.key, b.value, b.integer);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << b.key;
    EXPECT_NE(s.message().find(std::string("limits.") + b.key), std::string::npos)
        << s.message();
  }
  EXPECT_EQ(l.VaultLimit(ThrottleClass::kSecretCreate), 10);  // refused values change nothing
}

TEST(ServiceLimitsTest, KeyWeightsFollowAzuresTable) {
  EXPECT_EQ(KeyOperationWeight(true, 2048), 1u);
  EXPECT_EQ(KeyOperationWeight(true, 3072), 4u);
  EXPECT_EQ(KeyOperationWeight(true, 4096), 8u);
  EXPECT_EQ(KeyOperationWeight(false, 0), 1u);    // EC
  EXPECT_EQ(KeyOperationWeight(false, 256), 1u);  // oct
}

}  // namespace
}  // namespace coffer::api
