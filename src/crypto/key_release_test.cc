// PublicKey (JWS verification of attestation tokens, RSA-OAEP) and the secure key release
// wrapping, checked against OpenSSL used directly: the wrapped key opens with plain EVP calls
// (OAEP with the algorithm's hash, then AES-256 key wrap with padding).
#include "crypto/key_release.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "crypto/ec_key.h"
#include "crypto/key_test_support.h"
#include "crypto/public_key.h"
#include "crypto/x509.h"

namespace coffer::crypto {
namespace {

using testing::Must;

std::string Hash(const EVP_MD* md, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()),
                       &len, md, nullptr),
            1);
  out.resize(len);
  return out;
}

PublicKey PublicOf(const KeyMaterial& key) {
  auto pub = PublicKey::FromJwk(key.PublicJwk());
  EXPECT_TRUE(pub.ok()) << pub.status().ToString();
  return std::move(pub).value();
}

// The key bytes inside a released ciphertext, opened with OpenSSL alone.
std::string OpenWithOpenSsl(const KeyMaterial& rsa_private, const EVP_MD* md,
                            std::string_view ciphertext) {
  auto blob = rsa_private.Serialize();
  EXPECT_TRUE(blob.ok());
  std::string_view der = blob->view().substr(2);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  testing::PkeyPtr pkey(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())),
                        EVP_PKEY_free);
  size_t k = static_cast<size_t>(EVP_PKEY_get_size(pkey.get()));
  testing::CtxPtr ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr), EVP_PKEY_CTX_free);
  unsigned char aes[512];
  size_t aes_len = sizeof aes;
  EXPECT_EQ(EVP_PKEY_decrypt_init(ctx.get()), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md), 1);
  EXPECT_EQ(EVP_PKEY_decrypt(ctx.get(), aes, &aes_len,
                             reinterpret_cast<const unsigned char*>(ciphertext.data()), k),
            1);
  EXPECT_EQ(aes_len, 32u);
  std::string_view wrapped = ciphertext.substr(k);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  std::string out(wrapped.size() + 16, '\0');
  int len = 0, fin = 0;
  EXPECT_EQ(EVP_DecryptInit_ex(c, EVP_aes_256_wrap_pad(), nullptr, aes, nullptr), 1);
  EXPECT_EQ(EVP_DecryptUpdate(c, reinterpret_cast<unsigned char*>(out.data()), &len,
                              reinterpret_cast<const unsigned char*>(wrapped.data()),
                              static_cast<int>(wrapped.size())),
            1);
  EXPECT_EQ(EVP_DecryptFinal_ex(c, reinterpret_cast<unsigned char*>(out.data()) + len, &fin), 1);
  EVP_CIPHER_CTX_free(c);
  out.resize(static_cast<size_t>(len + fin));
  return out;
}

TEST(KeyReleaseTest, WrappedRsaKeyOpensWithOpenSslForEveryAlgorithm) {
  KeyMaterial runtime = Must(KeyMaterial::GenerateRsa(2048));
  KeyMaterial released = Must(KeyMaterial::GenerateRsa(2048));
  std::string pkcs8(released.Serialize()->view().substr(2));
  const std::pair<std::string_view, const EVP_MD*> cases[] = {
      {"CKM_RSA_AES_KEY_WRAP", EVP_sha1()},
      {"RSA_AES_KEY_WRAP_256", EVP_sha256()},
      {"RSA_AES_KEY_WRAP_384", EVP_sha384()}};
  for (const auto& [enc, md] : cases) {
    SCOPED_TRACE(std::string(enc));
    auto wrapped = WrapForRelease(released, PublicOf(runtime), enc);
    ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
    EXPECT_GT(wrapped->size(), 256u + pkcs8.size());
    EXPECT_EQ(OpenWithOpenSsl(runtime, md, *wrapped), pkcs8);
    auto opened = UnwrapReleasedKey(runtime, enc, *wrapped);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(opened->view(), pkcs8);
  }
}

