// KeyMaterial against published known-answer vectors (testdata/, each file names its source):
// RFC 3394 and RFC 5649 key wrap, RFC 7515 A.2/A.3/A.4, RFC 7520 4.2/4.3 and RFC 6979 A.2.6
// signatures, RFC 7516 A.1/A.2/A.3 key encryption and A256GCM, the GCM specification's test
// cases, NIST SP 800-38A CBC, RFC 7518 B.1-B.3 CBC with PKCS#7 padding, RFC 4231 HMAC, and
// Project Wycheproof RSA PKCS#1 v1.5, PSS and OAEP cases (valid ones and invalid ones).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "crypto/key_material.h"
#include "crypto/key_test_support.h"
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

TEST(KeyVectorsTest, Rfc7515ES512VerifiesThePublishedSignature) {
  auto vectors = Load("rfc7515_jws.txt");
  ASSERT_EQ(vectors.size(), 3u);
  const Vector& v = vectors[2];
  KeyMaterial key = Ec(v["crv"], B64(v["x"]), B64(v["y"]), B64(v["d"]));
  ExpectVerifies(key, "ES512", HashFor("ES512", v["signing_input"]), B64(v["signature"]),
                 v.name);
}

TEST(KeyVectorsTest, Rfc7520PS384AndES512VerifyThePublishedSignatures) {
  auto vectors = Load("rfc7520_jose_cookbook.txt");
  ASSERT_EQ(vectors.size(), 2u);
  const Vector& pss = vectors[0];
  ExpectVerifies(RsaFromVector(pss), "PS384", HashFor("PS384", pss["signing_input"]),
                 B64(pss["signature"]), pss.name);
  const Vector& ec = vectors[1];
  KeyMaterial key = Ec(ec["crv"], B64(ec["x"]), B64(ec["y"]), B64(ec["d"]));
  ExpectVerifies(key, "ES512", HashFor("ES512", ec["signing_input"]), B64(ec["signature"]),
                 ec.name);
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
