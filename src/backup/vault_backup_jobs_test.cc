// Whole-vault backup and restore jobs: a backup job's archive is stored in chunks and read back
// as one archive; the next backup replaces it; the sweeper removes finished jobs after 24 hours
// of domain time; a restore is refused at once when it needs no work to refuse; a failed job
// keeps no archive; while storage is read-only (failover) a backup job lives on this node.
#include "backup/vault_backup_jobs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <vector>

#include "backup/test_deployment.h"
#include "vault/keyspace.h"
#include "vault/sweeper.h"

namespace coffer::backup {
namespace {

using ::testing::HasSubstr;
using test_support::SecretValue;

class VaultBackupJobsTest : public test_support::DeploymentTest {
 protected:
  // Jobs run when the test says so (RunPending), on the test's thread.
  BackupJobOptions Options() {
    BackupJobOptions o;
    o.heartbeat_interval = std::chrono::milliseconds(0);
    o.chunk_bytes = 100;  // many chunks, several transactions
    o.chunks_per_transaction = 3;
    o.run = [this](std::function<void()> work) { pending_.push_back(std::move(work)); };
    o.storage_writable = [this] { return !read_only_.load(); };
    return o;
  }
  // Storage refuses writes (and says so) as on a node serving from the paired region.
  void ReadOnly(bool on) {
    read_only_ = on;
    d_.scripted.SetReadOnly(on);
  }
  void RunPending() {
    auto work = std::move(pending_);
    pending_.clear();
    for (auto& w : work) w();
  }
  BackupJob BackupNow(const model::VaultRecord& v) {
    auto job = jobs_.StartBackup(v);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    RunPending();
    return job.ok() ? *job : BackupJob{};
  }
  std::string Content(const model::VaultRecord& v, const std::string& id) {
    std::string out;
    StringSink sink(&out);
    Status s = jobs_.ReadArchive(v, id, sink, 1 << 20);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  size_t StoredKeys(std::string_view prefix) {
    size_t n = 0;
    EXPECT_TRUE(d_.barrier.View([&](barrier::Txn& t) -> Status {
      ASSIGN_OR_RETURN(auto keys, t.ScanKeys(prefix, "", 0));
      n = keys.size();
      return OkStatus();
    }).ok());
    return n;
  }

  std::vector<std::function<void()>> pending_;
  std::atomic<bool> read_only_{false};
  ManualClock wall_;
  VaultArchiver archiver_{d_.barrier, crypto::SystemRandom(), d_.clock, d_.keys.traits()};
  VaultBackupJobs jobs_{d_.barrier, archiver_, crypto::SystemRandom(), d_.clock, wall_,
                        Options()};
};

TEST_F(VaultBackupJobsTest, ABackupJobsArchiveRestoresIntoAnotherVault) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(d_.secrets.Set(east_, "s" + std::to_string(i), SecretValue(std::string(50, 'v'))).ok());
  }
  auto started = jobs_.StartBackup(east_);
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->status, JobStatus::kInProgress);
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kBackup, started->id)->status, JobStatus::kInProgress);
  std::string none;
  StringSink sink(&none);
  EXPECT_EQ(jobs_.ReadArchive(east_, started->id, sink, 1 << 20).code(), StatusCode::kAborted);
  // One backup of a vault at a time.
  EXPECT_EQ(jobs_.StartBackup(east_).status().code(), StatusCode::kAlreadyExists);
  RunPending();

  auto done = jobs_.GetJob(east_, JobKind::kBackup, started->id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, JobStatus::kSucceeded) << done->error_message;
  EXPECT_EQ(done->objects, 20u);
  ASSERT_TRUE(done->end);
  std::string archive = Content(east_, started->id);
  EXPECT_EQ(archive.size(), done->bytes);
  EXPECT_GT(done->chunks, 3u);  // stored across several transactions
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kRestore, started->id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(jobs_.GetJob(west_, JobKind::kBackup, started->id).status().code(),
            StatusCode::kNotFound);
  std::string capped;
  StringSink capped_sink(&capped);
  EXPECT_EQ(jobs_.ReadArchive(east_, started->id, capped_sink, 10).code(),
            StatusCode::kFailedPrecondition);

  auto restore = jobs_.StartRestore(west_, archive, ArchiveSelection{});
  ASSERT_TRUE(restore.ok()) << restore.status().ToString();
  EXPECT_EQ(restore->objects, 20u);  // what the verified archive holds
  RunPending();
  auto restored = jobs_.GetJob(west_, JobKind::kRestore, restore->id);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->status, JobStatus::kSucceeded) << restored->error_message;
  EXPECT_EQ(restored->restored, 20u);
  EXPECT_TRUE(d_.secrets.Get(west_, "s7", "").ok());
}

