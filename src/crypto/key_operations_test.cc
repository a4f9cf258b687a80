// KeyMaterial operations: round trips for every algorithm, interoperability with OpenSSL used
// directly (DER ECDSA, PSS salt length, OAEP as Node/OpenSSL produce it), parameter errors, import
// consistency, and the one byte-identical decryption error.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "crypto/key_material.h"
#include "crypto/key_test_support.h"
#include "crypto/primitives.h"

namespace coffer::crypto {
namespace {

using namespace coffer::crypto::testing;  // NOLINT: test helpers

TEST(KeyOperationsTest, SignVerifyRoundTripsForEveryAlgorithm) {
  struct Case {
    const char* alg;
    KeyMaterial key;
    size_t digest_size;
    size_t signature_size;  // 0: not fixed by the algorithm alone
  };
  KeyMaterial oct = Must(KeyMaterial::GenerateOct(256));
  Case cases[] = {
      {"RS256", Rsa2048(), 32, 256},
      {"RS384", Rsa2048(), 48, 256},
      {"RS512", Rsa2048(), 64, 256},
      {"PS256", Rsa2048(), 32, 256},
      {"PS384", Rsa2048(), 48, 256},
      {"PS512", Rsa2048(), 64, 256},
      {"ES256", Must(KeyMaterial::GenerateEc("P-256")), 32, 64},
      {"ES384", Must(KeyMaterial::GenerateEc("P-384")), 48, 96},
      {"ES512", Must(KeyMaterial::GenerateEc("P-521")), 64, 132},
      {"ES256K", Must(KeyMaterial::GenerateEc("P-256K")), 32, 64},
      {"HS256", oct, 32, 32},
      {"HS384", oct, 48, 48},
      {"HS512", oct, 64, 64},
  };
  for (const Case& c : cases) {
    std::string digest = Digest(c.digest_size, 'd');
    auto sig = c.key.Sign(c.alg, digest);
    ASSERT_TRUE(sig.ok()) << c.alg << ": " << sig.status().ToString();
    EXPECT_EQ(sig->size(), c.signature_size) << c.alg;
    auto ok = c.key.Verify(c.alg, digest, *sig);
    ASSERT_TRUE(ok.ok()) << c.alg;
    EXPECT_TRUE(*ok) << c.alg;
    std::string altered = *sig;
    altered[altered.size() / 2] ^= 0x01;
    EXPECT_FALSE(*c.key.Verify(c.alg, digest, altered)) << c.alg;
    EXPECT_FALSE(*c.key.Verify(c.alg, Digest(c.digest_size, 'e'), *sig)) << c.alg;
    EXPECT_FALSE(*c.key.Verify(c.alg, digest, sig->substr(1))) << c.alg;  // wrong length
    EXPECT_FALSE(*c.key.Verify(c.alg, digest, "")) << c.alg;
  }
}

TEST(KeyOperationsTest, EcdsaSignaturesInteroperateWithOpenSslDer) {
  const std::tuple<const char*, const char*, const char*, size_t, const char*> curves[] = {
      {"P-256", "P-256", "ES256", 32, "SHA256"},
      {"P-384", "P-384", "ES384", 48, "SHA384"},
      {"P-521", "P-521", "ES512", 66, "SHA512"},
      {"P-256K", "secp256k1", "ES256K", 32, "SHA256"}};
  for (const auto& [crv, group, alg, width, md] : curves) {
    PkeyPtr pkey = OpenSslKey("EC", group);
    KeyMaterial key = Must(KeyMaterial::FromJwk(EcJwk(pkey.get(), crv, width)));
    std::string digest = Digest(static_cast<size_t>(EVP_MD_get_size(EVP_get_digestbyname(md))));
    // Ours → DER → OpenSSL verifies.
    auto raw = key.Sign(alg, digest);
    ASSERT_TRUE(raw.ok()) << alg;
    ASSERT_EQ(raw->size(), 2 * width);
    const auto* in = reinterpret_cast<const unsigned char*>(raw->data());
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(in, static_cast<int>(width), nullptr),
                   BN_bin2bn(in + width, static_cast<int>(width), nullptr));
    unsigned char* der = nullptr;
    int der_len = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    CtxPtr vctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr), EVP_PKEY_CTX_free);
    ASSERT_EQ(EVP_PKEY_verify_init(vctx.get()), 1);
    EXPECT_EQ(EVP_PKEY_verify(vctx.get(), der, static_cast<size_t>(der_len),
                              reinterpret_cast<const unsigned char*>(digest.data()), digest.size()),
              1)
        << alg;
    OPENSSL_free(der);
    // OpenSSL's DER → R||S → ours verifies.
    CtxPtr sctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr), EVP_PKEY_CTX_free);
    ASSERT_EQ(EVP_PKEY_sign_init(sctx.get()), 1);
    unsigned char der_sig[160];
    size_t der_sig_len = sizeof der_sig;
    ASSERT_EQ(EVP_PKEY_sign(sctx.get(), der_sig, &der_sig_len,
                            reinterpret_cast<const unsigned char*>(digest.data()), digest.size()),
              1);
    const unsigned char* p = der_sig;
    ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_sig_len));
    std::string converted(2 * width, '\0');
    auto* out = reinterpret_cast<unsigned char*>(converted.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(parsed), out, static_cast<int>(width));
    BN_bn2binpad(ECDSA_SIG_get0_s(parsed), out + width, static_cast<int>(width));
    ECDSA_SIG_free(parsed);
    EXPECT_TRUE(*key.Verify(alg, digest, converted)) << alg;
  }
}

