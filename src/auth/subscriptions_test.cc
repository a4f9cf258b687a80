#include "auth/subscriptions.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "auth/principals.h"
#include "core/encoding.h"
#include "core/record_codec.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"

namespace coffer::auth {
namespace {

constexpr std::string_view kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr std::string_view kDevSubscription = "3c1f9e2a-5b7d-4e60-8a91-0f2d4c6b8e13";
constexpr UnixSeconds kStart = 1'700'000'000;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class SubscriptionRegistryTest : public ::testing::Test {
 protected:
  SubscriptionRegistryTest()
      : barrier_(storage_, crypto::SystemRandom()),
        clock_(kStart),
        subscriptions_(barrier_, clock_, crypto::SystemRandom(), std::string(kTenant)) {}

  void SetUp() override {
    auto unseal = barrier_.Initialize();
    ASSERT_TRUE(unseal.ok()) << unseal.status().ToString();
    ASSERT_TRUE(subscriptions_.Load().ok());
  }

  Subscription MustCreate(std::string_view name) {
    auto created = subscriptions_.Create(name);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : Subscription{};
  }

  store::MemoryStorage storage_;
  barrier::Barrier barrier_;
  ManualClock clock_;
  SubscriptionRegistry subscriptions_;
};

TEST_F(SubscriptionRegistryTest, CreateMakesAnEnabledSubscriptionOfTheTenant) {
  Subscription s = MustCreate("Team A");
  EXPECT_TRUE(IsGuid(s.id)) << s.id;
  EXPECT_EQ(s.id, AsciiLower(s.id));
  EXPECT_EQ(s.display_name, "Team A");
  EXPECT_EQ(s.state, "Enabled");
  EXPECT_EQ(s.tenant_id, kTenant);
  EXPECT_EQ(s.created, kStart);
  EXPECT_TRUE(subscriptions_.Exists(s.id));
  EXPECT_TRUE(subscriptions_.Exists(Upper(s.id)));
  EXPECT_NE(MustCreate("Team A").id, s.id);  // names need not be unique; ids are
}

TEST_F(SubscriptionRegistryTest, CreateRejectsDisplayNamesOutsideOneTo64Characters) {
  EXPECT_TRUE(subscriptions_.Create(std::string(64, 's')).ok());
  for (const std::string& bad : {std::string(), std::string(" "), std::string(65, 's'),
                                 std::string("a\nb"), std::string("\xff")}) {
    auto got = subscriptions_.Create(bad);
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(subscriptions_.List()->size(), 1u);
}

TEST_F(SubscriptionRegistryTest, CreateWithoutATenantIsFailedPrecondition) {
  SubscriptionRegistry no_tenant(barrier_, clock_, crypto::SystemRandom(), "");
  EXPECT_EQ(no_tenant.Create("x").status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(SubscriptionRegistryTest, GetOfAnUnknownIdIsSubscriptionNotFound) {
  for (std::string_view id : {std::string_view("00000000-0000-4000-8000-000000000000"),
                              std::string_view("not-a-guid"), std::string_view("")}) {
    auto got = subscriptions_.Get(id);
    EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(got.status().reason(), "SubscriptionNotFound");
    EXPECT_EQ(got.status().message(),
              "The subscription '" + std::string(id) + "' could not be found.");
    EXPECT_FALSE(subscriptions_.Exists(id));
  }
}

TEST_F(SubscriptionRegistryTest, GetFindsASubscriptionInAnyCase) {
  Subscription s = MustCreate("Lookup");
  auto got = subscriptions_.Get(Upper(s.id));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, s.id);
  EXPECT_EQ(got->display_name, "Lookup");
}

TEST_F(SubscriptionRegistryTest, ListIsOldestFirst) {
  Subscription a = MustCreate("first");
  clock_.Advance(1);
  Subscription b = MustCreate("second");
  auto list = subscriptions_.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, a.id);
  EXPECT_EQ((*list)[1].id, b.id);
}

TEST_F(SubscriptionRegistryTest, RegisterKeepsTheGivenIdAndRefusesDuplicates) {
  Subscription dev{std::string(Upper(std::string(kDevSubscription))), "Coffer subscription 1",
                   "Enabled", std::string(kTenant), 0};
  auto registered = subscriptions_.Register(dev);
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  EXPECT_EQ(registered->id, kDevSubscription);
  EXPECT_EQ(registered->created, kStart);
  EXPECT_TRUE(subscriptions_.Exists(kDevSubscription));
  auto again = subscriptions_.Register(dev);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(subscriptions_.List()->size(), 1u);
}

TEST_F(SubscriptionRegistryTest, RegisterValidatesItsInput) {
  Subscription bad_id{"not-a-guid", "x", "Enabled", std::string(kTenant), 0};
  Subscription bad_tenant{std::string(kDevSubscription), "x", "Enabled", "", 0};
  Subscription bad_state{std::string(kDevSubscription), "x", "Disabled", std::string(kTenant), 0};
  Subscription bad_name{std::string(kDevSubscription), "", "Enabled", std::string(kTenant), 0};
  for (const Subscription& s : {bad_id, bad_tenant, bad_state, bad_name}) {
    EXPECT_EQ(subscriptions_.Register(s).status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(subscriptions_.Exists(kDevSubscription));
}

TEST_F(SubscriptionRegistryTest, ExistsAnswersFromMemory) {
  Subscription s = MustCreate("memory");
  barrier_.Seal();  // storage is now unreadable
  EXPECT_TRUE(subscriptions_.Exists(s.id));
  EXPECT_FALSE(subscriptions_.Exists("00000000-0000-4000-8000-000000000000"));
  EXPECT_EQ(subscriptions_.Create("sealed").status().code(), StatusCode::kUnavailable);
  subscriptions_.Unload();
  EXPECT_FALSE(subscriptions_.Exists(s.id));
}

TEST_F(SubscriptionRegistryTest, AFailedCommitAddsNothing) {
  storage_.FailNextCommits(1);
  EXPECT_EQ(subscriptions_.Create("lost").status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(subscriptions_.List()->empty());
}

TEST_F(SubscriptionRegistryTest, SubscriptionsSurviveANewRegistryAndLoad) {
  Subscription a = MustCreate("durable");
  SubscriptionRegistry reloaded(barrier_, clock_, crypto::SystemRandom(), std::string(kTenant));
  EXPECT_FALSE(reloaded.Exists(a.id));  // nothing before Load
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_TRUE(reloaded.Exists(a.id));
  auto got = reloaded.Get(a.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->display_name, "durable");
  EXPECT_EQ(got->tenant_id, kTenant);
  EXPECT_EQ(got->created, kStart);
}

TEST_F(SubscriptionRegistryTest, GetAndListLoadOnFirstUse) {
  Subscription a = MustCreate("lazy");
  SubscriptionRegistry fresh(barrier_, clock_, crypto::SystemRandom(), std::string(kTenant));
  EXPECT_TRUE(fresh.Get(a.id).ok());
  EXPECT_TRUE(fresh.Exists(a.id));
}

TEST_F(SubscriptionRegistryTest, StorageHoldsTheRecordEncryptedUnderAMacKey) {
  Subscription s = MustCreate("secret-project-name");
  std::vector<store::Entry> raw;
  ASSERT_TRUE(storage_
                  .View([&](store::Transaction& t) -> Status {
                    ASSIGN_OR_RETURN(raw, t.Scan("", "", 0));
                    return OkStatus();
                  })
                  .ok());
  for (const store::Entry& e : raw) {
    for (const std::string& needle : {s.id, std::string("secret-project-name")}) {
      EXPECT_EQ(e.key.find(needle), std::string::npos) << e.key;
      EXPECT_EQ(e.value.find(needle), std::string::npos) << e.key;
    }
  }
  std::vector<std::pair<std::string, SecretBytes>> records;
  ASSERT_TRUE(barrier_
                  .View([&](barrier::Txn& t) -> Status {
                    ASSIGN_OR_RETURN(records, t.Scan("subscription/", "", 0));
                    return OkStatus();
                  })
                  .ok());
  ASSERT_EQ(records.size(), 1u);
  auto mac = barrier_.IndexMac("subscription", s.id);
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(records[0].first, "subscription/" + EncodeHex(*mac));
  RecordReader r(records[0].second.view());
  uint8_t type = 0, format = 0;
  std::string id, name, state, tenant;
  int64_t created = 0;
  ASSERT_TRUE(r.U8(&type).ok() && r.U8(&format).ok() && r.String(&id).ok() &&
              r.String(&name).ok() && r.String(&state).ok() && r.String(&tenant).ok() &&
              r.I64(&created).ok() && r.ExpectEnd().ok());
  EXPECT_EQ(type, 0x23);
  EXPECT_EQ(format, 1);
  EXPECT_EQ(id, s.id);
  EXPECT_EQ(state, "Enabled");
}

TEST_F(SubscriptionRegistryTest, ADamagedRecordIsDataLoss) {
  ASSERT_TRUE(barrier_
                  .Update([](barrier::Txn& t) {
                    return t.Put("subscription/00", SecretBytes(std::string_view("\x23\x02")));
                  })
                  .ok());
  SubscriptionRegistry reloaded(barrier_, clock_, crypto::SystemRandom(), std::string(kTenant));
  EXPECT_EQ(reloaded.Load().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace coffer::auth
