// Symmetric primitives over OpenSSL 3 EVP: randomness, SHA-256, HMAC-SHA256, HKDF-SHA256 and
// AES-256-GCM. OpenSSL is used only inside the crypto module; EVP_CIPHER/EVP_MD objects are
// fetched once.
//
// Thread-safety: all functions are safe to call concurrently.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/random.h"
#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::crypto {

constexpr size_t kAes256KeySize = 32;
constexpr size_t kGcmNonceSize = 12;
constexpr size_t kGcmTagSize = 16;

// OpenSSL's DRBG (RAND_bytes). Aborts the process if the DRBG fails: there is no safe fallback.
class OsRandom final : public Random {
 public:
  void Fill(uint8_t* out, size_t n) override;
};
Random& SystemRandom();

std::string Sha256(std::string_view data);
std::string Sha1(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
inline std::string HmacSha256(const SecretBytes& key, std::string_view data) {
  return HmacSha256(key.view(), data);
}

// RFC 5869 HKDF with SHA-256. length <= 255*32.
StatusOr<SecretBytes> HkdfSha256(const SecretBytes& ikm, std::string_view salt,
                                 std::string_view info, size_t length);

// AES-256-GCM. Seal returns ciphertext || 16-byte tag. Open returns DataLoss when the tag does
// not verify (wrong key, wrong AAD, altered bytes) and InvalidArgument for bad sizes.
StatusOr<std::string> AesGcmSeal(const SecretBytes& key, std::string_view nonce,
                                 std::string_view plaintext, std::string_view aad);
StatusOr<SecretBytes> AesGcmOpen(const SecretBytes& key, std::string_view nonce,
                                 std::string_view ciphertext_and_tag, std::string_view aad);

// AES-256-GCM opening of many messages under one key: the key schedule and the GHASH table are
// computed once, in Create, and each Open only sets its nonce. Open answers exactly as AesGcmOpen
// does. One instance serves one thread at a time (unlike the functions above); the barrier keeps
// one per transaction, so a scan of many records pays for its key once.
class AesGcmOpener {
 public:
  static StatusOr<AesGcmOpener> Create(const SecretBytes& key);
  AesGcmOpener(AesGcmOpener&&) noexcept;
  AesGcmOpener& operator=(AesGcmOpener&&) noexcept;
  ~AesGcmOpener();

  StatusOr<SecretBytes> Open(std::string_view nonce, std::string_view ciphertext_and_tag,
                             std::string_view aad);

 private:
  struct Context;  // the OpenSSL cipher context, keyed
  explicit AesGcmOpener(std::unique_ptr<Context> ctx);
  std::unique_ptr<Context> ctx_;
};

}  // namespace coffer::crypto
