// KeyMaterial's AES and HMAC operations against published known-answer vectors (testdata/, each
// file names its source): RFC 3394 and RFC 5649 key wrap, RFC 7516 A.3 A128KW and A.1 A256GCM,
// the GCM specification's test cases, NIST SP 800-38A CBC, RFC 7518 B.1-B.3 CBC with PKCS#7
// padding and RFC 4231 HMAC. RSA and ECDSA vectors are in key_vectors_rsa_ec_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "core/encoding.h"
#include "crypto/key_material.h"
#include "crypto/key_test_support.h"
#include "crypto/key_vectors_support.h"

namespace coffer::crypto {
namespace {

using namespace coffer::crypto::testing;  // NOLINT: test helpers

KeyMaterial Oct(const std::string& key) {
  JwkParts jwk;
  jwk.kty = "oct";
  jwk.k = SecretBytes(key);
  auto km = KeyMaterial::FromJwk(jwk);
  EXPECT_TRUE(km.ok()) << km.status().ToString();
  return std::move(km).value();
}

// "A256" + suffix, for the key's size. (Built with append: GCC 12 misreports operator+ here.)
std::string AesAlg(const KeyMaterial& key, const char* suffix) {
  std::string alg = "A";
  alg.append(std::to_string(key.bits()));
  alg.append(suffix);
  return alg;
}

TEST(KeyVectorsTest, Rfc3394KeyWrapVectors) {
  auto vectors = Load("rfc3394_aes_key_wrap.txt");
  ASSERT_EQ(vectors.size(), 6u);
  for (const Vector& v : vectors) {
    KeyMaterial kek = Oct(Hex(v["kek"]));
    std::string key_data = Hex(v["key_data"]);
    std::string expected = Hex(v["ciphertext"]);
    for (std::string alg : {AesAlg(kek, "KW"), std::string("CKM_AES_KEY_WRAP")}) {
      auto wrapped = kek.WrapKey(alg, SecretBytes(key_data));
      ASSERT_TRUE(wrapped.ok()) << v.name << " " << wrapped.status().ToString();
      EXPECT_EQ(EncodeHex(*wrapped), EncodeHex(expected)) << v.name << " " << alg;
      auto unwrapped = kek.UnwrapKey(alg, expected);
      ASSERT_TRUE(unwrapped.ok()) << v.name << " " << unwrapped.status().ToString();
      EXPECT_EQ(unwrapped->view(), key_data) << v.name << " " << alg;
    }
  }
}

TEST(KeyVectorsTest, Rfc5649KeyWrapWithPaddingVectors) {
  auto vectors = Load("rfc5649_aes_key_wrap_pad.txt");
  ASSERT_EQ(vectors.size(), 2u);
  for (const Vector& v : vectors) {
    KeyMaterial kek = Oct(Hex(v["kek"]));
    std::string key_data = Hex(v["key_data"]);
    std::string expected = Hex(v["ciphertext"]);
    auto wrapped = kek.WrapKey("CKM_AES_KEY_WRAP_PAD", SecretBytes(key_data));
    ASSERT_TRUE(wrapped.ok()) << v.name << " " << wrapped.status().ToString();
    EXPECT_EQ(EncodeHex(*wrapped), EncodeHex(expected)) << v.name;
    auto unwrapped = kek.UnwrapKey("CKM_AES_KEY_WRAP_PAD", expected);
    ASSERT_TRUE(unwrapped.ok()) << v.name << " " << unwrapped.status().ToString();
    EXPECT_EQ(unwrapped->view(), key_data) << v.name;
  }
}

TEST(KeyVectorsTest, Rfc7516A256GcmDecryptsThePublishedCiphertext) {
  auto vectors = Load("rfc7516_jwe.txt");
  ASSERT_GT(vectors.size(), 1u);
  const Vector& v = vectors[1];
  KeyMaterial cek = Oct(Hex(v["cek"]));
  auto plaintext =
      cek.Decrypt("A256GCM", B64(v["ciphertext"]), B64(v["iv"]), v["aad"], B64(v["tag"]));
  ASSERT_TRUE(plaintext.ok()) << plaintext.status().ToString();
  EXPECT_EQ(plaintext->view(), v["plaintext"]);
}

TEST(KeyVectorsTest, Rfc7516A128KwUnwrapsThePublishedEncryptedKey) {
  auto vectors = Load("rfc7516_jwe.txt");
  ASSERT_GT(vectors.size(), 3u);
  const Vector& v = vectors[3];
  KeyMaterial kek = Oct(B64(v["k"]));
  auto cek = kek.UnwrapKey("A128KW", B64(v["encrypted_key"]));
  ASSERT_TRUE(cek.ok()) << cek.status().ToString();
  EXPECT_EQ(EncodeHex(cek->view()), EncodeHex(Hex(v["cek"])));
}

TEST(KeyVectorsTest, GcmSpecificationVectorsDecryptAndEncrypt) {
  auto vectors = Load("gcm_spec_vectors.txt");
  ASSERT_EQ(vectors.size(), 3u);
  for (const Vector& v : vectors) {
    KeyMaterial key = Oct(Hex(v["key"]));
    std::string alg = AesAlg(key, "GCM");
    auto plaintext =
        key.Decrypt(alg, Hex(v["ciphertext"]), Hex(v["iv"]), Hex(v["aad"]), Hex(v["tag"]));
    ASSERT_TRUE(plaintext.ok()) << v.name << " " << plaintext.status().ToString();
    EXPECT_EQ(EncodeHex(plaintext->view()), EncodeHex(Hex(v["plaintext"]))) << v.name;
    auto sealed = key.Encrypt(alg, SecretBytes(Hex(v["plaintext"])), Hex(v["iv"]), Hex(v["aad"]));
    ASSERT_TRUE(sealed.ok()) << v.name;
    EXPECT_EQ(EncodeHex(sealed->ciphertext), EncodeHex(Hex(v["ciphertext"]))) << v.name;
    EXPECT_EQ(EncodeHex(sealed->tag), EncodeHex(Hex(v["tag"]))) << v.name;
    EXPECT_EQ(sealed->iv, Hex(v["iv"]));
  }
}

TEST(KeyVectorsTest, Sp800_38aCbcDecryptVectors) {
  auto vectors = Load("sp800_38a_cbc.txt");
  ASSERT_EQ(vectors.size(), 3u);
  for (const Vector& v : vectors) {
    KeyMaterial key = Oct(Hex(v["key"]));
    std::string alg = AesAlg(key, "CBC");
    auto plaintext = key.Decrypt(alg, Hex(v["ciphertext"]), Hex(v["iv"]), "", "");
    ASSERT_TRUE(plaintext.ok()) << v.name << " " << plaintext.status().ToString();
    EXPECT_EQ(EncodeHex(plaintext->view()), EncodeHex(Hex(v["plaintext"]))) << v.name;
  }
}

TEST(KeyVectorsTest, Rfc4231HmacVectorsSignAndVerify) {
  auto vectors = Load("rfc4231_hmac_sha2.txt");
  ASSERT_EQ(vectors.size(), 2u);
  for (const Vector& v : vectors) {
    std::string key = Hex(v["key"]);
    key.resize(32, '\0');  // See the file header: the same HMAC key, zero-extended.
    KeyMaterial oct = Oct(key);
    std::string data = Hex(v["data"]);
    const std::pair<const char*, const char*> algs[] = {
        {"HS256", "hmac_sha256"}, {"HS384", "hmac_sha384"}, {"HS512", "hmac_sha512"}};
    for (const auto& [alg, field] : algs) {
      auto mac = oct.Sign(alg, data);
      ASSERT_TRUE(mac.ok()) << v.name << " " << alg << " " << mac.status().ToString();
      EXPECT_EQ(EncodeHex(*mac), EncodeHex(Hex(v[field]))) << v.name << " " << alg;
      EXPECT_TRUE(*oct.Verify(alg, data, Hex(v[field])));
      std::string altered = Hex(v[field]);
      altered.back() ^= 1;
      EXPECT_FALSE(*oct.Verify(alg, data, altered));
    }
  }
}

TEST(KeyVectorsTest, Rfc7518CbcPadDecryptsAndEncryptsThePublishedCiphertext) {
  auto vectors = Load("rfc7518_aes_cbc_hmac_sha2.txt");
  ASSERT_EQ(vectors.size(), 3u);
  for (const Vector& v : vectors) {
    KeyMaterial key = Oct(Hex(v["enc_key"]));
    std::string alg = AesAlg(key, "CBCPAD");
    std::string iv = Hex(v["iv"]);
    std::string ciphertext = Hex(v["ciphertext"]);
    auto plaintext = key.Decrypt(alg, ciphertext, iv, "", "");
    ASSERT_TRUE(plaintext.ok()) << v.name << " " << plaintext.status().ToString();
    EXPECT_EQ(EncodeHex(plaintext->view()), EncodeHex(Hex(v["plaintext"]))) << v.name;
    auto sealed = key.Encrypt(alg, SecretBytes(Hex(v["plaintext"])), iv, "");
    ASSERT_TRUE(sealed.ok()) << v.name << " " << sealed.status().ToString();
    EXPECT_EQ(EncodeHex(sealed->ciphertext), EncodeHex(ciphertext)) << v.name;
    // P is whole blocks, so the last block is all padding (16 x 0x10). Flipping the low bit of
    // the byte 16 from the end flips the last padding byte to 0x11, which PKCS#7 never ends in.
    ciphertext[ciphertext.size() - 17] ^= 1;
    EXPECT_EQ(key.Decrypt(alg, ciphertext, iv, "", "").status(), testing::kUniform) << v.name;
  }
}

}  // namespace
}  // namespace coffer::crypto