TEST(KeyReleaseTest, OctKeyTravelsAsItsRawBytesAndEcKeyAsPkcs8) {
  KeyMaterial runtime = Must(KeyMaterial::GenerateRsa(3072));
  KeyMaterial aes = Must(KeyMaterial::GenerateOct(256));
  auto wrapped = WrapForRelease(aes, PublicOf(runtime), "RSA_AES_KEY_WRAP_256");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(OpenWithOpenSsl(runtime, EVP_sha256(), *wrapped), aes.Serialize()->view().substr(2));
  EXPECT_EQ(OpenWithOpenSsl(runtime, EVP_sha256(), *wrapped).size(), 32u);

  KeyMaterial ec = Must(KeyMaterial::GenerateEc("P-384"));
  wrapped = WrapForRelease(ec, PublicOf(runtime), "CKM_RSA_AES_KEY_WRAP");
  ASSERT_TRUE(wrapped.ok());
  std::string der = OpenWithOpenSsl(runtime, EVP_sha1(), *wrapped);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  testing::PkeyPtr pkey(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())),
                        EVP_PKEY_free);
  ASSERT_NE(pkey, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(pkey.get(), "EC"));
}

TEST(KeyReleaseTest, UnknownAlgorithmAndEcWrappingKeyAreBadParameters) {
  KeyMaterial runtime = Must(KeyMaterial::GenerateRsa(2048));
  KeyMaterial key = Must(KeyMaterial::GenerateOct(128));
  for (std::string_view enc : {"RSA-OAEP", "", "ckm_rsa_aes_key_wrap", "A256KW"}) {
    EXPECT_FALSE(IsKeyReleaseAlgorithm(enc));
    testing::ExpectBadParameter(WrapForRelease(key, PublicOf(runtime), enc).status());
  }
  KeyMaterial ec = Must(KeyMaterial::GenerateEc("P-256"));
  testing::ExpectBadParameter(
      WrapForRelease(key, PublicOf(ec), "CKM_RSA_AES_KEY_WRAP").status());
}

TEST(KeyReleaseTest, TamperedCiphertextFailsUniformly) {
  KeyMaterial runtime = Must(KeyMaterial::GenerateRsa(2048));
  KeyMaterial key = Must(KeyMaterial::GenerateOct(256));
  std::string wrapped = *WrapForRelease(key, PublicOf(runtime), "RSA_AES_KEY_WRAP_384");
  for (size_t at : {size_t{3}, wrapped.size() - 3}) {
    std::string bad = wrapped;
    bad[at] ^= 0x01;
    EXPECT_EQ(UnwrapReleasedKey(runtime, "RSA_AES_KEY_WRAP_384", bad).status(), testing::kUniform);
  }
  EXPECT_EQ(UnwrapReleasedKey(runtime, "RSA_AES_KEY_WRAP_256", wrapped).status(),
            testing::kUniform);
  EXPECT_EQ(UnwrapReleasedKey(runtime, "RSA_AES_KEY_WRAP_384", wrapped.substr(0, 200)).status(),
            testing::kUniform);
}

