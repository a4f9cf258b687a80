#include "store/pg_storage.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <thread>

#include "store/pg_connection.h"
#include "store/pg_test_support.h"
#include "store/storage_conformance.h"

// The tests that need a server run against COFFER_TEST_PG_URL (a role that owns its database,
// as scripts/pg.sh makes); each gets a fresh schema, dropped afterwards, so tests in parallel
// processes never see each other's rows. Without the variable they skip.

namespace coffer::store {
namespace {

using pg_test::AdminConnection;
using pg_test::DropSchema;
using pg_test::FreshSchemaName;
using pg_test::Url;

using Clock = std::chrono::steady_clock;

void SkipWithoutServer() {
  GTEST_SKIP() << "COFFER_TEST_PG_URL is not set; start a server with `bash scripts/pg.sh start "
                  "DIR` and export the URL it prints (scripts/test.sh does)";
}

// Opens a storage for the PgStorage options with url and schema filled in.
StatusOr<std::unique_ptr<PgStorage>> OpenPg(const std::string& schema, PgOptions options = {}) {
  options.url = Url();
  options.schema = schema;
  options.application_name = schema;
  return PgStorage::Open(std::move(options));
}

// A PgStorage in its own schema, dropped with it: what the conformance suite needs.
class TempPgStorage final : public Storage {
 public:
  TempPgStorage(std::string schema, std::unique_ptr<PgStorage> s)
      : schema_(std::move(schema)), s_(std::move(s)) {}
  ~TempPgStorage() override {
    s_.reset();
    DropSchema(schema_);
  }
  Status Update(const TxnFn& fn) override { return s_->Update(fn); }
  Status View(const TxnFn& fn) override { return s_->View(fn); }

 private:
  std::string schema_;
  std::unique_ptr<PgStorage> s_;
};

INSTANTIATE_TEST_SUITE_P(Pg, StorageConformanceTest,
                         ::testing::Values(StorageFactory([]() -> std::unique_ptr<Storage> {
                           if (Url() == nullptr) {
                             SkipWithoutServer();
                             return nullptr;
                           }
                           std::string schema = FreshSchemaName("coffer_test");
                           auto s = OpenPg(schema);
                           if (!s.ok()) {
                             ADD_FAILURE() << s.status().ToString();
                             return nullptr;
                           }
                           return std::make_unique<TempPgStorage>(schema, std::move(*s));
                         })));

class PgStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Url() == nullptr) {
      SkipWithoutServer();
      return;
    }
    schema_ = FreshSchemaName("coffer_test");
  }
  void TearDown() override {
    if (!schema_.empty()) DropSchema(schema_);
  }

  // Options of an engine with a single pooled connection (round trips and session state can
  // then be counted on it).
  static PgOptions OneConnection() {
    PgOptions options;
    options.max_connections = 1;
    return options;
  }
  std::unique_ptr<PgStorage> OpenOrDie(PgOptions options = {}) {
    auto s = OpenPg(schema_, std::move(options));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  static Status PutKey(Storage& s, const std::string& key, const std::string& value = "v") {
    return s.Update([&](Transaction& txn) { return txn.Put(key, value); });
  }

  static StatusOr<std::optional<std::string>> GetKey(Storage& s, const std::string& key) {
    std::optional<std::string> out;
    RETURN_IF_ERROR(s.View([&](Transaction& txn) {
      ASSIGN_OR_RETURN(out, txn.Get(key));
      return OkStatus();
    }));
    return out;
  }

  // Terminates every server session of this test's engines (their application_name is the
  // schema's name), as a server restart or an idle timeout would, and waits (up to 5 s) until
  // they have exited.
  static int TerminateEngineSessions(const std::string& schema) {
    auto admin = AdminConnection();
    if (!admin) return -1;
    auto n = admin->QueryText(
        "SELECT count(pg_terminate_backend(pid, 5000))::text FROM pg_stat_activity "
        "WHERE application_name = $1 AND pid <> pg_backend_pid()",
        {schema});
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? std::stoi(*n) : -1;
  }

  std::string schema_;
};

