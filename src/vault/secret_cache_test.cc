// SecretService's read cache (secret_service.h): answered from memory until a topic says
// otherwise, dropped by every write of this node before the write returns, by sealing, and —
// the case the cross-node fence exists for — kept exact on a second node sharing PostgreSQL
// (COFFER_TEST_PG_URL; skipped without it) once that node's feed fence is answered.
//
// A second node is a second Barrier (and SecretService) on the same storage: its writes reach
// the first node's cache only as topics, which a test hands over when it chooses.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crypto/primitives.h"
#include "store/memory_storage.h"
#include "store/pg_cluster.h"
#include "store/pg_storage.h"
#include "store/pg_test_support.h"
#include "vault/secret_service.h"
#include "vault/txn_effects.h"
#include "vault/unit_vault_test_support.h"

namespace coffer::vault {
namespace {

// Records the topics a barrier's transactions published (as the feed would carry them).
class TopicRecorder : public barrier::CacheListener {
 public:
  explicit TopicRecorder(barrier::Barrier& b) : barrier_(b) { barrier_.AddCacheListener(this); }
  ~TopicRecorder() override { barrier_.RemoveCacheListener(this); }
  bool OnCacheTopic(std::string_view topic) override {
    std::lock_guard lock(mu_);
    topics_.emplace_back(topic);
    return false;
  }
  void OnCacheReset() override {}
  std::vector<std::string> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(topics_, {});
  }

 private:
  barrier::Barrier& barrier_;
  std::mutex mu_;
  std::vector<std::string> topics_;
};

struct Node {
  Node(store::Storage& storage, const Clock& clock)
      : barrier(storage, crypto::SystemRandom()),
        secrets(barrier, clock, crypto::SystemRandom()),
        published(barrier) {}
  barrier::Barrier barrier;
  SecretService secrets;
  TopicRecorder published;
};

SecretSetParams Value(std::string_view value) {
  SecretSetParams p;
  p.value = SecretBytes(value);
  return p;
}

std::string ValueOf(const StatusOr<SecretView>& got) {
  if (!got.ok()) return got.status().ToString();
  return std::string(got->version.value.view());
}

class SecretCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = a_.barrier.Initialize();
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    ASSERT_TRUE(b_.barrier.Unseal(*key).ok());
  }
  SecretView Set(Node& n, std::string_view name, std::string_view value) {
    auto s = n.secrets.Set(vault_, name, Value(value));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : SecretView{};
  }
  std::string Get(Node& n, std::string_view name, std::string_view version = "") {
    return ValueOf(n.secrets.Get(vault_, name, version));
  }

  store::MemoryStorage storage_;
  ManualClock clock_;
  Node a_{storage_, clock_};
  Node b_{storage_, clock_};
  model::VaultRecord vault_ = testing::UnitVault();
};

TEST_F(SecretCacheTest, AnotherNodesWriteIsSeenOnceItsTopicArrives) {
  SecretView one = Set(a_, "db", "one");
  EXPECT_EQ(Get(a_, "db"), "one");
  EXPECT_EQ(Get(a_, "db", one.version.version), "one");
  EXPECT_EQ(a_.secrets.cached(), 2u);

  Set(b_, "db", "two");
  // Without B's topic, A answers from memory: the old latest version (this is what the fence
  // prevents on a real deployment).
  EXPECT_EQ(Get(a_, "db"), "one");
  std::vector<std::string> topics = b_.published.Take();
  ASSERT_EQ(topics.size(), 1u);
  EXPECT_TRUE(topics[0].starts_with("secret/" + vault_.id + "/")) << topics[0];
  EXPECT_TRUE(a_.barrier.DeliverCacheTopic(topics[0]));
  EXPECT_EQ(a_.secrets.cached(), 0u);  // the latest and the version by id
  EXPECT_EQ(Get(a_, "db"), "two");
  EXPECT_EQ(Get(a_, "db", one.version.version), "one");
}

