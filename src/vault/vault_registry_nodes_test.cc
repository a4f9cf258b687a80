// Two VaultRegistry instances over one storage, as two Coffer nodes sharing one PostgreSQL: each
// has its own barrier and its own cache, and no feed tells the second about the first's writes.
// The 409s, 404s and merged changes must come from the stored records, never from a cache that
// is behind. Runs on MemoryStorage (one storage, both nodes) and, when COFFER_TEST_PG_URL is set,
// on PostgreSQL (a PgStorage per node on one fresh schema, dropped afterwards), where the
// concurrent creates really race.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <latch>
#include <memory>
#include <string>
#include <thread>

#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "store/pg_storage.h"
#include "store/pg_test_support.h"
#include "vault/vault_registry.h"

namespace coffer::vault {
namespace {

using ::testing::HasSubstr;

constexpr char kSubA[] = "11111111-1111-1111-1111-111111111111";
constexpr char kSubB[] = "22222222-2222-2222-2222-222222222222";

VaultSpec Spec(std::string name, std::string sub = kSubA) {
  VaultSpec s;
  s.name = std::move(name);
  s.subscription_id = std::move(sub);
  s.resource_group = "rg";
  s.location = "eastus";
  s.tenant_id = "tenant";
  return s;
}

// One node: its own barrier (unsealed with the deployment's key) and registry.
struct Node {
  Node(store::Storage& storage, const Clock& clock)
      : barrier(storage, crypto::SystemRandom()),
        vaults(barrier, clock, crypto::SystemRandom()) {}
  barrier::Barrier barrier;
  VaultRegistry vaults;
};

class TwoNodesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      if (store::pg_test::Url() == nullptr) GTEST_SKIP() << "COFFER_TEST_PG_URL is not set";
      schema_ = store::pg_test::FreshSchemaName("coffer_vnodes");
      for (auto* slot : {&pg_a_, &pg_b_}) {
        auto opened = store::PgStorage::Open(store::pg_test::SchemaOptions(schema_));
        ASSERT_TRUE(opened.ok()) << opened.status().ToString();
        *slot = std::move(*opened);
      }
      storage_a_ = pg_a_.get();
      storage_b_ = pg_b_.get();
    } else {
      storage_a_ = storage_b_ = &memory_;
    }
    a_ = std::make_unique<Node>(*storage_a_, clock_);
    auto key = a_->barrier.Initialize();
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    b_ = std::make_unique<Node>(*storage_b_, clock_);
    ASSERT_TRUE(b_->barrier.Unseal(*key).ok());
  }

  void TearDown() override {
    a_.reset();
    b_.reset();
    pg_a_.reset();
    pg_b_.reset();
    if (schema_.empty()) return;
    store::pg_test::DropSchema(schema_);
  }

  // Node B's cache is loaded (and empty of what A does next).
  void LoadCacheOfB() { ASSERT_TRUE(b_->vaults.List("", "").ok()); }

  ManualClock clock_;
  store::MemoryStorage memory_;
  std::unique_ptr<store::PgStorage> pg_a_, pg_b_;
  std::string schema_;
  store::Storage* storage_a_ = nullptr;
  store::Storage* storage_b_ = nullptr;
  std::unique_ptr<Node> a_, b_;
};

TEST_P(TwoNodesTest, ANameTheOtherNodeCreatedIsRefusedEvenFromAStaleCache) {
  LoadCacheOfB();
  auto made = a_->vaults.CreateOrUpdate(Spec("shared", kSubA));
  ASSERT_TRUE(made.ok()) << made.status().ToString();

  auto second = b_->vaults.CreateOrUpdate(Spec("SHARED", kSubB));
  EXPECT_EQ(second.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(second.status().reason(), "VaultAlreadyExists");
  EXPECT_THAT(second.status().message(), HasSubstr("already in use"));
  // Nothing was overwritten, and B's cache now knows the vault.
  EXPECT_EQ(a_->vaults.Get("shared")->subscription_id, kSubA);
  auto seen_by_b = b_->vaults.Get("shared");
  ASSERT_TRUE(seen_by_b.ok()) << seen_by_b.status().ToString();
  EXPECT_EQ(seen_by_b->id, made->first.id);
  // The same scope on B is an update of A's vault, not a second create.
  auto update = b_->vaults.CreateOrUpdate(Spec("shared", kSubA));
  ASSERT_TRUE(update.ok());
  EXPECT_FALSE(update->second);
  EXPECT_EQ(update->first.id, made->first.id);
}

TEST_P(TwoNodesTest, ANameTheOtherNodeSoftDeletedStaysReserved) {
  auto made = a_->vaults.CreateOrUpdate(Spec("reserved", kSubA));
  ASSERT_TRUE(made.ok());
  LoadCacheOfB();  // B sees it live
  ASSERT_TRUE(a_->vaults.Delete(kSubA, "rg", "reserved").ok());

  for (const char* sub : {kSubA, kSubB}) {
    auto again = b_->vaults.CreateOrUpdate(Spec("reserved", sub));
    EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists) << sub;
    EXPECT_EQ(again.status().reason(), "ConflictError") << sub;
    EXPECT_THAT(again.status().message(), HasSubstr("deleted state"));
  }
  EXPECT_EQ(b_->vaults.Get("reserved").status().code(), StatusCode::kNotFound);
  // B's own view was out of date; recovering through B brings A's vault back.
  VaultSpec recover = Spec("reserved", kSubA);
  recover.recover = true;
  auto back = b_->vaults.CreateOrUpdate(recover);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->first.id, made->first.id);
  EXPECT_FALSE(back->first.deleted.has_value());
}

