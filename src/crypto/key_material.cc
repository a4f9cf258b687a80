// KeyMaterial: generation, the versioned private serialisation and the public JWK, plus the
// module-internal helpers the operation files share (key_material_internal.h). Import from a
// JWK lives in key_import.cc, encrypt/wrap in key_cipher.cc, sign/verify in key_signature.cc.
#include "crypto/key_material.h"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crypto/key_material_internal.h"

namespace coffer::crypto {
namespace internal {
namespace {

// These algorithms are built into OpenSSL's default provider; failing to fetch one means the
// installation is broken, which no caller can handle.
[[noreturn]] void DieMissing(const char* name) {
  std::fprintf(stderr, "coffer: OpenSSL algorithm %s is unavailable; aborting\n", name);
  std::abort();
}

const EVP_MD* FetchMd(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) DieMissing(name);
  return md;  // Held for the process lifetime.
}

constexpr std::array<CurveInfo, 4> kCurves = {{
    {"P-256", "prime256v1", 32, 256},
    {"P-384", "secp384r1", 48, 384},
    {"P-521", "secp521r1", 66, 521},
    {"P-256K", "secp256k1", 32, 256},
}};

}  // namespace

const EVP_MD* Sha1Md() {
  static const EVP_MD* md = FetchMd("SHA1");
  return md;
}
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = FetchMd("SHA256");
  return md;
}
const EVP_MD* Sha384Md() {
  static const EVP_MD* md = FetchMd("SHA384");
  return md;
}
const EVP_MD* Sha512Md() {
  static const EVP_MD* md = FetchMd("SHA512");
  return md;
}
const EVP_MD* ShaMdByName(std::string_view name) {
  if (name == "SHA-1") return Sha1Md();
  if (name == "SHA-256") return Sha256Md();
  if (name == "SHA-384") return Sha384Md();
  if (name == "SHA-512") return Sha512Md();
  return nullptr;
}

const EVP_CIPHER* AesCipher(AesMode mode, size_t key_bytes) {
  // [mode][size]: all twelve fetched together on first use, then only read.
  static const auto* table = [] {
    static const char* const kNames[4][3] = {
        {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM"},
        {"AES-128-CBC", "AES-192-CBC", "AES-256-CBC"},
        {"AES-128-WRAP", "AES-192-WRAP", "AES-256-WRAP"},
        {"AES-128-WRAP-PAD", "AES-192-WRAP-PAD", "AES-256-WRAP-PAD"}};
    auto* t = new std::array<std::array<const EVP_CIPHER*, 3>, 4>();
    for (int m = 0; m < 4; ++m) {
      for (int k = 0; k < 3; ++k) {
        EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, kNames[m][k], nullptr);
        if (c == nullptr) DieMissing(kNames[m][k]);
        (*t)[m][k] = c;
      }
    }
    return t;
  }();
  size_t size_index = key_bytes == 16 ? 0 : key_bytes == 24 ? 1 : 2;
  return (*table)[static_cast<size_t>(mode)][size_index];
}

std::string BnToBytes(const BIGNUM* bn, size_t width) {
  size_t n = width != 0 ? width : static_cast<size_t>(BN_num_bytes(bn));
  std::string out(n, '\0');
  if (n > 0 &&
      BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) < 0) {
    return {};
  }
  return out;
}

SecretBytes BnToSecret(const BIGNUM* bn, size_t width) {
  size_t n = width != 0 ? width : static_cast<size_t>(BN_num_bytes(bn));
  SecretBytes out(n);
  if (n > 0 && BN_bn2binpad(bn, out.data(), static_cast<int>(n)) < 0) return SecretBytes();
  return out;
}

const CurveInfo* CurveByJwkName(std::string_view crv) {
  for (const CurveInfo& c : kCurves) {
    if (c.jwk_name == crv) return &c;
  }
  return nullptr;
}

const CurveInfo* CurveByOpenSslGroup(std::string_view group) {
  for (const CurveInfo& c : kCurves) {
    if (group == c.openssl_group) return &c;
  }
  return nullptr;
}

StatusOr<KeyShape> DescribePkey(EVP_PKEY* pkey) {
  KeyShape shape;
  if (EVP_PKEY_is_a(pkey, "RSA") == 1) {
    shape.type = KeyType::kRsa;
    shape.bits = EVP_PKEY_get_bits(pkey);
    if (shape.bits != 2048 && shape.bits != 3072 && shape.bits != 4096) {
      return BadParameter("RSA keys must have a 2048, 3072 or 4096-bit modulus; this one has " +
                          std::to_string(shape.bits) + " bits");
    }
    return shape;
  }
  if (EVP_PKEY_is_a(pkey, "EC") == 1) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) != 1) {
      ERR_clear_error();
      return BadParameter("EC key has no named curve; use P-256, P-384, P-521 or P-256K");
    }
    const CurveInfo* curve = CurveByOpenSslGroup(group);
    if (curve == nullptr) {
      return BadParameter("EC curve " + std::string(group) +
                          " is not supported; use P-256, P-384, P-521 or P-256K");
    }
    shape.type = KeyType::kEc;
    shape.bits = curve->bits;
    shape.curve = std::string(curve->jwk_name);
    return shape;
  }
  return BadParameter("key is neither RSA nor EC");
}

