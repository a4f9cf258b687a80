// PgCluster against a real PostgreSQL (COFFER_TEST_PG_URL; skipped without it): topics published
// in committed transactions reach every node's feed, rolled-back ones never do, a lost feed
// connection is re-made with a reset, and the start-up lock admits one node at a time. Waits
// are bounded condition waits on what the feed thread reports, never sleeps.
#include "store/pg_cluster.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "store/pg_test_support.h"

namespace coffer::store {
namespace {

using pg_test::AdminConnection;
using pg_test::DropSchema;
using pg_test::FreshSchemaName;
using pg_test::Url;

// What one node's feed heard, with a bounded wait for more.
class Heard {
 public:
  FeedHandler Handler() {
    FeedHandler h;
    h.on_topic = [this](std::string_view t) {
      std::lock_guard lock(mu_);
      topics_.emplace_back(t);
      cv_.notify_all();
    };
    h.on_reset = [this] {
      std::lock_guard lock(mu_);
      ++resets_;
      cv_.notify_all();
    };
    return h;
  }
  // True once `pred()` holds (checked under the lock), false after 10 s.
  template <typename Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return pred(); });
  }
  std::vector<std::string> topics() {
    std::lock_guard lock(mu_);
    return topics_;
  }
  int resets() {
    std::lock_guard lock(mu_);
    return resets_;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> topics_;
  int resets_ = 0;
};

class PgClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Url() == nullptr) GTEST_SKIP() << "COFFER_TEST_PG_URL is not set";
    schema_ = FreshSchemaName("coffer_cluster");
  }
  void TearDown() override {
    if (schema_.empty() || Url() == nullptr) return;
    DropSchema(schema_);
  }
  PgOptions Options() const {
    PgOptions o;
    o.url = Url();
    o.schema = schema_;
    o.application_name = schema_;
    o.max_connections = 4;
    return o;
  }
  // A storage (which makes the schema) and a node whose feed listens (its first reset heard)
  // with `heard`'s handler; nulls after a failure.
  std::pair<std::unique_ptr<PgStorage>, std::unique_ptr<PgCluster>> Listen(Heard& heard) {
    auto storage = PgStorage::Open(Options());
    auto node = PgCluster::Open(Options());
    EXPECT_TRUE(storage.ok() && node.ok());
    if (!storage.ok() || !node.ok()) return {};
    EXPECT_TRUE((*node)->StartFeed(heard.Handler()).ok());
    EXPECT_TRUE(heard.WaitFor([&] { return heard.resets_ == 1; }));
    return {std::move(*storage), std::move(*node)};
  }

  // Ends this test's feed sessions on the server; how many it ended ("?" on failure).
  std::string TerminateFeedSessions() {
    auto admin = AdminConnection();
    auto killed = admin->QueryText(
        "SELECT count(pg_terminate_backend(pid, 5000))::text FROM pg_stat_activity "
        "WHERE application_name = $1",
        {schema_ + "-cluster"});
    EXPECT_TRUE(killed.ok()) << killed.status().ToString();
    return killed.ok() ? *killed : "?";
  }

  std::string schema_;
};

