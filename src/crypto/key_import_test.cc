// KeyMaterial::FromJwk: imported keys must be complete and consistent (DESIGN.md §5 "imported
// keys pass EVP_PKEY_check"), and refusals name the problem.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "crypto/key_material.h"
#include "crypto/key_test_support.h"

namespace coffer::crypto {
namespace {

using namespace coffer::crypto::testing;  // NOLINT: test helpers

TEST(KeyImportTest, ImportRefusesRsaWithAnotherKeysPrime) {
  PkeyPtr a = OpenSslKey("RSA", nullptr);
  PkeyPtr b = OpenSslKey("RSA", nullptr);
  JwkParts jwk = RsaJwk(a.get());
  EXPECT_TRUE(KeyMaterial::FromJwk(jwk).ok());
  jwk.p = RsaJwk(b.get()).p;
  ExpectBadParameter(KeyMaterial::FromJwk(jwk).status());
}

TEST(KeyImportTest, ImportRefusesRsaWhosePrivateExponentBelongsToAnotherKey) {
  PkeyPtr a = OpenSslKey("RSA", nullptr);
  JwkParts jwk = RsaJwk(a.get());
  JwkParts other = RsaJwk(SharedOpenSslRsa().pkey.get());
  jwk.d = other.d;
  ExpectBadParameter(KeyMaterial::FromJwk(jwk).status());  // with CRT parts
  jwk.p = jwk.q = jwk.dp = jwk.dq = jwk.qi = SecretBytes();
  ExpectBadParameter(KeyMaterial::FromJwk(jwk).status());  // d alone: prime recovery fails
}

TEST(KeyImportTest, ImportWithoutCrtPartsRecoversThemAndWorks) {
  const OpenSslRsa& rsa = SharedOpenSslRsa();
  JwkParts jwk = RsaJwk(rsa.pkey.get());
  jwk.p = jwk.q = jwk.dp = jwk.dq = jwk.qi = SecretBytes();
  KeyMaterial key = Must(KeyMaterial::FromJwk(jwk));
  auto sig = key.Sign("RS256", Digest(32));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, *rsa.key.Sign("RS256", Digest(32)));  // deterministic: same key
}

TEST(KeyImportTest, ImportRefusesIncompleteOrOddSizedRsa) {
  JwkParts jwk = RsaJwk(SharedOpenSslRsa().pkey.get());
  JwkParts partial = jwk;
  partial.dq = SecretBytes();
  ExpectBadParameter(KeyMaterial::FromJwk(partial).status());
  JwkParts no_d = jwk;
  no_d.d = SecretBytes();
  ExpectBadParameter(KeyMaterial::FromJwk(no_d).status());
  PkeyPtr small(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024)),
                EVP_PKEY_free);
  Status refused = KeyMaterial::FromJwk(RsaJwk(small.get())).status();
  ExpectBadParameter(refused);
  EXPECT_NE(refused.message().find("2048, 3072 or 4096"), std::string::npos);
}

// Found while writing coffer_key_material_fuzzer, whose FromJwk check flags it: without CRT
// parts an even 'n' reached prime recovery, where OpenSSL refuses the modular exponentiation,
// and the import failed as Internal instead of BadParameter.
TEST(KeyImportTest, ImportRefusesRsaWithEvenModulusAsBadParameter) {
  JwkParts jwk = RsaJwk(SharedOpenSslRsa().pkey.get());
  jwk.n.back() ^= 1;
  ExpectBadParameter(KeyMaterial::FromJwk(jwk).status());  // with CRT parts
  jwk.p = jwk.q = jwk.dp = jwk.dq = jwk.qi = SecretBytes();
  ExpectBadParameter(KeyMaterial::FromJwk(jwk).status());  // d alone: prime recovery
}

TEST(KeyImportTest, ImportRefusesEcWithAnotherKeysPrivateScalar) {
  PkeyPtr a = OpenSslKey("EC", "P-256");
  PkeyPtr b = OpenSslKey("EC", "P-256");
  JwkParts jwk = EcJwk(a.get(), "P-256", 32);
  EXPECT_TRUE(KeyMaterial::FromJwk(jwk).ok());
  jwk.d = EcJwk(b.get(), "P-256", 32).d;
  ExpectBadParameter(KeyMaterial::FromJwk(jwk).status());
}

TEST(KeyImportTest, ImportRefusesEcWithWrongLengthsOrOffCurvePoint) {
  PkeyPtr a = OpenSslKey("EC", "P-384");
  JwkParts jwk = EcJwk(a.get(), "P-384", 48);
  JwkParts short_x = jwk;
  short_x.x = short_x.x.substr(1);
  ExpectBadParameter(KeyMaterial::FromJwk(short_x).status());
  JwkParts wrong_curve = jwk;
  wrong_curve.crv = "P-256";
  ExpectBadParameter(KeyMaterial::FromJwk(wrong_curve).status());
  JwkParts off_curve = jwk;
  off_curve.y.back() ^= 1;
  ExpectBadParameter(KeyMaterial::FromJwk(off_curve).status());
  JwkParts no_d = jwk;
  no_d.d = SecretBytes();
  ExpectBadParameter(KeyMaterial::FromJwk(no_d).status());
}

}  // namespace
}  // namespace coffer::crypto
