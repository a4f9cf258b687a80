#include "store/failover_storage.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "store/memory_storage.h"

namespace coffer::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// One side's server: data in a MemoryStorage, and switches for "down" and "standby".
struct FakeServer {
  MemoryStorage data;
  std::atomic<bool> up{true};
  std::atomic<bool> standby{false};
  std::atomic<int> updates{0};
  std::atomic<int> views{0};
  std::atomic<int> opens{0};
};

// A storage on a FakeServer, as PgStorage would be: Unavailable while the server is down;
// `read_only` storages (the pair before promotion) refuse Update like PgOptions::replica.
class FakeSide final : public Storage {
 public:
  FakeSide(FakeServer& server, bool read_only) : server_(server), read_only_(read_only) {}
  Status Update(const TxnFn& fn) override {
    if (read_only_) return FailedPreconditionError("replica: never written");
    if (!server_.up) return UnavailableError("connection refused");
    if (server_.standby) return UnavailableError("SQLSTATE 25006 read-only transaction");
    ++server_.updates;
    return server_.data.Update(fn);
  }
  Status View(const TxnFn& fn) override {
    if (!server_.up) return UnavailableError("connection refused");
    ++server_.views;
    return server_.data.View(fn);
  }
  FakeServer& server() { return server_; }

 private:
  FakeServer& server_;
  const bool read_only_;
};

StatusOr<std::shared_ptr<Storage>> OpenSide(FakeServer& s, bool read_only) {
  ++s.opens;
  if (!s.up) return UnavailableError("cannot connect");
  return std::shared_ptr<Storage>(std::make_shared<FakeSide>(s, read_only));
}

class FailoverStorageTest : public ::testing::Test {
 protected:
  FailoverStorageTest() {
    FailoverSides sides;
    sides.open_primary = [this] { return OpenSide(primary_, false); };
    sides.open_pair = [this] { return OpenSide(pair_, true); };
    sides.check_writable = [](Storage& s) -> Status {
      FakeServer& server = static_cast<FakeSide&>(s).server();
      if (!server.up) return UnavailableError("down");
      if (server.standby) return UnavailableError("standby");
      return OkStatus();
    };
    sides.promote = [this](Storage&) -> Status {
      ++promotes_;
      if (!pair_.up) return UnavailableError("down");
      pair_.standby = false;
      return OkStatus();
    };
    sides.open_promoted = [this] { return OpenSide(pair_, false); };
    FailoverOptions options;
    options.after = seconds(5);
    options.retry_open = seconds(1);
    options.now = [this] { return now_; };
    options.on_mode_change = [this](FailoverMode mode) {
      std::lock_guard lock(changes_mu_);
      changes_.push_back(mode);
    };
    pair_.standby = true;
    storage_ = std::make_unique<FailoverStorage>(std::move(sides), options);
  }

  Status Put(const std::string& key, const std::string& value) {
    return storage_->Update([&](Transaction& txn) { return txn.Put(key, value); });
  }
  StatusOr<std::optional<std::string>> Get(const std::string& key) {
    std::optional<std::string> out;
    Status st = storage_->View([&](Transaction& txn) {
      ASSIGN_OR_RETURN(out, txn.Get(key));
      return OkStatus();
    });
    if (!st.ok()) return st;
    return out;
  }
  // The replica's copy of a write, as streaming replication would make it.
  void Replicate(const std::string& key, const std::string& value) {
    ASSERT_TRUE(pair_.data.Update([&](Transaction& txn) { return txn.Put(key, value); }).ok());
  }
  void Advance(milliseconds d) { now_ += d; }
  std::vector<FailoverMode> Changes() {
    std::lock_guard lock(changes_mu_);
    return changes_;
  }

  FakeServer primary_;
  FakeServer pair_;
  std::atomic<int> promotes_{0};
  std::chrono::steady_clock::time_point now_{seconds(1000)};
  std::mutex changes_mu_;
  std::vector<FailoverMode> changes_;  // what on_mode_change reported, in order
  std::unique_ptr<FailoverStorage> storage_;
};

