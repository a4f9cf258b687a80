// Internal to the crypto module: what key_material.cc, key_cipher.cc and key_signature.cc share —
// the process-wide EVP_MD / EVP_CIPHER objects (fetched once), the two InvalidArgument shapes
// the KeyMaterial contract promises, and big-endian byte helpers for BIGNUMs.
//
// Thread-safety: the fetch functions use function-local statics (initialised once, then
// read-only); the helpers touch only the calling thread's OpenSSL error queue.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/secret_bytes.h"
#include "core/status.h"
#include "crypto/key_material.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto::internal {

// "BadParameter" is the Azure error code Key Vault uses for every malformed crypto request.
inline constexpr char kBadParameter[] = "BadParameter";

inline Status BadParameter(std::string message) {
  return InvalidArgumentError(std::move(message), kBadParameter);
}

// The one answer to every failed decryption or unwrap, whatever failed inside: a padding, tag
// or integrity failure must not be told apart from any other (Bleichenbacher / padding-oracle).
// The OpenSSL error queue is cleared so nothing about the failure lingers on the thread.
inline Status DecryptionFailed() {
  ERR_clear_error();
  return InvalidArgumentError(std::string(kDecryptionFailedMessage), kBadParameter);
}

// An algorithm name from a request, shortened so a hostile value cannot bloat an error message.
inline std::string QuoteAlg(std::string_view alg) {
  constexpr size_t kMax = 32;
  std::string quoted = "'";
  quoted.append(alg.substr(0, kMax));
  quoted.append(alg.size() > kMax ? "...'" : "'");
  return quoted;
}

const EVP_MD* Sha1Md();
const EVP_MD* Sha256Md();
const EVP_MD* Sha384Md();
const EVP_MD* Sha512Md();
// "SHA-1", "SHA-256", "SHA-384" or "SHA-512"; null for any other name.
const EVP_MD* ShaMdByName(std::string_view name);

enum class AesMode { kGcm, kCbc, kWrap, kWrapPad };
// key_bytes: 16, 24 or 32. Never null (aborts if OpenSSL lacks the cipher).
const EVP_CIPHER* AesCipher(AesMode mode, size_t key_bytes);

// The curves Key Vault offers, by JWK name; coordinate_bytes is also the width of R and S.
struct CurveInfo {
  std::string_view jwk_name;  // "P-256"
  const char* openssl_group;  // "prime256v1", as EVP_PKEY reports it
  size_t coordinate_bytes;    // 32 / 48 / 66
  int bits;                   // 256 / 384 / 521
};
const CurveInfo* CurveByJwkName(std::string_view crv);
const CurveInfo* CurveByOpenSslGroup(std::string_view group);

// The facts a KeyMaterial keeps beside its EVP_PKEY, read from the key and checked against what
// Key Vault allows (RSA 2048/3072/4096, the four curves). InvalidArgument otherwise.
struct KeyShape {
  KeyType type = KeyType::kRsa;
  int bits = 0;
  std::string curve;  // JWK name, EC only
};
StatusOr<KeyShape> DescribePkey(EVP_PKEY* pkey);

// An EVP_PKEY of `type` ("RSA", "EC") from OSSL parameters (key_import.cc); `selection` is
// EVP_PKEY_KEYPAIR or EVP_PKEY_PUBLIC_KEY. BadParameter starting with `what` when OpenSSL
// refuses the parameters.
StatusOr<PkeyPtr> PkeyFromParams(const char* type, OSSL_PARAM_BLD* bld, int selection,
                                 std::string_view what);

// Shared ownership of an EVP_PKEY as KeyMaterial stores it.
std::shared_ptr<void> SharePkey(PkeyPtr pkey);
inline EVP_PKEY* PkeyOf(const std::shared_ptr<void>& p) { return static_cast<EVP_PKEY*>(p.get()); }

// Big-endian magnitude of bn, left-padded with zeros to `width` bytes (width 0: minimal).
std::string BnToBytes(const BIGNUM* bn, size_t width = 0);

// RSA encryption (key_cipher.cc) with PKCS#1 v1.5 (`oaep_md` null) or OAEP with `oaep_md` for
// the label hash and MGF1, empty label. BadParameter for a plaintext too long for the key.
StatusOr<std::string> RsaEncrypt(EVP_PKEY* pkey, const EVP_MD* oaep_md,
                                 const SecretBytes& plaintext);
// The inverse. Every failure is DecryptionFailed(); PKCS#1 v1.5 uses implicit rejection where
// OpenSSL offers it.
StatusOr<SecretBytes> RsaDecrypt(EVP_PKEY* pkey, const EVP_MD* oaep_md,
                                 std::string_view ciphertext);

// A fixed-width ECDSA R||S signature (JWS, Key Vault) as OpenSSL's DER ECDSA-Sig-Value, or
// empty if its halves do not make a signature (key_signature.cc).
std::string EcdsaRawToDer(std::string_view raw);
SecretBytes BnToSecret(const BIGNUM* bn, size_t width = 0);

}  // namespace coffer::crypto::internal
