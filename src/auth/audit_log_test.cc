#include "auth/audit_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/files.h"

namespace coffer::auth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

// Records lines and syncs; can be told to fail either.
class FakeSink final : public AuditSink {
 public:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::string> lines;
    int syncs = 0;
    bool fail_writes = false;
    bool fail_syncs = false;
  };
  explicit FakeSink(std::shared_ptr<State> state) : state_(std::move(state)) {}

  Status Write(std::string_view line) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->fail_writes) return UnavailableError("cannot write audit.jsonl: No space left");
    state_->lines.emplace_back(line);
    return OkStatus();
  }
  Status Sync() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    ++state_->syncs;
    state_->cv.notify_all();
    if (state_->fail_syncs) return UnavailableError("cannot fsync audit.jsonl: I/O error");
    return OkStatus();
  }

 private:
  std::shared_ptr<State> state_;
};

AuditEntry Entry(int status, std::string ip = "10.0.0.7", int64_t time_ms = 1796535496000) {
  AuditEntry e;
  e.time_ms = time_ms;
  e.request_id = "req";
  e.ip = std::move(ip);
  e.plane = "data";
  e.vault = "payments";
  e.operation = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
  e.object_kind = "secret";
  e.object_name = "db-password";
  e.status = status;
  return e;
}

class AuditLogTest : public ::testing::Test {
 protected:
  // A sync interval of an hour: the sync thread never runs on its own during a test.
  std::unique_ptr<AuditLog> OpenFake(std::chrono::milliseconds interval = 1h,
                                     bool aggregate = true) {
    AuditLogOptions options;
    options.sync_interval = interval;
    options.aggregate_unauthorized = aggregate;
    return AuditLog::OpenWithSink(std::make_unique<FakeSink>(state_), options);
  }
  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->lines;
  }

  std::shared_ptr<FakeSink::State> state_ = std::make_shared<FakeSink::State>();
};

TEST_F(AuditLogTest, AppendWritesOneWholeLineBeforeReturning) {
  auto log = OpenFake();
  ASSERT_TRUE(log->Append(Entry(200)).ok());
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], FormatAuditLine(Entry(200)) + "\n");
}

TEST_F(AuditLogTest, AppendFailsWithUnavailableWhenTheSinkCannotWrite) {
  auto log = OpenFake();
  state_->fail_writes = true;
  Status s = log->Append(Entry(200));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("No space left"), std::string::npos) << s.message();
  state_->fail_writes = false;
  EXPECT_TRUE(log->Append(Entry(200)).ok());
}

TEST_F(AuditLogTest, AppendFailsAfterAFailedSyncUntilASyncSucceeds) {
  auto log = OpenFake();
  ASSERT_TRUE(log->Append(Entry(200)).ok());
  state_->fail_syncs = true;
  EXPECT_EQ(log->Flush().code(), StatusCode::kUnavailable);
  Status s = log->Append(Entry(200));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("I/O error"), std::string::npos) << s.message();
  EXPECT_EQ(Lines().size(), 1u) << "nothing is written while the log cannot be synced";
  state_->fail_syncs = false;
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_TRUE(log->Append(Entry(200)).ok());
}

TEST_F(AuditLogTest, SyncThreadSyncsSoonAfterAWrite) {
  auto log = OpenFake(/*interval=*/1ms);
  ASSERT_TRUE(log->Append(Entry(200)).ok());
  std::unique_lock<std::mutex> lock(state_->mu);
  // Waits for the event, not for a time: the deadline only bounds a broken build.
  EXPECT_TRUE(state_->cv.wait_for(lock, 30s, [&] { return state_->syncs >= 1; }));
}

TEST_F(AuditLogTest, SyncThreadRetriesAFailedSyncWithoutNewWrites) {
  auto log = OpenFake(/*interval=*/1ms);
  state_->fail_syncs = true;
  ASSERT_TRUE(log->Append(Entry(200)).ok());
  {
    // Appends are refused after the first failure, so only the retry loop can sync again.
    std::unique_lock<std::mutex> lock(state_->mu);
    ASSERT_TRUE(state_->cv.wait_for(lock, 30s, [&] { return state_->syncs >= 3; }));
    state_->fail_syncs = false;
  }
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_TRUE(log->Append(Entry(200)).ok());
}

TEST_F(AuditLogTest, DestructorSyncsALastTime) {
  auto log = OpenFake();
  ASSERT_TRUE(log->Append(Entry(200)).ok());
  log.reset();
  std::lock_guard<std::mutex> lock(state_->mu);
  EXPECT_GE(state_->syncs, 1);
}

