#include "cli/output_format.h"

#include <gtest/gtest.h>

namespace coffer::cli {
namespace {

using nlohmann::json;

const json kSecrets = json::parse(R"([
  {"id": "https://dev.vault.localhost/secrets/a", "contentType": "text/plain",
   "attributes": {"enabled": true, "created": 1700000000}, "tags": {"env": "x"}},
  {"id": "https://dev.vault.localhost/secrets/bb", "attributes": {"enabled": false},
   "managed": true, "extra": [1, 2]}
])");

TEST(OutputFormatTest, JsonIsTheAnswerIndentedByTwo) {
  EXPECT_EQ(FormatOutput(json{{"a", 1}}, OutputFormat::kJson), "{\n  \"a\": 1\n}\n");
  EXPECT_EQ(FormatOutput(json(), OutputFormat::kJson), "");
  EXPECT_EQ(FormatOutput(json(), OutputFormat::kTable), "");
}

TEST(OutputFormatTest, TableHasHeadersDashesAndPaddedColumnsOneLevelDeep) {
  EXPECT_EQ(FormatOutput(kSecrets, OutputFormat::kTable),
            "Attributes.Created  Attributes.Enabled  ContentType  Id" + std::string(38, ' ') +
                "Managed  Tags.Env\n"
                "------------------  ------------------  -----------  " + std::string(38, '-') +
                "  -------  --------\n"
                "1700000000          true                text/plain   "
                "https://dev.vault.localhost/secrets/a" + std::string(12, ' ') + "x\n"
                "                    false                            "
                "https://dev.vault.localhost/secrets/bb  true\n");
}

TEST(OutputFormatTest, TsvIsTheRowsTabSeparatedWithoutHeader) {
  EXPECT_EQ(FormatOutput(kSecrets, OutputFormat::kTsv),
            "1700000000\ttrue\ttext/plain\thttps://dev.vault.localhost/secrets/a\t\tx\n"
            "\tfalse\t\thttps://dev.vault.localhost/secrets/bb\ttrue\t\n");
}

TEST(OutputFormatTest, AnObjectIsOneRowAndPlainValuesAResultColumn) {
  EXPECT_EQ(FormatOutput(json{{"isValid", true}}, OutputFormat::kTable),
            "IsValid\n-------\ntrue\n");
  EXPECT_EQ(FormatOutput(json{{"isValid", false}}, OutputFormat::kTsv), "false\n");
  EXPECT_EQ(FormatOutput(json::array({"a", "b"}), OutputFormat::kTsv), "a\nb\n");
  EXPECT_EQ(FormatOutput(json::array({"a"}), OutputFormat::kTable), "Result\n------\na\n");
  EXPECT_EQ(FormatOutput(json::array(), OutputFormat::kTable), "");
}

TEST(OutputFormatTest, TabsAndLineBreaksInValuesBecomeSpaces) {
  EXPECT_EQ(FormatOutput(json{{"value", "a\tb\nc"}}, OutputFormat::kTsv), "a b c\n");
}

TEST(OutputFormatTest, NamesParseAndTheProcessFormatDefaultsToJson) {
  EXPECT_EQ(CurrentOutputFormat(), OutputFormat::kJson);
  EXPECT_EQ(ParseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_EQ(ParseOutputFormat("tsv"), OutputFormat::kTsv);
  EXPECT_EQ(ParseOutputFormat("yaml"), std::nullopt);
}

}  // namespace
}  // namespace coffer::cli
