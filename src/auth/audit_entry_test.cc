#include "auth/audit_entry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace coffer::auth {
namespace {

using nlohmann::json;

AuditEntry FullEntry() {
  AuditEntry e;
  e.time_ms = 1796535496123;
  e.request_id = "6f1c2a9e-0d4b-4c1e-9a55-3b7d2e8f0a11";
  e.caller_oid = "9b3e1c55-0d2a-4f8e-b6c7-13a9e4d2f801";
  e.caller_appid = "5d0f6a2e-7c1b-4e39-9a0d-2b8c4f1e6a70";
  e.caller_tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  e.ip = "10.1.2.3";
  e.plane = "data";
  e.vault = "payments";
  e.operation = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
  e.object_kind = "secret";
  e.object_name = "db-password";
  e.object_version = "4387e9f3d6e14c459867679a90fd0f79";
  e.status = 200;
  e.duration_ms = 1.25;
  return e;
}

// Parses `line` strictly (nlohmann rejects invalid UTF-8 and raw control characters).
json Parse(const std::string& line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << line;
  return j;
}

TEST(AuditEntryTest, FormatsEveryFieldInContractOrder) {
  EXPECT_EQ(FormatAuditLine(FullEntry()),
            R"({"time":"2026-12-06T05:38:16.123Z",)"
            R"("requestId":"6f1c2a9e-0d4b-4c1e-9a55-3b7d2e8f0a11",)"
            R"("caller":{"oid":"9b3e1c55-0d2a-4f8e-b6c7-13a9e4d2f801",)"
            R"("appid":"5d0f6a2e-7c1b-4e39-9a0d-2b8c4f1e6a70",)"
            R"("tid":"72f988bf-86f1-41af-91ab-2d7cd011db47"},)"
            R"("ip":"10.1.2.3","plane":"data","vault":"payments",)"
            R"("operation":"Microsoft.KeyVault/vaults/secrets/getSecret/action",)"
            R"("object":{"kind":"secret","name":"db-password",)"
            R"("version":"4387e9f3d6e14c459867679a90fd0f79"},)"
            R"("status":200,"durationMs":1.25})");
}

TEST(AuditEntryTest, ParsesBackToEveryField) {
  json j = Parse(FormatAuditLine(FullEntry()));
  EXPECT_EQ(j["time"], "2026-12-06T05:38:16.123Z");
  EXPECT_EQ(j["requestId"], "6f1c2a9e-0d4b-4c1e-9a55-3b7d2e8f0a11");
  EXPECT_EQ(j["caller"]["oid"], "9b3e1c55-0d2a-4f8e-b6c7-13a9e4d2f801");
  EXPECT_EQ(j["caller"]["appid"], "5d0f6a2e-7c1b-4e39-9a0d-2b8c4f1e6a70");
  EXPECT_EQ(j["caller"]["tid"], "72f988bf-86f1-41af-91ab-2d7cd011db47");
  EXPECT_EQ(j["ip"], "10.1.2.3");
  EXPECT_EQ(j["plane"], "data");
  EXPECT_EQ(j["vault"], "payments");
  EXPECT_EQ(j["operation"], "Microsoft.KeyVault/vaults/secrets/getSecret/action");
  EXPECT_EQ(j["object"]["kind"], "secret");
  EXPECT_EQ(j["object"]["name"], "db-password");
  EXPECT_EQ(j["object"]["version"], "4387e9f3d6e14c459867679a90fd0f79");
  EXPECT_EQ(j["status"], 200);
  EXPECT_TRUE(j["status"].is_number_integer());
  EXPECT_DOUBLE_EQ(j["durationMs"].get<double>(), 1.25);
  EXPECT_FALSE(j.contains("count"));
  EXPECT_EQ(j.size(), 10u);
}

TEST(AuditEntryTest, UnauthenticatedRequestHasNullCallerVaultAndObject) {
  AuditEntry e;
  e.time_ms = 0;
  e.request_id = "r1";
  e.ip = "::1";
  e.plane = "management";
  e.operation = "Microsoft.KeyVault/vaults/read";
  e.status = 401;
  json j = Parse(FormatAuditLine(e));
  EXPECT_TRUE(j["caller"].is_null());
  EXPECT_TRUE(j["vault"].is_null());
  EXPECT_TRUE(j["object"].is_null());
  EXPECT_EQ(j["time"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(j["durationMs"], 0);
}

TEST(AuditEntryTest, PartialCallerAndObjectWriteNullForTheMissingParts) {
  AuditEntry e = FullEntry();
  e.caller_appid.clear();
  e.object_version.clear();
  json j = Parse(FormatAuditLine(e));
  EXPECT_TRUE(j["caller"]["appid"].is_null());
  EXPECT_EQ(j["caller"]["oid"], e.caller_oid);
  EXPECT_TRUE(j["object"]["version"].is_null());
  EXPECT_EQ(j["object"]["name"], "db-password");
}

TEST(AuditEntryTest, CountAppearsOnlyForAggregatedLines) {
  AuditEntry e = FullEntry();
  e.count = 1;
  EXPECT_FALSE(Parse(FormatAuditLine(e)).contains("count"));
  e.count = 37;
  EXPECT_EQ(Parse(FormatAuditLine(e))["count"], 37);
}

TEST(AuditEntryTest, ASweeperActionHasNullIpAndItsContacts) {
  AuditEntry e;
  e.time_ms = 1796535496123;
  e.request_id = "r";
  e.plane = "system";
  e.vault = "payments";
  e.operation = "CertificateLifetimeAction/EmailContacts";
  e.object_kind = "certificate";
  e.object_name = "web";
  e.object_version = "4387e9f3d6e14c459867679a90fd0f79";
  e.status = 200;
  e.contacts = std::vector<std::string>{"ops@example.com", "a\"b@example.com"};
  EXPECT_EQ(FormatAuditLine(e),
            R"({"time":"2026-12-06T05:38:16.123Z","requestId":"r","caller":null,"ip":null,)"
            R"("plane":"system","vault":"payments",)"
            R"("operation":"CertificateLifetimeAction/EmailContacts",)"
            R"("object":{"kind":"certificate","name":"web",)"
            R"("version":"4387e9f3d6e14c459867679a90fd0f79"},"status":200,"durationMs":0,)"
            R"("contacts":["ops@example.com","a\"b@example.com"]})");
  e.contacts = std::vector<std::string>{};
  EXPECT_EQ(Parse(FormatAuditLine(e))["contacts"], json::array());
  EXPECT_FALSE(Parse(FormatAuditLine(FullEntry())).contains("contacts"));
}

TEST(AuditEntryTest, TimeIsRfc3339UtcWithMilliseconds) {
  AuditEntry e = FullEntry();
  auto time_of = [&](int64_t ms) {
    e.time_ms = ms;
    return Parse(FormatAuditLine(e))["time"].get<std::string>();
  };
  EXPECT_EQ(time_of(1709208000000), "2024-02-29T12:00:00.000Z");
  EXPECT_EQ(time_of(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(time_of(4102444799999), "2099-12-31T23:59:59.999Z");
  EXPECT_EQ(time_of(-5), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(time_of(std::numeric_limits<int64_t>::max()), "9999-12-31T23:59:59.999Z");

  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> dist(0, 253402300799999);
  for (int i = 0; i < 2000; ++i) {
    int64_t ms = dist(rng);
    time_t secs = static_cast<time_t>(ms / 1000);
    struct tm tm {};
    ASSERT_NE(gmtime_r(&secs, &tm), nullptr);
    char want[96];
    std::snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    ASSERT_EQ(time_of(ms), want) << ms;
  }
}

TEST(AuditEntryTest, DurationIsAFiniteNumberWithAtMostThreeDecimals) {
  AuditEntry e = FullEntry();
  auto duration_text = [&](double d) {
    e.duration_ms = d;
    std::string line = FormatAuditLine(e);
    Parse(line);
    size_t at = line.find("\"durationMs\":") + 13;
    return line.substr(at, line.size() - 1 - at);
  };
  EXPECT_EQ(duration_text(0), "0");
  EXPECT_EQ(duration_text(12), "12");
  EXPECT_EQ(duration_text(0.5), "0.5");
  EXPECT_EQ(duration_text(1.23456), "1.235");
  EXPECT_EQ(duration_text(0.0001), "0");
  EXPECT_EQ(duration_text(-3), "0");
  EXPECT_EQ(duration_text(std::nan("")), "0");
  EXPECT_EQ(duration_text(std::numeric_limits<double>::infinity()), "0");
  EXPECT_EQ(duration_text(1e300), "1000000000000000");
}

TEST(AuditEntryTest, InvalidUtf8IsReplacedByMaximalSubparts) {
  auto name_of = [](std::string raw) {
    AuditEntry e = FullEntry();
    e.object_name = std::move(raw);
    return Parse(FormatAuditLine(e))["object"]["name"].get<std::string>();
  };
  const std::string r = "\xEF\xBF\xBD";  // U+FFFD
  EXPECT_EQ(name_of("a\xFF" "b"), "a" + r + "b");
  EXPECT_EQ(name_of("a\xC3"), "a" + r);                        // truncated at the end
  EXPECT_EQ(name_of("\xC0\xAF"), r + r);                        // overlong '/'
  EXPECT_EQ(name_of("\xE0\x80\x80"), r + r + r);                // overlong, E0 needs A0..BF
  EXPECT_EQ(name_of("\xED\xA0\x80"), r + r + r);                // UTF-16 surrogate
  EXPECT_EQ(name_of("\xF0\x9F\x98" "x"), r + "x");              // truncated emoji: one U+FFFD
  EXPECT_EQ(name_of("\xF4\x90\x80\x80"), r + r + r + r);        // above U+10FFFF
  EXPECT_EQ(name_of("\xE2\x82" "\xE2\x82\xAC"), r + "\xE2\x82\xAC");  // then a valid euro sign
  EXPECT_EQ(name_of("caf\xC3\xA9-\xF0\x9F\x94\x91"), "caf\xC3\xA9-\xF0\x9F\x94\x91");
}

TEST(AuditEntryTest, ControlCharactersAreEscapedAndRoundTrip) {
  const char kRaw[] = "a\nb\rc\td\x01" "e\x7F" "f\"g\\h\x00i\xC2\x85j\xC2\xA0k";
  const std::string raw(kRaw, sizeof(kRaw) - 1);
  AuditEntry e = FullEntry();
  e.object_name = raw;
  e.vault = "v\x1B[31m";
  std::string line = FormatAuditLine(e);
  for (size_t i = 0; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    EXPECT_TRUE(c >= 0x20 && c != 0x7F) << "raw control byte at " << i;
    if (c == 0xC2 && i + 1 < line.size()) {
      EXPECT_GE(static_cast<unsigned char>(line[i + 1]), 0xA0) << "raw C1 control at " << i;
    }
  }
  EXPECT_NE(line.find(R"(\u0085)"), std::string::npos);
  EXPECT_NE(line.find(R"(\u007f)"), std::string::npos);
  json j = Parse(line);
  EXPECT_EQ(j["object"]["name"], raw);
  EXPECT_EQ(j["vault"], "v\x1B[31m");
}

// Whatever bytes a name holds, the line parses, and the name reads back as nlohmann's own
// `replace` handler would have written it.
TEST(AuditEntryTest, RandomBytesAlwaysGiveValidJsonMatchingNlohmannReplace) {
  std::mt19937 rng(20261206);
  // Bytes around the UTF-8 boundaries, so the random strings hit every decoder branch.
  const unsigned char kInteresting[] = {0x00, 0x1F, 0x20, 0x22, 0x5C, 0x7F, 0x80, 0x8F, 0x90,
                                        0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
                                        0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5,
                                        0xFF, 'a', 'Z'};
  std::uniform_int_distribution<int> len_dist(1, 12), pick(0, sizeof(kInteresting) - 1),
      any(0, 255), coin(0, 1);
  AuditEntry e = FullEntry();
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    int len = len_dist(rng);
    for (int k = 0; k < len; ++k) {
      s.push_back(static_cast<char>(coin(rng) ? kInteresting[pick(rng)] : any(rng)));
    }
    e.object_name = s;
    e.request_id = s;
    json j = json::parse(FormatAuditLine(e), nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "invalid JSON for input #" << i;
    std::string want = json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace))
                           .get<std::string>();
    ASSERT_EQ(j["object"]["name"].get<std::string>(), want) << "input #" << i;
    ASSERT_EQ(j["requestId"].get<std::string>(), want);
  }
}

}  // namespace
}  // namespace coffer::auth
