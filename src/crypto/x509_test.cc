#include "crypto/x509.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace coffer::crypto {
namespace {

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

X509Ptr ParseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return X509Ptr(cert, X509_free);
}

std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ParseKey(const SecretBytes& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return {key, EVP_PKEY_free};
}

struct VerifyTarget {
  std::string host;
  std::string ip;
};

// X509_verify_cert with the CA as the only trust anchor, TLS-server purpose, and an optional
// host or IP check. Returns the X509_V_* result.
int Verify(const std::string& ca_pem, const std::string& leaf_pem, const VerifyTarget& target) {
  X509Ptr ca = ParseCert(ca_pem);
  X509Ptr leaf = ParseCert(leaf_pem);
  if (ca == nullptr || leaf == nullptr) return -1;
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf.get(), nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (!target.host.empty()) X509_VERIFY_PARAM_set1_host(param, target.host.c_str(), 0);
  if (!target.ip.empty()) X509_VERIFY_PARAM_set1_ip_asc(param, target.ip.c_str());
  int rc = X509_verify_cert(ctx);
  int err = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return rc == 1 ? X509_V_OK : (err == X509_V_OK ? -2 : err);
}

class DevCaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto ca = MakeDevCa("Coffer Dev CA", 3650);
    ASSERT_TRUE(ca.ok()) << ca.status().ToString();
    ca_ = new CertAndKey(std::move(ca).value());
    auto leaf = MakeServerCert(
        *ca_, "dev.vault.localhost",
        {"dev.vault.localhost", "*.vault.localhost", "localhost", "127.0.0.1", "::1"}, 365);
    ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
    leaf_ = new CertAndKey(std::move(leaf).value());
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete leaf_;
  }
  static CertAndKey* ca_;
  static CertAndKey* leaf_;
};
CertAndKey* DevCaTest::ca_ = nullptr;
CertAndKey* DevCaTest::leaf_ = nullptr;

TEST_F(DevCaTest, CaIsSelfSignedConstrainedCa) {
  X509Ptr ca = ParseCert(ca_->cert_pem);
  ASSERT_NE(ca, nullptr);
  auto key = ParseKey(ca_->key_pem);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_check_private_key(ca.get(), key.get()), 1);
  EXPECT_EQ(X509_verify(ca.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_get_version(ca.get()), X509_VERSION_3);
  EXPECT_EQ(X509_get_key_usage(ca.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);

  int bc = X509_get_ext_by_NID(ca.get(), NID_basic_constraints, -1);
  ASSERT_GE(bc, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(ca.get(), bc)), 1);
  int nc = X509_get_ext_by_NID(ca.get(), NID_name_constraints, -1);
  ASSERT_GE(nc, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(ca.get(), nc)), 1);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(ca.get())), 256);
  EXPECT_EQ(X509_get_signature_nid(ca.get()), NID_ecdsa_with_SHA256);
}

TEST_F(DevCaTest, NameConstraintsPermitExactlyLocalhostAndLoopback) {
  X509Ptr ca = ParseCert(ca_->cert_pem);
  auto* nc = static_cast<NAME_CONSTRAINTS*>(
      X509_get_ext_d2i(ca.get(), NID_name_constraints, nullptr, nullptr));
  ASSERT_NE(nc, nullptr);
  EXPECT_EQ(nc->excludedSubtrees, nullptr);
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); ++i) {
    GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base;
    if (base->type == GEN_DNS) {
      dns.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(base->d.dNSName)),
                       ASN1_STRING_length(base->d.dNSName));
    } else if (base->type == GEN_IPADD) {
      ips.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(base->d.iPAddress)),
                       ASN1_STRING_length(base->d.iPAddress));
    }
  }
  NAME_CONSTRAINTS_free(nc);
  EXPECT_EQ(dns, (std::vector<std::string>{"localhost", ".localhost"}));
  std::string v6(32, '\0');
  v6[15] = 1;
  for (int i = 16; i < 32; ++i) v6[i] = '\xff';
  EXPECT_EQ(ips, (std::vector<std::string>{std::string("\x7f\0\0\0\xff\0\0\0", 8), v6}));
}

TEST_F(DevCaTest, CaValidityAndSerial) {
  X509Ptr ca = ParseCert(ca_->cert_pem);
  time_t now = time(nullptr);
  int day = 0, sec = 0;
  // notBefore is one hour back (allowing a minute for slow test machines).
  ASSERT_EQ(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(ca.get()), nullptr), 1);
  long back = day * 86400L + sec;
  EXPECT_GE(back, 3600 - 60);
  EXPECT_LE(back, 3600 + 60);
  ASSERT_EQ(ASN1_TIME_diff(&day, &sec, nullptr, X509_get0_notAfter(ca.get())), 1);
  EXPECT_TRUE(day == 3650 || (day == 3649 && sec > 86400 - 60)) << day << "d " << sec << "s";
  (void)now;

  const ASN1_INTEGER* serial = X509_get0_serialNumber(ca.get());
  EXPECT_GE(ASN1_STRING_length(serial), 15);  // 128 random bits (rarely a leading zero byte).
  EXPECT_LE(ASN1_STRING_length(serial), 17);
  auto other = MakeDevCa("Coffer Dev CA", 3650);
  ASSERT_TRUE(other.ok());
  X509Ptr other_cert = ParseCert(other->cert_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(other_cert.get())), 0);
}