TEST_F(PgClusterTest, CommittedTopicsReachEveryNodeAndRolledBackOnesNone) {
  auto storage = PgStorage::Open(Options());
  ASSERT_TRUE(storage.ok()) << storage.status().ToString();
  auto node1 = PgCluster::Open(Options());
  auto node2 = PgCluster::Open(Options());
  ASSERT_TRUE(node1.ok() && node2.ok());
  Heard heard1, heard2;
  ASSERT_TRUE((*node1)->StartFeed(heard1.Handler()).ok());
  ASSERT_TRUE((*node2)->StartFeed(heard2.Handler()).ok());
  // The first reset comes once the feed listens: from then on nothing is missed.
  ASSERT_TRUE(heard1.WaitFor([&] { return heard1.resets_ == 1; }));
  ASSERT_TRUE(heard2.WaitFor([&] { return heard2.resets_ == 1; }));

  // Rolled back: nothing is delivered.
  Status failed = (*storage)->Update([](Transaction& t) -> Status {
    RETURN_IF_ERROR(t.Put("k", "v"));
    t.Publish("never");
    return FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(failed.code(), StatusCode::kFailedPrecondition);
  // Committed: each topic once per transaction, in commit order, to both nodes.
  ASSERT_TRUE((*storage)
                  ->Update([](Transaction& t) -> Status {
                    t.Publish("key/v1/m1/");
                    t.Publish("key/v1/m1/");
                    t.Publish("roles");
                    return t.Put("k", "v");
                  })
                  .ok());
  ASSERT_TRUE((*storage)->Update([](Transaction& t) -> Status {
                 t.Publish("vaults");
                 return OkStatus();
               }).ok());
  const std::vector<std::string> expected{"key/v1/m1/", "roles", "vaults"};
  for (Heard* h : {&heard1, &heard2}) {
    ASSERT_TRUE(h->WaitFor([&] { return h->topics_.size() >= 3; })) << h->topics_.size();
    EXPECT_EQ(h->topics(), expected);
  }
  (*node1)->StopFeed();
  (*node2)->StopFeed();
}

TEST_F(PgClusterTest, OtherSchemasAreNotHeard) {
  auto here = PgStorage::Open(Options());  // makes the schema
  ASSERT_TRUE(here.ok());
  auto node = PgCluster::Open(Options());
  ASSERT_TRUE(node.ok());
  Heard heard;
  ASSERT_TRUE((*node)->StartFeed(heard.Handler()).ok());
  ASSERT_TRUE(heard.WaitFor([&] { return heard.resets_ == 1; }));

  PgOptions other = Options();
  other.schema = schema_ + "_other";
  auto elsewhere = PgStorage::Open(other);
  ASSERT_TRUE(elsewhere.ok());
  ASSERT_TRUE((*elsewhere)->Update([](Transaction& t) -> Status {
                 t.Publish("elsewhere");
                 return OkStatus();
               }).ok());
  ASSERT_TRUE((*here)->Update([](Transaction& t) -> Status {
                 t.Publish("here");
                 return OkStatus();
               }).ok());
  // Notifications of one session arrive in commit order: once "here" is heard, "elsewhere"
  // would have been too.
  ASSERT_TRUE(heard.WaitFor([&] { return !heard.topics_.empty(); }));
  EXPECT_EQ(heard.topics(), std::vector<std::string>{"here"});
  (*node)->StopFeed();
  auto admin = AdminConnection();
  ASSERT_TRUE(admin->Exec(("DROP SCHEMA IF EXISTS " + other.schema + " CASCADE").c_str()).ok());
}

TEST_F(PgClusterTest, LostFeedConnectionReconnectsWithAReset) {
  Heard heard;
  auto [storage, node] = Listen(heard);
  ASSERT_TRUE(storage && node);

  EXPECT_EQ(TerminateFeedSessions(), "1");
  ASSERT_TRUE(heard.WaitFor([&] { return heard.resets_ == 2; }));
  // Listening again: a new commit is heard.
  ASSERT_TRUE(storage->Update([](Transaction& t) -> Status {
                 t.Publish("after-reconnect");
                 return OkStatus();
               }).ok());
  ASSERT_TRUE(heard.WaitFor([&] { return !heard.topics_.empty(); }));
  EXPECT_EQ(heard.topics(), std::vector<std::string>{"after-reconnect"});
  EXPECT_EQ(node->feed_resets(), 2u);
  node->StopFeed();
}

// Failover promote: the database written to changes, and the feed (and the start-up lock) move
// to it. Two schemas stand for the two servers: a URL's search_path picks one.
TEST_F(PgClusterTest, FollowMovesTheFeedToAnotherDatabaseWithAReset) {
  const std::string promoted_schema = schema_ + "_pair";
  auto url_for = [](const std::string& schema) {
    std::string url = Url();
    return url + (url.find('?') == std::string::npos ? "?" : "&") +
           "options=-csearch_path%3D" + schema;
  };
  auto old_primary = PgStorage::Open(Options());  // makes both schemas
  PgOptions pair_options = Options();
  pair_options.schema = promoted_schema;
  auto pair = PgStorage::Open(pair_options);
  ASSERT_TRUE(old_primary.ok() && pair.ok());
  auto publish = [](PgStorage& storage, std::string topic) {
    ASSERT_TRUE(storage.Update([&](Transaction& t) -> Status {
                  t.Publish(topic);
                  return OkStatus();
                }).ok());
  };

  PgOptions node_options = Options();
  node_options.schema.clear();  // the URL says where
  node_options.url = url_for(schema_);
  auto node = PgCluster::Open(node_options);
  ASSERT_TRUE(node.ok());
  Heard heard;
  ASSERT_TRUE((*node)->StartFeed(heard.Handler()).ok());
  ASSERT_TRUE(heard.WaitFor([&] { return heard.resets_ == 1; }));
  publish(**pair, "pair-before");
  publish(**old_primary, "primary-before");
  ASSERT_TRUE(heard.WaitFor([&] { return !heard.topics_.empty(); }));
  EXPECT_EQ(heard.topics(), std::vector<std::string>{"primary-before"});

  (*node)->Follow(url_for(promoted_schema));
  EXPECT_EQ((*node)->url(), url_for(promoted_schema));
  // Listening on the pair: the reset drops what may have been missed there.
  ASSERT_TRUE(heard.WaitFor([&] { return heard.resets_ == 2; }));
  publish(**old_primary, "primary-after");
  publish(**pair, "pair-after");
  ASSERT_TRUE(heard.WaitFor([&] { return heard.topics_.size() >= 2; }));
  EXPECT_EQ(heard.topics(), (std::vector<std::string>{"primary-before", "pair-after"}));

  // The same URL again changes nothing: no reconnection, no reset.
  (*node)->Follow(url_for(promoted_schema));
  publish(**pair, "pair-again");
  ASSERT_TRUE(heard.WaitFor([&] { return heard.topics_.size() >= 3; }));
  EXPECT_EQ(heard.topics().back(), "pair-again");
  EXPECT_EQ(heard.resets(), 2);
  (*node)->StopFeed();

  // The start-up lock is taken where the node follows.
  auto lock = (*node)->LockStartup();
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  auto admin = AdminConnection();
  auto held = admin->QueryText(
      "SELECT count(*)::text FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
      "classid = 1129268551 AND objid::bigint = (hashtext($1)::bigint & 4294967295)",
      {promoted_schema});
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(*held, "1");
  lock->reset();
  pair->reset();
  ASSERT_TRUE(admin->Exec(("DROP SCHEMA IF EXISTS " + promoted_schema + " CASCADE").c_str()).ok());
}

TEST_F(PgClusterTest, StartupLockAdmitsOneNodeAtATime) {
  auto storage = PgStorage::Open(Options());  // makes the schema
  ASSERT_TRUE(storage.ok());
  auto node1 = PgCluster::Open(Options());
  auto node2 = PgCluster::Open(Options());
  ASSERT_TRUE(node1.ok() && node2.ok());
  auto held = (*node1)->LockStartup();
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  std::promise<void> second_got_it;
  auto second = std::async(std::launch::async, [&] {
    auto lock = (*node2)->LockStartup();
    second_got_it.set_value();
    return lock.ok();
  });
  auto got = second_got_it.get_future();
  // Still waiting while the first holds it (a bounded wait, not a sleep to pass time).
  EXPECT_EQ(got.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  held->reset();
  EXPECT_EQ(got.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(second.get());
}

TEST_F(PgClusterTest, NoSchemaIsRefusedNotLockedOnNull) {
  auto node = PgCluster::Open(Options());  // the schema does not exist yet
  ASSERT_TRUE(node.ok());
  EXPECT_EQ((*node)->LockStartup().status().code(), StatusCode::kFailedPrecondition);
}

// The fence's answer for one AwaitFresh call, waited for (bounded).
struct FenceResult {
  std::promise<bool> promise;
  std::function<void(bool)> Done() {
    return [this](bool fresh) { promise.set_value(fresh); };
  }
  // The answer, or nullopt if none came within 10 s.
  std::optional<bool> Get() {
    auto f = promise.get_future();
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return std::nullopt;
    return f.get();
  }
};

// The property a cache needs (docs/decisions.md "Several nodes on one PostgreSQL"): once a
// fence started after a commit returned is answered, that commit's topic has been handled.
// PostgreSQL usually delivers a notification before its writer hears COMMIT, but not always
// (counted and printed below); the fence must cover the cases where it does not.
TEST_F(PgClusterTest, FenceHandsOverEveryTopicCommittedBeforeIt) {
  Heard heard;
  auto [storage, node] = Listen(heard);
  ASSERT_TRUE(storage && node);

  constexpr int kRounds = 1000;
  int heard_before_fence = 0;
  int missing_after_fence = 0;
  for (int i = 0; i < kRounds; ++i) {
    std::string topic = "t" + std::to_string(i);
    ASSERT_TRUE(storage->Update([&](Transaction& t) -> Status {
                   t.Publish(topic);
                   return OkStatus();
                 }).ok());
    auto has_topic = [&] {
      std::lock_guard lock(heard.mu_);
      return !heard.topics_.empty() && heard.topics_.back() == topic;
    };
    if (has_topic()) ++heard_before_fence;
    FenceResult fence;
    bool seen_when_answered = false;
    node->AwaitFresh(std::chrono::seconds(5), [&](bool fresh) {
      seen_when_answered = has_topic();  // on the feed's thread, as a cache would be
      fence.promise.set_value(fresh);
    });
    auto fresh = fence.Get();
    ASSERT_TRUE(fresh.has_value());
    EXPECT_TRUE(*fresh);
    if (!seen_when_answered) ++missing_after_fence;
  }
  EXPECT_EQ(missing_after_fence, 0);
  std::printf("[ info ] %d of %d topics were handled before the writer's commit returned; "
              "%llu fences\n",
              heard_before_fence, kRounds,
              static_cast<unsigned long long>(node->fences_sent()));
  node->StopFeed();
}

TEST_F(PgClusterTest, CallersWaitingTogetherShareFences) {
  Heard heard;
  auto [storage, node] = Listen(heard);
  ASSERT_TRUE(storage && node);
  constexpr int kCallers = 1000;
  std::vector<FenceResult> results(kCallers);
  uint64_t before = node->fences_sent();
  for (auto& r : results) node->AwaitFresh(std::chrono::seconds(5), r.Done());
  for (auto& r : results) {
    auto fresh = r.Get();
    ASSERT_TRUE(fresh.has_value());
    EXPECT_TRUE(*fresh);
  }
  uint64_t fences = node->fences_sent() - before;
  EXPECT_GE(fences, 1u);
  // A fence is a round trip; queueing 1,000 callers takes far less, even on a loaded machine.
  EXPECT_LE(fences, uint64_t{kCallers / 4}) << "callers queued together should share a fence";
  std::printf("[ info ] %d callers, %llu fences\n", kCallers, static_cast<unsigned long long>(fences));
  node->StopFeed();
}

TEST_F(PgClusterTest, FenceIsFalseWhenTheFeedCannotListenOrIsNotSettledUnlessReleased) {
  auto storage = PgStorage::Open(Options());
  ASSERT_TRUE(storage.ok());
  // Not running: false at once.
  auto idle = PgCluster::Open(Options());
  ASSERT_TRUE(idle.ok());
  FenceResult not_running;
  (*idle)->AwaitFresh(std::chrono::seconds(5), not_running.Done());
  EXPECT_EQ(not_running.Get(), std::optional<bool>(false));

  // Nothing listens at this address (port 9 on loopback): false at the
  // deadline, long before the feed's next retry would succeed.
  PgOptions nowhere = Options();
  nowhere.url = "postgresql://coffer@127.0.0.1:9/coffer";
  nowhere.connect_timeout_seconds = 1;
  auto unreachable = PgCluster::Open(nowhere);
  ASSERT_TRUE(unreachable.ok());
  Heard never;
  ASSERT_TRUE((*unreachable)->StartFeed(never.Handler()).ok());
  FenceResult lost;
  auto asked = std::chrono::steady_clock::now();
  (*unreachable)->AwaitFresh(std::chrono::milliseconds(200), lost.Done());
  EXPECT_EQ(lost.Get(), std::optional<bool>(false));
  EXPECT_GE(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(200));
  // Released (the node switched to its pair): true at once.
  FenceResult released;
  (*unreachable)->AwaitFresh(std::chrono::seconds(30), released.Done());
  (*unreachable)->ReleaseWaiting();
  EXPECT_EQ(released.Get(), std::optional<bool>(true));
  // Stopping answers whoever still waits.
  FenceResult stopped;
  (*unreachable)->AwaitFresh(std::chrono::seconds(30), stopped.Done());
  (*unreachable)->StopFeed();
  EXPECT_EQ(stopped.Get(), std::optional<bool>(false));

  // Listening, but a reload is still to be retried: not fresh.
  auto node = PgCluster::Open(Options());
  ASSERT_TRUE(node.ok());
  Heard heard;
  std::atomic<bool> settled{false};
  FeedHandler h = heard.Handler();
  h.settled = [&] { return settled.load(); };
  ASSERT_TRUE((*node)->StartFeed(h).ok());
  ASSERT_TRUE(heard.WaitFor([&] { return heard.resets_ == 1; }));
  FenceResult unsettled;
  (*node)->AwaitFresh(std::chrono::seconds(5), unsettled.Done());
  EXPECT_EQ(unsettled.Get(), std::optional<bool>(false));
  settled = true;
  FenceResult fine;
  (*node)->AwaitFresh(std::chrono::seconds(5), fine.Done());
  EXPECT_EQ(fine.Get(), std::optional<bool>(true));
  (*node)->StopFeed();
}

TEST_F(PgClusterTest, ALostFenceIsAnsweredByTheResetAfterReconnecting) {
  Heard heard;
  auto [storage, node] = Listen(heard);
  ASSERT_TRUE(storage && node);
  ASSERT_EQ(TerminateFeedSessions(), "1");
  FenceResult fence;
  node->AwaitFresh(std::chrono::seconds(5), fence.Done());
  EXPECT_EQ(fence.Get(), std::optional<bool>(true));
  EXPECT_EQ(heard.resets(), 2);
  node->StopFeed();
}

TEST(PgClusterOptions, FeedNeedsBothCallbacks) {
  if (Url() == nullptr) GTEST_SKIP() << "COFFER_TEST_PG_URL is not set";
  PgOptions o;
  o.url = Url();
  auto node = PgCluster::Open(o);
  ASSERT_TRUE(node.ok());
  EXPECT_EQ((*node)->StartFeed(FeedHandler{}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coffer::store