TEST(KeyOperationsTest, PssSignaturesVerifyWithOpenSslUsingSaltLengthEqualToDigestLength) {
  const OpenSslRsa& rsa = SharedOpenSslRsa();
  const std::pair<const char*, const char*> algs[] = {
      {"PS256", "SHA256"}, {"PS384", "SHA384"}, {"PS512", "SHA512"}};
  for (const auto& [alg, md_name] : algs) {
    const EVP_MD* md = EVP_get_digestbyname(md_name);
    std::string digest = Digest(static_cast<size_t>(EVP_MD_get_size(md)));
    auto sig = rsa.key.Sign(alg, digest);
    ASSERT_TRUE(sig.ok()) << alg;
    CtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, rsa.pkey.get(), nullptr), EVP_PKEY_CTX_free);
    ASSERT_EQ(EVP_PKEY_verify_init(ctx.get()), 1);
    EVP_PKEY_CTX_set_signature_md(ctx.get(), md);
    EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), EVP_MD_get_size(md));  // an explicit number
    EXPECT_EQ(
        EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                        reinterpret_cast<const unsigned char*>(digest.data()), digest.size()),
        1)
        << alg;
  }
}

TEST(KeyOperationsTest, DecryptsOaepAndPkcs1CiphertextsMadeByOpenSsl) {
  const OpenSslRsa& rsa = SharedOpenSslRsa();
  const std::tuple<const char*, int, const char*> cases[] = {
      {"RSA1_5", RSA_PKCS1_PADDING, nullptr},
      {"RSA-OAEP", RSA_PKCS1_OAEP_PADDING, "SHA1"},
      {"RSA-OAEP-256", RSA_PKCS1_OAEP_PADDING, "SHA256"}};
  const std::string secret = "a 32-byte content encryption key";
  for (const auto& [alg, padding, md_name] : cases) {
    CtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, rsa.pkey.get(), nullptr), EVP_PKEY_CTX_free);
    ASSERT_EQ(EVP_PKEY_encrypt_init(ctx.get()), 1);
    EVP_PKEY_CTX_set_rsa_padding(ctx.get(), padding);
    if (md_name != nullptr) {
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_get_digestbyname(md_name));
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_get_digestbyname(md_name));
    }
    unsigned char out[256];
    size_t out_len = sizeof out;
    ASSERT_EQ(
        EVP_PKEY_encrypt(ctx.get(), out, &out_len,
                         reinterpret_cast<const unsigned char*>(secret.data()), secret.size()),
        1);
    std::string ciphertext(reinterpret_cast<char*>(out), out_len);
    auto plain = rsa.key.Decrypt(alg, ciphertext, "", "", "");
    ASSERT_TRUE(plain.ok()) << alg << ": " << plain.status().ToString();
    EXPECT_EQ(plain->view(), secret);
    auto unwrapped = rsa.key.UnwrapKey(alg, ciphertext);
    ASSERT_TRUE(unwrapped.ok()) << alg;
    EXPECT_EQ(unwrapped->view(), secret);
  }
}

