#include "crypto/ec_key.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "core/encoding.h"
#include "crypto/primitives.h"

namespace coffer::crypto {
namespace {

// RFC 7515 Appendix A.3 ("Example JWS Using ECDSA P-256 SHA-256"): the JWK's x, y and d, the
// JWS signing input and its R||S signature. The PEM below is that d as PKCS#8 (encoded once
// with Python's `cryptography`; it is the same key the RFC prints as a JWK).
constexpr char kRfc7515X[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr char kRfc7515Y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
constexpr char kRfc7515SigningInput[] =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
constexpr char kRfc7515Signature[] =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr char kRfc7515Pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjpsQnnGQmL+YBIff\n"
    "H1136cspYG6+0iY7X1fCE9+E9LKhRANCAAR/zc4ncPbEXUGDy+5v20t7WAczNXvp\n"
    "7xO6z248e9FURcfxRM0bvZt+hyzf7bnuufSzaV1uqQskrYpGIyiFiOWt\n"
    "-----END PRIVATE KEY-----\n";

std::string B64(std::string_view s) { return DecodeBase64Url(s).value_or(""); }

EcSigningKey NewKey() {
  auto key = EcSigningKey::GenerateP256();
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

// DER helpers done with OpenSSL directly, independent of the code under test.
std::string DerToRaw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())), ECDSA_SIG_free);
  if (sig == nullptr) return {};
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32);
  return raw;
}

std::string RawToDer(const std::string& raw) {
  const auto* in = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(in, 32, nullptr), BN_bin2bn(in + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

std::string OpenSslSignDer(const EcSigningKey& key, std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char der[80];
  size_t len = sizeof der;
  bool ok = EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr,
                                  static_cast<EVP_PKEY*>(key.native()), nullptr) == 1 &&
            EVP_DigestSign(ctx, der, &len, reinterpret_cast<const unsigned char*>(data.data()),
                           data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok ? std::string(reinterpret_cast<char*>(der), len) : std::string();
}

bool OpenSslVerifyDer(const EcSigningKey& key, std::string_view data, const std::string& der) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr,
                                    static_cast<EVP_PKEY*>(key.native()), nullptr) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

TEST(EcSigningKey, SignVerifyRoundTrip) {
  EcSigningKey key = NewKey();
  auto sig = key.SignEs256("header.payload");
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(key.VerifyEs256("header.payload", *sig));
  EXPECT_TRUE(key.VerifyEs256("", *key.SignEs256("")));
}

TEST(EcSigningKey, PublicCoordinatesArePadded) {
  EcSigningKey key = NewKey();
  EXPECT_EQ(key.PublicX().size(), 32u);
  EXPECT_EQ(key.PublicY().size(), 32u);
}

TEST(EcSigningKey, VerifyRejectsFlippedBits) {
  EcSigningKey key = NewKey();
  std::string sig = *key.SignEs256("message");
  for (size_t i = 0; i < sig.size(); ++i) {
    std::string bad = sig;
    bad[i] ^= 0x01;
    EXPECT_FALSE(key.VerifyEs256("message", bad)) << "byte " << i;
  }
  EXPECT_FALSE(key.VerifyEs256("messagf", sig));
}

TEST(EcSigningKey, VerifyRejectsOtherKeysSignature) {
  EcSigningKey a = NewKey();
  EcSigningKey b = NewKey();
  EXPECT_FALSE(b.VerifyEs256("message", *a.SignEs256("message")));
}

TEST(EcSigningKey, VerifyRejectsMalformedSignatures) {
  EcSigningKey key = NewKey();
  std::string sig = *key.SignEs256("m");
  EXPECT_FALSE(key.VerifyEs256("m", ""));
  EXPECT_FALSE(key.VerifyEs256("m", sig.substr(0, 63)));
  EXPECT_FALSE(key.VerifyEs256("m", sig + std::string(1, '\0')));
  EXPECT_FALSE(key.VerifyEs256("m", RawToDer(sig)));  // DER is not accepted for ES256.
  EXPECT_FALSE(key.VerifyEs256("m", std::string(64, '\0')));
  EXPECT_FALSE(key.VerifyEs256("m", std::string(64, '\xff')));  // r, s >= n
  for (int i = 0; i < 32; ++i) {
    EXPECT_FALSE(key.VerifyEs256("m", SystemRandom().Bytes(64)));
  }
  EXPECT_TRUE(key.VerifyEs256("m", sig));  // The error queue was left clean.
}

TEST(EcSigningKey, VerifiesRfc7515AppendixA3Signature) {
  auto key = EcSigningKey::FromPublicP256(B64(kRfc7515X), B64(kRfc7515Y));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  std::string sig = B64(kRfc7515Signature);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(key->VerifyEs256(kRfc7515SigningInput, sig));
  std::string bad = sig;
  bad[10] ^= 0x80;
  EXPECT_FALSE(key->VerifyEs256(kRfc7515SigningInput, bad));
}

TEST(EcSigningKey, LoadsRfc7515PrivateKeyPem) {
  auto key = EcSigningKey::FromPrivatePem(SecretBytes(std::string(kRfc7515Pem)));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->PublicX(), B64(kRfc7515X));
  EXPECT_EQ(key->PublicY(), B64(kRfc7515Y));
  EXPECT_TRUE(key->VerifyEs256(kRfc7515SigningInput, B64(kRfc7515Signature)));
  auto sig = key->SignEs256("fresh");
  ASSERT_TRUE(sig.ok());
  auto pub = EcSigningKey::FromPublicP256(B64(kRfc7515X), B64(kRfc7515Y));
  EXPECT_TRUE(pub->VerifyEs256("fresh", *sig));
}

