// Whole-vault backup on the SQLite engine, where a read transaction does not hold writers back:
// a writer adding versions, deleting and creating secrets while the backup runs changes nothing
// in the archive (it is the database at one instant); and a restart (the database reopened by a
// new process) keeps a finished job and reports an interrupted one as Failed, never complete.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <memory>

#include "backup/test_deployment.h"
#include "backup/vault_archive.h"
#include "backup/vault_backup_jobs.h"
#include "crypto/primitives.h"
#include "store/sqlite_storage.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"
#include "vault/vault_registry.h"

namespace coffer::backup {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;
using test_support::MakeVault;
using test_support::SecretValue;

constexpr char kSub[] = "11111111-1111-1111-1111-111111111111";

// One process's view of a data dir: the engine, the barrier and the services over it.
struct Node {
  Node(const std::string& dir, const ManualClock& clock, SecretBytes* unseal_key)
      : storage(std::move(*store::SqliteStorage::Open(dir + "/coffer.db"))),
        barrier(*storage, crypto::SystemRandom()) {
    if (unseal_key->empty()) {
      *unseal_key = *barrier.Initialize();
    } else {
      EXPECT_TRUE(barrier.Unseal(*unseal_key).ok());
    }
    vaults = std::make_unique<vault::VaultRegistry>(barrier, clock, crypto::SystemRandom());
    secrets = std::make_unique<vault::SecretService>(barrier, clock, crypto::SystemRandom());
    keys = std::make_unique<vault::KeyService>(barrier, clock, crypto::SystemRandom());
    archiver = std::make_unique<VaultArchiver>(barrier, crypto::SystemRandom(), clock,
                                               keys->traits());
  }
  model::VaultRecord Vault(const std::string& name) {
    return MakeVault(*vaults, name, kSub, "eastus");
  }

  std::unique_ptr<store::SqliteStorage> storage;
  barrier::Barrier barrier;
  std::unique_ptr<vault::VaultRegistry> vaults;
  std::unique_ptr<vault::SecretService> secrets;
  std::unique_ptr<vault::KeyService> keys;
  std::unique_ptr<VaultArchiver> archiver;
};

class SqliteArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "coffer-vaultbak-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    node_ = std::make_unique<Node>(dir_, clock_, &unseal_key_);
  }
  void TearDown() override {
    node_.reset();
    fs::remove_all(dir_);
  }
  // A new process over the same data dir.
  void Restart() {
    node_.reset();
    node_ = std::make_unique<Node>(dir_, clock_, &unseal_key_);
  }
  static BackupJobOptions Options(std::function<void(std::function<void()>)> run) {
    BackupJobOptions o;
    o.heartbeat_interval = std::chrono::milliseconds(0);
    o.run = std::move(run);
    return o;
  }
  static void RunNow(std::function<void()> work) { work(); }

  std::string dir_;
  ManualClock clock_;
  ManualClock wall_;
  SecretBytes unseal_key_;
  std::unique_ptr<Node> node_;
};

TEST_F(SqliteArchiveTest, WritesDuringTheBackupDoNotChangeTheArchive) {
  model::VaultRecord source = node_->Vault("source");
  model::VaultRecord target = node_->Vault("target");
  constexpr int kSecrets = 30;
  for (int i = 0; i < kSecrets; ++i) {
    std::string name = "s" + std::to_string(i);
    ASSERT_TRUE(node_->secrets->Set(source, name, SecretValue("before-" + name)).ok());
  }
  int seen = 0;
  auto writer = [&] {
    // Another thread writes while the backup's read transaction is open.
    ++seen;
    std::string name = "s" + std::to_string(1 + seen % (kSecrets - 1));  // s0 gets deleted
    std::async(std::launch::async, [&] {
      EXPECT_TRUE(node_->secrets->Set(source, name, SecretValue("during")).ok());
      EXPECT_TRUE(node_->secrets->Set(source, "new-" + std::to_string(seen), SecretValue("x")).ok());
      if (seen == 3) {
        EXPECT_TRUE(node_->secrets->Delete(source, "s0").ok());
      }
    }).get();
  };
  std::string archive;
  StringSink sink(&archive);
  auto summary = node_->archiver->Backup(source, sink, writer);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->counts.objects, static_cast<uint64_t>(kSecrets));
  EXPECT_EQ(summary->counts.versions, static_cast<uint64_t>(kSecrets));
  // The writer did commit: the live vault moved on.
  EXPECT_EQ(node_->secrets->Get(source, "s1", "")->version.value.view(), "during");

  auto outcome = node_->archiver->Restore(target, StringSourceOpener(archive), ArchiveSelection{});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->restored, static_cast<uint64_t>(kSecrets));
  for (int i = 0; i < kSecrets; ++i) {
    std::string name = "s" + std::to_string(i);
    auto got = node_->secrets->Get(target, name, "");
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().ToString();
    EXPECT_EQ(got->version.value.view(), "before-" + name);
    EXPECT_EQ(node_->secrets->ListVersions(target, name, 25, "")->items.size(), 1u);
  }
  EXPECT_FALSE(node_->secrets->Get(target, "new-1", "").ok());
}