TEST(KeyOperationsTest, EncryptDecryptRoundTripsForEveryAlgorithm) {
  const SecretBytes plaintext(std::string("sixteen byte blk"));  // one AES block
  for (const char* alg : {"RSA1_5", "RSA-OAEP", "RSA-OAEP-256"}) {
    auto sealed = Rsa2048().Encrypt(alg, plaintext, "", "");
    ASSERT_TRUE(sealed.ok()) << alg;
    EXPECT_EQ(sealed->ciphertext.size(), 256u);
    auto opened = Rsa2048().Decrypt(alg, sealed->ciphertext, "", "", "");
    ASSERT_TRUE(opened.ok()) << alg;
    EXPECT_EQ(opened->view(), plaintext.view());
  }
  for (int bits : {128, 192, 256}) {
    KeyMaterial key = Must(KeyMaterial::GenerateOct(bits));
    std::string size = std::to_string(bits);
    for (std::string mode : {"GCM", "CBC", "CBCPAD"}) {
      std::string alg = "A" + size + mode;
      std::string aad = mode == "GCM" ? "bound context" : "";
      auto sealed = key.Encrypt(alg, plaintext, "", aad);
      ASSERT_TRUE(sealed.ok()) << alg << ": " << sealed.status().ToString();
      EXPECT_EQ(sealed->iv.size(), mode == "GCM" ? 12u : 16u) << alg;
      EXPECT_EQ(sealed->tag.size(), mode == "GCM" ? 16u : 0u) << alg;
      EXPECT_EQ(sealed->ciphertext.size(), mode == "CBCPAD" ? 32u : 16u) << alg;
      auto opened = key.Decrypt(alg, sealed->ciphertext, sealed->iv, aad, sealed->tag);
      ASSERT_TRUE(opened.ok()) << alg << ": " << opened.status().ToString();
      EXPECT_EQ(opened->view(), plaintext.view()) << alg;
    }
    // CBCPAD takes any length; a caller-given IV is used and echoed.
    std::string iv(16, '\x07');
    auto sealed = key.Encrypt("A" + size + "CBCPAD", SecretBytes(std::string("odd")), iv, "");
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->iv, iv);
    EXPECT_EQ(key.Decrypt("A" + size + "CBCPAD", sealed->ciphertext, iv, "", "")->view(), "odd");
  }
}

TEST(KeyOperationsTest, GcmGeneratesAFreshIvEachTime) {
  KeyMaterial key = Must(KeyMaterial::GenerateOct(256));
  auto a = key.Encrypt("A256GCM", SecretBytes(std::string("x")), "", "");
  auto b = key.Encrypt("A256GCM", SecretBytes(std::string("x")), "", "");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->iv, b->iv);
  EXPECT_NE(a->ciphertext + a->tag, b->ciphertext + b->tag);
}

