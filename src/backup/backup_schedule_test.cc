// Scheduled backups follow the domain clock: one file per vault when due, none before, pruned
// to `keep`; a leftover temporary file is removed; a scheduled file restores.
#include "backup/backup_schedule.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "backup/test_deployment.h"

namespace coffer::backup {
namespace {

namespace fs = std::filesystem;

class BackupScheduleTest : public test_support::DeploymentTest {
 protected:
  void SetUp() override {
    DeploymentTest::SetUp();
    std::string tmpl = (fs::temp_directory_path() / "coffer-schedule-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<BackupFile> Files() {
    auto files = ListBackupFiles(dir_);
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    return files.ok() ? *files : std::vector<BackupFile>{};
  }

  std::string dir_;
  VaultArchiver archiver_{d_.barrier, crypto::SystemRandom(), d_.clock, d_.keys.traits()};
};

TEST(BackupScheduleParse, IntervalsAreAWholeNumberAndAUnit) {
  EXPECT_EQ(*ParseScheduleInterval("6h"), 6 * 3600);
  EXPECT_EQ(*ParseScheduleInterval("30m"), 1800);
  EXPECT_EQ(*ParseScheduleInterval("2d"), 2 * 86400);
  EXPECT_EQ(*ParseScheduleInterval("90s"), 90);
  for (std::string_view bad : {"", "h", "0h", "6", "6w", "-6h", "1.5h", "6 h"}) {
    EXPECT_FALSE(ParseScheduleInterval(bad).ok()) << bad;
  }
  EXPECT_EQ(BackupFileName("dev", 1'700'000'000), "dev-20231114T221320Z.coffer-backup");
}

TEST_F(BackupScheduleTest, BackupsFollowTheDomainClockAndArePruned) {
  vault::SecretSetParams p;
  p.value = SecretBytes(std::string_view("v"));
  ASSERT_TRUE(d_.secrets.Set(east_, "a", p).ok());
  std::ofstream(dir_ + "/.src-east-20231114T000000Z.coffer-backup.99-1.tmp") << "torn";
  std::ofstream(dir_ + "/notes.txt") << "not a backup";
  BackupScheduler scheduler(d_.vaults, archiver_, d_.clock, {6 * 3600, 2, dir_});

  EXPECT_EQ(*scheduler.RunOnce(), 4u);  // every vault of the fixture
  EXPECT_FALSE(fs::exists(dir_ + "/.src-east-20231114T000000Z.coffer-backup.99-1.tmp"));
  EXPECT_EQ(*scheduler.RunOnce(), 0u);
  d_.clock.Advance(6 * 3600 - 1);
  EXPECT_EQ(*scheduler.RunOnce(), 0u);
  d_.clock.Advance(1);
  EXPECT_EQ(*scheduler.RunOnce(), 4u);
  d_.clock.Advance(6 * 3600);
  EXPECT_EQ(*scheduler.RunOnce(), 4u);
  std::vector<BackupFile> files = Files();
  ASSERT_EQ(files.size(), 8u);  // keep = 2 per vault
  EXPECT_EQ(files[0].vault, "dst-europe");
  EXPECT_EQ(files[1].time - files[0].time, 6 * 3600);
  EXPECT_TRUE(fs::exists(dir_ + "/notes.txt"));
  EXPECT_EQ((fs::status(dir_ + "/" + files[0].name).permissions() & fs::perms::all),
            fs::perms::owner_read | fs::perms::owner_write);

  // The newest file of the source vault restores.
  const BackupFile* newest = nullptr;
  for (const BackupFile& f : files) {
    if (f.vault == "src-east") newest = &f;
  }
  ASSERT_NE(newest, nullptr);
  EXPECT_GT(newest->size, 0u);
  auto outcome =
      archiver_.Restore(west_, FileSourceOpener(dir_ + "/" + newest->name), ArchiveSelection{});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->restored, 1u);
}

}  // namespace
}  // namespace coffer::backup
