// Certificate policies: Azure's defaults, validation that names the field, key_ops from key
// usage, and the record round trip.
#include "model/certificate_policy.h"

#include <gmock/gmock.h>
#include <functional>
#include <gtest/gtest.h>

namespace coffer::model {
namespace {

using ::testing::HasSubstr;

TEST(CertificatePolicyTest, DefaultsAreAzures) {
  CertificatePolicy p;
  p.subject = "cn=MyCert";
  ASSERT_TRUE(CompleteAndValidatePolicy(p).ok());
  EXPECT_EQ(p.kty, "RSA");
  EXPECT_EQ(p.key_size, 2048);
  EXPECT_TRUE(p.exportable);
  EXPECT_FALSE(p.reuse_key);
  EXPECT_EQ(p.content_type, "application/x-pkcs12");
  EXPECT_EQ(p.ekus, (std::vector<std::string>{"1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"}));
  EXPECT_EQ(p.key_usage, (std::vector<std::string>{"digitalSignature", "keyEncipherment"}));
  EXPECT_EQ(p.validity_months, 12);
  EXPECT_EQ(p.issuer_name, "Self");
  auto self = DefaultLifetimeActions("Self");
  ASSERT_EQ(self.size(), 1u);
  EXPECT_EQ(*self[0].lifetime_percentage, 80);
  EXPECT_EQ(self[0].action, CertificateActionType::kAutoRenew);
  EXPECT_EQ(DefaultLifetimeActions("Unknown")[0].action, CertificateActionType::kEmailContacts);
}

TEST(CertificatePolicyTest, EcKeysTakeTheCurvesSize) {
  CertificatePolicy p;
  p.subject = "CN=ec";
  p.kty = "ec";
  p.curve = "p-384";
  p.exportable = true;
  ASSERT_TRUE(CompleteAndValidatePolicy(p).ok());
  EXPECT_EQ(p.kty, "EC");
  EXPECT_EQ(p.curve, "P-384");
  EXPECT_EQ(p.key_size, 384);
  EXPECT_EQ(p.key_usage, std::vector<std::string>{"digitalSignature"});
  CertificatePolicy q;
  q.subject = "CN=ec";
  q.kty = "EC";
  q.key_size = 256;
  ASSERT_TRUE(CompleteAndValidatePolicy(q).ok());
  EXPECT_EQ(q.curve, "P-256");
}

TEST(CertificatePolicyTest, InvalidPoliciesNameTheField) {
  struct Case {
    std::function<void(CertificatePolicy&)> edit;
    const char* names;
  } cases[] = {
      {[](auto& p) { p.kty = "oct"; }, "key_props.kty"},
      {[](auto& p) { p.key_size = 1024; }, "key_props.key_size"},
      {[](auto& p) { p.kty = "EC"; p.curve = "P-192"; }, "key_props.crv"},
      {[](auto& p) { p.curve = "P-256"; }, "only to EC"},
      {[](auto& p) { p.kty = "RSA-HSM"; p.exportable = true; }, "exportable"},
      {[](auto& p) { p.content_type = "text/plain"; }, "secret_props.contentType"},
      {[](auto& p) { p.subject.clear(); }, "subject"},
      {[](auto& p) { p.validity_months = 0; }, "validity_months"},
      {[](auto& p) { p.key_usage = {"digitalSignature", "teleport"}; }, "'teleport'"},
      {[](auto& p) { p.ekus = {"serverAuth"}; }, "not an OID"},
      {[](auto& p) { p.lifetime_actions = {CertificateLifetimeAction{}}; }, "exactly one"},
      {[](auto& p) {
         CertificateLifetimeAction a;
         a.lifetime_percentage = 100;
         p.lifetime_actions = {a};
       },
       "1 to 99"},
      {[](auto& p) {
         CertificateLifetimeAction a;
         a.days_before_expiry = 400;
         p.lifetime_actions = {a};
       },
       "validity_months × 27"},
  };
  for (const Case& c : cases) {
    CertificatePolicy p;
    p.subject = "CN=x";
    c.edit(p);
    Status s = CompleteAndValidatePolicy(p);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.names;
    EXPECT_THAT(s.message(), HasSubstr(c.names));
  }
}

TEST(CertificatePolicyTest, KeyOpsFollowKeyUsage) {
  EXPECT_EQ(KeyOpsForKeyUsage({"digitalSignature", "keyEncipherment"}),
            (std::vector<std::string>{"sign", "verify", "wrapKey", "unwrapKey"}));
  EXPECT_EQ(KeyOpsForKeyUsage({"dataEncipherment"}),
            (std::vector<std::string>{"encrypt", "decrypt"}));
  EXPECT_EQ(KeyOpsForKeyUsage({"cRLSign", "decipherOnly"}),
            (std::vector<std::string>{"sign", "verify", "decrypt"}));
  EXPECT_TRUE(KeyOpsForKeyUsage({"keyAgreement"}).empty());
}

TEST(CertificatePolicyTest, RecordRoundTripAndDamage) {
  CertificatePolicy p;
  p.subject = "CN=round, O=trip";
  p.sans_present = true;
  p.sans.dns_names = {"a.example", "b.example"};
  p.sans.emails = {"x@example.com"};
  p.sans.upns = {"u@example.com"};
  p.sans.ip_addresses = {"10.0.0.1"};
  p.kty = "EC-HSM";
  p.exportable = false;
  p.curve = "P-521";
  p.issuer_name = "Unknown";
  p.certificate_type = "OV-SSL";
  p.cert_transparency = false;
  CertificateLifetimeAction a;
  a.days_before_expiry = 30;
  a.action = CertificateActionType::kEmailContacts;
  p.lifetime_actions = {a};
  p.created = 1700000000;
  p.updated = 1700000001;
  ASSERT_TRUE(CompleteAndValidatePolicy(p).ok());
  SecretBytes record = EncodeCertificatePolicy(p);
  auto back = DecodeCertificatePolicy(record.view());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->subject, p.subject);
  EXPECT_EQ(back->sans.dns_names, p.sans.dns_names);
  EXPECT_EQ(back->sans.ip_addresses, p.sans.ip_addresses);
  EXPECT_EQ(back->curve, "P-521");
  EXPECT_EQ(back->key_size, 521);
  EXPECT_EQ(back->issuer_name, "Unknown");
  EXPECT_EQ(back->cert_transparency, std::optional<bool>(false));
  ASSERT_EQ(back->lifetime_actions.size(), 1u);
  EXPECT_EQ(*back->lifetime_actions[0].days_before_expiry, 30);
  EXPECT_EQ(back->lifetime_actions[0].action, CertificateActionType::kEmailContacts);
  EXPECT_EQ(back->updated, 1700000001);
  std::string bytes(record.view());
  for (size_t len = 0; len < bytes.size(); ++len) {
    EXPECT_FALSE(DecodeCertificatePolicy(std::string_view(bytes).substr(0, len)).ok()) << len;
  }
  EXPECT_FALSE(DecodeCertificatePolicy(bytes + "x").ok());
}

}  // namespace
}  // namespace coffer::model
