#include "store/storage_conformance.h"

#include <atomic>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace coffer::store {

using std::string_literals::operator""s;

void StorageConformanceTest::SetUp() {
  storage_ = GetParam()();
  if (storage_ == nullptr && IsSkipped()) return;  // the factory skipped (no server to test)
  ASSERT_NE(storage_, nullptr);
}

void StorageConformanceTest::TearDown() { storage_.reset(); }

void StorageConformanceTest::Put(std::string_view key, std::string_view value) {
  Status st = storage_->Update([&](Transaction& txn) { return txn.Put(key, value); });
  EXPECT_TRUE(st.ok()) << st.ToString();
}

void StorageConformanceTest::Delete(std::string_view key) {
  Status st = storage_->Update([&](Transaction& txn) { return txn.Delete(key); });
  EXPECT_TRUE(st.ok()) << st.ToString();
}

std::optional<std::string> StorageConformanceTest::Get(std::string_view key) {
  std::optional<std::string> out;
  Status st = storage_->View([&](Transaction& txn) {
    ASSIGN_OR_RETURN(out, txn.Get(key));
    return OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

std::vector<Entry> StorageConformanceTest::Scan(std::string_view prefix,
                                                std::string_view start_after, size_t limit) {
  std::vector<Entry> out;
  Status st = storage_->View([&](Transaction& txn) {
    ASSIGN_OR_RETURN(out, txn.Scan(prefix, start_after, limit));
    return OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

namespace {

std::vector<std::string> Keys(const std::vector<Entry>& entries) {
  std::vector<std::string> keys;
  for (const auto& e : entries) keys.push_back(e.key);
  return keys;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

using V = std::vector<std::string>;

TEST_P(StorageConformanceTest, GetMissingKeyIsNulloptNotError) {
  EXPECT_EQ(Get("nope"), std::nullopt);
}

TEST_P(StorageConformanceTest, PutGetOverwriteDelete) {
  Put("k1", "v1");
  EXPECT_EQ(Get("k1"), "v1");
  Put("k1", "v2");
  EXPECT_EQ(Get("k1"), "v2");
  Delete("k1");
  EXPECT_EQ(Get("k1"), std::nullopt);
  Delete("k1");  // deleting a missing key is OK (checked inside Delete)
}

TEST_P(StorageConformanceTest, BinaryKeysAndEmptyValueRoundTrip) {
  std::string key = "\x00k\xff\x00"s;
  std::string value = "\x00\x01\xff\x00"s;
  Put(key, value);
  Put("empty", "");
  EXPECT_EQ(Get(key), value);
  EXPECT_EQ(Get("\x00k\xff"s), std::nullopt);  // a prefix of the key is another key
  EXPECT_EQ(Get("empty"), "");
}

TEST_P(StorageConformanceTest, ScanIsBytewiseUnsignedOrderWithinPrefix) {
  for (const auto& k : V{"p/\xff", "p/\x80", "p/\x7f", "p/\x01", "p/\x00"s, "p/", "p", "q/\x00"s,
                         "o/\xff"}) {
    Put(k, "v:" + k);
  }
  auto entries = Scan("p/", "", 0);
  EXPECT_EQ(Keys(entries), (V{"p/", "p/\x00"s, "p/\x01", "p/\x7f", "p/\x80", "p/\xff"}));
  for (const auto& e : entries) EXPECT_EQ(e.value, "v:" + e.key);
  EXPECT_EQ(Keys(Scan("", "", 0)), (V{"o/\xff", "p", "p/", "p/\x00"s, "p/\x01", "p/\x7f", "p/\x80",
                                      "p/\xff", "q/\x00"s}));
  EXPECT_TRUE(Scan("r", "", 0).empty());
}

TEST_P(StorageConformanceTest, ScanPrefixEndingInFF) {
  for (const auto& k : V{"a\xfe\xff", "a\xff", "a\xff\x00"s, "a\xff\xff", "a\xff\xff\xff", "b",
                         "\xff", "\xff\xff", "\xff\xff\x01", "\xfe\xff"}) {
    Put(k, "v");
  }
  EXPECT_EQ(Keys(Scan("a\xff", "", 0)), (V{"a\xff", "a\xff\x00"s, "a\xff\xff", "a\xff\xff\xff"}));
  EXPECT_EQ(Keys(Scan("a\xff\xff", "", 0)), (V{"a\xff\xff", "a\xff\xff\xff"}));
  EXPECT_EQ(Keys(Scan("\xff", "", 0)), (V{"\xff", "\xff\xff", "\xff\xff\x01"}));
  EXPECT_EQ(Keys(Scan("\xff\xff", "", 0)), (V{"\xff\xff", "\xff\xff\x01"}));
  EXPECT_EQ(Keys(Scan("\xff\xff", "\xff\xff", 0)), (V{"\xff\xff\x01"}));
}

TEST_P(StorageConformanceTest, ScanStartAfterAndLimitPageWithoutGapsOrDuplicates) {
  V all;
  for (int i = 0; i < 25; ++i) {
    std::string k = "page/" + std::string(1, static_cast<char>(i * 10));
    all.push_back(k);
    Put(k, std::to_string(i));
  }
  Put("pagf", "outside");
  V seen;
  std::string after;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = Scan("page/", after, 4);
    ASSERT_LE(page.size(), 4u);
    if (page.empty()) break;
    for (const auto& e : page) seen.push_back(e.key);
    after = page.back().key;
  }
  EXPECT_EQ(seen, all);
  EXPECT_EQ(Keys(Scan("page/", "", 1)), V{all[0]});
  EXPECT_EQ(Keys(Scan("page/", all[23], 0)), V{all[24]});
  EXPECT_TRUE(Scan("page/", all[24], 0).empty());
  // start_after need not be a stored key, nor inside the prefix.
  EXPECT_EQ(Keys(Scan("page/", "page/\x05", 2)), (V{all[1], all[2]}));
  EXPECT_EQ(Keys(Scan("page/", "a", 1)), V{all[0]});
  EXPECT_TRUE(Scan("page/", "pagf", 0).empty());
}

TEST_P(StorageConformanceTest, FailedUpdateRollsBackAllItsWrites) {
  Put("keep", "1");
  Put("gone", "1");
  Status st = storage().Update([](Transaction& txn) {
    RETURN_IF_ERROR(txn.Put("keep", "2"));
    RETURN_IF_ERROR(txn.Put("new", "x"));
    RETURN_IF_ERROR(txn.Delete("gone"));
    return AlreadyExistsError("conflict", "Conflict");
  });
  EXPECT_EQ(st, AlreadyExistsError("conflict", "Conflict"));
  EXPECT_EQ(Get("keep"), "1");
  EXPECT_EQ(Get("new"), std::nullopt);
  EXPECT_EQ(Get("gone"), "1");
  // The storage is still usable afterwards.
  Put("after", "ok");
  EXPECT_EQ(Get("after"), "ok");
}

TEST_P(StorageConformanceTest, UpdateReadsItsOwnWrites) {
  Put("r/a", "1");
  Put("r/b", "1");
  Put("r/c", "1");
  Status st = storage().Update([](Transaction& txn) -> Status {
    RETURN_IF_ERROR(txn.Put("r/b", "2"));
    RETURN_IF_ERROR(txn.Delete("r/c"));
    RETURN_IF_ERROR(txn.Put("r/d", "3"));
    RETURN_IF_ERROR(txn.Put("r/0", "0"));
    ASSIGN_OR_RETURN(auto b, txn.Get("r/b"));
    ASSIGN_OR_RETURN(auto c, txn.Get("r/c"));
    ASSIGN_OR_RETURN(auto d, txn.Get("r/d"));
    if (b != "2" || c.has_value() || d != "3") return InternalError("Get missed own writes");
    ASSIGN_OR_RETURN(auto all, txn.Scan("r/", "", 0));
    if (Keys(all) != V{"r/0", "r/a", "r/b", "r/d"} || all[2].value != "2") {
      return InternalError("Scan missed own writes");
    }
    ASSIGN_OR_RETURN(auto page, txn.Scan("r/", "r/a", 2));
    if (Keys(page) != V{"r/b", "r/d"}) return InternalError("paged Scan missed own writes");
    return OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Keys(Scan("r/", "", 0)), (V{"r/0", "r/a", "r/b", "r/d"}));
}

// GetMany answers as Get would, key by key and in order — missing keys and repeated keys
// included — in a View and, seeing its own writes, in an Update.
TEST_P(StorageConformanceTest, GetManyAnswersEachKeyInOrderAsGetWould) {
  Put("m/a", "1");
  Put("m/b", "");
  using Values = std::vector<std::optional<std::string>>;
  Values seen;
  Status st = storage().View([&](Transaction& txn) -> Status {
    ASSIGN_OR_RETURN(seen, txn.GetMany({"m/b", "m/missing", "m/a", "m/b"}));
    ASSIGN_OR_RETURN(auto none, txn.GetMany({}));
    if (!none.empty()) return InternalError("GetMany of no keys answered values");
    return OkStatus();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(seen, (Values{"", std::nullopt, "1", ""}));
  st = storage().Update([&](Transaction& txn) -> Status {
    RETURN_IF_ERROR(txn.Put("m/c", "3"));
    RETURN_IF_ERROR(txn.Delete("m/a"));
    ASSIGN_OR_RETURN(seen, txn.GetMany({"m/a", "m/c"}));
    return OkStatus();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(seen, (Values{std::nullopt, "3"}));
}

TEST_P(StorageConformanceTest, ViewIsReadOnly) {
  Put("ro", "1");
  Status put, del;
  Status st = storage().View([&](Transaction& txn) {
    put = txn.Put("ro", "2");
    del = txn.Delete("ro");
    return OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(put.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(del.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Get("ro"), "1");
}

TEST_P(StorageConformanceTest, ViewReturnsFnStatus) {
  Status st = storage().View([](Transaction&) { return NotFoundError("missing", "SecretNotFound"); });
  EXPECT_EQ(st, NotFoundError("missing", "SecretNotFound"));
}

TEST_P(StorageConformanceTest, UpdateInsideUpdateFailsInsteadOfDeadlocking) {
  Status inner;
  Status outer = storage().Update([&](Transaction& txn) {
    inner = storage().Update([](Transaction& t) { return t.Put("nested", "x"); });
    return txn.Put("outer", "x");
  });
  EXPECT_TRUE(outer.ok()) << outer.ToString();
  EXPECT_EQ(inner.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Get("nested"), std::nullopt);
  EXPECT_EQ(Get("outer"), "x");
}

// A writer keeps the invariant a == b == every value under "snap/"; readers must never see it
// broken, whether their View overlaps a commit or not.
TEST_P(StorageConformanceTest, ViewSeesAConsistentSnapshot) {
  auto write = [&](int i) {
    return storage().Update([i](Transaction& txn) {
      RETURN_IF_ERROR(txn.Put("snap/a", std::to_string(i)));
      RETURN_IF_ERROR(txn.Put("snap/m", std::to_string(i)));
      return txn.Put("snap/b", std::to_string(i));
    });
  };
  ASSERT_TRUE(write(0).ok());
  std::atomic<bool> done{false};
  std::atomic<int> views{0}, broken{0};
  auto reader = [&] {
    do {
      Status st = storage().View([&](Transaction& txn) -> Status {
        ASSIGN_OR_RETURN(auto a, txn.Get("snap/a"));
        std::this_thread::yield();  // widen the window for a commit to land mid-View
        ASSIGN_OR_RETURN(auto all, txn.Scan("snap/", "", 0));
        ASSIGN_OR_RETURN(auto b, txn.Get("snap/b"));
        bool ok = a.has_value() && a == b && all.size() == 3;
        for (const auto& e : all) ok = ok && e.value == *a;
        if (!ok) broken.fetch_add(1);
        return OkStatus();
      });
      EXPECT_TRUE(st.ok()) << st.ToString();
      views.fetch_add(1);
    } while (!done.load());
  };
  std::thread r1(reader), r2(reader);
  for (int i = 1; i <= 60; ++i) ASSERT_TRUE(write(i).ok());
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(broken.load(), 0);
  EXPECT_GE(views.load(), 2);
  EXPECT_EQ(Get("snap/b"), "60");
}

TEST_P(StorageConformanceTest, ConcurrentUpdatesLoseNoIncrements) {
  constexpr int kThreads = 32, kIncrements = 10;
  auto increment = [](Transaction& txn, const std::string& key) -> Status {
    ASSIGN_OR_RETURN(auto v, txn.Get(key));
    return txn.Put(key, std::to_string((v ? std::stoi(*v) : 0) + 1));
  };
  std::latch start(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      std::string own = "count/" + std::to_string(t);
      for (int i = 0; i < kIncrements; ++i) {
        Status st = storage().Update([&](Transaction& txn) {
          RETURN_IF_ERROR(increment(txn, own));
          return increment(txn, "count/shared");
        });
        if (!st.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(Get("count/" + std::to_string(t)), std::to_string(kIncrements));
  }
  EXPECT_EQ(Get("count/shared"), std::to_string(kThreads * kIncrements));
}

TEST_P(StorageConformanceTest, InsertIfAbsentHasExactlyOneWinner) {
  constexpr int kThreads = 32;
  for (int round = 0; round < 3; ++round) {
    std::string key = "name/" + std::to_string(round);
    std::latch start(kThreads);
    std::vector<Status> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        results[t] = storage().Update([&](Transaction& txn) -> Status {
          ASSIGN_OR_RETURN(auto existing, txn.Get(key));
          if (existing) return AlreadyExistsError("taken", "Conflict");
          RETURN_IF_ERROR(txn.Put(key, std::to_string(t)));
          return txn.Put(key + "/owner-" + std::to_string(t), "1");
        });
      });
    }
    for (auto& th : threads) th.join();
    int winner = -1, ok = 0, conflicts = 0;
    for (int t = 0; t < kThreads; ++t) {
      if (results[t].ok()) ++ok, winner = t;
      if (results[t].code() == StatusCode::kAlreadyExists) ++conflicts;
    }
    ASSERT_EQ(ok, 1) << "round " << round;
    EXPECT_EQ(conflicts, kThreads - 1);
    EXPECT_EQ(Get(key), std::to_string(winner));
    // Losers' dependent writes rolled back with their check.
    EXPECT_EQ(Keys(Scan(key + "/", "", 0)), V{key + "/owner-" + std::to_string(winner)});
  }
}

TEST_P(StorageConformanceTest, LargeValuesRoundTrip) {
  constexpr size_t kMiB = 1024 * 1024;
  std::string v1 = RandomBytes(kMiB, 1), v2 = RandomBytes(kMiB + 3, 2), v3 = RandomBytes(kMiB, 3);
  Put("big/1", v1);
  Put("big/2", v2);
  EXPECT_TRUE(Get("big/1") == v1);
  EXPECT_TRUE(Get("big/2") == v2);
  Put("big/1", v3);
  auto entries = Scan("big/", "", 0);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[0].value == v3);
  EXPECT_TRUE(entries[1].value == v2);
}

}  // namespace
}  // namespace coffer::store
