// Certificate policy JSON: the SDK's create body gets Azure's defaults, PATCH merges field by
// field, wrong types and values are 400s naming the field, and the output has Azure's shape.
#include "api/certificate_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace coffer::api {
namespace {

using ::testing::HasSubstr;

model::CertificatePolicy Read(const char* text, bool creating = true,
                              model::CertificatePolicy base = {}) {
  Status s = ReadCertificatePolicy(Json::parse(text), creating, &base);
  EXPECT_TRUE(s.ok()) << s.ToString() << " for " << text;
  return base;
}

TEST(CertificateJsonTest, TheSdksCreateBodyGetsAzuresDefaults) {
  auto p = Read(R"({"key_props":{},"secret_props":{},"x509_props":{"subject":"cn=MyCert","sans":{}},
                   "issuer":{"name":"Self"},"attributes":{}})");
  Json j = CertificatePolicyJson(p, "https://v.vault.localhost/certificates/c/policy");
  EXPECT_EQ(j["id"], "https://v.vault.localhost/certificates/c/policy");
  EXPECT_EQ(j["key_props"],
            Json::parse(R"({"exportable":true,"kty":"RSA","key_size":2048,"reuse_key":false})"));
  EXPECT_EQ(j["secret_props"]["contentType"], "application/x-pkcs12");
  EXPECT_EQ(j["x509_props"]["subject"], "cn=MyCert");
  EXPECT_EQ(j["x509_props"]["sans"], Json::object());
  EXPECT_EQ(j["x509_props"]["ekus"], Json::parse(R"(["1.3.6.1.5.5.7.3.1","1.3.6.1.5.5.7.3.2"])"));
  EXPECT_EQ(j["x509_props"]["key_usage"], Json::parse(R"(["digitalSignature","keyEncipherment"])"));
  EXPECT_EQ(j["x509_props"]["validity_months"], 12);
  EXPECT_EQ(j["x509_props"]["basic_constraints"]["ca"], false);
  EXPECT_EQ(j["lifetime_actions"], Json::parse(
      R"([{"trigger":{"lifetime_percentage":80},"action":{"action_type":"AutoRenew"}}])"));
  EXPECT_EQ(j["issuer"]["name"], "Self");
  EXPECT_EQ(j["attributes"]["enabled"], true);
}

TEST(CertificateJsonTest, UnknownIssuerDefaultsToEmailContactsAndEcToItsCurve) {
  auto p = Read(R"({"key_props":{"kty":"EC","crv":"P-384"},"x509_props":{"subject":"CN=e",
                   "sans":{"dns_names":["a.example"],"ipAddresses":["10.0.0.1"]}},
                   "issuer":{"name":"Unknown"}})");
  Json j = CertificatePolicyJson(p, "id");
  EXPECT_EQ(j["key_props"]["crv"], "P-384");
  EXPECT_EQ(j["key_props"]["key_size"], 384);
  EXPECT_EQ(j["x509_props"]["key_usage"], Json::parse(R"(["digitalSignature"])"));
  EXPECT_EQ(j["x509_props"]["sans"]["ipAddresses"], Json::parse(R"(["10.0.0.1"])"));
  EXPECT_EQ(j["lifetime_actions"][0]["action"]["action_type"], "EmailContacts");
  auto hsm = Read(R"({"key_props":{"kty":"RSA-HSM"},"x509_props":{"subject":"CN=h"}})");
  EXPECT_FALSE(hsm.exportable);
}

TEST(CertificateJsonTest, PatchMergesFieldByField) {
  auto base = Read(R"({"x509_props":{"subject":"CN=base","validity_months":24},
                      "lifetime_actions":[{"trigger":{"days_before_expiry":30},
                                           "action":{"action_type":"EmailContacts"}}]})");
  auto p = Read(R"({"x509_props":{"sans":{}},"key_props":{"reuse_key":true}})", false, base);
  EXPECT_EQ(p.subject, "CN=base");
  EXPECT_EQ(p.validity_months, 24);
  EXPECT_TRUE(p.reuse_key);
  ASSERT_EQ(p.lifetime_actions.size(), 1u);
  EXPECT_EQ(*p.lifetime_actions[0].days_before_expiry, 30);
  auto q = Read(R"({"key_props":{"kty":"EC"}})", false, base);
  EXPECT_EQ(q.curve, "P-256");
  EXPECT_EQ(q.key_size, 256);
}

TEST(CertificateJsonTest, BadPoliciesAre400sNamingTheField) {
  struct Case {
    const char* json;
    const char* names;
  } cases[] = {
      {R"({"key_props":{"kty":5},"x509_props":{"subject":"CN=x"}})", "kty"},
      {R"({"key_props":{"key_size":"big"},"x509_props":{"subject":"CN=x"}})", "key_size"},
      {R"({"x509_props":{"subject":"CN=x","validity_months":-1}})", "validity_months"},
      {R"({"x509_props":{"subject":"CN=x","ekus":"1.2.3"}})", "ekus"},
      {R"({"x509_props":{"subject":"CN=x","sans":{"dns_names":[1]}}})", "dns_names"},
      {R"({"x509_props":{"subject":"CN=x"},"lifetime_actions":{}})", "lifetime_actions"},
      {R"({"x509_props":{"subject":"CN=x"},"lifetime_actions":[{"trigger":{"lifetime_percentage":50}}]})",
       "action_type"},
      {R"({"x509_props":{"subject":"CN=x"},"lifetime_actions":[{"trigger":{"lifetime_percentage":50},
          "action":{"action_type":"Explode"}}]})",
       "AutoRenew or EmailContacts"},
      {R"({"key_props":{"kty":"oct"},"x509_props":{"subject":"CN=x"}})", "key_props.kty"},
      {R"({"secret_props":{"contentType":"text/plain"},"x509_props":{"subject":"CN=x"}})",
       "contentType"},
      {R"({"issuer":{"name":"Self"}})", "subject"},
      {R"([])", "policy"},
  };
  for (const Case& c : cases) {
    model::CertificatePolicy p;
    Status s = ReadCertificatePolicy(Json::parse(c.json), true, &p);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(s.message(), HasSubstr(c.names)) << c.json;
  }
}

}  // namespace
}  // namespace coffer::api