TEST(KeyOperationsTest, WrapUnwrapRoundTripsForEveryAlgorithm) {
  const SecretBytes cek(std::string(32, '\x5a'));
  for (const char* alg : {"RSA1_5", "RSA-OAEP", "RSA-OAEP-256"}) {
    auto wrapped = Rsa2048().WrapKey(alg, cek);
    ASSERT_TRUE(wrapped.ok()) << alg;
    EXPECT_EQ(Rsa2048().UnwrapKey(alg, *wrapped)->view(), cek.view()) << alg;
  }
  for (int bits : {128, 192, 256}) {
    KeyMaterial kek = Must(KeyMaterial::GenerateOct(bits));
    for (std::string alg : {"A" + std::to_string(bits) + "KW", std::string("CKM_AES_KEY_WRAP"),
                            std::string("CKM_AES_KEY_WRAP_PAD")}) {
      auto wrapped = kek.WrapKey(alg, cek);
      ASSERT_TRUE(wrapped.ok()) << alg << ": " << wrapped.status().ToString();
      EXPECT_EQ(wrapped->size(), 40u) << alg;
      auto unwrapped = kek.UnwrapKey(alg, *wrapped);
      ASSERT_TRUE(unwrapped.ok()) << alg;
      EXPECT_EQ(unwrapped->view(), cek.view()) << alg;
    }
    auto odd = kek.WrapKey("CKM_AES_KEY_WRAP_PAD", SecretBytes(std::string("13 byte value")));
    ASSERT_TRUE(odd.ok());
    EXPECT_EQ(kek.UnwrapKey("CKM_AES_KEY_WRAP_PAD", *odd)->view(), "13 byte value");
  }
}

TEST(KeyOperationsTest, WrongDigestLengthIsInvalidArgument) {
  ExpectBadParameter(Rsa2048().Sign("RS256", Digest(31)).status());
  ExpectBadParameter(Rsa2048().Sign("PS512", Digest(32)).status());
  ExpectBadParameter(Rsa2048().Verify("RS384", Digest(32), std::string(256, 'x')).status());
  KeyMaterial p384 = Must(KeyMaterial::GenerateEc("P-384"));
  ExpectBadParameter(p384.Sign("ES384", Digest(32)).status());
  ExpectBadParameter(p384.Verify("ES384", Digest(64), std::string(96, 'x')).status());
}

TEST(KeyOperationsTest, AlgorithmThatDoesNotFitTheKeyIsInvalidArgument) {
  KeyMaterial p256 = Must(KeyMaterial::GenerateEc("P-256"));
  KeyMaterial aes128 = Must(KeyMaterial::GenerateOct(128));
  ExpectBadParameter(Rsa2048().Sign("ES256", Digest(32)).status());
  ExpectBadParameter(Rsa2048().Sign("HS256", Digest(32)).status());
  ExpectBadParameter(p256.Sign("RS256", Digest(32)).status());
  ExpectBadParameter(p256.Sign("ES384", Digest(48)).status());
  ExpectBadParameter(p256.Sign("ES256K", Digest(32)).status());
  ExpectBadParameter(p256.Verify("ES512", Digest(64), "").status());
  ExpectBadParameter(aes128.Sign("RS256", Digest(32)).status());
  ExpectBadParameter(Rsa2048().Sign("RSNULL", Digest(32)).status());
  ExpectBadParameter(Rsa2048().Sign("none", Digest(32)).status());
  const SecretBytes data(std::string(16, 'p'));
  ExpectBadParameter(aes128.Encrypt("A256GCM", data, "", "").status());
  ExpectBadParameter(aes128.Encrypt("RSA-OAEP", data, "", "").status());
  ExpectBadParameter(Rsa2048().Encrypt("A128GCM", data, "", "").status());
  ExpectBadParameter(p256.Encrypt("RSA-OAEP", data, "", "").status());
  ExpectBadParameter(
      aes128.Decrypt("A192CBC", std::string(16, 'c'), std::string(16, 'i'), "", "").status());
  ExpectBadParameter(aes128.WrapKey("A256KW", data).status());
  ExpectBadParameter(aes128.UnwrapKey("A256KW", std::string(24, 'w')).status());
  ExpectBadParameter(aes128.WrapKey("A128GCM", data).status());  // not a wrap algorithm
  ExpectBadParameter(aes128.Encrypt("A128KW", data, "", "").status());
  ExpectBadParameter(Rsa2048().Encrypt("rsa-oaep", data, "", "").status());  // case-sensitive
}