// Two storages' groups conflict (SERIALIZABLE): a conflicting group's callers each run again
// alone, and no increment is lost.
TEST_F(PgStorageTest, GroupsOfTwoStoragesLoseNoIncrement) {
  auto a = OpenOrDie(), b = OpenOrDie();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kThreads = 8, kEach = 25;
  std::latch start(2 * kThreads);
  std::vector<std::thread> threads;
  for (PgStorage* s : {a.get(), b.get()}) {
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, s] {
        start.arrive_and_wait();
        for (int i = 0; i < kEach; ++i) {
          Status st = s->Update([](Transaction& txn) -> Status {
            ASSIGN_OR_RETURN(auto v, txn.Get("counter"));
            return txn.Put("counter", std::to_string((v ? std::stoi(*v) : 0) + 1));
          });
          EXPECT_TRUE(st.ok()) << st.ToString();
        }
      });
    }
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(*GetKey(*a, "counter"), std::to_string(2 * kThreads * kEach));
}

TEST_F(PgStorageTest, ConcurrentIncrementsOnFourThreadsLoseNoUpdate) {
  auto s = OpenOrDie();
  ASSERT_NE(s, nullptr);
  constexpr int kThreads = 4, kEach = 50;
  std::latch start(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) {
        Status st = s->Update([](Transaction& txn) -> Status {
          ASSIGN_OR_RETURN(auto v, txn.Get("counter"));
          return txn.Put("counter", std::to_string((v ? std::stoi(*v) : 0) + 1));
        });
        if (!st.ok()) {
          ADD_FAILURE() << st.ToString();
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto v = GetKey(*s, "counter");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, std::to_string(kThreads * kEach));
  EXPECT_EQ(s->Stats().commits, uint64_t{kThreads * kEach});
}

// Group commit: concurrent Updates share transactions; each fn sees the writes of those before
// it in its group, and one that fails takes back only its own writes.
TEST_F(PgStorageTest, ConcurrentUpdatesCommitInGroupsAndAFailingOneTakesBackOnlyItsOwn) {
  auto s = OpenOrDie();
  ASSERT_NE(s, nullptr);
  constexpr int kThreads = 32, kEach = 20;
  std::latch start(kThreads);
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) {
        std::string key = "k-" + std::to_string(t) + "-" + std::to_string(i);
        bool refuse = i % 5 == 0;
        Status st = s->Update([&](Transaction& txn) -> Status {
          RETURN_IF_ERROR(txn.Put(key, "v"));
          ASSIGN_OR_RETURN(auto v, txn.Get("counter"));
          RETURN_IF_ERROR(txn.Put("counter", std::to_string((v ? std::stoi(*v) : 0) + 1)));
          if (refuse) return FailedPreconditionError("refused after writing");
          return OkStatus();
        });
        if (refuse) {
          EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
          refused.fetch_add(1);
        } else {
          EXPECT_TRUE(st.ok()) << st.ToString();
          ok.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(*GetKey(*s, "counter"), std::to_string(ok.load()));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      auto v = GetKey(*s, "k-" + std::to_string(t) + "-" + std::to_string(i));
      ASSERT_TRUE(v.ok());
      EXPECT_EQ(v->has_value(), i % 5 != 0) << t << " " << i;
    }
  }
  PgStats stats = s->Stats();
  EXPECT_EQ(stats.commits, static_cast<uint64_t>(ok.load()));
  EXPECT_GT(stats.batches, 0u) << "32 writers at once never shared a commit";
}