TEST_F(FailoverStorageTest, ServesFromThePrimaryWhileItAnswers) {
  ASSERT_TRUE(storage_->Start().ok());
  ASSERT_TRUE(Put("a", "1").ok());
  EXPECT_EQ(*Get("a"), "1");
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPrimary);
  EXPECT_EQ(pair_.views, 0);
  EXPECT_EQ(pair_.updates, 0);
  EXPECT_STREQ(FailoverStorage::StorageName(storage_->mode()), "primary");
  EXPECT_TRUE(FailoverStorage::Writable(storage_->mode()));
}

TEST_F(FailoverStorageTest, ShortOutageAnswersUnavailableAndStaysOnThePrimary) {
  ASSERT_TRUE(storage_->Start().ok());
  primary_.up = false;
  EXPECT_EQ(Get("a").status().code(), StatusCode::kUnavailable);
  Advance(milliseconds(4999));
  EXPECT_EQ(Put("a", "1").code(), StatusCode::kUnavailable);
  EXPECT_EQ(storage_->mode(), FailoverMode::kPrimary);
  EXPECT_EQ(pair_.views, 0);
  primary_.up = true;
  ASSERT_TRUE(Put("a", "1").ok());  // a success clears the outage
  primary_.up = false;
  Advance(milliseconds(4999));
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPrimary);
}

TEST_F(FailoverStorageTest, UnreachableForAfterSecondsServesReadsFromThePair) {
  ASSERT_TRUE(storage_->Start().ok());
  Replicate("a", "1");
  primary_.up = false;
  EXPECT_EQ(Get("a").status().code(), StatusCode::kUnavailable);
  Advance(seconds(5));
  // The read that finds the outage long enough is answered by the pair.
  auto got = Get("a");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, "1");
  EXPECT_EQ(storage_->mode(), FailoverMode::kPaired);
  EXPECT_STREQ(FailoverStorage::StorageName(storage_->mode()), "paired");
  EXPECT_FALSE(FailoverStorage::Writable(storage_->mode()));
  // Every later read queries the pair.
  int views = pair_.views;
  EXPECT_EQ(*Get("a"), "1");
  EXPECT_EQ(*Get("b"), std::nullopt);
  EXPECT_EQ(pair_.views, views + 2);
}

TEST_F(FailoverStorageTest, ProbesAloneTurnToThePairWithoutTraffic) {
  ASSERT_TRUE(storage_->Start().ok());
  primary_.up = false;
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPrimary);
  Advance(seconds(3));
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPrimary);
  Advance(seconds(2));
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPaired);
}

TEST_F(FailoverStorageTest, WritesInFailoverAreRefusedReadOnlyWithoutRunningFn) {
  ASSERT_TRUE(storage_->Start().ok());
  primary_.up = false;
  storage_->Probe();
  Advance(seconds(5));
  ASSERT_EQ(storage_->Probe(), FailoverMode::kPaired);
  bool ran = false;
  Status st = storage_->Update([&](Transaction& txn) {
    ran = true;
    return txn.Put("a", "1");
  });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("read-only"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("failover"), std::string::npos) << st.message();
  EXPECT_FALSE(ran);
  EXPECT_EQ(pair_.updates, 0);
}

TEST_F(FailoverStorageTest, WriteThatCrossesTheThresholdIsNotSentToThePair) {
  ASSERT_TRUE(storage_->Start().ok());
  primary_.up = false;
  EXPECT_EQ(Put("a", "1").code(), StatusCode::kUnavailable);
  Advance(seconds(6));
  Status st = Put("a", "1");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("read-only"), std::string::npos);
  EXPECT_EQ(storage_->mode(), FailoverMode::kPaired);
  EXPECT_EQ(pair_.updates, 0);
  EXPECT_EQ(*Get("a"), std::nullopt);
}