TEST(KeyOperationsTest, ParameterErrorsNameTheProblem) {
  KeyMaterial aes = Must(KeyMaterial::GenerateOct(256));
  const SecretBytes block(std::string(16, 'p'));
  ExpectBadParameter(aes.Encrypt("A256GCM", block, std::string(16, 'i'), "").status());
  ExpectBadParameter(aes.Encrypt("A256CBC", block, std::string(12, 'i'), "").status());
  ExpectBadParameter(aes.Encrypt("A256CBC", SecretBytes(std::string(15, 'p')), "", "").status());
  ExpectBadParameter(aes.Encrypt("A256CBC", block, "", "aad").status());
  ExpectBadParameter(
      aes.Decrypt("A256GCM", "c", std::string(11, 'i'), "", std::string(16, 't')).status());
  ExpectBadParameter(
      aes.Decrypt("A256GCM", "c", std::string(12, 'i'), "", std::string(12, 't')).status());
  ExpectBadParameter(aes.Decrypt("A256CBC", std::string(16, 'c'), "", "", "").status());
  ExpectBadParameter(aes.WrapKey("A256KW", SecretBytes(std::string(12, 'k'))).status());
  ExpectBadParameter(aes.WrapKey("A256KW", SecretBytes(std::string(20, 'k'))).status());
  ExpectBadParameter(
      Rsa2048().Encrypt("RSA-OAEP", SecretBytes(std::string(215, 'p')), "", "").status());
  EXPECT_TRUE(Rsa2048().Encrypt("RSA-OAEP", SecretBytes(std::string(214, 'p')), "", "").ok());
  ExpectBadParameter(Rsa2048().Encrypt("RSA-OAEP", block, std::string(12, 'i'), "").status());
}

// An RSA "ciphertext" whose plaintext is a PKCS#1 type-1 block: neither v1.5 encryption padding
// nor OAEP, so unpadding fails every time (random garbage would pass RSA1_5 now and then).
std::string BadlyPaddedRsaCiphertext(EVP_PKEY* pkey) {
  std::string block(256, '\xff');
  block[0] = 0x00;
  block[1] = 0x01;
  CtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr), EVP_PKEY_CTX_free);
  EXPECT_EQ(EVP_PKEY_encrypt_init(ctx.get()), 1);
  EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING);
  unsigned char out[256];
  size_t out_len = sizeof out;
  EXPECT_EQ(EVP_PKEY_encrypt(ctx.get(), out, &out_len,
                             reinterpret_cast<const unsigned char*>(block.data()), block.size()),
            1);
  return std::string(reinterpret_cast<char*>(out), out_len);
}