// Two engines on one database, as two Coffer nodes would be: a check and the write that
// depends on it stay atomic across them.
TEST_F(PgStorageTest, InsertIfAbsentHasOneWinnerAcrossTwoStorages) {
  auto a = OpenOrDie(), b = OpenOrDie();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      results[t] = (t % 2 ? *a : *b).Update([t](Transaction& txn) -> Status {
        // An absence check over a range, as "no deleted object under this prefix" is.
        ASSIGN_OR_RETURN(auto taken, txn.Scan("name/", "", 1));
        if (!taken.empty()) return AlreadyExistsError("taken");
        return txn.Put("name/" + std::to_string(t), "1");
      });
    });
  }
  for (auto& th : threads) th.join();
  int ok = 0;
  for (const auto& r : results) {
    if (r.ok()) ++ok;
    else EXPECT_EQ(r.code(), StatusCode::kAlreadyExists) << r.ToString();
  }
  EXPECT_EQ(ok, 1);
  std::vector<Entry> all;
  ASSERT_TRUE(a->View([&](Transaction& txn) -> Status {
                 ASSIGN_OR_RETURN(all, txn.Scan("name/", "", 0));
                 return OkStatus();
               }).ok());
  EXPECT_EQ(all.size(), 1u);
}

TEST_F(PgStorageTest, DataSurvivesCloseAndReopen) {
  {
    auto s = OpenOrDie();
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(PutKey(*s, "a", "1").ok());
  }
  auto s = OpenOrDie();
  ASSERT_NE(s, nullptr);
  auto v = GetKey(*s, "a");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "1");
}

class CountingObserver final : public CommitObserver {
 public:
  void OnCommit(size_t updates, double seconds, bool committed) override {
    (committed ? committed_ : failed_).fetch_add(updates);
    if (seconds < 0) negative_.fetch_add(1);
  }
  std::atomic<size_t> committed_{0}, failed_{0}, negative_{0};
};

// /metrics' storage commits: one report per committed Update; a fn that fails commits nothing.
TEST_F(PgStorageTest, EveryCommitIsReportedToTheObserver) {
  auto s = OpenOrDie();
  ASSERT_NE(s, nullptr);
  CountingObserver observer;
  s->SetCommitObserver(&observer);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(PutKey(*s, "o/" + std::to_string(i)).ok());
  EXPECT_EQ(s->Update([](Transaction& txn) -> Status {
              RETURN_IF_ERROR(txn.Put("o/x", "1"));
              return AlreadyExistsError("taken");
            }).code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(GetKey(*s, "o/0").ok());  // a View commits nothing either
  s->SetCommitObserver(nullptr);
  ASSERT_TRUE(PutKey(*s, "o/after").ok());
  EXPECT_EQ(observer.committed_.load(), 3u);
  EXPECT_EQ(observer.failed_.load(), 0u);
  EXPECT_EQ(observer.negative_.load(), 0u);
}

// More rows than one round trip fetches: the engine pages through them by key.
TEST_F(PgStorageTest, ScanPagesThroughMoreRowsThanOneFetch) {
  auto s = OpenOrDie();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->Update([](Transaction& txn) -> Status {
                 for (int i = 0; i < 1000; ++i) {
                   char key[16];
                   std::snprintf(key, sizeof(key), "s/%04d", i);
                   RETURN_IF_ERROR(txn.Put(key, std::to_string(i)));
                 }
                 return txn.Put("t", "outside");
               }).ok());
  std::vector<Entry> all, some;
  ASSERT_TRUE(s->View([&](Transaction& txn) -> Status {
                 ASSIGN_OR_RETURN(all, txn.Scan("s/", "", 0));
                 ASSIGN_OR_RETURN(some, txn.Scan("s/", "s/0100", 300));
                 return OkStatus();
               }).ok());
  ASSERT_EQ(all.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(all[i].value, std::to_string(i));
  ASSERT_EQ(some.size(), 300u);
  EXPECT_EQ(some.front().key, "s/0101");
  EXPECT_EQ(some.back().key, "s/0400");
}

TEST_F(PgStorageTest, PoolNeverOpensMoreThanMaxConnections) {
  PgOptions options;
  options.max_connections = 2;
  auto s = OpenOrDie(options);
  ASSERT_NE(s, nullptr);
  constexpr int kThreads = 8;
  std::atomic<size_t> most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        Status st = s->Update([&](Transaction& txn) {
          size_t open = s->Stats().open_connections;
          size_t seen = most.load();
          while (open > seen && !most.compare_exchange_weak(seen, open)) {
          }
          return txn.Put("k/" + std::to_string(t), std::to_string(i));
        });
        EXPECT_TRUE(st.ok()) << st.ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(most.load(), 2u);
  EXPECT_GE(most.load(), 1u);
}

// The server dropped the pool's idle connections (a restart, an idle timeout): the next calls
// open fresh ones instead of failing.
TEST_F(PgStorageTest, IdleConnectionsDroppedByTheServerAreReplaced) {
  auto s = OpenOrDie();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(PutKey(*s, "a", "1").ok());
  ASSERT_GE(TerminateEngineSessions(schema_), 1);
  Status st = PutKey(*s, "b", "2");
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto v = GetKey(*s, "a");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "1");
}