// The restore job's transaction run twice (a serialization conflict on PostgreSQL): the job
// succeeds and counts each object once.
TEST_F(VaultBackupJobsTest, ARestoreJobWhoseTransactionRunsAgainSucceeds) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(d_.secrets.Set(east_, "s" + std::to_string(i), SecretValue("v" + std::to_string(i))).ok());
  }
  std::string archive = Content(east_, BackupNow(east_).id);
  auto restore = jobs_.StartRestore(west_, archive, ArchiveSelection{});
  ASSERT_TRUE(restore.ok()) << restore.status().ToString();
  int reruns = d_.scripted.reruns();
  d_.scripted.RerunNextUpdate();  // the restore's own transaction: the next Update the job makes
  RunPending();
  EXPECT_EQ(d_.scripted.reruns(), reruns + 1);
  auto restored = jobs_.GetJob(west_, JobKind::kRestore, restore->id);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->status, JobStatus::kSucceeded) << restored->error_message;
  EXPECT_EQ(restored->restored, 20u);
  for (int i = 0; i < 20; ++i) {
    auto got = d_.secrets.Get(west_, "s" + std::to_string(i), "");
    ASSERT_TRUE(got.ok()) << i;
    EXPECT_EQ(got->version.value.view(), "v" + std::to_string(i));
  }
}

TEST_F(VaultBackupJobsTest, RestoreRefusalsNeedNoJob) {
  ASSERT_TRUE(d_.secrets.Set(east_, "a", SecretValue("1")).ok());
  std::string archive = Content(east_, BackupNow(east_).id);
  ASSERT_TRUE(d_.secrets.Set(west_, "b", SecretValue("2")).ok());
  EXPECT_EQ(jobs_.StartRestore(west_, archive, ArchiveSelection{}).status().code(),
            StatusCode::kAlreadyExists);
  std::string damaged = archive;
  damaged[damaged.size() / 2] ^= 1;
  EXPECT_EQ(jobs_.StartRestore(west_, damaged, *ArchiveSelection::Parse("secrets/a"))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_THAT(jobs_.StartRestore(europe_, archive, ArchiveSelection{}).status().message(),
              HasSubstr("geography"));
  EXPECT_TRUE(pending_.empty());
  EXPECT_EQ(StoredKeys("bjob/" + west_.id + "/"), 0u);
}

TEST_F(VaultBackupJobsTest, TheNextBackupReplacesTheArchiveAndJobsExpireAfter24Hours) {
  ASSERT_TRUE(d_.secrets.Set(east_, "a", SecretValue(std::string(500, 'x'))).ok());
  BackupJob first = BackupNow(east_);
  BackupJob second = BackupNow(east_);
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kBackup, first.id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(StoredKeys("bak/" + east_.id + "/" + first.id + "/"), 0u);
  EXPECT_GT(StoredKeys("bak/" + east_.id + "/" + second.id + "/"), 0u);

  vault::Sweeper sweeper(d_.barrier, d_.vaults, d_.clock);
  sweeper.Handle(vault::DueAction::kExpireBackupJob, model::ObjectKind::kKey,
                 [this](const vault::DueEntry& e, const std::string& key, UnixSeconds now) {
                   return jobs_.ExpireIfDue(e, key, now);
                 });
  d_.clock.Advance(24 * 3600 - 10);
  ASSERT_TRUE(sweeper.SweepOnce().ok());
  EXPECT_TRUE(jobs_.GetJob(east_, JobKind::kBackup, second.id).ok());
  d_.clock.Advance(20);
  // Gone for readers at once, and from storage at the next sweep.
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kBackup, second.id).status().code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(sweeper.SweepOnce().ok());
  EXPECT_EQ(StoredKeys("bak/" + east_.id + "/"), 0u);
  EXPECT_EQ(StoredKeys("bjob/" + east_.id + "/"), 0u);
  EXPECT_EQ(StoredKeys("due/"), 0u);
}

