#include "cli/certificate_args.h"
#include "cli/key_args.h"

#include <gtest/gtest.h>

#include "core/encoding.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

TEST(KeyArgsTest, CreateBodyCarriesOnlyWhatWasGiven) {
  auto body = KeyCreateBody({});
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, json({{"kty", "RSA"}}));

  KeyCreateOptions ec;
  ec.kty = "EC";
  ec.curve = "P-384";
  ec.ops = {"sign", "verify"};
  ec.disabled = true;
  body = KeyCreateBody(ec);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, json::parse(R"({"kty": "EC", "crv": "P-384", "key_ops": ["sign", "verify"],
                                  "attributes": {"enabled": false}})"));
}

TEST(KeyArgsTest, ReleasePolicyIsSentAsBase64UrlOfItsJson) {
  KeyCreateOptions options;
  options.exportable = true;
  options.policy = R"({"version": "1.0.0", "anyOf": []})";
  options.immutable = true;
  auto body = KeyCreateBody(options);
  ASSERT_TRUE(body.ok()) << body.status().message();
  const json& policy = (*body)["release_policy"];
  EXPECT_EQ(policy["contentType"], "application/json; charset=utf-8");
  EXPECT_EQ(policy["immutable"], true);
  EXPECT_EQ(json::parse(*DecodeBase64Url(policy["data"].get<std::string>())),
            json::parse(options.policy));
  EXPECT_EQ((*body)["attributes"], json({{"exportable", true}}));
}

TEST(KeyArgsTest, PolicyThatIsNotAnObjectIsRefusedNamingTheOption) {
  KeyCreateOptions options;
  options.policy = "[1]";
  auto body = KeyCreateBody(options);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(body.status().message().find("--policy"), std::string::npos);
  EXPECT_FALSE(ReadJsonArgument("--value", "@/nonexistent/policy.json").ok());
}

TEST(KeyArgsTest, NullsAreDroppedRecursively) {
  json az = json::parse(R"({"lifetimeActions": [{"trigger": {"timeAfterCreate": "P18M",
      "timeBeforeExpiry": null}, "action": {"type": "Rotate"}}], "attributes": {"expiryTime": "P2Y",
      "created": null}, "id": null})");
  EXPECT_EQ(WithoutNulls(az), json::parse(R"({"lifetimeActions": [{"trigger":
      {"timeAfterCreate": "P18M"}, "action": {"type": "Rotate"}}],
      "attributes": {"expiryTime": "P2Y"}})"));
}

TEST(KeyArgsTest, Base64ArgumentsMayBeStandardOrUrl) {
  const std::string bytes("\xfb\xff\x01", 3);
  EXPECT_EQ(*DecodeBase64Argument("--digest", EncodeBase64Url(bytes)), bytes);
  EXPECT_EQ(*DecodeBase64Argument("--digest", EncodeBase64(bytes)), bytes);
  auto bad = DecodeBase64Argument("--digest", "not base64!");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--digest"), std::string::npos);
}

TEST(KeyArgsTest, DatesAreUtcTimesOrDaysAsAzTakesThem) {
  EXPECT_EQ(*ParseDateTimeArgument("--expires", "2023-11-14T22:13:20Z"), 1'700'000'000);
  EXPECT_EQ(*ParseDateTimeArgument("--expires", "2023-11-14T22:13:20.123Z"), 1'700'000'000);
  EXPECT_EQ(*ParseDateTimeArgument("--expires", "1970-01-02"), 86'400);
  for (const char* bad : {"2023-11-14T22:13:20", "2023-02-30", "2023-11-14T24:00:00Z", "tomorrow",
                          "2023-11-14 22:13:20Z", "2023-11-14T22:13:20+01:00"}) {
    auto parsed = ParseDateTimeArgument("--expires", bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.status().message().find("--expires"), std::string::npos);
  }
}

}  // namespace
}  // namespace coffer::cli
