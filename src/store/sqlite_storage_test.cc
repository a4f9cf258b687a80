#include "store/sqlite_storage.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "store/storage_conformance.h"

namespace coffer::store {
namespace {

namespace fs = std::filesystem;

std::string MakeTempDir() {
  std::string tmpl = (fs::temp_directory_path() / "coffer-store-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

// A SqliteStorage in its own temp dir, removed with it: what the conformance suite needs.
class TempSqliteStorage final : public Storage {
 public:
  TempSqliteStorage(std::string dir, std::unique_ptr<SqliteStorage> s)
      : dir_(std::move(dir)), s_(std::move(s)) {}
  ~TempSqliteStorage() override {
    s_.reset();
    fs::remove_all(dir_);
  }
  Status Update(const TxnFn& fn) override { return s_->Update(fn); }
  Status View(const TxnFn& fn) override { return s_->View(fn); }

 private:
  std::string dir_;
  std::unique_ptr<SqliteStorage> s_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, StorageConformanceTest,
                         ::testing::Values(StorageFactory([]() -> std::unique_ptr<Storage> {
                           std::string dir = MakeTempDir();
                           auto s = SqliteStorage::Open(dir + "/coffer.db");
                           if (!s.ok()) {
                             ADD_FAILURE() << s.status().ToString();
                             fs::remove_all(dir);
                             return nullptr;
                           }
                           return std::make_unique<TempSqliteStorage>(dir, std::move(*s));
                         })));

class SqliteStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    ASSERT_FALSE(dir_.empty());
    path_ = dir_ + "/coffer.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<SqliteStorage> OpenOrDie(SqliteOptions options = {}) {
    auto s = SqliteStorage::Open(path_, options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  static Status PutKey(Storage& s, const std::string& key, const std::string& value = "v") {
    return s.Update([&](Transaction& txn) { return txn.Put(key, value); });
  }

  static std::optional<std::string> GetKey(Storage& s, const std::string& key) {
    std::optional<std::string> out;
    Status st = s.View([&](Transaction& txn) {
      ASSIGN_OR_RETURN(out, txn.Get(key));
      return OkStatus();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  }

  // Bounded polling: true once pred() holds, false after ~10 s.
  template <typename Pred>
  static bool WaitFor(Pred pred) {
    for (int i = 0; i < 10000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return pred();
  }

  std::string dir_, path_;
};

TEST_F(SqliteStorageTest, DataSurvivesCloseAndReopen) {
  {
    auto s = OpenOrDie();
    ASSERT_TRUE(PutKey(*s, "a", "1").ok());
    ASSERT_TRUE(PutKey(*s, "b", "2").ok());
    ASSERT_TRUE(s->Update([](Transaction& txn) { return txn.Delete("b"); }).ok());
  }
  auto s = OpenOrDie();
  EXPECT_EQ(GetKey(*s, "a"), "1");
  EXPECT_EQ(GetKey(*s, "b"), std::nullopt);
}

TEST_F(SqliteStorageTest, DatabaseIsInWalMode) {
  auto s = OpenOrDie();
  ASSERT_TRUE(PutKey(*s, "a").ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// The "unix-excl" VFS keeps the WAL index in this process's memory, so read transactions take
// no fcntl locks on a -shm file (there is none) and readers on two threads do not contend on
// it; the process holds the database exclusively, as the data-dir lock already requires.
TEST_F(SqliteStorageTest, WalIndexLivesInProcessMemory) {
  auto s = OpenOrDie();
  ASSERT_TRUE(PutKey(*s, "a").ok());
  EXPECT_EQ(GetKey(*s, "a"), "v");
  EXPECT_TRUE(fs::exists(path_ + "-wal"));
  EXPECT_FALSE(fs::exists(path_ + "-shm"));
}

TEST_F(SqliteStorageTest, DatabaseFilesArePrivate) {
  // An existing, world-readable file is tightened too.
  std::ofstream(path_).close();
  fs::permissions(path_, fs::perms(0644));
  auto s = OpenOrDie();
  ASSERT_TRUE(PutKey(*s, "a").ok());
  for (const std::string& f : {path_, path_ + "-wal"}) {
    ASSERT_TRUE(fs::exists(f)) << f;
    EXPECT_EQ(fs::status(f).permissions() & fs::perms::all, fs::perms(0600)) << f;
  }
}

TEST_F(SqliteStorageTest, OpenRejectsAFileThatIsNotADatabase) {
  std::ofstream(path_) << std::string(4096, 'x');
  auto s = SqliteStorage::Open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kDataLoss) << s.status().ToString();
}

TEST_F(SqliteStorageTest, OpenInMissingDirectoryIsUnavailable) {
  auto s = SqliteStorage::Open(dir_ + "/missing/coffer.db");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable) << s.status().ToString();
}

TEST_F(SqliteStorageTest, ThrowingFnBecomesInternalErrorAndTheWriterSurvives) {
  auto s = OpenOrDie();
  Status st = s->Update([](Transaction& txn) -> Status {
    (void)txn.Put("x", "1");
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_EQ(GetKey(*s, "x"), std::nullopt);
  EXPECT_TRUE(PutKey(*s, "y").ok());
}

// Holds the writer inside one Update until `release` so that later callers pile up in the
// queue and are committed together in the next batch.
class WriterBlocker {
 public:
  explicit WriterBlocker(SqliteStorage& s) {
    thread_ = std::thread([this, &s] {
      status_ = s.Update([this](Transaction& txn) {
        entered_.set_value();
        release_.get_future().wait();
        return txn.Put("blocker", "1");
      });
    });
    entered_future_.wait();
  }
  Status Release() {
    release_.set_value();
    thread_.join();
    return status_;
  }

 private:
  std::promise<void> entered_;
  std::future<void> entered_future_ = entered_.get_future();
  std::promise<void> release_;
  Status status_;
  std::thread thread_;
};

TEST_F(SqliteStorageTest, OneFailingCallInABatchDoesNotStopTheOthers) {
  auto s = OpenOrDie();
  constexpr int kCallers = 8, kFailing = 3;
  WriterBlocker blocker(*s);
  SqliteStats before = s->Stats();

  std::vector<Status> results(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      results[i] = s->Update([i](Transaction& txn) -> Status {
        RETURN_IF_ERROR(txn.Put("batch/" + std::to_string(i), "x"));
        if (i == kFailing) return AlreadyExistsError("conflict");
        return OkStatus();
      });
    });
  }
  ASSERT_TRUE(WaitFor([&] { return s->Stats().queued == kCallers; }));
  EXPECT_TRUE(blocker.Release().ok());
  for (auto& t : callers) t.join();

  SqliteStats after = s->Stats();
  EXPECT_EQ(after.commits - before.commits, 2u);  // the blocker's batch, then all eight at once
  EXPECT_EQ(after.calls - before.calls, kCallers + 1u);
  for (int i = 0; i < kCallers; ++i) {
    if (i == kFailing) {
      EXPECT_EQ(results[i].code(), StatusCode::kAlreadyExists);
      EXPECT_EQ(GetKey(*s, "batch/" + std::to_string(i)), std::nullopt);
    } else {
      EXPECT_TRUE(results[i].ok()) << results[i].ToString();
      EXPECT_EQ(GetKey(*s, "batch/" + std::to_string(i)), "x");
    }
  }
}

TEST_F(SqliteStorageTest, LaterCallsInABatchSeeEarlierOnesWrites) {
  auto s = OpenOrDie();
  WriterBlocker blocker(*s);
  std::vector<Status> results(2);
  std::thread first([&] { results[0] = PutKey(*s, "name", "first"); });
  ASSERT_TRUE(WaitFor([&] { return s->Stats().queued == 1; }));
  std::thread second([&] {
    results[1] = s->Update([](Transaction& txn) -> Status {
      ASSIGN_OR_RETURN(auto v, txn.Get("name"));
      if (v) return AlreadyExistsError("taken");
      return txn.Put("name", "second");
    });
  });
  ASSERT_TRUE(WaitFor([&] { return s->Stats().queued == 2; }));
  EXPECT_TRUE(blocker.Release().ok());
  first.join();
  second.join();
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(GetKey(*s, "name"), "first");
}

TEST_F(SqliteStorageTest, GroupCommitBatchesConcurrentCallers) {
  auto s = OpenOrDie();
  constexpr int kThreads = 64, kEach = 4;
  SqliteStats before = s->Stats();
  std::latch start(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) {
        if (!PutKey(*s, "g/" + std::to_string(t) + "/" + std::to_string(i)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  SqliteStats after = s->Stats();
  EXPECT_EQ(failures.load(), 0);
  uint64_t calls = after.calls - before.calls, commits = after.commits - before.commits;
  EXPECT_EQ(calls, uint64_t{kThreads * kEach});
  EXPECT_LT(commits, calls) << "no two Updates shared a commit";
  EXPECT_GE(commits, 1u);
}

TEST_F(SqliteStorageTest, MaxBatchBoundsABatch) {
  SqliteOptions options;
  options.max_batch = 2;
  auto s = OpenOrDie(options);
  WriterBlocker blocker(*s);
  std::vector<std::thread> callers;
  for (int i = 0; i < 5; ++i) callers.emplace_back([&, i] { (void)PutKey(*s, std::to_string(i)); });
  ASSERT_TRUE(WaitFor([&] { return s->Stats().queued == 5; }));
  uint64_t before = s->Stats().commits;
  EXPECT_TRUE(blocker.Release().ok());
  for (auto& t : callers) t.join();
  EXPECT_EQ(s->Stats().commits - before, 1u + 3u);  // blocker, then batches of 2, 2, 1
}

// Records what the engine reports of each commit.
struct RecordingObserver final : CommitObserver {
  void OnCommit(size_t updates, double seconds, bool committed) override {
    std::lock_guard lock(mu);
    batches.push_back(committed ? static_cast<int>(updates) : -static_cast<int>(updates));
    EXPECT_GE(seconds, 0.0);
  }
  std::vector<int> Batches() {
    std::lock_guard lock(mu);
    return batches;
  }
  std::mutex mu;
  std::vector<int> batches;  // updates per commit; negative: the batch failed
};

TEST_F(SqliteStorageTest, EachCommitIsReportedWithItsBatchSize) {
  SqliteOptions options;
  options.max_batch = 2;
  auto s = OpenOrDie(options);
  RecordingObserver observer;
  s->SetCommitObserver(&observer);
  WriterBlocker blocker(*s);
  std::vector<std::thread> callers;
  for (int i = 0; i < 5; ++i) callers.emplace_back([&, i] { (void)PutKey(*s, std::to_string(i)); });
  ASSERT_TRUE(WaitFor([&] { return s->Stats().queued == 5; }));
  EXPECT_TRUE(blocker.Release().ok());
  for (auto& t : callers) t.join();
  EXPECT_EQ(observer.Batches(), (std::vector<int>{1, 2, 2, 1}));
  s->SetCommitObserver(nullptr);
  ASSERT_TRUE(PutKey(*s, "unobserved").ok());
  EXPECT_EQ(observer.Batches().size(), 4u);
}

// A child process acknowledges keys over a pipe only after Update returned; it is SIGKILLed
// mid-stream. Every acknowledged key must be in the database afterwards.
TEST_F(SqliteStorageTest, AcknowledgedUpdatesSurviveSigkill) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto s = SqliteStorage::Open(path_);
    if (!s.ok()) ::_exit(2);
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; i < 1000000; ++i) {
          std::string key = "ack/" + std::to_string(w) + "/" + std::to_string(i);
          if (!PutKey(**s, key, std::string(200, 'v')).ok()) ::_exit(3);
          std::string line = key + "\n";  // < PIPE_BUF: written atomically
          if (::write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
            ::_exit(4);
          }
        }
      });
    }
    for (auto& t : writers) t.join();
    ::_exit(0);
  }
  ::close(fds[1]);

  std::string received;
  auto lines = [&] { return std::count(received.begin(), received.end(), '\n'); };
  char buf[4096];
  bool killed = false;
  while (true) {
    ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child is gone and every acknowledgement is read
    received.append(buf, static_cast<size_t>(n));
    if (!killed && lines() >= 300) {
      ASSERT_EQ(::kill(pid, SIGKILL), 0);
      killed = true;
    }
  }
  ::close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
      << "child did not die by SIGKILL; exit status " << WEXITSTATUS(wstatus);

  std::set<std::string> acked;
  size_t start = 0;
  for (size_t nl; (nl = received.find('\n', start)) != std::string::npos; start = nl + 1) {
    acked.insert(received.substr(start, nl - start));
  }
  ASSERT_GE(acked.size(), 300u);
  auto s = OpenOrDie();
  ASSERT_NE(s, nullptr);
  size_t missing = 0;
  Status st = s->View([&](Transaction& txn) -> Status {
    for (const auto& key : acked) {
      ASSIGN_OR_RETURN(auto v, txn.Get(key));
      if (!v) ++missing;
    }
    return OkStatus();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged keys";
}

}  // namespace
}  // namespace coffer::store