TEST(KeyOperationsTest, EveryDecryptionFailureIsTheSameStatus) {
  const OpenSslRsa& rsa = SharedOpenSslRsa();
  std::string bad_rsa = BadlyPaddedRsaCiphertext(rsa.pkey.get());
  std::vector<std::pair<std::string, Status>> failures;
  auto add = [&failures](std::string what, Status status) {
    failures.emplace_back(std::move(what), std::move(status));
  };
#ifndef OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION
  // OpenSSL 3.0/3.1: no implicit rejection, so RSA1_5 padding failures are errors too.
  add("RSA1_5 bad padding", rsa.key.Decrypt("RSA1_5", bad_rsa, "", "", "").status());
  add("RSA1_5 unwrap bad padding", rsa.key.UnwrapKey("RSA1_5", bad_rsa).status());
#endif
  add("RSA-OAEP bad padding", rsa.key.Decrypt("RSA-OAEP", bad_rsa, "", "", "").status());
  add("RSA-OAEP-256 bad padding", rsa.key.UnwrapKey("RSA-OAEP-256", bad_rsa).status());
  add("RSA1_5 short ciphertext", rsa.key.Decrypt("RSA1_5", bad_rsa.substr(1), "", "", "").status());
  add("RSA-OAEP long ciphertext", rsa.key.UnwrapKey("RSA-OAEP", bad_rsa + "x").status());
  add("RSA-OAEP ciphertext >= n",
      rsa.key.Decrypt("RSA-OAEP", std::string(256, '\xff'), "", "", "").status());

  KeyMaterial aes = Must(KeyMaterial::GenerateOct(256));
  KeyMaterial other = Must(KeyMaterial::GenerateOct(256));
  std::string iv(16, '\x01');
  // A block whose plaintext ends in 0x00: never valid PKCS#7.
  auto zero_end = aes.Encrypt("A256CBC", SecretBytes(std::string(16, '\0')), iv, "");
  ASSERT_TRUE(zero_end.ok());
  add("CBCPAD bad padding", aes.Decrypt("A256CBCPAD", zero_end->ciphertext, iv, "", "").status());
  add("CBCPAD empty", aes.Decrypt("A256CBCPAD", "", iv, "", "").status());
  add("CBC wrong length", aes.Decrypt("A256CBC", std::string(15, 'c'), iv, "", "").status());
  auto sealed = aes.Encrypt("A256GCM", SecretBytes(std::string("secret")), "", "aad");
  ASSERT_TRUE(sealed.ok());
  std::string bad_tag = sealed->tag;
  bad_tag[0] ^= 1;
  add("GCM bad tag",
      aes.Decrypt("A256GCM", sealed->ciphertext, sealed->iv, "aad", bad_tag).status());
  add("GCM wrong aad",
      aes.Decrypt("A256GCM", sealed->ciphertext, sealed->iv, "AAD", sealed->tag).status());
  add("GCM wrong key",
      other.Decrypt("A256GCM", sealed->ciphertext, sealed->iv, "aad", sealed->tag).status());
  auto wrapped = aes.WrapKey("A256KW", SecretBytes(std::string(32, 'k')));
  ASSERT_TRUE(wrapped.ok());
  std::string flipped = *wrapped;
  flipped[20] ^= 1;
  add("KW integrity", aes.UnwrapKey("A256KW", flipped).status());
  add("KW wrong key", other.UnwrapKey("CKM_AES_KEY_WRAP", *wrapped).status());
  add("KW wrong length", aes.UnwrapKey("A256KW", wrapped->substr(1)).status());
  add("KW too short", aes.UnwrapKey("A256KW", wrapped->substr(0, 16)).status());
  auto padded = aes.WrapKey("CKM_AES_KEY_WRAP_PAD", SecretBytes(std::string("seven!!")));
  ASSERT_TRUE(padded.ok());
  std::string padded_flipped = *padded;
  padded_flipped[3] ^= 1;
  add("KWP integrity", aes.UnwrapKey("CKM_AES_KEY_WRAP_PAD", padded_flipped).status());
  add("KWP as KW", aes.UnwrapKey("CKM_AES_KEY_WRAP", *wrapped + std::string(8, 'x')).status());

  for (const auto& [what, status] : failures) {
    EXPECT_EQ(status, kUniform) << what << ": " << status.ToString();
  }
  // Nothing lingers in the thread's OpenSSL error queue after a failed decryption.
  EXPECT_EQ(ERR_peek_error(), 0u);
}

#ifdef OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION
TEST(KeyOperationsTest, Rsa15BadPaddingGivesADeterministicSyntheticMessage) {
  const OpenSslRsa& rsa = SharedOpenSslRsa();
  std::string bad_rsa = BadlyPaddedRsaCiphertext(rsa.pkey.get());
  auto first = rsa.key.Decrypt("RSA1_5", bad_rsa, "", "", "");
  auto second = rsa.key.Decrypt("RSA1_5", bad_rsa, "", "", "");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->view(), second->view());
}
#endif

}  // namespace
}  // namespace coffer::crypto