TEST(PublicKeyTest, VerifiesRsaAndEcJwsSignaturesAndRefusesTampering) {
  const std::string input = "eyJhbGciOi.eyJpc3MiOi";
  struct Case {
    KeyMaterial key;
    std::string_view alg;
    const EVP_MD* md;
  };
  Case cases[] = {{Must(KeyMaterial::GenerateRsa(2048)), "RS256", EVP_sha256()},
                  {Must(KeyMaterial::GenerateRsa(2048)), "PS384", EVP_sha384()},
                  {Must(KeyMaterial::GenerateEc("P-256")), "ES256", EVP_sha256()},
                  {Must(KeyMaterial::GenerateEc("P-384")), "ES384", EVP_sha384()},
                  {Must(KeyMaterial::GenerateEc("P-521")), "ES512", EVP_sha512()}};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.alg));
    auto sig = c.key.Sign(c.alg, Hash(c.md, input));
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    PublicKey pub = PublicOf(c.key);
    EXPECT_TRUE(*pub.VerifyJws(c.alg, input, *sig));
    EXPECT_FALSE(*pub.VerifyJws(c.alg, input + "x", *sig));
    std::string bad = *sig;
    bad[bad.size() / 2] ^= 0x40;
    EXPECT_FALSE(*pub.VerifyJws(c.alg, input, bad));
    EXPECT_FALSE(*pub.VerifyJws(c.alg, input, sig->substr(1)));
    EXPECT_FALSE(*pub.VerifyJws(c.alg, input, ""));
  }
  PublicKey rsa = PublicOf(cases[0].key);
  for (std::string_view alg : {"none", "HS256", "ES256", "RS1", ""}) {
    testing::ExpectBadParameter(rsa.VerifyJws(alg, input, "x").status());
  }
  testing::ExpectBadParameter(PublicOf(cases[2].key).VerifyJws("ES384", input, "x").status());
}

TEST(PublicKeyTest, RsaSignatureOfAnotherLengthIsRefusedEvenWhenItIsTheSameInteger) {
  // A PSS signature whose first byte is zero: without it, or with another zero in front, it is
  // the same integer, which OpenSSL's PSS check would accept. Found by the test above (1 in 256).
  KeyMaterial key = Must(KeyMaterial::GenerateRsa(2048));
  PublicKey pub = PublicOf(key);
  std::string input, sig;
  for (int i = 0; sig.empty() || sig[0] != '\0'; ++i) {
    ASSERT_LT(i, 20000) << "no signature with a leading zero byte";
    input = "eyJhbGciOi.eyJpc3MiOi" + std::to_string(i);
    auto signed_ = key.Sign("PS256", Hash(EVP_sha256(), input));
    ASSERT_TRUE(signed_.ok());
    sig = *signed_;
  }
  EXPECT_TRUE(*pub.VerifyJws("PS256", input, sig));
  EXPECT_FALSE(*pub.VerifyJws("PS256", input, sig.substr(1)));
  EXPECT_FALSE(*pub.VerifyJws("PS256", input, std::string(1, '\0') + sig));
}

TEST(PublicKeyTest, ReadsTheKeyOfACertificateAndRefusesWeakOrForeignKeys) {
  auto ca = MakeDevCa("attestation-test", 1);
  ASSERT_TRUE(ca.ok());
  BIO* bio = BIO_new_mem_buf(ca->cert_pem.data(), static_cast<int>(ca->cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  unsigned char* der = nullptr;
  int der_len = i2d_X509(cert, &der);
  std::string der_text(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  X509_free(cert);
  auto pub = PublicKey::FromCertificateDer(der_text);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(pub->curve(), "P-256");
  auto signer = EcSigningKey::FromPrivatePem(ca->key_pem);
  ASSERT_TRUE(signer.ok());
  EXPECT_TRUE(*pub->VerifyJws("ES256", "a.b", *signer->SignEs256("a.b")));
  testing::ExpectBadParameter(PublicKey::FromCertificateDer(der_text.substr(1)).status());
  testing::ExpectBadParameter(PublicKey::FromCertificateDer(der_text + "x").status());

  JwkParts small;
  small.kty = "RSA";
  small.n = std::string(128, '\xff');
  small.e = std::string("\x01\x00\x01", 3);
  testing::ExpectBadParameter(PublicKey::FromJwk(small).status());
  small.kty = "oct";
  testing::ExpectBadParameter(PublicKey::FromJwk(small).status());
  JwkParts k1 = Must(KeyMaterial::GenerateEc("P-256K")).PublicJwk();
  testing::ExpectBadParameter(PublicKey::FromJwk(k1).status());
}

}  // namespace
}  // namespace coffer::crypto