// A connection lost inside a transaction (its read has run): Unavailable, nothing written,
// the storage usable. (Writes wait for the COMMIT's round trip, which finds the connection
// gone.)
TEST_F(PgStorageTest, ConnectionLostMidTransactionIsUnavailable) {
  auto s = OpenOrDie();
  ASSERT_NE(s, nullptr);
  Status st = s->Update([&](Transaction& txn) -> Status {
    RETURN_IF_ERROR(txn.Get("lost").status());
    RETURN_IF_ERROR(txn.Put("lost", "1"));
    if (TerminateEngineSessions(schema_) < 1) return InternalError("nothing terminated");
    return txn.Put("lost", "2");
  });
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  auto v = GetKey(*s, "lost");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, std::nullopt);
}

// The state of this test's engine sessions in pg_stat_activity ("idle", "idle in transaction").
std::vector<std::string> SessionStates(PgConnection& admin, const std::string& schema) {
  auto states = admin.QueryText(
      "SELECT coalesce(string_agg(state, ',' ORDER BY state), '') FROM pg_stat_activity "
      "WHERE application_name = $1 AND pid <> pg_backend_pid()",
      {schema});
  EXPECT_TRUE(states.ok()) << states.status().ToString();
  std::vector<std::string> out;
  if (!states.ok() || states->empty()) return out;
  size_t start = 0;
  while (true) {
    size_t comma = states->find(',', start);
    out.push_back(states->substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Issue 10's read path: BEGIN travels with the first statement, GetMany's reads share one
// round trip, and a read-only COMMIT is read with the connection's next request.
TEST_F(PgStorageTest, AViewOfOneGetManyIsOneRoundTrip) {
  auto s = OpenOrDie(OneConnection());
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(PutKey(*s, "a", "1").ok());
  ASSERT_TRUE(PutKey(*s, "b", "2").ok());
  auto round_trips = [&] { return s->Stats().round_trips; };

  uint64_t before = round_trips();
  std::vector<std::optional<std::string>> got;
  ASSERT_TRUE(s->View([&](Transaction& txn) -> Status {
                 ASSIGN_OR_RETURN(got, txn.GetMany({"a", "b", "c"}));
                 return OkStatus();
               }).ok());
  EXPECT_EQ(got, (std::vector<std::optional<std::string>>{"1", "2", std::nullopt}));
  EXPECT_EQ(round_trips() - before, 1u);

  before = round_trips();
  ASSERT_TRUE(s->View([&](Transaction& txn) -> Status {
                 RETURN_IF_ERROR(txn.Get("a").status());
                 return txn.Get("b").status();
               }).ok());
  EXPECT_EQ(round_trips() - before, 2u);

  before = round_trips();
  ASSERT_TRUE(s->View([](Transaction&) { return OkStatus(); }).ok());
  EXPECT_EQ(round_trips() - before, 0u) << "a View that reads nothing opens no transaction";

  // An Update's writes wait for its COMMIT: BEGIN, the write and COMMIT in one round trip.
  before = round_trips();
  ASSERT_TRUE(PutKey(*s, "c", "3").ok());
  EXPECT_EQ(round_trips() - before, 1u);

  // A read after writes sends them first, in its own round trip, and sees them; a key read
  // or written once is not read again.
  before = round_trips();
  std::optional<std::string> d, a;
  ASSERT_TRUE(s->Update([&](Transaction& txn) -> Status {
                 RETURN_IF_ERROR(txn.Put("d", "4"));
                 RETURN_IF_ERROR(txn.Delete("a"));
                 ASSIGN_OR_RETURN(auto seen, txn.Scan("", "", 0));
                 EXPECT_EQ(seen.size(), 3u);  // b, c, d
                 ASSIGN_OR_RETURN(d, txn.Get("d"));
                 ASSIGN_OR_RETURN(a, txn.Get("a"));
                 return txn.Put("e", "5");
               }).ok());
  EXPECT_EQ(d, "4");
  EXPECT_EQ(a, std::nullopt);
  EXPECT_EQ(round_trips() - before, 2u) << "the scan (with BEGIN and the writes), the COMMIT";
  EXPECT_EQ(*GetKey(*s, "e"), "5");
  EXPECT_EQ(*GetKey(*s, "a"), std::nullopt);
}

// Long runs of writes go out in pieces (PgTxn::kMaxPending) and a transaction remembers only
// so many keys (kMaxRemembered): past both, reads still see every write.
TEST_F(PgStorageTest, ManyWritesAndReadsInOneTransactionStayConsistent) {
  auto s = OpenOrDie();
  ASSERT_NE(s, nullptr);
  constexpr int kKeys = 5000;  // beyond kMaxRemembered (4096) and many times kMaxPending (256)
  auto key = [](int i) { return "many/" + std::to_string(100000 + i); };
  ASSERT_TRUE(s->Update([&](Transaction& txn) -> Status {
                 for (int i = 0; i < kKeys; ++i) RETURN_IF_ERROR(txn.Put(key(i), "1"));
                 // Rewrite the last ones (not remembered) and read them back before the COMMIT.
                 for (int i = kKeys - 10; i < kKeys; ++i) RETURN_IF_ERROR(txn.Put(key(i), "2"));
                 for (int i = kKeys - 10; i < kKeys; ++i) {
                   ASSIGN_OR_RETURN(auto v, txn.Get(key(i)));
                   if (v != "2") return InternalError("read " + v.value_or("nothing"));
                 }
                 ASSIGN_OR_RETURN(auto all, txn.Scan("many/", "", 0));
                 if (all.size() != kKeys) return InternalError(std::to_string(all.size()));
                 return txn.Delete(key(0));
               }).ok());
  EXPECT_EQ(*GetKey(*s, key(0)), std::nullopt);
  EXPECT_EQ(*GetKey(*s, key(1)), "1");
  EXPECT_EQ(*GetKey(*s, key(kKeys - 1)), "2");
}

// A write that fails at the COMMIT's round trip fails the whole transaction: nothing of it is
// stored, and the connection is usable again.
TEST_F(PgStorageTest, AWriteFailingWithTheCommitWritesNothing) {
  auto s = OpenOrDie(OneConnection());
  ASSERT_NE(s, nullptr);
  // A key of 64 KiB that does not compress: past the index's row size (about 2.7 KB).
  std::string huge;
  uint32_t x = 12345;
  for (int i = 0; i < (64 << 10); ++i) {
    x = x * 1103515245u + 12345u;
    huge.push_back(static_cast<char>(x >> 24));
  }
  Status st = s->Update([&](Transaction& txn) -> Status {
    RETURN_IF_ERROR(txn.Put("kept-out", "1"));
    return txn.Put(huge, "too long a key for the index");
  });
  EXPECT_FALSE(st.ok()) << "the index took a 64 KiB key";
  EXPECT_EQ(*GetKey(*s, "kept-out"), std::nullopt);
  ASSERT_TRUE(PutKey(*s, "after", "1").ok());
  EXPECT_EQ(*GetKey(*s, "after"), "1");
}

// The COMMIT of a View is not waited for, but it is sent: the session is not left inside a
// transaction (which would hold back vacuum and keep an old snapshot), and the connection's
// next use, read or write, goes on from a clean state.
TEST_F(PgStorageTest, AViewsUnreadCommitStillEndsItsTransaction) {
  auto s = OpenOrDie(OneConnection());
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(PutKey(*s, "a", "1").ok());
  auto v = GetKey(*s, "a");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "1");
  // The server has the COMMIT already; give it a moment to run it (bounded poll, no sleep).
  auto admin = AdminConnection();
  ASSERT_NE(admin, nullptr);
  std::vector<std::string> states;
  for (auto t0 = Clock::now(); Clock::now() - t0 < std::chrono::seconds(5);) {
    states = SessionStates(*admin, schema_);
    if (states == std::vector<std::string>{"idle"}) break;
    std::this_thread::yield();
  }
  EXPECT_EQ(states, std::vector<std::string>{"idle"});
  ASSERT_TRUE(PutKey(*s, "a", "2").ok());
  // A failing View's ROLLBACK is deferred the same way.
  EXPECT_EQ(s->View([](Transaction& txn) -> Status {
              RETURN_IF_ERROR(txn.Get("a").status());
              return NotFoundError("no");
            }).code(),
            StatusCode::kNotFound);
  v = GetKey(*s, "a");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "2");
  EXPECT_EQ(s->Stats().open_connections, 1u);
}

// A pooled connection whose View COMMIT is still unread when the server drops it: the next
// call replaces it instead of failing, for a read and for a write.
TEST_F(PgStorageTest, ADroppedConnectionWithAnUnreadCommitIsReplaced) {
  auto s = OpenOrDie();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(PutKey(*s, "a", "1").ok());
  ASSERT_TRUE(GetKey(*s, "a").ok());
  ASSERT_GE(TerminateEngineSessions(schema_), 1);
  auto v = GetKey(*s, "a");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "1");
  ASSERT_TRUE(GetKey(*s, "a").ok());
  ASSERT_GE(TerminateEngineSessions(schema_), 1);
  Status st = PutKey(*s, "b", "2");
  EXPECT_TRUE(st.ok()) << st.ToString();
}

