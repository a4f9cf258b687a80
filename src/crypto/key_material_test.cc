// KeyMaterial creation: generation, JWK import (and its consistency checks), the public JWK and
// the private serialisation.
#include "crypto/key_material.h"

#include <gtest/gtest.h>
#include <openssl/rsa.h>

#include <string>

#include "crypto/key_test_support.h"
#include "crypto/primitives.h"

namespace coffer::crypto {
namespace {

using namespace coffer::crypto::testing;  // NOLINT: test helpers

TEST(KeyMaterialTest, GeneratesRsaKeysOfEachAllowedSize) {
  for (int bits : {2048, 3072}) {
    KeyMaterial key = Must(KeyMaterial::GenerateRsa(bits));
    EXPECT_EQ(key.type(), KeyType::kRsa);
    EXPECT_EQ(key.bits(), bits);
    JwkParts jwk = key.PublicJwk();
    EXPECT_EQ(jwk.kty, "RSA");
    EXPECT_EQ(jwk.n.size(), static_cast<size_t>(bits / 8));
    EXPECT_NE(jwk.n[0], '\0');  // no leading zero
    EXPECT_EQ(jwk.e, std::string("\x01\x00\x01", 3));
  }
}

TEST(KeyMaterialTest, GeneratesRsaWithChosenPublicExponent) {
  KeyMaterial key = Must(KeyMaterial::GenerateRsa(2048, 3));
  EXPECT_EQ(key.PublicJwk().e, std::string("\x03", 1));
}

TEST(KeyMaterialTest, RegenerateKeepsTypeSizeCurveAndAWideImportedExponent) {
  // An imported RSA key whose exponent does not fit in 64 bits: 2^80 + 65537.
  std::unique_ptr<BIGNUM, decltype(&BN_free)> e(BN_new(), BN_free);
  ASSERT_TRUE(BN_set_bit(e.get(), 80) == 1 && BN_add_word(e.get(), 0x10001) == 1);
  CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  ASSERT_TRUE(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1 &&
              EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) == 1 &&
              EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) == 1 &&
              EVP_PKEY_keygen(ctx.get(), &raw) == 1);
  PkeyPtr pkey(raw, EVP_PKEY_free);
  KeyMaterial imported = Must(KeyMaterial::FromJwk(RsaJwk(pkey.get())));
  ASSERT_EQ(imported.PublicJwk().e.size(), 11u);
  KeyMaterial fresh = Must(imported.Regenerate());
  EXPECT_EQ(fresh.type(), KeyType::kRsa);
  EXPECT_EQ(fresh.bits(), 2048);
  EXPECT_EQ(fresh.PublicJwk().e, imported.PublicJwk().e);
  EXPECT_NE(fresh.PublicJwk().n, imported.PublicJwk().n);
  auto sig = fresh.Sign("RS256", Digest(32));
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(*fresh.Verify("RS256", Digest(32), *sig));

  KeyMaterial ec = Must(KeyMaterial::GenerateEc("P-384"));
  KeyMaterial ec2 = Must(ec.Regenerate());
  EXPECT_EQ(ec2.curve(), "P-384");
  EXPECT_NE(ec2.PublicJwk().x, ec.PublicJwk().x);
  KeyMaterial oct = Must(KeyMaterial::GenerateOct(192));
  EXPECT_EQ(Must(oct.Regenerate()).bits(), 192);
}

TEST(KeyMaterialTest, RefusesRsaSizesAndExponentsKeyVaultDoesNotOffer) {
  ExpectBadParameter(KeyMaterial::GenerateRsa(1024).status());
  ExpectBadParameter(KeyMaterial::GenerateRsa(2047).status());
  ExpectBadParameter(KeyMaterial::GenerateRsa(2048, 4).status());
  ExpectBadParameter(KeyMaterial::GenerateRsa(2048, 1).status());
}

TEST(KeyMaterialTest, GeneratesEcKeysOnEveryCurveWithPaddedCoordinates) {
  const std::pair<const char*, size_t> curves[] = {
      {"P-256", 32}, {"P-384", 48}, {"P-521", 66}, {"P-256K", 32}};
  for (const auto& [crv, size] : curves) {
    KeyMaterial key = Must(KeyMaterial::GenerateEc(crv));
    EXPECT_EQ(key.type(), KeyType::kEc);
    EXPECT_EQ(key.curve(), crv);
    JwkParts jwk = key.PublicJwk();
    EXPECT_EQ(jwk.kty, "EC");
    EXPECT_EQ(jwk.crv, crv);
    EXPECT_EQ(jwk.x.size(), size) << crv;
    EXPECT_EQ(jwk.y.size(), size) << crv;
  }
}

TEST(KeyMaterialTest, P521CoordinatesKeepTheirLeadingZeroBytes) {
  // A P-521 coordinate is < 2^521, so its first of 66 bytes is 0 or 1: always a "short" number.
  for (int i = 0; i < 4; ++i) {
    JwkParts jwk = Must(KeyMaterial::GenerateEc("P-521")).PublicJwk();
    ASSERT_EQ(jwk.x.size(), 66u);
    EXPECT_LE(static_cast<uint8_t>(jwk.x[0]), 1);
    EXPECT_LE(static_cast<uint8_t>(jwk.y[0]), 1);
  }
}