TEST_F(FailoverStorageTest, BothSidesDownAnswersUnavailableNotAStaleValue) {
  ASSERT_TRUE(storage_->Start().ok());
  Replicate("a", "1");
  primary_.up = false;
  storage_->Probe();
  Advance(seconds(5));
  ASSERT_EQ(storage_->Probe(), FailoverMode::kPaired);
  ASSERT_EQ(*Get("a"), "1");
  pair_.up = false;
  EXPECT_EQ(Get("a").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Put("a", "2").code(), StatusCode::kUnavailable);
}

TEST_F(FailoverStorageTest, FailsBackWhenThePrimaryAnswersAgain) {
  ASSERT_TRUE(storage_->Start().ok());
  primary_.up = false;
  storage_->Probe();
  Advance(seconds(5));
  ASSERT_EQ(storage_->Probe(), FailoverMode::kPaired);
  Advance(seconds(30));
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPaired);  // still down
  primary_.up = true;
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPrimary);
  ASSERT_TRUE(Put("a", "1").ok());
  EXPECT_EQ(primary_.updates, 1);
  EXPECT_EQ(*Get("a"), "1");
  EXPECT_EQ(pair_.updates, 0);
}

TEST_F(FailoverStorageTest, APrimaryThatCameBackAsAStandbyIsNotFailedBackTo) {
  ASSERT_TRUE(storage_->Start().ok());
  primary_.up = false;
  storage_->Probe();
  Advance(seconds(5));
  ASSERT_EQ(storage_->Probe(), FailoverMode::kPaired);
  primary_.up = true;
  primary_.standby = true;
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPaired);
}

TEST_F(FailoverStorageTest, PromoteMakesThePairWritableForGood) {
  ASSERT_TRUE(storage_->Start().ok());
  primary_.up = false;
  storage_->Probe();
  Advance(seconds(5));
  ASSERT_EQ(storage_->Probe(), FailoverMode::kPaired);
  ASSERT_TRUE(storage_->Promote().ok());
  EXPECT_EQ(promotes_, 1);
  EXPECT_EQ(storage_->mode(), FailoverMode::kPromoted);
  EXPECT_STREQ(FailoverStorage::StorageName(storage_->mode()), "paired");
  EXPECT_TRUE(FailoverStorage::Writable(storage_->mode()));
  ASSERT_TRUE(Put("a", "1").ok());
  EXPECT_EQ(pair_.updates, 1);
  EXPECT_EQ(*Get("a"), "1");
  // The old primary returns: the node stays on the promoted pair.
  primary_.up = true;
  Advance(seconds(60));
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPromoted);
  ASSERT_TRUE(Put("b", "2").ok());
  EXPECT_EQ(primary_.updates, 0);
  // Again: nothing to do.
  EXPECT_TRUE(storage_->Promote().ok());
  EXPECT_EQ(promotes_, 1);
}

TEST_F(FailoverStorageTest, PromoteWithThePairDownChangesNothing) {
  ASSERT_TRUE(storage_->Start().ok());
  pair_.up = false;
  EXPECT_EQ(storage_->Promote().code(), StatusCode::kUnavailable);
  EXPECT_EQ(storage_->mode(), FailoverMode::kPrimary);
  ASSERT_TRUE(Put("a", "1").ok());
  EXPECT_EQ(primary_.updates, 1);
}

TEST_F(FailoverStorageTest, APairPromotedByAnotherNodeIsFollowed) {
  ASSERT_TRUE(storage_->Start().ok());
  primary_.up = false;
  storage_->Probe();
  Advance(seconds(5));
  ASSERT_EQ(storage_->Probe(), FailoverMode::kPaired);
  pair_.standby = false;  // `coffer operator failover promote` through another node
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPromoted);
  ASSERT_TRUE(Put("a", "1").ok());
  EXPECT_EQ(pair_.updates, 1);
  EXPECT_EQ(promotes_, 0);
}