// A COMMIT answered with a WARNING — what PostgreSQL sends when a commit's wait for the
// synchronous standby is cancelled ("committed locally, might not have been replicated") — is
// not acknowledged: Unavailable, outcome unknown. The write is there (it committed locally),
// as docs/operations.md warns. Here a deferred trigger raises the same warning at COMMIT.
TEST_F(PgStorageTest, ACommitAnsweredWithAWarningIsUnavailableOutcomeUnknown) {
  auto s = OpenOrDie();
  ASSERT_NE(s, nullptr);
  auto admin = AdminConnection();
  ASSERT_NE(admin, nullptr);
  auto quoted = admin->QuoteIdentifier(schema_);
  ASSERT_TRUE(quoted.ok());
  ASSERT_TRUE(admin->Exec(("SET search_path = " + *quoted).c_str()).ok());
  Status st = admin->Exec(
      "CREATE FUNCTION warn_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "RAISE WARNING USING MESSAGE = 'canceling wait for synchronous replication due to user "
      "request', DETAIL = 'The transaction has already committed locally, but might not have "
      "been replicated to the standby.', ERRCODE = '01000'; RETURN NULL; END $$");
  ASSERT_TRUE(st.ok()) << st.ToString();
  st = admin->Exec(
      "CREATE CONSTRAINT TRIGGER warn_at_commit AFTER INSERT ON kv DEFERRABLE INITIALLY "
      "DEFERRED FOR EACH ROW EXECUTE FUNCTION warn_at_commit()");
  ASSERT_TRUE(st.ok()) << st.ToString();

  CountingObserver observer;
  s->SetCommitObserver(&observer);
  st = PutKey(*s, "w", "1");
  s->SetCommitObserver(nullptr);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("outcome of this write is unknown"), std::string::npos)
      << st.message();
  EXPECT_EQ(observer.failed_.load(), 1u);
  EXPECT_EQ(s->Stats().commits, 0u);
  auto v = GetKey(*s, "w");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "1");
  // Without the warning (an update fires no INSERT trigger), the next commit is acknowledged.
  st = PutKey(*s, "w", "2");
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST(PgCommitOutcomeTest, OnlyACommitWithoutWarningsIsAcknowledged) {
  EXPECT_TRUE(CommitOutcome({}).ok());
  Status st = CommitOutcome({PgNotice{"WARNING", "01000",
                                      "canceling wait for synchronous replication due to user "
                                      "request"}});
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("unknown"), std::string::npos) << st.message();
}

