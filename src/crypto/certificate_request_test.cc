// PKCS#10 requests (certificate_request.h), checked with OpenSSL directly.
#include "crypto/certificate_request.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/certificate_internal.h"
#include "crypto/certificate_test_support.h"

namespace coffer::crypto {
namespace {

using testing::ExpectBadParameter;
using testing::TestKey;

using X509ReqPtr = std::unique_ptr<X509_REQ, internal::FnDeleter<X509_REQ_free>>;

class RequestForKey : public ::testing::TestWithParam<const char*> {};

TEST_P(RequestForKey, VerifiesAndCarriesSubjectSansAndExtensions) {
  const KeyMaterial& key = TestKey(GetParam());
  X509Profile profile;
  profile.subject = "CN=pending.contoso.com, O=Contoso";
  profile.sans.dns_names = {"pending.contoso.com"};
  profile.sans.ip_addresses = {"192.0.2.7"};
  profile.key_usage = {"digitalSignature"};
  profile.ekus = {"1.3.6.1.5.5.7.3.1"};
  auto csr = CreateCertificateRequest(profile, key);
  ASSERT_TRUE(csr.ok()) << csr.status().ToString();
  EXPECT_EQ(DecodeBase64(csr->base64), csr->der);

  const unsigned char* p = reinterpret_cast<const unsigned char*>(csr->der.data());
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(csr->der.size())));
  ASSERT_NE(req, nullptr);
  internal::PkeyPtr pkey = testing::Pkey(key);
  EXPECT_EQ(X509_REQ_verify(req.get(), pkey.get()), 1);
  EXPECT_EQ(EVP_PKEY_eq(X509_REQ_get0_pubkey(req.get()), pkey.get()), 1);
  EXPECT_EQ(internal::FormatSubject(X509_REQ_get_subject_name(req.get())), profile.subject);

  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req.get());
  ASSERT_NE(exts, nullptr);
  int ku = X509v3_get_ext_by_NID(exts, NID_key_usage, -1);
  ASSERT_GE(ku, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(exts, ku)), 1);
  EXPECT_GE(X509v3_get_ext_by_NID(exts, NID_ext_key_usage, -1), 0);
  EXPECT_GE(X509v3_get_ext_by_NID(exts, NID_basic_constraints, -1), 0);
  int san = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1);
  ASSERT_GE(san, 0);
  auto* names = static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(sk_X509_EXTENSION_value(exts, san)));
  ASSERT_NE(names, nullptr);
  EXPECT_EQ(sk_GENERAL_NAME_num(names), 2);
  GENERAL_NAMES_free(names);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

INSTANTIATE_TEST_SUITE_P(Keys, RequestForKey, ::testing::Values("RSA-2048", "P-384"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

TEST(CertificateRequestTest, MalformedSubjectIsRefused) {
  X509Profile profile;
  profile.subject = "CN=a,";
  ExpectBadParameter(CreateCertificateRequest(profile, TestKey("P-256")).status(), "subject");
}

}  // namespace
}  // namespace coffer::crypto