std::shared_ptr<void> SharePkey(PkeyPtr pkey) {
  return std::shared_ptr<void>(pkey.release(),
                               [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}

}  // namespace internal

namespace {

using internal::BadParameter;
using internal::BioPtr;
using internal::BnPtr;
using internal::OpenSslError;
using internal::PkeyCtxPtr;
using internal::PkeyOf;
using internal::PkeyPtr;

constexpr uint8_t kFormatVersion = 1;
// Type bytes of the serialisation; never renumber.
constexpr uint8_t kTypeRsa = 1;
constexpr uint8_t kTypeEc = 2;
constexpr uint8_t kTypeOct = 3;

using EncoderCtxPtr = std::unique_ptr<OSSL_ENCODER_CTX, internal::FnDeleter<OSSL_ENCODER_CTX_free>>;
using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, internal::FnDeleter<OSSL_DECODER_CTX_free>>;

}  // namespace

namespace {

// RSA key generation with a checked size and an odd exponent >= 3 (OpenSSL bounds it further:
// exponents over 16 bits go through SP 800-56B generation, which takes e < 2^256).
StatusOr<PkeyPtr> GenerateRsaPkey(int bits, const BIGNUM* e) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (ctx == nullptr) return OpenSslError("RSA key generation setup failed");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1 ||
      EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), const_cast<BIGNUM*>(e)) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return OpenSslError("RSA key generation failed");
  }
  return PkeyPtr(raw);
}

}  // namespace

StatusOr<KeyMaterial> KeyMaterial::GenerateRsa(int bits, uint64_t public_exponent) {
  if (bits != 2048 && bits != 3072 && bits != 4096) {
    return BadParameter("RSA key_size must be 2048, 3072 or 4096, got " + std::to_string(bits));
  }
  if (public_exponent < 3 || public_exponent % 2 == 0) {
    return BadParameter("RSA public_exponent must be odd and at least 3");
  }
  BnPtr e(BN_new());
  if (e == nullptr || BN_set_word(e.get(), public_exponent) != 1) {
    return OpenSslError("RSA key generation setup failed");
  }
  auto pkey = GenerateRsaPkey(bits, e.get());
  if (!pkey.ok()) return pkey.status();
  return Rsa(bits, internal::SharePkey(std::move(*pkey)));
}

KeyMaterial KeyMaterial::Rsa(int bits, std::shared_ptr<void> pkey) {
  KeyMaterial key;
  key.type_ = KeyType::kRsa;
  key.bits_ = bits;
  key.pkey_ = std::move(pkey);
  return key;
}

StatusOr<KeyMaterial> KeyMaterial::Regenerate() const {
  switch (type_) {
    case KeyType::kEc:
      return GenerateEc(curve_);
    case KeyType::kOct:
      return GenerateOct(bits_);
    case KeyType::kRsa:
      break;
  }
  // The exponent as a BIGNUM: an imported key's may be up to 256 bits.
  BIGNUM* raw_e = nullptr;
  if (EVP_PKEY_get_bn_param(internal::PkeyOf(pkey_), OSSL_PKEY_PARAM_RSA_E, &raw_e) != 1) {
    return OpenSslError("reading the RSA public exponent failed");
  }
  BnPtr e(raw_e);
  auto pkey = GenerateRsaPkey(bits_, e.get());
  if (!pkey.ok()) return pkey.status();
  return Rsa(bits_, internal::SharePkey(std::move(*pkey)));
}

StatusOr<KeyMaterial> KeyMaterial::GenerateEc(std::string_view crv) {
  const internal::CurveInfo* curve = internal::CurveByJwkName(crv);
  if (curve == nullptr) {
    return BadParameter("EC curve " + internal::QuoteAlg(crv) +
                        " is not supported; use P-256, P-384, P-521 or P-256K");
  }
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve->openssl_group));
  if (pkey == nullptr) return OpenSslError("EC key generation failed");
  KeyMaterial key;
  key.type_ = KeyType::kEc;
  key.bits_ = curve->bits;
  key.curve_ = std::string(curve->jwk_name);
  key.pkey_ = internal::SharePkey(std::move(pkey));
  return key;
}

StatusOr<KeyMaterial> KeyMaterial::GenerateOct(int bits) {
  if (bits != 128 && bits != 192 && bits != 256) {
    return BadParameter("oct key_size must be 128, 192 or 256, got " + std::to_string(bits));
  }
  auto k = std::make_shared<SecretBytes>(static_cast<size_t>(bits / 8));
  if (RAND_priv_bytes(k->data(), static_cast<int>(k->size())) != 1) {
    return OpenSslError("random AES key generation failed");
  }
  KeyMaterial key;
  key.type_ = KeyType::kOct;
  key.bits_ = bits;
  key.oct_ = std::move(k);
  return key;
}

