// KeyMaterial's RSA and ECDSA operations against published known-answer vectors (testdata/,
// each file names its source): RFC 7515 A.2/A.3/A.4, RFC 7520 4.2/4.3 and RFC 6979 A.2.6
// signatures, RFC 7516 A.1/A.2 key encryption, and Project Wycheproof RSA PKCS#1 v1.5, PSS and
// OAEP cases (valid ones and invalid ones). Verify and decrypt direction, each with a negative.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <string_view>
#include <utility>

#include "core/encoding.h"
#include "crypto/key_material.h"
#include "crypto/key_test_support.h"
#include "crypto/key_vectors_support.h"
#include "crypto/primitives.h"

namespace coffer::crypto {
namespace {

using namespace coffer::crypto::testing;  // NOLINT: test helpers

KeyMaterial RsaFromVector(const Vector& v, bool with_crt = true) {
  JwkParts jwk;
  jwk.kty = "RSA";
  jwk.n = B64(v["n"]);
  jwk.e = B64(v["e"]);
  jwk.d = SecretBytes(B64(v["d"]));
  if (with_crt) {
    jwk.p = SecretBytes(B64(v["p"]));
    jwk.q = SecretBytes(B64(v["q"]));
    jwk.dp = SecretBytes(B64(v["dp"]));
    jwk.dq = SecretBytes(B64(v["dq"]));
    jwk.qi = SecretBytes(B64(v["qi"]));
  }
  auto km = KeyMaterial::FromJwk(jwk);
  EXPECT_TRUE(km.ok()) << v.name << ": " << km.status().ToString();
  return std::move(km).value();
}

KeyMaterial Ec(std::string crv, std::string x, std::string y, std::string d) {
  JwkParts jwk;
  jwk.kty = "EC";
  jwk.crv = std::move(crv);
  jwk.x = std::move(x);
  jwk.y = std::move(y);
  jwk.d = SecretBytes(std::move(d));
  auto km = KeyMaterial::FromJwk(jwk);
  EXPECT_TRUE(km.ok()) << km.status().ToString();
  return std::move(km).value();
}

KeyMaterial EcFromVector(const Vector& v) {
  return Ec(v["crv"], B64(v["x"]), B64(v["y"]), B64(v["d"]));
}

// SHA-256/384/512 of `data`, chosen by the algorithm name's last three characters (RS384,
// PS256, ES512 ...): Key Vault signs a digest, the vectors give the message. OpenSSL directly,
// as primitives.h has SHA-256 only.
std::string HashFor(std::string_view alg, std::string_view data) {
  std::string name = "SHA";
  name.append(alg.substr(alg.size() - 3));
  const EVP_MD* md = EVP_get_digestbyname(name.c_str());
  EXPECT_NE(md, nullptr) << name;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out, &len, md, nullptr), 1) << name;
  return std::string(reinterpret_cast<const char*>(out), len);
}

// The published signature verifies; with one bit flipped it does not.
void ExpectVerifies(const KeyMaterial& key, std::string_view alg, const std::string& digest,
                    std::string signature, const std::string& what) {
  auto verified = key.Verify(alg, digest, signature);
  ASSERT_TRUE(verified.ok()) << what << " " << verified.status().ToString();
  EXPECT_TRUE(*verified) << what;
  signature[signature.size() / 2] ^= 1;
  auto altered = key.Verify(alg, digest, signature);
  ASSERT_TRUE(altered.ok()) << what << " " << altered.status().ToString();
  EXPECT_FALSE(*altered) << what << " with one bit flipped";
}

TEST(KeyVectorsTest, Rfc7515RS256VerifiesThePublishedSignatureAndSignsIdentically) {
  auto vectors = Load("rfc7515_jws.txt");
  ASSERT_EQ(vectors.size(), 3u);
  const Vector& v = vectors[0];
  std::string digest = Sha256(v["signing_input"]);
  std::string published = B64(v["signature"]);
  // With and without the CRT parts (the second recovers p and q from n, e, d).
  for (bool with_crt : {true, false}) {
    KeyMaterial key = RsaFromVector(v, with_crt);
    auto verified = key.Verify("RS256", digest, published);
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    EXPECT_TRUE(*verified);
    // PKCS#1 v1.5 is deterministic: our signature is the RFC's, byte for byte.
    auto signature = key.Sign("RS256", digest);
    ASSERT_TRUE(signature.ok()) << signature.status().ToString();
    EXPECT_EQ(EncodeBase64Url(*signature), EncodeBase64Url(published));
  }
}

TEST(KeyVectorsTest, Rfc7515ES256AndES512VerifyThePublishedSignatures) {
  auto vectors = Load("rfc7515_jws.txt");
  ASSERT_EQ(vectors.size(), 3u);
  const std::pair<size_t, const char*> cases[] = {{1, "ES256"}, {2, "ES512"}};
  for (const auto& [index, alg] : cases) {
    const Vector& v = vectors[index];
    ExpectVerifies(EcFromVector(v), alg, HashFor(alg, v["signing_input"]), B64(v["signature"]),
                   v.name);
  }
}

TEST(KeyVectorsTest, Rfc7516RsaOaepAndRsa15DecryptThePublishedEncryptedKeys) {
  auto vectors = Load("rfc7516_jwe.txt");
  ASSERT_EQ(vectors.size(), 4u);
  const std::pair<size_t, const char*> cases[] = {{0, "RSA-OAEP"}, {2, "RSA1_5"}};
  for (const auto& [index, alg] : cases) {
    const Vector& v = vectors[index];
    KeyMaterial key = RsaFromVector(v);
    auto cek = key.UnwrapKey(alg, B64(v["encrypted_key"]));
    ASSERT_TRUE(cek.ok()) << v.name << " " << cek.status().ToString();
    EXPECT_EQ(EncodeHex(cek->view()), EncodeHex(Hex(v["cek"]))) << v.name;
    auto decrypted = key.Decrypt(alg, B64(v["encrypted_key"]), "", "", "");
    ASSERT_TRUE(decrypted.ok()) << v.name;
    EXPECT_EQ(decrypted->view(), cek->view());
  }
}

