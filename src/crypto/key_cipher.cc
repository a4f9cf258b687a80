// KeyMaterial::Encrypt / Decrypt / WrapKey / UnwrapKey: RSA1_5 and RSA-OAEP(-256) over
// EVP_PKEY_encrypt/decrypt; AES-GCM, AES-CBC(-PAD), RFC 3394 and RFC 5649 key wrap over
// EVP_CIPHER.
//
// Every failure while decrypting or unwrapping — a length that cannot be a ciphertext, bad
// padding, a GCM tag or key-wrap integrity mismatch, an OpenSSL error — leaves through
// internal::DecryptionFailed(), one byte-identical Status. Parameter errors that do not depend on
// the ciphertext (algorithm, IV or tag length) name the problem.
//
// RSA1_5: OpenSSL 3.2+ has implicit rejection (a failed unpadding yields a deterministic random
// message instead of an error) and it is switched on explicitly below when the headers have it.
// OpenSSL 3.0, which this project builds against today, has none: OpenSSL's unpadding is
// constant-time, but a failure still ends in a 400 where success ends in a 200, so a caller who
// can submit chosen RSA1_5 ciphertexts has a Bleichenbacher oracle. That is inherent to offering
// RSA1_5 decryption (Key Vault does); RSA-OAEP does not have this weakness. CBC-PAD is likewise a
// padding oracle by construction (unauthenticated CBC), whatever the error looks like.
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <array>
#include <climits>

#include "crypto/key_material.h"
#include "crypto/key_material_internal.h"

namespace coffer::crypto {
namespace {

using internal::AesMode;
using internal::BadParameter;
using internal::CipherCtxPtr;
using internal::DecryptionFailed;
using internal::OpenSslError;
using internal::PkeyCtxPtr;
using internal::Uchars;

enum class Scheme { kRsa15, kRsaOaep, kRsaOaep256, kGcm, kCbc, kCbcPad, kKw, kKwPad };

struct CipherAlg {
  std::string_view name;
  Scheme scheme;
  size_t key_bytes;  // AES key size the algorithm is defined for; 0 = any (RSA, CKM_*)
};

constexpr std::array<CipherAlg, 12> kEncryptAlgs = {{
    {"RSA1_5", Scheme::kRsa15, 0},
    {"RSA-OAEP", Scheme::kRsaOaep, 0},
    {"RSA-OAEP-256", Scheme::kRsaOaep256, 0},
    {"A128GCM", Scheme::kGcm, 16},
    {"A192GCM", Scheme::kGcm, 24},
    {"A256GCM", Scheme::kGcm, 32},
    {"A128CBC", Scheme::kCbc, 16},
    {"A192CBC", Scheme::kCbc, 24},
    {"A256CBC", Scheme::kCbc, 32},
    {"A128CBCPAD", Scheme::kCbcPad, 16},
    {"A192CBCPAD", Scheme::kCbcPad, 24},
    {"A256CBCPAD", Scheme::kCbcPad, 32},
}};

constexpr std::array<CipherAlg, 8> kWrapAlgs = {{
    {"RSA1_5", Scheme::kRsa15, 0},
    {"RSA-OAEP", Scheme::kRsaOaep, 0},
    {"RSA-OAEP-256", Scheme::kRsaOaep256, 0},
    {"A128KW", Scheme::kKw, 16},
    {"A192KW", Scheme::kKw, 24},
    {"A256KW", Scheme::kKw, 32},
    {"CKM_AES_KEY_WRAP", Scheme::kKw, 0},
    {"CKM_AES_KEY_WRAP_PAD", Scheme::kKwPad, 0},
}};

constexpr size_t kGcmIvSize = 12;
constexpr size_t kGcmTagSize = 16;
constexpr size_t kAesBlock = 16;
constexpr size_t kKwBlock = 8;
// EVP_*Update take int lengths; requests are far smaller (the HTTP layer caps bodies).
constexpr size_t kMaxAesInput = INT_MAX - 64;

bool IsRsa(Scheme s) {
  return s == Scheme::kRsa15 || s == Scheme::kRsaOaep || s == Scheme::kRsaOaep256;
}

// Finds `alg` in `table` and checks it fits the key.
template <size_t N>
StatusOr<const CipherAlg*> FindAlg(const std::array<CipherAlg, N>& table, std::string_view alg,
                                   const char* operation, KeyType type, int bits) {
  const CipherAlg* found = nullptr;
  for (const CipherAlg& a : table) {
    if (a.name == alg) found = &a;
  }
  if (found == nullptr) {
    return BadParameter("unknown " + std::string(operation) + " algorithm " +
                        internal::QuoteAlg(alg));
  }
  if (IsRsa(found->scheme)) {
    if (type != KeyType::kRsa) {
      return BadParameter("algorithm " + std::string(found->name) + " needs an RSA key");
    }
    return found;
  }
  if (type != KeyType::kOct) {
    return BadParameter("algorithm " + std::string(found->name) + " needs an oct (AES) key");
  }
  if (found->key_bytes != 0 && static_cast<int>(found->key_bytes * 8) != bits) {
    return BadParameter("algorithm " + std::string(found->name) + " needs a " +
                        std::to_string(found->key_bytes * 8) + "-bit AES key; this key has " +
                        std::to_string(bits) + " bits");
  }
  return found;
}

// The OAEP digest of an RSA scheme; null for RSA1_5 (PKCS#1 v1.5).
const EVP_MD* OaepMd(Scheme scheme) {
  if (scheme == Scheme::kRsa15) return nullptr;
  return scheme == Scheme::kRsaOaep ? internal::Sha1Md() : internal::Sha256Md();
}

bool ConfigureRsa(EVP_PKEY_CTX* ctx, const EVP_MD* oaep_md) {
  if (oaep_md == nullptr) return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
  return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_oaep_md(ctx, oaep_md) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, oaep_md) == 1;
}

SecretBytes RandomIv(size_t n) {
  SecretBytes iv(n);
  if (RAND_bytes(iv.data(), static_cast<int>(n)) != 1) return SecretBytes();
  return iv;
}

// One pass of a non-AEAD cipher (CBC, key wrap) over `in` into `out`, which must hold
// in.size() + 16 bytes. False on any failure; the caller picks the Status.
bool RunCipher(const EVP_CIPHER* cipher, bool encrypt, const SecretBytes& key, std::string_view iv,
               bool cbc_padding, std::string_view in, uint8_t* out, size_t* out_len) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return false;
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), iv.empty() ? nullptr : Uchars(iv),
                         encrypt ? 1 : 0, nullptr) != 1) {
    return false;
  }
  if (EVP_CIPHER_get_mode(cipher) == EVP_CIPH_CBC_MODE &&
      EVP_CIPHER_CTX_set_padding(ctx.get(), cbc_padding ? 1 : 0) != 1) {
    return false;
  }
  int len = 0;
  int final_len = 0;
  if (EVP_CipherUpdate(ctx.get(), out, &len, Uchars(in), static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out + len, &final_len) != 1) {
    return false;
  }
  *out_len = static_cast<size_t>(len) + static_cast<size_t>(final_len);
  return true;
}

