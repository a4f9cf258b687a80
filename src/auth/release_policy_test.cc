// Secure key release policies: good and bad documents, and evaluation against token claims.
#include "auth/release_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace coffer::auth {
namespace {

using ::testing::HasSubstr;

// The shape the Azure SDK's own release tests use.
constexpr std::string_view kSdkPolicy = R"({
  "anyOf": [{"anyOf": [{"claim": "sdk-test", "equals": true}],
             "authority": "https://attestation.localhost:8443/"}],
  "version": "1.0.0"})";

TEST(ReleasePolicyTest, ParsesTheSdkPolicy) {
  auto p = ParseReleasePolicy(kSdkPolicy);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->version, "1.0.0");
  EXPECT_FALSE(p->all_of);
  ASSERT_EQ(p->authorities.size(), 1u);
  EXPECT_EQ(p->authorities[0].authority, "https://attestation.localhost:8443/");
  ASSERT_EQ(p->authorities[0].conditions.size(), 1u);
  EXPECT_EQ(p->authorities[0].conditions[0].claim, "sdk-test");
  EXPECT_EQ(p->authorities[0].conditions[0].equals_json, "true");
  EXPECT_EQ(ReleasePolicyAuthorities(*p),
            std::vector<std::string>{"https://attestation.localhost:8443/"});
}

TEST(ReleasePolicyTest, ParsesNestedConditions) {
  auto p = ParseReleasePolicy(R"({"version":"1.0.0","allOf":[{"authority":"https://a.example",
    "allOf":[{"claim":"x-ms-attestation-type","equals":"sevsnpvm"},
             {"anyOf":[{"claim":"x-ms-compliance-status","equals":"azure-compliant-cvm"},
                       {"claim":"debug","equals":false}]}]}]})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->all_of);
  EXPECT_EQ(p->authorities[0].conditions[1].kind, ReleaseCondition::Kind::kAnyOf);
  EXPECT_EQ(p->authorities[0].conditions[1].children.size(), 2u);
}

TEST(ReleasePolicyTest, RefusesBadDocumentsNamingTheProblem) {
  struct Case {
    const char* json;
    const char* names;
  } cases[] = {
      {"", "not a JSON object"},
      {"[]", "not a JSON object"},
      {R"({"anyOf":[{"authority":"https://a","anyOf":[{"claim":"c","equals":1}]}]})", "version"},
      {R"({"version":"2.0.0","anyOf":[{"authority":"https://a","anyOf":[{"claim":"c","equals":1}]}]})",
       "not supported"},
      {R"({"version":"1.0.0"})", "exactly one of 'anyOf' and 'allOf'"},
      {R"({"version":"1.0.0","anyOf":[],"allOf":[]})", "exactly one"},
      {R"({"version":"1.0.0","anyOf":[]})", "non-empty array"},
      {R"({"version":"1.0.0","anyOf":[{"anyOf":[{"claim":"c","equals":1}]}]})", "authority"},
      {R"({"version":"1.0.0","anyOf":[{"authority":"http://a","anyOf":[{"claim":"c","equals":1}]}]})",
       "https URL"},
      {R"({"version":"1.0.0","anyOf":[{"authority":"https://a","anyOf":[{"claim":"c"}]}]})",
       "'equals'"},
      {R"({"version":"1.0.0","anyOf":[{"authority":"https://a","anyOf":[{"claim":"c","equals":{}}]}]})",
       "string, a boolean or a number"},
      {R"({"version":"1.0.0","anyOf":[{"authority":"https://a","anyOf":[{"claim":"","equals":1}]}]})",
       "non-empty string"},
      {R"({"version":"1.0.0","anyOf":[{"authority":"https://a","anyOf":[{"claim":"c","equals":1,"x":2}]}]})",
       "unknown field 'x'"},
      {R"({"version":"1.0.0","extra":1,"anyOf":[{"authority":"https://a","anyOf":[{"claim":"c","equals":1}]}]})",
       "unknown field 'extra'"},
  };
  for (const Case& c : cases) {
    auto p = ParseReleasePolicy(c.json);
    ASSERT_FALSE(p.ok()) << c.json;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(p.status().message(), HasSubstr(c.names)) << c.json;
  }
}

TEST(ReleasePolicyTest, RefusesDeepNestingAndHugeDocuments) {
  std::string cond = R"({"claim":"c","equals":1})";
  for (int i = 0; i < 12; ++i) cond = R"({"anyOf":[)" + cond + "]}";
  std::string doc = R"({"version":"1.0.0","anyOf":[{"authority":"https://a","anyOf":[)" + cond +
                    "]}]}";
  auto p = ParseReleasePolicy(doc);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("nests too deeply"));
  EXPECT_FALSE(ParseReleasePolicy(std::string(20000, ' ') + "{}").ok());
}

