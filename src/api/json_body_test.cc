#include "api/json_body.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace coffer::api {
namespace {

void ExpectBadBody(std::string_view body) {
  StatusOr<Json> parsed = InvalidArgumentError("unset");
  ASSERT_NO_THROW(parsed = ParseObjectBody(body)) << std::string(body);
  ASSERT_FALSE(parsed.ok()) << "accepted body: " << std::string(body);
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().reason(), "BadParameter");
}

Json Obj(std::string_view text) {
  auto j = ParseObjectBody(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? *j : Json::object();
}

// The JSON values a field can wrongly hold, as text.
const std::vector<std::string> kAllKinds = {"null", "[]",    "[\"x\"]", "{}",   "12",
                                            "1.5",  "\"x\"", "true",    "false"};

TEST(ParseObjectBody, AcceptsAnObject) {
  Json j = Obj(R"({"value":"v","tags":{"a":"b"},"unknown":[1,2]})");
  EXPECT_TRUE(j.is_object());
  EXPECT_EQ(j["value"], "v");
}

TEST(ParseObjectBody, RejectsEmptyMalformedAndNonObjectBodies) {
  for (std::string_view body :
       {"",      " ",     "null",    "[]",    "[{}]", "12",          "-1",
        "1.5",   "\"x\"", "true",    "false", "{",    "{\"a\":}",    "{\"a\":1,}",
        "{} {}", "{}x",   "{'a':1}", "{a:1}", "NaN",  "{\"a\":NaN}", "\xef\xbb\xbf"}) {
    ExpectBadBody(body);
  }
}

TEST(ParseObjectBody, RejectsInvalidUtf8InStringsWithoutThrowing) {
  for (std::string_view body :
       {"{\"value\":\"\xff\"}", "{\"value\":\"ab\xc3\"}", "{\"value\":\"\xc0\xaf\"}",
        "{\"value\":\"\xed\xa0\x80\"}", "{\"value\":\"\xf4\x90\x80\x80\"}", "{\"\xfe\":\"x\"}",
        "{\"value\":\"\\ud800\"}", "{\"value\":\"\\udc00x\"}", "{\"tags\":{\"k\":\"\x80\"}}"}) {
    ExpectBadBody(body);
  }
  std::string embedded_nul = "{\"value\":\"a";
  embedded_nul.push_back('\0');
  embedded_nul += "b\"}";
  ExpectBadBody(embedded_nul);
}

TEST(ParseObjectBody, ParsedStringsDumpWithoutThrowing) {
  Json j = Obj(R"({"value":"\u00e9\ud83d\ude00\u0000end"})");
  std::string dumped;
  ASSERT_NO_THROW(dumped = Dump(j));
  EXPECT_NE(dumped.find("end"), std::string::npos);
}

TEST(OptString, AbsentOrNullIsNulloptAndStringIsValue) {
  Json j = Obj(R"({"s":"text","n":null,"e":""})");
  EXPECT_EQ(OptString(j, "s")->value_or("?"), "text");
  EXPECT_EQ(OptString(j, "e")->value_or("?"), "");
  EXPECT_FALSE(OptString(j, "n")->has_value());
  EXPECT_FALSE(OptString(j, "missing")->has_value());
}

TEST(OptString, RejectsEveryOtherType) {
  for (const std::string& kind : kAllKinds) {
    if (kind == "null" || kind == "\"x\"") continue;
    Json j = Obj("{\"contentType\":" + kind + "}");
    auto got = OptString(j, "contentType");
    ASSERT_FALSE(got.ok()) << kind;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << kind;
    EXPECT_NE(got.status().message().find("contentType"), std::string::npos);
  }
}

TEST(OptBool, AcceptsOnlyBooleans) {
  Json j = Obj(R"({"t":true,"f":false,"n":null})");
  EXPECT_EQ(OptBool(j, "t")->value_or(false), true);
  EXPECT_EQ(OptBool(j, "f")->value_or(true), false);
  EXPECT_FALSE(OptBool(j, "n")->has_value());
  EXPECT_FALSE(OptBool(j, "missing")->has_value());
  for (const std::string& kind :
       {std::string("\"yes\""), std::string("\"true\""), std::string("1"), std::string("0"),
        std::string("[]"), std::string("{}"), std::string("12"), std::string("\"x\"")}) {
    Json bad = Obj("{\"enabled\":" + kind + "}");
    auto got = OptBool(bad, "enabled");
    ASSERT_FALSE(got.ok()) << kind;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << kind;
    EXPECT_NE(got.status().message().find("enabled"), std::string::npos);
  }
}

TEST(OptInt, AcceptsIntegers) {
  Json j = Obj(R"({"exp":1700000000,"neg":-5,"zero":0,"n":null,"f":1700000000.0})");
  EXPECT_EQ(OptInt(j, "exp")->value_or(0), 1700000000);
  EXPECT_EQ(OptInt(j, "neg")->value_or(0), -5);
  EXPECT_EQ(OptInt(j, "zero")->value_or(1), 0);
  EXPECT_EQ(OptInt(j, "f")->value_or(0), 1700000000);
  EXPECT_FALSE(OptInt(j, "n")->has_value());
  EXPECT_FALSE(OptInt(j, "missing")->has_value());
}

TEST(OptInt, RejectsNonNumbersAndOutOfRange) {
  for (const std::string& kind :
       {std::string("\"12\""), std::string("\"x\""), std::string("true"), std::string("[]"),
        std::string("[12]"), std::string("{}"), std::string("1e300"), std::string("-1e300"),
        std::string("18446744073709551615"), std::string("9223372036854775808")}) {
    Json bad = Obj("{\"nbf\":" + kind + "}");
    auto got = OptInt(bad, "nbf");
    ASSERT_FALSE(got.ok()) << kind << " gave " << (got.ok() && *got ? **got : 0);
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << kind;
    EXPECT_NE(got.status().message().find("nbf"), std::string::npos);
  }
  Json max = Obj(R"({"exp":9223372036854775807})");
  EXPECT_EQ(OptInt(max, "exp")->value_or(0), INT64_MAX);
}

TEST(OptTags, AcceptsAnObjectOfStrings) {
  Json j = Obj(R"({"tags":{"env":"prod","empty":""},"none":null,"zero":{}})");
  auto tags = OptTags(j, "tags");
  ASSERT_TRUE(tags.ok() && tags->has_value());
  EXPECT_EQ((**tags).size(), 2u);
  EXPECT_EQ((**tags).at("env"), "prod");
  EXPECT_FALSE(OptTags(j, "none")->has_value());
  EXPECT_FALSE(OptTags(j, "missing")->has_value());
  ASSERT_TRUE(OptTags(j, "zero")->has_value());
  EXPECT_TRUE((**OptTags(j, "zero")).empty());
}

TEST(OptTags, RejectsWrongTypes) {
  for (const std::string& kind :
       {std::string("[]"), std::string("[\"a\"]"), std::string("12"), std::string("\"x\""),
        std::string("true"), std::string(R"({"a":1})"), std::string(R"({"a":null})"),
        std::string(R"({"a":true})"), std::string(R"({"a":["b"]})"), std::string(R"({"a":{}})"),
        std::string(R"({"ok":"b","bad":1})")}) {
    Json bad = Obj("{\"tags\":" + kind + "}");
    auto got = OptTags(bad, "tags");
    ASSERT_FALSE(got.ok()) << kind;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << kind;
    EXPECT_NE(got.status().message().find("tags"), std::string::npos);
  }
}

TEST(OptObject, AcceptsObjectOrNullOnly) {
  Json j = Obj(R"({"attributes":{"enabled":true},"n":null,"bad":[]})");
  auto attrs = OptObject(j, "attributes");
  ASSERT_TRUE(attrs.ok());
  ASSERT_NE(*attrs, nullptr);
  EXPECT_TRUE((**attrs).contains("enabled"));
  EXPECT_EQ(*OptObject(j, "n"), nullptr);
  EXPECT_EQ(*OptObject(j, "missing"), nullptr);
  EXPECT_EQ(OptObject(j, "bad").status().code(), StatusCode::kInvalidArgument);
  for (const std::string& kind : kAllKinds) {
    if (kind == "null" || kind == "{}") continue;
    Json bad = Obj("{\"attributes\":" + kind + "}");
    EXPECT_EQ(OptObject(bad, "attributes").status().code(), StatusCode::kInvalidArgument) << kind;
  }
}

}  // namespace
}  // namespace coffer::api