TEST_F(SqliteArchiveTest, AFinishedJobSurvivesARestart) {
  model::VaultRecord v = node_->Vault("keeper");
  ASSERT_TRUE(node_->secrets->Set(v, "a", SecretValue("1")).ok());
  std::string job_id;
  {
    VaultBackupJobs jobs(node_->barrier, *node_->archiver, crypto::SystemRandom(), clock_, wall_,
                         Options(RunNow));
    auto job = jobs.StartBackup(v);
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    job_id = job->id;
  }
  Restart();
  VaultBackupJobs jobs(node_->barrier, *node_->archiver, crypto::SystemRandom(), clock_, wall_,
                       Options(RunNow));
  auto job = jobs.GetJob(v, JobKind::kBackup, job_id);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->status, JobStatus::kSucceeded);
  EXPECT_EQ(job->objects, 1u);
  std::string archive;
  StringSink sink(&archive);
  ASSERT_TRUE(jobs.ReadArchive(v, job_id, sink, 1 << 20).ok());
  EXPECT_EQ(archive.size(), job->bytes);
}

TEST_F(SqliteArchiveTest, AJobInterruptedByARestartNeverLooksComplete) {
  model::VaultRecord v = node_->Vault("crashy");
  ASSERT_TRUE(node_->secrets->Set(v, "a", SecretValue("1")).ok());
  std::string job_id;
  {
    // The process "dies" before the job's work runs: the work is dropped.
    VaultBackupJobs jobs(node_->barrier, *node_->archiver, crypto::SystemRandom(), clock_, wall_,
                         Options([](std::function<void()>) {}));
    auto job = jobs.StartBackup(v);
    ASSERT_TRUE(job.ok());
    job_id = job->id;
  }
  Restart();
  VaultBackupJobs jobs(node_->barrier, *node_->archiver, crypto::SystemRandom(), clock_, wall_,
                       Options(RunNow));
  // Another process's job with a fresh heartbeat may still be running somewhere.
  EXPECT_EQ(jobs.GetJob(v, JobKind::kBackup, job_id)->status, JobStatus::kInProgress);
  wall_.Advance(121);
  auto job = jobs.GetJob(v, JobKind::kBackup, job_id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->status, JobStatus::kFailed);
  EXPECT_EQ(job->error_code, "JobInterrupted");
  std::string archive;
  StringSink sink(&archive);
  EXPECT_EQ(jobs.ReadArchive(v, job_id, sink, 1 << 20).code(), StatusCode::kAborted);
  EXPECT_TRUE(archive.empty());
  // A new backup is not held up by the dead one.
  EXPECT_TRUE(jobs.StartBackup(v).ok());
}

TEST_F(SqliteArchiveTest, AJobOfThisNodeFromBeforeARestartIsInterruptedAtOnce) {
  model::VaultRecord v = node_->Vault("crashy-node");
  ASSERT_TRUE(node_->secrets->Set(v, "a", SecretValue("1")).ok());
  auto with_node = [](std::function<void(std::function<void()>)> run, const char* node) {
    BackupJobOptions o = Options(std::move(run));
    o.node_id = node;
    return o;
  };
  std::string job_id;
  {
    VaultBackupJobs jobs(node_->barrier, *node_->archiver, crypto::SystemRandom(), clock_, wall_,
                         with_node([](std::function<void()>) {}, "node-a"));
    auto job = jobs.StartBackup(v);
    ASSERT_TRUE(job.ok());
    job_id = job->id;
  }
  Restart();
  {
    // Another node sees a job with a fresh heartbeat: it may still be running there.
    VaultBackupJobs other(node_->barrier, *node_->archiver, crypto::SystemRandom(), clock_, wall_,
                          with_node(RunNow, "node-b"));
    EXPECT_EQ(other.GetJob(v, JobKind::kBackup, job_id)->status, JobStatus::kInProgress);
    EXPECT_EQ(other.StartBackup(v).status().code(), StatusCode::kAlreadyExists);
  }
  // The node that started it knows, with no wait, that it died with its earlier run.
  VaultBackupJobs jobs(node_->barrier, *node_->archiver, crypto::SystemRandom(), clock_, wall_,
                       with_node(RunNow, "node-a"));
  auto job = jobs.GetJob(v, JobKind::kBackup, job_id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->status, JobStatus::kFailed);
  EXPECT_EQ(job->error_code, "JobInterrupted");
  auto next = jobs.StartBackup(v);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(jobs.GetJob(v, JobKind::kBackup, next->id)->status, JobStatus::kSucceeded);
}

}  // namespace
}  // namespace coffer::backup
