// Self-signed issuance (certificate_issue.h), the subject string form and what
// InspectCertificate reads back (certificate_info.h), checked with OpenSSL directly.
#include "crypto/certificate_issue.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/certificate_info.h"
#include "crypto/certificate_test_support.h"

namespace coffer::crypto {
namespace {

using testing::ExpectBadParameter;
using testing::ParseDer;
using testing::Pkey;
using testing::TestKey;

constexpr int64_t k2025 = 1735689600;  // 2025-01-01T00:00:00Z

X509Profile FullProfile() {
  X509Profile p;
  p.subject = "CN=www.contoso.com, O=Contoso, OU=IT, L=Redmond, ST=WA, C=US, E=admin@contoso.com";
  p.sans.dns_names = {"www.contoso.com", "*.contoso.com"};
  p.sans.emails = {"a@contoso.com"};
  p.sans.upns = {"user@contoso.com"};
  p.sans.uris = {"https://contoso.com/id"};
  p.sans.ip_addresses = {"10.0.0.1", "2001:db8::1"};
  p.key_usage = {"digitalSignature", "keyEncipherment"};
  p.ekus = {"1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"};
  p.validity_months = 12;
  return p;
}

struct KeyCase {
  const char* key;
  int signature_nid;
};

class IssueForEveryKeyType : public ::testing::TestWithParam<KeyCase> {};

TEST_P(IssueForEveryKeyType, RoundTripsProfileAndVerifiesItsOwnSignature) {
  const KeyMaterial& key = TestKey(GetParam().key);
  X509Profile profile = FullProfile();
  auto der = IssueSelfSignedCertificate(profile, key, k2025);
  ASSERT_TRUE(der.ok()) << der.status().ToString();
  internal::X509Ptr cert = ParseDer(*der);
  ASSERT_NE(cert, nullptr);

  internal::PkeyPtr pkey = Pkey(key);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), pkey.get()), 1);
  EXPECT_EQ(X509_verify(cert.get(), pkey.get()), 1);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), GetParam().signature_nid);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);

  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  EXPECT_EQ(ASN1_STRING_length(serial), 16);
  EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER);  // not V_ASN1_NEG_INTEGER

  int ku = X509_get_ext_by_NID(cert.get(), NID_key_usage, -1);
  ASSERT_GE(ku, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), ku)), 1);
  int bc = X509_get_ext_by_NID(cert.get(), NID_basic_constraints, -1);
  ASSERT_GE(bc, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), bc)), 0);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  ASSERT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  ASSERT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(cert.get()),
                                  X509_get0_authority_key_id(cert.get())),
            0);

  auto info = InspectCertificate(*der);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->subject, profile.subject);
  EXPECT_EQ(info->issuer, profile.subject);
  EXPECT_TRUE(info->self_issued);
  EXPECT_EQ(info->sans.dns_names, profile.sans.dns_names);
  EXPECT_EQ(info->sans.emails, profile.sans.emails);
  EXPECT_EQ(info->sans.upns, profile.sans.upns);
  EXPECT_EQ(info->sans.uris, profile.sans.uris);
  EXPECT_EQ(info->sans.ip_addresses, profile.sans.ip_addresses);
  EXPECT_EQ(info->key_usage, profile.key_usage);
  EXPECT_EQ(info->ekus, profile.ekus);
  EXPECT_EQ(info->not_before, k2025 - 600);
  EXPECT_EQ(info->not_after, k2025 + 365 * 86400);
  EXPECT_EQ(info->serial_hex.size(), 32u);
  EXPECT_EQ(info->sha1_thumbprint.size(), 20u);
  EXPECT_EQ(info->sha256_thumbprint.size(), 32u);
  EXPECT_EQ(info->x5t, CertificateX5t(*der));
  EXPECT_EQ(DecodeBase64(info->cer), *der);
}

INSTANTIATE_TEST_SUITE_P(Keys, IssueForEveryKeyType,
                         ::testing::Values(KeyCase{"RSA-2048", NID_sha256WithRSAEncryption},
                                           KeyCase{"RSA-3072", NID_sha256WithRSAEncryption},
                                           KeyCase{"RSA-4096", NID_sha256WithRSAEncryption},
                                           KeyCase{"P-256", NID_ecdsa_with_SHA256},
                                           KeyCase{"P-384", NID_ecdsa_with_SHA384},
                                           KeyCase{"P-521", NID_ecdsa_with_SHA512}),
                         [](const auto& info) {
                           std::string name = info.param.key;
                           std::erase(name, '-');
                           return name;
                         });

TEST(CertificateIssueTest, SerialsDifferAndStayPositive) {
  X509Profile profile;
  profile.subject = "CN=a";
  std::set<std::string> serials;
  for (int i = 0; i < 20; ++i) {
    auto der = IssueSelfSignedCertificate(profile, TestKey("P-256"), k2025);
    ASSERT_TRUE(der.ok());
    auto info = InspectCertificate(*der);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->serial_hex.size(), 32u);
    serials.insert(info->serial_hex);
  }
  EXPECT_EQ(serials.size(), 20u);
}