TEST_F(DevCaTest, ServerCertHasServerExtensions) {
  X509Ptr leaf = ParseCert(leaf_->cert_pem);
  X509Ptr ca = ParseCert(ca_->cert_pem);
  ASSERT_NE(leaf, nullptr);
  auto key = ParseKey(leaf_->key_pem);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_check_private_key(leaf.get(), key.get()), 1);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_EQ(X509_get_key_usage(leaf.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(leaf.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  ASSERT_NE(X509_get0_authority_key_id(leaf.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf.get()),
                                  X509_get0_subject_key_id(ca.get())),
            0);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(leaf.get()), X509_get_subject_name(ca.get())), 0);

  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(leaf.get(), NID_subject_alt_name, nullptr, nullptr));
  ASSERT_NE(sans, nullptr);
  ASSERT_EQ(sk_GENERAL_NAME_num(sans), 5);
  const int expected_types[] = {GEN_DNS, GEN_DNS, GEN_DNS, GEN_IPADD, GEN_IPADD};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(sk_GENERAL_NAME_value(sans, i)->type, expected_types[i]) << i;
  }
  EXPECT_EQ(ASN1_STRING_length(sk_GENERAL_NAME_value(sans, 3)->d.iPAddress), 4);
  EXPECT_EQ(ASN1_STRING_length(sk_GENERAL_NAME_value(sans, 4)->d.iPAddress), 16);
  GENERAL_NAMES_free(sans);
}

TEST_F(DevCaTest, ServerCertVerifiesForItsNamesAndAddresses) {
  EXPECT_EQ(Verify(ca_->cert_pem, leaf_->cert_pem, {"dev.vault.localhost", ""}), X509_V_OK);
  EXPECT_EQ(Verify(ca_->cert_pem, leaf_->cert_pem, {"other.vault.localhost", ""}), X509_V_OK);
  EXPECT_EQ(Verify(ca_->cert_pem, leaf_->cert_pem, {"localhost", ""}), X509_V_OK);
  EXPECT_EQ(Verify(ca_->cert_pem, leaf_->cert_pem, {"", "127.0.0.1"}), X509_V_OK);
  EXPECT_EQ(Verify(ca_->cert_pem, leaf_->cert_pem, {"", "::1"}), X509_V_OK);
}

TEST_F(DevCaTest, ServerCertFailsForOtherNamesAndAddresses) {
  EXPECT_EQ(Verify(ca_->cert_pem, leaf_->cert_pem, {"other.localhost", ""}),
            X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_EQ(Verify(ca_->cert_pem, leaf_->cert_pem, {"a.b.vault.localhost", ""}),
            X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_EQ(Verify(ca_->cert_pem, leaf_->cert_pem, {"", "127.0.0.2"}),
            X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST_F(DevCaTest, ServerCertFailsAgainstAnotherCa) {
  auto other = MakeDevCa("Other Dev CA", 30);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(Verify(other->cert_pem, leaf_->cert_pem, {"dev.vault.localhost", ""}), X509_V_OK);
}

TEST_F(DevCaTest, NameConstraintsRejectNonLocalNames) {
  auto dns = MakeServerCert(*ca_, "example.com", {"example.com"}, 30);
  ASSERT_TRUE(dns.ok()) << dns.status().ToString();
  EXPECT_EQ(Verify(ca_->cert_pem, dns->cert_pem, {"example.com", ""}),
            X509_V_ERR_PERMITTED_VIOLATION);
  auto ip = MakeServerCert(*ca_, "internal", {"10.0.0.1"}, 30);
  ASSERT_TRUE(ip.ok()) << ip.status().ToString();
  EXPECT_EQ(Verify(ca_->cert_pem, ip->cert_pem, {"", "10.0.0.1"}), X509_V_ERR_PERMITTED_VIOLATION);
  // Suffix tricks do not pass the ".localhost" constraint.
  auto tricky = MakeServerCert(*ca_, "evil", {"evillocalhost"}, 30);
  ASSERT_TRUE(tricky.ok());
  EXPECT_EQ(Verify(ca_->cert_pem, tricky->cert_pem, {"evillocalhost", ""}),
            X509_V_ERR_PERMITTED_VIOLATION);
}

TEST_F(DevCaTest, LeafValidityIsClampedToCa) {
  auto short_ca = MakeDevCa("Short CA", 10);
  ASSERT_TRUE(short_ca.ok());
  auto leaf = MakeServerCert(*short_ca, "localhost", {"localhost"}, 365);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  X509Ptr ca = ParseCert(short_ca->cert_pem);
  X509Ptr cert = ParseCert(leaf->cert_pem);
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(cert.get()), X509_get0_notAfter(ca.get())), 0);
}

TEST_F(DevCaTest, MakeServerCertRejectsBadInputs) {
  auto code = [](const StatusOr<CertAndKey>& r) { return r.status().code(); };
  EXPECT_EQ(code(MakeServerCert(*ca_, "x", {}, 30)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(MakeServerCert(*ca_, "x", {"bad name"}, 30)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(MakeServerCert(*ca_, "x", {"a..localhost"}, 30)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(MakeServerCert(*ca_, "x", {"a.*.localhost"}, 30)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(MakeServerCert(*ca_, "x", {"localhost"}, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(MakeServerCert(*ca_, "", {"localhost"}, 30)), StatusCode::kInvalidArgument);

  CertAndKey mismatched{ca_->cert_pem, leaf_->key_pem};
  EXPECT_EQ(code(MakeServerCert(mismatched, "x", {"localhost"}, 30)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(MakeServerCert(*leaf_, "x", {"localhost"}, 30)), StatusCode::kInvalidArgument);
  CertAndKey garbage{"not a cert", ca_->key_pem};
  EXPECT_EQ(code(MakeServerCert(garbage, "x", {"localhost"}, 30)), StatusCode::kInvalidArgument);
}

TEST(MakeDevCa, RejectsBadInputs) {
  EXPECT_EQ(MakeDevCa("", 30).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDevCa(std::string(65, 'a'), 30).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDevCa("ca", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDevCa("ca", -5).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coffer::crypto