StatusOr<EncryptResult> GcmEncrypt(const SecretBytes& key, std::string_view iv,
                                   std::string_view aad, const SecretBytes& plaintext) {
  EncryptResult result;
  result.iv = iv.empty() ? std::string(RandomIv(kGcmIvSize).view()) : std::string(iv);
  if (result.iv.size() != kGcmIvSize) {
    return BadParameter("AES-GCM 'iv' must be 12 bytes (or omitted to have one generated)");
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  result.ciphertext.resize(plaintext.size());
  result.tag.resize(kGcmTagSize);
  int len = 0;
  int final_len = 0;
  auto* out = reinterpret_cast<unsigned char*>(result.ciphertext.data());
  if (ctx == nullptr ||
      EVP_EncryptInit_ex2(ctx.get(), internal::AesCipher(AesMode::kGcm, key.size()), key.data(),
                          Uchars(result.iv), nullptr) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, Uchars(aad),
                                         static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), out, &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kGcmTagSize),
                          result.tag.data()) != 1) {
    return OpenSslError("AES-GCM encryption failed");
  }
  return result;
}

StatusOr<SecretBytes> GcmDecrypt(const SecretBytes& key, std::string_view iv, std::string_view aad,
                                 std::string_view tag, std::string_view ciphertext) {
  if (iv.size() != kGcmIvSize) return BadParameter("AES-GCM 'iv' must be 12 bytes");
  if (tag.size() != kGcmTagSize) return BadParameter("AES-GCM 'tag' must be 16 bytes");
  if (ciphertext.size() > kMaxAesInput || aad.size() > kMaxAesInput) return DecryptionFailed();
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  SecretBytes out(ciphertext.size());
  std::string tag_copy(tag);  // EVP's SET_TAG wants a mutable pointer.
  int len = 0;
  int final_len = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex2(ctx.get(), internal::AesCipher(AesMode::kGcm, key.size()), key.data(),
                          Uchars(iv), nullptr) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, Uchars(aad),
                                         static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, Uchars(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kGcmTagSize),
                          tag_copy.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &final_len) != 1) {
    return DecryptionFailed();  // `out` is zeroed as it goes out of scope.
  }
  return out;
}