TEST(CertificateIssueTest, MinimalProfileHasNoSanNoKeyUsageAndEncodesCnAsPrintableString) {
  X509Profile profile;
  profile.subject = "cn=MyCert";
  auto der = IssueSelfSignedCertificate(profile, TestKey("RSA-2048"), k2025);
  ASSERT_TRUE(der.ok()) << der.status().ToString();
  internal::X509Ptr cert = ParseDer(*der);
  EXPECT_LT(X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1), 0);
  EXPECT_LT(X509_get_ext_by_NID(cert.get(), NID_key_usage, -1), 0);
  const X509_NAME_ENTRY* cn = X509_NAME_get_entry(X509_get_subject_name(cert.get()), 0);
  EXPECT_EQ(OBJ_obj2nid(X509_NAME_ENTRY_get_object(cn)), NID_commonName);
  EXPECT_EQ(ASN1_STRING_type(X509_NAME_ENTRY_get_data(cn)), V_ASN1_PRINTABLESTRING);
  auto info = InspectCertificate(*der);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->subject, "CN=MyCert");  // attribute upper-cased, as Azure encodes it
  EXPECT_TRUE(info->sans.empty());
  EXPECT_TRUE(info->key_usage.empty());
}

TEST(CertificateIssueTest, SubjectEscapesQuotesMultiValuedRdnsAndUtf8RoundTrip) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"CN=a\\, b, O=x", "CN=a\\, b, O=x"},
      {"CN=\"Quoted, Inc\";O=x", "CN=Quoted\\, Inc, O=x"},
      {"OU=x+OU=y, O=z", "OU=x+OU=y, O=z"},
      {"CN=Zo\xC3\xAB", "CN=Zo\xC3\xAB"},
      {"CN=\\41bc", "CN=Abc"},
      {"CN=\\ lead, O=trail\\ ", "CN=\\ lead, O=trail\\ "},
      {"S=WA, 2.5.4.3=oid", "ST=WA, CN=oid"},
      {"CN=a=b", "CN=a\\=b"},
      {"1.2.3.4=x, OID.1.3.6.1.4.1.99999.1=y", "OID.1.2.3.4=x, OID.1.3.6.1.4.1.99999.1=y"},
      {"DC=com, SERIALNUMBER=42, G=Ann, SN=Lee, T=Dr, STREET=Main",
       "DC=com, SERIALNUMBER=42, G=Ann, SN=Lee, T=Dr, STREET=Main"},
  };
  for (const auto& c : cases) {
    X509Profile profile;
    profile.subject = c.in;
    auto der = IssueSelfSignedCertificate(profile, TestKey("P-256"), k2025);
    ASSERT_TRUE(der.ok()) << c.in << ": " << der.status().ToString();
    auto info = InspectCertificate(*der);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->subject, c.out) << c.in;
  }
}

TEST(CertificateIssueTest, MalformedSubjectsAreRefusedWithBadParameter) {
  const char* bad[] = {"",           "CN",      "CN=",          "XX=a",   "CN=a,",     "CN=\"open",
                       "C=USA",      "CN=a\\",  "CN=a\\q",      "=a",     "CN=a,,O=b", "CN=a+",
                       "CN=\"x\" y", "CN=a\"b", "E=\xC3\xA9@x", "CN=\xC3"};
  for (const char* subject : bad) {
    X509Profile profile;
    profile.subject = subject;
    auto der = IssueSelfSignedCertificate(profile, TestKey("P-256"), k2025);
    ASSERT_FALSE(der.ok()) << subject;
    ExpectBadParameter(der.status(), "subject");
  }
  X509Profile profile;
  profile.subject = "XX=a";
  auto der = IssueSelfSignedCertificate(profile, TestKey("P-256"), k2025);
  ExpectBadParameter(der.status(), "unknown attribute 'XX'");
}

TEST(CertificateIssueTest, InvalidProfileEntriesAreRefusedNamingTheEntry) {
  struct Case {
    void (*edit)(X509Profile&);
    const char* contains;
  } cases[] = {
      {[](X509Profile& p) { p.key_usage = {"signEverything"}; }, "signEverything"},
      {[](X509Profile& p) { p.ekus = {"serverAuth"}; }, "serverAuth"},
      {[](X509Profile& p) { p.sans.dns_names = {"bad name"}; }, "bad name"},
      {[](X509Profile& p) { p.sans.ip_addresses = {"1.2.3"}; }, "1.2.3"},
      {[](X509Profile& p) { p.sans.emails = {"nope"}; }, "nope"},
      {[](X509Profile& p) { p.sans.uris = {"no-scheme"}; }, "no-scheme"},
      {[](X509Profile& p) { p.validity_months = 0; }, "validity_months"},
      {[](X509Profile& p) { p.validity_months = 1201; }, "validity_months"},
  };
  for (const auto& c : cases) {
    X509Profile profile = FullProfile();
    c.edit(profile);
    auto der = IssueSelfSignedCertificate(profile, TestKey("P-256"), k2025);
    ASSERT_FALSE(der.ok()) << c.contains;
    ExpectBadParameter(der.status(), c.contains);
  }
}