StatusOr<SecretBytes> KeyMaterial::Serialize() const {
  SecretBytes out;
  if (type_ == KeyType::kOct) {
    out = SecretBytes(oct_->size() + 2);
    out.data()[0] = kFormatVersion;
    out.data()[1] = kTypeOct;
    std::memcpy(out.data() + 2, oct_->data(), oct_->size());
    return out;
  }
  EncoderCtxPtr enc(OSSL_ENCODER_CTX_new_for_pkey(PkeyOf(pkey_), EVP_PKEY_KEYPAIR, "DER",
                                                  "PrivateKeyInfo", nullptr));
  // A secure-memory BIO: its buffer is cleansed when it grows and when it is freed.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (enc == nullptr || bio == nullptr || OSSL_ENCODER_to_bio(enc.get(), bio.get()) != 1) {
    return OpenSslError("encoding the private key as PKCS#8 failed");
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  if (mem == nullptr || mem->length == 0) return InternalError("PKCS#8 BIO has no data");
  out = SecretBytes(mem->length + 2);
  out.data()[0] = kFormatVersion;
  out.data()[1] = type_ == KeyType::kRsa ? kTypeRsa : kTypeEc;
  std::memcpy(out.data() + 2, mem->data, mem->length);
  OPENSSL_cleanse(mem->data, mem->max);
  return out;
}

StatusOr<KeyMaterial> KeyMaterial::Deserialize(std::string_view blob) {
  if (blob.size() < 2 || static_cast<uint8_t>(blob[0]) != kFormatVersion) {
    return InvalidArgumentError("serialised key has an unknown format version");
  }
  uint8_t type = static_cast<uint8_t>(blob[1]);
  std::string_view body = blob.substr(2);
  if (type == kTypeOct) {
    if (body.size() != 16 && body.size() != 24 && body.size() != 32) {
      return InvalidArgumentError("serialised AES key must be 16, 24 or 32 bytes");
    }
    KeyMaterial key;
    key.type_ = KeyType::kOct;
    key.bits_ = static_cast<int>(body.size() * 8);
    key.oct_ = std::make_shared<SecretBytes>(body);
    return key;
  }
  if (type != kTypeRsa && type != kTypeEc) {
    return InvalidArgumentError("serialised key has an unknown key type");
  }
  EVP_PKEY* raw = nullptr;
  DecoderCtxPtr dec(OSSL_DECODER_CTX_new_for_pkey(&raw, "DER", "PrivateKeyInfo",
                                                  type == kTypeRsa ? "RSA" : "EC", EVP_PKEY_KEYPAIR,
                                                  nullptr, nullptr));
  if (dec == nullptr) return OpenSslError("PKCS#8 decoder setup failed");
  const unsigned char* data = internal::Uchars(body);
  size_t left = body.size();
  bool decoded = OSSL_DECODER_from_data(dec.get(), &data, &left) == 1;
  PkeyPtr pkey(raw);
  if (!decoded || pkey == nullptr || left != 0) {
    ERR_clear_error();
    return InvalidArgumentError("serialised key is not a PKCS#8 private key of its type");
  }
  auto shape = internal::DescribePkey(pkey.get());
  if (!shape.ok()) return shape.status();
  KeyMaterial key;
  key.type_ = shape->type;
  key.bits_ = shape->bits;
  key.curve_ = shape->curve;
  key.pkey_ = internal::SharePkey(std::move(pkey));
  return key;
}

JwkParts KeyMaterial::PublicJwk() const {
  JwkParts jwk;
  EVP_PKEY* pkey = PkeyOf(pkey_);
  auto bn_param = [pkey](const char* name, size_t width) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
      ERR_clear_error();
      return std::string();
    }
    BnPtr bn(raw);
    return internal::BnToBytes(bn.get(), width);
  };
  switch (type_) {
    case KeyType::kRsa:
      jwk.kty = "RSA";
      jwk.n = bn_param(OSSL_PKEY_PARAM_RSA_N, 0);
      jwk.e = bn_param(OSSL_PKEY_PARAM_RSA_E, 0);
      break;
    case KeyType::kEc: {
      const internal::CurveInfo* curve = internal::CurveByJwkName(curve_);
      jwk.kty = "EC";
      jwk.crv = curve_;
      jwk.x = bn_param(OSSL_PKEY_PARAM_EC_PUB_X, curve->coordinate_bytes);
      jwk.y = bn_param(OSSL_PKEY_PARAM_EC_PUB_Y, curve->coordinate_bytes);
      break;
    }
    case KeyType::kOct:
      jwk.kty = "oct";
      break;
  }
  return jwk;
}

}  // namespace coffer::crypto