// The archive streamed chunk by chunk equals the one read whole; a chunk that goes away
// mid-stream (the next backup replaced the archive) stops the stream with a failure.
TEST_F(VaultBackupJobsTest, TheArchiveStreamsChunkByChunkAndStopsWhenItIsReplaced) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(d_.secrets.Set(east_, "s" + std::to_string(i), SecretValue(std::string(80, 'v'))).ok());
  }
  auto done = jobs_.GetJob(east_, JobKind::kBackup, BackupNow(east_).id);
  ASSERT_TRUE(done.ok());
  const BackupJob& job = *done;
  auto running = jobs_.StartBackup(east_);  // not yet run: the content is not available
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(jobs_.StreamArchive(east_, running->id).status().code(), StatusCode::kAborted);
  auto stream = jobs_.StreamArchive(east_, job.id);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  EXPECT_EQ(stream->bytes, job.bytes);
  std::string streamed;
  size_t pieces = 0;
  while (true) {
    std::string piece;
    ASSERT_TRUE(stream->next(&piece));
    if (piece.empty()) break;
    EXPECT_LE(piece.size(), 100u);  // one stored chunk (chunk_bytes) per piece
    streamed += piece;
    ++pieces;
  }
  EXPECT_EQ(pieces, job.chunks);
  EXPECT_EQ(streamed, Content(east_, job.id));

  auto cut = jobs_.StreamArchive(east_, job.id);
  ASSERT_TRUE(cut.ok());
  std::string first;
  ASSERT_TRUE(cut->next(&first));
  EXPECT_FALSE(first.empty());
  RunPending();  // the second backup succeeds and drops the first one's archive
  std::string rest;
  EXPECT_FALSE(cut->next(&rest));
  EXPECT_TRUE(rest.empty());
}

TEST_F(VaultBackupJobsTest, AFailedBackupKeepsNoArchiveAndSaysWhy) {
  BackupJobOptions o = Options();
  o.spool_dir = "/nonexistent-coffer-spool";
  VaultBackupJobs jobs(d_.barrier, archiver_, crypto::SystemRandom(), d_.clock, wall_, o);
  auto job = jobs.StartBackup(east_);
  ASSERT_TRUE(job.ok());
  RunPending();
  auto failed = jobs.GetJob(east_, JobKind::kBackup, job->id);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, JobStatus::kFailed);
  EXPECT_THAT(failed->error_message, HasSubstr("/nonexistent-coffer-spool"));
  EXPECT_EQ(StoredKeys("bak/"), 0u);
  EXPECT_TRUE(jobs.StartBackup(east_).ok());  // not held up by the failed one
}