TEST_P(TwoNodesTest, ChangesThroughAStaleNodeKeepTheOtherNodesChanges) {
  ASSERT_TRUE(a_->vaults.CreateOrUpdate(Spec("merged", kSubA)).ok());
  LoadCacheOfB();
  VaultPatch tags;
  tags.tags = model::Tags{{"team", "a"}};
  ASSERT_TRUE(a_->vaults.Patch(kSubA, "rg", "merged", tags).ok());

  VaultPatch sku;
  sku.sku = "premium";
  auto patched = b_->vaults.Patch(kSubA, "rg", "merged", sku);
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ(patched->sku, "premium");
  EXPECT_EQ(patched->tags, *tags.tags);

  model::AccessPolicyEntry entry;
  entry.tenant_id = "tenant";
  entry.object_id = "00000000-0000-0000-0000-00000000000b";
  entry.secrets = {"get"};
  auto policies =
      a_->vaults.UpdateAccessPolicies(kSubA, "rg", "merged", AccessPolicyOp::kAdd, {entry});
  ASSERT_TRUE(policies.ok());
  EXPECT_EQ(policies->sku, "premium");  // A's cache was behind B's patch
  EXPECT_EQ(policies->tags, *tags.tags);
  EXPECT_EQ(policies->access_policies.size(), 1u);
}

TEST_P(TwoNodesTest, AVaultTheOtherNodeDeletedCannotBeChangedOrDeletedAgain) {
  ASSERT_TRUE(a_->vaults.CreateOrUpdate(Spec("gone", kSubA)).ok());
  LoadCacheOfB();
  ASSERT_TRUE(a_->vaults.Delete(kSubA, "rg", "gone").ok());
  clock_.Advance(3600);

  VaultPatch sku;
  sku.sku = "premium";
  EXPECT_EQ(b_->vaults.Patch(kSubA, "rg", "gone", sku).status().reason(), "VaultNotFound");
  EXPECT_EQ(b_->vaults.Delete(kSubA, "rg", "gone").reason(), "VaultNotFound");
  // The deletion A made is the one stored: its dates did not move.
  auto deleted = a_->vaults.GetDeleted(kSubA, "eastus", "gone");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->deleted->deleted_date + 3600, clock_.Now());
  EXPECT_EQ(deleted->sku, "standard");
}

TEST_P(TwoNodesTest, ConcurrentCreatesOfOneNameOnTwoNodesLetExactlyOneWin) {
  for (int round = 0; round < 20; ++round) {
    const std::string name = "race" + std::to_string(round);
    LoadCacheOfB();
    ASSERT_TRUE(a_->vaults.List("", "").ok());
    std::latch start(2);
    StatusOr<std::pair<model::VaultRecord, bool>> results[2] = {
        InternalError("not run"), InternalError("not run")};
    auto create = [&](int i) {
      start.arrive_and_wait();
      results[i] = (i == 0 ? a_ : b_)->vaults.CreateOrUpdate(Spec(name, i == 0 ? kSubA : kSubB));
    };
    std::thread t0(create, 0), t1(create, 1);
    t0.join();
    t1.join();
    int won = results[0].ok() ? 0 : 1;
    ASSERT_TRUE(results[won].ok()) << round << ": " << results[won].status().ToString();
    EXPECT_TRUE(results[won]->second);
    EXPECT_EQ(results[1 - won].status().code(), StatusCode::kAlreadyExists)
        << round << ": " << results[1 - won].status().ToString();
    // Both nodes now read the winner's vault.
    for (Node* node : {a_.get(), b_.get()}) {
      auto got = node->vaults.Get(name);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(got->id, results[won]->first.id);
      EXPECT_EQ(got->subscription_id, won == 0 ? kSubA : kSubB);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, TwoNodesTest, ::testing::Values("memory", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace coffer::vault