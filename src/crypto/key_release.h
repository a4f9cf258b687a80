// Secure key release wrapping: how a released key travels to the attested environment
// (Azure's `enc` of POST /keys/{name}/release, PKCS#11's CKM_RSA_AES_KEY_WRAP).
//
//   ciphertext = RSA-OAEP(wrapping key, K) ‖ AES-KWP(K, key bytes)        (RFC 5649 for KWP)
//
// K is a fresh AES-256 key. The OAEP hash (label and MGF1) is SHA-1 for CKM_RSA_AES_KEY_WRAP,
// SHA-256 for RSA_AES_KEY_WRAP_256 and SHA-384 for RSA_AES_KEY_WRAP_384. The key bytes are the
// PKCS#8 DER PrivateKeyInfo of an RSA or EC key, or the raw bytes of an oct (AES) key. The
// first part is as long as the wrapping key's modulus (256 bytes for RSA-2048).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/secret_bytes.h"
#include "core/status.h"
#include "crypto/key_material.h"
#include "crypto/public_key.h"

namespace coffer::crypto {

inline constexpr std::string_view kKeyReleaseAlgorithms[] = {
    "CKM_RSA_AES_KEY_WRAP", "RSA_AES_KEY_WRAP_256", "RSA_AES_KEY_WRAP_384"};
inline constexpr std::string_view kDefaultKeyReleaseAlgorithm = "CKM_RSA_AES_KEY_WRAP";

bool IsKeyReleaseAlgorithm(std::string_view enc);

// `key` wrapped for `wrapping_key` (an RSA public key of at least 2048 bits). InvalidArgument
// [BadParameter] for an unknown `enc` or an EC wrapping key.
StatusOr<std::string> WrapForRelease(const KeyMaterial& key, const PublicKey& wrapping_key,
                                     std::string_view enc);

// The receiving side (and tests): the key bytes inside `ciphertext`, opened with the RSA
// private key `unwrapping_key`. Every failure to open is the one kDecryptionFailedMessage.
StatusOr<SecretBytes> UnwrapReleasedKey(const KeyMaterial& unwrapping_key, std::string_view enc,
                                        std::string_view ciphertext);

}  // namespace coffer::crypto