TEST(KeyVectorsTest, Rfc7520PS384AndES512VerifyThePublishedSignatures) {
  auto vectors = Load("rfc7520_jose_cookbook.txt");
  ASSERT_EQ(vectors.size(), 2u);
  const Vector& pss = vectors[0];
  ExpectVerifies(RsaFromVector(pss), "PS384", HashFor("PS384", pss["signing_input"]),
                 B64(pss["signature"]), pss.name);
  const Vector& ec = vectors[1];
  ExpectVerifies(EcFromVector(ec), "ES512", HashFor("ES512", ec["signing_input"]),
                 B64(ec["signature"]), ec.name);
}

TEST(KeyVectorsTest, Rfc6979ES384VerifiesThePublishedSignatures) {
  auto vectors = Load("rfc6979_ecdsa_p384.txt");
  ASSERT_EQ(vectors.size(), 3u);
  const Vector& pair = vectors[0];
  KeyMaterial key = Ec("P-384", Hex(pair["ux"]), Hex(pair["uy"]), Hex(pair["x"]));
  for (size_t i = 1; i < vectors.size(); ++i) {
    const Vector& v = vectors[i];
    ExpectVerifies(key, "ES384", HashFor("ES384", v["message"]), Hex(v["r"]) + Hex(v["s"]),
                   v.name);
  }
}

// The Wycheproof extracts: the first vector is the key (JWK parts), each later one a case with
// the source's tcId in its name and result "valid" or "invalid".
TEST(KeyVectorsTest, WycheproofRsaSignaturesVerifyAndInvalidOnesDoNot) {
  for (const char* file : {"wycheproof_rsa_2048_sha384_pkcs1.txt",
                           "wycheproof_rsa_2048_sha512_pkcs1.txt",
                           "wycheproof_rsa_2048_sha256_oaep_pss.txt"}) {
    auto vectors = Load(file);
    ASSERT_GT(vectors.size(), 1u) << file;
    KeyMaterial key = RsaFromVector(vectors[0]);
    int valid = 0, invalid = 0;
    for (size_t i = 1; i < vectors.size(); ++i) {
      const Vector& v = vectors[i];
      const std::string& alg = v["alg"];
      if (alg == "RSA-OAEP-256") continue;
      std::string digest = HashFor(alg, Hex(v["msg"]));
      std::string signature = Hex(v["sig"]);
      if (v["result"] == "valid") {
        ++valid;
        ExpectVerifies(key, alg, digest, signature, v.name);
        if (alg.starts_with("RS")) {  // PKCS#1 v1.5 is deterministic: we sign the same bytes.
          auto ours = key.Sign(alg, digest);
          ASSERT_TRUE(ours.ok()) << v.name << " " << ours.status().ToString();
          EXPECT_EQ(EncodeHex(*ours), EncodeHex(signature)) << v.name;
        }
      } else {
        ++invalid;
        auto verified = key.Verify(alg, digest, signature);
        ASSERT_TRUE(verified.ok()) << v.name << " " << verified.status().ToString();
        EXPECT_FALSE(*verified) << v.name << ": " << v["comment"];
      }
    }
    EXPECT_EQ(valid, 3) << file;
    EXPECT_EQ(invalid, 3) << file;
  }
}

TEST(KeyVectorsTest, WycheproofRsaOaep256DecryptsAndInvalidOnesFailUniformly) {
  auto vectors = Load("wycheproof_rsa_2048_sha256_oaep_pss.txt");
  ASSERT_GT(vectors.size(), 1u);
  KeyMaterial key = RsaFromVector(vectors[0]);
  int valid = 0, invalid = 0;
  for (size_t i = 1; i < vectors.size(); ++i) {
    const Vector& v = vectors[i];
    if (v["alg"] != "RSA-OAEP-256") continue;
    std::string ciphertext = Hex(v["ct"]);
    if (v["result"] == "valid") {
      ++valid;
      auto plaintext = key.Decrypt("RSA-OAEP-256", ciphertext, "", "", "");
      ASSERT_TRUE(plaintext.ok()) << v.name << " " << plaintext.status().ToString();
      EXPECT_EQ(EncodeHex(plaintext->view()), EncodeHex(Hex(v["msg"]))) << v.name;
      auto unwrapped = key.UnwrapKey("RSA-OAEP-256", ciphertext);
      ASSERT_TRUE(unwrapped.ok()) << v.name << " " << unwrapped.status().ToString();
      EXPECT_EQ(unwrapped->view(), plaintext->view()) << v.name;
      ciphertext[ciphertext.size() / 2] ^= 1;
      EXPECT_EQ(key.Decrypt("RSA-OAEP-256", ciphertext, "", "", "").status(), testing::kUniform)
          << v.name << " with one bit flipped";
    } else {
      ++invalid;
      EXPECT_EQ(key.Decrypt("RSA-OAEP-256", ciphertext, "", "", "").status(), testing::kUniform)
          << v.name << ": " << v["comment"];
      EXPECT_EQ(key.UnwrapKey("RSA-OAEP-256", ciphertext).status(), testing::kUniform)
          << v.name << ": " << v["comment"];
    }
  }
  EXPECT_EQ(valid, 3);
  EXPECT_EQ(invalid, 3);
}

}  // namespace
}  // namespace coffer::crypto
