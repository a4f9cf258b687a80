// KeyMaterial: one Key Vault key version's material — RSA (2048/3072/4096), EC (P-256, P-384,
// P-521, secp256k1 "P-256K") or oct (AES-128/192/256) — and every operation Azure Key Vault
// offers on it, over OpenSSL 3 EVP only (AZURE_API.md §4.4, DESIGN.md §5 "OpenSSL 3.0 details").
//
// Conventions:
//  - JWK parts are raw big-endian bytes (base64url is the API layer's business). EC coordinates
//    and `d` are padded to the curve size (32/48/66/32 bytes); RSA `n` has no leading zero.
//  - Sign/Verify take a pre-computed digest whose length must match the algorithm's hash.
//    ECDSA signatures are raw R||S of fixed width; PSS uses salt length = digest length.
//  - RSA-OAEP is SHA-1/MGF1-SHA-1, RSA-OAEP-256 SHA-256/MGF1-SHA-256, empty label.
//  - Every failed RSA1_5, RSA-OAEP or CBC-PAD decryption (and GCM tag failure, KW integrity
//    failure) returns the same Status: InvalidArgumentError(kDecryptionFailedMessage,
//    "BadParameter"), byte for byte, whatever went wrong inside.
//  - Wrong algorithm for the key type, wrong digest/IV/tag/ciphertext length, unknown algorithm:
//    InvalidArgument with reason "BadParameter" and a message naming the problem.
//
// Thread-safety: a KeyMaterial is immutable after creation; all const methods may be called
// concurrently (the EVP_PKEY is shared read-only).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::crypto {

enum class KeyType { kRsa, kEc, kOct };

inline constexpr std::string_view kDecryptionFailedMessage =
    "The ciphertext could not be decrypted with this key and algorithm.";

// JSON Web Key parts, decoded. Public parts are plain strings; private parts SecretBytes.
struct JwkParts {
  std::string kty;  // "RSA", "EC" or "oct" (no -HSM suffix)
  // RSA
  std::string n, e;
  SecretBytes d, p, q, dp, dq, qi;  // d is also the EC private scalar
  // EC
  std::string crv;  // "P-256", "P-384", "P-521", "P-256K"
  std::string x, y;
  // oct
  SecretBytes k;
};

struct EncryptResult {
  std::string ciphertext;
  std::string iv;   // set for AES-GCM / AES-CBC when the server generated it (or echoed)
  std::string tag;  // AES-GCM
};

class KeyMaterial {
 public:
  // bits: 2048, 3072 or 4096; public_exponent: odd, >= 3 (default 65537).
  static StatusOr<KeyMaterial> GenerateRsa(int bits, uint64_t public_exponent = 65537);
  // A new, independent key of this key's type and size or curve; RSA keeps the public exponent
  // (an imported key's may exceed 64 bits). For rotation.
  StatusOr<KeyMaterial> Regenerate() const;
  // crv: "P-256", "P-384", "P-521", "P-256K".
  static StatusOr<KeyMaterial> GenerateEc(std::string_view crv);
  // bits: 128, 192 or 256.
  static StatusOr<KeyMaterial> GenerateOct(int bits);
  // Import with private parts. RSA needs n, e, d (p, q, dp, dq, qi optional but, if present,
  // must all be present and consistent with n); EC needs crv, x, y, d (d must match x, y); oct
  // needs k of 16/24/32 bytes. Inconsistent or incomplete keys → InvalidArgument naming the part.
  // Keys must pass EVP_PKEY_check (RSA: also public).
  static StatusOr<KeyMaterial> FromJwk(const JwkParts& jwk);

  // Opaque, versioned serialisation of the private key (for the barrier-encrypted record and
  // the backup blob): u8 format 1 ‖ u8 type ‖ PKCS#8 DER (RSA/EC) or raw bytes (oct).
  StatusOr<SecretBytes> Serialize() const;
  static StatusOr<KeyMaterial> Deserialize(std::string_view blob);

  KeyType type() const { return type_; }
  int bits() const { return bits_; }           // RSA modulus / AES key size
  const std::string& curve() const { return curve_; }  // EC only
  // Public parts only (n, e / crv, x, y); oct keys return kty "oct" and nothing else.
  JwkParts PublicJwk() const;

  // encrypt/decrypt: RSA1_5, RSA-OAEP, RSA-OAEP-256 (RSA keys); A128GCM/A192GCM/A256GCM,
  // A128CBC/A192CBC/A256CBC (no padding: plaintext must be a multiple of 16),
  // A128CBCPAD/A192CBCPAD/A256CBCPAD (PKCS#7) for oct keys whose size matches the algorithm.
  // GCM: `iv` empty → a random 12-byte IV is generated and returned; `aad` optional.
  // CBC: `iv` empty → a random 16-byte IV is generated and returned.
  StatusOr<EncryptResult> Encrypt(std::string_view alg, const SecretBytes& plaintext,
                                  std::string_view iv, std::string_view aad) const;
  StatusOr<SecretBytes> Decrypt(std::string_view alg, std::string_view ciphertext,
                                std::string_view iv, std::string_view aad,
                                std::string_view tag) const;

  // wrapKey/unwrapKey: RSA1_5, RSA-OAEP, RSA-OAEP-256 (RSA); A128KW/A192KW/A256KW (RFC 3394,
  // oct keys of the matching size; input a multiple of 8 bytes, >= 16), and CKM_AES_KEY_WRAP
  // (= RFC 3394) / CKM_AES_KEY_WRAP_PAD (RFC 5649) for any oct size.
  StatusOr<std::string> WrapKey(std::string_view alg, const SecretBytes& key) const;
  StatusOr<SecretBytes> UnwrapKey(std::string_view alg, std::string_view wrapped) const;

  // sign/verify on a digest: RS256/384/512, PS256/384/512 (RSA); ES256 (P-256), ES384 (P-384),
  // ES512 (P-521), ES256K (P-256K); HS256/384/512 (oct: HMAC over the given bytes).
  StatusOr<std::string> Sign(std::string_view alg, std::string_view digest) const;
  // false for a signature that does not verify (wrong length included); errors only for an
  // algorithm that does not fit the key or a digest of the wrong length.
  StatusOr<bool> Verify(std::string_view alg, std::string_view digest,
                        std::string_view signature) const;

 private:
  KeyMaterial() = default;
  // An RSA KeyMaterial around a generated EVP_PKEY (shared as in pkey_).
  static KeyMaterial Rsa(int bits, std::shared_ptr<void> pkey);
  KeyType type_ = KeyType::kOct;
  int bits_ = 0;
  std::string curve_;
  std::shared_ptr<void> pkey_;  // EVP_PKEY (RSA/EC)
  std::shared_ptr<SecretBytes> oct_;  // AES key bytes
};

}  // namespace coffer::crypto