TEST(EcSigningKey, PrivatePemRoundTrip) {
  EcSigningKey key = NewKey();
  auto pem = key.PrivatePem();
  ASSERT_TRUE(pem.ok()) << pem.status().ToString();
  EXPECT_TRUE(pem->view().starts_with("-----BEGIN PRIVATE KEY-----\n"));
  auto again = EcSigningKey::FromPrivatePem(*pem);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->PublicX(), key.PublicX());
  EXPECT_EQ(again->PublicY(), key.PublicY());
  EXPECT_TRUE(key.VerifyEs256("x", *again->SignEs256("x")));
}

TEST(EcSigningKey, PublicOnlyKeyCannotSignOrExport) {
  EcSigningKey key = NewKey();
  auto pub = EcSigningKey::FromPublicP256(key.PublicX(), key.PublicY());
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_TRUE(pub->VerifyEs256("m", *key.SignEs256("m")));
  EXPECT_EQ(pub->SignEs256("m").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(pub->PrivatePem().status().code(), StatusCode::kFailedPrecondition);
}

TEST(EcSigningKey, FromPublicRejectsBadCoordinates) {
  EcSigningKey key = NewKey();
  std::string x = key.PublicX(), y = key.PublicY();
  EXPECT_EQ(EcSigningKey::FromPublicP256(x.substr(1), y).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EcSigningKey::FromPublicP256(x, y + "0").status().code(), StatusCode::kInvalidArgument);
  std::string off_curve = y;
  off_curve[31] ^= 1;
  EXPECT_EQ(EcSigningKey::FromPublicP256(x, off_curve).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      EcSigningKey::FromPublicP256(std::string(32, '\0'), std::string(32, '\0')).status().code(),
      StatusCode::kInvalidArgument);
}

TEST(EcSigningKey, FromPrivatePemRejectsGarbageAndOtherCurves) {
  EXPECT_EQ(EcSigningKey::FromPrivatePem(SecretBytes()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EcSigningKey::FromPrivatePem(SecretBytes(std::string("not a pem"))).status().code(),
            StatusCode::kInvalidArgument);
  std::string truncated(kRfc7515Pem, sizeof kRfc7515Pem / 2);
  EXPECT_EQ(EcSigningKey::FromPrivatePem(SecretBytes(truncated)).status().code(),
            StatusCode::kInvalidArgument);

  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  ASSERT_NE(p384, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, p384, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  SecretBytes pem(std::string_view(data, static_cast<size_t>(len)));
  BIO_free(bio);
  EVP_PKEY_free(p384);
  auto loaded = EcSigningKey::FromPrivatePem(pem);
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
}

// Interoperability: OpenSSL's own DER signatures, converted to R||S, verify with our code, and
// our R||S converted to DER verify with OpenSSL. Many iterations exercise short r/s values
// (leading zero bytes) in both conversions.
TEST(EcSigningKey, InteroperatesWithOpenSslDerSignatures) {
  EcSigningKey key = NewKey();
  for (int i = 0; i < 300; ++i) {
    std::string data = "message " + std::to_string(i);
    std::string der = OpenSslSignDer(key, data);
    ASSERT_FALSE(der.empty());
    EXPECT_TRUE(key.VerifyEs256(data, DerToRaw(der))) << i;

    auto ours = key.SignEs256(data);
    ASSERT_TRUE(ours.ok());
    ASSERT_EQ(ours->size(), 64u);
    EXPECT_TRUE(OpenSslVerifyDer(key, data, RawToDer(*ours))) << i;
  }
}

}  // namespace
}  // namespace coffer::crypto