StatusOr<EncryptResult> CbcEncrypt(const SecretBytes& key, bool padding, std::string_view iv,
                                   const SecretBytes& plaintext) {
  if (!padding && plaintext.size() % kAesBlock != 0) {
    return BadParameter(
        "AES-CBC without padding needs a plaintext that is a multiple of 16 "
        "bytes; use the CBCPAD algorithm for other lengths");
  }
  EncryptResult result;
  result.iv = iv.empty() ? std::string(RandomIv(kAesBlock).view()) : std::string(iv);
  if (result.iv.size() != kAesBlock) {
    return BadParameter("AES-CBC 'iv' must be 16 bytes (or omitted to have one generated)");
  }
  result.ciphertext.resize(plaintext.size() + kAesBlock);
  size_t out_len = 0;
  if (!RunCipher(internal::AesCipher(AesMode::kCbc, key.size()), true, key, result.iv, padding,
                 plaintext.view(), reinterpret_cast<uint8_t*>(result.ciphertext.data()),
                 &out_len)) {
    return OpenSslError("AES-CBC encryption failed");
  }
  result.ciphertext.resize(out_len);
  return result;
}

StatusOr<SecretBytes> CbcDecrypt(const SecretBytes& key, bool padding, std::string_view iv,
                                 std::string_view ciphertext) {
  if (iv.size() != kAesBlock) return BadParameter("AES-CBC 'iv' must be 16 bytes");
  if (ciphertext.size() % kAesBlock != 0 || (padding && ciphertext.empty()) ||
      ciphertext.size() > kMaxAesInput) {
    return DecryptionFailed();
  }
  SecretBytes out(ciphertext.size() + kAesBlock);
  size_t out_len = 0;
  if (!RunCipher(internal::AesCipher(AesMode::kCbc, key.size()), false, key, iv, padding,
                 ciphertext, out.data(), &out_len)) {
    return DecryptionFailed();
  }
  out.resize(out_len);
  return out;
}

}  // namespace

StatusOr<std::string> internal::RsaEncrypt(EVP_PKEY* pkey, const EVP_MD* oaep_md,
                                           const SecretBytes& plaintext) {
  size_t k = static_cast<size_t>(EVP_PKEY_get_size(pkey));
  size_t overhead =
      oaep_md == nullptr ? 11 : 2 * static_cast<size_t>(EVP_MD_get_size(oaep_md)) + 2;
  if (plaintext.size() + overhead > k) {
    return BadParameter("plaintext too long for this RSA key and padding: at most " +
                        std::to_string(k - overhead) + " bytes");
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  std::string out(k, '\0');
  size_t out_len = out.size();
  if (ctx == nullptr || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      !ConfigureRsa(ctx.get(), oaep_md) ||
      EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len,
                       plaintext.data(), plaintext.size()) != 1) {
    return OpenSslError("RSA encryption failed");
  }
  out.resize(out_len);
  return out;
}

StatusOr<SecretBytes> internal::RsaDecrypt(EVP_PKEY* pkey, const EVP_MD* oaep_md,
                                           std::string_view ciphertext) {
  size_t k = static_cast<size_t>(EVP_PKEY_get_size(pkey));
  if (ciphertext.size() != k) return DecryptionFailed();
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (ctx == nullptr || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      !ConfigureRsa(ctx.get(), oaep_md)) {
    return DecryptionFailed();
  }
#ifdef OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION
  if (oaep_md == nullptr) {
    unsigned int on = 1;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION, &on),
        OSSL_PARAM_construct_end()};
    if (EVP_PKEY_CTX_set_params(ctx.get(), params) != 1) return DecryptionFailed();
  }
#endif
  SecretBytes out(k);
  size_t out_len = out.size();
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &out_len, Uchars(ciphertext), ciphertext.size()) !=
      1) {
    return DecryptionFailed();
  }
  out.resize(out_len);
  return out;
}