TEST(ReleasePolicyTest, AllowsOnlyTokensOfTheAuthorityWithMatchingClaims) {
  auto p = ParseReleasePolicy(kSdkPolicy);
  ASSERT_TRUE(p.ok());
  const std::string iss = "https://attestation.localhost:8443";
  EXPECT_TRUE(EvaluateReleasePolicy(*p, iss, R"({"sdk-test":true})").ok());
  EXPECT_TRUE(EvaluateReleasePolicy(*p, "HTTPS://Attestation.localhost:8443/",
                                    R"({"sdk-test":true})")
                  .ok());
  Status wrong_value = EvaluateReleasePolicy(*p, iss, R"({"sdk-test":false})");
  EXPECT_EQ(wrong_value.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(wrong_value.message(), HasSubstr("claim 'sdk-test' does not have the value"));
  Status missing = EvaluateReleasePolicy(*p, iss, R"({"other":true})");
  EXPECT_THAT(missing.message(), HasSubstr("claim 'sdk-test' is missing"));
  Status other_issuer = EvaluateReleasePolicy(*p, "https://evil.localhost", R"({"sdk-test":true})");
  EXPECT_EQ(other_issuer.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(other_issuer.message(), HasSubstr("not an authority"));
  // Values compare by their text: the policy's true matches a claim "true" and the SDK tests'
  // "true" (a string) matches the claim true; nothing else does.
  EXPECT_TRUE(EvaluateReleasePolicy(*p, iss, R"({"sdk-test":"true"})").ok());
  EXPECT_FALSE(EvaluateReleasePolicy(*p, iss, R"({"sdk-test":"yes"})").ok());
  EXPECT_FALSE(EvaluateReleasePolicy(*p, iss, R"({"sdk-test":1})").ok());
  auto as_string = ParseReleasePolicy(R"({"version":"1.0","anyOf":[{"authority":"https://a",
    "allOf":[{"claim":"sdk-test","equals":"true"},{"claim":"svn","equals":"2"}]}]})");
  ASSERT_TRUE(as_string.ok());
  EXPECT_TRUE(EvaluateReleasePolicy(*as_string, "https://a", R"({"sdk-test":true,"svn":2})").ok());
  EXPECT_FALSE(EvaluateReleasePolicy(*as_string, "https://a", R"({"sdk-test":false,"svn":2})").ok());
}

TEST(ReleasePolicyTest, EvaluatesAllOfAnyOfAndDottedClaims) {
  auto p = ParseReleasePolicy(R"({"version":"1.0.0","anyOf":[{"authority":"https://a",
    "allOf":[{"claim":"x-ms-isolation-tee.x-ms-attestation-type","equals":"sevsnpvm"},
             {"anyOf":[{"claim":"level","equals":2},{"claim":"debug","equals":false}]}]}]})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const char* tee = R"("x-ms-isolation-tee":{"x-ms-attestation-type":"sevsnpvm"})";
  EXPECT_TRUE(EvaluateReleasePolicy(*p, "https://a", std::string("{") + tee + R"(,"level":2})").ok());
  EXPECT_TRUE(
      EvaluateReleasePolicy(*p, "https://a", std::string("{") + tee + R"(,"debug":false})").ok());
  EXPECT_FALSE(
      EvaluateReleasePolicy(*p, "https://a", std::string("{") + tee + R"(,"level":3})").ok());
  EXPECT_FALSE(EvaluateReleasePolicy(*p, "https://a", R"({"level":2})").ok());
  EXPECT_FALSE(EvaluateReleasePolicy(*p, "https://a", "not json").ok());
}

}  // namespace
}  // namespace coffer::auth