TEST_F(FailoverStorageTest, StartsWithThePrimaryDownAndFailsOverAfterTheDelay) {
  primary_.up = false;
  Replicate("a", "1");
  ASSERT_TRUE(storage_->Start().ok());
  EXPECT_EQ(Get("a").status().code(), StatusCode::kUnavailable);
  Advance(seconds(5));
  EXPECT_EQ(*Get("a"), "1");
  EXPECT_EQ(storage_->mode(), FailoverMode::kPaired);
  // The primary comes up: opened by a probe once the retry interval has passed, and failed
  // back to.
  primary_.up = true;
  Advance(seconds(1));
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPrimary);
  ASSERT_TRUE(Put("b", "2").ok());
}

TEST_F(FailoverStorageTest, NeitherSideAtStartIsAnError) {
  primary_.up = false;
  pair_.up = false;
  EXPECT_EQ(storage_->Start().code(), StatusCode::kUnavailable);
}

TEST_F(FailoverStorageTest, ASideThatCannotBeOpenedIsRetriedOncePerInterval) {
  pair_.up = false;
  ASSERT_TRUE(storage_->Start().ok());
  int opens = pair_.opens;
  primary_.up = false;
  storage_->Probe();
  Advance(seconds(5));
  ASSERT_EQ(storage_->Probe(), FailoverMode::kPaired);
  EXPECT_EQ(Get("a").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Get("a").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(pair_.opens, opens + 1);  // the retry interval (1 s) has passed once, since start
  pair_.up = true;
  Advance(seconds(1));
  EXPECT_TRUE(Get("a").ok());
}

TEST_F(FailoverStorageTest, OtherErrorsOfThePrimaryDoNotCountAsAnOutage) {
  ASSERT_TRUE(storage_->Start().ok());
  primary_.up = false;
  EXPECT_EQ(Put("a", "1").code(), StatusCode::kUnavailable);
  primary_.up = true;
  Advance(seconds(10));
  Status st = storage_->Update([](Transaction&) { return NotFoundError("no such vault"); });
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_EQ(storage_->mode(), FailoverMode::kPrimary);
}

// The composition root moves the cache feed with these reports (server/failover_setup.h).
TEST_F(FailoverStorageTest, EveryChangeOfModeIsReportedOnce) {
  ASSERT_TRUE(storage_->Start().ok());
  primary_.up = false;
  EXPECT_EQ(Put("a", "1").code(), StatusCode::kUnavailable);
  storage_->Probe();
  EXPECT_TRUE(Changes().empty());  // lost, but not for `after` yet
  Advance(seconds(5));
  ASSERT_EQ(storage_->Probe(), FailoverMode::kPaired);
  EXPECT_EQ(storage_->Probe(), FailoverMode::kPaired);
  EXPECT_EQ(Changes(), std::vector<FailoverMode>{FailoverMode::kPaired});
  primary_.up = true;
  ASSERT_EQ(storage_->Probe(), FailoverMode::kPrimary);
  ASSERT_TRUE(Put("a", "1").ok());
  EXPECT_EQ(Changes(), (std::vector<FailoverMode>{FailoverMode::kPaired, FailoverMode::kPrimary}));

  ASSERT_TRUE(storage_->Promote().ok());
  EXPECT_TRUE(storage_->Promote().ok());  // already promoted: no second report
  storage_->Probe();
  EXPECT_EQ(Changes(), (std::vector<FailoverMode>{FailoverMode::kPaired, FailoverMode::kPrimary,
                                                  FailoverMode::kPromoted}));
}

TEST_F(FailoverStorageTest, APromotionSeenByAProbeIsReported) {
  ASSERT_TRUE(storage_->Start().ok());
  primary_.up = false;
  storage_->Probe();
  Advance(seconds(5));
  ASSERT_EQ(storage_->Probe(), FailoverMode::kPaired);
  pair_.standby = false;  // promoted through another node
  ASSERT_EQ(storage_->Probe(), FailoverMode::kPromoted);
  EXPECT_EQ(Changes(), (std::vector<FailoverMode>{FailoverMode::kPaired, FailoverMode::kPromoted}));
}

}  // namespace
}  // namespace coffer::store
