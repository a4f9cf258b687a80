// PEM bundle import and export (certificate_pem.h).
#include "crypto/certificate_pem.h"

#include <gtest/gtest.h>

#include "crypto/certificate_test_support.h"
#include "crypto/pkcs12.h"

namespace coffer::crypto {
namespace {

using testing::Der;
using testing::ExpectBadParameter;
using testing::KeyPem;
using testing::Pem;
using testing::Pkey;
using testing::TestCa;
using testing::TestKey;

class CertificatePemTest : public ::testing::Test {
 protected:
  TestCa ca_;
};

TEST_F(CertificatePemTest, ImportsKeyAndChainInAnyOrderWithPkcs8OrTraditionalKeys) {
  for (const char* name : {"RSA-2048", "P-256", "P-384"}) {
    const KeyMaterial& key = TestKey(name);
    internal::PkeyPtr pkey = Pkey(key);
    internal::X509Ptr leaf = ca_.Leaf(key);
    for (bool traditional : {false, true}) {
      std::string key_pem = KeyPem(pkey.get(), traditional);
      std::string orders[] = {
          key_pem + Pem(leaf.get()) + Pem(ca_.intermediate.get()),
          Pem(ca_.intermediate.get()) + "Bag Attributes: junk\n" + Pem(leaf.get()) + key_pem,
          Pem(leaf.get()) + key_pem + Pem(ca_.intermediate.get()),
      };
      for (const auto& pem : orders) {
        EXPECT_EQ(SniffCertificateImport(pem), CertificateImportFormat::kPem);
        auto imported = ImportPemBundle(pem);
        ASSERT_TRUE(imported.ok()) << name << ": " << imported.status().ToString();
        EXPECT_EQ(imported->chain.leaf_der, Der(leaf.get()));
        EXPECT_EQ(imported->chain.chain_der, std::vector<std::string>{Der(ca_.intermediate.get())});
        EXPECT_EQ(imported->key.PublicJwk().x, key.PublicJwk().x);
        EXPECT_EQ(imported->key.PublicJwk().n, key.PublicJwk().n);
      }
    }
  }
}

TEST_F(CertificatePemTest, SniffsBase64PfxAsPkcs12) {
  EXPECT_EQ(SniffCertificateImport("MIIJ8QIBAzCCCa8GCSqGSIb3DQEHAaCCCaAEggmc"),
            CertificateImportFormat::kPkcs12Base64);
}

TEST_F(CertificatePemTest, PemWithoutKeyIsRefusedWithAzuresMessage) {
  internal::X509Ptr leaf = ca_.Leaf(TestKey("P-256"));
  auto imported = ImportPemBundle(Pem(leaf.get()));
  ASSERT_FALSE(imported.ok());
  ExpectBadParameter(imported.status());
  EXPECT_EQ(imported.status().message(), kNoPrivateKeyMessage);
}

TEST_F(CertificatePemTest, KeyOfAnotherCertificateIsRefused) {
  internal::PkeyPtr pkey = Pkey(TestKey("P-256"));
  internal::X509Ptr other = ca_.Leaf(TestKey("P-384"));
  ExpectBadParameter(ImportPemBundle(KeyPem(pkey.get()) + Pem(other.get())).status(),
                     "does not match");
}

TEST_F(CertificatePemTest, GarbageTruncatedAndFlippedPemIsRefused) {
  const KeyMaterial& key = TestKey("P-256");
  internal::PkeyPtr pkey = Pkey(key);
  std::string pem = KeyPem(pkey.get()) + Pem(ca_.Leaf(key).get());
  ExpectBadParameter(ImportPemBundle("").status(), "no PEM block");
  ExpectBadParameter(ImportPemBundle("hello world").status(), "no PEM block");
  ExpectBadParameter(ImportPemBundle(KeyPem(pkey.get())).status(), "no certificate");
  ExpectBadParameter(
      ImportPemBundle(KeyPem(pkey.get()) + KeyPem(pkey.get()) + Pem(ca_.Leaf(key).get())).status());
  for (size_t len = 0; len < pem.size(); len += 13) {
    auto imported = ImportPemBundle(pem.substr(0, len));
    ASSERT_FALSE(imported.ok()) << len;
    ExpectBadParameter(imported.status());
  }
  int opened = 0;
  for (size_t pos = 0; pos < pem.size(); pos += 3) {
    std::string flipped = pem;
    flipped[pos] = static_cast<char>(flipped[pos] ^ 0x01);
    auto imported = ImportPemBundle(flipped);
    if (imported.ok()) {
      ++opened;  // a flip inside the certificate's signature or text between blocks
    } else {
      EXPECT_EQ(imported.status().code(), StatusCode::kInvalidArgument) << pos;
    }
  }
  EXPECT_LT(opened, static_cast<int>(pem.size() / 3));
  ExpectBadParameter(ImportPemBundle(std::string(kMaxCertificateInputBytes + 1, 'A')).status(),
                     "256 KB");
}

TEST_F(CertificatePemTest, EncryptedKeysAreRefusedAskingForAnUnencryptedOne) {
  internal::PkeyPtr pkey = Pkey(TestKey("P-256"));
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey.get(), EVP_aes_256_cbc(), "pw", 2,
                                          nullptr, nullptr),
            1);
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  std::string pem(mem->data, mem->length);
  pem += Pem(ca_.Leaf(TestKey("P-256")).get());
  ExpectBadParameter(ImportPemBundle(pem).status(), "encrypted");
}

TEST_F(CertificatePemTest, ExportPutsThePkcs8KeyFirstThenTheChainAndReimports) {
  const KeyMaterial& key = TestKey("RSA-2048");
  CertificateChain chain{Der(ca_.Leaf(key).get()), {Der(ca_.intermediate.get())}};
  auto pem = ExportPemBundle(key, chain);
  ASSERT_TRUE(pem.ok()) << pem.status().ToString();
  std::string_view text = pem->view();
  EXPECT_TRUE(text.starts_with("-----BEGIN PRIVATE KEY-----\n"));
  size_t first_cert = text.find("-----BEGIN CERTIFICATE-----\n");
  ASSERT_NE(first_cert, std::string_view::npos);
  EXPECT_NE(text.find("-----BEGIN CERTIFICATE-----\n", first_cert + 1), std::string_view::npos);
  EXPECT_EQ(text.find('\r'), std::string_view::npos);
  EXPECT_TRUE(text.ends_with("-----END CERTIFICATE-----\n"));
  auto imported = ImportPemBundle(text);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->chain.leaf_der, chain.leaf_der);
  EXPECT_EQ(imported->chain.chain_der, chain.chain_der);
  ExpectBadParameter(ExportPemBundle(TestKey("P-256"), chain).status(), "does not match");
}

TEST(CertificateKeyBridgeTest, SerialisationTypeBytesMatchKeyMaterial) {
  // certificate_key.cc copies key_material.cc's serialisation type bytes; catch a renumbering.
  auto rsa = TestKey("RSA-2048").Serialize();
  auto ec = TestKey("P-256").Serialize();
  ASSERT_TRUE(rsa.ok() && ec.ok());
  EXPECT_EQ(rsa->data()[0], 1);
  EXPECT_EQ(rsa->data()[1], 1);
  EXPECT_EQ(ec->data()[1], 2);
  internal::PkeyPtr pkey = Pkey(TestKey("P-256"));
  auto back = internal::KeyMaterialFromPkey(pkey.get());
  ASSERT_TRUE(back.ok());
  auto again = back->Serialize();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == *ec);
}

}  // namespace
}  // namespace coffer::crypto