TEST_F(SecretCacheTest, EveryWriteOfThisNodeDropsItsEntriesBeforeReturning) {
  SecretView one = Set(a_, "s", "one");
  EXPECT_EQ(Get(a_, "s"), "one");
  // A new version.
  Set(a_, "s", "two");
  EXPECT_EQ(Get(a_, "s"), "two");
  // An update: disabled is unreadable at once, also by version id.
  EXPECT_EQ(Get(a_, "s", one.version.version), "one");
  SecretPatch disable;
  disable.enabled = false;
  ASSERT_TRUE(a_.secrets.Update(vault_, "s", one.version.version, disable).ok());
  EXPECT_EQ(a_.secrets.Get(vault_, "s", one.version.version).status().code(),
            StatusCode::kPermissionDenied);
  // Delete, recover, delete and purge, create again.
  EXPECT_EQ(Get(a_, "s"), "two");
  ASSERT_TRUE(a_.secrets.Delete(vault_, "s").ok());
  EXPECT_EQ(a_.secrets.Get(vault_, "s", "").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(a_.secrets.Recover(vault_, "s").ok());
  EXPECT_EQ(Get(a_, "s"), "two");
  auto exported = a_.secrets.Export(vault_, "s");
  ASSERT_TRUE(exported.ok());
  ASSERT_TRUE(a_.secrets.Delete(vault_, "s").ok());
  ASSERT_TRUE(a_.secrets.Purge(vault_, "s").ok());
  EXPECT_EQ(a_.secrets.Get(vault_, "s", "").status().code(), StatusCode::kNotFound);
  Set(a_, "s", "three");
  EXPECT_EQ(Get(a_, "s"), "three");
  // A restore of the backup onto a purged name.
  ASSERT_TRUE(a_.secrets.Delete(vault_, "s").ok());
  ASSERT_TRUE(a_.secrets.Purge(vault_, "s").ok());
  ASSERT_TRUE(a_.secrets.Import(vault_, *exported).ok());
  EXPECT_EQ(Get(a_, "s"), "two");
}

TEST_F(SecretCacheTest, SealingDropsEverythingAndRefusesReads) {
  Set(a_, "s", "one");
  EXPECT_EQ(Get(a_, "s"), "one");
  EXPECT_EQ(a_.secrets.cached(), 1u);
  a_.barrier.Seal();
  EXPECT_EQ(a_.secrets.cached(), 0u);
  EXPECT_EQ(a_.secrets.Get(vault_, "s", "").status().code(), StatusCode::kUnavailable);
}

TEST_F(SecretCacheTest, LargeValuesAreReadButNotKept) {
  Set(a_, "big", std::string(SecretService::kMaxCachedValueBytes + 1, 'x'));
  Set(a_, "small", std::string(SecretService::kMaxCachedValueBytes, 'y'));
  EXPECT_EQ(Get(a_, "big").size(), SecretService::kMaxCachedValueBytes + 1);
  EXPECT_EQ(Get(a_, "small").size(), SecretService::kMaxCachedValueBytes);
  EXPECT_EQ(a_.secrets.cached(), 1u);
}

TEST_F(SecretCacheTest, VaultWideAndMalformedTopicsDropMoreNeverLess) {
  Set(a_, "x", "1");
  Set(a_, "y", "2");
  Get(a_, "x");
  Get(a_, "y");
  ASSERT_EQ(a_.secrets.cached(), 2u);
  EXPECT_FALSE(a_.barrier.DeliverCacheTopic("key/" + vault_.id + "/"));  // not a secret topic
  EXPECT_EQ(a_.secrets.cached(), 2u);
  EXPECT_TRUE(a_.barrier.DeliverCacheTopic("secret/ffffffffffffffffffffffffffffffff/"));
  EXPECT_EQ(a_.secrets.cached(), 2u);  // another vault
  EXPECT_TRUE(a_.barrier.DeliverCacheTopic("secret/" + vault_.id + "/"));
  EXPECT_EQ(a_.secrets.cached(), 0u);
  Get(a_, "x");
  EXPECT_TRUE(a_.barrier.DeliverCacheTopic("secret/garbage"));  // malformed: everything goes
  EXPECT_EQ(a_.secrets.cached(), 0u);
}

TEST(TopicsToPublish, EachOnceAndOnePerKindAndVaultBeyondTheCap) {
  std::vector<std::string> few = {"secret/v1/m1/", "vaults", "secret/v1/m1/"};
  EXPECT_EQ(TopicsToPublish(few), (std::vector<std::string>{"secret/v1/m1/", "vaults"}));
  std::vector<std::string> many;
  for (size_t i = 0; i <= kMaxTopicsPerTxn; ++i) {
    many.push_back("secret/v1/m" + std::to_string(i) + "/");
    many.push_back("key/v2/m" + std::to_string(i) + "/");
  }
  many.push_back("roles");
  EXPECT_EQ(TopicsToPublish(many), (std::vector<std::string>{"key/v2/", "roles", "secret/v1/"}));
}

// Two nodes, each with its own PgStorage and barrier on one schema; B's feed hands A's topics
// to B's barrier. A write acknowledged on A, then a read on B after B's fence: never stale.
TEST(SecretCacheNodes, AReadAfterTheFenceSeesEveryWriteAcknowledgedBeforeIt) {
  if (store::pg_test::Url() == nullptr) GTEST_SKIP() << "COFFER_TEST_PG_URL is not set";
  const std::string schema = store::pg_test::FreshSchemaName("coffer_scache");
  store::PgOptions o = store::pg_test::SchemaOptions(schema);
  {
    auto pg_a = store::PgStorage::Open(o);
    auto pg_b = store::PgStorage::Open(o);
    ASSERT_TRUE(pg_a.ok() && pg_b.ok());
    ManualClock clock;
    Node a(**pg_a, clock);
    Node b(**pg_b, clock);
    auto key = a.barrier.Initialize();
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    ASSERT_TRUE(b.barrier.Unseal(*key).ok());
    auto feed = store::PgCluster::Open(o);
    ASSERT_TRUE(feed.ok());
    std::promise<void> listening;
    store::FeedHandler h;
    h.on_topic = [&](std::string_view topic) { b.barrier.DeliverCacheTopic(topic); };
    h.on_reset = [&, first = true]() mutable {
      b.barrier.ResetCaches();
      if (std::exchange(first, false)) listening.set_value();
    };
    ASSERT_TRUE((*feed)->StartFeed(h).ok());
    listening.get_future().wait();
    auto fence = [&] {
      std::promise<bool> fresh;
      (*feed)->AwaitFresh(std::chrono::seconds(5), [&](bool f) { fresh.set_value(f); });
      return fresh.get_future().get();
    };

    model::VaultRecord vault = testing::UnitVault();
    constexpr int kRounds = 300;
    int stale_without_fence = 0;
    int stale_after_fence = 0;
    ASSERT_TRUE(a.secrets.Set(vault, "s", Value("v0")).ok());
    ASSERT_TRUE(fence());
    EXPECT_EQ(ValueOf(b.secrets.Get(vault, "s", "")), "v0");
    for (int i = 1; i <= kRounds; ++i) {
      std::string want = "v" + std::to_string(i);
      ASSERT_TRUE(a.secrets.Set(vault, "s", Value(want)).ok());
      // What B's cache says the moment A's write returns (informative: usually stale).
      if (ValueOf(b.secrets.Get(vault, "s", "")) != want) ++stale_without_fence;
      ASSERT_TRUE(fence());
      if (ValueOf(b.secrets.Get(vault, "s", "")) != want) ++stale_after_fence;
    }
    EXPECT_EQ(stale_after_fence, 0);
    std::printf("[ info ] B's cache was stale right after A's write in %d of %d rounds, and "
                "after B's fence in %d\n",
                stale_without_fence, kRounds, stale_after_fence);
    (*feed)->StopFeed();
  }
  store::pg_test::DropSchema(schema);
}

}  // namespace
}  // namespace coffer::vault