StatusOr<EncryptResult> KeyMaterial::Encrypt(std::string_view alg, const SecretBytes& plaintext,
                                             std::string_view iv, std::string_view aad) const {
  auto found = FindAlg(kEncryptAlgs, alg, "encryption", type_, bits_);
  if (!found.ok()) return found.status();
  Scheme scheme = (*found)->scheme;
  if (IsRsa(scheme)) {
    if (!iv.empty() || !aad.empty()) {
      return BadParameter("'iv' and 'aad' are not used with RSA encryption; omit them");
    }
    auto ciphertext = internal::RsaEncrypt(internal::PkeyOf(pkey_), OaepMd(scheme), plaintext);
    if (!ciphertext.ok()) return ciphertext.status();
    EncryptResult result;
    result.ciphertext = std::move(*ciphertext);
    return result;
  }
  if (plaintext.size() > kMaxAesInput || aad.size() > kMaxAesInput) {
    return BadParameter("plaintext is too large");
  }
  if (scheme == Scheme::kGcm) return GcmEncrypt(*oct_, iv, aad, plaintext);
  if (!aad.empty()) return BadParameter("'aad' is only used with AES-GCM; omit it for AES-CBC");
  return CbcEncrypt(*oct_, scheme == Scheme::kCbcPad, iv, plaintext);
}

StatusOr<SecretBytes> KeyMaterial::Decrypt(std::string_view alg, std::string_view ciphertext,
                                           std::string_view iv, std::string_view aad,
                                           std::string_view tag) const {
  auto found = FindAlg(kEncryptAlgs, alg, "decryption", type_, bits_);
  if (!found.ok()) return found.status();
  Scheme scheme = (*found)->scheme;
  if (IsRsa(scheme)) {
    if (!iv.empty() || !aad.empty() || !tag.empty()) {
      return BadParameter("'iv', 'aad' and 'tag' are not used with RSA decryption; omit them");
    }
    return internal::RsaDecrypt(internal::PkeyOf(pkey_), OaepMd(scheme), ciphertext);
  }
  if (scheme == Scheme::kGcm) return GcmDecrypt(*oct_, iv, aad, tag, ciphertext);
  if (!aad.empty() || !tag.empty()) {
    return BadParameter("'aad' and 'tag' are only used with AES-GCM; omit them for AES-CBC");
  }
  return CbcDecrypt(*oct_, scheme == Scheme::kCbcPad, iv, ciphertext);
}

StatusOr<std::string> KeyMaterial::WrapKey(std::string_view alg, const SecretBytes& key) const {
  auto found = FindAlg(kWrapAlgs, alg, "key wrap", type_, bits_);
  if (!found.ok()) return found.status();
  Scheme scheme = (*found)->scheme;
  if (IsRsa(scheme)) return internal::RsaEncrypt(internal::PkeyOf(pkey_), OaepMd(scheme), key);
  if (key.size() > kMaxAesInput) return BadParameter("key to wrap is too large");
  if (scheme == Scheme::kKw && (key.size() < 2 * kKwBlock || key.size() % kKwBlock != 0)) {
    return BadParameter(std::string(alg) +
                        " (RFC 3394) wraps keys of 16 bytes or more in multiples of 8 bytes; "
                        "use CKM_AES_KEY_WRAP_PAD for other lengths");
  }
  if (scheme == Scheme::kKwPad && key.empty()) return BadParameter("key to wrap is empty");
  AesMode mode = scheme == Scheme::kKw ? AesMode::kWrap : AesMode::kWrapPad;
  std::string out(key.size() + 2 * kKwBlock, '\0');
  size_t out_len = 0;
  if (!RunCipher(internal::AesCipher(mode, oct_->size()), true, *oct_, {}, false, key.view(),
                 reinterpret_cast<uint8_t*>(out.data()), &out_len)) {
    return OpenSslError("AES key wrap failed");
  }
  out.resize(out_len);
  return out;
}

StatusOr<SecretBytes> KeyMaterial::UnwrapKey(std::string_view alg, std::string_view wrapped) const {
  auto found = FindAlg(kWrapAlgs, alg, "key unwrap", type_, bits_);
  if (!found.ok()) return found.status();
  Scheme scheme = (*found)->scheme;
  if (IsRsa(scheme)) return internal::RsaDecrypt(internal::PkeyOf(pkey_), OaepMd(scheme), wrapped);
  // RFC 3394 output is >= 24 bytes (n >= 2 blocks + IV); RFC 5649 output >= 16 bytes.
  size_t min_size = scheme == Scheme::kKw ? 3 * kKwBlock : 2 * kKwBlock;
  if (wrapped.size() < min_size || wrapped.size() % kKwBlock != 0 ||
      wrapped.size() > kMaxAesInput) {
    return DecryptionFailed();
  }
  AesMode mode = scheme == Scheme::kKw ? AesMode::kWrap : AesMode::kWrapPad;
  SecretBytes out(wrapped.size() + kKwBlock);
  size_t out_len = 0;
  if (!RunCipher(internal::AesCipher(mode, oct_->size()), false, *oct_, {}, false, wrapped,
                 out.data(), &out_len)) {
    return DecryptionFailed();
  }
  out.resize(out_len);
  return out;
}

}  // namespace coffer::crypto