TEST_F(AuditLogTest, IdenticalUnauthorizedFromOneAddressAreAggregated) {
  auto log = OpenFake();
  const int64_t t = 1796535496000;
  ASSERT_TRUE(log->Append(Entry(401, "10.0.0.7", t)).ok());
  ASSERT_TRUE(log->Append(Entry(401, "10.0.0.7", t + 100)).ok());
  ASSERT_TRUE(log->Append(Entry(401, "10.0.0.7", t + 200)).ok());
  ASSERT_TRUE(log->Append(Entry(401, "10.0.0.7", t + 999)).ok());
  ASSERT_TRUE(log->Append(Entry(401, "10.0.0.8", t + 300)).ok());  // another address
  ASSERT_TRUE(log->Append(Entry(200, "10.0.0.7", t + 300)).ok());  // not a 401
  ASSERT_EQ(Lines().size(), 3u);
  // The window has ended: the aggregated line goes out, then this request's own line.
  ASSERT_TRUE(log->Append(Entry(401, "10.0.0.7", t + 1000)).ok());
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 5u);
  json aggregated = json::parse(lines[3]);
  EXPECT_EQ(aggregated["count"], 3);
  EXPECT_EQ(aggregated["status"], 401);
  EXPECT_EQ(aggregated["time"], "2026-12-06T05:38:16.100Z") << "time of the first repeat";
  EXPECT_FALSE(json::parse(lines[4]).contains("count"));
  // A single repeat is written as a plain line when the window is flushed.
  ASSERT_TRUE(log->Append(Entry(401, "10.0.0.7", t + 1001)).ok());
  ASSERT_TRUE(log->Flush().ok());
  lines = Lines();
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_FALSE(json::parse(lines[5]).contains("count"));
}

TEST_F(AuditLogTest, UnauthorizedOnDifferentObjectsAreNotAggregated) {
  auto log = OpenFake();
  AuditEntry a = Entry(401), b = Entry(401);
  b.object_name = "other";
  ASSERT_TRUE(log->Append(a).ok());
  ASSERT_TRUE(log->Append(b).ok());
  ASSERT_TRUE(log->Append(Entry(403)).ok());
  ASSERT_TRUE(log->Append(Entry(403)).ok());
  EXPECT_EQ(Lines().size(), 4u);
}

TEST_F(AuditLogTest, AggregationCanBeTurnedOff) {
  auto log = OpenFake(1h, /*aggregate=*/false);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->Append(Entry(401)).ok());
  EXPECT_EQ(Lines().size(), 3u);
}

TEST_F(AuditLogTest, DestructorWritesPendingAggregatedLines) {
  auto log = OpenFake();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(log->Append(Entry(401)).ok());
  log.reset();
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[1])["count"], 3);
}

class AuditLogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "coffer-auditlog-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    options_.path = dir_ + "/audit.jsonl";
    options_.sync_interval = 1h;
    options_.path_check_interval = 0ms;  // detect a removed file before the next line
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string dir_;
  AuditLogOptions options_;
};

TEST_F(AuditLogFileTest, OpenFailsWithUnavailableNamingThePath) {
  options_.path = dir_ + "/no-such-dir/audit.jsonl";
  auto log = AuditLog::Open(options_);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(log.status().message().find(options_.path), std::string::npos);
}

TEST_F(AuditLogFileTest, AppendFailsWhenThePathWasReplacedByADirectory) {
  auto log = AuditLog::Open(options_);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_TRUE((*log)->Append(Entry(200)).ok());
  fs::remove(options_.path);
  fs::create_directory(options_.path);
  EXPECT_EQ((*log)->Append(Entry(200)).code(), StatusCode::kUnavailable);
}

TEST_F(AuditLogFileTest, ConcurrentAppendsProduceWholeLinesOnly) {
  options_.max_size_bytes = 64 << 10;  // rotations happen while the threads write
  options_.keep = 1000;
  auto opened = AuditLog::Open(options_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto log = std::move(opened).value();
  constexpr int kThreads = 8, kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AuditEntry e = Entry(200);
        e.request_id = std::to_string(t) + "-" + std::to_string(i);
        e.object_name = std::string(static_cast<size_t>(i % 200), 'x');  // lines of many sizes
        EXPECT_TRUE(log->Append(e).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(log->Flush().ok());
  std::set<std::string> ids;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    auto text = ReadFile(entry.path().string());
    ASSERT_TRUE(text.ok());
    ASSERT_TRUE(text->empty() || text->back() == '\n') << entry.path();
    size_t start = 0;
    for (size_t nl; (nl = text->find('\n', start)) != std::string::npos; start = nl + 1) {
      json j = json::parse(text->substr(start, nl - start), nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << "torn line in " << entry.path();
      EXPECT_TRUE(ids.insert(j["requestId"].get<std::string>()).second);
    }
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_TRUE(fs::exists(dir_ + "/audit.1.jsonl")) << "the test should have rotated";
}

}  // namespace
}  // namespace coffer::auth
