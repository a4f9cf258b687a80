#include "http/message.h"

#include <gtest/gtest.h>

#include "http/impl/request_target.h"

namespace coffer::http {
namespace {

TEST(HeadersTest, GetIsCaseInsensitiveAndReturnsFirst) {
  Headers headers;
  headers.Add("Content-Type", "application/json");
  headers.Add("X-Multi", "one");
  headers.Add("x-multi", "two");
  EXPECT_EQ(headers.Get("content-type"), "application/json");
  EXPECT_EQ(headers.Get("X-MULTI"), "one");
  EXPECT_FALSE(headers.Get("missing").has_value());
}

TEST(HeadersTest, SetReplacesEveryHeaderOfThatName) {
  Headers headers;
  headers.Add("X-Multi", "one");
  headers.Add("Other", "keep");
  headers.Add("x-multi", "two");
  headers.Set("X-MULTI", "three");
  ASSERT_EQ(headers.items().size(), 2u);
  EXPECT_EQ(headers.Get("x-multi"), "three");
  EXPECT_EQ(headers.Get("other"), "keep");
}

TEST(RequestHeadTest, QueryReturnsFirstMatchAndIsCaseSensitive) {
  RequestHead head;
  head.query = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  EXPECT_EQ(head.Query("a"), "1");
  EXPECT_EQ(head.Query("b"), "2");
  EXPECT_FALSE(head.Query("A").has_value());
}

TEST(PercentTest, DecodeHandlesEscapesAndLeavesPlus) {
  EXPECT_EQ(PercentDecode("api%2Dversion"), "api-version");
  EXPECT_EQ(PercentDecode("a+b%20c%2fd"), "a+b c/d");
  EXPECT_EQ(PercentDecode(""), "");
  EXPECT_EQ(PercentDecode("%00"), std::string(1, '\0'));
}

TEST(PercentTest, DecodeRejectsMalformedEscapes) {
  EXPECT_FALSE(PercentDecode("%").has_value());
  EXPECT_FALSE(PercentDecode("%4").has_value());
  EXPECT_FALSE(PercentDecode("abc%g1").has_value());
  EXPECT_FALSE(PercentDecode("abc%1").has_value());
}

TEST(PercentTest, EncodeKeepsUnreservedOnly) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b/c?d=e&f+"), "a%20b%2Fc%3Fd%3De%26f%2B");
  EXPECT_EQ(PercentEncode("\xff"), "%FF");
  EXPECT_EQ(PercentDecode(PercentEncode("any thing/ü")), "any thing/ü");
}

TEST(ParseTargetTest, SplitsPathAndDecodesQueryNamesAndValues) {
  auto parsed = impl::ParseTarget("/secrets/a%20b?api%2Dversion=7.6&&flag&x=%41%3D");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->path, "/secrets/a%20b");
  ASSERT_EQ(parsed->query.size(), 3u);
  EXPECT_EQ(parsed->query[0], (std::pair<std::string, std::string>{"api-version", "7.6"}));
  EXPECT_EQ(parsed->query[1], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(parsed->query[2], (std::pair<std::string, std::string>{"x", "A="}));
}

TEST(ParseTargetTest, AcceptsAbsoluteFormAndAsterisk) {
  auto absolute = impl::ParseTarget("https://dev.vault.localhost:8443/secrets?a=1");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute->path, "/secrets");
  EXPECT_EQ(absolute->authority, "dev.vault.localhost:8443");
  EXPECT_EQ(absolute->query.size(), 1u);
  auto bare = impl::ParseTarget("https://localhost");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->path, "/");
  EXPECT_EQ(bare->authority, "localhost");
  EXPECT_EQ(impl::ParseTarget("/secrets")->authority, "");
  auto star = impl::ParseTarget("*");
  ASSERT_TRUE(star.ok());
  EXPECT_EQ(star->path, "*");
}

TEST(ParseTargetTest, RejectsBadTargets) {
  EXPECT_EQ(impl::ParseTarget("secrets").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(impl::ParseTarget("/a?x=%zz").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(impl::ParseTarget("/a\x01").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(impl::ParseTarget("").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coffer::http