TEST(CertificateIssueTest, ValidateX509ProfileAgreesWithIssuance) {
  EXPECT_TRUE(ValidateX509Profile(FullProfile()).ok());
  X509Profile bad = FullProfile();
  bad.subject = "CN=a,";
  ExpectBadParameter(ValidateX509Profile(bad), "subject");
  bad = FullProfile();
  bad.ekus = {"1.3.6.1.5.5.7.3.1", "not-an-oid"};
  ExpectBadParameter(ValidateX509Profile(bad), "not-an-oid");
}

TEST(CertificateIssueTest, OctKeyIsRefused) {
  auto oct = KeyMaterial::GenerateOct(256);
  ASSERT_TRUE(oct.ok());
  X509Profile profile;
  profile.subject = "CN=a";
  ExpectBadParameter(IssueSelfSignedCertificate(profile, *oct, k2025).status(), "oct");
}

TEST(CertificateIssueTest, KeyUsageNamesAreAllEncodedAndReadBack) {
  X509Profile profile;
  profile.subject = "CN=a";
  profile.key_usage = {"digitalSignature", "nonRepudiation", "keyEncipherment",
                       "dataEncipherment", "keyAgreement",   "keyCertSign",
                       "cRLSign",          "encipherOnly",   "decipherOnly"};
  auto der = IssueSelfSignedCertificate(profile, TestKey("P-256"), k2025);
  ASSERT_TRUE(der.ok());
  auto info = InspectCertificate(*der);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->key_usage, profile.key_usage);
}

TEST(CertificateIssueTest, ValidityUsesCalendarMonthsAndGeneralizedTimeAfter2049) {
  EXPECT_EQ(AddMonths(k2025, 12), k2025 + 365 * 86400);
  EXPECT_EQ(AddMonths(1704067200, 12), 1704067200 + 366 * 86400);  // 2024 is a leap year
  EXPECT_EQ(AddMonths(1706659200 + 3723, 1), 1709164800 + 3723);   // 31 Jan 2024 -> 29 Feb
  EXPECT_EQ(AddMonths(k2025, 0), k2025);
  constexpr int64_t k2049Dec = 2522880000;  // 2049-12-12T00:00:00Z
  X509Profile profile;
  profile.subject = "CN=a";
  profile.validity_months = 1;
  auto der = IssueSelfSignedCertificate(profile, TestKey("P-256"), k2049Dec);
  ASSERT_TRUE(der.ok());
  internal::X509Ptr cert = ParseDer(*der);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_notAfter(cert.get())), V_ASN1_GENERALIZEDTIME);
  auto info = InspectCertificate(*der);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->not_after, AddMonths(k2049Dec, 1));
}

TEST(CertificateInfoTest, DerivedValidityMonthsRoundsUpLikeAzure) {
  int64_t nbf = k2025 - 600;
  EXPECT_EQ(DerivedValidityMonths(nbf, AddMonths(k2025, 12)), 12);
  EXPECT_EQ(DerivedValidityMonths(nbf, AddMonths(k2025, 12) + 600), 13);
  EXPECT_EQ(DerivedValidityMonths(nbf, AddMonths(k2025, 1)), 1);
}

TEST(CertificateInfoTest, X5tIsUnpaddedBase64UrlSha1AndCerIsStandardBase64) {
  std::string der = "\x30\x03\x02\x01\x01";
  EXPECT_EQ(CertificateX5t(der).size(), 27u);
  EXPECT_EQ(CertificateX5t(der).find('='), std::string::npos);
  EXPECT_EQ(DecodeBase64Url(CertificateX5t(der))->size(), 20u);
  EXPECT_EQ(CertificateCer(der), "MAMCAQE=");
}

TEST(CertificateInfoTest, GarbageIsNotACertificate) {
  ExpectBadParameter(InspectCertificate("").status());
  ExpectBadParameter(InspectCertificate("not a certificate").status(), "not a DER X.509");
  auto der = IssueSelfSignedCertificate(FullProfile(), TestKey("P-256"), k2025);
  ASSERT_TRUE(der.ok());
  ExpectBadParameter(InspectCertificate(der->substr(0, der->size() - 1)).status());
  ExpectBadParameter(InspectCertificate(*der + "x").status());
}

}  // namespace
}  // namespace coffer::crypto
