// PKCS#12 import and export (pkcs12.h). The PFX files are built by OpenSSL directly, including
// the legacy RC2 / 3DES layouts Windows exports.
#include "crypto/pkcs12.h"

#include <gtest/gtest.h>
#include <openssl/provider.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "crypto/certificate_test_support.h"

namespace coffer::crypto {
namespace {

using testing::Der;
using testing::ExpectBadParameter;
using testing::MakePfx;
using testing::Pkey;
using testing::TestCa;
using testing::TestKey;

SecretBytes Password(std::string_view s) { return SecretBytes(s); }

class Pkcs12Test : public ::testing::Test {
 protected:
  Pkcs12Test() : key_(TestKey("RSA-2048")), pkey_(Pkey(key_)), leaf_(ca_.Leaf(key_)) {}

  void ExpectImported(const StatusOr<ImportedCertificate>& imported, size_t chain_size) {
    ASSERT_TRUE(imported.ok()) << imported.status().ToString();
    EXPECT_EQ(imported->chain.leaf_der, Der(leaf_.get()));
    EXPECT_EQ(imported->chain.chain_der.size(), chain_size);
    EXPECT_EQ(imported->key.PublicJwk().n, key_.PublicJwk().n);
  }

  TestCa ca_;
  const KeyMaterial& key_;
  internal::PkeyPtr pkey_;
  internal::X509Ptr leaf_;
};

TEST_F(Pkcs12Test, OpensWithPasswordAndKeepsTheChain) {
  std::string pfx =
      MakePfx(pkey_.get(), leaf_.get(), {ca_.intermediate.get(), ca_.root.get()}, "s3cret");
  auto imported = ImportPkcs12(pfx, Password("s3cret"));
  ExpectImported(imported, 2);
  EXPECT_EQ(imported->chain.chain_der[0], Der(ca_.intermediate.get()));
}

TEST_F(Pkcs12Test, OpensWithoutPasswordWhetherEncodedAsEmptyOrAbsent) {
  std::string empty = MakePfx(pkey_.get(), leaf_.get(), {}, "");
  std::string absent = MakePfx(pkey_.get(), leaf_.get(), {}, nullptr);
  for (const std::string& pfx : {empty, absent}) {
    ExpectImported(ImportPkcs12(pfx, std::nullopt), 0);
    ExpectImported(ImportPkcs12(pfx, Password("")), 0);
  }
}

TEST_F(Pkcs12Test, OpensUnencryptedPfxWithoutMac) {
  std::string pfx = MakePfx(pkey_.get(), leaf_.get(), {}, nullptr, -1, -1, 0, -1);
  ExpectImported(ImportPkcs12(pfx, std::nullopt), 0);
}

TEST_F(Pkcs12Test, OpensLegacy3DesAndRc2Exports) {
  // Making RC2 needs the legacy provider here too; the importer loads its own.
  ASSERT_TRUE(internal::LoadLegacyProviders());
  std::string rc2 =
      MakePfx(pkey_.get(), leaf_.get(), {ca_.root.get()}, "pw",
              NID_pbe_WithSHA1And3_Key_TripleDES_CBC, NID_pbe_WithSHA1And40BitRC2_CBC, 2000, 2000);
  ASSERT_FALSE(rc2.empty());
  ExpectImported(ImportPkcs12(rc2, Password("pw")), 1);
  std::string des3 =
      MakePfx(pkey_.get(), leaf_.get(), {}, "pw", NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
              NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 2000, 2000);
  ExpectImported(ImportPkcs12(des3, Password("pw")), 0);
}

TEST_F(Pkcs12Test, WrongPasswordIsRefusedWithoutEchoingIt) {
  std::string pfx = MakePfx(pkey_.get(), leaf_.get(), {}, "right-password");
  for (const auto& pw : {std::optional<SecretBytes>(Password("wrong-password")),
                         std::optional<SecretBytes>(Password("")), std::optional<SecretBytes>()}) {
    auto imported = ImportPkcs12(pfx, pw);
    ASSERT_FALSE(imported.ok());
    ExpectBadParameter(imported.status());
    EXPECT_EQ(imported.status().message(), kPkcs12WrongPasswordMessage);
    EXPECT_EQ(imported.status().message().find("password-"), std::string::npos);
  }
  // Without a MAC, the failed decryption says the same.
  std::string no_mac = MakePfx(pkey_.get(), leaf_.get(), {}, "right-password", 0, 0, 0, -1);
  EXPECT_EQ(ImportPkcs12(no_mac, Password("wrong")).status().message(),
            kPkcs12WrongPasswordMessage);
}

// Raises every iteration count of 66051 (DER 02 03 01 02 03) to 8388607 (02 03 7F FF FF):
// same length, so the file stays well-formed, but running it would take many seconds.
std::string RaiseIterations(std::string der) {
  const std::string from("\x02\x03\x01\x02\x03", 5);
  const std::string to("\x02\x03\x7F\xFF\xFF", 5);
  int patched = 0;
  for (size_t pos = der.find(from); pos != std::string::npos; pos = der.find(from, pos + 5)) {
    der.replace(pos, 5, to);
    ++patched;
  }
  EXPECT_GT(patched, 0);
  return der;
}

TEST_F(Pkcs12Test, HugeIterationCountsAreRefusedBeforeRunning) {
  constexpr int kMarker = 0x010203;
  // The MAC's count.
  std::string mac =
      RaiseIterations(MakePfx(pkey_.get(), leaf_.get(), {}, "pw", -1, -1, 0, kMarker));
  auto imported = ImportPkcs12(mac, Password("pw"));
  ASSERT_FALSE(imported.ok());
  ExpectBadParameter(imported.status(), "8388607 key-derivation iterations");
  // The encrypted parts' PBKDF2 counts (PBES2, OpenSSL 3's default), without a MAC.
  std::string pbes2 =
      RaiseIterations(MakePfx(pkey_.get(), leaf_.get(), {}, "pw", 0, 0, kMarker, -1));
  ExpectBadParameter(ImportPkcs12(pbes2, Password("pw")).status(), "8388607 key-derivation");
  // The PKCS#12 PBE (3DES) counts.
  std::string pbe = RaiseIterations(MakePfx(pkey_.get(), leaf_.get(), {}, "pw",
                                            NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
                                            NID_pbe_WithSHA1And3_Key_TripleDES_CBC, kMarker, -1));
  ExpectBadParameter(ImportPkcs12(pbe, Password("pw")).status(), "8388607 key-derivation");
  // Counts under the cap still open.
  ExpectImported(ImportPkcs12(MakePfx(pkey_.get(), leaf_.get(), {}, "pw", 0, 0, kMarker, kMarker),
                              Password("pw")),
                 0);
}

TEST_F(Pkcs12Test, TruncatedAndBitFlippedFilesAreRefused) {
  std::string pfx = MakePfx(pkey_.get(), leaf_.get(), {ca_.root.get()}, "pw");
  for (size_t len : {size_t{0}, size_t{1}, size_t{16}, pfx.size() / 2, pfx.size() - 1}) {
    auto imported = ImportPkcs12(pfx.substr(0, len), Password("pw"));
    ASSERT_FALSE(imported.ok()) << len;
    ExpectBadParameter(imported.status());
  }
  for (size_t pos = 0; pos < pfx.size(); pos += 7) {
    std::string flipped = pfx;
    flipped[pos] = static_cast<char>(flipped[pos] ^ 0x10);
    auto imported = ImportPkcs12(flipped, Password("pw"));
    if (!imported.ok()) {
      ExpectBadParameter(imported.status());
    } else {
      // A flip in a part the MAC does not cover (e.g. the MAC salt's padding) may still open;
      // then it must be the same key and certificate.
      EXPECT_EQ(imported->chain.leaf_der, Der(leaf_.get())) << pos;
    }
  }
  ExpectBadParameter(
      ImportPkcs12(std::string(kMaxCertificateInputBytes + 1, '\x30'), std::nullopt).status(),
      "256 KB");
}

TEST_F(Pkcs12Test, KeyThatMatchesNoCertificateIsRefused) {
  internal::X509Ptr other = ca_.Leaf(TestKey("RSA-3072"));
  std::string pfx = MakePfx(pkey_.get(), nullptr, {other.get()}, "pw");
  ASSERT_FALSE(pfx.empty());
  auto imported = ImportPkcs12(pfx, Password("pw"));
  ASSERT_FALSE(imported.ok());
  ExpectBadParameter(imported.status(), "does not match");
}

TEST_F(Pkcs12Test, CertificateWithoutKeyIsRefusedWithAzuresMessage) {
  std::string pfx = MakePfx(nullptr, leaf_.get(), {}, "pw");
  ASSERT_FALSE(pfx.empty());
  auto imported = ImportPkcs12(pfx, Password("pw"));
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.status().message(), kNoPrivateKeyMessage);
}

TEST_F(Pkcs12Test, UnsupportedKeySizeIsRefused) {
  internal::PkeyPtr small(EVP_RSA_gen(1024));
  internal::X509Ptr cert = testing::SignCert(small.get(), "small", small.get(), nullptr, false);
  std::string pfx = MakePfx(small.get(), cert.get(), {}, "pw");
  ExpectBadParameter(ImportPkcs12(pfx, Password("pw")).status());
}

TEST_F(Pkcs12Test, ExportReopensWithEmptyPasswordHere) {
  for (const char* name : {"RSA-2048", "P-256", "P-521"}) {
    const KeyMaterial& key = TestKey(name);
    CertificateChain chain{Der(ca_.Leaf(key).get()), {Der(ca_.intermediate.get())}};
    auto pfx = ExportPkcs12(key, chain);
    ASSERT_TRUE(pfx.ok()) << pfx.status().ToString();
    for (const auto& pw :
         {std::optional<SecretBytes>(), std::optional<SecretBytes>(Password(""))}) {
      auto imported = ImportPkcs12(pfx->view(), pw);
      ASSERT_TRUE(imported.ok()) << imported.status().ToString();
      EXPECT_EQ(imported->chain.leaf_der, chain.leaf_der);
      EXPECT_EQ(imported->chain.chain_der, chain.chain_der);
      auto a = imported->key.Serialize();
      auto b = key.Serialize();
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_TRUE(*a == *b) << name;
    }
    // And OpenSSL's own parser, as a client would use it.
    const unsigned char* p = pfx->data();
    PKCS12* p12 = d2i_PKCS12(nullptr, &p, static_cast<long>(pfx->size()));
    ASSERT_NE(p12, nullptr);
    EVP_PKEY* out_key = nullptr;
    X509* out_cert = nullptr;
    STACK_OF(X509)* out_ca = nullptr;
    EXPECT_EQ(PKCS12_parse(p12, "", &out_key, &out_cert, &out_ca), 1);
    EXPECT_EQ(sk_X509_num(out_ca), 1);
    EVP_PKEY_free(out_key);
    X509_free(out_cert);
    sk_X509_pop_free(out_ca, X509_free);
    PKCS12_free(p12);
  }
}

TEST_F(Pkcs12Test, ExportOpensWithTheOpensslCommandAndEmptyPassin) {
  if (std::system("openssl version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI";
  CertificateChain chain{Der(leaf_.get()), {Der(ca_.intermediate.get())}};
  auto pfx = ExportPkcs12(key_, chain);
  ASSERT_TRUE(pfx.ok());
  std::string dir = ::testing::TempDir();
  std::string stem = dir + "/coffer_export_test_" + std::to_string(getpid());
  std::string in = stem + ".pfx";
  std::string out = stem + ".pem";
  {
    std::ofstream f(in, std::ios::binary);
    f.write(pfx->chars(), static_cast<std::streamsize>(pfx->size()));
  }
  std::string cmd =
      "openssl pkcs12 -in " + in + " -passin pass: -nodes -out " + out + " 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream f(out);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(text.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST_F(Pkcs12Test, ExportRefusesACertificateForAnotherKey) {
  CertificateChain chain{Der(ca_.Leaf(TestKey("P-256")).get()), {}};
  ExpectBadParameter(ExportPkcs12(key_, chain).status(), "does not match");
}

}  // namespace
}  // namespace coffer::crypto
