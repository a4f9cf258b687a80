#include "core/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace coffer {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "coffer-files-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static mode_t ModeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  std::string dir_;
};

TEST_F(FilesTest, WriteThenReadRoundTripsBinaryData) {
  std::string path = dir_ + "/keyring";
  std::string data("\x00\x01\xff sealed\n", 11);
  ASSERT_TRUE(WriteFileAtomically(path, data, 0600).ok());
  auto read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, data);
}

TEST_F(FilesTest, AnUnnamedFileLeavesNothingInItsDirectoryAndReadsBackAtOffsets) {
  auto fd = OpenUnnamedFile(dir_);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  EXPECT_TRUE(fs::is_empty(dir_));
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i % 251);
  ASSERT_TRUE(WriteAll(*fd, data, dir_).ok());
  std::string part(1000, '\0');
  auto got = ReadAllAt(*fd, 54321, part.data(), part.size(), dir_);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, part.size());
  EXPECT_EQ(part, data.substr(54321, 1000));
  auto tail = ReadAllAt(*fd, data.size() - 10, part.data(), part.size(), dir_);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, 10u);  // fewer only at the end
  EXPECT_TRUE(fs::is_empty(dir_));
  ::close(*fd);
  EXPECT_EQ(OpenUnnamedFile(dir_ + "/missing").status().code(), StatusCode::kNotFound);
}

TEST_F(FilesTest, WriteReplacesExistingFileAndLeavesNoTempFiles) {
  std::string path = dir_ + "/creds";
  ASSERT_TRUE(WriteFileAtomically(path, "old contents that are longer", 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "new", 0600).ok());
  EXPECT_EQ(*ReadFile(path), "new");
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "creds");
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(FilesTest, WriteAppliesExactModeDespiteUmask) {
  mode_t old = ::umask(0077);
  std::string path = dir_ + "/ca.pem";
  Status st = WriteFileAtomically(path, "x", 0640);
  ::umask(old);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(ModeOf(path), 0640u);
  ASSERT_TRUE(WriteFileAtomically(path, "y", 0600).ok());
  EXPECT_EQ(ModeOf(path), 0600u);
}

TEST_F(FilesTest, WriteLargeFile) {
  std::string data(3 * 1024 * 1024 + 17, 'z');
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/big", data, 0600).ok());
  EXPECT_EQ(*ReadFile(dir_ + "/big"), data);
}

TEST_F(FilesTest, WriteIntoMissingDirectoryIsNotFound) {
  Status st = WriteFileAtomically(dir_ + "/missing/keyring", "x", 0600);
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
}

TEST_F(FilesTest, ReadMissingFileIsNotFound) {
  auto read = ReadFile(dir_ + "/nope");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("nope"), std::string::npos);
}

TEST_F(FilesTest, EnsureDirectoryCreatesWithMode) {
  std::string sub = dir_ + "/data";
  ASSERT_TRUE(EnsureDirectory(sub, 0700).ok());
  EXPECT_TRUE(fs::is_directory(sub));
  EXPECT_EQ(ModeOf(sub), 0700u);
}

TEST_F(FilesTest, EnsureDirectoryChmodsExistingDirectory) {
  std::string sub = dir_ + "/data";
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  ASSERT_TRUE(fs::exists(sub));
  ASSERT_TRUE(WriteFileAtomically(sub + "/keep", "k", 0600).ok());
  ASSERT_TRUE(EnsureDirectory(sub, 0700).ok());
  EXPECT_EQ(ModeOf(sub), 0700u);
  EXPECT_EQ(*ReadFile(sub + "/keep"), "k");
}

TEST_F(FilesTest, EnsureDirectoryOnRegularFileFails) {
  std::string path = dir_ + "/file";
  ASSERT_TRUE(WriteFileAtomically(path, "x", 0600).ok());
  Status st = EnsureDirectory(path, 0700);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
}

TEST_F(FilesTest, SecondLockOnSameDirFailsWithClearMessage) {
  auto first = DirectoryLock::Acquire(dir_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = DirectoryLock::Acquire(dir_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another coffer server is using data dir " + dir_),
            std::string::npos)
      << second.status().message();
}

TEST_F(FilesTest, LockIsReleasedOnDestruction) {
  {
    auto first = DirectoryLock::Acquire(dir_);
    ASSERT_TRUE(first.ok());
  }
  EXPECT_TRUE(DirectoryLock::Acquire(dir_).ok());
}

TEST_F(FilesTest, MovedLockKeepsHoldingUntilTheNewOwnerDies) {
  auto first = DirectoryLock::Acquire(dir_);
  ASSERT_TRUE(first.ok());
  {
    DirectoryLock moved = std::move(*first);
    EXPECT_EQ(moved.dir(), dir_);
    EXPECT_FALSE(DirectoryLock::Acquire(dir_).ok());
  }
  // The moved-from object owns nothing; the lock went with `moved`.
  EXPECT_TRUE(DirectoryLock::Acquire(dir_).ok());
}

TEST_F(FilesTest, LockIsHeldAgainstAnotherProcess) {
  auto held = DirectoryLock::Acquire(dir_);
  ASSERT_TRUE(held.ok());
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto other = DirectoryLock::Acquire(dir_);
    ::_exit(!other.ok() && other.status().code() == StatusCode::kFailedPrecondition ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
}

TEST_F(FilesTest, LockOnMissingDirIsNotFound) {
  auto lock = DirectoryLock::Acquire(dir_ + "/missing");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace coffer
