#include "auth/audit_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/files.h"

namespace coffer::auth {
namespace {

namespace fs = std::filesystem;

class AuditFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "coffer-audit-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/audit.jsonl";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<AuditSink> OpenSink(uint64_t max_size = 1 << 20, int keep = 10) {
    auto sink = OpenAuditFile(path_, max_size, keep);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? std::move(sink).value() : nullptr;
  }

  static std::string Contents(const std::string& path) {
    auto text = ReadFile(path);
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    return text.ok() ? *text : "";
  }

  static std::vector<std::string> Lines(const std::string& path) {
    std::vector<std::string> out;
    std::string text = Contents(path);
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
      out.push_back(text.substr(start, nl - start));
    }
    EXPECT_EQ(start, text.size()) << path << " ends with a partial line";
    return out;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(AuditFileTest, CreatesTheFileWithMode0600AndAppends) {
  ASSERT_TRUE(WriteFileAtomically(path_, "earlier\n", 0600).ok());
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Write("one\n").ok());
  ASSERT_TRUE(sink->Write("two\n").ok());
  ASSERT_TRUE(sink->Sync().ok());
  EXPECT_EQ(Contents(path_), "earlier\none\ntwo\n");

  std::string fresh = dir_ + "/fresh.jsonl";
  ::umask(0);
  auto other = OpenAuditFile(fresh, 1 << 20, 1);
  ::umask(022);
  ASSERT_TRUE(other.ok());
  struct stat st {};
  ASSERT_EQ(::stat(fresh.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AuditFileTest, RotatesBySizeAndKeepsOnlyKeepFiles) {
  auto sink = OpenSink(/*max_size=*/100, /*keep=*/3);
  ASSERT_NE(sink, nullptr);
  for (int i = 0; i < 40; ++i) {
    std::string line = "line " + std::to_string(1000 + i) + std::string(25, '.') + "\n";  // 35 B
    ASSERT_TRUE(sink->Write(line).ok()) << i;
  }
  ASSERT_TRUE(sink->Sync().ok());
  // Oldest first: audit.3, audit.2, audit.1, audit.jsonl; nothing beyond audit.3.
  std::vector<std::string> files = {dir_ + "/audit.3.jsonl", dir_ + "/audit.2.jsonl",
                                    dir_ + "/audit.1.jsonl", path_};
  EXPECT_FALSE(fs::exists(dir_ + "/audit.4.jsonl"));
  std::vector<std::string> all;
  for (const auto& f : files) {
    ASSERT_TRUE(fs::exists(f)) << f;
    EXPECT_LE(fs::file_size(f), 100u) << f;
    for (auto& l : Lines(f)) all.push_back(l);
  }
  // Two lines fit in a file, so the four files hold the last 8 lines, in order.
  ASSERT_EQ(all.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(all[i].substr(0, 9), "line " + std::to_string(1032 + i));
}

TEST_F(AuditFileTest, RotatesAPathWithoutExtension) {
  path_ = dir_ + "/audit";
  auto sink = OpenSink(/*max_size=*/10, /*keep=*/2);
  ASSERT_NE(sink, nullptr);
  for (const char* l : {"aaaaaaa\n", "bbbbbbb\n", "ccccccc\n"}) ASSERT_TRUE(sink->Write(l).ok());
  EXPECT_EQ(Contents(dir_ + "/audit.2"), "aaaaaaa\n");
  EXPECT_EQ(Contents(dir_ + "/audit.1"), "bbbbbbb\n");
  EXPECT_EQ(Contents(path_), "ccccccc\n");
}

TEST_F(AuditFileTest, ReopensWhenTheFileWasMovedAway) {
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Write("before\n").ok());
  fs::rename(path_, dir_ + "/audit.jsonl.old");  // what logrotate does
  ASSERT_TRUE(sink->Write("after\n").ok());
  EXPECT_EQ(Contents(dir_ + "/audit.jsonl.old"), "before\n");
  EXPECT_EQ(Contents(path_), "after\n");
  EXPECT_TRUE(sink->Sync().ok());
}

TEST_F(AuditFileTest, ReopensWhenTheFileWasRemoved) {
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Write("before\n").ok());
  fs::remove(path_);
  ASSERT_TRUE(sink->Write("after\n").ok());
  EXPECT_EQ(Contents(path_), "after\n");
}

TEST_F(AuditFileTest, WriteFailsWhenThePathBecameADirectory) {
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Write("before\n").ok());
  fs::remove(path_);
  fs::create_directory(path_);
  Status s = sink->Write("lost\n");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find(path_), std::string::npos) << s.message();
  // Once the path is a file again, writing resumes there.
  fs::remove(path_);
  ASSERT_TRUE(sink->Write("resumed\n").ok());
  EXPECT_EQ(Contents(path_), "resumed\n");
}

TEST_F(AuditFileTest, RefusesAFifoWithoutBlocking) {
  ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0);
  auto sink = OpenAuditFile(path_, 1 << 20, 1);
  EXPECT_FALSE(sink.ok());
}

TEST_F(AuditFileTest, OpenFailsInAMissingDirectory) {
  auto sink = OpenAuditFile(dir_ + "/missing/audit.jsonl", 1 << 20, 1);
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().message().find("missing/audit.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace coffer::auth