// --- Without a server: an unreachable or silent one answers Unavailable in bounded time. ---

// A loopback port with nothing listening: bound, then closed.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(PgStorageUnreachableTest, ClosedPortIsUnavailableAtOnce) {
  PgOptions options;
  options.url = "postgresql://coffer@127.0.0.1:" + std::to_string(ClosedPort()) + "/coffer";
  auto t0 = Clock::now();
  auto s = PgStorage::Open(options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable) << s.status().ToString();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
}

// libpq's reason names the database's host and port; a Status may reach an HTTP client (503
// bodies carry Unavailable messages), so it keeps them out and the server log keeps them.
TEST(PgStorageUnreachableTest, UnreachableServerMessageNamesNoHostOrPort) {
  std::string port = std::to_string(ClosedPort());
  PgOptions options;
  options.url = "postgresql://coffer@127.0.0.1:" + port + "/coffer";
  auto s = PgStorage::Open(options);
  ASSERT_FALSE(s.ok());
  Status st = s.status();
  const std::string& m = st.message();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_EQ(m.find("127.0.0.1"), std::string::npos) << m;
  EXPECT_EQ(m.find(port), std::string::npos) << m;
  EXPECT_NE(m.find("cannot connect to PostgreSQL"), std::string::npos) << m;
}

