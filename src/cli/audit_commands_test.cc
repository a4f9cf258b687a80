#include "cli/audit_commands.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "auth/audit_entry.h"
#include "core/files.h"

namespace coffer::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kAlice[] = "9b3e1c55-0d2a-4f8e-b6c7-13a9e4d2f801";
constexpr char kBob[] = "1c7d2e44-5a6b-4c8d-9e0f-a1b2c3d4e5f6";

std::string Line(std::string vault, std::string oid, std::string request_id = "r") {
  auth::AuditEntry e;
  e.time_ms = 1796535496123;
  e.request_id = std::move(request_id);
  e.caller_oid = std::move(oid);
  e.ip = "10.0.0.7";
  e.plane = "data";
  e.vault = std::move(vault);
  e.operation = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
  e.status = 200;
  return auth::FormatAuditLine(e);
}

TEST(AuditLineMatchesTest, EmptyFilterMatchesEveryNonEmptyLine) {
  EXPECT_TRUE(AuditLineMatches(Line("payments", kAlice), {}));
  EXPECT_TRUE(AuditLineMatches("not json", {}));
  EXPECT_FALSE(AuditLineMatches("", {}));
}

TEST(AuditLineMatchesTest, VaultIsComparedWithoutCase) {
  AuditFilter f{.vault = "PayMents"};
  EXPECT_TRUE(AuditLineMatches(Line("payments", kAlice), f));
  EXPECT_TRUE(AuditLineMatches(Line("PAYMENTS", ""), f));
  EXPECT_FALSE(AuditLineMatches(Line("payments-eu", kAlice), f));
  EXPECT_FALSE(AuditLineMatches(Line("", kAlice), f)) << "a line without a vault";
}

TEST(AuditLineMatchesTest, CallerIsComparedExactly) {
  AuditFilter f{.caller = kAlice};
  EXPECT_TRUE(AuditLineMatches(Line("payments", kAlice), f));
  EXPECT_FALSE(AuditLineMatches(Line("payments", kBob), f));
  std::string upper = kAlice;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_FALSE(AuditLineMatches(Line("payments", upper), f));
  EXPECT_FALSE(AuditLineMatches(Line("payments", ""), f)) << "an unauthenticated request";
}

TEST(AuditLineMatchesTest, BothFiltersMustMatch) {
  AuditFilter f{.vault = "payments", .caller = kAlice};
  EXPECT_TRUE(AuditLineMatches(Line("payments", kAlice), f));
  EXPECT_FALSE(AuditLineMatches(Line("payments", kBob), f));
  EXPECT_FALSE(AuditLineMatches(Line("hr", kAlice), f));
}

TEST(AuditLineMatchesTest, MalformedLinesNeverMatchAFilter) {
  AuditFilter f{.vault = "payments"};
  EXPECT_FALSE(AuditLineMatches("{\"vault\":\"payments\"", f));
  EXPECT_FALSE(AuditLineMatches("[\"payments\"]", f));
  EXPECT_FALSE(AuditLineMatches("{\"vault\":7}", f));
  EXPECT_FALSE(AuditLineMatches("{\"caller\":\"x\"}", AuditFilter{.caller = "x"}));
}

class AuditTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "coffer-tail-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/audit.jsonl";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string dir_, path_;
};

TEST_F(AuditTailTest, ReturnsTheLastMatchingLinesOldestFirst) {
  std::string text;
  std::vector<std::string> payments;
  for (int i = 0; i < 5000; ++i) {  // several 64 KiB blocks
    std::string vault = i % 3 == 0 ? "payments" : "hr";
    std::string line = Line(vault, i % 2 ? kAlice : kBob, "req-" + std::to_string(i));
    if (vault == "payments") payments.push_back(line);
    text += line + "\n";
  }
  ASSERT_TRUE(WriteFileAtomically(path_, text, 0600).ok());

  auto last = LastMatchingAuditLines(path_, {.vault = "payments"}, 20);
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  ASSERT_EQ(last->size(), 20u);
  EXPECT_EQ(*last, std::vector<std::string>(payments.end() - 20, payments.end()));

  auto all = LastMatchingAuditLines(path_, {.vault = "PAYMENTS"}, 1'000'000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, payments);

  auto alice = LastMatchingAuditLines(path_, {.vault = "payments", .caller = kAlice}, 2);
  ASSERT_TRUE(alice.ok());
  ASSERT_EQ(alice->size(), 2u);
  EXPECT_NE((*alice)[0].find("req-4989"), std::string::npos) << (*alice)[0];
  EXPECT_NE((*alice)[1].find("req-4995"), std::string::npos) << (*alice)[1];

  auto none = LastMatchingAuditLines(path_, {}, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(AuditTailTest, SkipsAnUnfinishedLastLineAndEmptyLines) {
  ASSERT_TRUE(WriteFileAtomically(path_, "first\n\nsecond\nthird-but-unfin", 0600).ok());
  auto last = LastMatchingAuditLines(path_, {}, 10);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, (std::vector<std::string>{"first", "second"}));
}

TEST_F(AuditTailTest, HandlesALineLongerThanABlock) {
  std::string longer(200'000, 'x');
  ASSERT_TRUE(WriteFileAtomically(path_, "a\n" + longer + "\nb\n", 0600).ok());
  auto last = LastMatchingAuditLines(path_, {}, 3);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, (std::vector<std::string>{"a", longer, "b"}));
}

TEST_F(AuditTailTest, MissingFileIsNotFoundNamingThePath) {
  auto last = LastMatchingAuditLines(path_, {}, 20);
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.status().code(), StatusCode::kNotFound);
  EXPECT_NE(last.status().message().find(path_), std::string::npos);
}

// The command line: CLI11 semantics (usage errors throw ParseError → exit 2 in main).
TEST_F(AuditTailTest, CommandPrintsLinesAndReportsAnUnreadableFile) {
  ASSERT_TRUE(WriteFileAtomically(path_, Line("payments", kAlice) + "\n", 0600).ok());
  {
    CLI::App app;
    int code = -1;
    CLI::App* audit = AddAuditCommands(app, &code);
    testing::internal::CaptureStdout();
    app.parse("audit tail --vault payments --data-dir " + dir_, /*program_name_included=*/false);
    std::string out = testing::internal::GetCapturedStdout();
    EXPECT_TRUE(audit->parsed());
    EXPECT_EQ(code, 0);
    EXPECT_EQ(out, Line("payments", kAlice) + "\n");
  }
  {
    CLI::App app;
    int code = -1;
    AddAuditCommands(app, &code);
    testing::internal::CaptureStderr();
    app.parse("audit tail --data-dir " + dir_ + "/missing", false);
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, 1);
    EXPECT_EQ(err.rfind("ERROR: ", 0), 0u) << err;
    EXPECT_NE(err.find("missing/audit.jsonl"), std::string::npos) << err;
  }
  {
    CLI::App app;
    int code = -1;
    AddAuditCommands(app, &code);
    EXPECT_THROW(app.parse("audit tail -n -1", false), CLI::ParseError);
    EXPECT_THROW(app.parse("audit tail --bogus", false), CLI::ParseError);
    EXPECT_THROW(app.parse("audit", false), CLI::ParseError);
    EXPECT_EQ(code, -1);
  }
}

}  // namespace
}  // namespace coffer::cli
