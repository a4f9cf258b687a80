// KeyMaterial against published known-answer vectors (testdata/, each file names its source):
// RFC 3394 and RFC 5649 key wrap, RFC 7515 A.2/A.3 signatures, RFC 7516 A.1/A.2/A.3 key
// encryption and A256GCM, the GCM specification's test cases, NIST SP 800-38A CBC and RFC 4231
// HMAC.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "crypto/key_material.h"
#include "crypto/primitives.h"

namespace coffer::crypto {
namespace {

struct Vector {
  std::string name;
  std::map<std::string, std::string> fields;
  const std::string& operator[](const std::string& key) const {
    static const std::string kEmpty;
    auto it = fields.find(key);
    EXPECT_NE(it, fields.end()) << name << " has no field " << key;
    return it == fields.end() ? kEmpty : it->second;
  }
};

// testdata/README.md describes the format.
std::vector<Vector> Load(const std::string& file) {
  std::ifstream in(std::string(COFFER_CRYPTO_TESTDATA_DIR) + "/" + file);
  EXPECT_TRUE(in.good()) << "cannot open " << file;
  std::vector<Vector> out;
  std::string line, last_key;
  auto trim = [](std::string s) {
    size_t b = s.find_first_not_of(" \t\r");
    size_t e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      out.push_back({line.substr(1, line.find(']') - 1), {}});
    } else if (line[0] == ' ' || line[0] == '\t') {
      out.back().fields[last_key] += trim(line);
    } else if (size_t eq = line.find(" = "); eq != std::string::npos && !out.empty()) {
      last_key = trim(line.substr(0, eq));
      out.back().fields[last_key] = trim(line.substr(eq + 3));
    }
  }
  return out;
}

std::string Hex(const std::string& s) {
  auto bytes = DecodeHex(AsciiLower(s));
  EXPECT_TRUE(bytes.has_value()) << "bad hex: " << s;
  return bytes.value_or("");
}

std::string B64(const std::string& s) {
  auto bytes = DecodeBase64Url(s);
  EXPECT_TRUE(bytes.has_value()) << "bad base64url: " << s;
  return bytes.value_or("");
}

KeyMaterial Oct(const std::string& key) {
  JwkParts jwk;
  jwk.kty = "oct";
  jwk.k = SecretBytes(key);
  auto km = KeyMaterial::FromJwk(jwk);
  EXPECT_TRUE(km.ok()) << km.status().ToString();
  return std::move(km).value();
}

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

TEST(KeyVectorsTest, Rfc7515RS256VerifiesThePublishedSignatureAndSignsIdentically) {
  auto vectors = Load("rfc7515_jws.txt");
  ASSERT_EQ(vectors.size(), 2u);
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

TEST(KeyVectorsTest, Rfc7515ES256VerifiesThePublishedSignature) {
  auto vectors = Load("rfc7515_jws.txt");
  ASSERT_GT(vectors.size(), 1u);
  const Vector& v = vectors[1];
  JwkParts jwk;
  jwk.kty = "EC";
  jwk.crv = v["crv"];
  jwk.x = B64(v["x"]);
  jwk.y = B64(v["y"]);
  jwk.d = SecretBytes(B64(v["d"]));
  auto key = KeyMaterial::FromJwk(jwk);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  std::string digest = Sha256(v["signing_input"]);
  std::string published = B64(v["signature"]);
  auto verified = key->Verify("ES256", digest, published);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(*verified);
  std::string altered = published;
  altered[10] ^= 1;
  EXPECT_FALSE(*key->Verify("ES256", digest, altered));
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

}  // namespace
}  // namespace coffer::crypto
