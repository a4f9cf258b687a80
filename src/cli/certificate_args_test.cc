#include "cli/certificate_args.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/encoding.h"
#include "core/files.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

// What `az keyvault certificate get-default-policy` prints.
constexpr char kAzDefaultPolicy[] = R"({
  "issuerParameters": {"certificateTransparency": null, "name": "Self"},
  "keyProperties": {"curve": null, "exportable": true, "keySize": 2048, "keyType": "RSA",
                    "reuseKey": true},
  "lifetimeActions": [{"action": {"actionType": "AutoRenew"}, "trigger": {"daysBeforeExpiry": 90}}],
  "secretProperties": {"contentType": "application/x-pkcs12"},
  "x509CertificateProperties": {
    "keyUsage": ["cRLSign", "dataEncipherment"],
    "subject": "CN=CLIGetDefaultPolicy",
    "subjectAlternativeNames": {"dnsNames": ["a.example"], "emails": null},
    "validityInMonths": 12}
})";

TEST(CertificateArgsTest, AzPolicyShapeIsRenamedToTheWireShapeWithoutNulls) {
  auto policy = ReadPolicyArgument(kAzDefaultPolicy);
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  json expected = json::parse(R"({
    "issuer": {"name": "Self"},
    "key_props": {"exportable": true, "key_size": 2048, "kty": "RSA", "reuse_key": true},
    "lifetime_actions": [{"action": {"action_type": "AutoRenew"},
                          "trigger": {"days_before_expiry": 90}}],
    "secret_props": {"contentType": "application/x-pkcs12"},
    "x509_props": {"key_usage": ["cRLSign", "dataEncipherment"], "subject": "CN=CLIGetDefaultPolicy",
                   "sans": {"dns_names": ["a.example"]}, "validity_months": 12}
  })");
  EXPECT_EQ(*policy, expected);
}

TEST(CertificateArgsTest, WireShapePolicyIsKeptAsItIs) {
  json wire = json::parse(R"({"issuer": {"name": "Unknown"},
    "x509_props": {"subject": "CN=x", "sans": {"dns_names": ["x"]}, "validity_months": 3},
    "key_props": {"kty": "EC", "crv": "P-256"}})");
  auto policy = ReadPolicyArgument(wire.dump());
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(*policy, wire);
}

TEST(CertificateArgsTest, PolicyIsReadFromAnAtFile) {
  std::string path = ::testing::TempDir() + "/policy-" + std::to_string(getpid()) + ".json";
  ASSERT_TRUE(WriteFileAtomically(path, R"({"issuerParameters": {"name": "Self"}})", 0600).ok());
  auto policy = ReadPolicyArgument("@" + path);
  std::filesystem::remove(path);
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  EXPECT_EQ((*policy)["issuer"]["name"], "Self");
}

TEST(CertificateArgsTest, PolicyThatIsNotAJsonObjectOrAMissingFileIsRefused) {
  for (const char* text : {"{", "[1]", "12", "", "@/nonexistent/policy.json"}) {
    auto policy = ReadPolicyArgument(text);
    ASSERT_FALSE(policy.ok()) << text;
    EXPECT_EQ(policy.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(policy.status().message().find("--policy"), std::string::npos);
  }
}

TEST(CertificateArgsTest, TagsAreNameValuePairsAndABareNameHasAnEmptyValue) {
  auto tags = ParseTags({"env=prod", "team=a=b", "flag"});
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, json({{"env", "prod"}, {"team", "a=b"}, {"flag", ""}}));
  EXPECT_FALSE(ParseTags({"=v"}).ok());
}

TEST(CertificateArgsTest, ImportValueSendsPemAsTextWithLfAndAnythingElseAsBase64) {
  EXPECT_EQ(ImportValue("-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n"),
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  std::string pfx("\x30\x82\x01\x00\r\n\xff", 7);
  EXPECT_EQ(ImportValue(pfx), EncodeBase64(pfx));
}

TEST(CertificateArgsTest, CertificatePemWrapsBase64At64Columns) {
  std::string der(100, '\x5a');
  std::string pem = CertificatePem(der);
  std::string b64 = EncodeBase64(der);
  ASSERT_EQ(b64.size(), 136u);
  EXPECT_EQ(pem, "-----BEGIN CERTIFICATE-----\n" + b64.substr(0, 64) + "\n" + b64.substr(64, 64) +
                     "\n" + b64.substr(128) + "\n-----END CERTIFICATE-----\n");
}

}  // namespace
}  // namespace coffer::cli
