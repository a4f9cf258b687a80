// EcSigningKey: an ECDSA P-256 key pair used to sign Coffer's tokens (ES256). Signatures are raw
// R||S (64 bytes), as JWS requires; verification rejects any other length.
//
// Thread-safety: const methods may be called concurrently (the EVP_PKEY is not mutated).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::crypto {

class EcSigningKey {
 public:
  static StatusOr<EcSigningKey> GenerateP256();
  // PKCS#8 PEM of the private key.
  static StatusOr<EcSigningKey> FromPrivatePem(const SecretBytes& pem);
  // Public-only key from the JWK coordinates (32 bytes each); Sign then fails.
  static StatusOr<EcSigningKey> FromPublicP256(std::string_view x, std::string_view y);

  StatusOr<SecretBytes> PrivatePem() const;
  // Uncompressed affine coordinates, each padded to 32 bytes.
  std::string PublicX() const;
  std::string PublicY() const;

  // ES256 over SHA-256(data); returns R||S.
  StatusOr<std::string> SignEs256(std::string_view data) const;
  bool VerifyEs256(std::string_view data, std::string_view raw_signature) const;

  // Opaque OpenSSL handle for the x509 helpers (EVP_PKEY*).
  void* native() const { return pkey_.get(); }

 private:
  struct Deleter {
    void operator()(void* p) const;
  };
  explicit EcSigningKey(void* pkey) : pkey_(pkey, Deleter()) {}
  std::shared_ptr<void> pkey_;
};

}  // namespace coffer::crypto