// While storage does not accept writes (a node serving read-only from the paired region), a
// backup job lives on this node only: nothing is stored, it is polled and its content read
// like a stored one, a restore (a write) is refused, and after failback the job is still here.
TEST_F(VaultBackupJobsTest, ABackupWhileStorageIsReadOnlyLivesOnThisNodeAndRestores) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(d_.secrets.Set(east_, "s" + std::to_string(i), SecretValue("v" + std::to_string(i))).ok());
  }
  ReadOnly(true);
  EXPECT_EQ(d_.secrets.Set(east_, "refused", SecretValue("x")).status().code(),
            StatusCode::kUnavailable);
  auto started = jobs_.StartBackup(east_);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->status, JobStatus::kInProgress);
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kBackup, started->id)->status, JobStatus::kInProgress);
  EXPECT_EQ(jobs_.StartBackup(east_).status().code(), StatusCode::kAlreadyExists);
  std::string none;
  StringSink sink(&none);
  EXPECT_EQ(jobs_.ReadArchive(east_, started->id, sink, 1 << 20).code(), StatusCode::kAborted);
  RunPending();

  auto done = jobs_.GetJob(east_, JobKind::kBackup, started->id);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->status, JobStatus::kSucceeded) << done->error_message;
  EXPECT_EQ(done->objects, 20u);
  EXPECT_TRUE(done->end);
  EXPECT_THAT(done->status_details, HasSubstr("20 objects"));
  EXPECT_EQ(StoredKeys(vault::Keyspace::BackupJobPrefix(east_.id)), 0u);  // nothing in storage
  std::string archive = Content(east_, started->id);
  EXPECT_EQ(archive.size(), done->bytes);
  std::string capped;
  StringSink capped_sink(&capped);
  EXPECT_EQ(jobs_.ReadArchive(east_, started->id, capped_sink, 10).code(),
            StatusCode::kFailedPrecondition);
  // GET /content's stream: the same bytes, a piece at a time.
  auto stream = jobs_.StreamArchive(east_, started->id);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  EXPECT_EQ(stream->bytes, done->bytes);
  std::string streamed;
  for (size_t before = 1; before != streamed.size();) {
    before = streamed.size();
    ASSERT_TRUE(stream->next(&streamed));
  }
  EXPECT_EQ(streamed, archive);
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kRestore, started->id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(jobs_.GetJob(west_, JobKind::kBackup, started->id).status().code(),
            StatusCode::kNotFound);
  // A restore writes: refused by storage while it is read-only.
  EXPECT_EQ(jobs_.StartRestore(west_, archive, ArchiveSelection{}).status().code(),
            StatusCode::kUnavailable);

  // Failback: the job is still this node's, and its archive restores.
  ReadOnly(false);
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kBackup, started->id)->status, JobStatus::kSucceeded);
  EXPECT_EQ(Content(east_, started->id), archive);
  auto restore = jobs_.StartRestore(west_, archive, ArchiveSelection{});
  ASSERT_TRUE(restore.ok()) << restore.status().ToString();
  RunPending();
  auto restored = jobs_.GetJob(west_, JobKind::kRestore, restore->id);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->status, JobStatus::kSucceeded) << restored->error_message;
  EXPECT_EQ(restored->restored, 20u);
  EXPECT_EQ(d_.secrets.Get(west_, "s7", "")->version.value.view(), "v7");
}

TEST_F(VaultBackupJobsTest, ReadOnlyBackupsAreReplacedByTheNextAndExpireAfter24Hours) {
  ASSERT_TRUE(d_.secrets.Set(east_, "a", SecretValue("1")).ok());
  ReadOnly(true);
  BackupJob first = BackupNow(east_);
  BackupJob second = BackupNow(east_);
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kBackup, second.id)->status, JobStatus::kSucceeded);
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kBackup, first.id).status().code(),
            StatusCode::kNotFound);  // the next backup of the vault replaced it
  d_.clock.Advance(24 * 3600 - 1);
  EXPECT_TRUE(jobs_.GetJob(east_, JobKind::kBackup, second.id).ok());
  d_.clock.Advance(1);
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kBackup, second.id).status().code(),
            StatusCode::kNotFound);
  std::string none;
  StringSink sink(&none);
  EXPECT_EQ(jobs_.ReadArchive(east_, second.id, sink, 1 << 20).code(), StatusCode::kNotFound);

  // A backup in storage after failback replaces this node's read-only one too.
  BackupJob third = BackupNow(east_);
  ReadOnly(false);
  BackupJob fourth = BackupNow(east_);
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kBackup, fourth.id)->status, JobStatus::kSucceeded);
  EXPECT_EQ(StoredKeys(vault::Keyspace::BackupJobPrefix(east_.id)), 1u);
  EXPECT_EQ(jobs_.GetJob(east_, JobKind::kBackup, third.id).status().code(),
            StatusCode::kNotFound);
}

TEST_F(VaultBackupJobsTest, AFailedReadOnlyBackupKeepsNoArchive) {
  ASSERT_TRUE(d_.secrets.Set(east_, "a", SecretValue("1")).ok());
  BackupJobOptions options = Options();
  options.local_dir = "/nonexistent-coffer-test-dir";
  VaultBackupJobs jobs(d_.barrier, archiver_, crypto::SystemRandom(), d_.clock, wall_, options);
  ReadOnly(true);
  auto started = jobs.StartBackup(east_);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  RunPending();
  auto failed = jobs.GetJob(east_, JobKind::kBackup, started->id);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, JobStatus::kFailed);
  EXPECT_FALSE(failed->error_code.empty());
  std::string none;
  StringSink sink(&none);
  EXPECT_EQ(jobs.ReadArchive(east_, started->id, sink, 1 << 20).code(), StatusCode::kAborted);
  // The vault is free for the next backup.
  ASSERT_TRUE(jobs.StartBackup(east_).ok());
  RunPending();
}

}  // namespace
}  // namespace coffer::backup