// A server that accepts TCP connections and never answers (a hung host): connect_timeout
// bounds the wait.
TEST(PgStorageUnreachableTest, SilentServerIsUnavailableWithinConnectTimeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 16), 0);  // the kernel completes handshakes; nobody reads
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  PgOptions options;
  options.url = "postgresql://coffer@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
                "/coffer?sslmode=disable";
  options.connect_timeout_seconds = 2;
  auto t0 = Clock::now();
  auto s = PgStorage::Open(options);
  auto took = Clock::now() - t0;
  ::close(fd);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable) << s.status().ToString();
  EXPECT_GE(took, std::chrono::milliseconds(1500));
  EXPECT_LT(took, std::chrono::seconds(8));
}

TEST(PgStorageOptionsTest, OpenRejectsBadOptionsBeforeConnecting) {
  PgOptions options;
  EXPECT_EQ(PgStorage::Open(options).status().code(), StatusCode::kInvalidArgument);
  options.url = "postgresql://coffer@127.0.0.1:1/coffer";
  options.max_connections = 0;
  EXPECT_EQ(PgStorage::Open(options).status().code(), StatusCode::kInvalidArgument);
  options.max_connections = 1;
  options.schema = "x; DROP TABLE kv";
  EXPECT_EQ(PgStorage::Open(options).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coffer::store
