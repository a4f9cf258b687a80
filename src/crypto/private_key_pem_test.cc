#include "crypto/private_key_pem.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>

#include "crypto/key_test_support.h"

namespace coffer::crypto {
namespace {

using testing::EcJwk;
using testing::OpenSslKey;
using testing::RsaJwk;

// `pkey` as PEM: PKCS#8, encrypted with AES-256-CBC when `password` is not empty.
std::string Pem(EVP_PKEY* pkey, const std::string& password = "") {
  BIO* bio = BIO_new(BIO_s_mem());
  if (password.empty()) {
    PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_256_cbc(), password.data(),
                                  static_cast<int>(password.size()), nullptr, nullptr);
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

TEST(PrivateKeyPemTest, RsaKeyGivesEveryJwkPart) {
  const auto& rsa = testing::SharedOpenSslRsa();
  auto jwk = PrivateJwkFromPem(Pem(rsa.pkey.get()), "");
  ASSERT_TRUE(jwk.ok()) << jwk.status().message();
  JwkParts expected = RsaJwk(rsa.pkey.get());
  EXPECT_EQ(jwk->kty, "RSA");
  EXPECT_EQ(jwk->n, expected.n);
  EXPECT_EQ(jwk->e, expected.e);
  EXPECT_EQ(jwk->d, expected.d);
  EXPECT_EQ(jwk->qi, expected.qi);
  EXPECT_TRUE(KeyMaterial::FromJwk(*jwk).ok());
}

TEST(PrivateKeyPemTest, EncryptedEcKeyNeedsItsPassword) {
  auto ec = OpenSslKey("EC", "P-384");
  const std::string pem = Pem(ec.get(), "pw");
  auto jwk = PrivateJwkFromPem(pem, "pw");
  ASSERT_TRUE(jwk.ok()) << jwk.status().message();
  JwkParts expected = EcJwk(ec.get(), "P-384", 48);
  EXPECT_EQ(jwk->crv, "P-384");
  EXPECT_EQ(jwk->x, expected.x);
  EXPECT_EQ(jwk->y, expected.y);
  EXPECT_EQ(jwk->d, expected.d);
  EXPECT_TRUE(KeyMaterial::FromJwk(*jwk).ok());
  EXPECT_EQ(PrivateJwkFromPem(pem, "wrong").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PrivateJwkFromPem(pem, "").status().code(), StatusCode::kInvalidArgument);
}

TEST(PrivateKeyPemTest, UnsupportedCurvesAndNonKeysAreRefused) {
  auto p224 = OpenSslKey("EC", "P-224");
  auto refused = PrivateJwkFromPem(Pem(p224.get()), "");
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("curve"), std::string::npos);
  EXPECT_EQ(PrivateJwkFromPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PrivateJwkFromPem("", "").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coffer::crypto
