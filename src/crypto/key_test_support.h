// Test support shared by the KeyMaterial test files: keys made by OpenSSL directly (so a test
// has both the EVP_PKEY and its JWK) and small assertion helpers.
#pragma once

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "crypto/key_material.h"

namespace coffer::crypto::testing {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;

inline const Status kUniform = InvalidArgumentError(std::string(kDecryptionFailedMessage), "BadParameter");

inline KeyMaterial Must(StatusOr<KeyMaterial> key) {
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

inline void ExpectBadParameter(const Status& status) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  EXPECT_EQ(status.reason(), "BadParameter");
  EXPECT_NE(status.message(), kDecryptionFailedMessage);  // a named problem
}

inline std::string Digest(size_t n, char fill = 'a') { return std::string(n, fill); }

inline std::string BnParam(EVP_PKEY* pkey, const char* name, size_t width = 0) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(pkey, name, &bn), 1) << name;
  size_t n = width != 0 ? width : static_cast<size_t>(BN_num_bytes(bn));
  std::string out(n, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  BN_clear_free(bn);
  return out;
}

// Keys made by OpenSSL directly, so the test has both the EVP_PKEY and its JWK.
inline PkeyPtr OpenSslKey(const char* type, const char* param) {
  EVP_PKEY* pkey = std::string(type) == "RSA"
                       ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                       : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", param);
  EXPECT_NE(pkey, nullptr);
  return PkeyPtr(pkey, EVP_PKEY_free);
}

inline JwkParts RsaJwk(EVP_PKEY* pkey) {
  JwkParts jwk;
  jwk.kty = "RSA";
  jwk.n = BnParam(pkey, OSSL_PKEY_PARAM_RSA_N);
  jwk.e = BnParam(pkey, OSSL_PKEY_PARAM_RSA_E);
  jwk.d = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_D));
  jwk.p = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1));
  jwk.q = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2));
  jwk.dp = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1));
  jwk.dq = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2));
  jwk.qi = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
  return jwk;
}

inline JwkParts EcJwk(EVP_PKEY* pkey, const char* crv, size_t size) {
  JwkParts jwk;
  jwk.kty = "EC";
  jwk.crv = crv;
  jwk.x = BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_X, size);
  jwk.y = BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, size);
  jwk.d = SecretBytes(BnParam(pkey, OSSL_PKEY_PARAM_PRIV_KEY, size));
  return jwk;
}

// Shared across tests: RSA generation is the slow part of this suite.
inline const KeyMaterial& Rsa2048() {
  static const KeyMaterial* key = new KeyMaterial(Must(KeyMaterial::GenerateRsa(2048)));
  return *key;
}

struct OpenSslRsa {
  PkeyPtr pkey = OpenSslKey("RSA", nullptr);
  KeyMaterial key = Must(KeyMaterial::FromJwk(RsaJwk(pkey.get())));
};
inline const OpenSslRsa& SharedOpenSslRsa() {
  static const OpenSslRsa* rsa = new OpenSslRsa();
  return *rsa;
}

}  // namespace coffer::crypto::testing