TEST(KeyMaterialTest, RefusesUnknownCurve) {
  ExpectBadParameter(KeyMaterial::GenerateEc("P-224").status());
  ExpectBadParameter(KeyMaterial::GenerateEc("secp256k1").status());
}

TEST(KeyMaterialTest, GeneratesOctKeys) {
  for (int bits : {128, 192, 256}) {
    KeyMaterial key = Must(KeyMaterial::GenerateOct(bits));
    EXPECT_EQ(key.type(), KeyType::kOct);
    EXPECT_EQ(key.bits(), bits);
    JwkParts jwk = key.PublicJwk();
    EXPECT_EQ(jwk.kty, "oct");
    EXPECT_TRUE(jwk.k.empty());
  }
  ExpectBadParameter(KeyMaterial::GenerateOct(512).status());
}

TEST(KeyMaterialTest, PublicJwkHasNoPrivateParts) {
  for (auto key : {Must(KeyMaterial::GenerateRsa(2048)), Must(KeyMaterial::GenerateEc("P-256")),
                   Must(KeyMaterial::GenerateOct(256))}) {
    JwkParts jwk = key.PublicJwk();
    EXPECT_TRUE(jwk.d.empty());
    EXPECT_TRUE(jwk.p.empty());
    EXPECT_TRUE(jwk.q.empty());
    EXPECT_TRUE(jwk.dp.empty());
    EXPECT_TRUE(jwk.dq.empty());
    EXPECT_TRUE(jwk.qi.empty());
    EXPECT_TRUE(jwk.k.empty());
  }
}

TEST(KeyMaterialTest, SerializeDeserializeRoundTripsEveryKeyType) {
  const char digest[] = "0123456789abcdef0123456789abcdef";
  std::string d(digest, 32);
  for (auto key : {Must(KeyMaterial::GenerateRsa(2048)), Must(KeyMaterial::GenerateEc("P-384")),
                   Must(KeyMaterial::GenerateEc("P-256K")), Must(KeyMaterial::GenerateOct(192))}) {
    auto blob = key.Serialize();
    ASSERT_TRUE(blob.ok()) << blob.status().ToString();
    EXPECT_EQ(blob->data()[0], 1);  // format version
    KeyMaterial back = Must(KeyMaterial::Deserialize(blob->view()));
    EXPECT_EQ(back.type(), key.type());
    EXPECT_EQ(back.bits(), key.bits());
    EXPECT_EQ(back.curve(), key.curve());
    EXPECT_EQ(back.PublicJwk().n, key.PublicJwk().n);
    EXPECT_EQ(back.PublicJwk().x, key.PublicJwk().x);
    // Same private key: the original verifies what the restored one signs.
    std::string alg = key.type() == KeyType::kRsa   ? "PS256"
                      : key.type() == KeyType::kOct ? "HS256"
                      : key.curve() == "P-384"      ? "ES384"
                                                    : "ES256K";
    std::string input = alg == "ES384" ? Sha256(d) + Sha256(d).substr(0, 16) : Sha256(d);
    auto sig = back.Sign(alg, input);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    auto verified = key.Verify(alg, input, *sig);
    ASSERT_TRUE(verified.ok());
    EXPECT_TRUE(*verified) << alg;
  }
}

TEST(KeyMaterialTest, DeserializeRefusesDamagedBlobs) {
  auto blob = Must(KeyMaterial::GenerateEc("P-256")).Serialize();
  ASSERT_TRUE(blob.ok());
  std::string good(blob->view());
  EXPECT_FALSE(KeyMaterial::Deserialize("").ok());
  EXPECT_FALSE(KeyMaterial::Deserialize(std::string("\x02") + good.substr(1)).ok());  // version
  EXPECT_FALSE(KeyMaterial::Deserialize(good.substr(0, 1) + "\x01" + good.substr(2)).ok());
  EXPECT_FALSE(KeyMaterial::Deserialize(good.substr(0, good.size() - 1)).ok());  // truncated
  EXPECT_FALSE(KeyMaterial::Deserialize(good + "x").ok());                       // trailing
  EXPECT_FALSE(KeyMaterial::Deserialize(std::string("\x01\x03", 2) + "short").ok());
  EXPECT_FALSE(KeyMaterial::Deserialize(std::string("\x01\x09", 2) + good.substr(2)).ok());
}

TEST(KeyMaterialTest, ImportsOctKeysOfTheThreeSizesOnly) {
  JwkParts jwk;
  jwk.kty = "oct";
  jwk.k = SecretBytes(std::string(24, '\x42'));
  KeyMaterial key = Must(KeyMaterial::FromJwk(jwk));
  EXPECT_EQ(key.bits(), 192);
  jwk.k = SecretBytes(std::string(20, '\x42'));
  ExpectBadParameter(KeyMaterial::FromJwk(jwk).status());
}

TEST(KeyMaterialTest, RefusesUnknownKty) {
  JwkParts jwk;
  jwk.kty = "RSA-HSM";
  ExpectBadParameter(KeyMaterial::FromJwk(jwk).status());
}

}  // namespace
}  // namespace coffer::crypto
