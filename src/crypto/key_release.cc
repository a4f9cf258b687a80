// Secure key release wrapping (key_release.h): RSA-OAEP of a fresh AES-256 key, then AES-KWP of
// the key bytes under it. The key bytes come from KeyMaterial::Serialize(), whose format this
// module owns (u8 format 1 ‖ u8 type ‖ PKCS#8 DER or raw AES bytes).
#include "crypto/key_release.h"

#include "crypto/key_material_internal.h"
#include "crypto/primitives.h"

namespace coffer::crypto {
namespace {

using internal::BadParameter;
using internal::Uchars;

constexpr size_t kAesKeyBytes = 32;
constexpr std::string_view kAesKeyWrapPad = "CKM_AES_KEY_WRAP_PAD";

// The OAEP hash of a release algorithm, or "" if `enc` is not one.
std::string_view OaepHash(std::string_view enc) {
  if (enc == "CKM_RSA_AES_KEY_WRAP") return "SHA-1";
  if (enc == "RSA_AES_KEY_WRAP_256") return "SHA-256";
  if (enc == "RSA_AES_KEY_WRAP_384") return "SHA-384";
  return "";
}

Status UnknownAlgorithm(std::string_view enc) {
  return BadParameter("key release algorithm " + internal::QuoteAlg(enc) +
                      " is not supported; use CKM_RSA_AES_KEY_WRAP, RSA_AES_KEY_WRAP_256 or "
                      "RSA_AES_KEY_WRAP_384");
}

// The released form of a key: PKCS#8 DER (RSA, EC) or the raw AES key (oct).
StatusOr<SecretBytes> KeyBytes(const KeyMaterial& key) {
  ASSIGN_OR_RETURN(SecretBytes blob, key.Serialize());
  if (blob.size() < 3 || blob.data()[0] != 1) {
    return InternalError("unexpected key material serialisation format");
  }
  return SecretBytes(blob.view().substr(2));
}

StatusOr<KeyMaterial> AesKey(SecretBytes k) {
  JwkParts jwk;
  jwk.kty = "oct";
  jwk.k = std::move(k);
  return KeyMaterial::FromJwk(jwk);
}

}  // namespace

bool IsKeyReleaseAlgorithm(std::string_view enc) { return !OaepHash(enc).empty(); }

StatusOr<std::string> WrapForRelease(const KeyMaterial& key, const PublicKey& wrapping_key,
                                     std::string_view enc) {
  std::string_view hash = OaepHash(enc);
  if (hash.empty()) return UnknownAlgorithm(enc);
  if (wrapping_key.type() != KeyType::kRsa) {
    return BadParameter("the key to wrap a released key to must be an RSA key");
  }
  SecretBytes k(kAesKeyBytes);
  SystemRandom().Fill(k.data(), k.size());
  ASSIGN_OR_RETURN(std::string wrapped_k, wrapping_key.EncryptOaep(hash, k));
  ASSIGN_OR_RETURN(KeyMaterial aes, AesKey(std::move(k)));
  ASSIGN_OR_RETURN(SecretBytes bytes, KeyBytes(key));
  ASSIGN_OR_RETURN(std::string wrapped_key, aes.WrapKey(kAesKeyWrapPad, bytes));
  return wrapped_k + wrapped_key;
}

StatusOr<SecretBytes> UnwrapReleasedKey(const KeyMaterial& unwrapping_key, std::string_view enc,
                                        std::string_view ciphertext) {
  std::string_view hash = OaepHash(enc);
  if (hash.empty()) return UnknownAlgorithm(enc);
  if (unwrapping_key.type() != KeyType::kRsa) return BadParameter("unwrapping needs an RSA key");
  ASSIGN_OR_RETURN(SecretBytes der, KeyBytes(unwrapping_key));
  const unsigned char* p = der.data();
  internal::PkeyPtr pkey(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  if (pkey == nullptr) return internal::OpenSslError("reading the unwrapping key failed");
  size_t k = static_cast<size_t>(EVP_PKEY_get_size(pkey.get()));
  if (ciphertext.size() <= k) return internal::DecryptionFailed();
  auto aes_key =
      internal::RsaDecrypt(pkey.get(), internal::ShaMdByName(hash), ciphertext.substr(0, k));
  if (!aes_key.ok() || aes_key->size() != kAesKeyBytes) return internal::DecryptionFailed();
  auto aes = AesKey(std::move(*aes_key));
  if (!aes.ok()) return internal::DecryptionFailed();
  return aes->UnwrapKey(kAesKeyWrapPad, ciphertext.substr(k));
}

}  // namespace coffer::crypto
